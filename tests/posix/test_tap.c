/* test_tap.c - the TAP netif against the Linux kernel's own stack.
 *
 * Needs root (CAP_NET_ADMIN), /dev/net/tun, ip(8) and ping(8); skips with
 * exit 77 otherwise. Each test creates its own network namespace
 * (mote-posix-<pid>), opens a TAP with mote in the default namespace, moves
 * the interface into the namespace (the descriptor stays attached), gives
 * it 10.77.0.1/24 there and brings it up. The kernel then ARPs for
 * 10.77.0.2 and pings it; the test answers from the netif with crafted ARP
 * and ICMP echo replies, so ping succeeds only if the kernel accepted the
 * frames mote sent. All traffic stays inside the namespace. The namespace
 * is removed in the fixture teardown (which runs in the parent process even
 * if a test crashes), and stale namespaces of dead runs are removed first.
 */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mote/posix.h"

#define NS_PREFIX "mote-posix-"

/* virtio-net header values (linux/virtio_net.h), spelt out here. */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM_ 1
#define VIRTIO_NET_HDR_GSO_TCPV4_    1

static char ns_name[64];
static char tap_name[16];

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Output of a command (first 4 KiB) into buf. */
static int capture(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int capture(char *buf, size_t n, const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t got = fread(buf, 1, n - 1, p);
    buf[got] = 0;
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Removes namespaces left by earlier runs whose process is gone. */
static void clean_stale(void)
{
    char out[8192];
    if (capture(out, sizeof out, "ip netns list 2>/dev/null") != 0)
        return;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, NS_PREFIX, strlen(NS_PREFIX)) != 0)
            continue;
        char name[64];
        if (sscanf(line, "%63s", name) != 1)
            continue;
        long pid = strtol(name + strlen(NS_PREFIX), NULL, 10);
        if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue; /* its test is still running */
        fprintf(stderr, "removing stale namespace %s\n", name);
        run("ip netns del %s 2>/dev/null", name);
    }
}

static void ns_setup(void)
{
    clean_stale();
    snprintf(ns_name, sizeof ns_name, NS_PREFIX "%ld", (long)getpid());
    snprintf(tap_name, sizeof tap_name, "mtap%ld", (long)getpid() % 10000000);
    run("ip netns del %s 2>/dev/null", ns_name);
    if (run("ip netns add %s", ns_name) != 0) {
        fprintf(stderr, "cannot create namespace %s\n", ns_name);
        exit(1);
    }
}

static void ns_teardown(void)
{
    run("ip netns del %s 2>/dev/null", ns_name);
}

/* ---- frame crafting ---- */

static const uint8_t our_ip[4] = {10, 77, 0, 2};
static const uint8_t kernel_ip[4] = {10, 77, 0, 1};

static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)(p[n - 1] << 8);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

typedef struct responder {
    mote_netif *netif;
    int arp_requests; /* requests for our_ip from kernel_ip */
    int echo_requests;
    int replies_sent;
    int send_errors;
    int other_frames;
    uint8_t kernel_mac[6];
} responder;

static void on_frame(void *arg, const uint8_t *f, size_t len)
{
    responder *r = arg;
    mote_netif *n = r->netif;
    if (len < 14)
        return;
    uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
    if (type == 0x0806 && len >= 42) {
        const uint8_t *a = f + 14;
        if (a[6] != 0 || a[7] != 1 || memcmp(a + 24, our_ip, 4) != 0 ||
            memcmp(a + 14, kernel_ip, 4) != 0) {
            r->other_frames++;
            return;
        }
        r->arp_requests++;
        memcpy(r->kernel_mac, a + 8, 6);
        uint8_t rep[60];
        memset(rep, 0, sizeof rep); /* padded to the ethernet minimum */
        memcpy(rep, a + 8, 6);
        memcpy(rep + 6, n->mac, 6);
        rep[12] = 0x08;
        rep[13] = 0x06;
        uint8_t *b = rep + 14;
        b[0] = 0, b[1] = 1, b[2] = 0x08, b[3] = 0, b[4] = 6, b[5] = 4, b[6] = 0, b[7] = 2;
        memcpy(b + 8, n->mac, 6);
        memcpy(b + 14, our_ip, 4);
        memcpy(b + 18, a + 8, 6);
        memcpy(b + 24, a + 14, 4);
        if (mote_netif_send(n, rep, sizeof rep) == 0)
            r->replies_sent++;
        else
            r->send_errors++;
        return;
    }
    if (type == 0x0800 && len >= 14 + 20 + 8) {
        const uint8_t *ip = f + 14;
        size_t ihl = (size_t)(ip[0] & 15) * 4;
        size_t tot = (size_t)(ip[2] << 8 | ip[3]);
        if (ip[0] >> 4 != 4 || ihl < 20 || tot < ihl + 8 || 14 + tot > len || ip[9] != 1 ||
            memcmp(ip + 16, our_ip, 4) != 0 || memcmp(f, n->mac, 6) != 0 || ip[ihl] != 8) {
            r->other_frames++;
            return;
        }
        r->echo_requests++;
        uint8_t rep[1600];
        if (14 + tot > sizeof rep)
            return;
        memcpy(rep, f + 6, 6);
        memcpy(rep + 6, n->mac, 6);
        rep[12] = 0x08;
        rep[13] = 0x00;
        uint8_t *o = rep + 14;
        memcpy(o, ip, tot);
        memcpy(o + 12, our_ip, 4);
        memcpy(o + 16, ip + 12, 4);
        o[8] = 64; /* TTL */
        o[10] = o[11] = 0;
        uint16_t c = csum(o, ihl);
        o[10] = (uint8_t)(c >> 8), o[11] = (uint8_t)c;
        uint8_t *icmp = o + ihl;
        icmp[0] = 0; /* echo reply */
        icmp[2] = icmp[3] = 0;
        c = csum(icmp, tot - ihl);
        icmp[2] = (uint8_t)(c >> 8), icmp[3] = (uint8_t)c;
        if (mote_netif_send(n, rep, 14 + tot) == 0)
            r->replies_sent++;
        else
            r->send_errors++;
        return;
    }
    r->other_frames++; /* IPv6 ND/MLD, ... */
}

/* ---- running ping in the namespace while the loop runs ---- */

typedef struct child {
    uv_process_t proc;
    int64_t status;
    int done;
} child;

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    child *c = p->data;
    c->status = sig ? -sig : status;
    c->done = 1;
    uv_close((uv_handle_t *)p, NULL);
}

static void on_guard(uv_timer_t *t)
{
    child *c = t->data;
    if (!c->done)
        uv_process_kill(&c->proc, SIGKILL);
}

static int spawn_in_ns(uv_loop_t *loop, child *c, char **argv)
{
    uv_process_options_t o;
    memset(&o, 0, sizeof o);
    o.file = argv[0];
    o.args = argv;
    o.exit_cb = on_exit_cb;
    uv_stdio_container_t io[3] = {{.flags = UV_IGNORE},
                                  {.flags = UV_INHERIT_FD, .data.fd = 2},
                                  {.flags = UV_INHERIT_FD, .data.fd = 2}};
    o.stdio = io;
    o.stdio_count = 3;
    c->proc.data = c;
    c->done = 0;
    return uv_spawn(loop, &c->proc, &o);
}

/* Runs argv while the loop serves the tap; the exit status, or -1. */
static int64_t run_with_loop(uv_loop_t *loop, char **argv)
{
    child c;
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(spawn_in_ns(loop, &c, argv), 0);
    uv_timer_t guard;
    uv_timer_init(loop, &guard);
    guard.data = &c;
    uv_timer_start(&guard, on_guard, 15000, 0);
    while (!c.done)
        uv_run(loop, UV_RUN_ONCE);
    uv_timer_stop(&guard);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return c.status;
}

static void wait_closed(uv_loop_t *loop)
{
    /* The tap's handle closes on the next turns; the loop then has no
     * handles left except what the caller keeps. */
    for (int i = 0; i < 10; i++)
        uv_run(loop, UV_RUN_NOWAIT);
}

START_TEST(test_tap_kernel_ping)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    int err = 1;
    mote_posix_tap *tap = mote_posix_tap_open(&loop, tap_name, &err);
    ck_assert_msg(tap != NULL, "tap open: %s", mote_strerror(err));
    ck_assert_int_eq(err, 0);
    ck_assert_str_eq(mote_posix_tap_name(tap), tap_name);
    ck_assert_int_ge(mote_posix_tap_fd(tap), 0);
    mote_netif *n = mote_posix_tap_netif(tap);
    ck_assert_uint_eq(n->mtu, 1500);
    ck_assert_int_eq(n->mac[0] & 1, 0); /* unicast */
    ck_assert_int_eq(n->mac[0] & 2, 2); /* locally administered */

    /* Bad frames are refused before reaching the kernel. */
    uint8_t big[1600];
    memset(big, 0, sizeof big);
    ck_assert_int_eq(mote_netif_send(n, big, 13), MOTE_EINVAL);
    ck_assert_int_eq(mote_netif_send(n, big, 1515), MOTE_ELIMIT);

    /* The interface exists, in the default namespace, until it moves. */
    ck_assert_int_eq(run("ip link show %s >/dev/null", tap_name), 0);
    ck_assert_int_eq(run("ip link set %s netns %s", tap_name, ns_name), 0);
    ck_assert_int_ne(run("ip link show %s >/dev/null 2>&1", tap_name), 0);
    ck_assert_int_eq(run("ip -n %s link set lo up", ns_name), 0);
    ck_assert_int_eq(run("ip -n %s addr add 10.77.0.1/24 dev %s", ns_name, tap_name), 0);
    ck_assert_int_eq(run("ip -n %s link set %s up", ns_name, tap_name), 0);

    responder r;
    memset(&r, 0, sizeof r);
    r.netif = n;
    n->set_receiver(n->ctx, on_frame, &r);

    char *argv[] = {"ip", "netns", "exec", ns_name, "ping", "-q",        "-n", "-c",
                    "3",  "-i",    "0.2",  "-W",    "3",    "10.77.0.2", NULL};
    int64_t st = run_with_loop(&loop, argv);
    ck_assert_msg(st == 0, "ping through the tap failed (status %lld)", (long long)st);
    ck_assert_int_ge(r.arp_requests, 1);
    ck_assert_int_ge(r.echo_requests, 1);
    ck_assert_int_eq(r.send_errors, 0);
    ck_assert_int_ge(r.replies_sent, 2);

    /* The kernel learnt our MAC from the ARP reply mote sent. */
    char out[4096], mac[32];
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2],
             n->mac[3], n->mac[4], n->mac[5]);
    ck_assert_int_eq(
        capture(out, sizeof out, "ip -n %s neigh show 10.77.0.2 dev %s", ns_name, tap_name), 0);
    ck_assert_msg(strstr(out, mac) != NULL, "neighbour entry '%s' lacks %s", out, mac);
    ck_assert_msg(strstr(out, "REACHABLE") || strstr(out, "STALE") || strstr(out, "DELAY"),
                  "neighbour entry: %s", out);
    /* ... and the ARP request came from the interface's kernel-side MAC. */
    ck_assert_int_eq(capture(out, sizeof out, "ip -n %s -br link show %s", ns_name, tap_name), 0);
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", r.kernel_mac[0], r.kernel_mac[1],
             r.kernel_mac[2], r.kernel_mac[3], r.kernel_mac[4], r.kernel_mac[5]);
    ck_assert_msg(strstr(out, mac) != NULL, "link '%s' lacks %s", out, mac);

    mote_posix_tap_stats stats;
    mote_posix_tap_get_stats(tap, &stats);
    ck_assert_uint_ge(stats.rx_frames, 3);
    ck_assert_uint_ge(stats.tx_frames, 2);
    ck_assert_uint_eq(stats.tx_dropped, 0);
    ck_assert_uint_eq(stats.rx_dropped, 0);

    /* Closing the tap removes the interface. */
    mote_posix_tap_close(tap);
    wait_closed(&loop);
    ck_assert_int_ne(run("ip -n %s link show %s >/dev/null 2>&1", ns_name, tap_name), 0);
    ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* Frames arriving with no receiver are counted as dropped; close from inside
 * the receiver stops delivery at once. */
typedef struct closer {
    mote_posix_tap *tap;
    int frames;
} closer;

static void on_frame_close(void *arg, const uint8_t *f, size_t len)
{
    closer *c = arg;
    (void)f;
    (void)len;
    c->frames++;
    mote_posix_tap_close(c->tap);
}

START_TEST(test_tap_config_and_close_in_receiver)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_posix_tap_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.name = tap_name;
    cfg.use_mac = 1;
    memcpy(cfg.mac, "\x02\x00\x5e\x10\x20\x30", 6);
    cfg.mtu = 1400;
    int err;
    mote_posix_tap *tap = mote_posix_tap_open_config(&loop, &cfg, &err);
    ck_assert_ptr_nonnull(tap);
    mote_netif *n = mote_posix_tap_netif(tap);
    ck_assert_mem_eq(n->mac, "\x02\x00\x5e\x10\x20\x30", 6);
    ck_assert_uint_eq(n->mtu, 1400);
    uint8_t frame[1500];
    memset(frame, 0, sizeof frame);
    ck_assert_int_eq(mote_netif_send(n, frame, 1415), MOTE_ELIMIT);

    /* A second open of the same name is refused: the TAP is taken. */
    mote_posix_tap *again = mote_posix_tap_open(&loop, tap_name, &err);
    ck_assert_ptr_null(again);
    ck_assert_int_eq(err, MOTE_EBUSY);
    /* Names longer than IFNAMSIZ - 1 are refused. */
    ck_assert_ptr_null(mote_posix_tap_open(&loop, "a-name-far-too-long", &err));
    ck_assert_int_eq(err, MOTE_EINVAL);

    /* While the link is down the kernel refuses frames: MOTE_EIO, counted
     * as dropped. */
    memset(frame, 0xff, 12);
    frame[12] = 0x08, frame[13] = 0x06;
    ck_assert_int_eq(mote_netif_send(n, frame, 60), MOTE_EIO);
    mote_posix_tap_stats stats;
    mote_posix_tap_get_stats(tap, &stats);
    ck_assert_uint_eq(stats.tx_dropped, 1);
    ck_assert_uint_eq(stats.tx_frames, 0);

    ck_assert_int_eq(run("ip link set %s netns %s", tap_name, ns_name), 0);
    ck_assert_int_eq(run("ip -n %s addr add 10.77.0.1/24 dev %s", ns_name, tap_name), 0);
    ck_assert_int_eq(run("ip -n %s link set %s up", ns_name, tap_name), 0);

    /* With no receiver, frames are read and dropped. */
    char *argv[] = {"ip", "netns", "exec", ns_name, "ping", "-q",        "-n", "-c",
                    "2",  "-i",    "0.2",  "-W",    "1",    "10.77.0.2", NULL};
    int64_t st = run_with_loop(&loop, argv);
    ck_assert_int_ne(st, 0); /* nobody answered */
    mote_posix_tap_get_stats(tap, &stats);
    ck_assert_uint_ge(stats.rx_dropped, 1);
    ck_assert_uint_eq(stats.rx_dropped, stats.rx_frames);

    closer c = {.tap = tap};
    n->set_receiver(n->ctx, on_frame_close, &c);
    st = run_with_loop(&loop, argv);
    ck_assert_int_ne(st, 0);
    ck_assert_int_eq(c.frames, 1); /* closed in the first call: no more */
    wait_closed(&loop);
    ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* ---- offloads: TCP with the kernel through crafted segments ----
 *
 * A minimal TCP peer (one connection, in-order data only, no
 * retransmission) written into the test, enough to make the kernel send
 * GSO super-frames to the tap and to send one to the kernel. */

typedef struct tcpx {
    mote_netif *n;
    int passthrough;
    uint8_t kernel_mac[6];
    /* the connection, from our side */
    uint16_t our_port, their_port;
    uint32_t our_next, their_next;
    int established, syn_sent, fin_sent, their_fin;
    /* what arrived */
    uint8_t *rx;
    size_t rx_len, rx_cap;
    size_t max_frame;
    int bad_csum, tcp_frames, partial_hdrs, send_errors;
    /* for sending a payload as one GSO frame once established */
    const uint8_t *tx;
    size_t tx_len;
    uint16_t gso_size;
} tcpx;

static uint64_t sum16(const uint8_t *p, size_t n, uint64_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)(p[n - 1] << 8);
    return s;
}

static uint16_t fold16(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

static uint64_t pseudo4(const uint8_t *ip, size_t tcplen)
{
    uint64_t s = sum16(ip + 12, 8, 0);
    return s + 6 + tcplen;
}

/* Sends an ethernet frame, with a virtio-net header in passthrough mode
 * (zero unless vh is given). */
static void x_send(tcpx *x, const uint8_t *frame, size_t len, const uint8_t *vh)
{
    static uint8_t buf[MOTE_POSIX_VNET_HDR_LEN + MOTE_POSIX_TAP_MAX_FRAME];
    int rc;
    if (x->passthrough) {
        memset(buf, 0, MOTE_POSIX_VNET_HDR_LEN);
        if (vh)
            memcpy(buf, vh, MOTE_POSIX_VNET_HDR_LEN);
        memcpy(buf + MOTE_POSIX_VNET_HDR_LEN, frame, len);
        rc = mote_netif_send(x->n, buf, len + MOTE_POSIX_VNET_HDR_LEN);
    } else {
        rc = mote_netif_send(x->n, frame, len);
    }
    if (rc != 0) {
        fprintf(stderr, "send: %s\n", mote_strerror(rc));
        x->send_errors++;
    }
}

/* Builds and sends a TCP/IPv4 segment. With gso > 0 the payload goes as one
 * GSO frame: the checksum field holds the pseudo-header sum and the
 * virtio-net header asks the kernel to segment and checksum. */
static void x_tcp(tcpx *x, uint8_t flags, const uint8_t *data, size_t dlen, uint16_t gso)
{
    static uint8_t f[MOTE_POSIX_TAP_MAX_FRAME];
    int syn = flags & 0x02;
    size_t thl = syn ? 24 : 20, iplen = 20 + thl + dlen;
    ck_assert_uint_le(14 + iplen, sizeof f);
    memcpy(f, x->kernel_mac, 6);
    memcpy(f + 6, x->n->mac, 6);
    f[12] = 0x08, f[13] = 0x00;
    uint8_t *ip = f + 14, *th = ip + 20;
    memset(ip, 0, 20 + thl);
    ip[0] = 0x45;
    ip[2] = (uint8_t)(iplen >> 8), ip[3] = (uint8_t)iplen;
    ip[6] = 0x40; /* DF */
    ip[8] = 64, ip[9] = 6;
    memcpy(ip + 12, our_ip, 4);
    memcpy(ip + 16, kernel_ip, 4);
    uint16_t c = (uint16_t)~fold16(sum16(ip, 20, 0));
    ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
    th[0] = (uint8_t)(x->our_port >> 8), th[1] = (uint8_t)x->our_port;
    th[2] = (uint8_t)(x->their_port >> 8), th[3] = (uint8_t)x->their_port;
    mote_store_be32(th + 4, x->our_next);
    mote_store_be32(th + 8, (flags & 0x10) ? x->their_next : 0);
    th[12] = (uint8_t)((thl / 4) << 4);
    th[13] = flags;
    th[14] = 0xff, th[15] = 0xff; /* window 65535 */
    if (syn) {
        th[20] = 2, th[21] = 4, th[22] = 1460 >> 8, th[23] = 1460 & 0xff;
    }
    if (dlen)
        memcpy(th + thl, data, dlen);
    uint64_t ps = pseudo4(ip, thl + dlen);
    uint8_t vh[MOTE_POSIX_VNET_HDR_LEN];
    memset(vh, 0, sizeof vh);
    if (gso) {
        c = fold16(ps); /* partial: the kernel finishes it per segment */
        uint16_t hl = (uint16_t)(14 + 20 + thl), start = 34, off = 16;
        vh[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM_;
        vh[1] = VIRTIO_NET_HDR_GSO_TCPV4_;
        memcpy(vh + 2, &hl, 2);
        memcpy(vh + 4, &gso, 2);
        memcpy(vh + 6, &start, 2);
        memcpy(vh + 8, &off, 2);
    } else {
        c = (uint16_t)~fold16(sum16(th, thl + dlen, ps));
    }
    th[16] = (uint8_t)(c >> 8), th[17] = (uint8_t)c;
    x_send(x, f, 14 + iplen, vh);
    x->our_next += (uint32_t)dlen + (syn ? 1 : 0) + ((flags & 0x01) ? 1 : 0);
}

static void x_arp_reply(tcpx *x, const uint8_t *a)
{
    uint8_t rep[42];
    memcpy(rep, a + 8, 6);
    memcpy(rep + 6, x->n->mac, 6);
    rep[12] = 0x08, rep[13] = 0x06;
    uint8_t *b = rep + 14;
    b[0] = 0, b[1] = 1, b[2] = 0x08, b[3] = 0, b[4] = 6, b[5] = 4, b[6] = 0, b[7] = 2;
    memcpy(b + 8, x->n->mac, 6);
    memcpy(b + 14, our_ip, 4);
    memcpy(b + 18, a + 8, 6);
    memcpy(b + 24, a + 14, 4);
    x_send(x, rep, sizeof rep, NULL);
}

static void x_frame(void *arg, const uint8_t *f, size_t len)
{
    tcpx *x = arg;
    if (x->passthrough) {
        if (len < MOTE_POSIX_VNET_HDR_LEN + 14)
            return;
        if (f[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM_)
            x->partial_hdrs++;
        f += MOTE_POSIX_VNET_HDR_LEN;
        len -= MOTE_POSIX_VNET_HDR_LEN;
    }
    if (len > x->max_frame)
        x->max_frame = len;
    uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
    if (type == 0x0806 && len >= 42) {
        const uint8_t *a = f + 14;
        if (a[7] == 1 && memcmp(a + 24, our_ip, 4) == 0)
            x_arp_reply(x, a);
        return;
    }
    if (type != 0x0800 || len < 54)
        return;
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4, tot = (size_t)(ip[2] << 8 | ip[3]);
    if (ip[9] != 6 || ihl != 20 || tot < 40 || 14 + tot > len || memcmp(ip + 16, our_ip, 4))
        return;
    const uint8_t *th = ip + 20;
    size_t tl = tot - 20, thl = (size_t)(th[12] >> 4) * 4;
    if (thl < 20 || thl > tl)
        return;
    x->tcp_frames++;
    memcpy(x->kernel_mac, f + 6, 6);
    /* In the default mode every checksum must be complete and right. */
    if (!x->passthrough && fold16(sum16(th, tl, pseudo4(ip, tl))) != 0xffff)
        x->bad_csum++;
    uint8_t flags = th[13];
    uint32_t seq = mote_load_be32(th + 4);
    uint16_t sport = (uint16_t)(th[0] << 8 | th[1]);
    const uint8_t *data = th + thl;
    size_t dlen = tl - thl;
    if (flags & 0x04) /* RST: e.g. no listener yet; the SYN is retried */
        return;
    if (!x->established && !x->syn_sent && (flags & 0x12) == 0x02) {
        /* The kernel connects to us: answer SYN-ACK. */
        x->their_port = sport;
        x->their_next = seq + 1;
        x->established = 1;
        x_tcp(x, 0x12, NULL, 0, 0);
        return;
    }
    if (x->syn_sent && !x->established && (flags & 0x12) == 0x12) {
        /* Our SYN was answered: ACK it, send the payload and FIN. */
        x->their_next = seq + 1;
        x->established = 1;
        x_tcp(x, 0x10, NULL, 0, 0);
        if (x->tx_len) {
            x_tcp(x, 0x18, x->tx, x->tx_len, x->gso_size);
            x_tcp(x, 0x11, NULL, 0, 0);
            x->fin_sent = 1;
        }
        return;
    }
    if (!x->established || sport != x->their_port)
        return;
    int ack = 0;
    if (dlen > 0 && seq == x->their_next) {
        if (x->rx_len + dlen > x->rx_cap) {
            x->rx_cap = (x->rx_len + dlen) * 2;
            x->rx = realloc(x->rx, x->rx_cap);
        }
        memcpy(x->rx + x->rx_len, data, dlen);
        x->rx_len += dlen;
        x->their_next += (uint32_t)dlen;
        ack = 1;
    } else if (dlen > 0) {
        ack = 1; /* out of order: duplicate ACK, the kernel resends */
    }
    if ((flags & 0x01) && seq + dlen == x->their_next && !x->their_fin) {
        x->their_fin = 1;
        x->their_next++;
        if (!x->fin_sent) {
            x_tcp(x, 0x11, NULL, 0, 0);
            x->fin_sent = 1;
            return;
        }
        ack = 1;
    }
    if (ack)
        x_tcp(x, 0x10, NULL, 0, 0);
}

static void setup_ns_link(void)
{
    ck_assert_int_eq(run("ip link set %s netns %s", tap_name, ns_name), 0);
    ck_assert_int_eq(run("ip -n %s addr add 10.77.0.1/24 dev %s", ns_name, tap_name), 0);
    ck_assert_int_eq(run("ip -n %s link set %s up", ns_name, tap_name), 0);
}

static uint8_t *make_pattern(size_t n, uint32_t seed)
{
    uint8_t *p = malloc(n);
    uint32_t v = seed;
    for (size_t i = 0; i < n; i++) {
        v = v * 1103515245u + 12345u;
        p[i] = (uint8_t)(v >> 16);
    }
    return p;
}

static int write_file(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(d, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Offloads on, default mode: the kernel sends a file over TCP to the tap;
 * segments come as GSO super-frames with partial checksums, which the tap
 * completes; every byte arrives, every checksum verifies. */
START_TEST(test_tap_offload_rx_gso)
{
    if (!tu_have_program("socat")) {
        printf("note: socat missing; offload receive test not run\n");
        return;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_posix_tap_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.name = tap_name;
    cfg.offload = MOTE_POSIX_TAP_CSUM | MOTE_POSIX_TAP_TSO4 | MOTE_POSIX_TAP_TSO6;
    int err;
    mote_posix_tap *tap = mote_posix_tap_open_config(&loop, &cfg, &err);
    ck_assert_msg(tap != NULL, "open with offloads: %s", mote_strerror(err));
    ck_assert_uint_eq(mote_posix_tap_offload(tap), cfg.offload);
    setup_ns_link();
    tcpx x;
    memset(&x, 0, sizeof x);
    x.n = mote_posix_tap_netif(tap);
    x.our_port = 7777;
    x.our_next = 1000;
    x.n->set_receiver(x.n->ctx, x_frame, &x);

    size_t n = 256 * 1024;
    uint8_t *data = make_pattern(n, 1);
    char path[64];
    snprintf(path, sizeof path, "/tmp/mote-posix-%ld.in", (long)getpid());
    ck_assert_int_eq(write_file(path, data, n), 0);
    char src[96];
    snprintf(src, sizeof src, "OPEN:%s", path);
    char *argv[] = {"ip", "netns", "exec", ns_name, "socat", "-u", src, "TCP4:10.77.0.2:7777",
                    NULL};
    int64_t st = run_with_loop(&loop, argv);
    unlink(path);
    mote_posix_tap_stats stats;
    mote_posix_tap_get_stats(tap, &stats);
    fprintf(stderr,
            "offload rx: %zu bytes, largest frame %zu, %llu GSO frames, %llu checksums "
            "completed\n",
            x.rx_len, x.max_frame, (unsigned long long)stats.rx_gso_frames,
            (unsigned long long)stats.rx_csum_completed);
    ck_assert_msg(st == 0, "socat status %lld", (long long)st);
    ck_assert_uint_eq(x.rx_len, n);
    ck_assert_mem_eq(x.rx, data, n);
    ck_assert_int_eq(x.bad_csum, 0);
    ck_assert_int_eq(x.send_errors, 0);
    ck_assert_uint_ge(stats.rx_csum_completed, 1);
    ck_assert_uint_ge(stats.rx_gso_frames, 1);
    ck_assert_uint_gt(x.max_frame, 1514);
    ck_assert_uint_eq(stats.rx_bad_vnet, 0);
    free(data);
    free(x.rx);
    mote_posix_tap_close(tap);
    wait_closed(&loop);
    ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* Offloads on, passthrough: mote connects to a Linux listener and sends
 * 60000 bytes as ONE frame with a GSO virtio-net header and a partial
 * checksum; the kernel segments and checksums it, and socat writes every
 * byte to a file. */
static void on_syn_retry(uv_timer_t *t)
{
    tcpx *x = t->data;
    if (x->established) {
        uv_timer_stop(t);
        return;
    }
    x->our_next = 5000; /* a fresh SYN each time */
    x->syn_sent = 1;
    x_tcp(x, 0x02, NULL, 0, 0);
}

START_TEST(test_tap_offload_tx_gso_passthrough)
{
    if (!tu_have_program("socat")) {
        printf("note: socat missing; offload send test not run\n");
        return;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_posix_tap_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.name = tap_name;
    cfg.offload = MOTE_POSIX_TAP_CSUM | MOTE_POSIX_TAP_TSO4;
    cfg.vnet_passthrough = 1;
    int err;
    mote_posix_tap *tap = mote_posix_tap_open_config(&loop, &cfg, &err);
    ck_assert_msg(tap != NULL, "open: %s", mote_strerror(err));
    mote_netif *n = mote_posix_tap_netif(tap);
    /* In passthrough a frame needs its header: 14 bytes alone are short. */
    uint8_t small[24];
    memset(small, 0, sizeof small);
    ck_assert_int_eq(mote_netif_send(n, small, 23), MOTE_EINVAL);
    setup_ns_link();

    char out[4096];
    ck_assert_int_eq(capture(out, sizeof out, "ip -n %s -br link show %s", ns_name, tap_name), 0);
    tcpx x;
    memset(&x, 0, sizeof x);
    unsigned m[6];
    char *mac = strchr(out, ':') - 2;
    ck_assert_int_eq(sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]), 6);
    for (int i = 0; i < 6; i++)
        x.kernel_mac[i] = (uint8_t)m[i];
    x.n = n;
    x.passthrough = 1;
    x.our_port = 40000;
    x.their_port = 7777;
    size_t len = 60000;
    uint8_t *data = make_pattern(len, 2);
    x.tx = data;
    x.tx_len = len;
    x.gso_size = 1400;
    n->set_receiver(n->ctx, x_frame, &x);

    char path[64], dst[96];
    snprintf(path, sizeof path, "/tmp/mote-posix-%ld.out", (long)getpid());
    unlink(path);
    snprintf(dst, sizeof dst, "CREATE:%s", path);
    uv_timer_t retry;
    uv_timer_init(&loop, &retry);
    retry.data = &x;
    uv_timer_start(&retry, on_syn_retry, 100, 200);
    char *argv[] = {
        "ip", "netns", "exec", ns_name, "socat", "-u", "TCP4-LISTEN:7777,bind=10.77.0.1,reuseaddr",
        dst,  NULL};
    int64_t st = run_with_loop(&loop, argv);
    uv_close((uv_handle_t *)&retry, NULL);
    size_t got = 0;
    uint8_t *written = tu_read_file(path, &got);
    unlink(path);
    ck_assert_msg(st == 0, "socat status %lld", (long long)st);
    ck_assert_int_eq(x.send_errors, 0);
    ck_assert_ptr_nonnull(written);
    ck_assert_uint_eq(got, len);
    ck_assert_mem_eq(written, data, len);
    /* The kernel's own frames came with headers too, some with partial
     * checksums left for us (its SYN-ACK and ACKs). */
    ck_assert_int_ge(x.tcp_frames, 1);
    fprintf(stderr,
            "offload tx: %zu bytes in one GSO frame; %d kernel frames with partial "
            "checksums\n",
            len, x.partial_hdrs);
    free(written);
    free(data);
    mote_posix_tap_close(tap);
    wait_closed(&loop);
    ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

int main(void)
{
    if (!tu_is_root()) {
        printf("SKIP: the TAP test needs root (CAP_NET_ADMIN) to create a TAP device and a "
               "network namespace\n");
        return 77;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        printf("SKIP: /dev/net/tun is missing\n");
        return 77;
    }
    if (!tu_have_program("ip") || !tu_have_program("ping")) {
        printf("SKIP: ip (iproute2) and ping (iputils-ping) are needed\n");
        return 77;
    }
    Suite *s = suite_create("posix-tap");
    /* One test per case, so each gets a fresh namespace. */
    TCase *tc = tcase_create("ping");
    tcase_set_timeout(tc, 40);
    tcase_add_unchecked_fixture(tc, ns_setup, ns_teardown);
    tcase_add_test(tc, test_tap_kernel_ping);
    suite_add_tcase(s, tc);
    tc = tcase_create("offload-rx");
    tcase_set_timeout(tc, 40);
    tcase_add_unchecked_fixture(tc, ns_setup, ns_teardown);
    tcase_add_test(tc, test_tap_offload_rx_gso);
    suite_add_tcase(s, tc);
    tc = tcase_create("offload-tx");
    tcase_set_timeout(tc, 40);
    tcase_add_unchecked_fixture(tc, ns_setup, ns_teardown);
    tcase_add_test(tc, test_tap_offload_tx_gso_passthrough);
    suite_add_tcase(s, tc);
    tc = tcase_create("config");
    tcase_set_timeout(tc, 40);
    tcase_add_unchecked_fixture(tc, ns_setup, ns_teardown);
    tcase_add_test(tc, test_tap_config_and_close_in_receiver);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
