/*
 * internal.h - libmote-crypto's private declarations: the provider table
 * and the key structures. Not installed.
 */
#ifndef MOTE_CRYPTO_INTERNAL_H
#define MOTE_CRYPTO_INTERNAL_H

#include <gmp.h>
#include <nettle/ecc.h>
#include <nettle/ecc-curve.h>
#include <nettle/rsa.h>

#include "mote/crypto.h"

/* ---- providers ----------------------------------------------------------
 * Each algorithm is reached through one entry of a constant table; the
 * public functions never name an implementation. Swapping a provider means
 * changing the entry in provider.c. */

typedef struct mc_hash_impl {
    mote_crypto_hash_id id;
    size_t out_len;
    size_t block_len;
    const char *name;
    void (*init)(void *st);
    void (*update)(void *st, const uint8_t *data, size_t len);
    void (*final)(void *st, uint8_t *out);
} mc_hash_impl;

typedef struct mc_aead_impl {
    mote_crypto_aead_id id;
    size_t key_len;
    size_t ctx_size;
    const char *name;
    int (*nonce_ok)(size_t nonce_len);
    void (*set_key)(void *ctx, const uint8_t *key);
    void (*seal)(void *ctx, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                 size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag);
    /* Decrypts in place and writes the computed tag; the caller compares. */
    int (*open)(void *ctx, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                size_t aad_len, uint8_t *buf, size_t len, const uint8_t *tag);
} mc_aead_impl;

typedef struct mc_provider {
    const mc_hash_impl *(*hash)(mote_crypto_hash_id id);
    const mc_aead_impl *(*aead)(mote_crypto_aead_id id);
    int (*x25519)(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]);
    int (*x25519_base)(uint8_t out[32], const uint8_t scalar[32]);
    /* ML-KEM-768 internals (FIPS 203 KeyGen/Encaps/Decaps_internal); the
     * public functions check lengths, ek's modulus and dk's hash first. */
    void (*mlkem768_keygen)(const uint8_t seed[64], uint8_t *ek, uint8_t *dk);
    void (*mlkem768_encaps)(const uint8_t *ek, const uint8_t m[32], uint8_t *ct, uint8_t ss[32]);
    void (*mlkem768_decaps)(const uint8_t *dk, const uint8_t *ct, uint8_t ss[32]);
    /* Ed25519 (RFC 8032): key pair from a seed, sign, verify. */
    int (*ed25519_keypair)(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32]);
    void (*ed25519_sign)(uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t sk[64]);
    int (*ed25519_verify)(const uint8_t sig[64], const uint8_t *msg, size_t len,
                          const uint8_t pk[32]);
} mc_provider;

/* The provider table in use. */
const mc_provider *mc_provider_get(void);

/* Provider entries (provider.c and the files that implement them). */
const mc_hash_impl *mc_hash_sodium_sha256(void);
const mc_hash_impl *mc_hash_nettle_sha256(void);
const mc_hash_impl *mc_hash_sodium_sha512(void);
const mc_hash_impl *mc_hash_sha384_on_sodium(void);
const mc_aead_impl *mc_aead_nettle_gcm(mote_crypto_aead_id id);
const mc_aead_impl *mc_aead_sodium_chacha20poly1305(void);
#ifdef MOTE_CRYPTO_HAVE_AESNI
/* AES-GCM on AES-NI and PCLMULQDQ (aead_aesni.c, x86-64 builds only):
 * usable() asks cpuid whether this CPU has the instructions it needs. */
int mc_aead_aesni_gcm_usable(void);
const mc_aead_impl *mc_aead_aesni_gcm(mote_crypto_aead_id id);
/* The same with 16-block steps on VAES and VPCLMULQDQ (AVX-512) for the
 * bulk of each message: usable() asks cpuid for those too. */
int mc_aead_vaes_gcm_usable(void);
const mc_aead_impl *mc_aead_vaes_gcm(mote_crypto_aead_id id);
#endif
/* ChaCha20-Poly1305 written here (chachapoly.c, x86-64): tiers by CPU
 * features. cpu_tier() asks cpuid for the best one this CPU runs;
 * mc_aead_chachapoly(tier) is that tier's entry, NULL when the CPU (or the
 * build) lacks it or for MC_CHACHA_SODIUM (libsodium's entry serves).
 * seal/open work out of place (dst may equal src), for the tests; open
 * leaves dst untouched on MOTE_EVERIFY; both give MOTE_EUNSUPPORTED for a
 * tier this CPU lacks. */
enum { MC_CHACHA_SODIUM = 0, MC_CHACHA_AVX2 = 1, MC_CHACHA_AVX512 = 2 };
int mc_chachapoly_cpu_tier(void);
const mc_aead_impl *mc_aead_chachapoly(int tier);
int mc_chachapoly_seal(int tier, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
                       size_t aad_len, uint8_t *dst, const uint8_t *src, size_t len,
                       uint8_t tag[16]);
int mc_chachapoly_open(int tier, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
                       size_t aad_len, uint8_t *dst, const uint8_t *src, size_t len,
                       const uint8_t tag[16]);
int mc_sodium_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]);
int mc_sodium_x25519_base(uint8_t out[32], const uint8_t scalar[32]);
int mc_sodium_ed25519_keypair(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32]);
void mc_sodium_ed25519_sign(uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t sk[64]);
int mc_sodium_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t len,
                             const uint8_t pk[32]);
void mc_mlkem768_keygen_mote(const uint8_t seed[64], uint8_t *ek, uint8_t *dk);
void mc_mlkem768_encaps_mote(const uint8_t *ek, const uint8_t m[32], uint8_t *ct, uint8_t ss[32]);
void mc_mlkem768_decaps_mote(const uint8_t *dk, const uint8_t *ct, uint8_t ss[32]);

/* ---- helpers ------------------------------------------------------------ */

/* Adapts a mote_rng to nettle's random function; a failure is remembered in
 * err (nettle's callback cannot report one) and the output is discarded. */
typedef struct mc_rng_adapter {
    mote_rng *rng;
    int err;
    uint64_t filler; /* after a failure: a counter stream so loops end */
} mc_rng_adapter;
void mc_nettle_random(void *ctx, size_t len, uint8_t *dst);

/* Wipes the limbs of an mpz and clears it. */
void mc_mpz_clear_secret(mpz_t x);

/* SHAKE and SHA-3 on nettle's Keccak permutation (mlkem.c). */
typedef struct mc_keccak {
    uint64_t a[25];
    size_t rate;
    size_t pos;
    uint8_t pad;
} mc_keccak;
void mc_keccak_init(mc_keccak *k, size_t rate, uint8_t pad);
void mc_keccak_absorb(mc_keccak *k, const uint8_t *in, size_t len);
void mc_keccak_finish(mc_keccak *k);
void mc_keccak_squeeze(mc_keccak *k, uint8_t *out, size_t len);

/* AES key expansion in constant time, into nettle's aesNNN_ctx.keys
 * layout (aes_key.c). key_len is 16, 24 or 32. */
void mc_aes_expand_key(const uint8_t *key, size_t key_len, uint32_t *keys);
uint8_t mc_aes_sbox(uint8_t x);

/* ---- keys --------------------------------------------------------------- */

struct mote_crypto_pubkey {
    mote_crypto_key_type type;
    unsigned bits;
    struct rsa_public_key rsa; /* RSA */
    struct ecc_point ec;       /* P-256, P-384 */
    uint8_t ed[32];            /* Ed25519 */
};

struct mote_crypto_privkey {
    mote_crypto_key_type type;
    unsigned bits;
    struct rsa_public_key rsa_pub;
    struct rsa_private_key rsa; /* d, p, q, dp (a), dq (b), qinv (c) */
    struct ecc_scalar ec;
    struct ecc_point ec_pub;
    uint8_t ed_seed[32];
    uint8_t ed_sk[64]; /* libsodium's secret key: seed || public key */
};

const struct ecc_curve *mc_curve(mote_crypto_key_type type);
size_t mc_curve_bytes(mote_crypto_key_type type);

/* Decodes an EC point (uncompressed or compressed) onto an initialised
 * ecc_point, with full validation. MOTE_EDECODE on failure. */
int mc_ec_point_decode(mote_crypto_key_type type, const uint8_t *pt, size_t len,
                       struct ecc_point *out);
/* Writes the uncompressed point (1 + 2 * field bytes). */
void mc_ec_point_encode(mote_crypto_key_type type, const struct ecc_point *p, uint8_t *out);

mote_crypto_pubkey *mc_pubkey_alloc(mote_crypto_key_type type);
mote_crypto_privkey *mc_privkey_alloc(mote_crypto_key_type type);

/* Builds an RSA private key from its PKCS#1 parts (big-endian integers),
 * checks that they agree, and returns it. */
mote_crypto_privkey *mc_rsa_privkey_from_parts(const mote_slice parts[8], int *err);
/* The eight PKCS#1 integers of an RSA private key, as mpz (borrowed). */
void mc_rsa_privkey_parts(const mote_crypto_privkey *k, const mpz_t *parts[8]);

#endif

/* ec.c */
int mc_ecdh_compute(mote_crypto_key_type type, const struct ecc_scalar *s, const uint8_t *peer,
                    size_t peer_len, uint8_t *out);
int mc_ec_scalar_set(mote_crypto_key_type type, const uint8_t *d, size_t d_len,
                     struct ecc_scalar *s);
void mc_ec_scalar_clear(struct ecc_scalar *s);
int mc_ecdsa_verify_doubling(mote_crypto_key_type type, const struct ecc_point *pub,
                             const uint8_t *digest, size_t dlen, const mpz_t r, const mpz_t s);

/* ECDSA-Sig-Value (RFC 3279): SEQUENCE { r INTEGER, s INTEGER }, strict
 * DER through libmote-asn1 (formats.c). r and s are views (magnitudes). */
int mc_ecdsa_sig_from_der(const uint8_t *der, size_t len, mote_slice *r, mote_slice *s);
int mc_ecdsa_sig_to_der(mote_slice r, mote_slice s, uint8_t *out, size_t cap, size_t *out_len);
