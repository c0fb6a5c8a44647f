/*
 * mote-crypto - libmote-crypto from the command line.
 *
 *   mote-crypto hash sha256|sha384|sha512 [FILE]      hex digest (stdin if no FILE)
 *   mote-crypto genkey rsa[:BITS]|p256|p384|ed25519 [--traditional]
 *                                                     new private key, PEM, on stdout
 *   mote-crypto pubkey KEY                            its SubjectPublicKeyInfo, PEM
 *   mote-crypto convert KEY pkcs8|traditional pem|der private key in another form
 *   mote-crypto sign ALG KEY FILE                     signature bytes on stdout
 *   mote-crypto verify ALG PUBKEY FILE SIGFILE        "OK" (exit 0) or "FAIL" (exit 1)
 *
 * KEY and PUBKEY are PEM or DER files. ALG is a TLS SignatureScheme name:
 * rsa_pkcs1_sha256/384/512, rsa_pss_rsae_sha256/384/512, ecdsa_sha256/384/512
 * (or ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384), ed25519. Random bytes
 * come from the kernel through mote_posix_rng. Exit status 2 on errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/asn1_pem.h"
#include "mote/crypto.h"
#include "mote/posix.h"

#define FILE_MAX (64u << 20)

static int die(const char *what, int err)
{
    fprintf(stderr, "mote-crypto: %s: %s\n", what, err ? mote_strerror(err) : "failed");
    return 2;
}

static int usage(void)
{
    fprintf(stderr, "usage: mote-crypto hash sha256|sha384|sha512 [FILE]\n"
                    "       mote-crypto genkey rsa[:BITS]|p256|p384|ed25519 [--traditional]\n"
                    "       mote-crypto pubkey KEY\n"
                    "       mote-crypto convert KEY pkcs8|traditional pem|der\n"
                    "       mote-crypto sign ALG KEY FILE > SIG\n"
                    "       mote-crypto verify ALG PUBKEY FILE SIG\n");
    return 2;
}

/* Reads a whole file ("-" or NULL: stdin) into a secret buffer. */
static int slurp(const char *path, mote_buf *out)
{
    FILE *f = (!path || !strcmp(path, "-")) ? stdin : fopen(path, "rb");
    uint8_t chunk[65536];
    size_t n;
    int rc = 0;
    if (!f)
        return MOTE_ENOTFOUND;
    mote_buf_init_secret(out, FILE_MAX);
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = mote_buf_append(out, chunk, n);
    if (ferror(f))
        rc = MOTE_EIO;
    if (f != stdin)
        fclose(f);
    mote_wipe(chunk, sizeof(chunk));
    if (rc)
        mote_buf_free(out);
    return rc;
}

static int write_out(const void *p, size_t n)
{
    return fwrite(p, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : MOTE_EIO;
}

/* Says why a key was refused when the reason is worth spelling out. */
static void explain(const mote_buf *b, int err)
{
    if (err != MOTE_EUNSUPPORTED)
        return;
    if (b->len >= 9 && memmem(b->data, b->len, "ENCRYPTED", 9))
        fprintf(stderr, "mote-crypto: encrypted keys are not supported\n");
    else
        fprintf(stderr, "mote-crypto: encrypted keys and key types other than RSA, P-256, P-384 "
                        "and Ed25519 are not supported\n");
}

static mote_crypto_privkey *load_priv(const char *path, int *err)
{
    mote_buf b;
    if ((*err = slurp(path, &b)) != 0)
        return NULL;
    mote_crypto_privkey *k = mote_asn1_pem_detect(mote_buf_slice(&b))
                                 ? mote_crypto_privkey_from_pem((const char *)b.data, b.len, err)
                                 : mote_crypto_privkey_from_der(b.data, b.len, err);
    if (!k)
        explain(&b, *err);
    mote_buf_free(&b);
    return k;
}

static mote_crypto_pubkey *load_pub(const char *path, int *err)
{
    mote_buf b;
    if ((*err = slurp(path, &b)) != 0)
        return NULL;
    mote_crypto_pubkey *k = mote_asn1_pem_detect(mote_buf_slice(&b))
                                ? mote_crypto_pubkey_from_pem((const char *)b.data, b.len, err)
                                : mote_crypto_pubkey_from_spki(b.data, b.len, err);
    if (!k && (*err == MOTE_EDECODE || *err == MOTE_EUNSUPPORTED)) {
        /* a private key file will do too */
        mote_crypto_privkey *pk =
            mote_asn1_pem_detect(mote_buf_slice(&b))
                ? mote_crypto_privkey_from_pem((const char *)b.data, b.len, err)
                : mote_crypto_privkey_from_der(b.data, b.len, err);
        if (pk) {
            k = mote_crypto_privkey_public(pk, err);
            mote_crypto_privkey_free(pk);
        }
    }
    if (!k)
        explain(&b, *err);
    mote_buf_free(&b);
    return k;
}

static const struct {
    const char *name;
    mote_crypto_sig_alg alg;
} algs[] = {
    {"rsa_pkcs1_sha256", MOTE_CRYPTO_SIG_RSA_PKCS1_SHA256},
    {"rsa_pkcs1_sha384", MOTE_CRYPTO_SIG_RSA_PKCS1_SHA384},
    {"rsa_pkcs1_sha512", MOTE_CRYPTO_SIG_RSA_PKCS1_SHA512},
    {"rsa_pss_rsae_sha256", MOTE_CRYPTO_SIG_RSA_PSS_SHA256},
    {"rsa_pss_rsae_sha384", MOTE_CRYPTO_SIG_RSA_PSS_SHA384},
    {"rsa_pss_rsae_sha512", MOTE_CRYPTO_SIG_RSA_PSS_SHA512},
    {"ecdsa_sha256", MOTE_CRYPTO_SIG_ECDSA_SHA256},
    {"ecdsa_sha384", MOTE_CRYPTO_SIG_ECDSA_SHA384},
    {"ecdsa_sha512", MOTE_CRYPTO_SIG_ECDSA_SHA512},
    {"ecdsa_secp256r1_sha256", MOTE_CRYPTO_SIG_ECDSA_SHA256},
    {"ecdsa_secp384r1_sha384", MOTE_CRYPTO_SIG_ECDSA_SHA384},
    {"ed25519", MOTE_CRYPTO_SIG_ED25519},
};

static int find_alg(const char *name, mote_crypto_sig_alg *alg)
{
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (!strcmp(name, algs[i].name)) {
            *alg = algs[i].alg;
            return 0;
        }
    fprintf(stderr, "mote-crypto: unknown signature algorithm %s\n", name);
    return MOTE_EINVAL;
}

static int cmd_hash(int argc, char **argv)
{
    mote_crypto_hash_id id;
    uint8_t out[MOTE_CRYPTO_HASH_MAX_LEN], chunk[65536];
    size_t n;
    if (argc < 1 || argc > 2)
        return usage();
    if (!strcmp(argv[0], "sha256"))
        id = MOTE_CRYPTO_HASH_SHA256;
    else if (!strcmp(argv[0], "sha384"))
        id = MOTE_CRYPTO_HASH_SHA384;
    else if (!strcmp(argv[0], "sha512"))
        id = MOTE_CRYPTO_HASH_SHA512;
    else
        return usage();
    FILE *f = argc == 2 && strcmp(argv[1], "-") ? fopen(argv[1], "rb") : stdin;
    if (!f)
        return die(argv[1], MOTE_ENOTFOUND);
    mote_crypto_hash_ctx h;
    mote_crypto_hash_init(&h, id);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        mote_crypto_hash_update(&h, chunk, n);
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    mote_crypto_hash_final(&h, out);
    if (bad)
        return die("read", MOTE_EIO);
    for (size_t i = 0; i < mote_crypto_hash_len(id); i++)
        printf("%02x", out[i]);
    printf("  %s\n", argc == 2 ? argv[1] : "-");
    return 0;
}

static int cmd_genkey(int argc, char **argv)
{
    mote_crypto_key_type t;
    unsigned bits = 0;
    mote_crypto_key_format fmt = MOTE_CRYPTO_FORMAT_PKCS8;
    mote_rng rng;
    int err;
    if (argc < 1 || argc > 2)
        return usage();
    if (argc == 2) {
        if (strcmp(argv[1], "--traditional"))
            return usage();
        fmt = MOTE_CRYPTO_FORMAT_TRADITIONAL;
    }
    if (!strncmp(argv[0], "rsa", 3) && (argv[0][3] == 0 || argv[0][3] == ':')) {
        t = MOTE_CRYPTO_KEY_RSA;
        bits = argv[0][3] ? (unsigned)strtoul(argv[0] + 4, NULL, 10) : 2048;
    } else if (!strcmp(argv[0], "p256")) {
        t = MOTE_CRYPTO_KEY_P256;
    } else if (!strcmp(argv[0], "p384")) {
        t = MOTE_CRYPTO_KEY_P384;
    } else if (!strcmp(argv[0], "ed25519")) {
        t = MOTE_CRYPTO_KEY_ED25519;
    } else {
        return usage();
    }
    mote_posix_rng_init(&rng);
    mote_crypto_privkey *k = mote_crypto_privkey_generate(t, bits, &rng, &err);
    if (!k)
        return die("genkey", err);
    mote_buf out;
    mote_buf_init_secret(&out, 0);
    err = mote_crypto_privkey_to_pem(k, fmt, &out);
    if (err == 0)
        err = write_out(out.data, out.len);
    mote_buf_free(&out);
    mote_crypto_privkey_free(k);
    return err ? die("genkey", err) : 0;
}

static int cmd_pubkey(int argc, char **argv)
{
    int err;
    if (argc != 1)
        return usage();
    mote_crypto_pubkey *k = load_pub(argv[0], &err);
    if (!k)
        return die(argv[0], err);
    mote_buf out;
    mote_buf_init(&out, 0);
    err = mote_crypto_pubkey_to_pem(k, &out);
    if (err == 0)
        err = write_out(out.data, out.len);
    mote_buf_free(&out);
    mote_crypto_pubkey_free(k);
    return err ? die("pubkey", err) : 0;
}

static int cmd_convert(int argc, char **argv)
{
    int err, pem;
    mote_crypto_key_format fmt;
    if (argc != 3)
        return usage();
    if (!strcmp(argv[1], "pkcs8"))
        fmt = MOTE_CRYPTO_FORMAT_PKCS8;
    else if (!strcmp(argv[1], "traditional"))
        fmt = MOTE_CRYPTO_FORMAT_TRADITIONAL;
    else
        return usage();
    if (!strcmp(argv[2], "pem"))
        pem = 1;
    else if (!strcmp(argv[2], "der"))
        pem = 0;
    else
        return usage();
    mote_crypto_privkey *k = load_priv(argv[0], &err);
    if (!k)
        return die(argv[0], err);
    mote_buf out;
    mote_buf_init_secret(&out, 0);
    err = pem ? mote_crypto_privkey_to_pem(k, fmt, &out) : mote_crypto_privkey_to_der(k, fmt, &out);
    if (err == 0)
        err = write_out(out.data, out.len);
    mote_buf_free(&out);
    mote_crypto_privkey_free(k);
    return err ? die("convert", err) : 0;
}

static int cmd_sign(int argc, char **argv)
{
    mote_crypto_sig_alg alg;
    mote_buf msg;
    mote_rng rng;
    uint8_t sig[MOTE_CRYPTO_SIG_MAX_LEN];
    size_t sig_len;
    int err;
    if (argc != 3)
        return usage();
    if (find_alg(argv[0], &alg))
        return 2;
    mote_crypto_privkey *k = load_priv(argv[1], &err);
    if (!k)
        return die(argv[1], err);
    if ((err = slurp(argv[2], &msg)) != 0) {
        mote_crypto_privkey_free(k);
        return die(argv[2], err);
    }
    mote_posix_rng_init(&rng);
    err = mote_crypto_sign(k, alg, &rng, msg.data, msg.len, sig, sizeof(sig), &sig_len, 0);
    if (err == 0)
        err = write_out(sig, sig_len);
    mote_buf_free(&msg);
    mote_crypto_privkey_free(k);
    return err ? die("sign", err) : 0;
}

static int cmd_verify(int argc, char **argv)
{
    mote_crypto_sig_alg alg;
    mote_buf msg, sig;
    int err;
    if (argc != 4)
        return usage();
    if (find_alg(argv[0], &alg))
        return 2;
    mote_crypto_pubkey *k = load_pub(argv[1], &err);
    if (!k)
        return die(argv[1], err);
    if ((err = slurp(argv[2], &msg)) != 0) {
        mote_crypto_pubkey_free(k);
        return die(argv[2], err);
    }
    if ((err = slurp(argv[3], &sig)) != 0) {
        mote_buf_free(&msg);
        mote_crypto_pubkey_free(k);
        return die(argv[3], err);
    }
    err = mote_crypto_verify(k, alg, msg.data, msg.len, sig.data, sig.len, 0);
    mote_buf_free(&msg);
    mote_buf_free(&sig);
    mote_crypto_pubkey_free(k);
    if (err == 0) {
        printf("OK\n");
        return 0;
    }
    if (err == MOTE_EVERIFY) {
        printf("FAIL\n");
        return 1;
    }
    return die("verify", err);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    argc -= 2;
    argv += 2;
    if (!strcmp(cmd, "hash"))
        return cmd_hash(argc, argv);
    if (!strcmp(cmd, "genkey"))
        return cmd_genkey(argc, argv);
    if (!strcmp(cmd, "pubkey"))
        return cmd_pubkey(argc, argv);
    if (!strcmp(cmd, "convert"))
        return cmd_convert(argc, argv);
    if (!strcmp(cmd, "sign"))
        return cmd_sign(argc, argv);
    if (!strcmp(cmd, "verify"))
        return cmd_verify(argc, argv);
    return usage();
}
