/* tls_internal.h - private structures of libmote-tls. */
#ifndef MOTE_TLS_INTERNAL_H
#define MOTE_TLS_INTERNAL_H

#include "mote/tls.h"

#define TLS_MAX_CERTS   8
#define TLS_MAX_CHAIN   8
#define TLS_MAX_SUITES  16
#define TLS_MAX_GROUPS  8
#define TLS_MAX_SIGALGS 16
#define TLS_MAX_ALPN    16
#define TLS_MAX_PINS    16

#define TLS_MAX_PLAIN  16384u
#define TLS_MAX_CIPHER (16384u + 256u)
#define TLS_MAX_HS_MSG (128u * 1024u) /* largest handshake message accepted */
#define TLS_APP_IN_MAX (64u * 1024u)  /* feed stops taking bytes past this */
#define TLS_RX_RUNS    32u            /* decrypted records waiting to be read, at most */
/* The input buffer: TLS_APP_IN_MAX of records kept for the reader, then
 * one record being assembled. */
#define TLS_IN_MAX (TLS_APP_IN_MAX + 5u + TLS_MAX_CIPHER)

typedef struct tls_cert_entry {
    mote_buf chain[TLS_MAX_CHAIN]; /* DER, leaf first */
    size_t n_chain;
    mote_crypto_privkey *key;
    mote_crypto_key_type key_type;
    char *names;   /* comma-separated, or NULL for default */
    mote_buf ocsp; /* a DER OCSPResponse to staple, or empty */
    /* The signature scheme of each chain certificate's own signature
     * (0: not counted, a self-issued root after the leaf; 0xffff: one no
     * signature_algorithms_cert list can name). */
    uint16_t chain_sig[TLS_MAX_CHAIN];
} tls_cert_entry;

struct mote_tls_config {
    mote_rng *rng;
    const mote_log *log;
    uint16_t suites[TLS_MAX_SUITES];
    size_t n_suites;
    uint16_t groups[TLS_MAX_GROUPS];
    size_t n_groups;
    uint16_t sigalgs[TLS_MAX_SIGALGS];
    size_t n_sigalgs;
    uint16_t cert_sigalgs[TLS_MAX_SIGALGS]; /* signature_algorithms_cert */
    size_t n_cert_sigalgs;
    mote_buf alpn_wire; /* ProtocolNameList body: 8-bit length-prefixed names */
    size_t n_alpn;
    tls_cert_entry certs[TLS_MAX_CERTS];
    size_t n_certs;
    mote_tls_verify_fn verify;
    void *verify_ctx;
    mote_buf pins[TLS_MAX_PINS];
    size_t n_pins;
    int insecure;
    int client_auth;
    mote_tls_pad_fn pad;
    void *pad_ctx;
    struct mote_x509_store *trust; /* the default verifier's anchors */
    int trust_profile;             /* mote_x509_profile; 0 = webpki */
    int trust_client;              /* checking client certificates (clientAuth) */
    mote_clock *clock;             /* wall time for validation (borrowed) */
    mote_time fixed_time;          /* used when clock is NULL */
    char verify_reason[400];
    mote_crypto_aead *ticket_aead; /* seals the server's tickets */
    unsigned n_tickets;            /* tickets sent after each handshake */
    uint32_t ticket_lifetime;      /* seconds */
    size_t record_size_limit;      /* RFC 8449: what we accept, 64..16385 */
    uint16_t min_version, max_version;
};

/* Helpers shared between files. */
int tls_sigalg_fits_key(uint16_t scheme, mote_crypto_key_type kt);
int tls_name_matches(const char *names, const char *host);
int tls_suite_is13(uint16_t s);
/* 1 for an ECDHE_ECDSA suite, 2 for ECDHE_RSA, 0 if not a TLS 1.2 suite. */
int tls_suite12_auth(uint16_t s);
/* 1 if a TLS 1.2 signature (ServerKeyExchange) with this scheme can be
 * made or checked with this key (ECDSA schemes name only the hash). */
int tls12_sigalg_fits_key(uint16_t scheme, mote_crypto_key_type kt);
/* 1 if every counted signature in the certificate's chain (chain_sig) is
 * one of the n schemes in list (RFC 8446 4.2.3 / 4.4.2.2); a PSS signature
 * fits either its rsae or its pss scheme. */
int tls_chain_sigs_fit(const tls_cert_entry *c, const uint16_t *list, size_t n);
/* The SubjectPublicKeyInfo (DER, a view into der) of a DER certificate. */
int tls_cert_spki(mote_slice der, mote_slice *spki);

int tls_trust_verify(void *ctx, const mote_slice *chain, size_t n, const char *server_name,
                     uint8_t *alert);
void tls_trust_free(mote_tls_config *cfg);
void tls_config_clear_pins(mote_tls_config *cfg);

/* The TLS 1.3 key schedule (RFC 8446 section 7) as pure functions, used by
 * the engine and checked against RFC 8448's traces by the tests. th is a
 * transcript hash; every secret is the hash's length. */
int tls_hkdf_expand_label(mote_crypto_hash_id h, const uint8_t *secret, size_t secret_len,
                          const char *label, const uint8_t *ctx, size_t ctx_len, uint8_t *out,
                          size_t out_len);
int tls_ks_early(mote_crypto_hash_id h, const uint8_t *psk, uint8_t *early);
int tls_ks_binder_key(mote_crypto_hash_id h, const uint8_t *psk, uint8_t *out);
int tls_ks_handshake(mote_crypto_hash_id h, const uint8_t *psk, const uint8_t *shared,
                     size_t shared_len, const uint8_t *th, uint8_t *hs_secret, uint8_t *c_hs,
                     uint8_t *s_hs, uint8_t *master);
int tls_ks_app(mote_crypto_hash_id h, const uint8_t *master, const uint8_t *th, uint8_t *c_ap,
               uint8_t *s_ap);
/* The TLS 1.2 PRF (RFC 5246 section 5) with the given hash. */
int tls_prf12(mote_crypto_hash_id h, const uint8_t *secret, size_t slen, const char *label,
              const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);
int tls_ks_finished(mote_crypto_hash_id h, const uint8_t *base, const uint8_t *th, uint8_t *out);

#endif
