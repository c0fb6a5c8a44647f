/*
 * aes_key.c - AES key expansion (FIPS 197, 5.2) in constant time.
 *
 * nettle 3.8 expands AES keys by looking its S-box up with key bytes, a
 * cache-timing exposure of the key (found by tests/crypto/ct_check.c), even
 * where encryption itself uses AES-NI. This computes the S-box instead:
 * the inverse in GF(2^8) as x^254 by a fixed chain of constant-time
 * multiplications, then the affine map. The result is written in nettle's
 * round-key layout (each 4-byte word read little-endian, as nettle's own
 * key setup stores it), so nettle's AES and GCM code run on it unchanged;
 * a unit test compares it with nettle's setup for every key size.
 */
#include <string.h>

#include "internal.h"

/* a * b in GF(2^8) mod x^8 + x^4 + x^3 + x + 1, without branches. */
static uint8_t gf_mul(uint8_t a, uint8_t b)
{
    uint8_t p = 0;
    for (int i = 0; i < 8; i++) {
        p ^= (uint8_t)(-(b & 1) & a);
        uint8_t hi = (uint8_t)(-(a >> 7));
        a = (uint8_t)((a << 1) ^ (hi & 0x1b));
        b >>= 1;
    }
    return p;
}

static uint8_t rotl8(uint8_t x, int n)
{
    return (uint8_t)((x << n) | (x >> (8 - n)));
}

/* SubBytes of one byte: x^254 (0 for 0), then the affine transform. */
static uint8_t sbox(uint8_t x)
{
    uint8_t x2 = gf_mul(x, x);
    uint8_t x3 = gf_mul(x2, x);
    uint8_t x6 = gf_mul(x3, x3);
    uint8_t x12 = gf_mul(x6, x6);
    uint8_t x15 = gf_mul(x12, x3);
    uint8_t x30 = gf_mul(x15, x15);
    uint8_t x60 = gf_mul(x30, x30);
    uint8_t x120 = gf_mul(x60, x60);
    uint8_t x240 = gf_mul(x120, x120);
    uint8_t x252 = gf_mul(x240, x12);
    uint8_t b = gf_mul(x252, x2);
    return (uint8_t)(b ^ rotl8(b, 1) ^ rotl8(b, 2) ^ rotl8(b, 3) ^ rotl8(b, 4) ^ 0x63);
}

uint8_t mc_aes_sbox(uint8_t x)
{
    return sbox(x);
}

void mc_aes_expand_key(const uint8_t *key, size_t key_len, uint32_t *keys)
{
    size_t nk = key_len / 4, nr = nk + 6, total = 4 * (nr + 1);
    uint8_t w[4 * 60];
    uint8_t rcon = 1;
    memcpy(w, key, key_len);
    for (size_t i = nk; i < total; i++) {
        uint8_t t[4];
        memcpy(t, w + 4 * (i - 1), 4);
        if (i % nk == 0) {
            uint8_t t0 = t[0];
            t[0] = (uint8_t)(sbox(t[1]) ^ rcon);
            t[1] = sbox(t[2]);
            t[2] = sbox(t[3]);
            t[3] = sbox(t0); /* RotWord moves the first byte last */
            rcon = (uint8_t)((rcon << 1) ^ (0x1b & -(rcon >> 7)));
        } else if (nk > 6 && i % nk == 4) {
            for (int j = 0; j < 4; j++)
                t[j] = sbox(t[j]);
        }
        for (int j = 0; j < 4; j++)
            w[4 * i + j] = (uint8_t)(w[4 * (i - nk) + j] ^ t[j]);
    }
    for (size_t i = 0; i < total; i++)
        keys[i] = (uint32_t)w[4 * i] | (uint32_t)w[4 * i + 1] << 8 | (uint32_t)w[4 * i + 2] << 16 |
                  (uint32_t)w[4 * i + 3] << 24;
    mote_wipe(w, sizeof(w));
}
