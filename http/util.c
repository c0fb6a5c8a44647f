/* util.c - field helpers, the writer, and request-target and date helpers. */
#include "mote/http.h"
#include "http_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int mote_http_slice_ieq(mote_slice a, const char *b)
{
    size_t n = strlen(b);
    if (a.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(a.ptr[i]) != lower((uint8_t)b[i]))
            return 0;
    return 1;
}

mote_slice mote_http_field_get(const mote_http_head *h, const char *name)
{
    for (size_t i = 0; i < h->nfields; i++)
        if (mote_http_slice_ieq(h->fields[i].name, name))
            return h->fields[i].value;
    return mote_slice_make(NULL, 0);
}

int mote_http_field_has_token(const mote_http_head *h, const char *name, const char *token)
{
    for (size_t f = 0; f < h->nfields; f++) {
        if (!mote_http_slice_ieq(h->fields[f].name, name))
            continue;
        mote_slice v = h->fields[f].value;
        size_t i = 0;
        while (i < v.len) {
            size_t st = i;
            while (i < v.len && v.ptr[i] != ',')
                i++;
            mote_slice t = mote_slice_make(v.ptr + st, i - st);
            while (t.len && (t.ptr[0] == ' ' || t.ptr[0] == '\t'))
                t.ptr++, t.len--;
            while (t.len && (t.ptr[t.len - 1] == ' ' || t.ptr[t.len - 1] == '\t'))
                t.len--;
            if (mote_http_slice_ieq(t, token))
                return 1;
            i++;
        }
    }
    return 0;
}

/* ---- writer ---- */

int mote_http_write_request_line(mote_buf *out, const char *method, const char *target)
{
    if (!method || !target || !http_is_token(mote_slice_str(method)) || !*target)
        return MOTE_EINVAL;
    for (const char *c = target; *c; c++)
        if ((uint8_t)*c <= 0x20 || (uint8_t)*c >= 0x7f)
            return MOTE_EINVAL;
    return mote_buf_appendf(out, "%s %s HTTP/1.1\r\n", method, target);
}

int mote_http_write_status_line(mote_buf *out, int status, const char *reason)
{
    if (status < 100 || status > 999)
        return MOTE_EINVAL;
    if (!reason)
        reason = mote_http_reason(status);
    for (const char *c = reason; *c; c++)
        if (!http_is_field_char((uint8_t)*c))
            return MOTE_EINVAL;
    return mote_buf_appendf(out, "HTTP/1.1 %03d %s\r\n", status, reason);
}

static int valid_value(const char *v)
{
    for (const char *c = v; *c; c++)
        if (!http_is_field_char((uint8_t)*c))
            return 0;
    return 1;
}

int mote_http_write_field(mote_buf *out, const char *name, const char *value)
{
    if (!name || !value || !http_is_token(mote_slice_str(name)) || !valid_value(value))
        return MOTE_EINVAL;
    return mote_buf_appendf(out, "%s: %s\r\n", name, value);
}

int mote_http_write_fieldf(mote_buf *out, const char *name, const char *fmt, ...)
{
    char v[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof v)
        return MOTE_ELIMIT;
    return mote_http_write_field(out, name, v);
}

int mote_http_write_end_head(mote_buf *out)
{
    return mote_buf_append(out, "\r\n", 2);
}

int mote_http_write_chunk(mote_buf *out, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    int rc = mote_buf_appendf(out, "%zx\r\n", len);
    if (!rc)
        rc = mote_buf_append(out, data, len);
    if (!rc)
        rc = mote_buf_append(out, "\r\n", 2);
    return rc;
}

int mote_http_write_last_chunk(mote_buf *out)
{
    return mote_buf_append(out, "0\r\n\r\n", 5);
}

const char *mote_http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 426:
        return "Upgrade Required";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

/* ---- paths ---- */

int mote_http_decode_path(mote_slice target, char *out, size_t outlen)
{
    if (target.len == 0 || target.ptr[0] != '/')
        return MOTE_EDECODE;
    size_t o = 0;
    for (size_t i = 0; i < target.len; i++) {
        uint8_t c = target.ptr[i];
        if (c == '?' || c == '#')
            break;
        if (c == '%') {
            if (i + 2 >= target.len)
                return MOTE_EDECODE;
            int hi = http_hex_value(target.ptr[i + 1]), lo = http_hex_value(target.ptr[i + 2]);
            if (hi < 0 || lo < 0)
                return MOTE_EDECODE;
            c = (uint8_t)(hi << 4 | lo);
            if (c == 0 || c == '/' || c == '\\')
                return MOTE_EDECODE;
            i += 2;
        } else if (c <= 0x20 || c >= 0x7f) {
            return MOTE_EDECODE;
        }
        if (o + 1 >= outlen)
            return MOTE_ENOSPC;
        out[o++] = (char)c;
    }
    if (o >= outlen)
        return MOTE_ENOSPC;
    out[o] = '\0';
    return 0;
}

int mote_http_normalize_path(char *path)
{
    if (path[0] != '/')
        return MOTE_EDECODE;
    /* Walk the segments, keeping a stack of output segment starts. */
    char *out = path;
    size_t o = 0;
    const char *s = path;
    int trailing = 0;
    while (*s) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - s);
        trailing = *e == '/' || n == 0;
        if (n == 0) {
            break;
        } else if (n == 1 && s[0] == '.') {
            trailing = 1;
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (o == 0)
                return MOTE_EPERM;
            while (o > 0 && out[o - 1] != '/')
                o--;
            o--; /* drop the slash too */
            trailing = 1;
        } else {
            out[o++] = '/';
            memmove(out + o, s, n);
            o += n;
        }
        s = e;
    }
    if (o == 0 || trailing)
        out[o++] = '/';
    out[o] = '\0';
    return 0;
}

/* ---- ranges ---- */

static int parse_u64(const uint8_t *p, size_t n, uint64_t *v)
{
    if (n == 0 || n > 19)
        return MOTE_EDECODE;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!http_is_digit(p[i]))
            return MOTE_EDECODE;
        x = x * 10 + (uint64_t)(p[i] - '0');
    }
    *v = x;
    return 0;
}

int mote_http_parse_range(mote_slice v, uint64_t size, uint64_t *first, uint64_t *last)
{
    /* ranges-specifier = range-unit "=" range-set (RFC 9110 14.1.1) */
    if (!v.ptr)
        return MOTE_EDECODE;
    const uint8_t *eq = memchr(v.ptr, '=', v.len);
    if (!eq)
        return MOTE_EDECODE;
    mote_slice unit = mote_slice_make(v.ptr, (size_t)(eq - v.ptr));
    if (!http_is_token(unit))
        return MOTE_EDECODE;
    if (!mote_http_slice_ieq(unit, "bytes"))
        return MOTE_EUNSUPPORTED;
    const uint8_t *p = eq + 1, *end = v.ptr + v.len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (memchr(p, ',', (size_t)(end - p)))
        return MOTE_EUNSUPPORTED;
    const uint8_t *dash = memchr(p, '-', (size_t)(end - p));
    if (!dash)
        return MOTE_EDECODE;
    uint64_t a, b;
    if (dash == p) {
        /* suffix-range: the last N bytes */
        if (parse_u64(dash + 1, (size_t)(end - dash - 1), &b))
            return MOTE_EDECODE;
        if (b == 0 || size == 0)
            return MOTE_ERANGE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return 0;
    }
    if (parse_u64(p, (size_t)(dash - p), &a))
        return MOTE_EDECODE;
    if (dash + 1 == end) {
        b = UINT64_MAX;
    } else {
        if (parse_u64(dash + 1, (size_t)(end - dash - 1), &b))
            return MOTE_EDECODE;
        if (b < a)
            return MOTE_EDECODE;
    }
    if (a >= size)
        return MOTE_ERANGE;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return 0;
}

/* ---- dates ---- */

static const char wkday[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const long_days[7] = {"Thursday", "Friday",  "Saturday", "Sunday",
                                         "Monday",   "Tuesday", "Wednesday"};

static int weekday_of(int64_t sec)
{
    int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
    int w = (int)(days % 7);
    return w < 0 ? w + 7 : w; /* 0 = Thursday, 1970-01-01 */
}

int mote_http_format_date(int64_t sec, char *out, size_t n)
{
    mote_civil c;
    int rc = mote_time_to_civil(sec, &c);
    if (rc)
        return rc;
    if (n < 30)
        return MOTE_ENOSPC;
    snprintf(out, n, "%s, %02u %s %04d %02u:%02u:%02u GMT", wkday[weekday_of(sec)], c.day,
             month_names[c.month - 1], (int)c.year, c.hour, c.minute, c.second);
    return 0;
}

static int num(const uint8_t *p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!http_is_digit(p[i]))
            return 0;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return 1;
}

static int month_of(const uint8_t *p)
{
    for (int m = 0; m < 12; m++)
        if (memcmp(p, month_names[m], 3) == 0)
            return m + 1;
    return 0;
}

static int hms(const uint8_t *p, int *h, int *mi, int *s)
{
    return num(p, 2, h) && p[2] == ':' && num(p + 3, 2, mi) && p[5] == ':' && num(p + 6, 2, s);
}

static int finish_date(int y, int mo, int d, int h, int mi, int s, int wd, int64_t *sec)
{
    mote_civil c = {(int32_t)y, (uint8_t)mo, (uint8_t)d, (uint8_t)h, (uint8_t)mi, (uint8_t)s};
    if (mo == 0 || h > 23 || mi > 59 || s > 60)
        return MOTE_EDECODE;
    if (s == 60)
        c.second = 59; /* a leap second reads as the second before it */
    int64_t v;
    if (mote_time_from_civil(&c, &v))
        return MOTE_EDECODE;
    if (wd >= 0 && weekday_of(v) != wd)
        return MOTE_EDECODE;
    *sec = v;
    return 0;
}

int mote_http_parse_date(mote_slice t, int64_t *sec)
{
    const uint8_t *p = t.ptr;
    int d, y, h, mi, s, mo, wd = -1;
    if (!p)
        return MOTE_EDECODE;
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (t.len == 29 && p[3] == ',') {
        for (int i = 0; i < 7; i++)
            if (memcmp(p, wkday[i], 3) == 0)
                wd = i;
        if (wd < 0 || p[4] != ' ' || !num(p + 5, 2, &d) || p[7] != ' ' || !(mo = month_of(p + 8)) ||
            p[11] != ' ' || !num(p + 12, 4, &y) || p[16] != ' ' || !hms(p + 17, &h, &mi, &s) ||
            memcmp(p + 25, " GMT", 4) != 0)
            return MOTE_EDECODE;
        return finish_date(y, mo, d, h, mi, s, wd, sec);
    }
    /* asctime: "Sun Nov  6 08:49:37 1994" */
    if (t.len == 24 && p[3] == ' ') {
        for (int i = 0; i < 7; i++)
            if (memcmp(p, wkday[i], 3) == 0)
                wd = i;
        uint8_t dd[2] = {p[8] == ' ' ? '0' : p[8], p[9]};
        if (wd < 0 || !(mo = month_of(p + 4)) || p[7] != ' ' || !num(dd, 2, &d) || p[10] != ' ' ||
            !hms(p + 11, &h, &mi, &s) || p[19] != ' ' || !num(p + 20, 4, &y))
            return MOTE_EDECODE;
        return finish_date(y, mo, d, h, mi, s, wd, sec);
    }
    /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
    const uint8_t *comma = memchr(p, ',', t.len);
    if (!comma)
        return MOTE_EDECODE;
    size_t dl = (size_t)(comma - p);
    for (int i = 0; i < 7; i++)
        if (strlen(long_days[i]) == dl && memcmp(p, long_days[i], dl) == 0)
            wd = i;
    const uint8_t *q = comma;
    if (wd < 0 || t.len - dl != 24 || q[1] != ' ' || !num(q + 2, 2, &d) || q[4] != '-' ||
        !(mo = month_of(q + 5)) || q[8] != '-' || !num(q + 9, 2, &y) || q[11] != ' ' ||
        !hms(q + 12, &h, &mi, &s) || memcmp(q + 20, " GMT", 4) != 0)
        return MOTE_EDECODE;
    /* RFC 9110: a two-digit year more than 50 years in the future is in the
     * past century. Without a clock here, take 70..99 as 19xx, else 20xx. */
    y += y >= 70 ? 1900 : 2000;
    return finish_date(y, mo, d, h, mi, s, -1, sec);
}

/* ---- entity tags ---- */

int mote_http_etag_match(mote_slice v, const char *etag)
{
    if (!v.ptr || !etag)
        return 0;
    const char *want = etag;
    if (want[0] == 'W' && want[1] == '/')
        want += 2;
    size_t wl = strlen(want);
    size_t i = 0;
    int any = 0;
    while (i < v.len) {
        while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t' || v.ptr[i] == ','))
            i++;
        if (i == v.len)
            break;
        if (v.ptr[i] == '*') {
            i++;
            any = 1;
            continue;
        }
        if (v.ptr[i] == 'W' && i + 1 < v.len && v.ptr[i + 1] == '/')
            i += 2;
        if (i >= v.len || v.ptr[i] != '"')
            return 0;
        size_t st = i++;
        while (i < v.len && v.ptr[i] != '"') {
            if (v.ptr[i] < 0x21 || v.ptr[i] == 0x7f)
                return 0;
            i++;
        }
        if (i == v.len)
            return 0;
        i++;
        if (i - st == wl && memcmp(v.ptr + st, want, wl) == 0)
            return 1;
    }
    return any;
}
