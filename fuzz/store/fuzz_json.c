/*
 * fuzz-store-json: the JSON-like value parser and the recursive three-way
 * JSON merge. The input is up to three documents separated by 0xff bytes:
 * ancestor, ours, theirs.
 */
#include <string.h>

#include "mote/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mote_slice part[3];
    size_t np = 0, start = 0;
    for (size_t i = 0; i <= size && np < 3; i++)
        if (i == size || data[i] == 0xff) {
            part[np++] = mote_slice_make(data + start, i - start);
            start = i + 1;
        }
    mote_buf out, why;
    mote_buf_init(&out, 0);
    mote_buf_init(&why, 4096);
    if (mote_store_json_canon(part[0], &out) == 0) {
        /* canonical output is a fixed point */
        mote_buf again;
        mote_buf_init(&again, 0);
        if (mote_store_json_canon(mote_buf_slice(&out), &again) != 0 || again.len != out.len ||
            memcmp(again.data, out.data, out.len) != 0)
            __builtin_trap();
        mote_buf_free(&again);
    }
    if (np == 3) {
        mote_buf_reset(&out);
        mote_store_merge_json(NULL, "x.json", &part[0], part[1], part[2], &out, &why);
        mote_buf_reset(&out);
        mote_buf_reset(&why);
        mote_store_merge_set(NULL, "x.set", &part[0], part[1], part[2], &out, &why);
        mote_buf_reset(&out);
        mote_buf_reset(&why);
        mote_store_merge_counter(NULL, "x.counter", &part[0], part[1], part[2], &out, &why);
        mote_buf_reset(&out);
        mote_buf_reset(&why);
        mote_store_merge_lww(NULL, "x.lww", &part[0], part[1], part[2], &out, &why);
    }
    mote_buf_free(&out);
    mote_buf_free(&why);
    return 0;
}
