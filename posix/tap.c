/*
 * tap.c - a mote_netif on a Linux TAP device.
 *
 * /dev/net/tun is opened with IFF_TAP | IFF_NO_PI, so each read() gives one
 * whole ethernet frame (no FCS, no packet-information header) and each
 * write() sends one. The descriptor is non-blocking and watched with a
 * uv_poll handle; a wakeup reads frames until the kernel queue is empty or
 * the batch bound is reached.
 *
 * With offloads (IFF_VNET_HDR + TUNSETOFFLOAD) every frame is preceded by
 * a struct virtio_net_hdr. In the default mode the tap completes partial
 * checksums (VIRTIO_NET_HDR_F_NEEDS_CSUM: sum from csum_start to the end,
 * seeded by the pseudo-header sum the kernel left in the field, as
 * skb_checksum_help does) and strips the header, so a GSO super-frame
 * reaches the receiver as one large valid frame; sends get a zero header.
 * In passthrough mode the header goes to and from the user untouched.
 */
#include "mote/posix.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mote/error.h"

/* A read buffer big enough for any frame the kernel can hand a TAP: the
 * largest MTU (65535) plus the ethernet header. */
#define TAP_RXBUF (65536 + 64)

struct mote_posix_tap {
    mote_netif netif;
    uv_poll_t poll;
    int fd;
    int closing;
    int vnet;        /* frames from the kernel carry a virtio-net header */
    int passthrough; /* ... and the netif's user sees it */
    unsigned offload;
    unsigned rx_batch;
    char name[IFNAMSIZ];
    mote_netif_rx_fn rx;
    void *rx_arg;
    const mote_log *log;
    mote_posix_tap_stats stats;
    uint8_t rxbuf[TAP_RXBUF];
};

static int tap_send(void *ctx, const uint8_t *frame, size_t len)
{
    mote_posix_tap *t = ctx;
    if (t->closing)
        return MOTE_ECLOSED;
    size_t hdr = t->passthrough ? MOTE_POSIX_VNET_HDR_LEN : 0;
    if (len < hdr + 14)
        return MOTE_EINVAL;
    if (len > hdr + (t->passthrough ? MOTE_POSIX_TAP_MAX_FRAME : t->netif.mtu + 14))
        return MOTE_ELIMIT;
    static const uint8_t zero_hdr[MOTE_POSIX_VNET_HDR_LEN];
    struct iovec iov[2] = {{(void *)zero_hdr, sizeof zero_hdr}, {(void *)frame, len}};
    int skip = t->vnet && !t->passthrough ? 0 : 1;
    for (;;) {
        ssize_t n = writev(t->fd, iov + skip, 2 - skip);
        if (n >= 0) {
            t->stats.tx_frames++;
            t->stats.tx_bytes += len;
            return 0;
        }
        if (errno == EINTR)
            continue;
        t->stats.tx_dropped++;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
            return MOTE_EAGAIN;
        if (errno == EINVAL && t->passthrough)
            return MOTE_EINVAL; /* the kernel refused the virtio-net header */
        mote_logf(t->log, MOTE_LOG_DEBUG, "posix.tap", "%s: write: %s", t->name, strerror(errno));
        return MOTE_EIO;
    }
}

static void tap_set_receiver(void *ctx, mote_netif_rx_fn fn, void *arg)
{
    mote_posix_tap *t = ctx;
    t->rx = fn;
    t->rx_arg = fn ? arg : NULL;
}

static uint16_t get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2); /* legacy virtio: host byte order */
    return v;
}

/* The Internet checksum's running sum over p[0..n), big-endian words. */
static uint64_t sum_bytes(const uint8_t *p, size_t n, uint64_t s)
{
    while (n >= 4) {
        s += (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        s += (uint64_t)p[0] << 8 | p[1];
        p += 2;
        n -= 2;
    }
    if (n)
        s += (uint64_t)p[0] << 8;
    return s;
}

static uint16_t fold(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* Checks the virtio-net header at the front of rxbuf (total *len bytes),
 * completes a partial checksum and sets *len to the frame's length.
 * -1 if the header is malformed. */
static int finish_vnet(mote_posix_tap *t, size_t *len)
{
    if (*len < MOTE_POSIX_VNET_HDR_LEN + 14)
        return -1;
    const uint8_t *h = t->rxbuf;
    uint8_t *f = t->rxbuf + MOTE_POSIX_VNET_HDR_LEN;
    size_t flen = *len - MOTE_POSIX_VNET_HDR_LEN;
    uint8_t flags = h[0], gso = h[1] & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        size_t start = get16(h + 6), off = get16(h + 8);
        if (start >= flen || off + 2 > flen - start)
            return -1;
        uint16_t c = (uint16_t)~fold(sum_bytes(f + start, flen - start, 0));
        if (c == 0)
            c = 0xffff;
        f[start + off] = (uint8_t)(c >> 8);
        f[start + off + 1] = (uint8_t)c;
        t->stats.rx_csum_completed++;
    }
    if (gso != VIRTIO_NET_HDR_GSO_NONE)
        t->stats.rx_gso_frames++;
    *len = flen;
    return 0;
}

static void on_tap_readable(uv_poll_t *h, int status, int events)
{
    mote_posix_tap *t = h->data;
    (void)events;
    if (t->closing)
        return;
    if (status < 0) {
        mote_logf(t->log, MOTE_LOG_ERROR, "posix.tap", "%s: poll: %s", t->name,
                  uv_strerror(status));
        return;
    }
    for (unsigned i = 0; i < t->rx_batch && !t->closing; i++) {
        ssize_t n = read(t->fd, t->rxbuf, sizeof t->rxbuf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                mote_logf(t->log, MOTE_LOG_ERROR, "posix.tap", "%s: read: %s", t->name,
                          strerror(errno));
            return;
        }
        if (n == 0)
            return;
        const uint8_t *frame = t->rxbuf;
        size_t len = (size_t)n;
        if (t->vnet && !t->passthrough) {
            if (finish_vnet(t, &len) < 0) {
                t->stats.rx_bad_vnet++;
                continue;
            }
            frame += MOTE_POSIX_VNET_HDR_LEN;
        } else if (t->vnet && len < MOTE_POSIX_VNET_HDR_LEN) {
            t->stats.rx_bad_vnet++;
            continue;
        }
        t->stats.rx_frames++;
        t->stats.rx_bytes += len;
        if (t->rx)
            t->rx(t->rx_arg, frame, len);
        else
            t->stats.rx_dropped++;
    }
}

static void set_err(int *err, int e)
{
    if (err)
        *err = e;
}

static void on_tap_closed(uv_handle_t *h)
{
    mote_posix_tap *t = h->data;
    close(t->fd);
    free(t);
}

static int kernel_mtu(const char *name, size_t *mtu)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, name, strlen(name));
    int rc = ioctl(s, SIOCGIFMTU, &ifr);
    close(s);
    if (rc < 0 || ifr.ifr_mtu <= 0)
        return -1;
    *mtu = (size_t)ifr.ifr_mtu;
    return 0;
}

mote_posix_tap *mote_posix_tap_open_config(uv_loop_t *loop, const mote_posix_tap_config *cfg,
                                           int *err)
{
    const char *name = cfg->name;
    unsigned all = MOTE_POSIX_TAP_CSUM | MOTE_POSIX_TAP_TSO4 | MOTE_POSIX_TAP_TSO6;
    if ((cfg->offload & ~all) || ((cfg->offload & (MOTE_POSIX_TAP_TSO4 | MOTE_POSIX_TAP_TSO6)) &&
                                  !(cfg->offload & MOTE_POSIX_TAP_CSUM))) {
        set_err(err, MOTE_EINVAL);
        return NULL;
    }
    if (name && strlen(name) >= IFNAMSIZ) {
        set_err(err, MOTE_EINVAL);
        return NULL;
    }
    if (name && (strchr(name, '/') || strchr(name, ' '))) {
        set_err(err, MOTE_EINVAL);
        return NULL;
    }
    mote_posix_tap *t = calloc(1, sizeof *t);
    if (!t) {
        set_err(err, MOTE_ENOMEM);
        return NULL;
    }
    t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0) {
        int e = errno;
        free(t);
        set_err(err, e == ENOENT || e == ENODEV || e == ENXIO ? MOTE_ENOTFOUND
                     : e == EACCES || e == EPERM              ? MOTE_EPERM
                                                              : mote_posix_error(-e));
        return NULL;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    t->vnet = cfg->offload || cfg->vnet_passthrough;
    t->passthrough = cfg->vnet_passthrough != 0;
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (t->vnet ? IFF_VNET_HDR : 0);
    if (name && *name)
        memcpy(ifr.ifr_name, name, strlen(name));
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(t->fd);
        free(t);
        /* EBUSY: attached elsewhere; EINVAL: the name is a different kind
         * of device; EPERM: no CAP_NET_ADMIN. */
        set_err(err, e == EPERM || e == EACCES   ? MOTE_EPERM
                     : e == EBUSY || e == EINVAL ? MOTE_EBUSY
                                                 : mote_posix_error(-e));
        return NULL;
    }
    if (t->vnet) {
        int hsz = MOTE_POSIX_VNET_HDR_LEN;
        unsigned off = cfg->offload;
        if (ioctl(t->fd, TUNSETVNETHDRSZ, &hsz) < 0 || ioctl(t->fd, TUNSETOFFLOAD, off) < 0) {
            close(t->fd);
            free(t);
            set_err(err, MOTE_EUNSUPPORTED);
            return NULL;
        }
        t->offload = off;
    } else {
        /* A persistent TAP keeps the offloads an earlier user turned on;
         * without the header the kernel would then hand over GSO frames
         * with partial checksums as if they were plain ones. Best effort:
         * older kernels may refuse the call on a device without them. */
        (void)ioctl(t->fd, TUNSETOFFLOAD, 0u);
    }
    memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
    t->name[IFNAMSIZ - 1] = 0;

    size_t mtu = cfg->mtu;
    if (mtu == 0 && kernel_mtu(t->name, &mtu) < 0)
        mtu = 1500;
    if (mtu > 65535)
        mtu = 65535;
    t->netif.mtu = mtu;
    if (cfg->use_mac) {
        memcpy(t->netif.mac, cfg->mac, 6);
    } else {
        mote_rng rng;
        mote_posix_rng_init(&rng);
        if (mote_rng_fill(&rng, t->netif.mac, 6) < 0) {
            close(t->fd);
            free(t);
            set_err(err, MOTE_EIO);
            return NULL;
        }
        t->netif.mac[0] = (uint8_t)((t->netif.mac[0] & 0xfe) | 0x02);
    }
    t->netif.ctx = t;
    t->netif.send = tap_send;
    t->netif.set_receiver = tap_set_receiver;
    t->rx_batch = cfg->rx_batch ? cfg->rx_batch : 256;
    t->log = cfg->log;

    int rc = uv_poll_init(loop, &t->poll, t->fd);
    if (rc < 0) {
        close(t->fd);
        free(t);
        set_err(err, mote_posix_error(rc));
        return NULL;
    }
    t->poll.data = t;
    rc = uv_poll_start(&t->poll, UV_READABLE, on_tap_readable);
    if (rc < 0) {
        t->closing = 1;
        uv_close((uv_handle_t *)&t->poll, on_tap_closed);
        set_err(err, mote_posix_error(rc));
        return NULL;
    }
    set_err(err, 0);
    return t;
}

mote_posix_tap *mote_posix_tap_open(uv_loop_t *loop, const char *name, int *err)
{
    mote_posix_tap_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.name = name;
    return mote_posix_tap_open_config(loop, &cfg, err);
}

mote_netif *mote_posix_tap_netif(mote_posix_tap *t)
{
    return &t->netif;
}

const char *mote_posix_tap_name(const mote_posix_tap *t)
{
    return t->name;
}

unsigned mote_posix_tap_offload(const mote_posix_tap *t)
{
    return t->offload;
}

int mote_posix_tap_fd(const mote_posix_tap *t)
{
    return t->fd;
}

void mote_posix_tap_get_stats(const mote_posix_tap *t, mote_posix_tap_stats *out)
{
    *out = t->stats;
}

void mote_posix_tap_close(mote_posix_tap *t)
{
    if (!t || t->closing)
        return;
    t->closing = 1;
    t->rx = NULL;
    uv_close((uv_handle_t *)&t->poll, on_tap_closed);
}
