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

/* Appends "branch:A|R|U:path;" (added, removed, updated) to text, a
 * NUL-terminated string in cap bytes, cutting it short when full: the
 * record the watch tests compare. */
static inline void st_note_change(char *text, size_t cap, const char *branch, int change,
                                  const char *path)
{
    char line[300];
    snprintf(line, sizeof line, "%s:%c:%s;", branch,
             change == MOTE_STORE_ADDED     ? 'A'
             : change == MOTE_STORE_REMOVED ? 'R'
                                            : 'U',
             path);
    strncat(text, line, cap - strlen(text) - 1);
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
