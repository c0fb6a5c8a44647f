/*
 * mote/asn1.h - libmote-asn1: a strict DER reader and writer.
 *
 * libmote-asn1 reads and writes ASN.1 values in the Distinguished Encoding
 * Rules (X.690 DER), the encoding of X.509, PKCS#1, PKCS#8, SEC1 and the
 * certificate parts of TLS. It offers three layers:
 *
 *  - a cursor, mote_asn1_reader, for hand-written decoders: peek at the next
 *    tag, read the next element, enter and leave SEQUENCE/SET and tagged
 *    elements, and read typed values (BOOLEAN, INTEGER, BIT STRING, OID,
 *    the string types, UTCTime/GeneralizedTime, ...);
 *  - a declarative schema, mote_asn1_field tables, that reads close to the
 *    ASN.1 module it describes and decodes a structure into a caller's C
 *    struct (fields located with offsetof), or encodes one from it;
 *  - a writer, mote_asn1_writer, that builds DER into a core mote_buf with
 *    nested constructed types (lengths back-patched) and sorts SET OF.
 *
 * Decoding never copies and never allocates: every value comes back as a
 * mote_slice (a view into the input), so decoded structures are valid only
 * as long as the input bytes are. The reader is strict: anything DER forbids
 * (BER length forms, indefinite lengths, trailing bytes, non-canonical
 * BOOLEANs, INTEGERs or OIDs with redundant leading bytes, times not in DER
 * form, unsorted SET OF, DEFAULT values encoded, bad string characters, ...)
 * fails with MOTE_EDECODE, and anything past a bound (nesting depth, tag
 * number size, SEQUENCE OF count) with MOTE_ELIMIT. Each failure also fills
 * a mote_asn1_error with the byte offset in the input and the reason.
 *
 * Object identifiers convert to and from dotted text, and a table maps the
 * well-known ones (algorithms, curves, X.520 attributes, X.509 extensions)
 * to names and to mote_asn1_oid_id numbers for switch statements.
 *
 * PEM (RFC 7468) is in mote/asn1_pem.h.
 */
#ifndef MOTE_ASN1_H
#define MOTE_ASN1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mote/bytes.h"
#include "mote/error.h"
#include "mote/time.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Tags
 *
 * A tag is one uint32_t: the class and the constructed bit in the top byte
 * (the same bits as in the DER identifier octet) and the tag number in the
 * low 24 bits. Tags compare with ==. Tag numbers up to 2^24-1 are accepted
 * (the high-tag-number form is used from 31 on); larger ones are MOTE_ELIMIT.
 * ---------------------------------------------------------------------- */
typedef uint32_t mote_asn1_tag;

#define MOTE_ASN1_CLASS_UNIVERSAL   0x00u
#define MOTE_ASN1_CLASS_APPLICATION 0x40u
#define MOTE_ASN1_CLASS_CONTEXT     0x80u
#define MOTE_ASN1_CLASS_PRIVATE     0xC0u
#define MOTE_ASN1_CONSTRUCTED       0x20u
#define MOTE_ASN1_TAG_NUMBER_MAX    0x00FFFFFFu

/* Makes a tag from class bits (| MOTE_ASN1_CONSTRUCTED) and a number. */
#define MOTE_ASN1_TAG(bits, number)     (((uint32_t)(bits) << 24) | ((uint32_t)(number)&0xFFFFFFu))
#define MOTE_ASN1_TAG_CLASS(t)          (((t) >> 24) & 0xC0u)
#define MOTE_ASN1_TAG_IS_CONSTRUCTED(t) ((((t) >> 24) & MOTE_ASN1_CONSTRUCTED) != 0)
#define MOTE_ASN1_TAG_NUM(t)            ((t)&0xFFFFFFu)

/* Context-specific [n], primitive and constructed; application likewise. */
#define MOTE_ASN1_CONTEXT(n)      MOTE_ASN1_TAG(MOTE_ASN1_CLASS_CONTEXT, n)
#define MOTE_ASN1_CONTEXT_CONS(n) MOTE_ASN1_TAG(MOTE_ASN1_CLASS_CONTEXT | MOTE_ASN1_CONSTRUCTED, n)
#define MOTE_ASN1_APPLICATION(n)  MOTE_ASN1_TAG(MOTE_ASN1_CLASS_APPLICATION, n)
#define MOTE_ASN1_APPLICATION_CONS(n)                                                              \
    MOTE_ASN1_TAG(MOTE_ASN1_CLASS_APPLICATION | MOTE_ASN1_CONSTRUCTED, n)

/* Universal tags (as they appear in DER: SEQUENCE and SET constructed). */
#define MOTE_ASN1_BOOLEAN          MOTE_ASN1_TAG(0, 1)
#define MOTE_ASN1_INTEGER          MOTE_ASN1_TAG(0, 2)
#define MOTE_ASN1_BIT_STRING       MOTE_ASN1_TAG(0, 3)
#define MOTE_ASN1_OCTET_STRING     MOTE_ASN1_TAG(0, 4)
#define MOTE_ASN1_NULL             MOTE_ASN1_TAG(0, 5)
#define MOTE_ASN1_OID              MOTE_ASN1_TAG(0, 6)
#define MOTE_ASN1_ENUMERATED       MOTE_ASN1_TAG(0, 10)
#define MOTE_ASN1_UTF8_STRING      MOTE_ASN1_TAG(0, 12)
#define MOTE_ASN1_SEQUENCE         MOTE_ASN1_TAG(MOTE_ASN1_CONSTRUCTED, 16)
#define MOTE_ASN1_SET              MOTE_ASN1_TAG(MOTE_ASN1_CONSTRUCTED, 17)
#define MOTE_ASN1_NUMERIC_STRING   MOTE_ASN1_TAG(0, 18)
#define MOTE_ASN1_PRINTABLE_STRING MOTE_ASN1_TAG(0, 19)
#define MOTE_ASN1_TELETEX_STRING   MOTE_ASN1_TAG(0, 20)
#define MOTE_ASN1_IA5_STRING       MOTE_ASN1_TAG(0, 22)
#define MOTE_ASN1_UTC_TIME         MOTE_ASN1_TAG(0, 23)
#define MOTE_ASN1_GENERALIZED_TIME MOTE_ASN1_TAG(0, 24)
#define MOTE_ASN1_VISIBLE_STRING   MOTE_ASN1_TAG(0, 26)
#define MOTE_ASN1_UNIVERSAL_STRING MOTE_ASN1_TAG(0, 28)
#define MOTE_ASN1_BMP_STRING       MOTE_ASN1_TAG(0, 30)

/* The deepest nesting of constructed elements any reader accepts; a reader
 * may be given a lower bound (mote_asn1_reader_set_max_depth). */
#define MOTE_ASN1_MAX_DEPTH 32

/* Writes a short text form of a tag, such as "SEQUENCE", "INTEGER",
 * "[0]", "[APPLICATION 3]" or "[PRIVATE 1]", into out (NUL-terminated,
 * truncated to n). Returns out. */
const char *mote_asn1_tag_name(mote_asn1_tag tag, char *out, size_t n);

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */
typedef enum mote_asn1_reason {
    MOTE_ASN1_R_NONE = 0,
    MOTE_ASN1_R_TRUNCATED,           /* the header runs past the end of the input */
    MOTE_ASN1_R_LENGTH_PAST_END,     /* the length goes past the enclosing element or input */
    MOTE_ASN1_R_INDEFINITE_LENGTH,   /* 0x80 length: BER only */
    MOTE_ASN1_R_NONMINIMAL_LENGTH,   /* length in more octets than needed */
    MOTE_ASN1_R_LENGTH_TOO_BIG,      /* a length that cannot be represented (or 0xFF) */
    MOTE_ASN1_R_NONMINIMAL_TAG,      /* high-tag form for a number < 31, or 0x80 padding */
    MOTE_ASN1_R_TAG_TOO_BIG,         /* tag number beyond MOTE_ASN1_TAG_NUMBER_MAX */
    MOTE_ASN1_R_TRAILING_BYTES,      /* bytes left after the last element */
    MOTE_ASN1_R_UNEXPECTED_TAG,      /* not the tag the structure needs here */
    MOTE_ASN1_R_MISSING,             /* a required element is absent */
    MOTE_ASN1_R_CONSTRUCTED_FORM,    /* a primitive type encoded constructed, or vice versa */
    MOTE_ASN1_R_BAD_BOOLEAN,         /* BOOLEAN not one octet of 0x00 or 0xFF */
    MOTE_ASN1_R_EMPTY_INTEGER,       /* INTEGER or ENUMERATED with no content octets */
    MOTE_ASN1_R_NONMINIMAL_INTEGER,  /* redundant leading 0x00 or 0xFF octet */
    MOTE_ASN1_R_INTEGER_RANGE,       /* does not fit the C type asked for, or negative */
    MOTE_ASN1_R_BAD_BIT_STRING,      /* empty, unused-bit count > 7, or unused bits in empty */
    MOTE_ASN1_R_BIT_STRING_PADDING,  /* unused bits not zero */
    MOTE_ASN1_R_BIT_STRING_TRAILING, /* named bit list with trailing zero bits */
    MOTE_ASN1_R_BAD_NULL,            /* NULL with content */
    MOTE_ASN1_R_BAD_OID,             /* empty OID or last sub-identifier unfinished */
    MOTE_ASN1_R_NONMINIMAL_OID,      /* a sub-identifier starts with 0x80 */
    MOTE_ASN1_R_BAD_STRING,          /* characters not allowed in that string type */
    MOTE_ASN1_R_BAD_TIME,            /* time not in the DER form (YYMMDDHHMMSSZ, ...) */
    MOTE_ASN1_R_TIME_RANGE,          /* a calendar field out of range */
    MOTE_ASN1_R_DEPTH,               /* nesting deeper than the bound */
    MOTE_ASN1_R_TOO_MANY,            /* SEQUENCE OF / SET OF with more elements than room */
    MOTE_ASN1_R_TOO_FEW,             /* SEQUENCE OF / SET OF with fewer than the minimum */
    MOTE_ASN1_R_DEFAULT_ENCODED,     /* a DEFAULT value present in the encoding */
    MOTE_ASN1_R_SET_ORDER,           /* SET OF elements not in DER order */
    MOTE_ASN1_R_BAD_SCHEMA,          /* the schema itself is wrong (a caller bug) */
    MOTE_ASN1_R_PEM_BAD_LABEL,       /* PEM: malformed BEGIN/END line or label */
    MOTE_ASN1_R_PEM_LABEL_MISMATCH,  /* PEM: END label differs from BEGIN label */
    MOTE_ASN1_R_PEM_NO_END,          /* PEM: no END line for a BEGIN */
    MOTE_ASN1_R_BAD_BASE64,          /* base64: a character outside the alphabet */
    MOTE_ASN1_R_BAD_PADDING,         /* base64: bad '=' padding, pad bits or length */
    MOTE_ASN1_R_TOO_LARGE,           /* PEM: block larger than the bound */
    MOTE_ASN1_R_COUNT_               /* number of reasons (not a reason) */
} mote_asn1_reason;

/* Where and why decoding failed. offset counts bytes from the start of the
 * input given to the reader (plus any base offset the reader was given):
 * for a fault in an element's header it is the octet at fault (the
 * identifier octet, or the first length octet); for a fault in a value it
 * is the octet at fault where one can be named (the OID sub-identifier
 * starting with 0x80, the first bad string character, the padded last
 * octet of a BIT STRING), else the first content octet (a bad BOOLEAN,
 * INTEGER or time); for a missing, unexpected or trailing element it is
 * where that element starts. */
typedef struct mote_asn1_error {
    size_t offset;
    mote_asn1_reason reason;
    mote_asn1_tag tag; /* tag of the element concerned, 0 if none was read */
    const char *field; /* schema field name when decoding with a schema, else NULL */
} mote_asn1_error;

/* A short English phrase for a reason ("non-minimal length encoding", ...);
 * never NULL. */
const char *mote_asn1_reason_text(mote_asn1_reason reason);

/* Formats "offset N: <reason>[ (field NAME)]" into out (NUL-terminated,
 * truncated to n). Returns out. */
const char *mote_asn1_error_format(const mote_asn1_error *e, char *out, size_t n);

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

/* One element (tag, length, value) as found in the input. */
typedef struct mote_asn1_tlv {
    mote_asn1_tag tag;
    size_t offset;    /* offset of the identifier octet (with the reader's base) */
    size_t hdr_len;   /* identifier and length octets */
    mote_slice value; /* the content octets (view into the input) */
    mote_slice raw;   /* the whole element, header included (view) */
} mote_asn1_tlv;

/* A BIT STRING: the content octets after the unused-bits octet, and the
 * number of unused bits (0..7) in the last of them. */
typedef struct mote_asn1_bits {
    mote_slice bytes;
    uint8_t unused;
} mote_asn1_bits;

/* Number of bits in a BIT STRING. */
static inline size_t mote_asn1_bits_count(const mote_asn1_bits *b)
{
    return b->bytes.len * 8 - b->unused;
}

/* Bit i (0 is the most significant bit of the first octet, as ASN.1 numbers
 * named bits); 0 past the end. */
static inline int mote_asn1_bits_get(const mote_asn1_bits *b, size_t i)
{
    if (i >= mote_asn1_bits_count(b))
        return 0;
    return (b->bytes.ptr[i / 8] >> (7 - i % 8)) & 1;
}

/* A character string of any of the ASN.1 string types, with its tag. The
 * value is the raw content octets (UTF-8, UCS-2, UCS-4, T.61, ... as the
 * tag says); mote_asn1_string_to_utf8() converts. */
typedef struct mote_asn1_string {
    mote_asn1_tag tag;
    mote_slice value;
} mote_asn1_string;

/* A Time (RFC 5280: CHOICE { utcTime UTCTime, generalTime GeneralizedTime })
 * with the form it was found in, so that it re-encodes the same way. */
typedef struct mote_asn1_time {
    mote_time time;
    mote_asn1_tag tag; /* MOTE_ASN1_UTC_TIME or MOTE_ASN1_GENERALIZED_TIME; 0: choose */
} mote_asn1_time;

/* 1 if tag is one of the character string types this library knows:
 * UTF8, Numeric, Printable, Teletex, IA5, Visible, Universal, BMP. */
int mote_asn1_is_string_tag(mote_asn1_tag tag);

/* Checks that the content octets are valid for the string type: UTF-8 well
 * formed (no overlong forms, surrogates or values past U+10FFFF), Printable
 * and Numeric character sets, IA5 7-bit, Visible 0x20..0x7E, BMP an even
 * length without surrogates, Universal a multiple of 4 up to U+10FFFF.
 * Teletex is not checked (its character set is open-ended). 0 if valid,
 * MOTE_EDECODE if not, MOTE_EINVAL if tag is not a string type. */
int mote_asn1_string_check(mote_asn1_tag tag, mote_slice value);

/* Appends the string as UTF-8 to out (Teletex taken as Latin-1). Errors:
 * MOTE_EDECODE for invalid content, mote_buf errors. */
int mote_asn1_string_to_utf8(mote_asn1_tag tag, mote_slice value, mote_buf *out);

/* Decoders of content octets (the value of a TLV), for values found by
 * other means. They check DER rules and return 0, MOTE_EDECODE (bad
 * encoding) or MOTE_ERANGE (valid, but does not fit); reason, if not NULL,
 * receives why. */
int mote_asn1_decode_bool(mote_slice content, bool *v, mote_asn1_reason *reason);
int mote_asn1_decode_int64(mote_slice content, int64_t *v, mote_asn1_reason *reason);
/* Checks a minimal two's-complement INTEGER encoding. */
int mote_asn1_check_integer(mote_slice content, mote_asn1_reason *reason);
/* A non-negative INTEGER as its big-endian magnitude with no leading zero
 * octets (the value zero gives one 0x00 octet); MOTE_ERANGE if negative. */
int mote_asn1_decode_uint(mote_slice content, mote_slice *magnitude, mote_asn1_reason *reason);
int mote_asn1_decode_bits(mote_slice content, mote_asn1_bits *v, mote_asn1_reason *reason);
/* A BIT STRING holding a named bit list (KeyUsage, ...): DER forbids
 * trailing zero bits. Bit i of *v is named bit i; MOTE_ERANGE past 32 bits. */
int mote_asn1_decode_named_bits(mote_slice content, uint32_t *v, mote_asn1_reason *reason);
int mote_asn1_check_oid(mote_slice content, mote_asn1_reason *reason);
/* UTCTime "YYMMDDHHMMSSZ" (years 1950..2049) or GeneralizedTime
 * "YYYYMMDDHHMMSS[.fff]Z" (fraction without trailing zeros), the only forms
 * DER allows; the fraction goes to nsec (digits past 9 must be zero). */
int mote_asn1_decode_time(mote_asn1_tag tag, mote_slice content, mote_time *t,
                          mote_asn1_reason *reason);

/* ------------------------------------------------------------------------
 * Reader (cursor)
 *
 * A reader walks one input front to back. At each level it reads the next
 * element; mote_asn1_enter() steps into a constructed element and
 * mote_asn1_leave() steps out, failing if the element has bytes left.
 * Errors stick: after the first failure every call returns the same code,
 * and r->error says where and why, so straight-line decoders may check once
 * at the end. The reader keeps pointers into the input; it does not own it.
 * ---------------------------------------------------------------------- */
typedef struct mote_asn1_reader {
    const uint8_t *data; /* the input */
    size_t len;
    size_t base;        /* added to every offset reported */
    size_t pos;         /* next byte to read */
    size_t end;         /* end of the current level */
    unsigned depth;     /* levels entered */
    unsigned max_depth; /* MOTE_ASN1_MAX_DEPTH unless lowered */
    unsigned flags;     /* MOTE_ASN1_READER_* */
    size_t ends[MOTE_ASN1_MAX_DEPTH];
    int err;                 /* 0 or the first error */
    mote_asn1_error error;   /* detail of err */
    mote_asn1_error warning; /* lax mode: the first DER violation tolerated */
} mote_asn1_reader;

/* Lax mode, for inspection tools only (mote-asn1 dump): non-minimal
 * definite lengths are accepted and the first such violation is recorded
 * in r->warning (reason != MOTE_ASN1_R_NONE) instead of failing. Never use
 * it where the bytes matter for security (signatures cover exact bytes). */
#define MOTE_ASN1_READER_LAX 1u

/* Starts reading `len` bytes at `data`. */
void mote_asn1_reader_init(mote_asn1_reader *r, const void *data, size_t len);

/* As mote_asn1_reader_init, but offsets in errors and TLVs are reported
 * plus `base` (for decoding an element found inside a larger input, e.g.
 * an extension's OCTET STRING, so errors name the offset in the file). */
void mote_asn1_reader_init_at(mote_asn1_reader *r, mote_slice input, size_t base);

/* Lowers the depth bound (values above MOTE_ASN1_MAX_DEPTH are clamped). */
void mote_asn1_reader_set_max_depth(mote_asn1_reader *r, unsigned max_depth);
void mote_asn1_reader_set_flags(mote_asn1_reader *r, unsigned flags);

/* 1 when the current level has no element left (or after an error). */
int mote_asn1_at_end(const mote_asn1_reader *r);

/* The tag of the next element without consuming it. MOTE_ENOTFOUND at the
 * end of the current level (not an error: nothing sticks); MOTE_EDECODE or
 * MOTE_ELIMIT for a bad header. */
int mote_asn1_peek(mote_asn1_reader *r, mote_asn1_tag *tag);

/* Reads the next element, whatever its tag. The header and length are
 * checked; the content is not interpreted. At the end of the level this is
 * an error (MOTE_EDECODE, reason MISSING). */
int mote_asn1_next(mote_asn1_reader *r, mote_asn1_tlv *out);

/* Reads the next element, which must have the tag (else MOTE_EDECODE,
 * UNEXPECTED_TAG or MISSING). out may be NULL to skip it. */
int mote_asn1_expect(mote_asn1_reader *r, mote_asn1_tag tag, mote_asn1_tlv *out);

/* If the next element has the tag, reads it into out and sets *present to
 * true; otherwise reads nothing and sets *present to false. For OPTIONAL
 * elements. */
int mote_asn1_optional(mote_asn1_reader *r, mote_asn1_tag tag, mote_asn1_tlv *out, bool *present);

/* Reads the next element, which must have the (constructed) tag, and steps
 * into it: following reads see its content. out may be NULL. MOTE_ELIMIT
 * (reason DEPTH) past the depth bound. */
int mote_asn1_enter(mote_asn1_reader *r, mote_asn1_tag tag, mote_asn1_tlv *out);

/* Steps out of the element last entered; MOTE_EDECODE (TRAILING_BYTES) if
 * its content was not all read, MOTE_ESTATE if nothing was entered. */
int mote_asn1_leave(mote_asn1_reader *r);

/* Skips whatever is left of the current level (for extensible structures
 * whose tail is ignored on purpose), then leaves it. */
int mote_asn1_leave_skip(mote_asn1_reader *r);

/* Ends reading: 0 if no error happened, no level is left open and every
 * byte of the input was read; MOTE_EDECODE (TRAILING_BYTES) otherwise. */
int mote_asn1_reader_finish(mote_asn1_reader *r);

/* Typed reads of the next element with its universal tag. Each checks the
 * DER rules for its type (see the mote_asn1_decode_* functions). */
int mote_asn1_read_bool(mote_asn1_reader *r, bool *v);
int mote_asn1_read_int64(mote_asn1_reader *r, int64_t *v);
/* INTEGER as its minimal two's-complement content octets (any size). */
int mote_asn1_read_integer(mote_asn1_reader *r, mote_slice *v);
/* Non-negative INTEGER as a magnitude (see mote_asn1_decode_uint). */
int mote_asn1_read_uint(mote_asn1_reader *r, mote_slice *magnitude);
int mote_asn1_read_enumerated(mote_asn1_reader *r, int64_t *v);
int mote_asn1_read_bits(mote_asn1_reader *r, mote_asn1_bits *v);
int mote_asn1_read_named_bits(mote_asn1_reader *r, uint32_t *v);
int mote_asn1_read_octets(mote_asn1_reader *r, mote_slice *v);
int mote_asn1_read_null(mote_asn1_reader *r);
/* OID content octets (checked); see the OID functions below. */
int mote_asn1_read_oid(mote_asn1_reader *r, mote_slice *oid);
/* A string of the given string tag (checked with mote_asn1_string_check). */
int mote_asn1_read_string(mote_asn1_reader *r, mote_asn1_tag tag, mote_slice *v);
/* A string of any string type (DirectoryString and the like). */
int mote_asn1_read_any_string(mote_asn1_reader *r, mote_asn1_string *v);
/* UTCTime or GeneralizedTime (Time in RFC 5280); tag, if not NULL, gets
 * which one it was. */
int mote_asn1_read_time(mote_asn1_reader *r, mote_time *t, mote_asn1_tag *tag);

/* With IMPLICIT tagging an element carries a context tag in place of its
 * own: this reads the next element, which must have `tag`, leaving its
 * content to the mote_asn1_decode_* functions (mote_asn1_expect under the
 * name the ASN.1 uses). */
int mote_asn1_read_implicit(mote_asn1_reader *r, mote_asn1_tag tag, mote_asn1_tlv *out);

/* Records a decoding failure at `offset` on the reader (for callers that
 * find a semantic fault in a value they read) and returns `err`. */
int mote_asn1_reader_fail(mote_asn1_reader *r, int err, size_t offset, mote_asn1_reason reason,
                          mote_asn1_tag tag);

/* ------------------------------------------------------------------------
 * Object identifiers
 *
 * An OID is handled as its DER content octets (a mote_slice): compare with
 * mote_slice_eq against a well-known OID's bytes, or map it to an id.
 * ---------------------------------------------------------------------- */

/* Longest dotted text produced or accepted, and longest content octets. */
#define MOTE_ASN1_OID_TEXT_MAX 512
#define MOTE_ASN1_OID_MAX      256

/* Parses dotted text ("1.2.840.113549.1.1.11") into content octets.
 * The first arc is 0, 1 or 2 and the second below 40 unless the first is
 * 2; arcs may be of any size up to 256 bits. Returns 0, MOTE_EINVAL for bad
 * text, MOTE_ENOSPC if cap is too small (MOTE_ASN1_OID_MAX always does). */
int mote_asn1_oid_from_text(const char *text, uint8_t *out, size_t cap, size_t *len);

/* Writes the dotted text of OID content octets (NUL-terminated). 0,
 * MOTE_EDECODE for bad content, MOTE_ELIMIT for an arc past 256 bits,
 * MOTE_ENOSPC if n is too small. */
int mote_asn1_oid_to_text(mote_slice oid, char *out, size_t n);

/* Well-known object identifiers. The numbers are stable (new ones are only
 * appended). MOTE_ASN1_OID_UNKNOWN is 0. */
typedef enum mote_asn1_oid_id {
    MOTE_ASN1_OID_UNKNOWN = 0,
    /* hashes */
    MOTE_ASN1_OID_MD5,
    MOTE_ASN1_OID_SHA1,
    MOTE_ASN1_OID_SHA224,
    MOTE_ASN1_OID_SHA256,
    MOTE_ASN1_OID_SHA384,
    MOTE_ASN1_OID_SHA512,
    /* RSA (PKCS#1) */
    MOTE_ASN1_OID_RSA_ENCRYPTION,
    MOTE_ASN1_OID_MD5_WITH_RSA,
    MOTE_ASN1_OID_SHA1_WITH_RSA,
    MOTE_ASN1_OID_SHA224_WITH_RSA,
    MOTE_ASN1_OID_SHA256_WITH_RSA,
    MOTE_ASN1_OID_SHA384_WITH_RSA,
    MOTE_ASN1_OID_SHA512_WITH_RSA,
    MOTE_ASN1_OID_RSASSA_PSS,
    MOTE_ASN1_OID_RSAES_OAEP,
    MOTE_ASN1_OID_MGF1,
    /* elliptic curves (SEC1, RFC 5480, RFC 8410) */
    MOTE_ASN1_OID_EC_PUBLIC_KEY,
    MOTE_ASN1_OID_ECDSA_WITH_SHA1,
    MOTE_ASN1_OID_ECDSA_WITH_SHA224,
    MOTE_ASN1_OID_ECDSA_WITH_SHA256,
    MOTE_ASN1_OID_ECDSA_WITH_SHA384,
    MOTE_ASN1_OID_ECDSA_WITH_SHA512,
    MOTE_ASN1_OID_P256,
    MOTE_ASN1_OID_P384,
    MOTE_ASN1_OID_P521,
    MOTE_ASN1_OID_SECP256K1,
    MOTE_ASN1_OID_X25519,
    MOTE_ASN1_OID_X448,
    MOTE_ASN1_OID_ED25519,
    MOTE_ASN1_OID_ED448,
    /* DSA */
    MOTE_ASN1_OID_DSA,
    MOTE_ASN1_OID_DSA_WITH_SHA1,
    MOTE_ASN1_OID_DSA_WITH_SHA256,
    /* PKCS#5, PKCS#7, PKCS#9, symmetric ciphers */
    MOTE_ASN1_OID_PBES2,
    MOTE_ASN1_OID_PBKDF2,
    MOTE_ASN1_OID_HMAC_SHA1,
    MOTE_ASN1_OID_HMAC_SHA256,
    MOTE_ASN1_OID_HMAC_SHA384,
    MOTE_ASN1_OID_HMAC_SHA512,
    MOTE_ASN1_OID_AES128_CBC,
    MOTE_ASN1_OID_AES256_CBC,
    MOTE_ASN1_OID_AES128_GCM,
    MOTE_ASN1_OID_AES256_GCM,
    MOTE_ASN1_OID_PKCS7_DATA,
    MOTE_ASN1_OID_PKCS7_SIGNED_DATA,
    MOTE_ASN1_OID_EMAIL_ADDRESS,
    MOTE_ASN1_OID_CONTENT_TYPE,
    MOTE_ASN1_OID_MESSAGE_DIGEST,
    MOTE_ASN1_OID_EXTENSION_REQUEST,
    /* X.520 attribute types and friends (names) */
    MOTE_ASN1_OID_CN,
    MOTE_ASN1_OID_SURNAME,
    MOTE_ASN1_OID_SERIAL_NUMBER,
    MOTE_ASN1_OID_C,
    MOTE_ASN1_OID_L,
    MOTE_ASN1_OID_ST,
    MOTE_ASN1_OID_STREET,
    MOTE_ASN1_OID_O,
    MOTE_ASN1_OID_OU,
    MOTE_ASN1_OID_TITLE,
    MOTE_ASN1_OID_BUSINESS_CATEGORY,
    MOTE_ASN1_OID_POSTAL_CODE,
    MOTE_ASN1_OID_NAME,
    MOTE_ASN1_OID_GIVEN_NAME,
    MOTE_ASN1_OID_INITIALS,
    MOTE_ASN1_OID_GENERATION_QUALIFIER,
    MOTE_ASN1_OID_DN_QUALIFIER,
    MOTE_ASN1_OID_PSEUDONYM,
    MOTE_ASN1_OID_ORGANIZATION_IDENTIFIER,
    MOTE_ASN1_OID_DOMAIN_COMPONENT,
    MOTE_ASN1_OID_USER_ID,
    MOTE_ASN1_OID_JURISDICTION_L,
    MOTE_ASN1_OID_JURISDICTION_ST,
    MOTE_ASN1_OID_JURISDICTION_C,
    /* X.509 extensions (RFC 5280) */
    MOTE_ASN1_OID_SUBJECT_DIRECTORY_ATTRIBUTES,
    MOTE_ASN1_OID_SUBJECT_KEY_IDENTIFIER,
    MOTE_ASN1_OID_KEY_USAGE,
    MOTE_ASN1_OID_PRIVATE_KEY_USAGE_PERIOD,
    MOTE_ASN1_OID_SUBJECT_ALT_NAME,
    MOTE_ASN1_OID_ISSUER_ALT_NAME,
    MOTE_ASN1_OID_BASIC_CONSTRAINTS,
    MOTE_ASN1_OID_CRL_NUMBER,
    MOTE_ASN1_OID_CRL_REASON,
    MOTE_ASN1_OID_NAME_CONSTRAINTS,
    MOTE_ASN1_OID_CRL_DISTRIBUTION_POINTS,
    MOTE_ASN1_OID_CERTIFICATE_POLICIES,
    MOTE_ASN1_OID_ANY_POLICY,
    MOTE_ASN1_OID_POLICY_MAPPINGS,
    MOTE_ASN1_OID_AUTHORITY_KEY_IDENTIFIER,
    MOTE_ASN1_OID_POLICY_CONSTRAINTS,
    MOTE_ASN1_OID_EXT_KEY_USAGE,
    MOTE_ASN1_OID_ANY_EXTENDED_KEY_USAGE,
    MOTE_ASN1_OID_FRESHEST_CRL,
    MOTE_ASN1_OID_INHIBIT_ANY_POLICY,
    MOTE_ASN1_OID_AUTHORITY_INFO_ACCESS,
    MOTE_ASN1_OID_SUBJECT_INFO_ACCESS,
    MOTE_ASN1_OID_TLS_FEATURE,
    MOTE_ASN1_OID_CT_PRECERT_SCTS,
    MOTE_ASN1_OID_CT_PRECERT_POISON,
    MOTE_ASN1_OID_NETSCAPE_CERT_TYPE,
    MOTE_ASN1_OID_NETSCAPE_COMMENT,
    /* PKIX: access methods, policy qualifiers, extended key usages */
    MOTE_ASN1_OID_AD_OCSP,
    MOTE_ASN1_OID_AD_CA_ISSUERS,
    MOTE_ASN1_OID_QT_CPS,
    MOTE_ASN1_OID_QT_UNOTICE,
    MOTE_ASN1_OID_KP_SERVER_AUTH,
    MOTE_ASN1_OID_KP_CLIENT_AUTH,
    MOTE_ASN1_OID_KP_CODE_SIGNING,
    MOTE_ASN1_OID_KP_EMAIL_PROTECTION,
    MOTE_ASN1_OID_KP_TIME_STAMPING,
    MOTE_ASN1_OID_KP_OCSP_SIGNING,
    /* CA/Browser Forum certificate policies */
    MOTE_ASN1_OID_CABF_EV,
    MOTE_ASN1_OID_CABF_DOMAIN_VALIDATED,
    MOTE_ASN1_OID_CABF_ORGANIZATION_VALIDATED,
    MOTE_ASN1_OID_CABF_INDIVIDUAL_VALIDATED,
    MOTE_ASN1_OID_COUNT_ /* number of ids (not an id) */
} mote_asn1_oid_id;

/* The id of OID content octets, MOTE_ASN1_OID_UNKNOWN if not in the table. */
mote_asn1_oid_id mote_asn1_oid_lookup(mote_slice oid);

/* The content octets of a well-known OID (a static view); an empty slice
 * for MOTE_ASN1_OID_UNKNOWN or an out-of-range id. */
mote_slice mote_asn1_oid_bytes(mote_asn1_oid_id id);

/* The short name ("sha256WithRSAEncryption", "commonName", "CN" is in
 * mote_asn1_oid_short_name) and dotted text of a well-known id; NULL for an
 * unknown id. */
const char *mote_asn1_oid_name(mote_asn1_oid_id id);
const char *mote_asn1_oid_short_name(mote_asn1_oid_id id); /* "CN", "O"; else the name */
const char *mote_asn1_oid_dotted(mote_asn1_oid_id id);

/* The id for a name (either form, case-sensitive) or dotted text;
 * MOTE_ASN1_OID_UNKNOWN if none. */
mote_asn1_oid_id mote_asn1_oid_find(const char *name_or_dotted);

/* 1 if the OID content octets are the well-known id's. */
int mote_asn1_oid_is(mote_slice oid, mote_asn1_oid_id id);

/* ------------------------------------------------------------------------
 * Schemas
 *
 * A schema is an array of mote_asn1_field, one per component of a
 * SEQUENCE, ended by MOTE_ASN1_END. Each field names its type, where its
 * value goes in a C struct, and its modifiers, in the order of the ASN.1:
 *
 *   struct algid { mote_slice oid; mote_asn1_tlv params; };
 *   static const mote_asn1_field algorithm_identifier[] = {
 *       {MOTE_ASN1_F_OID(struct algid, oid)},                      // algorithm
 *       {MOTE_ASN1_F_ANY(struct algid, params), MOTE_ASN1_OPTIONAL}, // parameters
 *       MOTE_ASN1_END};
 *
 *   // version [0] EXPLICIT Version DEFAULT v1
 *   {MOTE_ASN1_F_INT64(struct tbs, version), MOTE_ASN1_EXPLICIT(0), MOTE_ASN1_DEFAULT(0)},
 *   // issuerUniqueID [1] IMPLICIT UniqueIdentifier OPTIONAL
 *   {MOTE_ASN1_F_BITS(struct tbs, issuer_uid), MOTE_ASN1_IMPLICIT(1), MOTE_ASN1_OPTIONAL},
 *
 * Output C types by kind: BOOL bool; INT64 and ENUM int64_t; INTEGER and
 * UINT mote_slice (two's complement / magnitude); BITS mote_asn1_bits;
 * NAMED_BITS uint32_t; OCTETS, OID and typed strings mote_slice; STRING
 * mote_asn1_string; TIME, UTC_TIME and GENERALIZED_TIME mote_time;
 * TIME_TAGGED mote_asn1_time (the time and which form it had, so it
 * re-encodes the same way); ANY and RAW mote_asn1_tlv; NULL none; SEQUENCE
 * and SET a nested struct decoded with `sub`; SEQUENCE_OF and SET_OF a
 * fixed array (its size is the bound) plus a size_t count; CHOICE an int
 * receiving the index of the alternative taken (-1 if absent), each
 * alternative of `sub` storing its value at its own offset in the same
 * struct. The MOTE_ASN1_F_* macros check these types at compile time: a
 * member of another type is a "distinct pointer types" diagnostic (an
 * error with -Werror).
 *
 * An absent OPTIONAL field's value is set to zero (slices with ptr NULL,
 * a tlv with tag 0, a count of 0); an absent nested SEQUENCE is left as it
 * was, so zero the output struct before decoding, or use
 * MOTE_ASN1_PRESENT(st, flag), which records presence in a bool. DEFAULT
 * fields get the default when absent, and the decoder rejects an encoded
 * default (DER).
 * ---------------------------------------------------------------------- */
enum mote_asn1_kind {
    MOTE_ASN1_K_END = 0, /* ends a field array */
    MOTE_ASN1_K_BOOL,
    MOTE_ASN1_K_INT64,
    MOTE_ASN1_K_INTEGER,
    MOTE_ASN1_K_UINT,
    MOTE_ASN1_K_ENUM,
    MOTE_ASN1_K_BITS,
    MOTE_ASN1_K_NAMED_BITS,
    MOTE_ASN1_K_OCTETS,
    MOTE_ASN1_K_NULL,
    MOTE_ASN1_K_OID,
    MOTE_ASN1_K_STRING,       /* any string type -> mote_asn1_string */
    MOTE_ASN1_K_TYPED_STRING, /* the string type in utag -> mote_slice */
    MOTE_ASN1_K_TIME,         /* UTCTime or GeneralizedTime -> mote_time */
    MOTE_ASN1_K_UTC_TIME,
    MOTE_ASN1_K_GENERALIZED_TIME,
    MOTE_ASN1_K_ANY, /* any single element -> mote_asn1_tlv */
    MOTE_ASN1_K_RAW, /* an element with tag utag, not interpreted -> tlv */
    MOTE_ASN1_K_SEQUENCE,
    MOTE_ASN1_K_SET,
    MOTE_ASN1_K_SEQUENCE_OF,
    MOTE_ASN1_K_SET_OF,
    MOTE_ASN1_K_CHOICE,
    MOTE_ASN1_K_TIME_TAGGED, /* UTCTime or GeneralizedTime -> mote_asn1_time */
    MOTE_ASN1_K_REST,        /* the extension marker "...": skips what is left */
    MOTE_ASN1_K_COUNT_
};

#define MOTE_ASN1_TAGGING_NONE     0
#define MOTE_ASN1_TAGGING_IMPLICIT 1
#define MOTE_ASN1_TAGGING_EXPLICIT 2

typedef struct mote_asn1_field mote_asn1_field;
struct mote_asn1_field {
    const char *name;           /* for error messages */
    uint8_t kind;               /* enum mote_asn1_kind */
    uint8_t tagging;            /* MOTE_ASN1_TAGGING_* */
    uint8_t optional;           /* OPTIONAL */
    uint8_t has_default;        /* DEFAULT def (BOOL, INT64, ENUM) */
    uint8_t item;               /* SEQUENCE_OF/SET_OF: sub is one field per element */
    mote_asn1_tag tag;          /* the [n] of IMPLICIT/EXPLICIT (class and number) */
    mote_asn1_tag utag;         /* RAW / TYPED_STRING: the tag expected */
    size_t offset;              /* where the value goes */
    size_t present;             /* offsetof(bool flag) + 1, or 0 */
    size_t raw;                 /* offsetof(mote_asn1_tlv) + 1, or 0: keep the whole element */
    size_t count;               /* SEQUENCE_OF/SET_OF: offsetof(size_t count) */
    size_t elem_size;           /* SEQUENCE_OF/SET_OF: sizeof one array element */
    size_t min, max;            /* SEQUENCE_OF/SET_OF: bounds on the count */
    int64_t def;                /* the DEFAULT value */
    const mote_asn1_field *sub; /* components, element description, or alternatives */
};

/* Field kinds. Each expands to designators; put it in braces with any
 * modifiers: {MOTE_ASN1_F_OID(st, m), MOTE_ASN1_OPTIONAL}. The member's
 * type is checked against the kind's (MOTE_ASN1_CHECK_). */
#define MOTE_ASN1_CHECK_(st, m, T) (0 * sizeof((T *)0 == &((st *)0)->m))
#define MOTE_ASN1_F_(k, st, m)     .name = #m, .kind = (k), .offset = offsetof(st, m)
#define MOTE_ASN1_FT_(k, st, m, T)                                                                 \
    .name = #m, .kind = (k), .offset = offsetof(st, m) + MOTE_ASN1_CHECK_(st, m, T)
#define MOTE_ASN1_F_BOOL(st, m)       MOTE_ASN1_FT_(MOTE_ASN1_K_BOOL, st, m, bool)
#define MOTE_ASN1_F_INT64(st, m)      MOTE_ASN1_FT_(MOTE_ASN1_K_INT64, st, m, int64_t)
#define MOTE_ASN1_F_INTEGER(st, m)    MOTE_ASN1_FT_(MOTE_ASN1_K_INTEGER, st, m, mote_slice)
#define MOTE_ASN1_F_UINT(st, m)       MOTE_ASN1_FT_(MOTE_ASN1_K_UINT, st, m, mote_slice)
#define MOTE_ASN1_F_ENUM(st, m)       MOTE_ASN1_FT_(MOTE_ASN1_K_ENUM, st, m, int64_t)
#define MOTE_ASN1_F_BITS(st, m)       MOTE_ASN1_FT_(MOTE_ASN1_K_BITS, st, m, mote_asn1_bits)
#define MOTE_ASN1_F_NAMED_BITS(st, m) MOTE_ASN1_FT_(MOTE_ASN1_K_NAMED_BITS, st, m, uint32_t)
#define MOTE_ASN1_F_OCTETS(st, m)     MOTE_ASN1_FT_(MOTE_ASN1_K_OCTETS, st, m, mote_slice)
#define MOTE_ASN1_F_OID(st, m)        MOTE_ASN1_FT_(MOTE_ASN1_K_OID, st, m, mote_slice)
#define MOTE_ASN1_F_STRING(st, m)     MOTE_ASN1_FT_(MOTE_ASN1_K_STRING, st, m, mote_asn1_string)
#define MOTE_ASN1_F_TYPED_STRING(st, m, t)                                                         \
    MOTE_ASN1_FT_(MOTE_ASN1_K_TYPED_STRING, st, m, mote_slice), .utag = (t)
#define MOTE_ASN1_F_UTF8(st, m)        MOTE_ASN1_F_TYPED_STRING(st, m, MOTE_ASN1_UTF8_STRING)
#define MOTE_ASN1_F_PRINTABLE(st, m)   MOTE_ASN1_F_TYPED_STRING(st, m, MOTE_ASN1_PRINTABLE_STRING)
#define MOTE_ASN1_F_IA5(st, m)         MOTE_ASN1_F_TYPED_STRING(st, m, MOTE_ASN1_IA5_STRING)
#define MOTE_ASN1_F_TIME(st, m)        MOTE_ASN1_FT_(MOTE_ASN1_K_TIME, st, m, mote_time)
#define MOTE_ASN1_F_TIME_TAGGED(st, m) MOTE_ASN1_FT_(MOTE_ASN1_K_TIME_TAGGED, st, m, mote_asn1_time)
#define MOTE_ASN1_F_UTC_TIME(st, m)    MOTE_ASN1_FT_(MOTE_ASN1_K_UTC_TIME, st, m, mote_time)
#define MOTE_ASN1_F_GENERALIZED_TIME(st, m)                                                        \
    MOTE_ASN1_FT_(MOTE_ASN1_K_GENERALIZED_TIME, st, m, mote_time)
#define MOTE_ASN1_F_ANY(st, m)    MOTE_ASN1_FT_(MOTE_ASN1_K_ANY, st, m, mote_asn1_tlv)
#define MOTE_ASN1_F_RAW(st, m, t) MOTE_ASN1_FT_(MOTE_ASN1_K_RAW, st, m, mote_asn1_tlv), .utag = (t)
#define MOTE_ASN1_F_SEQUENCE(st, m, fields)                                                        \
    MOTE_ASN1_F_(MOTE_ASN1_K_SEQUENCE, st, m), .sub = (fields)
#define MOTE_ASN1_F_SET(st, m, fields)  MOTE_ASN1_F_(MOTE_ASN1_K_SET, st, m), .sub = (fields)
#define MOTE_ASN1_F_CHOICE(st, m, alts) MOTE_ASN1_FT_(MOTE_ASN1_K_CHOICE, st, m, int), .sub = (alts)
/* The ASN.1 extension marker ("..."), last in a field list: any further
 * components (each still checked to be well-formed DER) are skipped, so a
 * newer peer's additions are accepted. Nothing is stored or encoded. */
#define MOTE_ASN1_F_REST .name = "...", .kind = MOTE_ASN1_K_REST
/* A NULL component (nothing stored). */
#define MOTE_ASN1_F_NULL .name = "NULL", .kind = MOTE_ASN1_K_NULL
/* SEQUENCE OF / SET OF SEQUENCE { fields }: arr is an array member of st
 * whose elements the fields describe, n a size_t member receiving the
 * count; at least lo elements, at most the array's size. */
#define MOTE_ASN1_OF_(k, st, arr, n, lo)                                                           \
    MOTE_ASN1_F_(k, st, arr), .count = offsetof(st, n) + MOTE_ASN1_CHECK_(st, n, size_t),          \
                              .elem_size = sizeof(((st *)0)->arr[0]),                              \
                              .max = sizeof(((st *)0)->arr) / sizeof(((st *)0)->arr[0]),           \
                              .min = (lo)
#define MOTE_ASN1_F_SEQUENCE_OF(st, arr, n, fields, lo)                                            \
    MOTE_ASN1_OF_(MOTE_ASN1_K_SEQUENCE_OF, st, arr, n, lo), .sub = (fields)
#define MOTE_ASN1_F_SET_OF(st, arr, n, fields, lo)                                                 \
    MOTE_ASN1_OF_(MOTE_ASN1_K_SET_OF, st, arr, n, lo), .sub = (fields)
/* As above, but each element is described by the single field *item (its
 * offset relative to the array element, usually 0), e.g. SEQUENCE OF
 * OBJECT IDENTIFIER. */
#define MOTE_ASN1_F_SEQUENCE_OF_ITEM(st, arr, n, itemp, lo)                                        \
    MOTE_ASN1_OF_(MOTE_ASN1_K_SEQUENCE_OF, st, arr, n, lo), .sub = (itemp), .item = 1
#define MOTE_ASN1_F_SET_OF_ITEM(st, arr, n, itemp, lo)                                             \
    MOTE_ASN1_OF_(MOTE_ASN1_K_SET_OF, st, arr, n, lo), .sub = (itemp), .item = 1
/* An item field for *_OF_ITEM: the value at offset 0 of the element. */
#define MOTE_ASN1_ITEM(k) .name = "item", .kind = (k), .offset = 0

/* Modifiers. */
#define MOTE_ASN1_OPTIONAL       .optional = 1
#define MOTE_ASN1_DEFAULT(v)     .has_default = 1, .def = (v)
#define MOTE_ASN1_PRESENT(st, m) .present = offsetof(st, m) + 1 + MOTE_ASN1_CHECK_(st, m, bool)
#define MOTE_ASN1_KEEP_RAW(st, m)                                                                  \
    .raw = offsetof(st, m) + 1 + MOTE_ASN1_CHECK_(st, m, mote_asn1_tlv)
#define MOTE_ASN1_EXPLICIT(n)     .tagging = MOTE_ASN1_TAGGING_EXPLICIT, .tag = MOTE_ASN1_CONTEXT(n)
#define MOTE_ASN1_IMPLICIT(n)     .tagging = MOTE_ASN1_TAGGING_IMPLICIT, .tag = MOTE_ASN1_CONTEXT(n)
#define MOTE_ASN1_EXPLICIT_TAG(t) .tagging = MOTE_ASN1_TAGGING_EXPLICIT, .tag = (t)
#define MOTE_ASN1_IMPLICIT_TAG(t) .tagging = MOTE_ASN1_TAGGING_IMPLICIT, .tag = (t)
#define MOTE_ASN1_END                                                                              \
    {                                                                                              \
        .kind = MOTE_ASN1_K_END                                                                    \
    }

/* Decodes `der`, which must be exactly one SEQUENCE whose components the
 * fields describe, into *out (which the caller should zero first; see
 * above). Values are views into der.
 * Returns 0, MOTE_EDECODE or MOTE_ELIMIT with *e (if not NULL) filled,
 * MOTE_EINVAL for a bad schema. */
int mote_asn1_decode(const mote_asn1_field *fields, mote_slice der, void *out, mote_asn1_error *e);

/* Reads the next element of r as described by the single field f into the
 * struct at `out` (f->offset is relative to it). Not zeroed first. With an
 * OPTIONAL field an absent element is not an error. */
int mote_asn1_read_field(mote_asn1_reader *r, const mote_asn1_field *f, void *out);

/* Reads the components of the current level (after mote_asn1_enter) as the
 * fields describe; does not leave the level. */
int mote_asn1_read_fields(mote_asn1_reader *r, const mote_asn1_field *fields, void *out);

/* ------------------------------------------------------------------------
 * Writer
 *
 * A writer appends DER to a mote_buf the caller owns (bounded by the
 * buffer's limit). Constructed elements are opened with mote_asn1_begin()
 * and closed with mote_asn1_end(), which back-patches the length; a SET OF
 * opened with mote_asn1_begin_set_of() has its elements sorted at its end
 * as DER requires. Errors stick: after the first failure every call returns
 * it, so a run of writes can be checked once, at mote_asn1_writer_finish().
 * Values given to the writer must not point into its own output buffer,
 * which may move as it grows.
 * ---------------------------------------------------------------------- */
typedef struct mote_asn1_writer {
    mote_buf *out;
    unsigned depth;
    size_t starts[MOTE_ASN1_MAX_DEPTH]; /* offset of each open element's header */
    uint8_t set_of[MOTE_ASN1_MAX_DEPTH];
    mote_asn1_tag implicit; /* tag for the next element (mote_asn1_implicit) or 0 */
    int err;
} mote_asn1_writer;

/* Starts writing at the end of out (existing content is kept). */
void mote_asn1_writer_init(mote_asn1_writer *w, mote_buf *out);

/* 0 if every write succeeded and every begin was ended; the sticky error,
 * or MOTE_ESTATE with elements left open. */
int mote_asn1_writer_finish(mote_asn1_writer *w);

/* Makes the next element written carry `tag` (class and number; the
 * constructed bit is taken from the element) instead of its own: IMPLICIT
 * tagging. EXPLICIT tagging is mote_asn1_begin(w, MOTE_ASN1_CONTEXT_CONS(n))
 * ... mote_asn1_end(w). */
int mote_asn1_implicit(mote_asn1_writer *w, mote_asn1_tag tag);

/* Opens a constructed element (SEQUENCE, SET, [n] EXPLICIT, ...). The
 * constructed bit is added to tag. MOTE_ELIMIT past MOTE_ASN1_MAX_DEPTH. */
int mote_asn1_begin(mote_asn1_writer *w, mote_asn1_tag tag);
/* Opens a SET OF (or any constructed element whose children must be sorted
 * by their encodings). */
int mote_asn1_begin_set_of(mote_asn1_writer *w, mote_asn1_tag tag);
/* Closes the element last opened, writing its length. */
int mote_asn1_end(mote_asn1_writer *w);

/* An element with the given tag and content octets, as they are. */
int mote_asn1_write_tlv(mote_asn1_writer *w, mote_asn1_tag tag, mote_slice content);
/* Already-encoded DER (one or more whole elements), copied as is;
 * MOTE_EINVAL after mote_asn1_implicit (raw bytes cannot be retagged). */
int mote_asn1_write_raw(mote_asn1_writer *w, mote_slice der);

int mote_asn1_write_bool(mote_asn1_writer *w, bool v);
int mote_asn1_write_int64(mote_asn1_writer *w, int64_t v);
/* INTEGER from two's-complement octets; redundant leading octets are
 * removed. MOTE_EINVAL for an empty slice. */
int mote_asn1_write_integer(mote_asn1_writer *w, mote_slice twos);
/* Non-negative INTEGER from a big-endian magnitude (leading zeros dropped,
 * a 0x00 added when the top bit is set). An empty slice is zero. */
int mote_asn1_write_uint(mote_asn1_writer *w, mote_slice magnitude);
int mote_asn1_write_enumerated(mote_asn1_writer *w, int64_t v);
/* BIT STRING of bytes with `unused` (0..7) unused bits, which are written
 * as zero. MOTE_EINVAL if unused > 7 or unused > 0 with no bytes. */
int mote_asn1_write_bits(mote_asn1_writer *w, mote_slice bytes, unsigned unused);
/* Named bit list: bit i of v is named bit i; trailing zero bits dropped. */
int mote_asn1_write_named_bits(mote_asn1_writer *w, uint32_t v);
int mote_asn1_write_octets(mote_asn1_writer *w, mote_slice v);
int mote_asn1_write_null(mote_asn1_writer *w);
/* OID from content octets (checked: MOTE_EINVAL if malformed). */
int mote_asn1_write_oid(mote_asn1_writer *w, mote_slice oid);
/* OID from dotted text; MOTE_EINVAL for bad text. */
int mote_asn1_write_oid_text(mote_asn1_writer *w, const char *dotted);
int mote_asn1_write_oid_id(mote_asn1_writer *w, mote_asn1_oid_id id);
/* A string of a string type; the content is checked with
 * mote_asn1_string_check (MOTE_EINVAL if not valid for the type). */
int mote_asn1_write_string(mote_asn1_writer *w, mote_asn1_tag tag, mote_slice v);
/* UTCTime (MOTE_ERANGE outside 1950..2049; nsec must be 0) and
 * GeneralizedTime (fraction written without trailing zeros if nsec != 0). */
int mote_asn1_write_utc_time(mote_asn1_writer *w, mote_time t);
int mote_asn1_write_generalized_time(mote_asn1_writer *w, mote_time t);
/* Time as RFC 5280 wants it: UTCTime for 1950..2049, else GeneralizedTime. */
int mote_asn1_write_time(mote_asn1_writer *w, mote_time t);
/* A mote_asn1_time in the form its tag names (as mote_asn1_write_time if 0). */
int mote_asn1_write_time_as(mote_asn1_writer *w, const mote_asn1_time *t);

/* Encodes *in as a SEQUENCE of the fields (the inverse of
 * mote_asn1_decode). An OPTIONAL field is written when its PRESENT flag is
 * set, or without a flag when its value is not empty (a slice with a
 * non-NULL ptr, a tlv with a tag, a CHOICE index >= 0, a count > 0); a
 * DEFAULT field is omitted when equal to its default. */
int mote_asn1_encode(const mote_asn1_field *fields, const void *in, mote_asn1_writer *w);

#ifdef __cplusplus
}
#endif
#endif
