/* test_posix.c - libmote-posix on a real libuv loop: clock and timers, rng,
 * console, log sink, error mapping. */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mote/posix.h"

/* ---- clock ---- */

START_TEST(test_clock_monotonic_and_wall)
{
    uv_loop_t loop;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    int err = 1;
    mote_posix_clock *pc = mote_posix_clock_new(&loop, &err);
    ck_assert_ptr_nonnull(pc);
    ck_assert_int_eq(err, 0);
    mote_clock *c = mote_posix_clock_clock(pc);
    uint64_t prev = mote_clock_now(c);
    for (int i = 0; i < 100000; i++) {
        uint64_t t = mote_clock_now(c);
        ck_assert_uint_ge(t, prev);
        prev = t;
    }
    struct timespec ts = {0, 2000000};
    uint64_t a = mote_clock_now(c);
    nanosleep(&ts, NULL);
    ck_assert_uint_ge(mote_clock_now(c) - a, 2000000);
    mote_time w = mote_clock_wall(c);
    time_t sys = time(NULL);
    ck_assert(w.sec >= (int64_t)sys - 2 && w.sec <= (int64_t)sys + 2);
    ck_assert_uint_lt(w.nsec, 1000000000u);
    ck_assert(w.sec > 1700000000); /* after 2023: a real wall clock */
    mote_posix_clock_free(pc);
    ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

typedef struct order_ctx {
    mote_clock *c;
    int log[32];
    uint64_t fired_at[32];
    uint64_t deadline[32];
    int n;
} order_ctx;

typedef struct tcb {
    order_ctx *o;
    int id;
    mote_timer *t;
    int rearm_left;
    uint64_t period;
    int free_self;
} tcb;

static void on_tcb(void *arg)
{
    tcb *x = arg;
    order_ctx *o = x->o;
    ck_assert_int_lt(o->n, 32);
    o->log[o->n] = x->id;
    o->fired_at[o->n] = mote_clock_now(o->c);
    o->n++;
    if (x->rearm_left > 0) {
        x->rearm_left--;
        x->o->deadline[x->id] = mote_clock_now(o->c) + x->period;
        mote_timer_arm(o->c, x->t, x->o->deadline[x->id]);
    }
    if (x->free_self) {
        mote_timer_free(o->c, x->t);
        x->t = NULL;
    }
}

START_TEST(test_timers_fire_in_order)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_posix_clock *pc = mote_posix_clock_new(&loop, NULL);
    mote_clock *c = mote_posix_clock_clock(pc);
    order_ctx o = {.c = c};
    /* Deadlines (ms from now) chosen so that arming order differs from
     * firing order; two equal deadlines fire in arming order. */
    static const int ms[] = {30, 10, 20, 10, 1, 25};
    static const int want[] = {4, 1, 3, 2, 5, 0};
    tcb x[6];
    uint64_t base = mote_clock_now(c);
    for (int i = 0; i < 6; i++) {
        x[i] = (tcb){.o = &o, .id = i};
        x[i].t = mote_timer_new(c, on_tcb, &x[i]);
        ck_assert_ptr_nonnull(x[i].t);
        o.deadline[i] = base + (uint64_t)ms[i] * MOTE_NS_PER_MS;
        mote_timer_arm(c, x[i].t, o.deadline[i]);
    }
    ck_assert_int_eq(o.n, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(o.n, 6);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(o.log[i], want[i]);
        /* never before the deadline, as now() sees it */
        ck_assert_uint_ge(o.fired_at[i], o.deadline[o.log[i]]);
    }
    for (int i = 0; i < 6; i++)
        mote_timer_free(c, x[i].t);
    mote_posix_clock_free(pc);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(test_timer_rearm_cancel_replace)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_posix_clock *pc = mote_posix_clock_new(&loop, NULL);
    mote_clock *c = mote_posix_clock_clock(pc);
    order_ctx o = {.c = c};
    tcb rearm = {.o = &o, .id = 0, .rearm_left = 4, .period = 2 * MOTE_NS_PER_MS};
    tcb cancelled = {.o = &o, .id = 1};
    tcb replaced = {.o = &o, .id = 2};
    rearm.t = mote_timer_new(c, on_tcb, &rearm);
    cancelled.t = mote_timer_new(c, on_tcb, &cancelled);
    replaced.t = mote_timer_new(c, on_tcb, &replaced);
    uint64_t now = mote_clock_now(c);
    o.deadline[0] = now + MOTE_NS_PER_MS;
    mote_timer_arm(c, rearm.t, o.deadline[0]);
    mote_timer_arm(c, cancelled.t, now + 3 * MOTE_NS_PER_MS);
    mote_timer_cancel(c, cancelled.t);
    mote_timer_cancel(c, cancelled.t); /* twice is harmless */
    mote_timer_arm(c, replaced.t, now + 60 * 1000 * MOTE_NS_PER_MS);
    o.deadline[2] = now + 5 * MOTE_NS_PER_MS;
    mote_timer_arm(c, replaced.t, o.deadline[2]); /* replaces the minute */
    uint64_t t0 = mote_clock_now(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* uv_run returned, so nothing is armed: the minute-long arm is gone. */
    ck_assert_uint_lt(mote_clock_now(c) - t0, 10 * MOTE_NS_PER_SEC);
    int count0 = 0, count2 = 0;
    for (int i = 0; i < o.n; i++) {
        ck_assert_int_ne(o.log[i], 1);
        count0 += o.log[i] == 0;
        count2 += o.log[i] == 2;
    }
    ck_assert_int_eq(count0, 5);
    ck_assert_int_eq(count2, 1);
    mote_timer_free(c, rearm.t);
    mote_timer_free(c, cancelled.t);
    mote_timer_free(c, replaced.t);
    mote_posix_clock_free(pc);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(test_timer_free_in_callback_and_past_deadline)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_posix_clock *pc = mote_posix_clock_new(&loop, NULL);
    mote_clock *c = mote_posix_clock_clock(pc);
    order_ctx o = {.c = c};
    tcb a = {.o = &o, .id = 0, .free_self = 1};
    tcb b = {.o = &o, .id = 1, .free_self = 1, .rearm_left = 1, .period = 0};
    a.t = mote_timer_new(c, on_tcb, &a);
    b.t = mote_timer_new(c, on_tcb, &b);
    /* A deadline in the past fires on the loop, not inside arm. */
    mote_timer_arm(c, a.t, 0);
    ck_assert_int_eq(o.n, 0);
    /* b re-arms itself and then frees itself in the same callback. */
    mote_timer_arm(c, b.t, mote_clock_now(c));
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(o.n, 2);
    ck_assert_ptr_null(a.t);
    ck_assert_ptr_null(b.t);
    mote_posix_clock_free(pc);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* A timer that re-arms itself at now() forever must not starve the loop:
 * each firing waits for the next loop turn, so a uv_idle/check handle still
 * runs in between. */
typedef struct spin {
    mote_clock *c;
    mote_timer *t;
    int fired;
    int checks;
    int checks_at_stop;
    uv_idle_t *idle;
} spin;

static void on_spin(void *arg)
{
    spin *s = arg;
    s->fired++;
    if (s->fired < 50)
        mote_timer_arm(s->c, s->t, mote_clock_now(s->c));
    else
        s->checks_at_stop = s->checks;
}

static void on_check(uv_check_t *h)
{
    spin *s = h->data;
    s->checks++;
    if (s->fired >= 50) {
        uv_check_stop(h);
        uv_idle_stop(s->idle);
    }
}

static void on_idle_noop(uv_idle_t *h)
{
    (void)h;
}

START_TEST(test_timer_self_rearm_yields)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_posix_clock *pc = mote_posix_clock_new(&loop, NULL);
    spin s = {.c = mote_posix_clock_clock(pc)};
    s.t = mote_timer_new(s.c, on_spin, &s);
    uv_check_t chk;
    uv_check_init(&loop, &chk);
    chk.data = &s;
    uv_check_start(&chk, on_check);
    uv_idle_t idle; /* keeps the poll from blocking while the check runs */
    uv_idle_init(&loop, &idle);
    s.idle = &idle;
    uv_idle_start(&idle, on_idle_noop);
    mote_timer_arm(s.c, s.t, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(s.fired, 50);
    ck_assert_int_ge(s.checks_at_stop, 49);
    uv_close((uv_handle_t *)&chk, NULL);
    uv_close((uv_handle_t *)&idle, NULL);
    mote_timer_free(s.c, s.t);
    mote_posix_clock_free(pc);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* Many timers with random deadlines fire in deadline order; a clock freed
 * with timers still armed releases them and lets the loop end. */
typedef struct many_rec {
    uint64_t deadline;
    uint64_t *last;
    int *bad;
    int *fired;
    mote_clock *c;
} many_rec;

static void on_many(void *arg)
{
    many_rec *m = arg;
    if (m->deadline < *m->last || mote_clock_now(m->c) < m->deadline)
        (*m->bad)++;
    *m->last = m->deadline;
    (*m->fired)++;
}

START_TEST(test_timer_many_and_free_clock_with_armed)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    mote_posix_clock *pc = mote_posix_clock_new(&loop, NULL);
    mote_clock *c = mote_posix_clock_clock(pc);
    enum { N = 2000 };
    many_rec *recs = calloc(N, sizeof *recs);
    mote_timer **ts = calloc(N, sizeof *ts);
    uint64_t last = 0;
    int bad = 0, fired = 0;
    mote_seeded_rng r;
    mote_seeded_rng_init(&r, 7);
    ck_assert_ptr_null(mote_timer_new(c, NULL, NULL)); /* no callback: refused */
    uint64_t base = mote_clock_now(c);
    for (int i = 0; i < N; i++) {
        recs[i] = (many_rec){.deadline = base + mote_seeded_rng_below(&r, 20 * MOTE_NS_PER_MS),
                             .last = &last,
                             .bad = &bad,
                             .fired = &fired,
                             .c = c};
        ts[i] = mote_timer_new(c, on_many, &recs[i]);
        ck_assert_ptr_nonnull(ts[i]);
        mote_timer_arm(c, ts[i], recs[i].deadline);
    }
    /* Cancel every tenth, re-arm every seventh at a new deadline. */
    int cancelled = 0;
    for (int i = 0; i < N; i++) {
        if (i % 10 == 0) {
            mote_timer_cancel(c, ts[i]);
            cancelled++;
        } else if (i % 7 == 0) {
            recs[i].deadline = base + mote_seeded_rng_below(&r, 20 * MOTE_NS_PER_MS);
            mote_timer_arm(c, ts[i], recs[i].deadline);
        }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(fired, N - cancelled);
    /* Arm half again far in the future and free the clock with them armed. */
    for (int i = 0; i < N; i += 2)
        mote_timer_arm(c, ts[i], mote_clock_now(c) + 3600 * MOTE_NS_PER_SEC);
    mote_posix_clock_free(pc);
    uint64_t t0 = uv_hrtime();
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_uint_lt(uv_hrtime() - t0, 5 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    free(recs);
    free(ts);
}
END_TEST

/* ---- rng ---- */

START_TEST(test_rng)
{
    mote_rng r;
    mote_posix_rng_init(&r);
    uint8_t a[64], b[64];
    ck_assert_int_eq(mote_rng_fill(&r, a, sizeof a), 0);
    ck_assert_int_eq(mote_rng_fill(&r, b, sizeof b), 0);
    ck_assert(memcmp(a, b, sizeof a) != 0);
    ck_assert_int_eq(mote_rng_fill(&r, a, 0), 0);
    /* A large fill (more than one getrandom call): every byte value turns
     * up, and no byte value is wildly over-represented. */
    size_t n = 3u << 20;
    uint8_t *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    memset(big, 0, n);
    ck_assert_int_eq(mote_rng_fill(&r, big, n), 0);
    size_t hist[256] = {0};
    for (size_t i = 0; i < n; i++)
        hist[big[i]]++;
    for (int v = 0; v < 256; v++) {
        ck_assert_uint_gt(hist[v], n / 256 * 9 / 10);
        ck_assert_uint_lt(hist[v], n / 256 * 11 / 10);
    }
    /* The tail got filled too (not left zero). */
    size_t zeros = 0;
    for (size_t i = n - 4096; i < n; i++)
        zeros += big[i] == 0;
    ck_assert_uint_lt(zeros, 100);
    free(big);
}
END_TEST

/* ---- console and log ---- */

START_TEST(test_console_and_log)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    mote_posix_console con;
    mote_posix_console_init(&con, p[1]);
    ck_assert_int_eq(mote_console_write(&con.console, "hello\n", 6), 0);
    char buf[256];
    ssize_t n = read(p[0], buf, sizeof buf);
    ck_assert_int_eq(n, 6);
    ck_assert_mem_eq(buf, "hello\n", 6);
    close(p[0]);
    /* The reading end is gone: EPIPE becomes MOTE_EIO (SIGPIPE ignored). */
    signal(SIGPIPE, SIG_IGN);
    ck_assert_int_eq(mote_console_write(&con.console, "x", 1), MOTE_EIO);
    close(p[1]);

    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    mote_log log;
    mote_posix_log_init(&log, MOTE_LOG_INFO);
    log.ctx = f;
    mote_logf(&log, MOTE_LOG_WARN, "posix.test", "value %d", 42);
    mote_logf(&log, MOTE_LOG_DEBUG, "posix.test", "hidden");
    char longmsg[2000];
    memset(longmsg, 'a', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = 0;
    mote_posix_log_sink(f, MOTE_LOG_ERROR, "c", longmsg);
    rewind(f);
    char line[4096];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "warn  posix.test: value 42\n");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert(strncmp(line, "error c: aaaa", 13) == 0);
    ck_assert_int_eq(line[strlen(line) - 1], '\n');
    ck_assert_ptr_null(fgets(line, sizeof line, f));
    fclose(f);
}
END_TEST

START_TEST(test_error_mapping)
{
    ck_assert_int_eq(mote_posix_error(0), 0);
    ck_assert_int_eq(mote_posix_error(UV_ECONNREFUSED), MOTE_ECONNREFUSED);
    ck_assert_int_eq(mote_posix_error(-ECONNRESET), MOTE_ECONNRESET);
    ck_assert_int_eq(mote_posix_error(UV_EPIPE), MOTE_ECONNRESET);
    ck_assert_int_eq(mote_posix_error(UV_ETIMEDOUT), MOTE_ETIMEDOUT);
    ck_assert_int_eq(mote_posix_error(UV_EADDRINUSE), MOTE_EADDRINUSE);
    ck_assert_int_eq(mote_posix_error(UV_EHOSTUNREACH), MOTE_EUNREACH);
    ck_assert_int_eq(mote_posix_error(UV_EAI_NONAME), MOTE_ENOTFOUND);
    ck_assert_int_eq(mote_posix_error(UV_ENOENT), MOTE_ENOTFOUND);
    ck_assert_int_eq(mote_posix_error(UV_EACCES), MOTE_EPERM);
    ck_assert_int_eq(mote_posix_error(UV_EMFILE), MOTE_ELIMIT);
    ck_assert_int_eq(mote_posix_error(UV_ENOMEM), MOTE_ENOMEM);
    ck_assert_int_eq(mote_posix_error(UV_ECANCELED), MOTE_ECANCELED);
    ck_assert_int_eq(mote_posix_error(-EIO), MOTE_EIO);
    ck_assert_int_eq(mote_posix_error(-12345), MOTE_EIO);
}
END_TEST

static Suite *posix_suite(void)
{
    Suite *s = suite_create("posix");
    TCase *tc = tcase_create("clock");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_clock_monotonic_and_wall);
    tcase_add_test(tc, test_timers_fire_in_order);
    tcase_add_test(tc, test_timer_rearm_cancel_replace);
    tcase_add_test(tc, test_timer_free_in_callback_and_past_deadline);
    tcase_add_test(tc, test_timer_self_rearm_yields);
    tcase_add_test(tc, test_timer_many_and_free_clock_with_armed);
    suite_add_tcase(s, tc);
    tc = tcase_create("sys");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_rng);
    tcase_add_test(tc, test_console_and_log);
    tcase_add_test(tc, test_error_mapping);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(posix_suite());
}
