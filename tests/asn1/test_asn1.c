/* test_asn1.c - libmote-asn1: DER reader and writer round trips, the table
 * of malformed encodings, schemas (with an RFC 5280 Certificate schema run
 * over every certificate in /etc/ssl/certs), OIDs and PEM. */
#include "testutil.h"

#include "cert_schema.h"
#include "mote/asn1.h"
#include "mote/asn1_pem.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static mote_slice unhex_slice(const char *hex, uint8_t **keep)
{
    size_t n;
    *keep = tu_unhex(hex, &n);
    ck_assert_msg(*keep != NULL, "bad hex in test: %s", hex);
    return mote_slice_make(*keep, n);
}

static char *tohex(mote_slice s)
{
    static char buf[8192];
    size_t n = 0;
    for (size_t i = 0; i < s.len && n + 3 < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%02x", s.ptr[i]);
    buf[n] = 0;
    return buf;
}

/* Re-encodes everything at the reader's current level into the writer,
 * going through the typed decoder and the typed encoder of each universal
 * type (so a byte-identical result means both are faithful). */
static int reencode_level(mote_asn1_reader *r, mote_asn1_writer *w);

/* Re-encodes the next element. */
static int reencode_one(mote_asn1_reader *r, mote_asn1_writer *w)
{
    {
        mote_asn1_tag tag;
        int rc = mote_asn1_peek(r, &tag);
        if (rc)
            return rc;
        if (MOTE_ASN1_TAG_IS_CONSTRUCTED(tag)) {
            if ((rc = mote_asn1_enter(r, tag, NULL)))
                return rc;
            if (tag == MOTE_ASN1_SET)
                mote_asn1_begin_set_of(w, tag);
            else
                mote_asn1_begin(w, tag);
            if ((rc = reencode_level(r, w)) || (rc = mote_asn1_leave(r)))
                return rc;
            mote_asn1_end(w);
            return 0;
        }
        if (MOTE_ASN1_TAG_CLASS(tag) != MOTE_ASN1_CLASS_UNIVERSAL) {
            mote_asn1_tlv t;
            if ((rc = mote_asn1_next(r, &t)))
                return rc;
            mote_asn1_write_tlv(w, tag, t.value);
            return 0;
        }
        switch (tag) {
        case MOTE_ASN1_BOOLEAN: {
            bool v;
            if ((rc = mote_asn1_read_bool(r, &v)))
                return rc;
            mote_asn1_write_bool(w, v);
            break;
        }
        case MOTE_ASN1_INTEGER: {
            mote_slice v;
            if ((rc = mote_asn1_read_integer(r, &v)))
                return rc;
            mote_asn1_write_integer(w, v);
            break;
        }
        case MOTE_ASN1_ENUMERATED: {
            int64_t v;
            if ((rc = mote_asn1_read_enumerated(r, &v)))
                return rc;
            mote_asn1_write_enumerated(w, v);
            break;
        }
        case MOTE_ASN1_BIT_STRING: {
            mote_asn1_bits v;
            if ((rc = mote_asn1_read_bits(r, &v)))
                return rc;
            mote_asn1_write_bits(w, v.bytes, v.unused);
            break;
        }
        case MOTE_ASN1_OCTET_STRING: {
            mote_slice v;
            if ((rc = mote_asn1_read_octets(r, &v)))
                return rc;
            mote_asn1_write_octets(w, v);
            break;
        }
        case MOTE_ASN1_NULL:
            if ((rc = mote_asn1_read_null(r)))
                return rc;
            mote_asn1_write_null(w);
            break;
        case MOTE_ASN1_OID: {
            mote_slice v;
            char text[MOTE_ASN1_OID_TEXT_MAX];
            if ((rc = mote_asn1_read_oid(r, &v)))
                return rc;
            ck_assert_int_eq(mote_asn1_oid_to_text(v, text, sizeof text), 0);
            mote_asn1_write_oid_text(w, text);
            break;
        }
        case MOTE_ASN1_UTC_TIME:
        case MOTE_ASN1_GENERALIZED_TIME: {
            mote_time t;
            mote_asn1_tag which;
            if ((rc = mote_asn1_read_time(r, &t, &which)))
                return rc;
            if (which == MOTE_ASN1_UTC_TIME)
                mote_asn1_write_utc_time(w, t);
            else
                mote_asn1_write_generalized_time(w, t);
            break;
        }
        default:
            if (mote_asn1_is_string_tag(tag)) {
                mote_slice v;
                if ((rc = mote_asn1_read_string(r, tag, &v)))
                    return rc;
                mote_asn1_write_string(w, tag, v);
            } else {
                mote_asn1_tlv t;
                if ((rc = mote_asn1_next(r, &t)))
                    return rc;
                mote_asn1_write_tlv(w, tag, t.value);
            }
        }
    }
    return r->err;
}

static int reencode_level(mote_asn1_reader *r, mote_asn1_writer *w)
{
    while (!mote_asn1_at_end(r)) {
        int rc = reencode_one(r, w);
        if (rc)
            return rc;
    }
    return r->err;
}

/* Strictly decodes all of der; re-encodes into out. Returns the reader's
 * result; *e gets its error. */
static int reencode(mote_slice der, mote_buf *out, mote_asn1_error *e)
{
    mote_asn1_reader r;
    mote_asn1_writer w;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    mote_asn1_writer_init(&w, out);
    int rc = reencode_one(&r, &w);
    if (!rc)
        rc = mote_asn1_reader_finish(&r);
    if (e)
        *e = r.error;
    if (!rc)
        ck_assert_int_eq(mote_asn1_writer_finish(&w), 0);
    return rc;
}

static void assert_der(mote_asn1_writer *w, const char *hex)
{
    ck_assert_int_eq(mote_asn1_writer_finish(w), 0);
    ck_assert_str_eq(tohex(mote_buf_slice(w->out)), hex);
}

/* ---- tags and headers ---- */

START_TEST(test_tags)
{
    mote_buf b;
    mote_asn1_writer w;
    mote_buf_init(&b, 0);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_write_tlv(&w, MOTE_ASN1_APPLICATION(1000), mote_slice_str("x"));
    mote_asn1_write_tlv(&w, MOTE_ASN1_CONTEXT(31), mote_slice_str(""));
    mote_asn1_write_tlv(&w, MOTE_ASN1_TAG(MOTE_ASN1_CLASS_PRIVATE, 30), mote_slice_str(""));
    mote_asn1_write_tlv(&w, MOTE_ASN1_CONTEXT(MOTE_ASN1_TAG_NUMBER_MAX), mote_slice_str(""));
    assert_der(&w, "5f876801789f1f00de00"
                   "9f87ffff7f00");
    mote_asn1_reader r;
    mote_asn1_reader_init(&r, b.data, b.len);
    mote_asn1_tlv t;
    ck_assert_int_eq(mote_asn1_next(&r, &t), 0);
    ck_assert_uint_eq(t.tag, MOTE_ASN1_APPLICATION(1000));
    ck_assert_uint_eq(t.hdr_len, 4);
    ck_assert_uint_eq(t.value.len, 1);
    ck_assert_int_eq(mote_asn1_expect(&r, MOTE_ASN1_CONTEXT(31), &t), 0);
    ck_assert_int_eq(mote_asn1_expect(&r, MOTE_ASN1_TAG(MOTE_ASN1_CLASS_PRIVATE, 30), NULL), 0);
    ck_assert_int_eq(mote_asn1_peek(&r, &t.tag), 0);
    ck_assert_uint_eq(t.tag, MOTE_ASN1_CONTEXT(MOTE_ASN1_TAG_NUMBER_MAX));
    ck_assert_int_eq(mote_asn1_next(&r, &t), 0);
    ck_assert_int_eq(mote_asn1_peek(&r, &t.tag), MOTE_ENOTFOUND);
    ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);

    char name[40];
    ck_assert_str_eq(mote_asn1_tag_name(MOTE_ASN1_SEQUENCE, name, sizeof name), "SEQUENCE");
    ck_assert_str_eq(mote_asn1_tag_name(MOTE_ASN1_CONTEXT_CONS(3), name, sizeof name), "[3]");
    ck_assert_str_eq(mote_asn1_tag_name(MOTE_ASN1_APPLICATION(7), name, sizeof name),
                     "[APPLICATION 7]");
    ck_assert_str_eq(mote_asn1_tag_name(MOTE_ASN1_UTF8_STRING, name, sizeof name), "UTF8String");
    mote_buf_free(&b);
}
END_TEST

/* ---- primitive round trips ---- */

START_TEST(test_bool_int)
{
    static const struct {
        int64_t v;
        const char *hex;
    } ints[] = {
        {0, "020100"},
        {1, "020101"},
        {127, "02017f"},
        {128, "02020080"},
        {255, "020200ff"},
        {256, "02020100"},
        {-1, "0201ff"},
        {-128, "020180"},
        {-129, "0202ff7f"},
        {-256, "0202ff00"},
        {65535, "020300ffff"},
        {INT64_MAX, "02087fffffffffffffff"},
        {INT64_MIN, "02088000000000000000"},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        mote_buf b;
        mote_asn1_writer w;
        mote_buf_init(&b, 0);
        mote_asn1_writer_init(&w, &b);
        mote_asn1_write_int64(&w, ints[i].v);
        assert_der(&w, ints[i].hex);
        mote_asn1_reader r;
        int64_t v;
        mote_asn1_reader_init(&r, b.data, b.len);
        ck_assert_int_eq(mote_asn1_read_int64(&r, &v), 0);
        ck_assert(v == ints[i].v);
        ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);
        /* The same through the slice API. */
        mote_asn1_reader_init(&r, b.data, b.len);
        mote_slice s;
        ck_assert_int_eq(mote_asn1_read_integer(&r, &s), 0);
        mote_buf b2;
        mote_buf_init(&b2, 0);
        mote_asn1_writer_init(&w, &b2);
        mote_asn1_write_integer(&w, s);
        assert_der(&w, ints[i].hex);
        mote_buf_free(&b);
        mote_buf_free(&b2);
    }
    /* Booleans, enumerated, NULL. */
    mote_buf b;
    mote_asn1_writer w;
    mote_buf_init(&b, 0);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_write_bool(&w, true);
    mote_asn1_write_bool(&w, false);
    mote_asn1_write_enumerated(&w, 5);
    mote_asn1_write_null(&w);
    assert_der(&w, "0101ff010100"
                   "0a0105"
                   "0500");
    mote_asn1_reader r;
    bool t = false, f = true;
    int64_t e;
    mote_asn1_reader_init(&r, b.data, b.len);
    ck_assert_int_eq(mote_asn1_read_bool(&r, &t), 0);
    ck_assert_int_eq(mote_asn1_read_bool(&r, &f), 0);
    ck_assert_int_eq(mote_asn1_read_enumerated(&r, &e), 0);
    ck_assert_int_eq(mote_asn1_read_null(&r), 0);
    ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);
    ck_assert(t && !f && e == 5);
    mote_buf_free(&b);
}
END_TEST

START_TEST(test_big_integers)
{
    /* A 2048-bit-ish magnitude with the top bit set gets a 0x00. */
    uint8_t mag[256];
    for (size_t i = 0; i < sizeof mag; i++)
        mag[i] = (uint8_t)(0xff - i);
    mote_buf b;
    mote_asn1_writer w;
    mote_buf_init(&b, 0);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_write_uint(&w, mote_slice_make(mag, sizeof mag));
    uint8_t lead0[3] = {0, 0, 5};
    mote_asn1_write_uint(&w, mote_slice_make(lead0, 3));
    mote_asn1_write_uint(&w, mote_slice_make(NULL, 0));
    ck_assert_int_eq(mote_asn1_writer_finish(&w), 0);
    ck_assert_uint_eq(b.len, 4 + 257 + 3 + 3);
    ck_assert_mem_eq(b.data, "\x02\x82\x01\x01\x00\xff", 6);
    ck_assert_mem_eq(b.data + 261, "\x02\x01\x05\x02\x01\x00", 6);
    mote_asn1_reader r;
    mote_slice m;
    mote_asn1_reader_init(&r, b.data, b.len);
    ck_assert_int_eq(mote_asn1_read_uint(&r, &m), 0);
    ck_assert(mote_slice_eq(m, mote_slice_make(mag, sizeof mag)));
    ck_assert_int_eq(mote_asn1_read_uint(&r, &m), 0);
    ck_assert(mote_slice_eq(m, mote_slice_make("\x05", 1)));
    ck_assert_int_eq(mote_asn1_read_uint(&r, &m), 0);
    ck_assert(mote_slice_eq(m, mote_slice_make("\x00", 1)));
    ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);
    /* A negative number is not an unsigned one; int64 overflow is a range error. */
    uint8_t *keep;
    mote_slice neg = unhex_slice("0201ff"
                                 "0209010000000000000000",
                                 &keep);
    mote_asn1_reader_init(&r, neg.ptr, neg.len);
    ck_assert_int_eq(mote_asn1_read_uint(&r, &m), MOTE_ERANGE);
    ck_assert_int_eq(r.error.reason, MOTE_ASN1_R_INTEGER_RANGE);
    mote_asn1_reader_init(&r, neg.ptr + 3, neg.len - 3);
    int64_t v;
    ck_assert_int_eq(mote_asn1_read_int64(&r, &v), MOTE_ERANGE);
    /* Two's complement writer strips redundant octets. */
    mote_buf_reset(&b);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_write_integer(&w, mote_slice_make("\xff\xff\x80", 3));
    mote_asn1_write_integer(&w, mote_slice_make("\x00\x00\x7f", 3));
    ck_assert_int_eq(mote_asn1_write_integer(&w, mote_slice_make(NULL, 0)), MOTE_EINVAL);
    ck_assert_int_eq(w.err, MOTE_EINVAL);
    ck_assert_str_eq(tohex(mote_buf_slice(&b)), "020180"
                                                "02017f");
    free(keep);
    mote_buf_free(&b);
}
END_TEST

START_TEST(test_bits)
{
    mote_buf b;
    mote_asn1_writer w;
    mote_buf_init(&b, 0);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_write_bits(&w, mote_slice_make(NULL, 0), 0);
    mote_asn1_write_bits(&w, mote_slice_make("\xab\xcd", 2), 0);
    mote_asn1_write_bits(&w, mote_slice_make("\xab\xcf", 2), 4); /* pad bits forced to 0 */
    /* KeyUsage digitalSignature(0), keyCertSign(5), cRLSign(6). */
    mote_asn1_write_named_bits(&w, (1u << 0) | (1u << 5) | (1u << 6));
    mote_asn1_write_named_bits(&w, 0);
    mote_asn1_write_named_bits(&w, 1u << 8); /* decipherOnly */
    assert_der(&w, "030100"
                   "030300abcd"
                   "030304abc0"
                   "03020186"
                   "030100"
                   "0303070080");
    mote_asn1_reader r;
    mote_asn1_bits bits;
    uint32_t nb;
    mote_asn1_reader_init(&r, b.data, b.len);
    ck_assert_int_eq(mote_asn1_read_bits(&r, &bits), 0);
    ck_assert_uint_eq(mote_asn1_bits_count(&bits), 0);
    ck_assert_int_eq(mote_asn1_read_bits(&r, &bits), 0);
    ck_assert_uint_eq(mote_asn1_bits_count(&bits), 16);
    ck_assert_int_eq(mote_asn1_bits_get(&bits, 0), 1);
    ck_assert_int_eq(mote_asn1_bits_get(&bits, 1), 0);
    ck_assert_int_eq(mote_asn1_read_bits(&r, &bits), 0);
    ck_assert_uint_eq(mote_asn1_bits_count(&bits), 12);
    ck_assert_int_eq(mote_asn1_read_named_bits(&r, &nb), 0);
    ck_assert_uint_eq(nb, 0x61);
    ck_assert_int_eq(mote_asn1_read_named_bits(&r, &nb), 0);
    ck_assert_uint_eq(nb, 0);
    ck_assert_int_eq(mote_asn1_read_named_bits(&r, &nb), 0);
    ck_assert_uint_eq(nb, 0x100);
    ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);
    mote_buf_reset(&b);
    mote_asn1_writer_init(&w, &b);
    ck_assert_int_eq(mote_asn1_write_bits(&w, mote_slice_make("\x01", 1), 8), MOTE_EINVAL);
    mote_asn1_writer_init(&w, &b);
    ck_assert_int_eq(mote_asn1_write_bits(&w, mote_slice_make(NULL, 0), 1), MOTE_EINVAL);
    mote_buf_free(&b);
}
END_TEST

START_TEST(test_strings)
{
    static const struct {
        mote_asn1_tag tag;
        const char *value;
        size_t len;
        int ok;
        size_t at; /* index of the first bad octet */
    } cases[] = {
        {MOTE_ASN1_UTF8_STRING, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15, 1, 0},
        {MOTE_ASN1_UTF8_STRING, "\xc0\xaf", 2, 0, 0},         /* overlong '/' */
        {MOTE_ASN1_UTF8_STRING, "\xed\xa0\x80", 3, 0, 0},     /* surrogate */
        {MOTE_ASN1_UTF8_STRING, "\xf4\x90\x80\x80", 4, 0, 0}, /* past U+10FFFF */
        {MOTE_ASN1_UTF8_STRING, "\xe2\x82", 2, 0, 0},         /* truncated */
        {MOTE_ASN1_UTF8_STRING, "ab\xff", 3, 0, 2},
        {MOTE_ASN1_PRINTABLE_STRING, "Let's Encrypt (R3) +,-./:=?", 27, 1, 0},
        {MOTE_ASN1_PRINTABLE_STRING, "a@b", 3, 0, 1},
        {MOTE_ASN1_PRINTABLE_STRING, "a*b", 3, 0, 1},
        {MOTE_ASN1_PRINTABLE_STRING, "a&b", 3, 0, 1},
        {MOTE_ASN1_IA5_STRING, "user@example.com", 16, 1, 0},
        {MOTE_ASN1_IA5_STRING, "\x80", 1, 0, 0},
        {MOTE_ASN1_NUMERIC_STRING, "123 456", 7, 1, 0},
        {MOTE_ASN1_NUMERIC_STRING, "12a", 3, 0, 2},
        {MOTE_ASN1_VISIBLE_STRING, "Visible ~", 9, 1, 0},
        {MOTE_ASN1_VISIBLE_STRING, "tab\t", 4, 0, 3},
        {MOTE_ASN1_TELETEX_STRING, "caf\xe9", 4, 1, 0},
        {MOTE_ASN1_BMP_STRING, "\x00h\x00\xe9\x20\xac", 6, 1, 0},
        {MOTE_ASN1_BMP_STRING, "\x00h\x00", 3, 0, 2},
        {MOTE_ASN1_BMP_STRING, "\xd8\x00", 2, 0, 0},
        {MOTE_ASN1_UNIVERSAL_STRING, "\x00\x00\x00h\x00\x01\xf6\x00", 8, 1, 0},
        {MOTE_ASN1_UNIVERSAL_STRING, "\x00\x11\x00\x00", 4, 0, 0},
        {MOTE_ASN1_UNIVERSAL_STRING, "\x00\x00\x00", 3, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mote_slice v = mote_slice_make(cases[i].value, cases[i].len);
        mote_buf b;
        mote_asn1_writer w;
        mote_buf_init(&b, 0);
        mote_asn1_writer_init(&w, &b);
        int rc = mote_asn1_write_string(&w, cases[i].tag, v);
        ck_assert_msg(cases[i].ok ? rc == 0 : rc == MOTE_EINVAL, "case %zu: write %d", i, rc);
        /* Build the TLV by hand and read it back. */
        mote_buf_reset(&b);
        mote_asn1_writer_init(&w, &b);
        mote_asn1_write_tlv(&w, cases[i].tag, v);
        mote_asn1_reader r;
        mote_slice got;
        mote_asn1_reader_init(&r, b.data, b.len);
        rc = mote_asn1_read_string(&r, cases[i].tag, &got);
        if (cases[i].ok) {
            ck_assert_msg(rc == 0, "case %zu: read %d", i, rc);
            ck_assert(mote_slice_eq(got, v));
            ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);
        } else {
            ck_assert_msg(rc == MOTE_EDECODE, "case %zu: read %d", i, rc);
            ck_assert_int_eq(r.error.reason, MOTE_ASN1_R_BAD_STRING);
            ck_assert_msg(r.error.offset == 2 + cases[i].at, "case %zu: offset %zu", i,
                          r.error.offset);
        }
        mote_buf_free(&b);
    }
    /* Conversion to UTF-8. */
    mote_buf u;
    mote_buf_init(&u, 0);
    ck_assert_int_eq(mote_asn1_string_to_utf8(MOTE_ASN1_BMP_STRING,
                                              mote_slice_make("\x00h\x00\xe9\x20\xac", 6), &u),
                     0);
    ck_assert_int_eq(
        mote_asn1_string_to_utf8(MOTE_ASN1_TELETEX_STRING, mote_slice_make("\xe9", 1), &u), 0);
    ck_assert_int_eq(mote_asn1_string_to_utf8(MOTE_ASN1_UNIVERSAL_STRING,
                                              mote_slice_make("\x00\x01\xf6\x00", 4), &u),
                     0);
    ck_assert_uint_eq(u.len, 1 + 2 + 3 + 2 + 4);
    ck_assert_mem_eq(u.data, "h\xc3\xa9\xe2\x82\xac\xc3\xa9\xf0\x9f\x98\x80", u.len);
    ck_assert_int_eq(mote_asn1_string_to_utf8(MOTE_ASN1_OCTET_STRING, mote_slice_str("x"), &u),
                     MOTE_EINVAL);
    mote_buf_free(&u);
    /* Any string type with its tag. */
    uint8_t *keep;
    mote_slice s = unhex_slice("130141"
                               "0c0142"
                               "0401ff",
                               &keep);
    mote_asn1_reader r;
    mote_asn1_string any;
    mote_asn1_reader_init(&r, s.ptr, s.len);
    ck_assert_int_eq(mote_asn1_read_any_string(&r, &any), 0);
    ck_assert_uint_eq(any.tag, MOTE_ASN1_PRINTABLE_STRING);
    ck_assert_int_eq(mote_asn1_read_any_string(&r, &any), 0);
    ck_assert_uint_eq(any.tag, MOTE_ASN1_UTF8_STRING);
    ck_assert_int_eq(mote_asn1_read_any_string(&r, &any), MOTE_EDECODE);
    ck_assert_int_eq(r.error.reason, MOTE_ASN1_R_UNEXPECTED_TAG);
    ck_assert_uint_eq(r.error.offset, 6);
    free(keep);
}
END_TEST

START_TEST(test_times)
{
    static const struct {
        mote_asn1_tag tag;
        const char *text;
        int64_t sec;
        uint32_t nsec;
    } ok[] = {
        {MOTE_ASN1_UTC_TIME, "500101000000Z", -631152000, 0},
        {MOTE_ASN1_UTC_TIME, "491231235959Z", 2524607999, 0},
        {MOTE_ASN1_UTC_TIME, "000229120000Z", 951825600, 0},
        {MOTE_ASN1_GENERALIZED_TIME, "20500101000000Z", 2524608000, 0},
        {MOTE_ASN1_GENERALIZED_TIME, "19491231235959Z", -631152001, 0},
        {MOTE_ASN1_GENERALIZED_TIME, "99991231235959Z", 253402300799, 0},
        {MOTE_ASN1_GENERALIZED_TIME, "20240101000000.5Z", 1704067200, 500000000},
        {MOTE_ASN1_GENERALIZED_TIME, "20240101000000.123456789Z", 1704067200, 123456789},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        mote_time t;
        mote_asn1_reason why;
        ck_assert_msg(mote_asn1_decode_time(ok[i].tag, mote_slice_str(ok[i].text), &t, &why) == 0,
                      "%s", ok[i].text);
        ck_assert_msg(t.sec == ok[i].sec && t.nsec == ok[i].nsec, "%s: %lld", ok[i].text,
                      (long long)t.sec);
        mote_buf b;
        mote_asn1_writer w;
        mote_buf_init(&b, 0);
        mote_asn1_writer_init(&w, &b);
        if (ok[i].tag == MOTE_ASN1_UTC_TIME)
            mote_asn1_write_utc_time(&w, t);
        else
            mote_asn1_write_generalized_time(&w, t);
        ck_assert_int_eq(mote_asn1_writer_finish(&w), 0);
        ck_assert_uint_eq(b.len, 2 + strlen(ok[i].text));
        ck_assert_mem_eq(b.data + 2, ok[i].text, b.len - 2);
        mote_buf_free(&b);
    }
    static const struct {
        mote_asn1_tag tag;
        const char *text;
        mote_asn1_reason why;
    } bad[] = {
        {MOTE_ASN1_UTC_TIME, "5001010000Z", MOTE_ASN1_R_BAD_TIME},       /* no seconds */
        {MOTE_ASN1_UTC_TIME, "500101000000+0100", MOTE_ASN1_R_BAD_TIME}, /* offset */
        {MOTE_ASN1_UTC_TIME, "500101000000z", MOTE_ASN1_R_BAD_TIME},
        {MOTE_ASN1_UTC_TIME, "5001010000 0Z", MOTE_ASN1_R_BAD_TIME},
        {MOTE_ASN1_UTC_TIME, "501301000000Z", MOTE_ASN1_R_TIME_RANGE},
        {MOTE_ASN1_UTC_TIME, "010229000000Z", MOTE_ASN1_R_TIME_RANGE},
        {MOTE_ASN1_UTC_TIME, "500101240000Z", MOTE_ASN1_R_TIME_RANGE},
        {MOTE_ASN1_UTC_TIME, "500101000060Z", MOTE_ASN1_R_TIME_RANGE},
        {MOTE_ASN1_GENERALIZED_TIME, "20240101000000", MOTE_ASN1_R_BAD_TIME},
        {MOTE_ASN1_GENERALIZED_TIME, "202401010000Z", MOTE_ASN1_R_BAD_TIME},
        {MOTE_ASN1_GENERALIZED_TIME, "20240101000000.50Z", MOTE_ASN1_R_BAD_TIME},
        {MOTE_ASN1_GENERALIZED_TIME, "20240101000000.Z", MOTE_ASN1_R_BAD_TIME},
        {MOTE_ASN1_GENERALIZED_TIME, "20240101000000,5Z", MOTE_ASN1_R_BAD_TIME},
        {MOTE_ASN1_GENERALIZED_TIME, "20240101000000.5+0000", MOTE_ASN1_R_BAD_TIME},
        {MOTE_ASN1_GENERALIZED_TIME, "20240100000000Z", MOTE_ASN1_R_TIME_RANGE},
        {MOTE_ASN1_GENERALIZED_TIME, "20240101000000.1234567891Z", MOTE_ASN1_R_TIME_RANGE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mote_time t;
        mote_asn1_reason why = MOTE_ASN1_R_NONE;
        ck_assert_msg(mote_asn1_decode_time(bad[i].tag, mote_slice_str(bad[i].text), &t, &why) ==
                          MOTE_EDECODE,
                      "%s accepted", bad[i].text);
        ck_assert_msg(why == bad[i].why, "%s: reason %d", bad[i].text, why);
    }
    /* The RFC 5280 choice: UTCTime through 2049, then GeneralizedTime. */
    mote_buf b;
    mote_asn1_writer w;
    mote_buf_init(&b, 0);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_write_time(&w, (mote_time){2524607999, 0});
    mote_asn1_write_time(&w, (mote_time){2524608000, 0});
    assert_der(&w, "170d3439313233313233353935395a"
                   "180f32303530303130313030303030305a");
    mote_asn1_writer_init(&w, &b);
    ck_assert_int_eq(mote_asn1_write_utc_time(&w, (mote_time){2524608000, 0}), MOTE_ERANGE);
    mote_buf_free(&b);
}
END_TEST

START_TEST(test_oids)
{
    static const struct {
        const char *text;
        const char *hex;
    } cases[] = {
        {"1.2.840.113549.1.1.11", "2a864886f70d01010b"},
        {"2.5.4.3", "550403"},
        {"0.0", "00"},
        {"0.39", "27"},
        {"1.0", "28"},
        {"2.0", "50"},
        {"2.999.3", "883703"},
        {"1.3.6.1.4.1.11129.2.4.2", "2b06010401d679020402"},
        {"2.25.329800735698586629295641978511506172918",
         "6983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776"},
        {"1.2.18446744073709551615", "2a81ffffffffffffffff7f"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[MOTE_ASN1_OID_MAX];
        size_t n;
        char text[MOTE_ASN1_OID_TEXT_MAX];
        ck_assert_msg(mote_asn1_oid_from_text(cases[i].text, b, sizeof b, &n) == 0, "%s",
                      cases[i].text);
        ck_assert_str_eq(tohex(mote_slice_make(b, n)), cases[i].hex);
        ck_assert_int_eq(mote_asn1_oid_to_text(mote_slice_make(b, n), text, sizeof text), 0);
        ck_assert_str_eq(text, cases[i].text);
    }
    static const char *const bad_text[] = {"",
                                           "1",
                                           "3.1",
                                           "1.40",
                                           "1..2",
                                           "1.2.",
                                           ".1.2",
                                           "1.02",
                                           "1.2a",
                                           "1.-2",
                                           "a.b",
                                           ("2.115792089237316195423570985008687907853269984665"
                                            "640564039457584007913129639936")};
    for (size_t i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
        uint8_t b[MOTE_ASN1_OID_MAX];
        size_t n;
        ck_assert_msg(mote_asn1_oid_from_text(bad_text[i], b, sizeof b, &n) == MOTE_EINVAL,
                      "accepted '%s'", bad_text[i]);
    }
    uint8_t small[2];
    size_t n;
    ck_assert_int_eq(mote_asn1_oid_from_text("1.2.840", small, sizeof small, &n), MOTE_ENOSPC);
    char tiny[5];
    ck_assert_int_eq(mote_asn1_oid_to_text(mote_slice_make("\x2a\x86\x48", 3), tiny, sizeof tiny),
                     MOTE_ENOSPC);
    ck_assert_int_eq(mote_asn1_oid_to_text(mote_slice_make("\x2a\x86", 2), tiny, sizeof tiny),
                     MOTE_EDECODE);
    /* An arc past 256 bits is refused by the text conversion, not by DER. */
    uint8_t huge[40];
    memset(huge, 0xff, sizeof huge);
    huge[0] = 0x2a;
    huge[39] = 0x7f;
    char text[MOTE_ASN1_OID_TEXT_MAX];
    ck_assert_int_eq(mote_asn1_check_oid(mote_slice_make(huge, sizeof huge), NULL), 0);
    ck_assert_int_eq(mote_asn1_oid_to_text(mote_slice_make(huge, sizeof huge), text, sizeof text),
                     MOTE_ELIMIT);

    /* The well-known table agrees with the text conversion. */
    for (int id = 1; id < MOTE_ASN1_OID_COUNT_; id++) {
        uint8_t b[MOTE_ASN1_OID_MAX];
        const char *dotted = mote_asn1_oid_dotted((mote_asn1_oid_id)id);
        ck_assert_ptr_nonnull(dotted);
        ck_assert_int_eq(mote_asn1_oid_from_text(dotted, b, sizeof b, &n), 0);
        mote_slice bytes = mote_asn1_oid_bytes((mote_asn1_oid_id)id);
        ck_assert_msg(mote_slice_eq(bytes, mote_slice_make(b, n)), "table bytes of %s", dotted);
        ck_assert_int_eq(mote_asn1_oid_lookup(bytes), id);
        ck_assert(mote_asn1_oid_is(bytes, (mote_asn1_oid_id)id));
        ck_assert_int_eq(mote_asn1_oid_find(dotted), id);
        ck_assert_int_eq(mote_asn1_oid_find(mote_asn1_oid_name((mote_asn1_oid_id)id)), id);
        for (int j = 1; j < id; j++)
            ck_assert_msg(strcmp(dotted, mote_asn1_oid_dotted((mote_asn1_oid_id)j)) != 0,
                          "duplicate %s", dotted);
    }
    ck_assert_int_eq(mote_asn1_oid_find("CN"), MOTE_ASN1_OID_CN);
    ck_assert_int_eq(mote_asn1_oid_find("sha256WithRSAEncryption"), MOTE_ASN1_OID_SHA256_WITH_RSA);
    ck_assert_int_eq(mote_asn1_oid_find("1.2.3.4"), MOTE_ASN1_OID_UNKNOWN);
    ck_assert_int_eq(mote_asn1_oid_lookup(mote_slice_make("\x2a\x03", 2)), MOTE_ASN1_OID_UNKNOWN);
    ck_assert_ptr_null(mote_asn1_oid_name(MOTE_ASN1_OID_UNKNOWN));
    ck_assert_uint_eq(mote_asn1_oid_bytes(MOTE_ASN1_OID_COUNT_).len, 0);
}
END_TEST

/* ---- writer structure ---- */

START_TEST(test_writer_nesting)
{
    mote_buf b;
    mote_asn1_writer w;
    mote_buf_init(&b, 0);
    mote_asn1_writer_init(&w, &b);
    /* Lengths of 127, 128, 255, 256 and 65536 content octets. */
    static const size_t lens[] = {0, 127, 128, 255, 256, 65535, 65536};
    static uint8_t big[65536];
    memset(big, 0x5a, sizeof big);
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        mote_asn1_begin(&w, MOTE_ASN1_CONTEXT_CONS(i));
        mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
        if (lens[i] >= 4) /* an OCTET STRING whose full TLV is lens[i] octets */
            mote_asn1_write_octets(&w, mote_slice_make(big, lens[i] - (lens[i] - 2 < 128     ? 2
                                                                       : lens[i] - 3 < 256   ? 3
                                                                       : lens[i] - 4 < 65536 ? 4
                                                                                             : 5)));
        mote_asn1_end(&w);
        mote_asn1_end(&w);
    }
    mote_asn1_end(&w);
    ck_assert_int_eq(mote_asn1_writer_finish(&w), 0);
    /* Read it back with the cursor and check every length survived. */
    mote_asn1_reader r;
    mote_asn1_tlv t;
    mote_asn1_reader_init(&r, b.data, b.len);
    ck_assert_int_eq(mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL), 0);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        ck_assert_int_eq(mote_asn1_enter(&r, MOTE_ASN1_CONTEXT_CONS(i), NULL), 0);
        ck_assert_int_eq(mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, &t), 0);
        ck_assert_uint_eq(t.value.len, lens[i] >= 4 ? lens[i] : 0);
        ck_assert_int_eq(mote_asn1_leave_skip(&r), 0);
        ck_assert_int_eq(mote_asn1_leave(&r), 0);
    }
    ck_assert_int_eq(mote_asn1_leave(&r), 0);
    ck_assert_int_eq(mote_asn1_leave(&r), MOTE_ESTATE);
    ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);
    /* Explicit and implicit tagging, application class. */
    mote_buf_reset(&b);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_begin(&w, MOTE_ASN1_CONTEXT(0)); /* explicit [0]: constructed added */
    mote_asn1_write_int64(&w, 2);
    mote_asn1_end(&w);
    mote_asn1_implicit(&w, MOTE_ASN1_CONTEXT(1));
    mote_asn1_write_bits(&w, mote_slice_make("\x80", 1), 7);
    mote_asn1_implicit(&w, MOTE_ASN1_APPLICATION(2));
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    mote_asn1_write_null(&w);
    mote_asn1_end(&w);
    mote_asn1_implicit(&w, MOTE_ASN1_CONTEXT(40));
    mote_asn1_write_uint(&w, mote_slice_make("\x80", 1));
    assert_der(&w, "a003020102"
                   "81020780"
                   "62020500"
                   "9f2802"
                   "0080");
    /* Errors stick; unbalanced ends are state errors. */
    mote_buf_reset(&b);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    ck_assert_int_eq(mote_asn1_writer_finish(&w), MOTE_ESTATE);
    mote_asn1_end(&w);
    ck_assert_int_eq(mote_asn1_end(&w), MOTE_ESTATE);
    ck_assert_int_eq(mote_asn1_write_null(&w), MOTE_ESTATE);
    ck_assert_int_eq(mote_asn1_writer_finish(&w), MOTE_ESTATE);
    /* Depth bound. */
    mote_buf_reset(&b);
    mote_asn1_writer_init(&w, &b);
    for (int i = 0; i < MOTE_ASN1_MAX_DEPTH; i++)
        ck_assert_int_eq(mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE), 0);
    ck_assert_int_eq(mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE), MOTE_ELIMIT);
    /* The buffer's limit bounds the writer. */
    mote_buf small;
    mote_buf_init(&small, 8);
    mote_asn1_writer_init(&w, &small);
    ck_assert_int_eq(mote_asn1_write_octets(&w, mote_slice_make(big, 7)), MOTE_ELIMIT);
    mote_buf_free(&small);
    mote_buf_free(&b);
}
END_TEST

START_TEST(test_set_of_sorting)
{
    mote_buf b;
    mote_asn1_writer w;
    mote_buf_init(&b, 0);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_begin_set_of(&w, MOTE_ASN1_SET);
    mote_asn1_write_octets(&w, mote_slice_make("\x02", 1));
    mote_asn1_write_int64(&w, 300);
    mote_asn1_write_octets(&w, mote_slice_make("\x01\x00", 2));
    mote_asn1_write_octets(&w, mote_slice_make("\x01", 1));
    mote_asn1_write_int64(&w, 5);
    mote_asn1_write_bool(&w, true);
    mote_asn1_end(&w);
    /* Sorted as octet strings: 0101ff < 020105 < 0202012c < 040101 < 040102 < 04020100. */
    assert_der(&w, "3114"
                   "0101ff"
                   "020105"
                   "0202012c"
                   "040101"
                   "040102"
                   "04020100");
    mote_buf_free(&b);
}
END_TEST

/* ---- the table of malformed encodings ---- */

struct bad_case {
    const char *name;
    const char *hex;
    int rc;
    mote_asn1_reason reason;
    size_t offset;
};

static const struct bad_case bad_cases[] = {
    {"empty input is fine, but a lone tag is truncated", "30", MOTE_EDECODE, MOTE_ASN1_R_TRUNCATED,
     1},
    {"length past the end", "300a0201", MOTE_EDECODE, MOTE_ASN1_R_LENGTH_PAST_END, 1},
    {"inner length past the enclosing element", "30030204010203", MOTE_EDECODE,
     MOTE_ASN1_R_LENGTH_PAST_END, 3},
    {"indefinite length",
     "30800500"
     "0000",
     MOTE_EDECODE, MOTE_ASN1_R_INDEFINITE_LENGTH, 1},
    {"non-minimal length 0x81 0x05", "3081050201010500", MOTE_EDECODE,
     MOTE_ASN1_R_NONMINIMAL_LENGTH, 1},
    {"non-minimal length with leading zero",
     "04820080"
     "00",
     MOTE_EDECODE, MOTE_ASN1_R_NONMINIMAL_LENGTH, 1},
    {"length octets truncated", "0482ff", MOTE_EDECODE, MOTE_ASN1_R_TRUNCATED, 1},
    {"reserved length 0xff", "04ff", MOTE_EDECODE, MOTE_ASN1_R_LENGTH_TOO_BIG, 1},
    {"length of 9 octets", "0489010000000000000000", MOTE_EDECODE, MOTE_ASN1_R_LENGTH_TOO_BIG, 1},
    {"trailing bytes after the element", "050000", MOTE_EDECODE, MOTE_ASN1_R_TRAILING_BYTES, 2},
    {"trailing bytes inside a SEQUENCE",
     "3003020100"
     "00",
     MOTE_EDECODE, MOTE_ASN1_R_TRAILING_BYTES, 5},
    {"BOOLEAN 0x01", "010101", MOTE_EDECODE, MOTE_ASN1_R_BAD_BOOLEAN, 2},
    {"BOOLEAN of two octets", "0102ffff", MOTE_EDECODE, MOTE_ASN1_R_BAD_BOOLEAN, 2},
    {"BOOLEAN empty", "0100", MOTE_EDECODE, MOTE_ASN1_R_BAD_BOOLEAN, 2},
    {"INTEGER with redundant 0x00", "02020001", MOTE_EDECODE, MOTE_ASN1_R_NONMINIMAL_INTEGER, 2},
    {"INTEGER with redundant 0xff", "0202ff80", MOTE_EDECODE, MOTE_ASN1_R_NONMINIMAL_INTEGER, 2},
    {"INTEGER empty",
     "3002"
     "0200",
     MOTE_EDECODE, MOTE_ASN1_R_EMPTY_INTEGER, 4},
    {"ENUMERATED with redundant 0x00", "0a020005", MOTE_EDECODE, MOTE_ASN1_R_NONMINIMAL_INTEGER, 2},
    {"BIT STRING empty", "0300", MOTE_EDECODE, MOTE_ASN1_R_BAD_BIT_STRING, 2},
    {"BIT STRING unused 8", "030208ff", MOTE_EDECODE, MOTE_ASN1_R_BAD_BIT_STRING, 2},
    {"BIT STRING unused bits with no data", "030103", MOTE_EDECODE, MOTE_ASN1_R_BAD_BIT_STRING, 2},
    {"BIT STRING non-zero padding", "030204ff", MOTE_EDECODE, MOTE_ASN1_R_BIT_STRING_PADDING, 3},
    {"NULL with content", "050100", MOTE_EDECODE, MOTE_ASN1_R_BAD_NULL, 2},
    {"OID empty", "0600", MOTE_EDECODE, MOTE_ASN1_R_BAD_OID, 2},
    {"OID sub-identifier 0x80 0x01",
     "0603"
     "2a8001",
     MOTE_EDECODE, MOTE_ASN1_R_NONMINIMAL_OID, 3},
    {"OID first sub-identifier 0x80", "06028001", MOTE_EDECODE, MOTE_ASN1_R_NONMINIMAL_OID, 2},
    {"OID unfinished last sub-identifier", "06022a86", MOTE_EDECODE, MOTE_ASN1_R_BAD_OID, 3},
    {"PrintableString with '@' (right length)", "13024140", MOTE_EDECODE, MOTE_ASN1_R_BAD_STRING,
     3},
    {"UTF8String overlong", "0c02c0af", MOTE_EDECODE, MOTE_ASN1_R_BAD_STRING, 2},
    {"UTCTime without seconds",
     "170b3530303130313030303"
     "05a",
     MOTE_EDECODE, MOTE_ASN1_R_BAD_TIME, 2},
    {"UTCTime with offset",
     "1711"
     "3530303130313030303030302b30313030",
     MOTE_EDECODE, MOTE_ASN1_R_BAD_TIME, 2},
    {"GeneralizedTime without Z",
     "180e"
     "3230323430313031303030303030",
     MOTE_EDECODE, MOTE_ASN1_R_BAD_TIME, 2},
    {"GeneralizedTime trailing zero fraction",
     "1812"
     "32303234303130313030303030302e35305a",
     MOTE_EDECODE, MOTE_ASN1_R_BAD_TIME, 2},
    {"UTCTime February 30",
     "170d"
     "3234303233303030303030305a",
     MOTE_EDECODE, MOTE_ASN1_R_TIME_RANGE, 2},
    {"constructed OCTET STRING (BER)", "2403040100", MOTE_EDECODE, MOTE_ASN1_R_CONSTRUCTED_FORM, 0},
    {"primitive SEQUENCE", "1000", MOTE_EDECODE, MOTE_ASN1_R_CONSTRUCTED_FORM, 0},
    {"constructed INTEGER", "2203020100", MOTE_EDECODE, MOTE_ASN1_R_CONSTRUCTED_FORM, 0},
    {"high-tag form for a small number", "9f1e00", MOTE_EDECODE, MOTE_ASN1_R_NONMINIMAL_TAG, 0},
    {"high-tag number padded with 0x80", "9f801f00", MOTE_EDECODE, MOTE_ASN1_R_NONMINIMAL_TAG, 1},
    {"high-tag number truncated", "9f81", MOTE_EDECODE, MOTE_ASN1_R_TRUNCATED, 2},
    {"tag number too large", "9f8880808000", MOTE_ELIMIT, MOTE_ASN1_R_TAG_TOO_BIG, 0},
    {"end-of-contents outside indefinite form", "0000", MOTE_EDECODE, MOTE_ASN1_R_UNEXPECTED_TAG,
     0},
    {"second element truncated",
     "3003"
     "0500"
     "02",
     MOTE_EDECODE, MOTE_ASN1_R_TRUNCATED, 5},
    {"two top-level elements",
     "0500"
     "0500",
     MOTE_EDECODE, MOTE_ASN1_R_TRAILING_BYTES, 2},
};

START_TEST(test_malformed)
{
    const struct bad_case *c = &bad_cases[_i];
    uint8_t *keep;
    mote_slice in = unhex_slice(c->hex, &keep);
    mote_buf out;
    mote_asn1_error e;
    mote_buf_init(&out, 0);
    int rc = reencode(in, &out, &e);
    ck_assert_msg(rc == c->rc, "%s: rc %d (%s), want %d", c->name, rc, mote_error_name(rc), c->rc);
    ck_assert_msg(e.reason == c->reason, "%s: reason '%s', want '%s'", c->name,
                  mote_asn1_reason_text(e.reason), mote_asn1_reason_text(c->reason));
    ck_assert_msg(e.offset == c->offset, "%s: offset %zu, want %zu", c->name, e.offset, c->offset);
    char msg[160];
    mote_asn1_error_format(&e, msg, sizeof msg);
    ck_assert_ptr_nonnull(strstr(msg, mote_asn1_reason_text(c->reason)));
    mote_buf_free(&out);
    free(keep);
}
END_TEST

START_TEST(test_reader_bounds)
{
    /* Nesting: 40 SEQUENCEs deep, rejected at the bound with its offset. */
    uint8_t deep[80];
    for (int i = 0; i < 40; i++) {
        deep[2 * i] = 0x30;
        deep[2 * i + 1] = (uint8_t)(78 - 2 * i);
    }
    mote_buf out;
    mote_asn1_error e;
    mote_buf_init(&out, 0);
    ck_assert_int_eq(reencode(mote_slice_make(deep, sizeof deep), &out, &e), MOTE_ELIMIT);
    ck_assert_int_eq(e.reason, MOTE_ASN1_R_DEPTH);
    ck_assert_uint_eq(e.offset, 2 * MOTE_ASN1_MAX_DEPTH);
    /* A lower bound set by the caller. */
    mote_asn1_reader r;
    mote_asn1_reader_init(&r, deep, sizeof deep);
    mote_asn1_reader_set_max_depth(&r, 2);
    ck_assert_int_eq(mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL), 0);
    ck_assert_int_eq(mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL), 0);
    ck_assert_int_eq(mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL), MOTE_ELIMIT);
    /* Errors stick. */
    ck_assert_int_eq(mote_asn1_leave(&r), MOTE_ELIMIT);
    ck_assert_int_eq(mote_asn1_next(&r, NULL), MOTE_ELIMIT);
    ck_assert(mote_asn1_at_end(&r));
    /* Missing element and wrong tag. */
    mote_asn1_reader_init(&r, "\x30\x00", 2);
    ck_assert_int_eq(mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL), 0);
    ck_assert_int_eq(mote_asn1_read_null(&r), MOTE_EDECODE);
    ck_assert_int_eq(r.error.reason, MOTE_ASN1_R_MISSING);
    ck_assert_uint_eq(r.error.offset, 2);
    mote_asn1_reader_init(&r, "\x05\x00", 2);
    ck_assert_int_eq(mote_asn1_expect(&r, MOTE_ASN1_INTEGER, NULL), MOTE_EDECODE);
    ck_assert_int_eq(r.error.reason, MOTE_ASN1_R_UNEXPECTED_TAG);
    ck_assert_uint_eq(r.error.tag, MOTE_ASN1_NULL);
    /* Optional absent, then present. */
    bool present = true;
    mote_asn1_tlv t;
    mote_asn1_reader_init(&r, "\x05\x00", 2);
    ck_assert_int_eq(mote_asn1_optional(&r, MOTE_ASN1_CONTEXT(0), &t, &present), 0);
    ck_assert(!present);
    ck_assert_int_eq(mote_asn1_optional(&r, MOTE_ASN1_NULL, &t, &present), 0);
    ck_assert(present);
    ck_assert_int_eq(mote_asn1_optional(&r, MOTE_ASN1_NULL, &t, &present), 0);
    ck_assert(!present);
    ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);
    /* Base offset for nested decoding. */
    mote_asn1_reader_init_at(&r, mote_slice_make("\x01\x01\x01", 3), 1000);
    bool v;
    ck_assert_int_eq(mote_asn1_read_bool(&r, &v), MOTE_EDECODE);
    ck_assert_uint_eq(r.error.offset, 1002);
    /* Lax mode accepts a non-minimal length and records it. */
    mote_asn1_reader_init(&r, "\x30\x81\x02\x05\x00", 5);
    mote_asn1_reader_set_flags(&r, MOTE_ASN1_READER_LAX);
    ck_assert_int_eq(mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL), 0);
    ck_assert_int_eq(mote_asn1_read_null(&r), 0);
    ck_assert_int_eq(mote_asn1_leave(&r), 0);
    ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);
    ck_assert_int_eq(r.warning.reason, MOTE_ASN1_R_NONMINIMAL_LENGTH);
    ck_assert_uint_eq(r.warning.offset, 1);
    /* NULL input of length 0 is an empty, finished input. */
    mote_asn1_reader_init(&r, NULL, 0);
    ck_assert(mote_asn1_at_end(&r));
    ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);
    mote_buf_free(&out);
}
END_TEST

/* ---- schemas ---- */

struct demo_alt {
    int which;
    mote_slice dns;       /* [2] IMPLICIT IA5String */
    mote_slice ip;        /* [7] IMPLICIT OCTET STRING */
    mote_asn1_tlv dir;    /* [4] EXPLICIT Name (kept raw) */
    mote_asn1_string txt; /* DirectoryString */
};
struct demo {
    bool ca;
    int64_t path_len;
    bool has_path_len;
    mote_slice oids[4];
    size_t n_oids;
    struct demo_alt names[4];
    size_t n_names;
    mote_asn1_bits key;
    mote_slice app;
    int64_t kind;
    mote_time when;
    uint32_t usage;
    mote_asn1_tlv raw_names;
};

static const mote_asn1_field demo_general_name[] = {
    {MOTE_ASN1_F_IA5(struct demo_alt, dns), MOTE_ASN1_IMPLICIT(2)},
    {MOTE_ASN1_F_RAW(struct demo_alt, dir, MOTE_ASN1_SEQUENCE), MOTE_ASN1_EXPLICIT(4)},
    {MOTE_ASN1_F_OCTETS(struct demo_alt, ip), MOTE_ASN1_IMPLICIT(7)},
    {MOTE_ASN1_F_STRING(struct demo_alt, txt)},
    MOTE_ASN1_END,
};
static const mote_asn1_field demo_general_name_item = {
    MOTE_ASN1_F_CHOICE(struct demo_alt, which, demo_general_name),
};
static const mote_asn1_field demo_oid_item = {MOTE_ASN1_ITEM(MOTE_ASN1_K_OID)};
static const mote_asn1_field demo_fields[] = {
    {MOTE_ASN1_F_BOOL(struct demo, ca), MOTE_ASN1_DEFAULT(0)},
    {MOTE_ASN1_F_INT64(struct demo, path_len), MOTE_ASN1_PRESENT(struct demo, has_path_len)},
    {MOTE_ASN1_F_SET_OF_ITEM(struct demo, oids, n_oids, &demo_oid_item, 1)},
    {MOTE_ASN1_F_SEQUENCE_OF_ITEM(struct demo, names, n_names, &demo_general_name_item, 0),
     MOTE_ASN1_EXPLICIT(0), MOTE_ASN1_OPTIONAL, MOTE_ASN1_KEEP_RAW(struct demo, raw_names)},
    {MOTE_ASN1_F_BITS(struct demo, key), MOTE_ASN1_IMPLICIT(1), MOTE_ASN1_OPTIONAL},
    {MOTE_ASN1_F_OCTETS(struct demo, app), MOTE_ASN1_IMPLICIT_TAG(MOTE_ASN1_APPLICATION(300))},
    {MOTE_ASN1_F_ENUM(struct demo, kind), MOTE_ASN1_DEFAULT(3)},
    {MOTE_ASN1_F_GENERALIZED_TIME(struct demo, when)},
    {MOTE_ASN1_F_NAMED_BITS(struct demo, usage)},
    {MOTE_ASN1_F_NULL},
    MOTE_ASN1_END,
};

static void build_demo(mote_buf *b, int variant)
{
    mote_asn1_writer w;
    mote_asn1_writer_init(&w, b);
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    if (variant == 1)
        mote_asn1_write_bool(&w, false); /* DEFAULT encoded: DER forbids */
    if (variant != 2)
        mote_asn1_write_bool(&w, true);
    mote_asn1_write_int64(&w, 3);
    /* SET OF: written unsorted on purpose when variant == 3 */
    if (variant == 3)
        mote_asn1_begin(&w, MOTE_ASN1_SET);
    else
        mote_asn1_begin_set_of(&w, MOTE_ASN1_SET);
    mote_asn1_write_oid_id(&w, MOTE_ASN1_OID_KP_SERVER_AUTH);
    mote_asn1_write_oid_id(&w, MOTE_ASN1_OID_CN);
    mote_asn1_end(&w);
    mote_asn1_begin(&w, MOTE_ASN1_CONTEXT(0));
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    mote_asn1_implicit(&w, MOTE_ASN1_CONTEXT(2));
    mote_asn1_write_string(&w, MOTE_ASN1_IA5_STRING, mote_slice_str("example.org"));
    mote_asn1_implicit(&w, MOTE_ASN1_CONTEXT(7));
    mote_asn1_write_octets(&w, mote_slice_make("\x7f\x00\x00\x01", 4));
    mote_asn1_begin(&w, MOTE_ASN1_CONTEXT(4));
    mote_asn1_begin(&w, MOTE_ASN1_SEQUENCE);
    mote_asn1_end(&w);
    mote_asn1_end(&w);
    mote_asn1_write_string(&w, MOTE_ASN1_UTF8_STRING, mote_slice_str("hi"));
    if (variant == 4)
        for (int i = 0; i < 4; i++)
            mote_asn1_write_string(&w, MOTE_ASN1_UTF8_STRING, mote_slice_str("more"));
    mote_asn1_end(&w);
    mote_asn1_end(&w);
    mote_asn1_implicit(&w, MOTE_ASN1_APPLICATION(300));
    mote_asn1_write_octets(&w, mote_slice_str("app"));
    if (variant == 5)
        mote_asn1_write_enumerated(&w, 3);
    mote_asn1_write_generalized_time(&w, (mote_time){1704067200, 250000000});
    mote_asn1_write_named_bits(&w, 0x21);
    if (variant != 6)
        mote_asn1_write_null(&w);
    mote_asn1_end(&w);
    ck_assert_int_eq(mote_asn1_writer_finish(&w), 0);
}

START_TEST(test_schema)
{
    mote_buf b;
    mote_buf_init(&b, 0);
    build_demo(&b, 0);
    struct demo d;
    mote_asn1_error e;
    memset(&d, 0xee, sizeof d);
    ck_assert_int_eq(mote_asn1_decode(demo_fields, mote_buf_slice(&b), &d, &e), 0);
    ck_assert(d.ca);
    ck_assert(d.has_path_len);
    ck_assert_int_eq(d.path_len, 3);
    ck_assert_uint_eq(d.n_oids, 2);
    ck_assert(mote_asn1_oid_is(d.oids[0], MOTE_ASN1_OID_CN)); /* sorted: 55.. < 2b.. ? */
    ck_assert_uint_eq(d.n_names, 4);
    ck_assert_int_eq(d.names[0].which, 0);
    ck_assert(mote_slice_eq(d.names[0].dns, mote_slice_str("example.org")));
    ck_assert_int_eq(d.names[1].which, 2);
    ck_assert(mote_slice_eq(d.names[1].ip, mote_slice_make("\x7f\x00\x00\x01", 4)));
    ck_assert_int_eq(d.names[2].which, 1);
    ck_assert_uint_eq(d.names[2].dir.tag, MOTE_ASN1_SEQUENCE);
    ck_assert_int_eq(d.names[3].which, 3);
    ck_assert_uint_eq(d.names[3].txt.tag, MOTE_ASN1_UTF8_STRING);
    ck_assert_uint_eq(d.raw_names.tag, MOTE_ASN1_CONTEXT_CONS(0));
    ck_assert_ptr_null(d.key.bytes.ptr); /* absent OPTIONAL is zeroed */
    ck_assert(mote_slice_eq(d.app, mote_slice_str("app")));
    ck_assert_int_eq(d.kind, 3); /* DEFAULT */
    ck_assert(d.when.sec == 1704067200 && d.when.nsec == 250000000);
    ck_assert_uint_eq(d.usage, 0x21);
    ck_assert_ptr_null(e.field);

    /* Encoding the struct gives back the same bytes. */
    mote_buf again;
    mote_asn1_writer w;
    mote_buf_init(&again, 0);
    mote_asn1_writer_init(&w, &again);
    ck_assert_int_eq(mote_asn1_encode(demo_fields, &d, &w), 0);
    ck_assert_int_eq(mote_asn1_writer_finish(&w), 0);
    ck_assert_str_eq(tohex(mote_buf_slice(&again)), tohex(mote_buf_slice(&b)));

    /* Variants that DER or the schema rejects. */
    static const struct {
        int variant;
        int rc;
        mote_asn1_reason reason;
        const char *field;
    } bad[] = {
        {1, MOTE_EDECODE, MOTE_ASN1_R_DEFAULT_ENCODED, "ca"},
        {3, MOTE_EDECODE, MOTE_ASN1_R_SET_ORDER, "oids"},
        {4, MOTE_ELIMIT, MOTE_ASN1_R_TOO_MANY, "names"},
        {5, MOTE_EDECODE, MOTE_ASN1_R_DEFAULT_ENCODED, "kind"},
        {6, MOTE_EDECODE, MOTE_ASN1_R_MISSING, "NULL"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mote_buf_reset(&b);
        build_demo(&b, bad[i].variant);
        memset(&d, 0, sizeof d);
        int rc = mote_asn1_decode(demo_fields, mote_buf_slice(&b), &d, &e);
        ck_assert_msg(rc == bad[i].rc, "variant %d: rc %d", bad[i].variant, rc);
        ck_assert_msg(e.reason == bad[i].reason, "variant %d: %s", bad[i].variant,
                      mote_asn1_reason_text(e.reason));
        ck_assert_str_eq(e.field, bad[i].field);
    }
    /* Without the optional BOOLEAN the DEFAULT applies. */
    mote_buf_reset(&b);
    build_demo(&b, 2);
    memset(&d, 0, sizeof d);
    d.ca = true;
    ck_assert_int_eq(mote_asn1_decode(demo_fields, mote_buf_slice(&b), &d, &e), 0);
    ck_assert(!d.ca);
    /* Trailing bytes after the top-level SEQUENCE. */
    mote_buf_append_byte(&b, 0);
    ck_assert_int_eq(mote_asn1_decode(demo_fields, mote_buf_slice(&b), &d, &e), MOTE_EDECODE);
    ck_assert_int_eq(e.reason, MOTE_ASN1_R_TRAILING_BYTES);
    ck_assert_uint_eq(e.offset, b.len - 1);
    /* A bad schema is the caller's error. */
    static const mote_asn1_field bad_schema[] = {
        {MOTE_ASN1_F_OCTETS(struct demo, app), MOTE_ASN1_DEFAULT(1)},
        MOTE_ASN1_END,
    };
    ck_assert_int_eq(mote_asn1_decode(bad_schema, mote_slice_make("\x30\x00", 2), &d, &e),
                     MOTE_EINVAL);
    ck_assert_int_eq(e.reason, MOTE_ASN1_R_BAD_SCHEMA);
    mote_buf_free(&b);
    mote_buf_free(&again);
}
END_TEST

/* ---- real certificates ---- */

struct cert_stats {
    size_t certs, bytes, v3, exts, with_params;
    int lenient_extensions; /* count malformed extension values instead of failing */
    size_t bad_extensions;
    mote_asn1_oid_id bad_ids[16];
};

static void check_certificate(mote_slice der, const char *path, struct cert_stats *st)
{
    static struct ex_certificate c; /* big: keep it off the stack */
    mote_asn1_error e;
    char msg[200];
    memset(&c, 0, sizeof c);
    int rc = mote_asn1_decode(ex_certificate, der, &c, &e);
    ck_assert_msg(rc == 0, "%s: %s", path, mote_asn1_error_format(&e, msg, sizeof msg));
    const struct ex_tbs *t = &c.tbs_certificate;
    ck_assert_msg(t->version >= 0 && t->version <= 2, "%s: version %lld", path,
                  (long long)t->version);
    ck_assert(t->serial_number.len > 0);
    ck_assert(t->issuer.n > 0 || t->subject.n > 0);
    ck_assert(st->lenient_extensions ||
              t->validity.not_before.time.sec < t->validity.not_after.time.sec);
    ck_assert(c.tbs_raw.raw.ptr == der.ptr + c.tbs_raw.offset);
    if (!st->lenient_extensions) {
        /* Sanity of the system store (limbo breaks these on purpose). */
        ck_assert(mote_slice_eq(c.signature_algorithm.algorithm, t->signature.algorithm));
        ck_assert(mote_asn1_oid_lookup(t->signature.algorithm) != MOTE_ASN1_OID_UNKNOWN);
        ck_assert(mote_asn1_oid_lookup(t->subject_public_key_info.algorithm.algorithm) !=
                  MOTE_ASN1_OID_UNKNOWN);
    }
    for (size_t i = 0; i < t->n_extensions; i++) {
        /* Each extension value is itself DER. */
        mote_buf tmp;
        mote_buf_init(&tmp, 0);
        rc = reencode(t->extensions[i].extn_value, &tmp, &e);
        if (rc && st->lenient_extensions) {
            if (st->bad_extensions < 16)
                st->bad_ids[st->bad_extensions] = mote_asn1_oid_lookup(t->extensions[i].extn_id);
            st->bad_extensions++;
            mote_buf_free(&tmp);
            continue;
        }
        char oid[MOTE_ASN1_OID_TEXT_MAX];
        mote_asn1_oid_to_text(t->extensions[i].extn_id, oid, sizeof oid);
        ck_assert_msg(rc == 0, "%s: extension %zu (%s): %s", path, i, oid,
                      mote_asn1_error_format(&e, msg, sizeof msg));
        ck_assert(mote_slice_eq(mote_buf_slice(&tmp), t->extensions[i].extn_value));
        mote_buf_free(&tmp);
    }
    st->certs++;
    st->bytes += der.len;
    st->v3 += t->version == 2;
    st->exts += t->n_extensions;
    st->with_params += c.signature_algorithm.parameters.tag != 0;

    /* Decoder -> typed re-encoder: byte-identical. */
    mote_buf out;
    mote_buf_init(&out, 1u << 20);
    rc = reencode(der, &out, &e);
    ck_assert_msg(rc == 0, "%s: %s", path, mote_asn1_error_format(&e, msg, sizeof msg));
    ck_assert_msg(mote_slice_eq(mote_buf_slice(&out), der), "%s: re-encoding differs", path);
    /* Schema decode -> schema encode: byte-identical too. */
    mote_buf_reset(&out);
    mote_asn1_writer w;
    mote_asn1_writer_init(&w, &out);
    ck_assert_int_eq(mote_asn1_encode(ex_certificate, &c, &w), 0);
    ck_assert_int_eq(mote_asn1_writer_finish(&w), 0);
    ck_assert_msg(mote_slice_eq(mote_buf_slice(&out), der), "%s: schema encoding differs", path);
    mote_buf_free(&out);
}

START_TEST(test_system_certificates)
{
    const char *dir = "/etc/ssl/certs";
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "%s missing: install ca-certificates (scripts/deps.sh does)", dir);
    struct cert_stats st = {0};
    size_t files = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".pem") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        uint8_t *text = tu_read_file(path, &len);
        if (!text)
            continue; /* a dangling link */
        files++;
        mote_asn1_pem_reader pr;
        mote_asn1_pem_reader_init(&pr, mote_slice_make(text, len));
        mote_slice label;
        mote_buf der;
        mote_asn1_error e;
        mote_buf_init(&der, 0);
        int blocks = 0, rc;
        while ((rc = mote_asn1_pem_next(&pr, &label, &der, NULL, &e)) == 0) {
            ck_assert(mote_slice_eq(label, mote_slice_str("CERTIFICATE")));
            check_certificate(mote_buf_slice(&der), path, &st);
            mote_buf_reset(&der);
            blocks++;
        }
        ck_assert_msg(rc == MOTE_ENOTFOUND, "%s: PEM error at %zu", path, e.offset);
        ck_assert_msg(blocks >= 1, "%s: no block", path);
        mote_buf_free(&der);
        free(text);
    }
    closedir(d);
    fprintf(stderr,
            "asn1: %zu certificate files, %zu certificates (%zu bytes, %zu v3, %zu "
            "extensions) decoded and re-encoded identically\n",
            files, st.certs, st.bytes, st.v3, st.exts);
    ck_assert_uint_gt(st.certs, 50);
}
END_TEST

/* The certificates of the x509-limbo test suite (shared vectors): the PEM
 * strings in its JSON are unescaped and read with the PEM reader. */
START_TEST(test_limbo_certificates)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/vectors/x509-limbo/limbo.json", tu_shared_dir());
    size_t len;
    uint8_t *json = tu_read_file(path, &len);
    ck_assert_msg(json != NULL,
                  "%s not found (shared vectors beside the project, or "
                  "MOTE_SHARED_DIR)",
                  path);
    /* Turn each "-----BEGIN" into a line start and each \n escape into a
     * newline; the rest of the JSON is text between blocks. */
    mote_buf text;
    mote_buf_init(&text, 0);
    for (size_t i = 0; i < len; i++) {
        if (json[i] == '\\' && i + 1 < len && json[i + 1] == 'n') {
            mote_buf_append_byte(&text, '\n');
            i++;
        } else if (json[i] == '"' && i + 11 < len && memcmp(json + i + 1, "-----BEGIN", 10) == 0) {
            mote_buf_append(&text, "\"\n", 2);
        } else {
            mote_buf_append_byte(&text, json[i]);
        }
    }
    free(json);
    mote_asn1_pem_reader pr;
    mote_asn1_pem_reader_init(&pr, mote_buf_slice(&text));
    mote_slice label;
    mote_buf der;
    mote_asn1_error e;
    mote_buf_init(&der, 0);
    /* Some limbo cases carry deliberately malformed extension contents
     * (rfc5280::san::malformed, webpki::malformed-aia, and the made-up
     * critical extension 1.3.6.1.4.1.55738.666.1): the certificate is DER,
     * the extension's inner value is not. */
    struct cert_stats st = {0};
    st.lenient_extensions = 1;
    int rc;
    while ((rc = mote_asn1_pem_next(&pr, &label, &der, NULL, &e)) == 0) {
        ck_assert(mote_slice_eq(label, mote_slice_str("CERTIFICATE")));
        check_certificate(mote_buf_slice(&der), "limbo.json", &st);
        mote_buf_reset(&der);
    }
    ck_assert_msg(rc == MOTE_ENOTFOUND, "limbo.json: PEM error at %zu: %s", e.offset,
                  mote_asn1_reason_text(e.reason));
    fprintf(stderr,
            "asn1: %zu x509-limbo certificates decoded and re-encoded identically; %zu "
            "deliberately malformed extension values rejected\n",
            st.certs, st.bad_extensions);
    ck_assert_uint_ge(st.bad_extensions, 2);
    for (size_t i = 0; i < st.bad_extensions && i < 16; i++)
        ck_assert_msg(st.bad_ids[i] == MOTE_ASN1_OID_SUBJECT_ALT_NAME ||
                          st.bad_ids[i] == MOTE_ASN1_OID_AUTHORITY_INFO_ACCESS ||
                          st.bad_ids[i] == MOTE_ASN1_OID_UNKNOWN, /* 1.3.6.1.4.1.55738.666.1 */
                      "unexpected malformed extension %d", st.bad_ids[i]);
    ck_assert_uint_gt(st.certs, 300);
    mote_buf_free(&der);
    mote_buf_free(&text);
}
END_TEST

/* Cursor code and schemas mixed, SEQUENCE OF bounds, explicit tags with
 * extra content, and the small helpers. */
struct pair {
    mote_slice oid;
    int64_t n;
};
static const mote_asn1_field pair_fields[] = {
    {MOTE_ASN1_F_OID(struct pair, oid)},
    {MOTE_ASN1_F_INT64(struct pair, n)},
    MOTE_ASN1_END,
};
struct pairs {
    struct pair p[2];
    size_t n;
    mote_asn1_time t;
};
static const mote_asn1_field pairs_fields[] = {
    {MOTE_ASN1_F_SEQUENCE_OF(struct pairs, p, n, pair_fields, 2)},
    {MOTE_ASN1_F_TIME_TAGGED(struct pairs, t), MOTE_ASN1_EXPLICIT(5)},
    MOTE_ASN1_END,
};

START_TEST(test_schema_with_cursor)
{
    uint8_t *keep;
    /* SEQUENCE { INTEGER 7, SEQUENCE { OID 2.5.4.3, INTEGER 1 }, NULL } */
    mote_slice in = unhex_slice("300f"
                                "020107"
                                "3008"
                                "0603550403"
                                "020101"
                                "0500",
                                &keep);
    mote_asn1_reader r;
    int64_t v;
    struct pair p;
    mote_asn1_reader_init(&r, in.ptr, in.len);
    mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL);
    mote_asn1_read_int64(&r, &v);
    static const mote_asn1_field pair_field = {
        MOTE_ASN1_F_SEQUENCE(struct pairs, p[0], pair_fields)};
    struct pairs ps;
    memset(&ps, 0, sizeof ps);
    ck_assert_int_eq(mote_asn1_read_field(&r, &pair_field, &ps), 0);
    ck_assert_int_eq(mote_asn1_read_null(&r), 0);
    ck_assert_int_eq(mote_asn1_leave(&r), 0);
    ck_assert_int_eq(mote_asn1_reader_finish(&r), 0);
    ck_assert(v == 7 && ps.p[0].n == 1 && mote_asn1_oid_is(ps.p[0].oid, MOTE_ASN1_OID_CN));
    /* read_fields on an entered level. */
    mote_asn1_reader_init(&r, in.ptr + 5, 10); /* the inner SEQUENCE alone */
    ck_assert_int_eq(mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL), 0);
    ck_assert_int_eq(mote_asn1_read_fields(&r, pair_fields, &p), 0);
    ck_assert_int_eq(mote_asn1_leave(&r), 0);
    ck_assert(p.n == 1);
    free(keep);

    /* SEQUENCE OF with a minimum of 2 and room for 2, then [5] EXPLICIT Time. */
    static const struct {
        const char *hex;
        int rc;
        mote_asn1_reason reason;
        size_t offset;
    } cases[] = {
        /* GeneralizedTime without seconds */
        {"302730143008060355040302010130080603550406020102a50f180d3230323430313031303030305a",
         MOTE_EDECODE, MOTE_ASN1_R_BAD_TIME, 28},
        /* UTCTime without seconds */
        {"302530143008060355040302010130080603550406020102a50d170b323430313031303030305a",
         MOTE_EDECODE, MOTE_ASN1_R_BAD_TIME, 28},
        /* one pair where two are required */
        {"301d300a30080603550403020101a50f170d3234303130313030303030305a", MOTE_EDECODE,
         MOTE_ASN1_R_TOO_FEW, 2},
        /* three pairs where there is room for two */
        {"3031301e300806035504030201013008060355040602010230080603550407020103a50f170d32343031"
         "30313030303030305a",
         MOTE_ELIMIT, MOTE_ASN1_R_TOO_MANY, 24},
        /* a NULL after the Time inside [5] */
        {"302930143008060355040302010130080603550406020102a511170d3234303130313030303030305a0500",
         MOTE_EDECODE, MOTE_ASN1_R_TRAILING_BYTES, 41},
        /* [4] where [5] belongs */
        {"302730143008060355040302010130080603550406020102a40f170d3234303130313030303030305a",
         MOTE_EDECODE, MOTE_ASN1_R_UNEXPECTED_TAG, 24},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mote_asn1_error e;
        mote_slice s = unhex_slice(cases[i].hex, &keep);
        memset(&ps, 0, sizeof ps);
        int rc = mote_asn1_decode(pairs_fields, s, &ps, &e);
        ck_assert_msg(rc == cases[i].rc, "case %zu: rc %d", i, rc);
        ck_assert_msg(e.reason == cases[i].reason, "case %zu: %s", i,
                      mote_asn1_reason_text(e.reason));
        ck_assert_msg(e.offset == cases[i].offset, "case %zu: offset %zu", i, e.offset);
        free(keep);
    }
    /* The valid one, and its re-encoding. */
    mote_slice good = unhex_slice(
        "302730143008060355040302010130080603550406020102a50f170d3234303130313030303030305a",
        &keep);
    memset(&ps, 0, sizeof ps);
    ck_assert_int_eq(mote_asn1_decode(pairs_fields, good, &ps, NULL), 0);
    ck_assert_uint_eq(ps.n, 2);
    ck_assert_uint_eq(ps.t.tag, MOTE_ASN1_UTC_TIME);
    ck_assert(ps.t.time.sec == 1704067200);
    mote_buf b;
    mote_asn1_writer w;
    mote_buf_init(&b, 0);
    mote_asn1_writer_init(&w, &b);
    ck_assert_int_eq(mote_asn1_encode(pairs_fields, &ps, &w), 0);
    ck_assert(mote_slice_eq(mote_buf_slice(&b), good));
    /* Too few elements in the struct is the caller's error when encoding. */
    ps.n = 1;
    mote_buf_reset(&b);
    mote_asn1_writer_init(&w, &b);
    ck_assert_int_eq(mote_asn1_encode(pairs_fields, &ps, &w), MOTE_EINVAL);
    /* A time form chosen by the writer when the tag is 0. */
    mote_buf_reset(&b);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_time t = {{2524608000, 0}, 0};
    mote_asn1_write_time_as(&w, &t);
    t.tag = MOTE_ASN1_UTC_TIME;
    t.time.sec = 0;
    mote_asn1_write_time_as(&w, &t);
    assert_der(&w, "180f32303530303130313030303030305a"
                   "170d3730303130313030303030305a");
    t.tag = MOTE_ASN1_INTEGER;
    ck_assert_int_eq(mote_asn1_write_time_as(&w, &t), MOTE_EINVAL);
    mote_buf_free(&b);
    free(keep);

    /* TIME stores a mote_time and nothing more (the canary survives);
     * TIME_TAGGED stores a mote_asn1_time. */
    struct two_times {
        mote_time a;
        uint64_t canary;
        mote_asn1_time b;
        uint64_t canary2;
    } tt;
    static const mote_asn1_field two_times_fields[] = {
        {MOTE_ASN1_F_TIME(struct two_times, a)},
        {MOTE_ASN1_F_TIME_TAGGED(struct two_times, b)},
        MOTE_ASN1_END,
    };
    memset(&tt, 0, sizeof tt);
    tt.canary = tt.canary2 = 0x0123456789abcdefull;
    mote_slice times = unhex_slice("3020"
                                   "180f32303530303130313030303030305a"
                                   "170d3234303130313030303030305a",
                                   &keep);
    ck_assert_int_eq(mote_asn1_decode(two_times_fields, times, &tt, NULL), 0);
    ck_assert(tt.a.sec == 2524608000 && tt.b.time.sec == 1704067200);
    ck_assert_uint_eq(tt.b.tag, MOTE_ASN1_UTC_TIME);
    ck_assert(tt.canary == 0x0123456789abcdefull && tt.canary2 == 0x0123456789abcdefull);
    free(keep);

    /* SEQUENCE OF an OPTIONAL item that does not match: an error at the
     * element, not a loop. */
    struct ints {
        int64_t v[8];
        size_t n;
    } in8;
    static const mote_asn1_field opt_int_item = {MOTE_ASN1_ITEM(MOTE_ASN1_K_INT64),
                                                 MOTE_ASN1_OPTIONAL};
    static const mote_asn1_field ints_fields[] = {
        {MOTE_ASN1_F_SEQUENCE_OF_ITEM(struct ints, v, n, &opt_int_item, 0)},
        MOTE_ASN1_END,
    };
    mote_asn1_error e2;
    mote_slice mixed = unhex_slice("300a"
                                   "3008"
                                   "020101"
                                   "0603550403",
                                   &keep);
    ck_assert_int_eq(mote_asn1_decode(ints_fields, mixed, &in8, &e2), MOTE_EDECODE);
    ck_assert_int_eq(e2.reason, MOTE_ASN1_R_UNEXPECTED_TAG);
    ck_assert_uint_eq(e2.offset, 7);
    free(keep);

    /* The extension marker: later additions are skipped (but must be DER);
     * without it they are trailing bytes. */
    struct ext_v1 {
        int64_t a;
    } v1;
    static const mote_asn1_field v1_fields[] = {
        {MOTE_ASN1_F_INT64(struct ext_v1, a)},
        {MOTE_ASN1_F_REST},
        MOTE_ASN1_END,
    };
    static const mote_asn1_field v1_closed[] = {
        {MOTE_ASN1_F_INT64(struct ext_v1, a)},
        MOTE_ASN1_END,
    };
    mote_slice v2 = unhex_slice("300a"
                                "020105"
                                "0603550403"
                                "0500",
                                &keep);
    ck_assert_int_eq(mote_asn1_decode(v1_fields, v2, &v1, &e2), 0);
    ck_assert(v1.a == 5);
    ck_assert_int_eq(mote_asn1_decode(v1_closed, v2, &v1, &e2), MOTE_EDECODE);
    ck_assert_int_eq(e2.reason, MOTE_ASN1_R_TRAILING_BYTES);
    ck_assert_uint_eq(e2.offset, 5);
    mote_buf_init(&b, 0);
    mote_asn1_writer_init(&w, &b);
    ck_assert_int_eq(mote_asn1_encode(v1_fields, &v1, &w), 0);
    assert_der(&w, "3003020105");
    mote_buf_free(&b);
    free(keep);
    mote_slice v2bad = unhex_slice("3008"
                                   "020105"
                                   "0603558003",
                                   &keep);
    ck_assert_int_eq(mote_asn1_decode(v1_fields, v2bad, &v1, &e2), 0); /* skipped, not typed */
    free(keep);
    v2bad = unhex_slice("3007"
                        "020105"
                        "06043558",
                        &keep);
    ck_assert_int_eq(mote_asn1_decode(v1_fields, v2bad, &v1, &e2), MOTE_EDECODE);
    ck_assert_int_eq(e2.reason, MOTE_ASN1_R_LENGTH_PAST_END);
    ck_assert_str_eq(e2.field, "...");
    free(keep);

    /* Named bits beyond 32 and trailing zero bits. */
    uint32_t nb;
    mote_asn1_reason why;
    ck_assert_int_eq(
        mote_asn1_decode_named_bits(mote_slice_make("\x07\x00\x00\x00\x00\x80", 6), &nb, &why),
        MOTE_ERANGE);
    ck_assert_int_eq(mote_asn1_decode_named_bits(mote_slice_make("\x00\x80", 2), &nb, &why),
                     MOTE_EDECODE);
    ck_assert_int_eq(why, MOTE_ASN1_R_BIT_STRING_TRAILING);
    /* A caller's own semantic fault, recorded on the reader. */
    mote_asn1_reader_init(&r, "\x05\x00", 2);
    ck_assert_int_eq(mote_asn1_reader_fail(&r, MOTE_EDECODE, 1, MOTE_ASN1_R_BAD_NULL, 0),
                     MOTE_EDECODE);
    ck_assert_int_eq(mote_asn1_read_null(&r), MOTE_EDECODE);
    ck_assert_uint_eq(r.error.offset, 1);
    /* Raw DER cannot be retagged. */
    mote_buf_init(&b, 0);
    mote_asn1_writer_init(&w, &b);
    mote_asn1_implicit(&w, MOTE_ASN1_CONTEXT(1));
    ck_assert_int_eq(mote_asn1_write_raw(&w, mote_slice_make("\x05\x00", 2)), MOTE_EINVAL);
    mote_buf_free(&b);
}
END_TEST

/* ---- PEM ---- */

START_TEST(test_pem)
{
    mote_buf text, der;
    mote_buf_init(&text, 0);
    mote_buf_init(&der, 0);
    uint8_t data[200];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    mote_buf_appendf(&text, "Explanatory text is allowed.\n");
    ck_assert_int_eq(mote_asn1_pem_write(&text, "CERTIFICATE", mote_slice_make(data, 200)), 0);
    ck_assert_int_eq(mote_asn1_pem_write(&text, "PRIVATE KEY", mote_slice_make(data, 1)), 0);
    ck_assert_int_eq(mote_asn1_pem_write(&text, "X509 CRL", mote_slice_make(data, 2)), 0);
    ck_assert_int_eq(mote_asn1_pem_write(&text, "EMPTY", mote_slice_make(NULL, 0)), 0);
    ck_assert_int_eq(mote_asn1_pem_write(&text, "bad--label", mote_slice_make(data, 2)),
                     MOTE_EINVAL);
    ck_assert_int_eq(mote_asn1_pem_write(&text, " lead", mote_slice_make(data, 2)), MOTE_EINVAL);
    ck_assert(mote_asn1_pem_detect(mote_buf_slice(&text)) == 0); /* text comes first */
    ck_assert(mote_asn1_pem_detect(mote_slice_str("\n  \n-----BEGIN X-----\n")));
    ck_assert(!mote_asn1_pem_detect(mote_slice_str("  -----BEGIN X-----\n")));
    ck_assert(!mote_asn1_pem_detect(mote_slice_make("\x30\x00", 2)));
    /* Lines are 64 characters. */
    ck_assert_ptr_nonnull(strstr((char *)text.data, "-----BEGIN CERTIFICATE-----\n"));
    const char *line = strstr((char *)text.data, "-----\n") + 6;
    ck_assert_int_eq((int)(strchr(line, '\n') - line), 64);

    mote_asn1_pem_reader pr;
    mote_slice label;
    size_t off;
    mote_asn1_error e;
    mote_asn1_pem_reader_init(&pr, mote_buf_slice(&text));
    ck_assert_int_eq(mote_asn1_pem_next(&pr, &label, &der, &off, &e), 0);
    ck_assert(mote_slice_eq(label, mote_slice_str("CERTIFICATE")));
    ck_assert_uint_eq(off, 29);
    ck_assert(mote_slice_eq(mote_buf_slice(&der), mote_slice_make(data, 200)));
    mote_buf_reset(&der);
    ck_assert_int_eq(mote_asn1_pem_next(&pr, &label, &der, NULL, &e), 0);
    ck_assert(mote_slice_eq(label, mote_slice_str("PRIVATE KEY")));
    ck_assert(mote_slice_eq(mote_buf_slice(&der), mote_slice_make(data, 1)));
    mote_buf_reset(&der);
    ck_assert_int_eq(mote_asn1_pem_next(&pr, &label, &der, NULL, &e), 0);
    ck_assert(mote_slice_eq(mote_buf_slice(&der), mote_slice_make(data, 2)));
    mote_buf_reset(&der);
    ck_assert_int_eq(mote_asn1_pem_next(&pr, &label, &der, NULL, &e), 0);
    ck_assert(mote_slice_eq(label, mote_slice_str("EMPTY")));
    ck_assert_uint_eq(der.len, 0);
    ck_assert_int_eq(mote_asn1_pem_next(&pr, &label, &der, NULL, &e), MOTE_ENOTFOUND);

    /* CRLF line ends and spaces around lines are accepted. */
    static const char crlf[] = "-----BEGIN A-----\r\n  AAEC\r\nAw==  \r\n-----END A-----\r\n";
    mote_asn1_pem_reader_init(&pr, mote_slice_str(crlf));
    mote_buf_reset(&der);
    ck_assert_int_eq(mote_asn1_pem_next(&pr, &label, &der, NULL, &e), 0);
    ck_assert(mote_slice_eq(mote_buf_slice(&der), mote_slice_make("\x00\x01\x02\x03", 4)));

    static const struct {
        const char *text;
        int rc;
        mote_asn1_reason reason;
        size_t offset;
    } bad[] = {
        {"-----BEGIN A-----\nAAEC\n-----END B-----\n", MOTE_EDECODE, MOTE_ASN1_R_PEM_LABEL_MISMATCH,
         23},
        {"-----BEGIN A-----\nAAEC\n", MOTE_EDECODE, MOTE_ASN1_R_PEM_NO_END, 0},
        {"-----BEGIN A-----\nAAEC\n-----BEGIN A-----\n", MOTE_EDECODE, MOTE_ASN1_R_PEM_NO_END, 23},
        {"-----BEGIN A----\nAAEC\n-----END A-----\n", MOTE_EDECODE, MOTE_ASN1_R_PEM_BAD_LABEL, 0},
        {"-----BEGIN A--B-----\n-----END A--B-----\n", MOTE_EDECODE, MOTE_ASN1_R_PEM_BAD_LABEL, 0},
        {"-----BEGIN A-----\nAA*C\n-----END A-----\n", MOTE_EDECODE, MOTE_ASN1_R_BAD_BASE64, 20},
        {"-----BEGIN A-----\nAAE=\nAAAA\n-----END A-----\n", MOTE_EDECODE, MOTE_ASN1_R_BAD_PADDING,
         23},
        {"-----BEGIN A-----\nAAF=\n-----END A-----\n", MOTE_EDECODE, MOTE_ASN1_R_BAD_PADDING, 21},
        {"-----BEGIN A-----\nAB==\n-----END A-----\n", MOTE_EDECODE, MOTE_ASN1_R_BAD_PADDING, 21},
        {"-----BEGIN A-----\nA===\n-----END A-----\n", MOTE_EDECODE, MOTE_ASN1_R_BAD_PADDING, 19},
        {"-----BEGIN A-----\nAA=A\n-----END A-----\n", MOTE_EDECODE, MOTE_ASN1_R_BAD_PADDING, 21},
        {"-----BEGIN A-----\nAAE\n-----END A-----\n", MOTE_EDECODE, MOTE_ASN1_R_BAD_PADDING, 22},
        {"-----BEGIN A-----\nProc-Type: 4,ENCRYPTED\n\nAAEC\n-----END A-----\n", MOTE_EDECODE,
         MOTE_ASN1_R_BAD_BASE64, 22},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mote_asn1_pem_reader_init(&pr, mote_slice_str(bad[i].text));
        mote_buf_reset(&der);
        int rc = mote_asn1_pem_next(&pr, &label, &der, NULL, &e);
        ck_assert_msg(rc == bad[i].rc, "case %zu: rc %d", i, rc);
        ck_assert_msg(e.reason == bad[i].reason, "case %zu: %s", i,
                      mote_asn1_reason_text(e.reason));
        ck_assert_msg(e.offset == bad[i].offset, "case %zu: offset %zu", i, e.offset);
        ck_assert_uint_eq(der.len, 0);
    }
    /* The size bound. */
    mote_buf_reset(&text);
    static uint8_t big[4096];
    mote_asn1_pem_write(&text, "BIG", mote_slice_make(big, sizeof big));
    mote_asn1_pem_reader_init(&pr, mote_buf_slice(&text));
    pr.max_block = 1000;
    mote_buf_reset(&der);
    ck_assert_int_eq(mote_asn1_pem_next(&pr, &label, &der, NULL, &e), MOTE_ELIMIT);
    ck_assert_int_eq(e.reason, MOTE_ASN1_R_TOO_LARGE);
    /* Plain base64. */
    mote_buf_reset(&der);
    size_t at = 0;
    ck_assert_int_eq(mote_asn1_base64_decode(mote_slice_str("Zm9vYmFy"), &der, &at), 0);
    ck_assert(mote_slice_eq(mote_buf_slice(&der), mote_slice_str("foobar")));
    ck_assert_int_eq(mote_asn1_base64_decode(mote_slice_str("Zm9v YmFy"), &der, &at), MOTE_EDECODE);
    ck_assert_uint_eq(at, 4);
    ck_assert_int_eq(mote_asn1_base64_decode(mote_slice_str("Zm9vYg"), &der, &at), MOTE_EDECODE);
    mote_buf_reset(&der);
    ck_assert_int_eq(mote_asn1_base64_encode(mote_slice_str("fo"), &der), 0);
    ck_assert(mote_slice_eq(mote_buf_slice(&der), mote_slice_str("Zm8=")));
    mote_buf_free(&text);
    mote_buf_free(&der);
}
END_TEST

static Suite *asn1_suite(void)
{
    Suite *s = suite_create("asn1");
    TCase *tc = tcase_create("asn1");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tags);
    tcase_add_test(tc, test_bool_int);
    tcase_add_test(tc, test_big_integers);
    tcase_add_test(tc, test_bits);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_times);
    tcase_add_test(tc, test_oids);
    tcase_add_test(tc, test_writer_nesting);
    tcase_add_test(tc, test_set_of_sorting);
    tcase_add_loop_test(tc, test_malformed, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_reader_bounds);
    tcase_add_test(tc, test_schema);
    tcase_add_test(tc, test_system_certificates);
    tcase_add_test(tc, test_limbo_certificates);
    tcase_add_test(tc, test_schema_with_cursor);
    tcase_add_test(tc, test_pem);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(asn1_suite());
}
