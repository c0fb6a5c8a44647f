/* bench_posix.c - libmote-posix against its peers, in the same run.
 *
 *  1. TCP over loopback: a mote flow sender and a mote flow receiver, each
 *     on its own thread and loop, versus plain blocking kernel sockets
 *     (send/recv loops on two threads). Same bytes, same 64 KiB chunks.
 *  2. Timers: arm and fire N one-shot timers through mote_clock versus
 *     raw uv_timer_t handles on the same kind of loop.
 *
 * MOTE_BENCH_MB sets the transfer size (default 2048 MiB); MOTE_BENCH_TIMERS
 * the timer count (default 1000000). Prints MB/s or Mops/s and the ratio
 * mote / peer. No assertion on time: this is a benchmark, not a test.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mote/posix.h"

#define CHUNK 65536

static size_t env_size(const char *name, size_t def)
{
    const char *v = getenv(name);
    return v && *v ? (size_t)strtoull(v, NULL, 10) : def;
}

static double secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

/* ---- 1a. mote flows ---- */

typedef struct sender {
    uint16_t port;
    size_t total, sent;
    mote_flow *flow;
    uint8_t buf[CHUNK];
} sender;

static void snd_pump(sender *s)
{
    while (s->sent < s->total && mote_flow_queued(s->flow) <= 4 * CHUNK) {
        size_t k = s->total - s->sent < CHUNK ? s->total - s->sent : CHUNK;
        if (mote_flow_write(s->flow, s->buf, k) < 0)
            return;
        s->sent += k;
    }
    if (s->sent == s->total && mote_flow_queued(s->flow) == 0) {
        mote_flow_shutdown(s->flow);
        mote_flow_close(s->flow); /* close after a graceful shutdown: nothing queued */
        s->flow = NULL;
    }
}

static void snd_drain(void *arg)
{
    snd_pump(arg);
}

static void snd_error(void *arg, int err)
{
    sender *s = arg;
    fprintf(stderr, "sender: %s\n", mote_strerror(err));
    mote_flow_close(s->flow);
    s->flow = NULL;
}

static const mote_flow_events snd_events = {NULL, NULL, snd_drain, snd_error};

static void on_snd_connect(void *arg, mote_flow *f, int err)
{
    sender *s = arg;
    if (!f) {
        fprintf(stderr, "connect: %s\n", mote_strerror(err));
        return;
    }
    s->flow = f;
    mote_flow_set_events(f, &snd_events, s);
    snd_pump(s);
}

static void *mote_sender_main(void *arg)
{
    sender *s = arg;
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_posix_tcp_options o = {0};
    int err;
    mote_posix_tcp_connect(&loop, "127.0.0.1", s->port, &o, on_snd_connect, s, &err);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return NULL;
}

typedef struct receiver {
    mote_posix_listener *l;
    mote_flow *flow;
    size_t got;
    int done;
} receiver;

static void rcv_data(void *arg, const uint8_t *d, size_t n)
{
    receiver *r = arg;
    (void)d;
    r->got += n;
}

static void rcv_end(receiver *r)
{
    mote_flow_close(r->flow);
    mote_posix_listener_close(r->l);
    r->done = 1;
}

static void rcv_eof(void *arg)
{
    rcv_end(arg);
}

static void rcv_error(void *arg, int err)
{
    (void)err;
    rcv_end(arg);
}

static const mote_flow_events rcv_events = {rcv_data, rcv_eof, NULL, rcv_error};

static void on_rcv_accept(void *arg, mote_flow *f, int err)
{
    receiver *r = arg;
    if (!f || r->flow) {
        if (f)
            mote_flow_close(f);
        (void)err;
        return;
    }
    r->flow = f;
    mote_flow_set_events(f, &rcv_events, r);
}

static double bench_mote_tcp(size_t total)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    receiver r = {0};
    int err;
    r.l = mote_posix_tcp_listen(&loop, "127.0.0.1", 0, 0, NULL, on_rcv_accept, &r, &err);
    if (!r.l) {
        fprintf(stderr, "listen: %s\n", mote_strerror(err));
        exit(1);
    }
    static sender s;
    memset(&s, 0, sizeof s);
    s.port = mote_posix_listener_port(r.l);
    s.total = total;
    uint64_t t0 = uv_hrtime();
    pthread_t th;
    pthread_create(&th, NULL, mote_sender_main, &s);
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t t1 = uv_hrtime();
    pthread_join(th, NULL);
    uv_loop_close(&loop);
    if (r.got != total)
        fprintf(stderr, "mote: got %zu of %zu bytes\n", r.got, total);
    return (double)total / 1e6 / secs(t1 - t0);
}

/* ---- 1b. plain kernel sockets ---- */

typedef struct kargs {
    int fd;
    size_t total;
} kargs;

static void *kernel_sender(void *arg)
{
    kargs *k = arg;
    static uint8_t buf[CHUNK];
    size_t sent = 0;
    while (sent < k->total) {
        size_t n = k->total - sent < CHUNK ? k->total - sent : CHUNK;
        ssize_t w = send(k->fd, buf, n, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        sent += (size_t)w;
    }
    close(k->fd);
    return NULL;
}

static double bench_kernel_tcp(size_t total)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 1) != 0) {
        perror("bind");
        exit(1);
    }
    getsockname(lfd, (struct sockaddr *)&a, &len);
    uint64_t t0 = uv_hrtime();
    kargs k = {.fd = socket(AF_INET, SOCK_STREAM, 0), .total = total};
    if (connect(k.fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        exit(1);
    }
    int fd = accept(lfd, NULL, NULL);
    pthread_t th;
    pthread_create(&th, NULL, kernel_sender, &k);
    static uint8_t buf[CHUNK];
    size_t got = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    uint64_t t1 = uv_hrtime();
    pthread_join(th, NULL);
    close(fd);
    close(lfd);
    if (got != total)
        fprintf(stderr, "kernel: got %zu of %zu bytes\n", got, total);
    return (double)total / 1e6 / secs(t1 - t0);
}

/* ---- 2. timers ---- */

typedef struct tstate {
    mote_clock *c;
    size_t left;
} tstate;

static void on_mote_timer(void *arg)
{
    tstate *t = arg;
    t->left--;
}

static double bench_mote_timers(size_t n)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_posix_clock *pc = mote_posix_clock_new(&loop, NULL);
    mote_clock *c = mote_posix_clock_clock(pc);
    tstate st = {c, n};
    mote_timer **ts = malloc(n * sizeof *ts);
    uint64_t t0 = uv_hrtime();
    uint64_t base = mote_clock_now(c);
    for (size_t i = 0; i < n; i++) {
        ts[i] = mote_timer_new(c, on_mote_timer, &st);
        mote_timer_arm(c, ts[i], base + (i % 1000) * 1000);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    for (size_t i = 0; i < n; i++)
        mote_timer_free(c, ts[i]);
    uint64_t t1 = uv_hrtime();
    mote_posix_clock_free(pc);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(ts);
    if (st.left != 0)
        fprintf(stderr, "mote timers: %zu did not fire\n", st.left);
    return (double)n / 1e6 / secs(t1 - t0);
}

static size_t uv_left;

static void on_uv_timer(uv_timer_t *h)
{
    (void)h;
    uv_left--;
}

static double bench_uv_timers(size_t n)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_t *ts = malloc(n * sizeof *ts);
    uv_left = n;
    uint64_t t0 = uv_hrtime();
    for (size_t i = 0; i < n; i++) {
        uv_timer_init(&loop, &ts[i]);
        /* libuv counts milliseconds: 0 ms for all is its best case. */
        uv_timer_start(&ts[i], on_uv_timer, 0, 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    for (size_t i = 0; i < n; i++)
        uv_close((uv_handle_t *)&ts[i], NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t t1 = uv_hrtime();
    uv_loop_close(&loop);
    free(ts);
    return (double)n / 1e6 / secs(t1 - t0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    size_t mb = env_size("MOTE_BENCH_MB", 2048);
    size_t nt = env_size("MOTE_BENCH_TIMERS", 1000000);
    size_t total = mb * 1024 * 1024;

    printf("posix bench: TCP over loopback, %zu MiB, 64 KiB writes, sender and receiver on "
           "two threads\n",
           mb);
    double m = bench_mote_tcp(total);
    double k = bench_kernel_tcp(total);
    printf("  mote flow (libuv)       %9.1f MB/s\n", m);
    printf("  kernel sockets (block)  %9.1f MB/s\n", k);
    printf("  ratio mote/kernel       %9.2f\n", m / k);

    printf("posix bench: %zu one-shot timers, armed then fired\n", nt);
    double mt = bench_mote_timers(nt);
    double ut = bench_uv_timers(nt);
    printf("  mote_clock timers       %9.2f M/s\n", mt);
    printf("  raw uv_timer_t          %9.2f M/s\n", ut);
    printf("  ratio mote/libuv        %9.2f\n", mt / ut);
    return 0;
}
