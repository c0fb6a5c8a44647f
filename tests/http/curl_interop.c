/* curl_interop.c - libmote-http against curl: curl's requests (GET with
 * fields, POST with Content-Length, chunked upload, keep-alive reuse)
 * go through mote's parser, and responses made with mote's writer
 * (Content-Length, chunked, 404) go back through curl, byte-checked. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mote/http.h"

static int listen_local(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    socklen_t l = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static pid_t spawn(char *const argv[], const char *out_path)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        FILE *f = freopen(out_path, "wb", stdout);
        (void)f;
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

struct seen {
    char method[16], target[128], ua[64];
    int chunked;
    int64_t content_length;
    mote_buf body;
};

/* Reads one request from fd through the parser; returns 1 on a complete
 * request, 0 on a clean close before any request. Keeps leftover bytes in
 * *carry for pipelined or reused connections. */
static int read_request(int fd, mote_http_parser *p, mote_buf *carry, struct seen *s)
{
    memset(s, 0, offsetof(struct seen, body));
    mote_buf_reset(&s->body);
    for (;;) {
        size_t pos = 0;
        for (;;) {
            size_t used;
            mote_slice body;
            int ev = mote_http_parser_next(p, carry->data + pos, carry->len - pos, &used, &body);
            pos += used;
            ck_assert_msg(ev >= 0, "parser refused curl's request: %s", mote_http_parser_reason(p));
            if (ev == MOTE_HTTP_NEED_MORE)
                break;
            if (ev == MOTE_HTTP_HEAD) {
                const mote_http_head *h = mote_http_parser_head(p);
                snprintf(s->method, sizeof s->method, "%.*s", (int)h->method.len,
                         (const char *)h->method.ptr);
                snprintf(s->target, sizeof s->target, "%.*s", (int)h->target.len,
                         (const char *)h->target.ptr);
                mote_slice ua = mote_http_field_get(h, "user-agent");
                snprintf(s->ua, sizeof s->ua, "%.*s", (int)ua.len,
                         ua.ptr ? (const char *)ua.ptr : "");
                s->chunked = h->chunked;
                s->content_length = h->content_length;
                if (h->expect_continue) {
                    const char *cont = "HTTP/1.1 100 Continue\r\n\r\n";
                    ck_assert_int_eq(write(fd, cont, strlen(cont)), (ssize_t)strlen(cont));
                }
            } else if (ev == MOTE_HTTP_BODY) {
                ck_assert_int_eq(mote_buf_append(&s->body, body.ptr, body.len), 0);
            } else if (ev == MOTE_HTTP_DONE) {
                mote_buf_consume(carry, pos);
                return 1;
            }
        }
        mote_buf_consume(carry, pos);
        uint8_t tmp[4096];
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n <= 0)
            return 0;
        ck_assert_int_eq(mote_buf_append(carry, tmp, (size_t)n), 0);
    }
}

static void send_all(int fd, const mote_buf *b)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        ck_assert_int_gt(n, 0);
        off += (size_t)n;
    }
}

static void respond(int fd, int status, const void *body, size_t len, int chunked)
{
    mote_buf out;
    mote_buf_init(&out, 0);
    ck_assert_int_eq(mote_http_write_status_line(&out, status, NULL), 0);
    ck_assert_int_eq(mote_http_write_field(&out, "Content-Type", "text/plain"), 0);
    if (chunked) {
        ck_assert_int_eq(mote_http_write_field(&out, "Transfer-Encoding", "chunked"), 0);
        ck_assert_int_eq(mote_http_write_end_head(&out), 0);
        for (size_t off = 0; off < len; off += 1000)
            ck_assert_int_eq(mote_http_write_chunk(&out, (const uint8_t *)body + off,
                                                   len - off < 1000 ? len - off : 1000),
                             0);
        ck_assert_int_eq(mote_http_write_last_chunk(&out), 0);
    } else {
        ck_assert_int_eq(mote_http_write_fieldf(&out, "Content-Length", "%zu", len), 0);
        ck_assert_int_eq(mote_http_write_end_head(&out), 0);
        ck_assert_int_eq(mote_buf_append(&out, body, len), 0);
    }
    send_all(fd, &out);
    mote_buf_free(&out);
}

static char tmpdir[] = "/tmp/mote-http-XXXXXX";

START_TEST(test_curl_requests)
{
    if (!tu_have_program("curl")) {
        printf("SKIP: curl not installed\n");
        return;
    }
    signal(SIGPIPE, SIG_IGN);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    char upload[256], out1[256], out2[256], url1[128], url2[128], url3[128];
    snprintf(upload, sizeof upload, "%s/upload.bin", tmpdir);
    snprintf(out1, sizeof out1, "%s/out1", tmpdir);
    snprintf(out2, sizeof out2, "%s/out2", tmpdir);
    /* 100 KiB of patterned bytes to upload chunked. */
    FILE *f = fopen(upload, "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 102400; i++)
        fputc((i * 7 + i / 256) & 0xff, f);
    fclose(f);
    size_t up_len;
    uint8_t *up = tu_read_file(upload, &up_len);
    ck_assert_ptr_nonnull(up);

    int port;
    int lfd = listen_local(&port);
    snprintf(url1, sizeof url1, "http://127.0.0.1:%d/first?x=%%41", port);
    snprintf(url2, sizeof url2, "http://127.0.0.1:%d/second", port);
    snprintf(url3, sizeof url3, "http://127.0.0.1:%d/upload", port);
    char updata[300];
    snprintf(updata, sizeof updata, "@%s", upload);

    /* One curl, three requests on one connection: a GET, a chunked POST, a
     * GET answered 404. curl reuses the connection (keep-alive). */
    char *argv[] = {"curl",
                    "-sS",
                    "--http1.1",
                    "-H",
                    "X-Mote-Test: yes",
                    url1,
                    "-o",
                    out1,
                    "--next",
                    "--http1.1",
                    "-H",
                    "Transfer-Encoding: chunked",
                    "--data-binary",
                    updata,
                    url3,
                    "-o",
                    out2,
                    "--next",
                    "--http1.1",
                    "-o",
                    "/dev/null",
                    url2,
                    NULL};
    char log[256];
    snprintf(log, sizeof log, "%s/curl.log", tmpdir);
    pid_t pid = spawn(argv, log);

    int fd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(fd, 0);
    mote_http_parser *p = mote_http_parser_new(MOTE_HTTP_REQUEST, NULL);
    mote_buf carry;
    mote_buf_init(&carry, 0);
    struct seen s;
    mote_buf_init(&s.body, 0);

    ck_assert_int_eq(read_request(fd, p, &carry, &s), 1);
    ck_assert_str_eq(s.method, "GET");
    ck_assert_str_eq(s.target, "/first?x=%41");
    ck_assert(strncmp(s.ua, "curl/", 5) == 0);
    static const char hello[] = "hello from mote's writer\n";
    respond(fd, 200, hello, sizeof hello - 1, 0);

    ck_assert_int_eq(read_request(fd, p, &carry, &s), 1);
    ck_assert_str_eq(s.method, "POST");
    ck_assert_int_eq(s.chunked, 1);
    ck_assert_uint_eq(s.body.len, up_len);
    ck_assert(memcmp(s.body.data, up, up_len) == 0);
    /* Echo the upload back, chunked. */
    respond(fd, 200, s.body.data, s.body.len, 1);

    ck_assert_int_eq(read_request(fd, p, &carry, &s), 1);
    ck_assert_str_eq(s.target, "/second");
    respond(fd, 404, "nope\n", 5, 0);

    /* curl closes: a clean end, no half message. */
    ck_assert_int_eq(read_request(fd, p, &carry, &s), 0);
    ck_assert_int_eq(mote_http_parser_eof(p), MOTE_HTTP_NEED_MORE);
    close(fd);
    close(lfd);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "curl failed");

    size_t n1, n2;
    uint8_t *b1 = tu_read_file(out1, &n1), *b2 = tu_read_file(out2, &n2);
    ck_assert_ptr_nonnull(b1);
    ck_assert_ptr_nonnull(b2);
    ck_assert_uint_eq(n1, sizeof hello - 1);
    ck_assert_mem_eq(b1, hello, n1);
    ck_assert_uint_eq(n2, up_len);
    ck_assert(memcmp(b2, up, up_len) == 0);
    free(b1);
    free(b2);
    free(up);
    mote_buf_free(&carry);
    mote_buf_free(&s.body);
    mote_http_parser_free(p);
    unlink(upload);
    unlink(out1);
    unlink(out2);
    unlink(log);
    rmdir(tmpdir);
}
END_TEST

int main(void)
{
    if (!tu_have_program("curl")) {
        printf("SKIP: curl is not installed (apt-get install curl)\n");
        return 77;
    }
    Suite *s = suite_create("http-curl");
    TCase *tc = tcase_create("curl");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_curl_requests);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
