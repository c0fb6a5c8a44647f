/* asn1_internal.h - helpers shared by the files of libmote-asn1 (private). */
#ifndef MOTE_ASN1_INTERNAL_H
#define MOTE_ASN1_INTERNAL_H

#include "mote/asn1.h"

struct asn1_oid_entry {
    const char *dotted;
    const char *name;
    const char *short_name;
    const uint8_t *bytes;
    size_t len;
};

extern const struct asn1_oid_entry asn1_oid_table[MOTE_ASN1_OID_COUNT_];

/* A parsed header: tag, header length, content length. */
typedef struct asn1_hdr {
    mote_asn1_tag tag;
    size_t hdr_len;
    size_t len;
} asn1_hdr;

/* Parses the header at data[pos] with the element required to end at or
 * before `end`. On failure returns the code and sets *reason and *fault
 * (the offset in data of the octet at fault). In lax mode a non-minimal
 * length is accepted and lax_reason, lax_fault record it. */
int asn1_parse_header(const uint8_t *data, size_t pos, size_t end, int lax, asn1_hdr *h,
                      mote_asn1_reason *reason, size_t *fault, mote_asn1_reason *lax_reason,
                      size_t *lax_fault);

/* The index, within content octets that failed with `reason`, of the
 * octet at fault where one can be named (an OID sub-identifier, a string
 * character, the last octet of a BIT STRING), else 0. */
size_t asn1_fault_index(mote_asn1_tag tag, mote_slice content, mote_asn1_reason reason);

/* DER order of two encodings (X.690 11.6): <0, 0, >0. */
int asn1_der_compare(mote_slice a, mote_slice b);

#endif
