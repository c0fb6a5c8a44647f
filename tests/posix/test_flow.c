/* test_flow.c - libmote-posix socket flows against kernel peers: plain POSIX
 * sockets in threads, socat, and mote itself; plus the directory kv.
 *
 * Every byte stream is a keyed pseudo-random pattern, checked byte by byte
 * at the receiver, so a lost, duplicated or reordered byte fails the test.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mote/posix.h"

#define MiB (1024u * 1024u)

/* ---- the byte pattern ---- */

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void pattern(uint64_t seed, uint64_t pos, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t p = pos + i;
        out[i] = (uint8_t)(splitmix(seed ^ (p >> 3) * 0x100000001b3ull) >> ((p & 7) * 8));
    }
}

/* Checks n received bytes at position pos; returns the number of bad ones. */
static size_t check_pattern(uint64_t seed, uint64_t pos, const uint8_t *data, size_t n)
{
    uint8_t want[4096];
    size_t bad = 0;
    while (n > 0) {
        size_t k = n < sizeof want ? n : sizeof want;
        pattern(seed, pos, want, k);
        if (memcmp(want, data, k) != 0)
            for (size_t i = 0; i < k; i++)
                bad += want[i] != data[i];
        pos += k;
        data += k;
        n -= k;
    }
    return bad;
}

/* ---- kernel-side helpers (blocking POSIX sockets) ---- */

static int kernel_listen(int family, uint16_t *port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0) {
        close(fd);
        return -1;
    }
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static int kernel_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_pattern(int fd, uint64_t seed, size_t n)
{
    uint8_t buf[65536];
    size_t pos = 0;
    while (pos < n) {
        size_t k = n - pos < sizeof buf ? n - pos : sizeof buf;
        pattern(seed, pos, buf, k);
        size_t off = 0;
        while (off < k) {
            ssize_t w = send(fd, buf + off, k - off, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return -1;
            }
            off += (size_t)w;
        }
        pos += k;
    }
    return 0;
}

/* Reads until EOF; *count gets the bytes read; returns the bad bytes, or
 * (size_t)-1 on a read error. */
static size_t recv_pattern(int fd, uint64_t seed, size_t *count)
{
    uint8_t buf[65536];
    size_t pos = 0, bad = 0;
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            *count = pos;
            return (size_t)-1;
        }
        if (r == 0)
            break;
        bad += check_pattern(seed, pos, buf, (size_t)r);
        pos += (size_t)r;
    }
    *count = pos;
    return bad;
}

/* A kernel peer in a thread: reads rx bytes (to EOF) while a second thread
 * writes tx bytes and then shuts down its sending side. */
typedef struct kpeer {
    int fd;        /* connected socket, or -1 to accept on lfd */
    int lfd;       /* listening socket */
    uint16_t port; /* to connect to when fd and lfd are -1 */
    uint64_t rx_seed, tx_seed;
    size_t tx_len;
    int delay_read_ms;
    /* results */
    size_t rx_count, rx_bad;
    int tx_ok;
} kpeer;

static void *kpeer_writer(void *arg)
{
    kpeer *k = arg;
    k->tx_ok = send_pattern(k->fd, k->tx_seed, k->tx_len) == 0 && shutdown(k->fd, SHUT_WR) == 0;
    return NULL;
}

static void *kpeer_main(void *arg)
{
    kpeer *k = arg;
    if (k->fd < 0 && k->lfd >= 0)
        k->fd = accept(k->lfd, NULL, NULL);
    else if (k->fd < 0)
        k->fd = kernel_connect(k->port);
    if (k->fd < 0) {
        k->rx_bad = (size_t)-1;
        return NULL;
    }
    pthread_t w;
    pthread_create(&w, NULL, kpeer_writer, k);
    if (k->delay_read_ms)
        usleep((useconds_t)k->delay_read_ms * 1000);
    k->rx_bad = recv_pattern(k->fd, k->rx_seed, &k->rx_count);
    pthread_join(w, NULL);
    close(k->fd);
    return NULL;
}

/* ---- the mote side: an endpoint that sends a pattern and checks one ---- */

typedef struct ep {
    mote_flow *flow;
    uint64_t rx_seed, tx_seed;
    size_t tx_total, tx_sent;
    size_t rx_count, rx_bad;
    size_t queue_limit; /* pause writing while queued() is above */
    size_t max_queued;
    int eof, err, drains, shut, closed;
    int close_in_data; /* close from inside the first data callback */
    int callbacks_after_close;
    int write_err;
} ep;

static void ep_maybe_close(ep *e)
{
    if (!e->closed && e->eof && e->shut && mote_flow_queued(e->flow) == 0) {
        e->closed = 1;
        mote_flow_close(e->flow);
    }
}

static void ep_pump(ep *e)
{
    uint8_t buf[16384];
    while (e->tx_sent < e->tx_total && mote_flow_queued(e->flow) <= e->queue_limit) {
        size_t k = e->tx_total - e->tx_sent;
        if (k > sizeof buf)
            k = sizeof buf;
        pattern(e->tx_seed, e->tx_sent, buf, k);
        int rc = mote_flow_write(e->flow, buf, k);
        if (rc < 0) {
            e->write_err = rc;
            return;
        }
        e->tx_sent += k;
        if (mote_flow_queued(e->flow) > e->max_queued)
            e->max_queued = mote_flow_queued(e->flow);
    }
    if (e->tx_sent == e->tx_total && !e->shut) {
        ck_assert_int_eq(mote_flow_shutdown(e->flow), 0);
        e->shut = 1;
        /* Writing after shutdown is refused. */
        ck_assert_int_eq(mote_flow_write(e->flow, "x", 1), MOTE_ECLOSED);
    }
}

static void ep_data(void *arg, const uint8_t *d, size_t n)
{
    ep *e = arg;
    if (e->closed) {
        e->callbacks_after_close++;
        return;
    }
    e->rx_bad += check_pattern(e->rx_seed, e->rx_count, d, n);
    e->rx_count += n;
    if (e->close_in_data) {
        e->closed = 1;
        mote_flow_close(e->flow);
    }
}

static void ep_eof(void *arg)
{
    ep *e = arg;
    if (e->closed) {
        e->callbacks_after_close++;
        return;
    }
    e->eof = 1;
    ep_maybe_close(e);
}

static void ep_drain(void *arg)
{
    ep *e = arg;
    if (e->closed) {
        e->callbacks_after_close++;
        return;
    }
    e->drains++;
    ck_assert_uint_eq(mote_flow_queued(e->flow), 0);
    ep_pump(e);
    ep_maybe_close(e);
}

static void ep_error(void *arg, int err)
{
    ep *e = arg;
    if (e->closed) {
        e->callbacks_after_close++;
        return;
    }
    e->err = err;
    e->closed = 1;
    mote_flow_close(e->flow);
}

static const mote_flow_events ep_events = {ep_data, ep_eof, ep_drain, ep_error};

static void ep_start(ep *e, mote_flow *f)
{
    e->flow = f;
    if (!e->queue_limit)
        e->queue_limit = 256 * 1024;
    mote_flow_set_events(f, &ep_events, e);
    ep_pump(e);
    ep_maybe_close(e);
}

static void on_connect_ep(void *arg, mote_flow *f, int err)
{
    ep *e = arg;
    ck_assert_msg(f != NULL, "connect failed: %s", mote_strerror(err));
    ck_assert_int_eq(err, 0);
    ep_start(e, f);
}

static void on_accept_ep(void *arg, mote_flow *f, int err)
{
    ep *e = arg;
    ck_assert_int_eq(err, 0);
    ck_assert_ptr_null(e->flow); /* one connection expected */
    ep_start(e, f);
}

static void finish_loop(uv_loop_t *loop)
{
    ck_assert_int_eq(uv_run(loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(loop), 0);
}

/* (a) mote client <-> kernel server, both directions at once, then
 * half-closes both ways. */
START_TEST(test_mote_client_kernel_server)
{
    size_t n_up = 4 * MiB + 1234, n_down = 3 * MiB + 77;
    kpeer k = {.fd = -1, .rx_seed = 1, .tx_seed = 2, .tx_len = n_down};
    k.lfd = kernel_listen(AF_INET, &k.port);
    ck_assert_int_ge(k.lfd, 0);
    pthread_t th;
    pthread_create(&th, NULL, kpeer_main, &k);

    uv_loop_t loop;
    uv_loop_init(&loop);
    ep e = {.rx_seed = 2, .tx_seed = 1, .tx_total = n_up};
    mote_posix_tcp_options o = {.nodelay = 1, .keepalive_s = 30};
    int err;
    mote_posix_connect *c =
        mote_posix_tcp_connect(&loop, "127.0.0.1", k.port, &o, on_connect_ep, &e, &err);
    ck_assert_ptr_nonnull(c);
    finish_loop(&loop);
    pthread_join(th, NULL);
    close(k.lfd);

    ck_assert_int_eq(e.err, 0);
    ck_assert_int_eq(e.write_err, 0);
    ck_assert(e.eof);
    ck_assert(e.closed);
    ck_assert_uint_eq(e.rx_count, n_down);
    ck_assert_uint_eq(e.rx_bad, 0);
    ck_assert_uint_eq(k.rx_count, n_up);
    ck_assert_uint_eq(k.rx_bad, 0);
    ck_assert(k.tx_ok);
    ck_assert_int_eq(e.callbacks_after_close, 0);
}
END_TEST

/* (b) kernel client <-> mote listener (port 0: ephemeral). */
static void on_accept_addr(void *arg, mote_flow *f, int err)
{
    ep *e = arg;
    char host[64], local[64];
    uint16_t port = 0, lport = 0;
    ck_assert_int_eq(mote_posix_flow_address(f, 0, host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_uint_ne(port, 0);
    ck_assert_int_eq(mote_posix_flow_address(f, 1, local, sizeof local, &lport), 0);
    ck_assert_str_eq(local, "127.0.0.1");
    ck_assert_int_eq(mote_posix_flow_address(f, 1, local, 8, &lport), MOTE_ENOSPC);
    on_accept_ep(arg, f, err);
    (void)e;
}

START_TEST(test_kernel_client_mote_listener)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    size_t n_up = 3 * MiB + 5, n_down = 4 * MiB + 999;
    ep e = {.rx_seed = 10, .tx_seed = 11, .tx_total = n_down};
    int err;
    mote_posix_listener *l =
        mote_posix_tcp_listen(&loop, "127.0.0.1", 0, 0, NULL, on_accept_addr, &e, &err);
    ck_assert_ptr_nonnull(l);
    uint16_t port = mote_posix_listener_port(l);
    ck_assert_uint_ne(port, 0);

    /* The port is taken now. */
    mote_posix_listener *l2 =
        mote_posix_tcp_listen(&loop, "127.0.0.1", port, 0, NULL, on_accept_ep, &e, &err);
    ck_assert_ptr_null(l2);
    ck_assert_int_eq(err, MOTE_EADDRINUSE);

    kpeer k = {.fd = -1, .lfd = -1, .port = port, .rx_seed = 11, .tx_seed = 10, .tx_len = n_up};
    pthread_t th;
    pthread_create(&th, NULL, kpeer_main, &k);
    while (!e.closed)
        uv_run(&loop, UV_RUN_ONCE);
    mote_posix_listener_close(l);
    finish_loop(&loop);
    pthread_join(th, NULL);

    ck_assert_int_eq(e.err, 0);
    ck_assert(e.eof);
    ck_assert_uint_eq(e.rx_count, n_up);
    ck_assert_uint_eq(e.rx_bad, 0);
    ck_assert_uint_eq(k.rx_count, n_down);
    ck_assert_uint_eq(k.rx_bad, 0);
    ck_assert(k.tx_ok);
}
END_TEST

/* mote client <-> mote listener over IPv6 loopback, if the host has it. */
START_TEST(test_mote_to_mote_ipv6)
{
    uint16_t p6;
    int probe = kernel_listen(AF_INET6, &p6);
    if (probe < 0) {
        fprintf(stderr, "note: no IPv6 loopback here; IPv6 flow test not run\n");
        return;
    }
    close(probe);
    uv_loop_t loop;
    uv_loop_init(&loop);
    ep srv = {.rx_seed = 20, .tx_seed = 21, .tx_total = 1 * MiB};
    ep cli = {.rx_seed = 21, .tx_seed = 20, .tx_total = 2 * MiB};
    int err;
    mote_posix_listener *l =
        mote_posix_tcp_listen(&loop, "::1", 0, 4, NULL, on_accept_ep, &srv, &err);
    ck_assert_ptr_nonnull(l);
    ck_assert_ptr_nonnull(mote_posix_tcp_connect(&loop, "::1", mote_posix_listener_port(l), NULL,
                                                 on_connect_ep, &cli, &err));
    while (!srv.closed || !cli.closed)
        uv_run(&loop, UV_RUN_ONCE);
    mote_posix_listener_close(l);
    finish_loop(&loop);
    ck_assert_uint_eq(srv.rx_count, 2 * MiB);
    ck_assert_uint_eq(cli.rx_count, 1 * MiB);
    ck_assert_uint_eq(srv.rx_bad + cli.rx_bad, 0);
    ck_assert_int_eq(srv.err + cli.err, 0);

    /* A listener on NULL (all addresses) takes IPv4 and IPv6 clients. */
    uv_loop_init(&loop);
    ep s4 = {.rx_seed = 1, .tx_seed = 2, .tx_total = 1000};
    ep c4 = {.rx_seed = 2, .tx_seed = 1, .tx_total = 2000};
    l = mote_posix_tcp_listen(&loop, NULL, 0, 0, NULL, on_accept_ep, &s4, &err);
    ck_assert_ptr_nonnull(l);
    uint16_t port = mote_posix_listener_port(l);
    ck_assert_ptr_nonnull(
        mote_posix_tcp_connect(&loop, "127.0.0.1", port, NULL, on_connect_ep, &c4, &err));
    while (!s4.closed || !c4.closed)
        uv_run(&loop, UV_RUN_ONCE);
    ep s6 = {.rx_seed = 3, .tx_seed = 4, .tx_total = 3000};
    ep c6 = {.rx_seed = 4, .tx_seed = 3, .tx_total = 4000};
    mote_posix_listener_close(l);
    l = mote_posix_tcp_listen(&loop, NULL, 0, 0, NULL, on_accept_ep, &s6, &err);
    ck_assert_ptr_nonnull(l);
    ck_assert_ptr_nonnull(mote_posix_tcp_connect(&loop, "::1", mote_posix_listener_port(l), NULL,
                                                 on_connect_ep, &c6, &err));
    while (!s6.closed || !c6.closed)
        uv_run(&loop, UV_RUN_ONCE);
    mote_posix_listener_close(l);
    finish_loop(&loop);
    ck_assert_uint_eq(s4.rx_count + c4.rx_count + s6.rx_count + c6.rx_count, 10000);
    ck_assert_uint_eq(s4.rx_bad + c4.rx_bad + s6.rx_bad + c6.rx_bad, 0);
}
END_TEST

/* Connection refused, bad arguments, and cancel. */
typedef struct result {
    int calls;
    int err;
    mote_flow *flow;
} result;

static void on_connect_result(void *arg, mote_flow *f, int err)
{
    result *r = arg;
    r->calls++;
    r->err = err;
    r->flow = f;
    if (f)
        mote_flow_close(f);
}

START_TEST(test_connect_errors)
{
    /* A bound socket that does not listen: connecting is refused. */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    uint16_t port = ntohs(a.sin_port);

    uv_loop_t loop;
    uv_loop_init(&loop);
    result r = {0};
    int err;
    ck_assert_ptr_nonnull(
        mote_posix_tcp_connect(&loop, "127.0.0.1", port, NULL, on_connect_result, &r, &err));
    ck_assert_int_eq(r.calls, 0); /* never from inside connect */
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.err, MOTE_ECONNREFUSED);
    ck_assert_ptr_null(r.flow);

    /* "localhost" resolves (to ::1 and/or 127.0.0.1); every address is
     * refused, and the error of the last one is reported. */
    result r2 = {0};
    ck_assert_ptr_nonnull(
        mote_posix_tcp_connect(&loop, "localhost", port, NULL, on_connect_result, &r2, &err));
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(r2.calls, 1);
    ck_assert_int_eq(r2.err, MOTE_ECONNREFUSED);

    ck_assert_ptr_null(mote_posix_tcp_connect(&loop, "", port, NULL, on_connect_result, &r, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    ck_assert_ptr_null(
        mote_posix_tcp_connect(&loop, "127.0.0.1", 0, NULL, on_connect_result, &r, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    ck_assert_ptr_null(
        mote_posix_tcp_listen(&loop, "not-an-ip", 0, 0, NULL, on_accept_ep, NULL, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);

    /* Cancelled before resolution, and cancelled while connecting to a
     * listener: no callback either way. */
    uint16_t lport;
    int lfd = kernel_listen(AF_INET, &lport);
    result r4 = {0}, r5 = {0};
    mote_posix_connect *c =
        mote_posix_tcp_connect(&loop, "127.0.0.1", lport, NULL, on_connect_result, &r4, &err);
    mote_posix_connect_cancel(c);
    c = mote_posix_tcp_connect(&loop, "127.0.0.1", lport, NULL, on_connect_result, &r5, &err);
    uv_run(&loop, UV_RUN_NOWAIT); /* resolution may finish; connecting starts */
    mote_posix_connect_cancel(c);
    finish_loop(&loop);
    ck_assert_int_eq(r4.calls, 0);
    ck_assert_int_eq(r5.calls, 0);
    close(lfd);
    close(fd);
}
END_TEST

/* A connect that gets no answer times out. The kernel drops SYNs to a
 * listener whose accept queue is full, which on loopback makes a connect
 * hang without sending traffic anywhere else. */
START_TEST(test_connect_timeout)
{
    uint16_t port;
    int lfd = kernel_listen(AF_INET, &port);
    listen(lfd, 0);
    int fill[4];
    for (int i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    usleep(100000);
    uv_loop_t loop;
    uv_loop_init(&loop);
    result r = {0};
    mote_posix_tcp_options o = {.connect_timeout_ms = 300};
    int err;
    uint64_t t0 = uv_hrtime();
    ck_assert_ptr_nonnull(
        mote_posix_tcp_connect(&loop, "127.0.0.1", port, &o, on_connect_result, &r, &err));
    finish_loop(&loop);
    ck_assert_int_eq(r.calls, 1);
    if (r.err == 0) {
        fprintf(stderr, "note: the kernel accepted despite a full queue; timeout not tested\n");
    } else {
        ck_assert_int_eq(r.err, MOTE_ETIMEDOUT);
        ck_assert_uint_ge(uv_hrtime() - t0, 290 * MOTE_NS_PER_MS);
    }
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(lfd);
}
END_TEST

/* Happy Eyeballs: a name with an IPv6 address that never answers (a ::1
 * listener whose accept queue is full drops SYNs) and an IPv4 address that
 * does. The IPv4 attempt starts attempt_delay_ms after the IPv6 one and
 * wins. The name comes from a private /etc/hosts bind-mounted in a mount
 * namespace of this test process only (needs root; Check runs each test in
 * a child process, and the namespace goes with it). */
typedef struct he {
    int calls, err;
    uint64_t t_done;
    char peer[64];
} he;

static void on_connect_he(void *arg, mote_flow *f, int err)
{
    he *h = arg;
    h->calls++;
    h->err = err;
    h->t_done = uv_hrtime();
    if (f) {
        uint16_t port;
        mote_posix_flow_address(f, 0, h->peer, sizeof h->peer, &port);
        mote_flow_close(f);
    }
}

static void on_accept_close(void *arg, mote_flow *f, int err)
{
    (void)arg;
    if (!err)
        mote_flow_close(f);
}

START_TEST(test_happy_eyeballs)
{
    if (!tu_is_root()) {
        fprintf(stderr, "note: not root; Happy Eyeballs test (private /etc/hosts) not run\n");
        return;
    }
    uint16_t p6;
    int probe = kernel_listen(AF_INET6, &p6);
    if (probe < 0) {
        fprintf(stderr, "note: no IPv6 loopback; Happy Eyeballs test not run\n");
        return;
    }
    close(probe);
    const char *fork_env = getenv("CK_FORK");
    if (fork_env && strcmp(fork_env, "no") == 0) {
        /* Mount namespaces are per thread: libuv's resolver threads, made
         * by earlier tests in this same process, would not see the file. */
        fprintf(stderr, "note: CK_FORK=no; Happy Eyeballs test not run\n");
        return;
    }
    if (unshare(CLONE_NEWNS) != 0) {
        /* e.g. CK_FORK=no: libuv's thread pool already runs here */
        fprintf(stderr, "note: unshare(CLONE_NEWNS) failed; Happy Eyeballs test not run\n");
        return;
    }
    ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
    char hosts[] = "/tmp/mote-hosts-XXXXXX";
    int hfd = mkstemp(hosts);
    ck_assert_int_ge(hfd, 0);
    const char *text = "::1 mote-he-test\n127.0.0.1 mote-he-test\n";
    ck_assert_int_eq(write(hfd, text, strlen(text)), (ssize_t)strlen(text));
    close(hfd);
    ck_assert_int_eq(mount(hosts, "/etc/hosts", NULL, MS_BIND, NULL), 0);

    /* The blackhole on ::1 and, on the same port, a mote listener on
     * 127.0.0.1 (retrying ports until both are free). */
    uv_loop_t loop;
    uv_loop_init(&loop);
    int lfd = -1, fill[3] = {-1, -1, -1};
    mote_posix_listener *l = NULL;
    uint16_t port = 0;
    for (int tries = 0; tries < 20 && !l; tries++) {
        if (lfd >= 0)
            close(lfd);
        lfd = kernel_listen(AF_INET6, &port);
        ck_assert_int_ge(lfd, 0);
        int err;
        l = mote_posix_tcp_listen(&loop, "127.0.0.1", port, 0, NULL, on_accept_close, NULL, &err);
    }
    ck_assert_ptr_nonnull(l);
    listen(lfd, 0);
    for (int i = 0; i < 3; i++) {
        fill[i] = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
        a.sin6_addr = in6addr_loopback;
        connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    usleep(100000);

    for (int round = 0; round < 2; round++) {
        he h;
        memset(&h, 0, sizeof h);
        mote_posix_tcp_options o = {.connect_timeout_ms = 5000,
                                    .attempt_delay_ms = round == 0 ? 100 : 0};
        int err;
        uint64_t t0 = uv_hrtime();
        ck_assert_ptr_nonnull(
            mote_posix_tcp_connect(&loop, "mote-he-test", port, &o, on_connect_he, &h, &err));
        while (h.calls == 0)
            uv_run(&loop, UV_RUN_ONCE);
        ck_assert_int_eq(h.err, 0);
        ck_assert_str_eq(h.peer, "127.0.0.1");
        uint64_t want = (round == 0 ? 100 : 250) * MOTE_NS_PER_MS;
        ck_assert_uint_ge(h.t_done - t0, want - 5 * MOTE_NS_PER_MS);
        ck_assert_uint_lt(h.t_done - t0, 3 * MOTE_NS_PER_SEC);
    }
    mote_posix_listener_close(l);
    finish_loop(&loop);
    for (int i = 0; i < 3; i++)
        close(fill[i]);
    close(lfd);
    umount("/etc/hosts");
    unlink(hosts);
}
END_TEST

/* Backpressure: the kernel peer reads only after a delay, so a big write
 * stays queued; drain fires once queued() is back to 0. */
START_TEST(test_backpressure_and_drain)
{
    size_t n = 48 * MiB;
    kpeer k = {.fd = -1, .rx_seed = 30, .tx_seed = 31, .tx_len = 0, .delay_read_ms = 300};
    k.lfd = kernel_listen(AF_INET, &k.port);
    pthread_t th;
    pthread_create(&th, NULL, kpeer_main, &k);
    uv_loop_t loop;
    uv_loop_init(&loop);
    /* One endpoint that writes everything at once (no limit). */
    ep e = {.rx_seed = 31, .tx_seed = 30, .tx_total = n, .queue_limit = SIZE_MAX};
    int err;
    ck_assert_ptr_nonnull(
        mote_posix_tcp_connect(&loop, "127.0.0.1", k.port, NULL, on_connect_ep, &e, &err));
    finish_loop(&loop);
    pthread_join(th, NULL);
    close(k.lfd);
    ck_assert_uint_gt(e.max_queued, 0); /* the kernel could not take it all */
    ck_assert_int_eq(e.drains, 1);
    ck_assert_uint_eq(k.rx_count, n);
    ck_assert_uint_eq(k.rx_bad, 0);
    ck_assert(e.eof);
}
END_TEST

/* set_reading(0) holds data back; data before set_events is held. */
typedef struct held {
    mote_flow *flow;
    uv_timer_t timer;
    int phase;
    size_t got;
    size_t got_while_off;
    int eof;
    uint8_t buf[64];
} held;

static void held_data(void *arg, const uint8_t *d, size_t n)
{
    held *h = arg;
    if (h->phase == 2)
        h->got_while_off += n;
    if (h->got + n <= sizeof h->buf)
        memcpy(h->buf + h->got, d, n);
    h->got += n;
}

static void held_eof(void *arg)
{
    held *h = arg;
    h->eof = 1;
    mote_flow_close(h->flow);
    uv_close((uv_handle_t *)&h->timer, NULL);
}

static const mote_flow_events held_events = {held_data, held_eof, NULL, NULL};

static void held_tick(uv_timer_t *t)
{
    held *h = t->data;
    if (h->phase == 0) {
        /* 150 ms after accept: the peer has sent and closed by now. Set
         * events with reading off: nothing may arrive. */
        h->phase = 2;
        mote_flow_set_reading(h->flow, 0);
        mote_flow_set_events(h->flow, &held_events, h);
        uv_timer_start(t, held_tick, 150, 0);
    } else {
        h->phase = 3;
        mote_flow_set_reading(h->flow, 1);
    }
}

static void on_accept_held(void *arg, mote_flow *f, int err)
{
    held *h = arg;
    ck_assert_int_eq(err, 0);
    h->flow = f;
    uv_timer_start(&h->timer, held_tick, 150, 0);
}

START_TEST(test_held_before_events_and_reading_off)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    held h;
    memset(&h, 0, sizeof h);
    uv_timer_init(&loop, &h.timer);
    h.timer.data = &h;
    int err;
    mote_posix_listener *l =
        mote_posix_tcp_listen(&loop, "127.0.0.1", 0, 0, NULL, on_accept_held, &h, &err);
    int fd = kernel_connect(mote_posix_listener_port(l));
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(send(fd, "hello, held", 11, 0), 11);
    shutdown(fd, SHUT_WR);
    while (!h.eof)
        uv_run(&loop, UV_RUN_ONCE);
    mote_posix_listener_close(l);
    finish_loop(&loop);
    close(fd);
    ck_assert_uint_eq(h.got_while_off, 0);
    ck_assert_uint_eq(h.got, 11);
    ck_assert_mem_eq(h.buf, "hello, held", 11);
}
END_TEST

/* The peer resets the connection: error MOTE_ECONNRESET, then writes fail
 * with it. Also close from inside the data callback. */
typedef struct rst {
    mote_flow *flow;
    int err;
    int write_rc;
    int shutdown_rc;
} rst;

static void rst_error(void *arg, int err)
{
    rst *r = arg;
    r->err = err;
    r->write_rc = mote_flow_write(r->flow, "x", 1);
    r->shutdown_rc = mote_flow_shutdown(r->flow);
    mote_flow_close(r->flow);
}

static const mote_flow_events rst_events = {NULL, NULL, NULL, rst_error};

static void on_accept_rst(void *arg, mote_flow *f, int err)
{
    rst *r = arg;
    ck_assert_int_eq(err, 0);
    r->flow = f;
    mote_flow_set_events(f, &rst_events, r);
}

START_TEST(test_peer_reset)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    rst r = {0};
    int err;
    mote_posix_listener *l =
        mote_posix_tcp_listen(&loop, "127.0.0.1", 0, 0, NULL, on_accept_rst, &r, &err);
    int fd = kernel_connect(mote_posix_listener_port(l));
    while (!r.flow)
        uv_run(&loop, UV_RUN_ONCE);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd); /* RST */
    while (!r.err)
        uv_run(&loop, UV_RUN_ONCE);
    mote_posix_listener_close(l);
    finish_loop(&loop);
    ck_assert_int_eq(r.err, MOTE_ECONNRESET);
    ck_assert_int_eq(r.write_rc, MOTE_ECONNRESET);
    ck_assert_int_eq(r.shutdown_rc, MOTE_ECONNRESET);
}
END_TEST

START_TEST(test_close_inside_data)
{
    kpeer k = {.fd = -1, .rx_seed = 40, .tx_seed = 41, .tx_len = 2 * MiB};
    k.lfd = kernel_listen(AF_INET, &k.port);
    pthread_t th;
    pthread_create(&th, NULL, kpeer_main, &k);
    uv_loop_t loop;
    uv_loop_init(&loop);
    /* Writes 1 MiB (mostly queued), then closes at the first data. */
    ep e = {
        .rx_seed = 41, .tx_seed = 40, .tx_total = MiB, .close_in_data = 1, .queue_limit = SIZE_MAX};
    int err;
    ck_assert_ptr_nonnull(
        mote_posix_tcp_connect(&loop, "127.0.0.1", k.port, NULL, on_connect_ep, &e, &err));
    finish_loop(&loop);
    pthread_join(th, NULL);
    close(k.lfd);
    ck_assert(e.closed);
    ck_assert_uint_gt(e.rx_count, 0);
    ck_assert_uint_eq(e.rx_bad, 0);
    ck_assert_int_eq(e.callbacks_after_close, 0);
}
END_TEST

/* An abortive close: the kernel peer reads ECONNRESET, not EOF. */
typedef struct aborter {
    mote_flow *flow;
    int rc;
} aborter;

static void on_connect_abort(void *arg, mote_flow *f, int err)
{
    aborter *a = arg;
    ck_assert_int_eq(err, 0);
    ck_assert_int_eq(mote_flow_write(f, "some bytes", 10), 0);
    a->rc = mote_posix_flow_abort(f);
}

START_TEST(test_abort)
{
    kpeer k = {.fd = -1, .rx_seed = 80, .tx_seed = 81, .tx_len = 0, .delay_read_ms = 100};
    k.lfd = kernel_listen(AF_INET, &k.port);
    pthread_t th;
    pthread_create(&th, NULL, kpeer_main, &k);
    uv_loop_t loop;
    uv_loop_init(&loop);
    aborter a = {0};
    int err;
    ck_assert_ptr_nonnull(
        mote_posix_tcp_connect(&loop, "127.0.0.1", k.port, NULL, on_connect_abort, &a, &err));
    finish_loop(&loop);
    pthread_join(th, NULL);
    close(k.lfd);
    ck_assert_int_eq(a.rc, 0);
    ck_assert_uint_eq(k.rx_bad, (size_t)-1); /* the read failed: RST */
    mote_flow fake = {0};
    ck_assert_int_eq(mote_posix_flow_abort(&fake), MOTE_EINVAL);
}
END_TEST

/* Unix-domain flows, mote to mote. */
START_TEST(test_unix_flow)
{
    char dir[] = "/tmp/mote-posix-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/sock", dir);
    uv_loop_t loop;
    uv_loop_init(&loop);
    result r = {0};
    int err;
    ck_assert_ptr_nonnull(mote_posix_unix_connect(&loop, path, on_connect_result, &r, &err));
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.err, MOTE_ENOTFOUND);

    ep srv = {.rx_seed = 50, .tx_seed = 51, .tx_total = 3 * MiB};
    ep cli = {.rx_seed = 51, .tx_seed = 50, .tx_total = 2 * MiB};
    mote_posix_listener *l = mote_posix_unix_listen(&loop, path, 0, on_accept_ep, &srv, &err);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(mote_posix_listener_port(l), 0);
    ck_assert_ptr_null(mote_posix_unix_listen(&loop, path, 0, on_accept_ep, &srv, &err));
    ck_assert_int_eq(err, MOTE_EADDRINUSE);
    ck_assert_ptr_nonnull(mote_posix_unix_connect(&loop, path, on_connect_ep, &cli, &err));
    while (!srv.closed || !cli.closed)
        uv_run(&loop, UV_RUN_ONCE);
    char host[64];
    uint16_t port = 1;
    mote_posix_listener_close(l);
    finish_loop(&loop);
    ck_assert_uint_eq(srv.rx_count, 2 * MiB);
    ck_assert_uint_eq(cli.rx_count, 3 * MiB);
    ck_assert_uint_eq(srv.rx_bad + cli.rx_bad, 0);
    ck_assert_int_eq(srv.err + cli.err, 0);
    ck_assert(srv.eof && cli.eof);
    (void)host;
    (void)port;
    unlink(path);
    rmdir(dir);
}
END_TEST

/* Flows over descriptors: both ends of a socketpair, and a kernel TCP
 * client socket talking to a mote listener. */
START_TEST(test_flow_open_fd)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    int err;
    mote_flow *fa = mote_posix_flow_open_fd(&loop, sv[0], &err);
    mote_flow *fb = mote_posix_flow_open_fd(&loop, sv[1], &err);
    ck_assert_ptr_nonnull(fa);
    ck_assert_ptr_nonnull(fb);
    char host[64];
    uint16_t port = 9;
    ck_assert_int_eq(mote_posix_flow_address(fa, 0, host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "");
    ck_assert_uint_eq(port, 0);
    ep a = {.rx_seed = 70, .tx_seed = 71, .tx_total = 3 * MiB};
    ep b = {.rx_seed = 71, .tx_seed = 70, .tx_total = 1 * MiB + 3};
    ep_start(&a, fa);
    ep_start(&b, fb);
    while (!a.closed || !b.closed)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_uint_eq(a.rx_count, 1 * MiB + 3);
    ck_assert_uint_eq(b.rx_count, 3 * MiB);
    ck_assert_uint_eq(a.rx_bad + b.rx_bad, 0);
    ck_assert(a.eof && b.eof);
    /* The flows closed the descriptors. */
    ck_assert_int_eq(fcntl(sv[0], F_GETFD), -1);

    /* A TCP socket from the kernel side. */
    ep srv = {.rx_seed = 72, .tx_seed = 73, .tx_total = 2 * MiB};
    ep cli = {.rx_seed = 73, .tx_seed = 72, .tx_total = 2 * MiB};
    mote_posix_listener *l =
        mote_posix_tcp_listen(&loop, "127.0.0.1", 0, 0, NULL, on_accept_ep, &srv, &err);
    int fd = kernel_connect(mote_posix_listener_port(l));
    mote_flow *fc = mote_posix_flow_open_fd(&loop, fd, &err);
    ck_assert_ptr_nonnull(fc);
    ck_assert_int_eq(mote_posix_flow_address(fc, 0, host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_uint_eq(port, mote_posix_listener_port(l));
    ep_start(&cli, fc);
    while (!srv.closed || !cli.closed)
        uv_run(&loop, UV_RUN_ONCE);
    mote_posix_listener_close(l);
    ck_assert_uint_eq(srv.rx_count + cli.rx_count, 4 * MiB);
    ck_assert_uint_eq(srv.rx_bad + cli.rx_bad, 0);

    /* Not a stream: a UDP socket, a regular file, a closed descriptor. */
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_ptr_null(mote_posix_flow_open_fd(&loop, u, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    ck_assert_int_eq(fcntl(u, F_GETFD) >= 0, 1); /* still the caller's */
    close(u);
    FILE *tf = tmpfile();
    ck_assert_ptr_null(mote_posix_flow_open_fd(&loop, fileno(tf), &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    fclose(tf);
    ck_assert_ptr_null(mote_posix_flow_open_fd(&loop, -1, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    finish_loop(&loop);
}
END_TEST

/* socat as the kernel peer: an echo server (socat ... EXEC:cat). After
 * mote shuts down its side, cat sees EOF and exits, so socat closes and
 * mote sees EOF: the half-close travels through a real program. */
typedef struct echo {
    mote_flow *flow;
    size_t total, sent, got, bad;
    int eof, err, shut;
    int result;
} echo;

static void echo_pump(echo *x)
{
    uint8_t buf[16384];
    while (x->sent < x->total && mote_flow_queued(x->flow) < 256 * 1024) {
        size_t k = x->total - x->sent < sizeof buf ? x->total - x->sent : sizeof buf;
        pattern(60, x->sent, buf, k);
        ck_assert_int_eq(mote_flow_write(x->flow, buf, k), 0);
        x->sent += k;
    }
    if (x->sent == x->total && !x->shut) {
        x->shut = 1;
        ck_assert_int_eq(mote_flow_shutdown(x->flow), 0);
    }
}

static void echo_data(void *arg, const uint8_t *d, size_t n)
{
    echo *x = arg;
    x->bad += check_pattern(60, x->got, d, n);
    x->got += n;
}

static void echo_eof(void *arg)
{
    echo *x = arg;
    x->eof = 1;
    mote_flow_close(x->flow);
}

static void echo_drain(void *arg)
{
    echo_pump(arg);
}

static void echo_error(void *arg, int err)
{
    echo *x = arg;
    x->err = err;
    mote_flow_close(x->flow);
}

static const mote_flow_events echo_events = {echo_data, echo_eof, echo_drain, echo_error};

static void on_connect_echo(void *arg, mote_flow *f, int err)
{
    echo *x = arg;
    x->result = err ? err : 1;
    if (!f)
        return;
    x->flow = f;
    mote_flow_set_events(f, &echo_events, x);
    echo_pump(x);
}

START_TEST(test_socat_echo)
{
    if (!tu_have_program("socat")) {
        fprintf(stderr, "note: socat not installed; socat interop not run\n");
        return;
    }
    uint16_t port;
    int probe = kernel_listen(AF_INET, &port);
    close(probe);
    char listen_arg[64];
    snprintf(listen_arg, sizeof listen_arg, "TCP4-LISTEN:%u,bind=127.0.0.1,reuseaddr", port);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("socat", "socat", listen_arg, "EXEC:cat", (char *)NULL);
        _exit(127);
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    echo x = {.total = 2 * MiB};
    /* socat needs a moment to listen: retry while refused. */
    for (int i = 0; i < 500; i++) {
        x.result = 0;
        int err;
        ck_assert_ptr_nonnull(
            mote_posix_tcp_connect(&loop, "127.0.0.1", port, NULL, on_connect_echo, &x, &err));
        while (x.result == 0)
            uv_run(&loop, UV_RUN_ONCE);
        if (x.result == 1)
            break;
        ck_assert_int_eq(x.result, MOTE_ECONNREFUSED);
        usleep(20000);
    }
    ck_assert_int_eq(x.result, 1);
    finish_loop(&loop);
    int st;
    waitpid(pid, &st, 0);
    ck_assert_int_eq(x.err, 0);
    ck_assert(x.eof);
    ck_assert_uint_eq(x.got, x.total);
    ck_assert_uint_eq(x.bad, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* ---- kv over a directory ---- */

static int collect(void *arg, const char *key)
{
    mote_buf *b = arg;
    mote_buf_appendf(b, "%s;", key);
    return 0;
}

static int stop_at_second(void *arg, const char *key)
{
    int *n = arg;
    (void)key;
    return ++*n == 2 ? 42 : 0;
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_kv_dir)
{
    char dir[] = "/tmp/mote-kv-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p[256], outside[256];
    snprintf(p, sizeof p, "%s/root", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/root/sub", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/root/sub/deeper", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/root/index.html", dir);
    put_file(p, "<h1>hi</h1>");
    snprintf(p, sizeof p, "%s/root/sub/a.txt", dir);
    put_file(p, "alpha");
    snprintf(p, sizeof p, "%s/root/sub/deeper/b.txt", dir);
    put_file(p, "bravo!");
    snprintf(outside, sizeof outside, "%s/secret", dir);
    put_file(outside, "outside");
    snprintf(p, sizeof p, "%s/root/link", dir);
    ck_assert_int_eq(symlink(outside, p), 0);
    snprintf(p, sizeof p, "%s/root/sublink", dir);
    ck_assert_int_eq(symlink("sub", p), 0);
    snprintf(p, sizeof p, "%s/root/fifo", dir);
    ck_assert_int_eq(mkfifo(p, 0644), 0);

    snprintf(p, sizeof p, "%s/root", dir);
    int err;
    mote_posix_kv_dir *d = mote_posix_kv_dir_new(p, &err);
    ck_assert_ptr_nonnull(d);
    mote_kv *kv = mote_posix_kv_dir_kv(d);
    uint64_t size;
    ck_assert_int_eq(mote_kv_size(kv, "index.html", &size), 0);
    ck_assert_uint_eq(size, 11);
    ck_assert_int_eq(mote_kv_size(kv, "sub/deeper/b.txt", &size), 0);
    ck_assert_uint_eq(size, 6);
    char buf[64];
    size_t got;
    ck_assert_int_eq(mote_kv_read(kv, "sub/a.txt", 1, buf, sizeof buf, &got), 0);
    ck_assert_uint_eq(got, 4);
    ck_assert_mem_eq(buf, "lpha", 4);
    ck_assert_int_eq(mote_kv_read(kv, "sub/a.txt", 5, buf, sizeof buf, &got), 0);
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(mote_kv_read(kv, "sub/a.txt", UINT64_MAX, buf, sizeof buf, &got), 0);
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(mote_kv_read(kv, "index.html", 0, buf, 4, &got), 0);
    ck_assert_uint_eq(got, 4);

    /* Refused: escapes, symlinks, directories, special files, bad forms. */
    static const char *bad[] = {"../secret",
                                "/etc/passwd",
                                "sub/../index.html",
                                "./index.html",
                                "sub//a.txt",
                                "sub/",
                                "",
                                "link",
                                "sublink/a.txt",
                                "sub",
                                "fifo",
                                "missing",
                                "sub/a.txt/x",
                                ".",
                                ".."};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(mote_kv_size(kv, bad[i], &size) == MOTE_ENOTFOUND, "key '%s'", bad[i]);
        ck_assert_int_eq(mote_kv_read(kv, bad[i], 0, buf, sizeof buf, &got), MOTE_ENOTFOUND);
        ck_assert_uint_eq(got, 0);
    }

    mote_buf b;
    mote_buf_init(&b, 0);
    ck_assert_int_eq(mote_kv_list(kv, "", collect, &b), 0);
    mote_buf_append_byte(&b, 0);
    ck_assert_str_eq((char *)b.data, "index.html;sub/a.txt;sub/deeper/b.txt;");
    mote_buf_reset(&b);
    ck_assert_int_eq(mote_kv_list(kv, "sub/d", collect, &b), 0);
    mote_buf_append_byte(&b, 0);
    ck_assert_str_eq((char *)b.data, "sub/deeper/b.txt;");
    mote_buf_reset(&b);
    ck_assert_int_eq(mote_kv_list(kv, "zzz", collect, &b), 0);
    ck_assert_uint_eq(b.len, 0);
    int count = 0;
    ck_assert_int_eq(mote_kv_list(kv, "", stop_at_second, &count), 42);
    ck_assert_int_eq(count, 2);
    mote_buf_free(&b);
    mote_posix_kv_dir_free(d);

    ck_assert_ptr_null(mote_posix_kv_dir_new("/nonexistent/mote", &err));
    ck_assert_int_eq(err, MOTE_ENOTFOUND);
    ck_assert_ptr_null(mote_posix_kv_dir_new(outside, &err)); /* a file */
    ck_assert_int_eq(err, MOTE_ENOTFOUND);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *flow_suite(void)
{
    Suite *s = suite_create("posix-flow");
    TCase *tc = tcase_create("tcp");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mote_client_kernel_server);
    tcase_add_test(tc, test_kernel_client_mote_listener);
    tcase_add_test(tc, test_mote_to_mote_ipv6);
    tcase_add_test(tc, test_connect_errors);
    tcase_add_test(tc, test_connect_timeout);
    tcase_add_test(tc, test_happy_eyeballs);
    tcase_add_test(tc, test_backpressure_and_drain);
    tcase_add_test(tc, test_held_before_events_and_reading_off);
    tcase_add_test(tc, test_peer_reset);
    tcase_add_test(tc, test_close_inside_data);
    tcase_add_test(tc, test_socat_echo);
    tcase_add_test(tc, test_flow_open_fd);
    tcase_add_test(tc, test_abort);
    suite_add_tcase(s, tc);
    tc = tcase_create("unix");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_unix_flow);
    suite_add_tcase(s, tc);
    tc = tcase_create("kv");
    tcase_add_test(tc, test_kv_dir);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return tu_run_suite(flow_suite());
}
