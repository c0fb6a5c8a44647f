/* writer.c - DER writer: nested elements with back-patched lengths, SET OF
 * sorting, and every primitive type. */
#include "asn1_internal.h"
#include "mote/ct.h"

#include <stdlib.h>
#include <string.h>

void mote_asn1_writer_init(mote_asn1_writer *w, mote_buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    if (!out)
        w->err = MOTE_EINVAL;
}

int mote_asn1_writer_finish(mote_asn1_writer *w)
{
    if (w->err)
        return w->err;
    if (w->depth)
        return MOTE_ESTATE;
    return 0;
}

static int fail(mote_asn1_writer *w, int err)
{
    if (!w->err)
        w->err = err;
    return w->err;
}

int mote_asn1_implicit(mote_asn1_writer *w, mote_asn1_tag tag)
{
    if (w->err)
        return w->err;
    if (MOTE_ASN1_TAG_NUM(tag) > MOTE_ASN1_TAG_NUMBER_MAX)
        return fail(w, MOTE_EINVAL);
    w->implicit = tag & ~((mote_asn1_tag)MOTE_ASN1_CONSTRUCTED << 24);
    /* A tag with the universal class and number 0 means "none": refuse it. */
    if (w->implicit == 0)
        return fail(w, MOTE_EINVAL);
    return 0;
}

/* The tag to write for an element whose own tag is `tag`. */
static mote_asn1_tag effective(mote_asn1_writer *w, mote_asn1_tag tag)
{
    if (w->implicit) {
        tag = w->implicit | (tag & ((mote_asn1_tag)MOTE_ASN1_CONSTRUCTED << 24));
        w->implicit = 0;
    }
    return tag;
}

static int put_tag(mote_asn1_writer *w, mote_asn1_tag tag)
{
    uint8_t b[6];
    size_t n = 0;
    uint32_t num = MOTE_ASN1_TAG_NUM(tag);
    uint8_t top = (uint8_t)(tag >> 24) & 0xE0;
    if (num < 31) {
        b[n++] = (uint8_t)(top | num);
    } else {
        b[n++] = (uint8_t)(top | 0x1f);
        uint8_t tmp[5];
        size_t k = 0;
        do {
            tmp[k++] = num & 0x7f;
            num >>= 7;
        } while (num);
        while (k > 0) {
            k--;
            b[n++] = (uint8_t)(tmp[k] | (k ? 0x80 : 0));
        }
    }
    int rc = mote_buf_append(w->out, b, n);
    return rc ? fail(w, rc) : 0;
}

static size_t len_octets(size_t len)
{
    if (len < 0x80)
        return 1;
    size_t n = 0;
    while (len) {
        n++;
        len >>= 8;
    }
    return 1 + n;
}

static void store_len(uint8_t *p, size_t len)
{
    size_t n = len_octets(len);
    if (n == 1) {
        p[0] = (uint8_t)len;
        return;
    }
    p[0] = (uint8_t)(0x80 | (n - 1));
    for (size_t i = n - 1; i >= 1; i--) {
        p[i] = (uint8_t)len;
        len >>= 8;
    }
}

static int put_len(mote_asn1_writer *w, size_t len)
{
    uint8_t b[1 + sizeof(size_t)];
    store_len(b, len);
    int rc = mote_buf_append(w->out, b, len_octets(len));
    return rc ? fail(w, rc) : 0;
}

int mote_asn1_write_tlv(mote_asn1_writer *w, mote_asn1_tag tag, mote_slice content)
{
    if (w->err)
        return w->err;
    if (content.len && !content.ptr)
        return fail(w, MOTE_EINVAL);
    tag = effective(w, tag);
    if (put_tag(w, tag) || put_len(w, content.len))
        return w->err;
    int rc = mote_buf_append(w->out, content.ptr, content.len);
    return rc ? fail(w, rc) : 0;
}

int mote_asn1_write_raw(mote_asn1_writer *w, mote_slice der)
{
    if (w->err)
        return w->err;
    if ((der.len && !der.ptr) || w->implicit)
        return fail(w, MOTE_EINVAL);
    int rc = mote_buf_append(w->out, der.ptr, der.len);
    return rc ? fail(w, rc) : 0;
}

static int begin(mote_asn1_writer *w, mote_asn1_tag tag, int set_of)
{
    if (w->err)
        return w->err;
    if (w->depth >= MOTE_ASN1_MAX_DEPTH)
        return fail(w, MOTE_ELIMIT);
    tag = effective(w, tag | ((mote_asn1_tag)MOTE_ASN1_CONSTRUCTED << 24));
    if (put_tag(w, tag))
        return w->err;
    /* One length octet now; mote_asn1_end() makes room for more. */
    int rc = mote_buf_append_byte(w->out, 0);
    if (rc)
        return fail(w, rc);
    w->starts[w->depth] = w->out->len;
    w->set_of[w->depth] = (uint8_t)set_of;
    w->depth++;
    return 0;
}

int mote_asn1_begin(mote_asn1_writer *w, mote_asn1_tag tag)
{
    return begin(w, tag, 0);
}

int mote_asn1_begin_set_of(mote_asn1_writer *w, mote_asn1_tag tag)
{
    return begin(w, tag, 1);
}

static int cmp_slices(const void *a, const void *b)
{
    return asn1_der_compare(*(const mote_slice *)a, *(const mote_slice *)b);
}

/* Sorts the elements in out->data[start, len) by their encodings. */
static int sort_children(mote_asn1_writer *w, size_t start)
{
    uint8_t *data = w->out->data;
    size_t end = w->out->len, count = 0, pos;
    asn1_hdr h;
    mote_asn1_reason reason;
    size_t fault;
    for (pos = start; pos < end; pos += h.hdr_len + h.len) {
        if (asn1_parse_header(data, pos, end, 0, &h, &reason, &fault, NULL, NULL))
            return MOTE_EINVAL; /* raw bytes written by the caller were not DER */
        count++;
    }
    if (count < 2)
        return 0;
    mote_slice *items = malloc(count * sizeof *items);
    uint8_t *copy = malloc(end - start);
    if (!items || !copy) {
        free(items);
        free(copy);
        return MOTE_ENOMEM;
    }
    memcpy(copy, data + start, end - start);
    size_t i = 0;
    for (pos = 0; pos < end - start; pos += h.hdr_len + h.len) {
        asn1_parse_header(copy, pos, end - start, 0, &h, &reason, &fault, NULL, NULL);
        items[i++] = mote_slice_make(copy + pos, h.hdr_len + h.len);
    }
    qsort(items, count, sizeof *items, cmp_slices);
    pos = start;
    for (i = 0; i < count; i++) {
        memcpy(data + pos, items[i].ptr, items[i].len);
        pos += items[i].len;
    }
    if (w->out->secret)
        mote_wipe(copy, end - start);
    free(items);
    free(copy);
    return 0;
}

int mote_asn1_end(mote_asn1_writer *w)
{
    if (w->err)
        return w->err;
    if (w->depth == 0)
        return fail(w, MOTE_ESTATE);
    w->depth--;
    size_t start = w->starts[w->depth];
    if (w->set_of[w->depth]) {
        int rc = sort_children(w, start);
        if (rc)
            return fail(w, rc);
    }
    size_t len = w->out->len - start;
    size_t n = len_octets(len);
    if (n > 1) {
        int rc = mote_buf_reserve(w->out, n - 1);
        if (rc)
            return fail(w, rc);
        uint8_t *d = w->out->data;
        memmove(d + start + n - 1, d + start, len);
        w->out->len += n - 1;
    }
    store_len(w->out->data + start - 1, len);
    return 0;
}

/* ---- primitives ---- */

int mote_asn1_write_bool(mote_asn1_writer *w, bool v)
{
    uint8_t b = v ? 0xff : 0x00;
    return mote_asn1_write_tlv(w, MOTE_ASN1_BOOLEAN, mote_slice_make(&b, 1));
}

static int write_int64_tag(mote_asn1_writer *w, mote_asn1_tag tag, int64_t v)
{
    uint8_t b[8];
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        b[i] = (uint8_t)u;
        u >>= 8;
    }
    size_t off = 0;
    while (off < 7 &&
           ((b[off] == 0 && !(b[off + 1] & 0x80)) || (b[off] == 0xff && (b[off + 1] & 0x80))))
        off++;
    return mote_asn1_write_tlv(w, tag, mote_slice_make(b + off, 8 - off));
}

int mote_asn1_write_int64(mote_asn1_writer *w, int64_t v)
{
    return write_int64_tag(w, MOTE_ASN1_INTEGER, v);
}

int mote_asn1_write_enumerated(mote_asn1_writer *w, int64_t v)
{
    return write_int64_tag(w, MOTE_ASN1_ENUMERATED, v);
}

int mote_asn1_write_integer(mote_asn1_writer *w, mote_slice v)
{
    if (w->err)
        return w->err;
    if (v.len == 0 || !v.ptr)
        return fail(w, MOTE_EINVAL);
    size_t off = 0;
    while (off + 1 < v.len && ((v.ptr[off] == 0 && !(v.ptr[off + 1] & 0x80)) ||
                               (v.ptr[off] == 0xff && (v.ptr[off + 1] & 0x80))))
        off++;
    return mote_asn1_write_tlv(w, MOTE_ASN1_INTEGER, mote_slice_make(v.ptr + off, v.len - off));
}

int mote_asn1_write_uint(mote_asn1_writer *w, mote_slice mag)
{
    if (w->err)
        return w->err;
    if (mag.len && !mag.ptr)
        return fail(w, MOTE_EINVAL);
    size_t off = 0;
    while (off < mag.len && mag.ptr[off] == 0)
        off++;
    mote_slice m = mote_slice_make(mag.ptr + off, mag.len - off);
    int pad = m.len == 0 || (m.ptr[0] & 0x80);
    mote_asn1_tag tag = effective(w, MOTE_ASN1_INTEGER);
    if (put_tag(w, tag) || put_len(w, m.len + (size_t)pad))
        return w->err;
    int rc = pad ? mote_buf_append_byte(w->out, 0) : 0;
    if (!rc)
        rc = mote_buf_append(w->out, m.ptr, m.len);
    return rc ? fail(w, rc) : 0;
}

int mote_asn1_write_bits(mote_asn1_writer *w, mote_slice bytes, unsigned unused)
{
    if (w->err)
        return w->err;
    if (unused > 7 || (unused && bytes.len == 0) || (bytes.len && !bytes.ptr))
        return fail(w, MOTE_EINVAL);
    mote_asn1_tag tag = effective(w, MOTE_ASN1_BIT_STRING);
    if (put_tag(w, tag) || put_len(w, bytes.len + 1))
        return w->err;
    int rc = mote_buf_append_byte(w->out, (uint8_t)unused);
    if (!rc && bytes.len) {
        rc = mote_buf_append(w->out, bytes.ptr, bytes.len - 1);
        if (!rc) /* DER: the unused bits are zero */
            rc = mote_buf_append_byte(w->out,
                                      (uint8_t)(bytes.ptr[bytes.len - 1] & (0xffu << unused)));
    }
    return rc ? fail(w, rc) : 0;
}

int mote_asn1_write_named_bits(mote_asn1_writer *w, uint32_t v)
{
    uint8_t b[4] = {0};
    unsigned n = 0; /* number of bits: index of the highest set bit + 1 */
    for (unsigned i = 0; i < 32; i++) {
        if (v & ((uint32_t)1 << i)) {
            b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
            n = i + 1;
        }
    }
    size_t nbytes = (n + 7) / 8;
    return mote_asn1_write_bits(w, mote_slice_make(b, nbytes), (unsigned)(nbytes * 8 - n));
}

int mote_asn1_write_octets(mote_asn1_writer *w, mote_slice v)
{
    return mote_asn1_write_tlv(w, MOTE_ASN1_OCTET_STRING, v);
}

int mote_asn1_write_null(mote_asn1_writer *w)
{
    return mote_asn1_write_tlv(w, MOTE_ASN1_NULL, mote_slice_make(NULL, 0));
}

int mote_asn1_write_oid(mote_asn1_writer *w, mote_slice oid)
{
    if (w->err)
        return w->err;
    if (mote_asn1_check_oid(oid, NULL))
        return fail(w, MOTE_EINVAL);
    return mote_asn1_write_tlv(w, MOTE_ASN1_OID, oid);
}

int mote_asn1_write_oid_text(mote_asn1_writer *w, const char *dotted)
{
    if (w->err)
        return w->err;
    uint8_t b[MOTE_ASN1_OID_MAX];
    size_t n;
    int rc = mote_asn1_oid_from_text(dotted, b, sizeof b, &n);
    if (rc)
        return fail(w, rc == MOTE_ENOSPC ? MOTE_EINVAL : rc);
    return mote_asn1_write_tlv(w, MOTE_ASN1_OID, mote_slice_make(b, n));
}

int mote_asn1_write_oid_id(mote_asn1_writer *w, mote_asn1_oid_id id)
{
    if (w->err)
        return w->err;
    mote_slice s = mote_asn1_oid_bytes(id);
    if (!s.len)
        return fail(w, MOTE_EINVAL);
    return mote_asn1_write_tlv(w, MOTE_ASN1_OID, s);
}

int mote_asn1_write_string(mote_asn1_writer *w, mote_asn1_tag tag, mote_slice v)
{
    if (w->err)
        return w->err;
    if ((v.len && !v.ptr) || mote_asn1_string_check(tag, v))
        return fail(w, MOTE_EINVAL);
    return mote_asn1_write_tlv(w, tag, v);
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

int mote_asn1_write_utc_time(mote_asn1_writer *w, mote_time t)
{
    if (w->err)
        return w->err;
    mote_civil c;
    if (t.nsec != 0 || mote_time_to_civil(t.sec, &c) || c.year < 1950 || c.year > 2049)
        return fail(w, MOTE_ERANGE);
    char s[13];
    put2(s, (unsigned)(c.year % 100));
    put2(s + 2, c.month);
    put2(s + 4, c.day);
    put2(s + 6, c.hour);
    put2(s + 8, c.minute);
    put2(s + 10, c.second);
    s[12] = 'Z';
    return mote_asn1_write_tlv(w, MOTE_ASN1_UTC_TIME, mote_slice_make(s, 13));
}

int mote_asn1_write_generalized_time(mote_asn1_writer *w, mote_time t)
{
    if (w->err)
        return w->err;
    mote_civil c;
    if (t.nsec > 999999999u || mote_time_to_civil(t.sec, &c))
        return fail(w, MOTE_ERANGE);
    char s[26];
    put2(s, (unsigned)(c.year / 100));
    put2(s + 2, (unsigned)(c.year % 100));
    put2(s + 4, c.month);
    put2(s + 6, c.day);
    put2(s + 8, c.hour);
    put2(s + 10, c.minute);
    put2(s + 12, c.second);
    size_t n = 14;
    if (t.nsec) {
        char f[9];
        uint32_t ns = t.nsec;
        for (int i = 8; i >= 0; i--) {
            f[i] = (char)('0' + ns % 10);
            ns /= 10;
        }
        size_t nf = 9;
        while (f[nf - 1] == '0')
            nf--;
        s[n++] = '.';
        memcpy(s + n, f, nf);
        n += nf;
    }
    s[n++] = 'Z';
    return mote_asn1_write_tlv(w, MOTE_ASN1_GENERALIZED_TIME, mote_slice_make(s, n));
}

int mote_asn1_write_time(mote_asn1_writer *w, mote_time t)
{
    mote_civil c;
    if (t.nsec == 0 && !mote_time_to_civil(t.sec, &c) && c.year >= 1950 && c.year <= 2049)
        return mote_asn1_write_utc_time(w, t);
    return mote_asn1_write_generalized_time(w, t);
}

int mote_asn1_write_time_as(mote_asn1_writer *w, const mote_asn1_time *t)
{
    if (t->tag == MOTE_ASN1_UTC_TIME)
        return mote_asn1_write_utc_time(w, t->time);
    if (t->tag == MOTE_ASN1_GENERALIZED_TIME)
        return mote_asn1_write_generalized_time(w, t->time);
    if (t->tag != 0)
        return fail(w, MOTE_EINVAL);
    return mote_asn1_write_time(w, t->time);
}
