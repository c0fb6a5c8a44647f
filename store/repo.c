/*
 * repo.c - the backend-independent core: object and tree access with a
 * cache of decoded trees, branches, path reads and writes with bounded
 * retries, transactions and history walks.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mote/error.h"

static void seterr(int *err, int rc)
{
    if (err)
        *err = rc;
}

mote_store_repo *mote_store_repo_new(const mote_store_backend *be, const mote_store_config *cfg,
                                     int *err)
{
    if (!be || !be->objects.read || !be->branches.cas) {
        seterr(err, MOTE_EINVAL);
        return NULL;
    }
    mote_store_repo *r = calloc(1, sizeof *r);
    if (!r) {
        if (be->close)
            be->close(be->ctx);
        seterr(err, MOTE_ENOMEM);
        return NULL;
    }
    r->be = *be;
    if (cfg)
        r->cfg = *cfg;
    if (!r->cfg.merge)
        r->cfg.merge = mote_store_merge_auto;
    if (!r->cfg.max_retries)
        r->cfg.max_retries = 32;
    if (!r->cfg.max_walk)
        r->cfg.max_walk = 100000;
    if (!r->cfg.tree_cache)
        r->cfg.tree_cache = 4096;
    st_map_init(&r->tcache);
    seterr(err, 0);
    return r;
}

static void tcache_clear(mote_store_repo *r)
{
    for (size_t i = 0; i < r->tcache.cap; i++)
        if (r->tcache.slots[i].used)
            st_tree_unref(r->tcache.slots[i].val);
    st_map_free(&r->tcache);
}

void st_watch_release_all(mote_store_repo *r);

void mote_store_repo_free(mote_store_repo *r)
{
    if (!r)
        return;
    st_watch_release_all(r);
    tcache_clear(r);
    mote_store_batch_abort(r);
    if (r->be.close)
        r->be.close(r->be.ctx);
    free(r);
}

const char *mote_store_repo_backend(const mote_store_repo *r)
{
    return r && r->be.name ? r->be.name : "?";
}

/* ---- objects ---- */

int st_read_obj(mote_store_repo *r, const mote_store_hash *id, int want_type, mote_buf *out)
{
    int type = 0;
    mote_buf_reset(out);
    int rc = r->be.objects.read(r->be.ctx, id, &type, out);
    if (rc)
        return rc;
    if (out->len > MOTE_STORE_MAX_OBJECT)
        return MOTE_ELIMIT;
    if (want_type && type != want_type)
        return MOTE_EDECODE;
    return 0;
}

int mote_store_object_read(mote_store_repo *r, const mote_store_hash *id, int *type, mote_buf *out)
{
    if (!r || !id || !type || !out)
        return MOTE_EINVAL;
    return r->be.objects.read(r->be.ctx, id, type, out);
}

int st_write_obj(mote_store_repo *r, int type, const void *data, size_t len, mote_store_hash *id)
{
    if (len > MOTE_STORE_MAX_OBJECT)
        return MOTE_ELIMIT;
    mote_store_object_id(type, data, len, id);
    return r->be.objects.write(r->be.ctx, type, data, len, id);
}

static int tcache_put(mote_store_repo *r, st_tree *t)
{
    if (r->tcache.n >= r->cfg.tree_cache) {
        if (st_map_get(&r->tcache, &t->id))
            return 0;
        tcache_clear(r);
    }
    int found;
    void **slot = st_map_probe(&r->tcache, &t->id, &found);
    if (!slot || found)
        return 0; /* a cache: out of memory only means no caching */
    t->refs++;
    *slot = t;
    return 0;
}

int st_read_tree(mote_store_repo *r, const mote_store_hash *id, st_tree **out)
{
    void **p;
    if (r->overlay && (p = st_map_get(r->overlay, id)) != NULL) {
        st_tree *t = *p;
        t->refs++;
        *out = t;
        return 0;
    }
    p = st_map_get(&r->tcache, id);
    if (p) {
        st_tree *t = *p;
        t->refs++;
        *out = t;
        return 0;
    }
    mote_buf b;
    mote_buf_init(&b, MOTE_STORE_MAX_OBJECT);
    int rc;
    if (mote_store_hash_eq(id, &st_empty_tree))
        rc = 0;
    else
        rc = st_read_obj(r, id, MOTE_STORE_TREE, &b);
    if (rc) {
        mote_buf_free(&b);
        return rc;
    }
    size_t len = 0;
    uint8_t *raw = mote_buf_detach(&b, &len);
    st_tree *t;
    rc = st_tree_decode(raw, len, &t);
    if (rc) {
        free(raw);
        return rc;
    }
    t->id = *id;
    tcache_put(r, t);
    *out = t;
    return 0;
}

/* Writes a tree from its content (kept in memory inside a transaction). */
int st_write_tree_decoded(mote_store_repo *r, st_tree *t, mote_store_hash *id)
{
    if (t->len > MOTE_STORE_MAX_OBJECT) {
        st_tree_unref(t);
        return MOTE_ELIMIT;
    }
    st_tree_id(t, id);
    int rc = 0;
    if (r->overlay) {
        /* inside a transaction: keep the tree in memory until commit */
        if (st_map_get(r->overlay, id)) {
            st_tree_unref(t);
            return 0;
        }
        if ((rc = st_map_put(r->overlay, id, t)) != 0)
            st_tree_unref(t);
        return rc;
    }
    rc = r->be.objects.write(r->be.ctx, MOTE_STORE_TREE, t->raw ? t->raw : (uint8_t *)"", t->len,
                             id);
    if (!rc)
        tcache_put(r, t);
    st_tree_unref(t);
    return rc;
}

int st_write_tree(mote_store_repo *r, mote_buf *content, mote_store_hash *id)
{
    size_t len = 0;
    uint8_t *raw = mote_buf_detach(content, &len);
    st_tree *t;
    int rc = st_tree_decode_trusted(raw, len, &t);
    if (rc) {
        free(raw);
        return rc;
    }
    return st_write_tree_decoded(r, t, id);
}

int mote_store_commit_read(mote_store_repo *r, const mote_store_hash *id, mote_store_commit *out)
{
    if (!r || !id || !out)
        return MOTE_EINVAL;
    mote_buf b;
    mote_buf_init(&b, MOTE_STORE_MAX_OBJECT);
    int rc = st_read_obj(r, id, MOTE_STORE_COMMIT, &b);
    if (!rc)
        rc = st_commit_decode(b.data ? b.data : (const uint8_t *)"", b.len, out);
    mote_buf_free(&b);
    if (!rc)
        out->id = *id;
    return rc;
}

int st_commit_tree(mote_store_repo *r, const mote_store_hash *commit, mote_store_hash *tree)
{
    if (r->has_last && mote_store_hash_eq(commit, &r->last_commit)) {
        *tree = r->last_tree;
        return 0;
    }
    mote_store_commit c;
    int rc = mote_store_commit_read(r, commit, &c);
    if (rc)
        return rc;
    *tree = c.tree;
    r->last_commit = *commit;
    r->last_tree = c.tree;
    r->has_last = 1;
    mote_store_commit_clear(&c);
    return 0;
}

static int make_commit(mote_store_repo *r, const mote_store_hash *tree,
                       const mote_store_hash *parents, size_t np, const mote_store_info *info,
                       mote_store_hash *out)
{
    const char *author = info && info->author ? info->author : "mote <mote@localhost>";
    if (!st_author_valid(author))
        return MOTE_EINVAL;
    int64_t date = info ? info->date : 0;
    if (!date && r->cfg.clock)
        date = mote_clock_wall(r->cfg.clock).sec;
    mote_buf b;
    mote_buf_init(&b, MOTE_STORE_MAX_OBJECT);
    int rc = st_commit_encode(tree, parents, np, author, date, info ? info->message : NULL, &b);
    if (!rc)
        rc = st_write_obj(r, MOTE_STORE_COMMIT, b.data, b.len, out);
    mote_buf_free(&b);
    if (!rc) {
        r->last_commit = *out;
        r->last_tree = *tree;
        r->has_last = 1;
    }
    return rc;
}

/* ---- branches ---- */

static st_batch_ref *batch_ref(mote_store_repo *r, const char *name)
{
    for (size_t i = 0; i < r->nbref; i++)
        if (strcmp(r->bref[i].name, name) == 0)
            return &r->bref[i];
    return NULL;
}

int st_branch_get(mote_store_repo *r, const char *name, mote_store_hash *out)
{
    st_batch_ref *b = r->batch ? batch_ref(r, name) : NULL;
    if (!b)
        return r->be.branches.get(r->be.ctx, name, out);
    if (!b->has_cur)
        return MOTE_ENOTFOUND;
    *out = b->cur;
    return 0;
}

int st_flush(mote_store_repo *r)
{
    if (r->batch || !r->be.objects.flush)
        return 0;
    return r->be.objects.flush(r->be.ctx);
}

/* A compare-and-swap inside a batch: against the batch's view, recording
 * the backend's head the first time the batch touches the branch. */
static int batch_cas(mote_store_repo *r, const char *name, const mote_store_hash *expect,
                     const mote_store_hash *set)
{
    st_batch_ref *b = batch_ref(r, name);
    if (!b) {
        mote_store_hash h;
        int rc = st_branch_get(r, name, &h);
        if (rc && rc != MOTE_ENOTFOUND)
            return rc;
        st_batch_ref *nb = realloc(r->bref, (r->nbref + 1) * sizeof *nb);
        if (!nb)
            return MOTE_ENOMEM;
        r->bref = nb;
        b = &nb[r->nbref];
        memset(b, 0, sizeof *b);
        if (!(b->name = strdup(name)))
            return MOTE_ENOMEM;
        r->nbref++;
        b->has_base = b->has_cur = rc == 0;
        b->base = b->cur = h;
    }
    if (expect ? !(b->has_cur && mote_store_hash_eq(&b->cur, expect)) : b->has_cur)
        return MOTE_ECONFLICT;
    b->has_cur = set != NULL;
    if (set)
        b->cur = *set;
    return 0;
}

typedef struct named_head {
    char *name;
    mote_store_hash head;
} named_head;

typedef struct list_acc {
    named_head *v;
    size_t n;
    int rc;
} list_acc;

static int list_push(list_acc *a, const char *name, const mote_store_hash *head)
{
    named_head *nv = realloc(a->v, (a->n + 1) * sizeof *nv);
    if (!nv)
        return MOTE_ENOMEM;
    a->v = nv;
    if (!(nv[a->n].name = strdup(name)))
        return MOTE_ENOMEM;
    nv[a->n++].head = *head;
    return 0;
}

static int list_collect(void *arg, const char *name, const mote_store_hash *head)
{
    return list_push(arg, name, head);
}

static int named_head_cmp(const void *a, const void *b)
{
    return strcmp(((const named_head *)a)->name, ((const named_head *)b)->name);
}

int st_branch_list(mote_store_repo *r,
                   int (*fn)(void *arg, const char *name, const mote_store_hash *head), void *arg)
{
    if (!r->batch || !r->nbref)
        return r->be.branches.list(r->be.ctx, fn, arg);
    list_acc a = {NULL, 0, 0};
    int rc = r->be.branches.list(r->be.ctx, list_collect, &a);
    /* the batch's view replaces the backend's for the branches it moved */
    size_t w = 0;
    for (size_t i = 0; i < a.n; i++) {
        if (batch_ref(r, a.v[i].name))
            free(a.v[i].name);
        else
            a.v[w++] = a.v[i];
    }
    a.n = w;
    for (size_t i = 0; !rc && i < r->nbref; i++)
        if (r->bref[i].has_cur)
            rc = list_push(&a, r->bref[i].name, &r->bref[i].cur);
    if (!rc && a.n)
        qsort(a.v, a.n, sizeof *a.v, named_head_cmp);
    for (size_t i = 0; i < a.n; i++) {
        if (!rc)
            rc = fn(arg, a.v[i].name, &a.v[i].head);
        free(a.v[i].name);
    }
    free(a.v);
    return rc;
}

int mote_store_branch_head(mote_store_repo *r, const char *name, mote_store_hash *out)
{
    if (!r || !out || !mote_store_branch_valid(name))
        return MOTE_EINVAL;
    return st_branch_get(r, name, out);
}

static int do_cas(mote_store_repo *r, const char *name, const mote_store_hash *expect,
                  const mote_store_hash *set)
{
    if (r->batch)
        return batch_cas(r, name, expect, set); /* watches hear of it at the end */
    int rc = 0;
    if (set)
        rc = st_flush(r);
    if (!rc)
        rc = r->be.branches.cas(r->be.ctx, name, expect, set);
    if (!rc)
        st_notify(r, name, expect, set);
    return rc;
}

/* ---- batches ---- */

int mote_store_batch_begin(mote_store_repo *r)
{
    if (!r)
        return MOTE_EINVAL;
    if (r->batch)
        return MOTE_EBUSY;
    r->batch = 1;
    return 0;
}

int mote_store_batch_active(const mote_store_repo *r)
{
    return r && r->batch;
}

void mote_store_batch_abort(mote_store_repo *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nbref; i++)
        free(r->bref[i].name);
    free(r->bref);
    r->bref = NULL;
    r->nbref = 0;
    r->batch = 0;
}

int mote_store_batch_end(mote_store_repo *r, const mote_store_info *info,
                         mote_store_conflicts *conflicts)
{
    if (!r)
        return MOTE_EINVAL;
    if (!r->batch)
        return MOTE_EINVAL;
    st_batch_ref *refs = r->bref;
    size_t n = r->nbref;
    r->bref = NULL;
    r->nbref = 0;
    r->batch = 0;
    /* every object of the batch, in one pack, before any branch moves */
    int rc = st_flush(r), result = 0;
    for (size_t i = 0; i < n; i++) {
        st_batch_ref *b = &refs[i];
        if (!rc &&
            (b->has_base != b->has_cur || (b->has_cur && !mote_store_hash_eq(&b->base, &b->cur)))) {
            int e = r->be.branches.cas(r->be.ctx, b->name, b->has_base ? &b->base : NULL,
                                       b->has_cur ? &b->cur : NULL);
            if (e == 0)
                st_notify(r, b->name, b->has_base ? &b->base : NULL, b->has_cur ? &b->cur : NULL);
            else if (e == MOTE_ECONFLICT && b->has_cur) {
                /* another writer moved the branch: merge the batch into it */
                ST_LOG(r, MOTE_LOG_INFO, "branch %s moved during a batch; merging", b->name);
                mote_store *s = mote_store_of_branch(r, b->name, &e);
                if (s) {
                    e = mote_store_merge_commit(s, &b->cur, 0, info, conflicts, NULL);
                    mote_store_free(s);
                }
            }
            if (e && !result)
                result = e;
        }
        free(b->name);
    }
    free(refs);
    return rc ? rc : result;
}

int mote_store_branch_test_and_set(mote_store_repo *r, const char *name,
                                   const mote_store_hash *expect, const mote_store_hash *set)
{
    if (!r || !mote_store_branch_valid(name))
        return MOTE_EINVAL;
    return do_cas(r, name, expect, set);
}

int mote_store_branch_create(mote_store_repo *r, const char *name, const mote_store_hash *commit)
{
    if (!r || !commit || !mote_store_branch_valid(name))
        return MOTE_EINVAL;
    mote_store_commit c;
    int rc = mote_store_commit_read(r, commit, &c);
    if (rc)
        return rc;
    mote_store_commit_clear(&c);
    rc = do_cas(r, name, NULL, commit);
    return rc == MOTE_ECONFLICT ? MOTE_EEXIST : rc;
}

int mote_store_branch_delete(mote_store_repo *r, const char *name)
{
    if (!r || !mote_store_branch_valid(name))
        return MOTE_EINVAL;
    for (unsigned i = 0; i <= r->cfg.max_retries; i++) {
        mote_store_hash h;
        int rc = st_branch_get(r, name, &h);
        if (rc)
            return rc;
        rc = do_cas(r, name, &h, NULL);
        if (rc != MOTE_ECONFLICT)
            return rc;
    }
    return MOTE_EBUSY;
}

int mote_store_branch_set(mote_store_repo *r, const char *name, const mote_store_hash *commit)
{
    if (!r || !commit || !mote_store_branch_valid(name))
        return MOTE_EINVAL;
    for (unsigned i = 0; i <= r->cfg.max_retries; i++) {
        mote_store_hash h;
        int rc = st_branch_get(r, name, &h);
        if (rc && rc != MOTE_ENOTFOUND)
            return rc;
        rc = do_cas(r, name, rc ? NULL : &h, commit);
        if (rc != MOTE_ECONFLICT)
            return rc;
    }
    return MOTE_EBUSY;
}

int mote_store_branch_list(mote_store_repo *r,
                           int (*fn)(void *arg, const char *name, const mote_store_hash *head),
                           void *arg)
{
    if (!r || !fn)
        return MOTE_EINVAL;
    return st_branch_list(r, fn, arg);
}

/* ---- handles ---- */

mote_store *mote_store_of_branch(mote_store_repo *r, const char *branch, int *err)
{
    if (!r || !mote_store_branch_valid(branch)) {
        seterr(err, MOTE_EINVAL);
        return NULL;
    }
    mote_store *s = calloc(1, sizeof *s);
    if (s)
        s->branch = strdup(branch);
    if (!s || !s->branch) {
        free(s);
        seterr(err, MOTE_ENOMEM);
        return NULL;
    }
    s->repo = r;
    seterr(err, 0);
    return s;
}

mote_store *mote_store_of_commit(mote_store_repo *r, const mote_store_hash *commit, int *err)
{
    if (!r || !commit) {
        seterr(err, MOTE_EINVAL);
        return NULL;
    }
    mote_store_commit c;
    int rc = mote_store_commit_read(r, commit, &c);
    if (rc) {
        seterr(err, rc);
        return NULL;
    }
    mote_store_commit_clear(&c);
    mote_store *s = calloc(1, sizeof *s);
    if (!s) {
        seterr(err, MOTE_ENOMEM);
        return NULL;
    }
    s->repo = r;
    s->head = *commit;
    s->has_head = 1;
    seterr(err, 0);
    return s;
}

void mote_store_free(mote_store *s)
{
    if (!s)
        return;
    free(s->branch);
    free(s);
}

const char *mote_store_branch_name(const mote_store *s)
{
    return s ? s->branch : NULL;
}

int mote_store_head(mote_store *s, mote_store_hash *out)
{
    if (!s || !out)
        return MOTE_EINVAL;
    if (!s->branch) {
        *out = s->head;
        return 0;
    }
    return st_branch_get(s->repo, s->branch, out);
}

/* The root tree of the head; *has is 0 when there is no head yet. */
static int head_root(mote_store *s, mote_store_hash *head, mote_store_hash *root, int *has)
{
    int rc = mote_store_head(s, head);
    if (rc == MOTE_ENOTFOUND) {
        *has = 0;
        *root = st_empty_tree;
        return 0;
    }
    if (rc)
        return rc;
    *has = 1;
    return st_commit_tree(s->repo, head, root);
}

/* ---- path reads ---- */

/* Finds what the path names under root: *mode (0 if nothing) and *id. The
 * root itself is a tree. */
static int lookup(mote_store_repo *r, const mote_store_hash *root, const st_path *p, uint32_t *mode,
                  mote_store_hash *id)
{
    mote_store_hash cur = *root;
    uint32_t m = ST_MODE_TREE;
    for (size_t i = 0; i < p->n; i++) {
        if (!st_mode_is_tree(m)) {
            *mode = 0;
            return 0;
        }
        st_tree *t;
        int rc = st_read_tree(r, &cur, &t);
        if (rc)
            return rc;
        long k = st_tree_find_hint(t, p->step[i], p->len[i], i + 1 < p->n);
        if (k < 0) {
            st_tree_unref(t);
            *mode = 0;
            return 0;
        }
        m = t->e[k].mode;
        memcpy(cur.b, t->e[k].id, MOTE_STORE_HASH_LEN);
        st_tree_unref(t);
    }
    *mode = m == ST_MODE_GITLINK ? 0 : m;
    *id = cur;
    return 0;
}

static int path_lookup(mote_store *s, const char *path, uint32_t *mode, mote_store_hash *id)
{
    st_path p;
    int rc = st_path_parse(path, &p);
    if (rc)
        return rc;
    mote_store_hash head, root;
    int has;
    if ((rc = head_root(s, &head, &root, &has)) != 0)
        return rc;
    if (!has) {
        *mode = p.n ? 0 : ST_MODE_TREE;
        *id = st_empty_tree;
        return 0;
    }
    return lookup(s->repo, &root, &p, mode, id);
}

int mote_store_find(mote_store *s, const char *path, mote_buf *out, int *found)
{
    if (!s || !out || !found)
        return MOTE_EINVAL;
    uint32_t mode;
    mote_store_hash id;
    *found = 0;
    int rc = path_lookup(s, path, &mode, &id);
    if (rc || !mode || st_mode_is_tree(mode))
        return rc;
    int type;
    size_t before = out->len;
    rc = s->repo->be.objects.read(s->repo->be.ctx, &id, &type, out);
    if (!rc && type != MOTE_STORE_BLOB)
        rc = MOTE_EDECODE;
    if (!rc && out->len - before > MOTE_STORE_MAX_OBJECT)
        rc = MOTE_ELIMIT;
    if (rc)
        mote_buf_truncate(out, before);
    else
        *found = 1;
    return rc;
}

int mote_store_get(mote_store *s, const char *path, mote_buf *out)
{
    int found = 0;
    int rc = mote_store_find(s, path, out, &found);
    if (rc)
        return rc;
    return found ? 0 : MOTE_ENOTFOUND;
}

int mote_store_kind(mote_store *s, const char *path)
{
    if (!s)
        return MOTE_EINVAL;
    uint32_t mode;
    mote_store_hash id;
    int rc = path_lookup(s, path, &mode, &id);
    if (rc)
        return rc;
    if (!mode)
        return MOTE_STORE_KIND_NONE;
    return st_mode_is_tree(mode) ? MOTE_STORE_KIND_TREE : MOTE_STORE_KIND_VALUE;
}

int mote_store_mem(mote_store *s, const char *path)
{
    int k = mote_store_kind(s, path);
    return k < 0 ? k : k == MOTE_STORE_KIND_VALUE;
}

int mote_store_hash_at(mote_store *s, const char *path, mote_store_hash *out)
{
    if (!s || !out)
        return MOTE_EINVAL;
    uint32_t mode;
    int rc = path_lookup(s, path, &mode, out);
    if (rc)
        return rc;
    return mode ? 0 : MOTE_ENOTFOUND;
}

void mote_store_entries_free(mote_store_entry *e, size_t n)
{
    if (!e)
        return;
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}

/* The entries of the tree `id` (mode says what the path named). */
static int list_tree(mote_store_repo *r, uint32_t mode, const mote_store_hash *id,
                     mote_store_entry **out, size_t *n)
{
    if (!st_mode_is_tree(mode))
        return 0;
    st_tree *t;
    int rc = st_read_tree(r, id, &t);
    if (rc)
        return rc;
    mote_store_entry *e = calloc(t->n ? t->n : 1, sizeof *e);
    if (!e) {
        st_tree_unref(t);
        return MOTE_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->e[i].mode == ST_MODE_GITLINK)
            continue;
        e[k].name = malloc(t->e[i].namelen + 1u);
        if (!e[k].name) {
            mote_store_entries_free(e, k);
            st_tree_unref(t);
            return MOTE_ENOMEM;
        }
        memcpy(e[k].name, t->e[i].name, t->e[i].namelen);
        e[k].name[t->e[i].namelen] = 0;
        e[k].kind = st_mode_is_tree(t->e[i].mode) ? MOTE_STORE_KIND_TREE : MOTE_STORE_KIND_VALUE;
        memcpy(e[k].id.b, t->e[i].id, MOTE_STORE_HASH_LEN);
        k++;
    }
    st_tree_unref(t);
    *out = e;
    *n = k;
    return 0;
}

int mote_store_list(mote_store *s, const char *path, mote_store_entry **out, size_t *n)
{
    if (!s || !out || !n)
        return MOTE_EINVAL;
    *out = NULL;
    *n = 0;
    uint32_t mode;
    mote_store_hash id;
    int rc = path_lookup(s, path, &mode, &id);
    if (rc)
        return rc;
    return list_tree(s->repo, mode, &id, out, n);
}

/* ---- tree updates ---- */

/* Sets (mode != 0) or removes the path under tree `cur` (NULL: empty).
 * *out gets the new tree, *empty is set when it has no entries. */
static int tree_update(mote_store_repo *r, const mote_store_hash *cur, const st_path *p,
                       size_t depth, uint32_t mode, const mote_store_hash *id, mote_store_hash *out,
                       int *empty)
{
    st_tree *t = NULL;
    int rc;
    if (cur && (rc = st_read_tree(r, cur, &t)) != 0)
        return rc;
    const char *name = p->step[depth];
    size_t nl = p->len[depth];
    long k = st_tree_find(t, name, nl);
    uint32_t nmode = mode;
    mote_store_hash nid;
    if (depth + 1 < p->n) {
        int sub_empty = 0;
        mote_store_hash child;
        const mote_store_hash *cp = NULL;
        if (k >= 0 && st_mode_is_tree(t->e[k].mode)) {
            memcpy(child.b, t->e[k].id, MOTE_STORE_HASH_LEN);
            cp = &child;
        }
        if (!cp && !mode) { /* removing under a value or nothing: no change */
            if (t) {
                *out = t->id;
                *empty = t->n == 0;
                st_tree_unref(t);
            } else {
                *out = st_empty_tree;
                *empty = 1;
            }
            return 0;
        }
        rc = tree_update(r, cp, p, depth + 1, mode, id, &nid, &sub_empty);
        if (rc) {
            st_tree_unref(t);
            return rc;
        }
        nmode = sub_empty ? 0 : ST_MODE_TREE;
    } else {
        if (mode)
            nid = *id;
        /* keep an executable bit when a value is replaced */
        if (mode == ST_MODE_BLOB && k >= 0 && t->e[k].mode == ST_MODE_EXEC)
            nmode = ST_MODE_EXEC;
    }
    /* unchanged? */
    if (k >= 0 && nmode == t->e[k].mode && memcmp(t->e[k].id, nid.b, MOTE_STORE_HASH_LEN) == 0) {
        *out = t->id;
        *empty = 0;
        st_tree_unref(t);
        return 0;
    }
    if (k < 0 && !nmode) {
        if (t) {
            *out = t->id;
            *empty = t->n == 0;
            st_tree_unref(t);
        } else {
            *out = st_empty_tree;
            *empty = 1;
        }
        return 0;
    }
    size_t n_after = (t ? t->n : 0) + (nmode ? 1 : 0) - (k >= 0 ? 1 : 0);
    if (n_after > MOTE_STORE_MAX_ENTRIES) {
        st_tree_unref(t);
        return MOTE_ELIMIT;
    }
    *empty = n_after == 0;
    if (*empty) {
        st_tree_unref(t);
        *out = st_empty_tree;
        return 0;
    }
    /* a tree only the cache and this call hold is superseded: rewrite it in
     * place rather than copy it (outside transactions, whose trees stay) */
    if (!r->overlay && k >= 0 && t->refs == 2 && st_tree_can_set(t, (size_t)k, nmode)) {
        void **cp = st_map_get(&r->tcache, &t->id);
        if (cp && *cp == t) {
            st_map_del(&r->tcache, &t->id);
            t->refs--;
            st_tree_set_entry(t, (size_t)k, nmode, &nid);
            return st_write_tree_decoded(r, t, out);
        }
    }
    st_tree *nt;
    rc = st_tree_splice_tree(t, name, nl, nmode, &nid, &nt);
    st_tree_unref(t);
    if (rc)
        return rc;
    return st_write_tree_decoded(r, nt, out);
}

/* Applies one change to a root: mode 0 removes. */
static int root_update(mote_store_repo *r, const mote_store_hash *root, const st_path *p,
                       uint32_t mode, const mote_store_hash *id, mote_store_hash *out)
{
    if (p->n == 0) {
        if (mode && !st_mode_is_tree(mode))
            return MOTE_EINVAL; /* the root is a tree */
        *out = mode ? *id : st_empty_tree;
        if (mode && !mote_store_hash_eq(id, &st_empty_tree)) {
            st_tree *t;
            int rc = st_read_tree(r, id, &t);
            if (rc)
                return rc;
            st_tree_unref(t);
        }
        return 0;
    }
    int empty;
    int rc = tree_update(r, root, p, 0, mode, id, out, &empty);
    if (!rc && empty)
        *out = st_empty_tree;
    return rc;
}

static int ensure_empty_tree(mote_store_repo *r)
{
    mote_store_hash h;
    return st_write_obj(r, MOTE_STORE_TREE, "", 0, &h);
}

/* Moves the handle from old (NULL: no head) to new. */
static int handle_cas(mote_store *s, const mote_store_hash *old, const mote_store_hash *nw)
{
    if (!s->branch) {
        int rc = st_flush(s->repo);
        if (rc)
            return rc;
        s->head = *nw;
        s->has_head = 1;
        return 0;
    }
    return do_cas(s->repo, s->branch, old, nw);
}

static int commit_root(mote_store *s, const mote_store_hash *newroot, const mote_store_hash *head,
                       int has, const mote_store_info *info, mote_store_hash *commit)
{
    int rc = 0;
    if (mote_store_hash_eq(newroot, &st_empty_tree))
        rc = ensure_empty_tree(s->repo);
    if (!rc)
        rc = make_commit(s->repo, newroot, head, has ? 1 : 0, info, commit);
    return rc;
}

/* The write loop shared by set, remove, set_tree and test_and_set. */
static int write_path(mote_store *s, const char *path, uint32_t mode, const mote_store_hash *id,
                      int check, const mote_store_hash *expect, const mote_store_info *info,
                      mote_store_hash *commit_out)
{
    st_path p;
    int rc = st_path_parse(path, &p);
    if (rc)
        return rc;
    mote_store_repo *r = s->repo;
    for (unsigned attempt = 0; attempt <= r->cfg.max_retries; attempt++) {
        mote_store_hash head, root, newroot, commit;
        int has;
        if ((rc = head_root(s, &head, &root, &has)) != 0)
            return rc;
        if (check) {
            uint32_t m = 0;
            mote_store_hash cur;
            if (p.n == 0)
                return MOTE_EINVAL;
            if ((rc = lookup(r, &root, &p, &m, &cur)) != 0)
                return rc;
            int is_val = m && !st_mode_is_tree(m);
            if (expect ? (!is_val || !mote_store_hash_eq(&cur, expect)) : is_val)
                return MOTE_ECONFLICT;
        }
        if ((rc = root_update(r, has ? &root : NULL, &p, mode, id, &newroot)) != 0)
            return rc;
        if (has && mote_store_hash_eq(&newroot, &root)) {
            if (commit_out)
                *commit_out = head;
            return 0; /* nothing changes: no commit */
        }
        if (!has && !mode) {
            return 0; /* removing from an empty branch */
        }
        if ((rc = commit_root(s, &newroot, &head, has, info, &commit)) != 0)
            return rc;
        rc = handle_cas(s, has ? &head : NULL, &commit);
        if (rc == 0) {
            if (commit_out)
                *commit_out = commit;
            return 0;
        }
        if (rc != MOTE_ECONFLICT)
            return rc;
        ST_LOG(r, MOTE_LOG_DEBUG, "branch %s moved; retrying (%u)", s->branch, attempt + 1);
    }
    ST_LOG(r, MOTE_LOG_WARN, "branch %s kept moving: gave up after %u retries", s->branch,
           r->cfg.max_retries);
    return MOTE_EBUSY;
}

int mote_store_set(mote_store *s, const char *path, const void *value, size_t len,
                   const mote_store_info *info, mote_store_hash *commit_out)
{
    if (!s || (!value && len))
        return MOTE_EINVAL;
    st_path p;
    int rc = st_path_parse(path, &p);
    if (rc)
        return rc;
    if (p.n == 0)
        return MOTE_EINVAL;
    mote_store_hash id;
    if ((rc = st_write_obj(s->repo, MOTE_STORE_BLOB, value ? value : "", len, &id)) != 0)
        return rc;
    return write_path(s, path, ST_MODE_BLOB, &id, 0, NULL, info, commit_out);
}

int mote_store_remove(mote_store *s, const char *path, const mote_store_info *info,
                      mote_store_hash *commit_out)
{
    if (!s)
        return MOTE_EINVAL;
    return write_path(s, path, 0, NULL, 0, NULL, info, commit_out);
}

int mote_store_set_tree(mote_store *s, const char *path, const mote_store_hash *tree,
                        const mote_store_info *info, mote_store_hash *commit_out)
{
    if (!s)
        return MOTE_EINVAL;
    if (tree && !mote_store_hash_eq(tree, &st_empty_tree)) {
        st_tree *t;
        int rc = st_read_tree(s->repo, tree, &t);
        if (rc)
            return rc;
        st_tree_unref(t);
        return write_path(s, path, ST_MODE_TREE, tree, 0, NULL, info, commit_out);
    }
    return write_path(s, path, 0, NULL, 0, NULL, info, commit_out);
}

int mote_store_test_and_set(mote_store *s, const char *path, const void *expect, size_t expect_len,
                            const void *value, size_t len, const mote_store_info *info,
                            mote_store_hash *commit_out)
{
    if (!s || (!value && len) || (!expect && expect_len))
        return MOTE_EINVAL;
    mote_store_hash eid, vid;
    if (expect)
        mote_store_object_id(MOTE_STORE_BLOB, expect, expect_len, &eid);
    int rc;
    if (value && (rc = st_write_obj(s->repo, MOTE_STORE_BLOB, value, len, &vid)) != 0)
        return rc;
    return write_path(s, path, value ? ST_MODE_BLOB : 0, value ? &vid : NULL, 1,
                      expect ? &eid : NULL, info, commit_out);
}

/* ---- transactions ---- */

struct mote_store_tx {
    mote_store *s;
    mote_store_hash base_head, base_root, root;
    int has_base;
    st_map overlay; /* trees made by the transaction, written at commit */
};

/* Writes the transaction's trees that `root` reaches, children first. */
static int overlay_flush(mote_store_repo *r, st_map *ov, const mote_store_hash *root, int depth)
{
    void **p = st_map_get(ov, root);
    if (!p)
        return 0;
    if (depth > (int)MOTE_STORE_MAX_DEPTH + 1)
        return MOTE_ELIMIT;
    st_tree *t = *p;
    for (size_t i = 0; i < t->n; i++) {
        if (!st_mode_is_tree(t->e[i].mode))
            continue;
        mote_store_hash c;
        memcpy(c.b, t->e[i].id, MOTE_STORE_HASH_LEN);
        int rc = overlay_flush(r, ov, &c, depth + 1);
        if (rc)
            return rc;
    }
    int rc = r->be.objects.write(r->be.ctx, MOTE_STORE_TREE, t->raw ? t->raw : (uint8_t *)"",
                                 t->len, &t->id);
    if (rc)
        return rc;
    st_map_del(ov, root);
    st_tree_unref(t);
    return 0;
}

mote_store_tx *mote_store_tx_begin(mote_store *s, int *err)
{
    if (!s) {
        seterr(err, MOTE_EINVAL);
        return NULL;
    }
    mote_store_tx *t = calloc(1, sizeof *t);
    if (!t) {
        seterr(err, MOTE_ENOMEM);
        return NULL;
    }
    t->s = s;
    int rc = head_root(s, &t->base_head, &t->base_root, &t->has_base);
    if (rc) {
        free(t);
        seterr(err, rc);
        return NULL;
    }
    t->root = t->base_root;
    st_map_init(&t->overlay);
    seterr(err, 0);
    return t;
}

void mote_store_tx_free(mote_store_tx *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->overlay.cap; i++)
        if (t->overlay.slots[i].used)
            st_tree_unref(t->overlay.slots[i].val);
    st_map_free(&t->overlay);
    free(t);
}

int mote_store_tx_get(mote_store_tx *t, const char *path, mote_buf *out)
{
    if (!t || !out)
        return MOTE_EINVAL;
    st_path p;
    int rc = st_path_parse(path, &p);
    if (rc)
        return rc;
    uint32_t mode;
    mote_store_hash id;
    t->s->repo->overlay = &t->overlay;
    rc = lookup(t->s->repo, &t->root, &p, &mode, &id);
    t->s->repo->overlay = NULL;
    if (rc)
        return rc;
    if (!mode || st_mode_is_tree(mode))
        return MOTE_ENOTFOUND;
    mote_buf tmp;
    mote_buf_init(&tmp, MOTE_STORE_MAX_OBJECT);
    rc = st_read_obj(t->s->repo, &id, MOTE_STORE_BLOB, &tmp);
    if (!rc)
        rc = mote_buf_append(out, tmp.data, tmp.len);
    mote_buf_free(&tmp);
    return rc;
}

int mote_store_tx_list(mote_store_tx *t, const char *path, mote_store_entry **out, size_t *n)
{
    if (!t || !out || !n)
        return MOTE_EINVAL;
    *out = NULL;
    *n = 0;
    st_path p;
    int rc = st_path_parse(path, &p);
    if (rc)
        return rc;
    uint32_t mode;
    mote_store_hash id;
    t->s->repo->overlay = &t->overlay;
    rc = lookup(t->s->repo, &t->root, &p, &mode, &id);
    if (!rc)
        rc = list_tree(t->s->repo, mode, &id, out, n);
    t->s->repo->overlay = NULL;
    return rc;
}

int mote_store_tx_tree(mote_store_tx *t, mote_store_hash *root)
{
    if (!t || !root)
        return MOTE_EINVAL;
    *root = t->root;
    return 0;
}

int mote_store_tx_set(mote_store_tx *t, const char *path, const void *value, size_t len)
{
    if (!t || (!value && len))
        return MOTE_EINVAL;
    st_path p;
    int rc = st_path_parse(path, &p);
    if (rc)
        return rc;
    if (p.n == 0)
        return MOTE_EINVAL;
    mote_store_hash id;
    if ((rc = st_write_obj(t->s->repo, MOTE_STORE_BLOB, value ? value : "", len, &id)) != 0)
        return rc;
    t->s->repo->overlay = &t->overlay;
    rc = root_update(t->s->repo, &t->root, &p, ST_MODE_BLOB, &id, &t->root);
    t->s->repo->overlay = NULL;
    return rc;
}

int mote_store_tx_remove(mote_store_tx *t, const char *path)
{
    if (!t)
        return MOTE_EINVAL;
    st_path p;
    int rc = st_path_parse(path, &p);
    if (rc)
        return rc;
    t->s->repo->overlay = &t->overlay;
    rc = root_update(t->s->repo, &t->root, &p, 0, NULL, &t->root);
    t->s->repo->overlay = NULL;
    return rc;
}

int mote_store_tx_commit(mote_store_tx *t, const mote_store_info *info,
                         mote_store_conflicts *conflicts, mote_store_hash *commit_out)
{
    if (!t)
        return MOTE_EINVAL;
    mote_store *s = t->s;
    mote_store_repo *r = s->repo;
    mote_store_hash parent = t->base_head, root = t->root;
    int has = t->has_base;
    if (has && mote_store_hash_eq(&root, &t->base_root)) {
        if (commit_out)
            *commit_out = parent;
        return 0;
    }
    for (unsigned attempt = 0; attempt <= r->cfg.max_retries; attempt++) {
        mote_store_hash commit;
        int rc = overlay_flush(r, &t->overlay, &root, 0);
        if (!rc)
            rc = commit_root(s, &root, &parent, has, info, &commit);
        if (rc)
            return rc;
        rc = handle_cas(s, has ? &parent : NULL, &commit);
        if (rc == 0) {
            if (commit_out)
                *commit_out = commit;
            return 0;
        }
        if (rc != MOTE_ECONFLICT)
            return rc;
        /* the branch moved: merge our changes into its new head */
        mote_store_hash nhead, nroot;
        int nhas;
        if ((rc = head_root(s, &nhead, &nroot, &nhas)) != 0)
            return rc;
        r->overlay = &t->overlay;
        rc = mote_store_merge_trees(r, &t->base_root, &t->root, &nroot, &root, conflicts);
        r->overlay = NULL;
        if (rc)
            return rc;
        parent = nhead;
        has = nhas;
    }
    return MOTE_EBUSY;
}

/* ---- history ---- */

typedef struct heap_item {
    int64_t date;
    mote_store_hash id;
} heap_item;

static int heap_less(const heap_item *a, const heap_item *b)
{
    if (a->date != b->date)
        return a->date > b->date;
    return memcmp(a->id.b, b->id.b, MOTE_STORE_HASH_LEN) > 0;
}

static int heap_push(heap_item **h, size_t *n, size_t *cap, heap_item it)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        heap_item *nh = realloc(*h, nc * sizeof *nh);
        if (!nh)
            return MOTE_ENOMEM;
        *h = nh;
        *cap = nc;
    }
    size_t i = (*n)++;
    (*h)[i] = it;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(&(*h)[i], &(*h)[p]))
            break;
        heap_item tmp = (*h)[i];
        (*h)[i] = (*h)[p];
        (*h)[p] = tmp;
        i = p;
    }
    return 0;
}

static heap_item heap_pop(heap_item *h, size_t *n)
{
    heap_item top = h[0];
    h[0] = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, rr = l + 1, m = i;
        if (l < *n && heap_less(&h[l], &h[m]))
            m = l;
        if (rr < *n && heap_less(&h[rr], &h[m]))
            m = rr;
        if (m == i)
            break;
        heap_item tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
    return top;
}

int mote_store_log(mote_store *s, size_t max, int (*fn)(void *arg, const mote_store_commit *c),
                   void *arg)
{
    if (!s || !fn)
        return MOTE_EINVAL;
    mote_store_repo *r = s->repo;
    mote_store_hash head;
    int rc = mote_store_head(s, &head);
    if (rc == MOTE_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    st_map seen;
    st_map_init(&seen);
    heap_item *h = NULL;
    size_t n = 0, cap = 0, emitted = 0, visited = 0;
    mote_store_commit c;
    if ((rc = mote_store_commit_read(r, &head, &c)) != 0)
        return rc;
    heap_item it = {c.date, head};
    mote_store_commit_clear(&c);
    rc = heap_push(&h, &n, &cap, it);
    if (!rc)
        rc = st_map_put(&seen, &head, NULL);
    while (!rc && n && (max == 0 || emitted < max)) {
        if (++visited > r->cfg.max_walk) {
            rc = MOTE_ELIMIT;
            break;
        }
        it = heap_pop(h, &n);
        if ((rc = mote_store_commit_read(r, &it.id, &c)) != 0)
            break;
        rc = fn(arg, &c);
        emitted++;
        for (size_t i = 0; !rc && i < c.nparents; i++) {
            if (st_map_get(&seen, &c.parents[i]))
                continue;
            mote_store_commit pc;
            if ((rc = mote_store_commit_read(r, &c.parents[i], &pc)) != 0)
                break;
            heap_item pi = {pc.date, c.parents[i]};
            mote_store_commit_clear(&pc);
            rc = heap_push(&h, &n, &cap, pi);
            if (!rc)
                rc = st_map_put(&seen, &c.parents[i], NULL);
        }
        mote_store_commit_clear(&c);
    }
    free(h);
    st_map_free(&seen);
    return rc;
}

/* Breadth-first ancestors of start, up to max_depth generations; marks each
 * with `bit` in marks (values are small ints cast to pointers). Sets
 * *truncated when the depth bound cut the walk. */
static int walk_mark(mote_store_repo *r, const mote_store_hash *start, unsigned max_depth,
                     uintptr_t bit, st_map *marks, int *truncated, size_t *visited)
{
    mote_store_hash *cur = malloc(sizeof *cur), *next = NULL;
    size_t ncur = 1, nnext = 0, capnext = 0;
    if (!cur)
        return MOTE_ENOMEM;
    cur[0] = *start;
    int rc = 0;
    st_map local;
    st_map_init(&local);
    rc = st_map_put(&local, start, NULL);
    for (unsigned depth = 0; !rc && ncur; depth++) {
        nnext = 0;
        for (size_t i = 0; !rc && i < ncur; i++) {
            void **p = st_map_get(marks, &cur[i]);
            uintptr_t v = p ? (uintptr_t)*p : 0;
            if ((rc = st_map_put(marks, &cur[i], (void *)(v | bit))) != 0)
                break;
            if (++*visited > r->cfg.max_walk) {
                rc = MOTE_ELIMIT;
                break;
            }
            mote_store_commit c;
            if ((rc = mote_store_commit_read(r, &cur[i], &c)) != 0)
                break;
            if (depth >= max_depth && c.nparents) {
                *truncated = 1;
                mote_store_commit_clear(&c);
                continue;
            }
            for (size_t j = 0; !rc && j < c.nparents; j++) {
                if (st_map_get(&local, &c.parents[j]))
                    continue;
                if ((rc = st_map_put(&local, &c.parents[j], NULL)) != 0)
                    break;
                if (nnext == capnext) {
                    size_t nc = capnext ? capnext * 2 : 16;
                    mote_store_hash *nn = realloc(next, nc * sizeof *nn);
                    if (!nn) {
                        rc = MOTE_ENOMEM;
                        break;
                    }
                    next = nn;
                    capnext = nc;
                }
                next[nnext++] = c.parents[j];
            }
            mote_store_commit_clear(&c);
        }
        free(cur);
        cur = next;
        ncur = nnext;
        next = NULL;
        capnext = 0;
    }
    free(cur);
    free(next);
    st_map_free(&local);
    return rc;
}

int mote_store_lcas(mote_store_repo *r, const mote_store_hash *a, const mote_store_hash *b,
                    unsigned max_depth, unsigned max_count, mote_store_hash **out, size_t *n)
{
    if (!r || !a || !b || !out || !n)
        return MOTE_EINVAL;
    *out = NULL;
    *n = 0;
    if (!max_depth)
        max_depth = r->cfg.max_walk;
    if (!max_count)
        max_count = 16;
    if (mote_store_hash_eq(a, b)) {
        *out = malloc(sizeof **out);
        if (!*out)
            return MOTE_ENOMEM;
        (*out)[0] = *a;
        *n = 1;
        return 0;
    }
    st_map marks;
    st_map_init(&marks);
    int trunc = 0;
    size_t visited = 0;
    int rc = walk_mark(r, a, max_depth, 1, &marks, &trunc, &visited);
    if (!rc)
        rc = walk_mark(r, b, max_depth, 2, &marks, &trunc, &visited);
    /* common = marked 3; a common commit whose child is common is not lowest */
    st_map notlow;
    st_map_init(&notlow);
    for (size_t i = 0; !rc && i < marks.cap; i++) {
        if (!marks.slots[i].used || (uintptr_t)marks.slots[i].val != 3)
            continue;
        mote_store_commit c;
        if ((rc = mote_store_commit_read(r, &marks.slots[i].key, &c)) != 0)
            break;
        for (size_t j = 0; !rc && j < c.nparents; j++) {
            void **p = st_map_get(&marks, &c.parents[j]);
            if (p && (uintptr_t)*p == 3)
                rc = st_map_put(&notlow, &c.parents[j], NULL);
        }
        mote_store_commit_clear(&c);
    }
    mote_store_hash *res = NULL;
    size_t k = 0;
    for (size_t i = 0; !rc && i < marks.cap; i++) {
        if (!marks.slots[i].used || (uintptr_t)marks.slots[i].val != 3 ||
            st_map_get(&notlow, &marks.slots[i].key))
            continue;
        if (k >= max_count) {
            rc = MOTE_ELIMIT;
            break;
        }
        mote_store_hash *nr = realloc(res, (k + 1) * sizeof *nr);
        if (!nr) {
            rc = MOTE_ENOMEM;
            break;
        }
        res = nr;
        res[k++] = marks.slots[i].key;
    }
    if (!rc && k == 0 && trunc)
        rc = MOTE_ELIMIT;
    st_map_free(&marks);
    st_map_free(&notlow);
    if (rc) {
        free(res);
        return rc;
    }
    /* a stable order */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && memcmp(res[j - 1].b, res[j].b, MOTE_STORE_HASH_LEN) > 0; j--) {
            mote_store_hash tmp = res[j];
            res[j] = res[j - 1];
            res[j - 1] = tmp;
        }
    *out = res;
    *n = k;
    return 0;
}

int mote_store_is_ancestor(mote_store_repo *r, const mote_store_hash *ancestor,
                           const mote_store_hash *commit)
{
    if (!r || !ancestor || !commit)
        return MOTE_EINVAL;
    if (mote_store_hash_eq(ancestor, commit))
        return 1;
    st_map seen;
    st_map_init(&seen);
    mote_store_hash *stack = malloc(sizeof *stack);
    size_t n = 0, cap = 1, visited = 0;
    int rc = 0, found = 0;
    if (!stack)
        return MOTE_ENOMEM;
    stack[n++] = *commit;
    rc = st_map_put(&seen, commit, NULL);
    while (!rc && n && !found) {
        mote_store_hash id = stack[--n];
        if (++visited > r->cfg.max_walk) {
            rc = MOTE_ELIMIT;
            break;
        }
        mote_store_commit c;
        if ((rc = mote_store_commit_read(r, &id, &c)) != 0)
            break;
        for (size_t j = 0; !rc && j < c.nparents; j++) {
            if (mote_store_hash_eq(&c.parents[j], ancestor)) {
                found = 1;
                break;
            }
            if (st_map_get(&seen, &c.parents[j]))
                continue;
            if ((rc = st_map_put(&seen, &c.parents[j], NULL)) != 0)
                break;
            if (n == cap) {
                mote_store_hash *ns = realloc(stack, cap * 2 * sizeof *ns);
                if (!ns) {
                    rc = MOTE_ENOMEM;
                    break;
                }
                stack = ns;
                cap *= 2;
            }
            stack[n++] = c.parents[j];
        }
        mote_store_commit_clear(&c);
    }
    free(stack);
    st_map_free(&seen);
    return rc ? rc : found;
}

int mote_store_last_modified(mote_store *s, const char *path, mote_store_hash *out)
{
    if (!s || !out)
        return MOTE_EINVAL;
    st_path p;
    int rc = st_path_parse(path, &p);
    if (rc)
        return rc;
    mote_store_hash cur;
    if ((rc = mote_store_head(s, &cur)) != 0)
        return rc;
    mote_store_repo *r = s->repo;
    uint32_t cmode = 0;
    mote_store_hash cid = {{0}};
    mote_store_commit c;
    if ((rc = mote_store_commit_read(r, &cur, &c)) != 0)
        return rc;
    if ((rc = lookup(r, &c.tree, &p, &cmode, &cid)) != 0) {
        mote_store_commit_clear(&c);
        return rc;
    }
    for (unsigned i = 0; i < r->cfg.max_walk; i++) {
        if (c.nparents == 0) {
            mote_store_commit_clear(&c);
            if (!cmode)
                return MOTE_ENOTFOUND;
            *out = cur;
            return 0;
        }
        mote_store_hash parent = c.parents[0];
        mote_store_commit_clear(&c);
        if ((rc = mote_store_commit_read(r, &parent, &c)) != 0)
            return rc;
        uint32_t pmode = 0;
        mote_store_hash pid = {{0}};
        if ((rc = lookup(r, &c.tree, &p, &pmode, &pid)) != 0) {
            mote_store_commit_clear(&c);
            return rc;
        }
        if (pmode != cmode || (cmode && !mote_store_hash_eq(&pid, &cid))) {
            mote_store_commit_clear(&c);
            *out = cur;
            return 0;
        }
        cur = parent;
    }
    mote_store_commit_clear(&c);
    return MOTE_ELIMIT;
}

/* ---- merges of commits ---- */

static int virtual_base(mote_store_repo *r, const mote_store_hash *a, const mote_store_hash *b,
                        int depth, mote_store_hash *tree, int *has)
{
    if (depth > 4)
        return MOTE_ELIMIT;
    mote_store_hash *l = NULL;
    size_t n = 0;
    int rc = mote_store_lcas(r, a, b, 0, 16, &l, &n);
    if (rc)
        return rc;
    *has = n > 0;
    if (n == 0) {
        free(l);
        return 0;
    }
    rc = st_commit_tree(r, &l[0], tree);
    for (size_t i = 1; !rc && i < n; i++) {
        mote_store_hash ti, base;
        int hb = 0;
        if ((rc = st_commit_tree(r, &l[i], &ti)) != 0)
            break;
        if ((rc = virtual_base(r, &l[0], &l[i], depth + 1, &base, &hb)) != 0)
            break;
        rc = mote_store_merge_trees(r, hb ? &base : NULL, tree, &ti, tree, NULL);
    }
    free(l);
    return rc;
}

int mote_store_merge_commit(mote_store *s, const mote_store_hash *from, int no_ff,
                            const mote_store_info *info, mote_store_conflicts *conflicts,
                            mote_store_hash *commit_out)
{
    if (!s || !from)
        return MOTE_EINVAL;
    mote_store_repo *r = s->repo;
    mote_store_commit fc;
    int rc = mote_store_commit_read(r, from, &fc);
    if (rc)
        return rc;
    mote_store_hash ftree = fc.tree;
    mote_store_commit_clear(&fc);
    for (unsigned attempt = 0; attempt <= r->cfg.max_retries; attempt++) {
        mote_store_hash head, root;
        int has;
        if ((rc = head_root(s, &head, &root, &has)) != 0)
            return rc;
        if (!has) {
            rc = handle_cas(s, NULL, from);
            if (rc == MOTE_ECONFLICT)
                continue;
            if (!rc && commit_out)
                *commit_out = *from;
            return rc;
        }
        int anc = mote_store_is_ancestor(r, from, &head);
        if (anc < 0)
            return anc;
        if (anc) {
            if (commit_out)
                *commit_out = head;
            return 0;
        }
        if (!no_ff) {
            anc = mote_store_is_ancestor(r, &head, from);
            if (anc < 0)
                return anc;
            if (anc) {
                rc = handle_cas(s, &head, from);
                if (rc == MOTE_ECONFLICT)
                    continue;
                if (!rc && commit_out)
                    *commit_out = *from;
                return rc;
            }
        }
        mote_store_hash base, merged, commit;
        int hb = 0;
        if ((rc = virtual_base(r, &head, from, 0, &base, &hb)) != 0)
            return rc;
        if ((rc = mote_store_merge_trees(r, hb ? &base : NULL, &root, &ftree, &merged,
                                         conflicts)) != 0)
            return rc;
        if (mote_store_hash_eq(&merged, &st_empty_tree) && (rc = ensure_empty_tree(r)) != 0)
            return rc;
        mote_store_hash parents[2] = {head, *from};
        if ((rc = make_commit(r, &merged, parents, 2, info, &commit)) != 0)
            return rc;
        rc = handle_cas(s, &head, &commit);
        if (rc == 0) {
            if (commit_out)
                *commit_out = commit;
            return 0;
        }
        if (rc != MOTE_ECONFLICT)
            return rc;
    }
    return MOTE_EBUSY;
}

int mote_store_merge_into(mote_store *s, const char *from, const mote_store_info *info,
                          mote_store_conflicts *conflicts, mote_store_hash *commit_out)
{
    if (!s)
        return MOTE_EINVAL;
    mote_store_hash h;
    int rc = mote_store_branch_head(s->repo, from, &h);
    if (rc)
        return rc;
    return mote_store_merge_commit(s, &h, 0, info, conflicts, commit_out);
}

int mote_store_fast_forward(mote_store *s, const mote_store_hash *commit)
{
    if (!s || !commit)
        return MOTE_EINVAL;
    for (unsigned attempt = 0; attempt <= s->repo->cfg.max_retries; attempt++) {
        mote_store_hash head;
        int rc = mote_store_head(s, &head);
        if (rc && rc != MOTE_ENOTFOUND)
            return rc;
        int has = rc == 0;
        if (has) {
            int anc = mote_store_is_ancestor(s->repo, &head, commit);
            if (anc < 0)
                return anc;
            if (!anc)
                return MOTE_ECONFLICT;
            if (mote_store_hash_eq(&head, commit))
                return 0;
        } else {
            mote_store_commit c;
            if ((rc = mote_store_commit_read(s->repo, commit, &c)) != 0)
                return rc;
            mote_store_commit_clear(&c);
        }
        rc = handle_cas(s, has ? &head : NULL, commit);
        if (rc != MOTE_ECONFLICT)
            return rc;
    }
    return MOTE_EBUSY;
}
