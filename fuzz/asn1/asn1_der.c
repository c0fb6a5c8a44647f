/*
 * fuzz-asn1_der: arbitrary bytes into libmote-asn1's DER reader.
 *
 * Three passes over each input:
 *  1. a strict walk of the whole tree with every typed decoder; DER is a
 *     canonical encoding, so whatever the strict reader accepts must
 *     re-encode, through the typed writer, to the very same bytes;
 *  2. the RFC 5280 Certificate schema of tests/asn1/cert_schema.h; what it
 *     decodes must encode back identically with mote_asn1_encode;
 *  3. a lax-mode walk (as mote-asn1 dump does without --strict).
 * Any difference aborts, so the fuzzer reports it.
 */
#include "cert_schema.h"
#include "mote/asn1.h"

#include <stdlib.h>
#include <string.h>

static int walk(mote_asn1_reader *r, mote_asn1_writer *w);

static int one(mote_asn1_reader *r, mote_asn1_writer *w)
{
    mote_asn1_tag tag;
    mote_asn1_tlv t;
    int rc = mote_asn1_peek(r, &tag);
    if (rc)
        return rc;
    if (MOTE_ASN1_TAG_IS_CONSTRUCTED(tag)) {
        if ((rc = mote_asn1_enter(r, tag, NULL)))
            return rc;
        mote_asn1_begin(w, tag);
        if ((rc = walk(r, w)) || (rc = mote_asn1_leave(r)))
            return rc;
        return mote_asn1_end(w);
    }
    if (MOTE_ASN1_TAG_CLASS(tag) != MOTE_ASN1_CLASS_UNIVERSAL) {
        if ((rc = mote_asn1_next(r, &t)))
            return rc;
        return mote_asn1_write_tlv(w, tag, t.value);
    }
    switch (tag) {
    case MOTE_ASN1_BOOLEAN: {
        bool v;
        if ((rc = mote_asn1_read_bool(r, &v)))
            return rc;
        return mote_asn1_write_bool(w, v);
    }
    case MOTE_ASN1_INTEGER: {
        mote_slice v;
        int64_t x;
        if ((rc = mote_asn1_read_integer(r, &v)))
            return rc;
        if (mote_asn1_decode_int64(v, &x, NULL) == 0)
            return mote_asn1_write_int64(w, x);
        mote_slice mag;
        if (mote_asn1_decode_uint(v, &mag, NULL) == 0)
            return mote_asn1_write_uint(w, mag);
        return mote_asn1_write_integer(w, v);
    }
    case MOTE_ASN1_ENUMERATED: {
        int64_t v;
        rc = mote_asn1_read_enumerated(r, &v);
        if (rc == MOTE_ERANGE) /* valid but wide: keep it as content */
            return MOTE_ERANGE;
        if (rc)
            return rc;
        return mote_asn1_write_enumerated(w, v);
    }
    case MOTE_ASN1_BIT_STRING: {
        mote_asn1_bits v;
        if ((rc = mote_asn1_read_bits(r, &v)))
            return rc;
        return mote_asn1_write_bits(w, v.bytes, v.unused);
    }
    case MOTE_ASN1_OCTET_STRING: {
        mote_slice v;
        if ((rc = mote_asn1_read_octets(r, &v)))
            return rc;
        return mote_asn1_write_octets(w, v);
    }
    case MOTE_ASN1_NULL:
        if ((rc = mote_asn1_read_null(r)))
            return rc;
        return mote_asn1_write_null(w);
    case MOTE_ASN1_OID: {
        mote_slice v;
        char text[MOTE_ASN1_OID_TEXT_MAX];
        if ((rc = mote_asn1_read_oid(r, &v)))
            return rc;
        mote_asn1_oid_lookup(v);
        if (mote_asn1_oid_to_text(v, text, sizeof text) == 0) {
            /* Text and back gives the same octets. */
            uint8_t b[MOTE_ASN1_OID_MAX];
            size_t n;
            if (mote_asn1_oid_from_text(text, b, sizeof b, &n) == 0 &&
                !mote_slice_eq(mote_slice_make(b, n), v))
                abort();
        }
        return mote_asn1_write_oid(w, v);
    }
    case MOTE_ASN1_UTC_TIME:
    case MOTE_ASN1_GENERALIZED_TIME: {
        mote_time t2;
        mote_asn1_tag which;
        if ((rc = mote_asn1_read_time(r, &t2, &which)))
            return rc;
        return which == MOTE_ASN1_UTC_TIME ? mote_asn1_write_utc_time(w, t2)
                                           : mote_asn1_write_generalized_time(w, t2);
    }
    default:
        if (mote_asn1_is_string_tag(tag)) {
            mote_slice v;
            if ((rc = mote_asn1_read_string(r, tag, &v)))
                return rc;
            mote_buf u;
            mote_buf_init(&u, 1u << 20);
            if (mote_asn1_string_to_utf8(tag, v, &u) != 0)
                abort();
            mote_buf_free(&u);
            return mote_asn1_write_string(w, tag, v);
        }
        if ((rc = mote_asn1_next(r, &t)))
            return rc;
        return mote_asn1_write_tlv(w, tag, t.value);
    }
}

static int walk(mote_asn1_reader *r, mote_asn1_writer *w)
{
    while (!mote_asn1_at_end(r)) {
        int rc = one(r, w);
        if (rc)
            return rc;
    }
    return r->err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mote_slice in = mote_slice_make(data, size);

    /* 1. Strict walk and canonical re-encoding. */
    mote_asn1_reader r;
    mote_asn1_writer w;
    mote_buf out;
    mote_buf_init(&out, 4 * size + 64);
    mote_asn1_reader_init(&r, data, size);
    mote_asn1_writer_init(&w, &out);
    int rc = walk(&r, &w);
    if (rc == 0 && mote_asn1_reader_finish(&r) == 0) {
        if (mote_asn1_writer_finish(&w) != 0 || !mote_slice_eq(mote_buf_slice(&out), in))
            abort();
    } else if (r.err == 0) {
        abort(); /* the writer refused what the reader accepted */
    }
    if (r.err) {
        char msg[200];
        mote_asn1_error_format(&r.error, msg, sizeof msg);
        if (r.error.offset > size)
            abort();
    }

    /* 2. The Certificate schema, decode then encode. */
    static struct ex_certificate c;
    mote_asn1_error e;
    memset(&c, 0, sizeof c);
    if (mote_asn1_decode(ex_certificate, in, &c, &e) == 0) {
        mote_buf_reset(&out);
        mote_asn1_writer_init(&w, &out);
        if (mote_asn1_encode(ex_certificate, &c, &w) != 0 || mote_asn1_writer_finish(&w) != 0 ||
            !mote_slice_eq(mote_buf_slice(&out), in))
            abort();
    } else if (e.offset > size) {
        abort();
    }

    /* 3. Lax walk. */
    mote_buf_reset(&out);
    mote_asn1_reader_init(&r, data, size);
    mote_asn1_reader_set_flags(&r, MOTE_ASN1_READER_LAX);
    mote_asn1_writer_init(&w, &out);
    walk(&r, &w);
    mote_buf_free(&out);
    return 0;
}
