/* offload.c - the virtio-net header and the TCPv4 segmentation shared by
 * the stack's software GSO, the pcap recorder and the in-memory link. */
#include "internal.h"
#include "mote/net_offload.h"

/* Legacy virtio: the 16-bit fields are in the host's byte order. */
static void put_host16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

static uint16_t get_host16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

void mote_net_vnet_encode(const mote_net_vnet_hdr *h, uint8_t *out)
{
    out[0] = h->flags;
    out[1] = h->gso_type;
    put_host16(out + 2, h->hdr_len);
    put_host16(out + 4, h->gso_size);
    put_host16(out + 6, h->csum_start);
    put_host16(out + 8, h->csum_offset);
}

void mote_net_vnet_decode(const uint8_t *in, mote_net_vnet_hdr *h)
{
    h->flags = in[0];
    h->gso_type = in[1];
    h->hdr_len = get_host16(in + 2);
    h->gso_size = get_host16(in + 4);
    h->csum_start = get_host16(in + 6);
    h->csum_offset = get_host16(in + 8);
}

uint16_t net_csum_pseudo_field(mote_net_ip4 src, mote_net_ip4 dst, uint8_t proto, size_t len)
{
    /* the folded pseudo-header sum, not complemented: what a partial
     * checksum field holds (Linux's ~csum_tcpudp_magic(..., 0)) */
    return (uint16_t)~net_csum_fold(net_csum_pseudo(src, dst, proto, len));
}

size_t net_tso_cut(const uint8_t *f, size_t ihl, size_t thl, size_t off, size_t n, size_t plen,
                   unsigned idx, int partial, uint8_t *out)
{
    size_t hl = ETH_HLEN + ihl + thl;
    memcpy(out, f, hl);
    memcpy(out + hl, f + hl + off, n);
    uint8_t *ip = out + ETH_HLEN;
    uint8_t *th = ip + ihl;
    mote_store_be16(ip + 2, (uint16_t)(ihl + thl + n));
    mote_store_be16(ip + 4, (uint16_t)(mote_load_be16(f + ETH_HLEN + 4) + idx));
    ip[10] = ip[11] = 0;
    mote_store_be16(ip + 10, net_csum_fold(net_csum_partial(0, ip, ihl)));
    mote_store_be32(th + 4, mote_load_be32(th + 4) + (uint32_t)off);
    if (off + n < plen)
        th[13] &= (uint8_t) ~(0x01 | 0x08); /* FIN and PSH only on the last */
    if (idx > 0)
        th[13] &= (uint8_t)~0x80; /* CWR only on the first */
    mote_net_ip4 src = mote_load_be32(ip + 12), dst = mote_load_be32(ip + 16);
    th[16] = th[17] = 0;
    if (partial)
        mote_store_be16(th + 16, net_csum_pseudo_field(src, dst, IPPROTO_TCP_, thl + n));
    else
        mote_store_be16(th + 16,
                        net_csum_fold(net_csum_partial(
                            net_csum_pseudo(src, dst, IPPROTO_TCP_, thl + n), th, thl + n)));
    return hl + n;
}

/* Checks that f (flen bytes) is an IPv4/TCP frame whose headers fit and
 * finds them: *ihl, *thl, *plen (payload bytes by the IP length). */
static int tcp4_layout(const uint8_t *f, size_t flen, size_t *ihl, size_t *thl, size_t *plen)
{
    if (flen < ETH_HLEN + IP_HLEN + 20 || mote_load_be16(f + 12) != ETHERTYPE_IPV4)
        return MOTE_EDECODE;
    const uint8_t *ip = f + ETH_HLEN;
    size_t il = (size_t)(ip[0] & 15) * 4;
    size_t total = mote_load_be16(ip + 2);
    if ((ip[0] >> 4) != 4 || il < IP_HLEN || ip[9] != IPPROTO_TCP_ ||
        (mote_load_be16(ip + 6) & 0x3fff) != 0 || total > flen - ETH_HLEN || total < il + 20)
        return MOTE_EDECODE;
    size_t tl = (size_t)(ip[il + 12] >> 4) * 4;
    if (tl < 20 || il + tl > total)
        return MOTE_EDECODE;
    *ihl = il;
    *thl = tl;
    *plen = total - il - tl;
    return 0;
}

int mote_net_vnet_to_wire(const uint8_t *vframe, size_t len, mote_net_frame_fn fn, void *arg)
{
    if (!vframe || !fn || len < MOTE_NET_VNET_HDR_LEN + ETH_HLEN)
        return MOTE_EDECODE;
    mote_net_vnet_hdr h;
    mote_net_vnet_decode(vframe, &h);
    const uint8_t *f = vframe + MOTE_NET_VNET_HDR_LEN;
    size_t flen = len - MOTE_NET_VNET_HDR_LEN;
    unsigned gso = h.gso_type & ~MOTE_NET_VNET_GSO_ECN;
    if (gso == MOTE_NET_VNET_GSO_NONE) {
        if (!(h.flags & MOTE_NET_VNET_F_NEEDS_CSUM))
            return fn(arg, f, flen);
        size_t start = h.csum_start, off = h.csum_offset;
        if (start >= flen || off + 2 > flen - start)
            return MOTE_EDECODE;
        uint8_t *copy = malloc(flen);
        if (!copy)
            return MOTE_ENOMEM;
        memcpy(copy, f, flen);
        uint16_t c = net_csum_fold(net_csum_partial(0, copy + start, flen - start));
        if (c == 0)
            c = 0xffff; /* 0 means "no checksum" to UDP; the same sum to TCP */
        mote_store_be16(copy + start + off, c);
        int rc = fn(arg, copy, flen);
        free(copy);
        return rc;
    }
    if (gso != MOTE_NET_VNET_GSO_TCPV4)
        return gso == MOTE_NET_VNET_GSO_UDP || gso == MOTE_NET_VNET_GSO_TCPV6 ? MOTE_EUNSUPPORTED
                                                                              : MOTE_EDECODE;
    size_t ihl, thl, plen;
    if (tcp4_layout(f, flen, &ihl, &thl, &plen) < 0 || h.gso_size == 0)
        return MOTE_EDECODE;
    size_t seg = h.gso_size;
    uint8_t *out = malloc(ETH_HLEN + ihl + thl + (plen < seg ? plen : seg) + 1);
    if (!out)
        return MOTE_ENOMEM;
    int rc = 0;
    unsigned idx = 0;
    size_t off = 0;
    do {
        size_t n = plen - off < seg ? plen - off : seg;
        size_t ol = net_tso_cut(f, ihl, thl, off, n, plen, idx, 0, out);
        rc = fn(arg, out, ol);
        off += n;
        idx++;
    } while (rc == 0 && off < plen);
    free(out);
    return rc;
}
