/*
 * fuzz-asn1_dump: arbitrary bytes into the tree printer of `mote-asn1
 * dump` (apps/asn1/dump.c), lax and --strict, output to /dev/null. The
 * command must answer every input with status 0 or 1, never a crash.
 */
#include "dump.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *null = fopen("/dev/null", "w");
    if (!null)
        return 0;
    mote_slice in = mote_slice_make(data, size);
    int lax = asn1_dump(in, "fuzz", 0, null, null);
    int strict = asn1_dump(in, "fuzz", 1, null, null);
    fclose(null);
    if ((lax != 0 && lax != 1) || (strict != 0 && strict != 1))
        abort();
    if (strict == 0 && lax != 0)
        abort(); /* what strict accepts, lax accepts */
    return 0;
}
