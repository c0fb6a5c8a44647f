/*
 * mote/net_link.h - an in-memory ethernet link joining two netifs, with
 * seeded fault injection.
 *
 * A mote_net_link has two ends, each a mote_netif. A frame sent on one end
 * is copied and delivered to the other end's receiver from a timer of the
 * given clock (never from inside send), after the configured delay. Faults
 * are drawn from a seeded generator, so a run with the same seed and the
 * same clock is the same run: loss, duplication, reordering (an extra
 * delay for a fraction of frames), fixed and random delay, corruption (one
 * random bit flipped somewhere in the frame), and a bound on the frames in
 * flight (beyond which sends are dropped, as a full queue would).
 *
 * In vnet mode the ends speak the virtio-net header of mote/net_offload.h
 * and the link plays the host that segments TCP super-frames.
 *
 * With a fake clock (mote/sim.h) two stacks joined by a link run a whole
 * TCP transfer deterministically as fast as the CPU allows.
 */
#ifndef MOTE_NET_LINK_H
#define MOTE_NET_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "mote/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mote_net_link_config {
    size_t mtu;                /* ethernet payload bytes; default 1500 */
    uint64_t seed;             /* fault generator seed */
    uint32_t loss_ppm;         /* frames dropped, parts per million */
    uint32_t dup_ppm;          /* frames delivered twice */
    uint32_t reorder_ppm;      /* frames held back by reorder_delay_ns */
    uint32_t corrupt_ppm;      /* frames with one bit flipped */
    uint64_t delay_ns;         /* one-way delay for every frame */
    uint64_t jitter_ns;        /* extra uniform random delay in [0, jitter) */
    uint64_t reorder_delay_ns; /* extra delay of reordered frames; default 1 ms */
    uint64_t rate_bps;         /* serialisation rate in bits per second; 0: none */
    size_t queue_max;          /* frames in flight per direction; default 4096 */
    /* 1: both ends carry a virtio-net header in front of every frame, for
     * stacks with MOTE_NET_OFFLOAD_VNET | _CSUM | _TSO4: what an end sends
     * is turned into wire frames first (mote_net_vnet_to_wire: partial
     * checksums completed, TCP super-segments cut into MSS-sized segments,
     * as a host's TSO would), each wire frame meets the faults on its own,
     * and arrives with an all-zero header (so every checksum is checked).
     * Sends of up to 10 + 65535 + 14 bytes are taken. Default 0. */
    int vnet;
    /* With vnet: 1 delivers what an end sends whole, header and all (GSO
     * super-frames, partial checksums), as a host hands them to a peer on
     * the same machine; faults apply per frame, and a frame picked for
     * corruption has its checksum completed first (NEEDS_CSUM cleared) so
     * the flip is caught. Default 0. */
    int gro;
} mote_net_link_config;

typedef struct mote_net_link_stats {
    uint64_t sent, delivered, lost, duplicated, reordered, corrupted, queue_drops;
} mote_net_link_stats;

typedef struct mote_net_link mote_net_link;

/* Fills cfg with the defaults (no faults, no delay, MTU 1500). */
void mote_net_link_config_default(mote_net_link_config *cfg);
/* A link whose deliveries are driven by clock's timers. The two ends get
 * MAC addresses 02:00:00:00:00:01 and 02:00:00:00:00:02 (locally
 * administered). NULL with *err = MOTE_ENOMEM or MOTE_EINVAL. */
mote_net_link *mote_net_link_new(mote_clock *clock, const mote_net_link_config *cfg, int *err);
/* Frees the link and the frames in flight. The netifs become invalid. */
void mote_net_link_free(mote_net_link *l);
/* End 0 or 1 of the link (owned by the link). */
mote_netif *mote_net_link_end(mote_net_link *l, int end);
/* Changes the fault settings (mtu and queue_max stay); the generator goes on. */
void mote_net_link_set_faults(mote_net_link *l, const mote_net_link_config *cfg);
/* Counts per direction: from end 0 (dir 0) or from end 1 (dir 1). */
void mote_net_link_get_stats(const mote_net_link *l, int dir, mote_net_link_stats *out);

#ifdef __cplusplus
}
#endif
#endif
