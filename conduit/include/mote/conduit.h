/*
 * mote/conduit.h - libmote-conduit: name an endpoint, get a flow.
 *
 * In the spirit of MirageOS's Conduit: a program names where it wants to
 * talk - "tcp://example.org:80", "tls://example.org:443", "unix:///run/x.sock",
 * "vchan://name" - and receives a mote_flow, the same interface whatever
 * carries the bytes. Which TCP/IP stack carries tcp:// and tls:// (the
 * kernel's sockets, or mote's own stack on a TAP device) is a field of the
 * configuration, not a change of code. Listening works the same way.
 *
 * Conduit composes the other libraries; it adds no protocol. It runs on the
 * libuv platform (libmote-posix). Schemes whose library is not built
 * (vchan without libmote-vchan, the direct stack without libmote-net) give
 * MOTE_EUNSUPPORTED, with mote_conduit_supported() saying which are
 * available. tls:// is TCP (on whichever stack) with libmote-tls on top:
 * the configuration names a client or server mote_tls_config.
 */
#ifndef MOTE_CONDUIT_H
#define MOTE_CONDUIT_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "mote/core.h"
#include "mote/posix.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mote_conduit_scheme {
    MOTE_CONDUIT_TCP = 1,   /* tcp://HOST:PORT */
    MOTE_CONDUIT_TLS = 2,   /* tls://HOST:PORT */
    MOTE_CONDUIT_UNIX = 3,  /* unix://PATH (absolute) */
    MOTE_CONDUIT_VCHAN = 4, /* vchan://NAME */
};

enum mote_conduit_stack {
    MOTE_CONDUIT_STACK_SOCKET = 0, /* the kernel's TCP/IP, through libmote-posix */
    MOTE_CONDUIT_STACK_DIRECT = 1, /* mote's own TCP/IP (libmote-net) */
};

/* A parsed endpoint name. */
typedef struct mote_conduit_endpoint {
    int scheme;     /* enum mote_conduit_scheme */
    char host[256]; /* tcp/tls: a DNS name or an IP literal (brackets removed) */
    uint16_t port;  /* tcp/tls */
    char path[256]; /* unix: the socket path; vchan: the channel name */
} mote_conduit_endpoint;

/* Parses an endpoint name strictly: the scheme in lower case, a host of
 * letters, digits, '-', '.' and '_' or a bracketed IPv6 literal, a decimal
 * port 1..65535 (0 allowed only for listening, see mote_conduit_listen),
 * nothing after the port; unix:// needs an absolute path, vchan:// a name
 * of [A-Za-z0-9._-] or an absolute path. MOTE_EDECODE for a malformed name,
 * MOTE_EUNSUPPORTED for an unknown scheme, MOTE_ELIMIT if a part is too long. */
int mote_conduit_parse(const char *uri, mote_conduit_endpoint *out);

/* 1 if this build can carry the scheme on the stack. */
int mote_conduit_supported(int scheme, int stack);

struct mote_net;        /* libmote-net's stack (mote/net.h) */
struct mote_tls_config; /* libmote-tls's configuration (mote/tls.h) */

typedef struct mote_conduit_config {
    uv_loop_t *loop;            /* required */
    int stack;                  /* enum mote_conduit_stack */
    mote_posix_tcp_options tcp; /* for the socket stack */
    /* For the direct stack: the running libmote-net stack (borrowed; it
     * must outlive every flow and listener made through it). Its TCP
     * speaks IPv4 and has no resolver: hosts must be dotted-quad literals,
     * and a listening address 0.0.0.0 (or "::", meaning the same) or the
     * stack's own; port 0 is refused. */
    struct mote_net *net;
    /* For tls://: a client configuration (trust anchors or a verifier) for
     * connecting, a server one (certificates) for listening. Borrowed; they
     * must outlive the flows. A tls:// connect reports success once the
     * handshake is done (the flow is then open) and a failed handshake as
     * its error (MOTE_EVERIFY, MOTE_EPROTO, ...); the server name sent
     * (SNI) and checked is the URI's host. A tls:// listener hands over
     * each connection at once; its handshake runs as the flow is read, and
     * a failure arrives as the flow's error event. */
    const struct mote_tls_config *tls_client;
    const struct mote_tls_config *tls_server;
    /* For vchan listeners: the least ring size in bytes each way; 0 means
     * the default (1 MiB). */
    size_t vchan_ring;
} mote_conduit_config;

/* The result of a connect: flow (owned by the callee) and err 0, or flow
 * NULL and a MOTE_E* error. Called once, from the loop. */
typedef void (*mote_conduit_connect_fn)(void *arg, mote_flow *flow, int err);

/* Starts connecting to uri. 0 (cb will be called), or an immediate error
 * (the name does not parse, the scheme is unsupported, out of memory) and
 * cb is never called. cfg is read during the call only. */
int mote_conduit_connect(const mote_conduit_config *cfg, const char *uri,
                         mote_conduit_connect_fn cb, void *arg);

/* An accepted flow (owned by the callee), with the peer's address as text
 * when known (else "-"); or flow NULL and err when an accept failed. */
typedef void (*mote_conduit_accept_fn)(void *arg, mote_flow *flow, const char *peer, int err);

typedef struct mote_conduit_listener mote_conduit_listener;

/* Listens on uri: tcp://ADDR:PORT (numeric address; port 0 picks one),
 * unix://PATH, vchan://NAME. A vchan serves exactly one peer: the listener
 * hands over its one flow from the loop right away, and bytes move once the
 * peer connects. NULL with *err on failure. */
mote_conduit_listener *mote_conduit_listen(const mote_conduit_config *cfg, const char *uri,
                                           mote_conduit_accept_fn cb, void *arg, int *err);

/* The bound TCP port (0 for other schemes). */
uint16_t mote_conduit_listener_port(const mote_conduit_listener *l);

/* Stops listening; no callback runs after this returns. */
void mote_conduit_listener_close(mote_conduit_listener *l);

#ifdef __cplusplus
}
#endif
#endif
