/*
 * mlkem.c - ML-KEM-768 (FIPS 203), written here.
 *
 * Coefficients are kept in [0, q) as uint16_t; every reduction is a
 * multiply-and-subtract with a masked correction, so no branch and no
 * memory index depends on a secret. Rejection sampling of the matrix
 * (SampleNTT) looks at public bytes only. SHA3-256, SHA3-512, SHAKE128 and
 * SHAKE256 are sponges written here over nettle's Keccak-f[1600]
 * permutation.
 */
#include <string.h>

#include <nettle/sha3.h>

#include "internal.h"

/* ---- Keccak sponge ------------------------------------------------------------ */

_Static_assert(sizeof(struct sha3_state) == 25 * sizeof(uint64_t), "sha3_state layout");

void mc_keccak_init(mc_keccak *k, size_t rate, uint8_t pad)
{
    memset(k->a, 0, sizeof(k->a));
    k->rate = rate;
    k->pos = 0;
    k->pad = pad;
}

static void keccak_permute(mc_keccak *k)
{
    sha3_permute((struct sha3_state *)(void *)k->a);
}

void mc_keccak_absorb(mc_keccak *k, const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        k->a[k->pos / 8] ^= (uint64_t)in[i] << (8 * (k->pos % 8));
        if (++k->pos == k->rate) {
            keccak_permute(k);
            k->pos = 0;
        }
    }
}

void mc_keccak_finish(mc_keccak *k)
{
    k->a[k->pos / 8] ^= (uint64_t)k->pad << (8 * (k->pos % 8));
    k->a[(k->rate - 1) / 8] ^= (uint64_t)0x80 << (8 * ((k->rate - 1) % 8));
    keccak_permute(k);
    k->pos = 0;
}

void mc_keccak_squeeze(mc_keccak *k, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (k->pos == k->rate) {
            keccak_permute(k);
            k->pos = 0;
        }
        out[i] = (uint8_t)(k->a[k->pos / 8] >> (8 * (k->pos % 8)));
        k->pos++;
    }
}

#define SHA3_PAD  0x06
#define SHAKE_PAD 0x1f

static void keccak_hash(size_t rate, uint8_t pad, const uint8_t *a, size_t alen, const uint8_t *b,
                        size_t blen, uint8_t *out, size_t olen)
{
    mc_keccak k;
    mc_keccak_init(&k, rate, pad);
    mc_keccak_absorb(&k, a, alen);
    if (blen)
        mc_keccak_absorb(&k, b, blen);
    mc_keccak_finish(&k);
    mc_keccak_squeeze(&k, out, olen);
    mote_wipe(&k, sizeof(k));
}

/* H = SHA3-256, G = SHA3-512, J = SHAKE256 with 32 bytes out, PRF = SHAKE256. */
static void hash_h(const uint8_t *in, size_t len, uint8_t out[32])
{
    keccak_hash(136, SHA3_PAD, in, len, NULL, 0, out, 32);
}
static void hash_g(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[64])
{
    keccak_hash(72, SHA3_PAD, a, alen, b, blen, out, 64);
}
static void hash_j(const uint8_t z[32], const uint8_t *c, size_t clen, uint8_t out[32])
{
    keccak_hash(136, SHAKE_PAD, z, 32, c, clen, out, 32);
}

/* ---- arithmetic mod q ---------------------------------------------------------- */

#define Q      3329
#define KK     3
#define DU     10
#define DV     4
#define POLYB  384 /* bytes of a 12-bit encoded polynomial */
#define EK_LEN (POLYB * KK + 32)
#define DK_LEN (POLYB * KK + EK_LEN + 64)
#define CT_LEN (32 * (DU * KK + DV))

_Static_assert(EK_LEN == MOTE_CRYPTO_MLKEM768_EK_LEN, "ek length");
_Static_assert(DK_LEN == MOTE_CRYPTO_MLKEM768_DK_LEN, "dk length");
_Static_assert(CT_LEN == MOTE_CRYPTO_MLKEM768_CT_LEN, "ct length");

typedef struct poly {
    uint16_t c[256];
} poly;

/* floor(x / q) for any 32-bit x, without a division instruction: an
 * estimate from floor(2^32 / q) is low by at most one, fixed by a mask. */
static uint32_t div_q(uint32_t x)
{
    uint32_t t = (uint32_t)(((uint64_t)x * 1290167u) >> 32);
    uint32_t r = x - t * Q; /* 0 <= r < 2q */
    uint32_t ge = 1u ^ ((r - Q) >> 31);
    return t + ge;
}

static uint16_t red_q(uint32_t x)
{
    return (uint16_t)(x - div_q(x) * Q);
}

/* r < 2q  ->  r mod q */
static uint16_t csub_q(uint32_t r)
{
    uint32_t t = r - Q;
    t += Q & (0u - (t >> 31));
    return (uint16_t)t;
}

static uint16_t add_q(uint16_t a, uint16_t b)
{
    return csub_q((uint32_t)a + b);
}
static uint16_t sub_q(uint16_t a, uint16_t b)
{
    return csub_q((uint32_t)a + Q - b);
}
static uint16_t mul_q(uint16_t a, uint16_t b)
{
    return red_q((uint32_t)a * b);
}

/* 17^BitRev7(i) mod q, and 17^(2 BitRev7(i) + 1) mod q (FIPS 203, 4.3). */
static const uint16_t zetas[128] = {
    1,    1729, 2580, 3289, 2642, 630,  1897, 848,  1062, 1919, 193,  797,  2786, 3260, 569,  1746,
    296,  2447, 1339, 1476, 3046, 56,   2240, 1333, 1426, 2094, 535,  2882, 2393, 2879, 1974, 821,
    289,  331,  3253, 1756, 1197, 2304, 2277, 2055, 650,  1977, 2513, 632,  2865, 33,   1320, 1915,
    2319, 1435, 807,  452,  1438, 2868, 1534, 2402, 2647, 2617, 1481, 648,  2474, 3110, 1227, 910,
    17,   2761, 583,  2649, 1637, 723,  2288, 1100, 1409, 2662, 3281, 233,  756,  2156, 3015, 3050,
    1703, 1651, 2789, 1789, 1847, 952,  1461, 2687, 939,  2308, 2437, 2388, 733,  2337, 268,  641,
    1584, 2298, 2037, 3220, 375,  2549, 2090, 1645, 1063, 319,  2773, 757,  2099, 561,  2466, 2594,
    2804, 1092, 403,  1026, 1143, 2150, 2775, 886,  1722, 1212, 1874, 1029, 2110, 2935, 885,  2154};
static const uint16_t gammas[128] = {
    17,   3312, 2761, 568,  583,  2746, 2649, 680,  1637, 1692, 723,  2606, 2288, 1041, 1100, 2229,
    1409, 1920, 2662, 667,  3281, 48,   233,  3096, 756,  2573, 2156, 1173, 3015, 314,  3050, 279,
    1703, 1626, 1651, 1678, 2789, 540,  1789, 1540, 1847, 1482, 952,  2377, 1461, 1868, 2687, 642,
    939,  2390, 2308, 1021, 2437, 892,  2388, 941,  733,  2596, 2337, 992,  268,  3061, 641,  2688,
    1584, 1745, 2298, 1031, 2037, 1292, 3220, 109,  375,  2954, 2549, 780,  2090, 1239, 1645, 1684,
    1063, 2266, 319,  3010, 2773, 556,  757,  2572, 2099, 1230, 561,  2768, 2466, 863,  2594, 735,
    2804, 525,  1092, 2237, 403,  2926, 1026, 2303, 1143, 2186, 2150, 1179, 2775, 554,  886,  2443,
    1722, 1607, 1212, 2117, 1874, 1455, 1029, 2300, 2110, 1219, 2935, 394,  885,  2444, 2154, 1175};

/* Algorithm 9 */
static void ntt(poly *f)
{
    unsigned k = 1;
    for (unsigned len = 128; len >= 2; len >>= 1) {
        for (unsigned start = 0; start < 256; start += 2 * len) {
            uint16_t z = zetas[k++];
            for (unsigned j = start; j < start + len; j++) {
                uint16_t t = mul_q(z, f->c[j + len]);
                f->c[j + len] = sub_q(f->c[j], t);
                f->c[j] = add_q(f->c[j], t);
            }
        }
    }
}

/* Algorithm 10 */
static void inv_ntt(poly *f)
{
    unsigned k = 127;
    for (unsigned len = 2; len <= 128; len <<= 1) {
        for (unsigned start = 0; start < 256; start += 2 * len) {
            uint16_t z = zetas[k--];
            for (unsigned j = start; j < start + len; j++) {
                uint16_t t = f->c[j];
                f->c[j] = add_q(t, f->c[j + len]);
                f->c[j + len] = mul_q(z, sub_q(f->c[j + len], t));
            }
        }
    }
    for (unsigned j = 0; j < 256; j++)
        f->c[j] = mul_q(f->c[j], 3303); /* 128^-1 mod q */
}

/* r += a * b in the NTT domain (Algorithms 11 and 12). */
static void poly_mul_acc(poly *r, const poly *a, const poly *b)
{
    for (unsigned i = 0; i < 128; i++) {
        uint16_t a0 = a->c[2 * i], a1 = a->c[2 * i + 1];
        uint16_t b0 = b->c[2 * i], b1 = b->c[2 * i + 1];
        uint16_t c0 = red_q((uint32_t)a0 * b0 + (uint32_t)mul_q(a1, b1) * gammas[i]);
        uint16_t c1 = red_q((uint32_t)a0 * b1 + (uint32_t)a1 * b0);
        r->c[2 * i] = add_q(r->c[2 * i], c0);
        r->c[2 * i + 1] = add_q(r->c[2 * i + 1], c1);
    }
}

static void poly_add(poly *r, const poly *a)
{
    for (unsigned i = 0; i < 256; i++)
        r->c[i] = add_q(r->c[i], a->c[i]);
}

/* ---- encodings (Algorithms 5 and 6) ----------------------------------------------- */

static void byte_encode(unsigned d, const poly *f, uint8_t *out)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    for (unsigned i = 0; i < 256; i++) {
        acc |= (uint32_t)f->c[i] << bits;
        bits += d;
        while (bits >= 8) {
            *out++ = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
}

/* Decodes d-bit values. For d = 12 each value is reduced mod q, and the
 * return value is nonzero if any was >= q (computed without branches). */
static uint32_t byte_decode(unsigned d, const uint8_t *in, poly *f)
{
    uint32_t acc = 0, over = 0;
    unsigned bits = 0;
    for (unsigned i = 0; i < 256; i++) {
        while (bits < d) {
            acc |= (uint32_t)*in++ << bits;
            bits += 8;
        }
        uint32_t v = acc & ((1u << d) - 1);
        acc >>= d;
        bits -= d;
        if (d == 12) {
            over |= (uint32_t)(Q - 1 - v) >> 31;
            v = csub_q(v);
        }
        f->c[i] = (uint16_t)v;
    }
    return over;
}

/* Compress_d and Decompress_d (4.2.1). */
static uint16_t compress(unsigned d, uint16_t x)
{
    return (uint16_t)(div_q(((uint32_t)x << d) + Q / 2) & ((1u << d) - 1));
}
static uint16_t decompress(unsigned d, uint16_t y)
{
    return (uint16_t)(((uint32_t)y * Q + (1u << (d - 1))) >> d);
}

/* ---- sampling (Algorithms 7 and 8) -------------------------------------------------- */

/* Â[i][j] = SampleNTT(rho || j || i): rejection sampling of public data. */
static void sample_ntt(const uint8_t rho[32], uint8_t j, uint8_t i, poly *a)
{
    mc_keccak k;
    uint8_t seed[34], buf[168];
    unsigned n = 0;
    memcpy(seed, rho, 32);
    seed[32] = j;
    seed[33] = i;
    mc_keccak_init(&k, 168, SHAKE_PAD);
    mc_keccak_absorb(&k, seed, sizeof(seed));
    mc_keccak_finish(&k);
    while (n < 256) {
        mc_keccak_squeeze(&k, buf, sizeof(buf));
        for (unsigned p = 0; p + 3 <= sizeof(buf) && n < 256; p += 3) {
            uint16_t d1 = (uint16_t)(buf[p] | ((buf[p + 1] & 0x0f) << 8));
            uint16_t d2 = (uint16_t)((buf[p + 1] >> 4) | (buf[p + 2] << 4));
            if (d1 < Q)
                a->c[n++] = d1;
            if (d2 < Q && n < 256)
                a->c[n++] = d2;
        }
    }
}

/* SamplePolyCBD_2(PRF_2(s, nonce)). */
static void sample_cbd2(const uint8_t s[32], uint8_t nonce, poly *f)
{
    uint8_t buf[128];
    keccak_hash(136, SHAKE_PAD, s, 32, &nonce, 1, buf, sizeof(buf));
    for (unsigned i = 0; i < 256; i++) {
        unsigned b = (unsigned)(buf[i / 2] >> (4 * (i % 2)));
        uint16_t x = (uint16_t)((b & 1) + ((b >> 1) & 1));
        uint16_t y = (uint16_t)(((b >> 2) & 1) + ((b >> 3) & 1));
        f->c[i] = sub_q(x, y);
    }
    mote_wipe(buf, sizeof(buf));
}

static void gen_matrix(const uint8_t rho[32], poly a[KK][KK])
{
    for (unsigned i = 0; i < KK; i++)
        for (unsigned j = 0; j < KK; j++)
            sample_ntt(rho, (uint8_t)j, (uint8_t)i, &a[i][j]);
}

/* ---- K-PKE (Algorithms 13, 14, 15) ---------------------------------------------------- */

static void pke_keygen(const uint8_t d[32], uint8_t ek[EK_LEN], uint8_t dk[POLYB * KK])
{
    uint8_t rs[64], kb = KK;
    poly a[KK][KK], s[KK], e[KK], t;
    uint8_t n = 0;
    hash_g(d, 32, &kb, 1, rs);
    const uint8_t *rho = rs, *sigma = rs + 32;
    gen_matrix(rho, a);
    for (unsigned i = 0; i < KK; i++)
        sample_cbd2(sigma, n++, &s[i]);
    for (unsigned i = 0; i < KK; i++)
        sample_cbd2(sigma, n++, &e[i]);
    for (unsigned i = 0; i < KK; i++) {
        ntt(&s[i]);
        ntt(&e[i]);
    }
    for (unsigned i = 0; i < KK; i++) {
        t = e[i];
        for (unsigned j = 0; j < KK; j++)
            poly_mul_acc(&t, &a[i][j], &s[j]);
        byte_encode(12, &t, ek + POLYB * i);
        byte_encode(12, &s[i], dk + POLYB * i);
    }
    memcpy(ek + POLYB * KK, rho, 32);
    mote_wipe(rs, sizeof(rs));
    mote_wipe(s, sizeof(s));
    mote_wipe(e, sizeof(e));
    mote_wipe(&t, sizeof(t));
}

/* ek must have passed the modulus check. */
static void pke_encrypt(const uint8_t ek[EK_LEN], const uint8_t m[32], const uint8_t r[32],
                        uint8_t c[CT_LEN])
{
    poly a[KK][KK], t[KK], y[KK], e1[KK], e2, u, v, mu;
    uint8_t n = 0;
    for (unsigned i = 0; i < KK; i++)
        byte_decode(12, ek + POLYB * i, &t[i]);
    gen_matrix(ek + POLYB * KK, a);
    for (unsigned i = 0; i < KK; i++)
        sample_cbd2(r, n++, &y[i]);
    for (unsigned i = 0; i < KK; i++)
        sample_cbd2(r, n++, &e1[i]);
    sample_cbd2(r, n++, &e2);
    for (unsigned i = 0; i < KK; i++)
        ntt(&y[i]);
    for (unsigned i = 0; i < KK; i++) {
        memset(&u, 0, sizeof(u));
        for (unsigned j = 0; j < KK; j++)
            poly_mul_acc(&u, &a[j][i], &y[j]); /* transpose of Â */
        inv_ntt(&u);
        poly_add(&u, &e1[i]);
        for (unsigned x = 0; x < 256; x++)
            u.c[x] = compress(DU, u.c[x]);
        byte_encode(DU, &u, c + 32 * DU * i);
    }
    memset(&v, 0, sizeof(v));
    for (unsigned i = 0; i < KK; i++)
        poly_mul_acc(&v, &t[i], &y[i]);
    inv_ntt(&v);
    poly_add(&v, &e2);
    byte_decode(1, m, &mu);
    for (unsigned x = 0; x < 256; x++)
        mu.c[x] = decompress(1, mu.c[x]);
    poly_add(&v, &mu);
    for (unsigned x = 0; x < 256; x++)
        v.c[x] = compress(DV, v.c[x]);
    byte_encode(DV, &v, c + 32 * DU * KK);
    mote_wipe(y, sizeof(y));
    mote_wipe(e1, sizeof(e1));
    mote_wipe(&e2, sizeof(e2));
    mote_wipe(&u, sizeof(u));
    mote_wipe(&v, sizeof(v));
    mote_wipe(&mu, sizeof(mu));
}

static void pke_decrypt(const uint8_t dk[POLYB * KK], const uint8_t c[CT_LEN], uint8_t m[32])
{
    poly u, v, s, w;
    memset(&w, 0, sizeof(w));
    for (unsigned i = 0; i < KK; i++) {
        byte_decode(DU, c + 32 * DU * i, &u);
        for (unsigned x = 0; x < 256; x++)
            u.c[x] = decompress(DU, u.c[x]);
        ntt(&u);
        byte_decode(12, dk + POLYB * i, &s);
        poly_mul_acc(&w, &s, &u);
    }
    inv_ntt(&w);
    byte_decode(DV, c + 32 * DU * KK, &v);
    for (unsigned x = 0; x < 256; x++)
        w.c[x] = compress(1, sub_q(decompress(DV, v.c[x]), w.c[x]));
    byte_encode(1, &w, m);
    mote_wipe(&s, sizeof(s));
    mote_wipe(&w, sizeof(w));
    mote_wipe(&u, sizeof(u));
}

/* ---- ML-KEM (Algorithms 16, 17, 18) ------------------------------------------------------ */

/* The implementation entries (the provider table points here). Inputs are
 * checked by the public functions below before they are called. */

void mc_mlkem768_keygen_mote(const uint8_t seed[64], uint8_t *ek, uint8_t *dk)
{
    pke_keygen(seed, ek, dk);
    memcpy(dk + POLYB * KK, ek, EK_LEN);
    hash_h(ek, EK_LEN, dk + POLYB * KK + EK_LEN);
    memcpy(dk + POLYB * KK + EK_LEN + 32, seed + 32, 32);
}

void mc_mlkem768_encaps_mote(const uint8_t *ek, const uint8_t m[32], uint8_t *ct, uint8_t ss[32])
{
    uint8_t h[32], kr[64];
    hash_h(ek, EK_LEN, h);
    hash_g(m, 32, h, 32, kr);
    pke_encrypt(ek, m, kr + 32, ct);
    memcpy(ss, kr, 32);
    mote_wipe(kr, sizeof(kr));
}

void mc_mlkem768_decaps_mote(const uint8_t *dk, const uint8_t *ct, uint8_t ss[32])
{
    uint8_t m[32], kr[64], kbar[32], c2[CT_LEN];
    const uint8_t *dk_pke = dk;
    const uint8_t *ek = dk + POLYB * KK;
    const uint8_t *hek = ek + EK_LEN;
    const uint8_t *z = hek + 32;
    pke_decrypt(dk_pke, ct, m);
    hash_g(m, 32, hek, 32, kr);
    hash_j(z, ct, CT_LEN, kbar);
    pke_encrypt(ek, m, kr + 32, c2);
    /* Implicit rejection: K' if c re-encrypts, else J(z || c); chosen with
     * a mask, not a branch. */
    uint8_t reject = (uint8_t)(mote_ct_equal(ct, c2, CT_LEN) - 1); /* 0xff if different */
    mote_ct_select(reject, kr, kbar, 32);
    memcpy(ss, kr, 32);
    mote_wipe(m, sizeof(m));
    mote_wipe(kr, sizeof(kr));
    mote_wipe(kbar, sizeof(kbar));
    mote_wipe(c2, sizeof(c2));
}

/* ---- public functions: input checks, then the provider ---------------------------------- */

int mote_crypto_mlkem768_keygen_seed(const uint8_t *seed, size_t seed_len, uint8_t *ek, uint8_t *dk)
{
    if (!seed || seed_len != 64 || !ek || !dk)
        return MOTE_EINVAL;
    mc_provider_get()->mlkem768_keygen(seed, ek, dk);
    return 0;
}

int mote_crypto_mlkem768_keygen(mote_rng *rng, uint8_t *ek, uint8_t *dk)
{
    uint8_t seed[64];
    if (!rng || !ek || !dk)
        return MOTE_EINVAL;
    if (mote_rng_fill(rng, seed, sizeof(seed)) != 0) {
        mote_wipe(seed, sizeof(seed));
        return MOTE_EIO;
    }
    int rc = mote_crypto_mlkem768_keygen_seed(seed, sizeof(seed), ek, dk);
    mote_wipe(seed, sizeof(seed));
    return rc;
}

/* The encapsulation key check (FIPS 203, 7.2): every encoded coefficient
 * is below q. The key is public, so the answer may branch. */
static int ek_check(const uint8_t *ek, size_t ek_len)
{
    poly t;
    uint32_t over = 0;
    if (!ek || ek_len != EK_LEN)
        return MOTE_EDECODE;
    for (unsigned i = 0; i < KK; i++)
        over |= byte_decode(12, ek + POLYB * i, &t);
    return over ? MOTE_EDECODE : 0;
}

int mote_crypto_mlkem768_encaps_seed(const uint8_t *ek, size_t ek_len, const uint8_t m[32],
                                     uint8_t *ct, uint8_t ss[32])
{
    if (!m || !ct || !ss)
        return MOTE_EINVAL;
    int rc = ek_check(ek, ek_len);
    if (rc)
        return rc;
    mc_provider_get()->mlkem768_encaps(ek, m, ct, ss);
    return 0;
}

int mote_crypto_mlkem768_encaps(const uint8_t *ek, size_t ek_len, mote_rng *rng, uint8_t *ct,
                                uint8_t ss[32])
{
    uint8_t m[32];
    if (!rng)
        return MOTE_EINVAL;
    if (mote_rng_fill(rng, m, sizeof(m)) != 0) {
        mote_wipe(m, sizeof(m));
        return MOTE_EIO;
    }
    int rc = mote_crypto_mlkem768_encaps_seed(ek, ek_len, m, ct, ss);
    mote_wipe(m, sizeof(m));
    return rc;
}

int mote_crypto_mlkem768_decaps(const uint8_t *dk, size_t dk_len, const uint8_t *ct, size_t ct_len,
                                uint8_t ss[32])
{
    uint8_t h[32];
    if (!dk || !ct || !ss)
        return MOTE_EINVAL;
    if (dk_len != DK_LEN || ct_len != CT_LEN)
        return MOTE_EDECODE;
    /* Hash check (FIPS 203, 7.3): H(ek) must be the h stored in dk (public
     * values). */
    hash_h(dk + POLYB * KK, EK_LEN, h);
    if (!mote_ct_equal(h, dk + POLYB * KK + EK_LEN, 32))
        return MOTE_EDECODE;
    mc_provider_get()->mlkem768_decaps(dk, ct, ss);
    return 0;
}
