/* http_private.h - character classes shared by the parser and the writer. */
#ifndef MOTE_HTTP_PRIVATE_H
#define MOTE_HTTP_PRIVATE_H

#include <stdint.h>

#include "mote/bytes.h"

static inline int http_is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static inline int http_is_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* tchar (RFC 9110 5.6.2) */
static inline int http_is_tchar(uint8_t c)
{
    if (http_is_alpha(c) || http_is_digit(c))
        return 1;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return 1;
    default:
        return 0;
    }
}

/* A byte allowed in a field value: VCHAR, obs-text, SP, HTAB. */
static inline int http_is_field_char(uint8_t c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static inline int http_hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static inline int http_is_token(mote_slice s)
{
    if (s.len == 0)
        return 0;
    for (size_t i = 0; i < s.len; i++)
        if (!http_is_tchar(s.ptr[i]))
            return 0;
    return 1;
}

#endif
