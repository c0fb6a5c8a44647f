/* conn.c - an HTTP connection of mote-serve over a mote_flow (conn.h). */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IN_LIMIT   (256 * 1024) /* unparsed input held while a response streams */
#define OUT_HIGH   (256 * 1024) /* stop reading the file above this many queued bytes */
#define FILE_CHUNK (64 * 1024)
#define LINGER_NS  (1000 * MOTE_NS_PER_MS) /* wait for a closed client's last bytes */
#define LINGER_MAX (1024 * 1024)           /* and drop this many of them at most */

struct serve_conn {
    serve_server *srv;
    mote_flow *flow;
    mote_http_parser *parser;
    mote_buf in;
    serve_plan plan;
    int busy;    /* a response is being streamed */
    int closing; /* close once the queued bytes are sent */
    int linger;  /* our side is shut and sent; reading the client's rest */
    size_t lingered;
    int eof;   /* the client will send nothing more */
    int dead;  /* closed; free when the outermost callback returns */
    int depth; /* nesting of callbacks into this connection */
    char peer[64];
    char reqline[512];
    uint8_t *chunk; /* file read buffer while a body streams */
    mote_timer *idle;
    serve_conn *next, **pprev;
};

static void conn_destroy(serve_conn *c)
{
    serve_server *srv = c->srv;
    mote_timer_free(srv->clock, c->idle);
    mote_http_parser_free(c->parser);
    mote_buf_free(&c->in);
    serve_plan_free(&c->plan);
    free(c->chunk);
    free(c);
}

/* Ends the connection. Safe from inside any callback. */
static void conn_close(serve_conn *c)
{
    if (c->dead)
        return;
    c->dead = 1;
    mote_flow_close(c->flow);
    c->flow = NULL;
    mote_timer_cancel(c->srv->clock, c->idle);
    *c->pprev = c->next;
    if (c->next)
        c->next->pprev = c->pprev;
    serve_server *srv = c->srv;
    srv->nconns--;
    if (c->depth == 0)
        conn_destroy(c);
    if (srv->stopping && srv->nconns == 0 && srv->on_idle)
        srv->on_idle(srv);
}

static void enter(serve_conn *c)
{
    c->depth++;
}

/* Returns 1 if the connection is gone (the caller must not touch it). */
static int leave(serve_conn *c)
{
    if (--c->depth == 0 && c->dead) {
        conn_destroy(c);
        return 1;
    }
    return c->dead;
}

static void arm_idle(serve_conn *c)
{
    mote_clock *clk = c->srv->clock;
    mote_timer_arm(clk, c->idle, mote_clock_now(clk) + c->srv->idle_timeout_ns);
}

/* Called once the last response of a closing connection is sent and our
 * side shut. Closing the socket at once while the client's bytes are still
 * arriving (the rest of a request refused as too long, a pipelined one)
 * would make the kernel answer them with a reset, which can destroy the
 * response before the client reads it (RFC 9112 section 9.6). So the
 * connection lingers: what arrives is read and dropped until the client
 * closes too, LINGER_NS pass, or LINGER_MAX bytes came. */
static void linger(serve_conn *c)
{
    if (c->eof || c->srv->stopping) {
        conn_close(c);
        return;
    }
    if (c->linger)
        return;
    c->linger = 1;
    mote_buf_consume(&c->in, c->in.len);
    mote_flow_set_reading(c->flow, 1);
    mote_clock *clk = c->srv->clock;
    mote_timer_arm(clk, c->idle, mote_clock_now(clk) + LINGER_NS);
}

static void log_access(serve_conn *c)
{
    FILE *f = c->srv->access_log;
    if (!f)
        return;
    static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    mote_time now = mote_clock_wall(c->srv->clock);
    mote_civil t;
    if (mote_time_to_civil(now.sec, &t) != 0)
        memset(&t, 0, sizeof t);
    char bytes[32];
    if (c->plan.body_bytes)
        snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)c->plan.body_bytes);
    else
        snprintf(bytes, sizeof bytes, "-");
    /* Common Log Format: host ident authuser [date] "request" status bytes */
    fprintf(f, "%s - - [%02u/%s/%04d:%02u:%02u:%02u +0000] \"%s\" %d %s\n", c->peer, t.day,
            mon[t.month ? t.month - 1 : 0], (int)t.year, t.hour, t.minute, t.second, c->reqline,
            c->plan.status, bytes);
    fflush(f);
}

/* Finishes the current response: log, then keep the connection for the
 * next request or close it. */
static void response_done(serve_conn *c)
{
    serve_plan *p = &c->plan;
    log_access(c);
    int close_after = p->close || c->srv->stopping;
    serve_plan_free(p);
    memset(p, 0, sizeof *p);
    p->fd = -1;
    free(c->chunk);
    c->chunk = NULL;
    c->busy = 0;
    if (close_after) {
        c->closing = 1;
        mote_flow_shutdown(c->flow);
        if (mote_flow_queued(c->flow) == 0)
            linger(c);
        return;
    }
    arm_idle(c);
    mote_flow_set_reading(c->flow, 1);
}

/* Writes file bytes while the flow's queue is short; finishes the response
 * when everything is queued. The rest follows on the drain event. */
static void pump(serve_conn *c)
{
    serve_plan *p = &c->plan;
    while (!c->dead && p->length > 0 && mote_flow_queued(c->flow) < OUT_HIGH) {
        size_t want = p->length < FILE_CHUNK ? (size_t)p->length : FILE_CHUNK;
        ssize_t n = pread(p->fd, c->chunk, want, (off_t)p->offset);
        if (n <= 0 || mote_flow_write(c->flow, c->chunk, (size_t)n) != 0) {
            /* The file shrank or failed under us, or the flow did: the
             * promised length can no longer be kept, so the connection ends. */
            conn_close(c);
            return;
        }
        p->offset += (uint64_t)n;
        p->length -= (uint64_t)n;
    }
    if (!c->dead && p->length == 0)
        response_done(c);
}

/* Sends the head, any generated body and the first piece of the file in
 * one write: one system call and, for small files, one segment. */
static void start_response(serve_conn *c)
{
    serve_plan *p = &c->plan;
    int rc = 0;
    if (p->length > 0) {
        size_t want = p->length < FILE_CHUNK ? (size_t)p->length : FILE_CHUNK;
        uint8_t *dst = mote_buf_extend(&p->head, want, &rc);
        ssize_t n = dst ? pread(p->fd, dst, want, (off_t)p->offset) : -1;
        if (n != (ssize_t)want) {
            conn_close(c); /* the file shrank or failed under us */
            return;
        }
        p->offset += want;
        p->length -= want;
    }
    rc = mote_flow_write(c->flow, p->head.data, p->head.len);
    if (!rc && p->body.len)
        rc = mote_flow_write(c->flow, p->body.data, p->body.len);
    if (!rc && p->length > 0 && !(c->chunk = malloc(FILE_CHUNK)))
        rc = MOTE_ENOMEM;
    if (rc) {
        conn_close(c);
        return;
    }
    c->busy = 1;
    pump(c);
}

static void bad_request(serve_conn *c)
{
    int status = mote_http_parser_status(c->parser);
    if (c->reqline[0] == '\0')
        snprintf(c->reqline, sizeof c->reqline, "-");
    serve_plan_free(&c->plan);
    if (serve_plan_error(status ? status : 400, mote_clock_wall(c->srv->clock).sec, 1, &c->plan)) {
        conn_close(c);
        return;
    }
    start_response(c);
}

/* Feeds buffered input to the parser while no response is streaming;
 * pipelined requests are answered in order, one at a time. */
static void process(serve_conn *c)
{
    while (!c->dead && !c->busy && !c->closing) {
        size_t used;
        mote_slice body;
        int ev = mote_http_parser_next(c->parser, c->in.data, c->in.len, &used, &body);
        mote_buf_consume(&c->in, used); /* body slices are not kept */
        if (ev < 0) {
            bad_request(c);
            break;
        }
        if (ev == MOTE_HTTP_NEED_MORE) {
            if (c->eof) {
                /* The client half-closed between requests: finish. */
                c->closing = 1;
                mote_flow_shutdown(c->flow);
                if (mote_flow_queued(c->flow) == 0)
                    conn_close(c);
            }
            break;
        }
        if (ev == MOTE_HTTP_HEAD) {
            const mote_http_head *h = mote_http_parser_head(c->parser);
            snprintf(c->reqline, sizeof c->reqline, "%.*s %.*s HTTP/1.%d", (int)h->method.len,
                     (const char *)h->method.ptr, (int)(h->target.len > 400 ? 400 : h->target.len),
                     (const char *)h->target.ptr, h->version_minor);
            if (h->expect_continue) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                mote_flow_write(c->flow, cont, sizeof cont - 1);
            }
        } else if (ev == MOTE_HTTP_DONE) {
            const mote_http_head *h = mote_http_parser_head(c->parser);
            serve_plan_free(&c->plan);
            if (serve_plan_request(&c->srv->root, h, mote_clock_wall(c->srv->clock).sec,
                                   &c->plan) != 0) {
                conn_close(c);
                break;
            }
            if (c->srv->stopping)
                c->plan.close = 1;
            start_response(c);
        }
        /* MOTE_HTTP_BODY: request bodies are read and dropped. */
    }
}

static void on_data(void *arg, const uint8_t *data, size_t len)
{
    serve_conn *c = arg;
    enter(c);
    if (c->linger) {
        c->lingered += len;
        if (c->lingered > LINGER_MAX)
            conn_close(c);
    } else if (mote_buf_append(&c->in, data, len) != 0) {
        conn_close(c); /* a client that pipelines more than IN_LIMIT unread */
    } else {
        if (c->busy && c->in.len > IN_LIMIT / 2)
            mote_flow_set_reading(c->flow, 0);
        process(c);
    }
    leave(c);
}

static void on_eof(void *arg)
{
    serve_conn *c = arg;
    enter(c);
    c->eof = 1;
    if (c->linger)
        conn_close(c);
    else if (!c->busy)
        process(c);
    leave(c);
}

static void on_drain(void *arg)
{
    serve_conn *c = arg;
    enter(c);
    if (c->closing)
        linger(c);
    else if (c->busy) {
        arm_idle(c); /* the client is reading: progress */
        pump(c);
        if (!c->dead && !c->busy)
            process(c);
    }
    leave(c);
}

static void on_error(void *arg, int err)
{
    (void)err;
    serve_conn *c = arg;
    enter(c);
    conn_close(c);
    leave(c);
}

static void on_idle(void *arg)
{
    serve_conn *c = arg;
    enter(c);
    conn_close(c);
    leave(c);
}

static const mote_flow_events conn_events = {on_data, on_eof, on_drain, on_error};

int serve_conn_start(serve_server *srv, mote_flow *flow, const char *peer)
{
    serve_conn *c = calloc(1, sizeof *c);
    mote_http_limits lim = {0};
    lim.max_body = 1 << 20;
    if (c)
        c->parser = mote_http_parser_new(MOTE_HTTP_REQUEST, &lim);
    if (c)
        c->idle = mote_timer_new(srv->clock, on_idle, c);
    if (!c || !c->parser || !c->idle) {
        if (c) {
            mote_http_parser_free(c->parser);
            mote_timer_free(srv->clock, c->idle);
            free(c);
        }
        mote_flow_close(flow);
        return MOTE_ENOMEM;
    }
    c->srv = srv;
    c->flow = flow;
    c->plan.fd = -1;
    mote_buf_init(&c->in, IN_LIMIT);
    snprintf(c->peer, sizeof c->peer, "%s", peer && *peer ? peer : "-");
    c->next = srv->conns;
    if (c->next)
        c->next->pprev = &c->next;
    c->pprev = &srv->conns;
    srv->conns = c;
    srv->nconns++;
    arm_idle(c);
    mote_flow_set_events(flow, &conn_events, c);
    return 0;
}

void serve_server_stop(serve_server *srv)
{
    srv->stopping = 1;
    serve_conn *c = srv->conns;
    while (c) {
        serve_conn *n = c->next;
        if (!c->busy && c->depth == 0)
            conn_close(c);
        c = n;
    }
    if (srv->nconns == 0 && srv->on_idle)
        srv->on_idle(srv);
}

void serve_server_close_all(serve_server *srv)
{
    while (srv->conns)
        conn_close(srv->conns);
}
