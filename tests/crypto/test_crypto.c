/* test_crypto.c - libmote-crypto: known answers, round trips, bounds and
 * hostile inputs for hashes, HMAC, HKDF, AEADs, key exchange, ML-KEM-768,
 * signatures and key formats. The Wycheproof vectors run in wycheproof.c;
 * the openssl interop in test_interop.c. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/aes.h>
#include <nettle/sha2.h>
#include <sodium.h>

#include "mote/asn1.h"
#include "mote/crypto.h"

#include "internal.h" /* crypto/: the provider table, to test one entry against another */

static mote_seeded_rng rng;

static void setup(void)
{
    mote_seeded_rng_init(&rng, 42);
}

static void check_hex(const uint8_t *got, size_t len, const char *hex)
{
    size_t n;
    uint8_t *want = tu_unhex(hex, &n);
    ck_assert_ptr_nonnull(want);
    ck_assert_uint_eq(n, len);
    ck_assert_mem_eq(got, want, n);
    free(want);
}

/* An rng that always fails. */
static int fail_fill(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return MOTE_EIO;
}
static mote_rng broken_rng = {NULL, fail_fill};

/* ---- hashes ------------------------------------------------------------------- */

START_TEST(test_hash_kat)
{
    uint8_t out[64];
    ck_assert_int_eq(mote_crypto_hash(MOTE_CRYPTO_HASH_SHA256, "abc", 3, out), 0);
    check_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_int_eq(mote_crypto_hash(MOTE_CRYPTO_HASH_SHA384, "abc", 3, out), 0);
    check_hex(out, 48,
              "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358ba"
              "eca134c825a7");
    ck_assert_int_eq(mote_crypto_hash(MOTE_CRYPTO_HASH_SHA384, "", 0, out), 0);
    check_hex(out, 48,
              "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51a"
              "d2f14898b95b");
    ck_assert_int_eq(mote_crypto_hash(MOTE_CRYPTO_HASH_SHA512, "abc", 3, out), 0);
    check_hex(out, 64,
              "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba"
              "3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    ck_assert_int_eq(mote_crypto_hash((mote_crypto_hash_id)9, "abc", 3, out), MOTE_EINVAL);
    ck_assert_uint_eq(mote_crypto_hash_len(MOTE_CRYPTO_HASH_SHA384), 48);
    ck_assert_uint_eq(mote_crypto_hash_block_len(MOTE_CRYPTO_HASH_SHA384), 128);
    ck_assert_uint_eq(mote_crypto_hash_len((mote_crypto_hash_id)0), 0);
}
END_TEST

/* SHA-384 (written here on libsodium's SHA-512) against nettle's own
 * SHA-384, over every length across several blocks, fed in odd pieces, and
 * a forked (copied) context. */
START_TEST(test_sha384_against_nettle)
{
    uint8_t data[600], a[48], b[48], c[48];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof(data); len++) {
        struct sha384_ctx n;
        sha384_init(&n);
        sha384_update(&n, len, data);
        sha384_digest(&n, 48, a);
        mote_crypto_hash_ctx h, fork;
        mote_crypto_hash_init(&h, MOTE_CRYPTO_HASH_SHA384);
        size_t off = 0, step = 1 + len % 13;
        while (off < len) {
            size_t n2 = len - off < step ? len - off : step;
            mote_crypto_hash_update(&h, data + off, n2);
            off += n2;
        }
        fork = h;
        mote_crypto_hash_final(&h, b);
        ck_assert_mem_eq(a, b, 48);
        mote_crypto_hash_update(&fork, "x", 1);
        mote_crypto_hash_final(&fork, c);
        ck_assert(memcmp(b, c, 48) != 0);
    }
}
END_TEST

START_TEST(test_hkdf_rfc5869)
{
    uint8_t ikm[22], salt[13], info[10], okm[42], prk[32];
    memset(ikm, 0x0b, sizeof(ikm));
    for (int i = 0; i < 13; i++)
        salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++)
        info[i] = (uint8_t)(0xf0 + i);
    ck_assert_int_eq(mote_crypto_hkdf_extract(MOTE_CRYPTO_HASH_SHA256, salt, 13, ikm, 22, prk), 0);
    check_hex(prk, 32, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    ck_assert_int_eq(mote_crypto_hkdf_expand(MOTE_CRYPTO_HASH_SHA256, prk, 32, info, 10, okm, 42),
                     0);
    check_hex(
        okm, 42,
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    /* bounds: 255 * HashLen at most; a PRK shorter than HashLen refused */
    uint8_t *big = malloc(255 * 32 + 1);
    ck_assert_int_eq(
        mote_crypto_hkdf_expand(MOTE_CRYPTO_HASH_SHA256, prk, 32, info, 10, big, 255 * 32), 0);
    ck_assert_int_eq(
        mote_crypto_hkdf_expand(MOTE_CRYPTO_HASH_SHA256, prk, 32, info, 10, big, 255 * 32 + 1),
        MOTE_ERANGE);
    free(big);
    ck_assert_int_eq(mote_crypto_hkdf_expand(MOTE_CRYPTO_HASH_SHA256, prk, 31, info, 10, okm, 42),
                     MOTE_EINVAL);
}
END_TEST

START_TEST(test_hmac_truncated_and_bounds)
{
    uint8_t tag[64];
    ck_assert_int_eq(mote_crypto_hmac(MOTE_CRYPTO_HASH_SHA384, "key", 3, "msg", 3, tag), 0);
    ck_assert_int_eq(mote_crypto_hmac_verify(MOTE_CRYPTO_HASH_SHA384, "key", 3, "msg", 3, tag, 48),
                     0);
    ck_assert_int_eq(mote_crypto_hmac_verify(MOTE_CRYPTO_HASH_SHA384, "key", 3, "msg", 3, tag, 16),
                     0);
    tag[15] ^= 1;
    ck_assert_int_eq(mote_crypto_hmac_verify(MOTE_CRYPTO_HASH_SHA384, "key", 3, "msg", 3, tag, 16),
                     MOTE_EVERIFY);
    ck_assert_int_eq(mote_crypto_hmac_verify(MOTE_CRYPTO_HASH_SHA384, "key", 3, "msg", 3, tag, 8),
                     MOTE_EINVAL);
    ck_assert_int_eq(mote_crypto_hmac_verify(MOTE_CRYPTO_HASH_SHA384, "key", 3, "msg", 3, tag, 49),
                     MOTE_EINVAL);
}
END_TEST

/* ---- AEADs --------------------------------------------------------------------- */

START_TEST(test_aead_roundtrip_and_tamper)
{
    static const mote_crypto_aead_id ids[] = {MOTE_CRYPTO_AEAD_AES_128_GCM,
                                              MOTE_CRYPTO_AEAD_AES_256_GCM,
                                              MOTE_CRYPTO_AEAD_CHACHA20_POLY1305};
    uint8_t key[32], nonce[12], buf[1000], orig[1000], tag[16];
    int err;
    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)i;
    memset(nonce, 7, sizeof(nonce));
    for (size_t i = 0; i < sizeof(orig); i++)
        orig[i] = (uint8_t)(i ^ 0x5a);
    for (size_t k = 0; k < 3; k++) {
        size_t kl = mote_crypto_aead_key_len(ids[k]);
        ck_assert_ptr_null(mote_crypto_aead_new(ids[k], key, kl - 1, &err));
        ck_assert_int_eq(err, MOTE_EINVAL);
        mote_crypto_aead *a = mote_crypto_aead_new(ids[k], key, kl, &err);
        ck_assert_ptr_nonnull(a);
        memcpy(buf, orig, sizeof(buf));
        ck_assert_int_eq(mote_crypto_aead_seal(a, nonce, 12, "hdr", 3, buf, sizeof(buf), tag), 0);
        ck_assert(memcmp(buf, orig, sizeof(buf)) != 0);
        ck_assert_int_eq(mote_crypto_aead_open(a, nonce, 12, "hdr", 3, buf, sizeof(buf), tag), 0);
        ck_assert_mem_eq(buf, orig, sizeof(buf));
        /* a flipped bit anywhere: rejected, and the buffer zeroed */
        ck_assert_int_eq(mote_crypto_aead_seal(a, nonce, 12, "hdr", 3, buf, sizeof(buf), tag), 0);
        buf[500] ^= 0x80;
        ck_assert_int_eq(mote_crypto_aead_open(a, nonce, 12, "hdr", 3, buf, sizeof(buf), tag),
                         MOTE_EVERIFY);
        ck_assert(mote_ct_all_zero(buf, sizeof(buf)));
        memcpy(buf, orig, sizeof(buf));
        ck_assert_int_eq(mote_crypto_aead_seal(a, nonce, 12, "hdr", 3, buf, sizeof(buf), tag), 0);
        ck_assert_int_eq(mote_crypto_aead_open(a, nonce, 12, "hdX", 3, buf, sizeof(buf), tag),
                         MOTE_EVERIFY);
        /* nonce lengths */
        ck_assert_int_eq(mote_crypto_aead_seal(a, nonce, 0, NULL, 0, buf, 10, tag), MOTE_EINVAL);
        int r8 = mote_crypto_aead_seal(a, nonce, 8, NULL, 0, buf, 10, tag);
        ck_assert_int_eq(r8, ids[k] == MOTE_CRYPTO_AEAD_CHACHA20_POLY1305 ? MOTE_EINVAL : 0);
        /* empty message */
        ck_assert_int_eq(mote_crypto_aead_seal(a, nonce, 12, NULL, 0, NULL, 0, tag), 0);
        ck_assert_int_eq(mote_crypto_aead_open(a, nonce, 12, NULL, 0, NULL, 0, tag), 0);
        mote_crypto_aead_free(a);
    }
    ck_assert_ptr_null(mote_crypto_aead_new((mote_crypto_aead_id)77, key, 16, &err));
}
END_TEST

/* The constant-time AES key expansion (crypto/aes_key.c, internal) must
 * give exactly nettle's round keys, for every key size; 300 keys each
 * reach every S-box input many times over. */
void mc_aes_expand_key(const uint8_t *key, size_t key_len, uint32_t *keys);

START_TEST(test_aes_key_expansion_matches_nettle)
{
    uint8_t key[32];
    uint32_t mine[60];
    for (int n = 0; n < 300; n++) {
        mote_rng_fill(&rng.rng, key, sizeof(key));
        struct aes128_ctx a128;
        struct aes192_ctx a192;
        struct aes256_ctx a256;
        aes128_set_encrypt_key(&a128, key);
        mc_aes_expand_key(key, 16, mine);
        ck_assert_mem_eq(mine, a128.keys, sizeof(a128.keys));
        aes192_set_encrypt_key(&a192, key);
        mc_aes_expand_key(key, 24, mine);
        ck_assert_mem_eq(mine, a192.keys, sizeof(a192.keys));
        aes256_set_encrypt_key(&a256, key);
        mc_aes_expand_key(key, 32, mine);
        ck_assert_mem_eq(mine, a256.keys, sizeof(a256.keys));
    }
}
END_TEST

/* AES-GCM on AES-NI/PCLMULQDQ (crypto/aead_aesni.c, internal): the
 * provider must pick it where the CPU has the instructions, and it must
 * agree with nettle's GCM byte for byte, seal and open, on random keys,
 * nonces (12 bytes and others), lengths 0..300 and odd AAD lengths; a
 * flipped tag or ciphertext bit must fail to open. */
START_TEST(test_gcm_aesni_matches_nettle)
{
#ifdef MOTE_CRYPTO_HAVE_AESNI
    static const mote_crypto_aead_id ids[] = {
        MOTE_CRYPTO_AEAD_AES_128_GCM, MOTE_CRYPTO_AEAD_AES_192_GCM, MOTE_CRYPTO_AEAD_AES_256_GCM};
    if (!mc_aead_aesni_gcm_usable()) {
        fprintf(stderr, "note: no AES-NI/PCLMULQDQ here, nettle's GCM serves\n");
        for (int i = 0; i < 3; i++)
            ck_assert_ptr_eq(mc_provider_get()->aead(ids[i]), mc_aead_nettle_gcm(ids[i]));
        return;
    }
    _Alignas(64) static unsigned char ctx_a[8192], ctx_b[8192];
    enum { MAXL = 4200 };
    static uint8_t pt[MAXL], ca[MAXL], cb[MAXL];
    uint8_t key[32], nonce[64], aad[80], ta[16], tb[16], meta[4];
    /* every length to 300, then around the 256-byte steps of the VAES
     * path and the 128-byte ones of the AES-NI path */
    static const size_t extra[] = {383,  384,  385,  511,  512,  513,  640,  767,  768,  769,
                                   1023, 1024, 1025, 1151, 2047, 2048, 2049, 4095, 4096, 4111};
    int wide_ok = mc_aead_vaes_gcm_usable();
    if (!wide_ok)
        fprintf(stderr, "note: no VAES/VPCLMULQDQ here, the 16-block GCM path is not tested\n");
    for (int w = 0; w < 6; w++) {
        int i = w % 3, wide = w >= 3;
        if (wide && !wide_ok)
            continue;
        const mc_aead_impl *ni = wide ? mc_aead_vaes_gcm(ids[i]) : mc_aead_aesni_gcm(ids[i]);
        const mc_aead_impl *ne = mc_aead_nettle_gcm(ids[i]);
        ck_assert_ptr_eq(mc_provider_get()->aead(ids[i]),
                         wide_ok ? mc_aead_vaes_gcm(ids[i]) : mc_aead_aesni_gcm(ids[i]));
        ck_assert_ptr_nonnull(strstr(ni->name, wide ? "vaes" : "aesni"));
        ck_assert(ni->ctx_size <= sizeof(ctx_a) && ne->ctx_size <= sizeof(ctx_b));
        for (size_t li = 0; li <= 300 + sizeof(extra) / sizeof(extra[0]); li++) {
            size_t len = li <= 300 ? li : extra[li - 301];
            mote_rng_fill(&rng.rng, key, sizeof(key));
            mote_rng_fill(&rng.rng, meta, sizeof(meta));
            size_t nonce_len = (meta[0] & 3) ? 12 : 1 + meta[1] % sizeof(nonce);
            size_t aad_len = (len % 3 == 0) ? 0 : (size_t)(2 * (meta[2] % 40) + 1);
            mote_rng_fill(&rng.rng, nonce, sizeof(nonce));
            mote_rng_fill(&rng.rng, aad, sizeof(aad));
            mote_rng_fill(&rng.rng, pt, sizeof(pt));
            ni->set_key(ctx_a, key);
            ne->set_key(ctx_b, key);
            memcpy(ca, pt, len);
            memcpy(cb, pt, len);
            ni->seal(ctx_a, nonce, nonce_len, aad, aad_len, ca, len, ta);
            ne->seal(ctx_b, nonce, nonce_len, aad, aad_len, cb, len, tb);
            ck_assert_mem_eq(ca, cb, len);
            ck_assert_mem_eq(ta, tb, 16);
            ck_assert_int_eq(ni->open(ctx_a, nonce, nonce_len, aad, aad_len, ca, len, ta), 0);
            ck_assert_mem_eq(ca, pt, len);
            memcpy(ca, cb, len);
            ta[meta[3] % 16] ^= (uint8_t)(1u << (meta[3] % 8));
            ck_assert_int_eq(ni->open(ctx_a, nonce, nonce_len, aad, aad_len, ca, len, ta),
                             MOTE_EVERIFY);
            if (len) {
                cb[meta[1] % len] ^= 0x80;
                ck_assert_int_eq(ni->open(ctx_a, nonce, nonce_len, aad, aad_len, cb, len, tb),
                                 MOTE_EVERIFY);
            }
        }
    }
    /* and through the public API: a failed open still zeroes the buffer */
    int err;
    memset(key, 3, sizeof(key));
    mote_crypto_aead *a = mote_crypto_aead_new(MOTE_CRYPTO_AEAD_AES_128_GCM, key, 16, &err);
    ck_assert_ptr_nonnull(a);
    memset(pt, 0x5a, 200);
    ck_assert_int_eq(mote_crypto_aead_seal(a, nonce, 12, aad, 7, pt, 200, ta), 0);
    ta[0] ^= 1;
    ck_assert_int_eq(mote_crypto_aead_open(a, nonce, 12, aad, 7, pt, 200, ta), MOTE_EVERIFY);
    ck_assert(mote_ct_all_zero(pt, 200));
    mote_crypto_aead_free(a);
    /* MOTE_CRYPTO_AES lowers the choice (for the Wycheproof reruns) */
    setenv("MOTE_CRYPTO_AES", "aesni", 1);
    ck_assert_ptr_eq(mc_provider_get()->aead(MOTE_CRYPTO_AEAD_AES_256_GCM),
                     mc_aead_aesni_gcm(MOTE_CRYPTO_AEAD_AES_256_GCM));
    setenv("MOTE_CRYPTO_AES", "nettle", 1);
    ck_assert_ptr_eq(mc_provider_get()->aead(MOTE_CRYPTO_AEAD_AES_256_GCM),
                     mc_aead_nettle_gcm(MOTE_CRYPTO_AEAD_AES_256_GCM));
    unsetenv("MOTE_CRYPTO_AES");
#else
    fprintf(stderr, "note: not an x86-64 build, nettle's GCM serves\n");
    ck_assert_ptr_eq(mc_provider_get()->aead(MOTE_CRYPTO_AEAD_AES_128_GCM),
                     mc_aead_nettle_gcm(MOTE_CRYPTO_AEAD_AES_128_GCM));
#endif
}
END_TEST

/* ---- ChaCha20-Poly1305 written here (crypto/chachapoly.c) ------------------------- */

/* The tiers of our own code; a tier this CPU lacks is skipped (and said so). */
static const int chacha_tiers[] = {MC_CHACHA_AVX2, MC_CHACHA_AVX512};
static const char *const chacha_tier_names[] = {"avx2", "avx512"};

static int chacha_tier_usable(int i)
{
    if (mc_aead_chachapoly(chacha_tiers[i]))
        return 1;
    fprintf(stderr, "note: this CPU lacks the %s tier of ChaCha20-Poly1305, not tested\n",
            chacha_tier_names[i]);
    return 0;
}

/* RFC 8439 2.8.2, every tier, out of place and in place. */
START_TEST(test_chachapoly_rfc8439)
{
    static const char *key_hex = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
    static const char *pt_text = "Ladies and Gentlemen of the class of '99: If I could offer you "
                                 "only one tip for the future, sunscreen would be it.";
    static const char *ct_hex = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                                "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                                "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                                "3ff4def08e4b7a9de576d26586cec64b6116";
    size_t kl, nl, al;
    uint8_t *key = tu_unhex(key_hex, &kl), *nonce = tu_unhex("070000004041424344454647", &nl);
    uint8_t *aad = tu_unhex("50515253c0c1c2c3c4c5c6c7", &al);
    size_t len = strlen(pt_text);
    ck_assert_uint_eq(len, 114);
    uint8_t ct[114], back[114], tag[16];
    for (int i = 0; i < 2; i++) {
        if (!chacha_tier_usable(i))
            continue;
        ck_assert_int_eq(mc_chachapoly_seal(chacha_tiers[i], key, nonce, aad, al, ct,
                                            (const uint8_t *)pt_text, len, tag),
                         0);
        check_hex(ct, len, ct_hex);
        check_hex(tag, 16, "1ae10b594f09e26a7e902ecbd0600691");
        ck_assert_int_eq(
            mc_chachapoly_open(chacha_tiers[i], key, nonce, aad, al, back, ct, len, tag), 0);
        ck_assert_mem_eq(back, pt_text, len);
        memcpy(back, pt_text, len); /* in place */
        ck_assert_int_eq(
            mc_chachapoly_seal(chacha_tiers[i], key, nonce, aad, al, back, back, len, tag), 0);
        check_hex(back, len, ct_hex);
        ck_assert_int_eq(
            mc_chachapoly_open(chacha_tiers[i], key, nonce, aad, al, back, back, len, tag), 0);
        ck_assert_mem_eq(back, pt_text, len);
        aad[3] ^= 1; /* altered AAD: refused, the output left alone */
        memset(back, 0x77, len);
        ck_assert_int_eq(
            mc_chachapoly_open(chacha_tiers[i], key, nonce, aad, al, back, ct, len, tag),
            MOTE_EVERIFY);
        aad[3] ^= 1;
        for (size_t j = 0; j < len; j++)
            ck_assert_uint_eq(back[j], 0x77);
    }
    free(key);
    free(nonce);
    free(aad);
}
END_TEST

/* Against libsodium at every length 0..1024 with every AAD length 0..64,
 * alternately in place and out of place; each result opens again. */
START_TEST(test_chachapoly_vs_sodium_all_lengths)
{
    int t = _i;
    if (!chacha_tier_usable(t))
        return;
    int tier = chacha_tiers[t];
    ck_assert_int_ge(sodium_init(), 0);
    static uint8_t pt[1024], want[1024], got[1024], back[1024];
    uint8_t key[32], nonce[12], aad[64], wt[16], gt[16];
    mote_rng_fill(&rng.rng, aad, sizeof(aad));
    for (size_t len = 0; len <= 1024; len++) {
        mote_rng_fill(&rng.rng, key, sizeof(key));
        mote_rng_fill(&rng.rng, nonce, sizeof(nonce));
        mote_rng_fill(&rng.rng, pt, len);
        for (size_t al = 0; al <= 64; al++) {
            crypto_aead_chacha20poly1305_ietf_encrypt_detached(want, wt, NULL, pt, len, aad, al,
                                                               NULL, nonce, key);
            if (al & 1) {
                ck_assert_int_eq(mc_chachapoly_seal(tier, key, nonce, aad, al, got, pt, len, gt),
                                 0);
            } else {
                memcpy(got, pt, len);
                ck_assert_int_eq(mc_chachapoly_seal(tier, key, nonce, aad, al, got, got, len, gt),
                                 0);
            }
            if (memcmp(got, want, len) || memcmp(gt, wt, 16))
                ck_abort_msg("%s: seal differs from libsodium at length %zu, AAD %zu",
                             chacha_tier_names[t], len, al);
            ck_assert_int_eq(mc_chachapoly_open(tier, key, nonce, aad, al, back, got, len, gt), 0);
            if (memcmp(back, pt, len))
                ck_abort_msg("%s: open at length %zu, AAD %zu", chacha_tier_names[t], len, al);
        }
    }
}
END_TEST

/* Random long lengths (up to 300 KiB), AAD up to 3000 bytes (so the AAD
 * also takes the eight-lane path), source and destination at every
 * alignment, in place or not; then a flipped bit in the ciphertext, the
 * tag or the AAD is refused and the destination is not touched. */
START_TEST(test_chachapoly_long_unaligned)
{
    int t = _i;
    if (!chacha_tier_usable(t))
        return;
    int tier = chacha_tiers[t];
    ck_assert_int_ge(sodium_init(), 0);
    enum { MAXLEN = 300000 + 64, MAXAAD = 3000 };
    uint8_t *pt = malloc(MAXLEN), *want = malloc(MAXLEN), *src = malloc(MAXLEN + 64),
            *dst = malloc(MAXLEN + 64), *aad = malloc(MAXAAD);
    ck_assert(pt && want && src && dst && aad);
    uint8_t key[32], nonce[12], wt[16], gt[16], meta[8];
    for (int iter = 0; iter < 120; iter++) {
        mote_rng_fill(&rng.rng, meta, sizeof(meta));
        size_t len;
        uint32_t m = (uint32_t)meta[0] | (uint32_t)meta[1] << 8 | (uint32_t)meta[2] << 16;
        switch (meta[3] % 4) {
        case 0:
            len = m % 300001;
            break;
        case 1:
            len = m % 20000;
            break;
        case 2:
            len = 1024 * (1 + m % 20) + (meta[4] % 3) - 1; /* around whole passes */
            break;
        default:
            len = m % 4096;
            break;
        }
        size_t al = (meta[4] & 1) ? meta[5] % 65 : (size_t)(m % (MAXAAD + 1));
        size_t so = meta[6] % 64, dof = meta[7] % 64;
        int in_place = (meta[5] & 3) == 0;
        mote_rng_fill(&rng.rng, key, sizeof(key));
        mote_rng_fill(&rng.rng, nonce, sizeof(nonce));
        mote_rng_fill(&rng.rng, pt, len);
        mote_rng_fill(&rng.rng, aad, al);
        crypto_aead_chacha20poly1305_ietf_encrypt_detached(want, wt, NULL, pt, len, aad, al, NULL,
                                                           nonce, key);
        uint8_t *s = src + so, *d = in_place ? s : dst + dof;
        memcpy(s, pt, len);
        ck_assert_int_eq(mc_chachapoly_seal(tier, key, nonce, aad, al, d, s, len, gt), 0);
        if (memcmp(d, want, len) || memcmp(gt, wt, 16))
            ck_abort_msg("%s: seal differs at length %zu, AAD %zu, offsets %zu/%zu%s",
                         chacha_tier_names[t], len, al, so, dof, in_place ? " in place" : "");
        /* open in place, or from d (dst + dof) back into src + so */
        uint8_t *o = in_place ? d : s;
        ck_assert_int_eq(mc_chachapoly_open(tier, key, nonce, aad, al, o, d, len, gt), 0);
        if (memcmp(o, pt, len))
            ck_abort_msg("%s: open differs at length %zu", chacha_tier_names[t], len);
        /* tampering: the ciphertext (when there is one), the tag, the AAD */
        memcpy(src + so, want, len);
        memset(dst + dof, 0x5c, len);
        int what = meta[2] % 3;
        if (what == 0 && len)
            src[so + m % len] ^= (uint8_t)(1u << (meta[1] % 8));
        else if (what == 1 || !al)
            gt[meta[1] % 16] ^= (uint8_t)(1u << (meta[0] % 8));
        else
            aad[m % al] ^= 0x01;
        ck_assert_int_eq(
            mc_chachapoly_open(tier, key, nonce, aad, al, dst + dof, src + so, len, gt),
            MOTE_EVERIFY);
        for (size_t j = 0; j < len; j++)
            if (dst[dof + j] != 0x5c)
                ck_abort_msg("%s: a refused open wrote its output", chacha_tier_names[t]);
    }
    free(pt);
    free(want);
    free(src);
    free(dst);
    free(aad);
}
END_TEST

/* Which implementation the provider picks: the best tier this CPU has,
 * lowered by MOTE_CRYPTO_CHACHA=avx2|sodium (never raised); through the
 * public API every choice gives libsodium's bytes, and a failed open
 * zeroes the buffer. */
START_TEST(test_chachapoly_provider_choice)
{
    const mc_aead_impl *sodium_impl = mc_aead_sodium_chacha20poly1305();
    int best = mc_chachapoly_cpu_tier();
    unsetenv("MOTE_CRYPTO_CHACHA");
    const mc_aead_impl *picked = mc_provider_get()->aead(MOTE_CRYPTO_AEAD_CHACHA20_POLY1305);
    if (best == MC_CHACHA_SODIUM) {
        fprintf(stderr, "note: no AVX2 here, libsodium's ChaCha20-Poly1305 serves\n");
        ck_assert_ptr_eq(picked, sodium_impl);
    } else {
        ck_assert_ptr_eq(picked, mc_aead_chachapoly(best));
        ck_assert_ptr_nonnull(strstr(picked->name, best == MC_CHACHA_AVX512 ? "avx512" : "avx2"));
    }
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512ifma") && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vl"))
        ck_assert_int_eq(best, MC_CHACHA_AVX512);
#endif

    static const char *const forced[] = {NULL, "avx2", "sodium", "bogus"};
    uint8_t key[32], nonce[12], aad[13], pt[3000], buf[3000], want[3000], tag[16], wt[16];
    mote_rng_fill(&rng.rng, key, sizeof(key));
    mote_rng_fill(&rng.rng, nonce, sizeof(nonce));
    mote_rng_fill(&rng.rng, aad, sizeof(aad));
    mote_rng_fill(&rng.rng, pt, sizeof(pt));
    ck_assert_int_ge(sodium_init(), 0);
    for (int f = 0; f < 4; f++) {
        if (forced[f])
            setenv("MOTE_CRYPTO_CHACHA", forced[f], 1);
        else
            unsetenv("MOTE_CRYPTO_CHACHA");
        picked = mc_provider_get()->aead(MOTE_CRYPTO_AEAD_CHACHA20_POLY1305);
        if (f == 1 && best >= MC_CHACHA_AVX2)
            ck_assert_str_eq(picked->name, "chacha20-poly1305/avx2");
        if (f == 2)
            ck_assert_ptr_eq(picked, sodium_impl);
        if (f == 3) /* an unknown name changes nothing */
            ck_assert_ptr_eq(picked, best ? mc_aead_chachapoly(best) : sodium_impl);
        int err;
        mote_crypto_aead *a =
            mote_crypto_aead_new(MOTE_CRYPTO_AEAD_CHACHA20_POLY1305, key, 32, &err);
        ck_assert_ptr_nonnull(a);
        static const size_t lens[] = {0, 1, 63, 64, 65, 447, 448, 449, 959, 960, 961, 1500, 3000};
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            size_t len = lens[l];
            crypto_aead_chacha20poly1305_ietf_encrypt_detached(want, wt, NULL, pt, len, aad,
                                                               sizeof(aad), NULL, nonce, key);
            memcpy(buf, pt, len);
            ck_assert_int_eq(mote_crypto_aead_seal(a, nonce, 12, aad, sizeof(aad), buf, len, tag),
                             0);
            ck_assert_mem_eq(buf, want, len);
            ck_assert_mem_eq(tag, wt, 16);
            ck_assert_int_eq(mote_crypto_aead_open(a, nonce, 12, aad, sizeof(aad), buf, len, tag),
                             0);
            ck_assert_mem_eq(buf, pt, len);
            memcpy(buf, want, len);
            tag[15] ^= 0x80;
            ck_assert_int_eq(mote_crypto_aead_open(a, nonce, 12, aad, sizeof(aad), buf, len, tag),
                             MOTE_EVERIFY);
            ck_assert(len == 0 || mote_ct_all_zero(buf, len));
        }
        /* the nonce is 12 bytes, nothing else */
        ck_assert_int_eq(mote_crypto_aead_seal(a, nonce, 8, NULL, 0, buf, 10, tag), MOTE_EINVAL);
        mote_crypto_aead_free(a);
    }
    unsetenv("MOTE_CRYPTO_CHACHA");
}
END_TEST

/* ---- key exchange ------------------------------------------------------------------ */

START_TEST(test_x25519_zero)
{
    uint8_t out[32], scalar[32], zero[32] = {0};
    memset(scalar, 9, sizeof(scalar));
    ck_assert_int_eq(mote_crypto_x25519(out, scalar, zero), MOTE_EVERIFY);
    ck_assert(mote_ct_all_zero(out, 32));
}
END_TEST

START_TEST(test_kx_all_groups)
{
    static const mote_crypto_group groups[] = {MOTE_CRYPTO_GROUP_X25519, MOTE_CRYPTO_GROUP_P256,
                                               MOTE_CRYPTO_GROUP_P384, MOTE_CRYPTO_GROUP_MLKEM768,
                                               MOTE_CRYPTO_GROUP_X25519MLKEM768};
    static const size_t secret_lens[] = {32, 32, 48, 32, 64};
    uint8_t share[MOTE_CRYPTO_KX_SHARE_MAX], s1[64], s2[64];
    size_t share_len, l1, l2;
    int err;
    for (size_t i = 0; i < 5; i++) {
        mote_crypto_kx *kx = mote_crypto_kx_new(groups[i], &rng.rng, &err);
        ck_assert_ptr_nonnull(kx);
        mote_slice pub = mote_crypto_kx_share(kx);
        ck_assert_int_eq(mote_crypto_kx_respond(groups[i], &rng.rng, pub.ptr, pub.len, share,
                                                sizeof(share), &share_len, s1, &l1),
                         0);
        ck_assert_int_eq(mote_crypto_kx_finish(kx, share, share_len, s2, &l2), 0);
        ck_assert_uint_eq(l1, secret_lens[i]);
        ck_assert_uint_eq(l2, l1);
        ck_assert_mem_eq(s1, s2, l1);
        /* wrong lengths are decode errors */
        ck_assert_int_eq(mote_crypto_kx_finish(kx, share, share_len - 1, s2, &l2), MOTE_EDECODE);
        ck_assert_int_eq(mote_crypto_kx_respond(groups[i], &rng.rng, pub.ptr, pub.len - 1, share,
                                                sizeof(share), &share_len, s1, &l1),
                         MOTE_EDECODE);
        ck_assert_int_eq(mote_crypto_kx_respond(groups[i], &rng.rng, pub.ptr, pub.len, share, 10,
                                                &share_len, s1, &l1),
                         MOTE_ENOSPC);
        mote_crypto_kx_free(kx);
        ck_assert_ptr_null(mote_crypto_kx_new(groups[i], &broken_rng, &err));
        ck_assert_int_eq(err, MOTE_EIO);
    }
    ck_assert_ptr_null(mote_crypto_kx_new((mote_crypto_group)0x0019, &rng.rng, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
}
END_TEST

/* The curve constants written in ec.c are checked against nettle's own
 * generator: G, compressed, must decompress to G; and n - 1 is a valid
 * scalar while n is not. */
START_TEST(test_ec_constants)
{
    static const struct {
        mote_crypto_key_type t;
        size_t fb;
        const char *n;
    } curves[] = {
        {MOTE_CRYPTO_KEY_P256, 32,
         "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"},
        {MOTE_CRYPTO_KEY_P384, 48,
         "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196ac"
         "cc52973"},
    };
    for (int c = 0; c < 2; c++) {
        uint8_t one[1] = {1}, g[97], g2[97];
        mote_buf spki, spki2;
        int err;
        mote_crypto_privkey *k = mote_crypto_privkey_from_ec_scalar(curves[c].t, one, 1, &err);
        ck_assert_ptr_nonnull(k);
        mote_crypto_pubkey *pk = mote_crypto_privkey_public(k, &err);
        mote_buf_init(&spki, 0);
        ck_assert_int_eq(mote_crypto_pubkey_to_spki(pk, &spki), 0);
        size_t plen = 1 + 2 * curves[c].fb;
        memcpy(g, spki.data + spki.len - plen, plen); /* the point ends the SPKI */
        ck_assert_uint_eq(g[0], 4);
        memcpy(g2, g, 1 + curves[c].fb);
        g2[0] = (uint8_t)(2 | (g[plen - 1] & 1));
        mote_crypto_pubkey *pk2 =
            mote_crypto_pubkey_from_ec_point(curves[c].t, g2, 1 + curves[c].fb, &err);
        ck_assert_ptr_nonnull(pk2);
        mote_buf_init(&spki2, 0);
        ck_assert_int_eq(mote_crypto_pubkey_to_spki(pk2, &spki2), 0);
        ck_assert_uint_eq(spki.len, spki2.len);
        ck_assert_mem_eq(spki.data, spki2.data, spki.len);
        /* the other parity is -G, a different point */
        g2[0] ^= 1;
        mote_crypto_pubkey *pk3 =
            mote_crypto_pubkey_from_ec_point(curves[c].t, g2, 1 + curves[c].fb, &err);
        ck_assert_ptr_nonnull(pk3);
        mote_buf_reset(&spki2);
        mote_crypto_pubkey_to_spki(pk3, &spki2);
        ck_assert(memcmp(spki.data, spki2.data, spki.len) != 0);
        /* an x with no point, the point at infinity, a bad prefix */
        g2[0] = 0x00;
        ck_assert_ptr_null(mote_crypto_pubkey_from_ec_point(curves[c].t, g2, 1, &err));
        ck_assert_int_eq(err, MOTE_EDECODE);
        g2[0] = 0x05;
        ck_assert_ptr_null(
            mote_crypto_pubkey_from_ec_point(curves[c].t, g2, 1 + curves[c].fb, &err));
        size_t nlen;
        uint8_t *n = tu_unhex(curves[c].n, &nlen);
        ck_assert_ptr_null(mote_crypto_privkey_from_ec_scalar(curves[c].t, n, nlen, &err));
        ck_assert_int_eq(err, MOTE_ERANGE);
        n[nlen - 1]--;
        mote_crypto_privkey *kn = mote_crypto_privkey_from_ec_scalar(curves[c].t, n, nlen, &err);
        ck_assert_ptr_nonnull(kn);
        mote_crypto_privkey_free(kn);
        free(n);
        ck_assert_ptr_null(mote_crypto_privkey_from_ec_scalar(curves[c].t, g2, 0, &err));
        mote_buf_free(&spki);
        mote_buf_free(&spki2);
        mote_crypto_pubkey_free(pk);
        mote_crypto_pubkey_free(pk2);
        mote_crypto_pubkey_free(pk3);
        mote_crypto_privkey_free(k);
    }
}
END_TEST

/* ---- ML-KEM-768 --------------------------------------------------------------------- */

START_TEST(test_mlkem_roundtrip_and_rejection)
{
    static uint8_t ek[MOTE_CRYPTO_MLKEM768_EK_LEN], dk[MOTE_CRYPTO_MLKEM768_DK_LEN];
    uint8_t ct[MOTE_CRYPTO_MLKEM768_CT_LEN], ss1[32], ss2[32], ss3[32];
    ck_assert_int_eq(mote_crypto_mlkem768_keygen(&rng.rng, ek, dk), 0);
    ck_assert_int_eq(mote_crypto_mlkem768_encaps(ek, sizeof(ek), &rng.rng, ct, ss1), 0);
    ck_assert_int_eq(mote_crypto_mlkem768_decaps(dk, sizeof(dk), ct, sizeof(ct), ss2), 0);
    ck_assert_mem_eq(ss1, ss2, 32);
    /* implicit rejection: a changed ciphertext gives another secret, the
     * same one each time, and no error */
    ct[100] ^= 1;
    ck_assert_int_eq(mote_crypto_mlkem768_decaps(dk, sizeof(dk), ct, sizeof(ct), ss2), 0);
    ck_assert_int_eq(mote_crypto_mlkem768_decaps(dk, sizeof(dk), ct, sizeof(ct), ss3), 0);
    ck_assert(memcmp(ss1, ss2, 32) != 0);
    ck_assert_mem_eq(ss2, ss3, 32);
    /* a dk whose stored H(ek) is wrong fails its check */
    dk[MOTE_CRYPTO_MLKEM768_DK_LEN - 40] ^= 1;
    ck_assert_int_eq(mote_crypto_mlkem768_decaps(dk, sizeof(dk), ct, sizeof(ct), ss2),
                     MOTE_EDECODE);
    /* an ek with a coefficient >= q fails the modulus check */
    ek[0] = 0xff;
    ek[1] |= 0x0f;
    ck_assert_int_eq(mote_crypto_mlkem768_encaps(ek, sizeof(ek), &rng.rng, ct, ss1), MOTE_EDECODE);
    ck_assert_int_eq(mote_crypto_mlkem768_keygen(&broken_rng, ek, dk), MOTE_EIO);
}
END_TEST

/* ---- signatures and keys -------------------------------------------------------------- */

static mote_crypto_privkey *rsa_key;

static void rsa_setup(void)
{
    int err;
    setup();
    if (!rsa_key)
        rsa_key = mote_crypto_privkey_generate(MOTE_CRYPTO_KEY_RSA, 2048, &rng.rng, &err);
}

static void sign_verify_all(mote_crypto_privkey *k, const mote_crypto_sig_alg *algs, size_t n)
{
    uint8_t sig[MOTE_CRYPTO_SIG_MAX_LEN];
    size_t sig_len;
    int err;
    mote_crypto_pubkey *pk = mote_crypto_privkey_public(k, &err);
    ck_assert_ptr_nonnull(pk);
    for (size_t i = 0; i < n; i++) {
        unsigned flags = 0;
        for (int raw = 0; raw < 2; raw++) {
            ck_assert_int_eq(mote_crypto_sign(k, algs[i], &rng.rng, "hello", 5, sig, sizeof(sig),
                                              &sig_len, flags),
                             0);
            ck_assert_int_eq(mote_crypto_verify(pk, algs[i], "hello", 5, sig, sig_len, flags), 0);
            ck_assert_int_eq(mote_crypto_verify(pk, algs[i], "hellO", 5, sig, sig_len, flags),
                             MOTE_EVERIFY);
            sig[sig_len / 2] ^= 4;
            ck_assert_int_eq(mote_crypto_verify(pk, algs[i], "hello", 5, sig, sig_len, flags),
                             MOTE_EVERIFY);
            ck_assert_int_eq(mote_crypto_verify(pk, algs[i], "hello", 5, sig, sig_len - 1, flags),
                             MOTE_EVERIFY);
            ck_assert_int_eq(
                mote_crypto_sign(k, algs[i], &rng.rng, "hello", 5, sig, 8, &sig_len, flags),
                MOTE_ENOSPC);
            flags = MOTE_CRYPTO_SIG_RAW;
        }
    }
    /* an algorithm of another key type */
    mote_crypto_sig_alg other = mote_crypto_privkey_type(k) == MOTE_CRYPTO_KEY_ED25519
                                    ? MOTE_CRYPTO_SIG_ECDSA_SHA256
                                    : MOTE_CRYPTO_SIG_ED25519;
    ck_assert_int_eq(
        mote_crypto_sign(k, other, &rng.rng, "hello", 5, sig, sizeof(sig), &sig_len, 0),
        MOTE_EUNSUPPORTED);
    ck_assert_int_eq(mote_crypto_verify(pk, other, "hello", 5, sig, 64, 0), MOTE_EUNSUPPORTED);
    mote_crypto_pubkey_free(pk);
}

START_TEST(test_sign_ec_ed)
{
    static const mote_crypto_sig_alg ecdsa[] = {
        MOTE_CRYPTO_SIG_ECDSA_SHA256, MOTE_CRYPTO_SIG_ECDSA_SHA384, MOTE_CRYPTO_SIG_ECDSA_SHA512};
    static const mote_crypto_sig_alg ed[] = {MOTE_CRYPTO_SIG_ED25519};
    int err;
    mote_crypto_privkey *k = mote_crypto_privkey_generate(MOTE_CRYPTO_KEY_P256, 0, &rng.rng, &err);
    ck_assert_ptr_nonnull(k);
    sign_verify_all(k, ecdsa, 3);
    mote_crypto_privkey_free(k);
    k = mote_crypto_privkey_generate(MOTE_CRYPTO_KEY_P384, 0, &rng.rng, &err);
    ck_assert_ptr_nonnull(k);
    sign_verify_all(k, ecdsa, 3);
    mote_crypto_privkey_free(k);
    k = mote_crypto_privkey_generate(MOTE_CRYPTO_KEY_ED25519, 0, &rng.rng, &err);
    ck_assert_ptr_nonnull(k);
    sign_verify_all(k, ed, 1);
    mote_crypto_privkey_free(k);
    ck_assert_ptr_null(mote_crypto_privkey_generate(MOTE_CRYPTO_KEY_P256, 0, &broken_rng, &err));
    ck_assert_int_eq(err, MOTE_EIO);
}
END_TEST

START_TEST(test_sign_rsa)
{
    static const mote_crypto_sig_alg algs[] = {
        MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256, MOTE_CRYPTO_SIG_RSA_PKCS1_SHA384,
        MOTE_CRYPTO_SIG_RSA_PKCS1_SHA512, MOTE_CRYPTO_SIG_RSA_PSS_SHA256,
        MOTE_CRYPTO_SIG_RSA_PSS_SHA384,   MOTE_CRYPTO_SIG_RSA_PSS_SHA512};
    int err;
    ck_assert_ptr_nonnull(rsa_key);
    ck_assert_uint_eq(mote_crypto_privkey_bits(rsa_key), 2048);
    sign_verify_all(rsa_key, algs, 6);
    ck_assert_ptr_null(mote_crypto_privkey_generate(MOTE_CRYPTO_KEY_RSA, 1024, &rng.rng, &err));
    ck_assert_int_eq(err, MOTE_ERANGE);
    ck_assert_ptr_null(mote_crypto_privkey_generate(MOTE_CRYPTO_KEY_RSA, 8192, &rng.rng, &err));
    ck_assert_int_eq(err, MOTE_ERANGE);
}
END_TEST

static void roundtrip_key(mote_crypto_privkey *k)
{
    mote_buf der, der2, pem, spki, spki2;
    int err;
    mote_buf_init_secret(&der, 0);
    mote_buf_init_secret(&der2, 0);
    mote_buf_init_secret(&pem, 0);
    mote_buf_init(&spki, 0);
    mote_buf_init(&spki2, 0);
    mote_crypto_pubkey *pk = mote_crypto_privkey_public(k, &err);
    ck_assert_int_eq(mote_crypto_pubkey_to_spki(pk, &spki), 0);
    for (int fmt = MOTE_CRYPTO_FORMAT_PKCS8; fmt <= MOTE_CRYPTO_FORMAT_TRADITIONAL; fmt++) {
        mote_buf_reset(&der);
        mote_buf_reset(&der2);
        mote_buf_reset(&pem);
        int rc = mote_crypto_privkey_to_der(k, (mote_crypto_key_format)fmt, &der);
        if (mote_crypto_privkey_type(k) == MOTE_CRYPTO_KEY_ED25519 &&
            fmt == MOTE_CRYPTO_FORMAT_TRADITIONAL) {
            ck_assert_int_eq(rc, MOTE_EUNSUPPORTED);
            continue;
        }
        ck_assert_int_eq(rc, 0);
        mote_crypto_privkey *k2 = mote_crypto_privkey_from_der(der.data, der.len, &err);
        ck_assert_ptr_nonnull(k2);
        ck_assert_int_eq(mote_crypto_privkey_to_der(k2, (mote_crypto_key_format)fmt, &der2), 0);
        ck_assert_uint_eq(der.len, der2.len);
        ck_assert_mem_eq(der.data, der2.data, der.len);
        mote_crypto_privkey_free(k2);
        /* PEM */
        ck_assert_int_eq(mote_crypto_privkey_to_pem(k, (mote_crypto_key_format)fmt, &pem), 0);
        k2 = mote_crypto_privkey_from_pem((const char *)pem.data, pem.len, &err);
        ck_assert_ptr_nonnull(k2);
        mote_crypto_pubkey *pk2 = mote_crypto_privkey_public(k2, &err);
        mote_buf_reset(&spki2);
        ck_assert_int_eq(mote_crypto_pubkey_to_spki(pk2, &spki2), 0);
        ck_assert_uint_eq(spki.len, spki2.len);
        ck_assert_mem_eq(spki.data, spki2.data, spki.len);
        mote_crypto_pubkey_free(pk2);
        mote_crypto_privkey_free(k2);
        /* every truncation of the DER is an error, never a crash */
        for (size_t cut = 0; cut < der.len; cut += (der.len > 300 ? 7 : 1)) {
            k2 = mote_crypto_privkey_from_der(der.data, cut, &err);
            ck_assert_ptr_null(k2);
            ck_assert_int_ne(err, 0);
        }
    }
    /* public key PEM round trip */
    mote_buf_reset(&pem);
    ck_assert_int_eq(mote_crypto_pubkey_to_pem(pk, &pem), 0);
    mote_crypto_pubkey *pk3 = mote_crypto_pubkey_from_pem((const char *)pem.data, pem.len, &err);
    ck_assert_ptr_nonnull(pk3);
    mote_buf_reset(&spki2);
    mote_crypto_pubkey_to_spki(pk3, &spki2);
    ck_assert_mem_eq(spki.data, spki2.data, spki.len);
    for (size_t cut = 0; cut < spki.len; cut++)
        ck_assert_ptr_null(mote_crypto_pubkey_from_spki(spki.data, cut, &err));
    mote_crypto_pubkey_free(pk3);
    mote_crypto_pubkey_free(pk);
    mote_buf_free(&der);
    mote_buf_free(&der2);
    mote_buf_free(&pem);
    mote_buf_free(&spki);
    mote_buf_free(&spki2);
}

START_TEST(test_key_formats_roundtrip)
{
    int err;
    static const mote_crypto_key_type types[] = {MOTE_CRYPTO_KEY_P256, MOTE_CRYPTO_KEY_P384,
                                                 MOTE_CRYPTO_KEY_ED25519};
    for (int i = 0; i < 3; i++) {
        mote_crypto_privkey *k = mote_crypto_privkey_generate(types[i], 0, &rng.rng, &err);
        roundtrip_key(k);
        mote_crypto_privkey_free(k);
    }
    ck_assert_ptr_nonnull(rsa_key);
    roundtrip_key(rsa_key);
}
END_TEST

START_TEST(test_key_formats_hostile)
{
    int err;
    /* EncryptedPrivateKeyInfo: SEQUENCE { SEQUENCE { OID pbes2 }, OCTET STRING } */
    static const uint8_t enc[] = {0x30, 0x12, 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                  0xf7, 0x0d, 0x01, 0x05, 0x0d, 0x04, 0x03, 0x01, 0x02, 0x03};
    ck_assert_ptr_null(mote_crypto_privkey_from_der(enc, sizeof(enc), &err));
    ck_assert_int_eq(err, MOTE_EUNSUPPORTED);
    static const char enc_pem[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
                                  "MBIwCwYJKoZIhvcNAQUNBAMBAgM=\n"
                                  "-----END ENCRYPTED PRIVATE KEY-----\n";
    ck_assert_ptr_null(mote_crypto_privkey_from_pem(enc_pem, strlen(enc_pem), &err));
    ck_assert_int_eq(err, MOTE_EUNSUPPORTED);
    static const char legacy[] = "-----BEGIN RSA PRIVATE KEY-----\n"
                                 "Proc-Type: 4,ENCRYPTED\n"
                                 "DEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n"
                                 "AAAA\n"
                                 "-----END RSA PRIVATE KEY-----\n";
    ck_assert_ptr_null(mote_crypto_privkey_from_pem(legacy, strlen(legacy), &err));
    ck_assert_int_eq(err, MOTE_EUNSUPPORTED);
    ck_assert_ptr_null(mote_crypto_privkey_from_pem("junk", 4, &err));
    ck_assert_int_eq(err, MOTE_EDECODE);
    /* an Ed25519 SPKI with a 31-byte key; an unknown algorithm */
    static const uint8_t ed31[] = {0x30, 0x29, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x20,
                                   0x00, 1,    2,    3,    4,    5,    6,    7,    8,    9,    10,
                                   11,   12,   13,   14,   15,   16,   17,   18,   19,   20,   21,
                                   22,   23,   24,   25,   26,   27,   28,   29,   30,   31};
    ck_assert_ptr_null(mote_crypto_pubkey_from_spki(ed31, sizeof(ed31), &err));
    ck_assert_int_eq(err, MOTE_EDECODE);
    static const uint8_t x448[] = {0x30, 0x0a, 0x30, 0x05, 0x06, 0x03,
                                   0x2b, 0x65, 0x6f, 0x03, 0x01, 0x00};
    ck_assert_ptr_null(mote_crypto_pubkey_from_spki(x448, sizeof(x448), &err));
    ck_assert_int_eq(err, MOTE_EUNSUPPORTED);
    /* random bytes never crash the parsers */
    uint8_t junk[300];
    for (int i = 0; i < 2000; i++) {
        size_t n = (size_t)mote_seeded_rng_below(&rng, sizeof(junk));
        mote_rng_fill(&rng.rng, junk, n);
        junk[0] = 0x30;
        if (n > 1)
            junk[1] = (uint8_t)(n - 2 < 128 ? n - 2 : 0x81);
        mote_crypto_privkey_free(mote_crypto_privkey_from_der(junk, n, &err));
        mote_crypto_pubkey_free(mote_crypto_pubkey_from_spki(junk, n, &err));
    }
}
END_TEST

/* PKCS#8 v2 (OneAsymmetricKey) with publicKey [1]: the public key must be
 * the private key's. */
static void write_v2(mote_buf *out, int version, const uint8_t *seed, const uint8_t *pub)
{
    static const uint8_t ed_oid[] = {0x2b, 0x65, 0x70};
    uint8_t inner[34] = {0x04, 0x20};
    mote_asn1_writer w;
    memcpy(inner + 2, seed, 32);
    mote_buf_reset(out);
    mote_asn1_writer_init(&w, out);
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    mote_asn1_write_int64(&w, version);
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    mote_asn1_write_oid(&w, mote_slice_make(ed_oid, 3));
    mote_asn1_end(&w);
    mote_asn1_write_octets(&w, mote_slice_make(inner, sizeof(inner)));
    mote_asn1_implicit(&w, MOTE_ASN1_CONTEXT(1));
    mote_asn1_write_bits(&w, mote_slice_make(pub, 32), 0);
    mote_asn1_end(&w);
    ck_assert_int_eq(mote_asn1_writer_finish(&w), 0);
}

START_TEST(test_pkcs8_v2_public_key)
{
    uint8_t seed[32], pub[32];
    mote_buf der, spki;
    int err;
    memset(seed, 0x11, sizeof(seed));
    mote_crypto_privkey *k = mote_crypto_privkey_from_ed25519_seed(seed, &err);
    mote_crypto_pubkey *pk = mote_crypto_privkey_public(k, &err);
    mote_buf_init(&spki, 0);
    mote_crypto_pubkey_to_spki(pk, &spki);
    memcpy(pub, spki.data + spki.len - 32, 32);
    mote_buf_init_secret(&der, 0);
    write_v2(&der, 1, seed, pub);
    mote_crypto_privkey *k2 = mote_crypto_privkey_from_der(der.data, der.len, &err);
    ck_assert_ptr_nonnull(k2);
    mote_crypto_privkey_free(k2);
    pub[7] ^= 1;
    write_v2(&der, 1, seed, pub);
    ck_assert_ptr_null(mote_crypto_privkey_from_der(der.data, der.len, &err));
    ck_assert_int_eq(err, MOTE_EVERIFY);
    pub[7] ^= 1;
    write_v2(&der, 0, seed, pub); /* a public key needs version 2 */
    ck_assert_ptr_null(mote_crypto_privkey_from_der(der.data, der.len, &err));
    ck_assert_int_eq(err, MOTE_EDECODE);
    mote_buf_free(&der);
    mote_buf_free(&spki);
    mote_crypto_pubkey_free(pk);
    mote_crypto_privkey_free(k);
}
END_TEST

static Suite *crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("primitives");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_hash_kat);
    tcase_add_test(tc, test_sha384_against_nettle);
    tcase_add_test(tc, test_hkdf_rfc5869);
    tcase_add_test(tc, test_hmac_truncated_and_bounds);
    tcase_add_test(tc, test_aead_roundtrip_and_tamper);
    tcase_add_test(tc, test_aes_key_expansion_matches_nettle);
    tcase_add_test(tc, test_gcm_aesni_matches_nettle);
    tcase_add_test(tc, test_chachapoly_rfc8439);
    tcase_add_loop_test(tc, test_chachapoly_vs_sodium_all_lengths, 0, 2);
    tcase_add_loop_test(tc, test_chachapoly_long_unaligned, 0, 2);
    tcase_add_test(tc, test_chachapoly_provider_choice);
    tcase_add_test(tc, test_x25519_zero);
    tcase_add_test(tc, test_kx_all_groups);
    tcase_add_test(tc, test_ec_constants);
    tcase_add_test(tc, test_mlkem_roundtrip_and_rejection);
    tcase_add_test(tc, test_sign_ec_ed);
    tcase_add_test(tc, test_key_formats_hostile);
    tcase_add_test(tc, test_pkcs8_v2_public_key);
    suite_add_tcase(s, tc);
    TCase *rsa = tcase_create("rsa");
    tcase_add_unchecked_fixture(rsa, rsa_setup, NULL);
    tcase_set_timeout(rsa, 300);
    tcase_add_test(rsa, test_sign_rsa);
    tcase_add_test(rsa, test_key_formats_roundtrip);
    suite_add_tcase(s, rsa);
    return s;
}

int main(void)
{
    int rc = tu_run_suite(crypto_suite());
    mote_crypto_privkey_free(rsa_key);
    return rc;
}
