/*
 * fuzz-asn1_pem: arbitrary text into the PEM reader. Every block it
 * accepts is written again with mote_asn1_pem_write and read back: label
 * and bytes must survive. Base64 decoding of the raw input is exercised
 * too (what it accepts must encode back to the same text).
 */
#include "mote/asn1.h"
#include "mote/asn1_pem.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mote_asn1_pem_reader pr;
    mote_asn1_pem_reader_init(&pr, mote_slice_make(data, size));
    pr.max_block = 1u << 16;
    mote_buf der, text, again;
    mote_buf_init(&der, 0);
    mote_buf_init(&text, 0);
    mote_buf_init(&again, 0);
    mote_slice label;
    mote_asn1_error e;
    int blocks = 0, rc;
    while ((rc = mote_asn1_pem_next(&pr, &label, &der, NULL, &e)) == 0 && blocks < 64) {
        blocks++;
        if (label.len > MOTE_ASN1_PEM_LABEL_MAX || der.len > pr.max_block)
            abort();
        char lab[MOTE_ASN1_PEM_LABEL_MAX + 1];
        memcpy(lab, label.ptr, label.len);
        lab[label.len] = 0;
        mote_buf_reset(&text);
        if (mote_asn1_pem_write(&text, lab, mote_buf_slice(&der)) != 0)
            abort();
        mote_asn1_pem_reader back;
        mote_slice label2;
        mote_asn1_pem_reader_init(&back, mote_buf_slice(&text));
        mote_buf_reset(&again);
        if (mote_asn1_pem_next(&back, &label2, &again, NULL, &e) != 0 ||
            !mote_slice_eq(label, label2) ||
            !mote_slice_eq(mote_buf_slice(&der), mote_buf_slice(&again)))
            abort();
        mote_buf_reset(&der);
    }
    if (rc != 0 && rc != MOTE_ENOTFOUND && e.offset > size)
        abort();

    size_t at;
    mote_buf_reset(&der);
    if (mote_asn1_base64_decode(mote_slice_make(data, size), &der, &at) == 0) {
        mote_buf_reset(&text);
        if (mote_asn1_base64_encode(mote_buf_slice(&der), &text) != 0 ||
            !mote_slice_eq(mote_buf_slice(&text), mote_slice_make(data, size)))
            abort();
    } else if (at > size) {
        abort();
    }
    mote_asn1_pem_detect(mote_slice_make(data, size));
    mote_buf_free(&der);
    mote_buf_free(&text);
    mote_buf_free(&again);
    return 0;
}
