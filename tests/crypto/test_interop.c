/* test_interop.c - libmote-crypto against the openssl command: keys made
 * by `openssl genpkey` (RSA, P-256, P-384, Ed25519) are imported from PEM
 * and DER (PKCS#8 and traditional), re-exported, and read back by openssl;
 * signatures made by mote verify with `openssl dgst`/`pkeyutl`, and
 * signatures made by openssl verify with mote. Skips (77) without openssl. */
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mote/crypto.h"

static char dir[] = "/tmp/mote-crypto-interop-XXXXXX";
static mote_seeded_rng rng;

static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    char full[2200];
    snprintf(full, sizeof(full), "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
    return system(full);
}

static uint8_t *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return tu_read_file(path, len);
}

static void spit(const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

typedef struct keyspec {
    const char *name;
    const char *genpkey; /* arguments to openssl genpkey */
    mote_crypto_key_type type;
    int has_traditional;
    mote_crypto_sig_alg algs[6];
    const char *verify_cmd[6]; /* openssl command verifying sig.bin over msg.bin with pub.pem */
    const char *sign_cmd[6];   /* openssl command signing msg.bin into osig.bin with key.pem */
} keyspec;

#define DGST_VO(h, o) "openssl dgst -" h o " -verify pub.pem -signature sig.bin msg.bin"
#define DGST_SO(h, o) "openssl dgst -" h o " -sign key.pem -out osig.bin msg.bin"
#define DGST_V(h)     DGST_VO(h, "")
#define DGST_S(h)     DGST_SO(h, "")
#define PSS_OPTS      " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"

static const keyspec specs[] = {
    {"p256",
     "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
     MOTE_CRYPTO_KEY_P256,
     1,
     {MOTE_CRYPTO_SIG_ECDSA_SHA256, MOTE_CRYPTO_SIG_ECDSA_SHA384},
     {DGST_V("sha256"), DGST_V("sha384")},
     {DGST_S("sha256"), DGST_S("sha384")}},
    {"p384",
     "-algorithm EC -pkeyopt ec_paramgen_curve:P-384",
     MOTE_CRYPTO_KEY_P384,
     1,
     {MOTE_CRYPTO_SIG_ECDSA_SHA384, MOTE_CRYPTO_SIG_ECDSA_SHA512},
     {DGST_V("sha384"), DGST_V("sha512")},
     {DGST_S("sha384"), DGST_S("sha512")}},
    {"ed25519",
     "-algorithm ED25519",
     MOTE_CRYPTO_KEY_ED25519,
     0,
     {MOTE_CRYPTO_SIG_ED25519},
     {"openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg.bin -sigfile sig.bin"},
     {"openssl pkeyutl -sign -inkey key.pem -rawin -in msg.bin -out osig.bin"}},
    {"rsa2048",
     "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
     MOTE_CRYPTO_KEY_RSA,
     1,
     {MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256, MOTE_CRYPTO_SIG_RSA_PKCS1_SHA384,
      MOTE_CRYPTO_SIG_RSA_PKCS1_SHA512, MOTE_CRYPTO_SIG_RSA_PSS_SHA256,
      MOTE_CRYPTO_SIG_RSA_PSS_SHA384, MOTE_CRYPTO_SIG_RSA_PSS_SHA512},
     {DGST_V("sha256"), DGST_V("sha384"), DGST_V("sha512"), DGST_VO("sha256", PSS_OPTS),
      DGST_VO("sha384", PSS_OPTS), DGST_VO("sha512", PSS_OPTS)},
     {DGST_S("sha256"), DGST_S("sha384"), DGST_S("sha512"), DGST_SO("sha256", PSS_OPTS),
      DGST_SO("sha384", PSS_OPTS), DGST_SO("sha512", PSS_OPTS)}},
};

static void check_same_file(const char *a, const char *b)
{
    size_t la, lb;
    uint8_t *pa = slurp(a, &la), *pb = slurp(b, &lb);
    ck_assert_ptr_nonnull(pa);
    ck_assert_ptr_nonnull(pb);
    ck_assert_uint_eq(la, lb);
    ck_assert_mem_eq(pa, pb, la);
    free(pa);
    free(pb);
}

START_TEST(test_openssl_keys_and_signatures)
{
    const keyspec *ks = &specs[_i];
    int err;
    size_t len;
    mote_buf out;
    ck_assert_int_eq(sh("openssl genpkey %s -out key.pem", ks->genpkey), 0);
    /* (openssl pkey -outform DER writes the traditional form for RSA and EC) */
    ck_assert_int_eq(sh("openssl pkcs8 -topk8 -nocrypt -in key.pem -outform DER -out key.der"), 0);
    ck_assert_int_eq(sh("openssl pkey -in key.pem -pubout -out pub.pem"), 0);
    ck_assert_int_eq(sh("openssl pkey -in key.pem -pubout -outform DER -out pub.der"), 0);

    /* PKCS#8 PEM and DER in */
    uint8_t *pem = slurp("key.pem", &len);
    mote_crypto_privkey *k = mote_crypto_privkey_from_pem((const char *)pem, len, &err);
    ck_assert_msg(k != NULL, "%s PEM: %s", ks->name, mote_strerror(err));
    ck_assert_int_eq(mote_crypto_privkey_type(k), ks->type);
    free(pem);
    uint8_t *der = slurp("key.der", &len);
    mote_crypto_privkey *kd = mote_crypto_privkey_from_der(der, len, &err);
    ck_assert_ptr_nonnull(kd);
    /* mote's PKCS#8 export of the DER import equals openssl's PKCS#8 DER */
    mote_buf_init_secret(&out, 0);
    ck_assert_int_eq(mote_crypto_privkey_to_der(kd, MOTE_CRYPTO_FORMAT_PKCS8, &out), 0);
    spit("mote8.der", out.data, out.len);
    ck_assert_uint_eq(out.len, len);
    ck_assert_mem_eq(out.data, der, len);
    free(der);
    mote_crypto_privkey_free(kd);
    ck_assert_int_eq(sh("openssl pkey -inform DER -in mote8.der -pubout -out mote8pub.pem"), 0);
    check_same_file("pub.pem", "mote8pub.pem");

    /* traditional (PKCS#1 / SEC1), PEM and DER, both ways */
    if (ks->has_traditional) {
        ck_assert_int_eq(sh("openssl pkey -in key.pem -traditional -out trad.pem"), 0);
        /* (openssl pkey ignores -traditional for DER; rsa and ec do not) */
        ck_assert_int_eq(sh("openssl %s -in key.pem -outform DER -out trad.der",
                            ks->type == MOTE_CRYPTO_KEY_RSA ? "rsa -traditional" : "ec"),
                         0);
        pem = slurp("trad.pem", &len);
        kd = mote_crypto_privkey_from_pem((const char *)pem, len, &err);
        ck_assert_msg(kd != NULL, "%s traditional PEM: %s", ks->name, mote_strerror(err));
        free(pem);
        mote_buf_reset(&out);
        ck_assert_int_eq(mote_crypto_privkey_to_pem(kd, MOTE_CRYPTO_FORMAT_TRADITIONAL, &out), 0);
        spit("motetrad.pem", out.data, out.len);
        mote_crypto_privkey_free(kd);
        check_same_file("trad.pem", "motetrad.pem");
        der = slurp("trad.der", &len);
        kd = mote_crypto_privkey_from_der(der, len, &err);
        ck_assert_ptr_nonnull(kd);
        mote_buf_reset(&out);
        ck_assert_int_eq(mote_crypto_privkey_to_der(kd, MOTE_CRYPTO_FORMAT_TRADITIONAL, &out), 0);
        ck_assert_uint_eq(out.len, len);
        ck_assert_mem_eq(out.data, der, len); /* PKCS#1 / SEC1 DER, byte for byte */
        free(der);
        mote_crypto_privkey_free(kd);
    }

    /* public keys: PEM and DER in, byte-identical SPKI out */
    pem = slurp("pub.pem", &len);
    mote_crypto_pubkey *pk = mote_crypto_pubkey_from_pem((const char *)pem, len, &err);
    ck_assert_ptr_nonnull(pk);
    free(pem);
    mote_buf_reset(&out);
    ck_assert_int_eq(mote_crypto_pubkey_to_pem(pk, &out), 0);
    spit("motepub.pem", out.data, out.len);
    check_same_file("pub.pem", "motepub.pem");
    mote_buf_reset(&out);
    der = slurp("pub.der", &len);
    mote_crypto_pubkey *pkd = mote_crypto_pubkey_from_spki(der, len, &err);
    ck_assert_ptr_nonnull(pkd);
    ck_assert_int_eq(mote_crypto_pubkey_to_spki(pkd, &out), 0);
    ck_assert_uint_eq(out.len, len);
    ck_assert_mem_eq(out.data, der, len);
    free(der);
    mote_crypto_pubkey_free(pkd);

    /* signatures both ways */
    static const char msg[] = "mote signs this, openssl checks it, and back again\n";
    spit("msg.bin", msg, sizeof(msg) - 1);
    for (int i = 0; i < 6 && ks->verify_cmd[i]; i++) {
        uint8_t sig[MOTE_CRYPTO_SIG_MAX_LEN];
        size_t sig_len;
        ck_assert_int_eq(mote_crypto_sign(k, ks->algs[i], &rng.rng, msg, sizeof(msg) - 1, sig,
                                          sizeof(sig), &sig_len, 0),
                         0);
        spit("sig.bin", sig, sig_len);
        ck_assert_msg(sh("%s", ks->verify_cmd[i]) == 0, "%s alg %04x: openssl rejects mote",
                      ks->name, ks->algs[i]);
        sig[sig_len - 1] ^= 1;
        spit("sig.bin", sig, sig_len);
        ck_assert_msg(sh("%s", ks->verify_cmd[i]) != 0, "openssl accepts a bad signature");

        ck_assert_int_eq(sh("%s", ks->sign_cmd[i]), 0);
        uint8_t *osig = slurp("osig.bin", &sig_len);
        ck_assert_ptr_nonnull(osig);
        ck_assert_msg(mote_crypto_verify(pk, ks->algs[i], msg, sizeof(msg) - 1, osig, sig_len, 0) ==
                          0,
                      "%s alg %04x: mote rejects openssl", ks->name, ks->algs[i]);
        free(osig);
    }
    mote_crypto_pubkey_free(pk);
    mote_crypto_privkey_free(k);
    mote_buf_free(&out);
}
END_TEST

START_TEST(test_openssl_encrypted_key)
{
    int err;
    size_t len;
    ck_assert_int_eq(
        sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-128-cbc "
           "-pass pass:secret -out enc.pem"),
        0);
    ck_assert_int_eq(sh("openssl pkey -in enc.pem -passin pass:secret -aes-128-cbc -passout "
                        "pass:secret -traditional -out enctrad.pem"),
                     0);
    ck_assert_int_eq(sh("openssl pkcs8 -topk8 -in enc.pem -passin pass:secret -passout "
                        "pass:secret -outform DER -out enc.der"),
                     0);
    const char *files[] = {"enc.pem", "enctrad.pem"};
    for (int i = 0; i < 2; i++) {
        uint8_t *pem = slurp(files[i], &len);
        ck_assert_ptr_null(mote_crypto_privkey_from_pem((const char *)pem, len, &err));
        ck_assert_int_eq(err, MOTE_EUNSUPPORTED);
        free(pem);
    }
    uint8_t *der = slurp("enc.der", &len);
    ck_assert_ptr_null(mote_crypto_privkey_from_der(der, len, &err));
    ck_assert_int_eq(err, MOTE_EUNSUPPORTED);
    free(der);
}
END_TEST

/* An RSA-1024 public key verifies only when asked. */
START_TEST(test_openssl_rsa1024)
{
    int err;
    size_t len, sig_len;
    ck_assert_int_eq(
        sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out k1.pem && "
           "openssl pkey -in k1.pem -pubout -out p1.pem && printf abc > m1.bin && "
           "openssl dgst -sha256 -sign k1.pem -out s1.bin m1.bin"),
        0);
    uint8_t *pem = slurp("p1.pem", &len);
    mote_crypto_pubkey *pk = mote_crypto_pubkey_from_pem((const char *)pem, len, &err);
    ck_assert_ptr_nonnull(pk);
    uint8_t *sig = slurp("s1.bin", &sig_len);
    ck_assert_int_eq(
        mote_crypto_verify(pk, MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256, "abc", 3, sig, sig_len, 0),
        MOTE_ERANGE);
    ck_assert_int_eq(mote_crypto_verify(pk, MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256, "abc", 3, sig,
                                        sig_len, MOTE_CRYPTO_VERIFY_RSA1024),
                     0);
    /* and mote will not sign with it */
    free(pem);
    pem = slurp("k1.pem", &len);
    mote_crypto_privkey *k = mote_crypto_privkey_from_pem((const char *)pem, len, &err);
    ck_assert_ptr_nonnull(k);
    uint8_t s2[512];
    ck_assert_int_eq(mote_crypto_sign(k, MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256, &rng.rng, "abc", 3, s2,
                                      sizeof(s2), &sig_len, 0),
                     MOTE_ERANGE);
    mote_crypto_privkey_free(k);
    free(pem);
    free(sig);
    mote_crypto_pubkey_free(pk);
}
END_TEST

/* RSA-PSS with a salt length other than the hash's (as X.509's
 * RSASSA-PSS-params may say): openssl signs with 20 and with 0 bytes of
 * salt; mote verifies with the explicit length and rejects the others. */
START_TEST(test_openssl_pss_salt_lengths)
{
    int err;
    size_t len, sig_len;
    uint8_t digest[32];
    static const char msg[] = "salt lengths";
    ck_assert_int_eq(
        sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out pk.pem && "
           "openssl pkey -in pk.pem -pubout -out pp.pem"),
        0);
    spit("pm.bin", msg, sizeof(msg) - 1);
    uint8_t *pem = slurp("pp.pem", &len);
    mote_crypto_pubkey *pk = mote_crypto_pubkey_from_pem((const char *)pem, len, &err);
    ck_assert_ptr_nonnull(pk);
    free(pem);
    mote_crypto_hash(MOTE_CRYPTO_HASH_SHA256, msg, sizeof(msg) - 1, digest);
    static const int salts[] = {20, 0, 32};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(sh("openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt "
                            "rsa_pss_saltlen:%d -sign pk.pem -out ps.bin pm.bin",
                            salts[i]),
                         0);
        uint8_t *sig = slurp("ps.bin", &sig_len);
        for (int j = 0; j < 3; j++)
            ck_assert_int_eq(mote_crypto_rsa_pss_verify_digest(pk, MOTE_CRYPTO_HASH_SHA256,
                                                               (size_t)salts[j], digest, 32, sig,
                                                               sig_len, 0),
                             i == j ? 0 : MOTE_EVERIFY);
        /* mote_crypto_verify's PSS is salt = hash length */
        ck_assert_int_eq(mote_crypto_verify(pk, MOTE_CRYPTO_SIG_RSA_PSS_SHA256, msg,
                                            sizeof(msg) - 1, sig, sig_len, 0),
                         salts[i] == 32 ? 0 : MOTE_EVERIFY);
        free(sig);
    }
    mote_crypto_pubkey_free(pk);
}
END_TEST

/* Key exchange with openssl pkeyutl -derive: mote's ephemeral share and
 * openssl's key agree on the secret, for X25519, P-256 and P-384. */
START_TEST(test_openssl_key_exchange)
{
    static const struct {
        mote_crypto_group group;
        const char *genpkey;
        size_t share_len;
    } kx[] = {
        {MOTE_CRYPTO_GROUP_X25519, "-algorithm X25519", 32},
        {MOTE_CRYPTO_GROUP_P256, "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", 65},
        {MOTE_CRYPTO_GROUP_P384, "-algorithm EC -pkeyopt ec_paramgen_curve:P-384", 97},
    };
    /* RFC 8410 SubjectPublicKeyInfo prefix for an X25519 key (mote reads
     * and writes no X25519 SPKI; the test builds one for openssl). */
    static const uint8_t x25519_spki[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                          0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00};
    const int i = _i;
    int err;
    size_t len, sl;
    uint8_t secret[64];
    ck_assert_int_eq(sh("openssl genpkey %s -out kx.pem && openssl pkey -in kx.pem -pubout "
                        "-outform DER -out kxpub.der",
                        kx[i].genpkey),
                     0);
    uint8_t *der = slurp("kxpub.der", &len);
    ck_assert_ptr_nonnull(der);
    ck_assert_uint_ge(len, kx[i].share_len);
    const uint8_t *peer = der + len - kx[i].share_len; /* the key ends the SPKI */
    mote_crypto_kx *k = mote_crypto_kx_new(kx[i].group, &rng.rng, &err);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(mote_crypto_kx_finish(k, peer, kx[i].share_len, secret, &sl), 0);
    mote_slice share = mote_crypto_kx_share(k);
    mote_buf out;
    mote_buf_init(&out, 0);
    if (kx[i].group == MOTE_CRYPTO_GROUP_X25519) {
        mote_buf_append(&out, x25519_spki, sizeof(x25519_spki));
        mote_buf_append(&out, share.ptr, share.len);
    } else {
        mote_crypto_pubkey *pk = mote_crypto_pubkey_from_ec_point(
            kx[i].group == MOTE_CRYPTO_GROUP_P256 ? MOTE_CRYPTO_KEY_P256 : MOTE_CRYPTO_KEY_P384,
            share.ptr, share.len, &err);
        ck_assert_ptr_nonnull(pk);
        ck_assert_int_eq(mote_crypto_pubkey_to_spki(pk, &out), 0);
        mote_crypto_pubkey_free(pk);
    }
    spit("motekx.der", out.data, out.len);
    ck_assert_int_eq(sh("openssl pkeyutl -derive -inkey kx.pem -peerkey motekx.der -peerform DER "
                        "-out kxsecret.bin"),
                     0);
    uint8_t *theirs = slurp("kxsecret.bin", &len);
    ck_assert_ptr_nonnull(theirs);
    ck_assert_uint_eq(len, sl);
    ck_assert_mem_eq(theirs, secret, sl);
    free(theirs);
    free(der);
    mote_buf_free(&out);
    mote_crypto_kx_free(k);
}
END_TEST

int main(void)
{
    if (!tu_have_program("openssl")) {
        printf("SKIP: openssl command not found\n");
        return 77;
    }
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    mote_seeded_rng_init(&rng, 7);
    Suite *s = suite_create("crypto-interop");
    TCase *tc = tcase_create("openssl");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, test_openssl_keys_and_signatures, 0,
                        (int)(sizeof(specs) / sizeof(specs[0])));
    tcase_add_test(tc, test_openssl_encrypted_key);
    tcase_add_test(tc, test_openssl_pss_salt_lengths);
    tcase_add_loop_test(tc, test_openssl_key_exchange, 0, 3);
    tcase_add_test(tc, test_openssl_rsa1024);
    suite_add_tcase(s, tc);
    int rc = tu_run_suite(s);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
