/*
 * kx.c - key shares for TLS: X25519, P-256, P-384, ML-KEM-768 and the
 * X25519MLKEM768 hybrid (draft-ietf-tls-ecdhe-mlkem: the ML-KEM part comes
 * first in shares and in the shared secret).
 */
#include <stdlib.h>
#include <string.h>

#include <nettle/ecdsa.h>
#include <sodium.h>

#include "internal.h"

#define MLKEM_EK MOTE_CRYPTO_MLKEM768_EK_LEN
#define MLKEM_DK MOTE_CRYPTO_MLKEM768_DK_LEN
#define MLKEM_CT MOTE_CRYPTO_MLKEM768_CT_LEN

struct mote_crypto_kx {
    mote_crypto_group group;
    uint8_t x25519_priv[32];
    struct ecc_scalar ec;
    int ec_init;
    uint8_t mlkem_dk[MLKEM_DK];
    uint8_t share[MOTE_CRYPTO_KX_SHARE_MAX];
    size_t share_len;
};

static mote_crypto_key_type ec_type(mote_crypto_group g)
{
    return g == MOTE_CRYPTO_GROUP_P256   ? MOTE_CRYPTO_KEY_P256
           : g == MOTE_CRYPTO_GROUP_P384 ? MOTE_CRYPTO_KEY_P384
                                         : (mote_crypto_key_type)0;
}

static int x25519_keypair(mote_rng *rng, uint8_t priv[32], uint8_t pub[32])
{
    if (mote_rng_fill(rng, priv, 32) != 0)
        return MOTE_EIO;
    return mote_crypto_x25519_base(pub, priv);
}

static int ec_keypair(mote_crypto_key_type t, mote_rng *rng, struct ecc_scalar *s, uint8_t *pub)
{
    mc_rng_adapter ad = {rng, 0, 0};
    struct ecc_point p;
    ecc_point_init(&p, mc_curve(t));
    ecdsa_generate_keypair(&p, s, &ad, mc_nettle_random);
    if (ad.err == 0)
        mc_ec_point_encode(t, &p, pub);
    ecc_point_clear(&p);
    return ad.err;
}

void mote_crypto_kx_free(mote_crypto_kx *kx)
{
    if (!kx)
        return;
    if (kx->ec_init)
        mc_ec_scalar_clear(&kx->ec);
    mote_wipe(kx, sizeof(*kx));
    free(kx);
}

mote_crypto_kx *mote_crypto_kx_new(mote_crypto_group group, mote_rng *rng, int *err)
{
    int dummy, rc = 0;
    mote_crypto_kx *kx;
    if (!err)
        err = &dummy;
    if (!rng) {
        *err = MOTE_EINVAL;
        return NULL;
    }
    kx = calloc(1, sizeof(*kx));
    if (!kx) {
        *err = MOTE_ENOMEM;
        return NULL;
    }
    if (sodium_init() < 0) {
        free(kx);
        *err = MOTE_EIO;
        return NULL;
    }
    kx->group = group;
    switch (group) {
    case MOTE_CRYPTO_GROUP_X25519:
        rc = x25519_keypair(rng, kx->x25519_priv, kx->share);
        kx->share_len = 32;
        break;
    case MOTE_CRYPTO_GROUP_P256:
    case MOTE_CRYPTO_GROUP_P384: {
        mote_crypto_key_type t = ec_type(group);
        ecc_scalar_init(&kx->ec, mc_curve(t));
        kx->ec_init = 1;
        rc = ec_keypair(t, rng, &kx->ec, kx->share);
        kx->share_len = 1 + 2 * mc_curve_bytes(t);
        break;
    }
    case MOTE_CRYPTO_GROUP_MLKEM768:
        rc = mote_crypto_mlkem768_keygen(rng, kx->share, kx->mlkem_dk);
        kx->share_len = MLKEM_EK;
        break;
    case MOTE_CRYPTO_GROUP_X25519MLKEM768:
        rc = mote_crypto_mlkem768_keygen(rng, kx->share, kx->mlkem_dk);
        if (rc == 0)
            rc = x25519_keypair(rng, kx->x25519_priv, kx->share + MLKEM_EK);
        kx->share_len = MLKEM_EK + 32;
        break;
    default:
        rc = MOTE_EINVAL;
        break;
    }
    if (rc) {
        mote_crypto_kx_free(kx);
        *err = rc;
        return NULL;
    }
    *err = 0;
    return kx;
}

mote_slice mote_crypto_kx_share(const mote_crypto_kx *kx)
{
    return kx ? mote_slice_make(kx->share, kx->share_len) : mote_slice_make(NULL, 0);
}

int mote_crypto_kx_finish(mote_crypto_kx *kx, const uint8_t *peer, size_t peer_len, uint8_t *secret,
                          size_t *secret_len)
{
    int rc;
    if (!kx || !peer || !secret || !secret_len)
        return MOTE_EINVAL;
    switch (kx->group) {
    case MOTE_CRYPTO_GROUP_X25519:
        if (peer_len != 32)
            return MOTE_EDECODE;
        rc = mote_crypto_x25519(secret, kx->x25519_priv, peer);
        *secret_len = 32;
        return rc;
    case MOTE_CRYPTO_GROUP_P256:
    case MOTE_CRYPTO_GROUP_P384: {
        mote_crypto_key_type t = ec_type(kx->group);
        /* TLS sends uncompressed points only (RFC 8446, 4.2.8.2). */
        if (peer_len != 1 + 2 * mc_curve_bytes(t) || peer[0] != 0x04)
            return MOTE_EDECODE;
        rc = mc_ecdh_compute(t, &kx->ec, peer, peer_len, secret);
        *secret_len = mc_curve_bytes(t);
        return rc;
    }
    case MOTE_CRYPTO_GROUP_MLKEM768:
        rc = mote_crypto_mlkem768_decaps(kx->mlkem_dk, MLKEM_DK, peer, peer_len, secret);
        *secret_len = 32;
        return rc;
    case MOTE_CRYPTO_GROUP_X25519MLKEM768:
        if (peer_len != MLKEM_CT + 32)
            return MOTE_EDECODE;
        rc = mote_crypto_mlkem768_decaps(kx->mlkem_dk, MLKEM_DK, peer, MLKEM_CT, secret);
        if (rc == 0)
            rc = mote_crypto_x25519(secret + 32, kx->x25519_priv, peer + MLKEM_CT);
        if (rc)
            mote_wipe(secret, 64);
        *secret_len = 64;
        return rc;
    default:
        return MOTE_EINVAL;
    }
}

int mote_crypto_kx_respond(mote_crypto_group group, mote_rng *rng, const uint8_t *peer,
                           size_t peer_len, uint8_t *share, size_t share_cap, size_t *share_len,
                           uint8_t *secret, size_t *secret_len)
{
    int rc = 0;
    if (!rng || !peer || !share || !share_len || !secret || !secret_len)
        return MOTE_EINVAL;
    switch (group) {
    case MOTE_CRYPTO_GROUP_X25519:
    case MOTE_CRYPTO_GROUP_P256:
    case MOTE_CRYPTO_GROUP_P384: {
        mote_crypto_kx *kx = mote_crypto_kx_new(group, rng, &rc);
        if (!kx)
            return rc;
        if (kx->share_len > share_cap) {
            mote_crypto_kx_free(kx);
            return MOTE_ENOSPC;
        }
        rc = mote_crypto_kx_finish(kx, peer, peer_len, secret, secret_len);
        if (rc == 0) {
            memcpy(share, kx->share, kx->share_len);
            *share_len = kx->share_len;
        }
        mote_crypto_kx_free(kx);
        return rc;
    }
    case MOTE_CRYPTO_GROUP_MLKEM768:
        if (share_cap < MLKEM_CT)
            return MOTE_ENOSPC;
        rc = mote_crypto_mlkem768_encaps(peer, peer_len, rng, share, secret);
        if (rc == 0) {
            *share_len = MLKEM_CT;
            *secret_len = 32;
        }
        return rc;
    case MOTE_CRYPTO_GROUP_X25519MLKEM768: {
        uint8_t priv[32];
        if (share_cap < MLKEM_CT + 32)
            return MOTE_ENOSPC;
        if (peer_len != MLKEM_EK + 32)
            return MOTE_EDECODE;
        rc = mote_crypto_mlkem768_encaps(peer, MLKEM_EK, rng, share, secret);
        if (rc == 0)
            rc = x25519_keypair(rng, priv, share + MLKEM_CT);
        if (rc == 0)
            rc = mote_crypto_x25519(secret + 32, priv, peer + MLKEM_EK);
        mote_wipe(priv, sizeof(priv));
        if (rc) {
            mote_wipe(secret, 64);
            return rc;
        }
        *share_len = MLKEM_CT + 32;
        *secret_len = 64;
        return 0;
    }
    default:
        return MOTE_EINVAL;
    }
}
