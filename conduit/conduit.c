/* conduit.c - endpoint names to flows (mote/conduit.h). */
#include "mote/conduit.h"

#include <stdlib.h>
#include <string.h>

#ifdef MOTE_CONDUIT_HAVE_VCHAN
#include "mote/vchan.h"
#include "mote/vchan_uv.h"
#endif
#ifdef MOTE_CONDUIT_HAVE_NET
#include "mote/net.h"
#include "mote/net_tcp.h"
#endif
#ifdef MOTE_CONDUIT_HAVE_TLS
#include "mote/tls.h"
#endif

/* ---- names ---- */

static int host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

static int copy_part(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return MOTE_ELIMIT;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

static int parse_hostport(const char *s, mote_conduit_endpoint *e)
{
    const char *hend, *colon;
    if (*s == '[') {
        hend = strchr(s, ']');
        if (!hend || hend == s + 1)
            return MOTE_EDECODE;
        for (const char *c = s + 1; c < hend; c++)
            if (!(host_char(*c) || *c == ':' || *c == '%') || *c == '_')
                return MOTE_EDECODE;
        int rc = copy_part(e->host, sizeof e->host, s + 1, (size_t)(hend - s - 1));
        if (rc)
            return rc;
        colon = hend + 1;
        if (*colon != ':')
            return MOTE_EDECODE;
    } else {
        colon = strrchr(s, ':');
        if (!colon || colon == s)
            return MOTE_EDECODE;
        for (const char *c = s; c < colon; c++)
            if (!host_char(*c))
                return MOTE_EDECODE;
        int rc = copy_part(e->host, sizeof e->host, s, (size_t)(colon - s));
        if (rc)
            return rc;
    }
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5)
        return MOTE_EDECODE;
    unsigned long port = 0;
    for (const char *c = p; *c; c++) {
        if (*c < '0' || *c > '9')
            return MOTE_EDECODE;
        port = port * 10 + (unsigned long)(*c - '0');
    }
    if (port > 65535 || (p[0] == '0' && p[1]))
        return MOTE_EDECODE;
    e->port = (uint16_t)port;
    return 0;
}

int mote_conduit_parse(const char *uri, mote_conduit_endpoint *e)
{
    memset(e, 0, sizeof *e);
    if (!uri)
        return MOTE_EINVAL;
    const char *sep = strstr(uri, "://");
    if (!sep)
        return MOTE_EDECODE;
    size_t sl = (size_t)(sep - uri);
    const char *rest = sep + 3;
    if (sl == 3 && memcmp(uri, "tcp", 3) == 0) {
        e->scheme = MOTE_CONDUIT_TCP;
        return parse_hostport(rest, e);
    }
    if (sl == 3 && memcmp(uri, "tls", 3) == 0) {
        e->scheme = MOTE_CONDUIT_TLS;
        return parse_hostport(rest, e);
    }
    if (sl == 4 && memcmp(uri, "unix", 4) == 0) {
        e->scheme = MOTE_CONDUIT_UNIX;
        if (rest[0] != '/' || rest[1] == '\0')
            return MOTE_EDECODE;
        return copy_part(e->path, sizeof e->path, rest, strlen(rest));
    }
    if (sl == 5 && memcmp(uri, "vchan", 5) == 0) {
        e->scheme = MOTE_CONDUIT_VCHAN;
        if (!*rest)
            return MOTE_EDECODE;
        if (rest[0] != '/')
            for (const char *c = rest; *c; c++)
                if (!host_char(*c))
                    return MOTE_EDECODE;
        return copy_part(e->path, sizeof e->path, rest, strlen(rest));
    }
    for (size_t i = 0; i < sl; i++)
        if (!(uri[i] >= 'a' && uri[i] <= 'z'))
            return MOTE_EDECODE;
    return sl ? MOTE_EUNSUPPORTED : MOTE_EDECODE;
}

int mote_conduit_supported(int scheme, int stack)
{
    switch (scheme) {
    case MOTE_CONDUIT_TCP:
#ifdef MOTE_CONDUIT_HAVE_NET
        return stack == MOTE_CONDUIT_STACK_SOCKET || stack == MOTE_CONDUIT_STACK_DIRECT;
#else
        return stack == MOTE_CONDUIT_STACK_SOCKET;
#endif
    case MOTE_CONDUIT_TLS:
#ifdef MOTE_CONDUIT_HAVE_TLS
        return mote_conduit_supported(MOTE_CONDUIT_TCP, stack);
#else
        return 0;
#endif
    case MOTE_CONDUIT_UNIX:
        return 1;
    case MOTE_CONDUIT_VCHAN:
#ifdef MOTE_CONDUIT_HAVE_VCHAN
        return 1;
#else
        return 0;
#endif
    default:
        return 0;
    }
}

/* ---- connect ---- */

/* A result handed to the callback from the loop, never from inside
 * mote_conduit_connect itself. */
struct deferred {
    uv_timer_t timer;
    mote_conduit_connect_fn cb;
    void *arg;
    mote_flow *flow;
    int err;
};

static void deferred_closed(uv_handle_t *h)
{
    free(h->data);
}

static void deferred_fire(uv_timer_t *t)
{
    struct deferred *d = t->data;
    d->cb(d->arg, d->flow, d->err);
    uv_close((uv_handle_t *)&d->timer, deferred_closed);
}

static struct deferred *defer(uv_loop_t *loop, mote_conduit_connect_fn cb, void *arg,
                              mote_flow *flow, int err)
{
    struct deferred *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cb = cb;
    d->arg = arg;
    d->flow = flow;
    d->err = err;
    uv_timer_init(loop, &d->timer);
    d->timer.data = d;
    uv_timer_start(&d->timer, deferred_fire, 0, 0);
    return d;
}

#ifdef MOTE_CONDUIT_HAVE_NET
/* ---- the direct stack (libmote-net) ---- */

struct direct_pending {
    mote_conduit_connect_fn cb;
    void *arg;
};

static void direct_connected(void *arg, mote_flow *flow, int err)
{
    struct direct_pending *d = arg;
    mote_conduit_connect_fn cb = d->cb;
    void *cb_arg = d->arg;
    free(d);
    if (err) {
        mote_flow_close(flow); /* net: the owner closes a failed flow */
        cb(cb_arg, NULL, err);
    } else {
        cb(cb_arg, flow, 0);
    }
}

static int direct_connect(const mote_conduit_config *cfg, const mote_conduit_endpoint *e,
                          mote_conduit_connect_fn cb, void *arg)
{
    mote_net_ip4 dst;
    if (!cfg->net)
        return MOTE_EINVAL;
    if (mote_net_ip4_parse(e->host, &dst) != 0)
        return MOTE_EUNSUPPORTED; /* no resolver, no IPv6 on the direct stack */
    struct direct_pending *d = calloc(1, sizeof *d);
    if (!d)
        return MOTE_ENOMEM;
    d->cb = cb;
    d->arg = arg;
    int err;
    if (!mote_net_tcp_connect(cfg->net, dst, e->port, direct_connected, d, &err)) {
        free(d);
        return err;
    }
    return 0;
}
#endif

/* TCP on the configured stack. */
static int tcp_connect(const mote_conduit_config *cfg, const mote_conduit_endpoint *e,
                       mote_conduit_connect_fn cb, void *arg)
{
    int err = 0;
#ifdef MOTE_CONDUIT_HAVE_NET
    if (cfg->stack == MOTE_CONDUIT_STACK_DIRECT)
        return direct_connect(cfg, e, cb, arg);
#endif
    return mote_posix_tcp_connect(cfg->loop, e->host, e->port, &cfg->tcp, cb, arg, &err) ? 0 : err;
}

#ifdef MOTE_CONDUIT_HAVE_TLS
/* ---- tls:// = TCP + libmote-tls ---- */

struct tls_pending {
    mote_conduit_connect_fn cb;
    void *arg;
    const mote_tls_config *cfg;
    mote_flow *flow; /* the TLS flow while its handshake runs */
    char host[256];
};

static void tls_handshake_done(void *arg, int err)
{
    struct tls_pending *t = arg;
    mote_conduit_connect_fn cb = t->cb;
    void *cb_arg = t->arg;
    mote_flow *f = t->flow;
    free(t);
    if (err) {
        mote_flow_close(f);
        cb(cb_arg, NULL, err);
    } else {
        cb(cb_arg, f, 0);
    }
}

static void tls_tcp_connected(void *arg, mote_flow *tcp, int err)
{
    struct tls_pending *t = arg;
    mote_tls *engine = NULL;
    if (!err)
        engine = mote_tls_client_new(t->cfg, t->host, &err);
    if (engine)
        t->flow = mote_tls_flow_new(engine, tcp, &err); /* owns both once made */
    if (!t->flow) {
        mote_tls_free(engine); /* the adapter takes nothing when it fails */
        if (tcp)
            mote_flow_close(tcp);
        mote_conduit_connect_fn cb = t->cb;
        void *cb_arg = t->arg;
        free(t);
        cb(cb_arg, NULL, err ? err : MOTE_ENOMEM);
        return;
    }
    mote_tls_flow_on_handshake(t->flow, tls_handshake_done, t);
}

static int tls_connect(const mote_conduit_config *cfg, const mote_conduit_endpoint *e,
                       mote_conduit_connect_fn cb, void *arg)
{
    if (!cfg->tls_client)
        return MOTE_EINVAL;
    struct tls_pending *t = calloc(1, sizeof *t);
    if (!t)
        return MOTE_ENOMEM;
    t->cb = cb;
    t->arg = arg;
    t->cfg = cfg->tls_client;
    memcpy(t->host, e->host, sizeof t->host);
    int rc = tcp_connect(cfg, e, tls_tcp_connected, t);
    if (rc)
        free(t);
    return rc;
}
#endif

int mote_conduit_connect(const mote_conduit_config *cfg, const char *uri,
                         mote_conduit_connect_fn cb, void *arg)
{
    mote_conduit_endpoint e;
    if (!cfg || !cfg->loop || !cb)
        return MOTE_EINVAL;
    int rc = mote_conduit_parse(uri, &e);
    if (rc)
        return rc;
    if (!mote_conduit_supported(e.scheme, cfg->stack))
        return MOTE_EUNSUPPORTED;
    if ((e.scheme == MOTE_CONDUIT_TCP || e.scheme == MOTE_CONDUIT_TLS) && e.port == 0)
        return MOTE_EINVAL;
    int err = 0;
    switch (e.scheme) {
    case MOTE_CONDUIT_TCP:
        return tcp_connect(cfg, &e, cb, arg);
#ifdef MOTE_CONDUIT_HAVE_TLS
    case MOTE_CONDUIT_TLS:
        return tls_connect(cfg, &e, cb, arg);
#endif
    case MOTE_CONDUIT_UNIX:
        return mote_posix_unix_connect(cfg->loop, e.path, cb, arg, &err) ? 0 : err;
#ifdef MOTE_CONDUIT_HAVE_VCHAN
    case MOTE_CONDUIT_VCHAN: {
        mote_vchan_opts o;
        mote_vchan_opts_default(&o);
        mote_vchan *v = mote_vchan_client_init(e.path, &o, &err);
        mote_flow *f = v ? mote_vchan_uv_flow_new(cfg->loop, v, &err) : NULL;
        if (defer(cfg->loop, cb, arg, f, f ? 0 : err))
            return 0;
        if (f)
            mote_flow_close(f);
        return MOTE_ENOMEM;
    }
#endif
    default:
        return MOTE_EUNSUPPORTED;
    }
}

/* ---- listen ---- */

struct mote_conduit_listener {
    mote_conduit_accept_fn cb;
    void *arg;
    int scheme;
    const void *tls_server; /* tls://: the server configuration */
    mote_posix_listener *pl;
#ifdef MOTE_CONDUIT_HAVE_NET
    mote_net_listener *nl;
    uint16_t nport;
#endif
    struct deferred *pending; /* vchan: the one flow, handed over from the loop */
    uv_loop_t *loop;
};

/* Hands an accepted flow to the user, inside TLS for tls://. */
static void deliver(mote_conduit_listener *l, mote_flow *flow, const char *peer)
{
#ifdef MOTE_CONDUIT_HAVE_TLS
    if (l->scheme == MOTE_CONDUIT_TLS) {
        int err;
        mote_tls *engine = mote_tls_server_new(l->tls_server, &err);
        mote_flow *tf = engine ? mote_tls_flow_new(engine, flow, &err) : NULL;
        if (!tf) { /* the adapter takes nothing when it fails */
            mote_tls_free(engine);
            mote_flow_close(flow);
            l->cb(l->arg, NULL, peer, err);
            return;
        }
        flow = tf;
    }
#endif
    l->cb(l->arg, flow, peer, 0);
}

static void on_posix_accept(void *arg, mote_flow *flow, int err)
{
    mote_conduit_listener *l = arg;
    char peer[64] = "-";
    uint16_t port;
    if (flow && l->scheme != MOTE_CONDUIT_UNIX &&
        mote_posix_flow_address(flow, 0, peer, sizeof peer, &port) != 0)
        strcpy(peer, "-");
    if (!flow) {
        l->cb(l->arg, NULL, peer, err);
        return;
    }
    deliver(l, flow, peer);
}

#ifdef MOTE_CONDUIT_HAVE_NET
static void on_net_accept(void *arg, mote_net_listener *nl)
{
    mote_conduit_listener *l = arg;
    int err;
    mote_flow *f;
    while ((f = mote_net_tcp_accept(nl, &err))) {
        char peer[20] = "-";
        mote_net_tcp_info info;
        if (mote_net_tcp_get_info(f, &info) == 0)
            mote_net_ip4_format(info.remote_addr, peer, sizeof peer);
        deliver(l, f, peer);
    }
}

static int direct_listen(const mote_conduit_config *cfg, const mote_conduit_endpoint *e,
                         mote_conduit_listener *l)
{
    mote_net_ip4 a;
    if (!cfg->net || e->port == 0)
        return MOTE_EINVAL; /* the direct stack has no ephemeral listening ports */
    if (strcmp(e->host, "::") != 0 && mote_net_ip4_parse(e->host, &a) != 0)
        return MOTE_EUNSUPPORTED;
    int err;
    l->nl = mote_net_tcp_listen(cfg->net, e->port, 128, on_net_accept, l, &err);
    if (!l->nl)
        return err;
    l->nport = e->port;
    return 0;
}
#endif

#ifdef MOTE_CONDUIT_HAVE_VCHAN
static void vchan_handover(void *arg, mote_flow *flow, int err)
{
    mote_conduit_listener *l = arg;
    l->pending = NULL;
    l->cb(l->arg, flow, "-", err);
}
#endif

mote_conduit_listener *mote_conduit_listen(const mote_conduit_config *cfg, const char *uri,
                                           mote_conduit_accept_fn cb, void *arg, int *err)
{
    mote_conduit_endpoint e;
    int rc = (!cfg || !cfg->loop || !cb) ? MOTE_EINVAL : mote_conduit_parse(uri, &e);
    if (!rc && !mote_conduit_supported(e.scheme, cfg->stack))
        rc = MOTE_EUNSUPPORTED;
    mote_conduit_listener *l = rc ? NULL : calloc(1, sizeof *l);
    if (!rc && !l)
        rc = MOTE_ENOMEM;
    if (rc) {
        if (err)
            *err = rc;
        return NULL;
    }
    l->cb = cb;
    l->arg = arg;
    l->scheme = e.scheme;
    l->loop = cfg->loop;
    if (e.scheme == MOTE_CONDUIT_TLS) {
        l->tls_server = cfg->tls_server;
        if (!l->tls_server) {
            free(l);
            if (err)
                *err = MOTE_EINVAL;
            return NULL;
        }
    }
#ifdef MOTE_CONDUIT_HAVE_NET
    if ((e.scheme == MOTE_CONDUIT_TCP || e.scheme == MOTE_CONDUIT_TLS) &&
        cfg->stack == MOTE_CONDUIT_STACK_DIRECT) {
        rc = direct_listen(cfg, &e, l);
        if (rc) {
            free(l);
            if (err)
                *err = rc;
            return NULL;
        }
        return l;
    }
#endif
    switch (e.scheme) {
    case MOTE_CONDUIT_TCP:
    case MOTE_CONDUIT_TLS:
        l->pl =
            mote_posix_tcp_listen(cfg->loop, e.host, e.port, 0, &cfg->tcp, on_posix_accept, l, &rc);
        break;
    case MOTE_CONDUIT_UNIX:
        l->pl = mote_posix_unix_listen(cfg->loop, e.path, 0, on_posix_accept, l, &rc);
        break;
#ifdef MOTE_CONDUIT_HAVE_VCHAN
    case MOTE_CONDUIT_VCHAN: {
        mote_vchan_opts o;
        mote_vchan_opts_default(&o);
        if (cfg->vchan_ring)
            o.read_min = o.write_min = cfg->vchan_ring;
        mote_vchan *v = mote_vchan_server_init(e.path, &o, &rc);
        mote_flow *f = v ? mote_vchan_uv_flow_new(cfg->loop, v, &rc) : NULL;
        if (f && !(l->pending = defer(cfg->loop, vchan_handover, l, f, 0))) {
            mote_flow_close(f);
            rc = MOTE_ENOMEM;
        }
        break;
    }
#endif
    default:
        rc = MOTE_EUNSUPPORTED;
    }
    if (rc || (!l->pl && e.scheme != MOTE_CONDUIT_VCHAN)) {
        free(l);
        if (err)
            *err = rc ? rc : MOTE_EIO;
        return NULL;
    }
    return l;
}

uint16_t mote_conduit_listener_port(const mote_conduit_listener *l)
{
#ifdef MOTE_CONDUIT_HAVE_NET
    if (l->nl)
        return l->nport;
#endif
    return l->pl ? mote_posix_listener_port(l->pl) : 0;
}

void mote_conduit_listener_close(mote_conduit_listener *l)
{
    if (!l)
        return;
    if (l->pl)
        mote_posix_listener_close(l->pl);
#ifdef MOTE_CONDUIT_HAVE_NET
    if (l->nl)
        mote_net_listener_close(l->nl);
#endif
    if (l->pending) {
        /* The vchan flow was never handed over: it goes with the listener. */
        uv_timer_stop(&l->pending->timer);
        mote_flow_close(l->pending->flow);
        uv_close((uv_handle_t *)&l->pending->timer, deferred_closed);
    }
    free(l);
}
