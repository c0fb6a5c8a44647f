/*
 * mote/net_offload.h - the virtio-net header and software segmentation.
 *
 * A netif may carry, in front of every ethernet frame in both directions,
 * the 10-byte virtio-net header that Linux's TAP devices use with
 * IFF_VNET_HDR (struct virtio_net_hdr in the legacy layout: fields in the
 * host's byte order). It describes offloads for that one frame: the TCP or
 * UDP checksum is only partial and the other side completes it
 * (MOTE_NET_VNET_F_NEEDS_CSUM: the checksum field holds the pseudo-header
 * sum; the full checksum is the complement of the sum from csum_start to
 * the end, stored at csum_start + csum_offset), the checksum was already
 * checked (MOTE_NET_VNET_F_DATA_VALID), or the frame is a TCP super-segment
 * (gso_type MOTE_NET_VNET_GSO_TCPV4) that the other side cuts into
 * segments of gso_size payload bytes, as a NIC's TSO would.
 *
 * A stack whose mote_net_config.offload has MOTE_NET_OFFLOAD_VNET reads and
 * writes these headers (see mote/net.h). The functions here encode and
 * decode the header and turn one such frame into the plain ethernet frames
 * a wire would carry, with complete checksums: the pcap recorder, the
 * in-memory link and tests use them, and so can any netif that cannot
 * offload.
 */
#ifndef MOTE_NET_OFFLOAD_H
#define MOTE_NET_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOTE_NET_VNET_HDR_LEN 10

/* flags */
#define MOTE_NET_VNET_F_NEEDS_CSUM 0x01u
#define MOTE_NET_VNET_F_DATA_VALID 0x02u
/* gso_type */
#define MOTE_NET_VNET_GSO_NONE  0u
#define MOTE_NET_VNET_GSO_TCPV4 1u
#define MOTE_NET_VNET_GSO_UDP   3u
#define MOTE_NET_VNET_GSO_TCPV6 4u
#define MOTE_NET_VNET_GSO_ECN   0x80u

typedef struct mote_net_vnet_hdr {
    uint8_t flags;        /* MOTE_NET_VNET_F_* */
    uint8_t gso_type;     /* MOTE_NET_VNET_GSO_* (| _ECN) */
    uint16_t hdr_len;     /* ethernet + IP + TCP header bytes (a hint) */
    uint16_t gso_size;    /* payload bytes per segment */
    uint16_t csum_start;  /* where checksumming starts, from the frame's start */
    uint16_t csum_offset; /* where the checksum goes, from csum_start */
} mote_net_vnet_hdr;

/* Writes h as 10 bytes (legacy virtio: host byte order) at out. */
void mote_net_vnet_encode(const mote_net_vnet_hdr *h, uint8_t *out);
/* Reads 10 bytes at in into h. */
void mote_net_vnet_decode(const uint8_t *in, mote_net_vnet_hdr *h);

/* Receives one frame; its bytes are valid only during the call. 0 to go
 * on, or a negative MOTE_E* code to stop (it is returned). */
typedef int (*mote_net_frame_fn)(void *arg, const uint8_t *frame, size_t len);

/* Turns the frame at vframe (len bytes: the virtio-net header, then the
 * ethernet frame) into the frames a wire would carry and hands each to fn:
 * a frame without offloads as it is; a partial checksum completed; a
 * TCPv4 super-segment cut into segments of gso_size payload bytes, each
 * with its own IPv4 length, ID (counting up from the super-segment's),
 * header checksum, sequence number and TCP checksum, FIN and PSH only on
 * the last and CWR only on the first (as Linux's GSO does). 0, or
 * MOTE_EDECODE for a header that does not fit the frame (bad offsets, a
 * GSO frame that is not IPv4/TCP, gso_size 0), MOTE_EUNSUPPORTED for UDP
 * and TCPv6 GSO, MOTE_ENOMEM, or fn's error. Never reads outside vframe. */
int mote_net_vnet_to_wire(const uint8_t *vframe, size_t len, mote_net_frame_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif
