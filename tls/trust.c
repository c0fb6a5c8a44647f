/* trust.c - the default verifier: libmote-x509 path validation against a
 * trust store, with the peer name checked, at the time of a mote_clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/x509.h"
#include "tls_internal.h"

/* id-kp-clientAuth, 1.3.6.1.5.5.7.3.2 (the OID's content octets). */
static const uint8_t oid_client_auth[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};

static uint8_t alert_for(mote_x509_check c)
{
    switch (c) {
    case MOTE_X509_CHECK_NO_PATH:
        return MOTE_TLS_ALERT_UNKNOWN_CA;
    case MOTE_X509_CHECK_VALIDITY:
        return MOTE_TLS_ALERT_CERTIFICATE_EXPIRED;
    case MOTE_X509_CHECK_ALGORITHM:
        return MOTE_TLS_ALERT_UNSUPPORTED_CERTIFICATE;
    case MOTE_X509_CHECK_EXT_KEY_USAGE:
    case MOTE_X509_CHECK_KEY_USAGE:
        return MOTE_TLS_ALERT_UNSUPPORTED_CERTIFICATE;
    default:
        return MOTE_TLS_ALERT_BAD_CERTIFICATE;
    }
}

int tls_trust_verify(void *ctx, const mote_slice *chain, size_t n, const char *server_name,
                     uint8_t *alert)
{
    mote_tls_config *cfg = ctx;
    mote_x509_cert *certs[16];
    size_t nc = 0;
    int rc = 0;
    if (n == 0 || !cfg->trust)
        return MOTE_EVERIFY;
    for (size_t i = 0; i < n && i < 16; i++) {
        int err = 0;
        certs[nc] = mote_x509_cert_parse(chain[i].ptr, chain[i].len, &err, NULL, 0);
        if (!certs[nc]) {
            if (i == 0) {
                *alert = MOTE_TLS_ALERT_BAD_CERTIFICATE;
                snprintf(cfg->verify_reason, sizeof(cfg->verify_reason),
                         "the peer's certificate does not parse");
                return MOTE_EVERIFY;
            }
            continue; /* an unparsable extra certificate is just not used */
        }
        nc++;
    }
    mote_x509_verify_opts o;
    mote_time now = {0, 0};
    if (cfg->clock)
        now = mote_clock_wall(cfg->clock);
    else
        now = cfg->fixed_time;
    mote_x509_verify_opts_init(&o, now);
    o.profile = cfg->trust_profile;
    uint8_t ip[16];
    size_t ip_len = 0;
    mote_slice eku = mote_slice_make(oid_client_auth, sizeof(oid_client_auth));
    if (server_name) {
        if (mote_x509_parse_ip(server_name, ip, &ip_len) == 0) {
            o.ip = ip;
            o.ip_len = ip_len;
        } else {
            o.dns_name = server_name;
        }
    } else if (cfg->trust_client) {
        o.ekus = &eku;
        o.n_ekus = 1;
    }
    mote_x509_verify_result res;
    memset(&res, 0, sizeof(res));
    rc = mote_x509_verify(cfg->trust, certs[0], certs + 1, nc - 1, &o, &res);
    if (rc) {
        *alert = alert_for(res.check);
        snprintf(cfg->verify_reason, sizeof(cfg->verify_reason), "%s: %s",
                 mote_x509_check_name(res.check), res.reason);
        rc = MOTE_EVERIFY;
    }
    mote_x509_verify_result_clear(&res);
    for (size_t i = 0; i < nc; i++)
        mote_x509_cert_free(certs[i]);
    return rc;
}

int mote_tls_config_add_trust_pem(mote_tls_config *cfg, const char *pem, size_t len, size_t *added)
{
    int err = 0;
    if (added)
        *added = 0;
    if (!cfg || !pem)
        return MOTE_EINVAL;
    if (!cfg->trust) {
        cfg->trust = mote_x509_store_new(&err);
        if (!cfg->trust)
            return err;
    }
    size_t a = 0, d = 0, b = 0;
    err = mote_x509_store_add_pem(cfg->trust, (const uint8_t *)pem, len, &a, &d, &b);
    if (err)
        return err;
    if (added)
        *added = a;
    tls_config_clear_pins(cfg);
    cfg->verify = tls_trust_verify;
    cfg->verify_ctx = cfg;
    return 0;
}

void mote_tls_config_set_clock(mote_tls_config *cfg, mote_clock *clock)
{
    if (cfg)
        cfg->clock = clock;
}

void mote_tls_config_set_time(mote_tls_config *cfg, mote_time now)
{
    if (cfg) {
        cfg->clock = NULL;
        cfg->fixed_time = now;
    }
}

void mote_tls_config_set_trust_profile(mote_tls_config *cfg, int rfc5280)
{
    if (cfg)
        cfg->trust_profile = rfc5280 ? MOTE_X509_PROFILE_RFC5280 : MOTE_X509_PROFILE_WEBPKI;
}

void tls_trust_free(mote_tls_config *cfg)
{
    mote_x509_store_free(cfg->trust);
    cfg->trust = NULL;
}

const char *mote_tls_config_verify_reason(const mote_tls_config *cfg)
{
    return cfg ? cfg->verify_reason : "";
}
