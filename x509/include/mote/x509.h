/*
 * mote/x509.h - libmote-x509: X.509 certificates, names, PEM bundles, trust
 * stores, path building and validation.
 *
 * libmote-x509 parses X.509 v1 to v3 certificates (RFC 5280) strictly, through
 * libmote-asn1's DER reader and declarative schemas: a certificate that is not
 * valid DER, or whose known extensions are malformed or duplicated, does not
 * parse. A parsed certificate (mote_x509_cert) is immutable and reference
 * counted; every accessor returns views into the certificate's own copy of
 * its DER, valid as long as the certificate is.
 *
 * Verification (mote_x509_verify) builds candidate paths from a peer
 * certificate through untrusted intermediates to a trust anchor in a
 * mote_x509_store, matching issuers by name (RFC 5280 section 7.1
 * comparison) and key identifiers, with backtracking over several issuers
 * per name, cross-signed certificates and expired alternatives, and with
 * bounds on depth and total work. Each complete candidate is validated per
 * RFC 5280 section 6 (validity, signatures through libmote-crypto, basic
 * constraints and path length, key usage, name constraints, policies, EKU)
 * and the chosen profile: MOTE_X509_PROFILE_RFC5280, or
 * MOTE_X509_PROFILE_WEBPKI, which adds the CA/Browser Forum Baseline
 * Requirements as x509-limbo tests them. The peer name is checked per RFC
 * 6125 / RFC 9525 (DNS-ID with the left-most wildcard rule, IP addresses;
 * no common-name fallback). Failures say which certificate (its depth, 0
 * being the peer) failed which check.
 *
 * Certificates and CSRs are built and signed with mote_x509_builder
 * (libmote-crypto keys). The library does no I/O: files and directories are
 * read by the caller (or through a mote_kv device) and handed in as bytes.
 *
 * Thread safety: a parsed certificate and a store that is no longer being
 * added to may be shared between threads (references are atomic).
 */
#ifndef MOTE_X509_H
#define MOTE_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mote/asn1.h"
#include "mote/core.h"
#include "mote/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- bounds -------------------------------------------------------------- */

#define MOTE_X509_MAX_CERT_LEN   (1u << 20) /* largest certificate accepted */
#define MOTE_X509_MAX_EXTENSIONS 64         /* extensions in one certificate */
#define MOTE_X509_MAX_NAME_AVAS  128        /* attributes in one Name */
#define MOTE_X509_MAX_LIST       1024       /* entries in any SEQUENCE OF */
#define MOTE_X509_MAX_DEPTH      16         /* certificates in a path */
#define MOTE_X509_MAX_WORK       4096       /* candidate issuers tried per verify */
#define MOTE_X509_MAX_SIGNATURES                                                                   \
    128                           /* signature checks per verify (results are                      \
                                     remembered within one call) */
#define MOTE_X509_MAX_BUNDLE 4096 /* certificates in one PEM bundle */

/* ---- names (RFC 5280 4.1.2.4, section 7.1; RFC 4514) --------------------- */

/* One AttributeTypeAndValue of a distinguished name. */
typedef struct mote_x509_ava {
    mote_slice type;      /* OID content octets */
    mote_asn1_tlv value;  /* the value element as encoded */
    mote_asn1_string str; /* the value if it is a string type (str.tag 0 if not) */
    size_t rdn;           /* index of the RelativeDistinguishedName holding it */
} mote_x509_ava;

/* A parsed Name: the DER of the whole SEQUENCE and its attributes in order. */
typedef struct mote_x509_name {
    mote_slice der;
    const mote_x509_ava *avas;
    size_t n_avas;
    size_t n_rdns;
} mote_x509_name;

/* Parses a Name (the whole SEQUENCE) into *out; the attribute array is
 * allocated (release with mote_x509_name_clear). MOTE_EDECODE for bad DER,
 * MOTE_ELIMIT past MOTE_X509_MAX_NAME_AVAS. */
int mote_x509_name_parse(mote_slice der, mote_x509_name *out);
void mote_x509_name_clear(mote_x509_name *n);

/* 1 if two names are equal per RFC 5280 section 7.1: the same RDNs in the
 * same order, each the same set of attributes, string values (of any string
 * type) compared as UTF-8 after RFC 4518 mapping (case folding for Latin,
 * Greek and Cyrillic letters; no NFKC) and insignificant space handling;
 * other values byte for byte. */
int mote_x509_name_equal(const mote_x509_name *a, const mote_x509_name *b);

/* Appends the RFC 4514 string form ("CN=example.com,O=Example") to out:
 * last RDN first, short names for well-known types, dotted OIDs and
 * #hex for others, special characters escaped. */
int mote_x509_name_print(const mote_x509_name *n, mote_buf *out);

/* Appends the canonical comparison form of a name (what name_equal compares)
 * to out. Two names are equal iff their canonical forms are. */
int mote_x509_name_canonical(const mote_x509_name *n, mote_buf *out);

/* ---- general names (RFC 5280 4.2.1.6) ------------------------------------ */

typedef enum mote_x509_gn_type {
    MOTE_X509_GN_OTHER = 0,   /* otherName: type_id and value (the [0] content) */
    MOTE_X509_GN_EMAIL = 1,   /* rfc822Name (IA5) */
    MOTE_X509_GN_DNS = 2,     /* dNSName (IA5) */
    MOTE_X509_GN_X400 = 3,    /* x400Address, kept raw */
    MOTE_X509_GN_DIRNAME = 4, /* directoryName: value is the Name's DER */
    MOTE_X509_GN_EDI = 5,     /* ediPartyName, kept raw */
    MOTE_X509_GN_URI = 6,     /* uniformResourceIdentifier (IA5) */
    MOTE_X509_GN_IP = 7,      /* iPAddress: 4 or 16 octets (8 or 32 in name constraints) */
    MOTE_X509_GN_RID = 8,     /* registeredID: OID content octets */
} mote_x509_gn_type;

typedef struct mote_x509_general_name {
    mote_x509_gn_type type;
    mote_slice value;
    mote_slice type_id; /* otherName only */
} mote_x509_general_name;

typedef struct mote_x509_general_names {
    const mote_x509_general_name *v;
    size_t n;
} mote_x509_general_names;

/* ---- extensions ---------------------------------------------------------- */

/* Extensions libmote-x509 understands (bit numbers in mote_x509_exts.present
 * and .critical). Any other extension is kept raw; if critical, no path
 * through the certificate validates. */
typedef enum mote_x509_ext_id {
    MOTE_X509_EXT_BASIC_CONSTRAINTS = 0,
    MOTE_X509_EXT_KEY_USAGE,
    MOTE_X509_EXT_EXT_KEY_USAGE,
    MOTE_X509_EXT_SUBJECT_ALT_NAME,
    MOTE_X509_EXT_ISSUER_ALT_NAME,
    MOTE_X509_EXT_NAME_CONSTRAINTS,
    MOTE_X509_EXT_CERTIFICATE_POLICIES,
    MOTE_X509_EXT_POLICY_MAPPINGS,
    MOTE_X509_EXT_POLICY_CONSTRAINTS,
    MOTE_X509_EXT_INHIBIT_ANY_POLICY,
    MOTE_X509_EXT_AUTHORITY_KEY_ID,
    MOTE_X509_EXT_SUBJECT_KEY_ID,
    MOTE_X509_EXT_AUTHORITY_INFO_ACCESS,
    MOTE_X509_EXT_CRL_DISTRIBUTION_POINTS,
    MOTE_X509_EXT_COUNT_
} mote_x509_ext_id;

/* keyUsage bits (bit i is named bit i of RFC 5280 4.2.1.3). */
#define MOTE_X509_KU_DIGITAL_SIGNATURE (1u << 0)
#define MOTE_X509_KU_NON_REPUDIATION   (1u << 1)
#define MOTE_X509_KU_KEY_ENCIPHERMENT  (1u << 2)
#define MOTE_X509_KU_DATA_ENCIPHERMENT (1u << 3)
#define MOTE_X509_KU_KEY_AGREEMENT     (1u << 4)
#define MOTE_X509_KU_KEY_CERT_SIGN     (1u << 5)
#define MOTE_X509_KU_CRL_SIGN          (1u << 6)
#define MOTE_X509_KU_ENCIPHER_ONLY     (1u << 7)
#define MOTE_X509_KU_DECIPHER_ONLY     (1u << 8)

/* One extension as found in the certificate. */
typedef struct mote_x509_ext {
    mote_slice oid;
    bool critical;
    mote_slice value; /* the extnValue OCTET STRING's content */
    int known;        /* a mote_x509_ext_id, or -1 */
} mote_x509_ext;

typedef struct mote_x509_policy_info {
    mote_slice oid;
    mote_slice qualifiers; /* DER of the policyQualifiers SEQUENCE, empty if absent */
} mote_x509_policy_info;

typedef struct mote_x509_policy_mapping {
    mote_slice issuer_policy;
    mote_slice subject_policy;
} mote_x509_policy_mapping;

typedef struct mote_x509_access {
    mote_slice method; /* accessMethod OID */
    mote_x509_general_name location;
} mote_x509_access;

/* The decoded known extensions. Fields of absent extensions are empty. */
typedef struct mote_x509_exts {
    uint32_t present;  /* bit MOTE_X509_EXT_* set when the extension is present */
    uint32_t critical; /* bit set when it is marked critical */
    /* basicConstraints */
    bool ca;
    int pathlen; /* -1 when absent */
    /* keyUsage */
    uint32_t key_usage;
    /* extKeyUsage */
    const mote_slice *eku;
    size_t n_eku;
    mote_x509_general_names san, ian;
    /* nameConstraints: bases of the permitted and excluded subtrees */
    mote_x509_general_names permitted, excluded;
    bool has_permitted, has_excluded;
    /* certificatePolicies */
    const mote_x509_policy_info *policies;
    size_t n_policies;
    /* policyMappings */
    const mote_x509_policy_mapping *mappings;
    size_t n_mappings;
    /* policyConstraints (-1 when absent) and inhibitAnyPolicy (-1 when absent) */
    int require_explicit_policy, inhibit_policy_mapping, inhibit_any_policy;
    /* authorityKeyIdentifier */
    mote_slice aki_key_id; /* empty when absent */
    mote_x509_general_names aki_issuer;
    mote_slice aki_serial;
    bool aki_has_issuer, aki_has_serial;
    /* subjectKeyIdentifier */
    mote_slice ski;
    /* authorityInfoAccess */
    const mote_x509_access *aia;
    size_t n_aia;
    /* cRLDistributionPoints: the fullName general names of every point */
    mote_x509_general_names crl_dp;
    size_t n_crl_dp; /* number of DistributionPoints */
} mote_x509_exts;

/* ---- certificates -------------------------------------------------------- */

typedef struct mote_x509_cert mote_x509_cert;

/* Signature algorithms of certificates. */
typedef enum mote_x509_sig_alg {
    MOTE_X509_SIG_UNKNOWN = 0,
    MOTE_X509_SIG_RSA_PKCS1_SHA256,
    MOTE_X509_SIG_RSA_PKCS1_SHA384,
    MOTE_X509_SIG_RSA_PKCS1_SHA512,
    MOTE_X509_SIG_RSA_PSS_SHA256,
    MOTE_X509_SIG_RSA_PSS_SHA384,
    MOTE_X509_SIG_RSA_PSS_SHA512,
    MOTE_X509_SIG_ECDSA_SHA256,
    MOTE_X509_SIG_ECDSA_SHA384,
    MOTE_X509_SIG_ECDSA_SHA512,
    MOTE_X509_SIG_ED25519,
    MOTE_X509_SIG_RSA_PKCS1_SHA1, /* recognised, always refused */
    MOTE_X509_SIG_RSA_PKCS1_MD5,  /* recognised, always refused */
    MOTE_X509_SIG_ECDSA_SHA1,     /* recognised, always refused */
    MOTE_X509_SIG_RSA_PSS_OTHER,  /* PSS with parameters mote does not verify */
} mote_x509_sig_alg;

/* Public-key algorithms of SubjectPublicKeyInfo. */
typedef enum mote_x509_key_alg {
    MOTE_X509_KEY_UNKNOWN = 0,
    MOTE_X509_KEY_RSA,
    MOTE_X509_KEY_EC_P256,
    MOTE_X509_KEY_EC_P384,
    MOTE_X509_KEY_EC_P521,
    MOTE_X509_KEY_EC_OTHER, /* another named curve */
    MOTE_X509_KEY_ED25519,
    MOTE_X509_KEY_ED448,
    MOTE_X509_KEY_DSA,
    MOTE_X509_KEY_RSA_PSS,
} mote_x509_key_alg;

/* Parses one DER certificate. The bytes are copied. NULL with *err set:
 * MOTE_EDECODE malformed (DER, structure, or a known extension), MOTE_ELIMIT
 * a bound exceeded, MOTE_ENOMEM. When why is not NULL it receives a
 * NUL-terminated reason (offset, field, cause) of at most why_len bytes. */
mote_x509_cert *mote_x509_cert_parse(const uint8_t *der, size_t len, int *err, char *why,
                                     size_t why_len);

/* Parses the first CERTIFICATE block of PEM text. MOTE_ENOTFOUND if none. */
mote_x509_cert *mote_x509_cert_parse_pem(const char *pem, size_t len, int *err, char *why,
                                         size_t why_len);

/* Takes another reference; returns c. */
mote_x509_cert *mote_x509_cert_ref(mote_x509_cert *c);
/* Drops a reference, freeing the certificate with the last (NULL allowed). */
void mote_x509_cert_free(mote_x509_cert *c);

/* Accessors. Slices are views into the certificate. */
mote_slice mote_x509_cert_der(const mote_x509_cert *c);
mote_slice mote_x509_cert_tbs(const mote_x509_cert *c);    /* TBSCertificate DER */
int mote_x509_cert_version(const mote_x509_cert *c);       /* 1, 2 or 3 */
mote_slice mote_x509_cert_serial(const mote_x509_cert *c); /* two's complement */
const mote_x509_name *mote_x509_cert_issuer(const mote_x509_cert *c);
const mote_x509_name *mote_x509_cert_subject(const mote_x509_cert *c);
mote_time mote_x509_cert_not_before(const mote_x509_cert *c);
mote_time mote_x509_cert_not_after(const mote_x509_cert *c);
mote_slice mote_x509_cert_spki(const mote_x509_cert *c); /* SubjectPublicKeyInfo DER */
mote_x509_key_alg mote_x509_cert_key_alg(const mote_x509_cert *c);
mote_slice mote_x509_cert_public_key(const mote_x509_cert *c);  /* subjectPublicKey bits */
mote_slice mote_x509_cert_sig_alg_oid(const mote_x509_cert *c); /* outer signatureAlgorithm */
mote_x509_sig_alg mote_x509_cert_sig_alg(const mote_x509_cert *c);
/* The parameters of signatureAlgorithm and of the SPKI's algorithm (tag 0
 * when absent). */
mote_asn1_tlv mote_x509_cert_sig_alg_params(const mote_x509_cert *c);
mote_asn1_tlv mote_x509_cert_key_alg_params(const mote_x509_cert *c);
mote_slice mote_x509_cert_key_alg_oid(const mote_x509_cert *c);
mote_slice mote_x509_cert_signature(const mote_x509_cert *c);
mote_slice mote_x509_cert_issuer_uid(const mote_x509_cert *c); /* empty if absent */
mote_slice mote_x509_cert_subject_uid(const mote_x509_cert *c);
size_t mote_x509_cert_ext_count(const mote_x509_cert *c);
const mote_x509_ext *mote_x509_cert_ext(const mote_x509_cert *c, size_t i);
const mote_x509_exts *mote_x509_cert_exts(const mote_x509_cert *c);

/* 1 if the certificate's issuer name equals its subject name. */
int mote_x509_cert_self_issued(const mote_x509_cert *c);

/* Checks that `issuer`'s key made `c`'s signature (algorithm refused or
 * unsupported: MOTE_EUNSUPPORTED; bad signature MOTE_EVERIFY; issuer key
 * unusable MOTE_EDECODE or MOTE_ERANGE). MD5 and SHA-1 are always refused. */
int mote_x509_cert_check_signature(const mote_x509_cert *c, const mote_x509_cert *issuer);

/* Writes a human-readable dump (like `openssl x509 -text`) to out. */
int mote_x509_cert_print(const mote_x509_cert *c, mote_buf *out);

/* Names of enums, for messages. */
const char *mote_x509_sig_alg_name(mote_x509_sig_alg a);
const char *mote_x509_key_alg_name(mote_x509_key_alg a);

/* ---- PEM bundles --------------------------------------------------------- */

/* A growable list of certificate references. */
typedef struct mote_x509_certs {
    mote_x509_cert **v;
    size_t n, cap;
} mote_x509_certs;

/* Appends a reference to c. */
int mote_x509_certs_push(mote_x509_certs *l, mote_x509_cert *c);
/* Drops every reference and frees the array. */
void mote_x509_certs_clear(mote_x509_certs *l);

/* Parses every CERTIFICATE block of PEM text (other labels are skipped; a
 * text that is not PEM is taken as one DER certificate) and appends them to
 * l. A malformed block or certificate fails the whole call (nothing is
 * appended) with why naming the block. MOTE_ELIMIT past MOTE_X509_MAX_BUNDLE. */
int mote_x509_certs_parse(mote_x509_certs *l, const uint8_t *text, size_t len, char *why,
                          size_t why_len);

/* ---- trust stores -------------------------------------------------------- */

typedef struct mote_x509_store mote_x509_store;

mote_x509_store *mote_x509_store_new(int *err);
void mote_x509_store_free(mote_x509_store *s);

/* Adds a trust anchor (a reference is taken). A certificate already in the
 * store (same DER) is not added twice: returns 1 then, 0 when added. */
int mote_x509_store_add(mote_x509_store *s, mote_x509_cert *c);

/* Adds every certificate of a PEM bundle (or one DER certificate).
 * Certificates that fail to parse are skipped and counted in *bad (when not
 * NULL), duplicates in *dups; *added counts new ones. MOTE_EDECODE only if
 * the text holds no certificate at all. */
int mote_x509_store_add_pem(mote_x509_store *s, const uint8_t *text, size_t len, size_t *added,
                            size_t *dups, size_t *bad);

/* Loads every key under `prefix` of a read-only key-value device (a
 * directory such as /etc/ssl/certs as the platform maps it), each as with
 * mote_x509_store_add_pem; files larger than 4 MiB are skipped. */
int mote_x509_store_load_kv(mote_x509_store *s, mote_kv *kv, const char *prefix, size_t *added,
                            size_t *dups, size_t *bad);

size_t mote_x509_store_count(const mote_x509_store *s);
mote_x509_cert *mote_x509_store_get(const mote_x509_store *s, size_t i);

/* ---- verification -------------------------------------------------------- */

typedef enum mote_x509_profile {
    MOTE_X509_PROFILE_RFC5280 = 1, /* RFC 5280 section 6 and the profile's MUSTs */
    MOTE_X509_PROFILE_WEBPKI = 2,  /* plus CA/B Forum Baseline Requirements (TLS servers) */
} mote_x509_profile;

/* Which check failed (mote_x509_verify_result.check). */
typedef enum mote_x509_check {
    MOTE_X509_CHECK_NONE = 0,
    MOTE_X509_CHECK_NO_PATH,   /* no issuer found; path cannot reach a trust anchor */
    MOTE_X509_CHECK_LIMIT,     /* depth or work bound reached */
    MOTE_X509_CHECK_VALIDITY,  /* not yet valid or expired */
    MOTE_X509_CHECK_SIGNATURE, /* signature does not verify */
    MOTE_X509_CHECK_ALGORITHM, /* signature or key algorithm refused */
    MOTE_X509_CHECK_BASIC_CONSTRAINTS,
    MOTE_X509_CHECK_PATH_LENGTH,
    MOTE_X509_CHECK_KEY_USAGE,
    MOTE_X509_CHECK_EXT_KEY_USAGE,
    MOTE_X509_CHECK_NAME_CONSTRAINTS,
    MOTE_X509_CHECK_POLICY,
    MOTE_X509_CHECK_CRITICAL_EXT, /* unknown critical extension */
    MOTE_X509_CHECK_PROFILE,      /* a MUST of RFC 5280 4.x or of the BRs is broken */
    MOTE_X509_CHECK_PEER_NAME,    /* the peer name does not match */
    MOTE_X509_CHECK_CHAIN_DEPTH,  /* more intermediates than max_intermediates */
} mote_x509_check;

typedef struct mote_x509_verify_opts {
    mote_time now;             /* the validation time */
    mote_x509_profile profile; /* 0 means MOTE_X509_PROFILE_WEBPKI */
    const char *dns_name;      /* expected peer DNS name (A-labels), or NULL */
    const uint8_t *ip;         /* expected peer IP (4 or 16 bytes), or NULL */
    size_t ip_len;
    const char *email;      /* expected peer mailbox (rfc822Name), or NULL */
    const mote_slice *ekus; /* EKU OIDs the peer must allow; NULL: serverAuth */
    size_t n_ekus;          /* with ekus == NULL and n_ekus == 0: serverAuth */
    bool any_eku;           /* skip the EKU check entirely */
    uint32_t key_usage;     /* MOTE_X509_KU_* bits the peer must have (if it has KU) */
    int max_intermediates;  /* bound on non-self-issued intermediates; <0: no bound */
    /* Signature algorithms allowed on the certificates of the path (not on
     * the trust anchor's own signature); n_sig_algs 0: every one mote
     * verifies. */
    const mote_x509_sig_alg *sig_algs;
    size_t n_sig_algs;
    /* RFC 5280 6.1.1 policy inputs; n_policies 0 means any-policy. */
    const mote_slice *policies;
    size_t n_policies;
    bool explicit_policy, inhibit_policy_mapping, inhibit_any_policy;
} mote_x509_verify_opts;

/* Fills opts with the defaults: webpki profile, serverAuth, no name. */
void mote_x509_verify_opts_init(mote_x509_verify_opts *o, mote_time now);

typedef struct mote_x509_verify_result {
    int err;               /* 0 or the MOTE_E* code returned */
    mote_x509_check check; /* the check that failed */
    int depth;             /* the certificate concerned (0 the peer), -1 if none */
    char reason[320];      /* "certificate at depth 1 (CN=...): expired at ..." */
    mote_x509_certs chain; /* on success: peer first, trust anchor last */
    size_t work;           /* candidate issuers examined */
} mote_x509_verify_result;

/* Builds and validates a path from `peer` through `untrusted` (any order,
 * NULL allowed when n is 0) to a trust anchor of `trust`. A peer that is
 * itself in `trust` (same DER) is trusted directly once its own checks
 * pass (validity, profile, EKU, name): the path is the peer alone. Returns 0 with the
 * path in res->chain; otherwise MOTE_EVERIFY (a check failed on every
 * candidate path; res says the one that got furthest), MOTE_ELIMIT (bounds
 * reached), MOTE_EINVAL or MOTE_ENOMEM. Release res with
 * mote_x509_verify_result_clear. */
int mote_x509_verify(const mote_x509_store *trust, mote_x509_cert *peer,
                     mote_x509_cert *const *untrusted, size_t n_untrusted,
                     const mote_x509_verify_opts *opts, mote_x509_verify_result *res);
void mote_x509_verify_result_clear(mote_x509_verify_result *res);

const char *mote_x509_check_name(mote_x509_check c);

/* Peer names alone (RFC 6125 / RFC 9525): 1 if the certificate's SAN has a
 * dNSName matching `name` (case-insensitive; a presented "*.example.com"
 * matches exactly one left-most label, never partial-label wildcards, never
 * wildcards over fewer than two labels), 0 if not, MOTE_EINVAL if name is not
 * a valid DNS name. No common-name fallback. */
int mote_x509_match_dns(const mote_x509_cert *c, const char *name);
/* 1 if the SAN has an iPAddress equal to ip (4 or 16 bytes). */
int mote_x509_match_ip(const mote_x509_cert *c, const uint8_t *ip, size_t ip_len);

/* 1 if the SAN has an rfc822Name equal to the mailbox `addr`: the local
 * part compared exactly, the domain without regard to ASCII case (RFC 5280
 * 7.5); 0 if not; MOTE_EINVAL if addr is not local@domain. */
int mote_x509_match_email(const mote_x509_cert *c, const char *addr);

/* Parses textual IPv4 ("192.0.2.1") or IPv6 into 4 or 16 bytes; *len set.
 * MOTE_EINVAL for bad text. */
int mote_x509_parse_ip(const char *text, uint8_t out[16], size_t *len);

/* ---- generation ---------------------------------------------------------- */

/* A certificate or CSR under construction. Extensions are written in the
 * order set. */
typedef struct mote_x509_builder mote_x509_builder;

mote_x509_builder *mote_x509_builder_new(int *err);
void mote_x509_builder_free(mote_x509_builder *b);

/* Subject as RFC 4514 text, "CN=example.com,O=Example,C=US": as printed,
 * the first attribute is the last RDN. Types CN, C, O, OU, L, ST, STREET,
 * serialNumber, emailAddress, DC, UID; "\," escapes a comma. C is written
 * as PrintableString, emailAddress and DC as IA5String, the rest as
 * UTF8String. MOTE_EINVAL for bad text. */
int mote_x509_builder_set_subject(mote_x509_builder *b, const char *dn);
/* Subject as the DER of a Name (copied; checked). */
int mote_x509_builder_set_subject_der(mote_x509_builder *b, mote_slice name_der);
/* Serial as big-endian magnitude (1..20 octets, not zero); by default 16
 * random bytes from the rng given to sign (top bit cleared). */
int mote_x509_builder_set_serial(mote_x509_builder *b, const uint8_t *serial, size_t len);
/* Validity; by default from the time given to sign for 365 days. */
int mote_x509_builder_set_validity(mote_x509_builder *b, mote_time not_before, mote_time not_after);
/* basicConstraints (always critical); pathlen < 0 for none. Without this
 * call a certificate gets basicConstraints cA FALSE. */
int mote_x509_builder_set_ca(mote_x509_builder *b, bool ca, int pathlen);
/* keyUsage (critical), MOTE_X509_KU_* bits. Default: keyCertSign|cRLSign
 * for a CA, digitalSignature otherwise (plus keyEncipherment for RSA). */
int mote_x509_builder_set_key_usage(mote_x509_builder *b, uint32_t ku);
/* Adds an extKeyUsage purpose by OID id (MOTE_ASN1_OID_KP_*). */
int mote_x509_builder_add_eku(mote_x509_builder *b, mote_asn1_oid_id id);
/* Adds a subjectAltName dNSName, or an iPAddress given as text. */
int mote_x509_builder_add_dns(mote_x509_builder *b, const char *name);
int mote_x509_builder_add_ip(mote_x509_builder *b, const char *ip);
/* Adds a certificatePolicies (non-critical) policy OID in dotted text
 * ("2.23.140.1.2.1"; "2.5.29.32.0" is anyPolicy), without qualifiers. */
int mote_x509_builder_add_policy(mote_x509_builder *b, const char *dotted);
/* Adds a nameConstraints (critical) dNSName subtree: permitted, or
 * excluded when `excluded`. */
int mote_x509_builder_add_nc_dns(mote_x509_builder *b, const char *name, bool excluded);

/* Signs a certificate. subject_key is the key certified; issuer_key signs
 * (SHA-256 with RSA PKCS#1 v1.5 or ECDSA P-256, SHA-384 with P-384,
 * Ed25519). The issuer name and the authorityKeyIdentifier come from
 * issuer_cert, or, when it is NULL (self-signed), from the builder's subject
 * and the subject key. subjectKeyIdentifier is the first 160 bits of the
 * SHA-256 of the key (RFC 7093 2 (1)). `now` sets the default validity.
 * Appends the DER to out. Errors: MOTE_EINVAL (no subject), crypto's
 * errors. */
int mote_x509_builder_sign(mote_x509_builder *b, const mote_crypto_pubkey *subject_key,
                           const mote_crypto_privkey *issuer_key, const mote_x509_cert *issuer_cert,
                           mote_rng *rng, mote_time now, mote_buf *out);

/* Builds a PKCS#10 certification request (RFC 2986) for the builder's
 * subject and subjectAltNames, signed with key; appends the DER. */
int mote_x509_builder_csr(mote_x509_builder *b, const mote_crypto_privkey *key, mote_rng *rng,
                          mote_buf *out);

/* Reads a PKCS#10 request: checks its self-signature (MOTE_EVERIFY if bad,
 * MOTE_EDECODE if malformed), sets the builder's subject from it, adds the
 * dNSName and iPAddress entries of its extensionRequest subjectAltName, and
 * returns its public key in *key (freed by the caller). */
int mote_x509_builder_from_csr(mote_x509_builder *b, const uint8_t *der, size_t len,
                               mote_crypto_pubkey **key);

#ifdef __cplusplus
}
#endif
#endif
