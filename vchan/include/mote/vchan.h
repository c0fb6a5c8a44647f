/*
 * mote/vchan.h - libmote-vchan: vchan shared-memory byte channels.
 *
 * A vchan is a pair of byte rings in memory shared by two parties, a server
 * and a client, plus an event channel each side uses to wake the other. The
 * control page has exactly the layout of Xen's libxenvchan (the 24-byte
 * vchan_interface: left ring indices (client writes), right ring indices
 * (server writes), the two ring orders, the live states and the notify
 * bits, then the list of page references), so a Xen backend can talk to
 * Linux's libxenvchan. Rings of order 10 and 11 sit inside the control page
 * at offsets 1024 and 2048; larger rings live in pages of their own.
 *
 * The endpoint logic is written once, over three small interfaces that a
 * backend provides (as ocaml-vchan does): memory (share, map and unmap
 * pages), events (listen/connect a channel, notify the peer, wait) and
 * configuration (publish and look up the control page reference and event
 * port). The Unix backend (mote_vchan_server_init / mote_vchan_client_init)
 * uses a sealed memfd for the pages, two eventfds for the events and a Unix
 * socket, named by the caller, that hands the descriptors to the client.
 *
 * The shared page is hostile input: the peer can write anything there at
 * any time. Every value read from it is loaded once into a local, checked
 * (prod - cons never more than the ring size, orders and references in
 * range) and only then used; the endpoint's own indices are kept in locals
 * and a peer that changes them is caught. A broken peer gives MOTE_EPROTO,
 * a peer that closed, exited or died gives MOTE_ECLOSED once the bytes it
 * wrote before have been read. An endpoint is used by one thread, and
 * after fork() by one process only (closing a copy marks the side gone).
 */
#ifndef MOTE_VCHAN_H
#define MOTE_VCHAN_H

#include <stddef.h>
#include <stdint.h>

#include "mote/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the backend interfaces ------------------------------------------ */

#define MOTE_VCHAN_PAGE_SIZE 4096u

typedef struct mote_vchan_memory {
    void *ctx;
    /* Server: allocates npages zeroed pages that the peer may map, maps
     * them contiguously at *addr and writes one reference per page to
     * refs. MOTE_ENOMEM or MOTE_EIO on failure. */
    int (*share)(void *ctx, size_t npages, uint32_t *refs, void **addr);
    /* Server: unmaps pages from share (the references die with them). */
    void (*unshare)(void *ctx, void *addr, size_t npages);
    /* Client: maps the peer's pages named by refs contiguously at *addr.
     * MOTE_EPROTO if a reference does not name a page the peer shared. */
    int (*map)(void *ctx, const uint32_t *refs, size_t npages, void **addr);
    /* Client: unmaps what map mapped. */
    void (*unmap)(void *ctx, void *addr, size_t npages);
} mote_vchan_memory;

typedef struct mote_vchan_events {
    void *ctx;
    /* Server: opens the event channel; *port names it for the client. */
    int (*listen)(void *ctx, uint32_t *port);
    /* Client: binds to the server's channel. MOTE_EPROTO if port is bad. */
    int (*connect)(void *ctx, uint32_t port);
    /* Signals the peer. 0, or MOTE_ECLOSED if the peer is known gone. */
    int (*notify)(void *ctx);
    /* Waits up to timeout_ms (-1 forever, 0 just polls) for a signal from
     * the peer, or for setup progress, and consumes pending signals.
     * 0 if something happened, MOTE_ETIMEDOUT, or MOTE_ECLOSED once the
     * backend knows the peer has gone (closed, exited or died). */
    int (*wait)(void *ctx, int timeout_ms);
    /* A descriptor that polls readable when wait(0) has something to
     * report, or -1 if the backend has none. */
    int (*fd)(void *ctx);
} mote_vchan_events;

typedef struct mote_vchan_config {
    void *ctx;
    /* Server: makes the control page reference and event port known to
     * the client. */
    int (*publish)(void *ctx, uint32_t ring_ref, uint32_t port);
    /* Client: looks them up. MOTE_EAGAIN while the server has not answered
     * yet (the client endpoint retries on every call and after wait). */
    int (*lookup)(void *ctx, uint32_t *ring_ref, uint32_t *port);
} mote_vchan_config;

/* A backend: the three interfaces plus release, called once when the
 * endpoint closes (after every page is unmapped), to free the context. */
typedef struct mote_vchan_backend {
    mote_vchan_memory mem;
    mote_vchan_events ev;
    mote_vchan_config cfg;
    void (*release)(void *ctx);
    void *release_ctx;
} mote_vchan_backend;

/* ---- endpoints ------------------------------------------------------- */

typedef struct mote_vchan mote_vchan;

/* Ring orders: a ring holds 2^order bytes, 10 <= order <= 20. */
#define MOTE_VCHAN_MIN_ORDER     10
#define MOTE_VCHAN_MAX_ORDER     20
#define MOTE_VCHAN_DEFAULT_ORDER 20 /* 1 MiB: see docs/vchan.md for why */
#define MOTE_VCHAN_MIN_DEFAULT   16 /* a defaulted ring is never below 64 KiB */

typedef struct mote_vchan_opts {
    /* Least ring sizes in bytes, as the server sees them: read_min for
     * the ring the client writes, write_min for the one the server writes.
     * 0 means 1 MiB (512 KiB beside a 1 KiB in-page ring, whose slot the
     * page list must not reach). Each ring gets the smallest order that holds its
     * minimum; 1024 or 2048 puts it inside the control page (only one ring
     * can take each of those two slots; the other is made larger). */
    size_t read_min, write_min;
    /* Nanoseconds mote_vchan_wait polls the indices before it blocks on
     * the event channel; 0 never spins. Wake-ups through the kernel cost
     * microseconds to tens of them; a spin answers within one when the
     * peer runs on another core. The budget adapts: a spin that finds
     * nothing halves the next one (down to none, with a full probe every
     * 32 waits), one that succeeds restores it. */
    uint64_t spin_ns;
    /* Starting value of the free-running 32-bit indices (server only).
     * 0 normally; a value near 2^32 makes the counters wrap early. */
    uint32_t start_index;
    const mote_log *log; /* NULL: silent; must outlive the endpoint */
} mote_vchan_opts;

/* Defaults: 1 MiB rings, 20 µs spin, indices from 0, no log. */
void mote_vchan_opts_default(mote_vchan_opts *o);

/* Creates a server endpoint over a backend: shares the control page and
 * rings, opens the event channel and publishes them. The endpoint takes
 * the backend (release is called on failure too). The server may write
 * before a client connects. NULL on failure with *err set. */
mote_vchan *mote_vchan_server_new(const mote_vchan_backend *be, const mote_vchan_opts *o, int *err);

/* Creates a client endpoint over a backend. If the configuration is not
 * available yet the endpoint starts in the connecting state and finishes
 * on a later call. The client validates everything the server put in the
 * control page (orders, references) and fails with MOTE_EPROTO if it is
 * wrong. Only o->spin_ns and o->log are used; o may be NULL. */
mote_vchan *mote_vchan_client_new(const mote_vchan_backend *be, const mote_vchan_opts *o, int *err);

/* The Unix backend. name is a socket path if it contains '/', otherwise a
 * name in the abstract socket namespace ("mote-vchan/<name>"). The server
 * listens there for one client and removes a path socket once a client
 * has connected (and at close). MOTE_EADDRINUSE if the name is taken. */
mote_vchan *mote_vchan_server_init(const char *name, const mote_vchan_opts *o, int *err);

/* Connects to the server at name: connects the socket and, once the
 * server answers with its descriptors, maps the pages. MOTE_ENOTFOUND if
 * no server listens there, MOTE_EPROTO if the answer is malformed (wrong
 * descriptors, an unsealed or short memory file, bad orders). */
mote_vchan *mote_vchan_client_init(const char *name, const mote_vchan_opts *o, int *err);

enum mote_vchan_state {
    MOTE_VCHAN_CONNECTING = 0, /* client: no answer yet; server: no client yet */
    MOTE_VCHAN_OPEN = 1,       /* both sides connected */
    MOTE_VCHAN_CLOSED = 2,     /* the peer closed or died, or we shut down */
    MOTE_VCHAN_FAILED = 3,     /* a protocol error (see mote_vchan_error) */
};

/* The endpoint's state (progressing setup first). */
int mote_vchan_state(mote_vchan *v);

/* The sticky error of a failed endpoint (MOTE_EPROTO, ...), or 0. */
int mote_vchan_error(const mote_vchan *v);

/* 1 on the server side, 0 on the client. */
int mote_vchan_is_server(const mote_vchan *v);

/* Sizes in bytes of the ring this side reads and the ring it writes. */
size_t mote_vchan_read_size(const mote_vchan *v);
size_t mote_vchan_write_size(const mote_vchan *v);

/* Reads up to len bytes without blocking; *got says how many (never 0 on
 * success). MOTE_EAGAIN if none are there (the peer is then asked to
 * signal when it writes), MOTE_ECLOSED once the peer has closed and every
 * byte it wrote has been read, MOTE_EPROTO if the peer broke the ring. */
int mote_vchan_read(mote_vchan *v, void *buf, size_t len, size_t *got);

/* Writes up to len bytes without blocking; *put says how many (never 0 on
 * success). MOTE_EAGAIN if the ring is full (the peer is asked to signal
 * when it reads), MOTE_ECLOSED if the peer closed or we shut down,
 * MOTE_EPROTO if the peer broke the ring. */
int mote_vchan_write(mote_vchan *v, const void *buf, size_t len, size_t *put);

/* Bytes that can be read now / written now (0 on any error). */
size_t mote_vchan_readable(mote_vchan *v);
size_t mote_vchan_writable(mote_vchan *v);

/* Waits until a read or write that returned MOTE_EAGAIN may succeed, the
 * peer goes away, or timeout_ms passes (-1 forever, 0 just polls). Spins
 * for the spin budget first. 0, MOTE_ETIMEDOUT, MOTE_ECLOSED (peer gone
 * and nothing left to read), or the endpoint's error. */
int mote_vchan_wait(mote_vchan *v, int timeout_ms);

/* Consumes pending signals and makes setup progress without blocking
 * (for event loops, after the descriptor polled readable). 0 or as
 * mote_vchan_wait. */
int mote_vchan_handle_events(mote_vchan *v);

/* Blocking helpers: read at least one byte (up to len), or write all len
 * bytes, waiting as needed; timeout_ms bounds each wait (-1 forever). */
int mote_vchan_read_blocking(mote_vchan *v, void *buf, size_t len, size_t *got, int timeout_ms);
int mote_vchan_write_all(mote_vchan *v, const void *buf, size_t len, int timeout_ms);

/* A descriptor that polls readable when mote_vchan_handle_events has
 * something to do, or -1. Owned by the endpoint. */
int mote_vchan_fd(mote_vchan *v);

/* Sets the spin budget (see mote_vchan_opts). */
void mote_vchan_set_spin(mote_vchan *v, uint64_t spin_ns);

/* Marks this side as gone (live = 0) and signals the peer: the peer reads
 * what is in the ring, then sees MOTE_ECLOSED; our writes then fail with
 * MOTE_ECLOSED. The vchan protocol has no half-close: a libxenvchan peer
 * stops writing once it sees this; bytes already in the ring can still be
 * read here. */
int mote_vchan_shutdown(mote_vchan *v);

/* Shuts down, unmaps every page, closes every descriptor and frees v.
 * NULL is ignored. */
void mote_vchan_close(mote_vchan *v);

/* The control page (read-only view for diagnostics and tests). */
const volatile void *mote_vchan_shared_page(const mote_vchan *v);

/* ---- an in-memory backend pair, for tests, fuzzers and one process ---- */

/* Both ends of an in-memory backend: pages come from the heap, events
 * are counters, configuration is direct. The pair is freed when both
 * endpoints made from it have been closed (or released). */
int mote_vchan_mem_pair(mote_vchan_backend *server, mote_vchan_backend *client);

/* Marks the side made from be as gone (as if its process died): the other
 * side's waits then report MOTE_ECLOSED. For tests. */
void mote_vchan_mem_kill(const mote_vchan_backend *be);

#ifdef __cplusplus
}
#endif
#endif
