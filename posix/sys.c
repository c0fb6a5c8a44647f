/*
 * sys.c - error mapping, the getrandom rng, the fd console and the stderr
 * log sink.
 */
#include "mote/posix.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "mote/error.h"

int mote_posix_error(int err)
{
    if (err >= 0)
        return err;
    switch (err) {
    case UV_EAI_NONAME:
    case UV_EAI_NODATA:
    case UV_EAI_FAMILY:
    case UV_EAI_SERVICE:
    case UV_ENOENT:
    case UV_ENXIO:
    case UV_ENODEV:
        return MOTE_ENOTFOUND;
    case UV_EAI_AGAIN:
    case UV_EAGAIN:
        return MOTE_EAGAIN;
    case UV_EAI_MEMORY:
    case UV_ENOMEM:
    case UV_ENOBUFS:
        return MOTE_ENOMEM;
    case UV_EAI_CANCELED:
    case UV_ECANCELED:
        return MOTE_ECANCELED;
    case UV_ECONNREFUSED:
        return MOTE_ECONNREFUSED;
    case UV_ECONNRESET:
    case UV_EPIPE:
    case UV_ECONNABORTED:
        return MOTE_ECONNRESET;
    case UV_ETIMEDOUT:
        return MOTE_ETIMEDOUT;
    case UV_EADDRINUSE:
        return MOTE_EADDRINUSE;
    case UV_EHOSTUNREACH:
    case UV_ENETUNREACH:
    case UV_ENETDOWN:
    case UV_EADDRNOTAVAIL:
        return MOTE_EUNREACH;
    case UV_EACCES:
    case UV_EPERM:
        return MOTE_EPERM;
    case UV_EMFILE:
    case UV_ENFILE:
    case UV_E2BIG:
    case UV_ENAMETOOLONG:
    case UV_EMSGSIZE:
        return MOTE_ELIMIT;
    case UV_EEXIST:
        return MOTE_EEXIST;
    case UV_EBUSY:
        return MOTE_EBUSY;
    case UV_EINVAL:
    case UV_EBADF:
    case UV_EAFNOSUPPORT:
    case UV_ENOTSOCK:
    case UV_EAI_BADFLAGS:
        return MOTE_EINVAL;
    case UV_EPROTO:
        return MOTE_EPROTO;
    case UV_ENOTSUP:
    case UV_ENOSYS:
    case UV_EPROTONOSUPPORT:
        return MOTE_EUNSUPPORTED;
    case UV_ENOTCONN:
    case UV_EOF:
        return MOTE_ECLOSED;
    case UV_ENOSPC:
        return MOTE_ENOSPC;
    default:
        return MOTE_EIO;
    }
}

/* ---- rng ---- */

static int rng_fill(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    uint8_t *p = buf;
    while (len > 0) {
        /* getrandom returns at most 32 MiB - 1 per call; ask in chunks. */
        size_t want = len > (1u << 20) ? (1u << 20) : len;
        ssize_t n = getrandom(p, want, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return MOTE_EIO;
        }
        if (n == 0)
            return MOTE_EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void mote_posix_rng_init(mote_rng *r)
{
    r->ctx = NULL;
    r->fill = rng_fill;
}

/* ---- console ---- */

static int write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                    return MOTE_EIO;
                continue;
            }
            return MOTE_EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int console_write(void *ctx, const char *text, size_t len)
{
    mote_posix_console *c = ctx;
    return write_all(c->fd, text, len);
}

void mote_posix_console_init(mote_posix_console *c, int fd)
{
    c->console.ctx = c;
    c->console.write = console_write;
    c->fd = fd;
}

/* ---- log ---- */

void mote_posix_log_sink(void *ctx, int level, const char *component, const char *msg)
{
    char line[1200];
    const char *lv = mote_log_level_name(level);
    if (!component)
        component = "-";
    if (!msg)
        msg = "";
    int n = snprintf(line, sizeof line, "%-5s %s: %s\n", lv, component, msg);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (len == sizeof line - 1)
        line[len - 1] = '\n';
    FILE *f = ctx ? (FILE *)ctx : stderr;
    /* One write per line, so lines from several processes do not mix. */
    fflush(f);
    (void)write_all(fileno(f), line, len);
}

void mote_posix_log_init(mote_log *log, int level)
{
    log->sink = mote_posix_log_sink;
    log->ctx = NULL;
    log->level = level;
}
