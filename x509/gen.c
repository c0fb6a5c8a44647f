/*
 * gen.c - building and signing certificates (RFC 5280) and PKCS#10
 * certification requests (RFC 2986) with libmote-asn1's writer and
 * libmote-crypto's keys.
 */
#include <stdlib.h>
#include <string.h>

#include "x509_internal.h"

#define MAX_ITEMS 64

struct item {
    mote_x509_gn_type type;
    size_t off, len;
    bool excluded;
};

struct mote_x509_builder {
    mote_buf subject; /* Name DER */
    uint8_t serial[20];
    size_t serial_len;
    mote_time nb, na;
    bool has_validity;
    bool has_ca, ca;
    int pathlen;
    bool has_ku;
    uint32_t ku;
    mote_asn1_oid_id eku[16];
    size_t n_eku;
    struct item san[MAX_ITEMS], nc[MAX_ITEMS], pol[16];
    size_t n_san, n_nc, n_pol;
    mote_buf pool; /* bytes of SAN and NC values */
};

mote_x509_builder *mote_x509_builder_new(int *err)
{
    mote_x509_builder *b = calloc(1, sizeof(*b));
    if (!b) {
        if (err)
            *err = MOTE_ENOMEM;
        return NULL;
    }
    mote_buf_init(&b->subject, 1u << 16);
    mote_buf_init(&b->pool, 1u << 16);
    b->pathlen = -1;
    return b;
}

void mote_x509_builder_free(mote_x509_builder *b)
{
    if (!b)
        return;
    mote_buf_free(&b->subject);
    mote_buf_free(&b->pool);
    free(b);
}

static const struct {
    const char *name;
    mote_asn1_oid_id id;
    mote_asn1_tag tag;
} dn_types[] = {
    {"CN", MOTE_ASN1_OID_CN, MOTE_ASN1_UTF8_STRING},
    {"C", MOTE_ASN1_OID_C, MOTE_ASN1_PRINTABLE_STRING},
    {"O", MOTE_ASN1_OID_O, MOTE_ASN1_UTF8_STRING},
    {"OU", MOTE_ASN1_OID_OU, MOTE_ASN1_UTF8_STRING},
    {"L", MOTE_ASN1_OID_L, MOTE_ASN1_UTF8_STRING},
    {"ST", MOTE_ASN1_OID_ST, MOTE_ASN1_UTF8_STRING},
    {"STREET", MOTE_ASN1_OID_STREET, MOTE_ASN1_UTF8_STRING},
    {"serialNumber", MOTE_ASN1_OID_SERIAL_NUMBER, MOTE_ASN1_PRINTABLE_STRING},
    {"emailAddress", MOTE_ASN1_OID_EMAIL_ADDRESS, MOTE_ASN1_IA5_STRING},
    {"DC", MOTE_ASN1_OID_DOMAIN_COMPONENT, MOTE_ASN1_IA5_STRING},
    {"UID", MOTE_ASN1_OID_USER_ID, MOTE_ASN1_UTF8_STRING},
};

#define MAX_RDNS 32

int mote_x509_builder_set_subject(mote_x509_builder *b, const char *dn)
{
    if (!dn)
        return MOTE_EINVAL;
    /* Split into attributes (first printed = last RDN). */
    char vals[MAX_RDNS][256];
    int types[MAX_RDNS];
    size_t n = 0;
    const char *p = dn;
    while (*p) {
        if (n == MAX_RDNS)
            return MOTE_EINVAL;
        const char *eq = strchr(p, '=');
        if (!eq)
            return MOTE_EINVAL;
        int t = -1;
        for (size_t i = 0; i < sizeof(dn_types) / sizeof(dn_types[0]); i++)
            if (strlen(dn_types[i].name) == (size_t)(eq - p) &&
                strncmp(dn_types[i].name, p, (size_t)(eq - p)) == 0)
                t = (int)i;
        if (t < 0)
            return MOTE_EINVAL;
        size_t k = 0;
        p = eq + 1;
        while (*p && *p != ',') {
            if (*p == '\\' && p[1])
                p++;
            if (k + 1 >= sizeof(vals[0]))
                return MOTE_EINVAL;
            vals[n][k++] = *p++;
        }
        vals[n][k] = 0;
        if (k == 0)
            return MOTE_EINVAL;
        types[n++] = t;
        if (*p == ',')
            p++;
    }
    if (n == 0)
        return MOTE_EINVAL;
    mote_buf_reset(&b->subject);
    mote_asn1_writer w;
    mote_asn1_writer_init(&w, &b->subject);
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    for (size_t i = n; i-- > 0;) {
        mote_asn1_begin_set_of(&w, MOTE_ASN1_SET);
        mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
        mote_asn1_write_oid_id(&w, dn_types[types[i]].id);
        mote_asn1_write_string(&w, dn_types[types[i]].tag, mote_slice_str(vals[i]));
        mote_asn1_end(&w);
        mote_asn1_end(&w);
    }
    mote_asn1_end(&w);
    int rc = mote_asn1_writer_finish(&w);
    if (rc != 0) {
        mote_buf_reset(&b->subject);
        return rc == MOTE_ENOMEM ? rc : MOTE_EINVAL;
    }
    return 0;
}

int mote_x509_builder_set_subject_der(mote_x509_builder *b, mote_slice der)
{
    mote_x509_name n;
    if (mote_x509_name_parse(der, &n) != 0)
        return MOTE_EINVAL;
    mote_x509_name_clear(&n);
    mote_buf_reset(&b->subject);
    return mote_buf_append(&b->subject, der.ptr, der.len);
}

int mote_x509_builder_set_serial(mote_x509_builder *b, const uint8_t *serial, size_t len)
{
    while (len > 0 && serial[0] == 0) {
        serial++;
        len--;
    }
    if (len == 0 || len > 20)
        return MOTE_EINVAL;
    memcpy(b->serial, serial, len);
    b->serial_len = len;
    return 0;
}

int mote_x509_builder_set_validity(mote_x509_builder *b, mote_time nb, mote_time na)
{
    if (na.sec < nb.sec)
        return MOTE_EINVAL;
    b->nb = nb;
    b->na = na;
    b->has_validity = true;
    return 0;
}

int mote_x509_builder_set_ca(mote_x509_builder *b, bool ca, int pathlen)
{
    if (!ca && pathlen >= 0)
        return MOTE_EINVAL;
    b->has_ca = true;
    b->ca = ca;
    b->pathlen = pathlen;
    return 0;
}

int mote_x509_builder_set_key_usage(mote_x509_builder *b, uint32_t ku)
{
    if (ku == 0 || ku >> 9)
        return MOTE_EINVAL;
    b->has_ku = true;
    b->ku = ku;
    return 0;
}

int mote_x509_builder_add_eku(mote_x509_builder *b, mote_asn1_oid_id id)
{
    if (b->n_eku == sizeof(b->eku) / sizeof(b->eku[0]) || mote_asn1_oid_bytes(id).len == 0)
        return MOTE_EINVAL;
    b->eku[b->n_eku++] = id;
    return 0;
}

static int add_item(mote_x509_builder *b, struct item *arr, size_t *n, mote_x509_gn_type type,
                    const void *v, size_t len, bool excluded)
{
    if (*n == MAX_ITEMS)
        return MOTE_ELIMIT;
    size_t off = b->pool.len;
    int rc = mote_buf_append(&b->pool, v, len);
    if (rc != 0)
        return rc;
    arr[*n].type = type;
    arr[*n].off = off;
    arr[*n].len = len;
    arr[*n].excluded = excluded;
    (*n)++;
    return 0;
}

int mote_x509_builder_add_dns(mote_x509_builder *b, const char *name)
{
    if (!name || !x509_dns_name_valid(mote_slice_str(name), true))
        return MOTE_EINVAL;
    return add_item(b, b->san, &b->n_san, MOTE_X509_GN_DNS, name, strlen(name), false);
}

int mote_x509_builder_add_ip(mote_x509_builder *b, const char *ip)
{
    uint8_t a[16];
    size_t len;
    if (mote_x509_parse_ip(ip, a, &len) != 0)
        return MOTE_EINVAL;
    return add_item(b, b->san, &b->n_san, MOTE_X509_GN_IP, a, len, false);
}

int mote_x509_builder_add_policy(mote_x509_builder *b, const char *dotted)
{
    uint8_t oid[MOTE_ASN1_OID_MAX];
    size_t len;
    if (!dotted || b->n_pol == sizeof(b->pol) / sizeof(b->pol[0]) ||
        mote_asn1_oid_from_text(dotted, oid, sizeof(oid), &len) != 0)
        return MOTE_EINVAL;
    for (size_t i = 0; i < b->n_pol; i++)
        if (b->pol[i].len == len && memcmp(b->pool.data + b->pol[i].off, oid, len) == 0)
            return MOTE_EEXIST; /* RFC 5280 4.2.1.4: no policy twice */
    return add_item(b, b->pol, &b->n_pol, MOTE_X509_GN_RID, oid, len, false);
}

int mote_x509_builder_add_nc_dns(mote_x509_builder *b, const char *name, bool excluded)
{
    if (!name || !x509_dns_name_valid(mote_slice_str(name), false))
        return MOTE_EINVAL;
    return add_item(b, b->nc, &b->n_nc, MOTE_X509_GN_DNS, name, strlen(name), excluded);
}

/* ---- encoding ------------------------------------------------------------ */

static int sig_alg_for(const mote_crypto_privkey *k, mote_crypto_sig_alg *alg,
                       mote_asn1_oid_id *oid, int *null_params)
{
    *null_params = 0;
    switch (mote_crypto_privkey_type(k)) {
    case MOTE_CRYPTO_KEY_RSA:
        *alg = MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256;
        *oid = MOTE_ASN1_OID_SHA256_WITH_RSA;
        *null_params = 1;
        return 0;
    case MOTE_CRYPTO_KEY_P256:
        *alg = MOTE_CRYPTO_SIG_ECDSA_SHA256;
        *oid = MOTE_ASN1_OID_ECDSA_WITH_SHA256;
        return 0;
    case MOTE_CRYPTO_KEY_P384:
        *alg = MOTE_CRYPTO_SIG_ECDSA_SHA384;
        *oid = MOTE_ASN1_OID_ECDSA_WITH_SHA384;
        return 0;
    case MOTE_CRYPTO_KEY_ED25519:
        *alg = MOTE_CRYPTO_SIG_ED25519;
        *oid = MOTE_ASN1_OID_ED25519;
        return 0;
    default:
        return MOTE_EUNSUPPORTED;
    }
}

static void write_algid(mote_asn1_writer *w, mote_asn1_oid_id oid, int null_params)
{
    mote_asn1_begin(w, MOTE_ASN1_SEQUENCE);
    mote_asn1_write_oid_id(w, oid);
    if (null_params)
        mote_asn1_write_null(w);
    mote_asn1_end(w);
}

/* subjectPublicKey bits of an SPKI. */
static int spki_key_bits(mote_slice spki, mote_slice *bits)
{
    mote_asn1_reader r;
    mote_asn1_bits b;
    mote_asn1_reader_init(&r, spki.ptr, spki.len);
    if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0 || mote_asn1_next(&r, NULL) != 0 ||
        mote_asn1_read_bits(&r, &b) != 0 || mote_asn1_leave(&r) != 0)
        return MOTE_EDECODE;
    *bits = b.bytes;
    return 0;
}

/* RFC 7093 2 (1): the leftmost 160 bits of the SHA-256 of the key bits. */
static int key_id(mote_slice spki, uint8_t out[20])
{
    mote_slice bits;
    uint8_t h[32];
    int rc = spki_key_bits(spki, &bits);
    if (rc == 0)
        rc = mote_crypto_hash(MOTE_CRYPTO_HASH_SHA256, bits.ptr, bits.len, h);
    if (rc == 0)
        memcpy(out, h, 20);
    return rc;
}

static void write_gn(mote_asn1_writer *w, const mote_x509_builder *b, const struct item *it)
{
    mote_slice v = mote_slice_make(b->pool.data + it->off, it->len);
    mote_asn1_write_tlv(w, MOTE_ASN1_CONTEXT(it->type), v);
}

/* One extension: the value is written with its own writer into a buffer,
 * then wrapped as SEQUENCE { extnID, critical, OCTET STRING }. */
struct extw {
    mote_asn1_writer *outer;
    mote_buf val;
    mote_asn1_writer w;
    mote_asn1_oid_id id;
    bool critical;
};

static mote_asn1_writer *ext_begin(struct extw *e, mote_asn1_writer *outer, mote_asn1_oid_id id,
                                   bool critical)
{
    e->outer = outer;
    e->id = id;
    e->critical = critical;
    mote_buf_init(&e->val, 1u << 16);
    mote_asn1_writer_init(&e->w, &e->val);
    return &e->w;
}

static void ext_end(struct extw *e)
{
    int rc = mote_asn1_writer_finish(&e->w);
    mote_asn1_writer *w = e->outer;
    if (rc != 0 && w->err == 0)
        w->err = rc;
    mote_asn1_begin(w, MOTE_ASN1_SEQUENCE);
    mote_asn1_write_oid_id(w, e->id);
    if (e->critical)
        mote_asn1_write_bool(w, true);
    mote_asn1_write_octets(w, mote_buf_slice(&e->val));
    mote_asn1_end(w);
    mote_buf_free(&e->val);
}

/* The extensions common to certificates and requests: BC, KU, EKU, SAN, NC. */
static void write_exts(mote_asn1_writer *w, const mote_x509_builder *b, bool cert,
                       mote_crypto_key_type kt)
{
    if (cert) {
        struct extw e;
        mote_asn1_writer *v = ext_begin(&e, w, MOTE_ASN1_OID_BASIC_CONSTRAINTS, true);
        mote_asn1_begin(v, MOTE_ASN1_SEQUENCE);
        if (b->ca)
            mote_asn1_write_bool(v, true);
        if (b->ca && b->pathlen >= 0)
            mote_asn1_write_int64(v, b->pathlen);
        mote_asn1_end(v);
        ext_end(&e);
        uint32_t ku = b->has_ku ? b->ku
                      : b->ca   ? (MOTE_X509_KU_KEY_CERT_SIGN | MOTE_X509_KU_CRL_SIGN)
                                : (MOTE_X509_KU_DIGITAL_SIGNATURE |
                                 (kt == MOTE_CRYPTO_KEY_RSA ? MOTE_X509_KU_KEY_ENCIPHERMENT : 0));
        v = ext_begin(&e, w, MOTE_ASN1_OID_KEY_USAGE, true);
        mote_asn1_write_named_bits(v, ku);
        ext_end(&e);
    }
    if (b->n_eku) {
        struct extw e;
        mote_asn1_writer *v = ext_begin(&e, w, MOTE_ASN1_OID_EXT_KEY_USAGE, false);
        mote_asn1_begin(v, MOTE_ASN1_SEQUENCE);
        for (size_t i = 0; i < b->n_eku; i++)
            mote_asn1_write_oid_id(v, b->eku[i]);
        mote_asn1_end(v);
        ext_end(&e);
    }
    if (b->n_san) {
        struct extw e;
        mote_asn1_writer *v = ext_begin(&e, w, MOTE_ASN1_OID_SUBJECT_ALT_NAME, false);
        mote_asn1_begin(v, MOTE_ASN1_SEQUENCE);
        for (size_t i = 0; i < b->n_san; i++)
            write_gn(v, b, &b->san[i]);
        mote_asn1_end(v);
        ext_end(&e);
    }
    if (cert && b->n_pol) {
        struct extw e;
        mote_asn1_writer *v = ext_begin(&e, w, MOTE_ASN1_OID_CERTIFICATE_POLICIES, false);
        mote_asn1_begin(v, MOTE_ASN1_SEQUENCE);
        for (size_t i = 0; i < b->n_pol; i++) {
            mote_asn1_begin(v, MOTE_ASN1_SEQUENCE);
            mote_asn1_write_oid(v, mote_slice_make(b->pool.data + b->pol[i].off, b->pol[i].len));
            mote_asn1_end(v);
        }
        mote_asn1_end(v);
        ext_end(&e);
    }
    if (cert && b->n_nc) {
        struct extw e;
        mote_asn1_writer *v = ext_begin(&e, w, MOTE_ASN1_OID_NAME_CONSTRAINTS, true);
        mote_asn1_begin(v, MOTE_ASN1_SEQUENCE);
        for (int ex = 0; ex < 2; ex++) {
            int any = 0;
            for (size_t i = 0; i < b->n_nc; i++)
                any |= b->nc[i].excluded == (ex == 1);
            if (!any)
                continue;
            mote_asn1_begin(v, MOTE_ASN1_CONTEXT_CONS(ex));
            for (size_t i = 0; i < b->n_nc; i++) {
                if (b->nc[i].excluded != (ex == 1))
                    continue;
                mote_asn1_begin(v, MOTE_ASN1_SEQUENCE);
                write_gn(v, b, &b->nc[i]);
                mote_asn1_end(v);
            }
            mote_asn1_end(v);
        }
        mote_asn1_end(v);
        ext_end(&e);
    }
}

/* Signs tbs and wraps it: SEQUENCE { tbs, algid, BIT STRING }. */
static int wrap_signed(mote_slice tbs, const mote_crypto_privkey *key, mote_rng *rng, mote_buf *out)
{
    mote_crypto_sig_alg alg;
    mote_asn1_oid_id oid;
    int null_params;
    int rc = sig_alg_for(key, &alg, &oid, &null_params);
    if (rc != 0)
        return rc;
    uint8_t sig[MOTE_CRYPTO_SIG_MAX_LEN];
    size_t sig_len = 0;
    rc = mote_crypto_sign(key, alg, rng, tbs.ptr, tbs.len, sig, sizeof(sig), &sig_len, 0);
    if (rc != 0)
        return rc;
    mote_asn1_writer w;
    mote_asn1_writer_init(&w, out);
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    mote_asn1_write_raw(&w, tbs);
    write_algid(&w, oid, null_params);
    mote_asn1_write_bits(&w, mote_slice_make(sig, sig_len), 0);
    mote_asn1_end(&w);
    return mote_asn1_writer_finish(&w);
}

int mote_x509_builder_sign(mote_x509_builder *b, const mote_crypto_pubkey *subject_key,
                           const mote_crypto_privkey *issuer_key, const mote_x509_cert *issuer_cert,
                           mote_rng *rng, mote_time now, mote_buf *out)
{
    if (!b || !subject_key || !issuer_key || !out || b->subject.len == 0)
        return MOTE_EINVAL;
    mote_crypto_sig_alg alg;
    mote_asn1_oid_id sig_oid;
    int null_params;
    int rc = sig_alg_for(issuer_key, &alg, &sig_oid, &null_params);
    if (rc != 0)
        return rc;
    mote_buf spki, tbs;
    mote_buf_init(&spki, 1u << 16);
    mote_buf_init(&tbs, 1u << 20);
    uint8_t ski[20], aki[20];
    rc = mote_crypto_pubkey_to_spki(subject_key, &spki);
    if (rc == 0)
        rc = key_id(mote_buf_slice(&spki), ski);
    mote_slice aki_s = mote_slice_make(ski, 20);
    if (rc == 0 && issuer_cert) {
        if (issuer_cert->x.ski.len) {
            aki_s = issuer_cert->x.ski;
        } else {
            rc = key_id(issuer_cert->spki, aki);
            aki_s = mote_slice_make(aki, 20);
        }
    }
    uint8_t serial[20];
    size_t serial_len = b->serial_len;
    if (rc == 0 && serial_len) {
        memcpy(serial, b->serial, serial_len);
    } else if (rc == 0) {
        serial_len = 16;
        rc = mote_rng_fill(rng, serial, serial_len);
        serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x01);
    }
    mote_time nb = b->nb, na = b->na;
    if (!b->has_validity) {
        nb = now;
        na = now;
        na.sec += 365 * 86400;
    }
    if (rc == 0) {
        mote_asn1_writer w;
        mote_asn1_writer_init(&w, &tbs);
        mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
        mote_asn1_begin(&w, MOTE_ASN1_CONTEXT_CONS(0));
        mote_asn1_write_int64(&w, 2);
        mote_asn1_end(&w);
        mote_asn1_write_uint(&w, mote_slice_make(serial, serial_len));
        write_algid(&w, sig_oid, null_params);
        if (issuer_cert)
            mote_asn1_write_raw(&w, issuer_cert->subject.der);
        else
            mote_asn1_write_raw(&w, mote_buf_slice(&b->subject));
        mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
        mote_asn1_write_time(&w, (mote_time){nb.sec, 0});
        mote_asn1_write_time(&w, (mote_time){na.sec, 0});
        mote_asn1_end(&w);
        mote_asn1_write_raw(&w, mote_buf_slice(&b->subject));
        mote_asn1_write_raw(&w, mote_buf_slice(&spki));
        mote_asn1_begin(&w, MOTE_ASN1_CONTEXT_CONS(3));
        mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
        write_exts(&w, b, true, mote_crypto_pubkey_type(subject_key));
        struct extw e;
        mote_asn1_writer *v = ext_begin(&e, &w, MOTE_ASN1_OID_SUBJECT_KEY_IDENTIFIER, false);
        mote_asn1_write_octets(v, mote_slice_make(ski, 20));
        ext_end(&e);
        v = ext_begin(&e, &w, MOTE_ASN1_OID_AUTHORITY_KEY_IDENTIFIER, false);
        mote_asn1_begin(v, MOTE_ASN1_SEQUENCE);
        mote_asn1_implicit(v, MOTE_ASN1_CONTEXT(0));
        mote_asn1_write_octets(v, aki_s);
        mote_asn1_end(v);
        ext_end(&e);
        mote_asn1_end(&w); /* Extensions */
        mote_asn1_end(&w); /* [3] */
        mote_asn1_end(&w); /* TBSCertificate */
        rc = mote_asn1_writer_finish(&w);
    }
    if (rc == 0)
        rc = wrap_signed(mote_buf_slice(&tbs), issuer_key, rng, out);
    mote_buf_free(&spki);
    mote_buf_free(&tbs);
    return rc;
}

int mote_x509_builder_csr(mote_x509_builder *b, const mote_crypto_privkey *key, mote_rng *rng,
                          mote_buf *out)
{
    if (!b || !key || !out || b->subject.len == 0)
        return MOTE_EINVAL;
    int err = 0;
    mote_crypto_pubkey *pub = mote_crypto_privkey_public(key, &err);
    if (!pub)
        return err;
    mote_buf spki, info;
    mote_buf_init(&spki, 1u << 16);
    mote_buf_init(&info, 1u << 20);
    int rc = mote_crypto_pubkey_to_spki(pub, &spki);
    mote_crypto_pubkey_free(pub);
    if (rc == 0) {
        /* CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) },
         *     subject Name, subjectPKInfo SubjectPublicKeyInfo,
         *     attributes [0] Attributes } */
        mote_asn1_writer w;
        mote_asn1_writer_init(&w, &info);
        mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
        mote_asn1_write_int64(&w, 0);
        mote_asn1_write_raw(&w, mote_buf_slice(&b->subject));
        mote_asn1_write_raw(&w, mote_buf_slice(&spki));
        mote_asn1_begin_set_of(&w, MOTE_ASN1_CONTEXT_CONS(0));
        if (b->n_san || b->n_eku) {
            mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
            mote_asn1_write_oid_id(&w, MOTE_ASN1_OID_EXTENSION_REQUEST);
            mote_asn1_begin_set_of(&w, MOTE_ASN1_SET);
            mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
            write_exts(&w, b, false, 0);
            mote_asn1_end(&w);
            mote_asn1_end(&w);
            mote_asn1_end(&w);
        }
        mote_asn1_end(&w);
        mote_asn1_end(&w);
        rc = mote_asn1_writer_finish(&w);
    }
    if (rc == 0)
        rc = wrap_signed(mote_buf_slice(&info), key, rng, out);
    mote_buf_free(&spki);
    mote_buf_free(&info);
    return rc;
}

/* CertificationRequest ::= SEQUENCE { certificationRequestInfo,
 *     signatureAlgorithm AlgorithmIdentifier, signature BIT STRING } */
int mote_x509_builder_from_csr(mote_x509_builder *b, const uint8_t *der, size_t len,
                               mote_crypto_pubkey **key)
{
    mote_asn1_reader r;
    mote_asn1_tlv info, subject, spki, algid;
    mote_asn1_bits sig;
    int64_t version;
    mote_slice attrs = {0};
    *key = NULL;
    mote_asn1_reader_init(&r, der, len);
    if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0 ||
        mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, &info) != 0 ||
        mote_asn1_read_int64(&r, &version) != 0 ||
        mote_asn1_expect(&r, MOTE_ASN1_SEQUENCE, &subject) != 0 ||
        mote_asn1_expect(&r, MOTE_ASN1_SEQUENCE, &spki) != 0)
        return MOTE_EDECODE;
    mote_asn1_tlv a;
    if (mote_asn1_expect(&r, MOTE_ASN1_CONTEXT_CONS(0), &a) != 0 || mote_asn1_leave(&r) != 0)
        return MOTE_EDECODE;
    attrs = a.value;
    if (mote_asn1_expect(&r, MOTE_ASN1_SEQUENCE, &algid) != 0 ||
        mote_asn1_read_bits(&r, &sig) != 0 || mote_asn1_leave(&r) != 0 ||
        mote_asn1_reader_finish(&r) != 0 || version != 0 || sig.unused)
        return MOTE_EDECODE;
    /* The self-signature, checked as a certificate's would be. */
    mote_asn1_reader ar;
    mote_asn1_reader_init(&ar, algid.value.ptr, algid.value.len);
    mote_slice oid;
    mote_asn1_tlv params = {0};
    if (mote_asn1_read_oid(&ar, &oid) != 0)
        return MOTE_EDECODE;
    if (!mote_asn1_at_end(&ar) && mote_asn1_next(&ar, &params) != 0)
        return MOTE_EDECODE;
    struct mote_x509_cert fake;
    memset(&fake, 0, sizeof(fake));
    fake.tbs = info.raw;
    fake.sig_alg = x509_sig_alg_from(oid, &params);
    fake.signature = sig.bytes;
    struct mote_x509_cert issuer;
    memset(&issuer, 0, sizeof(issuer));
    issuer.spki = spki.raw;
    mote_asn1_reader sr;
    mote_asn1_tlv kalg;
    mote_asn1_reader_init(&sr, spki.value.ptr, spki.value.len);
    if (mote_asn1_enter(&sr, MOTE_ASN1_SEQUENCE, &kalg) != 0 || mote_asn1_read_oid(&sr, &oid) != 0)
        return MOTE_EDECODE;
    mote_asn1_tlv kparams = {0};
    if (!mote_asn1_at_end(&sr) && mote_asn1_next(&sr, &kparams) != 0)
        return MOTE_EDECODE;
    issuer.key_alg = x509_key_alg_from(oid, &kparams);
    int rc = mote_x509_cert_check_signature(&fake, &issuer);
    if (rc != 0)
        return rc == MOTE_EUNSUPPORTED ? rc : MOTE_EVERIFY;
    rc = mote_x509_builder_set_subject_der(b, subject.raw);
    if (rc != 0)
        return MOTE_EDECODE;
    /* Attributes: look for extensionRequest { SEQUENCE OF Extension } and
     * take the dNSName and iPAddress entries of its subjectAltName. */
    mote_asn1_reader at;
    mote_asn1_reader_init(&at, attrs.ptr, attrs.len);
    while (!mote_asn1_at_end(&at)) {
        mote_slice aoid;
        mote_asn1_tlv vals;
        if (mote_asn1_enter(&at, MOTE_ASN1_SEQUENCE, NULL) != 0 ||
            mote_asn1_read_oid(&at, &aoid) != 0 ||
            mote_asn1_expect(&at, MOTE_ASN1_SET, &vals) != 0 || mote_asn1_leave(&at) != 0)
            return MOTE_EDECODE;
        if (!mote_asn1_oid_is(aoid, MOTE_ASN1_OID_EXTENSION_REQUEST))
            continue;
        mote_asn1_reader er;
        mote_asn1_reader_init(&er, vals.value.ptr, vals.value.len);
        if (mote_asn1_enter(&er, MOTE_ASN1_SEQUENCE, NULL) != 0)
            return MOTE_EDECODE;
        while (!mote_asn1_at_end(&er)) {
            mote_slice eoid, ev;
            bool crit = false;
            mote_asn1_tag t;
            if (mote_asn1_enter(&er, MOTE_ASN1_SEQUENCE, NULL) != 0 ||
                mote_asn1_read_oid(&er, &eoid) != 0)
                return MOTE_EDECODE;
            if (mote_asn1_peek(&er, &t) == 0 && t == MOTE_ASN1_BOOLEAN &&
                mote_asn1_read_bool(&er, &crit) != 0)
                return MOTE_EDECODE;
            if (mote_asn1_read_octets(&er, &ev) != 0 || mote_asn1_leave(&er) != 0)
                return MOTE_EDECODE;
            if (!mote_asn1_oid_is(eoid, MOTE_ASN1_OID_SUBJECT_ALT_NAME))
                continue;
            mote_asn1_reader gr;
            mote_asn1_reader_init(&gr, ev.ptr, ev.len);
            if (mote_asn1_enter(&gr, MOTE_ASN1_SEQUENCE, NULL) != 0)
                return MOTE_EDECODE;
            while (!mote_asn1_at_end(&gr)) {
                mote_x509_general_name g;
                if (x509_parse_general_name(&gr, &g) != 0)
                    return MOTE_EDECODE;
                if (g.type == MOTE_X509_GN_DNS &&
                    add_item(b, b->san, &b->n_san, g.type, g.value.ptr, g.value.len, false))
                    return MOTE_ELIMIT;
                if (g.type == MOTE_X509_GN_IP && (g.value.len == 4 || g.value.len == 16) &&
                    add_item(b, b->san, &b->n_san, g.type, g.value.ptr, g.value.len, false))
                    return MOTE_ELIMIT;
            }
        }
    }
    int err = 0;
    *key = mote_crypto_pubkey_from_spki(spki.raw.ptr, spki.raw.len, &err);
    return *key ? 0 : err;
}
