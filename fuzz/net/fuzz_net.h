/* fuzz_net.h - what the libmote-net fuzz targets share: a netif that
 * swallows what the stack sends and keeps its receiver, the one's-
 * complement sum for the checksum fixes, echo callbacks for the sockets
 * the targets open, the stack they build and their input records
 * [ctl][len hi][len lo][bytes]. */
#ifndef MOTE_FUZZ_NET_H
#define MOTE_FUZZ_NET_H

#include "mote/net.h"
#include "mote/net_tcp.h"
#include "mote/sim.h"

#include <stdlib.h>
#include <string.h>

#define FZ_ME MOTE_NET_IP4(10, 9, 0, 1)

/* The folded (not complemented) 16-bit one's-complement sum of len bytes
 * at p, added to sum. */
static inline uint32_t fz_sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

/* Writes the right header checksum into the ihl-byte IPv4 header at ip. */
static inline void fz_fix_ip_csum(uint8_t *ip, size_t ihl)
{
    ip[10] = ip[11] = 0;
    uint16_t c = (uint16_t)~fz_sum16(ip, ihl, 0);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
}

/* The stack's receiver, kept by fz_set_rx. */
static mote_netif_rx_fn fz_rx_fn;
static void *fz_rx_arg;

static inline void fz_set_rx(void *ctx, mote_netif_rx_fn fn, void *arg)
{
    (void)ctx;
    fz_rx_fn = fn;
    fz_rx_arg = arg;
}

/* A UDP socket callback that sends each datagram back. */
static inline void fz_udp_echo(void *arg, mote_net_udp *u, mote_net_ip4 src, uint16_t sport,
                               const uint8_t *d, size_t len)
{
    (void)arg;
    mote_net_udp_sendto(u, src, sport, d, len);
}

/* A flow callback (arg: the flow) that writes back what it gets. */
static inline void fz_flow_echo(void *arg, const uint8_t *d, size_t len)
{
    mote_flow_write(arg, d, len);
}

/* Fills cfg for a stack at FZ_ME/24 on nif with fc's clock and rng. */
static inline void fz_config(mote_net_config *cfg, mote_netif *nif, mote_fakeclock *fc,
                             mote_seeded_rng *rng)
{
    mote_net_config_default(cfg);
    cfg->netif = nif;
    cfg->clock = mote_fakeclock_clock(fc);
    cfg->rng = &rng->rng;
    cfg->addr = FZ_ME;
    cfg->netmask = MOTE_NET_IP4(255, 255, 255, 0);
}

/* The next input record at *off: its control byte and up to its length of
 * the bytes that remain. 0 when no whole record header is left. */
static inline int fz_next(const uint8_t *data, size_t size, size_t *off, uint8_t *ctl,
                          const uint8_t **bytes, size_t *len)
{
    if (*off + 3 > size)
        return 0;
    *ctl = data[*off];
    size_t n = (size_t)(data[*off + 1] << 8 | data[*off + 2]);
    *off += 3;
    if (n > size - *off)
        n = size - *off;
    *bytes = data + *off;
    *len = n;
    *off += n;
    return 1;
}

#endif
