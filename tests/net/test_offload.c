/* test_offload.c - libmote-net's send-side GSO/TSO and the virtio-net
 * header: the software segmenter against an independent checksum, the
 * same connection driven against four netifs (one MSS per segment, software
 * GSO, TSO through a virtio-net header, partial checksums only) giving the
 * very same wire frames with and without losses, receiving GSO frames and
 * partial checksums, the pcap recorder on a vnet netif, and two stacks with
 * TSO over the in-memory link through faults, the super-frames cut on the
 * way or delivered whole. */
#include "netutil.h"

#include "mote/net_offload.h"
#include "mote/net_pcap.h"

#include <stdio.h>

static uint8_t pat(uint64_t i)
{
    uint64_t x = (i + 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
    return (uint8_t)(x >> 29 ^ i);
}

/* How many of the len bytes at d differ from the pattern from byte at on. */
static size_t pat_mismatches(const uint8_t *d, size_t len, uint64_t at)
{
    size_t bad = 0;
    for (size_t i = 0; i < len; i++)
        if (d[i] != pat(at + i))
            bad++;
    return bad;
}

/* ---- a growable list of frames ---- */
typedef struct flist {
    size_t n, cap;
    uint8_t **f;
    size_t *len;
} flist;

static int flist_add(void *arg, const uint8_t *f, size_t len)
{
    flist *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->f = realloc(l->f, l->cap * sizeof *l->f);
        l->len = realloc(l->len, l->cap * sizeof *l->len);
        ck_assert_ptr_nonnull(l->f);
        ck_assert_ptr_nonnull(l->len);
    }
    l->f[l->n] = malloc(len ? len : 1);
    memcpy(l->f[l->n], f, len);
    l->len[l->n++] = len;
    return 0;
}

static void flist_free(flist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->f[i]);
    free(l->f);
    free(l->len);
    memset(l, 0, sizeof *l);
}

/* Checks one wire frame: IPv4 header checksum, TCP checksum, sizes. */
static void check_wire_tcp(const uint8_t *f, size_t len, size_t mtu)
{
    ck_assert_uint_ge(len, 14 + 40);
    ck_assert_uint_le(len, 14 + mtu);
    const uint8_t *ip = f + 14;
    size_t tot = mote_load_be16(ip + 2);
    ck_assert_uint_le(tot + 14, len);
    ck_assert_uint_eq(nt_csum(ip, 20, 0), 0);
    if (ip[9] == 6) {
        uint32_t src = mote_load_be32(ip + 12), dst = mote_load_be32(ip + 16);
        ck_assert_uint_eq(nt_csum(ip + 20, tot - 20, nt_pseudo(src, dst, 6, tot - 20)), 0);
    }
}

/* ---- the segmenter on its own ---- */

/* Builds a vnet frame: header h, ethernet, IPv4 (id), TCP (seq, flags)
 * with a 12-byte timestamp option, and plen payload bytes from pat(). The
 * TCP checksum is the pseudo-header sum over the whole length (partial). */
static size_t build_super(uint8_t *out, const mote_net_vnet_hdr *h, uint16_t id, uint32_t seq,
                          uint8_t flags, size_t plen)
{
    mote_net_vnet_encode(h, out);
    uint8_t *f = out + MOTE_NET_VNET_HDR_LEN;
    static const uint8_t dst[6] = {0x02, 0xcc, 0, 0, 0, 3};
    size_t off = nt_ip(f, dst, NT_A, NT_B, 6, 32 + plen, id, 0x4000, 0);
    uint8_t *t = f + off;
    memset(t, 0, 32);
    mote_store_be16(t, 1234);
    mote_store_be16(t + 2, 80);
    mote_store_be32(t + 4, seq);
    mote_store_be32(t + 8, 777);
    t[12] = 8 << 4;
    t[13] = flags;
    mote_store_be16(t + 14, 500);
    t[20] = 1;
    t[21] = 1;
    t[22] = 8;
    t[23] = 10;
    mote_store_be32(t + 24, 42);
    for (size_t i = 0; i < plen; i++)
        t[32 + i] = pat(i);
    uint32_t ps = nt_pseudo(NT_A, NT_B, 6, 32 + plen);
    while (ps >> 16)
        ps = (ps & 0xffff) + (ps >> 16);
    mote_store_be16(t + 16, (uint16_t)ps);
    return MOTE_NET_VNET_HDR_LEN + off + 32 + plen;
}

START_TEST(test_vnet_header_codec)
{
    mote_net_vnet_hdr h = {1, 0x81, 66, 1448, 34, 16}, g;
    uint8_t b[10];
    mote_net_vnet_encode(&h, b);
    mote_net_vnet_decode(b, &g);
    ck_assert_uint_eq(g.flags, 1);
    ck_assert_uint_eq(g.gso_type, 0x81);
    ck_assert_uint_eq(g.hdr_len, 66);
    ck_assert_uint_eq(g.gso_size, 1448);
    ck_assert_uint_eq(g.csum_start, 34);
    ck_assert_uint_eq(g.csum_offset, 16);
    uint16_t v;
    memcpy(&v, b + 4, 2); /* legacy virtio: host byte order */
    ck_assert_uint_eq(v, 1448);
}
END_TEST

START_TEST(test_segmenter_cuts_exactly)
{
    static uint8_t buf[70000];
    const size_t plens[] = {1448 * 10, 1448 * 10 + 7, 1449, 60000, 1};
    for (size_t k = 0; k < sizeof plens / sizeof plens[0]; k++) {
        size_t plen = plens[k];
        mote_net_vnet_hdr h = {
            MOTE_NET_VNET_F_NEEDS_CSUM, MOTE_NET_VNET_GSO_TCPV4, 66, 1448, 34, 16};
        size_t len = build_super(buf, &h, 0xfffe, 0xfffff000u, 0x10 | 0x08 | 0x01 | 0x80, plen);
        flist l = {0};
        ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), 0);
        size_t want = (plen + 1447) / 1448;
        ck_assert_uint_eq(l.n, want);
        size_t off = 0;
        for (size_t i = 0; i < l.n; i++) {
            const uint8_t *f = l.f[i], *ip = f + 14, *t = ip + 20;
            check_wire_tcp(f, l.len[i], 1500);
            size_t n = l.len[i] - 14 - 20 - 32;
            ck_assert_uint_eq(n, i + 1 < l.n ? 1448 : plen - off);
            ck_assert_uint_eq(mote_load_be16(ip + 4), (uint16_t)(0xfffe + i));
            ck_assert_uint_eq(mote_load_be32(t + 4), 0xfffff000u + (uint32_t)off);
            ck_assert_uint_eq(t[13] & 0x01, i + 1 == l.n ? 0x01 : 0); /* FIN last */
            ck_assert_uint_eq(t[13] & 0x08, i + 1 == l.n ? 0x08 : 0); /* PSH last */
            ck_assert_uint_eq(t[13] & 0x80, i == 0 ? 0x80 : 0);       /* CWR first */
            ck_assert_uint_eq(t[13] & 0x10, 0x10);
            ck_assert_uint_eq(mote_load_be32(t + 24), 42); /* options copied */
            for (size_t j = 0; j < n; j++)
                ck_assert_uint_eq(t[32 + j], pat(off + j));
            off += n;
        }
        ck_assert_uint_eq(off, plen);
        flist_free(&l);
    }
}
END_TEST

START_TEST(test_segmenter_completes_checksums)
{
    static uint8_t buf[2000];
    /* a plain frame passes untouched */
    mote_net_vnet_hdr none = {0, 0, 0, 0, 0, 0};
    size_t len = build_super(buf, &none, 7, 1, 0x18, 100);
    buf[MOTE_NET_VNET_HDR_LEN + 14 + 20 + 16] ^= 0x55; /* a bad checksum stays bad */
    flist l = {0};
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), 0);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_uint_eq(l.len[0], len - MOTE_NET_VNET_HDR_LEN);
    ck_assert_mem_eq(l.f[0], buf + MOTE_NET_VNET_HDR_LEN, l.len[0]);
    flist_free(&l);
    /* a partial checksum is completed, within one MSS no GSO is needed */
    mote_net_vnet_hdr part = {MOTE_NET_VNET_F_NEEDS_CSUM, 0, 0, 0, 34, 16};
    len = build_super(buf, &part, 7, 1, 0x18, 1000);
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), 0);
    ck_assert_uint_eq(l.n, 1);
    check_wire_tcp(l.f[0], l.len[0], 1500);
    flist_free(&l);
    /* a GSO frame whose payload fits one segment gives one full frame */
    mote_net_vnet_hdr one = {MOTE_NET_VNET_F_NEEDS_CSUM, MOTE_NET_VNET_GSO_TCPV4, 66, 1448, 34, 16};
    len = build_super(buf, &one, 7, 1, 0x18, 1448);
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), 0);
    ck_assert_uint_eq(l.n, 1);
    check_wire_tcp(l.f[0], l.len[0], 1500);
    flist_free(&l);
}
END_TEST

START_TEST(test_segmenter_rejects_bad_headers)
{
    static uint8_t buf[8000];
    flist l = {0};
    mote_net_vnet_hdr h = {MOTE_NET_VNET_F_NEEDS_CSUM, 0, 0, 0, 34, 16};
    size_t len = build_super(buf, &h, 7, 1, 0x18, 100);
    size_t flen = len - MOTE_NET_VNET_HDR_LEN;
    /* checksum offsets outside the frame */
    h.csum_start = (uint16_t)flen;
    mote_net_vnet_encode(&h, buf);
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), MOTE_EDECODE);
    h.csum_start = 34;
    h.csum_offset = (uint16_t)(flen - 34 - 1);
    mote_net_vnet_encode(&h, buf);
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), MOTE_EDECODE);
    /* GSO with gso_size 0, on a non-TCP packet, truncated, UDP, unknown */
    mote_net_vnet_hdr g = {MOTE_NET_VNET_F_NEEDS_CSUM, MOTE_NET_VNET_GSO_TCPV4, 66, 0, 34, 16};
    len = build_super(buf, &g, 7, 1, 0x18, 5000);
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), MOTE_EDECODE);
    g.gso_size = 1000;
    mote_net_vnet_encode(&g, buf);
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len - 4000, flist_add, &l), MOTE_EDECODE);
    buf[MOTE_NET_VNET_HDR_LEN + 14 + 9] = 17;
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), MOTE_EDECODE);
    buf[MOTE_NET_VNET_HDR_LEN + 14 + 9] = 6;
    buf[MOTE_NET_VNET_HDR_LEN + 14 + 20 + 12] = 0x20; /* data offset 8 bytes */
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), MOTE_EDECODE);
    buf[MOTE_NET_VNET_HDR_LEN + 14 + 20 + 12] = 0x80;
    g.gso_type = MOTE_NET_VNET_GSO_UDP;
    mote_net_vnet_encode(&g, buf);
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), MOTE_EUNSUPPORTED);
    g.gso_type = 9;
    mote_net_vnet_encode(&g, buf);
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), MOTE_EDECODE);
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, 12, flist_add, &l), MOTE_EDECODE);
    ck_assert_uint_eq(l.n, 0);
    /* the good frame still works */
    g.gso_type = MOTE_NET_VNET_GSO_TCPV4;
    mote_net_vnet_encode(&g, buf);
    ck_assert_int_eq(mote_net_vnet_to_wire(buf, len, flist_add, &l), 0);
    ck_assert_uint_eq(l.n, 5);
    flist_free(&l);
}
END_TEST

/* ---- one connection against four netifs ---- */

enum { M_PER_MSS, M_SOFT_GSO, M_TSO, M_CSUM_ONLY, M_COUNT };

#define OME   MOTE_NET_IP4(192, 0, 2, 1)
#define OPEER MOTE_NET_IP4(192, 0, 2, 9)

typedef struct run {
    mote_fakeclock *fc;
    mote_clock *clk;
    mote_seeded_rng rng;
    mote_netif nif;
    mote_netif_rx_fn fn;
    void *arg;
    int vnet;
    mote_net *s;
    flist wire;
    size_t supers, partials, max_frame;
} run;

static int run_send(void *ctx, const uint8_t *f, size_t len)
{
    run *r = ctx;
    if (len > r->max_frame)
        r->max_frame = len;
    if (!r->vnet)
        return flist_add(&r->wire, f, len);
    mote_net_vnet_hdr h;
    ck_assert_uint_ge(len, MOTE_NET_VNET_HDR_LEN + 14);
    mote_net_vnet_decode(f, &h);
    if (h.gso_type == MOTE_NET_VNET_GSO_TCPV4)
        r->supers++;
    if (h.flags & MOTE_NET_VNET_F_NEEDS_CSUM)
        r->partials++;
    return mote_net_vnet_to_wire(f, len, flist_add, &r->wire);
}

static void run_set_rx(void *ctx, mote_netif_rx_fn fn, void *arg)
{
    run *r = ctx;
    r->fn = fn;
    r->arg = arg;
}

/* Hands a plain frame to the stack (behind an all-zero header on vnet). */
static void run_input(run *r, const uint8_t *f, size_t len)
{
    static uint8_t b[70000];
    if (!r->vnet) {
        r->fn(r->arg, f, len);
        return;
    }
    memset(b, 0, MOTE_NET_VNET_HDR_LEN);
    memcpy(b + MOTE_NET_VNET_HDR_LEN, f, len);
    r->fn(r->arg, b, len + MOTE_NET_VNET_HDR_LEN);
}

static void run_init(run *r, int mode)
{
    memset(r, 0, sizeof *r);
    mote_time t0 = {1700000000, 0};
    r->fc = mote_fakeclock_new(MOTE_NS_PER_SEC, t0);
    r->clk = mote_fakeclock_clock(r->fc);
    mote_seeded_rng_init(&r->rng, 5);
    r->nif.ctx = r;
    r->nif.send = run_send;
    r->nif.set_receiver = run_set_rx;
    r->nif.mtu = 1500;
    static const uint8_t mac[6] = {0x02, 0xaa, 0, 0, 0, 1};
    memcpy(r->nif.mac, mac, 6);
    mote_net_config cfg;
    mote_net_config_default(&cfg);
    cfg.netif = &r->nif;
    cfg.clock = r->clk;
    cfg.rng = &r->rng.rng;
    cfg.addr = OME;
    cfg.netmask = MOTE_NET_IP4(255, 255, 255, 0);
    cfg.gso = mode != M_PER_MSS;
    if (mode == M_TSO)
        cfg.offload = MOTE_NET_OFFLOAD_VNET | MOTE_NET_OFFLOAD_CSUM | MOTE_NET_OFFLOAD_TSO4;
    if (mode == M_CSUM_ONLY)
        cfg.offload = MOTE_NET_OFFLOAD_VNET | MOTE_NET_OFFLOAD_CSUM;
    r->vnet = cfg.offload != 0;
    int err;
    r->s = mote_net_new(&cfg, &err);
    ck_assert_ptr_nonnull(r->s);
    /* teach ARP: a request from the peer */
    uint8_t f[60];
    nt_arp_request_from_peer(f, OPEER, OME);
    run_input(r, f, sizeof f);
}

static void run_free(run *r)
{
    mote_net_free(r->s);
    flist_free(&r->wire);
    mote_fakeclock_free(r->fc);
}

/* A segment from the peer with MSS/WS/SACK-permitted (on SYN), a timestamp
 * and up to 3 SACK blocks. */
static uint16_t peer_mss = 1460;

static void peer_seg(run *r, uint16_t lport, uint32_t seq, uint32_t ack, uint8_t flags,
                     uint16_t win, uint32_t tsval, uint32_t tsecr, const uint32_t *sack, int nsack,
                     const uint8_t *data, size_t len)
{
    static uint8_t f[70000];
    uint8_t o[40];
    size_t ol = nt_tcp_opts(o, flags & 0x02, peer_mss, 7, tsval, tsecr, sack, nsack);
    size_t off = nt_ip(f, r->nif.mac, OPEER, OME, 6, 20 + ol + len, 1, 0x4000, 0);
    uint8_t *t = f + off;
    memset(t, 0, 20);
    mote_store_be16(t, 80);
    mote_store_be16(t + 2, lport);
    mote_store_be32(t + 4, seq);
    mote_store_be32(t + 8, ack);
    t[12] = (uint8_t)((20 + ol) / 4) << 4;
    t[13] = flags;
    mote_store_be16(t + 14, win);
    memcpy(t + 20, o, ol);
    if (len)
        memcpy(t + 20 + ol, data, len);
    mote_store_be16(t + 16, nt_csum(t, 20 + ol + len, nt_pseudo(OPEER, OME, 6, 20 + ol + len)));
    run_input(r, f, off + 20 + ol + len);
}

static void nop_connected(void *arg, mote_flow *f, int err)
{
    (void)f;
    *(int *)arg = err ? -1 : 1;
}

/* The peer's receive state: what arrived, as ranges of sequence offsets. */
typedef struct rset {
    uint32_t s[64], e[64];
    int n;
} rset;

static void rset_add(rset *rs, uint32_t s, uint32_t e)
{
    for (int i = 0; i < rs->n; i++) {
        if (s <= rs->e[i] && e >= rs->s[i]) {
            uint32_t ns = s < rs->s[i] ? s : rs->s[i], ne = e > rs->e[i] ? e : rs->e[i];
            rs->s[i] = rs->s[--rs->n];
            rs->e[i] = rs->e[rs->n];
            rset_add(rs, ns, ne);
            return;
        }
    }
    ck_assert_int_lt(rs->n, 64);
    rs->s[rs->n] = s;
    rs->e[rs->n++] = e;
}

static uint32_t rset_front(const rset *rs)
{
    for (int i = 0; i < rs->n; i++)
        if (rs->s[i] == 0)
            return rs->e[i];
    return 0;
}

typedef struct scenario {
    size_t bytes;       /* written, then shut down */
    int nodelay;        /* Nagle off */
    const size_t *drop; /* wire frame indexes the peer never sees (sorted) */
    size_t ndrop;
    uint16_t win; /* the peer's window field (scaled by 2^7) */
    uint16_t mss; /* the peer's MSS option; 0 for 1460 */
    /* a router's "fragmentation needed" with this MTU instead of wire frame
     * icmp_at (0: none); every later frame must fit it */
    uint16_t icmp_mtu;
    size_t icmp_at;
} scenario;

/* An ICMP destination unreachable, fragmentation needed (RFC 1191) from
 * the peer, quoting the IPv4 header and 8 bytes of the frame at f. */
static void peer_frag_needed(run *r, const uint8_t *f, uint16_t mtu)
{
    uint8_t b[14 + 20 + 8 + 28];
    size_t off = nt_ip(b, r->nif.mac, OPEER, OME, 1, 8 + 28, 5, 0, 0);
    uint8_t *m = b + off;
    memset(m, 0, 8);
    m[0] = 3;
    m[1] = 4;
    mote_store_be16(m + 6, mtu);
    memcpy(m + 8, f + 14, 28);
    mote_store_be16(m + 2, nt_csum(m, 36, 0));
    run_input(r, b, off + 36);
}

/* Drives one connection (active open from the stack, bulk data, FIN) with
 * a peer that ACKs every segment it gets with SACK blocks, 10 ms rounds;
 * returns with r->wire holding every wire frame the stack sent. */
static void drive(run *r, const scenario *sc)
{
    int res = 0, err;
    peer_mss = sc->mss ? sc->mss : 1460;
    mote_flow *fl = mote_net_tcp_connect(r->s, OPEER, 80, nop_connected, &res, &err);
    ck_assert_ptr_nonnull(fl);
    if (sc->nodelay)
        ck_assert_int_eq(mote_net_tcp_set_nodelay(fl, 1), 0);
    size_t seen = 0, dropi = 0;
    uint32_t iss = 0, tsrecent = 0;
    uint16_t lport = 0;
    uint8_t *data = malloc(sc->bytes);
    for (size_t i = 0; i < sc->bytes; i++)
        data[i] = pat(i);
    rset got = {.n = 0};
    int syn_done = 0, wrote = 0, fin_got = 0;
    size_t small_from = SIZE_MAX;
    uint32_t fin_off = 0, peer_ts = 5000;
    for (int round = 0; round < 3000 && !(fin_got && rset_front(&got) == fin_off + 1); round++) {
        size_t upto = r->wire.n;
        for (; seen < upto; seen++) {
            if (dropi < sc->ndrop && sc->drop[dropi] == seen) {
                dropi++;
                continue;
            }
            const uint8_t *f = r->wire.f[seen], *ip = f + 14;
            if (mote_load_be16(f + 12) != 0x0800 || ip[9] != 6)
                continue;
            check_wire_tcp(f, r->wire.len[seen], 1500);
            if (seen >= small_from)
                ck_assert_uint_le(mote_load_be16(ip + 2), sc->icmp_mtu);
            if (sc->icmp_mtu && seen == sc->icmp_at) {
                small_from = r->wire.n; /* what the stack sends from now on */
                peer_frag_needed(r, f, sc->icmp_mtu);
                continue; /* the router dropped it */
            }
            const uint8_t *t = ip + 20;
            size_t thl = (size_t)(t[12] >> 4) * 4;
            size_t plen = mote_load_be16(ip + 2) - 20 - thl;
            ck_assert_uint_le(plen + thl - 20, peer_mss); /* the peer's MSS holds */
            uint32_t tsv = 0;
            for (size_t k = 20; k + 10 <= thl; k++)
                if (t[k] == 8 && t[k + 1] == 10) {
                    tsv = mote_load_be32(t + k + 2);
                    break;
                }
            tsrecent = tsv;
            if (t[13] & 0x02) { /* SYN: answer with SYN-ACK */
                iss = mote_load_be32(t + 4);
                lport = mote_load_be16(t);
                peer_ts++;
                peer_seg(r, lport, 9000, iss + 1, 0x12, 65535, peer_ts, tsv, NULL, 0, NULL, 0);
                syn_done = 1;
                continue;
            }
            uint32_t off = mote_load_be32(t + 4) - (iss + 1);
            if (plen)
                ck_assert_mem_eq(t + thl, data + off, plen);
            uint32_t end = off + (uint32_t)plen;
            if (t[13] & 0x01) {
                fin_got = 1;
                fin_off = end;
                end++;
            }
            if (end > off)
                rset_add(&got, off, end);
            /* ACK with up to 3 SACK blocks above the front */
            uint32_t front = rset_front(&got), sack[6];
            int ns = 0;
            for (int i = 0; i < got.n && ns < 3; i++)
                if (got.s[i] > front) {
                    sack[2 * ns] = iss + 1 + got.s[i];
                    sack[2 * ns + 1] = iss + 1 + got.e[i];
                    ns++;
                }
            peer_ts++;
            peer_seg(r, lport, 9001, iss + 1 + front, 0x10, sc->win, peer_ts, tsrecent, sack, ns,
                     NULL, 0);
        }
        if (syn_done && res == 1 && !wrote) {
            wrote = 1;
            ck_assert_int_eq(mote_flow_write(fl, data, sc->bytes), 0);
            ck_assert_int_eq(mote_flow_shutdown(fl), 0);
        }
        mote_fakeclock_run(r->fc, mote_clock_now(r->clk) + 10 * MOTE_NS_PER_MS, SIZE_MAX);
        uint64_t now = mote_clock_now(r->clk), next;
        if (r->wire.n == seen && mote_fakeclock_next(r->fc, &next) == 0 && next > now)
            mote_fakeclock_advance(r->fc, next - now);
    }
    ck_assert(fin_got);
    ck_assert_uint_eq(fin_off, sc->bytes);
    ck_assert_uint_eq(rset_front(&got), sc->bytes + 1);
    if (sc->icmp_mtu)
        ck_assert_uint_lt(small_from, r->wire.n);
    mote_flow_close(fl);
    free(data);
}

static void same_wire(const run *a, const run *b)
{
    ck_assert_uint_eq(a->wire.n, b->wire.n);
    for (size_t i = 0; i < a->wire.n; i++) {
        ck_assert_uint_eq(a->wire.len[i], b->wire.len[i]);
        if (memcmp(a->wire.f[i], b->wire.f[i], a->wire.len[i]) != 0)
            ck_abort_msg("wire frame %zu differs", i);
    }
}

static void equivalence(const scenario *sc)
{
    run r[M_COUNT];
    mote_net_counters c[M_COUNT];
    for (int m = 0; m < M_COUNT; m++) {
        run_init(&r[m], m);
        drive(&r[m], sc);
        mote_net_get_counters(r[m].s, &c[m]);
    }
    for (int m = 1; m < M_COUNT; m++) {
        same_wire(&r[0], &r[m]);
        ck_assert_uint_eq(c[m].tcp_out, c[0].tcp_out);
        ck_assert_uint_eq(c[m].ip_out, c[0].ip_out);
        ck_assert_uint_eq(c[m].tcp_retransmits, c[0].tcp_retransmits);
        ck_assert_uint_eq(c[m].tcp_rto, c[0].tcp_rto);
    }
    /* the modes really differ in what they hand the netif */
    ck_assert_uint_eq(c[M_PER_MSS].eth_gso_split, 0);
    ck_assert_uint_gt(c[M_SOFT_GSO].eth_gso_split, 0);
    ck_assert_uint_gt(c[M_CSUM_ONLY].eth_gso_split, 0);
    ck_assert_uint_gt(c[M_TSO].eth_tso_out, 0);
    ck_assert_uint_eq(c[M_TSO].eth_tso_out, r[M_TSO].supers);
    ck_assert_uint_gt(r[M_TSO].max_frame, 3 * 1514); /* frames of many segments */
    ck_assert_uint_le(r[M_SOFT_GSO].max_frame, 1514);
    ck_assert_uint_gt(r[M_CSUM_ONLY].partials, 0);
    ck_assert_uint_lt(c[M_TSO].eth_out, c[M_PER_MSS].eth_out);
    if (sc->ndrop)
        ck_assert_uint_gt(c[0].tcp_retransmits, 0);
    for (int m = 0; m < M_COUNT; m++)
        run_free(&r[m]);
}

START_TEST(test_same_wire_clean)
{
    scenario sc = {300000, 0, NULL, 0, 8192, 0, 0, 0};
    equivalence(&sc);
    sc.nodelay = 1;
    sc.bytes = 200001;
    equivalence(&sc);
}
END_TEST

START_TEST(test_same_wire_small_window)
{
    /* a 40000-byte window: super-segments bounded by the peer's window */
    scenario sc = {150000, 1, NULL, 0, 40000 >> 7, 0, 0, 0};
    equivalence(&sc);
    /* a peer MSS below what a frame holds: pieces of the peer's MSS */
    scenario small = {100000, 0, NULL, 0, 8192, 700, 0, 0};
    equivalence(&small);
}
END_TEST

START_TEST(test_same_wire_path_mtu)
{
    /* a router on the path takes 1000 bytes: the MSS drops, what was in
     * flight is sent again, super-segments are cut at the new MSS */
    scenario sc = {300000, 0, NULL, 0, 8192, 0, 1000, 30};
    equivalence(&sc);
}
END_TEST

START_TEST(test_same_wire_losses)
{
    /* single losses (SACK recovery), a run of 12 wire frames (a whole
     * super-segment's worth), and the tail (the loss probe or the RTO) */
    static const size_t drop[] = {14, 40, 41, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 150};
    scenario sc = {400000, 0, drop, sizeof drop / sizeof drop[0], 8192, 0, 0, 0};
    equivalence(&sc);
    static const size_t tail[] = {60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75};
    scenario st = {100000, 1, tail, sizeof tail / sizeof tail[0], 8192, 0, 0, 0};
    equivalence(&st);
}
END_TEST

/* ---- receiving: GSO frames, partial and validated checksums ---- */

typedef struct sink {
    size_t n;
    int mismatch;
} sink;

static void sink_data(void *arg, const uint8_t *d, size_t len)
{
    sink *k = arg;
    k->mismatch += (int)pat_mismatches(d, len, k->n);
    k->n += len;
}

static const mote_flow_events sink_events = {sink_data, NULL, NULL, NULL};

/* A vnet frame from the peer: header h, then a TCP segment with data. */
static void peer_vnet_data(run *r, const mote_net_vnet_hdr *h, uint16_t lport, uint32_t seq,
                           uint32_t ack, size_t off, size_t len, int good_csum)
{
    static uint8_t b[70000];
    uint8_t *f = b + MOTE_NET_VNET_HDR_LEN;
    size_t o = nt_ip(f, r->nif.mac, OPEER, OME, 6, 20 + len, 3, 0x4000, 0);
    uint8_t *t = f + o;
    memset(t, 0, 20);
    mote_store_be16(t, 80);
    mote_store_be16(t + 2, lport);
    mote_store_be32(t + 4, seq);
    mote_store_be32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = 0x18;
    mote_store_be16(t + 14, 65535);
    for (size_t i = 0; i < len; i++)
        t[20 + i] = pat(off + i);
    if (good_csum)
        mote_store_be16(t + 16, nt_csum(t, 20 + len, nt_pseudo(OPEER, OME, 6, 20 + len)));
    else
        mote_store_be16(t + 16, 0x1234); /* partial or plain wrong */
    mote_net_vnet_encode(h, b);
    r->fn(r->arg, b, MOTE_NET_VNET_HDR_LEN + o + 20 + len);
}

START_TEST(test_receive_gso_and_partial_checksums)
{
    run r;
    run_init(&r, M_TSO);
    int res = 0, err;
    mote_flow *fl = mote_net_tcp_connect(r.s, OPEER, 80, nop_connected, &res, &err);
    ck_assert_ptr_nonnull(fl);
    sink k = {0, 0};
    mote_flow_set_events(fl, &sink_events, &k);
    /* the SYN; answer without timestamps so segments are simple */
    ck_assert_uint_ge(r.wire.n, 1);
    const uint8_t *t = r.wire.f[r.wire.n - 1] + 34;
    ck_assert_uint_eq(t[13], 0x02);
    uint32_t iss = mote_load_be32(t + 4);
    uint16_t lport = mote_load_be16(t);
    static uint8_t b[200];
    uint8_t *f = b;
    size_t o = nt_ip(f, r.nif.mac, OPEER, OME, 6, 24, 2, 0x4000, 0);
    uint8_t *s = f + o;
    memset(s, 0, 24);
    mote_store_be16(s, 80);
    mote_store_be16(s + 2, lport);
    mote_store_be32(s + 4, 9000);
    mote_store_be32(s + 8, iss + 1);
    s[12] = 6 << 4;
    s[13] = 0x12;
    mote_store_be16(s + 14, 65535);
    s[20] = 2;
    s[21] = 4;
    mote_store_be16(s + 22, 1460);
    mote_store_be16(s + 16, nt_csum(s, 24, nt_pseudo(OPEER, OME, 6, 24)));
    run_input(&r, f, o + 24);
    ck_assert_int_eq(res, 1);
    mote_net_counters c0;
    mote_net_get_counters(r.s, &c0);
    uint32_t seq = 9001;
    /* a 30000-byte GSO frame with a partial checksum: taken whole */
    mote_net_vnet_hdr gso = {MOTE_NET_VNET_F_NEEDS_CSUM, MOTE_NET_VNET_GSO_TCPV4, 54, 1460, 34, 16};
    peer_vnet_data(&r, &gso, lport, seq, iss + 1, 0, 30000, 0);
    ck_assert_uint_eq(k.n, 30000);
    seq += 30000;
    /* DATA_VALID: the checksum is not checked again */
    mote_net_vnet_hdr valid = {MOTE_NET_VNET_F_DATA_VALID, 0, 0, 0, 0, 0};
    peer_vnet_data(&r, &valid, lport, seq, iss + 1, 30000, 1000, 0);
    ck_assert_uint_eq(k.n, 31000);
    seq += 1000;
    /* no flags: a bad checksum is dropped, a good one taken */
    mote_net_vnet_hdr none = {0, 0, 0, 0, 0, 0};
    peer_vnet_data(&r, &none, lport, seq, iss + 1, 31000, 1000, 0);
    ck_assert_uint_eq(k.n, 31000);
    peer_vnet_data(&r, &none, lport, seq, iss + 1, 31000, 1000, 1);
    ck_assert_uint_eq(k.n, 32000);
    seq += 1000;
    /* a header whose checksum offsets leave the frame is dropped */
    mote_net_vnet_hdr badh = {MOTE_NET_VNET_F_NEEDS_CSUM, 0, 0, 0, 34, 2000};
    peer_vnet_data(&r, &badh, lport, seq, iss + 1, 32000, 1000, 1);
    ck_assert_uint_eq(k.n, 32000);
    r.fn(r.arg, b, 5); /* shorter than a header */
    mote_net_counters c;
    mote_net_get_counters(r.s, &c);
    ck_assert_uint_eq(c.eth_gso_in - c0.eth_gso_in, 1);
    ck_assert_uint_eq(c.eth_drop_vnet - c0.eth_drop_vnet, 2);
    ck_assert_uint_eq(c.tcp_drop_checksum - c0.tcp_drop_checksum, 1);
    ck_assert_int_eq(k.mismatch, 0);
    mote_flow_close(fl);
    run_free(&r);
}
END_TEST

START_TEST(test_offload_config_checked)
{
    run r;
    run_init(&r, M_PER_MSS);
    mote_net_config cfg;
    mote_net_config_default(&cfg);
    ck_assert_int_eq(cfg.gso, 1);
    cfg.netif = &r.nif;
    cfg.clock = r.clk;
    cfg.rng = &r.rng.rng;
    const unsigned bad[] = {MOTE_NET_OFFLOAD_CSUM, MOTE_NET_OFFLOAD_TSO4,
                            MOTE_NET_OFFLOAD_VNET | MOTE_NET_OFFLOAD_TSO4, 0x100};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int err = 0;
        cfg.offload = bad[i];
        ck_assert_ptr_null(mote_net_new(&cfg, &err));
        ck_assert_int_eq(err, MOTE_EINVAL);
    }
    run_free(&r);
}
END_TEST

/* ---- the pcap recorder on a vnet netif ---- */

static int pcap_mem(void *arg, const void *d, size_t len)
{
    mote_buf *b = arg;
    return mote_buf_append(b, d, len);
}

START_TEST(test_pcap_records_wire_frames)
{
    run r;
    memset(&r, 0, sizeof r);
    mote_time t0 = {1700000000, 0};
    r.fc = mote_fakeclock_new(MOTE_NS_PER_SEC, t0);
    r.clk = mote_fakeclock_clock(r.fc);
    r.nif.ctx = &r;
    r.nif.send = run_send;
    r.nif.set_receiver = run_set_rx;
    r.nif.mtu = 1500;
    r.vnet = 1;
    mote_buf out;
    mote_buf_init(&out, 0);
    int err;
    mote_net_pcap *p = mote_net_pcap_new(&r.nif, r.clk, pcap_mem, &out, 0, &err);
    ck_assert_ptr_nonnull(p);
    mote_net_pcap_set_vnet(p, 1);
    mote_netif *nif = mote_net_pcap_netif(p);
    static uint8_t buf[70000];
    mote_net_vnet_hdr h = {MOTE_NET_VNET_F_NEEDS_CSUM, MOTE_NET_VNET_GSO_TCPV4, 66, 1448, 34, 16};
    size_t len = build_super(buf, &h, 1, 1, 0x18, 10000);
    ck_assert_int_eq(mote_netif_send(nif, buf, len), 0);
    ck_assert_uint_eq(mote_net_pcap_frames(p), 7); /* 10000 / 1448 rounded up */
    /* the netif got the super-frame untouched */
    ck_assert_uint_eq(r.max_frame, len);
    /* a received one too, and a header the recorder cannot follow is
     * recorded without it */
    r.fn(r.arg, buf, len);
    ck_assert_uint_eq(mote_net_pcap_frames(p), 14);
    h.gso_size = 0;
    mote_net_vnet_encode(&h, buf);
    r.fn(r.arg, buf, len);
    ck_assert_uint_eq(mote_net_pcap_frames(p), 15);
    /* every record: 16-byte header, then a frame with good checksums */
    size_t at = 24;
    for (int i = 0; i < 14; i++) {
        ck_assert_uint_le(at + 16, out.len);
        uint32_t incl = (uint32_t)out.data[at + 8] | (uint32_t)out.data[at + 9] << 8 |
                        (uint32_t)out.data[at + 10] << 16 | (uint32_t)out.data[at + 11] << 24;
        check_wire_tcp(out.data + at + 16, incl, 1500);
        at += 16 + incl;
    }
    mote_net_pcap_free(p);
    mote_buf_free(&out);
    flist_free(&r.wire);
    mote_fakeclock_free(r.fc);
}
END_TEST

/* ---- two stacks with TSO over the link, through faults ---- */

typedef struct bulk {
    mote_flow *f;
    size_t total, sent, rcvd;
    int eof, mismatch, accepted, connected, shut;
} bulk;

static void b_pump(bulk *b)
{
    static uint8_t buf[65536];
    while (b->sent < b->total && mote_flow_queued(b->f) < 512 * 1024) {
        size_t n = b->total - b->sent < sizeof buf ? b->total - b->sent : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(b->sent + i);
        ck_assert_int_eq(mote_flow_write(b->f, buf, n), 0);
        b->sent += n;
    }
    if (b->sent == b->total && !b->shut) {
        b->shut = 1;
        ck_assert_int_eq(mote_flow_shutdown(b->f), 0);
    }
}

static void b_data(void *arg, const uint8_t *d, size_t len)
{
    bulk *b = arg;
    b->mismatch += (int)pat_mismatches(d, len, b->rcvd);
    b->rcvd += len;
}

static void b_eof(void *arg)
{
    ((bulk *)arg)->eof = 1;
}

static void b_drain(void *arg)
{
    b_pump(arg);
}

static const mote_flow_events b_events = {b_data, b_eof, b_drain, NULL};

static void b_accept(void *arg, mote_net_listener *l)
{
    bulk *b = arg;
    int err;
    b->f = mote_net_tcp_accept(l, &err);
    ck_assert_ptr_nonnull(b->f);
    b->accepted = 1;
    mote_flow_set_events(b->f, &b_events, b);
    b_pump(b);
}

static void b_connected(void *arg, mote_flow *f, int err)
{
    bulk *b = arg;
    (void)f;
    ck_assert_int_eq(err, 0);
    b->connected = 1;
    b_pump(b);
}

static void tso_pair(uint32_t loss, uint32_t reorder, uint32_t dup, uint32_t corrupt, size_t bytes,
                     int cc, int gro)
{
    mote_net_config base;
    mote_net_config_default(&base);
    base.offload = MOTE_NET_OFFLOAD_VNET | MOTE_NET_OFFLOAD_CSUM | MOTE_NET_OFFLOAD_TSO4;
    base.tcp.cc = cc;
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    lc.vnet = 1;
    lc.gro = gro;
    lc.seed = 11;
    lc.delay_ns = 2 * MOTE_NS_PER_MS;
    lc.loss_ppm = loss;
    lc.reorder_ppm = reorder;
    lc.dup_ppm = dup;
    lc.corrupt_ppm = corrupt;
    nt_pair p;
    nt_pair_init_cfg(&p, &lc, &base);
    bulk cl = {0}, sv = {0};
    cl.total = sv.total = bytes;
    int err;
    mote_net_listener *l = mote_net_tcp_listen(p.st[1], 5001, 4, b_accept, &sv, &err);
    ck_assert_ptr_nonnull(l);
    cl.f = mote_net_tcp_connect(p.st[0], NT_B, 5001, b_connected, &cl, &err);
    ck_assert_ptr_nonnull(cl.f);
    mote_flow_set_events(cl.f, &b_events, &cl);
    for (int i = 0; i < 100000 && !(cl.eof && sv.eof && cl.rcvd == bytes && sv.rcvd == bytes);
         i++) {
        mote_fakeclock_run(p.fc, nt_now(&p) + 100 * MOTE_NS_PER_MS, 1000000);
        uint64_t now = nt_now(&p), next;
        if (mote_fakeclock_next(p.fc, &next) != 0)
            break;
        if (next > now)
            mote_fakeclock_advance(p.fc, next - now);
    }
    ck_assert_uint_eq(cl.rcvd, bytes);
    ck_assert_uint_eq(sv.rcvd, bytes);
    ck_assert_int_eq(cl.mismatch, 0);
    ck_assert_int_eq(sv.mismatch, 0);
    ck_assert(cl.eof && sv.eof);
    mote_net_counters c0, c1;
    mote_net_get_counters(p.st[0], &c0);
    mote_net_get_counters(p.st[1], &c1);
    ck_assert_uint_gt(c0.eth_tso_out, 0);
    ck_assert_uint_gt(c1.eth_tso_out, 0);
    if (gro) { /* the super-frames arrived whole */
        ck_assert_uint_gt(c0.eth_gso_in, 0);
        ck_assert_uint_gt(c1.eth_gso_in, 0);
    } else {
        ck_assert_uint_eq(c0.eth_gso_in + c1.eth_gso_in, 0);
    }
    if (loss) {
        ck_assert_uint_gt(c0.tcp_retransmits, 0);
        ck_assert_uint_gt(c1.tcp_retransmits, 0);
    } else {
        ck_assert_uint_eq(c0.tcp_retransmits + c1.tcp_retransmits, 0);
    }
    if (corrupt)
        ck_assert_uint_gt(c0.tcp_drop_checksum + c1.tcp_drop_checksum + c0.ip_drop_checksum +
                              c1.ip_drop_checksum + c0.eth_drop_dst + c1.eth_drop_dst +
                              c0.eth_drop_type + c1.eth_drop_type + c0.ip_drop_header +
                              c1.ip_drop_header + c0.ip_drop_dst + c1.ip_drop_dst +
                              c0.tcp_drop_bad + c1.tcp_drop_bad,
                          0);
    mote_flow_close(cl.f);
    mote_flow_close(sv.f);
    mote_net_listener_close(l);
    nt_run(&p, 200 * MOTE_NS_PER_SEC);
    nt_pair_free(&p);
}

START_TEST(test_tso_pair_clean)
{
    tso_pair(0, 0, 0, 0, 8u << 20, MOTE_NET_CC_CUBIC, 0);
    tso_pair(0, 0, 0, 0, 8u << 20, MOTE_NET_CC_CUBIC, 1);
}
END_TEST

START_TEST(test_tso_pair_faults)
{
    tso_pair(50000, 30000, 10000, 1000, 2u << 20, MOTE_NET_CC_CUBIC, 0);
    tso_pair(50000, 30000, 10000, 1000, 1u << 20, MOTE_NET_CC_NEWRENO, 0);
}
END_TEST

START_TEST(test_tso_pair_gro_faults)
{
    /* whole super-frames lost, duplicated, reordered and corrupted: the
     * receiver holds 64 KiB segments out of order and SACKs them */
    tso_pair(50000, 30000, 10000, 20000, 2u << 20, MOTE_NET_CC_CUBIC, 1);
    tso_pair(50000, 30000, 10000, 20000, 1u << 20, MOTE_NET_CC_NEWRENO, 1);
}
END_TEST

static Suite *offload_suite(void)
{
    Suite *s = suite_create("net-gso");
    TCase *tc = tcase_create("gso");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_vnet_header_codec);
    tcase_add_test(tc, test_segmenter_cuts_exactly);
    tcase_add_test(tc, test_segmenter_completes_checksums);
    tcase_add_test(tc, test_segmenter_rejects_bad_headers);
    tcase_add_test(tc, test_same_wire_clean);
    tcase_add_test(tc, test_same_wire_small_window);
    tcase_add_test(tc, test_same_wire_losses);
    tcase_add_test(tc, test_same_wire_path_mtu);
    tcase_add_test(tc, test_receive_gso_and_partial_checksums);
    tcase_add_test(tc, test_offload_config_checked);
    tcase_add_test(tc, test_pcap_records_wire_frames);
    tcase_add_test(tc, test_tso_pair_clean);
    tcase_add_test(tc, test_tso_pair_faults);
    tcase_add_test(tc, test_tso_pair_gro_faults);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(offload_suite());
}
