/*
 * memback.c - an in-memory vchan backend pair: heap pages, counter events,
 * direct configuration. Used by tests, fuzzers and single-process use.
 * Pages shared by the server stay allocated until both sides have
 * released the pair, so the client can never touch freed memory.
 */
#include "mote/vchan.h"

#include <stdlib.h>
#include <string.h>

#define MEM_PORT      7u
#define MEM_MAX_PAGES 4096u

struct mem_block {
    uint8_t *pages;
    uint32_t first_ref;
    uint32_t npages;
};

struct mem_pair;

struct mem_side {
    struct mem_pair *pair;
    int idx;
    unsigned pending; /* signals not yet consumed */
    int gone;
    int released;
};

struct mem_pair {
    struct mem_side side[2]; /* 0 server, 1 client */
    struct mem_block blocks[16];
    size_t nblocks;
    uint32_t next_ref;
    int listening, published;
    uint32_t ring_ref, port;
};

static int m_share(void *ctx, size_t npages, uint32_t *refs, void **addr)
{
    struct mem_side *s = ctx;
    struct mem_pair *p = s->pair;
    if (npages == 0 || npages > MEM_MAX_PAGES ||
        p->nblocks == sizeof(p->blocks) / sizeof(p->blocks[0]))
        return MOTE_ELIMIT;
    uint8_t *pages = aligned_alloc(MOTE_VCHAN_PAGE_SIZE, npages * MOTE_VCHAN_PAGE_SIZE);
    if (!pages)
        return MOTE_ENOMEM;
    memset(pages, 0, npages * MOTE_VCHAN_PAGE_SIZE);
    struct mem_block *b = &p->blocks[p->nblocks++];
    b->pages = pages;
    b->first_ref = p->next_ref;
    b->npages = (uint32_t)npages;
    for (size_t i = 0; i < npages; i++)
        refs[i] = p->next_ref + (uint32_t)i;
    p->next_ref += (uint32_t)npages;
    *addr = pages;
    return 0;
}

static void m_unshare(void *ctx, void *addr, size_t npages)
{
    (void)ctx, (void)addr, (void)npages; /* freed with the pair */
}

static int m_map(void *ctx, const uint32_t *refs, size_t npages, void **addr)
{
    struct mem_side *s = ctx;
    struct mem_pair *p = s->pair;
    if (npages == 0)
        return MOTE_EPROTO;
    for (size_t i = 0; i < p->nblocks; i++) {
        struct mem_block *b = &p->blocks[i];
        if (refs[0] < b->first_ref || refs[0] - b->first_ref >= b->npages)
            continue;
        uint32_t off = refs[0] - b->first_ref;
        if (npages > b->npages - off)
            return MOTE_EPROTO;
        for (size_t j = 1; j < npages; j++)
            if (refs[j] != refs[0] + j)
                return MOTE_EPROTO; /* this backend maps only runs of pages */
        *addr = b->pages + (size_t)off * MOTE_VCHAN_PAGE_SIZE;
        return 0;
    }
    return MOTE_EPROTO;
}

static void m_unmap(void *ctx, void *addr, size_t npages)
{
    (void)ctx, (void)addr, (void)npages;
}

static int m_listen(void *ctx, uint32_t *port)
{
    struct mem_side *s = ctx;
    s->pair->listening = 1;
    *port = MEM_PORT;
    return 0;
}

static int m_connect(void *ctx, uint32_t port)
{
    struct mem_side *s = ctx;
    if (!s->pair->listening || port != MEM_PORT)
        return MOTE_EPROTO;
    return 0;
}

static int m_notify(void *ctx)
{
    struct mem_side *s = ctx;
    struct mem_side *o = &s->pair->side[1 - s->idx];
    if (o->gone)
        return MOTE_ECLOSED;
    o->pending++;
    return 0;
}

static int m_wait(void *ctx, int timeout_ms)
{
    (void)timeout_ms; /* one thread: nothing can change while we block */
    struct mem_side *s = ctx;
    if (s->pending) {
        s->pending = 0;
        return 0;
    }
    if (s->pair->side[1 - s->idx].gone)
        return MOTE_ECLOSED;
    return MOTE_ETIMEDOUT;
}

static int m_fd(void *ctx)
{
    (void)ctx;
    return -1;
}

static int m_publish(void *ctx, uint32_t ring_ref, uint32_t port)
{
    struct mem_side *s = ctx;
    s->pair->ring_ref = ring_ref;
    s->pair->port = port;
    s->pair->published = 1;
    return 0;
}

static int m_lookup(void *ctx, uint32_t *ring_ref, uint32_t *port)
{
    struct mem_side *s = ctx;
    if (!s->pair->published)
        return s->pair->side[0].gone ? MOTE_ECLOSED : MOTE_EAGAIN;
    *ring_ref = s->pair->ring_ref;
    *port = s->pair->port;
    return 0;
}

static void m_release(void *ctx)
{
    struct mem_side *s = ctx;
    struct mem_pair *p = s->pair;
    s->gone = 1;
    s->released = 1;
    if (!p->side[0].released || !p->side[1].released)
        return;
    for (size_t i = 0; i < p->nblocks; i++)
        free(p->blocks[i].pages);
    free(p);
}

static void fill(mote_vchan_backend *be, struct mem_side *s)
{
    memset(be, 0, sizeof(*be));
    be->mem = (mote_vchan_memory){s, m_share, m_unshare, m_map, m_unmap};
    be->ev = (mote_vchan_events){s, m_listen, m_connect, m_notify, m_wait, m_fd};
    be->cfg = (mote_vchan_config){s, m_publish, m_lookup};
    be->release = m_release;
    be->release_ctx = s;
}

int mote_vchan_mem_pair(mote_vchan_backend *server, mote_vchan_backend *client)
{
    struct mem_pair *p = calloc(1, sizeof(*p));
    if (!p)
        return MOTE_ENOMEM;
    p->next_ref = 1;
    for (int i = 0; i < 2; i++) {
        p->side[i].pair = p;
        p->side[i].idx = i;
    }
    fill(server, &p->side[0]);
    fill(client, &p->side[1]);
    return 0;
}

void mote_vchan_mem_kill(const mote_vchan_backend *be)
{
    struct mem_side *s = be->ev.ctx;
    s->gone = 1;
}
