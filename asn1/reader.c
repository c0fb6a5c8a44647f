/* reader.c - DER headers, the reader cursor, typed reads, error texts. */
#include "asn1_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const reason_texts[MOTE_ASN1_R_COUNT_] = {
    [MOTE_ASN1_R_NONE] = "no error",
    [MOTE_ASN1_R_TRUNCATED] = "element header runs past the end of the input",
    [MOTE_ASN1_R_LENGTH_PAST_END] = "length runs past the end of the enclosing element",
    [MOTE_ASN1_R_INDEFINITE_LENGTH] = "indefinite length (BER only, not DER)",
    [MOTE_ASN1_R_NONMINIMAL_LENGTH] = "non-minimal length encoding",
    [MOTE_ASN1_R_LENGTH_TOO_BIG] = "length too large to represent",
    [MOTE_ASN1_R_NONMINIMAL_TAG] = "non-minimal tag number encoding",
    [MOTE_ASN1_R_TAG_TOO_BIG] = "tag number too large",
    [MOTE_ASN1_R_TRAILING_BYTES] = "trailing bytes after the last element",
    [MOTE_ASN1_R_UNEXPECTED_TAG] = "unexpected tag",
    [MOTE_ASN1_R_MISSING] = "required element missing",
    [MOTE_ASN1_R_CONSTRUCTED_FORM] = "wrong primitive/constructed form for the type",
    [MOTE_ASN1_R_BAD_BOOLEAN] = "BOOLEAN not a single 0x00 or 0xFF octet",
    [MOTE_ASN1_R_EMPTY_INTEGER] = "INTEGER with no content octets",
    [MOTE_ASN1_R_NONMINIMAL_INTEGER] = "INTEGER with redundant leading octet",
    [MOTE_ASN1_R_INTEGER_RANGE] = "INTEGER out of range",
    [MOTE_ASN1_R_BAD_BIT_STRING] = "malformed BIT STRING unused-bits octet",
    [MOTE_ASN1_R_BIT_STRING_PADDING] = "BIT STRING unused bits not zero",
    [MOTE_ASN1_R_BIT_STRING_TRAILING] = "named BIT STRING with trailing zero bits",
    [MOTE_ASN1_R_BAD_NULL] = "NULL with content",
    [MOTE_ASN1_R_BAD_OID] = "malformed OBJECT IDENTIFIER",
    [MOTE_ASN1_R_NONMINIMAL_OID] = "OID sub-identifier starts with 0x80",
    [MOTE_ASN1_R_BAD_STRING] = "characters not allowed in the string type",
    [MOTE_ASN1_R_BAD_TIME] = "time not in DER form",
    [MOTE_ASN1_R_TIME_RANGE] = "time field out of range",
    [MOTE_ASN1_R_DEPTH] = "nesting deeper than the bound",
    [MOTE_ASN1_R_TOO_MANY] = "more elements than the bound",
    [MOTE_ASN1_R_TOO_FEW] = "fewer elements than required",
    [MOTE_ASN1_R_DEFAULT_ENCODED] = "DEFAULT value encoded (DER omits it)",
    [MOTE_ASN1_R_SET_ORDER] = "SET OF elements not in DER order",
    [MOTE_ASN1_R_BAD_SCHEMA] = "invalid schema",
    [MOTE_ASN1_R_PEM_BAD_LABEL] = "malformed PEM BEGIN/END line",
    [MOTE_ASN1_R_PEM_LABEL_MISMATCH] = "PEM END label differs from BEGIN label",
    [MOTE_ASN1_R_PEM_NO_END] = "PEM block without END line",
    [MOTE_ASN1_R_BAD_BASE64] = "character not allowed in base64",
    [MOTE_ASN1_R_BAD_PADDING] = "bad base64 padding or length",
    [MOTE_ASN1_R_TOO_LARGE] = "PEM block larger than the bound",
};

const char *mote_asn1_reason_text(mote_asn1_reason reason)
{
    if ((unsigned)reason >= MOTE_ASN1_R_COUNT_ || !reason_texts[reason])
        return "unknown reason";
    return reason_texts[reason];
}

const char *mote_asn1_error_format(const mote_asn1_error *e, char *out, size_t n)
{
    if (!out || n == 0)
        return out;
    if (e->field)
        snprintf(out, n, "offset %zu: %s (field %s)", e->offset, mote_asn1_reason_text(e->reason),
                 e->field);
    else
        snprintf(out, n, "offset %zu: %s", e->offset, mote_asn1_reason_text(e->reason));
    return out;
}

static const char *const universal_names[31] = {
    [0] = "EOC",
    [1] = "BOOLEAN",
    [2] = "INTEGER",
    [3] = "BIT STRING",
    [4] = "OCTET STRING",
    [5] = "NULL",
    [6] = "OBJECT IDENTIFIER",
    [7] = "ObjectDescriptor",
    [8] = "EXTERNAL",
    [9] = "REAL",
    [10] = "ENUMERATED",
    [11] = "EMBEDDED PDV",
    [12] = "UTF8String",
    [13] = "RELATIVE-OID",
    [14] = "TIME",
    [16] = "SEQUENCE",
    [17] = "SET",
    [18] = "NumericString",
    [19] = "PrintableString",
    [20] = "TeletexString",
    [21] = "VideotexString",
    [22] = "IA5String",
    [23] = "UTCTime",
    [24] = "GeneralizedTime",
    [25] = "GraphicString",
    [26] = "VisibleString",
    [27] = "GeneralString",
    [28] = "UniversalString",
    [29] = "CHARACTER STRING",
    [30] = "BMPString",
};

const char *mote_asn1_tag_name(mote_asn1_tag tag, char *out, size_t n)
{
    if (!out || n == 0)
        return out;
    uint32_t num = MOTE_ASN1_TAG_NUM(tag);
    switch (MOTE_ASN1_TAG_CLASS(tag)) {
    case MOTE_ASN1_CLASS_UNIVERSAL:
        if (num < 31 && universal_names[num])
            snprintf(out, n, "%s", universal_names[num]);
        else
            snprintf(out, n, "[UNIVERSAL %u]", (unsigned)num);
        break;
    case MOTE_ASN1_CLASS_APPLICATION:
        snprintf(out, n, "[APPLICATION %u]", (unsigned)num);
        break;
    case MOTE_ASN1_CLASS_CONTEXT:
        snprintf(out, n, "[%u]", (unsigned)num);
        break;
    default:
        snprintf(out, n, "[PRIVATE %u]", (unsigned)num);
        break;
    }
    return out;
}

/* Universal types DER always encodes primitive (1) or constructed (2). */
static int universal_form(uint32_t num)
{
    switch (num) {
    case 16:
    case 17:
        return 2;
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 9:
    case 10:
    case 12:
    case 13:
    case 18:
    case 19:
    case 20:
    case 21:
    case 22:
    case 23:
    case 24:
    case 25:
    case 26:
    case 27:
    case 28:
    case 30:
        return 1;
    default:
        return 0;
    }
}

int asn1_parse_header(const uint8_t *data, size_t pos, size_t end, int lax, asn1_hdr *h,
                      mote_asn1_reason *reason, size_t *fault, mote_asn1_reason *lax_reason,
                      size_t *lax_fault)
{
    size_t p = pos;
    if (p >= end) {
        *reason = MOTE_ASN1_R_TRUNCATED;
        *fault = pos;
        return MOTE_EDECODE;
    }
    uint8_t id = data[p++];
    uint32_t num = id & 0x1f;
    if (num == 0x1f) {
        num = 0;
        size_t first = p;
        for (;;) {
            if (p >= end) {
                *reason = MOTE_ASN1_R_TRUNCATED;
                *fault = p;
                return MOTE_EDECODE;
            }
            uint8_t b = data[p];
            if (p == first && b == 0x80) {
                *reason = MOTE_ASN1_R_NONMINIMAL_TAG;
                *fault = p;
                return MOTE_EDECODE;
            }
            if (num > (MOTE_ASN1_TAG_NUMBER_MAX >> 7)) {
                *reason = MOTE_ASN1_R_TAG_TOO_BIG;
                *fault = pos;
                return MOTE_ELIMIT;
            }
            num = (num << 7) | (b & 0x7f);
            p++;
            if (!(b & 0x80))
                break;
        }
        if (num < 31) {
            *reason = MOTE_ASN1_R_NONMINIMAL_TAG;
            *fault = pos;
            return MOTE_EDECODE;
        }
    }
    mote_asn1_tag tag = MOTE_ASN1_TAG(id & 0xE0, num);
    if ((id & 0xC0) == 0) {
        int form = universal_form(num);
        if (num == 0) {
            /* End-of-contents only exists with indefinite lengths. */
            *reason = MOTE_ASN1_R_UNEXPECTED_TAG;
            *fault = pos;
            return MOTE_EDECODE;
        }
        if ((form == 1 && (id & 0x20)) || (form == 2 && !(id & 0x20))) {
            *reason = MOTE_ASN1_R_CONSTRUCTED_FORM;
            *fault = pos;
            return MOTE_EDECODE;
        }
    }
    if (p >= end) {
        *reason = MOTE_ASN1_R_TRUNCATED;
        *fault = p;
        return MOTE_EDECODE;
    }
    size_t lpos = p;
    uint8_t l0 = data[p++];
    size_t len;
    if (l0 < 0x80) {
        len = l0;
    } else if (l0 == 0x80) {
        *reason = MOTE_ASN1_R_INDEFINITE_LENGTH;
        *fault = lpos;
        return MOTE_EDECODE;
    } else {
        size_t n = l0 & 0x7f;
        if (l0 == 0xff) {
            *reason = MOTE_ASN1_R_LENGTH_TOO_BIG;
            *fault = lpos;
            return MOTE_EDECODE;
        }
        if (n > end - p) {
            *reason = MOTE_ASN1_R_TRUNCATED;
            *fault = lpos;
            return MOTE_EDECODE;
        }
        size_t i = 0;
        int nonminimal = 0;
        /* Leading zero octets are non-minimal (BER); skip them in lax mode. */
        while (i < n && data[p + i] == 0) {
            nonminimal = 1;
            i++;
        }
        if (n - i > sizeof(size_t)) {
            *reason = MOTE_ASN1_R_LENGTH_TOO_BIG;
            *fault = lpos;
            return MOTE_EDECODE;
        }
        len = 0;
        for (; i < n; i++)
            len = (len << 8) | data[p + i];
        p += n;
        if (len < 0x80 || nonminimal) {
            if (!lax) {
                *reason = MOTE_ASN1_R_NONMINIMAL_LENGTH;
                *fault = lpos;
                return MOTE_EDECODE;
            }
            if (lax_reason && *lax_reason == MOTE_ASN1_R_NONE) {
                *lax_reason = MOTE_ASN1_R_NONMINIMAL_LENGTH;
                *lax_fault = lpos;
            }
        }
    }
    if (len > end - p) {
        *reason = MOTE_ASN1_R_LENGTH_PAST_END;
        *fault = lpos;
        return MOTE_EDECODE;
    }
    h->tag = tag;
    h->hdr_len = p - pos;
    h->len = len;
    return 0;
}

int asn1_der_compare(mote_slice a, mote_slice b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c;
    /* The shorter is padded with zero octets at its end. */
    const mote_slice *longer = a.len > b.len ? &a : &b;
    for (size_t i = n; i < longer->len; i++)
        if (longer->ptr[i])
            return longer == &a ? 1 : -1;
    return 0;
}

/* ---- the cursor ---- */

void mote_asn1_reader_init(mote_asn1_reader *r, const void *data, size_t len)
{
    memset(r, 0, sizeof *r);
    r->data = (const uint8_t *)data;
    r->len = data ? len : 0;
    r->end = r->len;
    r->max_depth = MOTE_ASN1_MAX_DEPTH;
}

void mote_asn1_reader_init_at(mote_asn1_reader *r, mote_slice input, size_t base)
{
    mote_asn1_reader_init(r, input.ptr, input.len);
    r->base = base;
}

void mote_asn1_reader_set_max_depth(mote_asn1_reader *r, unsigned max_depth)
{
    r->max_depth = max_depth > MOTE_ASN1_MAX_DEPTH ? MOTE_ASN1_MAX_DEPTH : max_depth;
}

void mote_asn1_reader_set_flags(mote_asn1_reader *r, unsigned flags)
{
    r->flags = flags;
}

int mote_asn1_reader_fail(mote_asn1_reader *r, int err, size_t offset, mote_asn1_reason reason,
                          mote_asn1_tag tag)
{
    if (r->err)
        return r->err;
    r->err = err;
    r->error.offset = offset;
    r->error.reason = reason;
    r->error.tag = tag;
    r->error.field = NULL;
    return err;
}

/* Fails at an offset within data (the base is added). */
static int fail_at(mote_asn1_reader *r, int err, size_t pos, mote_asn1_reason reason,
                   mote_asn1_tag tag)
{
    return mote_asn1_reader_fail(r, err, r->base + pos, reason, tag);
}

int mote_asn1_at_end(const mote_asn1_reader *r)
{
    return r->err || r->pos >= r->end;
}

/* Parses the header at r->pos into h (nothing consumed). */
static int header(mote_asn1_reader *r, asn1_hdr *h)
{
    mote_asn1_reason reason = MOTE_ASN1_R_NONE, lax_reason = r->warning.reason;
    size_t fault = 0, lax_fault = 0;
    int rc = asn1_parse_header(r->data, r->pos, r->end, (r->flags & MOTE_ASN1_READER_LAX) != 0, h,
                               &reason, &fault, &lax_reason, &lax_fault);
    if (rc)
        return fail_at(r, rc, fault, reason, 0);
    if (lax_reason != r->warning.reason) {
        r->warning.reason = lax_reason;
        r->warning.offset = r->base + lax_fault;
        r->warning.tag = h->tag;
    }
    return 0;
}

int mote_asn1_peek(mote_asn1_reader *r, mote_asn1_tag *tag)
{
    if (r->err)
        return r->err;
    if (r->pos >= r->end)
        return MOTE_ENOTFOUND;
    asn1_hdr h;
    int rc = header(r, &h);
    if (rc)
        return rc;
    if (tag)
        *tag = h.tag;
    return 0;
}

static void fill_tlv(const mote_asn1_reader *r, const asn1_hdr *h, mote_asn1_tlv *out)
{
    out->tag = h->tag;
    out->offset = r->base + r->pos;
    out->hdr_len = h->hdr_len;
    out->value = mote_slice_make(r->data + r->pos + h->hdr_len, h->len);
    out->raw = mote_slice_make(r->data + r->pos, h->hdr_len + h->len);
}

int mote_asn1_next(mote_asn1_reader *r, mote_asn1_tlv *out)
{
    if (r->err)
        return r->err;
    if (r->pos >= r->end)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_MISSING, 0);
    asn1_hdr h;
    int rc = header(r, &h);
    if (rc)
        return rc;
    if (out)
        fill_tlv(r, &h, out);
    r->pos += h.hdr_len + h.len;
    return 0;
}

int mote_asn1_expect(mote_asn1_reader *r, mote_asn1_tag tag, mote_asn1_tlv *out)
{
    if (r->err)
        return r->err;
    if (r->pos >= r->end)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_MISSING, tag);
    asn1_hdr h;
    int rc = header(r, &h);
    if (rc)
        return rc;
    if (h.tag != tag)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_UNEXPECTED_TAG, h.tag);
    if (out)
        fill_tlv(r, &h, out);
    r->pos += h.hdr_len + h.len;
    return 0;
}

int mote_asn1_optional(mote_asn1_reader *r, mote_asn1_tag tag, mote_asn1_tlv *out, bool *present)
{
    *present = false;
    mote_asn1_tag t;
    int rc = mote_asn1_peek(r, &t);
    if (rc == MOTE_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (t != tag)
        return 0;
    *present = true;
    return mote_asn1_expect(r, tag, out);
}

int mote_asn1_enter(mote_asn1_reader *r, mote_asn1_tag tag, mote_asn1_tlv *out)
{
    if (r->err)
        return r->err;
    if (r->pos >= r->end)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_MISSING, tag);
    asn1_hdr h;
    int rc = header(r, &h);
    if (rc)
        return rc;
    if (h.tag != tag)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_UNEXPECTED_TAG, h.tag);
    if (!MOTE_ASN1_TAG_IS_CONSTRUCTED(h.tag))
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_CONSTRUCTED_FORM, h.tag);
    if (r->depth >= r->max_depth)
        return fail_at(r, MOTE_ELIMIT, r->pos, MOTE_ASN1_R_DEPTH, h.tag);
    if (out)
        fill_tlv(r, &h, out);
    r->ends[r->depth++] = r->end;
    r->pos += h.hdr_len;
    r->end = r->pos + h.len;
    return 0;
}

int mote_asn1_leave(mote_asn1_reader *r)
{
    if (r->err)
        return r->err;
    if (r->depth == 0)
        return MOTE_ESTATE;
    if (r->pos != r->end)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_TRAILING_BYTES, 0);
    r->end = r->ends[--r->depth];
    return 0;
}

int mote_asn1_leave_skip(mote_asn1_reader *r)
{
    if (r->err)
        return r->err;
    if (r->depth == 0)
        return MOTE_ESTATE;
    /* Still check that what is skipped is well-formed DER elements. */
    while (r->pos < r->end) {
        int rc = mote_asn1_next(r, NULL);
        if (rc)
            return rc;
    }
    return mote_asn1_leave(r);
}

int mote_asn1_reader_finish(mote_asn1_reader *r)
{
    if (r->err)
        return r->err;
    if (r->depth != 0)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_TRAILING_BYTES, 0);
    if (r->pos != r->len)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_TRAILING_BYTES, 0);
    return 0;
}

/* ---- typed reads ---- */

/* Reads an element with tag and records a content fault at its content. */
static int value_fail(mote_asn1_reader *r, const mote_asn1_tlv *t, int rc, mote_asn1_reason reason)
{
    return mote_asn1_reader_fail(
        r, rc, t->offset + t->hdr_len + asn1_fault_index(t->tag, t->value, reason), reason, t->tag);
}

int mote_asn1_read_bool(mote_asn1_reader *r, bool *v)
{
    mote_asn1_tlv t;
    mote_asn1_reason reason;
    int rc = mote_asn1_expect(r, MOTE_ASN1_BOOLEAN, &t);
    if (!rc && (rc = mote_asn1_decode_bool(t.value, v, &reason)))
        return value_fail(r, &t, rc, reason);
    return rc;
}

static int read_int64_tag(mote_asn1_reader *r, mote_asn1_tag tag, int64_t *v)
{
    mote_asn1_tlv t;
    mote_asn1_reason reason;
    int rc = mote_asn1_expect(r, tag, &t);
    if (!rc && (rc = mote_asn1_decode_int64(t.value, v, &reason)))
        return value_fail(r, &t, rc, reason);
    return rc;
}

int mote_asn1_read_int64(mote_asn1_reader *r, int64_t *v)
{
    return read_int64_tag(r, MOTE_ASN1_INTEGER, v);
}

int mote_asn1_read_enumerated(mote_asn1_reader *r, int64_t *v)
{
    return read_int64_tag(r, MOTE_ASN1_ENUMERATED, v);
}

int mote_asn1_read_integer(mote_asn1_reader *r, mote_slice *v)
{
    mote_asn1_tlv t;
    mote_asn1_reason reason;
    int rc = mote_asn1_expect(r, MOTE_ASN1_INTEGER, &t);
    if (!rc && (rc = mote_asn1_check_integer(t.value, &reason)))
        return value_fail(r, &t, rc, reason);
    if (!rc)
        *v = t.value;
    return rc;
}

int mote_asn1_read_uint(mote_asn1_reader *r, mote_slice *magnitude)
{
    mote_asn1_tlv t;
    mote_asn1_reason reason;
    int rc = mote_asn1_expect(r, MOTE_ASN1_INTEGER, &t);
    if (!rc && (rc = mote_asn1_decode_uint(t.value, magnitude, &reason)))
        return value_fail(r, &t, rc, reason);
    return rc;
}

int mote_asn1_read_bits(mote_asn1_reader *r, mote_asn1_bits *v)
{
    mote_asn1_tlv t;
    mote_asn1_reason reason;
    int rc = mote_asn1_expect(r, MOTE_ASN1_BIT_STRING, &t);
    if (!rc && (rc = mote_asn1_decode_bits(t.value, v, &reason)))
        return value_fail(r, &t, rc, reason);
    return rc;
}

int mote_asn1_read_named_bits(mote_asn1_reader *r, uint32_t *v)
{
    mote_asn1_tlv t;
    mote_asn1_reason reason;
    int rc = mote_asn1_expect(r, MOTE_ASN1_BIT_STRING, &t);
    if (!rc && (rc = mote_asn1_decode_named_bits(t.value, v, &reason)))
        return value_fail(r, &t, rc, reason);
    return rc;
}

int mote_asn1_read_octets(mote_asn1_reader *r, mote_slice *v)
{
    mote_asn1_tlv t;
    int rc = mote_asn1_expect(r, MOTE_ASN1_OCTET_STRING, &t);
    if (!rc)
        *v = t.value;
    return rc;
}

int mote_asn1_read_null(mote_asn1_reader *r)
{
    mote_asn1_tlv t;
    int rc = mote_asn1_expect(r, MOTE_ASN1_NULL, &t);
    if (!rc && t.value.len != 0)
        return value_fail(r, &t, MOTE_EDECODE, MOTE_ASN1_R_BAD_NULL);
    return rc;
}

int mote_asn1_read_oid(mote_asn1_reader *r, mote_slice *oid)
{
    mote_asn1_tlv t;
    mote_asn1_reason reason;
    int rc = mote_asn1_expect(r, MOTE_ASN1_OID, &t);
    if (!rc && (rc = mote_asn1_check_oid(t.value, &reason)))
        return value_fail(r, &t, rc, reason);
    if (!rc)
        *oid = t.value;
    return rc;
}

int mote_asn1_read_string(mote_asn1_reader *r, mote_asn1_tag tag, mote_slice *v)
{
    mote_asn1_tlv t;
    int rc = mote_asn1_expect(r, tag, &t);
    if (rc)
        return rc;
    rc = mote_asn1_string_check(tag, t.value);
    if (rc == MOTE_EINVAL)
        return rc;
    if (rc)
        return value_fail(r, &t, rc, MOTE_ASN1_R_BAD_STRING);
    *v = t.value;
    return 0;
}

int mote_asn1_read_any_string(mote_asn1_reader *r, mote_asn1_string *v)
{
    mote_asn1_tag tag;
    int rc = mote_asn1_peek(r, &tag);
    if (rc == MOTE_ENOTFOUND)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_MISSING, 0);
    if (rc)
        return rc;
    if (!mote_asn1_is_string_tag(tag))
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_UNEXPECTED_TAG, tag);
    v->tag = tag;
    return mote_asn1_read_string(r, tag, &v->value);
}

int mote_asn1_read_time(mote_asn1_reader *r, mote_time *t, mote_asn1_tag *tagp)
{
    mote_asn1_tag tag;
    int rc = mote_asn1_peek(r, &tag);
    if (rc == MOTE_ENOTFOUND)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_MISSING, 0);
    if (rc)
        return rc;
    if (tag != MOTE_ASN1_UTC_TIME && tag != MOTE_ASN1_GENERALIZED_TIME)
        return fail_at(r, MOTE_EDECODE, r->pos, MOTE_ASN1_R_UNEXPECTED_TAG, tag);
    mote_asn1_tlv tlv;
    mote_asn1_reason reason;
    rc = mote_asn1_expect(r, tag, &tlv);
    if (!rc && (rc = mote_asn1_decode_time(tag, tlv.value, t, &reason)))
        return value_fail(r, &tlv, rc, reason);
    if (!rc && tagp)
        *tagp = tag;
    return rc;
}

int mote_asn1_read_implicit(mote_asn1_reader *r, mote_asn1_tag tag, mote_asn1_tlv *out)
{
    return mote_asn1_expect(r, tag, out);
}
