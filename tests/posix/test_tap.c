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

    char *argv[] = {"ip", "netns", "exec", ns_name, "ping", "-n",        "-c",
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
    char *argv[] = {"ip", "netns", "exec", ns_name, "ping", "-n",        "-c",
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
    tc = tcase_create("config");
    tcase_set_timeout(tc, 40);
    tcase_add_unchecked_fixture(tc, ns_setup, ns_teardown);
    tcase_add_test(tc, test_tap_config_and_close_in_receiver);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
