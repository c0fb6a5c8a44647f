/* serve.c - mote-serve: serves a directory over HTTP/1.1 on kernel sockets
 * (libmote-posix), with libmote-http doing all parsing and writing.
 *
 *   mote-serve [-p PORT] [-b ADDR] [--access-log FILE] [--idle-timeout S] DIR
 *
 * TLS (-c/-k, --self-signed) and mote's own TCP/IP stack (--stack direct)
 * are named in the usage and refused with a clear message until libmote-tls
 * and libmote-net can carry them. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "conn.h"
#include "mote/posix.h"

struct app {
    uv_loop_t *loop;
    serve_server srv;
    mote_posix_clock *clock;
    mote_posix_listener *listener;
    uv_signal_t sigint, sigterm;
    uv_timer_t grace;
    uv_timer_t flush; /* flushes the access log every 200 ms */
    int stopping;
};

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: mote-serve [-c CERT -k KEY | --self-signed NAME] [-p PORT] [-b ADDR]\n"
        "                  [--stack socket|direct] [--access-log FILE] [--idle-timeout S] DIR\n"
        "\n"
        "Serves DIR over HTTP/1.1: GET and HEAD, one Range, ETag/If-None-Match,\n"
        "Last-Modified/If-Modified-Since, index.html and directory listings.\n"
        "  -p, --port PORT       port to listen on (default 8080; 0 picks one)\n"
        "  -b, --bind ADDR       address to listen on (default ::, all)\n"
        "  --access-log FILE     common log format lines to FILE (default stdout; - for stdout)\n"
        "  --idle-timeout S      close connections idle this many seconds (default 30)\n"
        "  -c, -k, --self-signed TLS: not available yet (libmote-tls is not built)\n"
        "  --stack direct        mote's own TCP/IP on a TAP device: not available yet\n");
}

static void on_accept(void *arg, mote_flow *flow, int err)
{
    struct app *a = arg;
    if (err || !flow)
        return;
    if (a->stopping) {
        mote_flow_close(flow);
        return;
    }
    char peer[64] = "-";
    uint16_t port;
    mote_posix_flow_address(flow, 0, peer, sizeof peer, &port);
    serve_conn_start(&a->srv, flow, peer);
}

static void close_handles(struct app *a)
{
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    uv_close((uv_handle_t *)&a->grace, NULL);
    uv_close((uv_handle_t *)&a->flush, NULL);
    if (a->clock) {
        mote_posix_clock_free(a->clock);
        a->clock = NULL;
    }
}

static void on_all_closed(serve_server *srv)
{
    struct app *a = (struct app *)((char *)srv - offsetof(struct app, srv));
    if (a->stopping == 1) {
        a->stopping = 2;
        close_handles(a);
    }
}

static void on_grace(uv_timer_t *t)
{
    struct app *a = t->data;
    serve_server_close_all(&a->srv); /* calls on_all_closed */
}

static void on_flush(uv_timer_t *t)
{
    struct app *a = t->data;
    fflush(a->srv.access_log);
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct app *a = s->data;
    if (a->stopping) {
        serve_server_close_all(&a->srv);
        return;
    }
    fprintf(stderr, "mote-serve: %s, finishing open responses\n",
            signum == SIGINT ? "SIGINT" : "SIGTERM");
    a->stopping = 1;
    mote_posix_listener_close(a->listener);
    a->listener = NULL;
    uv_timer_start(&a->grace, on_grace, 5000, 0);
    serve_server_stop(&a->srv);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"port", required_argument, 0, 'p'},
                                         {"bind", required_argument, 0, 'b'},
                                         {"cert", required_argument, 0, 'c'},
                                         {"key", required_argument, 0, 'k'},
                                         {"self-signed", required_argument, 0, 'S'},
                                         {"stack", required_argument, 0, 's'},
                                         {"tap", required_argument, 0, 'T'},
                                         {"ip", required_argument, 0, 'I'},
                                         {"gw", required_argument, 0, 'G'},
                                         {"dhcp", no_argument, 0, 'D'},
                                         {"access-log", required_argument, 0, 'L'},
                                         {"idle-timeout", required_argument, 0, 'i'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    long port = 8080, idle = 30;
    const char *bind_addr = "::", *log_path = "-";
    int want_tls = 0, want_direct = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "p:b:c:k:h", opts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case 'p':
            port = strtol(optarg, &end, 10);
            if (*end || port < 0 || port > 65535) {
                fprintf(stderr, "mote-serve: bad port '%s'\n", optarg);
                return 2;
            }
            break;
        case 'b':
            bind_addr = optarg;
            break;
        case 'c':
        case 'k':
        case 'S':
            want_tls = 1;
            break;
        case 's':
            if (strcmp(optarg, "direct") == 0)
                want_direct = 1;
            else if (strcmp(optarg, "socket") != 0) {
                fprintf(stderr, "mote-serve: --stack is socket or direct\n");
                return 2;
            }
            break;
        case 'T':
        case 'I':
        case 'G':
        case 'D':
            want_direct = 1;
            break;
        case 'L':
            log_path = optarg;
            break;
        case 'i':
            idle = strtol(optarg, &end, 10);
            if (*end || idle <= 0 || idle > 86400) {
                fprintf(stderr, "mote-serve: bad idle timeout '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (want_tls) {
        fprintf(stderr, "mote-serve: TLS is not available in this build yet (libmote-tls is "
                        "not built); serve plain HTTP without -c/-k/--self-signed\n");
        return 2;
    }
    if (want_direct) {
        fprintf(stderr, "mote-serve: --stack direct is not available yet (libmote-net has no "
                        "TCP flow yet); use --stack socket\n");
        return 2;
    }

    struct app a;
    memset(&a, 0, sizeof a);
    int rc = serve_root_open(&a.srv.root, argv[optind]);
    if (rc) {
        fprintf(stderr, "mote-serve: cannot serve %s: %s\n", argv[optind], mote_strerror(rc));
        return 1;
    }
    a.srv.access_log = stdout;
    if (strcmp(log_path, "-") != 0) {
        a.srv.access_log = fopen(log_path, "a");
        if (!a.srv.access_log) {
            perror("mote-serve: access log");
            return 1;
        }
    }
    a.srv.idle_timeout_ns = (uint64_t)idle * MOTE_NS_PER_SEC;
    a.srv.on_idle = on_all_closed;
    a.loop = uv_default_loop();
    signal(SIGPIPE, SIG_IGN);
    a.clock = mote_posix_clock_new(a.loop, &rc);
    if (!a.clock) {
        fprintf(stderr, "mote-serve: %s\n", mote_strerror(rc));
        return 1;
    }
    a.srv.clock = mote_posix_clock_clock(a.clock);
    /* Responses go out in a few writes (head, body pieces): without
     * TCP_NODELAY, Nagle's algorithm would hold the last piece back until
     * the client's delayed ACK. */
    mote_posix_tcp_options topts = {0};
    topts.nodelay = 1;
    a.listener =
        mote_posix_tcp_listen(a.loop, bind_addr, (uint16_t)port, 0, &topts, on_accept, &a, &rc);
    if (!a.listener) {
        fprintf(stderr, "mote-serve: cannot listen on [%s]:%ld: %s\n", bind_addr, port,
                mote_strerror(rc));
        return 1;
    }
    uv_signal_init(a.loop, &a.sigint);
    uv_signal_init(a.loop, &a.sigterm);
    uv_timer_init(a.loop, &a.grace);
    uv_timer_init(a.loop, &a.flush);
    a.sigint.data = a.sigterm.data = a.grace.data = a.flush.data = &a;
    uv_timer_start(&a.flush, on_flush, 200, 200);
    uv_signal_start(&a.sigint, on_signal, SIGINT);
    uv_signal_start(&a.sigterm, on_signal, SIGTERM);
    fprintf(stderr, "mote-serve: serving %s on http://[%s]:%u/\n", a.srv.root.realpath, bind_addr,
            mote_posix_listener_port(a.listener));
    fflush(stderr);
    uv_run(a.loop, UV_RUN_DEFAULT);
    uv_loop_close(a.loop);
    serve_root_close(&a.srv.root);
    fflush(a.srv.access_log);
    if (a.srv.access_log != stdout)
        fclose(a.srv.access_log);
    fprintf(stderr, "mote-serve: stopped\n");
    return 0;
}
