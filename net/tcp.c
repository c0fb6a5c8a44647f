/* tcp.c - TCP. This first version has no connections yet: every segment is
 * answered as RFC 9293 3.10.7.1 says for the CLOSED state. */
#include "internal.h"

void net_tcp_config_default(mote_net_tcp_config *c)
{
    memset(c, 0, sizeof *c);
    c->sndbuf = 1024 * 1024;
    c->rcvbuf = 1024 * 1024;
    c->rto_min_ns = 200 * MOTE_NS_PER_MS;
    c->rto_max_ns = 60 * MOTE_NS_PER_SEC;
    c->rto_initial_ns = MOTE_NS_PER_SEC;
    c->max_retries = 12;
    c->syn_retries = 6;
    c->msl_ns = 30 * MOTE_NS_PER_SEC;
    c->delack_ns = 40 * MOTE_NS_PER_MS;
    c->fin_wait2_ns = 60 * MOTE_NS_PER_SEC;
    c->cc = MOTE_NET_CC_CUBIC;
    c->window_scaling = 1;
    c->timestamps = 1;
    c->sack = 1;
    c->keepalive_idle_ns = 7200 * MOTE_NS_PER_SEC;
    c->keepalive_interval_ns = 75 * MOTE_NS_PER_SEC;
    c->keepalive_count = 9;
    c->challenge_ack_limit = 1000;
    c->ooo_max_segments = 256;
}

static void send_rst(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, uint16_t sport,
                     uint16_t dport, uint32_t seq, uint32_t ack, int with_ack)
{
    uint8_t *b = net_l4_buf(s);
    mote_store_be16(b, sport);
    mote_store_be16(b + 2, dport);
    mote_store_be32(b + 4, seq);
    mote_store_be32(b + 8, with_ack ? ack : 0);
    b[12] = 5 << 4;
    b[13] = with_ack ? 0x14 : 0x04;
    mote_store_be16(b + 14, 0);
    mote_store_be16(b + 16, 0);
    mote_store_be16(b + 18, 0);
    mote_store_be16(b + 16, net_csum_fold(net_csum_partial(
                                net_csum_pseudo(src, dst, IPPROTO_TCP_, 20), b, 20)));
    s->ctr.tcp_out++;
    s->ctr.tcp_resets_out++;
    net_ip_output(s, src, dst, IPPROTO_TCP_, b, 20, 0);
}

void net_tcp_input(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, const uint8_t *seg, size_t len)
{
    s->ctr.tcp_in++;
    if (len < 20) {
        s->ctr.tcp_drop_bad++;
        return;
    }
    size_t doff = (size_t)(seg[12] >> 4) * 4;
    if (doff < 20 || doff > len) {
        s->ctr.tcp_drop_bad++;
        return;
    }
    if (net_csum_fold(net_csum_partial(net_csum_pseudo(src, dst, IPPROTO_TCP_, len), seg, len))) {
        s->ctr.tcp_drop_checksum++;
        return;
    }
    uint8_t fl = seg[13];
    if (fl & 0x04)
        return;
    uint32_t seq = mote_load_be32(seg + 4), ack = mote_load_be32(seg + 8);
    uint32_t seglen = (uint32_t)(len - doff) + ((fl & 0x02) ? 1 : 0) + ((fl & 0x01) ? 1 : 0);
    if (fl & 0x10)
        send_rst(s, dst, src, mote_load_be16(seg + 2), mote_load_be16(seg), ack, 0, 0);
    else
        send_rst(s, dst, src, mote_load_be16(seg + 2), mote_load_be16(seg), 0, seq + seglen, 1);
}

void net_tcp_icmp_error(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, const uint8_t *tcph,
                        size_t len, int err, uint32_t mtu)
{
    (void)s, (void)src, (void)dst, (void)tcph, (void)len, (void)err, (void)mtu;
}

void net_tcp_reap(mote_net *s)
{
    (void)s;
}

void net_tcp_free_all(mote_net *s)
{
    (void)s;
}
