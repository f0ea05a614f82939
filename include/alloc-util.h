/* SPDX-License-Identifier: MIT */
/*
 * Allocation helpers. In test builds (-DCOLLECT_TESTING) every allocation made
 * through these helpers can be made to fail: COLLECT_FAIL_ALLOC=N fails the Nth.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "macro.h"

/* Like malloc/calloc/realloc/strdup/strndup; NULL only on (possibly injected) OOM. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Zeroed memory aligned to align (a power of two, at least sizeof(void *)),
 * for a type with a member of extended alignment (_alignas_); free() frees it. */
void *xzalloc_aligned(size_t align, size_t size);

/* Allocation-failure injection for tests; a no-op (false) outside test builds. */
bool alloc_should_fail(void);

/* Returns a newly allocated string built from the format, or NULL on OOM. */
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

/* Frees p and returns NULL, so that "p = mfree(p);" clears the pointer. */
static inline void *mfree(void *p)
{
        free(p);
        return NULL;
}
