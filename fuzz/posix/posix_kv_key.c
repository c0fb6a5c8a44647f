/* posix_kv_key.c - libFuzzer target for the directory kv's key handling.
 *
 * Keys reach mote_posix_kv_dir from the network (mote-serve maps request
 * paths to keys), so they are hostile. The fuzzer builds a small tree once:
 * a root with two files and a subdirectory, a symlink to a file outside
 * the root, a symlink to a directory, a FIFO, and a secret file beside the
 * root. Input bytes (up to the first NUL) are a key and also a list
 * prefix. The oracle: size and read succeed only for the three regular
 * files inside the root, with their exact contents; list only yields
 * those keys, in byte order, each starting with the prefix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mote/posix.h"

static mote_posix_kv_dir *kvd;
static const char *const keys[] = {"a.txt", "d/b.txt", "d/e/c.txt"};
static const char *const vals[] = {"alpha", "bravo!", "charlie"};

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

static char dir[] = "/tmp/mote-fuzz-kv-XXXXXX";

/* Removes the tree at exit, so replaying the corpus leaves nothing. */
static void cleanup(void)
{
    static const char *const files[] = {"root/a.txt", "root/d/b.txt", "root/d/e/c.txt", "root/s",
                                        "root/dl",    "root/fifo",    "secret"};
    static const char *const dirs[] = {"root/d/e", "root/d", "root", ""};
    char p[300];
    mote_posix_kv_dir_free(kvd);
    kvd = NULL;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, dirs[i]);
        rmdir(p);
    }
}

static void setup(void)
{
    if (!mkdtemp(dir))
        abort();
    atexit(cleanup);
    char p[256], root[200];
    snprintf(root, sizeof root, "%s/root", dir);
    mkdir(root, 0755);
    snprintf(p, sizeof p, "%s/d", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/d/e", root);
    mkdir(p, 0755);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", root, keys[i]);
        put(p, vals[i]);
    }
    snprintf(p, sizeof p, "%s/secret", dir);
    put(p, "SECRET");
    char link[256];
    snprintf(link, sizeof link, "%s/s", root);
    if (symlink(p, link) != 0)
        abort();
    snprintf(link, sizeof link, "%s/dl", root);
    if (symlink("d", link) != 0)
        abort();
    snprintf(p, sizeof p, "%s/fifo", root);
    mkfifo(p, 0644);
    int err;
    kvd = mote_posix_kv_dir_new(root, &err);
    if (!kvd)
        abort();
}

static int known(const char *key)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(key, keys[i]) == 0)
            return i;
    return -1;
}

typedef struct lst {
    const char *prefix;
    char last[64];
    int n;
} lst;

static int on_key(void *arg, const char *key)
{
    lst *l = arg;
    if (known(key) < 0 || strncmp(key, l->prefix, strlen(l->prefix)) != 0)
        abort();
    if (l->n > 0 && strcmp(l->last, key) >= 0)
        abort();
    snprintf(l->last, sizeof l->last, "%s", key);
    l->n++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!kvd)
        setup();
    if (size > 8192)
        return 0;
    char *key = malloc(size + 1);
    memcpy(key, data, size);
    key[size] = 0;
    mote_kv *kv = mote_posix_kv_dir_kv(kvd);
    int k = known(key);
    uint64_t sz = 0;
    int rc = mote_kv_size(kv, key, &sz);
    if ((rc == 0) != (k >= 0))
        abort();
    char buf[16];
    size_t got = 0;
    rc = mote_kv_read(kv, key, 0, buf, sizeof buf, &got);
    if ((rc == 0) != (k >= 0))
        abort();
    if (k >= 0 && (sz != strlen(vals[k]) || got != sz || memcmp(buf, vals[k], got) != 0))
        abort();
    lst l = {.prefix = key};
    if (mote_kv_list(kv, key, on_key, &l) != 0)
        abort();
    int want = 0;
    for (int i = 0; i < 3; i++)
        want += strncmp(keys[i], key, strlen(key)) == 0;
    if (l.n != want)
        abort();
    free(key);
    return 0;
}
