/*
 * provider.c - the internal dispatch: which implementation serves each
 * algorithm. To swap one (after measuring it against the Wycheproof
 * vectors and bench/crypto), change its entry here; nothing else moves.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

static const mc_hash_impl *hash_for(mote_crypto_hash_id id)
{
    switch (id) {
    case MOTE_CRYPTO_HASH_SHA256:
        /* libsodium's (mc_hash_sodium_sha256) is portable C; nettle's uses
         * SHA-NI. Both pass every vector; bench/crypto picked nettle. */
        return mc_hash_nettle_sha256();
    case MOTE_CRYPTO_HASH_SHA384:
        return mc_hash_sha384_on_sodium();
    case MOTE_CRYPTO_HASH_SHA512:
        return mc_hash_sodium_sha512();
    default:
        return NULL;
    }
}

/* The ChaCha20-Poly1305 tier: the best this CPU runs, lowered (never
 * raised) by the environment variable MOTE_CRYPTO_CHACHA = "sodium" or
 * "avx2", so the tests can run every path on one machine. Read at each
 * lookup (an AEAD object keeps the implementation it was made with). */
static int chacha_tier(void)
{
    int tier = mc_chachapoly_cpu_tier();
    const char *force = getenv("MOTE_CRYPTO_CHACHA");
    if (force) {
        if (strcmp(force, "sodium") == 0)
            tier = MC_CHACHA_SODIUM;
        else if (strcmp(force, "avx2") == 0 && tier > MC_CHACHA_AVX2)
            tier = MC_CHACHA_AVX2;
    }
    return tier;
}

#ifdef MOTE_CRYPTO_HAVE_AESNI
/* MOTE_CRYPTO_AES = "aesni" (the 8-block AES-NI code, not the VAES one)
 * or "nettle" lowers the AES-GCM choice as MOTE_CRYPTO_CHACHA does for
 * ChaCha20-Poly1305: for the tests. */
static int aes_forced(const char *below)
{
    const char *force = getenv("MOTE_CRYPTO_AES");
    if (!force)
        return 0;
    if (strcmp(force, "nettle") == 0)
        return 1;
    return strcmp(force, "aesni") == 0 && strcmp(below, "aesni") == 0;
}
#endif

static const mc_aead_impl *aead_for(mote_crypto_aead_id id)
{
    switch (id) {
    case MOTE_CRYPTO_AEAD_AES_128_GCM:
    case MOTE_CRYPTO_AEAD_AES_192_GCM:
    case MOTE_CRYPTO_AEAD_AES_256_GCM:
#ifdef MOTE_CRYPTO_HAVE_AESNI
        /* Our AES-NI/PCLMULQDQ GCM where the CPU has both (bench/crypto:
         * faster than nettle's at bulk sizes); nettle's elsewhere. The
         * CPU's answers are read once (aead_aesni.c); the environment
         * at each lookup. */
        if (mc_aead_vaes_gcm_usable() && !aes_forced("aesni"))
            return mc_aead_vaes_gcm(id);
        if (mc_aead_aesni_gcm_usable() && !aes_forced("nettle"))
            return mc_aead_aesni_gcm(id);
#endif
        return mc_aead_nettle_gcm(id);
    case MOTE_CRYPTO_AEAD_CHACHA20_POLY1305: {
        /* Our AVX-512 (ChaCha20 x16, Poly1305 on IFMA) or AVX2 code where
         * cpuid reports the features; libsodium's elsewhere. */
        const mc_aead_impl *own = mc_aead_chachapoly(chacha_tier());
        return own ? own : mc_aead_sodium_chacha20poly1305();
    }
    default:
        return NULL;
    }
}

static const mc_provider default_provider = {
    hash_for,
    aead_for,
    mc_sodium_x25519,
    mc_sodium_x25519_base,
    mc_mlkem768_keygen_mote,
    mc_mlkem768_encaps_mote,
    mc_mlkem768_decaps_mote,
    mc_sodium_ed25519_keypair,
    mc_sodium_ed25519_sign,
    mc_sodium_ed25519_verify,
};

const mc_provider *mc_provider_get(void)
{
    return &default_provider;
}

/* ---- helpers shared by the other files --------------------------------------- */

void mc_nettle_random(void *ctx, size_t len, uint8_t *dst)
{
    mc_rng_adapter *a = ctx;
    if (a->err == 0 && a->rng && a->rng->fill && mote_rng_fill(a->rng, dst, len) == 0)
        return;
    /* nettle's callback cannot fail: remember the failure and let the
     * caller discard whatever is computed. nettle's samplers loop until a
     * value is in range, so the bytes handed back must still vary or they
     * would never stop: a counter stream, never used for anything kept. */
    a->err = MOTE_EIO;
    for (size_t i = 0; i < len; i++) {
        a->filler = a->filler * 6364136223846793005ULL + 1442695040888963407ULL;
        dst[i] = (uint8_t)(a->filler >> 56);
    }
}

void mc_mpz_clear_secret(mpz_t x)
{
    size_t n = mpz_size(x);
    if (n) {
        mp_limb_t *l = mpz_limbs_modify(x, (mp_size_t)n);
        mote_wipe(l, n * sizeof(mp_limb_t));
    }
    mpz_clear(x);
}
