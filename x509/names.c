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

/* Appends a string value with leading/trailing spaces removed, inner runs
 * of spaces collapsed to one, and ASCII letters folded to lower case
 * (RFC 5280 7.1 / RFC 4518 insignificant space handling, ASCII case
 * folding). */
static int append_folded(mote_buf *out, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] == ' ')
        i++;
    size_t end = n;
    while (end > i && p[end - 1] == ' ')
        end--;
    int space = 0;
    for (; i < end; i++) {
        uint8_t ch = p[i];
        if (ch == ' ') {
            space = 1;
            continue;
        }
        if (space) {
            if (mote_buf_append_byte(out, ' ') != 0)
                return MOTE_ENOMEM;
            space = 0;
        }
        if (ch >= 'A' && ch <= 'Z')
            ch = (uint8_t)(ch - 'A' + 'a');
        if (mote_buf_append_byte(out, ch) != 0)
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
