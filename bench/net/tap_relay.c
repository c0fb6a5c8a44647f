/* tap_relay.c - a plain userspace frame relay between two TAP devices.
 *
 *   tap_relay [--offload] NAME_A NAME_B
 *
 * Creates (or attaches to) the two TAP devices and copies every frame read
 * from one to the other, one read and one write per frame, until killed.
 * With --offload both devices are opened with IFF_VNET_HDR and
 * TUNSETOFFLOAD (checksum, TSO4, TSO6, ECN): the kernel hands over TCP
 * super-frames of up to 64 KiB with partial checksums, and the relay writes
 * them, virtio-net header and all, to the other device, whose kernel takes
 * them whole (no segmentation or checksumming anywhere on the path).
 * bench/net/tap_bench.sh moves the two devices into two network namespaces
 * and runs iperf3 through the relay: the ceiling of a userspace TAP path,
 * against which mote on a TAP device is measured. Not part of any library.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int tap_open(const char *name, int offload)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        return -1;
    }
    if (offload) {
        int hsz = 10; /* struct virtio_net_hdr */
        unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
        if (ioctl(fd, TUNSETVNETHDRSZ, &hsz) < 0 || ioctl(fd, TUNSETOFFLOAD, off) < 0) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

int main(int argc, char **argv)
{
    int offload = argc == 4 && strcmp(argv[1], "--offload") == 0;
    if (argc != 3 + offload) {
        fprintf(stderr, "usage: tap_relay [--offload] NAME_A NAME_B\n");
        return 2;
    }
    int fd[2] = {tap_open(argv[1 + offload], offload), tap_open(argv[2 + offload], offload)};
    if (fd[0] < 0 || fd[1] < 0) {
        perror("tap_relay: /dev/net/tun");
        return 1;
    }
    static unsigned char buf[65536 + 64 + 10];
    struct pollfd p[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & POLLIN))
                continue;
            for (int k = 0; k < 64; k++) {
                ssize_t n = read(fd[i], buf, sizeof buf);
                if (n <= 0)
                    break;
                if (write(fd[1 - i], buf, (size_t)n) < 0 && errno != EAGAIN && errno != EIO)
                    return 1;
            }
        }
    }
}
