/*
 * mote/device.h - the device interfaces that every mote library shares.
 *
 * A device is a small struct of function pointers plus a context pointer
 * (`ctx`), passed back as the first argument of every call. A platform
 * (posix/ under libuv, xen/ in a unikernel) or a test fills them in; the
 * protocol libraries only ever call through them, so the same engine runs
 * anywhere. The inline mote_<device>_<op>() wrappers call through a device.
 *
 * Threading: a device is used from the one thread that runs its event loop.
 * Callbacks are made from that loop, never re-entrantly from inside a call
 * on the same device unless the comment says so.
 *
 *   mote_netif   ethernet frames out, received frames to one receiver
 *   mote_flow    a reliable byte stream (TCP, TLS, vchan all provide one)
 *   mote_clock   monotonic and wall-clock time, and timers
 *   mote_rng     random bytes
 *   mote_console a line-oriented text sink
 *   mote_kv      a read-only key-value store (files, assets)
 */
#ifndef MOTE_DEVICE_H
#define MOTE_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "mote/time.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- netif: an ethernet interface ------------------------------------ */

/* Receives one frame: destination MAC first, no FCS. The bytes are valid
 * only during the call; copy what you keep. */
typedef void (*mote_netif_rx_fn)(void *arg, const uint8_t *frame, size_t len);

typedef struct mote_netif {
    void *ctx;
    /* Sends one ethernet frame (destination MAC first, no FCS; at most
     * mtu + 14 bytes). The frame is copied or sent before the call returns.
     * 0, MOTE_EAGAIN if the device cannot take it now (the frame is
     * dropped, as a full NIC queue would), MOTE_ELIMIT if too long,
     * MOTE_EIO if the device failed. */
    int (*send)(void *ctx, const uint8_t *frame, size_t len);
    /* Registers the one receiver of incoming frames (fn NULL unregisters). */
    void (*set_receiver)(void *ctx, mote_netif_rx_fn fn, void *arg);
    size_t mtu;     /* largest ethernet payload, e.g. 1500 */
    uint8_t mac[6]; /* this interface's address */
} mote_netif;

static inline int mote_netif_send(mote_netif *n, const uint8_t *frame, size_t len)
{
    return n->send(n->ctx, frame, len);
}

/* ---- flow: a reliable, ordered byte stream ---------------------------- */

typedef struct mote_flow_events {
    /* len bytes arrived, in order. They are valid only during the call. */
    void (*data)(void *arg, const uint8_t *data, size_t len);
    /* The peer will send nothing more (TCP FIN, TLS close_notify, ...). */
    void (*eof)(void *arg);
    /* Every byte written so far has been handed on (queued() is 0 again). */
    void (*drain)(void *arg);
    /* The flow failed (MOTE_ECONNRESET, MOTE_ETIMEDOUT, ...). No further
     * data arrives; the owner should call close. */
    void (*error)(void *arg, int err);
} mote_flow_events;

typedef struct mote_flow {
    void *ctx;
    /* Sets the callbacks and their argument. ev must stay valid until the
     * flow is closed or another set is given; members may be NULL. Data
     * that arrived before any events were set is held, not lost. */
    void (*set_events)(void *ctx, const mote_flow_events *ev, void *arg);
    /* Queues len bytes (copied before return) for sending. 0, or
     * MOTE_ECLOSED after shutdown/close, or the flow's error. */
    int (*write)(void *ctx, const uint8_t *data, size_t len);
    /* Bytes accepted by write but not yet handed on. A writer that wants
     * backpressure waits for the drain event when this grows. */
    size_t (*queued)(void *ctx);
    /* Stops (on = 0) or restarts (on = 1) the data callbacks, for
     * backpressure on the reading side. Flows start with reading on. */
    void (*set_reading)(void *ctx, int on);
    /* Sends end-of-stream after the queued bytes. Reading continues. */
    int (*shutdown)(void *ctx);
    /* Closes the flow and frees it and everything it owns. Queued bytes may
     * be discarded: shut down and wait for drain first for a graceful end.
     * No callback runs after close returns. */
    void (*close)(void *ctx);
} mote_flow;

static inline void mote_flow_set_events(mote_flow *f, const mote_flow_events *ev, void *arg)
{
    f->set_events(f->ctx, ev, arg);
}
static inline int mote_flow_write(mote_flow *f, const void *data, size_t len)
{
    return f->write(f->ctx, (const uint8_t *)data, len);
}
static inline size_t mote_flow_queued(mote_flow *f)
{
    return f->queued(f->ctx);
}
static inline void mote_flow_set_reading(mote_flow *f, int on)
{
    f->set_reading(f->ctx, on);
}
static inline int mote_flow_shutdown(mote_flow *f)
{
    return f->shutdown(f->ctx);
}
static inline void mote_flow_close(mote_flow *f)
{
    f->close(f->ctx);
}

/* ---- clock: time and timers ------------------------------------------ */

typedef struct mote_timer mote_timer; /* opaque; owned by the clock */
typedef void (*mote_timer_fn)(void *arg);

typedef struct mote_clock {
    void *ctx;
    /* Monotonic nanoseconds from an arbitrary origin; never goes back. */
    uint64_t (*now)(void *ctx);
    /* Wall-clock time (may jump). */
    mote_time (*wall)(void *ctx);
    /* Creates a disarmed timer that will call fn(arg) from the loop.
     * NULL if out of memory. */
    mote_timer *(*timer_new)(void *ctx, mote_timer_fn fn, void *arg);
    /* Arms t to fire once at the absolute monotonic time deadline (now()
     * or earlier fires on the next loop turn). Re-arming replaces. */
    void (*timer_arm)(void *ctx, mote_timer *t, uint64_t deadline);
    /* Disarms t; it will not fire until armed again. */
    void (*timer_cancel)(void *ctx, mote_timer *t);
    /* Disarms and frees t. Allowed from inside t's own callback. */
    void (*timer_free)(void *ctx, mote_timer *t);
} mote_clock;

static inline uint64_t mote_clock_now(mote_clock *c)
{
    return c->now(c->ctx);
}
static inline mote_time mote_clock_wall(mote_clock *c)
{
    return c->wall(c->ctx);
}
static inline mote_timer *mote_timer_new(mote_clock *c, mote_timer_fn fn, void *arg)
{
    return c->timer_new(c->ctx, fn, arg);
}
static inline void mote_timer_arm(mote_clock *c, mote_timer *t, uint64_t deadline)
{
    c->timer_arm(c->ctx, t, deadline);
}
static inline void mote_timer_cancel(mote_clock *c, mote_timer *t)
{
    c->timer_cancel(c->ctx, t);
}
static inline void mote_timer_free(mote_clock *c, mote_timer *t)
{
    if (t)
        c->timer_free(c->ctx, t);
}

#define MOTE_NS_PER_SEC 1000000000ull
#define MOTE_NS_PER_MS  1000000ull

/* ---- rng: random bytes ------------------------------------------------ */

typedef struct mote_rng {
    void *ctx;
    /* Fills len bytes. 0, or MOTE_EIO if no entropy could be had (never
     * returns partial output as success). */
    int (*fill)(void *ctx, void *buf, size_t len);
} mote_rng;

static inline int mote_rng_fill(mote_rng *r, void *buf, size_t len)
{
    return r->fill(r->ctx, buf, len);
}

/* ---- console: a text sink --------------------------------------------- */

typedef struct mote_console {
    void *ctx;
    /* Writes len bytes of text. 0 or MOTE_EIO. */
    int (*write)(void *ctx, const char *text, size_t len);
} mote_console;

static inline int mote_console_write(mote_console *c, const char *text, size_t len)
{
    return c->write(c->ctx, text, len);
}

/* ---- kv: a read-only key-value store ---------------------------------- */

/* Called once per key by list; return non-zero to stop early. */
typedef int (*mote_kv_list_fn)(void *arg, const char *key);

typedef struct mote_kv {
    void *ctx;
    /* Size in bytes of the value at key. MOTE_ENOTFOUND if none. */
    int (*size)(void *ctx, const char *key, uint64_t *size);
    /* Copies up to len bytes of the value from offset into buf; *got says
     * how many (0 at or past the end). MOTE_ENOTFOUND if no such key. */
    int (*read)(void *ctx, const char *key, uint64_t offset, void *buf, size_t len, size_t *got);
    /* Calls fn for every key that starts with prefix ("" for all), in
     * byte order. Returns 0, or the first non-zero value fn returned. */
    int (*list)(void *ctx, const char *prefix, mote_kv_list_fn fn, void *arg);
} mote_kv;

static inline int mote_kv_size(mote_kv *kv, const char *key, uint64_t *size)
{
    return kv->size(kv->ctx, key, size);
}
static inline int mote_kv_read(mote_kv *kv, const char *key, uint64_t off, void *buf, size_t len,
                               size_t *got)
{
    return kv->read(kv->ctx, key, off, buf, len, got);
}
static inline int mote_kv_list(mote_kv *kv, const char *prefix, mote_kv_list_fn fn, void *arg)
{
    return kv->list(kv->ctx, prefix, fn, arg);
}

#ifdef __cplusplus
}
#endif
#endif
