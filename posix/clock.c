/*
 * clock.c - mote_clock on a libuv loop.
 *
 * One uv_timer_t per clock drives a binary min-heap of mote timers ordered
 * by (deadline in ns, arming sequence). This gives nanosecond deadlines
 * (libuv's own timers count milliseconds), exact deadline order with ties
 * in arming order, and cheap re-arming. The uv timer is started for the
 * earliest deadline, rounded up to a millisecond; when it fires, every timer
 * that is due by uv_hrtime() runs, except timers armed during this
 * dispatch, which wait for the next loop turn (so a timer that re-arms
 * itself at now() cannot starve the loop).
 */
#include "mote/posix.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mote/error.h"

struct mote_timer {
    mote_posix_clock *clock;
    mote_timer_fn fn;
    void *arg;
    uint64_t deadline;
    uint64_t seq;
    size_t heap_index; /* SIZE_MAX when not armed */
    size_t all_index;  /* position in clock->all */
};

struct mote_posix_clock {
    mote_clock clock;
    uv_loop_t *loop;
    uv_timer_t uvt;
    uv_idle_t idle; /* runs timers already due, once per loop turn */
    int open_handles;
    mote_timer **heap;
    size_t heap_len, heap_cap;
    /* Every live timer, so that free can release them. */
    mote_timer **all;
    size_t all_len, all_cap;
    uint64_t seq;
    int dispatching;
};

#define NOT_ARMED SIZE_MAX

static int before(const mote_timer *a, const mote_timer *b)
{
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline;
    return a->seq < b->seq;
}

static void heap_set(mote_posix_clock *c, size_t i, mote_timer *t)
{
    c->heap[i] = t;
    t->heap_index = i;
}

static void sift_up(mote_posix_clock *c, size_t i)
{
    mote_timer *t = c->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(t, c->heap[p]))
            break;
        heap_set(c, i, c->heap[p]);
        i = p;
    }
    heap_set(c, i, t);
}

static void sift_down(mote_posix_clock *c, size_t i)
{
    mote_timer *t = c->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const mote_timer *best = t;
        if (l < c->heap_len && before(c->heap[l], best)) {
            m = l;
            best = c->heap[l];
        }
        if (r < c->heap_len && before(c->heap[r], best))
            m = r;
        if (m == i)
            break;
        heap_set(c, i, c->heap[m]);
        i = m;
    }
    heap_set(c, i, t);
}

static void heap_remove(mote_posix_clock *c, mote_timer *t)
{
    size_t i = t->heap_index;
    if (i == NOT_ARMED)
        return;
    t->heap_index = NOT_ARMED;
    c->heap_len--;
    if (i == c->heap_len)
        return;
    mote_timer *last = c->heap[c->heap_len];
    heap_set(c, i, last);
    if (i > 0 && before(last, c->heap[(i - 1) / 2]))
        sift_up(c, i);
    else
        sift_down(c, i);
}

static uint64_t clk_now(void *ctx)
{
    (void)ctx;
    return uv_hrtime();
}

static mote_time clk_wall(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    mote_time t = {0, 0};
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
        t.sec = (int64_t)ts.tv_sec;
        t.nsec = (uint32_t)ts.tv_nsec;
    }
    return t;
}

static void on_uv_timer(uv_timer_t *h);
static void on_uv_idle(uv_idle_t *h);

/* Starts the uv timer for the earliest deadline, or the idle handle if it
 * is due already, or stops both. (A libuv timer started with timeout 0 from
 * inside a timer callback runs again in the same pass, so due timers go
 * through the idle handle, which runs once per loop turn and keeps the
 * poll from blocking.) */
static void reschedule(mote_posix_clock *c)
{
    if (c->dispatching)
        return; /* done once at the end of the dispatch */
    if (c->heap_len == 0) {
        uv_timer_stop(&c->uvt);
        uv_idle_stop(&c->idle);
        return;
    }
    uint64_t now = uv_hrtime(), dl = c->heap[0]->deadline;
    if (dl <= now) {
        uv_timer_stop(&c->uvt);
        uv_idle_start(&c->idle, on_uv_idle);
        return;
    }
    uv_idle_stop(&c->idle);
    uint64_t ms = (dl - now + MOTE_NS_PER_MS - 1) / MOTE_NS_PER_MS;
    /* libuv measures the timeout from its cached loop time, which may lag
     * behind uv_hrtime(); the dispatch checks the real time again. */
    uv_update_time(c->loop);
    uv_timer_start(&c->uvt, on_uv_timer, ms, 0);
}

static void dispatch(mote_posix_clock *c);

static void on_uv_timer(uv_timer_t *h)
{
    dispatch(h->data);
}

static void on_uv_idle(uv_idle_t *h)
{
    dispatch(h->data);
}

static void dispatch(mote_posix_clock *c)
{
    uint64_t now = uv_hrtime();
    uint64_t limit = c->seq; /* timers armed from here on wait a turn */
    c->dispatching = 1;
    while (c->heap_len > 0) {
        mote_timer *t = c->heap[0];
        if (t->deadline > now || t->seq >= limit)
            break;
        heap_remove(c, t);
        /* The callback may re-arm, cancel or free t, or other timers. */
        t->fn(t->arg);
    }
    c->dispatching = 0;
    reschedule(c);
}

static mote_timer *clk_timer_new(void *ctx, mote_timer_fn fn, void *arg)
{
    mote_posix_clock *c = ctx;
    if (!fn)
        return NULL;
    /* The heap never holds more timers than exist, so growing both arrays
     * here keeps arming allocation-free. */
    if (c->heap_cap <= c->all_len) {
        size_t cap = c->heap_cap ? 2 * c->heap_cap : 16;
        mote_timer **h = realloc(c->heap, cap * sizeof *h);
        if (!h)
            return NULL;
        c->heap = h;
        c->heap_cap = cap;
    }
    if (c->all_cap <= c->all_len) {
        size_t cap = c->all_cap ? 2 * c->all_cap : 16;
        mote_timer **a = realloc(c->all, cap * sizeof *a);
        if (!a)
            return NULL;
        c->all = a;
        c->all_cap = cap;
    }
    mote_timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->clock = c;
    t->fn = fn;
    t->arg = arg;
    t->heap_index = NOT_ARMED;
    t->all_index = c->all_len;
    c->all[c->all_len++] = t;
    return t;
}

static void clk_timer_arm(void *ctx, mote_timer *t, uint64_t deadline)
{
    mote_posix_clock *c = ctx;
    heap_remove(c, t);
    t->deadline = deadline;
    t->seq = c->seq++;
    /* heap_cap >= all_len >= heap_len + 1 here. */
    heap_set(c, c->heap_len++, t);
    sift_up(c, t->heap_index);
    reschedule(c);
}

static void clk_timer_cancel(void *ctx, mote_timer *t)
{
    mote_posix_clock *c = ctx;
    int was_top = t->heap_index == 0;
    heap_remove(c, t);
    if (was_top)
        reschedule(c);
}

static void clk_timer_free(void *ctx, mote_timer *t)
{
    mote_posix_clock *c = ctx;
    clk_timer_cancel(ctx, t);
    mote_timer *last = c->all[--c->all_len];
    c->all[t->all_index] = last;
    last->all_index = t->all_index;
    free(t);
}

mote_posix_clock *mote_posix_clock_new(uv_loop_t *loop, int *err)
{
    mote_posix_clock *c = calloc(1, sizeof *c);
    if (!c) {
        if (err)
            *err = MOTE_ENOMEM;
        return NULL;
    }
    int rc = uv_timer_init(loop, &c->uvt);
    if (rc < 0) {
        free(c);
        if (err)
            *err = mote_posix_error(rc);
        return NULL;
    }
    uv_idle_init(loop, &c->idle); /* cannot fail on Unix */
    c->open_handles = 2;
    c->loop = loop;
    c->uvt.data = c;
    c->idle.data = c;
    c->clock.ctx = c;
    c->clock.now = clk_now;
    c->clock.wall = clk_wall;
    c->clock.timer_new = clk_timer_new;
    c->clock.timer_arm = clk_timer_arm;
    c->clock.timer_cancel = clk_timer_cancel;
    c->clock.timer_free = clk_timer_free;
    if (err)
        *err = 0;
    return c;
}

mote_clock *mote_posix_clock_clock(mote_posix_clock *c)
{
    return &c->clock;
}

static void on_clock_closed(uv_handle_t *h)
{
    mote_posix_clock *c = h->data;
    if (--c->open_handles == 0)
        free(c);
}

void mote_posix_clock_free(mote_posix_clock *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->all_len; i++)
        free(c->all[i]);
    free(c->all);
    free(c->heap);
    c->all = c->heap = NULL;
    c->all_len = c->heap_len = 0;
    uv_close((uv_handle_t *)&c->uvt, on_clock_closed);
    uv_close((uv_handle_t *)&c->idle, on_clock_closed);
}
