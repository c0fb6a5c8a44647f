/* ct.c - constant-time helpers and wiping. */
#include "mote/ct.h"

#include <string.h>

int mote_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= (uint8_t)(x[i] ^ y[i]);
    return (int)(1 & ((uint32_t)(acc - 1) >> 8));
}

uint8_t mote_ct_is_zero_u8(uint8_t x)
{
    return (uint8_t)(0 - (uint8_t)(((uint32_t)x - 1) >> 8 & 1));
}

int mote_ct_all_zero(const void *p, size_t n)
{
    const volatile uint8_t *x = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= x[i];
    return (int)(1 & ((uint32_t)(acc - 1) >> 8));
}

void mote_ct_select(uint8_t mask, void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)(d[i] ^ (mask & (d[i] ^ s[i])));
}

void mote_wipe(void *p, size_t n)
{
    if (!p || !n)
        return;
    volatile uint8_t *v = p;
    for (size_t i = 0; i < n; i++)
        v[i] = 0;
#if defined(__GNUC__)
    __asm__ __volatile__("" : : "r"(p) : "memory");
#endif
}
