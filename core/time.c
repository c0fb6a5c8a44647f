/* time.c - calendar conversion (proleptic Gregorian, years 0..9999). */
#include "mote/time.h"
#include "mote/error.h"

#include <stdio.h>

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int mote_days_in_month(int32_t year, int month)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return days[month - 1] + (month == 2 && is_leap(year));
}

/* Days from 1970-01-01 to y-m-d (Howard Hinnant's days_from_civil method,
 * which counts in 400-year eras starting on March 1st). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int mote_time_from_civil(const mote_civil *c, int64_t *sec)
{
    if (c->year < 0 || c->year > 9999 || c->month < 1 || c->month > 12 || c->day < 1 ||
        c->day > mote_days_in_month(c->year, c->month) || c->hour > 23 || c->minute > 59 ||
        c->second > 59)
        return MOTE_ERANGE;
    int64_t days = days_from_civil(c->year, c->month, c->day);
    *sec = days * 86400 + c->hour * 3600 + c->minute * 60 + c->second;
    return 0;
}

/* Earliest and latest seconds representable: 0000-01-01T00:00:00Z and
 * 9999-12-31T23:59:59Z. */
#define MIN_SEC (-62167219200LL)
#define MAX_SEC (253402300799LL)

int mote_time_to_civil(int64_t sec, mote_civil *c)
{
    if (sec < MIN_SEC || sec > MAX_SEC)
        return MOTE_ERANGE;
    int64_t days = sec / 86400;
    int64_t rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    c->year = (int32_t)(y + (m <= 2));
    c->month = (uint8_t)m;
    c->day = (uint8_t)d;
    c->hour = (uint8_t)(rem / 3600);
    c->minute = (uint8_t)(rem / 60 % 60);
    c->second = (uint8_t)(rem % 60);
    return 0;
}

int mote_time_format_rfc3339(int64_t sec, char *out, size_t n)
{
    mote_civil c;
    int rc = mote_time_to_civil(sec, &c);
    if (rc)
        return rc;
    if (n < 21)
        return MOTE_ENOSPC;
    snprintf(out, n, "%04d-%02u-%02uT%02u:%02u:%02uZ", (int)c.year, c.month, c.day, c.hour,
             c.minute, c.second);
    return 0;
}

static int digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MOTE_EDECODE;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

int mote_time_parse_rfc3339(const char *t, int64_t *sec)
{
    int y, mo, d, h, mi, s;
    if (!t)
        return MOTE_EINVAL;
    /* "YYYY-MM-DDTHH:MM:SS" is 19 characters; check each before reading on. */
    for (int i = 0; i < 19; i++)
        if (t[i] == '\0')
            return MOTE_EDECODE;
    if (digits(t, 4, &y) || t[4] != '-' || digits(t + 5, 2, &mo) || t[7] != '-' ||
        digits(t + 8, 2, &d) || (t[10] != 'T' && t[10] != 't') || digits(t + 11, 2, &h) ||
        t[13] != ':' || digits(t + 14, 2, &mi) || t[16] != ':' || digits(t + 17, 2, &s))
        return MOTE_EDECODE;
    const char *p = t + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return MOTE_EDECODE;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        int sign = *p == '-' ? -1 : 1;
        if (!p[1] || !p[2] || digits(p + 1, 2, &oh) || p[3] != ':' || !p[4] || !p[5] ||
            digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return MOTE_EDECODE;
        offset = sign * (oh * 3600 + om * 60);
        p += 6;
    } else {
        return MOTE_EDECODE;
    }
    if (*p != '\0')
        return MOTE_EDECODE;
    mote_civil c = {(int32_t)y, (uint8_t)mo, (uint8_t)d, (uint8_t)h, (uint8_t)mi, (uint8_t)s};
    int64_t v;
    if (mote_time_from_civil(&c, &v))
        return MOTE_EDECODE;
    *sec = v - offset;
    return 0;
}
