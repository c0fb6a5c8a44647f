/* internal.h - libmote-net's private structures, shared by its modules. */
#ifndef MOTE_NET_INTERNAL_H
#define MOTE_NET_INTERNAL_H

#include "mote/net.h"
#include "mote/net_offload.h"

#include <stdlib.h>
#include <string.h>

#define ETH_HLEN       14
#define IP_HLEN        20
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define IPPROTO_ICMP_  1
#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17
#define IP_MAXPACKET_  65535u
#define IP_BCAST       0xffffffffu

#define LOGC "net"

/* Bytes kept free in front of every frame buffer the stack sends from, for
 * the virtio-net header (MOTE_NET_VNET_HDR_LEN, rounded up). */
#define NET_HEADROOM 16

struct net_arp_pending {
    struct net_arp_pending *next;
    size_t len;
    int has_vh;
    mote_net_vnet_hdr vh; /* the frame's offloads (VNET netifs) */
    /* NET_HEADROOM bytes, then the whole ethernet frame; the destination
     * MAC is filled on resolution */
    uint8_t buf[];
};

enum { ARP_FREE = 0, ARP_INCOMPLETE, ARP_REACHABLE };

struct net_arp_entry {
    int state;
    mote_net_ip4 ip;
    uint8_t mac[6];
    uint64_t expires;  /* REACHABLE: time after which it is refreshed */
    uint64_t next_try; /* INCOMPLETE or stale: when to send the next request */
    unsigned tries;
    uint64_t used; /* last use, for eviction */
    struct net_arp_pending *pend_head, *pend_tail;
    size_t npend;
};

struct net_frag {
    struct net_frag *next;
    uint32_t off, len;
    uint8_t data[];
};

struct net_reasm {
    struct net_reasm *next;
    mote_net_ip4 src, dst;
    uint16_t id;
    uint8_t proto;
    uint64_t expires;
    struct net_frag *frags; /* sorted by offset, never overlapping */
    size_t nfrags, bytes;
    uint32_t total; /* total payload length once the last fragment came; else 0 */
    int have_last;
    size_t first_len;      /* bytes of first_hdr kept (IP header + 8) */
    uint8_t first_hdr[68]; /* the first fragment's header + 8 bytes, for ICMP */
};

struct mote_net_udp {
    struct mote_net_udp *next;
    mote_net *s;
    uint16_t port;
    mote_net_udp_events ev;
    void *arg;
    int closed;
};

struct net_tcb;
struct mote_net_listener;

#define TCP_HASH_SIZE 256

struct mote_net {
    mote_net_config cfg;
    mote_netif *netif;
    mote_clock *clock;
    mote_rng *rng;
    const mote_log *log;
    uint8_t mac[6];
    size_t mtu;
    mote_net_ip4 addr, mask, gw;
    mote_net_counters ctr;

    uint8_t *tx;              /* scratch for building one frame: ETH_HLEN + IP_MAXPACKET_ */
    uint8_t *fragtx;          /* scratch for one fragment or segment: ETH_HLEN + mtu */
    uint8_t *txmem, *fragmem; /* their allocations (NET_HEADROOM bytes earlier) */
    uint16_t ip_id;
    unsigned offload; /* MOTE_NET_OFFLOAD_* */
    int gso;          /* TCP may build super-segments */
    int rx_csum_ok;   /* the frame being input needs no L4 checksum check */

    struct net_arp_entry *arp;
    struct net_reasm *reasm;
    size_t reasm_count, reasm_bytes;
    mote_timer *timer;      /* ARP retries, announcements and reassembly timeouts */
    uint64_t timer_at;      /* 0 when not armed */
    unsigned announce_left; /* gratuitous ARPs still to send for addr */
    uint64_t announce_at;   /* when the next one is due */

    uint64_t icmp_tokens_at; /* time of the last refill */
    unsigned icmp_tokens;

    struct mote_net_udp *udp;
    int udp_dead; /* closed sockets wait for a safe point */

    struct net_tcb *tcb_hash[TCP_HASH_SIZE];
    struct mote_net_listener *listeners;
    struct net_tcb *tcb_all; /* every TCP connection (tcp.c frees the dead ones) */
    uint8_t isn_key[16];
    uint8_t port_key[16];
    uint64_t challenge_window_start;
    unsigned challenge_count;

    int depth; /* nesting of entry points; reaping happens at depth 0 */
};

/* util.c */
uint64_t net_csum_partial(uint64_t sum, const uint8_t *p, size_t len);
uint16_t net_csum_fold(uint64_t sum);
uint64_t net_csum_pseudo(mote_net_ip4 src, mote_net_ip4 dst, uint8_t proto, size_t len);
uint64_t net_siphash(const uint8_t key[16], const uint8_t *in, size_t len);
uint64_t net_now(mote_net *s);
void net_enter(mote_net *s);
void net_leave(mote_net *s);

/* stack.c: IPv4 and below */
/* Sends an IPv4 packet whose payload is the l4len bytes at l4 (which may be
 * s->tx + ETH_HLEN + IP_HLEN, the in-place position). src 0 means the
 * stack's address. Fragments above the MTU unless df. */
int net_ip_output(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, uint8_t proto, const uint8_t *l4,
                  size_t l4len, int df);
/* Sends the TCP segment built in place at net_l4_buf(s): a thl-byte header
 * (its checksum field is filled here) and plen payload bytes. A payload
 * above seg bytes is a super-segment: handed whole to a TSO netif, or cut
 * here into seg-byte segments exactly as if each had been sent on its own
 * (IP IDs counting up, FIN/PSH only on the last). Sets DF. */
int net_tcp_ip_output(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, size_t thl, size_t plen,
                      size_t seg);
/* Where to build an L4 payload in place. */
static inline uint8_t *net_l4_buf(mote_net *s)
{
    return s->tx + ETH_HLEN + IP_HLEN;
}
int net_route_ok(const mote_net *s, mote_net_ip4 dst);
int net_is_local_bcast(const mote_net *s, mote_net_ip4 a);
/* Sends an ICMP error (type, code, extra 4 bytes) about the IPv4 packet at
 * ip (its header and at least 8 bytes of payload when present). */
void net_icmp_error(mote_net *s, uint8_t type, uint8_t code, uint32_t extra, const uint8_t *ip,
                    size_t iplen);

/* offload.c */
/* The folded pseudo-header sum that a partial checksum field holds. */
uint16_t net_csum_pseudo_field(mote_net_ip4 src, mote_net_ip4 dst, uint8_t proto, size_t len);
/* Builds at out segment idx of the TCPv4 super-segment frame f (ethernet,
 * an ihl-byte IP header, a thl-byte TCP header, plen payload bytes): the
 * payload bytes [off, off + n), IP length, ID + idx and header checksum,
 * sequence number, FIN/PSH (last only), CWR (first only), and the TCP
 * checksum (complete, or the pseudo-header sum when partial). Returns the
 * frame's length. */
size_t net_tso_cut(const uint8_t *f, size_t ihl, size_t thl, size_t off, size_t n, size_t plen,
                   unsigned idx, int partial, uint8_t *out);

/* tcp.c */
void net_tcp_input(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, const uint8_t *seg, size_t len);
/* An ICMP error about a TCP segment we sent: inner is the quoted IP header
 * plus at least 8 bytes of TCP header. err as for UDP. */
void net_tcp_icmp_error(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, const uint8_t *tcph,
                        size_t len, int err, uint32_t mtu);
void net_tcp_reap(mote_net *s);
void net_tcp_free_all(mote_net *s);
void net_tcp_config_default(mote_net_tcp_config *c);

#endif
