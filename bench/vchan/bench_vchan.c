/*
 * bench_vchan.c - vchan against a Unix domain socketpair and a pipe pair,
 * between two processes, in one run.
 *
 *   throughput: the parent writes TOTAL bytes in 64 KiB writes, the child
 *               reads them; timed until the child has read the last byte.
 *   latency:    64-byte ping-pong, round trips per second and microseconds
 *               per round trip.
 *
 * vchan is measured with 64 KiB, 256 KiB and 1 MiB rings (1 MiB is the default), and
 * for latency with the default 20 µs spin budget and with none (every
 * wake-up through the kernel). Usage: bench-vchan [MiB] [round trips].
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mote/vchan.h"

#define CHUNK 65536
#define MSG   64

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench-vchan: %s\n", what);
    exit(1);
}

/* A transport between parent and child: either two descriptors (socket
 * or pipes) or a vchan endpoint. */
struct end {
    int rfd, wfd;
    mote_vchan *v;
};

static void x_write(struct end *e, const uint8_t *p, size_t n)
{
    if (e->v) {
        if (mote_vchan_write_all(e->v, p, n, -1) != 0)
            die("vchan write");
        return;
    }
    while (n > 0) {
        ssize_t w = write(e->wfd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        p += w;
        n -= (size_t)w;
    }
}

static size_t x_read(struct end *e, uint8_t *p, size_t n)
{
    if (e->v) {
        size_t got = 0;
        int rc = mote_vchan_read_blocking(e->v, p, n, &got, -1);
        if (rc)
            die("vchan read");
        return got;
    }
    for (;;) {
        ssize_t r = read(e->rfd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("read");
        return (size_t)r;
    }
}

static void x_read_full(struct end *e, uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t got = x_read(e, p, n);
        p += got;
        n -= got;
    }
}

enum kind { UNIX_SOCK, PIPE, VCHAN };

struct setup {
    enum kind kind;
    size_t ring;
    uint64_t spin_ns;
    int fds[4];
    char name[64];
    mote_vchan *server;
};

static void prepare(struct setup *s)
{
    if (s->kind == UNIX_SOCK) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, s->fds) != 0)
            die("socketpair");
    } else if (s->kind == PIPE) {
        if (pipe(s->fds) != 0 || pipe(s->fds + 2) != 0)
            die("pipe");
    } else {
        static unsigned n;
        snprintf(s->name, sizeof(s->name), "bench-%d-%u", (int)getpid(), n++);
        mote_vchan_opts o;
        mote_vchan_opts_default(&o);
        o.read_min = o.write_min = s->ring;
        o.spin_ns = s->spin_ns;
        int err = 0;
        s->server = mote_vchan_server_init(s->name, &o, &err);
        if (!s->server)
            die(mote_strerror(err));
    }
}

/* The parent's end (after fork). */
static struct end parent_end(struct setup *s)
{
    struct end e = {-1, -1, NULL};
    if (s->kind == UNIX_SOCK) {
        close(s->fds[1]);
        e.rfd = e.wfd = s->fds[0];
    } else if (s->kind == PIPE) {
        /* fds[0..1]: parent -> child; fds[2..3]: child -> parent */
        close(s->fds[0]);
        close(s->fds[3]);
        e.wfd = s->fds[1];
        e.rfd = s->fds[2];
    } else {
        e.v = s->server;
    }
    return e;
}

static struct end child_end(struct setup *s)
{
    struct end e = {-1, -1, NULL};
    if (s->kind == UNIX_SOCK) {
        close(s->fds[0]);
        e.rfd = e.wfd = s->fds[1];
    } else if (s->kind == PIPE) {
        close(s->fds[1]);
        close(s->fds[2]);
        e.rfd = s->fds[0];
        e.wfd = s->fds[3];
    } else {
        /* The parent's server endpoint is left alone here: closing the
         * child's copy would mark the shared page's server side gone. */
        mote_vchan_opts o;
        mote_vchan_opts_default(&o);
        o.spin_ns = s->spin_ns;
        int err = 0;
        e.v = mote_vchan_client_init(s->name, &o, &err);
        if (!e.v)
            die(mote_strerror(err));
    }
    return e;
}

static void close_end(struct end *e)
{
    if (e->v)
        mote_vchan_close(e->v);
    if (e->rfd >= 0)
        close(e->rfd);
    if (e->wfd >= 0 && e->wfd != e->rfd)
        close(e->wfd);
}

/* Bytes per second from parent to child. */
static double throughput(struct setup *s, uint64_t total)
{
    prepare(s);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        struct end e = child_end(s);
        static uint8_t buf[CHUNK];
        uint64_t got = 0;
        while (got < total)
            got += x_read(&e, buf, CHUNK);
        uint8_t ack = 1;
        x_write(&e, &ack, 1);
        close_end(&e);
        _exit(0);
    }
    struct end e = parent_end(s);
    static uint8_t buf[CHUNK];
    memset(buf, 0xa5, sizeof(buf));
    /* one warm-up byte exchange is not needed: the clock starts at the
     * first write and stops at the child's acknowledgement */
    double t0 = now_s();
    for (uint64_t sent = 0; sent < total; sent += CHUNK)
        x_write(&e, buf, CHUNK);
    uint8_t ack;
    x_read_full(&e, &ack, 1);
    double t = now_s() - t0;
    close_end(&e);
    waitpid(pid, NULL, 0);
    return (double)total / t;
}

/* Seconds per 64-byte round trip. */
static double latency(struct setup *s, unsigned rounds)
{
    prepare(s);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        struct end e = child_end(s);
        uint8_t m[MSG];
        for (unsigned i = 0; i < rounds + 100; i++) {
            x_read_full(&e, m, MSG);
            x_write(&e, m, MSG);
        }
        close_end(&e);
        _exit(0);
    }
    struct end e = parent_end(s);
    uint8_t m[MSG];
    memset(m, 0x3c, sizeof(m));
    for (unsigned i = 0; i < 100; i++) { /* warm-up, and the handshake */
        x_write(&e, m, MSG);
        x_read_full(&e, m, MSG);
    }
    double t0 = now_s();
    for (unsigned i = 0; i < rounds; i++) {
        x_write(&e, m, MSG);
        x_read_full(&e, m, MSG);
    }
    double t = now_s() - t0;
    close_end(&e);
    waitpid(pid, NULL, 0);
    return t / rounds;
}

int main(int argc, char **argv)
{
    uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 2048;
    unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 100000;
    uint64_t total = mib << 20;
    printf("bench-vchan: %llu MiB in 64 KiB writes; %u round trips of 64 bytes; two processes\n",
           (unsigned long long)mib, rounds);

    struct setup us = {UNIX_SOCK, 0, 0, {0}, "", NULL};
    struct setup pp = {PIPE, 0, 0, {0}, "", NULL};
    struct setup v64 = {VCHAN, 65536, 20000, {0}, "", NULL};
    struct setup v256 = {VCHAN, 1 << 18, 20000, {0}, "", NULL};
    struct setup v1m = {VCHAN, 1 << 20, 20000, {0}, "", NULL};
    struct setup vsp = {VCHAN, 0, 20000, {0}, "", NULL};
    struct setup vns = {VCHAN, 0, 0, {0}, "", NULL};

    double t_us = throughput(&us, total), t_pp = throughput(&pp, total);
    double t_v64 = throughput(&v64, total), t_v256 = throughput(&v256, total);
    double t_v1m = throughput(&v1m, total);
    printf("throughput (MiB/s)\n");
    printf("  unix socketpair      %9.1f\n", t_us / 1048576);
    printf("  pipe                 %9.1f\n", t_pp / 1048576);
    printf("  vchan 64 KiB rings   %9.1f   x%.2f socket   x%.2f pipe\n", t_v64 / 1048576,
           t_v64 / t_us, t_v64 / t_pp);
    printf("  vchan 256 KiB rings  %9.1f   x%.2f socket   x%.2f pipe\n", t_v256 / 1048576,
           t_v256 / t_us, t_v256 / t_pp);
    printf("  vchan 1 MiB rings    %9.1f   x%.2f socket   x%.2f pipe\n", t_v1m / 1048576,
           t_v1m / t_us, t_v1m / t_pp);

    double l_us = latency(&us, rounds), l_pp = latency(&pp, rounds);
    double l_v = latency(&vsp, rounds), l_vns = latency(&vns, rounds);
    printf("round trip, 64 bytes (us)\n");
    printf("  unix socketpair      %9.2f\n", l_us * 1e6);
    printf("  pipe                 %9.2f\n", l_pp * 1e6);
    printf("  vchan, 20 us spin    %9.2f   x%.2f socket   x%.2f pipe\n", l_v * 1e6, l_v / l_us,
           l_v / l_pp);
    printf("  vchan, no spin       %9.2f   x%.2f socket   x%.2f pipe\n", l_vns * 1e6, l_vns / l_us,
           l_vns / l_pp);
    return 0;
}
