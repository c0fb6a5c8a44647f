/*
 * mote/net.h - libmote-net: an IPv4 TCP/IP stack with no I/O of its own.
 *
 * A mote_net stack owns one ethernet interface (a mote_netif) and speaks
 * ethernet, ARP, IPv4 (with fragmentation and bounded reassembly), ICMPv4,
 * UDP and TCP on it. It never calls the operating system: frames arrive
 * through the netif's receiver (or mote_net_input), time and timers come
 * from a mote_clock, random numbers (ISN secrets, ephemeral ports) from a
 * mote_rng, and frames leave through the netif's send. The same code runs
 * over a TAP device under libuv, over the in-memory link of
 * mote/net_link.h in tests, or in a unikernel.
 *
 * Every TCP connection is a mote_flow (mote/device.h), so TLS or any other
 * flow user runs over it unchanged. UDP has its own small socket API.
 *
 * Addresses (mote_net_ip4) are IPv4 addresses in host byte order, e.g.
 * MOTE_NET_IP4(10, 0, 0, 1). Ports are in host byte order.
 *
 * Threading: a stack and everything it hands out is used from the one
 * thread that runs its clock's loop. Callbacks are made from that loop
 * (from frame input or timers), never from inside a call the program makes
 * into the stack, unless a comment says so.
 */
#ifndef MOTE_NET_H
#define MOTE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "mote/core.h"
#include "mote/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t mote_net_ip4;

#define MOTE_NET_IP4(a, b, c, d)                                                                   \
    ((mote_net_ip4)(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) |         \
                    (uint32_t)(d)))

/* Writes dotted-quad text (at most 16 bytes with the NUL) into out.
 * MOTE_ENOSPC if n is too small. */
int mote_net_ip4_format(mote_net_ip4 a, char *out, size_t n);
/* Parses strict dotted-quad text ("10.0.0.1"; no leading zeros, no
 * shorthand). MOTE_EDECODE on anything else. */
int mote_net_ip4_parse(const char *text, mote_net_ip4 *out);

typedef struct mote_net mote_net;

/* Congestion control algorithms for TCP. */
enum mote_net_cc {
    MOTE_NET_CC_NEWRENO = 0, /* RFC 5681 + RFC 6582 (RFC 6675 with SACK) */
    MOTE_NET_CC_CUBIC = 1,   /* RFC 9438 */
};

/* TCP tunables; per stack, some changeable per connection. */
typedef struct mote_net_tcp_config {
    size_t sndbuf;                  /* send bytes kept in flight at most; default 1 MiB */
    size_t rcvbuf;                  /* receive window; default 1 MiB */
    uint64_t rto_min_ns;            /* RFC 6298 lower bound; default 200 ms */
    uint64_t rto_max_ns;            /* backoff ceiling; default 60 s */
    uint64_t rto_initial_ns;        /* before any RTT sample; default 1 s */
    unsigned max_retries;           /* data retransmissions before ETIMEDOUT; default 12 */
    unsigned syn_retries;           /* SYN retransmissions before ETIMEDOUT; default 6 */
    uint64_t msl_ns;                /* maximum segment lifetime; TIME_WAIT is 2 MSL; 30 s */
    uint64_t delack_ns;             /* delayed ACK timeout; default 40 ms (0: no delay) */
    uint64_t fin_wait2_ns;          /* orphaned FIN_WAIT_2 bound; default 60 s */
    int cc;                         /* enum mote_net_cc; default CUBIC */
    int nodelay;                    /* 1 turns Nagle off by default; default 0 */
    int window_scaling;             /* RFC 7323 window scale; default 1 */
    int timestamps;                 /* RFC 7323 timestamps and PAWS; default 1 */
    int sack;                       /* RFC 2018 SACK; default 1 */
    int keepalive;                  /* keepalive on by default; default 0 */
    uint64_t keepalive_idle_ns;     /* default 7200 s */
    uint64_t keepalive_interval_ns; /* default 75 s */
    unsigned keepalive_count;       /* default 9 */
    unsigned challenge_ack_limit;   /* RFC 5961 challenge ACKs per second; default 1000 */
    size_t ooo_max_segments;        /* out-of-order segments kept per connection; 256 */
} mote_net_tcp_config;

/* Called when an ICMP echo reply arrives (for mote_net_ping). */
typedef void (*mote_net_echo_fn)(void *arg, mote_net_ip4 from, uint16_t id, uint16_t seq,
                                 const uint8_t *data, size_t len);

typedef struct mote_net_config {
    mote_netif *netif;   /* required; the stack registers itself as receiver */
    mote_clock *clock;   /* required */
    mote_rng *rng;       /* required */
    const mote_log *log; /* may be NULL */
    mote_net_ip4 addr;   /* 0: unconfigured (e.g. until DHCP) */
    mote_net_ip4 netmask;
    mote_net_ip4 gateway;           /* 0: no default route */
    uint8_t ttl;                    /* default 64 */
    size_t arp_cache_size;          /* entries; default 64 */
    uint64_t arp_timeout_ns;        /* a resolved entry lives this long; default 60 s */
    size_t arp_pending_max;         /* frames held per unresolved address; default 16 */
    size_t reasm_max_bytes;         /* bytes held in all reassemblies; default 256 KiB */
    size_t reasm_max_datagrams;     /* datagrams being reassembled at once; default 16 */
    size_t reasm_max_frags;         /* fragments per datagram; default 64 */
    uint64_t reasm_timeout_ns;      /* default 30 s */
    unsigned icmp_error_rate;       /* ICMP errors sent per second at most; default 100 */
    mote_net_echo_fn on_echo_reply; /* may be NULL */
    void *echo_arg;
    mote_net_tcp_config tcp;
    /* What the netif does for the stack: MOTE_NET_OFFLOAD_* bits below; 0
     * (the default) for plain ethernet frames of at most mtu + 14 bytes. */
    unsigned offload;
    /* 1 (the default): TCP builds segments of up to 64 KiB when the window,
     * cwnd and queued data allow, one header for many MSS-sized pieces; a
     * netif with MOTE_NET_OFFLOAD_TSO4 gets them whole, otherwise the stack
     * cuts them into the very frames that sending one MSS at a time would
     * give. 0: one MSS per segment throughout. */
    int gso;
} mote_net_config;

/* Offload bits for mote_net_config.offload (see mote/net_offload.h):
 *  VNET  every frame to and from the netif begins with a 10-byte
 *        virtio-net header (Linux TAP with IFF_VNET_HDR, e.g. posix's
 *        mote_posix_tap_config.vnet_passthrough). Received frames may then
 *        be up to 65535 bytes of IP (GRO/GSO from the host) and carry
 *        NEEDS_CSUM or DATA_VALID, whose TCP/UDP checksums are not checked
 *        again (the host vouches for them, as Linux does).
 *  CSUM  the netif completes partial checksums (VIRTIO_NET_HDR_F_NEEDS_CSUM):
 *        TCP segments leave with the pseudo-header sum only. Needs VNET.
 *  TSO4  the netif cuts TCPv4 super-segments (VIRTIO_NET_HDR_GSO_TCPV4,
 *        gso_size = MSS): with gso on, TCP hands down up to 64 KiB per
 *        frame. Needs CSUM (TAP offloads TUN_F_CSUM | TUN_F_TSO4). */
#define MOTE_NET_OFFLOAD_VNET 0x01u
#define MOTE_NET_OFFLOAD_CSUM 0x02u
#define MOTE_NET_OFFLOAD_TSO4 0x04u

/* Fills cfg with the defaults above (all pointers NULL, addresses 0). */
void mote_net_config_default(mote_net_config *cfg);

/* Creates a stack on cfg->netif and registers it as the netif's receiver.
 * The devices must outlive the stack. If cfg->addr is set, it is announced
 * with gratuitous ARPs as RFC 5227 2.3 says: one now and one 2 s later on
 * the stack's clock. NULL with *err = MOTE_EINVAL (missing device, bad mask,
 * offload bits without the ones they need) or MOTE_ENOMEM. */
mote_net *mote_net_new(const mote_net_config *cfg, int *err);
/* Aborts every connection (no callbacks run), frees every socket and the
 * stack, and unregisters from the netif. Flows and sockets handed out
 * become invalid; do not use them afterwards. */
void mote_net_free(mote_net *s);

/* Feeds one received ethernet frame (destination MAC first, no FCS; with
 * MOTE_NET_OFFLOAD_VNET the virtio-net header first). This is what the
 * netif receiver calls; tests and fuzzers may call it too. Malformed
 * frames (and headers) are counted and dropped. */
void mote_net_input(mote_net *s, const uint8_t *frame, size_t len);

/* Changes the address configuration (e.g. from DHCP); when addr is not 0
 * announces it with two gratuitous ARPs 2 s apart (the first now), and
 * cancels any announcement still due for the old address. Existing connections keep their
 * addresses. MOTE_EINVAL for a non-contiguous netmask. */
int mote_net_set_addr(mote_net *s, mote_net_ip4 addr, mote_net_ip4 netmask, mote_net_ip4 gateway);
/* The current address configuration (any pointer may be NULL). */
void mote_net_get_addr(const mote_net *s, mote_net_ip4 *addr, mote_net_ip4 *netmask,
                       mote_net_ip4 *gateway);
/* Sends one gratuitous ARP for the current address now (in addition to the
 * scheduled ones). MOTE_ESTATE if none. */
int mote_net_announce(mote_net *s);

/* Sends an ICMP echo request to dst; replies go to cfg->on_echo_reply.
 * MOTE_EUNREACH without a route, MOTE_ELIMIT if len > 65507 - 8. */
int mote_net_ping(mote_net *s, mote_net_ip4 dst, uint16_t id, uint16_t seq, const void *data,
                  size_t len);

/* ---- counters ---------------------------------------------------------- */

typedef struct mote_net_counters {
    uint64_t eth_in, eth_out, eth_drop_short, eth_drop_type, eth_drop_dst, eth_send_fail;
    /* offloads: bad virtio-net headers dropped, GSO super-frames received,
     * super-segments handed to a TSO netif, super-segments cut in software */
    uint64_t eth_drop_vnet, eth_gso_in, eth_tso_out, eth_gso_split;
    uint64_t arp_in, arp_out, arp_requests_in, arp_replies_out, arp_drop_bad, arp_resolved,
        arp_timeouts, arp_pending_drop;
    uint64_t ip_in, ip_out, ip_drop_header, ip_drop_checksum, ip_drop_dst, ip_drop_proto,
        ip_frag_in, ip_reasm_ok, ip_reasm_drop, ip_reasm_timeout, ip_frag_out, ip_no_route;
    uint64_t icmp_in, icmp_out, icmp_drop_bad, icmp_echo_in, icmp_echo_reply_in, icmp_unreach_in,
        icmp_unreach_out, icmp_rate_limited;
    uint64_t udp_in, udp_out, udp_drop_bad, udp_drop_checksum, udp_no_port;
    /* tcp_rack_losses: times RACK declared holes lost (RFC 8985);
     * tcp_dsacks_in: D-SACK blocks received (RFC 2883); tcp_undos:
     * congestion responses undone because D-SACKs showed every
     * retransmission of the episode needless */
    uint64_t tcp_in, tcp_out, tcp_drop_bad, tcp_drop_checksum, tcp_active_opens, tcp_passive_opens,
        tcp_failed, tcp_resets_in, tcp_resets_out, tcp_retransmits, tcp_rto, tcp_fast_retransmits,
        tcp_challenge_acks, tcp_paws_drop, tcp_backlog_drop, tcp_ooo_in, tcp_dup_in,
        tcp_zero_window_probes, tcp_keepalives, tcp_established, tcp_tail_probes, tcp_rack_losses,
        tcp_dsacks_in, tcp_undos;
} mote_net_counters;

/* Copies the counters into out. */
void mote_net_get_counters(const mote_net *s, mote_net_counters *out);
/* Writes the counters as "layer.name value" lines, netstat -s style, into
 * out (a growable buffer). MOTE_ENOMEM/MOTE_ELIMIT from the buffer. */
int mote_net_format_counters(const mote_net *s, mote_buf *out);

/* ---- UDP ------------------------------------------------------------- */

typedef struct mote_net_udp mote_net_udp;

typedef struct mote_net_udp_events {
    /* A datagram arrived; data is valid only during the call. */
    void (*recv)(void *arg, mote_net_udp *u, mote_net_ip4 src, uint16_t sport, const uint8_t *data,
                 size_t len);
    /* An ICMP error concerned a datagram this socket sent to dst:dport:
     * MOTE_ECONNREFUSED (port unreachable), MOTE_EUNREACH (host, net or
     * protocol unreachable), MOTE_ETIMEDOUT (TTL exceeded), MOTE_ELIMIT
     * (fragmentation needed). May be NULL. */
    void (*error)(void *arg, mote_net_udp *u, mote_net_ip4 dst, uint16_t dport, int err);
} mote_net_udp_events;

/* Binds a UDP socket to port (0 picks a free ephemeral port). ev is copied.
 * NULL with *err = MOTE_EADDRINUSE, MOTE_ENOMEM or MOTE_EINVAL. */
mote_net_udp *mote_net_udp_open(mote_net *s, uint16_t port, const mote_net_udp_events *ev,
                                void *arg, int *err);
/* The local port. */
uint16_t mote_net_udp_port(const mote_net_udp *u);
/* Sends one datagram (fragmented if it exceeds the MTU). 255.255.255.255
 * and the subnet broadcast go to the ethernet broadcast address. 0, or
 * MOTE_ELIMIT (len > 65507), MOTE_EUNREACH (no route), MOTE_ENOMEM, or the
 * netif's error. A datagram waiting for ARP is queued, and 0 returned. */
int mote_net_udp_sendto(mote_net_udp *u, mote_net_ip4 dst, uint16_t dport, const void *data,
                        size_t len);
/* As sendto, with an explicit source address (0.0.0.0 for DHCP). */
int mote_net_udp_sendto_from(mote_net_udp *u, mote_net_ip4 src, mote_net_ip4 dst, uint16_t dport,
                             const void *data, size_t len);
/* Closes the socket; no callback runs after it returns. Allowed from inside
 * the socket's own callbacks. */
void mote_net_udp_close(mote_net_udp *u);

#ifdef __cplusplus
}
#endif
#endif
