/* test_tcp.c - libmote-net's TCP: two stacks over the in-memory link (bulk
 * transfers through faults, close sequences, half-close, zero window,
 * keepalive, backlog, the flow contract) and one stack against crafted
 * segments (simultaneous open, RTO backoff, challenge ACKs, PAWS). */
#include "netutil.h"

#include <stdio.h>

static uint8_t pat(uint64_t i, unsigned seed)
{
    uint64_t x = (i + seed * 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
    return (uint8_t)(x >> 29 ^ i);
}

/* One direction of a transfer: what a side sends and what it receives. */
typedef struct xfer {
    mote_flow *f;
    unsigned seed_out, seed_in;
    uint64_t total_out, sent;
    uint64_t total_in, rcvd;
    int eof, err, shut, mismatch, drains, close_on_eof;
    size_t chunk;
} xfer;

static void x_pump(xfer *x)
{
    static uint8_t buf[65536];
    while (x->sent < x->total_out && mote_flow_queued(x->f) < 512 * 1024) {
        size_t n = x->chunk ? x->chunk : sizeof buf;
        if (n > x->total_out - x->sent)
            n = (size_t)(x->total_out - x->sent);
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(x->sent + i, x->seed_out);
        ck_assert_int_eq(mote_flow_write(x->f, buf, n), 0);
        x->sent += n;
    }
    if (x->sent == x->total_out && !x->shut) {
        x->shut = 1;
        ck_assert_int_eq(mote_flow_shutdown(x->f), 0);
    }
}

static void x_data(void *arg, const uint8_t *d, size_t len)
{
    xfer *x = arg;
    for (size_t i = 0; i < len; i++)
        if (d[i] != pat(x->rcvd + i, x->seed_in)) {
            x->mismatch++;
            break;
        }
    x->rcvd += len;
}

static void x_eof(void *arg)
{
    xfer *x = arg;
    x->eof = 1;
}

static void x_drain(void *arg)
{
    xfer *x = arg;
    x->drains++;
    x_pump(x);
}

static void x_error(void *arg, int err)
{
    xfer *x = arg;
    x->err = err;
}

static const mote_flow_events x_events = {x_data, x_eof, x_drain, x_error};

typedef struct server {
    xfer x;
    int accepted;
    mote_net_listener *l;
} server;

static void srv_accept(void *arg, mote_net_listener *l)
{
    server *sv = arg;
    int err;
    mote_flow *f = mote_net_tcp_accept(l, &err);
    ck_assert_ptr_nonnull(f);
    sv->accepted++;
    sv->x.f = f;
    mote_flow_set_events(f, &x_events, &sv->x);
    x_pump(&sv->x);
}

typedef struct client {
    xfer x;
    int connected, cerr;
} client;

static void cli_connected(void *arg, mote_flow *f, int err)
{
    client *c = arg;
    (void)f;
    c->connected = 1;
    c->cerr = err;
    if (!err)
        x_pump(&c->x);
}

static int x_done(const xfer *x)
{
    return x->eof && x->rcvd == x->total_in && x->sent == x->total_out;
}

/* Moves `bytes` each way between stack 0 (client) and stack 1 (server);
 * returns the simulated time taken in ns. */
static uint64_t transfer(nt_pair *p, uint64_t bytes, uint64_t limit_s, server *sv, client *cl)
{
    memset(sv, 0, sizeof *sv);
    memset(cl, 0, sizeof *cl);
    int err;
    sv->l = mote_net_tcp_listen(p->st[1], 5001, 8, srv_accept, sv, &err);
    ck_assert_ptr_nonnull(sv->l);
    sv->x.total_out = bytes;
    sv->x.total_in = bytes;
    sv->x.seed_out = 2;
    sv->x.seed_in = 1;
    cl->x.total_out = bytes;
    cl->x.total_in = bytes;
    cl->x.seed_out = 1;
    cl->x.seed_in = 2;
    uint64_t t0 = nt_now(p);
    cl->x.f = mote_net_tcp_connect(p->st[0], NT_B, 5001, cli_connected, cl, &err);
    ck_assert_ptr_nonnull(cl->x.f);
    mote_flow_set_events(cl->x.f, &x_events, &cl->x);
    uint64_t limit = t0 + limit_s * MOTE_NS_PER_SEC;
    while (nt_now(p) < limit && !(x_done(&cl->x) && sv->accepted && x_done(&sv->x))) {
        if (cl->x.err || sv->x.err)
            break;
        mote_fakeclock_run(p->fc, nt_now(p) + 100 * MOTE_NS_PER_MS, 1000000);
        if (getenv("NT_TRACE")) {
            mote_net_tcp_info i;
            mote_net_tcp_get_info(cl->x.f, &i);
            fprintf(stderr,
                    "t=%.1f st=%d cwnd=%u ssth=%u wnd=%u rto=%llu bo=%u rtx=%llu una=%zu "
                    "unsent=%zu acked=%llu rcvd=%llu/%llu\n",
                    (double)(nt_now(p) - t0) / 1e9, i.state, i.cwnd, i.ssthresh, i.snd_wnd,
                    (unsigned long long)i.rto_ns / 1000000, i.backoff,
                    (unsigned long long)i.retransmits, i.unacked, i.unsent,
                    (unsigned long long)i.bytes_acked, (unsigned long long)cl->x.rcvd,
                    (unsigned long long)sv->x.rcvd);
            if (sv->x.f) {
                mote_net_tcp_get_info(sv->x.f, &i);
                mote_net_link_stats l0, l1;
                mote_net_link_get_stats(p->link, 0, &l0);
                mote_net_link_get_stats(p->link, 1, &l1);
                mote_net_counters c0, c1;
                mote_net_get_counters(p->st[0], &c0);
                mote_net_get_counters(p->st[1], &c1);
                fprintf(stderr,
                        "   srv st=%d cwnd=%u wnd=%u rto=%llu bo=%u una=%zu unsent=%zu rcvwnd=%u | "
                        "link0 sent=%llu link1 sent=%llu | c0 in=%llu chal=%llu paws=%llu dup=%llu "
                        "| c1 in=%llu dup=%llu paws=%llu arp0=%llu arp1=%llu\n",
                        i.state, i.cwnd, i.snd_wnd, (unsigned long long)i.rto_ns / 1000000,
                        i.backoff, i.unacked, i.unsent, i.rcv_wnd, (unsigned long long)l0.sent,
                        (unsigned long long)l1.sent, (unsigned long long)c0.tcp_in,
                        (unsigned long long)c0.tcp_challenge_acks,
                        (unsigned long long)c0.tcp_paws_drop, (unsigned long long)c0.tcp_dup_in,
                        (unsigned long long)c1.tcp_in, (unsigned long long)c1.tcp_dup_in,
                        (unsigned long long)c1.tcp_paws_drop, (unsigned long long)c0.arp_out,
                        (unsigned long long)c1.arp_out);
            }
        }
        uint64_t now = nt_now(p), next;
        if (mote_fakeclock_next(p->fc, &next) != 0)
            break;
        if (next > now && next < limit)
            mote_fakeclock_advance(p->fc, next - now > 100 * MOTE_NS_PER_MS ? 100 * MOTE_NS_PER_MS
                                                                            : next - now);
    }
    uint64_t took = nt_now(p) - t0;
    ck_assert_int_eq(cl->cerr, 0);
    ck_assert_int_eq(cl->x.err, 0);
    ck_assert_int_eq(sv->x.err, 0);
    ck_assert_int_eq(sv->accepted, 1);
    ck_assert_int_eq(cl->x.mismatch, 0);
    ck_assert_int_eq(sv->x.mismatch, 0);
    ck_assert_uint_eq(cl->x.rcvd, bytes);
    ck_assert_uint_eq(sv->x.rcvd, bytes);
    ck_assert(cl->x.eof);
    ck_assert(sv->x.eof);
    return took;
}

static void finish(nt_pair *p, server *sv, client *cl)
{
    mote_flow_close(cl->x.f);
    mote_flow_close(sv->x.f);
    mote_net_listener_close(sv->l);
    nt_run(p, 200 * MOTE_NS_PER_SEC);
}

static uint64_t env_bytes(const char *name, uint64_t dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    return strtoull(v, NULL, 10) * 1024 * 1024;
}

START_TEST(test_handshake_options_and_echo)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    server sv;
    client cl;
    transfer(&p, 1000, 10, &sv, &cl);
    mote_net_tcp_info a, b;
    ck_assert_int_eq(mote_net_tcp_get_info(cl.x.f, &a), 0);
    ck_assert_int_eq(mote_net_tcp_get_info(sv.x.f, &b), 0);
    ck_assert_uint_eq(a.mss, 1460 - 12);
    ck_assert_uint_eq(b.mss, 1460 - 12);
    ck_assert(a.ts_ok && a.sack_ok && b.ts_ok && b.sack_ok);
    ck_assert_uint_eq(a.rcv_wscale, 5); /* 1 MiB buffer */
    ck_assert_uint_eq(b.snd_wscale, 5);
    ck_assert_uint_eq(a.local_addr, NT_A);
    ck_assert_uint_eq(a.remote_port, 5001);
    ck_assert_uint_ge(a.local_port, 49152);
    ck_assert_uint_eq(b.remote_port, a.local_port);
    /* both sent FIN and got one: one side is in TIME_WAIT or both closing */
    ck_assert(a.state == MOTE_NET_TCP_TIME_WAIT || a.state == MOTE_NET_TCP_CLOSED ||
              a.state == MOTE_NET_TCP_CLOSING || a.state == MOTE_NET_TCP_LAST_ACK);
    ck_assert_int_eq(mote_flow_write(cl.x.f, "x", 1), MOTE_ECLOSED);
    ck_assert(!mote_net_tcp_is(NULL));
    finish(&p, &sv, &cl);
    mote_net_counters c;
    mote_net_get_counters(p.st[0], &c);
    ck_assert_uint_eq(c.tcp_active_opens, 1);
    ck_assert_uint_eq(c.tcp_retransmits, 0);
    mote_net_get_counters(p.st[1], &c);
    ck_assert_uint_eq(c.tcp_passive_opens, 1);
    uint64_t dl;
    ck_assert_int_eq(mote_fakeclock_next(p.fc, &dl), MOTE_ENOTFOUND);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_bulk_clean)
{
    nt_pair p;
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    lc.delay_ns = 100 * 1000; /* 100 us each way */
    nt_pair_init(&p, &lc);
    server sv;
    client cl;
    uint64_t bytes = env_bytes("MOTE_NET_TEST_MIB", 8ull << 20);
    transfer(&p, bytes, 3600, &sv, &cl);
    mote_net_counters c;
    mote_net_get_counters(p.st[0], &c);
    ck_assert_uint_eq(c.tcp_retransmits, 0);
    finish(&p, &sv, &cl);
    nt_pair_free(&p);
}
END_TEST

static void faulty(nt_pair *p, int cc, int sack, uint64_t bytes, unsigned seed)
{
    mote_net_config base;
    mote_net_config_default(&base);
    base.tcp.cc = cc;
    base.tcp.sack = sack;
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    lc.seed = seed;
    lc.delay_ns = 2 * MOTE_NS_PER_MS;
    lc.loss_ppm = 100000;
    lc.reorder_ppm = 50000;
    lc.dup_ppm = 10000;
    lc.corrupt_ppm = 1000;
    nt_pair_init_cfg(p, &lc, &base);
    server sv;
    client cl;
    transfer(p, bytes, 36000, &sv, &cl);
    mote_net_link_stats st, st1;
    mote_net_link_get_stats(p->link, 0, &st);
    mote_net_link_get_stats(p->link, 1, &st1);
    ck_assert_uint_gt(st.lost + st1.lost, 0);
    ck_assert_uint_gt(st.reordered + st1.reordered, 0);
    ck_assert_uint_gt(st.duplicated + st1.duplicated, 0);
    ck_assert_uint_gt(st.corrupted + st1.corrupted, 0);
    mote_net_counters c;
    mote_net_get_counters(p->st[0], &c);
    ck_assert_uint_gt(c.tcp_retransmits, 0);
    mote_net_counters c1;
    mote_net_get_counters(p->st[1], &c1);
    ck_assert_uint_gt(c.ip_drop_checksum + c.tcp_drop_checksum + c.eth_drop_dst + c.eth_drop_type +
                          c.ip_drop_header + c.ip_drop_dst + c.arp_drop_bad + c1.ip_drop_checksum +
                          c1.tcp_drop_checksum + c1.eth_drop_dst + c1.eth_drop_type +
                          c1.ip_drop_header + c1.ip_drop_dst + c1.arp_drop_bad +
                          c.udp_drop_checksum + c.icmp_drop_bad,
                      0);
    finish(p, &sv, &cl);
    nt_pair_free(p);
}

START_TEST(test_bulk_faults_cubic_sack)
{
    nt_pair p;
    faulty(&p, MOTE_NET_CC_CUBIC, 1, env_bytes("MOTE_NET_TEST_MIB", 2ull << 20), 1);
}
END_TEST

START_TEST(test_bulk_faults_newreno_sack)
{
    nt_pair p;
    faulty(&p, MOTE_NET_CC_NEWRENO, 1, env_bytes("MOTE_NET_TEST_MIB", 1ull << 20), 2);
}
END_TEST

START_TEST(test_bulk_faults_newreno_nosack)
{
    nt_pair p;
    faulty(&p, MOTE_NET_CC_NEWRENO, 0, env_bytes("MOTE_NET_TEST_MIB", 1ull << 20), 3);
}
END_TEST

START_TEST(test_bulk_faults_cubic_nosack)
{
    nt_pair p;
    faulty(&p, MOTE_NET_CC_CUBIC, 0, env_bytes("MOTE_NET_TEST_MIB", 1ull << 20), 4);
}
END_TEST

/* ---- close sequences ---- */

typedef struct ev_rec {
    mote_flow *f;
    size_t rcvd;
    int eof, err, drains;
    uint8_t buf[4096];
} ev_rec;

static void r_data(void *arg, const uint8_t *d, size_t len)
{
    ev_rec *r = arg;
    if (r->rcvd + len <= sizeof r->buf)
        memcpy(r->buf + r->rcvd, d, len);
    r->rcvd += len;
}
static void r_eof(void *arg)
{
    ((ev_rec *)arg)->eof++;
}
static void r_drain(void *arg)
{
    ((ev_rec *)arg)->drains++;
}
static void r_err(void *arg, int err)
{
    ((ev_rec *)arg)->err = err;
}
static const mote_flow_events r_events = {r_data, r_eof, r_drain, r_err};

typedef struct acc {
    mote_net_listener *l;
    int ready;
} acc;

static void acc_cb(void *arg, mote_net_listener *l)
{
    (void)l;
    ((acc *)arg)->ready++;
}

static void conn_cb(void *arg, mote_flow *f, int err)
{
    (void)f;
    int *r = arg;
    *r = err == 0 ? 1 : err;
}

static int state_of(mote_flow *f)
{
    mote_net_tcp_info i;
    ck_assert_int_eq(mote_net_tcp_get_info(f, &i), 0);
    return i.state;
}

/* Connects stack 0 to stack 1 and accepts; fills *cf and *sf. */
static void open_pair(nt_pair *p, acc *a, mote_flow **cf, mote_flow **sf, ev_rec *rc, ev_rec *rs)
{
    int err, cres = 0;
    memset(a, 0, sizeof *a);
    a->l = mote_net_tcp_listen(p->st[1], 80, 4, acc_cb, a, &err);
    ck_assert_ptr_nonnull(a->l);
    *cf = mote_net_tcp_connect(p->st[0], NT_B, 80, conn_cb, &cres, &err);
    ck_assert_ptr_nonnull(*cf);
    ck_assert_int_eq(state_of(*cf), MOTE_NET_TCP_SYN_SENT);
    memset(rc, 0, sizeof *rc);
    memset(rs, 0, sizeof *rs);
    mote_flow_set_events(*cf, &r_events, rc);
    for (int i = 0; i < 1000 && (!cres || !a->ready); i++)
        nt_run(p, MOTE_NS_PER_MS);
    ck_assert_int_eq(cres, 1);
    ck_assert_int_eq(a->ready, 1);
    *sf = mote_net_tcp_accept(a->l, &err);
    ck_assert_ptr_nonnull(*sf);
    ck_assert_ptr_null(mote_net_tcp_accept(a->l, &err));
    ck_assert_int_eq(err, MOTE_EAGAIN);
    mote_flow_set_events(*sf, &r_events, rs);
    ck_assert_int_eq(state_of(*cf), MOTE_NET_TCP_ESTABLISHED);
    ck_assert_int_eq(state_of(*sf), MOTE_NET_TCP_ESTABLISHED);
}

START_TEST(test_active_and_passive_close_states)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    acc a;
    mote_flow *cf, *sf;
    ev_rec rc, rs;
    open_pair(&p, &a, &cf, &sf, &rc, &rs);
    ck_assert_int_eq(mote_flow_write(cf, "hello", 5), 0);
    ck_assert_int_eq(mote_flow_shutdown(cf), 0);
    ck_assert_int_eq(mote_flow_shutdown(cf), MOTE_ECLOSED);
    ck_assert_int_eq(state_of(cf), MOTE_NET_TCP_FIN_WAIT_1);
    nt_run(&p, 10 * MOTE_NS_PER_MS);
    ck_assert_int_eq(state_of(cf), MOTE_NET_TCP_FIN_WAIT_2);
    ck_assert_int_eq(state_of(sf), MOTE_NET_TCP_CLOSE_WAIT);
    ck_assert_uint_eq(rs.rcvd, 5);
    ck_assert_mem_eq(rs.buf, "hello", 5);
    ck_assert_int_eq(rs.eof, 1);
    /* half-close: the server still sends, the client still reads */
    ck_assert_int_eq(mote_flow_write(sf, "world!", 6), 0);
    nt_run(&p, 10 * MOTE_NS_PER_MS);
    ck_assert_uint_eq(rc.rcvd, 6);
    ck_assert_mem_eq(rc.buf, "world!", 6);
    ck_assert_int_eq(mote_flow_shutdown(sf), 0);
    ck_assert_int_eq(state_of(sf), MOTE_NET_TCP_LAST_ACK);
    nt_run(&p, 10 * MOTE_NS_PER_MS);
    ck_assert_int_eq(state_of(sf), MOTE_NET_TCP_CLOSED);
    ck_assert_int_eq(state_of(cf), MOTE_NET_TCP_TIME_WAIT);
    ck_assert_int_eq(rc.eof, 1);
    ck_assert_int_eq(rc.err, 0);
    ck_assert_int_eq(rs.err, 0);
    /* TIME_WAIT lasts 2 MSL (60 s) */
    nt_run(&p, 59 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(state_of(cf), MOTE_NET_TCP_TIME_WAIT);
    nt_run(&p, 2 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(state_of(cf), MOTE_NET_TCP_CLOSED);
    ck_assert_int_eq(mote_flow_write(sf, "x", 1), MOTE_ECLOSED);
    mote_flow_close(cf);
    mote_flow_close(sf);
    mote_net_listener_close(a.l);
    nt_run(&p, MOTE_NS_PER_SEC);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_simultaneous_close)
{
    nt_pair p;
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    lc.delay_ns = 5 * MOTE_NS_PER_MS;
    nt_pair_init(&p, &lc);
    acc a;
    mote_flow *cf, *sf;
    ev_rec rc, rs;
    open_pair(&p, &a, &cf, &sf, &rc, &rs);
    ck_assert_int_eq(mote_flow_shutdown(cf), 0);
    ck_assert_int_eq(mote_flow_shutdown(sf), 0);
    ck_assert_int_eq(state_of(cf), MOTE_NET_TCP_FIN_WAIT_1);
    ck_assert_int_eq(state_of(sf), MOTE_NET_TCP_FIN_WAIT_1);
    nt_run(&p, 6 * MOTE_NS_PER_MS); /* both FINs arrive before any ACK */
    ck_assert_int_eq(state_of(cf), MOTE_NET_TCP_CLOSING);
    ck_assert_int_eq(state_of(sf), MOTE_NET_TCP_CLOSING);
    nt_run(&p, 10 * MOTE_NS_PER_MS);
    ck_assert_int_eq(state_of(cf), MOTE_NET_TCP_TIME_WAIT);
    ck_assert_int_eq(state_of(sf), MOTE_NET_TCP_TIME_WAIT);
    ck_assert_int_eq(rc.eof, 1);
    ck_assert_int_eq(rs.eof, 1);
    nt_run(&p, 61 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(state_of(cf), MOTE_NET_TCP_CLOSED);
    ck_assert_int_eq(state_of(sf), MOTE_NET_TCP_CLOSED);
    mote_flow_close(cf);
    mote_flow_close(sf);
    mote_net_listener_close(a.l);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_close_is_graceful_and_orphans_finish)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    acc a;
    mote_flow *cf, *sf;
    ev_rec rc, rs;
    open_pair(&p, &a, &cf, &sf, &rc, &rs);
    static uint8_t big[300000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = pat(i, 9);
    ck_assert_int_eq(mote_flow_write(cf, big, sizeof big), 0);
    mote_flow_close(cf); /* everything written still arrives */
    static struct {
        size_t n;
        int bad;
    } got;
    memset(&got, 0, sizeof got);
    ev_rec *r = &rs;
    (void)r;
    nt_run(&p, 5 * MOTE_NS_PER_SEC);
    ck_assert_uint_eq(rs.rcvd, sizeof big);
    ck_assert_int_eq(rs.eof, 1);
    ck_assert_int_eq(state_of(sf), MOTE_NET_TCP_CLOSE_WAIT);
    mote_flow_close(sf);
    nt_run(&p, 200 * MOTE_NS_PER_SEC);
    mote_net_listener_close(a.l);
    uint64_t dl;
    ck_assert_int_eq(mote_fakeclock_next(p.fc, &dl), MOTE_ENOTFOUND);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_refused_and_reset)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    int err, cres = 0;
    mote_flow *f = mote_net_tcp_connect(p.st[0], NT_B, 4444, conn_cb, &cres, &err);
    ck_assert_ptr_nonnull(f);
    nt_run(&p, 100 * MOTE_NS_PER_MS);
    ck_assert_int_eq(cres, MOTE_ECONNREFUSED);
    ck_assert_int_eq(state_of(f), MOTE_NET_TCP_CLOSED);
    ck_assert_int_eq(mote_flow_write(f, "x", 1), MOTE_ECONNREFUSED);
    mote_flow_close(f);

    /* abort sends RST: the peer sees ECONNRESET */
    acc a;
    mote_flow *cf, *sf;
    ev_rec rc, rs;
    open_pair(&p, &a, &cf, &sf, &rc, &rs);
    mote_net_tcp_abort(cf);
    nt_run(&p, 100 * MOTE_NS_PER_MS);
    ck_assert_int_eq(rs.err, MOTE_ECONNRESET);
    ck_assert_int_eq(state_of(sf), MOTE_NET_TCP_CLOSED);
    ck_assert_int_eq(mote_flow_write(sf, "x", 1), MOTE_ECONNRESET);
    mote_flow_close(sf);

    /* no address, no route */
    ck_assert_ptr_null(
        mote_net_tcp_connect(p.st[0], MOTE_NET_IP4(198, 51, 100, 1), 80, conn_cb, &cres, &err));
    ck_assert_int_eq(err, MOTE_EUNREACH);
    ck_assert_ptr_null(mote_net_tcp_listen(p.st[1], 80, 4, acc_cb, &a, &err));
    ck_assert_int_eq(err, MOTE_EADDRINUSE);
    mote_net_listener_close(a.l);
    nt_run(&p, MOTE_NS_PER_SEC);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_zero_window_and_reading_off)
{
    nt_pair p;
    mote_net_config base;
    mote_net_config_default(&base);
    base.tcp.rcvbuf = 64 * 1024;
    nt_pair_init_cfg(&p, NULL, &base);
    acc a;
    mote_flow *cf, *sf;
    ev_rec rc, rs;
    open_pair(&p, &a, &cf, &sf, &rc, &rs);
    mote_flow_set_reading(sf, 0);
    static uint8_t big[1 << 20];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = pat(i, 5);
    ck_assert_int_eq(mote_flow_write(cf, big, sizeof big), 0);
    ck_assert_uint_gt(mote_flow_queued(cf), 0);
    nt_run(&p, 60 * MOTE_NS_PER_SEC);
    ck_assert_uint_eq(rs.rcvd, 0);
    mote_net_tcp_info ci, si;
    mote_net_tcp_get_info(cf, &ci);
    mote_net_tcp_get_info(sf, &si);
    ck_assert_uint_eq(ci.snd_wnd, 0);
    ck_assert_uint_eq(si.rcv_wnd, 0);
    ck_assert_int_eq(ci.state, MOTE_NET_TCP_ESTABLISHED);
    mote_net_counters c;
    mote_net_get_counters(p.st[0], &c);
    ck_assert_uint_gt(c.tcp_zero_window_probes, 2);
    ck_assert_uint_lt(c.tcp_zero_window_probes, 30); /* backed off */
    /* reading again: held bytes first, then the rest */
    static struct {
        size_t n;
        int bad;
    } chk;
    mote_flow_set_reading(sf, 1);
    nt_run(&p, 30 * MOTE_NS_PER_SEC);
    (void)chk;
    ck_assert_uint_eq(rs.rcvd, sizeof big);
    ck_assert_int_eq(rc.err, 0);
    ck_assert_uint_ge(rc.drains, 1);
    ck_assert_uint_eq(mote_flow_queued(cf), 0);
    mote_flow_close(cf);
    mote_flow_close(sf);
    mote_net_listener_close(a.l);
    nt_run(&p, 200 * MOTE_NS_PER_SEC);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_data_before_events_is_held)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    int err, cres = 0;
    acc a = {0};
    a.l = mote_net_tcp_listen(p.st[1], 80, 4, acc_cb, &a, &err);
    mote_flow *cf = mote_net_tcp_connect(p.st[0], NT_B, 80, conn_cb, &cres, &err);
    ck_assert_int_eq(mote_flow_write(cf, "early bytes", 11), 0); /* before the handshake */
    ck_assert_int_eq(mote_flow_shutdown(cf), 0);
    nt_run(&p, 100 * MOTE_NS_PER_MS);
    ck_assert_int_eq(cres, 1);
    mote_flow *sf = mote_net_tcp_accept(a.l, &err);
    ck_assert_ptr_nonnull(sf);
    ev_rec rs;
    memset(&rs, 0, sizeof rs);
    mote_flow_set_events(sf, &r_events, &rs);
    ck_assert_uint_eq(rs.rcvd, 0); /* never from inside set_events */
    nt_run(&p, MOTE_NS_PER_MS);
    ck_assert_uint_eq(rs.rcvd, 11);
    ck_assert_mem_eq(rs.buf, "early bytes", 11);
    ck_assert_int_eq(rs.eof, 1);
    mote_flow_close(sf);
    mote_flow_close(cf);
    mote_net_listener_close(a.l);
    nt_run(&p, 200 * MOTE_NS_PER_SEC);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_backlog)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    int err;
    acc a = {0};
    a.l = mote_net_tcp_listen(p.st[1], 80, 2, acc_cb, &a, &err);
    int res[3] = {0, 0, 0};
    mote_flow *f[3];
    for (int i = 0; i < 3; i++)
        f[i] = mote_net_tcp_connect(p.st[0], NT_B, 80, conn_cb, &res[i], &err);
    nt_run(&p, 100 * MOTE_NS_PER_MS);
    ck_assert_int_eq(a.ready, 2);
    ck_assert_int_eq(res[0] + res[1] + res[2], 2);
    mote_net_counters c;
    mote_net_get_counters(p.st[1], &c);
    ck_assert_uint_ge(c.tcp_backlog_drop, 1);
    mote_flow *s1 = mote_net_tcp_accept(a.l, &err);
    ck_assert_ptr_nonnull(s1);
    /* the third SYN is retried after its RTO (1 s) and now fits */
    nt_run(&p, 2 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(res[0] + res[1] + res[2], 3);
    ck_assert_int_eq(a.ready, 3);
    mote_flow *s2 = mote_net_tcp_accept(a.l, &err);
    mote_flow *s3 = mote_net_tcp_accept(a.l, &err);
    ck_assert_ptr_nonnull(s2);
    ck_assert_ptr_nonnull(s3);
    mote_flow_close(s1);
    mote_flow_close(s2);
    mote_flow_close(s3);
    for (int i = 0; i < 3; i++)
        mote_flow_close(f[i]);
    mote_net_listener_close(a.l);
    nt_run(&p, 200 * MOTE_NS_PER_SEC);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_listener_close_resets_queue)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    int err, res = 0;
    acc a = {0};
    a.l = mote_net_tcp_listen(p.st[1], 80, 2, acc_cb, &a, &err);
    mote_flow *f = mote_net_tcp_connect(p.st[0], NT_B, 80, conn_cb, &res, &err);
    ev_rec rc;
    memset(&rc, 0, sizeof rc);
    mote_flow_set_events(f, &r_events, &rc);
    nt_run(&p, 100 * MOTE_NS_PER_MS);
    ck_assert_int_eq(res, 1);
    mote_net_listener_close(a.l);
    nt_run(&p, 100 * MOTE_NS_PER_MS);
    ck_assert_int_eq(rc.err, MOTE_ECONNRESET);
    mote_flow_close(f);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_keepalive_timeout)
{
    nt_pair p;
    mote_net_config base;
    mote_net_config_default(&base);
    base.tcp.keepalive_idle_ns = 10 * MOTE_NS_PER_SEC;
    base.tcp.keepalive_interval_ns = 2 * MOTE_NS_PER_SEC;
    base.tcp.keepalive_count = 3;
    nt_pair_init_cfg(&p, NULL, &base);
    acc a;
    mote_flow *cf, *sf;
    ev_rec rc, rs;
    open_pair(&p, &a, &cf, &sf, &rc, &rs);
    ck_assert_int_eq(mote_net_tcp_set_keepalive(cf, 1), 0);
    /* with the peer alive, probes are answered and nothing fails */
    nt_run(&p, 60 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(rc.err, 0);
    mote_net_counters c;
    mote_net_get_counters(p.st[0], &c);
    ck_assert_uint_ge(c.tcp_keepalives, 4);
    /* cut the link: idle + 3 probes later, ETIMEDOUT */
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    lc.loss_ppm = 1000000;
    mote_net_link_set_faults(p.link, &lc);
    nt_run(&p, 9 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(rc.err, 0);
    nt_run(&p, 20 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(rc.err, MOTE_ETIMEDOUT);
    mote_flow_close(cf);
    mote_flow_close(sf);
    mote_net_listener_close(a.l);
    nt_run(&p, 300 * MOTE_NS_PER_SEC);
    nt_pair_free(&p);
}
END_TEST

/* RTO backoff, observed on the wire: segments on a dead link. */
typedef struct tap_rec {
    mote_netif nif;
    mote_netif *inner;
    mote_clock *clk;
    uint64_t times[64];
    size_t n;
} tap_rec;

START_TEST(test_rto_backoff_and_timeout)
{
    nt_pair p;
    mote_net_config base;
    mote_net_config_default(&base);
    base.tcp.rto_min_ns = 300 * MOTE_NS_PER_MS;
    base.tcp.max_retries = 5;
    nt_pair_init_cfg(&p, NULL, &base);
    acc a;
    mote_flow *cf, *sf;
    ev_rec rc, rs;
    open_pair(&p, &a, &cf, &sf, &rc, &rs);
    mote_net_tcp_info i;
    mote_net_tcp_get_info(cf, &i);
    ck_assert_uint_eq(i.rto_ns, 300 * MOTE_NS_PER_MS); /* clamped to the minimum */
    nt_pair_announced(&p);
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    lc.loss_ppm = 1000000;
    mote_net_link_set_faults(p.link, &lc);
    uint64_t prev_rto = 0, t0 = nt_now(&p);
    unsigned seen = 0;
    mote_net_link_stats st0, st;
    mote_net_link_get_stats(p.link, 0, &st0);
    ck_assert_int_eq(mote_flow_write(cf, "ping", 4), 0);
    uint64_t last_sent = st0.sent, expect = 300 * MOTE_NS_PER_MS;
    uint64_t sent_at[16];
    while (nt_now(&p) - t0 < 100 * MOTE_NS_PER_SEC && !rc.err) {
        mote_fakeclock_advance(p.fc, MOTE_NS_PER_MS);
        mote_net_link_get_stats(p.link, 0, &st);
        if (st.sent != last_sent) {
            if (seen < 16)
                sent_at[seen] = nt_now(&p);
            seen++;
            last_sent = st.sent;
        }
    }
    (void)prev_rto;
    if (getenv("NT_TRACE"))
        for (unsigned k = 0; k < seen && k < 16; k++)
            fprintf(stderr, "sent %u at %.3f\n", k, (double)(sent_at[k] - t0) / 1e9);
    ck_assert_int_eq(rc.err, MOTE_ETIMEDOUT);
    /* the first send, a tail loss probe after 2 SRTT (about 0 here) plus
     * the 40 ms delayed-ACK allowance, 5 retransmissions each twice as
     * late as the one before, then a RST */
    ck_assert_uint_eq(seen, 8);
    ck_assert_uint_le(sent_at[1] - sent_at[0], 42 * MOTE_NS_PER_MS);
    ck_assert_uint_ge(sent_at[1] - sent_at[0], 38 * MOTE_NS_PER_MS);
    for (unsigned k = 0; k < 6; k++) {
        uint64_t gap = sent_at[k + 2] - sent_at[k + 1];
        (void)expect;
        ck_assert_uint_ge(gap, (300ull << k) * MOTE_NS_PER_MS - MOTE_NS_PER_MS);
        ck_assert_uint_le(gap, (300ull << k) * MOTE_NS_PER_MS + MOTE_NS_PER_MS);
    }
    mote_net_counters c;
    mote_net_get_counters(p.st[0], &c);
    ck_assert_uint_eq(c.tcp_rto, 5);
    ck_assert_uint_eq(c.tcp_tail_probes, 1);
    mote_flow_close(cf);
    mote_flow_close(sf);
    mote_net_listener_close(a.l);
    nt_run(&p, 300 * MOTE_NS_PER_SEC);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_syn_retries)
{
    nt_pair p;
    mote_net_config base;
    mote_net_config_default(&base);
    base.tcp.syn_retries = 3;
    nt_pair_init_cfg(&p, NULL, &base);
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    uint8_t d[4] = {0};
    mote_net_ping(p.st[0], NT_B, 1, 1, d, 4); /* resolve ARP */
    nt_pair_announced(&p);
    lc.loss_ppm = 1000000;
    mote_net_link_set_faults(p.link, &lc);
    int err, res = 0;
    mote_flow *f = mote_net_tcp_connect(p.st[0], NT_B, 80, conn_cb, &res, &err);
    nt_run(&p, 14 * MOTE_NS_PER_SEC); /* 1 + 2 + 4 + 8 = 15 s */
    ck_assert_int_eq(res, 0);
    nt_run(&p, 2 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(res, MOTE_ETIMEDOUT);
    mote_net_link_stats st;
    mote_net_link_get_stats(p.link, 0, &st);
    ck_assert_uint_eq(st.lost, 1 + 3); /* the SYN and 3 retries */
    mote_flow_close(f);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_nagle)
{
    for (int nodelay = 0; nodelay < 2; nodelay++) {
        nt_pair p;
        mote_net_link_config lc;
        mote_net_link_config_default(&lc);
        lc.delay_ns = 10 * MOTE_NS_PER_MS;
        nt_pair_init(&p, &lc);
        acc a;
        mote_flow *cf, *sf;
        ev_rec rc, rs;
        open_pair(&p, &a, &cf, &sf, &rc, &rs);
        nt_run(&p, 100 * MOTE_NS_PER_MS);
        ck_assert_int_eq(mote_net_tcp_set_nodelay(cf, nodelay), 0);
        mote_net_link_stats st0, st1;
        mote_net_link_get_stats(p.link, 0, &st0);
        for (int i = 0; i < 5; i++)
            ck_assert_int_eq(mote_flow_write(cf, "abc", 3), 0);
        mote_net_link_get_stats(p.link, 0, &st1);
        /* Nagle: one small segment in flight, the rest waits for its ACK */
        ck_assert_uint_eq(st1.sent - st0.sent, nodelay ? 5 : 1);
        nt_run(&p, MOTE_NS_PER_SEC);
        ck_assert_uint_eq(rs.rcvd, 15);
        mote_flow_close(cf);
        mote_flow_close(sf);
        mote_net_listener_close(a.l);
        nt_run(&p, 200 * MOTE_NS_PER_SEC);
        nt_pair_free(&p);
    }
}
END_TEST

/* ---- one stack against crafted segments ---- */

typedef nt_one raw;

#define RME   MOTE_NET_IP4(192, 0, 2, 1)
#define RPEER MOTE_NET_IP4(192, 0, 2, 9)

static void raw_init(raw *r)
{
    nt_one_init(r, NULL, RME, 3, MOTE_NS_PER_SEC, 1500);
    nt_one_teach(r, RPEER);
}

static void raw_free(raw *r)
{
    nt_one_free(r);
}

static void raw_seg(raw *r, uint16_t pport, uint16_t lport, uint32_t seq, uint32_t ack,
                    uint8_t flags, const void *data, size_t len, uint32_t tsval, uint32_t tsecr)
{
    uint8_t f[1600];
    size_t ol = (tsval ? 12 : 0) + ((flags & 0x02) ? 4 : 0);
    size_t off = nt_ip(f, r->cap.nif.mac, RPEER, RME, 6, 20 + ol + len, 1, 0x4000, 0);
    uint8_t *t = f + off;
    memset(t, 0, 20 + ol);
    mote_store_be16(t, pport);
    mote_store_be16(t + 2, lport);
    mote_store_be32(t + 4, seq);
    mote_store_be32(t + 8, ack);
    t[12] = (uint8_t)((20 + ol) / 4) << 4;
    t[13] = flags;
    mote_store_be16(t + 14, 65535);
    if (tsval) {
        t[20] = 1;
        t[21] = 1;
        t[22] = 8;
        t[23] = 10;
        mote_store_be32(t + 24, tsval);
        mote_store_be32(t + 28, tsecr);
    }
    if (flags & 0x02) { /* SACK permitted */
        t[20 + ol - 4] = 1;
        t[20 + ol - 3] = 1;
        t[20 + ol - 2] = 4;
        t[20 + ol - 1] = 2;
    }
    if (len)
        memcpy(t + 20 + ol, data, len);
    mote_store_be16(t + 16, nt_csum(t, 20 + ol + len, nt_pseudo(RPEER, RME, 6, 20 + ol + len)));
    nt_one_feed(r, f, off + 20 + ol + len);
}

/* The TCP header of captured frame i (checked). */
static const uint8_t *raw_tcp(raw *r, size_t i)
{
    ck_assert_uint_gt(r->cap.n, i);
    const uint8_t *ip = r->cap.frame[i] + 14;
    ck_assert_uint_eq(ip[9], 6);
    size_t tl = mote_load_be16(ip + 2) - 20u;
    ck_assert_uint_eq(nt_csum(ip + 20, tl, nt_pseudo(RME, RPEER, 6, tl)), 0);
    return ip + 20;
}

/* Opens a connection from the stack to RPEER:80 through a crafted
 * handshake; returns the flow and the stack's ISN. */
static mote_flow *raw_open(raw *r, uint32_t peer_isn, uint32_t *iss, uint16_t *lport, int *res,
                           ev_rec *rec)
{
    int err;
    mote_flow *f = mote_net_tcp_connect(r->s, RPEER, 80, conn_cb, res, &err);
    ck_assert_ptr_nonnull(f);
    memset(rec, 0, sizeof *rec);
    mote_flow_set_events(f, &r_events, rec);
    const uint8_t *t = raw_tcp(r, 0);
    ck_assert_uint_eq(t[13], 0x02);
    *iss = mote_load_be32(t + 4);
    *lport = mote_load_be16(t);
    uint32_t tsv = nt_tsval_of(t);
    ck_assert_uint_ne(tsv, 0);
    nt_cap_clear(&r->cap);
    raw_seg(r, 80, *lport, peer_isn, *iss + 1, 0x12, NULL, 0, 1000, tsv);
    ck_assert_int_eq(*res, 1);
    ck_assert_int_eq(state_of(f), MOTE_NET_TCP_ESTABLISHED);
    ck_assert_uint_eq(r->cap.n, 1); /* the ACK */
    nt_cap_clear(&r->cap);
    return f;
}

START_TEST(test_simultaneous_open)
{
    raw r;
    raw_init(&r);
    int err, res = 0;
    mote_flow *f = mote_net_tcp_connect(r.s, RPEER, 80, conn_cb, &res, &err);
    const uint8_t *t = raw_tcp(&r, 0);
    uint32_t iss = mote_load_be32(t + 4);
    uint16_t lport = mote_load_be16(t);
    nt_cap_clear(&r.cap);
    /* the peer's own SYN crosses ours */
    raw_seg(&r, 80, lport, 5000, 0, 0x02, NULL, 0, 0, 0);
    ck_assert_int_eq(state_of(f), MOTE_NET_TCP_SYN_RECEIVED);
    t = raw_tcp(&r, 0);
    ck_assert_uint_eq(t[13], 0x12);
    ck_assert_uint_eq(mote_load_be32(t + 4), iss);
    ck_assert_uint_eq(mote_load_be32(t + 8), 5001);
    nt_cap_clear(&r.cap);
    /* the peer's ACK of our SYN */
    raw_seg(&r, 80, lport, 5001, iss + 1, 0x10, NULL, 0, 0, 0);
    ck_assert_int_eq(state_of(f), MOTE_NET_TCP_ESTABLISHED);
    ck_assert_int_eq(res, 1);
    mote_flow_close(f);
    raw_free(&r);
}
END_TEST

START_TEST(test_challenge_acks_and_rst)
{
    raw r;
    raw_init(&r);
    int res = 0;
    uint32_t iss;
    uint16_t lport;
    ev_rec rec;
    mote_flow *f = raw_open(&r, 7000, &iss, &lport, &res, &rec);
    uint32_t rn = 7001, ts = 1001;
    /* RST in the window but not at RCV.NXT: challenge ACK, still open */
    raw_seg(&r, 80, lport, rn + 100, 0, 0x04, NULL, 0, 0, 0);
    ck_assert_int_eq(state_of(f), MOTE_NET_TCP_ESTABLISHED);
    ck_assert_uint_eq(r.cap.n, 1);
    const uint8_t *t = raw_tcp(&r, 0);
    ck_assert_uint_eq(t[13], 0x10);
    ck_assert_uint_eq(mote_load_be32(t + 8), rn);
    nt_cap_clear(&r.cap);
    /* RST outside the window: silently dropped */
    raw_seg(&r, 80, lport, rn + 0x40000000u, 0, 0x04, NULL, 0, 0, 0);
    ck_assert_uint_eq(r.cap.n, 0);
    /* SYN on an established connection: challenge ACK */
    raw_seg(&r, 80, lport, rn, 0, 0x02, NULL, 0, 0, 0);
    ck_assert_int_eq(state_of(f), MOTE_NET_TCP_ESTABLISHED);
    ck_assert_uint_eq(r.cap.n, 1);
    nt_cap_clear(&r.cap);
    /* an ACK for data never sent: ACK back, dropped */
    raw_seg(&r, 80, lport, rn, iss + 1000, 0x10, "zz", 2, ++ts, 0);
    ck_assert_uint_eq(rec.rcvd, 0);
    ck_assert_uint_eq(r.cap.n, 1);
    nt_cap_clear(&r.cap);
    /* PAWS: an old timestamp is dropped with an ACK */
    raw_seg(&r, 80, lport, rn, iss + 1, 0x18, "old", 3, 500, 0);
    ck_assert_uint_eq(rec.rcvd, 0);
    mote_net_counters c;
    mote_net_get_counters(r.s, &c);
    ck_assert_uint_eq(c.tcp_paws_drop, 1);
    ck_assert_uint_eq(c.tcp_challenge_acks, 3);
    nt_cap_clear(&r.cap);
    /* good data is taken */
    raw_seg(&r, 80, lport, rn, iss + 1, 0x18, "new", 3, ++ts, 0);
    ck_assert_uint_eq(rec.rcvd, 3);
    rn += 3;
    /* the exact RST resets */
    raw_seg(&r, 80, lport, rn, 0, 0x04, NULL, 0, 0, 0);
    ck_assert_int_eq(state_of(f), MOTE_NET_TCP_CLOSED);
    ck_assert_int_eq(rec.err, MOTE_ECONNRESET);
    mote_flow_close(f);
    raw_free(&r);
}
END_TEST

START_TEST(test_challenge_ack_rate_limit)
{
    raw r;
    raw_init(&r);
    int res = 0;
    uint32_t iss;
    uint16_t lport;
    ev_rec rec;
    mote_flow *f = raw_open(&r, 7000, &iss, &lport, &res, &rec);
    for (int i = 0; i < 1200; i++) {
        raw_seg(&r, 80, lport, 7001 + 10, 0, 0x04, NULL, 0, 0, 0);
        if (r.cap.n > 200)
            nt_cap_clear(&r.cap);
    }
    mote_net_counters c;
    mote_net_get_counters(r.s, &c);
    ck_assert_uint_eq(c.tcp_challenge_acks, 1000);
    ck_assert_int_eq(state_of(f), MOTE_NET_TCP_ESTABLISHED);
    mote_flow_close(f);
    raw_free(&r);
}
END_TEST

START_TEST(test_out_of_order_and_sack_blocks)
{
    raw r;
    raw_init(&r);
    int res = 0;
    uint32_t iss;
    uint16_t lport;
    ev_rec rec;
    mote_flow *f = raw_open(&r, 100, &iss, &lport, &res, &rec);
    uint32_t ts = 2000;
    raw_seg(&r, 80, lport, 101 + 10, iss + 1, 0x10, "KLMNO", 5, ++ts, 0);
    ck_assert_uint_eq(rec.rcvd, 0);
    ck_assert_uint_eq(r.cap.n, 1); /* an immediate duplicate ACK with a SACK block */
    const uint8_t *t = raw_tcp(&r, 0);
    ck_assert_uint_eq(mote_load_be32(t + 8), 101);
    size_t hl = (size_t)(t[12] >> 4) * 4;
    int found = 0;
    for (size_t i = 20; i + 1 < hl;) {
        if (t[i] == 1) {
            i++;
            continue;
        }
        if (t[i] == 5) {
            ck_assert_uint_eq(t[i + 1], 10);
            ck_assert_uint_eq(mote_load_be32(t + i + 2), 111);
            ck_assert_uint_eq(mote_load_be32(t + i + 6), 116);
            found = 1;
        }
        if (t[i] == 0)
            break;
        i += t[i + 1];
    }
    ck_assert(found);
    nt_cap_clear(&r.cap);
    raw_seg(&r, 80, lport, 101, iss + 1, 0x10, "ABCDEFGHIJ", 10, ++ts, 0);
    ck_assert_uint_eq(rec.rcvd, 15);
    ck_assert_mem_eq(rec.buf, "ABCDEFGHIJKLMNO", 15);
    ck_assert_uint_eq(r.cap.n, 1); /* the hole is filled: ACK at once */
    ck_assert_uint_eq(mote_load_be32(raw_tcp(&r, 0) + 8), 116);
    nt_cap_clear(&r.cap);
    /* delayed ACK: one segment waits up to 40 ms */
    raw_seg(&r, 80, lport, 116, iss + 1, 0x10, "P", 1, ++ts, 0);
    ck_assert_uint_eq(r.cap.n, 0);
    mote_fakeclock_advance(r.fc, 39 * MOTE_NS_PER_MS);
    ck_assert_uint_eq(r.cap.n, 0);
    mote_fakeclock_advance(r.fc, 2 * MOTE_NS_PER_MS);
    ck_assert_uint_eq(r.cap.n, 1);
    mote_flow_close(f);
    raw_free(&r);
}
END_TEST

START_TEST(test_isn_and_ports_vary)
{
    raw r;
    raw_init(&r);
    int err, res;
    uint32_t isn[4];
    uint16_t port[4];
    mote_flow *f[4];
    for (int i = 0; i < 4; i++) {
        f[i] = mote_net_tcp_connect(r.s, RPEER, 80, conn_cb, &res, &err);
        const uint8_t *t = raw_tcp(&r, (size_t)i);
        isn[i] = mote_load_be32(t + 4);
        port[i] = mote_load_be16(t);
        mote_fakeclock_advance(r.fc, MOTE_NS_PER_MS);
    }
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++) {
            ck_assert_uint_ne(port[i], port[j]);
            ck_assert_uint_ne(isn[i], isn[j]);
        }
    for (int i = 0; i < 4; i++)
        mote_flow_close(f[i]);
    raw_free(&r);
}
END_TEST

START_TEST(test_icmp_refuses_connect)
{
    raw r;
    raw_init(&r);
    int err, res = 0;
    mote_flow *f = mote_net_tcp_connect(r.s, RPEER, 80, conn_cb, &res, &err);
    ck_assert_uint_eq(r.cap.n, 1);
    /* port unreachable quoting our SYN */
    uint8_t fr[200];
    const uint8_t *ip = r.cap.frame[0] + 14;
    size_t off = nt_ip(fr, r.cap.nif.mac, RPEER, RME, 1, 8 + 28, 9, 0, 0);
    uint8_t *ic = fr + off;
    memset(ic, 0, 8);
    ic[0] = 3;
    ic[1] = 3;
    memcpy(ic + 8, ip, 28);
    mote_store_be16(ic + 2, nt_csum(ic, 36, 0));
    nt_one_feed(&r, fr, off + 36);
    ck_assert_int_eq(res, MOTE_ECONNREFUSED);
    mote_flow_close(f);
    raw_free(&r);
}
END_TEST

/* A crafted client against a mote listener; mote closes first and sits in
 * TIME_WAIT; a new SYN from the same port with a larger sequence number
 * reopens the tuple (RFC 6191), an older one gets only an ACK. */
static void tw_accept(void *arg, mote_net_listener *l)
{
    int err;
    mote_flow *f = mote_net_tcp_accept(l, &err);
    ck_assert_ptr_nonnull(f);
    *(mote_flow **)arg = f;
}

START_TEST(test_time_wait_reuse)
{
    raw r;
    raw_init(&r);
    int err;
    mote_flow *sf = NULL;
    mote_net_listener *l = mote_net_tcp_listen(r.s, 80, 4, tw_accept, &sf, &err);
    raw_seg(&r, 4000, 80, 1000, 0, 0x02, NULL, 0, 0, 0);
    const uint8_t *t = raw_tcp(&r, 0);
    ck_assert_uint_eq(t[13], 0x12);
    uint32_t iss = mote_load_be32(t + 4);
    nt_cap_clear(&r.cap);
    raw_seg(&r, 4000, 80, 1001, iss + 1, 0x10, NULL, 0, 0, 0);
    ck_assert_ptr_nonnull(sf);
    mote_flow_close(sf); /* mote sends FIN first */
    t = raw_tcp(&r, 0);
    ck_assert_uint_eq(t[13] & 0x01, 0x01);
    nt_cap_clear(&r.cap);
    raw_seg(&r, 4000, 80, 1001, iss + 2, 0x11, NULL, 0, 0, 0); /* ACK + our FIN */
    ck_assert_uint_eq(r.cap.n, 1);                             /* the last ACK */
    nt_cap_clear(&r.cap);
    /* an old SYN: TIME_WAIT answers with an ACK (RFC 5961) */
    raw_seg(&r, 4000, 80, 500, 0, 0x02, NULL, 0, 0, 0);
    ck_assert_uint_eq(r.cap.n, 1);
    ck_assert_uint_eq(raw_tcp(&r, 0)[13], 0x10);
    nt_cap_clear(&r.cap);
    /* a newer SYN: a fresh connection */
    raw_seg(&r, 4000, 80, 900000, 0, 0x02, NULL, 0, 0, 0);
    ck_assert_uint_eq(r.cap.n, 1);
    t = raw_tcp(&r, 0);
    ck_assert_uint_eq(t[13], 0x12);
    ck_assert_uint_eq(mote_load_be32(t + 8), 900001);
    mote_net_listener_close(l);
    raw_free(&r);
}
END_TEST

static Suite *tcp_suite(void)
{
    Suite *s = suite_create("net-tcp");
    TCase *tc = tcase_create("tcp");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_handshake_options_and_echo);
    tcase_add_test(tc, test_active_and_passive_close_states);
    tcase_add_test(tc, test_simultaneous_close);
    tcase_add_test(tc, test_close_is_graceful_and_orphans_finish);
    tcase_add_test(tc, test_refused_and_reset);
    tcase_add_test(tc, test_zero_window_and_reading_off);
    tcase_add_test(tc, test_data_before_events_is_held);
    tcase_add_test(tc, test_backlog);
    tcase_add_test(tc, test_listener_close_resets_queue);
    tcase_add_test(tc, test_keepalive_timeout);
    tcase_add_test(tc, test_rto_backoff_and_timeout);
    tcase_add_test(tc, test_syn_retries);
    tcase_add_test(tc, test_nagle);
    tcase_add_test(tc, test_simultaneous_open);
    tcase_add_test(tc, test_challenge_acks_and_rst);
    tcase_add_test(tc, test_challenge_ack_rate_limit);
    tcase_add_test(tc, test_out_of_order_and_sack_blocks);
    tcase_add_test(tc, test_isn_and_ports_vary);
    tcase_add_test(tc, test_icmp_refuses_connect);
    tcase_add_test(tc, test_time_wait_reuse);
    tcase_add_test(tc, test_bulk_clean);
    tcase_add_test(tc, test_bulk_faults_cubic_sack);
    tcase_add_test(tc, test_bulk_faults_newreno_sack);
    tcase_add_test(tc, test_bulk_faults_newreno_nosack);
    tcase_add_test(tc, test_bulk_faults_cubic_nosack);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(tcp_suite());
}
