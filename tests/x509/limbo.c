/*
 * limbo.c - the x509-limbo harness: runs every testcase of a limbo.json
 * (../shared/vectors/x509-limbo/limbo.json by default) through
 * mote_x509_verify and compares with the expected result.
 *
 *   mote-limbo [--divergences FILE] [--profile auto|rfc5280|webpki] [--verbose] [LIMBO.json]
 *
 * Prints one line per testcase (id, expected, actual, reason) and ends with
 * "N passed, N failed, N skipped". A case whose id is listed in the
 * divergences file (one id per line, '#' comments; each one is justified in
 * docs/x509.md) is reported but not counted as a failure. Exit status 0
 * when no case failed.
 *
 * The profile: limbo's ids say which standard a case tests; "auto" runs the
 * rfc5280:: cases with MOTE_X509_PROFILE_RFC5280 and every other case with
 * MOTE_X509_PROFILE_WEBPKI (limbo's own cases conflict otherwise, e.g.
 * rfc5280::eku::ee-without-eku and webpki::eku::ee-without-eku).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mote/x509.h"
#include "testutil.h"

#define MAX_IDS 1024

static char *divergent[MAX_IDS];
static size_t n_divergent;

static void load_divergences(const char *path)
{
    size_t len;
    char *text = (char *)tu_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        char *end = line + strlen(line);
        while (end > line && (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\t'))
            *--end = 0;
        if (!*line || *line == '#' || n_divergent == MAX_IDS)
            continue;
        divergent[n_divergent++] = strdup(line);
    }
    free(text);
}

static int is_divergent(const char *id)
{
    for (size_t i = 0; i < n_divergent; i++)
        if (strcmp(divergent[i], id) == 0)
            return 1;
    return 0;
}

static int parse_list(json_t *arr, mote_x509_certs *out, char *why, size_t wn)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *pem = json_string_value(v);
        if (!pem)
            return MOTE_EDECODE;
        int rc = mote_x509_certs_parse(out, (const uint8_t *)pem, strlen(pem), why, wn);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static const struct {
    const char *name;
    mote_asn1_oid_id id;
} ekus[] = {
    {"anyExtendedKeyUsage", MOTE_ASN1_OID_ANY_EXTENDED_KEY_USAGE},
    {"serverAuth", MOTE_ASN1_OID_KP_SERVER_AUTH},
    {"clientAuth", MOTE_ASN1_OID_KP_CLIENT_AUTH},
    {"codeSigning", MOTE_ASN1_OID_KP_CODE_SIGNING},
    {"emailProtection", MOTE_ASN1_OID_KP_EMAIL_PROTECTION},
    {"timeStamping", MOTE_ASN1_OID_KP_TIME_STAMPING},
    {"OCSPSigning", MOTE_ASN1_OID_KP_OCSP_SIGNING},
};

static const char *const kus[] = {
    "digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment", "keyAgreement",
    "keyCertSign",      "cRLSign",           "encipher_only",   "decipher_only",
};

/* Runs one testcase: 1 valid, 0 invalid (reason in why), -1 skipped. */
static int run_case(json_t *tc, mote_x509_profile profile, char *why, size_t wn)
{
    mote_x509_certs trusted = {0}, inter = {0}, peer = {0};
    mote_x509_store *store = NULL;
    int result = 0;
    uint8_t eku_bytes[8][MOTE_ASN1_OID_MAX];
    mote_slice eku_list[8];
    size_t n_eku = 0;
    uint8_t ip[16];
    size_t ip_len = 0;
    char name[256] = {0};

    mote_x509_verify_opts o;
    mote_x509_verify_opts_init(&o, (mote_time){(int64_t)time(NULL), 0});
    o.profile = profile;

    const char *kind = json_string_value(json_object_get(tc, "validation_kind"));
    json_t *vt = json_object_get(tc, "validation_time");
    if (json_is_string(vt)) {
        int64_t sec;
        if (mote_time_parse_rfc3339(json_string_value(vt), &sec) != 0) {
            snprintf(why, wn, "bad validation_time");
            return -1;
        }
        o.now.sec = sec;
    }
    json_t *sa = json_object_get(tc, "signature_algorithms");
    mote_x509_sig_alg algs[16];
    size_t n_algs = 0;
    if (json_is_array(sa) && json_array_size(sa) > 0) {
        static const struct {
            const char *name;
            mote_x509_sig_alg a[3];
        } map[] = {
            {"RSA_WITH_SHA256", {MOTE_X509_SIG_RSA_PKCS1_SHA256}},
            {"RSA_WITH_SHA384", {MOTE_X509_SIG_RSA_PKCS1_SHA384}},
            {"RSA_WITH_SHA512", {MOTE_X509_SIG_RSA_PKCS1_SHA512}},
            {"RSASSA_PSS",
             {MOTE_X509_SIG_RSA_PSS_SHA256, MOTE_X509_SIG_RSA_PSS_SHA384,
              MOTE_X509_SIG_RSA_PSS_SHA512}},
            {"ECDSA_WITH_SHA256", {MOTE_X509_SIG_ECDSA_SHA256}},
            {"ECDSA_WITH_SHA384", {MOTE_X509_SIG_ECDSA_SHA384}},
            {"ECDSA_WITH_SHA512", {MOTE_X509_SIG_ECDSA_SHA512}},
            {"ED25519", {MOTE_X509_SIG_ED25519}},
        };
        size_t i;
        json_t *e;
        json_array_foreach(sa, i, e)
        {
            const char *nm = json_string_value(e);
            for (size_t k = 0; nm && k < sizeof(map) / sizeof(map[0]); k++)
                if (strcmp(map[k].name, nm) == 0)
                    for (size_t j = 0; j < 3 && map[k].a[j] && n_algs < 16; j++)
                        algs[n_algs++] = map[k].a[j];
            /* Algorithms mote never verifies (SHA-1, SHA-3, DSA, Ed448,
             * GOST) add nothing: they fail anyway. */
        }
        if (n_algs == 0)
            algs[n_algs++] = MOTE_X509_SIG_UNKNOWN; /* nothing allowed */
        o.sig_algs = algs;
        o.n_sig_algs = n_algs;
    }
    json_t *eku = json_object_get(tc, "extended_key_usage");
    if (json_is_array(eku) && json_array_size(eku) > 0) {
        size_t i;
        json_t *e;
        json_array_foreach(eku, i, e)
        {
            const char *s = json_string_value(e);
            if (!s || n_eku == 8)
                return -1;
            size_t len = 0;
            int found = 0;
            for (size_t k = 0; k < sizeof(ekus) / sizeof(ekus[0]); k++) {
                if (strcmp(ekus[k].name, s) == 0) {
                    mote_slice b = mote_asn1_oid_bytes(ekus[k].id);
                    memcpy(eku_bytes[n_eku], b.ptr, b.len);
                    len = b.len;
                    found = 1;
                }
            }
            if (!found &&
                mote_asn1_oid_from_text(s, eku_bytes[n_eku], MOTE_ASN1_OID_MAX, &len) != 0) {
                snprintf(why, wn, "bad EKU %s", s);
                return -1;
            }
            eku_list[n_eku] = mote_slice_make(eku_bytes[n_eku], len);
            n_eku++;
        }
        o.ekus = eku_list;
        o.n_ekus = n_eku;
    } else if (kind && strcmp(kind, "CLIENT") == 0) {
        mote_slice b = mote_asn1_oid_bytes(MOTE_ASN1_OID_KP_CLIENT_AUTH);
        memcpy(eku_bytes[0], b.ptr, b.len);
        eku_list[0] = mote_slice_make(eku_bytes[0], b.len);
        o.ekus = eku_list;
        o.n_ekus = 1;
    }
    json_t *ku = json_object_get(tc, "key_usage");
    if (json_is_array(ku)) {
        size_t i;
        json_t *e;
        json_array_foreach(ku, i, e)
        {
            const char *s = json_string_value(e);
            for (size_t k = 0; s && k < sizeof(kus) / sizeof(kus[0]); k++)
                if (strcmp(kus[k], s) == 0)
                    o.key_usage |= 1u << k;
        }
    }
    json_t *depth = json_object_get(tc, "max_chain_depth");
    if (json_is_integer(depth))
        o.max_intermediates = (int)json_integer_value(depth);
    json_t *pn = json_object_get(tc, "expected_peer_name");
    if (json_is_object(pn)) {
        const char *k = json_string_value(json_object_get(pn, "kind"));
        const char *val = json_string_value(json_object_get(pn, "value"));
        if (!k || !val)
            return -1;
        if (strcmp(k, "DNS") == 0) {
            snprintf(name, sizeof(name), "%s", val);
            o.dns_name = name;
        } else if (strcmp(k, "IP") == 0) {
            if (mote_x509_parse_ip(val, ip, &ip_len) != 0) {
                snprintf(why, wn, "bad IP %s", val);
                return -1;
            }
            o.ip = ip;
            o.ip_len = ip_len;
        } else if (strcmp(k, "RFC822") == 0) {
            snprintf(name, sizeof(name), "%s", val);
            o.email = name;
        } else {
            snprintf(why, wn, "peer name kind %s not supported", k);
            return -1;
        }
    }

    const char *peer_pem = json_string_value(json_object_get(tc, "peer_certificate"));
    char pwhy[256] = {0};
    if (!peer_pem)
        return -1;
    if (parse_list(json_object_get(tc, "trusted_certs"), &trusted, pwhy, sizeof(pwhy)) != 0) {
        snprintf(why, wn, "trusted certificate does not parse: %s", pwhy);
        goto out;
    }
    if (parse_list(json_object_get(tc, "untrusted_intermediates"), &inter, pwhy, sizeof(pwhy))) {
        snprintf(why, wn, "intermediate does not parse: %s", pwhy);
        goto out;
    }
    if (mote_x509_certs_parse(&peer, (const uint8_t *)peer_pem, strlen(peer_pem), pwhy,
                              sizeof(pwhy)) != 0 ||
        peer.n != 1) {
        snprintf(why, wn, "peer certificate does not parse: %s", pwhy);
        goto out;
    }
    int err = 0;
    store = mote_x509_store_new(&err);
    if (!store)
        goto out;
    for (size_t i = 0; i < trusted.n; i++)
        mote_x509_store_add(store, trusted.v[i]);
    mote_x509_verify_result res;
    int rc = mote_x509_verify(store, peer.v[0], inter.v, inter.n, &o, &res);
    if (rc == 0) {
        result = 1;
        snprintf(why, wn, "path of %zu certificates", res.chain.n);
    } else {
        snprintf(why, wn, "%s: %s", mote_x509_check_name(res.check), res.reason);
    }
    mote_x509_verify_result_clear(&res);
out:
    mote_x509_store_free(store);
    mote_x509_certs_clear(&trusted);
    mote_x509_certs_clear(&inter);
    mote_x509_certs_clear(&peer);
    return result;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    const char *profile_arg = "auto";
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--divergences") == 0 && i + 1 < argc)
            load_divergences(argv[++i]);
        else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
            profile_arg = argv[++i];
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr,
                    "usage: %s [--divergences FILE] [--profile auto|rfc5280|webpki] [--verbose] "
                    "[LIMBO.json]\n",
                    argv[0]);
            return 2;
        } else
            path = argv[i];
    }
    char def[4096];
    if (!path) {
        snprintf(def, sizeof(def), "%s/vectors/x509-limbo/limbo.json", tu_shared_dir());
        path = def;
    }
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        printf("SKIP: cannot read %s: %s\n", path, je.text);
        return 77;
    }
    json_t *cases = json_object_get(root, "testcases");
    if (!json_is_array(cases)) {
        fprintf(stderr, "%s: no testcases array\n", path);
        json_decref(root);
        return 2;
    }
    size_t passed = 0, failed = 0, skipped = 0, diverged = 0;
    size_t i;
    json_t *tc;
    json_array_foreach(cases, i, tc)
    {
        const char *id = json_string_value(json_object_get(tc, "id"));
        const char *exp = json_string_value(json_object_get(tc, "expected_result"));
        if (!id || !exp) {
            skipped++;
            continue;
        }
        mote_x509_profile prof = MOTE_X509_PROFILE_WEBPKI;
        if (strcmp(profile_arg, "rfc5280") == 0 ||
            (strcmp(profile_arg, "auto") == 0 && strncmp(id, "rfc5280::", 9) == 0))
            prof = MOTE_X509_PROFILE_RFC5280;
        char why[512] = {0};
        int r = run_case(tc, prof, why, sizeof(why));
        if (r < 0) {
            skipped++;
            printf("SKIP   %s: %s\n", id, why);
            continue;
        }
        const char *got = r ? "SUCCESS" : "FAILURE";
        int ok = strcmp(exp, got) == 0;
        if (ok) {
            passed++;
            if (verbose)
                printf("PASS   %s: expected %s, got %s (%s)\n", id, exp, got, why);
            else
                printf("PASS   %s: expected %s, got %s\n", id, exp, got);
        } else if (is_divergent(id)) {
            diverged++;
            printf("DIVERGE %s: expected %s, got %s (%s) [documented in docs/x509.md]\n", id, exp,
                   got, why);
        } else {
            failed++;
            printf("FAIL   %s: expected %s, got %s (%s)\n", id, exp, got, why);
        }
    }
    json_decref(root);
    printf("%zu passed, %zu failed, %zu skipped", passed, failed, skipped);
    if (diverged)
        printf(" (%zu documented divergences)", diverged);
    printf("\n");
    for (size_t k = 0; k < n_divergent; k++)
        free(divergent[k]);
    return failed ? 1 : 0;
}
