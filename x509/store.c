/*
 * store.c - PEM bundles and trust stores.
 */
#include <stdlib.h>
#include <string.h>

#include "x509_internal.h"

struct mote_x509_store {
    mote_x509_certs certs;
    uint64_t *hashes; /* FNV-1a of each certificate's DER, for duplicates */
};

/* PEM if the text holds a BEGIN line anywhere (RFC 7468 allows text
 * before, between and after blocks); otherwise DER. */
static int is_pem(mote_slice t)
{
    static const char tag[] = "-----BEGIN ";
    size_t n = sizeof(tag) - 1;
    for (size_t i = 0; i + n <= t.len; i++)
        if (t.ptr[i] == '-' && memcmp(t.ptr + i, tag, n) == 0)
            return 1;
    return 0;
}

static uint64_t fnv(mote_slice s)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < s.len; i++) {
        h ^= s.ptr[i];
        h *= 1099511628211ull;
    }
    return h;
}

int mote_x509_certs_parse(mote_x509_certs *l, const uint8_t *text, size_t len, char *why,
                          size_t why_len)
{
    mote_slice t = mote_slice_make(text, len);
    size_t start_n = l->n;
    int rc = 0;
    if (!is_pem(t)) {
        /* Not PEM: one DER certificate. */
        mote_x509_cert *c = mote_x509_cert_parse(text, len, &rc, why, why_len);
        if (!c)
            return rc;
        rc = mote_x509_certs_push(l, c);
        mote_x509_cert_free(c);
        return rc;
    }
    mote_asn1_pem_reader pr;
    mote_asn1_pem_reader_init(&pr, t);
    mote_buf der;
    mote_buf_init(&der, MOTE_X509_MAX_CERT_LEN);
    size_t block = 0;
    for (;;) {
        mote_slice label;
        mote_asn1_error e;
        size_t off = 0;
        mote_buf_reset(&der);
        rc = mote_asn1_pem_next(&pr, &label, &der, &off, &e);
        if (rc == MOTE_ENOTFOUND) {
            rc = 0;
            break;
        }
        block++;
        if (rc != 0) {
            x509_why(why, why_len, "PEM block %zu: malformed at offset %zu", block, e.offset);
            break;
        }
        if (!mote_slice_eq(label, mote_slice_str("CERTIFICATE")) &&
            !mote_slice_eq(label, mote_slice_str("TRUSTED CERTIFICATE")))
            continue;
        if (l->n - start_n >= MOTE_X509_MAX_BUNDLE) {
            rc = MOTE_ELIMIT;
            x509_why(why, why_len, "more than %u certificates", MOTE_X509_MAX_BUNDLE);
            break;
        }
        char w[200];
        mote_x509_cert *c = mote_x509_cert_parse(der.data, der.len, &rc, w, sizeof(w));
        if (!c) {
            x509_why(why, why_len, "PEM block %zu (offset %zu): %s", block, off, w);
            break;
        }
        rc = mote_x509_certs_push(l, c);
        mote_x509_cert_free(c);
        if (rc != 0)
            break;
    }
    mote_buf_free(&der);
    if (rc != 0) {
        while (l->n > start_n)
            mote_x509_cert_free(l->v[--l->n]);
    }
    return rc;
}

mote_x509_store *mote_x509_store_new(int *err)
{
    mote_x509_store *s = calloc(1, sizeof(*s));
    if (!s && err)
        *err = MOTE_ENOMEM;
    return s;
}

void mote_x509_store_free(mote_x509_store *s)
{
    if (!s)
        return;
    mote_x509_certs_clear(&s->certs);
    free(s->hashes);
    free(s);
}

int mote_x509_store_add(mote_x509_store *s, mote_x509_cert *c)
{
    mote_slice der = mote_x509_cert_der(c);
    uint64_t h = fnv(der);
    for (size_t i = 0; i < s->certs.n; i++)
        if (s->hashes[i] == h && mote_slice_eq(mote_x509_cert_der(s->certs.v[i]), der))
            return 1;
    if (s->certs.n == s->certs.cap) {
        size_t cap = s->certs.cap ? s->certs.cap * 2 : 16;
        uint64_t *hs = realloc(s->hashes, cap * sizeof(*hs));
        if (!hs)
            return MOTE_ENOMEM;
        s->hashes = hs;
        mote_x509_cert **v = realloc(s->certs.v, cap * sizeof(*v));
        if (!v)
            return MOTE_ENOMEM;
        s->certs.v = v;
        s->certs.cap = cap;
    }
    s->hashes[s->certs.n] = h;
    return mote_x509_certs_push(&s->certs, c);
}

int mote_x509_store_add_pem(mote_x509_store *s, const uint8_t *text, size_t len, size_t *added,
                            size_t *dups, size_t *bad)
{
    size_t a = 0, d = 0, b = 0, seen = 0;
    mote_slice t = mote_slice_make(text, len);
    int rc = 0;
    if (!is_pem(t)) {
        mote_x509_cert *c = mote_x509_cert_parse(text, len, &rc, NULL, 0);
        if (!c)
            return rc;
        rc = mote_x509_store_add(s, c);
        mote_x509_cert_free(c);
        if (rc < 0)
            return rc;
        if (added)
            *added += rc == 0;
        if (dups)
            *dups += rc == 1;
        return 0;
    }
    mote_asn1_pem_reader pr;
    mote_asn1_pem_reader_init(&pr, t);
    mote_buf der;
    mote_buf_init(&der, MOTE_X509_MAX_CERT_LEN);
    for (;;) {
        mote_slice label;
        mote_asn1_error e;
        mote_buf_reset(&der);
        rc = mote_asn1_pem_next(&pr, &label, &der, NULL, &e);
        if (rc == MOTE_ENOTFOUND) {
            rc = 0;
            break;
        }
        if (rc == MOTE_ENOMEM)
            break;
        if (rc != 0) {
            /* A malformed block: count it and stop (the reader cannot
             * resynchronise reliably inside a broken block). */
            b++;
            rc = 0;
            break;
        }
        if (!mote_slice_eq(label, mote_slice_str("CERTIFICATE")) &&
            !mote_slice_eq(label, mote_slice_str("TRUSTED CERTIFICATE")))
            continue;
        seen++;
        int err = 0;
        mote_x509_cert *c = mote_x509_cert_parse(der.data, der.len, &err, NULL, 0);
        if (!c) {
            b++;
            continue;
        }
        int r = mote_x509_store_add(s, c);
        mote_x509_cert_free(c);
        if (r < 0) {
            rc = r;
            break;
        }
        if (r == 0)
            a++;
        else
            d++;
    }
    mote_buf_free(&der);
    if (added)
        *added += a;
    if (dups)
        *dups += d;
    if (bad)
        *bad += b;
    if (rc == 0 && seen == 0 && b == 0)
        return MOTE_EDECODE;
    return rc;
}

struct kv_walk {
    mote_x509_store *s;
    mote_kv *kv;
    size_t *added, *dups, *bad;
    int err;
};

static int kv_one(void *arg, const char *key)
{
    struct kv_walk *w = arg;
    uint64_t size = 0;
    if (mote_kv_size(w->kv, key, &size) != 0 || size == 0 || size > (4u << 20))
        return 0;
    uint8_t *buf = malloc((size_t)size);
    if (!buf) {
        w->err = MOTE_ENOMEM;
        return MOTE_ENOMEM;
    }
    size_t got = 0;
    if (mote_kv_read(w->kv, key, 0, buf, (size_t)size, &got) == 0) {
        int rc = mote_x509_store_add_pem(w->s, buf, got, w->added, w->dups, w->bad);
        if (rc == MOTE_ENOMEM)
            w->err = rc;
        else if (rc != 0 && w->bad)
            (*w->bad)++;
    }
    free(buf);
    return w->err;
}

int mote_x509_store_load_kv(mote_x509_store *s, mote_kv *kv, const char *prefix, size_t *added,
                            size_t *dups, size_t *bad)
{
    struct kv_walk w = {s, kv, added, dups, bad, 0};
    int rc = mote_kv_list(kv, prefix ? prefix : "", kv_one, &w);
    return w.err ? w.err : rc;
}

size_t mote_x509_store_count(const mote_x509_store *s)
{
    return s->certs.n;
}

mote_x509_cert *mote_x509_store_get(const mote_x509_store *s, size_t i)
{
    return i < s->certs.n ? s->certs.v[i] : NULL;
}
