/* dump.c - the tree printer of `mote-asn1 dump` (shared with the fuzzer
 * fuzz-asn1_dump, which feeds it arbitrary bytes). */
#include "dump.h"

#include "mote/asn1.h"
#include "mote/asn1_pem.h"
#include "mote/core.h"

#include <string.h>

#define MAX_ENCAP_DEPTH 24 /* encapsulated DER levels shown */

typedef struct dump {
    FILE *out;
    FILE *err;
    int strict;
    int violations;    /* DER violations seen (lax mode) */
    size_t base;       /* offset of this DER within the printed file */
    const char *label; /* PEM label, for messages */
} dump;

static void print_hex(FILE *out, mote_slice s, size_t max)
{
    size_t n = s.len < max ? s.len : max;
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%02X", s.ptr[i]);
    if (s.len > max)
        fprintf(out, "... (%zu bytes)", s.len);
}

/* Prints text with control and non-ASCII bytes escaped (UTF-8 passes). */
/* Length of the well-formed UTF-8 sequence at p (n bytes left), 0 if none. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    size_t k = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (k == 0 || k > n || p[0] > 0xf4)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return k;
}

/* Prints text quoted, so that it cannot drive the terminal: C0 and C1
 * controls, DEL and bytes that are not well-formed UTF-8 are escaped. */
static void print_text(FILE *out, mote_slice s, size_t max)
{
    fputc('\'', out);
    size_t n = s.len < max ? s.len : max;
    for (size_t i = 0; i < n;) {
        uint8_t c = s.ptr[i];
        if (c == '\'' || c == '\\') {
            fprintf(out, "\\%c", c);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\x%02x", c);
            i++;
        } else if (c < 0x80) {
            fputc(c, out);
            i++;
        } else {
            size_t k = utf8_len(s.ptr + i, n - i);
            if (k == 2 && c == 0xc2 && s.ptr[i + 1] < 0xa0) { /* U+0080..U+009F */
                fprintf(out, "\\u%04x", s.ptr[i + 1]);
                i += 2;
            } else if (k) {
                fwrite(s.ptr + i, 1, k, out);
                i += k;
            } else {
                fprintf(out, "\\x%02x", c);
                i++;
            }
        }
    }
    fputc('\'', out);
    if (s.len > max)
        fprintf(out, "... (%zu bytes)", s.len);
}

static void violation(dump *d, size_t offset, mote_asn1_reason reason)
{
    d->violations++;
    fprintf(d->out, "      !! offset %zu: DER violation: %s\n", offset,
            mote_asn1_reason_text(reason));
}

static int walk(dump *d, mote_asn1_reader *r, int depth, int print);

/* 1 if content is entirely well-formed DER starting with a constructed
 * universal element (so it is shown as encapsulated). */
static int looks_encapsulated(mote_slice content, size_t base, int depth)
{
    if (depth >= MAX_ENCAP_DEPTH || content.len < 2 ||
        (content.ptr[0] != 0x30 && content.ptr[0] != 0x31))
        return 0;
    dump probe = {NULL, NULL, 1, 0, 0, NULL};
    mote_asn1_reader r;
    mote_asn1_reader_init_at(&r, content, base);
    return walk(&probe, &r, depth, 0) == 0 && mote_asn1_reader_finish(&r) == 0;
}

/* Prints the value of a primitive element; returns a DER violation reason
 * found in its content, or MOTE_ASN1_R_NONE. */
static mote_asn1_reason print_value(FILE *out, const mote_asn1_tlv *t, int print)
{
    mote_asn1_reason why = MOTE_ASN1_R_NONE;
    mote_slice v = t->value;
    switch (t->tag) {
    case MOTE_ASN1_BOOLEAN: {
        bool b;
        if (mote_asn1_decode_bool(v, &b, &why) == 0) {
            if (print)
                fprintf(out, "%s", b ? "TRUE" : "FALSE");
        } else if (print) {
            print_hex(out, v, 8);
        }
        return why;
    }
    case MOTE_ASN1_INTEGER:
    case MOTE_ASN1_ENUMERATED: {
        int64_t x;
        int rc = mote_asn1_decode_int64(v, &x, &why);
        if (rc == MOTE_ERANGE)
            why = MOTE_ASN1_R_NONE; /* valid, just wider than 64 bits */
        if (print) {
            if (rc == 0) {
                fprintf(out, "%lld", (long long)x);
                if (v.len > 4) {
                    fprintf(out, " (0x");
                    print_hex(out, v, 8);
                    fprintf(out, ")");
                }
            } else {
                print_hex(out, v, 24);
                if (rc == MOTE_ERANGE && v.len <= 24)
                    fprintf(out, " (%zu bytes)", v.len);
            }
        }
        return why;
    }
    case MOTE_ASN1_BIT_STRING: {
        mote_asn1_bits b;
        if (mote_asn1_decode_bits(v, &b, &why) == 0) {
            if (print) {
                fprintf(out, "(%zu bits) ", mote_asn1_bits_count(&b));
                print_hex(out, b.bytes, 24);
            }
        } else if (print) {
            print_hex(out, v, 24);
        }
        return why;
    }
    case MOTE_ASN1_OCTET_STRING:
        if (print)
            print_hex(out, v, 24);
        return why;
    case MOTE_ASN1_NULL:
        if (v.len)
            why = MOTE_ASN1_R_BAD_NULL;
        return why;
    case MOTE_ASN1_OID: {
        char text[MOTE_ASN1_OID_TEXT_MAX];
        if (mote_asn1_check_oid(v, &why)) {
            if (print)
                print_hex(out, v, 24);
            return why;
        }
        int rc = mote_asn1_oid_to_text(v, text, sizeof text);
        if (print) {
            mote_asn1_oid_id id = mote_asn1_oid_lookup(v);
            if (id != MOTE_ASN1_OID_UNKNOWN)
                fprintf(out, "%s (%s)", mote_asn1_oid_name(id), text);
            else if (rc == 0)
                fprintf(out, "%s", text);
            else
                print_hex(out, v, 24);
        }
        return why;
    }
    case MOTE_ASN1_UTC_TIME:
    case MOTE_ASN1_GENERALIZED_TIME: {
        mote_time tm;
        char text[32];
        int rc = mote_asn1_decode_time(t->tag, v, &tm, &why);
        if (print) {
            if (rc == 0 && mote_time_format_rfc3339(tm.sec, text, sizeof text) == 0) {
                fprintf(out, "%s", text);
                if (tm.nsec)
                    fprintf(out, " +%09u ns", (unsigned)tm.nsec);
                fprintf(out, " (");
                print_text(out, v, 32);
                fprintf(out, ")");
            } else {
                print_text(out, v, 32);
            }
        }
        return why;
    }
    default:
        if (mote_asn1_is_string_tag(t->tag)) {
            if (mote_asn1_string_check(t->tag, v) != 0)
                why = MOTE_ASN1_R_BAD_STRING;
            if (!print)
                return why;
            /* Show the first 200 characters or so as UTF-8. */
            size_t unit = t->tag == MOTE_ASN1_UNIVERSAL_STRING ? 4
                          : t->tag == MOTE_ASN1_BMP_STRING     ? 2
                                                               : 1;
            size_t n = v.len < 200 * unit ? v.len : 200 * unit;
            mote_buf u;
            mote_buf_init(&u, 4096);
            if (why == MOTE_ASN1_R_NONE && unit > 1 &&
                mote_asn1_string_to_utf8(t->tag, mote_slice_make(v.ptr, n), &u) == 0)
                print_text(out, mote_buf_slice(&u), u.len);
            else if (why == MOTE_ASN1_R_NONE && t->tag == MOTE_ASN1_TELETEX_STRING &&
                     mote_asn1_string_to_utf8(t->tag, mote_slice_make(v.ptr, n), &u) == 0)
                print_text(out, mote_buf_slice(&u), u.len);
            else if (why == MOTE_ASN1_R_NONE)
                print_text(out, mote_slice_make(v.ptr, n), n);
            else
                print_hex(out, v, 24);
            if (n < v.len)
                fprintf(out, "... (%zu bytes)", v.len);
            mote_buf_free(&u);
            return why;
        }
        if (print)
            print_hex(out, v, 24);
        return why;
    }
}

/* Prints the start of an element's line; returns the characters printed. */
static int print_line(const dump *d, const mote_asn1_tlv *t, int depth)
{
    char name[48];
    return fprintf(d->out, "%6zu:d=%-2d hl=%zu l=%5zu %s: %*s%s", t->offset + d->base, depth,
                   t->hdr_len, t->value.len, MOTE_ASN1_TAG_IS_CONSTRUCTED(t->tag) ? "cons" : "prim",
                   depth, "", mote_asn1_tag_name(t->tag, name, sizeof name));
}

/* Walks the elements of the current level. Returns 0, or 1 on an error that
 * ends the dump (printed when print is set). */
static int walk(dump *d, mote_asn1_reader *r, int depth, int print)
{
    while (!mote_asn1_at_end(r)) {
        mote_asn1_tag tag;
        mote_asn1_tlv t;
        int rc = mote_asn1_peek(r, &tag);
        if (rc == 0)
            rc = MOTE_ASN1_TAG_IS_CONSTRUCTED(tag) ? mote_asn1_enter(r, tag, &t)
                                                   : mote_asn1_next(r, &t);
        if (rc)
            return 1;
        /* A BER length form the lax reader tolerated (never in strict mode). */
        mote_asn1_error tolerated = r->warning;
        int col = 0;
        r->warning.reason = MOTE_ASN1_R_NONE;
        if (tolerated.reason != MOTE_ASN1_R_NONE && !print)
            d->violations++;
        if (tolerated.reason != MOTE_ASN1_R_NONE && print) {
            print_line(d, &t, depth);
            fprintf(d->out, "\n");
            violation(d, tolerated.offset + d->base, tolerated.reason);
            if (MOTE_ASN1_TAG_IS_CONSTRUCTED(tag)) {
                if (walk(d, r, depth + 1, print) || mote_asn1_leave(r))
                    return 1;
                continue;
            }
            col = print_line(d, &t, depth);
        }
        if (print && tolerated.reason == MOTE_ASN1_R_NONE)
            col = print_line(d, &t, depth);
        if (MOTE_ASN1_TAG_IS_CONSTRUCTED(tag)) {
            if (print)
                fprintf(d->out, "\n");
            if (walk(d, r, depth + 1, print) || mote_asn1_leave(r))
                return 1;
            continue;
        }
        if (print && t.tag != MOTE_ASN1_NULL)
            fprintf(d->out, "%*s:", col < 62 ? 62 - col : 1, "");
        mote_asn1_reason why = print_value(d->out, &t, print);
        if (print)
            fprintf(d->out, "\n");
        if (why != MOTE_ASN1_R_NONE) {
            size_t at = t.offset + t.hdr_len;
            if (d->strict) {
                mote_asn1_reader_fail(r, MOTE_EDECODE, at, why, t.tag);
                return 1;
            }
            if (print)
                violation(d, at + d->base, why);
            else
                d->violations++;
            continue;
        }
        /* Show DER carried inside OCTET STRING and BIT STRING (extensions,
         * keys) as encapsulated trees. */
        mote_slice inner = t.value;
        size_t inner_off = t.offset + t.hdr_len;
        if (t.tag == MOTE_ASN1_BIT_STRING && inner.len > 1 && inner.ptr[0] == 0) {
            inner.ptr++;
            inner.len--;
            inner_off++;
        } else if (t.tag != MOTE_ASN1_OCTET_STRING) {
            continue;
        }
        if (print && looks_encapsulated(inner, inner_off, depth + 1)) {
            mote_asn1_reader sub;
            mote_asn1_reader_init_at(&sub, inner, inner_off);
            if (print)
                fprintf(d->out, "%*s-- encapsulates --\n", 32 + depth, "");
            if (walk(d, &sub, depth + 1, print))
                return 1;
        }
    }
    return r->err ? 1 : 0;
}

/* Dumps one DER object; returns the exit status. */
static int dump_der(dump *d, mote_slice der, const char *path)
{
    mote_asn1_reader r;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    if (!d->strict)
        mote_asn1_reader_set_flags(&r, MOTE_ASN1_READER_LAX);
    if (der.len == 0) {
        fprintf(d->err, "mote-asn1: %s: empty input\n", path);
        return 1;
    }
    /* One top-level element; anything after it is trailing data. */
    mote_asn1_tag tag;
    int failed = 0;
    if (mote_asn1_peek(&r, &tag) == 0) {
        mote_asn1_reader one = r;
        mote_asn1_tlv t;
        if (mote_asn1_next(&one, &t) == 0) {
            mote_asn1_reader_init_at(&r, t.raw, 0);
            if (!d->strict)
                mote_asn1_reader_set_flags(&r, MOTE_ASN1_READER_LAX);
            failed = walk(d, &r, 0, 1);
            if (!failed && t.raw.len != der.len) {
                mote_asn1_reader_fail(&r, MOTE_EDECODE, t.raw.len, MOTE_ASN1_R_TRAILING_BYTES, 0);
                failed = 1;
            }
        } else {
            r = one;
            failed = 1;
        }
    } else {
        failed = 1;
    }
    fflush(d->out);
    if (failed) {
        char msg[200];
        mote_asn1_error e = r.error;
        e.offset += d->base;
        fprintf(d->err, "mote-asn1: %s%s%s: %s%s\n", path, d->label ? " " : "",
                d->label ? d->label : "", mote_asn1_error_format(&e, msg, sizeof msg),
                d->strict && e.reason != MOTE_ASN1_R_NONE ? " (--strict)" : "");
        return 1;
    }
    return 0;
}

/* PEM if the first non-blank line is a BEGIN line, or if the input is
 * text (no control bytes but whitespace) with a BEGIN line somewhere, as
 * in `openssl x509 -text` output or a bundle with comments. DER always
 * starts with an identifier octet, and a DER file of text bytes only
 * cannot start a line with "-----BEGIN " and be valid anyway. */
static int looks_like_pem(mote_slice text)
{
    if (mote_asn1_pem_detect(text))
        return 1;
    int begin = 0;
    for (size_t i = 0; i < text.len; i++) {
        uint8_t c = text.ptr[i];
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
            return 0;
        if ((i == 0 || text.ptr[i - 1] == '\n') && text.len - i >= 11 &&
            memcmp(text.ptr + i, "-----BEGIN ", 11) == 0)
            begin = 1;
    }
    return begin;
}

int asn1_dump(mote_slice text, const char *path, int strict, FILE *out, FILE *err)
{
    dump d = {out, err, strict, 0, 0, NULL};
    int status = 0;
    if (looks_like_pem(text)) {
        mote_asn1_pem_reader pr;
        mote_asn1_pem_reader_init(&pr, text);
        mote_buf der;
        mote_buf_init(&der, 0);
        int blocks = 0, rc;
        mote_slice label;
        size_t off;
        mote_asn1_error e;
        char lab[MOTE_ASN1_PEM_LABEL_MAX + 8];
        while ((rc = mote_asn1_pem_next(&pr, &label, &der, &off, &e)) == 0) {
            blocks++;
            snprintf(lab, sizeof lab, "[%.*s]", (int)label.len, (const char *)label.ptr);
            fprintf(out,
                    "%s-----BEGIN %.*s----- (block %d at offset %zu of the text, %zu DER "
                    "bytes; offsets below are in the DER)\n",
                    blocks > 1 ? "\n" : "", (int)label.len, (const char *)label.ptr, blocks, off,
                    der.len);
            d.label = lab;
            int st = dump_der(&d, mote_buf_slice(&der), path);
            if (st > status)
                status = st;
            mote_buf_reset(&der);
            if (st && strict)
                break;
        }
        if (rc != 0 && rc != MOTE_ENOTFOUND) {
            char msg[200];
            fprintf(err, "mote-asn1: %s: PEM: %s\n", path,
                    mote_asn1_error_format(&e, msg, sizeof msg));
            status = 1;
        } else if (blocks == 0) {
            fprintf(err, "mote-asn1: %s: no PEM block\n", path);
            status = 1;
        }
        mote_buf_free(&der);
    } else {
        status = dump_der(&d, text, path);
    }
    if (!strict && d.violations)
        fprintf(out, "%d DER violation%s tolerated (--strict rejects them)\n", d.violations,
                d.violations == 1 ? "" : "s");
    return status;
}
