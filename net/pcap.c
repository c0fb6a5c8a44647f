/* pcap.c - the pcap recorder (libpcap classic format, little-endian). */
#include "mote/net_pcap.h"
#include "mote/error.h"
#include "mote/net_offload.h"

#include <stdlib.h>
#include <string.h>

struct mote_net_pcap {
    mote_netif nif;
    mote_netif *inner;
    mote_clock *clock;
    mote_net_pcap_write_fn fn;
    void *arg;
    size_t snaplen;
    mote_netif_rx_fn rx;
    void *rx_arg;
    uint64_t frames;
    int err;
    int vnet;
};

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void record(mote_net_pcap *p, const uint8_t *frame, size_t len)
{
    if (p->err)
        return;
    mote_time t = mote_clock_wall(p->clock);
    size_t keep = len < p->snaplen ? len : p->snaplen;
    uint8_t h[16];
    put_le32(h, (uint32_t)t.sec);
    put_le32(h + 4, t.nsec / 1000);
    put_le32(h + 8, (uint32_t)keep);
    put_le32(h + 12, (uint32_t)len);
    int rc = p->fn(p->arg, h, sizeof h);
    if (rc == 0)
        rc = p->fn(p->arg, frame, keep);
    if (rc < 0)
        p->err = rc;
    else
        p->frames++;
}

static int record_cb(void *arg, const uint8_t *frame, size_t len)
{
    record(arg, frame, len);
    return 0;
}

/* A frame as the netif carries it: with a virtio-net header in vnet mode. */
static void record_any(mote_net_pcap *p, const uint8_t *frame, size_t len)
{
    if (!p->vnet) {
        record(p, frame, len);
        return;
    }
    if (len < MOTE_NET_VNET_HDR_LEN || p->err)
        return;
    int rc = mote_net_vnet_to_wire(frame, len, record_cb, p);
    if (rc == MOTE_EDECODE || rc == MOTE_EUNSUPPORTED)
        record(p, frame + MOTE_NET_VNET_HDR_LEN, len - MOTE_NET_VNET_HDR_LEN);
}

static int pc_send(void *ctx, const uint8_t *frame, size_t len)
{
    mote_net_pcap *p = ctx;
    int rc = mote_netif_send(p->inner, frame, len);
    if (rc == 0)
        record_any(p, frame, len);
    return rc;
}

static void pc_rx(void *arg, const uint8_t *frame, size_t len)
{
    mote_net_pcap *p = arg;
    record_any(p, frame, len);
    if (p->rx)
        p->rx(p->rx_arg, frame, len);
}

static void pc_set_receiver(void *ctx, mote_netif_rx_fn fn, void *arg)
{
    mote_net_pcap *p = ctx;
    p->rx = fn;
    p->rx_arg = arg;
}

mote_net_pcap *mote_net_pcap_new(mote_netif *inner, mote_clock *clock, mote_net_pcap_write_fn fn,
                                 void *arg, size_t snaplen, int *err)
{
    int e = MOTE_EINVAL;
    mote_net_pcap *p = NULL;
    if (!inner || !clock || !fn)
        goto fail;
    e = MOTE_ENOMEM;
    p = calloc(1, sizeof *p);
    if (!p)
        goto fail;
    p->inner = inner;
    p->clock = clock;
    p->fn = fn;
    p->arg = arg;
    p->snaplen = snaplen && snaplen < 65535 ? snaplen : 65535;
    p->nif = *inner;
    p->nif.ctx = p;
    p->nif.send = pc_send;
    p->nif.set_receiver = pc_set_receiver;
    uint8_t h[24];
    put_le32(h, 0xa1b2c3d4u); /* microsecond timestamps */
    h[4] = 2;                 /* version 2.4 */
    h[5] = 0;
    h[6] = 4;
    h[7] = 0;
    put_le32(h + 8, 0);  /* thiszone */
    put_le32(h + 12, 0); /* sigfigs */
    put_le32(h + 16, (uint32_t)p->snaplen);
    put_le32(h + 20, 1); /* LINKTYPE_ETHERNET */
    e = fn(arg, h, sizeof h);
    if (e < 0)
        goto fail;
    inner->set_receiver(inner->ctx, pc_rx, p);
    if (err)
        *err = 0;
    return p;
fail:
    free(p);
    if (err)
        *err = e;
    return NULL;
}

mote_netif *mote_net_pcap_netif(mote_net_pcap *p)
{
    return &p->nif;
}

void mote_net_pcap_set_vnet(mote_net_pcap *p, int on)
{
    p->vnet = on != 0;
}

uint64_t mote_net_pcap_frames(const mote_net_pcap *p)
{
    return p->frames;
}

int mote_net_pcap_error(const mote_net_pcap *p)
{
    return p->err;
}

void mote_net_pcap_free(mote_net_pcap *p)
{
    if (!p)
        return;
    p->inner->set_receiver(p->inner->ctx, NULL, NULL);
    free(p);
}
