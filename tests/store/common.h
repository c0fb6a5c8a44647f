/* Helpers shared by the store test programs. */
#ifndef STORE_TEST_COMMON_H
#define STORE_TEST_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mote/store.h"
#include "testutil.h"

/* A fresh temporary directory (static storage; one per call). */
static inline char *st_tmpdir(void)
{
    char *d = strdup("/tmp/mote-store-test-XXXXXX");
    if (!d || !mkdtemp(d))
        abort();
    return d;
}

static inline void st_rmrf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* Runs a shell command; returns its exit status (or -1). Output goes to
 * out (NUL-terminated, may be NULL). */
static inline int st_sh(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int st_sh(char *out, size_t outlen, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t n = 0;
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        if (out && n + 1 < outlen) {
            size_t take = k < outlen - 1 - n ? k : outlen - 1 - n;
            memcpy(out + n, buf, take);
            n += take;
        }
    }
    if (out)
        out[n] = 0;
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif
