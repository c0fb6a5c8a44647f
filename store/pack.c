/*
 * pack.c - writes a batch of objects as one Git pack (version 2) and its
 * index (version 2), the way git itself lays them out, so that a commit
 * costs two files instead of one loose file per object.
 *
 * Trees are stored as deltas (OFS_DELTA) against an earlier tree of the
 * same pack that looks like an older version of the same directory: one
 * with the same first entry (name and id) or the same last entry id. The
 * delta is a copy of the common prefix, the changed bytes, and a copy of
 * the common suffix; chains are at most ST_PACK_MAX_DEPTH long. This is
 * not git's delta search (no sliding window, no rolling hash): it finds
 * what a single-key commit changes, for a fraction of the cost.
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

#define ST_PACK_MAX_DEPTH 20 /* longest delta chain */
#define MIN_DELTA_LEN     64 /* smaller trees are stored whole */
#define OBJ_OFS_DELTA     6

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

/* ---- choosing a base: two small maps from a key's hash to the latest
 * object with that key ---- */

typedef struct base_map {
    uint64_t *key; /* 0: empty */
    size_t *idx;
    size_t cap;
} base_map;

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h | 1; /* never 0 */
}

static int bm_init(base_map *m, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n)
        m->cap *= 2;
    m->key = calloc(m->cap, sizeof *m->key);
    m->idx = calloc(m->cap, sizeof *m->idx);
    return m->key && m->idx ? 0 : MOTE_ENOMEM;
}

static void bm_free(base_map *m)
{
    free(m->key);
    free(m->idx);
}

static size_t *bm_slot(base_map *m, uint64_t k, int *found)
{
    size_t i = (size_t)k & (m->cap - 1);
    while (m->key[i] && m->key[i] != k)
        i = (i + 1) & (m->cap - 1);
    *found = m->key[i] == k;
    m->key[i] = k;
    return &m->idx[i];
}

/* Keys of a tree: its first entry (mode, name, id) and its last entry's
 * id. 0 when the tree is too short to have them. */
static void tree_keys(const st_pack_obj *o, uint64_t *first, uint64_t *last)
{
    *first = *last = 0;
    if (o->type != MOTE_STORE_TREE || o->len < MIN_DELTA_LEN)
        return;
    const uint8_t *nul = memchr(o->data, 0, o->len);
    if (nul && (size_t)(nul - o->data) + 21 <= o->len)
        *first = fnv(o->data, (size_t)(nul - o->data) + 21);
    *last = fnv(o->data + o->len - 20, 20) ^ 0x5bd1e995u;
}

/* ---- deltas ---- */

static int put_varint(mote_buf *b, size_t v)
{
    uint8_t t[10];
    size_t k = 0;
    do {
        t[k] = v & 0x7f;
        v >>= 7;
        if (v)
            t[k] |= 0x80;
        k++;
    } while (v);
    return mote_buf_append(b, t, k);
}

static int put_copy(mote_buf *b, size_t off, size_t len)
{
    while (len) {
        size_t n = len > 0xffffff ? 0xffffff : len;
        uint8_t t[8];
        size_t k = 1;
        t[0] = 0x80;
        for (int i = 0; i < 4; i++)
            if ((off >> (8 * i)) & 0xff) {
                t[0] |= (uint8_t)(1u << i);
                t[k++] = (uint8_t)(off >> (8 * i));
            }
        for (int i = 0; i < 3; i++)
            if ((n >> (8 * i)) & 0xff) {
                t[0] |= (uint8_t)(0x10u << i);
                t[k++] = (uint8_t)(n >> (8 * i));
            }
        int rc = mote_buf_append(b, t, k);
        if (rc)
            return rc;
        off += n;
        len -= n;
    }
    return 0;
}

static int put_insert(mote_buf *b, const uint8_t *p, size_t len)
{
    while (len) {
        uint8_t n = (uint8_t)(len > 127 ? 127 : len);
        int rc = mote_buf_append(b, &n, 1);
        if (!rc)
            rc = mote_buf_append(b, p, n);
        if (rc)
            return rc;
        p += n;
        len -= n;
    }
    return 0;
}

/* A delta turning base into target (prefix copy, insert, suffix copy), or
 * 1 when it would not be worth it. */
static int make_delta(const st_pack_obj *base, const st_pack_obj *t, mote_buf *out)
{
    size_t bl = base->len, tl = t->len, m = bl < tl ? bl : tl;
    size_t p = 0;
    while (p < m && base->data[p] == t->data[p])
        p++;
    size_t s = 0;
    while (s < m - p && base->data[bl - 1 - s] == t->data[tl - 1 - s])
        s++;
    if (tl - p - s > tl / 2)
        return 1;
    mote_buf_reset(out);
    int rc = put_varint(out, bl);
    if (!rc)
        rc = put_varint(out, tl);
    if (!rc && p)
        rc = put_copy(out, 0, p);
    if (!rc)
        rc = put_insert(out, t->data + p, tl - p - s);
    if (!rc && s)
        rc = put_copy(out, bl - s, s);
    return rc;
}

/* Appends one compressed entry (header, optional base offset, data). */
static int put_entry(mote_buf *pack, z_stream *z, int type, const uint8_t *data, size_t len,
                     uint64_t base_dist)
{
    uint8_t hdr[32];
    size_t hl = 0, sz = len;
    hdr[hl] = (uint8_t)((type & 7) << 4 | (sz & 15));
    sz >>= 4;
    while (sz) {
        hdr[hl++] |= 0x80;
        hdr[hl] = sz & 0x7f;
        sz >>= 7;
    }
    hl++;
    if (type == OBJ_OFS_DELTA) {
        uint8_t t[16];
        size_t pos = sizeof t - 1;
        uint64_t off = base_dist;
        t[pos] = off & 127;
        while (off >>= 7)
            t[--pos] = (uint8_t)(128 | (--off & 127));
        memcpy(hdr + hl, t + pos, sizeof t - pos);
        hl += sizeof t - pos;
    }
    int rc = mote_buf_append(pack, hdr, hl);
    if (rc)
        return rc;
    if (deflateReset(z) != Z_OK)
        return MOTE_EIO;
    size_t cap = deflateBound(z, (uLong)len) + 16;
    uint8_t *dst = mote_buf_extend(pack, cap, &rc);
    if (!dst)
        return rc;
    z->next_in = (Bytef *)(data ? data : (const uint8_t *)"");
    z->avail_in = (uInt)len;
    z->next_out = dst;
    z->avail_out = (uInt)cap;
    if (deflate(z, Z_FINISH) != Z_STREAM_END)
        return MOTE_EIO;
    mote_buf_truncate(pack, pack->len - z->avail_out);
    return 0;
}

int st_pack_write(const char *packdir, const st_pack_obj *objs, size_t n, int level,
                  char name[MOTE_STORE_HEX_LEN + 1])
{
    if (n == 0 || n > UINT32_MAX)
        return MOTE_EINVAL;
    pk_ent *e = calloc(n, sizeof *e);
    uint8_t *depth = calloc(n, 1);
    base_map first, last;
    memset(&first, 0, sizeof first);
    memset(&last, 0, sizeof last);
    z_stream z;
    memset(&z, 0, sizeof z);
    int zok = deflateInit(&z, level) == Z_OK;
    mote_buf pack, idx, delta;
    mote_buf_init(&pack, 0);
    mote_buf_init(&idx, 0);
    mote_buf_init(&delta, 0);
    int rc = (!e || !depth) ? MOTE_ENOMEM : !zok ? MOTE_ENOMEM : 0;
    if (!rc)
        rc = bm_init(&first, n);
    if (!rc)
        rc = bm_init(&last, n);
    if (!rc)
        rc = mote_buf_append(&pack, "PACK", 4);
    if (!rc)
        rc = mote_buf_append_be32(&pack, 2);
    if (!rc)
        rc = mote_buf_append_be32(&pack, (uint32_t)n);
    for (size_t i = 0; i < n && !rc; i++) {
        const st_pack_obj *o = &objs[i];
        e[i].o = o;
        e[i].off = pack.len;
        uint64_t k1, k2;
        tree_keys(o, &k1, &k2);
        long base = -1;
        int f1 = 0, f2 = 0;
        size_t *s1 = k1 ? bm_slot(&first, k1, &f1) : NULL;
        size_t *s2 = k2 ? bm_slot(&last, k2, &f2) : NULL;
        if (f1 && depth[*s1] < ST_PACK_MAX_DEPTH)
            base = (long)*s1;
        else if (f2 && depth[*s2] < ST_PACK_MAX_DEPTH)
            base = (long)*s2;
        int d = base >= 0 ? make_delta(&objs[base], o, &delta) : 1;
        if (d < 0) {
            rc = d;
            break;
        }
        if (d == 0) {
            depth[i] = (uint8_t)(depth[base] + 1);
            rc = put_entry(&pack, &z, OBJ_OFS_DELTA, delta.data, delta.len, e[i].off - e[base].off);
        } else
            rc = put_entry(&pack, &z, o->type, o->data, o->len, 0);
        if (s1)
            *s1 = i;
        if (s2)
            *s2 = i;
        if (!rc)
            e[i].crc = (uint32_t)crc32(0, pack.data + e[i].off, (uInt)(pack.len - e[i].off));
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
    if (zok)
        deflateEnd(&z);
    bm_free(&first);
    bm_free(&last);
    mote_buf_free(&pack);
    mote_buf_free(&idx);
    mote_buf_free(&delta);
    free(depth);
    free(e);
    return rc;
}
