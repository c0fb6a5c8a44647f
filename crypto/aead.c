/*
 * aead.c - AES-GCM (nettle) and ChaCha20-Poly1305 (libsodium) behind the
 * provider table, sealing and opening in place. These are the fallbacks:
 * where the CPU allows, provider.c picks the code in aead_aesni.c and
 * chachapoly.c instead. Tags are compared with
 * mote_ct_equal, never memcmp.
 */
#include <stdlib.h>
#include <string.h>

#include <nettle/gcm.h>
#include <sodium.h>

#include "internal.h"

/* ---- AES-GCM on nettle ------------------------------------------------------ */

static int gcm_nonce_ok(size_t n)
{
    return n >= 1 && n <= MOTE_CRYPTO_AEAD_NONCE_MAX;
}

#define GCM_IMPL(bits)                                                                             \
    static void gcm##bits##_set_key(void *ctx, const uint8_t *key)                                 \
    {                                                                                              \
        struct gcm_aes##bits##_ctx *c = ctx;                                                       \
        mc_aes_expand_key(key, bits / 8, c->cipher.keys);                                          \
        gcm_set_key(&c->key, &c->cipher, (nettle_cipher_func *)aes##bits##_encrypt);               \
    }                                                                                              \
    static void gcm##bits##_seal(void *ctx, const uint8_t *nonce, size_t nonce_len,                \
                                 const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,     \
                                 uint8_t *tag)                                                     \
    {                                                                                              \
        gcm_aes##bits##_set_iv(ctx, nonce_len, nonce);                                             \
        if (aad_len)                                                                               \
            gcm_aes##bits##_update(ctx, aad_len, aad);                                             \
        if (len)                                                                                   \
            gcm_aes##bits##_encrypt(ctx, len, buf, buf);                                           \
        gcm_aes##bits##_digest(ctx, MOTE_CRYPTO_AEAD_TAG_LEN, tag);                                \
    }                                                                                              \
    static int gcm##bits##_open(void *ctx, const uint8_t *nonce, size_t nonce_len,                 \
                                const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,      \
                                const uint8_t *tag)                                                \
    {                                                                                              \
        uint8_t want[MOTE_CRYPTO_AEAD_TAG_LEN];                                                    \
        gcm_aes##bits##_set_iv(ctx, nonce_len, nonce);                                             \
        if (aad_len)                                                                               \
            gcm_aes##bits##_update(ctx, aad_len, aad);                                             \
        if (len)                                                                                   \
            gcm_aes##bits##_decrypt(ctx, len, buf, buf);                                           \
        gcm_aes##bits##_digest(ctx, MOTE_CRYPTO_AEAD_TAG_LEN, want);                               \
        int ok = mote_ct_equal(want, tag, MOTE_CRYPTO_AEAD_TAG_LEN);                               \
        mote_wipe(want, sizeof(want));                                                             \
        return ok ? 0 : MOTE_EVERIFY;                                                              \
    }                                                                                              \
    static const mc_aead_impl gcm##bits##_impl = {                                                 \
        MOTE_CRYPTO_AEAD_AES_##bits##_GCM,                                                         \
        bits / 8,                                                                                  \
        sizeof(struct gcm_aes##bits##_ctx),                                                        \
        "aes-" #bits "-gcm/nettle",                                                                \
        gcm_nonce_ok,                                                                              \
        gcm##bits##_set_key,                                                                       \
        gcm##bits##_seal,                                                                          \
        gcm##bits##_open,                                                                          \
    };

GCM_IMPL(128)
GCM_IMPL(192)
GCM_IMPL(256)

const mc_aead_impl *mc_aead_nettle_gcm(mote_crypto_aead_id id)
{
    switch (id) {
    case MOTE_CRYPTO_AEAD_AES_128_GCM:
        return &gcm128_impl;
    case MOTE_CRYPTO_AEAD_AES_192_GCM:
        return &gcm192_impl;
    case MOTE_CRYPTO_AEAD_AES_256_GCM:
        return &gcm256_impl;
    default:
        return NULL;
    }
}

/* ---- ChaCha20-Poly1305 on libsodium ---------------------------------------------- */

static int chacha_nonce_ok(size_t n)
{
    return n == crypto_aead_chacha20poly1305_ietf_NPUBBYTES;
}
static void chacha_set_key(void *ctx, const uint8_t *key)
{
    memcpy(ctx, key, crypto_aead_chacha20poly1305_ietf_KEYBYTES);
}
static void chacha_seal(void *ctx, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                        size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag)
{
    (void)nonce_len;
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf, tag, NULL, buf, len, aad, aad_len, NULL,
                                                       nonce, ctx);
}
static int chacha_open(void *ctx, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                       size_t aad_len, uint8_t *buf, size_t len, const uint8_t *tag)
{
    (void)nonce_len;
    /* libsodium checks the tag with its constant-time verify before it
     * decrypts, and leaves buf untouched on failure. */
    if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(buf, NULL, buf, len, tag, aad, aad_len,
                                                           nonce, ctx) != 0)
        return MOTE_EVERIFY;
    return 0;
}

static const mc_aead_impl chacha_impl = {
    MOTE_CRYPTO_AEAD_CHACHA20_POLY1305,
    32,
    32,
    "chacha20-poly1305/libsodium",
    chacha_nonce_ok,
    chacha_set_key,
    chacha_seal,
    chacha_open,
};

const mc_aead_impl *mc_aead_sodium_chacha20poly1305(void)
{
    return &chacha_impl;
}

/* ---- public API ------------------------------------------------------------------ */

struct mote_crypto_aead {
    const mc_aead_impl *impl;
    size_t ctx_size;
    _Alignas(16) unsigned char ctx[];
};

size_t mote_crypto_aead_key_len(mote_crypto_aead_id id)
{
    const mc_aead_impl *a = mc_provider_get()->aead(id);
    return a ? a->key_len : 0;
}

mote_crypto_aead *mote_crypto_aead_new(mote_crypto_aead_id id, const uint8_t *key, size_t key_len,
                                       int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    const mc_aead_impl *impl = mc_provider_get()->aead(id);
    if (!impl || !key || key_len != impl->key_len) {
        *err = MOTE_EINVAL;
        return NULL;
    }
    /* libsodium picks its fastest code (SSSE3/AVX2 ChaCha20, ...) here;
     * idempotent and thread-safe. */
    if (sodium_init() < 0) {
        *err = MOTE_EIO;
        return NULL;
    }
    mote_crypto_aead *a = calloc(1, sizeof(*a) + impl->ctx_size);
    if (!a) {
        *err = MOTE_ENOMEM;
        return NULL;
    }
    a->impl = impl;
    a->ctx_size = impl->ctx_size;
    impl->set_key(a->ctx, key);
    *err = 0;
    return a;
}

void mote_crypto_aead_free(mote_crypto_aead *a)
{
    if (!a)
        return;
    mote_wipe(a->ctx, a->ctx_size);
    free(a);
}

/* GCM allows 2^36 - 32 bytes per message; ChaCha20-Poly1305 (IETF) a
 * little more. One bound for both. */
#define AEAD_MAX_LEN ((uint64_t)68719476704ULL)

static int aead_args_ok(const mote_crypto_aead *a, const uint8_t *nonce, size_t nonce_len,
                        const void *aad, size_t aad_len, const uint8_t *buf, size_t len,
                        const uint8_t *tag)
{
    if (!a || !nonce || !tag || (!aad && aad_len) || (!buf && len))
        return 0;
    if (!a->impl->nonce_ok(nonce_len))
        return 0;
    if ((uint64_t)len > AEAD_MAX_LEN)
        return 0;
    return 1;
}

int mote_crypto_aead_seal(mote_crypto_aead *a, const uint8_t *nonce, size_t nonce_len,
                          const void *aad, size_t aad_len, uint8_t *buf, size_t len,
                          uint8_t tag[MOTE_CRYPTO_AEAD_TAG_LEN])
{
    if (!aead_args_ok(a, nonce, nonce_len, aad, aad_len, buf, len, tag))
        return MOTE_EINVAL;
    uint8_t empty = 0; /* libsodium wants non-NULL pointers even for 0 bytes */
    a->impl->seal(a->ctx, nonce, nonce_len, aad_len ? aad : &empty, aad_len, len ? buf : &empty,
                  len, tag);
    return 0;
}

int mote_crypto_aead_open(mote_crypto_aead *a, const uint8_t *nonce, size_t nonce_len,
                          const void *aad, size_t aad_len, uint8_t *buf, size_t len,
                          const uint8_t tag[MOTE_CRYPTO_AEAD_TAG_LEN])
{
    if (!aead_args_ok(a, nonce, nonce_len, aad, aad_len, buf, len, tag))
        return MOTE_EINVAL;
    uint8_t empty = 0;
    int rc = a->impl->open(a->ctx, nonce, nonce_len, aad_len ? aad : &empty, aad_len,
                           len ? buf : &empty, len, tag);
    if (rc) {
        if (len)
            memset(buf, 0, len);
        return MOTE_EVERIFY;
    }
    return 0;
}
