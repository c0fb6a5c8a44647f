/*
 * mote/bytes.h - byte slices, growable buffers, big-endian helpers and a
 * bounds-checked reader.
 *
 * A mote_slice is a borrowed view: it never owns memory, and it is valid only
 * as long as the memory it points into. A mote_buf owns its memory, grows on
 * demand up to a limit set at init (so input from the wire can never make it
 * grow without bound), and is released with mote_buf_free(). A buffer marked
 * secret is wiped whenever its memory is released or reused.
 *
 * mote_reader walks a slice front to back; every read checks the bytes left,
 * and the first failure sticks (r->err), so a parser can read a run of fields
 * and check once at the end.
 */
#ifndef MOTE_BYTES_H
#define MOTE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mote_slice {
    const uint8_t *ptr;
    size_t len;
} mote_slice;

static inline mote_slice mote_slice_make(const void *ptr, size_t len)
{
    mote_slice s;
    s.ptr = (const uint8_t *)ptr;
    s.len = len;
    return s;
}

/* A slice over a NUL-terminated string, without the NUL. */
static inline mote_slice mote_slice_str(const char *s)
{
    return mote_slice_make(s, s ? strlen(s) : 0);
}

/* 1 if both slices hold the same bytes (not constant time: see mote/ct.h). */
int mote_slice_eq(mote_slice a, mote_slice b);

/* Sets *out to bytes [off, off+len) of s. MOTE_ERANGE if that is not inside s. */
int mote_slice_sub(mote_slice s, size_t off, size_t len, mote_slice *out);

typedef struct mote_buf {
    uint8_t *data; /* owned; NULL until the first growth */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
    size_t limit;  /* len may never exceed this */
    int secret;    /* wipe memory when freed, reset or reallocated */
} mote_buf;

/* Initialises an empty buffer that may hold at most `limit` bytes
 * (0 means SIZE_MAX). Allocates nothing. */
void mote_buf_init(mote_buf *b, size_t limit);

/* As mote_buf_init, but the contents are secret: wiped on free, reset and
 * on every reallocation. */
void mote_buf_init_secret(mote_buf *b, size_t limit);

/* Makes room for `extra` more bytes. MOTE_ELIMIT past the limit,
 * MOTE_ENOMEM if allocation fails; the buffer is unchanged on failure. */
int mote_buf_reserve(mote_buf *b, size_t extra);

/* Appends bytes (copied). Errors as mote_buf_reserve. */
int mote_buf_append(mote_buf *b, const void *data, size_t len);
int mote_buf_append_byte(mote_buf *b, uint8_t byte);
int mote_buf_append_be16(mote_buf *b, uint16_t v);
int mote_buf_append_be24(mote_buf *b, uint32_t v);
int mote_buf_append_be32(mote_buf *b, uint32_t v);
int mote_buf_append_be64(mote_buf *b, uint64_t v);

/* Appends printf-formatted text (no NUL is counted in len, but one is kept
 * after the data so b->data can be used as a C string). */
int mote_buf_appendf(mote_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Grows len by n and returns a pointer to the n new (uninitialised) bytes,
 * or NULL (with *err set when err is not NULL) if it cannot. */
uint8_t *mote_buf_extend(mote_buf *b, size_t n, int *err);

/* Drops the first n bytes (all if n >= len), moving the rest to the front. */
void mote_buf_consume(mote_buf *b, size_t n);

/* Sets len to n (n <= len), keeping the memory. */
void mote_buf_truncate(mote_buf *b, size_t n);

/* Empties the buffer, keeping its memory (wiped first if secret). */
void mote_buf_reset(mote_buf *b);

/* Releases the memory (wiped first if secret); the buffer is empty and
 * can be used again with the same limit. */
void mote_buf_free(mote_buf *b);

/* Hands the memory to the caller (who frees it with free()) and leaves the
 * buffer empty. *len receives the length. Returns NULL for an empty buffer. */
uint8_t *mote_buf_detach(mote_buf *b, size_t *len);

static inline mote_slice mote_buf_slice(const mote_buf *b)
{
    return mote_slice_make(b->data, b->len);
}

/* Big-endian loads and stores; p must have room for the width. */
static inline uint16_t mote_load_be16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t mote_load_be24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}
static inline uint32_t mote_load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t mote_load_be64(const uint8_t *p)
{
    return (uint64_t)mote_load_be32(p) << 32 | mote_load_be32(p + 4);
}
static inline void mote_store_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void mote_store_be24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}
static inline void mote_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void mote_store_be64(uint8_t *p, uint64_t v)
{
    mote_store_be32(p, (uint32_t)(v >> 32));
    mote_store_be32(p + 4, (uint32_t)v);
}

/* A bounds-checked, front-to-back reader over borrowed bytes. */
typedef struct mote_reader {
    const uint8_t *ptr;
    size_t len;
    size_t off; /* bytes consumed so far */
    int err;    /* 0, or the first error (MOTE_EDECODE when input ran short) */
} mote_reader;

static inline void mote_reader_init(mote_reader *r, const void *ptr, size_t len)
{
    r->ptr = (const uint8_t *)ptr;
    r->len = len;
    r->off = 0;
    r->err = 0;
}

/* Bytes not yet read (0 once an error has occurred). */
size_t mote_reader_left(const mote_reader *r);

/* Each returns 0, or MOTE_EDECODE (and sets r->err) if too few bytes are
 * left; after an error every further read fails and outputs zero. */
int mote_reader_u8(mote_reader *r, uint8_t *v);
int mote_reader_u16(mote_reader *r, uint16_t *v);
int mote_reader_u24(mote_reader *r, uint32_t *v);
int mote_reader_u32(mote_reader *r, uint32_t *v);
int mote_reader_u64(mote_reader *r, uint64_t *v);
/* A view of the next n bytes (no copy). */
int mote_reader_bytes(mote_reader *r, size_t n, mote_slice *out);
/* Copies the next n bytes into dst. */
int mote_reader_copy(mote_reader *r, void *dst, size_t n);
int mote_reader_skip(mote_reader *r, size_t n);
/* A length-prefixed vector (1, 2 or 3 length bytes, big-endian, as TLS
 * writes them): reads the length, then a view of that many bytes. */
int mote_reader_vec8(mote_reader *r, mote_slice *out);
int mote_reader_vec16(mote_reader *r, mote_slice *out);
int mote_reader_vec24(mote_reader *r, mote_slice *out);
/* 0 if the reader consumed every byte without error; MOTE_EDECODE otherwise
 * (trailing bytes or an earlier error). */
int mote_reader_finish(const mote_reader *r);

#ifdef __cplusplus
}
#endif
#endif
