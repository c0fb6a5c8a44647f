/*
 * mote/tls.h - libmote-tls: a TLS 1.3 and 1.2 engine, client and server,
 * with no I/O.
 *
 * A mote_tls connection is a state machine. The caller feeds it the bytes
 * that arrived from the peer (mote_tls_feed), takes the bytes it wants sent
 * (mote_tls_out / mote_tls_out_consume), reads and writes application data
 * (mote_tls_read / mote_tls_write) and asks its state (handshaking, open,
 * closing, closed, or failed with which alert). Nothing here reads a socket
 * or the clock: an adapter (mote_tls_flow_new) runs a connection over any
 * mote_flow and is itself a mote_flow, so TLS runs over kernel sockets,
 * mote's TCP or vchan alike.
 *
 * Settings shared by many connections live in a mote_tls_config: the rng,
 * cipher suites, groups, signature schemes, ALPN protocols, the server's
 * certificates and keys (loaded from PEM, picked by SNI name), and the
 * peer-certificate verifier. A client must be given a verifier (or be
 * marked insecure explicitly); a client with neither fails its handshake,
 * it never skips verification silently. Until libmote-x509's path
 * validation is wired in as the default, the library offers a pinning
 * verifier (the peer's leaf must equal one of a set of certificates).
 *
 * Protocol faults end the connection with the alert RFC 8446 section 6.2
 * names (decode_error, illegal_parameter, decrypt_error, bad_record_mac,
 * ... are distinct); mote_tls_alert() tells which alert was sent or
 * received. Secrets are wiped when freed and compared in constant time.
 *
 * What is done and what is missing is listed in docs/tls.md.
 */
#ifndef MOTE_TLS_H
#define MOTE_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "mote/core.h"
#include "mote/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- code points --------------------------------------------------------- */

#define MOTE_TLS_VERSION_12 0x0303
#define MOTE_TLS_VERSION_13 0x0304

/* TLS 1.3 cipher suites. */
#define MOTE_TLS_AES_128_GCM_SHA256       0x1301
#define MOTE_TLS_AES_256_GCM_SHA384       0x1302
#define MOTE_TLS_CHACHA20_POLY1305_SHA256 0x1303

/* TLS 1.2 cipher suites (ECDHE and AEAD only). */
#define MOTE_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256       0xc02b
#define MOTE_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384       0xc02c
#define MOTE_TLS_ECDHE_RSA_AES_128_GCM_SHA256         0xc02f
#define MOTE_TLS_ECDHE_RSA_AES_256_GCM_SHA384         0xc030
#define MOTE_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256   0xcca8
#define MOTE_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256 0xcca9

/* Alert descriptions (RFC 8446 section 6). */
enum mote_tls_alert {
    MOTE_TLS_ALERT_CLOSE_NOTIFY = 0,
    MOTE_TLS_ALERT_UNEXPECTED_MESSAGE = 10,
    MOTE_TLS_ALERT_BAD_RECORD_MAC = 20,
    MOTE_TLS_ALERT_RECORD_OVERFLOW = 22,
    MOTE_TLS_ALERT_HANDSHAKE_FAILURE = 40,
    MOTE_TLS_ALERT_BAD_CERTIFICATE = 42,
    MOTE_TLS_ALERT_UNSUPPORTED_CERTIFICATE = 43,
    MOTE_TLS_ALERT_CERTIFICATE_REVOKED = 44,
    MOTE_TLS_ALERT_CERTIFICATE_EXPIRED = 45,
    MOTE_TLS_ALERT_CERTIFICATE_UNKNOWN = 46,
    MOTE_TLS_ALERT_ILLEGAL_PARAMETER = 47,
    MOTE_TLS_ALERT_UNKNOWN_CA = 48,
    MOTE_TLS_ALERT_ACCESS_DENIED = 49,
    MOTE_TLS_ALERT_DECODE_ERROR = 50,
    MOTE_TLS_ALERT_DECRYPT_ERROR = 51,
    MOTE_TLS_ALERT_PROTOCOL_VERSION = 70,
    MOTE_TLS_ALERT_INSUFFICIENT_SECURITY = 71,
    MOTE_TLS_ALERT_INTERNAL_ERROR = 80,
    MOTE_TLS_ALERT_INAPPROPRIATE_FALLBACK = 86,
    MOTE_TLS_ALERT_USER_CANCELED = 90,
    MOTE_TLS_ALERT_MISSING_EXTENSION = 109,
    MOTE_TLS_ALERT_UNSUPPORTED_EXTENSION = 110,
    MOTE_TLS_ALERT_UNRECOGNIZED_NAME = 112,
    MOTE_TLS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
    MOTE_TLS_ALERT_UNKNOWN_PSK_IDENTITY = 115,
    MOTE_TLS_ALERT_CERTIFICATE_REQUIRED = 116,
    MOTE_TLS_ALERT_NO_APPLICATION_PROTOCOL = 120,
};

/* The RFC's name of an alert ("decode_error"), or "unknown_alert". */
const char *mote_tls_alert_name(int alert);
/* The name of a cipher suite ("TLS_AES_128_GCM_SHA256") or "unknown". */
const char *mote_tls_suite_name(uint16_t suite);
/* The name of a group ("x25519", "secp256r1", ...) or "unknown". */
const char *mote_tls_group_name(uint16_t group);
/* The name of a signature scheme ("ecdsa_secp256r1_sha256") or "unknown". */
const char *mote_tls_sigalg_name(uint16_t scheme);

/* ---- configuration ---------------------------------------------------------- */

typedef struct mote_tls_config mote_tls_config;

/* Verifies the peer's certificate chain. chain[0] is the leaf (DER), the
 * rest as the peer sent them; server_name is the name the client asked for
 * (NULL on the server side or if none). Returns 0 to accept or MOTE_EVERIFY
 * to refuse, and may set *alert to the alert to send (it starts as
 * bad_certificate; certificate_expired, unknown_ca, ... are better when
 * they apply). Called during feed; must not call back into the connection. */
typedef int (*mote_tls_verify_fn)(void *ctx, const mote_slice *chain, size_t n,
                                  const char *server_name, uint8_t *alert);

/* Chooses the number of padding bytes (0..max) for a record of content
 * type `type` with `len` bytes of content (TLS 1.3 record padding). */
typedef size_t (*mote_tls_pad_fn)(void *ctx, uint8_t type, size_t len, size_t max);

/* A new configuration with mote's defaults: TLS 1.3 and 1.2 (1.3
 * preferred); the three TLS 1.3 suites and the six ECDHE AEAD TLS 1.2
 * suites; groups X25519, P-256, P-384 (X25519MLKEM768 on request); every
 * signature scheme mote knows; one session ticket per full handshake.
 * rng (borrowed: it must outlive the config) supplies every random byte,
 * including the ticket key made here. NULL with *err (MOTE_EINVAL,
 * MOTE_ENOMEM, MOTE_EIO). */
mote_tls_config *mote_tls_config_new(mote_rng *rng, int *err);

/* Frees the configuration: wipes the private keys. Every connection made
 * from it must be freed first. NULL is allowed. */
void mote_tls_config_free(mote_tls_config *cfg);

/* Sets the cipher suites in preference order (code points above, TLS 1.3
 * and TLS 1.2 ones mixed; each version uses its own). MOTE_EUNSUPPORTED
 * for an unknown suite, MOTE_EINVAL for none or more than 16. */
int mote_tls_config_set_suites(mote_tls_config *cfg, const uint16_t *suites, size_t n);

/* Sets the protocol versions (MOTE_TLS_VERSION_12 / _13; default both).
 * MOTE_EUNSUPPORTED for anything else or min > max. */
int mote_tls_config_set_versions(mote_tls_config *cfg, uint16_t min, uint16_t max);

/* Sets the key-exchange groups in preference order (mote_crypto_group
 * values). The client sends a key share for the first one only and the
 * others in supported_groups (a server that prefers another answers with a
 * HelloRetryRequest). MOTE_EUNSUPPORTED / MOTE_EINVAL as above. */
int mote_tls_config_set_groups(mote_tls_config *cfg, const uint16_t *groups, size_t n);

/* Parses a comma-separated list of group names ("x25519,secp256r1",
 * "secp384r1", "X25519MLKEM768", "P-256", ...) into set_groups. */
int mote_tls_config_set_groups_str(mote_tls_config *cfg, const char *list);

/* Sets the application protocols (ALPN, RFC 7301) in preference order,
 * copied. A client offers them; a server picks the first of its own list
 * that the client offered and refuses with no_application_protocol if
 * none matches. n = 0 turns ALPN off. MOTE_EINVAL for an empty or
 * over-long name or more than 16. */
int mote_tls_config_set_alpn(mote_tls_config *cfg, const char *const *protos, size_t n);

/* Parses a comma-separated ALPN list ("h2,http/1.1"). */
int mote_tls_config_set_alpn_str(mote_tls_config *cfg, const char *list);

/* Adds a certificate chain and its private key, both PEM text (the chain
 * leaf first; the key PKCS#8, PKCS#1 or SEC1). names is a comma-separated
 * list of host names (a leading "*." matches one label) this certificate
 * serves for SNI; NULL or "" makes it the default. The first default (or
 * the first added) answers clients that send no matching name. Copied.
 * MOTE_EDECODE bad PEM, MOTE_EVERIFY key does not fit the leaf,
 * MOTE_EUNSUPPORTED key type, MOTE_ELIMIT more than 8 certificates. */
int mote_tls_config_add_cert_pem(mote_tls_config *cfg, const char *chain_pem, size_t chain_len,
                                 const char *key_pem, size_t key_len, const char *names);

/* Sets the schemes accepted in certificate signatures, sent as
 * signature_algorithms_cert (RFC 8446 4.2.3) by a client in its
 * ClientHello and by a server in its CertificateRequest. The default is
 * every scheme libmote-x509 verifies: ECDSA P-256/P-384, RSA-PSS (rsae and
 * pss), RSA PKCS#1 v1.5 with SHA-256/384/512, Ed25519. The list steers the
 * peer's choice of certificate; it does not restrict the verifier. Copied.
 * MOTE_EUNSUPPORTED for a scheme not in that set, MOTE_EINVAL for none or
 * more than 16. */
int mote_tls_config_set_cert_sigalgs(mote_tls_config *cfg, const uint16_t *schemes, size_t n);

/* Staples an OCSP response (DER OCSPResponse, copied; len 0 removes it)
 * to the certificate added last: a server sends it in the leaf's
 * status_request extension to clients that ask (RFC 8446 4.4.2.1). The
 * response is not checked here. MOTE_EINVAL if no certificate was added,
 * MOTE_EDECODE if it is not a DER SEQUENCE or over 64 KiB. */
int mote_tls_config_set_ocsp_der(mote_tls_config *cfg, const uint8_t *der, size_t len);

/* Sets the peer-certificate verifier (see mote_tls_verify_fn). ctx is
 * borrowed. Replaces any pins. */
void mote_tls_config_set_verifier(mote_tls_config *cfg, mote_tls_verify_fn fn, void *ctx);

/* Adds trust anchors (PEM text, one or more certificates) and makes the
 * x509 verifier the verifier (the default one): the peer's chain must
 * lead to an anchor under libmote-x509's path validation (webpki profile
 * unless set_trust_profile says otherwise) at the time of the config's
 * clock, and a client checks the server's name (DNS name or IP address)
 * against the leaf. Refusals carry the alert that fits: unknown_ca (no
 * path), certificate_expired, bad_certificate (name, signature, ...),
 * unsupported_certificate. *added gets the number of new anchors.
 * MOTE_EDECODE if the text holds no certificate. */
int mote_tls_config_add_trust_pem(mote_tls_config *cfg, const char *pem, size_t len, size_t *added);

/* The clock whose wall time certificate validation uses (borrowed). */
void mote_tls_config_set_clock(mote_tls_config *cfg, mote_clock *clock);
/* A fixed validation time instead of a clock (tests, fuzzing). */
void mote_tls_config_set_time(mote_tls_config *cfg, mote_time now);
/* rfc5280 = 1: validate with the RFC 5280 profile instead of webpki. */
void mote_tls_config_set_trust_profile(mote_tls_config *cfg, int rfc5280);
/* A server checking client certificates with the trust store: on = 1
 * requires the clientAuth extended key usage instead of serverAuth. */
void mote_tls_config_set_client_trust(mote_tls_config *cfg, int on);

/* The last reason the built-in verifier refused a chain ("" if none). */
const char *mote_tls_config_verify_reason(const mote_tls_config *cfg);

/* Adds certificates (PEM text, one or more) to the pin set and makes the
 * pinning verifier the verifier: the peer's leaf must be byte-for-byte one
 * of them, else bad_certificate. *added gets the count (may be NULL). */
int mote_tls_config_add_pins_pem(mote_tls_config *cfg, const char *pem, size_t len, size_t *added);

/* Turns certificate verification off (on = 1) for a client. Only an
 * explicit call does this; without it and without a verifier the client's
 * handshake fails with MOTE_EVERIFY. */
void mote_tls_config_set_insecure(mote_tls_config *cfg, int on);

/* Server side: ask for a client certificate (mode 1) or require one
 * (mode 2); the verifier checks it. mode 0 (default) asks for none. A
 * client without one is refused with certificate_required (TLS 1.3) or
 * handshake_failure (TLS 1.2). A client answers with the first of its
 * certificates whose key fits a scheme the server accepts (or none). */
void mote_tls_config_set_client_auth(mote_tls_config *cfg, int mode);

/* Sets a record-padding hook (NULL for none). */
void mote_tls_config_set_padding(mote_tls_config *cfg, mote_tls_pad_fn fn, void *ctx);

/* Server: sends `count` session tickets (0..4, default 1) after each full
 * handshake, valid lifetime_s seconds (default 7200, at most 7 days).
 * Tickets are sealed with a key made at config creation and accepted
 * only by the same config (psk_dhe_ke: every resumption still does a
 * fresh (EC)DHE). Ticket ages use the config's clock (set_clock/set_time).
 * count 0 turns tickets and resumption off. */
void mote_tls_config_set_tickets(mote_tls_config *cfg, unsigned count, uint32_t lifetime_s);

/* The record_size_limit (RFC 8449) to announce: the largest protected
 * record's inner plaintext we accept (64..16385, default 16385). Always
 * sent; once the peer answers, records over it are refused with
 * record_overflow, and records we send respect the peer's limit.
 * MOTE_ERANGE outside the bounds. */
int mote_tls_config_set_record_size_limit(mote_tls_config *cfg, size_t limit);

/* Sets the logger (borrowed; NULL for silence). */
void mote_tls_config_set_log(mote_tls_config *cfg, const mote_log *log);

/* ---- connections -------------------------------------------------------- */

typedef struct mote_tls mote_tls;

enum mote_tls_state {
    MOTE_TLS_HANDSHAKING = 1, /* the handshake is running */
    MOTE_TLS_OPEN = 2,        /* application data flows both ways */
    MOTE_TLS_CLOSING = 3,     /* one side has sent close_notify */
    MOTE_TLS_CLOSED = 4,      /* both sides have sent close_notify */
    MOTE_TLS_FAILED = 5,      /* a fatal alert was sent or received */
};

/* A new client connection. server_name (copied; NULL for none) is sent as
 * SNI and given to the verifier. The config is borrowed and must outlive
 * the connection. The ClientHello is ready in mote_tls_out at once. NULL
 * with *err (MOTE_ENOMEM, MOTE_EIO from the rng, MOTE_EINVAL). */
mote_tls *mote_tls_client_new(const mote_tls_config *cfg, const char *server_name, int *err);

/* As mote_tls_client_new, offering to resume the session saved by
 * mote_tls_session_save (a NewSessionTicket's PSK, psk_dhe_ke). A server
 * that declines gets a full handshake. MOTE_EDECODE for a malformed
 * session, MOTE_ETIMEDOUT for an expired one (no connection is made). */
mote_tls *mote_tls_client_new_resume(const mote_tls_config *cfg, const char *server_name,
                                     const uint8_t *session, size_t len, int *err);

/* Appends the client's last received session (ticket and secret; treat it
 * as a secret) to out. MOTE_ENOTFOUND if no ticket has arrived yet. */
int mote_tls_session_save(const mote_tls *t, mote_buf *out);

/* 1 if the handshake resumed a session. */
int mote_tls_resumed(const mote_tls *t);

/* A new server connection (it waits for a ClientHello). The config must
 * hold at least one certificate (MOTE_EINVAL otherwise). */
mote_tls *mote_tls_server_new(const mote_tls_config *cfg, int *err);

/* Wipes every secret and frees the connection. NULL is allowed. */
void mote_tls_free(mote_tls *t);

/* Feeds bytes received from the peer. Processes every complete record:
 * handshake messages advance the state, application data becomes readable,
 * replies (handshake messages, alerts, KeyUpdate) go to the output. *used
 * gets the bytes taken: fewer than len only when the reader lags, that
 * is when 64 KiB of application data (or of records holding it, or 32
 * records) wait to be read; feed the rest after reading. Records are
 * decrypted where they were copied in, and their data is read from there.
 * Returns 0, or the error that ended the connection (the alert to send
 * is in the output; mote_tls_alert() names it, mote_tls_reason() says why):
 * MOTE_EPROTO for a protocol fault, MOTE_EVERIFY for a failed
 * authentication (record MAC, signature, Finished, refused certificate),
 * MOTE_EUNSUPPORTED when nothing acceptable is in common (version, suite,
 * group), MOTE_ELIMIT for an oversized record or message. MOTE_ECLOSED if
 * the connection had already ended. */
int mote_tls_feed(mote_tls *t, const uint8_t *data, size_t len, size_t *used);

/* The bytes waiting to be sent to the peer (a view valid until the next
 * call on t); empty when there are none. */
mote_slice mote_tls_out(const mote_tls *t);

/* Marks n bytes of the output as sent. */
void mote_tls_out_consume(mote_tls *t, size_t n);

/* Reads decrypted application data: 0 with *got > 0; MOTE_EAGAIN when none
 * is waiting; MOTE_ECLOSED once the peer has sent close_notify and all data
 * was read; the connection's error (mote_tls_error) if it failed. */
int mote_tls_read(mote_tls *t, void *buf, size_t cap, size_t *got);

/* Bytes of application data waiting to be read. */
size_t mote_tls_readable(const mote_tls *t);

/* Reads without a copy: *view gets the next run of decrypted application
 * data (one record's, or what is left of it) where it lies inside the
 * engine, and stays valid until the next mote_tls_feed, mote_tls_read,
 * mote_tls_read_consume or mote_tls_free on t. Nothing counts as read
 * until mote_tls_read_consume. Returns 0 with view->len > 0, or what
 * mote_tls_read returns when nothing is waiting (MOTE_EAGAIN,
 * MOTE_ECLOSED, the connection's error); MOTE_EINVAL for NULL. */
int mote_tls_read_view(mote_tls *t, mote_slice *view);

/* Marks n bytes of application data as read (from the front, across runs;
 * more than mote_tls_readable() is taken as all of it). */
void mote_tls_read_consume(mote_tls *t, size_t n);

/* Encrypts application data into the output (any length; split into
 * records). Before the handshake completes the data is held and sent once
 * it does. MOTE_ECLOSED after mote_tls_close, the connection's error after failure,
 * MOTE_ELIMIT if more than 1 MiB is held unsent before the handshake. */
int mote_tls_write(mote_tls *t, const void *data, size_t len);

/* Sends close_notify (once). Reading continues until the peer's. */
int mote_tls_close(mote_tls *t);

/* Sends a KeyUpdate and switches to the next write key; with
 * request_peer = 1 asks the peer to update its key as well. MOTE_ESTATE
 * unless open. */
int mote_tls_key_update(mote_tls *t, int request_peer);

/* The state (enum mote_tls_state). */
int mote_tls_state(const mote_tls *t);

/* The fatal alert sent or received (or -1 if none); *received (may be
 * NULL) is set to 1 if the peer sent it. */
int mote_tls_alert(const mote_tls *t, int *received);

/* The first error that ended the connection (0 if none). */
int mote_tls_error(const mote_tls *t);

/* A line of text explaining why the connection failed ("" if it did not),
 * e.g. "peer sent alert handshake_failure". Valid while t lives. */
const char *mote_tls_reason(const mote_tls *t);

/* Negotiated parameters (0 / NULL before they are known). */
uint16_t mote_tls_version(const mote_tls *t);
uint16_t mote_tls_suite(const mote_tls *t);
uint16_t mote_tls_group(const mote_tls *t);
/* The signature scheme the server signed with (its CertificateVerify in
 * TLS 1.3, its ServerKeyExchange in TLS 1.2). */
uint16_t mote_tls_sigalg(const mote_tls *t);
/* The ALPN protocol agreed on, NUL-terminated, or NULL. */
const char *mote_tls_alpn(const mote_tls *t);
/* The SNI name (the client's own, or the one the server received), or NULL. */
const char *mote_tls_server_name(const mote_tls *t);
/* 1 if the handshake went through a HelloRetryRequest. */
int mote_tls_did_hrr(const mote_tls *t);
/* The peer's certificate chain (DER, leaf first): count, and one of them. */
size_t mote_tls_peer_cert_count(const mote_tls *t);
mote_slice mote_tls_peer_cert(const mote_tls *t, size_t i);
/* Counts of KeyUpdates received and sent (for tests and logs). */
unsigned mote_tls_key_updates_received(const mote_tls *t);

/* ---- TLS over a flow ----------------------------------------------------- */

/* Runs a TLS connection over a lower mote_flow and returns a mote_flow
 * carrying the application data: writes are encrypted, received records
 * are decrypted and delivered by the data callback, shutdown sends
 * close_notify, eof reports the peer's close_notify (a lower-level EOF
 * without close_notify is reported as an error, MOTE_ECONNRESET, since
 * truncation is an attack), handshake or protocol failures as the
 * error callback (MOTE_EPROTO or MOTE_EVERIFY; mote_tls_flow_tls tells the
 * alert). Takes ownership of both `tls` and `lower`: closing the returned
 * flow closes them. Writes before the handshake completes are held. NULL
 * with *err (MOTE_ENOMEM, MOTE_EINVAL). */
mote_flow *mote_tls_flow_new(mote_tls *tls, mote_flow *lower, int *err);

/* The engine under a flow made by mote_tls_flow_new (for parameters and
 * alerts); valid until the flow is closed. */
mote_tls *mote_tls_flow_tls(mote_flow *flow);

/* Sets a callback run once when the handshake completes (err 0) or fails
 * (err < 0), before any data callback. */
void mote_tls_flow_on_handshake(mote_flow *flow, void (*fn)(void *arg, int err), void *arg);

#ifdef __cplusplus
}
#endif
#endif
