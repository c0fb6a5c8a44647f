/* tlssetup.c - mote-serve's TLS configuration (tlssetup.h). */
#include "tlssetup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/asn1_pem.h"
#include "mote/crypto.h"
#include "mote/x509.h"

#define MAX_PEM (1 << 20)

static char *slurp(const char *path, size_t *len, char *err, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, n, "cannot open %s", path);
        return NULL;
    }
    mote_buf b;
    mote_buf_init_secret(&b, MAX_PEM);
    char chunk[4096];
    size_t got;
    int rc = 0;
    while (!rc && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = mote_buf_append(&b, chunk, got);
    fclose(f);
    if (rc) {
        mote_buf_free(&b);
        snprintf(err, n, "%s: %s", path,
                 rc == MOTE_ELIMIT ? "larger than 1 MiB" : mote_strerror(rc));
        return NULL;
    }
    return (char *)mote_buf_detach(&b, len);
}

static mote_tls_config *new_config(mote_rng *rng, mote_clock *clock, char *err, size_t n)
{
    int rc;
    mote_tls_config *cfg = mote_tls_config_new(rng, &rc);
    if (!cfg) {
        snprintf(err, n, "TLS configuration: %s", mote_strerror(rc));
        return NULL;
    }
    mote_tls_config_set_clock(cfg, clock);
    rc = mote_tls_config_set_alpn_str(cfg, "http/1.1");
    if (rc) {
        snprintf(err, n, "ALPN: %s", mote_strerror(rc));
        mote_tls_config_free(cfg);
        return NULL;
    }
    return cfg;
}

mote_tls_config *serve_tls_from_files(mote_rng *rng, mote_clock *clock, const char *cert_path,
                                      const char *key_path, char *err, size_t n)
{
    size_t clen = 0, klen = 0;
    char *cert = slurp(cert_path, &clen, err, n);
    char *key = cert ? slurp(key_path, &klen, err, n) : NULL;
    mote_tls_config *cfg = key ? new_config(rng, clock, err, n) : NULL;
    if (cfg) {
        int rc = mote_tls_config_add_cert_pem(cfg, cert, clen, key, klen, NULL);
        if (rc) {
            snprintf(err, n, "%s / %s: %s", cert_path, key_path,
                     rc == MOTE_EVERIFY ? "the key does not belong to the certificate"
                                        : mote_strerror(rc));
            mote_tls_config_free(cfg);
            cfg = NULL;
        }
    }
    if (key) {
        mote_wipe(key, klen);
        free(key);
    }
    free(cert);
    return cfg;
}

mote_tls_config *serve_tls_self_signed(mote_rng *rng, mote_clock *clock, const char *name,
                                       const char *cert_out, char *err, size_t n)
{
    int rc = 0;
    mote_tls_config *cfg = NULL;
    mote_crypto_pubkey *pub = NULL;
    mote_x509_builder *b = NULL;
    mote_buf der, cert_pem, key_pem;
    mote_buf_init(&der, 0);
    mote_buf_init(&cert_pem, 0);
    mote_buf_init_secret(&key_pem, 0);
    mote_crypto_privkey *key = mote_crypto_privkey_generate(MOTE_CRYPTO_KEY_P256, 0, rng, &rc);
    if (key)
        pub = mote_crypto_privkey_public(key, &rc);
    if (pub)
        b = mote_x509_builder_new(&rc);
    if (b) {
        char dn[300];
        uint8_t ip[16];
        size_t iplen;
        snprintf(dn, sizeof dn, "CN=%s", name);
        mote_time now = mote_clock_wall(clock);
        mote_time from = {now.sec - 3600, 0}, until = {now.sec + 30 * 86400, 0};
        rc = mote_x509_builder_set_subject(b, dn);
        if (!rc)
            rc = mote_x509_builder_set_validity(b, from, until);
        if (!rc)
            rc = mote_x509_parse_ip(name, ip, &iplen) == 0 ? mote_x509_builder_add_ip(b, name)
                                                           : mote_x509_builder_add_dns(b, name);
        if (!rc)
            rc = mote_x509_builder_add_eku(b, MOTE_ASN1_OID_KP_SERVER_AUTH);
        if (!rc)
            rc = mote_x509_builder_sign(b, pub, key, NULL, rng, now, &der);
        if (!rc)
            rc = mote_asn1_pem_write(&cert_pem, "CERTIFICATE", mote_buf_slice(&der));
        if (!rc)
            rc = mote_crypto_privkey_to_pem(key, MOTE_CRYPTO_FORMAT_PKCS8, &key_pem);
    }
    if (rc) {
        snprintf(err, n, "self-signed certificate for %s: %s", name, mote_strerror(rc));
    } else if (cert_out) {
        FILE *f = fopen(cert_out, "wb");
        if (!f || fwrite(cert_pem.data, 1, cert_pem.len, f) != cert_pem.len) {
            snprintf(err, n, "cannot write %s", cert_out);
            rc = MOTE_EIO;
        }
        if (f && fclose(f) != 0 && !rc) {
            snprintf(err, n, "cannot write %s", cert_out);
            rc = MOTE_EIO;
        }
    }
    if (!rc && (cfg = new_config(rng, clock, err, n))) {
        rc = mote_tls_config_add_cert_pem(cfg, (const char *)cert_pem.data, cert_pem.len,
                                          (const char *)key_pem.data, key_pem.len, NULL);
        if (rc) {
            snprintf(err, n, "self-signed certificate: %s", mote_strerror(rc));
            mote_tls_config_free(cfg);
            cfg = NULL;
        }
    }
    mote_x509_builder_free(b);
    mote_crypto_pubkey_free(pub);
    mote_crypto_privkey_free(key);
    mote_buf_free(&der);
    mote_buf_free(&cert_pem);
    mote_buf_free(&key_pem);
    return cfg;
}
