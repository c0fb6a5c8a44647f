/* bytes.c - slices, bounded growable buffers and the bounded reader. */
#include "mote/bytes.h"
#include "mote/ct.h"
#include "mote/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int mote_slice_eq(mote_slice a, mote_slice b)
{
    if (a.len != b.len)
        return 0;
    return a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0;
}

int mote_slice_sub(mote_slice s, size_t off, size_t len, mote_slice *out)
{
    if (off > s.len || len > s.len - off)
        return MOTE_ERANGE;
    out->ptr = s.ptr + off;
    out->len = len;
    return 0;
}

void mote_buf_init(mote_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit ? limit : SIZE_MAX;
    b->secret = 0;
}

void mote_buf_init_secret(mote_buf *b, size_t limit)
{
    mote_buf_init(b, limit);
    b->secret = 1;
}

int mote_buf_reserve(mote_buf *b, size_t extra)
{
    if (extra > b->limit - b->len)
        return MOTE_ELIMIT;
    size_t need = b->len + extra;
    if (need < b->cap) /* keeps one spare byte: see below */
        return 0;
    /* One spare byte so appendf can keep a NUL after the data. */
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need + 1) {
        if (cap > SIZE_MAX / 2) {
            cap = need + 1;
            break;
        }
        cap *= 2;
    }
    if (cap - 1 > b->limit && b->limit != SIZE_MAX)
        cap = b->limit + 1;
    uint8_t *p;
    if (b->secret) {
        /* realloc could leave a copy of the secret behind: move by hand. */
        p = malloc(cap);
        if (!p)
            return MOTE_ENOMEM;
        if (b->data) {
            memcpy(p, b->data, b->len);
            mote_wipe(b->data, b->cap);
            free(b->data);
        }
    } else {
        p = realloc(b->data, cap);
        if (!p)
            return MOTE_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

uint8_t *mote_buf_extend(mote_buf *b, size_t n, int *err)
{
    int rc = mote_buf_reserve(b, n);
    if (rc) {
        if (err)
            *err = rc;
        return NULL;
    }
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

int mote_buf_append(mote_buf *b, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    int rc = mote_buf_reserve(b, len);
    if (rc)
        return rc;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

int mote_buf_append_byte(mote_buf *b, uint8_t byte)
{
    return mote_buf_append(b, &byte, 1);
}

int mote_buf_append_be16(mote_buf *b, uint16_t v)
{
    uint8_t t[2];
    mote_store_be16(t, v);
    return mote_buf_append(b, t, sizeof t);
}

int mote_buf_append_be24(mote_buf *b, uint32_t v)
{
    uint8_t t[3];
    if (v > 0xffffff)
        return MOTE_ERANGE;
    mote_store_be24(t, v);
    return mote_buf_append(b, t, sizeof t);
}

int mote_buf_append_be32(mote_buf *b, uint32_t v)
{
    uint8_t t[4];
    mote_store_be32(t, v);
    return mote_buf_append(b, t, sizeof t);
}

int mote_buf_append_be64(mote_buf *b, uint64_t v)
{
    uint8_t t[8];
    mote_store_be64(t, v);
    return mote_buf_append(b, t, sizeof t);
}

int mote_buf_appendf(mote_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return MOTE_EINVAL;
    /* reserve() always leaves one spare byte for the NUL. */
    int rc = mote_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void mote_buf_consume(mote_buf *b, size_t n)
{
    if (n >= b->len) {
        mote_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    if (b->secret)
        mote_wipe(b->data + b->len - n, n);
    b->len -= n;
}

void mote_buf_truncate(mote_buf *b, size_t n)
{
    if (n >= b->len)
        return;
    if (b->secret)
        mote_wipe(b->data + n, b->len - n);
    b->len = n;
}

void mote_buf_reset(mote_buf *b)
{
    if (b->secret && b->data)
        mote_wipe(b->data, b->cap);
    b->len = 0;
}

void mote_buf_free(mote_buf *b)
{
    if (b->data) {
        if (b->secret)
            mote_wipe(b->data, b->cap);
        free(b->data);
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

uint8_t *mote_buf_detach(mote_buf *b, size_t *len)
{
    uint8_t *p = b->len ? b->data : NULL;
    *len = b->len;
    if (!p)
        mote_buf_free(b);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

/* ---- reader ---- */

size_t mote_reader_left(const mote_reader *r)
{
    return r->err ? 0 : r->len - r->off;
}

static const uint8_t *take(mote_reader *r, size_t n)
{
    if (r->err)
        return NULL;
    if (n > r->len - r->off) {
        r->err = MOTE_EDECODE;
        return NULL;
    }
    const uint8_t *p = r->ptr + r->off;
    r->off += n;
    return p;
}

int mote_reader_u8(mote_reader *r, uint8_t *v)
{
    const uint8_t *p = take(r, 1);
    *v = p ? p[0] : 0;
    return p ? 0 : r->err;
}

int mote_reader_u16(mote_reader *r, uint16_t *v)
{
    const uint8_t *p = take(r, 2);
    *v = p ? mote_load_be16(p) : 0;
    return p ? 0 : r->err;
}

int mote_reader_u24(mote_reader *r, uint32_t *v)
{
    const uint8_t *p = take(r, 3);
    *v = p ? mote_load_be24(p) : 0;
    return p ? 0 : r->err;
}

int mote_reader_u32(mote_reader *r, uint32_t *v)
{
    const uint8_t *p = take(r, 4);
    *v = p ? mote_load_be32(p) : 0;
    return p ? 0 : r->err;
}

int mote_reader_u64(mote_reader *r, uint64_t *v)
{
    const uint8_t *p = take(r, 8);
    *v = p ? mote_load_be64(p) : 0;
    return p ? 0 : r->err;
}

int mote_reader_bytes(mote_reader *r, size_t n, mote_slice *out)
{
    const uint8_t *p = take(r, n);
    out->ptr = p;
    out->len = p ? n : 0;
    return p ? 0 : r->err;
}

int mote_reader_copy(mote_reader *r, void *dst, size_t n)
{
    const uint8_t *p = take(r, n);
    if (!p) {
        if (n)
            memset(dst, 0, n);
        return r->err;
    }
    if (n)
        memcpy(dst, p, n);
    return 0;
}

int mote_reader_skip(mote_reader *r, size_t n)
{
    return take(r, n) ? 0 : r->err;
}

int mote_reader_vec8(mote_reader *r, mote_slice *out)
{
    uint8_t n;
    mote_reader_u8(r, &n);
    return mote_reader_bytes(r, n, out);
}

int mote_reader_vec16(mote_reader *r, mote_slice *out)
{
    uint16_t n;
    mote_reader_u16(r, &n);
    return mote_reader_bytes(r, n, out);
}

int mote_reader_vec24(mote_reader *r, mote_slice *out)
{
    uint32_t n;
    mote_reader_u24(r, &n);
    return mote_reader_bytes(r, n, out);
}

int mote_reader_finish(const mote_reader *r)
{
    if (r->err)
        return r->err;
    return r->off == r->len ? 0 : MOTE_EDECODE;
}
