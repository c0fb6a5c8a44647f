/*
 * vchan.c - the vchan endpoint, written once over the memory, events and
 * configuration interfaces of a backend.
 *
 * Rules kept here (the Xen vchan protocol):
 * - indices are free-running 32-bit counters; a ring position is the index
 *   masked by the ring size; prod - cons is the number of bytes in a ring;
 * - a writer copies the bytes, then publishes prod with release order; a
 *   reader loads prod with acquire order, copies, then publishes cons;
 * - before sleeping, a side sets a bit in the peer's notify byte (the one
 *   the peer checks after acting), then re-reads the indices; after acting,
 *   a side clears the bit in its own notify byte and signals only if it
 *   was set. Full barriers sit between the index updates and the bit
 *   operations, so no wake-up is lost.
 * Every shared value is loaded once into a local and checked before use;
 * this side's own indices live in locals, and a shared copy that differs
 * from them is a scribbling peer (MOTE_EPROTO).
 */
#include "mote/vchan.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vchan_int.h"

#define LOG_COMPONENT "vchan"

struct mote_vchan {
    mote_vchan_backend be;
    int is_server;
    int connected; /* client: mapped and live; server: always 1 */
    int err;       /* sticky failure */
    int peer_gone; /* the backend saw the peer go away */
    int peer_seen; /* server: the client has been live */
    int shut;      /* we set our live byte to 0 */
    int want_read, want_write;
    uint64_t spin_ns, spin_cur; /* the budget, and what adaptation left of it */
    unsigned spin_skip;
    const mote_log *log;

    struct mote_vchan_shared *ctrl;
    uint32_t ctrl_ref;
    /* Ring memory that is not inside the control page (NULL if it is). */
    void *left_pages, *right_pages;
    size_t left_npages, right_npages;

    uint8_t *rd_ring, *wr_ring;
    uint32_t rd_size, wr_size; /* powers of two */
    uint32_t *rd_cons_p, *rd_prod_p, *wr_cons_p, *wr_prod_p;
    uint32_t rd_cons, wr_prod; /* our own indices: the truth */
    uint8_t *req_notify_p;     /* the byte we set to ask the peer for a signal */
    uint8_t *send_notify_p;    /* the byte we clear after acting */
    uint8_t *peer_live_p, *my_live_p;
};

enum { PEER_OPEN = 0, PEER_WAITING = 1, PEER_GONE = 2 };

static uint32_t load_acq32(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint32_t load_rlx32(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store_rel32(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static int fail(mote_vchan *v, int err)
{
    if (!v->err) {
        v->err = err;
        mote_logf(v->log, MOTE_LOG_WARN, LOG_COMPONENT, "%s: %s",
                  v->is_server ? "server" : "client", mote_strerror(err));
        if (v->my_live_p && !v->shut) {
            __atomic_store_n(v->my_live_p, (uint8_t)VCHAN_LIVE_EXITED, __ATOMIC_RELEASE);
            v->shut = 1;
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            v->be.ev.notify(v->be.ev.ctx);
        }
    }
    return v->err;
}

void mote_vchan_opts_default(mote_vchan_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->spin_ns = 20000;
}

/* ---- orders and layout ------------------------------------------------ */

static size_t ring_pages(unsigned order)
{
    return order >= VCHAN_PAGE_ORDER ? (size_t)1 << (order - VCHAN_PAGE_ORDER) : 0;
}

/* 0 if the two orders make a valid layout: each in range, the in-page
 * slots not both taken by one ring size, and the grant list ending before
 * the first in-page ring. */
static int check_orders(unsigned lo, unsigned ro)
{
    if (lo < MOTE_VCHAN_MIN_ORDER || lo > MOTE_VCHAN_MAX_ORDER || ro < MOTE_VCHAN_MIN_ORDER ||
        ro > MOTE_VCHAN_MAX_ORDER)
        return -1;
    if ((lo == VCHAN_SMALL_ORDER && ro == VCHAN_SMALL_ORDER) ||
        (lo == VCHAN_LARGE_ORDER && ro == VCHAN_LARGE_ORDER))
        return -1;
    size_t limit = MOTE_VCHAN_PAGE_SIZE;
    if (lo == VCHAN_LARGE_ORDER || ro == VCHAN_LARGE_ORDER)
        limit = 2048;
    if (lo == VCHAN_SMALL_ORDER || ro == VCHAN_SMALL_ORDER)
        limit = 1024;
    size_t grants = ring_pages(lo) + ring_pages(ro);
    if (VCHAN_GRANTS_OFFSET + 4 * grants > limit)
        return -1;
    return 0;
}

static unsigned order_for(size_t min)
{
    if (min == 0)
        min = (size_t)1 << MOTE_VCHAN_DEFAULT_ORDER;
    unsigned o = MOTE_VCHAN_MIN_ORDER;
    while (o < MOTE_VCHAN_MAX_ORDER && ((size_t)1 << o) < min)
        o++;
    return ((size_t)1 << o) < min ? 0 : o;
}

/* Points the ring pointers and index pointers at the shared memory. */
static void setup_rings(mote_vchan *v, uint8_t *left, unsigned lo, uint8_t *right, unsigned ro)
{
    struct mote_vchan_shared *c = v->ctrl;
    if (v->is_server) {
        v->rd_ring = left, v->rd_size = 1u << lo;
        v->wr_ring = right, v->wr_size = 1u << ro;
        v->rd_cons_p = &c->left.cons, v->rd_prod_p = &c->left.prod;
        v->wr_cons_p = &c->right.cons, v->wr_prod_p = &c->right.prod;
        v->req_notify_p = &c->cli_notify, v->send_notify_p = &c->srv_notify;
        v->peer_live_p = &c->cli_live, v->my_live_p = &c->srv_live;
    } else {
        v->rd_ring = right, v->rd_size = 1u << ro;
        v->wr_ring = left, v->wr_size = 1u << lo;
        v->rd_cons_p = &c->right.cons, v->rd_prod_p = &c->right.prod;
        v->wr_cons_p = &c->left.cons, v->wr_prod_p = &c->left.prod;
        v->req_notify_p = &c->srv_notify, v->send_notify_p = &c->cli_notify;
        v->peer_live_p = &c->srv_live, v->my_live_p = &c->cli_live;
    }
}

static uint8_t *inpage_ring(mote_vchan *v, unsigned order)
{
    return (uint8_t *)v->ctrl + (order == VCHAN_SMALL_ORDER ? 1024 : 2048);
}

static void release_all(mote_vchan *v)
{
    const mote_vchan_memory *m = &v->be.mem;
    if (v->is_server) {
        if (v->left_pages)
            m->unshare(m->ctx, v->left_pages, v->left_npages);
        if (v->right_pages)
            m->unshare(m->ctx, v->right_pages, v->right_npages);
        if (v->ctrl)
            m->unshare(m->ctx, v->ctrl, 1);
    } else {
        if (v->left_pages)
            m->unmap(m->ctx, v->left_pages, v->left_npages);
        if (v->right_pages)
            m->unmap(m->ctx, v->right_pages, v->right_npages);
        if (v->ctrl)
            m->unmap(m->ctx, v->ctrl, 1);
    }
    v->left_pages = v->right_pages = NULL;
    v->ctrl = NULL;
    if (v->be.release)
        v->be.release(v->be.release_ctx);
    v->be.release = NULL;
}

static mote_vchan *new_endpoint(const mote_vchan_backend *be, const mote_vchan_opts *o, int server)
{
    mote_vchan *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->be = *be;
    v->is_server = server;
    mote_vchan_opts d;
    if (!o) {
        mote_vchan_opts_default(&d);
        o = &d;
    }
    v->spin_ns = v->spin_cur = o->spin_ns;
    v->log = o->log;
    return v;
}

/* ---- server ----------------------------------------------------------- */

mote_vchan *mote_vchan_server_new(const mote_vchan_backend *be, const mote_vchan_opts *o, int *err)
{
    int e = 0;
    mote_vchan_opts d;
    if (!o) {
        mote_vchan_opts_default(&d);
        o = &d;
    }
    if (!be || !be->mem.share || !be->ev.listen || !be->cfg.publish) {
        if (be && be->release)
            be->release(be->release_ctx);
        if (err)
            *err = MOTE_EINVAL;
        return NULL;
    }
    unsigned lo = order_for(o->read_min), ro = order_for(o->write_min);
    if (lo && ro) {
        if (lo == VCHAN_SMALL_ORDER && ro == VCHAN_SMALL_ORDER)
            ro = VCHAN_LARGE_ORDER;
        else if (lo == VCHAN_LARGE_ORDER && ro == VCHAN_LARGE_ORDER)
            ro = VCHAN_PAGE_ORDER;
        /* A defaulted ring beside an in-page one gives up some size so
         * the page list ends before that ring (a 1 MiB ring needs 256
         * references, more than fit below offset 1024). */
        while (check_orders(lo, ro) != 0 && o->read_min == 0 && lo > MOTE_VCHAN_MIN_DEFAULT)
            lo--;
        while (check_orders(lo, ro) != 0 && o->write_min == 0 && ro > MOTE_VCHAN_MIN_DEFAULT)
            ro--;
    }
    mote_vchan *v = new_endpoint(be, o, 1);
    if (!v) {
        if (be->release)
            be->release(be->release_ctx);
        if (err)
            *err = MOTE_ENOMEM;
        return NULL;
    }
    if (!lo || !ro || check_orders(lo, ro) != 0) {
        e = MOTE_ELIMIT;
        goto fail;
    }
    v->connected = 1;
    const mote_vchan_memory *m = &be->mem;
    void *addr = NULL;
    e = m->share(m->ctx, 1, &v->ctrl_ref, &addr);
    if (e)
        goto fail;
    v->ctrl = addr;
    memset(v->ctrl, 0, MOTE_VCHAN_PAGE_SIZE);
    uint32_t *grants = (uint32_t *)((uint8_t *)v->ctrl + VCHAN_GRANTS_OFFSET);
    uint8_t *left = NULL, *right = NULL;
    if (lo >= VCHAN_PAGE_ORDER) {
        v->left_npages = ring_pages(lo);
        e = m->share(m->ctx, v->left_npages, grants, &v->left_pages);
        if (e)
            goto fail;
        left = v->left_pages;
    } else {
        left = inpage_ring(v, lo);
    }
    if (ro >= VCHAN_PAGE_ORDER) {
        v->right_npages = ring_pages(ro);
        e = m->share(m->ctx, v->right_npages, grants + v->left_npages, &v->right_pages);
        if (e)
            goto fail;
        right = v->right_pages;
    } else {
        right = inpage_ring(v, ro);
    }
    struct mote_vchan_shared *c = v->ctrl;
    c->left.cons = c->left.prod = o->start_index;
    c->right.cons = c->right.prod = o->start_index;
    c->left_order = (uint16_t)lo;
    c->right_order = (uint16_t)ro;
    c->cli_live = VCHAN_LIVE_WAITING;
    c->srv_live = VCHAN_LIVE_OPEN;
    c->cli_notify = VCHAN_NOTIFY_WRITE;
    c->srv_notify = VCHAN_NOTIFY_WRITE;
    setup_rings(v, left, lo, right, ro);
    v->rd_cons = v->wr_prod = o->start_index;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    uint32_t port = 0;
    e = be->ev.listen(be->ev.ctx, &port);
    if (e)
        goto fail;
    e = be->cfg.publish(be->cfg.ctx, v->ctrl_ref, port);
    if (e)
        goto fail;
    mote_logf(v->log, MOTE_LOG_DEBUG, LOG_COMPONENT, "server: rings %u/%u, ref %u port %u", lo, ro,
              (unsigned)v->ctrl_ref, (unsigned)port);
    return v;
fail:
    v->my_live_p = NULL;
    release_all(v);
    free(v);
    if (err)
        *err = e;
    return NULL;
}

/* ---- client ----------------------------------------------------------- */

/* Finishes the client's setup: 0, MOTE_EAGAIN if the server has not
 * answered yet, or a sticky error. */
static int client_connect(mote_vchan *v)
{
    if (v->err)
        return v->err;
    if (v->connected)
        return 0;
    const mote_vchan_memory *m = &v->be.mem;
    uint32_t ref = 0, port = 0;
    int e = v->be.cfg.lookup(v->be.cfg.ctx, &ref, &port);
    if (e == MOTE_EAGAIN)
        return e;
    if (e)
        return fail(v, e);
    void *addr = NULL;
    e = m->map(m->ctx, &ref, 1, &addr);
    if (e)
        return fail(v, e);
    v->ctrl = addr;
    v->ctrl_ref = ref;
    struct mote_vchan_shared *c = v->ctrl;
    /* One load of each value the server put there. */
    unsigned lo = __atomic_load_n(&c->left_order, __ATOMIC_ACQUIRE);
    unsigned ro = __atomic_load_n(&c->right_order, __ATOMIC_ACQUIRE);
    if (check_orders(lo, ro) != 0) {
        mote_logf(v->log, MOTE_LOG_WARN, LOG_COMPONENT, "client: bad ring orders %u/%u", lo, ro);
        return fail(v, MOTE_EPROTO);
    }
    size_t nl = ring_pages(lo), nr = ring_pages(ro);
    uint32_t grants[(MOTE_VCHAN_PAGE_SIZE - VCHAN_GRANTS_OFFSET) / 4];
    const uint32_t *g = (const uint32_t *)((const uint8_t *)c + VCHAN_GRANTS_OFFSET);
    for (size_t i = 0; i < nl + nr; i++)
        grants[i] = __atomic_load_n(&g[i], __ATOMIC_RELAXED);
    uint8_t *left, *right;
    if (nl) {
        e = m->map(m->ctx, grants, nl, &v->left_pages);
        if (e)
            return fail(v, e);
        v->left_npages = nl;
        left = v->left_pages;
    } else {
        left = inpage_ring(v, lo);
    }
    if (nr) {
        e = m->map(m->ctx, grants + nl, nr, &v->right_pages);
        if (e)
            return fail(v, e);
        v->right_npages = nr;
        right = v->right_pages;
    } else {
        right = inpage_ring(v, ro);
    }
    setup_rings(v, left, lo, right, ro);
    e = v->be.ev.connect(v->be.ev.ctx, port);
    if (e)
        return fail(v, e);
    /* Our indices start where the server put them; check they are sane. */
    v->wr_prod = load_acq32(v->wr_prod_p);
    v->rd_cons = load_acq32(v->rd_cons_p);
    uint32_t wcons = load_acq32(v->wr_cons_p);
    if (v->wr_prod - wcons > v->wr_size)
        return fail(v, MOTE_EPROTO);
    v->connected = 1;
    __atomic_store_n(v->my_live_p, (uint8_t)VCHAN_LIVE_OPEN, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    v->be.ev.notify(v->be.ev.ctx);
    mote_logf(v->log, MOTE_LOG_DEBUG, LOG_COMPONENT, "client: connected, rings %u/%u", lo, ro);
    return 0;
}

mote_vchan *mote_vchan_client_new(const mote_vchan_backend *be, const mote_vchan_opts *o, int *err)
{
    if (!be || !be->mem.map || !be->ev.connect || !be->cfg.lookup) {
        if (be && be->release)
            be->release(be->release_ctx);
        if (err)
            *err = MOTE_EINVAL;
        return NULL;
    }
    mote_vchan *v = new_endpoint(be, o, 0);
    if (!v) {
        if (be->release)
            be->release(be->release_ctx);
        if (err)
            *err = MOTE_ENOMEM;
        return NULL;
    }
    int e = client_connect(v);
    if (e && e != MOTE_EAGAIN) {
        v->my_live_p = NULL;
        release_all(v);
        free(v);
        if (err)
            *err = e;
        return NULL;
    }
    return v;
}

/* ---- the data path ---------------------------------------------------- */

static int peer_status(mote_vchan *v)
{
    if (v->peer_gone)
        return PEER_GONE;
    uint8_t l = __atomic_load_n(v->peer_live_p, __ATOMIC_ACQUIRE);
    if (l == VCHAN_LIVE_EXITED)
        return PEER_GONE;
    if (l == VCHAN_LIVE_OPEN) {
        v->peer_seen = 1;
        return PEER_OPEN;
    }
    if (l == VCHAN_LIVE_WAITING && v->is_server && !v->peer_seen)
        return PEER_WAITING;
    return fail(v, MOTE_EPROTO);
}

static void request_notify(mote_vchan *v, uint8_t bit)
{
    __atomic_fetch_or(v->req_notify_p, bit, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the request before re-reading indices */
}

static void send_notify(mote_vchan *v, uint8_t bit)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the index update before the bit */
    uint8_t prev = __atomic_fetch_and(v->send_notify_p, (uint8_t)~bit, __ATOMIC_SEQ_CST);
    if (prev & bit)
        v->be.ev.notify(v->be.ev.ctx);
}

/* Bytes ready to read, checked: 0 or MOTE_EPROTO. */
static int rd_ready(mote_vchan *v, uint32_t *n)
{
    uint32_t prod = load_acq32(v->rd_prod_p);
    uint32_t cons = load_rlx32(v->rd_cons_p);
    if (cons != v->rd_cons)
        return fail(v, MOTE_EPROTO);
    uint32_t ready = prod - v->rd_cons;
    if (ready > v->rd_size)
        return fail(v, MOTE_EPROTO);
    *n = ready;
    return 0;
}

/* Free space in the ring we write, checked: 0 or MOTE_EPROTO. */
static int wr_space(mote_vchan *v, uint32_t *n)
{
    uint32_t cons = load_acq32(v->wr_cons_p);
    uint32_t prod = load_rlx32(v->wr_prod_p);
    if (prod != v->wr_prod)
        return fail(v, MOTE_EPROTO);
    uint32_t used = v->wr_prod - cons;
    if (used > v->wr_size)
        return fail(v, MOTE_EPROTO);
    *n = v->wr_size - used;
    return 0;
}

static int enter(mote_vchan *v)
{
    if (v->err)
        return v->err;
    if (!v->connected)
        return client_connect(v);
    return 0;
}

int mote_vchan_read(mote_vchan *v, void *buf, size_t len, size_t *got)
{
    *got = 0;
    int rc = enter(v);
    if (rc)
        return rc;
    if (len == 0)
        return 0;
    uint32_t n = 0;
    if ((rc = rd_ready(v, &n)) != 0)
        return rc;
    if (n == 0) {
        request_notify(v, VCHAN_NOTIFY_WRITE);
        int st = peer_status(v);
        if (st < 0)
            return st;
        if ((rc = rd_ready(v, &n)) != 0)
            return rc;
        if (n == 0) {
            v->want_read = 1;
            return st == PEER_GONE ? MOTE_ECLOSED : MOTE_EAGAIN;
        }
    }
    uint32_t k = len < n ? (uint32_t)len : n;
    uint32_t idx = v->rd_cons & (v->rd_size - 1);
    uint32_t first = v->rd_size - idx < k ? v->rd_size - idx : k;
    memcpy(buf, v->rd_ring + idx, first);
    memcpy((uint8_t *)buf + first, v->rd_ring, k - first);
    v->rd_cons += k;
    store_rel32(v->rd_cons_p, v->rd_cons);
    send_notify(v, VCHAN_NOTIFY_READ);
    v->want_read = 0;
    *got = k;
    return 0;
}

int mote_vchan_write(mote_vchan *v, const void *buf, size_t len, size_t *put)
{
    *put = 0;
    int rc = enter(v);
    if (rc)
        return rc;
    if (v->shut)
        return MOTE_ECLOSED;
    int st = peer_status(v);
    if (st < 0)
        return st;
    if (st == PEER_GONE)
        return MOTE_ECLOSED;
    if (len == 0)
        return 0;
    uint32_t n = 0;
    if ((rc = wr_space(v, &n)) != 0)
        return rc;
    if (n == 0) {
        request_notify(v, VCHAN_NOTIFY_READ);
        if ((rc = wr_space(v, &n)) != 0)
            return rc;
        if (n == 0) {
            v->want_write = 1;
            return MOTE_EAGAIN;
        }
    }
    uint32_t k = len < n ? (uint32_t)len : n;
    uint32_t idx = v->wr_prod & (v->wr_size - 1);
    uint32_t first = v->wr_size - idx < k ? v->wr_size - idx : k;
    memcpy(v->wr_ring + idx, buf, first);
    memcpy(v->wr_ring, (const uint8_t *)buf + first, k - first);
    v->wr_prod += k;
    store_rel32(v->wr_prod_p, v->wr_prod);
    send_notify(v, VCHAN_NOTIFY_WRITE);
    v->want_write = 0;
    *put = k;
    return 0;
}

size_t mote_vchan_readable(mote_vchan *v)
{
    uint32_t n = 0;
    if (enter(v) || rd_ready(v, &n))
        return 0;
    return n;
}

size_t mote_vchan_writable(mote_vchan *v)
{
    uint32_t n = 0;
    if (enter(v) || v->shut || wr_space(v, &n))
        return 0;
    int st = peer_status(v);
    return st == PEER_OPEN || st == PEER_WAITING ? n : 0;
}

/* 1 if a wait has something to report now. */
static int ready_now(mote_vchan *v)
{
    if (v->err)
        return 1;
    int st = peer_status(v);
    if (st < 0 || st == PEER_GONE)
        return 1;
    uint32_t n = 0;
    if (v->want_read || !v->want_write) {
        if (rd_ready(v, &n) != 0 || n > 0)
            return 1;
    }
    if (v->want_write && !v->shut) {
        if (wr_space(v, &n) != 0 || n > 0)
            return 1;
    }
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* The result of a wait once something happened. */
static int wait_result(mote_vchan *v)
{
    if (v->err)
        return v->err;
    int st = peer_status(v);
    if (st < 0)
        return st;
    if (st == PEER_GONE) {
        uint32_t n = 0;
        int rc = rd_ready(v, &n);
        if (rc)
            return rc;
        return n > 0 ? 0 : MOTE_ECLOSED;
    }
    return 0;
}

int mote_vchan_wait(mote_vchan *v, int timeout_ms)
{
    if (v->err)
        return v->err;
    if (!v->connected) {
        int rc = client_connect(v);
        if (rc != MOTE_EAGAIN)
            return rc;
        rc = v->be.ev.wait(v->be.ev.ctx, timeout_ms);
        if (rc == MOTE_ECLOSED)
            return fail(v, MOTE_ECLOSED);
        if (rc)
            return rc;
        rc = client_connect(v);
        return rc == MOTE_EAGAIN ? 0 : rc;
    }
    if (ready_now(v))
        return wait_result(v);
    /* Spin first, adaptively: a spin that found nothing halves the next
     * budget (down to none, with a full-budget probe every 32 blocking
     * waits); one that succeeded restores it. While spinning our requests
     * for signals are withdrawn, so a peer that acts meanwhile makes no
     * system call for us. */
    uint64_t budget = timeout_ms != 0 ? v->spin_cur : 0;
    if (timeout_ms != 0 && budget == 0 && v->spin_ns && ++v->spin_skip >= 32) {
        budget = v->spin_ns;
        v->spin_skip = 0;
    }
    if (budget) {
        __atomic_fetch_and(v->req_notify_p, (uint8_t) ~(VCHAN_NOTIFY_WRITE | VCHAN_NOTIFY_READ),
                           __ATOMIC_RELAXED);
        uint64_t end = now_ns() + budget;
        unsigned i = 0;
        int hit = 0;
        for (;;) {
            cpu_relax();
            if (ready_now(v)) {
                hit = 1;
                break;
            }
            if ((++i & 15) == 0 && now_ns() >= end)
                break;
        }
        v->spin_cur = hit ? v->spin_ns : (budget / 2 < 1000 ? 0 : budget / 2);
        if (hit)
            return wait_result(v);
    }
    for (;;) {
        /* Ask for the signals we wait for, then look again (no lost
         * wake-up). This is redone after every wake-up: a signal may be
         * a late one for something we saw already, and the peer cleared
         * our request when it sent it. */
        if (v->want_read || !v->want_write)
            request_notify(v, VCHAN_NOTIFY_WRITE);
        if (v->want_write)
            request_notify(v, VCHAN_NOTIFY_READ);
        if (ready_now(v))
            return wait_result(v);
        int rc = v->be.ev.wait(v->be.ev.ctx, timeout_ms);
        if (rc == MOTE_ECLOSED) {
            v->peer_gone = 1;
            return wait_result(v);
        }
        if (rc)
            return rc;
        if (ready_now(v) || timeout_ms >= 0)
            return wait_result(v);
    }
}

int mote_vchan_handle_events(mote_vchan *v)
{
    if (v->err)
        return v->err;
    int rc = v->be.ev.wait(v->be.ev.ctx, 0);
    if (rc == MOTE_ECLOSED) {
        if (!v->connected)
            return fail(v, MOTE_ECLOSED);
        v->peer_gone = 1;
    } else if (rc && rc != MOTE_ETIMEDOUT) {
        return rc;
    }
    if (!v->connected) {
        rc = client_connect(v);
        return rc == MOTE_EAGAIN ? 0 : rc;
    }
    return v->err;
}

int mote_vchan_read_blocking(mote_vchan *v, void *buf, size_t len, size_t *got, int timeout_ms)
{
    for (;;) {
        int rc = mote_vchan_read(v, buf, len, got);
        if (rc != MOTE_EAGAIN)
            return rc;
        rc = mote_vchan_wait(v, timeout_ms);
        if (rc == MOTE_ECLOSED)
            return mote_vchan_read(v, buf, len, got);
        if (rc)
            return rc;
    }
}

int mote_vchan_write_all(mote_vchan *v, const void *buf, size_t len, int timeout_ms)
{
    const uint8_t *p = buf;
    while (len > 0) {
        size_t put = 0;
        int rc = mote_vchan_write(v, p, len, &put);
        if (rc == 0) {
            p += put;
            len -= put;
            continue;
        }
        if (rc != MOTE_EAGAIN)
            return rc;
        rc = mote_vchan_wait(v, timeout_ms);
        if (rc && rc != MOTE_ECLOSED)
            return rc;
    }
    return 0;
}

int mote_vchan_state(mote_vchan *v)
{
    if (v->err)
        return v->err == MOTE_ECLOSED ? MOTE_VCHAN_CLOSED : MOTE_VCHAN_FAILED;
    if (!v->connected) {
        int rc = client_connect(v);
        if (rc == MOTE_EAGAIN)
            return MOTE_VCHAN_CONNECTING;
        if (rc)
            return rc == MOTE_ECLOSED ? MOTE_VCHAN_CLOSED : MOTE_VCHAN_FAILED;
    }
    if (v->shut)
        return MOTE_VCHAN_CLOSED;
    int st = peer_status(v);
    if (st < 0)
        return MOTE_VCHAN_FAILED;
    return st == PEER_OPEN      ? MOTE_VCHAN_OPEN
           : st == PEER_WAITING ? MOTE_VCHAN_CONNECTING
                                : MOTE_VCHAN_CLOSED;
}

int mote_vchan_error(const mote_vchan *v)
{
    return v->err;
}

int mote_vchan_is_server(const mote_vchan *v)
{
    return v->is_server;
}

size_t mote_vchan_read_size(const mote_vchan *v)
{
    return v->connected ? v->rd_size : 0;
}

size_t mote_vchan_write_size(const mote_vchan *v)
{
    return v->connected ? v->wr_size : 0;
}

int mote_vchan_fd(mote_vchan *v)
{
    return v->be.ev.fd ? v->be.ev.fd(v->be.ev.ctx) : -1;
}

void mote_vchan_set_spin(mote_vchan *v, uint64_t spin_ns)
{
    v->spin_ns = v->spin_cur = spin_ns;
}

int mote_vchan_shutdown(mote_vchan *v)
{
    if (!v->connected || !v->my_live_p)
        return MOTE_ESTATE;
    if (v->shut)
        return 0;
    v->shut = 1;
    __atomic_store_n(v->my_live_p, (uint8_t)VCHAN_LIVE_EXITED, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    v->be.ev.notify(v->be.ev.ctx);
    return 0;
}

void mote_vchan_close(mote_vchan *v)
{
    if (!v)
        return;
    if (v->connected && v->my_live_p)
        mote_vchan_shutdown(v);
    release_all(v);
    free(v);
}

const volatile void *mote_vchan_shared_page(const mote_vchan *v)
{
    return v->ctrl;
}
