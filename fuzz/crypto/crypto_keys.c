/*
 * crypto_keys.c - libFuzzer target for libmote-crypto's key parsers.
 *
 * The input goes to every key reader: private keys as DER (PKCS#8,
 * PKCS#1, SEC1) and PEM, public keys as SubjectPublicKeyInfo DER and PEM,
 * and raw EC points; and, as a signature, to ECDSA verification (the
 * ECDSA-Sig-Value DER parser). None may crash, leak or hang. A key that
 * parses must survive export and re-import unchanged, or the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mote/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_priv(mote_crypto_privkey *k)
{
    mote_buf a, b;
    int err;
    if (!k)
        return;
    mote_buf_init_secret(&a, 0);
    mote_buf_init_secret(&b, 0);
    if (mote_crypto_privkey_to_der(k, MOTE_CRYPTO_FORMAT_PKCS8, &a) != 0)
        abort();
    mote_crypto_privkey *k2 = mote_crypto_privkey_from_der(a.data, a.len, &err);
    if (!k2 || mote_crypto_privkey_to_der(k2, MOTE_CRYPTO_FORMAT_PKCS8, &b) != 0)
        abort();
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    mote_crypto_privkey_free(k2);
    mote_buf_free(&a);
    mote_buf_free(&b);
    mote_crypto_privkey_free(k);
}

static void check_pub(mote_crypto_pubkey *k)
{
    mote_buf a, b;
    int err;
    if (!k)
        return;
    mote_buf_init(&a, 0);
    mote_buf_init(&b, 0);
    if (mote_crypto_pubkey_to_spki(k, &a) != 0)
        abort();
    mote_crypto_pubkey *k2 = mote_crypto_pubkey_from_spki(a.data, a.len, &err);
    if (!k2 || mote_crypto_pubkey_to_spki(k2, &b) != 0)
        abort();
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    mote_crypto_pubkey_free(k2);
    mote_buf_free(&a);
    mote_buf_free(&b);
    mote_crypto_pubkey_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int err;
    check_priv(mote_crypto_privkey_from_der(data, size, &err));
    check_priv(mote_crypto_privkey_from_pem((const char *)data, size, &err));
    check_pub(mote_crypto_pubkey_from_spki(data, size, &err));
    check_pub(mote_crypto_pubkey_from_pem((const char *)data, size, &err));
    check_pub(mote_crypto_pubkey_from_ec_point(MOTE_CRYPTO_KEY_P256, data, size, &err));
    check_pub(mote_crypto_pubkey_from_ec_point(MOTE_CRYPTO_KEY_P384, data, size, &err));

    /* the input as an ECDSA signature over a fixed digest (the key is
     * the generator: scalar 1) */
    static const uint8_t one[1] = {1}, digest[32] = {0};
    mote_crypto_privkey *k = mote_crypto_privkey_from_ec_scalar(MOTE_CRYPTO_KEY_P256, one, 1, &err);
    mote_crypto_pubkey *pk = mote_crypto_privkey_public(k, &err);
    (void)mote_crypto_ecdsa_verify_digest(pk, digest, sizeof(digest), data, size, 0);
    (void)mote_crypto_ecdsa_verify_digest(pk, digest, sizeof(digest), data, size,
                                          MOTE_CRYPTO_SIG_RAW);
    mote_crypto_pubkey_free(pk);
    mote_crypto_privkey_free(k);
    return 0;
}
