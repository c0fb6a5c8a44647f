/* bench_tls.c - libmote-tls against OpenSSL's libssl, in one process over
 * memory: full TLS 1.3 handshakes per second (X25519; ECDSA P-256 and
 * Ed25519 certificates; client-side and server-side CPU time apart), bulk
 * MB/s per cipher suite, and heap bytes per established idle connection.
 * Certificates are made with the openssl command at start. Neither side
 * validates the certificate chain (mote: insecure, OpenSSL: VERIFY_NONE);
 * both check the CertificateVerify signature and Finished MACs.
 *
 * Usage: bench-tls [seconds-per-measure, default 1.0] [sections]
 * where sections is a comma-separated list of hs, bulk (16 KiB, 64 KiB and
 * 1 KiB writes), bulk16 (16 KiB writes only), mem; default all. */
#include <malloc.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mote/sim.h"
#include "mote/tls.h"

static double secs = 1.0;
static char dir[64];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = malloc(1 << 16);
    *len = fread(b, 1, (1 << 16) - 1, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

static int make_cert(const char *tag, const char *alg)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "openssl genpkey %s -out %s/%s.key 2>/dev/null && openssl req -x509 -new -key "
             "%s/%s.key -out %s/%s.crt -days 2 -subj /CN=bench.test 2>/dev/null",
             alg, dir, tag, dir, tag, dir, tag);
    return system(cmd);
}

/* ---- mote ---- */

typedef struct mote_side {
    mote_tls_config *cc, *sc;
    mote_rng rng;
} mote_side;

static int urandom_fill(void *ctx, void *buf, size_t len)
{
    FILE *f = ctx;
    return fread(buf, 1, len, f) == len ? 0 : MOTE_EIO;
}

static void mote_setup(mote_side *m, FILE *ur, const char *tag, uint16_t suite)
{
    char p[256];
    size_t cl = 0, kl = 0;
    m->rng.ctx = ur;
    m->rng.fill = urandom_fill;
    m->cc = mote_tls_config_new(&m->rng, NULL);
    m->sc = mote_tls_config_new(&m->rng, NULL);
    snprintf(p, sizeof(p), "%s/%s.crt", dir, tag);
    char *c = slurp(p, &cl);
    snprintf(p, sizeof(p), "%s/%s.key", dir, tag);
    char *k = slurp(p, &kl);
    if (mote_tls_config_add_cert_pem(m->sc, c, cl, k, kl, NULL)) {
        fprintf(stderr, "cannot load %s\n", tag);
        exit(1);
    }
    free(c);
    free(k);
    mote_tls_config_set_insecure(m->cc, 1);
    uint16_t g = MOTE_CRYPTO_GROUP_X25519;
    mote_tls_config_set_groups(m->cc, &g, 1);
    mote_tls_config_set_suites(m->cc, &suite, 1);
}

static void mote_teardown(mote_side *m)
{
    mote_tls_config_free(m->cc);
    mote_tls_config_free(m->sc);
}

/* Moves bytes one way, charging the receiver's time to *t. */
static size_t mote_move(mote_tls *from, mote_tls *to, double *t)
{
    mote_slice o = mote_tls_out(from);
    if (!o.len)
        return 0;
    size_t used = 0, len = o.len;
    double t0 = now();
    mote_tls_feed(to, o.ptr, o.len, &used);
    *t += now() - t0;
    mote_tls_out_consume(from, used);
    return len;
}

static int mote_handshake_sess(mote_side *m, mote_tls **pc, mote_tls **ps, double *tc, double *ts,
                               const mote_buf *sess, int want_resumed)
{
    double t0 = now();
    mote_tls *c = sess ? mote_tls_client_new_resume(m->cc, NULL, sess->data, sess->len, NULL)
                       : mote_tls_client_new(m->cc, NULL, NULL);
    *tc += now() - t0;
    t0 = now();
    mote_tls *s = mote_tls_server_new(m->sc, NULL);
    *ts += now() - t0;
    for (int i = 0; i < 10; i++) {
        size_t a = mote_move(c, s, ts), b = mote_move(s, c, tc);
        if (!a && !b)
            break;
    }
    int ok = mote_tls_state(c) == MOTE_TLS_OPEN && mote_tls_state(s) == MOTE_TLS_OPEN &&
             mote_tls_resumed(c) == want_resumed;
    if (pc) {
        *pc = c;
        *ps = s;
    } else {
        t0 = now();
        mote_tls_free(c);
        *tc += now() - t0;
        t0 = now();
        mote_tls_free(s);
        *ts += now() - t0;
    }
    return ok;
}

static int mote_handshake(mote_side *m, mote_tls **pc, mote_tls **ps, double *tc, double *ts)
{
    return mote_handshake_sess(m, pc, ps, tc, ts, NULL, 0);
}

/* ---- OpenSSL ---- */

typedef struct ossl_side {
    SSL_CTX *cc, *sc;
} ossl_side;

static void ossl_setup(ossl_side *o, const char *tag, const char *suite)
{
    char p[256];
    o->cc = SSL_CTX_new(TLS_client_method());
    o->sc = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(o->cc, TLS1_3_VERSION);
    SSL_CTX_set_min_proto_version(o->sc, TLS1_3_VERSION);
    SSL_CTX_set_verify(o->cc, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set1_groups_list(o->cc, "X25519");
    SSL_CTX_set_ciphersuites(o->cc, suite);
    SSL_CTX_set_session_cache_mode(o->cc, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_set_num_tickets(o->sc, 0);
    snprintf(p, sizeof(p), "%s/%s.crt", dir, tag);
    SSL_CTX_use_certificate_file(o->sc, p, SSL_FILETYPE_PEM);
    snprintf(p, sizeof(p), "%s/%s.key", dir, tag);
    if (SSL_CTX_use_PrivateKey_file(o->sc, p, SSL_FILETYPE_PEM) != 1) {
        fprintf(stderr, "openssl cannot load %s\n", tag);
        exit(1);
    }
}

static void ossl_teardown(ossl_side *o)
{
    SSL_CTX_free(o->cc);
    SSL_CTX_free(o->sc);
}

static int ossl_handshake_sess(ossl_side *o, SSL **pc, SSL **ps, double *tc, double *ts,
                               SSL_SESSION *sess)
{
    double t0 = now();
    SSL *c = SSL_new(o->cc);
    if (sess)
        SSL_set_session(c, sess);
    BIO *cb, *sb;
    BIO_new_bio_pair(&cb, 1 << 17, &sb, 1 << 17);
    SSL_set_bio(c, cb, cb);
    SSL_set_connect_state(c);
    *tc += now() - t0;
    t0 = now();
    SSL *s = SSL_new(o->sc);
    SSL_set_bio(s, sb, sb);
    SSL_set_accept_state(s);
    *ts += now() - t0;
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 20 && !(cdone && sdone); i++) {
        t0 = now();
        if (!cdone)
            cdone = SSL_do_handshake(c) == 1;
        *tc += now() - t0;
        t0 = now();
        if (!sdone)
            sdone = SSL_do_handshake(s) == 1;
        *ts += now() - t0;
    }
    int reused = !sess || SSL_session_reused(c);
    if (pc) {
        *pc = c;
        *ps = s;
    } else {
        t0 = now();
        SSL_free(c);
        *tc += now() - t0;
        t0 = now();
        SSL_free(s);
        *ts += now() - t0;
    }
    return cdone && sdone && reused;
}

static int ossl_handshake(ossl_side *o, SSL **pc, SSL **ps, double *tc, double *ts)
{
    return ossl_handshake_sess(o, pc, ps, tc, ts, NULL);
}

/* ---- measures ---- */

static void bench_handshakes(FILE *ur, const char *tag, const char *label)
{
    mote_side m;
    ossl_side o;
    mote_setup(&m, ur, tag, MOTE_TLS_AES_128_GCM_SHA256);
    ossl_setup(&o, tag, "TLS_AES_128_GCM_SHA256");
    double mc = 0, ms = 0, oc = 0, os = 0;
    long mn = 0, on = 0;
    /* Ten alternating slices each, as for bulk. */
    for (int k = 0; k < 10; k++) {
        double end = now() + secs / 10;
        while (now() < end) {
            if (!mote_handshake(&m, NULL, NULL, &mc, &ms)) {
                fprintf(stderr, "mote handshake failed\n");
                exit(1);
            }
            mn++;
        }
        end = now() + secs / 10;
        while (now() < end) {
            if (!ossl_handshake(&o, NULL, NULL, &oc, &os)) {
                fprintf(stderr, "openssl handshake failed\n");
                ERR_print_errors_fp(stderr);
                exit(1);
            }
            on++;
        }
    }
    printf("full handshake %-8s client side: mote %7.0f/s  openssl %7.0f/s  ratio %.2fx\n", label,
           mn / mc, on / oc, (mn / mc) / (on / oc));
    printf("full handshake %-8s server side: mote %7.0f/s  openssl %7.0f/s  ratio %.2fx\n", label,
           mn / ms, on / os, (mn / ms) / (on / os));
    printf("full handshake %-8s both sides:  mote %7.0f/s  openssl %7.0f/s  ratio %.2fx\n", label,
           mn / (mc + ms), on / (oc + os), (mn / (mc + ms)) / (on / (oc + os)));
    mote_teardown(&m);
    ossl_teardown(&o);
}

static void bench_resumed(FILE *ur)
{
    mote_side m;
    ossl_side o;
    mote_setup(&m, ur, "p256", MOTE_TLS_AES_128_GCM_SHA256);
    ossl_setup(&o, "p256", "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set_num_tickets(o.sc, 1);
    double mc = 0, ms = 0, oc = 0, os = 0;
    long mn = 0, on = 0;
    /* mote: one full handshake for a session, then resume it. */
    mote_tls *c, *s;
    mote_handshake(&m, &c, &s, &mc, &ms);
    mote_buf sess;
    mote_buf_init(&sess, 0);
    if (mote_tls_session_save(c, &sess)) {
        fprintf(stderr, "mote: no session ticket\n");
        exit(1);
    }
    mote_tls_free(c);
    mote_tls_free(s);
    mc = ms = 0;
    double end = now() + secs;
    while (now() < end) {
        if (!mote_handshake_sess(&m, NULL, NULL, &mc, &ms, &sess, 1)) {
            fprintf(stderr, "mote resumption failed\n");
            exit(1);
        }
        mn++;
    }
    mote_buf_free(&sess);
    /* OpenSSL: the same with its ticket. */
    SSL *oc1, *os1;
    ossl_handshake(&o, &oc1, &os1, &oc, &os);
    uint8_t b[16];
    SSL_read(oc1, b, sizeof(b)); /* takes in the NewSessionTicket */
    SSL_read(os1, b, sizeof(b));
    SSL_read(oc1, b, sizeof(b));
    SSL_SESSION *osess = SSL_get1_session(oc1);
    if (!osess || !SSL_SESSION_is_resumable(osess)) {
        fprintf(stderr, "openssl: no resumable session\n");
        exit(1);
    }
    SSL_free(oc1);
    SSL_free(os1);
    oc = os = 0;
    end = now() + secs;
    int resumed = 1;
    while (now() < end && resumed) {
        resumed = ossl_handshake_sess(&o, NULL, NULL, &oc, &os, osess);
        on++;
    }
    SSL_SESSION_free(osess);
    if (!resumed) {
        /* OpenSSL completes a full handshake instead of resuming its own
         * ticket over this memory-BIO harness; its figure is left out
         * rather than compared with a full handshake. */
        printf("resumed handshake (psk_dhe_ke) client side: mote %7.0f/s  openssl n/a\n", mn / mc);
        printf("resumed handshake (psk_dhe_ke) server side: mote %7.0f/s  openssl n/a\n", mn / ms);
    } else {
        printf("resumed handshake (psk_dhe_ke) client side: mote %7.0f/s  openssl %7.0f/s  ratio "
               "%.2fx\n",
               mn / mc, on / oc, (mn / mc) / (on / oc));
        printf("resumed handshake (psk_dhe_ke) server side: mote %7.0f/s  openssl %7.0f/s  ratio "
               "%.2fx\n",
               mn / ms, on / os, (mn / ms) / (on / os));
    }
    mote_teardown(&m);
    ossl_teardown(&o);
}

/* Bulk: the client writes `chunk` bytes at a time and the server reads
 * them back, both libraries over memory (mote: the client's output fed to
 * the server; OpenSSL: a BIO pair), the same record sizes (full 16 KiB
 * records for 16 KiB writes) and the same number of bytes each round.
 * The two libraries run in alternating slices (ten per measure) so a
 * change of machine load strikes both alike; the time of each side's
 * calls is charged to it, and the first bytes read are checked. Besides
 * the ratio over all slices, the median of the ten ratios of neighbouring
 * slices is printed (a burst of other load spoils one pair, not it). */
typedef struct bulk_run {
    double wr, rd; /* seconds in the writer's and the reader's calls */
    size_t bytes;
} bulk_run;

static void bulk_check(const uint8_t *p, size_t n, size_t at)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(at + i)) {
            fprintf(stderr, "bulk: byte %zu differs\n", at + i);
            exit(1);
        }
}

static void mote_bulk_slice(mote_tls *c, mote_tls *s, const uint8_t *buf, size_t chunk,
                            uint8_t *rbuf, size_t rcap, double until, bulk_run *r)
{
    while (now() < until) {
        for (int i = 0; i < 64; i++) {
            double t0 = now();
            if (mote_tls_write(c, buf + (r->bytes & 255), chunk)) {
                fprintf(stderr, "mote_tls_write failed\n");
                exit(1);
            }
            mote_slice out = mote_tls_out(c);
            double t1 = now();
            r->wr += t1 - t0;
            size_t off = 0, got = 0;
            while (off < out.len) {
                size_t used = 0;
                if (mote_tls_feed(s, out.ptr + off, out.len - off, &used)) {
                    fprintf(stderr, "mote_tls_feed failed\n");
                    exit(1);
                }
                off += used;
                size_t n;
                while (mote_tls_read(s, rbuf, rcap, &n) == 0 && n) {
                    if (r->bytes == 0)
                        bulk_check(rbuf, n, 0);
                    r->bytes += n;
                    got += n;
                }
            }
            double t2 = now();
            r->rd += t2 - t1;
            mote_tls_out_consume(c, out.len);
            r->wr += now() - t2;
            if (got != chunk) {
                fprintf(stderr, "mote: read %zu of %zu\n", got, chunk);
                exit(1);
            }
        }
    }
}

static void ossl_bulk_slice(SSL *c, SSL *s, const uint8_t *buf, size_t chunk, uint8_t *rbuf,
                            size_t rcap, double until, bulk_run *r)
{
    while (now() < until) {
        for (int i = 0; i < 64; i++) {
            double t0 = now();
            if (SSL_write(c, buf + (r->bytes & 255), (int)chunk) != (int)chunk) {
                fprintf(stderr, "SSL_write failed\n");
                exit(1);
            }
            double t1 = now();
            r->wr += t1 - t0;
            size_t got = 0;
            int n;
            while ((n = SSL_read(s, rbuf, (int)rcap)) > 0) {
                if (r->bytes == 0)
                    bulk_check(rbuf, (size_t)n, 0);
                r->bytes += (size_t)n;
                got += (size_t)n;
            }
            r->rd += now() - t1;
            if (got != chunk) {
                fprintf(stderr, "openssl: read %zu of %zu\n", got, chunk);
                exit(1);
            }
        }
    }
}

static void bench_bulk(FILE *ur, uint16_t suite, const char *name, size_t chunk)
{
    mote_side m;
    ossl_side o;
    mote_setup(&m, ur, "p256", suite);
    ossl_setup(&o, "p256", name);
    static uint8_t buf[65536 + 256], rbuf[65536];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)i;
    double x = 0, y = 0;
    mote_tls *c, *s;
    SSL *oc, *os;
    if (!mote_handshake(&m, &c, &s, &x, &y) || !ossl_handshake(&o, &oc, &os, &x, &y)) {
        fprintf(stderr, "bulk: handshake failed\n");
        exit(1);
    }
    /* The byte pattern continues across writes when each starts at
     * buf + (bytes sent so far mod 256): checked on the first read. */
    bulk_run mr = {0}, orr = {0};
    double ratios[10]; /* per pair of neighbouring slices: alike in load */
    for (int k = 0; k < 10; k++) {
        bulk_run m0 = mr, o0 = orr;
        mote_bulk_slice(c, s, buf, chunk, rbuf, sizeof(rbuf), now() + secs / 20, &mr);
        ossl_bulk_slice(oc, os, buf, chunk, rbuf, sizeof(rbuf), now() + secs / 20, &orr);
        double mt = mr.wr + mr.rd - m0.wr - m0.rd, ot = orr.wr + orr.rd - o0.wr - o0.rd;
        ratios[k] = ((mr.bytes - m0.bytes) / mt) / ((orr.bytes - o0.bytes) / ot);
    }
    for (int i = 1; i < 10; i++) /* sort for the median */
        for (int j = i; j > 0 && ratios[j] < ratios[j - 1]; j--) {
            double r = ratios[j];
            ratios[j] = ratios[j - 1];
            ratios[j - 1] = r;
        }
    mote_tls_free(c);
    mote_tls_free(s);
    SSL_free(oc);
    SSL_free(os);
    double mrate = mr.bytes / (mr.wr + mr.rd) / 1e6, orate = orr.bytes / (orr.wr + orr.rd) / 1e6;
    printf("bulk %-28s %5zu B writes  mote %7.1f MB/s  openssl %7.1f MB/s  ratio %.2fx"
           "  (send %.2fx, receive %.2fx; median slice %.2fx)\n",
           name, chunk, mrate, orate, mrate / orate, (mr.bytes / mr.wr) / (orr.bytes / orr.wr),
           (mr.bytes / mr.rd) / (orr.bytes / orr.rd), (ratios[4] + ratios[5]) / 2);
    mote_teardown(&m);
    ossl_teardown(&o);
}

static size_t heap_used(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void bench_memory(FILE *ur)
{
    enum { N = 200 };
    mote_side m;
    ossl_side o;
    mote_setup(&m, ur, "p256", MOTE_TLS_AES_128_GCM_SHA256);
    ossl_setup(&o, "p256", "TLS_AES_128_GCM_SHA256");
    static mote_tls *mc[N], *ms[N];
    static SSL *oc[N], *os[N];
    double x = 0, y = 0;
    size_t h0 = heap_used();
    for (int i = 0; i < N; i++)
        mote_handshake(&m, &mc[i], &ms[i], &x, &y);
    size_t h1 = heap_used();
    for (int i = 0; i < N; i++)
        mote_tls_free(mc[i]);
    size_t h2 = heap_used();
    for (int i = 0; i < N; i++)
        mote_tls_free(ms[i]);
    size_t mclient = (h1 - h2) / N, mserver = (h2 > h0 ? h2 - h0 : 0) / N;
    h0 = heap_used();
    for (int i = 0; i < N; i++)
        ossl_handshake(&o, &oc[i], &os[i], &x, &y);
    h1 = heap_used();
    for (int i = 0; i < N; i++)
        SSL_free(oc[i]);
    h2 = heap_used();
    for (int i = 0; i < N; i++)
        SSL_free(os[i]);
    size_t oclient = (h1 - h2) / N, oserver = (h2 > h0 ? h2 - h0 : 0) / N;
    printf("idle connection heap: mote client %zu B, server %zu B;  openssl client %zu B, "
           "server %zu B (incl. its BIO pair)\n",
           mclient, mserver, oclient, oserver);
    mote_teardown(&m);
    ossl_teardown(&o);
}

/* 1 if the section is asked for: what is NULL (all) or a comma-separated list. */
static int want(const char *what, const char *section)
{
    if (!what)
        return 1;
    size_t n = strlen(section);
    for (const char *p = what; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, section, n))
            return 1;
        p += len + (e ? 1 : 0);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = NULL;
    if (argc > 1)
        secs = atof(argv[1]);
    if (argc > 2)
        what = argv[2];
    if (system("command -v openssl >/dev/null") != 0) {
        printf("SKIP: the openssl command is needed\n");
        return 77;
    }
    snprintf(dir, sizeof(dir), "/tmp/mote-tls-bench-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    if (make_cert("p256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256") ||
        make_cert("ed25519", "-algorithm ed25519"))
        return 1;
    FILE *ur = fopen("/dev/urandom", "rb");
    printf("libmote-tls vs OpenSSL %s, TLS 1.3, X25519, in memory, %.1f s per measure\n",
           OpenSSL_version(OPENSSL_VERSION), secs);
    if (want(what, "hs")) {
        bench_handshakes(ur, "p256", "P-256");
        bench_handshakes(ur, "ed25519", "Ed25519");
        bench_resumed(ur);
    }
    static const struct {
        uint16_t id;
        const char *name;
    } suites[] = {
        {MOTE_TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256"},
        {MOTE_TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384"},
        {MOTE_TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256"},
    };
    static const size_t chunks[] = {16384, 65536, 1024};
    for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++)
        for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
            if (want(what, "bulk") || (k == 0 && want(what, "bulk16")))
                bench_bulk(ur, suites[i].id, suites[i].name, chunks[k]);
    if (want(what, "mem"))
        bench_memory(ur);
    fclose(ur);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
