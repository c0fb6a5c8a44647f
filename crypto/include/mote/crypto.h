/*
 * mote/crypto.h - libmote-crypto: the primitives X.509 and TLS stand on.
 *
 * One small, uniform C API over hashes (SHA-256, SHA-384, SHA-512), HMAC and
 * HKDF (RFC 5869), AEADs sealing and opening in place (AES-GCM,
 * ChaCha20-Poly1305), key exchange (X25519, ECDH on P-256 and P-384,
 * ML-KEM-768 and the X25519MLKEM768 hybrid), signatures (Ed25519, ECDSA,
 * RSA PKCS#1 v1.5 and RSA-PSS) and keys in and out (SubjectPublicKeyInfo,
 * PKCS#8, PKCS#1, SEC1; DER and PEM, through libmote-asn1).
 *
 * The primitives come from libsodium (X25519, Ed25519, SHA-512, and
 * ChaCha20-Poly1305 on CPUs without AVX2), nettle/hogweed with GMP (P-256,
 * P-384, RSA, SHA-256, the Keccak permutation, and AES-GCM on CPUs without
 * AES-NI), and code written here (SHA-384 on libsodium's SHA-512 core,
 * HMAC, HKDF, ML-KEM-768, a constant-time AES key expansion, AES-GCM on
 * AES-NI/PCLMULQDQ and VAES/VPCLMULQDQ, ChaCha20-Poly1305 on AVX2 and
 * AVX-512/IFMA, each picked at run time by cpuid). An internal provider
 * table picks the implementation of each algorithm, so one can be replaced
 * without a change to this API. Random bytes always come from the caller's mote_rng; the library
 * never reads the operating system's entropy itself.
 *
 * Algorithms are named by ids so TLS and X.509 can choose at run time: hash
 * ids, AEAD ids, key-exchange groups (TLS NamedGroup code points) and
 * signature algorithms (TLS SignatureScheme code points). Secrets held by
 * the library are wiped when freed; tags and MACs are compared in constant
 * time. Every function returns 0 or a negative MOTE_E* code (mote/error.h).
 */
#ifndef MOTE_CRYPTO_H
#define MOTE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "mote/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- hashes ------------------------------------------------------------- */

typedef enum mote_crypto_hash_id {
    MOTE_CRYPTO_HASH_SHA256 = 1,
    MOTE_CRYPTO_HASH_SHA384 = 2,
    MOTE_CRYPTO_HASH_SHA512 = 3,
} mote_crypto_hash_id;

#define MOTE_CRYPTO_HASH_MAX_LEN   64  /* longest digest */
#define MOTE_CRYPTO_HASH_MAX_BLOCK 128 /* longest block */

/* Digest length in bytes of a hash id, 0 if the id is unknown. */
size_t mote_crypto_hash_len(mote_crypto_hash_id id);

/* Block length in bytes (64 or 128), 0 if the id is unknown. */
size_t mote_crypto_hash_block_len(mote_crypto_hash_id id);

/* An incremental hash. Plain memory: it may be copied by assignment to fork
 * a running hash (a TLS transcript, for instance). */
typedef struct mote_crypto_hash_ctx {
    const void *impl; /* internal: the provider entry */
    union {
        uint64_t u64[28];
        unsigned char bytes[224];
    } st;
} mote_crypto_hash_ctx;

/* Starts a hash. MOTE_EINVAL for an unknown id. */
int mote_crypto_hash_init(mote_crypto_hash_ctx *ctx, mote_crypto_hash_id id);

/* Adds len bytes. */
void mote_crypto_hash_update(mote_crypto_hash_ctx *ctx, const void *data, size_t len);

/* Writes the digest (mote_crypto_hash_len bytes) to out and wipes ctx. */
void mote_crypto_hash_final(mote_crypto_hash_ctx *ctx, uint8_t *out);

/* One-shot hash of len bytes into out. MOTE_EINVAL for an unknown id. */
int mote_crypto_hash(mote_crypto_hash_id id, const void *data, size_t len, uint8_t *out);

/* ---- HMAC and HKDF ------------------------------------------------------ */

typedef struct mote_crypto_hmac_ctx {
    mote_crypto_hash_ctx inner;
    mote_crypto_hash_ctx outer;
} mote_crypto_hmac_ctx;

/* Starts an HMAC with a key of any length (copied; the caller keeps its
 * key). MOTE_EINVAL for an unknown hash id. */
int mote_crypto_hmac_init(mote_crypto_hmac_ctx *ctx, mote_crypto_hash_id id, const void *key,
                          size_t key_len);
void mote_crypto_hmac_update(mote_crypto_hmac_ctx *ctx, const void *data, size_t len);
/* Writes the full tag (hash length) and wipes ctx. */
void mote_crypto_hmac_final(mote_crypto_hmac_ctx *ctx, uint8_t *out);

/* One-shot HMAC into out (hash length bytes). */
int mote_crypto_hmac(mote_crypto_hash_id id, const void *key, size_t key_len, const void *msg,
                     size_t msg_len, uint8_t *out);

/* Checks a tag, which may be truncated to tag_len bytes (16 up to the hash
 * length), in constant time. 0 if it matches, MOTE_EVERIFY if not,
 * MOTE_EINVAL for a bad id or tag length. */
int mote_crypto_hmac_verify(mote_crypto_hash_id id, const void *key, size_t key_len,
                            const void *msg, size_t msg_len, const uint8_t *tag, size_t tag_len);

/* HKDF-Extract (RFC 5869): prk (hash length bytes) = HMAC(salt, ikm). An
 * empty salt means a string of hash-length zeros. */
int mote_crypto_hkdf_extract(mote_crypto_hash_id id, const void *salt, size_t salt_len,
                             const void *ikm, size_t ikm_len, uint8_t *prk);

/* HKDF-Expand: out_len bytes (at most 255 times the hash length, else
 * MOTE_ERANGE) from prk (at least the hash length, else MOTE_EINVAL). */
int mote_crypto_hkdf_expand(mote_crypto_hash_id id, const uint8_t *prk, size_t prk_len,
                            const void *info, size_t info_len, uint8_t *out, size_t out_len);

/* Extract then expand. */
int mote_crypto_hkdf(mote_crypto_hash_id id, const void *salt, size_t salt_len, const void *ikm,
                     size_t ikm_len, const void *info, size_t info_len, uint8_t *out,
                     size_t out_len);

/* ---- AEADs -------------------------------------------------------------- */

typedef enum mote_crypto_aead_id {
    MOTE_CRYPTO_AEAD_AES_128_GCM = 1,
    MOTE_CRYPTO_AEAD_AES_256_GCM = 2,
    MOTE_CRYPTO_AEAD_CHACHA20_POLY1305 = 3,
    MOTE_CRYPTO_AEAD_AES_192_GCM = 4,
} mote_crypto_aead_id;

#define MOTE_CRYPTO_AEAD_TAG_LEN   16
#define MOTE_CRYPTO_AEAD_NONCE_LEN 12  /* the nonce length TLS uses */
#define MOTE_CRYPTO_AEAD_NONCE_MAX 512 /* longest GCM nonce accepted */

/* Key length in bytes of an AEAD id, 0 if unknown. */
size_t mote_crypto_aead_key_len(mote_crypto_aead_id id);

/* A keyed AEAD (opaque). */
typedef struct mote_crypto_aead mote_crypto_aead;

/* Makes a keyed AEAD (the key is copied into it). NULL with *err:
 * MOTE_EINVAL for an unknown id or a wrong key length, MOTE_ENOMEM. */
mote_crypto_aead *mote_crypto_aead_new(mote_crypto_aead_id id, const uint8_t *key, size_t key_len,
                                       int *err);

/* Wipes and frees (NULL is allowed). */
void mote_crypto_aead_free(mote_crypto_aead *a);

/* Encrypts buf[0..len) in place and writes the 16-byte tag. The nonce is
 * 12 bytes for ChaCha20-Poly1305 and 1 to 512 bytes for AES-GCM (12 is the
 * norm); MOTE_EINVAL otherwise. Never reuse a nonce with one key. */
int mote_crypto_aead_seal(mote_crypto_aead *a, const uint8_t *nonce, size_t nonce_len,
                          const void *aad, size_t aad_len, uint8_t *buf, size_t len,
                          uint8_t tag[MOTE_CRYPTO_AEAD_TAG_LEN]);

/* Checks the tag (in constant time) and decrypts buf in place. On a bad
 * tag returns MOTE_EVERIFY and buf is zeroed (no unauthenticated plaintext
 * is ever released). MOTE_EINVAL for a bad nonce length. */
int mote_crypto_aead_open(mote_crypto_aead *a, const uint8_t *nonce, size_t nonce_len,
                          const void *aad, size_t aad_len, uint8_t *buf, size_t len,
                          const uint8_t tag[MOTE_CRYPTO_AEAD_TAG_LEN]);

/* ---- key exchange ------------------------------------------------------- */

/* Groups, numbered as TLS NamedGroup code points. */
typedef enum mote_crypto_group {
    MOTE_CRYPTO_GROUP_P256 = 0x0017,
    MOTE_CRYPTO_GROUP_P384 = 0x0018,
    MOTE_CRYPTO_GROUP_X25519 = 0x001d,
    MOTE_CRYPTO_GROUP_MLKEM768 = 0x0201,
    MOTE_CRYPTO_GROUP_X25519MLKEM768 = 0x11ec,
} mote_crypto_group;

#define MOTE_CRYPTO_KX_SECRET_MAX 64   /* longest shared secret */
#define MOTE_CRYPTO_KX_SHARE_MAX  1216 /* longest key share (hybrid client) */

/* X25519 (RFC 7748): out = scalar * point. MOTE_EVERIFY if the result is
 * all zeros (a low-order peer point); the caller must then abort. */
int mote_crypto_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]);

/* The X25519 public key of a private scalar. */
int mote_crypto_x25519_base(uint8_t pub[32], const uint8_t scalar[32]);

/* ECDH on P-256 or P-384: out = x-coordinate of priv * peer (32 or 48
 * bytes, *out_len set). priv is a big-endian integer (leading zeros
 * allowed) in [1, n-1]. peer is an uncompressed (04||x||y) or compressed
 * (02/03||x) point; it is fully validated (on the curve, coordinates below
 * p). MOTE_EDECODE for a bad or invalid point, MOTE_ERANGE for a bad
 * scalar, MOTE_EINVAL for another group. */
int mote_crypto_ecdh(mote_crypto_group group, const uint8_t *priv, size_t priv_len,
                     const uint8_t *peer, size_t peer_len, uint8_t *out, size_t *out_len);

/* One side of a key exchange (opaque): holds an ephemeral private key. */
typedef struct mote_crypto_kx mote_crypto_kx;

/* Generates an ephemeral key share for a group (the initiator's side: for
 * the KEM groups this is the encapsulation key). NULL with *err
 * (MOTE_EINVAL unknown group, MOTE_EIO rng failure, MOTE_ENOMEM). */
mote_crypto_kx *mote_crypto_kx_new(mote_crypto_group group, mote_rng *rng, int *err);

/* The key share to send (borrowed; valid until mote_crypto_kx_free).
 * X25519: 32 bytes; P-256/P-384: uncompressed point; ML-KEM-768: the
 * encapsulation key; X25519MLKEM768: ML-KEM ek || X25519 (draft-ietf-tls-
 * ecdhe-mlkem order). */
mote_slice mote_crypto_kx_share(const mote_crypto_kx *kx);

/* The initiator's final step: derives the shared secret from the peer's
 * share (ECDH: peer public key; KEM: ciphertext; hybrid: ciphertext ||
 * X25519 share). Writes *secret_len bytes (at most
 * MOTE_CRYPTO_KX_SECRET_MAX) to secret. MOTE_EDECODE or MOTE_EVERIFY for a
 * bad peer share (TLS: illegal_parameter). */
int mote_crypto_kx_finish(mote_crypto_kx *kx, const uint8_t *peer, size_t peer_len, uint8_t *secret,
                          size_t *secret_len);

/* The responder's single step: given the initiator's share, makes the
 * responder's share (into share, capacity share_cap, *share_len set) and
 * the shared secret. For ECDH groups this generates an ephemeral key; for
 * the KEM groups it encapsulates. MOTE_ENOSPC if share_cap is too small. */
int mote_crypto_kx_respond(mote_crypto_group group, mote_rng *rng, const uint8_t *peer,
                           size_t peer_len, uint8_t *share, size_t share_cap, size_t *share_len,
                           uint8_t *secret, size_t *secret_len);

/* Wipes and frees (NULL is allowed). */
void mote_crypto_kx_free(mote_crypto_kx *kx);

/* ---- ML-KEM-768 (FIPS 203) ----------------------------------------------- */

#define MOTE_CRYPTO_MLKEM768_EK_LEN 1184
#define MOTE_CRYPTO_MLKEM768_DK_LEN 2400
#define MOTE_CRYPTO_MLKEM768_CT_LEN 1088
#define MOTE_CRYPTO_MLKEM768_SS_LEN 32

/* Key generation from the 64-byte seed d || z (ML-KEM.KeyGen_internal);
 * MOTE_EINVAL if seed_len is not 64. ek gets EK_LEN bytes, dk DK_LEN. */
int mote_crypto_mlkem768_keygen_seed(const uint8_t *seed, size_t seed_len, uint8_t *ek,
                                     uint8_t *dk);
/* Key generation with 64 bytes from rng (MOTE_EIO if it fails). */
int mote_crypto_mlkem768_keygen(mote_rng *rng, uint8_t *ek, uint8_t *dk);

/* Encapsulation with the 32-byte message m (ML-KEM.Encaps_internal): ct
 * gets CT_LEN bytes, ss 32. The key is checked first (FIPS 203, 7.2): its
 * length, and every coefficient below q; MOTE_EDECODE if it fails. */
int mote_crypto_mlkem768_encaps_seed(const uint8_t *ek, size_t ek_len, const uint8_t m[32],
                                     uint8_t *ct, uint8_t ss[32]);
int mote_crypto_mlkem768_encaps(const uint8_t *ek, size_t ek_len, mote_rng *rng, uint8_t *ct,
                                uint8_t ss[32]);

/* Decapsulation with implicit rejection: a ciphertext of the right length
 * that does not re-encrypt yields the pseudorandom J(z || c), in constant
 * time, never an error. MOTE_EDECODE if ct or dk has the wrong length or dk
 * fails its hash check (FIPS 203, 7.3). */
int mote_crypto_mlkem768_decaps(const uint8_t *dk, size_t dk_len, const uint8_t *ct, size_t ct_len,
                                uint8_t ss[32]);

/* ---- keys --------------------------------------------------------------- */

typedef enum mote_crypto_key_type {
    MOTE_CRYPTO_KEY_RSA = 1,
    MOTE_CRYPTO_KEY_P256 = 2,
    MOTE_CRYPTO_KEY_P384 = 3,
    MOTE_CRYPTO_KEY_ED25519 = 4,
} mote_crypto_key_type;

typedef struct mote_crypto_pubkey mote_crypto_pubkey;   /* opaque */
typedef struct mote_crypto_privkey mote_crypto_privkey; /* opaque */

#define MOTE_CRYPTO_RSA_MIN_BITS        2048 /* smallest key to sign with */
#define MOTE_CRYPTO_RSA_MAX_BITS        4096 /* largest key to sign with */
#define MOTE_CRYPTO_RSA_VERIFY_MIN_BITS 1024 /* with MOTE_CRYPTO_VERIFY_RSA1024 */
#define MOTE_CRYPTO_RSA_VERIFY_MAX_BITS 8192 /* largest key accepted at all */

mote_crypto_key_type mote_crypto_pubkey_type(const mote_crypto_pubkey *k);
/* Key size in bits (modulus bits for RSA, 256/384/255 otherwise). */
unsigned mote_crypto_pubkey_bits(const mote_crypto_pubkey *k);
void mote_crypto_pubkey_free(mote_crypto_pubkey *k);

mote_crypto_key_type mote_crypto_privkey_type(const mote_crypto_privkey *k);
unsigned mote_crypto_privkey_bits(const mote_crypto_privkey *k);
/* Wipes the secret and frees (NULL is allowed). */
void mote_crypto_privkey_free(mote_crypto_privkey *k);

/* Raw public keys: an EC point (uncompressed or compressed, validated), a
 * 32-byte Ed25519 key, an RSA modulus and exponent (big-endian). NULL with
 * *err: MOTE_EDECODE bad encoding, MOTE_ERANGE key size outside 1024..8192
 * bits, MOTE_EINVAL bad type. */
mote_crypto_pubkey *mote_crypto_pubkey_from_ec_point(mote_crypto_key_type type, const uint8_t *pt,
                                                     size_t len, int *err);
mote_crypto_pubkey *mote_crypto_pubkey_from_ed25519(const uint8_t pk[32], int *err);
mote_crypto_pubkey *mote_crypto_pubkey_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e,
                                                size_t e_len, int *err);

/* Generates a key from the caller's rng. bits is the RSA modulus size
 * (2048 to 4096, a multiple of 8; ignored otherwise). NULL with *err:
 * MOTE_ERANGE bad size, MOTE_EIO rng failure, MOTE_EINVAL bad type. */
mote_crypto_privkey *mote_crypto_privkey_generate(mote_crypto_key_type type, unsigned bits,
                                                  mote_rng *rng, int *err);

/* Imports a raw Ed25519 seed (32 bytes) or an EC scalar (big-endian). */
mote_crypto_privkey *mote_crypto_privkey_from_ed25519_seed(const uint8_t seed[32], int *err);
mote_crypto_privkey *mote_crypto_privkey_from_ec_scalar(mote_crypto_key_type type, const uint8_t *d,
                                                        size_t d_len, int *err);

/* A new public key matching a private key. */
mote_crypto_pubkey *mote_crypto_privkey_public(const mote_crypto_privkey *k, int *err);

/* ---- signatures --------------------------------------------------------- */

/* Signature algorithms, numbered as TLS SignatureScheme code points. The
 * ECDSA ones name the hash only: the curve is the key's (TLS 1.3 callers
 * check that the curve matches the scheme). */
typedef enum mote_crypto_sig_alg {
    MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256 = 0x0401,
    MOTE_CRYPTO_SIG_RSA_PKCS1_SHA384 = 0x0501,
    MOTE_CRYPTO_SIG_RSA_PKCS1_SHA512 = 0x0601,
    MOTE_CRYPTO_SIG_ECDSA_SHA256 = 0x0403,
    MOTE_CRYPTO_SIG_ECDSA_SHA384 = 0x0503,
    MOTE_CRYPTO_SIG_ECDSA_SHA512 = 0x0603,
    MOTE_CRYPTO_SIG_RSA_PSS_SHA256 = 0x0804,
    MOTE_CRYPTO_SIG_RSA_PSS_SHA384 = 0x0805,
    MOTE_CRYPTO_SIG_RSA_PSS_SHA512 = 0x0806,
    MOTE_CRYPTO_SIG_ED25519 = 0x0807,
} mote_crypto_sig_alg;

/* Flags for verify and sign. */
#define MOTE_CRYPTO_SIG_RAW        0x1u /* ECDSA signature as r || s, not DER */
#define MOTE_CRYPTO_VERIFY_RSA1024 0x2u /* accept RSA keys of 1024 to 2047 bits */

#define MOTE_CRYPTO_SIG_MAX_LEN 512 /* RSA-4096; DER ECDSA P-384 is at most 104 */

/* The hash an algorithm uses (0 for Ed25519). */
mote_crypto_hash_id mote_crypto_sig_alg_hash(mote_crypto_sig_alg alg);

/* Verifies sig over msg. 0 if valid; MOTE_EVERIFY if not (including a
 * malformed signature); MOTE_EUNSUPPORTED if alg does not fit the key's
 * type or is unknown; MOTE_ERANGE for an RSA key below 2048 bits (1024
 * with MOTE_CRYPTO_VERIFY_RSA1024). RSA-PSS uses MGF1 with the same hash
 * and a salt as long as the hash. */
int mote_crypto_verify(const mote_crypto_pubkey *k, mote_crypto_sig_alg alg, const void *msg,
                       size_t msg_len, const uint8_t *sig, size_t sig_len, unsigned flags);

/* As mote_crypto_verify, with the key as a DER SubjectPublicKeyInfo (what
 * X.509 holds). MOTE_EDECODE if the SPKI is malformed. */
int mote_crypto_verify_spki(const uint8_t *spki, size_t spki_len, mote_crypto_sig_alg alg,
                            const void *msg, size_t msg_len, const uint8_t *sig, size_t sig_len,
                            unsigned flags);

/* ECDSA over a digest of any length (truncated to the curve order's size as
 * the standard says), for X.509 signatures whose hash does not match the
 * curve. DER signature unless flags has MOTE_CRYPTO_SIG_RAW. */
int mote_crypto_ecdsa_verify_digest(const mote_crypto_pubkey *k, const uint8_t *digest,
                                    size_t digest_len, const uint8_t *sig, size_t sig_len,
                                    unsigned flags);

/* RSA-PSS over a digest with an explicit salt length (X.509's
 * RSASSA-PSS-params may name one other than the hash length); MGF1 uses
 * the same hash. digest_len must be the hash's length. 0, MOTE_EVERIFY,
 * MOTE_ERANGE (key too small, as mote_crypto_verify), MOTE_EINVAL. */
int mote_crypto_rsa_pss_verify_digest(const mote_crypto_pubkey *k, mote_crypto_hash_id hash,
                                      size_t salt_len, const uint8_t *digest, size_t digest_len,
                                      const uint8_t *sig, size_t sig_len, unsigned flags);

/* Signs msg with the caller's rng (ECDSA nonces, RSA blinding, PSS salts).
 * Writes at most sig_cap bytes; *sig_len set. MOTE_ENOSPC if sig_cap is too
 * small (MOTE_CRYPTO_SIG_MAX_LEN always suffices), MOTE_EUNSUPPORTED if alg
 * does not fit the key, MOTE_EIO rng failure. */
int mote_crypto_sign(const mote_crypto_privkey *k, mote_crypto_sig_alg alg, mote_rng *rng,
                     const void *msg, size_t msg_len, uint8_t *sig, size_t sig_cap, size_t *sig_len,
                     unsigned flags);

/* ---- key formats (through libmote-asn1) --------------------------------- */

/* A DER SubjectPublicKeyInfo (RSA, EC P-256/P-384, Ed25519). NULL with
 * *err: MOTE_EDECODE malformed, MOTE_EUNSUPPORTED another algorithm or
 * curve, MOTE_ERANGE a key size outside the bounds. */
mote_crypto_pubkey *mote_crypto_pubkey_from_spki(const uint8_t *der, size_t len, int *err);
/* The same from PEM text ("PUBLIC KEY"). */
mote_crypto_pubkey *mote_crypto_pubkey_from_pem(const char *pem, size_t len, int *err);

/* Appends the DER SubjectPublicKeyInfo (EC points uncompressed) or its
 * PEM to out. */
int mote_crypto_pubkey_to_spki(const mote_crypto_pubkey *k, mote_buf *out);
int mote_crypto_pubkey_to_pem(const mote_crypto_pubkey *k, mote_buf *out);

/* A DER private key: PKCS#8 PrivateKeyInfo (RSA, EC, Ed25519), PKCS#1
 * RSAPrivateKey or SEC1 ECPrivateKey, told apart by their structure.
 * MOTE_EUNSUPPORTED for an encrypted PKCS#8 key ("encrypted keys are not
 * supported") or another algorithm; MOTE_EDECODE malformed; MOTE_EVERIFY
 * for a key whose parts do not agree (for example a public key that does
 * not match the private scalar). */
mote_crypto_privkey *mote_crypto_privkey_from_der(const uint8_t *der, size_t len, int *err);
/* PEM text: "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY";
 * "ENCRYPTED PRIVATE KEY" and Proc-Type encrypted PEM give
 * MOTE_EUNSUPPORTED. */
mote_crypto_privkey *mote_crypto_privkey_from_pem(const char *pem, size_t len, int *err);

typedef enum mote_crypto_key_format {
    MOTE_CRYPTO_FORMAT_PKCS8 = 1,       /* PrivateKeyInfo, any key type */
    MOTE_CRYPTO_FORMAT_TRADITIONAL = 2, /* PKCS#1 for RSA, SEC1 for EC */
} mote_crypto_key_format;

/* Appends the DER (or PEM) private key to out; out should be a secret
 * buffer (mote_buf_init_secret). MOTE_EUNSUPPORTED for TRADITIONAL with an
 * Ed25519 key (it has none). */
int mote_crypto_privkey_to_der(const mote_crypto_privkey *k, mote_crypto_key_format fmt,
                               mote_buf *out);
int mote_crypto_privkey_to_pem(const mote_crypto_privkey *k, mote_crypto_key_format fmt,
                               mote_buf *out);

#ifdef __cplusplus
}
#endif
#endif
