/*
 * internal.h - private helpers of libmote-store (not installed).
 */
#ifndef MOTE_STORE_INTERNAL_H
#define MOTE_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mote/store.h"

/* ---- SHA-1 ---- */
#include <nettle/sha1.h>
typedef struct st_sha1 {
    struct sha1_ctx ctx;
} st_sha1;
void st_sha1_init(st_sha1 *c);
void st_sha1_update(st_sha1 *c, const void *data, size_t len);
void st_sha1_final(st_sha1 *c, uint8_t out[20]);

/* ---- a map from object ids to pointers (open addressing) ---- */
typedef struct st_map_slot {
    mote_store_hash key;
    void *val;
    int used;
} st_map_slot;
typedef struct st_map {
    st_map_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t n;
} st_map;
void st_map_init(st_map *m);
void st_map_free(st_map *m);
/* The slot's value pointer address, or NULL. */
void **st_map_get(const st_map *m, const mote_store_hash *k);
/* Inserts or replaces. */
int st_map_put(st_map *m, const mote_store_hash *k, void *val);
/* One probe for "insert unless present": the slot's value address, with
 * *found = 1 when k was there, or a new slot (value NULL, *found = 0) that
 * the caller fills or removes with st_map_del. NULL when out of memory. */
void **st_map_probe(st_map *m, const mote_store_hash *k, int *found);
/* Removes (backward-shift deletion); returns the old value or NULL. */
void *st_map_del(st_map *m, const mote_store_hash *k);

/* ---- objects ---- */
typedef struct st_entry {
    const char *name; /* into raw; not NUL-terminated */
    uint16_t namelen;
    uint32_t mode; /* 0100644, 0100755, 0120000, 040000, 0160000 */
    const uint8_t *id;
} st_entry;

/* SHA-1 checkpoints of a tree: ck[i] is the hash state after the first
 * (i + 1) * ST_CK bytes of "tree <len>\0" + raw. A change at some offset
 * that keeps the length leaves the checkpoints before it valid, so the id
 * of a tree with one entry rewritten is hashed from the last of those. */
#define ST_CK 512
typedef struct st_tree {
    mote_store_hash id;
    uint8_t *raw;
    size_t len;
    st_entry *e;
    size_t n;
    int refs;
    struct sha1_ctx *ck; /* owned; NULL: none */
    size_t nck, capck;   /* valid ones, allocated */
} st_tree;

#define ST_MODE_TREE    040000u
#define ST_MODE_BLOB    0100644u
#define ST_MODE_EXEC    0100755u
#define ST_MODE_LINK    0120000u
#define ST_MODE_GITLINK 0160000u

static inline int st_mode_is_tree(uint32_t m)
{
    return m == ST_MODE_TREE;
}

/* Decodes (and validates) tree content; takes ownership of raw on success
 * only. */
int st_tree_decode(uint8_t *raw, size_t len, st_tree **out);
/* As st_tree_decode, without the checks, for trees this library encoded. */
int st_tree_decode_trusted(uint8_t *raw, size_t len, st_tree **out);
void st_tree_unref(st_tree *t);
/* Index of the entry named so (any kind), or -1. */
long st_tree_find(const st_tree *t, const char *name, size_t namelen);
/* The same, trying a tree first when tree_first (a path's inner steps). */
long st_tree_find_hint(const st_tree *t, const char *name, size_t namelen, int tree_first);
/* Writes into out the content of t (NULL: empty) with `name` set to
 * (mode, id), or removed when mode is 0. */
int st_tree_splice(const st_tree *t, const char *name, size_t namelen, uint32_t mode,
                   const mote_store_hash *id, mote_buf *out);
/* As st_tree_splice, giving the new tree decoded (id not yet set). */
int st_tree_splice_tree(const st_tree *t, const char *name, size_t namelen, uint32_t mode,
                        const mote_store_hash *id, st_tree **out);
/* Rewrites entry k in place with (mode, id), which must keep its kind and
 * the width of its mode; drops the checkpoints from that entry on. The
 * caller must own t alone (it is then no longer what t->id names). */
void st_tree_set_entry(st_tree *t, size_t k, uint32_t mode, const mote_store_hash *id);
/* 1 if entry k can be rewritten with mode by st_tree_set_entry. */
int st_tree_can_set(const st_tree *t, size_t k, uint32_t mode);
/* Computes t's id (Git's tree object id) into *id and t->id, resuming from
 * the valid checkpoints and recording new ones. */
void st_tree_id(st_tree *t, mote_store_hash *id);
/* Git's order of two entries. */
int st_entry_cmp(const char *a, size_t alen, int atree, const char *b, size_t blen, int btree);

int st_commit_decode(const uint8_t *raw, size_t len, mote_store_commit *out);
int st_commit_encode(const mote_store_hash *tree, const mote_store_hash *parents, size_t np,
                     const char *author, int64_t date, const char *message, mote_buf *out);
/* 1 if author is "Name <email>" with no newline or stray angle brackets. */
int st_author_valid(const char *a);

/* Splits a path into steps; "a//b" and surrounding slashes are tolerated.
 * Steps are copied into buf (NUL-separated) and pointed to by steps[]. */
typedef struct st_path {
    char buf[MOTE_STORE_MAX_PATH + 1];
    const char *step[MOTE_STORE_MAX_DEPTH];
    size_t len[MOTE_STORE_MAX_DEPTH];
    size_t n;
} st_path;
int st_path_parse(const char *path, st_path *p);
int st_name_valid(const char *name, size_t len);

/* ---- repository internals shared by the modules ---- */
typedef struct st_watch_ev st_watch_ev;
struct mote_store_watch {
    mote_store_repo *repo;
    char *branch;
    char *prefix;
    mote_store_watch_fn fn;
    void *arg;
    unsigned long failures;
    int dead;
    struct mote_store_watch *next;
};

typedef struct st_known {
    char *name;
    mote_store_hash head;
    int present;
} st_known;

/* A branch a batch moved: its head on the backend when the batch first
 * touched it (base) and its head in the batch (cur). */
typedef struct st_batch_ref {
    char *name;
    mote_store_hash base, cur;
    int has_base, has_cur;
} st_batch_ref;

struct mote_store_repo {
    mote_store_backend be;
    int batch; /* in mote_store_batch_begin/_end: branches move in bref only */
    st_batch_ref *bref;
    size_t nbref;
    mote_store_config cfg;
    st_map tcache;
    struct mote_store_watch *watches;
    st_watch_ev *evq, *evq_tail;
    int dispatching;
    st_known *known;
    size_t nknown;
    mote_store_hash last_commit, last_tree; /* the last commit read */
    st_map *overlay;                        /* during a transaction's calls: its unwritten trees */
    int has_last;
};

struct mote_store {
    mote_store_repo *repo;
    char *branch;
    mote_store_hash head; /* detached only */
    int has_head;
};

/* Branch access through the batch, if one is open (repo.c); st_flush does
 * nothing during a batch. */
int st_branch_get(mote_store_repo *r, const char *name, mote_store_hash *out);
int st_branch_list(mote_store_repo *r,
                   int (*fn)(void *arg, const char *name, const mote_store_hash *head), void *arg);
int st_flush(mote_store_repo *r);

int st_read_tree(mote_store_repo *r, const mote_store_hash *id, st_tree **out);
int st_write_obj(mote_store_repo *r, int type, const void *data, size_t len, mote_store_hash *id);
int st_read_obj(mote_store_repo *r, const mote_store_hash *id, int want_type, mote_buf *out);
/* Writes a tree (consumes content); inside a transaction it stays in memory. */
int st_write_tree(mote_store_repo *r, mote_buf *content, mote_store_hash *id);
/* The same for a tree already decoded (the reference is taken over). */
int st_write_tree_decoded(mote_store_repo *r, st_tree *t, mote_store_hash *id);
int st_commit_tree(mote_store_repo *r, const mote_store_hash *commit, mote_store_hash *tree);
void st_notify(mote_store_repo *r, const char *branch, const mote_store_hash *old_head,
               const mote_store_hash *new_head);
extern const mote_store_hash st_empty_tree;

/* One object for st_pack_write. */
typedef struct st_pack_obj {
    mote_store_hash id;
    int type;
    uint8_t *data;
    size_t len;
} st_pack_obj;

/* Writes objs as objects/pack/pack-<name>.pack and .idx in packdir (the
 * pack first, the index last, each through a temporary file and a rename),
 * compressed with zlib at `level`; trees become deltas against similar
 * earlier trees of objs (pack.c). Objects are written in the given order. */
int st_pack_write(const char *packdir, const st_pack_obj *objs, size_t n, int level,
                  char name[MOTE_STORE_HEX_LEN + 1]);

/* git backend hooks, used by sync.c */
int st_git_backend(mote_store_repo *r);

#define ST_LOG(r, lvl, ...) mote_logf((r)->cfg.log, (lvl), "store", __VA_ARGS__)

#endif
