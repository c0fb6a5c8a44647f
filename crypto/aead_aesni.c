/*
 * aead_aesni.c - AES-GCM (NIST SP 800-38D) on x86-64's AES-NI and
 * PCLMULQDQ instructions, through compiler intrinsics. Built only on
 * x86-64, this one file with -maes -mpclmul -msse4.1; provider.c selects it
 * at run time when cpuid reports both extensions, else nettle's GCM serves.
 *
 * CTR runs eight counter blocks through the rounds side by side, so the
 * AES unit's latency is hidden, and the GHASH of eight other blocks is
 * interleaved with those rounds (the ciphertext being opened, or the
 * previous eight blocks sealed), so AES and PCLMULQDQ work at once. GHASH works on byte-reversed
 * blocks (the representation of Intel's "Carry-Less Multiplication and Its Usage for Computing the
 * GCM Mode" white paper): products are carry-less multiplications (Karatsuba: three per block),
 * summed unreduced over eight blocks against the precomputed powers H^8..H^1, then shifted one bit
 * (the bit-reflection correction) and reduced modulo x^128 + x^7 + x^2 + x + 1 once.
 *
 * The round keys come from mc_aes_expand_key (aes_key.c), which computes
 * the S-box rather than looking it up: the key schedule is constant time.
 * AESENC and PCLMULQDQ run in time independent of their data, and nothing
 * here branches on or indexes by secret data.
 */
#include <string.h>

#include <cpuid.h>
#include <stdatomic.h>
#include <immintrin.h>
#include <wmmintrin.h>

#include "internal.h"

typedef struct gcm_ni_ctx {
    __m128i rk[15];   /* round keys */
    __m128i hp[8];    /* hp[i] = H^(i+1), byte-reversed */
    __m128i hk[8];    /* hk[i]: the two halves of hp[i] XORed (Karatsuba) */
    __m128i hrev[16]; /* hrev[j] = H^(16-j): four 512-bit rows for VPCLMULQDQ */
    int nr;           /* rounds: 10, 12 or 14 */
} gcm_ni_ctx;

static inline __m128i bswap128(__m128i x)
{
    const __m128i m = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm_shuffle_epi8(x, m);
}

static inline __m128i aes_block(const gcm_ni_ctx *c, __m128i x)
{
    x = _mm_xor_si128(x, c->rk[0]);
    for (int r = 1; r < c->nr; r++)
        x = _mm_aesenc_si128(x, c->rk[r]);
    return _mm_aesenclast_si128(x, c->rk[c->nr]);
}

/* ---- GHASH ------------------------------------------------------------------ */

/* Unreduced 256-bit product accumulator: lo, mid (the two cross terms), hi. */
typedef struct {
    __m128i lo, mid, hi;
} acc256;

static inline void acc_init(acc256 *a)
{
    a->lo = a->mid = a->hi = _mm_setzero_si128();
}

static inline void acc_mul(acc256 *a, __m128i x, __m128i h)
{
    a->lo = _mm_xor_si128(a->lo, _mm_clmulepi64_si128(x, h, 0x00));
    a->hi = _mm_xor_si128(a->hi, _mm_clmulepi64_si128(x, h, 0x11));
    a->mid = _mm_xor_si128(a->mid, _mm_clmulepi64_si128(x, h, 0x01));
    a->mid = _mm_xor_si128(a->mid, _mm_clmulepi64_si128(x, h, 0x10));
}

/* The same product by Karatsuba: three multiplications, the middle one of
 * x's halves XORed against hk (h's halves XORed, precomputed). Its sum
 * still holds lo and hi: acc_fix_k removes them, once per aggregate,
 * before acc_reduce. */
static inline void acc_mul_k(acc256 *a, __m128i x, __m128i h, __m128i hk)
{
    a->lo = _mm_xor_si128(a->lo, _mm_clmulepi64_si128(x, h, 0x00));
    a->hi = _mm_xor_si128(a->hi, _mm_clmulepi64_si128(x, h, 0x11));
    __m128i xk = _mm_xor_si128(x, _mm_srli_si128(x, 8));
    a->mid = _mm_xor_si128(a->mid, _mm_clmulepi64_si128(xk, hk, 0x00));
}

static inline void acc_fix_k(acc256 *a)
{
    a->mid = _mm_xor_si128(a->mid, _mm_xor_si128(a->lo, a->hi));
}

/* Folds the accumulated 256-bit value into a 128-bit field element: the
 * one-bit left shift that bit reflection calls for, then the reduction
 * modulo the GCM polynomial (both linear, so one per aggregate suffices). */
static inline __m128i acc_reduce(const acc256 *a)
{
    __m128i lo = _mm_xor_si128(a->lo, _mm_slli_si128(a->mid, 8));
    __m128i hi = _mm_xor_si128(a->hi, _mm_srli_si128(a->mid, 8));

    /* [hi:lo] <<= 1 */
    __m128i clo = _mm_srli_epi32(lo, 31);
    __m128i chi = _mm_srli_epi32(hi, 31);
    lo = _mm_slli_epi32(lo, 1);
    hi = _mm_slli_epi32(hi, 1);
    __m128i cross = _mm_srli_si128(clo, 12);
    chi = _mm_slli_si128(chi, 4);
    clo = _mm_slli_si128(clo, 4);
    lo = _mm_or_si128(lo, clo);
    hi = _mm_or_si128(hi, chi);
    hi = _mm_or_si128(hi, cross);

    /* reduction: first phase */
    __m128i t1 = _mm_slli_epi32(lo, 31);
    __m128i t2 = _mm_slli_epi32(lo, 30);
    __m128i t3 = _mm_slli_epi32(lo, 25);
    t1 = _mm_xor_si128(t1, t2);
    t1 = _mm_xor_si128(t1, t3);
    __m128i carry = _mm_srli_si128(t1, 4);
    t1 = _mm_slli_si128(t1, 12);
    lo = _mm_xor_si128(lo, t1);
    /* second phase */
    __m128i s1 = _mm_srli_epi32(lo, 1);
    __m128i s2 = _mm_srli_epi32(lo, 2);
    __m128i s3 = _mm_srli_epi32(lo, 7);
    s1 = _mm_xor_si128(s1, s2);
    s1 = _mm_xor_si128(s1, s3);
    s1 = _mm_xor_si128(s1, carry);
    lo = _mm_xor_si128(lo, s1);
    return _mm_xor_si128(hi, lo);
}

static inline __m128i gf_mul(__m128i x, __m128i h)
{
    acc256 a;
    acc_init(&a);
    acc_mul(&a, x, h);
    return acc_reduce(&a);
}

/* Absorbs n bytes (whole blocks, then one zero-padded partial block) into
 * the byte-reversed GHASH state y. */
static __m128i ghash(const gcm_ni_ctx *c, __m128i y, const uint8_t *p, size_t n)
{
    while (n >= 128) {
        acc256 a;
        acc_init(&a);
        acc_mul_k(&a, _mm_xor_si128(y, bswap128(_mm_loadu_si128((const __m128i *)p))), c->hp[7],
                  c->hk[7]);
        for (int i = 1; i < 8; i++)
            acc_mul_k(&a, bswap128(_mm_loadu_si128((const __m128i *)(p + 16 * i))), c->hp[7 - i],
                      c->hk[7 - i]);
        acc_fix_k(&a);
        y = acc_reduce(&a);
        p += 128;
        n -= 128;
    }
    while (n >= 16) {
        y = gf_mul(_mm_xor_si128(y, bswap128(_mm_loadu_si128((const __m128i *)p))), c->hp[0]);
        p += 16;
        n -= 16;
    }
    if (n) {
        uint8_t last[16] = {0};
        memcpy(last, p, n);
        y = gf_mul(_mm_xor_si128(y, bswap128(_mm_loadu_si128((const __m128i *)last))), c->hp[0]);
        mote_wipe(last, sizeof(last));
    }
    return y;
}

/* ---- key setup and counter blocks ----------------------------------------------- */

static void gcm_ni_set_key(gcm_ni_ctx *c, const uint8_t *key, size_t key_len)
{
    uint32_t w[60];
    mc_aes_expand_key(key, key_len, w);
    c->nr = (int)(key_len / 4 + 6);
    /* mc_aes_expand_key stores each word little-endian: on x86-64 the
     * array's bytes are the round keys in FIPS 197 byte order. */
    for (int r = 0; r <= c->nr; r++)
        c->rk[r] = _mm_loadu_si128((const __m128i *)(w + 4 * r));
    mote_wipe(w, sizeof(w));
    __m128i h = bswap128(aes_block(c, _mm_setzero_si128()));
    c->hp[0] = h;
    for (int i = 1; i < 8; i++)
        c->hp[i] = gf_mul(c->hp[i - 1], h);
    for (int i = 0; i < 8; i++)
        c->hk[i] = _mm_xor_si128(c->hp[i], _mm_srli_si128(c->hp[i], 8));
    __m128i p = c->hp[7];
    for (int i = 0; i < 8; i++) {
        c->hrev[15 - i] = c->hp[i];
        p = gf_mul(p, h); /* H^9 .. H^16 */
        c->hrev[7 - i] = p;
    }
}

/* J0 (SP 800-38D 7.1 step 2), in FIPS byte order. */
static __m128i gcm_j0(const gcm_ni_ctx *c, const uint8_t *nonce, size_t nonce_len)
{
    if (nonce_len == 12) {
        uint8_t b[16];
        memcpy(b, nonce, 12);
        b[12] = b[13] = b[14] = 0;
        b[15] = 1;
        return _mm_loadu_si128((const __m128i *)b);
    }
    __m128i y = ghash(c, _mm_setzero_si128(), nonce, nonce_len);
    uint8_t lb[16] = {0};
    uint64_t bits = (uint64_t)nonce_len * 8;
    for (int i = 0; i < 8; i++)
        lb[15 - i] = (uint8_t)(bits >> (8 * i));
    y = gf_mul(_mm_xor_si128(y, bswap128(_mm_loadu_si128((const __m128i *)lb))), c->hp[0]);
    return bswap128(y);
}

static inline __m128i ctr_block(__m128i j0, uint32_t ctr)
{
    return _mm_insert_epi32(j0, (int)__builtin_bswap32(ctr), 3);
}

/* Eight blocks of CTR, with GHASH over eight other blocks g[] (ciphertext
 * already byte-reversed; the first with the state y folded in) stitched
 * into the AES rounds so the AES and carry-less multiply units work at
 * once. nr is a constant at each call site, so the rounds unroll. */
static inline __attribute__((always_inline)) __m128i crypt8(const gcm_ni_ctx *c, const int nr,
                                                            __m128i j0, uint32_t ctr, uint8_t *buf,
                                                            const __m128i *g, int have_g, __m128i y)
{
    __m128i b[8];
    acc256 a;
    acc_init(&a);
    for (int i = 0; i < 8; i++)
        b[i] = _mm_xor_si128(ctr_block(j0, ctr + (uint32_t)i), c->rk[0]);
#pragma GCC unroll 16
    for (int r = 1; r < nr; r++) {
        __m128i k = c->rk[r];
        for (int i = 0; i < 8; i++)
            b[i] = _mm_aesenc_si128(b[i], k);
        if (have_g && r <= 8)
            acc_mul_k(&a, r == 1 ? _mm_xor_si128(y, g[0]) : g[r - 1], c->hp[8 - r], c->hk[8 - r]);
    }
    acc_fix_k(&a);
    for (int i = 0; i < 8; i++) {
        b[i] = _mm_aesenclast_si128(b[i], c->rk[nr]);
        __m128i *p = (__m128i *)(buf + 16 * i);
        _mm_storeu_si128(p, _mm_xor_si128(b[i], _mm_loadu_si128(p)));
    }
    return have_g ? acc_reduce(&a) : y;
}

static inline __attribute__((always_inline)) __m128i crypt_bulk(const gcm_ni_ctx *c, const int nr,
                                                                __m128i j0, uint32_t *ctrp,
                                                                __m128i y, uint8_t **bufp,
                                                                size_t *lenp, int decrypt)
{
    uint8_t *buf = *bufp;
    size_t len = *lenp;
    uint32_t ctr = *ctrp;
    __m128i g[8];
    int pending = 0;
    while (len >= 128) {
        if (decrypt) {
            for (int i = 0; i < 8; i++)
                g[i] = bswap128(_mm_loadu_si128((const __m128i *)(buf + 16 * i)));
            y = crypt8(c, nr, j0, ctr, buf, g, 1, y);
        } else {
            y = crypt8(c, nr, j0, ctr, buf, g, pending, y);
            for (int i = 0; i < 8; i++)
                g[i] = bswap128(_mm_loadu_si128((const __m128i *)(buf + 16 * i)));
            pending = 1;
        }
        ctr += 8;
        buf += 128;
        len -= 128;
    }
    if (pending) {
        acc256 a;
        acc_init(&a);
        acc_mul_k(&a, _mm_xor_si128(y, g[0]), c->hp[7], c->hk[7]);
        for (int i = 1; i < 8; i++)
            acc_mul_k(&a, g[i], c->hp[7 - i], c->hk[7 - i]);
        acc_fix_k(&a);
        y = acc_reduce(&a);
    }
    *bufp = buf;
    *lenp = len;
    *ctrp = ctr;
    return y;
}

/* ---- 512-bit path: VAES and VPCLMULQDQ ----------------------------------------
 * Sixteen blocks per step in four 512-bit registers (four blocks each):
 * CTR with VAESENC, and the GHASH of sixteen other blocks against
 * H^16..H^1 (hrev, four 512-bit rows) with VPCLMULQDQ, summed unreduced
 * and folded to 128 bits before the one reduction acc_reduce does. Used
 * for the bulk of a message (whole 256-byte steps); the rest goes to the
 * 8-block and single-block code above. */

#define GCM_VAES __attribute__((target("avx512f,avx512bw,vaes,vpclmulqdq")))

static inline GCM_VAES __m128i fold512(__m512i x)
{
    __m256i a = _mm256_xor_si256(_mm512_castsi512_si256(x), _mm512_extracti64x4_epi64(x, 1));
    return _mm_xor_si128(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
}

static inline GCM_VAES __m512i bswap512(__m512i x)
{
    const __m512i m =
        _mm512_broadcast_i32x4(_mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    return _mm512_shuffle_epi8(x, m);
}

/* GHASH of sixteen byte-reversed blocks g[0..3] (y folded into the first)
 * into lo/mid/hi, row k against hrev[4k..4k+3]. */
static inline GCM_VAES void acc16_row(__m512i *lo, __m512i *mid, __m512i *hi, __m512i g,
                                      const __m128i *hrow)
{
    __m512i h = _mm512_loadu_si512((const void *)hrow);
    *lo = _mm512_xor_si512(*lo, _mm512_clmulepi64_epi128(g, h, 0x00));
    *hi = _mm512_xor_si512(*hi, _mm512_clmulepi64_epi128(g, h, 0x11));
    *mid = _mm512_xor_si512(*mid, _mm512_xor_si512(_mm512_clmulepi64_epi128(g, h, 0x01),
                                                   _mm512_clmulepi64_epi128(g, h, 0x10)));
}

static inline GCM_VAES __m128i acc16_reduce(__m512i lo, __m512i mid, __m512i hi)
{
    acc256 a;
    a.lo = fold512(lo);
    a.mid = fold512(mid);
    a.hi = fold512(hi);
    return acc_reduce(&a);
}

static inline __attribute__((always_inline)) GCM_VAES __m128i crypt16(const gcm_ni_ctx *c,
                                                                      const int nr, __m128i j0,
                                                                      uint32_t ctr, uint8_t *buf,
                                                                      const __m512i *g, int have_g,
                                                                      __m128i y)
{
    const __m512i z = _mm512_setzero_si512();
    __m512i lo = z, mid = z, hi = z, b[4];
    /* counters ctr..ctr+15: inc32 on the byte-reversed block's low word */
    __m512i base = _mm512_broadcast_i32x4(bswap128(ctr_block(j0, ctr)));
    __m512i rk0 = _mm512_broadcast_i32x4(c->rk[0]);
    for (int k = 0; k < 4; k++) {
        __m512i inc = _mm512_set_epi32(0, 0, 0, 4 * k + 3, 0, 0, 0, 4 * k + 2, 0, 0, 0, 4 * k + 1,
                                       0, 0, 0, 4 * k);
        b[k] = _mm512_xor_si512(bswap512(_mm512_add_epi32(base, inc)), rk0);
    }
#pragma GCC unroll 16
    for (int r = 1; r < nr; r++) {
        __m512i k = _mm512_broadcast_i32x4(c->rk[r]);
        for (int i = 0; i < 4; i++)
            b[i] = _mm512_aesenc_epi128(b[i], k);
        if (have_g && r <= 4) {
            __m512i gg = g[r - 1];
            if (r == 1)
                gg = _mm512_xor_si512(gg, _mm512_inserti32x4(z, y, 0));
            acc16_row(&lo, &mid, &hi, gg, c->hrev + 4 * (r - 1));
        }
    }
    __m512i kl = _mm512_broadcast_i32x4(c->rk[nr]);
    for (int i = 0; i < 4; i++) {
        b[i] = _mm512_aesenclast_epi128(b[i], kl);
        void *p = buf + 64 * i;
        _mm512_storeu_si512(p, _mm512_xor_si512(b[i], _mm512_loadu_si512(p)));
    }
    return have_g ? acc16_reduce(lo, mid, hi) : y;
}

static inline __attribute__((always_inline)) GCM_VAES __m128i
crypt_bulk16(const gcm_ni_ctx *c, const int nr, __m128i j0, uint32_t *ctrp, __m128i y,
             uint8_t **bufp, size_t *lenp, int decrypt)
{
    uint8_t *buf = *bufp;
    size_t len = *lenp;
    uint32_t ctr = *ctrp;
    __m512i g[4];
    int pending = 0;
    while (len >= 256) {
        if (decrypt) {
            for (int i = 0; i < 4; i++)
                g[i] = bswap512(_mm512_loadu_si512((const void *)(buf + 64 * i)));
            y = crypt16(c, nr, j0, ctr, buf, g, 1, y);
        } else {
            y = crypt16(c, nr, j0, ctr, buf, g, pending, y);
            for (int i = 0; i < 4; i++)
                g[i] = bswap512(_mm512_loadu_si512((const void *)(buf + 64 * i)));
            pending = 1;
        }
        ctr += 16;
        buf += 256;
        len -= 256;
    }
    if (pending) {
        const __m512i z = _mm512_setzero_si512();
        __m512i lo = z, mid = z, hi = z;
        acc16_row(&lo, &mid, &hi, _mm512_xor_si512(g[0], _mm512_inserti32x4(z, y, 0)), c->hrev);
        for (int k = 1; k < 4; k++)
            acc16_row(&lo, &mid, &hi, g[k], c->hrev + 4 * k);
        y = acc16_reduce(lo, mid, hi);
    }
    *bufp = buf;
    *lenp = len;
    *ctrp = ctr;
    return y;
}

/* The whole 256-byte steps of a message; advances buf, len and ctr. */
static GCM_VAES __m128i gcm_crypt_wide(const gcm_ni_ctx *c, __m128i j0, uint32_t *ctr, __m128i y,
                                       uint8_t **buf, size_t *len, int decrypt)
{
    switch (c->nr) {
    case 10:
        return crypt_bulk16(c, 10, j0, ctr, y, buf, len, decrypt);
    case 12:
        return crypt_bulk16(c, 12, j0, ctr, y, buf, len, decrypt);
    default:
        return crypt_bulk16(c, 14, j0, ctr, y, buf, len, decrypt);
    }
}

/* CTR from counter value ctr on (GCTR with inc32), and GHASH of the
 * ciphertext: before encryption when decrypting, after when encrypting. */
static __m128i gcm_crypt(const gcm_ni_ctx *c, __m128i j0, uint32_t ctr, __m128i y, uint8_t *buf,
                         size_t len, int decrypt, int wide)
{
    if (wide && len >= 256)
        y = gcm_crypt_wide(c, j0, &ctr, y, &buf, &len, decrypt);
    switch (c->nr) {
    case 10:
        y = crypt_bulk(c, 10, j0, &ctr, y, &buf, &len, decrypt);
        break;
    case 12:
        y = crypt_bulk(c, 12, j0, &ctr, y, &buf, &len, decrypt);
        break;
    default:
        y = crypt_bulk(c, 14, j0, &ctr, y, &buf, &len, decrypt);
        break;
    }
    while (len >= 16) {
        if (decrypt)
            y = ghash(c, y, buf, 16);
        __m128i k = aes_block(c, ctr_block(j0, ctr++));
        _mm_storeu_si128((__m128i *)buf, _mm_xor_si128(k, _mm_loadu_si128((const __m128i *)buf)));
        if (!decrypt)
            y = ghash(c, y, buf, 16);
        buf += 16;
        len -= 16;
    }
    if (len) {
        uint8_t t[16] = {0};
        if (decrypt)
            y = ghash(c, y, buf, len);
        memcpy(t, buf, len);
        __m128i k = aes_block(c, ctr_block(j0, ctr));
        _mm_storeu_si128((__m128i *)t, _mm_xor_si128(k, _mm_loadu_si128((const __m128i *)t)));
        memcpy(buf, t, len);
        mote_wipe(t, sizeof(t));
        if (!decrypt)
            y = ghash(c, y, buf, len);
    }
    return y;
}

static void gcm_ni_run(const gcm_ni_ctx *c, const uint8_t *nonce, size_t nonce_len,
                       const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag,
                       int decrypt, int wide)
{
    __m128i j0 = gcm_j0(c, nonce, nonce_len);
    uint32_t ctr0 = __builtin_bswap32((uint32_t)_mm_extract_epi32(j0, 3));
    __m128i y = ghash(c, _mm_setzero_si128(), aad, aad_len);
    y = gcm_crypt(c, j0, ctr0 + 1, y, buf, len, decrypt, wide);
    uint8_t lb[16];
    uint64_t abits = (uint64_t)aad_len * 8, cbits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) {
        lb[7 - i] = (uint8_t)(abits >> (8 * i));
        lb[15 - i] = (uint8_t)(cbits >> (8 * i));
    }
    y = gf_mul(_mm_xor_si128(y, bswap128(_mm_loadu_si128((const __m128i *)lb))), c->hp[0]);
    __m128i t = _mm_xor_si128(bswap128(y), aes_block(c, j0));
    _mm_storeu_si128((__m128i *)tag, t);
}

/* ---- provider entries ----------------------------------------------------------- */

static int gcm_ni_nonce_ok(size_t n)
{
    return n >= 1 && n <= MOTE_CRYPTO_AEAD_NONCE_MAX;
}

static void gcm_ni_seal(void *ctx, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                        size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag)
{
    gcm_ni_run(ctx, nonce, nonce_len, aad, aad_len, buf, len, tag, 0, 0);
}

static void gcm_vaes_seal(void *ctx, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                          size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag)
{
    gcm_ni_run(ctx, nonce, nonce_len, aad, aad_len, buf, len, tag, 0, 1);
}

static int gcm_open_common(void *ctx, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                           size_t aad_len, uint8_t *buf, size_t len, const uint8_t *tag, int wide)
{
    uint8_t want[MOTE_CRYPTO_AEAD_TAG_LEN];
    gcm_ni_run(ctx, nonce, nonce_len, aad, aad_len, buf, len, want, 1, wide);
    int ok = mote_ct_equal(want, tag, MOTE_CRYPTO_AEAD_TAG_LEN);
    mote_wipe(want, sizeof(want));
    return ok ? 0 : MOTE_EVERIFY; /* the caller zeroes buf on failure */
}

static int gcm_ni_open(void *ctx, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                       size_t aad_len, uint8_t *buf, size_t len, const uint8_t *tag)
{
    return gcm_open_common(ctx, nonce, nonce_len, aad, aad_len, buf, len, tag, 0);
}

static int gcm_vaes_open(void *ctx, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                         size_t aad_len, uint8_t *buf, size_t len, const uint8_t *tag)
{
    return gcm_open_common(ctx, nonce, nonce_len, aad, aad_len, buf, len, tag, 1);
}

#define GCM_NI_IMPL(bits)                                                                          \
    static void gcm_ni##bits##_set_key(void *ctx, const uint8_t *key)                              \
    {                                                                                              \
        gcm_ni_set_key(ctx, key, bits / 8);                                                        \
    }                                                                                              \
    static const mc_aead_impl gcm_ni##bits##_impl = {                                              \
        MOTE_CRYPTO_AEAD_AES_##bits##_GCM,                                                         \
        bits / 8,                                                                                  \
        sizeof(gcm_ni_ctx),                                                                        \
        "aes-" #bits "-gcm/aesni-pclmul",                                                          \
        gcm_ni_nonce_ok,                                                                           \
        gcm_ni##bits##_set_key,                                                                    \
        gcm_ni_seal,                                                                               \
        gcm_ni_open,                                                                               \
    };

GCM_NI_IMPL(128)
GCM_NI_IMPL(192)
GCM_NI_IMPL(256)

#define GCM_VAES_IMPL(bits)                                                                        \
    static const mc_aead_impl gcm_vaes##bits##_impl = {                                            \
        MOTE_CRYPTO_AEAD_AES_##bits##_GCM,                                                         \
        bits / 8,                                                                                  \
        sizeof(gcm_ni_ctx),                                                                        \
        "aes-" #bits "-gcm/vaes-vpclmulqdq",                                                       \
        gcm_ni_nonce_ok,                                                                           \
        gcm_ni##bits##_set_key,                                                                    \
        gcm_vaes_seal,                                                                             \
        gcm_vaes_open,                                                                             \
    };

GCM_VAES_IMPL(128)
GCM_VAES_IMPL(192)
GCM_VAES_IMPL(256)

int mc_aead_aesni_gcm_usable(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
           __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
}

const mc_aead_impl *mc_aead_aesni_gcm(mote_crypto_aead_id id)
{
    switch (id) {
    case MOTE_CRYPTO_AEAD_AES_128_GCM:
        return &gcm_ni128_impl;
    case MOTE_CRYPTO_AEAD_AES_192_GCM:
        return &gcm_ni192_impl;
    case MOTE_CRYPTO_AEAD_AES_256_GCM:
        return &gcm_ni256_impl;
    default:
        return NULL;
    }
}

int mc_aead_vaes_gcm_usable(void)
{
    /* AVX-512 F and BW through the builtin (which also checks that the OS
     * saves the 512-bit registers); VAES and VPCLMULQDQ from cpuid leaf 7
     * (ECX bits 9 and 10), which not every compiler's builtin knows. */
    __builtin_cpu_init();
    if (!mc_aead_aesni_gcm_usable() || !__builtin_cpu_supports("avx512f") ||
        !__builtin_cpu_supports("avx512bw"))
        return 0;
    /* The builtins read a table libgcc filled once; cpuid itself traps to
     * the hypervisor on a virtual machine (about 8 us here, more than the
     * whole key setup, and a TLS handshake makes four or five AEADs), so
     * its answer is kept too: a fact about the CPU, the same for every
     * thread, so a race only computes it twice. */
    static atomic_int leaf7 = -1;
    int v = atomic_load_explicit(&leaf7, memory_order_relaxed);
    if (v < 0) {
        unsigned a, b, c, d;
        v = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c >> 9 & 1) && (c >> 10 & 1);
        atomic_store_explicit(&leaf7, v, memory_order_relaxed);
    }
    return v;
}

const mc_aead_impl *mc_aead_vaes_gcm(mote_crypto_aead_id id)
{
    switch (id) {
    case MOTE_CRYPTO_AEAD_AES_128_GCM:
        return &gcm_vaes128_impl;
    case MOTE_CRYPTO_AEAD_AES_192_GCM:
        return &gcm_vaes192_impl;
    case MOTE_CRYPTO_AEAD_AES_256_GCM:
        return &gcm_vaes256_impl;
    default:
        return NULL;
    }
}
