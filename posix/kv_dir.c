/*
 * kv_dir.c - a read-only mote_kv over a directory tree.
 *
 * Keys are relative paths. Each lookup walks the key one component at a
 * time with openat(O_NOFOLLOW) from a descriptor of the root, so neither
 * "..", an absolute path nor a symbolic link can lead outside the root.
 */
#include "mote/posix.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mote/error.h"

#define KV_MAX_DEPTH   32
#define KV_MAX_ENTRIES 100000
#define KV_MAX_KEY     4096

struct mote_posix_kv_dir {
    mote_kv kv;
    int dirfd;
};

static int map_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case ENXIO:
        return MOTE_ENOTFOUND;
    case EACCES:
    case EPERM:
        return MOTE_EPERM;
    case ENOMEM:
        return MOTE_ENOMEM;
    case EMFILE:
    case ENFILE:
        return MOTE_ELIMIT;
    default:
        return MOTE_EIO;
    }
}

/* 1 if key is a relative path of non-empty components, none "." or "..". */
static int key_ok(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n >= KV_MAX_KEY || key[0] == '/')
        return 0;
    const char *p = key;
    for (;;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        if (len > NAME_MAX)
            return 0;
        if (!e)
            return 1;
        p = e + 1;
    }
}

/* Opens the regular file at key under the root; *fd on success. */
static int open_key(mote_posix_kv_dir *d, const char *key, int *fd)
{
    if (!key || !key_ok(key))
        return MOTE_ENOTFOUND;
    int cur = d->dirfd;
    const char *p = key;
    char comp[NAME_MAX + 1];
    for (;;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        memcpy(comp, p, len);
        comp[len] = 0;
        int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (e ? O_DIRECTORY : O_NONBLOCK);
        int nfd = openat(cur, comp, flags);
        int saved = errno;
        if (cur != d->dirfd)
            close(cur);
        if (nfd < 0)
            return map_errno(saved);
        if (!e) {
            struct stat st;
            if (fstat(nfd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(nfd);
                return MOTE_ENOTFOUND;
            }
            *fd = nfd;
            return 0;
        }
        cur = nfd;
        p = e + 1;
    }
}

static int kv_size(void *ctx, const char *key, uint64_t *size)
{
    int fd, rc = open_key(ctx, key, &fd);
    if (rc < 0)
        return rc;
    struct stat st;
    rc = fstat(fd, &st);
    close(fd);
    if (rc != 0)
        return MOTE_EIO;
    *size = (uint64_t)st.st_size;
    return 0;
}

static int kv_read(void *ctx, const char *key, uint64_t offset, void *buf, size_t len, size_t *got)
{
    *got = 0;
    int fd, rc = open_key(ctx, key, &fd);
    if (rc < 0)
        return rc;
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len && offset + done <= (uint64_t)INT64_MAX - len) {
        ssize_t n = pread(fd, p + done, len - done, (off_t)(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return MOTE_EIO;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    *got = done;
    return 0;
}

typedef struct keylist {
    char **keys;
    size_t n, cap;
    const char *prefix;
    size_t prefix_len;
} keylist;

static int add_key(keylist *kl, const char *key)
{
    if (kl->n >= KV_MAX_ENTRIES)
        return MOTE_ELIMIT;
    if (kl->n == kl->cap) {
        size_t cap = kl->cap ? 2 * kl->cap : 64;
        char **k = realloc(kl->keys, cap * sizeof *k);
        if (!k)
            return MOTE_ENOMEM;
        kl->keys = k;
        kl->cap = cap;
    }
    char *copy = strdup(key);
    if (!copy)
        return MOTE_ENOMEM;
    kl->keys[kl->n++] = copy;
    return 0;
}

/* Walks the directory open as fd (closed here) whose key prefix is path
 * (len bytes, "" or ending in '/'). */
static int walk(keylist *kl, int fd, char *path, size_t len, int depth)
{
    if (depth > KV_MAX_DEPTH) {
        close(fd);
        return MOTE_ELIMIT;
    }
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return map_errno(errno);
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(dir)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        size_t nl = strlen(name);
        if (len + nl + 2 > KV_MAX_KEY)
            continue; /* not reachable as a key either */
        struct stat st;
        if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* vanished meanwhile */
        memcpy(path + len, name, nl + 1);
        if (S_ISREG(st.st_mode)) {
            if (strncmp(path, kl->prefix, kl->prefix_len) == 0)
                rc = add_key(kl, path);
        } else if (S_ISDIR(st.st_mode)) {
            path[len + nl] = '/';
            path[len + nl + 1] = 0;
            size_t sub = len + nl + 1;
            /* Descend only where keys can still match the prefix. */
            size_t cmp = sub < kl->prefix_len ? sub : kl->prefix_len;
            if (strncmp(path, kl->prefix, cmp) != 0)
                continue;
            int sfd = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sfd < 0)
                continue; /* unreadable directories are skipped */
            rc = walk(kl, sfd, path, sub, depth + 1);
        }
        path[len] = 0;
    }
    closedir(dir);
    return rc;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int kv_list(void *ctx, const char *prefix, mote_kv_list_fn fn, void *arg)
{
    mote_posix_kv_dir *d = ctx;
    keylist kl = {.prefix = prefix ? prefix : "", .prefix_len = prefix ? strlen(prefix) : 0};
    int fd = openat(d->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return map_errno(errno);
    char *path = malloc(KV_MAX_KEY);
    if (!path) {
        close(fd);
        return MOTE_ENOMEM;
    }
    path[0] = 0;
    int rc = walk(&kl, fd, path, 0, 0);
    free(path);
    if (rc == 0 && kl.n > 0) {
        qsort(kl.keys, kl.n, sizeof *kl.keys, cmp_keys);
        for (size_t i = 0; i < kl.n && rc == 0; i++)
            rc = fn(arg, kl.keys[i]);
    }
    for (size_t i = 0; i < kl.n; i++)
        free(kl.keys[i]);
    free(kl.keys);
    return rc;
}

mote_posix_kv_dir *mote_posix_kv_dir_new(const char *path, int *err)
{
    if (!path || !*path) {
        if (err)
            *err = MOTE_EINVAL;
        return NULL;
    }
    mote_posix_kv_dir *d = calloc(1, sizeof *d);
    if (!d) {
        if (err)
            *err = MOTE_ENOMEM;
        return NULL;
    }
    d->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->dirfd < 0) {
        int e = map_errno(errno);
        free(d);
        if (err)
            *err = e;
        return NULL;
    }
    d->kv.ctx = d;
    d->kv.size = kv_size;
    d->kv.read = kv_read;
    d->kv.list = kv_list;
    if (err)
        *err = 0;
    return d;
}

mote_kv *mote_posix_kv_dir_kv(mote_posix_kv_dir *d)
{
    return &d->kv;
}

void mote_posix_kv_dir_free(mote_posix_kv_dir *d)
{
    if (!d)
        return;
    close(d->dirfd);
    free(d);
}
