/*
 * formats.c - keys in and out: SubjectPublicKeyInfo (RFC 5280, 3279, 5480,
 * 8410), PKCS#8 PrivateKeyInfo (RFC 5208/5958), PKCS#1 RSAPrivateKey
 * (RFC 8017), SEC1 ECPrivateKey (RFC 5915), PEM (RFC 7468), and the
 * ECDSA-Sig-Value of signatures. All DER and PEM work is libmote-asn1's;
 * this file only says which elements go where.
 */
#include <string.h>

#include <nettle/bignum.h>
#include <sodium.h>

#include "mote/asn1.h"
#include "mote/asn1_pem.h"

#include "internal.h"

#define KEY_DER_MAX (64 * 1024) /* bound on one encoded key */

static void *fail(int *err, int code)
{
    if (err)
        *err = code;
    return NULL;
}

static int asn1_err(int rc)
{
    /* The reader reports MOTE_EDECODE or MOTE_ELIMIT; both mean "bad key". */
    return rc == MOTE_ELIMIT ? MOTE_EDECODE : rc;
}

/* ---- ECDSA-Sig-Value -------------------------------------------------------------- */

int mc_ecdsa_sig_from_der(const uint8_t *der, size_t len, mote_slice *r, mote_slice *s)
{
    mote_asn1_reader rd;
    mote_asn1_reader_init(&rd, der, len);
    mote_asn1_enter(&rd, MOTE_ASN1_SEQUENCE, NULL);
    mote_asn1_read_uint(&rd, r);
    mote_asn1_read_uint(&rd, s);
    mote_asn1_leave(&rd);
    return mote_asn1_reader_finish(&rd) ? MOTE_EDECODE : 0;
}

int mc_ecdsa_sig_to_der(mote_slice r, mote_slice s, uint8_t *out, size_t cap, size_t *out_len)
{
    mote_buf b;
    mote_asn1_writer w;
    mote_buf_init(&b, 256);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    mote_asn1_write_uint(&w, r);
    mote_asn1_write_uint(&w, s);
    mote_asn1_end(&w);
    int rc = mote_asn1_writer_finish(&w);
    if (rc == 0) {
        if (b.len > cap) {
            rc = MOTE_ENOSPC;
        } else {
            memcpy(out, b.data, b.len);
            *out_len = b.len;
        }
    }
    mote_buf_free(&b);
    return rc;
}

/* ---- helpers ---------------------------------------------------------------------- */

static mote_asn1_oid_id curve_oid(mote_crypto_key_type t)
{
    return t == MOTE_CRYPTO_KEY_P256 ? MOTE_ASN1_OID_P256 : MOTE_ASN1_OID_P384;
}

static mote_crypto_key_type curve_from_oid(mote_slice oid)
{
    if (mote_asn1_oid_is(oid, MOTE_ASN1_OID_P256))
        return MOTE_CRYPTO_KEY_P256;
    if (mote_asn1_oid_is(oid, MOTE_ASN1_OID_P384))
        return MOTE_CRYPTO_KEY_P384;
    return (mote_crypto_key_type)0;
}

/* Reads an AlgorithmIdentifier and tells the key type. For EC the curve
 * comes from the parameters. MOTE_EUNSUPPORTED for other algorithms. */
static int read_key_alg(mote_asn1_reader *r, mote_crypto_key_type *type)
{
    mote_slice oid, curve;
    mote_asn1_tag tag;
    int rc;
    if ((rc = mote_asn1_enter(r, MOTE_ASN1_SEQUENCE, NULL)) != 0)
        return rc;
    if ((rc = mote_asn1_read_oid(r, &oid)) != 0)
        return rc;
    if (mote_asn1_oid_is(oid, MOTE_ASN1_OID_RSA_ENCRYPTION)) {
        /* RFC 3279: parameters NULL. */
        if ((rc = mote_asn1_read_null(r)) != 0)
            return rc;
        *type = MOTE_CRYPTO_KEY_RSA;
    } else if (mote_asn1_oid_is(oid, MOTE_ASN1_OID_EC_PUBLIC_KEY)) {
        /* RFC 5480: namedCurve only (implicitCurve and specifiedCurve are
         * not allowed). */
        int prc = mote_asn1_peek(r, &tag);
        if (prc == MOTE_ENOTFOUND)
            return MOTE_EDECODE; /* parameters are required */
        if (prc)
            return prc;
        if (tag != MOTE_ASN1_OID)
            return MOTE_EUNSUPPORTED;
        if ((rc = mote_asn1_read_oid(r, &curve)) != 0)
            return rc;
        *type = curve_from_oid(curve);
        if (!*type)
            return MOTE_EUNSUPPORTED;
    } else if (mote_asn1_oid_is(oid, MOTE_ASN1_OID_ED25519)) {
        *type = MOTE_CRYPTO_KEY_ED25519; /* RFC 8410: parameters absent */
    } else {
        return MOTE_EUNSUPPORTED;
    }
    return mote_asn1_leave(r);
}

static int write_key_alg(mote_asn1_writer *w, mote_crypto_key_type t)
{
    mote_asn1_begin(w, MOTE_ASN1_SEQUENCE);
    switch (t) {
    case MOTE_CRYPTO_KEY_RSA:
        mote_asn1_write_oid_id(w, MOTE_ASN1_OID_RSA_ENCRYPTION);
        mote_asn1_write_null(w);
        break;
    case MOTE_CRYPTO_KEY_P256:
    case MOTE_CRYPTO_KEY_P384:
        mote_asn1_write_oid_id(w, MOTE_ASN1_OID_EC_PUBLIC_KEY);
        mote_asn1_write_oid_id(w, curve_oid(t));
        break;
    default:
        mote_asn1_write_oid_id(w, MOTE_ASN1_OID_ED25519);
        break;
    }
    return mote_asn1_end(w);
}

/* Writes a non-negative mpz as an INTEGER. */
static int write_mpz(mote_asn1_writer *w, const mpz_t x)
{
    uint8_t buf[MOTE_CRYPTO_RSA_VERIFY_MAX_BITS / 8 + 1];
    size_t n = nettle_mpz_sizeinbase_256_u(x);
    if (n > sizeof(buf))
        return MOTE_ERANGE;
    nettle_mpz_get_str_256(n, buf, x);
    int rc = mote_asn1_write_uint(w, mote_slice_make(buf, n));
    mote_wipe(buf, n);
    return rc;
}

/* ---- public keys ------------------------------------------------------------------- */

static mote_crypto_pubkey *rsa_pub_from_der(mote_slice der, int *err)
{
    mote_asn1_reader r;
    mote_slice n, e;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL);
    mote_asn1_read_uint(&r, &n);
    mote_asn1_read_uint(&r, &e);
    mote_asn1_leave(&r);
    int rc = mote_asn1_reader_finish(&r);
    if (rc)
        return fail(err, asn1_err(rc) == MOTE_ERANGE ? MOTE_EDECODE : asn1_err(rc));
    return mote_crypto_pubkey_from_rsa(n.ptr, n.len, e.ptr, e.len, err);
}

mote_crypto_pubkey *mote_crypto_pubkey_from_spki(const uint8_t *der, size_t len, int *err)
{
    mote_asn1_reader r;
    mote_asn1_bits bits;
    mote_crypto_key_type type = 0;
    int rc;
    if (!der)
        return fail(err, MOTE_EINVAL);
    mote_asn1_reader_init(&r, der, len);
    mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL);
    rc = read_key_alg(&r, &type);
    if (rc == MOTE_EUNSUPPORTED)
        return fail(err, rc);
    mote_asn1_read_bits(&r, &bits);
    mote_asn1_leave(&r);
    rc = mote_asn1_reader_finish(&r);
    if (rc)
        return fail(err, asn1_err(rc) == MOTE_ERANGE ? MOTE_EDECODE : asn1_err(rc));
    if (bits.unused != 0)
        return fail(err, MOTE_EDECODE);
    switch (type) {
    case MOTE_CRYPTO_KEY_RSA:
        return rsa_pub_from_der(bits.bytes, err);
    case MOTE_CRYPTO_KEY_P256:
    case MOTE_CRYPTO_KEY_P384:
        return mote_crypto_pubkey_from_ec_point(type, bits.bytes.ptr, bits.bytes.len, err);
    default:
        if (bits.bytes.len != 32)
            return fail(err, MOTE_EDECODE);
        return mote_crypto_pubkey_from_ed25519(bits.bytes.ptr, err);
    }
}

int mote_crypto_pubkey_to_spki(const mote_crypto_pubkey *k, mote_buf *out)
{
    mote_asn1_writer w;
    uint8_t pt[1 + 2 * 48];
    if (!k || !out)
        return MOTE_EINVAL;
    mote_asn1_writer_init(&w, out);
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    write_key_alg(&w, k->type);
    switch (k->type) {
    case MOTE_CRYPTO_KEY_RSA: {
        mote_buf inner;
        mote_asn1_writer iw;
        mote_buf_init(&inner, KEY_DER_MAX);
        mote_asn1_writer_init(&iw, &inner);
        mote_asn1_begin(&iw, MOTE_ASN1_SEQUENCE);
        write_mpz(&iw, k->rsa.n);
        write_mpz(&iw, k->rsa.e);
        mote_asn1_end(&iw);
        int rc = mote_asn1_writer_finish(&iw);
        if (rc == 0)
            mote_asn1_write_bits(&w, mote_buf_slice(&inner), 0);
        mote_buf_free(&inner);
        if (rc)
            return rc;
        break;
    }
    case MOTE_CRYPTO_KEY_P256:
    case MOTE_CRYPTO_KEY_P384:
        mc_ec_point_encode(k->type, &k->ec, pt);
        mote_asn1_write_bits(&w, mote_slice_make(pt, 1 + 2 * mc_curve_bytes(k->type)), 0);
        break;
    default:
        mote_asn1_write_bits(&w, mote_slice_make(k->ed, 32), 0);
        break;
    }
    mote_asn1_end(&w);
    return mote_asn1_writer_finish(&w);
}

/* Finds the first PEM block with one of the labels (other blocks, such as
 * "EC PARAMETERS", are skipped). Sets *which to the label's index. */
static int pem_find(const char *pem, size_t len, const char *const *labels, int nlabels,
                    mote_buf *der, int *which)
{
    mote_asn1_pem_reader pr;
    mote_slice label;
    mote_asn1_error e;
    int rc;
    if (!pem)
        return MOTE_EINVAL;
    mote_asn1_pem_reader_init(&pr, mote_slice_make(pem, len));
    pr.max_block = KEY_DER_MAX;
    for (;;) {
        mote_buf_reset(der);
        rc = mote_asn1_pem_next(&pr, &label, der, NULL, &e);
        if (rc == MOTE_ENOTFOUND)
            return MOTE_EDECODE;
        if (rc)
            return rc == MOTE_ELIMIT ? MOTE_ELIMIT : MOTE_EDECODE;
        for (int i = 0; i < nlabels; i++) {
            if (label.len == strlen(labels[i]) && memcmp(label.ptr, labels[i], label.len) == 0) {
                *which = i;
                return 0;
            }
        }
    }
}

mote_crypto_pubkey *mote_crypto_pubkey_from_pem(const char *pem, size_t len, int *err)
{
    static const char *const labels[] = {"PUBLIC KEY"};
    mote_buf der;
    int which, rc;
    mote_buf_init(&der, KEY_DER_MAX);
    rc = pem_find(pem, len, labels, 1, &der, &which);
    if (rc) {
        mote_buf_free(&der);
        return fail(err, rc);
    }
    mote_crypto_pubkey *k = mote_crypto_pubkey_from_spki(der.data, der.len, err);
    mote_buf_free(&der);
    return k;
}

int mote_crypto_pubkey_to_pem(const mote_crypto_pubkey *k, mote_buf *out)
{
    mote_buf der;
    int rc;
    if (!k || !out)
        return MOTE_EINVAL;
    mote_buf_init(&der, KEY_DER_MAX);
    rc = mote_crypto_pubkey_to_spki(k, &der);
    if (rc == 0)
        rc = mote_asn1_pem_write(out, "PUBLIC KEY", mote_buf_slice(&der));
    mote_buf_free(&der);
    return rc;
}

/* ---- private keys: reading --------------------------------------------------------- */

/* RSAPrivateKey (RFC 8017, A.1.2); two-prime only. */
static mote_crypto_privkey *rsa_priv_from_der(mote_slice der, int *err)
{
    mote_asn1_reader r;
    mote_slice parts[8];
    int64_t version = -1;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL);
    mote_asn1_read_int64(&r, &version);
    for (int i = 0; i < 8; i++)
        mote_asn1_read_uint(&r, &parts[i]);
    if (r.err == 0 && version == 1)
        return fail(err, MOTE_EUNSUPPORTED); /* multi-prime */
    mote_asn1_leave(&r);
    int rc = mote_asn1_reader_finish(&r);
    if (rc || version != 0)
        return fail(err, MOTE_EDECODE);
    return mc_rsa_privkey_from_parts(parts, err);
}

/* ECPrivateKey (RFC 5915). want is the curve from PKCS#8's algorithm, or 0
 * when the parameters inside must name it. */
static mote_crypto_privkey *ec_priv_from_der(mote_slice der, mote_crypto_key_type want, int *err)
{
    mote_asn1_reader r;
    mote_asn1_tlv tlv;
    mote_slice d, oid;
    mote_asn1_bits pub = {{NULL, 0}, 0};
    bool has_params = false, has_pub = false;
    int64_t version = -1;
    mote_crypto_key_type type = want;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL);
    mote_asn1_read_int64(&r, &version);
    mote_asn1_read_octets(&r, &d);
    mote_asn1_optional(&r, MOTE_ASN1_CONTEXT_CONS(0), &tlv, &has_params);
    if (has_params) {
        mote_asn1_reader pr;
        mote_asn1_reader_init(&pr, tlv.value.ptr, tlv.value.len);
        mote_asn1_read_oid(&pr, &oid);
        if (mote_asn1_reader_finish(&pr) != 0)
            return fail(err, MOTE_EUNSUPPORTED); /* not a namedCurve */
        mote_crypto_key_type named = curve_from_oid(oid);
        if (!named)
            return fail(err, MOTE_EUNSUPPORTED);
        if (want && named != want)
            return fail(err, MOTE_EDECODE);
        type = named;
    }
    mote_asn1_optional(&r, MOTE_ASN1_CONTEXT_CONS(1), &tlv, &has_pub);
    if (has_pub) {
        mote_asn1_reader pr;
        mote_asn1_reader_init(&pr, tlv.value.ptr, tlv.value.len);
        mote_asn1_read_bits(&pr, &pub);
        if (mote_asn1_reader_finish(&pr) != 0 || pub.unused)
            return fail(err, MOTE_EDECODE);
    }
    mote_asn1_leave(&r);
    if (mote_asn1_reader_finish(&r) != 0 || version != 1)
        return fail(err, MOTE_EDECODE);
    if (!type)
        return fail(err, MOTE_EDECODE); /* no curve anywhere */
    if (d.len == 0 || d.len > mc_curve_bytes(type))
        return fail(err, MOTE_EDECODE);
    mote_crypto_privkey *k = mote_crypto_privkey_from_ec_scalar(type, d.ptr, d.len, err);
    if (!k)
        return NULL;
    if (has_pub) {
        /* The public key given must be d * G. */
        uint8_t mine[1 + 2 * 48];
        struct ecc_point p;
        int ok;
        ecc_point_init(&p, mc_curve(type));
        ok = mc_ec_point_decode(type, pub.bytes.ptr, pub.bytes.len, &p) == 0;
        if (ok) {
            uint8_t theirs[1 + 2 * 48];
            mc_ec_point_encode(type, &p, theirs);
            mc_ec_point_encode(type, &k->ec_pub, mine);
            ok = memcmp(mine, theirs, 1 + 2 * mc_curve_bytes(type)) == 0;
        }
        ecc_point_clear(&p);
        if (!ok) {
            mote_crypto_privkey_free(k);
            return fail(err, MOTE_EVERIFY);
        }
    }
    return k;
}

/* 1 if the raw public key (the BIT STRING content of an SPKI: RSAPublicKey
 * DER, an EC point in either encoding, 32 Ed25519 bytes) is k's. */
static int public_matches(const mote_crypto_privkey *k, mote_slice theirs)
{
    int err, ok = 0;
    mote_buf spki;
    mote_asn1_reader r;
    mote_asn1_tlv alg;
    mote_asn1_bits mine;
    mote_crypto_pubkey *p = mote_crypto_privkey_public(k, &err);
    if (!p)
        return 0;
    if ((k->type == MOTE_CRYPTO_KEY_P256 || k->type == MOTE_CRYPTO_KEY_P384) && theirs.len &&
        theirs.ptr[0] != 0x04) {
        /* a compressed point: compare as points */
        mote_crypto_pubkey *q =
            mote_crypto_pubkey_from_ec_point(k->type, theirs.ptr, theirs.len, &err);
        if (q) {
            uint8_t a[1 + 2 * 48], b[1 + 2 * 48];
            mc_ec_point_encode(k->type, &p->ec, a);
            mc_ec_point_encode(k->type, &q->ec, b);
            ok = memcmp(a, b, 1 + 2 * mc_curve_bytes(k->type)) == 0;
            mote_crypto_pubkey_free(q);
        }
        mote_crypto_pubkey_free(p);
        return ok;
    }
    mote_buf_init(&spki, KEY_DER_MAX);
    if (mote_crypto_pubkey_to_spki(p, &spki) == 0) {
        mote_asn1_reader_init(&r, spki.data, spki.len);
        mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL);
        mote_asn1_next(&r, &alg);
        mote_asn1_read_bits(&r, &mine);
        ok = r.err == 0 && mine.bytes.len == theirs.len &&
             memcmp(mine.bytes.ptr, theirs.ptr, theirs.len) == 0;
    }
    mote_buf_free(&spki);
    mote_crypto_pubkey_free(p);
    return ok;
}

/* PrivateKeyInfo / OneAsymmetricKey (RFC 5958). */
static mote_crypto_privkey *pkcs8_from_der(mote_slice der, int *err)
{
    mote_asn1_reader r;
    mote_slice inner;
    mote_crypto_key_type type = 0;
    int64_t version = -1;
    int rc;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL);
    mote_asn1_read_int64(&r, &version);
    rc = read_key_alg(&r, &type);
    if (rc == MOTE_EUNSUPPORTED)
        return fail(err, rc);
    mote_asn1_read_octets(&r, &inner);
    /* attributes [0] IMPLICIT (ignored) and, in version 2 (v1 on the
     * wire), publicKey [1] IMPLICIT BIT STRING, checked below. */
    mote_asn1_tlv attrs, pubtlv;
    bool has_attrs = false, has_pub = false;
    mote_asn1_optional(&r, MOTE_ASN1_CONTEXT_CONS(0), &attrs, &has_attrs);
    mote_asn1_optional(&r, MOTE_ASN1_CONTEXT(1), &pubtlv, &has_pub);
    mote_asn1_leave(&r);
    if (mote_asn1_reader_finish(&r) != 0 || (version != 0 && version != 1) ||
        (has_pub && version != 1))
        return fail(err, MOTE_EDECODE);
    mote_asn1_bits pub = {{NULL, 0}, 0};
    if (has_pub && mote_asn1_decode_bits(pubtlv.value, &pub, NULL) != 0)
        return fail(err, MOTE_EDECODE);
    if (has_pub && pub.unused)
        return fail(err, MOTE_EDECODE);
    mote_crypto_privkey *k;
    switch (type) {
    case MOTE_CRYPTO_KEY_RSA:
        k = rsa_priv_from_der(inner, err);
        break;
    case MOTE_CRYPTO_KEY_P256:
    case MOTE_CRYPTO_KEY_P384:
        k = ec_priv_from_der(inner, type, err);
        break;
    default: {
        /* CurvePrivateKey ::= OCTET STRING (32 bytes) */
        mote_asn1_reader ir;
        mote_slice seed;
        mote_asn1_reader_init(&ir, inner.ptr, inner.len);
        mote_asn1_read_octets(&ir, &seed);
        if (mote_asn1_reader_finish(&ir) != 0 || seed.len != 32)
            return fail(err, MOTE_EDECODE);
        k = mote_crypto_privkey_from_ed25519_seed(seed.ptr, err);
        break;
    }
    }
    if (k && has_pub && !public_matches(k, pub.bytes)) {
        mote_crypto_privkey_free(k);
        return fail(err, MOTE_EVERIFY);
    }
    return k;
}

enum { FMT_ANY, FMT_PKCS8, FMT_PKCS1, FMT_SEC1 };

static mote_crypto_privkey *privkey_from_der(const uint8_t *der, size_t len, int want, int *err)
{
    mote_asn1_reader r;
    mote_asn1_tag tag = 0;
    int64_t version;
    int fmt;
    if (!der)
        return fail(err, MOTE_EINVAL);
    if (len > KEY_DER_MAX)
        return fail(err, MOTE_ELIMIT);
    /* Tell the formats apart by their first two elements:
     * EncryptedPrivateKeyInfo SEQUENCE { SEQUENCE, OCTET STRING }
     * PrivateKeyInfo          SEQUENCE { INTEGER 0|1, SEQUENCE, ... }
     * RSAPrivateKey           SEQUENCE { INTEGER 0, INTEGER, ... }
     * ECPrivateKey            SEQUENCE { INTEGER 1, OCTET STRING, ... } */
    mote_asn1_reader_init(&r, der, len);
    if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0 || mote_asn1_peek(&r, &tag) != 0)
        return fail(err, MOTE_EDECODE);
    if (tag == MOTE_ASN1_SEQUENCE)
        return fail(err, MOTE_EUNSUPPORTED); /* encrypted keys are not supported */
    if (mote_asn1_read_int64(&r, &version) != 0 || mote_asn1_peek(&r, &tag) != 0)
        return fail(err, MOTE_EDECODE);
    if (tag == MOTE_ASN1_SEQUENCE)
        fmt = FMT_PKCS8;
    else if (tag == MOTE_ASN1_INTEGER)
        fmt = FMT_PKCS1;
    else if (tag == MOTE_ASN1_OCTET_STRING)
        fmt = FMT_SEC1;
    else
        return fail(err, MOTE_EDECODE);
    if (want != FMT_ANY && want != fmt)
        return fail(err, MOTE_EDECODE); /* PEM label and content disagree */
    mote_slice all = mote_slice_make(der, len);
    switch (fmt) {
    case FMT_PKCS8:
        return pkcs8_from_der(all, err);
    case FMT_PKCS1:
        return rsa_priv_from_der(all, err);
    default:
        return ec_priv_from_der(all, 0, err);
    }
}

mote_crypto_privkey *mote_crypto_privkey_from_der(const uint8_t *der, size_t len, int *err)
{
    return privkey_from_der(der, len, FMT_ANY, err);
}

mote_crypto_privkey *mote_crypto_privkey_from_pem(const char *pem, size_t len, int *err)
{
    static const char *const labels[] = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
                                         "ENCRYPTED PRIVATE KEY"};
    static const int fmts[] = {FMT_PKCS8, FMT_PKCS1, FMT_SEC1};
    mote_buf der;
    int which = -1, rc;
    if (!pem)
        return fail(err, MOTE_EINVAL);
    /* RFC 1421-style encrypted PEM carries headers (Proc-Type, DEK-Info). */
    static const char proc[] = "Proc-Type:";
    for (size_t i = 0; i + sizeof(proc) - 1 <= len; i++)
        if (memcmp(pem + i, proc, sizeof(proc) - 1) == 0)
            return fail(err, MOTE_EUNSUPPORTED);
    mote_buf_init_secret(&der, KEY_DER_MAX);
    rc = pem_find(pem, len, labels, 4, &der, &which);
    if (rc == 0 && which == 3)
        rc = MOTE_EUNSUPPORTED; /* encrypted keys are not supported */
    if (rc) {
        mote_buf_free(&der);
        return fail(err, rc);
    }
    mote_crypto_privkey *k = privkey_from_der(der.data, der.len, fmts[which], err);
    mote_buf_free(&der);
    return k;
}

/* ---- private keys: writing ---------------------------------------------------------- */

static int rsa_priv_write(const mote_crypto_privkey *k, mote_asn1_writer *w)
{
    const mpz_t *parts[8];
    mc_rsa_privkey_parts(k, parts);
    mote_asn1_begin(w, MOTE_ASN1_SEQUENCE);
    mote_asn1_write_int64(w, 0);
    for (int i = 0; i < 8; i++) {
        int rc = write_mpz(w, *parts[i]);
        if (rc)
            return rc;
    }
    return mote_asn1_end(w);
}

/* with_params: SEC1 standalone carries the curve; inside PKCS#8 it is in
 * the algorithm identifier already (OpenSSL omits it there too). */
static int ec_priv_write(const mote_crypto_privkey *k, mote_asn1_writer *w, int with_params)
{
    uint8_t d[48], pt[1 + 2 * 48];
    size_t fb = mc_curve_bytes(k->type);
    mpz_t z;
    mpz_init(z);
    ecc_scalar_get(&k->ec, z);
    nettle_mpz_get_str_256(fb, d, z);
    mc_mpz_clear_secret(z);
    mc_ec_point_encode(k->type, &k->ec_pub, pt);
    mote_asn1_begin(w, MOTE_ASN1_SEQUENCE);
    mote_asn1_write_int64(w, 1);
    mote_asn1_write_octets(w, mote_slice_make(d, fb));
    if (with_params) {
        mote_asn1_begin(w, MOTE_ASN1_CONTEXT_CONS(0));
        mote_asn1_write_oid_id(w, curve_oid(k->type));
        mote_asn1_end(w);
    }
    mote_asn1_begin(w, MOTE_ASN1_CONTEXT_CONS(1));
    mote_asn1_write_bits(w, mote_slice_make(pt, 1 + 2 * fb), 0);
    mote_asn1_end(w);
    mote_wipe(d, sizeof(d));
    return mote_asn1_end(w);
}

int mote_crypto_privkey_to_der(const mote_crypto_privkey *k, mote_crypto_key_format fmt,
                               mote_buf *out)
{
    mote_asn1_writer w;
    int rc;
    if (!k || !out)
        return MOTE_EINVAL;
    if (fmt == MOTE_CRYPTO_FORMAT_TRADITIONAL) {
        mote_asn1_writer_init(&w, out);
        if (k->type == MOTE_CRYPTO_KEY_RSA)
            rc = rsa_priv_write(k, &w);
        else if (k->type == MOTE_CRYPTO_KEY_ED25519)
            return MOTE_EUNSUPPORTED;
        else
            rc = ec_priv_write(k, &w, 1);
        return rc ? rc : mote_asn1_writer_finish(&w);
    }
    if (fmt != MOTE_CRYPTO_FORMAT_PKCS8)
        return MOTE_EINVAL;
    mote_buf inner;
    mote_asn1_writer iw;
    mote_buf_init_secret(&inner, KEY_DER_MAX);
    mote_asn1_writer_init(&iw, &inner);
    if (k->type == MOTE_CRYPTO_KEY_RSA)
        rc = rsa_priv_write(k, &iw);
    else if (k->type == MOTE_CRYPTO_KEY_ED25519)
        rc = mote_asn1_write_octets(&iw, mote_slice_make(k->ed_seed, 32));
    else
        rc = ec_priv_write(k, &iw, 0);
    if (rc == 0)
        rc = mote_asn1_writer_finish(&iw);
    if (rc == 0) {
        mote_asn1_writer_init(&w, out);
        mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
        mote_asn1_write_int64(&w, 0);
        write_key_alg(&w, k->type);
        mote_asn1_write_octets(&w, mote_buf_slice(&inner));
        mote_asn1_end(&w);
        rc = mote_asn1_writer_finish(&w);
    }
    mote_buf_free(&inner);
    return rc;
}

int mote_crypto_privkey_to_pem(const mote_crypto_privkey *k, mote_crypto_key_format fmt,
                               mote_buf *out)
{
    mote_buf der;
    const char *label;
    int rc;
    if (!k || !out)
        return MOTE_EINVAL;
    if (fmt == MOTE_CRYPTO_FORMAT_PKCS8)
        label = "PRIVATE KEY";
    else if (k->type == MOTE_CRYPTO_KEY_RSA)
        label = "RSA PRIVATE KEY";
    else
        label = "EC PRIVATE KEY";
    mote_buf_init_secret(&der, KEY_DER_MAX);
    rc = mote_crypto_privkey_to_der(k, fmt, &der);
    if (rc == 0)
        rc = mote_asn1_pem_write(out, label, mote_buf_slice(&der));
    mote_buf_free(&der);
    return rc;
}

/* ---- verify with an SPKI ------------------------------------------------------------ */

int mote_crypto_verify_spki(const uint8_t *spki, size_t spki_len, mote_crypto_sig_alg alg,
                            const void *msg, size_t msg_len, const uint8_t *sig, size_t sig_len,
                            unsigned flags)
{
    int rc;
    mote_crypto_pubkey *k = mote_crypto_pubkey_from_spki(spki, spki_len, &rc);
    if (!k)
        return rc;
    rc = mote_crypto_verify(k, alg, msg, msg_len, sig, sig_len, flags);
    mote_crypto_pubkey_free(k);
    return rc;
}
