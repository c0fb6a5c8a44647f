/*
 * ec.c - P-256 and P-384 through nettle/hogweed: point decoding with full
 * validation (uncompressed and compressed), ECDH.
 *
 * nettle's ECC code (ecc_point_mul, ecc_point_mul_g) is written to be
 * side-channel silent. Decompressing a point touches only public data.
 */
#include <string.h>

#include <nettle/bignum.h>

#include "internal.h"

/* Curve constants (FIPS 186-4, D.1.2.3 and D.1.2.4): p and b of
 * y^2 = x^3 - 3x + b. nettle keeps its curve structure private, so the two
 * numbers decompression needs are written here; tests check them against
 * the generator nettle uses. */
static const char p256_p[] = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
static const char p256_b[] = "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b";
static const char p384_p[] = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffff"
                             "ffff0000000000000000ffffffff";
static const char p256_n[] = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
static const char p384_n[] = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a"
                             "0db248b0a77aecec196accc52973";
static const char p384_b[] = "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656"
                             "398d8a2ed19d2a85c8edd3ec2aef";

const struct ecc_curve *mc_curve(mote_crypto_key_type type)
{
    switch (type) {
    case MOTE_CRYPTO_KEY_P256:
        return nettle_get_secp_256r1();
    case MOTE_CRYPTO_KEY_P384:
        return nettle_get_secp_384r1();
    default:
        return NULL;
    }
}

size_t mc_curve_bytes(mote_crypto_key_type type)
{
    return type == MOTE_CRYPTO_KEY_P256 ? 32 : type == MOTE_CRYPTO_KEY_P384 ? 48 : 0;
}

/* y for x on the curve, of the parity asked; 0 if x has no point. p is 3
 * mod 4 for both curves, so a square root of a is a^((p+1)/4). */
static int decompress_y(mote_crypto_key_type type, const mpz_t x, int odd, mpz_t y)
{
    mpz_t p, b, rhs, t;
    int ok = 0;
    mpz_init_set_str(p, type == MOTE_CRYPTO_KEY_P256 ? p256_p : p384_p, 16);
    mpz_init_set_str(b, type == MOTE_CRYPTO_KEY_P256 ? p256_b : p384_b, 16);
    mpz_init(rhs);
    mpz_init(t);
    if (mpz_cmp(x, p) >= 0)
        goto out;
    /* rhs = x^3 - 3x + b mod p */
    mpz_powm_ui(rhs, x, 3, p);
    mpz_mul_ui(t, x, 3);
    mpz_sub(rhs, rhs, t);
    mpz_add(rhs, rhs, b);
    mpz_mod(rhs, rhs, p);
    mpz_add_ui(t, p, 1);
    mpz_fdiv_q_2exp(t, t, 2);
    mpz_powm(y, rhs, t, p);
    mpz_mul(t, y, y);
    mpz_mod(t, t, p);
    if (mpz_cmp(t, rhs) != 0)
        goto out; /* rhs is not a square: no point with this x */
    if ((int)mpz_odd_p(y) != odd) {
        if (mpz_sgn(y) == 0)
            goto out;
        mpz_sub(y, p, y);
    }
    ok = 1;
out:
    mpz_clear(p);
    mpz_clear(b);
    mpz_clear(rhs);
    mpz_clear(t);
    return ok;
}

int mc_ec_point_decode(mote_crypto_key_type type, const uint8_t *pt, size_t len,
                       struct ecc_point *out)
{
    size_t fb = mc_curve_bytes(type);
    mpz_t x, y;
    int ok = 0;
    if (!fb || !pt || len == 0)
        return MOTE_EDECODE;
    mpz_init(x);
    mpz_init(y);
    if (pt[0] == 0x04 && len == 1 + 2 * fb) {
        nettle_mpz_set_str_256_u(x, fb, pt + 1);
        nettle_mpz_set_str_256_u(y, fb, pt + 1 + fb);
        ok = 1;
    } else if ((pt[0] == 0x02 || pt[0] == 0x03) && len == 1 + fb) {
        nettle_mpz_set_str_256_u(x, fb, pt + 1);
        ok = decompress_y(type, x, pt[0] & 1, y);
    }
    /* ecc_point_set checks 0 <= x, y < p and that the point is on the
     * curve; both curves have cofactor 1, so that is full validation. */
    if (ok)
        ok = ecc_point_set(out, x, y);
    mpz_clear(x);
    mpz_clear(y);
    return ok ? 0 : MOTE_EDECODE;
}

void mc_ec_point_encode(mote_crypto_key_type type, const struct ecc_point *p, uint8_t *out)
{
    size_t fb = mc_curve_bytes(type);
    mpz_t x, y;
    mpz_init(x);
    mpz_init(y);
    ecc_point_get(p, x, y);
    out[0] = 0x04;
    nettle_mpz_get_str_256(fb, out + 1, x);
    nettle_mpz_get_str_256(fb, out + 1 + fb, y);
    mpz_clear(x);
    mpz_clear(y);
}

static mote_crypto_key_type group_key_type(mote_crypto_group g)
{
    return g == MOTE_CRYPTO_GROUP_P256   ? MOTE_CRYPTO_KEY_P256
           : g == MOTE_CRYPTO_GROUP_P384 ? MOTE_CRYPTO_KEY_P384
                                         : (mote_crypto_key_type)0;
}

/* Shared secret of scalar s and validated point q: the x-coordinate. */
static void ecdh_point(mote_crypto_key_type type, const struct ecc_scalar *s,
                       const struct ecc_point *q, uint8_t *out)
{
    const struct ecc_curve *c = mc_curve(type);
    struct ecc_point r;
    mpz_t x, y;
    ecc_point_init(&r, c);
    mpz_init(x);
    mpz_init(y);
    ecc_point_mul(&r, s, q);
    ecc_point_get(&r, x, y);
    nettle_mpz_get_str_256(mc_curve_bytes(type), out, x);
    mc_mpz_clear_secret(x);
    mc_mpz_clear_secret(y);
    ecc_point_clear(&r);
}

int mc_ecdh_compute(mote_crypto_key_type type, const struct ecc_scalar *s, const uint8_t *peer,
                    size_t peer_len, uint8_t *out)
{
    struct ecc_point q;
    ecc_point_init(&q, mc_curve(type));
    int rc = mc_ec_point_decode(type, peer, peer_len, &q);
    if (rc == 0)
        ecdh_point(type, s, &q, out);
    ecc_point_clear(&q);
    return rc;
}

int mc_ec_scalar_set(mote_crypto_key_type type, const uint8_t *d, size_t d_len,
                     struct ecc_scalar *s)
{
    size_t fb = mc_curve_bytes(type);
    mpz_t z;
    /* Leading zero bytes beyond the field size are allowed; they are
     * checked together (no branch per secret byte), and the value is read
     * from the last fb bytes. */
    if (d_len > fb) {
        if (!mote_ct_all_zero(d, d_len - fb))
            return MOTE_ERANGE;
        d += d_len - fb;
        d_len = fb;
    }
    if (d_len == 0)
        return MOTE_ERANGE;
    mpz_init(z);
    nettle_mpz_set_str_256_u(z, d_len, d);
    int ok = ecc_scalar_set(s, z); /* 0 < z < n */
    mc_mpz_clear_secret(z);
    return ok ? 0 : MOTE_ERANGE;
}

void mc_ec_scalar_clear(struct ecc_scalar *s)
{
    if (s->p)
        mote_wipe(s->p, (size_t)ecc_size(s->ecc) * sizeof(mp_limb_t));
    ecc_scalar_clear(s);
}

int mote_crypto_ecdh(mote_crypto_group group, const uint8_t *priv, size_t priv_len,
                     const uint8_t *peer, size_t peer_len, uint8_t *out, size_t *out_len)
{
    mote_crypto_key_type type = group_key_type(group);
    struct ecc_scalar s;
    if (!type || !priv || !out)
        return MOTE_EINVAL;
    ecc_scalar_init(&s, mc_curve(type));
    int rc = mc_ec_scalar_set(type, priv, priv_len, &s);
    if (rc == 0)
        rc = mc_ecdh_compute(type, &s, peer, peer_len, out);
    mc_ec_scalar_clear(&s);
    if (rc == 0 && out_len)
        *out_len = mc_curve_bytes(type);
    return rc;
}

/* nettle 3.8's ecc_ecdsa_verify adds u1 G and u2 Q with a formula that
 * does not handle the two being the same point, and so rejects a valid
 * signature when u1 G == u2 Q (Wycheproof "point duplication during
 * verification"). When nettle says no, this redoes that one case on the
 * public values: if u1 G == u2 Q, R = 2 (u1 G), and the signature is valid
 * when R.x mod n == r. Everything here is public, so plain GMP is fine. */
int mc_ecdsa_verify_doubling(mote_crypto_key_type type, const struct ecc_point *pub,
                             const uint8_t *digest, size_t dlen, const mpz_t r, const mpz_t s)
{
    const struct ecc_curve *c = mc_curve(type);
    mpz_t n, p, e, w, u1, u2, x1, y1, x2, y2, l, t;
    struct ecc_scalar k1, k2;
    struct ecc_point P1, P2;
    int ok = 0;
    mpz_init_set_str(n, type == MOTE_CRYPTO_KEY_P256 ? p256_n : p384_n, 16);
    mpz_init_set_str(p, type == MOTE_CRYPTO_KEY_P256 ? p256_p : p384_p, 16);
    mpz_inits(e, w, u1, u2, x1, y1, x2, y2, l, t, NULL);
    ecc_scalar_init(&k1, c);
    ecc_scalar_init(&k2, c);
    ecc_point_init(&P1, c);
    ecc_point_init(&P2, c);
    if (mpz_sgn(r) <= 0 || mpz_sgn(s) <= 0 || mpz_cmp(r, n) >= 0 || mpz_cmp(s, n) >= 0)
        goto out;
    /* e = leftmost bits of the digest, as many as n has */
    nettle_mpz_set_str_256_u(e, dlen, digest);
    size_t nbits = mpz_sizeinbase(n, 2);
    if (dlen * 8 > nbits)
        mpz_fdiv_q_2exp(e, e, dlen * 8 - nbits);
    if (!mpz_invert(w, s, n))
        goto out;
    mpz_mul(u1, e, w);
    mpz_mod(u1, u1, n);
    mpz_mul(u2, r, w);
    mpz_mod(u2, u2, n);
    if (!ecc_scalar_set(&k1, u1) || !ecc_scalar_set(&k2, u2))
        goto out;
    ecc_point_mul_g(&P1, &k1);
    ecc_point_mul(&P2, &k2, pub);
    ecc_point_get(&P1, x1, y1);
    ecc_point_get(&P2, x2, y2);
    if (mpz_cmp(x1, x2) != 0 || mpz_cmp(y1, y2) != 0 || mpz_sgn(y1) == 0)
        goto out; /* not the doubling case: nettle's answer stands */
    /* l = (3 x^2 - 3) / (2 y); x3 = l^2 - 2 x */
    mpz_mul(l, x1, x1);
    mpz_sub_ui(l, l, 1);
    mpz_mul_ui(l, l, 3);
    mpz_mul_ui(t, y1, 2);
    if (!mpz_invert(t, t, p))
        goto out;
    mpz_mul(l, l, t);
    mpz_mod(l, l, p);
    mpz_mul(t, l, l);
    mpz_submul_ui(t, x1, 2);
    mpz_mod(t, t, p);
    mpz_mod(t, t, n);
    ok = mpz_cmp(t, r) == 0;
out:
    ecc_point_clear(&P1);
    ecc_point_clear(&P2);
    ecc_scalar_clear(&k1);
    ecc_scalar_clear(&k2);
    mpz_clears(n, p, e, w, u1, u2, x1, y1, x2, y2, l, t, NULL);
    return ok;
}
