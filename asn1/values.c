/* values.c - DER rules for the content octets of each primitive type:
 * BOOLEAN, INTEGER, BIT STRING, OID, the string types, and times. */
#include "asn1_internal.h"

#include <string.h>

static int bad(mote_asn1_reason *out, mote_asn1_reason reason, int rc)
{
    if (out)
        *out = reason;
    return rc;
}

int mote_asn1_decode_bool(mote_slice c, bool *v, mote_asn1_reason *reason)
{
    if (c.len != 1 || (c.ptr[0] != 0x00 && c.ptr[0] != 0xff))
        return bad(reason, MOTE_ASN1_R_BAD_BOOLEAN, MOTE_EDECODE);
    *v = c.ptr[0] != 0;
    return 0;
}

int mote_asn1_check_integer(mote_slice c, mote_asn1_reason *reason)
{
    if (c.len == 0)
        return bad(reason, MOTE_ASN1_R_EMPTY_INTEGER, MOTE_EDECODE);
    if (c.len > 1 &&
        ((c.ptr[0] == 0x00 && !(c.ptr[1] & 0x80)) || (c.ptr[0] == 0xff && (c.ptr[1] & 0x80))))
        return bad(reason, MOTE_ASN1_R_NONMINIMAL_INTEGER, MOTE_EDECODE);
    return 0;
}

int mote_asn1_decode_int64(mote_slice c, int64_t *v, mote_asn1_reason *reason)
{
    int rc = mote_asn1_check_integer(c, reason);
    if (rc)
        return rc;
    if (c.len > 8)
        return bad(reason, MOTE_ASN1_R_INTEGER_RANGE, MOTE_ERANGE);
    uint64_t u = (c.ptr[0] & 0x80) ? UINT64_MAX : 0;
    for (size_t i = 0; i < c.len; i++)
        u = (u << 8) | c.ptr[i];
    /* Two's complement to int64 without implementation-defined conversion. */
    if (u >> 63)
        *v = -(int64_t)(~u) - 1;
    else
        *v = (int64_t)u;
    return 0;
}

int mote_asn1_decode_uint(mote_slice c, mote_slice *mag, mote_asn1_reason *reason)
{
    int rc = mote_asn1_check_integer(c, reason);
    if (rc)
        return rc;
    if (c.ptr[0] & 0x80)
        return bad(reason, MOTE_ASN1_R_INTEGER_RANGE, MOTE_ERANGE);
    if (c.len > 1 && c.ptr[0] == 0)
        *mag = mote_slice_make(c.ptr + 1, c.len - 1);
    else
        *mag = c;
    return 0;
}

int mote_asn1_decode_bits(mote_slice c, mote_asn1_bits *v, mote_asn1_reason *reason)
{
    if (c.len == 0 || c.ptr[0] > 7 || (c.len == 1 && c.ptr[0] != 0))
        return bad(reason, MOTE_ASN1_R_BAD_BIT_STRING, MOTE_EDECODE);
    uint8_t unused = c.ptr[0];
    if (unused && (c.ptr[c.len - 1] & ((1u << unused) - 1)))
        return bad(reason, MOTE_ASN1_R_BIT_STRING_PADDING, MOTE_EDECODE);
    v->bytes = mote_slice_make(c.ptr + 1, c.len - 1);
    v->unused = unused;
    return 0;
}

int mote_asn1_decode_named_bits(mote_slice c, uint32_t *v, mote_asn1_reason *reason)
{
    mote_asn1_bits b;
    int rc = mote_asn1_decode_bits(c, &b, reason);
    if (rc)
        return rc;
    size_t n = mote_asn1_bits_count(&b);
    if (n > 0 && !mote_asn1_bits_get(&b, n - 1))
        return bad(reason, MOTE_ASN1_R_BIT_STRING_TRAILING, MOTE_EDECODE);
    if (n > 32)
        return bad(reason, MOTE_ASN1_R_INTEGER_RANGE, MOTE_ERANGE);
    uint32_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (mote_asn1_bits_get(&b, i))
            out |= (uint32_t)1 << i;
    *v = out;
    return 0;
}

int mote_asn1_check_oid(mote_slice c, mote_asn1_reason *reason)
{
    if (c.len == 0 || (c.ptr[c.len - 1] & 0x80))
        return bad(reason, MOTE_ASN1_R_BAD_OID, MOTE_EDECODE);
    int start = 1;
    for (size_t i = 0; i < c.len; i++) {
        if (start && c.ptr[i] == 0x80)
            return bad(reason, MOTE_ASN1_R_NONMINIMAL_OID, MOTE_EDECODE);
        start = !(c.ptr[i] & 0x80);
    }
    return 0;
}

/* ---- strings ---- */

int mote_asn1_is_string_tag(mote_asn1_tag tag)
{
    switch (tag) {
    case MOTE_ASN1_UTF8_STRING:
    case MOTE_ASN1_NUMERIC_STRING:
    case MOTE_ASN1_PRINTABLE_STRING:
    case MOTE_ASN1_TELETEX_STRING:
    case MOTE_ASN1_IA5_STRING:
    case MOTE_ASN1_VISIBLE_STRING:
    case MOTE_ASN1_UNIVERSAL_STRING:
    case MOTE_ASN1_BMP_STRING:
        return 1;
    default:
        return 0;
    }
}

static int printable_char(uint8_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr(" '()+,-./:=?", c) != NULL;
}

/* Decodes one UTF-8 sequence at s[*i]; returns the code point or -1. */
static int32_t utf8_next(mote_slice s, size_t *i)
{
    uint8_t c = s.ptr[*i];
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if (c >= 0xc2 && c <= 0xdf) {
        cp = c & 0x1f;
        n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        cp = c & 0x0f;
        n = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
        cp = c & 0x07;
        n = 3;
    } else {
        return -1;
    }
    if (n > s.len - *i - 1)
        return -1;
    for (size_t k = 1; k <= n; k++) {
        uint8_t b = s.ptr[*i + k];
        if ((b & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (b & 0x3f);
    }
    static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i += n + 1;
    return (int32_t)cp;
}

/* Checks a string; on failure *bad is the index of the first octet at
 * fault (for a truncated BMP/Universal string, the incomplete unit). */
static int string_scan(mote_asn1_tag tag, mote_slice v, size_t *bad)
{
    size_t i, start;
    switch (tag) {
    case MOTE_ASN1_UTF8_STRING:
        for (i = 0; i < v.len;) {
            start = i;
            if (utf8_next(v, &i) < 0) {
                *bad = start;
                return MOTE_EDECODE;
            }
        }
        return 0;
    case MOTE_ASN1_NUMERIC_STRING:
        for (i = 0; i < v.len; i++)
            if (!((v.ptr[i] >= '0' && v.ptr[i] <= '9') || v.ptr[i] == ' '))
                return *bad = i, MOTE_EDECODE;
        return 0;
    case MOTE_ASN1_PRINTABLE_STRING:
        for (i = 0; i < v.len; i++)
            if (!printable_char(v.ptr[i]))
                return *bad = i, MOTE_EDECODE;
        return 0;
    case MOTE_ASN1_IA5_STRING:
        for (i = 0; i < v.len; i++)
            if (v.ptr[i] >= 0x80)
                return *bad = i, MOTE_EDECODE;
        return 0;
    case MOTE_ASN1_VISIBLE_STRING:
        for (i = 0; i < v.len; i++)
            if (v.ptr[i] < 0x20 || v.ptr[i] > 0x7e)
                return *bad = i, MOTE_EDECODE;
        return 0;
    case MOTE_ASN1_TELETEX_STRING:
        return 0;
    case MOTE_ASN1_BMP_STRING:
        if (v.len % 2)
            return *bad = v.len - 1, MOTE_EDECODE;
        for (i = 0; i < v.len; i += 2) {
            uint16_t u = mote_load_be16(v.ptr + i);
            if (u >= 0xd800 && u <= 0xdfff)
                return *bad = i, MOTE_EDECODE;
        }
        return 0;
    case MOTE_ASN1_UNIVERSAL_STRING:
        if (v.len % 4)
            return *bad = v.len / 4 * 4, MOTE_EDECODE;
        for (i = 0; i < v.len; i += 4) {
            uint32_t u = mote_load_be32(v.ptr + i);
            if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff))
                return *bad = i, MOTE_EDECODE;
        }
        return 0;
    default:
        return MOTE_EINVAL;
    }
}

int mote_asn1_string_check(mote_asn1_tag tag, mote_slice v)
{
    size_t bad = 0;
    return string_scan(tag, v, &bad);
}

size_t asn1_fault_index(mote_asn1_tag tag, mote_slice c, mote_asn1_reason reason)
{
    size_t bad = 0;
    switch (reason) {
    case MOTE_ASN1_R_NONMINIMAL_OID: {
        int start = 1;
        for (size_t i = 0; i < c.len; i++) {
            if (start && c.ptr[i] == 0x80)
                return i;
            start = !(c.ptr[i] & 0x80);
        }
        return 0;
    }
    case MOTE_ASN1_R_BAD_OID:
    case MOTE_ASN1_R_BIT_STRING_PADDING:
    case MOTE_ASN1_R_BIT_STRING_TRAILING:
        return c.len ? c.len - 1 : 0;
    case MOTE_ASN1_R_BAD_STRING:
        string_scan(tag, c, &bad);
        return bad < c.len ? bad : 0;
    default:
        return 0;
    }
}

static int put_utf8(mote_buf *out, uint32_t cp)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xc0 | cp >> 6);
        b[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xe0 | cp >> 12);
        b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (uint8_t)(0xf0 | cp >> 18);
        b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return mote_buf_append(out, b, n);
}

int mote_asn1_string_to_utf8(mote_asn1_tag tag, mote_slice v, mote_buf *out)
{
    int rc = mote_asn1_string_check(tag, v);
    if (rc)
        return rc == MOTE_EINVAL ? rc : MOTE_EDECODE;
    size_t i;
    switch (tag) {
    case MOTE_ASN1_TELETEX_STRING:
        for (i = 0; i < v.len; i++)
            if ((rc = put_utf8(out, v.ptr[i])))
                return rc;
        return 0;
    case MOTE_ASN1_BMP_STRING:
        for (i = 0; i < v.len; i += 2)
            if ((rc = put_utf8(out, mote_load_be16(v.ptr + i))))
                return rc;
        return 0;
    case MOTE_ASN1_UNIVERSAL_STRING:
        for (i = 0; i < v.len; i += 4)
            if ((rc = put_utf8(out, mote_load_be32(v.ptr + i))))
                return rc;
        return 0;
    default:
        return mote_buf_append(out, v.ptr, v.len);
    }
}

/* ---- times ---- */

static int digits(const uint8_t *p, size_t n, unsigned *v)
{
    unsigned x = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        x = x * 10 + (unsigned)(p[i] - '0');
    }
    *v = x;
    return 0;
}

int mote_asn1_decode_time(mote_asn1_tag tag, mote_slice c, mote_time *t, mote_asn1_reason *reason)
{
    unsigned year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
    const uint8_t *p = c.ptr;
    size_t i;
    uint32_t nsec = 0;
    if (tag == MOTE_ASN1_UTC_TIME) {
        if (c.len != 13 || p[12] != 'Z' || digits(p, 12, &sec) < 0)
            return bad(reason, MOTE_ASN1_R_BAD_TIME, MOTE_EDECODE);
        digits(p, 2, &year);
        year += year >= 50 ? 1900 : 2000;
        i = 2;
    } else if (tag == MOTE_ASN1_GENERALIZED_TIME) {
        if (c.len < 15 || p[c.len - 1] != 'Z' || digits(p, 14, &sec) < 0)
            return bad(reason, MOTE_ASN1_R_BAD_TIME, MOTE_EDECODE);
        digits(p, 4, &year);
        i = 4;
        if (c.len > 15) {
            /* ".f+" with no trailing zero, then Z. */
            size_t nf = c.len - 16;
            unsigned d;
            if (p[14] != '.' || nf == 0 || p[c.len - 2] == '0')
                return bad(reason, MOTE_ASN1_R_BAD_TIME, MOTE_EDECODE);
            if (nf > 9)
                return bad(reason, MOTE_ASN1_R_TIME_RANGE, MOTE_EDECODE);
            for (size_t k = 0; k < 9; k++) {
                d = 0;
                if (k < nf) {
                    if (digits(p + 15 + k, 1, &d) < 0)
                        return bad(reason, MOTE_ASN1_R_BAD_TIME, MOTE_EDECODE);
                }
                nsec = nsec * 10 + d;
            }
        }
    } else {
        return bad(reason, MOTE_ASN1_R_UNEXPECTED_TAG, MOTE_EDECODE);
    }
    digits(p + i, 2, &mon);
    digits(p + i + 2, 2, &day);
    digits(p + i + 4, 2, &hour);
    digits(p + i + 6, 2, &min);
    digits(p + i + 8, 2, &sec);
    mote_civil cv = {(int32_t)year, (uint8_t)mon, (uint8_t)day,
                     (uint8_t)hour, (uint8_t)min, (uint8_t)sec};
    int64_t s;
    if (mote_time_from_civil(&cv, &s))
        return bad(reason, MOTE_ASN1_R_TIME_RANGE, MOTE_EDECODE);
    t->sec = s;
    t->nsec = nsec;
    return 0;
}
