/*
 * git.c - the Git backend, through libgit2: objects in the repository's
 * object database (written loose, then gathered into packs in batches),
 * branches as refs/heads/<name> moved with compare-and-swap, and fetch and
 * push against Git remotes. Objects are kept in memory first and written,
 * before any branch moves, as one pack (pack.c); packs of a size are merged once there are
 * 16 of them, so a long run of commits leaves few packs and no loose
 * objects. Three-way merges are mote's, not libgit2's.
 */
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "mote/error.h"

#define LOCK_RETRIES    2000u       /* waits for a ref lock held by another writer */
#define PACKS_PER_LEVEL 16u         /* packs of one size before they are merged */
#define PENDING_MAX     (32u << 20) /* bytes kept in memory before a pack is written anyway */
#define KEEP_MAX        (1u << 20)  /* a small pack keeps its objects in memory up to this */
#define GATHER_MAX      20000u      /* merges of more objects go through libgit2 */

/* A pack this handle wrote, and the objects in it (for merging packs);
 * a pack of the lowest level also keeps its objects' content, so merging
 * it reads nothing back. */
typedef struct our_pack {
    char name[MOTE_STORE_HEX_LEN + 1];
    unsigned level;
    mote_store_hash *ids;
    size_t n;
    st_pack_obj *objs; /* NULL, or n objects (owned) in ids' order */
} our_pack;

typedef struct git_be {
    git_repository *repo;
    git_odb *odb;
    st_pack_obj *pending; /* written since the last flush, kept in memory */
    size_t npend, cappend;
    size_t pend_bytes;
    st_map pindex; /* id -> index + 1 in pending */
    our_pack *packs;
    size_t npacks;
    char *path;
    int direct_refs; /* refs may be written without libgit2 (no reflog) */
    const mote_log *log;
} git_be;

static void oid_of(git_oid *o, const mote_store_hash *h)
{
    git_oid_fromraw(o, h->b);
}

static void hash_of(mote_store_hash *h, const git_oid *o)
{
    memcpy(h->b, o->id, MOTE_STORE_HASH_LEN);
}

static int map_err(int e)
{
    switch (e) {
    case 0:
        return 0;
    case GIT_ENOTFOUND:
        return MOTE_ENOTFOUND;
    case GIT_EEXISTS:
        return MOTE_EEXIST;
    case GIT_EMODIFIED:
        return MOTE_ECONFLICT;
    case GIT_ELOCKED:
        return MOTE_EBUSY;
    case GIT_EINVALIDSPEC:
        return MOTE_EINVAL;
    case GIT_ENONFASTFORWARD:
        return MOTE_ECONFLICT;
    default:
        return MOTE_EIO;
    }
}

static void pause_briefly(void)
{
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
}

static const char *git_msg(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "?";
}

/* Whether ref updates must be logged (core.logAllRefUpdates, whose
 * default is on in repositories with a work tree): then libgit2 moves
 * refs, so the reflog is kept. */
static int wants_reflog(git_repository *repo)
{
    git_config *cfg;
    int on = !git_repository_is_bare(repo);
    if (git_repository_config_snapshot(&cfg, repo) == 0) {
        git_buf v = {0};
        if (git_config_get_string_buf(&v, cfg, "core.logAllRefUpdates") == 0) {
            int b;
            if (strcmp(v.ptr, "always") == 0)
                on = 1;
            else if (git_config_parse_bool(&b, v.ptr) == 0)
                on = b;
            else
                on = 1;
        }
        git_buf_dispose(&v);
        git_config_free(cfg);
    }
    return on;
}

/* (Re)opens the repository and its object database, with an in-memory
 * backend in front that takes every write until the next flush. */
static int g_open(git_be *g)
{
    int e = git_repository_open_ext(&g->repo, g->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (!e)
        e = git_repository_odb(&g->odb, g->repo);
    if (!e)
        g->direct_refs = !wants_reflog(g->repo);
    if (e) {
        git_odb_free(g->odb);
        git_repository_free(g->repo);
        g->odb = NULL;
        g->repo = NULL;
        return e == GIT_ENOTFOUND ? MOTE_ENOTFOUND : MOTE_EIO;
    }
    return 0;
}

static void g_shut(git_be *g)
{
    git_odb_free(g->odb);
    git_repository_free(g->repo);
    g->odb = NULL;
    g->repo = NULL;
}

/* Reopens, dropping packs that were deleted (by us or by a repack in
 * another process). */
static int g_reopen(git_be *g)
{
    g_shut(g);
    return g_open(g);
}

static int read_once(git_be *g, const git_oid *oid, int *type, mote_buf *out)
{
    size_t len;
    git_object_t t;
    int e = git_odb_read_header(&len, &t, g->odb, oid);
    if (e)
        return e == GIT_ENOTFOUND ? MOTE_ENOTFOUND : MOTE_EIO;
    if (len > MOTE_STORE_MAX_OBJECT)
        return MOTE_ELIMIT;
    git_odb_object *o;
    if ((e = git_odb_read(&o, g->odb, oid)) != 0)
        return e == GIT_ENOTFOUND ? MOTE_ENOTFOUND : MOTE_EIO;
    size_t n = git_odb_object_size(o);
    int rc =
        n > MOTE_STORE_MAX_OBJECT ? MOTE_ELIMIT : mote_buf_append(out, git_odb_object_data(o), n);
    *type = (int)git_odb_object_type(o);
    git_odb_object_free(o);
    return rc;
}

static int g_read(void *ctx, const mote_store_hash *id, int *type, mote_buf *out)
{
    git_be *g = ctx;
    void **pi = st_map_get(&g->pindex, id);
    if (pi) {
        const st_pack_obj *o = &g->pending[(uintptr_t)*pi - 1];
        *type = o->type;
        return mote_buf_append(out, o->data, o->len);
    }
    git_oid oid;
    oid_of(&oid, id);
    size_t before = out->len;
    int rc = read_once(g, &oid, type, out);
    if ((rc == MOTE_EIO || rc == MOTE_ENOTFOUND) && g_reopen(g) == 0) {
        /* a pack went away under us (merged by another writer) before we
         * saw the pack that replaced it: look again with fresh packs */
        mote_buf_truncate(out, before);
        rc = read_once(g, &oid, type, out);
    }
    return rc;
}

static int g_exists(void *ctx, const mote_store_hash *id)
{
    git_be *g = ctx;
    if (st_map_get(&g->pindex, id))
        return 1;
    git_oid oid;
    oid_of(&oid, id);
    /* with a re-scan of the packs when not found: another process may
     * have written it */
    return git_odb_exists(g->odb, &oid) ? 1 : 0;
}

static int g_flush(void *ctx);

static int g_write(void *ctx, int type, const void *data, size_t len, const mote_store_hash *id)
{
    git_be *g = ctx;
    git_oid want;
    oid_of(&want, id);
    /* no re-scan of the pack directory for each new object: at worst an
     * object another process just wrote is written twice */
    if (st_map_get(&g->pindex, id) || git_odb_exists_ext(g->odb, &want, GIT_ODB_LOOKUP_NO_REFRESH))
        return 0;
    if (g->npend == g->cappend) {
        size_t nc = g->cappend ? g->cappend * 2 : 64;
        st_pack_obj *np = realloc(g->pending, nc * sizeof *np);
        if (!np)
            return MOTE_ENOMEM;
        g->pending = np;
        g->cappend = nc;
    }
    st_pack_obj *o = &g->pending[g->npend];
    o->data = malloc(len ? len : 1);
    if (!o->data)
        return MOTE_ENOMEM;
    if (len)
        memcpy(o->data, data, len);
    o->len = len;
    o->type = type;
    o->id = *id;
    int rc = st_map_put(&g->pindex, id, (void *)(uintptr_t)(g->npend + 1));
    if (rc) {
        free(o->data);
        return rc;
    }
    g->npend++;
    g->pend_bytes += len;
    /* a long batch or transaction: write what is waiting now (objects may
     * always reach the disk before the branch that refers to them moves) */
    if (g->pend_bytes >= PENDING_MAX)
        return g_flush(g);
    return 0;
}

static void free_objs(st_pack_obj *o, size_t n)
{
    for (size_t i = 0; o && i < n; i++)
        free(o[i].data);
    free(o);
}

static void drop_pending(git_be *g)
{
    for (size_t i = 0; i < g->npend; i++)
        free(g->pending[i].data);
    g->npend = 0;
    g->pend_bytes = 0;
    st_map_free(&g->pindex);
}

static void pack_paths(git_be *g, const char *name, char *pack, char *idx, size_t n)
{
    const char *gd = git_repository_path(g->repo);
    snprintf(pack, n, "%sobjects/pack/pack-%s.pack", gd, name);
    snprintf(idx, n, "%sobjects/pack/pack-%s.idx", gd, name);
}

static void free_pack(our_pack *p)
{
    free(p->ids);
    free_objs(p->objs, p->n);
}

static int add_pack(git_be *g, const char *name, unsigned level, mote_store_hash *ids, size_t n,
                    st_pack_obj *objs)
{
    our_pack *np = realloc(g->packs, (g->npacks + 1) * sizeof *np);
    if (!np)
        return MOTE_ENOMEM;
    g->packs = np;
    our_pack *p = &g->packs[g->npacks++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->level = level;
    p->ids = ids;
    p->n = n;
    p->objs = objs;
    return 0;
}

/* The level of a pack of n objects: 0 below 64, then one more for each
 * factor of PACKS_PER_LEVEL. */
static unsigned pack_level(size_t n)
{
    unsigned l = 0;
    for (size_t lim = 64; n >= lim && l < 8; lim *= PACKS_PER_LEVEL)
        l++;
    return l;
}

/* Gathers the objects of the packs of one level, each once, oldest first
 * (so a tree's older version comes before it and can be its delta base):
 * borrowed from the packs that keep them, read back for the others. */
static int gather(git_be *g, unsigned level, st_pack_obj **out, size_t *nout, uint8_t **owned)
{
    size_t total = 0;
    for (size_t i = 0; i < g->npacks; i++)
        if (g->packs[i].level == level)
            total += g->packs[i].n;
    st_pack_obj *v = calloc(total ? total : 1, sizeof *v);
    uint8_t *own = calloc(total ? total : 1, 1);
    st_map seen;
    st_map_init(&seen);
    int rc = v && own ? 0 : MOTE_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < g->npacks && !rc; i++) {
        our_pack *p = &g->packs[i];
        if (p->level != level)
            continue;
        for (size_t j = 0; j < p->n && !rc; j++) {
            int found;
            void **slot = st_map_probe(&seen, &p->ids[j], &found);
            if (!slot) {
                rc = MOTE_ENOMEM;
                break;
            }
            if (found)
                continue;
            *slot = (void *)1;
            if (p->objs) {
                v[k++] = p->objs[j];
                continue;
            }
            git_oid oid;
            git_odb_object *o;
            oid_of(&oid, &p->ids[j]);
            if (git_odb_read(&o, g->odb, &oid) != 0) {
                rc = MOTE_EIO;
                break;
            }
            size_t n = git_odb_object_size(o);
            v[k].data = malloc(n ? n : 1);
            if (!v[k].data) {
                git_odb_object_free(o);
                rc = MOTE_ENOMEM;
                break;
            }
            memcpy(v[k].data, git_odb_object_data(o), n);
            v[k].len = n;
            v[k].type = (int)git_odb_object_type(o);
            v[k].id = p->ids[j];
            own[k++] = 1;
            git_odb_object_free(o);
        }
    }
    st_map_free(&seen);
    *out = v;
    *nout = k;
    *owned = own;
    return rc;
}

/* A big merge, through libgit2's pack builder: it streams the new pack to
 * disk and bounds its memory, where mote's own merge holds every object
 * of the level in memory. */
static int merge_builder(git_be *g, unsigned level, mote_store_hash **out, size_t *nout, char *name)
{
    size_t total = 0;
    for (size_t i = 0; i < g->npacks; i++)
        if (g->packs[i].level == level)
            total += g->packs[i].n;
    mote_store_hash *ids = malloc((total ? total : 1) * sizeof *ids);
    if (!ids)
        return MOTE_ENOMEM;
    st_map seen;
    st_map_init(&seen);
    git_packbuilder *pb = NULL;
    int rc = git_packbuilder_new(&pb, g->repo) ? MOTE_EIO : 0;
    if (!rc)
        git_packbuilder_set_threads(pb, 1);
    size_t k = 0;
    for (size_t i = 0; i < g->npacks && !rc; i++) {
        if (g->packs[i].level != level)
            continue;
        for (size_t j = 0; j < g->packs[i].n && !rc; j++) {
            int found;
            void **slot = st_map_probe(&seen, &g->packs[i].ids[j], &found);
            if (!slot) {
                rc = MOTE_ENOMEM;
                break;
            }
            if (found)
                continue;
            *slot = (void *)1;
            git_oid oid;
            oid_of(&oid, &g->packs[i].ids[j]);
            if (git_packbuilder_insert(pb, &oid, NULL) != 0)
                rc = MOTE_EIO;
            ids[k++] = g->packs[i].ids[j];
        }
    }
    if (!rc && git_packbuilder_write(pb, NULL, 0, NULL, NULL) != 0)
        rc = MOTE_EIO;
    if (!rc && git_packbuilder_name(pb))
        snprintf(name, MOTE_STORE_HEX_LEN + 1, "%s", git_packbuilder_name(pb));
    else if (!rc)
        rc = MOTE_EIO;
    git_packbuilder_free(pb);
    st_map_free(&seen);
    if (rc) {
        free(ids);
        return rc;
    }
    *out = ids;
    *nout = k;
    return 0;
}

/* Merges the packs of one level into one bigger pack once there are
 * PACKS_PER_LEVEL of them, so a long run of commits leaves a logarithmic
 * number of packs and each object is rewritten a logarithmic number of
 * times. The new pack (with its trees as deltas, pack.c) is complete, index
 * and all, before the old ones go. */
static void merge_packs(git_be *g, unsigned level)
{
    size_t count = 0, objects = 0;
    for (size_t i = 0; i < g->npacks; i++)
        if (g->packs[i].level == level) {
            count++;
            objects += g->packs[i].n;
        }
    if (count < PACKS_PER_LEVEL)
        return;
    size_t k = 0;
    char dir[4200], name[MOTE_STORE_HEX_LEN + 1] = "";
    snprintf(dir, sizeof dir, "%sobjects/pack", git_repository_path(g->repo));
    mote_store_hash *ids = NULL;
    int rc;
    if (objects > GATHER_MAX) {
        rc = merge_builder(g, level, &ids, &k, name);
    } else {
        st_pack_obj *v = NULL;
        uint8_t *own = NULL;
        rc = gather(g, level, &v, &k, &own);
        if (!rc)
            rc = k ? st_pack_write(dir, v, k, Z_DEFAULT_COMPRESSION, name) : MOTE_EINVAL;
        if (!rc && !(ids = malloc(k * sizeof *ids)))
            rc = MOTE_ENOMEM;
        for (size_t i = 0; ids && i < k; i++)
            ids[i] = v[i].id;
        for (size_t i = 0; v && i < k; i++)
            if (own[i])
                free(v[i].data);
        free(v);
        free(own);
    }
    if (rc || !ids) {
        mote_logf(g->log, MOTE_LOG_WARN, "store.git", "merging packs failed: %s",
                  mote_strerror(rc ? rc : MOTE_ENOMEM));
        free(ids);
        return;
    }
    size_t w = 0;
    for (size_t i = 0; i < g->npacks; i++) {
        if (g->packs[i].level == level) {
            if (strcmp(g->packs[i].name, name) != 0) {
                char pack[4200], idx[4200];
                pack_paths(g, g->packs[i].name, pack, idx, sizeof pack);
                unlink(idx);
                unlink(pack);
            }
            free_pack(&g->packs[i]);
        } else
            g->packs[w++] = g->packs[i];
    }
    g->npacks = w;
    unsigned nl = pack_level(k) > level ? pack_level(k) : level + 1;
    if (add_pack(g, name, nl, ids, k, NULL) != 0)
        free(ids);
    g_reopen(g);
    merge_packs(g, nl);
}

/* Writes what is waiting in memory as one pack, indexed and in place
 * before it returns (a branch may then point at it). */
static int g_flush(void *ctx)
{
    git_be *g = ctx;
    if (!g->npend)
        return 0;
    char dir[4200], name[MOTE_STORE_HEX_LEN + 1];
    snprintf(dir, sizeof dir, "%sobjects/pack", git_repository_path(g->repo));
    size_t n = g->npend;
    unsigned level = pack_level(n);
    /* a small pack is merged (and compressed) soon: store it as it is */
    int rc =
        st_pack_write(dir, g->pending, n, level ? Z_DEFAULT_COMPRESSION : Z_NO_COMPRESSION, name);
    if (rc) {
        mote_logf(g->log, MOTE_LOG_ERROR, "store.git", "writing a pack in %s failed: %s", dir,
                  mote_strerror(rc));
        return rc;
    }
    mote_store_hash *ids = malloc(n * sizeof *ids);
    if (ids)
        for (size_t i = 0; i < n; i++)
            ids[i] = g->pending[i].id;
    st_pack_obj *objs = NULL;
    if (ids && level == 0 && g->pend_bytes <= KEEP_MAX &&
        (objs = malloc(n * sizeof *objs)) != NULL) {
        /* the pack keeps the objects' content for its merge */
        memcpy(objs, g->pending, n * sizeof *objs);
        g->npend = 0;
    }
    drop_pending(g);
    if (!ids || add_pack(g, name, level, ids, n, objs) != 0) {
        free(ids); /* only merging this pack later is lost */
        free_objs(objs, n);
    }
    merge_packs(g, level);
    return 0;
}

static int refname(char *out, size_t n, const char *name)
{
    int k = snprintf(out, n, "refs/heads/%s", name);
    return (k > 0 && (size_t)k < n) ? 0 : MOTE_ELIMIT;
}

/* Reads a loose ref file directly: 0 and *out, 1 when the ref is not a
 * plain loose ref (missing, symbolic, odd) and libgit2 must look, or an
 * error. */
static int read_loose(const char *path, mote_store_hash *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    char buf[64];
    ssize_t k = read(fd, buf, sizeof buf);
    close(fd);
    if (!(k == MOTE_STORE_HEX_LEN ||
          (k == MOTE_STORE_HEX_LEN + 1 && buf[MOTE_STORE_HEX_LEN] == '\n')))
        return 1;
    buf[MOTE_STORE_HEX_LEN] = 0;
    return mote_store_hash_parse(buf, out) == 0 ? 0 : 1;
}

static int g_get(void *ctx, const char *name, mote_store_hash *out)
{
    git_be *g = ctx;
    char rn[MOTE_STORE_MAX_BRANCH + 16];
    int rc = refname(rn, sizeof rn, name);
    if (rc)
        return rc;
    char path[4400];
    snprintf(path, sizeof path, "%s%s", git_repository_path(g->repo), rn);
    if (read_loose(path, out) == 0)
        return 0;
    git_oid oid;
    int e = git_reference_name_to_id(&oid, g->repo, rn);
    if (e)
        return map_err(e);
    hash_of(out, &oid);
    return 0;
}

/* Moves a branch from expect to set as git does, without libgit2: take
 * refs/heads/<b>.lock (O_EXCL), check the loose ref still holds expect,
 * write the lock, rename it over the ref. 1 when this does not apply (the
 * ref is packed, symbolic or missing, or a reflog must be written): the
 * caller then goes through libgit2. MOTE_EBUSY while another writer holds
 * the lock. */
static int cas_direct(git_be *g, const char *rn, const mote_store_hash *expect,
                      const mote_store_hash *set)
{
    if (!g->direct_refs)
        return 1;
    const char *gd = git_repository_path(g->repo);
    char path[4400], lock[4400], logp[4400];
    snprintf(path, sizeof path, "%s%s", gd, rn);
    snprintf(lock, sizeof lock, "%s%s.lock", gd, rn);
    snprintf(logp, sizeof logp, "%slogs/%s", gd, rn);
    if (access(logp, F_OK) == 0)
        return 1; /* this ref has a reflog: libgit2 appends to it */
    int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return errno == EEXIST ? MOTE_EBUSY : 1;
    mote_store_hash cur;
    int r = read_loose(path, &cur);
    if (r == 0 && !mote_store_hash_eq(&cur, expect))
        r = MOTE_ECONFLICT;
    if (r == 0) {
        char line[MOTE_STORE_HEX_LEN + 2];
        mote_store_hash_hex(set, line);
        line[MOTE_STORE_HEX_LEN] = '\n';
        if (write(fd, line, sizeof line - 1) != (ssize_t)(sizeof line - 1))
            r = MOTE_EIO;
    }
    if (close(fd) != 0 && r == 0)
        r = MOTE_EIO;
    if (r == 0 && rename(lock, path) != 0)
        r = MOTE_EIO;
    if (r != 0)
        unlink(lock);
    return r;
}

static int g_cas_once(git_be *g, const char *rn, const mote_store_hash *expect,
                      const mote_store_hash *set)
{
    git_oid eo, so;
    git_reference *ref = NULL;
    int e;
    if (set)
        oid_of(&so, set);
    if (expect)
        oid_of(&eo, expect);
    if (set && !expect) {
        e = git_reference_create(&ref, g->repo, rn, &so, 0, "mote: create");
        if (e == GIT_EEXISTS)
            return MOTE_ECONFLICT;
    } else if (set) {
        int d = cas_direct(g, rn, expect, set);
        if (d <= 0)
            return d;
        e = git_reference_create_matching(&ref, g->repo, rn, &so, 1, &eo, "mote: update");
        if (e == GIT_ENOTFOUND || e == GIT_EMODIFIED)
            return MOTE_ECONFLICT;
    } else {
        e = git_reference_lookup(&ref, g->repo, rn);
        if (e == GIT_ENOTFOUND)
            return expect ? MOTE_ECONFLICT : 0;
        if (e)
            return map_err(e);
        if (!expect || !git_reference_target(ref) ||
            git_oid_cmp(git_reference_target(ref), &eo) != 0) {
            git_reference_free(ref);
            return MOTE_ECONFLICT;
        }
        e = git_reference_delete(ref);
        if (e == GIT_EMODIFIED || e == GIT_ENOTFOUND)
            e = GIT_EMODIFIED;
    }
    git_reference_free(ref);
    return map_err(e);
}

static int g_cas(void *ctx, const char *name, const mote_store_hash *expect,
                 const mote_store_hash *set)
{
    git_be *g = ctx;
    char rn[MOTE_STORE_MAX_BRANCH + 16];
    int rc = refname(rn, sizeof rn, name);
    if (rc)
        return rc;
    for (unsigned i = 0; i < LOCK_RETRIES; i++) {
        rc = g_cas_once(g, rn, expect, set);
        if (rc != MOTE_EBUSY)
            return rc;
        pause_briefly(); /* another process holds the ref's lock */
    }
    return MOTE_EBUSY;
}

typedef struct named {
    char *name;
    mote_store_hash head;
} named;

static int named_cmp(const void *a, const void *b)
{
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

static int g_list(void *ctx, int (*fn)(void *arg, const char *name, const mote_store_hash *h),
                  void *arg)
{
    git_be *g = ctx;
    git_branch_iterator *it;
    int e = git_branch_iterator_new(&it, g->repo, GIT_BRANCH_LOCAL);
    if (e)
        return map_err(e);
    named *v = NULL;
    size_t n = 0;
    int rc = 0;
    git_reference *ref;
    git_branch_t bt;
    while (!rc && (e = git_branch_next(&ref, &bt, it)) == 0) {
        git_reference *res = NULL;
        const char *sh = git_reference_shorthand(ref);
        if (mote_store_branch_valid(sh) && git_reference_resolve(&res, ref) == 0 &&
            git_reference_target(res)) {
            named *nv = realloc(v, (n + 1) * sizeof *nv);
            if (!nv)
                rc = MOTE_ENOMEM;
            else {
                v = nv;
                v[n].name = strdup(sh);
                if (!v[n].name)
                    rc = MOTE_ENOMEM;
                else
                    hash_of(&v[n++].head, git_reference_target(res));
            }
        }
        git_reference_free(res);
        git_reference_free(ref);
    }
    git_branch_iterator_free(it);
    if (!rc && e != GIT_ITEROVER)
        rc = map_err(e);
    if (!rc && n)
        qsort(v, n, sizeof *v, named_cmp);
    for (size_t i = 0; i < n; i++) {
        if (!rc)
            rc = fn(arg, v[i].name, &v[i].head);
        free(v[i].name);
    }
    free(v);
    return rc;
}

static void g_close(void *ctx)
{
    git_be *g = ctx;
    g_flush(g);
    drop_pending(g);
    free(g->pending);
    for (size_t i = 0; i < g->npacks; i++)
        free_pack(&g->packs[i]);
    free(g->packs);
    g_shut(g);
    free(g->path);
    free(g);
    git_libgit2_shutdown();
}

mote_store_repo *mote_store_git_open(const char *path, int create, const mote_store_config *cfg,
                                     int *err)
{
    if (!path) {
        if (err)
            *err = MOTE_EINVAL;
        return NULL;
    }
    git_libgit2_init();
    git_be *g = calloc(1, sizeof *g);
    if (!g || !(g->path = strdup(path))) {
        free(g);
        git_libgit2_shutdown();
        if (err)
            *err = MOTE_ENOMEM;
        return NULL;
    }
    g->log = cfg ? cfg->log : NULL;
    int rc = g_open(g);
    if (rc == MOTE_ENOTFOUND && create) {
        git_repository *repo;
        git_repository_init_options o;
        git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
        o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
        o.initial_head = "main";
        if (git_repository_init_ext(&repo, path, &o) == 0) {
            git_repository_free(repo);
            rc = g_open(g);
        } else
            rc = MOTE_EIO;
    }
    if (rc) {
        mote_logf(g->log, MOTE_LOG_ERROR, "store.git", "cannot open %s: %s", path, git_msg());
        free(g->path);
        free(g);
        git_libgit2_shutdown();
        if (err)
            *err = rc;
        return NULL;
    }
    mote_store_backend be = {
        .objects = {g_read, g_write, g_exists, g_flush},
        .branches = {g_get, g_cas, g_list},
        .close = g_close,
        .ctx = g,
        .name = "git",
    };
    return mote_store_repo_new(&be, cfg, err);
}

const char *mote_store_git_dir(mote_store_repo *r)
{
    if (!st_git_backend(r))
        return NULL;
    git_be *g = r->be.ctx;
    return git_repository_path(g->repo);
}

int st_git_backend(mote_store_repo *r)
{
    return r && r->be.close == g_close;
}

/* ---- Git remotes ---- */

static int remote_head(git_remote *rem, const char *rn, mote_store_hash *head)
{
    const git_remote_head **heads;
    size_t n;
    int e = git_remote_ls(&heads, &n, rem);
    if (e)
        return map_err(e);
    for (size_t i = 0; i < n; i++)
        if (strcmp(heads[i]->name, rn) == 0) {
            hash_of(head, &heads[i]->oid);
            return 0;
        }
    return MOTE_ENOTFOUND;
}

int mote_store_git_fetch(mote_store_repo *r, const char *url, const char *branch,
                         mote_store_hash *head)
{
    if (!r || !url || !head || !mote_store_branch_valid(branch))
        return MOTE_EINVAL;
    if (!st_git_backend(r))
        return MOTE_EUNSUPPORTED;
    if (r->batch)
        return MOTE_EBUSY;
    git_be *g = r->be.ctx;
    char rn[MOTE_STORE_MAX_BRANCH + 16];
    int rc = refname(rn, sizeof rn, branch);
    if (rc)
        return rc;
    git_remote *rem;
    int e = git_remote_create_anonymous(&rem, g->repo, url);
    if (e)
        return map_err(e) == MOTE_EINVAL ? MOTE_EINVAL : MOTE_EIO;
    char *specs[1] = {rn};
    git_strarray refspecs = {specs, 1};
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    fo.update_fetchhead = 0;
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    e = git_remote_fetch(rem, &refspecs, &fo, NULL);
    if (e) {
        mote_logf(g->log, MOTE_LOG_WARN, "store.git", "fetch from %s: %s", url,
                  git_error_last() ? git_error_last()->message : "?");
        rc = MOTE_EIO;
    } else
        rc = remote_head(rem, rn, head);
    git_remote_free(rem);
    git_odb_refresh(g->odb);
    if (!rc) {
        mote_store_commit c;
        rc = mote_store_commit_read(r, head, &c);
        mote_store_commit_clear(&c);
    }
    return rc;
}

typedef struct push_status {
    int rejected;
} push_status;

static int on_update_ref(const char *refname_, const char *status, void *data)
{
    (void)refname_;
    push_status *ps = data;
    if (status)
        ps->rejected = 1;
    return 0;
}

int mote_store_git_push(mote_store_repo *r, const char *url, const char *local_branch,
                        const char *remote_branch, int force)
{
    if (!r || !url || !mote_store_branch_valid(local_branch) ||
        !mote_store_branch_valid(remote_branch))
        return MOTE_EINVAL;
    if (!st_git_backend(r))
        return MOTE_EUNSUPPORTED;
    if (r->batch)
        return MOTE_EBUSY;
    git_be *g = r->be.ctx;
    mote_store_hash local, remote;
    int rc = mote_store_branch_head(r, local_branch, &local);
    if (rc)
        return rc;
    /* refuse a non-fast-forward ourselves: not every transport checks */
    rc = mote_store_git_fetch(r, url, remote_branch, &remote);
    if (rc && rc != MOTE_ENOTFOUND)
        return rc;
    if (rc == 0 && !force) {
        int anc = mote_store_is_ancestor(r, &remote, &local);
        if (anc < 0)
            return anc;
        if (!anc)
            return MOTE_ECONFLICT;
    }
    if (rc == 0 && mote_store_hash_eq(&remote, &local))
        return 0;
    /* the objects must be where a transport can see them */
    if ((rc = g_flush(g)) != 0)
        return rc;
    char spec[2 * MOTE_STORE_MAX_BRANCH + 40];
    snprintf(spec, sizeof spec, "%srefs/heads/%s:refs/heads/%s", force ? "+" : "", local_branch,
             remote_branch);
    git_remote *rem;
    int e = git_remote_create_anonymous(&rem, g->repo, url);
    if (e)
        return MOTE_EIO;
    char *specs[1] = {spec};
    git_strarray refspecs = {specs, 1};
    git_push_options po;
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    push_status ps = {0};
    po.callbacks.push_update_reference = on_update_ref;
    po.callbacks.payload = &ps;
    e = git_remote_push(rem, &refspecs, &po);
    if (e) {
        mote_logf(g->log, MOTE_LOG_WARN, "store.git", "push to %s: %s", url,
                  git_error_last() ? git_error_last()->message : "?");
        rc = e == GIT_ENONFASTFORWARD ? MOTE_ECONFLICT : MOTE_EIO;
    } else
        rc = ps.rejected ? MOTE_ECONFLICT : 0;
    git_remote_free(rem);
    return rc;
}
