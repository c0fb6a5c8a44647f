/* fuzz_tls.h - shared parts of the TLS fuzz targets: a fixed Ed25519 test
 * certificate (made once with openssl; not a secret of anything), fixed
 * rngs, and a deterministic mote-to-mote session that writes seed files.
 *
 * The targets link an engine built with MOTE_TLS_FUZZ_NOCRYPT: records
 * carry their plaintext and a zero tag, so inputs reach the encrypted
 * handshake messages (EncryptedExtensions, Certificate, CertificateVerify,
 * Finished, KeyUpdate, NewSessionTicket, alerts). Everything else - the
 * parsers, state machine, bounds and alerts - is the real code. */
#ifndef MOTE_FUZZ_TLS_H
#define MOTE_FUZZ_TLS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/sim.h"
#include "mote/tls.h"

static const char fz_key[] = "-----BEGIN PRIVATE KEY-----\n"
                             "MC4CAQAwBQYDK2VwBCIEINa1fN0DJ/bmkHN/uFb07NuW3NPUZ1q2JSy48S3lpxo2\n"
                             "-----END PRIVATE KEY-----\n";
static const char fz_cert[] = "-----BEGIN CERTIFICATE-----\n"
                              "MIIBVTCCAQegAwIBAgIUe/P4Vv11Yirr/Lx0U/7AAYTqhBAwBQYDK2VwMBQxEjAQ\n"
                              "BgNVBAMMCWZ1enoudGVzdDAgFw0yNjExMjQwNzA5MDlaGA8yMTI2MTAzMTA3MDkw\n"
                              "OVowFDESMBAGA1UEAwwJZnV6ei50ZXN0MCowBQYDK2VwAyEAS6DP8nCyDuaKbtff\n"
                              "VRZq57OKPbWTdNPjp9mSYH17U22jaTBnMB0GA1UdDgQWBBR5uxbNBIwE5WNXIQBo\n"
                              "67cF2gDUVTAfBgNVHSMEGDAWgBR5uxbNBIwE5WNXIQBo67cF2gDUVTAPBgNVHRMB\n"
                              "Af8EBTADAQH/MBQGA1UdEQQNMAuCCWZ1enoudGVzdDAFBgMrZXADQQBFfqLErMRW\n"
                              "FwivFgwqoUbawL9YmJKzEcGjPvl+0U6J8A3aSY4bU2d+psh1q8XQG1z43TSrqmbb\n"
                              "T2ro6hNK458G\n"
                              "-----END CERTIFICATE-----\n";

static int fz_accept_all(void *ctx, const mote_slice *chain, size_t n, const char *name,
                         uint8_t *alert)
{
    (void)ctx;
    (void)chain;
    (void)name;
    (void)alert;
    return n ? 0 : MOTE_EVERIFY;
}

static mote_tls_config *fz_client_config(mote_seeded_rng *rng)
{
    mote_seeded_rng_init(rng, 1);
    mote_tls_config *cfg = mote_tls_config_new(&rng->rng, NULL);
    if (!cfg)
        abort();
    mote_tls_config_set_verifier(cfg, fz_accept_all, NULL);
    mote_tls_config_set_alpn_str(cfg, "h2,http/1.1");
    mote_tls_config_add_cert_pem(cfg, fz_cert, sizeof(fz_cert) - 1, fz_key, sizeof(fz_key) - 1,
                                 NULL);
    return cfg;
}

static mote_tls_config *fz_server_config(mote_seeded_rng *rng, int client_auth)
{
    mote_seeded_rng_init(rng, 2);
    mote_tls_config *cfg = mote_tls_config_new(&rng->rng, NULL);
    if (!cfg)
        abort();
    if (mote_tls_config_add_cert_pem(cfg, fz_cert, sizeof(fz_cert) - 1, fz_key, sizeof(fz_key) - 1,
                                     NULL))
        abort();
    mote_tls_config_set_alpn_str(cfg, "http/1.1");
    mote_tls_config_set_verifier(cfg, fz_accept_all, NULL);
    mote_tls_config_set_client_auth(cfg, client_auth);
    return cfg;
}

/* Drains whatever the connection would send or deliver: the output in
 * two pieces, the application data by views consumed a part at a time
 * (each byte touched, so a stale view shows under ASan). */
static void fz_drain(mote_tls *t)
{
    mote_slice o = mote_tls_out(t);
    mote_tls_out_consume(t, o.len / 3);
    mote_tls_out_consume(t, mote_tls_out(t).len);
    mote_slice v;
    while (mote_tls_read_view(t, &v) == 0 && v.len) {
        volatile uint8_t sum = 0;
        for (size_t i = 0; i < v.len; i++)
            sum ^= v.ptr[i];
        (void)sum;
        mote_tls_read_consume(t, v.len > 1 ? v.len / 2 : 1);
    }
}

/* After a feed: the output is always taken; the application data is read
 * at once, or (lazy) only when feed took nothing, so that decrypted
 * records pile up in the engine (its ring, limits and compaction). */
static void fz_after_feed(mote_tls *t, int lazy, size_t used)
{
    if (lazy && used)
        mote_tls_out_consume(t, mote_tls_out(t).len);
    else
        fz_drain(t);
}

/* Reads (and drops) the application data waiting. */
static void fz_read_all(mote_tls *t)
{
    uint8_t buf[4096];
    size_t got;
    while (mote_tls_read(t, buf, sizeof(buf), &got) == 0 && got)
        ;
}

/* With MOTE_TLS_FUZZ_SEEDS=dir set, runs a clean session and writes what
 * each side received (one file per direction) as seeds. */
static void fz_write_seed(const char *dir, const char *what, int tls12)
{
    mote_seeded_rng cr, sr;
    mote_tls_config *cc = fz_client_config(&cr), *sc = fz_server_config(&sr, 1);
    if (tls12)
        mote_tls_config_set_versions(cc, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12);
    mote_tls *c = mote_tls_client_new(cc, "fuzz.test", NULL);
    mote_tls *s = mote_tls_server_new(sc, NULL);
    mote_buf to_c, to_s;
    mote_buf_init(&to_c, 0);
    mote_buf_init(&to_s, 0);
    for (int round = 0; round < 6; round++) {
        if (round == 4) {
            mote_tls_write(c, "client data", 11);
            mote_tls_key_update(c, 1);
            mote_tls_write(s, "server data", 11);
            mote_tls_key_update(s, 0);
            mote_tls_close(s);
            mote_tls_close(c);
        }
        mote_slice o = mote_tls_out(c);
        mote_buf_append(&to_s, o.ptr, o.len);
        mote_tls_feed(s, o.ptr, o.len, NULL);
        mote_tls_out_consume(c, o.len);
        o = mote_tls_out(s);
        mote_buf_append(&to_c, o.ptr, o.len);
        mote_tls_feed(c, o.ptr, o.len, NULL);
        mote_tls_out_consume(s, o.len);
        fz_read_all(c);
        fz_read_all(s);
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s%s", dir, what, tls12 ? "12" : "");
    FILE *f = fopen(path, "wb");
    if (f) {
        mote_buf *b = strstr(what, "client") ? &to_c : &to_s;
        fwrite(b->data, 1, b->len, f);
        fclose(f);
    }
    fprintf(stderr, "seed %s: client %d server %d\n", path, mote_tls_state(c), mote_tls_state(s));
    mote_buf_free(&to_c);
    mote_buf_free(&to_s);
    mote_tls_free(c);
    mote_tls_free(s);
    mote_tls_config_free(cc);
    mote_tls_config_free(sc);
}

static void fz_write_seeds(const char *what)
{
    const char *dir = getenv("MOTE_TLS_FUZZ_SEEDS");
    if (!dir)
        return;
    fz_write_seed(dir, what, 0);
    fz_write_seed(dir, what, 1);
}

#endif
