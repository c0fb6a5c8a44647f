/* test_conduit.c - libmote-conduit: endpoint names, and the same echo
 * exchange over tcp://, unix:// and vchan:// through one code path. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mote/conduit.h"
#ifdef MOTE_CONDUIT_TEST_TLS
#include "mote/asn1_pem.h"
#include "mote/crypto.h"
#include "mote/tls.h"
#include "mote/x509.h"
#endif
#ifdef MOTE_CONDUIT_TEST_NET
#include "mote/net.h"
#include "mote/net_link.h"
#endif

START_TEST(test_parse)
{
    mote_conduit_endpoint e;
    ck_assert_int_eq(mote_conduit_parse("tcp://example.org:80", &e), 0);
    ck_assert_int_eq(e.scheme, MOTE_CONDUIT_TCP);
    ck_assert_str_eq(e.host, "example.org");
    ck_assert_uint_eq(e.port, 80);
    ck_assert_int_eq(mote_conduit_parse("tls://[::1]:443", &e), 0);
    ck_assert_int_eq(e.scheme, MOTE_CONDUIT_TLS);
    ck_assert_str_eq(e.host, "::1");
    ck_assert_uint_eq(e.port, 443);
    ck_assert_int_eq(mote_conduit_parse("tcp://127.0.0.1:0", &e), 0);
    ck_assert_uint_eq(e.port, 0);
    ck_assert_int_eq(mote_conduit_parse("unix:///run/mote.sock", &e), 0);
    ck_assert_str_eq(e.path, "/run/mote.sock");
    ck_assert_int_eq(mote_conduit_parse("vchan://my-chan_1", &e), 0);
    ck_assert_int_eq(e.scheme, MOTE_CONDUIT_VCHAN);
    ck_assert_str_eq(e.path, "my-chan_1");
    ck_assert_int_eq(mote_conduit_parse("vchan:///tmp/x.sock", &e), 0);

    static const struct {
        const char *uri;
        int err;
    } bad[] = {
        {"", MOTE_EDECODE},
        {"tcp:/x:1", MOTE_EDECODE},
        {"tcp://example.org", MOTE_EDECODE},
        {"tcp://example.org:", MOTE_EDECODE},
        {"tcp://:80", MOTE_EDECODE},
        {"tcp://exa mple:80", MOTE_EDECODE},
        {"tcp://host:65536", MOTE_EDECODE},
        {"tcp://host:080", MOTE_EDECODE},
        {"tcp://host:80x", MOTE_EDECODE},
        {"tcp://host:80/path", MOTE_EDECODE},
        {"tcp://[::1:80", MOTE_EDECODE},
        {"tcp://[]:80", MOTE_EDECODE},
        {"tcp://[::1]80", MOTE_EDECODE},
        {"TCP://host:80", MOTE_EDECODE},
        {"unix://relative", MOTE_EDECODE},
        {"unix://", MOTE_EDECODE},
        {"vchan://", MOTE_EDECODE},
        {"vchan://a b", MOTE_EDECODE},
        {"http://host:80", MOTE_EUNSUPPORTED},
        {"://x", MOTE_EDECODE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(mote_conduit_parse(bad[i].uri, &e) == bad[i].err, "%s: %d", bad[i].uri,
                      mote_conduit_parse(bad[i].uri, &e));
    char longname[400];
    memset(longname, 'a', sizeof longname);
    memcpy(longname, "tcp://", 6);
    strcpy(longname + 390, ":80");
    ck_assert_int_eq(mote_conduit_parse(longname, &e), MOTE_ELIMIT);

    ck_assert_int_eq(mote_conduit_supported(MOTE_CONDUIT_TCP, MOTE_CONDUIT_STACK_SOCKET), 1);
    ck_assert_int_eq(mote_conduit_supported(MOTE_CONDUIT_UNIX, MOTE_CONDUIT_STACK_SOCKET), 1);
}
END_TEST

/* One echo exchange: the listener echoes what it reads and shuts down at
 * EOF; the client writes a pattern, shuts down, and checks the echo. */
struct echo {
    uv_loop_t loop;
    mote_conduit_listener *l;
    mote_flow *server, *client;
    uint8_t sent[200000];
    mote_buf got;
    int server_eof, client_eof, errors;
    int half_close; /* the client shuts down after writing (not for vchan) */
};

static void srv_data(void *arg, const uint8_t *d, size_t n)
{
    struct echo *e = arg;
    if (mote_flow_write(e->server, d, n) != 0)
        e->errors++;
}
static void srv_eof(void *arg)
{
    struct echo *e = arg;
    e->server_eof = 1;
    mote_flow_shutdown(e->server);
    if (mote_flow_queued(e->server) == 0) { /* nothing left to drain */
        mote_flow_close(e->server);
        e->server = NULL;
    }
}
static void srv_drain(void *arg)
{
    struct echo *e = arg;
    if (e->server_eof) {
        mote_flow_close(e->server);
        e->server = NULL;
    }
}
static void any_error(void *arg, int err)
{
    struct echo *e = arg;
    fprintf(stderr, "flow error %s\n", mote_strerror(err));
    e->errors++;
    uv_stop(&e->loop);
}
static const mote_flow_events srv_ev = {srv_data, srv_eof, srv_drain, any_error};

static void cli_finish(struct echo *e)
{
    e->client_eof = 1;
    mote_flow_close(e->client);
    e->client = NULL;
    if (e->l) {
        mote_conduit_listener_close(e->l);
        e->l = NULL;
    }
}
static void cli_data(void *arg, const uint8_t *d, size_t n)
{
    struct echo *e = arg;
    mote_buf_append(&e->got, d, n);
    /* Without half-close the client ends once the whole echo is back. */
    if (!e->half_close && e->got.len == sizeof e->sent)
        cli_finish(e);
}
static void cli_eof(void *arg)
{
    cli_finish(arg);
}
static const mote_flow_events cli_ev = {cli_data, cli_eof, NULL, any_error};

static void on_accept(void *arg, mote_flow *f, const char *peer, int err)
{
    struct echo *e = arg;
    ck_assert_int_eq(err, 0);
    ck_assert_ptr_nonnull(peer);
    e->server = f;
    mote_flow_set_events(f, &srv_ev, e);
}

static void on_connect(void *arg, mote_flow *f, int err)
{
    struct echo *e = arg;
    ck_assert_msg(err == 0, "connect: %s", mote_strerror(err));
    e->client = f;
    mote_flow_set_events(f, &cli_ev, e);
    for (size_t off = 0; off < sizeof e->sent; off += 10000)
        ck_assert_int_eq(mote_flow_write(f, e->sent + off, 10000), 0);
    if (e->half_close)
        ck_assert_int_eq(mote_flow_shutdown(f), 0);
}

static void run_echo_cfg(const mote_conduit_config *base, const char *listen_uri,
                         const char *connect_fmt, int half_close)
{
    static struct echo e;
    memset(&e, 0, sizeof e);
    e.half_close = half_close;
    mote_buf_init(&e.got, 0);
    for (size_t i = 0; i < sizeof e.sent; i++)
        e.sent[i] = (uint8_t)(i * 31 + i / 977);
    ck_assert_int_eq(uv_loop_init(&e.loop), 0);
    mote_conduit_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (base)
        cfg = *base;
    cfg.loop = &e.loop;
    int err;
    e.l = mote_conduit_listen(&cfg, listen_uri, on_accept, &e, &err);
    ck_assert_msg(e.l != NULL, "listen %s: %s", listen_uri, mote_strerror(err));
    char uri[300];
    snprintf(uri, sizeof uri, connect_fmt, mote_conduit_listener_port(e.l));
    ck_assert_int_eq(mote_conduit_connect(&cfg, uri, on_connect, &e), 0);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(e.errors, 0);
    ck_assert_int_eq(e.client_eof, 1);
    ck_assert_uint_eq(e.got.len, sizeof e.sent);
    ck_assert(memcmp(e.got.data, e.sent, sizeof e.sent) == 0);
    if (e.server)
        mote_flow_close(e.server);
    uv_run(&e.loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&e.loop), 0);
    mote_buf_free(&e.got);
}

static void run_echo(const char *listen_uri, const char *connect_fmt, int half_close)
{
    run_echo_cfg(NULL, listen_uri, connect_fmt, half_close);
}

START_TEST(test_tcp_echo)
{
    run_echo("tcp://127.0.0.1:0", "tcp://127.0.0.1:%u", 1);
}
END_TEST

START_TEST(test_tcp_echo_v6_name)
{
    run_echo("tcp://[::1]:0", "tcp://[::1]:%u", 1);
}
END_TEST

START_TEST(test_unix_echo)
{
    char path[64], luri[100], curi[100];
    snprintf(path, sizeof path, "/tmp/mote-conduit-%d.sock", (int)getpid());
    unlink(path);
    snprintf(luri, sizeof luri, "unix://%s", path);
    snprintf(curi, sizeof curi, "unix://%s%%.0u", path);
    run_echo(luri, curi, 1);
    unlink(path);
}
END_TEST

START_TEST(test_vchan_echo)
{
    if (!mote_conduit_supported(MOTE_CONDUIT_VCHAN, MOTE_CONDUIT_STACK_SOCKET)) {
        printf("vchan not built: vchan echo not run\n");
        return;
    }
    char name[64], curi[100];
    snprintf(name, sizeof name, "vchan://mote-conduit-test-%d", (int)getpid());
    snprintf(curi, sizeof curi, "%s%%.0u", name);
    run_echo(name, curi, 0); /* vchan has no half-close */
}
END_TEST

#ifdef MOTE_CONDUIT_TEST_TLS
/* A server config with a fresh self-signed P-256 certificate for
 * 127.0.0.1, and a client config that trusts exactly it. */
static void make_tls(mote_rng *rng, mote_tls_config **server, mote_tls_config **client)
{
    int err;
    mote_time now = {1700000000, 0};
    mote_crypto_privkey *key = mote_crypto_privkey_generate(MOTE_CRYPTO_KEY_P256, 0, rng, &err);
    ck_assert_ptr_nonnull(key);
    mote_crypto_pubkey *pub = mote_crypto_privkey_public(key, &err);
    mote_x509_builder *b = mote_x509_builder_new(&err);
    ck_assert_int_eq(mote_x509_builder_set_subject(b, "CN=conduit test"), 0);
    ck_assert_int_eq(mote_x509_builder_add_ip(b, "127.0.0.1"), 0);
    ck_assert_int_eq(mote_x509_builder_add_eku(b, MOTE_ASN1_OID_KP_SERVER_AUTH), 0);
    mote_buf der, pem, kpem;
    mote_buf_init(&der, 0);
    mote_buf_init(&pem, 0);
    mote_buf_init_secret(&kpem, 0);
    ck_assert_int_eq(mote_x509_builder_sign(b, pub, key, NULL, rng, now, &der), 0);
    ck_assert_int_eq(mote_asn1_pem_write(&pem, "CERTIFICATE", mote_buf_slice(&der)), 0);
    ck_assert_int_eq(mote_crypto_privkey_to_pem(key, MOTE_CRYPTO_FORMAT_PKCS8, &kpem), 0);
    *server = mote_tls_config_new(rng, &err);
    *client = mote_tls_config_new(rng, &err);
    ck_assert_int_eq(mote_tls_config_add_cert_pem(*server, (const char *)pem.data, pem.len,
                                                  (const char *)kpem.data, kpem.len, NULL),
                     0);
    ck_assert_int_eq(mote_tls_config_add_trust_pem(*client, (const char *)pem.data, pem.len, NULL),
                     0);
    mote_time later = {now.sec + 3600, 0};
    mote_tls_config_set_time(*client, later);
    mote_x509_builder_free(b);
    mote_crypto_pubkey_free(pub);
    mote_crypto_privkey_free(key);
    mote_buf_free(&der);
    mote_buf_free(&pem);
    mote_buf_free(&kpem);
}

START_TEST(test_tls_echo)
{
    mote_seeded_rng rng; /* a test: deterministic keys are fine here */
    mote_seeded_rng_init(&rng, 99);
    mote_tls_config *server, *client;
    make_tls(&rng.rng, &server, &client);
    ck_assert_int_eq(mote_conduit_supported(MOTE_CONDUIT_TLS, MOTE_CONDUIT_STACK_SOCKET), 1);
    mote_conduit_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.tls_client = client;
    cfg.tls_server = server;
    run_echo_cfg(&cfg, "tls://127.0.0.1:0", "tls://127.0.0.1:%u", 1);
    mote_tls_config_free(server);
    mote_tls_config_free(client);
}
END_TEST

static void expect_verify_failure(void *arg, mote_flow *f, int err)
{
    int *out = arg;
    ck_assert_ptr_null(f);
    *out = err;
}

static void drop_accept(void *arg, mote_flow *f, const char *peer, int err)
{
    (void)peer;
    (void)err;
    mote_flow **keep = arg;
    *keep = f; /* the server side; closed after the client gave up */
}

START_TEST(test_tls_refused)
{
    /* A client that trusts another certificate gets the handshake's error. */
    mote_seeded_rng rng;
    mote_seeded_rng_init(&rng, 100);
    mote_tls_config *server, *client, *other_server, *other_client;
    make_tls(&rng.rng, &server, &client);
    make_tls(&rng.rng, &other_server, &other_client);
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_conduit_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.loop = &loop;
    cfg.tls_server = server;
    cfg.tls_client = other_client;
    int err, got = 1;
    mote_flow *srv = NULL;
    mote_conduit_listener *l =
        mote_conduit_listen(&cfg, "tls://127.0.0.1:0", drop_accept, &srv, &err);
    ck_assert_ptr_nonnull(l);
    char uri[64];
    snprintf(uri, sizeof uri, "tls://127.0.0.1:%u", mote_conduit_listener_port(l));
    ck_assert_int_eq(mote_conduit_connect(&cfg, uri, expect_verify_failure, &got), 0);
    while (got == 1 && uv_run(&loop, UV_RUN_ONCE))
        ;
    ck_assert_int_eq(got, MOTE_EVERIFY);
    mote_conduit_listener_close(l);
    if (srv)
        mote_flow_close(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    /* Without a client configuration, tls:// is refused up front. */
    cfg.tls_client = NULL;
    ck_assert_int_eq(mote_conduit_connect(&cfg, uri, expect_verify_failure, &got), MOTE_EINVAL);
    mote_tls_config_free(server);
    mote_tls_config_free(client);
    mote_tls_config_free(other_server);
    mote_tls_config_free(other_client);
}
END_TEST
#endif

static void never(void *arg, mote_flow *f, int err)
{
    (void)arg;
    (void)f;
    (void)err;
    ck_abort_msg("callback after an immediate error");
}

static void never_accept(void *arg, mote_flow *f, const char *peer, int err)
{
    (void)arg;
    (void)f;
    (void)peer;
    (void)err;
    ck_abort_msg("accept on a listener that was closed");
}

static void refused(void *arg, mote_flow *f, int err)
{
    int *out = arg;
    ck_assert_ptr_null(f);
    *out = err;
}

START_TEST(test_errors)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_conduit_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.loop = &loop;
    ck_assert_int_eq(mote_conduit_connect(&cfg, "gopher://x:70", never, NULL), MOTE_EUNSUPPORTED);
    ck_assert_int_eq(mote_conduit_connect(&cfg, "tcp://x", never, NULL), MOTE_EDECODE);
    ck_assert_int_eq(mote_conduit_connect(&cfg, "tcp://127.0.0.1:0", never, NULL), MOTE_EINVAL);
    cfg.stack = MOTE_CONDUIT_STACK_DIRECT; /* without a stack given */
    ck_assert_int_ne(mote_conduit_connect(&cfg, "tcp://127.0.0.1:9", never, NULL), 0);
    cfg.stack = MOTE_CONDUIT_STACK_SOCKET;
    int err;
    ck_assert_ptr_null(mote_conduit_listen(&cfg, "tcp://not-an-address:0", NULL, NULL, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    /* A refused connection arrives through the callback. */
    mote_conduit_listener *l =
        mote_conduit_listen(&cfg, "tcp://127.0.0.1:0", never_accept, NULL, &err);
    ck_assert_ptr_nonnull(l);
    char uri[64];
    snprintf(uri, sizeof uri, "tcp://127.0.0.1:%u", mote_conduit_listener_port(l));
    mote_conduit_listener_close(l);
    int got = 1;
    ck_assert_int_eq(mote_conduit_connect(&cfg, uri, refused, &got), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(got, MOTE_ECONNREFUSED);
    /* A vchan with nobody listening. */
    if (mote_conduit_supported(MOTE_CONDUIT_VCHAN, MOTE_CONDUIT_STACK_SOCKET)) {
        got = 1;
        ck_assert_int_eq(mote_conduit_connect(&cfg, "vchan://mote-nobody-here", refused, &got), 0);
        uv_run(&loop, UV_RUN_DEFAULT);
        ck_assert_int_eq(got, MOTE_ENOTFOUND);
        /* A vchan listener closed before its hand-over frees its flow. */
        l = mote_conduit_listen(&cfg, "vchan://mote-conduit-closed", never_accept, NULL, &err);
        ck_assert_ptr_nonnull(l);
        mote_conduit_listener_close(l);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

#ifdef MOTE_CONDUIT_TEST_NET
/* The direct stack: two libmote-net stacks joined by the in-memory link,
 * driven by a fake clock; the same listen/connect calls as for sockets. */
struct direct {
    mote_flow *server, *client;
    mote_buf got;
    int accepted, connected, eof;
    char peer[32];
};

static void d_srv_data(void *arg, const uint8_t *d, size_t n)
{
    struct direct *x = arg;
    mote_flow_write(x->server, d, n); /* echo */
}
static void d_srv_eof(void *arg)
{
    struct direct *x = arg;
    mote_flow_shutdown(x->server);
}
static const mote_flow_events d_srv_ev = {d_srv_data, d_srv_eof, NULL, NULL};
static void d_cli_data(void *arg, const uint8_t *d, size_t n)
{
    struct direct *x = arg;
    mote_buf_append(&x->got, d, n);
}
static void d_cli_eof(void *arg)
{
    struct direct *x = arg;
    x->eof = 1;
}
static const mote_flow_events d_cli_ev = {d_cli_data, d_cli_eof, NULL, NULL};

static void d_accept(void *arg, mote_flow *f, const char *peer, int err)
{
    struct direct *x = arg;
    ck_assert_int_eq(err, 0);
    x->accepted++;
    x->server = f;
    snprintf(x->peer, sizeof x->peer, "%s", peer);
    mote_flow_set_events(f, &d_srv_ev, x);
}
static void d_connect(void *arg, mote_flow *f, int err)
{
    struct direct *x = arg;
    ck_assert_msg(err == 0, "direct connect: %s", mote_strerror(err));
    x->connected = 1;
    x->client = f;
    mote_flow_set_events(f, &d_cli_ev, x);
    ck_assert_int_eq(mote_flow_write(f, "over mote's own TCP", 19), 0);
    ck_assert_int_eq(mote_flow_shutdown(f), 0);
}

START_TEST(test_direct_stack)
{
    mote_time wall = {1700000000, 0};
    mote_fakeclock *fc = mote_fakeclock_new(MOTE_NS_PER_SEC, wall);
    mote_clock *clock = mote_fakeclock_clock(fc);
    mote_seeded_rng rng;
    mote_seeded_rng_init(&rng, 7);
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    int err;
    mote_net_link *link = mote_net_link_new(clock, &lc, &err);
    ck_assert_ptr_nonnull(link);
    mote_net *st[2];
    for (int i = 0; i < 2; i++) {
        mote_net_config c;
        mote_net_config_default(&c);
        c.netif = mote_net_link_end(link, i);
        c.clock = clock;
        c.rng = &rng.rng;
        c.addr = MOTE_NET_IP4(10, 9, 0, (uint8_t)(1 + i));
        c.netmask = MOTE_NET_IP4(255, 255, 255, 0);
        st[i] = mote_net_new(&c, &err);
        ck_assert_ptr_nonnull(st[i]);
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_conduit_config a, b;
    memset(&a, 0, sizeof a);
    a.loop = &loop;
    a.stack = MOTE_CONDUIT_STACK_DIRECT;
    b = a;
    a.net = st[0];
    b.net = st[1];
    ck_assert_int_eq(mote_conduit_supported(MOTE_CONDUIT_TCP, MOTE_CONDUIT_STACK_DIRECT), 1);
    struct direct x;
    memset(&x, 0, sizeof x);
    mote_buf_init(&x.got, 0);
    mote_conduit_listener *l = mote_conduit_listen(&a, "tcp://0.0.0.0:7", d_accept, &x, &err);
    ck_assert_msg(l != NULL, "listen: %s", mote_strerror(err));
    ck_assert_uint_eq(mote_conduit_listener_port(l), 7);
    /* What the direct stack cannot do is refused up front. */
    ck_assert_int_eq(mote_conduit_connect(&b, "tcp://example.org:7", d_connect, &x),
                     MOTE_EUNSUPPORTED);
    ck_assert_ptr_null(mote_conduit_listen(&a, "tcp://0.0.0.0:0", d_accept, &x, &err));
    ck_assert_int_eq(mote_conduit_connect(&b, "tcp://10.9.0.1:7", d_connect, &x), 0);
    for (int i = 0; i < 100000 && !(x.eof && x.connected); i++)
        mote_fakeclock_advance(fc, MOTE_NS_PER_MS);
    ck_assert_int_eq(x.accepted, 1);
    ck_assert_str_eq(x.peer, "10.9.0.2");
    ck_assert_int_eq(x.eof, 1);
    ck_assert_uint_eq(x.got.len, 19);
    ck_assert_mem_eq(x.got.data, "over mote's own TCP", 19);
    mote_flow_close(x.client);
    mote_flow_close(x.server);
    mote_conduit_listener_close(l);
    mote_fakeclock_advance(fc, 300 * MOTE_NS_PER_SEC); /* TIME_WAIT and timers */
    for (int i = 0; i < 2; i++)
        mote_net_free(st[i]);
    mote_net_link_free(link);
    mote_fakeclock_free(fc);
    mote_buf_free(&x.got);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("conduit");
    TCase *tc = tcase_create("conduit");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_tcp_echo);
    tcase_add_test(tc, test_tcp_echo_v6_name);
    tcase_add_test(tc, test_unix_echo);
    tcase_add_test(tc, test_vchan_echo);
    tcase_add_test(tc, test_errors);
#ifdef MOTE_CONDUIT_TEST_TLS
    tcase_add_test(tc, test_tls_echo);
    tcase_add_test(tc, test_tls_refused);
#endif
#ifdef MOTE_CONDUIT_TEST_NET
    tcase_add_test(tc, test_direct_stack);
#endif
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
