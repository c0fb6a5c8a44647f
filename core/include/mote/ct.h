/*
 * mote/ct.h - constant-time comparison and wiping of secrets.
 *
 * mote_ct_equal takes time that depends only on the length, never on the
 * contents. mote_wipe overwrites memory in a way the compiler may not remove.
 */
#ifndef MOTE_CT_H
#define MOTE_CT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if the n bytes at a and b are equal, 0 otherwise, in constant time. */
int mote_ct_equal(const void *a, const void *b, size_t n);

/* 0xff if x == 0, else 0x00, without a branch. */
uint8_t mote_ct_is_zero_u8(uint8_t x);

/* 1 if all n bytes are zero, in constant time. */
int mote_ct_all_zero(const void *p, size_t n);

/* Copies src to dst if mask is 0xff, leaves dst if mask is 0x00, in
 * constant time. */
void mote_ct_select(uint8_t mask, void *dst, const void *src, size_t n);

/* Overwrites n bytes with zeros; never optimised away. NULL is allowed. */
void mote_wipe(void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
