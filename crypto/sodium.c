/*
 * sodium.c - X25519 and Ed25519 through libsodium, for the provider table.
 */
#include <sodium.h>

#include "internal.h"

int mc_sodium_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32])
{
    /* crypto_scalarmult fails (-1) when the result is all zeros (RFC 7748,
     * section 6.1: the peer sent a low-order point). */
    if (crypto_scalarmult_curve25519(out, scalar, point) != 0) {
        mote_wipe(out, 32);
        return MOTE_EVERIFY;
    }
    return 0;
}

int mc_sodium_x25519_base(uint8_t out[32], const uint8_t scalar[32])
{
    return crypto_scalarmult_curve25519_base(out, scalar) == 0 ? 0 : MOTE_EVERIFY;
}

int mote_crypto_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32])
{
    if (!out || !scalar || !point)
        return MOTE_EINVAL;
    if (sodium_init() < 0)
        return MOTE_EIO;
    return mc_provider_get()->x25519(out, scalar, point);
}

int mote_crypto_x25519_base(uint8_t pub[32], const uint8_t scalar[32])
{
    if (!pub || !scalar)
        return MOTE_EINVAL;
    if (sodium_init() < 0)
        return MOTE_EIO;
    return mc_provider_get()->x25519_base(pub, scalar);
}

int mc_sodium_ed25519_keypair(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32])
{
    return crypto_sign_seed_keypair(pk, sk, seed) == 0 ? 0 : MOTE_EINVAL;
}

void mc_sodium_ed25519_sign(uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t sk[64])
{
    crypto_sign_detached(sig, NULL, msg, len, sk);
}

/* libsodium rejects non-canonical S and small-order or non-canonical
 * public keys and R, as the Wycheproof Ed25519 vectors require. */
int mc_sodium_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t len,
                             const uint8_t pk[32])
{
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : MOTE_EVERIFY;
}
