/* files.c - mote-serve's file logic (see files.h). */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PATH            4096
#define MAX_LISTING_ENTRIES 10000

int serve_root_open(serve_root *r, const char *dir)
{
    memset(r, 0, sizeof *r);
    r->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r->dirfd < 0)
        return errno == ENOENT ? MOTE_ENOTFOUND : errno == EACCES ? MOTE_EPERM : MOTE_EIO;
    if (!realpath(dir, r->realpath)) {
        close(r->dirfd);
        return MOTE_EIO;
    }
    /* Probe openat2(2) with RESOLVE_BENEATH (Linux 5.6+). */
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_DIRECTORY,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, r->dirfd, ".", &how, sizeof how);
    if (fd >= 0) {
        r->use_openat2 = 1;
        close(fd);
    }
    return 0;
}

void serve_root_close(serve_root *r)
{
    if (r->dirfd >= 0)
        close(r->dirfd);
    r->dirfd = -1;
}

/* Opens rel (no leading slash) beneath the root. Symlinks are followed only
 * while they stay inside the root; an escape gives EXDEV (openat2) or is
 * caught by the realpath check. */
static int open_beneath(const serve_root *r, const char *rel, int *out)
{
    const char *p = *rel ? rel : ".";
    int fd;
    if (r->use_openat2) {
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                               .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
        fd = (int)syscall(SYS_openat2, r->dirfd, p, &how, sizeof how);
        if (fd < 0)
            return errno;
    } else {
        fd = openat(r->dirfd, p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
            return errno;
        char link[64], real[MAX_PATH];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, real, sizeof real - 1);
        size_t rl = strlen(r->realpath);
        if (n < 0) {
            close(fd);
            return EIO;
        }
        real[n] = '\0';
        if (strncmp(real, r->realpath, rl) != 0 || (real[rl] != '/' && real[rl] != '\0')) {
            close(fd);
            return EXDEV;
        }
    }
    *out = fd;
    return 0;
}

const char *serve_mime_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"c", "text/plain; charset=utf-8"},
        {"h", "text/plain; charset=utf-8"},
        {"xml", "application/xml"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"ico", "image/vnd.microsoft.icon"},
        {"pdf", "application/pdf"},
        {"wasm", "application/wasm"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"mp4", "video/mp4"},
        {"webm", "video/webm"},
        {"mp3", "audio/mpeg"},
        {"ogg", "audio/ogg"},
        {"zip", "application/zip"},
        {"gz", "application/gzip"},
        {"tar", "application/x-tar"},
        {"pem", "application/x-pem-file"},
        {"csv", "text/csv; charset=utf-8"},
    };
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return "application/octet-stream";
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot + 1, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static void plan_init(serve_plan *p)
{
    memset(p, 0, sizeof *p);
    mote_buf_init(&p->head, 16384 + 65536); /* head plus the first file piece */
    mote_buf_init(&p->body, 0);
    p->fd = -1;
}

void serve_plan_free(serve_plan *p)
{
    mote_buf_free(&p->head);
    mote_buf_free(&p->body);
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

static int common_fields(serve_plan *p, int status, int64_t now)
{
    char date[32];
    int rc = mote_http_write_status_line(&p->head, status, NULL);
    if (!rc && mote_http_format_date(now, date, sizeof date) == 0)
        rc = mote_http_write_field(&p->head, "Date", date);
    if (!rc)
        rc = mote_http_write_field(&p->head, "Server", "mote-serve");
    if (!rc && p->close)
        rc = mote_http_write_field(&p->head, "Connection", "close");
    p->status = status;
    return rc;
}

static void html_escape(mote_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            mote_buf_append(b, "&lt;", 4);
            break;
        case '>':
            mote_buf_append(b, "&gt;", 4);
            break;
        case '&':
            mote_buf_append(b, "&amp;", 5);
            break;
        case '"':
            mote_buf_append(b, "&quot;", 6);
            break;
        case '\'':
            mote_buf_append(b, "&#39;", 5);
            break;
        default:
            mote_buf_append_byte(b, (uint8_t)*s);
        }
    }
}

/* Percent-encodes a path segment for an href. */
static void url_escape(mote_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            mote_buf_append_byte(b, c);
        else
            mote_buf_appendf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
}

static int finish_with_body(serve_plan *p, const char *type, int head_only)
{
    int rc = mote_http_write_field(&p->head, "Content-Type", type);
    if (!rc)
        rc = mote_http_write_fieldf(&p->head, "Content-Length", "%zu", p->body.len);
    if (!rc)
        rc = mote_http_write_end_head(&p->head);
    p->body_bytes = head_only ? 0 : p->body.len;
    if (head_only)
        mote_buf_reset(&p->body);
    return rc;
}

static int error_page(serve_plan *p, int status, int64_t now, int head_only, const char *extra_name,
                      const char *extra_value)
{
    mote_buf_reset(&p->head);
    mote_buf_reset(&p->body);
    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
    int rc = common_fields(p, status, now);
    if (!rc && extra_name)
        rc = mote_http_write_field(&p->head, extra_name, extra_value);
    if (rc)
        return rc;
    mote_buf_appendf(&p->body,
                     "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"
                     "<body><h1>%d %s</h1></body></html>\n",
                     status, mote_http_reason(status), status, mote_http_reason(status));
    return finish_with_body(p, "text/html; charset=utf-8", head_only);
}

int serve_plan_error(int status, int64_t now, int close_after, serve_plan *p)
{
    plan_init(p);
    p->close = close_after;
    return error_page(p, status, now, 0, NULL, NULL);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int listing(serve_plan *p, int dfd, const char *urlpath, int64_t now, int head_only)
{
    int fd = dup(dfd);
    if (fd < 0)
        return error_page(p, 500, now, head_only, NULL, NULL);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return error_page(p, 500, now, head_only, NULL, NULL);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int truncated = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == MAX_LISTING_ENTRIES) {
            truncated = 1;
            break;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn)
                break;
            names = nn;
            cap = nc;
        }
        struct stat st;
        int isdir = fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
        size_t l = strlen(e->d_name);
        names[n] = malloc(l + 2);
        if (!names[n])
            break;
        memcpy(names[n], e->d_name, l);
        names[n][l] = isdir ? '/' : '\0';
        names[n][l + 1] = '\0';
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    mote_buf *b = &p->body;
    mote_buf_appendf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ");
    html_escape(b, urlpath);
    mote_buf_appendf(b, "</title></head>\n<body><h1>Index of ");
    html_escape(b, urlpath);
    mote_buf_appendf(b, "</h1>\n<ul>\n");
    if (strcmp(urlpath, "/") != 0)
        mote_buf_appendf(b, "<li><a href=\"../\">../</a></li>\n");
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]);
        int isdir = l > 0 && names[i][l - 1] == '/';
        if (isdir)
            names[i][l - 1] = '\0';
        mote_buf_appendf(b, "<li><a href=\"");
        url_escape(b, names[i]);
        mote_buf_appendf(b, "%s\">", isdir ? "/" : "");
        html_escape(b, names[i]);
        mote_buf_appendf(b, "%s</a></li>\n", isdir ? "/" : "");
        free(names[i]);
    }
    free(names);
    if (truncated)
        mote_buf_appendf(b, "<li>(listing truncated at %d entries)</li>\n", MAX_LISTING_ENTRIES);
    mote_buf_appendf(b, "</ul></body></html>\n");
    int rc = common_fields(p, 200, now);
    if (rc)
        return rc;
    return finish_with_body(p, "text/html; charset=utf-8", head_only);
}

static void make_etag(const struct stat *st, char *out, size_t n)
{
    snprintf(out, n, "\"%llx-%llx%09lx\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec, (unsigned long)st->st_mtim.tv_nsec);
}

static int serve_file(serve_plan *p, const mote_http_head *h, const char *path, int fd,
                      const struct stat *st, int64_t now, int head_only)
{
    char etag[64], lastmod[32];
    make_etag(st, etag, sizeof etag);
    int64_t mtime = (int64_t)st->st_mtim.tv_sec;
    int have_lm = mote_http_format_date(mtime, lastmod, sizeof lastmod) == 0;
    uint64_t size = (uint64_t)st->st_size;

    /* Conditional requests (RFC 9110 13.2.2): If-None-Match wins over
     * If-Modified-Since. */
    mote_slice inm = mote_http_field_get(h, "if-none-match");
    int not_modified = 0;
    if (inm.ptr) {
        not_modified = mote_http_etag_match(inm, etag);
    } else {
        mote_slice ims = mote_http_field_get(h, "if-modified-since");
        int64_t since;
        if (ims.ptr && mote_http_parse_date(ims, &since) == 0 && mtime <= since)
            not_modified = 1;
    }
    if (not_modified) {
        close(fd);
        int rc = common_fields(p, 304, now);
        if (!rc)
            rc = mote_http_write_field(&p->head, "ETag", etag);
        if (!rc && have_lm)
            rc = mote_http_write_field(&p->head, "Last-Modified", lastmod);
        if (!rc)
            rc = mote_http_write_end_head(&p->head);
        return rc;
    }

    uint64_t first = 0, last = size ? size - 1 : 0;
    int partial = 0;
    mote_slice range = mote_http_field_get(h, "range");
    mote_slice if_range = mote_http_field_get(h, "if-range");
    /* If-Range with a validator that does not match: send the whole file. */
    if (range.ptr && if_range.ptr) {
        int64_t t;
        if (if_range.len && if_range.ptr[0] == '"')
            range.ptr = mote_slice_eq(if_range, mote_slice_str(etag)) ? range.ptr : NULL;
        else if (mote_http_parse_date(if_range, &t) != 0 || t != mtime)
            range.ptr = NULL;
    }
    if (range.ptr) {
        int rr = mote_http_parse_range(range, size, &first, &last);
        if (rr == 0) {
            partial = 1;
        } else if (rr == MOTE_ERANGE) {
            close(fd);
            char cr[64];
            snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
            return error_page(p, 416, now, head_only, "Content-Range", cr);
        }
        /* Unsupported or malformed ranges are ignored: the whole file. */
    }
    uint64_t length = size == 0 ? 0 : last - first + 1;
    int rc = common_fields(p, partial ? 206 : 200, now);
    if (!rc)
        rc = mote_http_write_field(&p->head, "Content-Type", serve_mime_type(path));
    if (!rc)
        rc = mote_http_write_fieldf(&p->head, "Content-Length", "%llu", (unsigned long long)length);
    if (!rc)
        rc = mote_http_write_field(&p->head, "ETag", etag);
    if (!rc && have_lm)
        rc = mote_http_write_field(&p->head, "Last-Modified", lastmod);
    if (!rc)
        rc = mote_http_write_field(&p->head, "Accept-Ranges", "bytes");
    if (!rc && partial)
        rc = mote_http_write_fieldf(&p->head, "Content-Range", "bytes %llu-%llu/%llu",
                                    (unsigned long long)first, (unsigned long long)last,
                                    (unsigned long long)size);
    if (!rc)
        rc = mote_http_write_end_head(&p->head);
    if (rc || head_only || length == 0) {
        close(fd);
        return rc;
    }
    p->fd = fd;
    p->offset = first;
    p->length = length;
    p->body_bytes = length;
    return 0;
}

int serve_plan_request(const serve_root *root, const mote_http_head *h, int64_t now, serve_plan *p)
{
    plan_init(p);
    p->close = !h->keep_alive;
    int is_get = mote_slice_eq(h->method, mote_slice_str("GET"));
    int head_only = mote_slice_eq(h->method, mote_slice_str("HEAD"));
    if (!is_get && !head_only)
        return error_page(p, 405, now, 0, "Allow", "GET, HEAD");

    char path[MAX_PATH];
    if (mote_http_decode_path(h->target, path, sizeof path) != 0)
        return error_page(p, 400, now, head_only, NULL, NULL);
    char urlpath[MAX_PATH];
    memcpy(urlpath, path, sizeof urlpath);
    if (mote_http_normalize_path(path) != 0)
        return error_page(p, 403, now, head_only, NULL, NULL);

    int fd;
    int e = open_beneath(root, path + 1, &fd);
    if (e)
        return error_page(p, e == ENOENT || e == ENOTDIR ? 404 : 403, now, head_only, NULL, NULL);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return error_page(p, 500, now, head_only, NULL, NULL);
    }
    if (S_ISDIR(st.st_mode)) {
        size_t l = strlen(path);
        if (path[l - 1] != '/') {
            close(fd);
            char loc[MAX_PATH + 2];
            snprintf(loc, sizeof loc, "%.*s/", (int)(sizeof loc - 2), urlpath);
            mote_buf loc_enc;
            mote_buf_init(&loc_enc, 0);
            /* Re-encode the location so the field stays valid. */
            for (const char *s = loc; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c <= 0x20 || c >= 0x7f || c == '%' || c == '"')
                    mote_buf_appendf(&loc_enc, "%%%02X", c);
                else
                    mote_buf_append_byte(&loc_enc, c);
            }
            mote_buf_append_byte(&loc_enc, 0);
            int rc = error_page(p, 301, now, head_only, "Location", (char *)loc_enc.data);
            mote_buf_free(&loc_enc);
            return rc;
        }
        char idx[MAX_PATH + 16];
        snprintf(idx, sizeof idx, "%sindex.html", path + 1);
        int ifd;
        if (open_beneath(root, idx, &ifd) == 0) {
            struct stat ist;
            if (fstat(ifd, &ist) == 0 && S_ISREG(ist.st_mode)) {
                close(fd);
                return serve_file(p, h, idx, ifd, &ist, now, head_only);
            }
            close(ifd);
        }
        int rc = listing(p, fd, path, now, head_only);
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return error_page(p, 403, now, head_only, NULL, NULL);
    }
    return serve_file(p, h, path, fd, &st, now, head_only);
}
