/*
 * cert_schema.h - an example of mote_asn1 schemas: the X.509 Certificate of
 * RFC 5280 section 4.1, decoded field by field into C structs. Used by the
 * asn1 tests and by bench/asn1; libmote-x509 has its own, complete one.
 *
 * The tables follow the ASN.1 module line by line; the ASN.1 is quoted
 * above each table.
 */
#ifndef MOTE_TESTS_ASN1_CERT_SCHEMA_H
#define MOTE_TESTS_ASN1_CERT_SCHEMA_H

#include <stddef.h>

#include "mote/asn1.h"

#define EX_MAX_RDNS 16
#define EX_MAX_ATVS 4
#define EX_MAX_EXTS 32

struct ex_algid {
    mote_slice algorithm;
    mote_asn1_tlv parameters;
};
struct ex_atv {
    mote_slice type;
    mote_asn1_tlv value;
};
struct ex_rdn {
    struct ex_atv atv[EX_MAX_ATVS];
    size_t n;
};
struct ex_name {
    struct ex_rdn rdn[EX_MAX_RDNS];
    size_t n;
};
struct ex_validity {
    mote_asn1_time not_before;
    mote_asn1_time not_after;
};
struct ex_spki {
    struct ex_algid algorithm;
    mote_asn1_bits subject_public_key;
};
struct ex_extension {
    mote_slice extn_id;
    bool critical;
    mote_slice extn_value;
};
struct ex_tbs {
    int64_t version;
    mote_slice serial_number;
    struct ex_algid signature;
    struct ex_name issuer;
    struct ex_validity validity;
    struct ex_name subject;
    struct ex_spki subject_public_key_info;
    mote_asn1_bits issuer_unique_id;
    mote_asn1_bits subject_unique_id;
    struct ex_extension extensions[EX_MAX_EXTS];
    size_t n_extensions;
};
struct ex_certificate {
    struct ex_tbs tbs_certificate;
    mote_asn1_tlv tbs_raw; /* the signed bytes */
    struct ex_algid signature_algorithm;
    mote_asn1_bits signature_value;
};

/* AlgorithmIdentifier  ::=  SEQUENCE  {
 *      algorithm               OBJECT IDENTIFIER,
 *      parameters              ANY DEFINED BY algorithm OPTIONAL  } */
static const mote_asn1_field ex_algorithm_identifier[] = {
    {MOTE_ASN1_F_OID(struct ex_algid, algorithm)},
    {MOTE_ASN1_F_ANY(struct ex_algid, parameters), MOTE_ASN1_OPTIONAL},
    MOTE_ASN1_END,
};

/* AttributeTypeAndValue ::= SEQUENCE {
 *      type     AttributeType,
 *      value    AttributeValue }                -- ANY DEFINED BY type */
static const mote_asn1_field ex_attribute_type_and_value[] = {
    {MOTE_ASN1_F_OID(struct ex_atv, type)},
    {MOTE_ASN1_F_ANY(struct ex_atv, value)},
    MOTE_ASN1_END,
};

/* RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue */
static const mote_asn1_field ex_relative_distinguished_name = {
    MOTE_ASN1_F_SET_OF(struct ex_rdn, atv, n, ex_attribute_type_and_value, 1),
};

/* Validity ::= SEQUENCE {
 *      notBefore      Time,
 *      notAfter       Time }
 * (TIME_TAGGED keeps which of UTCTime/GeneralizedTime each was, so that a
 * certificate using GeneralizedTime before 2050 re-encodes identically.) */
static const mote_asn1_field ex_validity[] = {
    {MOTE_ASN1_F_TIME_TAGGED(struct ex_validity, not_before)},
    {MOTE_ASN1_F_TIME_TAGGED(struct ex_validity, not_after)},
    MOTE_ASN1_END,
};

/* SubjectPublicKeyInfo  ::=  SEQUENCE  {
 *      algorithm            AlgorithmIdentifier,
 *      subjectPublicKey     BIT STRING  } */
static const mote_asn1_field ex_subject_public_key_info[] = {
    {MOTE_ASN1_F_SEQUENCE(struct ex_spki, algorithm, ex_algorithm_identifier)},
    {MOTE_ASN1_F_BITS(struct ex_spki, subject_public_key)},
    MOTE_ASN1_END,
};

/* Extension  ::=  SEQUENCE  {
 *      extnID      OBJECT IDENTIFIER,
 *      critical    BOOLEAN DEFAULT FALSE,
 *      extnValue   OCTET STRING  } */
static const mote_asn1_field ex_extension[] = {
    {MOTE_ASN1_F_OID(struct ex_extension, extn_id)},
    {MOTE_ASN1_F_BOOL(struct ex_extension, critical), MOTE_ASN1_DEFAULT(0)},
    {MOTE_ASN1_F_OCTETS(struct ex_extension, extn_value)},
    MOTE_ASN1_END,
};

/* TBSCertificate  ::=  SEQUENCE  {
 *      version         [0]  EXPLICIT Version DEFAULT v1,
 *      serialNumber         CertificateSerialNumber,
 *      signature            AlgorithmIdentifier,
 *      issuer               Name,       -- SEQUENCE OF RelativeDistinguishedName
 *      validity             Validity,
 *      subject              Name,
 *      subjectPublicKeyInfo SubjectPublicKeyInfo,
 *      issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,
 *      subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,
 *      extensions      [3]  EXPLICIT Extensions OPTIONAL }
 *                           -- Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension */
static const mote_asn1_field ex_tbs_certificate[] = {
    {MOTE_ASN1_F_INT64(struct ex_tbs, version), MOTE_ASN1_EXPLICIT(0), MOTE_ASN1_DEFAULT(0)},
    {MOTE_ASN1_F_INTEGER(struct ex_tbs, serial_number)},
    {MOTE_ASN1_F_SEQUENCE(struct ex_tbs, signature, ex_algorithm_identifier)},
    {MOTE_ASN1_F_SEQUENCE_OF_ITEM(struct ex_tbs, issuer.rdn, issuer.n,
                                  &ex_relative_distinguished_name, 0)},
    {MOTE_ASN1_F_SEQUENCE(struct ex_tbs, validity, ex_validity)},
    {MOTE_ASN1_F_SEQUENCE_OF_ITEM(struct ex_tbs, subject.rdn, subject.n,
                                  &ex_relative_distinguished_name, 0)},
    {MOTE_ASN1_F_SEQUENCE(struct ex_tbs, subject_public_key_info, ex_subject_public_key_info)},
    {MOTE_ASN1_F_BITS(struct ex_tbs, issuer_unique_id), MOTE_ASN1_IMPLICIT(1), MOTE_ASN1_OPTIONAL},
    {MOTE_ASN1_F_BITS(struct ex_tbs, subject_unique_id), MOTE_ASN1_IMPLICIT(2), MOTE_ASN1_OPTIONAL},
    {MOTE_ASN1_F_SEQUENCE_OF(struct ex_tbs, extensions, n_extensions, ex_extension, 1),
     MOTE_ASN1_EXPLICIT(3), MOTE_ASN1_OPTIONAL},
    MOTE_ASN1_END,
};

/* Certificate  ::=  SEQUENCE  {
 *      tbsCertificate       TBSCertificate,
 *      signatureAlgorithm   AlgorithmIdentifier,
 *      signatureValue       BIT STRING  } */
static const mote_asn1_field ex_certificate[] = {
    {MOTE_ASN1_F_SEQUENCE(struct ex_certificate, tbs_certificate, ex_tbs_certificate),
     MOTE_ASN1_KEEP_RAW(struct ex_certificate, tbs_raw)},
    {MOTE_ASN1_F_SEQUENCE(struct ex_certificate, signature_algorithm, ex_algorithm_identifier)},
    {MOTE_ASN1_F_BITS(struct ex_certificate, signature_value)},
    MOTE_ASN1_END,
};

#endif
