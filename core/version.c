/* version.c - the library version, set by the build. */
#include "mote/core.h"

const char *mote_version(void)
{
    return MOTE_VERSION;
}
