/* mote-tls: a TLS client and server on libmote-tls over kernel sockets.
 *
 *   mote-tls client [options] HOST:PORT   connect, print the session to
 *       stderr, copy stdin to the peer and the peer's data to stdout
 *   mote-tls server --cert C --key K [options]   accept connections and
 *       echo what arrives (or serve stdin with --stdin)
 *
 * Failures exit non-zero with the reason (alert name, validation error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "mote/posix.h"
#include "mote/tls.h"
#include "mote/x509.h"

#define CHUNK (256u * 1024u)

typedef struct app {
    uv_loop_t *loop;
    mote_rng rng;
    mote_posix_clock *clock;
    mote_tls_config *cfg;
    int server;
    int quiet;
    int exit_code;
    int key_update; /* client: send a KeyUpdate after the handshake */
    /* client */
    mote_flow *flow;
    uv_fs_t read_req;
    char *read_buf;
    int stdin_eof, reading_stdin, waiting_drain;
    /* server */
    mote_posix_listener *listener;
    int once;
    int serve_stdin;
    char *stdin_data;
    size_t stdin_len;
    int conns;
} app;

typedef struct conn {
    app *a;
    mote_flow *flow;
    size_t sent; /* --stdin: bytes of stdin sent */
    int done;
} conn;

static void usage(void)
{
    fprintf(
        stderr,
        "usage: mote-tls client [--cafile F] [--insecure] [--alpn P,...] [--tls1.2|--tls1.3]\n"
        "                       [--groups G,...] [--servername N] [--cert C --key K]\n"
        "                       [--key-update] [--rfc5280] [--session FILE] HOST:PORT\n"
        "       mote-tls server --cert C --key K [--ocsp DER] [--cert C --key K --names N,...]\n"
        "                       [--addr A] [--port N] [--alpn P,...] [--groups G,...]\n"
        "                       [--verify-client CAFILE] [--stdin] [--once]\n");
    exit(2);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mote-tls: cannot open %s\n", path);
        exit(2);
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static void print_session(mote_tls *t, int server)
{
    fprintf(stderr, "mote-tls: %s TLS %s, suite %s, group %s, signature %s, ALPN %s, SNI %s%s%s\n",
            server ? "accepted" : "connected",
            mote_tls_version(t) == MOTE_TLS_VERSION_12 ? "1.2" : "1.3",
            mote_tls_suite_name(mote_tls_suite(t)), mote_tls_group_name(mote_tls_group(t)),
            server ? "-" : mote_tls_sigalg_name(mote_tls_sigalg(t)),
            mote_tls_alpn(t) ? mote_tls_alpn(t) : "-",
            mote_tls_server_name(t) ? mote_tls_server_name(t) : "-",
            mote_tls_did_hrr(t) ? ", after HelloRetryRequest" : "",
            mote_tls_resumed(t) ? ", resumed" : "");
    if (mote_tls_peer_cert_count(t)) {
        int err = 0;
        mote_slice der = mote_tls_peer_cert(t, 0);
        mote_x509_cert *c = mote_x509_cert_parse(der.ptr, der.len, &err, NULL, 0);
        if (c) {
            mote_buf b;
            mote_buf_init(&b, 0);
            if (mote_x509_name_print(mote_x509_cert_subject(c), &b) == 0 &&
                mote_buf_append_byte(&b, 0) == 0)
                fprintf(stderr, "mote-tls: peer subject %s\n", (char *)b.data);
            mote_buf_free(&b);
            mote_x509_cert_free(c);
        }
    }
}

static void fail_reason(mote_tls *t, int err)
{
    const char *r = t ? mote_tls_reason(t) : "";
    fprintf(stderr, "mote-tls: %s%s%s\n", *r ? r : "connection failed: ", *r ? "" : "",
            *r ? "" : mote_strerror(err));
}

/* ---- client ---- */

typedef struct client_opts {
    const char *host;
    const char *sni;
    const char *session; /* --session FILE: resume from it, save to it */
} client_opts;

static client_opts copts;

static void client_read_stdin(app *a);

static void client_stop(app *a)
{
    if (a->flow && copts.session) {
        mote_buf b;
        mote_buf_init_secret(&b, 0);
        if (mote_tls_session_save(mote_tls_flow_tls(a->flow), &b) == 0) {
            FILE *f = fopen(copts.session, "wb");
            if (f) {
                if (fwrite(b.data, 1, b.len, f) != b.len)
                    fprintf(stderr, "mote-tls: cannot write %s\n", copts.session);
                fclose(f);
            }
        }
        mote_buf_free(&b);
    }
    if (a->flow) {
        mote_flow_close(a->flow);
        a->flow = NULL;
    }
    if (a->reading_stdin)
        uv_cancel((uv_req_t *)&a->read_req);
    uv_stop(a->loop);
}

static void on_stdin(uv_fs_t *req)
{
    app *a = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    a->reading_stdin = 0;
    if (!a->flow)
        return;
    if (n <= 0) {
        a->stdin_eof = 1;
        mote_flow_shutdown(a->flow); /* close_notify */
        return;
    }
    if (mote_flow_write(a->flow, a->read_buf, (size_t)n)) {
        fprintf(stderr, "mote-tls: write failed\n");
        a->exit_code = 1;
        client_stop(a);
        return;
    }
    if (mote_flow_queued(a->flow) > 4 * CHUNK)
        a->waiting_drain = 1;
    else
        client_read_stdin(a);
}

static void client_read_stdin(app *a)
{
    if (a->stdin_eof || a->reading_stdin)
        return;
    uv_buf_t b = uv_buf_init(a->read_buf, CHUNK);
    a->read_req.data = a;
    a->reading_stdin = 1;
    if (uv_fs_read(a->loop, &a->read_req, 0, &b, 1, -1, on_stdin) != 0) {
        a->reading_stdin = 0;
        a->stdin_eof = 1;
        mote_flow_shutdown(a->flow);
    }
}

static void client_data(void *arg, const uint8_t *data, size_t len)
{
    (void)arg;
    if (fwrite(data, 1, len, stdout) != len)
        exit(1);
    fflush(stdout);
}

static void client_eof(void *arg)
{
    app *a = arg;
    if (!a->stdin_eof)
        mote_flow_shutdown(a->flow);
    client_stop(a);
}

static void client_drain(void *arg)
{
    app *a = arg;
    if (a->waiting_drain) {
        a->waiting_drain = 0;
        client_read_stdin(a);
    }
}

static void client_error(void *arg, int err)
{
    app *a = arg;
    fail_reason(mote_tls_flow_tls(a->flow), err);
    a->exit_code = 1;
    client_stop(a);
}

static const mote_flow_events client_events = {client_data, client_eof, client_drain, client_error};

static void client_handshake(void *arg, int err)
{
    app *a = arg;
    if (err)
        return; /* reported by the error callback */
    mote_tls *t = mote_tls_flow_tls(a->flow);
    if (!a->quiet)
        print_session(t, 0);
    if (a->key_update) {
        mote_tls_key_update(t, 1);
        mote_flow_write(a->flow, "", 0);
    }
    client_read_stdin(a);
}

static void on_connect(void *arg, mote_flow *lower, int err)
{
    app *a = arg;
    if (err) {
        fprintf(stderr, "mote-tls: cannot connect: %s\n", mote_strerror(err));
        a->exit_code = 1;
        uv_stop(a->loop);
        return;
    }
    mote_tls *t = NULL;
    const char *name = copts.sni ? copts.sni : copts.host;
    if (copts.session) {
        FILE *f = fopen(copts.session, "rb");
        if (f) {
            static uint8_t sess[70000];
            size_t n = fread(sess, 1, sizeof(sess), f);
            fclose(f);
            t = mote_tls_client_new_resume(a->cfg, name, sess, n, &err);
            if (!t)
                fprintf(stderr, "mote-tls: not resuming: %s\n", mote_strerror(err));
        }
    }
    if (!t)
        t = mote_tls_client_new(a->cfg, name, &err);
    if (!t) {
        fprintf(stderr, "mote-tls: %s\n", mote_strerror(err));
        mote_flow_close(lower);
        a->exit_code = 1;
        uv_stop(a->loop);
        return;
    }
    a->flow = mote_tls_flow_new(t, lower, &err);
    if (!a->flow) {
        mote_tls_free(t);
        mote_flow_close(lower);
        a->exit_code = 1;
        uv_stop(a->loop);
        return;
    }
    mote_tls_flow_on_handshake(a->flow, client_handshake, a);
    mote_flow_set_events(a->flow, &client_events, a);
}

/* ---- server ---- */

static void conn_close(conn *c)
{
    if (c->done)
        return;
    c->done = 1;
    if (!c->a->quiet)
        fprintf(stderr, "mote-tls: connection closed, %u KeyUpdate(s) received\n",
                mote_tls_key_updates_received(mote_tls_flow_tls(c->flow)));
    mote_flow_close(c->flow);
    app *a = c->a;
    free(c);
    if (a->once) {
        mote_posix_listener_close(a->listener);
        a->listener = NULL;
        uv_stop(a->loop);
    }
}

static void conn_send_more(conn *c)
{
    app *a = c->a;
    while (c->sent < a->stdin_len && mote_flow_queued(c->flow) < 4 * CHUNK) {
        size_t n = a->stdin_len - c->sent;
        if (n > CHUNK)
            n = CHUNK;
        if (mote_flow_write(c->flow, a->stdin_data + c->sent, n))
            return;
        c->sent += n;
    }
    if (c->sent == a->stdin_len) {
        c->sent++; /* only once */
        mote_flow_shutdown(c->flow);
    }
}

static void conn_data(void *arg, const uint8_t *data, size_t len)
{
    conn *c = arg;
    if (c->a->serve_stdin) {
        if (fwrite(data, 1, len, stdout) != len)
            exit(1);
        fflush(stdout);
        return;
    }
    mote_flow_write(c->flow, data, len); /* echo */
}

static void conn_eof(void *arg)
{
    conn *c = arg;
    if (!c->a->serve_stdin)
        mote_flow_shutdown(c->flow);
    conn_close(c);
}

static void conn_drain(void *arg)
{
    conn *c = arg;
    if (c->a->serve_stdin && c->sent <= c->a->stdin_len)
        conn_send_more(c);
}

static void conn_error(void *arg, int err)
{
    conn *c = arg;
    fail_reason(mote_tls_flow_tls(c->flow), err);
    c->a->exit_code = 1;
    conn_close(c);
}

static const mote_flow_events conn_events = {conn_data, conn_eof, conn_drain, conn_error};

static void conn_handshake(void *arg, int err)
{
    conn *c = arg;
    if (err)
        return;
    if (!c->a->quiet)
        print_session(mote_tls_flow_tls(c->flow), 1);
    if (c->a->serve_stdin)
        conn_send_more(c);
}

static void on_accept(void *arg, mote_flow *lower, int err)
{
    app *a = arg;
    if (err)
        return;
    mote_tls *t = mote_tls_server_new(a->cfg, &err);
    if (!t) {
        mote_flow_close(lower);
        return;
    }
    conn *c = calloc(1, sizeof(*c));
    c->a = a;
    c->flow = mote_tls_flow_new(t, lower, &err);
    if (!c->flow) {
        mote_tls_free(t);
        mote_flow_close(lower);
        free(c);
        return;
    }
    a->conns++;
    mote_tls_flow_on_handshake(c->flow, conn_handshake, c);
    mote_flow_set_events(c->flow, &conn_events, c);
}

int main(int argc, char **argv)
{
    app a;
    memset(&a, 0, sizeof(a));
    if (argc < 2)
        usage();
    if (!strcmp(argv[1], "server"))
        a.server = 1;
    else if (strcmp(argv[1], "client"))
        usage();
    uv_loop_t loop;
    uv_loop_init(&loop);
    a.loop = &loop;
    mote_posix_rng_init(&a.rng);
    int err = 0;
    a.clock = mote_posix_clock_new(&loop, &err);
    a.cfg = mote_tls_config_new(&a.rng, &err);
    if (!a.cfg || !a.clock)
        return 1;
    mote_tls_config_set_clock(a.cfg, mote_posix_clock_clock(a.clock));
    const char *certs[8] = {0}, *keys[8] = {0}, *names[8] = {0}, *ocsp[8] = {0};
    int n_certs = 0, n_keys = 0;
    const char *addr = "0.0.0.0", *target = NULL, *cafile = NULL, *verify_client = NULL;
    int port = 4433, insecure = 0;
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
#define ARG() (i + 1 < argc ? argv[++i] : (usage(), ""))
        if (!strcmp(o, "--cafile"))
            cafile = ARG();
        else if (!strcmp(o, "--rfc5280"))
            mote_tls_config_set_trust_profile(a.cfg, 1);
        else if (!strcmp(o, "--insecure"))
            insecure = 1;
        else if (!strcmp(o, "--alpn")) {
            if (mote_tls_config_set_alpn_str(a.cfg, ARG())) {
                fprintf(stderr, "mote-tls: bad --alpn\n");
                return 2;
            }
        } else if (!strcmp(o, "--groups")) {
            if (mote_tls_config_set_groups_str(a.cfg, ARG())) {
                fprintf(stderr, "mote-tls: bad --groups (x25519, secp256r1, secp384r1, "
                                "X25519MLKEM768)\n");
                return 2;
            }
        } else if (!strcmp(o, "--tls1.3"))
            mote_tls_config_set_versions(a.cfg, MOTE_TLS_VERSION_13, MOTE_TLS_VERSION_13);
        else if (!strcmp(o, "--tls1.2"))
            mote_tls_config_set_versions(a.cfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12);
        else if (!strcmp(o, "--session"))
            copts.session = ARG();
        else if (!strcmp(o, "--servername"))
            copts.sni = ARG();
        else if (!strcmp(o, "--cert") && n_certs < 8)
            certs[n_certs++] = ARG();
        else if (!strcmp(o, "--key") && n_keys < 8)
            keys[n_keys++] = ARG();
        else if (!strcmp(o, "--names") && n_certs > 0)
            names[n_certs - 1] = ARG();
        else if (!strcmp(o, "--ocsp") && n_certs > 0)
            ocsp[n_certs - 1] = ARG();
        else if (!strcmp(o, "--addr"))
            addr = ARG();
        else if (!strcmp(o, "--port"))
            port = atoi(ARG());
        else if (!strcmp(o, "--verify-client"))
            verify_client = ARG();
        else if (!strcmp(o, "--stdin"))
            a.serve_stdin = 1;
        else if (!strcmp(o, "--once"))
            a.once = 1;
        else if (!strcmp(o, "--quiet"))
            a.quiet = 1;
        else if (!strcmp(o, "--key-update"))
            a.key_update = 1;
        else if (o[0] != '-' && !target)
            target = o;
        else
            usage();
    }
    if (n_certs != n_keys)
        usage();
    for (int i = 0; i < n_certs; i++) {
        size_t cl, kl;
        char *c = read_file(certs[i], &cl), *k = read_file(keys[i], &kl);
        err = mote_tls_config_add_cert_pem(a.cfg, c, cl, k, kl, names[i]);
        free(c);
        free(k);
        if (err) {
            fprintf(stderr, "mote-tls: cannot load %s / %s: %s\n", certs[i], keys[i],
                    mote_strerror(err));
            return 2;
        }
        if (ocsp[i]) {
            size_t ol;
            char *der = read_file(ocsp[i], &ol);
            err = mote_tls_config_set_ocsp_der(a.cfg, (const uint8_t *)der, ol);
            free(der);
            if (err) {
                fprintf(stderr, "mote-tls: cannot use %s: %s\n", ocsp[i], mote_strerror(err));
                return 2;
            }
        }
    }
    if (cafile) {
        size_t l;
        char *pem = read_file(cafile, &l);
        err = mote_tls_config_add_trust_pem(a.cfg, pem, l, NULL);
        free(pem);
        if (err) {
            fprintf(stderr, "mote-tls: cannot load %s: %s\n", cafile, mote_strerror(err));
            return 2;
        }
    }
    if (a.server) {
        if (!n_certs)
            usage();
        if (verify_client) {
            size_t l;
            char *pem = read_file(verify_client, &l);
            err = mote_tls_config_add_trust_pem(a.cfg, pem, l, NULL);
            free(pem);
            if (err) {
                fprintf(stderr, "mote-tls: cannot load %s\n", verify_client);
                return 2;
            }
            mote_tls_config_set_client_trust(a.cfg, 1);
            mote_tls_config_set_client_auth(a.cfg, 2);
        }
        if (a.serve_stdin)
            a.stdin_data = read_file("/dev/stdin", &a.stdin_len);
        a.listener =
            mote_posix_tcp_listen(&loop, addr, (uint16_t)port, 0, NULL, on_accept, &a, &err);
        if (!a.listener) {
            fprintf(stderr, "mote-tls: cannot listen on %s:%d: %s\n", addr, port,
                    mote_strerror(err));
            return 1;
        }
        fprintf(stderr, "mote-tls: listening on %s port %u\n", addr,
                mote_posix_listener_port(a.listener));
    } else {
        if (!target)
            usage();
        if (insecure)
            mote_tls_config_set_insecure(a.cfg, 1);
        else if (!cafile) {
            fprintf(stderr, "mote-tls: give --cafile F (or --insecure)\n");
            return 2;
        }
        static char host[256];
        const char *colon = strrchr(target, ':');
        if (!colon || colon == target || (size_t)(colon - target) >= sizeof(host))
            usage();
        memcpy(host, target, (size_t)(colon - target));
        host[colon - target] = 0;
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
            memmove(host, host + 1, strlen(host));
            host[strlen(host) - 1] = 0;
        }
        copts.host = host;
        a.read_buf = malloc(CHUNK);
        mote_posix_tcp_options topt = {.nodelay = 1, .connect_timeout_ms = 10000};
        if (!mote_posix_tcp_connect(&loop, host, (uint16_t)atoi(colon + 1), &topt, on_connect, &a,
                                    &err)) {
            fprintf(stderr, "mote-tls: cannot connect: %s\n", mote_strerror(err));
            return 1;
        }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (a.listener)
        mote_posix_listener_close(a.listener);
    if (a.flow)
        mote_flow_close(a.flow);
    mote_posix_clock_free(a.clock);
    uv_run(&loop, UV_RUN_NOWAIT);
    mote_tls_config_free(a.cfg);
    free(a.read_buf);
    free(a.stdin_data);
    uv_loop_close(&loop);
    return a.exit_code;
}
