/* SPDX-License-Identifier: MIT */
/*
 * systemd unit files in a host tree (include/unit-file.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "fd-util.h"
#include "macro.h"
#include "strv.h"
#include "unit-file.h"

#define UNIT_FILE_MAX (1U << 20)
#define DROPINS_MAX 64
#define VALUES_MAX 256

static const char *const unit_dirs[] = {
        "/etc/systemd/system",     "/run/systemd/system", "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system", "/lib/systemd/system",
};

bool unit_name_valid(const char *name)
{
        static const char *const suffixes[] = { ".service", ".socket", ".timer",    ".mount",
                                                ".target",  ".path",   ".slice",    ".scope",
                                                ".swap",    ".device", ".automount" };
        size_t n;

        if (isempty(name) || strchr(name, '/') || strlen(name) > 255)
                return false;
        n = strlen(name);
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t l = strlen(suffixes[i]);

                if (n > l && streq(name + n - l, suffixes[i]))
                        return true;
        }
        return false;
}

/* "foo@bar.service" → "foo@.service"; NULL when unit is not an instance. */
static char *template_of(const char *unit)
{
        const char *at = strchr(unit, '@'), *dot = strrchr(unit, '.');

        if (!at || !dot || dot < at || dot == at + 1)
                return NULL;
        return xasprintf("%.*s%s", (int) (at + 1 - unit), unit, dot);
}

static bool is_regular(int root_fd, const char *path)
{
        _cleanup_close_ int fd = open_beneath(root_fd, path, O_PATH | O_CLOEXEC);
        struct stat st;

        return fd >= 0 && fstat(fd, &st) >= 0 && S_ISREG(st.st_mode);
}

static int find_fragment(int root_fd, const char *name, char **ret)
{
        for (size_t i = 0; i < ELEMENTSOF(unit_dirs); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", unit_dirs[i], name);

                if (!p)
                        return -ENOMEM;
                if (is_regular(root_fd, p)) {
                        *ret = TAKE_PTR(p);
                        return 1;
                }
        }
        return 0;
}

static int name_cmp(const void *a, const void *b)
{
        const char *x = strrchr(*(char *const *) a, '/'), *y = strrchr(*(char *const *) b, '/');

        return strcmp(x ? x : "", y ? y : "");
}

static bool have_basename(char **l, const char *name)
{
        STRV_FOREACH(p, l) {
                const char *b = strrchr(*p, '/');

                if (b && streq(b + 1, name))
                        return true;
        }
        return false;
}

/* The *.conf files of <dir>/<name>.d not yet in *l (by file name). */
static int add_dropins_of(int root_fd, const char *dir, const char *name, char ***l)
{
        _cleanup_free_ char *d = xasprintf("%s/%s.d", dir, name);
        _cleanup_close_ int fd = -1;
        DIR *dp;
        int r = 0;

        if (!d)
                return -ENOMEM;
        fd = open_beneath(root_fd, d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        dp = fdopendir(fd);
        if (!dp)
                return -errno;
        fd = -1;
        for (struct dirent *de; r >= 0 && (de = readdir(dp));) {
                size_t n = strlen(de->d_name);

                if (n < 6 || !streq(de->d_name + n - 5, ".conf") || have_basename(*l, de->d_name))
                        continue;
                if (strv_length(*l) >= DROPINS_MAX)
                        break;
                r = strv_consume(l, xasprintf("%s/%s", d, de->d_name));
        }
        closedir(dp);
        return r;
}

int unit_files_find(int root_fd, const char *unit, struct unit_files *ret)
{
        _cleanup_free_ char *tmpl = NULL;
        struct unit_files u = {};
        int r;

        if (!unit_name_valid(unit))
                return -EINVAL;
        tmpl = template_of(unit);
        r = find_fragment(root_fd, unit, &u.fragment);
        if (r == 0 && tmpl)
                r = find_fragment(root_fd, tmpl, &u.fragment);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(unit_dirs); i++) {
                r = add_dropins_of(root_fd, unit_dirs[i], unit, &u.dropins);
                if (r >= 0 && tmpl)
                        r = add_dropins_of(root_fd, unit_dirs[i], tmpl, &u.dropins);
        }
        if (r < 0) {
                unit_files_done(&u);
                return r;
        }
        if (u.dropins && u.dropins[0] && u.dropins[1])
                qsort(u.dropins, strv_length(u.dropins), sizeof(char *), name_cmp);
        *ret = u;
        return u.fragment ? 1 : 0;
}

void unit_files_done(struct unit_files *u)
{
        u->fragment = mfree(u->fragment);
        u->dropins = strv_free(u->dropins);
}

static char *strip(char *s)
{
        char *e;

        s += strspn(s, " \t");
        e = s + strlen(s);
        while (e > s && strchr(" \t\r", e[-1]))
                e--;
        *e = 0;
        return s;
}

/* One logical line (continuations joined) of a unit file. */
static int get_line(int root_fd, const char *path, const char *key, char ***values)
{
        _cleanup_free_ char *text = NULL;
        size_t klen = strlen(key), size = 0;
        char *p, *next;
        int r;

        r = read_file_beneath(root_fd, path, UNIT_FILE_MAX, &text, &size);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        /* Join continuation lines: a backslash before the newline. */
        for (char *q = text; (q = strstr(q, "\\\n"));)
                q[0] = q[1] = ' ';
        for (p = text; p && *p; p = next) {
                char *line, *eq;

                next = strchr(p, '\n');
                if (next)
                        *next++ = 0;
                line = strip(p);
                if (strncmp(line, key, klen) != 0)
                        continue;
                eq = strip(line + klen);
                if (*eq != '=')
                        continue;
                eq = strip(eq + 1);
                if (isempty(eq)) {
                        *values = strv_free(*values); /* a reset */
                        continue;
                }
                if (strv_length(*values) >= VALUES_MAX)
                        break;
                r = strv_extend(values, eq);
                if (r < 0)
                        return r;
        }
        return 0;
}

int unit_files_get(int root_fd, const struct unit_files *u, const char *key, char ***ret)
{
        _cleanup_strv_free_ char **values = NULL;
        int r = 0;

        if (u->fragment)
                r = get_line(root_fd, u->fragment, key, &values);
        STRV_FOREACH(d, u->dropins) {
                if (r < 0)
                        break;
                r = get_line(root_fd, *d, key, &values);
        }
        if (r < 0)
                return r;
        if (!values) {
                values = xcalloc(1, sizeof(char *));
                if (!values)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(values);
        return 0;
}
