/*
 * pk.c - public and private key objects, key generation, signing and
 * verification: Ed25519 (libsodium), ECDSA on P-256/P-384 and RSA PKCS#1
 * v1.5 / PSS (nettle/hogweed: blinded, side-channel-silent functions).
 */
#include <stdlib.h>
#include <string.h>

#include <nettle/bignum.h>
#include <nettle/ecdsa.h>
#include <nettle/dsa.h>
#include <sodium.h>

#include "internal.h"

/* ---- allocation ------------------------------------------------------------------ */

mote_crypto_pubkey *mc_pubkey_alloc(mote_crypto_key_type type)
{
    mote_crypto_pubkey *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->type = type;
    if (type == MOTE_CRYPTO_KEY_RSA) {
        rsa_public_key_init(&k->rsa);
    } else if (type == MOTE_CRYPTO_KEY_P256 || type == MOTE_CRYPTO_KEY_P384) {
        ecc_point_init(&k->ec, mc_curve(type));
        k->bits = type == MOTE_CRYPTO_KEY_P256 ? 256 : 384;
    } else {
        k->bits = 255;
    }
    return k;
}

void mote_crypto_pubkey_free(mote_crypto_pubkey *k)
{
    if (!k)
        return;
    if (k->type == MOTE_CRYPTO_KEY_RSA)
        rsa_public_key_clear(&k->rsa);
    else if (k->type == MOTE_CRYPTO_KEY_P256 || k->type == MOTE_CRYPTO_KEY_P384)
        ecc_point_clear(&k->ec);
    free(k);
}

mote_crypto_privkey *mc_privkey_alloc(mote_crypto_key_type type)
{
    mote_crypto_privkey *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->type = type;
    if (type == MOTE_CRYPTO_KEY_RSA) {
        rsa_public_key_init(&k->rsa_pub);
        rsa_private_key_init(&k->rsa);
    } else if (type == MOTE_CRYPTO_KEY_P256 || type == MOTE_CRYPTO_KEY_P384) {
        ecc_scalar_init(&k->ec, mc_curve(type));
        ecc_point_init(&k->ec_pub, mc_curve(type));
        k->bits = type == MOTE_CRYPTO_KEY_P256 ? 256 : 384;
    } else {
        k->bits = 255;
    }
    return k;
}

void mote_crypto_privkey_free(mote_crypto_privkey *k)
{
    if (!k)
        return;
    if (k->type == MOTE_CRYPTO_KEY_RSA) {
        rsa_public_key_clear(&k->rsa_pub);
        mc_mpz_clear_secret(k->rsa.d);
        mc_mpz_clear_secret(k->rsa.p);
        mc_mpz_clear_secret(k->rsa.q);
        mc_mpz_clear_secret(k->rsa.a);
        mc_mpz_clear_secret(k->rsa.b);
        mc_mpz_clear_secret(k->rsa.c);
    } else if (k->type == MOTE_CRYPTO_KEY_P256 || k->type == MOTE_CRYPTO_KEY_P384) {
        mc_ec_scalar_clear(&k->ec);
        ecc_point_clear(&k->ec_pub);
    }
    mote_wipe(k, sizeof(*k));
    free(k);
}

mote_crypto_key_type mote_crypto_pubkey_type(const mote_crypto_pubkey *k)
{
    return k ? k->type : (mote_crypto_key_type)0;
}
unsigned mote_crypto_pubkey_bits(const mote_crypto_pubkey *k)
{
    return k ? k->bits : 0;
}
mote_crypto_key_type mote_crypto_privkey_type(const mote_crypto_privkey *k)
{
    return k ? k->type : (mote_crypto_key_type)0;
}
unsigned mote_crypto_privkey_bits(const mote_crypto_privkey *k)
{
    return k ? k->bits : 0;
}

static int is_ec(mote_crypto_key_type t)
{
    return t == MOTE_CRYPTO_KEY_P256 || t == MOTE_CRYPTO_KEY_P384;
}

static void *fail(int *err, int code)
{
    if (err)
        *err = code;
    return NULL;
}

/* ---- raw public keys ------------------------------------------------------------- */

mote_crypto_pubkey *mote_crypto_pubkey_from_ec_point(mote_crypto_key_type type, const uint8_t *pt,
                                                     size_t len, int *err)
{
    if (!is_ec(type))
        return fail(err, MOTE_EINVAL);
    mote_crypto_pubkey *k = mc_pubkey_alloc(type);
    if (!k)
        return fail(err, MOTE_ENOMEM);
    int rc = mc_ec_point_decode(type, pt, len, &k->ec);
    if (rc) {
        mote_crypto_pubkey_free(k);
        return fail(err, rc);
    }
    if (err)
        *err = 0;
    return k;
}

mote_crypto_pubkey *mote_crypto_pubkey_from_ed25519(const uint8_t pk[32], int *err)
{
    if (!pk)
        return fail(err, MOTE_EINVAL);
    mote_crypto_pubkey *k = mc_pubkey_alloc(MOTE_CRYPTO_KEY_ED25519);
    if (!k)
        return fail(err, MOTE_ENOMEM);
    memcpy(k->ed, pk, 32);
    if (err)
        *err = 0;
    return k;
}

/* Checks an RSA public key's shape: n odd, bits in range; e odd, 3 <= e < n. */
static int rsa_pub_check(struct rsa_public_key *pub, unsigned *bits)
{
    size_t nb = mpz_sizeinbase(pub->n, 2);
    if (mpz_sgn(pub->n) <= 0 || mpz_even_p(pub->n) || mpz_sgn(pub->e) <= 0)
        return MOTE_EDECODE;
    if (nb < MOTE_CRYPTO_RSA_VERIFY_MIN_BITS || nb > MOTE_CRYPTO_RSA_VERIFY_MAX_BITS)
        return MOTE_ERANGE;
    if (mpz_even_p(pub->e) || mpz_cmp_ui(pub->e, 3) < 0 || mpz_cmp(pub->e, pub->n) >= 0)
        return MOTE_EDECODE;
    if (!rsa_public_key_prepare(pub))
        return MOTE_EDECODE;
    *bits = (unsigned)nb;
    return 0;
}

mote_crypto_pubkey *mote_crypto_pubkey_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e,
                                                size_t e_len, int *err)
{
    if (!n || !e || !n_len || !e_len)
        return fail(err, MOTE_EINVAL);
    if (n_len > MOTE_CRYPTO_RSA_VERIFY_MAX_BITS / 8 + 1 || e_len > 64)
        return fail(err, MOTE_ERANGE);
    mote_crypto_pubkey *k = mc_pubkey_alloc(MOTE_CRYPTO_KEY_RSA);
    if (!k)
        return fail(err, MOTE_ENOMEM);
    nettle_mpz_set_str_256_u(k->rsa.n, n_len, n);
    nettle_mpz_set_str_256_u(k->rsa.e, e_len, e);
    int rc = rsa_pub_check(&k->rsa, &k->bits);
    if (rc) {
        mote_crypto_pubkey_free(k);
        return fail(err, rc);
    }
    if (err)
        *err = 0;
    return k;
}

/* ---- private keys ---------------------------------------------------------------- */

static int ed25519_from_seed(mote_crypto_privkey *k, const uint8_t seed[32])
{
    uint8_t pk[32];
    if (sodium_init() < 0)
        return MOTE_EIO;
    memcpy(k->ed_seed, seed, 32);
    if (mc_provider_get()->ed25519_keypair(pk, k->ed_sk, seed) != 0)
        return MOTE_EINVAL;
    return 0;
}

mote_crypto_privkey *mote_crypto_privkey_from_ed25519_seed(const uint8_t seed[32], int *err)
{
    if (!seed)
        return fail(err, MOTE_EINVAL);
    mote_crypto_privkey *k = mc_privkey_alloc(MOTE_CRYPTO_KEY_ED25519);
    if (!k)
        return fail(err, MOTE_ENOMEM);
    int rc = ed25519_from_seed(k, seed);
    if (rc) {
        mote_crypto_privkey_free(k);
        return fail(err, rc);
    }
    if (err)
        *err = 0;
    return k;
}

mote_crypto_privkey *mote_crypto_privkey_from_ec_scalar(mote_crypto_key_type type, const uint8_t *d,
                                                        size_t d_len, int *err)
{
    if (!is_ec(type) || !d)
        return fail(err, MOTE_EINVAL);
    mote_crypto_privkey *k = mc_privkey_alloc(type);
    if (!k)
        return fail(err, MOTE_ENOMEM);
    int rc = mc_ec_scalar_set(type, d, d_len, &k->ec);
    if (rc) {
        mote_crypto_privkey_free(k);
        return fail(err, rc);
    }
    ecc_point_mul_g(&k->ec_pub, &k->ec);
    if (err)
        *err = 0;
    return k;
}

mote_crypto_privkey *mc_rsa_privkey_from_parts(const mote_slice parts[8], int *err)
{
    /* parts: n, e, d, p, q, dp, dq, qinv */
    mote_crypto_privkey *k = mc_privkey_alloc(MOTE_CRYPTO_KEY_RSA);
    mpz_t t;
    int rc = 0;
    if (!k)
        return fail(err, MOTE_ENOMEM);
    for (int i = 0; i < 8; i++) {
        if (parts[i].len == 0 || parts[i].len > MOTE_CRYPTO_RSA_VERIFY_MAX_BITS / 8 + 1) {
            mote_crypto_privkey_free(k);
            return fail(err, MOTE_EDECODE);
        }
    }
    nettle_mpz_set_str_256_u(k->rsa_pub.n, parts[0].len, parts[0].ptr);
    nettle_mpz_set_str_256_u(k->rsa_pub.e, parts[1].len, parts[1].ptr);
    nettle_mpz_set_str_256_u(k->rsa.d, parts[2].len, parts[2].ptr);
    nettle_mpz_set_str_256_u(k->rsa.p, parts[3].len, parts[3].ptr);
    nettle_mpz_set_str_256_u(k->rsa.q, parts[4].len, parts[4].ptr);
    nettle_mpz_set_str_256_u(k->rsa.a, parts[5].len, parts[5].ptr);
    nettle_mpz_set_str_256_u(k->rsa.b, parts[6].len, parts[6].ptr);
    nettle_mpz_set_str_256_u(k->rsa.c, parts[7].len, parts[7].ptr);
    rc = rsa_pub_check(&k->rsa_pub, &k->bits);
    if (rc == 0 && !rsa_private_key_prepare(&k->rsa))
        rc = MOTE_EDECODE;
    if (rc == 0) {
        /* The parts must agree: n = p q. (Signing also checks each result
         * with the public key, so a wrong CRT part cannot leak a factor.) */
        mpz_init(t);
        mpz_mul(t, k->rsa.p, k->rsa.q);
        if (mpz_cmp(t, k->rsa_pub.n) != 0 || k->rsa.size != k->rsa_pub.size)
            rc = MOTE_EVERIFY;
        mpz_clear(t);
    }
    if (rc) {
        mote_crypto_privkey_free(k);
        return fail(err, rc);
    }
    if (err)
        *err = 0;
    return k;
}

void mc_rsa_privkey_parts(const mote_crypto_privkey *k, const mpz_t *parts[8])
{
    parts[0] = &k->rsa_pub.n;
    parts[1] = &k->rsa_pub.e;
    parts[2] = &k->rsa.d;
    parts[3] = &k->rsa.p;
    parts[4] = &k->rsa.q;
    parts[5] = &k->rsa.a;
    parts[6] = &k->rsa.b;
    parts[7] = &k->rsa.c;
}

mote_crypto_privkey *mote_crypto_privkey_generate(mote_crypto_key_type type, unsigned bits,
                                                  mote_rng *rng, int *err)
{
    mc_rng_adapter ad = {rng, 0, 0};
    mote_crypto_privkey *k;
    int rc = 0;
    uint8_t probe[16];
    if (!rng)
        return fail(err, MOTE_EINVAL);
    /* A broken rng is reported before any work is done. */
    if (mote_rng_fill(rng, probe, sizeof(probe)) != 0)
        return fail(err, MOTE_EIO);
    mote_wipe(probe, sizeof(probe));
    switch (type) {
    case MOTE_CRYPTO_KEY_ED25519: {
        uint8_t seed[32];
        if (mote_rng_fill(rng, seed, sizeof(seed)) != 0)
            return fail(err, MOTE_EIO);
        k = mote_crypto_privkey_from_ed25519_seed(seed, err);
        mote_wipe(seed, sizeof(seed));
        return k;
    }
    case MOTE_CRYPTO_KEY_P256:
    case MOTE_CRYPTO_KEY_P384:
        k = mc_privkey_alloc(type);
        if (!k)
            return fail(err, MOTE_ENOMEM);
        ecdsa_generate_keypair(&k->ec_pub, &k->ec, &ad, mc_nettle_random);
        rc = ad.err;
        break;
    case MOTE_CRYPTO_KEY_RSA:
        if (bits < MOTE_CRYPTO_RSA_MIN_BITS || bits > MOTE_CRYPTO_RSA_MAX_BITS || bits % 8)
            return fail(err, MOTE_ERANGE);
        k = mc_privkey_alloc(type);
        if (!k)
            return fail(err, MOTE_ENOMEM);
        mpz_set_ui(k->rsa_pub.e, 65537);
        if (!rsa_generate_keypair(&k->rsa_pub, &k->rsa, &ad, mc_nettle_random, NULL, NULL, bits, 0))
            rc = MOTE_EINVAL;
        if (ad.err)
            rc = ad.err;
        k->bits = bits;
        break;
    default:
        return fail(err, MOTE_EINVAL);
    }
    if (rc) {
        mote_crypto_privkey_free(k);
        return fail(err, rc);
    }
    if (err)
        *err = 0;
    return k;
}

mote_crypto_pubkey *mote_crypto_privkey_public(const mote_crypto_privkey *k, int *err)
{
    mote_crypto_pubkey *p;
    if (!k)
        return fail(err, MOTE_EINVAL);
    p = mc_pubkey_alloc(k->type);
    if (!p)
        return fail(err, MOTE_ENOMEM);
    switch (k->type) {
    case MOTE_CRYPTO_KEY_RSA:
        mpz_set(p->rsa.n, k->rsa_pub.n);
        mpz_set(p->rsa.e, k->rsa_pub.e);
        rsa_public_key_prepare(&p->rsa);
        p->bits = k->bits;
        break;
    case MOTE_CRYPTO_KEY_P256:
    case MOTE_CRYPTO_KEY_P384: {
        mpz_t x, y;
        mpz_init(x);
        mpz_init(y);
        ecc_point_get(&k->ec_pub, x, y);
        ecc_point_set(&p->ec, x, y);
        mpz_clear(x);
        mpz_clear(y);
        break;
    }
    default:
        memcpy(p->ed, k->ed_sk + 32, 32);
        break;
    }
    if (err)
        *err = 0;
    return p;
}

/* ---- algorithms ------------------------------------------------------------------ */

mote_crypto_hash_id mote_crypto_sig_alg_hash(mote_crypto_sig_alg alg)
{
    switch (alg) {
    case MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256:
    case MOTE_CRYPTO_SIG_ECDSA_SHA256:
    case MOTE_CRYPTO_SIG_RSA_PSS_SHA256:
        return MOTE_CRYPTO_HASH_SHA256;
    case MOTE_CRYPTO_SIG_RSA_PKCS1_SHA384:
    case MOTE_CRYPTO_SIG_ECDSA_SHA384:
    case MOTE_CRYPTO_SIG_RSA_PSS_SHA384:
        return MOTE_CRYPTO_HASH_SHA384;
    case MOTE_CRYPTO_SIG_RSA_PKCS1_SHA512:
    case MOTE_CRYPTO_SIG_ECDSA_SHA512:
    case MOTE_CRYPTO_SIG_RSA_PSS_SHA512:
        return MOTE_CRYPTO_HASH_SHA512;
    default:
        return (mote_crypto_hash_id)0;
    }
}

enum { KIND_NONE, KIND_PKCS1, KIND_PSS, KIND_ECDSA, KIND_ED25519 };

static int alg_kind(mote_crypto_sig_alg alg)
{
    switch (alg) {
    case MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256:
    case MOTE_CRYPTO_SIG_RSA_PKCS1_SHA384:
    case MOTE_CRYPTO_SIG_RSA_PKCS1_SHA512:
        return KIND_PKCS1;
    case MOTE_CRYPTO_SIG_RSA_PSS_SHA256:
    case MOTE_CRYPTO_SIG_RSA_PSS_SHA384:
    case MOTE_CRYPTO_SIG_RSA_PSS_SHA512:
        return KIND_PSS;
    case MOTE_CRYPTO_SIG_ECDSA_SHA256:
    case MOTE_CRYPTO_SIG_ECDSA_SHA384:
    case MOTE_CRYPTO_SIG_ECDSA_SHA512:
        return KIND_ECDSA;
    case MOTE_CRYPTO_SIG_ED25519:
        return KIND_ED25519;
    default:
        return KIND_NONE;
    }
}

static int kind_fits(int kind, mote_crypto_key_type t)
{
    switch (kind) {
    case KIND_PKCS1:
    case KIND_PSS:
        return t == MOTE_CRYPTO_KEY_RSA;
    case KIND_ECDSA:
        return is_ec(t);
    case KIND_ED25519:
        return t == MOTE_CRYPTO_KEY_ED25519;
    default:
        return 0;
    }
}

/* DigestInfo prefixes (RFC 8017, section 9.2, note 1). */
static const uint8_t di_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const uint8_t di_sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
static const uint8_t di_sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};

static size_t digest_info(mote_crypto_hash_id h, const uint8_t *digest, uint8_t *out)
{
    const uint8_t *pre = h == MOTE_CRYPTO_HASH_SHA256   ? di_sha256
                         : h == MOTE_CRYPTO_HASH_SHA384 ? di_sha384
                                                        : di_sha512;
    size_t hl = mote_crypto_hash_len(h);
    memcpy(out, pre, sizeof(di_sha256));
    memcpy(out + sizeof(di_sha256), digest, hl);
    return sizeof(di_sha256) + hl;
}

/* ---- ECDSA ----------------------------------------------------------------------- */

static int ecdsa_verify_rs(const struct ecc_point *pub, mote_crypto_key_type type,
                           const uint8_t *digest, size_t dlen, mote_slice r, mote_slice s)
{
    size_t fb = mc_curve_bytes(type);
    struct dsa_signature sig;
    /* Strip leading zeros; a value longer than the order cannot be valid. */
    while (r.len && r.ptr[0] == 0) {
        r.ptr++;
        r.len--;
    }
    while (s.len && s.ptr[0] == 0) {
        s.ptr++;
        s.len--;
    }
    if (r.len == 0 || s.len == 0 || r.len > fb || s.len > fb)
        return MOTE_EVERIFY;
    dsa_signature_init(&sig);
    nettle_mpz_set_str_256_u(sig.r, r.len, r.ptr);
    nettle_mpz_set_str_256_u(sig.s, s.len, s.ptr);
    /* nettle checks 0 < r, s < n and truncates a long digest. */
    int ok = ecdsa_verify(pub, dlen, digest, &sig);
    if (!ok)
        ok = mc_ecdsa_verify_doubling(type, pub, digest, dlen, sig.r, sig.s);
    dsa_signature_clear(&sig);
    return ok ? 0 : MOTE_EVERIFY;
}

static int ecdsa_verify_sig(const mote_crypto_pubkey *k, const uint8_t *digest, size_t dlen,
                            const uint8_t *sig, size_t sig_len, unsigned flags)
{
    size_t fb = mc_curve_bytes(k->type);
    mote_slice r, s;
    if (flags & MOTE_CRYPTO_SIG_RAW) {
        if (sig_len != 2 * fb)
            return MOTE_EVERIFY;
        r = mote_slice_make(sig, fb);
        s = mote_slice_make(sig + fb, fb);
    } else if (mc_ecdsa_sig_from_der(sig, sig_len, &r, &s) != 0) {
        return MOTE_EVERIFY;
    }
    return ecdsa_verify_rs(&k->ec, k->type, digest, dlen, r, s);
}

int mote_crypto_ecdsa_verify_digest(const mote_crypto_pubkey *k, const uint8_t *digest,
                                    size_t digest_len, const uint8_t *sig, size_t sig_len,
                                    unsigned flags)
{
    if (!k || !is_ec(k->type) || (!digest && digest_len) || (!sig && sig_len))
        return MOTE_EINVAL;
    return ecdsa_verify_sig(k, digest, digest_len, sig, sig_len, flags);
}

/* ---- verify ------------------------------------------------------------------------ */

static int rsa_verify_salt(const mote_crypto_pubkey *k, int kind, mote_crypto_hash_id h,
                           size_t salt_len, const uint8_t *digest, const uint8_t *sig,
                           size_t sig_len, unsigned flags);

static int rsa_verify(const mote_crypto_pubkey *k, int kind, mote_crypto_hash_id h,
                      const uint8_t *digest, const uint8_t *sig, size_t sig_len, unsigned flags)
{
    return rsa_verify_salt(k, kind, h, mote_crypto_hash_len(h), digest, sig, sig_len, flags);
}

int mote_crypto_rsa_pss_verify_digest(const mote_crypto_pubkey *k, mote_crypto_hash_id hash,
                                      size_t salt_len, const uint8_t *digest, size_t digest_len,
                                      const uint8_t *sig, size_t sig_len, unsigned flags)
{
    size_t hl = mote_crypto_hash_len(hash);
    if (!k || k->type != MOTE_CRYPTO_KEY_RSA || !hl || !digest || digest_len != hl ||
        (!sig && sig_len) || salt_len > MOTE_CRYPTO_RSA_VERIFY_MAX_BITS / 8)
        return MOTE_EINVAL;
    return rsa_verify_salt(k, KIND_PSS, hash, salt_len, digest, sig, sig_len, flags);
}

static int rsa_verify_salt(const mote_crypto_pubkey *k, int kind, mote_crypto_hash_id h,
                           size_t salt_len, const uint8_t *digest, const uint8_t *sig,
                           size_t sig_len, unsigned flags)
{
    unsigned min = (flags & MOTE_CRYPTO_VERIFY_RSA1024) ? MOTE_CRYPTO_RSA_VERIFY_MIN_BITS
                                                        : MOTE_CRYPTO_RSA_MIN_BITS;
    uint8_t di[19 + MOTE_CRYPTO_HASH_MAX_LEN];
    mpz_t s;
    int ok = 0;
    if (k->bits < min)
        return MOTE_ERANGE;
    if (sig_len != k->rsa.size)
        return MOTE_EVERIFY;
    mpz_init(s);
    nettle_mpz_set_str_256_u(s, sig_len, sig);
    if (mpz_cmp(s, k->rsa.n) < 0) {
        if (kind == KIND_PKCS1) {
            size_t n = digest_info(h, digest, di);
            ok = rsa_pkcs1_verify(&k->rsa, n, di, s);
        } else if (h == MOTE_CRYPTO_HASH_SHA256) {
            ok = rsa_pss_sha256_verify_digest(&k->rsa, salt_len, digest, s);
        } else if (h == MOTE_CRYPTO_HASH_SHA384) {
            ok = rsa_pss_sha384_verify_digest(&k->rsa, salt_len, digest, s);
        } else {
            ok = rsa_pss_sha512_verify_digest(&k->rsa, salt_len, digest, s);
        }
    }
    mpz_clear(s);
    return ok ? 0 : MOTE_EVERIFY;
}

int mote_crypto_verify(const mote_crypto_pubkey *k, mote_crypto_sig_alg alg, const void *msg,
                       size_t msg_len, const uint8_t *sig, size_t sig_len, unsigned flags)
{
    uint8_t digest[MOTE_CRYPTO_HASH_MAX_LEN];
    int kind = alg_kind(alg);
    if (!k || (!msg && msg_len) || (!sig && sig_len))
        return MOTE_EINVAL;
    if (!kind_fits(kind, k->type))
        return MOTE_EUNSUPPORTED;
    if (kind == KIND_ED25519) {
        if (sig_len != crypto_sign_BYTES)
            return MOTE_EVERIFY;
        if (sodium_init() < 0)
            return MOTE_EIO;
        return mc_provider_get()->ed25519_verify(sig, msg, msg_len, k->ed);
    }
    mote_crypto_hash_id h = mote_crypto_sig_alg_hash(alg);
    mote_crypto_hash(h, msg, msg_len, digest);
    if (kind == KIND_ECDSA)
        return ecdsa_verify_sig(k, digest, mote_crypto_hash_len(h), sig, sig_len, flags);
    return rsa_verify(k, kind, h, digest, sig, sig_len, flags);
}

/* ---- sign -------------------------------------------------------------------------- */

static int put(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *src, size_t n)
{
    if (n > cap)
        return MOTE_ENOSPC;
    memcpy(out, src, n);
    *out_len = n;
    return 0;
}

static int ecdsa_sign_digest(const mote_crypto_privkey *k, mote_rng *rng, const uint8_t *digest,
                             size_t dlen, uint8_t *sig, size_t cap, size_t *sig_len, unsigned flags)
{
    size_t fb = mc_curve_bytes(k->type);
    mc_rng_adapter ad = {rng, 0, 0};
    struct dsa_signature s;
    uint8_t raw[2 * 48];
    int rc;
    dsa_signature_init(&s);
    ecdsa_sign(&k->ec, &ad, mc_nettle_random, dlen, digest, &s);
    if (ad.err) {
        dsa_signature_clear(&s);
        return ad.err;
    }
    nettle_mpz_get_str_256(fb, raw, s.r);
    nettle_mpz_get_str_256(fb, raw + fb, s.s);
    dsa_signature_clear(&s);
    if (flags & MOTE_CRYPTO_SIG_RAW)
        return put(sig, cap, sig_len, raw, 2 * fb);
    rc = mc_ecdsa_sig_to_der(mote_slice_make(raw, fb), mote_slice_make(raw + fb, fb), sig, cap,
                             sig_len);
    return rc;
}

static int rsa_sign(const mote_crypto_privkey *k, int kind, mote_crypto_hash_id h, mote_rng *rng,
                    const uint8_t *digest, uint8_t *sig, size_t cap, size_t *sig_len)
{
    mc_rng_adapter ad = {rng, 0, 0};
    uint8_t di[19 + MOTE_CRYPTO_HASH_MAX_LEN], salt[MOTE_CRYPTO_HASH_MAX_LEN];
    size_t hl = mote_crypto_hash_len(h);
    mpz_t s;
    int ok;
    if (k->bits < MOTE_CRYPTO_RSA_MIN_BITS || k->bits > MOTE_CRYPTO_RSA_MAX_BITS)
        return MOTE_ERANGE;
    if (cap < k->rsa_pub.size)
        return MOTE_ENOSPC;
    mpz_init(s);
    if (kind == KIND_PKCS1) {
        size_t n = digest_info(h, digest, di);
        ok = rsa_pkcs1_sign_tr(&k->rsa_pub, &k->rsa, &ad, mc_nettle_random, n, di, s);
    } else {
        if (mote_rng_fill(rng, salt, hl) != 0) {
            mpz_clear(s);
            return MOTE_EIO;
        }
        if (h == MOTE_CRYPTO_HASH_SHA256)
            ok = rsa_pss_sha256_sign_digest_tr(&k->rsa_pub, &k->rsa, &ad, mc_nettle_random, hl,
                                               salt, digest, s);
        else if (h == MOTE_CRYPTO_HASH_SHA384)
            ok = rsa_pss_sha384_sign_digest_tr(&k->rsa_pub, &k->rsa, &ad, mc_nettle_random, hl,
                                               salt, digest, s);
        else
            ok = rsa_pss_sha512_sign_digest_tr(&k->rsa_pub, &k->rsa, &ad, mc_nettle_random, hl,
                                               salt, digest, s);
    }
    if (ok && !ad.err) {
        nettle_mpz_get_str_256(k->rsa_pub.size, sig, s);
        *sig_len = k->rsa_pub.size;
    }
    mpz_clear(s);
    if (ad.err)
        return ad.err;
    return ok ? 0 : MOTE_EINVAL;
}

int mote_crypto_sign(const mote_crypto_privkey *k, mote_crypto_sig_alg alg, mote_rng *rng,
                     const void *msg, size_t msg_len, uint8_t *sig, size_t sig_cap, size_t *sig_len,
                     unsigned flags)
{
    uint8_t digest[MOTE_CRYPTO_HASH_MAX_LEN];
    int kind = alg_kind(alg);
    if (!k || (!msg && msg_len) || !sig || !sig_len)
        return MOTE_EINVAL;
    if (!kind_fits(kind, k->type))
        return MOTE_EUNSUPPORTED;
    if (kind == KIND_ED25519) {
        if (sig_cap < crypto_sign_BYTES)
            return MOTE_ENOSPC;
        mc_provider_get()->ed25519_sign(sig, msg, msg_len, k->ed_sk);
        *sig_len = crypto_sign_BYTES;
        return 0;
    }
    if (!rng)
        return MOTE_EINVAL;
    mote_crypto_hash_id h = mote_crypto_sig_alg_hash(alg);
    mote_crypto_hash(h, msg, msg_len, digest);
    if (kind == KIND_ECDSA)
        return ecdsa_sign_digest(k, rng, digest, mote_crypto_hash_len(h), sig, sig_cap, sig_len,
                                 flags);
    return rsa_sign(k, kind, h, rng, digest, sig, sig_cap, sig_len);
}
