/* fuzz/http/http_request.c - libFuzzer target: arbitrary bytes as a
 * connection's input to the request parser (whole, then in pieces whose
 * sizes come from the first byte), then as a response, and through the
 * target, range, date and entity-tag helpers. Any crash, leak, hang or
 * undefined behaviour is a bug; every error must carry a status. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mote/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drive(int kind, const uint8_t *data, size_t size, size_t step)
{
    mote_http_limits lim = {
        .max_start_line = 512, .max_head = 4096, .max_fields = 16, .max_body = 65536};
    mote_http_parser *p = mote_http_parser_new(kind, &lim);
    if (!p)
        return;
    size_t off = 0, avail = 0;
    for (int guard = 0; guard < 100000; guard++) {
        /* Make more input visible in steps, as a socket would. */
        if (avail < size)
            avail = size - avail < step ? size : avail + step;
        size_t used;
        mote_slice body;
        int ev = mote_http_parser_next(p, data + off, avail - off, &used, &body);
        if (used > avail - off)
            abort();
        off += used;
        if (ev < 0) {
            int st = mote_http_parser_status(p);
            if (st < 400 || st > 505)
                abort();
            break;
        }
        if (ev == MOTE_HTTP_HEAD) {
            const mote_http_head *h = mote_http_parser_head(p);
            if (!h)
                abort();
            (void)mote_http_field_get(h, "host");
            (void)mote_http_field_has_token(h, "connection", "close");
            if (kind == MOTE_HTTP_REQUEST) {
                char path[256];
                if (mote_http_decode_path(h->target, path, sizeof path) == 0)
                    (void)mote_http_normalize_path(path);
                uint64_t a, b;
                (void)mote_http_parse_range(mote_http_field_get(h, "range"), 12345, &a, &b);
                int64_t t;
                (void)mote_http_parse_date(mote_http_field_get(h, "if-modified-since"), &t);
                (void)mote_http_etag_match(mote_http_field_get(h, "if-none-match"), "\"x\"");
            }
        }
        if (ev == MOTE_HTTP_BODY && body.len == 0)
            abort(); /* a body event always carries bytes */
        if (ev == MOTE_HTTP_NEED_MORE && avail == size)
            break;
    }
    if (kind == MOTE_HTTP_RESPONSE)
        (void)mote_http_parser_eof(p);
    mote_http_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t step = (size_t)(data[0] % 17) + 1;
    drive(MOTE_HTTP_REQUEST, data + 1, size - 1, size);
    drive(MOTE_HTTP_REQUEST, data + 1, size - 1, step);
    drive(MOTE_HTTP_RESPONSE, data + 1, size - 1, step);
    return 0;
}
