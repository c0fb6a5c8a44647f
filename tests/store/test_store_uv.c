/*
 * test_store_uv.c - libmote-store-uv through a real libuv loop: branches
 * moved by another process (a mote writer, git update-ref, git branch in a
 * nested directory, git branch -D, git pack-refs) make the repository's
 * watches fire with the right changes, with no timer (file-system events
 * alone), and the library's handles close cleanly.
 */
#include <signal.h>

#include "common.h"
#include "mote/store_uv.h"

static const mote_store_info info = {"Mote Test <mote@example.org>", "mote commit", 1700000000};

typedef struct seen {
    char text[4096];
    int polls, moved, errors;
} seen;

static int on_change(void *arg, const char *branch, int change, const char *path,
                     const mote_store_hash *o, const mote_store_hash *n, const mote_store_hash *oh,
                     const mote_store_hash *nh)
{
    (void)o;
    (void)n;
    (void)oh;
    (void)nh;
    seen *s = arg;
    st_note_change(s->text, sizeof s->text, branch, change, path);
    return 0;
}

static void on_poll(void *arg, int polled)
{
    seen *s = arg;
    s->polls++;
    if (polled < 0)
        s->errors++;
    else
        s->moved += polled;
}

static void on_guard(uv_timer_t *t)
{
    *(int *)t->data = 1;
}

/* Runs the loop until the text contains want (or 10 s pass). */
static void run_until(uv_loop_t *loop, seen *s, const char *want)
{
    uv_timer_t guard;
    int expired = 0;
    uv_timer_init(loop, &guard);
    guard.data = &expired;
    uv_timer_start(&guard, on_guard, 10000, 0);
    while (!expired && !strstr(s->text, want))
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    ck_assert_msg(strstr(s->text, want) != NULL, "waited for %s, got %s", want, s->text);
}

static void set(mote_store *s, const char *path, const char *v)
{
    int rc = mote_store_set(s, path, v, strlen(v), &info, NULL);
    ck_assert_msg(rc == 0, "set %s: %s", path, mote_strerror(rc));
}

/* Sets path to v on branch in another process, through mote (its own
 * repository handle); checks that the child succeeded. */
static void write_in_child(const char *repo, const char *branch, const char *path, const char *v)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        mote_store_repo *r2 = mote_store_git_open(repo, 0, NULL, NULL);
        mote_store *s2 = mote_store_of_branch(r2, branch, NULL);
        int rc = mote_store_set(s2, path, v, strlen(v), &info, NULL);
        mote_store_free(s2);
        mote_store_repo_free(r2);
        _exit(rc ? 1 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

START_TEST(t_uv_watch)
{
    char *dir = st_tmpdir(), out[4096], repo[600];
    snprintf(repo, sizeof repo, "%s/r.git", dir);
    int err;
    mote_store_repo *r = mote_store_git_open(repo, 1, NULL, &err);
    ck_assert_ptr_nonnull(r);
    mote_store *s = mote_store_of_branch(r, "main", NULL);
    set(s, "a", "1");
    mote_store_hash first;
    ck_assert_int_eq(mote_store_head(s, &first), 0);
    seen sn = {"", 0, 0, 0};
    mote_store_watch *w = mote_store_watch_new(r, NULL, NULL, on_change, &sn, &err);
    ck_assert_ptr_nonnull(w);
    uv_loop_t loop;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    mote_store_uv *u = mote_store_watch_uv(r, &loop, 0, on_poll, &sn, &err);
    ck_assert_msg(u != NULL, "watch_uv: %s", mote_strerror(err));
    ck_assert_uint_ge(mote_store_uv_dirs(u), 2); /* the Git directory and refs/heads */
    uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_int_ge(sn.polls, 1); /* the first poll, on the loop's first turn */
    ck_assert_str_eq(sn.text, "");

    /* another process writes through mote */
    write_in_child(repo, "main", "cfg/b", "2");
    run_until(&loop, &sn, "main:A:cfg/b;");
    ck_assert_str_eq(sn.text, "main:A:cfg/b;");

    /* git update-ref moves it back */
    sn.text[0] = 0;
    char hex[MOTE_STORE_HEX_LEN + 1];
    mote_store_hash_hex(&first, hex);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s update-ref refs/heads/main %s", repo, hex),
                     0);
    run_until(&loop, &sn, "main:R:cfg/b;");
    ck_assert_str_eq(sn.text, "main:R:cfg/b;");

    /* a branch in a directory that did not exist when watching began */
    sn.text[0] = 0;
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s branch team/x main", repo), 0);
    run_until(&loop, &sn, "team/x:A:a;");
    ck_assert_str_eq(sn.text, "team/x:A:a;");
    /* ... moved there by another mote process: seen through the new
     * directory's own watch */
    sn.text[0] = 0;
    write_in_child(repo, "team/x", "t", "1");
    run_until(&loop, &sn, "team/x:A:t;");
    ck_assert_uint_ge(mote_store_uv_dirs(u), 3);

    /* packed refs, then a deletion */
    sn.text[0] = 0;
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s pack-refs --all --prune", repo), 0);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s branch -D team/x", repo), 0);
    run_until(&loop, &sn, "team/x:R:t;");
    ck_assert_ptr_nonnull(strstr(sn.text, "team/x:R:a;"));
    ck_assert_int_eq(sn.errors, 0);

    /* this repository's own writes are delivered once, not again by a poll */
    sn.text[0] = 0;
    set(s, "own", "1");
    ck_assert_str_eq(sn.text, "main:A:own;");
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_str_eq(sn.text, "main:A:own;");

    /* stopping: no poll afterwards, handles closed, the loop closes */
    int polls = sn.polls;
    mote_store_uv_free(u);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s update-ref refs/heads/main %s", repo, hex),
                     0);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(sn.polls, polls);
    ck_assert_int_eq(uv_loop_close(&loop), 0);

    /* bad arguments; the memory backend has nothing to watch */
    ck_assert_ptr_null(mote_store_watch_uv(NULL, &loop, 0, NULL, NULL, &err));
    ck_assert_int_eq(err, MOTE_EINVAL);
    mote_store_repo *m = mote_store_mem_new(NULL, NULL);
    ck_assert_ptr_null(mote_store_watch_uv(m, &loop, 0, NULL, NULL, &err));
    ck_assert_int_eq(err, MOTE_EUNSUPPORTED);
    mote_store_repo_free(m);

    mote_store_watch_free(w);
    mote_store_free(s);
    mote_store_repo_free(r);
    st_rmrf(dir);
    free(dir);
}
END_TEST

/* The timer alone (what a file system without change events leaves):
 * polls keep coming with interval_ms set, and none without it. */
static void run_for(uv_loop_t *loop, unsigned ms)
{
    uv_timer_t guard;
    int expired = 0;
    uv_timer_init(loop, &guard);
    guard.data = &expired;
    uv_timer_start(&guard, on_guard, ms, 0);
    while (!expired)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

START_TEST(t_uv_timer)
{
    char *dir = st_tmpdir(), repo[600];
    snprintf(repo, sizeof repo, "%s/r.git", dir);
    int err;
    mote_store_repo *r = mote_store_git_open(repo, 1, NULL, &err);
    ck_assert_ptr_nonnull(r);
    seen sn = {"", 0, 0, 0}, quiet = {"", 0, 0, 0};
    uv_loop_t loop;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    mote_store_uv *u = mote_store_watch_uv(r, &loop, 20, on_poll, &sn, &err);
    mote_store_uv *q = mote_store_watch_uv(r, &loop, 0, on_poll, &quiet, &err);
    ck_assert_ptr_nonnull(u);
    ck_assert_ptr_nonnull(q);
    run_for(&loop, 300);
    ck_assert_int_ge(sn.polls, 4);
    ck_assert_int_eq(quiet.polls, 1); /* only the first */
    ck_assert_int_eq(sn.moved + sn.errors, 0);
    mote_store_uv_free(u);
    mote_store_uv_free(q);
    mote_store_uv_free(q); /* twice: nothing */
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    mote_store_repo_free(r);
    st_rmrf(dir);
    free(dir);
}
END_TEST

static void on_probe(uv_fs_event_t *h, const char *file, int events, int status)
{
    (void)h;
    (void)file;
    (void)events;
    (void)status;
}

int main(void)
{
    if (!tu_have_program("git")) {
        printf("SKIP: git is not installed\n");
        return 77;
    }
    /* file-system events must be available (inotify instances can run out
     * on a shared machine) */
    uv_loop_t probe;
    uv_fs_event_t ev;
    int ok = uv_loop_init(&probe) == 0;
    if (ok) {
        uv_fs_event_init(&probe, &ev);
        ok = uv_fs_event_start(&ev, on_probe, "/tmp", 0) == 0;
        uv_close((uv_handle_t *)&ev, NULL);
        uv_run(&probe, UV_RUN_DEFAULT);
        uv_loop_close(&probe);
    }
    if (!ok) {
        printf("SKIP: no file-system events (inotify) available\n");
        return 77;
    }
    Suite *s = suite_create("store-uv");
    TCase *tc = tcase_create("uv");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_uv_watch);
    tcase_add_test(tc, t_uv_timer);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
