/*
 * ext.c - the certificate extensions of RFC 5280 section 4.2.
 *
 * Fixed-shape extensions are decoded with schemas; lists (GeneralNames,
 * policies, access descriptions) with the cursor, counted first and then
 * stored in the certificate's arena.
 */
#include <stdio.h>
#include <string.h>

#include "x509_internal.h"

/* GeneralName ::= CHOICE {
 *     otherName                 [0] OtherName,
 *     rfc822Name                [1] IA5String,
 *     dNSName                   [2] IA5String,
 *     x400Address               [3] ORAddress,
 *     directoryName             [4] Name,
 *     ediPartyName              [5] EDIPartyName,
 *     uniformResourceIdentifier [6] IA5String,
 *     iPAddress                 [7] OCTET STRING,
 *     registeredID              [8] OBJECT IDENTIFIER }
 * (the module uses IMPLICIT tags; a CHOICE such as Name is tagged
 * explicitly.) */
int x509_parse_general_name(mote_asn1_reader *r, mote_x509_general_name *gn)
{
    mote_asn1_tlv t;
    memset(gn, 0, sizeof(*gn));
    if (mote_asn1_next(r, &t) != 0)
        return r->err;
    if (MOTE_ASN1_TAG_CLASS(t.tag) != MOTE_ASN1_CLASS_CONTEXT)
        return mote_asn1_reader_fail(r, MOTE_EDECODE, t.offset, MOTE_ASN1_R_UNEXPECTED_TAG, t.tag);
    unsigned num = MOTE_ASN1_TAG_NUM(t.tag);
    int cons = MOTE_ASN1_TAG_IS_CONSTRUCTED(t.tag);
    int want_cons = num == 0 || num == 3 || num == 4 || num == 5;
    if (num > 8 || cons != want_cons)
        return mote_asn1_reader_fail(
            r, MOTE_EDECODE, t.offset,
            num > 8 ? MOTE_ASN1_R_UNEXPECTED_TAG : MOTE_ASN1_R_CONSTRUCTED_FORM, t.tag);
    gn->type = (mote_x509_gn_type)num;
    gn->value = t.value;
    mote_asn1_reader sub;
    mote_asn1_reader_init_at(&sub, t.value, t.offset + t.hdr_len);
    switch (num) {
    case 0: { /* OtherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY } */
        mote_asn1_tlv v;
        if (mote_asn1_read_oid(&sub, &gn->type_id) != 0 ||
            mote_asn1_expect(&sub, MOTE_ASN1_CONTEXT_CONS(0), &v) != 0 ||
            mote_asn1_reader_finish(&sub) != 0)
            goto bad;
        gn->value = v.value;
        break;
    }
    case 1:
    case 2:
    case 6:
        if (mote_asn1_string_check(MOTE_ASN1_IA5_STRING, t.value) != 0)
            return mote_asn1_reader_fail(r, MOTE_EDECODE, t.offset, MOTE_ASN1_R_BAD_STRING, t.tag);
        break;
    case 4: {
        mote_asn1_tlv n;
        mote_x509_name tmp;
        if (mote_asn1_expect(&sub, MOTE_ASN1_SEQUENCE, &n) != 0 ||
            mote_asn1_reader_finish(&sub) != 0)
            goto bad;
        gn->value = n.raw;
        if (mote_x509_name_parse(n.raw, &tmp) != 0)
            goto bad;
        mote_x509_name_clear(&tmp);
        break;
    }
    case 8:
        if (mote_asn1_check_oid(t.value, NULL) != 0)
            goto bad;
        break;
    default:
        break;
    }
    return 0;
bad:
    return mote_asn1_reader_fail(r, MOTE_EDECODE, t.offset, MOTE_ASN1_R_UNEXPECTED_TAG, t.tag);
}

/* Counts the elements of a level's content. */
static int count_elements(mote_slice content, size_t *n)
{
    mote_asn1_reader r;
    mote_asn1_reader_init(&r, content.ptr, content.len);
    size_t k = 0;
    *n = 0;
    while (!mote_asn1_at_end(&r)) {
        if (mote_asn1_next(&r, NULL) != 0)
            return r.err;
        if (++k > MOTE_X509_MAX_LIST)
            return MOTE_ELIMIT;
    }
    if (r.err)
        return r.err;
    *n = k;
    return 0;
}

/* GeneralNames content (the elements, without the outer header); at least
 * `min` names. */
static int parse_gn_list(mote_x509_cert *c, mote_slice content, size_t min,
                         mote_x509_general_names *out)
{
    size_t n;
    int rc = count_elements(content, &n);
    if (rc != 0)
        return rc;
    if (n < min)
        return MOTE_EDECODE;
    mote_x509_general_name *v = n ? x509_arena_alloc(&c->arena, n * sizeof(*v)) : NULL;
    if (n && !v)
        return MOTE_ENOMEM;
    mote_asn1_reader r;
    mote_asn1_reader_init(&r, content.ptr, content.len);
    for (size_t i = 0; i < n; i++)
        if (x509_parse_general_name(&r, &v[i]) != 0)
            return r.err ? r.err : MOTE_EDECODE;
    if (mote_asn1_reader_finish(&r) != 0)
        return MOTE_EDECODE;
    out->v = v;
    out->n = n;
    return 0;
}

/* A SEQUENCE whose whole DER is `der`: its content. */
static int seq_content(mote_slice der, mote_slice *content)
{
    mote_asn1_reader r;
    mote_asn1_tlv t;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    if (mote_asn1_expect(&r, MOTE_ASN1_SEQUENCE, &t) != 0 || mote_asn1_reader_finish(&r) != 0)
        return MOTE_EDECODE;
    *content = t.value;
    return 0;
}

/* BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE,
 *                                 pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
struct basic_constraints {
    bool ca;
    int64_t path_len;
    bool has_path_len;
};
static const mote_asn1_field basic_constraints[] = {
    {MOTE_ASN1_F_BOOL(struct basic_constraints, ca), MOTE_ASN1_DEFAULT(0)},
    {MOTE_ASN1_F_INT64(struct basic_constraints, path_len), MOTE_ASN1_OPTIONAL,
     MOTE_ASN1_PRESENT(struct basic_constraints, has_path_len)},
    MOTE_ASN1_END,
};

/* AuthorityKeyIdentifier ::= SEQUENCE {
 *     keyIdentifier             [0] KeyIdentifier OPTIONAL,
 *     authorityCertIssuer       [1] GeneralNames OPTIONAL,
 *     authorityCertSerialNumber [2] CertificateSerialNumber OPTIONAL } */
struct aki {
    mote_slice key_identifier;
    mote_asn1_tlv authority_cert_issuer;
    mote_slice authority_cert_serial_number;
    bool has_key_id, has_issuer, has_serial;
};
static const mote_asn1_field authority_key_identifier[] = {
    {MOTE_ASN1_F_OCTETS(struct aki, key_identifier), MOTE_ASN1_IMPLICIT(0), MOTE_ASN1_OPTIONAL,
     MOTE_ASN1_PRESENT(struct aki, has_key_id)},
    {MOTE_ASN1_F_RAW(struct aki, authority_cert_issuer, MOTE_ASN1_CONTEXT_CONS(1)),
     MOTE_ASN1_OPTIONAL, MOTE_ASN1_PRESENT(struct aki, has_issuer)},
    {MOTE_ASN1_F_INTEGER(struct aki, authority_cert_serial_number), MOTE_ASN1_IMPLICIT(2),
     MOTE_ASN1_OPTIONAL, MOTE_ASN1_PRESENT(struct aki, has_serial)},
    MOTE_ASN1_END,
};

/* PolicyConstraints ::= SEQUENCE {
 *     requireExplicitPolicy [0] SkipCerts OPTIONAL,
 *     inhibitPolicyMapping  [1] SkipCerts OPTIONAL } */
struct policy_constraints {
    int64_t require_explicit, inhibit_mapping;
    bool has_require, has_inhibit;
};
static const mote_asn1_field policy_constraints[] = {
    {MOTE_ASN1_F_INT64(struct policy_constraints, require_explicit), MOTE_ASN1_IMPLICIT(0),
     MOTE_ASN1_OPTIONAL, MOTE_ASN1_PRESENT(struct policy_constraints, has_require)},
    {MOTE_ASN1_F_INT64(struct policy_constraints, inhibit_mapping), MOTE_ASN1_IMPLICIT(1),
     MOTE_ASN1_OPTIONAL, MOTE_ASN1_PRESENT(struct policy_constraints, has_inhibit)},
    MOTE_ASN1_END,
};

static int clamp_int(int64_t v, int *out)
{
    if (v < 0)
        return MOTE_EDECODE;
    *out = v > 1000000 ? 1000000 : (int)v;
    return 0;
}

/* NameConstraints ::= SEQUENCE {
 *     permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 *     excludedSubtrees  [1] GeneralSubtrees OPTIONAL }
 * GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree
 * GeneralSubtree ::= SEQUENCE { base GeneralName,
 *                               minimum [0] BaseDistance DEFAULT 0,
 *                               maximum [1] BaseDistance OPTIONAL }
 * RFC 5280 4.2.1.10: minimum MUST be zero and maximum MUST be absent. */
static int parse_subtrees(mote_x509_cert *c, mote_slice content, mote_x509_general_names *out)
{
    size_t n;
    int rc = count_elements(content, &n);
    if (rc != 0)
        return rc;
    if (n == 0)
        return MOTE_EDECODE;
    mote_x509_general_name *v = x509_arena_alloc(&c->arena, n * sizeof(*v));
    if (!v)
        return MOTE_ENOMEM;
    mote_asn1_reader r;
    mote_asn1_reader_init(&r, content.ptr, content.len);
    for (size_t i = 0; i < n; i++) {
        if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0)
            return MOTE_EDECODE;
        if (x509_parse_general_name(&r, &v[i]) != 0)
            return MOTE_EDECODE;
        if (!mote_asn1_at_end(&r))
            return MOTE_EDECODE; /* minimum encoded (DEFAULT) or maximum present */
        if (mote_asn1_leave(&r) != 0)
            return MOTE_EDECODE;
    }
    if (mote_asn1_reader_finish(&r) != 0)
        return MOTE_EDECODE;
    out->v = v;
    out->n = n;
    return 0;
}

static int parse_name_constraints(mote_x509_cert *c, mote_slice der)
{
    mote_asn1_reader r;
    mote_asn1_reader_init(&r, der.ptr, der.len);
    if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0)
        return MOTE_EDECODE;
    bool present;
    mote_asn1_tlv t;
    if (mote_asn1_optional(&r, MOTE_ASN1_CONTEXT_CONS(0), &t, &present) != 0)
        return MOTE_EDECODE;
    if (present) {
        c->x.has_permitted = true;
        if (parse_subtrees(c, t.value, &c->x.permitted) != 0)
            return MOTE_EDECODE;
    }
    if (mote_asn1_optional(&r, MOTE_ASN1_CONTEXT_CONS(1), &t, &present) != 0)
        return MOTE_EDECODE;
    if (present) {
        c->x.has_excluded = true;
        if (parse_subtrees(c, t.value, &c->x.excluded) != 0)
            return MOTE_EDECODE;
    }
    if (mote_asn1_leave(&r) != 0 || mote_asn1_reader_finish(&r) != 0)
        return MOTE_EDECODE;
    /* RFC 5280 4.2.1.10: "either the permittedSubtrees field or the
     * excludedSubtrees MUST be present". */
    if (!c->x.has_permitted && !c->x.has_excluded)
        return MOTE_EDECODE;
    return 0;
}

/* Opens a SEQUENCE SIZE (1..MAX) OF: counts its elements into *n, starts r
 * on the content, and returns room for n elements of elem bytes from the
 * certificate's arena. NULL with *err = MOTE_EDECODE if malformed or
 * empty, MOTE_ENOMEM. */
static void *seq_of_open(mote_x509_cert *c, mote_slice der, size_t elem, size_t *n,
                         mote_asn1_reader *r, int *err)
{
    mote_slice content;
    if (seq_content(der, &content) != 0 || count_elements(content, n) != 0 || *n == 0) {
        *err = MOTE_EDECODE;
        return NULL;
    }
    void *v = x509_arena_alloc(&c->arena, *n * elem);
    if (!v) {
        *err = MOTE_ENOMEM;
        return NULL;
    }
    mote_asn1_reader_init(r, content.ptr, content.len);
    return v;
}

/* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
static int parse_eku(mote_x509_cert *c, mote_slice der)
{
    size_t n;
    mote_asn1_reader r;
    int rc;
    mote_slice *v = seq_of_open(c, der, sizeof(*v), &n, &r, &rc);
    if (!v)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (mote_asn1_read_oid(&r, &v[i]) != 0)
            return MOTE_EDECODE;
    if (mote_asn1_reader_finish(&r) != 0)
        return MOTE_EDECODE;
    c->x.eku = v;
    c->x.n_eku = n;
    return 0;
}

/* certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
 * PolicyInformation ::= SEQUENCE { policyIdentifier CertPolicyId,
 *     policyQualifiers SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo OPTIONAL }
 * PolicyQualifierInfo ::= SEQUENCE { policyQualifierId OID, qualifier ANY } */
static int parse_policies(mote_x509_cert *c, mote_slice der)
{
    size_t n;
    mote_asn1_reader r;
    int rc;
    mote_x509_policy_info *v = seq_of_open(c, der, sizeof(*v), &n, &r, &rc);
    if (!v)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0 ||
            mote_asn1_read_oid(&r, &v[i].oid) != 0)
            return MOTE_EDECODE;
        for (size_t j = 0; j < i; j++)
            if (mote_slice_eq(v[j].oid, v[i].oid))
                return MOTE_EDECODE; /* 4.2.1.4: a policy OID MUST NOT appear twice */
        if (!mote_asn1_at_end(&r)) {
            mote_asn1_tlv q;
            if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, &q) != 0)
                return MOTE_EDECODE;
            size_t nq = 0;
            while (!mote_asn1_at_end(&r)) {
                mote_slice qid;
                if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0 ||
                    mote_asn1_read_oid(&r, &qid) != 0 || mote_asn1_next(&r, NULL) != 0 ||
                    mote_asn1_leave(&r) != 0)
                    return MOTE_EDECODE;
                nq++;
            }
            if (nq == 0 || mote_asn1_leave(&r) != 0)
                return MOTE_EDECODE;
            v[i].qualifiers = q.raw;
        }
        if (mote_asn1_leave(&r) != 0)
            return MOTE_EDECODE;
    }
    if (mote_asn1_reader_finish(&r) != 0)
        return MOTE_EDECODE;
    c->x.policies = v;
    c->x.n_policies = n;
    return 0;
}

/* PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE {
 *     issuerDomainPolicy CertPolicyId, subjectDomainPolicy CertPolicyId } */
static int parse_mappings(mote_x509_cert *c, mote_slice der)
{
    size_t n;
    mote_asn1_reader r;
    int rc;
    mote_x509_policy_mapping *v = seq_of_open(c, der, sizeof(*v), &n, &r, &rc);
    if (!v)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0 ||
            mote_asn1_read_oid(&r, &v[i].issuer_policy) != 0 ||
            mote_asn1_read_oid(&r, &v[i].subject_policy) != 0 || mote_asn1_leave(&r) != 0)
            return MOTE_EDECODE;
    if (mote_asn1_reader_finish(&r) != 0)
        return MOTE_EDECODE;
    c->x.mappings = v;
    c->x.n_mappings = n;
    return 0;
}

/* AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
 * AccessDescription ::= SEQUENCE { accessMethod OID, accessLocation GeneralName } */
static int parse_aia(mote_x509_cert *c, mote_slice der)
{
    size_t n;
    mote_asn1_reader r;
    int rc;
    mote_x509_access *v = seq_of_open(c, der, sizeof(*v), &n, &r, &rc);
    if (!v)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0 ||
            mote_asn1_read_oid(&r, &v[i].method) != 0 ||
            x509_parse_general_name(&r, &v[i].location) != 0 || mote_asn1_leave(&r) != 0)
            return MOTE_EDECODE;
    if (mote_asn1_reader_finish(&r) != 0)
        return MOTE_EDECODE;
    c->x.aia = v;
    c->x.n_aia = n;
    return 0;
}

/* CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
 * DistributionPoint ::= SEQUENCE {
 *     distributionPoint [0] DistributionPointName OPTIONAL,
 *     reasons           [1] ReasonFlags OPTIONAL,
 *     cRLIssuer         [2] GeneralNames OPTIONAL }
 * DistributionPointName ::= CHOICE {
 *     fullName                [0] GeneralNames,
 *     nameRelativeToCRLIssuer [1] RelativeDistinguishedName } */
static int parse_crldp(mote_x509_cert *c, mote_slice der)
{
    mote_slice content;
    size_t n;
    if (seq_content(der, &content) != 0 || count_elements(content, &n) != 0 || n == 0)
        return MOTE_EDECODE;
    /* First pass: total number of fullName entries. */
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        mote_x509_general_name *v = NULL;
        if (pass == 1 && total) {
            v = x509_arena_alloc(&c->arena, total * sizeof(*v));
            if (!v)
                return MOTE_ENOMEM;
            c->x.crl_dp.v = v;
        }
        size_t k = 0;
        mote_asn1_reader r;
        mote_asn1_reader_init(&r, content.ptr, content.len);
        for (size_t i = 0; i < n; i++) {
            bool present;
            mote_asn1_tlv t;
            if (mote_asn1_enter(&r, MOTE_ASN1_SEQUENCE, NULL) != 0 ||
                mote_asn1_optional(&r, MOTE_ASN1_CONTEXT_CONS(0), &t, &present) != 0)
                return MOTE_EDECODE;
            bool any = present;
            if (present) {
                mote_asn1_reader d;
                mote_asn1_tlv name;
                mote_asn1_reader_init(&d, t.value.ptr, t.value.len);
                if (mote_asn1_next(&d, &name) != 0 || mote_asn1_reader_finish(&d) != 0)
                    return MOTE_EDECODE;
                if (name.tag == MOTE_ASN1_CONTEXT_CONS(0)) {
                    mote_x509_general_names l;
                    if (parse_gn_list(c, name.value, 1, &l) != 0)
                        return MOTE_EDECODE;
                    for (size_t j = 0; j < l.n; j++) {
                        if (v)
                            v[k] = l.v[j];
                        k++;
                    }
                } else if (name.tag != MOTE_ASN1_CONTEXT_CONS(1)) {
                    return MOTE_EDECODE;
                }
            }
            if (mote_asn1_optional(&r, MOTE_ASN1_CONTEXT(1), &t, &present) != 0)
                return MOTE_EDECODE;
            if (present && mote_asn1_decode_bits(t.value, &(mote_asn1_bits){0}, NULL) != 0)
                return MOTE_EDECODE;
            if (mote_asn1_optional(&r, MOTE_ASN1_CONTEXT_CONS(2), &t, &present) != 0)
                return MOTE_EDECODE;
            if (present) {
                mote_x509_general_names l;
                if (parse_gn_list(c, t.value, 1, &l) != 0)
                    return MOTE_EDECODE;
                any = true;
            }
            /* 4.2.1.13: a DistributionPoint MUST NOT consist of only reasons. */
            if (!any || mote_asn1_leave(&r) != 0)
                return MOTE_EDECODE;
        }
        if (mote_asn1_reader_finish(&r) != 0)
            return MOTE_EDECODE;
        if (pass == 0 && k > MOTE_X509_MAX_LIST)
            return MOTE_ELIMIT;
        if (pass == 0)
            total = k;
        else
            c->x.crl_dp.n = k;
    }
    c->x.n_crl_dp = n;
    return 0;
}

static int ext_id(mote_slice oid)
{
    switch (mote_asn1_oid_lookup(oid)) {
    case MOTE_ASN1_OID_BASIC_CONSTRAINTS:
        return MOTE_X509_EXT_BASIC_CONSTRAINTS;
    case MOTE_ASN1_OID_KEY_USAGE:
        return MOTE_X509_EXT_KEY_USAGE;
    case MOTE_ASN1_OID_EXT_KEY_USAGE:
        return MOTE_X509_EXT_EXT_KEY_USAGE;
    case MOTE_ASN1_OID_SUBJECT_ALT_NAME:
        return MOTE_X509_EXT_SUBJECT_ALT_NAME;
    case MOTE_ASN1_OID_ISSUER_ALT_NAME:
        return MOTE_X509_EXT_ISSUER_ALT_NAME;
    case MOTE_ASN1_OID_NAME_CONSTRAINTS:
        return MOTE_X509_EXT_NAME_CONSTRAINTS;
    case MOTE_ASN1_OID_CERTIFICATE_POLICIES:
        return MOTE_X509_EXT_CERTIFICATE_POLICIES;
    case MOTE_ASN1_OID_POLICY_MAPPINGS:
        return MOTE_X509_EXT_POLICY_MAPPINGS;
    case MOTE_ASN1_OID_POLICY_CONSTRAINTS:
        return MOTE_X509_EXT_POLICY_CONSTRAINTS;
    case MOTE_ASN1_OID_INHIBIT_ANY_POLICY:
        return MOTE_X509_EXT_INHIBIT_ANY_POLICY;
    case MOTE_ASN1_OID_AUTHORITY_KEY_IDENTIFIER:
        return MOTE_X509_EXT_AUTHORITY_KEY_ID;
    case MOTE_ASN1_OID_SUBJECT_KEY_IDENTIFIER:
        return MOTE_X509_EXT_SUBJECT_KEY_ID;
    case MOTE_ASN1_OID_AUTHORITY_INFO_ACCESS:
        return MOTE_X509_EXT_AUTHORITY_INFO_ACCESS;
    case MOTE_ASN1_OID_CRL_DISTRIBUTION_POINTS:
        return MOTE_X509_EXT_CRL_DISTRIBUTION_POINTS;
    default:
        return -1;
    }
}

static const char *const ext_names[MOTE_X509_EXT_COUNT_] = {
    "basicConstraints",
    "keyUsage",
    "extKeyUsage",
    "subjectAltName",
    "issuerAltName",
    "nameConstraints",
    "certificatePolicies",
    "policyMappings",
    "policyConstraints",
    "inhibitAnyPolicy",
    "authorityKeyIdentifier",
    "subjectKeyIdentifier",
    "authorityInfoAccess",
    "cRLDistributionPoints",
};

static int parse_one(mote_x509_cert *c, int id, mote_slice v)
{
    mote_x509_exts *x = &c->x;
    mote_asn1_error e;
    mote_slice content;
    switch (id) {
    case MOTE_X509_EXT_BASIC_CONSTRAINTS: {
        struct basic_constraints bc;
        if (mote_asn1_decode(basic_constraints, v, &bc, &e) != 0)
            return MOTE_EDECODE;
        x->ca = bc.ca;
        x->pathlen = -1;
        if (bc.has_path_len && clamp_int(bc.path_len, &x->pathlen) != 0)
            return MOTE_EDECODE;
        return 0;
    }
    case MOTE_X509_EXT_KEY_USAGE: {
        /* Read as a plain BIT STRING: DER wants no trailing zero bits in a
         * named bit list, but trusted roots in the wild (Trustwave Global
         * ECC P256, for one) carry them, so they are tolerated here. */
        mote_asn1_reader r;
        mote_asn1_bits bits;
        mote_asn1_reader_init(&r, v.ptr, v.len);
        if (mote_asn1_read_bits(&r, &bits) != 0 || mote_asn1_reader_finish(&r) != 0)
            return MOTE_EDECODE;
        x->key_usage = 0;
        for (size_t i = 0; i < mote_asn1_bits_count(&bits); i++) {
            if (!mote_asn1_bits_get(&bits, i))
                continue;
            if (i >= 9)
                return MOTE_EDECODE;
            x->key_usage |= 1u << i;
        }
        /* 4.2.1.3: at least one bit MUST be set. */
        if (x->key_usage == 0)
            return MOTE_EDECODE;
        return 0;
    }
    case MOTE_X509_EXT_EXT_KEY_USAGE:
        return parse_eku(c, v);
    case MOTE_X509_EXT_SUBJECT_ALT_NAME:
        if (seq_content(v, &content) != 0)
            return MOTE_EDECODE;
        return parse_gn_list(c, content, 1, &x->san);
    case MOTE_X509_EXT_ISSUER_ALT_NAME:
        if (seq_content(v, &content) != 0)
            return MOTE_EDECODE;
        return parse_gn_list(c, content, 1, &x->ian);
    case MOTE_X509_EXT_NAME_CONSTRAINTS:
        return parse_name_constraints(c, v);
    case MOTE_X509_EXT_CERTIFICATE_POLICIES:
        return parse_policies(c, v);
    case MOTE_X509_EXT_POLICY_MAPPINGS:
        return parse_mappings(c, v);
    case MOTE_X509_EXT_POLICY_CONSTRAINTS: {
        struct policy_constraints pc;
        if (mote_asn1_decode(policy_constraints, v, &pc, &e) != 0)
            return MOTE_EDECODE;
        /* 4.2.1.11: conforming CAs MUST NOT issue an empty sequence. */
        if (!pc.has_require && !pc.has_inhibit)
            return MOTE_EDECODE;
        if (pc.has_require && clamp_int(pc.require_explicit, &x->require_explicit_policy) != 0)
            return MOTE_EDECODE;
        if (pc.has_inhibit && clamp_int(pc.inhibit_mapping, &x->inhibit_policy_mapping) != 0)
            return MOTE_EDECODE;
        return 0;
    }
    case MOTE_X509_EXT_INHIBIT_ANY_POLICY: {
        mote_asn1_reader r;
        int64_t n;
        mote_asn1_reader_init(&r, v.ptr, v.len);
        if (mote_asn1_read_int64(&r, &n) != 0 || mote_asn1_reader_finish(&r) != 0)
            return MOTE_EDECODE;
        return clamp_int(n, &x->inhibit_any_policy);
    }
    case MOTE_X509_EXT_AUTHORITY_KEY_ID: {
        struct aki a;
        if (mote_asn1_decode(authority_key_identifier, v, &a, &e) != 0)
            return MOTE_EDECODE;
        x->aki_key_id = a.has_key_id ? a.key_identifier : mote_slice_make(NULL, 0);
        x->aki_has_issuer = a.has_issuer;
        x->aki_has_serial = a.has_serial;
        if (a.has_issuer && parse_gn_list(c, a.authority_cert_issuer.value, 1, &x->aki_issuer))
            return MOTE_EDECODE;
        x->aki_serial = a.authority_cert_serial_number;
        /* 4.2.1.1: issuer and serial are present together or not at all. */
        if (a.has_issuer != a.has_serial)
            return MOTE_EDECODE;
        return 0;
    }
    case MOTE_X509_EXT_SUBJECT_KEY_ID: {
        mote_asn1_reader r;
        mote_asn1_reader_init(&r, v.ptr, v.len);
        if (mote_asn1_read_octets(&r, &x->ski) != 0 || mote_asn1_reader_finish(&r) != 0)
            return MOTE_EDECODE;
        return 0;
    }
    case MOTE_X509_EXT_AUTHORITY_INFO_ACCESS:
        return parse_aia(c, v);
    case MOTE_X509_EXT_CRL_DISTRIBUTION_POINTS:
        return parse_crldp(c, v);
    default:
        return 0;
    }
}

int x509_parse_extensions(mote_x509_cert *c, char *why, size_t why_len)
{
    c->x.pathlen = -1;
    c->x.require_explicit_policy = -1;
    c->x.inhibit_policy_mapping = -1;
    c->x.inhibit_any_policy = -1;
    for (size_t i = 0; i < c->n_exts; i++) {
        mote_x509_ext *e = &c->exts[i];
        int id = ext_id(e->oid);
        e->known = id;
        if (id < 0)
            continue;
        int rc = parse_one(c, id, e->value);
        if (rc != 0) {
            x509_why(why, why_len, "malformed %s extension", ext_names[id]);
            return rc == MOTE_ENOMEM ? rc : (rc == MOTE_ELIMIT ? rc : MOTE_EDECODE);
        }
        c->x.present |= 1u << id;
        if (e->critical)
            c->x.critical |= 1u << id;
    }
    return 0;
}

const char *x509_ext_name(int id);
const char *x509_ext_name(int id)
{
    return id >= 0 && id < MOTE_X509_EXT_COUNT_ ? ext_names[id] : "unknown";
}
