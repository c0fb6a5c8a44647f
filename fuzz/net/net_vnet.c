/* net_vnet.c - libFuzzer target: frames with a virtio-net header into a
 * stack with every offload on (VNET, CSUM, TSO4), which has a UDP echo
 * socket, a TCP echo listener whose connections echo what they get (so
 * large received frames come back as super-segments) and a connection in
 * progress with 200 KB queued; and the same records through
 * mote_net_vnet_to_wire. Every frame the stack sends must be one the
 * segmenter accepts, and every wire frame it makes must have good IPv4
 * and TCP checksums: anything else aborts.
 *
 * Input: a run of records [ctl][len hi][len lo][bytes]; bytes are the
 * 10-byte header and the frame. ctl bits: 1 puts the stack's MAC in the
 * destination, 2 fixes the IPv4 header checksum, 4 fixes the TCP checksum
 * (complete, or the pseudo-header sum when the header says NEEDS_CSUM), 8
 * advances the clock by (len lo) * 10 ms after the record. */
#include "fuzz_net.h"
#include "mote/net_offload.h"

#define VH MOTE_NET_VNET_HDR_LEN

/* Aborts unless f is a good wire frame (IPv4 + TCP checksums). */
static int check_wire(void *arg, const uint8_t *f, size_t len)
{
    (void)arg;
    if (len > 14 + 65535)
        abort();
    if (len < 34 || f[12] != 8 || f[13] != 0)
        return 0;
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4, tot = (size_t)(ip[2] << 8 | ip[3]);
    if (ihl < 20 || 14 + tot > len || tot < ihl)
        abort();
    if ((uint16_t)~fz_sum16(ip, ihl, 0) != 0)
        abort();
    if (ip[9] == 6 && (ip[6] & 0x3f) == 0 && ip[7] == 0) {
        uint32_t ps = fz_sum16(ip + 12, 8, 0) + 6 + (uint32_t)(tot - ihl);
        if ((uint16_t)~fz_sum16(ip + ihl, tot - ihl, ps) != 0)
            abort();
    }
    return 0;
}

static int sink_send(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    if (mote_net_vnet_to_wire(f, len, check_wire, NULL) != 0)
        abort(); /* the stack made a header it cannot stand behind */
    return 0;
}

static int ignore(void *arg, const uint8_t *f, size_t len)
{
    (void)arg, (void)f, (void)len;
    return 0;
}

static void fix(uint8_t *b, size_t len, int ctl)
{
    if (len < VH + 34)
        return;
    uint8_t *f = b + VH;
    size_t flen = len - VH;
    if (f[12] != 8 || f[13] != 0)
        return;
    uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    if (ihl < 20 || 14 + ihl > flen)
        return;
    size_t tot = (size_t)(ip[2] << 8 | ip[3]);
    if ((ctl & 4) && ip[9] == 6 && tot >= ihl + 20 && 14 + tot <= flen) {
        uint8_t *l4 = ip + ihl;
        size_t l4len = tot - ihl;
        uint32_t ps = fz_sum16(ip + 12, 8, 0) + 6 + (uint32_t)l4len;
        l4[16] = l4[17] = 0;
        uint16_t c = (b[0] & MOTE_NET_VNET_F_NEEDS_CSUM) ? (uint16_t)fz_sum16(NULL, 0, ps)
                                                         : (uint16_t)~fz_sum16(l4, l4len, ps);
        l4[16] = (uint8_t)(c >> 8);
        l4[17] = (uint8_t)c;
    }
    if (ctl & 2)
        fz_fix_ip_csum(ip, ihl);
}

static void on_accept(void *arg, mote_net_listener *l)
{
    (void)arg;
    static const mote_flow_events ev = {fz_flow_echo, NULL, NULL, NULL};
    mote_flow *f;
    int err;
    while ((f = mote_net_tcp_accept(l, &err)) != NULL) {
        mote_flow_set_events(f, &ev, f);
        mote_net_tcp_set_nodelay(f, 1);
        mote_flow_shutdown(f);
        mote_flow_close(f); /* finishes in the background */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mote_time t0 = {1700000000, 0};
    mote_fakeclock *fc = mote_fakeclock_new(MOTE_NS_PER_SEC, t0);
    mote_seeded_rng rng;
    mote_seeded_rng_init(&rng, 1);
    mote_netif nif = {NULL, sink_send, fz_set_rx, 1500, {2, 0, 0, 0, 0, 1}};
    mote_net_config cfg;
    fz_config(&cfg, &nif, fc, &rng);
    cfg.offload = MOTE_NET_OFFLOAD_VNET | MOTE_NET_OFFLOAD_CSUM | MOTE_NET_OFFLOAD_TSO4;
    int err;
    mote_net *s = mote_net_new(&cfg, &err);
    if (!s)
        abort();
    mote_net_udp_events uev = {fz_udp_echo, NULL};
    mote_net_udp *u = mote_net_udp_open(s, 7, &uev, NULL, &err);
    mote_net_listener *l = mote_net_tcp_listen(s, 7, 4, on_accept, NULL, &err);
    mote_flow *c = mote_net_tcp_connect(s, MOTE_NET_IP4(10, 9, 0, 2), 80, NULL, NULL, &err);
    uint8_t *buf = malloc(VH + 65536 + 64);
    if (c) {
        memset(buf, 'x', 65536);
        for (int i = 0; i < 3; i++)
            mote_flow_write(c, buf, 65536);
    }
    size_t off = 0, len;
    uint8_t ctl;
    const uint8_t *rec;
    while (fz_next(data, size, &off, &ctl, &rec, &len)) {
        memcpy(buf, rec, len);
        if ((ctl & 1) && len >= VH + 6)
            memcpy(buf + VH, nif.mac, 6);
        fix(buf, len, ctl);
        (void)mote_net_vnet_to_wire(buf, len, ignore, NULL);
        if (fz_rx_fn)
            fz_rx_fn(fz_rx_arg, buf, len);
        if (ctl & 8)
            mote_fakeclock_advance(fc, (uint64_t)(len & 255) * 10 * MOTE_NS_PER_MS);
    }
    mote_fakeclock_run(fc, mote_clock_now(cfg.clock) + 600 * MOTE_NS_PER_SEC, 10000);
    free(buf);
    if (c)
        mote_flow_close(c);
    mote_net_listener_close(l);
    mote_net_udp_close(u);
    mote_net_free(s);
    mote_fakeclock_free(fc);
    return 0;
}
