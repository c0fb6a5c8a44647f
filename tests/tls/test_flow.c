/* test_flow.c - the TLS flow adapter (mote_tls_flow_new) over an in-memory
 * flow pair with a hand-turned "loop": handshake callback, data both ways,
 * writes before the handshake, close_notify as eof, truncation as
 * MOTE_ECONNRESET, verification failure as an error, backpressure with
 * set_reading, and close from inside a callback. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs.h"
#include "mote/sim.h"
#include "mote/tls.h"

static tc_cert cert, other;
static int have_certs;

/* ---- an in-memory flow pair; bytes move only when mem_run() turns ---- */

typedef struct memflow {
    mote_flow flow;
    struct memflow *peer;
    const mote_flow_events *ev;
    void *arg;
    mote_buf inbox;
    int reading, shut, closed, eof_in, eof_sent;
    int sync; /* writes reach the peer's data callback at once when they can */
} memflow;

static void mf_set_events(void *ctx, const mote_flow_events *ev, void *arg)
{
    memflow *m = ctx;
    m->ev = ev;
    m->arg = arg;
}
static int mf_write(void *ctx, const uint8_t *data, size_t len)
{
    memflow *m = ctx;
    if (m->closed || m->shut)
        return MOTE_ECLOSED;
    memflow *p = m->peer;
    if (p->closed)
        return 0;
    if (m->sync && p->ev && p->reading && !p->inbox.len) {
        if (p->ev->data)
            p->ev->data(p->arg, data, len);
        return 0;
    }
    return mote_buf_append(&p->inbox, data, len);
}
static size_t mf_queued(void *ctx)
{
    (void)ctx;
    return 0;
}
static void mf_set_reading(void *ctx, int on)
{
    ((memflow *)ctx)->reading = on;
}
static int mf_shutdown(void *ctx)
{
    memflow *m = ctx;
    m->shut = 1;
    m->peer->eof_in = 1;
    return 0;
}
static void mf_close(void *ctx)
{
    memflow *m = ctx;
    m->closed = 1;
    m->peer->eof_in = 1;
}

static void mf_init(memflow *a, memflow *b)
{
    memset(a, 0, sizeof(*a));
    memset(b, 0, sizeof(*b));
    memflow *m[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        m[i]->flow.ctx = m[i];
        m[i]->flow.set_events = mf_set_events;
        m[i]->flow.write = mf_write;
        m[i]->flow.queued = mf_queued;
        m[i]->flow.set_reading = mf_set_reading;
        m[i]->flow.shutdown = mf_shutdown;
        m[i]->flow.close = mf_close;
        m[i]->reading = 1;
        mote_buf_init(&m[i]->inbox, 0);
    }
    a->peer = b;
    b->peer = a;
}

/* Delivers what waits, as an event loop would; returns events run. */
static int mem_run(memflow *a, memflow *b)
{
    int total = 0;
    for (int round = 0; round < 1000; round++) {
        int n = 0;
        memflow *m[2] = {a, b};
        for (int i = 0; i < 2; i++) {
            memflow *f = m[i];
            if (f->closed || !f->ev || !f->reading)
                continue;
            if (f->inbox.len) {
                size_t len = f->inbox.len;
                uint8_t *data = mote_buf_detach(&f->inbox, &len);
                if (f->ev->data)
                    f->ev->data(f->arg, data, len);
                free(data);
                n++;
            } else if (f->eof_in && !f->eof_sent) {
                f->eof_sent = 1;
                if (f->ev->eof)
                    f->ev->eof(f->arg);
                n++;
            }
        }
        total += n;
        if (!n)
            break;
    }
    return total;
}

/* ---- an application on each end ---- */

typedef struct endp {
    mote_flow *flow;
    mote_buf got;
    int hs_err, hs_calls, eof, err, echo, close_on_data, after_close_calls, closed;
    size_t echo_left; /* echo at most this many bytes more (with echo = 2) */
    int toggle;       /* set_reading(0) then (1) inside every data callback */
    int pause_after;  /* set_reading(0) after this many data callbacks */
    size_t calls, max_chunk;
    mote_flow *poke; /* on data: write "tail" to this other flow and shut it */
} endp;

static void e_data(void *arg, const uint8_t *data, size_t len)
{
    endp *e = arg;
    if (e->closed) {
        e->after_close_calls++;
        return;
    }
    mote_buf_append(&e->got, data, len);
    e->calls++;
    if (len > e->max_chunk)
        e->max_chunk = len;
    if (e->echo == 1)
        mote_flow_write(e->flow, data, len);
    if (e->echo == 2 && e->echo_left) {
        size_t n = len < e->echo_left ? len : e->echo_left;
        e->echo_left -= n;
        mote_flow_write(e->flow, data, n);
    }
    if (e->toggle) {
        mote_flow_set_reading(e->flow, 0);
        mote_flow_set_reading(e->flow, 1);
    }
    if (e->poke) {
        mote_flow *o = e->poke;
        e->poke = NULL;
        ck_assert_int_eq(mote_flow_write(o, "tail", 4), 0);
        ck_assert_int_eq(mote_flow_shutdown(o), 0);
    }
    if (e->pause_after && e->calls == (size_t)e->pause_after)
        mote_flow_set_reading(e->flow, 0);
    if (e->close_on_data) {
        mote_flow_close(e->flow);
        e->closed = 1;
    }
}
static void e_eof(void *arg)
{
    endp *e = arg;
    if (e->closed)
        e->after_close_calls++;
    e->eof++;
}
static void e_error(void *arg, int err)
{
    endp *e = arg;
    if (e->closed)
        e->after_close_calls++;
    e->err = err;
}
static const mote_flow_events e_events = {e_data, e_eof, NULL, e_error};

static void e_hs(void *arg, int err)
{
    endp *e = arg;
    e->hs_calls++;
    e->hs_err = err;
}

typedef struct fixture {
    mote_seeded_rng rng;
    mote_tls_config *cc, *sc;
    memflow lc, ls; /* the lower flows */
    endp c, s;
} fixture;

static void fx_init(fixture *f, const tc_cert *pin)
{
    int err;
    memset(f, 0, sizeof(*f));
    mote_seeded_rng_init(&f->rng, 7);
    f->cc = mote_tls_config_new(&f->rng.rng, &err);
    f->sc = mote_tls_config_new(&f->rng.rng, &err);
    ck_assert_int_eq(mote_tls_config_add_cert_pem(f->sc, cert.cert_pem, cert.cert_len, cert.key_pem,
                                                  cert.key_len, NULL),
                     0);
    mote_tls_config_add_pins_pem(f->cc, pin->cert_pem, pin->cert_len, NULL);
    mf_init(&f->lc, &f->ls);
    mote_buf_init(&f->c.got, 0);
    mote_buf_init(&f->s.got, 0);
    f->c.flow = mote_tls_flow_new(mote_tls_client_new(f->cc, "flow.test", &err), &f->lc.flow, &err);
    f->s.flow = mote_tls_flow_new(mote_tls_server_new(f->sc, &err), &f->ls.flow, &err);
    ck_assert_ptr_nonnull(f->c.flow);
    ck_assert_ptr_nonnull(f->s.flow);
    mote_tls_flow_on_handshake(f->c.flow, e_hs, &f->c);
    mote_tls_flow_on_handshake(f->s.flow, e_hs, &f->s);
    mote_flow_set_events(f->c.flow, &e_events, &f->c);
    mote_flow_set_events(f->s.flow, &e_events, &f->s);
}

static void fx_free(fixture *f)
{
    if (!f->c.closed)
        mote_flow_close(f->c.flow);
    if (!f->s.closed)
        mote_flow_close(f->s.flow);
    mote_buf_free(&f->c.got);
    mote_buf_free(&f->s.got);
    mote_buf_free(&f->lc.inbox);
    mote_buf_free(&f->ls.inbox);
    mote_tls_config_free(f->cc);
    mote_tls_config_free(f->sc);
}

START_TEST(t_flow_echo_and_close)
{
    ck_assert(have_certs);
    fixture f;
    fx_init(&f, &cert);
    f.s.echo = 1;
    ck_assert_int_eq(mote_flow_write(f.c.flow, "ping", 4), 0); /* before the handshake */
    mem_run(&f.lc, &f.ls);
    ck_assert_int_eq(f.c.hs_calls, 1);
    ck_assert_int_eq(f.c.hs_err, 0);
    ck_assert_int_eq(f.s.hs_calls, 1);
    ck_assert_uint_eq(f.s.got.len, 4);
    ck_assert_uint_eq(f.c.got.len, 4);
    ck_assert(memcmp(f.c.got.data, "ping", 4) == 0);
    /* close_notify one way, then the other: eof on each side. */
    ck_assert_int_eq(mote_flow_shutdown(f.c.flow), 0);
    ck_assert_int_eq(mote_flow_write(f.c.flow, "x", 1), MOTE_ECLOSED);
    mem_run(&f.lc, &f.ls);
    ck_assert_int_eq(f.s.eof, 1);
    ck_assert_int_eq(f.s.err, 0);
    ck_assert_int_eq(mote_flow_write(f.s.flow, "bye", 3), 0); /* half-close */
    ck_assert_int_eq(mote_flow_shutdown(f.s.flow), 0);
    mem_run(&f.lc, &f.ls);
    ck_assert_int_eq(f.c.eof, 1);
    ck_assert_int_eq(f.c.err, 0);
    ck_assert_uint_eq(f.c.got.len, 7);
    ck_assert_int_eq(mote_tls_state(mote_tls_flow_tls(f.c.flow)), MOTE_TLS_CLOSED);
    fx_free(&f);
}
END_TEST

START_TEST(t_flow_truncation)
{
    ck_assert(have_certs);
    fixture f;
    fx_init(&f, &cert);
    mem_run(&f.lc, &f.ls);
    ck_assert_int_eq(f.c.hs_err, 0);
    /* The server's transport ends without close_notify. */
    mf_shutdown(&f.ls);
    mem_run(&f.lc, &f.ls);
    ck_assert_int_eq(f.c.eof, 0);
    ck_assert_int_eq(f.c.err, MOTE_ECONNRESET);
    fx_free(&f);
}
END_TEST

START_TEST(t_flow_verify_failure)
{
    ck_assert(have_certs);
    fixture f;
    fx_init(&f, &other);
    mem_run(&f.lc, &f.ls);
    ck_assert_int_eq(f.c.hs_calls, 1);
    ck_assert_int_eq(f.c.hs_err, MOTE_EVERIFY);
    ck_assert_int_eq(f.c.err, MOTE_EVERIFY);
    ck_assert_int_eq(mote_tls_alert(mote_tls_flow_tls(f.c.flow), NULL),
                     MOTE_TLS_ALERT_BAD_CERTIFICATE);
    ck_assert_int_eq(f.s.err, MOTE_EPROTO);
    int recv = 0;
    ck_assert_int_eq(mote_tls_alert(mote_tls_flow_tls(f.s.flow), &recv),
                     MOTE_TLS_ALERT_BAD_CERTIFICATE);
    ck_assert_int_eq(recv, 1);
    fx_free(&f);
}
END_TEST

START_TEST(t_flow_backpressure)
{
    ck_assert(have_certs);
    fixture f;
    fx_init(&f, &cert);
    mem_run(&f.lc, &f.ls);
    mote_flow_set_reading(f.s.flow, 0);
    size_t total = 300000;
    uint8_t *big = malloc(total);
    for (size_t i = 0; i < total; i++)
        big[i] = (uint8_t)(i * 131 + 7);
    ck_assert_int_eq(mote_flow_write(f.c.flow, big, total), 0);
    mem_run(&f.lc, &f.ls);
    ck_assert_uint_eq(f.s.got.len, 0);
    mote_flow_set_reading(f.s.flow, 1);
    mem_run(&f.lc, &f.ls);
    ck_assert_uint_eq(f.s.got.len, total);
    ck_assert(memcmp(f.s.got.data, big, total) == 0);
    free(big);
    fx_free(&f);
}
END_TEST

START_TEST(t_flow_close_in_callback)
{
    ck_assert(have_certs);
    fixture f;
    fx_init(&f, &cert);
    f.s.close_on_data = 1;
    mote_flow_write(f.c.flow, "one", 3);
    mote_flow_write(f.c.flow, "two", 3);
    mote_flow_shutdown(f.c.flow);
    mem_run(&f.lc, &f.ls);
    ck_assert(f.s.closed);
    ck_assert_int_eq(f.s.after_close_calls, 0);
    fx_free(&f);
}
END_TEST

/* Many records in one lower chunk: each is handed over where it was
 * decrypted (one callback per record, none over 16 KiB), and toggling
 * set_reading inside the callback neither repeats nor loses data. */
START_TEST(t_flow_records_in_one_chunk)
{
    ck_assert(have_certs);
    fixture f;
    fx_init(&f, &cert);
    mem_run(&f.lc, &f.ls);
    ck_assert_int_eq(f.s.hs_err, 0);
    f.s.toggle = 1;
    static uint8_t data[10 * 3000 + 40000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 29 + 3);
    for (int k = 0; k < 10; k++)
        ck_assert_int_eq(mote_flow_write(f.c.flow, data + k * 3000, 3000), 0);
    ck_assert_int_eq(mote_flow_write(f.c.flow, data + 30000, 40000), 0);
    ck_assert_uint_eq(f.ls.inbox.len,
                      10 * (5 + 3000 + 17) + 2 * (5 + 16384 + 17) + (5 + 40000 - 2 * 16384 + 17));
    mem_run(&f.lc, &f.ls);
    ck_assert_uint_eq(f.s.got.len, sizeof(data));
    ck_assert(memcmp(f.s.got.data, data, sizeof(data)) == 0);
    ck_assert_uint_eq(f.s.calls, 13);
    ck_assert_uint_eq(f.s.max_chunk, 16384);
    fx_free(&f);
}
END_TEST

/* Reading paused from inside a callback with more records waiting in
 * the same chunk: nothing more is delivered until reading resumes; the
 * engine fills, the lower flow is paused and later resumed. */
START_TEST(t_flow_pause_in_callback)
{
    ck_assert(have_certs);
    fixture f;
    fx_init(&f, &cert);
    mem_run(&f.lc, &f.ls);
    f.s.pause_after = 2;
    size_t total = 200000;
    uint8_t *big = malloc(total);
    for (size_t i = 0; i < total; i++)
        big[i] = (uint8_t)(i * 7 + 1);
    ck_assert_int_eq(mote_flow_write(f.c.flow, big, total), 0);
    mem_run(&f.lc, &f.ls);
    ck_assert_uint_eq(f.s.calls, 2);
    ck_assert_uint_eq(f.s.got.len, 2 * 16384);
    ck_assert_int_eq(f.ls.reading, 0); /* the engine is full: lower paused */
    mote_flow_set_reading(f.s.flow, 1);
    mem_run(&f.lc, &f.ls);
    ck_assert_uint_eq(f.s.got.len, total);
    ck_assert(memcmp(f.s.got.data, big, total) == 0);
    ck_assert_int_eq(f.ls.reading, 1);
    free(big);
    fx_free(&f);
}
END_TEST

/* Lower flows that answer at once: the server's echo reaches the client
 * inside the server's data callback, and the client's echo of that
 * reaches the server while it is still inside it. The server holds those
 * bytes and feeds them after; both ends see every byte once, in order. */
START_TEST(t_flow_sync_reentry)
{
    ck_assert(have_certs);
    fixture f;
    fx_init(&f, &cert);
    f.lc.sync = f.ls.sync = 1;
    mem_run(&f.lc, &f.ls);
    ck_assert_int_eq(f.c.hs_err, 0);
    ck_assert_int_eq(f.s.hs_err, 0);
    f.s.echo = 1;
    f.c.echo = 2;
    f.c.echo_left = 50000;
    static uint8_t data[20000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13 + 5);
    ck_assert_int_eq(mote_flow_write(f.c.flow, data, sizeof(data)), 0);
    mem_run(&f.lc, &f.ls);
    /* The server got the 20000 bytes and the client's 50000 bytes of echo
     * (the stream repeated), and echoed all of it back. */
    ck_assert_uint_eq(f.s.got.len, 70000);
    ck_assert_uint_eq(f.c.got.len, 70000);
    ck_assert(memcmp(f.s.got.data, f.c.got.data, 70000) == 0);
    for (size_t i = 0; i < 70000; i++)
        ck_assert_uint_eq(f.s.got.data[i], data[i % sizeof(data)]);
    /* The server's callback writes to the client's flow and shuts it
     * while the client is inside its lower write: the data and then
     * close_notify follow the write that is under way. */
    f.s.echo = 0;
    f.c.echo = 0;
    f.s.poke = f.c.flow;
    ck_assert_int_eq(mote_flow_write(f.c.flow, "head", 4), 0);
    mem_run(&f.lc, &f.ls);
    ck_assert_uint_eq(f.s.got.len, 70008);
    ck_assert(memcmp(f.s.got.data + 70000, "headtail", 8) == 0);
    ck_assert_int_eq(f.s.eof, 1);
    ck_assert_int_eq(f.s.err, 0);
    ck_assert_int_eq(mote_flow_write(f.c.flow, "x", 1), MOTE_ECLOSED);
    fx_free(&f);
}
END_TEST

/* Lower flows that answer at once: the echo of the client's write comes
 * back inside that write, and the client's data callback closes its flow
 * there; the flow is freed once the write returns, nothing after. */
START_TEST(t_flow_sync_close_in_write)
{
    ck_assert(have_certs);
    fixture f;
    fx_init(&f, &cert);
    f.lc.sync = f.ls.sync = 1;
    mem_run(&f.lc, &f.ls);
    ck_assert_int_eq(f.c.hs_err, 0);
    f.s.echo = 1;
    f.c.close_on_data = 1;
    ck_assert_int_eq(mote_flow_write(f.c.flow, "ping", 4), 0);
    ck_assert(f.c.closed);
    ck_assert_uint_eq(f.c.got.len, 4);
    ck_assert_int_eq(f.c.after_close_calls, 0);
    mem_run(&f.lc, &f.ls);
    ck_assert_uint_eq(f.s.got.len, 4);
    fx_free(&f);
}
END_TEST

int main(void)
{
    if (!tu_have_program("openssl")) {
        printf("SKIP: the openssl command is needed to make test certificates\n");
        return 77;
    }
    have_certs = tc_make(&cert, "flow", "p256", "flow.test", 30) == 0 &&
                 tc_make(&other, "flow-other", "ed25519", "other.test", 30) == 0;
    Suite *s = suite_create("tls-flow");
    TCase *tc = tcase_create("flow");
    tcase_add_test(tc, t_flow_echo_and_close);
    tcase_add_test(tc, t_flow_truncation);
    tcase_add_test(tc, t_flow_verify_failure);
    tcase_add_test(tc, t_flow_backpressure);
    tcase_add_test(tc, t_flow_close_in_callback);
    tcase_add_test(tc, t_flow_records_in_one_chunk);
    tcase_add_test(tc, t_flow_pause_in_callback);
    tcase_add_test(tc, t_flow_sync_reentry);
    tcase_add_test(tc, t_flow_sync_close_in_write);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s);
    tc_cleanup();
    return rc;
}
