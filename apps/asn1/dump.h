/* dump.h - the tree printer of `mote-asn1 dump`. */
#ifndef MOTE_APPS_ASN1_DUMP_H
#define MOTE_APPS_ASN1_DUMP_H

#include <stdio.h>

#include "mote/bytes.h"

/* Prints the element tree of DER or PEM (detected) `text` to out, errors
 * (naming `path`) to err. With strict, the first DER violation ends the
 * dump. Returns the exit status: 0 success, 1 malformed input. */
int asn1_dump(mote_slice text, const char *path, int strict, FILE *out, FILE *err);

#endif
