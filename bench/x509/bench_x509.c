/*
 * bench-x509: mote against OpenSSL in one run.
 *
 *  - parse: mote_x509_cert_parse + free against d2i_X509 + X509_free, on a
 *    generated ECDSA leaf and on ISRG Root X1 (RSA-4096) from the system
 *    store when present;
 *  - verify: a full path validation of a three-certificate chain (peer,
 *    intermediate, trust anchor; host name, time, serverAuth) with
 *    mote_x509_verify against X509_verify_cert, for an ECDSA P-256 chain
 *    and an RSA-2048 chain (root and intermediate RSA, leaf P-256).
 *
 * The chains are made at start with mote's builder and a seeded rng, so
 * both libraries see the same bytes. Prints operations per second and the
 * ratio mote/OpenSSL (above 1: mote is faster).
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mote/sim.h"
#include "mote/x509.h"

#define T0 1800000000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct chain {
    mote_buf root, inter, leaf;
};

static mote_crypto_privkey *key(mote_crypto_key_type t, unsigned bits, mote_rng *rng)
{
    int err = 0;
    mote_crypto_privkey *k = mote_crypto_privkey_generate(t, bits, rng, &err);
    if (!k) {
        fprintf(stderr, "keygen: %s\n", mote_strerror(err));
        exit(1);
    }
    return k;
}

static mote_x509_cert *issue(const char *subject, const mote_crypto_privkey *k,
                             const mote_crypto_privkey *ik, mote_x509_cert *issuer, int ca,
                             mote_rng *rng, mote_buf *out)
{
    int err = 0;
    mote_x509_builder *b = mote_x509_builder_new(&err);
    mote_x509_builder_set_subject(b, subject);
    mote_x509_builder_set_validity(b, (mote_time){T0 - 86400, 0}, (mote_time){T0 + 86400, 0});
    if (ca)
        mote_x509_builder_set_ca(b, true, -1);
    else {
        mote_x509_builder_add_dns(b, "www.example.com");
        mote_x509_builder_add_eku(b, MOTE_ASN1_OID_KP_SERVER_AUTH);
    }
    mote_crypto_pubkey *pub = mote_crypto_privkey_public(k, &err);
    mote_buf_init(out, 0);
    if (mote_x509_builder_sign(b, pub, ik, issuer, rng, (mote_time){T0, 0}, out) != 0) {
        fprintf(stderr, "sign failed\n");
        exit(1);
    }
    mote_crypto_pubkey_free(pub);
    mote_x509_builder_free(b);
    mote_x509_cert *c = mote_x509_cert_parse(out->data, out->len, &err, NULL, 0);
    if (!c) {
        fprintf(stderr, "parse failed\n");
        exit(1);
    }
    return c;
}

static void make_chain(struct chain *ch, mote_crypto_key_type ca_type, unsigned bits, mote_rng *rng)
{
    mote_crypto_privkey *rk = key(ca_type, bits, rng);
    mote_crypto_privkey *ik = key(ca_type, bits, rng);
    mote_crypto_privkey *lk = key(MOTE_CRYPTO_KEY_P256, 0, rng);
    mote_x509_cert *root = issue("CN=Bench Root,O=mote", rk, rk, NULL, 1, rng, &ch->root);
    mote_x509_cert *inter = issue("CN=Bench CA,O=mote", ik, rk, root, 1, rng, &ch->inter);
    mote_x509_cert *leaf = issue("CN=www.example.com", lk, ik, inter, 0, rng, &ch->leaf);
    mote_x509_cert_free(root);
    mote_x509_cert_free(inter);
    mote_x509_cert_free(leaf);
    mote_crypto_privkey_free(rk);
    mote_crypto_privkey_free(ik);
    mote_crypto_privkey_free(lk);
}

static double bench_mote_parse(const uint8_t *der, size_t len, double secs)
{
    size_t n = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 100; i++) {
            int err;
            mote_x509_cert *c = mote_x509_cert_parse(der, len, &err, NULL, 0);
            if (!c)
                exit(1);
            mote_x509_cert_free(c);
        }
        n += 100;
        t = now_s() - t0;
    } while (t < secs);
    return (double)n / t;
}

static double bench_ossl_parse(const uint8_t *der, size_t len, double secs)
{
    size_t n = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 100; i++) {
            const unsigned char *p = der;
            X509 *x = d2i_X509(NULL, &p, (long)len);
            if (!x)
                exit(1);
            X509_free(x);
        }
        n += 100;
        t = now_s() - t0;
    } while (t < secs);
    return (double)n / t;
}

static double bench_mote_verify(const struct chain *ch, double secs)
{
    int err;
    mote_x509_cert *root = mote_x509_cert_parse(ch->root.data, ch->root.len, &err, NULL, 0);
    mote_x509_cert *inter = mote_x509_cert_parse(ch->inter.data, ch->inter.len, &err, NULL, 0);
    mote_x509_cert *leaf = mote_x509_cert_parse(ch->leaf.data, ch->leaf.len, &err, NULL, 0);
    mote_x509_store *s = mote_x509_store_new(&err);
    mote_x509_store_add(s, root);
    mote_x509_verify_opts o;
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    o.dns_name = "www.example.com";
    size_t n = 0;
    double t0 = now_s(), t;
    do {
        mote_x509_verify_result res;
        if (mote_x509_verify(s, leaf, &inter, 1, &o, &res) != 0) {
            fprintf(stderr, "mote verify failed: %s\n", res.reason);
            exit(1);
        }
        mote_x509_verify_result_clear(&res);
        n++;
        t = now_s() - t0;
    } while (t < secs);
    mote_x509_store_free(s);
    mote_x509_cert_free(root);
    mote_x509_cert_free(inter);
    mote_x509_cert_free(leaf);
    return (double)n / t;
}

static X509 *ossl_cert(const mote_buf *b)
{
    const unsigned char *p = b->data;
    X509 *x = d2i_X509(NULL, &p, (long)b->len);
    if (!x)
        exit(1);
    return x;
}

static double bench_ossl_verify(const struct chain *ch, double secs)
{
    X509 *root = ossl_cert(&ch->root), *inter = ossl_cert(&ch->inter), *leaf = ossl_cert(&ch->leaf);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, root);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    sk_X509_push(untrusted, inter);
    size_t n = 0;
    double t0 = now_s(), t;
    do {
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        X509_STORE_CTX_init(ctx, store, leaf, untrusted);
        X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_time(vp, (time_t)T0);
        X509_VERIFY_PARAM_set1_host(vp, "www.example.com", 0);
        X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
        if (X509_verify_cert(ctx) != 1) {
            fprintf(stderr, "openssl verify failed: %s\n",
                    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
            exit(1);
        }
        X509_STORE_CTX_free(ctx);
        n++;
        t = now_s() - t0;
    } while (t < secs);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    X509_free(root);
    X509_free(inter);
    X509_free(leaf);
    return (double)n / t;
}

static void row(const char *what, double mote, double ossl)
{
    printf("%-34s mote %10.0f/s   openssl %10.0f/s   ratio %.2f\n", what, mote, ossl, mote / ossl);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    mote_seeded_rng rng;
    mote_seeded_rng_init(&rng, 1);
    struct chain ec, rsa;
    make_chain(&ec, MOTE_CRYPTO_KEY_P256, 0, &rng.rng);
    make_chain(&rsa, MOTE_CRYPTO_KEY_RSA, 2048, &rng.rng);

    printf("bench-x509 (%.1f s per measurement)\n", secs);
    row("parse: ECDSA leaf (DER)", bench_mote_parse(ec.leaf.data, ec.leaf.len, secs),
        bench_ossl_parse(ec.leaf.data, ec.leaf.len, secs));
    row("parse: RSA intermediate (DER)", bench_mote_parse(rsa.inter.data, rsa.inter.len, secs),
        bench_ossl_parse(rsa.inter.data, rsa.inter.len, secs));
    FILE *f = fopen("/etc/ssl/certs/ISRG_Root_X1.pem", "r");
    if (f) {
        X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        unsigned char *der = NULL;
        int len = x ? i2d_X509(x, &der) : -1;
        if (len > 0)
            row("parse: ISRG Root X1 (RSA-4096)", bench_mote_parse(der, (size_t)len, secs),
                bench_ossl_parse(der, (size_t)len, secs));
        OPENSSL_free(der);
        X509_free(x);
    }
    row("verify: ECDSA P-256 3-cert chain", bench_mote_verify(&ec, secs),
        bench_ossl_verify(&ec, secs));
    row("verify: RSA-2048 3-cert chain", bench_mote_verify(&rsa, secs),
        bench_ossl_verify(&rsa, secs));
    mote_buf_free(&ec.root);
    mote_buf_free(&ec.inter);
    mote_buf_free(&ec.leaf);
    mote_buf_free(&rsa.root);
    mote_buf_free(&rsa.inter);
    mote_buf_free(&rsa.leaf);
    return 0;
}
