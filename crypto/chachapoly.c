/*
 * chachapoly.c - ChaCha20-Poly1305 (RFC 8439) written here for x86-64, in
 * two tiers chosen at run time by cpuid (provider.c):
 *
 *  - avx512: ChaCha20 sixteen blocks at a time, one 512-bit register per
 *    state word (lane j = block j), rotations by VPROLD; Poly1305 eight
 *    blocks at a time in radix 2^44 with AVX-512 IFMA (VPMADD52LUQ/HUQ),
 *    lane i accumulating blocks i, i+8, i+16, ... multiplied by r^8, and
 *    the lanes folded at the end with r^8..r^1.
 *  - avx2: ChaCha20 eight blocks at a time in 256-bit registers; Poly1305
 *    one block at a time in radix 2^44 with 64x64->128-bit products.
 *
 * Other CPUs (and other architectures, where this file compiles to
 * nothing) keep libsodium's ChaCha20-Poly1305. Each kernel carries its own
 * __attribute__((target)), so the rest of the build stays baseline x86-64.
 *
 * Key stream for block 0 (the Poly1305 key) is computed in the same
 * multi-block pass as the first data blocks. Sealing encrypts, then
 * authenticates the ciphertext; opening authenticates first and decrypts
 * only when the tag matches (the destination is untouched otherwise).
 *
 * Constant time: no branch or memory index depends on the key, the
 * Poly1305 key or the data; only lengths steer the code. Key stream
 * buffers and derived keys on the stack are wiped before returning.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define CP_M44 ((uint64_t)0xfffffffffff)
#define CP_M42 ((uint64_t)0x3ffffffffff)

__extension__ typedef unsigned __int128 cp_u128;

static inline uint64_t cp_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* x86-64 is little-endian */
    return v;
}

static inline uint32_t cp_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Wipes secrets: memset, then a compiler barrier so it is not dropped
 * as a dead store. (mote_wipe goes byte by byte through a volatile
 * pointer, which costs more than a 1 KiB seal here.) */
static void cp_wipe(void *p, size_t n)
{
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

/* ---- Poly1305, radix 2^44 ---------------------------------------------------
 * A value is h0 + h1*2^44 + h2*2^88 (limbs of 44, 44 and 42 bits, kept a
 * little above that between steps). 2^130 = 5 (mod p), so a product's part
 * at 2^132 folds back times 20. */

typedef struct cp_poly {
    uint64_t h[3];
    uint64_t r[16][3]; /* r[k] = r^(k+1), for k < powers_done */
    uint64_t pad[2];   /* s, the key's second half */
    int powers_done;
} cp_poly;

/* h = h * r (mod 2^130 - 5), partly reduced: h0, h2 in range, h1 at most
 * a few bits over 44. */
static inline void cp_poly_mul(uint64_t h[3], const uint64_t r[3])
{
    uint64_t s1 = r[1] * 20, s2 = r[2] * 20;
    cp_u128 d0 = (cp_u128)h[0] * r[0] + (cp_u128)h[1] * s2 + (cp_u128)h[2] * s1;
    cp_u128 d1 = (cp_u128)h[0] * r[1] + (cp_u128)h[1] * r[0] + (cp_u128)h[2] * s2;
    cp_u128 d2 = (cp_u128)h[0] * r[2] + (cp_u128)h[1] * r[1] + (cp_u128)h[2] * r[0];
    uint64_t c = (uint64_t)(d0 >> 44);
    uint64_t h0 = (uint64_t)d0 & CP_M44;
    d1 += c;
    c = (uint64_t)(d1 >> 44);
    uint64_t h1 = (uint64_t)d1 & CP_M44;
    d2 += c;
    c = (uint64_t)(d2 >> 42);
    uint64_t h2 = (uint64_t)d2 & CP_M42;
    h0 += c * 5;
    c = h0 >> 44;
    h0 &= CP_M44;
    h1 += c;
    h[0] = h0;
    h[1] = h1;
    h[2] = h2;
}

static void cp_poly_init(cp_poly *st, const uint8_t key[32])
{
    uint64_t t0 = cp_le64(key), t1 = cp_le64(key + 8);
    /* clamp (RFC 8439 2.5.1) while splitting into limbs */
    st->r[0][0] = t0 & 0xffc0fffffffULL;
    st->r[0][1] = ((t0 >> 44) | (t1 << 20)) & 0xfffffc0ffffULL;
    st->r[0][2] = (t1 >> 24) & 0x00ffffffc0fULL;
    st->h[0] = st->h[1] = st->h[2] = 0;
    st->pad[0] = cp_le64(key + 16);
    st->pad[1] = cp_le64(key + 24);
    st->powers_done = 1;
}

/* r[k] = r[a] * r[b]: one power from two others. */
static inline void cp_poly_pow(cp_poly *st, int k, int a, int b)
{
    uint64_t t[3] = {st->r[a][0], st->r[a][1], st->r[a][2]};
    cp_poly_mul(t, st->r[b]);
    st->r[k][0] = t[0];
    st->r[k][1] = t[1];
    st->r[k][2] = t[2];
}

/* r^2 .. r^n (n = 4, 8 or 16), for the vector code, each as r^a * r^b
 * with a the largest power of two below it: the products within a row
 * are independent, so the chain is at most four products deep. */
static void cp_poly_powers(cp_poly *st, int n)
{
    if (st->powers_done < 4) {
        cp_poly_pow(st, 1, 0, 0);
        cp_poly_pow(st, 2, 1, 0);
        cp_poly_pow(st, 3, 1, 1);
    }
    if (n > 4 && st->powers_done < 8)
        for (int k = 4; k < 8; k++)
            cp_poly_pow(st, k, 3, k - 4);
    if (n > 8 && st->powers_done < 16)
        for (int k = 8; k < 16; k++)
            cp_poly_pow(st, k, 7, k - 8);
    if (n > st->powers_done)
        st->powers_done = n;
}

/* n whole 16-byte blocks, each with the 2^128 bit (every block of the AEAD's
 * Poly1305 input is whole: AAD and ciphertext are zero-padded). */
static void cp_poly_blocks(cp_poly *st, const uint8_t *p, size_t n)
{
    uint64_t h[3] = {st->h[0], st->h[1], st->h[2]};
    for (; n; n--, p += 16) {
        uint64_t t0 = cp_le64(p), t1 = cp_le64(p + 8);
        h[0] += t0 & CP_M44;
        h[1] += ((t0 >> 44) | (t1 << 20)) & CP_M44;
        h[2] += (t1 >> 24) | ((uint64_t)1 << 40);
        cp_poly_mul(h, st->r[0]);
    }
    st->h[0] = h[0];
    st->h[1] = h[1];
    st->h[2] = h[2];
}

/* ---- Poly1305, eight lanes on AVX-512 IFMA -------------------------------- */

#define CP_IFMA __attribute__((target("avx512f,avx512ifma")))
#define CP_AVX2 __attribute__((target("avx2")))

/* (h0,h1,h2) = h * (r0,r1,r2) lane by lane, s1 = 20 r1, s2 = 20 r2. Each
 * product is split by VPMADD52LUQ/HUQ at 2^52; the high halves sit 8 bits
 * above the next limb (52 - 44), the top one at 2^140 = 5 * 2^10. */
static inline CP_IFMA void cp_vmul(__m512i *h0, __m512i *h1, __m512i *h2, __m512i r0, __m512i r1,
                                   __m512i r2, __m512i s1, __m512i s2)
{
    const __m512i z = _mm512_setzero_si512();
    const __m512i m44 = _mm512_set1_epi64((long long)CP_M44);
    const __m512i m42 = _mm512_set1_epi64((long long)CP_M42);
    __m512i a0 = *h0, a1 = *h1, a2 = *h2;
    __m512i d0l = _mm512_madd52lo_epu64(z, a0, r0);
    __m512i d0h = _mm512_madd52hi_epu64(z, a0, r0);
    __m512i d1l = _mm512_madd52lo_epu64(z, a0, r1);
    __m512i d1h = _mm512_madd52hi_epu64(z, a0, r1);
    __m512i d2l = _mm512_madd52lo_epu64(z, a0, r2);
    __m512i d2h = _mm512_madd52hi_epu64(z, a0, r2);
    d0l = _mm512_madd52lo_epu64(d0l, a1, s2);
    d0h = _mm512_madd52hi_epu64(d0h, a1, s2);
    d1l = _mm512_madd52lo_epu64(d1l, a1, r0);
    d1h = _mm512_madd52hi_epu64(d1h, a1, r0);
    d2l = _mm512_madd52lo_epu64(d2l, a1, r1);
    d2h = _mm512_madd52hi_epu64(d2h, a1, r1);
    d0l = _mm512_madd52lo_epu64(d0l, a2, s1);
    d0h = _mm512_madd52hi_epu64(d0h, a2, s1);
    d1l = _mm512_madd52lo_epu64(d1l, a2, s2);
    d1h = _mm512_madd52hi_epu64(d1h, a2, s2);
    d2l = _mm512_madd52lo_epu64(d2l, a2, r0);
    d2h = _mm512_madd52hi_epu64(d2h, a2, r0);

    __m512i t0 = _mm512_add_epi64(
        d0l, _mm512_add_epi64(_mm512_slli_epi64(d2h, 10), _mm512_slli_epi64(d2h, 12)));
    __m512i t1 = _mm512_add_epi64(d1l, _mm512_slli_epi64(d0h, 8));
    __m512i t2 = _mm512_add_epi64(d2l, _mm512_slli_epi64(d1h, 8));

    /* One carry step, all three limbs at once (not a chain): t0, t1, t2
     * are below 2^56, so each limb ends within 2^15 of its width, far
     * below the 2^52 the next VPMADD52 reads. */
    __m512i c0 = _mm512_srli_epi64(t0, 44);
    __m512i c1 = _mm512_srli_epi64(t1, 44);
    __m512i c2 = _mm512_srli_epi64(t2, 42);
    t0 =
        _mm512_add_epi64(_mm512_and_si512(t0, m44), _mm512_add_epi64(c2, _mm512_slli_epi64(c2, 2)));
    t1 = _mm512_add_epi64(_mm512_and_si512(t1, m44), c0);
    t2 = _mm512_add_epi64(_mm512_and_si512(t2, m42), c1);
    *h0 = t0;
    *h1 = t1;
    *h2 = t2;
}

/* Block words into limbs: lane i gets block i of the 128 bytes at p. */
static inline CP_IFMA void cp_load8(const uint8_t *p, __m512i *m0, __m512i *m1, __m512i *m2)
{
    const __m512i m44 = _mm512_set1_epi64((long long)CP_M44);
    const __m512i hib = _mm512_set1_epi64((long long)1 << 40);
    const __m512i ilo = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i ihi = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    __m512i a = _mm512_loadu_si512((const void *)p);
    __m512i b = _mm512_loadu_si512((const void *)(p + 64));
    __m512i lo = _mm512_permutex2var_epi64(a, ilo, b); /* bytes 0..7 */
    __m512i hi = _mm512_permutex2var_epi64(a, ihi, b); /* bytes 8..15 */
    *m0 = _mm512_and_si512(lo, m44);
    *m1 = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(lo, 44), _mm512_slli_epi64(hi, 20)),
                           m44);
    *m2 = _mm512_or_si512(_mm512_srli_epi64(hi, 24), hib);
}

/* Multiplies lane i of (h0,h1,h2) by r^(base+8-i): the fold at the end. */
static inline CP_IFMA void cp_fold8(const uint64_t (*r)[3], int base, __m512i *h0, __m512i *h1,
                                    __m512i *h2)
{
    __m512i v[3];
    for (int k = 0; k < 3; k++)
        v[k] = _mm512_set_epi64((long long)r[base][k], (long long)r[base + 1][k],
                                (long long)r[base + 2][k], (long long)r[base + 3][k],
                                (long long)r[base + 4][k], (long long)r[base + 5][k],
                                (long long)r[base + 6][k], (long long)r[base + 7][k]);
    __m512i s1 = _mm512_add_epi64(_mm512_slli_epi64(v[1], 4), _mm512_slli_epi64(v[1], 2));
    __m512i s2 = _mm512_add_epi64(_mm512_slli_epi64(v[2], 4), _mm512_slli_epi64(v[2], 2));
    cp_vmul(h0, h1, h2, v[0], v[1], v[2], s1, s2);
}

/* ngroups (>= 1) groups of eight blocks, as two interleaved sets of eight
 * lanes (a: blocks 0..7 of every 16, b: blocks 8..15), each multiplied by
 * r^16 per step so the two multiplication chains overlap. An odd group
 * count starts b alone (a as if zero blocks came first). Needs r^1..r^8;
 * with r^9..r^16 as well (long inputs) it takes the two-set path, else
 * one set steps by r^8. */
static CP_IFMA void cp_poly_groups_ifma(cp_poly *st, const uint8_t *p, size_t ngroups)
{
    const uint64_t(*r)[3] = (const uint64_t(*)[3])st->r;
    const __m512i z = _mm512_setzero_si512();
    __m512i a0 = z, a1 = z, a2 = z, b0, b1, b2, m0, m1, m2;
    __m512i h0 = _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)st->h[0]);
    __m512i h1 = _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)st->h[1]);
    __m512i h2 = _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)st->h[2]);
    int have_a = 0;
    if (st->powers_done < 16) {
        /* short input: one set of lanes, r^8 per step (fewer powers) */
        const __m512i r0 = _mm512_set1_epi64((long long)r[7][0]);
        const __m512i r1 = _mm512_set1_epi64((long long)r[7][1]);
        const __m512i r2 = _mm512_set1_epi64((long long)r[7][2]);
        const __m512i s1 = _mm512_set1_epi64((long long)(r[7][1] * 20));
        const __m512i s2 = _mm512_set1_epi64((long long)(r[7][2] * 20));
        b0 = h0;
        b1 = h1;
        b2 = h2;
        for (size_t g = 0; g < ngroups; g++, p += 128) {
            if (g)
                cp_vmul(&b0, &b1, &b2, r0, r1, r2, s1, s2);
            cp_load8(p, &m0, &m1, &m2);
            b0 = _mm512_add_epi64(b0, m0);
            b1 = _mm512_add_epi64(b1, m1);
            b2 = _mm512_add_epi64(b2, m2);
        }
    } else if (ngroups & 1) {
        cp_load8(p, &m0, &m1, &m2);
        b0 = _mm512_add_epi64(h0, m0);
        b1 = _mm512_add_epi64(h1, m1);
        b2 = _mm512_add_epi64(h2, m2);
        p += 128;
    } else {
        cp_load8(p, &m0, &m1, &m2);
        a0 = _mm512_add_epi64(h0, m0);
        a1 = _mm512_add_epi64(h1, m1);
        a2 = _mm512_add_epi64(h2, m2);
        cp_load8(p + 128, &b0, &b1, &b2);
        p += 256;
        ngroups -= 1;
        have_a = 1;
    }
    if (st->powers_done >= 16)
        ngroups -= 1;
    if (st->powers_done >= 16 && ngroups) {
        const __m512i r0 = _mm512_set1_epi64((long long)r[15][0]);
        const __m512i r1 = _mm512_set1_epi64((long long)r[15][1]);
        const __m512i r2 = _mm512_set1_epi64((long long)r[15][2]);
        const __m512i s1 = _mm512_set1_epi64((long long)(r[15][1] * 20));
        const __m512i s2 = _mm512_set1_epi64((long long)(r[15][2] * 20));
        for (; ngroups; ngroups -= 2, p += 256) {
            cp_vmul(&a0, &a1, &a2, r0, r1, r2, s1, s2);
            cp_vmul(&b0, &b1, &b2, r0, r1, r2, s1, s2);
            cp_load8(p, &m0, &m1, &m2);
            a0 = _mm512_add_epi64(a0, m0);
            a1 = _mm512_add_epi64(a1, m1);
            a2 = _mm512_add_epi64(a2, m2);
            cp_load8(p + 128, &m0, &m1, &m2);
            b0 = _mm512_add_epi64(b0, m0);
            b1 = _mm512_add_epi64(b1, m1);
            b2 = _mm512_add_epi64(b2, m2);
        }
        have_a = 1;
    }
    cp_fold8(r, 0, &b0, &b1, &b2);
    if (have_a) {
        cp_fold8(r, 8, &a0, &a1, &a2);
        b0 = _mm512_add_epi64(b0, a0);
        b1 = _mm512_add_epi64(b1, a1);
        b2 = _mm512_add_epi64(b2, a2);
    }
    uint64_t x0 = (uint64_t)_mm512_reduce_add_epi64(b0);
    uint64_t x1 = (uint64_t)_mm512_reduce_add_epi64(b1);
    uint64_t x2 = (uint64_t)_mm512_reduce_add_epi64(b2);
    /* up to sixteen lanes' sums: a few bits over each limb; carry back */
    uint64_t c = x0 >> 44;
    x0 &= CP_M44;
    x1 += c;
    c = x1 >> 44;
    x1 &= CP_M44;
    x2 += c;
    c = x2 >> 42;
    x2 &= CP_M42;
    x0 += c * 5;
    c = x0 >> 44;
    x0 &= CP_M44;
    x1 += c;
    st->h[0] = x0;
    st->h[1] = x1;
    st->h[2] = x2;
}

/* ---- Poly1305, four lanes on AVX2, radix 2^26 ------------------------------
 * VPMULUDQ multiplies 32-bit halves into 64-bit products, so limbs are 26
 * bits (five per value; 2^130 = 5 folds the top back times 5). Lane i
 * accumulates blocks i, i+4, ... multiplied by r^4; r^4..r^1 fold the
 * lanes at the end. Conversions to and from radix 2^44 (the scalar state)
 * add limb pieces rather than OR them, so they hold for limbs a little
 * over their width. */

#define CP_M26 ((uint64_t)0x3ffffff)

/* Radix 2^44 to 2^26, carried so every limb is below 2^26 + 2^11. */
static void cp_to26(const uint64_t h[3], uint64_t l[5])
{
    l[0] = h[0] & CP_M26;
    l[1] = (h[0] >> 26) + ((h[1] & 0xff) << 18);
    l[2] = (h[1] >> 8) & CP_M26;
    l[3] = (h[1] >> 34) + ((h[2] & 0xffff) << 10);
    l[4] = h[2] >> 16;
    uint64_t c = 0;
    for (int i = 0; i < 5; i++) {
        l[i] += c;
        c = l[i] >> 26;
        l[i] &= CP_M26;
    }
    l[0] += c * 5;
    c = l[0] >> 26;
    l[0] &= CP_M26;
    l[1] += c;
}

/* Radix 2^26 (limbs up to about 2^29) to 2^44; the result may sit a few
 * bits over each limb, which cp_poly_mul and cp_poly_tag allow. */
static void cp_from26(const uint64_t x[5], uint64_t h[3])
{
    h[0] = x[0] + ((x[1] & 0x3ffff) << 26);
    h[1] = (x[1] >> 18) + (x[2] << 8) + ((x[3] & 0x3ff) << 34);
    h[2] = (x[3] >> 10) + (x[4] << 16);
}

static inline CP_AVX2 void cp_vmul26(__m256i h[5], const __m256i r[5], const __m256i s[5])
{
#define CP_MUL(a, b) _mm256_mul_epu32(a, b)
#define CP_ADD(a, b) _mm256_add_epi64(a, b)
    __m256i d0 = CP_ADD(CP_ADD(CP_MUL(h[0], r[0]), CP_MUL(h[1], s[4])),
                        CP_ADD(CP_MUL(h[2], s[3]), CP_ADD(CP_MUL(h[3], s[2]), CP_MUL(h[4], s[1]))));
    __m256i d1 = CP_ADD(CP_ADD(CP_MUL(h[0], r[1]), CP_MUL(h[1], r[0])),
                        CP_ADD(CP_MUL(h[2], s[4]), CP_ADD(CP_MUL(h[3], s[3]), CP_MUL(h[4], s[2]))));
    __m256i d2 = CP_ADD(CP_ADD(CP_MUL(h[0], r[2]), CP_MUL(h[1], r[1])),
                        CP_ADD(CP_MUL(h[2], r[0]), CP_ADD(CP_MUL(h[3], s[4]), CP_MUL(h[4], s[3]))));
    __m256i d3 = CP_ADD(CP_ADD(CP_MUL(h[0], r[3]), CP_MUL(h[1], r[2])),
                        CP_ADD(CP_MUL(h[2], r[1]), CP_ADD(CP_MUL(h[3], r[0]), CP_MUL(h[4], s[4]))));
    __m256i d4 = CP_ADD(CP_ADD(CP_MUL(h[0], r[4]), CP_MUL(h[1], r[3])),
                        CP_ADD(CP_MUL(h[2], r[2]), CP_ADD(CP_MUL(h[3], r[1]), CP_MUL(h[4], r[0]))));
#undef CP_MUL
    /* two interleaved carry chains (0->1->2->3, 3->4->0->1): limbs end
     * below 2^26 + 2^11 */
    const __m256i m26 = _mm256_set1_epi64x((long long)CP_M26);
    __m256i c = _mm256_srli_epi64(d0, 26);
    d0 = _mm256_and_si256(d0, m26);
    d1 = CP_ADD(d1, c);
    c = _mm256_srli_epi64(d3, 26);
    d3 = _mm256_and_si256(d3, m26);
    d4 = CP_ADD(d4, c);
    c = _mm256_srli_epi64(d1, 26);
    d1 = _mm256_and_si256(d1, m26);
    d2 = CP_ADD(d2, c);
    c = _mm256_srli_epi64(d4, 26);
    d4 = _mm256_and_si256(d4, m26);
    d0 = CP_ADD(d0, CP_ADD(c, _mm256_slli_epi64(c, 2)));
    c = _mm256_srli_epi64(d2, 26);
    d2 = _mm256_and_si256(d2, m26);
    d3 = CP_ADD(d3, c);
    c = _mm256_srli_epi64(d0, 26);
    d0 = _mm256_and_si256(d0, m26);
    d1 = CP_ADD(d1, c);
    c = _mm256_srli_epi64(d3, 26);
    d3 = _mm256_and_si256(d3, m26);
    d4 = CP_ADD(d4, c);
#undef CP_ADD
    h[0] = d0;
    h[1] = d1;
    h[2] = d2;
    h[3] = d3;
    h[4] = d4;
}

/* ngroups (>= 1) groups of four blocks; needs r^1..r^4 in st->r. */
static CP_AVX2 void cp_poly_groups_avx2(cp_poly *st, const uint8_t *p, size_t ngroups)
{
    const __m256i m26 = _mm256_set1_epi64x((long long)CP_M26);
    const __m256i hib = _mm256_set1_epi64x((long long)1 << 24);
    uint64_t rl[4][5], hl[5];
    for (int k = 0; k < 4; k++)
        cp_to26(st->r[k], rl[k]);
    cp_to26(st->h, hl);
    __m256i r[5], s[5], h[5];
    for (int i = 0; i < 5; i++) {
        r[i] = _mm256_set1_epi64x((long long)rl[3][i]);
        s[i] = _mm256_set1_epi64x((long long)(rl[3][i] * 5));
        h[i] = _mm256_set_epi64x(0, 0, 0, (long long)hl[i]);
    }
    for (size_t g = 0; g < ngroups; g++, p += 64) {
        if (g)
            cp_vmul26(h, r, s);
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
        /* lane i: block i's two 64-bit words */
        __m256i lo = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, b), 0xd8);
        __m256i hi = _mm256_permute4x64_epi64(_mm256_unpackhi_epi64(a, b), 0xd8);
        h[0] = _mm256_add_epi64(h[0], _mm256_and_si256(lo, m26));
        h[1] = _mm256_add_epi64(h[1], _mm256_and_si256(_mm256_srli_epi64(lo, 26), m26));
        h[2] = _mm256_add_epi64(
            h[2], _mm256_and_si256(
                      _mm256_or_si256(_mm256_srli_epi64(lo, 52), _mm256_slli_epi64(hi, 12)), m26));
        h[3] = _mm256_add_epi64(h[3], _mm256_and_si256(_mm256_srli_epi64(hi, 14), m26));
        h[4] = _mm256_add_epi64(h[4], _mm256_or_si256(_mm256_srli_epi64(hi, 40), hib));
    }
    /* lane i by r^(4-i) */
    for (int i = 0; i < 5; i++) {
        r[i] = _mm256_set_epi64x((long long)rl[0][i], (long long)rl[1][i], (long long)rl[2][i],
                                 (long long)rl[3][i]);
        s[i] = _mm256_add_epi64(r[i], _mm256_slli_epi64(r[i], 2));
    }
    cp_vmul26(h, r, s);
    uint64_t x[5];
    for (int i = 0; i < 5; i++) {
        _Alignas(32) uint64_t lanes[4];
        _mm256_store_si256((__m256i *)(void *)lanes, h[i]);
        x[i] = lanes[0] + lanes[1] + lanes[2] + lanes[3];
        cp_wipe(lanes, sizeof(lanes));
    }
    cp_from26(x, st->h);
    cp_wipe(rl, sizeof(rl));
    cp_wipe(hl, sizeof(hl));
    cp_wipe(x, sizeof(x));
}

/* Absorbs p[0..n) zero-padded to a multiple of 16 bytes: groups of eight
 * (IFMA) or four (AVX2) blocks in the vector code, the rest one by one. */
static void cp_poly_padded(cp_poly *st, const uint8_t *p, size_t n, int tier)
{
    size_t blocks = n / 16;
    if (tier == MC_CHACHA_AVX512 && blocks >= 8) {
        /* the two-set path pays eight more powers of r: worth it from
         * 2 KiB on (bench/crypto) */
        int need = blocks >= 128 ? 16 : 8;
        if (st->powers_done < need)
            cp_poly_powers(st, need);
        cp_poly_groups_ifma(st, p, blocks / 8);
        p += (blocks / 8) * 128;
        blocks %= 8;
    } else if (tier == MC_CHACHA_AVX2 && blocks >= 8) {
        if (st->powers_done < 4)
            cp_poly_powers(st, 4);
        cp_poly_groups_avx2(st, p, blocks / 4);
        p += (blocks / 4) * 64;
        blocks %= 4;
    }
    cp_poly_blocks(st, p, blocks);
    p += blocks * 16;
    if (n % 16) {
        uint8_t last[16] = {0};
        memcpy(last, p, n % 16);
        cp_poly_blocks(st, last, 1);
        cp_wipe(last, sizeof(last));
    }
}

/* Adds the lengths block and writes h + s mod 2^128. */
static void cp_poly_tag(cp_poly *st, uint64_t aad_len, uint64_t len, uint8_t tag[16])
{
    uint8_t lb[16];
    memcpy(lb, &aad_len, 8);
    memcpy(lb + 8, &len, 8);
    cp_poly_blocks(st, lb, 1);

    uint64_t h0 = st->h[0], h1 = st->h[1], h2 = st->h[2], c;
    /* fully carry (twice round: the first pass can leave a carry) */
    for (int i = 0; i < 2; i++) {
        c = h1 >> 44;
        h1 &= CP_M44;
        h2 += c;
        c = h2 >> 42;
        h2 &= CP_M42;
        h0 += c * 5;
        c = h0 >> 44;
        h0 &= CP_M44;
        h1 += c;
    }
    /* g = h + 5 - 2^130; take g when it does not go negative, i.e. h >= p */
    uint64_t g0 = h0 + 5;
    c = g0 >> 44;
    g0 &= CP_M44;
    uint64_t g1 = h1 + c;
    c = g1 >> 44;
    g1 &= CP_M44;
    uint64_t g2 = h2 + c - ((uint64_t)1 << 42);
    uint64_t mask = (g2 >> 63) - 1; /* all ones when g2 did not borrow */
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);
    h2 = (h2 & ~mask) | (g2 & mask);

    /* + s, mod 2^128 */
    uint64_t t0 = st->pad[0], t1 = st->pad[1];
    h0 += t0 & CP_M44;
    c = h0 >> 44;
    h0 &= CP_M44;
    h1 += (((t0 >> 44) | (t1 << 20)) & CP_M44) + c;
    c = h1 >> 44;
    h1 &= CP_M44;
    h2 += (t1 >> 24) + c;
    uint64_t out0 = h0 | (h1 << 44);
    uint64_t out1 = (h1 >> 20) | (h2 << 24);
    memcpy(tag, &out0, 8);
    memcpy(tag + 8, &out1, 8);
}

/* ---- ChaCha20 -------------------------------------------------------------------
 * The vertical layout: x[k] holds state word k of every block in flight
 * (lane j = block ctr + j); after the 20 rounds the words are transposed
 * into whole 64-byte blocks. */

#define CP_QR(A, B, C, D, ADD, XOR, R16, R12, R8, R7)                                              \
    do {                                                                                           \
        A = ADD(A, B);                                                                             \
        D = R16(XOR(D, A));                                                                        \
        C = ADD(C, D);                                                                             \
        B = R12(XOR(B, C));                                                                        \
        A = ADD(A, B);                                                                             \
        D = R8(XOR(D, A));                                                                         \
        C = ADD(C, D);                                                                             \
        B = R7(XOR(B, C));                                                                         \
    } while (0)

#define CP_DOUBLE_ROUND(x, ADD, XOR, R16, R12, R8, R7)                                             \
    do {                                                                                           \
        CP_QR(x[0], x[4], x[8], x[12], ADD, XOR, R16, R12, R8, R7);                                \
        CP_QR(x[1], x[5], x[9], x[13], ADD, XOR, R16, R12, R8, R7);                                \
        CP_QR(x[2], x[6], x[10], x[14], ADD, XOR, R16, R12, R8, R7);                               \
        CP_QR(x[3], x[7], x[11], x[15], ADD, XOR, R16, R12, R8, R7);                               \
        CP_QR(x[0], x[5], x[10], x[15], ADD, XOR, R16, R12, R8, R7);                               \
        CP_QR(x[1], x[6], x[11], x[12], ADD, XOR, R16, R12, R8, R7);                               \
        CP_QR(x[2], x[7], x[8], x[13], ADD, XOR, R16, R12, R8, R7);                                \
        CP_QR(x[3], x[4], x[9], x[14], ADD, XOR, R16, R12, R8, R7);                                \
    } while (0)

/* The first step of the transpose, at any width: 32-bit then 64-bit
 * interleaves of rows 4g..4g+3 of x give y[g][b], which holds in each
 * 128-bit lane L words 4g..4g+3 of block 4L+b. T is the vector type, P
 * the intrinsics' prefix (_mm512, _mm256). */
#define CP_INTERLEAVE(T, P, x, y)                                                                  \
    for (int g = 0; g < 4; g++) {                                                                  \
        T a = x[4 * g], b = x[4 * g + 1], c = x[4 * g + 2], d = x[4 * g + 3];                      \
        T ab0 = P##_unpacklo_epi32(a, b), ab1 = P##_unpackhi_epi32(a, b);                          \
        T cd0 = P##_unpacklo_epi32(c, d), cd1 = P##_unpackhi_epi32(c, d);                          \
        y[g][0] = P##_unpacklo_epi64(ab0, cd0);                                                    \
        y[g][1] = P##_unpackhi_epi64(ab0, cd0);                                                    \
        y[g][2] = P##_unpacklo_epi64(ab1, cd1);                                                    \
        y[g][3] = P##_unpackhi_epi64(ab1, cd1);                                                    \
    }

/* ---- sixteen blocks, AVX-512 ---- */

#define CP_AVX512      __attribute__((target("avx512f")))
#define CP_Z_ADD(a, b) _mm512_add_epi32(a, b)
#define CP_Z_XOR(a, b) _mm512_xor_si512(a, b)
#define CP_Z_R16(a)    _mm512_rol_epi32(a, 16)
#define CP_Z_R12(a)    _mm512_rol_epi32(a, 12)
#define CP_Z_R8(a)     _mm512_rol_epi32(a, 8)
#define CP_Z_R7(a)     _mm512_rol_epi32(a, 7)

/* Sixteen blocks from counter ctr: dst = src ^ key stream, or the key
 * stream itself into dst when src is NULL. 1024 bytes either way. */
static CP_AVX512 void cp_chacha16(const uint32_t in[16], uint32_t ctr, uint8_t *dst,
                                  const uint8_t *src)
{
    __m512i x[16], o[16];
    for (int i = 0; i < 16; i++)
        o[i] = _mm512_set1_epi32((int)in[i]);
    o[12] =
        _mm512_add_epi32(_mm512_set1_epi32((int)ctr),
                         _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    for (int i = 0; i < 16; i++)
        x[i] = o[i];
    for (int i = 0; i < 10; i++)
        CP_DOUBLE_ROUND(x, CP_Z_ADD, CP_Z_XOR, CP_Z_R16, CP_Z_R12, CP_Z_R8, CP_Z_R7);
    for (int i = 0; i < 16; i++)
        x[i] = _mm512_add_epi32(x[i], o[i]);

    /* transpose: 32-bit, then 64-bit interleaves within each 128-bit lane
     * give y[g][b] (lane L: words 4g..4g+3 of block 4L+b); then 128-bit
     * lane shuffles gather block 4L+b's four quarters. */
    __m512i y[4][4];
    CP_INTERLEAVE(__m512i, _mm512, x, y);
    for (int b = 0; b < 4; b++) {
        __m512i u0 = _mm512_shuffle_i32x4(y[0][b], y[1][b], 0x44);
        __m512i u1 = _mm512_shuffle_i32x4(y[0][b], y[1][b], 0xee);
        __m512i u2 = _mm512_shuffle_i32x4(y[2][b], y[3][b], 0x44);
        __m512i u3 = _mm512_shuffle_i32x4(y[2][b], y[3][b], 0xee);
        __m512i v[4];
        v[0] = _mm512_shuffle_i32x4(u0, u2, 0x88);
        v[1] = _mm512_shuffle_i32x4(u0, u2, 0xdd);
        v[2] = _mm512_shuffle_i32x4(u1, u3, 0x88);
        v[3] = _mm512_shuffle_i32x4(u1, u3, 0xdd);
        for (int l = 0; l < 4; l++) {
            size_t off = (size_t)(4 * l + b) * 64;
            __m512i k = v[l];
            if (src)
                k = _mm512_xor_si512(k, _mm512_loadu_si512((const void *)(src + off)));
            _mm512_storeu_si512((void *)(dst + off), k);
        }
    }
}

/* ---- eight blocks, AVX2 ---- */

#define CP_AVX2        __attribute__((target("avx2")))
#define CP_Y_ADD(a, b) _mm256_add_epi32(a, b)
#define CP_Y_XOR(a, b) _mm256_xor_si256(a, b)
#define CP_Y_R16(a)    _mm256_shuffle_epi8(a, r16)
#define CP_Y_R8(a)     _mm256_shuffle_epi8(a, r8)
#define CP_Y_R12(a)    _mm256_or_si256(_mm256_slli_epi32(a, 12), _mm256_srli_epi32(a, 20))
#define CP_Y_R7(a)     _mm256_or_si256(_mm256_slli_epi32(a, 7), _mm256_srli_epi32(a, 25))

/* The eight-block passes' common ends, inlined into the AVX2 and the
 * AVX-512VL pass (which differ only in their rotations): the input rows
 * with lane j's counter ctr + j, and the feed-forward, transpose and
 * store (dst = src ^ key stream, or the key stream when src is NULL). */
#define CP_INLINE_AVX2 __attribute__((always_inline, target("avx2")))

static inline CP_INLINE_AVX2 void cp_init8(const uint32_t in[16], uint32_t ctr, __m256i o[16])
{
    for (int i = 0; i < 16; i++)
        o[i] = _mm256_set1_epi32((int)in[i]);
    o[12] = _mm256_add_epi32(_mm256_set1_epi32((int)ctr), _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0));
}

static inline CP_INLINE_AVX2 void cp_store8(__m256i x[16], const __m256i o[16], uint8_t *dst,
                                            const uint8_t *src)
{
    for (int i = 0; i < 16; i++)
        x[i] = _mm256_add_epi32(x[i], o[i]);

    __m256i y[4][4];
    CP_INTERLEAVE(__m256i, _mm256, x, y);
    for (int b = 0; b < 4; b++) {
        /* block 4L+b: words 0..7 from y[0..1][b] lane L, words 8..15 from y[2..3][b] */
        __m256i v[4];
        v[0] = _mm256_permute2x128_si256(y[0][b], y[1][b], 0x20); /* L=0, first half */
        v[1] = _mm256_permute2x128_si256(y[2][b], y[3][b], 0x20); /* L=0, second half */
        v[2] = _mm256_permute2x128_si256(y[0][b], y[1][b], 0x31); /* L=1 */
        v[3] = _mm256_permute2x128_si256(y[2][b], y[3][b], 0x31);
        for (int l = 0; l < 2; l++)
            for (int half = 0; half < 2; half++) {
                size_t off = (size_t)(4 * l + b) * 64 + 32 * (size_t)half;
                __m256i k = v[2 * l + half];
                if (src)
                    k = _mm256_xor_si256(
                        k, _mm256_loadu_si256((const __m256i *)(const void *)(src + off)));
                _mm256_storeu_si256((__m256i *)(void *)(dst + off), k);
            }
    }
}

/* Eight blocks from counter ctr, as cp_chacha16 (512 bytes). */
static CP_AVX2 void cp_chacha8(const uint32_t in[16], uint32_t ctr, uint8_t *dst,
                               const uint8_t *src)
{
    const __m256i r16 = _mm256_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2, 13,
                                        12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2);
    const __m256i r8 = _mm256_set_epi8(14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3, 14, 13,
                                       12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3);
    __m256i x[16], o[16];
    cp_init8(in, ctr, o);
    for (int i = 0; i < 16; i++)
        x[i] = o[i];
    for (int i = 0; i < 10; i++)
        CP_DOUBLE_ROUND(x, CP_Y_ADD, CP_Y_XOR, CP_Y_R16, CP_Y_R12, CP_Y_R8, CP_Y_R7);
    cp_store8(x, o, dst, src);
}

#define CP_AVX512VL  __attribute__((target("avx512f,avx512vl")))
#define CP_YV_R16(a) _mm256_rol_epi32(a, 16)
#define CP_YV_R12(a) _mm256_rol_epi32(a, 12)
#define CP_YV_R8(a)  _mm256_rol_epi32(a, 8)
#define CP_YV_R7(a)  _mm256_rol_epi32(a, 7)

/* The same with AVX-512VL: rotations by VPROLD, and 32 registers. */
static CP_AVX512VL void cp_chacha8_vl(const uint32_t in[16], uint32_t ctr, uint8_t *dst,
                                      const uint8_t *src)
{
    __m256i x[16], o[16];
    cp_init8(in, ctr, o);
    for (int i = 0; i < 16; i++)
        x[i] = o[i];
    for (int i = 0; i < 10; i++)
        CP_DOUBLE_ROUND(x, CP_Y_ADD, CP_Y_XOR, CP_YV_R16, CP_YV_R12, CP_YV_R8, CP_YV_R7);
    cp_store8(x, o, dst, src);
}

/* ---- two blocks side by side, one 256-bit register per row ---- */

/* Two blocks from counter ctr (128 bytes), as cp_chacha16: each 256-bit
 * register holds one row (four words) of block ctr in its low half and of
 * block ctr + 1 in its high half; the diagonal rounds rotate rows b, c, d
 * by one, two and three words. Fewer instructions than the four-block
 * pass, for the shortest messages and tails. */
static CP_AVX2 void cp_chacha2(const uint32_t in[16], uint32_t ctr, uint8_t *dst,
                               const uint8_t *src)
{
    const __m256i r16 = _mm256_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2, 13,
                                        12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2);
    const __m256i r8 = _mm256_set_epi8(14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3, 14, 13,
                                       12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3);
    __m256i o[4];
    for (int i = 0; i < 4; i++)
        o[i] = _mm256_broadcastsi128_si256(
            _mm_loadu_si128((const __m128i *)(const void *)(in + 4 * i)));
    o[3] = _mm256_add_epi32(o[3], _mm256_set_epi32(0, 0, 0, (int)(ctr + 1), 0, 0, 0, (int)ctr));
    __m256i a = o[0], b = o[1], c = o[2], d = o[3];
    for (int i = 0; i < 10; i++) {
        CP_QR(a, b, c, d, CP_Y_ADD, CP_Y_XOR, CP_Y_R16, CP_Y_R12, CP_Y_R8, CP_Y_R7);
        b = _mm256_shuffle_epi32(b, 0x39);
        c = _mm256_shuffle_epi32(c, 0x4e);
        d = _mm256_shuffle_epi32(d, 0x93);
        CP_QR(a, b, c, d, CP_Y_ADD, CP_Y_XOR, CP_Y_R16, CP_Y_R12, CP_Y_R8, CP_Y_R7);
        b = _mm256_shuffle_epi32(b, 0x93);
        c = _mm256_shuffle_epi32(c, 0x4e);
        d = _mm256_shuffle_epi32(d, 0x39);
    }
    a = _mm256_add_epi32(a, o[0]);
    b = _mm256_add_epi32(b, o[1]);
    c = _mm256_add_epi32(c, o[2]);
    d = _mm256_add_epi32(d, o[3]);
    __m256i v[4];
    v[0] = _mm256_permute2x128_si256(a, b, 0x20); /* block ctr, bytes 0..31 */
    v[1] = _mm256_permute2x128_si256(c, d, 0x20);
    v[2] = _mm256_permute2x128_si256(a, b, 0x31); /* block ctr + 1 */
    v[3] = _mm256_permute2x128_si256(c, d, 0x31);
    for (int i = 0; i < 4; i++) {
        __m256i k = v[i];
        if (src)
            k = _mm256_xor_si256(k,
                                 _mm256_loadu_si256((const __m256i *)(const void *)(src + 32 * i)));
        _mm256_storeu_si256((__m256i *)(void *)(dst + 32 * i), k);
    }
}

/* ---- four blocks, 128-bit registers (VEX-encoded, for the tails) ---- */

#define CP_X_ADD(a, b) _mm_add_epi32(a, b)
#define CP_X_XOR(a, b) _mm_xor_si128(a, b)
#define CP_X_R16(a)    _mm_shuffle_epi8(a, r16)
#define CP_X_R8(a)     _mm_shuffle_epi8(a, r8)
#define CP_X_R12(a)    _mm_or_si128(_mm_slli_epi32(a, 12), _mm_srli_epi32(a, 20))
#define CP_X_R7(a)     _mm_or_si128(_mm_slli_epi32(a, 7), _mm_srli_epi32(a, 25))

/* The four-block passes' common ends, as cp_init8 and cp_store8. */
static inline CP_INLINE_AVX2 void cp_init4(const uint32_t in[16], uint32_t ctr, __m128i o[16])
{
    for (int i = 0; i < 16; i++)
        o[i] = _mm_set1_epi32((int)in[i]);
    o[12] = _mm_add_epi32(_mm_set1_epi32((int)ctr), _mm_set_epi32(3, 2, 1, 0));
}

static inline CP_INLINE_AVX2 void cp_store4(const __m128i x[16], const __m128i o[16], uint8_t *dst,
                                            const uint8_t *src)
{
    for (int g = 0; g < 4; g++) {
        __m128i a = _mm_add_epi32(x[4 * g], o[4 * g]),
                b = _mm_add_epi32(x[4 * g + 1], o[4 * g + 1]);
        __m128i c = _mm_add_epi32(x[4 * g + 2], o[4 * g + 2]),
                d = _mm_add_epi32(x[4 * g + 3], o[4 * g + 3]);
        __m128i ab0 = _mm_unpacklo_epi32(a, b), ab1 = _mm_unpackhi_epi32(a, b);
        __m128i cd0 = _mm_unpacklo_epi32(c, d), cd1 = _mm_unpackhi_epi32(c, d);
        __m128i y[4];
        y[0] = _mm_unpacklo_epi64(ab0, cd0); /* words 4g..4g+3 of block 0 */
        y[1] = _mm_unpackhi_epi64(ab0, cd0);
        y[2] = _mm_unpacklo_epi64(ab1, cd1);
        y[3] = _mm_unpackhi_epi64(ab1, cd1);
        for (int b2 = 0; b2 < 4; b2++) {
            size_t off = (size_t)b2 * 64 + 16 * (size_t)g;
            __m128i k = y[b2];
            if (src)
                k = _mm_xor_si128(k, _mm_loadu_si128((const __m128i *)(const void *)(src + off)));
            _mm_storeu_si128((__m128i *)(void *)(dst + off), k);
        }
    }
}

/* Four blocks from counter ctr, as cp_chacha16 (256 bytes). */
static CP_AVX2 void cp_chacha4(const uint32_t in[16], uint32_t ctr, uint8_t *dst,
                               const uint8_t *src)
{
    const __m128i r16 = _mm_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2);
    const __m128i r8 = _mm_set_epi8(14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3);
    __m128i x[16], o[16];
    cp_init4(in, ctr, o);
    for (int i = 0; i < 16; i++)
        x[i] = o[i];
    for (int i = 0; i < 10; i++)
        CP_DOUBLE_ROUND(x, CP_X_ADD, CP_X_XOR, CP_X_R16, CP_X_R12, CP_X_R8, CP_X_R7);
    cp_store4(x, o, dst, src);
}

#define CP_XV_R16(a) _mm_rol_epi32(a, 16)
#define CP_XV_R12(a) _mm_rol_epi32(a, 12)
#define CP_XV_R8(a)  _mm_rol_epi32(a, 8)
#define CP_XV_R7(a)  _mm_rol_epi32(a, 7)

/* The same with AVX-512VL. */
static CP_AVX512VL void cp_chacha4_vl(const uint32_t in[16], uint32_t ctr, uint8_t *dst,
                                      const uint8_t *src)
{
    __m128i x[16], o[16];
    cp_init4(in, ctr, o);
    for (int i = 0; i < 16; i++)
        x[i] = o[i];
    for (int i = 0; i < 10; i++)
        CP_DOUBLE_ROUND(x, CP_X_ADD, CP_X_XOR, CP_XV_R16, CP_XV_R12, CP_XV_R8, CP_XV_R7);
    cp_store4(x, o, dst, src);
}

/* ---- the AEAD ------------------------------------------------------------------ */

static void cp_xor(uint8_t *dst, const uint8_t *src, const uint8_t *ks, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, k;
        memcpy(&a, src + i, 8);
        memcpy(&k, ks + i, 8);
        a ^= k;
        memcpy(dst + i, &a, 8);
    }
    for (; i < n; i++)
        dst[i] = (uint8_t)(src[i] ^ ks[i]);
}

/* Eight or four blocks, in the tier's flavour. */
static void cp_chacha8_t(int tier, const uint32_t in[16], uint32_t ctr, uint8_t *dst,
                         const uint8_t *src)
{
    if (tier == MC_CHACHA_AVX512)
        cp_chacha8_vl(in, ctr, dst, src);
    else
        cp_chacha8(in, ctr, dst, src);
}

static void cp_chacha4_t(int tier, const uint32_t in[16], uint32_t ctr, uint8_t *dst,
                         const uint8_t *src)
{
    if (tier == MC_CHACHA_AVX512)
        cp_chacha4_vl(in, ctr, dst, src);
    else
        cp_chacha4(in, ctr, dst, src);
}

typedef struct cp_stream {
    uint32_t st[16];
    _Alignas(64) uint8_t ks[1024]; /* blocks 0..first-1 */
    size_t first;                  /* blocks in ks */
} cp_stream;

/* Sets up the state and the first pass: block 0 (the Poly1305 key) and as
 * many of the following blocks as one pass gives, kept for the data. */
static void cp_stream_init(cp_stream *s, int tier, const uint32_t key[8], const uint8_t nonce[12],
                           size_t len)
{
    s->st[0] = 0x61707865;
    s->st[1] = 0x3320646e;
    s->st[2] = 0x79622d32;
    s->st[3] = 0x6b206574;
    memcpy(s->st + 4, key, 32);
    s->st[12] = 0;
    s->st[13] = cp_le32(nonce);
    s->st[14] = cp_le32(nonce + 4);
    s->st[15] = cp_le32(nonce + 8);
    /* the smallest pass that covers the message, up to 16 (8 on AVX2) */
    if (len + 64 <= 128) {
        s->first = 2;
        cp_chacha2(s->st, 0, s->ks, NULL);
    } else if (len + 64 <= 256) {
        s->first = 4;
        cp_chacha4_t(tier, s->st, 0, s->ks, NULL);
    } else if (len + 64 <= 512 || tier != MC_CHACHA_AVX512) {
        s->first = 8;
        cp_chacha8_t(tier, s->st, 0, s->ks, NULL);
    } else {
        s->first = 16;
        cp_chacha16(s->st, 0, s->ks, NULL);
    }
}

/* dst = src ^ key stream from block 1 on. */
static void cp_stream_xor(cp_stream *s, int tier, uint8_t *dst, const uint8_t *src, size_t len)
{
    size_t n = (s->first - 1) * 64;
    if (n > len)
        n = len;
    cp_xor(dst, src, s->ks + 64, n);
    size_t off = n;
    uint32_t ctr = (uint32_t)s->first;
    if (tier == MC_CHACHA_AVX512)
        for (; len - off >= 1024; off += 1024, ctr += 16)
            cp_chacha16(s->st, ctr, dst + off, src + off);
    for (; len - off >= 512; off += 512, ctr += 8)
        cp_chacha8_t(tier, s->st, ctr, dst + off, src + off);
    if (len - off >= 256) {
        cp_chacha4_t(tier, s->st, ctr, dst + off, src + off);
        off += 256;
        ctr += 4;
    }
    if (len - off > 128) {
        cp_chacha4_t(tier, s->st, ctr, s->ks, NULL);
        cp_xor(dst + off, src + off, s->ks, len - off);
    } else if (len > off) {
        cp_chacha2(s->st, ctr, s->ks, NULL);
        cp_xor(dst + off, src + off, s->ks, len - off);
    }
}

static void cp_mac(cp_stream *s, int tier, const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                   size_t len, uint8_t tag[16])
{
    cp_poly p;
    cp_poly_init(&p, s->ks);
    cp_poly_padded(&p, aad, aad_len, tier);
    cp_poly_padded(&p, ct, len, tier);
    cp_poly_tag(&p, aad_len, len, tag);
    cp_wipe(&p, sizeof(p));
}

static void cp_seal(int tier, const uint32_t key[8], const uint8_t nonce[12], const uint8_t *aad,
                    size_t aad_len, uint8_t *dst, const uint8_t *src, size_t len, uint8_t tag[16])
{
    cp_stream s;
    cp_stream_init(&s, tier, key, nonce, len);
    cp_poly p;
    cp_poly_init(&p, s.ks);
    cp_stream_xor(&s, tier, dst, src, len);
    cp_wipe(&s, sizeof(s));
    cp_poly_padded(&p, aad, aad_len, tier);
    cp_poly_padded(&p, dst, len, tier);
    cp_poly_tag(&p, aad_len, len, tag);
    cp_wipe(&p, sizeof(p));
}

static int cp_open(int tier, const uint32_t key[8], const uint8_t nonce[12], const uint8_t *aad,
                   size_t aad_len, uint8_t *dst, const uint8_t *src, size_t len,
                   const uint8_t tag[16])
{
    cp_stream s;
    uint8_t want[16];
    cp_stream_init(&s, tier, key, nonce, len);
    cp_mac(&s, tier, aad, aad_len, src, len, want);
    int ok = mote_ct_equal(want, tag, 16);
    cp_wipe(want, sizeof(want));
    if (ok)
        cp_stream_xor(&s, tier, dst, src, len);
    cp_wipe(&s, sizeof(s));
    return ok ? 0 : MOTE_EVERIFY;
}

/* ---- provider entries ----------------------------------------------------------- */

static int cp_nonce_ok(size_t n)
{
    return n == 12;
}

static void cp_set_key(void *ctx, const uint8_t *key)
{
    uint32_t *k = ctx;
    for (int i = 0; i < 8; i++)
        k[i] = cp_le32(key + 4 * i);
}

#define CP_IMPL(tname, tier)                                                                       \
    static void cp_seal_##tname(void *ctx, const uint8_t *nonce, size_t nonce_len,                 \
                                const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,      \
                                uint8_t *tag)                                                      \
    {                                                                                              \
        (void)nonce_len;                                                                           \
        cp_seal(tier, ctx, nonce, aad, aad_len, buf, buf, len, tag);                               \
    }                                                                                              \
    static int cp_open_##tname(void *ctx, const uint8_t *nonce, size_t nonce_len,                  \
                               const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,       \
                               const uint8_t *tag)                                                 \
    {                                                                                              \
        (void)nonce_len;                                                                           \
        return cp_open(tier, ctx, nonce, aad, aad_len, buf, buf, len, tag);                        \
    }                                                                                              \
    static const mc_aead_impl cp_impl_##tname = {                                                  \
        MOTE_CRYPTO_AEAD_CHACHA20_POLY1305,                                                        \
        32,                                                                                        \
        8 * sizeof(uint32_t),                                                                      \
        "chacha20-poly1305/" #tname,                                                               \
        cp_nonce_ok,                                                                               \
        cp_set_key,                                                                                \
        cp_seal_##tname,                                                                           \
        cp_open_##tname,                                                                           \
    };

CP_IMPL(avx512_ifma, MC_CHACHA_AVX512)
CP_IMPL(avx2, MC_CHACHA_AVX2)

int mc_chachapoly_cpu_tier(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512ifma") && __builtin_cpu_supports("avx2"))
        return MC_CHACHA_AVX512;
    if (__builtin_cpu_supports("avx2"))
        return MC_CHACHA_AVX2;
    return MC_CHACHA_SODIUM;
}

const mc_aead_impl *mc_aead_chachapoly(int tier)
{
    if (tier > mc_chachapoly_cpu_tier())
        return NULL;
    switch (tier) {
    case MC_CHACHA_AVX512:
        return &cp_impl_avx512_ifma;
    case MC_CHACHA_AVX2:
        return &cp_impl_avx2;
    default:
        return NULL;
    }
}

int mc_chachapoly_seal(int tier, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
                       size_t aad_len, uint8_t *dst, const uint8_t *src, size_t len,
                       uint8_t tag[16])
{
    if (!mc_aead_chachapoly(tier))
        return MOTE_EUNSUPPORTED;
    uint32_t k[8];
    cp_set_key(k, key);
    cp_seal(tier, k, nonce, aad, aad_len, dst, src, len, tag);
    cp_wipe(k, sizeof(k));
    return 0;
}

int mc_chachapoly_open(int tier, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
                       size_t aad_len, uint8_t *dst, const uint8_t *src, size_t len,
                       const uint8_t tag[16])
{
    if (!mc_aead_chachapoly(tier))
        return MOTE_EUNSUPPORTED;
    uint32_t k[8];
    cp_set_key(k, key);
    int rc = cp_open(tier, k, nonce, aad, aad_len, dst, src, len, tag);
    cp_wipe(k, sizeof(k));
    return rc;
}

#else /* not x86-64: libsodium's ChaCha20-Poly1305 serves */

int mc_chachapoly_cpu_tier(void)
{
    return MC_CHACHA_SODIUM;
}

const mc_aead_impl *mc_aead_chachapoly(int tier)
{
    (void)tier;
    return NULL;
}

int mc_chachapoly_seal(int tier, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
                       size_t aad_len, uint8_t *dst, const uint8_t *src, size_t len,
                       uint8_t tag[16])
{
    (void)tier;
    (void)key;
    (void)nonce;
    (void)aad;
    (void)aad_len;
    (void)dst;
    (void)src;
    (void)len;
    (void)tag;
    return MOTE_EUNSUPPORTED;
}

int mc_chachapoly_open(int tier, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
                       size_t aad_len, uint8_t *dst, const uint8_t *src, size_t len,
                       const uint8_t tag[16])
{
    (void)tier;
    (void)key;
    (void)nonce;
    (void)aad;
    (void)aad_len;
    (void)dst;
    (void)src;
    (void)len;
    (void)tag;
    return MOTE_EUNSUPPORTED;
}

#endif
