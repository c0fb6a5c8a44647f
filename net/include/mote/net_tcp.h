/*
 * mote/net_tcp.h - TCP connections of a libmote-net stack.
 *
 * TCP per RFC 9293 with the extensions a modern host needs: MSS, window
 * scaling, timestamps and PAWS (RFC 7323), SACK (RFC 2018) with SACK-based
 * loss recovery (RFC 6675), the RFC 6298 retransmission timer, NewReno
 * (RFC 6582) or CUBIC (RFC 9438), delayed ACKs, Nagle, keepalive,
 * zero-window probing, RFC 5961 challenge ACKs and RFC 6528 initial
 * sequence numbers. docs/net.md lists what is done and what is missing.
 *
 * Every connection is a mote_flow (mote/device.h):
 *   - write copies and queues; queued() counts bytes not yet sent; the
 *     drain event fires when every written byte has left (is in flight or
 *     acknowledged).
 *   - data arrives in order through the data event; with reading off (or
 *     before events are set) it is held up to the receive buffer, and the
 *     window shrinks, so the peer waits.
 *   - shutdown sends FIN after the queued bytes; eof fires when the peer's
 *     FIN arrives after all its data.
 *   - close releases the flow; a connection that has not been reset goes
 *     on in the background to deliver what was written and finish the FIN
 *     handshake (like close(2) on a socket), then frees itself.
 *   - error reports MOTE_ECONNRESET, MOTE_ETIMEDOUT, MOTE_ECONNREFUSED or
 *     MOTE_EUNREACH; the owner then closes.
 */
#ifndef MOTE_NET_TCP_H
#define MOTE_NET_TCP_H

#include "mote/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- TCP ------------------------------------------------------------- */

typedef struct mote_net_listener mote_net_listener;

/* Connections are waiting to be accepted on l. */
typedef void (*mote_net_accept_fn)(void *arg, mote_net_listener *l);

/* Listens on port (0 is refused) with a queue of at most backlog
 * connections that completed the handshake but were not accepted yet
 * (SYNs beyond it are dropped, so the peer retries). NULL with *err =
 * MOTE_EADDRINUSE, MOTE_EINVAL or MOTE_ENOMEM. */
mote_net_listener *mote_net_tcp_listen(mote_net *s, uint16_t port, int backlog,
                                       mote_net_accept_fn fn, void *arg, int *err);
/* Takes the next established connection off l's queue. The caller owns the
 * flow and releases it with mote_flow_close. NULL with *err = MOTE_EAGAIN
 * if none is waiting. Data that arrived before events were set is held. */
mote_flow *mote_net_tcp_accept(mote_net_listener *l, int *err);
/* Stops listening; connections not yet accepted are reset. */
void mote_net_listener_close(mote_net_listener *l);

/* Reports the end of a connect: err 0 when established, else
 * MOTE_ECONNREFUSED (RST or ICMP port unreachable), MOTE_ETIMEDOUT,
 * MOTE_EUNREACH. After an error the owner must still close the flow. */
typedef void (*mote_net_connect_fn)(void *arg, mote_flow *flow, int err);

/* Opens a connection to dst:dport from an ephemeral port. The flow is
 * returned at once (writes before the handshake completes are queued) and
 * fn reports the outcome. NULL with *err = MOTE_ESTATE (no address),
 * MOTE_EUNREACH (no route), MOTE_EADDRINUSE (no free port), MOTE_ENOMEM. */
mote_flow *mote_net_tcp_connect(mote_net *s, mote_net_ip4 dst, uint16_t dport,
                                mote_net_connect_fn fn, void *arg, int *err);

/* TCP states (RFC 9293). */
enum mote_net_tcp_state {
    MOTE_NET_TCP_CLOSED = 0,
    MOTE_NET_TCP_LISTEN,
    MOTE_NET_TCP_SYN_SENT,
    MOTE_NET_TCP_SYN_RECEIVED,
    MOTE_NET_TCP_ESTABLISHED,
    MOTE_NET_TCP_FIN_WAIT_1,
    MOTE_NET_TCP_FIN_WAIT_2,
    MOTE_NET_TCP_CLOSE_WAIT,
    MOTE_NET_TCP_CLOSING,
    MOTE_NET_TCP_LAST_ACK,
    MOTE_NET_TCP_TIME_WAIT,
};
/* "ESTABLISHED", ... */
const char *mote_net_tcp_state_name(int state);

typedef struct mote_net_tcp_info {
    int state; /* enum mote_net_tcp_state */
    mote_net_ip4 local_addr, remote_addr;
    uint16_t local_port, remote_port;
    uint32_t mss;              /* send MSS */
    uint32_t cwnd, ssthresh;   /* bytes */
    uint32_t snd_wnd, rcv_wnd; /* bytes, unscaled */
    uint8_t snd_wscale, rcv_wscale;
    int ts_ok, sack_ok, nodelay, keepalive, cc;
    uint64_t srtt_ns, rttvar_ns, rto_ns;
    unsigned backoff; /* consecutive RTO expiries */
    uint64_t retransmits, bytes_acked, bytes_received;
    size_t unacked, unsent, ooo_bytes;
} mote_net_tcp_info;

/* 1 if f is a TCP connection of libmote-net. */
int mote_net_tcp_is(const mote_flow *f);
/* Fills info for a TCP flow. MOTE_EINVAL if f is not one. */
int mote_net_tcp_get_info(mote_flow *f, mote_net_tcp_info *info);
/* Turns Nagle off (on = 1) or on. MOTE_EINVAL if f is not a TCP flow. */
int mote_net_tcp_set_nodelay(mote_flow *f, int on);
/* Turns keepalive on with the stack's idle/interval/count, or off. */
int mote_net_tcp_set_keepalive(mote_flow *f, int on);
/* Chooses the congestion control (enum mote_net_cc) of a connection. */
int mote_net_tcp_set_cc(mote_flow *f, int cc);
/* Sends a RST and closes f at once (an abortive close); f is freed. */
void mote_net_tcp_abort(mote_flow *f);

#ifdef __cplusplus
}
#endif
#endif
