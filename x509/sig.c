/*
 * sig.c - signature and public-key algorithm identifiers (RFC 4055, RFC
 * 5758, RFC 8410) and certificate signature checks through libmote-crypto.
 */
#include <string.h>

#include "x509_internal.h"

static int params_null_or_absent(const mote_asn1_tlv *p)
{
    return p->tag == 0 || (p->tag == MOTE_ASN1_NULL && p->value.len == 0);
}

struct algid2 {
    mote_slice oid;
    mote_asn1_tlv params;
};
static const mote_asn1_field algid2[] = {
    {MOTE_ASN1_F_OID(struct algid2, oid)},
    {MOTE_ASN1_F_ANY(struct algid2, params), MOTE_ASN1_OPTIONAL},
    MOTE_ASN1_END,
};

/* RSASSA-PSS-params ::= SEQUENCE {
 *     hashAlgorithm    [0] HashAlgorithm DEFAULT sha1,
 *     maskGenAlgorithm [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
 *     saltLength       [2] INTEGER DEFAULT 20,
 *     trailerField     [3] TrailerField DEFAULT trailerFieldBC } */
struct pss_params {
    struct algid2 hash, mgf;
    bool has_hash, has_mgf;
    int64_t salt, trailer;
};
static const mote_asn1_field rsassa_pss_params[] = {
    {MOTE_ASN1_F_SEQUENCE(struct pss_params, hash, algid2), MOTE_ASN1_EXPLICIT(0),
     MOTE_ASN1_OPTIONAL, MOTE_ASN1_PRESENT(struct pss_params, has_hash)},
    {MOTE_ASN1_F_SEQUENCE(struct pss_params, mgf, algid2), MOTE_ASN1_EXPLICIT(1),
     MOTE_ASN1_OPTIONAL, MOTE_ASN1_PRESENT(struct pss_params, has_mgf)},
    {MOTE_ASN1_F_INT64(struct pss_params, salt), MOTE_ASN1_EXPLICIT(2), MOTE_ASN1_DEFAULT(20)},
    {MOTE_ASN1_F_INT64(struct pss_params, trailer), MOTE_ASN1_EXPLICIT(3), MOTE_ASN1_DEFAULT(1)},
    MOTE_ASN1_END,
};

static mote_x509_sig_alg pss_alg(const mote_asn1_tlv *params)
{
    struct pss_params p;
    struct algid2 mgf_hash;
    if (params->tag != MOTE_ASN1_SEQUENCE ||
        mote_asn1_decode(rsassa_pss_params, params->raw, &p, NULL) != 0)
        return MOTE_X509_SIG_RSA_PSS_OTHER;
    if (!p.has_hash || !p.has_mgf || p.trailer != 1 || !params_null_or_absent(&p.hash.params))
        return MOTE_X509_SIG_RSA_PSS_OTHER;
    if (!mote_asn1_oid_is(p.mgf.oid, MOTE_ASN1_OID_MGF1) ||
        mote_asn1_decode(algid2, p.mgf.params.raw, &mgf_hash, NULL) != 0 ||
        !mote_slice_eq(mgf_hash.oid, p.hash.oid) || !params_null_or_absent(&mgf_hash.params))
        return MOTE_X509_SIG_RSA_PSS_OTHER;
    switch (mote_asn1_oid_lookup(p.hash.oid)) {
    case MOTE_ASN1_OID_SHA256:
        return p.salt == 32 ? MOTE_X509_SIG_RSA_PSS_SHA256 : MOTE_X509_SIG_RSA_PSS_OTHER;
    case MOTE_ASN1_OID_SHA384:
        return p.salt == 48 ? MOTE_X509_SIG_RSA_PSS_SHA384 : MOTE_X509_SIG_RSA_PSS_OTHER;
    case MOTE_ASN1_OID_SHA512:
        return p.salt == 64 ? MOTE_X509_SIG_RSA_PSS_SHA512 : MOTE_X509_SIG_RSA_PSS_OTHER;
    default:
        return MOTE_X509_SIG_RSA_PSS_OTHER;
    }
}

mote_x509_sig_alg x509_sig_alg_from(mote_slice oid, const mote_asn1_tlv *params)
{
    mote_asn1_oid_id id = mote_asn1_oid_lookup(oid);
    int null_ok = params_null_or_absent(params);
    int absent = params->tag == 0;
    switch (id) {
    /* RFC 4055 / RFC 8017: the parameters MUST be NULL (absent accepted). */
    case MOTE_ASN1_OID_SHA256_WITH_RSA:
        return null_ok ? MOTE_X509_SIG_RSA_PKCS1_SHA256 : MOTE_X509_SIG_UNKNOWN;
    case MOTE_ASN1_OID_SHA384_WITH_RSA:
        return null_ok ? MOTE_X509_SIG_RSA_PKCS1_SHA384 : MOTE_X509_SIG_UNKNOWN;
    case MOTE_ASN1_OID_SHA512_WITH_RSA:
        return null_ok ? MOTE_X509_SIG_RSA_PKCS1_SHA512 : MOTE_X509_SIG_UNKNOWN;
    case MOTE_ASN1_OID_SHA1_WITH_RSA:
        return MOTE_X509_SIG_RSA_PKCS1_SHA1;
    case MOTE_ASN1_OID_MD5_WITH_RSA:
        return MOTE_X509_SIG_RSA_PKCS1_MD5;
    /* RFC 5758 3.2: the parameters MUST be absent. */
    case MOTE_ASN1_OID_ECDSA_WITH_SHA256:
        return absent ? MOTE_X509_SIG_ECDSA_SHA256 : MOTE_X509_SIG_UNKNOWN;
    case MOTE_ASN1_OID_ECDSA_WITH_SHA384:
        return absent ? MOTE_X509_SIG_ECDSA_SHA384 : MOTE_X509_SIG_UNKNOWN;
    case MOTE_ASN1_OID_ECDSA_WITH_SHA512:
        return absent ? MOTE_X509_SIG_ECDSA_SHA512 : MOTE_X509_SIG_UNKNOWN;
    case MOTE_ASN1_OID_ECDSA_WITH_SHA1:
        return MOTE_X509_SIG_ECDSA_SHA1;
    /* RFC 8410 3: the parameters MUST be absent. */
    case MOTE_ASN1_OID_ED25519:
        return absent ? MOTE_X509_SIG_ED25519 : MOTE_X509_SIG_UNKNOWN;
    case MOTE_ASN1_OID_RSASSA_PSS:
        return pss_alg(params);
    default:
        return MOTE_X509_SIG_UNKNOWN;
    }
}

mote_x509_key_alg x509_key_alg_from(mote_slice oid, const mote_asn1_tlv *params)
{
    switch (mote_asn1_oid_lookup(oid)) {
    case MOTE_ASN1_OID_RSA_ENCRYPTION:
        return MOTE_X509_KEY_RSA;
    case MOTE_ASN1_OID_RSASSA_PSS:
        return MOTE_X509_KEY_RSA_PSS;
    case MOTE_ASN1_OID_ED25519:
        return MOTE_X509_KEY_ED25519;
    case MOTE_ASN1_OID_ED448:
        return MOTE_X509_KEY_ED448;
    case MOTE_ASN1_OID_DSA:
        return MOTE_X509_KEY_DSA;
    case MOTE_ASN1_OID_EC_PUBLIC_KEY:
        if (params->tag != MOTE_ASN1_OID)
            return MOTE_X509_KEY_EC_OTHER;
        switch (mote_asn1_oid_lookup(params->value)) {
        case MOTE_ASN1_OID_P256:
            return MOTE_X509_KEY_EC_P256;
        case MOTE_ASN1_OID_P384:
            return MOTE_X509_KEY_EC_P384;
        case MOTE_ASN1_OID_P521:
            return MOTE_X509_KEY_EC_P521;
        default:
            return MOTE_X509_KEY_EC_OTHER;
        }
    default:
        return MOTE_X509_KEY_UNKNOWN;
    }
}

const char *mote_x509_sig_alg_name(mote_x509_sig_alg a)
{
    switch (a) {
    case MOTE_X509_SIG_RSA_PKCS1_SHA256:
        return "sha256WithRSAEncryption";
    case MOTE_X509_SIG_RSA_PKCS1_SHA384:
        return "sha384WithRSAEncryption";
    case MOTE_X509_SIG_RSA_PKCS1_SHA512:
        return "sha512WithRSAEncryption";
    case MOTE_X509_SIG_RSA_PSS_SHA256:
        return "rsassaPss (SHA-256)";
    case MOTE_X509_SIG_RSA_PSS_SHA384:
        return "rsassaPss (SHA-384)";
    case MOTE_X509_SIG_RSA_PSS_SHA512:
        return "rsassaPss (SHA-512)";
    case MOTE_X509_SIG_ECDSA_SHA256:
        return "ecdsa-with-SHA256";
    case MOTE_X509_SIG_ECDSA_SHA384:
        return "ecdsa-with-SHA384";
    case MOTE_X509_SIG_ECDSA_SHA512:
        return "ecdsa-with-SHA512";
    case MOTE_X509_SIG_ED25519:
        return "Ed25519";
    case MOTE_X509_SIG_RSA_PKCS1_SHA1:
        return "sha1WithRSAEncryption";
    case MOTE_X509_SIG_RSA_PKCS1_MD5:
        return "md5WithRSAEncryption";
    case MOTE_X509_SIG_ECDSA_SHA1:
        return "ecdsa-with-SHA1";
    case MOTE_X509_SIG_RSA_PSS_OTHER:
        return "rsassaPss (unsupported parameters)";
    default:
        return "unknown";
    }
}

const char *mote_x509_key_alg_name(mote_x509_key_alg a)
{
    switch (a) {
    case MOTE_X509_KEY_RSA:
        return "rsaEncryption";
    case MOTE_X509_KEY_EC_P256:
        return "id-ecPublicKey P-256";
    case MOTE_X509_KEY_EC_P384:
        return "id-ecPublicKey P-384";
    case MOTE_X509_KEY_EC_P521:
        return "id-ecPublicKey P-521";
    case MOTE_X509_KEY_EC_OTHER:
        return "id-ecPublicKey (other curve)";
    case MOTE_X509_KEY_ED25519:
        return "Ed25519";
    case MOTE_X509_KEY_ED448:
        return "Ed448";
    case MOTE_X509_KEY_DSA:
        return "DSA";
    case MOTE_X509_KEY_RSA_PSS:
        return "rsassaPss";
    default:
        return "unknown";
    }
}

int mote_x509_cert_check_signature(const mote_x509_cert *c, const mote_x509_cert *issuer)
{
    mote_crypto_sig_alg alg;
    mote_crypto_hash_id hash = 0;
    int ec = 0;
    mote_x509_key_alg k = issuer->key_alg;
    switch (c->sig_alg) {
    case MOTE_X509_SIG_RSA_PKCS1_SHA256:
        alg = MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256;
        break;
    case MOTE_X509_SIG_RSA_PKCS1_SHA384:
        alg = MOTE_CRYPTO_SIG_RSA_PKCS1_SHA384;
        break;
    case MOTE_X509_SIG_RSA_PKCS1_SHA512:
        alg = MOTE_CRYPTO_SIG_RSA_PKCS1_SHA512;
        break;
    case MOTE_X509_SIG_RSA_PSS_SHA256:
        alg = MOTE_CRYPTO_SIG_RSA_PSS_SHA256;
        break;
    case MOTE_X509_SIG_RSA_PSS_SHA384:
        alg = MOTE_CRYPTO_SIG_RSA_PSS_SHA384;
        break;
    case MOTE_X509_SIG_RSA_PSS_SHA512:
        alg = MOTE_CRYPTO_SIG_RSA_PSS_SHA512;
        break;
    case MOTE_X509_SIG_ECDSA_SHA256:
        alg = MOTE_CRYPTO_SIG_ECDSA_SHA256, hash = MOTE_CRYPTO_HASH_SHA256, ec = 1;
        break;
    case MOTE_X509_SIG_ECDSA_SHA384:
        alg = MOTE_CRYPTO_SIG_ECDSA_SHA384, hash = MOTE_CRYPTO_HASH_SHA384, ec = 1;
        break;
    case MOTE_X509_SIG_ECDSA_SHA512:
        alg = MOTE_CRYPTO_SIG_ECDSA_SHA512, hash = MOTE_CRYPTO_HASH_SHA512, ec = 1;
        break;
    case MOTE_X509_SIG_ED25519:
        alg = MOTE_CRYPTO_SIG_ED25519;
        break;
    default:
        return MOTE_EUNSUPPORTED;
    }
    /* The key must be of the signature's family (RSA-PSS-only keys are not
     * supported). */
    if (ec ? (k != MOTE_X509_KEY_EC_P256 && k != MOTE_X509_KEY_EC_P384)
           : (alg == MOTE_CRYPTO_SIG_ED25519 ? k != MOTE_X509_KEY_ED25519 : k != MOTE_X509_KEY_RSA))
        return MOTE_EUNSUPPORTED;
    if (c->signature_unused != 0)
        return MOTE_EVERIFY;
    int err = 0;
    mote_crypto_pubkey *pub =
        mote_crypto_pubkey_from_spki(issuer->spki.ptr, issuer->spki.len, &err);
    if (!pub)
        return err ? err : MOTE_EDECODE;
    int rc;
    if (ec) {
        uint8_t digest[MOTE_CRYPTO_HASH_MAX_LEN];
        rc = mote_crypto_hash(hash, c->tbs.ptr, c->tbs.len, digest);
        if (rc == 0)
            rc = mote_crypto_ecdsa_verify_digest(pub, digest, mote_crypto_hash_len(hash),
                                                 c->signature.ptr, c->signature.len, 0);
    } else {
        rc = mote_crypto_verify(pub, alg, c->tbs.ptr, c->tbs.len, c->signature.ptr,
                                c->signature.len, 0);
    }
    mote_crypto_pubkey_free(pub);
    return rc;
}
