/*
 * util.c - SHA-1, the id map, hex ids, path and name checks.
 */
#include <stdlib.h>
#include <string.h>

#include <nettle/sha1.h>

#include "internal.h"
#include "mote/error.h"

/* ---- SHA-1: Nettle's (it uses the CPU's SHA instructions when present) ---- */

void st_sha1_init(st_sha1 *c)
{
    sha1_init(&c->ctx);
}

void st_sha1_update(st_sha1 *c, const void *data, size_t len)
{
    sha1_update(&c->ctx, len, data);
}

void st_sha1_final(st_sha1 *c, uint8_t out[20])
{
    sha1_digest(&c->ctx, 20, out);
}

void mote_store_object_id(int type, const void *data, size_t len, mote_store_hash *out)
{
    static const char *names[] = {"", "commit", "tree", "blob"};
    char hdr[32];
    const char *tn = (type >= 1 && type <= 3) ? names[type] : "blob";
    size_t tl = strlen(tn);
    memcpy(hdr, tn, tl);
    hdr[tl++] = ' ';
    char num[24];
    size_t nl = 0;
    size_t v = len;
    do {
        num[nl++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (nl)
        hdr[tl++] = num[--nl];
    hdr[tl++] = 0;
    st_sha1 c;
    st_sha1_init(&c);
    st_sha1_update(&c, hdr, tl);
    st_sha1_update(&c, data, len);
    st_sha1_final(&c, out->b);
}

/* ---- hex ---- */

void mote_store_hash_hex(const mote_store_hash *h, char out[MOTE_STORE_HEX_LEN + 1])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < MOTE_STORE_HASH_LEN; i++) {
        out[2 * i] = hx[h->b[i] >> 4];
        out[2 * i + 1] = hx[h->b[i] & 15];
    }
    out[MOTE_STORE_HEX_LEN] = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int mote_store_hash_parse(const char *hex, mote_store_hash *h)
{
    if (!hex || !h)
        return MOTE_EINVAL;
    for (int i = 0; i < MOTE_STORE_HASH_LEN; i++) {
        int a = hexval(hex[2 * i]);
        if (a < 0)
            return MOTE_EDECODE;
        int b = hexval(hex[2 * i + 1]);
        if (b < 0)
            return MOTE_EDECODE;
        h->b[i] = (uint8_t)(a << 4 | b);
    }
    return hex[MOTE_STORE_HEX_LEN] == 0 ? 0 : MOTE_EDECODE;
}

int mote_store_hash_eq(const mote_store_hash *a, const mote_store_hash *b)
{
    return memcmp(a->b, b->b, MOTE_STORE_HASH_LEN) == 0;
}

/* ---- map ---- */

void st_map_init(st_map *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
}

void st_map_free(st_map *m)
{
    free(m->slots);
    st_map_init(m);
}

static size_t slot_of(const mote_store_hash *k, size_t cap)
{
    uint64_t v;
    memcpy(&v, k->b, 8);
    return (size_t)(v * 0x9e3779b97f4a7c15ull >> 7) & (cap - 1);
}

void **st_map_get(const st_map *m, const mote_store_hash *k)
{
    if (!m->cap)
        return NULL;
    size_t i = slot_of(k, m->cap);
    while (m->slots[i].used) {
        if (memcmp(m->slots[i].key.b, k->b, MOTE_STORE_HASH_LEN) == 0)
            return &m->slots[i].val;
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

static int map_grow(st_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    st_map_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return MOTE_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].used)
            continue;
        size_t j = slot_of(&m->slots[i].key, ncap);
        while (ns[j].used)
            j = (j + 1) & (ncap - 1);
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

void **st_map_probe(st_map *m, const mote_store_hash *k, int *found)
{
    if (m->cap && (m->n + 1) * 4 <= m->cap * 3) {
        size_t i = slot_of(k, m->cap);
        while (m->slots[i].used) {
            if (memcmp(m->slots[i].key.b, k->b, MOTE_STORE_HASH_LEN) == 0) {
                *found = 1;
                return &m->slots[i].val;
            }
            i = (i + 1) & (m->cap - 1);
        }
        *found = 0;
        m->slots[i].key = *k;
        m->slots[i].val = NULL;
        m->slots[i].used = 1;
        m->n++;
        return &m->slots[i].val;
    }
    void **p = st_map_get(m, k);
    if (p) {
        *found = 1;
        return p;
    }
    *found = 0;
    if (st_map_put(m, k, NULL) != 0)
        return NULL;
    return st_map_get(m, k);
}

int st_map_put(st_map *m, const mote_store_hash *k, void *val)
{
    void **p = st_map_get(m, k);
    if (p) {
        *p = val;
        return 0;
    }
    if ((m->n + 1) * 4 > m->cap * 3) {
        int rc = map_grow(m);
        if (rc)
            return rc;
    }
    size_t i = slot_of(k, m->cap);
    while (m->slots[i].used)
        i = (i + 1) & (m->cap - 1);
    m->slots[i].key = *k;
    m->slots[i].val = val;
    m->slots[i].used = 1;
    m->n++;
    return 0;
}

void *st_map_del(st_map *m, const mote_store_hash *k)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    size_t i = slot_of(k, m->cap);
    while (m->slots[i].used && memcmp(m->slots[i].key.b, k->b, MOTE_STORE_HASH_LEN) != 0)
        i = (i + 1) & mask;
    if (!m->slots[i].used)
        return NULL;
    void *old = m->slots[i].val;
    m->slots[i].used = 0;
    m->n--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].used)
            break;
        size_t h = slot_of(&m->slots[j].key, m->cap);
        /* move j into the hole i if h is not cyclically in (i, j] */
        int in = (i <= j) ? (h > i && h <= j) : (h > i || h <= j);
        if (!in) {
            m->slots[i] = m->slots[j];
            m->slots[j].used = 0;
            i = j;
        }
    }
    return old;
}

/* ---- names and paths ---- */

int st_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > MOTE_STORE_MAX_NAME)
        return 0;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    if (len == 4 && (name[0] == '.') && (name[1] == 'g' || name[1] == 'G') &&
        (name[2] == 'i' || name[2] == 'I') && (name[3] == 't' || name[3] == 'T'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '/' || name[i] == 0)
            return 0;
    return 1;
}

int st_path_parse(const char *path, st_path *p)
{
    p->n = 0;
    if (!path)
        return MOTE_EINVAL;
    size_t len = strlen(path);
    if (len > MOTE_STORE_MAX_PATH)
        return MOTE_ELIMIT;
    memcpy(p->buf, path, len + 1);
    size_t i = 0;
    while (i < len) {
        while (i < len && p->buf[i] == '/')
            i++;
        if (i >= len)
            break;
        size_t s = i;
        while (i < len && p->buf[i] != '/')
            i++;
        if (p->n >= MOTE_STORE_MAX_DEPTH)
            return MOTE_ELIMIT;
        if (!st_name_valid(p->buf + s, i - s))
            return MOTE_EINVAL;
        p->step[p->n] = p->buf + s;
        p->len[p->n] = i - s;
        p->n++;
        p->buf[i] = 0;
        i++;
    }
    return 0;
}

int mote_store_branch_valid(const char *name)
{
    if (!name)
        return 0;
    size_t len = strlen(name);
    if (len == 0 || len > MOTE_STORE_MAX_BRANCH)
        return 0;
    if (name[0] == '/' || name[0] == '-' || name[len - 1] == '/' || name[len - 1] == '.')
        return 0;
    if (len >= 5 && memcmp(name + len - 5, ".lock", 5) == 0)
        return 0;
    if (strcmp(name, "HEAD") == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '/'))
            return 0;
        if (c == '.' && (i == 0 || name[i - 1] == '/' || name[i + 1] == '.'))
            return 0;
        if (c == '/' && name[i + 1] == '/')
            return 0;
        if (c == '/' && name[i + 1] == '.')
            return 0;
        if (c == '.' && name[i + 1] == '/')
            return 0;
    }
    return 1;
}
