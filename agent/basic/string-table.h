/* SPDX-License-Identifier: MIT */
/*
 * Enum <-> string tables, after systemd's DEFINE_STRING_TABLE_LOOKUP: for a
 * table `static const char *const x_table[_X_MAX]`, the macros define
 * `const char *x_to_string(enum x)` (NULL out of range or for a hole) and
 * `enum x x_from_string(const char *)` (-EINVAL, i.e. _X_INVALID, when absent;
 * the _CASE variant ignores ASCII case). Non-logging, no allocation.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "macro.h"

/* Index of s in table (n entries, NULL holes allowed), or -EINVAL. */
static inline int string_table_lookup(const char *const *table, size_t n, const char *s)
{
        for (size_t i = 0; s && i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -EINVAL;
}

/* The same, ignoring ASCII case. */
static inline int string_table_lookup_case(const char *const *table, size_t n, const char *s)
{
        for (size_t i = 0; s && i < n; i++)
                if (table[i] && strcasecmp(table[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

#define _DEFINE_STRING_TABLE_TO_STRING(name, type, scope)                  \
        scope const char *name##_to_string(type v)                         \
        {                                                                  \
                if ((int) v < 0 || (size_t) v >= ELEMENTSOF(name##_table)) \
                        return NULL;                                       \
                return name##_table[v];                                    \
        }

#define _DEFINE_STRING_TABLE_FROM_STRING(name, type, scope, lookup)              \
        scope type name##_from_string(const char *s)                             \
        {                                                                        \
                return (type) lookup(name##_table, ELEMENTSOF(name##_table), s); \
        }

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type) \
        _DEFINE_STRING_TABLE_TO_STRING(name, type, )
#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type) \
        _DEFINE_STRING_TABLE_FROM_STRING(name, type, , string_table_lookup)
#define DEFINE_STRING_TABLE_LOOKUP(name, type)           \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type) \
        DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)
#define DEFINE_STRING_TABLE_LOOKUP_CASE(name, type)      \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type) \
        _DEFINE_STRING_TABLE_FROM_STRING(name, type, , string_table_lookup_case)

/* File-local (static) variants, for tables private to one file. */
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(name, type) \
        _DEFINE_STRING_TABLE_TO_STRING(name, type, static _unused_)
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP(name, type)              \
        _DEFINE_STRING_TABLE_TO_STRING(name, type, static _unused_) \
        _DEFINE_STRING_TABLE_FROM_STRING(name, type, static _unused_, string_table_lookup)
