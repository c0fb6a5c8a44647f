/* serve.c - mote-serve: serves a directory over HTTP/1.1 or HTTPS.
 *
 *   mote-serve [-c CERT -k KEY | --self-signed NAME [--cert-out FILE]]
 *              [-p PORT] [-b ADDR] [--stack socket|direct]
 *              [--access-log FILE] [--idle-timeout S] DIR
 *
 * libmote-conduit gives the listening endpoint, tcp:// or, with a
 * certificate, tls:// (libmote-tls on each connection); the stack that
 * carries TCP is configuration. libmote-http does all parsing and writing
 * (conn.c). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "conn.h"
#include "mote/conduit.h"
#include "mote/posix.h"
#ifdef MOTE_SERVE_HAVE_TLS
#include "tlssetup.h"
#endif
#ifdef MOTE_SERVE_HAVE_NET
#include "mote/net.h"
#include "mote/net_dhcp.h"
#endif

struct app {
    uv_loop_t *loop;
    serve_server srv;
    mote_posix_clock *clock;
    mote_rng rng;
    mote_conduit_listener *listener;
#ifdef MOTE_SERVE_HAVE_TLS
    mote_tls_config *tls;
#endif
    uv_signal_t sigint, sigterm;
    uv_timer_t grace;
    uv_timer_t flush; /* flushes the access log every 200 ms */
    int stopping;
#ifdef MOTE_SERVE_HAVE_NET
    mote_posix_tap *tap; /* --stack direct: the TAP device and mote's stack on it */
    mote_net *net;
    mote_net_dhcp *dhcp;
#endif
};

static void usage(FILE *f)
{
    fprintf(
        f, "usage: mote-serve [-c CERT -k KEY | --self-signed NAME [--cert-out FILE]]\n"
           "                  [-p PORT] [-b ADDR] [--stack socket|direct]\n"
           "                  [--access-log FILE] [--idle-timeout S] DIR\n"
           "\n"
           "Serves DIR over HTTP/1.1, or HTTPS (TLS 1.3, ALPN http/1.1) with a certificate:\n"
           "GET and HEAD, one Range, ETag/If-None-Match, Last-Modified/If-Modified-Since,\n"
           "index.html and directory listings.\n"
           "  -c, --cert FILE        certificate chain (PEM, leaf first)\n"
           "  -k, --key FILE         its private key (PEM: PKCS#8, PKCS#1 or SEC1)\n"
           "  --self-signed NAME     make a P-256 certificate for NAME (DNS name or IP)\n"
           "  --cert-out FILE        write that certificate to FILE (for clients to trust)\n"
           "  -p, --port PORT        port to listen on (default 8080, 8443 with TLS; 0 picks one)\n"
           "  -b, --bind ADDR        numeric address to listen on (default ::, all)\n"
           "  --stack socket|direct  the kernel's TCP/IP (default) or mote's own on a TAP\n"
           "                         device (--tap IF --ip ADDR/LEN [--gw ADDR] | --dhcp);\n"
           "                         direct is not available yet\n"
           "  --access-log FILE      Common Log Format lines to FILE (default stdout)\n"
           "  --idle-timeout S       close connections idle this many seconds (default 30)\n");
}

#ifdef MOTE_SERVE_HAVE_TLS
static void on_handshake(void *arg, int err)
{
    mote_flow *flow = arg;
    mote_tls *t = err ? mote_tls_flow_tls(flow) : NULL;
    /* A client that connects and leaves without a word has no reason to
     * report; anything else (alerts, bad records) is worth a line. */
    if (t && *mote_tls_reason(t))
        fprintf(stderr, "mote-serve: TLS handshake failed: %s\n", mote_tls_reason(t));
}
#endif

#ifdef MOTE_SERVE_HAVE_NET
static void on_dhcp(void *arg, int event, const mote_net_dhcp_lease *l)
{
    (void)arg;
    char ip[16];
    if (event == MOTE_NET_DHCP_LOST) {
        fprintf(stderr, "mote-serve: DHCP lease lost\n");
        return;
    }
    mote_net_ip4_format(l->addr, ip, sizeof ip);
    fprintf(stderr, "mote-serve: DHCP %s %s (lease %us)\n",
            event == MOTE_NET_DHCP_BOUND ? "bound" : "renewed", ip, (unsigned)l->lease_s);
}

/* Opens the TAP device and starts mote's stack on it. 0 or 1 (message
 * printed). addr_s is "A.B.C.D/N" or NULL for DHCP. */
static int start_direct(struct app *a, const char *tapname, const char *addr_s, const char *gw_s)
{
    int rc;
    mote_net_config nc;
    mote_net_config_default(&nc);
    if (addr_s) {
        char ip[32];
        const char *slash = strchr(addr_s, '/');
        long len = slash ? strtol(slash + 1, NULL, 10) : -1;
        if (!slash || (size_t)(slash - addr_s) >= sizeof ip || len < 1 || len > 30) {
            fprintf(stderr, "mote-serve: --ip takes A.B.C.D/LEN\n");
            return 1;
        }
        memcpy(ip, addr_s, (size_t)(slash - addr_s));
        ip[slash - addr_s] = '\0';
        if (mote_net_ip4_parse(ip, &nc.addr) != 0) {
            fprintf(stderr, "mote-serve: bad address '%s'\n", ip);
            return 1;
        }
        nc.netmask = (mote_net_ip4)(0xffffffffu << (32 - len));
        if (gw_s && mote_net_ip4_parse(gw_s, &nc.gateway) != 0) {
            fprintf(stderr, "mote-serve: bad gateway '%s'\n", gw_s);
            return 1;
        }
    }
    a->tap = mote_posix_tap_open(a->loop, tapname, &rc);
    if (!a->tap) {
        fprintf(stderr, "mote-serve: cannot open TAP device %s: %s%s\n", tapname, mote_strerror(rc),
                rc == MOTE_EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
        return 1;
    }
    nc.netif = mote_posix_tap_netif(a->tap);
    nc.clock = a->srv.clock;
    nc.rng = &a->rng;
    a->net = mote_net_new(&nc, &rc);
    if (!a->net) {
        fprintf(stderr, "mote-serve: mote's stack: %s\n", mote_strerror(rc));
        return 1;
    }
    if (!addr_s) {
        a->dhcp = mote_net_dhcp_start(a->net, "mote-serve", on_dhcp, a, &rc);
        if (!a->dhcp) {
            fprintf(stderr, "mote-serve: DHCP: %s\n", mote_strerror(rc));
            return 1;
        }
    }
    return 0;
}
#endif

static void on_accept(void *arg, mote_flow *flow, const char *peer, int err)
{
    struct app *a = arg;
    if (err || !flow)
        return;
    if (a->stopping) {
        mote_flow_close(flow);
        return;
    }
#ifdef MOTE_SERVE_HAVE_TLS
    if (a->tls) /* conduit's tls:// made this a TLS flow */
        mote_tls_flow_on_handshake(flow, on_handshake, flow);
#endif
    serve_conn_start(&a->srv, flow, peer);
}

static void close_handles(struct app *a)
{
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    uv_close((uv_handle_t *)&a->grace, NULL);
    uv_close((uv_handle_t *)&a->flush, NULL);
#ifdef MOTE_SERVE_HAVE_NET
    if (a->dhcp) {
        mote_net_dhcp_release(a->dhcp);
        mote_net_dhcp_free(a->dhcp);
        a->dhcp = NULL;
    }
    if (a->net) {
        mote_net_free(a->net);
        a->net = NULL;
    }
    if (a->tap) {
        mote_posix_tap_close(a->tap);
        a->tap = NULL;
    }
#endif
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
    mote_conduit_listener_close(a->listener);
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
                                         {"cert-out", required_argument, 0, 'O'},
                                         {"stack", required_argument, 0, 's'},
                                         {"tap", required_argument, 0, 'T'},
                                         {"ip", required_argument, 0, 'I'},
                                         {"gw", required_argument, 0, 'G'},
                                         {"dhcp", no_argument, 0, 'D'},
                                         {"access-log", required_argument, 0, 'L'},
                                         {"idle-timeout", required_argument, 0, 'i'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    long port = -1, idle = 30;
    const char *bind_addr = "::", *log_path = "-";
    char own_addr[32]; /* the direct stack's address, when bind_addr is :: */
    const char *cert = NULL, *key = NULL, *self_name = NULL, *cert_out = NULL;
    const char *tapname = "mote0", *ip_s = NULL, *gw_s = NULL;
    int dhcp = 0;
    int stack = MOTE_CONDUIT_STACK_SOCKET, stack_set = 0;
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
            cert = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'S':
            self_name = optarg;
            break;
        case 'O':
            cert_out = optarg;
            break;
        case 's':
            stack_set = 1;
            if (strcmp(optarg, "direct") == 0)
                stack = MOTE_CONDUIT_STACK_DIRECT;
            else if (strcmp(optarg, "socket") != 0) {
                fprintf(stderr, "mote-serve: --stack is socket or direct\n");
                return 2;
            }
            break;
        case 'T':
            tapname = optarg;
            break;
        case 'I':
            ip_s = optarg;
            break;
        case 'G':
            gw_s = optarg;
            break;
        case 'D':
            dhcp = 1;
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
    int want_tls = cert || key || self_name;
    if (want_tls && !self_name && (!cert || !key)) {
        fprintf(stderr, "mote-serve: -c CERT and -k KEY go together\n");
        return 2;
    }
    if (self_name && (cert || key)) {
        fprintf(stderr, "mote-serve: --self-signed replaces -c and -k\n");
        return 2;
    }
    if (cert_out && !self_name) {
        fprintf(stderr, "mote-serve: --cert-out needs --self-signed\n");
        return 2;
    }
#ifndef MOTE_SERVE_HAVE_TLS
    if (want_tls) {
        fprintf(stderr, "mote-serve: this build has no TLS (libmote-tls was not built)\n");
        return 2;
    }
#endif
    if (!stack_set && (ip_s || dhcp))
        stack = MOTE_CONDUIT_STACK_DIRECT; /* --ip or --dhcp imply mote's own stack */
    if (stack == MOTE_CONDUIT_STACK_DIRECT && !ip_s == !dhcp) {
        fprintf(stderr, "mote-serve: --stack direct needs --ip ADDR/LEN or --dhcp\n");
        return 2;
    }
    if (stack != MOTE_CONDUIT_STACK_DIRECT && (ip_s || gw_s || dhcp)) {
        fprintf(stderr, "mote-serve: --ip, --gw and --dhcp go with --stack direct\n");
        return 2;
    }
    if (!mote_conduit_supported(MOTE_CONDUIT_TCP, stack)) {
        fprintf(stderr, "mote-serve: --stack direct: this build has no libmote-net\n");
        return 2;
    }
    if (stack == MOTE_CONDUIT_STACK_DIRECT && port == 0) {
        fprintf(stderr, "mote-serve: --stack direct needs a port (no ephemeral listening)\n");
        return 2;
    }
    if (port < 0)
        port = want_tls ? 8443 : 8080;

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
    mote_posix_rng_init(&a.rng);
    a.clock = mote_posix_clock_new(a.loop, &rc);
    if (!a.clock) {
        fprintf(stderr, "mote-serve: %s\n", mote_strerror(rc));
        return 1;
    }
    a.srv.clock = mote_posix_clock_clock(a.clock);

#ifdef MOTE_SERVE_HAVE_TLS
    if (want_tls) {
        char why[512];
        a.tls = self_name ? serve_tls_self_signed(&a.rng, a.srv.clock, self_name, cert_out, why,
                                                  sizeof why)
                          : serve_tls_from_files(&a.rng, a.srv.clock, cert, key, why, sizeof why);
        if (!a.tls) {
            fprintf(stderr, "mote-serve: %s\n", why);
            return 1;
        }
    }
#endif

    /* Responses go out in a few writes (head, body pieces): without
     * TCP_NODELAY, Nagle's algorithm would hold the last piece back until
     * the client's delayed ACK. */
    mote_conduit_config ccfg;
    memset(&ccfg, 0, sizeof ccfg);
    ccfg.loop = a.loop;
    ccfg.stack = stack;
    ccfg.tcp.nodelay = 1;
#ifdef MOTE_SERVE_HAVE_NET
    if (stack == MOTE_CONDUIT_STACK_DIRECT) {
        if (start_direct(&a, tapname, ip_s, gw_s))
            return 1;
        ccfg.net = a.net;
        if (strcmp(bind_addr, "::") == 0 && ip_s) {
            /* Listen on the stack's address (it has only one). */
            snprintf(own_addr, sizeof own_addr, "%.*s", (int)(strchr(ip_s, '/') - ip_s), ip_s);
            bind_addr = own_addr;
        }
    }
#else
    (void)tapname;
#endif
    char uri[300];
#ifdef MOTE_SERVE_HAVE_TLS
    ccfg.tls_server = a.tls; /* tls:// wraps every accepted flow in libmote-tls */
#endif
    snprintf(uri, sizeof uri, strchr(bind_addr, ':') ? "%s://[%s]:%ld" : "%s://%s:%ld",
             want_tls ? "tls" : "tcp", bind_addr, port);
    a.listener = mote_conduit_listen(&ccfg, uri, on_accept, &a, &rc);
    if (!a.listener) {
        fprintf(stderr, "mote-serve: cannot listen on %s: %s\n", uri, mote_strerror(rc));
        return 1;
    }
    uv_signal_init(a.loop, &a.sigint);
    uv_signal_init(a.loop, &a.sigterm);
    uv_timer_init(a.loop, &a.grace);
    uv_timer_init(a.loop, &a.flush);
    a.sigint.data = a.sigterm.data = a.grace.data = a.flush.data = &a;
    uv_signal_start(&a.sigint, on_signal, SIGINT);
    uv_signal_start(&a.sigterm, on_signal, SIGTERM);
    uv_timer_start(&a.flush, on_flush, 200, 200);
    fprintf(stderr, "mote-serve: serving %s on %s://%s%s%s:%u/%s%s\n", a.srv.root.realpath,
            want_tls ? "https" : "http", strchr(bind_addr, ':') ? "[" : "", bind_addr,
            strchr(bind_addr, ':') ? "]" : "", mote_conduit_listener_port(a.listener),
            stack == MOTE_CONDUIT_STACK_DIRECT ? " over mote's TCP/IP on TAP " : "",
            stack == MOTE_CONDUIT_STACK_DIRECT ? tapname : "");
    fflush(stderr);
    uv_run(a.loop, UV_RUN_DEFAULT);
    uv_loop_close(a.loop);
    serve_root_close(&a.srv.root);
#ifdef MOTE_SERVE_HAVE_TLS
    mote_tls_config_free(a.tls);
#endif
    fflush(a.srv.access_log);
    if (a.srv.access_log != stdout)
        fclose(a.srv.access_log);
    fprintf(stderr, "mote-serve: stopped\n");
    return 0;
}
