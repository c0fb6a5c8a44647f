/*
 * bench-asn1: decoding speed of libmote-asn1 against OpenSSL's d2i_X509,
 * in the same run, over every certificate in /etc/ssl/certs.
 *
 * mote side, per certificate (what docs/asn1.md calls a full structural
 * decode):
 *   - mote_asn1_decode with the RFC 5280 Certificate schema of
 *     tests/asn1/cert_schema.h: every field of Certificate and
 *     TBSCertificate into C structs (version, serial, algorithm
 *     identifiers, both Names down to each AttributeTypeAndValue, validity
 *     times converted to seconds, SubjectPublicKeyInfo, unique ids, each
 *     Extension's id/critical/value), with every DER rule checked;
 *   - each Name attribute value checked against its string type;
 *   - the public key's own DER: RSAPublicKey { n, e } for RSA keys, the
 *     point format for EC keys.
 * Values stay zero-copy views into the input; nothing is allocated.
 *
 * OpenSSL side: d2i_X509 then X509_free, which builds OpenSSL's object
 * model (allocations for every field, X509_NAME entries and their cached
 * canonical form, the X509_PUBKEY decoded into an EVP_PKEY).
 *
 * Prints MB/s of DER for each and the ratio. Usage: bench-asn1 [SECONDS]
 * (time per side per round; default 1).
 */
#include "cert_schema.h"
#include "mote/asn1.h"
#include "mote/asn1_pem.h"

#include <dirent.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct certs {
    mote_buf der[1024];
    mote_slice spki[1024]; /* each certificate's SubjectPublicKeyInfo */
    size_t n;
    size_t bytes;
} certs;

/* Finds the SubjectPublicKeyInfo element of a certificate. */
static int find_spki(mote_slice der, mote_slice *spki)
{
    mote_asn1_reader r;
    mote_asn1_tlv t;
    mote_asn1_tag tag;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL);
    mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL);
    if (mote_asn1_peek(&r, &tag) == 0 && tag == MOTE_ASN1_CONTEXT_CONS(0))
        mote_asn1_next(&r, NULL);
    for (int i = 0; i < 5; i++) /* serial, signature, issuer, validity, subject */
        mote_asn1_next(&r, NULL);
    if (mote_asn1_expect(&r, MOTE_ASN1_SEQUENCE, &t))
        return -1;
    *spki = t.raw;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int load(certs *cs, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && cs->n < 1024) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".pem") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        mote_buf text;
        mote_buf_init(&text, 1u << 20);
        uint8_t chunk[8192];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            if (mote_buf_append(&text, chunk, got))
                break;
        fclose(f);
        mote_asn1_pem_reader pr;
        mote_asn1_pem_reader_init(&pr, mote_buf_slice(&text));
        mote_slice label;
        mote_buf_init(&cs->der[cs->n], 0);
        if (mote_asn1_pem_next(&pr, &label, &cs->der[cs->n], NULL, NULL) == 0 &&
            find_spki(mote_buf_slice(&cs->der[cs->n]), &cs->spki[cs->n]) == 0) {
            cs->bytes += cs->der[cs->n].len;
            cs->n++;
        } else {
            mote_buf_free(&cs->der[cs->n]);
        }
        mote_buf_free(&text);
    }
    closedir(d);
    return 0;
}

/* The mote side: a full structural decode of one certificate. */
static int mote_decode(mote_slice der, struct ex_certificate *c)
{
    mote_asn1_error e;
    if (mote_asn1_decode(ex_certificate, der, c, &e))
        return -1;
    const struct ex_tbs *t = &c->tbs_certificate;
    const struct ex_name *names[2] = {&t->issuer, &t->subject};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < names[k]->n; i++)
            for (size_t j = 0; j < names[k]->rdn[i].n; j++) {
                const mote_asn1_tlv *v = &names[k]->rdn[i].atv[j].value;
                if (mote_asn1_is_string_tag(v->tag) && mote_asn1_string_check(v->tag, v->value))
                    return -1;
            }
    const struct ex_spki *k = &t->subject_public_key_info;
    mote_asn1_oid_id alg = mote_asn1_oid_lookup(k->algorithm.algorithm);
    if (alg == MOTE_ASN1_OID_RSA_ENCRYPTION) {
        mote_asn1_reader r;
        mote_slice n, ex;
        mote_asn1_reader_init(&r, k->subject_public_key.bytes.ptr, k->subject_public_key.bytes.len);
        mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL);
        mote_asn1_read_uint(&r, &n);
        mote_asn1_read_uint(&r, &ex);
        mote_asn1_leave(&r);
        if (mote_asn1_reader_finish(&r))
            return -1;
    } else if (alg == MOTE_ASN1_OID_EC_PUBLIC_KEY) {
        mote_slice p = k->subject_public_key.bytes;
        if (p.len < 1 || (p.ptr[0] != 4 && p.ptr[0] != 2 && p.ptr[0] != 3))
            return -1;
    }
    return 0;
}

static double run_mote(const certs *cs, double seconds, size_t *rounds)
{
    static struct ex_certificate c;
    size_t n = 0;
    double t0 = now(), t;
    do {
        for (size_t i = 0; i < cs->n; i++) {
            /* No memset: the schema has no OPTIONAL nested SEQUENCE, so
             * the decoder writes every field it reports. */
            if (mote_decode(mote_buf_slice(&cs->der[i]), &c)) {
                fprintf(stderr, "bench-asn1: mote failed on certificate %zu\n", i);
                exit(1);
            }
        }
        n++;
        t = now() - t0;
    } while (t < seconds);
    *rounds = n;
    return t;
}

static double run_openssl(const certs *cs, double seconds, size_t *rounds)
{
    size_t n = 0;
    double t0 = now(), t;
    do {
        for (size_t i = 0; i < cs->n; i++) {
            const unsigned char *p = cs->der[i].data;
            X509 *x = d2i_X509(NULL, &p, (long)cs->der[i].len);
            if (!x) {
                fprintf(stderr, "bench-asn1: OpenSSL failed on certificate %zu\n", i);
                exit(1);
            }
            X509_free(x);
        }
        n++;
        t = now() - t0;
    } while (t < seconds);
    *rounds = n;
    return t;
}

/* OpenSSL's public-key step alone: d2i_X509_PUBKEY of each SPKI, which
 * (in OpenSSL 3) decodes the key into an EVP_PKEY as d2i_X509 does. */
static double run_openssl_pubkey(const certs *cs, double seconds, size_t *rounds)
{
    size_t n = 0;
    double t0 = now(), t;
    do {
        for (size_t i = 0; i < cs->n; i++) {
            const unsigned char *p = cs->spki[i].ptr;
            X509_PUBKEY *k = d2i_X509_PUBKEY(NULL, &p, (long)cs->spki[i].len);
            if (!k) {
                fprintf(stderr, "bench-asn1: OpenSSL failed on key %zu\n", i);
                exit(1);
            }
            X509_PUBKEY_free(k);
        }
        n++;
        t = now() - t0;
    } while (t < seconds);
    *rounds = n;
    return t;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    if (seconds <= 0)
        seconds = 1.0;
    static certs cs;
    if (load(&cs, "/etc/ssl/certs") || cs.n == 0) {
        fprintf(stderr, "bench-asn1: no certificates in /etc/ssl/certs\n");
        return 77;
    }
    printf("bench-asn1: %zu certificates from /etc/ssl/certs, %zu bytes of DER per round\n", cs.n,
           cs.bytes);
    double best_mote = 0, best_ossl = 0;
    for (int round = 0; round < 3; round++) {
        size_t rm, ro;
        double tm = run_mote(&cs, seconds, &rm);
        double to = run_openssl(&cs, seconds, &ro);
        double mm = (double)cs.bytes * rm / tm / 1e6, mo = (double)cs.bytes * ro / to / 1e6;
        printf("  round %d: mote %8.1f MB/s (%6.0f certs/s)   OpenSSL d2i_X509 %7.1f MB/s (%6.0f "
               "certs/s)\n",
               round + 1, mm, (double)cs.n * rm / tm, mo, (double)cs.n * ro / to);
        if (mm > best_mote)
            best_mote = mm;
        if (mo > best_ossl)
            best_ossl = mo;
    }
    printf("best: mote %.1f MB/s, OpenSSL %.1f MB/s, ratio mote/OpenSSL = %.2fx (%s)\n", best_mote,
           best_ossl, best_mote / best_ossl, OpenSSL_version(OPENSSL_VERSION));
    /* Where OpenSSL's time goes: the public key alone, per certificate. */
    size_t rk, ro;
    double tk = run_openssl_pubkey(&cs, seconds, &rk);
    double to = run_openssl(&cs, seconds, &ro);
    double per_key = tk / ((double)rk * cs.n), per_cert = to / ((double)ro * cs.n);
    double rest = (double)cs.bytes / cs.n / (per_cert - per_key) / 1e6;
    printf("OpenSSL d2i_X509_PUBKEY alone: %.1f us per key of %.1f us per certificate (%.0f%%); "
           "OpenSSL without it would be ~%.1f MB/s, mote/that = %.1fx\n",
           per_key * 1e6, per_cert * 1e6, 100.0 * per_key / per_cert, rest, best_mote / rest);
    for (size_t i = 0; i < cs.n; i++)
        mote_buf_free(&cs.der[i]);
    return 0;
}
