/*
 * watch.c - watches on branches and path prefixes. Events are queued and
 * delivered by whoever made the first update, one at a time, so a callback
 * never runs nested inside itself or another callback.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mote/error.h"

struct st_watch_ev {
    char *branch;
    int has_old, has_new;
    mote_store_hash old_head, new_head;
    st_watch_ev *next;
};

typedef struct wside {
    int present;
    uint32_t mode;
    mote_store_hash id;
} wside;

static int tracked(mote_store_repo *r, const char *branch, size_t *idx)
{
    for (size_t i = 0; i < r->nknown; i++)
        if (strcmp(r->known[i].name, branch) == 0) {
            *idx = i;
            return 1;
        }
    return 0;
}

static int track(mote_store_repo *r, const char *branch, const mote_store_hash *head)
{
    size_t i;
    if (tracked(r, branch, &i)) {
        r->known[i].present = head != NULL;
        if (head)
            r->known[i].head = *head;
        return 0;
    }
    st_known *nk = realloc(r->known, (r->nknown + 1) * sizeof *nk);
    if (!nk)
        return MOTE_ENOMEM;
    r->known = nk;
    nk[r->nknown].name = strdup(branch);
    if (!nk[r->nknown].name)
        return MOTE_ENOMEM;
    nk[r->nknown].present = head != NULL;
    if (head)
        nk[r->nknown].head = *head;
    r->nknown++;
    return 0;
}

static int any_all_branches(mote_store_repo *r)
{
    for (mote_store_watch *w = r->watches; w; w = w->next)
        if (!w->dead && !w->branch)
            return 1;
    return 0;
}

static int track_cb(void *arg, const char *name, const mote_store_hash *head)
{
    return track(arg, name, head);
}

mote_store_watch *mote_store_watch_new(mote_store_repo *r, const char *branch, const char *prefix,
                                       mote_store_watch_fn fn, void *arg, int *err)
{
    int rc = 0;
    st_path p;
    if (!r || !fn || (branch && !mote_store_branch_valid(branch)))
        rc = MOTE_EINVAL;
    else
        rc = st_path_parse(prefix ? prefix : "", &p);
    if (rc) {
        if (err)
            *err = rc;
        return NULL;
    }
    mote_store_watch *w = calloc(1, sizeof *w);
    if (!w || (branch && !(w->branch = strdup(branch))) ||
        !(w->prefix = strdup(prefix ? prefix : ""))) {
        if (w) {
            free(w->branch);
            free(w);
        }
        if (err)
            *err = MOTE_ENOMEM;
        return NULL;
    }
    w->repo = r;
    w->fn = fn;
    w->arg = arg;
    /* remember the heads as they are now, for mote_store_watch_poll */
    if (branch) {
        size_t i;
        if (!tracked(r, branch, &i)) {
            mote_store_hash h;
            int g = r->be.branches.get(r->be.ctx, branch, &h);
            rc = track(r, branch, g == 0 ? &h : NULL);
        }
    } else
        rc = r->be.branches.list(r->be.ctx, track_cb, r);
    if (rc) {
        free(w->branch);
        free(w->prefix);
        free(w);
        if (err)
            *err = rc;
        return NULL;
    }
    w->next = r->watches;
    r->watches = w;
    if (err)
        *err = 0;
    return w;
}

static void watch_destroy(mote_store_watch *w)
{
    free(w->branch);
    free(w->prefix);
    free(w);
}

static void reap(mote_store_repo *r)
{
    mote_store_watch **pp = &r->watches;
    while (*pp) {
        mote_store_watch *w = *pp;
        if (w->dead) {
            *pp = w->next;
            watch_destroy(w);
        } else
            pp = &w->next;
    }
}

void mote_store_watch_free(mote_store_watch *w)
{
    if (!w)
        return;
    w->dead = 1;
    if (!w->repo->dispatching)
        reap(w->repo);
}

unsigned long mote_store_watch_failures(const mote_store_watch *w)
{
    return w ? w->failures : 0;
}

void st_watch_release_all(mote_store_repo *r);
void st_watch_release_all(mote_store_repo *r)
{
    while (r->watches) {
        mote_store_watch *w = r->watches;
        r->watches = w->next;
        watch_destroy(w);
    }
    while (r->evq) {
        st_watch_ev *e = r->evq;
        r->evq = e->next;
        free(e->branch);
        free(e);
    }
    for (size_t i = 0; i < r->nknown; i++)
        free(r->known[i].name);
    free(r->known);
    r->known = NULL;
    r->nknown = 0;
}

/* ---- diffs ---- */

typedef struct dctx {
    mote_store_repo *r;
    mote_store_watch *w;
    const st_watch_ev *ev;
    mote_buf path;
} dctx;

static void emit(dctx *d, int change, const wside *o, const wside *n)
{
    int rc =
        d->w->fn(d->w->arg, d->ev->branch, change, d->path.data ? (const char *)d->path.data : "",
                 o ? &o->id : NULL, n ? &n->id : NULL, d->ev->has_old ? &d->ev->old_head : NULL,
                 d->ev->has_new ? &d->ev->new_head : NULL);
    if (rc)
        d->w->failures++;
}

static int wside_tree(const wside *s)
{
    return s->present && st_mode_is_tree(s->mode);
}

static int diff(dctx *d, const wside *o, const wside *n, int depth);

static int diff_trees(dctx *d, const wside *o, const wside *n, int depth)
{
    st_tree *to = NULL, *tn = NULL;
    int rc = 0;
    if (wside_tree(o))
        rc = st_read_tree(d->r, &o->id, &to);
    if (!rc && wside_tree(n))
        rc = st_read_tree(d->r, &n->id, &tn);
    size_t plen = d->path.len;
    st_tree *both[2] = {to, tn};
    for (int k = 0; !rc && k < 2; k++) {
        for (size_t i = 0; both[k] && i < both[k]->n && !rc; i++) {
            const st_entry *e = &both[k]->e[i];
            if (e->mode == ST_MODE_GITLINK)
                continue;
            /* names in both trees are handled once, from the old side */
            if (k == 1 && to && st_tree_find(to, e->name, e->namelen) >= 0 &&
                to->e[st_tree_find(to, e->name, e->namelen)].mode != ST_MODE_GITLINK)
                continue;
            wside so = {0, 0, {{0}}}, sn = {0, 0, {{0}}};
            long a = to ? st_tree_find(to, e->name, e->namelen) : -1;
            long b = tn ? st_tree_find(tn, e->name, e->namelen) : -1;
            if (a >= 0 && to->e[a].mode != ST_MODE_GITLINK) {
                so.present = 1;
                so.mode = to->e[a].mode;
                memcpy(so.id.b, to->e[a].id, MOTE_STORE_HASH_LEN);
            }
            if (b >= 0 && tn->e[b].mode != ST_MODE_GITLINK) {
                sn.present = 1;
                sn.mode = tn->e[b].mode;
                memcpy(sn.id.b, tn->e[b].id, MOTE_STORE_HASH_LEN);
            }
            if ((rc = mote_buf_appendf(&d->path, "%s%.*s", plen ? "/" : "", (int)e->namelen,
                                       e->name)) != 0)
                break;
            rc = diff(d, &so, &sn, depth + 1);
            mote_buf_truncate(&d->path, plen);
            if (d->path.data)
                d->path.data[plen] = 0;
        }
    }
    st_tree_unref(to);
    st_tree_unref(tn);
    return rc;
}

static int diff(dctx *d, const wside *o, const wside *n, int depth)
{
    if (depth > (int)MOTE_STORE_MAX_DEPTH + 1)
        return MOTE_ELIMIT;
    if (o->present == n->present &&
        (!o->present || (wside_tree(o) == wside_tree(n) && mote_store_hash_eq(&o->id, &n->id))))
        return 0;
    int ot = wside_tree(o), nt = wside_tree(n);
    if (o->present && !ot && n->present && !nt) {
        emit(d, MOTE_STORE_UPDATED, o, n);
        return 0;
    }
    if (o->present && !ot)
        emit(d, MOTE_STORE_REMOVED, o, NULL);
    if (ot || nt) {
        wside none = {0, 0, {{0}}};
        int rc = diff_trees(d, ot ? o : &none, nt ? n : &none, depth);
        if (rc)
            return rc;
    }
    if (n->present && !nt)
        emit(d, MOTE_STORE_ADDED, NULL, n);
    return 0;
}

static int side_at_prefix(mote_store_repo *r, int has, const mote_store_hash *commit,
                          const st_path *p, wside *s)
{
    memset(s, 0, sizeof *s);
    if (!has)
        return 0;
    mote_store_hash cur;
    int rc = st_commit_tree(r, commit, &cur);
    if (rc)
        return rc;
    uint32_t mode = ST_MODE_TREE;
    for (size_t i = 0; i < p->n; i++) {
        if (!st_mode_is_tree(mode))
            return 0;
        st_tree *t;
        if ((rc = st_read_tree(r, &cur, &t)) != 0)
            return rc;
        long k = st_tree_find(t, p->step[i], p->len[i]);
        if (k < 0 || t->e[k].mode == ST_MODE_GITLINK) {
            st_tree_unref(t);
            return 0;
        }
        mode = t->e[k].mode;
        memcpy(cur.b, t->e[k].id, MOTE_STORE_HASH_LEN);
        st_tree_unref(t);
    }
    s->present = 1;
    s->mode = mode;
    s->id = cur;
    return 0;
}

static void deliver(mote_store_repo *r, const st_watch_ev *ev)
{
    for (mote_store_watch *w = r->watches; w; w = w->next) {
        if (w->dead || (w->branch && strcmp(w->branch, ev->branch) != 0))
            continue;
        st_path p;
        if (st_path_parse(w->prefix, &p) != 0)
            continue;
        wside o, n;
        if (side_at_prefix(r, ev->has_old, &ev->old_head, &p, &o) != 0 ||
            side_at_prefix(r, ev->has_new, &ev->new_head, &p, &n) != 0) {
            w->failures++;
            continue;
        }
        dctx d = {r, w, ev, {0}};
        mote_buf_init(&d.path, MOTE_STORE_MAX_PATH + 512);
        for (size_t i = 0; i < p.n; i++)
            mote_buf_appendf(&d.path, "%s%.*s", i ? "/" : "", (int)p.len[i], p.step[i]);
        if (diff(&d, &o, &n, 0) != 0)
            w->failures++;
        mote_buf_free(&d.path);
    }
}

void st_notify(mote_store_repo *r, const char *branch, const mote_store_hash *old_head,
               const mote_store_hash *new_head)
{
    if (!r->watches)
        return;
    size_t idx;
    if (tracked(r, branch, &idx) || any_all_branches(r))
        track(r, branch, new_head);
    st_watch_ev *ev = calloc(1, sizeof *ev);
    if (!ev || !(ev->branch = strdup(branch))) {
        free(ev);
        ST_LOG(r, MOTE_LOG_ERROR, "out of memory: a watch event on %s is lost", branch);
        return;
    }
    ev->has_old = old_head != NULL;
    ev->has_new = new_head != NULL;
    if (old_head)
        ev->old_head = *old_head;
    if (new_head)
        ev->new_head = *new_head;
    if (r->evq_tail)
        r->evq_tail->next = ev;
    else
        r->evq = ev;
    r->evq_tail = ev;
    if (r->dispatching)
        return;
    r->dispatching = 1;
    while (r->evq) {
        st_watch_ev *e = r->evq;
        r->evq = e->next;
        if (!r->evq)
            r->evq_tail = NULL;
        deliver(r, e);
        free(e->branch);
        free(e);
    }
    r->dispatching = 0;
    reap(r);
}

typedef struct poll_ctx {
    mote_store_repo *r;
    char **names;
    mote_store_hash *heads;
    size_t n;
} poll_ctx;

static int poll_cb(void *arg, const char *name, const mote_store_hash *head)
{
    poll_ctx *pc = arg;
    char **nn = realloc(pc->names, (pc->n + 1) * sizeof *nn);
    if (!nn)
        return MOTE_ENOMEM;
    pc->names = nn;
    mote_store_hash *nh = realloc(pc->heads, (pc->n + 1) * sizeof *nh);
    if (!nh)
        return MOTE_ENOMEM;
    pc->heads = nh;
    if (!(nn[pc->n] = strdup(name)))
        return MOTE_ENOMEM;
    nh[pc->n++] = *head;
    return 0;
}

int mote_store_watch_poll(mote_store_repo *r)
{
    if (!r)
        return MOTE_EINVAL;
    if (!r->watches)
        return 0;
    int moved = 0, rc = 0;
    if (any_all_branches(r)) {
        poll_ctx pc = {r, NULL, NULL, 0};
        rc = r->be.branches.list(r->be.ctx, poll_cb, &pc);
        for (size_t i = 0; !rc && i < pc.n; i++) {
            size_t k;
            if (!tracked(r, pc.names[i], &k)) {
                if ((rc = track(r, pc.names[i], NULL)) != 0)
                    break;
                k = r->nknown - 1;
            }
            (void)k;
        }
        for (size_t i = 0; i < pc.n; i++)
            free(pc.names[i]);
        free(pc.names);
        free(pc.heads);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < r->nknown; i++) {
        mote_store_hash h;
        int g = r->be.branches.get(r->be.ctx, r->known[i].name, &h);
        if (g && g != MOTE_ENOTFOUND)
            return g;
        int present = g == 0;
        if (present == r->known[i].present &&
            (!present || mote_store_hash_eq(&h, &r->known[i].head)))
            continue;
        moved++;
        mote_store_hash old = r->known[i].head;
        int had = r->known[i].present;
        char *name = strdup(r->known[i].name);
        if (!name)
            return MOTE_ENOMEM;
        st_notify(r, name, had ? &old : NULL, present ? &h : NULL);
        free(name);
    }
    return moved;
}
