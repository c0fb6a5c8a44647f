/* flow.c - a TLS connection over a mote_flow, offered as a mote_flow. */
#include <stdlib.h>
#include <string.h>

#include "tls_internal.h"

typedef struct tls_flow {
    mote_flow flow; /* the interface handed out; ctx points here */
    mote_tls *tls;
    mote_flow *lower;
    const mote_flow_events *ev;
    void *arg;
    void (*hs_fn)(void *arg, int err);
    void *hs_arg;
    mote_buf held;  /* ciphertext not yet fed (reading paused) */
    int reading;    /* the upper layer wants data callbacks */
    int depth;      /* nesting of callbacks into the upper layer */
    int closed;     /* close was called; free when depth reaches 0 */
    int hs_done;    /* the handshake callback ran */
    int eof_sent;   /* the upper layer has been told eof */
    int err_sent;   /* the upper layer has been told an error */
    int shut;       /* shutdown was called */
    int shut_later; /* ... during the handshake: close_notify once it ends */
    int lower_eof;
    int lower_err;
} tls_flow;

static void tf_free(tls_flow *f)
{
    mote_flow_close(f->lower);
    mote_tls_free(f->tls);
    mote_buf_free(&f->held);
    free(f);
}

/* Hands the engine's output to the lower flow. */
static int tf_push(tls_flow *f)
{
    mote_slice out = mote_tls_out(f->tls);
    if (!out.len)
        return 0;
    int rc = mote_flow_write(f->lower, out.ptr, out.len);
    mote_tls_out_consume(f->tls, out.len);
    return rc;
}

/* Sends close_notify (after any held data) and ends the lower flow's
 * sending side. */
static int tf_do_shutdown(tls_flow *f)
{
    int rc = mote_tls_close(f->tls);
    int prc = tf_push(f);
    if (!rc)
        rc = prc;
    if (!rc)
        rc = mote_flow_shutdown(f->lower);
    return rc;
}

static void tf_error(tls_flow *f, int err)
{
    if (f->err_sent || f->closed)
        return;
    f->err_sent = 1;
    if (!f->hs_done) {
        f->hs_done = 1;
        if (f->hs_fn)
            f->hs_fn(f->hs_arg, err);
    }
    if (!f->closed && f->ev && f->ev->error)
        f->ev->error(f->arg, err);
}

/* Delivers what the engine has for the upper layer: handshake completion,
 * application data, eof, failure. */
static void tf_deliver(tls_flow *f)
{
    int st = mote_tls_state(f->tls);
    if (!f->hs_done && st != MOTE_TLS_HANDSHAKING && st != MOTE_TLS_FAILED) {
        f->hs_done = 1;
        if (f->hs_fn)
            f->hs_fn(f->hs_arg, 0);
        if (f->shut_later && !f->closed) {
            f->shut_later = 0;
            int rc = tf_do_shutdown(f);
            if (rc && !f->lower_err)
                f->lower_err = rc;
        }
    }
    uint8_t buf[16384];
    while (!f->closed && f->reading && f->ev) {
        size_t got = 0;
        int rc = mote_tls_read(f->tls, buf, sizeof(buf), &got);
        if (rc == 0 && got) {
            if (f->ev->data)
                f->ev->data(f->arg, buf, got);
            continue;
        }
        if (rc == MOTE_ECLOSED && !f->eof_sent) {
            f->eof_sent = 1;
            if (f->ev->eof)
                f->ev->eof(f->arg);
        }
        break;
    }
    if (f->closed)
        return;
    if (mote_tls_state(f->tls) == MOTE_TLS_FAILED)
        tf_error(f, mote_tls_error(f->tls));
    else if (f->lower_err)
        tf_error(f, f->lower_err);
    else if (f->lower_eof && !f->eof_sent && mote_tls_readable(f->tls) == 0)
        tf_error(f, MOTE_ECONNRESET); /* truncation: no close_notify */
}

/* Feeds ciphertext, holding what the engine cannot take yet. */
static void tf_feed(tls_flow *f, const uint8_t *data, size_t len)
{
    size_t off = 0;
    while (off < len && !f->closed) {
        size_t used = 0;
        int rc = mote_tls_feed(f->tls, data + off, len - off, &used);
        off += used;
        int prc = tf_push(f);
        if (prc && !f->lower_err)
            f->lower_err = prc;
        tf_deliver(f);
        if (rc || f->closed)
            return;
        if (used == 0) {
            /* The engine is full of unread data: hold the rest and stop
             * the lower flow until the upper layer reads again. */
            if (mote_buf_append(&f->held, data + off, len - off)) {
                tf_error(f, MOTE_ENOMEM);
                return;
            }
            mote_flow_set_reading(f->lower, 0);
            return;
        }
    }
}

static void lower_data(void *arg, const uint8_t *data, size_t len)
{
    tls_flow *f = arg;
    if (f->closed)
        return;
    f->depth++;
    if (f->held.len) {
        if (mote_buf_append(&f->held, data, len))
            tf_error(f, MOTE_ENOMEM);
    } else {
        tf_feed(f, data, len);
    }
    if (--f->depth == 0 && f->closed)
        tf_free(f);
}

static void lower_eof(void *arg)
{
    tls_flow *f = arg;
    if (f->closed)
        return;
    f->depth++;
    f->lower_eof = 1;
    tf_deliver(f);
    if (--f->depth == 0 && f->closed)
        tf_free(f);
}

static void lower_drain(void *arg)
{
    tls_flow *f = arg;
    if (f->closed)
        return;
    f->depth++;
    if (mote_tls_out(f->tls).len == 0 && f->ev && f->ev->drain)
        f->ev->drain(f->arg);
    if (--f->depth == 0 && f->closed)
        tf_free(f);
}

static void lower_error(void *arg, int err)
{
    tls_flow *f = arg;
    if (f->closed)
        return;
    f->depth++;
    f->lower_err = err ? err : MOTE_EIO;
    tf_deliver(f);
    if (--f->depth == 0 && f->closed)
        tf_free(f);
}

static const mote_flow_events lower_events = {lower_data, lower_eof, lower_drain, lower_error};

static void tf_set_events(void *ctx, const mote_flow_events *ev, void *arg)
{
    tls_flow *f = ctx;
    f->ev = ev;
    f->arg = arg;
    if (ev && f->depth == 0) {
        f->depth++;
        tf_deliver(f);
        if (--f->depth == 0 && f->closed)
            tf_free(f);
    }
}

static int tf_write(void *ctx, const uint8_t *data, size_t len)
{
    tls_flow *f = ctx;
    if (f->closed || f->shut)
        return MOTE_ECLOSED;
    int rc = mote_tls_write(f->tls, data, len);
    if (rc)
        return rc;
    return tf_push(f);
}

static size_t tf_queued(void *ctx)
{
    tls_flow *f = ctx;
    return mote_tls_out(f->tls).len + mote_flow_queued(f->lower);
}

static void tf_set_reading(void *ctx, int on)
{
    tls_flow *f = ctx;
    f->reading = on ? 1 : 0;
    if (!on || f->closed)
        return;
    f->depth++;
    tf_deliver(f);
    if (f->held.len && !f->closed && mote_tls_readable(f->tls) == 0) {
        mote_buf data = f->held;
        mote_buf_init(&f->held, 0);
        mote_flow_set_reading(f->lower, 1);
        tf_feed(f, data.data, data.len);
        mote_buf_free(&data);
    }
    if (--f->depth == 0 && f->closed)
        tf_free(f);
}

static int tf_shutdown(void *ctx)
{
    tls_flow *f = ctx;
    if (f->closed)
        return MOTE_ECLOSED;
    if (f->shut)
        return 0;
    f->shut = 1;
    if (mote_tls_state(f->tls) == MOTE_TLS_HANDSHAKING) {
        /* The flow contract: end-of-stream after the queued bytes, and
         * bytes written before it wait for the handshake. */
        f->shut_later = 1;
        return 0;
    }
    return tf_do_shutdown(f);
}

static void tf_close(void *ctx)
{
    tls_flow *f = ctx;
    if (f->closed)
        return;
    f->closed = 1;
    if (f->depth == 0)
        tf_free(f);
}

mote_flow *mote_tls_flow_new(mote_tls *tls, mote_flow *lower, int *err)
{
    int e = 0;
    if (!err)
        err = &e;
    if (!tls || !lower) {
        *err = MOTE_EINVAL;
        return NULL;
    }
    tls_flow *f = calloc(1, sizeof(*f));
    if (!f) {
        *err = MOTE_ENOMEM;
        return NULL;
    }
    f->tls = tls;
    f->lower = lower;
    f->reading = 1;
    mote_buf_init(&f->held, 0);
    f->flow.ctx = f;
    f->flow.set_events = tf_set_events;
    f->flow.write = tf_write;
    f->flow.queued = tf_queued;
    f->flow.set_reading = tf_set_reading;
    f->flow.shutdown = tf_shutdown;
    f->flow.close = tf_close;
    mote_flow_set_events(lower, &lower_events, f);
    int rc = tf_push(f); /* a client's ClientHello */
    if (rc)
        f->lower_err = rc;
    *err = 0;
    return &f->flow;
}

mote_tls *mote_tls_flow_tls(mote_flow *flow)
{
    return flow ? ((tls_flow *)flow->ctx)->tls : NULL;
}

void mote_tls_flow_on_handshake(mote_flow *flow, void (*fn)(void *arg, int err), void *arg)
{
    if (!flow)
        return;
    tls_flow *f = flow->ctx;
    f->hs_fn = fn;
    f->hs_arg = arg;
}
