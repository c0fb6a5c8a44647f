/* test_x509.c - libmote-x509: parsing, names, peer names, generation, path
 * building and validation, trust stores, hostile input. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/asn1_pem.h"
#include "mote/sim.h"
#include "mote/x509.h"

#define T0 1800000000 /* 2027-01-15 */

/* A small PKI made with the builder: a root, an intermediate, a leaf. */
struct pki {
    mote_seeded_rng rng;
    mote_crypto_privkey *root_key, *int_key, *leaf_key;
    mote_x509_cert *root, *inter, *leaf;
};

static mote_crypto_privkey *genkey(struct pki *p)
{
    int err = 0;
    mote_crypto_privkey *k =
        mote_crypto_privkey_generate(MOTE_CRYPTO_KEY_P256, 0, &p->rng.rng, &err);
    ck_assert_msg(k != NULL, "keygen: %s", mote_strerror(err));
    return k;
}

typedef void (*tweak_fn)(mote_x509_builder *b);

static mote_x509_cert *make_cert(struct pki *p, const char *subject, mote_crypto_privkey *key,
                                 mote_crypto_privkey *ikey, mote_x509_cert *issuer, tweak_fn t)
{
    int err = 0;
    mote_x509_builder *b = mote_x509_builder_new(&err);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(mote_x509_builder_set_subject(b, subject), 0);
    ck_assert_int_eq(mote_x509_builder_set_validity(b, (mote_time){T0 - 86400, 0},
                                                    (mote_time){T0 + 86400 * 30, 0}),
                     0);
    if (t)
        t(b);
    mote_crypto_pubkey *pub = mote_crypto_privkey_public(key, &err);
    ck_assert_ptr_nonnull(pub);
    mote_buf der;
    mote_buf_init(&der, 0);
    ck_assert_int_eq(
        mote_x509_builder_sign(b, pub, ikey, issuer, &p->rng.rng, (mote_time){T0, 0}, &der), 0);
    char why[256];
    mote_x509_cert *c = mote_x509_cert_parse(der.data, der.len, &err, why, sizeof(why));
    ck_assert_msg(c != NULL, "parse: %s", why);
    mote_buf_free(&der);
    mote_crypto_pubkey_free(pub);
    mote_x509_builder_free(b);
    return c;
}

static void tw_ca(mote_x509_builder *b)
{
    ck_assert_int_eq(mote_x509_builder_set_ca(b, true, -1), 0);
}
static void tw_ca0(mote_x509_builder *b)
{
    ck_assert_int_eq(mote_x509_builder_set_ca(b, true, 0), 0);
}
static void tw_leaf(mote_x509_builder *b)
{
    ck_assert_int_eq(mote_x509_builder_add_dns(b, "www.example.com"), 0);
    ck_assert_int_eq(mote_x509_builder_add_dns(b, "*.api.example.com"), 0);
    ck_assert_int_eq(mote_x509_builder_add_ip(b, "192.0.2.7"), 0);
    ck_assert_int_eq(mote_x509_builder_add_ip(b, "2001:db8::1"), 0);
    ck_assert_int_eq(mote_x509_builder_add_eku(b, MOTE_ASN1_OID_KP_SERVER_AUTH), 0);
}

static void pki_init(struct pki *p, tweak_fn root_t, tweak_fn int_t, tweak_fn leaf_t)
{
    memset(p, 0, sizeof(*p));
    mote_seeded_rng_init(&p->rng, 42);
    p->root_key = genkey(p);
    p->int_key = genkey(p);
    p->leaf_key = genkey(p);
    p->root = make_cert(p, "CN=Test Root,O=mote", p->root_key, p->root_key, NULL,
                        root_t ? root_t : tw_ca);
    p->inter = make_cert(p, "CN=Test Intermediate,O=mote", p->int_key, p->root_key, p->root,
                         int_t ? int_t : tw_ca0);
    p->leaf = make_cert(p, "CN=www.example.com", p->leaf_key, p->int_key, p->inter,
                        leaf_t ? leaf_t : tw_leaf);
}

static void pki_free(struct pki *p)
{
    mote_x509_cert_free(p->root);
    mote_x509_cert_free(p->inter);
    mote_x509_cert_free(p->leaf);
    mote_crypto_privkey_free(p->root_key);
    mote_crypto_privkey_free(p->int_key);
    mote_crypto_privkey_free(p->leaf_key);
}

static int verify(struct pki *p, const mote_x509_verify_opts *o, mote_x509_verify_result *res)
{
    int err = 0;
    mote_x509_store *s = mote_x509_store_new(&err);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(mote_x509_store_add(s, p->root), 0);
    mote_x509_cert *inter[1] = {p->inter};
    int rc = mote_x509_verify(s, p->leaf, inter, 1, o, res);
    mote_x509_store_free(s);
    return rc;
}

START_TEST(test_generated_chain_verifies)
{
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    mote_x509_verify_opts o;
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    o.dns_name = "www.example.com";
    mote_x509_verify_result res;
    ck_assert_msg(verify(&p, &o, &res) == 0, "%s", res.reason);
    ck_assert_int_eq(res.chain.n, 3);
    ck_assert_ptr_eq(res.chain.v[0], p.leaf);
    ck_assert_ptr_eq(res.chain.v[2], p.root);
    mote_x509_verify_result_clear(&res);

    /* accessors */
    ck_assert_int_eq(mote_x509_cert_version(p.leaf), 3);
    ck_assert_int_eq(mote_x509_cert_sig_alg(p.leaf), MOTE_X509_SIG_ECDSA_SHA256);
    ck_assert_int_eq(mote_x509_cert_key_alg(p.leaf), MOTE_X509_KEY_EC_P256);
    ck_assert(mote_asn1_oid_is(mote_x509_cert_key_alg_oid(p.leaf), MOTE_ASN1_OID_EC_PUBLIC_KEY));
    ck_assert(mote_asn1_oid_is(mote_x509_cert_key_alg_params(p.leaf).value, MOTE_ASN1_OID_P256));
    ck_assert_int_eq(mote_x509_cert_sig_alg_params(p.leaf).tag, 0);
    ck_assert(
        mote_asn1_oid_is(mote_x509_cert_sig_alg_oid(p.leaf), MOTE_ASN1_OID_ECDSA_WITH_SHA256));
    ck_assert_int_eq(mote_x509_cert_serial(p.leaf).len, 16);
    ck_assert_int_eq(mote_x509_cert_not_after(p.leaf).sec, T0 + 86400 * 30);
    const mote_x509_exts *x = mote_x509_cert_exts(p.leaf);
    ck_assert_int_eq(x->san.n, 4);
    ck_assert(!x->ca);
    ck_assert_int_eq(mote_x509_cert_exts(p.inter)->pathlen, 0);
    ck_assert(mote_x509_cert_self_issued(p.root));
    ck_assert(!mote_x509_cert_self_issued(p.leaf));
    ck_assert(mote_slice_eq(x->aki_key_id, mote_x509_cert_exts(p.inter)->ski));
    ck_assert_int_eq(mote_x509_cert_check_signature(p.leaf, p.inter), 0);
    ck_assert_int_eq(mote_x509_cert_check_signature(p.leaf, p.root), MOTE_EVERIFY);
    mote_buf out;
    mote_buf_init(&out, 0);
    ck_assert_int_eq(mote_x509_cert_print(p.leaf, &out), 0);
    ck_assert_ptr_nonnull(strstr((char *)out.data, "DNS:www.example.com"));
    ck_assert_ptr_nonnull(strstr((char *)out.data, "IP Address:192.0.2.7"));
    mote_buf_free(&out);
    pki_free(&p);
}
END_TEST

START_TEST(test_verify_failures_name_depth)
{
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    mote_x509_verify_opts o;
    mote_x509_verify_result res;

    /* wrong name */
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    o.dns_name = "other.example.com";
    ck_assert_int_eq(verify(&p, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_PEER_NAME);
    ck_assert_int_eq(res.depth, 0);
    mote_x509_verify_result_clear(&res);

    /* expired (every certificate; the peer is reported) */
    mote_x509_verify_opts_init(&o, (mote_time){T0 + 86400 * 60, 0});
    ck_assert_int_eq(verify(&p, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_VALIDITY);
    ck_assert_int_eq(res.depth, 0);
    ck_assert_ptr_nonnull(strstr(res.reason, "expired"));
    mote_x509_verify_result_clear(&res);

    /* not yet valid */
    mote_x509_verify_opts_init(&o, (mote_time){T0 - 86400 * 2, 0});
    ck_assert_int_eq(verify(&p, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_VALIDITY);
    mote_x509_verify_result_clear(&res);

    /* wildcard and IP names */
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    o.dns_name = "v1.api.example.com";
    ck_assert_int_eq(verify(&p, &o, &res), 0);
    mote_x509_verify_result_clear(&res);
    o.dns_name = "a.v1.api.example.com";
    ck_assert_int_eq(verify(&p, &o, &res), MOTE_EVERIFY);
    mote_x509_verify_result_clear(&res);
    o.dns_name = NULL;
    uint8_t ip[16];
    ck_assert_int_eq(mote_x509_parse_ip("2001:db8::1", ip, &o.ip_len), 0);
    o.ip = ip;
    ck_assert_int_eq(verify(&p, &o, &res), 0);
    mote_x509_verify_result_clear(&res);
    ck_assert_int_eq(mote_x509_parse_ip("192.0.2.8", ip, &o.ip_len), 0);
    ck_assert_int_eq(verify(&p, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_PEER_NAME);
    mote_x509_verify_result_clear(&res);

    /* signature algorithm allow-list */
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    mote_x509_sig_alg only_rsa = MOTE_X509_SIG_RSA_PKCS1_SHA256;
    o.sig_algs = &only_rsa;
    o.n_sig_algs = 1;
    ck_assert_int_eq(verify(&p, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_ALGORITHM);
    mote_x509_verify_result_clear(&res);
    mote_x509_sig_alg ec = MOTE_X509_SIG_ECDSA_SHA256;
    o.sig_algs = &ec;
    ck_assert_int_eq(verify(&p, &o, &res), 0);
    mote_x509_verify_result_clear(&res);

    /* wrong purpose */
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    mote_slice client = mote_asn1_oid_bytes(MOTE_ASN1_OID_KP_CLIENT_AUTH);
    o.ekus = &client;
    o.n_ekus = 1;
    ck_assert_int_eq(verify(&p, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_EXT_KEY_USAGE);
    mote_x509_verify_result_clear(&res);

    /* no intermediate given: no path, reported at depth 0 */
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    int err = 0;
    mote_x509_store *s = mote_x509_store_new(&err);
    mote_x509_store_add(s, p.root);
    ck_assert_int_eq(mote_x509_verify(s, p.leaf, NULL, 0, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_NO_PATH);
    ck_assert_int_eq(res.depth, 0);
    mote_x509_verify_result_clear(&res);
    /* max_intermediates 0 */
    o.max_intermediates = 0;
    mote_x509_cert *inter[1] = {p.inter};
    ck_assert_int_eq(mote_x509_verify(s, p.leaf, inter, 1, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_CHAIN_DEPTH);
    mote_x509_verify_result_clear(&res);
    mote_x509_store_free(s);
    pki_free(&p);
}
END_TEST

/* root -> I1 (pathlen 0) -> I2 -> leaf violates the path length. */
START_TEST(test_pathlen)
{
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    mote_crypto_privkey *k2 = genkey(&p);
    mote_x509_cert *i2 = make_cert(&p, "CN=Second,O=mote", k2, p.int_key, p.inter, tw_ca);
    mote_x509_cert *leaf = make_cert(&p, "CN=www.example.com", p.leaf_key, k2, i2, tw_leaf);
    int err = 0;
    mote_x509_store *s = mote_x509_store_new(&err);
    mote_x509_store_add(s, p.root);
    mote_x509_cert *inter[2] = {i2, p.inter};
    mote_x509_verify_opts o;
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    mote_x509_verify_result res;
    ck_assert_int_eq(mote_x509_verify(s, leaf, inter, 2, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_PATH_LENGTH);
    ck_assert_int_eq(res.depth, 1);
    mote_x509_verify_result_clear(&res);
    mote_x509_store_free(s);
    mote_x509_cert_free(i2);
    mote_x509_cert_free(leaf);
    mote_crypto_privkey_free(k2);
    pki_free(&p);
}
END_TEST

static void tw_nc(mote_x509_builder *b)
{
    ck_assert_int_eq(mote_x509_builder_set_ca(b, true, -1), 0);
    ck_assert_int_eq(mote_x509_builder_add_nc_dns(b, "example.com", false), 0);
    ck_assert_int_eq(mote_x509_builder_add_nc_dns(b, "api.example.com", true), 0);
}

START_TEST(test_name_constraints)
{
    struct pki p;
    pki_init(&p, NULL, tw_nc, NULL);
    mote_x509_verify_opts o;
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    mote_x509_verify_result res;
    /* "*.api.example.com" lies under the excluded api.example.com */
    ck_assert_int_eq(verify(&p, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_NAME_CONSTRAINTS);
    ck_assert_int_eq(res.depth, 0);
    mote_x509_verify_result_clear(&res);
    pki_free(&p);
}
END_TEST

START_TEST(test_backtracking_expired_cross_sign)
{
    /* Two certificates for the intermediate's name and key: an expired one
     * and a good one. Path building must skip the first. */
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    int err = 0;
    mote_x509_builder *b = mote_x509_builder_new(&err);
    mote_x509_builder_set_subject(b, "CN=Test Intermediate,O=mote");
    mote_x509_builder_set_validity(b, (mote_time){T0 - 86400 * 10, 0},
                                   (mote_time){T0 - 86400 * 5, 0});
    mote_x509_builder_set_ca(b, true, 0);
    mote_crypto_pubkey *pub = mote_crypto_privkey_public(p.int_key, &err);
    mote_buf der;
    mote_buf_init(&der, 0);
    ck_assert_int_eq(
        mote_x509_builder_sign(b, pub, p.root_key, p.root, &p.rng.rng, (mote_time){T0, 0}, &der),
        0);
    mote_x509_cert *old = mote_x509_cert_parse(der.data, der.len, &err, NULL, 0);
    ck_assert_ptr_nonnull(old);
    mote_x509_store *s = mote_x509_store_new(&err);
    mote_x509_store_add(s, p.root);
    mote_x509_cert *inter[2] = {old, p.inter};
    mote_x509_verify_opts o;
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    mote_x509_verify_result res;
    ck_assert_msg(mote_x509_verify(s, p.leaf, inter, 2, &o, &res) == 0, "%s", res.reason);
    ck_assert_ptr_eq(res.chain.v[1], p.inter);
    mote_x509_verify_result_clear(&res);
    /* Only the expired one: the failure names it (depth 1). */
    ck_assert_int_eq(mote_x509_verify(s, p.leaf, inter, 1, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_VALIDITY);
    ck_assert_int_eq(res.depth, 1);
    mote_x509_verify_result_clear(&res);
    mote_x509_store_free(s);
    mote_x509_cert_free(old);
    mote_buf_free(&der);
    mote_crypto_pubkey_free(pub);
    mote_x509_builder_free(b);
    pki_free(&p);
}
END_TEST

START_TEST(test_names_compare_print)
{
    int err = 0;
    mote_x509_builder *b = mote_x509_builder_new(&err);
    struct pki p;
    memset(&p, 0, sizeof(p));
    mote_seeded_rng_init(&p.rng, 7);
    mote_crypto_privkey *k = genkey(&p);
    mote_x509_cert *a = make_cert(&p, "CN=Foo  Bar ,O=Exa\\,mple,C=US", k, k, NULL, tw_ca);
    mote_x509_cert *c = make_cert(&p, "CN=foo bar,O=EXA\\,MPLE,C=US", k, k, NULL, tw_ca);
    mote_x509_cert *d = make_cert(&p, "CN=foo baz,O=EXA\\,MPLE,C=US", k, k, NULL, tw_ca);
    /* RFC 4518 mapping beyond ASCII: case folding of Latin-1, Greek and
     * Cyrillic letters, other spaces as SPACE, soft hyphens dropped. */
    mote_x509_cert *u1 = make_cert(&p,
                                   "CN=\xc3\x89"
                                   "COLE \xce\x91\xce\x92 \xd0\x96\xc2\xa0x",
                                   k, k, NULL, tw_ca);
    mote_x509_cert *u2 = make_cert(&p,
                                   "CN=\xc3\xa9"
                                   "co\xc2\xad"
                                   "le \xce\xb1\xce\xb2 \xd0\xb6 x",
                                   k, k, NULL, tw_ca);
    mote_x509_cert *u3 = make_cert(&p, "CN=ecole \xce\xb1\xce\xb2 \xd0\xb6 x", k, k, NULL, tw_ca);
    ck_assert(mote_x509_name_equal(mote_x509_cert_subject(u1), mote_x509_cert_subject(u2)));
    ck_assert(!mote_x509_name_equal(mote_x509_cert_subject(u1), mote_x509_cert_subject(u3)));
    mote_x509_cert_free(u1);
    mote_x509_cert_free(u2);
    mote_x509_cert_free(u3);
    ck_assert(mote_x509_name_equal(mote_x509_cert_subject(a), mote_x509_cert_subject(c)));
    ck_assert(!mote_x509_name_equal(mote_x509_cert_subject(a), mote_x509_cert_subject(d)));
    mote_buf out;
    mote_buf_init(&out, 0);
    ck_assert_int_eq(mote_x509_name_print(mote_x509_cert_subject(a), &out), 0);
    ck_assert_str_eq((char *)out.data, "CN=Foo  Bar\\ ,O=Exa\\,mple,C=US");
    mote_buf_free(&out);
    const mote_x509_name *n = mote_x509_cert_subject(a);
    ck_assert_int_eq(n->n_rdns, 3);
    ck_assert(mote_asn1_oid_is(n->avas[0].type, MOTE_ASN1_OID_C));
    ck_assert_int_eq(n->avas[0].str.tag, MOTE_ASN1_PRINTABLE_STRING);
    mote_x509_cert_free(a);
    mote_x509_cert_free(c);
    mote_x509_cert_free(d);
    mote_crypto_privkey_free(k);
    mote_x509_builder_free(b);
    ck_assert_int_eq(mote_x509_builder_set_subject(NULL, NULL) == 0, 0);
}
END_TEST

START_TEST(test_dns_matching)
{
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    ck_assert_int_eq(mote_x509_match_dns(p.leaf, "www.example.com"), 1);
    ck_assert_int_eq(mote_x509_match_dns(p.leaf, "WWW.Example.COM."), 1);
    ck_assert_int_eq(mote_x509_match_dns(p.leaf, "example.com"), 0);
    ck_assert_int_eq(mote_x509_match_dns(p.leaf, "x.api.example.com"), 1);
    ck_assert_int_eq(mote_x509_match_dns(p.leaf, "api.example.com"), 0);
    ck_assert_int_eq(mote_x509_match_dns(p.leaf, "x.y.api.example.com"), 0);
    ck_assert_int_eq(mote_x509_match_dns(p.leaf, "bad..name"), MOTE_EINVAL);
    ck_assert_int_eq(mote_x509_match_dns(p.leaf, "*.api.example.com"), MOTE_EINVAL);
    ck_assert_int_eq(mote_x509_match_email(p.leaf, "nobody@example.com"), 0);
    ck_assert_int_eq(mote_x509_match_email(p.leaf, "not-a-mailbox"), MOTE_EINVAL);
    uint8_t ip[16];
    size_t len;
    ck_assert_int_eq(mote_x509_parse_ip("192.0.2.7", ip, &len), 0);
    ck_assert_int_eq(mote_x509_match_ip(p.leaf, ip, len), 1);
    ck_assert_int_eq(mote_x509_parse_ip("300.1.1.1", ip, &len), MOTE_EINVAL);
    pki_free(&p);
    /* The builder refuses wildcards over a single label. */
    int err = 0;
    mote_x509_builder *b = mote_x509_builder_new(&err);
    ck_assert_int_eq(mote_x509_builder_add_dns(b, "*.com"), MOTE_EINVAL);
    ck_assert_int_eq(mote_x509_builder_add_dns(b, "a*.example.com"), MOTE_EINVAL);
    mote_x509_builder_free(b);
}
END_TEST

START_TEST(test_csr_roundtrip)
{
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    int err = 0;
    mote_x509_builder *b = mote_x509_builder_new(&err);
    mote_x509_builder_set_subject(b, "CN=req.example.com");
    mote_x509_builder_add_dns(b, "req.example.com");
    mote_x509_builder_add_ip(b, "10.0.0.1");
    mote_buf csr;
    mote_buf_init(&csr, 0);
    ck_assert_int_eq(mote_x509_builder_csr(b, p.leaf_key, &p.rng.rng, &csr), 0);
    mote_x509_builder *b2 = mote_x509_builder_new(&err);
    mote_crypto_pubkey *pub = NULL;
    ck_assert_int_eq(mote_x509_builder_from_csr(b2, csr.data, csr.len, &pub), 0);
    ck_assert_ptr_nonnull(pub);
    mote_x509_builder_add_eku(b2, MOTE_ASN1_OID_KP_SERVER_AUTH);
    mote_buf der;
    mote_buf_init(&der, 0);
    ck_assert_int_eq(
        mote_x509_builder_sign(b2, pub, p.int_key, p.inter, &p.rng.rng, (mote_time){T0, 0}, &der),
        0);
    mote_x509_cert *c = mote_x509_cert_parse(der.data, der.len, &err, NULL, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(mote_x509_match_dns(c, "req.example.com"), 1);
    ck_assert_int_eq(mote_x509_cert_exts(c)->san.n, 2);
    /* A tampered request is refused. */
    csr.data[csr.len / 2] ^= 1;
    mote_crypto_pubkey *pub2 = NULL;
    mote_x509_builder *b3 = mote_x509_builder_new(&err);
    ck_assert_int_ne(mote_x509_builder_from_csr(b3, csr.data, csr.len, &pub2), 0);
    ck_assert_ptr_null(pub2);
    mote_x509_builder_free(b3);
    mote_x509_cert_free(c);
    mote_buf_free(&der);
    mote_buf_free(&csr);
    mote_crypto_pubkey_free(pub);
    mote_x509_builder_free(b);
    mote_x509_builder_free(b2);
    pki_free(&p);
}
END_TEST

/* Every truncation and many corruptions of a certificate: a clear error or
 * a parse, never a crash (ASan checks the reads). */
START_TEST(test_hostile_bytes)
{
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    mote_slice der = mote_x509_cert_der(p.leaf);
    uint8_t *buf = malloc(der.len);
    for (size_t n = 0; n < der.len; n++) {
        int err = 0;
        memcpy(buf, der.ptr, n);
        mote_x509_cert *c = mote_x509_cert_parse(buf, n, &err, NULL, 0);
        ck_assert_ptr_null(c);
        ck_assert(err == MOTE_EDECODE || err == MOTE_ELIMIT);
    }
    for (size_t i = 0; i < der.len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            int err = 0;
            memcpy(buf, der.ptr, der.len);
            buf[i] ^= (uint8_t)(1u << bit);
            char why[200];
            mote_x509_cert *c = mote_x509_cert_parse(buf, der.len, &err, why, sizeof(why));
            if (c) {
                /* Parsed: the signature must now fail (or the name moved). */
                mote_x509_cert_free(c);
            } else {
                ck_assert(err == MOTE_EDECODE || err == MOTE_ELIMIT);
                ck_assert(why[0] != 0);
            }
        }
    }
    free(buf);
    pki_free(&p);
}
END_TEST

START_TEST(test_pem_bundle_and_store)
{
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    mote_buf pem;
    mote_buf_init(&pem, 0);
    mote_buf_appendf(&pem, "some text before\n");
    mote_asn1_pem_write(&pem, "CERTIFICATE", mote_x509_cert_der(p.root));
    mote_asn1_pem_write(&pem, "PRIVATE KEY", mote_slice_str("not a certificate"));
    mote_asn1_pem_write(&pem, "CERTIFICATE", mote_x509_cert_der(p.inter));
    mote_asn1_pem_write(&pem, "CERTIFICATE", mote_x509_cert_der(p.root));
    mote_x509_certs l = {0};
    char why[200];
    int prc = mote_x509_certs_parse(&l, pem.data, pem.len, why, sizeof(why));
    ck_assert_msg(prc == 0, "bundle: %s", why);
    ck_assert_int_eq(l.n, 3);
    int err = 0;
    mote_x509_store *s = mote_x509_store_new(&err);
    size_t added = 0, dups = 0, bad = 0;
    ck_assert_int_eq(mote_x509_store_add_pem(s, pem.data, pem.len, &added, &dups, &bad), 0);
    ck_assert_int_eq(added, 2);
    ck_assert_int_eq(dups, 1);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(mote_x509_store_count(s), 2);
    /* A malformed certificate in a bundle fails the bundle parse with a reason. */
    mote_buf bad_pem;
    mote_buf_init(&bad_pem, 0);
    mote_asn1_pem_write(&bad_pem, "CERTIFICATE", mote_slice_str("\x30\x03\x02\x01\x01"));
    ck_assert_int_eq(mote_x509_certs_parse(&l, bad_pem.data, bad_pem.len, why, sizeof(why)),
                     MOTE_EDECODE);
    ck_assert_ptr_nonnull(strstr(why, "PEM block 1"));
    ck_assert_int_eq(l.n, 3);
    mote_buf_free(&bad_pem);
    mote_x509_certs_clear(&l);
    mote_x509_store_free(s);
    mote_buf_free(&pem);
    pki_free(&p);
}
END_TEST

/* A mesh of cross-signed certificates with one name and no way to a trust
 * anchor: path building stops at its bounds, quickly, with a reason. */
START_TEST(test_cross_sign_mesh_bounded)
{
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    enum { K = 5 };
    mote_crypto_privkey *keys[K];
    mote_x509_cert *base[K], *mesh[K * K];
    size_t n = 0;
    for (int i = 0; i < K; i++) {
        keys[i] = genkey(&p);
        base[i] = make_cert(&p, "CN=Mesh,O=mote", keys[i], keys[i], NULL, tw_ca);
    }
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++)
            if (i != j)
                mesh[n++] = make_cert(&p, "CN=Mesh,O=mote", keys[i], keys[j], base[j], tw_ca);
    mote_x509_cert *leaf =
        make_cert(&p, "CN=www.example.com", p.leaf_key, keys[0], base[0], tw_leaf);
    mote_x509_cert *all[K * K + K];
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        all[na++] = mesh[i];
    for (int i = 0; i < K; i++)
        all[na++] = base[i];
    int err = 0;
    mote_x509_store *s = mote_x509_store_new(&err);
    mote_x509_store_add(s, p.root);
    mote_x509_verify_opts o;
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    mote_x509_verify_result res;
    int rc = mote_x509_verify(s, leaf, all, na, &o, &res);
    ck_assert(rc == MOTE_EVERIFY || rc == MOTE_ELIMIT);
    ck_assert(res.check == MOTE_X509_CHECK_NO_PATH || res.check == MOTE_X509_CHECK_LIMIT);
    ck_assert(res.reason[0] != 0);
    ck_assert_int_le(res.work, MOTE_X509_MAX_WORK);
    mote_x509_verify_result_clear(&res);
    /* Trusting one mesh member makes a path. */
    mote_x509_store_add(s, base[3]);
    ck_assert_msg(mote_x509_verify(s, leaf, all, na, &o, &res) == 0, "%s", res.reason);
    mote_x509_verify_result_clear(&res);
    mote_x509_store_free(s);
    for (size_t i = 0; i < n; i++)
        mote_x509_cert_free(mesh[i]);
    for (int i = 0; i < K; i++) {
        mote_x509_cert_free(base[i]);
        mote_crypto_privkey_free(keys[i]);
    }
    mote_x509_cert_free(leaf);
    pki_free(&p);
}
END_TEST

static void tw_self(mote_x509_builder *b)
{
    ck_assert_int_eq(mote_x509_builder_add_dns(b, "self.example.com"), 0);
    ck_assert_int_eq(mote_x509_builder_add_eku(b, MOTE_ASN1_OID_KP_SERVER_AUTH), 0);
}

/* A self-signed server certificate trusted as itself. */
START_TEST(test_pinned_self_signed)
{
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    mote_x509_cert *self =
        make_cert(&p, "CN=self.example.com", p.leaf_key, p.leaf_key, NULL, tw_self);
    int err = 0;
    mote_x509_store *s = mote_x509_store_new(&err);
    mote_x509_store_add(s, p.root);
    mote_x509_verify_opts o;
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    o.dns_name = "self.example.com";
    mote_x509_verify_result res;
    ck_assert_int_eq(mote_x509_verify(s, self, NULL, 0, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_NO_PATH);
    ck_assert_msg(strstr(res.reason, "self-signed") != NULL, "%s", res.reason);
    mote_x509_verify_result_clear(&res);
    mote_x509_store_add(s, self);
    ck_assert_msg(mote_x509_verify(s, self, NULL, 0, &o, &res) == 0, "%s", res.reason);
    ck_assert_int_eq(res.chain.n, 1);
    mote_x509_verify_result_clear(&res);
    /* Still checked: time and name. */
    o.now.sec = T0 + 86400 * 365;
    ck_assert_int_eq(mote_x509_verify(s, self, NULL, 0, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_VALIDITY);
    mote_x509_verify_result_clear(&res);
    mote_x509_store_free(s);
    mote_x509_cert_free(self);
    pki_free(&p);
}
END_TEST

static void tw_ca_pol(mote_x509_builder *b)
{
    ck_assert_int_eq(mote_x509_builder_set_ca(b, true, -1), 0);
    ck_assert_int_eq(mote_x509_builder_add_policy(b, "1.3.6.1.4.1.55555.1"), 0);
    ck_assert_int_eq(mote_x509_builder_add_policy(b, "1.3.6.1.4.1.55555.1"), MOTE_EEXIST);
}
static void tw_leaf_pol(mote_x509_builder *b)
{
    tw_leaf(b);
    ck_assert_int_eq(mote_x509_builder_add_policy(b, "1.3.6.1.4.1.55555.1"), 0);
    ck_assert_int_eq(mote_x509_builder_add_policy(b, "2.23.140.1.2.1"), 0);
}

/* RFC 5280 6.1 policy processing with builder-made policies. */
START_TEST(test_policies)
{
    struct pki p;
    pki_init(&p, NULL, tw_ca_pol, tw_leaf_pol);
    uint8_t b1[MOTE_ASN1_OID_MAX], b2[MOTE_ASN1_OID_MAX];
    size_t l1, l2;
    ck_assert_int_eq(mote_asn1_oid_from_text("1.3.6.1.4.1.55555.1", b1, sizeof(b1), &l1), 0);
    ck_assert_int_eq(mote_asn1_oid_from_text("2.23.140.1.2.1", b2, sizeof(b2), &l2), 0);
    mote_slice p1 = mote_slice_make(b1, l1), p2 = mote_slice_make(b2, l2);
    ck_assert_int_eq(mote_x509_cert_exts(p.leaf)->n_policies, 2);
    mote_x509_verify_opts o;
    mote_x509_verify_result res;
    mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
    o.policies = &p1;
    o.n_policies = 1;
    o.explicit_policy = true;
    ck_assert_msg(verify(&p, &o, &res) == 0, "%s", res.reason);
    mote_x509_verify_result_clear(&res);
    /* The leaf's second policy is not in the intermediate's: no path. */
    o.policies = &p2;
    ck_assert_int_eq(verify(&p, &o, &res), MOTE_EVERIFY);
    ck_assert_int_eq(res.check, MOTE_X509_CHECK_POLICY);
    mote_x509_verify_result_clear(&res);
    /* Without an explicit policy the same path is valid (6.1.5 (g) leaves
     * an empty tree acceptable). */
    o.explicit_policy = false;
    ck_assert_msg(verify(&p, &o, &res) == 0, "%s", res.reason);
    mote_x509_verify_result_clear(&res);
    pki_free(&p);
}
END_TEST

/* A directory as a key-value device: every file under the prefix loads,
 * duplicates and non-certificates are counted, not fatal. */
START_TEST(test_store_from_kv)
{
    struct pki p;
    pki_init(&p, NULL, NULL, NULL);
    mote_memkv *m = mote_memkv_new();
    ck_assert_ptr_nonnull(m);
    mote_buf pem;
    mote_buf_init(&pem, 0);
    mote_asn1_pem_write(&pem, "CERTIFICATE", mote_x509_cert_der(p.root));
    mote_slice der = mote_x509_cert_der(p.inter);
    ck_assert_int_eq(mote_memkv_put(m, "certs/root.pem", pem.data, pem.len), 0);
    ck_assert_int_eq(mote_memkv_put(m, "certs/1a2b3c4d.0", pem.data, pem.len), 0);
    ck_assert_int_eq(mote_memkv_put(m, "certs/inter.der", der.ptr, der.len), 0);
    ck_assert_int_eq(mote_memkv_put(m, "certs/README", "not a cert", 10), 0);
    ck_assert_int_eq(mote_memkv_put(m, "other/leaf.pem", pem.data, pem.len), 0);
    int err = 0;
    mote_x509_store *s = mote_x509_store_new(&err);
    size_t added = 0, dups = 0, bad = 0;
    ck_assert_int_eq(mote_x509_store_load_kv(s, mote_memkv_kv(m), "certs/", &added, &dups, &bad),
                     0);
    ck_assert_int_eq(added, 2);
    ck_assert_int_eq(dups, 1);
    ck_assert_int_eq(bad, 1);
    ck_assert_int_eq(mote_x509_store_count(s), 2);
    mote_x509_store_free(s);
    mote_buf_free(&pem);
    mote_memkv_free(m);
    pki_free(&p);
}
END_TEST

/* Every root of the system trust store parses, once (no duplicates). */
START_TEST(test_system_roots_parse)
{
    const char *bundle = "/etc/ssl/certs/ca-certificates.crt";
    size_t len;
    uint8_t *text = tu_read_file(bundle, &len);
    if (!text) {
        printf("SKIP: %s not present\n", bundle);
        return;
    }
    mote_x509_certs l = {0};
    char why[256] = {0};
    int rc = mote_x509_certs_parse(&l, text, len, why, sizeof(why));
    ck_assert_msg(rc == 0, "system roots: %s", why);
    ck_assert_int_gt(l.n, 50);
    int err = 0;
    mote_x509_store *s = mote_x509_store_new(&err);
    size_t added = 0, dups = 0, bad = 0;
    ck_assert_int_eq(mote_x509_store_add_pem(s, text, len, &added, &dups, &bad), 0);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(added, l.n);
    added = 0;
    ck_assert_int_eq(mote_x509_store_add_pem(s, text, len, &added, &dups, &bad), 0);
    ck_assert_int_eq(added, 0);
    for (size_t i = 0; i < l.n; i++) {
        mote_buf out;
        mote_buf_init(&out, 0);
        ck_assert_int_eq(mote_x509_cert_print(l.v[i], &out), 0);
        mote_buf_free(&out);
    }
    mote_x509_store_free(s);
    mote_x509_certs_clear(&l);
    free(text);
}
END_TEST

/* The limbo name-constraint cases whose peer has no DNS name, run without a
 * peer name so that the constraint itself decides. */
START_TEST(test_limbo_dn_constraints)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/vectors/x509-limbo/limbo.json", tu_shared_dir());
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        printf("SKIP: %s\n", path);
        return;
    }
    static const struct {
        const char *id;
        int ok;
    } cases[] = {
        {"rfc5280::nc::permitted-dn-match", 1},
        {"rfc5280::nc::permitted-dn-mismatch", 0},
        {"rfc5280::nc::excluded-dn-match", 0},
        {"rfc5280::nc::permitted-dn-match-subject-san-mismatch", 0},
        {"rfc5280::nc::excluded-dn-match-sub-mismatch", 0},
        {"rfc5280::nc::permitted-dns-mismatch", 0},
    };
    size_t found = 0, i;
    json_t *tc;
    json_array_foreach(json_object_get(root, "testcases"), i, tc)
    {
        const char *id = json_string_value(json_object_get(tc, "id"));
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
            if (strcmp(id, cases[k].id) != 0)
                continue;
            found++;
            mote_x509_certs tr = {0}, peer = {0};
            const char *t =
                json_string_value(json_array_get(json_object_get(tc, "trusted_certs"), 0));
            const char *pp = json_string_value(json_object_get(tc, "peer_certificate"));
            ck_assert_int_eq(mote_x509_certs_parse(&tr, (const uint8_t *)t, strlen(t), NULL, 0), 0);
            ck_assert_int_eq(mote_x509_certs_parse(&peer, (const uint8_t *)pp, strlen(pp), NULL, 0),
                             0);
            int err = 0;
            mote_x509_store *s = mote_x509_store_new(&err);
            mote_x509_store_add(s, tr.v[0]);
            mote_x509_verify_opts o;
            mote_x509_verify_opts_init(&o, (mote_time){T0, 0});
            o.profile = MOTE_X509_PROFILE_RFC5280;
            mote_x509_verify_result res;
            int rc = mote_x509_verify(s, peer.v[0], NULL, 0, &o, &res);
            ck_assert_msg((rc == 0) == cases[k].ok, "%s: %s", id, res.reason);
            if (!cases[k].ok)
                ck_assert_msg(res.check == MOTE_X509_CHECK_NAME_CONSTRAINTS, "%s: %s", id,
                              res.reason);
            mote_x509_verify_result_clear(&res);
            mote_x509_store_free(s);
            mote_x509_certs_clear(&tr);
            mote_x509_certs_clear(&peer);
        }
    }
    ck_assert_int_eq(found, sizeof(cases) / sizeof(cases[0]));
    json_decref(root);
}
END_TEST

static Suite *x509_suite(void)
{
    Suite *s = suite_create("x509");
    TCase *tc = tcase_create("x509");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_generated_chain_verifies);
    tcase_add_test(tc, test_verify_failures_name_depth);
    tcase_add_test(tc, test_pathlen);
    tcase_add_test(tc, test_name_constraints);
    tcase_add_test(tc, test_backtracking_expired_cross_sign);
    tcase_add_test(tc, test_names_compare_print);
    tcase_add_test(tc, test_dns_matching);
    tcase_add_test(tc, test_csr_roundtrip);
    tcase_add_test(tc, test_hostile_bytes);
    tcase_add_test(tc, test_pem_bundle_and_store);
    tcase_add_test(tc, test_system_roots_parse);
    tcase_add_test(tc, test_store_from_kv);
    tcase_add_test(tc, test_policies);
    tcase_add_test(tc, test_pinned_self_signed);
    tcase_add_test(tc, test_cross_sign_mesh_bounded);
    tcase_add_test(tc, test_limbo_dn_constraints);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(x509_suite());
}
