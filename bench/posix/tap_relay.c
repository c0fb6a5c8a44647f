/* tap_relay.c - bench-posix-relay: a plain userspace frame relay between
 * two TAP devices, on libmote-posix. Every frame read from one tap is
 * written to the other, unchanged, so two network namespaces holding the
 * two interfaces talk as if joined by a wire through this process.
 *
 *   bench-posix-relay [--offload] TAP_A TAP_B
 *
 * --offload opens both taps with the kernel offloads (checksum, TSO4,
 * TSO6) in virtio-net header passthrough mode: GSO super-frames and partial
 * checksums cross the relay untouched and the receiving kernel finishes
 * them. Prints "ready" once both interfaces exist; on SIGINT or SIGTERM
 * prints the frame counters and exits. It measures the TAP path that a
 * userspace stack on posix/ rides on (bench/posix/tap_relay.sh), and is
 * the ceiling the net benchmark compares mote's stack with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote/posix.h"

typedef struct side {
    mote_posix_tap *tap;
    struct side *other;
    uint64_t fwd_err;
} side;

static void on_frame(void *arg, const uint8_t *frame, size_t len)
{
    side *s = arg;
    mote_netif *out = mote_posix_tap_netif(s->other->tap);
    if (mote_netif_send(out, frame, len) != 0)
        s->fwd_err++;
}

typedef struct app {
    side a, b;
    uv_signal_t sigint, sigterm;
} app;

static void print_stats(const char *name, side *s)
{
    mote_posix_tap_stats st;
    mote_posix_tap_get_stats(s->tap, &st);
    fprintf(stderr,
            "%s: rx %llu frames %llu bytes (%llu GSO), tx %llu frames, dropped %llu, "
            "forward errors %llu\n",
            name, (unsigned long long)st.rx_frames, (unsigned long long)st.rx_bytes,
            (unsigned long long)st.rx_gso_frames, (unsigned long long)st.tx_frames,
            (unsigned long long)st.tx_dropped, (unsigned long long)s->fwd_err);
}

static void on_signal(uv_signal_t *h, int sig)
{
    app *a = h->data;
    (void)sig;
    print_stats(mote_posix_tap_name(a->a.tap), &a->a);
    print_stats(mote_posix_tap_name(a->b.tap), &a->b);
    mote_posix_tap_close(a->a.tap);
    mote_posix_tap_close(a->b.tap);
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
}

int main(int argc, char **argv)
{
    int offload = argc > 1 && strcmp(argv[1], "--offload") == 0;
    if (argc != 3 + offload) {
        fprintf(stderr, "usage: bench-posix-relay [--offload] TAP_A TAP_B\n");
        return 2;
    }
    uv_loop_t *loop = uv_default_loop();
    static app a;
    mote_posix_tap_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (offload) {
        cfg.offload = MOTE_POSIX_TAP_CSUM | MOTE_POSIX_TAP_TSO4 | MOTE_POSIX_TAP_TSO6;
        cfg.vnet_passthrough = 1;
    }
    int err;
    cfg.name = argv[1 + offload];
    a.a.tap = mote_posix_tap_open_config(loop, &cfg, &err);
    if (!a.a.tap) {
        fprintf(stderr, "%s: %s\n", cfg.name, mote_strerror(err));
        return 1;
    }
    cfg.name = argv[2 + offload];
    a.b.tap = mote_posix_tap_open_config(loop, &cfg, &err);
    if (!a.b.tap) {
        fprintf(stderr, "%s: %s\n", cfg.name, mote_strerror(err));
        return 1;
    }
    a.a.other = &a.b;
    a.b.other = &a.a;
    mote_netif *na = mote_posix_tap_netif(a.a.tap), *nb = mote_posix_tap_netif(a.b.tap);
    na->set_receiver(na->ctx, on_frame, &a.a);
    nb->set_receiver(nb->ctx, on_frame, &a.b);
    uv_signal_init(loop, &a.sigint);
    uv_signal_init(loop, &a.sigterm);
    a.sigint.data = a.sigterm.data = &a;
    uv_signal_start(&a.sigint, on_signal, SIGINT);
    uv_signal_start(&a.sigterm, on_signal, SIGTERM);
    printf("ready\n");
    fflush(stdout);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return 0;
}
