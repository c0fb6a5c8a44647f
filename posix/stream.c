/*
 * stream.c - mote_flow over kernel stream sockets (TCP and Unix domain),
 * on libuv streams; TCP connect and listen; Unix connect and listen.
 *
 * A flow owns two libuv handles: the stream and an idle handle used to
 * deliver, from the loop, an error that happened before set_events was
 * called. Its memory is freed when both have closed, which is after libuv
 * has called back every write and shutdown request with UV_ECANCELED; the
 * `closing` flag keeps those late callbacks from reaching the user.
 */
#include "mote/posix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "mote/error.h"

#define FLOW_RBUF 65536

typedef struct sflow {
    mote_flow flow;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    uv_idle_t defer;
    int open_handles;
    int is_tcp;
    const mote_flow_events *ev;
    void *arg;
    int want_reading;   /* the user's set_reading */
    int reading_active; /* uv_read_start in effect */
    int closing;
    int shut;
    int eof;
    int err;           /* first error, or 0 */
    int err_delivered; /* the error event has been called */
    size_t queued;
    uint8_t rbuf[FLOW_RBUF];
} sflow;

typedef struct wreq {
    uv_write_t req;
    sflow *s;
    size_t len;
    uint8_t data[];
} wreq;

static void flow_close(void *ctx);

static void on_flow_handle_closed(uv_handle_t *h)
{
    sflow *s = h->data;
    if (--s->open_handles == 0)
        free(s);
}

/* Closes the handles; memory goes when both have closed. */
static void flow_destroy(sflow *s)
{
    s->closing = 1;
    if (!uv_is_closing(&s->h.handle))
        uv_close(&s->h.handle, on_flow_handle_closed);
    if (!uv_is_closing((uv_handle_t *)&s->defer))
        uv_close((uv_handle_t *)&s->defer, on_flow_handle_closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    sflow *s = h->data;
    (void)hint;
    buf->base = (char *)s->rbuf;
    buf->len = sizeof s->rbuf;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);
static void on_defer(uv_idle_t *h);

static void update_reading(sflow *s)
{
    int should = s->ev && s->want_reading && !s->eof && !s->err && !s->closing;
    if (should && !s->reading_active) {
        int rc = uv_read_start(&s->h.stream, on_alloc, on_read);
        if (rc == 0) {
            s->reading_active = 1;
        } else {
            /* Reported from the loop: this runs inside set_events or
             * set_reading, which must not call back. */
            s->err = mote_posix_error(rc);
            uv_idle_start(&s->defer, on_defer);
        }
    } else if (!should && s->reading_active) {
        uv_read_stop(&s->h.stream);
        s->reading_active = 0;
    }
}

/* Records the flow's first error and tells the user (now if events are
 * set, else from the loop once they are). */
static void fail(sflow *s, int err)
{
    if (s->err || s->closing)
        return;
    s->err = err;
    update_reading(s);
    if (s->ev) {
        s->err_delivered = 1;
        if (s->ev->error)
            s->ev->error(s->arg, err);
    }
}

static void on_defer(uv_idle_t *h)
{
    sflow *s = h->data;
    uv_idle_stop(h);
    if (s->closing || !s->ev || !s->err || s->err_delivered)
        return;
    s->err_delivered = 1;
    if (s->ev->error)
        s->ev->error(s->arg, s->err);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    sflow *s = st->data;
    (void)buf;
    if (s->closing)
        return;
    if (n > 0) {
        if (s->ev && s->ev->data)
            s->ev->data(s->arg, s->rbuf, (size_t)n);
        return;
    }
    if (n == 0)
        return;
    if (n == UV_EOF) {
        s->eof = 1;
        update_reading(s);
        if (s->ev && s->ev->eof)
            s->ev->eof(s->arg);
        return;
    }
    fail(s, mote_posix_error((int)n));
}

static void flow_set_events(void *ctx, const mote_flow_events *ev, void *arg)
{
    sflow *s = ctx;
    if (s->closing)
        return;
    s->ev = ev;
    s->arg = arg;
    update_reading(s);
    if (ev && s->err && !s->err_delivered)
        uv_idle_start(&s->defer, on_defer);
}

static void on_write(uv_write_t *req, int status)
{
    wreq *w = (wreq *)req;
    sflow *s = w->s;
    s->queued -= w->len;
    free(w);
    if (s->closing)
        return;
    if (status < 0) {
        fail(s, mote_posix_error(status));
        return;
    }
    if (s->queued == 0 && s->ev && s->ev->drain)
        s->ev->drain(s->arg);
}

static int flow_write(void *ctx, const uint8_t *data, size_t len)
{
    sflow *s = ctx;
    if (s->closing)
        return MOTE_ECLOSED;
    if (s->err)
        return s->err;
    if (s->shut)
        return MOTE_ECLOSED;
    if (len == 0)
        return 0;
    size_t off = 0;
    if (s->queued == 0) {
        /* Nothing waits: give the kernel what it takes now, copy the rest.
         * A hard error here surfaces through the uv_write below. */
        uv_buf_t b = uv_buf_init((char *)data, len > 0x7fffffff ? 0x7fffffff : (unsigned)len);
        int r = uv_try_write(&s->h.stream, &b, 1);
        if (r > 0)
            off = (size_t)r;
        if (off == len)
            return 0;
    }
    size_t rest = len - off;
    if (rest > 0x7fffffff)
        return MOTE_ELIMIT;
    wreq *w = malloc(sizeof *w + rest);
    if (!w)
        return MOTE_ENOMEM;
    memcpy(w->data, data + off, rest);
    w->s = s;
    w->len = rest;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)rest);
    int rc = uv_write(&w->req, &s->h.stream, &b, 1, on_write);
    if (rc < 0) {
        free(w);
        return mote_posix_error(rc);
    }
    s->queued += rest;
    return 0;
}

static size_t flow_queued(void *ctx)
{
    sflow *s = ctx;
    return s->queued;
}

static void flow_set_reading(void *ctx, int on)
{
    sflow *s = ctx;
    s->want_reading = on != 0;
    if (!s->closing)
        update_reading(s);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    sflow *s = req->data;
    free(req);
    if (s->closing || status == 0 || status == UV_ECANCELED)
        return;
    fail(s, mote_posix_error(status));
}

static int flow_shutdown(void *ctx)
{
    sflow *s = ctx;
    if (s->closing)
        return MOTE_ECLOSED;
    if (s->err)
        return s->err;
    if (s->shut)
        return 0;
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req)
        return MOTE_ENOMEM;
    req->data = s;
    int rc = uv_shutdown(req, &s->h.stream, on_shutdown);
    if (rc < 0) {
        free(req);
        return mote_posix_error(rc);
    }
    s->shut = 1;
    return 0;
}

static void flow_close(void *ctx)
{
    sflow *s = ctx;
    if (s->closing)
        return;
    flow_destroy(s);
}

/* A new flow with an initialised (not yet connected) stream handle. */
static sflow *flow_new(uv_loop_t *loop, int tcp, int *err)
{
    sflow *s = calloc(1, sizeof *s);
    if (!s) {
        *err = MOTE_ENOMEM;
        return NULL;
    }
    int rc = tcp ? uv_tcp_init(loop, &s->h.tcp) : uv_pipe_init(loop, &s->h.pipe, 0);
    if (rc < 0) {
        free(s);
        *err = mote_posix_error(rc);
        return NULL;
    }
    uv_idle_init(loop, &s->defer);
    s->open_handles = 2;
    s->h.handle.data = s;
    s->defer.data = s;
    s->is_tcp = tcp;
    s->want_reading = 1;
    s->flow.ctx = s;
    s->flow.set_events = flow_set_events;
    s->flow.write = flow_write;
    s->flow.queued = flow_queued;
    s->flow.set_reading = flow_set_reading;
    s->flow.shutdown = flow_shutdown;
    s->flow.close = flow_close;
    return s;
}

static void apply_options(sflow *s, const mote_posix_tcp_options *o)
{
    if (!s->is_tcp || !o)
        return;
    if (o->nodelay)
        uv_tcp_nodelay(&s->h.tcp, 1);
    if (o->keepalive_s)
        uv_tcp_keepalive(&s->h.tcp, 1, o->keepalive_s);
}

static void set_err(int *err, int e)
{
    if (err)
        *err = e;
}

/* ---- connect ----
 *
 * Addresses are tried as RFC 8305 (Happy Eyeballs v2) section 4-5 says:
 * interleaved by family starting with the resolver's first, a new attempt
 * every attempt_delay_ms (250) while earlier ones are still pending, or at
 * once when one fails; the first to connect wins and the others are
 * closed. Each attempt owns its flow and connect request; the connect
 * object is freed once it has finished (callback made or cancelled), every
 * attempt has called back, resolution is over and both timers have closed. */

typedef struct attempt {
    uv_connect_t req;
    sflow *s;
    struct mote_posix_connect *c;
    struct attempt *next;
} attempt;

struct mote_posix_connect {
    uv_loop_t *loop;
    int tcp;
    int resolving;
    int finished; /* the callback has run, or the attempt was cancelled */
    int freeing;
    int open_timers;
    int last_err;
    mote_posix_tcp_options opts;
    mote_posix_connect_fn cb;
    void *arg;
    uv_getaddrinfo_t gai;
    struct addrinfo *res;
    struct addrinfo **order; /* interleaved by family */
    size_t naddr, next_addr;
    attempt *attempts; /* pending */
    uv_timer_t timer;  /* overall timeout */
    uv_timer_t stagger;
};

static void on_connect_timer_closed(uv_handle_t *h)
{
    mote_posix_connect *c = h->data;
    if (--c->open_timers == 0) {
        free(c->order);
        free(c);
    }
}

/* Frees c once nothing can call back into it any more. */
static void connect_maybe_free(mote_posix_connect *c)
{
    if (!c->finished || c->attempts || c->resolving || c->freeing)
        return;
    c->freeing = 1;
    if (c->res)
        uv_freeaddrinfo(c->res);
    c->res = NULL;
    uv_close((uv_handle_t *)&c->timer, on_connect_timer_closed);
    uv_close((uv_handle_t *)&c->stagger, on_connect_timer_closed);
}

/* Closes every pending attempt; each calls back with UV_ECANCELED. */
static void abort_attempts(mote_posix_connect *c, const attempt *keep)
{
    for (attempt *at = c->attempts; at; at = at->next)
        if (at != keep && !at->s->closing)
            flow_destroy(at->s);
}

static void connect_finish(mote_posix_connect *c, sflow *s, int err)
{
    c->finished = 1;
    uv_timer_stop(&c->timer);
    uv_timer_stop(&c->stagger);
    if (s)
        apply_options(s, &c->opts);
    c->cb(c->arg, s ? &s->flow : NULL, err);
}

static void on_connected(uv_connect_t *req, int status);
static void on_stagger(uv_timer_t *t);

/* Starts the next address; finishes with the last error when none is left
 * and nothing is pending. */
static void start_next(mote_posix_connect *c)
{
    while (!c->finished && c->next_addr < c->naddr) {
        struct addrinfo *ai = c->order[c->next_addr++];
        int err;
        sflow *s = flow_new(c->loop, 1, &err);
        attempt *at = s ? calloc(1, sizeof *at) : NULL;
        if (!at) {
            if (s)
                flow_destroy(s);
            c->last_err = MOTE_ENOMEM;
            continue;
        }
        at->s = s;
        at->c = c;
        at->req.data = at;
        int rc = uv_tcp_connect(&at->req, &s->h.tcp, ai->ai_addr, on_connected);
        if (rc < 0) {
            c->last_err = mote_posix_error(rc);
            flow_destroy(s);
            free(at);
            continue;
        }
        at->next = c->attempts;
        c->attempts = at;
        if (c->next_addr < c->naddr) {
            unsigned delay = c->opts.attempt_delay_ms ? c->opts.attempt_delay_ms : 250;
            uv_timer_start(&c->stagger, on_stagger, delay, 0);
        }
        return;
    }
    if (!c->finished && !c->attempts)
        connect_finish(c, NULL, c->last_err ? c->last_err : MOTE_ENOTFOUND);
}

static void on_stagger(uv_timer_t *t)
{
    mote_posix_connect *c = t->data;
    start_next(c);
    connect_maybe_free(c);
}

static void on_connected(uv_connect_t *req, int status)
{
    attempt *at = req->data;
    mote_posix_connect *c = at->c;
    sflow *s = at->s;
    for (attempt **pp = &c->attempts; *pp; pp = &(*pp)->next) {
        if (*pp == at) {
            *pp = at->next;
            break;
        }
    }
    free(at);
    if (c->finished || status < 0) {
        if (!s->closing)
            flow_destroy(s);
        if (!c->finished && status != UV_ECANCELED) {
            c->last_err = mote_posix_error(status);
            uv_timer_stop(&c->stagger);
            start_next(c); /* a failure starts the next address at once */
        }
        connect_maybe_free(c);
        return;
    }
    abort_attempts(c, NULL); /* s is no longer in the list */
    connect_finish(c, s, 0);
    connect_maybe_free(c);
}

/* Orders addresses as RFC 8305 section 4: alternate families, starting
 * with the family of the first address. */
static int interleave(mote_posix_connect *c, struct addrinfo *res)
{
    size_t n = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        n++;
    c->order = calloc(n ? n : 1, sizeof *c->order);
    if (!c->order)
        return MOTE_ENOMEM;
    int first = res ? res->ai_family : 0;
    struct addrinfo *p = res, *q = res; /* next of the first family, of others */
    size_t k = 0;
    int want_first = 1;
    while (k < n) {
        struct addrinfo **cur = want_first ? &p : &q;
        while (*cur && ((*cur)->ai_family == first) != want_first)
            *cur = (*cur)->ai_next;
        if (*cur) {
            c->order[k++] = *cur;
            *cur = (*cur)->ai_next;
        }
        want_first = !want_first;
    }
    c->naddr = n;
    return 0;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    mote_posix_connect *c = req->data;
    c->resolving = 0;
    c->res = res;
    if (c->finished) {
        connect_maybe_free(c);
        return;
    }
    if (status < 0) {
        int e = mote_posix_error(status);
        connect_finish(c, NULL, e == MOTE_ECANCELED ? MOTE_ENOTFOUND : e);
        connect_maybe_free(c);
        return;
    }
    int rc = interleave(c, res);
    if (rc < 0) {
        connect_finish(c, NULL, rc);
        connect_maybe_free(c);
        return;
    }
    start_next(c);
    connect_maybe_free(c);
}

static void on_connect_timeout(uv_timer_t *t)
{
    mote_posix_connect *c = t->data;
    if (c->resolving)
        uv_cancel((uv_req_t *)&c->gai); /* on_resolved follows */
    abort_attempts(c, NULL);
    connect_finish(c, NULL, MOTE_ETIMEDOUT);
    connect_maybe_free(c);
}

static mote_posix_connect *connect_alloc(uv_loop_t *loop, int tcp, mote_posix_connect_fn cb,
                                         void *arg, int *err)
{
    mote_posix_connect *c = calloc(1, sizeof *c);
    if (!c) {
        set_err(err, MOTE_ENOMEM);
        return NULL;
    }
    c->loop = loop;
    c->tcp = tcp;
    c->cb = cb;
    c->arg = arg;
    uv_timer_init(loop, &c->timer);
    uv_timer_init(loop, &c->stagger);
    c->open_timers = 2;
    c->timer.data = c;
    c->stagger.data = c;
    c->gai.data = c;
    return c;
}

mote_posix_connect *mote_posix_tcp_connect(uv_loop_t *loop, const char *host, uint16_t port,
                                           const mote_posix_tcp_options *opts,
                                           mote_posix_connect_fn cb, void *arg, int *err)
{
    if (!loop || !host || !*host || port == 0 || !cb) {
        set_err(err, MOTE_EINVAL);
        return NULL;
    }
    mote_posix_connect *c = connect_alloc(loop, 1, cb, arg, err);
    if (!c)
        return NULL;
    if (opts)
        c->opts = *opts;
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    c->resolving = 1;
    int rc = uv_getaddrinfo(loop, &c->gai, on_resolved, host, service, &hints);
    if (rc < 0) {
        c->resolving = 0;
        c->finished = 1;
        connect_maybe_free(c);
        set_err(err, mote_posix_error(rc));
        return NULL;
    }
    if (c->opts.connect_timeout_ms)
        uv_timer_start(&c->timer, on_connect_timeout, c->opts.connect_timeout_ms, 0);
    set_err(err, 0);
    return c;
}

mote_posix_connect *mote_posix_unix_connect(uv_loop_t *loop, const char *path,
                                            mote_posix_connect_fn cb, void *arg, int *err)
{
    if (!loop || !path || !*path || !cb) {
        set_err(err, MOTE_EINVAL);
        return NULL;
    }
    mote_posix_connect *c = connect_alloc(loop, 0, cb, arg, err);
    if (!c)
        return NULL;
    int e = MOTE_ENOMEM;
    sflow *s = flow_new(loop, 0, &e);
    attempt *at = s ? calloc(1, sizeof *at) : NULL;
    if (!at) {
        if (s)
            flow_destroy(s);
        c->finished = 1;
        connect_maybe_free(c);
        set_err(err, e);
        return NULL;
    }
    at->s = s;
    at->c = c;
    at->req.data = at;
    c->attempts = at;
    uv_pipe_connect(&at->req, &s->h.pipe, path, on_connected);
    set_err(err, 0);
    return c;
}

void mote_posix_connect_cancel(mote_posix_connect *c)
{
    if (!c || c->finished)
        return;
    c->finished = 1;
    uv_timer_stop(&c->timer);
    uv_timer_stop(&c->stagger);
    if (c->resolving)
        uv_cancel((uv_req_t *)&c->gai); /* on_resolved follows */
    abort_attempts(c, NULL);
    connect_maybe_free(c);
}

/* ---- listen ---- */

struct mote_posix_listener {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    int tcp;
    int closing;
    int has_opts;
    mote_posix_tcp_options opts;
    mote_posix_accept_fn fn;
    void *arg;
};

static void on_listener_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_connection(uv_stream_t *server, int status)
{
    mote_posix_listener *l = server->data;
    if (l->closing)
        return;
    if (status < 0) {
        l->fn(l->arg, NULL, mote_posix_error(status));
        return;
    }
    int err;
    sflow *s = flow_new(server->loop, l->tcp, &err);
    if (!s) {
        l->fn(l->arg, NULL, err);
        return;
    }
    int rc = uv_accept(server, &s->h.stream);
    if (rc < 0) {
        flow_destroy(s);
        l->fn(l->arg, NULL, mote_posix_error(rc));
        return;
    }
    if (l->has_opts)
        apply_options(s, &l->opts);
    l->fn(l->arg, &s->flow, 0);
}

static mote_posix_listener *listener_alloc(mote_posix_accept_fn fn, void *arg, int *err)
{
    mote_posix_listener *l = calloc(1, sizeof *l);
    if (!l) {
        set_err(err, MOTE_ENOMEM);
        return NULL;
    }
    l->fn = fn;
    l->arg = arg;
    return l;
}

static mote_posix_listener *listener_fail(mote_posix_listener *l, int rc, int *err)
{
    l->closing = 1;
    uv_close(&l->h.handle, on_listener_closed);
    set_err(err, mote_posix_error(rc));
    return NULL;
}

static int tcp_bind_listen(mote_posix_listener *l, uv_loop_t *loop, const struct sockaddr *sa,
                           int backlog)
{
    int rc = uv_tcp_init_ex(loop, &l->h.tcp, sa->sa_family);
    if (rc < 0)
        return rc;
    l->h.handle.data = l;
    unsigned flags = (sa->sa_family == AF_INET6 && l->opts.ipv6_only) ? UV_TCP_IPV6ONLY : 0;
    rc = uv_tcp_bind(&l->h.tcp, sa, flags);
    if (rc == 0)
        rc = uv_listen(&l->h.stream, backlog, on_connection);
    return rc;
}

mote_posix_listener *mote_posix_tcp_listen(uv_loop_t *loop, const char *addr, uint16_t port,
                                           int backlog, const mote_posix_tcp_options *opts,
                                           mote_posix_accept_fn fn, void *arg, int *err)
{
    if (!loop || !fn) {
        set_err(err, MOTE_EINVAL);
        return NULL;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    int any = addr == NULL;
    const char *a = any ? "::" : addr;
    if (uv_ip4_addr(a, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(a, port, (struct sockaddr_in6 *)&ss) != 0) {
        set_err(err, MOTE_EINVAL);
        return NULL;
    }
    if (backlog <= 0)
        backlog = 128;
    mote_posix_listener *l = listener_alloc(fn, arg, err);
    if (!l)
        return NULL;
    l->tcp = 1;
    if (opts) {
        l->opts = *opts;
        l->has_opts = 1;
    }
    int rc = tcp_bind_listen(l, loop, (struct sockaddr *)&ss, backlog);
    if (rc == UV_EAFNOSUPPORT && any) {
        /* No IPv6 on this host: fall back to every IPv4 address. */
        if (l->h.handle.data) {
            l->closing = 1;
            uv_close(&l->h.handle, on_listener_closed);
        } else {
            free(l);
        }
        l = listener_alloc(fn, arg, err);
        if (!l)
            return NULL;
        l->tcp = 1;
        if (opts) {
            l->opts = *opts;
            l->has_opts = 1;
        }
        uv_ip4_addr("0.0.0.0", port, (struct sockaddr_in *)&ss);
        rc = tcp_bind_listen(l, loop, (struct sockaddr *)&ss, backlog);
    }
    if (rc < 0) {
        if (!l->h.handle.data) { /* the handle was never initialised */
            free(l);
            set_err(err, mote_posix_error(rc));
            return NULL;
        }
        return listener_fail(l, rc, err);
    }
    set_err(err, 0);
    return l;
}

mote_posix_listener *mote_posix_unix_listen(uv_loop_t *loop, const char *path, int backlog,
                                            mote_posix_accept_fn fn, void *arg, int *err)
{
    if (!loop || !path || !*path || !fn) {
        set_err(err, MOTE_EINVAL);
        return NULL;
    }
    if (backlog <= 0)
        backlog = 128;
    mote_posix_listener *l = listener_alloc(fn, arg, err);
    if (!l)
        return NULL;
    int rc = uv_pipe_init(loop, &l->h.pipe, 0);
    if (rc < 0) {
        free(l);
        set_err(err, mote_posix_error(rc));
        return NULL;
    }
    l->h.handle.data = l;
    rc = uv_pipe_bind(&l->h.pipe, path);
    if (rc == 0)
        rc = uv_listen(&l->h.stream, backlog, on_connection);
    if (rc < 0)
        return listener_fail(l, rc == UV_EEXIST ? UV_EADDRINUSE : rc, err);
    set_err(err, 0);
    return l;
}

uint16_t mote_posix_listener_port(const mote_posix_listener *l)
{
    if (!l->tcp)
        return 0;
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (uv_tcp_getsockname(&l->h.tcp, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

void mote_posix_listener_close(mote_posix_listener *l)
{
    if (!l || l->closing)
        return;
    l->closing = 1;
    uv_close(&l->h.handle, on_listener_closed);
}

int mote_posix_flow_address(mote_flow *f, int which, char *buf, size_t n, uint16_t *port)
{
    if (!f || f->close != flow_close)
        return MOTE_EINVAL;
    if (n < 46)
        return MOTE_ENOSPC;
    sflow *s = f->ctx;
    if (port)
        *port = 0;
    buf[0] = 0;
    if (!s->is_tcp)
        return 0;
    struct sockaddr_storage ss;
    int len = sizeof ss;
    int rc = which ? uv_tcp_getsockname(&s->h.tcp, (struct sockaddr *)&ss, &len)
                   : uv_tcp_getpeername(&s->h.tcp, (struct sockaddr *)&ss, &len);
    if (rc != 0)
        return MOTE_EIO;
    if (uv_ip_name((struct sockaddr *)&ss, buf, n) != 0)
        return MOTE_EIO;
    if (port)
        *port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                        : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

mote_flow *mote_posix_flow_open_fd(uv_loop_t *loop, int fd, int *err)
{
    struct stat st;
    if (!loop || fd < 0 || fstat(fd, &st) != 0) {
        set_err(err, MOTE_EINVAL);
        return NULL;
    }
    int tcp = 0;
    if (S_ISSOCK(st.st_mode)) {
        int type = 0, domain = 0;
        socklen_t len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
            set_err(err, MOTE_EINVAL);
            return NULL;
        }
        len = sizeof domain;
        if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
            set_err(err, MOTE_EINVAL);
            return NULL;
        }
        tcp = domain == AF_INET || domain == AF_INET6;
    } else if (!S_ISFIFO(st.st_mode)) {
        set_err(err, MOTE_EINVAL);
        return NULL;
    }
    int e;
    sflow *s = flow_new(loop, tcp, &e);
    if (!s) {
        set_err(err, e);
        return NULL;
    }
    int rc = tcp ? uv_tcp_open(&s->h.tcp, fd) : uv_pipe_open(&s->h.pipe, fd);
    if (rc < 0) {
        flow_destroy(s); /* the handle does not own fd yet */
        set_err(err, mote_posix_error(rc));
        return NULL;
    }
    set_err(err, 0);
    return &s->flow;
}

int mote_posix_flow_abort(mote_flow *f)
{
    if (!f || f->close != flow_close)
        return MOTE_EINVAL;
    sflow *s = f->ctx;
    if (s->closing)
        return 0;
    uv_os_fd_t fd;
    if (s->is_tcp && uv_fileno(&s->h.handle, &fd) == 0) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    flow_destroy(s);
    return 0;
}
