/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer with a hard maximum fixed at init. An append that
 * would exceed the maximum returns -E2BIG and leaves the buffer valid and
 * unchanged, so a truncated artifact can still be written and noted. The
 * content is always NUL-terminated (the NUL is not counted in len).
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

struct dynbuf {
        char *buf;
        size_t len;
        size_t alloc;
        size_t max;
};

/* Sets up an empty buffer that may hold at most max bytes. */
void dynbuf_init(struct dynbuf *b, size_t max);

/* Releases the content; the buffer can be reused after dynbuf_init. */
void dynbuf_done(struct dynbuf *b);

/* Empties the buffer, keeping its memory and maximum. */
void dynbuf_reset(struct dynbuf *b);

/* 0, -E2BIG (over max, unchanged) or -ENOMEM (unchanged). */
int dynbuf_add(struct dynbuf *b, const void *data, size_t len);
int dynbuf_addstr(struct dynbuf *b, const char *s);
int dynbuf_addc(struct dynbuf *b, char c);
int dynbuf_addf(struct dynbuf *b, const char *fmt, ...) _printf_(2, 3);
int dynbuf_vaddf(struct dynbuf *b, const char *fmt, va_list ap) _printf_(2, 0);

/* Gives the content away (caller frees) and leaves an empty buffer. Never NULL
 * unless OOM. */
char *dynbuf_steal(struct dynbuf *b);

static inline void dynbuf_donep(struct dynbuf *b)
{
        dynbuf_done(b);
}
#define _cleanup_dynbuf_ _cleanup_(dynbuf_donep)
