/*
 * mote/time.h - wall-clock time values and calendar conversions.
 *
 * mote keeps wall-clock time as seconds since 1970-01-01T00:00:00Z (no leap
 * seconds, like POSIX) plus nanoseconds. The conversions use the proleptic
 * Gregorian calendar and work for years 0 to 9999, which covers ASN.1
 * GeneralizedTime, HTTP dates and RFC 3339. Nothing here reads a clock: the
 * current time comes from a mote_clock (mote/device.h).
 */
#ifndef MOTE_TIME_H
#define MOTE_TIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mote_time {
    int64_t sec;   /* seconds since the Unix epoch, UTC */
    uint32_t nsec; /* 0 .. 999999999 */
} mote_time;

typedef struct mote_civil {
    int32_t year;   /* 0 .. 9999 */
    uint8_t month;  /* 1 .. 12 */
    uint8_t day;    /* 1 .. days in month */
    uint8_t hour;   /* 0 .. 23 */
    uint8_t minute; /* 0 .. 59 */
    uint8_t second; /* 0 .. 59 (leap seconds are not represented) */
} mote_civil;

/* Days in the month of that year (1..12), or 0 for a bad month. */
int mote_days_in_month(int32_t year, int month);

/* Checks every field and converts to seconds since the epoch. MOTE_ERANGE
 * if any field is out of range. */
int mote_time_from_civil(const mote_civil *c, int64_t *sec);

/* Converts seconds since the epoch to calendar fields. MOTE_ERANGE if the
 * year would fall outside 0..9999. */
int mote_time_to_civil(int64_t sec, mote_civil *c);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL). MOTE_ENOSPC if
 * n is too small, MOTE_ERANGE for an unrepresentable time. */
int mote_time_format_rfc3339(int64_t sec, char *out, size_t n);

/* Parses RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS", optional fraction
 * (ignored), then "Z" or "+HH:MM"/"-HH:MM". 't' and 'z' are accepted as
 * the RFC allows. MOTE_EDECODE on any deviation. */
int mote_time_parse_rfc3339(const char *text, int64_t *sec);

#ifdef __cplusplus
}
#endif
#endif
