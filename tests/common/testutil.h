/*
 * testutil.h - small helpers shared by mote's Check suites.
 */
#ifndef MOTE_TESTUTIL_H
#define MOTE_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "mote/core.h"

/* Path of the shared vectors directory (../shared beside the project, or
 * $MOTE_SHARED_DIR). The string is static. */
const char *tu_shared_dir(void);

/* Path of the project's source root. */
const char *tu_source_dir(void);

/* Reads a whole file into a new buffer (freed by the caller with free()).
 * NULL on failure. A NUL is appended (not counted in *len). */
uint8_t *tu_read_file(const char *path, size_t *len);

/* Decodes hex text (even length, no separators) into a new buffer. NULL on
 * bad input. "" gives a non-NULL buffer of length 0. */
uint8_t *tu_unhex(const char *hex, size_t *len);

/* Runs a suite with CK_ENV-controlled forking and returns the process exit
 * status (0 if every test passed). */
int tu_run_suite(Suite *s);

/* 1 if running as root (for tests that need namespaces or TAP devices). */
int tu_is_root(void);

/* 1 if the program is found in PATH. */
int tu_have_program(const char *name);

#endif
