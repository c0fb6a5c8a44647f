/* oid.c - OBJECT IDENTIFIER text conversion and the well-known table.
 *
 * Arcs may be larger than 64 bits (2.25.<UUID> uses 128), so arithmetic is
 * done on small fixed-size numbers of 32-bit limbs (256 bits). */
#include "asn1_internal.h"

#include <stdio.h>
#include <string.h>

#define LIMBS 8

typedef struct big {
    uint32_t l[LIMBS]; /* little-endian limbs */
} big;

static int big_is_zero(const big *b)
{
    for (int i = 0; i < LIMBS; i++)
        if (b->l[i])
            return 0;
    return 1;
}

/* b = b * m + a; returns -1 on overflow. */
static int big_muladd(big *b, uint32_t m, uint32_t a)
{
    uint64_t carry = a;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t x = (uint64_t)b->l[i] * m + carry;
        b->l[i] = (uint32_t)x;
        carry = x >> 32;
    }
    return carry ? -1 : 0;
}

/* b = b / d; returns the remainder. */
static uint32_t big_divsmall(big *b, uint32_t d)
{
    uint64_t rem = 0;
    for (int i = LIMBS - 1; i >= 0; i--) {
        uint64_t x = (rem << 32) | b->l[i];
        b->l[i] = (uint32_t)(x / d);
        rem = x % d;
    }
    return (uint32_t)rem;
}

/* b -= s, b >= s assumed. */
static void big_subsmall(big *b, uint32_t s)
{
    uint64_t borrow = s;
    for (int i = 0; i < LIMBS && borrow; i++) {
        uint64_t x = b->l[i];
        if (x >= borrow) {
            b->l[i] = (uint32_t)(x - borrow);
            borrow = 0;
        } else {
            b->l[i] = (uint32_t)(x + ((uint64_t)1 << 32) - borrow);
            borrow = 1;
        }
    }
}

/* Appends the base-128 form of b to out[*n]. */
static int put_subid(big b, uint8_t *out, size_t cap, size_t *n)
{
    uint8_t tmp[(LIMBS * 32 + 6) / 7];
    size_t k = 0;
    do {
        tmp[k++] = (uint8_t)big_divsmall(&b, 128);
    } while (!big_is_zero(&b));
    if (k > cap - *n)
        return MOTE_ENOSPC;
    while (k > 0) {
        k--;
        out[(*n)++] = (uint8_t)(tmp[k] | (k ? 0x80 : 0));
    }
    return 0;
}

/* Parses one decimal arc at *p (no leading zeros). */
static int parse_arc(const char **p, big *b)
{
    const char *s = *p;
    memset(b, 0, sizeof *b);
    if (*s < '0' || *s > '9')
        return MOTE_EINVAL;
    if (*s == '0' && s[1] >= '0' && s[1] <= '9')
        return MOTE_EINVAL;
    while (*s >= '0' && *s <= '9') {
        if (big_muladd(b, 10, (uint32_t)(*s - '0')))
            return MOTE_EINVAL;
        s++;
    }
    *p = s;
    return 0;
}

int mote_asn1_oid_from_text(const char *text, uint8_t *out, size_t cap, size_t *len)
{
    if (!text || !out || !len)
        return MOTE_EINVAL;
    if (strlen(text) > MOTE_ASN1_OID_TEXT_MAX)
        return MOTE_EINVAL;
    const char *p = text;
    big a, b;
    size_t n = 0;
    int rc;
    if ((rc = parse_arc(&p, &a)) || *p != '.')
        return MOTE_EINVAL;
    p++;
    if ((rc = parse_arc(&p, &b)))
        return rc;
    uint32_t first = a.l[0];
    for (int i = 1; i < LIMBS; i++)
        if (a.l[i])
            return MOTE_EINVAL;
    if (first > 2)
        return MOTE_EINVAL;
    if (first < 2) {
        for (int i = 1; i < LIMBS; i++)
            if (b.l[i])
                return MOTE_EINVAL;
        if (b.l[0] >= 40)
            return MOTE_EINVAL;
    }
    if (big_muladd(&b, 1, first * 40))
        return MOTE_EINVAL;
    if ((rc = put_subid(b, out, cap, &n)))
        return rc;
    while (*p) {
        if (*p != '.')
            return MOTE_EINVAL;
        p++;
        if ((rc = parse_arc(&p, &b)))
            return rc;
        if ((rc = put_subid(b, out, cap, &n)))
            return rc;
    }
    *len = n;
    return 0;
}

/* Appends the decimal text of b at out[*pos]. */
static int put_decimal(big b, char *out, size_t n, size_t *pos)
{
    char tmp[80];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + big_divsmall(&b, 10));
    } while (!big_is_zero(&b));
    if (k + 1 > n - *pos)
        return MOTE_ENOSPC;
    while (k > 0)
        out[(*pos)++] = tmp[--k];
    out[*pos] = 0;
    return 0;
}

int mote_asn1_oid_to_text(mote_slice oid, char *out, size_t n)
{
    if (!out || n == 0)
        return MOTE_ENOSPC;
    out[0] = 0;
    if (mote_asn1_check_oid(oid, NULL))
        return MOTE_EDECODE;
    size_t pos = 0, i = 0;
    int first = 1, rc;
    while (i < oid.len) {
        big b;
        memset(&b, 0, sizeof b);
        for (;;) {
            uint8_t c = oid.ptr[i++];
            if (big_muladd(&b, 128, c & 0x7fu))
                return MOTE_ELIMIT;
            if (!(c & 0x80))
                break;
        }
        if (first) {
            uint32_t x = 2;
            int small = 1;
            for (int k = 1; k < LIMBS; k++)
                if (b.l[k])
                    small = 0;
            if (small && b.l[0] < 40)
                x = 0;
            else if (small && b.l[0] < 80)
                x = 1;
            big_subsmall(&b, x * 40);
            if (n < 3)
                return MOTE_ENOSPC;
            out[pos++] = (char)('0' + x);
            out[pos++] = '.';
            out[pos] = 0;
            first = 0;
        } else {
            if (pos + 2 > n)
                return MOTE_ENOSPC;
            out[pos++] = '.';
            out[pos] = 0;
        }
        if ((rc = put_decimal(b, out, n, &pos)))
            return rc;
    }
    return 0;
}

/* ---- the table ---- */

mote_asn1_oid_id mote_asn1_oid_lookup(mote_slice oid)
{
    for (int i = 1; i < MOTE_ASN1_OID_COUNT_; i++) {
        const struct asn1_oid_entry *e = &asn1_oid_table[i];
        if (e->len == oid.len && memcmp(e->bytes, oid.ptr, oid.len) == 0)
            return (mote_asn1_oid_id)i;
    }
    return MOTE_ASN1_OID_UNKNOWN;
}

static const struct asn1_oid_entry *entry(mote_asn1_oid_id id)
{
    if ((int)id <= 0 || (int)id >= MOTE_ASN1_OID_COUNT_)
        return NULL;
    return &asn1_oid_table[id];
}

mote_slice mote_asn1_oid_bytes(mote_asn1_oid_id id)
{
    const struct asn1_oid_entry *e = entry(id);
    return e ? mote_slice_make(e->bytes, e->len) : mote_slice_make(NULL, 0);
}

const char *mote_asn1_oid_name(mote_asn1_oid_id id)
{
    const struct asn1_oid_entry *e = entry(id);
    return e ? e->name : NULL;
}

const char *mote_asn1_oid_short_name(mote_asn1_oid_id id)
{
    const struct asn1_oid_entry *e = entry(id);
    return e ? e->short_name : NULL;
}

const char *mote_asn1_oid_dotted(mote_asn1_oid_id id)
{
    const struct asn1_oid_entry *e = entry(id);
    return e ? e->dotted : NULL;
}

mote_asn1_oid_id mote_asn1_oid_find(const char *s)
{
    if (!s)
        return MOTE_ASN1_OID_UNKNOWN;
    for (int i = 1; i < MOTE_ASN1_OID_COUNT_; i++) {
        const struct asn1_oid_entry *e = &asn1_oid_table[i];
        if (!strcmp(s, e->name) || !strcmp(s, e->short_name) || !strcmp(s, e->dotted))
            return (mote_asn1_oid_id)i;
    }
    return MOTE_ASN1_OID_UNKNOWN;
}

int mote_asn1_oid_is(mote_slice oid, mote_asn1_oid_id id)
{
    const struct asn1_oid_entry *e = entry(id);
    return e && e->len == oid.len && memcmp(e->bytes, oid.ptr, oid.len) == 0;
}
