/*
 * bench-store: libmote-store against `git fast-import`, in the same run.
 *
 * Two shapes: a tree of 10,000 keys in 100 directories of 100 (d42/k17) and
 * one flat directory of 1,000 keys. For each backend it measures single-key
 * commits per second, reads per second and the repository's size, and runs
 * git fast-import making the same commits for comparison. Prints ratios.
 *
 * The Git backend runs twice: one durable commit per call (each set is on
 * disk, branch moved, before it returns), and the same commits in batches
 * of BATCH (mote_store_batch_begin/_end: one pack and one branch move per
 * batch, as fast-import does; the last _end is inside the timing).
 *
 *   bench-store [GIT_COMMITS [MEM_COMMITS [READS [BATCH]]]]
 *
 * MOTE_BENCH_DIR picks the directory the repositories go in (default /tmp).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mote/store.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of this process, and of its finished children. */
static double cpu_self(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_children(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

typedef struct shape {
    const char *name;
    int nkeys;
    int width; /* keys per directory; 0: flat */
} shape;

static void key(const shape *sh, int i, char *out, size_t n)
{
    if (sh->width)
        snprintf(out, n, "d%d/k%d", i / sh->width, i % sh->width);
    else
        snprintf(out, n, "k%d", i);
}

static long long du(const char *path)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "du -sb '%s' | cut -f1", path);
    FILE *f = popen(cmd, "r");
    long long v = -1;
    if (f) {
        if (fscanf(f, "%lld", &v) != 1)
            v = -1;
        pclose(f);
    }
    return v;
}

static const mote_store_info info = {"Bench <bench@example.org>", "update", 1700000000};

typedef struct result {
    double commits_per_s, commits_per_cpu_s, reads_per_s;
    long long bytes;
} result;

static int run_mote(const shape *sh, int git, const char *dir, int ncommits, int nreads, int batch,
                    result *res)
{
    int err;
    mote_store_repo *r =
        git ? mote_store_git_open(dir, 1, NULL, &err) : mote_store_mem_new(NULL, &err);
    if (!r) {
        fprintf(stderr, "open: %s\n", mote_strerror(err));
        return 1;
    }
    mote_store *s = mote_store_of_branch(r, "main", NULL);
    mote_store_tx *t = mote_store_tx_begin(s, NULL);
    char k[64], v[64];
    for (int i = 0; i < sh->nkeys; i++) {
        key(sh, i, k, sizeof k);
        snprintf(v, sizeof v, "initial %d", i);
        mote_store_tx_set(t, k, v, strlen(v));
    }
    if (mote_store_tx_commit(t, &info, NULL, NULL) != 0)
        return 1;
    mote_store_tx_free(t);
    uint64_t seed = 42;
    double t0 = now(), c0 = cpu_self();
    for (int i = 0; i < ncommits; i++) {
        if (batch && i % batch == 0 && mote_store_batch_begin(r) != 0)
            return 1;
        key(sh, (int)(rnd(&seed) % (uint64_t)sh->nkeys), k, sizeof k);
        int n = snprintf(v, sizeof v, "value %d", i);
        if (mote_store_set(s, k, v, (size_t)n, &info, NULL) != 0) {
            fprintf(stderr, "set failed\n");
            return 1;
        }
        if (batch && (i % batch == batch - 1 || i == ncommits - 1) &&
            mote_store_batch_end(r, &info, NULL) != 0) {
            fprintf(stderr, "batch end failed\n");
            return 1;
        }
    }
    double t1 = now(), c1 = cpu_self();
    res->commits_per_s = ncommits / (t1 - t0);
    res->commits_per_cpu_s = ncommits / (c1 - c0);
    mote_buf b;
    mote_buf_init(&b, 0);
    long found = 0;
    t0 = now();
    for (int i = 0; i < nreads; i++) {
        key(sh, (int)(rnd(&seed) % (uint64_t)sh->nkeys), k, sizeof k);
        mote_buf_reset(&b);
        if (mote_store_get(s, k, &b) == 0)
            found++;
    }
    t1 = now();
    mote_buf_free(&b);
    if (found != nreads) {
        fprintf(stderr, "reads: %ld of %d found\n", found, nreads);
        return 1;
    }
    res->reads_per_s = nreads / (t1 - t0);
    res->bytes = git ? 0 : mote_store_mem_objects(r);
    mote_store_free(s);
    mote_store_repo_free(r);
    if (git)
        res->bytes = du(dir);
    return 0;
}

/* git fast-import: an initial commit with every key, then (timed) the same
 * number of single-key commits. */
static int fast_import(const char *dir, const char *stream_path)
{
    char cmd[3000];
    snprintf(cmd, sizeof cmd, "git -C '%s' fast-import --quiet < '%s'", dir, stream_path);
    return system(cmd);
}

static int run_fast_import(const shape *sh, const char *dir, int ncommits, result *res)
{
    char cmd[1400], sp[1400];
    snprintf(cmd, sizeof cmd, "git init -q --bare '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    snprintf(sp, sizeof sp, "%s.stream", dir);
    FILE *f = fopen(sp, "w");
    if (!f)
        return 1;
    char k[64], v[64];
    fprintf(f, "commit refs/heads/main\ncommitter Bench <bench@example.org> 1700000000 +0000\n"
               "data 7\ninitial\n");
    for (int i = 0; i < sh->nkeys; i++) {
        key(sh, i, k, sizeof k);
        int n = snprintf(v, sizeof v, "initial %d", i);
        fprintf(f, "M 100644 inline %s\ndata %d\n%s\n", k, n, v);
    }
    fclose(f);
    if (fast_import(dir, sp) != 0)
        return 1;
    f = fopen(sp, "w");
    if (!f)
        return 1;
    uint64_t seed = 42;
    fprintf(f, "reset refs/heads/main\nfrom refs/heads/main^0\n");
    for (int i = 0; i < ncommits; i++) {
        key(sh, (int)(rnd(&seed) % (uint64_t)sh->nkeys), k, sizeof k);
        int n = snprintf(v, sizeof v, "value %d", i);
        fprintf(f,
                "commit refs/heads/main\ncommitter Bench <bench@example.org> 1700000000 +0000\n"
                "data 6\nupdate\nM 100644 inline %s\ndata %d\n%s\n",
                k, n, v);
    }
    fclose(f);
    double t0 = now(), c0 = cpu_children();
    if (fast_import(dir, sp) != 0)
        return 1;
    double t1 = now(), c1 = cpu_children();
    unlink(sp);
    res->commits_per_s = ncommits / (t1 - t0);
    res->commits_per_cpu_s = ncommits / (c1 - c0);
    res->bytes = du(dir);
    return 0;
}

int main(int argc, char **argv)
{
    int ngit = argc > 1 ? atoi(argv[1]) : 2000;
    int nmem = argc > 2 ? atoi(argv[2]) : 100000;
    int nreads = argc > 3 ? atoi(argv[3]) : 1000000;
    int batch = argc > 4 ? atoi(argv[4]) : 1000;
    if (ngit < 1 || nmem < 1 || nreads < 1 || batch < 1) {
        fprintf(stderr, "usage: bench-store [GIT_COMMITS [MEM_COMMITS [READS [BATCH]]]]\n");
        return 2;
    }
    if (system("git --version >/dev/null 2>&1") != 0) {
        printf("SKIP: git is not installed\n");
        return 77;
    }
    const char *bdir = getenv("MOTE_BENCH_DIR");
    char base[1024];
    snprintf(base, sizeof base, "%s/mote-bench-store-XXXXXX", bdir && *bdir ? bdir : "/tmp");
    if (!mkdtemp(base))
        return 1;
    printf("repositories in %s; batches of %d commits\n", base, batch);
    shape shapes[2] = {{"tree 100x100 (10,000 keys)", 10000, 100}, {"flat (1,000 keys)", 1000, 0}};
    int rc = 0;
    for (int i = 0; i < 2 && !rc; i++) {
        const shape *sh = &shapes[i];
        char dm[1200], db[1200], dg[1200];
        snprintf(dm, sizeof dm, "%s/mote-%d.git", base, i);
        snprintf(db, sizeof db, "%s/mote-batch-%d.git", base, i);
        snprintf(dg, sizeof dg, "%s/fi-%d.git", base, i);
        result mem = {0}, git = {0}, gb = {0}, fi = {0};
        /* disk first: the memory run leaves a large, fragmented heap */
        rc = run_fast_import(sh, dg, ngit, &fi);
        if (!rc)
            rc = run_mote(sh, 1, dm, ngit, nreads / 10, 0, &git);
        if (!rc)
            rc = run_mote(sh, 1, db, ngit, nreads / 10, batch, &gb);
        if (!rc)
            rc = run_mote(sh, 0, NULL, nmem, nreads, 0, &mem);
        if (rc)
            break;
        printf("shape: %s\n", sh->name);
        printf("  git fast-import : %9.0f commits/s (%9.0f per CPU s)  %10lld bytes on disk "
               "(%d commits)\n",
               fi.commits_per_s, fi.commits_per_cpu_s, fi.bytes, ngit);
        printf("  mote git        : %9.0f commits/s (%9.0f per CPU s)  %10lld bytes on disk  %9.0f "
               "reads/s\n",
               git.commits_per_s, git.commits_per_cpu_s, git.bytes, git.reads_per_s);
        printf("  mote git batch  : %9.0f commits/s (%9.0f per CPU s)  %10lld bytes on disk  %9.0f "
               "reads/s\n",
               gb.commits_per_s, gb.commits_per_cpu_s, gb.bytes, gb.reads_per_s);
        printf("  mote memory     : %9.0f commits/s (%9.0f per CPU s)  %10lld objects        %9.0f "
               "reads/s\n",
               mem.commits_per_s, mem.commits_per_cpu_s, mem.bytes, mem.reads_per_s);
        printf(
            "  ratio git backend / fast-import commits: %.2fx wall, %.2fx CPU (target >= 0.5x)\n",
            git.commits_per_s / fi.commits_per_s, git.commits_per_cpu_s / fi.commits_per_cpu_s);
        printf("  ratio git batches / fast-import commits: %.2fx wall, %.2fx CPU\n",
               gb.commits_per_s / fi.commits_per_s, gb.commits_per_cpu_s / fi.commits_per_cpu_s);
        printf("  ratio memory / fast-import commits: %.1fx\n",
               mem.commits_per_s / fi.commits_per_s);
        printf("  size git backend / fast-import: %.2fx (batches: %.2fx)\n",
               (double)git.bytes / (double)fi.bytes, (double)gb.bytes / (double)fi.bytes);
    }
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
    return rc;
}
