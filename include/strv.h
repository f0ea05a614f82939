/* SPDX-License-Identifier: MIT */
/*
 * NULL-terminated string vectors (char **), owned element by element.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Frees every element and the vector; returns NULL. Accepts NULL. */
char **strv_free(char **l);
static inline void strv_freep(char ***l)
{
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);

/* Appends a copy of value. 0 or -ENOMEM (l unchanged). */
int strv_extend(char ***l, const char *value);

/* Appends value itself, taking ownership even on failure. 0 or -ENOMEM. */
int strv_consume(char ***l, char *value);

/* Deep copy; NULL on OOM (a NULL input gives an empty vector). */
char **strv_copy(char *const *l);

bool strv_contains(char *const *l, const char *s);

/* The same strings in the same order (NULL equals an empty vector). */
bool strv_equal(char *const *a, char *const *b);

/* Joins with sep; NULL on OOM. */
char *strv_join(char *const *l, const char *sep);

/* True if path matches one of the glob patterns (fnmatch with FNM_PATHNAME),
 * or lies below a directory that one matches. A pattern without '/' ("*.key")
 * is matched against the file name alone. A relative path is taken as
 * absolute ("etc/shadow" is "/etc/shadow"). */
bool strv_fnmatch_path(char *const *patterns, const char *path);
