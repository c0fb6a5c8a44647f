/*
 * vchan_int.h - private: the shared control page layout.
 *
 * The layout is that of Xen's xen/io/libxenvchan.h, defined here from its
 * description (mote does not include Xen headers): 24 bytes of indices,
 * orders, live states and notify bits, followed by the 32-bit references
 * of the ring pages (left ring's first, then the right ring's).
 */
#ifndef MOTE_VCHAN_INT_H
#define MOTE_VCHAN_INT_H

#include <stddef.h>
#include <stdint.h>

struct mote_vchan_ring_shared {
    uint32_t cons, prod;
};

struct mote_vchan_shared {
    struct mote_vchan_ring_shared left;  /* client writes, server reads */
    struct mote_vchan_ring_shared right; /* server writes, client reads */
    uint16_t left_order, right_order;
    uint8_t cli_live, srv_live; /* 0 exited, 1 connected, 2 not yet connected */
    uint8_t cli_notify, srv_notify;
    /* uint32_t grants[] follows at offset 24 */
};

_Static_assert(offsetof(struct mote_vchan_shared, left) == 0, "left ring at 0");
_Static_assert(offsetof(struct mote_vchan_shared, left.cons) == 0, "left.cons at 0");
_Static_assert(offsetof(struct mote_vchan_shared, left.prod) == 4, "left.prod at 4");
_Static_assert(offsetof(struct mote_vchan_shared, right.cons) == 8, "right.cons at 8");
_Static_assert(offsetof(struct mote_vchan_shared, right.prod) == 12, "right.prod at 12");
_Static_assert(offsetof(struct mote_vchan_shared, left_order) == 16, "left_order at 16");
_Static_assert(offsetof(struct mote_vchan_shared, right_order) == 18, "right_order at 18");
_Static_assert(offsetof(struct mote_vchan_shared, cli_live) == 20, "cli_live at 20");
_Static_assert(offsetof(struct mote_vchan_shared, srv_live) == 21, "srv_live at 21");
_Static_assert(offsetof(struct mote_vchan_shared, cli_notify) == 22, "cli_notify at 22");
_Static_assert(offsetof(struct mote_vchan_shared, srv_notify) == 23, "srv_notify at 23");
_Static_assert(sizeof(struct mote_vchan_shared) == 24, "vchan_interface is 24 bytes");

#define VCHAN_GRANTS_OFFSET 24u
#define VCHAN_NOTIFY_WRITE  0x1u
#define VCHAN_NOTIFY_READ   0x2u
#define VCHAN_LIVE_EXITED   0u
#define VCHAN_LIVE_OPEN     1u
#define VCHAN_LIVE_WAITING  2u
#define VCHAN_SMALL_ORDER   10u /* in the control page at offset 1024 */
#define VCHAN_LARGE_ORDER   11u /* in the control page at offset 2048 */
#define VCHAN_PAGE_ORDER    12u

#endif
