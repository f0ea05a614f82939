/* SPDX-License-Identifier: MIT */
/*
 * Bounded growable buffer (include/dynbuf.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "alloc-util.h"
#include "dynbuf.h"

void dynbuf_init(struct dynbuf *b, size_t max)
{
        *b = (struct dynbuf) { .max = max };
}

void dynbuf_done(struct dynbuf *b)
{
        free(b->buf);
        b->buf = NULL;
        b->len = b->alloc = 0;
}

void dynbuf_reset(struct dynbuf *b)
{
        b->len = 0;
        if (b->buf)
                b->buf[0] = 0;
}

static int dynbuf_reserve(struct dynbuf *b, size_t add)
{
        size_t need, a;
        char *p;

        if (add > b->max || b->len > b->max - add)
                return -E2BIG;
        need = b->len + add + 1;
        if (need <= b->alloc)
                return 0;
        a = b->alloc ? b->alloc : 64;
        while (a < need)
                a = a > SIZE_MAX / 2 ? need : a * 2;
        if (a > b->max + 1)
                a = b->max + 1;
        p = xrealloc(b->buf, a);
        if (!p)
                return -ENOMEM;
        b->buf = p;
        b->alloc = a;
        return 0;
}

int dynbuf_add(struct dynbuf *b, const void *data, size_t len)
{
        int r;

        r = dynbuf_reserve(b, len);
        if (r < 0)
                return r;
        if (len)
                memcpy(b->buf + b->len, data, len);
        b->len += len;
        b->buf[b->len] = 0;
        return 0;
}

int dynbuf_addstr(struct dynbuf *b, const char *s)
{
        return dynbuf_add(b, s, strlen(s));
}

int dynbuf_addc(struct dynbuf *b, char c)
{
        return dynbuf_add(b, &c, 1);
}

int dynbuf_vaddf(struct dynbuf *b, const char *fmt, va_list ap)
{
        va_list aq;
        int n, r;

        va_copy(aq, ap);
        n = vsnprintf(NULL, 0, fmt, aq);
        va_end(aq);
        if (n < 0)
                return -EINVAL;
        r = dynbuf_reserve(b, (size_t) n);
        if (r < 0)
                return r;
        vsnprintf(b->buf + b->len, (size_t) n + 1, fmt, ap);
        b->len += (size_t) n;
        return 0;
}

int dynbuf_addf(struct dynbuf *b, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = dynbuf_vaddf(b, fmt, ap);
        va_end(ap);
        return r;
}

char *dynbuf_steal(struct dynbuf *b)
{
        char *p = b->buf;

        if (!p)
                p = xstrdup("");
        b->buf = NULL;
        b->len = b->alloc = 0;
        return p;
}
