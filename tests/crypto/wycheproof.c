/*
 * wycheproof.c - runs Wycheproof test vector files (JSON, schema v1)
 * against libmote-crypto.
 *
 *   wycheproof [-v] FILE...
 *
 * Prints, per file, how many vectors passed, failed and were skipped, and
 * ends with "N passed, N failed, N skipped". A `valid` vector passes when
 * mote accepts it and produces the expected output; an `invalid` one when
 * mote rejects it. An `acceptable` one passes either way, but if mote
 * accepts it the output must still be the expected one; the counts of
 * acceptable vectors accepted and rejected are printed. A vector is skipped
 * only when it uses a parameter mote does not offer (a hash other than
 * SHA-256/384/512, a tag shorter than 128 bits, another curve, another PSS
 * salt length); skips are counted and printed. Exit status: 0 if nothing
 * failed, 1 if something did, 2 for a file that cannot be read or has an
 * unknown schema.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mote/crypto.h"
#include "testutil.h"

enum { PASS, FAIL, SKIP };

typedef struct counts {
    unsigned pass, fail, skip, acc_yes, acc_no;
} counts;

static int verbose;

/* ---- JSON helpers --------------------------------------------------------------- */

typedef struct hexbuf {
    uint8_t *p;
    size_t len;
} hexbuf;

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Decodes the hex string o[key]; missing keys give an empty buffer with
 * ok = 0. */
static int jhex(json_t *o, const char *key, hexbuf *out)
{
    const char *s = jstr(o, key);
    out->p = NULL;
    out->len = 0;
    if (!s)
        return 0;
    out->p = tu_unhex(s, &out->len);
    return out->p != NULL;
}

static void hfree(hexbuf *h)
{
    free(h->p);
    h->p = NULL;
}

static int heq(const uint8_t *a, size_t alen, const hexbuf *b)
{
    return alen == b->len && (alen == 0 || memcmp(a, b->p, alen) == 0);
}

static long jint(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_string(v))
        return strtol(json_string_value(v), NULL, 10);
    return -1;
}

static mote_crypto_hash_id hash_by_name(const char *s)
{
    if (!s)
        return 0;
    if (!strcmp(s, "SHA-256"))
        return MOTE_CRYPTO_HASH_SHA256;
    if (!strcmp(s, "SHA-384"))
        return MOTE_CRYPTO_HASH_SHA384;
    if (!strcmp(s, "SHA-512"))
        return MOTE_CRYPTO_HASH_SHA512;
    return 0;
}

/* Judges one vector given whether mote accepted it (and, if so, whether
 * the output matched). */
static int judge(json_t *t, int accepted, int matched, counts *c)
{
    const char *res = jstr(t, "result");
    if (!res)
        return FAIL;
    if (!strcmp(res, "valid"))
        return accepted && matched ? PASS : FAIL;
    if (!strcmp(res, "invalid"))
        return !accepted ? PASS : FAIL;
    /* acceptable */
    if (accepted) {
        c->acc_yes++;
        return matched ? PASS : FAIL;
    }
    c->acc_no++;
    return PASS;
}

/* ---- deterministic rng for signing (PKCS#1 v1.5 needs it only for RSA
 * blinding, which does not change the signature) ---------------------------------- */

static mote_seeded_rng test_rng;

/* ---- one function per schema ------------------------------------------------------ */

static int t_aead(json_t *g, json_t *t, counts *c)
{
    const char *alg = jstr(g, "_algorithm");
    long ks = jint(g, "keySize"), ts = jint(g, "tagSize");
    mote_crypto_aead_id id;
    hexbuf key, iv, aad, msg, ct, tag;
    int r = FAIL;
    if (ts != 128)
        return SKIP;
    if (!strcmp(alg, "CHACHA20-POLY1305"))
        id = MOTE_CRYPTO_AEAD_CHACHA20_POLY1305;
    else if (!strcmp(alg, "AES-GCM") && ks == 128)
        id = MOTE_CRYPTO_AEAD_AES_128_GCM;
    else if (!strcmp(alg, "AES-GCM") && ks == 192)
        id = MOTE_CRYPTO_AEAD_AES_192_GCM;
    else if (!strcmp(alg, "AES-GCM") && ks == 256)
        id = MOTE_CRYPTO_AEAD_AES_256_GCM;
    else
        return SKIP;
    jhex(t, "key", &key);
    jhex(t, "iv", &iv);
    jhex(t, "aad", &aad);
    jhex(t, "msg", &msg);
    jhex(t, "ct", &ct);
    jhex(t, "tag", &tag);
    int err;
    mote_crypto_aead *a = mote_crypto_aead_new(id, key.p, key.len, &err);
    int accepted = 0, matched = 0;
    if (a && tag.len == 16) {
        uint8_t *buf = malloc(msg.len + 1), tg[16];
        /* open */
        memcpy(buf, ct.p, ct.len);
        int rc = mote_crypto_aead_open(a, iv.p ? iv.p : (const uint8_t *)"", iv.len, aad.p, aad.len,
                                       buf, ct.len, tag.p);
        accepted = rc == 0;
        matched = accepted && heq(buf, ct.len, &msg);
        /* seal must give the same ciphertext and tag */
        if (accepted) {
            memcpy(buf, msg.p, msg.len);
            rc = mote_crypto_aead_seal(a, iv.p, iv.len, aad.p, aad.len, buf, msg.len, tg);
            matched = matched && rc == 0 && heq(buf, msg.len, &ct) && heq(tg, 16, &tag);
        }
        free(buf);
    }
    r = judge(t, accepted, matched, c);
    mote_crypto_aead_free(a);
    hfree(&key);
    hfree(&iv);
    hfree(&aad);
    hfree(&msg);
    hfree(&ct);
    hfree(&tag);
    return r;
}

static int t_xdh(json_t *g, json_t *t, counts *c)
{
    hexbuf pub, priv, shared;
    uint8_t out[32];
    if (strcmp(jstr(g, "curve"), "curve25519") != 0)
        return SKIP;
    jhex(t, "public", &pub);
    jhex(t, "private", &priv);
    jhex(t, "shared", &shared);
    int accepted = pub.len == 32 && priv.len == 32 && mote_crypto_x25519(out, priv.p, pub.p) == 0;
    int r = judge(t, accepted, accepted && heq(out, 32, &shared), c);
    hfree(&pub);
    hfree(&priv);
    hfree(&shared);
    return r;
}

static int t_ecdh(json_t *g, json_t *t, counts *c)
{
    const char *curve = jstr(g, "curve");
    mote_crypto_group grp;
    hexbuf pub, priv, shared;
    uint8_t out[MOTE_CRYPTO_KX_SECRET_MAX];
    size_t out_len = 0;
    if (!strcmp(curve, "secp256r1"))
        grp = MOTE_CRYPTO_GROUP_P256;
    else if (!strcmp(curve, "secp384r1"))
        grp = MOTE_CRYPTO_GROUP_P384;
    else
        return SKIP;
    jhex(t, "public", &pub);
    jhex(t, "private", &priv);
    jhex(t, "shared", &shared);
    int accepted = mote_crypto_ecdh(grp, priv.p, priv.len, pub.p, pub.len, out, &out_len) == 0;
    int r = judge(t, accepted, accepted && heq(out, out_len, &shared), c);
    hfree(&pub);
    hfree(&priv);
    hfree(&shared);
    return r;
}

/* Signature verification schemas share this: the group's key comes from
 * publicKeyDer (so every file also exercises SPKI parsing). */
static int t_verify(json_t *g, json_t *t, counts *c, mote_crypto_sig_alg alg, unsigned flags)
{
    hexbuf der, msg, sig;
    int err, r;
    jhex(g, "publicKeyDer", &der);
    mote_crypto_pubkey *k = mote_crypto_pubkey_from_spki(der.p, der.len, &err);
    hfree(&der);
    if (!k) {
        if (verbose)
            printf("  key did not parse: %s\n", mote_strerror(err));
        return judge(t, 0, 0, c);
    }
    jhex(t, "msg", &msg);
    jhex(t, "sig", &sig);
    int rc = mote_crypto_verify(k, alg, msg.p, msg.len, sig.p, sig.len, flags);
    r = judge(t, rc == 0, rc == 0, c);
    if (verbose && r == FAIL)
        printf("  verify returned %s\n", mote_error_name(rc));
    mote_crypto_pubkey_free(k);
    hfree(&msg);
    hfree(&sig);
    return r;
}

static int t_eddsa(json_t *g, json_t *t, counts *c)
{
    json_t *pk = json_object_get(g, "publicKey");
    if (!pk || strcmp(jstr(pk, "curve"), "edwards25519") != 0)
        return SKIP;
    return t_verify(g, t, c, MOTE_CRYPTO_SIG_ED25519, 0);
}

static int t_ecdsa(json_t *g, json_t *t, counts *c, unsigned flags)
{
    switch (hash_by_name(jstr(g, "sha"))) {
    case MOTE_CRYPTO_HASH_SHA256:
        return t_verify(g, t, c, MOTE_CRYPTO_SIG_ECDSA_SHA256, flags);
    case MOTE_CRYPTO_HASH_SHA384:
        return t_verify(g, t, c, MOTE_CRYPTO_SIG_ECDSA_SHA384, flags);
    case MOTE_CRYPTO_HASH_SHA512:
        return t_verify(g, t, c, MOTE_CRYPTO_SIG_ECDSA_SHA512, flags);
    default:
        return SKIP;
    }
}

static mote_crypto_sig_alg rsa_alg(mote_crypto_hash_id h, int pss)
{
    if (h == MOTE_CRYPTO_HASH_SHA256)
        return pss ? MOTE_CRYPTO_SIG_RSA_PSS_SHA256 : MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256;
    if (h == MOTE_CRYPTO_HASH_SHA384)
        return pss ? MOTE_CRYPTO_SIG_RSA_PSS_SHA384 : MOTE_CRYPTO_SIG_RSA_PKCS1_SHA384;
    return pss ? MOTE_CRYPTO_SIG_RSA_PSS_SHA512 : MOTE_CRYPTO_SIG_RSA_PKCS1_SHA512;
}

static int t_rsa_pkcs1(json_t *g, json_t *t, counts *c)
{
    mote_crypto_hash_id h = hash_by_name(jstr(g, "sha"));
    if (!h)
        return SKIP;
    return t_verify(g, t, c, rsa_alg(h, 0), MOTE_CRYPTO_VERIFY_RSA1024);
}

static int t_rsa_pss(json_t *g, json_t *t, counts *c)
{
    mote_crypto_hash_id h = hash_by_name(jstr(g, "sha"));
    const char *mgf = jstr(g, "mgf"), *mgf_sha = jstr(g, "mgfSha");
    if (!h || !mgf || strcmp(mgf, "MGF1") != 0 || hash_by_name(mgf_sha) != h ||
        jint(g, "sLen") != (long)mote_crypto_hash_len(h))
        return SKIP;
    return t_verify(g, t, c, rsa_alg(h, 1), MOTE_CRYPTO_VERIFY_RSA1024);
}

static int t_rsa_gen(json_t *g, json_t *t, counts *c)
{
    mote_crypto_hash_id h = hash_by_name(jstr(g, "sha"));
    hexbuf der, msg, want;
    uint8_t sig[MOTE_CRYPTO_SIG_MAX_LEN];
    size_t sig_len = 0;
    int err, r;
    if (!h)
        return SKIP;
    jhex(g, "privateKeyPkcs8", &der);
    mote_crypto_privkey *k = mote_crypto_privkey_from_der(der.p, der.len, &err);
    hfree(&der);
    if (!k) {
        if (verbose)
            printf("  private key did not parse: %s\n", mote_error_name(err));
        return judge(t, 0, 0, c);
    }
    jhex(t, "msg", &msg);
    jhex(t, "sig", &want);
    int rc = mote_crypto_sign(k, rsa_alg(h, 0), &test_rng.rng, msg.p, msg.len, sig, sizeof(sig),
                              &sig_len, 0);
    int matched = rc == 0 && heq(sig, sig_len, &want);
    if (matched) {
        /* and the signature verifies with the public half */
        mote_crypto_pubkey *pk = mote_crypto_privkey_public(k, &err);
        matched = pk && mote_crypto_verify(pk, rsa_alg(h, 0), msg.p, msg.len, sig, sig_len, 0) == 0;
        mote_crypto_pubkey_free(pk);
    }
    r = judge(t, rc == 0, matched, c);
    if (verbose && r == FAIL)
        printf("  sign returned %s\n", mote_error_name(rc));
    mote_crypto_privkey_free(k);
    hfree(&msg);
    hfree(&want);
    return r;
}

static int t_mac(json_t *g, json_t *t, counts *c)
{
    const char *alg = jstr(g, "_algorithm");
    mote_crypto_hash_id h;
    hexbuf key, msg, tag;
    long ts = jint(g, "tagSize");
    if (!strcmp(alg, "HMACSHA256"))
        h = MOTE_CRYPTO_HASH_SHA256;
    else if (!strcmp(alg, "HMACSHA384"))
        h = MOTE_CRYPTO_HASH_SHA384;
    else if (!strcmp(alg, "HMACSHA512"))
        h = MOTE_CRYPTO_HASH_SHA512;
    else
        return SKIP;
    if (ts < 128 || ts % 8)
        return SKIP;
    jhex(t, "key", &key);
    jhex(t, "msg", &msg);
    jhex(t, "tag", &tag);
    int accepted = tag.len == (size_t)ts / 8 &&
                   mote_crypto_hmac_verify(h, key.p, key.len, msg.p, msg.len, tag.p, tag.len) == 0;
    int r = judge(t, accepted, accepted, c);
    hfree(&key);
    hfree(&msg);
    hfree(&tag);
    return r;
}

static int t_hkdf(json_t *g, json_t *t, counts *c)
{
    const char *alg = jstr(g, "_algorithm");
    mote_crypto_hash_id h;
    hexbuf ikm, salt, info, okm;
    long size = jint(t, "size");
    (void)g;
    if (!strcmp(alg, "HKDF-SHA-256"))
        h = MOTE_CRYPTO_HASH_SHA256;
    else if (!strcmp(alg, "HKDF-SHA-384"))
        h = MOTE_CRYPTO_HASH_SHA384;
    else if (!strcmp(alg, "HKDF-SHA-512"))
        h = MOTE_CRYPTO_HASH_SHA512;
    else
        return SKIP;
    if (size < 0)
        return judge(t, 0, 0, c);
    jhex(t, "ikm", &ikm);
    jhex(t, "salt", &salt);
    jhex(t, "info", &info);
    jhex(t, "okm", &okm);
    uint8_t *out = malloc((size_t)size + 1);
    int rc =
        mote_crypto_hkdf(h, salt.p, salt.len, ikm.p, ikm.len, info.p, info.len, out, (size_t)size);
    int r = judge(t, rc == 0, rc == 0 && heq(out, (size_t)size, &okm), c);
    free(out);
    hfree(&ikm);
    hfree(&salt);
    hfree(&info);
    hfree(&okm);
    return r;
}

static int t_mlkem(json_t *g, json_t *t, counts *c)
{
    hexbuf seed, ek, ct, k;
    static uint8_t my_ek[MOTE_CRYPTO_MLKEM768_EK_LEN], dk[MOTE_CRYPTO_MLKEM768_DK_LEN];
    uint8_t ss[32];
    if (strcmp(jstr(g, "parameterSet"), "ML-KEM-768") != 0)
        return SKIP;
    jhex(t, "seed", &seed);
    jhex(t, "ek", &ek);
    jhex(t, "c", &ct);
    jhex(t, "K", &k);
    int accepted = mote_crypto_mlkem768_keygen_seed(seed.p, seed.len, my_ek, dk) == 0;
    int matched = accepted && (!ek.p || heq(my_ek, sizeof(my_ek), &ek));
    if (accepted)
        accepted = mote_crypto_mlkem768_decaps(dk, sizeof(dk), ct.p, ct.len, ss) == 0;
    matched = matched && accepted && heq(ss, 32, &k);
    int r = judge(t, accepted, matched, c);
    hfree(&seed);
    hfree(&ek);
    hfree(&ct);
    hfree(&k);
    return r;
}

static int t_mlkem_encaps(json_t *g, json_t *t, counts *c)
{
    hexbuf m, ek, ct, k;
    uint8_t my_ct[MOTE_CRYPTO_MLKEM768_CT_LEN], ss[32];
    if (strcmp(jstr(g, "parameterSet"), "ML-KEM-768") != 0)
        return SKIP;
    jhex(t, "m", &m);
    jhex(t, "ek", &ek);
    jhex(t, "c", &ct);
    jhex(t, "K", &k);
    int accepted =
        m.len == 32 && mote_crypto_mlkem768_encaps_seed(ek.p, ek.len, m.p, my_ct, ss) == 0;
    int matched = accepted && heq(my_ct, sizeof(my_ct), &ct) && heq(ss, 32, &k);
    int r = judge(t, accepted, matched, c);
    hfree(&m);
    hfree(&ek);
    hfree(&ct);
    hfree(&k);
    return r;
}

/* ---- driver ------------------------------------------------------------------------ */

typedef int (*test_fn)(json_t *g, json_t *t, counts *c);

static int t_ecdsa_der(json_t *g, json_t *t, counts *c)
{
    return t_ecdsa(g, t, c, 0);
}
static int t_ecdsa_raw(json_t *g, json_t *t, counts *c)
{
    return t_ecdsa(g, t, c, MOTE_CRYPTO_SIG_RAW);
}

static const struct {
    const char *schema;
    test_fn fn;
} schemas[] = {
    {"aead_test_schema_v1.json", t_aead},
    {"xdh_comp_schema_v1.json", t_xdh},
    {"ecdh_ecpoint_test_schema_v1.json", t_ecdh},
    {"eddsa_verify_schema_v1.json", t_eddsa},
    {"ecdsa_verify_schema_v1.json", t_ecdsa_der},
    {"ecdsa_p1363_verify_schema_v1.json", t_ecdsa_raw},
    {"rsassa_pkcs1_verify_schema_v1.json", t_rsa_pkcs1},
    {"rsassa_pss_verify_schema_v1.json", t_rsa_pss},
    {"rsassa_pkcs1_generate_schema_v1.json", t_rsa_gen},
    {"mac_test_schema_v1.json", t_mac},
    {"hkdf_test_schema_v1.json", t_hkdf},
    {"mlkem_test_schema.json", t_mlkem},
    {"mlkem_encaps_test_schema.json", t_mlkem_encaps},
};

static int run_file(const char *path, counts *total)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    counts c = {0, 0, 0, 0, 0};
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!root) {
        fprintf(stderr, "%s: cannot read: %s (line %d)\n", path, jerr.text, jerr.line);
        return 2;
    }
    const char *schema = jstr(root, "schema");
    const char *alg = jstr(root, "algorithm");
    test_fn fn = NULL;
    for (size_t i = 0; schema && i < sizeof(schemas) / sizeof(schemas[0]); i++)
        if (!strcmp(schema, schemas[i].schema))
            fn = schemas[i].fn;
    if (!fn) {
        fprintf(stderr, "%s: unsupported schema %s\n", path, schema ? schema : "(none)");
        json_decref(root);
        return 2;
    }
    json_t *groups = json_object_get(root, "testGroups");
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(groups, gi, g)
    {
        json_object_set_new(g, "_algorithm", json_string(alg ? alg : ""));
        json_t *tests = json_object_get(g, "tests");
        json_array_foreach(tests, ti, t)
        {
            int r = fn(g, t, &c);
            if (r == PASS) {
                c.pass++;
            } else if (r == SKIP) {
                c.skip++;
            } else {
                c.fail++;
                printf("%s: FAIL tcId %ld (%s): %s\n", base, jint(t, "tcId"), jstr(t, "result"),
                       jstr(t, "comment") ? jstr(t, "comment") : "");
            }
        }
    }
    printf("%s: %u passed, %u failed, %u skipped (acceptable: %u accepted, %u rejected)\n", base,
           c.pass, c.fail, c.skip, c.acc_yes, c.acc_no);
    total->pass += c.pass;
    total->fail += c.fail;
    total->skip += c.skip;
    json_decref(root);
    return 0;
}

int main(int argc, char **argv)
{
    counts total = {0, 0, 0, 0, 0};
    int bad = 0, files = 0;
    mote_seeded_rng_init(&test_rng, 0x5eed);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) {
            verbose = 1;
            continue;
        }
        files++;
        if (run_file(argv[i], &total) != 0)
            bad = 1;
    }
    if (!files) {
        fprintf(stderr, "usage: %s [-v] FILE.json...\n", argv[0]);
        return 2;
    }
    printf("%u passed, %u failed, %u skipped\n", total.pass, total.fail, total.skip);
    if (bad)
        return 2;
    return total.fail ? 1 : 0;
}
