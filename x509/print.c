/*
 * print.c - a text dump of a certificate, laid out like `openssl x509 -text`.
 */
#include <stdio.h>
#include <string.h>

#include "x509_internal.h"

const char *x509_ext_name(int id);

static int hexbytes(mote_buf *o, mote_slice s, const char *indent, size_t per_line)
{
    int rc = 0;
    for (size_t i = 0; i < s.len && rc == 0; i++) {
        if (i % per_line == 0)
            rc = mote_buf_appendf(o, "%s%s", i ? "\n" : "", indent);
        if (rc == 0)
            rc = mote_buf_appendf(o, "%02x%s", s.ptr[i], i + 1 < s.len ? ":" : "");
    }
    if (rc == 0)
        rc = mote_buf_appendf(o, "\n");
    return rc;
}

static void oid_text(mote_slice oid, char *out, size_t n)
{
    mote_asn1_oid_id id = mote_asn1_oid_lookup(oid);
    const char *name = id ? mote_asn1_oid_name(id) : NULL;
    if (name)
        snprintf(out, n, "%s", name);
    else if (mote_asn1_oid_to_text(oid, out, n) != 0)
        snprintf(out, n, "?");
}

static int print_gn(mote_buf *o, const mote_x509_general_name *g)
{
    switch (g->type) {
    case MOTE_X509_GN_DNS:
        return mote_buf_appendf(o, "DNS:%.*s", (int)g->value.len, (const char *)g->value.ptr);
    case MOTE_X509_GN_EMAIL:
        return mote_buf_appendf(o, "email:%.*s", (int)g->value.len, (const char *)g->value.ptr);
    case MOTE_X509_GN_URI:
        return mote_buf_appendf(o, "URI:%.*s", (int)g->value.len, (const char *)g->value.ptr);
    case MOTE_X509_GN_IP: {
        const uint8_t *p = g->value.ptr;
        if (g->value.len == 4)
            return mote_buf_appendf(o, "IP Address:%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
        if (g->value.len == 8)
            return mote_buf_appendf(o, "IP:%u.%u.%u.%u/%u.%u.%u.%u", p[0], p[1], p[2], p[3], p[4],
                                    p[5], p[6], p[7]);
        int rc = mote_buf_appendf(o, "IP Address:");
        for (size_t i = 0; i < g->value.len && rc == 0; i += 2)
            rc = mote_buf_appendf(o, "%s%X", i ? ":" : "",
                                  (unsigned)(p[i] << 8 | (i + 1 < g->value.len ? p[i + 1] : 0)));
        return rc;
    }
    case MOTE_X509_GN_DIRNAME: {
        mote_x509_name n;
        int rc = mote_buf_appendf(o, "DirName:");
        if (rc == 0 && mote_x509_name_parse(g->value, &n) == 0) {
            rc = mote_x509_name_print(&n, o);
            mote_x509_name_clear(&n);
        }
        return rc;
    }
    case MOTE_X509_GN_RID: {
        char t[MOTE_ASN1_OID_TEXT_MAX];
        oid_text(g->value, t, sizeof(t));
        return mote_buf_appendf(o, "Registered ID:%s", t);
    }
    case MOTE_X509_GN_OTHER: {
        char t[MOTE_ASN1_OID_TEXT_MAX];
        oid_text(g->type_id, t, sizeof(t));
        return mote_buf_appendf(o, "othername:%s", t);
    }
    default:
        return mote_buf_appendf(o, "<name form %d>", (int)g->type);
    }
}

static int print_gns(mote_buf *o, const mote_x509_general_names *l)
{
    int rc = mote_buf_appendf(o, "                ");
    for (size_t i = 0; i < l->n && rc == 0; i++) {
        if (i)
            rc = mote_buf_appendf(o, ", ");
        if (rc == 0)
            rc = print_gn(o, &l->v[i]);
    }
    if (rc == 0)
        rc = mote_buf_appendf(o, "\n");
    return rc;
}

static int print_time(mote_buf *o, const char *label, mote_time t)
{
    char s[32];
    if (mote_time_format_rfc3339(t.sec, s, sizeof(s)) != 0)
        snprintf(s, sizeof(s), "?");
    return mote_buf_appendf(o, "            %s: %s\n", label, s);
}

static const char *const ku_names[] = {
    "Digital Signature", "Non Repudiation", "Key Encipherment",
    "Data Encipherment", "Key Agreement",   "Certificate Sign",
    "CRL Sign",          "Encipher Only",   "Decipher Only",
};

static int print_ext(mote_buf *o, const mote_x509_cert *c, const mote_x509_ext *e)
{
    const mote_x509_exts *x = &c->x;
    char t[MOTE_ASN1_OID_TEXT_MAX];
    int rc;
    if (e->known >= 0)
        rc = mote_buf_appendf(o, "            X509v3 %s:%s\n", x509_ext_name(e->known),
                              e->critical ? " critical" : "");
    else {
        oid_text(e->oid, t, sizeof(t));
        rc = mote_buf_appendf(o, "            %s:%s\n", t, e->critical ? " critical" : "");
    }
    if (rc)
        return rc;
    switch (e->known) {
    case MOTE_X509_EXT_BASIC_CONSTRAINTS:
        if (x->pathlen >= 0)
            return mote_buf_appendf(o, "                CA:%s, pathlen:%d\n",
                                    x->ca ? "TRUE" : "FALSE", x->pathlen);
        return mote_buf_appendf(o, "                CA:%s\n", x->ca ? "TRUE" : "FALSE");
    case MOTE_X509_EXT_KEY_USAGE: {
        rc = mote_buf_appendf(o, "                ");
        int first = 1;
        for (int b = 0; b < 9 && rc == 0; b++)
            if (x->key_usage & (1u << b)) {
                rc = mote_buf_appendf(o, "%s%s", first ? "" : ", ", ku_names[b]);
                first = 0;
            }
        return rc ? rc : mote_buf_appendf(o, "\n");
    }
    case MOTE_X509_EXT_EXT_KEY_USAGE:
        rc = mote_buf_appendf(o, "                ");
        for (size_t i = 0; i < x->n_eku && rc == 0; i++) {
            oid_text(x->eku[i], t, sizeof(t));
            rc = mote_buf_appendf(o, "%s%s", i ? ", " : "", t);
        }
        return rc ? rc : mote_buf_appendf(o, "\n");
    case MOTE_X509_EXT_SUBJECT_ALT_NAME:
        return print_gns(o, &x->san);
    case MOTE_X509_EXT_ISSUER_ALT_NAME:
        return print_gns(o, &x->ian);
    case MOTE_X509_EXT_SUBJECT_KEY_ID:
        return hexbytes(o, x->ski, "                ", 32);
    case MOTE_X509_EXT_AUTHORITY_KEY_ID:
        if (x->aki_key_id.len)
            rc = hexbytes(o, x->aki_key_id, "                ", 32);
        if (rc == 0 && x->aki_has_issuer)
            rc = print_gns(o, &x->aki_issuer);
        return rc;
    case MOTE_X509_EXT_NAME_CONSTRAINTS:
        if (x->has_permitted) {
            rc = mote_buf_appendf(o, "                Permitted:\n");
            for (size_t i = 0; i < x->permitted.n && rc == 0; i++) {
                rc = mote_buf_appendf(o, "                  ");
                if (rc == 0)
                    rc = print_gn(o, &x->permitted.v[i]);
                if (rc == 0)
                    rc = mote_buf_appendf(o, "\n");
            }
        }
        if (rc == 0 && x->has_excluded) {
            rc = mote_buf_appendf(o, "                Excluded:\n");
            for (size_t i = 0; i < x->excluded.n && rc == 0; i++) {
                rc = mote_buf_appendf(o, "                  ");
                if (rc == 0)
                    rc = print_gn(o, &x->excluded.v[i]);
                if (rc == 0)
                    rc = mote_buf_appendf(o, "\n");
            }
        }
        return rc;
    case MOTE_X509_EXT_CERTIFICATE_POLICIES:
        for (size_t i = 0; i < x->n_policies && rc == 0; i++) {
            oid_text(x->policies[i].oid, t, sizeof(t));
            rc = mote_buf_appendf(o, "                Policy: %s\n", t);
        }
        return rc;
    case MOTE_X509_EXT_AUTHORITY_INFO_ACCESS:
        for (size_t i = 0; i < x->n_aia && rc == 0; i++) {
            oid_text(x->aia[i].method, t, sizeof(t));
            rc = mote_buf_appendf(o, "                %s - ", t);
            if (rc == 0)
                rc = print_gn(o, &x->aia[i].location);
            if (rc == 0)
                rc = mote_buf_appendf(o, "\n");
        }
        return rc;
    case MOTE_X509_EXT_CRL_DISTRIBUTION_POINTS:
        for (size_t i = 0; i < x->crl_dp.n && rc == 0; i++) {
            rc = mote_buf_appendf(o, "                Full Name: ");
            if (rc == 0)
                rc = print_gn(o, &x->crl_dp.v[i]);
            if (rc == 0)
                rc = mote_buf_appendf(o, "\n");
        }
        return rc;
    case MOTE_X509_EXT_INHIBIT_ANY_POLICY:
        return mote_buf_appendf(o, "                %d\n", x->inhibit_any_policy);
    default:
        return hexbytes(o, e->value, "                ", 16);
    }
}

int mote_x509_cert_print(const mote_x509_cert *c, mote_buf *o)
{
    int rc = mote_buf_appendf(o, "Certificate:\n    Data:\n        Version: %d (0x%x)\n",
                              c->version, c->version - 1);
    if (rc == 0)
        rc = mote_buf_appendf(o, "        Serial Number:\n");
    if (rc == 0)
        rc = hexbytes(o, c->serial, "            ", 32);
    if (rc == 0)
        rc = mote_buf_appendf(o, "        Signature Algorithm: %s\n        Issuer: ",
                              mote_x509_sig_alg_name(c->sig_alg));
    if (rc == 0)
        rc = mote_x509_name_print(&c->issuer, o);
    if (rc == 0)
        rc = mote_buf_appendf(o, "\n        Validity\n");
    if (rc == 0)
        rc = print_time(o, "Not Before", c->not_before);
    if (rc == 0)
        rc = print_time(o, "Not After ", c->not_after);
    if (rc == 0)
        rc = mote_buf_appendf(o, "        Subject: ");
    if (rc == 0)
        rc = mote_x509_name_print(&c->subject, o);
    if (rc == 0)
        rc = mote_buf_appendf(o,
                              "\n        Subject Public Key Info:\n"
                              "            Public Key Algorithm: %s\n",
                              mote_x509_key_alg_name(c->key_alg));
    if (rc == 0) {
        int err = 0;
        mote_crypto_pubkey *k = mote_crypto_pubkey_from_spki(c->spki.ptr, c->spki.len, &err);
        if (k)
            rc = mote_buf_appendf(o, "                Public-Key: (%u bit)\n",
                                  mote_crypto_pubkey_bits(k));
        mote_crypto_pubkey_free(k);
    }
    if (rc == 0)
        rc = hexbytes(o, c->pubkey, "                ", 15);
    if (rc == 0 && c->n_exts)
        rc = mote_buf_appendf(o, "        X509v3 extensions:\n");
    for (size_t i = 0; i < c->n_exts && rc == 0; i++)
        rc = print_ext(o, c, &c->exts[i]);
    if (rc == 0)
        rc = mote_buf_appendf(o, "    Signature Algorithm: %s\n    Signature Value:\n",
                              mote_x509_sig_alg_name(c->sig_alg));
    if (rc == 0)
        rc = hexbytes(o, c->signature, "        ", 18);
    return rc;
}
