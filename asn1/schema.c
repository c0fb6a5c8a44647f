/* schema.c - decoding into and encoding from C structs described by
 * mote_asn1_field tables. */
#include "asn1_internal.h"

#include <string.h>

#define CONS_BIT ((mote_asn1_tag)MOTE_ASN1_CONSTRUCTED << 24)

/* The universal tag of a kind, or 0 for kinds that take several tags
 * (STRING, TIME, ANY, CHOICE) and RAW/TYPED_STRING (whose tag is utag). */
static mote_asn1_tag kind_tag(const mote_asn1_field *f)
{
    switch (f->kind) {
    case MOTE_ASN1_K_BOOL:
        return MOTE_ASN1_BOOLEAN;
    case MOTE_ASN1_K_INT64:
    case MOTE_ASN1_K_INTEGER:
    case MOTE_ASN1_K_UINT:
        return MOTE_ASN1_INTEGER;
    case MOTE_ASN1_K_ENUM:
        return MOTE_ASN1_ENUMERATED;
    case MOTE_ASN1_K_BITS:
    case MOTE_ASN1_K_NAMED_BITS:
        return MOTE_ASN1_BIT_STRING;
    case MOTE_ASN1_K_OCTETS:
        return MOTE_ASN1_OCTET_STRING;
    case MOTE_ASN1_K_NULL:
        return MOTE_ASN1_NULL;
    case MOTE_ASN1_K_OID:
        return MOTE_ASN1_OID;
    case MOTE_ASN1_K_UTC_TIME:
        return MOTE_ASN1_UTC_TIME;
    case MOTE_ASN1_K_GENERALIZED_TIME:
        return MOTE_ASN1_GENERALIZED_TIME;
    case MOTE_ASN1_K_TYPED_STRING:
    case MOTE_ASN1_K_RAW:
        return f->utag;
    case MOTE_ASN1_K_SEQUENCE:
    case MOTE_ASN1_K_SEQUENCE_OF:
        return MOTE_ASN1_SEQUENCE;
    case MOTE_ASN1_K_SET:
    case MOTE_ASN1_K_SET_OF:
        return MOTE_ASN1_SET;
    default:
        return 0;
    }
}

/* 1 if an element with `tag` can be the value of f (its tagging aside). */
static int untagged_match(const mote_asn1_field *f, mote_asn1_tag tag, int depth)
{
    switch (f->kind) {
    case MOTE_ASN1_K_STRING:
        return mote_asn1_is_string_tag(tag);
    case MOTE_ASN1_K_TIME:
    case MOTE_ASN1_K_TIME_TAGGED:
        return tag == MOTE_ASN1_UTC_TIME || tag == MOTE_ASN1_GENERALIZED_TIME;
    case MOTE_ASN1_K_ANY:
        return 1;
    case MOTE_ASN1_K_CHOICE:
        if (!f->sub || depth > 8)
            return 0;
        for (const mote_asn1_field *a = f->sub; a->kind != MOTE_ASN1_K_END; a++) {
            if (a->tagging == MOTE_ASN1_TAGGING_EXPLICIT) {
                if (tag == (a->tag | CONS_BIT))
                    return 1;
            } else if (a->tagging == MOTE_ASN1_TAGGING_IMPLICIT) {
                if ((tag & ~CONS_BIT) == (a->tag & ~CONS_BIT) &&
                    (tag & CONS_BIT) == (kind_tag(a) & CONS_BIT))
                    return 1;
            } else if (untagged_match(a, tag, depth + 1)) {
                return 1;
            }
        }
        return 0;
    default:
        return tag == kind_tag(f);
    }
}

/* 1 if the element with `tag` is f's (tagging included). */
static int field_match(const mote_asn1_field *f, mote_asn1_tag tag)
{
    if (f->tagging == MOTE_ASN1_TAGGING_EXPLICIT)
        return tag == (f->tag | CONS_BIT);
    if (f->tagging == MOTE_ASN1_TAGGING_IMPLICIT)
        return (tag & ~CONS_BIT) == (f->tag & ~CONS_BIT) &&
               (tag & CONS_BIT) == (kind_tag(f) & CONS_BIT);
    return untagged_match(f, tag, 0);
}

static int schema_fail(mote_asn1_reader *r, const mote_asn1_field *f)
{
    int rc = mote_asn1_reader_fail(r, MOTE_EINVAL, r->base + r->pos, MOTE_ASN1_R_BAD_SCHEMA, 0);
    if (f && !r->error.field)
        r->error.field = f->name;
    return rc;
}

/* A fault in the content of t; stag is the type the content has (the
 * field's own type under IMPLICIT tagging). */
static int content_fail_as(mote_asn1_reader *r, const mote_asn1_tlv *t, mote_asn1_tag stag, int rc,
                           mote_asn1_reason reason)
{
    return mote_asn1_reader_fail(
        r, rc, t->offset + t->hdr_len + asn1_fault_index(stag, t->value, reason), reason, t->tag);
}

static int content_fail(mote_asn1_reader *r, const mote_asn1_tlv *t, int rc,
                        mote_asn1_reason reason)
{
    return content_fail_as(r, t, t->tag, rc, reason);
}

static int read_fields_at(mote_asn1_reader *r, const mote_asn1_field *fields, uint8_t *base);
static int read_value(mote_asn1_reader *r, const mote_asn1_field *f, uint8_t *base,
                      mote_asn1_tag tag);

/* Reads a constructed element with tag and decodes its content with fields. */
static int read_struct(mote_asn1_reader *r, mote_asn1_tag tag, const mote_asn1_field *fields,
                       uint8_t *dst)
{
    int rc = mote_asn1_enter(r, tag, NULL);
    if (!rc)
        rc = read_fields_at(r, fields, dst);
    if (!rc)
        rc = mote_asn1_leave(r);
    return rc;
}

static int read_of(mote_asn1_reader *r, const mote_asn1_field *f, uint8_t *base, mote_asn1_tag tag)
{
    int set = f->kind == MOTE_ASN1_K_SET_OF;
    mote_asn1_tlv outer;
    int rc = mote_asn1_enter(r, tag, &outer);
    if (rc)
        return rc;
    size_t n = 0;
    mote_slice prev = {NULL, 0};
    uint8_t *arr = base + f->offset;
    while (!mote_asn1_at_end(r)) {
        size_t at = r->pos;
        if (n >= f->max)
            return mote_asn1_reader_fail(r, MOTE_ELIMIT, r->base + at, MOTE_ASN1_R_TOO_MANY, 0);
        uint8_t *elem = arr + n * f->elem_size;
        if (f->item) {
            rc = mote_asn1_read_field(r, f->sub, elem);
        } else {
            rc = read_struct(r, MOTE_ASN1_SEQUENCE, f->sub, elem);
        }
        if (rc)
            return rc;
        if (r->pos == at) /* an OPTIONAL item that matched nothing: no progress */
            return mote_asn1_reader_fail(r, MOTE_EDECODE, r->base + at, MOTE_ASN1_R_UNEXPECTED_TAG,
                                         0);
        mote_slice cur = mote_slice_make(r->data + at, r->pos - at);
        if (set && n > 0 && asn1_der_compare(prev, cur) > 0)
            return mote_asn1_reader_fail(r, MOTE_EDECODE, r->base + at, MOTE_ASN1_R_SET_ORDER, 0);
        prev = cur;
        n++;
    }
    if (r->err)
        return r->err;
    if (n < f->min)
        return mote_asn1_reader_fail(r, MOTE_EDECODE, outer.offset, MOTE_ASN1_R_TOO_FEW, tag);
    memcpy(base + f->count, &n, sizeof n);
    return mote_asn1_leave(r);
}

/* Reads the value of f, whose element carries `tag` (the implicit tag or
 * its own); explicit tagging has been removed already. */
static int read_value(mote_asn1_reader *r, const mote_asn1_field *f, uint8_t *base,
                      mote_asn1_tag tag)
{
    uint8_t *dst = base + f->offset;
    mote_asn1_tlv t;
    mote_asn1_reason reason = MOTE_ASN1_R_NONE;
    int rc;
    switch (f->kind) {
    case MOTE_ASN1_K_SEQUENCE:
    case MOTE_ASN1_K_SET:
        if (!f->sub)
            return schema_fail(r, f);
        return read_struct(r, tag, f->sub, dst);
    case MOTE_ASN1_K_SEQUENCE_OF:
    case MOTE_ASN1_K_SET_OF:
        if (!f->sub || f->elem_size == 0)
            return schema_fail(r, f);
        return read_of(r, f, base, tag);
    case MOTE_ASN1_K_CHOICE: {
        mote_asn1_tag actual;
        if ((rc = mote_asn1_peek(r, &actual)))
            return rc == MOTE_ENOTFOUND ? mote_asn1_reader_fail(r, MOTE_EDECODE, r->base + r->pos,
                                                                MOTE_ASN1_R_MISSING, 0)
                                        : rc;
        int idx = 0;
        for (const mote_asn1_field *a = f->sub; a && a->kind != MOTE_ASN1_K_END; a++, idx++) {
            if (field_match(a, actual)) {
                if ((rc = mote_asn1_read_field(r, a, base)))
                    return rc;
                memcpy(dst, &idx, sizeof idx);
                return 0;
            }
        }
        return mote_asn1_reader_fail(r, MOTE_EDECODE, r->base + r->pos, MOTE_ASN1_R_UNEXPECTED_TAG,
                                     actual);
    }
    default:
        break;
    }
    if ((rc = mote_asn1_expect(r, tag, &t)))
        return rc;
    switch (f->kind) {
    case MOTE_ASN1_K_BOOL: {
        bool v;
        if ((rc = mote_asn1_decode_bool(t.value, &v, &reason)))
            break;
        if (f->has_default && (int64_t)v == f->def)
            return content_fail(r, &t, MOTE_EDECODE, MOTE_ASN1_R_DEFAULT_ENCODED);
        memcpy(dst, &v, sizeof v);
        break;
    }
    case MOTE_ASN1_K_INT64:
    case MOTE_ASN1_K_ENUM: {
        int64_t v;
        if ((rc = mote_asn1_decode_int64(t.value, &v, &reason)))
            break;
        if (f->has_default && v == f->def)
            return content_fail(r, &t, MOTE_EDECODE, MOTE_ASN1_R_DEFAULT_ENCODED);
        memcpy(dst, &v, sizeof v);
        break;
    }
    case MOTE_ASN1_K_INTEGER:
        if (!(rc = mote_asn1_check_integer(t.value, &reason)))
            memcpy(dst, &t.value, sizeof t.value);
        break;
    case MOTE_ASN1_K_UINT: {
        mote_slice m;
        if (!(rc = mote_asn1_decode_uint(t.value, &m, &reason)))
            memcpy(dst, &m, sizeof m);
        break;
    }
    case MOTE_ASN1_K_BITS: {
        mote_asn1_bits b;
        if (!(rc = mote_asn1_decode_bits(t.value, &b, &reason)))
            memcpy(dst, &b, sizeof b);
        break;
    }
    case MOTE_ASN1_K_NAMED_BITS: {
        uint32_t v;
        if (!(rc = mote_asn1_decode_named_bits(t.value, &v, &reason)))
            memcpy(dst, &v, sizeof v);
        break;
    }
    case MOTE_ASN1_K_OCTETS:
        memcpy(dst, &t.value, sizeof t.value);
        break;
    case MOTE_ASN1_K_NULL:
        if (t.value.len) {
            rc = MOTE_EDECODE;
            reason = MOTE_ASN1_R_BAD_NULL;
        }
        break;
    case MOTE_ASN1_K_OID:
        if (!(rc = mote_asn1_check_oid(t.value, &reason)))
            memcpy(dst, &t.value, sizeof t.value);
        break;
    case MOTE_ASN1_K_STRING:
    case MOTE_ASN1_K_TYPED_STRING: {
        /* With implicit tagging the string type is the field's own. */
        mote_asn1_tag stag = f->kind == MOTE_ASN1_K_TYPED_STRING ? f->utag : t.tag;
        rc = mote_asn1_string_check(stag, t.value);
        if (rc == MOTE_EINVAL)
            return schema_fail(r, f);
        if (rc) {
            reason = MOTE_ASN1_R_BAD_STRING;
            break;
        }
        if (f->kind == MOTE_ASN1_K_STRING) {
            mote_asn1_string s = {stag, t.value};
            memcpy(dst, &s, sizeof s);
        } else {
            memcpy(dst, &t.value, sizeof t.value);
        }
        break;
    }
    case MOTE_ASN1_K_TIME:
    case MOTE_ASN1_K_TIME_TAGGED:
    case MOTE_ASN1_K_UTC_TIME:
    case MOTE_ASN1_K_GENERALIZED_TIME: {
        mote_asn1_tag ttag =
            f->kind == MOTE_ASN1_K_TIME || f->kind == MOTE_ASN1_K_TIME_TAGGED ? t.tag : kind_tag(f);
        mote_asn1_time v = {{0, 0}, ttag};
        if ((rc = mote_asn1_decode_time(ttag, t.value, &v.time, &reason)))
            break;
        if (f->kind == MOTE_ASN1_K_TIME_TAGGED)
            memcpy(dst, &v, sizeof v);
        else
            memcpy(dst, &v.time, sizeof v.time);
        break;
    }
    case MOTE_ASN1_K_ANY:
    case MOTE_ASN1_K_RAW:
        memcpy(dst, &t, sizeof t);
        break;
    default:
        return schema_fail(r, f);
    }
    if (rc) {
        mote_asn1_tag stag = t.tag;
        if (f->kind == MOTE_ASN1_K_TYPED_STRING)
            stag = f->utag;
        return content_fail_as(r, &t, stag, rc, reason);
    }
    return 0;
}

/* Size of the C value a kind stores (0 for nested structs and NULL). */
static size_t value_size(uint8_t kind)
{
    switch (kind) {
    case MOTE_ASN1_K_BOOL:
        return sizeof(bool);
    case MOTE_ASN1_K_INT64:
    case MOTE_ASN1_K_ENUM:
        return sizeof(int64_t);
    case MOTE_ASN1_K_INTEGER:
    case MOTE_ASN1_K_UINT:
    case MOTE_ASN1_K_OCTETS:
    case MOTE_ASN1_K_OID:
    case MOTE_ASN1_K_TYPED_STRING:
        return sizeof(mote_slice);
    case MOTE_ASN1_K_BITS:
        return sizeof(mote_asn1_bits);
    case MOTE_ASN1_K_NAMED_BITS:
        return sizeof(uint32_t);
    case MOTE_ASN1_K_STRING:
        return sizeof(mote_asn1_string);
    case MOTE_ASN1_K_TIME_TAGGED:
        return sizeof(mote_asn1_time);
    case MOTE_ASN1_K_TIME:
    case MOTE_ASN1_K_UTC_TIME:
    case MOTE_ASN1_K_GENERALIZED_TIME:
        return sizeof(mote_time);
    case MOTE_ASN1_K_ANY:
    case MOTE_ASN1_K_RAW:
        return sizeof(mote_asn1_tlv);
    default:
        return 0;
    }
}

static void set_absent(const mote_asn1_field *f, uint8_t *base)
{
    uint8_t *dst = base + f->offset;
    size_t vs = value_size(f->kind);
    if (vs)
        memset(dst, 0, vs);
    if (f->kind == MOTE_ASN1_K_SEQUENCE_OF || f->kind == MOTE_ASN1_K_SET_OF) {
        size_t zero = 0;
        memcpy(base + f->count, &zero, sizeof zero);
    }
    if (f->raw)
        memset(base + f->raw - 1, 0, sizeof(mote_asn1_tlv));
    if (f->present) {
        bool no = false;
        memcpy(base + f->present - 1, &no, sizeof no);
    }
    if (f->kind == MOTE_ASN1_K_CHOICE) {
        int idx = -1;
        memcpy(dst, &idx, sizeof idx);
    }
    if (f->has_default) {
        if (f->kind == MOTE_ASN1_K_BOOL) {
            bool v = f->def != 0;
            memcpy(dst, &v, sizeof v);
        } else if (f->kind == MOTE_ASN1_K_INT64 || f->kind == MOTE_ASN1_K_ENUM) {
            memcpy(dst, &f->def, sizeof f->def);
        }
    }
}

static int check_field(const mote_asn1_field *f)
{
    if (f->kind <= MOTE_ASN1_K_END || f->kind >= MOTE_ASN1_K_COUNT_ ||
        f->kind == MOTE_ASN1_K_REST) /* REST is only valid in a field list */
        return -1;
    if (f->has_default && f->kind != MOTE_ASN1_K_BOOL && f->kind != MOTE_ASN1_K_INT64 &&
        f->kind != MOTE_ASN1_K_ENUM)
        return -1;
    /* X.680: IMPLICIT cannot apply to an untagged CHOICE or ANY. */
    if (f->tagging == MOTE_ASN1_TAGGING_IMPLICIT &&
        (f->kind == MOTE_ASN1_K_CHOICE || f->kind == MOTE_ASN1_K_ANY ||
         f->kind == MOTE_ASN1_K_STRING || f->kind == MOTE_ASN1_K_TIME ||
         f->kind == MOTE_ASN1_K_TIME_TAGGED))
        return -1;
    if (f->tagging > MOTE_ASN1_TAGGING_EXPLICIT)
        return -1;
    return 0;
}

int mote_asn1_read_field(mote_asn1_reader *r, const mote_asn1_field *f, void *out)
{
    if (r->err)
        return r->err;
    if (!f || !out || check_field(f))
        return schema_fail(r, f);
    uint8_t *base = out;
    int optional = f->optional || f->has_default || f->present;
    mote_asn1_tag tag;
    int rc = mote_asn1_peek(r, &tag);
    if (rc == MOTE_ENOTFOUND || (rc == 0 && !field_match(f, tag))) {
        if (optional) {
            set_absent(f, base);
            return 0;
        }
        if (rc == MOTE_ENOTFOUND)
            rc = mote_asn1_reader_fail(r, MOTE_EDECODE, r->base + r->pos, MOTE_ASN1_R_MISSING, 0);
        else
            rc = mote_asn1_reader_fail(r, MOTE_EDECODE, r->base + r->pos,
                                       MOTE_ASN1_R_UNEXPECTED_TAG, tag);
        r->error.field = f->name;
        return rc;
    }
    if (rc) {
        if (!r->error.field)
            r->error.field = f->name;
        return rc;
    }
    if (f->raw) {
        /* The whole element, explicit tag included. */
        mote_asn1_reader probe = *r;
        mote_asn1_tlv whole;
        if (mote_asn1_next(&probe, &whole) == 0)
            memcpy(base + f->raw - 1, &whole, sizeof whole);
    }
    if (f->tagging == MOTE_ASN1_TAGGING_EXPLICIT) {
        rc = mote_asn1_enter(r, f->tag | CONS_BIT, NULL);
        if (!rc) {
            mote_asn1_tag inner;
            rc = mote_asn1_peek(r, &inner);
            if (rc == MOTE_ENOTFOUND)
                rc = mote_asn1_reader_fail(r, MOTE_EDECODE, r->base + r->pos, MOTE_ASN1_R_MISSING,
                                           0);
            else if (!rc && !untagged_match(f, inner, 0))
                rc = mote_asn1_reader_fail(r, MOTE_EDECODE, r->base + r->pos,
                                           MOTE_ASN1_R_UNEXPECTED_TAG, inner);
            if (!rc)
                rc = read_value(r, f, base, inner);
            if (!rc)
                rc = mote_asn1_leave(r);
        }
    } else {
        rc = read_value(r, f, base, tag);
    }
    if (rc) {
        if (!r->error.field)
            r->error.field = f->name;
        return rc;
    }
    if (f->present) {
        bool yes = true;
        memcpy(base + f->present - 1, &yes, sizeof yes);
    }
    return 0;
}

static int read_fields_at(mote_asn1_reader *r, const mote_asn1_field *fields, uint8_t *base)
{
    for (const mote_asn1_field *f = fields; f->kind != MOTE_ASN1_K_END; f++) {
        if (f->kind == MOTE_ASN1_K_REST) {
            /* Extension marker: skip the rest of this level (still DER). */
            while (!mote_asn1_at_end(r))
                if (mote_asn1_next(r, NULL))
                    break;
            if (r->err && !r->error.field)
                r->error.field = f->name;
            if (r->err)
                return r->err;
            continue;
        }
        int rc = mote_asn1_read_field(r, f, base);
        if (rc)
            return rc;
    }
    return r->err;
}

int mote_asn1_read_fields(mote_asn1_reader *r, const mote_asn1_field *fields, void *out)
{
    if (r->err)
        return r->err;
    if (!fields || !out)
        return schema_fail(r, NULL);
    return read_fields_at(r, fields, out);
}

int mote_asn1_decode(const mote_asn1_field *fields, mote_slice der, void *out, mote_asn1_error *e)
{
    mote_asn1_reader r;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    int rc = (!fields || !out) ? schema_fail(&r, NULL) : 0;
    if (!rc)
        rc = read_struct(&r, MOTE_ASN1_SEQUENCE, fields, out);
    if (!rc)
        rc = mote_asn1_reader_finish(&r);
    if (rc && e)
        *e = r.error;
    else if (e)
        memset(e, 0, sizeof *e);
    return rc;
}

/* ---- encoding ---- */

static int write_fields_at(mote_asn1_writer *w, const mote_asn1_field *fields, const uint8_t *base);
static int write_field(mote_asn1_writer *w, const mote_asn1_field *f, const uint8_t *base);

static int is_absent(const mote_asn1_field *f, const uint8_t *base)
{
    const uint8_t *src = base + f->offset;
    if (f->present) {
        bool p;
        memcpy(&p, base + f->present - 1, sizeof p);
        return !p;
    }
    if (f->has_default) {
        if (f->kind == MOTE_ASN1_K_BOOL) {
            bool v;
            memcpy(&v, src, sizeof v);
            return (int64_t)v == f->def;
        }
        int64_t v;
        memcpy(&v, src, sizeof v);
        return v == f->def;
    }
    if (!f->optional)
        return 0;
    switch (f->kind) {
    case MOTE_ASN1_K_INTEGER:
    case MOTE_ASN1_K_UINT:
    case MOTE_ASN1_K_OCTETS:
    case MOTE_ASN1_K_OID:
    case MOTE_ASN1_K_TYPED_STRING: {
        mote_slice s;
        memcpy(&s, src, sizeof s);
        return s.ptr == NULL;
    }
    case MOTE_ASN1_K_BITS: {
        mote_asn1_bits b;
        memcpy(&b, src, sizeof b);
        return b.bytes.ptr == NULL;
    }
    case MOTE_ASN1_K_STRING: {
        mote_asn1_string s;
        memcpy(&s, src, sizeof s);
        return s.tag == 0;
    }
    case MOTE_ASN1_K_ANY:
    case MOTE_ASN1_K_RAW: {
        mote_asn1_tlv t;
        memcpy(&t, src, sizeof t);
        return t.tag == 0;
    }
    case MOTE_ASN1_K_CHOICE: {
        int idx;
        memcpy(&idx, src, sizeof idx);
        return idx < 0;
    }
    case MOTE_ASN1_K_SEQUENCE_OF:
    case MOTE_ASN1_K_SET_OF: {
        size_t n;
        memcpy(&n, base + f->count, sizeof n);
        return n == 0;
    }
    default:
        return 0;
    }
}

static int write_value(mote_asn1_writer *w, const mote_asn1_field *f, const uint8_t *base)
{
    const uint8_t *src = base + f->offset;
    switch (f->kind) {
    case MOTE_ASN1_K_BOOL: {
        bool v;
        memcpy(&v, src, sizeof v);
        return mote_asn1_write_bool(w, v);
    }
    case MOTE_ASN1_K_INT64:
    case MOTE_ASN1_K_ENUM: {
        int64_t v;
        memcpy(&v, src, sizeof v);
        return f->kind == MOTE_ASN1_K_ENUM ? mote_asn1_write_enumerated(w, v)
                                           : mote_asn1_write_int64(w, v);
    }
    case MOTE_ASN1_K_INTEGER:
    case MOTE_ASN1_K_UINT:
    case MOTE_ASN1_K_OCTETS:
    case MOTE_ASN1_K_OID:
    case MOTE_ASN1_K_TYPED_STRING: {
        mote_slice s;
        memcpy(&s, src, sizeof s);
        if (f->kind == MOTE_ASN1_K_INTEGER)
            return mote_asn1_write_integer(w, s);
        if (f->kind == MOTE_ASN1_K_UINT)
            return mote_asn1_write_uint(w, s);
        if (f->kind == MOTE_ASN1_K_OCTETS)
            return mote_asn1_write_octets(w, s);
        if (f->kind == MOTE_ASN1_K_OID)
            return mote_asn1_write_oid(w, s);
        return mote_asn1_write_string(w, f->utag, s);
    }
    case MOTE_ASN1_K_BITS: {
        mote_asn1_bits b;
        memcpy(&b, src, sizeof b);
        return mote_asn1_write_bits(w, b.bytes, b.unused);
    }
    case MOTE_ASN1_K_NAMED_BITS: {
        uint32_t v;
        memcpy(&v, src, sizeof v);
        return mote_asn1_write_named_bits(w, v);
    }
    case MOTE_ASN1_K_NULL:
        return mote_asn1_write_null(w);
    case MOTE_ASN1_K_STRING: {
        mote_asn1_string s;
        memcpy(&s, src, sizeof s);
        return mote_asn1_write_string(w, s.tag, s.value);
    }
    case MOTE_ASN1_K_TIME_TAGGED: {
        mote_asn1_time t;
        memcpy(&t, src, sizeof t);
        return mote_asn1_write_time_as(w, &t);
    }
    case MOTE_ASN1_K_TIME:
    case MOTE_ASN1_K_UTC_TIME:
    case MOTE_ASN1_K_GENERALIZED_TIME: {
        mote_time t;
        memcpy(&t, src, sizeof t);
        if (f->kind == MOTE_ASN1_K_UTC_TIME)
            return mote_asn1_write_utc_time(w, t);
        if (f->kind == MOTE_ASN1_K_GENERALIZED_TIME)
            return mote_asn1_write_generalized_time(w, t);
        return mote_asn1_write_time(w, t);
    }
    case MOTE_ASN1_K_ANY:
    case MOTE_ASN1_K_RAW: {
        mote_asn1_tlv t;
        memcpy(&t, src, sizeof t);
        if (t.tag == 0 || (f->kind == MOTE_ASN1_K_RAW && t.tag != f->utag &&
                           f->tagging != MOTE_ASN1_TAGGING_IMPLICIT))
            return w->err ? w->err : (w->err = MOTE_EINVAL);
        if (w->implicit || f->kind == MOTE_ASN1_K_RAW)
            return mote_asn1_write_tlv(w, f->kind == MOTE_ASN1_K_RAW ? f->utag : t.tag, t.value);
        return mote_asn1_write_raw(w, t.raw);
    }
    case MOTE_ASN1_K_SEQUENCE:
    case MOTE_ASN1_K_SET:
        if (!f->sub)
            return w->err ? w->err : (w->err = MOTE_EINVAL);
        mote_asn1_begin(w, kind_tag(f));
        write_fields_at(w, f->sub, src);
        return mote_asn1_end(w);
    case MOTE_ASN1_K_SEQUENCE_OF:
    case MOTE_ASN1_K_SET_OF: {
        size_t n;
        memcpy(&n, base + f->count, sizeof n);
        if (!f->sub || n > f->max || n < f->min)
            return w->err ? w->err : (w->err = MOTE_EINVAL);
        if (f->kind == MOTE_ASN1_K_SET_OF)
            mote_asn1_begin_set_of(w, MOTE_ASN1_SET);
        else
            mote_asn1_begin(w, MOTE_ASN1_SEQUENCE);
        for (size_t i = 0; i < n; i++) {
            const uint8_t *elem = src + i * f->elem_size;
            if (f->item) {
                write_field(w, f->sub, elem);
            } else {
                mote_asn1_begin(w, MOTE_ASN1_SEQUENCE);
                write_fields_at(w, f->sub, elem);
                mote_asn1_end(w);
            }
        }
        return mote_asn1_end(w);
    }
    case MOTE_ASN1_K_CHOICE: {
        int idx;
        memcpy(&idx, src, sizeof idx);
        int i = 0;
        for (const mote_asn1_field *a = f->sub; a && a->kind != MOTE_ASN1_K_END; a++, i++)
            if (i == idx)
                return write_field(w, a, base);
        return w->err ? w->err : (w->err = MOTE_EINVAL);
    }
    default:
        return w->err ? w->err : (w->err = MOTE_EINVAL);
    }
}

static int write_field(mote_asn1_writer *w, const mote_asn1_field *f, const uint8_t *base)
{
    if (w->err)
        return w->err;
    if (check_field(f))
        return w->err = MOTE_EINVAL;
    if ((f->optional || f->has_default || f->present) && is_absent(f, base))
        return 0;
    if (f->tagging == MOTE_ASN1_TAGGING_EXPLICIT) {
        mote_asn1_begin(w, f->tag);
        write_value(w, f, base);
        return mote_asn1_end(w);
    }
    if (f->tagging == MOTE_ASN1_TAGGING_IMPLICIT)
        mote_asn1_implicit(w, f->tag);
    return write_value(w, f, base);
}

static int write_fields_at(mote_asn1_writer *w, const mote_asn1_field *fields, const uint8_t *base)
{
    for (const mote_asn1_field *f = fields; f->kind != MOTE_ASN1_K_END; f++)
        if (f->kind != MOTE_ASN1_K_REST && write_field(w, f, base))
            return w->err;
    return w->err;
}

int mote_asn1_encode(const mote_asn1_field *fields, const void *in, mote_asn1_writer *w)
{
    if (w->err)
        return w->err;
    if (!fields || !in)
        return w->err = MOTE_EINVAL;
    mote_asn1_begin(w, MOTE_ASN1_SEQUENCE);
    write_fields_at(w, fields, in);
    return mote_asn1_end(w);
}
