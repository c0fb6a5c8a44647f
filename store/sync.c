/*
 * sync.c - copying objects between repositories (fetch, pull, push) and
 * snapshots. Objects are written children first, so a repository that has
 * a commit or tree always has everything it reaches, even after a crash in
 * the middle of a copy.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mote/error.h"

#define SYNC_MAX_OBJECTS 10000000u

/* The ids an object refers to. */
static int children(int type, const mote_buf *b, mote_store_hash **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (type == MOTE_STORE_COMMIT) {
        mote_store_commit c;
        int rc = st_commit_decode(b->data ? b->data : (const uint8_t *)"", b->len, &c);
        if (rc)
            return rc;
        *out = malloc((c.nparents + 1) * sizeof **out);
        if (!*out) {
            mote_store_commit_clear(&c);
            return MOTE_ENOMEM;
        }
        (*out)[0] = c.tree;
        for (size_t i = 0; i < c.nparents; i++)
            (*out)[i + 1] = c.parents[i];
        *n = c.nparents + 1;
        mote_store_commit_clear(&c);
        return 0;
    }
    if (type == MOTE_STORE_TREE) {
        uint8_t *copy = malloc(b->len ? b->len : 1);
        if (!copy)
            return MOTE_ENOMEM;
        if (b->len)
            memcpy(copy, b->data, b->len);
        st_tree *t;
        int rc = st_tree_decode(copy, b->len, &t);
        if (rc) {
            free(copy);
            return rc;
        }
        *out = malloc((t->n + 1) * sizeof **out);
        if (!*out) {
            st_tree_unref(t);
            return MOTE_ENOMEM;
        }
        for (size_t i = 0; i < t->n; i++)
            if (t->e[i].mode != ST_MODE_GITLINK)
                memcpy((*out)[(*n)++].b, t->e[i].id, MOTE_STORE_HASH_LEN);
        st_tree_unref(t);
        return 0;
    }
    if (type == MOTE_STORE_BLOB)
        return 0;
    return MOTE_EUNSUPPORTED;
}

static int read_checked(mote_store_repo *src, const mote_store_hash *id, int *type, mote_buf *b)
{
    mote_buf_reset(b);
    if (mote_store_hash_eq(id, &st_empty_tree) && src->be.objects.exists(src->be.ctx, id) != 1) {
        *type = MOTE_STORE_TREE;
        return 0;
    }
    int rc = src->be.objects.read(src->be.ctx, id, type, b);
    if (rc)
        return rc;
    if (b->len > MOTE_STORE_MAX_OBJECT)
        return MOTE_ELIMIT;
    mote_store_hash check;
    mote_store_object_id(*type, b->data ? b->data : (const uint8_t *)"", b->len, &check);
    if (!mote_store_hash_eq(&check, id))
        return MOTE_EDECODE;
    return 0;
}

typedef int (*emit_fn)(void *arg, const mote_store_hash *id, int type, const mote_buf *b);

typedef struct frame {
    mote_store_hash id;
    int expanded;
} frame;

/* Post-order walk from root over src, skipping what dst has (dst may be
 * NULL), handing each object to emit after its children. */
static int walk_copy(mote_store_repo *dst, mote_store_repo *src, const mote_store_hash *root,
                     emit_fn emit, void *arg)
{
    st_map seen;
    st_map_init(&seen);
    frame *st = malloc(64 * sizeof *st);
    size_t n = 0, cap = 64, count = 0;
    mote_buf b;
    mote_buf_init(&b, MOTE_STORE_MAX_OBJECT);
    int rc = 0;
    if (!st)
        return MOTE_ENOMEM;
    st[n++] = (frame){*root, 0};
    while (!rc && n) {
        frame f = st[--n];
        int type;
        if (f.expanded) {
            if ((rc = read_checked(src, &f.id, &type, &b)) != 0)
                break;
            rc = emit(arg, &f.id, type, &b);
            continue;
        }
        if (st_map_get(&seen, &f.id))
            continue;
        if ((rc = st_map_put(&seen, &f.id, NULL)) != 0)
            break;
        if (++count > SYNC_MAX_OBJECTS) {
            rc = MOTE_ELIMIT;
            break;
        }
        if (dst) {
            int ex = dst->be.objects.exists(dst->be.ctx, &f.id);
            if (ex < 0) {
                rc = ex;
                break;
            }
            if (ex)
                continue;
        }
        if ((rc = read_checked(src, &f.id, &type, &b)) != 0)
            break;
        mote_store_hash *kids;
        size_t nk;
        if ((rc = children(type, &b, &kids, &nk)) != 0)
            break;
        if (n + nk + 1 > cap) {
            size_t nc = (n + nk + 1) * 2;
            frame *ns = realloc(st, nc * sizeof *ns);
            if (!ns) {
                free(kids);
                rc = MOTE_ENOMEM;
                break;
            }
            st = ns;
            cap = nc;
        }
        st[n++] = (frame){f.id, 1};
        for (size_t i = 0; i < nk; i++)
            if (!st_map_get(&seen, &kids[i]))
                st[n++] = (frame){kids[i], 0};
        free(kids);
    }
    free(st);
    st_map_free(&seen);
    mote_buf_free(&b);
    return rc;
}

static int emit_write(void *arg, const mote_store_hash *id, int type, const mote_buf *b)
{
    mote_store_repo *dst = arg;
    return dst->be.objects.write(dst->be.ctx, type, b->data ? b->data : (const uint8_t *)"", b->len,
                                 id);
}

int mote_store_copy(mote_store_repo *dst, mote_store_repo *src, const mote_store_hash *commit)
{
    if (!dst || !src || !commit)
        return MOTE_EINVAL;
    int rc = walk_copy(dst, src, commit, emit_write, dst);
    if (!rc)
        rc = st_flush(dst);
    return rc;
}

int mote_store_fetch(mote_store_repo *dst, mote_store_repo *src, const char *branch,
                     mote_store_hash *head)
{
    if (!dst || !src || !head)
        return MOTE_EINVAL;
    int rc = mote_store_branch_head(src, branch, head);
    if (rc)
        return rc;
    return mote_store_copy(dst, src, head);
}

int mote_store_pull(mote_store *s, mote_store_repo *src, const char *branch, int ff_only,
                    const mote_store_info *info, mote_store_conflicts *conflicts)
{
    if (!s || !src)
        return MOTE_EINVAL;
    mote_store_hash head;
    int rc = mote_store_fetch(s->repo, src, branch, &head);
    if (rc)
        return rc;
    if (ff_only)
        return mote_store_fast_forward(s, &head);
    return mote_store_merge_commit(s, &head, 0, info, conflicts, NULL);
}

int mote_store_push(mote_store *s, mote_store_repo *dst, const char *branch, int force)
{
    if (!s || !dst || !mote_store_branch_valid(branch))
        return MOTE_EINVAL;
    mote_store_hash head;
    int rc = mote_store_head(s, &head);
    if (rc)
        return rc;
    if ((rc = mote_store_copy(dst, s->repo, &head)) != 0)
        return rc;
    for (unsigned i = 0; i <= dst->cfg.max_retries; i++) {
        mote_store_hash cur;
        int g = mote_store_branch_head(dst, branch, &cur);
        if (g && g != MOTE_ENOTFOUND)
            return g;
        if (g == 0 && mote_store_hash_eq(&cur, &head))
            return 0;
        if (g == 0 && !force) {
            int anc = mote_store_is_ancestor(dst, &cur, &head);
            if (anc < 0)
                return anc;
            if (!anc)
                return MOTE_ECONFLICT;
        }
        rc = mote_store_branch_test_and_set(dst, branch, g == 0 ? &cur : NULL, &head);
        if (rc != MOTE_ECONFLICT)
            return rc;
    }
    return MOTE_EBUSY;
}

/* ---- snapshots ---- */

static const char snap_magic[] = "MOTESNAP1\n";

static int emit_snap(void *arg, const mote_store_hash *id, int type, const mote_buf *b)
{
    (void)id;
    mote_buf *out = arg;
    int rc = mote_buf_append_byte(out, (uint8_t)type);
    if (!rc)
        rc = mote_buf_append_be32(out, (uint32_t)b->len);
    if (!rc && b->len)
        rc = mote_buf_append(out, b->data, b->len);
    return rc;
}

int mote_store_export(mote_store_repo *r, const mote_store_hash *commit, mote_buf *out)
{
    if (!r || !commit || !out)
        return MOTE_EINVAL;
    mote_store_commit c;
    int rc = mote_store_commit_read(r, commit, &c);
    if (rc)
        return rc;
    mote_store_commit_clear(&c);
    size_t before = out->len;
    rc = mote_buf_append(out, snap_magic, sizeof snap_magic - 1);
    if (!rc)
        rc = mote_buf_append(out, commit->b, MOTE_STORE_HASH_LEN);
    if (!rc)
        rc = walk_copy(NULL, r, commit, emit_snap, out);
    if (rc)
        mote_buf_truncate(out, before);
    return rc;
}

int mote_store_import(mote_store_repo *r, mote_slice snap, mote_store_hash *commit)
{
    if (!r || !commit)
        return MOTE_EINVAL;
    mote_reader rd;
    mote_reader_init(&rd, snap.ptr, snap.len);
    mote_slice magic, idb;
    mote_reader_bytes(&rd, sizeof snap_magic - 1, &magic);
    mote_reader_bytes(&rd, MOTE_STORE_HASH_LEN, &idb);
    if (rd.err || memcmp(magic.ptr, snap_magic, magic.len) != 0)
        return MOTE_EDECODE;
    mote_store_hash want;
    memcpy(want.b, idb.ptr, MOTE_STORE_HASH_LEN);
    size_t count = 0;
    mote_buf b;
    mote_buf_init(&b, MOTE_STORE_MAX_OBJECT);
    int rc = 0;
    while (!rc && mote_reader_left(&rd) > 0) {
        uint8_t type;
        uint32_t len;
        mote_slice body;
        mote_reader_u8(&rd, &type);
        mote_reader_u32(&rd, &len);
        if (rd.err) {
            rc = MOTE_EDECODE;
            break;
        }
        if (len > MOTE_STORE_MAX_OBJECT || ++count > SYNC_MAX_OBJECTS) {
            rc = MOTE_ELIMIT;
            break;
        }
        if (type < MOTE_STORE_COMMIT || type > MOTE_STORE_BLOB ||
            mote_reader_bytes(&rd, len, &body) != 0) {
            rc = MOTE_EDECODE;
            break;
        }
        /* everything it refers to must be there already */
        mote_buf_reset(&b);
        if ((rc = mote_buf_append(&b, body.ptr, body.len)) != 0)
            break;
        mote_store_hash *kids;
        size_t nk;
        if ((rc = children(type, &b, &kids, &nk)) != 0)
            break;
        for (size_t i = 0; !rc && i < nk; i++) {
            if (mote_store_hash_eq(&kids[i], &st_empty_tree))
                continue;
            int ex = r->be.objects.exists(r->be.ctx, &kids[i]);
            if (ex < 0)
                rc = ex;
            else if (!ex)
                rc = MOTE_EDECODE;
        }
        free(kids);
        mote_store_hash id;
        if (!rc)
            rc = st_write_obj(r, type, body.ptr ? body.ptr : (const uint8_t *)"", body.len, &id);
    }
    mote_buf_free(&b);
    if (!rc)
        rc = st_flush(r);
    if (rc)
        return rc;
    mote_store_commit c;
    if ((rc = mote_store_commit_read(r, &want, &c)) != 0)
        return rc == MOTE_ENOTFOUND ? MOTE_EDECODE : rc;
    mote_store_commit_clear(&c);
    *commit = want;
    return 0;
}
