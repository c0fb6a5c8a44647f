/* tcp.c - TCP (RFC 9293) with MSS, window scaling, timestamps and PAWS
 * (RFC 7323), SACK (RFC 2018) and SACK-based recovery (RFC 6675), the
 * RFC 6298 timer, NewReno (RFC 6582) and CUBIC (RFC 9438), delayed ACKs,
 * Nagle, keepalive, zero-window probes, RFC 5961 challenge ACKs, RFC 6528
 * ISNs. Every connection is a mote_flow. */
#include "internal.h"
#include "mote/net_tcp.h"

#include <math.h>

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

#define MAX_SB       32 /* scoreboard ranges kept */
#define TCP_MAX_WS   14 /* RFC 7323 */
#define PAWS_IDLE_NS (24ull * 86400 * MOTE_NS_PER_SEC)
#define DEFAULT_MSS  536
#define CUBIC_BETA   0.7
#define CUBIC_C      0.4

/* ---- a byte ring ---- */

struct ring {
    uint8_t *buf;
    size_t cap, head, len;
};

static int ring_reserve(struct ring *r, size_t extra)
{
    if (r->cap - r->len >= extra)
        return 0;
    size_t need = r->len + extra;
    if (need < r->len)
        return MOTE_ENOMEM;
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return MOTE_ENOMEM;
        cap *= 2;
    }
    uint8_t *nb = malloc(cap);
    if (!nb)
        return MOTE_ENOMEM;
    size_t first = r->cap - r->head < r->len ? r->cap - r->head : r->len;
    if (r->len) {
        memcpy(nb, r->buf + r->head, first);
        memcpy(nb + first, r->buf, r->len - first);
    }
    free(r->buf);
    r->buf = nb;
    r->cap = cap;
    r->head = 0;
    return 0;
}

static int ring_append(struct ring *r, const uint8_t *d, size_t n)
{
    int rc = ring_reserve(r, n);
    if (rc < 0)
        return rc;
    size_t tail = (r->head + r->len) % r->cap;
    size_t first = r->cap - tail < n ? r->cap - tail : n;
    memcpy(r->buf + tail, d, first);
    memcpy(r->buf, d + first, n - first);
    r->len += n;
    return 0;
}

static void ring_copy(const struct ring *r, size_t off, uint8_t *dst, size_t n)
{
    size_t pos = (r->head + off) % r->cap;
    size_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(dst, r->buf + pos, first);
    memcpy(dst + first, r->buf, n - first);
}

/* A contiguous view of up to n bytes at the front. */
static const uint8_t *ring_front(const struct ring *r, size_t *n)
{
    size_t first = r->cap - r->head;
    if (*n > first)
        *n = first;
    if (*n > r->len)
        *n = r->len;
    return r->buf + r->head;
}

static void ring_consume(struct ring *r, size_t n)
{
    if (n >= r->len) {
        r->len = 0;
        r->head = 0;
        return;
    }
    r->head = (r->head + n) % r->cap;
    r->len -= n;
}

static void ring_free(struct ring *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* ---- structures ---- */

struct ooo_seg {
    struct ooo_seg *next;
    uint32_t seq, len;
    int fin;
    uint8_t data[];
};

struct sb_range {
    uint32_t start, end;
};

struct net_tcb {
    struct net_tcb *hnext;               /* hash chain */
    struct net_tcb *all_prev, *all_next; /* every tcb of the stack */
    struct net_tcb *qnext;               /* listener queue */
    mote_flow flow;
    mote_net *s;
    struct mote_net_listener *listener; /* set until accepted */
    int state;
    mote_net_ip4 laddr, raddr;
    uint16_t lport, rport;
    int in_hash, dead, owned, app_closed, passive, queued_accept;
    int err_reported, shut_wr, reading;
    int err_code; /* why the connection failed, for later writes */
    int soft_err;
    const mote_flow_events *ev;
    void *ev_arg;
    mote_net_connect_fn connect_fn;
    void *connect_arg;
    int eof_delivered, drain_wanted;

    /* send side */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint32_t sq_base; /* sequence number of sndq's first byte */
    uint32_t fin_seq; /* valid when shut_wr */
    struct ring sndq;
    uint32_t mss; /* payload bytes per segment (options excluded) */
    uint32_t peer_mss;
    uint8_t snd_ws, rcv_ws;
    int ws_ok, ts_ok, sack_ok;

    /* receive side */
    uint32_t irs, rcv_nxt, rcv_adv, last_ack_sent;
    struct ring rcvq;
    size_t rcvbuf;
    struct ooo_seg *ooo;
    size_t ooo_n, ooo_bytes;
    uint32_t ooo_last_seq; /* most recently stored, for SACK block order */
    int fin_rcvd;

    /* timestamps */
    uint32_t ts_recent, ts_offset;
    uint64_t ts_recent_at;

    /* RTT and timers */
    uint64_t srtt, rttvar, rto;
    int rtt_valid, rtt_timing;
    uint32_t rtt_seq;
    uint64_t rtt_start;
    unsigned backoff, retries, probes, persist_n;
    int pto_armed, tlp_out;
    uint32_t rxt_mark; /* snd_max when the latest recovery retransmission left */
    /* loss detection beyond RFC 6675: RACK (RFC 8985) in sequence space,
     * D-SACK (RFC 2883) and undoing spurious reductions (RFC 3708) */
    uint64_t min_rtt;                    /* smallest RTT sample, ns */
    uint64_t t_reo;                      /* RACK's reordering-window timer */
    uint32_t rack_edge;                  /* unSACKed bytes below it are lost */
    uint32_t reo_edge;                   /* the edge t_reo will declare */
    uint32_t rtx_top;                    /* end of the highest retransmission: above, first sends */
    uint32_t dsack_round;                /* snd_max when a D-SACK last grew reo_mult */
    uint32_t rescue_rxt;                 /* RFC 6675 RescueRxt, valid while rescue_set */
    int reord, rescue_set;               /* reordering seen; a rescue retransmission went */
    unsigned reo_mult, reo_recoveries;   /* reo_wnd in min_rtt/4 units; recoveries since */
    uint32_t prior_cwnd, prior_ssthresh; /* before the latest reduction */
    double prior_w_max;
    uint64_t undo_rtx;         /* retrans_count when that reduction happened */
    uint32_t undo_dsacked;     /* retransmitted segments D-SACKed since */
    int undo_ok;               /* the reduction may still be undone */
    struct sb_range dsack_out; /* a duplicate to report in the next ACK */
    int dsack_pending;
    uint64_t t_rto, t_delack, t_persist, t_keep, t_2msl, t_deliver;
    mote_timer *timer;
    uint64_t timer_at;
    unsigned segs_unacked;
    int ack_now;
    uint64_t last_rcv_at;

    /* congestion control */
    int cc, nodelay, keepalive;
    uint32_t cwnd, ssthresh, recover, high_rxt;
    int in_recovery, recover_set;
    unsigned dupacks;
    uint32_t ca_acc; /* NewReno byte counting */
    struct sb_range sb[MAX_SB];
    int nsb;
    double w_max, cubic_k, w_est;
    uint64_t epoch_start;
    uint32_t cwnd_epoch;

    uint64_t retrans_count, bytes_acked, bytes_rcvd;
};

struct mote_net_listener {
    struct mote_net_listener *next;
    mote_net *s;
    uint16_t port;
    int backlog;
    mote_net_accept_fn fn;
    void *arg;
    struct net_tcb *q_head, *q_tail; /* established, not accepted */
    int qlen, nsynrcvd;
};

static struct net_tcb *all_tcbs(mote_net *s);
static void tcb_output(struct net_tcb *c);
static void tcb_rearm(struct net_tcb *c);
static void tcb_closed(struct net_tcb *c, int err);
static void arm_persist(struct net_tcb *c);
static void on_persist(struct net_tcb *c);

/* ---- configuration ---- */

void net_tcp_config_default(mote_net_tcp_config *c)
{
    memset(c, 0, sizeof *c);
    c->sndbuf = 1024 * 1024;
    c->rcvbuf = 1024 * 1024;
    c->rto_min_ns = 200 * MOTE_NS_PER_MS;
    c->rto_max_ns = 60 * MOTE_NS_PER_SEC;
    c->rto_initial_ns = MOTE_NS_PER_SEC;
    c->max_retries = 12;
    c->syn_retries = 6;
    c->msl_ns = 30 * MOTE_NS_PER_SEC;
    c->delack_ns = 40 * MOTE_NS_PER_MS;
    c->fin_wait2_ns = 60 * MOTE_NS_PER_SEC;
    c->cc = MOTE_NET_CC_CUBIC;
    c->window_scaling = 1;
    c->timestamps = 1;
    c->sack = 1;
    c->keepalive_idle_ns = 7200 * MOTE_NS_PER_SEC;
    c->keepalive_interval_ns = 75 * MOTE_NS_PER_SEC;
    c->keepalive_count = 9;
    c->challenge_ack_limit = 1000;
    c->ooo_max_segments = 256;
}

const char *mote_net_tcp_state_name(int st)
{
    static const char *names[] = {"CLOSED",      "LISTEN",     "SYN_SENT",   "SYN_RECEIVED",
                                  "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
                                  "CLOSING",     "LAST_ACK",   "TIME_WAIT"};
    if (st < 0 || st > MOTE_NET_TCP_TIME_WAIT)
        return "?";
    return names[st];
}

/* ---- hashing, lookup, lifetime ---- */

static unsigned tuple_hash(mote_net_ip4 raddr, uint16_t rport, uint16_t lport)
{
    uint32_t h = raddr ^ ((uint32_t)rport << 16 | lport);
    h *= 2654435761u;
    return h >> 24;
}

static struct net_tcb *tcb_find(mote_net *s, mote_net_ip4 laddr, mote_net_ip4 raddr, uint16_t lport,
                                uint16_t rport)
{
    for (struct net_tcb *c = s->tcb_hash[tuple_hash(raddr, rport, lport)]; c; c = c->hnext)
        if (c->raddr == raddr && c->rport == rport && c->lport == lport && c->laddr == laddr)
            return c;
    return NULL;
}

static void tcb_hash_add(struct net_tcb *c)
{
    unsigned h = tuple_hash(c->raddr, c->rport, c->lport);
    c->hnext = c->s->tcb_hash[h];
    c->s->tcb_hash[h] = c;
    c->in_hash = 1;
}

static void tcb_hash_del(struct net_tcb *c)
{
    if (!c->in_hash)
        return;
    for (struct net_tcb **pp = &c->s->tcb_hash[tuple_hash(c->raddr, c->rport, c->lport)]; *pp;
         pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            break;
        }
    }
    c->in_hash = 0;
}

/* Every tcb of the stack, alive or waiting to be freed. */
static struct net_tcb *all_tcbs(mote_net *s)
{
    return s->tcb_all;
}

static void listener_unqueue(struct net_tcb *c)
{
    struct mote_net_listener *l = c->listener;
    if (!l)
        return;
    if (c->queued_accept) {
        for (struct net_tcb **pp = &l->q_head; *pp; pp = &(*pp)->qnext) {
            if (*pp == c) {
                *pp = c->qnext;
                break;
            }
        }
        l->q_tail = NULL;
        for (struct net_tcb *q = l->q_head; q; q = q->qnext)
            l->q_tail = q;
        l->qlen--;
        c->queued_accept = 0;
    } else if (l->nsynrcvd > 0) {
        l->nsynrcvd--; /* still in SYN_RECEIVED */
    }
    c->listener = NULL;
}

static void tcb_release(struct net_tcb *c)
{
    mote_net *s = c->s;
    tcb_hash_del(c);
    listener_unqueue(c);
    if (c->all_prev)
        c->all_prev->all_next = c->all_next;
    else
        s->tcb_all = c->all_next;
    if (c->all_next)
        c->all_next->all_prev = c->all_prev;
    mote_timer_free(s->clock, c->timer);
    ring_free(&c->sndq);
    ring_free(&c->rcvq);
    struct ooo_seg *o = c->ooo;
    while (o) {
        struct ooo_seg *n = o->next;
        free(o);
        o = n;
    }
    free(c);
}

void net_tcp_reap(mote_net *s)
{
    struct net_tcb *c = all_tcbs(s);
    while (c) {
        struct net_tcb *n = c->all_next;
        if (c->dead)
            tcb_release(c);
        c = n;
    }
}

void net_tcp_free_all(mote_net *s)
{
    while (s->tcb_all)
        tcb_release(s->tcb_all);
    while (s->listeners) {
        struct mote_net_listener *l = s->listeners;
        s->listeners = l->next;
        free(l);
    }
}

/* The tcb may be freed at the next safe point if nobody holds it. */
static void tcb_maybe_dead(struct net_tcb *c)
{
    if (c->state != MOTE_NET_TCP_CLOSED)
        return;
    if (!c->owned || c->app_closed)
        c->dead = 1;
}

/* ---- time helpers ---- */

static uint64_t now_ns(struct net_tcb *c)
{
    return net_now(c->s);
}

static uint32_t ts_now(struct net_tcb *c)
{
    return (uint32_t)(now_ns(c) / MOTE_NS_PER_MS) + c->ts_offset;
}

static const mote_net_tcp_config *tcfg(struct net_tcb *c)
{
    return &c->s->cfg.tcp;
}

/* ---- segment output ---- */

/* Right edge of our receive window and the value to put in a segment. */
static uint16_t rcv_window_field(struct net_tcb *c)
{
    size_t space = c->rcvbuf > c->rcvq.len ? c->rcvbuf - c->rcvq.len : 0;
    uint32_t max = (uint32_t)65535 << c->rcv_ws;
    if (space > max)
        space = max;
    uint32_t win = (uint32_t)space;
    uint32_t right = c->rcv_nxt + win;
    uint32_t cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    /* receiver SWS avoidance: open the window only by useful amounts */
    uint32_t step = c->mss < c->rcvbuf / 2 ? c->mss : (uint32_t)(c->rcvbuf / 2);
    if (SEQ_GT(right, c->rcv_adv) && win - cur < step && cur > 0)
        win = cur;
    if (SEQ_LT(c->rcv_nxt + win, c->rcv_adv))
        win = cur; /* never shrink */
    uint32_t field = win >> c->rcv_ws;
    if (field > 65535)
        field = 65535;
    c->rcv_adv = c->rcv_nxt + (field << c->rcv_ws);
    if (SEQ_LT(c->rcv_adv, c->rcv_nxt + cur))
        c->rcv_adv = c->rcv_nxt + cur;
    return (uint16_t)field;
}

/* SACK blocks to report: a pending D-SACK block first (RFC 2883, sent
 * once), then the one holding the latest segment. */
static int sack_blocks(struct net_tcb *c, struct sb_range *out, int max)
{
    struct sb_range all[64];
    int n = 0, k = 0;
    if (c->dsack_pending && max > 0) {
        out[k++] = c->dsack_out;
        c->dsack_pending = 0;
    }
    for (struct ooo_seg *o = c->ooo; o && n < 64; o = o->next) {
        if (n && all[n - 1].end == o->seq)
            all[n - 1].end = o->seq + o->len;
        else
            all[n++] = (struct sb_range){o->seq, o->seq + o->len};
    }
    for (int i = 0; i < n && k < max; i++)
        if (SEQ_LEQ(all[i].start, c->ooo_last_seq) && SEQ_LT(c->ooo_last_seq, all[i].end)) {
            out[k++] = all[i];
            all[i].start = all[i].end;
            break;
        }
    for (int i = n - 1; i >= 0 && k < max; i--)
        if (all[i].start != all[i].end)
            out[k++] = all[i];
    return k;
}

/* Sends one segment: flags, seq, and len bytes of queued data from seq.
 * Returns the data bytes sent: fewer than len when the options leave no
 * room (a FIN is then left off too). With the stack's gso on and room for
 * a full MSS beside the options, len may span many MSS (a super-segment:
 * one header, cut by the netif or the stack into MSS-sized segments, the
 * last possibly shorter); *segsz is then the MSS, else the bytes sent. */
static uint32_t tcp_xmit_gso(struct net_tcb *c, uint32_t seq, uint32_t len, uint8_t flags,
                             uint32_t *segsz)
{
    mote_net *s = c->s;
    uint8_t *b = net_l4_buf(s);
    uint8_t *o = b + 20;
    size_t ol = 0;
    if (flags & TH_SYN) {
        uint32_t mss = (uint32_t)s->mtu - 40;
        o[ol++] = 2;
        o[ol++] = 4;
        mote_store_be16(o + ol, (uint16_t)(mss > 65535 ? 65535 : mss));
        ol += 2;
        int ask = c->state == MOTE_NET_TCP_SYN_SENT ||
                  (c->state == MOTE_NET_TCP_SYN_RECEIVED && !c->passive);
        if (c->ws_ok || (ask && tcfg(c)->window_scaling)) {
            o[ol++] = 1;
            o[ol++] = 3;
            o[ol++] = 3;
            o[ol++] = c->rcv_ws;
        }
        if (c->sack_ok || (ask && tcfg(c)->sack)) {
            o[ol++] = 1;
            o[ol++] = 1;
            o[ol++] = 4;
            o[ol++] = 2;
        }
    }
    int ts = c->ts_ok || ((flags & TH_SYN) && tcfg(c)->timestamps &&
                          (c->state == MOTE_NET_TCP_SYN_SENT || !c->passive));
    if (ts && !(flags & TH_RST && !c->ts_ok)) {
        o[ol++] = 1;
        o[ol++] = 1;
        o[ol++] = 8;
        o[ol++] = 10;
        mote_store_be32(o + ol, ts_now(c));
        mote_store_be32(o + ol + 4, (flags & TH_ACK) ? c->ts_recent : 0);
        ol += 8;
    }
    if (c->sack_ok && (flags & TH_ACK) && !(flags & (TH_SYN | TH_RST)) &&
        (c->ooo || c->dsack_pending)) {
        struct sb_range bl[4];
        int max = ol > 0 ? 3 : 4;
        int n = sack_blocks(c, bl, max);
        if (n) {
            o[ol++] = 1;
            o[ol++] = 1;
            o[ol++] = 5;
            o[ol++] = (uint8_t)(2 + 8 * n);
            for (int i = 0; i < n; i++) {
                mote_store_be32(o + ol, bl[i].start);
                mote_store_be32(o + ol + 4, bl[i].end);
                ol += 8;
            }
        }
    }
    while (ol % 4)
        o[ol++] = 0;
    size_t hl = 20 + ol;
    uint32_t room = (uint32_t)(s->mtu - IP_HLEN - hl); /* payload that fits one frame */
    uint32_t seg = len;
    if (s->gso && c->mss > 0 && room >= c->mss && len > c->mss) {
        /* a super-segment of MSS-sized pieces (the peer's MSS may be
         * below what one frame holds) */
        uint32_t maxp = (uint32_t)((IP_MAXPACKET_ - IP_HLEN - hl) / c->mss * c->mss);
        if (len > maxp) {
            len = maxp;
            flags &= (uint8_t) ~(TH_FIN | TH_PSH);
        }
        seg = c->mss;
    } else if (len > room) {
        len = room;
        seg = room;
        flags &= (uint8_t) ~(TH_FIN | TH_PSH);
    }
    *segsz = seg;
    if (len) {
        size_t off = (size_t)(seq - c->sq_base);
        ring_copy(&c->sndq, off, b + hl, len);
    }
    mote_store_be16(b, c->lport);
    mote_store_be16(b + 2, c->rport);
    mote_store_be32(b + 4, seq);
    uint32_t ack = (flags & TH_ACK) ? c->rcv_nxt : 0;
    mote_store_be32(b + 8, ack);
    b[12] = (uint8_t)(hl / 4) << 4;
    b[13] = flags;
    uint16_t win =
        (flags & TH_SYN) ? (uint16_t)(c->rcvbuf > 65535 ? 65535 : c->rcvbuf) : rcv_window_field(c);
    if (flags & TH_SYN)
        c->rcv_adv = c->rcv_nxt + win;
    mote_store_be16(b + 14, win);
    mote_store_be16(b + 16, 0);
    mote_store_be16(b + 18, 0);
    s->ctr.tcp_out += len > seg && seg ? (len + seg - 1) / seg : 1;
    if (flags & TH_RST)
        s->ctr.tcp_resets_out++;
    if (flags & TH_ACK) {
        c->last_ack_sent = c->rcv_nxt;
        c->segs_unacked = 0;
        c->ack_now = 0;
        c->t_delack = 0;
    }
    net_tcp_ip_output(s, c->laddr, c->raddr, hl, len, seg ? seg : 1);
    return len;
}

static uint32_t tcp_xmit(struct net_tcb *c, uint32_t seq, uint32_t len, uint8_t flags)
{
    uint32_t segsz;
    return tcp_xmit_gso(c, seq, len, flags, &segsz);
}

/* A pure ACK carries the next new sequence number, not a retransmission's
 * (after a timeout snd_nxt is pulled back; the peer has seen beyond it). */
static void send_ack(struct net_tcb *c)
{
    tcp_xmit(c, c->snd_max, 0, TH_ACK);
}

/* RFC 5961 section 7: challenge ACKs are rate limited per stack. */
static void challenge_ack(struct net_tcb *c)
{
    mote_net *s = c->s;
    uint64_t now = now_ns(c);
    if (now - s->challenge_window_start >= MOTE_NS_PER_SEC || s->challenge_window_start == 0) {
        s->challenge_window_start = now ? now : 1;
        s->challenge_count = 0;
    }
    if (s->challenge_count >= tcfg(c)->challenge_ack_limit)
        return;
    s->challenge_count++;
    s->ctr.tcp_challenge_acks++;
    send_ack(c);
}

/* A RST for a segment that has no connection (RFC 9293 3.10.7.1). */
static void send_reset(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, uint16_t sport,
                       uint16_t dport, uint32_t seq, uint32_t ack, int with_ack)
{
    uint8_t *b = net_l4_buf(s);
    mote_store_be16(b, sport);
    mote_store_be16(b + 2, dport);
    mote_store_be32(b + 4, seq);
    mote_store_be32(b + 8, with_ack ? ack : 0);
    b[12] = 5 << 4;
    b[13] = with_ack ? (TH_RST | TH_ACK) : TH_RST;
    mote_store_be16(b + 14, 0);
    mote_store_be16(b + 16, 0);
    mote_store_be16(b + 18, 0);
    mote_store_be16(b + 16, net_csum_fold(net_csum_partial(
                                net_csum_pseudo(src, dst, IPPROTO_TCP_, 20), b, 20)));
    s->ctr.tcp_out++;
    s->ctr.tcp_resets_out++;
    net_ip_output(s, src, dst, IPPROTO_TCP_, b, 20, 0);
}

/* ---- congestion control ---- */

static uint32_t flight_size(struct net_tcb *c)
{
    return c->snd_max - c->snd_una;
}

static void cc_init(struct net_tcb *c)
{
    uint32_t iw = 10 * c->mss;
    c->cwnd = iw;
    c->ssthresh = 0x7fffffff;
    c->w_max = 0;
    c->epoch_start = 0;
}

static void cubic_reset_epoch(struct net_tcb *c)
{
    c->epoch_start = 0;
}

/* Halves (NewReno) or multiplies by beta (CUBIC) on a congestion event;
 * returns the new ssthresh. */
static uint32_t cc_loss(struct net_tcb *c)
{
    uint32_t two = 2 * c->mss;
    if (c->cc == MOTE_NET_CC_CUBIC) {
        double cw = (double)c->cwnd / c->mss;
        if (c->w_max > 0 && cw < c->w_max)
            c->w_max = cw * (1.0 + CUBIC_BETA) / 2.0; /* fast convergence */
        else
            c->w_max = cw;
        cubic_reset_epoch(c);
        uint32_t th = (uint32_t)((double)c->cwnd * CUBIC_BETA);
        return th > two ? th : two;
    }
    uint32_t half = flight_size(c) / 2;
    return half > two ? half : two;
}

static void cc_ack(struct net_tcb *c, uint32_t acked)
{
    uint32_t mss = c->mss;
    if (c->cwnd < c->ssthresh) {
        /* slow start, RFC 3465 with L = 2 */
        c->cwnd += acked < 2 * mss ? acked : 2 * mss;
        return;
    }
    if (c->cc == MOTE_NET_CC_CUBIC) {
        uint64_t now = now_ns(c);
        double cw = (double)c->cwnd / mss;
        if (c->epoch_start == 0) {
            c->epoch_start = now;
            c->cwnd_epoch = c->cwnd;
            c->w_est = cw;
            if (cw < c->w_max)
                c->cubic_k = cbrt((c->w_max - cw) / CUBIC_C);
            else {
                c->cubic_k = 0;
                c->w_max = cw;
            }
        }
        double t = (double)(now - c->epoch_start) / 1e9;
        double rtt = c->rtt_valid ? (double)c->srtt / 1e9 : 0.1;
        double d = t + rtt - c->cubic_k;
        double target = CUBIC_C * d * d * d + c->w_max;
        if (target < cw)
            target = cw;
        if (target > 1.5 * cw)
            target = 1.5 * cw;
        /* the Reno-friendly estimate (RFC 9438 4.3) */
        double alpha = 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA);
        c->w_est += alpha * ((double)acked / mss) / cw;
        double dt = t - c->cubic_k;
        double wc = CUBIC_C * dt * dt * dt + c->w_max;
        double next;
        if (wc < c->w_est)
            next = c->w_est > cw ? c->w_est : cw;
        else
            next = cw + (target - cw) / cw * ((double)acked / mss);
        uint64_t nb = (uint64_t)(next * mss);
        if (nb > 0x3fffffff)
            nb = 0x3fffffff;
        if (nb > c->cwnd)
            c->cwnd = (uint32_t)nb;
        return;
    }
    /* NewReno congestion avoidance: one MSS per window of ACKed bytes */
    c->ca_acc += acked;
    if (c->ca_acc >= c->cwnd) {
        c->ca_acc -= c->cwnd;
        c->cwnd += mss;
    }
}

/* ---- the SACK scoreboard (sender side) ---- */

static void sb_trim(struct net_tcb *c)
{
    int k = 0;
    for (int i = 0; i < c->nsb; i++) {
        if (SEQ_LEQ(c->sb[i].end, c->snd_una))
            continue;
        if (SEQ_LT(c->sb[i].start, c->snd_una))
            c->sb[i].start = c->snd_una;
        c->sb[k++] = c->sb[i];
    }
    c->nsb = k;
}

/* Adds [s, e) to the sorted, disjoint scoreboard. 1 if anything new. */
static int sb_add(struct net_tcb *c, uint32_t s, uint32_t e)
{
    if (!SEQ_LT(s, e) || SEQ_LEQ(e, c->snd_una) || SEQ_GT(e, c->snd_max))
        return 0;
    if (SEQ_LT(s, c->snd_una))
        s = c->snd_una;
    int i = 0;
    while (i < c->nsb && SEQ_LT(c->sb[i].end, s))
        i++;
    int j = i;
    uint32_t ns = s, ne = e;
    int covered = 0;
    while (j < c->nsb && SEQ_LEQ(c->sb[j].start, e)) {
        if (SEQ_LEQ(c->sb[j].start, s) && SEQ_GEQ(c->sb[j].end, e))
            covered = 1;
        if (SEQ_LT(c->sb[j].start, ns))
            ns = c->sb[j].start;
        if (SEQ_GT(c->sb[j].end, ne))
            ne = c->sb[j].end;
        j++;
    }
    if (covered)
        return 0;
    /* replace sb[i..j) by [ns, ne) */
    int remove = j - i;
    if (remove == 0) {
        if (c->nsb == MAX_SB) {
            if (i == c->nsb)
                return 0; /* full: drop the highest new info */
            c->nsb--;     /* forget the highest range */
        }
        memmove(&c->sb[i + 1], &c->sb[i], (size_t)(c->nsb - i) * sizeof c->sb[0]);
        c->nsb++;
    } else if (remove > 1) {
        memmove(&c->sb[i + 1], &c->sb[j], (size_t)(c->nsb - j) * sizeof c->sb[0]);
        c->nsb -= remove - 1;
    }
    c->sb[i].start = ns;
    c->sb[i].end = ne;
    return 1;
}

/* Below this sequence number every unSACKed byte counts as lost (IsLost of
 * RFC 6675: more than 2 SMSS SACKed above, or 3 discontiguous ranges). */
static uint32_t sb_loss_edge(struct net_tcb *c)
{
    uint32_t acc = 0;
    for (int i = c->nsb - 1, blocks = 1; i >= 0; i--, blocks++) {
        acc += c->sb[i].end - c->sb[i].start;
        if (acc > 2 * c->mss || blocks >= 3)
            return c->sb[i].start;
    }
    return c->snd_una;
}

static uint32_t sb_sacked_in(struct net_tcb *c, uint32_t a, uint32_t b)
{
    uint32_t n = 0;
    for (int i = 0; i < c->nsb; i++) {
        uint32_t s = SEQ_GT(c->sb[i].start, a) ? c->sb[i].start : a;
        uint32_t e = SEQ_LT(c->sb[i].end, b) ? c->sb[i].end : b;
        if (SEQ_LT(s, e))
            n += e - s;
    }
    return n;
}

static uint32_t unsacked_in(struct net_tcb *c, uint32_t a, uint32_t b)
{
    if (!SEQ_LT(a, b))
        return 0;
    return (b - a) - sb_sacked_in(c, a, b);
}

/* Below this every unSACKed byte is lost: IsLost of RFC 6675, or RACK's
 * verdict (rack_edge) that data sent after it was delivered. */
static uint32_t loss_edge(struct net_tcb *c)
{
    uint32_t e = sb_loss_edge(c);
    if (c->nsb && SEQ_GT(c->rack_edge, e) && SEQ_LEQ(c->rack_edge, c->sb[c->nsb - 1].start))
        e = c->rack_edge;
    return e;
}

/* RFC 6675 SetPipe, over bytes. */
static uint32_t sb_pipe(struct net_tcb *c)
{
    uint32_t edge = loss_edge(c);
    uint32_t top = SEQ_GT(edge, c->snd_una) ? edge : c->snd_una;
    /* what is not lost, plus what was retransmitted (counted twice when
     * it is not deemed lost either: sent twice, both may be in flight) */
    return unsacked_in(c, top, c->snd_max) + unsacked_in(c, c->snd_una, c->high_rxt);
}

/* The first unSACKed range above HighRxt and below edge, up to one MSS:
 * RFC 6675 NextSeg rule 1 with the loss edge, rule 3 with the start of
 * the highest SACKed range. */
static int sb_next_hole(struct net_tcb *c, uint32_t edge, uint32_t *seq, uint32_t *len)
{
    uint32_t s = SEQ_GT(c->high_rxt, c->snd_una) ? c->high_rxt : c->snd_una;
    for (int i = 0; i < c->nsb; i++) {
        if (SEQ_LEQ(c->sb[i].start, s) && SEQ_LT(s, c->sb[i].end))
            s = c->sb[i].end;
    }
    if (!SEQ_LT(s, edge))
        return 0;
    uint32_t e = s + c->mss;
    if (SEQ_GT(e, edge))
        e = edge;
    for (int i = 0; i < c->nsb; i++)
        if (SEQ_GT(c->sb[i].start, s) && SEQ_LT(c->sb[i].start, e))
            e = c->sb[i].start;
    *seq = s;
    *len = e - s;
    return 1;
}

/* ---- sending data ---- */

static uint32_t data_end(struct net_tcb *c)
{
    return c->sq_base + (uint32_t)c->sndq.len;
}

static int fin_acked(struct net_tcb *c)
{
    return c->shut_wr && SEQ_GT(c->snd_una, c->fin_seq);
}

static size_t unsent_bytes(struct net_tcb *c)
{
    uint32_t sent = SEQ_GT(c->snd_max, c->sq_base) ? c->snd_max - c->sq_base : 0;
    return sent >= c->sndq.len ? 0 : c->sndq.len - sent;
}

/* A tail loss probe (RFC 8985 section 7) may stand in for the first
 * timeout: after about two round trips without an ACK, one segment is
 * sent, so a lost tail is repaired by SACK recovery instead of the RTO.
 * Unlike RFC 8985 (and like FreeBSD's RACK stack) also during SACK
 * recovery: when the one ACK that covers the repaired holes is lost (and
 * a peer that compresses its SACKs, as Linux does, sends few), nothing
 * else would come before the timeout. */
static int tlp_ok(struct net_tcb *c)
{
    return c->rtt_valid && (!c->in_recovery || c->sack_ok) && !c->tlp_out && c->backoff == 0 &&
           c->snd_wnd > 0 &&
           (c->state == MOTE_NET_TCP_ESTABLISHED || c->state == MOTE_NET_TCP_CLOSE_WAIT ||
            c->state == MOTE_NET_TCP_FIN_WAIT_1 || c->state == MOTE_NET_TCP_LAST_ACK);
}

static void arm_rto(struct net_tcb *c)
{
    /* the retransmission timer runs from the oldest unACKed send; a probe
     * timer from the latest send (RFC 8985 7.2), so each send re-arms it */
    if (c->t_rto && !c->pto_armed)
        return;
    c->t_rto = 0;
    uint64_t now = now_ns(c);
    c->pto_armed = 0;
    if (tlp_ok(c)) {
        uint64_t pto = 2 * c->srtt;
        if (c->snd_max - c->snd_una <= c->mss)
            pto += tcfg(c)->delack_ns > 0 ? tcfg(c)->delack_ns : 0; /* the peer may delay its ACK */
        if (pto < 10 * MOTE_NS_PER_MS)
            pto = 10 * MOTE_NS_PER_MS;
        if (pto < c->rto) {
            c->pto_armed = 1;
            c->t_rto = now + pto;
            return;
        }
    }
    c->t_rto = now + c->rto;
}

/* The bookkeeping for one segment [seq, seq+len) (+FIN) that has left. */
static void sent_segment(struct net_tcb *c, uint32_t seq, uint32_t len, int fin)
{
    int rexmit = SEQ_LT(seq, c->snd_max);
    uint32_t end = seq + len + (fin ? 1 : 0);
    if (rexmit) {
        c->s->ctr.tcp_retransmits++;
        c->retrans_count++;
        c->rtt_timing = 0; /* Karn */
        if (SEQ_GT(end, c->rtx_top))
            c->rtx_top = end;
    } else if (!c->rtt_timing && len) {
        c->rtt_timing = 1;
        c->rtt_seq = end;
        c->rtt_start = now_ns(c);
    }
    if (SEQ_GT(end, c->snd_nxt))
        c->snd_nxt = end;
    if (SEQ_GT(end, c->snd_max))
        c->snd_max = end;
    arm_rto(c);
}

/* Sends [seq, seq+len) (+FIN), doing the bookkeeping. A super-segment is
 * accounted segment by segment, exactly as if each had been sent alone
 * (retransmission counts, Karn, the RTT sample, the timers). */
static uint32_t send_data(struct net_tcb *c, uint32_t seq, uint32_t len, int fin)
{
    uint8_t flags = TH_ACK;
    if (fin)
        flags |= TH_FIN;
    if (len && seq + len == data_end(c))
        flags |= TH_PSH;
    uint32_t segsz;
    uint32_t sent = tcp_xmit_gso(c, seq, len, flags, &segsz);
    if (sent < len)
        fin = 0;
    uint32_t off = 0;
    do {
        uint32_t n = sent - off < segsz ? sent - off : segsz;
        int last = off + n >= sent;
        sent_segment(c, seq + off, n, last && fin);
        off += n;
    } while (off < sent);
    return sent;
}

static void send_syn(struct net_tcb *c)
{
    uint8_t fl = TH_SYN;
    if (c->state == MOTE_NET_TCP_SYN_RECEIVED)
        fl |= TH_ACK;
    if (c->snd_max != c->iss) {
        c->s->ctr.tcp_retransmits++;
        c->retrans_count++;
        c->rtt_timing = 0;
    } else {
        c->rtt_timing = 1;
        c->rtt_seq = c->iss + 1;
        c->rtt_start = now_ns(c);
    }
    tcp_xmit(c, c->iss, 0, fl);
    c->snd_nxt = c->iss + 1;
    c->snd_max = c->iss + 1;
    arm_rto(c);
}

/* The most payload one send may carry: a whole number of MSS up to 64 KiB
 * of IP with the stack's gso on, else one MSS. */
static uint32_t gso_limit(struct net_tcb *c)
{
    if (!c->s->gso || c->mss == 0)
        return c->mss;
    uint32_t hl = 20 + (c->ts_ok ? 12 : 0);
    uint32_t k = (uint32_t)((IP_MAXPACKET_ - IP_HLEN - hl) / c->mss);
    return k > 1 ? k * c->mss : c->mss;
}

/* cwnd, plus one segment for each of the first two duplicate ACKs when
 * they may clock out new data (Limited Transmit, RFC 3042). */
static uint32_t send_cwnd(struct net_tcb *c)
{
    if (c->in_recovery || !c->dupacks || c->snd_nxt != c->snd_max)
        return c->cwnd;
    return c->cwnd + (c->dupacks < 2 ? c->dupacks : 2) * c->mss;
}

/* RFC 6675 NextSeg rules 3 and 4, for when nothing is deemed lost and no
 * new data may go: retransmit the first unSACKed range below the highest
 * SACKed one (rule 3), else, once per recovery, the highest unSACKed
 * segment (the rescue retransmission of rule 4; HighRxt is left alone).
 * Returns 1 if a segment went. */
static int recovery_rule34(struct net_tcb *c)
{
    uint32_t seq, len;
    if (!c->nsb)
        return 0;
    if (sb_next_hole(c, c->sb[c->nsb - 1].start, &seq, &len)) {
        c->high_rxt = seq + send_data(c, seq, len, 0);
        c->rxt_mark = c->snd_max;
        return 1;
    }
    if (c->rescue_set)
        return 0;
    /* the highest unSACKed data byte sent before recovery began (below
     * any FIN); not if rule 3 already went over it */
    uint32_t top = c->shut_wr && SEQ_GT(c->snd_max, c->fin_seq) ? c->fin_seq : c->snd_max;
    if (SEQ_GT(top, c->recover))
        top = c->recover;
    for (int i = c->nsb - 1; i >= 0; i--)
        if (SEQ_LT(c->sb[i].start, top) && SEQ_GEQ(c->sb[i].end, top))
            top = c->sb[i].start;
    if (!SEQ_GT(top, c->snd_una) || !SEQ_GT(top, c->high_rxt) || SEQ_LT(top - 1, c->sq_base))
        return 0;
    uint32_t s = top - c->snd_una > c->mss ? top - c->mss : c->snd_una;
    for (int i = c->nsb - 1; i >= 0; i--)
        if (SEQ_GT(c->sb[i].end, s) && SEQ_LT(c->sb[i].end, top))
            s = c->sb[i].end;
    c->rescue_set = 1;
    c->rescue_rxt = c->recover;
    send_data(c, s, top - s, 0);
    return 1;
}

/* Sends what the windows and Nagle allow; a pure ACK if one is owed. */
static void tcb_output(struct net_tcb *c)
{
    int st = c->state;
    if (st == MOTE_NET_TCP_CLOSED || st == MOTE_NET_TCP_LISTEN)
        return;
    if (st == MOTE_NET_TCP_SYN_SENT || st == MOTE_NET_TCP_SYN_RECEIVED) {
        if (c->snd_max == c->iss)
            send_syn(c);
        else if (c->ack_now && st == MOTE_NET_TCP_SYN_RECEIVED)
            send_syn(c);
        c->ack_now = 0;
        return;
    }
    if (st == MOTE_NET_TCP_TIME_WAIT) {
        if (c->ack_now)
            send_ack(c);
        return;
    }
    int sent = 0;
    for (int guard = 0; guard < 100000; guard++) {
        uint32_t dend = data_end(c);
        if (c->in_recovery && c->sack_ok) {
            uint32_t pipe = sb_pipe(c);
            if (pipe >= c->cwnd || c->cwnd - pipe < c->mss)
                break;
            uint32_t seq, len;
            if (sb_next_hole(c, loss_edge(c), &seq, &len)) {
                c->high_rxt = seq + send_data(c, seq, len, 0);
                c->rxt_mark = c->snd_max;
                sent = 1;
                continue;
            }
            /* rule 2: new data within the peer's window */
            if (SEQ_LT(c->snd_nxt, c->snd_max))
                c->snd_nxt = c->snd_max;
            uint32_t avail = SEQ_LT(c->snd_nxt, dend) ? dend - c->snd_nxt : 0;
            uint32_t wedge = c->snd_una + c->snd_wnd;
            uint32_t usable = SEQ_LT(c->snd_nxt, wedge) ? wedge - c->snd_nxt : 0;
            uint32_t n = avail < usable ? avail : usable;
            if (n > c->mss)
                n = c->mss;
            int fin = c->shut_wr && c->snd_nxt + n == c->fin_seq && SEQ_LEQ(c->snd_max, c->fin_seq);
            if (!n && !fin) {
                if (!recovery_rule34(c))
                    break;
                sent = 1;
                continue;
            }
            send_data(c, c->snd_nxt, n, fin);
            sent = 1;
            continue;
        }
        if (c->nsb && SEQ_LT(c->snd_nxt, c->snd_max)) {
            /* going back after a timeout: skip what the peer SACKed */
            for (int i = 0; i < c->nsb; i++)
                if (SEQ_LEQ(c->sb[i].start, c->snd_nxt) && SEQ_LT(c->snd_nxt, c->sb[i].end))
                    c->snd_nxt = c->sb[i].end;
        }
        uint32_t cw = send_cwnd(c);
        uint32_t win = c->snd_wnd < cw ? c->snd_wnd : cw;
        if (win > tcfg(c)->sndbuf)
            win = (uint32_t)tcfg(c)->sndbuf;
        uint32_t wedge = c->snd_una + win;
        uint32_t usable = SEQ_LT(c->snd_nxt, wedge) ? wedge - c->snd_nxt : 0;
        uint32_t avail = SEQ_LT(c->snd_nxt, dend) ? dend - c->snd_nxt : 0;
        uint32_t n = avail < usable ? avail : usable;
        uint32_t lim = gso_limit(c);
        if (n > lim)
            n = lim;
        for (int i = 0; i < c->nsb && SEQ_LT(c->snd_nxt, c->snd_max); i++)
            if (SEQ_GT(c->sb[i].start, c->snd_nxt) && SEQ_LT(c->sb[i].start, c->snd_nxt + n))
                n = c->sb[i].start - c->snd_nxt;
        if (n > c->mss)
            n -= n % c->mss; /* whole MSS only: a short tail goes on its own, under Nagle */
        int fin = c->shut_wr && c->snd_nxt + n == c->fin_seq && n == avail &&
                  SEQ_LEQ(c->snd_nxt, c->fin_seq) &&
                  (SEQ_LEQ(c->snd_max, c->fin_seq) || SEQ_LT(c->snd_nxt, c->snd_max));
        if (fin && n == 0 && SEQ_GT(c->snd_nxt, c->fin_seq))
            fin = 0;
        if (n == 0 && !fin)
            break;
        if (n < c->mss && !fin) {
            int rexmit = SEQ_LT(c->snd_nxt, c->snd_max);
            if (n < avail) {
                /* window-limited: sender SWS avoidance (RFC 9293 3.8.6.2.1) */
                if (!rexmit && n < c->max_snd_wnd / 2)
                    break;
            } else if (!c->nodelay && !rexmit && c->snd_nxt != c->snd_una) {
                break; /* Nagle: wait for the ACK of what is in flight */
            }
        }
        send_data(c, c->snd_nxt, n, fin);
        sent = 1;
    }
    if (!sent && c->ack_now)
        send_ack(c);
    /* a shut window with something to send: the persist timer probes */
    if (c->snd_wnd == 0 && !c->t_persist && (unsent_bytes(c) || SEQ_LT(c->snd_una, c->snd_max))) {
        c->t_rto = 0;
        c->snd_nxt = c->snd_una;
        arm_persist(c);
    } else if (unsent_bytes(c) && c->snd_una == c->snd_max && !c->t_persist && !c->t_rto) {
        /* a window too small to use (sender SWS avoidance): the persist
         * timer is the override that sends what fits */
        arm_persist(c);
    }
}

/* ---- loss detection: RACK in sequence space, D-SACK, undo ---- */

/* Remembers the window before a reduction, so that it can be restored if
 * every retransmission of the episode proves needless (RFC 3708). */
static void undo_begin(struct net_tcb *c)
{
    c->prior_cwnd = c->cwnd;
    c->prior_ssthresh = c->ssthresh;
    c->prior_w_max = c->w_max;
    c->undo_rtx = c->retrans_count;
    c->undo_dsacked = 0;
    c->undo_ok = 1;
}

/* The reduction was spurious: the window comes back and recovery ends. */
static void undo_reduction(struct net_tcb *c)
{
    c->undo_ok = 0;
    c->s->ctr.tcp_undos++;
    if (c->cwnd < c->prior_cwnd)
        c->cwnd = c->prior_cwnd;
    if (c->ssthresh < c->prior_ssthresh)
        c->ssthresh = c->prior_ssthresh;
    if (c->w_max < c->prior_w_max)
        c->w_max = c->prior_w_max;
    c->in_recovery = 0;
    c->recover_set = 0;
}

/* Fast recovery (RFC 6675, or RFC 6582 without SACK): at most once per
 * window of data (RFC 6582's recover). Retransmits the first unACKed
 * segment. Returns 1 if recovery started. */
static int enter_recovery(struct net_tcb *c)
{
    if (c->recover_set && SEQ_LT(c->snd_una, c->recover))
        return 0;
    undo_begin(c);
    c->in_recovery = 1;
    c->recover = c->snd_max;
    c->recover_set = 1;
    c->rescue_set = 0;
    c->ssthresh = cc_loss(c);
    if (++c->reo_recoveries >= 16) {
        c->reo_recoveries = 0;
        c->reo_mult = 1; /* RFC 8985 6.2: reset after 16 recoveries */
    }
    c->s->ctr.tcp_fast_retransmits++;
    uint32_t len = SEQ_LT(c->snd_una, data_end(c)) ? data_end(c) - c->snd_una : 0;
    if (len > c->mss)
        len = c->mss;
    int fin = c->shut_wr && c->snd_una + len == c->fin_seq;
    c->high_rxt = c->snd_una;
    if (len || fin)
        c->high_rxt += send_data(c, c->snd_una, len, fin);
    c->rxt_mark = c->snd_max;
    if (c->sack_ok)
        c->cwnd = c->ssthresh;
    else
        c->cwnd = c->ssthresh + 3 * c->mss;
    return 1;
}

/* RACK's reordering window (RFC 8985 6.2): none while the path has not
 * been seen to reorder and the loss is plain (in recovery, or three
 * segments SACKed); else a quarter of the smallest RTT, widened by
 * D-SACKs, at most SRTT. */
static uint64_t reo_wnd(struct net_tcb *c)
{
    if (!c->reord && (c->in_recovery || sb_sacked_in(c, c->snd_una, c->snd_max) >= 3 * c->mss))
        return 0;
    uint64_t w = c->min_rtt / 4 * (c->reo_mult ? c->reo_mult : 1);
    if (c->rtt_valid && w > c->srtt)
        w = c->srtt;
    return w;
}

/* Declares every unSACKed byte below edge lost, and starts recovery. */
static void rack_mark(struct net_tcb *c, uint32_t edge)
{
    if (!SEQ_GT(edge, c->rack_edge) || !SEQ_GT(edge, c->snd_una))
        return;
    c->rack_edge = edge;
    c->s->ctr.tcp_rack_losses++;
    if (!c->in_recovery)
        enter_recovery(c);
}

/* RACK (RFC 8985) over the scoreboard. First transmissions leave in
 * sequence order, so data SACKed above a hole was sent after it: once the
 * reordering window has passed, the hole is lost. This needs no third
 * duplicate ACK, which a small window (or lost ACKs) never brings.
 * Retransmitted holes are the business of the rxt_mark rule in
 * process_ack. A non-zero window arms t_reo. */
static void rack_detect(struct net_tcb *c)
{
    if (!c->sack_ok || !c->nsb) {
        c->t_reo = 0;
        return;
    }
    uint32_t cand = c->sb[c->nsb - 1].start;
    uint32_t have = SEQ_GT(c->rack_edge, c->snd_una) ? c->rack_edge : c->snd_una;
    if (!SEQ_GT(cand, have))
        return;
    uint64_t w = reo_wnd(c);
    if (w == 0) {
        c->t_reo = 0; /* in recovery now: what was waiting is lost too */
        rack_mark(c, cand);
        return;
    }
    if (c->t_reo)
        return; /* on_reo looks again when the pending window ends */
    c->reo_edge = cand;
    c->t_reo = now_ns(c) + w;
}

/* The reordering window has passed: what was waiting is lost. */
static void on_reo(struct net_tcb *c)
{
    c->t_reo = 0;
    if (c->nsb && SEQ_LEQ(c->reo_edge, c->sb[c->nsb - 1].start))
        rack_mark(c, c->reo_edge);
    rack_detect(c);
    tcb_output(c);
}

/* RACK.reord: bytes never retransmitted, in [a, b), were delivered below
 * top, the highest byte SACKed before: the path reorders. */
static void reorder_check(struct net_tcb *c, uint32_t a, uint32_t b, uint32_t top)
{
    uint32_t lo = SEQ_LT(a, c->rtx_top) ? c->rtx_top : a;
    uint32_t hi = SEQ_LT(b, top) ? b : top;
    if (SEQ_LT(lo, hi) && unsacked_in(c, lo, hi))
        c->reord = 1;
}

/* A D-SACK block [s, e) (RFC 2883): data arrived twice. It widens RACK's
 * reordering window, at most once a round trip (RFC 8985 6.2), and
 * counts toward undoing the latest reduction: when every retransmission
 * since has been reported twice, none was needed. */
static void dsack_in(struct net_tcb *c, uint32_t s, uint32_t e)
{
    c->s->ctr.tcp_dsacks_in++;
    if (c->reo_mult < 2 || SEQ_GEQ(c->snd_una, c->dsack_round)) {
        if (c->reo_mult < 2)
            c->reo_mult = 2;
        else if (c->reo_mult < 16)
            c->reo_mult++;
        c->dsack_round = c->snd_max;
        c->reo_recoveries = 0;
    }
    if (c->undo_ok && c->retrans_count > c->undo_rtx && c->mss) {
        c->undo_dsacked += (e - s + c->mss - 1) / c->mss;
        if (c->undo_dsacked >= c->retrans_count - c->undo_rtx)
            undo_reduction(c);
    }
}

/* ---- events to the owner ---- */

static int app_live(struct net_tcb *c)
{
    return c->owned && !c->app_closed;
}

static void report_error(struct net_tcb *c, int err)
{
    if (!app_live(c) || c->err_reported)
        return;
    c->err_reported = 1;
    if (c->connect_fn) {
        mote_net_connect_fn fn = c->connect_fn;
        c->connect_fn = NULL;
        fn(c->connect_arg, &c->flow, err);
        return;
    }
    if (c->ev && c->ev->error)
        c->ev->error(c->ev_arg, err);
}

/* Moves to CLOSED; err (if not 0) is reported to the owner. */
static void tcb_closed(struct net_tcb *c, int err)
{
    if (c->state == MOTE_NET_TCP_CLOSED)
        return;
    int was = c->state;
    listener_unqueue(c);
    c->state = MOTE_NET_TCP_CLOSED;
    tcb_hash_del(c);
    c->t_rto = c->t_delack = c->t_persist = c->t_keep = c->t_2msl = c->t_reo = 0;
    if (err) {
        c->err_code = err;
        c->s->ctr.tcp_failed += (was == MOTE_NET_TCP_SYN_SENT || was == MOTE_NET_TCP_SYN_RECEIVED);
        report_error(c, err);
    }
    tcb_maybe_dead(c);
    tcb_rearm(c);
}

/* After the owner took held bytes: tell the peer when the window opened
 * by a useful amount (RFC 9293 3.8.6.2.2). */
static void window_update_check(struct net_tcb *c)
{
    size_t space = c->rcvbuf > c->rcvq.len ? c->rcvbuf - c->rcvq.len : 0;
    uint32_t cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    size_t step = 2 * (size_t)c->mss < c->rcvbuf / 2 ? 2 * (size_t)c->mss : c->rcvbuf / 2;
    if (space > cur && space - cur >= step)
        c->ack_now = 1;
}

static void deliver_held(struct net_tcb *c)
{
    size_t before = c->rcvq.len;
    while (app_live(c) && c->reading && c->ev && c->rcvq.len) {
        size_t n = 16384;
        const uint8_t *p = ring_front(&c->rcvq, &n);
        uint8_t tmp[16384];
        memcpy(tmp, p, n);
        ring_consume(&c->rcvq, n);
        if (c->ev->data)
            c->ev->data(c->ev_arg, tmp, n);
    }
    if (before != c->rcvq.len)
        window_update_check(c);
    if (app_live(c) && c->reading && c->ev && !c->rcvq.len && c->fin_rcvd && !c->eof_delivered) {
        c->eof_delivered = 1;
        if (c->ev->eof)
            c->ev->eof(c->ev_arg);
    }
}

static void maybe_drain(struct net_tcb *c)
{
    if (c->drain_wanted && unsent_bytes(c) == 0 && app_live(c) && c->ev) {
        c->drain_wanted = 0;
        if (c->ev->drain)
            c->ev->drain(c->ev_arg);
    }
}

/* ---- timers ---- */

static void tcb_rearm(struct net_tcb *c)
{
    uint64_t at = 0;
    uint64_t ts[] = {c->t_rto,  c->t_delack,  c->t_persist, c->t_keep,
                     c->t_2msl, c->t_deliver, c->t_reo};
    if (c->state != MOTE_NET_TCP_CLOSED || c->t_deliver)
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
            if (ts[i] && (!at || ts[i] < at))
                at = ts[i];
    if (!c->timer || at == c->timer_at)
        return;
    c->timer_at = at;
    if (at)
        mote_timer_arm(c->s->clock, c->timer, at);
    else
        mote_timer_cancel(c->s->clock, c->timer);
}

static void on_pto(struct net_tcb *c)
{
    c->t_rto = 0;
    c->pto_armed = 0;
    if (c->snd_una == c->snd_max)
        return;
    c->tlp_out = 1;
    c->s->ctr.tcp_tail_probes++;
    uint32_t dend = data_end(c);
    uint32_t wedge = c->snd_una + c->snd_wnd;
    if (SEQ_LT(c->snd_max, dend) && SEQ_LT(c->snd_max, wedge)) {
        /* new data if the window allows */
        uint32_t n = dend - c->snd_max;
        if (n > c->mss)
            n = c->mss;
        if (n > wedge - c->snd_max)
            n = wedge - c->snd_max;
        c->snd_nxt = c->snd_max;
        send_data(c, c->snd_max, n, 0);
    } else {
        /* else the last segment again */
        int fin = c->shut_wr && SEQ_GT(c->snd_max, c->fin_seq);
        uint32_t top = fin ? c->fin_seq : c->snd_max;
        uint32_t n = SEQ_GT(top, c->sq_base) ? top - c->sq_base : 0;
        if (n > top - c->snd_una)
            n = top - c->snd_una;
        if (n > c->mss)
            n = c->mss;
        if (n || fin)
            send_data(c, top - n, n, fin);
    }
    c->t_rto = 0;
    c->t_rto = now_ns(c) + c->rto; /* the real timeout behind the probe */
}

static void on_rto(struct net_tcb *c)
{
    const mote_net_tcp_config *tc = tcfg(c);
    c->t_rto = 0;
    int syn = c->state == MOTE_NET_TCP_SYN_SENT || c->state == MOTE_NET_TCP_SYN_RECEIVED;
    if (!syn && c->snd_una == c->snd_max)
        return;
    c->retries++;
    if (c->retries > (syn ? tc->syn_retries : tc->max_retries)) {
        int err = c->soft_err ? c->soft_err : MOTE_ETIMEDOUT;
        if (!syn)
            tcp_xmit(c, c->snd_max, 0, TH_RST | TH_ACK);
        tcb_closed(c, err);
        return;
    }
    c->s->ctr.tcp_rto++;
    c->backoff++;
    c->rto = c->rto * 2 > tc->rto_max_ns ? tc->rto_max_ns : c->rto * 2;
    if (syn) {
        send_syn(c);
        return;
    }
    /* RFC 5681 (4) and RFC 6298 5.5-5.7: one segment, go back N */
    if (c->snd_wnd == 0) {
        /* the window is shut: this is the persist timer's business */
        c->snd_nxt = c->snd_una;
        c->backoff--;
        c->retries--;
        on_persist(c);
        return;
    }
    if (c->backoff == 1) {
        undo_begin(c);
        c->ssthresh = cc_loss(c);
    }
    c->cwnd = c->mss;
    c->in_recovery = 0;
    c->t_reo = 0;
    c->recover = c->snd_max;
    c->recover_set = 1;
    c->dupacks = 0;
    /* keep the SACK information (RFC 6675 5.1) unless the timeouts go on,
     * in case the receiver reneged (RFC 2018) */
    if (c->backoff >= 2) {
        c->nsb = 0;
        c->rack_edge = c->snd_una;
    }
    c->high_rxt = c->snd_una;
    c->snd_nxt = c->snd_una;
    c->rtt_timing = 0;
    tcb_output(c);
    if (!c->t_rto && c->snd_una != c->snd_max)
        arm_rto(c);
}

static void arm_persist(struct net_tcb *c)
{
    uint64_t d = c->rto << (c->persist_n < 6 ? c->persist_n : 6);
    if (d > tcfg(c)->rto_max_ns)
        d = tcfg(c)->rto_max_ns;
    c->t_persist = now_ns(c) + d;
}

static void on_persist(struct net_tcb *c)
{
    c->t_persist = 0;
    if (c->state == MOTE_NET_TCP_CLOSED)
        return;
    if (unsent_bytes(c) == 0 && c->snd_una == c->snd_max)
        return;
    if (c->snd_wnd > 0) {
        /* the SWS override: send what the window takes */
        uint32_t wedge = c->snd_una + c->snd_wnd;
        uint32_t usable = SEQ_LT(c->snd_nxt, wedge) ? wedge - c->snd_nxt : 0;
        uint32_t avail = SEQ_LT(c->snd_nxt, data_end(c)) ? data_end(c) - c->snd_nxt : 0;
        uint32_t n = usable < avail ? usable : avail;
        if (n > c->mss)
            n = c->mss;
        if (n)
            send_data(c, c->snd_nxt, n, 0);
        c->persist_n = 0;
        tcb_output(c);
        return;
    }
    if (++c->probes > tcfg(c)->max_retries + 3) {
        tcp_xmit(c, c->snd_max, 0, TH_RST | TH_ACK);
        tcb_closed(c, MOTE_ETIMEDOUT);
        return;
    }
    /* one byte beyond the window (RFC 9293 3.8.6.1), or the FIN alone */
    c->s->ctr.tcp_zero_window_probes++;
    uint32_t seq = c->snd_una;
    if (SEQ_LT(seq, data_end(c))) {
        tcp_xmit(c, seq, 1, TH_ACK);
        if (SEQ_LT(c->snd_nxt, seq + 1))
            c->snd_nxt = seq + 1;
        if (SEQ_LT(c->snd_max, seq + 1))
            c->snd_max = seq + 1;
    } else if (c->shut_wr && seq == c->fin_seq) {
        tcp_xmit(c, seq, 0, TH_ACK | TH_FIN);
        c->snd_nxt = c->snd_max = seq + 1;
    }
    c->persist_n++;
    arm_persist(c);
}

static void on_keepalive(struct net_tcb *c)
{
    const mote_net_tcp_config *tc = tcfg(c);
    c->t_keep = 0;
    if (!c->keepalive || c->state != MOTE_NET_TCP_ESTABLISHED)
        return;
    uint64_t now = now_ns(c);
    uint64_t idle_end = c->last_rcv_at + tc->keepalive_idle_ns;
    if (now < idle_end) {
        c->t_keep = idle_end;
        return;
    }
    if (c->probes >= tc->keepalive_count) {
        tcp_xmit(c, c->snd_max, 0, TH_RST | TH_ACK);
        tcb_closed(c, MOTE_ETIMEDOUT);
        return;
    }
    c->probes++;
    c->s->ctr.tcp_keepalives++;
    tcp_xmit(c, c->snd_una - 1, 0, TH_ACK); /* an old sequence number draws an ACK */
    c->t_keep = now + tc->keepalive_interval_ns;
}

static void tcb_timer(void *arg)
{
    struct net_tcb *c = arg;
    mote_net *s = c->s;
    net_enter(s);
    c->timer_at = 0;
    uint64_t now = now_ns(c);
    if (c->t_deliver && c->t_deliver <= now) {
        c->t_deliver = 0;
        deliver_held(c);
        maybe_drain(c);
        if (c->state != MOTE_NET_TCP_CLOSED)
            tcb_output(c); /* a window update if the reads opened it */
    }
    if (c->t_2msl && c->t_2msl <= now) {
        c->t_2msl = 0;
        if (c->state == MOTE_NET_TCP_TIME_WAIT || c->state == MOTE_NET_TCP_FIN_WAIT_2)
            tcb_closed(c, 0);
    }
    if (c->t_delack && c->t_delack <= now) {
        c->t_delack = 0;
        if (c->state != MOTE_NET_TCP_CLOSED)
            send_ack(c);
    }
    if (c->t_reo && c->t_reo <= now && c->state != MOTE_NET_TCP_CLOSED)
        on_reo(c);
    if (c->t_rto && c->t_rto <= now && c->state != MOTE_NET_TCP_CLOSED) {
        if (c->pto_armed)
            on_pto(c);
        else
            on_rto(c);
    }
    if (c->t_persist && c->t_persist <= now && c->state != MOTE_NET_TCP_CLOSED)
        on_persist(c);
    if (c->t_keep && c->t_keep <= now && c->state != MOTE_NET_TCP_CLOSED)
        on_keepalive(c);
    if (c->state != MOTE_NET_TCP_CLOSED)
        maybe_drain(c);
    tcb_rearm(c);
    net_leave(s);
}

/* ---- creating connections ---- */

static uint32_t make_isn(mote_net *s, mote_net_ip4 la, uint16_t lp, mote_net_ip4 ra, uint16_t rp)
{
    uint8_t t[12];
    mote_store_be32(t, la);
    mote_store_be32(t + 4, ra);
    mote_store_be16(t + 8, lp);
    mote_store_be16(t + 10, rp);
    /* RFC 6528: M (a 4 microsecond timer) + F(tuple, secret) */
    return (uint32_t)(net_now(s) / 4000) + (uint32_t)net_siphash(s->isn_key, t, sizeof t);
}

static const mote_flow tcp_flow_ops;

static struct net_tcb *tcb_new(mote_net *s, mote_net_ip4 la, uint16_t lp, mote_net_ip4 ra,
                               uint16_t rp)
{
    struct net_tcb *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->timer = mote_timer_new(s->clock, tcb_timer, c);
    if (!c->timer) {
        free(c);
        return NULL;
    }
    const mote_net_tcp_config *tc = &s->cfg.tcp;
    c->s = s;
    c->flow = tcp_flow_ops;
    c->flow.ctx = c;
    c->laddr = la;
    c->lport = lp;
    c->raddr = ra;
    c->rport = rp;
    c->reading = 1;
    c->rcvbuf = tc->rcvbuf ? tc->rcvbuf : 65535;
    if (c->rcvbuf > ((size_t)65535 << TCP_MAX_WS))
        c->rcvbuf = (size_t)65535 << TCP_MAX_WS;
    while (c->rcv_ws < TCP_MAX_WS && ((size_t)65535 << c->rcv_ws) < c->rcvbuf)
        c->rcv_ws++;
    if (!tc->window_scaling) {
        c->rcv_ws = 0;
        if (c->rcvbuf > 65535)
            c->rcvbuf = 65535;
    }
    c->iss = make_isn(s, la, lp, ra, rp);
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    c->rtx_top = c->rack_edge = c->reo_edge = c->dsack_round = c->recover = c->iss;
    c->sq_base = c->iss + 1;
    c->mss = DEFAULT_MSS;
    c->peer_mss = DEFAULT_MSS;
    c->rto = tc->rto_initial_ns;
    c->cc = tc->cc;
    c->nodelay = tc->nodelay;
    c->keepalive = tc->keepalive;
    uint8_t t[12];
    mote_store_be32(t, la);
    mote_store_be32(t + 4, ra);
    mote_store_be16(t + 8, lp);
    mote_store_be16(t + 10, rp);
    c->ts_offset = (uint32_t)(net_siphash(s->port_key, t, sizeof t) >> 32);
    c->last_rcv_at = net_now(s);
    /* link into the list of all tcbs */
    c->all_next = s->tcb_all;
    if (s->tcb_all)
        s->tcb_all->all_prev = c;
    s->tcb_all = c;
    return c;
}

/* Negotiated options from a SYN. */
struct tcp_opts {
    int mss_set, ws_set, sackp, ts_set;
    uint16_t mss;
    uint8_t ws;
    uint32_t tsval, tsecr;
    int nsack;
    struct sb_range sack[4];
};

static int parse_opts(const uint8_t *p, size_t len, int syn, struct tcp_opts *o)
{
    memset(o, 0, sizeof *o);
    size_t i = 0;
    while (i < len) {
        uint8_t kind = p[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len)
            return MOTE_EDECODE;
        uint8_t ol = p[i + 1];
        if (ol < 2 || i + ol > len)
            return MOTE_EDECODE;
        const uint8_t *v = p + i + 2;
        switch (kind) {
        case 2:
            if (ol != 4)
                return MOTE_EDECODE;
            if (syn) {
                o->mss_set = 1;
                o->mss = mote_load_be16(v);
            }
            break;
        case 3:
            if (ol != 3)
                return MOTE_EDECODE;
            if (syn) {
                o->ws_set = 1;
                o->ws = v[0] > TCP_MAX_WS ? TCP_MAX_WS : v[0];
            }
            break;
        case 4:
            if (ol != 2)
                return MOTE_EDECODE;
            if (syn)
                o->sackp = 1;
            break;
        case 5:
            if ((ol - 2) % 8 || ol < 10 || ol > 34)
                return MOTE_EDECODE;
            o->nsack = (ol - 2) / 8;
            for (int k = 0; k < o->nsack; k++) {
                o->sack[k].start = mote_load_be32(v + 8 * k);
                o->sack[k].end = mote_load_be32(v + 8 * k + 4);
            }
            break;
        case 8:
            if (ol != 10)
                return MOTE_EDECODE;
            o->ts_set = 1;
            o->tsval = mote_load_be32(v);
            o->tsecr = mote_load_be32(v + 4);
            break;
        default:
            break; /* unknown options are skipped */
        }
        i += ol;
    }
    return 0;
}

static void apply_syn_opts(struct net_tcb *c, const struct tcp_opts *o, int we_asked)
{
    const mote_net_tcp_config *tc = tcfg(c);
    c->peer_mss = o->mss_set ? o->mss : DEFAULT_MSS;
    if (c->peer_mss < 64)
        c->peer_mss = 64;
    c->ws_ok = tc->window_scaling && o->ws_set && (we_asked || 1);
    if (c->ws_ok)
        c->snd_ws = o->ws;
    else {
        c->snd_ws = 0;
        c->rcv_ws = 0;
        if (c->rcvbuf > 65535)
            c->rcvbuf = 65535;
    }
    c->sack_ok = tc->sack && o->sackp;
    c->ts_ok = tc->timestamps && o->ts_set;
    if (c->ts_ok) {
        c->ts_recent = o->tsval;
        c->ts_recent_at = now_ns(c);
    }
    uint32_t mss = c->peer_mss;
    uint32_t mine = (uint32_t)c->s->mtu - 40;
    if (mss > mine)
        mss = mine;
    if (c->ts_ok)
        mss -= 12;
    c->mss = mss;
    cc_init(c);
}

static int port_in_use(mote_net *s, uint16_t port, mote_net_ip4 ra, uint16_t rp)
{
    for (struct mote_net_listener *l = s->listeners; l; l = l->next)
        if (l->port == port)
            return 1;
    return tcb_find(s, s->addr, ra, port, rp) != NULL;
}

mote_flow *mote_net_tcp_connect(mote_net *s, mote_net_ip4 dst, uint16_t dport,
                                mote_net_connect_fn fn, void *arg, int *err)
{
    int e = 0;
    struct net_tcb *c = NULL;
    if (!s || dport == 0 || dst == 0) {
        e = MOTE_EINVAL;
        goto out;
    }
    if (!s->addr) {
        e = MOTE_ESTATE;
        goto out;
    }
    if (!net_route_ok(s, dst) || net_is_local_bcast(s, dst) || (dst >> 28) == 0xe) {
        e = MOTE_EUNREACH;
        goto out;
    }
    /* RFC 6056 algorithm 3: a keyed hash of the tuple picks the start */
    uint8_t t[8];
    mote_store_be32(t, s->addr);
    mote_store_be32(t + 4, dst);
    uint16_t r;
    if (mote_rng_fill(s->rng, &r, sizeof r) < 0) {
        e = MOTE_EIO;
        goto out;
    }
    uint32_t off = (uint32_t)net_siphash(s->port_key, t, sizeof t) + r;
    uint16_t port = 0;
    for (uint32_t i = 0; i < 16384; i++) {
        uint16_t cand = (uint16_t)(49152 + (off + i) % 16384);
        if (!port_in_use(s, cand, dst, dport)) {
            port = cand;
            break;
        }
    }
    if (!port) {
        e = MOTE_EADDRINUSE;
        goto out;
    }
    c = tcb_new(s, s->addr, port, dst, dport);
    if (!c) {
        e = MOTE_ENOMEM;
        goto out;
    }
    net_enter(s);
    c->owned = 1;
    c->connect_fn = fn;
    c->connect_arg = arg;
    c->state = MOTE_NET_TCP_SYN_SENT;
    c->mss = (uint32_t)s->mtu - 40;
    tcb_hash_add(c);
    s->ctr.tcp_active_opens++;
    tcb_output(c);
    tcb_rearm(c);
    net_leave(s);
out:
    if (err)
        *err = e;
    return c ? &c->flow : NULL;
}

/* ---- listeners ---- */

mote_net_listener *mote_net_tcp_listen(mote_net *s, uint16_t port, int backlog,
                                       mote_net_accept_fn fn, void *arg, int *err)
{
    int e = 0;
    mote_net_listener *l = NULL;
    if (!s || port == 0 || backlog < 1) {
        e = MOTE_EINVAL;
        goto out;
    }
    for (mote_net_listener *o = s->listeners; o; o = o->next)
        if (o->port == port) {
            e = MOTE_EADDRINUSE;
            goto out;
        }
    l = calloc(1, sizeof *l);
    if (!l) {
        e = MOTE_ENOMEM;
        goto out;
    }
    l->s = s;
    l->port = port;
    l->backlog = backlog;
    l->fn = fn;
    l->arg = arg;
    l->next = s->listeners;
    s->listeners = l;
out:
    if (err)
        *err = e;
    return l;
}

mote_flow *mote_net_tcp_accept(mote_net_listener *l, int *err)
{
    if (!l) {
        if (err)
            *err = MOTE_EINVAL;
        return NULL;
    }
    struct net_tcb *c = l->q_head;
    if (!c) {
        if (err)
            *err = MOTE_EAGAIN;
        return NULL;
    }
    l->q_head = c->qnext;
    if (!l->q_head)
        l->q_tail = NULL;
    l->qlen--;
    c->queued_accept = 0;
    c->listener = NULL;
    c->owned = 1;
    if (err)
        *err = 0;
    return &c->flow;
}

void mote_net_listener_close(mote_net_listener *l)
{
    if (!l)
        return;
    mote_net *s = l->s;
    net_enter(s);
    for (mote_net_listener **pp = &s->listeners; *pp; pp = &(*pp)->next)
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    for (struct net_tcb *c = all_tcbs(s); c; c = c->all_next) {
        if (c->listener != l)
            continue;
        if (c->state != MOTE_NET_TCP_CLOSED)
            tcp_xmit(c, c->snd_max, 0, TH_RST | TH_ACK);
        c->queued_accept = 0;
        c->listener = NULL;
        tcb_closed(c, 0);
        c->dead = 1;
    }
    free(l);
    net_leave(s);
}

static struct mote_net_listener *find_listener(mote_net *s, uint16_t port)
{
    for (struct mote_net_listener *l = s->listeners; l; l = l->next)
        if (l->port == port)
            return l;
    return NULL;
}

static void listen_input(mote_net *s, struct mote_net_listener *l, mote_net_ip4 src,
                         mote_net_ip4 dst, const uint8_t *seg, size_t doff, uint8_t fl)
{
    uint16_t sport = mote_load_be16(seg);
    uint32_t seq = mote_load_be32(seg + 4);
    if (fl & TH_RST)
        return;
    if (fl & TH_ACK) {
        send_reset(s, dst, src, l->port, sport, mote_load_be32(seg + 8), 0, 0);
        return;
    }
    if (!(fl & TH_SYN) || (fl & TH_FIN))
        return;
    struct tcp_opts o;
    if (parse_opts(seg + 20, doff - 20, 1, &o) < 0) {
        s->ctr.tcp_drop_bad++;
        return;
    }
    if (l->qlen + l->nsynrcvd >= l->backlog) {
        s->ctr.tcp_backlog_drop++;
        return;
    }
    struct net_tcb *c = tcb_new(s, dst, l->port, src, sport);
    if (!c)
        return;
    c->passive = 1;
    c->listener = l;
    l->nsynrcvd++;
    c->state = MOTE_NET_TCP_SYN_RECEIVED;
    c->irs = seq;
    c->rcv_nxt = seq + 1;
    c->snd_wnd = mote_load_be16(seg + 14);
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = seq;
    apply_syn_opts(c, &o, 0);
    tcb_hash_add(c);
    s->ctr.tcp_passive_opens++;
    tcb_output(c);
    tcb_rearm(c);
}

/* ---- input ---- */

static void update_rtt(struct net_tcb *c, uint64_t r)
{
    const mote_net_tcp_config *tc = tcfg(c);
    if (!c->rtt_valid) {
        c->srtt = r;
        c->rttvar = r / 2;
        c->rtt_valid = 1;
    } else {
        uint64_t d = c->srtt > r ? c->srtt - r : r - c->srtt;
        c->rttvar = (3 * c->rttvar + d) / 4;
        c->srtt = (7 * c->srtt + r) / 8;
    }
    uint64_t k = 4 * c->rttvar;
    if (k < MOTE_NS_PER_MS)
        k = MOTE_NS_PER_MS;
    uint64_t rto = c->srtt + k;
    if (rto < tc->rto_min_ns)
        rto = tc->rto_min_ns;
    if (rto > tc->rto_max_ns)
        rto = tc->rto_max_ns;
    c->rto = rto;
}

/* A sample timed to the nanosecond (not a millisecond timestamp echo):
 * also RACK's minimum RTT. */
static void rtt_sample(struct net_tcb *c, uint64_t r)
{
    update_rtt(c, r);
    if (!c->min_rtt || r < c->min_rtt)
        c->min_rtt = r ? r : 1;
}

static void enter_established(struct net_tcb *c)
{
    c->state = MOTE_NET_TCP_ESTABLISHED;
    c->s->ctr.tcp_established++;
    if (c->keepalive)
        c->t_keep = now_ns(c) + tcfg(c)->keepalive_idle_ns;
}

/* Acknowledged bytes: consumes the send queue. Returns data bytes acked. */
static uint32_t take_ack(struct net_tcb *c, uint32_t ack)
{
    uint32_t data_top = c->shut_wr ? c->fin_seq : data_end(c);
    uint32_t upto = SEQ_LT(ack, data_top) ? ack : data_top;
    uint32_t n = 0;
    if (SEQ_GT(upto, c->sq_base)) {
        n = upto - c->sq_base;
        ring_consume(&c->sndq, n);
        c->sq_base = upto;
    }
    uint32_t acked = ack - c->snd_una;
    c->snd_una = ack;
    if (SEQ_LT(c->snd_nxt, c->snd_una))
        c->snd_nxt = c->snd_una;
    if (SEQ_LT(c->high_rxt, c->snd_una))
        c->high_rxt = c->snd_una;
    /* sequence marks stay at or above snd_una, so that they never wrap */
    if (SEQ_LT(c->rtx_top, c->snd_una))
        c->rtx_top = c->snd_una;
    if (SEQ_LT(c->rack_edge, c->snd_una))
        c->rack_edge = c->snd_una;
    if (SEQ_LT(c->reo_edge, c->snd_una))
        c->reo_edge = c->snd_una;
    if (SEQ_LT(c->dsack_round, c->snd_una))
        c->dsack_round = c->snd_una;
    if (SEQ_LT(c->recover, c->snd_una))
        c->recover = c->snd_una;
    if (c->rescue_set && SEQ_GT(c->snd_una, c->rescue_rxt))
        c->rescue_set = 0;
    c->bytes_acked += n;
    return acked;
}

/* Processes the ACK field in a synchronized state. 0 to go on, -1 to drop
 * the segment (after sending an ACK if needed). */
static int process_ack(struct net_tcb *c, uint32_t seq, uint32_t ack, uint32_t wnd, size_t datalen,
                       uint8_t fl, const struct tcp_opts *o)
{
    /* RFC 5961 5.2: acceptable range [SND.UNA - MAX.SND.WND, SND.NXT] */
    if (SEQ_GT(ack, c->snd_max) || SEQ_LT(ack, c->snd_una - c->max_snd_wnd)) {
        challenge_ack(c);
        return -1;
    }
    uint32_t old_una = c->snd_una;
    int new_ack = SEQ_GT(ack, c->snd_una);
    uint32_t acked = 0;
    int new_sack = 0;
    if (c->sack_ok) {
        uint32_t top = c->nsb ? c->sb[c->nsb - 1].end : c->snd_una;
        if (new_ack)
            reorder_check(c, c->snd_una, ack, top);
        for (int i = 0; i < o->nsack; i++) {
            uint32_t s = o->sack[i].start, e = o->sack[i].end;
            if (i == 0 && SEQ_LT(s, e) &&
                (SEQ_LEQ(e, ack) ||
                 (o->nsack > 1 && SEQ_GEQ(s, o->sack[1].start) && SEQ_LEQ(e, o->sack[1].end)))) {
                dsack_in(c, s, e);
                continue;
            }
            reorder_check(c, s, e, top);
            new_sack |= sb_add(c, s, e);
        }
    }
    if (new_ack) {
        /* RTT sample: the timed segment, else the echoed timestamp */
        if (c->rtt_timing && SEQ_GEQ(ack, c->rtt_seq)) {
            rtt_sample(c, now_ns(c) - c->rtt_start);
            c->rtt_timing = 0;
        } else if (c->ts_ok && o->ts_set && o->tsecr && !c->rtt_timing) {
            uint32_t d = ts_now(c) - o->tsecr;
            if (d < 0x7fffffff && c->backoff == 0)
                update_rtt(c, (uint64_t)d * MOTE_NS_PER_MS);
        }
        acked = take_ack(c, ack);
        c->tlp_out = 0;
        c->backoff = 0;
        c->retries = 0;
        c->probes = 0;
        sb_trim(c);
        if (c->rtt_valid) {
            uint64_t k = 4 * c->rttvar < MOTE_NS_PER_MS ? MOTE_NS_PER_MS : 4 * c->rttvar;
            uint64_t rto = c->srtt + k;
            const mote_net_tcp_config *tc = tcfg(c);
            c->rto = rto < tc->rto_min_ns   ? tc->rto_min_ns
                     : rto > tc->rto_max_ns ? tc->rto_max_ns
                                            : rto;
        }
    }
    /* a lost retransmission: data sent after our latest retransmission
     * was SACKed, yet a retransmitted range is still missing. Go over the
     * holes again rather than wait for the timeout (the idea of RACK,
     * RFC 8985, in its simplest form). */
    if (c->in_recovery && c->sack_ok && c->nsb && SEQ_LT(c->snd_una, c->high_rxt) &&
        SEQ_GT(c->sb[c->nsb - 1].end, c->rxt_mark)) {
        c->high_rxt = c->snd_una;
        c->rxt_mark = c->snd_max;
    }
    /* window update (RFC 9293 3.10.7.4) */
    uint32_t win = wnd << c->snd_ws;
    int win_changed = 0;
    if (SEQ_LT(c->snd_wl1, seq) || (c->snd_wl1 == seq && SEQ_LEQ(c->snd_wl2, ack))) {
        win_changed = win != c->snd_wnd;
        c->snd_wnd = win;
        c->snd_wl1 = seq;
        c->snd_wl2 = ack;
        if (win > c->max_snd_wnd)
            c->max_snd_wnd = win;
        if (win > 0 && c->t_persist) {
            c->t_persist = 0;
            c->persist_n = 0;
        }
    }
    /* congestion control and loss recovery */
    if (new_ack) {
        c->dupacks = 0;
        if (c->in_recovery) {
            if (SEQ_GEQ(ack, c->recover)) {
                /* full ACK: leave recovery */
                c->in_recovery = 0;
                if (c->sack_ok) {
                    c->cwnd = c->ssthresh;
                } else {
                    uint32_t fs = flight_size(c) + c->mss;
                    c->cwnd = c->ssthresh < fs ? c->ssthresh : fs;
                }
                if (c->cwnd < c->mss)
                    c->cwnd = c->mss;
            } else if (!c->sack_ok) {
                /* NewReno partial ACK (RFC 6582 3.2 step 5) */
                uint32_t len = SEQ_LT(c->snd_una, data_end(c)) ? data_end(c) - c->snd_una : 0;
                if (len > c->mss)
                    len = c->mss;
                if (len || (c->shut_wr && c->snd_una == c->fin_seq)) {
                    c->s->ctr.tcp_fast_retransmits++;
                    send_data(c, c->snd_una, len, c->shut_wr && c->snd_una + len == c->fin_seq);
                }
                c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
                if (acked >= c->mss)
                    c->cwnd += c->mss;
                if (c->cwnd < c->mss)
                    c->cwnd = c->mss;
            }
        } else {
            cc_ack(c, acked);
        }
    } else if (ack == old_una && datalen == 0 && !(fl & (TH_SYN | TH_FIN)) &&
               c->snd_una != c->snd_max && (!win_changed || new_sack)) {
        /* a duplicate ACK (RFC 5681), or one bringing new SACK info */
        c->dupacks++;
        if (c->in_recovery) {
            if (!c->sack_ok)
                c->cwnd += c->mss; /* NewReno inflation */
        } else {
            int lost = c->sack_ok && SEQ_GT(loss_edge(c), c->snd_una);
            if (c->dupacks >= 3 || lost)
                enter_recovery(c);
        }
    }
    /* RACK: SACKs above a hole, on a new ACK as on a duplicate one */
    if (c->sack_ok && (new_ack || new_sack))
        rack_detect(c);
    /* the timer restarts on new data ACKed (RFC 6298 5.3), and only now,
     * once recovery is settled, so that a tail loss probe can stand in */
    if (new_ack) {
        c->t_rto = 0;
        if (c->snd_una != c->snd_max)
            arm_rto(c);
    }
    return 0;
}

/* Data [s, e) arrived a second time: the next ACK, sent at once, reports
 * it in a D-SACK block (RFC 2883), so that the sender can tell a needless
 * retransmission. */
static void dsack_note(struct net_tcb *c, uint32_t s, uint32_t e)
{
    if (!c->sack_ok || !SEQ_LT(s, e))
        return;
    c->dsack_out.start = s;
    c->dsack_out.end = e;
    c->dsack_pending = 1;
    c->ack_now = 1;
}

/* Stores an out-of-order segment; returns 1 if it brought new bytes. */
static int ooo_store(struct net_tcb *c, uint32_t seq, const uint8_t *d, uint32_t len, int fin)
{
    if (c->ooo_n >= tcfg(c)->ooo_max_segments)
        return 0;
    struct ooo_seg **pp = &c->ooo;
    while (*pp && SEQ_LEQ((*pp)->seq + (*pp)->len, seq))
        pp = &(*pp)->next;
    if (*pp && SEQ_LEQ((*pp)->seq, seq)) {
        /* the front overlaps an existing segment: keep only what is new */
        uint32_t have_end = (*pp)->seq + (*pp)->len;
        if (SEQ_GEQ(have_end, seq + len)) {
            if (fin && have_end == seq + len)
                (*pp)->fin = 1;
            c->ooo_last_seq = (*pp)->seq;
            dsack_note(c, seq, seq + len);
            return 0;
        }
        uint32_t cut = have_end - seq;
        d += cut;
        seq += cut;
        len -= cut;
        pp = &(*pp)->next;
    }
    if (*pp && SEQ_LT((*pp)->seq, seq + len)) {
        len = (*pp)->seq - seq; /* the tail overlaps: it will come again */
        fin = 0;
    }
    if (len == 0 && !fin)
        return 0;
    struct ooo_seg *g = malloc(sizeof *g + len);
    if (!g)
        return 0;
    g->seq = seq;
    g->len = len;
    g->fin = fin;
    memcpy(g->data, d, len);
    g->next = *pp;
    *pp = g;
    c->ooo_n++;
    c->ooo_bytes += len;
    c->ooo_last_seq = seq;
    return 1;
}

static void deliver(struct net_tcb *c, const uint8_t *d, uint32_t len)
{
    c->rcv_nxt += len;
    c->bytes_rcvd += len;
    if (app_live(c) && c->reading && c->ev && c->rcvq.len == 0) {
        if (c->ev->data)
            c->ev->data(c->ev_arg, d, len);
        return;
    }
    if (ring_append(&c->rcvq, d, len) < 0) {
        /* cannot hold it: the peer will resend after we fail to ack */
        c->rcv_nxt -= len;
        c->bytes_rcvd -= len;
    }
}

static void process_fin(struct net_tcb *c)
{
    c->rcv_nxt += 1;
    c->fin_rcvd = 1;
    c->ack_now = 1;
    switch (c->state) {
    case MOTE_NET_TCP_SYN_RECEIVED:
    case MOTE_NET_TCP_ESTABLISHED:
        c->state = MOTE_NET_TCP_CLOSE_WAIT;
        break;
    case MOTE_NET_TCP_FIN_WAIT_1:
        if (fin_acked(c)) {
            c->state = MOTE_NET_TCP_TIME_WAIT;
            c->t_2msl = now_ns(c) + 2 * tcfg(c)->msl_ns;
            c->t_rto = c->t_persist = c->t_keep = 0;
        } else {
            c->state = MOTE_NET_TCP_CLOSING;
        }
        break;
    case MOTE_NET_TCP_FIN_WAIT_2:
        c->state = MOTE_NET_TCP_TIME_WAIT;
        c->t_2msl = now_ns(c) + 2 * tcfg(c)->msl_ns;
        c->t_rto = c->t_persist = c->t_keep = 0;
        break;
    default:
        break;
    }
    if (c->ooo) {
        struct ooo_seg *o = c->ooo;
        while (o) {
            struct ooo_seg *n = o->next;
            free(o);
            o = n;
        }
        c->ooo = NULL;
        c->ooo_n = 0;
        c->ooo_bytes = 0;
    }
}

/* In-window data and FIN of a synchronized state. */
static void process_data(struct net_tcb *c, uint32_t seq, const uint8_t *d, uint32_t len, int fin)
{
    if (c->fin_rcvd)
        return;
    /* trim to [rcv_nxt, window edge) */
    if (SEQ_LT(seq, c->rcv_nxt)) {
        uint32_t cut = c->rcv_nxt - seq;
        dsack_note(c, seq, cut < len ? c->rcv_nxt : seq + len);
        if (cut > len) {
            cut = len;
            fin = fin && seq + len == c->rcv_nxt;
        }
        d += cut;
        len -= cut;
        seq += cut;
    }
    uint32_t edge = c->rcv_adv;
    if (SEQ_GT(seq + len, edge)) {
        uint32_t keep = SEQ_GT(edge, seq) ? edge - seq : 0;
        len = keep;
        fin = 0;
    }
    if (len == 0 && !fin)
        return;
    if (seq != c->rcv_nxt) {
        c->s->ctr.tcp_ooo_in++;
        ooo_store(c, seq, d, len, fin);
        c->ack_now = 1; /* a duplicate ACK with SACK blocks, at once */
        return;
    }
    int had_ooo = c->ooo != NULL;
    if (len)
        deliver(c, d, len);
    if (fin) {
        process_fin(c);
        return;
    }
    /* pull what the out-of-order queue now makes contiguous */
    while (c->ooo && SEQ_LEQ(c->ooo->seq, c->rcv_nxt)) {
        struct ooo_seg *o = c->ooo;
        c->ooo = o->next;
        c->ooo_n--;
        c->ooo_bytes -= o->len;
        uint32_t skip = c->rcv_nxt - o->seq;
        if (skip < o->len)
            deliver(c, o->data + skip, o->len - skip);
        int f = o->fin && skip <= o->len;
        free(o);
        if (f) {
            process_fin(c);
            return;
        }
    }
    if (had_ooo) {
        c->ack_now = 1; /* a hole was filled */
        return;
    }
    c->segs_unacked++;
    if (c->segs_unacked >= 2 || tcfg(c)->delack_ns == 0)
        c->ack_now = 1;
    else if (!c->t_delack)
        c->t_delack = now_ns(c) + tcfg(c)->delack_ns;
}

static void syn_sent_input(struct net_tcb *c, const uint8_t *seg, size_t doff, uint8_t fl,
                           const struct tcp_opts *o)
{
    uint32_t seq = mote_load_be32(seg + 4), ack = mote_load_be32(seg + 8);
    if (fl & TH_ACK) {
        if (SEQ_LEQ(ack, c->iss) || SEQ_GT(ack, c->snd_max)) {
            if (!(fl & TH_RST))
                send_reset(c->s, c->laddr, c->raddr, c->lport, c->rport, ack, 0, 0);
            return;
        }
    }
    if (fl & TH_RST) {
        if (fl & TH_ACK) {
            c->s->ctr.tcp_resets_in++;
            tcb_closed(c, MOTE_ECONNREFUSED);
        }
        return;
    }
    if (!(fl & TH_SYN))
        return;
    c->irs = seq;
    c->rcv_nxt = seq + 1;
    c->rcv_adv = c->rcv_nxt;
    c->last_rcv_at = now_ns(c);
    apply_syn_opts(c, o, 1);
    c->snd_wnd = mote_load_be16(seg + 14); /* never scaled in a SYN */
    c->snd_wl1 = seq;
    c->snd_wl2 = ack;
    c->max_snd_wnd = c->snd_wnd;
    (void)doff;
    if (fl & TH_ACK) {
        if (c->rtt_timing && SEQ_GEQ(ack, c->rtt_seq)) {
            rtt_sample(c, now_ns(c) - c->rtt_start);
            c->rtt_timing = 0;
        }
        c->snd_una = ack;
        c->t_rto = 0;
        c->retries = 0;
        c->backoff = 0;
        if (c->shut_wr)
            c->state = MOTE_NET_TCP_FIN_WAIT_1;
        else
            enter_established(c);
        if (c->shut_wr)
            c->s->ctr.tcp_established++;
        c->ack_now = 1;
        tcb_output(c);
        if (c->connect_fn && app_live(c)) {
            mote_net_connect_fn fn = c->connect_fn;
            c->connect_fn = NULL;
            fn(c->connect_arg, &c->flow, 0);
        }
        return;
    }
    /* simultaneous open */
    c->state = MOTE_NET_TCP_SYN_RECEIVED;
    c->snd_max = c->iss; /* resend our SYN, now with the ACK */
    c->t_rto = 0;
    tcb_output(c);
}

static void to_accept_queue(struct net_tcb *c)
{
    struct mote_net_listener *l = c->listener;
    if (!l)
        return;
    if (l->nsynrcvd > 0)
        l->nsynrcvd--;
    c->queued_accept = 1;
    c->qnext = NULL;
    if (l->q_tail)
        l->q_tail->qnext = c;
    else
        l->q_head = c;
    l->q_tail = c;
    l->qlen++;
    if (l->fn)
        l->fn(l->arg, l);
}

static void tcb_input(struct net_tcb *c, const uint8_t *seg, size_t len, size_t doff, uint8_t fl,
                      const struct tcp_opts *o)
{
    uint32_t seq = mote_load_be32(seg + 4), ack = mote_load_be32(seg + 8);
    uint32_t wnd = mote_load_be16(seg + 14);
    const uint8_t *data = seg + doff;
    uint32_t dlen = (uint32_t)(len - doff);
    if (c->state == MOTE_NET_TCP_SYN_SENT) {
        syn_sent_input(c, seg, doff, fl, o);
        return;
    }
    uint64_t now = now_ns(c);
    /* PAWS (RFC 7323 5.3) */
    if (c->ts_ok && o->ts_set && !(fl & TH_RST) && (int32_t)(o->tsval - c->ts_recent) < 0) {
        if (now - c->ts_recent_at > PAWS_IDLE_NS) {
            c->ts_recent = o->tsval;
        } else {
            c->s->ctr.tcp_paws_drop++;
            send_ack(c);
            return;
        }
    }
    /* a retransmitted SYN while we wait for the handshake's ACK */
    if (c->state == MOTE_NET_TCP_SYN_RECEIVED && (fl & TH_SYN) && !(fl & TH_ACK) && seq == c->irs) {
        c->snd_max = c->iss;
        tcb_output(c);
        return;
    }
    /* acceptability (RFC 9293 3.10.7.4) */
    uint32_t rwnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    uint32_t slen = dlen + ((fl & TH_SYN) ? 1 : 0) + ((fl & TH_FIN) ? 1 : 0);
    int ok;
    if (slen == 0)
        ok = rwnd == 0 ? seq == c->rcv_nxt
                       : SEQ_LEQ(c->rcv_nxt, seq) && SEQ_LT(seq, c->rcv_nxt + rwnd);
    else if (rwnd == 0)
        ok = 0;
    else
        ok = (SEQ_LEQ(c->rcv_nxt, seq) && SEQ_LT(seq, c->rcv_nxt + rwnd)) ||
             (SEQ_LEQ(c->rcv_nxt, seq + slen - 1) && SEQ_LT(seq + slen - 1, c->rcv_nxt + rwnd));
    if (!ok) {
        if (fl & TH_RST)
            return;
        if (rwnd == 0 && seq == c->rcv_nxt && (fl & TH_ACK)) {
            /* zero window: take the ACK, drop the data (3.10.7.4) */
            dlen = 0;
            fl &= (uint8_t) ~(TH_FIN | TH_SYN | TH_PSH);
            if (process_ack(c, seq, ack, wnd, 0, fl, o) == 0)
                tcb_output(c);
            send_ack(c);
            return;
        }
        c->s->ctr.tcp_dup_in++;
        if (dlen && SEQ_LEQ(seq + dlen, c->rcv_nxt))
            dsack_note(c, seq, seq + dlen);
        if (c->state == MOTE_NET_TCP_TIME_WAIT && (fl & TH_FIN))
            c->t_2msl = now + 2 * tcfg(c)->msl_ns;
        send_ack(c);
        return;
    }
    c->last_rcv_at = now;
    c->probes = 0;
    if (c->keepalive && c->state == MOTE_NET_TCP_ESTABLISHED)
        c->t_keep = now + tcfg(c)->keepalive_idle_ns;
    /* timestamps: remember the peer's value (RFC 7323 4.3) */
    if (c->ts_ok && o->ts_set && SEQ_GEQ(o->tsval, c->ts_recent) &&
        SEQ_LEQ(seq, c->last_ack_sent)) {
        c->ts_recent = o->tsval;
        c->ts_recent_at = now;
    }
    /* RST (RFC 5961 3.2) */
    if (fl & TH_RST) {
        if (seq != c->rcv_nxt) {
            challenge_ack(c);
            return;
        }
        c->s->ctr.tcp_resets_in++;
        if (c->state == MOTE_NET_TCP_TIME_WAIT)
            return; /* RFC 1337: no assassination of TIME_WAIT */
        if (c->state == MOTE_NET_TCP_SYN_RECEIVED && c->passive) {
            tcb_closed(c, 0);
            c->dead = 1;
            return;
        }
        int err = c->state == MOTE_NET_TCP_SYN_RECEIVED ? MOTE_ECONNREFUSED : MOTE_ECONNRESET;
        if (c->state == MOTE_NET_TCP_CLOSING || c->state == MOTE_NET_TCP_LAST_ACK)
            err = 0;
        tcb_closed(c, err);
        return;
    }
    /* SYN in a synchronized state (RFC 5961 4.2) */
    if (fl & TH_SYN) {
        challenge_ack(c);
        return;
    }
    if (!(fl & TH_ACK))
        return;
    if (c->state == MOTE_NET_TCP_SYN_RECEIVED) {
        if (SEQ_LEQ(ack, c->snd_una) || SEQ_GT(ack, c->snd_max)) {
            send_reset(c->s, c->laddr, c->raddr, c->lport, c->rport, ack, 0, 0);
            return;
        }
        c->snd_wnd = wnd << c->snd_ws;
        c->snd_wl1 = seq;
        c->snd_wl2 = ack;
        c->max_snd_wnd = c->snd_wnd;
        if (c->rtt_timing && SEQ_GEQ(ack, c->rtt_seq)) {
            rtt_sample(c, now - c->rtt_start);
            c->rtt_timing = 0;
        }
        take_ack(c, ack);
        c->t_rto = 0;
        c->retries = 0;
        c->backoff = 0;
        enter_established(c);
        if (c->shut_wr)
            c->state = MOTE_NET_TCP_FIN_WAIT_1;
        if (c->passive) {
            to_accept_queue(c);
        } else if (c->connect_fn && app_live(c)) {
            mote_net_connect_fn fn = c->connect_fn;
            c->connect_fn = NULL;
            fn(c->connect_arg, &c->flow, 0);
        }
        if (c->state == MOTE_NET_TCP_CLOSED)
            return;
        if (SEQ_LT(c->snd_una, c->snd_max))
            arm_rto(c);
    } else {
        if (process_ack(c, seq, ack, wnd, dlen, fl, o) < 0)
            return;
    }
    switch (c->state) {
    case MOTE_NET_TCP_FIN_WAIT_1:
        if (fin_acked(c)) {
            c->state = MOTE_NET_TCP_FIN_WAIT_2;
            c->t_rto = 0;
            if (c->app_closed)
                c->t_2msl = now + tcfg(c)->fin_wait2_ns;
        }
        break;
    case MOTE_NET_TCP_CLOSING:
        if (fin_acked(c)) {
            c->state = MOTE_NET_TCP_TIME_WAIT;
            c->t_rto = 0;
            c->t_2msl = now + 2 * tcfg(c)->msl_ns;
        }
        break;
    case MOTE_NET_TCP_LAST_ACK:
        if (fin_acked(c)) {
            tcb_closed(c, 0);
            return;
        }
        break;
    case MOTE_NET_TCP_TIME_WAIT:
        if (fl & TH_FIN) {
            c->ack_now = 1;
            c->t_2msl = now + 2 * tcfg(c)->msl_ns;
        }
        break;
    default:
        break;
    }
    /* data and FIN */
    if (c->state == MOTE_NET_TCP_ESTABLISHED || c->state == MOTE_NET_TCP_FIN_WAIT_1 ||
        c->state == MOTE_NET_TCP_FIN_WAIT_2) {
        if (dlen && c->app_closed) {
            /* nobody will read it (RFC 9293 3.10.7.4 / RFC 2525 2.17) */
            tcp_xmit(c, c->snd_max, 0, TH_RST | TH_ACK);
            tcb_closed(c, 0);
            return;
        }
        if (dlen || (fl & TH_FIN))
            process_data(c, seq, data, dlen, (fl & TH_FIN) != 0);
    }
    if (c->state == MOTE_NET_TCP_CLOSED)
        return;
    tcb_output(c);
    if (c->state == MOTE_NET_TCP_CLOSED)
        return;
    if (c->fin_rcvd && !c->eof_delivered)
        deliver_held(c);
    maybe_drain(c);
}

void net_tcp_input(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, const uint8_t *seg, size_t len)
{
    s->ctr.tcp_in++;
    if (len < 20) {
        s->ctr.tcp_drop_bad++;
        return;
    }
    size_t doff = (size_t)(seg[12] >> 4) * 4;
    if (doff < 20 || doff > len) {
        s->ctr.tcp_drop_bad++;
        return;
    }
    if (!s->rx_csum_ok &&
        net_csum_fold(net_csum_partial(net_csum_pseudo(src, dst, IPPROTO_TCP_, len), seg, len))) {
        s->ctr.tcp_drop_checksum++;
        return;
    }
    uint16_t sport = mote_load_be16(seg), dport = mote_load_be16(seg + 2);
    uint8_t fl = seg[13];
    if (sport == 0 || dport == 0) {
        s->ctr.tcp_drop_bad++;
        return;
    }
    struct net_tcb *c = tcb_find(s, dst, src, dport, sport);
    if (c) {
        struct tcp_opts o;
        if (parse_opts(seg + 20, doff - 20, (fl & TH_SYN) != 0, &o) < 0) {
            s->ctr.tcp_drop_bad++;
            return;
        }
        /* RFC 6191: a new SYN may end TIME_WAIT if it is clearly newer
         * (a larger timestamp, or without timestamps a larger sequence
         * number) and someone listens on the port. */
        int reuse = 0;
        if (c->state == MOTE_NET_TCP_TIME_WAIT && (fl & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
            find_listener(s, dport)) {
            uint32_t seq = mote_load_be32(seg + 4);
            if (c->ts_ok && o.ts_set)
                reuse = (int32_t)(o.tsval - c->ts_recent) > 0;
            else
                reuse = SEQ_GT(seq, c->rcv_nxt);
        }
        if (!reuse) {
            tcb_input(c, seg, len, doff, fl, &o);
            if (c->state != MOTE_NET_TCP_CLOSED || c->t_deliver)
                tcb_rearm(c);
            return;
        }
        tcb_closed(c, 0);
    }
    struct mote_net_listener *l = find_listener(s, dport);
    if (l && dst == s->addr) {
        listen_input(s, l, src, dst, seg, doff, fl);
        return;
    }
    /* CLOSED (RFC 9293 3.10.7.1) */
    if (fl & TH_RST)
        return;
    uint32_t seq = mote_load_be32(seg + 4), ack = mote_load_be32(seg + 8);
    uint32_t slen = (uint32_t)(len - doff) + ((fl & TH_SYN) ? 1 : 0) + ((fl & TH_FIN) ? 1 : 0);
    if (fl & TH_ACK)
        send_reset(s, dst, src, dport, sport, ack, 0, 0);
    else
        send_reset(s, dst, src, dport, sport, 0, seq + slen, 1);
}

void net_tcp_icmp_error(mote_net *s, mote_net_ip4 src, mote_net_ip4 dst, const uint8_t *tcph,
                        size_t len, int err, uint32_t mtu)
{
    if (len < 8)
        return;
    uint16_t sport = mote_load_be16(tcph), dport = mote_load_be16(tcph + 2);
    uint32_t seq = mote_load_be32(tcph + 4);
    struct net_tcb *c = tcb_find(s, src, dst, sport, dport);
    if (!c)
        return;
    /* RFC 5927: only errors about data in flight count */
    if (SEQ_LT(seq, c->snd_una) || SEQ_GEQ(seq, c->snd_max))
        return;
    if (err == MOTE_ELIMIT) {
        uint32_t opt = c->ts_ok ? 12 : 0;
        if (mtu >= 576 && mtu - 40 - opt < c->mss) {
            c->mss = mtu - 40 - opt;
            c->snd_nxt = c->snd_una; /* resend with the smaller size */
            tcb_output(c);
            tcb_rearm(c);
        }
        return;
    }
    if (c->state == MOTE_NET_TCP_SYN_SENT && err == MOTE_ECONNREFUSED) {
        tcb_closed(c, err); /* hard error (RFC 1122 4.2.3.9) */
        return;
    }
    c->soft_err = err;
}

/* ---- the flow interface ---- */

static void flow_set_events(void *ctx, const mote_flow_events *ev, void *arg)
{
    struct net_tcb *c = ctx;
    c->ev = ev;
    c->ev_arg = arg;
    if (ev && (c->rcvq.len || (c->fin_rcvd && !c->eof_delivered))) {
        c->t_deliver = now_ns(c);
        tcb_rearm(c);
    }
}

static int flow_write(void *ctx, const uint8_t *data, size_t len)
{
    struct net_tcb *c = ctx;
    if (c->app_closed || c->shut_wr)
        return MOTE_ECLOSED;
    if (c->state == MOTE_NET_TCP_CLOSED)
        return c->err_code ? c->err_code : MOTE_ECLOSED;
    if (len == 0)
        return 0;
    if (c->sndq.len + len > ((size_t)1 << 30))
        return MOTE_ELIMIT;
    int rc = ring_append(&c->sndq, data, len);
    if (rc < 0)
        return rc;
    c->drain_wanted = 1;
    net_enter(c->s);
    tcb_output(c);
    if (unsent_bytes(c) == 0) {
        c->t_deliver = now_ns(c); /* drain, from the loop */
    }
    tcb_rearm(c);
    net_leave(c->s);
    return 0;
}

static size_t flow_queued(void *ctx)
{
    return unsent_bytes(ctx);
}

static void flow_set_reading(void *ctx, int on)
{
    struct net_tcb *c = ctx;
    int was = c->reading;
    c->reading = on ? 1 : 0;
    if (on && !was && (c->rcvq.len || (c->fin_rcvd && !c->eof_delivered))) {
        c->t_deliver = now_ns(c);
        tcb_rearm(c);
    }
}

static int flow_shutdown(void *ctx)
{
    struct net_tcb *c = ctx;
    if (c->shut_wr || c->app_closed)
        return MOTE_ECLOSED;
    switch (c->state) {
    case MOTE_NET_TCP_SYN_SENT:
    case MOTE_NET_TCP_SYN_RECEIVED:
        break;
    case MOTE_NET_TCP_ESTABLISHED:
        c->state = MOTE_NET_TCP_FIN_WAIT_1;
        break;
    case MOTE_NET_TCP_CLOSE_WAIT:
        c->state = MOTE_NET_TCP_LAST_ACK;
        break;
    default:
        return MOTE_ECLOSED;
    }
    c->shut_wr = 1;
    c->fin_seq = data_end(c);
    net_enter(c->s);
    tcb_output(c);
    tcb_rearm(c);
    net_leave(c->s);
    return 0;
}

static void flow_close(void *ctx)
{
    struct net_tcb *c = ctx;
    if (c->app_closed)
        return;
    mote_net *s = c->s;
    net_enter(s);
    c->app_closed = 1;
    c->ev = NULL;
    c->connect_fn = NULL;
    c->t_deliver = 0;
    switch (c->state) {
    case MOTE_NET_TCP_CLOSED:
        break;
    case MOTE_NET_TCP_SYN_SENT:
        tcb_closed(c, 0);
        break;
    default:
        if (c->rcvq.len) {
            /* unread data: abort, as RFC 2525 2.17 asks */
            tcp_xmit(c, c->snd_max, 0, TH_RST | TH_ACK);
            tcb_closed(c, 0);
            break;
        }
        if (!c->shut_wr && c->state != MOTE_NET_TCP_TIME_WAIT && c->state != MOTE_NET_TCP_CLOSING &&
            c->state != MOTE_NET_TCP_LAST_ACK && c->state != MOTE_NET_TCP_FIN_WAIT_1 &&
            c->state != MOTE_NET_TCP_FIN_WAIT_2) {
            c->app_closed = 0;
            flow_shutdown(c);
            c->app_closed = 1;
        }
        if (c->state == MOTE_NET_TCP_FIN_WAIT_2)
            c->t_2msl = now_ns(c) + tcfg(c)->fin_wait2_ns;
        break;
    }
    tcb_maybe_dead(c);
    tcb_rearm(c);
    net_leave(s);
}

static const mote_flow tcp_flow_ops = {
    NULL, flow_set_events, flow_write, flow_queued, flow_set_reading, flow_shutdown, flow_close,
};

int mote_net_tcp_is(const mote_flow *f)
{
    return f && f->write == flow_write;
}

int mote_net_tcp_get_info(mote_flow *f, mote_net_tcp_info *info)
{
    if (!mote_net_tcp_is(f) || !info)
        return MOTE_EINVAL;
    struct net_tcb *c = f->ctx;
    memset(info, 0, sizeof *info);
    info->state = c->state;
    info->local_addr = c->laddr;
    info->remote_addr = c->raddr;
    info->local_port = c->lport;
    info->remote_port = c->rport;
    info->mss = c->mss;
    info->cwnd = c->cwnd;
    info->ssthresh = c->ssthresh;
    info->snd_wnd = c->snd_wnd;
    info->rcv_wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    info->snd_wscale = c->snd_ws;
    info->rcv_wscale = c->rcv_ws;
    info->ts_ok = c->ts_ok;
    info->sack_ok = c->sack_ok;
    info->nodelay = c->nodelay;
    info->keepalive = c->keepalive;
    info->cc = c->cc;
    info->srtt_ns = c->srtt;
    info->rttvar_ns = c->rttvar;
    info->rto_ns = c->rto;
    info->backoff = c->backoff;
    info->retransmits = c->retrans_count;
    info->bytes_acked = c->bytes_acked;
    info->bytes_received = c->bytes_rcvd;
    info->unacked = SEQ_GT(c->snd_max, c->snd_una) ? c->snd_max - c->snd_una : 0;
    info->unsent = unsent_bytes(c);
    info->ooo_bytes = c->ooo_bytes;
    return 0;
}

int mote_net_tcp_set_nodelay(mote_flow *f, int on)
{
    if (!mote_net_tcp_is(f))
        return MOTE_EINVAL;
    struct net_tcb *c = f->ctx;
    c->nodelay = on ? 1 : 0;
    if (on && c->state != MOTE_NET_TCP_CLOSED) {
        net_enter(c->s);
        tcb_output(c);
        tcb_rearm(c);
        net_leave(c->s);
    }
    return 0;
}

int mote_net_tcp_set_keepalive(mote_flow *f, int on)
{
    if (!mote_net_tcp_is(f))
        return MOTE_EINVAL;
    struct net_tcb *c = f->ctx;
    c->keepalive = on ? 1 : 0;
    c->t_keep = 0;
    if (on && c->state == MOTE_NET_TCP_ESTABLISHED)
        c->t_keep = now_ns(c) + tcfg(c)->keepalive_idle_ns;
    tcb_rearm(c);
    return 0;
}

int mote_net_tcp_set_cc(mote_flow *f, int cc)
{
    if (!mote_net_tcp_is(f) || (cc != MOTE_NET_CC_NEWRENO && cc != MOTE_NET_CC_CUBIC))
        return MOTE_EINVAL;
    struct net_tcb *c = f->ctx;
    c->cc = cc;
    c->epoch_start = 0;
    return 0;
}

void mote_net_tcp_abort(mote_flow *f)
{
    if (!mote_net_tcp_is(f))
        return;
    struct net_tcb *c = f->ctx;
    mote_net *s = c->s;
    net_enter(s);
    if (c->state != MOTE_NET_TCP_CLOSED && c->state != MOTE_NET_TCP_SYN_SENT &&
        c->state != MOTE_NET_TCP_TIME_WAIT)
        tcp_xmit(c, c->snd_max, 0, TH_RST | TH_ACK);
    c->app_closed = 1;
    c->ev = NULL;
    c->connect_fn = NULL;
    tcb_closed(c, 0);
    c->dead = 1;
    net_leave(s);
}
