/*
 * mote/net_dhcp.h - a DHCPv4 client (RFC 2131) for a libmote-net stack.
 *
 * The client runs on the stack's UDP port 68 and its clock: it discovers a
 * server, requests the offered address, configures the stack with it
 * (address, netmask, router; a gratuitous ARP announces it), renews it
 * from the same server at T1, rebinds with any server at T2, and drops the
 * address when the lease runs out, starting over. Retransmissions back off
 * exponentially (4 s doubling to 64 s, with up to a second of jitter). A
 * NAK restarts discovery. Replies are checked strictly (transaction id,
 * hardware address, magic cookie, every option length) and anything odd is
 * ignored. Option overloading (option 52) is not supported: such replies
 * are used without the overloaded fields.
 */
#ifndef MOTE_NET_DHCP_H
#define MOTE_NET_DHCP_H

#include "mote/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mote_net_dhcp_lease {
    mote_net_ip4 addr, netmask, router, server;
    mote_net_ip4 dns[2]; /* 0 when not given */
    uint32_t lease_s, t1_s, t2_s;
} mote_net_dhcp_lease;

enum mote_net_dhcp_event {
    MOTE_NET_DHCP_BOUND = 1,   /* an address was leased and configured */
    MOTE_NET_DHCP_RENEWED = 2, /* the lease was extended (maybe new options) */
    MOTE_NET_DHCP_LOST = 3,    /* the lease ended or a NAK came: no address */
};

enum mote_net_dhcp_state {
    MOTE_NET_DHCP_INIT = 0,
    MOTE_NET_DHCP_SELECTING,
    MOTE_NET_DHCP_REQUESTING,
    MOTE_NET_DHCP_BOUND_STATE,
    MOTE_NET_DHCP_RENEWING,
    MOTE_NET_DHCP_REBINDING,
    MOTE_NET_DHCP_STOPPED,
};

/* Reports lease changes; lease is valid during the call only (NULL for LOST). */
typedef void (*mote_net_dhcp_fn)(void *arg, int event, const mote_net_dhcp_lease *lease);

typedef struct mote_net_dhcp mote_net_dhcp;

/* Starts the client on s (whose address should be 0) and sends the first
 * DISCOVER. hostname (may be NULL, at most 63 bytes, copied) is sent in
 * option 12. NULL with *err = MOTE_EADDRINUSE (port 68 taken),
 * MOTE_EINVAL, MOTE_ENOMEM. */
mote_net_dhcp *mote_net_dhcp_start(mote_net *s, const char *hostname, mote_net_dhcp_fn fn,
                                   void *arg, int *err);
/* The current state (enum mote_net_dhcp_state). */
int mote_net_dhcp_state(const mote_net_dhcp *d);
/* The current lease; MOTE_ESTATE if none is held. */
int mote_net_dhcp_lease_get(const mote_net_dhcp *d, mote_net_dhcp_lease *out);
/* Gives the lease back (DHCPRELEASE to the server), clears the stack's
 * address and stops the client. 0, or MOTE_ESTATE if no lease was held. */
int mote_net_dhcp_release(mote_net_dhcp *d);
/* Stops the client (without a release) and frees it. The stack keeps the
 * address it has. */
void mote_net_dhcp_free(mote_net_dhcp *d);

#ifdef __cplusplus
}
#endif
#endif
