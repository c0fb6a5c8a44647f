/*
 * uv.c - a mote_flow over a vchan endpoint, driven by a libuv loop.
 */
#include "mote/vchan_uv.h"

#include <stdlib.h>
#include <string.h>

#define READ_CHUNK     65536u
#define READS_PER_TURN 16 /* then yield to the loop, and come back */

struct vflow {
    mote_flow flow;
    uv_loop_t *loop;
    mote_vchan *v;
    uv_poll_t poll;
    uv_timer_t kick;
    int handles; /* libuv handles not yet closed */
    const mote_flow_events *ev;
    void *arg;
    mote_buf out;
    int reading;
    int shutdown_req, shut_done;
    int eof_sent, failed, closed;
    uint8_t *rbuf;
};

static void on_kick(uv_timer_t *t);

static void vf_kick(struct vflow *f)
{
    if (!f->closed)
        uv_timer_start(&f->kick, on_kick, 0, 0);
}

static void vf_fail(struct vflow *f, int err)
{
    if (f->failed)
        return;
    f->failed = err;
    uv_poll_stop(&f->poll);
    if (f->ev && f->ev->error)
        f->ev->error(f->arg, err);
}

/* Moves queued bytes into the ring. 0, or an error to report. */
static int vf_flush(struct vflow *f)
{
    while (f->out.len > 0) {
        size_t put = 0;
        int rc = mote_vchan_write(f->v, f->out.data, f->out.len, &put);
        if (rc == MOTE_EAGAIN)
            return 0;
        if (rc)
            return rc;
        mote_buf_consume(&f->out, put);
        if (f->out.len == 0) {
            if (f->ev && f->ev->drain)
                f->ev->drain(f->arg);
            if (f->closed)
                return 0;
        }
    }
    return 0;
}

/* Delivers what the peer wrote. 1 if more may be waiting (come back
 * after other handles ran), 0 otherwise; may close or fail the flow. */
static int vf_deliver(struct vflow *f)
{
    if (!f->reading || !f->ev || !f->ev->data || f->eof_sent)
        return 0;
    for (int i = 0; i < READS_PER_TURN; i++) {
        size_t got = 0;
        int rc = mote_vchan_read(f->v, f->rbuf, READ_CHUNK, &got);
        if (rc == MOTE_EAGAIN)
            return 0;
        if (rc == MOTE_ECLOSED) {
            f->eof_sent = 1;
            if (f->ev->eof)
                f->ev->eof(f->arg);
            return 0;
        }
        if (rc) {
            vf_fail(f, rc);
            return 0;
        }
        f->ev->data(f->arg, f->rbuf, got);
        if (f->closed || !f->reading || !f->ev || !f->ev->data)
            return 0;
    }
    return 1;
}

static void vf_pump(struct vflow *f)
{
    if (f->closed || f->failed)
        return;
    int rc = mote_vchan_handle_events(f->v);
    if (rc && rc != MOTE_ECLOSED) {
        vf_fail(f, rc);
        return;
    }
    int wrc = vf_flush(f);
    if (f->closed)
        return;
    if (wrc && wrc != MOTE_ECLOSED) {
        vf_fail(f, wrc);
        return;
    }
    if (!wrc && f->shutdown_req && !f->shut_done && f->out.len == 0) {
        mote_vchan_shutdown(f->v);
        f->shut_done = 1;
    }
    /* Bytes the peer wrote before it went away are delivered (and eof)
     * before the error for our undeliverable queued bytes. */
    int more = vf_deliver(f);
    if (f->closed || f->failed)
        return;
    if (more) {
        vf_kick(f);
        return;
    }
    if (wrc == MOTE_ECLOSED)
        vf_fail(f, MOTE_ECONNRESET);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)events;
    struct vflow *f = h->data;
    if (status < 0) {
        vf_fail(f, MOTE_EIO);
        return;
    }
    vf_pump(f);
}

static void on_kick(uv_timer_t *t)
{
    vf_pump(t->data);
}

static void vf_set_events(void *ctx, const mote_flow_events *ev, void *arg)
{
    struct vflow *f = ctx;
    f->ev = ev;
    f->arg = arg;
    vf_kick(f);
}

static int vf_write(void *ctx, const uint8_t *data, size_t len)
{
    struct vflow *f = ctx;
    if (f->closed || f->shutdown_req)
        return MOTE_ECLOSED;
    if (f->failed)
        return f->failed;
    while (f->out.len == 0 && len > 0) {
        size_t put = 0;
        int rc = mote_vchan_write(f->v, data, len, &put);
        if (rc == MOTE_EAGAIN)
            break;
        if (rc)
            return rc;
        data += put;
        len -= put;
    }
    if (len == 0)
        return 0;
    return mote_buf_append(&f->out, data, len);
}

static size_t vf_queued(void *ctx)
{
    struct vflow *f = ctx;
    return f->out.len;
}

static void vf_set_reading(void *ctx, int on)
{
    struct vflow *f = ctx;
    f->reading = on != 0;
    if (on)
        vf_kick(f);
}

static int vf_shutdown(void *ctx)
{
    struct vflow *f = ctx;
    if (f->closed)
        return MOTE_ECLOSED;
    f->shutdown_req = 1;
    vf_kick(f);
    return 0;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct vflow *f = h->data;
    if (--f->handles == 0)
        free(f);
}

static void vf_close(void *ctx)
{
    struct vflow *f = ctx;
    if (f->closed)
        return;
    f->closed = 1;
    f->ev = NULL;
    uv_poll_stop(&f->poll);
    uv_timer_stop(&f->kick);
    mote_vchan_close(f->v);
    f->v = NULL;
    mote_buf_free(&f->out);
    free(f->rbuf);
    f->rbuf = NULL;
    uv_close((uv_handle_t *)&f->poll, on_handle_closed);
    uv_close((uv_handle_t *)&f->kick, on_handle_closed);
}

mote_flow *mote_vchan_uv_flow_new(uv_loop_t *loop, mote_vchan *v, int *err)
{
    int e = MOTE_ENOMEM;
    if (!loop || !v || mote_vchan_fd(v) < 0) {
        mote_vchan_close(v);
        if (err)
            *err = MOTE_EINVAL;
        return NULL;
    }
    struct vflow *f = calloc(1, sizeof(*f));
    if (!f)
        goto fail;
    f->rbuf = malloc(READ_CHUNK);
    if (!f->rbuf)
        goto fail;
    f->loop = loop;
    f->v = v;
    f->reading = 1;
    mote_buf_init(&f->out, 0);
    if (uv_poll_init(loop, &f->poll, mote_vchan_fd(v)) != 0) {
        e = MOTE_EIO;
        goto fail;
    }
    f->poll.data = f;
    f->handles++;
    uv_timer_init(loop, &f->kick);
    f->kick.data = f;
    f->handles++;
    uv_poll_start(&f->poll, UV_READABLE, on_poll);
    f->flow.ctx = f;
    f->flow.set_events = vf_set_events;
    f->flow.write = vf_write;
    f->flow.queued = vf_queued;
    f->flow.set_reading = vf_set_reading;
    f->flow.shutdown = vf_shutdown;
    f->flow.close = vf_close;
    vf_kick(f);
    return &f->flow;
fail:
    mote_vchan_close(v);
    if (f)
        free(f->rbuf);
    free(f);
    if (err)
        *err = e;
    return NULL;
}
