/* test_net.c - libmote-net below TCP: addresses, ethernet, ARP, IPv4
 * (checksums, options, fragmentation, reassembly bounds), ICMPv4, UDP, the
 * in-memory link and the counters. */
#include "netutil.h"

#include "mote/net_dhcp.h"
#include "mote/net_pcap.h"

#include <stdio.h>
#include <unistd.h>

#define ME   MOTE_NET_IP4(192, 0, 2, 1)
#define PEER MOTE_NET_IP4(192, 0, 2, 9)

/* One stack at ME on a capturing netif, the gateway at .254. */
typedef nt_one one;

static void one_init(one *o, size_t mtu)
{
    mote_net_config base;
    mote_net_config_default(&base);
    base.gateway = MOTE_NET_IP4(192, 0, 2, 254);
    nt_one_init(o, &base, ME, 7, 5 * MOTE_NS_PER_SEC, mtu);
}

/* Lets the second gratuitous ARP go and forgets what was sent, for tests
 * that count the frames the stack sends over seconds. */
static void one_announced(one *o)
{
    mote_fakeclock_advance(o->fc, NT_ANNOUNCE_NS);
    nt_cap_clear(&o->cap);
}

static void one_free(one *o)
{
    nt_one_free(o);
}

static void feed(one *o, const uint8_t *f, size_t len)
{
    nt_one_feed(o, f, len);
}

/* Teaches the stack ip's MAC (NT_PEER_MAC) with an ARP request to ME. */
static void arp_teach(one *o, uint32_t ip)
{
    uint8_t f[60];
    nt_arp_request_from_peer(f, ip, ME);
    feed(o, f, sizeof f);
}

/* Checks the IPv4 header checksum and returns the IP header. */
static const uint8_t *check_ip(const uint8_t *f, size_t len, uint8_t proto)
{
    ck_assert_uint_ge(len, 34);
    ck_assert_uint_eq(mote_load_be16(f + 12), 0x0800);
    const uint8_t *ip = f + 14;
    ck_assert_uint_eq(ip[0], 0x45);
    ck_assert_uint_eq(ip[9], proto);
    ck_assert_uint_eq(nt_csum(ip, 20, 0), 0);
    ck_assert_uint_le(mote_load_be16(ip + 2) + 14u, len);
    return ip;
}

START_TEST(test_ip4_text)
{
    mote_net_ip4 a;
    char buf[16];
    ck_assert_int_eq(mote_net_ip4_parse("10.0.0.1", &a), 0);
    ck_assert_uint_eq(a, MOTE_NET_IP4(10, 0, 0, 1));
    ck_assert_int_eq(mote_net_ip4_parse("255.255.255.255", &a), 0);
    ck_assert_uint_eq(a, 0xffffffffu);
    ck_assert_int_eq(mote_net_ip4_format(MOTE_NET_IP4(198, 51, 100, 7), buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "198.51.100.7");
    ck_assert_int_eq(mote_net_ip4_format(a, buf, 15), MOTE_ENOSPC);
    const char *bad[] = {"",       "1.2.3",    "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
                         "1..2.3", "1.2.3.4 ", "a.b.c.d",   "1.2.3.-4",  "1234.1.1.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(mote_net_ip4_parse(bad[i], &a), MOTE_EDECODE);
}
END_TEST

START_TEST(test_config_checks)
{
    one o;
    one_init(&o, 1500);
    mote_net_config c = o.cfg;
    int err = 0;
    c.netmask = MOTE_NET_IP4(255, 0, 255, 0);
    ck_assert_ptr_null(mote_net_new(&c, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    c = o.cfg;
    c.clock = NULL;
    ck_assert_ptr_null(mote_net_new(&c, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    ck_assert_int_eq(mote_net_set_addr(o.s, ME, MOTE_NET_IP4(255, 255, 0, 255), 0), MOTE_EINVAL);
    one_free(&o);
}
END_TEST

/* Checks that frame f is an RFC 5227 ARP Announcement of ip from mac:
 * a broadcast ARP request with sender and target IP both ip and a zero
 * target hardware address. */
static void check_announcement(const uint8_t *f, size_t len, const uint8_t *mac, uint32_t ip)
{
    static const uint8_t zero[6] = {0};
    ck_assert_uint_eq(len, 60);
    ck_assert_mem_eq(f, "\xff\xff\xff\xff\xff\xff", 6);
    ck_assert_mem_eq(f + 6, mac, 6);
    ck_assert_uint_eq(mote_load_be16(f + 12), 0x0806);
    ck_assert_uint_eq(mote_load_be16(f + 14), 1);      /* ethernet */
    ck_assert_uint_eq(mote_load_be16(f + 16), 0x0800); /* IPv4 */
    ck_assert_uint_eq(f[18], 6);
    ck_assert_uint_eq(f[19], 4);
    ck_assert_uint_eq(mote_load_be16(f + 20), 1); /* request */
    ck_assert_mem_eq(f + 22, mac, 6);
    ck_assert_uint_eq(mote_load_be32(f + 28), ip);
    ck_assert_mem_eq(f + 32, zero, 6);
    ck_assert_uint_eq(mote_load_be32(f + 38), ip);
}

START_TEST(test_gratuitous_arp_on_start)
{
    one o;
    one_init(&o, 1500);
    uint64_t t0 = mote_clock_now(o.clk), next;
    /* ANNOUNCE_NUM 2: one now, the second ANNOUNCE_INTERVAL (2 s) later */
    ck_assert_uint_eq(o.cap.n, 1);
    check_announcement(o.cap.frame[0], o.cap.len[0], o.cap.nif.mac, ME);
    ck_assert_int_eq(mote_fakeclock_next(o.fc, &next), 0);
    ck_assert_uint_eq(next, t0 + 2 * MOTE_NS_PER_SEC);
    mote_fakeclock_advance(o.fc, 2 * MOTE_NS_PER_SEC - 1);
    ck_assert_uint_eq(o.cap.n, 1);
    mote_fakeclock_advance(o.fc, 1);
    ck_assert_uint_eq(o.cap.n, 2);
    check_announcement(o.cap.frame[1], o.cap.len[1], o.cap.nif.mac, ME);
    ck_assert_mem_eq(o.cap.frame[1], o.cap.frame[0], 60);
    /* and no more */
    ck_assert_int_eq(mote_fakeclock_next(o.fc, &next), MOTE_ENOTFOUND);
    mote_fakeclock_advance(o.fc, 30 * MOTE_NS_PER_SEC);
    ck_assert_uint_eq(o.cap.n, 2);
    mote_net_counters c;
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_eq(c.arp_out, 2);
    nt_cap_clear(&o.cap);

    /* a new address: announced the same way */
    ck_assert_int_eq(mote_net_set_addr(o.s, PEER, MOTE_NET_IP4(255, 255, 255, 0), 0), 0);
    ck_assert_uint_eq(o.cap.n, 1);
    check_announcement(o.cap.frame[0], o.cap.len[0], o.cap.nif.mac, PEER);
    mote_fakeclock_advance(o.fc, MOTE_NS_PER_SEC);
    /* changed again halfway: the old address's second announcement is
     * dropped, the new one's schedule starts over */
    ck_assert_int_eq(mote_net_set_addr(o.s, ME, MOTE_NET_IP4(255, 255, 255, 0), 0), 0);
    ck_assert_uint_eq(o.cap.n, 2);
    check_announcement(o.cap.frame[1], o.cap.len[1], o.cap.nif.mac, ME);
    mote_fakeclock_advance(o.fc, 2 * MOTE_NS_PER_SEC - 1);
    ck_assert_uint_eq(o.cap.n, 2);
    mote_fakeclock_advance(o.fc, 1);
    ck_assert_uint_eq(o.cap.n, 3);
    check_announcement(o.cap.frame[2], o.cap.len[2], o.cap.nif.mac, ME);
    mote_fakeclock_advance(o.fc, 10 * MOTE_NS_PER_SEC);
    ck_assert_uint_eq(o.cap.n, 3);
    nt_cap_clear(&o.cap);

    /* dropping the address cancels the announcement still due */
    ck_assert_int_eq(mote_net_set_addr(o.s, PEER, MOTE_NET_IP4(255, 255, 255, 0), 0), 0);
    ck_assert_uint_eq(o.cap.n, 1);
    ck_assert_int_eq(mote_net_set_addr(o.s, 0, 0, 0), 0);
    ck_assert_int_eq(mote_fakeclock_next(o.fc, &next), MOTE_ENOTFOUND);
    mote_fakeclock_advance(o.fc, 10 * MOTE_NS_PER_SEC);
    ck_assert_uint_eq(o.cap.n, 1);
    ck_assert_int_eq(mote_net_announce(o.s), MOTE_ESTATE);
    one_free(&o);
}
END_TEST

START_TEST(test_arp_reply)
{
    one o;
    one_init(&o, 1500);
    nt_cap_clear(&o.cap);
    arp_teach(&o, PEER);
    ck_assert_uint_eq(o.cap.n, 1);
    const uint8_t *f = o.cap.frame[0];
    ck_assert_mem_eq(f, NT_PEER_MAC, 6);
    ck_assert_uint_eq(mote_load_be16(f + 20), 2);
    ck_assert_mem_eq(f + 22, o.cap.nif.mac, 6);
    ck_assert_uint_eq(mote_load_be32(f + 28), ME);
    ck_assert_mem_eq(f + 32, NT_PEER_MAC, 6);
    ck_assert_uint_eq(mote_load_be32(f + 38), PEER);
    nt_cap_clear(&o.cap);

    /* a request for someone else is not answered; a short or odd one is bad */
    uint8_t g[60];
    memcpy(g, f, 0);
    arp_teach(&o, PEER);
    nt_cap_clear(&o.cap);
    memcpy(g, o.cap.nif.mac, 0);
    uint8_t req[60] = {0};
    memset(req, 0xff, 6);
    memcpy(req + 6, NT_PEER_MAC, 6);
    req[12] = 8;
    req[13] = 6;
    mote_store_be16(req + 14, 1);
    mote_store_be16(req + 16, 0x0800);
    req[18] = 6;
    req[19] = 4;
    mote_store_be16(req + 20, 1);
    memcpy(req + 22, NT_PEER_MAC, 6);
    mote_store_be32(req + 28, PEER);
    mote_store_be32(req + 38, MOTE_NET_IP4(192, 0, 2, 77));
    feed(&o, req, sizeof req);
    ck_assert_uint_eq(o.cap.n, 0);
    req[18] = 8; /* hlen 8 */
    mote_store_be32(req + 38, ME);
    feed(&o, req, sizeof req);
    ck_assert_uint_eq(o.cap.n, 0);
    feed(&o, req, 30); /* truncated */
    ck_assert_uint_eq(o.cap.n, 0);
    mote_net_counters c;
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_eq(c.arp_drop_bad, 2);
    ck_assert_uint_eq(c.arp_requests_in, 2);
    one_free(&o);
}
END_TEST

static void echo_cb(void *arg, mote_net_ip4 from, uint16_t id, uint16_t seq, const uint8_t *d,
                    size_t len)
{
    (void)from;
    size_t *got = arg;
    got[0]++;
    got[1] = id;
    got[2] = seq;
    got[3] = len;
    for (size_t i = 0; i < len; i++)
        ck_assert_uint_eq(d[i], (uint8_t)(i * 7));
}

START_TEST(test_arp_pending_queue_and_timeout)
{
    one o;
    one_init(&o, 1500);
    one_announced(&o);
    uint8_t data[32];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(mote_net_ping(o.s, PEER, 1, (uint16_t)i, data, sizeof data), 0);
    /* one request, frames held */
    ck_assert_uint_eq(o.cap.n, 1);
    ck_assert_uint_eq(mote_load_be16(o.cap.frame[0] + 12), 0x0806);
    ck_assert_uint_eq(mote_load_be32(o.cap.frame[0] + 38), PEER);
    nt_cap_clear(&o.cap);
    /* the reply releases the three frames, in order, to the right MAC */
    uint8_t rep[60] = {0};
    memcpy(rep, o.cap.nif.mac, 6);
    memcpy(rep + 6, NT_PEER_MAC, 6);
    rep[12] = 8;
    rep[13] = 6;
    mote_store_be16(rep + 14, 1);
    mote_store_be16(rep + 16, 0x0800);
    rep[18] = 6;
    rep[19] = 4;
    mote_store_be16(rep + 20, 2);
    memcpy(rep + 22, NT_PEER_MAC, 6);
    mote_store_be32(rep + 28, PEER);
    memcpy(rep + 32, o.cap.nif.mac, 6);
    mote_store_be32(rep + 38, ME);
    feed(&o, rep, sizeof rep);
    ck_assert_uint_eq(o.cap.n, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_mem_eq(o.cap.frame[i], NT_PEER_MAC, 6);
        const uint8_t *ip = check_ip(o.cap.frame[i], o.cap.len[i], 1);
        ck_assert_uint_eq(mote_load_be16(ip + 20 + 6), (uint16_t)i);
    }
    nt_cap_clear(&o.cap);

    /* an address nobody answers: 3 requests a second apart, then dropped */
    mote_net_ip4 ghost = MOTE_NET_IP4(192, 0, 2, 50);
    ck_assert_int_eq(mote_net_ping(o.s, ghost, 1, 1, data, 8), 0);
    ck_assert_uint_eq(o.cap.n, 1);
    mote_fakeclock_advance(o.fc, 10 * MOTE_NS_PER_SEC);
    ck_assert_uint_eq(o.cap.n, 3);
    mote_net_counters c;
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_eq(c.arp_timeouts, 1);
    ck_assert_uint_eq(c.arp_pending_drop, 1);
    uint64_t dl;
    ck_assert_int_eq(mote_fakeclock_next(o.fc, &dl), MOTE_ENOTFOUND);

    /* the pending queue is bounded */
    nt_cap_clear(&o.cap);
    for (int i = 0; i < 40; i++)
        mote_net_ping(o.s, ghost, 1, (uint16_t)i, data, 8);
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_eq(c.arp_pending_drop, 1 + 40 - o.cfg.arp_pending_max);
    one_free(&o);
}
END_TEST

START_TEST(test_arp_entry_expires)
{
    one o;
    one_init(&o, 1500);
    one_announced(&o);
    arp_teach(&o, PEER);
    nt_cap_clear(&o.cap);
    uint8_t d[8] = {0};
    mote_net_ping(o.s, PEER, 1, 1, d, 8);
    ck_assert_uint_eq(o.cap.n, 1);
    ck_assert_uint_eq(mote_load_be16(o.cap.frame[0] + 12), 0x0800);
    nt_cap_clear(&o.cap);
    /* stale: still used, but refreshed with a request */
    mote_fakeclock_advance(o.fc, 61 * MOTE_NS_PER_SEC);
    mote_net_ping(o.s, PEER, 1, 2, d, 8);
    ck_assert_uint_eq(o.cap.n, 2);
    ck_assert_uint_eq(mote_load_be16(o.cap.frame[0] + 12), 0x0806);
    ck_assert_uint_eq(mote_load_be16(o.cap.frame[1] + 12), 0x0800);
    nt_cap_clear(&o.cap);
    /* unanswered for long: forgotten, the frame waits for a new answer */
    mote_fakeclock_advance(o.fc, 10 * MOTE_NS_PER_SEC);
    mote_net_ping(o.s, PEER, 1, 3, d, 8);
    ck_assert_uint_eq(o.cap.n, 1);
    ck_assert_uint_eq(mote_load_be16(o.cap.frame[0] + 12), 0x0806);
    one_free(&o);
}
END_TEST

START_TEST(test_gateway_route)
{
    one o;
    one_init(&o, 1500);
    nt_cap_clear(&o.cap);
    uint8_t d[8] = {0};
    ck_assert_int_eq(mote_net_ping(o.s, MOTE_NET_IP4(198, 51, 100, 1), 1, 1, d, 8), 0);
    ck_assert_uint_eq(o.cap.n, 1);
    ck_assert_uint_eq(mote_load_be32(o.cap.frame[0] + 38), MOTE_NET_IP4(192, 0, 2, 254));
    mote_net_set_addr(o.s, ME, MOTE_NET_IP4(255, 255, 255, 0), 0);
    ck_assert_int_eq(mote_net_ping(o.s, MOTE_NET_IP4(198, 51, 100, 1), 1, 1, d, 8), MOTE_EUNREACH);
    one_free(&o);
}
END_TEST

/* An echo request from PEER with the given IP option bytes. */
static size_t echo_req(uint8_t *f, uint32_t dst, size_t optlen, size_t plen)
{
    size_t off = nt_ip(f, (const uint8_t *)"\x02\xaa\x00\x00\x00\x01", PEER, dst, 1, 8 + plen,
                       0x1234, 0, optlen);
    uint8_t *ic = f + off;
    ic[0] = 8;
    ic[1] = 0;
    ic[2] = ic[3] = 0;
    mote_store_be16(ic + 4, 0xbeef);
    mote_store_be16(ic + 6, 3);
    for (size_t i = 0; i < plen; i++)
        ic[8 + i] = (uint8_t)(i * 7);
    mote_store_be16(ic + 2, nt_csum(ic, 8 + plen, 0));
    return off + 8 + plen;
}

START_TEST(test_icmp_echo_reply)
{
    one o;
    one_init(&o, 1500);
    arp_teach(&o, PEER);
    nt_cap_clear(&o.cap);
    uint8_t f[1600];
    size_t n = echo_req(f, ME, 0, 56);
    feed(&o, f, n);
    ck_assert_uint_eq(o.cap.n, 1);
    const uint8_t *ip = check_ip(o.cap.frame[0], o.cap.len[0], 1);
    ck_assert_uint_eq(mote_load_be32(ip + 12), ME);
    ck_assert_uint_eq(mote_load_be32(ip + 16), PEER);
    const uint8_t *ic = ip + 20;
    ck_assert_uint_eq(ic[0], 0);
    ck_assert_uint_eq(nt_csum(ic, 64, 0), 0);
    ck_assert_uint_eq(mote_load_be16(ic + 4), 0xbeef);
    ck_assert_uint_eq(mote_load_be16(ic + 6), 3);
    ck_assert_mem_eq(ic + 8, f + 34 + 8, 56);
    nt_cap_clear(&o.cap);

    /* options are skipped */
    n = echo_req(f, ME, 8, 20);
    feed(&o, f, n);
    ck_assert_uint_eq(o.cap.n, 1);
    nt_cap_clear(&o.cap);

    /* bad ICMP checksum, bad IP checksum, short total length, ihl < 5,
     * echo to broadcast: no reply */
    n = echo_req(f, ME, 0, 20);
    f[n - 1] ^= 1;
    feed(&o, f, n);
    n = echo_req(f, ME, 0, 20);
    f[14 + 8] = 1; /* TTL changed, checksum stale */
    feed(&o, f, n);
    n = echo_req(f, ME, 0, 20);
    feed(&o, f, n - 1);
    n = echo_req(f, ME, 0, 20);
    f[14] = 0x44;
    mote_store_be16(f + 24, 0);
    mote_store_be16(f + 24, nt_csum(f + 14, 20, 0));
    feed(&o, f, n);
    n = echo_req(f, MOTE_NET_IP4(192, 0, 2, 255), 0, 20);
    memset(f, 0xff, 6);
    feed(&o, f, n);
    n = echo_req(f, MOTE_NET_IP4(192, 0, 2, 99), 0, 20); /* not ours */
    feed(&o, f, n);
    ck_assert_uint_eq(o.cap.n, 0);
    mote_net_counters c;
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_eq(c.icmp_drop_bad, 1);
    ck_assert_uint_eq(c.ip_drop_checksum, 1);
    ck_assert_uint_eq(c.ip_drop_header, 2);
    ck_assert_uint_eq(c.ip_drop_dst, 1);
    ck_assert_uint_eq(c.icmp_echo_in, 3);
    one_free(&o);
}
END_TEST

START_TEST(test_protocol_unreachable_and_rate_limit)
{
    one o;
    one_init(&o, 1500);
    arp_teach(&o, PEER);
    nt_cap_clear(&o.cap);
    uint8_t f[200];
    size_t off = nt_ip(f, o.cap.nif.mac, PEER, ME, 99, 16, 7, 0, 0);
    memset(f + off, 0x5a, 16);
    feed(&o, f, off + 16);
    ck_assert_uint_eq(o.cap.n, 1);
    const uint8_t *ip = check_ip(o.cap.frame[0], o.cap.len[0], 1);
    ck_assert_uint_eq(ip[20], 3);
    ck_assert_uint_eq(ip[21], 2);
    ck_assert_uint_eq(nt_csum(ip + 20, mote_load_be16(ip + 2) - 20u, 0), 0);
    ck_assert_mem_eq(ip + 28, f + 14, 36); /* the whole offending packet */
    nt_cap_clear(&o.cap);
    for (int i = 0; i < 200; i++)
        feed(&o, f, off + 16);
    ck_assert_uint_eq(o.cap.n, 99);
    nt_cap_clear(&o.cap);
    mote_fakeclock_advance(o.fc, MOTE_NS_PER_SEC);
    feed(&o, f, off + 16);
    ck_assert_uint_eq(o.cap.n, 1);
    one_free(&o);
}
END_TEST

START_TEST(test_tcp_closed_port_rst)
{
    one o;
    one_init(&o, 1500);
    arp_teach(&o, PEER);
    nt_cap_clear(&o.cap);
    uint8_t f[200];
    size_t off = nt_ip(f, o.cap.nif.mac, PEER, ME, 6, 20, 7, 0, 0);
    uint8_t *t = f + off;
    memset(t, 0, 20);
    mote_store_be16(t, 40000);
    mote_store_be16(t + 2, 81);
    mote_store_be32(t + 4, 1000);
    t[12] = 0x50;
    t[13] = 0x02; /* SYN */
    mote_store_be16(t + 14, 1000);
    mote_store_be16(t + 16, nt_csum(t, 20, nt_pseudo(PEER, ME, 6, 20)));
    feed(&o, f, off + 20);
    ck_assert_uint_eq(o.cap.n, 1);
    const uint8_t *ip = check_ip(o.cap.frame[0], o.cap.len[0], 6);
    const uint8_t *r = ip + 20;
    ck_assert_uint_eq(nt_csum(r, 20, nt_pseudo(ME, PEER, 6, 20)), 0);
    ck_assert_uint_eq(mote_load_be16(r), 81);
    ck_assert_uint_eq(mote_load_be16(r + 2), 40000);
    ck_assert_uint_eq(mote_load_be32(r + 4), 0);
    ck_assert_uint_eq(mote_load_be32(r + 8), 1001);
    ck_assert_uint_eq(r[13], 0x14);
    nt_cap_clear(&o.cap);
    /* an ACK segment gets <SEQ=SEG.ACK><RST> */
    t[13] = 0x10;
    mote_store_be32(t + 8, 777);
    mote_store_be16(t + 16, 0);
    mote_store_be16(t + 16, nt_csum(t, 20, nt_pseudo(PEER, ME, 6, 20)));
    feed(&o, f, off + 20);
    ck_assert_uint_eq(o.cap.n, 1);
    r = o.cap.frame[0] + 34;
    ck_assert_uint_eq(mote_load_be32(r + 4), 777);
    ck_assert_uint_eq(r[13], 0x04);
    nt_cap_clear(&o.cap);
    /* a RST is never answered; a bad checksum is dropped */
    t[13] = 0x04;
    feed(&o, f, off + 20);
    t[13] = 0x02;
    feed(&o, f, off + 20);
    ck_assert_uint_eq(o.cap.n, 0);
    one_free(&o);
}
END_TEST

/* Fragment builder: payload bytes [off, off+len) of a datagram whose
 * payload byte i is (i * 13) & 255, with an ICMP echo header at 0. */
static size_t frag(one *o, uint8_t *f, const uint8_t *payload, uint16_t id, size_t off, size_t len,
                   int more)
{
    size_t p = nt_ip(f, o->cap.nif.mac, PEER, ME, 1, len, id,
                     (uint16_t)((more ? 0x2000 : 0) | off / 8), 0);
    memcpy(f + p, payload + off, len);
    return p + len;
}

static uint8_t *make_echo(size_t total)
{
    uint8_t *p = malloc(total);
    for (size_t i = 0; i < total; i++)
        p[i] = (uint8_t)(i * 13);
    p[0] = 8;
    p[1] = 0;
    p[2] = p[3] = 0;
    mote_store_be16(p + 4, 9);
    mote_store_be16(p + 6, 9);
    mote_store_be16(p + 2, nt_csum(p, total, 0));
    return p;
}

START_TEST(test_reassembly_any_order)
{
    one o;
    one_init(&o, 1500);
    arp_teach(&o, PEER);
    nt_cap_clear(&o.cap);
    size_t total = 3000;
    uint8_t *pl = make_echo(total);
    uint8_t f[1600];
    /* last first, a duplicate in the middle, then the rest */
    feed(&o, f, frag(&o, f, pl, 1, 2400, 600, 0));
    feed(&o, f, frag(&o, f, pl, 1, 1200, 1200, 1));
    feed(&o, f, frag(&o, f, pl, 1, 1200, 1200, 1));
    ck_assert_uint_eq(o.cap.n, 0);
    feed(&o, f, frag(&o, f, pl, 1, 0, 1200, 1));
    /* the reply of 3000 bytes leaves in fragments of at most 1480 */
    ck_assert_uint_eq(o.cap.n, 3);
    size_t got = 0;
    for (size_t i = 0; i < o.cap.n; i++) {
        const uint8_t *ip = check_ip(o.cap.frame[i], o.cap.len[i], 1);
        size_t l = mote_load_be16(ip + 2) - 20u;
        ck_assert_uint_le(l + 20, 1500);
        ck_assert_uint_eq((mote_load_be16(ip + 6) & 0x1fff) * 8u, got);
        ck_assert_uint_eq((mote_load_be16(ip + 6) & 0x2000) != 0, i + 1 < o.cap.n);
        if (i > 0)
            ck_assert_mem_eq(ip + 20, pl + got, l);
        got += l;
    }
    ck_assert_uint_eq(got, total);
    mote_net_counters c;
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_eq(c.ip_reasm_ok, 1);
    ck_assert_uint_eq(c.ip_frag_out, 3);
    free(pl);
    one_free(&o);
}
END_TEST

START_TEST(test_reassembly_bounds)
{
    one o;
    one_init(&o, 1500);
    arp_teach(&o, PEER);
    nt_cap_clear(&o.cap);
    uint8_t *pl = make_echo(65535);
    uint8_t f[1600];
    mote_net_counters c;

    /* overlapping fragments spoil the datagram */
    feed(&o, f, frag(&o, f, pl, 2, 0, 800, 1));
    feed(&o, f, frag(&o, f, pl, 2, 400, 800, 1));
    feed(&o, f, frag(&o, f, pl, 2, 1200, 100, 0));
    ck_assert_uint_eq(o.cap.n, 0);
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_eq(c.ip_reasm_drop, 1);

    /* past 65535 bytes (the ping of death) */
    feed(&o, f, frag(&o, f, pl, 3, 0, 800, 1));
    feed(&o, f, frag(&o, f, pl, 3, 65000, 520, 0));
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_eq(c.ip_reasm_drop, 2);

    /* a non-final fragment whose length is not a multiple of 8 */
    feed(&o, f, frag(&o, f, pl, 4, 0, 801, 1));
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_eq(c.ip_reasm_drop, 3);

    /* too many fragments for one datagram (limit 64) */
    for (int i = 0; i < 70; i++)
        feed(&o, f, frag(&o, f, pl, 5, (size_t)i * 16, 8, 1));
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_ge(c.ip_reasm_drop, 4);

    /* too many datagrams at once: the oldest go */
    uint64_t before = c.ip_reasm_drop;
    for (int i = 0; i < 40; i++) {
        mote_fakeclock_advance(o.fc, MOTE_NS_PER_MS);
        feed(&o, f, frag(&o, f, pl, (uint16_t)(100 + i), 0, 8, 1));
    }
    mote_net_get_counters(o.s, &c);
    /* two remnants were live before: id 2's last fragment and id 5's tail */
    ck_assert_uint_eq(c.ip_reasm_drop - before, 40 - o.cfg.reasm_max_datagrams + 2);

    /* memory: fragments beyond 256 KiB in total evict older datagrams */
    before = c.ip_reasm_drop;
    for (int d = 0; d < 8; d++)
        for (int i = 0; i < 40; i++)
            feed(&o, f, frag(&o, f, pl, (uint16_t)(200 + d), (size_t)i * 1200, 1200, 1));
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_gt(c.ip_reasm_drop, before);

    /* time: an incomplete datagram with its first fragment expires with
     * an ICMP time exceeded (type 11, code 1) */
    nt_cap_clear(&o.cap);
    feed(&o, f, frag(&o, f, pl, 300, 0, 1200, 1));
    mote_fakeclock_advance(o.fc, 31 * MOTE_NS_PER_SEC);
    mote_net_get_counters(o.s, &c);
    ck_assert_uint_ge(c.ip_reasm_timeout, 1);
    int saw = 0;
    for (size_t i = 0; i < o.cap.n; i++) {
        const uint8_t *ip = o.cap.frame[i] + 14;
        if (mote_load_be16(o.cap.frame[i] + 12) == 0x800 && ip[9] == 1 && ip[20] == 11 &&
            ip[21] == 1 && mote_load_be16(ip + 28 + 4) == 300)
            saw = 1;
    }
    ck_assert(saw);
    uint64_t dl;
    ck_assert_int_eq(mote_fakeclock_next(o.fc, &dl), MOTE_ENOTFOUND);
    free(pl);
    one_free(&o);
}
END_TEST

/* ---- two stacks ---- */

START_TEST(test_pair_ping_and_big_ping)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    size_t got[4] = {0};
    mote_net_config c = p.cfg[0];
    (void)c;
    /* a fresh stack 0 with the echo callback */
    mote_net_free(p.st[0]);
    p.cfg[0].on_echo_reply = echo_cb;
    p.cfg[0].echo_arg = got;
    int err;
    p.st[0] = mote_net_new(&p.cfg[0], &err);
    ck_assert_ptr_nonnull(p.st[0]);
    uint8_t data[8000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    ck_assert_int_eq(mote_net_ping(p.st[0], NT_B, 77, 1, data, 56), 0);
    nt_run(&p, MOTE_NS_PER_SEC);
    ck_assert_uint_eq(got[0], 1);
    ck_assert_uint_eq(got[1], 77);
    ck_assert_uint_eq(got[2], 1);
    ck_assert_uint_eq(got[3], 56);
    ck_assert_int_eq(mote_net_ping(p.st[0], NT_B, 77, 2, data, sizeof data), 0);
    nt_run(&p, MOTE_NS_PER_SEC);
    ck_assert_uint_eq(got[0], 2);
    ck_assert_uint_eq(got[3], sizeof data);
    ck_assert_int_eq(mote_net_ping(p.st[0], NT_B, 1, 1, data, 65508), MOTE_ELIMIT);
    nt_pair_free(&p);
}
END_TEST

typedef struct udp_rx {
    size_t count, bytes, errors;
    int last_err;
    uint32_t last_src;
    uint16_t last_sport;
    uint8_t last[70000];
    size_t last_len;
    mote_net_udp *echo; /* echoes back when set */
} udp_rx;

static void udp_recv(void *arg, mote_net_udp *u, mote_net_ip4 src, uint16_t sport, const uint8_t *d,
                     size_t len)
{
    udp_rx *r = arg;
    r->count++;
    r->bytes += len;
    r->last_src = src;
    r->last_sport = sport;
    memcpy(r->last, d, len);
    r->last_len = len;
    if (r->echo)
        ck_assert_int_eq(mote_net_udp_sendto(u, src, sport, d, len), 0);
}

static void udp_err(void *arg, mote_net_udp *u, mote_net_ip4 dst, uint16_t dport, int err)
{
    (void)u, (void)dst, (void)dport;
    udp_rx *r = arg;
    r->errors++;
    r->last_err = err;
}

START_TEST(test_udp_echo_and_unreachable)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    static udp_rx ra, rb;
    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    mote_net_udp_events ev = {udp_recv, udp_err};
    int err;
    mote_net_udp *ua = mote_net_udp_open(p.st[0], 0, &ev, &ra, &err);
    ck_assert_ptr_nonnull(ua);
    ck_assert_uint_ge(mote_net_udp_port(ua), 49152);
    mote_net_udp *ub = mote_net_udp_open(p.st[1], 7, &ev, &rb, &err);
    ck_assert_ptr_nonnull(ub);
    ck_assert_ptr_null(mote_net_udp_open(p.st[1], 7, &ev, &rb, &err));
    ck_assert_int_eq(err, MOTE_EADDRINUSE);
    rb.echo = ub;
    ck_assert_int_eq(mote_net_udp_sendto(ua, NT_B, 7, "hello", 5), 0);
    nt_run(&p, MOTE_NS_PER_SEC);
    ck_assert_uint_eq(rb.count, 1);
    ck_assert_uint_eq(rb.last_src, NT_A);
    ck_assert_uint_eq(rb.last_sport, mote_net_udp_port(ua));
    ck_assert_uint_eq(ra.count, 1);
    ck_assert_mem_eq(ra.last, "hello", 5);
    /* a big datagram through fragmentation and reassembly */
    static uint8_t big[65507];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 31 + 5);
    ck_assert_int_eq(mote_net_udp_sendto(ua, NT_B, 7, big, sizeof big), 0);
    nt_run(&p, MOTE_NS_PER_SEC);
    ck_assert_uint_eq(ra.count, 2);
    ck_assert_uint_eq(ra.last_len, sizeof big);
    ck_assert_mem_eq(ra.last, big, sizeof big);
    ck_assert_int_eq(mote_net_udp_sendto(ua, NT_B, 7, big, sizeof big + 1), MOTE_ELIMIT);
    /* to a closed port: ICMP port unreachable reaches the sender's socket */
    ck_assert_int_eq(mote_net_udp_sendto(ua, NT_B, 9999, "x", 1), 0);
    nt_run(&p, MOTE_NS_PER_SEC);
    ck_assert_uint_eq(ra.errors, 1);
    ck_assert_int_eq(ra.last_err, MOTE_ECONNREFUSED);
    mote_net_counters c;
    mote_net_get_counters(p.st[1], &c);
    ck_assert_uint_eq(c.udp_no_port, 1);
    ck_assert_uint_eq(c.icmp_unreach_out, 1);
    /* close frees the port */
    mote_net_udp_close(ub);
    ub = mote_net_udp_open(p.st[1], 7, &ev, &rb, &err);
    ck_assert_ptr_nonnull(ub);
    mote_net_udp_close(ub);
    mote_net_udp_close(ua);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_udp_fragments_through_faults)
{
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    lc.seed = 99;
    lc.reorder_ppm = 200000;
    lc.dup_ppm = 100000;
    lc.delay_ns = MOTE_NS_PER_MS;
    lc.jitter_ns = MOTE_NS_PER_MS;
    nt_pair p;
    nt_pair_init(&p, &lc);
    static udp_rx ra, rb;
    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    mote_net_udp_events ev = {udp_recv, udp_err};
    int err;
    mote_net_udp *ua = mote_net_udp_open(p.st[0], 5000, &ev, &ra, &err);
    mote_net_udp *ub = mote_net_udp_open(p.st[1], 5001, &ev, &rb, &err);
    static uint8_t big[20000];
    size_t ok = 0;
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof big; i++)
            big[i] = (uint8_t)(i * 3 + (size_t)round);
        size_t before = rb.count;
        ck_assert_int_eq(mote_net_udp_sendto(ua, NT_B, 5001, big, sizeof big), 0);
        nt_run(&p, 100 * MOTE_NS_PER_MS);
        if (rb.count > before) {
            ck_assert_uint_eq(rb.last_len, sizeof big);
            ck_assert_mem_eq(rb.last, big, sizeof big);
            ok++;
        }
    }
    /* duplicates of a whole datagram may be delivered twice by UDP, but
     * every delivered one is whole, and reordering loses none */
    ck_assert_uint_ge(ok, 20);
    mote_net_link_stats st;
    mote_net_link_get_stats(p.link, 0, &st);
    ck_assert_uint_gt(st.reordered, 0);
    ck_assert_uint_gt(st.duplicated, 0);
    mote_net_udp_close(ua);
    mote_net_udp_close(ub);
    nt_pair_free(&p);
}
END_TEST

START_TEST(test_link_faults_deterministic)
{
    uint64_t seen[2][4];
    for (int run = 0; run < 2; run++) {
        mote_net_link_config lc;
        mote_net_link_config_default(&lc);
        lc.seed = 12345;
        lc.loss_ppm = 100000;
        lc.dup_ppm = 10000;
        lc.reorder_ppm = 50000;
        lc.corrupt_ppm = 1000;
        nt_pair p;
        nt_pair_init(&p, NULL);
        uint8_t d[100] = {0};
        mote_net_ping(p.st[0], NT_B, 1, 0, d, sizeof d); /* resolve ARP first */
        nt_run(&p, MOTE_NS_PER_SEC);
        mote_net_link_set_faults(p.link, &lc);
        for (int i = 0; i < 2000; i++)
            mote_net_ping(p.st[0], NT_B, 1, (uint16_t)i, d, sizeof d);
        nt_run(&p, MOTE_NS_PER_SEC);
        mote_net_link_stats st;
        mote_net_link_get_stats(p.link, 0, &st);
        seen[run][0] = st.lost;
        seen[run][1] = st.duplicated;
        seen[run][2] = st.reordered;
        seen[run][3] = st.corrupted;
        ck_assert_uint_gt(st.lost, 100);
        ck_assert_uint_lt(st.lost, 400);
        ck_assert_uint_gt(st.reordered, 40);
        nt_pair_free(&p);
    }
    ck_assert_mem_eq(seen[0], seen[1], sizeof seen[0]);
}
END_TEST

START_TEST(test_counters_text)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    uint8_t d[8] = {0};
    mote_net_ping(p.st[0], NT_B, 1, 1, d, 8);
    nt_run(&p, MOTE_NS_PER_SEC);
    mote_buf b;
    mote_buf_init(&b, 0);
    ck_assert_int_eq(mote_net_format_counters(p.st[1], &b), 0);
    ck_assert_ptr_nonnull(strstr((char *)b.data, "icmp.echo_in 1\n"));
    ck_assert_ptr_nonnull(strstr((char *)b.data, "arp.requests_in 1\n"));
    ck_assert_ptr_nonnull(strstr((char *)b.data, "tcp.retransmits 0\n"));
    mote_buf_free(&b);
    nt_pair_free(&p);
}
END_TEST

static int mem_write(void *arg, const void *d, size_t len)
{
    return mote_buf_append(arg, d, len);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

START_TEST(test_pcap_recorder)
{
    mote_time t0 = {1700000000, 0};
    mote_fakeclock *fc = mote_fakeclock_new(MOTE_NS_PER_SEC, t0);
    mote_clock *clk = mote_fakeclock_clock(fc);
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    int err;
    mote_net_link *link = mote_net_link_new(clk, &lc, &err);
    mote_buf out;
    mote_buf_init(&out, 0);
    mote_net_pcap *pc =
        mote_net_pcap_new(mote_net_link_end(link, 0), clk, mem_write, &out, 0, &err);
    ck_assert_ptr_nonnull(pc);
    ck_assert_uint_eq(out.len, 24);
    ck_assert_uint_eq(le32(out.data), 0xa1b2c3d4u);
    ck_assert_uint_eq(le32(out.data + 20), 1);
    mote_seeded_rng r[2];
    mote_net *st[2];
    mote_net_config cfg;
    for (int i = 0; i < 2; i++) {
        mote_net_config_default(&cfg);
        mote_seeded_rng_init(&r[i], (uint64_t)i);
        cfg.netif = i ? mote_net_link_end(link, 1) : mote_net_pcap_netif(pc);
        cfg.clock = clk;
        cfg.rng = &r[i].rng;
        cfg.addr = i ? NT_B : NT_A;
        cfg.netmask = MOTE_NET_IP4(255, 255, 255, 0);
        st[i] = mote_net_new(&cfg, &err);
        ck_assert_ptr_nonnull(st[i]);
    }
    uint8_t d[32] = {0};
    ck_assert_int_eq(mote_net_ping(st[0], NT_B, 1, 1, d, sizeof d), 0);
    mote_fakeclock_run(fc, 2 * MOTE_NS_PER_SEC, 1000);
    /* our gratuitous ARP, B's gratuitous ARP, request, reply, echo, reply */
    ck_assert_uint_eq(mote_net_pcap_frames(pc), 6);
    size_t off = 24, n = 0;
    while (off + 16 <= out.len) {
        uint32_t incl = le32(out.data + off + 8), orig = le32(out.data + off + 12);
        ck_assert_uint_eq(incl, orig);
        ck_assert_uint_eq(le32(out.data + off), 1700000000u);
        off += 16 + incl;
        n++;
    }
    ck_assert_uint_eq(off, out.len);
    ck_assert_uint_eq(n, 6);
    if (tu_have_program("tcpdump")) {
        char path[] = "/tmp/mote-net-pcap-XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        FILE *f = fdopen(fd, "wb");
        fwrite(out.data, 1, out.len, f);
        fclose(f);
        char cmd[256];
        snprintf(cmd, sizeof cmd, "tcpdump -nn -r %s 2>/dev/null | grep -c 'ICMP echo'", path);
        FILE *pp = popen(cmd, "r");
        char line[32] = {0};
        ck_assert_ptr_nonnull(fgets(line, sizeof line, pp));
        pclose(pp);
        unlink(path);
        ck_assert_int_eq(atoi(line), 2);
    }
    for (int i = 0; i < 2; i++)
        mote_net_free(st[i]);
    mote_net_pcap_free(pc);
    mote_net_link_free(link);
    mote_fakeclock_free(fc);
    mote_buf_free(&out);
}
END_TEST

/* ---- DHCP against a small server on the other stack ---- */

typedef struct fake_dhcp {
    mote_net_udp *u;
    int silent, nak;
    unsigned seen[8];
    mote_net_ip4 last_ciaddr;
    uint32_t lease_s;
} fake_dhcp;

static const uint8_t *dopt(const uint8_t *m, size_t len, uint8_t code)
{
    for (size_t i = 240; i + 1 < len;) {
        if (m[i] == 0) {
            i++;
            continue;
        }
        if (m[i] == 255)
            break;
        if (m[i] == code)
            return m + i;
        i += 2u + m[i + 1];
    }
    return NULL;
}

static void fake_recv(void *arg, mote_net_udp *u, mote_net_ip4 src, uint16_t sport,
                      const uint8_t *d, size_t len)
{
    (void)src, (void)sport;
    fake_dhcp *f = arg;
    ck_assert_uint_ge(len, 300);
    ck_assert_uint_eq(d[0], 1);
    ck_assert_uint_eq(mote_load_be32(d + 236), 0x63825363u);
    const uint8_t *t = dopt(d, len, 53);
    ck_assert_ptr_nonnull(t);
    uint8_t type = t[2];
    ck_assert_uint_lt(type, 8);
    f->seen[type]++;
    f->last_ciaddr = mote_load_be32(d + 12);
    if (f->silent || (type != 1 && type != 3))
        return;
    uint8_t r[300];
    memset(r, 0, sizeof r);
    r[0] = 2;
    r[1] = 1;
    r[2] = 6;
    memcpy(r + 4, d + 4, 4);    /* xid */
    memcpy(r + 28, d + 28, 16); /* chaddr */
    mote_store_be32(r + 16, MOTE_NET_IP4(10, 0, 0, 50));
    mote_store_be32(r + 236, 0x63825363u);
    size_t o = 240;
    uint8_t rt = type == 1 ? 2 : (f->nak ? 6 : 5);
    r[o++] = 53;
    r[o++] = 1;
    r[o++] = rt;
    r[o++] = 54;
    r[o++] = 4;
    mote_store_be32(r + o, NT_B);
    o += 4;
    if (rt != 6) {
        r[o++] = 1;
        r[o++] = 4;
        mote_store_be32(r + o, MOTE_NET_IP4(255, 255, 255, 0));
        o += 4;
        r[o++] = 3;
        r[o++] = 4;
        mote_store_be32(r + o, NT_B);
        o += 4;
        r[o++] = 51;
        r[o++] = 4;
        mote_store_be32(r + o, f->lease_s);
        o += 4;
    }
    r[o++] = 255;
    mote_net_ip4 to = f->last_ciaddr ? f->last_ciaddr : 0xffffffffu;
    ck_assert_int_eq(mote_net_udp_sendto(u, to, 68, r, sizeof r), 0);
}

typedef struct dhcp_ev {
    int bound, renewed, lost;
    mote_net_dhcp_lease last;
} dhcp_ev;

static void dhcp_cb(void *arg, int event, const mote_net_dhcp_lease *l)
{
    dhcp_ev *e = arg;
    if (event == MOTE_NET_DHCP_BOUND)
        e->bound++;
    else if (event == MOTE_NET_DHCP_RENEWED)
        e->renewed++;
    else if (event == MOTE_NET_DHCP_LOST)
        e->lost++;
    if (l)
        e->last = *l;
}

START_TEST(test_dhcp_client)
{
    nt_pair p;
    nt_pair_init(&p, NULL);
    mote_net_set_addr(p.st[0], 0, 0, 0);
    static fake_dhcp srv;
    memset(&srv, 0, sizeof srv);
    srv.lease_s = 100;
    mote_net_udp_events sev = {fake_recv, NULL};
    int err;
    srv.u = mote_net_udp_open(p.st[1], 67, &sev, &srv, &err);
    ck_assert_ptr_nonnull(srv.u);
    dhcp_ev ev;
    memset(&ev, 0, sizeof ev);
    mote_net_dhcp *d = mote_net_dhcp_start(p.st[0], "mote-test", dhcp_cb, &ev, &err);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_null(mote_net_dhcp_start(p.st[0], NULL, dhcp_cb, &ev, &err));
    ck_assert_int_eq(err, MOTE_EADDRINUSE);
    nt_run(&p, MOTE_NS_PER_SEC);
    ck_assert_int_eq(ev.bound, 1);
    ck_assert_int_eq(mote_net_dhcp_state(d), MOTE_NET_DHCP_BOUND_STATE);
    ck_assert_uint_eq(srv.seen[1], 1);
    ck_assert_uint_eq(srv.seen[3], 1);
    mote_net_ip4 a, m, g;
    mote_net_get_addr(p.st[0], &a, &m, &g);
    ck_assert_uint_eq(a, MOTE_NET_IP4(10, 0, 0, 50));
    ck_assert_uint_eq(m, MOTE_NET_IP4(255, 255, 255, 0));
    ck_assert_uint_eq(g, NT_B);
    ck_assert_uint_eq(ev.last.lease_s, 100);
    ck_assert_uint_eq(ev.last.t1_s, 50);
    ck_assert_uint_eq(ev.last.t2_s, 84);
    /* the stack answers at its new address */
    mote_net_counters c0, c1;
    uint8_t x[8] = {0};
    ck_assert_int_eq(mote_net_ping(p.st[1], MOTE_NET_IP4(10, 0, 0, 50), 1, 1, x, 8), 0);
    nt_run(&p, MOTE_NS_PER_SEC);
    mote_net_get_counters(p.st[0], &c0);
    ck_assert_uint_eq(c0.icmp_echo_in, 1);
    /* T1: a unicast renewal from our address */
    nt_run(&p, 50 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(ev.renewed, 1);
    ck_assert_uint_eq(srv.seen[3], 2);
    ck_assert_uint_eq(srv.last_ciaddr, MOTE_NET_IP4(10, 0, 0, 50));
    /* a silent server: renewing, rebinding, then the lease is lost */
    srv.silent = 1;
    nt_run(&p, 51 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(mote_net_dhcp_state(d), MOTE_NET_DHCP_RENEWING);
    nt_run(&p, 35 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(mote_net_dhcp_state(d), MOTE_NET_DHCP_REBINDING);
    ck_assert_int_eq(ev.lost, 0);
    nt_run(&p, 20 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(ev.lost, 1);
    mote_net_get_addr(p.st[0], &a, NULL, NULL);
    ck_assert_uint_eq(a, 0);
    ck_assert_int_eq(mote_net_dhcp_state(d), MOTE_NET_DHCP_SELECTING);
    /* the server comes back: bound again */
    srv.silent = 0;
    nt_run(&p, 70 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(ev.bound, 2);
    /* a NAK on renewal drops the address and starts over */
    srv.nak = 1;
    nt_run(&p, 51 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(ev.lost, 2);
    ck_assert_int_eq(mote_net_dhcp_state(d), MOTE_NET_DHCP_INIT);
    unsigned discovers = srv.seen[1];
    nt_run(&p, 5 * MOTE_NS_PER_SEC);
    ck_assert_uint_le(srv.seen[1] - discovers, 1); /* no storm: one try per 10 s */
    srv.nak = 0;
    nt_run(&p, 70 * MOTE_NS_PER_SEC);
    ck_assert_int_eq(ev.bound, 3);
    /* release */
    ck_assert_int_eq(mote_net_dhcp_release(d), 0);
    nt_run(&p, MOTE_NS_PER_SEC);
    ck_assert_uint_eq(srv.seen[7], 1);
    mote_net_get_addr(p.st[0], &a, NULL, NULL);
    ck_assert_uint_eq(a, 0);
    ck_assert_int_eq(mote_net_dhcp_release(d), MOTE_ESTATE);
    mote_net_get_counters(p.st[1], &c1);
    (void)c1;
    mote_net_dhcp_free(d);
    mote_net_udp_close(srv.u);
    nt_pair_free(&p);
}
END_TEST

/* Random frames never crash the stack (a quick in-suite fuzz). */
/* A netif in front of another that notes when each gratuitous ARP (a
 * request whose sender and target IP are the same) goes out. */
typedef struct garp_rec {
    mote_netif nif;
    mote_netif *inner;
    mote_clock *clk;
    size_t n;
    uint64_t at[8];
    uint32_t ip[8];
} garp_rec;

static int garp_send(void *ctx, const uint8_t *f, size_t len)
{
    garp_rec *r = ctx;
    if (len >= 42 && mote_load_be16(f + 12) == 0x0806 && mote_load_be16(f + 20) == 1 &&
        mote_load_be32(f + 28) == mote_load_be32(f + 38) && r->n < 8) {
        check_announcement(f, len, r->inner->mac, mote_load_be32(f + 28));
        r->at[r->n] = mote_clock_now(r->clk);
        r->ip[r->n++] = mote_load_be32(f + 28);
    }
    return r->inner->send(r->inner->ctx, f, len);
}

static void garp_set_rx(void *ctx, mote_netif_rx_fn fn, void *arg)
{
    garp_rec *r = ctx;
    r->inner->set_receiver(r->inner->ctx, fn, arg);
}

/* A DHCP lease's new address is announced twice, 2 s apart. */
START_TEST(test_dhcp_announces)
{
    mote_time t0 = {1700000000, 0};
    mote_fakeclock *fc = mote_fakeclock_new(1000 * MOTE_NS_PER_SEC, t0);
    mote_clock *clk = mote_fakeclock_clock(fc);
    int err;
    mote_net_link_config lc;
    mote_net_link_config_default(&lc);
    mote_net_link *link = mote_net_link_new(clk, &lc, &err);
    ck_assert_ptr_nonnull(link);
    garp_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.inner = mote_net_link_end(link, 0);
    rec.clk = clk;
    rec.nif.ctx = &rec;
    rec.nif.send = garp_send;
    rec.nif.set_receiver = garp_set_rx;
    rec.nif.mtu = rec.inner->mtu;
    memcpy(rec.nif.mac, rec.inner->mac, 6);
    mote_seeded_rng rng[2];
    mote_net *st[2];
    for (int i = 0; i < 2; i++) {
        mote_net_config cfg;
        mote_net_config_default(&cfg);
        mote_seeded_rng_init(&rng[i], 42 + (uint64_t)i);
        cfg.netif = i ? mote_net_link_end(link, 1) : &rec.nif;
        cfg.clock = clk;
        cfg.rng = &rng[i].rng;
        cfg.addr = i ? NT_B : 0;
        cfg.netmask = MOTE_NET_IP4(255, 255, 255, 0);
        st[i] = mote_net_new(&cfg, &err);
        ck_assert_ptr_nonnull(st[i]);
    }
    ck_assert_uint_eq(rec.n, 0); /* no address, nothing to announce */
    static fake_dhcp srv;
    memset(&srv, 0, sizeof srv);
    srv.lease_s = 1000;
    mote_net_udp_events sev = {fake_recv, NULL};
    srv.u = mote_net_udp_open(st[1], 67, &sev, &srv, &err);
    ck_assert_ptr_nonnull(srv.u);
    dhcp_ev ev;
    memset(&ev, 0, sizeof ev);
    mote_net_dhcp *d = mote_net_dhcp_start(st[0], "mote-test", dhcp_cb, &ev, &err);
    ck_assert_ptr_nonnull(d);
    mote_fakeclock_run(fc, mote_clock_now(clk) + MOTE_NS_PER_SEC, SIZE_MAX);
    ck_assert_int_eq(ev.bound, 1);
    ck_assert_uint_eq(rec.n, 1);
    ck_assert_uint_eq(rec.ip[0], MOTE_NET_IP4(10, 0, 0, 50));
    mote_fakeclock_run(fc, mote_clock_now(clk) + 10 * MOTE_NS_PER_SEC, SIZE_MAX);
    ck_assert_uint_eq(rec.n, 2);
    ck_assert_uint_eq(rec.ip[1], MOTE_NET_IP4(10, 0, 0, 50));
    ck_assert_uint_eq(rec.at[1] - rec.at[0], 2 * MOTE_NS_PER_SEC);
    mote_net_dhcp_free(d);
    mote_net_udp_close(srv.u);
    for (int i = 0; i < 2; i++)
        mote_net_free(st[i]);
    mote_net_link_free(link);
    mote_fakeclock_free(fc);
}
END_TEST

START_TEST(test_random_frames)
{
    one o;
    one_init(&o, 1500);
    mote_seeded_rng r;
    mote_seeded_rng_init(&r, 2024);
    uint8_t f[1600];
    for (int i = 0; i < 20000; i++) {
        size_t len = mote_seeded_rng_below(&r, sizeof f);
        mote_rng_fill(&r.rng, f, len);
        if (len >= 14 && (i & 1)) {
            memcpy(f, o.cap.nif.mac, 6);
            f[6] = 2;
            f[12] = 8;
            f[13] = (i & 2) ? 6 : 0;
            if (len >= 34 && !(i & 2)) {
                f[14] = 0x45;
                mote_store_be16(f + 16, (uint16_t)(len - 14));
                mote_store_be32(f + 26, PEER);
                mote_store_be32(f + 30, ME);
                f[24] = f[25] = 0;
                mote_store_be16(f + 24, nt_csum(f + 14, 20, 0));
            }
        }
        feed(&o, f, len);
        if (o.cap.n > 200)
            nt_cap_clear(&o.cap);
    }
    mote_fakeclock_advance(o.fc, 100 * MOTE_NS_PER_SEC);
    one_free(&o);
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("layers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ip4_text);
    tcase_add_test(tc, test_config_checks);
    tcase_add_test(tc, test_gratuitous_arp_on_start);
    tcase_add_test(tc, test_arp_reply);
    tcase_add_test(tc, test_arp_pending_queue_and_timeout);
    tcase_add_test(tc, test_arp_entry_expires);
    tcase_add_test(tc, test_gateway_route);
    tcase_add_test(tc, test_icmp_echo_reply);
    tcase_add_test(tc, test_protocol_unreachable_and_rate_limit);
    tcase_add_test(tc, test_tcp_closed_port_rst);
    tcase_add_test(tc, test_reassembly_any_order);
    tcase_add_test(tc, test_reassembly_bounds);
    tcase_add_test(tc, test_pair_ping_and_big_ping);
    tcase_add_test(tc, test_udp_echo_and_unreachable);
    tcase_add_test(tc, test_udp_fragments_through_faults);
    tcase_add_test(tc, test_link_faults_deterministic);
    tcase_add_test(tc, test_counters_text);
    tcase_add_test(tc, test_random_frames);
    tcase_add_test(tc, test_pcap_recorder);
    tcase_add_test(tc, test_dhcp_client);
    tcase_add_test(tc, test_dhcp_announces);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(net_suite());
}
