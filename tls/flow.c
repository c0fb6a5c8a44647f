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
    /* Ciphertext not yet fed: the engine was full (the upper layer does
     * not read; the lower flow is then paused), or it arrived while the
     * engine was busy (inside a feed or a data callback). */
    mote_buf held;
    int stalled; /* the lower flow is paused for a full engine */
    int feeding; /* tf_run is under way: arriving bytes are held */
    int in_cb;   /* the upper layer is reading from the engine's buffer */
    /* Inside the lower flow's write (which may call back at once): the
     * engine's output must not move, so plaintext written meanwhile waits
     * in `pend`, a shutdown in shut_pend, and arriving bytes in `held`. */
    int pushing;
    int shut_pend;
    mote_buf pend;
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
    mote_buf_free(&f->pend);
    free(f);
}

static void tf_run(tls_flow *f, const uint8_t *data, size_t len);

/* Hands the engine's output to the lower flow, straight from the
 * engine's buffer; then what was written or asked for meanwhile. */
static int tf_push(tls_flow *f)
{
    if (f->pushing)
        return 0; /* the outer push sends it */
    f->pushing = 1;
    int rc = 0, lower_shut = 0;
    for (;;) {
        if (f->pend.len) {
            rc = mote_tls_write(f->tls, f->pend.data, f->pend.len);
            mote_buf_reset(&f->pend);
            if (rc)
                break;
        }
        mote_slice out = mote_tls_out(f->tls);
        if (out.len) {
            rc = mote_flow_write(f->lower, out.ptr, out.len);
            mote_tls_out_consume(f->tls, out.len);
            if (rc)
                break;
            continue;
        }
        if (f->pend.len)
            continue;
        if (!f->shut_pend)
            break;
        f->shut_pend = 0; /* close_notify after everything written */
        lower_shut = 1;
        rc = mote_tls_close(f->tls);
        if (rc)
            break;
    }
    f->pushing = 0;
    if (lower_shut && !rc)
        rc = mote_flow_shutdown(f->lower);
    if (f->held.len && !f->feeding && !f->in_cb && !f->closed) {
        /* Bytes that arrived during the write. The callers that can get
         * here from outside a callback (write, shutdown) free a flow
         * closed meanwhile once they are done with it. */
        f->depth++;
        tf_run(f, NULL, 0);
        f->depth--;
    }
    return rc;
}

/* Sends close_notify (after any held data) and ends the lower flow's
 * sending side. */
static int tf_do_shutdown(tls_flow *f)
{
    if (f->pushing) {
        f->shut_pend = 1; /* done by the outer push, after `pend` */
        return 0;
    }
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
 * application data, eof, failure. Data is handed over without a copy,
 * straight from the engine's buffer (mote_tls_read_view), and counted as
 * read when the callback returns; the engine is not fed meanwhile, and a
 * delivery asked for from inside the callback is left to this one. */
static void tf_deliver(tls_flow *f)
{
    if (f->in_cb)
        return;
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
    while (!f->closed && f->reading && f->ev) {
        mote_slice v;
        int rc = mote_tls_read_view(f->tls, &v);
        if (rc == 0) {
            f->in_cb = 1;
            if (f->ev->data)
                f->ev->data(f->arg, v.ptr, v.len);
            f->in_cb = 0;
            mote_tls_read_consume(f->tls, v.len);
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
    else if (f->lower_eof && !f->eof_sent && mote_tls_readable(f->tls) == 0 && !f->held.len)
        tf_error(f, MOTE_ECONNRESET); /* truncation: no close_notify */
}

/* Feeds ciphertext and delivers after each step; returns the bytes the
 * engine took (all of them after a failure, which drops the rest). It
 * stops early only when the engine takes nothing: its reader lags. */
static size_t tf_feed_some(tls_flow *f, const uint8_t *data, size_t len)
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
            return len;
        if (used == 0)
            break;
    }
    return off;
}

/* Puts bytes in front of the held ones (they came first). */
static int tf_hold_front(tls_flow *f, const uint8_t *data, size_t len)
{
    if (!f->held.len)
        return mote_buf_append(&f->held, data, len);
    mote_buf b;
    mote_buf_init(&b, 0);
    int rc = mote_buf_append(&b, data, len);
    if (!rc)
        rc = mote_buf_append(&b, f->held.data, f->held.len);
    if (rc) {
        mote_buf_free(&b);
        return rc;
    }
    mote_buf_free(&f->held);
    f->held = b;
    return 0;
}

/* Runs the connection: feeds data (after anything held, keeping order),
 * delivers, and feeds held bytes while the engine takes them; pauses the
 * lower flow while the engine is full and resumes it once all is fed.
 * Called again from inside (a callback, or the lower flow answering at
 * once), it only holds the bytes: the outer run goes on with them. */
static void tf_run(tls_flow *f, const uint8_t *data, size_t len)
{
    if (f->feeding || f->in_cb || f->pushing) {
        if (len && mote_buf_append(&f->held, data, len))
            tf_error(f, MOTE_ENOMEM);
        return;
    }
    f->feeding = 1;
    if (len && f->held.len) {
        if (mote_buf_append(&f->held, data, len))
            tf_error(f, MOTE_ENOMEM);
        len = 0;
    }
    if (len) {
        size_t off = tf_feed_some(f, data, len);
        if (off < len && tf_hold_front(f, data + off, len - off))
            tf_error(f, MOTE_ENOMEM);
    } else {
        tf_deliver(f);
    }
    while (f->held.len && !f->closed) {
        mote_buf d = f->held;
        mote_buf_init(&f->held, 0);
        size_t off = tf_feed_some(f, d.data, d.len);
        int rc = off < d.len ? tf_hold_front(f, d.data + off, d.len - off) : 0;
        mote_buf_free(&d);
        if (rc) {
            tf_error(f, MOTE_ENOMEM);
            break;
        }
        if (off == 0) {
            if (!f->stalled) {
                f->stalled = 1;
                mote_flow_set_reading(f->lower, 0);
            }
            break;
        }
        if (!f->held.len && f->stalled && !f->closed) {
            f->stalled = 0;
            mote_flow_set_reading(f->lower, 1); /* may hand over bytes: held */
        }
    }
    f->feeding = 0;
}

static void lower_data(void *arg, const uint8_t *data, size_t len)
{
    tls_flow *f = arg;
    if (f->closed)
        return;
    f->depth++;
    tf_run(f, data, len);
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
    tf_run(f, NULL, 0);
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
    tf_run(f, NULL, 0);
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
        tf_run(f, NULL, 0);
        if (--f->depth == 0 && f->closed)
            tf_free(f);
    }
}

static int tf_write(void *ctx, const uint8_t *data, size_t len)
{
    tls_flow *f = ctx;
    if (f->closed || f->shut)
        return MOTE_ECLOSED;
    if (f->pushing) /* called back from inside the lower write */
        return mote_buf_append(&f->pend, data, len);
    int rc = mote_tls_write(f->tls, data, len);
    if (rc)
        return rc;
    f->depth++;
    rc = tf_push(f);
    if (--f->depth == 0 && f->closed)
        tf_free(f); /* closed from a callback run by the push */
    return rc;
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
    tf_run(f, NULL, 0); /* from inside a callback: left to the outer run */
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
    f->depth++;
    int rc = tf_do_shutdown(f);
    if (--f->depth == 0 && f->closed)
        tf_free(f);
    return rc;
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
    mote_buf_init_secret(&f->pend, 0);
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
