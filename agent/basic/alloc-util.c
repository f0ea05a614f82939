/* SPDX-License-Identifier: MIT */
/*
 * Allocation wrappers with failure injection for test builds
 * (COLLECT_FAIL_ALLOC=N fails the Nth allocation), in the manner of curl's
 * torture tests.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "testhook.h"

bool alloc_should_fail(void)
{
#ifdef COLLECT_TESTING
        static long fail_at = -1;
        static long count;

        /* atomics: the bundle's writer thread allocates too */
        long at = __atomic_load_n(&fail_at, __ATOMIC_RELAXED);

        if (at < 0) {
                const char *e = testhook_getenv("COLLECT_FAIL_ALLOC");
                char *end = NULL;
                unsigned long long v;

                errno = 0;
                v = e ? strtoull(e, &end, 10) : 0;
                at = e && errno == 0 && end != e && *end == 0 ? (long) v : 0;
                __atomic_store_n(&fail_at, at, __ATOMIC_RELAXED);
        }
        if (at == 0)
                return false;
        return __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED) == at;
#else
        return false;
#endif
}

void *xmalloc(size_t n)
{
        if (alloc_should_fail())
                return NULL;
        return malloc(n ? n : 1);
}

void *xcalloc(size_t n, size_t size)
{
        if (alloc_should_fail())
                return NULL;
        return calloc(n ? n : 1, size ? size : 1);
}

void *xrealloc(void *p, size_t n)
{
        if (alloc_should_fail())
                return NULL;
        return realloc(p, n ? n : 1);
}

void *xzalloc_aligned(size_t align, size_t size)
{
        void *p = NULL;

        if (alloc_should_fail())
                return NULL;
        if (posix_memalign(&p, align, size ? size : 1) != 0)
                return NULL;
        return memset(p, 0, size ? size : 1);
}

char *xstrdup(const char *s)
{
        if (!s || alloc_should_fail())
                return NULL;
        return strdup(s);
}

char *xstrndup(const char *s, size_t n)
{
        if (!s || alloc_should_fail())
                return NULL;
        return strndup(s, n);
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;
        int r;

        if (alloc_should_fail())
                return NULL;
        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}
