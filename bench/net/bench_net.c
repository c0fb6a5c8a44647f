/* bench_net.c - libmote-net throughput, next to Linux in the same run.
 *
 * 1. Two mote stacks joined by the in-memory link (MTU 65536, like Linux's
 *    loopback), on one core with the fake clock: one connection moves
 *    MOTE_NET_BENCH_MIB (default 2048) MiB one way; wall time gives Gbit/s.
 * 2. Linux TCP over loopback: iperf3 -C cubic for 5 s in the same run.
 * Prints both and the ratio mote/Linux. Not a test: nothing is asserted.
 */
#include "mote/net.h"
#include "mote/net_link.h"
#include "mote/net_tcp.h"
#include "mote/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct side {
    mote_flow *f;
    uint64_t total, sent, rcvd;
    int eof, err;
    mote_net_listener *l;
} side;

static uint8_t chunk[1 << 20];

static void pump(side *s)
{
    while (s->sent < s->total && mote_flow_queued(s->f) < (4u << 20)) {
        size_t n = sizeof chunk;
        if (n > s->total - s->sent)
            n = (size_t)(s->total - s->sent);
        if (mote_flow_write(s->f, chunk, n) < 0) {
            s->err = 1;
            return;
        }
        s->sent += n;
    }
    if (s->sent == s->total)
        mote_flow_shutdown(s->f);
}

static void on_data(void *arg, const uint8_t *d, size_t len)
{
    (void)d;
    ((side *)arg)->rcvd += len;
}
static void on_eof(void *arg)
{
    ((side *)arg)->eof = 1;
}
static void on_drain(void *arg)
{
    pump(arg);
}
static void on_err(void *arg, int e)
{
    (void)e;
    ((side *)arg)->err = 1;
}
static const mote_flow_events events = {on_data, on_eof, on_drain, on_err};

static void on_accept(void *arg, mote_net_listener *l)
{
    side *s = arg;
    int err;
    s->f = mote_net_tcp_accept(l, &err);
    if (s->f)
        mote_flow_set_events(s->f, &events, s);
}

static void on_conn(void *arg, mote_flow *f, int err)
{
    (void)f;
    side *s = arg;
    if (err)
        s->err = 1;
    else
        pump(s);
}

static double mote_run(uint64_t bytes, int cc, double *sim_s)
{
    mote_time t0 = {1700000000, 0};
    mote_fakeclock *fc = mote_fakeclock_new(MOTE_NS_PER_SEC, t0);
    mote_clock *clk = mote_fakeclock_clock(fc);
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    lc.mtu = 65536;
    int err;
    mote_net_link *link = mote_net_link_new(clk, &lc, &err);
    mote_seeded_rng rng[2];
    mote_net *st[2];
    for (int i = 0; i < 2; i++) {
        mote_net_config cfg;
        mote_net_config_default(&cfg);
        mote_seeded_rng_init(&rng[i], (uint64_t)i + 1);
        cfg.netif = mote_net_link_end(link, i);
        cfg.clock = clk;
        cfg.rng = &rng[i].rng;
        cfg.addr = MOTE_NET_IP4(10, 0, 0, (unsigned)i + 1);
        cfg.netmask = MOTE_NET_IP4(255, 255, 255, 0);
        cfg.tcp.cc = cc;
        cfg.tcp.rcvbuf = 4u << 20;
        cfg.tcp.sndbuf = 4u << 20;
        st[i] = mote_net_new(&cfg, &err);
    }
    side tx = {0}, rx = {0};
    tx.total = bytes;
    rx.l = mote_net_tcp_listen(st[1], 5001, 4, on_accept, &rx, &err);
    /* resolve ARP and open the connection before timing */
    tx.f = mote_net_tcp_connect(st[0], MOTE_NET_IP4(10, 0, 0, 2), 5001, on_conn, &tx, &err);
    mote_flow_set_events(tx.f, &events, &tx);
    uint64_t start_sim = mote_clock_now(clk);
    double start = wall();
    while (!rx.eof && !tx.err && !rx.err) {
        mote_fakeclock_run(fc, mote_clock_now(clk), SIZE_MAX);
        uint64_t next;
        if (rx.eof || mote_fakeclock_next(fc, &next) != 0)
            break;
        uint64_t now = mote_clock_now(clk);
        if (next > now)
            mote_fakeclock_advance(fc, next - now);
    }
    double took = wall() - start;
    *sim_s = (double)(mote_clock_now(clk) - start_sim) / 1e9;
    if (rx.rcvd != bytes)
        fprintf(stderr, "bench-net: only %llu of %llu bytes arrived\n", (unsigned long long)rx.rcvd,
                (unsigned long long)bytes);
    mote_flow_close(tx.f);
    if (rx.f)
        mote_flow_close(rx.f);
    mote_net_listener_close(rx.l);
    for (int i = 0; i < 2; i++)
        mote_net_free(st[i]);
    mote_net_link_free(link);
    mote_fakeclock_free(fc);
    return (double)rx.rcvd * 8 / took / 1e9;
}

/* iperf3 -C cubic over loopback; Gbit/s received, or -1. */
static double linux_loopback(void)
{
    if (system("command -v iperf3 >/dev/null 2>&1") != 0)
        return -1;
    int port = 5399 + (int)(getpid() % 500);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "iperf3 -s -1 -B 127.0.0.1 -p %d >/dev/null 2>&1 &", port);
    if (system(cmd) != 0)
        return -1;
    usleep(300000);
    snprintf(cmd, sizeof cmd,
             "iperf3 -c 127.0.0.1 -p %d -C cubic -t 5 -J 2>/dev/null | "
             "python3 -c 'import json,sys; "
             "print(json.load(sys.stdin)[\"end\"][\"sum_received\"][\"bits_per_second\"])'",
             port);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    double bps = -1;
    if (fscanf(p, "%lf", &bps) != 1)
        bps = -1;
    pclose(p);
    return bps < 0 ? -1 : bps / 1e9;
}

int main(void)
{
    const char *env = getenv("MOTE_NET_BENCH_MIB");
    uint64_t mib = env ? strtoull(env, NULL, 10) : 2048;
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (uint8_t)(i * 7);
    double sim_c, sim_r;
    double cubic = mote_run(mib << 20, MOTE_NET_CC_CUBIC, &sim_c);
    double reno = mote_run(mib << 20, MOTE_NET_CC_NEWRENO, &sim_r);
    double lin = linux_loopback();
    printf("mote in-memory link, MTU 65536, one core, %llu MiB: cubic %.2f Gbit/s, "
           "newreno %.2f Gbit/s\n",
           (unsigned long long)mib, cubic, reno);
    if (lin > 0) {
        printf("linux loopback, iperf3 -C cubic: %.2f Gbit/s\n", lin);
        printf("ratio mote/linux: %.2f\n", cubic / lin);
    } else {
        printf("linux loopback: iperf3 unavailable\n");
    }
    return 0;
}
