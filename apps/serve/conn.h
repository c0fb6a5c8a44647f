/*
 * conn.h - one HTTP connection of mote-serve over any mote_flow (a kernel
 * socket, TLS, or mote's own TCP): parses requests, plans responses with
 * files.c, streams file bodies with backpressure, keeps the connection
 * alive and serves pipelined requests in order, and closes idle or slow
 * connections after a timeout so they cannot hold the server up.
 */
#ifndef MOTE_SERVE_CONN_H
#define MOTE_SERVE_CONN_H

#include <stdio.h>

#include "files.h"
#include "mote/core.h"

typedef struct serve_conn serve_conn;

typedef struct serve_server {
    serve_root root;
    mote_clock *clock;
    FILE *access_log;         /* NULL: no access log */
    uint64_t idle_timeout_ns; /* waiting for a request or for the client to read */
    int stopping;             /* graceful shutdown: finish responses, then close */
    size_t nconns;
    serve_conn *conns;                         /* all live connections */
    void (*on_idle)(struct serve_server *srv); /* called when stopping and nconns reaches 0 */
} serve_server;

/* Takes ownership of flow (closed when the connection ends). peer is the
 * client's address for the log ("-" if unknown). 0 or MOTE_ENOMEM (the
 * flow is closed then too). */
int serve_conn_start(serve_server *srv, mote_flow *flow, const char *peer);

/* Graceful stop: idle connections close now, busy ones after their
 * current response. */
void serve_server_stop(serve_server *srv);

/* Closes every connection at once. */
void serve_server_close_all(serve_server *srv);

#endif
