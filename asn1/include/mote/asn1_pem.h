/*
 * mote/asn1_pem.h - PEM (RFC 7468) text encoding of DER, and base64.
 *
 * A PEM file holds one or more blocks
 *
 *   -----BEGIN LABEL-----
 *   base64 lines
 *   -----END LABEL-----
 *
 * with any text between blocks (explanatory text is allowed by RFC 7468).
 * The reader is strict inside a block: the END label must equal the BEGIN
 * label, labels use the printable characters RFC 7468 allows, and the base64
 * must be canonical (only the base64 alphabet and line breaks or spaces
 * between lines, correct '=' padding, zero pad bits, nothing after the
 * padding). Decoded blocks are bounded in size. The writer emits the
 * "strict" form: lines of 64 characters and LF line ends.
 */
#ifndef MOTE_ASN1_PEM_H
#define MOTE_ASN1_PEM_H

#include <stddef.h>
#include <stdint.h>

#include "mote/asn1.h"
#include "mote/bytes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds: label length, and default bound on one block's decoded size. */
#define MOTE_ASN1_PEM_LABEL_MAX 64
#define MOTE_ASN1_PEM_BLOCK_MAX (1u << 20)

/* Walks the blocks of a PEM text; keeps a pointer into the text. */
typedef struct mote_asn1_pem_reader {
    mote_slice text;
    size_t pos;
    size_t max_block; /* largest decoded block accepted (MOTE_ELIMIT past it) */
} mote_asn1_pem_reader;

void mote_asn1_pem_reader_init(mote_asn1_pem_reader *pr, mote_slice text);

/* Finds the next block. On success *label views the label in the text,
 * the decoded bytes are appended to der (the caller owns and frees der),
 * and *offset (if not NULL) gets the offset of its BEGIN line. Returns 0,
 * MOTE_ENOTFOUND when no block is left, MOTE_EDECODE for a malformed block
 * (e->offset is the offset in the text of the fault), MOTE_ELIMIT past the
 * size bound, or a mote_buf error. */
int mote_asn1_pem_next(mote_asn1_pem_reader *pr, mote_slice *label, mote_buf *der, size_t *offset,
                       mote_asn1_error *e);

/* 1 if the text's first non-blank line starts with "-----BEGIN ". */
int mote_asn1_pem_detect(mote_slice text);

/* Appends a block with the label and the base64 of der in 64-character
 * lines. MOTE_EINVAL for a bad label, or a mote_buf error. */
int mote_asn1_pem_write(mote_buf *out, const char *label, mote_slice der);

/* Base64 (RFC 4648, standard alphabet, padded). encode appends the text
 * (no line breaks). decode appends the bytes of canonical base64 with no
 * whitespace: MOTE_EDECODE for a bad character, bad padding or non-zero pad
 * bits, *bad_at (if not NULL) getting the offset of the fault. */
int mote_asn1_base64_encode(mote_slice data, mote_buf *out);
int mote_asn1_base64_decode(mote_slice text, mote_buf *out, size_t *bad_at);

#ifdef __cplusplus
}
#endif
#endif
