/* error.c - names and descriptions of the MOTE_E* codes. */
#include "mote/error.h"

#include <stddef.h>

struct entry {
    int code;
    const char *name;
    const char *text;
};

static const struct entry entries[] = {
    {MOTE_OK, "MOTE_OK", "success"},
    {MOTE_EINVAL, "MOTE_EINVAL", "invalid argument"},
    {MOTE_ENOMEM, "MOTE_ENOMEM", "out of memory"},
    {MOTE_EAGAIN, "MOTE_EAGAIN", "try again later"},
    {MOTE_EDECODE, "MOTE_EDECODE", "malformed input"},
    {MOTE_ELIMIT, "MOTE_ELIMIT", "limit exceeded"},
    {MOTE_EUNSUPPORTED, "MOTE_EUNSUPPORTED", "not supported"},
    {MOTE_ESTATE, "MOTE_ESTATE", "not allowed in this state"},
    {MOTE_ECLOSED, "MOTE_ECLOSED", "closed"},
    {MOTE_ETIMEDOUT, "MOTE_ETIMEDOUT", "timed out"},
    {MOTE_EIO, "MOTE_EIO", "input/output error"},
    {MOTE_ENOTFOUND, "MOTE_ENOTFOUND", "not found"},
    {MOTE_EEXIST, "MOTE_EEXIST", "already exists"},
    {MOTE_EPERM, "MOTE_EPERM", "not permitted"},
    {MOTE_EVERIFY, "MOTE_EVERIFY", "verification failed"},
    {MOTE_ECONNREFUSED, "MOTE_ECONNREFUSED", "connection refused"},
    {MOTE_ECONNRESET, "MOTE_ECONNRESET", "connection reset"},
    {MOTE_EADDRINUSE, "MOTE_EADDRINUSE", "address in use"},
    {MOTE_EUNREACH, "MOTE_EUNREACH", "destination unreachable"},
    {MOTE_ECONFLICT, "MOTE_ECONFLICT", "conflict"},
    {MOTE_ENOSPC, "MOTE_ENOSPC", "output buffer too small"},
    {MOTE_ERANGE, "MOTE_ERANGE", "value out of range"},
    {MOTE_EPROTO, "MOTE_EPROTO", "protocol violation by peer"},
    {MOTE_ECANCELED, "MOTE_ECANCELED", "cancelled"},
    {MOTE_EBUSY, "MOTE_EBUSY", "resource busy"},
};

static const struct entry *find(int err)
{
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
        if (entries[i].code == err)
            return &entries[i];
    return NULL;
}

const char *mote_strerror(int err)
{
    const struct entry *e = find(err);
    return e ? e->text : "unknown error";
}

const char *mote_error_name(int err)
{
    const struct entry *e = find(err);
    return e ? e->name : "MOTE_E?";
}
