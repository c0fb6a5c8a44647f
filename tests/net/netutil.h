/* netutil.h - helpers for libmote-net's tests: a capturing netif, frame
 * builders with an independent checksum, and a two-stack harness over the
 * in-memory link with a fake clock. */
#ifndef MOTE_NET_TESTUTIL_H
#define MOTE_NET_TESTUTIL_H

#include "testutil.h"

#include "mote/net.h"
#include "mote/net_link.h"
#include "mote/net_tcp.h"
#include "mote/sim.h"

#include <stdlib.h>
#include <string.h>

/* ---- an independent Internet checksum: 16-bit words, one at a time ---- */
static inline uint16_t nt_csum(const uint8_t *p, size_t len, uint32_t start)
{
    uint32_t sum = start;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static inline uint32_t nt_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint32_t)len;
}

/* ---- a netif that records what the stack sends ---- */
#define NT_MAX_FRAMES 256
typedef struct nt_cap {
    mote_netif nif;
    mote_netif_rx_fn fn;
    void *arg;
    size_t n;
    size_t len[NT_MAX_FRAMES];
    uint8_t *frame[NT_MAX_FRAMES];
} nt_cap;

static inline int nt_cap_send(void *ctx, const uint8_t *f, size_t len)
{
    nt_cap *c = ctx;
    if (c->n >= NT_MAX_FRAMES)
        return MOTE_EAGAIN;
    c->frame[c->n] = malloc(len);
    memcpy(c->frame[c->n], f, len);
    c->len[c->n++] = len;
    return 0;
}

static inline void nt_cap_set_rx(void *ctx, mote_netif_rx_fn fn, void *arg)
{
    nt_cap *c = ctx;
    c->fn = fn;
    c->arg = arg;
}

static inline void nt_cap_init(nt_cap *c, size_t mtu)
{
    memset(c, 0, sizeof *c);
    c->nif.ctx = c;
    c->nif.send = nt_cap_send;
    c->nif.set_receiver = nt_cap_set_rx;
    c->nif.mtu = mtu;
    static const uint8_t mac[6] = {0x02, 0xaa, 0, 0, 0, 1};
    memcpy(c->nif.mac, mac, 6);
}

static inline void nt_cap_clear(nt_cap *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->frame[i]);
    c->n = 0;
}

/* ---- frame builders ---- */
static const uint8_t NT_PEER_MAC[6] = {0x02, 0xbb, 0, 0, 0, 2};

/* Writes an ethernet + IPv4 header (ihl 5 + optlen/4) into f and returns
 * the offset of the payload. */
static inline size_t nt_ip(uint8_t *f, const uint8_t *dstmac, uint32_t src, uint32_t dst,
                           uint8_t proto, size_t payload, uint16_t id, uint16_t frag, size_t optlen)
{
    memcpy(f, dstmac, 6);
    memcpy(f + 6, NT_PEER_MAC, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f + 14;
    size_t ihl = 20 + optlen;
    ip[0] = (uint8_t)(0x40 | (ihl / 4));
    ip[1] = 0;
    mote_store_be16(ip + 2, (uint16_t)(ihl + payload));
    mote_store_be16(ip + 4, id);
    mote_store_be16(ip + 6, frag);
    ip[8] = 64;
    ip[9] = proto;
    ip[10] = ip[11] = 0;
    mote_store_be32(ip + 12, src);
    mote_store_be32(ip + 16, dst);
    for (size_t i = 0; i < optlen; i++)
        ip[20 + i] = 1; /* NOP options */
    mote_store_be16(ip + 10, nt_csum(ip, ihl, 0));
    return 14 + ihl;
}

/* Writes at o (40 bytes) the options of a segment from the peer: on a SYN
 * MSS mss, window scale ws when ws >= 0 and SACK-permitted (each padded
 * with NOPs); always a timestamp (tsval, tsecr); then nsack SACK blocks
 * given as pairs of sequence numbers (at most 3). Returns their length, a
 * multiple of 4. */
static inline size_t nt_tcp_opts(uint8_t *o, int syn, uint16_t mss, int ws, uint32_t tsval,
                                 uint32_t tsecr, const uint32_t *sack, int nsack)
{
    size_t ol = 0;
    if (syn) {
        o[ol++] = 2;
        o[ol++] = 4;
        mote_store_be16(o + ol, mss);
        ol += 2;
        if (ws >= 0) {
            o[ol++] = 1;
            o[ol++] = 3;
            o[ol++] = 3;
            o[ol++] = (uint8_t)ws;
        }
        o[ol++] = 1;
        o[ol++] = 1;
        o[ol++] = 4;
        o[ol++] = 2;
    }
    o[ol++] = 1;
    o[ol++] = 1;
    o[ol++] = 8;
    o[ol++] = 10;
    mote_store_be32(o + ol, tsval);
    mote_store_be32(o + ol + 4, tsecr);
    ol += 8;
    if (nsack) {
        o[ol++] = 1;
        o[ol++] = 1;
        o[ol++] = 5;
        o[ol++] = (uint8_t)(2 + 8 * nsack);
        for (int i = 0; i < 2 * nsack; i++, ol += 4)
            mote_store_be32(o + ol, sack[i]);
    }
    return ol;
}

/* The TSval of the timestamp option in the TCP header t (as captured
 * from the stack); 0 if it has none. */
static inline uint32_t nt_tsval_of(const uint8_t *t)
{
    size_t hl = (size_t)(t[12] >> 4) * 4;
    for (size_t i = 20; i + 1 < hl;) {
        if (t[i] == 0)
            break;
        if (t[i] == 1) {
            i++;
            continue;
        }
        if (t[i] == 8)
            return mote_load_be32(t + i + 2);
        if (t[i + 1] < 2)
            break;
        i += t[i + 1];
    }
    return 0;
}

/* Writes into f (at least 60 bytes) a broadcast ARP request from the peer
 * (NT_PEER_MAC, peer) asking for me: a stack that receives it learns the
 * peer's MAC, so tests can send to the peer without an ARP exchange. */
static inline size_t nt_arp_request_from_peer(uint8_t *f, uint32_t peer, uint32_t me)
{
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    memcpy(f + 6, NT_PEER_MAC, 6);
    f[12] = 8;
    f[13] = 6;
    mote_store_be16(f + 14, 1);
    mote_store_be16(f + 16, 0x800);
    f[18] = 6;
    f[19] = 4;
    mote_store_be16(f + 20, 1);
    memcpy(f + 22, NT_PEER_MAC, 6);
    mote_store_be32(f + 28, peer);
    mote_store_be32(f + 38, me);
    return 60;
}

/* ---- one stack on a capturing netif, the peer played by the test ---- */
typedef struct nt_one {
    mote_fakeclock *fc;
    mote_clock *clk;
    mote_seeded_rng rng;
    nt_cap cap;
    mote_net *s;
    mote_net_config cfg; /* what the stack was made with */
} nt_one;

/* Makes a stack at me/24 on a capturing netif of the given mtu, with a fake
 * clock whose monotonic time starts at start_ns and a generator seeded
 * with seed. base (NULL for the defaults) gives the other settings. The
 * stack's announcement of me is left in o->cap. */
static inline void nt_one_init(nt_one *o, const mote_net_config *base, uint32_t me, uint64_t seed,
                               uint64_t start_ns, size_t mtu)
{
    memset(o, 0, sizeof *o);
    mote_time t0 = {1700000000, 0};
    o->fc = mote_fakeclock_new(start_ns, t0);
    o->clk = mote_fakeclock_clock(o->fc);
    mote_seeded_rng_init(&o->rng, seed);
    nt_cap_init(&o->cap, mtu);
    if (base)
        o->cfg = *base;
    else
        mote_net_config_default(&o->cfg);
    o->cfg.netif = &o->cap.nif;
    o->cfg.clock = o->clk;
    o->cfg.rng = &o->rng.rng;
    o->cfg.addr = me;
    o->cfg.netmask = MOTE_NET_IP4(255, 255, 255, 0);
    int err;
    o->s = mote_net_new(&o->cfg, &err);
    ck_assert_int_eq(err, 0);
    ck_assert_ptr_nonnull(o->s);
}

/* Feeds the stack a frame as if it came from the wire. */
static inline void nt_one_feed(nt_one *o, const uint8_t *f, size_t len)
{
    o->cap.fn(o->cap.arg, f, len);
}

/* Teaches the stack peer's MAC (NT_PEER_MAC) with an ARP request from it,
 * then forgets what the stack sent (its reply, its announcement). */
static inline void nt_one_teach(nt_one *o, uint32_t peer)
{
    uint8_t f[60];
    nt_arp_request_from_peer(f, peer, o->cfg.addr);
    nt_one_feed(o, f, sizeof f);
    nt_cap_clear(&o->cap);
}

static inline void nt_one_free(nt_one *o)
{
    mote_net_free(o->s);
    nt_cap_clear(&o->cap);
    mote_fakeclock_free(o->fc);
}

/* ---- two stacks over the in-memory link ---- */
typedef struct nt_pair {
    mote_fakeclock *fc;
    mote_clock *clk;
    mote_net_link *link;
    mote_seeded_rng rng[2];
    mote_net *st[2];
    mote_net_config cfg[2];
} nt_pair;

#define NT_A MOTE_NET_IP4(10, 0, 0, 1)
#define NT_B MOTE_NET_IP4(10, 0, 0, 2)

static inline void nt_pair_init_cfg(nt_pair *p, const mote_net_link_config *lc,
                                    const mote_net_config *base)
{
    memset(p, 0, sizeof *p);
    mote_time t0 = {1700000000, 0};
    p->fc = mote_fakeclock_new(1000 * MOTE_NS_PER_SEC, t0);
    p->clk = mote_fakeclock_clock(p->fc);
    int err;
    mote_net_link_config dl;
    if (!lc) {
        mote_net_link_config_default(&dl);
        lc = &dl;
    }
    p->link = mote_net_link_new(p->clk, lc, &err);
    ck_assert_ptr_nonnull(p->link);
    for (int i = 0; i < 2; i++) {
        mote_seeded_rng_init(&p->rng[i], 42 + (uint64_t)i);
        if (base)
            p->cfg[i] = *base;
        else
            mote_net_config_default(&p->cfg[i]);
        p->cfg[i].netif = mote_net_link_end(p->link, i);
        p->cfg[i].clock = p->clk;
        p->cfg[i].rng = &p->rng[i].rng;
        p->cfg[i].addr = i ? NT_B : NT_A;
        p->cfg[i].netmask = MOTE_NET_IP4(255, 255, 255, 0);
        p->st[i] = mote_net_new(&p->cfg[i], &err);
        ck_assert_int_eq(err, 0);
        ck_assert_ptr_nonnull(p->st[i]);
    }
}

static inline void nt_pair_init(nt_pair *p, const mote_net_link_config *lc)
{
    nt_pair_init_cfg(p, lc, NULL);
}

static inline uint64_t nt_now(nt_pair *p)
{
    return mote_clock_now(p->clk);
}

/* Runs timers until time has moved ns forward (or nothing is left). */
static inline void nt_run(nt_pair *p, uint64_t ns)
{
    uint64_t end = nt_now(p) + ns;
    mote_fakeclock_run(p->fc, end, SIZE_MAX);
    uint64_t now = nt_now(p);
    if (now < end)
        mote_fakeclock_advance(p->fc, end - now);
}

/* How long after an address is set its last gratuitous ARP goes out
 * (RFC 5227's ANNOUNCE_NUM 2, ANNOUNCE_INTERVAL 2 s). */
#define NT_ANNOUNCE_NS (2 * MOTE_NS_PER_SEC)

/* Lets both stacks send their second announcement, so that tests counting
 * frames on the link see only their own. */
static inline void nt_pair_announced(nt_pair *p)
{
    nt_run(p, NT_ANNOUNCE_NS);
}

static inline void nt_pair_free(nt_pair *p)
{
    for (int i = 0; i < 2; i++)
        mote_net_free(p->st[i]);
    mote_net_link_free(p->link);
    mote_fakeclock_free(p->fc);
}

#endif
