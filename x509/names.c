/*
 * names.c - distinguished names: parsing, RFC 5280 section 7.1 comparison,
 * RFC 4514 printing.
 *
 *   Name ::= CHOICE { rdnSequence RDNSequence }
 *   RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
 *   RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 *   AttributeTypeAndValue ::= SEQUENCE { type AttributeType, value AttributeValue }
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509_internal.h"

/* One pass over the Name: counts attributes, and stores them when avas is
 * not NULL. */
static int walk(mote_slice der, mote_x509_ava *avas, size_t *n_avas, size_t *n_rdns)
{
    mote_asn1_reader r;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    size_t n = 0, rdns = 0;
    if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0)
        return r.err ? r.err : MOTE_EDECODE;
    while (!mote_asn1_at_end(&r)) {
        if (mote_asn1_enter(&r, MOTE_ASN1_SET, NULL) != 0)
            return r.err;
        size_t in_rdn = 0;
        while (!mote_asn1_at_end(&r)) {
            mote_slice type;
            mote_asn1_tlv value;
            if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0 ||
                mote_asn1_read_oid(&r, &type) != 0 || mote_asn1_next(&r, &value) != 0 ||
                mote_asn1_leave(&r) != 0)
                return r.err;
            if (n >= MOTE_X509_MAX_NAME_AVAS)
                return MOTE_ELIMIT;
            if (avas) {
                mote_x509_ava *a = &avas[n];
                a->type = type;
                a->value = value;
                a->rdn = rdns;
                if (mote_asn1_is_string_tag(value.tag)) {
                    if (mote_asn1_string_check(value.tag, value.value) != 0)
                        return MOTE_EDECODE;
                    a->str.tag = value.tag;
                    a->str.value = value.value;
                }
            }
            n++;
            in_rdn++;
        }
        if (in_rdn == 0)
            return MOTE_EDECODE; /* SET SIZE (1..MAX) */
        if (mote_asn1_leave(&r) != 0)
            return r.err;
        rdns++;
    }
    if (mote_asn1_leave(&r) != 0 || mote_asn1_reader_finish(&r) != 0)
        return r.err ? r.err : MOTE_EDECODE;
    *n_avas = n;
    *n_rdns = rdns;
    return 0;
}

int x509_name_parse(mote_slice der, mote_x509_name *out, x509_alloc_fn alloc, void *ctx)
{
    memset(out, 0, sizeof(*out));
    size_t n, rdns;
    int rc = walk(der, NULL, &n, &rdns);
    if (rc != 0)
        return rc;
    mote_x509_ava *avas = NULL;
    if (n) {
        avas = alloc(ctx, n * sizeof(*avas));
        if (!avas)
            return MOTE_ENOMEM;
        memset(avas, 0, n * sizeof(*avas));
        rc = walk(der, avas, &n, &rdns);
        if (rc != 0)
            return rc;
    }
    out->der = der;
    out->avas = avas;
    out->n_avas = n;
    out->n_rdns = rdns;
    return 0;
}

static void *malloc_cb(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}

int mote_x509_name_parse(mote_slice der, mote_x509_name *out)
{
    int rc = x509_name_parse(der, out, malloc_cb, NULL);
    if (rc != 0) {
        free((void *)out->avas);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

void mote_x509_name_clear(mote_x509_name *n)
{
    if (!n)
        return;
    free((void *)n->avas);
    memset(n, 0, sizeof(*n));
}

/* ---- comparison form ----------------------------------------------------- */

/* RFC 4518 2.2 "Map", in part: characters mapped to nothing, whitespace
 * mapped to SPACE, and case folding (RFC 3454 table B.2) for the Basic
 * Latin, Latin-1, Latin Extended-A, Greek and Cyrillic letters. Returns the
 * folded code point, or 0 for "map to nothing". NFKC normalisation is not
 * done. */
static uint32_t map_cp(uint32_t c)
{
    if (c == 0x09 || c == 0x0A || c == 0x0B || c == 0x0C || c == 0x0D || c == 0x85 || c == 0xA0 ||
        c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
        c == 0x205F || c == 0x3000)
        return ' ';
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x034F || c == 0x1806 ||
        (c >= 0x180B && c <= 0x180E) || (c >= 0x200B && c <= 0x200F) || c == 0x2060 ||
        (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF || c == 0xFFFC)
        return 0;
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c < 0x80)
        return c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return (c & 1) ? c : c + 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1) ? c + 1 : c;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
        return c + 32;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

static int put_utf8(mote_buf *out, uint32_t c)
{
    uint8_t b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (uint8_t)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (uint8_t)(0xC0 | (c >> 6));
        b[1] = (uint8_t)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (uint8_t)(0xE0 | (c >> 12));
        b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | (c >> 18));
        b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
        b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        b[3] = (uint8_t)(0x80 | (c & 0x3F));
        n = 4;
    }
    return mote_buf_append(out, b, n);
}

/* Next code point of UTF-8 text (already checked by libmote-asn1, or
 * produced by it); a malformed byte is taken as itself. */
static uint32_t next_cp(const uint8_t *p, size_t n, size_t *i)
{
    uint8_t b = p[*i];
    size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
    if (*i + len > n)
        len = 1;
    uint32_t c = len == 1 ? b : len == 2 ? (b & 0x1Fu) : len == 3 ? (b & 0x0Fu) : (b & 0x07u);
    for (size_t k = 1; k < len; k++)
        c = c << 6 | (p[*i + k] & 0x3Fu);
    *i += len;
    return c;
}

/* Appends a string value (UTF-8) in its comparison form: mapped as above,
 * then RFC 4518 2.6.1 insignificant space handling (leading and trailing
 * spaces removed, inner runs of spaces reduced to one). */
static int append_folded(mote_buf *out, const uint8_t *p, size_t n)
{
    size_t i = 0;
    int pending_space = 0, started = 0;
    while (i < n) {
        uint32_t c = map_cp(next_cp(p, n, &i));
        if (c == 0)
            continue;
        if (c == ' ') {
            pending_space = started;
            continue;
        }
        if (pending_space && mote_buf_append_byte(out, ' ') != 0)
            return MOTE_ENOMEM;
        pending_space = 0;
        started = 1;
        if (put_utf8(out, c) != 0)
            return MOTE_ENOMEM;
    }
    return 0;
}

static int ava_canonical(const mote_x509_ava *a, mote_buf *out)
{
    int rc = mote_buf_append_be32(out, (uint32_t)a->type.len);
    if (rc == 0)
        rc = mote_buf_append(out, a->type.ptr, a->type.len);
    if (rc != 0)
        return rc;
    size_t len_at = out->len;
    if (a->str.tag) {
        rc = mote_buf_append_byte(out, 's');
        if (rc == 0)
            rc = mote_buf_append_be32(out, 0);
        if (rc != 0)
            return rc;
        size_t start = out->len;
        mote_asn1_tag t = a->str.tag;
        if (t == MOTE_ASN1_PRINTABLE_STRING || t == MOTE_ASN1_UTF8_STRING ||
            t == MOTE_ASN1_IA5_STRING || t == MOTE_ASN1_VISIBLE_STRING ||
            t == MOTE_ASN1_NUMERIC_STRING) {
            rc = append_folded(out, a->str.value.ptr, a->str.value.len);
        } else {
            mote_buf u;
            mote_buf_init(&u, 1u << 20);
            rc = mote_asn1_string_to_utf8(t, a->str.value, &u);
            if (rc == 0)
                rc = append_folded(out, u.data, u.len);
            mote_buf_free(&u);
        }
        if (rc != 0)
            return rc;
        mote_store_be32(out->data + len_at + 1, (uint32_t)(out->len - start));
    } else {
        rc = mote_buf_append_byte(out, 'r');
        if (rc == 0)
            rc = mote_buf_append_be32(out, (uint32_t)a->value.raw.len);
        if (rc == 0)
            rc = mote_buf_append(out, a->value.raw.ptr, a->value.raw.len);
    }
    return rc;
}

struct piece {
    size_t off, len;
};

static int piece_cmp(const uint8_t *base, struct piece a, struct piece b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(base + a.off, base + b.off, n);
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

int x509_name_canonical(const mote_x509_name *n, mote_buf *out)
{
    int rc = mote_buf_append_be32(out, (uint32_t)n->n_rdns);
    size_t i = 0;
    while (rc == 0 && i < n->n_avas) {
        size_t j = i;
        while (j < n->n_avas && n->avas[j].rdn == n->avas[i].rdn)
            j++;
        rc = mote_buf_append_be16(out, (uint16_t)(j - i));
        if (rc != 0)
            break;
        if (j - i == 1) {
            rc = ava_canonical(&n->avas[i], out);
        } else {
            /* A multi-valued RDN is a set: sort the attributes' forms. */
            mote_buf tmp;
            mote_buf_init(&tmp, 1u << 20);
            struct piece pieces[MOTE_X509_MAX_NAME_AVAS];
            size_t np = 0;
            for (size_t k = i; k < j && rc == 0; k++) {
                size_t off = tmp.len;
                rc = ava_canonical(&n->avas[k], &tmp);
                pieces[np].off = off;
                pieces[np].len = tmp.len - off;
                np++;
            }
            for (size_t a = 1; a < np && rc == 0; a++) {
                struct piece key = pieces[a];
                size_t b = a;
                while (b > 0 && piece_cmp(tmp.data, pieces[b - 1], key) > 0) {
                    pieces[b] = pieces[b - 1];
                    b--;
                }
                pieces[b] = key;
            }
            for (size_t a = 0; a < np && rc == 0; a++)
                rc = mote_buf_append(out, tmp.data + pieces[a].off, pieces[a].len);
            mote_buf_free(&tmp);
        }
        i = j;
    }
    return rc;
}

int mote_x509_name_canonical(const mote_x509_name *n, mote_buf *out)
{
    return x509_name_canonical(n, out);
}

int mote_x509_name_equal(const mote_x509_name *a, const mote_x509_name *b)
{
    if (a->n_rdns != b->n_rdns || a->n_avas != b->n_avas)
        return 0;
    if (mote_slice_eq(a->der, b->der))
        return 1;
    mote_buf x, y;
    mote_buf_init(&x, 1u << 20);
    mote_buf_init(&y, 1u << 20);
    int eq = x509_name_canonical(a, &x) == 0 && x509_name_canonical(b, &y) == 0 &&
             mote_slice_eq(mote_buf_slice(&x), mote_buf_slice(&y));
    mote_buf_free(&x);
    mote_buf_free(&y);
    return eq;
}

/* ---- RFC 4514 ------------------------------------------------------------ */

static int print_value(mote_buf *out, const mote_x509_ava *a)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    if (!a->str.tag) {
        rc = mote_buf_append_byte(out, '#');
        for (size_t i = 0; i < a->value.raw.len && rc == 0; i++) {
            uint8_t ch = a->value.raw.ptr[i];
            char h[2] = {hex[ch >> 4], hex[ch & 15]};
            rc = mote_buf_append(out, h, 2);
        }
        return rc;
    }
    mote_buf u;
    mote_buf_init(&u, 1u << 20);
    rc = mote_asn1_string_to_utf8(a->str.tag, a->str.value, &u);
    for (size_t i = 0; i < u.len && rc == 0; i++) {
        uint8_t ch = u.data[i];
        int esc = ch == ',' || ch == '+' || ch == '"' || ch == '\\' || ch == '<' || ch == '>' ||
                  ch == ';' || (i == 0 && (ch == '#' || ch == ' ')) ||
                  (i + 1 == u.len && ch == ' ');
        if (ch < 0x20 || ch == 0x7f) {
            char h[3] = {'\\', hex[ch >> 4], hex[ch & 15]};
            rc = mote_buf_append(out, h, 3);
            continue;
        }
        if (esc)
            rc = mote_buf_append_byte(out, '\\');
        if (rc == 0)
            rc = mote_buf_append_byte(out, ch);
    }
    mote_buf_free(&u);
    return rc;
}

int mote_x509_name_print(const mote_x509_name *n, mote_buf *out)
{
    int rc = 0;
    /* RFC 4514 2.1: the last RDN of the sequence comes first. */
    for (size_t r = n->n_rdns; r-- > 0 && rc == 0;) {
        int first = 1;
        for (size_t i = 0; i < n->n_avas && rc == 0; i++) {
            const mote_x509_ava *a = &n->avas[i];
            if (a->rdn != r)
                continue;
            if (!first)
                rc = mote_buf_append_byte(out, '+');
            else if (r + 1 != n->n_rdns)
                rc = mote_buf_append_byte(out, ',');
            first = 0;
            mote_asn1_oid_id id = mote_asn1_oid_lookup(a->type);
            const char *nm = id ? mote_asn1_oid_short_name(id) : NULL;
            if (rc == 0 && nm) {
                rc = mote_buf_append(out, nm, strlen(nm));
            } else if (rc == 0) {
                char dotted[MOTE_ASN1_OID_TEXT_MAX];
                if (mote_asn1_oid_to_text(a->type, dotted, sizeof(dotted)) != 0)
                    snprintf(dotted, sizeof(dotted), "?");
                rc = mote_buf_append(out, dotted, strlen(dotted));
            }
            if (rc == 0)
                rc = mote_buf_append_byte(out, '=');
            if (rc == 0)
                rc = print_value(out, a);
        }
    }
    /* Keep a NUL after the text so out->data is a C string. */
    if (rc == 0) {
        rc = mote_buf_append_byte(out, 0);
        if (rc == 0)
            out->len--;
    }
    return rc;
}
