/* An outside program that links libmote-core through pkg-config. */
#include <mote/core.h>
#include <stdio.h>

int main(void)
{
    mote_buf b;
    mote_buf_init(&b, 64);
    if (mote_buf_appendf(&b, "mote %s", mote_version()) != 0)
        return 1;
    mote_civil c;
    if (mote_time_to_civil(951868800, &c) != 0 || c.year != 2000 || c.month != 3)
        return 1;
    printf("%s: %s\n", (char *)b.data, mote_strerror(MOTE_EDECODE));
    mote_buf_free(&b);
    return 0;
}
