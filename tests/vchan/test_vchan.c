/* test_vchan.c - libmote-vchan: layout, transfers in one process and
 * between two processes over several ring orders, index wrap-around,
 * blocking and non-blocking use, peers that exit or die mid-stream,
 * hostile peers (scribbled control page, malformed rendezvous), leak
 * checks, and the libuv flow.
 *
 * Sizes: 64 MiB in one process and 64 MiB between processes by default;
 * MOTE_VCHAN_FULL=1 moves 1 GiB per ring-order pair in both settings. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mote/vchan.h"
#include "mote/vchan_uv.h"

/* ---- helpers ------------------------------------------------------------ */

static uint8_t pat(uint64_t seed, uint64_t i)
{
    uint64_t x = (i + seed) * 0x9E3779B97F4A7C15ull;
    return (uint8_t)(x >> 56) ^ (uint8_t)(i >> 20);
}

static void fill_pat(uint8_t *b, size_t n, uint64_t seed, uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        b[i] = pat(seed, off + i);
}

/* Index of the first byte that differs from the pattern, or n. */
static size_t check_pat(const uint8_t *b, size_t n, uint64_t seed, uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != pat(seed, off + i))
            return i;
    return n;
}

static int count_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int count_fds(void)
{
    return count_dir("/proc/self/fd");
}

/* Mappings of vchan memory files in this process. */
static int count_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    int n = 0;
    char line[512];
    while (fgets(line, sizeof(line), f))
        n += strstr(line, "memfd:mote-vchan") != NULL;
    fclose(f);
    return n;
}

static volatile uint8_t *page_of(mote_vchan *v)
{
    return (volatile uint8_t *)(uintptr_t)mote_vchan_shared_page(v);
}

static void uniq_name(char *buf, size_t len)
{
    static unsigned counter;
    snprintf(buf, len, "test-%d-%u", (int)getpid(), counter++);
}

static uint64_t full_or(uint64_t small)
{
    const char *e = getenv("MOTE_VCHAN_FULL");
    return e && *e == '1' ? (1ull << 30) : small;
}

static mote_vchan_opts opts_orders(size_t rd, size_t wr)
{
    mote_vchan_opts o;
    mote_vchan_opts_default(&o);
    o.read_min = rd;
    o.write_min = wr;
    return o;
}

/* One endpoint's side of a transfer: sends send_total pattern bytes
 * (seed ss) and receives recv_total (seed rs), never blocking. */
struct side {
    mote_vchan *v;
    uint64_t send_total, sent, recv_total, recvd;
    uint64_t ss, rs;
    size_t chunk;
    uint8_t *buf, *sbuf;
    size_t pend_pos, pend_len; /* sbuf holds pattern bytes not yet sent */
    int err;
    uint32_t rng;
};

static void side_init(struct side *s, mote_vchan *v, uint64_t send_total, uint64_t recv_total,
                      uint64_t ss, uint64_t rs)
{
    memset(s, 0, sizeof(*s));
    s->v = v;
    s->send_total = send_total;
    s->recv_total = recv_total;
    s->ss = ss;
    s->rs = rs;
    s->chunk = 1 << 20;
    s->buf = malloc(s->chunk);
    s->sbuf = malloc(s->chunk);
    s->rng = (uint32_t)ss * 2654435761u + 1;
}

static void side_free(struct side *s)
{
    free(s->buf);
    free(s->sbuf);
}

static size_t side_rand_len(struct side *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 17;
    s->rng ^= s->rng << 5;
    /* Mostly large, sometimes odd small sizes, to move the ring offsets. */
    return (s->rng & 3) == 0 ? 1 + (s->rng >> 8) % 3000 : s->chunk;
}

/* Makes what progress it can: 1 if anything moved, 0 if stuck (EAGAIN),
 * -1 on error (s->err). */
static int side_step(struct side *s)
{
    int moved = 0;
    while (s->sent < s->send_total) {
        if (s->pend_pos == s->pend_len) {
            /* the next chunk of the pattern, generated once */
            size_t n = side_rand_len(s);
            if (n > s->send_total - s->sent)
                n = (size_t)(s->send_total - s->sent);
            fill_pat(s->sbuf, n, s->ss, s->sent);
            s->pend_pos = 0;
            s->pend_len = n;
        }
        size_t put = 0;
        int rc = mote_vchan_write(s->v, s->sbuf + s->pend_pos, s->pend_len - s->pend_pos, &put);
        if (rc == MOTE_EAGAIN)
            break;
        if (rc) {
            s->err = rc;
            return -1;
        }
        s->pend_pos += put;
        s->sent += put;
        moved = 1;
    }
    while (s->recvd < s->recv_total) {
        size_t n = side_rand_len(s), got = 0;
        if (n > s->recv_total - s->recvd)
            n = (size_t)(s->recv_total - s->recvd);
        int rc = mote_vchan_read(s->v, s->buf, n, &got);
        if (rc == MOTE_EAGAIN)
            break;
        if (rc) {
            s->err = rc;
            return -1;
        }
        if (check_pat(s->buf, got, s->rs, s->recvd) != got) {
            s->err = MOTE_EVERIFY;
            return -1;
        }
        s->recvd += got;
        moved = 1;
    }
    return moved;
}

static int side_done(const struct side *s)
{
    return s->sent == s->send_total && s->recvd == s->recv_total;
}

/* Runs a side to completion with waits (for a separate process). */
static int side_run(struct side *s)
{
    while (!side_done(s)) {
        int m = side_step(s);
        if (m < 0)
            return s->err;
        if (m == 0) {
            /* ten seconds without a signal is a lost wake-up */
            int rc = mote_vchan_wait(s->v, 10000);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Drives two endpoints in one process until both are done. */
static void pump_two(struct side *a, struct side *b)
{
    unsigned idle = 0;
    while (!side_done(a) || !side_done(b)) {
        int ma = side_step(a), mb = side_step(b);
        ck_assert_msg(ma >= 0, "side a: %s", mote_error_name(a->err));
        ck_assert_msg(mb >= 0, "side b: %s", mote_error_name(b->err));
        if (ma || mb)
            idle = 0;
        else {
            /* both stuck: let the backends deliver setup and signals */
            ck_assert_int_ne(mote_vchan_handle_events(a->v), MOTE_EPROTO);
            ck_assert_int_ne(mote_vchan_handle_events(b->v), MOTE_EPROTO);
            ck_assert_uint_lt(++idle, 1000);
        }
    }
}

/* Ring-order pairs exercised (server read ring, server write ring). */
static const size_t order_pairs[][2] = {
    {1024, 2048},       /* both rings inside the control page */
    {2048, 4096},       /* one inside, one a page */
    {65536, 65536},     /* the default */
    {1 << 20, 1 << 18}, /* large, multi-page */
};
#define NPAIRS (sizeof(order_pairs) / sizeof(order_pairs[0]))

/* ---- layout ---------------------------------------------------------- */

START_TEST(test_layout_in_page)
{
    mote_vchan_backend sb, cb;
    ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
    mote_vchan_opts o = opts_orders(1024, 2048);
    int err = 0;
    mote_vchan *s = mote_vchan_server_new(&sb, &o, &err);
    ck_assert_ptr_nonnull(s);
    const volatile uint8_t *pg = mote_vchan_shared_page(s);
    ck_assert_uint_eq(pg[16] | pg[17] << 8, 10); /* left_order */
    ck_assert_uint_eq(pg[18] | pg[19] << 8, 11); /* right_order */
    ck_assert_uint_eq(pg[20], 2);                /* cli_live: not yet */
    ck_assert_uint_eq(pg[21], 1);                /* srv_live */
    ck_assert_int_eq(mote_vchan_state(s), MOTE_VCHAN_CONNECTING);
    mote_vchan *c = mote_vchan_client_new(&cb, NULL, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(pg[20], 1);
    ck_assert_int_eq(mote_vchan_state(s), MOTE_VCHAN_OPEN);
    ck_assert_int_eq(mote_vchan_state(c), MOTE_VCHAN_OPEN);
    ck_assert_uint_eq(mote_vchan_write_size(c), 1024);
    ck_assert_uint_eq(mote_vchan_read_size(c), 2048);
    size_t put;
    ck_assert_int_eq(mote_vchan_write(c, "client->left", 12, &put), 0);
    ck_assert_uint_eq(put, 12);
    ck_assert_mem_eq((const void *)(pg + 1024), "client->left", 12);
    ck_assert_uint_eq(pg[4], 12); /* left.prod */
    ck_assert_int_eq(mote_vchan_write(s, "server->right", 13, &put), 0);
    ck_assert_mem_eq((const void *)(pg + 2048), "server->right", 13);
    ck_assert_uint_eq(pg[12], 13); /* right.prod */
    char buf[32];
    size_t got;
    ck_assert_int_eq(mote_vchan_read(s, buf, sizeof(buf), &got), 0);
    ck_assert_uint_eq(got, 12);
    ck_assert_uint_eq(pg[0], 12); /* left.cons */
    ck_assert_int_eq(mote_vchan_read(c, buf, sizeof(buf), &got), 0);
    ck_assert_uint_eq(got, 13);
    ck_assert_int_eq(mote_vchan_read(c, buf, sizeof(buf), &got), MOTE_EAGAIN);
    /* the client asked the server for a write signal: srv_notify bit 1 */
    ck_assert_uint_eq(pg[23] & 1, 1);
    mote_vchan_close(c);
    ck_assert_int_eq(mote_vchan_read(s, buf, sizeof(buf), &got), MOTE_ECLOSED);
    ck_assert_int_eq(mote_vchan_write(s, "x", 1, &put), MOTE_ECLOSED);
    mote_vchan_close(s);
}
END_TEST

START_TEST(test_layout_pages_and_orders)
{
    mote_vchan_backend sb, cb;
    ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
    mote_vchan_opts o = opts_orders(65536, 5000); /* 64 KiB and 8 KiB */
    int err = 0;
    mote_vchan *s = mote_vchan_server_new(&sb, &o, &err);
    ck_assert_ptr_nonnull(s);
    const volatile uint8_t *pg = mote_vchan_shared_page(s);
    ck_assert_uint_eq(pg[16], 16);
    ck_assert_uint_eq(pg[18], 13);
    /* grants: 16 pages for the left ring, then 2 for the right, after the
     * 24-byte header; the memory backend numbers pages from 1, control
     * page first */
    for (unsigned i = 0; i < 18; i++) {
        uint32_t g;
        memcpy(&g, (const void *)(pg + 24 + 4 * i), 4);
        ck_assert_uint_eq(g, 2 + i);
    }
    mote_vchan *c = mote_vchan_client_new(&cb, NULL, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(mote_vchan_read_size(s), 65536);
    ck_assert_uint_eq(mote_vchan_write_size(s), 8192);
    ck_assert_uint_eq(mote_vchan_writable(c), 65536);
    mote_vchan_close(s);
    mote_vchan_close(c);

    /* the default: 1 MiB each; beside a 1 KiB ring 512 KiB */
    ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
    o = opts_orders(0, 0);
    s = mote_vchan_server_new(&sb, &o, &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(mote_vchan_read_size(s), 1 << 20);
    ck_assert_uint_eq(mote_vchan_write_size(s), 1 << 20);
    mote_vchan_close(s);
    cb.release(cb.release_ctx);
    ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
    o = opts_orders(1024, 0);
    s = mote_vchan_server_new(&sb, &o, &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(mote_vchan_read_size(s), 1024);
    ck_assert_uint_eq(mote_vchan_write_size(s), 512 << 10);
    mote_vchan_close(s);
    cb.release(cb.release_ctx);

    /* two rings asking for the same in-page slot: the second moves up */
    ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
    o = opts_orders(1000, 1000);
    s = mote_vchan_server_new(&sb, &o, &err);
    ck_assert_ptr_nonnull(s);
    pg = mote_vchan_shared_page(s);
    ck_assert_uint_eq(pg[16], 10);
    ck_assert_uint_eq(pg[18], 11);
    mote_vchan_close(s);
    cb.release(cb.release_ctx);

    /* too large */
    ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
    o = opts_orders((1 << 20) + 1, 0);
    ck_assert_ptr_null(mote_vchan_server_new(&sb, &o, &err));
    ck_assert_int_eq(err, MOTE_ELIMIT);
    cb.release(cb.release_ctx);
    /* 1 MiB beside an in-page 1 KiB ring: the grants would reach offset
     * 1024, where the small ring lives */
    ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
    o = opts_orders(1 << 20, 1024);
    ck_assert_ptr_null(mote_vchan_server_new(&sb, &o, &err));
    ck_assert_int_eq(err, MOTE_ELIMIT);
    cb.release(cb.release_ctx);
}
END_TEST

/* ---- transfers ------------------------------------------------------- */

START_TEST(test_inprocess_unix)
{
    uint64_t total = full_or(8u << 20); /* per direction and order pair */
    for (size_t p = 0; p < NPAIRS; p++) {
        char name[64];
        uniq_name(name, sizeof(name));
        mote_vchan_opts o = opts_orders(order_pairs[p][0], order_pairs[p][1]);
        int err = 0;
        mote_vchan *s = mote_vchan_server_init(name, &o, &err);
        ck_assert_msg(s != NULL, "server: %s", mote_error_name(err));
        mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
        ck_assert_msg(c != NULL, "client: %s", mote_error_name(err));
        ck_assert_int_eq(mote_vchan_state(c), MOTE_VCHAN_CONNECTING);
        struct side a, b;
        side_init(&a, s, total, total, 1, 2);
        side_init(&b, c, total, total, 2, 1);
        pump_two(&a, &b);
        ck_assert_uint_eq(mote_vchan_read_size(c), order_pairs[p][1]);
        ck_assert_uint_eq(mote_vchan_write_size(c), order_pairs[p][0]);
        side_free(&a);
        side_free(&b);
        mote_vchan_close(c);
        size_t got;
        uint8_t x;
        ck_assert_int_eq(mote_vchan_read(s, &x, 1, &got), MOTE_ECLOSED);
        mote_vchan_close(s);
    }
}
END_TEST

START_TEST(test_inprocess_mem)
{
    for (size_t p = 0; p < NPAIRS; p++) {
        mote_vchan_backend sb, cb;
        ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
        mote_vchan_opts o = opts_orders(order_pairs[p][0], order_pairs[p][1]);
        int err = 0;
        /* the client looks up before the server has published */
        mote_vchan *s = mote_vchan_server_new(&sb, &o, &err);
        ck_assert_ptr_nonnull(s);
        mote_vchan *c = mote_vchan_client_new(&cb, NULL, &err);
        ck_assert_ptr_nonnull(c);
        struct side a, b;
        side_init(&a, s, 3u << 20, 5u << 20, 7, 8);
        side_init(&b, c, 5u << 20, 3u << 20, 8, 7);
        pump_two(&a, &b);
        side_free(&a);
        side_free(&b);
        mote_vchan_close(s);
        mote_vchan_close(c);
    }
}
END_TEST

/* Forks a child that runs fn(name) and exits with its result. */
static pid_t fork_child(int (*fn)(const char *, void *), const char *name, void *arg)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(fn(name, arg) & 0xff);
    return pid;
}

static int child_status(pid_t pid)
{
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct xfer_arg {
    uint64_t up, down;
};

static int child_xfer(const char *name, void *arg)
{
    struct xfer_arg *x = arg;
    int err = 0;
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    if (!c)
        return 10;
    struct side s;
    side_init(&s, c, x->up, x->down, 21, 22);
    int rc = side_run(&s);
    side_free(&s);
    mote_vchan_close(c);
    return rc == 0 ? 0 : 11;
}

START_TEST(test_two_processes)
{
    uint64_t total = full_or(8u << 20);
    for (size_t p = 0; p < NPAIRS; p++) {
        char name[64];
        uniq_name(name, sizeof(name));
        mote_vchan_opts o = opts_orders(order_pairs[p][0], order_pairs[p][1]);
        int err = 0;
        mote_vchan *s = mote_vchan_server_init(name, &o, &err);
        ck_assert_ptr_nonnull(s);
        struct xfer_arg x = {total, total};
        pid_t pid = fork_child(child_xfer, name, &x);
        struct side a;
        side_init(&a, s, total, total, 22, 21);
        int rc = side_run(&a);
        ck_assert_msg(rc == 0, "server side: %s", mote_error_name(rc));
        ck_assert_int_eq(child_status(pid), 0);
        side_free(&a);
        mote_vchan_close(s);
    }
}
END_TEST

static int child_blocking_reader(const char *name, void *arg)
{
    uint64_t total = *(uint64_t *)arg;
    int err = 0;
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    if (!c)
        return 10;
    uint8_t *buf = malloc(100000);
    uint64_t got_total = 0;
    int rc;
    for (;;) {
        size_t got = 0;
        rc = mote_vchan_read_blocking(c, buf, 100000, &got, 10000);
        if (rc)
            break;
        if (check_pat(buf, got, 5, got_total) != got)
            return 12;
        got_total += got;
    }
    free(buf);
    mote_vchan_close(c);
    return rc == MOTE_ECLOSED && got_total == total ? 0 : 11;
}

START_TEST(test_blocking)
{
    /* The server writes with write_all, the client reads with
     * read_blocking, in 64 KiB and 1 KiB rings, with and without spin. */
    for (int k = 0; k < 4; k++) {
        char name[64];
        uniq_name(name, sizeof(name));
        mote_vchan_opts o = opts_orders(0, k < 2 ? 65536 : 1024);
        o.spin_ns = k & 1 ? 0 : 50000;
        int err = 0;
        mote_vchan *s = mote_vchan_server_init(name, &o, &err);
        ck_assert_ptr_nonnull(s);
        uint64_t total = 4u << 20;
        pid_t pid = fork_child(child_blocking_reader, name, &total);
        uint8_t *buf = malloc(70000);
        for (uint64_t off = 0; off < total;) {
            size_t n = 70000 < total - off ? 70000 : (size_t)(total - off);
            fill_pat(buf, n, 5, off);
            ck_assert_int_eq(mote_vchan_write_all(s, buf, n, 10000), 0);
            off += n;
        }
        free(buf);
        /* a graceful close: the reader gets everything, then ECLOSED */
        mote_vchan_close(s);
        ck_assert_int_eq(child_status(pid), 0);
    }
}
END_TEST

static int child_pingpong_reader(const char *name, void *arg)
{
    uint64_t total = *(uint64_t *)arg;
    int err = 0;
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    if (!c)
        return 10;
    static uint8_t buf[65536];
    uint64_t got_total = 0;
    while (got_total < total) {
        size_t got = 0;
        int rc = mote_vchan_read(c, buf, sizeof(buf), &got);
        if (rc == MOTE_EAGAIN) {
            rc = mote_vchan_wait(c, 10000);
            if (rc)
                return rc == MOTE_ETIMEDOUT ? 13 : 11;
            continue;
        }
        if (rc)
            return 12;
        got_total += got;
    }
    mote_vchan_close(c);
    return 0;
}

START_TEST(test_no_lost_wakeup)
{
    /* Ring-sized writes against ring-sized reads hand the ring back and
     * forth tens of thousands of times, spinning and blocking in turn;
     * a wait that misses a signal stalls for its whole timeout. */
    for (int k = 0; k < 2; k++) {
        char name[64];
        uniq_name(name, sizeof(name));
        mote_vchan_opts o = opts_orders(0, k ? 65536 : 4096);
        int err = 0;
        mote_vchan *s = mote_vchan_server_init(name, &o, &err);
        ck_assert_ptr_nonnull(s);
        uint64_t total = full_or(k ? 256u << 20 : 64u << 20);
        pid_t pid = fork_child(child_pingpong_reader, name, &total);
        static uint8_t buf[65536];
        for (uint64_t sent = 0; sent < total;) {
            size_t put = 0;
            int rc = mote_vchan_write(s, buf, sizeof(buf), &put);
            if (rc == MOTE_EAGAIN) {
                rc = mote_vchan_wait(s, 10000);
                ck_assert_msg(rc == 0, "writer wait: %s", mote_error_name(rc));
                continue;
            }
            ck_assert_int_eq(rc, 0);
            sent += put;
        }
        ck_assert_int_eq(child_status(pid), 0);
        mote_vchan_close(s);
    }
}
END_TEST

/* An events interface around the in-memory one that plays a late
 * signal: on its first wait the peer's clear of our request bit and its
 * signal arrive (for bytes the endpoint saw already); every wait checks
 * that the endpoint has asked for a signal before it blocks. */
static struct {
    int (*inner_wait)(void *, int);
    volatile uint8_t *page;
    int calls, blocked_unasked;
} lw;

static int lw_wait(void *ctx, int timeout_ms)
{
    lw.calls++;
    if (!(lw.page[22] & 2)) /* the server's READ request, in cli_notify */
        lw.blocked_unasked++;
    if (lw.calls == 1) {
        lw.page[22] &= (uint8_t)~2;
        return 0;
    }
    return lw.inner_wait(ctx, timeout_ms);
}

START_TEST(test_wakeup_after_late_signal)
{
    mote_vchan_backend sb, cb;
    ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
    memset(&lw, 0, sizeof(lw));
    lw.inner_wait = sb.ev.wait;
    sb.ev.wait = lw_wait;
    mote_vchan_opts o = opts_orders(0, 4096);
    o.spin_ns = 0;
    int err = 0;
    mote_vchan *s = mote_vchan_server_new(&sb, &o, &err);
    ck_assert_ptr_nonnull(s);
    mote_vchan *c = mote_vchan_client_new(&cb, NULL, &err);
    ck_assert_ptr_nonnull(c);
    lw.page = page_of(s);
    static uint8_t buf[8192];
    size_t n;
    ck_assert_int_eq(mote_vchan_write(s, buf, sizeof(buf), &n), 0);
    ck_assert_uint_eq(n, 4096);
    ck_assert_int_eq(mote_vchan_write(s, buf, 1, &n), MOTE_EAGAIN);
    /* the ring stays full; the endpoint must ask again after the late
     * signal before it blocks a second time */
    ck_assert_int_eq(mote_vchan_wait(s, -1), MOTE_ETIMEDOUT);
    ck_assert_int_ge(lw.calls, 2);
    ck_assert_int_eq(lw.blocked_unasked, 0);
    /* and the request is honoured: a read signals the server */
    ck_assert_int_eq(mote_vchan_read(c, buf, 10, &n), 0);
    ck_assert_int_eq(mote_vchan_wait(s, -1), 0);
    mote_vchan_close(s);
    mote_vchan_close(c);
}
END_TEST

START_TEST(test_wraparound)
{
    /* Indices start just below 2^32, so they wrap while the ring offsets
     * wrap too (odd chunk sizes through 1 KiB and 2 KiB rings). */
    for (int k = 0; k < 2; k++) {
        mote_vchan_backend sb, cb;
        ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
        mote_vchan_opts o = opts_orders(k ? 4096 : 1024, 2048);
        o.start_index = 0xFFFFFFFFu - 5000;
        int err = 0;
        mote_vchan *s = mote_vchan_server_new(&sb, &o, &err);
        ck_assert_ptr_nonnull(s);
        mote_vchan *c = mote_vchan_client_new(&cb, NULL, &err);
        ck_assert_ptr_nonnull(c);
        struct side a, b;
        side_init(&a, s, 300000, 200000, 31, 32);
        side_init(&b, c, 200000, 300000, 32, 31);
        a.chunk = b.chunk = 1500;
        pump_two(&a, &b);
        const volatile uint8_t *pg = mote_vchan_shared_page(s);
        uint32_t lprod, rprod;
        memcpy(&lprod, (const void *)(pg + 4), 4);
        memcpy(&rprod, (const void *)(pg + 12), 4);
        ck_assert_uint_eq(lprod, (uint32_t)(0xFFFFFFFFu - 5000 + 200000));
        ck_assert_uint_eq(rprod, (uint32_t)(0xFFFFFFFFu - 5000 + 300000));
        side_free(&a);
        side_free(&b);
        mote_vchan_close(s);
        mote_vchan_close(c);
    }
}
END_TEST

/* ---- peers that go away ------------------------------------------------- */

struct exit_arg {
    int mode; /* 0 write then _exit (dies), 1 write then close, 2 write then SIGKILL */
    uint64_t bytes;
};

static int child_exit(const char *name, void *arg)
{
    struct exit_arg *x = arg;
    int err = 0;
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    if (!c)
        return 10;
    uint8_t *buf = malloc(x->bytes);
    fill_pat(buf, x->bytes, 9, 0);
    if (mote_vchan_write_all(c, buf, x->bytes, 10000) != 0)
        return 11;
    if (x->mode == 1)
        mote_vchan_close(c);
    else if (x->mode == 2) {
        usleep(100000);
        raise(SIGKILL);
    }
    _exit(0); /* no close: the endpoint dies with the process */
}

START_TEST(test_peer_exits)
{
    for (int mode = 0; mode < 3; mode++) {
        char name[64];
        uniq_name(name, sizeof(name));
        int err = 0;
        mote_vchan *s = mote_vchan_server_init(name, NULL, &err);
        ck_assert_ptr_nonnull(s);
        struct exit_arg x = {mode, 300000};
        pid_t pid = fork_child(child_exit, name, &x);
        uint8_t buf[8192];
        uint64_t total = 0;
        int rc;
        for (;;) {
            size_t got = 0;
            rc = mote_vchan_read_blocking(s, buf, sizeof(buf), &got, 10000);
            if (rc)
                break;
            ck_assert_uint_eq(check_pat(buf, got, 9, total), got);
            total += got;
        }
        ck_assert_msg(rc == MOTE_ECLOSED, "mode %d: %s", mode, mote_error_name(rc));
        ck_assert_uint_eq(total, 300000);
        ck_assert_int_eq(mote_vchan_state(s), MOTE_VCHAN_CLOSED);
        size_t put;
        ck_assert_int_eq(mote_vchan_write(s, buf, 10, &put), MOTE_ECLOSED);
        int st = child_status(pid);
        ck_assert_int_eq(st, mode == 2 ? 128 + SIGKILL : 0);
        mote_vchan_close(s);
    }
}
END_TEST

static int child_connect_and_die(const char *name, void *arg)
{
    (void)arg;
    int err = 0;
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    if (!c)
        return 10;
    while (mote_vchan_state(c) == MOTE_VCHAN_CONNECTING)
        mote_vchan_wait(c, 1000);
    usleep(100000);
    raise(SIGKILL);
    return 0;
}

START_TEST(test_writer_blocked_when_peer_dies)
{
    char name[64];
    uniq_name(name, sizeof(name));
    int err = 0;
    mote_vchan_opts o = opts_orders(0, 4096);
    mote_vchan *s = mote_vchan_server_init(name, &o, &err);
    ck_assert_ptr_nonnull(s);
    pid_t pid = fork_child(child_connect_and_die, name, NULL);
    uint8_t buf[100000];
    memset(buf, 1, sizeof(buf));
    /* the ring fills (nobody reads) and the writer blocks until the
     * peer dies */
    ck_assert_int_eq(mote_vchan_write_all(s, buf, sizeof(buf), 10000), MOTE_ECLOSED);
    ck_assert_int_eq(child_status(pid), 128 + SIGKILL);
    mote_vchan_close(s);
}
END_TEST

/* ---- hostile peers ------------------------------------------------------ */

static void mem_pair_open(mote_vchan **s, mote_vchan **c, size_t rd, size_t wr)
{
    mote_vchan_backend sb, cb;
    ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
    mote_vchan_opts o = opts_orders(rd, wr);
    int err = 0;
    *s = mote_vchan_server_new(&sb, &o, &err);
    ck_assert_ptr_nonnull(*s);
    *c = mote_vchan_client_new(&cb, NULL, &err);
    ck_assert_ptr_nonnull(*c);
}

static void put32(volatile uint8_t *p, uint32_t v)
{
    memcpy((void *)p, &v, 4);
}

START_TEST(test_hostile_indices)
{
    mote_vchan *s, *c;
    uint8_t buf[64];
    size_t n;
    /* the peer claims more bytes than the ring holds */
    mem_pair_open(&s, &c, 1024, 2048);
    put32(page_of(s) + 4, 1025); /* left.prod */
    ck_assert_int_eq(mote_vchan_read(s, buf, sizeof(buf), &n), MOTE_EPROTO);
    ck_assert_int_eq(mote_vchan_state(s), MOTE_VCHAN_FAILED);
    ck_assert_int_eq(mote_vchan_error(s), MOTE_EPROTO);
    ck_assert_uint_eq(page_of(s)[21], 0); /* srv_live: we left */
    ck_assert_int_eq(mote_vchan_write(s, "x", 1, &n), MOTE_EPROTO);
    /* the client sees the server gone */
    ck_assert_int_eq(mote_vchan_write(c, "x", 1, &n), MOTE_ECLOSED);
    mote_vchan_close(s);
    mote_vchan_close(c);

    /* the peer moves our own index */
    mem_pair_open(&s, &c, 1024, 2048);
    put32(page_of(s) + 12, 7); /* right.prod belongs to the server */
    ck_assert_int_eq(mote_vchan_write(s, "x", 1, &n), MOTE_EPROTO);
    mote_vchan_close(s);
    mote_vchan_close(c);

    /* the peer moves its consumer index past our producer */
    mem_pair_open(&s, &c, 0, 0);
    ck_assert_int_eq(mote_vchan_write(s, "abc", 3, &n), 0);
    put32(page_of(s) + 8, 100); /* right.cons > right.prod */
    ck_assert_int_eq(mote_vchan_write(s, "x", 1, &n), MOTE_EPROTO);
    mote_vchan_close(s);
    mote_vchan_close(c);

    /* a live byte that is no state at all */
    mem_pair_open(&s, &c, 0, 0);
    page_of(s)[20] = 7;
    ck_assert_int_eq(mote_vchan_read(s, buf, sizeof(buf), &n), MOTE_EPROTO);
    mote_vchan_close(s);
    mote_vchan_close(c);

    /* the client going back to "not yet connected" */
    mem_pair_open(&s, &c, 0, 0);
    ck_assert_int_eq(mote_vchan_state(s), MOTE_VCHAN_OPEN);
    page_of(s)[20] = 2;
    ck_assert_int_eq(mote_vchan_read(s, buf, sizeof(buf), &n), MOTE_EPROTO);
    mote_vchan_close(s);
    mote_vchan_close(c);

    /* scribbled notify bits only cost wake-ups */
    mem_pair_open(&s, &c, 0, 0);
    page_of(s)[22] = 0xff;
    page_of(s)[23] = 0x00;
    ck_assert_int_eq(mote_vchan_write(c, "hi", 2, &n), 0);
    ck_assert_int_eq(mote_vchan_read(s, buf, sizeof(buf), &n), 0);
    ck_assert_uint_eq(n, 2);
    mote_vchan_close(s);
    mote_vchan_close(c);
}
END_TEST

/* The client's checks of what a server put in the control page. */
static int client_against_page(uint16_t lo, uint16_t ro, int bad_grant)
{
    mote_vchan_backend sb, cb;
    ck_assert_int_eq(mote_vchan_mem_pair(&sb, &cb), 0);
    uint32_t ref, refs[300];
    void *ctrl, *ring;
    ck_assert_int_eq(sb.mem.share(sb.mem.ctx, 1, &ref, &ctrl), 0);
    ck_assert_int_eq(sb.mem.share(sb.mem.ctx, 4, refs, &ring), 0);
    uint8_t *pg = ctrl;
    memcpy(pg + 16, &lo, 2);
    memcpy(pg + 18, &ro, 2);
    pg[20] = 2;
    pg[21] = 1;
    for (int i = 0; i < 4; i++) {
        uint32_t g = bad_grant ? 999 : refs[i];
        memcpy(pg + 24 + 4 * i, &g, 4);
    }
    uint32_t port;
    ck_assert_int_eq(sb.ev.listen(sb.ev.ctx, &port), 0);
    ck_assert_int_eq(sb.cfg.publish(sb.cfg.ctx, ref, port), 0);
    int err = 0;
    mote_vchan *c = mote_vchan_client_new(&cb, NULL, &err);
    if (c) {
        mote_vchan_close(c);
        err = 0;
    }
    sb.release(sb.release_ctx);
    return err;
}

START_TEST(test_hostile_server_page)
{
    ck_assert_int_eq(client_against_page(14, 10, 0), 0); /* valid: 16 KiB + in-page */
    ck_assert_int_eq(client_against_page(14, 10, 1), MOTE_EPROTO);
    ck_assert_int_eq(client_against_page(10, 10, 0), MOTE_EPROTO); /* same slot */
    ck_assert_int_eq(client_against_page(11, 11, 0), MOTE_EPROTO);
    ck_assert_int_eq(client_against_page(9, 11, 0), MOTE_EPROTO);
    ck_assert_int_eq(client_against_page(21, 11, 0), MOTE_EPROTO);
    ck_assert_int_eq(client_against_page(0xffff, 0xffff, 0), MOTE_EPROTO);
    ck_assert_int_eq(client_against_page(20, 10, 0), MOTE_EPROTO); /* grants reach the ring */
}
END_TEST

static int child_scribbler(const char *name, void *arg)
{
    (void)arg;
    int err = 0;
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    if (!c)
        return 10;
    while (mote_vchan_state(c) == MOTE_VCHAN_CONNECTING)
        mote_vchan_wait(c, 1000);
    volatile uint8_t *pg = page_of(c);
    uint32_t r = (uint32_t)getpid() | 1;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint8_t buf[512];
    for (unsigned i = 0;; i++) {
        r ^= r << 13;
        r ^= r >> 17;
        r ^= r << 5;
        /* mostly the 24-byte header, sometimes the in-page rings */
        size_t off = (r & 1) ? (r >> 8) % 24 : (r >> 8) % MOTE_VCHAN_PAGE_SIZE;
        pg[off] = (uint8_t)(r >> 24);
        size_t n;
        if ((i & 7) == 0) {
            mote_vchan_write(c, buf, sizeof(buf), &n);
            mote_vchan_read(c, buf, sizeof(buf), &n);
        }
        if ((i & 1023) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 300)
                break;
        }
    }
    _exit(0);
}

START_TEST(test_hostile_scribbler)
{
    /* A peer process scribbles the control page (and the in-page rings)
     * while the server reads and writes: the server must only ever see
     * data, EAGAIN, EPROTO or ECLOSED, and must not hang. */
    for (int k = 0; k < 3; k++) {
        char name[64];
        uniq_name(name, sizeof(name));
        mote_vchan_opts o = opts_orders(1024, k == 0 ? 2048 : 65536);
        o.spin_ns = 0;
        int err = 0;
        mote_vchan *s = mote_vchan_server_init(name, &o, &err);
        ck_assert_ptr_nonnull(s);
        pid_t pid = fork_child(child_scribbler, name, NULL);
        uint8_t buf[4096];
        memset(buf, 0x5a, sizeof(buf));
        int rc = 0;
        unsigned ops = 0;
        for (;;) {
            size_t n;
            rc = mote_vchan_write(s, buf, (ops * 37) % sizeof(buf) + 1, &n);
            if (rc == 0)
                ck_assert_uint_le(n, sizeof(buf));
            else if (rc != MOTE_EAGAIN)
                break;
            rc = mote_vchan_read(s, buf, sizeof(buf), &n);
            if (rc == 0)
                ck_assert_uint_le(n, sizeof(buf));
            else if (rc != MOTE_EAGAIN)
                break;
            rc = mote_vchan_wait(s, 2000);
            if (rc == MOTE_ETIMEDOUT)
                continue;
            if (rc)
                break;
            ops++;
        }
        ck_assert_msg(rc == MOTE_EPROTO || rc == MOTE_ECLOSED, "got %s", mote_error_name(rc));
        ck_assert_int_eq(child_status(pid), 0);
        mote_vchan_close(s);
    }
}
END_TEST

/* A fake server on the rendezvous socket, for the handshake checks. */
static int fake_listen(const char *name)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    int n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "mote-vchan/%s", name);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)),
                     0);
    ck_assert_int_eq(listen(fd, 1), 0);
    return fd;
}

static void fake_send(int conn, const void *msg, size_t len, const int *fds, int nfds)
{
    struct iovec iov = {(void *)msg, len};
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } cm;
    memset(&cm, 0, sizeof(cm));
    struct msghdr mh;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (nfds) {
        mh.msg_control = cm.buf;
        mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
    }
    ck_assert_int_eq(sendmsg(conn, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Runs one malformed answer; returns the client's error. */
static int bad_answer(int kind)
{
    char name[64];
    uniq_name(name, sizeof(name));
    int lfd = fake_listen(name);
    int err = 0;
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    ck_assert_ptr_nonnull(c);
    int conn = accept(lfd, NULL, NULL);
    ck_assert_int_ge(conn, 0);
    int mfd = memfd_create("t", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    ck_assert_int_eq(ftruncate(mfd, 4096), 0);
    int e1 = eventfd(0, EFD_CLOEXEC), e2 = eventfd(0, EFD_CLOEXEC);
    int pp[2];
    ck_assert_int_eq(pipe(pp), 0);
    uint8_t msg[16] = {'M', 'V', 'C', '1', 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    int fds[4] = {mfd, e1, e2, pp[0]};
    switch (kind) {
    case 0: /* not sealed */
        fake_send(conn, msg, 16, fds, 3);
        break;
    case 1: /* sealed, but a pipe where an eventfd belongs */
        fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
        fds[2] = pp[0];
        fake_send(conn, msg, 16, fds, 3);
        break;
    case 2: /* sealed, size says 2 pages, file has 1 */
        fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
        msg[12] = 2;
        fake_send(conn, msg, 16, fds, 3);
        break;
    case 3: /* four descriptors */
        fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
        fake_send(conn, msg, 16, fds, 4);
        break;
    case 4: /* bad magic */
        fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
        msg[0] = 'X';
        fake_send(conn, msg, 16, fds, 3);
        break;
    case 5: /* no descriptors */
        fake_send(conn, msg, 16, fds, 0);
        break;
    case 6: /* a valid answer, but the control page is all zeros: orders 0 */
        fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
        fake_send(conn, msg, 16, fds, 3);
        break;
    case 7: /* the server hangs up without answering */
        break;
    }
    close(mfd);
    close(e1);
    close(e2);
    close(pp[0]);
    close(pp[1]);
    close(conn);
    close(lfd);
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++)
        rc = mote_vchan_wait(c, 1000);
    mote_vchan_close(c);
    return rc;
}

START_TEST(test_hostile_handshake)
{
    int before = count_fds();
    for (int k = 0; k <= 6; k++)
        ck_assert_msg(bad_answer(k) == MOTE_EPROTO, "kind %d", k);
    ck_assert_int_eq(bad_answer(7), MOTE_ECLOSED);
    ck_assert_int_eq(count_fds(), before);
}
END_TEST

START_TEST(test_scattered_pages)
{
    /* A server whose ring pages are not in file order: the left ring
     * (8 KiB, two pages) is pages 2 then 1 of the memory file. The client
     * must map each page where the references say. */
    char name[64];
    uniq_name(name, sizeof(name));
    int lfd = fake_listen(name);
    int before = count_fds();
    int err = 0;
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    ck_assert_ptr_nonnull(c);
    int conn = accept(lfd, NULL, NULL);
    int mfd = memfd_create("t", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    ck_assert_int_eq(ftruncate(mfd, 3 * 4096), 0);
    ck_assert_int_eq(fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
    uint8_t *pg = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    ck_assert_ptr_ne(pg, MAP_FAILED);
    uint16_t lo = 13, ro = 11;
    memcpy(pg + 16, &lo, 2);
    memcpy(pg + 18, &ro, 2);
    pg[20] = 2; /* cli_live: not yet */
    pg[21] = 1; /* srv_live */
    uint32_t g[2] = {2, 1};
    memcpy(pg + 24, g, sizeof(g));
    int e1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), e2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    uint8_t msg[16] = {'M', 'V', 'C', '1', 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0};
    int fds[3] = {mfd, e1, e2};
    fake_send(conn, msg, 16, fds, 3);
    while (mote_vchan_state(c) == MOTE_VCHAN_CONNECTING)
        ck_assert_int_eq(mote_vchan_wait(c, 2000), 0);
    ck_assert_int_eq(mote_vchan_state(c), MOTE_VCHAN_OPEN);
    ck_assert_uint_eq(pg[20], 1);
    ck_assert_uint_eq(mote_vchan_write_size(c), 8192);
    static uint8_t data[6000];
    fill_pat(data, sizeof(data), 3, 0);
    ck_assert_int_eq(mote_vchan_write_all(c, data, sizeof(data), 0), 0);
    ck_assert_mem_eq(pg + 2 * 4096, data, 4096);        /* ring page 0 = file page 2 */
    ck_assert_mem_eq(pg + 1 * 4096, data + 4096, 1904); /* ring page 1 = file page 1 */
    uint32_t lprod;
    memcpy(&lprod, pg + 4, 4);
    ck_assert_uint_eq(lprod, 6000);
    /* the server's ring (order 11) lives at offset 2048 of the page */
    memcpy(pg + 2048, "from server", 11);
    uint32_t rprod = 11;
    memcpy(pg + 12, &rprod, 4);
    char buf[16];
    size_t got;
    ck_assert_int_eq(mote_vchan_read(c, buf, sizeof(buf), &got), 0);
    ck_assert_uint_eq(got, 11);
    ck_assert_mem_eq(buf, "from server", 11);
    mote_vchan_close(c);
    ck_assert_uint_eq(pg[20], 0);
    munmap(pg, 3 * 4096);
    close(mfd);
    close(e1);
    close(e2);
    close(conn);
    ck_assert_int_eq(count_fds(), before);
    close(lfd);
}
END_TEST

START_TEST(test_names)
{
    int err = 0;
    char name[64];
    uniq_name(name, sizeof(name));
    ck_assert_ptr_null(mote_vchan_client_init(name, NULL, &err));
    ck_assert_int_eq(err, MOTE_ENOTFOUND);
    mote_vchan *s = mote_vchan_server_init(name, NULL, &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_null(mote_vchan_server_init(name, NULL, &err));
    ck_assert_int_eq(err, MOTE_EADDRINUSE);
    mote_vchan_close(s);
    ck_assert_ptr_null(mote_vchan_server_init("", NULL, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);

    /* a filesystem path: removed once the client is in, and at close */
    char path[128];
    snprintf(path, sizeof(path), "/tmp/mote-vchan-test-%d", (int)getpid());
    s = mote_vchan_server_init(path, NULL, &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(access(path, F_OK), 0);
    mote_vchan *c = mote_vchan_client_init(path, NULL, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(mote_vchan_handle_events(s), 0);
    ck_assert_int_eq(mote_vchan_handle_events(c), 0);
    ck_assert_int_eq(mote_vchan_state(c), MOTE_VCHAN_OPEN);
    ck_assert_int_ne(access(path, F_OK), 0);
    mote_vchan_close(c);
    mote_vchan_close(s);
    s = mote_vchan_server_init(path, NULL, &err);
    ck_assert_ptr_nonnull(s);
    mote_vchan_close(s);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_leaks)
{
    int fds = 0, maps = 0;
    for (int i = -1; i < 20; i++) {
        if (i == 0) { /* after one warm-up round (allocator caches) */
            fds = count_fds();
            maps = count_maps();
        }
        char name[64];
        uniq_name(name, sizeof(name));
        size_t rd = order_pairs[(i + 4) % NPAIRS][0], wr = order_pairs[(i + 4) % NPAIRS][1];
        mote_vchan_opts o = opts_orders(rd, wr);
        int err = 0;
        mote_vchan *s = mote_vchan_server_init(name, &o, &err);
        ck_assert_ptr_nonnull(s);
        mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
        ck_assert_ptr_nonnull(c);
        struct side a, b;
        side_init(&a, s, 100000, 50000, 1, 2);
        side_init(&b, c, 50000, 100000, 2, 1);
        pump_two(&a, &b);
        side_free(&a);
        side_free(&b);
        /* at least the control page on each side (rings inside it or
         * mapped beside it) */
        ck_assert_int_ge(count_maps(), maps + 2);
        /* alternate who closes first */
        if (i & 1) {
            mote_vchan_close(s);
            mote_vchan_close(c);
        } else {
            mote_vchan_close(c);
            mote_vchan_close(s);
        }
        /* a server nobody connects to */
        s = mote_vchan_server_init(name, &o, &err);
        ck_assert_ptr_nonnull(s);
        mote_vchan_close(s);
        /* a client that never hears back */
        s = mote_vchan_server_init(name, &o, &err);
        c = mote_vchan_client_init(name, NULL, &err);
        ck_assert_ptr_nonnull(c);
        mote_vchan_close(s);
        ck_assert_int_eq(mote_vchan_wait(c, 1000), MOTE_ECLOSED);
        mote_vchan_close(c);
    }
    ck_assert_int_eq(count_fds(), fds);
    ck_assert_int_eq(count_maps(), maps);
}
END_TEST

/* ---- the libuv flow ------------------------------------------------------ */

struct uvpeer {
    mote_flow *flow;
    uint64_t recvd, expect;
    uint64_t seed;
    int eof, drains, errors, echo, bad, last_err;
};

static void up_data(void *arg, const uint8_t *data, size_t len)
{
    struct uvpeer *p = arg;
    if (p->echo) {
        ck_assert_int_eq(mote_flow_write(p->flow, data, len), 0);
    } else if (check_pat(data, len, p->seed, p->recvd) != len) {
        p->bad = 1;
    }
    p->recvd += len;
}

static void up_eof(void *arg)
{
    struct uvpeer *p = arg;
    p->eof++;
    if (p->echo)
        mote_flow_shutdown(p->flow);
}

static void up_drain(void *arg)
{
    ((struct uvpeer *)arg)->drains++;
}

static void up_error(void *arg, int err)
{
    struct uvpeer *p = arg;
    p->errors++;
    p->last_err = err;
}

static const mote_flow_events up_events = {up_data, up_eof, up_drain, up_error};

static void on_tick(uv_timer_t *t)
{
    struct uvpeer *cl = t->data;
    if (cl->recvd == cl->expect && !cl->eof) {
        mote_flow_shutdown(cl->flow);
        uv_timer_stop(t);
    }
}

START_TEST(test_uv_flow)
{
    uv_loop_t loop;
    /* libuv keeps a process-wide signal pipe from the first loop on */
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    int fds = count_fds();
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    char name[64];
    uniq_name(name, sizeof(name));
    mote_vchan_opts o = opts_orders(4096, 8192);
    int err = 0;
    mote_vchan *s = mote_vchan_server_init(name, &o, &err);
    ck_assert_ptr_nonnull(s);
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    ck_assert_ptr_nonnull(c);
    struct uvpeer sv = {0}, cl = {0};
    sv.flow = mote_vchan_uv_flow_new(&loop, s, &err);
    cl.flow = mote_vchan_uv_flow_new(&loop, c, &err);
    ck_assert_ptr_nonnull(sv.flow);
    ck_assert_ptr_nonnull(cl.flow);
    sv.echo = 1;
    cl.seed = 77;
    cl.expect = 3u << 20;
    mote_flow_set_events(sv.flow, &up_events, &sv);
    mote_flow_set_events(cl.flow, &up_events, &cl);
    /* 3 MiB written at once: most of it is queued until the rings move */
    uint8_t *buf = malloc(cl.expect);
    fill_pat(buf, cl.expect, 77, 0);
    ck_assert_int_eq(mote_flow_write(cl.flow, buf, cl.expect), 0);
    ck_assert_uint_gt(mote_flow_queued(cl.flow), 0);
    free(buf);
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    tick.data = &cl;
    uv_timer_start(&tick, on_tick, 1, 1);
    /* run until the client has its echo back and both saw eof */
    for (int i = 0; i < 200000 && !(cl.eof && sv.eof); i++)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_uint_eq(cl.recvd, cl.expect);
    ck_assert(!cl.bad);
    ck_assert_int_ge(cl.drains, 1);
    ck_assert_int_eq(sv.eof, 1);
    ck_assert_int_eq(cl.eof, 1);
    ck_assert_int_eq(cl.errors + sv.errors, 0);
    ck_assert_int_eq(mote_flow_write(cl.flow, "x", 1), MOTE_ECLOSED);
    mote_flow_close(sv.flow);
    mote_flow_close(cl.flow);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    ck_assert_int_eq(count_fds(), fds);
}
END_TEST

static struct timespec tstart;
static void tsetup(void)
{
    clock_gettime(CLOCK_MONOTONIC, &tstart);
}
static void tteardown(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (getenv("MOTE_VCHAN_TIMING"))
        fprintf(stderr, "%.3f s\n",
                (double)(t.tv_sec - tstart.tv_sec) + (double)(t.tv_nsec - tstart.tv_nsec) / 1e9);
}

struct raw_server {
    mote_vchan *v;
    uint64_t got;
    uint8_t buf[65536];
};

static void on_raw_tick(uv_timer_t *t)
{
    struct raw_server *r = t->data;
    if (!r->v)
        return;
    mote_vchan_handle_events(r->v);
    size_t n;
    while (r->got < 100000 && mote_vchan_read(r->v, r->buf, sizeof(r->buf), &n) == 0)
        r->got += n;
    if (r->got >= 100000) {
        mote_vchan_close(r->v); /* goes away with 3 MiB still queued */
        r->v = NULL;
    }
}

START_TEST(test_uv_flow_peer_gone)
{
    uv_loop_t loop;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    char name[64];
    uniq_name(name, sizeof(name));
    int err = 0;
    mote_vchan_opts o = opts_orders(65536, 65536);
    struct raw_server *r = calloc(1, sizeof(*r));
    r->v = mote_vchan_server_init(name, &o, &err);
    ck_assert_ptr_nonnull(r->v);
    ck_assert_int_eq(mote_vchan_write_all(r->v, "last words", 10, 0), 0);
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    ck_assert_ptr_nonnull(c);
    struct uvpeer cl = {0};
    cl.flow = mote_vchan_uv_flow_new(&loop, c, &err);
    ck_assert_ptr_nonnull(cl.flow);
    cl.echo = 0;
    cl.seed = 1234; /* "last words" will not match: count bytes only */
    mote_flow_set_events(cl.flow, &up_events, &cl);
    uint8_t *buf = calloc(1, 3u << 20);
    ck_assert_int_eq(mote_flow_write(cl.flow, buf, 3u << 20), 0);
    free(buf);
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    tick.data = r;
    uv_timer_start(&tick, on_raw_tick, 1, 1);
    for (int i = 0; i < 100000 && !cl.errors; i++)
        uv_run(&loop, UV_RUN_ONCE);
    /* what the server wrote arrives, then end of stream, then the error
     * for the bytes that can no longer be delivered */
    ck_assert_uint_eq(cl.recvd, 10);
    ck_assert_int_eq(cl.eof, 1);
    ck_assert_int_eq(cl.errors, 1);
    ck_assert_int_eq(cl.last_err, MOTE_ECONNRESET);
    ck_assert_ptr_null(r->v);
    mote_flow_close(cl.flow);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    free(r);
}
END_TEST

struct collect {
    char buf[64];
    size_t len;
    int eof;
};

static void co_data(void *arg, const uint8_t *data, size_t len)
{
    struct collect *c = arg;
    ck_assert_uint_le(c->len + len, sizeof(c->buf));
    memcpy(c->buf + c->len, data, len);
    c->len += len;
}

static void co_eof(void *arg)
{
    ((struct collect *)arg)->eof++;
}

static const mote_flow_events co_events = {co_data, co_eof, NULL, NULL};

static void spin_loop(uv_loop_t *loop, mote_vchan *s, int turns)
{
    for (int i = 0; i < turns; i++) {
        mote_vchan_handle_events(s);
        uv_run(loop, UV_RUN_NOWAIT);
    }
}

START_TEST(test_uv_flow_held_and_paused)
{
    /* Bytes that arrive before any events are set are held; while reading
     * is off nothing is delivered; turning it on delivers what waited. */
    uv_loop_t loop;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    char name[64];
    uniq_name(name, sizeof(name));
    int err = 0;
    mote_vchan *s = mote_vchan_server_init(name, NULL, &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(mote_vchan_write_all(s, "abc", 3, 0), 0);
    mote_vchan *c = mote_vchan_client_init(name, NULL, &err);
    ck_assert_ptr_nonnull(c);
    mote_flow *f = mote_vchan_uv_flow_new(&loop, c, &err);
    ck_assert_ptr_nonnull(f);
    spin_loop(&loop, s, 50);
    struct collect co;
    memset(&co, 0, sizeof(co));
    mote_flow_set_events(f, &co_events, &co);
    spin_loop(&loop, s, 50);
    ck_assert_uint_eq(co.len, 3);
    ck_assert_mem_eq(co.buf, "abc", 3);
    mote_flow_set_reading(f, 0);
    ck_assert_int_eq(mote_vchan_write_all(s, "def", 3, 0), 0);
    spin_loop(&loop, s, 50);
    ck_assert_uint_eq(co.len, 3);
    mote_flow_set_reading(f, 1);
    spin_loop(&loop, s, 50);
    ck_assert_uint_eq(co.len, 6);
    ck_assert_mem_eq(co.buf, "abcdef", 6);
    /* the flow's writes reach the raw endpoint */
    ck_assert_int_eq(mote_flow_write(f, "xyz", 3), 0);
    char buf[8];
    size_t got = 0;
    ck_assert_int_eq(mote_vchan_read(s, buf, sizeof(buf), &got), 0);
    ck_assert_uint_eq(got, 3);
    ck_assert_mem_eq(buf, "xyz", 3);
    ck_assert_int_eq(co.eof, 0);
    mote_vchan_close(s);
    for (int i = 0; i < 100 && !co.eof; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(co.eof, 1);
    mote_flow_close(f);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static Suite *vchan_suite(void)
{
    Suite *s = suite_create("vchan");
    TCase *tc = tcase_create("vchan");
    tcase_set_timeout(tc, full_or(0) ? 3600 : 120);
    tcase_add_checked_fixture(tc, tsetup, tteardown);
    tcase_add_test(tc, test_layout_in_page);
    tcase_add_test(tc, test_layout_pages_and_orders);
    tcase_add_test(tc, test_inprocess_unix);
    tcase_add_test(tc, test_inprocess_mem);
    tcase_add_test(tc, test_two_processes);
    tcase_add_test(tc, test_blocking);
    tcase_add_test(tc, test_no_lost_wakeup);
    tcase_add_test(tc, test_wakeup_after_late_signal);
    tcase_add_test(tc, test_wraparound);
    tcase_add_test(tc, test_peer_exits);
    tcase_add_test(tc, test_writer_blocked_when_peer_dies);
    tcase_add_test(tc, test_hostile_indices);
    tcase_add_test(tc, test_hostile_server_page);
    tcase_add_test(tc, test_hostile_scribbler);
    tcase_add_test(tc, test_hostile_handshake);
    tcase_add_test(tc, test_scattered_pages);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_leaks);
    tcase_add_test(tc, test_uv_flow);
    tcase_add_test(tc, test_uv_flow_peer_gone);
    tcase_add_test(tc, test_uv_flow_held_and_paused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(vchan_suite());
}
