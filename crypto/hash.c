/*
 * hash.c - SHA-256/384/512 through the provider table, HMAC and HKDF
 * (RFC 2104, RFC 5869), and SHA-384 on libsodium's SHA-512 core.
 */
#include <string.h>

#include <nettle/sha2.h>
#include <sodium.h>

#include "internal.h"

/* ---- libsodium entries ---------------------------------------------------- */

_Static_assert(sizeof(crypto_hash_sha512_state) <= sizeof(((mote_crypto_hash_ctx *)0)->st),
               "hash state too small");
_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((mote_crypto_hash_ctx *)0)->st),
               "hash state too small");

static void sodium_sha256_init(void *st)
{
    crypto_hash_sha256_init(st);
}
static void sodium_sha256_update(void *st, const uint8_t *d, size_t n)
{
    crypto_hash_sha256_update(st, d, n);
}
static void sodium_sha256_final(void *st, uint8_t *out)
{
    crypto_hash_sha256_final(st, out);
}
static void sodium_sha512_init(void *st)
{
    crypto_hash_sha512_init(st);
}
static void sodium_sha512_update(void *st, const uint8_t *d, size_t n)
{
    crypto_hash_sha512_update(st, d, n);
}
static void sodium_sha512_final(void *st, uint8_t *out)
{
    crypto_hash_sha512_final(st, out);
}

/* SHA-384 is SHA-512 with other initial values (FIPS 180-4, 5.3.4) and the
 * output cut to 48 bytes. libsodium's state is {state[8], count[2],
 * buf[128]}; setting state to the SHA-384 values and the rest to zero gives
 * a SHA-384 context that its update and final functions run unchanged. */
static const uint64_t sha384_iv[8] = {
    0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL, 0x9159015a3070dd17ULL, 0x152fecd8f70e5939ULL,
    0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL, 0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL,
};

static void mote_sha384_init(void *st)
{
    crypto_hash_sha512_state *s = st;
    memset(s, 0, sizeof(*s));
    memcpy(s->state, sha384_iv, sizeof(sha384_iv));
}
static void mote_sha384_final(void *st, uint8_t *out)
{
    uint8_t full[64];
    crypto_hash_sha512_final(st, full);
    memcpy(out, full, 48);
    mote_wipe(full, sizeof(full));
}

static const mc_hash_impl sodium_sha256 = {
    MOTE_CRYPTO_HASH_SHA256, 32, 64, "sha256/libsodium", sodium_sha256_init, sodium_sha256_update,
    sodium_sha256_final};
static const mc_hash_impl sodium_sha512 = {
    MOTE_CRYPTO_HASH_SHA512, 64, 128, "sha512/libsodium", sodium_sha512_init, sodium_sha512_update,
    sodium_sha512_final};
static const mc_hash_impl sha384_sodium = {MOTE_CRYPTO_HASH_SHA384,
                                           48,
                                           128,
                                           "sha384/mote-on-libsodium",
                                           mote_sha384_init,
                                           sodium_sha512_update,
                                           mote_sha384_final};

/* nettle's SHA-256 uses the CPU's SHA extensions where they exist (nettle
 * is built "fat" on Debian); measured about 3x libsodium's portable C on
 * the bench machine, so the provider table picks it for SHA-256. */
_Static_assert(sizeof(struct sha256_ctx) <= sizeof(((mote_crypto_hash_ctx *)0)->st),
               "hash state too small");
static void nettle_sha256_init_(void *st)
{
    sha256_init(st);
}
static void nettle_sha256_update_(void *st, const uint8_t *d, size_t n)
{
    sha256_update(st, n, d);
}
static void nettle_sha256_final_(void *st, uint8_t *out)
{
    sha256_digest(st, SHA256_DIGEST_SIZE, out);
}
static const mc_hash_impl nettle_sha256 = {
    MOTE_CRYPTO_HASH_SHA256, 32, 64, "sha256/nettle", nettle_sha256_init_, nettle_sha256_update_,
    nettle_sha256_final_};

const mc_hash_impl *mc_hash_nettle_sha256(void)
{
    return &nettle_sha256;
}

const mc_hash_impl *mc_hash_sodium_sha256(void)
{
    return &sodium_sha256;
}
const mc_hash_impl *mc_hash_sodium_sha512(void)
{
    return &sodium_sha512;
}
const mc_hash_impl *mc_hash_sha384_on_sodium(void)
{
    return &sha384_sodium;
}

/* ---- public hash API -------------------------------------------------------- */

static const mc_hash_impl *hash_impl(mote_crypto_hash_id id)
{
    return mc_provider_get()->hash(id);
}

size_t mote_crypto_hash_len(mote_crypto_hash_id id)
{
    const mc_hash_impl *h = hash_impl(id);
    return h ? h->out_len : 0;
}

size_t mote_crypto_hash_block_len(mote_crypto_hash_id id)
{
    const mc_hash_impl *h = hash_impl(id);
    return h ? h->block_len : 0;
}

int mote_crypto_hash_init(mote_crypto_hash_ctx *ctx, mote_crypto_hash_id id)
{
    const mc_hash_impl *h = hash_impl(id);
    if (!ctx || !h)
        return MOTE_EINVAL;
    ctx->impl = h;
    h->init(ctx->st.bytes);
    return 0;
}

void mote_crypto_hash_update(mote_crypto_hash_ctx *ctx, const void *data, size_t len)
{
    const mc_hash_impl *h = ctx->impl;
    if (len)
        h->update(ctx->st.bytes, data, len);
}

void mote_crypto_hash_final(mote_crypto_hash_ctx *ctx, uint8_t *out)
{
    const mc_hash_impl *h = ctx->impl;
    h->final(ctx->st.bytes, out);
    mote_wipe(ctx, sizeof(*ctx));
}

int mote_crypto_hash(mote_crypto_hash_id id, const void *data, size_t len, uint8_t *out)
{
    mote_crypto_hash_ctx c;
    int rc = mote_crypto_hash_init(&c, id);
    if (rc)
        return rc;
    mote_crypto_hash_update(&c, data, len);
    mote_crypto_hash_final(&c, out);
    return 0;
}

/* ---- HMAC --------------------------------------------------------------------- */

int mote_crypto_hmac_init(mote_crypto_hmac_ctx *ctx, mote_crypto_hash_id id, const void *key,
                          size_t key_len)
{
    uint8_t block[MOTE_CRYPTO_HASH_MAX_BLOCK];
    const mc_hash_impl *h = hash_impl(id);
    if (!ctx || !h || (!key && key_len))
        return MOTE_EINVAL;
    memset(block, 0, sizeof(block));
    if (key_len > h->block_len) {
        mote_crypto_hash(id, key, key_len, block);
    } else if (key_len) {
        memcpy(block, key, key_len);
    }
    for (size_t i = 0; i < h->block_len; i++)
        block[i] ^= 0x36;
    mote_crypto_hash_init(&ctx->inner, id);
    mote_crypto_hash_update(&ctx->inner, block, h->block_len);
    for (size_t i = 0; i < h->block_len; i++)
        block[i] ^= 0x36 ^ 0x5c;
    mote_crypto_hash_init(&ctx->outer, id);
    mote_crypto_hash_update(&ctx->outer, block, h->block_len);
    mote_wipe(block, sizeof(block));
    return 0;
}

void mote_crypto_hmac_update(mote_crypto_hmac_ctx *ctx, const void *data, size_t len)
{
    mote_crypto_hash_update(&ctx->inner, data, len);
}

void mote_crypto_hmac_final(mote_crypto_hmac_ctx *ctx, uint8_t *out)
{
    uint8_t ih[MOTE_CRYPTO_HASH_MAX_LEN];
    const mc_hash_impl *h = ctx->inner.impl;
    mote_crypto_hash_final(&ctx->inner, ih);
    mote_crypto_hash_update(&ctx->outer, ih, h->out_len);
    mote_crypto_hash_final(&ctx->outer, out);
    mote_wipe(ih, sizeof(ih));
}

int mote_crypto_hmac(mote_crypto_hash_id id, const void *key, size_t key_len, const void *msg,
                     size_t msg_len, uint8_t *out)
{
    mote_crypto_hmac_ctx c;
    int rc = mote_crypto_hmac_init(&c, id, key, key_len);
    if (rc)
        return rc;
    mote_crypto_hmac_update(&c, msg, msg_len);
    mote_crypto_hmac_final(&c, out);
    return 0;
}

int mote_crypto_hmac_verify(mote_crypto_hash_id id, const void *key, size_t key_len,
                            const void *msg, size_t msg_len, const uint8_t *tag, size_t tag_len)
{
    uint8_t want[MOTE_CRYPTO_HASH_MAX_LEN];
    size_t hl = mote_crypto_hash_len(id);
    if (!hl || !tag || tag_len < 16 || tag_len > hl)
        return MOTE_EINVAL;
    int rc = mote_crypto_hmac(id, key, key_len, msg, msg_len, want);
    if (rc)
        return rc;
    int ok = mote_ct_equal(want, tag, tag_len);
    mote_wipe(want, sizeof(want));
    return ok ? 0 : MOTE_EVERIFY;
}

/* ---- HKDF ------------------------------------------------------------------------ */

int mote_crypto_hkdf_extract(mote_crypto_hash_id id, const void *salt, size_t salt_len,
                             const void *ikm, size_t ikm_len, uint8_t *prk)
{
    static const uint8_t zeros[MOTE_CRYPTO_HASH_MAX_LEN];
    size_t hl = mote_crypto_hash_len(id);
    if (!hl || !prk || (!ikm && ikm_len))
        return MOTE_EINVAL;
    if (salt_len == 0)
        return mote_crypto_hmac(id, zeros, hl, ikm, ikm_len, prk);
    return mote_crypto_hmac(id, salt, salt_len, ikm, ikm_len, prk);
}

int mote_crypto_hkdf_expand(mote_crypto_hash_id id, const uint8_t *prk, size_t prk_len,
                            const void *info, size_t info_len, uint8_t *out, size_t out_len)
{
    size_t hl = mote_crypto_hash_len(id);
    uint8_t t[MOTE_CRYPTO_HASH_MAX_LEN];
    size_t t_len = 0, done = 0;
    uint8_t counter = 1;
    mote_crypto_hmac_ctx base, c;
    if (!hl || !prk || prk_len < hl || (!info && info_len) || (!out && out_len))
        return MOTE_EINVAL;
    if (out_len > 255 * hl)
        return MOTE_ERANGE;
    mote_crypto_hmac_init(&base, id, prk, prk_len);
    while (done < out_len) {
        c = base;
        mote_crypto_hmac_update(&c, t, t_len);
        mote_crypto_hmac_update(&c, info, info_len);
        mote_crypto_hmac_update(&c, &counter, 1);
        mote_crypto_hmac_final(&c, t);
        t_len = hl;
        size_t n = out_len - done < hl ? out_len - done : hl;
        memcpy(out + done, t, n);
        done += n;
        counter++;
    }
    mote_wipe(&base, sizeof(base));
    mote_wipe(t, sizeof(t));
    return 0;
}

int mote_crypto_hkdf(mote_crypto_hash_id id, const void *salt, size_t salt_len, const void *ikm,
                     size_t ikm_len, const void *info, size_t info_len, uint8_t *out,
                     size_t out_len)
{
    uint8_t prk[MOTE_CRYPTO_HASH_MAX_LEN];
    size_t hl = mote_crypto_hash_len(id);
    if (!hl)
        return MOTE_EINVAL;
    if (out_len > 255 * hl)
        return MOTE_ERANGE;
    int rc = mote_crypto_hkdf_extract(id, salt, salt_len, ikm, ikm_len, prk);
    if (rc == 0)
        rc = mote_crypto_hkdf_expand(id, prk, hl, info, info_len, out, out_len);
    mote_wipe(prk, sizeof(prk));
    return rc;
}
