/*
 * mote/log.h - the logging hook.
 *
 * There is no global logger. An object that logs takes a `const mote_log *`
 * in its configuration; NULL means silent. The platform (or the program)
 * provides the sink: posix/ offers one that writes to stderr. The message
 * passed to the sink is formatted already and valid only during the call.
 */
#ifndef MOTE_LOG_H
#define MOTE_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

enum mote_log_level {
    MOTE_LOG_ERROR = 0,
    MOTE_LOG_WARN = 1,
    MOTE_LOG_INFO = 2,
    MOTE_LOG_DEBUG = 3,
    MOTE_LOG_TRACE = 4,
};

typedef struct mote_log {
    /* Receives one formatted line (no trailing newline). component names
     * the library or module, e.g. "net.tcp". */
    void (*sink)(void *ctx, int level, const char *component, const char *msg);
    void *ctx;
    int level; /* messages above this level are dropped before formatting */
} mote_log;

/* Formats and delivers a message if log is not NULL and level is enabled.
 * Messages longer than 1023 bytes are truncated. */
void mote_logf(const mote_log *log, int level, const char *component, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* 1 if a message at this level would be delivered. */
static inline int mote_log_enabled(const mote_log *log, int level)
{
    return log && log->sink && level <= log->level;
}

/* "error", "warn", "info", "debug", "trace", or "?". */
const char *mote_log_level_name(int level);

#ifdef __cplusplus
}
#endif
#endif
