/* test_recovery.c - libmote-net's TCP loss recovery, one stack against
 * crafted ACKs with a fake clock: RACK's time-based loss detection (RFC
 * 8985) on duplicate and on new ACKs, reordering that must not count as
 * loss, NextSeg rules 3 and 4 (RFC 6675), the tail loss probe once
 * recovery has ended and during it, Limited Transmit (RFC 3042), undoing
 * a spurious timeout when the peer D-SACKs the retransmission (RFC 2883,
 * RFC 3708), D-SACKs sent for duplicates received; then two stacks
 * through 5% loss both ways at a sub-millisecond RTT, the case of the
 * Linux interop test. */
#include "netutil.h"

#include <stdio.h>

#define ME   MOTE_NET_IP4(192, 0, 2, 1)
#define PEER MOTE_NET_IP4(192, 0, 2, 9)
#define PISN 5000u
#define PMSS 1000u
#define RTT  (4 * MOTE_NS_PER_MS)

/* One connection from the stack to PEER:80, the peer played by the test. */
typedef struct rc {
    nt_one o; /* the stack on its capturing netif */
    mote_flow *f;
    uint32_t iss, base; /* base: sequence number of the first data byte */
    uint16_t lport;
    uint32_t ts, ecr;
    uint32_t mss;
    uint64_t written;
    int connected;
} rc;

static void rc_conn(void *arg, mote_flow *f, int err)
{
    (void)f;
    ((rc *)arg)->connected = err ? err : 1;
}

/* A segment from the peer: flags, ack, SACK blocks given as pairs of
 * absolute sequence numbers, and len bytes of data (byte i of the peer's
 * stream is (uint8_t)i) from offset doff of its stream. */
static void rc_send_data(rc *x, uint32_t ack, uint8_t flags, const uint32_t *sack, int nsack,
                         uint32_t doff, uint32_t len)
{
    uint8_t f[1600], o[40];
    size_t ol = nt_tcp_opts(o, flags & 0x02, PMSS, -1, ++x->ts, x->ecr, sack, nsack);
    size_t off = nt_ip(f, x->o.cap.nif.mac, PEER, ME, 6, 20 + ol + len, 1, 0x4000, 0);
    uint8_t *t = f + off;
    memset(t, 0, 20);
    mote_store_be16(t, 80);
    mote_store_be16(t + 2, x->lport);
    mote_store_be32(t + 4, (flags & 0x02) ? PISN : PISN + 1 + doff);
    mote_store_be32(t + 8, ack);
    t[12] = (uint8_t)((20 + ol) / 4) << 4;
    t[13] = flags;
    mote_store_be16(t + 14, 65535);
    memcpy(t + 20, o, ol);
    for (uint32_t i = 0; i < len; i++)
        t[20 + ol + i] = (uint8_t)(doff + i);
    size_t tl = 20 + ol + len;
    mote_store_be16(t + 16, nt_csum(t, tl, nt_pseudo(PEER, ME, 6, tl)));
    nt_one_feed(&x->o, f, off + tl);
}

static void rc_send(rc *x, uint32_t ack, uint8_t flags, const uint32_t *sack, int nsack)
{
    rc_send_data(x, ack, flags, sack, nsack, 0, 0);
}

/* The ACK number and SACK blocks (as offsets in the peer's stream) of
 * captured frame i; returns the number of blocks. */
static int rc_sack_of(rc *x, size_t i, uint32_t *ack, uint32_t *blocks)
{
    ck_assert_uint_gt(x->o.cap.n, i);
    const uint8_t *t = x->o.cap.frame[i] + 14 + 20;
    *ack = mote_load_be32(t + 8) - (PISN + 1);
    size_t hl = (size_t)(t[12] >> 4) * 4;
    int n = 0;
    for (size_t k = 20; k + 1 < hl;) {
        if (t[k] == 0)
            break;
        if (t[k] == 1) {
            k++;
            continue;
        }
        if (t[k] == 5)
            for (size_t b = k + 2; b + 8 <= k + t[k + 1]; b += 8, n++) {
                blocks[2 * n] = mote_load_be32(t + b) - (PISN + 1);
                blocks[2 * n + 1] = mote_load_be32(t + b + 4) - (PISN + 1);
            }
        k += t[k + 1];
    }
    return n;
}

/* An ACK of data offset `ack` (bytes from the first data byte) with SACK
 * blocks given as offset pairs. */
static void rc_ack(rc *x, uint32_t ack, const uint32_t *blocks, int n)
{
    uint32_t abs[8] = {0};
    for (int i = 0; i < 2 * n; i++)
        abs[i] = x->base + blocks[i];
    rc_send(x, x->base + ack, 0x10, abs, n);
}

/* The data offset and length of captured frame i; 0 if it holds no data. */
static uint32_t rc_frame(rc *x, size_t i, uint32_t *off)
{
    ck_assert_uint_gt(x->o.cap.n, i);
    const uint8_t *ip = x->o.cap.frame[i] + 14;
    ck_assert_uint_eq(ip[9], 6);
    size_t tl = mote_load_be16(ip + 2) - 20u;
    const uint8_t *t = ip + 20;
    ck_assert_uint_eq(nt_csum(t, tl, nt_pseudo(ME, PEER, 6, tl)), 0);
    size_t hl = (size_t)(t[12] >> 4) * 4;
    *off = mote_load_be32(t + 4) - x->base;
    return (uint32_t)(tl - hl);
}

/* Asserts that exactly the data segments at the given offsets (in units
 * of the MSS) were sent since the last clear, in that order. */
static void rc_expect(rc *x, const unsigned *segs, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < x->o.cap.n; i++) {
        uint32_t off, len = rc_frame(x, i, &off);
        if (!len)
            continue;
        if (getenv("NT_TRACE"))
            fprintf(stderr, "sent %u\n", off / x->mss);
        ck_assert_msg(k < n, "unexpected segment at %u (MSS %u)", off / x->mss, x->mss);
        ck_assert_uint_eq(off, segs[k] * x->mss);
        ck_assert_uint_eq(len, x->mss);
        k++;
    }
    ck_assert_uint_eq(k, n);
    nt_cap_clear(&x->o.cap);
}

static void rc_open(rc *x)
{
    memset(x, 0, sizeof *x);
    nt_one_init(&x->o, NULL, ME, 7, MOTE_NS_PER_SEC, 1500);
    nt_one_teach(&x->o, PEER);
    int err;

    x->f = mote_net_tcp_connect(x->o.s, PEER, 80, rc_conn, x, &err);
    ck_assert_ptr_nonnull(x->f);
    ck_assert_uint_eq(x->o.cap.n, 1);
    const uint8_t *t = x->o.cap.frame[0] + 14 + 20;
    ck_assert_uint_eq(t[13], 0x02);
    x->iss = mote_load_be32(t + 4);
    x->lport = mote_load_be16(t);
    x->base = x->iss + 1;
    /* the SYN's TSval, echoed in the SYN-ACK */
    x->ecr = nt_tsval_of(t);
    ck_assert_uint_ne(x->ecr, 0);
    nt_cap_clear(&x->o.cap);
    mote_fakeclock_advance(x->o.fc, RTT); /* the handshake's RTT sample */
    rc_send(x, x->iss + 1, 0x12, NULL, 0);
    ck_assert_int_eq(x->connected, 1);
    x->ecr = 0;
    nt_cap_clear(&x->o.cap);
    mote_net_tcp_info i;
    ck_assert_int_eq(mote_net_tcp_get_info(x->f, &i), 0);
    ck_assert(i.sack_ok);
    ck_assert(i.ts_ok);
    x->mss = i.mss;
    ck_assert_uint_gt(x->mss, 500);
}

/* Writes n segments' worth of data. */
static void rc_write(rc *x, unsigned nseg)
{
    uint8_t buf[4096];
    for (uint64_t left = (uint64_t)nseg * x->mss; left;) {
        size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)(x->written + i);
        ck_assert_int_eq(mote_flow_write(x->f, buf, n), 0);
        x->written += n;
        left -= n;
    }
}

static mote_net_counters rc_ctr(rc *x)
{
    mote_net_counters c;
    mote_net_get_counters(x->o.s, &c);
    return c;
}

static void rc_free(rc *x)
{
    mote_net_tcp_abort(x->f);
    nt_one_free(&x->o);
}

/* One SACKed segment above a hole, on a duplicate ACK: the hole is lost
 * once RACK's reordering window (a quarter of the minimum RTT) has passed,
 * without waiting for a third duplicate ACK or the timer. */
START_TEST(test_rack_loss_on_dupack)
{
    rc x;
    rc_open(&x);
    rc_write(&x, 3);
    rc_expect(&x, (unsigned[]){0, 1, 2}, 3);
    mote_fakeclock_advance(x.o.fc, RTT);
    uint32_t m = x.mss;
    rc_ack(&x, 0, (uint32_t[]){2 * m, 3 * m}, 1);
    rc_expect(&x, NULL, 0); /* within the reordering window: wait */
    mote_fakeclock_advance(x.o.fc, RTT / 4 - 100 * 1000);
    rc_expect(&x, NULL, 0);
    ck_assert_uint_eq(rc_ctr(&x).tcp_rack_losses, 0);
    mote_fakeclock_advance(x.o.fc, 200 * 1000);
    /* both holes below the SACKed segment go again */
    rc_expect(&x, (unsigned[]){0, 1}, 2);
    mote_net_counters c = rc_ctr(&x);
    ck_assert_uint_eq(c.tcp_rack_losses, 1);
    ck_assert_uint_eq(c.tcp_fast_retransmits, 1);
    ck_assert_uint_eq(c.tcp_rto, 0);
    rc_free(&x);
}
END_TEST

/* The stall seen against Linux: a new ACK that also SACKs above a hole is
 * no duplicate ACK, so RFC 6675's count alone never starts recovery; RACK
 * does. */
START_TEST(test_rack_loss_on_new_ack)
{
    rc x;
    rc_open(&x);
    rc_write(&x, 4);
    rc_expect(&x, (unsigned[]){0, 1, 2, 3}, 4);
    mote_fakeclock_advance(x.o.fc, RTT);
    uint32_t m = x.mss;
    rc_ack(&x, m, (uint32_t[]){2 * m, 3 * m}, 1);
    rc_expect(&x, NULL, 0);
    mote_fakeclock_advance(x.o.fc, RTT / 4 + 100 * 1000);
    /* the hole, then the rescue retransmission (RFC 6675 rule 4): the
     * highest segment sent before recovery, in case the tail was lost */
    rc_expect(&x, (unsigned[]){1, 3}, 2);
    mote_net_counters c = rc_ctr(&x);
    ck_assert_uint_eq(c.tcp_rack_losses, 1);
    ck_assert_uint_eq(c.tcp_rto, 0);
    ck_assert_uint_eq(c.tcp_tail_probes, 0);
    rc_free(&x);
}
END_TEST

/* A hole filled within the reordering window is reordering, not loss:
 * nothing is retransmitted, and the path is marked as reordering. Then
 * NextSeg rule 3: in recovery with nothing deemed lost and no new data,
 * the holes below the highest SACKed segment are retransmitted anyway. */
START_TEST(test_reordering_then_rule3)
{
    rc x;
    rc_open(&x);
    uint32_t m = x.mss;
    rc_write(&x, 3);
    rc_expect(&x, (unsigned[]){0, 1, 2}, 3);
    mote_fakeclock_advance(x.o.fc, RTT);
    rc_ack(&x, 0, (uint32_t[]){2 * m, 3 * m}, 1);
    mote_fakeclock_advance(x.o.fc, RTT / 8);
    rc_ack(&x, 3 * m, NULL, 0); /* the first two arrive late */
    mote_fakeclock_advance(x.o.fc, RTT);
    rc_expect(&x, NULL, 0);
    mote_net_counters c = rc_ctr(&x);
    ck_assert_uint_eq(c.tcp_retransmits, 0);
    ck_assert_uint_eq(c.tcp_rack_losses, 0);

    rc_write(&x, 4);
    rc_expect(&x, (unsigned[]){3, 4, 5, 6}, 4);
    mote_fakeclock_advance(x.o.fc, RTT);
    /* three duplicate ACKs SACKing the last segment: recovery starts with
     * the first hole; the next two are not deemed lost (one segment SACKed
     * above them, and the path reorders), yet rule 3 sends them */
    for (int i = 0; i < 3; i++)
        rc_ack(&x, 3 * m, (uint32_t[]){6 * m, 7 * m}, 1);
    rc_expect(&x, (unsigned[]){3, 4, 5}, 3);
    c = rc_ctr(&x);
    ck_assert_uint_eq(c.tcp_fast_retransmits, 1);
    ck_assert_uint_eq(c.tcp_rack_losses, 0);
    ck_assert_uint_eq(c.tcp_retransmits, 3);
    rc_free(&x);
}
END_TEST

/* Once a full ACK ends recovery, the next timer is a tail loss probe
 * (2 SRTT, at least 10 ms), not the 200 ms retransmission timeout. */
START_TEST(test_probe_after_recovery)
{
    rc x;
    rc_open(&x);
    uint32_t m = x.mss;
    rc_write(&x, 4);
    rc_expect(&x, (unsigned[]){0, 1, 2, 3}, 4);
    mote_fakeclock_advance(x.o.fc, RTT);
    rc_ack(&x, 0, (uint32_t[]){m, 4 * m}, 1); /* 3 segments SACKed: 0 is lost */
    rc_expect(&x, (unsigned[]){0}, 1);
    rc_write(&x, 2); /* new data goes out during recovery (rule 2) */
    rc_expect(&x, (unsigned[]){4, 5}, 2);
    mote_fakeclock_advance(x.o.fc, RTT);
    rc_ack(&x, 4 * m, NULL, 0); /* the full ACK */
    mote_net_tcp_info i;
    mote_net_tcp_get_info(x.f, &i);
    ck_assert_uint_eq(i.unacked, 2 * m);
    mote_fakeclock_advance(x.o.fc, 9 * MOTE_NS_PER_MS);
    rc_expect(&x, NULL, 0);
    mote_fakeclock_advance(x.o.fc, 2 * MOTE_NS_PER_MS);
    rc_expect(&x, (unsigned[]){5}, 1); /* the probe: the last segment again */
    mote_net_counters c = rc_ctr(&x);
    ck_assert_uint_eq(c.tcp_tail_probes, 1);
    ck_assert_uint_eq(c.tcp_rto, 0);
    rc_free(&x);
}
END_TEST

/* In SACK recovery too, an ACK overdue by 2 SRTT (at least 10 ms) brings
 * a probe rather than waiting for the 200 ms timeout: the ACK that covers
 * the repaired holes may be the one that is lost. */
START_TEST(test_probe_in_recovery)
{
    rc x;
    rc_open(&x);
    uint32_t m = x.mss;
    rc_write(&x, 5);
    rc_expect(&x, (unsigned[]){0, 1, 2, 3, 4}, 5);
    mote_fakeclock_advance(x.o.fc, RTT);
    rc_ack(&x, 0, (uint32_t[]){m, 4 * m}, 1);
    /* the hole, and the rescue retransmission of the tail (rule 4) */
    rc_expect(&x, (unsigned[]){0, 4}, 2);
    mote_fakeclock_advance(x.o.fc, 9 * MOTE_NS_PER_MS);
    rc_expect(&x, NULL, 0);
    mote_fakeclock_advance(x.o.fc, 2 * MOTE_NS_PER_MS);
    rc_expect(&x, (unsigned[]){4}, 1); /* the probe: the last segment */
    mote_net_counters c = rc_ctr(&x);
    ck_assert_uint_eq(c.tcp_tail_probes, 1);
    ck_assert_uint_eq(c.tcp_rto, 0);
    /* one probe only: then the timeout */
    mote_fakeclock_advance(x.o.fc, 100 * MOTE_NS_PER_MS);
    rc_expect(&x, NULL, 0);
    for (int i = 0; i < 300 && rc_ctr(&x).tcp_rto == 0; i++)
        mote_fakeclock_advance(x.o.fc, MOTE_NS_PER_MS);
    ck_assert_uint_eq(rc_ctr(&x).tcp_rto, 1);
    ck_assert_uint_eq(rc_ctr(&x).tcp_tail_probes, 1);
    rc_free(&x);
}
END_TEST

/* The first two duplicate ACKs each clock out one new segment beyond a
 * full congestion window (RFC 3042). */
START_TEST(test_limited_transmit)
{
    rc x;
    rc_open(&x);
    uint32_t m = x.mss;
    rc_write(&x, 13);
    rc_expect(&x, (unsigned[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10); /* IW10 */
    mote_fakeclock_advance(x.o.fc, RTT);
    rc_ack(&x, 0, (uint32_t[]){m, 2 * m}, 1);
    rc_expect(&x, (unsigned[]){10}, 1);
    rc_ack(&x, 0, (uint32_t[]){m, 3 * m}, 1);
    rc_expect(&x, (unsigned[]){11}, 1);
    ck_assert_uint_eq(rc_ctr(&x).tcp_retransmits, 0);
    rc_free(&x);
}
END_TEST

/* A timeout whose retransmission the peer reports as a duplicate (D-SACK
 * below the cumulative ACK) was spurious: the window comes back. */
START_TEST(test_dsack_undoes_timeout)
{
    rc x;
    rc_open(&x);
    uint32_t m = x.mss;
    rc_write(&x, 2);
    rc_expect(&x, (unsigned[]){0, 1}, 2);
    /* no ACK: a tail loss probe, then the timeout */
    for (int i = 0; i < 1000 && rc_ctr(&x).tcp_rto == 0; i++)
        mote_fakeclock_advance(x.o.fc, MOTE_NS_PER_MS);
    ck_assert_uint_eq(rc_ctr(&x).tcp_tail_probes, 1);
    ck_assert_uint_eq(rc_ctr(&x).tcp_rto, 1);
    rc_expect(&x, (unsigned[]){1, 0}, 2);
    mote_net_tcp_info i;
    mote_net_tcp_get_info(x.f, &i);
    ck_assert_uint_eq(i.cwnd, m);
    /* everything had arrived: the ACK reports the retransmission twice */
    rc_ack(&x, 2 * m, (uint32_t[]){0, m}, 1);
    mote_net_counters c = rc_ctr(&x);
    ck_assert_uint_eq(c.tcp_dsacks_in, 1);
    ck_assert_uint_eq(c.tcp_undos, 1);
    mote_net_tcp_get_info(x.f, &i);
    ck_assert_uint_ge(i.cwnd, 10 * m);
    ck_assert_uint_gt(i.ssthresh, 10 * m);
    rc_free(&x);
}
END_TEST

/* A D-SACK that does not cover every retransmission undoes nothing. */
START_TEST(test_dsack_partial_keeps_reduction)
{
    rc x;
    rc_open(&x);
    uint32_t m = x.mss;
    rc_write(&x, 5);
    rc_expect(&x, (unsigned[]){0, 1, 2, 3, 4}, 5);
    mote_fakeclock_advance(x.o.fc, RTT);
    /* 0 and 1 lost: three segments SACKed above them */
    rc_ack(&x, 0, (uint32_t[]){2 * m, 5 * m}, 1);
    rc_expect(&x, (unsigned[]){0, 1}, 2);
    mote_net_tcp_info i;
    mote_net_tcp_get_info(x.f, &i);
    uint32_t reduced = i.cwnd;
    ck_assert_uint_lt(reduced, 10 * m);
    mote_fakeclock_advance(x.o.fc, RTT);
    /* only the first retransmission was needless */
    rc_ack(&x, 5 * m, (uint32_t[]){0, m}, 1);
    mote_net_counters c = rc_ctr(&x);
    ck_assert_uint_eq(c.tcp_dsacks_in, 1);
    ck_assert_uint_eq(c.tcp_undos, 0);
    mote_net_tcp_get_info(x.f, &i);
    ck_assert_uint_le(i.cwnd, reduced);
    rc_free(&x);
}
END_TEST

/* As a receiver, data that arrives twice is reported in a D-SACK block at
 * once (RFC 2883): a whole duplicate below the cumulative ACK, the old
 * part of a segment that overlaps it, and a duplicate of out-of-order
 * data, then followed by the block that holds it. */
START_TEST(test_dsack_sent)
{
    rc x;
    rc_open(&x);
    uint32_t ack, b[8];
    rc_send_data(&x, x.base, 0x10, NULL, 0, 0, 100);
    rc_send_data(&x, x.base, 0x10, NULL, 0, 100, 100);
    ck_assert_uint_eq(x.o.cap.n, 1); /* every second segment is ACKed */
    ck_assert_int_eq(rc_sack_of(&x, 0, &ack, b), 0);
    ck_assert_uint_eq(ack, 200);
    nt_cap_clear(&x.o.cap);
    rc_send_data(&x, x.base, 0x10, NULL, 0, 0, 100); /* a whole duplicate */
    ck_assert_uint_eq(x.o.cap.n, 1);
    ck_assert_int_eq(rc_sack_of(&x, 0, &ack, b), 1);
    ck_assert_uint_eq(ack, 200);
    ck_assert_uint_eq(b[0], 0);
    ck_assert_uint_eq(b[1], 100);
    nt_cap_clear(&x.o.cap);
    rc_send_data(&x, x.base, 0x10, NULL, 0, 150, 100); /* 50 old, 50 new */
    ck_assert_uint_eq(x.o.cap.n, 1);
    ck_assert_int_eq(rc_sack_of(&x, 0, &ack, b), 1);
    ck_assert_uint_eq(ack, 250);
    ck_assert_uint_eq(b[0], 150);
    ck_assert_uint_eq(b[1], 200);
    nt_cap_clear(&x.o.cap);
    rc_send_data(&x, x.base, 0x10, NULL, 0, 400, 100); /* out of order */
    ck_assert_uint_eq(x.o.cap.n, 1);
    ck_assert_int_eq(rc_sack_of(&x, 0, &ack, b), 1);
    ck_assert_uint_eq(ack, 250);
    ck_assert_uint_eq(b[0], 400);
    ck_assert_uint_eq(b[1], 500);
    nt_cap_clear(&x.o.cap);
    rc_send_data(&x, x.base, 0x10, NULL, 0, 420, 50); /* again, in part */
    ck_assert_uint_eq(x.o.cap.n, 1);
    ck_assert_int_eq(rc_sack_of(&x, 0, &ack, b), 2);
    ck_assert_uint_eq(ack, 250);
    ck_assert_uint_eq(b[0], 420);
    ck_assert_uint_eq(b[1], 470);
    ck_assert_uint_eq(b[2], 400);
    ck_assert_uint_eq(b[3], 500);
    nt_cap_clear(&x.o.cap);
    /* the D-SACK goes once: the next ACK has only the SACK block */
    rc_send_data(&x, x.base, 0x10, NULL, 0, 600, 100);
    ck_assert_uint_eq(x.o.cap.n, 1);
    ck_assert_int_eq(rc_sack_of(&x, 0, &ack, b), 2);
    ck_assert_uint_eq(b[0], 600);
    ck_assert_uint_eq(b[1], 700);
    ck_assert_uint_eq(b[2], 400);
    ck_assert_uint_eq(b[3], 500);
    rc_free(&x);
}
END_TEST

/* ---- two stacks, 5% loss both ways, 100 µs RTT ---- */

typedef struct side {
    mote_flow *f;
    uint64_t sent, rcvd, total;
    unsigned seed_out, seed_in;
    int eof, err, bad;
} side;

static uint8_t pat(uint64_t i, unsigned seed)
{
    uint64_t v = (i + seed * 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
    return (uint8_t)(v >> 29 ^ i);
}

static void sd_pump(side *d)
{
    static uint8_t buf[16384];
    while (d->sent < d->total && mote_flow_queued(d->f) < 256 * 1024) {
        size_t n = sizeof buf;
        if (n > d->total - d->sent)
            n = (size_t)(d->total - d->sent);
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(d->sent + i, d->seed_out);
        ck_assert_int_eq(mote_flow_write(d->f, buf, n), 0);
        d->sent += n;
    }
    if (d->sent == d->total)
        mote_flow_shutdown(d->f);
}
static void sd_data(void *arg, const uint8_t *p, size_t len)
{
    side *d = arg;
    for (size_t i = 0; i < len; i++)
        if (p[i] != pat(d->rcvd + i, d->seed_in))
            d->bad = 1;
    d->rcvd += len;
}
static void sd_eof(void *arg)
{
    ((side *)arg)->eof = 1;
}
static void sd_drain(void *arg)
{
    sd_pump(arg);
}
static void sd_err(void *arg, int err)
{
    ((side *)arg)->err = err;
}
static const mote_flow_events sd_events = {sd_data, sd_eof, sd_drain, sd_err};

typedef struct sd_srv {
    mote_net_listener *l;
    side *d;
} sd_srv;
static void sd_accept(void *arg, mote_net_listener *l)
{
    sd_srv *v = arg;
    int err;
    mote_flow *f = mote_net_tcp_accept(l, &err);
    if (!f || v->d->f)
        return;
    v->d->f = f;
    mote_flow_set_events(f, &sd_events, v->d);
    sd_pump(v->d);
}
static void sd_connected(void *arg, mote_flow *f, int err)
{
    (void)f;
    side *d = arg;
    if (err)
        d->err = err;
    else
        sd_pump(d);
}

/* The Linux interop case in miniature: an RTT of 100 µs, so the 200 ms
 * minimum RTO is 2000 round trips, and 5% of frames lost each way (data
 * and ACKs). Recovery must come from SACK, RACK and probes, not from the
 * timer: fewer than one timeout per 1000 segments (seeded, so this is a
 * fixed number, not a timing). */
START_TEST(test_lossy_small_rtt)
{
    nt_pair p;
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    lc.seed = 11;
    lc.delay_ns = 50 * 1000;
    lc.loss_ppm = 50000;
    nt_pair_init(&p, &lc);
    uint64_t total = 4ull << 20;
    const char *e = getenv("MOTE_NET_TEST_MIB");
    if (e && *e)
        total = strtoull(e, NULL, 10) << 20;
    side a = {.total = total, .seed_out = 1, .seed_in = 2};
    side b = {.total = total, .seed_out = 2, .seed_in = 1};
    sd_srv v = {NULL, &b};
    int err;
    v.l = mote_net_tcp_listen(p.st[1], 7, 4, sd_accept, &v, &err);
    ck_assert_ptr_nonnull(v.l);
    a.f = mote_net_tcp_connect(p.st[0], NT_B, 7, sd_connected, &a, &err);
    ck_assert_ptr_nonnull(a.f);
    mote_flow_set_events(a.f, &sd_events, &a);
    uint64_t t0 = nt_now(&p);
    while (!(a.eof && b.eof) && !a.err && !b.err && nt_now(&p) - t0 < 3600 * MOTE_NS_PER_SEC)
        nt_run(&p, 10 * MOTE_NS_PER_MS);
    ck_assert_int_eq(a.err, 0);
    ck_assert_int_eq(b.err, 0);
    ck_assert(a.eof && b.eof);
    ck_assert_uint_eq(a.rcvd, total);
    ck_assert_uint_eq(b.rcvd, total);
    ck_assert(!a.bad && !b.bad);
    mote_net_counters c0, c1;
    mote_net_get_counters(p.st[0], &c0);
    mote_net_get_counters(p.st[1], &c1);
    uint64_t segs = 2 * total / 1400;
    uint64_t rto = c0.tcp_rto + c1.tcp_rto;
    if (getenv("NT_TRACE"))
        fprintf(stderr,
                "lossy small rtt: %.2f s simulated, rto %llu, probes %llu, rack %llu, "
                "retransmits %llu, dsacks %llu, undos %llu\n",
                (double)(nt_now(&p) - t0) / 1e9, (unsigned long long)rto,
                (unsigned long long)(c0.tcp_tail_probes + c1.tcp_tail_probes),
                (unsigned long long)(c0.tcp_rack_losses + c1.tcp_rack_losses),
                (unsigned long long)(c0.tcp_retransmits + c1.tcp_retransmits),
                (unsigned long long)(c0.tcp_dsacks_in + c1.tcp_dsacks_in),
                (unsigned long long)(c0.tcp_undos + c1.tcp_undos));
    ck_assert_uint_gt(c0.tcp_retransmits + c1.tcp_retransmits, 0);
    ck_assert_uint_gt(c0.tcp_rack_losses + c1.tcp_rack_losses, 0);
    ck_assert_uint_gt(c0.tcp_dsacks_in + c1.tcp_dsacks_in, 0); /* each side sends them */
    ck_assert_uint_lt(rto * 1000, segs);
    mote_flow_close(a.f);
    mote_flow_close(b.f);
    mote_net_listener_close(v.l);
    nt_run(&p, 200 * MOTE_NS_PER_SEC);
    nt_pair_free(&p);
}
END_TEST

static Suite *recovery_suite(void)
{
    Suite *s = suite_create("net-recovery");
    TCase *tc = tcase_create("recovery");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_rack_loss_on_dupack);
    tcase_add_test(tc, test_rack_loss_on_new_ack);
    tcase_add_test(tc, test_reordering_then_rule3);
    tcase_add_test(tc, test_probe_after_recovery);
    tcase_add_test(tc, test_probe_in_recovery);
    tcase_add_test(tc, test_limited_transmit);
    tcase_add_test(tc, test_dsack_undoes_timeout);
    tcase_add_test(tc, test_dsack_partial_keeps_reduction);
    tcase_add_test(tc, test_dsack_sent);
    tcase_add_test(tc, test_lossy_small_rtt);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(recovery_suite());
}
