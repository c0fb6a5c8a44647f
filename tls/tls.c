/* tls.c - the TLS 1.3 engine: record layer, key schedule, client and server
 * handshakes, alerts, KeyUpdate and close_notify. No I/O. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_internal.h"

/* Content types. */
enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23 };

/* Handshake message types. */
enum {
    HS_CLIENT_HELLO = 1,
    HS_SERVER_HELLO = 2,
    HS_NEW_SESSION_TICKET = 4,
    HS_END_OF_EARLY_DATA = 5,
    HS_ENCRYPTED_EXTENSIONS = 8,
    HS_CERTIFICATE = 11,
    HS_CERTIFICATE_REQUEST = 13,
    HS_CERTIFICATE_VERIFY = 15,
    HS_FINISHED = 20,
    HS_KEY_UPDATE = 24,
    HS_MESSAGE_HASH = 254,
};

/* Extension types. */
enum {
    EXT_SERVER_NAME = 0,
    EXT_STATUS_REQUEST = 5,
    EXT_SUPPORTED_GROUPS = 10,
    EXT_SIGNATURE_ALGORITHMS = 13,
    EXT_ALPN = 16,
    EXT_RECORD_SIZE_LIMIT = 28,
    EXT_PRE_SHARED_KEY = 41,
    EXT_EARLY_DATA = 42,
    EXT_SUPPORTED_VERSIONS = 43,
    EXT_COOKIE = 44,
    EXT_PSK_MODES = 45,
    EXT_CERTIFICATE_AUTHORITIES = 47,
    EXT_SIG_ALGS_CERT = 50,
    EXT_KEY_SHARE = 51,
    EXT_EC_POINT_FORMATS = 11,
    EXT_EMS = 23,
    EXT_RENEGOTIATION_INFO = 0xff01,
    EXT_SESSION_TICKET = 35,
};

/* Handshake states. */
enum {
    ST_C_WAIT_SH = 1,
    ST_C_WAIT_EE,
    ST_C_WAIT_CERT_CR,
    ST_C_WAIT_CERT,
    ST_C_WAIT_CV,
    ST_C_WAIT_FIN,
    ST_S_WAIT_CH,
    ST_S_WAIT_CH2,
    ST_S_WAIT_CERT,
    ST_S_WAIT_CV,
    ST_S_WAIT_FIN,
    ST_C12_WAIT_CERT,
    ST_C12_WAIT_SKE,
    ST_C12_WAIT_SHD,
    ST_C12_WAIT_FIN,
    ST_S12_WAIT_CERT,
    ST_S12_WAIT_CKE,
    ST_S12_WAIT_CV,
    ST_S12_WAIT_FIN,
    ST_DONE,
};

#define MAX_PEER_CERTS 16
#define EARLY_OUT_MAX  (1u << 20)

static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

typedef struct tls_dir {
    mote_crypto_aead *aead;
    uint8_t iv[12];
    uint64_t seq;
    uint8_t secret[MOTE_CRYPTO_HASH_MAX_LEN];
} tls_dir;

struct mote_tls {
    const mote_tls_config *cfg;
    int server;
    int state;
    int hs;
    int alert;
    int alert_received;
    int err;
    char reason[512];
    char *sni;

    /* Input. Records are copied into `in` and decrypted where they lie;
     * their application data is read from there (no second buffer): rx[]
     * is a ring of the unread runs, oldest at rx_first. From rx_head on,
     * `in` holds bytes still needed (unread runs, then the record being
     * assembled at rec_at); what lies before rx_head is spent and is
     * dropped when room is needed. */
    mote_buf in;
    size_t rec_at;     /* offset of the record being assembled */
    size_t rx_head;    /* offset of the first byte still needed */
    size_t rx_pending; /* unread application bytes */
    unsigned rx_first; /* ring index of the oldest unread run */
    unsigned rx_count; /* unread runs */
    struct {
        uint32_t off, len;
    } rx[TLS_RX_RUNS];
    mote_buf out;       /* bytes to send, from out_off */
    size_t out_off;     /* bytes of out already taken by the caller */
    mote_buf hs_in;     /* handshake bytes not yet a whole message */
    mote_buf early_out; /* application data written before the handshake ended */
    mote_buf pending;   /* handshake messages before the hash is known */

    tls_dir rd, wr;
    int rd_app; /* the read direction uses application keys */

    uint16_t version, suite, group, sigalg;
    mote_crypto_hash_id hash;
    size_t hash_len;
    mote_crypto_aead_id aead_id;
    int th_ready;
    mote_crypto_hash_ctx th;

    uint8_t session_id[32];
    size_t sid_len;
    mote_crypto_kx *kx;
    uint16_t kx_group;
    uint8_t hs_secret[MOTE_CRYPTO_HASH_MAX_LEN];
    uint8_t master[MOTE_CRYPTO_HASH_MAX_LEN];
    uint8_t c_hs[MOTE_CRYPTO_HASH_MAX_LEN], s_hs[MOTE_CRYPTO_HASH_MAX_LEN];
    uint8_t c_ap[MOTE_CRYPTO_HASH_MAX_LEN], s_ap[MOTE_CRYPTO_HASH_MAX_LEN];

    char alpn[256];
    int have_alpn;
    int sni_acked;
    int hrr;
    int ccs_sent;
    int ccs_ok; /* a compatibility change_cipher_spec may arrive now */
    mote_buf cookie;

    mote_buf peer_chain;
    size_t peer_off[MAX_PEER_CERTS], peer_len[MAX_PEER_CERTS];
    size_t n_peer;

    const tls_cert_entry *cert; /* our certificate for this connection */
    int cert_requested;
    uint16_t cr_sigalgs[32];
    size_t n_cr_sigalgs;
    uint16_t peer_sigalgs[32]; /* server: the client's signature_algorithms */
    size_t n_peer_sigalgs;
    /* The peer's signature_algorithms_cert: the client's (server side) or
     * the CertificateRequest's (client side). */
    uint16_t peer_cert_sigalgs[32];
    size_t n_peer_cert_sigalgs;
    int have_peer_cert_sigalgs;

    int we_closed, peer_closed;
    unsigned ku_recv;
    size_t send_max;   /* largest plaintext per protected record we send */
    int rsl_agreed;    /* record_size_limit (RFC 8449) is in force */
    int rsl_offered;   /* server: the client sent record_size_limit */
    uint16_t peer_rsl; /* the peer's record_size_limit value */
    int status_req;    /* server: the client asked for an OCSP staple */

    /* TLS 1.2 */
    int v12;   /* TLS 1.2 was negotiated */
    int ccs12; /* a change_cipher_spec is expected now */
    uint8_t crandom[32], srandom[32];
    uint8_t kb[2 * 32 + 2 * 12]; /* key block: keys then IVs */
    mote_buf hs_raw;             /* the handshake messages (TLS 1.2 CertificateVerify) */
    int offer12;                 /* client: offering a TLS 1.2 ticket */
    int nst12;                   /* a TLS 1.2 NewSessionTicket is coming / to be sent */
    size_t kb_key, kb_iv;

    /* resumption */
    int resumed;      /* the handshake used a PSK from a ticket */
    int offer_psk;    /* client: a session was given */
    int psk_modes_ok; /* server: the client offered psk_dhe_ke */
    uint8_t psk[MOTE_CRYPTO_HASH_MAX_LEN];
    uint16_t psk_suite;
    mote_buf ticket; /* client: the ticket to offer, or the last received */
    uint32_t ticket_age_add, ticket_lifetime;
    int64_t ticket_ms; /* when the ticket was received (ms, wall clock) */
    uint8_t res_master[MOTE_CRYPTO_HASH_MAX_LEN];
    int have_session; /* client: a NewSessionTicket arrived */
    mote_buf session; /* client: the last session, serialised */
};

/* ---- small helpers ---------------------------------------------------------- */

typedef struct wb {
    mote_buf *b;
    int err;
} wb;

static void w_u8(wb *w, uint8_t v)
{
    if (!w->err)
        w->err = mote_buf_append_byte(w->b, v);
}
static void w_u16(wb *w, uint16_t v)
{
    if (!w->err)
        w->err = mote_buf_append_be16(w->b, v);
}
static void w_bytes(wb *w, const void *p, size_t n)
{
    if (!w->err && n)
        w->err = mote_buf_append(w->b, p, n);
}
/* Opens a length-prefixed vector with an n-byte length; returns where the
 * body starts. */
static size_t w_open(wb *w, int n)
{
    static const uint8_t z[3] = {0, 0, 0};
    w_bytes(w, z, (size_t)n);
    return w->b->len;
}
static void w_close(wb *w, size_t at, int n)
{
    if (w->err)
        return;
    size_t len = w->b->len - at;
    uint8_t *p = w->b->data + at - n;
    if ((n == 1 && len > 0xff) || (n == 2 && len > 0xffff) || (n == 3 && len > 0xffffff)) {
        w->err = MOTE_ELIMIT;
        return;
    }
    if (n == 1)
        p[0] = (uint8_t)len;
    else if (n == 2)
        mote_store_be16(p, (uint16_t)len);
    else
        mote_store_be24(p, (uint32_t)len);
}

/* The server's ALPN extension: the one protocol chosen (RFC 7301 3.1). */
static void w_alpn_selected(wb *w, const char *proto)
{
    w_u16(w, EXT_ALPN);
    size_t e = w_open(w, 2);
    size_t l = w_open(w, 2);
    size_t p = w_open(w, 1);
    w_bytes(w, proto, strlen(proto));
    w_close(w, p, 1);
    w_close(w, l, 2);
    w_close(w, e, 2);
}

static void set_reason(mote_tls *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
    va_end(ap);
}

static int suite_params(uint16_t suite, mote_crypto_hash_id *h, mote_crypto_aead_id *a)
{
    switch (suite) {
    case MOTE_TLS_AES_128_GCM_SHA256:
        *h = MOTE_CRYPTO_HASH_SHA256;
        *a = MOTE_CRYPTO_AEAD_AES_128_GCM;
        return 0;
    case MOTE_TLS_AES_256_GCM_SHA384:
        *h = MOTE_CRYPTO_HASH_SHA384;
        *a = MOTE_CRYPTO_AEAD_AES_256_GCM;
        return 0;
    case MOTE_TLS_CHACHA20_POLY1305_SHA256:
    case MOTE_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256:
    case MOTE_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256:
        *h = MOTE_CRYPTO_HASH_SHA256;
        *a = MOTE_CRYPTO_AEAD_CHACHA20_POLY1305;
        return 0;
    case MOTE_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256:
    case MOTE_TLS_ECDHE_RSA_AES_128_GCM_SHA256:
        *h = MOTE_CRYPTO_HASH_SHA256;
        *a = MOTE_CRYPTO_AEAD_AES_128_GCM;
        return 0;
    case MOTE_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384:
    case MOTE_TLS_ECDHE_RSA_AES_256_GCM_SHA384:
        *h = MOTE_CRYPTO_HASH_SHA384;
        *a = MOTE_CRYPTO_AEAD_AES_256_GCM;
        return 0;
    default:
        return MOTE_EUNSUPPORTED;
    }
}

static int in_list16(const uint16_t *list, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == v)
            return 1;
    return 0;
}

/* ---- key schedule (RFC 8446 section 7) ------------------------------------------- */

static int hkdf_expand_label(mote_crypto_hash_id h, const uint8_t *secret, size_t secret_len,
                             const char *label, const uint8_t *ctx, size_t ctx_len, uint8_t *out,
                             size_t out_len)
{
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t ll = strlen(label);
    if (ll + 6 > 255 || ctx_len > 255)
        return MOTE_EINVAL;
    mote_store_be16(info, (uint16_t)out_len);
    info[2] = (uint8_t)(6 + ll);
    memcpy(info + 3, "tls13 ", 6);
    memcpy(info + 9, label, ll);
    info[9 + ll] = (uint8_t)ctx_len;
    if (ctx_len)
        memcpy(info + 10 + ll, ctx, ctx_len);
    return mote_crypto_hkdf_expand(h, secret, secret_len, info, 10 + ll + ctx_len, out, out_len);
}

static void transcript_hash(const mote_tls *t, uint8_t *out)
{
    mote_crypto_hash_ctx c = t->th;
    mote_crypto_hash_final(&c, out);
}

static void transcript_add(mote_tls *t, const uint8_t *msg, size_t len)
{
    if (t->hs != ST_DONE && !t->err && mote_buf_append(&t->hs_raw, msg, len))
        t->err = MOTE_ENOMEM;
    if (t->th_ready)
        mote_crypto_hash_update(&t->th, msg, len);
    else if (!t->err && mote_buf_append(&t->pending, msg, len))
        t->err = MOTE_ENOMEM;
}

/* Starts the transcript hash once the suite is known, absorbing what was
 * held. With hrr set, the held ClientHello is replaced by message_hash. */
static int transcript_start(mote_tls *t, int hrr)
{
    if (mote_crypto_hash_init(&t->th, t->hash))
        return MOTE_EINVAL;
    if (hrr) {
        uint8_t mh[4 + MOTE_CRYPTO_HASH_MAX_LEN];
        mh[0] = HS_MESSAGE_HASH;
        mh[1] = 0;
        mh[2] = 0;
        mh[3] = (uint8_t)t->hash_len;
        mote_crypto_hash(t->hash, t->pending.data, t->pending.len, mh + 4);
        mote_crypto_hash_update(&t->th, mh, 4 + t->hash_len);
    } else {
        mote_crypto_hash_update(&t->th, t->pending.data, t->pending.len);
    }
    mote_buf_free(&t->pending);
    t->th_ready = 1;
    return 0;
}

static int ds(mote_crypto_hash_id h, const uint8_t *secret, const char *label, const uint8_t *thash,
              uint8_t *out)
{
    size_t hl = mote_crypto_hash_len(h);
    return hkdf_expand_label(h, secret, hl, label, thash, hl, out, hl);
}

int tls_hkdf_expand_label(mote_crypto_hash_id h, const uint8_t *secret, size_t secret_len,
                          const char *label, const uint8_t *ctx, size_t ctx_len, uint8_t *out,
                          size_t out_len)
{
    return hkdf_expand_label(h, secret, secret_len, label, ctx, ctx_len, out, out_len);
}

int tls_ks_early(mote_crypto_hash_id h, const uint8_t *psk, uint8_t *early)
{
    uint8_t zeros[MOTE_CRYPTO_HASH_MAX_LEN] = {0};
    size_t hl = mote_crypto_hash_len(h);
    return mote_crypto_hkdf_extract(h, zeros, hl, psk ? psk : zeros, hl, early);
}

int tls_ks_binder_key(mote_crypto_hash_id h, const uint8_t *psk, uint8_t *out)
{
    uint8_t early[MOTE_CRYPTO_HASH_MAX_LEN], empty[MOTE_CRYPTO_HASH_MAX_LEN];
    int rc = tls_ks_early(h, psk, early);
    if (!rc)
        rc = mote_crypto_hash(h, "", 0, empty);
    if (!rc)
        rc = ds(h, early, "res binder", empty, out);
    mote_wipe(early, sizeof(early));
    return rc;
}

int tls_ks_handshake(mote_crypto_hash_id h, const uint8_t *psk, const uint8_t *shared,
                     size_t shared_len, const uint8_t *th, uint8_t *hs_secret, uint8_t *c_hs,
                     uint8_t *s_hs, uint8_t *master)
{
    uint8_t zeros[MOTE_CRYPTO_HASH_MAX_LEN] = {0};
    uint8_t early[MOTE_CRYPTO_HASH_MAX_LEN], derived[MOTE_CRYPTO_HASH_MAX_LEN];
    uint8_t empty[MOTE_CRYPTO_HASH_MAX_LEN];
    size_t hl = mote_crypto_hash_len(h);
    int rc = tls_ks_early(h, psk, early);
    if (!rc)
        rc = mote_crypto_hash(h, "", 0, empty);
    if (!rc)
        rc = ds(h, early, "derived", empty, derived);
    if (!rc)
        rc = mote_crypto_hkdf_extract(h, derived, hl, shared, shared_len, hs_secret);
    if (!rc)
        rc = ds(h, hs_secret, "c hs traffic", th, c_hs);
    if (!rc)
        rc = ds(h, hs_secret, "s hs traffic", th, s_hs);
    if (!rc)
        rc = ds(h, hs_secret, "derived", empty, derived);
    if (!rc)
        rc = mote_crypto_hkdf_extract(h, derived, hl, zeros, hl, master);
    mote_wipe(early, sizeof(early));
    mote_wipe(derived, sizeof(derived));
    return rc;
}

int tls_ks_app(mote_crypto_hash_id h, const uint8_t *master, const uint8_t *th, uint8_t *c_ap,
               uint8_t *s_ap)
{
    int rc = ds(h, master, "c ap traffic", th, c_ap);
    if (!rc)
        rc = ds(h, master, "s ap traffic", th, s_ap);
    return rc;
}

int tls_ks_finished(mote_crypto_hash_id h, const uint8_t *base, const uint8_t *th, uint8_t *out)
{
    uint8_t fk[MOTE_CRYPTO_HASH_MAX_LEN];
    size_t hl = mote_crypto_hash_len(h);
    int rc = hkdf_expand_label(h, base, hl, "finished", NULL, 0, fk, hl);
    if (!rc)
        rc = mote_crypto_hmac(h, fk, hl, th, hl, out);
    mote_wipe(fk, sizeof(fk));
    return rc;
}

static int set_dir_keys(mote_tls *t, tls_dir *d, const uint8_t *secret)
{
    uint8_t key[32];
    size_t kl = mote_crypto_aead_key_len(t->aead_id);
    int rc = hkdf_expand_label(t->hash, secret, t->hash_len, "key", NULL, 0, key, kl);
    if (!rc)
        rc = hkdf_expand_label(t->hash, secret, t->hash_len, "iv", NULL, 0, d->iv, 12);
    if (rc)
        return rc;
    mote_crypto_aead_free(d->aead);
    d->aead = mote_crypto_aead_new(t->aead_id, key, kl, &rc);
    mote_wipe(key, sizeof(key));
    if (!d->aead)
        return rc;
    d->seq = 0;
    if (d->secret != secret)
        memcpy(d->secret, secret, t->hash_len);
    return 0;
}

/* Handshake secrets from the (EC)DHE shared secret and the transcript
 * through ServerHello. */
static int derive_handshake_secrets(mote_tls *t, const uint8_t *shared, size_t shared_len)
{
    uint8_t th[MOTE_CRYPTO_HASH_MAX_LEN];
    transcript_hash(t, th);
    return tls_ks_handshake(t->hash, t->resumed ? t->psk : NULL, shared, shared_len, th,
                            t->hs_secret, t->c_hs, t->s_hs, t->master);
}

/* Application secrets from the transcript through the server Finished. */
static int derive_app_secrets(mote_tls *t)
{
    uint8_t th[MOTE_CRYPTO_HASH_MAX_LEN];
    transcript_hash(t, th);
    return tls_ks_app(t->hash, t->master, th, t->c_ap, t->s_ap);
}

static int finished_mac(const mote_tls *t, const uint8_t *base, uint8_t *out)
{
    uint8_t th[MOTE_CRYPTO_HASH_MAX_LEN];
    transcript_hash(t, th);
    return tls_ks_finished(t->hash, base, th, out);
}

static int next_traffic_secret(mote_tls *t, tls_dir *d)
{
    uint8_t next[MOTE_CRYPTO_HASH_MAX_LEN];
    int rc = hkdf_expand_label(t->hash, d->secret, t->hash_len, "traffic upd", NULL, 0, next,
                               t->hash_len);
    if (!rc)
        rc = set_dir_keys(t, d, next);
    mote_wipe(next, sizeof(next));
    return rc;
}

/* ---- record layer: output ------------------------------------------------------ */

static int emit_plain(mote_tls *t, uint8_t type, uint16_t ver, const uint8_t *data, size_t len)
{
    do {
        size_t n = len > TLS_MAX_PLAIN ? TLS_MAX_PLAIN : len;
        int err = 0;
        uint8_t *p = mote_buf_extend(&t->out, 5 + n, &err);
        if (!p)
            return err;
        p[0] = type;
        mote_store_be16(p + 1, ver);
        mote_store_be16(p + 3, (uint16_t)n);
        if (n)
            memcpy(p + 5, data, n);
        data += n;
        len -= n;
    } while (len);
    return 0;
}

static void make_nonce(const tls_dir *d, uint8_t nonce[12])
{
    memcpy(nonce, d->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

/* Sends content of a type, protected with the current write keys if any. */
/* TLS 1.2 AEAD protection (RFC 5288 / RFC 7905): GCM with an explicit
 * 8-byte nonce (the sequence number), ChaCha20-Poly1305 with the IV XOR
 * sequence; additional data seq || type || version || length. */
static int emit12(mote_tls *t, uint8_t type, const uint8_t *data, size_t len)
{
    int gcm = t->aead_id != MOTE_CRYPTO_AEAD_CHACHA20_POLY1305;
    size_t explicit_len = gcm ? 8 : 0;
    do {
        size_t n = len > t->send_max ? t->send_max : len;
        size_t payload = explicit_len + n + MOTE_CRYPTO_AEAD_TAG_LEN;
        int err = 0;
        if (t->wr.seq == UINT64_MAX)
            return MOTE_ELIMIT;
        uint8_t *p = mote_buf_extend(&t->out, 5 + payload, &err);
        if (!p)
            return err;
        p[0] = type;
        mote_store_be16(p + 1, 0x0303);
        mote_store_be16(p + 3, (uint16_t)payload);
        uint8_t nonce[12], aad[13];
        if (gcm) {
            memcpy(nonce, t->wr.iv, 4);
            mote_store_be64(nonce + 4, t->wr.seq);
            memcpy(p + 5, nonce + 4, 8);
        } else {
            make_nonce(&t->wr, nonce);
        }
        mote_store_be64(aad, t->wr.seq);
        aad[8] = type;
        mote_store_be16(aad + 9, 0x0303);
        mote_store_be16(aad + 11, (uint16_t)n);
        if (n)
            memcpy(p + 5 + explicit_len, data, n);
#ifdef MOTE_TLS_FUZZ_NOCRYPT
        memset(p + 5 + explicit_len + n, 0, MOTE_CRYPTO_AEAD_TAG_LEN);
#else
        err = mote_crypto_aead_seal(t->wr.aead, nonce, 12, aad, 13, p + 5 + explicit_len, n,
                                    p + 5 + explicit_len + n);
        if (err)
            return err;
#endif
        t->wr.seq++;
        data += n;
        len -= n;
    } while (len);
    return 0;
}

static int emit(mote_tls *t, uint8_t type, const uint8_t *data, size_t len)
{
    if (!t->wr.aead)
        return emit_plain(t, type, 0x0303, data, len);
    if (t->v12)
        return emit12(t, type, data, len);
    do {
        size_t max = t->send_max;
        size_t n = len > max ? max : len;
        size_t pad = 0;
        if (t->cfg->pad) {
            pad = t->cfg->pad(t->cfg->pad_ctx, type, n, max - n);
            if (pad > max - n)
                pad = max - n;
        }
        size_t ct = n + 1 + pad + MOTE_CRYPTO_AEAD_TAG_LEN;
        int err = 0;
        if (t->wr.seq == UINT64_MAX)
            return MOTE_ELIMIT;
        uint8_t *p = mote_buf_extend(&t->out, 5 + ct, &err);
        if (!p)
            return err;
        p[0] = CT_APPDATA;
        mote_store_be16(p + 1, 0x0303);
        mote_store_be16(p + 3, (uint16_t)ct);
        if (n)
            memcpy(p + 5, data, n);
        p[5 + n] = type;
        memset(p + 6 + n, 0, pad);
        uint8_t nonce[12];
        make_nonce(&t->wr, nonce);
#ifdef MOTE_TLS_FUZZ_NOCRYPT
        /* Fuzzing build only: records travel in the clear with a zero tag,
         * so a fuzzer can reach the encrypted handshake messages. */
        memset(p + 5 + n + 1 + pad, 0, MOTE_CRYPTO_AEAD_TAG_LEN);
        (void)nonce;
#else
        err = mote_crypto_aead_seal(t->wr.aead, nonce, 12, p, 5, p + 5, n + 1 + pad,
                                    p + 5 + n + 1 + pad);
#endif
        if (err)
            return err;
        t->wr.seq++;
        data += n;
        len -= n;
    } while (len);
    return 0;
}

/* Ends the connection with a fatal alert (sent to the peer). */
static int fail(mote_tls *t, int alert, int err, const char *fmt, ...)
{
    if (t->state == MOTE_TLS_FAILED)
        return t->err;
    t->state = MOTE_TLS_FAILED;
    t->alert = alert;
    t->alert_received = 0;
    t->err = err ? err : MOTE_EPROTO;
    char msg[sizeof(t->reason) - 40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    set_reason(t, "sent alert %s: %s", mote_tls_alert_name(alert), msg);
    mote_logf(t->cfg->log, MOTE_LOG_INFO, "tls", "%s", t->reason);
    uint8_t a[2] = {2, (uint8_t)alert};
    emit(t, CT_ALERT, a, 2);
    return t->err;
}

#define FAIL_DECODE(t, what)                                                                       \
    fail((t), MOTE_TLS_ALERT_DECODE_ERROR, MOTE_EPROTO, "malformed %s", what)

static int emit_ccs(mote_tls *t)
{
    static const uint8_t one = 1;
    if (t->ccs_sent)
        return 0;
    t->ccs_sent = 1;
    return emit_plain(t, CT_CCS, 0x0303, &one, 1);
}

/* Sends a handshake message whose body is in body[0..len) and adds it to
 * the transcript. */
static int send_hs(mote_tls *t, uint8_t type, const uint8_t *body, size_t len)
{
    uint8_t hdr[4];
    if (len > 0xffffff)
        return MOTE_ELIMIT;
    hdr[0] = type;
    mote_store_be24(hdr + 1, (uint32_t)len);
    mote_buf msg;
    mote_buf_init(&msg, 0);
    int rc = mote_buf_append(&msg, hdr, 4);
    if (!rc)
        rc = mote_buf_append(&msg, body, len);
    if (!rc) {
        transcript_add(t, msg.data, msg.len);
        if (type == HS_CLIENT_HELLO && !t->hrr)
            rc = emit_plain(t, CT_HANDSHAKE, 0x0301, msg.data, msg.len);
        else
            rc = emit(t, CT_HANDSHAKE, msg.data, msg.len);
    }
    mote_buf_free(&msg);
    return rc;
}

/* ---- construction ------------------------------------------------------------- */

static mote_tls *tls_alloc(const mote_tls_config *cfg, int server, int *err)
{
    mote_tls *t = calloc(1, sizeof(*t));
    if (!t) {
        *err = MOTE_ENOMEM;
        return NULL;
    }
    t->cfg = cfg;
    t->server = server;
    t->state = MOTE_TLS_HANDSHAKING;
    t->alert = -1;
    t->send_max = TLS_MAX_PLAIN;
    /* Secret: decrypted records stay in it, and growing it must not leave
     * a copy behind (it is wiped whole at free, not on every reuse). */
    mote_buf_init_secret(&t->in, TLS_IN_MAX);
    mote_buf_init(&t->out, 0);
    mote_buf_init_secret(&t->hs_in, TLS_MAX_HS_MSG + 4);
    mote_buf_init_secret(&t->early_out, EARLY_OUT_MAX);
    mote_buf_init(&t->pending, 4 * TLS_MAX_HS_MSG);
    mote_buf_init(&t->cookie, 0xffff);
    mote_buf_init(&t->peer_chain, TLS_MAX_HS_MSG);
    mote_buf_init(&t->ticket, 0xffff);
    mote_buf_init(&t->hs_raw, 4 * TLS_MAX_HS_MSG);
    mote_buf_init_secret(&t->session, 0x10000 + 128);
    return t;
}

void mote_tls_free(mote_tls *t)
{
    if (!t)
        return;
    mote_buf_free(&t->in); /* secret: wiped whole */
    mote_buf_free(&t->out);
    mote_buf_free(&t->hs_in);
    mote_buf_free(&t->early_out);
    mote_buf_free(&t->pending);
    mote_buf_free(&t->cookie);
    mote_buf_free(&t->peer_chain);
    mote_buf_free(&t->ticket);
    mote_buf_free(&t->hs_raw);
    mote_buf_free(&t->session);
    mote_crypto_aead_free(t->rd.aead);
    mote_crypto_aead_free(t->wr.aead);
    mote_crypto_kx_free(t->kx);
    free(t->sni);
    mote_wipe(t, sizeof(*t));
    free(t);
}

static int looks_like_ip(const char *s)
{
    if (strchr(s, ':'))
        return 1;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || *s == '.'))
            return 0;
    return 1;
}

static int64_t wall_ms(const mote_tls_config *cfg)
{
    mote_time w = cfg->clock ? mote_clock_wall(cfg->clock) : cfg->fixed_time;
    return w.sec * 1000 + (int64_t)(w.nsec / 1000000);
}

/* The PSK binder over a (truncated) ClientHello: the transcript so far
 * (after an HRR), the handshake header, then body[0..trunc). */
static int psk_binder(const mote_tls *t, mote_crypto_hash_id h, const uint8_t *hdr,
                      const uint8_t *body, size_t trunc, uint8_t *out)
{
    mote_crypto_hash_ctx c;
    uint8_t th[MOTE_CRYPTO_HASH_MAX_LEN], bk[MOTE_CRYPTO_HASH_MAX_LEN];
    if (t->th_ready)
        c = t->th;
    else if (mote_crypto_hash_init(&c, h))
        return MOTE_EINVAL;
    if (hdr)
        mote_crypto_hash_update(&c, hdr, 4);
    mote_crypto_hash_update(&c, body, trunc);
    mote_crypto_hash_final(&c, th);
    int rc = tls_ks_binder_key(h, t->psk, bk);
    if (!rc)
        rc = tls_ks_finished(h, bk, th, out);
    mote_wipe(bk, sizeof(bk));
    return rc;
}

/* Writes a signature_algorithms or signature_algorithms_cert extension;
 * no_pkcs1 leaves out rsa_pkcs1_* (not for TLS 1.3 handshake signatures). */
static void w_sigalgs_ext(wb *w, uint16_t type, const uint16_t *list, size_t n, int no_pkcs1)
{
    w_u16(w, type);
    size_t e = w_open(w, 2);
    size_t l = w_open(w, 2);
    for (size_t i = 0; i < n; i++)
        if (!(no_pkcs1 && (list[i] & 0xff) == 0x01))
            w_u16(w, list[i]);
    w_close(w, l, 2);
    w_close(w, e, 2);
}

/* Writes and sends the ClientHello (the first, or the second after HRR). */
static int send_client_hello(mote_tls *t)
{
    const mote_tls_config *cfg = t->cfg;
    mote_buf body;
    mote_buf_init(&body, 0);
    wb w = {&body, 0};
    int rc = mote_rng_fill(cfg->rng, t->crandom, 32);
    if (rc)
        return rc;
    int v13 = cfg->max_version >= MOTE_TLS_VERSION_13,
        v12 = cfg->min_version <= MOTE_TLS_VERSION_12;
    w_u16(&w, 0x0303);
    w_bytes(&w, t->crandom, 32);
    size_t v = w_open(&w, 1);
    w_bytes(&w, t->session_id, t->sid_len);
    w_close(&w, v, 1);
    v = w_open(&w, 2);
    for (size_t i = 0; i < cfg->n_suites; i++)
        if ((v13 && tls_suite_is13(cfg->suites[i])) ||
            (v12 && !t->hrr && tls_suite12_auth(cfg->suites[i])))
            w_u16(&w, cfg->suites[i]);
    w_close(&w, v, 2);
    w_u8(&w, 1);
    w_u8(&w, 0);
    size_t exts = w_open(&w, 2);
    if (t->sni && !looks_like_ip(t->sni)) {
        w_u16(&w, EXT_SERVER_NAME);
        size_t e = w_open(&w, 2);
        size_t l = w_open(&w, 2);
        w_u8(&w, 0);
        size_t n = w_open(&w, 2);
        w_bytes(&w, t->sni, strlen(t->sni));
        w_close(&w, n, 2);
        w_close(&w, l, 2);
        w_close(&w, e, 2);
    }
    w_u16(&w, EXT_SUPPORTED_VERSIONS);
    w_u16(&w, (uint16_t)(1 + 2 * (v13 + (v12 && !t->hrr))));
    w_u8(&w, (uint8_t)(2 * (v13 + (v12 && !t->hrr))));
    if (v13)
        w_u16(&w, MOTE_TLS_VERSION_13);
    if (v12 && !t->hrr)
        w_u16(&w, MOTE_TLS_VERSION_12);
    if (v12 && !t->hrr) {
        /* TLS 1.2 needs: extended_master_secret (RFC 7627, required),
         * renegotiation_info (RFC 5746, empty: no renegotiation), and
         * ec_point_formats (uncompressed only). */
        w_u16(&w, EXT_EMS);
        w_u16(&w, 0);
        w_u16(&w, EXT_RENEGOTIATION_INFO);
        w_u16(&w, 1);
        w_u8(&w, 0);
        w_u16(&w, EXT_EC_POINT_FORMATS);
        w_u16(&w, 2);
        w_u8(&w, 1);
        w_u8(&w, 0);
        /* session_ticket (RFC 5077): the ticket of a TLS 1.2 session being
         * resumed, or empty to ask for one. */
        w_u16(&w, EXT_SESSION_TICKET);
        size_t st = w_open(&w, 2);
        if (t->offer12)
            w_bytes(&w, t->ticket.data, t->ticket.len);
        w_close(&w, st, 2);
    }
    w_u16(&w, EXT_SUPPORTED_GROUPS);
    size_t e = w_open(&w, 2);
    size_t l = w_open(&w, 2);
    for (size_t i = 0; i < cfg->n_groups; i++)
        w_u16(&w, cfg->groups[i]);
    w_close(&w, l, 2);
    w_close(&w, e, 2);
    /* signature_algorithms: CertificateVerify (and TLS 1.2
     * ServerKeyExchange) schemes; rsa_pkcs1 only when 1.2 is enabled (the
     * same list after a HelloRetryRequest). */
    w_sigalgs_ext(&w, EXT_SIGNATURE_ALGORITHMS, cfg->sigalgs, cfg->n_sigalgs, !v12);
    /* signature_algorithms_cert (RFC 8446 4.2.3): certificate signatures. */
    w_sigalgs_ext(&w, EXT_SIG_ALGS_CERT, cfg->cert_sigalgs, cfg->n_cert_sigalgs, 0);
    if (!t->kx) {
        t->kx = mote_crypto_kx_new((mote_crypto_group)t->kx_group, cfg->rng, &rc);
        if (!t->kx) {
            mote_buf_free(&body);
            return rc;
        }
    }
    mote_slice share = mote_crypto_kx_share(t->kx);
    w_u16(&w, EXT_KEY_SHARE);
    e = w_open(&w, 2);
    l = w_open(&w, 2);
    w_u16(&w, t->kx_group);
    size_t s = w_open(&w, 2);
    w_bytes(&w, share.ptr, share.len);
    w_close(&w, s, 2);
    w_close(&w, l, 2);
    w_close(&w, e, 2);
    if (cfg->n_alpn) {
        w_u16(&w, EXT_ALPN);
        e = w_open(&w, 2);
        l = w_open(&w, 2);
        w_bytes(&w, cfg->alpn_wire.data, cfg->alpn_wire.len);
        w_close(&w, l, 2);
        w_close(&w, e, 2);
    }
    if (t->cookie.len) {
        w_u16(&w, EXT_COOKIE);
        e = w_open(&w, 2);
        l = w_open(&w, 2);
        w_bytes(&w, t->cookie.data, t->cookie.len);
        w_close(&w, l, 2);
        w_close(&w, e, 2);
    }
    /* record_size_limit (RFC 8449): the largest inner plaintext we take;
     * at most 2^14 when only TLS 1.2 is offered (section 4). */
    w_u16(&w, EXT_RECORD_SIZE_LIMIT);
    w_u16(&w, 2);
    w_u16(&w, (uint16_t)(!v13 && cfg->record_size_limit > TLS_MAX_PLAIN ? TLS_MAX_PLAIN
                                                                        : cfg->record_size_limit));
    /* psk_key_exchange_modes: psk_dhe_ke, so servers may send tickets. */
    w_u16(&w, EXT_PSK_MODES);
    w_u16(&w, 2);
    w_u8(&w, 1);
    w_u8(&w, 1);
    mote_crypto_hash_id ph = 0;
    mote_crypto_aead_id pa;
    if (t->offer_psk && suite_params(t->psk_suite, &ph, &pa) == 0 && t->th_ready && ph != t->hash)
        t->offer_psk = 0; /* after an HRR for a suite of another hash */
    size_t binders_at = 0, hl = ph ? mote_crypto_hash_len(ph) : 0;
    if (t->offer_psk) {
        /* pre_shared_key, last: one identity, its binder filled in below. */
        uint32_t age = (uint32_t)(wall_ms(cfg) - t->ticket_ms) + t->ticket_age_add;
        w_u16(&w, EXT_PRE_SHARED_KEY);
        e = w_open(&w, 2);
        l = w_open(&w, 2);
        size_t id = w_open(&w, 2);
        w_bytes(&w, t->ticket.data, t->ticket.len);
        w_close(&w, id, 2);
        w_u16(&w, (uint16_t)(age >> 16));
        w_u16(&w, (uint16_t)age);
        w_close(&w, l, 2);
        binders_at = body.len;
        size_t bl = w_open(&w, 2);
        size_t b1 = w_open(&w, 1);
        static const uint8_t z[MOTE_CRYPTO_HASH_MAX_LEN];
        w_bytes(&w, z, hl);
        w_close(&w, b1, 1);
        w_close(&w, bl, 2);
        w_close(&w, e, 2);
    }
    w_close(&w, exts, 2);
    rc = w.err;
    if (!rc && t->offer_psk) {
        uint8_t hdr[4] = {HS_CLIENT_HELLO};
        mote_store_be24(hdr + 1, (uint32_t)body.len);
        rc = psk_binder(t, ph, hdr, body.data, binders_at, body.data + binders_at + 3);
    }
    if (!rc)
        rc = send_hs(t, HS_CLIENT_HELLO, body.data, body.len);
    mote_buf_free(&body);
    return rc;
}

/* Starts a client (new or resuming): the server name, a session id
 * (middlebox compatibility mode), the ClientHello queued. Frees t and
 * returns NULL with *err on failure. */
static mote_tls *client_start(mote_tls *t, const char *server_name, int *err)
{
    if (server_name && *server_name) {
        if (strlen(server_name) > 253) {
            *err = MOTE_EINVAL;
            goto fail;
        }
        t->sni = strdup(server_name);
        if (!t->sni) {
            *err = MOTE_ENOMEM;
            goto fail;
        }
    }
    t->sid_len = 32;
    if ((*err = mote_rng_fill(t->cfg->rng, t->session_id, 32)) != 0)
        goto fail;
    t->kx_group = t->cfg->groups[0];
    if ((*err = send_client_hello(t)) != 0)
        goto fail;
    t->hs = ST_C_WAIT_SH;
    t->ccs_ok = 1;
    *err = 0;
    return t;
fail:
    mote_tls_free(t);
    return NULL;
}

mote_tls *mote_tls_client_new(const mote_tls_config *cfg, const char *server_name, int *err)
{
    int e = 0;
    if (!err)
        err = &e;
    if (!cfg) {
        *err = MOTE_EINVAL;
        return NULL;
    }
    mote_tls *t = tls_alloc(cfg, 0, err);
    return t ? client_start(t, server_name, err) : NULL;
}

mote_tls *mote_tls_server_new(const mote_tls_config *cfg, int *err)
{
    int e = 0;
    if (!err)
        err = &e;
    if (!cfg || cfg->n_certs == 0) {
        *err = MOTE_EINVAL;
        return NULL;
    }
    mote_tls *t = tls_alloc(cfg, 1, err);
    if (!t)
        return NULL;
    t->hs = ST_S_WAIT_CH;
    *err = 0;
    return t;
}

/* ---- certificates and signatures --------------------------------------------- */

static const char ctx_server[] = "TLS 1.3, server CertificateVerify";
static const char ctx_client[] = "TLS 1.3, client CertificateVerify";

/* The content a CertificateVerify signs. */
static size_t cv_content(const mote_tls *t, int from_server, uint8_t *out)
{
    const char *c = from_server ? ctx_server : ctx_client;
    size_t cl = strlen(c);
    memset(out, 0x20, 64);
    memcpy(out + 64, c, cl);
    out[64 + cl] = 0;
    transcript_hash(t, out + 65 + cl);
    return 65 + cl + t->hash_len;
}

static int send_certificate(mote_tls *t, const tls_cert_entry *c)
{
    mote_buf body;
    mote_buf_init(&body, 0);
    wb w = {&body, 0};
    w_u8(&w, 0); /* certificate_request_context: empty (we never send
                    post-handshake requests) */
    size_t list = w_open(&w, 3);
    for (size_t i = 0; c && i < c->n_chain; i++) {
        size_t d = w_open(&w, 3);
        w_bytes(&w, c->chain[i].data, c->chain[i].len);
        w_close(&w, d, 3);
        size_t ex = w_open(&w, 2);
        if (i == 0 && t->server && t->status_req && c->ocsp.len) {
            /* status_request: CertificateStatus { ocsp(1), OCSPResponse } */
            w_u16(&w, EXT_STATUS_REQUEST);
            size_t e = w_open(&w, 2);
            w_u8(&w, 1);
            size_t r = w_open(&w, 3);
            w_bytes(&w, c->ocsp.data, c->ocsp.len);
            w_close(&w, r, 3);
            w_close(&w, e, 2);
        }
        w_close(&w, ex, 2);
    }
    w_close(&w, list, 3);
    int rc = w.err;
    if (!rc)
        rc = send_hs(t, HS_CERTIFICATE, body.data, body.len);
    mote_buf_free(&body);
    return rc;
}

static int send_certificate_verify(mote_tls *t, const tls_cert_entry *c, uint16_t scheme)
{
    uint8_t content[64 + 34 + MOTE_CRYPTO_HASH_MAX_LEN];
    size_t cl = cv_content(t, t->server, content);
    uint8_t body[4 + MOTE_CRYPTO_SIG_MAX_LEN];
    size_t sig_len = 0;
    int rc = mote_crypto_sign(c->key, (mote_crypto_sig_alg)scheme, t->cfg->rng, content, cl,
                              body + 4, MOTE_CRYPTO_SIG_MAX_LEN, &sig_len, 0);
    if (rc)
        return rc;
    mote_store_be16(body, scheme);
    mote_store_be16(body + 2, (uint16_t)sig_len);
    return send_hs(t, HS_CERTIFICATE_VERIFY, body, 4 + sig_len);
}

static int send_finished(mote_tls *t)
{
    uint8_t mac[MOTE_CRYPTO_HASH_MAX_LEN];
    int rc = finished_mac(t, t->server ? t->s_hs : t->c_hs, mac);
    if (!rc)
        rc = send_hs(t, HS_FINISHED, mac, t->hash_len);
    mote_wipe(mac, sizeof(mac));
    return rc;
}

/* Picks the signature scheme for our certificate from the peer's list. */
static uint16_t pick_sigalg(const mote_tls *t, const tls_cert_entry *c, const uint16_t *peer,
                            size_t n)
{
    for (size_t i = 0; i < t->cfg->n_sigalgs; i++) {
        uint16_t s = t->cfg->sigalgs[i];
        if (tls_sigalg_fits_key(s, c->key_type) && in_list16(peer, n, s))
            return s;
    }
    return 0;
}

/* Parses a Certificate message into the peer chain and runs the verifier. */
/* Checks the framing of an extensions block whose contents are ignored:
 * 0, or MOTE_EDECODE. */
static int exts_framing(mote_slice exts)
{
    mote_reader er;
    mote_reader_init(&er, exts.ptr, exts.len);
    while (mote_reader_left(&er)) {
        uint16_t et;
        mote_slice ed;
        mote_reader_u16(&er, &et);
        mote_reader_vec16(&er, &ed);
    }
    return mote_reader_finish(&er);
}

static int recv_certificate(mote_tls *t, mote_reader *r)
{
    mote_slice ctx, list;
    mote_reader_vec8(r, &ctx);
    mote_reader_vec24(r, &list);
    if (mote_reader_finish(r))
        return FAIL_DECODE(t, "Certificate");
    if (ctx.len != 0)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "non-empty certificate_request_context");
    mote_reader lr;
    mote_reader_init(&lr, list.ptr, list.len);
    mote_buf_reset(&t->peer_chain);
    t->n_peer = 0;
    while (mote_reader_left(&lr)) {
        mote_slice cert, exts;
        mote_reader_vec24(&lr, &cert);
        mote_reader_vec16(&lr, &exts);
        if (lr.err || cert.len == 0)
            return FAIL_DECODE(t, "CertificateEntry");
        /* Extensions in entries: parse their framing; content ignored. */
        if (exts_framing(exts))
            return FAIL_DECODE(t, "CertificateEntry extensions");
        if (t->n_peer == MAX_PEER_CERTS)
            return fail(t, MOTE_TLS_ALERT_BAD_CERTIFICATE, MOTE_EVERIFY,
                        "more than %d certificates", MAX_PEER_CERTS);
        t->peer_off[t->n_peer] = t->peer_chain.len;
        t->peer_len[t->n_peer] = cert.len;
        if (mote_buf_append(&t->peer_chain, cert.ptr, cert.len))
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_ENOMEM, "out of memory");
        t->n_peer++;
    }
    if (mote_reader_finish(&lr))
        return FAIL_DECODE(t, "certificate_list");
    if (t->n_peer == 0) {
        if (!t->server)
            return fail(t, MOTE_TLS_ALERT_DECODE_ERROR, MOTE_EPROTO, "empty server Certificate");
        if (t->cfg->client_auth == 2)
            return fail(
                t, t->v12 ? MOTE_TLS_ALERT_HANDSHAKE_FAILURE : MOTE_TLS_ALERT_CERTIFICATE_REQUIRED,
                MOTE_EVERIFY, "client sent no certificate");
        return 0;
    }
    mote_slice spki;
    if (tls_cert_spki(mote_tls_peer_cert(t, 0), &spki))
        return fail(t, MOTE_TLS_ALERT_BAD_CERTIFICATE, MOTE_EVERIFY, "unparsable certificate");
    if (!t->server && t->cfg->insecure)
        return 0;
    if (!t->cfg->verify)
        return fail(t, MOTE_TLS_ALERT_CERTIFICATE_UNKNOWN, MOTE_EVERIFY,
                    "no certificate verifier configured (and not marked insecure)");
    mote_slice chain[MAX_PEER_CERTS];
    for (size_t i = 0; i < t->n_peer; i++)
        chain[i] = mote_tls_peer_cert(t, i);
    uint8_t alert = MOTE_TLS_ALERT_BAD_CERTIFICATE;
    int rc =
        t->cfg->verify(t->cfg->verify_ctx, chain, t->n_peer, t->server ? NULL : t->sni, &alert);
    if (rc)
        return fail(t, alert, MOTE_EVERIFY, "certificate verification failed%s%s",
                    t->cfg->verify == tls_trust_verify ? ": " : "",
                    t->cfg->verify == tls_trust_verify ? t->cfg->verify_reason : "");
    return 0;
}

/* Checks a CertificateVerify against the peer's leaf. */
/* The public key of the peer's leaf certificate; NULL after failing the
 * connection (bad_certificate, unsupported_certificate). */
static mote_crypto_pubkey *peer_pubkey(mote_tls *t)
{
    mote_slice spki;
    if (tls_cert_spki(mote_tls_peer_cert(t, 0), &spki)) {
        fail(t, MOTE_TLS_ALERT_BAD_CERTIFICATE, MOTE_EVERIFY, "unparsable certificate");
        return NULL;
    }
    int kerr = 0;
    mote_crypto_pubkey *pk = mote_crypto_pubkey_from_spki(spki.ptr, spki.len, &kerr);
    if (!pk)
        fail(t, MOTE_TLS_ALERT_UNSUPPORTED_CERTIFICATE, MOTE_EVERIFY,
             "unsupported public key in certificate");
    return pk;
}

/* Checks the peer's signature over content[0..len) with scheme, by the
 * leaf's key pk (freed here): illegal_parameter when the scheme does not
 * fit the key (fits = 0), decrypt_error naming `what` for a bad one. */
static int check_peer_sig(mote_tls *t, mote_crypto_pubkey *pk, int fits, uint16_t scheme,
                          const uint8_t *content, size_t len, mote_slice sig, const char *what)
{
    int rc = fits ? mote_crypto_verify(pk, (mote_crypto_sig_alg)scheme, content, len, sig.ptr,
                                       sig.len, 0)
                  : MOTE_EUNSUPPORTED;
    mote_crypto_pubkey_free(pk);
    if (!fits)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "signature scheme %s does not fit the certificate's key",
                    mote_tls_sigalg_name(scheme));
    if (rc)
        return fail(t, MOTE_TLS_ALERT_DECRYPT_ERROR, MOTE_EVERIFY, "%s signature is invalid", what);
    return 0;
}

/* A CertificateVerify's scheme (one of the offered ones) and signature,
 * and the peer's key to check it with (NULL after failing). */
static mote_crypto_pubkey *read_cv(mote_tls *t, mote_reader *r, const uint16_t *offered,
                                   size_t n_offered, uint16_t *scheme, mote_slice *sig)
{
    mote_reader_u16(r, scheme);
    mote_reader_vec16(r, sig);
    if (mote_reader_finish(r)) {
        FAIL_DECODE(t, "CertificateVerify");
        return NULL;
    }
    if (!in_list16(offered, n_offered, *scheme)) {
        fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
             "CertificateVerify with a scheme not offered (0x%04x)", *scheme);
        return NULL;
    }
    return peer_pubkey(t);
}

static int recv_certificate_verify(mote_tls *t, mote_reader *r, const uint16_t *offered,
                                   size_t n_offered)
{
    uint16_t scheme = 0;
    mote_slice sig;
    mote_crypto_pubkey *pk = read_cv(t, r, offered, n_offered, &scheme, &sig);
    if (!pk)
        return t->err;
    int fits = tls_sigalg_fits_key(scheme, mote_crypto_pubkey_type(pk));
    uint8_t content[64 + 34 + MOTE_CRYPTO_HASH_MAX_LEN];
    size_t cl = cv_content(t, !t->server, content);
    int rc = check_peer_sig(t, pk, fits, scheme, content, cl, sig, "CertificateVerify");
    if (rc)
        return rc;
    if (!t->server)
        t->sigalg = scheme;
    return 0;
}

/* The peer's Certificate or CertificateVerify in TLS 1.3 (either role):
 * checked, added to the transcript, and the handshake moved to `next`. */
static int recv_peer_auth13(mote_tls *t, uint8_t type, mote_reader *r, const uint8_t *raw,
                            size_t raw_len, int next)
{
    int rc = type == HS_CERTIFICATE
                 ? recv_certificate(t, r)
                 : recv_certificate_verify(t, r, t->cfg->sigalgs, t->cfg->n_sigalgs);
    if (rc)
        return rc;
    transcript_add(t, raw, raw_len);
    t->hs = next;
    return 0;
}

static int recv_finished(mote_tls *t, mote_reader *r, const uint8_t *base)
{
    uint8_t mac[MOTE_CRYPTO_HASH_MAX_LEN];
    mote_slice got;
    if (mote_reader_bytes(r, t->hash_len, &got) || mote_reader_finish(r))
        return FAIL_DECODE(t, "Finished");
    if (finished_mac(t, base, mac))
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_EPROTO, "key schedule failed");
    int ok = mote_ct_equal(mac, got.ptr, t->hash_len);
    mote_wipe(mac, sizeof(mac));
    if (!ok)
        return fail(t, MOTE_TLS_ALERT_DECRYPT_ERROR, MOTE_EVERIFY, "Finished MAC mismatch");
    return 0;
}

/* Moves application data written during the handshake to the output. */
static int flush_early(mote_tls *t);

/* The handshake is over (either version, either role): application data
 * flows both ways and what was written early is sent. */
static int go_open(mote_tls *t)
{
    t->hs = ST_DONE;
    t->state = MOTE_TLS_OPEN;
    t->rd_app = 1;
    t->ccs_ok = 0;
    return flush_early(t);
}

static int flush_early(mote_tls *t)
{
    int rc = 0;
    if (t->early_out.len)
        rc = emit(t, CT_APPDATA, t->early_out.data, t->early_out.len);
    mote_buf_free(&t->early_out);
    return rc;
}

/* ---- extensions ------------------------------------------------------------- */

/* Walks an extension block, checking framing and duplicates; calls fn for
 * each. Returns 0 or a failure already reported. */
typedef int (*ext_fn)(mote_tls *t, uint16_t type, mote_slice data, void *arg);

static int walk_exts(mote_tls *t, mote_slice block, const char *msg, ext_fn fn, void *arg,
                     int psk_last)
{
    uint16_t seen[64];
    size_t n_seen = 0;
    mote_reader r;
    mote_reader_init(&r, block.ptr, block.len);
    while (mote_reader_left(&r)) {
        uint16_t type;
        mote_slice data;
        mote_reader_u16(&r, &type);
        mote_reader_vec16(&r, &data);
        if (r.err)
            return FAIL_DECODE(t, msg);
        if (in_list16(seen, n_seen, type))
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                        "duplicate extension %u in %s", type, msg);
        if (n_seen == 64)
            return fail(t, MOTE_TLS_ALERT_DECODE_ERROR, MOTE_EPROTO, "too many extensions");
        seen[n_seen++] = type;
        if (psk_last && type == EXT_PRE_SHARED_KEY && mote_reader_left(&r))
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                        "pre_shared_key is not the last extension");
        int rc = fn(t, type, data, arg);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- client side ------------------------------------------------------------- */

typedef struct sh_info {
    int have_versions;
    uint16_t version;
    int have_ks;
    uint16_t ks_group;
    mote_slice ks;
    int hrr;
    int psk_selected;
    int ems, reneg, reneg_bad, has12, ticket_ext;
    mote_slice sid;
    mote_slice alpn;
    int have_alpn;
} sh_info;

/* A peer's record_size_limit (RFC 8449): 64 or more, else illegal_parameter.
 * The largest plaintext we may send follows (TLS 1.3 counts the content
 * type in the limit). */
static int read_record_size_limit(mote_tls *t, mote_slice data, int tls13)
{
    mote_reader r;
    uint16_t v = 0;
    mote_reader_init(&r, data.ptr, data.len);
    mote_reader_u16(&r, &v);
    if (mote_reader_finish(&r))
        return FAIL_DECODE(t, "record_size_limit");
    if (v < 64)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO, "record_size_limit %u", v);
    size_t max = tls13 ? v - 1u : v;
    t->send_max = max < TLS_MAX_PLAIN ? max : TLS_MAX_PLAIN;
    t->peer_rsl = v;
    return 0;
}

static int sh_ext(mote_tls *t, uint16_t type, mote_slice data, void *arg)
{
    sh_info *s = arg;
    mote_reader r;
    mote_reader_init(&r, data.ptr, data.len);
    switch (type) {
    case EXT_SUPPORTED_VERSIONS:
        mote_reader_u16(&r, &s->version);
        if (mote_reader_finish(&r))
            return FAIL_DECODE(t, "supported_versions");
        s->have_versions = 1;
        return 0;
    case EXT_KEY_SHARE:
        mote_reader_u16(&r, &s->ks_group);
        if (!s->hrr)
            mote_reader_vec16(&r, &s->ks);
        if (mote_reader_finish(&r) || (!s->hrr && s->ks.len == 0))
            return FAIL_DECODE(t, "key_share");
        s->have_ks = 1;
        return 0;
    case EXT_PRE_SHARED_KEY: {
        uint16_t sel;
        if (!t->offer_psk || s->hrr)
            break;
        mote_reader_u16(&r, &sel);
        if (mote_reader_finish(&r))
            return FAIL_DECODE(t, "pre_shared_key");
        if (sel != 0)
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                        "server selected PSK identity %u", sel);
        s->psk_selected = 1;
        return 0;
    }
    case EXT_COOKIE:
        if (!s->hrr)
            break;
        {
            mote_slice c;
            mote_reader_vec16(&r, &c);
            if (mote_reader_finish(&r) || c.len == 0)
                return FAIL_DECODE(t, "cookie");
            mote_buf_reset(&t->cookie);
            if (mote_buf_append(&t->cookie, c.ptr, c.len))
                return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_ENOMEM, "out of memory");
        }
        return 0;
    /* TLS 1.2 ServerHello extensions (refused later in a 1.3 one). */
    case EXT_EMS:
        if (data.len)
            return FAIL_DECODE(t, "extended_master_secret");
        s->ems = s->has12 = 1;
        return 0;
    case EXT_RENEGOTIATION_INFO:
        s->reneg = s->has12 = 1;
        s->reneg_bad = !(data.len == 1 && data.ptr[0] == 0);
        return 0;
    case EXT_EC_POINT_FORMATS:
    case EXT_SERVER_NAME:
        s->has12 = 1;
        return 0;
    case EXT_SESSION_TICKET:
        if (data.len)
            return FAIL_DECODE(t, "session_ticket");
        s->has12 = s->ticket_ext = 1;
        return 0;
    case EXT_RECORD_SIZE_LIMIT: /* in a TLS 1.2 ServerHello (RFC 8449) */
        if (read_record_size_limit(t, data, 0))
            return t->err;
        s->has12 = 1;
        t->rsl_agreed = 1; /* our limit holds for the server's records */
        return 0;
    case EXT_ALPN:
        if (!t->cfg->n_alpn)
            break;
        s->has12 = 1;
        s->alpn = data;
        s->have_alpn = 1;
        return 0;
    default:
        break;
    }
    return fail(t, MOTE_TLS_ALERT_UNSUPPORTED_EXTENSION, MOTE_EPROTO,
                "ServerHello carries extension %u that was not offered", type);
}

/* ---- TLS 1.2 (RFC 5246, RFC 7627, RFC 5746) ---------------------------------- */

/* The TLS 1.2 PRF: P_hash(secret, label || seed). */
static int prf12(mote_crypto_hash_id h, const uint8_t *secret, size_t slen, const char *label,
                 const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    uint8_t ls[160], a[MOTE_CRYPTO_HASH_MAX_LEN], blk[MOTE_CRYPTO_HASH_MAX_LEN];
    size_t ll = strlen(label), hl = mote_crypto_hash_len(h);
    if (ll + seed_len > sizeof(ls))
        return MOTE_EINVAL;
    memcpy(ls, label, ll);
    memcpy(ls + ll, seed, seed_len);
    int rc = mote_crypto_hmac(h, secret, slen, ls, ll + seed_len, a); /* A(1) */
    while (!rc && out_len) {
        mote_crypto_hmac_ctx c;
        rc = mote_crypto_hmac_init(&c, h, secret, slen);
        if (rc)
            break;
        mote_crypto_hmac_update(&c, a, hl);
        mote_crypto_hmac_update(&c, ls, ll + seed_len);
        mote_crypto_hmac_final(&c, blk);
        size_t n = out_len < hl ? out_len : hl;
        memcpy(out, blk, n);
        out += n;
        out_len -= n;
        rc = mote_crypto_hmac(h, secret, slen, a, hl, a);
    }
    mote_wipe(a, sizeof(a));
    mote_wipe(blk, sizeof(blk));
    return rc;
}

int tls_prf12(mote_crypto_hash_id h, const uint8_t *secret, size_t slen, const char *label,
              const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    return prf12(h, secret, slen, label, seed, seed_len, out, out_len);
}

/* Extended master secret and key block from the premaster secret and the
 * session hash (the transcript through ClientKeyExchange). */
static int keys12(mote_tls *t, const uint8_t *pms, size_t pms_len)
{
    uint8_t sh[MOTE_CRYPTO_HASH_MAX_LEN], seed[64];
    transcript_hash(t, sh);
    int rc = prf12(t->hash, pms, pms_len, "extended master secret", sh, t->hash_len, t->master, 48);
    memcpy(seed, t->srandom, 32);
    memcpy(seed + 32, t->crandom, 32);
    t->kb_key = mote_crypto_aead_key_len(t->aead_id);
    t->kb_iv = t->aead_id == MOTE_CRYPTO_AEAD_CHACHA20_POLY1305 ? 12 : 4;
    if (!rc)
        rc = prf12(t->hash, t->master, 48, "key expansion", seed, 64, t->kb,
                   2 * (t->kb_key + t->kb_iv));
    return rc;
}

/* The key block from a master secret kept from an earlier session. */
static int keyblock12(mote_tls *t)
{
    uint8_t seed[64];
    memcpy(seed, t->srandom, 32);
    memcpy(seed + 32, t->crandom, 32);
    t->kb_key = mote_crypto_aead_key_len(t->aead_id);
    t->kb_iv = t->aead_id == MOTE_CRYPTO_AEAD_CHACHA20_POLY1305 ? 12 : 4;
    return prf12(t->hash, t->master, 48, "key expansion", seed, 64, t->kb,
                 2 * (t->kb_key + t->kb_iv));
}

/* Installs the client's (which = 0) or server's (1) keys in a direction. */
static int set12_keys(mote_tls *t, tls_dir *d, int which)
{
    const uint8_t *key = t->kb + (size_t)which * t->kb_key;
    const uint8_t *iv = t->kb + 2 * t->kb_key + (size_t)which * t->kb_iv;
    int rc = 0;
    mote_crypto_aead_free(d->aead);
    d->aead = mote_crypto_aead_new(t->aead_id, key, t->kb_key, &rc);
    if (!d->aead)
        return rc;
    memset(d->iv, 0, 12);
    memcpy(d->iv, iv, t->kb_iv);
    d->seq = 0;
    return 0;
}

/* verify_data of a Finished: the transcript hash in th. */
static int finished12(mote_tls *t, int from_server, const uint8_t *th, uint8_t out[12])
{
    return prf12(t->hash, t->master, 48, from_server ? "server finished" : "client finished", th,
                 t->hash_len, out, 12);
}

static int send_finished12(mote_tls *t)
{
    uint8_t th[MOTE_CRYPTO_HASH_MAX_LEN], vd[12];
    transcript_hash(t, th);
    int rc = finished12(t, t->server, th, vd);
    if (!rc) {
        static const uint8_t one = 1;
        rc = emit_plain(t, CT_CCS, 0x0303, &one, 1);
    }
    if (!rc)
        rc = set12_keys(t, &t->wr, t->server);
    if (!rc)
        rc = send_hs(t, HS_FINISHED, vd, 12);
    return rc;
}

static int recv_finished12(mote_tls *t, mote_reader *r)
{
    uint8_t want[12];
    mote_slice got;
    if (mote_reader_bytes(r, 12, &got) || mote_reader_finish(r))
        return FAIL_DECODE(t, "Finished");
    uint8_t th[MOTE_CRYPTO_HASH_MAX_LEN];
    mote_crypto_hash_ctx c = t->th; /* everything before the peer's Finished */
    mote_crypto_hash_final(&c, th);
    if (finished12(t, !t->server, th, want))
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_EPROTO, "PRF failed");
    if (!mote_ct_equal(want, got.ptr, 12))
        return fail(t, MOTE_TLS_ALERT_DECRYPT_ERROR, MOTE_EVERIFY, "Finished MAC mismatch");
    return 0;
}

/* 1 if the protocol name p is in list, an ALPN ProtocolNameList's content
 * (names with 8-bit lengths). */
static int alpn_listed(mote_slice list, mote_slice p)
{
    mote_reader r;
    mote_reader_init(&r, list.ptr, list.len);
    while (mote_reader_left(&r)) {
        mote_slice o;
        mote_reader_vec8(&r, &o);
        if (o.len == p.len && memcmp(o.ptr, p.ptr, p.len) == 0)
            return 1;
    }
    return 0;
}

/* Records p (at most 255 bytes, from a vec8) as the negotiated protocol. */
static void alpn_take(mote_tls *t, mote_slice p)
{
    memcpy(t->alpn, p.ptr, p.len);
    t->alpn[p.len] = 0;
    t->have_alpn = 1;
}

/* Checks the ALPN extension a server sent: one protocol, one we offered. */
static int check_alpn(mote_tls *t, mote_slice data)
{
    mote_reader r, lr;
    mote_slice l, p;
    mote_reader_init(&r, data.ptr, data.len);
    mote_reader_vec16(&r, &l);
    if (mote_reader_finish(&r))
        return FAIL_DECODE(t, "ALPN");
    mote_reader_init(&lr, l.ptr, l.len);
    mote_reader_vec8(&lr, &p);
    if (mote_reader_finish(&lr) || p.len == 0)
        return FAIL_DECODE(t, "ALPN");
    if (alpn_listed(mote_buf_slice(&t->cfg->alpn_wire), p)) {
        alpn_take(t, p);
        return 0;
    }
    return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                "server chose an ALPN protocol not offered");
}

/* The client's view of a TLS 1.2 ServerHello. */
static int client12_server_hello(mote_tls *t, const sh_info *s, uint16_t suite, uint8_t comp,
                                 mote_slice random, const uint8_t *raw, size_t raw_len)
{
    const mote_tls_config *cfg = t->cfg;
    if (cfg->max_version >= MOTE_TLS_VERSION_13 && memcmp(random.ptr + 24, "DOWNGRD\x01", 8) == 0)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "TLS 1.3 downgrade sentinel in a TLS 1.2 ServerHello");
    if (!tls_suite12_auth(suite) || !in_list16(cfg->suites, cfg->n_suites, suite))
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "server chose cipher suite 0x%04x", suite);
    if (comp != 0)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO, "compression selected");
    if (s->have_ks || s->psk_selected)
        return fail(t, MOTE_TLS_ALERT_UNSUPPORTED_EXTENSION, MOTE_EPROTO,
                    "TLS 1.3 extension in a TLS 1.2 ServerHello");
    if (!s->reneg || s->reneg_bad)
        return fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                    "server lacks secure renegotiation (RFC 5746)");
    if (!s->ems)
        return fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                    "server lacks extended_master_secret (RFC 7627), which mote requires");
    if (s->have_alpn) {
        int rc = check_alpn(t, s->alpn);
        if (rc)
            return rc;
    }
    t->v12 = 1;
    t->version = MOTE_TLS_VERSION_12;
    t->suite = suite;
    suite_params(suite, &t->hash, &t->aead_id);
    t->hash_len = mote_crypto_hash_len(t->hash);
    memcpy(t->srandom, random.ptr, 32);
    t->offer_psk = 0;
    t->ccs_ok = 0;
    t->nst12 = s->ticket_ext;
    transcript_start(t, 0);
    transcript_add(t, raw, raw_len);
    if (t->offer12 && s->sid.len == t->sid_len &&
        memcmp(s->sid.ptr, t->session_id, t->sid_len) == 0) {
        /* RFC 5077 3.4: the echoed session id means the ticket was taken;
         * an abbreviated handshake follows (server CCS + Finished first). */
        if (suite != t->psk_suite)
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                        "resumed session with another cipher suite");
        if (keyblock12(t))
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_EPROTO, "PRF failed");
        t->resumed = 1;
        t->ccs12 = 1;
        t->hs = ST_C12_WAIT_FIN;
        return 0;
    }
    mote_wipe(t->master, sizeof(t->master));
    t->hs = ST_C12_WAIT_CERT;
    return 0;
}

/* TLS 1.2 Certificate: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>. */
static int recv_certificate12(mote_tls *t, mote_reader *r)
{
    mote_slice list;
    mote_reader_vec24(r, &list);
    if (mote_reader_finish(r))
        return FAIL_DECODE(t, "Certificate");
    /* Re-frame as TLS 1.3 entries (empty extensions) for the common code. */
    mote_buf b;
    mote_buf_init(&b, TLS_MAX_HS_MSG + 64);
    wb w = {&b, 0};
    w_u8(&w, 0);
    size_t l = w_open(&w, 3);
    mote_reader lr;
    mote_reader_init(&lr, list.ptr, list.len);
    while (mote_reader_left(&lr)) {
        mote_slice c;
        mote_reader_vec24(&lr, &c);
        if (lr.err || c.len == 0) {
            mote_buf_free(&b);
            return FAIL_DECODE(t, "ASN.1Cert");
        }
        size_t e = w_open(&w, 3);
        w_bytes(&w, c.ptr, c.len);
        w_close(&w, e, 3);
        w_u16(&w, 0);
    }
    w_close(&w, l, 3);
    int rc;
    if (w.err) {
        rc = fail(t, MOTE_TLS_ALERT_DECODE_ERROR, MOTE_ELIMIT, "certificate list too long");
    } else {
        mote_reader rr;
        mote_reader_init(&rr, b.data, b.len);
        rc = recv_certificate(t, &rr);
    }
    mote_buf_free(&b);
    return rc;
}

static int client12_recv_ske(mote_tls *t, mote_reader *r)
{
    uint8_t ctype;
    uint16_t group, scheme;
    mote_slice point, sig;
    size_t start = r->off;
    mote_reader_u8(r, &ctype);
    mote_reader_u16(r, &group);
    mote_reader_vec8(r, &point);
    size_t params_len = r->off - start;
    const uint8_t *params = r->ptr + start;
    mote_reader_u16(r, &scheme);
    mote_reader_vec16(r, &sig);
    if (mote_reader_finish(r) || point.len == 0)
        return FAIL_DECODE(t, "ServerKeyExchange");
    if (ctype != 3 || group == MOTE_CRYPTO_GROUP_X25519MLKEM768 ||
        !in_list16(t->cfg->groups, t->cfg->n_groups, group))
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "ServerKeyExchange with group 0x%04x", group);
    if (!in_list16(t->cfg->sigalgs, t->cfg->n_sigalgs, scheme))
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "ServerKeyExchange signed with 0x%04x, not offered", scheme);
    mote_crypto_pubkey *pk = peer_pubkey(t);
    if (!pk)
        return t->err;
    mote_crypto_key_type kt = mote_crypto_pubkey_type(pk);
    int auth = tls_suite12_auth(t->suite);
    if (auth == 2 ? kt != MOTE_CRYPTO_KEY_RSA : kt == MOTE_CRYPTO_KEY_RSA) {
        mote_crypto_pubkey_free(pk);
        return fail(t, MOTE_TLS_ALERT_UNSUPPORTED_CERTIFICATE, MOTE_EVERIFY,
                    "certificate key does not fit the cipher suite");
    }
    /* Signed: client random, server random, the ECDH parameters. */
    uint8_t *content = malloc(64 + params_len);
    if (!content) {
        mote_crypto_pubkey_free(pk);
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_ENOMEM, "out of memory");
    }
    memcpy(content, t->crandom, 32);
    memcpy(content + 32, t->srandom, 32);
    memcpy(content + 64, params, params_len);
    int rc = check_peer_sig(t, pk, tls12_sigalg_fits_key(scheme, kt), scheme, content,
                            64 + params_len, sig, "ServerKeyExchange");
    free(content);
    if (rc)
        return rc;
    t->sigalg = scheme;
    t->group = group;
    mote_crypto_kx_free(t->kx);
    t->kx = mote_crypto_kx_new((mote_crypto_group)group, t->cfg->rng, &rc);
    if (!t->kx)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "key generation failed");
    /* Keep the server's point for the ClientKeyExchange step. */
    mote_buf_reset(&t->cookie);
    if (mote_buf_append(&t->cookie, point.ptr, point.len))
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_ENOMEM, "out of memory");
    return 0;
}

static int client12_finish_flight(mote_tls *t)
{
    uint8_t pms[MOTE_CRYPTO_KX_SECRET_MAX];
    size_t pms_len = 0;
    int rc = mote_crypto_kx_finish(t->kx, t->cookie.data, t->cookie.len, pms, &pms_len);
    if (rc)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO, "bad server key share");
    const tls_cert_entry *mine = NULL;
    uint16_t scheme = 0;
    if (t->cert_requested) {
        /* Our first certificate with a scheme the server takes, or none. */
        for (size_t i = 0; i < t->cfg->n_certs && !mine; i++)
            for (size_t k = 0; k < t->cfg->n_sigalgs && !mine; k++)
                if (tls12_sigalg_fits_key(t->cfg->sigalgs[k], t->cfg->certs[i].key_type) &&
                    in_list16(t->cr_sigalgs, t->n_cr_sigalgs, t->cfg->sigalgs[k])) {
                    mine = &t->cfg->certs[i];
                    scheme = t->cfg->sigalgs[k];
                }
        mote_buf cb;
        mote_buf_init(&cb, 0);
        wb w = {&cb, 0};
        size_t l = w_open(&w, 3);
        for (size_t i = 0; mine && i < mine->n_chain; i++) {
            size_t d = w_open(&w, 3);
            w_bytes(&w, mine->chain[i].data, mine->chain[i].len);
            w_close(&w, d, 3);
        }
        w_close(&w, l, 3);
        rc = w.err;
        if (!rc)
            rc = send_hs(t, HS_CERTIFICATE, cb.data, cb.len);
        mote_buf_free(&cb);
    }
    mote_slice share = mote_crypto_kx_share(t->kx);
    uint8_t cke[1 + 255];
    cke[0] = (uint8_t)share.len;
    memcpy(cke + 1, share.ptr, share.len);
    if (!rc)
        rc = send_hs(t, 16 /* client_key_exchange */, cke, 1 + share.len);
    if (!rc)
        rc = keys12(t, pms, pms_len);
    mote_wipe(pms, sizeof(pms));
    mote_crypto_kx_free(t->kx);
    t->kx = NULL;
    if (!rc && mine) {
        uint8_t cv[4 + MOTE_CRYPTO_SIG_MAX_LEN];
        size_t sig_len = 0;
        rc = mote_crypto_sign(mine->key, (mote_crypto_sig_alg)scheme, t->cfg->rng, t->hs_raw.data,
                              t->hs_raw.len, cv + 4, MOTE_CRYPTO_SIG_MAX_LEN, &sig_len, 0);
        mote_store_be16(cv, scheme);
        mote_store_be16(cv + 2, (uint16_t)sig_len);
        if (!rc)
            rc = send_hs(t, HS_CERTIFICATE_VERIFY, cv, 4 + sig_len);
    }
    if (!rc)
        rc = send_finished12(t);
    if (rc)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "cannot write client flight");
    t->ccs12 = 1;
    t->hs = ST_C12_WAIT_FIN;
    return 0;
}

static int client12_handle(mote_tls *t, uint8_t type, mote_reader *r, const uint8_t *raw,
                           size_t raw_len)
{
    int rc;
    switch (t->hs) {
    case ST_C12_WAIT_CERT:
        if (type != HS_CERTIFICATE)
            break;
        rc = recv_certificate12(t, r);
        if (rc)
            return rc;
        transcript_add(t, raw, raw_len);
        t->hs = ST_C12_WAIT_SKE;
        return 0;
    case ST_C12_WAIT_SKE:
        if (type != 12 /* server_key_exchange */)
            break;
        rc = client12_recv_ske(t, r);
        if (rc)
            return rc;
        transcript_add(t, raw, raw_len);
        t->hs = ST_C12_WAIT_SHD;
        return 0;
    case ST_C12_WAIT_SHD:
        if (type == HS_CERTIFICATE_REQUEST && !t->cert_requested) {
            mote_slice types, algs, cas;
            mote_reader_vec8(r, &types);
            mote_reader_vec16(r, &algs);
            mote_reader_vec16(r, &cas);
            if (mote_reader_finish(r) || types.len == 0 || algs.len % 2)
                return FAIL_DECODE(t, "CertificateRequest");
            t->n_cr_sigalgs = 0;
            for (size_t i = 0; i + 1 < algs.len && t->n_cr_sigalgs < 32; i += 2)
                t->cr_sigalgs[t->n_cr_sigalgs++] = mote_load_be16(algs.ptr + i);
            t->cert_requested = 1;
            transcript_add(t, raw, raw_len);
            return 0;
        }
        if (type != 14 /* server_hello_done */)
            break;
        if (mote_reader_finish(r))
            return FAIL_DECODE(t, "ServerHelloDone");
        transcript_add(t, raw, raw_len);
        if (t->hs_in.len)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "data after ServerHelloDone");
        return client12_finish_flight(t);
    case ST_C12_WAIT_FIN:
        if (type == HS_NEW_SESSION_TICKET && t->ccs12 && t->nst12) {
            uint32_t lifetime;
            mote_slice ticket;
            mote_reader_u32(r, &lifetime);
            mote_reader_vec16(r, &ticket);
            if (mote_reader_finish(r))
                return FAIL_DECODE(t, "NewSessionTicket");
            t->nst12 = 0;
            transcript_add(t, raw, raw_len);
            if (ticket.len == 0)
                return 0;
            if (lifetime == 0 || lifetime > 604800)
                lifetime = 7200;
            mote_buf_reset(&t->session);
            wb w = {&t->session, 0};
            w_u8(&w, 2);
            w_u16(&w, t->suite);
            w_bytes(&w, t->master, 48);
            w_u16(&w, (uint16_t)(lifetime >> 16));
            w_u16(&w, (uint16_t)lifetime);
            uint8_t ms[8];
            mote_store_be64(ms, (uint64_t)wall_ms(t->cfg));
            w_bytes(&w, ms, 8);
            size_t v = w_open(&w, 2);
            w_bytes(&w, ticket.ptr, ticket.len);
            w_close(&w, v, 2);
            t->have_session = w.err == 0;
            return 0;
        }
        if (type != HS_FINISHED || t->ccs12)
            break;
        rc = recv_finished12(t, r);
        if (rc)
            return rc;
        if (t->resumed) {
            transcript_add(t, raw, raw_len);
            rc = send_finished12(t);
            if (rc)
                return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "cannot write Finished");
        }
        return go_open(t);
    default:
        break;
    }
    return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                "unexpected TLS 1.2 handshake message %u", type);
}

static int client_recv_server_hello(mote_tls *t, mote_reader *r, const uint8_t *raw, size_t raw_len)
{
    uint16_t legacy, suite;
    mote_slice random, sid, exts = {0};
    uint8_t comp;
    mote_reader_u16(r, &legacy);
    mote_reader_bytes(r, 32, &random);
    mote_reader_vec8(r, &sid);
    mote_reader_u16(r, &suite);
    mote_reader_u8(r, &comp);
    if (mote_reader_left(r))
        mote_reader_vec16(r, &exts);
    if (mote_reader_finish(r) || sid.len > 32)
        return FAIL_DECODE(t, "ServerHello");
    sh_info s;
    memset(&s, 0, sizeof(s));
    s.sid = sid;
    s.hrr = memcmp(random.ptr, hrr_random, 32) == 0;
    int rc = walk_exts(t, exts, "ServerHello", sh_ext, &s, 0);
    if (rc)
        return rc;
    if (!s.have_versions) {
        /* A TLS 1.2 (or older) server. */
        if (legacy == MOTE_TLS_VERSION_12 && !s.hrr && !t->hrr &&
            t->cfg->min_version <= MOTE_TLS_VERSION_12)
            return client12_server_hello(t, &s, suite, comp, random, raw, raw_len);
        if (memcmp(random.ptr + 24, "DOWNGRD", 7) == 0 &&
            (random.ptr[31] == 0 || random.ptr[31] == 1))
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                        "downgrade sentinel in ServerHello");
        return fail(t, MOTE_TLS_ALERT_PROTOCOL_VERSION, MOTE_EUNSUPPORTED,
                    "server offers only TLS 0x%04x", legacy);
    }
    if (s.has12)
        return fail(t, MOTE_TLS_ALERT_UNSUPPORTED_EXTENSION, MOTE_EPROTO,
                    "TLS 1.2 extension in a TLS 1.3 ServerHello");
    if (s.version != MOTE_TLS_VERSION_13 || legacy != 0x0303)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "server selected version 0x%04x", s.version);
    if (sid.len != t->sid_len || memcmp(sid.ptr, t->session_id, sid.len) != 0)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "legacy_session_id_echo mismatch");
    if (!tls_suite_is13(suite) || !in_list16(t->cfg->suites, t->cfg->n_suites, suite) ||
        (t->hrr && suite != t->suite))
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "server chose cipher suite 0x%04x", suite);
    if (comp != 0)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO, "compression selected");
    if (!s.have_ks)
        return fail(t, MOTE_TLS_ALERT_MISSING_EXTENSION, MOTE_EPROTO, "no key_share");
    t->version = MOTE_TLS_VERSION_13;
    t->suite = suite;
    suite_params(suite, &t->hash, &t->aead_id);
    t->hash_len = mote_crypto_hash_len(t->hash);

    if (s.hrr) {
        if (t->hrr)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "second HelloRetryRequest");
        if (!in_list16(t->cfg->groups, t->cfg->n_groups, s.ks_group) || s.ks_group == t->kx_group)
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                        "HelloRetryRequest asks for group 0x%04x", s.ks_group);
        t->hrr = 1;
        transcript_start(t, 1);
        transcript_add(t, raw, raw_len);
        mote_crypto_kx_free(t->kx);
        t->kx = NULL;
        t->kx_group = s.ks_group;
        rc = emit_ccs(t);
        if (!rc)
            rc = send_client_hello(t);
        if (rc)
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "cannot write ClientHello");
        return 0;
    }
    if (s.ks_group != t->kx_group)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "key_share for a group not offered");
    if (s.psk_selected) {
        mote_crypto_hash_id ph;
        mote_crypto_aead_id pa;
        if (suite_params(t->psk_suite, &ph, &pa) || ph != t->hash)
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                        "PSK accepted with a suite of another hash");
        t->resumed = 1;
    }
    if (!t->th_ready)
        transcript_start(t, 0);
    transcript_add(t, raw, raw_len);
    uint8_t shared[MOTE_CRYPTO_KX_SECRET_MAX];
    size_t shared_len = 0;
    rc = mote_crypto_kx_finish(t->kx, s.ks.ptr, s.ks.len, shared, &shared_len);
    mote_crypto_kx_free(t->kx);
    t->kx = NULL;
    if (rc)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO, "bad server key share");
    t->group = s.ks_group;
    rc = derive_handshake_secrets(t, shared, shared_len);
    mote_wipe(shared, sizeof(shared));
    if (!rc)
        rc = set_dir_keys(t, &t->rd, t->s_hs);
    if (!rc)
        rc = set_dir_keys(t, &t->wr, t->c_hs);
    if (rc)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "key schedule failed");
    if (t->hs_in.len)
        return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                    "handshake data across a key change");
    t->hs = ST_C_WAIT_EE;
    return 0;
}

static int ee_ext(mote_tls *t, uint16_t type, mote_slice data, void *arg)
{
    (void)arg;
    mote_reader r;
    mote_reader_init(&r, data.ptr, data.len);
    switch (type) {
    case EXT_SERVER_NAME:
        if (data.len != 0)
            return FAIL_DECODE(t, "server_name");
        if (!t->sni)
            break;
        t->sni_acked = 1;
        return 0;
    case EXT_SUPPORTED_GROUPS: {
        mote_slice l;
        mote_reader_vec16(&r, &l);
        if (mote_reader_finish(&r) || l.len == 0 || l.len % 2)
            return FAIL_DECODE(t, "supported_groups");
        return 0;
    }
    case EXT_ALPN:
        if (!t->cfg->n_alpn)
            break;
        return check_alpn(t, data); /* one name, one we offered */
    case EXT_RECORD_SIZE_LIMIT:
        if (read_record_size_limit(t, data, 1))
            return t->err;
        t->rsl_agreed = 1;
        return 0;
    case EXT_SUPPORTED_VERSIONS:
    case EXT_KEY_SHARE:
    case EXT_SIGNATURE_ALGORITHMS:
    case EXT_PRE_SHARED_KEY:
    case EXT_PSK_MODES:
    case EXT_COOKIE:
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                    "extension %u not allowed in EncryptedExtensions", type);
    default:
        break;
    }
    return fail(t, MOTE_TLS_ALERT_UNSUPPORTED_EXTENSION, MOTE_EPROTO,
                "EncryptedExtensions carries extension %u that was not offered", type);
}

/* Reads a signature_algorithms_cert extension body into
 * peer_cert_sigalgs: a non-empty, even-length list and nothing after it. */
static int read_cert_sigalgs(mote_tls *t, mote_slice data)
{
    mote_reader r;
    mote_slice l;
    mote_reader_init(&r, data.ptr, data.len);
    mote_reader_vec16(&r, &l);
    if (mote_reader_finish(&r) || l.len == 0 || l.len % 2)
        return FAIL_DECODE(t, "signature_algorithms_cert");
    t->n_peer_cert_sigalgs = 0;
    for (size_t i = 0; i < l.len && t->n_peer_cert_sigalgs < 32; i += 2)
        t->peer_cert_sigalgs[t->n_peer_cert_sigalgs++] = mote_load_be16(l.ptr + i);
    t->have_peer_cert_sigalgs = 1;
    return 0;
}

/* 1 if our certificate's chain is signed only with schemes the peer
 * accepts: its signature_algorithms_cert, else its signature_algorithms
 * (RFC 8446 4.2.3). */
static int chain_fits_peer(const mote_tls *t, const tls_cert_entry *c, const uint16_t *sigalgs,
                           size_t n_sigalgs)
{
    if (t->have_peer_cert_sigalgs)
        return tls_chain_sigs_fit(c, t->peer_cert_sigalgs, t->n_peer_cert_sigalgs);
    return tls_chain_sigs_fit(c, sigalgs, n_sigalgs);
}

static int cr_ext(mote_tls *t, uint16_t type, mote_slice data, void *arg)
{
    (void)arg;
    if (type == EXT_SIGNATURE_ALGORITHMS) {
        mote_reader r;
        mote_slice l;
        mote_reader_init(&r, data.ptr, data.len);
        mote_reader_vec16(&r, &l);
        if (mote_reader_finish(&r) || l.len == 0 || l.len % 2)
            return FAIL_DECODE(t, "signature_algorithms");
        t->n_cr_sigalgs = 0;
        for (size_t i = 0; i + 1 < l.len; i += 2)
            if (t->n_cr_sigalgs < 32)
                t->cr_sigalgs[t->n_cr_sigalgs++] = mote_load_be16(l.ptr + i);
    } else if (type == EXT_SIG_ALGS_CERT) {
        return read_cert_sigalgs(t, data);
    }
    return 0; /* other extensions in CertificateRequest are ignored */
}

static int client_send_second_flight(mote_tls *t)
{
    int rc = emit_ccs(t);
    if (!rc && t->cert_requested) {
        /* A certificate whose key can sign a scheme the server listed,
         * preferring one whose chain fits its signature_algorithms_cert. */
        const tls_cert_entry *c = NULL;
        uint16_t scheme = 0;
        for (int pass = 0; pass < 2 && !c; pass++)
            for (size_t i = 0; i < t->cfg->n_certs && !c; i++) {
                const tls_cert_entry *e = &t->cfg->certs[i];
                if (pass == 0 && !chain_fits_peer(t, e, t->cr_sigalgs, t->n_cr_sigalgs))
                    continue;
                scheme = pick_sigalg(t, e, t->cr_sigalgs, t->n_cr_sigalgs);
                if (scheme)
                    c = e;
            }
        rc = send_certificate(t, c);
        if (!rc && c)
            rc = send_certificate_verify(t, c, scheme);
    }
    if (!rc)
        rc = send_finished(t);
    if (!rc) {
        uint8_t th[MOTE_CRYPTO_HASH_MAX_LEN];
        transcript_hash(t, th);
        rc = ds(t->hash, t->master, "res master", th, t->res_master);
    }
    if (!rc)
        rc = set_dir_keys(t, &t->wr, t->c_ap);
    if (rc)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "cannot write client Finished");
    return go_open(t);
}

static int client_handle(mote_tls *t, uint8_t type, mote_reader *r, const uint8_t *raw,
                         size_t raw_len)
{
    int rc;
    if (t->v12)
        return client12_handle(t, type, r, raw, raw_len);
    switch (t->hs) {
    case ST_C_WAIT_SH:
        if (type != HS_SERVER_HELLO)
            break;
        return client_recv_server_hello(t, r, raw, raw_len);
    case ST_C_WAIT_EE: {
        if (type != HS_ENCRYPTED_EXTENSIONS)
            break;
        mote_slice exts;
        mote_reader_vec16(r, &exts);
        if (mote_reader_finish(r))
            return FAIL_DECODE(t, "EncryptedExtensions");
        rc = walk_exts(t, exts, "EncryptedExtensions", ee_ext, NULL, 0);
        if (rc)
            return rc;
        if (t->cfg->n_alpn && !t->have_alpn)
            mote_logf(t->cfg->log, MOTE_LOG_DEBUG, "tls", "server chose no ALPN protocol");
        transcript_add(t, raw, raw_len);
        t->hs = t->resumed ? ST_C_WAIT_FIN : ST_C_WAIT_CERT_CR;
        return 0;
    }
    case ST_C_WAIT_CERT_CR:
        if (type == HS_CERTIFICATE_REQUEST) {
            mote_slice ctx, exts;
            mote_reader_vec8(r, &ctx);
            mote_reader_vec16(r, &exts);
            if (mote_reader_finish(r))
                return FAIL_DECODE(t, "CertificateRequest");
            if (ctx.len != 0)
                return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                            "CertificateRequest context in the handshake");
            t->n_cr_sigalgs = 0;
            t->have_peer_cert_sigalgs = 0;
            rc = walk_exts(t, exts, "CertificateRequest", cr_ext, NULL, 0);
            if (rc)
                return rc;
            if (t->n_cr_sigalgs == 0)
                return fail(t, MOTE_TLS_ALERT_MISSING_EXTENSION, MOTE_EPROTO,
                            "CertificateRequest without signature_algorithms");
            t->cert_requested = 1;
            transcript_add(t, raw, raw_len);
            t->hs = ST_C_WAIT_CERT;
            return 0;
        }
        /* fall through */
    case ST_C_WAIT_CERT:
        if (type != HS_CERTIFICATE)
            break;
        return recv_peer_auth13(t, type, r, raw, raw_len, ST_C_WAIT_CV);
    case ST_C_WAIT_CV:
        if (type != HS_CERTIFICATE_VERIFY)
            break;
        return recv_peer_auth13(t, type, r, raw, raw_len, ST_C_WAIT_FIN);
    case ST_C_WAIT_FIN:
        if (type != HS_FINISHED)
            break;
        rc = recv_finished(t, r, t->s_hs);
        if (rc)
            return rc;
        transcript_add(t, raw, raw_len);
        rc = derive_app_secrets(t);
        if (!rc)
            rc = set_dir_keys(t, &t->rd, t->s_ap);
        if (rc)
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "key schedule failed");
        t->rd_app = 1;
        if (t->hs_in.len)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "handshake data across a key change");
        return client_send_second_flight(t);
    default:
        break;
    }
    return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                "unexpected handshake message %u", type);
}

/* ---- server side ------------------------------------------------------------- */

typedef struct ch_info {
    uint16_t suites[64];
    size_t n_suites;
    int have_versions, v13, v12;
    int ems, reneg, reneg_bad;
    int ticket_ext;
    mote_slice ticket12, sid;
    int have_groups;
    uint16_t groups[64];
    size_t n_groups;
    int have_ks;
    uint16_t ks_groups[16];
    mote_slice ks[16];
    size_t n_ks;
    int have_sigalgs;
    int have_alpn;
    mote_slice alpn;
    int have_sni;
    char sni[256];
    int psk;
    int psk_dhe;
    mote_slice psk_ticket;
    uint32_t psk_age;
    mote_slice psk_binder;
    const uint8_t *binders_at; /* the binders vector (its length bytes) */
} ch_info;

static int ch_ext(mote_tls *t, uint16_t type, mote_slice data, void *arg)
{
    ch_info *c = arg;
    mote_reader r;
    mote_slice l;
    mote_reader_init(&r, data.ptr, data.len);
    switch (type) {
    case EXT_SUPPORTED_VERSIONS:
        mote_reader_vec8(&r, &l);
        if (mote_reader_finish(&r) || l.len < 2 || l.len % 2)
            return FAIL_DECODE(t, "supported_versions");
        c->have_versions = 1;
        for (size_t i = 0; i < l.len; i += 2)
            if (mote_load_be16(l.ptr + i) == MOTE_TLS_VERSION_13)
                c->v13 = 1;
            else if (mote_load_be16(l.ptr + i) == MOTE_TLS_VERSION_12)
                c->v12 = 1;
        return 0;
    case EXT_SUPPORTED_GROUPS:
        mote_reader_vec16(&r, &l);
        if (mote_reader_finish(&r) || l.len < 2 || l.len % 2)
            return FAIL_DECODE(t, "supported_groups");
        c->have_groups = 1;
        for (size_t i = 0; i < l.len && c->n_groups < 64; i += 2)
            c->groups[c->n_groups++] = mote_load_be16(l.ptr + i);
        return 0;
    case EXT_KEY_SHARE: {
        mote_reader_vec16(&r, &l);
        if (mote_reader_finish(&r))
            return FAIL_DECODE(t, "key_share");
        mote_reader kr;
        mote_reader_init(&kr, l.ptr, l.len);
        c->have_ks = 1;
        while (mote_reader_left(&kr)) {
            uint16_t g;
            mote_slice s;
            mote_reader_u16(&kr, &g);
            mote_reader_vec16(&kr, &s);
            if (kr.err || s.len == 0)
                return FAIL_DECODE(t, "KeyShareEntry");
            if (in_list16(c->ks_groups, c->n_ks, g))
                return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                            "two key shares for one group");
            if (c->n_ks == 16)
                return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                            "too many key shares");
            c->ks_groups[c->n_ks] = g;
            c->ks[c->n_ks++] = s;
        }
        return 0;
    }
    case EXT_SIGNATURE_ALGORITHMS:
        mote_reader_vec16(&r, &l);
        if (mote_reader_finish(&r) || l.len < 2 || l.len % 2)
            return FAIL_DECODE(t, "signature_algorithms");
        c->have_sigalgs = 1;
        t->n_peer_sigalgs = 0;
        for (size_t i = 0; i < l.len && t->n_peer_sigalgs < 32; i += 2)
            t->peer_sigalgs[t->n_peer_sigalgs++] = mote_load_be16(l.ptr + i);
        return 0;
    case EXT_SIG_ALGS_CERT:
        return read_cert_sigalgs(t, data);
    case EXT_ALPN: {
        mote_reader_vec16(&r, &l);
        if (mote_reader_finish(&r) || l.len == 0)
            return FAIL_DECODE(t, "ALPN");
        mote_reader pr;
        mote_reader_init(&pr, l.ptr, l.len);
        while (mote_reader_left(&pr)) {
            mote_slice p;
            mote_reader_vec8(&pr, &p);
            if (pr.err || p.len == 0)
                return FAIL_DECODE(t, "ALPN");
        }
        c->have_alpn = 1;
        c->alpn = l;
        return 0;
    }
    case EXT_SERVER_NAME: {
        mote_reader_vec16(&r, &l);
        if (mote_reader_finish(&r) || l.len == 0)
            return FAIL_DECODE(t, "server_name");
        mote_reader nr;
        mote_reader_init(&nr, l.ptr, l.len);
        while (mote_reader_left(&nr)) {
            uint8_t nt;
            mote_slice name;
            mote_reader_u8(&nr, &nt);
            mote_reader_vec16(&nr, &name);
            if (nr.err || name.len == 0)
                return FAIL_DECODE(t, "server_name");
            if (nt != 0 || c->have_sni)
                continue;
            if (name.len > 255 || memchr(name.ptr, 0, name.len))
                return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO, "bad host name");
            memcpy(c->sni, name.ptr, name.len);
            c->sni[name.len] = 0;
            c->have_sni = 1;
        }
        return 0;
    }
    case EXT_RECORD_SIZE_LIMIT:
        if (read_record_size_limit(t, data, 1))
            return t->err;
        t->rsl_offered = 1;
        return 0;
    case EXT_STATUS_REQUEST: {
        uint8_t st;
        mote_slice ids, rexts;
        mote_reader_u8(&r, &st);
        mote_reader_vec16(&r, &ids);
        mote_reader_vec16(&r, &rexts);
        if (mote_reader_finish(&r))
            return FAIL_DECODE(t, "status_request");
        t->status_req = st == 1;
        return 0;
    }
    case EXT_EMS:
        if (data.len)
            return FAIL_DECODE(t, "extended_master_secret");
        c->ems = 1;
        return 0;
    case EXT_SESSION_TICKET:
        c->ticket_ext = 1;
        c->ticket12 = data;
        return 0;
    case EXT_RENEGOTIATION_INFO:
        c->reneg = 1;
        c->reneg_bad = !(data.len == 1 && data.ptr[0] == 0);
        return 0;
    case EXT_PSK_MODES:
        mote_reader_vec8(&r, &l);
        if (mote_reader_finish(&r) || l.len == 0)
            return FAIL_DECODE(t, "psk_key_exchange_modes");
        for (size_t i = 0; i < l.len; i++)
            if (l.ptr[i] == 1)
                c->psk_dhe = 1;
        return 0;
    case EXT_PRE_SHARED_KEY: {
        mote_slice ids, binders;
        mote_reader_vec16(&r, &ids);
        c->binders_at = r.ptr + r.off;
        mote_reader_vec16(&r, &binders);
        if (mote_reader_finish(&r) || ids.len == 0 || binders.len == 0)
            return FAIL_DECODE(t, "pre_shared_key");
        size_t n_ids = 0, n_binders = 0;
        mote_reader ir;
        mote_reader_init(&ir, ids.ptr, ids.len);
        while (mote_reader_left(&ir)) {
            mote_slice id;
            uint32_t age;
            mote_reader_vec16(&ir, &id);
            mote_reader_u32(&ir, &age);
            if (ir.err || id.len == 0)
                return FAIL_DECODE(t, "PskIdentity");
            if (n_ids++ == 0) {
                c->psk_ticket = id;
                c->psk_age = age;
            }
        }
        mote_reader br;
        mote_reader_init(&br, binders.ptr, binders.len);
        while (mote_reader_left(&br)) {
            mote_slice b;
            mote_reader_vec8(&br, &b);
            if (br.err || b.len < 32)
                return FAIL_DECODE(t, "PskBinderEntry");
            if (n_binders++ == 0)
                c->psk_binder = b;
        }
        if (n_ids != n_binders)
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                        "%zu PSK identities but %zu binders", n_ids, n_binders);
        c->psk = 1;
        return 0;
    }
    default:
        return 0; /* unknown extensions in ClientHello are ignored */
    }
}

/* Opens a ticket this config sealed; 1 with t->psk set if it is good for
 * this handshake (same hash, not expired), 0 to ignore it. */
/* Opens a ticket sealed by this config (nonce, sealed state, tag) into
 * buf; 1 with *n bytes, 0 if it is not one of ours. */
static int unseal_ticket(const mote_tls *t, mote_slice ticket, const char *label, uint8_t buf[128],
                         size_t *n)
{
    if (ticket.len < 12 + 16 + 1 || ticket.len - 28 > 128)
        return 0;
    *n = ticket.len - 28;
    memcpy(buf, ticket.ptr + 12, *n);
    return mote_crypto_aead_open(t->cfg->ticket_aead, ticket.ptr, 12, label, strlen(label), buf, *n,
                                 ticket.ptr + 12 + *n) == 0;
}

static int open_ticket(mote_tls *t, mote_slice ticket)
{
    uint8_t buf[128];
    size_t n = 0;
    if (!unseal_ticket(t, ticket, "mote-tls ticket", buf, &n))
        return 0;
    mote_reader r;
    uint8_t ver, hl;
    uint16_t suite;
    uint64_t issued;
    mote_slice psk;
    mote_reader_init(&r, buf, n);
    mote_reader_u8(&r, &ver);
    mote_reader_u16(&r, &suite);
    mote_reader_u8(&r, &hl);
    mote_reader_bytes(&r, hl, &psk);
    mote_reader_u64(&r, &issued);
    int ok = mote_reader_finish(&r) == 0 && ver == 1 && hl == t->hash_len;
    mote_crypto_hash_id h;
    mote_crypto_aead_id a;
    ok = ok && suite_params(suite, &h, &a) == 0 && h == t->hash;
    int64_t age = wall_ms(t->cfg) - (int64_t)issued;
    ok = ok && age >= -60000 && age <= (int64_t)t->cfg->ticket_lifetime * 1000;
    if (ok)
        memcpy(t->psk, psk.ptr, hl);
    mote_wipe(buf, sizeof(buf));
    return ok;
}

/* Sends the configured number of NewSessionTickets (server, after the
 * client's Finished). */
static int send_tickets(mote_tls *t)
{
    const mote_tls_config *cfg = t->cfg;
    for (unsigned i = 0; i < cfg->n_tickets; i++) {
        uint8_t nonce = (uint8_t)i, psk[MOTE_CRYPTO_HASH_MAX_LEN], pt[128], msg[256];
        uint8_t rnd[16];
        int rc = tls_hkdf_expand_label(t->hash, t->res_master, t->hash_len, "resumption", &nonce, 1,
                                       psk, t->hash_len);
        if (!rc)
            rc = mote_rng_fill(cfg->rng, rnd, sizeof(rnd));
        if (rc)
            return rc;
        size_t n = 0;
        pt[n++] = 1;
        mote_store_be16(pt + n, t->suite);
        n += 2;
        pt[n++] = (uint8_t)t->hash_len;
        memcpy(pt + n, psk, t->hash_len);
        n += t->hash_len;
        mote_store_be64(pt + n, (uint64_t)wall_ms(cfg));
        n += 8;
        /* NewSessionTicket: lifetime, age_add, nonce, ticket, extensions */
        size_t m = 4;
        msg[0] = HS_NEW_SESSION_TICKET;
        mote_store_be32(msg + m, cfg->ticket_lifetime);
        memcpy(msg + m + 4, rnd, 4); /* ticket_age_add */
        m += 8;
        msg[m++] = 1;
        msg[m++] = nonce;
        mote_store_be16(msg + m, (uint16_t)(12 + n + 16));
        m += 2;
        memcpy(msg + m, rnd + 4, 12); /* the ticket's AEAD nonce */
        memcpy(msg + m + 12, pt, n);
        rc = mote_crypto_aead_seal(cfg->ticket_aead, msg + m, 12, "mote-tls ticket", 15,
                                   msg + m + 12, n, msg + m + 12 + n);
        mote_wipe(pt, sizeof(pt));
        mote_wipe(psk, sizeof(psk));
        if (rc)
            return rc;
        m += 12 + n + 16;
        mote_store_be16(msg + m, 0);
        m += 2;
        mote_store_be24(msg + 1, (uint32_t)(m - 4));
        rc = emit(t, CT_HANDSHAKE, msg, m);
        if (rc)
            return rc;
    }
    return 0;
}

/* The start of a TLS 1.3 ServerHello or HelloRetryRequest body: legacy
 * version, random, the client's session id echoed, suite, no compression,
 * then the extensions block opened (its offset returned for w_close) with
 * supported_versions in it. */
static size_t w_server_hello13(wb *w, const mote_tls *t, const uint8_t random[32])
{
    w_u16(w, 0x0303);
    w_bytes(w, random, 32);
    size_t v = w_open(w, 1);
    w_bytes(w, t->session_id, t->sid_len);
    w_close(w, v, 1);
    w_u16(w, t->suite);
    w_u8(w, 0);
    size_t exts = w_open(w, 2);
    w_u16(w, EXT_SUPPORTED_VERSIONS);
    w_u16(w, 2);
    w_u16(w, MOTE_TLS_VERSION_13);
    return exts;
}

static int server_send_flight(mote_tls *t, const ch_info *c, const uint8_t *peer_share,
                              size_t peer_share_len)
{
    const mote_tls_config *cfg = t->cfg;
    uint8_t share[MOTE_CRYPTO_KX_SHARE_MAX], shared[MOTE_CRYPTO_KX_SECRET_MAX];
    size_t share_len = 0, shared_len = 0;
    int rc =
        mote_crypto_kx_respond((mote_crypto_group)t->group, cfg->rng, peer_share, peer_share_len,
                               share, sizeof(share), &share_len, shared, &shared_len);
    if (rc)
        return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO, "bad client key share");
    uint8_t random[32];
    if ((rc = mote_rng_fill(cfg->rng, random, 32)) != 0)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "rng failed");
    mote_buf body;
    mote_buf_init(&body, 0);
    wb w = {&body, 0};
    size_t exts = w_server_hello13(&w, t, random);
    w_u16(&w, EXT_KEY_SHARE);
    size_t e = w_open(&w, 2);
    w_u16(&w, t->group);
    size_t s = w_open(&w, 2);
    w_bytes(&w, share, share_len);
    w_close(&w, s, 2);
    w_close(&w, e, 2);
    if (t->resumed) {
        w_u16(&w, EXT_PRE_SHARED_KEY);
        w_u16(&w, 2);
        w_u16(&w, 0);
    }
    w_close(&w, exts, 2);
    rc = w.err;
    if (!rc) {
        if (!t->th_ready)
            transcript_start(t, 0);
        rc = send_hs(t, HS_SERVER_HELLO, body.data, body.len);
    }
    mote_buf_free(&body);
    if (!rc)
        rc = derive_handshake_secrets(t, shared, shared_len);
    mote_wipe(shared, sizeof(shared));
    if (!rc && t->sid_len)
        rc = emit_ccs(t);
    if (!rc)
        rc = set_dir_keys(t, &t->wr, t->s_hs);
    if (!rc)
        rc = set_dir_keys(t, &t->rd, t->c_hs);
    if (rc)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "cannot write ServerHello");

    /* EncryptedExtensions */
    mote_buf_init(&body, 0);
    w.b = &body;
    exts = w_open(&w, 2);
    if (t->have_alpn)
        w_alpn_selected(&w, t->alpn);
    if (t->sni_acked) {
        w_u16(&w, EXT_SERVER_NAME);
        w_u16(&w, 0);
    }
    if (t->rsl_offered) {
        w_u16(&w, EXT_RECORD_SIZE_LIMIT);
        w_u16(&w, 2);
        w_u16(&w, (uint16_t)cfg->record_size_limit);
    }
    w_close(&w, exts, 2);
    rc = w.err;
    if (!rc)
        rc = send_hs(t, HS_ENCRYPTED_EXTENSIONS, body.data, body.len);
    mote_buf_free(&body);
    if (!rc && cfg->client_auth && !t->resumed) {
        mote_buf_init(&body, 0);
        w.b = &body;
        w_u8(&w, 0);
        exts = w_open(&w, 2);
        w_sigalgs_ext(&w, EXT_SIGNATURE_ALGORITHMS, cfg->sigalgs, cfg->n_sigalgs, 1);
        w_sigalgs_ext(&w, EXT_SIG_ALGS_CERT, cfg->cert_sigalgs, cfg->n_cert_sigalgs, 0);
        w_close(&w, exts, 2);
        rc = w.err;
        if (!rc)
            rc = send_hs(t, HS_CERTIFICATE_REQUEST, body.data, body.len);
        mote_buf_free(&body);
        t->cert_requested = 1;
    }
    if (!rc && !t->resumed)
        rc = send_certificate(t, t->cert);
    if (!rc && !t->resumed)
        rc = send_certificate_verify(t, t->cert, t->sigalg);
    if (!rc)
        rc = send_finished(t);
    if (!rc)
        rc = derive_app_secrets(t);
    if (!rc)
        rc = set_dir_keys(t, &t->wr, t->s_ap);
    if (rc)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "cannot write server flight");
    (void)c;
    t->hs = cfg->client_auth && !t->resumed ? ST_S_WAIT_CERT : ST_S_WAIT_FIN;
    return 0;
}

static int send_hrr(mote_tls *t)
{
    mote_buf body;
    mote_buf_init(&body, 0);
    wb w = {&body, 0};
    size_t exts = w_server_hello13(&w, t, hrr_random);
    w_u16(&w, EXT_KEY_SHARE);
    w_u16(&w, 2);
    w_u16(&w, t->group);
    w_close(&w, exts, 2);
    int rc = w.err;
    if (!rc) {
        transcript_start(t, 1);
        rc = send_hs(t, HS_SERVER_HELLO, body.data, body.len);
    }
    mote_buf_free(&body);
    if (!rc && t->sid_len)
        rc = emit_ccs(t);
    return rc;
}

/* The certificate for a ClientHello: by SNI name, else the default. */
static const tls_cert_entry *pick_cert(mote_tls *t, const ch_info *c, int rsa_only, int no_rsa,
                                       int fitting_only)
{
    const mote_tls_config *cfg = t->cfg;
    const tls_cert_entry *cert = NULL;
    /* Passes: by name, the defaults, any; each first among certificates
     * whose chain fits the client's signature_algorithms_cert (only those
     * when fitting_only). */
    for (int pass = 0; pass < 6 && !cert; pass += 1 + fitting_only)
        for (size_t i = 0; i < cfg->n_certs && !cert; i++) {
            const tls_cert_entry *e = &cfg->certs[i];
            if (pass % 2 == 0 && !chain_fits_peer(t, e, t->peer_sigalgs, t->n_peer_sigalgs))
                continue;
            if ((rsa_only && e->key_type != MOTE_CRYPTO_KEY_RSA) ||
                (no_rsa && e->key_type == MOTE_CRYPTO_KEY_RSA))
                continue;
            /* RFC 8422 5.1: an ECDSA key's curve must be one the client
             * listed in supported_groups. */
            if ((e->key_type == MOTE_CRYPTO_KEY_P256 &&
                 !in_list16(c->groups, c->n_groups, MOTE_CRYPTO_GROUP_P256)) ||
                (e->key_type == MOTE_CRYPTO_KEY_P384 &&
                 !in_list16(c->groups, c->n_groups, MOTE_CRYPTO_GROUP_P384)))
                continue;
            if ((pass / 2 == 0 && c->have_sni && tls_name_matches(e->names, c->sni)) ||
                (pass / 2 == 1 && !e->names) || pass / 2 == 2)
                cert = e;
        }
    return cert;
}

/* Picks the server's ALPN protocol; 0 or a failure already reported. */
static int pick_alpn(mote_tls *t, const ch_info *c)
{
    if (!c->have_alpn || !t->cfg->n_alpn)
        return 0;
    mote_reader orr;
    mote_reader_init(&orr, t->cfg->alpn_wire.data, t->cfg->alpn_wire.len);
    while (mote_reader_left(&orr)) {
        mote_slice o;
        mote_reader_vec8(&orr, &o);
        if (alpn_listed(c->alpn, o)) {
            alpn_take(t, o);
            return 0;
        }
    }
    return fail(t, MOTE_TLS_ALERT_NO_APPLICATION_PROTOCOL, MOTE_EUNSUPPORTED,
                "no ALPN protocol in common");
}

/* Opens a TLS 1.2 ticket this config sealed: 1 with t->master and
 * *suite set if it is good (not expired), else 0. */
static int open_ticket12(mote_tls *t, mote_slice ticket, uint16_t *suite)
{
    uint8_t buf[128];
    size_t n = 0;
    if (!unseal_ticket(t, ticket, "mote-tls ticket12", buf, &n))
        return 0;
    mote_reader r;
    uint8_t ver;
    uint64_t issued;
    mote_slice master;
    mote_reader_init(&r, buf, n);
    mote_reader_u8(&r, &ver);
    mote_reader_u16(&r, suite);
    mote_reader_bytes(&r, 48, &master);
    mote_reader_u64(&r, &issued);
    int64_t age = wall_ms(t->cfg) - (int64_t)issued;
    int ok = mote_reader_finish(&r) == 0 && ver == 2 && tls_suite12_auth(*suite) && age >= -60000 &&
             age <= (int64_t)t->cfg->ticket_lifetime * 1000;
    if (ok)
        memcpy(t->master, master.ptr, 48);
    mote_wipe(buf, sizeof(buf));
    return ok;
}

/* Sends a TLS 1.2 NewSessionTicket (RFC 5077) sealing the master secret. */
static int send_nst12(mote_tls *t)
{
    uint8_t pt[64], msg[6 + 12 + 64 + 16];
    size_t n = 0;
    pt[n++] = 2;
    mote_store_be16(pt + n, t->suite);
    n += 2;
    memcpy(pt + n, t->master, 48);
    n += 48;
    mote_store_be64(pt + n, (uint64_t)wall_ms(t->cfg));
    n += 8;
    mote_store_be32(msg, t->cfg->ticket_lifetime);
    mote_store_be16(msg + 4, (uint16_t)(12 + n + 16));
    int rc = mote_rng_fill(t->cfg->rng, msg + 6, 12);
    memcpy(msg + 18, pt, n);
    if (!rc)
        rc = mote_crypto_aead_seal(t->cfg->ticket_aead, msg + 6, 12, "mote-tls ticket12", 17,
                                   msg + 18, n, msg + 18 + n);
    mote_wipe(pt, sizeof(pt));
    if (!rc)
        rc = send_hs(t, HS_NEW_SESSION_TICKET, msg, 18 + n + 16);
    return rc;
}

/* An abbreviated TLS 1.2 handshake resuming a ticket's session. */

/* A TLS 1.2 ServerHello body: version, random, session id, suite, no
 * compression, and the extensions: renegotiation_info (empty: no
 * renegotiation), extended_master_secret, session_ticket when a ticket
 * will follow, and the chosen ALPN protocol. */
static void w_server_hello12(wb *w, const mote_tls *t, const uint8_t *sid, size_t sid_len,
                             int ticket_ext)
{
    w_u16(w, 0x0303);
    w_bytes(w, t->srandom, 32);
    size_t v = w_open(w, 1);
    if (sid_len)
        w_bytes(w, sid, sid_len);
    w_close(w, v, 1);
    w_u16(w, t->suite);
    w_u8(w, 0);
    size_t exts = w_open(w, 2);
    w_u16(w, EXT_RENEGOTIATION_INFO);
    w_u16(w, 1);
    w_u8(w, 0);
    w_u16(w, EXT_EMS);
    w_u16(w, 0);
    if (ticket_ext) {
        w_u16(w, EXT_SESSION_TICKET);
        w_u16(w, 0);
    }
    if (t->have_alpn)
        w_alpn_selected(w, t->alpn);
    if (t->rsl_offered) { /* RFC 8449: in TLS 1.2 at most 2^14 */
        size_t limit = t->cfg->record_size_limit;
        w_u16(w, EXT_RECORD_SIZE_LIMIT);
        w_u16(w, 2);
        w_u16(w, (uint16_t)(limit < TLS_MAX_PLAIN ? limit : TLS_MAX_PLAIN));
    }
    w_close(w, exts, 2);
}

/* A TLS 1.2 server answering a client's record_size_limit: its value
 * bounds our plaintext (in 1.2 without the content type), and ours
 * (echoed in the ServerHello) holds for its records. */
static void server12_rsl(mote_tls *t)
{
    if (!t->rsl_offered)
        return;
    t->send_max = t->peer_rsl < TLS_MAX_PLAIN ? t->peer_rsl : TLS_MAX_PLAIN;
    t->rsl_agreed = 1;
}

static int server12_resume(mote_tls *t, ch_info *c, uint16_t suite, const uint8_t *raw,
                           size_t raw_len)
{
    int rc = pick_alpn(t, c);
    if (rc)
        return rc;
    if (c->have_sni && !t->sni)
        t->sni = strdup(c->sni);
    t->v12 = 1;
    server12_rsl(t);
    t->resumed = 1;
    t->version = MOTE_TLS_VERSION_12;
    t->suite = suite;
    suite_params(suite, &t->hash, &t->aead_id);
    t->hash_len = mote_crypto_hash_len(t->hash);
    transcript_add(t, raw, raw_len);
    transcript_start(t, 0);
    if ((rc = mote_rng_fill(t->cfg->rng, t->srandom, 32)) != 0)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "rng failed");
    if (t->cfg->max_version >= MOTE_TLS_VERSION_13)
        memcpy(t->srandom + 24, "DOWNGRD\x01", 8);
    mote_buf body;
    mote_buf_init(&body, 0);
    wb w = {&body, 0};
    /* The client's session id is echoed: the ticket is taken. */
    w_server_hello12(&w, t, c->sid.ptr, c->sid.len, 0);
    rc = w.err;
    if (!rc)
        rc = send_hs(t, HS_SERVER_HELLO, body.data, body.len);
    mote_buf_free(&body);
    if (!rc)
        rc = keyblock12(t);
    if (!rc)
        rc = send_finished12(t);
    if (rc)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "cannot write server flight");
    t->ccs12 = 1;
    t->hs = ST_S12_WAIT_FIN;
    return 0;
}

static int server12_client_hello(mote_tls *t, ch_info *c, const uint8_t *raw, size_t raw_len)
{
    const mote_tls_config *cfg = t->cfg;
    if (!c->reneg || c->reneg_bad)
        return fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                    "client lacks secure renegotiation (RFC 5746)");
    if (!c->ems)
        return fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                    "client lacks extended_master_secret (RFC 7627), which mote requires");
    if (c->ticket_ext && c->ticket12.len && cfg->n_tickets && c->sid.len) {
        uint16_t ts = 0;
        if (open_ticket12(t, c->ticket12, &ts) && in_list16(c->suites, c->n_suites, ts) &&
            in_list16(cfg->suites, cfg->n_suites, ts))
            return server12_resume(t, c, ts, raw, raw_len);
        mote_wipe(t->master, sizeof(t->master));
    }
    t->nst12 = c->ticket_ext && cfg->n_tickets;
    int any = 0;
    for (size_t i = 0; i < cfg->n_suites; i++)
        any |=
            tls_suite12_auth(cfg->suites[i]) && in_list16(c->suites, c->n_suites, cfg->suites[i]);
    if (!any)
        return fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                    "no TLS 1.2 cipher suite in common (mote offers ECDHE with AEAD only)");
    if (!c->have_groups || !c->have_sigalgs)
        return fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                    "TLS 1.2 ClientHello without supported_groups or signature_algorithms");
    /* Suite (server order) with a certificate that fits it, first with a
     * chain the client's signature_algorithms_cert allows, then any. */
    const tls_cert_entry *cert = NULL;
    for (size_t j = 0; j < 2 * cfg->n_suites && !cert; j++) {
        size_t i = j % cfg->n_suites;
        int auth = tls_suite12_auth(cfg->suites[i]);
        if (!auth || !in_list16(c->suites, c->n_suites, cfg->suites[i]))
            continue;
        cert = pick_cert(t, c, auth == 2, auth == 1, j < cfg->n_suites);
        if (cert) {
            t->sigalg = 0;
            for (size_t k = 0; k < cfg->n_sigalgs && !t->sigalg; k++)
                if (tls12_sigalg_fits_key(cfg->sigalgs[k], cert->key_type) &&
                    in_list16(t->peer_sigalgs, t->n_peer_sigalgs, cfg->sigalgs[k]))
                    t->sigalg = cfg->sigalgs[k];
            if (t->sigalg)
                t->suite = cfg->suites[i];
            else
                cert = NULL;
        }
    }
    if (!cert)
        return fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                    "no TLS 1.2 cipher suite in common (mote offers ECDHE with AEAD only)");
    t->cert = cert;
    for (size_t i = 0; i < cfg->n_groups && !t->group; i++)
        if (cfg->groups[i] != MOTE_CRYPTO_GROUP_X25519MLKEM768 &&
            in_list16(c->groups, c->n_groups, cfg->groups[i]))
            t->group = cfg->groups[i];
    if (!t->group)
        return fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                    "no key exchange group in common");
    if (c->have_sni && !t->sni)
        t->sni = strdup(c->sni);
    int rc = pick_alpn(t, c);
    if (rc)
        return rc;
    t->v12 = 1;
    server12_rsl(t);
    t->version = MOTE_TLS_VERSION_12;
    suite_params(t->suite, &t->hash, &t->aead_id);
    t->hash_len = mote_crypto_hash_len(t->hash);
    transcript_add(t, raw, raw_len);
    transcript_start(t, 0);
    if ((rc = mote_rng_fill(cfg->rng, t->srandom, 32)) != 0)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "rng failed");
    if (cfg->max_version >= MOTE_TLS_VERSION_13)
        memcpy(t->srandom + 24, "DOWNGRD\x01", 8); /* RFC 8446 4.1.3 */
    t->kx = mote_crypto_kx_new((mote_crypto_group)t->group, cfg->rng, &rc);
    if (!t->kx)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "key generation failed");
    /* ServerHello */
    mote_buf body;
    mote_buf_init(&body, 0);
    wb w = {&body, 0};
    /* No session id: 1.2 resumption is by ticket only. */
    w_server_hello12(&w, t, NULL, 0, t->nst12);
    rc = w.err;
    if (!rc)
        rc = send_hs(t, HS_SERVER_HELLO, body.data, body.len);
    /* Certificate */
    mote_buf_reset(&body);
    size_t list = w_open(&w, 3);
    for (size_t i = 0; i < cert->n_chain; i++) {
        size_t d = w_open(&w, 3);
        w_bytes(&w, cert->chain[i].data, cert->chain[i].len);
        w_close(&w, d, 3);
    }
    w_close(&w, list, 3);
    if (!rc)
        rc = w.err;
    if (!rc)
        rc = send_hs(t, HS_CERTIFICATE, body.data, body.len);
    /* ServerKeyExchange: ECDHE params signed with the certificate's key */
    mote_buf_reset(&body);
    mote_slice share = mote_crypto_kx_share(t->kx);
    w_bytes(&w, t->crandom, 32);
    w_bytes(&w, t->srandom, 32);
    w_u8(&w, 3);
    w_u16(&w, t->group);
    size_t pt = w_open(&w, 1);
    w_bytes(&w, share.ptr, share.len);
    w_close(&w, pt, 1);
    uint8_t sig[MOTE_CRYPTO_SIG_MAX_LEN];
    size_t sig_len = 0;
    if (!rc)
        rc = w.err;
    if (!rc)
        rc = mote_crypto_sign(cert->key, (mote_crypto_sig_alg)t->sigalg, cfg->rng, body.data,
                              body.len, sig, sizeof(sig), &sig_len, 0);
    w_u16(&w, t->sigalg);
    size_t sv = w_open(&w, 2);
    w_bytes(&w, sig, sig_len);
    w_close(&w, sv, 2);
    if (!rc)
        rc = w.err;
    if (!rc)
        rc = send_hs(t, 12, body.data + 64, body.len - 64);
    if (!rc && cfg->client_auth) {
        /* CertificateRequest: rsa_sign, ecdsa_sign; our schemes; no CAs. */
        mote_buf_reset(&body);
        w_u8(&w, 2);
        w_u8(&w, 1);
        w_u8(&w, 64);
        size_t l = w_open(&w, 2);
        for (size_t i = 0; i < cfg->n_sigalgs; i++)
            w_u16(&w, cfg->sigalgs[i]);
        w_close(&w, l, 2);
        w_u16(&w, 0);
        rc = w.err;
        if (!rc)
            rc = send_hs(t, HS_CERTIFICATE_REQUEST, body.data, body.len);
        t->cert_requested = 1;
    }
    if (!rc)
        rc = send_hs(t, 14, NULL, 0); /* ServerHelloDone */
    mote_buf_free(&body);
    if (rc)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "cannot write server flight");
    t->hs = t->cert_requested ? ST_S12_WAIT_CERT : ST_S12_WAIT_CKE;
    return 0;
}

static int server12_handle(mote_tls *t, uint8_t type, mote_reader *r, const uint8_t *raw,
                           size_t raw_len)
{
    int rc;
    if (t->hs == ST_S12_WAIT_CERT && type == HS_CERTIFICATE) {
        rc = recv_certificate12(t, r);
        if (rc)
            return rc;
        transcript_add(t, raw, raw_len);
        t->hs = ST_S12_WAIT_CKE;
        return 0;
    }
    if (t->hs == ST_S12_WAIT_CV && type == HS_CERTIFICATE_VERIFY) {
        /* TLS 1.2 CertificateVerify: a signature over every handshake
         * message so far. */
        uint16_t scheme = 0;
        mote_slice sig;
        mote_crypto_pubkey *pk = read_cv(t, r, t->cfg->sigalgs, t->cfg->n_sigalgs, &scheme, &sig);
        if (!pk)
            return t->err;
        int fits = tls12_sigalg_fits_key(scheme, mote_crypto_pubkey_type(pk));
        rc = check_peer_sig(t, pk, fits, scheme, t->hs_raw.data, t->hs_raw.len, sig,
                            "CertificateVerify");
        if (rc)
            return rc;
        transcript_add(t, raw, raw_len);
        t->ccs12 = 1;
        t->hs = ST_S12_WAIT_FIN;
        return 0;
    }
    if (t->hs == ST_S12_WAIT_CKE && type == 16) {
        mote_slice point;
        mote_reader_vec8(r, &point);
        if (mote_reader_finish(r) || point.len == 0)
            return FAIL_DECODE(t, "ClientKeyExchange");
        uint8_t pms[MOTE_CRYPTO_KX_SECRET_MAX];
        size_t pms_len = 0;
        rc = mote_crypto_kx_finish(t->kx, point.ptr, point.len, pms, &pms_len);
        mote_crypto_kx_free(t->kx);
        t->kx = NULL;
        if (rc)
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO, "bad client key share");
        transcript_add(t, raw, raw_len);
        rc = keys12(t, pms, pms_len);
        mote_wipe(pms, sizeof(pms));
        if (rc)
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "key schedule failed");
        if (t->n_peer) {
            t->hs = ST_S12_WAIT_CV;
            return 0;
        }
        t->ccs12 = 1;
        t->hs = ST_S12_WAIT_FIN;
        return 0;
    }
    if (t->hs == ST_S12_WAIT_FIN && type == HS_FINISHED && !t->ccs12) {
        rc = recv_finished12(t, r);
        if (rc)
            return rc;
        transcript_add(t, raw, raw_len);
        if (t->resumed) {
            return go_open(t);
        }
        rc = t->nst12 ? send_nst12(t) : 0;
        if (!rc)
            rc = send_finished12(t);
        if (rc)
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "cannot write Finished");
        return go_open(t);
    }
    return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                "unexpected TLS 1.2 handshake message %u", type);
}

/* TLS 1.3: among the certificates for the client's name (by_name) or the
 * defaults (those without names), the first whose key can sign a scheme
 * the client listed and whose chain fits its signature_algorithms_cert;
 * else the first whose key can sign; else the first; NULL if none. */
static const tls_cert_entry *pick_cert13(mote_tls *t, const ch_info *c, int by_name)
{
    const mote_tls_config *cfg = t->cfg;
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < cfg->n_certs; i++) {
            const tls_cert_entry *e = &cfg->certs[i];
            if (by_name ? !tls_name_matches(e->names, c->sni) : e->names != NULL)
                continue;
            if (pass < 2 && !pick_sigalg(t, e, t->peer_sigalgs, t->n_peer_sigalgs))
                continue;
            if (pass == 0 && !chain_fits_peer(t, e, t->peer_sigalgs, t->n_peer_sigalgs))
                continue;
            return e;
        }
    return NULL;
}

static int server_recv_client_hello(mote_tls *t, mote_reader *r, const uint8_t *raw, size_t raw_len)
{
    const mote_tls_config *cfg = t->cfg;
    uint16_t legacy;
    mote_slice random, sid, suites, comp, exts = {0};
    mote_reader_u16(r, &legacy);
    mote_reader_bytes(r, 32, &random);
    mote_reader_vec8(r, &sid);
    mote_reader_vec16(r, &suites);
    mote_reader_vec8(r, &comp);
    if (mote_reader_left(r))
        mote_reader_vec16(r, &exts);
    if (mote_reader_finish(r) || sid.len > 32 || suites.len < 2 || suites.len % 2 || comp.len < 1)
        return FAIL_DECODE(t, "ClientHello");
    ch_info *c = calloc(1, sizeof(*c));
    if (!c)
        return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_ENOMEM, "out of memory");
    t->have_peer_cert_sigalgs = 0;
    int rc = walk_exts(t, exts, "ClientHello", ch_ext, c, 1);
    if (rc)
        goto out;
    for (size_t i = 0; i < suites.len && c->n_suites < 64; i += 2)
        c->suites[c->n_suites++] = mote_load_be16(suites.ptr + i);
    c->sid = sid;
    if (in_list16(c->suites, c->n_suites, 0x00ff)) /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
        c->reneg = 1;
    if (!c->v13 || cfg->max_version < MOTE_TLS_VERSION_13) {
        if (cfg->min_version <= MOTE_TLS_VERSION_12 && t->hs == ST_S_WAIT_CH &&
            (c->v12 || (!c->have_versions && legacy >= MOTE_TLS_VERSION_12))) {
            memcpy(t->crandom, random.ptr, 32);
            rc = server12_client_hello(t, c, raw, raw_len);
            goto out;
        }
        rc = fail(t, MOTE_TLS_ALERT_PROTOCOL_VERSION, MOTE_EUNSUPPORTED,
                  "client offers no version mote accepts (legacy_version 0x%04x)", legacy);
        goto out;
    }
    if (comp.len != 1 || comp.ptr[0] != 0) {
        rc = fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                  "compression methods other than null");
        goto out;
    }
    if (t->hs == ST_S_WAIT_CH2) {
        if (sid.len != t->sid_len || memcmp(sid.ptr, t->session_id, sid.len) != 0 ||
            !in_list16(c->suites, c->n_suites, t->suite)) {
            rc = fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                      "second ClientHello changed");
            goto out;
        }
    } else {
        t->sid_len = sid.len;
        memcpy(t->session_id, sid.ptr, sid.len);
        for (size_t i = 0; i < cfg->n_suites && !t->suite; i++)
            if (tls_suite_is13(cfg->suites[i]) && in_list16(c->suites, c->n_suites, cfg->suites[i]))
                t->suite = cfg->suites[i];
        if (!t->suite) {
            rc = fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                      "no cipher suite in common");
            goto out;
        }
        t->version = MOTE_TLS_VERSION_13;
        suite_params(t->suite, &t->hash, &t->aead_id);
        t->hash_len = mote_crypto_hash_len(t->hash);
    }
    if (!c->have_groups || !c->have_ks) {
        rc = fail(t, MOTE_TLS_ALERT_MISSING_EXTENSION, MOTE_EPROTO,
                  "ClientHello lacks supported_groups or key_share");
        goto out;
    }
    if (!c->have_sigalgs) {
        rc = fail(t, MOTE_TLS_ALERT_MISSING_EXTENSION, MOTE_EPROTO,
                  "ClientHello lacks signature_algorithms");
        goto out;
    }
    for (size_t i = 0; i < c->n_ks; i++)
        if (!in_list16(c->groups, c->n_groups, c->ks_groups[i])) {
            rc = fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                      "key share for a group not in supported_groups");
            goto out;
        }
    /* Group: the first of ours with a share; else HRR for the first of
     * ours the client supports. */
    size_t share_idx = SIZE_MAX;
    for (size_t i = 0; i < cfg->n_groups && share_idx == SIZE_MAX; i++)
        for (size_t j = 0; j < c->n_ks; j++)
            if (c->ks_groups[j] == cfg->groups[i]) {
                share_idx = j;
                break;
            }
    if (t->hs == ST_S_WAIT_CH2) {
        if (c->n_ks != 1 || c->ks_groups[0] != t->group) {
            rc = fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                      "second ClientHello without the requested key share");
            goto out;
        }
        share_idx = 0;
    }
    if (share_idx == SIZE_MAX) {
        for (size_t i = 0; i < cfg->n_groups && !t->group; i++)
            if (in_list16(c->groups, c->n_groups, cfg->groups[i]))
                t->group = cfg->groups[i];
        if (!t->group) {
            rc = fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                      "no key exchange group in common");
            goto out;
        }
        transcript_add(t, raw, raw_len);
        t->hrr = 1;
        rc = send_hrr(t);
        if (rc)
            rc = fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "cannot write HelloRetryRequest");
        t->hs = ST_S_WAIT_CH2;
        t->ccs_ok = 1;
        goto out;
    }
    t->group = c->ks_groups[share_idx];
    /* Certificate by SNI (else the default), then the signature scheme.
     * Among certificates for the name, the first whose key can sign a
     * scheme the client listed and whose chain fits its
     * signature_algorithms_cert; failing that, one whose key can sign; then
     * the first (RFC 8446 4.4.2.2 lets a server send a chain the client
     * did not list). */
    const tls_cert_entry *cert = NULL;
    if (c->have_sni) {
        cert = pick_cert13(t, c, 1);
        if (!t->sni) {
            t->sni = strdup(c->sni);
            if (!t->sni) {
                rc = fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_ENOMEM, "out of memory");
                goto out;
            }
        }
        t->sni_acked = cert != NULL;
    }
    if (!cert)
        cert = pick_cert13(t, c, 0);
    if (!cert)
        cert = &cfg->certs[0];
    t->cert = cert;
    t->sigalg = pick_sigalg(t, cert, t->peer_sigalgs, t->n_peer_sigalgs);
    if (!t->sigalg) {
        rc = fail(t, MOTE_TLS_ALERT_HANDSHAKE_FAILURE, MOTE_EUNSUPPORTED,
                  "no signature scheme in common for the certificate");
        goto out;
    }
    /* ALPN */
    if ((rc = pick_alpn(t, c)) != 0)
        goto out;
    if (c->psk && !c->psk_dhe) {
        rc = fail(t, MOTE_TLS_ALERT_MISSING_EXTENSION, MOTE_EPROTO,
                  "pre_shared_key without psk_key_exchange_modes");
        goto out;
    }
    t->psk_modes_ok = c->psk_dhe;
    t->rsl_agreed = t->rsl_offered;
    if (c->psk && cfg->n_tickets && open_ticket(t, c->psk_ticket)) {
        uint8_t want[MOTE_CRYPTO_HASH_MAX_LEN];
        size_t trunc = (size_t)(c->binders_at - raw);
        if (c->psk_binder.len != t->hash_len || psk_binder(t, t->hash, NULL, raw, trunc, want) ||
            !mote_ct_equal(want, c->psk_binder.ptr, t->hash_len)) {
            rc = fail(t, MOTE_TLS_ALERT_DECRYPT_ERROR, MOTE_EVERIFY, "PSK binder mismatch");
            goto out;
        }
        t->resumed = 1;
    }
    transcript_add(t, raw, raw_len);
    if (t->hs_in.len) {
        rc = fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                  "handshake data across a key change");
        goto out;
    }
    t->ccs_ok = t->sid_len > 0 || t->hrr;
    rc = server_send_flight(t, c, c->ks[share_idx].ptr, c->ks[share_idx].len);
out:
    free(c);
    return rc;
}

static int server_handle(mote_tls *t, uint8_t type, mote_reader *r, const uint8_t *raw,
                         size_t raw_len)
{
    int rc;
    if (t->v12)
        return server12_handle(t, type, r, raw, raw_len);
    switch (t->hs) {
    case ST_S_WAIT_CH:
    case ST_S_WAIT_CH2:
        if (type != HS_CLIENT_HELLO)
            break;
        return server_recv_client_hello(t, r, raw, raw_len);
    case ST_S_WAIT_CERT:
        if (type != HS_CERTIFICATE)
            break;
        rc = recv_peer_auth13(t, type, r, raw, raw_len, ST_S_WAIT_CV);
        if (!rc && !t->n_peer)
            t->hs = ST_S_WAIT_FIN; /* no client certificate: no CertificateVerify */
        return rc;
    case ST_S_WAIT_CV:
        if (type != HS_CERTIFICATE_VERIFY)
            break;
        return recv_peer_auth13(t, type, r, raw, raw_len, ST_S_WAIT_FIN);
    case ST_S_WAIT_FIN:
        if (type != HS_FINISHED)
            break;
        rc = recv_finished(t, r, t->c_hs);
        if (rc)
            return rc;
        transcript_add(t, raw, raw_len);
        if (t->hs_in.len)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "handshake data across a key change");
        rc = set_dir_keys(t, &t->rd, t->c_ap);
        if (!rc) {
            uint8_t th[MOTE_CRYPTO_HASH_MAX_LEN];
            transcript_hash(t, th);
            rc = ds(t->hash, t->master, "res master", th, t->res_master);
        }
        if (!rc && t->psk_modes_ok && !t->resumed)
            rc = send_tickets(t);
        if (rc)
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "key schedule failed");
        t->rd_app = 1;
        return go_open(t);
    default:
        break;
    }
    return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                "unexpected handshake message %u", type);
}

/* Post-handshake messages: KeyUpdate both ways, NewSessionTicket to a
 * client (parsed and dropped: resumption is not implemented). */
static int post_handshake(mote_tls *t, uint8_t type, mote_reader *r)
{
    if (t->v12) {
        /* RFC 5746: renegotiation is refused with a warning, and the
         * request ignored. Nothing else may come after the handshake. */
        if ((t->server && type == HS_CLIENT_HELLO) || (!t->server && type == 0)) {
            uint8_t a[2] = {1, 100 /* no_renegotiation */};
            return emit(t, CT_ALERT, a, 2);
        }
        return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                    "handshake message %u after a TLS 1.2 handshake", type);
    }
    if (type == HS_KEY_UPDATE) {
        uint8_t req;
        mote_reader_u8(r, &req);
        if (mote_reader_finish(r))
            return FAIL_DECODE(t, "KeyUpdate");
        if (req > 1)
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                        "KeyUpdate request_update %u", req);
        if (t->hs_in.len)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "handshake data across a key change");
        if (next_traffic_secret(t, &t->rd))
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_EPROTO, "key update failed");
        t->ku_recv++;
        if (req == 1 && !t->we_closed) {
            int rc = mote_tls_key_update(t, 0);
            if (rc)
                return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, rc, "key update failed");
        }
        return 0;
    }
    if (type == HS_NEW_SESSION_TICKET && !t->server) {
        uint32_t lifetime, age_add;
        mote_slice nonce, ticket, exts;
        mote_reader_u32(r, &lifetime);
        mote_reader_u32(r, &age_add);
        mote_reader_vec8(r, &nonce);
        mote_reader_vec16(r, &ticket);
        mote_reader_vec16(r, &exts);
        if (mote_reader_finish(r) || ticket.len == 0)
            return FAIL_DECODE(t, "NewSessionTicket");
        if (exts_framing(exts))
            return FAIL_DECODE(t, "NewSessionTicket extensions");
        if (lifetime > 604800)
            return fail(t, MOTE_TLS_ALERT_ILLEGAL_PARAMETER, MOTE_EPROTO,
                        "ticket lifetime over 7 days");
        if (lifetime == 0)
            return 0;
        /* The session: version, suite, PSK, lifetime, age_add, time, ticket. */
        uint8_t psk[MOTE_CRYPTO_HASH_MAX_LEN];
        if (tls_hkdf_expand_label(t->hash, t->res_master, t->hash_len, "resumption", nonce.ptr,
                                  nonce.len, psk, t->hash_len))
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_EPROTO, "key schedule failed");
        mote_buf_reset(&t->session);
        wb w = {&t->session, 0};
        w_u8(&w, 1);
        w_u16(&w, t->suite);
        w_u8(&w, (uint8_t)t->hash_len);
        w_bytes(&w, psk, t->hash_len);
        w_u16(&w, (uint16_t)(lifetime >> 16));
        w_u16(&w, (uint16_t)lifetime);
        w_u16(&w, (uint16_t)(age_add >> 16));
        w_u16(&w, (uint16_t)age_add);
        uint8_t ms[8];
        mote_store_be64(ms, (uint64_t)wall_ms(t->cfg));
        w_bytes(&w, ms, 8);
        size_t v = w_open(&w, 2);
        w_bytes(&w, ticket.ptr, ticket.len);
        w_close(&w, v, 2);
        mote_wipe(psk, sizeof(psk));
        t->have_session = w.err == 0;
        return 0;
    }
    return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                "unexpected handshake message %u after the handshake", type);
}

/* Processes every complete handshake message in hs_in. */
static int process_handshake(mote_tls *t)
{
    size_t off = 0;
    int rc = 0;
    while (t->hs_in.len - off >= 4 && t->state != MOTE_TLS_FAILED) {
        const uint8_t *p = t->hs_in.data + off;
        uint32_t len = mote_load_be24(p + 1);
        if (len > TLS_MAX_HS_MSG) {
            rc = fail(t, MOTE_TLS_ALERT_DECODE_ERROR, MOTE_ELIMIT, "handshake message of %u bytes",
                      len);
            break;
        }
        if (t->hs_in.len - off < 4 + (size_t)len)
            break;
        /* Copy the message out so handlers may check hs_in for leftovers. */
        size_t mlen = 4 + (size_t)len;
        uint8_t *msg = malloc(mlen);
        if (!msg) {
            rc = fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_ENOMEM, "out of memory");
            break;
        }
        memcpy(msg, p, mlen);
        off += mlen;
        mote_buf_consume(&t->hs_in, off);
        off = 0;
        mote_reader r;
        mote_reader_init(&r, msg + 4, len);
        if (t->hs == ST_DONE)
            rc = post_handshake(t, msg[0], &r);
        else if (t->server)
            rc = server_handle(t, msg[0], &r, msg, mlen);
        else
            rc = client_handle(t, msg[0], &r, msg, mlen);
        mote_wipe(msg, mlen);
        free(msg);
        if (t->hs == ST_DONE && t->hs_raw.cap)
            mote_buf_free(&t->hs_raw);
        if (rc)
            break;
    }
    if (t->state == MOTE_TLS_FAILED)
        return t->err;
    if (t->hs_in.len >= 4 && mote_load_be24(t->hs_in.data + 1) > TLS_MAX_HS_MSG)
        return fail(t, MOTE_TLS_ALERT_DECODE_ERROR, MOTE_ELIMIT, "handshake message too long");
    return rc;
}

/* ---- record layer: input ------------------------------------------------------ */

static int handle_alert(mote_tls *t, const uint8_t *p, size_t len)
{
    if (len != 2)
        return fail(t, MOTE_TLS_ALERT_DECODE_ERROR, MOTE_EPROTO, "alert of %zu bytes", len);
    if (p[1] == MOTE_TLS_ALERT_CLOSE_NOTIFY) {
        t->peer_closed = 1;
        if (t->state == MOTE_TLS_HANDSHAKING) {
            t->state = MOTE_TLS_FAILED;
            t->alert = 0;
            t->alert_received = 1;
            t->err = MOTE_ECONNRESET;
            set_reason(t, "peer closed during the handshake");
            return t->err;
        }
        t->state = t->we_closed ? MOTE_TLS_CLOSED : MOTE_TLS_CLOSING;
        return 0;
    }
    if (p[1] == MOTE_TLS_ALERT_USER_CANCELED || (t->v12 && p[0] == 1))
        return 0; /* warnings (TLS 1.2) */
    t->state = MOTE_TLS_FAILED;
    t->alert = p[1];
    t->alert_received = 1;
    t->err = MOTE_EPROTO;
    set_reason(t, "peer sent alert %s", mote_tls_alert_name(p[1]));
    mote_logf(t->cfg->log, MOTE_LOG_INFO, "tls", "%s", t->reason);
    return t->err;
}

static int handle_record(mote_tls *t, uint8_t type, uint8_t *hdr, uint8_t *body, size_t len)
{
    if (type == CT_CCS && t->v12) {
        /* TLS 1.2: the peer's keys start now, right before its Finished. */
        if (!t->ccs12 || t->rd.aead || len != 1 || body[0] != 1 || t->hs_in.len)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "unexpected change_cipher_spec");
        t->ccs12 = 0;
        if (set12_keys(t, &t->rd, !t->server))
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_EPROTO, "key setup failed");
        return 0;
    }
    if (t->v12 && t->rd.aead) {
        int gcm = t->aead_id != MOTE_CRYPTO_AEAD_CHACHA20_POLY1305;
        size_t ex = gcm ? 8 : 0;
        if (type < CT_ALERT || type > CT_APPDATA)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO, "record of type %u",
                        type);
        if (len < ex + MOTE_CRYPTO_AEAD_TAG_LEN)
            return fail(t, MOTE_TLS_ALERT_BAD_RECORD_MAC, MOTE_EVERIFY, "short record");
        if (t->rd.seq == UINT64_MAX)
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_ELIMIT, "sequence exhausted");
        size_t clen = len - ex - MOTE_CRYPTO_AEAD_TAG_LEN;
        if (clen > TLS_MAX_PLAIN || (t->rsl_agreed && clen > t->cfg->record_size_limit &&
                                     t->cfg->record_size_limit <= TLS_MAX_PLAIN))
            return fail(t, MOTE_TLS_ALERT_RECORD_OVERFLOW, MOTE_ELIMIT, "plaintext too long");
        uint8_t nonce[12], aad[13];
        if (gcm) {
            memcpy(nonce, t->rd.iv, 4);
            memcpy(nonce + 4, body, 8);
        } else {
            make_nonce(&t->rd, nonce);
        }
        mote_store_be64(aad, t->rd.seq);
        aad[8] = type;
        mote_store_be16(aad + 9, 0x0303);
        mote_store_be16(aad + 11, (uint16_t)clen);
        (void)hdr;
#ifdef MOTE_TLS_FUZZ_NOCRYPT
        if (!mote_ct_all_zero(body + ex + clen, MOTE_CRYPTO_AEAD_TAG_LEN))
#else
        if (mote_crypto_aead_open(t->rd.aead, nonce, 12, aad, 13, body + ex, clen,
                                  body + ex + clen))
#endif
            return fail(t, MOTE_TLS_ALERT_BAD_RECORD_MAC, MOTE_EVERIFY,
                        "record failed authentication");
        t->rd.seq++;
        body += ex;
        len = clen;
        if (type == CT_HANDSHAKE && len == 0)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "empty handshake record");
    } else if (type == CT_CCS) {
        if (!t->ccs_ok || t->state != MOTE_TLS_HANDSHAKING || len != 1 || body[0] != 1)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "unexpected change_cipher_spec");
        return 0;
    } else if (t->rd.aead) {
        if (type != CT_APPDATA)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "unprotected record of type %u", type);
        if (len < MOTE_CRYPTO_AEAD_TAG_LEN + 1)
            return fail(t, MOTE_TLS_ALERT_BAD_RECORD_MAC, MOTE_EVERIFY, "short record");
        if (t->rd.seq == UINT64_MAX)
            return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_ELIMIT, "sequence exhausted");
        uint8_t nonce[12];
        make_nonce(&t->rd, nonce);
        size_t clen = len - MOTE_CRYPTO_AEAD_TAG_LEN;
#ifdef MOTE_TLS_FUZZ_NOCRYPT
        (void)hdr;
        if (!mote_ct_all_zero(body + clen, MOTE_CRYPTO_AEAD_TAG_LEN))
#else
        if (mote_crypto_aead_open(t->rd.aead, nonce, 12, hdr, 5, body, clen, body + clen))
#endif
            return fail(t, MOTE_TLS_ALERT_BAD_RECORD_MAC, MOTE_EVERIFY,
                        "record failed authentication");
        t->rd.seq++;
        if (t->rsl_agreed && clen > t->cfg->record_size_limit)
            return fail(t, MOTE_TLS_ALERT_RECORD_OVERFLOW, MOTE_ELIMIT,
                        "record of %zu bytes over our record_size_limit", clen);
        size_t n = clen;
        while (n > 0 && body[n - 1] == 0)
            n--;
        if (n == 0)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "record with no content type");
        type = body[n - 1];
        len = n - 1;
        if (len > TLS_MAX_PLAIN)
            return fail(t, MOTE_TLS_ALERT_RECORD_OVERFLOW, MOTE_ELIMIT, "plaintext too long");
    } else if (type == CT_APPDATA) {
        return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                    "application data before keys");
    }
    if (t->hs_in.len && type != CT_HANDSHAKE)
        return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                    "record interleaved with a fragmented handshake message");
    switch (type) {
    case CT_ALERT:
        return handle_alert(t, body, len);
    case CT_HANDSHAKE:
        if (len == 0)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "empty handshake record");
        if (t->peer_closed)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "data after close_notify");
        if (mote_buf_append(&t->hs_in, body, len))
            return fail(t, MOTE_TLS_ALERT_DECODE_ERROR, MOTE_ELIMIT, "handshake message too long");
        return process_handshake(t);
    case CT_APPDATA:
        if (!t->rd_app)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "application data during the handshake");
        if (t->peer_closed)
            return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                        "data after close_notify");
        if (len) {
            /* The plaintext stays where it was decrypted, in `in`; the
             * ring has room (feed starts no record when it is full). */
            unsigned i = (t->rx_first + t->rx_count) % TLS_RX_RUNS;
            t->rx[i].off = (uint32_t)(body - t->in.data);
            t->rx[i].len = (uint32_t)len;
            t->rx_count++;
            t->rx_pending += len;
        }
        return 0;
    default:
        return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO, "record of type %u", type);
    }
}

/* Drops the spent bytes at the front of `in` once nothing needs them:
 * everything read and no record begun sets it back to empty (no copy). */
static void in_settle(mote_tls *t)
{
    t->rx_head = t->rx_count ? t->rx[t->rx_first].off : t->rec_at;
    if (t->rx_head == t->in.len) {
        t->in.len = 0;
        t->rec_at = 0;
        t->rx_head = 0;
    }
}

/* Makes room in `in` for the record being assembled to reach `need`
 * bytes: moves what is still needed to the front when spent bytes lie
 * before it, and grows the buffer only when that is not enough. */
static int in_room(mote_tls *t, size_t need)
{
    size_t end = t->rec_at + need;
    if (end < t->in.cap)
        return 0;
    size_t shift = t->rx_head;
    if (shift) {
        memmove(t->in.data, t->in.data + shift, t->in.len - shift);
        t->in.len -= shift;
        t->rec_at -= shift;
        t->rx_head = 0;
        for (unsigned k = 0; k < t->rx_count; k++)
            t->rx[(t->rx_first + k) % TLS_RX_RUNS].off -= (uint32_t)shift;
        end -= shift;
        if (end < t->in.cap)
            return 0;
    }
    return mote_buf_reserve(&t->in, end - t->in.len);
}

int mote_tls_feed(mote_tls *t, const uint8_t *data, size_t len, size_t *used)
{
    size_t dummy;
    if (!used)
        used = &dummy;
    *used = 0;
    if (!t || (!data && len))
        return MOTE_EINVAL;
    if (t->state == MOTE_TLS_FAILED)
        return t->err;
    if (t->state == MOTE_TLS_CLOSED || t->peer_closed)
        return len ? MOTE_ECLOSED : 0;
    for (;;) {
        size_t have = t->in.len - t->rec_at;
        /* A new record is begun only while the reader keeps up: at most
         * TLS_APP_IN_MAX bytes unread or held, and a free slot for it. */
        if (have == 0 && (t->rx_pending >= TLS_APP_IN_MAX || t->rx_count == TLS_RX_RUNS ||
                          t->in.len - t->rx_head >= TLS_APP_IN_MAX))
            return 0;
        size_t need = have < 5 ? 5 : 5 + (size_t)mote_load_be16(t->in.data + t->rec_at + 3);
        if (have < need) {
            size_t take = need - have;
            if (take > len - *used)
                take = len - *used;
            if (take == 0)
                break;
            if (in_room(t, need))
                return fail(t, MOTE_TLS_ALERT_INTERNAL_ERROR, MOTE_ENOMEM, "out of memory");
            memcpy(t->in.data + t->in.len, data + *used, take);
            t->in.len += take;
            *used += take;
            if (have + take < need)
                break;
            if (need == 5) {
                const uint8_t *rec = t->in.data + t->rec_at;
                uint8_t type = rec[0];
                size_t rlen = mote_load_be16(rec + 3);
                if (type < CT_CCS || type > CT_APPDATA)
                    return fail(t, MOTE_TLS_ALERT_UNEXPECTED_MESSAGE, MOTE_EPROTO,
                                "record of unknown type %u", type);
                if (rec[1] != 3)
                    return fail(t, MOTE_TLS_ALERT_PROTOCOL_VERSION, MOTE_EPROTO,
                                "record version 0x%02x%02x", rec[1], rec[2]);
                if (rlen > (t->rd.aead ? TLS_MAX_CIPHER : TLS_MAX_PLAIN))
                    return fail(t, MOTE_TLS_ALERT_RECORD_OVERFLOW, MOTE_ELIMIT,
                                "record of %zu bytes", rlen);
                continue;
            }
        }
        uint8_t *rec = t->in.data + t->rec_at;
        size_t rlen = (size_t)mote_load_be16(rec + 3);
        t->rec_at += 5 + rlen;
        int rc = handle_record(t, rec[0], rec, rec + 5, rlen);
        in_settle(t);
        if (rc)
            return t->state == MOTE_TLS_FAILED ? t->err : rc;
        if (t->peer_closed)
            break;
    }
    return 0;
}

/* ---- application interface ---------------------------------------------------- */

mote_slice mote_tls_out(const mote_tls *t)
{
    if (!t || t->out.len == t->out_off)
        return mote_slice_make(NULL, 0);
    return mote_slice_make(t->out.data + t->out_off, t->out.len - t->out_off);
}

void mote_tls_out_consume(mote_tls *t, size_t n)
{
    if (!t)
        return;
    size_t left = t->out.len - t->out_off;
    if (n >= left) {
        t->out.len = 0;
        t->out_off = 0;
        return;
    }
    t->out_off += n;
    /* Partly taken: keep an offset, and move the rest to the front only
     * once it is no longer than what was taken (each byte moves at most
     * about once). */
    if (t->out_off >= left - n) {
        memmove(t->out.data, t->out.data + t->out_off, left - n);
        t->out.len = left - n;
        t->out_off = 0;
    }
}

static int read_status(const mote_tls *t)
{
    if (t->state == MOTE_TLS_FAILED)
        return t->err;
    if (t->peer_closed)
        return MOTE_ECLOSED;
    return MOTE_EAGAIN;
}

int mote_tls_read_view(mote_tls *t, mote_slice *view)
{
    if (view)
        *view = mote_slice_make(NULL, 0);
    if (!t || !view)
        return MOTE_EINVAL;
    if (!t->rx_count)
        return read_status(t);
    *view = mote_slice_make(t->in.data + t->rx[t->rx_first].off, t->rx[t->rx_first].len);
    return 0;
}

void mote_tls_read_consume(mote_tls *t, size_t n)
{
    if (!t)
        return;
    while (n && t->rx_count) {
        uint32_t k = t->rx[t->rx_first].len;
        uint32_t m = n < k ? (uint32_t)n : k;
        t->rx[t->rx_first].off += m;
        t->rx[t->rx_first].len -= m;
        t->rx_pending -= m;
        n -= m;
        if (t->rx[t->rx_first].len == 0) {
            t->rx_first = (t->rx_first + 1) % TLS_RX_RUNS;
            t->rx_count--;
        }
    }
    in_settle(t);
}

int mote_tls_read(mote_tls *t, void *buf, size_t cap, size_t *got)
{
    *got = 0;
    if (!t || (!buf && cap))
        return MOTE_EINVAL;
    if (!t->rx_count)
        return read_status(t);
    uint8_t *p = buf;
    size_t n = 0;
    for (unsigned k = 0; k < t->rx_count && n < cap; k++) {
        unsigned i = (t->rx_first + k) % TLS_RX_RUNS;
        size_t m = t->rx[i].len < cap - n ? t->rx[i].len : cap - n;
        memcpy(p + n, t->in.data + t->rx[i].off, m);
        n += m;
    }
    mote_tls_read_consume(t, n);
    *got = n;
    return 0;
}

size_t mote_tls_readable(const mote_tls *t)
{
    return t ? t->rx_pending : 0;
}

int mote_tls_write(mote_tls *t, const void *data, size_t len)
{
    if (!t || (!data && len))
        return MOTE_EINVAL;
    if (t->state == MOTE_TLS_FAILED)
        return t->err;
    if (t->we_closed || t->state == MOTE_TLS_CLOSED)
        return MOTE_ECLOSED;
    if (len == 0)
        return 0;
    if (t->state == MOTE_TLS_HANDSHAKING)
        return mote_buf_append(&t->early_out, data, len);
    return emit(t, CT_APPDATA, data, len);
}

int mote_tls_close(mote_tls *t)
{
    if (!t)
        return MOTE_EINVAL;
    if (t->state == MOTE_TLS_FAILED)
        return t->err;
    if (t->we_closed)
        return 0;
    if (t->state == MOTE_TLS_HANDSHAKING) {
        /* Abort: user_canceled would be polite, but an abort mid-handshake
         * is simply a close_notify and the end. */
        t->we_closed = 1;
        uint8_t a[2] = {1, 0};
        emit(t, CT_ALERT, a, 2);
        t->state = MOTE_TLS_CLOSED;
        return 0;
    }
    int rc = flush_early(t);
    uint8_t a[2] = {1, MOTE_TLS_ALERT_CLOSE_NOTIFY};
    if (!rc)
        rc = emit(t, CT_ALERT, a, 2);
    t->we_closed = 1;
    t->state = t->peer_closed ? MOTE_TLS_CLOSED : MOTE_TLS_CLOSING;
    return rc;
}

int mote_tls_key_update(mote_tls *t, int request_peer)
{
    if (!t)
        return MOTE_EINVAL;
    if (t->v12 || (t->state != MOTE_TLS_OPEN && !(t->state == MOTE_TLS_CLOSING && !t->we_closed)))
        return MOTE_ESTATE;
    uint8_t body = request_peer ? 1 : 0;
    uint8_t msg[5] = {HS_KEY_UPDATE, 0, 0, 1, body};
    int rc = emit(t, CT_HANDSHAKE, msg, 5);
    if (!rc)
        rc = next_traffic_secret(t, &t->wr);
    return rc;
}

int mote_tls_state(const mote_tls *t)
{
    return t ? t->state : MOTE_TLS_FAILED;
}

int mote_tls_alert(const mote_tls *t, int *received)
{
    if (received)
        *received = t ? t->alert_received : 0;
    return t ? t->alert : -1;
}

int mote_tls_error(const mote_tls *t)
{
    return t ? t->err : MOTE_EINVAL;
}

const char *mote_tls_reason(const mote_tls *t)
{
    return t ? t->reason : "";
}

uint16_t mote_tls_version(const mote_tls *t)
{
    return t ? t->version : 0;
}
uint16_t mote_tls_suite(const mote_tls *t)
{
    return t ? t->suite : 0;
}
uint16_t mote_tls_group(const mote_tls *t)
{
    return t ? t->group : 0;
}
uint16_t mote_tls_sigalg(const mote_tls *t)
{
    return t ? t->sigalg : 0;
}
const char *mote_tls_alpn(const mote_tls *t)
{
    return t && t->have_alpn ? t->alpn : NULL;
}
const char *mote_tls_server_name(const mote_tls *t)
{
    return t ? t->sni : NULL;
}
int mote_tls_did_hrr(const mote_tls *t)
{
    return t ? t->hrr : 0;
}
size_t mote_tls_peer_cert_count(const mote_tls *t)
{
    return t ? t->n_peer : 0;
}
mote_slice mote_tls_peer_cert(const mote_tls *t, size_t i)
{
    if (!t || i >= t->n_peer)
        return mote_slice_make(NULL, 0);
    return mote_slice_make(t->peer_chain.data + t->peer_off[i], t->peer_len[i]);
}
unsigned mote_tls_key_updates_received(const mote_tls *t)
{
    return t ? t->ku_recv : 0;
}

int mote_tls_session_save(const mote_tls *t, mote_buf *out)
{
    if (!t || !out)
        return MOTE_EINVAL;
    if (!t->have_session)
        return MOTE_ENOTFOUND;
    return mote_buf_append(out, t->session.data, t->session.len);
}

int mote_tls_resumed(const mote_tls *t)
{
    return t ? t->resumed : 0;
}

mote_tls *mote_tls_client_new_resume(const mote_tls_config *cfg, const char *server_name,
                                     const uint8_t *session, size_t len, int *err)
{
    int e = 0;
    if (!err)
        err = &e;
    if (!cfg || !session) {
        *err = MOTE_EINVAL;
        return NULL;
    }
    mote_reader r;
    uint8_t ver, hl;
    uint16_t suite;
    uint32_t lifetime, age_add;
    uint64_t ms;
    mote_slice psk, ticket;
    if (len && session[0] == 2) {
        /* A TLS 1.2 session: suite, master secret, lifetime, time, ticket. */
        mote_slice master;
        mote_reader_init(&r, session + 1, len - 1);
        mote_reader_u16(&r, &suite);
        mote_reader_bytes(&r, 48, &master);
        mote_reader_u32(&r, &lifetime);
        mote_reader_u64(&r, &ms);
        mote_reader_vec16(&r, &ticket);
        if (mote_reader_finish(&r) || !tls_suite12_auth(suite) || ticket.len == 0) {
            *err = MOTE_EDECODE;
            return NULL;
        }
        int64_t age12 = wall_ms(cfg) - (int64_t)ms;
        if (age12 < 0 || age12 > (int64_t)lifetime * 1000) {
            *err = MOTE_ETIMEDOUT;
            return NULL;
        }
        mote_tls *t = tls_alloc(cfg, 0, err);
        if (!t)
            return NULL;
        memcpy(t->master, master.ptr, 48);
        t->psk_suite = suite;
        t->offer12 = 1;
        if (mote_buf_append(&t->ticket, ticket.ptr, ticket.len)) {
            mote_tls_free(t);
            *err = MOTE_ENOMEM;
            return NULL;
        }
        return client_start(t, server_name, err);
    }
    mote_reader_init(&r, session, len);
    mote_reader_u8(&r, &ver);
    mote_reader_u16(&r, &suite);
    mote_reader_u8(&r, &hl);
    mote_reader_bytes(&r, hl, &psk);
    mote_reader_u32(&r, &lifetime);
    mote_reader_u32(&r, &age_add);
    mote_reader_u64(&r, &ms);
    mote_reader_vec16(&r, &ticket);
    mote_crypto_hash_id h;
    mote_crypto_aead_id a;
    if (mote_reader_finish(&r) || ver != 1 || suite_params(suite, &h, &a) ||
        hl != mote_crypto_hash_len(h) || ticket.len == 0) {
        *err = MOTE_EDECODE;
        return NULL;
    }
    int64_t age = wall_ms(cfg) - (int64_t)ms;
    if (age < 0 || age > (int64_t)lifetime * 1000) {
        *err = MOTE_ETIMEDOUT;
        return NULL;
    }
    mote_tls *t = tls_alloc(cfg, 0, err);
    if (!t)
        return NULL;
    memcpy(t->psk, psk.ptr, hl);
    t->psk_suite = suite;
    t->ticket_age_add = age_add;
    t->ticket_lifetime = lifetime;
    t->ticket_ms = (int64_t)ms;
    if (mote_buf_append(&t->ticket, ticket.ptr, ticket.len)) {
        mote_tls_free(t);
        *err = MOTE_ENOMEM;
        return NULL;
    }
    t->offer_psk = 1;
    return client_start(t, server_name, err);
}
