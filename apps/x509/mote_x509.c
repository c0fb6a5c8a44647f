/*
 * mote-x509 - certificates from the command line, with libmote-x509.
 *
 *   mote-x509 show FILE
 *   mote-x509 verify --roots FILE|DIR [--untrusted FILE] [--host NAME | --ip ADDR]
 *                    [--email MAILBOX]
 *                    [--time RFC3339] [--profile webpki|rfc5280] [--purpose server|client|any]
 *                    [--max-intermediates N] [--policy OID]... LEAF
 *   mote-x509 key gen ed25519|p256|p384|rsa2048|rsa3072 -o KEY.pem
 *   mote-x509 selfsign --key KEY.pem (--host NAME | --subject DN) [--host NAME]... [--ip ADDR]...
 *                      [--days N] [--ca [--pathlen N]] -o CERT.pem
 *   mote-x509 csr --key KEY.pem --subject DN [--host NAME]... [--ip ADDR]... -o REQ.pem
 *   mote-x509 sign --ca-cert C --ca-key K --csr REQ.pem [--days N] [--ca [--pathlen N]]
 *                  [--eku server|client]... [--nc-permit NAME]... [--nc-exclude NAME]...
 *                  [--policy OID]...
 *                  -o CERT.pem
 *
 * verify exits 0 for a valid path, 1 with the reason for an invalid one,
 * 2 for a usage or file error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "mote/asn1_pem.h"
#include "mote/x509.h"

static int usage(void)
{
    fprintf(
        stderr,
        "usage: mote-x509 show FILE\n"
        "       mote-x509 verify --roots FILE|DIR [--untrusted FILE] [--host NAME | --ip ADDR]\n"
        "                        [--email MAILBOX] [--time RFC3339] [--profile webpki|rfc5280]\n"
        "                        [--purpose server|client|any] [--max-intermediates N]\n"
        "                        [--policy OID]... LEAF\n"
        "       mote-x509 key gen ed25519|p256|p384|rsa2048|rsa3072 -o KEY.pem\n"
        "       mote-x509 selfsign --key KEY.pem [--subject DN] [--host NAME]... [--ip ADDR]...\n"
        "                          [--days N] [--ca [--pathlen N]] -o CERT.pem\n"
        "       mote-x509 csr --key KEY.pem --subject DN [--host NAME]... [--ip ADDR]... -o "
        "REQ.pem\n"
        "       mote-x509 sign --ca-cert C --ca-key K --csr REQ.pem [--days N] [--ca [--pathlen "
        "N]]\n"
        "                      [--eku server|client]... [--nc-permit NAME]... [--nc-exclude "
        "NAME]...\n"
        "                      [--policy OID]... -o CERT.pem\n"
        "       (selfsign also takes --eku, --nc-permit, --nc-exclude and --policy)\n");
    return 2;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            if (cap >= (64u << 20)) {
                free(buf);
                buf = NULL;
                break;
            }
            cap *= 2;
            uint8_t *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

static int write_file(const char *path, const mote_buf *b, int secret)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "mote-x509: cannot write %s: %s\n", path, strerror(errno));
        return 2;
    }
    if (secret)
        chmod(path, 0600);
    int ok = fwrite(b->data, 1, b->len, f) == b->len;
    ok &= fclose(f) == 0;
    if (!ok) {
        fprintf(stderr, "mote-x509: cannot write %s\n", path);
        return 2;
    }
    return 0;
}

static int rng_fill(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    uint8_t *p = buf;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return MOTE_EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static mote_time now(void)
{
    return (mote_time){(int64_t)time(NULL), 0};
}

/* ---- show ---------------------------------------------------------------- */

static int cmd_show(int argc, char **argv)
{
    if (argc != 1)
        return usage();
    size_t len;
    uint8_t *text = read_file(argv[0], &len);
    if (!text) {
        fprintf(stderr, "mote-x509: cannot read %s\n", argv[0]);
        return 2;
    }
    mote_x509_certs l = {0};
    char why[256];
    int rc = mote_x509_certs_parse(&l, text, len, why, sizeof(why));
    free(text);
    if (rc != 0 || l.n == 0) {
        fprintf(stderr, "mote-x509: %s: %s\n", argv[0], rc ? why : "no certificate");
        mote_x509_certs_clear(&l);
        return 1;
    }
    for (size_t i = 0; i < l.n; i++) {
        mote_buf out;
        mote_buf_init(&out, 0);
        mote_x509_cert_print(l.v[i], &out);
        fwrite(out.data, 1, out.len, stdout);
        mote_buf_free(&out);
    }
    mote_x509_certs_clear(&l);
    return 0;
}

/* ---- verify -------------------------------------------------------------- */

static int load_roots(mote_x509_store *s, const char *path, size_t *added, size_t *dups,
                      size_t *bad)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        size_t len;
        uint8_t *text = read_file(path, &len);
        if (!text)
            return -1;
        int rc = mote_x509_store_add_pem(s, text, len, added, dups, bad);
        free(text);
        return rc;
    }
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (8 << 20))
            continue;
        size_t len;
        uint8_t *text = read_file(p, &len);
        if (!text)
            continue;
        if (mote_x509_store_add_pem(s, text, len, added, dups, bad) != 0)
            (*bad)++;
        free(text);
    }
    closedir(d);
    return 0;
}

static int cmd_verify(int argc, char **argv)
{
    const char *roots = NULL, *untrusted = NULL, *host = NULL, *ip = NULL, *when = NULL;
    const char *leaf = NULL, *profile = "webpki", *purpose = "server", *email = NULL;
    int max_inter = -1;
    uint8_t pol_bytes[8][MOTE_ASN1_OID_MAX];
    mote_slice pols[8];
    size_t n_pols = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc) {
            size_t plen = 0;
            if (n_pols == 8 ||
                mote_asn1_oid_from_text(argv[++i], pol_bytes[n_pols], MOTE_ASN1_OID_MAX, &plen))
                return usage();
            pols[n_pols] = mote_slice_make(pol_bytes[n_pols], plen);
            n_pols++;
        } else if (strcmp(argv[i], "--roots") == 0 && i + 1 < argc)
            roots = argv[++i];
        else if (strcmp(argv[i], "--untrusted") == 0 && i + 1 < argc)
            untrusted = argv[++i];
        else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            host = argv[++i];
        else if (strcmp(argv[i], "--ip") == 0 && i + 1 < argc)
            ip = argv[++i];
        else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
            email = argv[++i];
        else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc)
            when = argv[++i];
        else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
            profile = argv[++i];
        else if (strcmp(argv[i], "--purpose") == 0 && i + 1 < argc)
            purpose = argv[++i];
        else if (strcmp(argv[i], "--max-intermediates") == 0 && i + 1 < argc)
            max_inter = atoi(argv[++i]);
        else if (argv[i][0] == '-')
            return usage();
        else if (!leaf)
            leaf = argv[i];
        else
            return usage();
    }
    if (!roots || !leaf || (host && ip))
        return usage();
    mote_x509_verify_opts o;
    mote_x509_verify_opts_init(&o, now());
    if (strcmp(profile, "rfc5280") == 0)
        o.profile = MOTE_X509_PROFILE_RFC5280;
    else if (strcmp(profile, "webpki") != 0)
        return usage();
    mote_slice eku;
    if (strcmp(purpose, "client") == 0) {
        eku = mote_asn1_oid_bytes(MOTE_ASN1_OID_KP_CLIENT_AUTH);
        o.ekus = &eku;
        o.n_ekus = 1;
    } else if (strcmp(purpose, "any") == 0) {
        o.any_eku = true;
    } else if (strcmp(purpose, "server") != 0) {
        return usage();
    }
    o.max_intermediates = max_inter;
    if (n_pols) {
        /* RFC 5280 6.1.1: user-initial-policy-set, with an explicit policy required. */
        o.policies = pols;
        o.n_policies = n_pols;
        o.explicit_policy = true;
    }
    if (when && mote_time_parse_rfc3339(when, &o.now.sec) != 0) {
        fprintf(stderr, "mote-x509: bad time %s\n", when);
        return 2;
    }
    uint8_t ipb[16];
    if (ip) {
        if (mote_x509_parse_ip(ip, ipb, &o.ip_len) != 0) {
            fprintf(stderr, "mote-x509: bad address %s\n", ip);
            return 2;
        }
        o.ip = ipb;
    }
    o.dns_name = host;
    o.email = email;

    int err = 0;
    mote_x509_store *store = mote_x509_store_new(&err);
    size_t added = 0, dups = 0, bad = 0;
    if (!store || load_roots(store, roots, &added, &dups, &bad) != 0 || added == 0) {
        fprintf(stderr, "mote-x509: no trust anchors loaded from %s\n", roots);
        mote_x509_store_free(store);
        return 2;
    }
    mote_x509_certs inter = {0}, peer = {0};
    char why[256];
    size_t len;
    int status = 2;
    uint8_t *text = read_file(leaf, &len);
    if (!text) {
        fprintf(stderr, "mote-x509: cannot read %s\n", leaf);
        goto out;
    }
    err = mote_x509_certs_parse(&peer, text, len, why, sizeof(why));
    free(text);
    if (err != 0 || peer.n == 0) {
        fprintf(stderr, "mote-x509: %s: %s\n", leaf, err ? why : "no certificate");
        status = 1;
        goto out;
    }
    /* Certificates after the first in the leaf file are intermediates too
     * (a server's chain file). */
    for (size_t i = 1; i < peer.n; i++)
        mote_x509_certs_push(&inter, peer.v[i]);
    if (untrusted) {
        text = read_file(untrusted, &len);
        if (!text) {
            fprintf(stderr, "mote-x509: cannot read %s\n", untrusted);
            goto out;
        }
        err = mote_x509_certs_parse(&inter, text, len, why, sizeof(why));
        free(text);
        if (err != 0) {
            fprintf(stderr, "mote-x509: %s: %s\n", untrusted, why);
            status = 1;
            goto out;
        }
    }
    mote_x509_verify_result res;
    err = mote_x509_verify(store, peer.v[0], inter.v, inter.n, &o, &res);
    if (err == 0) {
        printf("OK: path of %zu certificates\n", res.chain.n);
        for (size_t i = 0; i < res.chain.n; i++) {
            mote_buf n;
            mote_buf_init(&n, 0);
            mote_x509_name_print(mote_x509_cert_subject(res.chain.v[i]), &n);
            printf("  depth %zu: %s%s\n", i, n.data ? (char *)n.data : "",
                   i + 1 == res.chain.n ? " (trust anchor)" : "");
            mote_buf_free(&n);
        }
        status = 0;
    } else {
        fprintf(stderr, "FAIL (%s): %s\n", mote_x509_check_name(res.check), res.reason);
        status = 1;
    }
    mote_x509_verify_result_clear(&res);
out:
    mote_x509_certs_clear(&inter);
    mote_x509_certs_clear(&peer);
    mote_x509_store_free(store);
    return status;
}

/* ---- keys and generation ------------------------------------------------- */

static mote_crypto_privkey *load_key(const char *path)
{
    size_t len;
    uint8_t *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "mote-x509: cannot read %s\n", path);
        return NULL;
    }
    int err = 0;
    mote_crypto_privkey *k = mote_crypto_privkey_from_pem((const char *)text, len, &err);
    mote_wipe(text, len);
    free(text);
    if (!k)
        fprintf(stderr, "mote-x509: %s: %s\n", path, mote_strerror(err));
    return k;
}

static int cmd_key(int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[0], "gen") != 0 || strcmp(argv[2], "-o") != 0)
        return usage();
    mote_crypto_key_type t;
    unsigned bits = 0;
    if (strcmp(argv[1], "ed25519") == 0)
        t = MOTE_CRYPTO_KEY_ED25519;
    else if (strcmp(argv[1], "p256") == 0)
        t = MOTE_CRYPTO_KEY_P256;
    else if (strcmp(argv[1], "p384") == 0)
        t = MOTE_CRYPTO_KEY_P384;
    else if (strcmp(argv[1], "rsa2048") == 0)
        t = MOTE_CRYPTO_KEY_RSA, bits = 2048;
    else if (strcmp(argv[1], "rsa3072") == 0)
        t = MOTE_CRYPTO_KEY_RSA, bits = 3072;
    else
        return usage();
    mote_rng rng = {NULL, rng_fill};
    int err = 0;
    mote_crypto_privkey *k = mote_crypto_privkey_generate(t, bits, &rng, &err);
    if (!k) {
        fprintf(stderr, "mote-x509: key generation failed: %s\n", mote_strerror(err));
        return 1;
    }
    mote_buf out;
    mote_buf_init_secret(&out, 0);
    err = mote_crypto_privkey_to_pem(k, MOTE_CRYPTO_FORMAT_PKCS8, &out);
    int status = err ? 1 : write_file(argv[3], &out, 1);
    mote_buf_free(&out);
    mote_crypto_privkey_free(k);
    return status;
}

struct gen_args {
    const char *key, *subject, *out, *ca_cert, *ca_key, *csr;
    const char *hosts[32], *ips[32], *nc_permit[32], *nc_exclude[32], *ekus[8], *policies[32];
    int n_hosts, n_ips, n_permit, n_exclude, n_ekus, n_policies;
    int days, ca, pathlen;
};

static int parse_gen(int argc, char **argv, struct gen_args *a)
{
    memset(a, 0, sizeof(*a));
    a->days = 365;
    a->pathlen = -1;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name, field)                                                                           \
    if (strcmp(o, name) == 0 && v) {                                                               \
        a->field = v;                                                                              \
        i++;                                                                                       \
        continue;                                                                                  \
    }
#define LIST(name, arr, n)                                                                         \
    if (strcmp(o, name) == 0 && v) {                                                               \
        if (a->n == 32)                                                                            \
            return -1;                                                                             \
        a->arr[a->n++] = v;                                                                        \
        i++;                                                                                       \
        continue;                                                                                  \
    }
        ARG("--key", key)
        ARG("--subject", subject)
        ARG("-o", out)
        ARG("--ca-cert", ca_cert)
        ARG("--ca-key", ca_key)
        ARG("--csr", csr)
        LIST("--host", hosts, n_hosts)
        LIST("--ip", ips, n_ips)
        LIST("--nc-permit", nc_permit, n_permit)
        LIST("--nc-exclude", nc_exclude, n_exclude)
        LIST("--policy", policies, n_policies)
        if (strcmp(o, "--eku") == 0 && v && a->n_ekus < 8) {
            a->ekus[a->n_ekus++] = v;
            i++;
            continue;
        }
        if (strcmp(o, "--days") == 0 && v) {
            a->days = atoi(v);
            i++;
            continue;
        }
        if (strcmp(o, "--pathlen") == 0 && v) {
            a->pathlen = atoi(v);
            i++;
            continue;
        }
        if (strcmp(o, "--ca") == 0) {
            a->ca = 1;
            continue;
        }
        return -1;
#undef ARG
#undef LIST
    }
    return a->out ? 0 : -1;
}

static int fill_builder(mote_x509_builder *b, const struct gen_args *a, int with_subject)
{
    char dn[300];
    if (with_subject) {
        const char *subject = a->subject;
        if (!subject && a->n_hosts) {
            snprintf(dn, sizeof(dn), "CN=%s", a->hosts[0]);
            subject = dn;
        }
        if (!subject || mote_x509_builder_set_subject(b, subject) != 0) {
            fprintf(stderr, "mote-x509: bad or missing subject\n");
            return -1;
        }
    }
    for (int i = 0; i < a->n_hosts; i++)
        if (mote_x509_builder_add_dns(b, a->hosts[i]) != 0) {
            fprintf(stderr, "mote-x509: bad host name %s\n", a->hosts[i]);
            return -1;
        }
    for (int i = 0; i < a->n_ips; i++)
        if (mote_x509_builder_add_ip(b, a->ips[i]) != 0) {
            fprintf(stderr, "mote-x509: bad address %s\n", a->ips[i]);
            return -1;
        }
    for (int i = 0; i < a->n_permit; i++)
        if (mote_x509_builder_add_nc_dns(b, a->nc_permit[i], false) != 0)
            return -1;
    for (int i = 0; i < a->n_exclude; i++)
        if (mote_x509_builder_add_nc_dns(b, a->nc_exclude[i], true) != 0)
            return -1;
    for (int i = 0; i < a->n_policies; i++)
        if (mote_x509_builder_add_policy(b, a->policies[i]) != 0) {
            fprintf(stderr, "mote-x509: bad policy %s\n", a->policies[i]);
            return -1;
        }
    for (int i = 0; i < a->n_ekus; i++) {
        mote_asn1_oid_id id = strcmp(a->ekus[i], "server") == 0   ? MOTE_ASN1_OID_KP_SERVER_AUTH
                              : strcmp(a->ekus[i], "client") == 0 ? MOTE_ASN1_OID_KP_CLIENT_AUTH
                                                                  : MOTE_ASN1_OID_UNKNOWN;
        if (id == MOTE_ASN1_OID_UNKNOWN || mote_x509_builder_add_eku(b, id) != 0)
            return -1;
    }
    if (a->ca && mote_x509_builder_set_ca(b, true, a->pathlen) != 0)
        return -1;
    mote_time nb = now();
    mote_time na = nb;
    na.sec += (int64_t)a->days * 86400;
    if (a->days <= 0 || mote_x509_builder_set_validity(b, nb, na) != 0)
        return -1;
    return 0;
}

static int emit(const char *label, const mote_buf *der, const char *path)
{
    mote_buf pem;
    mote_buf_init(&pem, 0);
    int rc = mote_asn1_pem_write(&pem, label, mote_buf_slice(der));
    int status = rc ? 1 : write_file(path, &pem, 0);
    mote_buf_free(&pem);
    return status;
}

static int cmd_selfsign(int argc, char **argv)
{
    struct gen_args a;
    if (parse_gen(argc, argv, &a) != 0 || !a.key)
        return usage();
    mote_crypto_privkey *k = load_key(a.key);
    if (!k)
        return 2;
    int err = 0, status = 1;
    mote_crypto_pubkey *pub = mote_crypto_privkey_public(k, &err);
    mote_x509_builder *b = mote_x509_builder_new(&err);
    mote_rng rng = {NULL, rng_fill};
    mote_buf der;
    mote_buf_init(&der, 0);
    if (pub && b && fill_builder(b, &a, 1) == 0) {
        if (!a.ca && a.n_ekus == 0)
            mote_x509_builder_add_eku(b, MOTE_ASN1_OID_KP_SERVER_AUTH);
        err = mote_x509_builder_sign(b, pub, k, NULL, &rng, now(), &der);
        if (err == 0)
            status = emit("CERTIFICATE", &der, a.out);
        else
            fprintf(stderr, "mote-x509: signing failed: %s\n", mote_strerror(err));
    }
    mote_buf_free(&der);
    mote_x509_builder_free(b);
    mote_crypto_pubkey_free(pub);
    mote_crypto_privkey_free(k);
    return status;
}

static int cmd_csr(int argc, char **argv)
{
    struct gen_args a;
    if (parse_gen(argc, argv, &a) != 0 || !a.key)
        return usage();
    mote_crypto_privkey *k = load_key(a.key);
    if (!k)
        return 2;
    int err = 0, status = 1;
    mote_x509_builder *b = mote_x509_builder_new(&err);
    mote_rng rng = {NULL, rng_fill};
    mote_buf der;
    mote_buf_init(&der, 0);
    if (b && fill_builder(b, &a, 1) == 0) {
        err = mote_x509_builder_csr(b, k, &rng, &der);
        if (err == 0)
            status = emit("CERTIFICATE REQUEST", &der, a.out);
        else
            fprintf(stderr, "mote-x509: signing failed: %s\n", mote_strerror(err));
    }
    mote_buf_free(&der);
    mote_x509_builder_free(b);
    mote_crypto_privkey_free(k);
    return status;
}

static int cmd_sign(int argc, char **argv)
{
    struct gen_args a;
    if (parse_gen(argc, argv, &a) != 0 || !a.ca_cert || !a.ca_key || !a.csr)
        return usage();
    int err = 0, status = 1;
    size_t len;
    char why[256];
    mote_crypto_privkey *k = load_key(a.ca_key);
    if (!k)
        return 2;
    uint8_t *text = read_file(a.ca_cert, &len);
    mote_x509_cert *ca =
        text ? mote_x509_cert_parse_pem((char *)text, len, &err, why, sizeof(why)) : NULL;
    free(text);
    if (!ca) {
        fprintf(stderr, "mote-x509: %s: %s\n", a.ca_cert, text ? why : "cannot read");
        mote_crypto_privkey_free(k);
        return 2;
    }
    mote_buf req;
    mote_buf_init(&req, 1u << 20);
    text = read_file(a.csr, &len);
    if (text) {
        mote_asn1_pem_reader pr;
        mote_slice label;
        mote_asn1_error e;
        mote_asn1_pem_reader_init(&pr, mote_slice_make(text, len));
        if (mote_asn1_pem_next(&pr, &label, &req, NULL, &e) != 0)
            mote_buf_reset(&req);
        free(text);
    }
    mote_x509_builder *b = mote_x509_builder_new(&err);
    mote_crypto_pubkey *pub = NULL;
    mote_rng rng = {NULL, rng_fill};
    mote_buf der;
    mote_buf_init(&der, 0);
    if (!b || req.len == 0 || (err = mote_x509_builder_from_csr(b, req.data, req.len, &pub)) != 0) {
        fprintf(stderr, "mote-x509: %s: bad request: %s\n", a.csr, mote_strerror(err));
    } else if (fill_builder(b, &a, 0) == 0) {
        err = mote_x509_builder_sign(b, pub, k, ca, &rng, now(), &der);
        if (err == 0)
            status = emit("CERTIFICATE", &der, a.out);
        else
            fprintf(stderr, "mote-x509: signing failed: %s\n", mote_strerror(err));
    }
    mote_buf_free(&der);
    mote_buf_free(&req);
    mote_x509_builder_free(b);
    mote_crypto_pubkey_free(pub);
    mote_x509_cert_free(ca);
    mote_crypto_privkey_free(k);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "show") == 0)
        return cmd_show(argc - 2, argv + 2);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(argc - 2, argv + 2);
    if (strcmp(cmd, "key") == 0)
        return cmd_key(argc - 2, argv + 2);
    if (strcmp(cmd, "selfsign") == 0)
        return cmd_selfsign(argc - 2, argv + 2);
    if (strcmp(cmd, "csr") == 0)
        return cmd_csr(argc - 2, argv + 2);
    if (strcmp(cmd, "sign") == 0)
        return cmd_sign(argc - 2, argv + 2);
    return usage();
}
