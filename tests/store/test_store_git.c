/*
 * test_store_git.c - the Git backend against the real git command: git
 * fsck, log, show and clone on repositories mote wrote; mote on repositories
 * git made; fetch and push over a path and over `git daemon`; concurrent
 * writers in separate processes; kill -9 in the middle of a write loop.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include "common.h"
#include "internal.h" /* st_pack_write, for the round-trip test of packs */

static const mote_store_info info = {"Mote Test <mote@example.org>", "mote commit", 1700000000};

static void set(mote_store *s, const char *path, const char *v)
{
    int rc = mote_store_set(s, path, v, strlen(v), &info, NULL);
    ck_assert_msg(rc == 0, "set %s: %s", path, mote_strerror(rc));
}

static char *getv(mote_store *s, const char *path)
{
    mote_buf b;
    mote_buf_init(&b, 0);
    if (mote_store_get(s, path, &b)) {
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

/* A new repository r.git in the fresh directory dir (its path into repo,
 * 600 bytes) and a store on its branch main; the repository into *r. */
static mote_store *new_repo(const char *dir, char *repo, mote_store_repo **r)
{
    snprintf(repo, 600, "%s/r.git", dir);
    *r = mote_store_git_open(repo, 1, NULL, NULL);
    ck_assert_ptr_nonnull(*r);
    return mote_store_of_branch(*r, "main", NULL);
}

/* git fsck --strict passes on repo; then dir is removed and freed. */
static void fsck_and_remove(char *dir, const char *repo)
{
    char out[4096];
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s fsck --strict 2>&1", repo), 0);
    st_rmrf(dir);
    free(dir);
}

#define GIT "git -c user.name=G -c user.email=g@x -c init.defaultBranch=main "

START_TEST(t_git_reads_mote)
{
    char *dir = st_tmpdir(), out[8192];
    char repo[600];
    snprintf(repo, sizeof repo, "%s/r.git", dir);
    int err;
    mote_store_repo *r = mote_store_git_open(repo, 1, NULL, &err);
    ck_assert_ptr_nonnull(r);
    mote_store *s = mote_store_of_branch(r, "main", NULL);
    set(s, "a/b", "hello\n");
    set(s, "a/c", "world\n");
    set(s, "top", "x");
    mote_store_remove(s, "top", &info, NULL);
    mote_store_free(s);
    mote_store_repo_free(r);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s fsck --strict 2>&1", repo), 0);
    ck_assert_int_eq(
        st_sh(out, sizeof out, "git -C %s log --format='%%an|%%ae|%%at|%%s' main", repo), 0);
    ck_assert_str_eq(out, "Mote Test|mote@example.org|1700000000|mote commit\n"
                          "Mote Test|mote@example.org|1700000000|mote commit\n"
                          "Mote Test|mote@example.org|1700000000|mote commit\n"
                          "Mote Test|mote@example.org|1700000000|mote commit\n");
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s show main:a/b", repo), 0);
    ck_assert_str_eq(out, "hello\n");
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s ls-tree -r --name-only main", repo), 0);
    ck_assert_str_eq(out, "a/b\na/c\n");
    ck_assert_int_eq(
        st_sh(out, sizeof out, "git clone -q %s %s/clone 2>&1 && cat %s/clone/a/c", repo, dir, dir),
        0);
    ck_assert_str_eq(out, "world\n");
    st_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(t_mote_reads_git)
{
    char *dir = st_tmpdir(), out[4096];
    ck_assert_int_eq(st_sh(out, sizeof out,
                           "cd %s && " GIT "init -q w && cd w && mkdir -p x/y && "
                           "printf one > x/y/f && printf two > g && chmod +x g && " GIT
                           "add -A && " GIT "commit -qm first && printf three > x/y/f && " GIT
                           "commit -qam second && " GIT "branch side HEAD~1",
                           dir),
                     0);
    char wt[600];
    snprintf(wt, sizeof wt, "%s/w", dir);
    int err;
    mote_store_repo *r = mote_store_git_open(wt, 0, NULL, &err);
    ck_assert_msg(r != NULL, "%s", mote_strerror(err));
    mote_store *s = mote_store_of_branch(r, "main", NULL);
    CK_VAL(s, "x/y/f", "three");
    CK_VAL(s, "g", "two");
    mote_store *side = mote_store_of_branch(r, "side", NULL);
    CK_VAL(side, "x/y/f", "one");
    /* mote writes on git's branch; git sees it and the exec bit stays */
    set(s, "g", "TWO");
    set(s, "x/new", "n");
    mote_store_free(s);
    mote_store_free(side);
    mote_store_repo_free(r);
    ck_assert_int_eq(st_sh(out, sizeof out, "cd %s && git fsck --strict 2>&1", wt), 0);
    ck_assert_int_eq(st_sh(out, sizeof out, "cd %s && git ls-tree main g | cut -c1-6", wt), 0);
    ck_assert_str_eq(out, "100755\n");
    ck_assert_int_eq(st_sh(out, sizeof out,
                           "cd %s && git show main:x/new && git log --oneline main | wc -l", wt),
                     0);
    ck_assert_str_eq(out, "n4\n");
    /* an absent repository */
    char none[600];
    snprintf(none, sizeof none, "%s/none", dir);
    ck_assert_ptr_null(mote_store_git_open(none, 0, NULL, &err));
    ck_assert_int_eq(err, MOTE_ENOTFOUND);
    st_rmrf(dir);
    free(dir);
}
END_TEST

/* git gc repacks (and deletes) mote's packs under an open handle. */
START_TEST(t_git_gc)
{
    char *dir = st_tmpdir(), out[4096], repo[600];
    mote_store_repo *r;
    mote_store *s = new_repo(dir, repo, &r);
    char k[64], v[64];
    for (int i = 0; i < 60; i++) {
        snprintf(k, sizeof k, "d%d/k%d", i % 5, i);
        snprintf(v, sizeof v, "v%d", i);
        set(s, k, v);
        if (i == 20 || i == 45)
            ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s gc -q --prune=now 2>&1", repo), 0);
    }
    for (int i = 0; i < 60; i++) {
        snprintf(k, sizeof k, "d%d/k%d", i % 5, i);
        snprintf(v, sizeof v, "v%d", i);
        CK_VAL(s, k, v);
    }
    mote_store_free(s);
    mote_store_repo_free(r);
    fsck_and_remove(dir, repo);
}
END_TEST

/* Objects git accepts with --literally but the store must refuse: they
 * give an error, never a crash. */
START_TEST(t_hostile_repo)
{
    char *dir = st_tmpdir(), out[4096];
    struct {
        const char *name, *tree;
    } cases[] = {
        /* entries out of order */
        {"unsorted", "printf '100644 b\\0%%s100644 a\\0%%s' \"$B\" \"$B\""},
        /* a name with a slash-free but forbidden step */
        {"dotdot", "printf '100644 ..\\0%%s' \"$B\""},
        /* a truncated id */
        {"short", "printf '100644 a\\0abc'"},
        /* a bad mode */
        {"mode", "printf '100600 a\\0%%s' \"$B\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(
            st_sh(
                out, sizeof out,
                "cd %s && rm -rf h && git init -q --bare h && cd h && "
                "b=$(printf v | git hash-object -w --stdin) && "
                "B=$(printf '%%s' $b | sed 's/../\\\\x&/g' | xargs -0 printf) && "
                "t=$(%s | git hash-object -t tree -w --literally --stdin) && "
                "c=$(git -c user.name=G -c user.email=g@x commit-tree -m m $t 2>/dev/null || "
                "printf 'tree %%s\\nauthor G <g@x> 1 +0000\\ncommitter G <g@x> 1 +0000\\n\\nm\\n' "
                "$t | git hash-object -t commit -w --literally --stdin) && "
                "git update-ref refs/heads/main $c",
                dir, cases[i].tree),
            0);
        char repo[600];
        snprintf(repo, sizeof repo, "%s/h", dir);
        int err;
        mote_store_repo *r = mote_store_git_open(repo, 0, NULL, &err);
        ck_assert_ptr_nonnull(r);
        mote_store *s = mote_store_of_branch(r, "main", NULL);
        mote_buf b;
        mote_buf_init(&b, 0);
        int rc = mote_store_get(s, "a", &b);
        ck_assert_msg(rc == MOTE_EDECODE, "%s: %s", cases[i].name, mote_strerror(rc));
        mote_store_entry *e;
        size_t n;
        ck_assert_int_eq(mote_store_list(s, "", &e, &n), MOTE_EDECODE);
        mote_buf_free(&b);
        mote_store_free(s);
        mote_store_repo_free(r);
    }
    st_rmrf(dir);
    free(dir);
}
END_TEST

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &l))
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

static int wait_port(int port)
{
    for (int i = 0; i < 100; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return 0;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static void remote_roundtrip(const char *url, const char *dir)
{
    char local[600], out[4096];
    snprintf(local, sizeof local, "%s/local.git", dir);
    int err;
    mote_store_repo *r = mote_store_git_open(local, 1, NULL, &err);
    ck_assert_ptr_nonnull(r);
    mote_store_hash head;
    ck_assert_int_eq(mote_store_git_fetch(r, url, "main", &head), 0);
    mote_store *s = mote_store_of_branch(r, "main", NULL);
    ck_assert_int_eq(mote_store_fast_forward(s, &head), 0);
    CK_VAL(s, "file", "from git");
    set(s, "pushed/by", "mote");
    ck_assert_int_eq(mote_store_git_push(r, url, "main", "main", 0), 0);
    /* the remote moves on: a push from behind is refused, forced it is not */
    (void)out;
    mote_store *old = mote_store_of_commit(r, &head, NULL);
    mote_store_hash oldc;
    ck_assert_int_eq(mote_store_set(old, "diverged", "1", 1, &info, &oldc), 0);
    ck_assert_int_eq(mote_store_branch_create(r, "stale", &oldc), 0);
    ck_assert_int_eq(mote_store_git_push(r, url, "stale", "main", 0), MOTE_ECONFLICT);
    ck_assert_int_eq(mote_store_git_push(r, url, "stale", "other", 0), 0);
    ck_assert_int_eq(mote_store_git_fetch(r, url, "nope", &head), MOTE_ENOTFOUND);
    mote_store_free(old);
    mote_store_free(s);
    mote_store_repo_free(r);
}

START_TEST(t_remote_path)
{
    char *dir = st_tmpdir(), out[4096];
    ck_assert_int_eq(st_sh(out, sizeof out,
                           "cd %s && " GIT
                           "init -q src && cd src && printf 'from git' > file && " GIT
                           "add file && " GIT "commit -qm init && cd .. && git clone -q --bare src "
                           "remote.git",
                           dir),
                     0);
    char url[600];
    snprintf(url, sizeof url, "%s/remote.git", dir);
    remote_roundtrip(url, dir);
    ck_assert_int_eq(st_sh(out, sizeof out,
                           "git -C %s show main:pushed/by && git -C %s fsck 2>&1 >/dev/null", url,
                           url),
                     0);
    ck_assert_str_eq(out, "mote");
    st_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(t_remote_daemon)
{
    char *dir = st_tmpdir(), out[4096];
    ck_assert_int_eq(st_sh(out, sizeof out,
                           "cd %s && " GIT
                           "init -q src && cd src && printf 'from git' > file && " GIT
                           "add file && " GIT "commit -qm init && cd .. && git clone -q --bare src "
                           "remote.git",
                           dir),
                     0);
    int port = free_port();
    ck_assert_int_gt(port, 0);
    pid_t pid = fork();
    if (pid == 0) {
        char bp[700], pa[64];
        snprintf(bp, sizeof bp, "--base-path=%s", dir);
        snprintf(pa, sizeof pa, "--port=%d", port);
        execlp("git", "git", "daemon", "--export-all", "--enable=receive-pack", "--reuseaddr",
               "--listen=127.0.0.1", pa, bp, dir, (char *)NULL);
        _exit(127);
    }
    ck_assert_int_eq(wait_port(port), 0);
    char url[128];
    snprintf(url, sizeof url, "git://127.0.0.1:%d/remote.git", port);
    remote_roundtrip(url, dir);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char rp[600];
    snprintf(rp, sizeof rp, "%s/remote.git", dir);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s show main:pushed/by", rp), 0);
    ck_assert_str_eq(out, "mote");
    st_rmrf(dir);
    free(dir);
}
END_TEST

/* ---- concurrency across processes ---- */

#define NPROC   4
#define NWRITES 30

static void writer(const char *repo, int id)
{
    int err;
    mote_store_config cfg = {0};
    cfg.max_retries = 1000;
    mote_store_repo *r = mote_store_git_open(repo, 0, &cfg, &err);
    if (!r)
        _exit(10);
    mote_store *s = mote_store_of_branch(r, "main", NULL);
    for (int i = 0; i < NWRITES; i++) {
        char k[64];
        snprintf(k, sizeof k, "p%d/k%d", id, i);
        int src = mote_store_set(s, k, "v", 1, &info, NULL);
        if (src) {
            fprintf(stderr, "writer %d: set %s: %s\n", id, k, mote_strerror(src));
            _exit(11);
        }
        /* a shared counter, incremented with test-and-set */
        for (int tries = 0;; tries++) {
            mote_buf b;
            mote_buf_init(&b, 64);
            int found = 0;
            int frc = mote_store_find(s, "counter", &b, &found);
            if (frc) {
                fprintf(stderr, "writer %d: find: %s\n", id, mote_strerror(frc));
                _exit(12);
            }
            char cur[32] = "0", next[32];
            if (found)
                snprintf(cur, sizeof cur, "%.*s", (int)b.len, (char *)b.data);
            snprintf(next, sizeof next, "%d", atoi(cur) + 1);
            int rc =
                mote_store_test_and_set(s, "counter", found ? cur : NULL, found ? strlen(cur) : 0,
                                        next, strlen(next), &info, NULL);
            mote_buf_free(&b);
            if (rc == 0)
                break;
            if (rc != MOTE_ECONFLICT || tries > 10000) {
                fprintf(stderr, "writer %d: test_and_set: %s\n", id, mote_strerror(rc));
                _exit(13);
            }
        }
    }
    mote_store_free(s);
    mote_store_repo_free(r);
    _exit(0);
}

START_TEST(t_concurrent_writers)
{
    char *dir = st_tmpdir(), repo[600];
    mote_store_repo *r;
    mote_store *s = new_repo(dir, repo, &r);
    set(s, "init", "1");
    pid_t pids[NPROC];
    for (int i = 0; i < NPROC; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            writer(repo, i);
    }
    for (int i = 0; i < NPROC; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer %d failed: %d", i,
                      WEXITSTATUS(st));
    }
    for (int p = 0; p < NPROC; p++)
        for (int i = 0; i < NWRITES; i++) {
            char k[64];
            snprintf(k, sizeof k, "p%d/k%d", p, i);
            ck_assert_msg(mote_store_mem(s, k) == 1, "lost update %s", k);
        }
    char want[16];
    snprintf(want, sizeof want, "%d", NPROC * NWRITES);
    CK_VAL(s, "counter", want);
    mote_store_free(s);
    mote_store_repo_free(r);
    fsck_and_remove(dir, repo);
}
END_TEST

/* ---- crashes ---- */

START_TEST(t_crash)
{
    char *dir = st_tmpdir(), out[4096], repo[600];
    snprintf(repo, sizeof repo, "%s/r.git", dir);
    mote_store_repo *r0 = mote_store_git_open(repo, 1, NULL, NULL);
    ck_assert_ptr_nonnull(r0);
    mote_store_repo_free(r0);
    for (int round = 0; round < 3; round++) {
        int acked = -1;
        int fds[2];
        ck_assert_int_eq(pipe(fds), 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            mote_store_repo *r = mote_store_git_open(repo, 0, NULL, NULL);
            mote_store *s = mote_store_of_branch(r, "main", NULL);
            for (int i = 0;; i++) {
                char k[64], v[64];
                snprintf(k, sizeof k, "r%d/d%d/k%d", round, i % 7, i);
                snprintf(v, sizeof v, "value %d", i);
                if (mote_store_set(s, k, v, strlen(v), &info, NULL))
                    _exit(1);
                if (write(fds[1], &i, sizeof i) != sizeof i)
                    _exit(2);
            }
        }
        close(fds[1]);
        int first;
        ck_assert_int_eq(read(fds[0], &first, sizeof first), (ssize_t)sizeof first);
        acked = first;
        struct timespec ts = {0, 150000000 + round * 100000000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int i;
        while (read(fds[0], &i, sizeof i) == sizeof i)
            acked = i;
        close(fds[0]);
        waitpid(pid, NULL, 0);
        ck_assert_int_ge(acked, 0);
        /* a kill in the middle of a ref update leaves refs/heads/main.lock
         * behind, as it does for git; recovery removes it, as for git */
        st_sh(out, sizeof out, "rm -f %s/refs/heads/main.lock", repo);
        ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s fsck --strict 2>&1", repo), 0);
        mote_store_repo *r = mote_store_git_open(repo, 0, NULL, NULL);
        mote_store *s = mote_store_of_branch(r, "main", NULL);
        for (int k = 0; k <= acked; k++) {
            char key[64], v[64];
            snprintf(key, sizeof key, "r%d/d%d/k%d", round, k % 7, k);
            snprintf(v, sizeof v, "value %d", k);
            CK_VAL(s, key, v);
        }
        mote_store_free(s);
        mote_store_repo_free(r);
    }
    st_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(t_packs)
{
    char *dir = st_tmpdir(), out[4096], repo[600];
    mote_store_repo *r;
    mote_store *s = new_repo(dir, repo, &r);
    for (int round = 0; round < 2; round++) {
        mote_store_tx *t = mote_store_tx_begin(s, NULL);
        for (int i = 0; i < 2500; i++) {
            char k[64], v[64];
            snprintf(k, sizeof k, "d%d/k%d", i % 50, i);
            snprintf(v, sizeof v, "%d-%d", round, i);
            ck_assert_int_eq(mote_store_tx_set(t, k, v, strlen(v)), 0);
        }
        ck_assert_int_eq(mote_store_tx_commit(t, &info, NULL, NULL), 0);
        mote_store_tx_free(t);
    }
    CK_VAL(s, "d7/k7", "1-7");
    mote_store_free(s);
    mote_store_repo_free(r);
    ck_assert_int_eq(
        st_sh(out, sizeof out, "git -C %s count-objects -v | grep -E '^(count|packs):'", repo), 0);
    int count = -1, packs = -1;
    sscanf(out, "count: %d\npacks: %d", &count, &packs);
    ck_assert_int_ge(packs, 1);
    ck_assert_int_lt(count, 1000); /* most objects are packed, not loose */
    fsck_and_remove(dir, repo);
}
END_TEST

/* Packs mote writes for single commits (merged into packs whose trees are
 * deltas) and for batches (one pack, trees as deltas) pass git's checks,
 * and read back through git and through libgit2. */
START_TEST(t_pack_deltas)
{
    char *dir = st_tmpdir(), out[8192], repo[600];
    mote_store_repo *r;
    mote_store *s = new_repo(dir, repo, &r);
    mote_store_tx *t = mote_store_tx_begin(s, NULL);
    for (int i = 0; i < 400; i++) {
        char k[64], v[64];
        snprintf(k, sizeof k, "d%d/k%d", i % 20, i);
        snprintf(v, sizeof v, "initial %d", i);
        ck_assert_int_eq(mote_store_tx_set(t, k, v, strlen(v)), 0);
    }
    ck_assert_int_eq(mote_store_tx_commit(t, &info, NULL, NULL), 0);
    mote_store_tx_free(t);
    /* 300 durable commits (pack merges at 16 and 256 packs), then 300 in
     * three batches */
    for (int i = 0; i < 600; i++) {
        if (i >= 300 && i % 100 == 0)
            ck_assert_int_eq(mote_store_batch_begin(r), 0);
        char k[64], v[64];
        int y = (i * 7) % 400; /* an existing key, in its directory */
        snprintf(k, sizeof k, "d%d/k%d", y % 20, y);
        snprintf(v, sizeof v, "value %d", i);
        set(s, k, v);
        if (i >= 300 && i % 100 == 99)
            ck_assert_int_eq(mote_store_batch_end(r, &info, NULL), 0);
    }
    mote_store_free(s);
    mote_store_repo_free(r);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s fsck --strict 2>&1", repo), 0);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s rev-list --count main", repo), 0);
    ck_assert_int_eq(atoi(out), 601);
    /* every pack verifies, and trees are stored as deltas */
    ck_assert_int_eq(
        st_sh(out, sizeof out,
              "set -e; n=0; for i in %s/objects/pack/*.idx; do git verify-pack -v $i >/tmp/vp.$$; "
              "n=$((n + $(grep -c 'chain length' /tmp/vp.$$ || true))); done; rm -f /tmp/vp.$$; "
              "echo $n",
              repo),
        0);
    ck_assert_int_gt(atoi(out), 0);
    /* the last value of every key, as git and as mote (libgit2) read it */
    r = mote_store_git_open(repo, 0, NULL, NULL);
    s = mote_store_of_branch(r, "main", NULL);
    for (int i = 590; i < 600; i++) {
        char k[64], v[64];
        int y = (i * 7) % 400; /* an existing key, in its directory */
        snprintf(k, sizeof k, "d%d/k%d", y % 20, y);
        snprintf(v, sizeof v, "value %d", i);
        CK_VAL(s, k, v);
        ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s show main:%s", repo, k), 0);
        ck_assert_str_eq(out, v);
    }
    mote_store_free(s);
    mote_store_repo_free(r);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s count-objects -v | grep '^packs:'", repo),
                     0);
    int packs = -1;
    sscanf(out, "packs: %d", &packs);
    ck_assert_int_le(packs, 40); /* merged, not one per commit */
    st_rmrf(dir);
    free(dir);
}
END_TEST

/* Refs: mote writes a plain loose ref itself (lock file, check, rename),
 * and leaves to libgit2 the refs it cannot: packed refs, and repositories
 * that keep reflogs. A lock another writer holds is waited for, then
 * MOTE_EBUSY. */
START_TEST(t_refs)
{
    char *dir = st_tmpdir(), out[8192], repo[600];
    mote_store_repo *r;
    mote_store *s = new_repo(dir, repo, &r);
    set(s, "a", "1");
    set(s, "a", "2");
    mote_store_hash h;
    char hex[MOTE_STORE_HEX_LEN + 1];
    ck_assert_int_eq(mote_store_head(s, &h), 0);
    mote_store_hash_hex(&h, hex);
    ck_assert_int_eq(st_sh(out, sizeof out, "cat %s/refs/heads/main", repo), 0);
    ck_assert_int_eq(strncmp(out, hex, MOTE_STORE_HEX_LEN), 0);
    ck_assert_int_eq(out[MOTE_STORE_HEX_LEN], '\n');
    /* packed refs: read and moved (git's loose ref then overrides) */
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s pack-refs --all --prune", repo), 0);
    ck_assert_int_ne(st_sh(out, sizeof out, "test -e %s/refs/heads/main", repo), 0);
    CK_VAL(s, "a", "2");
    set(s, "a", "3");
    set(s, "a", "4");
    ck_assert_int_eq(mote_store_head(s, &h), 0);
    mote_store_hash_hex(&h, hex);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s rev-parse main", repo), 0);
    ck_assert_int_eq(strncmp(out, hex, MOTE_STORE_HEX_LEN), 0);
    /* a held lock: the writer waits, then gives up with MOTE_EBUSY */
    ck_assert_int_eq(st_sh(out, sizeof out, "touch %s/refs/heads/main.lock", repo), 0);
    ck_assert_int_eq(mote_store_set(s, "a", "5", 1, &info, NULL), MOTE_EBUSY);
    ck_assert_int_eq(st_sh(out, sizeof out, "rm %s/refs/heads/main.lock", repo), 0);
    set(s, "a", "5");
    /* a stale head: compare-and-swap refuses, the write retries */
    mote_store_repo *r2 = mote_store_git_open(repo, 0, NULL, NULL);
    mote_store *s2 = mote_store_of_branch(r2, "main", NULL);
    set(s2, "b", "1");
    set(s, "c", "1");
    CK_VAL(s2, "b", "1");
    CK_VAL(s2, "c", "1");
    mote_store_free(s2);
    mote_store_repo_free(r2);
    mote_store_free(s);
    mote_store_repo_free(r);
    /* with reflogs on, every move is logged (libgit2 writes the ref) */
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s config core.logAllRefUpdates true", repo),
                     0);
    r = mote_store_git_open(repo, 0, NULL, NULL);
    s = mote_store_of_branch(r, "main", NULL);
    set(s, "d", "1");
    set(s, "d", "2");
    set(s, "d", "3");
    mote_store_free(s);
    mote_store_repo_free(r);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s reflog show main | wc -l", repo), 0);
    ck_assert_int_ge(atoi(out), 3);
    fsck_and_remove(dir, repo);
}
END_TEST

/* kill -9 during a batch: none of it is visible, the repository is
 * clean, and the writes made before the batch are all there. */
START_TEST(t_batch_crash)
{
    char *dir = st_tmpdir(), out[4096], repo[600];
    mote_store_repo *r;
    mote_store *s = new_repo(dir, repo, &r);
    set(s, "before", "1");
    mote_store_hash h0, h;
    ck_assert_int_eq(mote_store_head(s, &h0), 0);
    mote_store_free(s);
    mote_store_repo_free(r);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        mote_store_repo *rc = mote_store_git_open(repo, 0, NULL, NULL);
        mote_store *sc = mote_store_of_branch(rc, "main", NULL);
        if (mote_store_batch_begin(rc))
            _exit(1);
        for (int i = 0;; i++) {
            char k[64];
            snprintf(k, sizeof k, "batch/k%d", i);
            if (mote_store_set(sc, k, "v", 1, &info, NULL))
                _exit(1);
            if (i == 200 && write(fds[1], &i, sizeof i) != sizeof i)
                _exit(2);
        }
    }
    close(fds[1]);
    int got;
    ck_assert_int_eq(read(fds[0], &got, sizeof got), (ssize_t)sizeof got);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s fsck --strict 2>&1", repo), 0);
    r = mote_store_git_open(repo, 0, NULL, NULL);
    s = mote_store_of_branch(r, "main", NULL);
    ck_assert_int_eq(mote_store_head(s, &h), 0);
    ck_assert(mote_store_hash_eq(&h, &h0));
    CK_VAL(s, "before", "1");
    ck_assert_ptr_null(getv(s, "batch/k0"));
    mote_store_free(s);
    mote_store_repo_free(r);
    st_rmrf(dir);
    free(dir);
}
END_TEST

/* A batch bigger than what the backend keeps in memory (32 MiB): objects
 * reach packs before the end, the branch still moves only at the end. */
START_TEST(t_batch_big)
{
    char *dir = st_tmpdir(), out[4096], repo[600];
    mote_store_repo *r;
    mote_store *s = new_repo(dir, repo, &r);
    set(s, "small", "1");
    mote_store_hash h0, h;
    ck_assert_int_eq(mote_store_head(s, &h0), 0);
    size_t big = 1u << 20;
    char *v = malloc(big);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(mote_store_batch_begin(r), 0);
    for (int i = 0; i < 40; i++) {
        memset(v, 'a' + i % 26, big);
        snprintf(v, 32, "value %d", i);
        char k[32];
        snprintf(k, sizeof k, "big/%d", i);
        ck_assert_int_eq(mote_store_set(s, k, v, big, &info, NULL), 0);
    }
    /* before the batch: one pack (the first commit); now some of the batch
     * too */
    ck_assert_int_eq(st_sh(out, sizeof out, "ls %s/objects/pack/ | grep -c 'pack$'", repo), 0);
    ck_assert_int_ge(atoi(out), 2);
    mote_store_repo *r2 = mote_store_git_open(repo, 0, NULL, NULL);
    ck_assert_int_eq(mote_store_branch_head(r2, "main", &h), 0);
    ck_assert(mote_store_hash_eq(&h, &h0));
    mote_store_repo_free(r2);
    ck_assert_int_eq(mote_store_batch_end(r, &info, NULL), 0);
    mote_store_free(s);
    mote_store_repo_free(r);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s fsck --strict 2>&1", repo), 0);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s cat-file -p main:big/39 | head -c 8", repo),
                     0);
    ck_assert_str_eq(out, "value 39");
    free(v);
    st_rmrf(dir);
    free(dir);
}
END_TEST

/* Packs written by pack.c, with random objects made to look like versions
 * of trees (shared first entries or last ids, changes anywhere, long and
 * short, chains longer than the depth bound, copies past 64 KiB), read back
 * by git: verify-pack passes and cat-file returns every object as given. */
static uint64_t prng(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

START_TEST(t_pack_roundtrip)
{
    char *dir = st_tmpdir(), out[4096], repo[600], packdir[700], list[700], got[700];
    snprintf(repo, sizeof repo, "%s/r.git", dir);
    snprintf(packdir, sizeof packdir, "%s/objects/pack", repo);
    snprintf(list, sizeof list, "%s/list", dir);
    snprintf(got, sizeof got, "%s/got", dir);
    ck_assert_int_eq(st_sh(out, sizeof out, "git init -q --bare %s", repo), 0);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int levels[3] = {0, 1, 6};
    long deltas = 0;
    for (int round = 0; round < 6; round++) {
        size_t n = 120;
        st_pack_obj *o = calloc(n, sizeof *o);
        ck_assert_ptr_nonnull(o);
        for (size_t i = 0; i < n; i++) {
            size_t len;
            if (i > 0 && prng(&seed) % 8 != 0) {
                /* a version of an earlier object: change, insert or
                 * delete a stretch somewhere */
                const st_pack_obj *b = &o[i - 1 - prng(&seed) % (i < 4 ? i : 4)];
                size_t at = b->len ? prng(&seed) % b->len : 0;
                size_t del = prng(&seed) % 40, ins = prng(&seed) % 40;
                if (at + del > b->len)
                    del = b->len - at;
                len = b->len - del + ins;
                o[i].data = malloc(len + 1);
                memcpy(o[i].data, b->data, at);
                for (size_t k = 0; k < ins; k++)
                    o[i].data[at + k] = (uint8_t)prng(&seed);
                memcpy(o[i].data + at + ins, b->data + at + del, b->len - at - del);
            } else {
                /* a fresh object; sometimes big (copies past 64 KiB) */
                len = prng(&seed) % 4 == 0 ? 70000 + prng(&seed) % 100000 : prng(&seed) % 3000;
                o[i].data = malloc(len + 1);
                for (size_t k = 0; k < len; k++)
                    o[i].data[k] = (uint8_t)prng(&seed);
                if (len > 30)
                    o[i].data[10] = 0; /* a first "entry": name, NUL, id */
            }
            o[i].len = len;
            o[i].type = prng(&seed) % 5 == 0 ? MOTE_STORE_BLOB : MOTE_STORE_TREE;
            mote_store_object_id(o[i].type, o[i].data, len, &o[i].id);
        }
        /* duplicates are the caller's to avoid */
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (mote_store_hash_eq(&o[i].id, &o[j].id)) {
                    o[i].data[0] ^= 1;
                    mote_store_object_id(o[i].type, o[i].data, o[i].len, &o[i].id);
                    j = (size_t)-1;
                }
        char name[MOTE_STORE_HEX_LEN + 1];
        ck_assert_int_eq(st_pack_write(packdir, o, n, levels[round % 3], name), 0);
        ck_assert_int_eq(st_sh(out, sizeof out,
                               "git -C %s verify-pack -v %s/pack-%s.idx > %s.vp && "
                               "awk '/chain length/ {s += $5} END {print s + 0}' %s.vp",
                               repo, packdir, name, list, list),
                         0);
        deltas += atoi(out);
        FILE *f = fopen(list, "w");
        ck_assert_ptr_nonnull(f);
        for (size_t i = 0; i < n; i++) {
            char hex[MOTE_STORE_HEX_LEN + 1];
            mote_store_hash_hex(&o[i].id, hex);
            fprintf(f, "%s\n", hex);
        }
        fclose(f);
        ck_assert_int_eq(
            st_sh(out, sizeof out, "git -C %s cat-file --batch < %s > %s", repo, list, got), 0);
        size_t blen = 0;
        uint8_t *bdata = tu_read_file(got, &blen);
        ck_assert_ptr_nonnull(bdata);
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) {
            char hex[MOTE_STORE_HEX_LEN + 1], hdr[128];
            mote_store_hash_hex(&o[i].id, hex);
            snprintf(hdr, sizeof hdr, "%s %s %zu\n", hex,
                     o[i].type == MOTE_STORE_TREE ? "tree" : "blob", o[i].len);
            size_t hl = strlen(hdr);
            ck_assert_uint_ge(blen, pos + hl + o[i].len + 1);
            ck_assert_msg(memcmp(bdata + pos, hdr, hl) == 0, "object %zu: header", i);
            ck_assert_msg(memcmp(bdata + pos + hl, o[i].data, o[i].len) == 0, "object %zu: content",
                          i);
            pos += hl + o[i].len + 1;
        }
        ck_assert_uint_eq(pos, blen);
        free(bdata);
        for (size_t i = 0; i < n; i++)
            free(o[i].data);
        free(o);
    }
    ck_assert_int_gt(deltas, 200); /* objects stored as deltas, of 720 */
    st_rmrf(dir);
    free(dir);
}
END_TEST

/* Sixteen batches of 400 commits: their packs (1,600 objects each) are
 * merged once the sixteenth is written, through libgit2's pack builder
 * (more than 20,000 objects); the repository stays whole. */
START_TEST(t_big_merge)
{
    char *dir = st_tmpdir(), out[4096], repo[600];
    mote_store_repo *r;
    mote_store *s = new_repo(dir, repo, &r);
    for (int b = 0; b < 16; b++) {
        ck_assert_int_eq(mote_store_batch_begin(r), 0);
        for (int i = 0; i < 400; i++) {
            char k[64], v[64];
            snprintf(k, sizeof k, "d%d/k%d", (b * 400 + i) % 37, i % 11);
            snprintf(v, sizeof v, "%d/%d", b, i);
            set(s, k, v);
        }
        ck_assert_int_eq(mote_store_batch_end(r, &info, NULL), 0);
    }
    CK_VAL(s, "d35/k3", "15/399"); /* the last write: 6399 % 37 = 35, 399 % 11 = 3 */
    mote_store_free(s);
    mote_store_repo_free(r);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s count-objects -v | grep '^packs:'", repo),
                     0);
    int packs = -1;
    sscanf(out, "packs: %d", &packs);
    ck_assert_int_eq(packs, 1);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s fsck --strict 2>&1", repo), 0);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s rev-list --count main", repo), 0);
    ck_assert_int_eq(atoi(out), 6400);
    st_rmrf(dir);
    free(dir);
}
END_TEST

/* A mote writer and git's own update-ref moving the same branch at the
 * same time, both by compare-and-swap under git's lock file: no update of
 * either is lost. */
START_TEST(t_mixed_writers)
{
    char *dir = st_tmpdir(), out[8192], repo[600];
    mote_store_repo *r;
    mote_store *s = new_repo(dir, repo, &r);
    set(s, "base", "0");
    mote_store_free(s);
    mote_store_repo_free(r);
    pid_t pid = fork();
    if (pid == 0) {
        mote_store_repo *rc = mote_store_git_open(repo, 0, NULL, NULL);
        mote_store *sc = mote_store_of_branch(rc, "main", NULL);
        for (int i = 0; i < 400; i++) {
            char k[32];
            snprintf(k, sizeof k, "m/k%d", i);
            if (mote_store_set(sc, k, "1", 1, &info, NULL))
                _exit(1);
        }
        mote_store_free(sc);
        mote_store_repo_free(rc);
        _exit(0);
    }
    /* git commits keep their parent's tree, so they remove nothing */
    int rc = st_sh(out, sizeof out,
                   "cd %s && for i in $(seq 1 60); do while :; do "
                   "old=$(git rev-parse main) && "
                   "new=$(git -c user.name=G -c user.email=g@x commit-tree \"$old^{tree}\" "
                   "-p \"$old\" -m g$i) && "
                   "git update-ref refs/heads/main \"$new\" \"$old\" 2>/dev/null && break; "
                   "done; done; echo done",
                   repo);
    ck_assert_int_eq(rc, 0);
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_eq(st_sh(out, sizeof out, "git -C %s log --format=%%s main | grep -c '^g'", repo),
                     0);
    ck_assert_int_eq(atoi(out), 60);
    r = mote_store_git_open(repo, 0, NULL, NULL);
    s = mote_store_of_branch(r, "main", NULL);
    for (int i = 0; i < 400; i++) {
        char k[32];
        snprintf(k, sizeof k, "m/k%d", i);
        CK_VAL(s, k, "1");
    }
    mote_store_free(s);
    mote_store_repo_free(r);
    fsck_and_remove(dir, repo);
}
END_TEST

int main(void)
{
    if (!tu_have_program("git")) {
        printf("SKIP: git is not installed\n");
        return 77;
    }
    Suite *s = suite_create("store-git");
    TCase *tc = tcase_create("git");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_git_reads_mote);
    tcase_add_test(tc, t_mote_reads_git);
    tcase_add_test(tc, t_hostile_repo);
    tcase_add_test(tc, t_git_gc);
    tcase_add_test(tc, t_remote_path);
    tcase_add_test(tc, t_remote_daemon);
    tcase_add_test(tc, t_concurrent_writers);
    tcase_add_test(tc, t_crash);
    tcase_add_test(tc, t_packs);
    tcase_add_test(tc, t_pack_deltas);
    tcase_add_test(tc, t_refs);
    tcase_add_test(tc, t_batch_crash);
    tcase_add_test(tc, t_batch_big);
    tcase_add_test(tc, t_pack_roundtrip);
    tcase_add_test(tc, t_big_merge);
    tcase_add_test(tc, t_mixed_writers);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
