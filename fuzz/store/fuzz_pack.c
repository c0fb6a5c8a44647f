/*
 * fuzz-store-pack: pack.c's writer (v2 pack and index, trees as deltas
 * against similar earlier trees) against libgit2's reader. The input
 * describes a set of objects, many of them versions of earlier ones (a
 * stretch replaced, inserted or deleted, content repeated to pass 64 KiB),
 * written as one pack; libgit2 must read every object back exactly, or the
 * target aborts.
 *
 * Input: byte 0 picks the zlib level; then records of
 *   [kind][a][b][c][len][len bytes]
 * kind & 1: tree or blob; kind & 2: a version of an earlier object (a:
 * which, b and c: where and how much to delete; the bytes are inserted),
 * else a fresh object of the bytes repeated (a + 1) times.
 */
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define MAX_OBJS 48
#define MAX_LEN  (300u * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char packdir[64];

static void cleanup(void)
{
    rmdir(packdir); /* empty: each input's pack is removed after its check */
}

static int setup(void)
{
    if (packdir[0])
        return 0;
    git_libgit2_init();
    /* tmpfs when there is one: two files per input */
    snprintf(packdir, sizeof packdir, "%s/mote-fuzz-pack-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(packdir)) {
        packdir[0] = 0;
        return -1;
    }
    atexit(cleanup);
    return 0;
}

static void check(const char *name, const st_pack_obj *o, size_t n)
{
    char idx[128], pack[128];
    snprintf(idx, sizeof idx, "%s/pack-%s.idx", packdir, name);
    snprintf(pack, sizeof pack, "%s/pack-%s.pack", packdir, name);
    git_odb *odb = NULL;
    git_odb_backend *be = NULL;
    if (git_odb_new(&odb) != 0 || git_odb_backend_one_pack(&be, idx) != 0 ||
        git_odb_add_backend(odb, be, 1) != 0)
        abort();
    for (size_t i = 0; i < n; i++) {
        git_oid oid;
        git_oid_fromraw(&oid, o[i].id.b);
        git_odb_object *obj;
        if (git_odb_read(&obj, odb, &oid) != 0)
            abort();
        if ((int)git_odb_object_type(obj) != o[i].type || git_odb_object_size(obj) != o[i].len ||
            (o[i].len && memcmp(git_odb_object_data(obj), o[i].data, o[i].len) != 0))
            abort();
        git_odb_object_free(obj);
    }
    git_odb_free(odb);
    unlink(idx);
    unlink(pack);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || setup() != 0)
        return 0;
    static const int levels[4] = {0, 1, 6, 9};
    int level = levels[data[0] & 3];
    st_pack_obj o[MAX_OBJS];
    size_t n = 0, pos = 1;
    while (pos + 5 <= size && n < MAX_OBJS) {
        uint8_t kind = data[pos], a = data[pos + 1], b = data[pos + 2], c = data[pos + 3];
        size_t len = data[pos + 4];
        pos += 5;
        if (len > size - pos)
            len = size - pos;
        const uint8_t *bytes = data + pos;
        pos += len;
        uint8_t *d;
        size_t dl;
        if ((kind & 2) && n > 0) {
            const st_pack_obj *base = &o[a % n];
            size_t at = base->len ? ((size_t)b * 257 + c) % (base->len + 1) : 0;
            size_t del = c % 64;
            if (del > base->len - at)
                del = base->len - at;
            dl = base->len - del + len;
            d = malloc(dl ? dl : 1);
            if (!d)
                break;
            memcpy(d, base->data, at);
            memcpy(d + at, bytes, len);
            memcpy(d + at + len, base->data + at + del, base->len - at - del);
        } else {
            size_t rep = (size_t)a + 1;
            if (len == 0)
                rep = 0;
            dl = len * rep;
            if (dl > MAX_LEN)
                dl = MAX_LEN - MAX_LEN % (len ? len : 1);
            d = malloc(dl ? dl : 1);
            if (!d)
                break;
            for (size_t k = 0; k < dl; k++)
                d[k] = bytes[k % len];
        }
        o[n].data = d;
        o[n].len = dl;
        o[n].type = (kind & 1) ? MOTE_STORE_BLOB : MOTE_STORE_TREE;
        mote_store_object_id(o[n].type, d, dl, &o[n].id);
        /* the writer's callers never pass an object twice */
        int dup = 0;
        for (size_t k = 0; k < n && !dup; k++)
            dup = mote_store_hash_eq(&o[k].id, &o[n].id);
        if (dup)
            free(d);
        else
            n++;
    }
    char name[MOTE_STORE_HEX_LEN + 1];
    if (n && st_pack_write(packdir, o, n, level, name) == 0)
        check(name, o, n);
    for (size_t i = 0; i < n; i++)
        free(o[i].data);
    return 0;
}
