/*
 * mote/sim.h - in-memory implementations of the device interfaces, for
 * tests, simulations and unikernels.
 *
 *   mote_fakeclock  a clock whose time moves only when told to; timers fire
 *                   in deadline order as it advances. Deterministic.
 *   mote_seeded_rng a deterministic generator (xoshiro256**) from a 64-bit
 *                   seed. NOT cryptographic: never use it for keys; it is
 *                   for reproducible tests, ISNs in simulations and fault
 *                   injection.
 *   mote_memkv      a read-only key-value store whose entries are put in
 *                   memory first (copied), e.g. assets linked into an image.
 */
#ifndef MOTE_SIM_H
#define MOTE_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "mote/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mote_fakeclock mote_fakeclock;

/* A fake clock starting at monotonic time `start` and wall time `wall`.
 * NULL if out of memory. */
mote_fakeclock *mote_fakeclock_new(uint64_t start, mote_time wall);
/* Frees the clock and any timers still alive. */
void mote_fakeclock_free(mote_fakeclock *fc);
/* The mote_clock interface of this fake clock (owned by fc). */
mote_clock *mote_fakeclock_clock(mote_fakeclock *fc);
/* Moves time forward by ns, firing every timer whose deadline is passed,
 * in deadline order (ties in arming order), with now() equal to each
 * timer's deadline while it runs. Timers armed by callbacks fire too if
 * due. Returns the number of timers fired. Wall time moves by the same. */
size_t mote_fakeclock_advance(mote_fakeclock *fc, uint64_t ns);
/* Sets *deadline to the earliest armed deadline; 0 if one is armed,
 * MOTE_ENOTFOUND if none. */
int mote_fakeclock_next(mote_fakeclock *fc, uint64_t *deadline);
/* Advances to each next deadline in turn until no timer is armed, time
 * would pass `limit` (absolute), or max_fires timers have fired. Returns
 * the number fired. */
size_t mote_fakeclock_run(mote_fakeclock *fc, uint64_t limit, size_t max_fires);

typedef struct mote_seeded_rng {
    mote_rng rng; /* the interface; ctx points to this struct */
    uint64_t s[4];
} mote_seeded_rng;

/* Seeds the generator and fills in r->rng. Same seed, same bytes. */
void mote_seeded_rng_init(mote_seeded_rng *r, uint64_t seed);
/* The next 64 random bits. */
uint64_t mote_seeded_rng_next(mote_seeded_rng *r);
/* A uniform value in [0, bound) (bound > 0). */
uint64_t mote_seeded_rng_below(mote_seeded_rng *r, uint64_t bound);

typedef struct mote_memkv mote_memkv;

/* An empty store; NULL if out of memory. */
mote_memkv *mote_memkv_new(void);
void mote_memkv_free(mote_memkv *kv);
/* Adds or replaces key (copied) with len bytes (copied). */
int mote_memkv_put(mote_memkv *kv, const char *key, const void *data, size_t len);
/* The mote_kv interface (owned by kv). */
mote_kv *mote_memkv_kv(mote_memkv *kv);

#ifdef __cplusplus
}
#endif
#endif
