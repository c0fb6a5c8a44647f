/*
 * crypto_kx.c - libFuzzer target for the peer inputs of key exchange.
 *
 * The first byte picks a group (X25519, P-256, P-384, ML-KEM-768,
 * X25519MLKEM768) and the rest is a peer's key share: it goes to the
 * responder's side (mote_crypto_kx_respond: point validation, the ML-KEM
 * encapsulation-key check) and to the initiator's (mote_crypto_kx_finish:
 * decapsulation with implicit rejection), and to mote_crypto_ecdh with
 * compressed and uncompressed points. Nothing may crash or leak; a share
 * that is accepted must give a secret of the group's length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mote/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const mote_crypto_group groups[] = {MOTE_CRYPTO_GROUP_X25519, MOTE_CRYPTO_GROUP_P256,
                                           MOTE_CRYPTO_GROUP_P384, MOTE_CRYPTO_GROUP_MLKEM768,
                                           MOTE_CRYPTO_GROUP_X25519MLKEM768};
static const size_t secret_len[] = {32, 32, 48, 32, 64};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mote_seeded_rng rng;
    uint8_t share[MOTE_CRYPTO_KX_SHARE_MAX], secret[MOTE_CRYPTO_KX_SECRET_MAX];
    size_t share_len, sl;
    int err;
    if (size < 1)
        return 0;
    size_t g = data[0] % 5;
    const uint8_t *peer = data + 1;
    size_t peer_len = size - 1;
    mote_seeded_rng_init(&rng, 99);

    if (mote_crypto_kx_respond(groups[g], &rng.rng, peer, peer_len, share, sizeof(share),
                               &share_len, secret, &sl) == 0 &&
        sl != secret_len[g])
        abort();
    mote_crypto_kx *kx = mote_crypto_kx_new(groups[g], &rng.rng, &err);
    if (!kx)
        abort();
    if (mote_crypto_kx_finish(kx, peer, peer_len, secret, &sl) == 0 && sl != secret_len[g])
        abort();
    mote_crypto_kx_free(kx);

    static const uint8_t scalar[32] = {1, 2, 3, 4, 5, 6, 7, 8};
    (void)mote_crypto_ecdh(MOTE_CRYPTO_GROUP_P256, scalar, sizeof(scalar), peer, peer_len, secret,
                           &sl);
    (void)mote_crypto_ecdh(MOTE_CRYPTO_GROUP_P384, scalar, sizeof(scalar), peer, peer_len, secret,
                           &sl);
    return 0;
}
