/*
 * mote/store_uv.h - libmote-store-uv: noticing, from a libuv loop, the
 * branches that other processes move in a Git repository.
 *
 * The store itself has no event loop: a repository's watches
 * (mote_store_watch_new) hear at once of what goes through that
 * repository handle, and of what other processes did only when
 * mote_store_watch_poll is called. This small optional library (built when
 * libuv is available; pkg-config mote-store-uv) does the plumbing for a
 * libuv program: it watches the repository's refs/heads (and every
 * directory under it, as branches with slashes need) and the Git directory
 * (packed-refs) with libuv file-system events, and, on each burst of
 * events, polls the repository, so the watches fire with the net change of
 * each moved branch. An optional timer polls as well, as a safety net for
 * file systems without change notification.
 *
 * Everything runs on the loop's thread: the repository must not be used
 * from another thread meanwhile (the store's usual rule).
 */
#ifndef MOTE_STORE_UV_H
#define MOTE_STORE_UV_H

#include <uv.h>

#include "mote/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mote_store_uv mote_store_uv;

/* Called after each poll the library makes with what mote_store_watch_poll
 * returned: the number of branches that moved (their watches have already
 * been called), or a negative MOTE_E* code. May be NULL. The callback may
 * call mote_store_uv_free. */
typedef void (*mote_store_uv_fn)(void *arg, int polled);

/* Starts noticing other processes' ref updates of Git repository r on loop:
 * file-system events, plus a poll every interval_ms milliseconds (0: none).
 * Polls once right away (so changes made before the call are delivered on
 * the loop's first turn). Errors: MOTE_EINVAL (NULL argument),
 * MOTE_EUNSUPPORTED (r is not a Git repository), MOTE_EIO (libuv could not
 * watch refs/heads and interval_ms is 0; with a timer, a file system
 * without change events is only polled), MOTE_ENOMEM. */
mote_store_uv *mote_store_watch_uv(mote_store_repo *r, uv_loop_t *loop, unsigned interval_ms,
                                   mote_store_uv_fn fn, void *arg, int *err);

/* Stops: no poll happens after this call. The libuv handles are closed
 * and the memory freed when the loop next runs (uv_run), so the loop can
 * then be closed. The repository stays open (it is the caller's). */
void mote_store_uv_free(mote_store_uv *w);

/* The number of directories watched now (refs/heads and those under it,
 * and the Git directory). */
size_t mote_store_uv_dirs(const mote_store_uv *w);

#ifdef __cplusplus
}
#endif

#endif
