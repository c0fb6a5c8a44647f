/* pem.c - PEM (RFC 7468) blocks and strict base64 (RFC 4648). */
#include "mote/asn1_pem.h"
#include "asn1_internal.h"

#include <string.h>

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static int is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A streaming strict base64 decoder. */
typedef struct b64 {
    uint8_t q[4];
    unsigned n;   /* characters in q */
    unsigned pad; /* '=' seen in the current quantum */
    int done;     /* a padded quantum ended the data */
} b64;

/* Feeds one character; 0, or the reason it is wrong. */
static mote_asn1_reason b64_feed(b64 *d, uint8_t c, mote_buf *out, size_t max, int *rc)
{
    *rc = 0;
    if (d->done)
        return MOTE_ASN1_R_BAD_PADDING;
    int v;
    if (c == '=') {
        if (d->n < 2)
            return MOTE_ASN1_R_BAD_PADDING;
        d->pad++;
        v = 0;
    } else {
        v = b64val(c);
        if (v < 0)
            return MOTE_ASN1_R_BAD_BASE64;
        if (d->pad)
            return MOTE_ASN1_R_BAD_PADDING;
    }
    d->q[d->n++] = (uint8_t)v;
    if (d->n < 4)
        return MOTE_ASN1_R_NONE;
    uint32_t x =
        (uint32_t)d->q[0] << 18 | (uint32_t)d->q[1] << 12 | (uint32_t)d->q[2] << 6 | d->q[3];
    uint8_t b[3] = {(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
    size_t nb = 3 - d->pad;
    /* Pad bits must be zero (canonical encoding). */
    if ((d->pad == 2 && (d->q[1] & 0x0f)) || (d->pad == 1 && (d->q[2] & 0x03)))
        return MOTE_ASN1_R_BAD_PADDING;
    if (out->len + nb > max) {
        *rc = MOTE_ELIMIT;
        return MOTE_ASN1_R_TOO_LARGE;
    }
    if ((*rc = mote_buf_append(out, b, nb)))
        return MOTE_ASN1_R_TOO_LARGE;
    if (d->pad)
        d->done = 1;
    d->n = 0;
    d->pad = 0;
    return MOTE_ASN1_R_NONE;
}

int mote_asn1_base64_decode(mote_slice text, mote_buf *out, size_t *bad_at)
{
    b64 d;
    memset(&d, 0, sizeof d);
    size_t start = out->len;
    for (size_t i = 0; i < text.len; i++) {
        int rc;
        mote_asn1_reason why = b64_feed(&d, text.ptr[i], out, SIZE_MAX, &rc);
        if (why != MOTE_ASN1_R_NONE) {
            if (bad_at)
                *bad_at = i;
            mote_buf_truncate(out, start);
            return rc ? rc : MOTE_EDECODE;
        }
    }
    if (d.n != 0) {
        if (bad_at)
            *bad_at = text.len;
        mote_buf_truncate(out, start);
        return MOTE_EDECODE;
    }
    return 0;
}

int mote_asn1_base64_encode(mote_slice data, mote_buf *out)
{
    size_t i = 0;
    int rc;
    while (i + 3 <= data.len) {
        uint32_t x = (uint32_t)data.ptr[i] << 16 | (uint32_t)data.ptr[i + 1] << 8 | data.ptr[i + 2];
        char c[4] = {b64chars[x >> 18], b64chars[(x >> 12) & 63], b64chars[(x >> 6) & 63],
                     b64chars[x & 63]};
        if ((rc = mote_buf_append(out, c, 4)))
            return rc;
        i += 3;
    }
    if (i < data.len) {
        uint32_t x = (uint32_t)data.ptr[i] << 16;
        if (i + 1 < data.len)
            x |= (uint32_t)data.ptr[i + 1] << 8;
        char c[4] = {b64chars[x >> 18], b64chars[(x >> 12) & 63],
                     i + 1 < data.len ? b64chars[(x >> 6) & 63] : '=', '='};
        if ((rc = mote_buf_append(out, c, 4)))
            return rc;
    }
    return 0;
}

/* ---- PEM ---- */

void mote_asn1_pem_reader_init(mote_asn1_pem_reader *pr, mote_slice text)
{
    pr->text = text;
    pr->pos = 0;
    pr->max_block = MOTE_ASN1_PEM_BLOCK_MAX;
}

static int starts_with(mote_slice t, size_t pos, const char *s)
{
    size_t n = strlen(s);
    return n <= t.len - pos && memcmp(t.ptr + pos, s, n) == 0;
}

/* End of the line at pos (the offset of its '\n', or the text length). */
static size_t line_end(mote_slice t, size_t pos)
{
    const uint8_t *nl = pos < t.len ? memchr(t.ptr + pos, '\n', t.len - pos) : NULL;
    return nl ? (size_t)(nl - t.ptr) : t.len;
}

/* Checks a label per RFC 7468: labelchar *(["-" / SP] labelchar). */
static int label_ok(const uint8_t *p, size_t n)
{
    if (n > MOTE_ASN1_PEM_LABEL_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '-' || c == ' ') {
            if (i == 0 || i + 1 == n || p[i - 1] == '-' || p[i - 1] == ' ')
                return 0;
        } else if (c < 0x21 || c > 0x7e) {
            return 0;
        }
    }
    return 1;
}

/* Parses "-----<kind> LABEL-----" + optional blanks at line [pos, eol).
 * Sets *label. Returns 0 or -1. */
static int boundary(mote_slice t, size_t pos, size_t eol, const char *kind, mote_slice *label)
{
    size_t k = strlen(kind);
    if (!starts_with(t, pos, kind))
        return -1;
    size_t p = pos + k, e = eol;
    while (e > p && is_ws(t.ptr[e - 1]))
        e--;
    if (e - p < 5 || memcmp(t.ptr + e - 5, "-----", 5) != 0)
        return -1;
    e -= 5;
    if (!label_ok(t.ptr + p, e - p))
        return -1;
    *label = mote_slice_make(t.ptr + p, e - p);
    return 0;
}

static int pem_fail(mote_asn1_error *e, size_t off, mote_asn1_reason reason, int rc)
{
    if (e) {
        memset(e, 0, sizeof *e);
        e->offset = off;
        e->reason = reason;
    }
    return rc;
}

int mote_asn1_pem_next(mote_asn1_pem_reader *pr, mote_slice *label, mote_buf *der, size_t *offset,
                       mote_asn1_error *e)
{
    mote_slice t = pr->text;
    size_t pos = pr->pos;
    /* Find a line that starts with the BEGIN marker. */
    for (;;) {
        if (pos >= t.len) {
            pr->pos = t.len;
            return MOTE_ENOTFOUND;
        }
        if (starts_with(t, pos, "-----BEGIN "))
            break;
        pos = line_end(t, pos) + 1;
    }
    size_t begin = pos, eol = line_end(t, pos);
    mote_slice lab;
    if (boundary(t, pos, eol, "-----BEGIN ", &lab))
        return pem_fail(e, begin, MOTE_ASN1_R_PEM_BAD_LABEL, MOTE_EDECODE);
    size_t start = der->len;
    b64 d;
    memset(&d, 0, sizeof d);
    pos = eol + 1;
    for (;;) {
        if (pos >= t.len) {
            mote_buf_truncate(der, start);
            return pem_fail(e, begin, MOTE_ASN1_R_PEM_NO_END, MOTE_EDECODE);
        }
        eol = line_end(t, pos);
        if (starts_with(t, pos, "-----")) {
            mote_slice endlab;
            if (!starts_with(t, pos, "-----END ") || boundary(t, pos, eol, "-----END ", &endlab)) {
                mote_buf_truncate(der, start);
                return pem_fail(e, pos,
                                starts_with(t, pos, "-----BEGIN ") ? MOTE_ASN1_R_PEM_NO_END
                                                                   : MOTE_ASN1_R_PEM_BAD_LABEL,
                                MOTE_EDECODE);
            }
            if (!mote_slice_eq(lab, endlab)) {
                mote_buf_truncate(der, start);
                return pem_fail(e, pos, MOTE_ASN1_R_PEM_LABEL_MISMATCH, MOTE_EDECODE);
            }
            if (d.n != 0) {
                mote_buf_truncate(der, start);
                return pem_fail(e, pos, MOTE_ASN1_R_BAD_PADDING, MOTE_EDECODE);
            }
            break;
        }
        for (size_t i = pos; i < eol; i++) {
            uint8_t c = t.ptr[i];
            if (is_ws(c))
                continue;
            int rc;
            mote_asn1_reason why = b64_feed(&d, c, der, start + pr->max_block, &rc);
            if (why != MOTE_ASN1_R_NONE) {
                mote_buf_truncate(der, start);
                return pem_fail(e, i, why, rc ? rc : MOTE_EDECODE);
            }
        }
        pos = eol + 1;
    }
    pr->pos = eol + 1 > t.len ? t.len : eol + 1;
    *label = lab;
    if (offset)
        *offset = begin;
    if (e)
        memset(e, 0, sizeof *e);
    return 0;
}

int mote_asn1_pem_detect(mote_slice text)
{
    size_t i = 0;
    while (i < text.len && is_ws(text.ptr[i]))
        i++;
    /* Step back to the line start, so the marker must begin a line. */
    size_t ls = i;
    while (ls > 0 && text.ptr[ls - 1] != '\n')
        ls--;
    return ls == i && starts_with(text, i, "-----BEGIN ");
}

int mote_asn1_pem_write(mote_buf *out, const char *label, mote_slice der)
{
    if (!label || !label_ok((const uint8_t *)label, strlen(label)))
        return MOTE_EINVAL;
    size_t start = out->len;
    mote_buf b64text;
    mote_buf_init(&b64text, 0);
    int rc = mote_asn1_base64_encode(der, &b64text);
    if (!rc)
        rc = mote_buf_appendf(out, "-----BEGIN %s-----\n", label);
    for (size_t i = 0; !rc && i < b64text.len; i += 64) {
        size_t n = b64text.len - i < 64 ? b64text.len - i : 64;
        rc = mote_buf_append(out, b64text.data + i, n);
        if (!rc)
            rc = mote_buf_append_byte(out, '\n');
    }
    if (!rc)
        rc = mote_buf_appendf(out, "-----END %s-----\n", label);
    mote_buf_free(&b64text);
    if (rc)
        mote_buf_truncate(out, start);
    return rc;
}
