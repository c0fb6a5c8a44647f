/*
 * pack.c - writes a batch of objects as one Git pack (version 2) and its
 * index (version 2), the way git itself lays them out, so that a commit
 * costs two files instead of one loose file per object. Objects are stored
 * whole (no deltas); merging packs later (through libgit2's pack builder)
 * finds the deltas.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "mote/error.h"

typedef struct pk_ent {
    const st_pack_obj *o;
    uint64_t off;
    uint32_t crc;
} pk_ent;

static int ent_cmp(const void *a, const void *b)
{
    return memcmp(((const pk_ent *)a)->o->id.b, ((const pk_ent *)b)->o->id.b, MOTE_STORE_HASH_LEN);
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t k = write(fd, b, n);
        if (k <= 0)
            return MOTE_EIO;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static int write_file(const char *dir, const char *final, const mote_buf *b)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/tmp_mote_XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return MOTE_EIO;
    int rc = write_all(fd, b->data, b->len);
    if (!rc && fchmod(fd, 0444) != 0)
        rc = MOTE_EIO;
    if (close(fd) != 0)
        rc = MOTE_EIO;
    if (!rc && rename(tmp, final) != 0)
        rc = MOTE_EIO;
    if (rc)
        unlink(tmp);
    return rc;
}

int st_pack_write(const char *packdir, const st_pack_obj *objs, size_t n,
                  char name[MOTE_STORE_HEX_LEN + 1])
{
    if (n == 0 || n > UINT32_MAX)
        return MOTE_EINVAL;
    pk_ent *e = calloc(n, sizeof *e);
    if (!e)
        return MOTE_ENOMEM;
    mote_buf pack, idx;
    mote_buf_init(&pack, 0);
    mote_buf_init(&idx, 0);
    int rc = mote_buf_append(&pack, "PACK", 4);
    if (!rc)
        rc = mote_buf_append_be32(&pack, 2);
    if (!rc)
        rc = mote_buf_append_be32(&pack, (uint32_t)n);
    for (size_t i = 0; i < n && !rc; i++) {
        const st_pack_obj *o = &objs[i];
        e[i].o = o;
        e[i].off = pack.len;
        uint8_t hdr[16];
        size_t hl = 0, sz = o->len;
        hdr[hl] = (uint8_t)((o->type & 7) << 4 | (sz & 15));
        sz >>= 4;
        while (sz) {
            hdr[hl++] |= 0x80;
            hdr[hl] = sz & 0x7f;
            sz >>= 7;
        }
        hl++;
        uLongf cap = compressBound((uLong)o->len);
        size_t start = pack.len;
        if ((rc = mote_buf_append(&pack, hdr, hl)) != 0)
            break;
        uint8_t *dst = mote_buf_extend(&pack, cap, &rc);
        if (!dst)
            break;
        uLongf got = cap;
        if (compress2(dst, &got, o->data ? o->data : (const uint8_t *)"", (uLong)o->len,
                      Z_DEFAULT_COMPRESSION) != Z_OK) {
            rc = MOTE_EIO;
            break;
        }
        mote_buf_truncate(&pack, pack.len - cap + got);
        e[i].crc = (uint32_t)crc32(0, pack.data + start, (uInt)(pack.len - start));
    }
    if (!rc && pack.len >= 0x80000000u)
        rc = MOTE_ELIMIT; /* would need the index's 64-bit offsets */
    uint8_t sum[20];
    if (!rc) {
        st_sha1 c;
        st_sha1_init(&c);
        st_sha1_update(&c, pack.data, pack.len);
        st_sha1_final(&c, sum);
        rc = mote_buf_append(&pack, sum, 20);
    }
    if (!rc) {
        qsort(e, n, sizeof *e, ent_cmp);
        static const uint8_t magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
        rc = mote_buf_append(&idx, magic, 8);
        size_t k = 0;
        for (int b = 0; b < 256 && !rc; b++) {
            while (k < n && e[k].o->id.b[0] <= b)
                k++;
            rc = mote_buf_append_be32(&idx, (uint32_t)k);
        }
        for (size_t i = 0; i < n && !rc; i++)
            rc = mote_buf_append(&idx, e[i].o->id.b, MOTE_STORE_HASH_LEN);
        for (size_t i = 0; i < n && !rc; i++)
            rc = mote_buf_append_be32(&idx, e[i].crc);
        for (size_t i = 0; i < n && !rc; i++)
            rc = mote_buf_append_be32(&idx, (uint32_t)e[i].off);
        if (!rc)
            rc = mote_buf_append(&idx, sum, 20);
        if (!rc) {
            uint8_t isum[20];
            st_sha1 c;
            st_sha1_init(&c);
            st_sha1_update(&c, idx.data, idx.len);
            st_sha1_final(&c, isum);
            rc = mote_buf_append(&idx, isum, 20);
        }
    }
    if (!rc) {
        mote_store_hash h;
        memcpy(h.b, sum, 20);
        mote_store_hash_hex(&h, name);
        char pp[4200], ip[4200];
        snprintf(pp, sizeof pp, "%s/pack-%s.pack", packdir, name);
        snprintf(ip, sizeof ip, "%s/pack-%s.idx", packdir, name);
        /* the pack first, then its index: a reader finds packs by index */
        rc = write_file(packdir, pp, &pack);
        if (!rc)
            rc = write_file(packdir, ip, &idx);
        if (rc)
            unlink(pp);
    }
    mote_buf_free(&pack);
    mote_buf_free(&idx);
    free(e);
    return rc;
}
