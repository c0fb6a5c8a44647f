/* log.c - formatting for the logging hook. */
#include "mote/log.h"

#include <stdarg.h>
#include <stdio.h>

void mote_logf(const mote_log *log, int level, const char *component, const char *fmt, ...)
{
    if (!mote_log_enabled(log, level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log->sink(log->ctx, level, component ? component : "", msg);
}

const char *mote_log_level_name(int level)
{
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    if (level < 0 || level > MOTE_LOG_TRACE)
        return "?";
    return names[level];
}
