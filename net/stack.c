/* stack.c - the stack object, ethernet, ARP, IPv4 (fragmentation and
 * reassembly), ICMPv4 and UDP. TCP lives in tcp.c. */
#include "internal.h"

#include <stddef.h>
#include <stdio.h>

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void stack_rearm(mote_net *s);

/* ---- configuration --------------------------------------------------- */

void mote_net_config_default(mote_net_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->ttl = 64;
    cfg->arp_cache_size = 64;
    cfg->arp_timeout_ns = 60 * MOTE_NS_PER_SEC;
    cfg->arp_pending_max = 16;
    cfg->reasm_max_bytes = 256 * 1024;
    cfg->reasm_max_datagrams = 16;
    cfg->reasm_max_frags = 64;
    cfg->reasm_timeout_ns = 30 * MOTE_NS_PER_SEC;
    cfg->icmp_error_rate = 100;
    cfg->gso = 1;
    net_tcp_config_default(&cfg->tcp);
}

static int mask_ok(mote_net_ip4 m)
{
    /* contiguous ones from the top: ~m + 1 is a power of two (or 0) */
    uint32_t inv = ~m;
    return (inv & (inv + 1)) == 0;
}

int net_is_local_bcast(const mote_net *s, mote_net_ip4 a)
{
    if (a == IP_BCAST)
        return 1;
    if (s->addr && s->mask && s->mask != 0xffffffffu && (a & s->mask) == (s->addr & s->mask) &&
        (a | s->mask) == IP_BCAST)
        return 1;
    return 0;
}

static int is_martian_src(mote_net_ip4 a)
{
    return a == 0 || a == IP_BCAST || (a >> 28) == 0xe || (a >> 24) == 127;
}

/* The next hop for dst, or 0 if there is no route. */
static mote_net_ip4 next_hop(const mote_net *s, mote_net_ip4 dst)
{
    if (dst == IP_BCAST)
        return IP_BCAST;
    if (!s->addr)
        return 0;
    if ((dst & s->mask) == (s->addr & s->mask))
        return dst;
    return s->gw;
}

int net_route_ok(const mote_net *s, mote_net_ip4 dst)
{
    return next_hop(s, dst) != 0 && dst != s->addr;
}

/* ---- ethernet and ARP ------------------------------------------------ */

/* Sends one frame. frame has NET_HEADROOM writable bytes in front of it:
 * on a VNET netif the virtio-net header goes there (vh, or none for NULL). */
static int eth_send(mote_net *s, uint8_t *frame, size_t len, const mote_net_vnet_hdr *vh)
{
    uint8_t pad[NET_HEADROOM + 60];
    if (len < 60) { /* the minimum ethernet frame (without FCS) */
        memcpy(pad + NET_HEADROOM, frame, len);
        memset(pad + NET_HEADROOM + len, 0, 60 - len);
        frame = pad + NET_HEADROOM;
        len = 60;
    }
    if (s->offload & MOTE_NET_OFFLOAD_VNET) {
        static const mote_net_vnet_hdr none;
        frame -= MOTE_NET_VNET_HDR_LEN;
        len += MOTE_NET_VNET_HDR_LEN;
        mote_net_vnet_encode(vh ? vh : &none, frame);
    }
    int rc = mote_netif_send(s->netif, frame, len);
    if (rc < 0)
        s->ctr.eth_send_fail++;
    else
        s->ctr.eth_out++;
    return rc;
}

static int arp_send(mote_net *s, uint16_t op, const uint8_t *tha, mote_net_ip4 tpa,
                    const uint8_t *eth_dst, mote_net_ip4 spa)
{
    uint8_t buf[NET_HEADROOM + ETH_HLEN + 28];
    uint8_t *f = buf + NET_HEADROOM;
    memcpy(f, eth_dst, 6);
    memcpy(f + 6, s->mac, 6);
    mote_store_be16(f + 12, ETHERTYPE_ARP);
    uint8_t *a = f + ETH_HLEN;
    mote_store_be16(a, 1);
    mote_store_be16(a + 2, ETHERTYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    mote_store_be16(a + 6, op);
    memcpy(a + 8, s->mac, 6);
    mote_store_be32(a + 14, spa);
    memcpy(a + 18, tha, 6);
    mote_store_be32(a + 24, tpa);
    s->ctr.arp_out++;
    return eth_send(s, f, ETH_HLEN + 28, NULL);
}

static void arp_request(mote_net *s, mote_net_ip4 ip)
{
    static const uint8_t zero[6] = {0};
    arp_send(s, 1, zero, ip, bcast_mac, s->addr);
}

static void arp_free_pending(mote_net *s, struct net_arp_entry *e)
{
    struct net_arp_pending *p = e->pend_head;
    while (p) {
        struct net_arp_pending *n = p->next;
        free(p);
        s->ctr.arp_pending_drop++;
        p = n;
    }
    e->pend_head = e->pend_tail = NULL;
    e->npend = 0;
}

static struct net_arp_entry *arp_find(mote_net *s, mote_net_ip4 ip)
{
    for (size_t i = 0; i < s->cfg.arp_cache_size; i++)
        if (s->arp[i].state != ARP_FREE && s->arp[i].ip == ip)
            return &s->arp[i];
    return NULL;
}

/* A free entry, or the least recently used one (its pending frames go). */
static struct net_arp_entry *arp_alloc(mote_net *s, mote_net_ip4 ip)
{
    struct net_arp_entry *best = NULL;
    for (size_t i = 0; i < s->cfg.arp_cache_size; i++) {
        struct net_arp_entry *e = &s->arp[i];
        if (e->state == ARP_FREE) {
            best = e;
            break;
        }
        if (!best || e->used < best->used)
            best = e;
    }
    arp_free_pending(s, best);
    memset(best, 0, sizeof *best);
    best->ip = ip;
    best->used = net_now(s);
    return best;
}

static void arp_resolved(mote_net *s, struct net_arp_entry *e, const uint8_t *mac)
{
    uint64_t now = net_now(s);
    memcpy(e->mac, mac, 6);
    if (e->state != ARP_REACHABLE)
        s->ctr.arp_resolved++;
    e->state = ARP_REACHABLE;
    e->expires = now + s->cfg.arp_timeout_ns;
    e->tries = 0;
    e->next_try = 0;
    struct net_arp_pending *p = e->pend_head;
    e->pend_head = e->pend_tail = NULL;
    e->npend = 0;
    while (p) {
        struct net_arp_pending *n = p->next;
        memcpy(p->buf + NET_HEADROOM, mac, 6);
        eth_send(s, p->buf + NET_HEADROOM, p->len, p->has_vh ? &p->vh : NULL);
        free(p);
        p = n;
    }
}

static void arp_input(mote_net *s, const uint8_t *eth, const uint8_t *a, size_t len)
{
    (void)eth;
    s->ctr.arp_in++;
    if (len < 28 || mote_load_be16(a) != 1 || mote_load_be16(a + 2) != ETHERTYPE_IPV4 ||
        a[4] != 6 || a[5] != 4) {
        s->ctr.arp_drop_bad++;
        return;
    }
    uint16_t op = mote_load_be16(a + 6);
    const uint8_t *sha = a + 8;
    mote_net_ip4 spa = mote_load_be32(a + 14);
    mote_net_ip4 tpa = mote_load_be32(a + 24);
    if ((op != 1 && op != 2) || (sha[0] & 1) || spa == IP_BCAST || (spa >> 28) == 0xe) {
        s->ctr.arp_drop_bad++;
        return;
    }
    if (spa != 0 && spa == s->addr && memcmp(sha, s->mac, 6) != 0) {
        char txt[16];
        mote_net_ip4_format(spa, txt, sizeof txt);
        mote_logf(s->log, MOTE_LOG_WARN, LOGC ".arp", "address conflict: another host claims %s",
                  txt);
        return;
    }
    /* RFC 826: update an existing entry; add one if the packet is for us. */
    struct net_arp_entry *e = spa ? arp_find(s, spa) : NULL;
    int for_us = s->addr != 0 && tpa == s->addr;
    if (e)
        arp_resolved(s, e, sha);
    else if (for_us && spa)
        arp_resolved(s, arp_alloc(s, spa), sha);
    if (for_us && op == 1) {
        s->ctr.arp_requests_in++;
        s->ctr.arp_replies_out++;
        arp_send(s, 2, sha, spa, sha, s->addr);
    }
    stack_rearm(s);
}

/* Sends an IPv4 frame (ethernet header filled but for the destination;
 * NET_HEADROOM free bytes in front; offloads vh or NULL) to the next hop,
 * resolving it first if needed. */
static int eth_xmit(mote_net *s, mote_net_ip4 nh, uint8_t *frame, size_t len,
                    const mote_net_vnet_hdr *vh)
{
    if (nh == IP_BCAST || net_is_local_bcast(s, nh)) {
        memcpy(frame, bcast_mac, 6);
        return eth_send(s, frame, len, vh);
    }
    uint64_t now = net_now(s);
    struct net_arp_entry *e = arp_find(s, nh);
    if (e && e->state == ARP_REACHABLE && now >= e->expires + 3 * MOTE_NS_PER_SEC) {
        /* expired and not refreshed: resolve afresh */
        e->state = ARP_FREE;
        e = NULL;
    }
    if (e && e->state == ARP_REACHABLE) {
        e->used = now;
        if (now >= e->expires && now >= e->next_try) {
            /* stale: keep using it, but ask again */
            e->next_try = now + MOTE_NS_PER_SEC;
            arp_request(s, nh);
        }
        memcpy(frame, e->mac, 6);
        return eth_send(s, frame, len, vh);
    }
    if (!e) {
        e = arp_alloc(s, nh);
        e->state = ARP_INCOMPLETE;
        e->tries = 1;
        e->next_try = now + MOTE_NS_PER_SEC;
        arp_request(s, nh);
        stack_rearm(s);
    }
    e->used = now;
    struct net_arp_pending *p = malloc(sizeof *p + NET_HEADROOM + len);
    if (!p)
        return MOTE_ENOMEM;
    p->next = NULL;
    p->len = len;
    p->has_vh = vh != NULL;
    if (vh)
        p->vh = *vh;
    memcpy(p->buf + NET_HEADROOM, frame, len);
    if (e->npend >= s->cfg.arp_pending_max) { /* drop the oldest */
        struct net_arp_pending *old = e->pend_head;
        e->pend_head = old->next;
        if (!e->pend_head)
            e->pend_tail = NULL;
        free(old);
        e->npend--;
        s->ctr.arp_pending_drop++;
    }
    if (e->pend_tail)
        e->pend_tail->next = p;
    else
        e->pend_head = p;
    e->pend_tail = p;
    e->npend++;
    return 0;
}

int mote_net_announce(mote_net *s)
{
    if (!s || !s->addr)
        return MOTE_ESTATE;
    /* a gratuitous ARP request: sender and target are both our address */
    static const uint8_t zero[6] = {0};
    int rc = arp_send(s, 1, zero, s->addr, bcast_mac, s->addr);
    return rc < 0 ? rc : 0;
}

/* RFC 5227 2.3: ANNOUNCE_NUM announcements ANNOUNCE_INTERVAL apart, so a
 * peer that missed one frame on a lossy link still replaces a stale MAC.
 * The first goes now, the rest from the stack's timer. */
#define ANNOUNCE_NUM      2
#define ANNOUNCE_INTERVAL (2 * MOTE_NS_PER_SEC)

static void announce_start(mote_net *s)
{
    s->announce_left = 0;
    if (!s->addr)
        return;
    mote_net_announce(s);
    s->announce_left = ANNOUNCE_NUM - 1;
    s->announce_at = net_now(s) + ANNOUNCE_INTERVAL;
    stack_rearm(s);
}

/* ---- IPv4 output ------------------------------------------------------ */

static void ip_header(mote_net *s, uint8_t *ip, size_t total, uint16_t id, uint16_t frag,
                      uint8_t proto, mote_net_ip4 src, mote_net_ip4 dst)
{
    ip[0] = 0x45;
    ip[1] = 0;
    mote_store_be16(ip + 2, (uint16_t)total);
    mote_store_be16(ip + 4, id);
    mote_store_be16(ip + 6, frag);
    ip[8] = s->cfg.ttl;
    ip[9] = proto;
    ip[10] = ip[11] = 0;
    mote_store_be32(ip + 12, src);
    mote_store_be32(ip + 16, dst);
    mote_store_be16(ip + 10, net_csum_fold(net_csum_partial(0, ip, IP_HLEN)));
}

/* The next hop towards dst (MOTE_EUNREACH, counted, without one or for our
 * own address) and the source address: *src, or ours when 0. */
static int ip_route(mote_net *s, mote_net_ip4 dst, mote_net_ip4 *src, mote_net_ip4 *nh)
{
    *nh = next_hop(s, dst);
    if (!*nh || (dst == s->addr && s->addr)) {
        s->ctr.ip_no_route++;
        return MOTE_EUNREACH;
    }
    if (!*src)
        *src = s->addr;
    return 0;
}

/* Our MAC as the source and IPv4 as the type of the frame at f (the
 * destination is filled once the next hop is resolved). */
static void eth_ipv4_header(mote_net *s, uint8_t *f)
{
    memcpy(f + 6, s->mac, 6);
    mote_store_be16(f + 12, ETHERTYPE_IPV4);
}

int net_ip_output(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, uint8_t proto, const uint8_t *l4,
                  size_t l4len, int df)
{
    if (l4len > IP_MAXPACKET_ - IP_HLEN)
        return MOTE_ELIMIT;
    mote_net_ip4 nh;
    int rc = ip_route(s, dst, &src, &nh);
    if (rc < 0)
        return rc;
    uint16_t id = s->ip_id++;
    size_t total = IP_HLEN + l4len;
    s->ctr.ip_out++;
    if (total <= s->mtu) {
        uint8_t *f = s->tx;
        if (l4 != f + ETH_HLEN + IP_HLEN)
            memmove(f + ETH_HLEN + IP_HLEN, l4, l4len);
        eth_ipv4_header(s, f);
        ip_header(s, f + ETH_HLEN, total, id, df ? 0x4000 : 0, proto, src, dst);
        return eth_xmit(s, nh, f, ETH_HLEN + total, NULL);
    }
    if (df)
        return MOTE_ELIMIT;
    size_t per = (s->mtu - IP_HLEN) & ~(size_t)7;
    for (size_t off = 0; off < l4len; off += per) {
        size_t n = l4len - off < per ? l4len - off : per;
        int more = off + n < l4len;
        uint8_t *f = s->fragtx;
        memcpy(f + ETH_HLEN + IP_HLEN, l4 + off, n);
        eth_ipv4_header(s, f);
        ip_header(s, f + ETH_HLEN, IP_HLEN + n, id, (uint16_t)((more ? 0x2000 : 0) | (off / 8)),
                  proto, src, dst);
        s->ctr.ip_frag_out++;
        rc = eth_xmit(s, nh, f, ETH_HLEN + IP_HLEN + n, NULL);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int net_tcp_ip_output(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, size_t thl, size_t plen,
                      size_t seg)
{
    size_t l4len = thl + plen;
    if (l4len > IP_MAXPACKET_ - IP_HLEN || seg == 0)
        return MOTE_ELIMIT;
    mote_net_ip4 nh;
    int rc = ip_route(s, dst, &src, &nh);
    if (rc < 0)
        return rc;
    size_t nseg = plen > seg ? (plen + seg - 1) / seg : 1;
    int partial = (s->offload & MOTE_NET_OFFLOAD_CSUM) != 0;
    uint16_t id = s->ip_id;
    s->ip_id = (uint16_t)(s->ip_id + nseg);
    s->ctr.ip_out += nseg;
    uint8_t *f = s->tx;
    uint8_t *th = f + ETH_HLEN + IP_HLEN;
    eth_ipv4_header(s, f);
    ip_header(s, f + ETH_HLEN, IP_HLEN + l4len, id, 0x4000, IPPROTO_TCP_, src, dst);
    mote_net_vnet_hdr vh = {MOTE_NET_VNET_F_NEEDS_CSUM,
                            MOTE_NET_VNET_GSO_NONE,
                            (uint16_t)(ETH_HLEN + IP_HLEN + thl),
                            0,
                            ETH_HLEN + IP_HLEN,
                            16};
    th[16] = th[17] = 0;
    if (nseg == 1) {
        if (IP_HLEN + l4len > s->mtu)
            return MOTE_ELIMIT;
        if (partial)
            mote_store_be16(th + 16, net_csum_pseudo_field(src, dst, IPPROTO_TCP_, l4len));
        else
            mote_store_be16(th + 16,
                            net_csum_fold(net_csum_partial(
                                net_csum_pseudo(src, dst, IPPROTO_TCP_, l4len), th, l4len)));
        return eth_xmit(s, nh, f, ETH_HLEN + IP_HLEN + l4len, partial ? &vh : NULL);
    }
    if (IP_HLEN + thl + seg > s->mtu)
        return MOTE_ELIMIT;
    if (s->offload & MOTE_NET_OFFLOAD_TSO4) {
        /* the kernel's GSO expects the pseudo-header sum over the whole
         * super-segment's length and adjusts it per segment */
        mote_store_be16(th + 16, net_csum_pseudo_field(src, dst, IPPROTO_TCP_, l4len));
        vh.gso_type = MOTE_NET_VNET_GSO_TCPV4;
        vh.gso_size = (uint16_t)seg;
        s->ctr.eth_tso_out++;
        return eth_xmit(s, nh, f, ETH_HLEN + IP_HLEN + l4len, &vh);
    }
    s->ctr.eth_gso_split++;
    size_t off = 0;
    for (unsigned i = 0; off < plen; i++) {
        size_t n = plen - off < seg ? plen - off : seg;
        size_t len = net_tso_cut(f, IP_HLEN, thl, off, n, plen, i, partial, s->fragtx);
        rc = eth_xmit(s, nh, s->fragtx, len, partial ? &vh : NULL);
        if (rc < 0)
            return rc;
        off += n;
    }
    return 0;
}

/* ---- ICMP ------------------------------------------------------------- */

static int icmp_allow(mote_net *s)
{
    uint64_t now = net_now(s);
    unsigned rate = s->cfg.icmp_error_rate;
    if (now - s->icmp_tokens_at >= MOTE_NS_PER_SEC || s->icmp_tokens_at == 0) {
        s->icmp_tokens = rate;
        s->icmp_tokens_at = now ? now : 1;
    }
    if (s->icmp_tokens == 0) {
        s->ctr.icmp_rate_limited++;
        return 0;
    }
    s->icmp_tokens--;
    return 1;
}

void net_icmp_error(mote_net *s, uint8_t type, uint8_t code, uint32_t extra, const uint8_t *ip,
                    size_t iplen)
{
    if (iplen < IP_HLEN || !s->addr)
        return;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    mote_net_ip4 src = mote_load_be32(ip + 12), dst = mote_load_be32(ip + 16);
    /* RFC 1122 3.2.2: never about broadcasts, martians, non-first fragments
     * or ICMP errors. */
    if (net_is_local_bcast(s, dst) || (dst >> 28) == 0xe || is_martian_src(src) ||
        net_is_local_bcast(s, src) || (mote_load_be16(ip + 6) & 0x1fff) != 0)
        return;
    if (ip[9] == IPPROTO_ICMP_ && iplen >= ihl + 1) {
        uint8_t t = ip[ihl];
        if (t != 0 && t != 8 && t != 13 && t != 14 && t != 17 && t != 18)
            return;
    }
    if (!icmp_allow(s))
        return;
    size_t quote = iplen > 548 ? 548 : iplen;
    uint8_t *b = net_l4_buf(s);
    b[0] = type;
    b[1] = code;
    b[2] = b[3] = 0;
    mote_store_be32(b + 4, extra);
    memcpy(b + 8, ip, quote);
    mote_store_be16(b + 2, net_csum_fold(net_csum_partial(0, b, 8 + quote)));
    if (type == 3)
        s->ctr.icmp_unreach_out++;
    s->ctr.icmp_out++;
    net_ip_output(s, 0, src, IPPROTO_ICMP_, b, 8 + quote, 0);
}

static int icmp_err_code(uint8_t type, uint8_t code)
{
    if (type == 11)
        return MOTE_ETIMEDOUT;
    if (type == 3) {
        if (code == 2 || code == 3)
            return MOTE_ECONNREFUSED;
        if (code == 4)
            return MOTE_ELIMIT;
        return MOTE_EUNREACH;
    }
    if (type == 12)
        return MOTE_EPROTO;
    return 0;
}

static void icmp_input(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, int bcast, const uint8_t *p,
                       size_t len)
{
    s->ctr.icmp_in++;
    if (len < 8 || net_csum_fold(net_csum_partial(0, p, len)) != 0) {
        s->ctr.icmp_drop_bad++;
        return;
    }
    uint8_t type = p[0], code = p[1];
    if (type == 8 && code == 0) {
        s->ctr.icmp_echo_in++;
        if (bcast || !s->addr)
            return;
        uint8_t *b = net_l4_buf(s);
        memmove(b, p, len);
        b[0] = 0;
        b[2] = b[3] = 0;
        mote_store_be16(b + 2, net_csum_fold(net_csum_partial(0, b, len)));
        s->ctr.icmp_out++;
        net_ip_output(s, dst == s->addr ? dst : s->addr, src, IPPROTO_ICMP_, b, len, 0);
        return;
    }
    if (type == 0 && code == 0) {
        s->ctr.icmp_echo_reply_in++;
        if (s->cfg.on_echo_reply)
            s->cfg.on_echo_reply(s->cfg.echo_arg, src, mote_load_be16(p + 4), mote_load_be16(p + 6),
                                 p + 8, len - 8);
        return;
    }
    int err = icmp_err_code(type, code);
    if (!err)
        return; /* other types (redirects, timestamps, ...) are ignored */
    if (type == 3)
        s->ctr.icmp_unreach_in++;
    const uint8_t *in = p + 8;
    size_t inlen = len - 8;
    if (inlen < IP_HLEN || (in[0] >> 4) != 4) {
        s->ctr.icmp_drop_bad++;
        return;
    }
    size_t ihl = (size_t)(in[0] & 15) * 4;
    if (ihl < IP_HLEN || inlen < ihl + 8) {
        s->ctr.icmp_drop_bad++;
        return;
    }
    mote_net_ip4 isrc = mote_load_be32(in + 12), idst = mote_load_be32(in + 16);
    if (isrc != s->addr)
        return;
    const uint8_t *l4 = in + ihl;
    uint32_t mtu = type == 3 && code == 4 ? mote_load_be16(p + 6) : 0;
    if (in[9] == IPPROTO_UDP_) {
        uint16_t sport = mote_load_be16(l4), dport = mote_load_be16(l4 + 2);
        for (struct mote_net_udp *u = s->udp; u; u = u->next) {
            if (!u->closed && u->port == sport) {
                if (u->ev.error)
                    u->ev.error(u->arg, u, idst, dport, err);
                break;
            }
        }
    } else if (in[9] == IPPROTO_TCP_) {
        net_tcp_icmp_error(s, isrc, idst, l4, inlen - ihl, err, mtu);
    }
}

int mote_net_ping(mote_net *s, mote_net_ip4 dst, uint16_t id, uint16_t seq, const void *data,
                  size_t len)
{
    if (!s || (len && !data))
        return MOTE_EINVAL;
    if (len > IP_MAXPACKET_ - IP_HLEN - 8)
        return MOTE_ELIMIT;
    net_enter(s);
    uint8_t *b = net_l4_buf(s);
    b[0] = 8;
    b[1] = 0;
    b[2] = b[3] = 0;
    mote_store_be16(b + 4, id);
    mote_store_be16(b + 6, seq);
    if (len)
        memcpy(b + 8, data, len);
    mote_store_be16(b + 2, net_csum_fold(net_csum_partial(0, b, 8 + len)));
    s->ctr.icmp_out++;
    int rc = net_ip_output(s, 0, dst, IPPROTO_ICMP_, b, 8 + len, 0);
    net_leave(s);
    return rc;
}

/* ---- UDP -------------------------------------------------------------- */

static struct mote_net_udp *udp_find(mote_net *s, uint16_t port)
{
    for (struct mote_net_udp *u = s->udp; u; u = u->next)
        if (!u->closed && u->port == port)
            return u;
    return NULL;
}

static void udp_input(mote_net *s, const uint8_t *ip, size_t iplen, mote_net_ip4 src,
                      mote_net_ip4 dst, int bcast, const uint8_t *p, size_t len)
{
    s->ctr.udp_in++;
    if (len < 8) {
        s->ctr.udp_drop_bad++;
        return;
    }
    size_t ulen = mote_load_be16(p + 4);
    if (ulen < 8 || ulen > len) {
        s->ctr.udp_drop_bad++;
        return;
    }
    if (mote_load_be16(p + 6) != 0) {
        uint64_t sum = net_csum_pseudo(src, dst, IPPROTO_UDP_, ulen);
        if (!s->rx_csum_ok && net_csum_fold(net_csum_partial(sum, p, ulen)) != 0) {
            s->ctr.udp_drop_checksum++;
            return;
        }
    }
    uint16_t sport = mote_load_be16(p), dport = mote_load_be16(p + 2);
    struct mote_net_udp *u = udp_find(s, dport);
    if (!u) {
        s->ctr.udp_no_port++;
        if (!bcast && ip)
            net_icmp_error(s, 3, 3, 0, ip, iplen);
        return;
    }
    if (u->ev.recv)
        u->ev.recv(u->arg, u, src, sport, p + 8, ulen - 8);
}

mote_net_udp *mote_net_udp_open(mote_net *s, uint16_t port, const mote_net_udp_events *ev,
                                void *arg, int *err)
{
    int e = 0;
    mote_net_udp *u = NULL;
    if (!s || !ev) {
        e = MOTE_EINVAL;
        goto out;
    }
    if (port == 0) {
        for (int i = 0; i < 1000 && !port; i++) {
            uint16_t r;
            if (mote_rng_fill(s->rng, &r, sizeof r) < 0) {
                e = MOTE_EIO;
                goto out;
            }
            uint16_t cand = (uint16_t)(49152 + r % 16384);
            if (!udp_find(s, cand))
                port = cand;
        }
        if (!port) {
            e = MOTE_EADDRINUSE;
            goto out;
        }
    } else if (udp_find(s, port)) {
        e = MOTE_EADDRINUSE;
        goto out;
    }
    u = calloc(1, sizeof *u);
    if (!u) {
        e = MOTE_ENOMEM;
        goto out;
    }
    u->s = s;
    u->port = port;
    u->ev = *ev;
    u->arg = arg;
    u->next = s->udp;
    s->udp = u;
out:
    if (err)
        *err = e;
    return u;
}

uint16_t mote_net_udp_port(const mote_net_udp *u)
{
    return u->port;
}

int mote_net_udp_sendto_from(mote_net_udp *u, mote_net_ip4 src, mote_net_ip4 dst, uint16_t dport,
                             const void *data, size_t len)
{
    if (!u || u->closed || (len && !data) || dport == 0)
        return MOTE_EINVAL;
    if (len > IP_MAXPACKET_ - IP_HLEN - 8)
        return MOTE_ELIMIT;
    mote_net *s = u->s;
    net_enter(s);
    if (!src)
        src = s->addr;
    uint8_t *b = net_l4_buf(s);
    mote_store_be16(b, u->port);
    mote_store_be16(b + 2, dport);
    mote_store_be16(b + 4, (uint16_t)(len + 8));
    mote_store_be16(b + 6, 0);
    if (len)
        memmove(b + 8, data, len);
    uint16_t c = net_csum_fold(
        net_csum_partial(net_csum_pseudo(src, dst, IPPROTO_UDP_, len + 8), b, len + 8));
    mote_store_be16(b + 6, c ? c : 0xffff);
    s->ctr.udp_out++;
    int rc = net_ip_output(s, src, dst, IPPROTO_UDP_, b, len + 8, 0);
    net_leave(s);
    return rc;
}

int mote_net_udp_sendto(mote_net_udp *u, mote_net_ip4 dst, uint16_t dport, const void *data,
                        size_t len)
{
    return mote_net_udp_sendto_from(u, 0, dst, dport, data, len);
}

void mote_net_udp_close(mote_net_udp *u)
{
    if (!u || u->closed)
        return;
    mote_net *s = u->s;
    u->closed = 1;
    s->udp_dead = 1;
    net_enter(s);
    net_leave(s);
}

/* ---- IPv4 input and reassembly --------------------------------------- */

static void reasm_free(mote_net *s, struct net_reasm *r)
{
    for (struct net_reasm **pp = &s->reasm; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    struct net_frag *f = r->frags;
    while (f) {
        struct net_frag *n = f->next;
        free(f);
        f = n;
    }
    s->reasm_bytes -= r->bytes;
    s->reasm_count--;
    free(r);
}

static void reasm_drop(mote_net *s, struct net_reasm *r)
{
    s->ctr.ip_reasm_drop++;
    reasm_free(s, r);
}

static struct net_reasm *reasm_oldest(mote_net *s, struct net_reasm *except)
{
    struct net_reasm *best = NULL;
    for (struct net_reasm *r = s->reasm; r; r = r->next)
        if (r != except && (!best || r->expires < best->expires))
            best = r;
    return best;
}

static void ip_deliver(mote_net *s, const uint8_t *ip, size_t iplen, mote_net_ip4 src,
                       mote_net_ip4 dst, uint8_t proto, int bcast, const uint8_t *p, size_t len);

/* Takes one fragment (payload p/len at byte offset off). */
static void reasm_input(mote_net *s, const uint8_t *ip, size_t ihl, mote_net_ip4 src,
                        mote_net_ip4 dst, int bcast, const uint8_t *p, size_t len)
{
    s->ctr.ip_frag_in++;
    uint16_t id = mote_load_be16(ip + 4);
    uint16_t fl = mote_load_be16(ip + 6);
    uint32_t off = (uint32_t)(fl & 0x1fff) * 8;
    int more = (fl & 0x2000) != 0;
    uint8_t proto = ip[9];
    struct net_reasm *r = NULL;
    for (r = s->reasm; r; r = r->next)
        if (r->src == src && r->dst == dst && r->id == id && r->proto == proto)
            break;
    if ((more && (len == 0 || len % 8)) || off + len > IP_MAXPACKET_ - IP_HLEN) {
        /* a malformed fragment spoils its datagram (ping of death and kin) */
        if (r)
            reasm_drop(s, r);
        else
            s->ctr.ip_reasm_drop++;
        return;
    }
    if (len == 0 && !more) {
        if (!r) {
            s->ctr.ip_reasm_drop++;
            return;
        }
    }
    if (!r) {
        while (s->reasm_count >= s->cfg.reasm_max_datagrams && s->reasm)
            reasm_drop(s, reasm_oldest(s, NULL));
        r = calloc(1, sizeof *r);
        if (!r) {
            s->ctr.ip_reasm_drop++;
            return;
        }
        r->src = src;
        r->dst = dst;
        r->id = id;
        r->proto = proto;
        r->expires = net_now(s) + s->cfg.reasm_timeout_ns;
        r->next = s->reasm;
        s->reasm = r;
        s->reasm_count++;
        stack_rearm(s);
    }
    if (!more) {
        if ((r->have_last && r->total != off + len)) {
            reasm_drop(s, r);
            return;
        }
        r->have_last = 1;
        r->total = off + len;
        for (struct net_frag *f = r->frags; f; f = f->next)
            if (f->off + f->len > r->total) {
                reasm_drop(s, r);
                return;
            }
    } else if (r->have_last && off + len > r->total) {
        reasm_drop(s, r);
        return;
    }
    /* find the place; any overlap other than an exact duplicate drops all */
    struct net_frag **pp = &r->frags;
    while (*pp && (*pp)->off + (*pp)->len <= off)
        pp = &(*pp)->next;
    if (*pp && (*pp)->off == off && (*pp)->len == len && memcmp((*pp)->data, p, len) == 0)
        return; /* exact duplicate */
    if (*pp && (*pp)->off < off + len) {
        reasm_drop(s, r);
        return;
    }
    if (len == 0)
        goto check; /* an empty last fragment only sets the total */
    if (r->nfrags + 1 > s->cfg.reasm_max_frags) {
        reasm_drop(s, r);
        return;
    }
    while (s->reasm_bytes + len > s->cfg.reasm_max_bytes) {
        struct net_reasm *o = reasm_oldest(s, r);
        if (!o) {
            reasm_drop(s, r);
            return;
        }
        reasm_drop(s, o);
    }
    struct net_frag *f = malloc(sizeof *f + len);
    if (!f) {
        reasm_drop(s, r);
        return;
    }
    f->off = off;
    f->len = (uint32_t)len;
    memcpy(f->data, p, len);
    f->next = *pp;
    *pp = f;
    r->nfrags++;
    r->bytes += len;
    s->reasm_bytes += len;
    if (off == 0) {
        size_t keep = ihl + (len < 8 ? len : 8);
        r->first_len = keep;
        memcpy(r->first_hdr, ip, ihl);
        memcpy(r->first_hdr + ihl, p, keep - ihl);
    }
check:
    if (!r->have_last || r->bytes != r->total)
        return;
    /* complete: no overlaps and the byte count matches, so no holes */
    uint8_t *buf = malloc(r->total ? r->total : 1);
    if (!buf) {
        reasm_drop(s, r);
        return;
    }
    for (struct net_frag *g = r->frags; g; g = g->next)
        memcpy(buf + g->off, g->data, g->len);
    size_t total = r->total;
    uint8_t hdr[68];
    size_t hlen = r->first_len;
    memcpy(hdr, r->first_hdr, hlen);
    s->ctr.ip_reasm_ok++;
    reasm_free(s, r);
    stack_rearm(s);
    ip_deliver(s, hlen ? hdr : NULL, hlen, src, dst, proto, bcast, buf, total);
    free(buf);
}

static void ip_deliver(mote_net *s, const uint8_t *ip, size_t iplen, mote_net_ip4 src,
                       mote_net_ip4 dst, uint8_t proto, int bcast, const uint8_t *p, size_t len)
{
    switch (proto) {
    case IPPROTO_ICMP_:
        icmp_input(s, src, dst, bcast, p, len);
        break;
    case IPPROTO_UDP_:
        udp_input(s, ip, iplen, src, dst, bcast, p, len);
        break;
    case IPPROTO_TCP_:
        if (!bcast)
            net_tcp_input(s, src, dst, p, len);
        break;
    default:
        s->ctr.ip_drop_proto++;
        if (!bcast && ip)
            net_icmp_error(s, 3, 2, 0, ip, iplen);
    }
}

static void ip_input(mote_net *s, const uint8_t *ip, size_t len)
{
    s->ctr.ip_in++;
    if (len < IP_HLEN || (ip[0] >> 4) != 4) {
        s->ctr.ip_drop_header++;
        return;
    }
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    size_t total = mote_load_be16(ip + 2);
    if (ihl < IP_HLEN || ihl > len || total < ihl || total > len) {
        s->ctr.ip_drop_header++;
        return;
    }
    if (net_csum_fold(net_csum_partial(0, ip, ihl)) != 0) {
        s->ctr.ip_drop_checksum++;
        return;
    }
    mote_net_ip4 src = mote_load_be32(ip + 12), dst = mote_load_be32(ip + 16);
    int bcast = net_is_local_bcast(s, dst);
    /* 0.0.0.0 is a valid source only for a UDP broadcast (a DHCP client) */
    int unspec_ok = src == 0 && bcast && ip[9] == IPPROTO_UDP_;
    if ((is_martian_src(src) && !unspec_ok) || net_is_local_bcast(s, src) ||
        (s->addr && src == s->addr)) {
        s->ctr.ip_drop_header++;
        return;
    }
    if (!bcast && dst != s->addr && s->addr) {
        s->ctr.ip_drop_dst++;
        return;
    }
    if (!bcast && !s->addr && (dst >> 28) == 0xe) {
        s->ctr.ip_drop_dst++;
        return;
    }
    /* options (ihl > 5) are skipped: none changes what a host does */
    const uint8_t *p = ip + ihl;
    size_t plen = total - ihl;
    uint16_t fl = mote_load_be16(ip + 6);
    if ((fl & 0x3fff) != 0) {
        s->rx_csum_ok = 0; /* the host's word covers one fragment, not the datagram */
        reasm_input(s, ip, ihl, src, dst, bcast, p, plen);
        return;
    }
    ip_deliver(s, ip, total, src, dst, ip[9], bcast, p, plen);
}

/* ---- the frame entry point, timers ------------------------------------ */

void mote_net_input(mote_net *s, const uint8_t *frame, size_t len)
{
    if (!s || !frame)
        return;
    net_enter(s);
    s->ctr.eth_in++;
    s->rx_csum_ok = 0;
    if (s->offload & MOTE_NET_OFFLOAD_VNET) {
        if (len < MOTE_NET_VNET_HDR_LEN) {
            s->ctr.eth_drop_vnet++;
            goto out;
        }
        mote_net_vnet_hdr vh;
        mote_net_vnet_decode(frame, &vh);
        frame += MOTE_NET_VNET_HDR_LEN;
        len -= MOTE_NET_VNET_HDR_LEN;
        if (vh.flags & MOTE_NET_VNET_F_NEEDS_CSUM) {
            /* the host left the checksum partial: it never crossed a wire,
             * so, as Linux does with CHECKSUM_PARTIAL, it is not checked */
            if (vh.csum_start >= len || (size_t)vh.csum_offset + 2 > len - vh.csum_start) {
                s->ctr.eth_drop_vnet++;
                goto out;
            }
            s->rx_csum_ok = 1;
        } else if (vh.flags & MOTE_NET_VNET_F_DATA_VALID) {
            s->rx_csum_ok = 1;
        }
        if ((vh.gso_type & ~MOTE_NET_VNET_GSO_ECN) != MOTE_NET_VNET_GSO_NONE)
            s->ctr.eth_gso_in++;
    }
    if (len < ETH_HLEN) {
        s->ctr.eth_drop_short++;
        goto out;
    }
    if (memcmp(frame, s->mac, 6) != 0 && memcmp(frame, bcast_mac, 6) != 0) {
        s->ctr.eth_drop_dst++;
        goto out;
    }
    if (frame[6] & 1) { /* a multicast source is invalid */
        s->ctr.eth_drop_short++;
        goto out;
    }
    uint16_t type = mote_load_be16(frame + 12);
    if (type == ETHERTYPE_ARP)
        arp_input(s, frame, frame + ETH_HLEN, len - ETH_HLEN);
    else if (type == ETHERTYPE_IPV4)
        ip_input(s, frame + ETH_HLEN, len - ETH_HLEN);
    else
        s->ctr.eth_drop_type++;
out:
    s->rx_csum_ok = 0;
    net_leave(s);
}

static void rx_cb(void *arg, const uint8_t *frame, size_t len)
{
    mote_net_input(arg, frame, len);
}

static void stack_rearm(mote_net *s)
{
    uint64_t at = 0;
    for (size_t i = 0; i < s->cfg.arp_cache_size; i++) {
        struct net_arp_entry *e = &s->arp[i];
        if (e->state == ARP_INCOMPLETE && (!at || e->next_try < at))
            at = e->next_try;
    }
    for (struct net_reasm *r = s->reasm; r; r = r->next)
        if (!at || r->expires < at)
            at = r->expires;
    if (s->announce_left && (!at || s->announce_at < at))
        at = s->announce_at;
    if (at == s->timer_at)
        return;
    s->timer_at = at;
    if (at)
        mote_timer_arm(s->clock, s->timer, at);
    else
        mote_timer_cancel(s->clock, s->timer);
}

static void stack_timer_cb(void *arg)
{
    mote_net *s = arg;
    net_enter(s);
    s->timer_at = 0;
    uint64_t now = net_now(s);
    for (size_t i = 0; i < s->cfg.arp_cache_size; i++) {
        struct net_arp_entry *e = &s->arp[i];
        if (e->state != ARP_INCOMPLETE || e->next_try > now)
            continue;
        if (e->tries >= 3) {
            s->ctr.arp_timeouts++;
            arp_free_pending(s, e);
            e->state = ARP_FREE;
            continue;
        }
        e->tries++;
        e->next_try = now + MOTE_NS_PER_SEC;
        arp_request(s, e->ip);
    }
    struct net_reasm *r = s->reasm;
    while (r) {
        struct net_reasm *n = r->next;
        if (r->expires <= now) {
            s->ctr.ip_reasm_timeout++;
            if (r->first_len) {
                uint8_t hdr[68];
                size_t hl = r->first_len;
                memcpy(hdr, r->first_hdr, hl);
                reasm_drop(s, r);
                net_icmp_error(s, 11, 1, 0, hdr, hl);
            } else {
                reasm_drop(s, r);
            }
        }
        r = n;
    }
    if (s->announce_left && s->announce_at <= now) {
        s->announce_left--;
        s->announce_at = now + ANNOUNCE_INTERVAL;
        mote_net_announce(s);
    }
    stack_rearm(s);
    net_leave(s);
}

/* ---- the stack object ------------------------------------------------- */

mote_net *mote_net_new(const mote_net_config *cfg, int *err)
{
    int e = MOTE_EINVAL;
    mote_net *s = NULL;
    if (!cfg || !cfg->netif || !cfg->clock || !cfg->rng || !cfg->netif->send ||
        !cfg->netif->set_receiver || !mask_ok(cfg->netmask) || cfg->arp_cache_size == 0 ||
        cfg->reasm_max_datagrams == 0 || cfg->reasm_max_frags == 0 || cfg->ttl == 0)
        goto fail;
    unsigned off = cfg->offload;
    if ((off & ~(MOTE_NET_OFFLOAD_VNET | MOTE_NET_OFFLOAD_CSUM | MOTE_NET_OFFLOAD_TSO4)) ||
        ((off & MOTE_NET_OFFLOAD_CSUM) && !(off & MOTE_NET_OFFLOAD_VNET)) ||
        ((off & MOTE_NET_OFFLOAD_TSO4) && !(off & MOTE_NET_OFFLOAD_CSUM)))
        goto fail;
    e = MOTE_ENOMEM;
    s = calloc(1, sizeof *s);
    if (!s)
        goto fail;
    s->cfg = *cfg;
    s->netif = cfg->netif;
    s->clock = cfg->clock;
    s->rng = cfg->rng;
    s->log = cfg->log;
    memcpy(s->mac, cfg->netif->mac, 6);
    s->mtu = cfg->netif->mtu ? cfg->netif->mtu : 1500;
    if (s->mtu > IP_MAXPACKET_)
        s->mtu = IP_MAXPACKET_;
    if (s->mtu < 576) {
        e = MOTE_EINVAL;
        goto fail;
    }
    s->addr = cfg->addr;
    s->mask = cfg->netmask;
    s->gw = cfg->gateway;
    s->offload = off;
    s->gso = cfg->gso != 0;
    s->txmem = malloc(NET_HEADROOM + ETH_HLEN + IP_MAXPACKET_ + 64);
    s->fragmem = malloc(NET_HEADROOM + ETH_HLEN + s->mtu + 64);
    s->arp = calloc(cfg->arp_cache_size, sizeof *s->arp);
    if (!s->txmem || !s->fragmem || !s->arp)
        goto fail;
    s->tx = s->txmem + NET_HEADROOM;
    s->fragtx = s->fragmem + NET_HEADROOM;
    if (mote_rng_fill(s->rng, s->isn_key, sizeof s->isn_key) < 0 ||
        mote_rng_fill(s->rng, s->port_key, sizeof s->port_key) < 0 ||
        mote_rng_fill(s->rng, &s->ip_id, sizeof s->ip_id) < 0) {
        e = MOTE_EIO;
        goto fail;
    }
    s->timer = mote_timer_new(s->clock, stack_timer_cb, s);
    if (!s->timer)
        goto fail;
    s->netif->set_receiver(s->netif->ctx, rx_cb, s);
    announce_start(s);
    if (err)
        *err = 0;
    return s;
fail:
    if (s) {
        free(s->txmem);
        free(s->fragmem);
        free(s->arp);
        free(s);
    }
    if (err)
        *err = e;
    return NULL;
}

void mote_net_free(mote_net *s)
{
    if (!s)
        return;
    s->netif->set_receiver(s->netif->ctx, NULL, NULL);
    net_tcp_free_all(s);
    while (s->udp) {
        struct mote_net_udp *u = s->udp;
        s->udp = u->next;
        free(u);
    }
    while (s->reasm)
        reasm_free(s, s->reasm);
    for (size_t i = 0; i < s->cfg.arp_cache_size; i++)
        arp_free_pending(s, &s->arp[i]);
    mote_timer_free(s->clock, s->timer);
    mote_wipe(s->isn_key, sizeof s->isn_key);
    mote_wipe(s->port_key, sizeof s->port_key);
    free(s->txmem);
    free(s->fragmem);
    free(s->arp);
    free(s);
}

int mote_net_set_addr(mote_net *s, mote_net_ip4 addr, mote_net_ip4 netmask, mote_net_ip4 gateway)
{
    if (!s || !mask_ok(netmask))
        return MOTE_EINVAL;
    s->addr = addr;
    s->mask = netmask;
    s->gw = gateway;
    net_enter(s);
    announce_start(s); /* addr 0 cancels the ones still due */
    stack_rearm(s);
    net_leave(s);
    return 0;
}

void mote_net_get_addr(const mote_net *s, mote_net_ip4 *addr, mote_net_ip4 *netmask,
                       mote_net_ip4 *gateway)
{
    if (addr)
        *addr = s->addr;
    if (netmask)
        *netmask = s->mask;
    if (gateway)
        *gateway = s->gw;
}

void mote_net_get_counters(const mote_net *s, mote_net_counters *out)
{
    *out = s->ctr;
}

#define C(layer, f)                                                                                \
    {                                                                                              \
        layer, #f, offsetof(mote_net_counters, f)                                                  \
    }
static const struct {
    const char *layer;
    const char *name;
    size_t off;
} counter_names[] = {
    C("eth", eth_in),
    C("eth", eth_out),
    C("eth", eth_drop_short),
    C("eth", eth_drop_type),
    C("eth", eth_drop_dst),
    C("eth", eth_send_fail),
    C("eth", eth_drop_vnet),
    C("eth", eth_gso_in),
    C("eth", eth_tso_out),
    C("eth", eth_gso_split),
    C("arp", arp_in),
    C("arp", arp_out),
    C("arp", arp_requests_in),
    C("arp", arp_replies_out),
    C("arp", arp_drop_bad),
    C("arp", arp_resolved),
    C("arp", arp_timeouts),
    C("arp", arp_pending_drop),
    C("ip", ip_in),
    C("ip", ip_out),
    C("ip", ip_drop_header),
    C("ip", ip_drop_checksum),
    C("ip", ip_drop_dst),
    C("ip", ip_drop_proto),
    C("ip", ip_frag_in),
    C("ip", ip_reasm_ok),
    C("ip", ip_reasm_drop),
    C("ip", ip_reasm_timeout),
    C("ip", ip_frag_out),
    C("ip", ip_no_route),
    C("icmp", icmp_in),
    C("icmp", icmp_out),
    C("icmp", icmp_drop_bad),
    C("icmp", icmp_echo_in),
    C("icmp", icmp_echo_reply_in),
    C("icmp", icmp_unreach_in),
    C("icmp", icmp_unreach_out),
    C("icmp", icmp_rate_limited),
    C("udp", udp_in),
    C("udp", udp_out),
    C("udp", udp_drop_bad),
    C("udp", udp_drop_checksum),
    C("udp", udp_no_port),
    C("tcp", tcp_in),
    C("tcp", tcp_out),
    C("tcp", tcp_drop_bad),
    C("tcp", tcp_drop_checksum),
    C("tcp", tcp_active_opens),
    C("tcp", tcp_passive_opens),
    C("tcp", tcp_failed),
    C("tcp", tcp_resets_in),
    C("tcp", tcp_resets_out),
    C("tcp", tcp_retransmits),
    C("tcp", tcp_rto),
    C("tcp", tcp_fast_retransmits),
    C("tcp", tcp_challenge_acks),
    C("tcp", tcp_paws_drop),
    C("tcp", tcp_backlog_drop),
    C("tcp", tcp_ooo_in),
    C("tcp", tcp_dup_in),
    C("tcp", tcp_zero_window_probes),
    C("tcp", tcp_keepalives),
    C("tcp", tcp_established),
    C("tcp", tcp_tail_probes),
    C("tcp", tcp_rack_losses),
    C("tcp", tcp_dsacks_in),
    C("tcp", tcp_undos),
};
#undef C

int mote_net_format_counters(const mote_net *s, mote_buf *out)
{
    for (size_t i = 0; i < sizeof counter_names / sizeof counter_names[0]; i++) {
        uint64_t v;
        memcpy(&v, (const uint8_t *)&s->ctr + counter_names[i].off, sizeof v);
        const char *layer = counter_names[i].layer;
        int rc = mote_buf_appendf(out, "%s.%s %llu\n", layer,
                                  counter_names[i].name + strlen(layer) + 1, (unsigned long long)v);
        if (rc < 0)
            return rc;
    }
    return 0;
}
