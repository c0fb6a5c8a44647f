/*
 * mote/error.h - error codes shared by every mote library.
 *
 * Functions that can fail return int: 0 on success or one of the negative
 * MOTE_E* codes below. Functions that return a pointer return NULL on
 * failure and put the code in an `int *err` out-parameter when they take one.
 * Codes never depend on errno or the operating system; platforms map their
 * own errors onto these. mote_strerror() gives a short English phrase.
 */
#ifndef MOTE_ERROR_H
#define MOTE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum mote_error {
    MOTE_OK = 0,
    MOTE_EINVAL = -1,        /* invalid argument: the caller's mistake */
    MOTE_ENOMEM = -2,        /* out of memory */
    MOTE_EAGAIN = -3,        /* nothing can be done now; retry after an event */
    MOTE_EDECODE = -4,       /* malformed input (bytes from a file or the wire) */
    MOTE_ELIMIT = -5,        /* a bound on length, depth, count or work was exceeded */
    MOTE_EUNSUPPORTED = -6,  /* well-formed, but a feature mote does not offer */
    MOTE_ESTATE = -7,        /* not allowed in the object's current state */
    MOTE_ECLOSED = -8,       /* the object or connection is closed */
    MOTE_ETIMEDOUT = -9,     /* a timer ran out */
    MOTE_EIO = -10,          /* the platform failed to do I/O */
    MOTE_ENOTFOUND = -11,    /* no such name, key, path or entry */
    MOTE_EEXIST = -12,       /* already exists */
    MOTE_EPERM = -13,        /* not permitted */
    MOTE_EVERIFY = -14,      /* a signature, MAC, tag or validation check failed */
    MOTE_ECONNREFUSED = -15, /* the peer refused the connection */
    MOTE_ECONNRESET = -16,   /* the peer reset the connection */
    MOTE_EADDRINUSE = -17,   /* address or port already in use */
    MOTE_EUNREACH = -18,     /* no route to the destination */
    MOTE_ECONFLICT = -19,    /* a concurrent change or a merge conflict */
    MOTE_ENOSPC = -20,       /* the output buffer given is too small */
    MOTE_ERANGE = -21,       /* a value is outside the range allowed */
    MOTE_EPROTO = -22,       /* the peer broke the protocol */
    MOTE_ECANCELED = -23,    /* the operation was cancelled */
    MOTE_EBUSY = -24,        /* the resource is in use */
};

/* A short, static, English description of a MOTE_E* code (or of 0).
 * Unknown codes give "unknown error". Never returns NULL. */
const char *mote_strerror(int err);

/* The symbolic name of a code, such as "MOTE_EDECODE"; "MOTE_E?" if unknown. */
const char *mote_error_name(int err);

#ifdef __cplusplus
}
#endif
#endif
