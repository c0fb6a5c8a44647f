/*
 * mote-asn1: inspect DER and PEM files with libmote-asn1.
 *
 *   mote-asn1 dump [--strict] FILE     the element tree, like openssl asn1parse -i
 *   mote-asn1 oid NAME|DOTTED...       look up object identifiers
 *   mote-asn1 oid --list               the table of well-known OIDs
 *   mote-asn1 pem LABEL FILE           DER to PEM on stdout
 *   mote-asn1 der FILE                 PEM to DER on stdout (every block)
 *
 * Exit status: 0 success, 1 the input is malformed (or not DER with
 * --strict), 2 usage or I/O error.
 */
#include "mote/asn1.h"
#include "mote/asn1_pem.h"
#include "mote/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT       (64u << 20) /* bytes read from a file at most */
#define MAX_ENCAP_DEPTH 24          /* encapsulated DER levels shown */

static const char *prog = "mote-asn1";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s dump [--strict] FILE   print the element tree of a DER or PEM file\n"
            "       %s oid NAME|DOTTED...     look up object identifiers\n"
            "       %s oid --list             list the well-known object identifiers\n"
            "       %s pem LABEL FILE         encode a DER file as PEM (stdout)\n"
            "       %s der FILE               decode every PEM block of a file to DER (stdout)\n"
            "FILE may be '-' for standard input. dump detects PEM; each line shows\n"
            "offset, depth, header length, content length, form, tag and value.\n"
            "Without --strict, DER violations that still allow parsing are shown as\n"
            "warnings; with --strict the first one ends the dump with exit status 1.\n",
            prog, prog, prog, prog, prog);
}

/* Reads a whole file (or stdin) into a buffer bounded by MAX_INPUT. */
static int read_input(const char *path, mote_buf *out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s\n", prog, path);
        return 2;
    }
    mote_buf_init(out, MAX_INPUT);
    uint8_t chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if ((rc = mote_buf_append(out, chunk, n)) != 0)
            break;
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (rc == MOTE_ELIMIT) {
        fprintf(stderr, "%s: %s is larger than %u bytes\n", prog, path, MAX_INPUT);
        return 2;
    }
    if (rc || bad) {
        fprintf(stderr, "%s: cannot read %s\n", prog, path);
        return 2;
    }
    return 0;
}

/* ---- dump ---- */

typedef struct dump {
    int strict;
    int violations;    /* DER violations seen (lax mode) */
    size_t base;       /* offset of this DER within the printed file */
    const char *label; /* PEM label, for messages */
} dump;

static void print_hex(mote_slice s, size_t max)
{
    size_t n = s.len < max ? s.len : max;
    for (size_t i = 0; i < n; i++)
        printf("%02X", s.ptr[i]);
    if (s.len > max)
        printf("... (%zu bytes)", s.len);
}

/* Prints text with control and non-ASCII bytes escaped (UTF-8 passes). */
static void print_text(mote_slice s, size_t max)
{
    putchar('\'');
    size_t n = s.len < max ? s.len : max;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s.ptr[i];
        if (c == '\'' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('\'');
    if (s.len > max)
        printf("... (%zu bytes)", s.len);
}

static void violation(dump *d, size_t offset, mote_asn1_reason reason)
{
    d->violations++;
    printf("      !! offset %zu: DER violation: %s\n", offset, mote_asn1_reason_text(reason));
}

static int walk(dump *d, mote_asn1_reader *r, int depth, int print);

/* 1 if content is entirely well-formed DER starting with a constructed
 * universal element (so it is shown as encapsulated). */
static int looks_encapsulated(mote_slice content, size_t base, int depth)
{
    if (depth >= MAX_ENCAP_DEPTH || content.len < 2 ||
        (content.ptr[0] != 0x30 && content.ptr[0] != 0x31))
        return 0;
    dump probe = {1, 0, 0, NULL};
    mote_asn1_reader r;
    mote_asn1_reader_init_at(&r, content, base);
    return walk(&probe, &r, depth, 0) == 0 && mote_asn1_reader_finish(&r) == 0;
}

/* Prints the value of a primitive element; returns a DER violation reason
 * found in its content, or MOTE_ASN1_R_NONE. */
static mote_asn1_reason print_value(const mote_asn1_tlv *t, int print)
{
    mote_asn1_reason why = MOTE_ASN1_R_NONE;
    mote_slice v = t->value;
    switch (t->tag) {
    case MOTE_ASN1_BOOLEAN: {
        bool b;
        if (mote_asn1_decode_bool(v, &b, &why) == 0) {
            if (print)
                printf("%s", b ? "TRUE" : "FALSE");
        } else if (print) {
            print_hex(v, 8);
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
                printf("%lld", (long long)x);
                if (v.len > 4) {
                    printf(" (0x");
                    print_hex(v, 8);
                    printf(")");
                }
            } else {
                print_hex(v, 24);
                if (rc == MOTE_ERANGE && v.len <= 24)
                    printf(" (%zu bytes)", v.len);
            }
        }
        return why;
    }
    case MOTE_ASN1_BIT_STRING: {
        mote_asn1_bits b;
        if (mote_asn1_decode_bits(v, &b, &why) == 0) {
            if (print) {
                printf("(%zu bits) ", mote_asn1_bits_count(&b));
                print_hex(b.bytes, 24);
            }
        } else if (print) {
            print_hex(v, 24);
        }
        return why;
    }
    case MOTE_ASN1_OCTET_STRING:
        if (print)
            print_hex(v, 24);
        return why;
    case MOTE_ASN1_NULL:
        if (v.len)
            why = MOTE_ASN1_R_BAD_NULL;
        return why;
    case MOTE_ASN1_OID: {
        char text[MOTE_ASN1_OID_TEXT_MAX];
        if (mote_asn1_check_oid(v, &why)) {
            if (print)
                print_hex(v, 24);
            return why;
        }
        int rc = mote_asn1_oid_to_text(v, text, sizeof text);
        if (print) {
            mote_asn1_oid_id id = mote_asn1_oid_lookup(v);
            if (id != MOTE_ASN1_OID_UNKNOWN)
                printf("%s (%s)", mote_asn1_oid_name(id), text);
            else if (rc == 0)
                printf("%s", text);
            else
                print_hex(v, 24);
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
                printf("%s", text);
                if (tm.nsec)
                    printf(" +%09u ns", (unsigned)tm.nsec);
                printf(" (");
                print_text(v, 32);
                printf(")");
            } else {
                print_text(v, 32);
            }
        }
        return why;
    }
    default:
        if (mote_asn1_is_string_tag(t->tag)) {
            mote_buf u;
            mote_buf_init(&u, 1u << 16);
            if (mote_asn1_string_to_utf8(t->tag, v, &u) == 0) {
                if (print)
                    print_text(mote_buf_slice(&u), 200);
            } else {
                why = MOTE_ASN1_R_BAD_STRING;
                if (print)
                    print_hex(v, 24);
            }
            mote_buf_free(&u);
            return why;
        }
        if (print)
            print_hex(v, 24);
        return why;
    }
}

/* Prints the start of an element's line; returns the characters printed. */
static int print_line(const dump *d, const mote_asn1_tlv *t, int depth)
{
    char name[48];
    return printf("%6zu:d=%-2d hl=%zu l=%5zu %s: %*s%s", t->offset + d->base, depth, t->hdr_len,
                  t->value.len, MOTE_ASN1_TAG_IS_CONSTRUCTED(t->tag) ? "cons" : "prim", depth, "",
                  mote_asn1_tag_name(t->tag, name, sizeof name));
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
            printf("\n");
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
                printf("\n");
            if (walk(d, r, depth + 1, print) || mote_asn1_leave(r))
                return 1;
            continue;
        }
        if (print && t.tag != MOTE_ASN1_NULL)
            printf("%*s:", col < 62 ? 62 - col : 1, "");
        mote_asn1_reason why = print_value(&t, print);
        if (print)
            printf("\n");
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
                printf("%*s-- encapsulates --\n", 32 + depth, "");
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
        fprintf(stderr, "%s: %s: empty input\n", prog, path);
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
    fflush(stdout);
    if (failed) {
        char msg[200];
        mote_asn1_error e = r.error;
        e.offset += d->base;
        fprintf(stderr, "%s: %s%s%s: %s%s\n", prog, path, d->label ? " " : "",
                d->label ? d->label : "", mote_asn1_error_format(&e, msg, sizeof msg),
                d->strict && e.reason != MOTE_ASN1_R_NONE ? " (--strict)" : "");
        return 1;
    }
    return 0;
}

static int cmd_dump(int argc, char **argv)
{
    int strict = 0;
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--strict"))
            strict = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1] != 0) {
            fprintf(stderr, "%s: unknown option %s\n", prog, argv[i]);
            return 2;
        } else if (!path)
            path = argv[i];
        else {
            fprintf(stderr, "%s: dump takes one file\n", prog);
            return 2;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    mote_buf in;
    int status = read_input(path, &in);
    if (status)
        return status;
    dump d = {strict, 0, 0, NULL};
    mote_slice text = mote_buf_slice(&in);
    if (mote_asn1_pem_detect(text)) {
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
            printf("%s-----BEGIN %.*s----- (block %d at offset %zu of the text, %zu DER "
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
            fprintf(stderr, "%s: %s: PEM: %s\n", prog, path,
                    mote_asn1_error_format(&e, msg, sizeof msg));
            status = 1;
        } else if (blocks == 0) {
            fprintf(stderr, "%s: %s: no PEM block\n", prog, path);
            status = 1;
        }
        mote_buf_free(&der);
    } else {
        status = dump_der(&d, text, path);
    }
    if (!strict && d.violations)
        printf("%d DER violation%s tolerated (--strict rejects them)\n", d.violations,
               d.violations == 1 ? "" : "s");
    mote_buf_free(&in);
    return status;
}

/* ---- oid ---- */

static void print_oid_line(mote_slice bytes, const char *dotted, mote_asn1_oid_id id)
{
    printf("%-28s", dotted);
    if (id != MOTE_ASN1_OID_UNKNOWN) {
        const char *sn = mote_asn1_oid_short_name(id), *ln = mote_asn1_oid_name(id);
        printf(" %s", ln);
        if (strcmp(sn, ln) != 0)
            printf(" (%s)", sn);
    } else {
        printf(" (no well-known name)");
    }
    printf("  DER: 06 %02zx", bytes.len);
    for (size_t i = 0; i < bytes.len; i++)
        printf(" %02x", bytes.ptr[i]);
    printf("\n");
}

static int cmd_oid(int argc, char **argv)
{
    if (argc == 0) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[0], "--list")) {
        for (int id = 1; id < MOTE_ASN1_OID_COUNT_; id++)
            print_oid_line(mote_asn1_oid_bytes((mote_asn1_oid_id)id),
                           mote_asn1_oid_dotted((mote_asn1_oid_id)id), (mote_asn1_oid_id)id);
        return 0;
    }
    int status = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        mote_asn1_oid_id id = mote_asn1_oid_find(a);
        if (id != MOTE_ASN1_OID_UNKNOWN) {
            print_oid_line(mote_asn1_oid_bytes(id), mote_asn1_oid_dotted(id), id);
            continue;
        }
        uint8_t b[MOTE_ASN1_OID_MAX];
        size_t n;
        if (a[0] >= '0' && a[0] <= '9') {
            if (mote_asn1_oid_from_text(a, b, sizeof b, &n) != 0) {
                fprintf(stderr, "%s: '%s' is not a valid object identifier\n", prog, a);
                status = 1;
                continue;
            }
            print_oid_line(mote_slice_make(b, n), a, MOTE_ASN1_OID_UNKNOWN);
        } else {
            fprintf(stderr, "%s: no well-known object identifier is named '%s'\n", prog, a);
            status = 1;
        }
    }
    return status;
}

/* ---- pem / der ---- */

static int cmd_pem(int argc, char **argv)
{
    if (argc != 2) {
        usage(stderr);
        return 2;
    }
    mote_buf in, out;
    int status = read_input(argv[1], &in);
    if (status)
        return status;
    mote_buf_init(&out, 0);
    int rc = mote_asn1_pem_write(&out, argv[0], mote_buf_slice(&in));
    if (rc) {
        fprintf(stderr, "%s: cannot write PEM: %s\n", prog,
                rc == MOTE_EINVAL ? "invalid label" : mote_strerror(rc));
        status = rc == MOTE_EINVAL ? 2 : 1;
    } else {
        fwrite(out.data, 1, out.len, stdout);
    }
    mote_buf_free(&in);
    mote_buf_free(&out);
    return status;
}

static int cmd_der(int argc, char **argv)
{
    if (argc != 1) {
        usage(stderr);
        return 2;
    }
    mote_buf in, der;
    int status = read_input(argv[0], &in);
    if (status)
        return status;
    mote_asn1_pem_reader pr;
    mote_asn1_pem_reader_init(&pr, mote_buf_slice(&in));
    mote_buf_init(&der, 0);
    mote_slice label;
    mote_asn1_error e;
    int rc, blocks = 0;
    while ((rc = mote_asn1_pem_next(&pr, &label, &der, NULL, &e)) == 0)
        blocks++;
    if (rc != MOTE_ENOTFOUND) {
        char msg[200];
        fprintf(stderr, "%s: %s: PEM: %s\n", prog, argv[0],
                mote_asn1_error_format(&e, msg, sizeof msg));
        status = 1;
    } else if (blocks == 0) {
        fprintf(stderr, "%s: %s: no PEM block\n", prog, argv[0]);
        status = 1;
    } else {
        fwrite(der.data, 1, der.len, stdout);
    }
    mote_buf_free(&in);
    mote_buf_free(&der);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("mote-asn1 %s\n", mote_version());
        return 0;
    }
    if (!strcmp(cmd, "dump"))
        return cmd_dump(argc - 2, argv + 2);
    if (!strcmp(cmd, "oid"))
        return cmd_oid(argc - 2, argv + 2);
    if (!strcmp(cmd, "pem"))
        return cmd_pem(argc - 2, argv + 2);
    if (!strcmp(cmd, "der"))
        return cmd_der(argc - 2, argv + 2);
    fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
    usage(stderr);
    return 2;
}
