/*
 * mote/store.h - libmote-store: a Git-like branchable store.
 *
 * A repository (mote_store_repo) holds content-addressed values, trees that
 * map slash-separated paths to values, commits (a tree, parents, an author,
 * a message and a date) and named branches. Objects use Git's encoding and
 * SHA-1 ids, so every repository is also a valid Git object database and
 * syncing two repositories is copying objects. A store handle (mote_store)
 * is a branch of a repository, or a detached commit.
 *
 * Storage is split, as Irmin splits it, into two backend interfaces: an
 * object store (content-addressed, append-only) and a branch store (names to
 * commit ids, updated by compare-and-swap). Two backends come with the
 * library: memory (mote_store_mem_new) and Git on disk through libgit2
 * (mote_store_git_open). Everything else - path reads and writes, tree
 * merges, common-ancestor search, merge functions, bounded retries of
 * concurrent updates, watches and sync - lives above the backends, so both
 * behave the same.
 *
 * Values are bytes. Merges are three-way against the lowest common ancestor;
 * a merge function (mote_store_merge_fn) merges one value and sees the path
 * it merges. Built-in value types: plain bytes, counters, last-writer-wins
 * registers, sets and JSON-like objects (mote_store_merge_auto picks one by
 * the path's suffix). Conflicts come back as data, never resolved silently.
 *
 * Durability: every write returns once its commit is on the backend and
 * its branch moved (on Git: in a pack, the ref renamed into place, so a
 * kill -9 loses nothing acknowledged). A batch (mote_store_batch_begin)
 * trades that for git fast-import's speed: one pack and one branch move at
 * its end. Branches moved by other processes reach watches through
 * mote_store_watch_poll, or from a libuv loop with mote/store_uv.h.
 *
 * Threads: a repository and its handles are used by one thread at a time.
 * Concurrency between processes (several writers on one Git repository) is
 * safe: branch updates are atomic compare-and-swaps, retried a bounded
 * number of times. Every object read from a backend is treated as hostile:
 * sizes, entry counts, path depth and history walks are bounded, and a
 * malformed object gives MOTE_EDECODE.
 *
 * Errors: MOTE_ENOTFOUND (no such path, branch or object), MOTE_EINVAL (bad
 * path or name), MOTE_ECONFLICT (merge conflict, failed test-and-set, non
 * fast-forward), MOTE_EBUSY (retries exhausted while others kept moving the
 * branch), MOTE_ELIMIT (a bound was hit), MOTE_EDECODE (corrupt object),
 * MOTE_EIO (the backend failed).
 */
#ifndef MOTE_STORE_H
#define MOTE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "mote/bytes.h"
#include "mote/device.h"
#include "mote/error.h"
#include "mote/log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ids and objects -------------------------------------------------- */

#define MOTE_STORE_HASH_LEN 20
#define MOTE_STORE_HEX_LEN  40

/* A SHA-1 object id, as Git computes it over "<type> <len>\0<content>". */
typedef struct mote_store_hash {
    uint8_t b[MOTE_STORE_HASH_LEN];
} mote_store_hash;

/* Writes 40 lower-case hex digits and a NUL into out. */
void mote_store_hash_hex(const mote_store_hash *h, char out[MOTE_STORE_HEX_LEN + 1]);

/* Parses exactly 40 hex digits. MOTE_EDECODE otherwise. */
int mote_store_hash_parse(const char *hex, mote_store_hash *h);

/* 1 if equal. */
int mote_store_hash_eq(const mote_store_hash *a, const mote_store_hash *b);

/* Git object types (the numbers are Git's). */
enum mote_store_otype {
    MOTE_STORE_COMMIT = 1,
    MOTE_STORE_TREE = 2,
    MOTE_STORE_BLOB = 3,
};

/* Computes the Git id of an object of `type` with this content. */
void mote_store_object_id(int type, const void *data, size_t len, mote_store_hash *out);

/* What a path names. */
enum mote_store_kind {
    MOTE_STORE_KIND_NONE = 0,
    MOTE_STORE_KIND_VALUE = 1,
    MOTE_STORE_KIND_TREE = 2,
};

/* Bounds on hostile input. */
#define MOTE_STORE_MAX_OBJECT  (64u << 20) /* bytes in one object */
#define MOTE_STORE_MAX_ENTRIES 100000u     /* entries in one tree */
#define MOTE_STORE_MAX_NAME    255u        /* bytes in one path step */
#define MOTE_STORE_MAX_PATH    4096u       /* bytes in one path */
#define MOTE_STORE_MAX_DEPTH   64u         /* steps in one path */
#define MOTE_STORE_MAX_PARENTS 64u         /* parents of one commit */
#define MOTE_STORE_MAX_BRANCH  200u        /* bytes in a branch name */

/* A decoded commit. Strings are owned; release with mote_store_commit_clear. */
typedef struct mote_store_commit {
    mote_store_hash id;
    mote_store_hash tree;
    mote_store_hash *parents;
    size_t nparents;
    char *author;  /* "Name <email>" */
    int64_t date;  /* seconds since the epoch (the committer date) */
    char *message; /* may be empty */
} mote_store_commit;

void mote_store_commit_clear(mote_store_commit *c);

/* ---- backends ---------------------------------------------------------- */

/* The content-addressed object store. `read` fills `out` (appending to an
 * empty buffer) with the object's content and sets *type; MOTE_ENOTFOUND if
 * absent. `write` stores an object whose id the caller computed (a backend
 * may check it). `exists` returns 1, 0 or an error. `flush` makes every
 * object written so far durable; it is called before a branch moves. */
typedef struct mote_store_objects {
    int (*read)(void *ctx, const mote_store_hash *id, int *type, mote_buf *out);
    int (*write)(void *ctx, int type, const void *data, size_t len, const mote_store_hash *id);
    int (*exists)(void *ctx, const mote_store_hash *id);
    int (*flush)(void *ctx);
} mote_store_objects;

/* The branch store. `get`: MOTE_ENOTFOUND if no such branch. `cas` sets
 * the branch to `set` (NULL deletes it) only if it currently is `expect`
 * (NULL: only if it does not exist); MOTE_ECONFLICT if it is not, done
 * atomically with respect to every other writer. `list` calls fn for each
 * branch; a non-zero return from fn stops and is returned. */
typedef struct mote_store_branches {
    int (*get)(void *ctx, const char *name, mote_store_hash *out);
    int (*cas)(void *ctx, const char *name, const mote_store_hash *expect,
               const mote_store_hash *set);
    int (*list)(void *ctx, int (*fn)(void *arg, const char *name, const mote_store_hash *head),
                void *arg);
} mote_store_branches;

typedef struct mote_store_backend {
    mote_store_objects objects;
    mote_store_branches branches;
    void (*close)(void *ctx); /* releases ctx */
    void *ctx;
    const char *name; /* "mem", "git", ... */
} mote_store_backend;

/* ---- merge functions --------------------------------------------------- */

/* Merges one value. `ancestor` is NULL when the path did not exist in the
 * common ancestor. On success writes the merged value into `out` and
 * returns 0; on a conflict returns MOTE_ECONFLICT with a short reason
 * appended to `why`; other negative codes abort the merge. */
typedef int (*mote_store_merge_fn)(void *ctx, const char *path, const mote_slice *ancestor,
                                   mote_slice ours, mote_slice theirs, mote_buf *out,
                                   mote_buf *why);

/* Plain bytes: equal values, or a value changed on one side only (the caller
 * handles that before asking), else a conflict. */
int mote_store_merge_bytes(void *ctx, const char *path, const mote_slice *ancestor, mote_slice ours,
                           mote_slice theirs, mote_buf *out, mote_buf *why);
/* Counters: decimal int64 text; result ours + theirs - ancestor (ancestor 0
 * if absent). MOTE_ECONFLICT on malformed text or overflow. */
int mote_store_merge_counter(void *ctx, const char *path, const mote_slice *ancestor,
                             mote_slice ours, mote_slice theirs, mote_buf *out, mote_buf *why);
/* Last-writer-wins registers: "<decimal timestamp> <value>"; the larger
 * timestamp wins, equal timestamps with different values compare the value
 * bytes (the larger wins) so both sides pick the same. */
int mote_store_merge_lww(void *ctx, const char *path, const mote_slice *ancestor, mote_slice ours,
                         mote_slice theirs, mote_buf *out, mote_buf *why);
/* Sets: newline-terminated elements. Keeps what both sides kept, adds what
 * either added, drops what either removed; the result is sorted, unique. */
int mote_store_merge_set(void *ctx, const char *path, const mote_slice *ancestor, mote_slice ours,
                         mote_slice theirs, mote_buf *out, mote_buf *why);
/* JSON-like values: objects merge key by key, recursively; any other value
 * (string, number, literal, array) must be equal or changed on one side.
 * Output is compact JSON with object keys sorted. Depth <= 64. */
int mote_store_merge_json(void *ctx, const char *path, const mote_slice *ancestor, mote_slice ours,
                          mote_slice theirs, mote_buf *out, mote_buf *why);
/* Picks by suffix of the path's last step: ".counter", ".lww", ".set",
 * ".json", else bytes. The default merge function of a repository. */
int mote_store_merge_auto(void *ctx, const char *path, const mote_slice *ancestor, mote_slice ours,
                          mote_slice theirs, mote_buf *out, mote_buf *why);

/* Parses JSON text (RFC 8259, depth <= 64, <= 1 MiB of output) and writes it
 * back compact with object keys sorted; MOTE_EDECODE on bad text. Exposed
 * for the fuzzer and for callers who want canonical values. */
int mote_store_json_canon(mote_slice text, mote_buf *out);

/* One conflict: the path, a reason, and the three versions (present == 0
 * when that side has nothing at the path). Trees show as their hex id. */
typedef struct mote_store_version {
    int present;
    int is_tree;
    uint8_t *data;
    size_t len;
} mote_store_version;

typedef struct mote_store_conflict {
    char *path;
    char *reason;
    mote_store_version ancestor, ours, theirs;
} mote_store_conflict;

typedef struct mote_store_conflicts {
    mote_store_conflict *items;
    size_t n;
} mote_store_conflicts;

void mote_store_conflicts_clear(mote_store_conflicts *c);

/* ---- repositories ------------------------------------------------------ */

typedef struct mote_store_repo mote_store_repo;
typedef struct mote_store mote_store;

typedef struct mote_store_config {
    mote_store_merge_fn merge; /* NULL: mote_store_merge_auto */
    void *merge_ctx;
    mote_clock *clock;    /* for commit dates when the info gives none; may be NULL */
    const mote_log *log;  /* may be NULL */
    unsigned max_retries; /* concurrent-update retries; 0: 32 */
    unsigned max_walk;    /* commits visited by a history walk; 0: 100000 */
    unsigned tree_cache;  /* decoded trees kept; 0: 4096 */
} mote_store_config;

/* A repository over a backend (taken over: closed by mote_store_repo_free,
 * also on failure). cfg may be NULL. */
mote_store_repo *mote_store_repo_new(const mote_store_backend *be, const mote_store_config *cfg,
                                     int *err);

/* A new, empty in-memory repository. */
mote_store_repo *mote_store_mem_new(const mote_store_config *cfg, int *err);

/* Opens the Git repository at path (bare, or a work tree with .git). With
 * create, makes a bare repository (HEAD on "main") if none is there.
 * MOTE_ENOTFOUND if absent and not create; MOTE_EIO if libgit2 fails. */
mote_store_repo *mote_store_git_open(const char *path, int create, const mote_store_config *cfg,
                                     int *err);

void mote_store_repo_free(mote_store_repo *r);

/* The Git directory of a Git-backed repository (ending in '/'; its refs
 * live under refs/heads/, for a file-system watch), or NULL for another
 * backend. Valid while the repository is open. */
const char *mote_store_git_dir(mote_store_repo *r);

/* The backend's name ("mem", "git"). */
const char *mote_store_repo_backend(const mote_store_repo *r);

/* Reads and decodes a commit. */
int mote_store_commit_read(mote_store_repo *r, const mote_store_hash *id, mote_store_commit *out);

/* Reads a raw object (content into out, type into *type). */
int mote_store_object_read(mote_store_repo *r, const mote_store_hash *id, int *type, mote_buf *out);

/* ---- branches ---------------------------------------------------------- */

/* 1 if name is a valid branch name (Git ref rules, <= MOTE_STORE_MAX_BRANCH). */
int mote_store_branch_valid(const char *name);

/* Head of a branch. MOTE_ENOTFOUND if there is no such branch. */
int mote_store_branch_head(mote_store_repo *r, const char *name, mote_store_hash *out);

/* Creates a branch at commit. MOTE_EEXIST if it exists. */
int mote_store_branch_create(mote_store_repo *r, const char *name, const mote_store_hash *commit);

/* Deletes a branch. MOTE_ENOTFOUND if absent. */
int mote_store_branch_delete(mote_store_repo *r, const char *name);

/* Sets a branch's head unconditionally (creating it if needed). */
int mote_store_branch_set(mote_store_repo *r, const char *name, const mote_store_hash *commit);

/* Atomic compare-and-swap of a branch head: expect NULL means "absent",
 * set NULL means "delete". MOTE_ECONFLICT if the head was not `expect`. */
int mote_store_branch_test_and_set(mote_store_repo *r, const char *name,
                                   const mote_store_hash *expect, const mote_store_hash *set);

/* Lists branches: fn(arg, name, head) for each, in name order; a non-zero
 * return from fn stops the walk and is returned. */
int mote_store_branch_list(mote_store_repo *r,
                           int (*fn)(void *arg, const char *name, const mote_store_hash *head),
                           void *arg);

/* ---- store handles ----------------------------------------------------- */

/* A handle on a branch (which need not exist yet: the first write creates
 * it). MOTE_EINVAL for a bad name. The repository must outlive it. */
mote_store *mote_store_of_branch(mote_store_repo *r, const char *branch, int *err);

/* A handle on a fixed commit; writes move the handle, not any branch. */
mote_store *mote_store_of_commit(mote_store_repo *r, const mote_store_hash *commit, int *err);

void mote_store_free(mote_store *s);

/* The handle's branch, or NULL when detached. */
const char *mote_store_branch_name(const mote_store *s);

/* The head commit. MOTE_ENOTFOUND for a branch with no commit yet. */
int mote_store_head(mote_store *s, mote_store_hash *out);

/* ---- reads (paths are "a/b/c"; "" or "/" is the root) ------------------ */

/* The value at path, appended to out. MOTE_ENOTFOUND if none (also when the
 * path names a tree). */
int mote_store_get(mote_store *s, const char *path, mote_buf *out);

/* As get, but an absent value is not an error: *found is 0 or 1. */
int mote_store_find(mote_store *s, const char *path, mote_buf *out, int *found);

/* 1 if path names a value, 0 if not. */
int mote_store_mem(mote_store *s, const char *path);

/* What the path names (MOTE_STORE_KIND_*), or an error. */
int mote_store_kind(mote_store *s, const char *path);

/* The Git id of the value or tree at path. MOTE_ENOTFOUND if none. */
int mote_store_hash_at(mote_store *s, const char *path, mote_store_hash *out);

/* One entry of a listing. */
typedef struct mote_store_entry {
    char *name;
    int kind; /* MOTE_STORE_KIND_VALUE or _TREE */
    mote_store_hash id;
} mote_store_entry;

/* The entries of the tree at path, in Git's order. *out is an array owned by
 * the caller (release with mote_store_entries_free). An absent path gives
 * zero entries. */
int mote_store_list(mote_store *s, const char *path, mote_store_entry **out, size_t *n);
void mote_store_entries_free(mote_store_entry *e, size_t n);

/* ---- writes ------------------------------------------------------------ */

/* What a commit says about itself. author "Name <email>" (NULL: "mote
 * <mote@localhost>"); date 0 takes the repository clock's wall time. */
typedef struct mote_store_info {
    const char *author;
    const char *message;
    int64_t date;
} mote_store_info;

/* Each makes one commit (parent: the head), moving the branch with a
 * compare-and-swap; if the branch moved meanwhile the change is re-applied
 * to the new head, up to max_retries times (then MOTE_EBUSY). commit_out
 * (may be NULL) receives the new commit. */
int mote_store_set(mote_store *s, const char *path, const void *value, size_t len,
                   const mote_store_info *info, mote_store_hash *commit_out);
/* Removing an absent path is not an error (no commit is made). */
int mote_store_remove(mote_store *s, const char *path, const mote_store_info *info,
                      mote_store_hash *commit_out);
/* Puts the tree `tree` (an existing tree id; NULL removes) at path. */
int mote_store_set_tree(mote_store *s, const char *path, const mote_store_hash *tree,
                        const mote_store_info *info, mote_store_hash *commit_out);

/* Sets path to value only if it currently holds `expect` (NULL: absent);
 * value NULL removes. MOTE_ECONFLICT if the current value differs. */
int mote_store_test_and_set(mote_store *s, const char *path, const void *expect, size_t expect_len,
                            const void *value, size_t len, const mote_store_info *info,
                            mote_store_hash *commit_out);

/* Transactions: a batch of sets and removes made against the head at
 * mote_store_tx_begin (the snapshot), committed as one commit. Reads in a
 * transaction see its own writes. If the branch moved meanwhile, commit
 * three-way merges the transaction's tree into the new head (MOTE_ECONFLICT
 * with the conflicts filled in when that fails) and retries, at most
 * max_retries times (then MOTE_EBUSY). */
typedef struct mote_store_tx mote_store_tx;
mote_store_tx *mote_store_tx_begin(mote_store *s, int *err);
int mote_store_tx_get(mote_store_tx *t, const char *path, mote_buf *out);
/* The transaction as a tree view: its entries under path (as
 * mote_store_list), and the id of its root tree as it stands (the tree is
 * written to the repository only by mote_store_tx_commit). */
int mote_store_tx_list(mote_store_tx *t, const char *path, mote_store_entry **out, size_t *n);
int mote_store_tx_tree(mote_store_tx *t, mote_store_hash *root);
int mote_store_tx_set(mote_store_tx *t, const char *path, const void *value, size_t len);
int mote_store_tx_remove(mote_store_tx *t, const char *path);
int mote_store_tx_commit(mote_store_tx *t, const mote_store_info *info,
                         mote_store_conflicts *conflicts, mote_store_hash *commit_out);
void mote_store_tx_free(mote_store_tx *t);

/* ---- history ----------------------------------------------------------- */

/* Calls fn for the head and its ancestors, newest first (by date, ties by
 * id), at most max commits (0: no limit but max_walk). A non-zero return
 * from fn stops the walk and is returned. */
int mote_store_log(mote_store *s, size_t max, int (*fn)(void *arg, const mote_store_commit *c),
                   void *arg);

/* The lowest common ancestors of two commits, searched at most max_depth
 * generations from each (0: max_walk); MOTE_ELIMIT if more than max_count
 * are found or the search is cut short before finding one; zero results
 * when the histories are unrelated. *out is owned by the caller (free()). */
int mote_store_lcas(mote_store_repo *r, const mote_store_hash *a, const mote_store_hash *b,
                    unsigned max_depth, unsigned max_count, mote_store_hash **out, size_t *n);

/* 1 if `ancestor` is `commit` or one of its ancestors, 0 if not. */
int mote_store_is_ancestor(mote_store_repo *r, const mote_store_hash *ancestor,
                           const mote_store_hash *commit);

/* The newest commit on the first-parent line from the head that changed
 * what path holds (set, changed or removed). MOTE_ENOTFOUND if the head has
 * nothing at path and never changed it within max_walk. */
int mote_store_last_modified(mote_store *s, const char *path, mote_store_hash *out);

/* ---- batches ----------------------------------------------------------- */

/* A batch trades durability for speed, as `git fast-import` does. Between
 * mote_store_batch_begin and mote_store_batch_end, every write through any
 * handle of r (set, remove, transactions, merges, branch moves) still makes
 * its own commit, and reads through r see it at once, but nothing reaches
 * the backend: no object is written and no branch moves there, so other
 * processes see none of it and a crash loses all of it. Watches hear of
 * the batch at its end. mote_store_git_fetch/_git_push refuse to run
 * (MOTE_EBUSY) during a batch. One batch at a time per repository:
 * MOTE_EBUSY if one is open. */
int mote_store_batch_begin(mote_store_repo *r);

/* Ends the batch: writes every object it made as one pack (Git backend),
 * then moves each branch it changed once, by compare-and-swap from the head
 * the branch had when the batch first touched it to the batch's last head.
 * If another writer moved the branch meanwhile, the batch's head is merged
 * into the new head (a merge commit with `info`, as mote_store_merge_commit
 * does); a merge that conflicts leaves that branch where the other writer
 * put it and returns MOTE_ECONFLICT with the conflicts appended to
 * `conflicts` (may be NULL). Writing the pack can fail (MOTE_EIO): then no
 * branch moves. The batch is closed in every case; MOTE_EINVAL when none is
 * open. */
int mote_store_batch_end(mote_store_repo *r, const mote_store_info *info,
                         mote_store_conflicts *conflicts);

/* Closes the batch without moving any branch on the backend (the objects it
 * made may still be written, unreferenced, like a crashed batch's). Reads
 * then see the backend's branches again. Does nothing outside a batch. */
void mote_store_batch_abort(mote_store_repo *r);

/* 1 while a batch is open. */
int mote_store_batch_active(const mote_store_repo *r);

/* ---- merges ------------------------------------------------------------ */

/* Three-way merge of trees (ancestor may be NULL: empty). On success *out is
 * the merged tree (written to the repository). On MOTE_ECONFLICT every
 * conflict is appended to `conflicts` (which may be NULL). */
int mote_store_merge_trees(mote_store_repo *r, const mote_store_hash *ancestor,
                           const mote_store_hash *ours, const mote_store_hash *theirs,
                           mote_store_hash *out, mote_store_conflicts *conflicts);

/* Merges commit `from` into the handle: nothing if already contained, a
 * fast-forward if possible (unless no_ff), else a two-parent merge commit
 * against the lowest common ancestor (several are merged first into a
 * virtual ancestor). Retries as the writes do. */
int mote_store_merge_commit(mote_store *s, const mote_store_hash *from, int no_ff,
                            const mote_store_info *info, mote_store_conflicts *conflicts,
                            mote_store_hash *commit_out);

/* Merges the head of branch `from` into the handle. */
int mote_store_merge_into(mote_store *s, const char *from, const mote_store_info *info,
                          mote_store_conflicts *conflicts, mote_store_hash *commit_out);

/* Moves the handle to commit if that is a fast-forward; MOTE_ECONFLICT if
 * not. */
int mote_store_fast_forward(mote_store *s, const mote_store_hash *commit);

/* ---- watches ----------------------------------------------------------- */

enum mote_store_change {
    MOTE_STORE_ADDED = 1,
    MOTE_STORE_REMOVED = 2,
    MOTE_STORE_UPDATED = 3,
};

/* Called once per changed value under the watched prefix, after the branch
 * moved from old_head (NULL: created) to new_head (NULL: deleted). old/new
 * are the value ids (NULL when absent). A non-zero return is counted
 * (mote_store_watch_failures) and otherwise ignored: other changes and other
 * watches are still delivered. A callback may write to the repository; the
 * events that causes are delivered after it returns, never nested. */
typedef int (*mote_store_watch_fn)(void *arg, const char *branch, int change, const char *path,
                                   const mote_store_hash *old_value,
                                   const mote_store_hash *new_value,
                                   const mote_store_hash *old_head,
                                   const mote_store_hash *new_head);

typedef struct mote_store_watch mote_store_watch;

/* Watches branch (NULL: every branch) for changes under prefix (NULL or "":
 * everything). The watch belongs to the repository (freed with it if not
 * before). */
mote_store_watch *mote_store_watch_new(mote_store_repo *r, const char *branch, const char *prefix,
                                       mote_store_watch_fn fn, void *arg, int *err);
void mote_store_watch_free(mote_store_watch *w);
unsigned long mote_store_watch_failures(const mote_store_watch *w);

/* Notices branches moved by others (another process on the same Git
 * repository): re-reads the watched branches' heads and delivers the
 * changes since they were last seen. Returns the number of branches that
 * moved, or an error. Call it from a timer or a file-system watch on the
 * refs; updates made through this repository are delivered without it. */
int mote_store_watch_poll(mote_store_repo *r);

/* ---- sync -------------------------------------------------------------- */

/* Copies into dst every object reachable from commit that dst lacks
 * (objects are checked against their ids on the way). */
int mote_store_copy(mote_store_repo *dst, mote_store_repo *src, const mote_store_hash *commit);

/* Fetches branch `branch` of src into dst's objects; *head gets its head. */
int mote_store_fetch(mote_store_repo *dst, mote_store_repo *src, const char *branch,
                     mote_store_hash *head);

/* Fetches src's branch and merges it into s (ff_only: refuse, with
 * MOTE_ECONFLICT, anything but a fast-forward). */
int mote_store_pull(mote_store *s, mote_store_repo *src, const char *branch, int ff_only,
                    const mote_store_info *info, mote_store_conflicts *conflicts);

/* Copies s's head into dst and moves dst's branch to it: MOTE_ECONFLICT if
 * that is not a fast-forward, unless force. */
int mote_store_push(mote_store *s, mote_store_repo *dst, const char *branch, int force);

/* With a Git remote (a path or a git:// URL), Git backend only
 * (MOTE_EUNSUPPORTED otherwise): fetch the remote's branch (its head into
 * *head), and push a local branch to a remote branch (refused with
 * MOTE_ECONFLICT when not a fast-forward, unless force). */
int mote_store_git_fetch(mote_store_repo *r, const char *url, const char *branch,
                         mote_store_hash *head);
int mote_store_git_push(mote_store_repo *r, const char *url, const char *local_branch,
                        const char *remote_branch, int force);

/* ---- snapshots and garbage --------------------------------------------- */

/* Appends to out a snapshot of commit and every object it reaches:
 * "MOTESNAP1\n", the commit id, then (type, length, content) records. */
int mote_store_export(mote_store_repo *r, const mote_store_hash *commit, mote_buf *out);

/* Imports a snapshot made by mote_store_export, checking every id and that
 * the snapshot holds everything the commit reaches; *commit gets its id. */
int mote_store_import(mote_store_repo *r, mote_slice snap, mote_store_hash *commit);

/* Memory backend only: deletes every object not reachable from a branch or
 * from one of the extra roots. *freed (may be NULL) gets the count. The
 * values an open transaction wrote are not reachable yet: commit or free
 * transactions (and detached handles' heads: pass them as roots) first. */
int mote_store_mem_gc(mote_store_repo *r, const mote_store_hash *roots, size_t nroots,
                      size_t *freed);

/* Object count of a memory repository (for tests), or an error. */
long mote_store_mem_objects(mote_store_repo *r);

#ifdef __cplusplus
}
#endif
#endif
