/*
 * mote/net_pcap.h - a pcap recorder that wraps any netif.
 *
 * mote_net_pcap sits between a netif and its user: it passes every frame
 * through unchanged and writes a copy of each, sent or received, as a
 * record of the classic libpcap format (microsecond timestamps from the
 * clock's wall time, link type ethernet), readable by tcpdump and
 * Wireshark (with mote_net_pcap_set_vnet, as a wire would carry them). It
 * does no I/O itself: the bytes go to a write function the
 * caller gives (a file, a pipe, memory). The global header is written when
 * the recorder is created.
 */
#ifndef MOTE_NET_PCAP_H
#define MOTE_NET_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "mote/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives len bytes of pcap output; 0 or a negative MOTE_E* code (after
 * a failure the recorder stops writing, frames still pass). */
typedef int (*mote_net_pcap_write_fn)(void *arg, const void *data, size_t len);

typedef struct mote_net_pcap mote_net_pcap;

/* Wraps inner (which must outlive the recorder). snaplen bounds the bytes
 * kept per frame (0: 65535). NULL with *err = MOTE_EINVAL, MOTE_ENOMEM, or
 * the write function's error for the header. */
mote_net_pcap *mote_net_pcap_new(mote_netif *inner, mote_clock *clock, mote_net_pcap_write_fn fn,
                                 void *arg, size_t snaplen, int *err);
/* The netif to use instead of inner (owned by the recorder). */
mote_netif *mote_net_pcap_netif(mote_net_pcap *p);
/* Tells the recorder (on = 1) that frames through it carry a virtio-net
 * header first (a stack with MOTE_NET_OFFLOAD_VNET on a TAP with
 * vnet_passthrough). It then records what a wire would carry: the header
 * left out, partial checksums completed, and TCP super-segments (GSO, both
 * ways) cut into their MSS-sized segments (mote_net_vnet_to_wire); a
 * header it cannot follow leaves the frame recorded as it is, without the
 * header. Frames still pass through unchanged. */
void mote_net_pcap_set_vnet(mote_net_pcap *p, int on);
/* Frames recorded so far, and the first write error (0 if none). */
uint64_t mote_net_pcap_frames(const mote_net_pcap *p);
int mote_net_pcap_error(const mote_net_pcap *p);
/* Unregisters from inner and frees the recorder. */
void mote_net_pcap_free(mote_net_pcap *p);

#ifdef __cplusplus
}
#endif
#endif
