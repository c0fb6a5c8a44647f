/*
 * mote/posix.h - libmote-posix: the POSIX platform, on libuv.
 *
 * The protocol libraries never touch the operating system; they speak to the
 * device interfaces of mote/device.h. This library implements those devices
 * on a Linux/POSIX host, driven by one libuv loop (uv_loop_t) that the
 * program owns and runs with uv_run():
 *
 *   mote_posix_clock     a mote_clock: uv_hrtime() for monotonic time,
 *                        CLOCK_REALTIME for the wall, timers on the loop
 *   mote_posix_rng_init  a mote_rng from getrandom(2)
 *   mote_posix_console   a mote_console writing to a file descriptor
 *   mote_posix_log_*     a mote_log sink writing lines to stderr (or a FILE)
 *   mote_posix_tap       a mote_netif on a Linux TAP device (/dev/net/tun)
 *   mote_posix_tcp_*     mote_flows over kernel TCP sockets (client, server)
 *   mote_posix_unix_*    mote_flows over Unix-domain stream sockets
 *   mote_posix_kv_dir    a read-only mote_kv over a directory of files
 *
 * Threading: every object is used from the thread that runs its loop, and
 * every callback is made from that loop.
 *
 * Freeing: objects that own libuv handles (clock, tap, flows, listeners)
 * finish freeing their memory in libuv close callbacks. After closing them,
 * let the loop run (uv_run(loop, UV_RUN_DEFAULT) returns once nothing is
 * left) before uv_loop_close(). No user callback runs after a close or free
 * function returns.
 *
 * Configuration structs (mote_posix_tap_config, mote_posix_tcp_options) must
 * be zero-initialised before use ({0} or memset); zero always means "the
 * default", so fields added later keep old callers working.
 *
 * Errors are the MOTE_E* codes of mote/error.h; mote_posix_error() maps an
 * errno or libuv code onto them.
 */
#ifndef MOTE_POSIX_H
#define MOTE_POSIX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "mote/device.h"
#include "mote/error.h"
#include "mote/log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Maps a negative errno value or libuv error code (libuv's codes are
 * negative errno values on Unix, plus UV_EOF and UV_EAI_*) onto a MOTE_E*
 * code: ECONNREFUSED -> MOTE_ECONNREFUSED, ECONNRESET/EPIPE/ECONNABORTED ->
 * MOTE_ECONNRESET, ETIMEDOUT -> MOTE_ETIMEDOUT, EADDRINUSE ->
 * MOTE_EADDRINUSE, EHOSTUNREACH/ENETUNREACH/ENETDOWN -> MOTE_EUNREACH,
 * ENOENT/EAI_NONAME -> MOTE_ENOTFOUND, EACCES/EPERM -> MOTE_EPERM, ENOMEM ->
 * MOTE_ENOMEM, EMFILE/ENFILE -> MOTE_ELIMIT, EAGAIN -> MOTE_EAGAIN, ... and
 * anything else to MOTE_EIO. 0 stays 0. */
int mote_posix_error(int err);

/* ---- clock ------------------------------------------------------------ */

typedef struct mote_posix_clock mote_posix_clock;

/* A clock whose timers run on loop. Monotonic time is uv_hrtime()
 * (CLOCK_MONOTONIC, nanoseconds); wall time is CLOCK_REALTIME. Timers fire
 * in deadline order (ties in arming order), never before their deadline as
 * now() sees it; a timer armed at or before now() fires on a later loop
 * turn, not from inside timer_arm. An armed timer keeps uv_run() running.
 * NULL with *err = MOTE_ENOMEM if out of memory. */
mote_posix_clock *mote_posix_clock_new(uv_loop_t *loop, int *err);
/* The mote_clock interface (owned by c, valid until mote_posix_clock_free). */
mote_clock *mote_posix_clock_clock(mote_posix_clock *c);
/* Frees every timer still alive and then the clock (the memory after the
 * loop runs once more; see the top of this file). Timers handed out become
 * invalid. Not allowed from inside one of this clock's timer callbacks. */
void mote_posix_clock_free(mote_posix_clock *c);

/* ---- rng -------------------------------------------------------------- */

/* Fills in r as a mote_rng reading getrandom(2) (the kernel's CSPRNG; it
 * blocks only before the kernel's pool is first initialised at boot). Short
 * reads and EINTR are retried; fill returns MOTE_EIO only if the kernel
 * refuses. r holds no state and needs no free. */
void mote_posix_rng_init(mote_rng *r);

/* ---- console ---------------------------------------------------------- */

typedef struct mote_posix_console {
    mote_console console; /* the interface; ctx points to this struct */
    int fd;
} mote_posix_console;

/* Fills in c as a console writing to fd (e.g. STDOUT_FILENO). Writes are
 * complete (short writes, EINTR and EAGAIN are retried, waiting with
 * poll(2) if fd is non-blocking); MOTE_EIO on failure. The fd stays the
 * caller's: it is never closed here. */
void mote_posix_console_init(mote_posix_console *c, int fd);

/* ---- log -------------------------------------------------------------- */

/* A mote_log sink: writes "<level> <component>: <msg>\n" as one write to
 * the FILE given as ctx, or to stderr when ctx is NULL. */
void mote_posix_log_sink(void *ctx, int level, const char *component, const char *msg);
/* Fills in log to write lines at or below level (MOTE_LOG_*) to stderr. */
void mote_posix_log_init(mote_log *log, int level);

/* ---- TAP netif -------------------------------------------------------- */

typedef struct mote_posix_tap mote_posix_tap;

typedef struct mote_posix_tap_config {
    /* Interface name to create or attach to (at most 15 bytes), or NULL /
     * "" to let the kernel pick (tap0, tap1, ...). */
    const char *name;
    /* 1 to use mac below as the netif's address; 0 for a random locally
     * administered unicast address (from getrandom). */
    int use_mac;
    uint8_t mac[6];
    /* The netif's MTU; 0 to read the interface's MTU from the kernel (1500
     * for a new TAP). A value given here does not change the kernel
     * interface's MTU (use `ip link set <name> mtu N` for that). */
    size_t mtu;
    /* Frames read per loop wakeup before yielding to other handles; 0 for
     * the default (256). The poll is level-triggered, so the rest come on
     * the next turn. */
    unsigned rx_batch;
    /* Optional log for device errors (NULL: silent). Must outlive the tap. */
    const mote_log *log;
    /* Kernel offloads to enable (MOTE_POSIX_TAP_CSUM, _TSO4, _TSO6; the TSO
     * bits need CSUM). Non-zero opens the device with IFF_VNET_HDR and
     * calls TUNSETOFFLOAD; then the kernel may hand over frames whose
     * TCP/UDP checksum is only partial and TCP segments larger than the
     * MTU (GSO, up to 65535 bytes of IP). Unless vnet_passthrough is set,
     * the tap completes those checksums and delivers such a segment as one
     * large, valid ethernet frame: a receiver must then accept frames of up
     * to MOTE_POSIX_TAP_MAX_FRAME bytes, not just mtu + 14. Sending is
     * unchanged (frames up to mtu + 14, checksums computed by the sender). */
    unsigned offload;
    /* 1: frames to and from the netif carry the kernel's 10-byte
     * virtio-net header (struct virtio_net_hdr, fields in host byte order as
     * the kernel's legacy virtio format has them) in front of
     * the ethernet frame, untouched, so the stack itself handles partial
     * checksums and can send GSO super-frames (gso_type, gso_size,
     * csum_start, csum_offset) that the kernel segments. Sends may then be
     * up to MOTE_POSIX_VNET_HDR_LEN + MOTE_POSIX_TAP_MAX_FRAME bytes; the
     * kernel refuses a bad header (MOTE_EINVAL). Implies IFF_VNET_HDR. */
    int vnet_passthrough;
} mote_posix_tap_config;

/* Offload bits for mote_posix_tap_config.offload (the TUN_F_* values). */
#define MOTE_POSIX_TAP_CSUM 0x01u
#define MOTE_POSIX_TAP_TSO4 0x02u
#define MOTE_POSIX_TAP_TSO6 0x04u
/* The virtio-net header length in passthrough mode. */
#define MOTE_POSIX_VNET_HDR_LEN 10
/* The largest ethernet frame with offloads: 65535 bytes of IP + 14. */
#define MOTE_POSIX_TAP_MAX_FRAME (65535 + 14)

typedef struct mote_posix_tap_stats {
    uint64_t rx_frames, rx_bytes; /* frames read from the kernel */
    uint64_t rx_dropped;          /* read while no receiver was set */
    uint64_t tx_frames, tx_bytes; /* frames written to the kernel */
    uint64_t tx_dropped;          /* send gave MOTE_EAGAIN or MOTE_EIO */
    uint64_t rx_csum_completed;   /* partial checksums completed (offload) */
    uint64_t rx_gso_frames;       /* GSO super-frames received (offload) */
    uint64_t rx_bad_vnet;         /* frames dropped: bad virtio-net header */
} mote_posix_tap_stats;

/* Opens /dev/net/tun as a TAP device (IFF_TAP | IFF_NO_PI, non-blocking)
 * named name (NULL: kernel's choice) and returns a netif on loop. Received
 * frames (all frames the kernel sends out of the interface) go to the
 * receiver set on the netif; send writes one frame to the kernel. The MAC
 * is random (locally administered, unicast). The link is not brought up:
 * do that with `ip link set <name> up` or equivalent. The interface exists
 * until the tap is closed (it is not persistent).
 * NULL on failure with *err: MOTE_EPERM without CAP_NET_ADMIN,
 * MOTE_ENOTFOUND if /dev/net/tun is missing, MOTE_EBUSY if the name is in
 * use by a device that is not a free TAP, MOTE_EINVAL for a bad name or
 * offload bits, MOTE_EUNSUPPORTED if the kernel refuses the offloads,
 * MOTE_ENOMEM, MOTE_EIO. */
mote_posix_tap *mote_posix_tap_open(uv_loop_t *loop, const char *name, int *err);
/* As mote_posix_tap_open with a configuration (zero-initialised, then the
 * fields wanted set). cfg is read during the call only (except log). */
mote_posix_tap *mote_posix_tap_open_config(uv_loop_t *loop, const mote_posix_tap_config *cfg,
                                           int *err);
/* The mote_netif interface (owned by the tap). send returns 0, MOTE_EINVAL
 * for a frame shorter than 14 bytes, MOTE_ELIMIT for one longer than
 * mtu + 14, MOTE_EAGAIN if the kernel queue is full (frame dropped),
 * MOTE_EIO if the device failed (e.g. link down). */
mote_netif *mote_posix_tap_netif(mote_posix_tap *t);
/* The interface name the kernel gave (NUL-terminated, owned by t). */
const char *mote_posix_tap_name(const mote_posix_tap *t);
/* The file descriptor of the TAP (owned by t; do not close or read it). */
int mote_posix_tap_fd(const mote_posix_tap *t);
/* The offload bits in effect (0 without offloads). */
unsigned mote_posix_tap_offload(const mote_posix_tap *t);
/* Counters since open. */
void mote_posix_tap_get_stats(const mote_posix_tap *t, mote_posix_tap_stats *out);
/* Stops receiving, closes the device (the kernel removes the interface)
 * and frees t after the loop runs once more. Allowed from inside the
 * receiver; no receiver call happens after close returns. */
void mote_posix_tap_close(mote_posix_tap *t);

/* ---- stream flows: TCP and Unix-domain sockets ------------------------ */

typedef struct mote_posix_tcp_options {
    /* 1 to set TCP_NODELAY (disable Nagle) on the connection. */
    int nodelay;
    /* Seconds of idle before TCP keepalive probes; 0 leaves keepalive off. */
    unsigned keepalive_s;
    /* For connect: give up with MOTE_ETIMEDOUT after this many ms (over
     * all addresses tried); 0 waits as long as the kernel does. */
    unsigned connect_timeout_ms;
    /* For listen on "::": 1 to accept IPv6 only (IPV6_V6ONLY). */
    int ipv6_only;
    /* For connect: start the next address after this many ms while the
     * earlier attempts are still pending (RFC 8305's Connection Attempt
     * Delay); 0 for 250. */
    unsigned attempt_delay_ms;
} mote_posix_tcp_options;

/* The flows below implement mote_flow exactly as mote/device.h says:
 *  - reading starts once set_events has been called (until then the bytes
 *    wait in the kernel, so nothing is lost) and while set_reading is on;
 *  - write copies; queued() counts bytes accepted but not yet given to the
 *    kernel; drain fires when it returns to 0 after having been above 0;
 *  - shutdown sends FIN after the queued bytes (half-close; reading
 *    continues); write after shutdown gives MOTE_ECLOSED;
 *  - eof fires once when the peer's FIN arrives, then reading stops;
 *  - error fires once with a MOTE_E* code (MOTE_ECONNRESET, ...); later
 *    writes return that code;
 *  - close frees the flow (memory after the loop turns); no callback runs
 *    after close returns; close is allowed from inside any flow callback.
 */

/* Called once when a connect finishes: flow is the new flow (owned by the
 * callee, who must eventually close it) and err 0; or flow NULL and err
 * MOTE_ENOTFOUND (name did not resolve), MOTE_ECONNREFUSED,
 * MOTE_ETIMEDOUT, MOTE_EUNREACH, ... (the error of the last address
 * tried). */
typedef void (*mote_posix_connect_fn)(void *arg, mote_flow *flow, int err);

typedef struct mote_posix_connect mote_posix_connect;

/* Resolves host (a name or an IPv4/IPv6 literal, with uv_getaddrinfo) and
 * connects to port as RFC 8305 (Happy Eyeballs) does: addresses
 * interleaved by family, a new attempt every attempt_delay_ms (or at once
 * when one fails) while earlier ones continue, the first to connect wins. cb is called exactly once
 * from the loop (never from inside this call), unless the attempt is cancelled first. opts may be
 * NULL. Returns a handle for mote_posix_connect_cancel, valid until cb runs; NULL with *err on
 * immediate failure (MOTE_EINVAL for a NULL host or port 0, MOTE_ENOMEM). */
mote_posix_connect *mote_posix_tcp_connect(uv_loop_t *loop, const char *host, uint16_t port,
                                           const mote_posix_tcp_options *opts,
                                           mote_posix_connect_fn cb, void *arg, int *err);
/* Connects to the Unix-domain stream socket at path, as above (errors:
 * MOTE_ENOTFOUND if no such socket, MOTE_ECONNREFUSED if nobody
 * listens). */
mote_posix_connect *mote_posix_unix_connect(uv_loop_t *loop, const char *path,
                                            mote_posix_connect_fn cb, void *arg, int *err);
/* Abandons a pending connect: cb will not be called; a connection that was
 * being made is closed. Only before cb has run. */
void mote_posix_connect_cancel(mote_posix_connect *c);

/* Called for each accepted connection with the new flow (owned by the
 * callee) and err 0; or with flow NULL and a MOTE_E* err when an accept
 * failed (e.g. MOTE_ELIMIT when out of descriptors) - the listener keeps
 * listening. */
typedef void (*mote_posix_accept_fn)(void *arg, mote_flow *flow, int err);

typedef struct mote_posix_listener mote_posix_listener;

/* Listens for TCP connections on the numeric address addr ("127.0.0.1",
 * "::1", "0.0.0.0", "::"; NULL means "::", all IPv4 and IPv6 addresses,
 * or "0.0.0.0" where IPv6 is unavailable) and port (0: an ephemeral port,
 * see mote_posix_listener_port). backlog <= 0 means 128. opts (may be
 * NULL) apply to each accepted connection. NULL on failure with *err:
 * MOTE_EINVAL (bad address), MOTE_EADDRINUSE, MOTE_EPERM, MOTE_ENOMEM. */
mote_posix_listener *mote_posix_tcp_listen(uv_loop_t *loop, const char *addr, uint16_t port,
                                           int backlog, const mote_posix_tcp_options *opts,
                                           mote_posix_accept_fn fn, void *arg, int *err);
/* Listens on a Unix-domain stream socket at path (the socket file is
 * created; an existing file gives MOTE_EADDRINUSE; it is not removed on
 * close). */
mote_posix_listener *mote_posix_unix_listen(uv_loop_t *loop, const char *path, int backlog,
                                            mote_posix_accept_fn fn, void *arg, int *err);
/* The local port a TCP listener is bound to (0 for a Unix listener). */
uint16_t mote_posix_listener_port(const mote_posix_listener *l);
/* Stops listening and frees l after the loop runs once more. Flows already
 * accepted are not affected. No accept callback runs after this returns;
 * allowed from inside the accept callback. */
void mote_posix_listener_close(mote_posix_listener *l);

/* Wraps an already connected stream socket (TCP or Unix domain, e.g. one
 * end of a socketpair) or a pipe as a flow on loop. The flow takes fd over:
 * it is made non-blocking and closed by the flow's close. (A pipe is
 * one-way: writing to its read end fails with the flow's error.) NULL with
 * *err: MOTE_EINVAL if fd is not a stream socket or a pipe, MOTE_ENOMEM,
 * MOTE_EIO; then fd stays open and the caller's. */
mote_flow *mote_posix_flow_open_fd(uv_loop_t *loop, int fd, int *err);

/* Closes a flow abortively: for TCP the peer gets a RST instead of a FIN
 * (SO_LINGER 0) and queued bytes are dropped; other flows just close. The
 * flow is freed as by close, with no callback after this returns.
 * MOTE_EINVAL if f is not a flow made by this library. */
int mote_posix_flow_abort(mote_flow *f);

/* The numeric address and port of a flow's peer (which) = 0, or its local
 * end (which = 1), as text ("192.0.2.1", "::1"; "" for Unix sockets).
 * MOTE_EINVAL if f is not a TCP flow made by this library, MOTE_ENOSPC if
 * n < 46, MOTE_EIO if the socket is no longer connected. */
int mote_posix_flow_address(mote_flow *f, int which, char *buf, size_t n, uint16_t *port);

/* ---- kv over a directory ---------------------------------------------- */

typedef struct mote_posix_kv_dir mote_posix_kv_dir;

/* A read-only mote_kv whose keys are relative paths ("a/b.txt") of the
 * regular files under the directory path. Keys that are empty, absolute,
 * contain an empty, "." or ".." component, or lead through a symbolic link
 * are refused with MOTE_ENOTFOUND; so nothing outside the directory is
 * reachable. list walks the tree (at most 32 levels, 100000 entries:
 * MOTE_ELIMIT beyond) and gives keys in byte order. Reads are synchronous
 * file reads. NULL on failure with *err (MOTE_ENOTFOUND, MOTE_EPERM,
 * MOTE_ENOMEM). */
mote_posix_kv_dir *mote_posix_kv_dir_new(const char *path, int *err);
/* The mote_kv interface (owned by d). */
mote_kv *mote_posix_kv_dir_kv(mote_posix_kv_dir *d);
void mote_posix_kv_dir_free(mote_posix_kv_dir *d);

#ifdef __cplusplus
}
#endif
#endif
