/* dhcp.c - the DHCPv4 client (RFC 2131, options from RFC 2132). */
#include "internal.h"
#include "mote/net_dhcp.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_FIXED       236 /* op .. file */
#define DHCP_MAGIC       0x63825363u

enum { DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6, RELEASE = 7 };

struct mote_net_dhcp {
    mote_net *s;
    mote_net_udp *udp;
    mote_timer *timer;
    mote_net_dhcp_fn fn;
    void *arg;
    char hostname[64];
    int state;
    uint32_t xid;
    unsigned tries;
    uint64_t started;  /* when this exchange began (secs field) */
    uint64_t bound_at; /* when the lease began */
    uint64_t retry_at; /* next retransmission; 0 if none */
    mote_net_ip4 offered, offer_server;
    mote_net_dhcp_lease lease;
    int have_lease;
};

struct dhcp_msg {
    uint8_t op, type;
    uint32_t xid;
    mote_net_ip4 yiaddr;
    mote_net_ip4 server, mask, router, dns[2];
    uint32_t lease, t1, t2;
    int have_mask, have_router, have_lease, have_t1, have_t2;
};

static uint64_t now(mote_net_dhcp *d)
{
    return mote_clock_now(d->s->clock);
}

static uint64_t jitter(mote_net_dhcp *d)
{
    uint32_t r = 0;
    mote_rng_fill(d->s->rng, &r, sizeof r);
    return r % MOTE_NS_PER_SEC;
}

/* 4 s, 8 s, 16 s, 32 s, then 64 s, each with up to 1 s of jitter. */
static uint64_t backoff(mote_net_dhcp *d)
{
    unsigned k = d->tries < 4 ? d->tries : 4;
    return (4ull << k) * MOTE_NS_PER_SEC + jitter(d);
}

static void arm(mote_net_dhcp *d)
{
    uint64_t at = d->retry_at;
    if (d->have_lease && d->state >= MOTE_NET_DHCP_BOUND_STATE &&
        d->state <= MOTE_NET_DHCP_REBINDING) {
        uint64_t t1 = d->bound_at + (uint64_t)d->lease.t1_s * MOTE_NS_PER_SEC;
        uint64_t t2 = d->bound_at + (uint64_t)d->lease.t2_s * MOTE_NS_PER_SEC;
        uint64_t end = d->bound_at + (uint64_t)d->lease.lease_s * MOTE_NS_PER_SEC;
        uint64_t next = d->state == MOTE_NET_DHCP_BOUND_STATE ? t1
                        : d->state == MOTE_NET_DHCP_RENEWING  ? t2
                                                              : end;
        if (!at || next < at)
            at = next;
    }
    if (at)
        mote_timer_arm(d->s->clock, d->timer, at);
    else
        mote_timer_cancel(d->s->clock, d->timer);
}

static size_t put_opt(uint8_t *p, uint8_t code, const void *v, size_t len)
{
    p[0] = code;
    p[1] = (uint8_t)len;
    memcpy(p + 2, v, len);
    return 2 + len;
}

static size_t put_ip_opt(uint8_t *p, uint8_t code, mote_net_ip4 a)
{
    uint8_t v[4];
    mote_store_be32(v, a);
    return put_opt(p, code, v, 4);
}

/* Builds and sends a client message. */
static void send_msg(mote_net_dhcp *d, uint8_t type, mote_net_ip4 ciaddr, mote_net_ip4 req_ip,
                     mote_net_ip4 server_id, mote_net_ip4 src, mote_net_ip4 dst)
{
    uint8_t m[DHCP_FIXED + 4 + 128];
    memset(m, 0, sizeof m);
    m[0] = 1; /* BOOTREQUEST */
    m[1] = 1;
    m[2] = 6;
    mote_store_be32(m + 4, d->xid);
    uint64_t secs = (now(d) - d->started) / MOTE_NS_PER_SEC;
    mote_store_be16(m + 8, (uint16_t)(secs > 65535 ? 65535 : secs));
    if (!ciaddr)
        mote_store_be16(m + 10, 0x8000); /* ask for broadcast replies */
    mote_store_be32(m + 12, ciaddr);
    memcpy(m + 28, d->s->mac, 6);
    mote_store_be32(m + DHCP_FIXED, DHCP_MAGIC);
    size_t o = DHCP_FIXED + 4;
    o += put_opt(m + o, 53, &type, 1);
    uint8_t cid[7] = {1};
    memcpy(cid + 1, d->s->mac, 6);
    o += put_opt(m + o, 61, cid, sizeof cid);
    if (req_ip)
        o += put_ip_opt(m + o, 50, req_ip);
    if (server_id)
        o += put_ip_opt(m + o, 54, server_id);
    if (type != RELEASE) {
        static const uint8_t prl[] = {1, 3, 6, 51, 58, 59};
        o += put_opt(m + o, 55, prl, sizeof prl);
        size_t hl = strlen(d->hostname);
        if (hl)
            o += put_opt(m + o, 12, d->hostname, hl);
    }
    m[o++] = 255;
    while (o < 300 && o < sizeof m)
        m[o++] = 0; /* BOOTP's minimum message size */
    mote_net_udp_sendto_from(d->udp, src, dst, DHCP_SERVER_PORT, m, o);
}

static void send_discover(mote_net_dhcp *d)
{
    send_msg(d, DISCOVER, 0, 0, 0, 0, IP_BCAST);
    d->retry_at = now(d) + backoff(d);
    d->tries++;
}

static void send_request_selecting(mote_net_dhcp *d)
{
    send_msg(d, REQUEST, 0, d->offered, d->offer_server, 0, IP_BCAST);
    d->retry_at = now(d) + backoff(d);
    d->tries++;
}

static void new_exchange(mote_net_dhcp *d)
{
    uint32_t x = 0;
    mote_rng_fill(d->s->rng, &x, sizeof x);
    d->xid = x;
    d->tries = 0;
    d->started = now(d);
}

static void restart(mote_net_dhcp *d)
{
    d->state = MOTE_NET_DHCP_SELECTING;
    new_exchange(d);
    send_discover(d);
}

/* After a NAK: wait 10 s before discovering again, so that a confused
 * server cannot make us loop (RFC 2131 3.1 asks the same after DECLINE). */
static void restart_later(mote_net_dhcp *d)
{
    d->state = MOTE_NET_DHCP_INIT;
    d->retry_at = now(d) + 10 * MOTE_NS_PER_SEC + jitter(d);
}

static void lose_lease(mote_net_dhcp *d)
{
    int had = d->have_lease;
    d->have_lease = 0;
    memset(&d->lease, 0, sizeof d->lease);
    mote_net_set_addr(d->s, 0, 0, 0);
    if (had && d->fn)
        d->fn(d->arg, MOTE_NET_DHCP_LOST, NULL);
}

/* Half the time left until `until`, but at least 60 s (RFC 2131 4.4.5). */
static uint64_t half_left(mote_net_dhcp *d, uint64_t until)
{
    uint64_t t = now(d);
    uint64_t left = until > t ? (until - t) / 2 : 0;
    if (left < 60 * MOTE_NS_PER_SEC)
        left = 60 * MOTE_NS_PER_SEC;
    return t + left;
}

static void on_timer(void *arg)
{
    mote_net_dhcp *d = arg;
    mote_net *s = d->s;
    net_enter(s);
    uint64_t t = now(d);
    uint64_t t1 = d->bound_at + (uint64_t)d->lease.t1_s * MOTE_NS_PER_SEC;
    uint64_t t2 = d->bound_at + (uint64_t)d->lease.t2_s * MOTE_NS_PER_SEC;
    uint64_t end = d->bound_at + (uint64_t)d->lease.lease_s * MOTE_NS_PER_SEC;
    if (d->have_lease && t >= end && d->state != MOTE_NET_DHCP_STOPPED) {
        d->retry_at = 0;
        lose_lease(d);
        restart(d);
    } else if (d->state == MOTE_NET_DHCP_BOUND_STATE && t >= t1) {
        d->state = MOTE_NET_DHCP_RENEWING;
        new_exchange(d);
        send_msg(d, REQUEST, d->lease.addr, 0, 0, d->lease.addr, d->lease.server);
        d->retry_at = half_left(d, t2);
    } else if (d->state == MOTE_NET_DHCP_RENEWING && t >= t2) {
        d->state = MOTE_NET_DHCP_REBINDING;
        send_msg(d, REQUEST, d->lease.addr, 0, 0, d->lease.addr, IP_BCAST);
        d->retry_at = half_left(d, end);
    } else if (d->retry_at && t >= d->retry_at) {
        d->retry_at = 0;
        switch (d->state) {
        case MOTE_NET_DHCP_SELECTING:
            send_discover(d);
            break;
        case MOTE_NET_DHCP_REQUESTING:
            if (d->tries >= 4)
                restart(d);
            else
                send_request_selecting(d);
            break;
        case MOTE_NET_DHCP_RENEWING:
            send_msg(d, REQUEST, d->lease.addr, 0, 0, d->lease.addr, d->lease.server);
            d->retry_at = half_left(d, t2);
            break;
        case MOTE_NET_DHCP_REBINDING:
            send_msg(d, REQUEST, d->lease.addr, 0, 0, d->lease.addr, IP_BCAST);
            d->retry_at = half_left(d, end);
            break;
        case MOTE_NET_DHCP_INIT:
            restart(d);
            break;
        default:
            break;
        }
    }
    if (d->state != MOTE_NET_DHCP_STOPPED)
        arm(d);
    net_leave(s);
}

/* Parses a server message; 0 if it is well formed. */
static int parse(const uint8_t *p, size_t len, const uint8_t mac[6], struct dhcp_msg *m)
{
    memset(m, 0, sizeof *m);
    if (len < DHCP_FIXED + 4 || p[0] != 2 || p[1] != 1 || p[2] != 6 ||
        memcmp(p + 28, mac, 6) != 0 || mote_load_be32(p + DHCP_FIXED) != DHCP_MAGIC)
        return MOTE_EDECODE;
    m->op = p[0];
    m->xid = mote_load_be32(p + 4);
    m->yiaddr = mote_load_be32(p + 16);
    size_t i = DHCP_FIXED + 4;
    int ended = 0;
    while (i < len) {
        uint8_t code = p[i];
        if (code == 0) {
            i++;
            continue;
        }
        if (code == 255) {
            ended = 1;
            break;
        }
        if (i + 1 >= len)
            return MOTE_EDECODE;
        size_t ol = p[i + 1];
        if (i + 2 + ol > len)
            return MOTE_EDECODE;
        const uint8_t *v = p + i + 2;
        switch (code) {
        case 53:
            if (ol != 1)
                return MOTE_EDECODE;
            m->type = v[0];
            break;
        case 54:
            if (ol != 4)
                return MOTE_EDECODE;
            m->server = mote_load_be32(v);
            break;
        case 1:
            if (ol != 4)
                return MOTE_EDECODE;
            m->mask = mote_load_be32(v);
            m->have_mask = 1;
            break;
        case 3:
            if (ol < 4 || ol % 4)
                return MOTE_EDECODE;
            m->router = mote_load_be32(v);
            m->have_router = 1;
            break;
        case 6:
            if (ol < 4 || ol % 4)
                return MOTE_EDECODE;
            m->dns[0] = mote_load_be32(v);
            if (ol >= 8)
                m->dns[1] = mote_load_be32(v + 4);
            break;
        case 51:
        case 58:
        case 59:
            if (ol != 4)
                return MOTE_EDECODE;
            if (code == 51) {
                m->lease = mote_load_be32(v);
                m->have_lease = 1;
            } else if (code == 58) {
                m->t1 = mote_load_be32(v);
                m->have_t1 = 1;
            } else {
                m->t2 = mote_load_be32(v);
                m->have_t2 = 1;
            }
            break;
        default:
            break;
        }
        i += 2 + ol;
    }
    if (!ended || m->type == 0)
        return MOTE_EDECODE;
    return 0;
}

static int mask_contiguous(mote_net_ip4 m)
{
    uint32_t inv = ~m;
    return (inv & (inv + 1)) == 0;
}

static void bind_lease(mote_net_dhcp *d, const struct dhcp_msg *m, mote_net_ip4 server)
{
    mote_net_dhcp_lease l;
    memset(&l, 0, sizeof l);
    l.addr = m->yiaddr;
    l.server = m->server ? m->server : server;
    l.netmask = m->have_mask && mask_contiguous(m->mask) && m->mask ? m->mask : 0xffffff00u;
    l.router = m->have_router ? m->router : 0;
    l.dns[0] = m->dns[0];
    l.dns[1] = m->dns[1];
    uint32_t lease = m->have_lease ? m->lease : 3600;
    if (lease == 0xffffffffu)
        lease = 0x7fffffff; /* infinite: as long as we can count */
    if (lease < 10)
        lease = 10;
    l.lease_s = lease;
    l.t1_s = m->have_t1 && m->t1 < lease ? m->t1 : lease / 2;
    l.t2_s = m->have_t2 && m->t2 < lease && m->t2 >= l.t1_s ? m->t2 : lease / 8 * 7;
    if (l.t2_s < l.t1_s)
        l.t2_s = l.t1_s;
    int renewed = d->have_lease && d->lease.addr == l.addr;
    d->lease = l;
    d->have_lease = 1;
    d->bound_at = d->started; /* RFC 2131 4.4.1: times count from the request */
    d->state = MOTE_NET_DHCP_BOUND_STATE;
    d->retry_at = 0;
    if (!renewed) {
        mote_net_ip4 gw = l.router && (l.router & l.netmask) == (l.addr & l.netmask) ? l.router : 0;
        mote_net_set_addr(d->s, l.addr, l.netmask, gw);
    }
    if (d->fn)
        d->fn(d->arg, renewed ? MOTE_NET_DHCP_RENEWED : MOTE_NET_DHCP_BOUND, &d->lease);
}

static void on_recv(void *arg, mote_net_udp *u, mote_net_ip4 src, uint16_t sport,
                    const uint8_t *data, size_t len)
{
    (void)u;
    mote_net_dhcp *d = arg;
    struct dhcp_msg m;
    if (sport != DHCP_SERVER_PORT || d->state == MOTE_NET_DHCP_STOPPED ||
        parse(data, len, d->s->mac, &m) < 0 || m.xid != d->xid)
        return;
    switch (d->state) {
    case MOTE_NET_DHCP_SELECTING:
        if (m.type != OFFER || !m.yiaddr || !m.server || m.yiaddr == IP_BCAST ||
            (m.yiaddr >> 28) == 0xe)
            return;
        d->offered = m.yiaddr;
        d->offer_server = m.server;
        d->state = MOTE_NET_DHCP_REQUESTING;
        d->tries = 0;
        send_request_selecting(d);
        break;
    case MOTE_NET_DHCP_REQUESTING:
        if (m.server && m.server != d->offer_server)
            return;
        if (m.type == ACK && m.yiaddr == d->offered) {
            bind_lease(d, &m, d->offer_server);
        } else if (m.type == NAK) {
            restart_later(d);
        }
        break;
    case MOTE_NET_DHCP_RENEWING:
    case MOTE_NET_DHCP_REBINDING:
        if (m.type == ACK && m.yiaddr == d->lease.addr) {
            bind_lease(d, &m, src);
        } else if (m.type == NAK) {
            lose_lease(d);
            restart_later(d);
        }
        break;
    default:
        break;
    }
    if (d->state != MOTE_NET_DHCP_STOPPED)
        arm(d);
}

mote_net_dhcp *mote_net_dhcp_start(mote_net *s, const char *hostname, mote_net_dhcp_fn fn,
                                   void *arg, int *err)
{
    int e = MOTE_EINVAL;
    mote_net_dhcp *d = NULL;
    if (!s || (hostname && strlen(hostname) > 63))
        goto fail;
    e = MOTE_ENOMEM;
    d = calloc(1, sizeof *d);
    if (!d)
        goto fail;
    d->s = s;
    d->fn = fn;
    d->arg = arg;
    if (hostname)
        memcpy(d->hostname, hostname, strlen(hostname) + 1);
    d->timer = mote_timer_new(s->clock, on_timer, d);
    if (!d->timer)
        goto fail;
    mote_net_udp_events ev = {on_recv, NULL};
    d->udp = mote_net_udp_open(s, DHCP_CLIENT_PORT, &ev, d, &e);
    if (!d->udp)
        goto fail;
    net_enter(s);
    restart(d);
    arm(d);
    net_leave(s);
    if (err)
        *err = 0;
    return d;
fail:
    if (d) {
        mote_timer_free(s->clock, d->timer);
        free(d);
    }
    if (err)
        *err = e;
    return NULL;
}

int mote_net_dhcp_state(const mote_net_dhcp *d)
{
    return d->state;
}

int mote_net_dhcp_lease_get(const mote_net_dhcp *d, mote_net_dhcp_lease *out)
{
    if (!d->have_lease)
        return MOTE_ESTATE;
    *out = d->lease;
    return 0;
}

int mote_net_dhcp_release(mote_net_dhcp *d)
{
    if (!d->have_lease)
        return MOTE_ESTATE;
    net_enter(d->s);
    new_exchange(d);
    send_msg(d, RELEASE, d->lease.addr, 0, d->lease.server, d->lease.addr, d->lease.server);
    d->have_lease = 0;
    memset(&d->lease, 0, sizeof d->lease);
    mote_net_set_addr(d->s, 0, 0, 0);
    d->state = MOTE_NET_DHCP_STOPPED;
    d->retry_at = 0;
    mote_timer_cancel(d->s->clock, d->timer);
    net_leave(d->s);
    return 0;
}

void mote_net_dhcp_free(mote_net_dhcp *d)
{
    if (!d)
        return;
    mote_net_udp_close(d->udp);
    mote_timer_free(d->s->clock, d->timer);
    free(d);
}
