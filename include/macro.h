/* SPDX-License-Identifier: MIT */
/*
 * Small macros used everywhere: array sizes, cleanup attributes, ownership
 * transfer and printf-format checking. Non-logging, no dependencies.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)
#define _alignas_(n) __attribute__((aligned(n)))
/* A cache line on the machines collect runs on (x86-64, arm64): data two
 * threads write apart from each other is kept on lines of its own. */
#define CACHE_LINE 64

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Take the value out of a variable and leave NULL (or -1 for fds) behind. */
#define TAKE_PTR(p)                   \
        ({                            \
                typeof(p) _tp_ = (p); \
                (p) = NULL;           \
                _tp_;                 \
        })
#define TAKE_FD(fd)              \
        ({                       \
                int _tf_ = (fd); \
                (fd) = -1;       \
                _tf_;            \
        })

/* Turn a libc "-1 and errno" result into "-errno". */
#define RET_NERRNO(expr)                      \
        ({                                    \
                long _r_ = (long) (expr);     \
                _r_ < 0 ? -errno : (int) _r_; \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p)     \
        {                                       \
                if (*p)                         \
                        func(*p);               \
        }

static inline void freep(void *p)
{
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)
#define isempty(s) (!(s) || !(s)[0])
