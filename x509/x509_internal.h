/*
 * x509_internal.h - private parts of libmote-x509 (not installed).
 */
#ifndef MOTE_X509_INTERNAL_H
#define MOTE_X509_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>

#include "mote/asn1.h"
#include "mote/asn1_pem.h"
#include "mote/x509.h"

/* A bump allocator: memory for a certificate's decoded lists and names,
 * released all at once with the certificate. */
struct x509_chunk {
    struct x509_chunk *next;
    size_t cap, used;
    max_align_t data[];
};

struct x509_arena {
    struct x509_chunk *chunks; /* extra chunks (malloc'd) */
    unsigned char *inline_ptr; /* the first chunk, inside the certificate block */
    size_t inline_cap, inline_used;
};

void *x509_arena_alloc(struct x509_arena *a, size_t n);
void x509_arena_free(struct x509_arena *a);

struct mote_x509_cert {
    atomic_uint refs;
    uint8_t *der;
    size_t der_len;
    mote_slice tbs;
    int version;
    mote_slice serial;
    mote_slice tbs_sig_alg_raw; /* TBSCertificate.signature, whole DER */
    mote_slice sig_alg_raw;     /* Certificate.signatureAlgorithm, whole DER */
    mote_slice sig_alg_oid;
    mote_asn1_tlv sig_alg_params;
    mote_x509_sig_alg sig_alg;
    mote_x509_name issuer, subject;
    mote_slice issuer_canon, subject_canon; /* name comparison forms (arena) */
    mote_time not_before, not_after;
    mote_slice spki, spki_alg_oid, pubkey;
    mote_asn1_tlv spki_params;
    uint8_t pubkey_unused;
    mote_x509_key_alg key_alg;
    mote_slice signature;
    uint8_t signature_unused;
    mote_slice issuer_uid, subject_uid;
    mote_x509_ext *exts;
    size_t n_exts;
    mote_x509_exts x;
    bool self_issued;
    struct x509_arena arena;
};

/* Formats into why (may be NULL). */
void x509_why(char *why, size_t n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* names.c */
typedef void *(*x509_alloc_fn)(void *ctx, size_t n);
int x509_name_parse(mote_slice der, mote_x509_name *out, x509_alloc_fn alloc, void *ctx);
int x509_name_canonical(const mote_x509_name *n, mote_buf *out);

/* ext.c */
int x509_parse_general_name(mote_asn1_reader *r, mote_x509_general_name *gn);
int x509_parse_extensions(mote_x509_cert *c, char *why, size_t why_len);

/* host.c */
int x509_dns_name_valid(mote_slice name, bool allow_wildcard);
int x509_dns_match(mote_slice presented, mote_slice reference);

/* sig.c */
mote_x509_sig_alg x509_sig_alg_from(mote_slice oid, const mote_asn1_tlv *params);
mote_x509_key_alg x509_key_alg_from(mote_slice oid, const mote_asn1_tlv *params);

#endif
