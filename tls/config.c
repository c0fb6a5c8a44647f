/* config.c - mote_tls_config: suites, groups, ALPN, certificates, verifiers. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mote/asn1.h"
#include "mote/asn1_pem.h"
#include "mote/x509.h"
#include "tls_internal.h"

static const uint16_t default_suites[] = {
    MOTE_TLS_AES_128_GCM_SHA256,
    MOTE_TLS_AES_256_GCM_SHA384,
    MOTE_TLS_CHACHA20_POLY1305_SHA256,
    MOTE_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256,
    MOTE_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384,
    MOTE_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
    MOTE_TLS_ECDHE_RSA_AES_128_GCM_SHA256,
    MOTE_TLS_ECDHE_RSA_AES_256_GCM_SHA384,
    MOTE_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256,
};

int tls_suite_is13(uint16_t s)
{
    return s >= MOTE_TLS_AES_128_GCM_SHA256 && s <= MOTE_TLS_CHACHA20_POLY1305_SHA256;
}

int tls_suite12_auth(uint16_t s)
{
    switch (s) {
    case MOTE_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256:
    case MOTE_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384:
    case MOTE_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256:
        return 1;
    case MOTE_TLS_ECDHE_RSA_AES_128_GCM_SHA256:
    case MOTE_TLS_ECDHE_RSA_AES_256_GCM_SHA384:
    case MOTE_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256:
        return 2;
    default:
        return 0;
    }
}

int tls12_sigalg_fits_key(uint16_t scheme, mote_crypto_key_type kt)
{
    switch (scheme) {
    case 0x0807:
        return kt == MOTE_CRYPTO_KEY_ED25519;
    case 0x0403:
    case 0x0503:
    case 0x0603:
        return kt == MOTE_CRYPTO_KEY_P256 || kt == MOTE_CRYPTO_KEY_P384;
    case 0x0401:
    case 0x0501:
    case 0x0601:
    case 0x0804:
    case 0x0805:
    case 0x0806:
        return kt == MOTE_CRYPTO_KEY_RSA;
    default:
        return 0;
    }
}
/* signature_algorithms_cert: the schemes whose certificate signatures
 * libmote-x509 verifies (no P-521, so no ecdsa_secp521r1_sha512). */
static const uint16_t default_cert_sigalgs[] = {
    0x0403, /* ecdsa_secp256r1_sha256 */
    0x0503, /* ecdsa_secp384r1_sha384 */
    0x0804, /* rsa_pss_rsae_sha256 */
    0x0805, /* rsa_pss_rsae_sha384 */
    0x0806, /* rsa_pss_rsae_sha512 */
    0x0809, /* rsa_pss_pss_sha256 */
    0x080a, /* rsa_pss_pss_sha384 */
    0x080b, /* rsa_pss_pss_sha512 */
    0x0401, /* rsa_pkcs1_sha256 */
    0x0501, /* rsa_pkcs1_sha384 */
    0x0601, /* rsa_pkcs1_sha512 */
    0x0807, /* ed25519 */
};

static void chain_sigs(tls_cert_entry *c);

static const uint16_t default_groups[] = {
    MOTE_CRYPTO_GROUP_X25519,
    MOTE_CRYPTO_GROUP_P256,
    MOTE_CRYPTO_GROUP_P384,
};
static const uint16_t default_sigalgs[] = {
    0x0807, /* ed25519 */
    0x0403, /* ecdsa_secp256r1_sha256 */
    0x0503, /* ecdsa_secp384r1_sha384 */
    0x0804, /* rsa_pss_rsae_sha256 */
    0x0805, /* rsa_pss_rsae_sha384 */
    0x0806, /* rsa_pss_rsae_sha512 */
    0x0401, /* rsa_pkcs1_sha256 (certificates only) */
    0x0501, /* rsa_pkcs1_sha384 (certificates only) */
    0x0601, /* rsa_pkcs1_sha512 (certificates only) */
};

const char *mote_tls_alert_name(int alert)
{
    switch (alert) {
    case 0:
        return "close_notify";
    case 10:
        return "unexpected_message";
    case 20:
        return "bad_record_mac";
    case 22:
        return "record_overflow";
    case 40:
        return "handshake_failure";
    case 42:
        return "bad_certificate";
    case 43:
        return "unsupported_certificate";
    case 44:
        return "certificate_revoked";
    case 45:
        return "certificate_expired";
    case 46:
        return "certificate_unknown";
    case 47:
        return "illegal_parameter";
    case 48:
        return "unknown_ca";
    case 49:
        return "access_denied";
    case 50:
        return "decode_error";
    case 51:
        return "decrypt_error";
    case 70:
        return "protocol_version";
    case 71:
        return "insufficient_security";
    case 80:
        return "internal_error";
    case 86:
        return "inappropriate_fallback";
    case 90:
        return "user_canceled";
    case 109:
        return "missing_extension";
    case 110:
        return "unsupported_extension";
    case 112:
        return "unrecognized_name";
    case 113:
        return "bad_certificate_status_response";
    case 115:
        return "unknown_psk_identity";
    case 116:
        return "certificate_required";
    case 120:
        return "no_application_protocol";
    default:
        return "unknown_alert";
    }
}

const char *mote_tls_suite_name(uint16_t suite)
{
    switch (suite) {
    case MOTE_TLS_AES_128_GCM_SHA256:
        return "TLS_AES_128_GCM_SHA256";
    case MOTE_TLS_AES_256_GCM_SHA384:
        return "TLS_AES_256_GCM_SHA384";
    case MOTE_TLS_CHACHA20_POLY1305_SHA256:
        return "TLS_CHACHA20_POLY1305_SHA256";
    case MOTE_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256:
        return "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
    case MOTE_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384:
        return "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
    case MOTE_TLS_ECDHE_RSA_AES_128_GCM_SHA256:
        return "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    case MOTE_TLS_ECDHE_RSA_AES_256_GCM_SHA384:
        return "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
    case MOTE_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256:
        return "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
    case MOTE_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256:
        return "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256";
    default:
        return "unknown";
    }
}

const char *mote_tls_group_name(uint16_t group)
{
    switch (group) {
    case MOTE_CRYPTO_GROUP_X25519:
        return "x25519";
    case MOTE_CRYPTO_GROUP_P256:
        return "secp256r1";
    case MOTE_CRYPTO_GROUP_P384:
        return "secp384r1";
    case MOTE_CRYPTO_GROUP_X25519MLKEM768:
        return "X25519MLKEM768";
    default:
        return "unknown";
    }
}

const char *mote_tls_sigalg_name(uint16_t scheme)
{
    switch (scheme) {
    case 0x0807:
        return "ed25519";
    case 0x0403:
        return "ecdsa_secp256r1_sha256";
    case 0x0503:
        return "ecdsa_secp384r1_sha384";
    case 0x0804:
        return "rsa_pss_rsae_sha256";
    case 0x0805:
        return "rsa_pss_rsae_sha384";
    case 0x0806:
        return "rsa_pss_rsae_sha512";
    case 0x0401:
        return "rsa_pkcs1_sha256";
    case 0x0501:
        return "rsa_pkcs1_sha384";
    case 0x0601:
        return "rsa_pkcs1_sha512";
    case 0x0603:
        return "ecdsa_secp521r1_sha512";
    case 0x0809:
        return "rsa_pss_pss_sha256";
    case 0x080a:
        return "rsa_pss_pss_sha384";
    case 0x080b:
        return "rsa_pss_pss_sha512";
    default:
        return "unknown";
    }
}

/* 1 if a TLS 1.3 CertificateVerify with this scheme can be made or checked
 * with a key of this type (ECDSA schemes name their curve in 1.3). */
int tls_sigalg_fits_key(uint16_t scheme, mote_crypto_key_type kt)
{
    switch (scheme) {
    case 0x0807:
        return kt == MOTE_CRYPTO_KEY_ED25519;
    case 0x0403:
        return kt == MOTE_CRYPTO_KEY_P256;
    case 0x0503:
        return kt == MOTE_CRYPTO_KEY_P384;
    case 0x0804:
    case 0x0805:
    case 0x0806:
        return kt == MOTE_CRYPTO_KEY_RSA;
    default:
        return 0;
    }
}

/* 1 if host matches one of the comma-separated names (case-insensitive;
 * "*.example.com" matches exactly one extra leftmost label). */
int tls_name_matches(const char *names, const char *host)
{
    if (!names || !host)
        return 0;
    size_t hl = strlen(host);
    const char *p = names;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 2 && p[0] == '*' && p[1] == '.') {
            const char *dot = memchr(host, '.', hl);
            if (dot && dot != host && (size_t)(host + hl - dot) == n - 1 &&
                strncasecmp(dot, p + 1, n - 1) == 0)
                return 1;
        } else if (n == hl && n > 0 && strncasecmp(p, host, n) == 0) {
            return 1;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

mote_tls_config *mote_tls_config_new(mote_rng *rng, int *err)
{
    int e = 0;
    if (!rng) {
        e = MOTE_EINVAL;
        goto fail;
    }
    mote_tls_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg) {
        e = MOTE_ENOMEM;
        goto fail;
    }
    cfg->rng = rng;
    memcpy(cfg->suites, default_suites, sizeof(default_suites));
    cfg->n_suites = sizeof(default_suites) / sizeof(default_suites[0]);
    memcpy(cfg->groups, default_groups, sizeof(default_groups));
    cfg->n_groups = sizeof(default_groups) / sizeof(default_groups[0]);
    memcpy(cfg->sigalgs, default_sigalgs, sizeof(default_sigalgs));
    cfg->n_sigalgs = sizeof(default_sigalgs) / sizeof(default_sigalgs[0]);
    memcpy(cfg->cert_sigalgs, default_cert_sigalgs, sizeof(default_cert_sigalgs));
    cfg->n_cert_sigalgs = sizeof(default_cert_sigalgs) / sizeof(default_cert_sigalgs[0]);
    mote_buf_init(&cfg->alpn_wire, 2048);
    {
        uint8_t k[32];
        if (mote_rng_fill(rng, k, sizeof(k)) == 0)
            cfg->ticket_aead = mote_crypto_aead_new(MOTE_CRYPTO_AEAD_AES_256_GCM, k, 32, &e);
        mote_wipe(k, sizeof(k));
        if (!cfg->ticket_aead) {
            free(cfg);
            e = e ? e : MOTE_EIO;
            goto fail;
        }
        cfg->n_tickets = 1;
        cfg->min_version = MOTE_TLS_VERSION_12;
        cfg->max_version = MOTE_TLS_VERSION_13;
        cfg->record_size_limit = TLS_MAX_PLAIN + 1;
        cfg->ticket_lifetime = 7200;
    }
    for (size_t i = 0; i < TLS_MAX_PINS; i++)
        mote_buf_init(&cfg->pins[i], 1u << 20);
    if (err)
        *err = 0;
    return cfg;
fail:
    if (err)
        *err = e;
    return NULL;
}

static void cert_entry_clear(tls_cert_entry *c)
{
    for (size_t i = 0; i < c->n_chain; i++)
        mote_buf_free(&c->chain[i]);
    c->n_chain = 0;
    mote_crypto_privkey_free(c->key);
    c->key = NULL;
    mote_buf_free(&c->ocsp);
    free(c->names);
    c->names = NULL;
}

void mote_tls_config_free(mote_tls_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_certs; i++)
        cert_entry_clear(&cfg->certs[i]);
    for (size_t i = 0; i < TLS_MAX_PINS; i++)
        mote_buf_free(&cfg->pins[i]);
    mote_buf_free(&cfg->alpn_wire);
    tls_trust_free(cfg);
    mote_crypto_aead_free(cfg->ticket_aead);
    mote_wipe(cfg, sizeof(*cfg));
    free(cfg);
}

int mote_tls_config_set_suites(mote_tls_config *cfg, const uint16_t *suites, size_t n)
{
    if (!cfg || !suites || n == 0 || n > TLS_MAX_SUITES)
        return MOTE_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!tls_suite_is13(suites[i]) && !tls_suite12_auth(suites[i]))
            return MOTE_EUNSUPPORTED;
    memcpy(cfg->suites, suites, n * sizeof(*suites));
    cfg->n_suites = n;
    return 0;
}

static int group_known(uint16_t g)
{
    return g == MOTE_CRYPTO_GROUP_X25519 || g == MOTE_CRYPTO_GROUP_P256 ||
           g == MOTE_CRYPTO_GROUP_P384 || g == MOTE_CRYPTO_GROUP_X25519MLKEM768;
}

int mote_tls_config_set_groups(mote_tls_config *cfg, const uint16_t *groups, size_t n)
{
    if (!cfg || !groups || n == 0 || n > TLS_MAX_GROUPS)
        return MOTE_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!group_known(groups[i]))
            return MOTE_EUNSUPPORTED;
    memcpy(cfg->groups, groups, n * sizeof(*groups));
    cfg->n_groups = n;
    return 0;
}

static int group_from_name(const char *s, size_t n, uint16_t *g)
{
    static const struct {
        const char *name;
        uint16_t g;
    } tab[] = {
        {"x25519", MOTE_CRYPTO_GROUP_X25519},
        {"secp256r1", MOTE_CRYPTO_GROUP_P256},
        {"prime256v1", MOTE_CRYPTO_GROUP_P256},
        {"p-256", MOTE_CRYPTO_GROUP_P256},
        {"p256", MOTE_CRYPTO_GROUP_P256},
        {"secp384r1", MOTE_CRYPTO_GROUP_P384},
        {"p-384", MOTE_CRYPTO_GROUP_P384},
        {"p384", MOTE_CRYPTO_GROUP_P384},
        {"x25519mlkem768", MOTE_CRYPTO_GROUP_X25519MLKEM768},
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (strlen(tab[i].name) == n && strncasecmp(tab[i].name, s, n) == 0) {
            *g = tab[i].g;
            return 0;
        }
    }
    return MOTE_EUNSUPPORTED;
}

int mote_tls_config_set_groups_str(mote_tls_config *cfg, const char *list)
{
    uint16_t g[TLS_MAX_GROUPS];
    size_t n = 0;
    if (!cfg || !list)
        return MOTE_EINVAL;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n == TLS_MAX_GROUPS)
            return MOTE_EINVAL;
        int rc = group_from_name(p, len, &g[n]);
        if (rc)
            return rc;
        n++;
        if (!e)
            break;
        p = e + 1;
    }
    return mote_tls_config_set_groups(cfg, g, n);
}

int mote_tls_config_set_alpn(mote_tls_config *cfg, const char *const *protos, size_t n)
{
    if (!cfg || (n && !protos) || n > TLS_MAX_ALPN)
        return MOTE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        size_t l = protos[i] ? strlen(protos[i]) : 0;
        if (l == 0 || l > 255)
            return MOTE_EINVAL;
    }
    mote_buf_reset(&cfg->alpn_wire);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(protos[i]);
        int rc = mote_buf_append_byte(&cfg->alpn_wire, (uint8_t)l);
        if (!rc)
            rc = mote_buf_append(&cfg->alpn_wire, protos[i], l);
        if (rc) {
            mote_buf_reset(&cfg->alpn_wire);
            cfg->n_alpn = 0;
            return rc;
        }
    }
    cfg->n_alpn = n;
    return 0;
}

int mote_tls_config_set_alpn_str(mote_tls_config *cfg, const char *list)
{
    char copy[1024];
    const char *protos[TLS_MAX_ALPN];
    size_t n = 0;
    if (!cfg || !list || strlen(list) >= sizeof(copy))
        return MOTE_EINVAL;
    strcpy(copy, list);
    char *p = copy;
    while (*p) {
        char *e = strchr(p, ',');
        if (e)
            *e = 0;
        if (n == TLS_MAX_ALPN)
            return MOTE_EINVAL;
        protos[n++] = p;
        if (!e)
            break;
        p = e + 1;
    }
    return mote_tls_config_set_alpn(cfg, protos, n);
}

/* Finds the SubjectPublicKeyInfo inside a DER certificate. */
static int cert_spki(mote_slice der, mote_slice *spki)
{
    mote_asn1_reader r;
    mote_asn1_tlv t;
    bool present = false;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, &t) || mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, &t))
        return MOTE_EDECODE;
    if (mote_asn1_optional(&r, MOTE_ASN1_CONTEXT_CONS(0), &t, &present))
        return MOTE_EDECODE;
    for (int i = 0; i < 5; i++) /* serial, signature, issuer, validity, subject */
        if (mote_asn1_next(&r, &t))
            return MOTE_EDECODE;
    if (mote_asn1_expect(&r, MOTE_ASN1_SEQUENCE, &t))
        return MOTE_EDECODE;
    *spki = t.raw;
    return 0;
}

int tls_cert_spki(mote_slice der, mote_slice *spki)
{
    return cert_spki(der, spki);
}

/* Reads every CERTIFICATE block of a PEM text into bufs. */
static int read_pem_certs(const char *pem, size_t len, mote_buf *bufs, size_t max, size_t *n)
{
    mote_asn1_pem_reader pr;
    mote_asn1_pem_reader_init(&pr, mote_slice_make(pem, len));
    *n = 0;
    for (;;) {
        mote_slice label;
        mote_buf der;
        mote_asn1_error e;
        mote_buf_init(&der, 1u << 20);
        int rc = mote_asn1_pem_next(&pr, &label, &der, NULL, &e);
        if (rc == MOTE_ENOTFOUND) {
            mote_buf_free(&der);
            break;
        }
        if (rc) {
            mote_buf_free(&der);
            return rc == MOTE_ELIMIT ? MOTE_ELIMIT : MOTE_EDECODE;
        }
        if (!(label.len == 11 && memcmp(label.ptr, "CERTIFICATE", 11) == 0)) {
            mote_buf_free(&der);
            continue;
        }
        mote_slice spki;
        if (cert_spki(mote_buf_slice(&der), &spki)) {
            mote_buf_free(&der);
            return MOTE_EDECODE;
        }
        if (*n == max) {
            mote_buf_free(&der);
            return MOTE_ELIMIT;
        }
        bufs[(*n)++] = der;
    }
    return *n ? 0 : MOTE_EDECODE;
}

static uint16_t key_check_alg(mote_crypto_key_type kt)
{
    switch (kt) {
    case MOTE_CRYPTO_KEY_ED25519:
        return 0x0807;
    case MOTE_CRYPTO_KEY_P256:
        return 0x0403;
    case MOTE_CRYPTO_KEY_P384:
        return 0x0503;
    case MOTE_CRYPTO_KEY_RSA:
        return 0x0804;
    default:
        return 0;
    }
}

int mote_tls_config_add_cert_pem(mote_tls_config *cfg, const char *chain_pem, size_t chain_len,
                                 const char *key_pem, size_t key_len, const char *names)
{
    if (!cfg || !chain_pem || !key_pem)
        return MOTE_EINVAL;
    if (cfg->n_certs == TLS_MAX_CERTS)
        return MOTE_ELIMIT;
    tls_cert_entry *c = &cfg->certs[cfg->n_certs];
    memset(c, 0, sizeof(*c));
    int err = read_pem_certs(chain_pem, chain_len, c->chain, TLS_MAX_CHAIN, &c->n_chain);
    if (err)
        goto fail;
    c->key = mote_crypto_privkey_from_pem(key_pem, key_len, &err);
    if (!c->key)
        goto fail;
    c->key_type = mote_crypto_privkey_type(c->key);
    uint16_t alg = key_check_alg(c->key_type);
    if (!alg) {
        err = MOTE_EUNSUPPORTED;
        goto fail;
    }
    /* The key must fit the leaf: sign a probe and check it with the leaf's
     * public key. */
    {
        static const char probe[] = "mote-tls key check";
        uint8_t sig[MOTE_CRYPTO_SIG_MAX_LEN];
        size_t sig_len = 0;
        mote_slice spki;
        err = cert_spki(mote_buf_slice(&c->chain[0]), &spki);
        if (!err)
            err = mote_crypto_sign(c->key, (mote_crypto_sig_alg)alg, cfg->rng, probe,
                                   sizeof(probe) - 1, sig, sizeof(sig), &sig_len, 0);
        if (!err)
            err = mote_crypto_verify_spki(spki.ptr, spki.len, (mote_crypto_sig_alg)alg, probe,
                                          sizeof(probe) - 1, sig, sig_len, 0);
        if (err) {
            err = MOTE_EVERIFY;
            goto fail;
        }
    }
    chain_sigs(c);
    if (names && *names) {
        c->names = strdup(names);
        if (!c->names) {
            err = MOTE_ENOMEM;
            goto fail;
        }
    }
    cfg->n_certs++;
    return 0;
fail:
    cert_entry_clear(c);
    return err;
}

/* The TLS scheme of a certificate signature (see chain_sig). */
static uint16_t cert_sig_scheme(mote_x509_sig_alg a)
{
    switch (a) {
    case MOTE_X509_SIG_RSA_PKCS1_SHA256:
        return 0x0401;
    case MOTE_X509_SIG_RSA_PKCS1_SHA384:
        return 0x0501;
    case MOTE_X509_SIG_RSA_PKCS1_SHA512:
        return 0x0601;
    case MOTE_X509_SIG_RSA_PSS_SHA256:
        return 0x0804;
    case MOTE_X509_SIG_RSA_PSS_SHA384:
        return 0x0805;
    case MOTE_X509_SIG_RSA_PSS_SHA512:
        return 0x0806;
    case MOTE_X509_SIG_ECDSA_SHA256:
        return 0x0403;
    case MOTE_X509_SIG_ECDSA_SHA384:
        return 0x0503;
    case MOTE_X509_SIG_ECDSA_SHA512:
        return 0x0603;
    case MOTE_X509_SIG_ED25519:
        return 0x0807;
    default:
        return 0xffff;
    }
}

/* Fills c->chain_sig: every certificate's signature counts except a
 * self-issued one after the leaf (a root, whose signature nobody checks). */
static void chain_sigs(tls_cert_entry *c)
{
    for (size_t i = 0; i < c->n_chain; i++) {
        int err = 0;
        mote_x509_cert *x = mote_x509_cert_parse(c->chain[i].data, c->chain[i].len, &err, NULL, 0);
        if (!x) {
            c->chain_sig[i] = 0xffff;
            continue;
        }
        c->chain_sig[i] = (i > 0 && mote_x509_cert_self_issued(x))
                              ? 0
                              : cert_sig_scheme(mote_x509_cert_sig_alg(x));
        mote_x509_cert_free(x);
    }
}

int tls_chain_sigs_fit(const tls_cert_entry *c, const uint16_t *list, size_t n)
{
    for (size_t i = 0; i < c->n_chain; i++) {
        uint16_t s = c->chain_sig[i];
        if (s == 0)
            continue;
        int ok = 0;
        for (size_t k = 0; k < n && !ok; k++)
            ok = list[k] == s || (s >= 0x0804 && s <= 0x0806 && list[k] == s + 5);
        if (!ok)
            return 0;
    }
    return 1;
}

int mote_tls_config_set_cert_sigalgs(mote_tls_config *cfg, const uint16_t *schemes, size_t n)
{
    if (!cfg || !schemes || n == 0 || n > TLS_MAX_SIGALGS)
        return MOTE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int known = 0;
        for (size_t k = 0; k < sizeof(default_cert_sigalgs) / sizeof(default_cert_sigalgs[0]); k++)
            known |= default_cert_sigalgs[k] == schemes[i];
        if (!known)
            return MOTE_EUNSUPPORTED;
    }
    memcpy(cfg->cert_sigalgs, schemes, n * sizeof(schemes[0]));
    cfg->n_cert_sigalgs = n;
    return 0;
}

static int pin_verify(void *ctx, const mote_slice *chain, size_t n, const char *server_name,
                      uint8_t *alert)
{
    const mote_tls_config *cfg = ctx;
    (void)server_name;
    if (n == 0)
        return MOTE_EVERIFY;
    for (size_t i = 0; i < cfg->n_pins; i++)
        if (cfg->pins[i].len == chain[0].len &&
            memcmp(cfg->pins[i].data, chain[0].ptr, chain[0].len) == 0)
            return 0;
    *alert = MOTE_TLS_ALERT_BAD_CERTIFICATE;
    return MOTE_EVERIFY;
}

int mote_tls_config_set_ocsp_der(mote_tls_config *cfg, const uint8_t *der, size_t len)
{
    if (!cfg || cfg->n_certs == 0 || (!der && len))
        return MOTE_EINVAL;
    if (len > 0xffff || (len && der[0] != 0x30))
        return MOTE_EDECODE;
    tls_cert_entry *c = &cfg->certs[cfg->n_certs - 1];
    mote_buf_free(&c->ocsp);
    mote_buf_init(&c->ocsp, 0xffff);
    return mote_buf_append(&c->ocsp, der, len);
}

void tls_config_clear_pins(mote_tls_config *cfg)
{
    for (size_t i = 0; i < cfg->n_pins; i++)
        mote_buf_free(&cfg->pins[i]);
    cfg->n_pins = 0;
}

void mote_tls_config_set_verifier(mote_tls_config *cfg, mote_tls_verify_fn fn, void *ctx)
{
    if (!cfg)
        return;
    tls_config_clear_pins(cfg);
    cfg->verify = fn;
    cfg->verify_ctx = ctx;
}

void mote_tls_config_set_client_trust(mote_tls_config *cfg, int on)
{
    if (cfg)
        cfg->trust_client = on ? 1 : 0;
}

int mote_tls_config_add_pins_pem(mote_tls_config *cfg, const char *pem, size_t len, size_t *added)
{
    mote_buf tmp[TLS_MAX_PINS];
    size_t n = 0;
    if (added)
        *added = 0;
    if (!cfg || !pem)
        return MOTE_EINVAL;
    int rc = read_pem_certs(pem, len, tmp, TLS_MAX_PINS - cfg->n_pins, &n);
    if (rc) {
        for (size_t i = 0; i < n; i++)
            mote_buf_free(&tmp[i]);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        cfg->pins[cfg->n_pins++] = tmp[i];
    cfg->verify = pin_verify;
    cfg->verify_ctx = cfg;
    if (added)
        *added = n;
    return 0;
}

void mote_tls_config_set_tickets(mote_tls_config *cfg, unsigned count, uint32_t lifetime_s)
{
    if (cfg) {
        cfg->n_tickets = count > 4 ? 4 : count;
        cfg->ticket_lifetime = lifetime_s > 604800 ? 604800 : lifetime_s;
    }
}

int mote_tls_config_set_record_size_limit(mote_tls_config *cfg, size_t limit)
{
    if (!cfg || limit < 64 || limit > TLS_MAX_PLAIN + 1)
        return MOTE_ERANGE;
    cfg->record_size_limit = limit;
    return 0;
}

int mote_tls_config_set_versions(mote_tls_config *cfg, uint16_t min, uint16_t max)
{
    if (!cfg || min > max || min < MOTE_TLS_VERSION_12 || max > MOTE_TLS_VERSION_13)
        return MOTE_EUNSUPPORTED;
    cfg->min_version = min;
    cfg->max_version = max;
    return 0;
}

void mote_tls_config_set_insecure(mote_tls_config *cfg, int on)
{
    if (cfg)
        cfg->insecure = on ? 1 : 0;
}

void mote_tls_config_set_client_auth(mote_tls_config *cfg, int mode)
{
    if (cfg)
        cfg->client_auth = mode < 0 ? 0 : mode > 2 ? 2 : mode;
}

void mote_tls_config_set_padding(mote_tls_config *cfg, mote_tls_pad_fn fn, void *ctx)
{
    if (cfg) {
        cfg->pad = fn;
        cfg->pad_ctx = ctx;
    }
}

void mote_tls_config_set_log(mote_tls_config *cfg, const mote_log *log)
{
    if (cfg)
        cfg->log = log;
}
