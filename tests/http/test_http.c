/* test_http.c - libmote-http: parser (valid, malformed, smuggling, limits,
 * pipelining, incremental feeding), writer, and helpers. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/http.h"

/* What a run of the parser saw. */
struct run {
    int heads, dones, err, status;
    char method[32], target[256];
    int resp_status;
    size_t nfields;
    int keep_alive, chunked, expect_continue;
    int64_t content_length;
    char body[8192];
    size_t body_len;
    char host[64];
};

/* Feeds `msg` in pieces of `step` bytes (0 = all at once), keeping any
 * unconsumed rest in front of the next piece, as a real reader would. */
static void run_parser(mote_http_parser *p, const char *msg, size_t len, size_t step, struct run *r)
{
    memset(r, 0, sizeof *r);
    char pending[16384];
    size_t plen = 0, off = 0;
    if (step == 0)
        step = len ? len : 1;
    while (off < len || plen) {
        size_t n = len - off < step ? len - off : step;
        ck_assert_uint_lt(plen + n, sizeof pending);
        memcpy(pending + plen, msg + off, n);
        plen += n;
        off += n;
        size_t pos = 0;
        for (;;) {
            size_t used;
            mote_slice body;
            int ev =
                mote_http_parser_next(p, (const uint8_t *)pending + pos, plen - pos, &used, &body);
            pos += used;
            if (ev < 0) {
                r->err = ev;
                r->status = mote_http_parser_status(p);
                return;
            }
            if (ev == MOTE_HTTP_NEED_MORE)
                break;
            if (ev == MOTE_HTTP_HEAD) {
                const mote_http_head *h = mote_http_parser_head(p);
                ck_assert_ptr_nonnull(h);
                r->heads++;
                snprintf(r->method, sizeof r->method, "%.*s", (int)h->method.len,
                         (const char *)h->method.ptr);
                snprintf(r->target, sizeof r->target, "%.*s", (int)h->target.len,
                         (const char *)h->target.ptr);
                r->resp_status = h->status;
                r->nfields = h->nfields;
                r->keep_alive = h->keep_alive;
                r->chunked = h->chunked;
                r->expect_continue = h->expect_continue;
                r->content_length = h->content_length;
                mote_slice host = mote_http_field_get(h, "Host");
                snprintf(r->host, sizeof r->host, "%.*s", (int)host.len,
                         host.ptr ? (const char *)host.ptr : "");
            } else if (ev == MOTE_HTTP_BODY) {
                ck_assert_uint_lt(r->body_len + body.len, sizeof r->body);
                memcpy(r->body + r->body_len, body.ptr, body.len);
                r->body_len += body.len;
            } else if (ev == MOTE_HTTP_DONE) {
                r->dones++;
            }
        }
        memmove(pending, pending + pos, plen - pos);
        plen -= pos;
        if (off == len && plen) {
            /* Nothing more will come: the rest must have been unusable. */
            break;
        }
    }
}

static void parse_req(const char *msg, size_t step, struct run *r)
{
    mote_http_parser *p = mote_http_parser_new(MOTE_HTTP_REQUEST, NULL);
    ck_assert_ptr_nonnull(p);
    run_parser(p, msg, strlen(msg), step, r);
    mote_http_parser_free(p);
}

static const size_t steps[] = {0, 1, 2, 3, 7, 64};

START_TEST(test_simple_get)
{
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        struct run r;
        parse_req("GET /index.html?q=1 HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n"
                  "User-Agent:  curl/7.88   \r\n\r\n",
                  steps[s], &r);
        ck_assert_int_eq(r.err, 0);
        ck_assert_int_eq(r.heads, 1);
        ck_assert_int_eq(r.dones, 1);
        ck_assert_str_eq(r.method, "GET");
        ck_assert_str_eq(r.target, "/index.html?q=1");
        ck_assert_str_eq(r.host, "example.org");
        ck_assert_uint_eq(r.nfields, 3);
        ck_assert_int_eq(r.keep_alive, 1);
        ck_assert_int_eq(r.body_len, 0);
        ck_assert(r.content_length == -1);
    }
}
END_TEST

START_TEST(test_field_values_trimmed)
{
    mote_http_parser *p = mote_http_parser_new(MOTE_HTTP_REQUEST, NULL);
    const char *m = "GET / HTTP/1.1\r\nHost: h\r\nX-A: \t a b \t\r\nX-Empty:\r\n\r\n";
    size_t used;
    mote_slice body;
    ck_assert_int_eq(mote_http_parser_next(p, (const uint8_t *)m, strlen(m), &used, &body),
                     MOTE_HTTP_HEAD);
    const mote_http_head *h = mote_http_parser_head(p);
    mote_slice v = mote_http_field_get(h, "x-a");
    ck_assert(mote_slice_eq(v, mote_slice_str("a b")));
    v = mote_http_field_get(h, "X-EMPTY");
    ck_assert_ptr_nonnull(v.ptr);
    ck_assert_uint_eq(v.len, 0);
    ck_assert_ptr_null(mote_http_field_get(h, "missing").ptr);
    mote_http_parser_free(p);
}
END_TEST

START_TEST(test_content_length_body)
{
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        struct run r;
        parse_req("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world", steps[s],
                  &r);
        ck_assert_int_eq(r.err, 0);
        ck_assert_int_eq(r.dones, 1);
        ck_assert(r.content_length == 11);
        ck_assert_uint_eq(r.body_len, 11);
        ck_assert_mem_eq(r.body, "hello world", 11);
    }
}
END_TEST

START_TEST(test_chunked_body)
{
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        struct run r;
        parse_req("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6;name=val;q=\"x y\"\r\n world\r\n"
                  "0000A\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n",
                  steps[s], &r);
        ck_assert_int_eq(r.err, 0);
        ck_assert_int_eq(r.dones, 1);
        ck_assert_int_eq(r.chunked, 1);
        ck_assert_uint_eq(r.body_len, 21);
        ck_assert_mem_eq(r.body, "hello world0123456789", 21);
    }
}
END_TEST

START_TEST(test_pipelining)
{
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        mote_http_parser *p = mote_http_parser_new(MOTE_HTTP_REQUEST, NULL);
        struct run r;
        const char *m = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                        "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
                        "\r\nGET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
        run_parser(p, m, strlen(m), steps[s], &r);
        ck_assert_int_eq(r.err, 0);
        ck_assert_int_eq(r.heads, 3);
        ck_assert_int_eq(r.dones, 3);
        ck_assert_str_eq(r.target, "/c");
        ck_assert_int_eq(r.keep_alive, 0);
        ck_assert_uint_eq(r.body_len, 3);
        mote_http_parser_free(p);
    }
}
END_TEST

START_TEST(test_keep_alive_rules)
{
    struct run r;
    parse_req("GET / HTTP/1.0\r\n\r\n", 0, &r);
    ck_assert_int_eq(r.err, 0);
    ck_assert_int_eq(r.keep_alive, 0);
    parse_req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, &r);
    ck_assert_int_eq(r.keep_alive, 1);
    parse_req("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, CLOSE\r\n\r\n", 0, &r);
    ck_assert_int_eq(r.keep_alive, 0);
    parse_req("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx", 0,
              &r);
    ck_assert_int_eq(r.expect_continue, 1);
    /* Leading empty lines are ignored (RFC 9112 2.2). */
    parse_req("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 1, &r);
    ck_assert_int_eq(r.err, 0);
    ck_assert_int_eq(r.dones, 1);
    /* Other request-target forms. */
    parse_req("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 0, &r);
    ck_assert_int_eq(r.err, 0);
    parse_req("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n", 0, &r);
    ck_assert_int_eq(r.err, 0);
    parse_req("GET http://example.org/x HTTP/1.1\r\nHost: example.org\r\n\r\n", 0, &r);
    ck_assert_int_eq(r.err, 0);
    ck_assert_str_eq(r.target, "http://example.org/x");
}
END_TEST

/* Malformed and smuggling-prone requests: each must fail with its status. */
static const struct bad_case {
    const char *msg;
    int status;
    const char *why;
} bad_cases[] = {
    {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     "CL and TE together"},
    {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400,
     "TE and CL together"},
    {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
     "conflicting CL"},
    {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n", 400, "CL list differs"},
    {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400, "CL sign"},
    {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\n", 400, "CL hex"},
    {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400, "CL empty"},
    {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400,
     "CL overflow"},
    {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "TE not chunked"},
    {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
     "TE coding not implemented"},
    {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400,
     "TE chunked twice"},
    {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n", 400,
     "coding after chunked"},
    {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", 400, "TE quoted"},
    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "TE in HTTP/1.0"},
    {"GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n", 400, "obs-fold"},
    {"GET / HTTP/1.1\r\nHost: h\r\n\tX: a\r\n\r\n", 400, "line starting with tab"},
    {"GET / HTTP/1.1\nHost: h\r\n\r\n", 400, "bare LF after request line"},
    {"GET / HTTP/1.1\r\nHost: h\n\r\n", 400, "bare LF in field"},
    {"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400, "bare CR in value"},
    {"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "space before colon"},
    {"GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", 400, "tab before colon"},
    {"GET / HTTP/1.1\r\nHo st: h\r\n\r\n", 400, "space in name"},
    {"GET / HTTP/1.1\r\n: h\r\n\r\n", 400, "empty name"},
    {"GET / HTTP/1.1\r\nHost h\r\n\r\n", 400, "no colon"},
    {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n", 400, "control char in value"},
    {"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fz\r\n\r\n", 400, "DEL in value"},
    {"GET / HTTP/1.1\r\n\r\n", 400, "missing Host in 1.1"},
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Hosts"},
    {"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "double space"},
    {"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400, "trailing space on request line"},
    {"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400, "space in target"},
    {"GET / http/1.1\r\nHost: h\r\n\r\n", 400, "lowercase version"},
    {"GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400, "long version"},
    {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "version 2"},
    {"GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505, "version 0.9"},
    {"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "bad method"},
    {"GET\r\n\r\n", 400, "no target"},
    {"GET x HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target not a form"},
    {"GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400, "asterisk with GET"},
    {"GET /\x80 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "non-ascii target"},
    {"GET / HTTP/1.1\r\nHost: h\r\nX: \0\r\n\r\n", 400, "NUL"},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", 400,
     "bad chunk size"},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX", 400,
     "no CRLF after chunk"},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n", 400,
     "bare LF in chunk line"},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n", 400,
     "empty extension"},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n", 400,
     "junk after size"},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
     "fffffffffffffffff\r\n",
     413, "chunk size overflow"},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n",
     400, "bad trailer name"},
    {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n x: y\r\n\r\n", 400,
     "folded trailer"},
    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n", 413, "CL over max body"},
    {"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400,
     "too many empty lines"},
};

START_TEST(test_bad_requests)
{
    for (size_t s = 0; s < 3; s++) {
        for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
            const struct bad_case *c = &bad_cases[i];
            mote_http_parser *p = mote_http_parser_new(MOTE_HTTP_REQUEST, NULL);
            struct run r;
            /* strlen would stop at an embedded NUL: the NUL case is sized by hand. */
            size_t len = strlen(c->msg);
            if (strcmp(c->why, "NUL") == 0)
                len = 33; /* up to the final CRLFCRLF, NUL included */
            run_parser(p, c->msg, len, steps[s], &r);
            ck_assert_msg(r.err < 0, "%s: accepted (step %zu)", c->why, steps[s]);
            ck_assert_msg(r.status == c->status, "%s: status %d, want %d (%s)", c->why, r.status,
                          c->status, mote_http_parser_reason(p));
            /* Dead after an error: the same error again, nothing consumed. */
            size_t used = 99;
            ck_assert_int_eq(mote_http_parser_next(p, (const uint8_t *)"x", 1, &used, NULL), r.err);
            ck_assert_uint_eq(used, 0);
            ck_assert_str_ne(mote_http_parser_reason(p), "");
            mote_http_parser_free(p);
        }
    }
}
END_TEST

START_TEST(test_error_offset)
{
    mote_http_parser *p = mote_http_parser_new(MOTE_HTTP_REQUEST, NULL);
    const char *m = "GET / HTTP/1.1\r\nHost: h\r\nX: a\nb\r\n\r\n";
    size_t used;
    int rc = mote_http_parser_next(p, (const uint8_t *)m, strlen(m), &used, NULL);
    ck_assert_int_eq(rc, MOTE_EDECODE);
    ck_assert_str_eq(mote_http_parser_reason(p), "bare LF in head");
    ck_assert_uint_eq(mote_http_parser_error_offset(p), 29);
    mote_http_parser_free(p);
}
END_TEST

START_TEST(test_limits)
{
    mote_http_limits lim = {.max_start_line = 32, .max_head = 128, .max_fields = 3, .max_body = 10};
    char big[512];
    struct run r;
    mote_http_parser *p;

    snprintf(big, sizeof big, "GET /%040d HTTP/1.1\r\nHost: h\r\n\r\n", 0);
    p = mote_http_parser_new(MOTE_HTTP_REQUEST, &lim);
    run_parser(p, big, strlen(big), 5, &r);
    ck_assert_int_eq(r.err, MOTE_ELIMIT);
    ck_assert_int_eq(r.status, 414);
    mote_http_parser_free(p);

    p = mote_http_parser_new(MOTE_HTTP_REQUEST, &lim);
    const char *many = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    run_parser(p, many, strlen(many), 0, &r);
    ck_assert_int_eq(r.status, 431);
    mote_http_parser_free(p);

    p = mote_http_parser_new(MOTE_HTTP_REQUEST, &lim);
    snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: h\r\nX: %0150d\r\n\r\n", 0);
    run_parser(p, big, strlen(big), 0, &r);
    ck_assert_int_eq(r.status, 431);
    mote_http_parser_free(p);

    p = mote_http_parser_new(MOTE_HTTP_REQUEST, &lim);
    const char *ch = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n";
    run_parser(p, ch, strlen(ch), 0, &r);
    ck_assert_int_eq(r.status, 413);
    ck_assert_uint_eq(r.body_len, 6);
    mote_http_parser_free(p);
}
END_TEST

START_TEST(test_responses)
{
    struct run r;
    mote_http_parser *p = mote_http_parser_new(MOTE_HTTP_RESPONSE, NULL);
    const char *m = "HTTP/1.1 100 Continue\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"
                    "HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n"
                    "HTTP/1.1 304 Not Modified\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    run_parser(p, m, strlen(m), 3, &r);
    ck_assert_int_eq(r.err, 0);
    ck_assert_int_eq(r.heads, 5);
    ck_assert_int_eq(r.dones, 5);
    ck_assert_uint_eq(r.body_len, 7);
    ck_assert_mem_eq(r.body, "bodyabc", 7);
    mote_http_parser_free(p);

    /* A response to HEAD has no body whatever Content-Length says. */
    p = mote_http_parser_new(MOTE_HTTP_RESPONSE, NULL);
    mote_http_parser_set_head_request(p, 1);
    m = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    run_parser(p, m, strlen(m), 0, &r);
    ck_assert_int_eq(r.dones, 1);
    ck_assert_uint_eq(r.body_len, 0);
    mote_http_parser_free(p);

    /* Until-close body. */
    p = mote_http_parser_new(MOTE_HTTP_RESPONSE, NULL);
    m = "HTTP/1.0 200 OK\r\n\r\nstream of bytes";
    run_parser(p, m, strlen(m), 4, &r);
    ck_assert_int_eq(r.dones, 0);
    ck_assert_uint_eq(r.body_len, 15);
    ck_assert_int_eq(mote_http_parser_eof(p), MOTE_HTTP_DONE);
    ck_assert_int_eq(mote_http_parser_eof(p), MOTE_HTTP_NEED_MORE);
    mote_http_parser_free(p);

    /* Cut short by the close. */
    p = mote_http_parser_new(MOTE_HTTP_RESPONSE, NULL);
    m = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    run_parser(p, m, strlen(m), 0, &r);
    ck_assert_int_eq(mote_http_parser_eof(p), MOTE_EDECODE);
    mote_http_parser_free(p);

    /* Bad status lines. */
    const char *bad[] = {"HTTP/1.1 20 OK\r\n\r\n",      "HTTP/1.1 2000 OK\r\n\r\n",
                         "HTTP/1.1 abc OK\r\n\r\n",     "HTTP/1.1 099 x\r\n\r\n",
                         "HTTP/1.1 200 O\x01K\r\n\r\n", "HTTP/3 200 OK\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = mote_http_parser_new(MOTE_HTTP_RESPONSE, NULL);
        run_parser(p, bad[i], strlen(bad[i]), 0, &r);
        ck_assert_msg(r.err < 0, "accepted %s", bad[i]);
        mote_http_parser_free(p);
    }
    /* Status without a reason phrase. */
    p = mote_http_parser_new(MOTE_HTTP_RESPONSE, NULL);
    m = "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n";
    run_parser(p, m, strlen(m), 0, &r);
    ck_assert_int_eq(r.err, 0);
    ck_assert_int_eq(r.resp_status, 404);
    mote_http_parser_free(p);
}
END_TEST

START_TEST(test_writer_roundtrip)
{
    mote_buf b;
    mote_buf_init(&b, 1 << 16);
    ck_assert_int_eq(mote_http_write_request_line(&b, "POST", "/data?x=1"), 0);
    ck_assert_int_eq(mote_http_write_field(&b, "Host", "example.org"), 0);
    ck_assert_int_eq(mote_http_write_field(&b, "Transfer-Encoding", "chunked"), 0);
    ck_assert_int_eq(mote_http_write_fieldf(&b, "X-Count", "%d", 42), 0);
    ck_assert_int_eq(mote_http_write_end_head(&b), 0);
    ck_assert_int_eq(mote_http_write_chunk(&b, "hello ", 6), 0);
    ck_assert_int_eq(mote_http_write_chunk(&b, "", 0), 0);
    char big[300];
    memset(big, 'z', sizeof big);
    ck_assert_int_eq(mote_http_write_chunk(&b, big, sizeof big), 0);
    ck_assert_int_eq(mote_http_write_last_chunk(&b), 0);
    mote_buf_append_byte(&b, 0);
    struct run r;
    parse_req((const char *)b.data, 5, &r);
    ck_assert_int_eq(r.err, 0);
    ck_assert_int_eq(r.dones, 1);
    ck_assert_str_eq(r.target, "/data?x=1");
    ck_assert_uint_eq(r.body_len, 306);

    /* Refusals that keep framing intact. */
    ck_assert_int_eq(mote_http_write_field(&b, "X", "a\r\nInjected: 1"), MOTE_EINVAL);
    ck_assert_int_eq(mote_http_write_field(&b, "Bad Name", "v"), MOTE_EINVAL);
    ck_assert_int_eq(mote_http_write_field(&b, "", "v"), MOTE_EINVAL);
    ck_assert_int_eq(mote_http_write_request_line(&b, "GET", "/a b"), MOTE_EINVAL);
    ck_assert_int_eq(mote_http_write_request_line(&b, "G T", "/"), MOTE_EINVAL);
    ck_assert_int_eq(mote_http_write_status_line(&b, 99, NULL), MOTE_EINVAL);
    ck_assert_int_eq(mote_http_write_status_line(&b, 200, "O\nK"), MOTE_EINVAL);

    mote_buf_reset(&b);
    ck_assert_int_eq(mote_http_write_status_line(&b, 416, NULL), 0);
    ck_assert_int_eq(mote_http_write_field(&b, "Content-Length", "0"), 0);
    ck_assert_int_eq(mote_http_write_end_head(&b), 0);
    ck_assert_int_eq(b.len,
                     strlen("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\n\r\n"));
    ck_assert_mem_eq(b.data, "HTTP/1.1 416 Range Not Satisfiable\r\n", 36);
    mote_buf_free(&b);
    ck_assert_str_eq(mote_http_reason(431), "Request Header Fields Too Large");
    ck_assert_str_eq(mote_http_reason(299), "Unknown");
}
END_TEST

START_TEST(test_paths)
{
    char out[64];
    ck_assert_int_eq(mote_http_decode_path(mote_slice_str("/a%20b/c.txt?x=%2F"), out, sizeof out),
                     0);
    ck_assert_str_eq(out, "/a b/c.txt");
    ck_assert_int_eq(mote_http_decode_path(mote_slice_str("/%41%62#frag"), out, sizeof out), 0);
    ck_assert_str_eq(out, "/Ab");
    const char *bad[] = {"/a%2fb", "/a%2Fb", "/a%00", "/a%", "/a%2", "/a%zz", "a/b", "", "/a%5c"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(mote_http_decode_path(mote_slice_str(bad[i]), out, sizeof out) ==
                          MOTE_EDECODE,
                      "accepted %s", bad[i]);
    ck_assert_int_eq(mote_http_decode_path(mote_slice_str("/0123456789"), out, 8), MOTE_ENOSPC);

    static const struct {
        const char *in, *out;
    } norm[] = {{"/", "/"},           {"/a/b", "/a/b"},      {"//a///b", "/a/b"},
                {"/a/./b/", "/a/b/"}, {"/a/b/../c", "/a/c"}, {"/a/b/..", "/a/"},
                {"/a/..", "/"},       {"/.", "/"},           {"/a/b/../../c/.", "/c/"}};
    for (size_t i = 0; i < sizeof norm / sizeof norm[0]; i++) {
        char p[64];
        snprintf(p, sizeof p, "%s", norm[i].in);
        ck_assert_int_eq(mote_http_normalize_path(p), 0);
        ck_assert_msg(strcmp(p, norm[i].out) == 0, "%s -> %s, want %s", norm[i].in, p, norm[i].out);
    }
    const char *escapes[] = {"/..", "/../etc/passwd", "/a/../../b", "/a/./../.."};
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        char p[64];
        snprintf(p, sizeof p, "%s", escapes[i]);
        ck_assert_msg(mote_http_normalize_path(p) == MOTE_EPERM, "allowed %s", escapes[i]);
    }
}
END_TEST

START_TEST(test_ranges)
{
    uint64_t a, b;
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("bytes=0-99"), 1000, &a, &b), 0);
    ck_assert(a == 0 && b == 99);
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("bytes=500-"), 1000, &a, &b), 0);
    ck_assert(a == 500 && b == 999);
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("bytes=-100"), 1000, &a, &b), 0);
    ck_assert(a == 900 && b == 999);
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("bytes=-5000"), 1000, &a, &b), 0);
    ck_assert(a == 0 && b == 999);
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("bytes=990-2000"), 1000, &a, &b), 0);
    ck_assert(a == 990 && b == 999);
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("BYTES=1-1"), 1000, &a, &b), 0);
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("bytes=1000-"), 1000, &a, &b),
                     MOTE_ERANGE);
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("bytes=-0"), 1000, &a, &b), MOTE_ERANGE);
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("bytes=0-"), 0, &a, &b), MOTE_ERANGE);
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("bytes=0-1,5-6"), 1000, &a, &b),
                     MOTE_EUNSUPPORTED);
    ck_assert_int_eq(mote_http_parse_range(mote_slice_str("items=0-1"), 1000, &a, &b),
                     MOTE_EUNSUPPORTED);
    const char *bad[] = {"bytes=5-1", "bytes=a-b", "bytes",       "bytes=",
                         "bytes=-",   "=0-1",      "bytes=1-2-3", "bytes=99999999999999999999-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(mote_http_parse_range(mote_slice_str(bad[i]), 1000, &a, &b) == MOTE_EDECODE,
                      "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_dates)
{
    char d[32];
    int64_t s;
    ck_assert_int_eq(mote_http_format_date(784111777, d, sizeof d), 0);
    ck_assert_str_eq(d, "Sun, 06 Nov 1994 08:49:37 GMT");
    ck_assert_int_eq(mote_http_format_date(0, d, 29), MOTE_ENOSPC);
    ck_assert_int_eq(mote_http_parse_date(mote_slice_str("Sun, 06 Nov 1994 08:49:37 GMT"), &s), 0);
    ck_assert(s == 784111777);
    ck_assert_int_eq(mote_http_parse_date(mote_slice_str("Sunday, 06-Nov-94 08:49:37 GMT"), &s), 0);
    ck_assert(s == 784111777);
    ck_assert_int_eq(mote_http_parse_date(mote_slice_str("Sun Nov  6 08:49:37 1994"), &s), 0);
    ck_assert(s == 784111777);
    ck_assert_int_eq(mote_http_format_date(1700000000, d, sizeof d), 0);
    ck_assert_int_eq(mote_http_parse_date(mote_slice_str(d), &s), 0);
    ck_assert(s == 1700000000);
    const char *bad[] = {"Mon, 06 Nov 1994 08:49:37 GMT",
                         "Sun, 06 Nov 1994 08:49:37 UTC",
                         "Sun, 31 Nov 1994 08:49:37 GMT",
                         "Sun, 06 Nox 1994 08:49:37 GMT",
                         "Sun, 06 Nov 1994 24:49:37 GMT",
                         "yesterday",
                         "",
                         "Sunday, 06-Nov-94 08:49:37 UTC"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(mote_http_parse_date(mote_slice_str(bad[i]), &s) == MOTE_EDECODE,
                      "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_etags)
{
    ck_assert_int_eq(mote_http_etag_match(mote_slice_str("\"abc\""), "\"abc\""), 1);
    ck_assert_int_eq(mote_http_etag_match(mote_slice_str("W/\"abc\""), "\"abc\""), 1);
    ck_assert_int_eq(mote_http_etag_match(mote_slice_str("\"x\", \"abc\""), "W/\"abc\""), 1);
    ck_assert_int_eq(mote_http_etag_match(mote_slice_str("*"), "\"abc\""), 1);
    ck_assert_int_eq(mote_http_etag_match(mote_slice_str("\"abcd\""), "\"abc\""), 0);
    ck_assert_int_eq(mote_http_etag_match(mote_slice_str("abc"), "\"abc\""), 0);
    ck_assert_int_eq(mote_http_etag_match(mote_slice_str("\"abc"), "\"abc\""), 0);
    ck_assert_int_eq(mote_http_etag_match(mote_slice_make(NULL, 0), "\"abc\""), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("parser");
    tcase_add_test(tc, test_simple_get);
    tcase_add_test(tc, test_field_values_trimmed);
    tcase_add_test(tc, test_content_length_body);
    tcase_add_test(tc, test_chunked_body);
    tcase_add_test(tc, test_pipelining);
    tcase_add_test(tc, test_keep_alive_rules);
    tcase_add_test(tc, test_bad_requests);
    tcase_add_test(tc, test_error_offset);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_responses);
    suite_add_tcase(s, tc);
    TCase *tw = tcase_create("writer-and-helpers");
    tcase_add_test(tw, test_writer_roundtrip);
    tcase_add_test(tw, test_paths);
    tcase_add_test(tw, test_ranges);
    tcase_add_test(tw, test_dates);
    tcase_add_test(tw, test_etags);
    suite_add_tcase(s, tw);
    return tu_run_suite(s);
}
