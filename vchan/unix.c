/*
 * unix.c - the Unix vchan backend: pages in a sealed memfd, events through
 * two eventfds, and a rendezvous on a Unix seqpacket socket that passes
 * the descriptors (SCM_RIGHTS). The connection stays open afterwards as a
 * liveness line: when it hangs up the peer has closed, exited or died.
 *
 * The client treats everything it receives as hostile: exactly three
 * descriptors, a memory file that is a regular file sealed against
 * shrinking (so the server cannot make our mappings fault later), of the
 * announced size, and two eventfds; page references inside that file.
 * Each endpoint polls one epoll descriptor that covers the socket and its
 * incoming eventfd, so an event loop needs to watch one descriptor.
 */
#include "mote/vchan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define UX_MAGIC     "MVC1"
#define UX_MSG_LEN   16
#define UX_MAX_PAGES (1u + 2u * (1u << (MOTE_VCHAN_MAX_ORDER - 12)))

struct ux {
    int is_server;
    int memfd;
    uint32_t mem_pages; /* server: pages so far; client: pages in the file */
    int ev_in, ev_out;  /* we wait on ev_in and signal ev_out */
    int listen_fd, conn_fd;
    int ep;
    int gone;
    int answered; /* server sent / client received the descriptors */
    uint32_t ring_ref, port;
    struct sockaddr_un addr;
    socklen_t addr_len;
    int fs_path; /* a filesystem socket we must unlink */
};

static int map_errno(int e)
{
    switch (e) {
    case ENOMEM:
    case EMFILE:
    case ENFILE:
        return MOTE_ENOMEM;
    case EADDRINUSE:
        return MOTE_EADDRINUSE;
    case ENOENT:
    case ECONNREFUSED:
        return MOTE_ENOTFOUND;
    case EACCES:
    case EPERM:
        return MOTE_EPERM;
    case EAGAIN:
        return MOTE_EAGAIN;
    case EPIPE:
    case ECONNRESET:
        return MOTE_ECLOSED;
    default:
        return MOTE_EIO;
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int ep_add(struct ux *u, int fd, uint32_t events)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.fd = fd;
    return epoll_ctl(u->ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : map_errno(errno);
}

static void ep_del(struct ux *u, int fd)
{
    if (fd >= 0)
        epoll_ctl(u->ep, EPOLL_CTL_DEL, fd, NULL);
}

static int make_addr(struct ux *u, const char *name)
{
    size_t n = strlen(name);
    memset(&u->addr, 0, sizeof(u->addr));
    u->addr.sun_family = AF_UNIX;
    if (n == 0)
        return MOTE_EINVAL;
    if (strchr(name, '/')) {
        if (n >= sizeof(u->addr.sun_path))
            return MOTE_ELIMIT;
        memcpy(u->addr.sun_path, name, n);
        u->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        u->fs_path = 1;
    } else {
        static const char prefix[] = "mote-vchan/";
        size_t pl = sizeof(prefix) - 1;
        if (1 + pl + n > sizeof(u->addr.sun_path))
            return MOTE_ELIMIT;
        memcpy(u->addr.sun_path + 1, prefix, pl);
        memcpy(u->addr.sun_path + 1 + pl, name, n);
        u->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + pl + n);
    }
    return 0;
}

static struct ux *ux_new(int server, const char *name, int *err)
{
    struct ux *u = calloc(1, sizeof(*u));
    if (!u) {
        *err = MOTE_ENOMEM;
        return NULL;
    }
    u->is_server = server;
    u->memfd = u->ev_in = u->ev_out = u->listen_fd = u->conn_fd = -1;
    *err = make_addr(u, name);
    if (*err) {
        free(u);
        return NULL;
    }
    u->ep = epoll_create1(EPOLL_CLOEXEC);
    if (u->ep < 0) {
        *err = map_errno(errno);
        free(u);
        return NULL;
    }
    return u;
}

static void ux_release(void *ctx)
{
    struct ux *u = ctx;
    if (u->listen_fd >= 0 && u->fs_path)
        unlink(u->addr.sun_path);
    close_fd(&u->listen_fd);
    close_fd(&u->conn_fd);
    close_fd(&u->ev_in);
    close_fd(&u->ev_out);
    close_fd(&u->memfd);
    close_fd(&u->ep);
    free(u);
}

/* ---- memory ----------------------------------------------------------- */

static int ux_share(void *ctx, size_t npages, uint32_t *refs, void **addr)
{
    struct ux *u = ctx;
    if (npages == 0 || npages > UX_MAX_PAGES - u->mem_pages)
        return MOTE_ELIMIT;
    if (u->memfd < 0) {
        u->memfd = memfd_create("mote-vchan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (u->memfd < 0)
            return map_errno(errno);
    }
    off_t off = (off_t)u->mem_pages * MOTE_VCHAN_PAGE_SIZE;
    if (ftruncate(u->memfd, off + (off_t)(npages * MOTE_VCHAN_PAGE_SIZE)) != 0)
        return map_errno(errno);
    void *p = mmap(NULL, npages * MOTE_VCHAN_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                   u->memfd, off);
    if (p == MAP_FAILED)
        return map_errno(errno);
    for (size_t i = 0; i < npages; i++)
        refs[i] = u->mem_pages + (uint32_t)i;
    u->mem_pages += (uint32_t)npages;
    *addr = p;
    return 0;
}

static void ux_unmap(void *ctx, void *addr, size_t npages)
{
    (void)ctx;
    munmap(addr, npages * MOTE_VCHAN_PAGE_SIZE);
}

static int ux_map(void *ctx, const uint32_t *refs, size_t npages, void **addr)
{
    struct ux *u = ctx;
    if (u->memfd < 0 || npages == 0 || npages > u->mem_pages)
        return MOTE_EPROTO;
    int run = 1;
    for (size_t i = 0; i < npages; i++) {
        if (refs[i] >= u->mem_pages)
            return MOTE_EPROTO;
        if (refs[i] != refs[0] + i)
            run = 0;
    }
    size_t len = npages * MOTE_VCHAN_PAGE_SIZE;
    if (run) {
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, u->memfd,
                       (off_t)refs[0] * MOTE_VCHAN_PAGE_SIZE);
        if (p == MAP_FAILED)
            return map_errno(errno);
        *addr = p;
        return 0;
    }
    /* Scattered pages: reserve a range, then map each page into it. */
    uint8_t *base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return map_errno(errno);
    for (size_t i = 0; i < npages; i++) {
        void *p =
            mmap(base + i * MOTE_VCHAN_PAGE_SIZE, MOTE_VCHAN_PAGE_SIZE, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_FIXED, u->memfd, (off_t)refs[i] * MOTE_VCHAN_PAGE_SIZE);
        if (p == MAP_FAILED) {
            int e = map_errno(errno);
            munmap(base, len);
            return e;
        }
    }
    *addr = base;
    return 0;
}

/* ---- events ----------------------------------------------------------- */

static int ux_listen(void *ctx, uint32_t *port)
{
    struct ux *u = ctx;
    u->ev_in = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    u->ev_out = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (u->ev_in < 0 || u->ev_out < 0)
        return map_errno(errno);
    *port = 0;
    return ep_add(u, u->ev_in, EPOLLIN);
}

static int ux_connect(void *ctx, uint32_t port)
{
    struct ux *u = ctx;
    if (port != 0 || u->ev_in < 0)
        return MOTE_EPROTO;
    return 0;
}

static int ux_notify(void *ctx)
{
    struct ux *u = ctx;
    if (u->gone)
        return MOTE_ECLOSED;
    uint64_t one = 1;
    /* EAGAIN means the counter is near its limit: the peer has signals
     * pending already, so nothing is lost. */
    if (write(u->ev_out, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return MOTE_EIO;
    return 0;
}

static void send_answer(struct ux *u)
{
    uint8_t msg[UX_MSG_LEN];
    memcpy(msg, UX_MAGIC, 4);
    memcpy(msg + 4, &u->ring_ref, 4);
    memcpy(msg + 8, &u->port, 4);
    memcpy(msg + 12, &u->mem_pages, 4);
    struct iovec iov = {msg, sizeof(msg)};
    union {
        char buf[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } cm;
    memset(&cm, 0, sizeof(cm));
    struct msghdr mh;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cm.buf;
    mh.msg_controllen = sizeof(cm.buf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(3 * sizeof(int));
    /* The client waits on what we signal, and signals what we wait on. */
    int fds[3] = {u->memfd, u->ev_out, u->ev_in};
    memcpy(CMSG_DATA(c), fds, sizeof(fds));
    if (sendmsg(u->conn_fd, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(msg)) {
        u->gone = 1;
        ep_del(u, u->conn_fd);
        return;
    }
    u->answered = 1;
}

/* Server: takes the one client from the listening socket. */
static void accept_client(struct ux *u)
{
    int fd = accept4(u->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    ep_del(u, u->listen_fd);
    if (u->fs_path)
        unlink(u->addr.sun_path);
    close_fd(&u->listen_fd);
    u->conn_fd = fd;
    if (ep_add(u, fd, EPOLLIN | EPOLLRDHUP) != 0) {
        u->gone = 1;
        return;
    }
    send_answer(u);
}

static void drain_eventfd(int fd)
{
    uint64_t n;
    while (read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
        ;
}

static int ux_wait(void *ctx, int timeout_ms)
{
    struct ux *u = ctx;
    if (u->gone)
        return MOTE_ECLOSED;
    struct epoll_event evs[4];
    int n;
    do {
        n = epoll_wait(u->ep, evs, 4, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return map_errno(errno);
    if (n == 0)
        return MOTE_ETIMEDOUT;
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == u->ev_in) {
            drain_eventfd(fd);
        } else if (fd == u->listen_fd) {
            accept_client(u);
        } else if (fd == u->conn_fd) {
            /* Before the answer the client's socket turns readable to
             * deliver it (lookup reads it). Otherwise nothing more is ever
             * sent: readable means the peer hung up (or misbehaves). */
            if (!u->is_server && !u->answered)
                continue;
            u->gone = 1;
            ep_del(u, u->conn_fd);
        }
    }
    return u->gone ? MOTE_ECLOSED : 0;
}

static int ux_fd(void *ctx)
{
    struct ux *u = ctx;
    return u->ep;
}

/* ---- configuration ---------------------------------------------------- */

static int ux_publish(void *ctx, uint32_t ring_ref, uint32_t port)
{
    struct ux *u = ctx;
    u->ring_ref = ring_ref;
    u->port = port;
    /* No more growth or shrinking: the client relies on the size. */
    if (fcntl(u->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
        return map_errno(errno);
    u->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (u->listen_fd < 0)
        return map_errno(errno);
    if (bind(u->listen_fd, (struct sockaddr *)&u->addr, u->addr_len) != 0) {
        int e = map_errno(errno);
        close_fd(&u->listen_fd);
        return e == MOTE_EIO ? MOTE_EADDRINUSE : e;
    }
    if (listen(u->listen_fd, 1) != 0) {
        int e = map_errno(errno);
        if (u->fs_path)
            unlink(u->addr.sun_path);
        close_fd(&u->listen_fd);
        return e;
    }
    return ep_add(u, u->listen_fd, EPOLLIN);
}

static int is_eventfd(int fd)
{
    char path[64], target[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n < 0)
        return -1; /* no /proc: cannot tell */
    target[n] = 0;
    return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* Client: checks the server's answer; takes the descriptors on success. */
static int take_answer(struct ux *u, const uint8_t *msg, size_t len, const int *fds, size_t nfds)
{
    if (len != UX_MSG_LEN || memcmp(msg, UX_MAGIC, 4) != 0 || nfds != 3)
        return MOTE_EPROTO;
    uint32_t ref, port, pages;
    memcpy(&ref, msg + 4, 4);
    memcpy(&port, msg + 8, 4);
    memcpy(&pages, msg + 12, 4);
    if (pages == 0 || pages > UX_MAX_PAGES || ref >= pages)
        return MOTE_EPROTO;
    struct stat st;
    if (fstat(fds[0], &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size != (off_t)pages * MOTE_VCHAN_PAGE_SIZE)
        return MOTE_EPROTO;
    int seals = fcntl(fds[0], F_GET_SEALS);
    if (seals < 0 || !(seals & F_SEAL_SHRINK))
        return MOTE_EPROTO;
    for (int i = 1; i < 3; i++) {
        if (is_eventfd(fds[i]) == 0)
            return MOTE_EPROTO;
        int fl = fcntl(fds[i], F_GETFL);
        if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) != 0))
            return MOTE_EPROTO;
    }
    u->memfd = fds[0];
    u->ev_in = fds[1];
    u->ev_out = fds[2];
    u->mem_pages = pages;
    u->ring_ref = ref;
    u->port = port;
    u->answered = 1;
    if (ep_add(u, u->ev_in, EPOLLIN) != 0)
        return MOTE_EIO;
    return 0;
}

static int ux_lookup(void *ctx, uint32_t *ring_ref, uint32_t *port)
{
    struct ux *u = ctx;
    if (u->answered) {
        *ring_ref = u->ring_ref;
        *port = u->port;
        return 0;
    }
    if (u->gone)
        return MOTE_ECLOSED;
    uint8_t msg[UX_MSG_LEN + 1];
    struct iovec iov = {msg, sizeof(msg)};
    union {
        char buf[CMSG_SPACE(8 * sizeof(int))];
        struct cmsghdr align;
    } cm;
    struct msghdr mh;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cm.buf;
    mh.msg_controllen = sizeof(cm.buf);
    ssize_t n = recvmsg(u->conn_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return MOTE_EAGAIN;
        u->gone = 1;
        return MOTE_ECLOSED;
    }
    if (n == 0) {
        u->gone = 1;
        return MOTE_ECLOSED;
    }
    int fds[8];
    size_t nfds = 0;
    int bad = (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            bad = 1;
            continue;
        }
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (nfds < 8)
                fds[nfds++] = fd;
            else
                close(fd);
        }
    }
    int e = bad ? MOTE_EPROTO : take_answer(u, msg, (size_t)n, fds, nfds);
    if (e) {
        if (u->answered) {
            u->memfd = u->ev_in = u->ev_out = -1;
            u->answered = 0;
        }
        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
        u->gone = 1;
        return e;
    }
    *ring_ref = u->ring_ref;
    *port = u->port;
    return 0;
}

/* ---- endpoints -------------------------------------------------------- */

static void fill(mote_vchan_backend *be, struct ux *u)
{
    memset(be, 0, sizeof(*be));
    be->mem = (mote_vchan_memory){u, ux_share, ux_unmap, ux_map, ux_unmap};
    be->ev = (mote_vchan_events){u, ux_listen, ux_connect, ux_notify, ux_wait, ux_fd};
    be->cfg = (mote_vchan_config){u, ux_publish, ux_lookup};
    be->release = ux_release;
    be->release_ctx = u;
}

mote_vchan *mote_vchan_server_init(const char *name, const mote_vchan_opts *o, int *err)
{
    int e = 0;
    if (!name) {
        if (err)
            *err = MOTE_EINVAL;
        return NULL;
    }
    struct ux *u = ux_new(1, name, &e);
    if (!u) {
        if (err)
            *err = e;
        return NULL;
    }
    mote_vchan_backend be;
    fill(&be, u);
    return mote_vchan_server_new(&be, o, err);
}

mote_vchan *mote_vchan_client_init(const char *name, const mote_vchan_opts *o, int *err)
{
    int e = 0;
    if (!name) {
        if (err)
            *err = MOTE_EINVAL;
        return NULL;
    }
    struct ux *u = ux_new(0, name, &e);
    if (!u) {
        if (err)
            *err = e;
        return NULL;
    }
    u->conn_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (u->conn_fd < 0) {
        e = map_errno(errno);
        goto fail;
    }
    if (connect(u->conn_fd, (struct sockaddr *)&u->addr, u->addr_len) != 0) {
        e = errno == EAGAIN ? MOTE_EBUSY : map_errno(errno);
        goto fail;
    }
    if ((e = ep_add(u, u->conn_fd, EPOLLIN | EPOLLRDHUP)) != 0)
        goto fail;
    mote_vchan_backend be;
    fill(&be, u);
    return mote_vchan_client_new(&be, o, err);
fail:
    ux_release(u);
    if (err)
        *err = e;
    return NULL;
}
