/*
 * crypto_aead.c - libFuzzer target: mote's own AEAD code against the
 * reference implementations, byte for byte.
 *
 * Input: one control byte, then a 32-byte key, a 12-byte nonce, one byte
 * of AAD length (taken modulo the bytes left) and the rest as the message.
 * The control byte picks the algorithm and the split:
 *  - ChaCha20-Poly1305: each tier of crypto/chachapoly.c this CPU has
 *    (AVX2, AVX-512/IFMA) against libsodium's, out of place or in place
 *    at an odd offset; the result must open, and must not open once one
 *    bit of ciphertext, tag or AAD is flipped (the output then untouched).
 *  - AES-128/256-GCM: the VAES/VPCLMULQDQ or the AES-NI/PCLMULQDQ code
 *    against nettle's.
 * Any difference aborts (a finding); nothing may crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_at(int ok, int line)
{
    if (!ok) {
        fprintf(stderr, "crypto_aead.c:%d: implementations disagree\n", line);
        abort();
    }
}
#define check(ok) check_at((ok), __LINE__)

static void fuzz_chacha(uint8_t ctl, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                        size_t al, const uint8_t *msg, size_t len)
{
    uint8_t *want = malloc(len + 1), *buf = malloc(len + 8), *back = malloc(len + 1);
    check(want && buf && back);
    uint8_t wt[16], gt[16];
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(want, wt, NULL, msg, len, aad, al, NULL,
                                                       nonce, key);
    static const int tiers[] = {MC_CHACHA_AVX2, MC_CHACHA_AVX512};
    for (int t = 0; t < 2; t++) {
        if (!mc_aead_chachapoly(tiers[t]))
            continue;
        uint8_t *d = buf + (ctl >> 5) % 8; /* odd offsets too */
        if (ctl & 2) {
            memcpy(d, msg, len);
            check(mc_chachapoly_seal(tiers[t], key, nonce, aad, al, d, d, len, gt) == 0);
        } else {
            check(mc_chachapoly_seal(tiers[t], key, nonce, aad, al, d, msg, len, gt) == 0);
        }
        check(memcmp(d, want, len) == 0 && memcmp(gt, wt, 16) == 0);
        check(mc_chachapoly_open(tiers[t], key, nonce, aad, al, back, d, len, gt) == 0);
        check(memcmp(back, msg, len) == 0);
        /* one flipped bit: refused, output untouched */
        memset(back, 0xa5, len);
        if (len && (ctl & 4)) {
            d[len / 2] ^= 0x10;
            check(mc_chachapoly_open(tiers[t], key, nonce, aad, al, back, d, len, gt) ==
                  MOTE_EVERIFY);
        } else {
            gt[ctl % 16] ^= 0x01;
            check(mc_chachapoly_open(tiers[t], key, nonce, aad, al, back, d, len, gt) ==
                  MOTE_EVERIFY);
        }
        for (size_t i = 0; i < len; i++)
            check(back[i] == 0xa5);
    }
    free(want);
    free(buf);
    free(back);
}

static void fuzz_gcm(uint8_t ctl, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                     size_t al, const uint8_t *msg, size_t len)
{
#ifdef MOTE_CRYPTO_HAVE_AESNI
    if (!mc_aead_aesni_gcm_usable())
        return;
    mote_crypto_aead_id id =
        (ctl & 2) ? MOTE_CRYPTO_AEAD_AES_256_GCM : MOTE_CRYPTO_AEAD_AES_128_GCM;
    /* the 16-block VAES code where the CPU has it (ctl bit 2 picks the
     * 8-block AES-NI code instead) */
    const mc_aead_impl *ni =
        (mc_aead_vaes_gcm_usable() && !(ctl & 4)) ? mc_aead_vaes_gcm(id) : mc_aead_aesni_gcm(id);
    const mc_aead_impl *ne = mc_aead_nettle_gcm(id);
    void *ca = aligned_alloc(64, (ni->ctx_size + 63) / 64 * 64),
         *cb = aligned_alloc(64, (ne->ctx_size + 63) / 64 * 64);
    uint8_t *x = malloc(len + 1), *y = malloc(len + 1), ta[16], tb[16];
    check(ca && cb && x && y);
    ni->set_key(ca, key);
    ne->set_key(cb, key);
    memcpy(x, msg, len);
    memcpy(y, msg, len);
    ni->seal(ca, nonce, 12, aad, al, x, len, ta);
    ne->seal(cb, nonce, 12, aad, al, y, len, tb);
    check(memcmp(x, y, len) == 0 && memcmp(ta, tb, 16) == 0);
    check(ni->open(ca, nonce, 12, aad, al, x, len, ta) == 0 && memcmp(x, msg, len) == 0);
    free(ca);
    free(cb);
    free(x);
    free(y);
#else
    (void)ctl;
    (void)key;
    (void)nonce;
    (void)aad;
    (void)al;
    (void)msg;
    (void)len;
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 + 32 + 12 + 1)
        return 0;
    if (sodium_init() < 0)
        abort();
    uint8_t ctl = data[0];
    const uint8_t *key = data + 1, *nonce = data + 33;
    size_t left = size - 46; /* after the AAD-length byte, data[45] */
    size_t al = data[45] % (left + 1);
    const uint8_t *aad = data + 46, *msg = aad + al;
    size_t len = left - al;
    if (ctl & 1)
        fuzz_gcm(ctl, key, nonce, aad, al, msg, len);
    else
        fuzz_chacha(ctl, key, nonce, aad, al, msg, len);
    return 0;
}
