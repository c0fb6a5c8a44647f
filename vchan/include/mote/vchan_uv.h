/*
 * mote/vchan_uv.h - a vchan endpoint as a mote_flow, driven by libuv.
 *
 * The flow watches the endpoint's descriptor (mote_vchan_fd) with a
 * uv_poll handle; when it turns readable it consumes the peer's signals,
 * moves queued bytes into the ring and hands received bytes to the data
 * callback. Bytes written while the ring is full are queued (queued()
 * counts them) and the drain event fires when they have all gone into the
 * ring. When the peer closes, exits or dies, the eof event fires after
 * every byte it wrote; a peer that breaks the protocol gives the error
 * event with MOTE_EPROTO.
 *
 * vchan has no half-close: shutdown() waits until the queued bytes are in
 * the ring, then marks this side gone; the peer reads them and then sees
 * end-of-stream, and our own reading ends with what the peer had written.
 */
#ifndef MOTE_VCHAN_UV_H
#define MOTE_VCHAN_UV_H

#include <uv.h>

#include "mote/vchan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Wraps v in a flow run by loop. The flow owns v from then on (also on
 * failure); mote_flow_close frees both (the memory itself goes once
 * libuv has closed the handles, on a later loop turn). NULL on failure
 * with *err set (MOTE_ENOMEM, MOTE_EINVAL if v has no descriptor). */
mote_flow *mote_vchan_uv_flow_new(uv_loop_t *loop, mote_vchan *v, int *err);

#ifdef __cplusplus
}
#endif
#endif
