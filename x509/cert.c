/*
 * cert.c - parsing X.509 certificates (RFC 5280 section 4.1) with
 * libmote-asn1's declarative schemas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509_internal.h"

/* ---- arena --------------------------------------------------------------- */

void *x509_arena_alloc(struct x509_arena *a, size_t n)
{
    size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (need == 0)
        need = sizeof(max_align_t);
    if (a->inline_ptr && a->inline_cap - a->inline_used >= need) {
        void *p = a->inline_ptr + a->inline_used;
        a->inline_used += need;
        memset(p, 0, n);
        return p;
    }
    struct x509_chunk *ch = a->chunks;
    if (!ch || ch->cap - ch->used < need) {
        size_t cap = need > 4096 ? need : 4096;
        ch = malloc(sizeof(*ch) + cap);
        if (!ch)
            return NULL;
        ch->cap = cap;
        ch->used = 0;
        ch->next = a->chunks;
        a->chunks = ch;
    }
    void *p = (unsigned char *)ch->data + ch->used;
    ch->used += need;
    memset(p, 0, n);
    return p;
}

void x509_arena_free(struct x509_arena *a)
{
    struct x509_chunk *ch = a->chunks;
    while (ch) {
        struct x509_chunk *next = ch->next;
        free(ch);
        ch = next;
    }
    a->chunks = NULL;
}

static void *arena_alloc_cb(void *ctx, size_t n)
{
    return x509_arena_alloc(ctx, n);
}

void x509_why(char *why, size_t n, const char *fmt, ...)
{
    if (!why || n == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
}

/* ---- the ASN.1 module, as schemas ---------------------------------------- */

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER,
 *                                    parameters ANY DEFINED BY algorithm OPTIONAL } */
struct algid {
    mote_slice oid;
    mote_asn1_tlv params;
};
static const mote_asn1_field algorithm_identifier[] = {
    {MOTE_ASN1_F_OID(struct algid, oid)},
    {MOTE_ASN1_F_ANY(struct algid, params), MOTE_ASN1_OPTIONAL},
    MOTE_ASN1_END,
};

/* Validity ::= SEQUENCE { notBefore Time, notAfter Time } */
struct validity {
    mote_time not_before, not_after;
};
static const mote_asn1_field validity[] = {
    {MOTE_ASN1_F_TIME(struct validity, not_before)},
    {MOTE_ASN1_F_TIME(struct validity, not_after)},
    MOTE_ASN1_END,
};

/* SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
 *                                     subjectPublicKey BIT STRING } */
struct spki {
    struct algid algorithm;
    mote_asn1_bits subject_public_key;
};
static const mote_asn1_field subject_public_key_info[] = {
    {MOTE_ASN1_F_SEQUENCE(struct spki, algorithm, algorithm_identifier)},
    {MOTE_ASN1_F_BITS(struct spki, subject_public_key)},
    MOTE_ASN1_END,
};

/* Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER,
 *                          critical BOOLEAN DEFAULT FALSE,
 *                          extnValue OCTET STRING } */
struct extension {
    mote_slice extn_id;
    bool critical;
    mote_slice extn_value;
};
static const mote_asn1_field extension[] = {
    {MOTE_ASN1_F_OID(struct extension, extn_id)},
    {MOTE_ASN1_F_BOOL(struct extension, critical), MOTE_ASN1_DEFAULT(0)},
    {MOTE_ASN1_F_OCTETS(struct extension, extn_value)},
    MOTE_ASN1_END,
};

/* TBSCertificate ::= SEQUENCE {
 *     version         [0] EXPLICIT Version DEFAULT v1,
 *     serialNumber         CertificateSerialNumber,
 *     signature            AlgorithmIdentifier,
 *     issuer               Name,
 *     validity             Validity,
 *     subject              Name,
 *     subjectPublicKeyInfo SubjectPublicKeyInfo,
 *     issuerUniqueID  [1] IMPLICIT UniqueIdentifier OPTIONAL,
 *     subjectUniqueID [2] IMPLICIT UniqueIdentifier OPTIONAL,
 *     extensions      [3] EXPLICIT Extensions OPTIONAL } */
struct tbs_certificate {
    int64_t version;
    mote_slice serial_number;
    struct algid signature;
    mote_asn1_tlv signature_raw;
    mote_asn1_tlv issuer;
    struct validity validity;
    mote_asn1_tlv subject;
    struct spki subject_public_key_info;
    mote_asn1_tlv spki_raw;
    mote_asn1_bits issuer_unique_id;
    mote_asn1_bits subject_unique_id;
    bool has_issuer_uid, has_subject_uid, has_extensions;
    struct extension extensions[MOTE_X509_MAX_EXTENSIONS];
    size_t n_extensions;
};
static const mote_asn1_field tbs_certificate[] = {
    {MOTE_ASN1_F_INT64(struct tbs_certificate, version), MOTE_ASN1_EXPLICIT(0),
     MOTE_ASN1_DEFAULT(0)},
    {MOTE_ASN1_F_INTEGER(struct tbs_certificate, serial_number)},
    {MOTE_ASN1_F_SEQUENCE(struct tbs_certificate, signature, algorithm_identifier),
     MOTE_ASN1_KEEP_RAW(struct tbs_certificate, signature_raw)},
    {MOTE_ASN1_F_RAW(struct tbs_certificate, issuer, MOTE_ASN1_SEQUENCE)},
    {MOTE_ASN1_F_SEQUENCE(struct tbs_certificate, validity, validity)},
    {MOTE_ASN1_F_RAW(struct tbs_certificate, subject, MOTE_ASN1_SEQUENCE)},
    {MOTE_ASN1_F_SEQUENCE(struct tbs_certificate, subject_public_key_info, subject_public_key_info),
     MOTE_ASN1_KEEP_RAW(struct tbs_certificate, spki_raw)},
    {MOTE_ASN1_F_BITS(struct tbs_certificate, issuer_unique_id), MOTE_ASN1_IMPLICIT(1),
     MOTE_ASN1_OPTIONAL, MOTE_ASN1_PRESENT(struct tbs_certificate, has_issuer_uid)},
    {MOTE_ASN1_F_BITS(struct tbs_certificate, subject_unique_id), MOTE_ASN1_IMPLICIT(2),
     MOTE_ASN1_OPTIONAL, MOTE_ASN1_PRESENT(struct tbs_certificate, has_subject_uid)},
    {MOTE_ASN1_F_SEQUENCE_OF(struct tbs_certificate, extensions, n_extensions, extension, 1),
     MOTE_ASN1_EXPLICIT(3), MOTE_ASN1_OPTIONAL,
     MOTE_ASN1_PRESENT(struct tbs_certificate, has_extensions)},
    MOTE_ASN1_END,
};

/* Certificate ::= SEQUENCE { tbsCertificate TBSCertificate,
 *                            signatureAlgorithm AlgorithmIdentifier,
 *                            signatureValue BIT STRING } */
struct certificate {
    struct tbs_certificate tbs_certificate;
    mote_asn1_tlv tbs_raw;
    struct algid signature_algorithm;
    mote_asn1_tlv signature_algorithm_raw;
    mote_asn1_bits signature_value;
};
static const mote_asn1_field certificate[] = {
    {MOTE_ASN1_F_SEQUENCE(struct certificate, tbs_certificate, tbs_certificate),
     MOTE_ASN1_KEEP_RAW(struct certificate, tbs_raw)},
    {MOTE_ASN1_F_SEQUENCE(struct certificate, signature_algorithm, algorithm_identifier),
     MOTE_ASN1_KEEP_RAW(struct certificate, signature_algorithm_raw)},
    {MOTE_ASN1_F_BITS(struct certificate, signature_value)},
    MOTE_ASN1_END,
};

/* ---- parsing ------------------------------------------------------------- */

#define INLINE_ARENA 3072

static int fill(mote_x509_cert *c, const struct certificate *d, char *why, size_t why_len)
{
    const struct tbs_certificate *t = &d->tbs_certificate;
    if (t->version < 0 || t->version > 2) {
        x509_why(why, why_len, "unknown certificate version field %lld", (long long)t->version);
        return MOTE_EDECODE;
    }
    c->version = (int)t->version + 1;
    if ((t->has_issuer_uid || t->has_subject_uid) && c->version < 2) {
        x509_why(why, why_len, "unique identifiers in a version %d certificate", c->version);
        return MOTE_EDECODE;
    }
    if (t->has_extensions && c->version < 3) {
        x509_why(why, why_len, "extensions in a version %d certificate", c->version);
        return MOTE_EDECODE;
    }
    c->tbs = d->tbs_raw.raw;
    c->serial = t->serial_number;
    c->tbs_sig_alg_raw = t->signature_raw.raw;
    c->sig_alg_raw = d->signature_algorithm_raw.raw;
    c->sig_alg_oid = d->signature_algorithm.oid;
    c->sig_alg_params = d->signature_algorithm.params;
    c->sig_alg = x509_sig_alg_from(c->sig_alg_oid, &c->sig_alg_params);
    c->not_before = t->validity.not_before;
    c->not_after = t->validity.not_after;
    c->spki = t->spki_raw.raw;
    c->spki_alg_oid = t->subject_public_key_info.algorithm.oid;
    c->spki_params = t->subject_public_key_info.algorithm.params;
    c->pubkey = t->subject_public_key_info.subject_public_key.bytes;
    c->pubkey_unused = t->subject_public_key_info.subject_public_key.unused;
    c->key_alg = x509_key_alg_from(c->spki_alg_oid, &c->spki_params);
    c->signature = d->signature_value.bytes;
    c->signature_unused = d->signature_value.unused;
    if (t->has_issuer_uid)
        c->issuer_uid = t->issuer_unique_id.bytes;
    if (t->has_subject_uid)
        c->subject_uid = t->subject_unique_id.bytes;

    int rc = x509_name_parse(t->issuer.raw, &c->issuer, arena_alloc_cb, &c->arena);
    if (rc == 0)
        rc = x509_name_parse(t->subject.raw, &c->subject, arena_alloc_cb, &c->arena);
    if (rc != 0) {
        x509_why(why, why_len, "malformed %s name", c->issuer.der.ptr ? "subject" : "issuer");
        return rc;
    }

    c->n_exts = t->n_extensions;
    if (c->n_exts) {
        c->exts = x509_arena_alloc(&c->arena, c->n_exts * sizeof(*c->exts));
        if (!c->exts)
            return MOTE_ENOMEM;
        for (size_t i = 0; i < c->n_exts; i++) {
            c->exts[i].oid = t->extensions[i].extn_id;
            c->exts[i].critical = t->extensions[i].critical;
            c->exts[i].value = t->extensions[i].extn_value;
            c->exts[i].known = -1;
            for (size_t j = 0; j < i; j++) {
                if (mote_slice_eq(c->exts[j].oid, c->exts[i].oid)) {
                    char oid[128];
                    if (mote_asn1_oid_to_text(c->exts[i].oid, oid, sizeof(oid)) != 0)
                        snprintf(oid, sizeof(oid), "?");
                    x509_why(why, why_len, "duplicate extension %s (RFC 5280 4.2)", oid);
                    return MOTE_EDECODE;
                }
            }
        }
    }
    rc = x509_parse_extensions(c, why, why_len);
    if (rc != 0)
        return rc;

    /* Comparison forms of the names, for path building. */
    mote_buf b;
    mote_buf_init(&b, 1u << 20);
    rc = x509_name_canonical(&c->issuer, &b);
    if (rc == 0) {
        uint8_t *p = x509_arena_alloc(&c->arena, b.len ? b.len : 1);
        if (!p)
            rc = MOTE_ENOMEM;
        else {
            if (b.len)
                memcpy(p, b.data, b.len);
            c->issuer_canon = mote_slice_make(p, b.len);
        }
    }
    mote_buf_reset(&b);
    if (rc == 0)
        rc = x509_name_canonical(&c->subject, &b);
    if (rc == 0) {
        uint8_t *p = x509_arena_alloc(&c->arena, b.len ? b.len : 1);
        if (!p)
            rc = MOTE_ENOMEM;
        else {
            if (b.len)
                memcpy(p, b.data, b.len);
            c->subject_canon = mote_slice_make(p, b.len);
        }
    }
    mote_buf_free(&b);
    if (rc != 0) {
        x509_why(why, why_len, "name cannot be normalised: %s", mote_strerror(rc));
        return rc;
    }
    c->self_issued = mote_slice_eq(c->issuer_canon, c->subject_canon);
    return 0;
}

mote_x509_cert *mote_x509_cert_parse(const uint8_t *der, size_t len, int *err, char *why,
                                     size_t why_len)
{
    int dummy;
    if (!err)
        err = &dummy;
    if (why && why_len)
        why[0] = 0;
    if (!der && len) {
        *err = MOTE_EINVAL;
        return NULL;
    }
    if (len > MOTE_X509_MAX_CERT_LEN) {
        *err = MOTE_ELIMIT;
        x509_why(why, why_len, "certificate of %zu bytes is larger than the bound", len);
        return NULL;
    }
    size_t head = (sizeof(mote_x509_cert) + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
                  sizeof(max_align_t);
    size_t arena_off = head;
    size_t der_off = head + INLINE_ARENA;
    unsigned char *block = malloc(der_off + (len ? len : 1));
    if (!block) {
        *err = MOTE_ENOMEM;
        return NULL;
    }
    mote_x509_cert *c = (mote_x509_cert *)block;
    memset(c, 0, sizeof(*c));
    atomic_init(&c->refs, 1);
    c->der = block + der_off;
    c->der_len = len;
    if (len)
        memcpy(c->der, der, len);
    c->arena.inline_ptr = block + arena_off;
    c->arena.inline_cap = INLINE_ARENA;

    struct certificate *d = malloc(sizeof(*d));
    if (!d) {
        free(block);
        *err = MOTE_ENOMEM;
        return NULL;
    }
    mote_asn1_error e;
    memset(&e, 0, sizeof(e));
    int rc = mote_asn1_decode(certificate, mote_slice_make(c->der, len), d, &e);
    if (rc != 0) {
        char buf[160];
        mote_asn1_error_format(&e, buf, sizeof(buf));
        x509_why(why, why_len, "malformed certificate: %s", buf);
    } else {
        rc = fill(c, d, why, why_len);
    }
    free(d);
    if (rc != 0) {
        x509_arena_free(&c->arena);
        free(block);
        *err = rc;
        return NULL;
    }
    *err = 0;
    return c;
}

mote_x509_cert *mote_x509_cert_parse_pem(const char *pem, size_t len, int *err, char *why,
                                         size_t why_len)
{
    int dummy;
    if (!err)
        err = &dummy;
    mote_asn1_pem_reader pr;
    mote_asn1_pem_reader_init(&pr, mote_slice_make(pem, len));
    mote_buf der;
    mote_buf_init(&der, MOTE_X509_MAX_CERT_LEN);
    for (;;) {
        mote_slice label;
        mote_asn1_error e;
        mote_buf_reset(&der);
        int rc = mote_asn1_pem_next(&pr, &label, &der, NULL, &e);
        if (rc == MOTE_ENOTFOUND) {
            x509_why(why, why_len, "no CERTIFICATE block found");
            *err = MOTE_ENOTFOUND;
            mote_buf_free(&der);
            return NULL;
        }
        if (rc != 0) {
            x509_why(why, why_len, "malformed PEM at offset %zu", e.offset);
            *err = rc;
            mote_buf_free(&der);
            return NULL;
        }
        if (mote_slice_eq(label, mote_slice_str("CERTIFICATE"))) {
            mote_x509_cert *c = mote_x509_cert_parse(der.data, der.len, err, why, why_len);
            mote_buf_free(&der);
            return c;
        }
    }
}

mote_x509_cert *mote_x509_cert_ref(mote_x509_cert *c)
{
    if (c)
        atomic_fetch_add(&c->refs, 1);
    return c;
}

void mote_x509_cert_free(mote_x509_cert *c)
{
    if (!c)
        return;
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    x509_arena_free(&c->arena);
    free(c);
}

/* ---- accessors ----------------------------------------------------------- */

mote_slice mote_x509_cert_der(const mote_x509_cert *c)
{
    return mote_slice_make(c->der, c->der_len);
}
mote_slice mote_x509_cert_tbs(const mote_x509_cert *c)
{
    return c->tbs;
}
int mote_x509_cert_version(const mote_x509_cert *c)
{
    return c->version;
}
mote_slice mote_x509_cert_serial(const mote_x509_cert *c)
{
    return c->serial;
}
const mote_x509_name *mote_x509_cert_issuer(const mote_x509_cert *c)
{
    return &c->issuer;
}
const mote_x509_name *mote_x509_cert_subject(const mote_x509_cert *c)
{
    return &c->subject;
}
mote_time mote_x509_cert_not_before(const mote_x509_cert *c)
{
    return c->not_before;
}
mote_time mote_x509_cert_not_after(const mote_x509_cert *c)
{
    return c->not_after;
}
mote_slice mote_x509_cert_spki(const mote_x509_cert *c)
{
    return c->spki;
}
mote_x509_key_alg mote_x509_cert_key_alg(const mote_x509_cert *c)
{
    return c->key_alg;
}
mote_slice mote_x509_cert_public_key(const mote_x509_cert *c)
{
    return c->pubkey;
}
mote_slice mote_x509_cert_sig_alg_oid(const mote_x509_cert *c)
{
    return c->sig_alg_oid;
}
mote_x509_sig_alg mote_x509_cert_sig_alg(const mote_x509_cert *c)
{
    return c->sig_alg;
}
mote_asn1_tlv mote_x509_cert_sig_alg_params(const mote_x509_cert *c)
{
    return c->sig_alg_params;
}
mote_asn1_tlv mote_x509_cert_key_alg_params(const mote_x509_cert *c)
{
    return c->spki_params;
}
mote_slice mote_x509_cert_key_alg_oid(const mote_x509_cert *c)
{
    return c->spki_alg_oid;
}
mote_slice mote_x509_cert_signature(const mote_x509_cert *c)
{
    return c->signature;
}
mote_slice mote_x509_cert_issuer_uid(const mote_x509_cert *c)
{
    return c->issuer_uid;
}
mote_slice mote_x509_cert_subject_uid(const mote_x509_cert *c)
{
    return c->subject_uid;
}
size_t mote_x509_cert_ext_count(const mote_x509_cert *c)
{
    return c->n_exts;
}
const mote_x509_ext *mote_x509_cert_ext(const mote_x509_cert *c, size_t i)
{
    return i < c->n_exts ? &c->exts[i] : NULL;
}
const mote_x509_exts *mote_x509_cert_exts(const mote_x509_cert *c)
{
    return &c->x;
}
int mote_x509_cert_self_issued(const mote_x509_cert *c)
{
    return c->self_issued;
}

/* ---- lists --------------------------------------------------------------- */

int mote_x509_certs_push(mote_x509_certs *l, mote_x509_cert *c)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        mote_x509_cert **v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return MOTE_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = mote_x509_cert_ref(c);
    return 0;
}

void mote_x509_certs_clear(mote_x509_certs *l)
{
    for (size_t i = 0; i < l->n; i++)
        mote_x509_cert_free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
