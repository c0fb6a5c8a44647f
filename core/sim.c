/* sim.c - in-memory devices: the fake clock, the seeded rng, memkv. */
#include "mote/sim.h"
#include "mote/error.h"

#include <stdlib.h>
#include <string.h>

/* ---- fake clock ---- */

struct mote_timer {
    mote_fakeclock *fc;
    mote_timer_fn fn;
    void *arg;
    uint64_t deadline;
    uint64_t seq; /* arming order, to break ties */
    int armed;
    int freed;               /* freed from inside its own callback */
    struct mote_timer *next; /* all timers of the clock */
};

struct mote_fakeclock {
    mote_clock clock;
    uint64_t now;
    mote_time wall0;
    uint64_t start;
    uint64_t seq;
    struct mote_timer *timers;
    struct mote_timer *running;
};

static uint64_t fc_now(void *ctx)
{
    return ((mote_fakeclock *)ctx)->now;
}

static mote_time fc_wall(void *ctx)
{
    mote_fakeclock *fc = ctx;
    uint64_t d = fc->now - fc->start;
    mote_time t = fc->wall0;
    uint64_t ns = t.nsec + d % MOTE_NS_PER_SEC;
    t.sec += (int64_t)(d / MOTE_NS_PER_SEC + ns / MOTE_NS_PER_SEC);
    t.nsec = (uint32_t)(ns % MOTE_NS_PER_SEC);
    return t;
}

static mote_timer *fc_timer_new(void *ctx, mote_timer_fn fn, void *arg)
{
    mote_fakeclock *fc = ctx;
    mote_timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->fc = fc;
    t->fn = fn;
    t->arg = arg;
    t->next = fc->timers;
    fc->timers = t;
    return t;
}

static void fc_timer_arm(void *ctx, mote_timer *t, uint64_t deadline)
{
    mote_fakeclock *fc = ctx;
    t->deadline = deadline;
    t->seq = fc->seq++;
    t->armed = 1;
}

static void fc_timer_cancel(void *ctx, mote_timer *t)
{
    (void)ctx;
    t->armed = 0;
}

static void unlink_timer(mote_fakeclock *fc, mote_timer *t)
{
    for (mote_timer **pp = &fc->timers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            return;
        }
    }
}

static void fc_timer_free(void *ctx, mote_timer *t)
{
    mote_fakeclock *fc = ctx;
    t->armed = 0;
    if (fc->running == t) {
        t->freed = 1; /* released once its callback returns */
        return;
    }
    unlink_timer(fc, t);
    free(t);
}

mote_fakeclock *mote_fakeclock_new(uint64_t start, mote_time wall)
{
    mote_fakeclock *fc = calloc(1, sizeof *fc);
    if (!fc)
        return NULL;
    fc->now = start;
    fc->start = start;
    fc->wall0 = wall;
    fc->clock.ctx = fc;
    fc->clock.now = fc_now;
    fc->clock.wall = fc_wall;
    fc->clock.timer_new = fc_timer_new;
    fc->clock.timer_arm = fc_timer_arm;
    fc->clock.timer_cancel = fc_timer_cancel;
    fc->clock.timer_free = fc_timer_free;
    return fc;
}

void mote_fakeclock_free(mote_fakeclock *fc)
{
    if (!fc)
        return;
    mote_timer *t = fc->timers;
    while (t) {
        mote_timer *n = t->next;
        free(t);
        t = n;
    }
    free(fc);
}

mote_clock *mote_fakeclock_clock(mote_fakeclock *fc)
{
    return &fc->clock;
}

static mote_timer *earliest(mote_fakeclock *fc)
{
    mote_timer *best = NULL;
    for (mote_timer *t = fc->timers; t; t = t->next) {
        if (!t->armed)
            continue;
        if (!best || t->deadline < best->deadline ||
            (t->deadline == best->deadline && t->seq < best->seq))
            best = t;
    }
    return best;
}

int mote_fakeclock_next(mote_fakeclock *fc, uint64_t *deadline)
{
    mote_timer *t = earliest(fc);
    if (!t)
        return MOTE_ENOTFOUND;
    *deadline = t->deadline;
    return 0;
}

static void fire(mote_fakeclock *fc, mote_timer *t)
{
    t->armed = 0;
    if (t->deadline > fc->now)
        fc->now = t->deadline;
    fc->running = t;
    t->fn(t->arg);
    fc->running = NULL;
    if (t->freed) {
        unlink_timer(fc, t);
        free(t);
    }
}

size_t mote_fakeclock_advance(mote_fakeclock *fc, uint64_t ns)
{
    uint64_t target = fc->now + ns;
    size_t fired = 0;
    mote_timer *t;
    while ((t = earliest(fc)) && t->deadline <= target) {
        fire(fc, t);
        fired++;
    }
    fc->now = target;
    return fired;
}

size_t mote_fakeclock_run(mote_fakeclock *fc, uint64_t limit, size_t max_fires)
{
    size_t fired = 0;
    mote_timer *t;
    while (fired < max_fires && (t = earliest(fc)) && t->deadline <= limit) {
        fire(fc, t);
        fired++;
    }
    return fired;
}

/* ---- seeded rng: xoshiro256** seeded through splitmix64 ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t mote_seeded_rng_next(mote_seeded_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t mote_seeded_rng_below(mote_seeded_rng *r, uint64_t bound)
{
    if (bound <= 1)
        return 0;
    /* Rejection sampling removes the modulo bias. */
    uint64_t lim = UINT64_MAX - UINT64_MAX % bound;
    uint64_t v;
    do
        v = mote_seeded_rng_next(r);
    while (v >= lim);
    return v % bound;
}

static int seeded_fill(void *ctx, void *buf, size_t len)
{
    mote_seeded_rng *r = ctx;
    uint8_t *p = buf;
    while (len) {
        uint64_t v = mote_seeded_rng_next(r);
        size_t n = len < 8 ? len : 8;
        memcpy(p, &v, n);
        p += n;
        len -= n;
    }
    return 0;
}

void mote_seeded_rng_init(mote_seeded_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    r->rng.ctx = r;
    r->rng.fill = seeded_fill;
}

/* ---- memkv: sorted array of owned entries ---- */

struct entry {
    char *key;
    uint8_t *data;
    size_t len;
};

struct mote_memkv {
    mote_kv kv;
    struct entry *e;
    size_t n, cap;
};

static struct entry *kv_find(mote_memkv *m, const char *key, size_t *pos)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->e[mid].key, key);
        if (c == 0) {
            *pos = mid;
            return &m->e[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return NULL;
}

static int kv_size(void *ctx, const char *key, uint64_t *size)
{
    size_t pos;
    struct entry *e = kv_find(ctx, key, &pos);
    if (!e)
        return MOTE_ENOTFOUND;
    *size = e->len;
    return 0;
}

static int kv_read(void *ctx, const char *key, uint64_t off, void *buf, size_t len, size_t *got)
{
    size_t pos;
    struct entry *e = kv_find(ctx, key, &pos);
    *got = 0;
    if (!e)
        return MOTE_ENOTFOUND;
    if (off >= e->len)
        return 0;
    size_t n = e->len - (size_t)off;
    if (n > len)
        n = len;
    memcpy(buf, e->data + off, n);
    *got = n;
    return 0;
}

static int kv_list(void *ctx, const char *prefix, mote_kv_list_fn fn, void *arg)
{
    mote_memkv *m = ctx;
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < m->n; i++) {
        if (strncmp(m->e[i].key, prefix, plen) != 0)
            continue;
        int rc = fn(arg, m->e[i].key);
        if (rc)
            return rc;
    }
    return 0;
}

mote_memkv *mote_memkv_new(void)
{
    mote_memkv *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->kv.ctx = m;
    m->kv.size = kv_size;
    m->kv.read = kv_read;
    m->kv.list = kv_list;
    return m;
}

void mote_memkv_free(mote_memkv *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].key);
        free(m->e[i].data);
    }
    free(m->e);
    free(m);
}

int mote_memkv_put(mote_memkv *m, const char *key, const void *data, size_t len)
{
    if (!key)
        return MOTE_EINVAL;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return MOTE_ENOMEM;
    if (len)
        memcpy(copy, data, len);
    size_t pos;
    struct entry *e = kv_find(m, key, &pos);
    if (e) {
        free(e->data);
        e->data = copy;
        e->len = len;
        return 0;
    }
    char *k = strdup(key);
    if (!k) {
        free(copy);
        return MOTE_ENOMEM;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct entry *ne = realloc(m->e, cap * sizeof *ne);
        if (!ne) {
            free(k);
            free(copy);
            return MOTE_ENOMEM;
        }
        m->e = ne;
        m->cap = cap;
    }
    memmove(&m->e[pos + 1], &m->e[pos], (m->n - pos) * sizeof *m->e);
    m->e[pos].key = k;
    m->e[pos].data = copy;
    m->e[pos].len = len;
    m->n++;
    return 0;
}

mote_kv *mote_memkv_kv(mote_memkv *m)
{
    return &m->kv;
}
