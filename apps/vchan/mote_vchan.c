/*
 * mote-vchan - copies stdin to a vchan peer and the peer's bytes to
 * stdout, like ncat over shared memory.
 *
 *   mote-vchan listen [--order N] [--read-order N] [--write-order N]
 *                     [--spin NS] [--recv-only] NAME
 *   mote-vchan connect [--spin NS] [--recv-only] NAME
 *
 * At end of stdin the queued bytes go into the ring and this side is
 * marked gone; the program runs on until the peer closes (vchan has no
 * half-close, so the peer then stops sending). --recv-only ignores stdin.
 * Exit status: 0 when the peer closed, 1 on an error, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mote/vchan.h"

#define BUF_SIZE 65536

static int usage(void)
{
    fprintf(stderr,
            "usage: mote-vchan listen [--order N] [--read-order N] [--write-order N]\n"
            "                         [--spin NS] [--recv-only] NAME\n"
            "       mote-vchan connect [--spin NS] [--recv-only] NAME\n"
            "  NAME is a socket path if it contains '/', else an abstract name.\n"
            "  Orders are 10..20 (ring of 2^N bytes; 10 and 11 live in the control page).\n");
    return 2;
}

static int write_full(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int parse_order(const char *s, size_t *size)
{
    char *end;
    long o = strtol(s, &end, 10);
    if (*s == 0 || *end != 0 || o < MOTE_VCHAN_MIN_ORDER || o > MOTE_VCHAN_MAX_ORDER)
        return -1;
    *size = (size_t)1 << o;
    return 0;
}

static int run(mote_vchan *v, int recv_only)
{
    static uint8_t in[BUF_SIZE], out[BUF_SIZE];
    size_t in_len = 0, in_pos = 0;
    int stdin_eof = recv_only, shut = 0;
    for (;;) {
        int progress = 0, rc;
        /* the peer's bytes to stdout */
        for (;;) {
            size_t got = 0;
            rc = mote_vchan_read(v, out, sizeof(out), &got);
            if (rc)
                break;
            if (write_full(1, out, got) != 0) {
                fprintf(stderr, "mote-vchan: stdout: %s\n", strerror(errno));
                return 1;
            }
            progress = 1;
        }
        if (rc == MOTE_ECLOSED)
            return 0;
        if (rc != MOTE_EAGAIN) {
            fprintf(stderr, "mote-vchan: read: %s\n", mote_strerror(rc));
            return 1;
        }
        /* stdin to the peer */
        while (in_pos < in_len) {
            size_t put = 0;
            rc = mote_vchan_write(v, in + in_pos, in_len - in_pos, &put);
            if (rc == MOTE_EAGAIN)
                break;
            if (rc == MOTE_ECLOSED)
                return 0; /* the peer went away; what we had is lost, as with ncat */
            if (rc) {
                fprintf(stderr, "mote-vchan: write: %s\n", mote_strerror(rc));
                return 1;
            }
            in_pos += put;
            progress = 1;
        }
        if (in_pos == in_len && !stdin_eof) {
            ssize_t n = read(0, in, sizeof(in));
            if (n > 0) {
                in_len = (size_t)n;
                in_pos = 0;
                progress = 1;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                stdin_eof = 1;
                progress = 1;
            }
        }
        if (stdin_eof && in_pos == in_len && !shut && !recv_only) {
            shut = 1;
            mote_vchan_shutdown(v);
        }
        if (progress)
            continue;
        struct pollfd pf[2];
        int npf = 0;
        pf[npf].fd = mote_vchan_fd(v);
        pf[npf++].events = POLLIN;
        if (!stdin_eof && in_pos == in_len) {
            pf[npf].fd = 0;
            pf[npf++].events = POLLIN;
        }
        if (poll(pf, (nfds_t)npf, -1) < 0 && errno != EINTR) {
            fprintf(stderr, "mote-vchan: poll: %s\n", strerror(errno));
            return 1;
        }
        rc = mote_vchan_handle_events(v);
        if (rc && rc != MOTE_ECLOSED) {
            fprintf(stderr, "mote-vchan: %s\n", mote_strerror(rc));
            return 1;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    int listen_mode;
    if (strcmp(argv[1], "listen") == 0)
        listen_mode = 1;
    else if (strcmp(argv[1], "connect") == 0)
        listen_mode = 0;
    else
        return usage();
    mote_vchan_opts o;
    mote_vchan_opts_default(&o);
    int recv_only = 0;
    const char *name = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--recv-only") == 0) {
            recv_only = 1;
        } else if (strcmp(a, "--order") == 0 && i + 1 < argc && listen_mode) {
            if (parse_order(argv[++i], &o.read_min) != 0)
                return usage();
            o.write_min = o.read_min;
        } else if (strcmp(a, "--read-order") == 0 && i + 1 < argc && listen_mode) {
            if (parse_order(argv[++i], &o.read_min) != 0)
                return usage();
        } else if (strcmp(a, "--write-order") == 0 && i + 1 < argc && listen_mode) {
            if (parse_order(argv[++i], &o.write_min) != 0)
                return usage();
        } else if (strcmp(a, "--spin") == 0 && i + 1 < argc) {
            char *end;
            o.spin_ns = strtoull(argv[++i], &end, 10);
            if (*end)
                return usage();
        } else if (a[0] == '-' || name) {
            return usage();
        } else {
            name = a;
        }
    }
    if (!name)
        return usage();
    int err = 0;
    mote_vchan *v = listen_mode ? mote_vchan_server_init(name, &o, &err)
                                : mote_vchan_client_init(name, &o, &err);
    if (!v) {
        fprintf(stderr, "mote-vchan: %s %s: %s\n", argv[1], name, mote_strerror(err));
        return 1;
    }
    int fl = fcntl(0, F_GETFL);
    if (fl >= 0)
        fcntl(0, F_SETFL, fl | O_NONBLOCK);
    int rc = run(v, recv_only);
    if (fl >= 0)
        fcntl(0, F_SETFL, fl);
    mote_vchan_close(v);
    return rc;
}
