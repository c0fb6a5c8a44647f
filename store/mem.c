/*
 * mem.c - the in-memory backend: objects in an id map, branches in a sorted
 * array. Fast, and with garbage collection of unreachable objects.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mote/error.h"

typedef struct mem_obj {
    int type;
    size_t len;
    uint8_t data[];
} mem_obj;

typedef struct mem_branch {
    char *name;
    mote_store_hash head;
} mem_branch;

typedef struct mem_be {
    st_map objs;
    mem_branch *br;
    size_t nbr, capbr;
} mem_be;

static int mem_read(void *ctx, const mote_store_hash *id, int *type, mote_buf *out)
{
    mem_be *m = ctx;
    void **p = st_map_get(&m->objs, id);
    if (!p)
        return MOTE_ENOTFOUND;
    mem_obj *o = *p;
    *type = o->type;
    return mote_buf_append(out, o->data, o->len);
}

static int mem_write(void *ctx, int type, const void *data, size_t len, const mote_store_hash *id)
{
    mem_be *m = ctx;
    int found;
    void **slot = st_map_probe(&m->objs, id, &found);
    if (!slot)
        return MOTE_ENOMEM;
    if (found)
        return 0;
    mem_obj *o = malloc(sizeof *o + len);
    if (!o) {
        st_map_del(&m->objs, id);
        return MOTE_ENOMEM;
    }
    o->type = type;
    o->len = len;
    if (len)
        memcpy(o->data, data, len);
    *slot = o;
    return 0;
}

static int mem_exists(void *ctx, const mote_store_hash *id)
{
    mem_be *m = ctx;
    return st_map_get(&m->objs, id) != NULL;
}

static int mem_flush(void *ctx)
{
    (void)ctx;
    return 0;
}

static long mem_find(mem_be *m, const char *name, size_t *pos)
{
    size_t lo = 0, hi = m->nbr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->br[mid].name, name);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return -1;
}

static int mem_get(void *ctx, const char *name, mote_store_hash *out)
{
    mem_be *m = ctx;
    size_t pos;
    long i = mem_find(m, name, &pos);
    if (i < 0)
        return MOTE_ENOTFOUND;
    *out = m->br[i].head;
    return 0;
}

static int mem_cas(void *ctx, const char *name, const mote_store_hash *expect,
                   const mote_store_hash *set)
{
    mem_be *m = ctx;
    size_t pos = 0;
    long i = mem_find(m, name, &pos);
    if (i < 0) {
        if (expect)
            return MOTE_ECONFLICT;
        if (!set)
            return 0;
        if (m->nbr == m->capbr) {
            size_t nc = m->capbr ? m->capbr * 2 : 8;
            mem_branch *nb = realloc(m->br, nc * sizeof *nb);
            if (!nb)
                return MOTE_ENOMEM;
            m->br = nb;
            m->capbr = nc;
        }
        char *dup = strdup(name);
        if (!dup)
            return MOTE_ENOMEM;
        memmove(&m->br[pos + 1], &m->br[pos], (m->nbr - pos) * sizeof *m->br);
        m->br[pos].name = dup;
        m->br[pos].head = *set;
        m->nbr++;
        return 0;
    }
    if (!expect || !mote_store_hash_eq(expect, &m->br[i].head))
        return MOTE_ECONFLICT;
    if (set) {
        m->br[i].head = *set;
        return 0;
    }
    free(m->br[i].name);
    memmove(&m->br[i], &m->br[i + 1], (m->nbr - (size_t)i - 1) * sizeof *m->br);
    m->nbr--;
    return 0;
}

static int mem_list(void *ctx, int (*fn)(void *arg, const char *name, const mote_store_hash *h),
                    void *arg)
{
    mem_be *m = ctx;
    for (size_t i = 0; i < m->nbr; i++) {
        int rc = fn(arg, m->br[i].name, &m->br[i].head);
        if (rc)
            return rc;
    }
    return 0;
}

static void mem_close(void *ctx)
{
    mem_be *m = ctx;
    for (size_t i = 0; i < m->objs.cap; i++)
        if (m->objs.slots[i].used)
            free(m->objs.slots[i].val);
    st_map_free(&m->objs);
    for (size_t i = 0; i < m->nbr; i++)
        free(m->br[i].name);
    free(m->br);
    free(m);
}

mote_store_repo *mote_store_mem_new(const mote_store_config *cfg, int *err)
{
    mem_be *m = calloc(1, sizeof *m);
    if (!m) {
        if (err)
            *err = MOTE_ENOMEM;
        return NULL;
    }
    st_map_init(&m->objs);
    mote_store_backend be = {
        .objects = {mem_read, mem_write, mem_exists, mem_flush},
        .branches = {mem_get, mem_cas, mem_list},
        .close = mem_close,
        .ctx = m,
        .name = "mem",
    };
    return mote_store_repo_new(&be, cfg, err);
}

static mem_be *mem_of(mote_store_repo *r)
{
    return (r && r->be.close == mem_close) ? r->be.ctx : NULL;
}

long mote_store_mem_objects(mote_store_repo *r)
{
    mem_be *m = mem_of(r);
    return m ? (long)m->objs.n : MOTE_EUNSUPPORTED;
}

/* Marks everything reachable from id (an object of any type). */
static int mark(mem_be *m, st_map *live, const mote_store_hash *root)
{
    mote_store_hash *stack = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
#define PUSH(h)                                                                                    \
    do {                                                                                           \
        if (n == cap) {                                                                            \
            size_t nc = cap ? cap * 2 : 64;                                                        \
            mote_store_hash *ns = realloc(stack, nc * sizeof *ns);                                 \
            if (!ns) {                                                                             \
                rc = MOTE_ENOMEM;                                                                  \
                goto out;                                                                          \
            }                                                                                      \
            stack = ns;                                                                            \
            cap = nc;                                                                              \
        }                                                                                          \
        stack[n++] = (h);                                                                          \
    } while (0)
    PUSH(*root);
    while (n) {
        mote_store_hash id = stack[--n];
        if (st_map_get(live, &id))
            continue;
        void **p = st_map_get(&m->objs, &id);
        if (!p)
            continue; /* dangling: nothing to keep */
        if ((rc = st_map_put(live, &id, *p)) != 0)
            goto out;
        mem_obj *o = *p;
        if (o->type == MOTE_STORE_COMMIT) {
            mote_store_commit c;
            if (st_commit_decode(o->data, o->len, &c) == 0) {
                for (size_t i = 0; i < c.nparents; i++)
                    PUSH(c.parents[i]);
                mote_store_hash t = c.tree;
                mote_store_commit_clear(&c);
                PUSH(t);
            }
        } else if (o->type == MOTE_STORE_TREE) {
            uint8_t *copy = malloc(o->len ? o->len : 1);
            if (!copy) {
                rc = MOTE_ENOMEM;
                goto out;
            }
            memcpy(copy, o->data, o->len);
            st_tree *t;
            if (st_tree_decode(copy, o->len, &t) == 0) {
                for (size_t i = 0; i < t->n; i++) {
                    mote_store_hash h;
                    memcpy(h.b, t->e[i].id, MOTE_STORE_HASH_LEN);
                    if (t->e[i].mode != ST_MODE_GITLINK)
                        PUSH(h);
                }
                st_tree_unref(t);
            } else
                free(copy);
        }
    }
#undef PUSH
out:
    free(stack);
    return rc;
}

int mote_store_mem_gc(mote_store_repo *r, const mote_store_hash *roots, size_t nroots,
                      size_t *freed)
{
    mem_be *m = mem_of(r);
    if (!m)
        return MOTE_EUNSUPPORTED;
    st_map live;
    st_map_init(&live);
    int rc = 0;
    for (size_t i = 0; i < m->nbr && !rc; i++)
        rc = mark(m, &live, &m->br[i].head);
    for (size_t i = 0; i < nroots && !rc; i++)
        rc = mark(m, &live, &roots[i]);
    if (rc) {
        st_map_free(&live);
        return rc;
    }
    size_t nfreed = 0;
    for (size_t i = 0; i < m->objs.cap; i++)
        if (m->objs.slots[i].used && !st_map_get(&live, &m->objs.slots[i].key)) {
            free(m->objs.slots[i].val);
            nfreed++;
        }
    st_map_free(&m->objs);
    m->objs = live;
    /* the tree cache may hold trees that are gone: drop it */
    for (size_t i = 0; i < r->tcache.cap; i++)
        if (r->tcache.slots[i].used)
            st_tree_unref(r->tcache.slots[i].val);
    st_map_free(&r->tcache);
    r->has_last = 0;
    if (freed)
        *freed = nfreed;
    return 0;
}
