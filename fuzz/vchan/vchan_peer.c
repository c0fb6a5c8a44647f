/*
 * vchan_peer.c - libFuzzer target: one vchan endpoint over the in-memory
 * backend, with the fuzzer as the hostile peer.
 *
 * Input: byte 0 picks the side under test and the ring sizes.
 * - Server under test: the server shares its pages; the fuzzer then
 *   scribbles the control page (indices, orders, live and notify bytes,
 *   the in-page rings) between the server's reads, writes and waits.
 * - Client under test: the fuzzer plays the server: it shares 1..40 pages,
 *   writes a forged control page (orders and page references from the
 *   input) and publishes it; the client must refuse it or work with it.
 * The rest of the input is a list of operations. The endpoint must never
 * touch memory out of bounds, and every result must be a documented one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mote/vchan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
    const uint8_t *p;
    size_t n;
};

static unsigned take(struct in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static unsigned take16(struct in *in)
{
    unsigned a = take(in);
    return a | take(in) << 8;
}

static void check_rc(int rc)
{
    if (rc != 0 && rc != MOTE_EAGAIN && rc != MOTE_EPROTO && rc != MOTE_ECLOSED &&
        rc != MOTE_ETIMEDOUT && rc != MOTE_ESTATE)
        abort();
}

static const size_t sizes[] = {1024, 2048, 4096, 65536, 0, 1 << 20};

static void run_ops(mote_vchan *v, uint8_t *page, struct in *in)
{
    static uint8_t buf[1 << 16];
    while (in->n > 0) {
        unsigned op = take(in) % 8;
        size_t n = 0;
        int rc = 0;
        switch (op) {
        case 0: { /* scribble up to 16 bytes of the control page */
            unsigned off = take16(in) % 4096, len = take(in) % 17;
            for (unsigned i = 0; i < len && off + i < 4096; i++)
                __atomic_store_n(&page[off + i], (uint8_t)take(in), __ATOMIC_RELAXED);
            break;
        }
        case 1: { /* set one 32-bit index */
            unsigned which = take(in) % 4;
            uint32_t val = (uint32_t)take16(in) | (uint32_t)take16(in) << 16;
            __atomic_store_n((uint32_t *)(void *)(page + 4 * which), val, __ATOMIC_RELAXED);
            break;
        }
        case 2: {
            size_t len = take16(in);
            rc = mote_vchan_read(v, buf, len, &n);
            if (rc == 0 && n > len)
                abort();
            break;
        }
        case 3: {
            size_t len = take16(in);
            rc = mote_vchan_write(v, buf, len, &n);
            if (rc == 0 && n > len)
                abort();
            break;
        }
        case 4:
            if (mote_vchan_readable(v) > mote_vchan_read_size(v) ||
                mote_vchan_writable(v) > mote_vchan_write_size(v))
                abort();
            break;
        case 5:
            rc = mote_vchan_wait(v, 0);
            break;
        case 6:
            rc = mote_vchan_handle_events(v);
            break;
        case 7:
            (void)mote_vchan_state(v);
            if (take(in) == 0xff)
                rc = mote_vchan_shutdown(v);
            break;
        }
        check_rc(rc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {data, size};
    unsigned mode = take(&in);
    mote_vchan_backend sb, cb;
    if (mote_vchan_mem_pair(&sb, &cb) != 0)
        return 0;
    mote_vchan_opts o;
    mote_vchan_opts_default(&o);
    o.spin_ns = 0;
    int err = 0;
    if ((mode & 1) == 0) {
        o.read_min = sizes[(mode >> 1) % 6];
        o.write_min = sizes[(mode >> 4) % 6];
        o.start_index = (mode & 0x80) ? 0xFFFFFF00u : 0;
        mote_vchan *s = mote_vchan_server_new(&sb, &o, &err);
        if (s) {
            uint8_t *page = (uint8_t *)(uintptr_t)mote_vchan_shared_page(s);
            run_ops(s, page, &in);
            mote_vchan_close(s);
        }
        cb.release(cb.release_ctx);
        return 0;
    }
    /* The fuzzer is the server: forge its pages and control page. */
    uint32_t ref, refs[64];
    void *ctrl = NULL, *ring = NULL;
    size_t npages = 1 + take(&in) % 40;
    if (sb.mem.share(sb.mem.ctx, 1, &ref, &ctrl) != 0 ||
        sb.mem.share(sb.mem.ctx, npages, refs, &ring) != 0) {
        sb.release(sb.release_ctx);
        cb.release(cb.release_ctx);
        return 0;
    }
    uint8_t *page = ctrl;
    size_t hdr = 24 + 4 * (take(&in) % 64);
    for (size_t i = 0; i < hdr; i++)
        page[i] = (uint8_t)take(&in);
    /* mostly valid references, so the client gets past mapping */
    if (mode & 2)
        for (size_t i = 0; i < npages && 24 + 4 * i + 4 <= hdr; i++)
            memcpy(page + 24 + 4 * i, &refs[i], 4);
    uint32_t port = 0;
    sb.ev.listen(sb.ev.ctx, &port);
    if (mode & 4)
        port = take(&in);
    sb.cfg.publish(sb.cfg.ctx, ref, port);
    mote_vchan *c = mote_vchan_client_new(&cb, &o, &err);
    if (c) {
        run_ops(c, page, &in);
        mote_vchan_close(c);
    } else if (err != MOTE_EPROTO) {
        abort();
    }
    sb.release(sb.release_ctx);
    return 0;
}
