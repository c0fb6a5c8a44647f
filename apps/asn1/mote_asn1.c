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
#include "dump.h"
#include "mote/asn1.h"
#include "mote/asn1_pem.h"
#include "mote/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT (64u << 20) /* bytes read from a file at most */

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
    status = asn1_dump(mote_buf_slice(&in), path, strict, stdout, stderr);
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
