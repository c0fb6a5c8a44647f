/*
 * verify.c - path building with backtracking (RFC 4158 in spirit) and path
 * validation (RFC 5280 section 6), name constraints, EKU, and the web PKI
 * profile (CA/Browser Forum Baseline Requirements).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509_internal.h"

const char *x509_ext_name(int id);
int x509_policy_check(mote_x509_cert *const *path, size_t n, const mote_x509_verify_opts *o,
                      int *fail_depth, char *why, size_t why_len);

enum role { ROLE_LEAF, ROLE_CA, ROLE_ANCHOR };

struct vctx {
    const mote_x509_store *trust;
    mote_x509_cert *const *untrusted;
    size_t n_untrusted;
    const mote_x509_verify_opts *o;
    int webpki;
    mote_slice server_auth;
    mote_slice any_eku;
    mote_x509_cert *path[MOTE_X509_MAX_DEPTH];
    size_t len;
    size_t work;
    size_t sigs;      /* signature checks done */
    size_t nc_budget; /* name constraint comparisons left */
    int limit_hit;
    /* signature results of this call, by (child, issuer) */
    struct {
        const mote_x509_cert *child, *issuer;
        int rc;
    } memo[MOTE_X509_MAX_SIGNATURES];
    size_t n_memo;
    /* the failure on the path that got furthest */
    int have;
    size_t progress;
    mote_x509_check check;
    int depth;
    char reason[320];
};

static const char *const check_names[] = {
    "none",
    "no path",
    "limit",
    "validity",
    "signature",
    "algorithm",
    "basic constraints",
    "path length",
    "key usage",
    "extended key usage",
    "name constraints",
    "policy",
    "critical extension",
    "profile",
    "peer name",
    "chain depth",
};

const char *mote_x509_check_name(mote_x509_check c)
{
    return (size_t)c < sizeof(check_names) / sizeof(check_names[0]) ? check_names[c] : "unknown";
}

/* Records a failure (keeping the one from the longest partial path). */
static void fail(struct vctx *v, size_t progress, mote_x509_check check, int depth,
                 const mote_x509_cert *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
static void fail(struct vctx *v, size_t progress, mote_x509_check check, int depth,
                 const mote_x509_cert *c, const char *fmt, ...)
{
    if (v->have && progress <= v->progress)
        return;
    v->have = 1;
    v->progress = progress;
    v->check = check;
    v->depth = depth;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    mote_buf name;
    mote_buf_init(&name, 4096);
    if (!c || mote_x509_name_print(&c->subject, &name) != 0 || name.len == 0) {
        mote_buf_reset(&name);
        mote_buf_appendf(&name, "empty subject");
    }
    if (name.len > 100) {
        name.len = 100;
        name.data[100] = 0;
    }
    snprintf(v->reason, sizeof(v->reason), "certificate at depth %d (%s): %s", depth,
             name.data ? (const char *)name.data : "", msg);
    mote_buf_free(&name);
}

static int has_eku(const mote_x509_cert *c, mote_slice oid)
{
    for (size_t i = 0; i < c->x.n_eku; i++)
        if (mote_slice_eq(c->x.eku[i], oid))
            return 1;
    return 0;
}

/* 1 if the EKU extension of c allows one of the wanted purposes. */
static int eku_allows(const struct vctx *v, const mote_x509_cert *c, int any_ok)
{
    if (any_ok && has_eku(c, v->any_eku))
        return 1;
    const mote_x509_verify_opts *o = v->o;
    if (o->ekus && o->n_ekus) {
        for (size_t i = 0; i < o->n_ekus; i++)
            if (has_eku(c, o->ekus[i]))
                return 1;
        return 0;
    }
    return has_eku(c, v->server_auth);
}

#define HAS(c, e)  (((c)->x.present >> (e)) & 1u)
#define CRIT(c, e) (((c)->x.critical >> (e)) & 1u)

/* Checks that depend only on the certificate and its role in the path.
 * Returns 0 or records a failure and returns -1. */
static int check_role(struct vctx *v, const mote_x509_cert *c, enum role role, int depth,
                      size_t progress)
{
    const mote_x509_exts *x = &c->x;
    int ca_role = role != ROLE_LEAF;

    /* RFC 5280 4.1.1.2: signatureAlgorithm MUST equal TBSCertificate.signature. */
    if (!mote_slice_eq(c->sig_alg_raw, c->tbs_sig_alg_raw)) {
        fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
             "signatureAlgorithm differs from tbsCertificate.signature (RFC 5280 4.1.1.2)");
        return -1;
    }
    /* RFC 5280 4.1.2.2: positive, at most 20 octets. */
    const mote_slice s = c->serial;
    size_t mag = s.len;
    if (s.len > 1 && s.ptr[0] == 0)
        mag--;
    if (s.len == 0 || (s.ptr[0] & 0x80) || (s.len == 1 && s.ptr[0] == 0) || mag > 20) {
        fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
             "serial number not a positive integer of at most 20 octets (RFC 5280 4.1.2.2)");
        return -1;
    }
    if (v->webpki && c->version != 3) {
        fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
             "version %d certificate; the Baseline Requirements (7.1.1) need v3", c->version);
        return -1;
    }
    if (c->issuer.n_rdns == 0) {
        fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
             "empty issuer name (RFC 5280 4.1.2.4)");
        return -1;
    }
    for (size_t i = 0; i < c->n_exts; i++) {
        if (c->exts[i].critical && c->exts[i].known < 0) {
            char oid[MOTE_ASN1_OID_TEXT_MAX];
            if (mote_asn1_oid_to_text(c->exts[i].oid, oid, sizeof(oid)) != 0)
                snprintf(oid, sizeof(oid), "?");
            fail(v, progress, MOTE_X509_CHECK_CRITICAL_EXT, depth, c,
                 "unknown critical extension %s (RFC 5280 4.2)", oid);
            return -1;
        }
    }
    static const struct {
        int ext;
        const char *clause;
    } noncrit[] = {
        {MOTE_X509_EXT_AUTHORITY_KEY_ID, "4.2.1.1"},
        {MOTE_X509_EXT_SUBJECT_KEY_ID, "4.2.1.2"},
        {MOTE_X509_EXT_POLICY_MAPPINGS, "4.2.1.5"},
        {MOTE_X509_EXT_AUTHORITY_INFO_ACCESS, "4.2.2.1"},
    };
    for (size_t i = 0; i < sizeof(noncrit) / sizeof(noncrit[0]); i++) {
        if (CRIT(c, noncrit[i].ext)) {
            fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
                 "%s marked critical (RFC 5280 %s: MUST be non-critical)",
                 x509_ext_name(noncrit[i].ext), noncrit[i].clause);
            return -1;
        }
    }
    /* 4.2.1.1: keyIdentifier MUST be present except in self-signed CA certs. */
    if (!c->self_issued && x->aki_key_id.len == 0) {
        fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
             "no authorityKeyIdentifier keyIdentifier (RFC 5280 4.2.1.1)");
        return -1;
    }
    /* 4.2.1.6: an empty subject needs a critical subjectAltName. */
    if (c->subject.n_rdns == 0 &&
        (!HAS(c, MOTE_X509_EXT_SUBJECT_ALT_NAME) || !CRIT(c, MOTE_X509_EXT_SUBJECT_ALT_NAME))) {
        fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
             "empty subject without a critical subjectAltName (RFC 5280 4.2.1.6)");
        return -1;
    }
    if (v->webpki && c->subject.n_rdns != 0 && CRIT(c, MOTE_X509_EXT_SUBJECT_ALT_NAME)) {
        fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
             "critical subjectAltName with a non-empty subject (BR 7.1.2.7.12)");
        return -1;
    }
    int ku = HAS(c, MOTE_X509_EXT_KEY_USAGE);
    int certsign = ku && (x->key_usage & MOTE_X509_KU_KEY_CERT_SIGN);
    /* 4.2.1.3 / 4.2.1.9: keyCertSign needs cA; cA with keyUsage needs keyCertSign. */
    if (certsign && !x->ca) {
        fail(v, progress, MOTE_X509_CHECK_KEY_USAGE, depth, c,
             "keyCertSign asserted without basicConstraints cA (RFC 5280 4.2.1.3)");
        return -1;
    }
    if (x->ca && ku && !certsign) {
        fail(v, progress, MOTE_X509_CHECK_KEY_USAGE, depth, c,
             "basicConstraints cA without keyUsage keyCertSign (RFC 5280 4.2.1.9)");
        return -1;
    }
    if (x->pathlen >= 0 && !x->ca) {
        fail(v, progress, MOTE_X509_CHECK_BASIC_CONSTRAINTS, depth, c,
             "pathLenConstraint without cA (RFC 5280 4.2.1.9)");
        return -1;
    }
    if (HAS(c, MOTE_X509_EXT_NAME_CONSTRAINTS)) {
        if (!x->ca) {
            fail(v, progress, MOTE_X509_CHECK_NAME_CONSTRAINTS, depth, c,
                 "nameConstraints in a certificate that is not a CA (RFC 5280 4.2.1.10)");
            return -1;
        }
        if (!v->webpki && !CRIT(c, MOTE_X509_EXT_NAME_CONSTRAINTS)) {
            fail(v, progress, MOTE_X509_CHECK_NAME_CONSTRAINTS, depth, c,
                 "nameConstraints not critical (RFC 5280 4.2.1.10)");
            return -1;
        }
    }
    if (v->webpki) {
        int ok_key = c->key_alg == MOTE_X509_KEY_RSA || c->key_alg == MOTE_X509_KEY_EC_P256 ||
                     c->key_alg == MOTE_X509_KEY_EC_P384;
        if (!ok_key) {
            fail(v, progress, MOTE_X509_CHECK_ALGORITHM, depth, c,
                 "public key %s not allowed (BR 7.1.3.1)", mote_x509_key_alg_name(c->key_alg));
            return -1;
        }
        if (role != ROLE_ANCHOR) {
            switch (c->sig_alg) {
            case MOTE_X509_SIG_RSA_PKCS1_SHA256:
            case MOTE_X509_SIG_RSA_PKCS1_SHA384:
            case MOTE_X509_SIG_RSA_PKCS1_SHA512:
            case MOTE_X509_SIG_RSA_PSS_SHA256:
            case MOTE_X509_SIG_RSA_PSS_SHA384:
            case MOTE_X509_SIG_RSA_PSS_SHA512:
            case MOTE_X509_SIG_ECDSA_SHA256:
            case MOTE_X509_SIG_ECDSA_SHA384:
                break;
            default:
                fail(v, progress, MOTE_X509_CHECK_ALGORITHM, depth, c,
                     "signature algorithm %s not allowed (BR 7.1.3.2)",
                     mote_x509_sig_alg_name(c->sig_alg));
                return -1;
            }
        }
        if (role == ROLE_LEAF) {
            int err = 0;
            mote_crypto_pubkey *k = mote_crypto_pubkey_from_spki(c->spki.ptr, c->spki.len, &err);
            unsigned bits = k ? mote_crypto_pubkey_bits(k) : 0;
            mote_crypto_pubkey_free(k);
            if (!k || (c->key_alg == MOTE_X509_KEY_RSA && bits < 2048)) {
                fail(v, progress, MOTE_X509_CHECK_ALGORITHM, depth, c,
                     "public key unusable or too small (%s)",
                     k ? "RSA below 2048 bits" : mote_strerror(err));
                return -1;
            }
        }
    }

    if (ca_role) {
        /* 4.2.1.9: CA certificates MUST have a critical basicConstraints
         * with cA asserted; 6.1.4 (k). */
        if (!HAS(c, MOTE_X509_EXT_BASIC_CONSTRAINTS) || !x->ca) {
            fail(v, progress, MOTE_X509_CHECK_BASIC_CONSTRAINTS, depth, c,
                 "issuer is not a CA: no basicConstraints cA (RFC 5280 4.2.1.9, 6.1.4 (k))");
            return -1;
        }
        if (!CRIT(c, MOTE_X509_EXT_BASIC_CONSTRAINTS)) {
            fail(v, progress, MOTE_X509_CHECK_BASIC_CONSTRAINTS, depth, c,
                 "basicConstraints not critical in a CA certificate (RFC 5280 4.2.1.9)");
            return -1;
        }
        if (ku && !certsign) {
            fail(v, progress, MOTE_X509_CHECK_KEY_USAGE, depth, c,
                 "keyUsage without keyCertSign in an issuer (RFC 5280 6.1.4 (n))");
            return -1;
        }
        if (c->subject.n_rdns == 0) {
            fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
                 "CA certificate with an empty subject (RFC 5280 4.1.2.6)");
            return -1;
        }
        if (x->ski.len == 0) {
            fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
                 "CA certificate without subjectKeyIdentifier (RFC 5280 4.2.1.2)");
            return -1;
        }
        if (v->webpki && role == ROLE_ANCHOR) {
            if (HAS(c, MOTE_X509_EXT_EXT_KEY_USAGE)) {
                fail(v, progress, MOTE_X509_CHECK_EXT_KEY_USAGE, depth, c,
                     "root CA with extKeyUsage (BR 7.1.2.1.2)");
                return -1;
            }
            if (c->self_issued && HAS(c, MOTE_X509_EXT_AUTHORITY_KEY_ID)) {
                if (x->aki_key_id.len == 0 || x->aki_has_issuer || x->aki_has_serial ||
                    !mote_slice_eq(x->aki_key_id, x->ski)) {
                    fail(v, progress, MOTE_X509_CHECK_PROFILE, depth, c,
                         "root CA authorityKeyIdentifier must hold only keyIdentifier equal to "
                         "the subjectKeyIdentifier (BR 7.1.2.1.3)");
                    return -1;
                }
            }
        }
        if (v->webpki && role == ROLE_CA && HAS(c, MOTE_X509_EXT_EXT_KEY_USAGE) &&
            !eku_allows(v, c, 1)) {
            fail(v, progress, MOTE_X509_CHECK_EXT_KEY_USAGE, depth, c,
                 "intermediate's extKeyUsage does not allow the purpose (BR 7.1.2.10.6)");
            return -1;
        }
    }
    return 0;
}

static int check_validity(struct vctx *v, const mote_x509_cert *c, int depth, size_t progress)
{
    int64_t now = v->o->now.sec;
    if (now < c->not_before.sec) {
        char t[32];
        mote_time_format_rfc3339(c->not_before.sec, t, sizeof(t));
        fail(v, progress, MOTE_X509_CHECK_VALIDITY, depth, c, "not valid before %s", t);
        return -1;
    }
    if (now > c->not_after.sec) {
        char t[32];
        mote_time_format_rfc3339(c->not_after.sec, t, sizeof(t));
        fail(v, progress, MOTE_X509_CHECK_VALIDITY, depth, c, "expired at %s", t);
        return -1;
    }
    return 0;
}

/* ---- name constraints (RFC 5280 4.2.1.10, 6.1.4 (g), 6.1.3 (b)(c)) -------- */

static int lc(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static int ieq(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lc(a[i]) != lc(b[i]))
            return 0;
    return 1;
}

/* A name ends with the suffix, case-insensitively. */
static int iends(mote_slice s, mote_slice suf)
{
    return s.len >= suf.len && ieq(s.ptr + s.len - suf.len, suf.ptr, suf.len);
}

/* dNSName within a constraint: equal, or the constraint's labels are a
 * right-hand part of the name's. A constraint with a leading '.' matches
 * subdomains only; an empty constraint matches every name. */
static int dns_within(mote_slice name, mote_slice cons)
{
    if (cons.len == 0)
        return 1;
    if (cons.ptr[0] == '.')
        return name.len > cons.len && iends(name, cons);
    if (name.len == cons.len)
        return ieq(name.ptr, cons.ptr, name.len);
    return name.len > cons.len && iends(name, cons) && name.ptr[name.len - cons.len - 1] == '.';
}

static int dns_cons_valid(mote_slice cons)
{
    if (cons.len == 0)
        return 1;
    mote_slice c = cons;
    if (c.ptr[0] == '.') {
        c.ptr++;
        c.len--;
    }
    return x509_dns_name_valid(c, false);
}

/* rfc822Name within a constraint: a mailbox (with '@') exactly; a domain
 * with a leading '.' any host in it; otherwise that host exactly. */
static int email_within(mote_slice addr, mote_slice cons)
{
    const uint8_t *at = memchr(addr.ptr, '@', addr.len);
    if (!at)
        return 0;
    if (memchr(cons.ptr, '@', cons.len)) {
        /* local part case-sensitive, domain not */
        const uint8_t *cat = memchr(cons.ptr, '@', cons.len);
        size_t ll = (size_t)(at - addr.ptr), cl = (size_t)(cat - cons.ptr);
        return ll == cl && memcmp(addr.ptr, cons.ptr, ll) == 0 && addr.len == cons.len &&
               ieq(at, cat, addr.len - ll);
    }
    mote_slice host = mote_slice_make(at + 1, addr.len - (size_t)(at - addr.ptr) - 1);
    if (cons.len && cons.ptr[0] == '.')
        return host.len > cons.len && iends(host, cons);
    return host.len == cons.len && ieq(host.ptr, cons.ptr, host.len);
}

/* The host of a URI (scheme "://" [userinfo "@"] host [":" port] ...). */
static int uri_host(mote_slice uri, mote_slice *host)
{
    const uint8_t *p = uri.ptr, *end = uri.ptr + uri.len;
    const uint8_t *colon = memchr(p, ':', uri.len);
    if (!colon || end - colon < 3 || colon[1] != '/' || colon[2] != '/')
        return -1;
    const uint8_t *h = colon + 3, *e = h;
    while (e < end && *e != '/' && *e != '?' && *e != '#')
        e++;
    const uint8_t *at = NULL;
    for (const uint8_t *q = h; q < e; q++)
        if (*q == '@')
            at = q;
    if (at)
        h = at + 1;
    if (h < e && *h == '[')
        return -1; /* IP literals are not DNS names */
    const uint8_t *pe = h;
    while (pe < e && *pe != ':')
        pe++;
    if (pe == h)
        return -1;
    *host = mote_slice_make(h, (size_t)(pe - h));
    return 0;
}

static int uri_within(mote_slice uri, mote_slice cons)
{
    mote_slice host;
    if (uri_host(uri, &host) != 0)
        return 0;
    if (cons.len && cons.ptr[0] == '.')
        return host.len > cons.len && iends(host, cons);
    return host.len == cons.len && ieq(host.ptr, cons.ptr, host.len);
}

static int ip_cons_valid(mote_slice cons)
{
    if (cons.len != 8 && cons.len != 32)
        return 0;
    size_t n = cons.len / 2;
    const uint8_t *mask = cons.ptr + n;
    int zero = 0;
    for (size_t i = 0; i < n; i++) {
        for (int b = 7; b >= 0; b--) {
            int bit = (mask[i] >> b) & 1;
            if (bit && zero)
                return 0; /* not a CIDR mask */
            if (!bit)
                zero = 1;
        }
    }
    return 1;
}

static int ip_within(mote_slice ip, mote_slice cons)
{
    size_t n = cons.len / 2;
    if (ip.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((ip.ptr[i] & cons.ptr[n + i]) != (cons.ptr[i] & cons.ptr[n + i]))
            return 0;
    return 1;
}

/* directoryName within a constraint: the constraint's RDNs are the first
 * RDNs of the name (compared as in 7.1). */
static int dn_within(const mote_x509_name *name, mote_slice cons_der)
{
    mote_x509_name cons;
    if (mote_x509_name_parse(cons_der, &cons) != 0)
        return -1;
    int r = 0;
    if (cons.n_rdns <= name->n_rdns) {
        mote_x509_name prefix = *name;
        size_t k = 0;
        while (k < name->n_avas && name->avas[k].rdn < cons.n_rdns)
            k++;
        prefix.n_avas = k;
        prefix.n_rdns = cons.n_rdns;
        mote_buf a, b;
        mote_buf_init(&a, 1u << 20);
        mote_buf_init(&b, 1u << 20);
        if (x509_name_canonical(&prefix, &a) == 0 && x509_name_canonical(&cons, &b) == 0)
            r = mote_slice_eq(mote_buf_slice(&a), mote_buf_slice(&b));
        mote_buf_free(&a);
        mote_buf_free(&b);
    }
    mote_x509_name_clear(&cons);
    return r;
}

/* A wildcard name "*.S" is taken as covering every name one label below S.
 * For excluded subtrees it matches when the subtree is (or lies under) such
 * a name; for permitted ones when "*.S" itself lies within. */
static int dns_excluded_by(mote_slice name, mote_slice cons)
{
    if (dns_within(name, cons))
        return 1;
    if (name.len >= 2 && name.ptr[0] == '*' && name.ptr[1] == '.') {
        mote_slice base = mote_slice_make(name.ptr + 2, name.len - 2);
        /* cons = label.S or deeper under S */
        mote_slice c = cons;
        if (c.len && c.ptr[0] == '.') {
            c.ptr++;
            c.len--;
        }
        return c.len > base.len && iends(c, base) && c.ptr[c.len - base.len - 1] == '.';
    }
    return 0;
}

/* Checks one name of a certificate against one certificate's constraints.
 * Returns 0 if allowed, or -1 with why filled. */
/* Name constraint comparisons allowed per verify call. */
#define NC_BUDGET (1u << 18)

static int nc_name(const mote_x509_cert *ca, mote_x509_gn_type type, mote_slice value,
                   const mote_x509_name *dn, size_t *budget, char *why, size_t wn)
{
    const mote_x509_exts *x = &ca->x;
    for (int pass = 0; pass < 2; pass++) {
        const mote_x509_general_names *l = pass == 0 ? &x->excluded : &x->permitted;
        int any_of_type = 0, matched = 0;
        for (size_t i = 0; i < l->n; i++) {
            const mote_x509_general_name *g = &l->v[i];
            if (g->type != type)
                continue;
            any_of_type = 1;
            if (*budget == 0) {
                x509_why(why, wn, "too many name constraint comparisons (bound %u)", NC_BUDGET);
                return -1;
            }
            (*budget)--;
            int m = 0;
            switch (type) {
            case MOTE_X509_GN_DNS:
                if (!dns_cons_valid(g->value)) {
                    x509_why(why, wn, "malformed dNSName constraint");
                    return -1;
                }
                m = pass == 0 ? dns_excluded_by(value, g->value) : dns_within(value, g->value);
                break;
            case MOTE_X509_GN_IP:
                if (!ip_cons_valid(g->value)) {
                    x509_why(why, wn, "malformed iPAddress constraint (not address and CIDR mask)");
                    return -1;
                }
                m = ip_within(value, g->value);
                break;
            case MOTE_X509_GN_EMAIL:
                m = email_within(value, g->value);
                break;
            case MOTE_X509_GN_URI:
                m = uri_within(value, g->value);
                break;
            case MOTE_X509_GN_DIRNAME:
                m = dn_within(dn, g->value);
                if (m < 0) {
                    x509_why(why, wn, "malformed directoryName constraint");
                    return -1;
                }
                break;
            default:
                /* A constraint on a name form mote does not process:
                 * reject (4.2.1.10). */
                x509_why(why, wn, "constraint on an unsupported name form %d", (int)type);
                return -1;
            }
            if (m) {
                matched = 1;
                break;
            }
        }
        if (pass == 0 && matched) {
            x509_why(why, wn, "name is in an excluded subtree");
            return -1;
        }
        if (pass == 1 && any_of_type && !matched) {
            x509_why(why, wn, "name is outside the permitted subtrees");
            return -1;
        }
    }
    return 0;
}

/* All the names of `c` (subject DN, its email attributes, SAN entries)
 * against the constraints of `ca`. */
static int nc_cert(const mote_x509_cert *ca, const mote_x509_cert *c, size_t *budget, char *why,
                   size_t wn)
{
    char sub[160];
    if (c->subject.n_rdns) {
        if (nc_name(ca, MOTE_X509_GN_DIRNAME, c->subject.der, &c->subject, budget, sub,
                    sizeof(sub))) {
            x509_why(why, wn, "subject: %s", sub);
            return -1;
        }
        for (size_t i = 0; i < c->subject.n_avas; i++) {
            const mote_x509_ava *a = &c->subject.avas[i];
            if (mote_asn1_oid_is(a->type, MOTE_ASN1_OID_EMAIL_ADDRESS) && a->str.tag) {
                if (nc_name(ca, MOTE_X509_GN_EMAIL, a->str.value, NULL, budget, sub, sizeof(sub))) {
                    x509_why(why, wn, "subject emailAddress: %s", sub);
                    return -1;
                }
            }
        }
    }
    const mote_x509_general_names *san = &c->x.san;
    for (size_t i = 0; i < san->n; i++) {
        const mote_x509_general_name *g = &san->v[i];
        mote_x509_name dn;
        memset(&dn, 0, sizeof(dn));
        if (g->type == MOTE_X509_GN_DNS && !x509_dns_name_valid(g->value, true)) {
            x509_why(why, wn, "malformed dNSName in subjectAltName");
            return -1;
        }
        if (g->type == MOTE_X509_GN_IP && g->value.len != 4 && g->value.len != 16) {
            x509_why(why, wn, "malformed iPAddress in subjectAltName");
            return -1;
        }
        if (g->type == MOTE_X509_GN_DIRNAME && mote_x509_name_parse(g->value, &dn) != 0) {
            x509_why(why, wn, "malformed directoryName in subjectAltName");
            return -1;
        }
        int rc = nc_name(ca, g->type, g->value, &dn, budget, sub, sizeof(sub));
        mote_x509_name_clear(&dn);
        if (rc) {
            x509_why(why, wn, "subjectAltName entry %zu: %s", i + 1, sub);
            return -1;
        }
    }
    return 0;
}

/* ---- whole-path checks --------------------------------------------------- */

/* path[0] is the peer, path[n-1] the trust anchor. */
static int check_path(struct vctx *v)
{
    size_t n = v->len;
    mote_x509_cert *const *p = v->path;
    /* Path length (6.1.4 (l), (m)), processing from the anchor down. */
    int max = -1; /* -1: unbounded */
    if (p[n - 1]->x.pathlen >= 0)
        max = p[n - 1]->x.pathlen;
    for (size_t i = n - 1; i-- > 1;) {
        const mote_x509_cert *c = p[i];
        if (!c->self_issued) {
            if (max == 0) {
                fail(v, n, MOTE_X509_CHECK_PATH_LENGTH, (int)i, c,
                     "path length constraint of an issuer exceeded (RFC 5280 6.1.4 (l))");
                return -1;
            }
            if (max > 0)
                max--;
        }
        if (c->x.pathlen >= 0 && (max < 0 || c->x.pathlen < max))
            max = c->x.pathlen;
    }
    /* Name constraints: each CA's constraints apply to every certificate
     * below it, except self-issued ones that are not the peer (6.1.3 (b)). */
    for (size_t i = n; i-- > 1;) {
        const mote_x509_cert *ca = p[i];
        if (!HAS(ca, MOTE_X509_EXT_NAME_CONSTRAINTS))
            continue;
        for (size_t j = i; j-- > 0;) {
            const mote_x509_cert *c = p[j];
            if (j != 0 && c->self_issued)
                continue;
            char why[200];
            if (nc_cert(ca, c, &v->nc_budget, why, sizeof(why)) != 0) {
                fail(v, n, MOTE_X509_CHECK_NAME_CONSTRAINTS, (int)j, c,
                     "%s (name constraints of depth %zu)", why, i);
                return -1;
            }
        }
    }
    /* Policies (6.1.3 (d)-(f), 6.1.4 (a)-(j), 6.1.5). */
    int fd = 0;
    char why[200];
    if (x509_policy_check(p, n, v->o, &fd, why, sizeof(why)) != 0) {
        fail(v, n, MOTE_X509_CHECK_POLICY, fd, p[fd], "%s", why);
        return -1;
    }
    return 0;
}

/* ---- path building ------------------------------------------------------- */

static int in_path(const struct vctx *v, const mote_x509_cert *x)
{
    for (size_t i = 0; i < v->len; i++) {
        const mote_x509_cert *c = v->path[i];
        if (c == x || mote_slice_eq(mote_x509_cert_der(c), mote_x509_cert_der(x)))
            return 1;
        /* The same subject and key twice is a loop as well. */
        if (mote_slice_eq(c->subject_canon, x->subject_canon) && mote_slice_eq(c->spki, x->spki))
            return 1;
    }
    return 0;
}

static int intermediates_in_path(const struct vctx *v)
{
    int k = 0;
    for (size_t i = 1; i < v->len; i++)
        if (!v->path[i]->self_issued)
            k++;
    return k;
}

static int extend(struct vctx *v);

/* Tries x as the issuer of the last certificate of the path. 1 when a valid
 * path was completed, 0 to keep searching, <0 to stop (limit, memory). */
static int try_issuer(struct vctx *v, mote_x509_cert *x, int anchor)
{
    mote_x509_cert *c = v->path[v->len - 1];
    int depth = (int)v->len;
    size_t progress = v->len + 1;
    if (!mote_slice_eq(x->subject_canon, c->issuer_canon))
        return 0;
    if (v->work >= MOTE_X509_MAX_WORK) {
        v->limit_hit = 1;
        return MOTE_ELIMIT;
    }
    v->work++;
    /* Key identifiers, when both are present, must agree. */
    if (c->x.aki_key_id.len && x->x.ski.len && !mote_slice_eq(c->x.aki_key_id, x->x.ski)) {
        fail(v, v->len, MOTE_X509_CHECK_NO_PATH, depth - 1, c,
             "authorityKeyIdentifier does not match the subjectKeyIdentifier of the %s named "
             "as its issuer",
             anchor ? "trust anchor" : "intermediate");
        return 0;
    }
    if (in_path(v, x)) {
        fail(v, v->len, MOTE_X509_CHECK_NO_PATH, depth - 1, c, "%s",
             x == c || mote_slice_eq(mote_x509_cert_der(x), mote_x509_cert_der(c))
                 ? "self-signed, and not a trust anchor"
                 : "its only issuers lead back into the path (a loop)");
        return 0;
    }
    if (v->len + 1 > MOTE_X509_MAX_DEPTH) {
        fail(v, progress, MOTE_X509_CHECK_LIMIT, depth, x, "path longer than %d certificates",
             MOTE_X509_MAX_DEPTH);
        return 0;
    }
    if (check_role(v, x, anchor ? ROLE_ANCHOR : ROLE_CA, depth, progress) != 0)
        return 0;
    if (check_validity(v, x, depth, progress) != 0)
        return 0;
    if (v->o->max_intermediates >= 0 && !anchor && !x->self_issued &&
        intermediates_in_path(v) + 1 > v->o->max_intermediates) {
        fail(v, progress, MOTE_X509_CHECK_CHAIN_DEPTH, depth, x, "more than %d intermediates",
             v->o->max_intermediates);
        return 0;
    }
    if (v->o->n_sig_algs) {
        size_t k = 0;
        while (k < v->o->n_sig_algs && v->o->sig_algs[k] != c->sig_alg)
            k++;
        if (k == v->o->n_sig_algs) {
            fail(v, progress, MOTE_X509_CHECK_ALGORITHM, depth - 1, c,
                 "signature algorithm %s not among those allowed",
                 mote_x509_sig_alg_name(c->sig_alg));
            return 0;
        }
    }
    int rc = 1;
    for (size_t i = 0; i < v->n_memo; i++)
        if (v->memo[i].child == c && v->memo[i].issuer == x)
            rc = v->memo[i].rc;
    if (rc == 1) {
        if (v->sigs >= MOTE_X509_MAX_SIGNATURES) {
            v->limit_hit = 1;
            return MOTE_ELIMIT;
        }
        v->sigs++;
        rc = mote_x509_cert_check_signature(c, x);
        v->memo[v->n_memo].child = c;
        v->memo[v->n_memo].issuer = x;
        v->memo[v->n_memo].rc = rc;
        v->n_memo++;
    }
    if (rc != 0) {
        mote_x509_check chk =
            rc == MOTE_EVERIFY ? MOTE_X509_CHECK_SIGNATURE : MOTE_X509_CHECK_ALGORITHM;
        fail(v, progress, chk, depth - 1, c, "signature by the issuer at depth %d: %s (%s)", depth,
             rc == MOTE_EVERIFY ? "does not verify" : "cannot be checked",
             rc == MOTE_EUNSUPPORTED ? mote_x509_sig_alg_name(c->sig_alg) : mote_strerror(rc));
        return 0;
    }
    v->path[v->len++] = x;
    if (anchor) {
        if (check_path(v) == 0)
            return 1;
        v->len--;
        return 0;
    }
    rc = extend(v);
    if (rc != 0)
        return rc;
    v->len--;
    return 0;
}

static int extend(struct vctx *v)
{
    mote_x509_cert *c = v->path[v->len - 1];
    size_t before_work = v->work;
    /* Trust anchors first, preferring a key identifier match. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < mote_x509_store_count(v->trust); i++) {
            mote_x509_cert *x = mote_x509_store_get(v->trust, i);
            int kid = c->x.aki_key_id.len && x->x.ski.len;
            if ((pass == 0) != (kid != 0))
                continue;
            int rc = try_issuer(v, x, 1);
            if (rc != 0)
                return rc;
        }
    }
    for (size_t i = 0; i < v->n_untrusted; i++) {
        mote_x509_cert *x = v->untrusted[i];
        if (!x)
            continue;
        int rc = try_issuer(v, x, 0);
        if (rc != 0)
            return rc;
    }
    if (v->work == before_work) {
        mote_buf iss;
        mote_buf_init(&iss, 4096);
        mote_x509_name_print(&c->issuer, &iss);
        if (iss.len > 100) {
            iss.len = 100;
            iss.data[100] = 0;
        }
        if (c->self_issued)
            fail(v, v->len, MOTE_X509_CHECK_NO_PATH, (int)v->len - 1, c,
                 "self-signed, and not a trust anchor");
        else
            fail(v, v->len, MOTE_X509_CHECK_NO_PATH, (int)v->len - 1, c,
                 "no trusted or intermediate issuer named %s", iss.data ? (char *)iss.data : "");
        mote_buf_free(&iss);
    }
    return 0;
}

void mote_x509_verify_opts_init(mote_x509_verify_opts *o, mote_time now)
{
    memset(o, 0, sizeof(*o));
    o->now = now;
    o->profile = MOTE_X509_PROFILE_WEBPKI;
    o->max_intermediates = -1;
}

void mote_x509_verify_result_clear(mote_x509_verify_result *res)
{
    if (res)
        mote_x509_certs_clear(&res->chain);
}

static int check_leaf(struct vctx *v, const mote_x509_cert *c)
{
    const mote_x509_verify_opts *o = v->o;
    if (check_role(v, c, ROLE_LEAF, 0, 1) != 0)
        return -1;
    if (check_validity(v, c, 0, 1) != 0)
        return -1;
    if (!o->any_eku) {
        /* The subscriber profile (BR 7.1.2.7) is for certificates that are
         * not CAs; a CA certificate as the peer is judged by RFC 5280. */
        if (v->webpki && !c->x.ca) {
            if (!HAS(c, MOTE_X509_EXT_EXT_KEY_USAGE)) {
                fail(v, 1, MOTE_X509_CHECK_EXT_KEY_USAGE, 0, c, "no extKeyUsage (BR 7.1.2.7.10)");
                return -1;
            }
            if (CRIT(c, MOTE_X509_EXT_EXT_KEY_USAGE)) {
                fail(v, 1, MOTE_X509_CHECK_EXT_KEY_USAGE, 0, c,
                     "critical extKeyUsage (BR 7.1.2.7.6)");
                return -1;
            }
            if (has_eku(c, v->any_eku)) {
                fail(v, 1, MOTE_X509_CHECK_EXT_KEY_USAGE, 0, c,
                     "anyExtendedKeyUsage in a subscriber certificate (BR 7.1.2.7.10)");
                return -1;
            }
        }
        if (HAS(c, MOTE_X509_EXT_EXT_KEY_USAGE) && !eku_allows(v, c, !v->webpki)) {
            fail(v, 1, MOTE_X509_CHECK_EXT_KEY_USAGE, 0, c,
                 "extKeyUsage does not allow the purpose (RFC 5280 4.2.1.12)");
            return -1;
        }
    }
    if (o->key_usage && HAS(c, MOTE_X509_EXT_KEY_USAGE) &&
        (c->x.key_usage & o->key_usage) != o->key_usage) {
        fail(v, 1, MOTE_X509_CHECK_KEY_USAGE, 0, c, "keyUsage lacks the required bits");
        return -1;
    }
    if (v->webpki && !HAS(c, MOTE_X509_EXT_SUBJECT_ALT_NAME)) {
        fail(v, 1, MOTE_X509_CHECK_PEER_NAME, 0, c,
             "no subjectAltName (BR 7.1.2.7.12; no common-name fallback)");
        return -1;
    }
    if (o->dns_name) {
        int m = mote_x509_match_dns(c, o->dns_name);
        if (m != 1) {
            fail(v, 1, MOTE_X509_CHECK_PEER_NAME, 0, c, "%s \"%s\"",
                 m < 0 ? "invalid reference name" : "no subjectAltName dNSName matches",
                 o->dns_name);
            return -1;
        }
    }
    if (o->email) {
        int m = mote_x509_match_email(c, o->email);
        if (m != 1) {
            fail(v, 1, MOTE_X509_CHECK_PEER_NAME, 0, c, "%s \"%s\"",
                 m < 0 ? "invalid reference mailbox" : "no subjectAltName rfc822Name matches",
                 o->email);
            return -1;
        }
    }
    if (o->ip) {
        int m = mote_x509_match_ip(c, o->ip, o->ip_len);
        if (m != 1) {
            fail(v, 1, MOTE_X509_CHECK_PEER_NAME, 0, c,
                 m < 0 ? "invalid reference address" : "no subjectAltName iPAddress matches");
            return -1;
        }
    }
    return 0;
}

int mote_x509_verify(const mote_x509_store *trust, mote_x509_cert *peer,
                     mote_x509_cert *const *untrusted, size_t n_untrusted,
                     const mote_x509_verify_opts *opts, mote_x509_verify_result *res)
{
    if (!res)
        return MOTE_EINVAL;
    memset(res, 0, sizeof(*res));
    res->depth = -1;
    if (!trust || !peer || !opts || (n_untrusted && !untrusted)) {
        res->err = MOTE_EINVAL;
        return MOTE_EINVAL;
    }
    struct vctx *v = calloc(1, sizeof(*v));
    if (!v) {
        res->err = MOTE_ENOMEM;
        return MOTE_ENOMEM;
    }
    v->trust = trust;
    v->untrusted = untrusted;
    v->n_untrusted = n_untrusted;
    v->o = opts;
    v->webpki = opts->profile != MOTE_X509_PROFILE_RFC5280;
    v->server_auth = mote_asn1_oid_bytes(MOTE_ASN1_OID_KP_SERVER_AUTH);
    v->any_eku = mote_asn1_oid_bytes(MOTE_ASN1_OID_ANY_EXTENDED_KEY_USAGE);
    v->path[0] = peer;
    v->len = 1;
    v->nc_budget = NC_BUDGET;
    int rc = MOTE_EVERIFY;
    if (check_leaf(v, peer) == 0) {
        /* A peer that is itself in the trust store (a pinned self-signed
         * server certificate, say) is trusted directly: the path is just
         * the peer, checked as above. */
        int r = 0;
        for (size_t i = 0; i < mote_x509_store_count(trust) && r == 0; i++)
            if (mote_slice_eq(mote_x509_cert_der(mote_x509_store_get(trust, i)),
                              mote_x509_cert_der(peer)))
                r = 1;
        if (r == 0)
            r = extend(v);
        if (r == 1)
            rc = 0;
        else if (r < 0)
            rc = r;
    }
    if (rc == 0) {
        for (size_t i = 0; i < v->len && rc == 0; i++)
            rc = mote_x509_certs_push(&res->chain, v->path[i]);
    } else {
        if (v->limit_hit) {
            res->check = MOTE_X509_CHECK_LIMIT;
            snprintf(res->reason, sizeof(res->reason),
                     "path building gave up after %zu candidate issuers and %zu signature checks "
                     "(bounds %d and %d)",
                     v->work, v->sigs, MOTE_X509_MAX_WORK, MOTE_X509_MAX_SIGNATURES);
        } else if (v->have) {
            res->check = v->check;
            res->depth = v->depth;
            memcpy(res->reason, v->reason, sizeof(res->reason));
        } else {
            res->check = MOTE_X509_CHECK_NO_PATH;
            snprintf(res->reason, sizeof(res->reason), "no path to a trust anchor");
        }
    }
    res->work = v->work;
    res->err = rc;
    free(v);
    return rc;
}
