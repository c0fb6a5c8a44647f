/*
 * files.h - mote-serve's file logic: from one parsed HTTP request and a
 * root directory to a response plan (a head to send and, perhaps, a byte
 * range of an open file to stream after it). No sockets here, so the
 * whole policy (methods, traversal and symlink refusal, index.html,
 * listings, MIME types, ETag and Last-Modified validators, one Range) is
 * testable on its own.
 */
#ifndef MOTE_SERVE_FILES_H
#define MOTE_SERVE_FILES_H

#include <stdint.h>

#include "mote/core.h"
#include "mote/http.h"

typedef struct serve_root {
    int dirfd;           /* the served directory, opened O_PATH|O_DIRECTORY */
    int use_openat2;     /* 1 if the kernel resolves with RESOLVE_BENEATH */
    char realpath[4096]; /* its canonical path, for the fallback check */
} serve_root;

/* Opens dir as the root. 0, or MOTE_ENOTFOUND / MOTE_EPERM / MOTE_EIO. */
int serve_root_open(serve_root *r, const char *dir);
void serve_root_close(serve_root *r);

typedef struct serve_plan {
    int status;              /* the response status */
    mote_buf head;           /* the complete response head, ready to send */
    mote_buf body;           /* a generated body (listing or error page), or empty */
    int fd;                  /* an open file to stream from, or -1 */
    uint64_t offset, length; /* the byte range of fd to send */
    uint64_t body_bytes;     /* bytes of body the response carries (for the log) */
    int close;               /* close the connection after this response */
} serve_plan;

/* Plans the response to request head h (its body, if any, was discarded).
 * is_head: the method is HEAD (head only). keep_alive: the client may
 * keep the connection. now: the current wall time (for Date). Always
 * produces a plan (errors become 4xx/5xx plans); returns 0, or MOTE_ENOMEM
 * if even that failed. The caller releases the plan with serve_plan_free. */
int serve_plan_request(const serve_root *root, const mote_http_head *h, int64_t now,
                       serve_plan *plan);

/* Plans an error response with a small HTML body (for parser errors). */
int serve_plan_error(int status, int64_t now, int close, serve_plan *plan);

void serve_plan_free(serve_plan *plan);

/* The MIME type for a file name, by extension; "application/octet-stream"
 * when unknown. */
const char *serve_mime_type(const char *name);

#endif
