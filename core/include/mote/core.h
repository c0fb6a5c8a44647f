/*
 * mote/core.h - libmote-core: the vocabulary every mote library shares.
 *
 * libmote-core holds no protocol. It gives the other libraries their common
 * words: error codes (error.h), byte slices, growable buffers and a bounded
 * reader (bytes.h), constant-time helpers (ct.h), a logging hook (log.h),
 * wall-clock time and calendar conversion (time.h), the device interfaces
 * that platforms implement (device.h: netif, flow, clock, rng, console, kv),
 * and in-memory devices for tests and unikernels (sim.h). Core calls no
 * operating-system function: it needs only the C library's memory and
 * string functions, so it links into a unikernel as it is.
 *
 * Names in core are mote_<thing> (core is the shared vocabulary); every
 * other library uses mote_<lib>_<thing>.
 */
#ifndef MOTE_CORE_H
#define MOTE_CORE_H

#include "mote/error.h"
#include "mote/bytes.h"
#include "mote/ct.h"
#include "mote/log.h"
#include "mote/time.h"
#include "mote/device.h"
#include "mote/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *mote_version(void);

#ifdef __cplusplus
}
#endif
#endif
