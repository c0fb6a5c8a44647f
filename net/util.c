/* util.c - checksums, SipHash, address text, entry-point bookkeeping. */
#include "internal.h"

#include <stdio.h>

/* The Internet checksum (RFC 1071) over big-endian 64-bit words with an
 * end-around carry: 2^64 - 1 is a multiple of 2^16 - 1, so the folded
 * result equals the sum of the 16-bit words. len may be odd only for the
 * last piece of a message. */
uint64_t net_csum_partial(uint64_t sum, const uint8_t *p, size_t len)
{
    while (len >= 8) {
        uint64_t v = mote_load_be64(p);
        sum += v;
        if (sum < v)
            sum++;
        p += 8;
        len -= 8;
    }
    if (len == 0)
        return sum;
    uint8_t tail[8] = {0};
    memcpy(tail, p, len);
    uint64_t v = mote_load_be64(tail);
    sum += v;
    if (sum < v)
        sum++;
    return sum;
}

uint16_t net_csum_fold(uint64_t sum)
{
    uint64_t s = (sum & 0xffffffffu) + (sum >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

uint64_t net_csum_pseudo(mote_net_ip4 src, mote_net_ip4 dst, uint8_t proto, size_t len)
{
    return (uint64_t)src + dst + proto + (uint64_t)len;
}

/* SipHash-2-4 (Aumasson and Bernstein), used as the keyed function of RFC
 * 6528 ISNs and RFC 6056 port choice. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

uint64_t net_siphash(const uint8_t key[16], const uint8_t *in, size_t len)
{
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
    uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load_le64(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++)
        b |= (uint64_t)in[full + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t net_now(mote_net *s)
{
    return mote_clock_now(s->clock);
}

void net_enter(mote_net *s)
{
    s->depth++;
}

void net_leave(mote_net *s)
{
    if (--s->depth > 0)
        return;
    if (s->udp_dead) {
        struct mote_net_udp **pp = &s->udp;
        while (*pp) {
            struct mote_net_udp *u = *pp;
            if (u->closed) {
                *pp = u->next;
                free(u);
            } else {
                pp = &u->next;
            }
        }
        s->udp_dead = 0;
    }
    net_tcp_reap(s);
}

int mote_net_ip4_format(mote_net_ip4 a, char *out, size_t n)
{
    char tmp[16];
    int k = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)(a >> 16 & 255),
                     (unsigned)(a >> 8 & 255), (unsigned)(a & 255));
    if (k < 0 || (size_t)k + 1 > n)
        return MOTE_ENOSPC;
    memcpy(out, tmp, (size_t)k + 1);
    return 0;
}

int mote_net_ip4_parse(const char *text, mote_net_ip4 *out)
{
    if (!text || !out)
        return MOTE_EINVAL;
    uint32_t a = 0;
    const char *p = text;
    for (int part = 0; part < 4; part++) {
        if (*p < '0' || *p > '9')
            return MOTE_EDECODE;
        unsigned v = 0;
        int digits = 0;
        const char *start = p;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (unsigned)(*p - '0');
            if (++digits > 3 || v > 255)
                return MOTE_EDECODE;
            p++;
        }
        if (digits > 1 && *start == '0')
            return MOTE_EDECODE;
        a = a << 8 | v;
        if (part < 3) {
            if (*p != '.')
                return MOTE_EDECODE;
            p++;
        }
    }
    if (*p)
        return MOTE_EDECODE;
    *out = a;
    return 0;
}
