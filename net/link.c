/* link.c - the in-memory ethernet link with seeded fault injection. */
#include "mote/net_link.h"
#include "internal.h"
#include "mote/error.h"
#include "mote/net_offload.h"
#include "mote/sim.h"

#include <stdlib.h>
#include <string.h>

struct link_frame {
    struct link_frame *prev, *next;
    uint64_t at;
    size_t len;
    int big; /* allocated beyond the usual size (a whole GSO frame) */
    uint8_t data[];
};

struct link_end {
    mote_netif nif;
    mote_net_link *l;
    int idx;
    mote_netif_rx_fn fn;
    void *arg;
};

struct link_dir {
    struct link_frame *head, *tail; /* sorted by delivery time */
    size_t n;
    uint64_t busy_until;
    mote_net_link_stats st;
};

struct mote_net_link {
    mote_clock *clock;
    mote_net_link_config cfg;
    mote_seeded_rng rng;
    struct link_end ends[2];
    struct link_dir dirs[2];
    mote_timer *timer;
    uint64_t armed_at;        /* 0: not armed */
    struct link_frame *spare; /* freed frames of full size, for reuse */
    size_t nspare;
};

#define LINK_SPARE_MAX 64

static struct link_frame *frame_get(mote_net_link *l, size_t need)
{
    size_t usual = l->cfg.mtu + 14 + MOTE_NET_VNET_HDR_LEN;
    if (need > usual) {
        struct link_frame *b = malloc(sizeof *b + need);
        if (b)
            b->big = 1;
        return b;
    }
    struct link_frame *f = l->spare;
    if (f) {
        l->spare = f->next;
        l->nspare--;
        return f;
    }
    f = malloc(sizeof *f + usual);
    if (f)
        f->big = 0;
    return f;
}

static void frame_put(mote_net_link *l, struct link_frame *f)
{
    if (f->big || l->nspare >= LINK_SPARE_MAX) {
        free(f);
        return;
    }
    f->next = l->spare;
    l->spare = f;
    l->nspare++;
}

void mote_net_link_config_default(mote_net_link_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mtu = 1500;
    cfg->reorder_delay_ns = MOTE_NS_PER_MS;
    cfg->queue_max = 4096;
}

static int chance(mote_net_link *l, uint32_t ppm)
{
    return ppm && mote_seeded_rng_below(&l->rng, 1000000) < ppm;
}

static void rearm(mote_net_link *l)
{
    uint64_t at = 0;
    for (int d = 0; d < 2; d++)
        if (l->dirs[d].head && (!at || l->dirs[d].head->at < at))
            at = l->dirs[d].head->at;
    if (at == l->armed_at)
        return;
    l->armed_at = at;
    if (at)
        mote_timer_arm(l->clock, l->timer, at);
    else
        mote_timer_cancel(l->clock, l->timer);
}

static void enqueue(struct link_dir *d, struct link_frame *f)
{
    struct link_frame *p = d->tail;
    while (p && p->at > f->at)
        p = p->prev;
    f->prev = p;
    f->next = p ? p->next : d->head;
    if (f->next)
        f->next->prev = f;
    else
        d->tail = f;
    if (p)
        p->next = f;
    else
        d->head = f;
    d->n++;
}

/* Completes a partial checksum in a delivered GSO frame (header at p, the
 * frame after it) and clears NEEDS_CSUM, so the receiver checks it. */
static void complete_csum(uint8_t *p, size_t len)
{
    mote_net_vnet_hdr h;
    mote_net_vnet_decode(p, &h);
    if (!(h.flags & MOTE_NET_VNET_F_NEEDS_CSUM))
        return;
    uint8_t *f = p + MOTE_NET_VNET_HDR_LEN;
    size_t flen = len - MOTE_NET_VNET_HDR_LEN, start = h.csum_start, off = h.csum_offset;
    if (start < flen && off + 2 <= flen - start) {
        uint16_t c = net_csum_fold(net_csum_partial(0, f + start, flen - start));
        mote_store_be16(f + start + off, c ? c : 0xffff);
    }
    h.flags &= (uint8_t)~MOTE_NET_VNET_F_NEEDS_CSUM;
    mote_net_vnet_encode(&h, p);
}

/* One frame onto the wire, through the faults. hdr: in vnet mode the
 * virtio-net header it arrives with (NULL: all zero). */
static int link_put(struct link_end *e, const uint8_t *hdr, const uint8_t *frame, size_t len)
{
    mote_net_link *l = e->l;
    struct link_dir *d = &l->dirs[e->idx];
    if (len > (hdr ? 65535 + 14 : l->cfg.mtu + 14))
        return MOTE_ELIMIT;
    d->st.sent++;
    if (chance(l, l->cfg.loss_ppm)) {
        d->st.lost++;
        return 0;
    }
    int copies = 1;
    if (chance(l, l->cfg.dup_ppm)) {
        d->st.duplicated++;
        copies = 2;
    }
    uint64_t now = mote_clock_now(l->clock);
    uint64_t depart = now;
    if (l->cfg.rate_bps) {
        if (d->busy_until > depart)
            depart = d->busy_until;
        depart += (uint64_t)len * 8 * MOTE_NS_PER_SEC / l->cfg.rate_bps;
        d->busy_until = depart;
    }
    for (int c = 0; c < copies; c++) {
        if (d->n >= l->cfg.queue_max) {
            d->st.queue_drops++;
            return c ? 0 : MOTE_EAGAIN;
        }
        size_t h = l->cfg.vnet ? MOTE_NET_VNET_HDR_LEN : 0;
        struct link_frame *f = frame_get(l, h + len);
        if (!f)
            return MOTE_ENOMEM;
        if (hdr)
            memcpy(f->data, hdr, h);
        else
            memset(f->data, 0, h); /* a plain frame: the receiver checks it all */
        f->len = h + len;
        memcpy(f->data + h, frame, len);
        f->at = depart + l->cfg.delay_ns + (uint64_t)c;
        if (l->cfg.jitter_ns)
            f->at += mote_seeded_rng_below(&l->rng, l->cfg.jitter_ns);
        if (chance(l, l->cfg.reorder_ppm)) {
            d->st.reordered++;
            f->at += l->cfg.reorder_delay_ns;
        }
        if (len && chance(l, l->cfg.corrupt_ppm)) {
            d->st.corrupted++;
            if (hdr)
                complete_csum(f->data, f->len); /* else the flip would pass unchecked */
            uint64_t bit = mote_seeded_rng_below(&l->rng, (uint64_t)len * 8);
            f->data[h + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        if (f->at == 0)
            f->at = 1; /* 0 means "not armed" */
        enqueue(d, f);
    }
    rearm(l);
    return 0;
}

static int link_send_wire(void *ctx, const uint8_t *frame, size_t len)
{
    return link_put(ctx, NULL, frame, len);
}

static int link_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct link_end *e = ctx;
    if (!e->l->cfg.vnet)
        return link_put(e, NULL, frame, len);
    if (len > MOTE_NET_VNET_HDR_LEN + 65535 + 14)
        return MOTE_ELIMIT;
    if (len < MOTE_NET_VNET_HDR_LEN + 14)
        return MOTE_EINVAL;
    if (e->l->cfg.gro) /* whole, as a host hands GSO frames to a local peer */
        return link_put(e, frame, frame + MOTE_NET_VNET_HDR_LEN, len - MOTE_NET_VNET_HDR_LEN);
    int rc = mote_net_vnet_to_wire(frame, len, link_send_wire, ctx);
    return rc == MOTE_EDECODE || rc == MOTE_EUNSUPPORTED ? MOTE_EINVAL : rc;
}

static void link_set_receiver(void *ctx, mote_netif_rx_fn fn, void *arg)
{
    struct link_end *e = ctx;
    e->fn = fn;
    e->arg = arg;
}

static void link_timer(void *arg)
{
    mote_net_link *l = arg;
    l->armed_at = 0;
    uint64_t now = mote_clock_now(l->clock);
    /* a bounded batch per turn, so other timers due now interleave */
    for (int i = 0; i < 256; i++) {
        int best = -1;
        for (int d = 0; d < 2; d++)
            if (l->dirs[d].head && l->dirs[d].head->at <= now &&
                (best < 0 || l->dirs[d].head->at < l->dirs[best].head->at))
                best = d;
        if (best < 0)
            break;
        struct link_dir *d = &l->dirs[best];
        struct link_frame *f = d->head;
        d->head = f->next;
        if (d->head)
            d->head->prev = NULL;
        else
            d->tail = NULL;
        d->n--;
        d->st.delivered++;
        struct link_end *to = &l->ends[1 - best];
        if (to->fn)
            to->fn(to->arg, f->data, f->len);
        frame_put(l, f);
    }
    rearm(l);
}

mote_net_link *mote_net_link_new(mote_clock *clock, const mote_net_link_config *cfg, int *err)
{
    int e = MOTE_EINVAL;
    mote_net_link *l = NULL;
    if (!clock || !cfg || cfg->mtu < 68 || cfg->mtu > 65536 || cfg->queue_max == 0)
        goto fail;
    e = MOTE_ENOMEM;
    l = calloc(1, sizeof *l);
    if (!l)
        goto fail;
    l->clock = clock;
    l->cfg = *cfg;
    mote_seeded_rng_init(&l->rng, cfg->seed);
    l->timer = mote_timer_new(clock, link_timer, l);
    if (!l->timer)
        goto fail;
    for (int i = 0; i < 2; i++) {
        struct link_end *end = &l->ends[i];
        end->l = l;
        end->idx = i;
        end->nif.ctx = end;
        end->nif.send = link_send;
        end->nif.set_receiver = link_set_receiver;
        end->nif.mtu = cfg->mtu;
        static const uint8_t base[6] = {0x02, 0, 0, 0, 0, 0};
        memcpy(end->nif.mac, base, 6);
        end->nif.mac[5] = (uint8_t)(i + 1);
    }
    if (err)
        *err = 0;
    return l;
fail:
    free(l);
    if (err)
        *err = e;
    return NULL;
}

void mote_net_link_free(mote_net_link *l)
{
    if (!l)
        return;
    for (int d = 0; d < 2; d++) {
        struct link_frame *f = l->dirs[d].head;
        while (f) {
            struct link_frame *n = f->next;
            free(f);
            f = n;
        }
    }
    while (l->spare) {
        struct link_frame *n = l->spare->next;
        free(l->spare);
        l->spare = n;
    }
    mote_timer_free(l->clock, l->timer);
    free(l);
}

mote_netif *mote_net_link_end(mote_net_link *l, int end)
{
    return &l->ends[end ? 1 : 0].nif;
}

void mote_net_link_set_faults(mote_net_link *l, const mote_net_link_config *cfg)
{
    size_t mtu = l->cfg.mtu, qmax = l->cfg.queue_max;
    uint64_t seed = l->cfg.seed;
    int vnet = l->cfg.vnet, gro = l->cfg.gro;
    l->cfg = *cfg;
    l->cfg.vnet = vnet;
    l->cfg.gro = gro;
    l->cfg.mtu = mtu;
    l->cfg.queue_max = qmax;
    l->cfg.seed = seed;
}

void mote_net_link_get_stats(const mote_net_link *l, int dir, mote_net_link_stats *out)
{
    *out = l->dirs[dir ? 1 : 0].st;
}
