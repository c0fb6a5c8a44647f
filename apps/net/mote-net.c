/* mote-net - runs libmote-net on a TAP device.
 *
 *   mote-net [options] serve           answer ping; echo (7) and discard (9)
 *                                      services on TCP and UDP, until SIGINT
 *   mote-net [options] get HOST PORT   connect; copy what arrives to stdout
 *   mote-net [options] put HOST PORT   connect; send stdin, then close
 *
 * Options:
 *   --tap NAME        TAP interface to create or attach to (default mote0)
 *   --addr A.B.C.D/N  static address and prefix length
 *   --dhcp            get the address from a DHCP server instead (the lease
 *                     is printed to stderr, and released on exit)
 *   --gw A.B.C.D      default gateway
 *   --mtu N           interface MTU (default: the interface's)
 *   --cc cubic|newreno   congestion control (default cubic)
 *   --rto-min MS      floor of TCP's retransmission timeout (default 200;
 *                     a LAN with a sub-millisecond RTT may take 5)
 *   --pcap FILE       record every frame (also MOTE_NET_PCAP=FILE)
 *   --stats           print the counters on exit
 *   --offload         use the TAP's offloads (IFF_VNET_HDR, TUNSETOFFLOAD
 *                     csum + TSO4) both ways: the stack sends TCP
 *                     super-segments of up to 64 KiB with partial checksums
 *                     for the kernel to cut, and takes large (GRO) frames
 *   --no-gso          send one MSS per segment (no super-segments)
 *   -v                log the stack's messages
 *
 * The services and the stack share the stack's one address. Exit status: 0
 * on success, 1 on a network error, 2 on a usage error.
 */
#include "mote/net.h"
#include "mote/net_dhcp.h"
#include "mote/net_pcap.h"
#include "mote/net_tcp.h"
#include "mote/posix.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct app {
    uv_loop_t *loop;
    mote_posix_clock *pclock;
    mote_clock *clock;
    mote_rng rng;
    mote_posix_tap *tap;
    mote_net_pcap *pcap;
    FILE *pcap_file;
    mote_net *net;
    mote_net_dhcp *dhcp;
    mote_net_ip4 peer;
    uint16_t port;
    int serve, started_app;
    mote_log log;
    int verbose, stats;
    uv_signal_t sigint, sigterm;
    uv_timer_t linger, settle;
    mote_net_listener *echo_l, *discard_l;
    mote_net_udp *echo_u, *discard_u;
    /* client mode */
    mote_flow *flow;
    int put;
    uv_fs_t read_req;
    uv_pipe_t in_pipe; /* stdin when it is a pipe: read in the loop, no threadpool */
    int use_pipe, pipe_reading;
    uint8_t rbuf[256 * 1024];
    int64_t in_off;
    int reading_stdin, stdin_eof, waiting_drain;
    int exit_code, done;
    uint64_t bytes;
} app;

static void usage(void)
{
    fprintf(
        stderr,
        "usage: mote-net [--tap NAME] (--addr A.B.C.D/N [--gw A.B.C.D] | --dhcp) [--mtu N]\n"
        "                [--cc cubic|newreno] [--pcap FILE] [--stats] [--offload] [--no-gso] [-v]\n"
        "                [--rto-min MS] serve | get HOST PORT | put HOST PORT\n");
    exit(2);
}

static void finish(app *a, int code);

/* ---- services ---- */

typedef struct svc_conn {
    app *a;
    mote_flow *f;
    int echo;
} svc_conn;

static void svc_data(void *arg, const uint8_t *d, size_t len)
{
    svc_conn *c = arg;
    if (!c->echo)
        return;
    if (mote_flow_write(c->f, d, len) < 0)
        return;
    if (mote_flow_queued(c->f) > 1024 * 1024)
        mote_flow_set_reading(c->f, 0); /* backpressure until drained */
}

static void svc_drain(void *arg)
{
    svc_conn *c = arg;
    mote_flow_set_reading(c->f, 1);
}

static void svc_eof(void *arg)
{
    svc_conn *c = arg;
    mote_flow_shutdown(c->f);
    mote_flow_close(c->f); /* finishes sending in the background */
    free(c);
}

static void svc_error(void *arg, int err)
{
    svc_conn *c = arg;
    if (c->a->verbose)
        fprintf(stderr, "mote-net: connection error: %s\n", mote_strerror(err));
    mote_flow_close(c->f);
    free(c);
}

static const mote_flow_events svc_events = {svc_data, svc_eof, svc_drain, svc_error};

static void svc_accept(app *a, mote_net_listener *l, int echo)
{
    mote_flow *f;
    int err;
    while ((f = mote_net_tcp_accept(l, &err)) != NULL) {
        svc_conn *c = calloc(1, sizeof *c);
        if (!c) {
            mote_flow_close(f);
            continue;
        }
        c->a = a;
        c->f = f;
        c->echo = echo;
        mote_flow_set_events(f, &svc_events, c);
    }
}

static void echo_accept(void *arg, mote_net_listener *l)
{
    svc_accept(arg, l, 1);
}

static void discard_accept(void *arg, mote_net_listener *l)
{
    svc_accept(arg, l, 0);
}

static void udp_echo(void *arg, mote_net_udp *u, mote_net_ip4 src, uint16_t sport, const uint8_t *d,
                     size_t len)
{
    (void)arg;
    mote_net_udp_sendto(u, src, sport, d, len);
}

static void udp_discard(void *arg, mote_net_udp *u, mote_net_ip4 src, uint16_t sport,
                        const uint8_t *d, size_t len)
{
    (void)arg, (void)u, (void)src, (void)sport, (void)d, (void)len;
}

/* ---- client: get and put ---- */

static void read_stdin(app *a);
static void got_stdin(app *a, ssize_t n);

static void on_read(uv_fs_t *req)
{
    app *a = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    a->reading_stdin = 0;
    got_stdin(a, n);
}

static void pipe_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    app *a = h->data;
    (void)hint;
    *b = uv_buf_init((char *)a->rbuf, sizeof a->rbuf);
}

static void pipe_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    app *a = st->data;
    (void)b;
    if (n == 0)
        return; /* EAGAIN */
    if (n == UV_EOF)
        n = 0;
    uv_read_stop(st);
    a->pipe_reading = 0;
    got_stdin(a, n);
}

/* n bytes of stdin are in rbuf (0: end of input, < 0: an error). */
static void got_stdin(app *a, ssize_t n)
{
    if (a->done || !a->flow)
        return;
    if (n < 0) {
        fprintf(stderr, "mote-net: reading stdin: %s\n", uv_strerror((int)n));
        finish(a, 1);
        return;
    }
    if (n == 0) {
        a->stdin_eof = 1;
        mote_flow_shutdown(a->flow);
        return;
    }
    a->in_off += n;
    a->bytes += (uint64_t)n;
    if (mote_flow_write(a->flow, a->rbuf, (size_t)n) < 0) {
        finish(a, 1);
        return;
    }
    if (mote_flow_queued(a->flow) > 4 * 1024 * 1024)
        a->waiting_drain = 1;
    else
        read_stdin(a);
}

static void read_stdin(app *a)
{
    if (a->use_pipe) {
        if (a->pipe_reading || a->stdin_eof)
            return;
        int rc = uv_read_start((uv_stream_t *)&a->in_pipe, pipe_alloc, pipe_read);
        if (rc < 0) {
            fprintf(stderr, "mote-net: reading stdin: %s\n", uv_strerror(rc));
            finish(a, 1);
            return;
        }
        a->pipe_reading = 1;
        return;
    }
    if (a->reading_stdin || a->stdin_eof)
        return;
    a->reading_stdin = 1;
    a->read_req.data = a;
    uv_buf_t b = uv_buf_init((char *)a->rbuf, sizeof a->rbuf);
    int rc = uv_fs_read(a->loop, &a->read_req, 0, &b, 1, -1, on_read);
    if (rc < 0) {
        a->reading_stdin = 0;
        fprintf(stderr, "mote-net: reading stdin: %s\n", uv_strerror(rc));
        finish(a, 1);
    }
}

static void cli_data(void *arg, const uint8_t *d, size_t len)
{
    app *a = arg;
    if (a->put)
        return; /* put ignores what the peer sends */
    a->bytes += len;
    while (len) {
        ssize_t w = write(1, d, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "mote-net: writing stdout: %s\n", strerror(errno));
            finish(a, 1);
            return;
        }
        d += w;
        len -= (size_t)w;
    }
}

static void cli_eof(void *arg)
{
    app *a = arg;
    if (!a->put)
        mote_flow_shutdown(a->flow);
    if (!a->put || a->stdin_eof)
        finish(a, 0);
}

static void cli_drain(void *arg)
{
    app *a = arg;
    if (a->put && a->waiting_drain) {
        a->waiting_drain = 0;
        read_stdin(a);
    }
}

static void cli_error(void *arg, int err)
{
    app *a = arg;
    fprintf(stderr, "mote-net: connection failed: %s\n", mote_strerror(err));
    finish(a, 1);
}

static const mote_flow_events cli_events = {cli_data, cli_eof, cli_drain, cli_error};

static void cli_connected(void *arg, mote_flow *f, int err)
{
    app *a = arg;
    (void)f;
    if (err) {
        fprintf(stderr, "mote-net: connect: %s\n", mote_strerror(err));
        finish(a, 1);
        return;
    }
    if (a->verbose)
        fprintf(stderr, "mote-net: connected\n");
    if (a->put)
        read_stdin(a);
}

/* ---- lifetime ---- */

static void print_stats(app *a)
{
    mote_buf b;
    mote_buf_init(&b, 0);
    if (mote_net_format_counters(a->net, &b) == 0 && b.len)
        fwrite(b.data, 1, b.len, stderr);
    mote_buf_free(&b);
}

static void on_linger(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void finish(app *a, int code)
{
    if (a->done)
        return;
    a->done = 1;
    a->exit_code = code;
    if (a->stats)
        print_stats(a);
    mote_net_tcp_info ti;
    if (a->stats && a->flow && mote_net_tcp_get_info(a->flow, &ti) == 0)
        fprintf(stderr,
                "conn.mss %u\nconn.cwnd %u\nconn.ssthresh %u\nconn.snd_wnd %u\nconn.rcv_wnd %u\n"
                "conn.srtt_us %llu\nconn.retransmits %llu\n",
                ti.mss, ti.cwnd, ti.ssthresh, ti.snd_wnd, ti.rcv_wnd,
                (unsigned long long)(ti.srtt_ns / 1000), (unsigned long long)ti.retransmits);
    if (a->dhcp) {
        mote_net_dhcp_release(a->dhcp);
        mote_net_dhcp_free(a->dhcp);
        a->dhcp = NULL;
    }
    if (a->flow) {
        mote_flow_close(a->flow);
        a->flow = NULL;
    }
    if (a->echo_l)
        mote_net_listener_close(a->echo_l);
    if (a->discard_l)
        mote_net_listener_close(a->discard_l);
    if (a->echo_u)
        mote_net_udp_close(a->echo_u);
    if (a->discard_u)
        mote_net_udp_close(a->discard_u);
    a->echo_l = a->discard_l = NULL;
    a->echo_u = a->discard_u = NULL;
    /* let the closing handshakes run a moment before the stack goes */
    uv_timer_start(&a->linger, on_linger, 300, 0);
}

static void on_signal(uv_signal_t *h, int sig)
{
    (void)sig;
    finish(h->data, 0);
}

static int pcap_write(void *arg, const void *d, size_t len)
{
    app *a = arg;
    if (fwrite(d, 1, len, a->pcap_file) != len)
        return MOTE_EIO;
    return 0;
}

static int parse_cidr(const char *s, mote_net_ip4 *addr, mote_net_ip4 *mask)
{
    char buf[32];
    const char *slash = strchr(s, '/');
    if (!slash || (size_t)(slash - s) >= sizeof buf)
        return -1;
    memcpy(buf, s, (size_t)(slash - s));
    buf[slash - s] = 0;
    char *end;
    long n = strtol(slash + 1, &end, 10);
    if (*end || n < 1 || n > 32 || mote_net_ip4_parse(buf, addr) < 0)
        return -1;
    *mask = n == 32 ? 0xffffffffu : ~(0xffffffffu >> n);
    return 0;
}

static int start_app(app *a);

/* A client starts a moment after the TAP was opened: the kernel brings an
 * attached TAP's queue up from a work item, and until then it drops what
 * it sends there (our first ARP reply, typically), which costs the ARP
 * retry interval of one second. */
static void on_settle(uv_timer_t *t)
{
    app *a = t->data;
    if (start_app(a) < 0) {
        a->exit_code = 1;
        uv_stop(t->loop);
    }
}

static int start_app(app *a)
{
    int err;
    if (a->serve) {
        mote_net_udp_events ue = {udp_echo, NULL}, ud = {udp_discard, NULL};
        a->echo_l = mote_net_tcp_listen(a->net, 7, 64, echo_accept, a, &err);
        if (a->echo_l)
            a->discard_l = mote_net_tcp_listen(a->net, 9, 64, discard_accept, a, &err);
        if (a->discard_l)
            a->echo_u = mote_net_udp_open(a->net, 7, &ue, a, &err);
        if (a->echo_u)
            a->discard_u = mote_net_udp_open(a->net, 9, &ud, a, &err);
        if (!a->discard_u) {
            fprintf(stderr, "mote-net: services: %s\n", mote_strerror(err));
            return -1;
        }
        if (a->verbose)
            fprintf(stderr, "mote-net: serving on %s\n", mote_posix_tap_name(a->tap));
        return 0;
    }
    a->flow = mote_net_tcp_connect(a->net, a->peer, a->port, cli_connected, a, &err);
    if (!a->flow) {
        fprintf(stderr, "mote-net: connect: %s\n", mote_strerror(err));
        return -1;
    }
    mote_flow_set_events(a->flow, &cli_events, a);
    return 0;
}

static void on_dhcp(void *arg, int event, const mote_net_dhcp_lease *l)
{
    app *a = arg;
    char ip[16], gw[16];
    if (event == MOTE_NET_DHCP_LOST) {
        fprintf(stderr, "mote-net: lease lost\n");
        return;
    }
    mote_net_ip4_format(l->addr, ip, sizeof ip);
    mote_net_ip4_format(l->router, gw, sizeof gw);
    fprintf(stderr, "mote-net: %s %s router %s lease %us\n",
            event == MOTE_NET_DHCP_BOUND ? "bound" : "renewed", ip, gw, (unsigned)l->lease_s);
    if (event == MOTE_NET_DHCP_BOUND && !a->started_app) {
        a->started_app = 1;
        if (start_app(a) < 0)
            finish(a, 1);
    }
}

int main(int argc, char **argv)
{
    static app a;
    const char *tapname = "mote0", *addr_s = NULL, *gw_s = NULL, *pcap_path = NULL;
    const char *cc_s = "cubic";
    unsigned long rto_min_ms = 0;
    size_t mtu = 0;
    int offload = 0, dhcp = 0, gso = 1;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--tap") && i + 1 < argc)
            tapname = argv[++i];
        else if (!strcmp(o, "--addr") && i + 1 < argc)
            addr_s = argv[++i];
        else if (!strcmp(o, "--gw") && i + 1 < argc)
            gw_s = argv[++i];
        else if (!strcmp(o, "--mtu") && i + 1 < argc)
            mtu = (size_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(o, "--rto-min") && i + 1 < argc) {
            rto_min_ms = strtoul(argv[++i], NULL, 10);
            if (rto_min_ms < 1 || rto_min_ms > 60000)
                usage();
        } else if (!strcmp(o, "--cc") && i + 1 < argc)
            cc_s = argv[++i];
        else if (!strcmp(o, "--pcap") && i + 1 < argc)
            pcap_path = argv[++i];
        else if (!strcmp(o, "--stats"))
            a.stats = 1;
        else if (!strcmp(o, "--dhcp"))
            dhcp = 1;
        else if (!strcmp(o, "--offload"))
            offload = 1;
        else if (!strcmp(o, "--no-gso"))
            gso = 0;
        else if (!strcmp(o, "-v"))
            a.verbose = 1;
        else
            usage();
    }
    if (i >= argc || (!addr_s == !dhcp))
        usage();
    const char *cmd = argv[i++];
    mote_net_ip4 addr = 0, mask = 0, gw = 0, peer = 0;
    uint16_t port = 0;
    if ((addr_s && parse_cidr(addr_s, &addr, &mask) < 0) ||
        (gw_s && mote_net_ip4_parse(gw_s, &gw) < 0))
        usage();
    int serve = !strcmp(cmd, "serve");
    if (!serve) {
        if ((strcmp(cmd, "get") && strcmp(cmd, "put")) || i + 2 != argc)
            usage();
        a.put = !strcmp(cmd, "put");
        long p = strtol(argv[i + 1], NULL, 10);
        if (mote_net_ip4_parse(argv[i], &peer) < 0 || p < 1 || p > 65535)
            usage();
        port = (uint16_t)p;
    } else if (i != argc) {
        usage();
    }
    int cc = !strcmp(cc_s, "cubic")     ? MOTE_NET_CC_CUBIC
             : !strcmp(cc_s, "newreno") ? MOTE_NET_CC_NEWRENO
                                        : -1;
    if (cc < 0)
        usage();
    if (!pcap_path)
        pcap_path = getenv("MOTE_NET_PCAP");

    signal(SIGPIPE, SIG_IGN);
    a.loop = uv_default_loop();
    int err;
    a.pclock = mote_posix_clock_new(a.loop, &err);
    if (!a.pclock) {
        fprintf(stderr, "mote-net: clock: %s\n", mote_strerror(err));
        return 1;
    }
    a.clock = mote_posix_clock_clock(a.pclock);
    mote_posix_rng_init(&a.rng);
    if (a.put && uv_guess_handle(0) == UV_NAMED_PIPE && uv_pipe_init(a.loop, &a.in_pipe, 0) == 0) {
        if (uv_pipe_open(&a.in_pipe, 0) == 0) {
            a.use_pipe = 1;
            a.in_pipe.data = &a;
#ifdef F_SETPIPE_SZ
            (void)fcntl(0, F_SETPIPE_SZ, 1 << 20); /* fewer, larger reads; best effort */
#endif
        } else {
            uv_close((uv_handle_t *)&a.in_pipe, NULL);
        }
    }
    mote_posix_log_init(&a.log, a.verbose ? MOTE_LOG_DEBUG : MOTE_LOG_WARN);
    mote_posix_tap_config tc;
    memset(&tc, 0, sizeof tc);
    tc.name = tapname;
    tc.mtu = mtu;
    tc.log = &a.log;
    if (offload) {
        tc.offload = MOTE_POSIX_TAP_CSUM | MOTE_POSIX_TAP_TSO4;
        tc.vnet_passthrough = 1;
    }
    a.tap = mote_posix_tap_open_config(a.loop, &tc, &err);
    if (!a.tap) {
        fprintf(stderr, "mote-net: TAP %s: %s\n", tapname, mote_strerror(err));
        return 1;
    }
    mote_netif *nif = mote_posix_tap_netif(a.tap);
    if (pcap_path) {
        a.pcap_file = fopen(pcap_path, "wb");
        if (!a.pcap_file) {
            fprintf(stderr, "mote-net: %s: %s\n", pcap_path, strerror(errno));
            return 1;
        }
        a.pcap = mote_net_pcap_new(nif, a.clock, pcap_write, &a, 0, &err);
        if (!a.pcap) {
            fprintf(stderr, "mote-net: pcap: %s\n", mote_strerror(err));
            return 1;
        }
        mote_net_pcap_set_vnet(a.pcap, offload);
        nif = mote_net_pcap_netif(a.pcap);
    }
    mote_net_config cfg;
    mote_net_config_default(&cfg);
    cfg.netif = nif;
    cfg.clock = a.clock;
    cfg.rng = &a.rng;
    cfg.log = &a.log;
    cfg.addr = addr;
    cfg.netmask = mask;
    cfg.gateway = gw;
    cfg.tcp.cc = cc;
    if (rto_min_ms)
        cfg.tcp.rto_min_ns = (uint64_t)rto_min_ms * MOTE_NS_PER_MS;
    cfg.gso = gso;
    if (offload)
        cfg.offload = MOTE_NET_OFFLOAD_VNET | MOTE_NET_OFFLOAD_CSUM | MOTE_NET_OFFLOAD_TSO4;
    a.net = mote_net_new(&cfg, &err);
    if (!a.net) {
        fprintf(stderr, "mote-net: stack: %s\n", mote_strerror(err));
        return 1;
    }
    a.peer = peer;
    a.port = port;
    a.serve = serve;
    uv_timer_init(a.loop, &a.linger);
    uv_timer_init(a.loop, &a.settle);
    uv_signal_init(a.loop, &a.sigint);
    uv_signal_init(a.loop, &a.sigterm);
    a.sigint.data = a.sigterm.data = &a;
    uv_signal_start(&a.sigint, on_signal, SIGINT);
    uv_signal_start(&a.sigterm, on_signal, SIGTERM);
    if (dhcp) {
        a.dhcp = mote_net_dhcp_start(a.net, "mote-net", on_dhcp, &a, &err);
        if (!a.dhcp) {
            fprintf(stderr, "mote-net: dhcp: %s\n", mote_strerror(err));
            return 1;
        }
    } else if (serve) {
        if (start_app(&a) < 0)
            return 1;
    } else {
        a.settle.data = &a;
        uv_timer_start(&a.settle, on_settle, 50, 0);
    }
    uv_run(a.loop, UV_RUN_DEFAULT);
    /* tear down: let background closes finish briefly, then free */
    if (a.reading_stdin)
        uv_cancel((uv_req_t *)&a.read_req);
    uv_signal_stop(&a.sigint);
    uv_signal_stop(&a.sigterm);
    uv_close((uv_handle_t *)&a.sigint, NULL);
    uv_close((uv_handle_t *)&a.sigterm, NULL);
    uv_close((uv_handle_t *)&a.linger, NULL);
    uv_close((uv_handle_t *)&a.settle, NULL);
    if (a.use_pipe)
        uv_close((uv_handle_t *)&a.in_pipe, NULL);
    mote_net_free(a.net);
    if (a.pcap)
        mote_net_pcap_free(a.pcap);
    if (a.pcap_file)
        fclose(a.pcap_file);
    mote_posix_tap_close(a.tap);
    mote_posix_clock_free(a.pclock);
    uv_run(a.loop, UV_RUN_NOWAIT);
    if (a.verbose && !serve)
        fprintf(stderr, "mote-net: %llu bytes\n", (unsigned long long)a.bytes);
    return a.exit_code;
}
