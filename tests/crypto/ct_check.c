/* ct_check.c - checks under valgrind that code written in libmote-crypto
 * neither branches on nor indexes memory with secrets: secret inputs are
 * marked undefined (the ctgrind technique), and memcheck reports any
 * conditional jump or address computed from them. Run as
 *   valgrind --error-exitcode=1 ct-check
 * Covers ML-KEM-768 decapsulation (valid and rejected ciphertexts: the
 * implicit-rejection path) and encapsulation, HMAC and HKDF over each hash
 * (SHA-384 is written here on libsodium's SHA-512), AEAD key setup (AES
 * key expansion is written here) and sealing, X25519, and Ed25519 signing.
 * nettle's ECC and RSA are not covered: they take secrets as GMP integers,
 * whose import and range checks depend on the value (docs/crypto.md). */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "mote/crypto.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static uint8_t ek[MOTE_CRYPTO_MLKEM768_EK_LEN], dk[MOTE_CRYPTO_MLKEM768_DK_LEN];
static uint8_t ct[MOTE_CRYPTO_MLKEM768_CT_LEN];

int main(void)
{
    uint8_t seed[64], m[32], ss[32], ss2[32], out[64], key[32], buf[300], tag[16];
    int fails = 0;
    if (!RUNNING_ON_VALGRIND) {
        printf("SKIP: run under valgrind (meson does, when valgrind is installed)\n");
        return 77;
    }
    for (int i = 0; i < 64; i++)
        seed[i] = (uint8_t)(i * 3 + 1);
    memset(m, 0x42, sizeof(m));
    if (mote_crypto_mlkem768_keygen_seed(seed, 64, ek, dk) != 0 ||
        mote_crypto_mlkem768_encaps_seed(ek, sizeof(ek), m, ct, ss) != 0)
        return 1;

    /* decapsulation: s-hat and z are secret */
    SECRET(dk, 1152);
    SECRET(dk + MOTE_CRYPTO_MLKEM768_DK_LEN - 32, 32);
    if (mote_crypto_mlkem768_decaps(dk, sizeof(dk), ct, sizeof(ct), ss2) != 0)
        fails++;
    PUBLIC(ss2, 32);
    fails += memcmp(ss, ss2, 32) != 0;
    ct[5] ^= 1; /* implicit rejection */
    if (mote_crypto_mlkem768_decaps(dk, sizeof(dk), ct, sizeof(ct), ss2) != 0)
        fails++;
    PUBLIC(ss2, 32);
    fails += memcmp(ss, ss2, 32) == 0;

    /* encapsulation: m is secret */
    SECRET(m, sizeof(m));
    if (mote_crypto_mlkem768_encaps_seed(ek, sizeof(ek), m, ct, ss) != 0)
        fails++;

    /* HMAC and HKDF with secret keys, over each hash */
    static const mote_crypto_hash_id ids[] = {MOTE_CRYPTO_HASH_SHA256, MOTE_CRYPTO_HASH_SHA384,
                                              MOTE_CRYPTO_HASH_SHA512};
    for (int i = 0; i < 3; i++) {
        memset(key, 7, sizeof(key));
        SECRET(key, sizeof(key));
        if (mote_crypto_hmac(ids[i], key, sizeof(key), "msg", 3, out) != 0)
            fails++;
        if (mote_crypto_hkdf(ids[i], "salt", 4, key, sizeof(key), "info", 4, out, 64) != 0)
            fails++;
        if (mote_crypto_hash(ids[i], key, sizeof(key), out) != 0)
            fails++;
    }

    /* AEAD seal with a secret key and plaintext; 300 bytes reach the
     * eight-block, single-block and partial-block paths of the AES-NI GCM */
    static const mote_crypto_aead_id aeads[] = {
        MOTE_CRYPTO_AEAD_AES_128_GCM, MOTE_CRYPTO_AEAD_AES_192_GCM, MOTE_CRYPTO_AEAD_AES_256_GCM,
        MOTE_CRYPTO_AEAD_CHACHA20_POLY1305};
    for (int i = 0; i < 4; i++) {
        int err;
        memset(key, 9, sizeof(key));
        memset(buf, 1, sizeof(buf));
        SECRET(key, sizeof(key));
        mote_crypto_aead *a =
            mote_crypto_aead_new(aeads[i], key, mote_crypto_aead_key_len(aeads[i]), &err);
        SECRET(buf, sizeof(buf));
        if (!a || mote_crypto_aead_seal(a, (const uint8_t *)"123456789012", 12, "ad", 2, buf,
                                        sizeof(buf), tag) != 0)
            fails++;
        mote_crypto_aead_free(a);
    }
    /* ChaCha20-Poly1305 (crypto/chachapoly.c) once more, long enough for
     * every stage: under valgrind cpuid shows AVX2 but not AVX-512, so
     * this is the AVX2 tier (eight-block first pass with the Poly1305
     * key, 512-byte bulk passes, a partial tail) with the radix-2^44
     * Poly1305 over a secret AAD and the ciphertext. */
    {
        static uint8_t big[1500];
        uint8_t ad[40];
        int err0;
        memset(key, 11, sizeof(key));
        memset(big, 2, sizeof(big));
        memset(ad, 3, sizeof(ad));
        SECRET(key, sizeof(key));
        mote_crypto_aead *a =
            mote_crypto_aead_new(MOTE_CRYPTO_AEAD_CHACHA20_POLY1305, key, 32, &err0);
        SECRET(big, sizeof(big));
        SECRET(ad, sizeof(ad));
        /* 1500 bytes; 1000 (a two-block tail); 50 (a two-block first pass) */
        static const size_t lens[] = {sizeof(big), 1000, 50};
        for (int l = 0; l < 3; l++)
            if (!a || mote_crypto_aead_seal(a, (const uint8_t *)"123456789012", 12, ad, sizeof(ad),
                                            big, lens[l], tag) != 0)
                fails++;
        mote_crypto_aead_free(a);
    }
    /* X25519 with a secret scalar (whether the result is all zeros is
     * public: the exchange is aborted; ct.supp names that one branch), and
     * Ed25519 key setup and signing with a secret seed. */
    uint8_t xs[32], xp[32], xo[32], sig[64];
    size_t sig_len;
    int err;
    memset(xs, 5, sizeof(xs));
    mote_crypto_x25519_base(xp, xs);
    SECRET(xs, sizeof(xs));
    (void)mote_crypto_x25519(xo, xs, xp); /* its result derives from the secret */
    SECRET(seed, 32);
    mote_crypto_privkey *k = mote_crypto_privkey_from_ed25519_seed(seed, &err);
    if (!k || mote_crypto_sign(k, MOTE_CRYPTO_SIG_ED25519, NULL, "msg", 3, sig, sizeof(sig),
                               &sig_len, 0) != 0)
        fails++;
    mote_crypto_privkey_free(k);

    printf("%s\n", fails ? "FAILED" : "done");
    return fails ? 1 : 0;
}
