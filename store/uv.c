/*
 * uv.c - libmote-store-uv: libuv file-system events on a Git repository's
 * refs, turned into mote_store_watch_poll calls (see mote/store_uv.h).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mote/error.h"
#include "mote/store_uv.h"

#define MAX_DIRS  256 /* directories watched; beyond, only the timer sees changes */
#define MAX_DEPTH 16  /* levels under refs/heads */

typedef struct wdir {
    uv_fs_event_t ev; /* first: the handle's address is the wdir's */
    char *path;
    int seen; /* found by the last scan */
} wdir;

struct mote_store_uv {
    mote_store_repo *r;
    uv_loop_t *loop;
    mote_store_uv_fn fn;
    void *arg;
    wdir **dirs;
    size_t ndirs;
    uv_timer_t kick, tick;
    int stopped;
    size_t open; /* handles not yet closed */
};

static void release(mote_store_uv *w)
{
    if (w->open)
        return;
    free(w->dirs);
    free(w);
}

static void on_dir_closed(uv_handle_t *h)
{
    wdir *d = (wdir *)h;
    mote_store_uv *w = h->data;
    free(d->path);
    free(d);
    w->open--;
    release(w);
}

static void on_timer_closed(uv_handle_t *h)
{
    mote_store_uv *w = h->data;
    w->open--;
    release(w);
}

static void kick(mote_store_uv *w);

static void on_fs(uv_fs_event_t *h, const char *file, int events, int status)
{
    (void)file;
    (void)events;
    (void)status;
    kick(h->data);
}

/* Watches path unless it already is; 1 if a watch was added. */
static int add_dir(mote_store_uv *w, const char *path)
{
    for (size_t i = 0; i < w->ndirs; i++)
        if (strcmp(w->dirs[i]->path, path) == 0) {
            w->dirs[i]->seen = 1;
            return 0;
        }
    if (w->ndirs >= MAX_DIRS)
        return 0;
    wdir *d = calloc(1, sizeof *d);
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return 0;
    }
    if (uv_fs_event_init(w->loop, &d->ev) != 0) {
        free(d->path);
        free(d);
        return 0;
    }
    d->ev.data = w;
    d->seen = 1;
    w->open++;
    if (uv_fs_event_start(&d->ev, on_fs, path, 0) != 0) {
        uv_close((uv_handle_t *)&d->ev, on_dir_closed);
        return 0;
    }
    w->dirs[w->ndirs++] = d;
    return 1;
}

static int scan_tree(mote_store_uv *w, char *path, size_t len, size_t cap, int depth)
{
    int added = add_dir(w, path);
    if (depth >= MAX_DEPTH)
        return added;
    DIR *dir = opendir(path);
    if (!dir)
        return added;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ".", "..": a branch name never starts with a dot */
        size_t nl = strlen(e->d_name);
        if (len + 1 + nl + 1 > cap)
            continue;
        path[len] = '/';
        memcpy(path + len + 1, e->d_name, nl + 1);
        int isdir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st;
            isdir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
        }
        if (isdir)
            added += scan_tree(w, path, len + 1 + nl, cap, depth + 1);
        path[len] = 0;
    }
    closedir(dir);
    return added;
}

/* Brings the watched directories in line with what exists: the Git
 * directory, refs/heads and every directory under it. Returns how many
 * watches were added. */
static int scan(mote_store_uv *w)
{
    for (size_t i = 0; i < w->ndirs; i++)
        w->dirs[i]->seen = 0;
    const char *gd = mote_store_git_dir(w->r);
    char path[4096];
    int added = 0;
    snprintf(path, sizeof path, "%s", gd);
    size_t gl = strlen(path);
    while (gl > 1 && path[gl - 1] == '/')
        path[--gl] = 0;
    added += add_dir(w, path);
    snprintf(path, sizeof path, "%srefs/heads", gd);
    added += scan_tree(w, path, strlen(path), sizeof path, 0);
    /* directories that went away (git removes emptied ones) */
    size_t k = 0;
    for (size_t i = 0; i < w->ndirs; i++) {
        if (w->dirs[i]->seen)
            w->dirs[k++] = w->dirs[i];
        else
            uv_close((uv_handle_t *)&w->dirs[i]->ev, on_dir_closed);
    }
    w->ndirs = k;
    return added;
}

static void on_kick(uv_timer_t *t)
{
    mote_store_uv *w = t->data;
    if (w->stopped)
        return;
    /* new directories are watched before the poll, so what is written in
     * them afterwards raises events, and what was written before is seen */
    scan(w);
    int rc = mote_store_watch_poll(w->r);
    if (w->fn)
        w->fn(w->arg, rc);
}

/* A burst of events (a lock file created, written, renamed) makes one
 * poll: the zero timer fires once the loop has taken the pending events. */
static void kick(mote_store_uv *w)
{
    if (!w->stopped)
        uv_timer_start(&w->kick, on_kick, 0, 0);
}

static void on_tick(uv_timer_t *t)
{
    kick(t->data);
}

mote_store_uv *mote_store_watch_uv(mote_store_repo *r, uv_loop_t *loop, unsigned interval_ms,
                                   mote_store_uv_fn fn, void *arg, int *err)
{
    int rc = 0;
    mote_store_uv *w = NULL;
    if (!r || !loop)
        rc = MOTE_EINVAL;
    else if (!mote_store_git_dir(r))
        rc = MOTE_EUNSUPPORTED;
    else if (!(w = calloc(1, sizeof *w)) || !(w->dirs = calloc(MAX_DIRS, sizeof *w->dirs)))
        rc = MOTE_ENOMEM;
    if (rc) {
        if (w)
            free(w);
        if (err)
            *err = rc;
        return NULL;
    }
    w->r = r;
    w->loop = loop;
    w->fn = fn;
    w->arg = arg;
    uv_timer_init(loop, &w->kick);
    uv_timer_init(loop, &w->tick);
    w->kick.data = w->tick.data = w;
    w->open = 2;
    scan(w);
    int heads = 0;
    for (size_t i = 0; i < w->ndirs; i++) {
        size_t pl = strlen(w->dirs[i]->path);
        if (pl >= 10 && strcmp(w->dirs[i]->path + pl - 10, "refs/heads") == 0)
            heads = 1;
    }
    if (!heads && !interval_ms) { /* no events and no timer: nothing would ever poll */
        mote_store_uv_free(w);
        if (err)
            *err = MOTE_EIO;
        return NULL;
    }
    if (interval_ms)
        uv_timer_start(&w->tick, on_tick, interval_ms, interval_ms);
    kick(w);
    return w;
}

void mote_store_uv_free(mote_store_uv *w)
{
    if (!w || w->stopped)
        return;
    w->stopped = 1;
    for (size_t i = 0; i < w->ndirs; i++)
        uv_close((uv_handle_t *)&w->dirs[i]->ev, on_dir_closed);
    w->ndirs = 0;
    uv_close((uv_handle_t *)&w->kick, on_timer_closed);
    uv_close((uv_handle_t *)&w->tick, on_timer_closed);
}

size_t mote_store_uv_dirs(const mote_store_uv *w)
{
    return w ? w->ndirs : 0;
}
