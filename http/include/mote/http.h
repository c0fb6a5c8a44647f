/*
 * mote/http.h - libmote-http: a strict HTTP/1.1 message parser and writer
 * with no I/O of its own.
 *
 * The parser is fed bytes as they arrive and hands back one event at a
 * time: the head of a message (request line or status line, and the header
 * fields), pieces of the body, the end of the message. It follows RFC 9112
 * strictly and closes the doors that request smuggling goes through: a
 * message with both Content-Length and Transfer-Encoding, conflicting
 * Content-Lengths, a transfer coding other than a final "chunked",
 * obsolete line folding, a bare CR or LF, whitespace before a header
 * field's colon, control characters, a missing or repeated Host; each is
 * an error, with the status code a server should answer (400, 413, 414,
 * 431, 501, 505). Every size is bounded (mote_http_limits). After a
 * message ends the parser is ready for the next one on the same
 * connection, so keep-alive and pipelining need nothing more.
 *
 * The writer puts heads and chunked bodies into a mote_buf and refuses
 * field names and values that would break the framing (CR, LF, NUL).
 *
 * Helpers cover what servers need next: header look-up, the Connection
 * token list, percent-decoding of a path, one byte range (RFC 9110
 * 14.1.2), HTTP-date both ways, and entity-tag matching.
 */
#ifndef MOTE_HTTP_H
#define MOTE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "mote/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds on what one message may hold. Zero fields take the defaults. */
typedef struct mote_http_limits {
    size_t max_start_line; /* request or status line, default 8192 (414 past it) */
    size_t max_head;       /* start line plus all fields, default 65536 (431) */
    size_t max_fields;     /* header fields, default 100 (431) */
    uint64_t max_body;     /* decoded body bytes, default 1 MiB (413) */
    size_t max_chunk_line; /* chunk size line with extensions, default 1024 */
    size_t max_trailer;    /* trailer section bytes, default 8192 */
} mote_http_limits;

typedef struct mote_http_field {
    mote_slice name;  /* as sent (compare case-insensitively) */
    mote_slice value; /* leading and trailing whitespace removed */
} mote_http_field;

/* The head of a message. Slices point into the parser's own buffer and
 * stay valid until the next call of mote_http_parser_next after the
 * MOTE_HTTP_DONE event of this message (or until the parser is freed). */
typedef struct mote_http_head {
    /* request: */
    mote_slice method;
    mote_slice target;
    /* response: */
    int status;
    mote_slice reason;
    /* both: */
    int version_minor; /* HTTP/1.<minor>: 0 or 1 */
    const mote_http_field *fields;
    size_t nfields;
    /* Framing and connection facts derived from the fields: */
    int64_t content_length; /* -1 when absent */
    int chunked;            /* Transfer-Encoding: chunked */
    int until_close;        /* response body delimited by the connection's end */
    int keep_alive;         /* the connection may carry another message */
    int expect_continue;    /* request has Expect: 100-continue */
    int upgrade;            /* Connection: upgrade with an Upgrade field */
} mote_http_head;

enum mote_http_event {
    MOTE_HTTP_NEED_MORE = 0, /* all input consumed; feed more bytes */
    MOTE_HTTP_HEAD = 1,      /* the head is ready: mote_http_parser_head() */
    MOTE_HTTP_BODY = 2,      /* *body holds the next piece of the body */
    MOTE_HTTP_DONE = 3,      /* the message is complete (trailers, if any, read) */
};

enum mote_http_kind {
    MOTE_HTTP_REQUEST = 0,
    MOTE_HTTP_RESPONSE = 1,
};

typedef struct mote_http_parser mote_http_parser;

/* A parser for requests (a server's) or responses (a client's). limits
 * may be NULL for the defaults. NULL if out of memory. */
mote_http_parser *mote_http_parser_new(int kind, const mote_http_limits *limits);
void mote_http_parser_free(mote_http_parser *p);

/* For a response parser: the request this response answers was HEAD (so
 * the response has no body whatever its fields say). Set before the
 * response's head is parsed. */
void mote_http_parser_set_head_request(mote_http_parser *p, int is_head);

/* Consumes input and returns the next event (>= 0) or an error (< 0).
 * *used says how many of the len bytes were consumed; the caller passes
 * the rest again (with more appended, if it likes) on the next call.
 * For MOTE_HTTP_BODY, *body points into `data` and is valid until the
 * caller changes that memory. After an error the parser is dead: every
 * later call returns the same error. Errors: MOTE_EDECODE (malformed),
 * MOTE_ELIMIT (a bound), MOTE_EUNSUPPORTED (a transfer coding or version
 * mote does not handle); mote_http_parser_status() names the status a
 * server should answer with. */
int mote_http_parser_next(mote_http_parser *p, const uint8_t *data, size_t len, size_t *used,
                          mote_slice *body);

/* For a response delimited by the connection's end: the peer closed.
 * Returns MOTE_HTTP_DONE if that ends the message properly, MOTE_HTTP_NEED_MORE
 * if no message had started, or MOTE_EDECODE if the message was cut short. */
int mote_http_parser_eof(mote_http_parser *p);

/* The head of the current message (after MOTE_HTTP_HEAD), or NULL. */
const mote_http_head *mote_http_parser_head(const mote_http_parser *p);

/* After an error: the status code a server should send (400, 413, 414,
 * 431, 501 or 505); 0 if there was no error. */
int mote_http_parser_status(const mote_http_parser *p);

/* After an error: a short English reason, e.g. "bare LF in header". */
const char *mote_http_parser_reason(const mote_http_parser *p);

/* Byte offset, in the connection's input, where the error was found. */
uint64_t mote_http_parser_error_offset(const mote_http_parser *p);

/* ---- field helpers ---- */

/* The value of the first field with this name (case-insensitive), or a
 * slice with ptr NULL if absent. */
mote_slice mote_http_field_get(const mote_http_head *h, const char *name);

/* 1 if the comma-separated token list in the fields named `name` contains
 * `token` (case-insensitive), e.g. Connection: close. */
int mote_http_field_has_token(const mote_http_head *h, const char *name, const char *token);

/* 1 if the two slices are equal ignoring ASCII case. */
int mote_http_slice_ieq(mote_slice a, const char *b);

/* ---- writer ---- */

/* Appends "METHOD TARGET HTTP/1.1\r\n". MOTE_EINVAL if the method is not a
 * token or the target has spaces or control characters. */
int mote_http_write_request_line(mote_buf *out, const char *method, const char *target);

/* Appends "HTTP/1.1 STATUS REASON\r\n"; reason NULL gives the standard one.
 * MOTE_EINVAL for a status outside 100..999 or a bad reason. */
int mote_http_write_status_line(mote_buf *out, int status, const char *reason);

/* Appends "Name: value\r\n". MOTE_EINVAL if the name is not a token or the
 * value holds CR, LF, NUL or other control characters (HTAB is allowed). */
int mote_http_write_field(mote_buf *out, const char *name, const char *value);
int mote_http_write_fieldf(mote_buf *out, const char *name, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Appends the empty line that ends a head. */
int mote_http_write_end_head(mote_buf *out);

/* Appends one chunk of a chunked body (len 0 is skipped: use
 * mote_http_write_last_chunk to end the body). */
int mote_http_write_chunk(mote_buf *out, const void *data, size_t len);

/* Appends the last chunk and an empty trailer section. */
int mote_http_write_last_chunk(mote_buf *out);

/* The standard reason phrase of a status, or "Unknown". */
const char *mote_http_reason(int status);

/* ---- request-target and semantics helpers ---- */

/* Percent-decodes the path of an origin-form target ("/a%20b?x" → "/a b"),
 * stopping at '?' or '#'. Refuses (MOTE_EDECODE) a bad escape, an encoded
 * NUL or '/', and a path that does not start with '/'. Writes a
 * NUL-terminated string; MOTE_ENOSPC if out is too small. */
int mote_http_decode_path(mote_slice target, char *out, size_t outlen);

/* Removes "." and ".." segments and repeated slashes from a decoded path,
 * in place (RFC 3986 5.2.4). Returns MOTE_EPERM if ".." would climb above
 * the root (a traversal attempt). */
int mote_http_normalize_path(char *path);

/* Parses a Range field value against a representation of `size` bytes.
 * Returns 0 with [*first, *last] set (inclusive) for one satisfiable
 * range; MOTE_ERANGE if unsatisfiable (answer 416); MOTE_EUNSUPPORTED for
 * several ranges or a unit other than bytes (serve the whole body);
 * MOTE_EDECODE if malformed (ignore the field, RFC 9110 14.2). */
int mote_http_parse_range(mote_slice value, uint64_t size, uint64_t *first, uint64_t *last);

/* Formats an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", 30 bytes with
 * the NUL). MOTE_ENOSPC or MOTE_ERANGE on failure. */
int mote_http_format_date(int64_t sec, char *out, size_t n);

/* Parses an HTTP-date: IMF-fixdate, or the obsolete RFC 850 and asctime
 * forms (RFC 9110 5.6.7). MOTE_EDECODE if it is none of them. */
int mote_http_parse_date(mote_slice text, int64_t *sec);

/* 1 if an If-None-Match field value matches the entity-tag `etag` (given
 * with its quotes, e.g. "\"abc\"" or "W/\"abc\""), using the weak
 * comparison; "*" matches any. 0 otherwise, and for a malformed list. */
int mote_http_etag_match(mote_slice if_none_match, const char *etag);

#ifdef __cplusplus
}
#endif
#endif
