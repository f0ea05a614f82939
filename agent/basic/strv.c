/* SPDX-License-Identifier: MIT */
/*
 * NULL-terminated string vectors (include/strv.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "alloc-util.h"
#include "strv.h"

char **strv_free(char **l)
{
        STRV_FOREACH(s, l)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l)
{
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

int strv_consume(char ***l, char *value)
{
        size_t n = strv_length(*l);
        char **c;

        if (!value)
                return -ENOMEM;
        c = xrealloc(*l, sizeof(char *) * (n + 2));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value)
{
        char *v = xstrdup(value);

        if (!v)
                return -ENOMEM;
        return strv_consume(l, v);
}

char **strv_copy(char *const *l)
{
        size_t n = strv_length(l);
        char **c = xcalloc(n + 1, sizeof(char *));

        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = xstrdup(l[i]);
                if (!c[i])
                        return strv_free(c);
        }
        return c;
}

bool strv_contains(char *const *l, const char *s)
{
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

bool strv_equal(char *const *a, char *const *b)
{
        size_t i = 0;

        for (; a && a[i] && b && b[i]; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return !(a && a[i]) && !(b && b[i]);
}

char *strv_join(char *const *l, const char *sep)
{
        size_t n = 1, k = sep ? strlen(sep) : 0, at = 0;
        char *p;

        for (size_t i = 0; l && l[i]; i++) {
                size_t add = strlen(l[i]) + (i > 0 ? k : 0);

                if (n > SIZE_MAX / 2 - add)
                        return NULL;
                n += add;
        }
        p = xmalloc(n);
        if (!p)
                return NULL;
        for (size_t i = 0; l && l[i]; i++) {
                if (i > 0) {
                        memcpy(p + at, sep, k);
                        at += k;
                }
                memcpy(p + at, l[i], strlen(l[i]));
                at += strlen(l[i]);
        }
        p[at] = 0;
        return p;
}

bool strv_fnmatch_path(char *const *patterns, const char *path)
{
        char buf[4096];

        if (!path)
                return false;
        if (path[0] != '/') {
                if (snprintf(buf, sizeof(buf), "/%s", path) >= (int) sizeof(buf))
                        return false;
                path = buf;
        }
        const char *base = strrchr(path, '/') + 1;

        for (size_t i = 0; patterns && patterns[i]; i++) {
                /* "*.key" (no '/') is about the file's name, wherever it is */
                const char *subject = strchr(patterns[i], '/') ? path : base;

                if (fnmatch(patterns[i], subject, FNM_PATHNAME | FNM_LEADING_DIR) == 0)
                        return true;
        }
        return false;
}
