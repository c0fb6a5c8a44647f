/* test_tls.c - libmote-tls mote against mote, in memory: every suite, group
 * and certificate type; HelloRetryRequest; ALPN; SNI; verifiers; client
 * certificates; KeyUpdate; close_notify; and hostile input answered with
 * the alert RFC 8446 names. Certificates come from the openssl command. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs.h"
#include "mote/sim.h"
#include "mote/tls.h"
#include "mote/x509.h"
#include "tls_internal.h"

static tc_cert c_ed, c_p256, c_p384, c_rsa, c_other, c_alt, c_dual_ec, c_dual_rsa;
static int have_certs;

typedef struct pair {
    mote_seeded_rng rng;
    mote_tls_config *ccfg, *scfg;
    mote_tls *c, *s;
} pair;

static void pair_init(pair *p, const tc_cert *cert)
{
    int err = 0;
    memset(p, 0, sizeof(*p));
    mote_seeded_rng_init(&p->rng, 42);
    p->ccfg = mote_tls_config_new(&p->rng.rng, &err);
    p->scfg = mote_tls_config_new(&p->rng.rng, &err);
    ck_assert_ptr_nonnull(p->ccfg);
    ck_assert_ptr_nonnull(p->scfg);
    if (cert) {
        ck_assert_int_eq(mote_tls_config_add_cert_pem(p->scfg, cert->cert_pem, cert->cert_len,
                                                      cert->key_pem, cert->key_len, NULL),
                         0);
        size_t n = 0;
        ck_assert_int_eq(mote_tls_config_add_pins_pem(p->ccfg, cert->cert_pem, cert->cert_len, &n),
                         0);
        ck_assert_uint_eq(n, 1);
    }
}

static void pair_start(pair *p, const char *sni)
{
    int err = 0;
    p->c = mote_tls_client_new(p->ccfg, sni, &err);
    ck_assert_int_eq(err, 0);
    p->s = mote_tls_server_new(p->scfg, &err);
    ck_assert_int_eq(err, 0);
}

static void pair_free(pair *p)
{
    mote_tls_free(p->c);
    mote_tls_free(p->s);
    mote_tls_config_free(p->ccfg);
    mote_tls_config_free(p->scfg);
}

/* Moves one side's output into the other; returns bytes moved. */
static size_t move(mote_tls *from, mote_tls *to)
{
    mote_slice o = mote_tls_out(from);
    size_t moved = 0;
    while (o.len) {
        size_t used = 0;
        int rc = mote_tls_feed(to, o.ptr, o.len, &used);
        moved += used;
        mote_tls_out_consume(from, used);
        if (rc || used == 0)
            break;
        o = mote_tls_out(from);
    }
    return moved;
}

static void pump(pair *p)
{
    for (int i = 0; i < 50; i++) {
        size_t a = move(p->c, p->s);
        size_t b = move(p->s, p->c);
        if (!a && !b)
            break;
    }
}

static void expect_echo(pair *p, const char *msg)
{
    char buf[256];
    size_t got = 0;
    ck_assert_int_eq(mote_tls_write(p->c, msg, strlen(msg)), 0);
    pump(p);
    ck_assert_int_eq(mote_tls_read(p->s, buf, sizeof(buf), &got), 0);
    ck_assert_uint_eq(got, strlen(msg));
    ck_assert(memcmp(buf, msg, got) == 0);
    ck_assert_int_eq(mote_tls_write(p->s, buf, got), 0);
    pump(p);
    ck_assert_int_eq(mote_tls_read(p->c, buf, sizeof(buf), &got), 0);
    ck_assert_uint_eq(got, strlen(msg));
    ck_assert(memcmp(buf, msg, got) == 0);
}

static void need_certs(void)
{
    if (!have_certs)
        ck_abort_msg("openssl could not make test certificates");
}

static int feed_bytes(mote_tls *t, const void *data, size_t len)
{
    size_t used;
    return mote_tls_feed(t, data, len, &used);
}

/* ---- handshakes ---- */

static const tc_cert *matrix_cert(int i)
{
    switch (i) {
    case 0:
        return &c_ed;
    case 1:
        return &c_p256;
    case 2:
        return &c_p384;
    default:
        return &c_rsa;
    }
}

START_TEST(t_matrix)
{
    need_certs();
    static const uint16_t suites[] = {MOTE_TLS_AES_128_GCM_SHA256, MOTE_TLS_AES_256_GCM_SHA384,
                                      MOTE_TLS_CHACHA20_POLY1305_SHA256};
    static const uint16_t groups[] = {MOTE_CRYPTO_GROUP_X25519, MOTE_CRYPTO_GROUP_P256,
                                      MOTE_CRYPTO_GROUP_P384, MOTE_CRYPTO_GROUP_X25519MLKEM768};
    static const uint16_t want_sig[] = {0x0807, 0x0403, 0x0503, 0x0804};
    int certi = _i / 12, suitei = (_i / 4) % 3, groupi = _i % 4;
    pair p;
    pair_init(&p, matrix_cert(certi));
    ck_assert_int_eq(mote_tls_config_set_suites(p.ccfg, &suites[suitei], 1), 0);
    ck_assert_int_eq(mote_tls_config_set_groups(p.ccfg, &groups[groupi], 1), 0);
    ck_assert_int_eq(mote_tls_config_set_groups(p.scfg, groups, 4), 0);
    pair_start(&p, "test.example");
    pump(&p);
    ck_assert_msg(mote_tls_state(p.c) == MOTE_TLS_OPEN, "client: %s / server: %s",
                  mote_tls_reason(p.c), mote_tls_reason(p.s));
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_OPEN);
    ck_assert_uint_eq(mote_tls_version(p.c), MOTE_TLS_VERSION_13);
    ck_assert_uint_eq(mote_tls_suite(p.c), suites[suitei]);
    ck_assert_uint_eq(mote_tls_suite(p.s), suites[suitei]);
    ck_assert_uint_eq(mote_tls_group(p.c), groups[groupi]);
    ck_assert_uint_eq(mote_tls_group(p.s), groups[groupi]);
    ck_assert_uint_eq(mote_tls_sigalg(p.c), want_sig[certi]);
    ck_assert_int_eq(mote_tls_did_hrr(p.c), 0);
    ck_assert_uint_eq(mote_tls_peer_cert_count(p.c), 1);
    ck_assert_str_eq(mote_tls_server_name(p.s), "test.example");
    expect_echo(&p, "hello over TLS 1.3");
    pair_free(&p);
}
END_TEST

START_TEST(t_hrr)
{
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    uint16_t sg = MOTE_CRYPTO_GROUP_P384;
    ck_assert_int_eq(mote_tls_config_set_groups(p.scfg, &sg, 1), 0);
    ck_assert_int_eq(mote_tls_config_set_groups_str(p.ccfg, "x25519,secp384r1"), 0);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_msg(mote_tls_state(p.c) == MOTE_TLS_OPEN, "%s / %s", mote_tls_reason(p.c),
                  mote_tls_reason(p.s));
    ck_assert_int_eq(mote_tls_did_hrr(p.c), 1);
    ck_assert_int_eq(mote_tls_did_hrr(p.s), 1);
    ck_assert_uint_eq(mote_tls_group(p.c), MOTE_CRYPTO_GROUP_P384);
    expect_echo(&p, "after a retry");
    pair_free(&p);
}
END_TEST

START_TEST(t_no_common_group)
{
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    uint16_t sg = MOTE_CRYPTO_GROUP_P384, cg = MOTE_CRYPTO_GROUP_X25519;
    mote_tls_config_set_groups(p.scfg, &sg, 1);
    mote_tls_config_set_groups(p.ccfg, &cg, 1);
    pair_start(&p, NULL);
    pump(&p);
    int recv = 0;
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_FAILED);
    ck_assert_int_eq(mote_tls_alert(p.s, &recv), MOTE_TLS_ALERT_HANDSHAKE_FAILURE);
    ck_assert_int_eq(recv, 0);
    ck_assert_int_eq(mote_tls_alert(p.c, &recv), MOTE_TLS_ALERT_HANDSHAKE_FAILURE);
    ck_assert_int_eq(recv, 1);
    pair_free(&p);
}
END_TEST

START_TEST(t_alpn)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    ck_assert_int_eq(mote_tls_config_set_alpn_str(p.ccfg, "h2,http/1.1"), 0);
    ck_assert_int_eq(mote_tls_config_set_alpn_str(p.scfg, "http/1.1"), 0);
    pair_start(&p, "a.test");
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_OPEN);
    ck_assert_str_eq(mote_tls_alpn(p.c), "http/1.1");
    ck_assert_str_eq(mote_tls_alpn(p.s), "http/1.1");
    pair_free(&p);

    pair_init(&p, &c_ed);
    mote_tls_config_set_alpn_str(p.ccfg, "h2");
    mote_tls_config_set_alpn_str(p.scfg, "http/1.1");
    pair_start(&p, "a.test");
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_FAILED);
    ck_assert_int_eq(mote_tls_alert(p.c, NULL), MOTE_TLS_ALERT_NO_APPLICATION_PROTOCOL);
    pair_free(&p);
}
END_TEST

START_TEST(t_sni)
{
    need_certs();
    pair p;
    pair_init(&p, NULL);
    ck_assert_int_eq(mote_tls_config_add_cert_pem(p.scfg, c_p256.cert_pem, c_p256.cert_len,
                                                  c_p256.key_pem, c_p256.key_len, NULL),
                     0);
    ck_assert_int_eq(mote_tls_config_add_cert_pem(p.scfg, c_alt.cert_pem, c_alt.cert_len,
                                                  c_alt.key_pem, c_alt.key_len,
                                                  "alt.test,*.alt.test"),
                     0);
    mote_tls_config_set_insecure(p.ccfg, 1);
    const char *names[] = {"alt.test", "www.alt.test", "other.test", NULL};
    const tc_cert *want[] = {&c_alt, &c_alt, &c_p256, &c_p256};
    for (int i = 0; i < 4; i++) {
        int err;
        p.c = mote_tls_client_new(p.ccfg, names[i], &err);
        p.s = mote_tls_server_new(p.scfg, &err);
        pump(&p);
        ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_OPEN);
        mote_slice leaf = mote_tls_peer_cert(p.c, 0);
        /* Compare with the DER of the expected certificate via a pin. */
        mote_tls_config *pin = mote_tls_config_new(&p.rng.rng, &err);
        mote_tls_config_add_pins_pem(pin, want[i]->cert_pem, want[i]->cert_len, NULL);
        mote_tls *probe = mote_tls_client_new(pin, NULL, &err);
        ck_assert_ptr_nonnull(probe);
        ck_assert_uint_gt(leaf.len, 0);
        mote_tls_free(probe);
        mote_tls_config_free(pin);
        ck_assert_uint_eq(mote_tls_sigalg(p.c), want[i] == &c_alt ? 0x0807 : 0x0403);
        mote_tls_free(p.c);
        mote_tls_free(p.s);
    }
    p.c = p.s = NULL;
    pair_free(&p);
}
END_TEST

/* ---- verification ---- */

START_TEST(t_pin_mismatch)
{
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    mote_tls_config_free(p.ccfg);
    int err;
    p.ccfg = mote_tls_config_new(&p.rng.rng, &err);
    mote_tls_config_add_pins_pem(p.ccfg, c_other.cert_pem, c_other.cert_len, NULL);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_FAILED);
    ck_assert_int_eq(mote_tls_error(p.c), MOTE_EVERIFY);
    int recv = 1;
    ck_assert_int_eq(mote_tls_alert(p.c, &recv), MOTE_TLS_ALERT_BAD_CERTIFICATE);
    ck_assert_int_eq(recv, 0);
    ck_assert_int_eq(mote_tls_alert(p.s, &recv), MOTE_TLS_ALERT_BAD_CERTIFICATE);
    ck_assert_int_eq(recv, 1);
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_FAILED);
    pair_free(&p);
}
END_TEST

START_TEST(t_no_verifier)
{
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    mote_tls_config_set_verifier(p.ccfg, NULL, NULL);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_FAILED);
    ck_assert_int_eq(mote_tls_error(p.c), MOTE_EVERIFY);
    ck_assert_int_eq(mote_tls_alert(p.c, NULL), MOTE_TLS_ALERT_CERTIFICATE_UNKNOWN);
    pair_free(&p);
}
END_TEST

static int expired_verifier(void *ctx, const mote_slice *chain, size_t n, const char *name,
                            uint8_t *alert)
{
    int *calls = ctx;
    (*calls)++;
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_gt(chain[0].len, 100);
    ck_assert_str_eq(name, "v.test");
    *alert = MOTE_TLS_ALERT_CERTIFICATE_EXPIRED;
    return MOTE_EVERIFY;
}

START_TEST(t_verifier_alert)
{
    need_certs();
    pair p;
    int calls = 0;
    pair_init(&p, &c_p256);
    mote_tls_config_set_verifier(p.ccfg, expired_verifier, &calls);
    pair_start(&p, "v.test");
    pump(&p);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_CERTIFICATE_EXPIRED);
    pair_free(&p);
}
END_TEST

START_TEST(t_key_mismatch)
{
    need_certs();
    int err;
    mote_seeded_rng rng;
    mote_seeded_rng_init(&rng, 1);
    mote_tls_config *cfg = mote_tls_config_new(&rng.rng, &err);
    ck_assert_int_eq(mote_tls_config_add_cert_pem(cfg, c_p256.cert_pem, c_p256.cert_len,
                                                  c_other.key_pem, c_other.key_len, NULL),
                     MOTE_EVERIFY);
    ck_assert_int_ne(
        mote_tls_config_add_cert_pem(cfg, "junk", 4, c_p256.key_pem, c_p256.key_len, NULL), 0);
    ck_assert_ptr_null(mote_tls_server_new(cfg, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    mote_tls_config_free(cfg);
}
END_TEST

START_TEST(t_client_auth)
{
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    /* The client presents c_ed; the server pins it. */
    ck_assert_int_eq(mote_tls_config_add_cert_pem(p.ccfg, c_ed.cert_pem, c_ed.cert_len,
                                                  c_ed.key_pem, c_ed.key_len, NULL),
                     0);
    mote_tls_config_set_client_auth(p.scfg, 2);
    mote_tls_config_add_pins_pem(p.scfg, c_ed.cert_pem, c_ed.cert_len, NULL);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_msg(mote_tls_state(p.s) == MOTE_TLS_OPEN, "%s / %s", mote_tls_reason(p.c),
                  mote_tls_reason(p.s));
    ck_assert_uint_eq(mote_tls_peer_cert_count(p.s), 1);
    expect_echo(&p, "mutual");
    pair_free(&p);

    /* Required but not sent: certificate_required. */
    pair_init(&p, &c_p256);
    mote_tls_config_set_client_auth(p.scfg, 2);
    mote_tls_config_add_pins_pem(p.scfg, c_ed.cert_pem, c_ed.cert_len, NULL);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_FAILED);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_CERTIFICATE_REQUIRED);
    pair_free(&p);
}
END_TEST

/* ---- after the handshake ---- */

START_TEST(t_key_update)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_OPEN);
    ck_assert_int_eq(mote_tls_key_update(p.c, 1), 0);
    expect_echo(&p, "after client update");
    ck_assert_uint_eq(mote_tls_key_updates_received(p.s), 1);
    ck_assert_uint_eq(mote_tls_key_updates_received(p.c), 1);
    ck_assert_int_eq(mote_tls_key_update(p.s, 0), 0);
    expect_echo(&p, "after server update");
    ck_assert_uint_eq(mote_tls_key_updates_received(p.c), 2);
    pair_free(&p);
}
END_TEST

START_TEST(t_close)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    pair_start(&p, NULL);
    ck_assert_int_eq(mote_tls_write(p.c, "early", 5), 0); /* held until open */
    pump(&p);
    char buf[16];
    size_t got;
    ck_assert_int_eq(mote_tls_read(p.s, buf, sizeof(buf), &got), 0);
    ck_assert_uint_eq(got, 5);
    ck_assert_int_eq(mote_tls_read(p.s, buf, sizeof(buf), &got), MOTE_EAGAIN);
    ck_assert_int_eq(mote_tls_write(p.c, "last", 4), 0);
    ck_assert_int_eq(mote_tls_close(p.c), 0);
    ck_assert_int_eq(mote_tls_write(p.c, "x", 1), MOTE_ECLOSED);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_CLOSING);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_CLOSING);
    ck_assert_int_eq(mote_tls_read(p.s, buf, sizeof(buf), &got), 0);
    ck_assert_uint_eq(got, 4);
    ck_assert_int_eq(mote_tls_read(p.s, buf, sizeof(buf), &got), MOTE_ECLOSED);
    /* Half-close: the server may still send. */
    ck_assert_int_eq(mote_tls_write(p.s, "bye", 3), 0);
    ck_assert_int_eq(mote_tls_close(p.s), 0);
    pump(&p);
    ck_assert_int_eq(mote_tls_read(p.c, buf, sizeof(buf), &got), 0);
    ck_assert_uint_eq(got, 3);
    ck_assert_int_eq(mote_tls_read(p.c, buf, sizeof(buf), &got), MOTE_ECLOSED);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_CLOSED);
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_CLOSED);
    pair_free(&p);
}
END_TEST

static size_t pad_to_256(void *ctx, uint8_t type, size_t len, size_t max)
{
    (void)ctx;
    (void)type;
    size_t want = (len + 255) / 256 * 256 - len;
    return want > max ? max : want;
}

START_TEST(t_bulk)
{
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    mote_tls_config_set_padding(p.ccfg, pad_to_256, NULL);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_OPEN);
    size_t total = 4u << 20, sent = 0, recvd = 0;
    uint8_t *chunk = malloc(100000), *buf = malloc(65536);
    uint64_t hs = 0, hr = 0;
    while (recvd < total) {
        if (sent < total) {
            size_t n = total - sent < 100000 ? total - sent : 100000;
            for (size_t i = 0; i < n; i++)
                chunk[i] = (uint8_t)((sent + i) * 2654435761u >> 13);
            for (size_t i = 0; i < n; i++)
                hs = hs * 31 + chunk[i];
            ck_assert_int_eq(mote_tls_write(p.c, chunk, n), 0);
            sent += n;
        }
        move(p.c, p.s);
        size_t got;
        while (mote_tls_read(p.s, buf, 65536, &got) == 0)
            for (size_t i = 0; i < got; i++, recvd++)
                hr = hr * 31 + buf[i];
    }
    ck_assert_uint_eq(recvd, total);
    ck_assert(hs == hr);
    free(chunk);
    free(buf);
    pair_free(&p);
}
END_TEST

/* ---- the record path: input buffering, views, output offsets ---- */

/* A deterministic byte stream: byte i of it. */
static uint8_t stream_byte(size_t i)
{
    return (uint8_t)((i * 2654435761u) >> 11);
}

static void fill_stream(uint8_t *p, size_t at, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = stream_byte(at + i);
}

/* An open TLS 1.3 (or 1.2) pair with the given suite. */
static void open_pair(pair *p, int tls12, uint16_t suite)
{
    pair_init(p, &c_p256);
    if (tls12)
        ck_assert_int_eq(
            mote_tls_config_set_versions(p->ccfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12), 0);
    if (suite)
        ck_assert_int_eq(mote_tls_config_set_suites(p->ccfg, &suite, 1), 0);
    pair_start(p, NULL);
    pump(p);
    ck_assert_int_eq(mote_tls_state(p->c), MOTE_TLS_OPEN);
    ck_assert_int_eq(mote_tls_state(p->s), MOTE_TLS_OPEN);
    ck_assert_uint_eq(mote_tls_version(p->c), tls12 ? MOTE_TLS_VERSION_12 : MOTE_TLS_VERSION_13);
}

/* Takes the client's whole output (the records to feed by hand). */
static mote_buf take_out(mote_tls *t)
{
    mote_buf b;
    mote_buf_init(&b, 0);
    mote_slice o = mote_tls_out(t);
    ck_assert_int_eq(mote_buf_append(&b, o.ptr, o.len), 0);
    mote_tls_out_consume(t, o.len);
    ck_assert_uint_eq(mote_tls_out(t).len, 0);
    return b;
}

/* Reads everything waiting, by views (consuming `step` bytes at a time,
 * 0 = whole views) or by mote_tls_read, checks it against the stream
 * from *at, and advances *at. */
static void drain_check(mote_tls *t, size_t *at, size_t step, int by_view)
{
    static uint8_t buf[70000];
    for (;;) {
        size_t before = mote_tls_readable(t);
        if (by_view) {
            mote_slice v;
            int rc = mote_tls_read_view(t, &v);
            if (rc) {
                ck_assert_int_eq(rc, MOTE_EAGAIN);
                ck_assert_uint_eq(before, 0);
                return;
            }
            ck_assert_uint_gt(v.len, 0);
            ck_assert_uint_le(v.len, before);
            size_t n = step && step < v.len ? step : v.len;
            for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(v.ptr[i], stream_byte(*at + i));
            mote_tls_read_consume(t, n);
            *at += n;
            ck_assert_uint_eq(mote_tls_readable(t), before - n);
        } else {
            size_t got = 0;
            size_t cap = step ? step : sizeof(buf);
            int rc = mote_tls_read(t, buf, cap, &got);
            if (rc) {
                ck_assert_int_eq(rc, MOTE_EAGAIN);
                ck_assert_uint_eq(before, 0);
                return;
            }
            ck_assert_uint_eq(got, before < cap ? before : cap);
            for (size_t i = 0; i < got; i++)
                ck_assert_uint_eq(buf[i], stream_byte(*at + i));
            *at += got;
        }
    }
}

/* Feeds wire[0..len) in pieces whose sizes come from `sizes` (cycled),
 * reading after each piece; feed may take less than offered (the reader
 * lags) and the rest is offered again. */
static void feed_pieces(mote_tls *t, const mote_buf *wire, const size_t *sizes, size_t n_sizes,
                        size_t *at, size_t step, int by_view)
{
    size_t off = 0, k = 0;
    while (off < wire->len) {
        size_t n = sizes[k++ % n_sizes];
        if (n > wire->len - off)
            n = wire->len - off;
        size_t used = 0;
        ck_assert_int_eq(mote_tls_feed(t, wire->data + off, n, &used), 0);
        ck_assert_uint_le(used, n);
        off += used;
        drain_check(t, at, step, by_view);
        if (used < n) {
            /* Refused only while data waited; now all is read. */
            size_t used2 = 0;
            ck_assert_int_eq(mote_tls_feed(t, wire->data + off, n - used, &used2), 0);
            ck_assert_uint_gt(used2, 0);
            off += used2;
            drain_check(t, at, step, by_view);
        }
    }
}

/* Records of many sizes (1 byte to two full records), split across feeds
 * in every way (byte by byte, a prime stride, across headers, whole),
 * read by copy and by view, whole and in small steps; TLS 1.3 and 1.2 and
 * each suite. */
START_TEST(t_rec_split)
{
    need_certs();
    static const uint16_t suites13[] = {MOTE_TLS_AES_128_GCM_SHA256, MOTE_TLS_AES_256_GCM_SHA384,
                                        MOTE_TLS_CHACHA20_POLY1305_SHA256};
    static const uint16_t suites12[] = {MOTE_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256,
                                        MOTE_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384,
                                        MOTE_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256};
    int tls12 = _i / 3;
    pair p;
    open_pair(&p, tls12, tls12 ? suites12[_i % 3] : suites13[_i % 3]);
    static const size_t lens[] = {1, 2, 100, 16383, 16384, 16385, 40000, 5, 32768, 7};
    static uint8_t data[40000];
    static const size_t whole[] = {1u << 20}, bytes[] = {1}, stride[] = {13},
                        hdr[] = {3, 4, 2, 1000, 5, 16401, 6}, mixed[] = {16406, 16300, 50000};
    static const struct {
        const size_t *sizes;
        size_t n;
    } splits[] = {{whole, 1}, {bytes, 1}, {stride, 1}, {hdr, 7}, {mixed, 3}};
    size_t sent = 0, at = 0;
    for (size_t sp = 0; sp < sizeof(splits) / sizeof(splits[0]); sp++) {
        for (int by_view = 0; by_view < 2; by_view++) {
            for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
                fill_stream(data, sent, lens[j]);
                ck_assert_int_eq(mote_tls_write(p.c, data, lens[j]), 0);
                sent += lens[j];
            }
            mote_buf wire = take_out(p.c);
            size_t step = sp == 2 ? 777 : 0;
            feed_pieces(p.s, &wire, splits[sp].sizes, splits[sp].n, &at, step, by_view);
            mote_buf_free(&wire);
            ck_assert_uint_eq(at, sent);
            ck_assert_uint_eq(mote_tls_readable(p.s), 0);
        }
    }
    expect_echo(&p, "after the splits");
    pair_free(&p);
}
END_TEST

/* Writes of 16384 and 16385 bytes: full 2^14-byte records (TLS 1.3:
 * 16384 + type + tag on the wire), the one byte over in a record of its
 * own; a 64 KiB write is four full records. */
START_TEST(t_rec_max_size)
{
    need_certs();
    pair p;
    open_pair(&p, 0, MOTE_TLS_AES_128_GCM_SHA256);
    static uint8_t data[65536];
    fill_stream(data, 0, sizeof(data));
    ck_assert_int_eq(mote_tls_write(p.c, data, 16384), 0);
    ck_assert_int_eq(mote_tls_write(p.c, data + 16384, 16385), 0);
    ck_assert_int_eq(mote_tls_write(p.c, data + 32769, 65536 - 32769), 0);
    mote_buf wire = take_out(p.c);
    size_t want[] = {16384, 16384, 1, 16384, 16383}, n = 0;
    for (size_t off = 0; off < wire.len; n++) {
        ck_assert_uint_lt(n, 5);
        ck_assert_uint_eq(wire.data[off], 23);
        ck_assert_uint_eq(mote_load_be16(wire.data + off + 3), want[n] + 1 + 16);
        off += 5 + mote_load_be16(wire.data + off + 3);
    }
    ck_assert_uint_eq(n, 5);
    size_t at = 0;
    static const size_t whole[] = {1u << 20};
    feed_pieces(p.s, &wire, whole, 1, &at, 0, 1);
    ck_assert_uint_eq(at, 65536);
    mote_buf_free(&wire);
    pair_free(&p);
}
END_TEST

/* Many records in one feed: feed takes them while the reader keeps up
 * (at most 32 records or 64 KiB wait), then takes nothing until they are
 * read; nothing is lost or reordered. */
START_TEST(t_rec_many_in_one_feed)
{
    need_certs();
    pair p;
    open_pair(&p, 0, MOTE_TLS_CHACHA20_POLY1305_SHA256);
    uint8_t data[10];
    size_t sent = 0;
    for (int i = 0; i < 100; i++) {
        fill_stream(data, sent, sizeof(data));
        ck_assert_int_eq(mote_tls_write(p.c, data, sizeof(data)), 0);
        sent += sizeof(data);
    }
    mote_buf wire = take_out(p.c);
    size_t rec = 5 + 10 + 1 + 16;
    ck_assert_uint_eq(wire.len, 100 * rec);
    size_t used = 0;
    ck_assert_int_eq(mote_tls_feed(p.s, wire.data, wire.len, &used), 0);
    ck_assert_uint_eq(used, 32 * rec);
    ck_assert_uint_eq(mote_tls_readable(p.s), 320);
    size_t used2 = 9;
    ck_assert_int_eq(mote_tls_feed(p.s, wire.data + used, wire.len - used, &used2), 0);
    ck_assert_uint_eq(used2, 0);
    /* Reading a part frees no slot; reading a whole record frees one. */
    size_t at = 0;
    mote_slice v;
    ck_assert_int_eq(mote_tls_read_view(p.s, &v), 0);
    ck_assert_uint_eq(v.len, 10);
    mote_tls_read_consume(p.s, 4);
    at = 4;
    ck_assert_int_eq(mote_tls_feed(p.s, wire.data + used, wire.len - used, &used2), 0);
    ck_assert_uint_eq(used2, 0);
    ck_assert_int_eq(mote_tls_read_view(p.s, &v), 0);
    ck_assert_uint_eq(v.len, 6);
    ck_assert_uint_eq(v.ptr[0], stream_byte(4));
    mote_tls_read_consume(p.s, 6);
    at = 10;
    ck_assert_int_eq(mote_tls_feed(p.s, wire.data + used, wire.len - used, &used2), 0);
    ck_assert_uint_eq(used2, rec);
    used += used2;
    /* A read across records gets them all at once. */
    static uint8_t buf[2000];
    size_t got = 0;
    ck_assert_int_eq(mote_tls_read(p.s, buf, sizeof(buf), &got), 0);
    ck_assert_uint_eq(got, 320);
    for (size_t i = 0; i < got; i++)
        ck_assert_uint_eq(buf[i], stream_byte(at + i));
    at += got;
    static const size_t whole[] = {1u << 20};
    mote_buf rest;
    mote_buf_init(&rest, 0);
    ck_assert_int_eq(mote_buf_append(&rest, wire.data + used, wire.len - used), 0);
    feed_pieces(p.s, &rest, whole, 1, &at, 3, 1);
    ck_assert_uint_eq(at, sent);
    mote_buf_free(&rest);
    mote_buf_free(&wire);
    pair_free(&p);
}
END_TEST

/* Full records: feed stops once 64 KiB wait, and takes the rest as they
 * are read. */
START_TEST(t_rec_backpressure)
{
    need_certs();
    pair p;
    open_pair(&p, 0, MOTE_TLS_AES_256_GCM_SHA384);
    static uint8_t data[200000];
    fill_stream(data, 0, sizeof(data));
    ck_assert_int_eq(mote_tls_write(p.c, data, sizeof(data)), 0);
    mote_buf wire = take_out(p.c);
    size_t used = 0;
    ck_assert_int_eq(mote_tls_feed(p.s, wire.data, wire.len, &used), 0);
    ck_assert_uint_lt(used, wire.len);
    ck_assert_uint_ge(mote_tls_readable(p.s), 65536);
    ck_assert_uint_le(mote_tls_readable(p.s), 65536 + 16384);
    size_t at = 0;
    drain_check(p.s, &at, 5000, 0);
    static const size_t whole[] = {1u << 20};
    mote_buf rest;
    mote_buf_init(&rest, 0);
    ck_assert_int_eq(mote_buf_append(&rest, wire.data + used, wire.len - used), 0);
    feed_pieces(p.s, &rest, whole, 1, &at, 0, 0);
    ck_assert_uint_eq(at, sizeof(data));
    mote_buf_free(&rest);
    mote_buf_free(&wire);
    pair_free(&p);
}
END_TEST

static size_t pad_all(void *ctx, uint8_t type, size_t len, size_t max)
{
    (void)ctx;
    (void)type;
    (void)len;
    return max;
}

/* Records padded to the limit (one byte of data each): what feed holds
 * is bounded by the records' size too, not only by the data in them;
 * the padding hook's records arrive intact. */
START_TEST(t_rec_padded)
{
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    mote_tls_config_set_padding(p.ccfg, pad_all, NULL);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_OPEN);
    uint8_t b;
    for (size_t i = 0; i < 20; i++) {
        b = stream_byte(i);
        ck_assert_int_eq(mote_tls_write(p.c, &b, 1), 0);
    }
    mote_buf wire = take_out(p.c);
    ck_assert_uint_eq(wire.len, 20 * (5 + 16384 + 1 + 16));
    size_t used = 0;
    ck_assert_int_eq(mote_tls_feed(p.s, wire.data, wire.len, &used), 0);
    ck_assert_uint_lt(used, wire.len);
    ck_assert_uint_le(used, 65536 + 2 * 16406);
    ck_assert_uint_le(mote_tls_readable(p.s), 5);
    size_t at = 0;
    static const size_t sizes[] = {9000, 1, 30000};
    mote_buf rest;
    mote_buf_init(&rest, 0);
    ck_assert_int_eq(mote_buf_append(&rest, wire.data + used, wire.len - used), 0);
    drain_check(p.s, &at, 0, 1);
    feed_pieces(p.s, &rest, sizes, 3, &at, 0, 1);
    ck_assert_uint_eq(at, 20);
    mote_buf_free(&rest);
    mote_buf_free(&wire);
    pair_free(&p);
}
END_TEST

/* KeyUpdate between data records, with data unread when it arrives and
 * the records fed in odd pieces: the data on both sides of it is read
 * back intact and the reply travels under the new keys. */
START_TEST(t_rec_key_update_mid)
{
    need_certs();
    pair p;
    open_pair(&p, 0, MOTE_TLS_AES_128_GCM_SHA256);
    static uint8_t data[30000];
    size_t sent = 0, at = 0;
    for (int round = 0; round < 3; round++) {
        fill_stream(data, sent, sizeof(data));
        ck_assert_int_eq(mote_tls_write(p.c, data, sizeof(data)), 0);
        sent += sizeof(data);
        ck_assert_int_eq(mote_tls_key_update(p.c, round == 1), 0);
        fill_stream(data, sent, 100);
        ck_assert_int_eq(mote_tls_write(p.c, data, 100), 0);
        sent += 100;
    }
    mote_buf wire = take_out(p.c);
    size_t used = 0;
    /* All of it in one feed first: everything fits (under 64 KiB per
     * record run), the KeyUpdates are taken with data unread. */
    ck_assert_int_eq(mote_tls_feed(p.s, wire.data, wire.len, &used), 0);
    ck_assert_uint_gt(used, 0);
    mote_buf rest;
    mote_buf_init(&rest, 0);
    ck_assert_int_eq(mote_buf_append(&rest, wire.data + used, wire.len - used), 0);
    static const size_t sizes[] = {7, 4096, 3};
    feed_pieces(p.s, &rest, sizes, 3, &at, 1000, 1);
    drain_check(p.s, &at, 0, 0);
    ck_assert_uint_eq(at, sent);
    ck_assert_uint_eq(mote_tls_key_updates_received(p.s), 3);
    pump(&p); /* the server's KeyUpdate answering update_requested */
    ck_assert_uint_eq(mote_tls_key_updates_received(p.c), 1);
    expect_echo(&p, "after three updates");
    mote_buf_free(&rest);
    mote_buf_free(&wire);
    pair_free(&p);
}
END_TEST

/* The output taken in small and odd pieces, with writes between: the
 * peer gets the same stream. */
START_TEST(t_rec_out_partial)
{
    need_certs();
    pair p;
    open_pair(&p, 0, MOTE_TLS_AES_128_GCM_SHA256);
    static uint8_t data[20000];
    size_t sent = 0, at = 0;
    static const size_t takes[] = {1, 7, 1000, 5, 16000, 3, 40000};
    for (size_t k = 0; k < 40; k++) {
        size_t n = 1 + (k * 4099) % sizeof(data);
        fill_stream(data, sent, n);
        ck_assert_int_eq(mote_tls_write(p.c, data, n), 0);
        sent += n;
        for (int j = 0; j < 3; j++) {
            mote_slice o = mote_tls_out(p.c);
            size_t t = takes[(k + (size_t)j) % 7] < o.len ? takes[(k + (size_t)j) % 7] : o.len;
            size_t off = 0;
            while (off < t) {
                size_t used = 0;
                ck_assert_int_eq(mote_tls_feed(p.s, o.ptr + off, t - off, &used), 0);
                off += used;
                drain_check(p.s, &at, 0, k & 1);
            }
            mote_tls_out_consume(p.c, t);
        }
    }
    move(p.c, p.s);
    drain_check(p.s, &at, 0, 0);
    ck_assert_uint_eq(at, sent);
    pair_free(&p);
}
END_TEST

/* The view's edges: NULL arguments, nothing waiting, consuming more than
 * is waiting, and close_notify after the last data. */
START_TEST(t_rec_view_api)
{
    need_certs();
    pair p;
    open_pair(&p, 0, 0);
    mote_slice v = mote_slice_make((const uint8_t *)"x", 1);
    ck_assert_int_eq(mote_tls_read_view(NULL, &v), MOTE_EINVAL);
    ck_assert_ptr_null(v.ptr);
    ck_assert_int_eq(mote_tls_read_view(p.s, NULL), MOTE_EINVAL);
    ck_assert_int_eq(mote_tls_read_view(p.s, &v), MOTE_EAGAIN);
    ck_assert_uint_eq(v.len, 0);
    mote_tls_read_consume(NULL, 5);
    mote_tls_read_consume(p.s, 5); /* nothing waiting: no effect */
    ck_assert_int_eq(mote_tls_write(p.c, "hello", 5), 0);
    ck_assert_int_eq(mote_tls_write(p.c, "world", 5), 0);
    ck_assert_int_eq(mote_tls_close(p.c), 0);
    pump(&p);
    ck_assert_uint_eq(mote_tls_readable(p.s), 10);
    ck_assert_int_eq(mote_tls_read_view(p.s, &v), 0);
    ck_assert_uint_eq(v.len, 5);
    ck_assert(memcmp(v.ptr, "hello", 5) == 0);
    mote_tls_read_consume(p.s, 0);
    ck_assert_uint_eq(mote_tls_readable(p.s), 10);
    mote_tls_read_consume(p.s, 7); /* across the two records */
    ck_assert_int_eq(mote_tls_read_view(p.s, &v), 0);
    ck_assert_uint_eq(v.len, 3);
    ck_assert(memcmp(v.ptr, "rld", 3) == 0);
    mote_tls_read_consume(p.s, 100);
    ck_assert_uint_eq(mote_tls_readable(p.s), 0);
    ck_assert_int_eq(mote_tls_read_view(p.s, &v), MOTE_ECLOSED);
    size_t got = 1;
    char buf[4];
    ck_assert_int_eq(mote_tls_read(p.s, buf, sizeof(buf), &got), MOTE_ECLOSED);
    ck_assert_uint_eq(got, 0);
    pair_free(&p);
}
END_TEST

/* record_size_limit: with the client's limit at 64 bytes a 5000-byte write
 * arrives as runs of at most 63 bytes (TLS 1.3 counts the content type),
 * all in one feed. */
START_TEST(t_rec_size_limit_runs)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    ck_assert_int_eq(mote_tls_config_set_record_size_limit(p.ccfg, 64), 0);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_OPEN);
    static uint8_t data[1500];
    fill_stream(data, 0, sizeof(data));
    ck_assert_int_eq(mote_tls_write(p.s, data, sizeof(data)), 0);
    mote_buf wire = take_out(p.s);
    size_t used = 0, at = 0;
    ck_assert_int_eq(mote_tls_feed(p.c, wire.data, wire.len, &used), 0);
    ck_assert_uint_eq(used, wire.len); /* 24 records: under the 32 slots */
    mote_slice v;
    size_t runs = 0;
    while (mote_tls_read_view(p.c, &v) == 0) {
        ck_assert_uint_le(v.len, 63);
        for (size_t i = 0; i < v.len; i++)
            ck_assert_uint_eq(v.ptr[i], stream_byte(at + i));
        at += v.len;
        mote_tls_read_consume(p.c, v.len);
        runs++;
    }
    ck_assert_uint_eq(at, sizeof(data));
    ck_assert_uint_eq(runs, (sizeof(data) + 62) / 63);
    mote_buf_free(&wire);
    pair_free(&p);
}
END_TEST

/* ---- hostile input ---- */

START_TEST(t_garbage)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    pair_start(&p, NULL);
    ck_assert_int_eq(feed_bytes(p.s, "GET / HTTP/1.1\r\n\r\n", 18), MOTE_EPROTO);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_UNEXPECTED_MESSAGE);
    /* The alert is in the output, in the clear. */
    mote_slice o = mote_tls_out(p.s);
    ck_assert_uint_eq(o.len, 7);
    ck_assert_uint_eq(o.ptr[0], 21);
    ck_assert_uint_eq(o.ptr[6], MOTE_TLS_ALERT_UNEXPECTED_MESSAGE);
    pair_free(&p);
}
END_TEST

START_TEST(t_record_overflow)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    pair_start(&p, NULL);
    uint8_t hdr[5] = {22, 3, 1, 0x40, 0x01}; /* 16385 bytes of plaintext */
    ck_assert_int_eq(feed_bytes(p.s, hdr, 5), MOTE_ELIMIT);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_RECORD_OVERFLOW);
    pair_free(&p);
}
END_TEST

START_TEST(t_ccs_first)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    pair_start(&p, NULL);
    uint8_t rec[6] = {20, 3, 3, 0, 1, 1};
    ck_assert_int_eq(feed_bytes(p.s, rec, 6), MOTE_EPROTO);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_UNEXPECTED_MESSAGE);
    pair_free(&p);
}
END_TEST

START_TEST(t_truncated_hello)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    pair_start(&p, NULL);
    /* Cut the ClientHello's last byte, fixing the record and handshake
     * lengths: the extension block no longer adds up. */
    mote_slice ch = mote_tls_out(p.c);
    uint8_t *m = malloc(ch.len);
    memcpy(m, ch.ptr, ch.len);
    size_t len = ch.len - 1;
    mote_store_be16(m + 3, (uint16_t)(len - 5));
    mote_store_be24(m + 6, (uint32_t)(len - 9));
    ck_assert_int_eq(feed_bytes(p.s, m, len), MOTE_EPROTO);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_DECODE_ERROR);
    free(m);
    pair_free(&p);
}
END_TEST

START_TEST(t_tampered_record)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_OPEN);
    ck_assert_int_eq(mote_tls_write(p.s, "secret", 6), 0);
    mote_slice o = mote_tls_out(p.s);
    uint8_t rec[64];
    ck_assert_uint_le(o.len, sizeof(rec));
    memcpy(rec, o.ptr, o.len);
    rec[7] ^= 1;
    ck_assert_int_eq(feed_bytes(p.c, rec, o.len), MOTE_EVERIFY);
    ck_assert_int_eq(mote_tls_alert(p.c, NULL), MOTE_TLS_ALERT_BAD_RECORD_MAC);
    size_t got;
    char buf[8];
    ck_assert_int_eq(mote_tls_read(p.c, buf, sizeof(buf), &got), MOTE_EVERIFY);
    pair_free(&p);
}
END_TEST

START_TEST(t_tls12_only_client)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    pair_start(&p, NULL);
    /* A TLS 1.2-only ClientHello: no supported_versions. */
    static const uint8_t ch[] = {22, 3,  1,  0,  47, 1,  0,  0,    43,   3,  3,  1,  2,
                                 3,  4,  5,  6,  7,  8,  9,  10,   11,   12, 13, 14, 15,
                                 16, 17, 18, 19, 20, 21, 22, 23,   24,   25, 26, 27, 28,
                                 29, 30, 31, 32, 0,  0,  2,  0xc0, 0x2f, 1,  0,  0,  0};
    /* TLS 1.2 is on, but this hello has neither renegotiation_info nor
     * extended_master_secret: handshake_failure. */
    ck_assert_int_eq(feed_bytes(p.s, ch, sizeof(ch)), MOTE_EUNSUPPORTED);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_HANDSHAKE_FAILURE);
    pair_free(&p);
    /* A TLS 1.3-only server: protocol_version. */
    pair_init(&p, &c_ed);
    ck_assert_int_eq(mote_tls_config_set_versions(p.scfg, MOTE_TLS_VERSION_13, MOTE_TLS_VERSION_13),
                     0);
    pair_start(&p, NULL);
    ck_assert_int_eq(feed_bytes(p.s, ch, sizeof(ch)), MOTE_EUNSUPPORTED);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_PROTOCOL_VERSION);
    pair_free(&p);
}
END_TEST

START_TEST(t_fragmented_bytes)
{
    /* Feed the whole handshake one byte at a time both ways. */
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    pair_start(&p, NULL);
    for (int round = 0; round < 10; round++) {
        mote_tls *from = round % 2 ? p.s : p.c, *to = round % 2 ? p.c : p.s;
        mote_slice o = mote_tls_out(from);
        for (size_t i = 0; i < o.len; i++)
            ck_assert_int_eq(feed_bytes(to, o.ptr + i, 1), 0);
        mote_tls_out_consume(from, o.len);
    }
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_OPEN);
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_OPEN);
    expect_echo(&p, "bytewise");
    pair_free(&p);
}
END_TEST

/* ---- RFC 8448 section 3 (simple 1-RTT handshake): the key schedule ---- */

static void expect_hex(const uint8_t *got, const char *hex)
{
    size_t n = 0;
    uint8_t *want = tu_unhex(hex, &n);
    ck_assert_ptr_nonnull(want);
    ck_assert_msg(memcmp(got, want, n) == 0, "mismatch for %s", hex);
    free(want);
}

START_TEST(t_rfc8448)
{
    size_t n;
    uint8_t *shared =
        tu_unhex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d", &n);
    uint8_t *th_sh =
        tu_unhex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8", &n);
    uint8_t *th_sfin =
        tu_unhex("9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13", &n);
    uint8_t hs[32], c_hs[32], s_hs[32], master[32], c_ap[32], s_ap[32], key[16], iv[12], fin[32];
    ck_assert_int_eq(
        tls_ks_handshake(MOTE_CRYPTO_HASH_SHA256, NULL, shared, 32, th_sh, hs, c_hs, s_hs, master),
        0);
    expect_hex(hs, "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac");
    expect_hex(c_hs, "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21");
    expect_hex(s_hs, "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
    expect_hex(master, "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919");
    ck_assert_int_eq(tls_ks_app(MOTE_CRYPTO_HASH_SHA256, master, th_sfin, c_ap, s_ap), 0);
    expect_hex(c_ap, "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5");
    expect_hex(s_ap, "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643");
    /* Record keys. */
    tls_hkdf_expand_label(MOTE_CRYPTO_HASH_SHA256, s_hs, 32, "key", NULL, 0, key, 16);
    tls_hkdf_expand_label(MOTE_CRYPTO_HASH_SHA256, s_hs, 32, "iv", NULL, 0, iv, 12);
    expect_hex(key, "3fce516009c21727d0f2e4e86ee403bc");
    expect_hex(iv, "5d313eb2671276ee13000b30");
    tls_hkdf_expand_label(MOTE_CRYPTO_HASH_SHA256, c_hs, 32, "key", NULL, 0, key, 16);
    tls_hkdf_expand_label(MOTE_CRYPTO_HASH_SHA256, c_hs, 32, "iv", NULL, 0, iv, 12);
    expect_hex(key, "dbfaa693d1762c5b666af5d950258d01");
    expect_hex(iv, "5bd3c71b836e0b76bb73265f");
    /* The client's Finished and its protected record (sequence 0). */
    ck_assert_int_eq(tls_ks_finished(MOTE_CRYPTO_HASH_SHA256, c_hs, th_sfin, fin), 0);
    expect_hex(fin, "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61");
    uint8_t rec[5 + 36 + 1 + 16] = {0x17, 0x03, 0x03, 0x00, 0x35, 0x14, 0x00, 0x00, 0x20};
    memcpy(rec + 9, fin, 32);
    rec[41] = 22;
    int err;
    mote_crypto_aead *a = mote_crypto_aead_new(MOTE_CRYPTO_AEAD_AES_128_GCM, key, 16, &err);
    ck_assert_int_eq(mote_crypto_aead_seal(a, iv, 12, rec, 5, rec + 5, 37, rec + 42), 0);
    mote_crypto_aead_free(a);
    expect_hex(rec, "170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f8033"
                    "8ac98fc46deb384bd1caeacab6867d726c40546");
    free(shared);
    free(th_sh);
    free(th_sfin);
}
END_TEST

/* ---- resumption with tickets ---- */

static void full_then_save(pair *p, mote_buf *sess)
{
    pair_start(p, "r.test");
    pump(p);
    ck_assert_int_eq(mote_tls_state(p->c), MOTE_TLS_OPEN);
    ck_assert_int_eq(mote_tls_resumed(p->c), 0);
    mote_buf_init(sess, 0);
    ck_assert_int_eq(mote_tls_session_save(p->c, sess), 0);
    mote_tls_free(p->c);
    mote_tls_free(p->s);
    p->c = p->s = NULL;
}

/* A session offered to a server with another ticket key is not resumed:
 * the handshake is a full one, with the server's certificate. */
static void expect_full_with_other_key(pair *p, const mote_buf *sess)
{
    int err;
    mote_tls_config *other = mote_tls_config_new(&p->rng.rng, &err);
    mote_tls_config_add_cert_pem(other, c_p256.cert_pem, c_p256.cert_len, c_p256.key_pem,
                                 c_p256.key_len, NULL);
    p->c = mote_tls_client_new_resume(p->ccfg, "r.test", sess->data, sess->len, &err);
    p->s = mote_tls_server_new(other, &err);
    pump(p);
    ck_assert_int_eq(mote_tls_state(p->c), MOTE_TLS_OPEN);
    ck_assert_int_eq(mote_tls_resumed(p->c), 0);
    ck_assert_uint_eq(mote_tls_peer_cert_count(p->c), 1);
    mote_tls_free(p->c);
    mote_tls_free(p->s);
    p->c = p->s = NULL;
    mote_tls_config_free(other);
}

START_TEST(t_resume)
{
    need_certs();
    pair p;
    mote_buf sess;
    int err;
    pair_init(&p, &c_p256);
    full_then_save(&p, &sess);
    p.c = mote_tls_client_new_resume(p.ccfg, "r.test", sess.data, sess.len, &err);
    ck_assert_int_eq(err, 0);
    p.s = mote_tls_server_new(p.scfg, &err);
    pump(&p);
    ck_assert_msg(mote_tls_state(p.c) == MOTE_TLS_OPEN, "%s / %s", mote_tls_reason(p.c),
                  mote_tls_reason(p.s));
    ck_assert_int_eq(mote_tls_resumed(p.c), 1);
    ck_assert_int_eq(mote_tls_resumed(p.s), 1);
    ck_assert_uint_eq(mote_tls_peer_cert_count(p.c), 0);
    expect_echo(&p, "resumed");
    mote_tls_free(p.c);
    mote_tls_free(p.s);

    /* Another server config (another ticket key): a full handshake. */
    expect_full_with_other_key(&p, &sess);

    /* A binder that does not match: decrypt_error. */
    p.c = mote_tls_client_new_resume(p.ccfg, "r.test", sess.data, sess.len, &err);
    p.s = mote_tls_server_new(p.scfg, &err);
    mote_slice ch = mote_tls_out(p.c);
    uint8_t *m = malloc(ch.len);
    memcpy(m, ch.ptr, ch.len);
    m[ch.len - 1] ^= 1;
    ck_assert_int_eq(feed_bytes(p.s, m, ch.len), MOTE_EVERIFY);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_DECRYPT_ERROR);
    free(m);
    mote_tls_free(p.c);
    mote_tls_free(p.s);
    p.c = p.s = NULL;

    /* Garbage sessions are refused before anything is sent. */
    ck_assert_ptr_null(mote_tls_client_new_resume(p.ccfg, NULL, sess.data, sess.len - 1, &err));
    ck_assert_int_eq(err, MOTE_EDECODE);
    mote_buf_free(&sess);
    pair_free(&p);
}
END_TEST

START_TEST(t_resume_hrr)
{
    need_certs();
    pair p;
    mote_buf sess;
    int err;
    pair_init(&p, &c_ed);
    mote_tls_config_set_groups_str(p.ccfg, "x25519,secp384r1");
    full_then_save(&p, &sess);
    mote_tls_config_set_groups_str(p.scfg, "secp384r1");
    p.c = mote_tls_client_new_resume(p.ccfg, "r.test", sess.data, sess.len, &err);
    p.s = mote_tls_server_new(p.scfg, &err);
    pump(&p);
    ck_assert_msg(mote_tls_state(p.c) == MOTE_TLS_OPEN, "%s / %s", mote_tls_reason(p.c),
                  mote_tls_reason(p.s));
    ck_assert_int_eq(mote_tls_did_hrr(p.c), 1);
    ck_assert_int_eq(mote_tls_resumed(p.c), 1);
    expect_echo(&p, "resumed after retry");
    mote_buf_free(&sess);
    pair_free(&p);
}
END_TEST

START_TEST(t_no_tickets)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    mote_tls_config_set_tickets(p.scfg, 0, 0);
    pair_start(&p, NULL);
    pump(&p);
    mote_buf b;
    mote_buf_init(&b, 0);
    ck_assert_int_eq(mote_tls_session_save(p.c, &b), MOTE_ENOTFOUND);
    pair_free(&p);
}
END_TEST

START_TEST(t_record_size_limit)
{
    need_certs();
    pair p;
    pair_init(&p, &c_ed);
    ck_assert_int_eq(mote_tls_config_set_record_size_limit(p.ccfg, 63), MOTE_ERANGE);
    ck_assert_int_eq(mote_tls_config_set_record_size_limit(p.ccfg, 256), 0);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_OPEN);
    static uint8_t big[4000], got_buf[4096];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7);
    ck_assert_int_eq(mote_tls_write(p.s, big, sizeof(big)), 0);
    /* Every record the server sends fits the client's limit. */
    mote_slice o = mote_tls_out(p.s);
    size_t records = 0;
    for (size_t off = 0; off < o.len; records++) {
        size_t rl = mote_load_be16(o.ptr + off + 3);
        ck_assert_uint_le(rl, 256 + 16);
        off += 5 + rl;
    }
    ck_assert_uint_ge(records, 16);
    pump(&p);
    size_t total = 0, got;
    while (mote_tls_read(p.c, got_buf + total, sizeof(got_buf) - total, &got) == 0)
        total += got;
    ck_assert_uint_eq(total, sizeof(big));
    ck_assert(memcmp(got_buf, big, sizeof(big)) == 0);
    expect_echo(&p, "small records");
    pair_free(&p);
}
END_TEST

/* record_size_limit in TLS 1.2 (RFC 8449): the mote server echoes its
 * own limit and both ends keep to the other's, counted without the
 * content type (a 256 limit allows 256 bytes, not 255). */
static size_t max_record12(mote_slice o, size_t *n)
{
    size_t most = 0;
    *n = 0;
    for (size_t off = 0; off < o.len; (*n)++) {
        size_t rl = mote_load_be16(o.ptr + off + 3);
        ck_assert_uint_ge(rl, 8 + 16);
        if (rl - 8 - 16 > most)
            most = rl - 8 - 16; /* explicit nonce and tag (GCM) */
        off += 5 + rl;
    }
    return most;
}

static int ch_find_ext(mote_slice rec, uint16_t type, mote_slice *ext, size_t *exts_at);

START_TEST(t_tls12_record_size_limit)
{
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    uint16_t suite = MOTE_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256;
    ck_assert_int_eq(mote_tls_config_set_versions(p.ccfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12),
                     0);
    ck_assert_int_eq(mote_tls_config_set_suites(p.ccfg, &suite, 1), 0);
    ck_assert_int_eq(mote_tls_config_set_record_size_limit(p.ccfg, 256), 0);
    ck_assert_int_eq(mote_tls_config_set_record_size_limit(p.scfg, 300), 0);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_OPEN);
    ck_assert_uint_eq(mote_tls_version(p.c), MOTE_TLS_VERSION_12);
    static uint8_t data[1000];
    fill_stream(data, 0, sizeof(data));
    size_t n = 0, at = 0;
    ck_assert_int_eq(mote_tls_write(p.s, data, sizeof(data)), 0);
    ck_assert_uint_eq(max_record12(mote_tls_out(p.s), &n), 256);
    ck_assert_uint_eq(n, 4);
    move(p.s, p.c);
    drain_check(p.c, &at, 0, 1);
    ck_assert_uint_eq(at, sizeof(data));
    ck_assert_int_eq(mote_tls_write(p.c, data, sizeof(data)), 0);
    ck_assert_uint_eq(max_record12(mote_tls_out(p.c), &n), 300);
    ck_assert_uint_eq(n, 4);
    at = 0;
    move(p.c, p.s);
    drain_check(p.s, &at, 0, 0);
    ck_assert_uint_eq(at, sizeof(data));
    pair_free(&p);
    /* The ClientHello's value: 2^14 + 1 when TLS 1.3 is offered, at most
     * 2^14 (the TLS 1.2 maximum, RFC 8449 section 4) when only 1.2 is. */
    mote_seeded_rng rng;
    mote_seeded_rng_init(&rng, 3);
    for (int only12 = 0; only12 < 2; only12++) {
        int err = 0;
        mote_tls_config *cfg = mote_tls_config_new(&rng.rng, &err);
        if (only12)
            ck_assert_int_eq(
                mote_tls_config_set_versions(cfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12), 0);
        mote_tls *c = mote_tls_client_new(cfg, NULL, &err);
        ck_assert_ptr_nonnull(c);
        mote_slice ext;
        ck_assert(ch_find_ext(mote_tls_out(c), 28, &ext, NULL));
        ck_assert_uint_eq(ext.len, 2);
        ck_assert_uint_eq(mote_load_be16(ext.ptr), only12 ? 16384 : 16385);
        mote_tls_free(c);
        mote_tls_config_free(cfg);
    }
    /* With the server's default limit (2^14 + 1 in TLS 1.3 terms) the
     * echo is 2^14: full records. */
    pair_init(&p, &c_p256);
    ck_assert_int_eq(mote_tls_config_set_versions(p.ccfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12),
                     0);
    ck_assert_int_eq(mote_tls_config_set_suites(p.ccfg, &suite, 1), 0);
    pair_start(&p, NULL);
    pump(&p);
    static uint8_t big[20000];
    fill_stream(big, 0, sizeof(big));
    ck_assert_int_eq(mote_tls_write(p.c, big, sizeof(big)), 0);
    ck_assert_uint_eq(max_record12(mote_tls_out(p.c), &n), 16384);
    at = 0;
    move(p.c, p.s);
    drain_check(p.s, &at, 0, 0);
    ck_assert_uint_eq(at, sizeof(big));
    pair_free(&p);
}
END_TEST

/* ---- TLS 1.2 ---- */

START_TEST(t_tls12_matrix)
{
    need_certs();
    static const uint16_t ec_suites[] = {MOTE_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256,
                                         MOTE_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384,
                                         MOTE_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256};
    static const uint16_t rsa_suites[] = {MOTE_TLS_ECDHE_RSA_AES_128_GCM_SHA256,
                                          MOTE_TLS_ECDHE_RSA_AES_256_GCM_SHA384,
                                          MOTE_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256};
    static const uint16_t groups[] = {MOTE_CRYPTO_GROUP_X25519, MOTE_CRYPTO_GROUP_P256,
                                      MOTE_CRYPTO_GROUP_P384};
    int certi = _i / 9, suitei = (_i / 3) % 3, groupi = _i % 3;
    const tc_cert *cert = matrix_cert(certi);
    uint16_t suite = certi == 3 ? rsa_suites[suitei] : ec_suites[suitei];
    pair p;
    pair_init(&p, cert);
    ck_assert_int_eq(mote_tls_config_set_versions(p.ccfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12),
                     0);
    ck_assert_int_eq(mote_tls_config_set_suites(p.ccfg, &suite, 1), 0);
    /* The client lists both NIST curves too (in TLS 1.2 they also bound
     * the ECDSA certificate's curve, RFC 8422); the server is held to the
     * group under test. */
    uint16_t cg[3] = {groups[groupi], 0, 0};
    size_t ncg = 1;
    for (int k = 1; k < 3; k++)
        if (groups[k] != groups[groupi])
            cg[ncg++] = groups[k];
    ck_assert_int_eq(mote_tls_config_set_groups(p.ccfg, cg, ncg), 0);
    ck_assert_int_eq(mote_tls_config_set_groups(p.scfg, &groups[groupi], 1), 0);
    mote_tls_config_set_alpn_str(p.ccfg, "http/1.1");
    mote_tls_config_set_alpn_str(p.scfg, "http/1.1");
    pair_start(&p, "t12.test");
    pump(&p);
    ck_assert_msg(mote_tls_state(p.c) == MOTE_TLS_OPEN, "client: %s / server: %s",
                  mote_tls_reason(p.c), mote_tls_reason(p.s));
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_OPEN);
    ck_assert_uint_eq(mote_tls_version(p.c), MOTE_TLS_VERSION_12);
    ck_assert_uint_eq(mote_tls_version(p.s), MOTE_TLS_VERSION_12);
    ck_assert_uint_eq(mote_tls_suite(p.c), suite);
    ck_assert_uint_eq(mote_tls_group(p.c), groups[groupi]);
    ck_assert_str_eq(mote_tls_alpn(p.c), "http/1.1");
    expect_echo(&p, "hello over TLS 1.2");
    ck_assert_int_eq(mote_tls_key_update(p.c, 0), MOTE_ESTATE);
    /* close_notify both ways */
    ck_assert_int_eq(mote_tls_close(p.c), 0);
    pump(&p);
    ck_assert_int_eq(mote_tls_close(p.s), 0);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_CLOSED);
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_CLOSED);
    pair_free(&p);
}
END_TEST

START_TEST(t_tls12_prefers_13)
{
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    pair_start(&p, NULL); /* both allow 1.2 and 1.3 */
    pump(&p);
    ck_assert_uint_eq(mote_tls_version(p.c), MOTE_TLS_VERSION_13);
    pair_free(&p);
    /* A 1.2-only server and a client that also does 1.3: 1.2 (such a
     * server sets no downgrade sentinel, as it cannot speak 1.3). */
    pair_init(&p, &c_p256);
    mote_tls_config_set_versions(p.scfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_msg(mote_tls_state(p.c) == MOTE_TLS_OPEN, "%s / %s", mote_tls_reason(p.c),
                  mote_tls_reason(p.s));
    ck_assert_uint_eq(mote_tls_version(p.c), MOTE_TLS_VERSION_12);
    pair_free(&p);
    /* A 1.3-only client against a 1.2-only server: protocol_version. */
    pair_init(&p, &c_p256);
    mote_tls_config_set_versions(p.scfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12);
    mote_tls_config_set_versions(p.ccfg, MOTE_TLS_VERSION_13, MOTE_TLS_VERSION_13);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_FAILED);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_PROTOCOL_VERSION);
    pair_free(&p);
}
END_TEST

START_TEST(t_tls12_tamper)
{
    need_certs();
    pair p;
    pair_init(&p, &c_p256);
    mote_tls_config_set_versions(p.ccfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.c), MOTE_TLS_OPEN);
    ck_assert_int_eq(mote_tls_write(p.s, "secret", 6), 0);
    mote_slice o = mote_tls_out(p.s);
    uint8_t rec[64];
    memcpy(rec, o.ptr, o.len);
    rec[o.len - 1] ^= 0x80;
    ck_assert_int_eq(feed_bytes(p.c, rec, o.len), MOTE_EVERIFY);
    ck_assert_int_eq(mote_tls_alert(p.c, NULL), MOTE_TLS_ALERT_BAD_RECORD_MAC);
    pair_free(&p);
}
END_TEST

START_TEST(t_prf12)
{
    /* TLS 1.2 PRF with SHA-256: the widely used test vector (secret
     * 9bbe436b..., label "test label"). */
    size_t n;
    uint8_t *secret = tu_unhex("9bbe436ba940f017b17652849a71db35", &n);
    uint8_t *seed = tu_unhex("a0ba9f936cda311827a6f796ffd5198c", &n);
    uint8_t out[100];
    ck_assert_int_eq(
        tls_prf12(MOTE_CRYPTO_HASH_SHA256, secret, 16, "test label", seed, 16, out, 100), 0);
    expect_hex(out, "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35"
                    "c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f79"
                    "6789baa48082d122ee42c5a72e5a5110fff70187347b66");
    free(secret);
    free(seed);
}
END_TEST

START_TEST(t_tls12_client_auth)
{
    need_certs();
    for (int k = 0; k < 2; k++) {
        const tc_cert *mine = k ? &c_rsa : &c_p256;
        pair p;
        pair_init(&p, &c_p384);
        mote_tls_config_set_versions(p.ccfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12);
        ck_assert_int_eq(mote_tls_config_add_cert_pem(p.ccfg, mine->cert_pem, mine->cert_len,
                                                      mine->key_pem, mine->key_len, NULL),
                         0);
        mote_tls_config_set_client_auth(p.scfg, 2);
        mote_tls_config_add_pins_pem(p.scfg, mine->cert_pem, mine->cert_len, NULL);
        pair_start(&p, NULL);
        pump(&p);
        ck_assert_msg(mote_tls_state(p.s) == MOTE_TLS_OPEN, "%s / %s", mote_tls_reason(p.c),
                      mote_tls_reason(p.s));
        ck_assert_uint_eq(mote_tls_version(p.s), MOTE_TLS_VERSION_12);
        ck_assert_uint_eq(mote_tls_peer_cert_count(p.s), 1);
        expect_echo(&p, "mutual 1.2");
        pair_free(&p);
    }
    /* Required but not sent: handshake_failure (the TLS 1.2 alert). */
    pair p;
    pair_init(&p, &c_p256);
    mote_tls_config_set_versions(p.ccfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12);
    mote_tls_config_set_client_auth(p.scfg, 2);
    mote_tls_config_add_pins_pem(p.scfg, c_ed.cert_pem, c_ed.cert_len, NULL);
    pair_start(&p, NULL);
    pump(&p);
    ck_assert_int_eq(mote_tls_state(p.s), MOTE_TLS_FAILED);
    ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_HANDSHAKE_FAILURE);
    pair_free(&p);
}
END_TEST

START_TEST(t_tls12_resume)
{
    need_certs();
    pair p;
    mote_buf sess;
    int err;
    pair_init(&p, &c_p256);
    mote_tls_config_set_versions(p.ccfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12);
    full_then_save(&p, &sess);
    ck_assert_uint_eq(sess.data[0], 2); /* a TLS 1.2 session */
    p.c = mote_tls_client_new_resume(p.ccfg, "r.test", sess.data, sess.len, &err);
    ck_assert_int_eq(err, 0);
    p.s = mote_tls_server_new(p.scfg, &err);
    pump(&p);
    ck_assert_msg(mote_tls_state(p.c) == MOTE_TLS_OPEN, "%s / %s", mote_tls_reason(p.c),
                  mote_tls_reason(p.s));
    ck_assert_uint_eq(mote_tls_version(p.c), MOTE_TLS_VERSION_12);
    ck_assert_int_eq(mote_tls_resumed(p.c), 1);
    ck_assert_int_eq(mote_tls_resumed(p.s), 1);
    ck_assert_uint_eq(mote_tls_peer_cert_count(p.c), 0);
    expect_echo(&p, "resumed 1.2");
    mote_tls_free(p.c);
    mote_tls_free(p.s);
    /* Another server key: a full handshake. */
    expect_full_with_other_key(&p, &sess);
    mote_buf_free(&sess);
    pair_free(&p);
}
END_TEST

/* ---- signature_algorithms_cert (RFC 8446 4.2.3) ---- */

/* Finds extension `type` in the ClientHello at the head of a client's
 * output (one plaintext record); its data in *ext. 1 if found. */
static int ch_find_ext(mote_slice rec, uint16_t type, mote_slice *ext, size_t *exts_at)
{
    mote_reader r;
    uint8_t ct, hs;
    uint16_t ver;
    uint32_t hl;
    mote_slice frag, sid, suites, comp, exts;
    mote_reader_init(&r, rec.ptr, rec.len);
    mote_reader_u8(&r, &ct);
    mote_reader_u16(&r, &ver);
    mote_reader_vec16(&r, &frag);
    ck_assert_int_eq(r.err, 0);
    ck_assert_uint_eq(ct, 22);
    mote_reader_init(&r, frag.ptr, frag.len);
    mote_reader_u8(&r, &hs);
    mote_reader_u24(&r, &hl);
    ck_assert_uint_eq(hs, 1);
    ck_assert_uint_eq(hl, frag.len - 4);
    mote_reader_u16(&r, &ver);
    mote_reader_skip(&r, 32);
    mote_reader_vec8(&r, &sid);
    mote_reader_vec16(&r, &suites);
    mote_reader_vec8(&r, &comp);
    if (exts_at)
        *exts_at = 5 + r.off;
    mote_reader_vec16(&r, &exts);
    ck_assert_int_eq(mote_reader_finish(&r), 0);
    mote_reader_init(&r, exts.ptr, exts.len);
    int found = 0;
    while (mote_reader_left(&r)) {
        uint16_t t;
        mote_slice d;
        mote_reader_u16(&r, &t);
        mote_reader_vec16(&r, &d);
        ck_assert_int_eq(r.err, 0);
        if (t == type) {
            ck_assert_msg(!found, "extension %u twice", type);
            *ext = d;
            found = 1;
        }
    }
    return found;
}

/* The list inside a signature_algorithms(_cert) extension. */
static size_t ext_list16(mote_slice ext, uint16_t *out, size_t max)
{
    mote_reader r;
    mote_slice l;
    mote_reader_init(&r, ext.ptr, ext.len);
    mote_reader_vec16(&r, &l);
    ck_assert_int_eq(mote_reader_finish(&r), 0);
    ck_assert_uint_eq(l.len % 2, 0);
    ck_assert_uint_le(l.len / 2, max);
    for (size_t i = 0; i < l.len / 2; i++)
        out[i] = mote_load_be16(l.ptr + 2 * i);
    return l.len / 2;
}

static int list_has(const uint16_t *l, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == v)
            return 1;
    return 0;
}

START_TEST(t_sigalgs_cert_hello)
{
    static const uint16_t want[] = {0x0403, 0x0503, 0x0804, 0x0805, 0x0806, 0x0809,
                                    0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0807};
    mote_seeded_rng rng;
    mote_seeded_rng_init(&rng, 7);
    int err = 0;
    for (int v13only = 0; v13only < 2; v13only++) {
        mote_tls_config *cfg = mote_tls_config_new(&rng.rng, &err);
        ck_assert_ptr_nonnull(cfg);
        if (v13only)
            ck_assert_int_eq(
                mote_tls_config_set_versions(cfg, MOTE_TLS_VERSION_13, MOTE_TLS_VERSION_13), 0);
        mote_tls *c = mote_tls_client_new(cfg, "example.test", &err);
        ck_assert_ptr_nonnull(c);
        mote_slice ext;
        uint16_t l[64];
        ck_assert(ch_find_ext(mote_tls_out(c), 50, &ext, NULL));
        size_t n = ext_list16(ext, l, 64);
        ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < n; i++)
            ck_assert_uint_eq(l[i], want[i]);
        /* signature_algorithms: CertificateVerify schemes; rsa_pkcs1 only
         * when TLS 1.2 is offered too. */
        ck_assert(ch_find_ext(mote_tls_out(c), 13, &ext, NULL));
        n = ext_list16(ext, l, 64);
        ck_assert(list_has(l, n, 0x0403) && list_has(l, n, 0x0804) && list_has(l, n, 0x0807));
        ck_assert_int_eq(list_has(l, n, 0x0401), !v13only);
        ck_assert(!list_has(l, n, 0x0809));
        mote_tls_free(c);
        mote_tls_config_free(cfg);
    }
    /* A configured list goes out as configured; bad lists are refused. */
    mote_tls_config *cfg = mote_tls_config_new(&rng.rng, &err);
    static const uint16_t mine[] = {0x0807, 0x0401};
    ck_assert_int_eq(mote_tls_config_set_cert_sigalgs(cfg, mine, 2), 0);
    static const uint16_t unknown[] = {0x0403, 0x0201};
    ck_assert_int_eq(mote_tls_config_set_cert_sigalgs(cfg, unknown, 2), MOTE_EUNSUPPORTED);
    ck_assert_int_eq(mote_tls_config_set_cert_sigalgs(cfg, mine, 0), MOTE_EINVAL);
    mote_tls *c = mote_tls_client_new(cfg, NULL, &err);
    mote_slice ext;
    uint16_t l[8];
    ck_assert(ch_find_ext(mote_tls_out(c), 50, &ext, NULL));
    ck_assert_uint_eq(ext_list16(ext, l, 8), 2);
    ck_assert_uint_eq(l[0], 0x0807);
    ck_assert_uint_eq(l[1], 0x0401);
    mote_tls_free(c);
    mote_tls_config_free(cfg);
}
END_TEST

/* 1 if the leaf the peer sent is the certificate of tc. */
static int leaf_is(const mote_tls *t, const tc_cert *tc)
{
    int err = 0;
    mote_x509_cert *x = mote_x509_cert_parse_pem(tc->cert_pem, tc->cert_len, &err, NULL, 0);
    ck_assert_ptr_nonnull(x);
    mote_slice want = mote_x509_cert_der(x);
    mote_slice got = mote_tls_peer_cert(t, 0);
    int same = got.len == want.len && memcmp(got.ptr, want.ptr, got.len) == 0;
    mote_x509_cert_free(x);
    return same;
}

static void add_cert(mote_tls_config *cfg, const tc_cert *c, const char *names)
{
    ck_assert_int_eq(
        mote_tls_config_add_cert_pem(cfg, c->cert_pem, c->cert_len, c->key_pem, c->key_len, names),
        0);
}

/* A server with an ECDSA-signed and an RSA-signed certificate for one name
 * sends the one the client's signature_algorithms_cert allows, whichever
 * was configured first; with neither allowed it still sends the first. */
START_TEST(t_sigalgs_cert_pick)
{
    need_certs();
    static const uint16_t ecdsa[] = {0x0403}, pkcs1[] = {0x0401}, ed[] = {0x0807},
                          all[] = {0x0403, 0x0401};
    struct {
        const uint16_t *list;
        size_t n;
        int rsa_first, v12, sni;
        const tc_cert *want;
    } cases[] = {
        {ecdsa, 1, 1, 0, 1, &c_dual_ec}, {pkcs1, 1, 1, 0, 1, &c_dual_rsa},
        {ecdsa, 1, 0, 0, 1, &c_dual_ec}, {pkcs1, 1, 0, 0, 1, &c_dual_rsa},
        {ed, 1, 1, 0, 1, &c_dual_rsa},   {ed, 1, 0, 0, 1, &c_dual_ec},
        {all, 2, 1, 0, 1, &c_dual_rsa},  {all, 2, 0, 0, 1, &c_dual_ec},
        {ecdsa, 1, 1, 0, 0, &c_dual_ec}, {pkcs1, 1, 0, 0, 0, &c_dual_rsa},
        {ecdsa, 1, 1, 1, 1, &c_dual_ec}, {pkcs1, 1, 0, 1, 1, &c_dual_rsa},
        {ecdsa, 1, 1, 1, 0, &c_dual_ec}, {ed, 1, 0, 1, 1, &c_dual_ec},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pair p;
        pair_init(&p, NULL);
        const char *names = cases[i].sni ? "dual.test" : NULL;
        if (cases[i].rsa_first) {
            add_cert(p.scfg, &c_dual_rsa, names);
            add_cert(p.scfg, &c_dual_ec, names);
        } else {
            add_cert(p.scfg, &c_dual_ec, names);
            add_cert(p.scfg, &c_dual_rsa, names);
        }
        if (cases[i].v12)
            ck_assert_int_eq(
                mote_tls_config_set_versions(p.ccfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12), 0);
        mote_tls_config_set_insecure(p.ccfg, 1);
        ck_assert_int_eq(mote_tls_config_set_cert_sigalgs(p.ccfg, cases[i].list, cases[i].n), 0);
        pair_start(&p, "dual.test");
        pump(&p);
        ck_assert_msg(mote_tls_state(p.c) == MOTE_TLS_OPEN, "case %zu: %s / %s", i,
                      mote_tls_reason(p.c), mote_tls_reason(p.s));
        ck_assert_msg(leaf_is(p.c, cases[i].want), "case %zu: wrong certificate", i);
        expect_echo(&p, "which certificate");
        pair_free(&p);
    }
}
END_TEST

/* CertificateRequest carries signature_algorithms_cert; the client picks
 * the certificate it allows. */
START_TEST(t_sigalgs_cert_client_auth)
{
    need_certs();
    static const uint16_t ecdsa[] = {0x0403}, pkcs1[] = {0x0401};
    for (int k = 0; k < 4; k++) {
        pair p;
        pair_init(&p, &c_p256);
        const tc_cert *want = (k & 1) ? &c_dual_rsa : &c_dual_ec;
        if (k & 2) {
            add_cert(p.ccfg, &c_dual_ec, NULL);
            add_cert(p.ccfg, &c_dual_rsa, NULL);
        } else {
            add_cert(p.ccfg, &c_dual_rsa, NULL);
            add_cert(p.ccfg, &c_dual_ec, NULL);
        }
        mote_tls_config_set_client_auth(p.scfg, 2);
        mote_tls_config_add_pins_pem(p.scfg, want->cert_pem, want->cert_len, NULL);
        ck_assert_int_eq(mote_tls_config_set_cert_sigalgs(p.scfg, (k & 1) ? pkcs1 : ecdsa, 1), 0);
        pair_start(&p, NULL);
        pump(&p);
        ck_assert_msg(mote_tls_state(p.s) == MOTE_TLS_OPEN, "case %d: %s / %s", k,
                      mote_tls_reason(p.c), mote_tls_reason(p.s));
        ck_assert(leaf_is(p.s, want));
        expect_echo(&p, "client certificate");
        pair_free(&p);
    }
}
END_TEST

/* Rewrites extension `type` of the client's ClientHello with new data
 * (lengths fixed up) and feeds it to a fresh server; returns its state. */
static void feed_hello_with(pair *p, uint16_t type, const uint8_t *data, size_t len)
{
    mote_slice rec = mote_tls_out(p->c);
    mote_slice ext;
    size_t exts_at = 0;
    ck_assert(ch_find_ext(rec, type, &ext, &exts_at));
    size_t off = (size_t)(ext.ptr - rec.ptr); /* the extension's data */
    size_t out_len = rec.len - ext.len + len;
    uint8_t *b = malloc(out_len);
    ck_assert_ptr_nonnull(b);
    memcpy(b, rec.ptr, off);
    if (len)
        memcpy(b + off, data, len);
    memcpy(b + off + len, ext.ptr + ext.len, rec.len - off - ext.len);
    size_t delta = len - ext.len; /* modular: shrinking works too */
    mote_store_be16(b + off - 2, (uint16_t)len);
    mote_store_be16(b + exts_at, (uint16_t)(mote_load_be16(b + exts_at) + delta));
    mote_store_be24(b + 6, (uint32_t)(mote_load_be24(b + 6) + delta));
    mote_store_be16(b + 3, (uint16_t)(mote_load_be16(b + 3) + delta));
    feed_bytes(p->s, b, out_len);
    free(b);
}

START_TEST(t_sigalgs_cert_malformed)
{
    need_certs();
    static const struct {
        const char *hex;
        int ok;
    } cases[] = {
        {"00020403", 1},     /* good */
        {"000404030401", 1}, /* good, two */
        {"0003040304", 0},   /* odd length */
        {"0000", 0},         /* empty list */
        {"0002040300", 0},   /* a byte after the list */
        {"00040403", 0},     /* list longer than the extension */
        {"00", 0},           /* no room for the length */
        {"", 0},             /* empty extension */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pair p;
        pair_init(&p, &c_p256);
        pair_start(&p, NULL);
        size_t n = 0;
        uint8_t *data = strlen(cases[i].hex) ? tu_unhex(cases[i].hex, &n) : NULL;
        ck_assert_uint_eq(n, strlen(cases[i].hex) / 2);
        feed_hello_with(&p, 50, data, n);
        free(data);
        if (cases[i].ok) {
            ck_assert_msg(mote_tls_state(p.s) != MOTE_TLS_FAILED, "case %zu: %s", i,
                          mote_tls_reason(p.s));
        } else {
            ck_assert_msg(mote_tls_state(p.s) == MOTE_TLS_FAILED, "case %zu accepted", i);
            ck_assert_int_eq(mote_tls_alert(p.s, NULL), MOTE_TLS_ALERT_DECODE_ERROR);
        }
        pair_free(&p);
    }
}
END_TEST

static Suite *tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("rfc8448");
    tcase_add_test(tc, t_rfc8448);
    suite_add_tcase(s, tc);
    tc = tcase_create("handshake");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_matrix, 0, 48);
    tcase_add_test(tc, t_hrr);
    tcase_add_test(tc, t_no_common_group);
    tcase_add_test(tc, t_alpn);
    tcase_add_test(tc, t_sni);
    tcase_add_test(tc, t_sigalgs_cert_hello);
    tcase_add_test(tc, t_sigalgs_cert_pick);
    tcase_add_test(tc, t_sigalgs_cert_client_auth);
    tcase_add_test(tc, t_sigalgs_cert_malformed);
    tcase_add_test(tc, t_fragmented_bytes);
    tcase_add_loop_test(tc, t_tls12_matrix, 0, 36);
    tcase_add_test(tc, t_tls12_prefers_13);
    tcase_add_test(tc, t_tls12_tamper);
    tcase_add_test(tc, t_prf12);
    tcase_add_test(tc, t_tls12_client_auth);
    suite_add_tcase(s, tc);
    tc = tcase_create("verify");
    tcase_add_test(tc, t_pin_mismatch);
    tcase_add_test(tc, t_no_verifier);
    tcase_add_test(tc, t_verifier_alert);
    tcase_add_test(tc, t_key_mismatch);
    tcase_add_test(tc, t_client_auth);
    suite_add_tcase(s, tc);
    tc = tcase_create("open");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_key_update);
    tcase_add_test(tc, t_resume);
    tcase_add_test(tc, t_resume_hrr);
    tcase_add_test(tc, t_no_tickets);
    tcase_add_test(tc, t_tls12_resume);
    tcase_add_test(tc, t_record_size_limit);
    tcase_add_test(tc, t_close);
    tcase_add_test(tc, t_bulk);
    suite_add_tcase(s, tc);
    tc = tcase_create("record");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_rec_split, 0, 6);
    tcase_add_test(tc, t_rec_max_size);
    tcase_add_test(tc, t_rec_many_in_one_feed);
    tcase_add_test(tc, t_rec_backpressure);
    tcase_add_test(tc, t_rec_padded);
    tcase_add_test(tc, t_rec_key_update_mid);
    tcase_add_test(tc, t_rec_out_partial);
    tcase_add_test(tc, t_rec_view_api);
    tcase_add_test(tc, t_rec_size_limit_runs);
    tcase_add_test(tc, t_tls12_record_size_limit);
    suite_add_tcase(s, tc);
    tc = tcase_create("hostile");
    tcase_add_test(tc, t_garbage);
    tcase_add_test(tc, t_record_overflow);
    tcase_add_test(tc, t_ccs_first);
    tcase_add_test(tc, t_truncated_hello);
    tcase_add_test(tc, t_tampered_record);
    tcase_add_test(tc, t_tls12_only_client);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!tu_have_program("openssl")) {
        printf("SKIP: the openssl command is needed to make test certificates\n");
        return 77;
    }
    have_certs = tc_make(&c_ed, "ed", "ed25519", "ed.test", 30) == 0 &&
                 tc_make(&c_p256, "p256", "p256", "p256.test", 30) == 0 &&
                 tc_make(&c_p384, "p384", "p384", "p384.test", 30) == 0 &&
                 tc_make(&c_rsa, "rsa", "rsa", "rsa.test", 30) == 0 &&
                 tc_make(&c_other, "other", "p256", "other.test", 30) == 0 &&
                 tc_make(&c_alt, "alt", "ed25519", "alt.test", 30) == 0 &&
                 tc_make(&c_dual_ec, "dual-ec", "p256", "dual.test", 30) == 0 &&
                 tc_make(&c_dual_rsa, "dual-rsa", "rsa", "dual.test", 30) == 0;
    int rc = tu_run_suite(tls_suite());
    tc_cleanup();
    return rc;
}
