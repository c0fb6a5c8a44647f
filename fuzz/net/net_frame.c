/* net_frame.c - libFuzzer target: arbitrary frames into a stack that has a
 * UDP socket, a TCP listener, a TCP connection in progress and a DHCP
 * client (whose reply parser sees every datagram to port 68).
 *
 * Input: a run of records [ctl][len hi][len lo][frame bytes]. ctl bits:
 * 1 puts the stack's MAC in the destination, 2 fixes the IPv4 header
 * checksum, 4 fixes the TCP/UDP/ICMP checksum, 8 advances the clock by
 * (len lo) * 10 ms after the frame. The fixes let the fuzzer reach past
 * the checksums into the protocol code. */
#include "fuzz_net.h"
#include "mote/net_dhcp.h"

static int sink_send(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx, (void)f, (void)len;
    return 0;
}

static void fix(uint8_t *f, size_t len, int ctl)
{
    if (len < 34 || f[12] != 8 || f[13] != 0)
        return;
    uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    if (ihl < 20 || 14 + ihl > len)
        return;
    size_t tot = (size_t)(ip[2] << 8 | ip[3]);
    if ((ctl & 4) && tot >= ihl && 14 + tot <= len) {
        uint8_t *l4 = ip + ihl;
        size_t l4len = tot - ihl;
        uint32_t ps = (uint32_t)(ip[12] << 8 | ip[13]) + (uint32_t)(ip[14] << 8 | ip[15]) +
                      (uint32_t)(ip[16] << 8 | ip[17]) + (uint32_t)(ip[18] << 8 | ip[19]) + ip[9] +
                      (uint32_t)l4len;
        if (ip[9] == 6 && l4len >= 20) {
            l4[16] = l4[17] = 0;
            uint16_t c = (uint16_t)~fz_sum16(l4, l4len, ps);
            l4[16] = (uint8_t)(c >> 8);
            l4[17] = (uint8_t)c;
        } else if (ip[9] == 17 && l4len >= 8) {
            l4[6] = l4[7] = 0;
        } else if (ip[9] == 1 && l4len >= 4) {
            l4[2] = l4[3] = 0;
            uint16_t c = (uint16_t)~fz_sum16(l4, l4len, 0);
            l4[2] = (uint8_t)(c >> 8);
            l4[3] = (uint8_t)c;
        }
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
        mote_flow_close(f); /* an orphan that finishes in the background */
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
    cfg.gateway = MOTE_NET_IP4(10, 9, 0, 254);
    int err;
    mote_net *s = mote_net_new(&cfg, &err);
    if (!s)
        abort();
    mote_net_udp_events uev = {fz_udp_echo, NULL};
    mote_net_udp *u = mote_net_udp_open(s, 7, &uev, NULL, &err);
    mote_net_listener *l = mote_net_tcp_listen(s, 7, 4, on_accept, NULL, &err);
    mote_net_dhcp *dh = mote_net_dhcp_start(s, "fuzz", NULL, NULL, &err);
    mote_flow *c = mote_net_tcp_connect(s, MOTE_NET_IP4(10, 9, 0, 2), 80, NULL, NULL, &err);
    if (c)
        mote_flow_write(c, "GET / HTTP/1.0\r\n\r\n", 18);
    uint8_t *buf = malloc(65536 + 64);
    size_t off = 0, len;
    uint8_t ctl;
    const uint8_t *rec;
    while (fz_next(data, size, &off, &ctl, &rec, &len)) {
        memcpy(buf, rec, len);
        if ((ctl & 1) && len >= 6)
            memcpy(buf, nif.mac, 6);
        fix(buf, len, ctl);
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
    mote_net_dhcp_free(dh);
    mote_net_udp_close(u);
    mote_net_free(s);
    mote_fakeclock_free(fc);
    return 0;
}
