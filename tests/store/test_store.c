/*
 * test_store.c - the Check suite of libmote-store, run against every
 * backend (memory and Git): reads, writes, transactions, branches, history,
 * merges of every value type, watches, sync, snapshots and a model-based
 * randomized test.
 */
#include "common.h"

#define NBACKENDS 2
static const char *backend_names[NBACKENDS] = {"mem", "git"};

typedef struct fx {
    mote_store_repo *r;
    char *dir;
} fx;

static fx open_fx(int which)
{
    fx f = {NULL, NULL};
    int err = 0;
    if (which == 0) {
        f.r = mote_store_mem_new(NULL, &err);
    } else {
        f.dir = st_tmpdir();
        f.r = mote_store_git_open(f.dir, 1, NULL, &err);
    }
    ck_assert_msg(f.r != NULL, "open %s: %s", backend_names[which], mote_strerror(err));
    return f;
}

static void close_fx(fx *f)
{
    mote_store_repo_free(f->r);
    if (f->dir) {
        st_rmrf(f->dir);
        free(f->dir);
    }
}

static const mote_store_info info = {"Test User <test@example.org>", "test", 1700000000};

static char *getv(mote_store *s, const char *path)
{
    mote_buf b;
    mote_buf_init(&b, 0);
    int rc = mote_store_get(s, path, &b);
    if (rc) {
        mote_buf_free(&b);
        return NULL;
    }
    mote_buf_append_byte(&b, 0);
    size_t n;
    return (char *)mote_buf_detach(&b, &n);
}

#define CK_VAL(s, path, want)                                                                      \
    do {                                                                                           \
        char *v_ = getv((s), (path));                                                              \
        ck_assert_msg(v_ != NULL, "%s missing", (path));                                           \
        ck_assert_str_eq(v_, (want));                                                              \
        free(v_);                                                                                  \
    } while (0)

static void set(mote_store *s, const char *path, const char *v)
{
    int rc = mote_store_set(s, path, v, strlen(v), &info, NULL);
    ck_assert_msg(rc == 0, "set %s: %s", path, mote_strerror(rc));
}

/* ---- reads and writes ---- */

START_TEST(t_basic)
{
    fx f = open_fx(_i);
    int err;
    mote_store *s = mote_store_of_branch(f.r, "main", &err);
    ck_assert_ptr_nonnull(s);
    mote_store_hash h;
    ck_assert_int_eq(mote_store_head(s, &h), MOTE_ENOTFOUND);
    ck_assert_ptr_null(getv(s, "a"));
    ck_assert_int_eq(mote_store_kind(s, ""), MOTE_STORE_KIND_TREE);
    set(s, "a/b/c", "hello");
    set(s, "a/d", "world");
    set(s, "top", "x");
    CK_VAL(s, "a/b/c", "hello");
    CK_VAL(s, "/a/d/", "world");
    ck_assert_int_eq(mote_store_mem(s, "a/b/c"), 1);
    ck_assert_int_eq(mote_store_mem(s, "a/b"), 0);
    ck_assert_int_eq(mote_store_kind(s, "a/b"), MOTE_STORE_KIND_TREE);
    ck_assert_int_eq(mote_store_kind(s, "a/b/c"), MOTE_STORE_KIND_VALUE);
    ck_assert_int_eq(mote_store_kind(s, "a/zz"), MOTE_STORE_KIND_NONE);
    ck_assert_int_eq(mote_store_kind(s, "a/b/c/d"), MOTE_STORE_KIND_NONE);
    /* the value's id is Git's blob id */
    ck_assert_int_eq(mote_store_hash_at(s, "a/b/c", &h), 0);
    char hex[41];
    mote_store_hash_hex(&h, hex);
    ck_assert_str_eq(hex, "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0");
    mote_store_entry *e;
    size_t n;
    ck_assert_int_eq(mote_store_list(s, "a", &e, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(e[0].name, "b");
    ck_assert_int_eq(e[0].kind, MOTE_STORE_KIND_TREE);
    ck_assert_str_eq(e[1].name, "d");
    ck_assert_int_eq(e[1].kind, MOTE_STORE_KIND_VALUE);
    mote_store_entries_free(e, n);
    ck_assert_int_eq(mote_store_list(s, "nothing/here", &e, &n), 0);
    ck_assert_uint_eq(n, 0);
    mote_store_entries_free(e, n);
    /* find */
    mote_buf b;
    mote_buf_init(&b, 0);
    int found = 7;
    ck_assert_int_eq(mote_store_find(s, "nope", &b, &found), 0);
    ck_assert_int_eq(found, 0);
    ck_assert_int_eq(mote_store_find(s, "top", &b, &found), 0);
    ck_assert_int_eq(found, 1);
    ck_assert_uint_eq(b.len, 1);
    mote_buf_free(&b);
    /* a value replaced by a tree, and back */
    set(s, "top/inner", "y");
    ck_assert_int_eq(mote_store_kind(s, "top"), MOTE_STORE_KIND_TREE);
    set(s, "top", "z");
    CK_VAL(s, "top", "z");
    /* removals prune empty trees; removing nothing makes no commit */
    mote_store_hash c1, c2;
    ck_assert_int_eq(mote_store_remove(s, "a/b/c", &info, &c1), 0);
    ck_assert_int_eq(mote_store_kind(s, "a/b"), MOTE_STORE_KIND_NONE);
    ck_assert_int_eq(mote_store_remove(s, "a/b/c", &info, &c2), 0);
    ck_assert(mote_store_hash_eq(&c1, &c2));
    /* setting the same value makes no commit */
    ck_assert_int_eq(mote_store_set(s, "top", "z", 1, &info, &c2), 0);
    ck_assert(mote_store_hash_eq(&c1, &c2));
    /* remove everything: the root is the empty tree */
    ck_assert_int_eq(mote_store_remove(s, "", &info, NULL), 0);
    ck_assert_int_eq(mote_store_kind(s, "a"), MOTE_STORE_KIND_NONE);
    set(s, "again", "1");
    CK_VAL(s, "again", "1");
    mote_store_free(s);
    close_fx(&f);
}
END_TEST

START_TEST(t_set_tree)
{
    fx f = open_fx(_i);
    mote_store *s = mote_store_of_branch(f.r, "main", NULL);
    set(s, "a/x", "1");
    set(s, "a/y/z", "2");
    mote_store_hash t;
    ck_assert_int_eq(mote_store_hash_at(s, "a", &t), 0);
    ck_assert_int_eq(mote_store_set_tree(s, "b/c", &t, &info, NULL), 0);
    CK_VAL(s, "b/c/x", "1");
    CK_VAL(s, "b/c/y/z", "2");
    mote_store_hash t2;
    ck_assert_int_eq(mote_store_hash_at(s, "b/c", &t2), 0);
    ck_assert(mote_store_hash_eq(&t, &t2));
    /* a value's id is not a tree */
    mote_store_hash v;
    ck_assert_int_eq(mote_store_hash_at(s, "a/x", &v), 0);
    ck_assert_int_eq(mote_store_set_tree(s, "d", &v, &info, NULL), MOTE_EDECODE);
    /* an unknown id */
    mote_store_hash unknown;
    memset(&unknown, 0x42, sizeof unknown);
    ck_assert_int_eq(mote_store_set_tree(s, "d", &unknown, &info, NULL), MOTE_ENOTFOUND);
    /* NULL removes */
    ck_assert_int_eq(mote_store_set_tree(s, "a", NULL, &info, NULL), 0);
    ck_assert_int_eq(mote_store_kind(s, "a"), MOTE_STORE_KIND_NONE);
    CK_VAL(s, "b/c/x", "1");
    mote_store_free(s);
    close_fx(&f);
}
END_TEST

START_TEST(t_bad_input)
{
    fx f = open_fx(_i);
    int err;
    ck_assert_ptr_null(mote_store_of_branch(f.r, "bad..name", &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    ck_assert_ptr_null(mote_store_of_branch(f.r, "-x", &err));
    ck_assert_ptr_null(mote_store_of_branch(f.r, "a.lock", &err));
    mote_store *s = mote_store_of_branch(f.r, "feature/x-1", &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(mote_store_set(s, "a/../b", "v", 1, &info, NULL), MOTE_EINVAL);
    ck_assert_int_eq(mote_store_set(s, "a/.git/b", "v", 1, &info, NULL), MOTE_EINVAL);
    ck_assert_int_eq(mote_store_set(s, "", "v", 1, &info, NULL), MOTE_EINVAL);
    char deep[400] = "";
    for (int i = 0; i < 70; i++)
        strcat(deep, "d/");
    strcat(deep, "x");
    ck_assert_int_eq(mote_store_set(s, deep, "v", 1, &info, NULL), MOTE_ELIMIT);
    mote_store_info bad = {"no email", "m", 1};
    ck_assert_int_eq(mote_store_set(s, "x", "v", 1, &bad, NULL), MOTE_EINVAL);
    mote_store_info bad2 = {"Eve <e@x>\nauthor Mallory <m@x>", "m", 1};
    ck_assert_int_eq(mote_store_set(s, "x", "v", 1, &bad2, NULL), MOTE_EINVAL);
    mote_store_free(s);
    close_fx(&f);
}
END_TEST

START_TEST(t_test_and_set)
{
    fx f = open_fx(_i);
    mote_store *s = mote_store_of_branch(f.r, "main", NULL);
    ck_assert_int_eq(mote_store_test_and_set(s, "k", NULL, 0, "1", 1, &info, NULL), 0);
    ck_assert_int_eq(mote_store_test_and_set(s, "k", NULL, 0, "2", 1, &info, NULL), MOTE_ECONFLICT);
    ck_assert_int_eq(mote_store_test_and_set(s, "k", "2", 1, "3", 1, &info, NULL), MOTE_ECONFLICT);
    ck_assert_int_eq(mote_store_test_and_set(s, "k", "1", 1, "3", 1, &info, NULL), 0);
    CK_VAL(s, "k", "3");
    ck_assert_int_eq(mote_store_test_and_set(s, "k", "3", 1, NULL, 0, &info, NULL), 0);
    ck_assert_int_eq(mote_store_mem(s, "k"), 0);
    mote_store_free(s);
    close_fx(&f);
}
END_TEST

START_TEST(t_tx)
{
    fx f = open_fx(_i);
    mote_store *s = mote_store_of_branch(f.r, "main", NULL);
    mote_store *s2 = mote_store_of_branch(f.r, "main", NULL);
    set(s, "base", "0");
    set(s, "shared.counter", "10");
    int err;
    mote_store_tx *t = mote_store_tx_begin(s, &err);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(mote_store_tx_set(t, "a", "1", 1), 0);
    ck_assert_int_eq(mote_store_tx_set(t, "b/c", "2", 1), 0);
    ck_assert_int_eq(mote_store_tx_remove(t, "base"), 0);
    ck_assert_int_eq(mote_store_tx_set(t, "shared.counter", "11", 2), 0);
    mote_buf b;
    mote_buf_init(&b, 0);
    ck_assert_int_eq(mote_store_tx_get(t, "b/c", &b), 0);
    ck_assert_uint_eq(b.len, 1);
    mote_buf_free(&b);
    ck_assert_int_eq(mote_store_mem(s, "a"), 0); /* not visible before commit */
    /* the transaction as a tree view */
    mote_store_entry *e;
    size_t n;
    ck_assert_int_eq(mote_store_tx_list(t, "", &e, &n), 0);
    ck_assert_uint_eq(n, 3); /* a, b, shared.counter ("base" removed) */
    ck_assert_str_eq(e[0].name, "a");
    ck_assert_str_eq(e[1].name, "b");
    ck_assert_int_eq(e[1].kind, MOTE_STORE_KIND_TREE);
    mote_store_entries_free(e, n);
    ck_assert_int_eq(mote_store_tx_list(t, "b", &e, &n), 0);
    ck_assert_uint_eq(n, 1);
    mote_store_entries_free(e, n);
    mote_store_hash txroot;
    ck_assert_int_eq(mote_store_tx_tree(t, &txroot), 0);
    /* meanwhile another writer moves the branch */
    set(s2, "other", "o");
    set(s2, "shared.counter", "15");
    mote_store_conflicts cf = {0};
    mote_store_hash c;
    ck_assert_int_eq(mote_store_tx_commit(t, &info, &cf, &c), 0);
    ck_assert_uint_eq(cf.n, 0);
    mote_store_tx_free(t);
    CK_VAL(s, "a", "1");
    CK_VAL(s, "b/c", "2");
    CK_VAL(s, "other", "o");
    CK_VAL(s, "shared.counter", "16"); /* 11 + 15 - 10 */
    ck_assert_int_eq(mote_store_mem(s, "base"), 0);
    /* a conflicting transaction */
    t = mote_store_tx_begin(s, NULL);
    ck_assert_int_eq(mote_store_tx_set(t, "a", "mine", 4), 0);
    set(s2, "a", "theirs");
    ck_assert_int_eq(mote_store_tx_commit(t, &info, &cf, NULL), MOTE_ECONFLICT);
    ck_assert_uint_eq(cf.n, 1);
    ck_assert_str_eq(cf.items[0].path, "a");
    ck_assert_int_eq(cf.items[0].ancestor.present, 1);
    ck_assert_int_eq(memcmp(cf.items[0].ours.data, "mine", 4), 0);
    ck_assert_int_eq(memcmp(cf.items[0].theirs.data, "theirs", 6), 0);
    mote_store_conflicts_clear(&cf);
    mote_store_tx_free(t);
    CK_VAL(s, "a", "theirs");
    mote_store_free(s);
    mote_store_free(s2);
    close_fx(&f);
}
END_TEST

/* ---- branches ---- */

static int collect(void *arg, const char *name, const mote_store_hash *h)
{
    (void)h;
    char *buf = arg;
    strcat(buf, name);
    strcat(buf, ",");
    return 0;
}

START_TEST(t_branches)
{
    fx f = open_fx(_i);
    mote_store *s = mote_store_of_branch(f.r, "main", NULL);
    mote_store_hash c1, c2, h;
    ck_assert_int_eq(mote_store_set(s, "k", "1", 1, &info, &c1), 0);
    ck_assert_int_eq(mote_store_set(s, "k", "2", 1, &info, &c2), 0);
    ck_assert_int_eq(mote_store_branch_create(f.r, "dev", &c1), 0);
    ck_assert_int_eq(mote_store_branch_create(f.r, "dev", &c1), MOTE_EEXIST);
    ck_assert_int_eq(mote_store_branch_create(f.r, "x/y", &c2), 0);
    char names[256] = "";
    ck_assert_int_eq(mote_store_branch_list(f.r, collect, names), 0);
    ck_assert_str_eq(names, "dev,main,x/y,");
    ck_assert_int_eq(mote_store_branch_test_and_set(f.r, "dev", &c2, &c1), MOTE_ECONFLICT);
    ck_assert_int_eq(mote_store_branch_test_and_set(f.r, "dev", &c1, &c2), 0);
    ck_assert_int_eq(mote_store_branch_head(f.r, "dev", &h), 0);
    ck_assert(mote_store_hash_eq(&h, &c2));
    ck_assert_int_eq(mote_store_branch_test_and_set(f.r, "new", NULL, &c1), 0);
    ck_assert_int_eq(mote_store_branch_test_and_set(f.r, "new", NULL, &c1), MOTE_ECONFLICT);
    ck_assert_int_eq(mote_store_branch_test_and_set(f.r, "new", &c1, NULL), 0);
    ck_assert_int_eq(mote_store_branch_head(f.r, "new", &h), MOTE_ENOTFOUND);
    ck_assert_int_eq(mote_store_branch_delete(f.r, "x/y"), 0);
    ck_assert_int_eq(mote_store_branch_delete(f.r, "x/y"), MOTE_ENOTFOUND);
    ck_assert_int_eq(mote_store_branch_set(f.r, "dev", &c1), 0);
    /* fast-forward */
    mote_store *d = mote_store_of_branch(f.r, "dev", NULL);
    ck_assert_int_eq(mote_store_fast_forward(d, &c2), 0);
    ck_assert_int_eq(mote_store_fast_forward(d, &c1), MOTE_ECONFLICT);
    CK_VAL(d, "k", "2");
    /* a detached handle */
    mote_store *det = mote_store_of_commit(f.r, &c1, NULL);
    ck_assert_ptr_nonnull(det);
    CK_VAL(det, "k", "1");
    set(det, "k", "3");
    CK_VAL(det, "k", "3");
    CK_VAL(s, "k", "2");
    ck_assert_ptr_null(mote_store_branch_name(det));
    mote_store_free(det);
    mote_store_free(d);
    mote_store_free(s);
    close_fx(&f);
}
END_TEST

/* ---- history ---- */

typedef struct logacc {
    int n;
    char msgs[512];
} logacc;

static int log_cb(void *arg, const mote_store_commit *c)
{
    logacc *a = arg;
    a->n++;
    strncat(a->msgs, c->message, sizeof a->msgs - strlen(a->msgs) - 1);
    return 0;
}

START_TEST(t_history)
{
    fx f = open_fx(_i);
    mote_store *s = mote_store_of_branch(f.r, "main", NULL);
    mote_store_hash c[6];
    for (int i = 0; i < 5; i++) {
        char msg[16], val[16];
        snprintf(msg, sizeof msg, "m%d\n", i);
        snprintf(val, sizeof val, "%d", i);
        mote_store_info in = {"A <a@b>", msg, 1000 + i};
        const char *path = i == 2 ? "other" : "k";
        ck_assert_int_eq(mote_store_set(s, path, val, strlen(val), &in, &c[i]), 0);
    }
    logacc a = {0, ""};
    ck_assert_int_eq(mote_store_log(s, 0, log_cb, &a), 0);
    ck_assert_int_eq(a.n, 5);
    ck_assert_str_eq(a.msgs, "m4\nm3\nm2\nm1\nm0\n");
    logacc b = {0, ""};
    ck_assert_int_eq(mote_store_log(s, 2, log_cb, &b), 0);
    ck_assert_int_eq(b.n, 2);
    mote_store_commit cm;
    ck_assert_int_eq(mote_store_commit_read(f.r, &c[4], &cm), 0);
    ck_assert_str_eq(cm.author, "A <a@b>");
    ck_assert_int_eq(cm.date, 1004);
    ck_assert_uint_eq(cm.nparents, 1);
    ck_assert(mote_store_hash_eq(&cm.parents[0], &c[3]));
    mote_store_commit_clear(&cm);
    mote_store_hash lm;
    ck_assert_int_eq(mote_store_last_modified(s, "k", &lm), 0);
    ck_assert(mote_store_hash_eq(&lm, &c[4]));
    ck_assert_int_eq(mote_store_last_modified(s, "other", &lm), 0);
    ck_assert(mote_store_hash_eq(&lm, &c[2]));
    ck_assert_int_eq(mote_store_last_modified(s, "none", &lm), MOTE_ENOTFOUND);
    ck_assert_int_eq(mote_store_is_ancestor(f.r, &c[1], &c[4]), 1);
    ck_assert_int_eq(mote_store_is_ancestor(f.r, &c[4], &c[1]), 0);
    /* a criss-cross: two lowest common ancestors */
    ck_assert_int_eq(mote_store_branch_create(f.r, "x", &c[4]), 0);
    ck_assert_int_eq(mote_store_branch_create(f.r, "y", &c[4]), 0);
    mote_store *x = mote_store_of_branch(f.r, "x", NULL);
    mote_store *y = mote_store_of_branch(f.r, "y", NULL);
    mote_store_hash x1, y1, xm, ym;
    ck_assert_int_eq(mote_store_set(x, "fx", "1", 1, &info, &x1), 0);
    ck_assert_int_eq(mote_store_set(y, "fy", "1", 1, &info, &y1), 0);
    ck_assert_int_eq(mote_store_merge_commit(x, &y1, 1, &info, NULL, &xm), 0);
    ck_assert_int_eq(mote_store_merge_commit(y, &x1, 1, &info, NULL, &ym), 0);
    mote_store_hash *l;
    size_t n;
    ck_assert_int_eq(mote_store_lcas(f.r, &xm, &ym, 0, 0, &l, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert(mote_store_hash_eq(&l[0], &x1) || mote_store_hash_eq(&l[1], &x1));
    ck_assert(mote_store_hash_eq(&l[0], &y1) || mote_store_hash_eq(&l[1], &y1));
    free(l);
    ck_assert_int_eq(mote_store_lcas(f.r, &xm, &ym, 0, 1, &l, &n), MOTE_ELIMIT);
    ck_assert_int_eq(mote_store_lcas(f.r, &c[4], &c[1], 0, 0, &l, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert(mote_store_hash_eq(&l[0], &c[1]));
    free(l);
    /* a depth bound too small to reach the ancestor */
    ck_assert_int_eq(mote_store_lcas(f.r, &xm, &c[0], 2, 0, &l, &n), MOTE_ELIMIT);
    /* the criss-cross merges cleanly through a virtual ancestor */
    ck_assert_int_eq(mote_store_merge_commit(x, &ym, 0, &info, NULL, NULL), 0);
    CK_VAL(x, "fx", "1");
    CK_VAL(x, "fy", "1");
    mote_store_free(x);
    mote_store_free(y);
    mote_store_free(s);
    close_fx(&f);
}
END_TEST

/* ---- merges ---- */

static int merge3(fx *f, const char *path, const char *anc, const char *a, const char *b, char *out,
                  size_t outlen, mote_store_conflicts *cf)
{
    mote_store *m = mote_store_of_branch(f->r, "m", NULL);
    mote_store_hash base;
    if (anc)
        set(m, path, anc);
    else
        set(m, "unrelated", "u");
    ck_assert_int_eq(mote_store_head(m, &base), 0);
    mote_store_branch_delete(f->r, "o");
    ck_assert_int_eq(mote_store_branch_create(f->r, "o", &base), 0);
    mote_store *o = mote_store_of_branch(f->r, "o", NULL);
    if (a)
        set(m, path, a);
    else
        mote_store_remove(m, path, &info, NULL);
    if (b)
        set(o, path, b);
    else
        mote_store_remove(o, path, &info, NULL);
    int rc = mote_store_merge_into(m, "o", &info, cf, NULL);
    if (rc == 0 && out) {
        char *v = getv(m, path);
        snprintf(out, outlen, "%s", v ? v : "<absent>");
        free(v);
    }
    mote_store_free(o);
    /* reset m for the next case */
    mote_store_branch_delete(f->r, "m");
    mote_store_free(m);
    return rc;
}

START_TEST(t_merge_values)
{
    fx f = open_fx(_i);
    char out[256];
    mote_store_conflicts cf = {0};
    /* bytes */
    ck_assert_int_eq(merge3(&f, "p", "a", "b", "a", out, sizeof out, &cf), 0);
    ck_assert_str_eq(out, "b");
    ck_assert_int_eq(merge3(&f, "p", "a", "b", "b", out, sizeof out, &cf), 0);
    ck_assert_str_eq(out, "b");
    ck_assert_int_eq(merge3(&f, "p", "a", "b", "c", out, sizeof out, &cf), MOTE_ECONFLICT);
    ck_assert_uint_eq(cf.n, 1);
    ck_assert_str_eq(cf.items[0].path, "p");
    ck_assert_int_eq(memcmp(cf.items[0].ancestor.data, "a", 1), 0);
    ck_assert_int_eq(memcmp(cf.items[0].ours.data, "b", 1), 0);
    ck_assert_int_eq(memcmp(cf.items[0].theirs.data, "c", 1), 0);
    mote_store_conflicts_clear(&cf);
    /* removed on one side, changed on the other */
    ck_assert_int_eq(merge3(&f, "p", "a", NULL, "c", out, sizeof out, &cf), MOTE_ECONFLICT);
    ck_assert_int_eq(cf.items[0].ours.present, 0);
    ck_assert_ptr_nonnull(strstr(cf.items[0].reason, "removed"));
    mote_store_conflicts_clear(&cf);
    ck_assert_int_eq(merge3(&f, "p", "a", NULL, "a", out, sizeof out, &cf), 0);
    ck_assert_str_eq(out, "<absent>");
    /* added on both sides differently, no ancestor */
    ck_assert_int_eq(merge3(&f, "p", NULL, "x", "y", out, sizeof out, &cf), MOTE_ECONFLICT);
    ck_assert_int_eq(cf.items[0].ancestor.present, 0);
    mote_store_conflicts_clear(&cf);
    /* counters */
    ck_assert_int_eq(merge3(&f, "c.counter", "10", "13", "5", out, sizeof out, &cf), 0);
    ck_assert_str_eq(out, "8");
    ck_assert_int_eq(merge3(&f, "c.counter", NULL, "2", "3", out, sizeof out, &cf), 0);
    ck_assert_str_eq(out, "5");
    ck_assert_int_eq(merge3(&f, "c.counter", "0", "9223372036854775807", "1", out, sizeof out, &cf),
                     MOTE_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(cf.items[0].reason, "overflow"));
    mote_store_conflicts_clear(&cf);
    ck_assert_int_eq(merge3(&f, "c.counter", "1", "x", "2", out, sizeof out, &cf), MOTE_ECONFLICT);
    mote_store_conflicts_clear(&cf);
    /* last writer wins */
    ck_assert_int_eq(merge3(&f, "r.lww", "1 a", "5 b", "3 c", out, sizeof out, &cf), 0);
    ck_assert_str_eq(out, "5 b");
    ck_assert_int_eq(merge3(&f, "r.lww", "1 a", "5 b", "7 c", out, sizeof out, &cf), 0);
    ck_assert_str_eq(out, "7 c");
    ck_assert_int_eq(merge3(&f, "r.lww", "1 a", "5 b", "5 c", out, sizeof out, &cf), 0);
    ck_assert_str_eq(out, "5 c");
    /* sets */
    ck_assert_int_eq(
        merge3(&f, "s.set", "a\nb\nc\n", "a\nc\nd\n", "b\nc\ne\n", out, sizeof out, &cf), 0);
    ck_assert_str_eq(out, "c\nd\ne\n");
    /* JSON objects, recursively */
    ck_assert_int_eq(merge3(&f, "o.json", "{\"a\":1,\"b\":{\"x\":1,\"y\":2},\"c\":3}",
                            "{\"a\":2,\"b\":{\"x\":1,\"y\":3},\"c\":3}",
                            "{\"a\":1,\"b\":{\"x\":5,\"y\":2},\"d\":[1, 2]}", out, sizeof out, &cf),
                     0);
    ck_assert_str_eq(out, "{\"a\":2,\"b\":{\"x\":5,\"y\":3},\"d\":[1,2]}");
    ck_assert_int_eq(merge3(&f, "o.json", "{\"a\":{\"b\":1}}", "{\"a\":{\"b\":2}}",
                            "{\"a\":{\"b\":3}}", out, sizeof out, &cf),
                     MOTE_ECONFLICT);
    ck_assert_uint_eq(cf.n, 1);
    ck_assert_ptr_nonnull(strstr(cf.items[0].reason, "/a/b"));
    mote_store_conflicts_clear(&cf);
    ck_assert_int_eq(merge3(&f, "o.json", "{}", "{\"a\":1", "{}", out, sizeof out, &cf), 0);
    ck_assert_int_eq(merge3(&f, "o.json", "{}", "{\"a\":1", "{\"b\":1}", out, sizeof out, &cf),
                     MOTE_ECONFLICT);
    mote_store_conflicts_clear(&cf);
    /* a tree removed on one side merges value by value with the other */
    {
        mote_store *m = mote_store_of_branch(f.r, "tm", NULL);
        set(m, "dir/x", "1");
        set(m, "keep", "k");
        mote_store_hash base;
        mote_store_head(m, &base);
        ck_assert_int_eq(mote_store_branch_create(f.r, "tt", &base), 0);
        mote_store *o = mote_store_of_branch(f.r, "tt", NULL);
        mote_store_remove(m, "dir/x", &info, NULL); /* "dir" disappears */
        set(o, "dir/y", "2");
        ck_assert_int_eq(mote_store_merge_into(m, "tt", &info, &cf, NULL), 0);
        ck_assert_int_eq(mote_store_mem(m, "dir/x"), 0);
        CK_VAL(m, "dir/y", "2");
        /* removed against changed, under a removed tree: the value's path */
        set(o, "dir/y", "3");
        mote_store_remove(m, "dir/y", &info, NULL);
        ck_assert_int_eq(mote_store_merge_into(m, "tt", &info, &cf, NULL), MOTE_ECONFLICT);
        ck_assert_uint_eq(cf.n, 1);
        ck_assert_str_eq(cf.items[0].path, "dir/y");
        mote_store_conflicts_clear(&cf);
        mote_store_free(o);
        mote_store_free(m);
    }
    /* a value against a tree */
    ck_assert_int_eq(merge3(&f, "t", "v", "w", NULL, out, sizeof out, &cf), MOTE_ECONFLICT);
    mote_store_conflicts_clear(&cf);
    close_fx(&f);
}
END_TEST

START_TEST(t_json_canon)
{
    (void)_i;
    mote_buf b;
    mote_buf_init(&b, 0);
    ck_assert_int_eq(
        mote_store_json_canon(
            mote_slice_str(
                " {\"b\" : [true,false,null, -1.5e3], \"a\":\"\\u00e9\\n\\ud83d\\ude00\"} "),
            &b),
        0);
    mote_buf_append_byte(&b, 0);
    ck_assert_str_eq((char *)b.data,
                     "{\"a\":\"\xc3\xa9\\n\xf0\x9f\x98\x80\",\"b\":[true,false,null,-1.5e3]}");
    const char *bad[] = {"{",   "{\"a\":1,\"a\":2}", "01", "[1,]", "\"\\ud800\"", "tru",
                         "1 2", "\"\x01\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mote_buf_reset(&b);
        ck_assert_int_ne(mote_store_json_canon(mote_slice_str(bad[i]), &b), 0);
    }
    char deep[200];
    memset(deep, '[', 100);
    deep[100] = 0;
    ck_assert_int_eq(mote_store_json_canon(mote_slice_str(deep), &b), MOTE_ELIMIT);
    mote_buf_free(&b);
}
END_TEST

static int merge_upper(void *ctx, const char *path, const mote_slice *anc, mote_slice o,
                       mote_slice t, mote_buf *out, mote_buf *why)
{
    (void)anc;
    (void)why;
    int *calls = ctx;
    (*calls)++;
    ck_assert_str_eq(path, "dir/file");
    mote_buf_append(out, o.ptr, o.len);
    mote_buf_append_byte(out, '+');
    return mote_buf_append(out, t.ptr, t.len);
}

START_TEST(t_merge_user_fn)
{
    int calls = 0;
    mote_store_config cfg = {0};
    cfg.merge = merge_upper;
    cfg.merge_ctx = &calls;
    int err;
    mote_store_repo *r;
    char *dir = NULL;
    if (_i == 0)
        r = mote_store_mem_new(&cfg, &err);
    else {
        dir = st_tmpdir();
        r = mote_store_git_open(dir, 1, &cfg, &err);
    }
    ck_assert_ptr_nonnull(r);
    mote_store *a = mote_store_of_branch(r, "a", NULL);
    set(a, "dir/file", "0");
    mote_store_hash h;
    mote_store_head(a, &h);
    mote_store_branch_create(r, "b", &h);
    mote_store *b = mote_store_of_branch(r, "b", NULL);
    set(a, "dir/file", "A");
    set(b, "dir/file", "B");
    mote_store_hash mc;
    ck_assert_int_eq(mote_store_merge_into(a, "b", &info, NULL, &mc), 0);
    CK_VAL(a, "dir/file", "A+B");
    ck_assert_int_eq(calls, 1);
    mote_store_commit c;
    ck_assert_int_eq(mote_store_commit_read(r, &mc, &c), 0);
    ck_assert_uint_eq(c.nparents, 2);
    mote_store_commit_clear(&c);
    /* merging again changes nothing */
    mote_store_hash again;
    ck_assert_int_eq(mote_store_merge_into(a, "b", &info, NULL, &again), 0);
    ck_assert(mote_store_hash_eq(&again, &mc));
    /* b fast-forwards to the merge */
    ck_assert_int_eq(mote_store_merge_into(b, "a", &info, NULL, &again), 0);
    ck_assert(mote_store_hash_eq(&again, &mc));
    mote_store_free(a);
    mote_store_free(b);
    mote_store_repo_free(r);
    if (dir) {
        st_rmrf(dir);
        free(dir);
    }
}
END_TEST

/* ---- watches ---- */

typedef struct wlog {
    char text[2048];
    int calls;
    int fail;
    mote_store *writer; /* writes once from inside the callback */
} wlog;

static int watch_cb(void *arg, const char *branch, int change, const char *path,
                    const mote_store_hash *o, const mote_store_hash *n, const mote_store_hash *oh,
                    const mote_store_hash *nh)
{
    (void)o;
    (void)n;
    (void)oh;
    (void)nh;
    wlog *w = arg;
    w->calls++;
    st_note_change(w->text, sizeof w->text, branch, change, path);
    if (w->writer) {
        mote_store *s = w->writer;
        w->writer = NULL;
        set(s, "cfg/from-callback", "1");
    }
    return w->fail;
}

START_TEST(t_watch)
{
    fx f = open_fx(_i);
    mote_store *s = mote_store_of_branch(f.r, "main", NULL);
    set(s, "cfg/a", "1");
    wlog all = {"", 0, 0, NULL}, cfg = {"", 0, 1, NULL};
    int err;
    mote_store_watch *w1 = mote_store_watch_new(f.r, NULL, NULL, watch_cb, &all, &err);
    mote_store_watch *w2 = mote_store_watch_new(f.r, "main", "cfg", watch_cb, &cfg, &err);
    ck_assert_ptr_nonnull(w1);
    ck_assert_ptr_nonnull(w2);
    set(s, "cfg/b", "2");
    set(s, "cfg/a", "3");
    set(s, "other", "x");
    mote_store_remove(s, "cfg/b", &info, NULL);
    ck_assert_str_eq(cfg.text, "main:A:cfg/b;main:U:cfg/a;main:R:cfg/b;");
    ck_assert_str_eq(all.text, "main:A:cfg/b;main:U:cfg/a;main:A:other;main:R:cfg/b;");
    ck_assert_uint_eq(mote_store_watch_failures(w2), 3); /* failures are counted, not fatal */
    ck_assert_uint_eq(mote_store_watch_failures(w1), 0);
    /* a callback that writes: its event comes after, never nested */
    all.text[0] = 0;
    cfg.text[0] = 0;
    cfg.fail = 0;
    cfg.writer = s;
    set(s, "cfg/c", "4");
    ck_assert_str_eq(cfg.text, "main:A:cfg/c;main:A:cfg/from-callback;");
    ck_assert_str_eq(all.text, "main:A:cfg/c;main:A:cfg/from-callback;");
    /* branch creation and deletion */
    all.text[0] = 0;
    mote_store_hash h;
    mote_store_head(s, &h);
    mote_store_branch_create(f.r, "copy", &h);
    ck_assert_ptr_nonnull(strstr(all.text, "copy:A:cfg/a;"));
    mote_store_watch_free(w2);
    cfg.text[0] = 0;
    set(s, "cfg/d", "5");
    ck_assert_str_eq(cfg.text, "");
    /* another process (a second repository handle) moves the branch */
    if (f.dir) {
        mote_store_repo *r2 = mote_store_git_open(f.dir, 0, NULL, &err);
        ck_assert_ptr_nonnull(r2);
        mote_store *s2 = mote_store_of_branch(r2, "main", NULL);
        set(s2, "outside", "1");
        mote_store_free(s2);
        mote_store_repo_free(r2);
        all.text[0] = 0;
        ck_assert_int_eq(mote_store_watch_poll(f.r), 1);
        ck_assert_str_eq(all.text, "main:A:outside;");
        ck_assert_int_eq(mote_store_watch_poll(f.r), 0);
        /* a branch another process creates, then deletes */
        r2 = mote_store_git_open(f.dir, 0, NULL, &err);
        mote_store *e2 = mote_store_of_branch(r2, "ext", NULL);
        set(e2, "x", "1");
        mote_store_free(e2);
        all.text[0] = 0;
        ck_assert_int_eq(mote_store_watch_poll(f.r), 1);
        ck_assert_str_eq(all.text, "ext:A:x;");
        ck_assert_int_eq(mote_store_branch_delete(r2, "ext"), 0);
        mote_store_repo_free(r2);
        all.text[0] = 0;
        ck_assert_int_eq(mote_store_watch_poll(f.r), 1);
        ck_assert_str_eq(all.text, "ext:R:x;");
    }
    mote_store_watch_free(w1);
    mote_store_free(s);
    close_fx(&f);
}
END_TEST

/* ---- batches ---- */

static int count_cb(void *arg, const mote_store_commit *c)
{
    (void)c;
    (*(int *)arg)++;
    return 0;
}

START_TEST(t_batch)
{
    fx f = open_fx(_i);
    mote_store *s = mote_store_of_branch(f.r, "main", NULL);
    set(s, "a", "1");
    mote_store_hash before, h;
    ck_assert_int_eq(mote_store_head(s, &before), 0);
    wlog all = {"", 0, 0, NULL};
    int err;
    mote_store_watch *w = mote_store_watch_new(f.r, NULL, NULL, watch_cb, &all, &err);
    ck_assert_ptr_nonnull(w);
    mote_store_repo *r2 = f.dir ? mote_store_git_open(f.dir, 0, NULL, &err) : NULL;
    mote_store *s2 = r2 ? mote_store_of_branch(r2, "main", NULL) : NULL;

    ck_assert_int_eq(mote_store_batch_active(f.r), 0);
    ck_assert_int_eq(mote_store_batch_end(f.r, &info, NULL), MOTE_EINVAL); /* none open */
    ck_assert_int_eq(mote_store_batch_begin(f.r), 0);
    ck_assert_int_eq(mote_store_batch_begin(f.r), MOTE_EBUSY);
    ck_assert_int_eq(mote_store_batch_active(f.r), 1);
    for (int i = 0; i < 40; i++) {
        char k[32], v[32];
        snprintf(k, sizeof k, "d%d/k%d", i % 4, i);
        snprintf(v, sizeof v, "v%d", i);
        set(s, k, v);
        CK_VAL(s, k, v); /* seen at once through this repository */
    }
    mote_store_remove(s, "d0/k0", &info, NULL);
    /* a branch made and a transaction committed inside the batch */
    ck_assert_int_eq(mote_store_head(s, &h), 0);
    ck_assert_int_eq(mote_store_branch_create(f.r, "side", &h), 0);
    mote_store *side = mote_store_of_branch(f.r, "side", NULL);
    mote_store_tx *t = mote_store_tx_begin(side, NULL);
    ck_assert_int_eq(mote_store_tx_set(t, "s/x", "1", 1), 0);
    ck_assert_int_eq(mote_store_tx_set(t, "s/y", "2", 1), 0);
    ck_assert_int_eq(mote_store_tx_commit(t, &info, NULL, NULL), 0);
    mote_store_tx_free(t);
    char names[256] = "";
    ck_assert_int_eq(mote_store_branch_list(f.r, collect, names), 0);
    ck_assert_str_eq(names, "main,side,");
    ck_assert_int_eq(all.calls, 0); /* watches hear of it at the end */
    if (r2) {
        /* nothing reached the disk: another process sees the old head */
        ck_assert_int_eq(mote_store_head(s2, &h), 0);
        ck_assert(mote_store_hash_eq(&h, &before));
        ck_assert_int_eq(mote_store_branch_head(r2, "side", &h), MOTE_ENOTFOUND);
        ck_assert_int_eq(mote_store_git_fetch(f.r, f.dir, "main", &h), MOTE_EBUSY);
    }
    ck_assert_int_eq(mote_store_batch_end(f.r, &info, NULL), 0);
    ck_assert_int_eq(mote_store_batch_active(f.r), 0);
    /* one event per net change: 39 added values (d0/k0 came and went) */
    ck_assert_int_eq(all.calls, 39 + 2 + 40);
    ck_assert_ptr_nonnull(strstr(all.text, "main:A:d1/k1;"));
    ck_assert_ptr_null(strstr(all.text, "main:A:d0/k0;"));
    int n = 0;
    ck_assert_int_eq(mote_store_log(s, 0, count_cb, &n), 0);
    ck_assert_int_eq(n, 1 + 40 + 1); /* every write its own commit */
    mote_store_hash mine;
    ck_assert_int_eq(mote_store_head(s, &mine), 0);
    if (r2) {
        ck_assert_int_eq(mote_store_head(s2, &h), 0);
        ck_assert(mote_store_hash_eq(&h, &mine));
        CK_VAL(s2, "d3/k39", "v39");
        mote_store *side2 = mote_store_of_branch(r2, "side", NULL);
        CK_VAL(side2, "s/y", "2");
        mote_store_free(side2);

        /* another writer moves the branch during a batch: merged at the end */
        ck_assert_int_eq(mote_store_batch_begin(f.r), 0);
        set(s, "mine", "1");
        set(s2, "theirs", "1");
        ck_assert_int_eq(mote_store_batch_end(f.r, &info, NULL), 0);
        CK_VAL(s, "mine", "1");
        CK_VAL(s, "theirs", "1");
        mote_store_commit c;
        ck_assert_int_eq(mote_store_head(s, &h), 0);
        ck_assert_int_eq(mote_store_commit_read(f.r, &h, &c), 0);
        ck_assert_uint_eq(c.nparents, 2);
        mote_store_commit_clear(&c);

        /* ... and a conflicting one: the other writer's head stays */
        ck_assert_int_eq(mote_store_batch_begin(f.r), 0);
        set(s, "c", "mine");
        set(s2, "c", "theirs");
        mote_store_conflicts cf = {0};
        ck_assert_int_eq(mote_store_batch_end(f.r, &info, &cf), MOTE_ECONFLICT);
        ck_assert_uint_ge(cf.n, 1);
        ck_assert_str_eq(cf.items[0].path, "c");
        mote_store_conflicts_clear(&cf);
        CK_VAL(s, "c", "theirs");
    }
    /* abort: the branches stay where they were */
    ck_assert_int_eq(mote_store_head(s, &h), 0);
    ck_assert_int_eq(mote_store_batch_begin(f.r), 0);
    set(s, "gone", "1");
    mote_store_batch_abort(f.r);
    ck_assert_ptr_null(getv(s, "gone"));
    ck_assert_int_eq(mote_store_head(s, &mine), 0);
    ck_assert(mote_store_hash_eq(&h, &mine));
    /* a batch left open when the repository is freed moves nothing */
    ck_assert_int_eq(mote_store_batch_begin(f.r), 0);
    set(s, "left-open", "1");
    mote_store_free(side);
    mote_store_free(s2);
    mote_store_repo_free(r2);
    mote_store_watch_free(w);
    mote_store_free(s);
    if (f.dir) {
        mote_store_repo_free(f.r);
        f.r = mote_store_git_open(f.dir, 0, NULL, &err);
        ck_assert_ptr_nonnull(f.r);
        s = mote_store_of_branch(f.r, "main", NULL);
        ck_assert_ptr_null(getv(s, "left-open"));
        CK_VAL(s, "c", "theirs");
        mote_store_free(s);
    }
    close_fx(&f);
}
END_TEST

/* ---- sync ---- */

START_TEST(t_sync)
{
    /* _i: 0 mem->git, 1 git->mem, 2 mem->mem, 3 git->git */
    fx a = open_fx(_i == 1 || _i == 3), b = open_fx(_i == 0 || _i == 3);
    mote_store *sa = mote_store_of_branch(a.r, "main", NULL);
    set(sa, "x/y", "1");
    set(sa, "z", "2");
    mote_store *sb = mote_store_of_branch(b.r, "main", NULL);
    ck_assert_int_eq(mote_store_pull(sb, a.r, "main", 1, &info, NULL), 0);
    CK_VAL(sb, "x/y", "1");
    /* diverge and merge */
    set(sa, "z", "3");
    set(sb, "w", "4");
    ck_assert_int_eq(mote_store_pull(sb, a.r, "main", 1, &info, NULL), MOTE_ECONFLICT);
    ck_assert_int_eq(mote_store_pull(sb, a.r, "main", 0, &info, NULL), 0);
    CK_VAL(sb, "z", "3");
    CK_VAL(sb, "w", "4");
    /* push back: a fast-forward */
    ck_assert_int_eq(mote_store_push(sb, a.r, "main", 0), 0);
    CK_VAL(sa, "w", "4");
    /* a diverged push is refused unless forced */
    set(sa, "only-a", "1");
    set(sb, "only-b", "1");
    ck_assert_int_eq(mote_store_push(sb, a.r, "main", 0), MOTE_ECONFLICT);
    ck_assert_int_eq(mote_store_push(sb, a.r, "main", 1), 0);
    ck_assert_int_eq(mote_store_mem(sa, "only-a"), 0);
    CK_VAL(sa, "only-b", "1");
    mote_store_free(sa);
    mote_store_free(sb);
    close_fx(&a);
    close_fx(&b);
}
END_TEST

START_TEST(t_snapshot_gc)
{
    fx f = open_fx(_i);
    mote_store *s = mote_store_of_branch(f.r, "main", NULL);
    set(s, "a/b", "1");
    set(s, "a/c", "2");
    mote_store_hash h, h2;
    mote_store_head(s, &h);
    mote_buf snap;
    mote_buf_init(&snap, 0);
    ck_assert_int_eq(mote_store_export(f.r, &h, &snap), 0);
    mote_store_repo *m = mote_store_mem_new(NULL, NULL);
    ck_assert_int_eq(mote_store_import(m, mote_buf_slice(&snap), &h2), 0);
    ck_assert(mote_store_hash_eq(&h, &h2));
    mote_store *sm = mote_store_of_commit(m, &h2, NULL);
    CK_VAL(sm, "a/c", "2");
    mote_store_free(sm);
    /* corrupt snapshots: a flipped byte, truncation, a missing object */
    for (size_t i = 10; i < snap.len; i += 7) {
        mote_store_repo *m2 = mote_store_mem_new(NULL, NULL);
        snap.data[i] ^= 0x20;
        int rc = mote_store_import(m2, mote_buf_slice(&snap), &h2);
        snap.data[i] ^= 0x20;
        ck_assert_int_ne(rc, 0);
        mote_store_repo_free(m2);
    }
    mote_store_repo *m3 = mote_store_mem_new(NULL, NULL);
    ck_assert_int_ne(mote_store_import(m3, mote_slice_make(snap.data, snap.len - 3), &h2), 0);
    mote_store_repo_free(m3);
    mote_buf_free(&snap);
    /* gc (memory only) */
    if (_i == 0) {
        long before = mote_store_mem_objects(f.r);
        mote_store_tx *t = mote_store_tx_begin(s, NULL);
        mote_store_tx_set(t, "garbage/1", "g1", 2);
        mote_store_tx_set(t, "garbage/2", "g2", 2);
        mote_store_tx_free(t); /* never committed */
        ck_assert_int_gt(mote_store_mem_objects(f.r), before);
        size_t freed = 0;
        ck_assert_int_eq(mote_store_mem_gc(f.r, NULL, 0, &freed), 0);
        ck_assert_uint_gt(freed, 0);
        CK_VAL(s, "a/b", "1");
        mote_store_hash prev;
        mote_store_commit c;
        mote_store_commit_read(f.r, &h, &c);
        prev = c.parents[0];
        mote_store_commit_clear(&c);
        ck_assert_int_eq(mote_store_commit_read(f.r, &prev, &c), 0);
        mote_store_commit_clear(&c);
    } else {
        ck_assert_int_eq(mote_store_mem_gc(f.r, NULL, 0, NULL), MOTE_EUNSUPPORTED);
    }
    mote_store_repo_free(m);
    mote_store_free(s);
    close_fx(&f);
}
END_TEST

/* ---- model-based randomized test ---- */

#define MKEYS 40
typedef struct model {
    char *v[MKEYS]; /* NULL: absent */
} model;

static void key_name(int k, char *out, size_t n)
{
    /* a few shapes: flat, nested, and a key that is a prefix of a tree */
    if (k < 10)
        snprintf(out, n, "k%d", k);
    else if (k < 30)
        snprintf(out, n, "d%d/k%d", k % 4, k);
    else
        snprintf(out, n, "deep/e%d/f%d/v", k % 3, k);
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void check_model(mote_store *s, const model *m, int step)
{
    for (int k = 0; k < MKEYS; k++) {
        char name[64];
        key_name(k, name, sizeof name);
        char *v = getv(s, name);
        if (m->v[k]) {
            ck_assert_msg(v && strcmp(v, m->v[k]) == 0, "step %d key %s: want %s got %s", step,
                          name, m->v[k], v ? v : "(absent)");
        } else
            ck_assert_msg(v == NULL, "step %d key %s should be absent", step, name);
        free(v);
    }
    /* the listing of d0 matches the model */
    mote_store_entry *e;
    size_t n;
    ck_assert_int_eq(mote_store_list(s, "d0", &e, &n), 0);
    size_t want = 0;
    for (int k = 10; k < 30; k++)
        if (k % 4 == 0 && m->v[k])
            want++;
    ck_assert_uint_eq(n, want);
    mote_store_entries_free(e, n);
}

START_TEST(t_model)
{
    const char *soak = getenv("MOTE_STORE_SOAK");
    int steps = soak ? atoi(soak) : 400;
    fx fm = open_fx(0), fg = open_fx(1);
    mote_store *s[2] = {mote_store_of_branch(fm.r, "main", NULL),
                        mote_store_of_branch(fg.r, "main", NULL)};
    model m = {{0}}, saved = {{0}};
    mote_store_repo *rs[2] = {fm.r, fg.r};
    int in_batch = 0;
    uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)steps;
    for (int step = 0; step < steps; step++) {
        /* now and then a batch opens or closes on both repositories: the
         * writes inside behave the same; an abort brings back the state
         * before it; on Git, what the end wrote is what a new handle reads */
        if (rnd(&seed) % 16 == 0) {
            if (!in_batch) {
                for (int b = 0; b < 2; b++)
                    ck_assert_int_eq(mote_store_batch_begin(rs[b]), 0);
                for (int k = 0; k < MKEYS; k++)
                    saved.v[k] = m.v[k] ? strdup(m.v[k]) : NULL;
                in_batch = 1;
            } else {
                int abort_it = rnd(&seed) % 4 == 0;
                for (int b = 0; b < 2; b++) {
                    if (abort_it)
                        mote_store_batch_abort(rs[b]);
                    else
                        ck_assert_int_eq(mote_store_batch_end(rs[b], &info, NULL), 0);
                }
                for (int k = 0; k < MKEYS; k++) {
                    if (abort_it) {
                        free(m.v[k]);
                        m.v[k] = saved.v[k];
                    } else
                        free(saved.v[k]);
                    saved.v[k] = NULL;
                }
                in_batch = 0;
                int err;
                mote_store_repo *r2 = mote_store_git_open(fg.dir, 0, NULL, &err);
                ck_assert_ptr_nonnull(r2);
                mote_store *s2 = mote_store_of_branch(r2, "main", NULL);
                check_model(s2, &m, step);
                mote_store_free(s2);
                mote_store_repo_free(r2);
            }
        }
        int op = (int)(rnd(&seed) % 10);
        int k = (int)(rnd(&seed) % MKEYS);
        char name[64], val[32];
        key_name(k, name, sizeof name);
        snprintf(val, sizeof val, "v%llu", (unsigned long long)(rnd(&seed) % 1000));
        if (op < 5) {
            for (int b = 0; b < 2; b++)
                set(s[b], name, val);
            free(m.v[k]);
            m.v[k] = strdup(val);
        } else if (op < 7) {
            for (int b = 0; b < 2; b++)
                ck_assert_int_eq(mote_store_remove(s[b], name, &info, NULL), 0);
            free(m.v[k]);
            m.v[k] = NULL;
        } else if (op < 9) {
            /* a transaction of three changes */
            mote_store_tx *t[2] = {mote_store_tx_begin(s[0], NULL),
                                   mote_store_tx_begin(s[1], NULL)};
            for (int j = 0; j < 3; j++) {
                int kk = (int)(rnd(&seed) % MKEYS);
                char nm[64];
                key_name(kk, nm, sizeof nm);
                int del = rnd(&seed) % 3 == 0;
                for (int b = 0; b < 2; b++)
                    ck_assert_int_eq(del ? mote_store_tx_remove(t[b], nm)
                                         : mote_store_tx_set(t[b], nm, val, strlen(val)),
                                     0);
                free(m.v[kk]);
                m.v[kk] = del ? NULL : strdup(val);
            }
            for (int b = 0; b < 2; b++) {
                ck_assert_int_eq(mote_store_tx_commit(t[b], &info, NULL, NULL), 0);
                mote_store_tx_free(t[b]);
            }
        } else {
            /* test-and-set against the model's value */
            const char *cur = m.v[k];
            for (int b = 0; b < 2; b++)
                ck_assert_int_eq(mote_store_test_and_set(s[b], name, cur, cur ? strlen(cur) : 0,
                                                         val, strlen(val), &info, NULL),
                                 0);
            const char *wrong = "nope";
            for (int b = 0; b < 2; b++)
                ck_assert_int_eq(
                    mote_store_test_and_set(s[b], name, wrong, 4, val, strlen(val), &info, NULL),
                    MOTE_ECONFLICT);
            free(m.v[k]);
            m.v[k] = strdup(val);
        }
        check_model(s[0], &m, step);
        check_model(s[1], &m, step);
        /* both backends agree on the root tree id */
        mote_store_hash ta, tb;
        int ra = mote_store_hash_at(s[0], "", &ta), rb = mote_store_hash_at(s[1], "", &tb);
        ck_assert_int_eq(ra, rb);
        if (!ra)
            ck_assert(mote_store_hash_eq(&ta, &tb));
    }
    for (int b = 0; in_batch && b < 2; b++)
        ck_assert_int_eq(mote_store_batch_end(rs[b], &info, NULL), 0);
    for (int k = 0; k < MKEYS; k++) {
        free(m.v[k]);
        free(saved.v[k]);
    }
    mote_store_free(s[0]);
    mote_store_free(s[1]);
    close_fx(&fm);
    close_fx(&fg);
}
END_TEST

/* Two branches, each owning half of the keys (a even, b odd), with
 * random writes and merges in both directions; the model of a merge is
 * "the destination takes the source's keys". Merges never conflict, so
 * every one must succeed, on both backends, with the same trees. */
START_TEST(t_model_branches)
{
    const char *soak = getenv("MOTE_STORE_SOAK");
    int steps = soak ? atoi(soak) / 2 : 150;
    fx f[2] = {open_fx(0), open_fx(1)};
    mote_store *br[2][2];
    for (int b = 0; b < 2; b++) {
        br[b][0] = mote_store_of_branch(f[b].r, "a", NULL);
        set(br[b][0], "seed", "s");
        mote_store_hash h;
        mote_store_head(br[b][0], &h);
        ck_assert_int_eq(mote_store_branch_create(f[b].r, "b", &h), 0);
        br[b][1] = mote_store_of_branch(f[b].r, "b", NULL);
    }
    model m[2] = {{{0}}, {{0}}};
    uint64_t seed = 0x1234567u ^ (uint64_t)steps;
    for (int step = 0; step < steps; step++) {
        int side = (int)(rnd(&seed) % 2), op = (int)(rnd(&seed) % 6);
        if (op < 4) {
            int k = (int)(rnd(&seed) % (MKEYS / 2)) * 2 + side; /* a key this side owns */
            char name[64], val[32];
            key_name(k, name, sizeof name);
            snprintf(val, sizeof val, "%c%d", side ? 'b' : 'a', step);
            for (int b = 0; b < 2; b++) {
                if (op == 3)
                    ck_assert_int_eq(mote_store_remove(br[b][side], name, &info, NULL), 0);
                else
                    set(br[b][side], name, val);
            }
            free(m[side].v[k]);
            m[side].v[k] = op == 3 ? NULL : strdup(val);
        } else {
            int dst = side, src = 1 - side;
            mote_store_conflicts cf = {0};
            for (int b = 0; b < 2; b++) {
                int rc = mote_store_merge_into(br[b][dst], src ? "b" : "a", &info, &cf, NULL);
                ck_assert_msg(rc == 0, "step %d backend %d merge: %s (%zu conflicts%s%s)", step, b,
                              mote_strerror(rc), cf.n, cf.n ? ", first " : "",
                              cf.n ? cf.items[0].path : "");
            }
            for (int k = src; k < MKEYS; k += 2) {
                free(m[dst].v[k]);
                m[dst].v[k] = m[src].v[k] ? strdup(m[src].v[k]) : NULL;
            }
        }
        for (int b = 0; b < 2; b++)
            for (int s2 = 0; s2 < 2; s2++)
                check_model(br[b][s2], &m[s2], step);
        for (int s2 = 0; s2 < 2; s2++) {
            mote_store_hash t0, t1;
            ck_assert_int_eq(mote_store_hash_at(br[0][s2], "", &t0), 0);
            ck_assert_int_eq(mote_store_hash_at(br[1][s2], "", &t1), 0);
            ck_assert(mote_store_hash_eq(&t0, &t1));
        }
    }
    for (int s2 = 0; s2 < 2; s2++)
        for (int k = 0; k < MKEYS; k++)
            free(m[s2].v[k]);
    for (int b = 0; b < 2; b++) {
        mote_store_free(br[b][0]);
        mote_store_free(br[b][1]);
        close_fx(&f[b]);
    }
}
END_TEST

/* The id of the object at path must be the SHA-1 of its content as read
 * back (trees past ST_CK bytes are hashed from checkpoints when one entry
 * changes, so this checks that shortcut against a full hash). */
static void check_id(mote_store_repo *r, mote_store *s, const char *path, int step)
{
    mote_store_hash h, again;
    ck_assert_int_eq(mote_store_hash_at(s, path, &h), 0);
    mote_buf b;
    mote_buf_init(&b, 0);
    int type = 0;
    ck_assert_int_eq(mote_store_object_read(r, &h, &type, &b), 0);
    ck_assert_int_eq(type, MOTE_STORE_TREE);
    mote_store_object_id(type, b.data ? b.data : (const uint8_t *)"", b.len, &again);
    ck_assert_msg(mote_store_hash_eq(&h, &again), "step %d: id of %s is not its content's", step,
                  path);
    mote_buf_free(&b);
}

/* Large directories (several SHA-1 checkpoints long) under random single
 * key updates, removes and re-adds, on both backends: every tree id is its
 * content's hash, both backends agree, the values match a model, and old
 * commits still read as they were (trees are rewritten in place when only
 * the cache holds them). */
START_TEST(t_big_trees)
{
    enum { NK = 300, STEPS = 240 };
    fx f[2] = {open_fx(0), open_fx(1)};
    mote_store *s[2];
    char *m[NK] = {0};
    mote_store_hash old[2][4];
    char *oldv[4] = {0};
    int oldk[4] = {0};
    char name[64], val[64];
    for (int b = 0; b < 2; b++) {
        s[b] = mote_store_of_branch(f[b].r, "main", NULL);
        mote_store_tx *t = mote_store_tx_begin(s[b], NULL);
        for (int k = 0; k < NK; k++) {
            snprintf(name, sizeof name, "big/key%03d", k);
            snprintf(val, sizeof val, "initial %d", k);
            ck_assert_int_eq(mote_store_tx_set(t, name, val, strlen(val)), 0);
        }
        ck_assert_int_eq(mote_store_tx_set(t, "other/x", "x", 1), 0);
        ck_assert_int_eq(mote_store_tx_commit(t, &info, NULL, NULL), 0);
        mote_store_tx_free(t);
    }
    for (int k = 0; k < NK; k++) {
        snprintf(val, sizeof val, "initial %d", k);
        m[k] = strdup(val);
    }
    uint64_t seed = 0xabcdef12345ull;
    for (int step = 0; step < STEPS; step++) {
        int k = (int)(rnd(&seed) % NK), op = (int)(rnd(&seed) % 8);
        snprintf(name, sizeof name, "big/key%03d", k);
        snprintf(val, sizeof val, "v%d", step); /* lengths vary: ids change, sizes stay */
        for (int b = 0; b < 2; b++) {
            if (op == 0)
                ck_assert_int_eq(mote_store_remove(s[b], name, &info, NULL), 0);
            else
                set(s[b], name, val);
        }
        free(m[k]);
        m[k] = op == 0 ? NULL : strdup(val);
        for (int b = 0; b < 2; b++) {
            check_id(f[b].r, s[b], "big", step);
            check_id(f[b].r, s[b], "", step);
            char *v = getv(s[b], name);
            ck_assert_msg(m[k] ? (v && strcmp(v, m[k]) == 0) : v == NULL, "step %d %s", step, name);
            free(v);
        }
        mote_store_hash r0, r1;
        ck_assert_int_eq(mote_store_hash_at(s[0], "", &r0), 0);
        ck_assert_int_eq(mote_store_hash_at(s[1], "", &r1), 0);
        ck_assert(mote_store_hash_eq(&r0, &r1));
        if (step % 60 == 0) { /* remember a commit and the key just changed */
            int j = step / 60;
            for (int b = 0; b < 2; b++)
                ck_assert_int_eq(mote_store_head(s[b], &old[b][j]), 0);
            oldk[j] = k;
            oldv[j] = m[k] ? strdup(m[k]) : NULL;
        }
    }
    for (int b = 0; b < 2; b++) {
        for (int k = 0; k < NK; k++) {
            snprintf(name, sizeof name, "big/key%03d", k);
            char *v = getv(s[b], name);
            ck_assert_msg(m[k] ? (v && strcmp(v, m[k]) == 0) : v == NULL, "end %s", name);
            free(v);
        }
        for (int j = 0; j < 4; j++) {
            mote_store *o = mote_store_of_commit(f[b].r, &old[b][j], NULL);
            ck_assert_ptr_nonnull(o);
            snprintf(name, sizeof name, "big/key%03d", oldk[j]);
            char *v = getv(o, name);
            ck_assert(oldv[j] ? (v && strcmp(v, oldv[j]) == 0) : v == NULL);
            free(v);
            check_id(f[b].r, o, "big", j);
            mote_store_free(o);
        }
        mote_store_free(s[b]);
        close_fx(&f[b]);
    }
    for (int k = 0; k < NK; k++)
        free(m[k]);
    for (int j = 0; j < 4; j++)
        free(oldv[j]);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("backends");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_basic, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_bad_input, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_set_tree, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_test_and_set, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_tx, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_branches, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_history, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_merge_values, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_json_canon, 0, 1);
    tcase_add_loop_test(tc, t_merge_user_fn, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_watch, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_batch, 0, NBACKENDS);
    tcase_add_loop_test(tc, t_sync, 0, 4);
    tcase_add_loop_test(tc, t_snapshot_gc, 0, NBACKENDS);
    tcase_add_test(tc, t_model);
    tcase_add_test(tc, t_model_branches);
    tcase_add_test(tc, t_big_trees);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(store_suite());
}
