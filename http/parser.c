/* parser.c - the strict HTTP/1.1 message parser (RFC 9112). */
#include "mote/http.h"
#include "http_private.h"

#include <stdlib.h>
#include <string.h>

enum state {
    ST_START,      /* before a message (leading empty lines allowed) */
    ST_HEAD,       /* reading the head up to the empty line */
    ST_HEAD_READY, /* head parsed; MOTE_HTTP_HEAD to be returned */
    ST_BODY_LEN,   /* Content-Length body: `remaining` bytes left */
    ST_BODY_CLOSE, /* response body until the connection closes */
    ST_CHUNK_LINE, /* reading a chunk-size line */
    ST_CHUNK_DATA, /* `remaining` bytes of chunk data left */
    ST_CHUNK_CRLF, /* the CRLF after chunk data; `remaining` is 2 or 1 */
    ST_TRAILER,    /* trailer section lines up to the empty line */
    ST_DONE,       /* message complete; MOTE_HTTP_DONE to be returned */
    ST_AFTER_DONE, /* reset lazily on the next call */
    ST_DEAD,
};

#define MAX_LEADING_EMPTY_LINES 8

struct mote_http_parser {
    int kind;
    mote_http_limits lim;
    int head_request;
    enum state st;
    int err;
    int status;
    const char *reason;
    uint64_t err_off;
    uint64_t offset;   /* connection bytes consumed before this call's data */
    uint64_t head_off; /* connection offset of the head's first byte */
    mote_buf head;     /* the head's bytes, CRLFs included */
    size_t line_start; /* index in head (or line) of the line being read */
    int saw_cr;
    int leading;
    int in_start_line;
    mote_http_field *fields;
    mote_http_head h;
    uint64_t remaining;
    uint64_t body_total;
    mote_buf line; /* chunk-size line or trailer section */
};

static const mote_http_limits defaults = {8192, 65536, 100, 1u << 20, 1024, 8192};

mote_http_parser *mote_http_parser_new(int kind, const mote_http_limits *limits)
{
    if (kind != MOTE_HTTP_REQUEST && kind != MOTE_HTTP_RESPONSE)
        return NULL;
    mote_http_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->kind = kind;
    p->lim = defaults;
    if (limits) {
        if (limits->max_start_line)
            p->lim.max_start_line = limits->max_start_line;
        if (limits->max_head)
            p->lim.max_head = limits->max_head;
        if (limits->max_fields)
            p->lim.max_fields = limits->max_fields;
        if (limits->max_body)
            p->lim.max_body = limits->max_body;
        if (limits->max_chunk_line)
            p->lim.max_chunk_line = limits->max_chunk_line;
        if (limits->max_trailer)
            p->lim.max_trailer = limits->max_trailer;
    }
    p->fields = calloc(p->lim.max_fields, sizeof *p->fields);
    if (!p->fields) {
        free(p);
        return NULL;
    }
    mote_buf_init(&p->head, p->lim.max_head);
    mote_buf_init(&p->line, p->lim.max_chunk_line > p->lim.max_trailer ? p->lim.max_chunk_line
                                                                       : p->lim.max_trailer);
    p->st = ST_START;
    p->in_start_line = 1;
    return p;
}

void mote_http_parser_free(mote_http_parser *p)
{
    if (!p)
        return;
    mote_buf_free(&p->head);
    mote_buf_free(&p->line);
    free(p->fields);
    free(p);
}

void mote_http_parser_set_head_request(mote_http_parser *p, int is_head)
{
    p->head_request = is_head;
}

const mote_http_head *mote_http_parser_head(const mote_http_parser *p)
{
    if (p->st == ST_START || p->st == ST_HEAD || p->st == ST_DEAD)
        return NULL;
    return &p->h;
}

int mote_http_parser_status(const mote_http_parser *p)
{
    return p->err ? p->status : 0;
}

const char *mote_http_parser_reason(const mote_http_parser *p)
{
    return p->err ? p->reason : "";
}

uint64_t mote_http_parser_error_offset(const mote_http_parser *p)
{
    return p->err_off;
}

static int fail(mote_http_parser *p, int err, int status, const char *reason, uint64_t off)
{
    p->st = ST_DEAD;
    p->err = err;
    p->status = status;
    p->reason = reason;
    p->err_off = off;
    return err;
}

static void reset_message(mote_http_parser *p)
{
    mote_buf_reset(&p->head);
    mote_buf_reset(&p->line);
    memset(&p->h, 0, sizeof p->h);
    p->line_start = 0;
    p->saw_cr = 0;
    p->leading = 0;
    p->in_start_line = 1;
    p->remaining = 0;
    p->body_total = 0;
    p->st = ST_START;
}

/* ---- head parsing ---- */

static int parse_version(mote_slice v, int *minor)
{
    /* HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive. */
    if (v.len != 8 || memcmp(v.ptr, "HTTP/", 5) != 0 || !http_is_digit(v.ptr[5]) ||
        v.ptr[6] != '.' || !http_is_digit(v.ptr[7]))
        return MOTE_EDECODE;
    if (v.ptr[5] != '1')
        return MOTE_EUNSUPPORTED;
    *minor = v.ptr[7] - '0';
    return 0;
}

static int valid_target(mote_slice method, mote_slice t)
{
    if (t.len == 0)
        return 0;
    for (size_t i = 0; i < t.len; i++)
        if (t.ptr[i] <= 0x20 || t.ptr[i] >= 0x7f)
            return 0;
    if (mote_http_slice_ieq(method, "CONNECT") && mote_slice_eq(method, mote_slice_str("CONNECT")))
        return t.ptr[0] != '/'; /* authority-form */
    if (t.len == 1 && t.ptr[0] == '*')
        return mote_slice_eq(method, mote_slice_str("OPTIONS")); /* asterisk-form */
    if (t.ptr[0] == '/')
        return 1; /* origin-form */
    /* absolute-form: scheme ":" ... with scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    size_t i = 0;
    if (!http_is_alpha(t.ptr[0]))
        return 0;
    while (i < t.len && (http_is_alpha(t.ptr[i]) || http_is_digit(t.ptr[i]) || t.ptr[i] == '+' ||
                         t.ptr[i] == '-' || t.ptr[i] == '.'))
        i++;
    return i < t.len && t.ptr[i] == ':';
}

/* Parses a Content-Length value (a list of equal decimal numbers allowed). */
static int parse_content_length(mote_slice v, int64_t *out)
{
    int64_t val = -1;
    size_t i = 0;
    while (i <= v.len) {
        while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t'))
            i++;
        size_t start = i;
        uint64_t n = 0;
        while (i < v.len && http_is_digit(v.ptr[i])) {
            if (n > (UINT64_MAX >> 2) / 10)
                return MOTE_ERANGE;
            n = n * 10 + (uint64_t)(v.ptr[i] - '0');
            i++;
        }
        if (i == start || n > INT64_MAX / 2)
            return i == start ? MOTE_EDECODE : MOTE_ERANGE;
        if (val >= 0 && (uint64_t)val != n)
            return MOTE_EDECODE;
        val = (int64_t)n;
        while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t'))
            i++;
        if (i == v.len)
            break;
        if (v.ptr[i] != ',')
            return MOTE_EDECODE;
        i++;
    }
    *out = val;
    return 0;
}

static int head_fail(mote_http_parser *p, int err, int status, const char *why, const uint8_t *at)
{
    uint64_t off = p->head_off + (uint64_t)(at ? at - p->head.data : 0);
    return fail(p, err, status, why, off);
}

static int parse_head(mote_http_parser *p)
{
    const uint8_t *b = p->head.data;
    size_t n = p->head.len; /* ends with CRLF CRLF; no bare CR or LF inside */
    size_t eol = 0;
    while (!(b[eol] == '\r' && b[eol + 1] == '\n'))
        eol++;
    mote_slice line = mote_slice_make(b, eol);
    mote_http_head *h = &p->h;
    memset(h, 0, sizeof *h);
    h->content_length = -1;

    /* Start line: exactly three parts separated by single spaces. */
    const uint8_t *sp1 = memchr(line.ptr, ' ', line.len);
    if (!sp1)
        return head_fail(p, MOTE_EDECODE, 400, "malformed start line", line.ptr);
    size_t rest_off = (size_t)(sp1 - line.ptr) + 1;
    const uint8_t *sp2 = memchr(sp1 + 1, ' ', line.len - rest_off);
    int rc;
    if (p->kind == MOTE_HTTP_REQUEST) {
        if (!sp2)
            return head_fail(p, MOTE_EDECODE, 400, "malformed request line", line.ptr);
        h->method = mote_slice_make(line.ptr, (size_t)(sp1 - line.ptr));
        h->target = mote_slice_make(sp1 + 1, (size_t)(sp2 - sp1 - 1));
        mote_slice ver = mote_slice_make(sp2 + 1, line.len - (size_t)(sp2 + 1 - line.ptr));
        if (h->method.len == 0 || !http_is_token(h->method))
            return head_fail(p, MOTE_EDECODE, 400, "invalid method", line.ptr);
        if (!valid_target(h->method, h->target))
            return head_fail(p, MOTE_EDECODE, 400, "invalid request target", h->target.ptr);
        rc = parse_version(ver, &h->version_minor);
        if (rc == MOTE_EUNSUPPORTED)
            return head_fail(p, rc, 505, "HTTP version not supported", ver.ptr);
        if (rc)
            return head_fail(p, rc, 400, "invalid HTTP version", ver.ptr);
    } else {
        mote_slice ver = mote_slice_make(line.ptr, (size_t)(sp1 - line.ptr));
        rc = parse_version(ver, &h->version_minor);
        if (rc)
            return head_fail(p, rc, rc == MOTE_EUNSUPPORTED ? 505 : 400, "invalid HTTP version",
                             ver.ptr);
        size_t code_len = sp2 ? (size_t)(sp2 - sp1 - 1) : line.len - rest_off;
        if (code_len != 3 || !http_is_digit(sp1[1]) || !http_is_digit(sp1[2]) ||
            !http_is_digit(sp1[3]) || sp1[1] == '0')
            return head_fail(p, MOTE_EDECODE, 400, "invalid status code", sp1 + 1);
        h->status = (sp1[1] - '0') * 100 + (sp1[2] - '0') * 10 + (sp1[3] - '0');
        if (sp2) {
            h->reason = mote_slice_make(sp2 + 1, line.len - (size_t)(sp2 + 1 - line.ptr));
            for (size_t i = 0; i < h->reason.len; i++)
                if (!http_is_field_char(h->reason.ptr[i]))
                    return head_fail(p, MOTE_EDECODE, 400, "invalid reason phrase",
                                     h->reason.ptr + i);
        }
    }

    /* Field lines. */
    size_t pos = eol + 2, nf = 0;
    int hosts = 0, have_cl = 0, have_te = 0, te_chunked = 0, te_count = 0;
    while (pos < n) {
        size_t e = pos;
        while (!(b[e] == '\r' && b[e + 1] == '\n'))
            e++;
        if (e == pos)
            break; /* the empty line */
        const uint8_t *l = b + pos;
        size_t ll = e - pos;
        if (l[0] == ' ' || l[0] == '\t')
            return head_fail(p, MOTE_EDECODE, 400, "obsolete line folding", l);
        const uint8_t *colon = memchr(l, ':', ll);
        if (!colon)
            return head_fail(p, MOTE_EDECODE, 400, "header field without colon", l);
        mote_slice name = mote_slice_make(l, (size_t)(colon - l));
        if (name.len == 0)
            return head_fail(p, MOTE_EDECODE, 400, "empty header field name", l);
        if (name.ptr[name.len - 1] == ' ' || name.ptr[name.len - 1] == '\t')
            return head_fail(p, MOTE_EDECODE, 400, "whitespace before colon", colon - 1);
        if (!http_is_token(name))
            return head_fail(p, MOTE_EDECODE, 400, "invalid header field name", l);
        const uint8_t *v = colon + 1, *ve = l + ll;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (const uint8_t *c = v; c < ve; c++)
            if (!http_is_field_char(*c))
                return head_fail(p, MOTE_EDECODE, 400, "invalid character in header value", c);
        if (nf == p->lim.max_fields)
            return head_fail(p, MOTE_ELIMIT, 431, "too many header fields", l);
        mote_http_field *f = &p->fields[nf++];
        f->name = name;
        f->value = mote_slice_make(v, (size_t)(ve - v));

        if (mote_http_slice_ieq(name, "host")) {
            hosts++;
        } else if (mote_http_slice_ieq(name, "content-length")) {
            int64_t cl;
            rc = parse_content_length(f->value, &cl);
            if (rc)
                return head_fail(p, MOTE_EDECODE, 400, "invalid Content-Length", v);
            if (have_cl && cl != h->content_length)
                return head_fail(p, MOTE_EDECODE, 400, "conflicting Content-Length", l);
            have_cl = 1;
            h->content_length = cl;
        } else if (mote_http_slice_ieq(name, "transfer-encoding")) {
            have_te = 1;
            /* Walk the coding list; only one final "chunked" is handled. */
            mote_slice rest = f->value;
            while (rest.len) {
                size_t i = 0;
                while (i < rest.len && rest.ptr[i] != ',')
                    i++;
                mote_slice tok = mote_slice_make(rest.ptr, i);
                while (tok.len && (tok.ptr[0] == ' ' || tok.ptr[0] == '\t'))
                    tok.ptr++, tok.len--;
                while (tok.len && (tok.ptr[tok.len - 1] == ' ' || tok.ptr[tok.len - 1] == '\t'))
                    tok.len--;
                if (tok.len) {
                    te_count++;
                    if (te_chunked)
                        return head_fail(p, MOTE_EDECODE, 400, "coding after chunked", l);
                    if (mote_http_slice_ieq(tok, "chunked"))
                        te_chunked = 1;
                    else if (!http_is_token(tok))
                        return head_fail(p, MOTE_EDECODE, 400, "invalid transfer coding", l);
                }
                rest.ptr += i < rest.len ? i + 1 : i;
                rest.len -= i < rest.len ? i + 1 : i;
            }
        }
        pos = e + 2;
    }
    h->fields = p->fields;
    h->nfields = nf;

    int close = mote_http_field_has_token(h, "connection", "close");
    h->keep_alive =
        h->version_minor >= 1 ? !close : mote_http_field_has_token(h, "connection", "keep-alive");
    h->upgrade = mote_http_field_has_token(h, "connection", "upgrade") &&
                 mote_http_field_get(h, "upgrade").ptr != NULL;

    if (have_te && have_cl)
        return head_fail(p, MOTE_EDECODE, 400, "both Transfer-Encoding and Content-Length", NULL);
    if (have_te && h->version_minor == 0)
        return head_fail(p, MOTE_EDECODE, 400, "Transfer-Encoding in HTTP/1.0", NULL);
    if (have_te && te_count > 1)
        return head_fail(p, MOTE_EUNSUPPORTED, 501, "transfer coding not implemented", NULL);
    if (have_te && !te_chunked)
        return head_fail(p, p->kind == MOTE_HTTP_REQUEST ? MOTE_EDECODE : MOTE_EUNSUPPORTED,
                         p->kind == MOTE_HTTP_REQUEST ? 400 : 501,
                         "Transfer-Encoding without final chunked", NULL);
    h->chunked = te_chunked;

    if (p->kind == MOTE_HTTP_REQUEST) {
        if (hosts > 1)
            return head_fail(p, MOTE_EDECODE, 400, "more than one Host", NULL);
        if (hosts == 0 && h->version_minor >= 1)
            return head_fail(p, MOTE_EDECODE, 400, "missing Host", NULL);
        mote_slice exp = mote_http_field_get(h, "expect");
        h->expect_continue = exp.ptr && mote_http_slice_ieq(exp, "100-continue");
        if (h->content_length > 0 && (uint64_t)h->content_length > p->lim.max_body)
            return head_fail(p, MOTE_ELIMIT, 413, "body too large", NULL);
    } else {
        int bodyless = p->head_request || (h->status >= 100 && h->status < 200) ||
                       h->status == 204 || h->status == 304;
        if (bodyless) {
            h->chunked = 0;
            h->content_length = h->content_length >= 0 ? h->content_length : -1;
        } else if (!h->chunked && h->content_length < 0) {
            h->until_close = 1;
            h->keep_alive = 0;
        }
        if (!bodyless && h->content_length > 0 && (uint64_t)h->content_length > p->lim.max_body)
            return head_fail(p, MOTE_ELIMIT, 413, "body too large", NULL);
        p->remaining = bodyless ? 0 : 1; /* marker read by after_head */
    }
    return 0;
}

/* Chooses the body state once the head has been returned. */
static void after_head(mote_http_parser *p)
{
    const mote_http_head *h = &p->h;
    int bodyless = p->kind == MOTE_HTTP_RESPONSE && p->remaining == 0;
    p->remaining = 0;
    if (bodyless) {
        p->st = ST_DONE;
    } else if (h->chunked) {
        p->st = ST_CHUNK_LINE;
        mote_buf_reset(&p->line);
        p->saw_cr = 0;
    } else if (h->until_close) {
        p->st = ST_BODY_CLOSE;
    } else if (h->content_length > 0) {
        p->remaining = (uint64_t)h->content_length;
        p->st = ST_BODY_LEN;
    } else {
        p->st = ST_DONE;
    }
}

/* Parses a complete chunk-size line (without CRLF) in p->line. */
static int parse_chunk_line(mote_http_parser *p, uint64_t at)
{
    const uint8_t *s = p->line.data;
    size_t n = p->line.len, i = 0;
    uint64_t size = 0;
    while (i < n && http_hex_value(s[i]) >= 0) {
        if (size >> 56)
            return fail(p, MOTE_ELIMIT, 413, "chunk size too large", at);
        size = size << 4 | (uint64_t)http_hex_value(s[i]);
        i++;
    }
    if (i == 0)
        return fail(p, MOTE_EDECODE, 400, "invalid chunk size", at);
    /* chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ) */
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n || s[i] != ';')
            return fail(p, MOTE_EDECODE, 400, "invalid chunk extension", at + i);
        i++;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t st = i;
        while (i < n && http_is_tchar(s[i]))
            i++;
        if (i == st)
            return fail(p, MOTE_EDECODE, 400, "invalid chunk extension name", at + i);
        size_t j = i;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j < n && s[j] == '=') {
            i = j + 1;
            while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
            if (i < n && s[i] == '"') {
                i++;
                while (i < n && s[i] != '"') {
                    if (s[i] == '\\')
                        i++;
                    else if (!http_is_field_char(s[i]) || s[i] == '\t')
                        return fail(p, MOTE_EDECODE, 400, "invalid quoted string", at + i);
                    i++;
                }
                if (i >= n)
                    return fail(p, MOTE_EDECODE, 400, "unterminated quoted string", at + i);
                i++;
            } else {
                st = i;
                while (i < n && http_is_tchar(s[i]))
                    i++;
                if (i == st)
                    return fail(p, MOTE_EDECODE, 400, "invalid chunk extension value", at + i);
            }
        }
    }
    if (size > p->lim.max_body - p->body_total)
        return fail(p, MOTE_ELIMIT, 413, "body too large", at);
    p->remaining = size;
    return 0;
}

/* Checks one complete trailer line (without CRLF) in p->line[start..]. */
static int check_trailer_line(mote_http_parser *p, const uint8_t *l, size_t ll, uint64_t at)
{
    if (l[0] == ' ' || l[0] == '\t')
        return fail(p, MOTE_EDECODE, 400, "obsolete line folding", at);
    const uint8_t *colon = memchr(l, ':', ll);
    if (!colon || colon == l)
        return fail(p, MOTE_EDECODE, 400, "malformed trailer field", at);
    if (!http_is_token(mote_slice_make(l, (size_t)(colon - l))))
        return fail(p, MOTE_EDECODE, 400, "invalid trailer field name", at);
    for (const uint8_t *c = colon + 1; c < l + ll; c++)
        if (!http_is_field_char(*c))
            return fail(p, MOTE_EDECODE, 400, "invalid character in trailer", at);
    return 0;
}

int mote_http_parser_next(mote_http_parser *p, const uint8_t *data, size_t len, size_t *used,
                          mote_slice *body)
{
    size_t i = 0; /* bytes of data consumed so far */
    int rc;
    *used = 0;
    if (body) {
        body->ptr = NULL;
        body->len = 0;
    }
    if (p->st == ST_DEAD)
        return p->err;
    if (p->st == ST_AFTER_DONE)
        reset_message(p);

/* Every return goes through here so *used and the connection offset agree. */
#define FINISH(x)                                                                                  \
    do {                                                                                           \
        int result_ = (x);                                                                         \
        *used = i;                                                                                 \
        p->offset += i;                                                                            \
        return result_;                                                                            \
    } while (0)
#define FAIL(err, status, why) FINISH(fail(p, (err), (status), (why), p->offset + i))

    for (;;) {
        switch (p->st) {
        case ST_START:
        case ST_HEAD:
            while (p->st != ST_HEAD_READY) {
                if (i == len)
                    FINISH(MOTE_HTTP_NEED_MORE);
                uint8_t c = data[i];
                if (p->st == ST_START) {
                    p->st = ST_HEAD;
                    p->head_off = p->offset + i;
                }
                if (p->saw_cr) {
                    if (c != '\n')
                        FAIL(MOTE_EDECODE, 400, "bare CR in head");
                    p->saw_cr = 0;
                } else if (c == '\n') {
                    FAIL(MOTE_EDECODE, 400, "bare LF in head");
                } else if (c == '\r') {
                    p->saw_cr = 1;
                } else if (c == 0) {
                    FAIL(MOTE_EDECODE, 400, "NUL in head");
                }
                if (mote_buf_append_byte(&p->head, c)) {
                    if (p->in_start_line && p->kind == MOTE_HTTP_REQUEST)
                        FAIL(MOTE_ELIMIT, 414, "request line too long");
                    FAIL(MOTE_ELIMIT, 431, "header section too large");
                }
                if (p->in_start_line && p->head.len > p->lim.max_start_line + 2)
                    FAIL(MOTE_ELIMIT, p->kind == MOTE_HTTP_REQUEST ? 414 : 400,
                         "start line too long");
                i++;
                if (c != '\n')
                    continue;
                size_t line_len = p->head.len - p->line_start - 2;
                if (p->in_start_line) {
                    if (line_len == 0) {
                        /* RFC 9112 2.2: ignore empty lines before a start line. */
                        if (++p->leading > MAX_LEADING_EMPTY_LINES)
                            FAIL(MOTE_EDECODE, 400, "too many empty lines");
                        mote_buf_reset(&p->head);
                        p->st = ST_START;
                        continue;
                    }
                    p->in_start_line = 0;
                    p->line_start = p->head.len;
                } else if (line_len == 0) {
                    rc = parse_head(p); /* sets the error itself */
                    if (rc)
                        FINISH(rc);
                    p->st = ST_HEAD_READY;
                } else {
                    p->line_start = p->head.len;
                }
            }
            after_head(p);
            FINISH(MOTE_HTTP_HEAD);

        case ST_HEAD_READY:
            after_head(p);
            FINISH(MOTE_HTTP_HEAD);

        case ST_BODY_LEN:
        case ST_CHUNK_DATA: {
            if (i == len)
                FINISH(MOTE_HTTP_NEED_MORE);
            size_t take = len - i;
            if (take > p->remaining)
                take = (size_t)p->remaining;
            if (body) {
                body->ptr = data + i;
                body->len = take;
            }
            i += take;
            p->remaining -= take;
            p->body_total += take;
            if (p->remaining == 0) {
                if (p->st == ST_BODY_LEN) {
                    p->st = ST_DONE;
                } else {
                    p->st = ST_CHUNK_CRLF;
                    p->remaining = 2;
                }
            }
            FINISH(MOTE_HTTP_BODY);
        }

        case ST_BODY_CLOSE: {
            if (i == len)
                FINISH(MOTE_HTTP_NEED_MORE);
            size_t take = len - i;
            if (take > p->lim.max_body - p->body_total)
                FAIL(MOTE_ELIMIT, 413, "body too large");
            if (body) {
                body->ptr = data + i;
                body->len = take;
            }
            p->body_total += take;
            i += take;
            FINISH(MOTE_HTTP_BODY);
        }

        case ST_CHUNK_CRLF:
            while (p->remaining) {
                if (i == len)
                    FINISH(MOTE_HTTP_NEED_MORE);
                if (data[i] != (p->remaining == 2 ? '\r' : '\n'))
                    FAIL(MOTE_EDECODE, 400, "missing CRLF after chunk data");
                i++;
                p->remaining--;
            }
            p->st = ST_CHUNK_LINE;
            mote_buf_reset(&p->line);
            p->line_start = 0;
            p->saw_cr = 0;
            break;

        case ST_CHUNK_LINE:
        case ST_TRAILER: {
            if (i == len)
                FINISH(MOTE_HTTP_NEED_MORE);
            uint8_t c = data[i];
            if (p->saw_cr) {
                if (c != '\n')
                    FAIL(MOTE_EDECODE, 400, "bare CR in chunked framing");
                p->saw_cr = 0;
            } else if (c == '\r') {
                p->saw_cr = 1;
                i++;
                break;
            } else if (c == '\n') {
                FAIL(MOTE_EDECODE, 400, "bare LF in chunked framing");
            } else if (c == 0) {
                FAIL(MOTE_EDECODE, 400, "NUL in chunked framing");
            } else {
                if (mote_buf_append_byte(&p->line, c) ||
                    (p->st == ST_CHUNK_LINE && p->line.len > p->lim.max_chunk_line))
                    FAIL(MOTE_ELIMIT, 400, "chunk line or trailer section too long");
                i++;
                break;
            }
            /* c is the LF that ends a line: line[line_start..] holds it. */
            uint64_t at = p->offset + i;
            i++;
            if (p->st == ST_CHUNK_LINE) {
                rc = parse_chunk_line(p, at);
                if (rc)
                    FINISH(rc);
                mote_buf_reset(&p->line);
                p->line_start = 0;
                p->st = p->remaining ? ST_CHUNK_DATA : ST_TRAILER;
                break;
            }
            size_t ll = p->line.len - p->line_start;
            if (ll == 0) {
                p->st = ST_DONE;
                break;
            }
            rc = check_trailer_line(p, p->line.data + p->line_start, ll, at);
            if (rc)
                FINISH(rc);
            p->line_start = p->line.len;
            break;
        }

        case ST_DONE:
            p->st = ST_AFTER_DONE;
            FINISH(MOTE_HTTP_DONE);

        case ST_AFTER_DONE:
        case ST_DEAD:
            FINISH(p->err);
        }
    }
#undef FAIL
#undef FINISH
}

int mote_http_parser_eof(mote_http_parser *p)
{
    if (p->st == ST_DEAD)
        return p->err;
    if (p->st == ST_BODY_CLOSE) {
        p->st = ST_AFTER_DONE;
        return MOTE_HTTP_DONE;
    }
    if (p->st == ST_AFTER_DONE || (p->st == ST_START && p->head.len == 0) ||
        (p->st == ST_HEAD && p->head.len == 0))
        return MOTE_HTTP_NEED_MORE;
    return fail(p, MOTE_EDECODE, 400, "connection closed inside a message", p->offset);
}
