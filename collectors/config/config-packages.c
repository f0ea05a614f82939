/* SPDX-License-Identifier: MIT */
/*
 * Package changes from dpkg.log, apt's history.log, dnf.rpm.log and yum.log
 * (and their rotations, gzip-compressed or not, read through zlib).
 */

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "alloc-util.h"
#include "config-packages.h"
#include "fd-util.h"
#include "logtime.h"
#include "macro.h"
#include "strv.h"

#define LINE_MAX_LEN 8192
#define MAX_CHANGES 100000
#define DEDUP_WINDOW (2 * USEC_PER_HOUR)

enum log_kind {
        LOG_DPKG,
        LOG_APT_HISTORY,
        LOG_DNF_RPM,
        LOG_YUM,
};

struct reader {
        struct config_package_changes *out;
        usec_t since, until;
        const char *source;
        enum log_kind kind;
        int file_year; /* yum.log has no year */
        usec_t file_mtime;
        /* apt history block */
        usec_t block_time;
        char *block_command;
};

void config_package_changes_done(struct config_package_changes *c)
{
        for (size_t i = 0; i < c->n; i++) {
                struct config_package_change *p = &c->items[i];

                free(p->name);
                free(p->arch);
                free(p->action);
                free(p->old_version);
                free(p->new_version);
                free(p->source);
                free(p->command);
        }
        free(c->items);
        for (size_t i = 0; i < c->n_sources; i++)
                free(c->sources[i]);
        free(c->sources);
        *c = (struct config_package_changes) {};
}

static char *dup_version(const char *s)
{
        if (!s || streq(s, "<none>") || !*s)
                return NULL;
        return xstrdup(s);
}

/* Splits "name:arch" into name and arch. */
static int split_arch(const char *pkg, char **ret_name, char **ret_arch)
{
        const char *colon = strchr(pkg, ':');

        *ret_name = colon ? xstrndup(pkg, (size_t) (colon - pkg)) : xstrdup(pkg);
        *ret_arch = colon ? xstrdup(colon + 1) : NULL;
        if (!*ret_name || (colon && !*ret_arch))
                return -ENOMEM;
        return 0;
}

static int add_change(struct reader *rd, usec_t t, const char *action, char *name, char *arch,
                      char *old_version, char *new_version, struct config_package_change **ret)
{
        struct config_package_changes *c = rd->out;
        struct config_package_change *p;

        if (t < rd->since || t > rd->until || c->n >= MAX_CHANGES) {
                free(name);
                free(arch);
                free(old_version);
                free(new_version);
                if (ret)
                        *ret = NULL;
                return 0;
        }
        if (c->n == c->alloc) {
                size_t na = c->alloc ? c->alloc * 2 : 32;
                struct config_package_change *ni = xrealloc(c->items, na * sizeof(*ni));

                if (!ni) {
                        free(name);
                        free(arch);
                        free(old_version);
                        free(new_version);
                        return -ENOMEM;
                }
                c->items = ni;
                c->alloc = na;
        }
        p = &c->items[c->n++];
        *p = (struct config_package_change) {
                .name = name,
                .arch = arch,
                .action = xstrdup(action),
                .old_version = old_version,
                .new_version = new_version,
                .source = xstrdup(rd->source),
                .command = rd->block_command ? xstrdup(rd->block_command) : NULL,
                .time = t,
        };
        if (ret)
                *ret = p;
        if (!p->name || !p->action || !p->source)
                return -ENOMEM;
        return 0;
}

/* "2024-01-15 10:23:45" (local time). */
static int parse_local_stamp(const char *s, usec_t *ret, const char **ret_end)
{
        int y, mo, d, h, mi, se, n = 0;

        if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n == 0)
                return -EINVAL;
        *ret = logtime_local(y, mo, d, h, mi, se);
        if (ret_end)
                *ret_end = s + n;
        return 0;
}

/* "2024-01-15T10:23:45+0000", "…Z", "…+01:00", or without a zone (local). */
static int parse_dnf_stamp(const char *s, usec_t *ret, const char **ret_end)
{
        int y, mo, d, h, mi, se, n = 0;
        const char *p;

        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n == 0)
                return -EINVAL;
        p = s + n;
        if (*p == '.')
                for (p++; isdigit((unsigned char) *p); p++)
                        ;
        if (*p == 'Z' || *p == '+' || *p == '-') {
                struct tm tm = {
                        .tm_year = y - 1900,
                        .tm_mon = mo - 1,
                        .tm_mday = d,
                        .tm_hour = h,
                        .tm_min = mi,
                        .tm_sec = se,
                };
                long off = 0;
                time_t t = timegm(&tm);

                if (*p == 'Z')
                        p++;
                else {
                        int sign = *p == '-' ? -1 : 1, oh = 0, om = 0;

                        p++;
                        if (!isdigit((unsigned char) p[0]) || !isdigit((unsigned char) p[1]))
                                return -EINVAL;
                        oh = (p[0] - '0') * 10 + (p[1] - '0');
                        p += 2;
                        if (*p == ':')
                                p++;
                        if (isdigit((unsigned char) p[0]) && isdigit((unsigned char) p[1])) {
                                om = (p[0] - '0') * 10 + (p[1] - '0');
                                p += 2;
                        }
                        off = sign * (oh * 3600L + om * 60L);
                }
                t -= off;
                *ret = t < 0 ? 0 : (usec_t) t * USEC_PER_SEC;
        } else
                *ret = logtime_local(y, mo, d, h, mi, se);
        if (ret_end)
                *ret_end = p;
        return 0;
}

/* dpkg.log: "2024-01-15 10:23:45 upgrade foo:amd64 1.0-1 1.0-2". */
static int parse_dpkg_line(struct reader *rd, const char *line)
{
        char action[32], pkg[512], v1[256], v2[256];
        const char *p;
        usec_t t;
        char *name, *arch;
        int r;

        if (parse_local_stamp(line, &t, &p) < 0)
                return 0;
        if (sscanf(p, " %31s %511s %255s %255s", action, pkg, v1, v2) != 4)
                return 0;
        if (!streq(action, "install") && !streq(action, "upgrade") && !streq(action, "remove") &&
            !streq(action, "purge"))
                return 0;
        if (t < rd->since || t > rd->until)
                return 0;
        r = split_arch(pkg, &name, &arch);
        if (r < 0)
                return r;
        const char *act = action;
        if (streq(action, "upgrade") && streq(v1, v2))
                act = "reinstall";
        else if (streq(action, "install") && !streq(v1, "<none>"))
                act = streq(v1, v2) ? "reinstall" : "upgrade";
        return add_change(rd, t, act, name, arch, dup_version(v1),
                          streq(action, "remove") || streq(action, "purge") ? NULL :
                                                                              dup_version(v2),
                          NULL);
}

/* "foo:amd64 (1.0-1, 1.0-2), bar:amd64 (2.0, automatic)" */
static int parse_apt_list(struct reader *rd, const char *field, const char *list)
{
        const char *action;
        const char *p = list;
        int r;

        if (streq(field, "Install"))
                action = "install";
        else if (streq(field, "Upgrade"))
                action = "upgrade";
        else if (streq(field, "Downgrade"))
                action = "downgrade";
        else if (streq(field, "Reinstall"))
                action = "reinstall";
        else if (streq(field, "Remove"))
                action = "remove";
        else if (streq(field, "Purge"))
                action = "purge";
        else
                return 0;

        while (*p) {
                const char *open, *close;
                _cleanup_free_ char *pkg = NULL, *inner = NULL;
                char *versions[3] = {};
                size_t nv = 0;

                while (*p == ' ' || *p == ',')
                        p++;
                if (!*p)
                        break;
                open = strchr(p, '(');
                if (!open)
                        break;
                close = strchr(open, ')');
                if (!close)
                        break;
                const char *ne = open;
                while (ne > p && ne[-1] == ' ')
                        ne--;
                pkg = xstrndup(p, (size_t) (ne - p));
                inner = xstrndup(open + 1, (size_t) (close - open - 1));
                if (!pkg || !inner)
                        return -ENOMEM;
                for (char *s = inner; s && nv < 3;) {
                        char *comma = strstr(s, ", ");

                        if (comma)
                                *comma = 0;
                        if (!streq(s, "automatic"))
                                versions[nv++] = s;
                        s = comma ? comma + 2 : NULL;
                }
                p = close + 1;

                char *name, *arch;
                r = split_arch(pkg, &name, &arch);
                if (r < 0)
                        return r;
                char *old_v = NULL, *new_v = NULL;
                if (streq(action, "install"))
                        new_v = dup_version(versions[0]);
                else if (streq(action, "upgrade") || streq(action, "downgrade")) {
                        old_v = dup_version(versions[0]);
                        new_v = dup_version(versions[1]);
                } else if (streq(action, "reinstall")) {
                        old_v = dup_version(versions[0]);
                        new_v = dup_version(versions[0]);
                } else
                        old_v = dup_version(versions[0]);
                r = add_change(rd, rd->block_time, action, name, arch, old_v, new_v, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_apt_line(struct reader *rd, const char *line)
{
        const char *colon = strchr(line, ':');

        if (strneq(line, "Start-Date:", 11)) {
                const char *p = line + 11;
                int y, mo, d, h, mi, se;

                rd->block_time = 0;
                rd->block_command = mfree(rd->block_command);
                while (*p == ' ')
                        p++;
                if (sscanf(p, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) == 6)
                        rd->block_time = logtime_local(y, mo, d, h, mi, se);
                return 0;
        }
        if (strneq(line, "Commandline:", 12)) {
                const char *p = line + 12;

                while (*p == ' ')
                        p++;
                free(rd->block_command);
                rd->block_command = xstrdup(p);
                return rd->block_command ? 0 : -ENOMEM;
        }
        if (!colon || rd->block_time == 0)
                return 0;
        _cleanup_free_ char *field = xstrndup(line, (size_t) (colon - line));
        if (!field)
                return -ENOMEM;
        return parse_apt_list(rd, field, colon + 1);
}

/* "name-[epoch:]version-release.arch" or "epoch:name-version-release.arch". */
static int parse_nevra(const char *s, char **ret_name, char **ret_arch, char **ret_version)
{
        _cleanup_free_ char *buf = NULL;
        char *epoch = NULL, *p, *dot, *d1, *d2;

        while (*s == ' ')
                s++;
        buf = xstrdup(s);
        if (!buf)
                return -ENOMEM;
        for (p = buf + strlen(buf); p > buf && (p[-1] == ' ' || p[-1] == '\r'); p--)
                p[-1] = 0;
        /* yum: "1:foo-1.0-1.x86_64" */
        p = buf;
        while (isdigit((unsigned char) *p))
                p++;
        if (p > buf && *p == ':') {
                *p = 0;
                epoch = buf;
                p++;
        } else
                p = buf;

        d2 = strrchr(p, '-');
        if (!d2) {
                /* a bare name (yum "Erased: foo") */
                *ret_name = xstrdup(p);
                *ret_arch = NULL;
                *ret_version = NULL;
                return *ret_name ? 0 : -ENOMEM;
        }
        dot = strrchr(d2, '.');
        *d2 = 0;
        d1 = strrchr(p, '-');
        if (!d1) {
                *d2 = '-';
                *ret_name = xstrdup(p);
                *ret_arch = NULL;
                *ret_version = NULL;
                return *ret_name ? 0 : -ENOMEM;
        }
        *d1 = 0;
        const char *version = d1 + 1, *release = d2 + 1;
        char *arch = NULL;
        if (dot) {
                *dot = 0;
                arch = dot + 1;
        }
        *ret_name = xstrdup(p);
        *ret_arch = arch ? xstrdup(arch) : NULL;
        *ret_version = epoch && !strchr(version, ':') ?
                               xasprintf("%s:%s-%s", epoch, version, release) :
                               xasprintf("%s-%s", version, release);
        if (!*ret_name || !*ret_version || (arch && !*ret_arch))
                return -ENOMEM;
        return 0;
}

static bool same_pkg(const struct config_package_change *c, const char *name, const char *arch)
{
        return streq(c->name, name) && (!c->arch || !arch || streq(c->arch, arch));
}

/* dnf.rpm.log: "<ISO time> SUBDEBUG Upgrade: foo-1.1-1.fc39.x86_64". */
static int parse_rpm_change(struct reader *rd, usec_t t, const char *what, const char *nevra)
{
        static const struct {
                const char *word;
                const char *action;
                bool old_side; /* names the version being replaced */
        } table[] = {
                { "Install", "install", false },     { "Installed", "install", false },
                { "Upgrade", "upgrade", false },     { "Upgraded", "upgrade", true },
                { "Updated", "upgrade", false },     { "Update", "upgrade", false },
                { "Downgrade", "downgrade", false }, { "Downgraded", "downgrade", true },
                { "Reinstall", "reinstall", false }, { "Reinstalled", "reinstall", true },
                { "Erase", "remove", true },         { "Erased", "remove", true },
                { "Removed", "remove", true },       { "Obsoleted", "remove", true },
        };
        char *name = NULL, *arch = NULL, *version = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                if (!streq(what, table[i].word))
                        continue;
                if (t < rd->since || t > rd->until)
                        return 0;
                r = parse_nevra(nevra, &name, &arch, &version);
                if (r < 0) {
                        free(name);
                        free(arch);
                        free(version);
                        return r;
                }
                const char *action = table[i].action;
                if (table[i].old_side && !streq(action, "remove")) {
                        /* Pair with the pending new side of the same package. */
                        for (size_t k = rd->out->n; k > 0; k--) {
                                struct config_package_change *c = &rd->out->items[k - 1];

                                if (streq(c->action, action) && !c->old_version &&
                                    same_pkg(c, name, arch) && streq(c->source, rd->source) &&
                                    (c->time > t ? c->time - t : t - c->time) <=
                                            10 * USEC_PER_MINUTE) {
                                        c->old_version = version;
                                        free(name);
                                        free(arch);
                                        return 0;
                                }
                        }
                        return add_change(rd, t, action, name, arch, version, NULL, NULL);
                }
                if (table[i].old_side)
                        return add_change(rd, t, action, name, arch, version, NULL, NULL);
                /* "Installed" after "Install" of the same package: one change. */
                for (size_t k = rd->out->n; k > 0; k--) {
                        struct config_package_change *c = &rd->out->items[k - 1];

                        if (streq(c->action, action) && same_pkg(c, name, arch) && c->new_version &&
                            version && streq(c->new_version, version) && c->time == t) {
                                free(name);
                                free(arch);
                                free(version);
                                return 0;
                        }
                }
                return add_change(rd, t, action, name, arch, NULL, version, NULL);
        }
        return 0;
}

static int parse_dnf_line(struct reader *rd, const char *line)
{
        const char *p, *colon;
        char what[32];
        usec_t t;
        size_t wl;

        if (parse_dnf_stamp(line, &t, &p) < 0)
                return 0;
        while (*p == ' ')
                p++;
        /* level word (SUBDEBUG, INFO, DEBUG) */
        while (*p && *p != ' ')
                p++;
        while (*p == ' ')
                p++;
        colon = strchr(p, ':');
        if (!colon)
                return 0;
        wl = (size_t) (colon - p);
        if (wl == 0 || wl >= sizeof(what))
                return 0;
        memcpy(what, p, wl);
        what[wl] = 0;
        return parse_rpm_change(rd, t, what, colon + 1);
}

/* yum.log: "Jan 15 10:23:45 Installed: foo-1.0-1.el7.x86_64" (no year). */
static int parse_yum_line(struct reader *rd, const char *line)
{
        static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        char mon[4] = {}, what[32];
        int day, h, mi, s, n = 0, m = -1;

        if (sscanf(line, "%3s %d %d:%d:%d %n", mon, &day, &h, &mi, &s, &n) != 5 || n == 0)
                return 0;
        for (int i = 0; i < 12; i++)
                if (streq(mon, months[i]))
                        m = i + 1;
        if (m < 0)
                return 0;
        const char *p = line + n, *colon = strchr(p, ':');
        if (!colon || (size_t) (colon - p) >= sizeof(what) || colon == p)
                return 0;
        memcpy(what, p, (size_t) (colon - p));
        what[colon - p] = 0;
        usec_t t = logtime_local(rd->file_year, m, day, h, mi, s);
        /* A date after the file's last change belongs to the year before. */
        if (rd->file_mtime > 0 && t > rd->file_mtime + USEC_PER_DAY)
                t = logtime_local(rd->file_year - 1, m, day, h, mi, s);
        return parse_rpm_change(rd, t, what, colon + 1);
}

static int read_log(struct reader *rd, int dfd, const char *name)
{
        _cleanup_free_ char *line = NULL;
        struct stat st;
        gzFile gz;
        int fd, r = 0;

        fd = open_beneath(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return 0;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                safe_close(fd);
                return 0;
        }
        /* Logs are appended to: one last written before the window has nothing in it. */
        if ((usec_t) st.st_mtime * USEC_PER_SEC + USEC_PER_SEC < rd->since) {
                safe_close(fd);
                return 0;
        }
        rd->file_mtime = (usec_t) st.st_mtime * USEC_PER_SEC;
        struct tm tm;
        time_t mt = st.st_mtime;
        rd->file_year = localtime_r(&mt, &tm) ? tm.tm_year + 1900 : 1970;

        gz = gzdopen(fd, "r"); /* reads plain files transparently */
        if (!gz) {
                safe_close(fd);
                return -ENOMEM;
        }
        line = xmalloc(LINE_MAX_LEN);
        if (!line) {
                gzclose(gz);
                return -ENOMEM;
        }
        rd->block_time = 0;
        rd->block_command = mfree(rd->block_command);
        while (r >= 0 && gzgets(gz, line, LINE_MAX_LEN)) {
                size_t l = strlen(line);

                if (l > 0 && line[l - 1] != '\n' && !gzeof(gz)) {
                        /* over-long line: skip the rest of it */
                        char skip[256];

                        while (gzgets(gz, skip, sizeof(skip)) && skip[strlen(skip) - 1] != '\n')
                                ;
                        continue;
                }
                while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
                        line[--l] = 0;
                switch (rd->kind) {
                case LOG_DPKG:
                        r = parse_dpkg_line(rd, line);
                        break;
                case LOG_APT_HISTORY:
                        r = parse_apt_line(rd, line);
                        break;
                case LOG_DNF_RPM:
                        r = parse_dnf_line(rd, line);
                        break;
                case LOG_YUM:
                        r = parse_yum_line(rd, line);
                        break;
                }
        }
        rd->block_command = mfree(rd->block_command);
        gzclose(gz);
        return r;
}

static int scan_dir(struct reader *rd, int root_fd, const char *dir, const char *prefix,
                    enum log_kind kind)
{
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_close_ int dfd = -1;
        DIR *d;
        int fd, r = 0;

        dfd = open_beneath(root_fd, dir, O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
                return 0;
        fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return 0;
        }
        for (struct dirent *de; (de = readdir(d));) {
                size_t pl = strlen(prefix);

                if (!strneq(de->d_name, prefix, pl))
                        continue;
                /* dpkg.log, dpkg.log.1, dpkg.log.2.gz, dnf.rpm.log-20240101(.gz) */
                if (de->d_name[pl] && de->d_name[pl] != '.' && de->d_name[pl] != '-')
                        continue;
                if (strv_extend(&names, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        closedir(d);
        if (r < 0)
                return r;

        rd->kind = kind;
        STRV_FOREACH(n, names) {
                _cleanup_free_ char *src = xasprintf("/%s/%s", dir, *n);

                if (!src)
                        return -ENOMEM;
                rd->source = src;
                r = read_log(rd, dfd, *n);
                rd->source = NULL;
                if (r < 0)
                        return r;
                char **ns = xrealloc(rd->out->sources, (rd->out->n_sources + 2) * sizeof(char *));
                if (!ns)
                        return -ENOMEM;
                rd->out->sources = ns;
                ns[rd->out->n_sources++] = TAKE_PTR(src);
                ns[rd->out->n_sources] = NULL;
        }
        return 0;
}

static int change_cmp(const void *a, const void *b)
{
        const struct config_package_change *x = a, *y = b;

        if (x->time != y->time)
                return x->time < y->time ? -1 : 1;
        return strcmp(x->name, y->name);
}

static bool vstreq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && streq(a, b));
}

static bool is_remove(const char *a)
{
        return streq(a, "remove") || streq(a, "purge");
}

/* The same change seen in dpkg.log and apt's history.log is reported once
 * (dpkg's record, with apt's command line); dpkg's "remove" followed by
 * "purge" of the same package is one purge. */
static void dedup(struct config_package_changes *c)
{
        _cleanup_free_ bool *drop = xcalloc(c->n + 1, sizeof(bool));
        size_t w = 0;

        if (!drop)
                return; /* duplicates are better than nothing */
        for (size_t i = 0; i < c->n; i++) {
                struct config_package_change *x = &c->items[i];

                for (size_t k = 0; k < c->n && !drop[i]; k++) {
                        struct config_package_change *y = &c->items[k];
                        usec_t dt;

                        if (k == i || drop[k] || !same_pkg(y, x->name, x->arch))
                                continue;
                        dt = x->time > y->time ? x->time - y->time : y->time - x->time;
                        if (dt > DEDUP_WINDOW)
                                continue;
                        bool x_apt = strstr(x->source, "/apt/history.log") != NULL;
                        bool y_apt = strstr(y->source, "/apt/history.log") != NULL;

                        if (x_apt && !y_apt) {
                                bool match = is_remove(x->action) ?
                                                     is_remove(y->action) &&
                                                             streq(x->action, y->action) :
                                                     !is_remove(y->action) &&
                                                             vstreq(x->new_version, y->new_version);
                                if (match) {
                                        if (x->command && !y->command)
                                                y->command = TAKE_PTR(x->command);
                                        drop[i] = true;
                                }
                        } else if (!x_apt && !y_apt && streq(x->action, "remove") &&
                                   streq(y->action, "purge") && y->time >= x->time &&
                                   streq(x->source, y->source))
                                drop[i] = true;
                }
        }
        for (size_t i = 0; i < c->n; i++) {
                struct config_package_change *x = &c->items[i];

                if (drop[i]) {
                        free(x->name);
                        free(x->arch);
                        free(x->action);
                        free(x->old_version);
                        free(x->new_version);
                        free(x->source);
                        free(x->command);
                        continue;
                }
                c->items[w++] = *x;
        }
        c->n = w;
}

int config_packages_collect(int root_fd, usec_t since, usec_t until,
                            struct config_package_changes *ret)
{
        struct config_package_changes out = {};
        struct reader rd = { .out = &out, .since = since, .until = until };
        int r;

        r = scan_dir(&rd, root_fd, "var/log", "dpkg.log", LOG_DPKG);
        if (r >= 0)
                r = scan_dir(&rd, root_fd, "var/log/apt", "history.log", LOG_APT_HISTORY);
        if (r >= 0)
                r = scan_dir(&rd, root_fd, "var/log", "dnf.rpm.log", LOG_DNF_RPM);
        if (r >= 0)
                r = scan_dir(&rd, root_fd, "var/log", "yum.log", LOG_YUM);
        free(rd.block_command);
        if (r < 0) {
                config_package_changes_done(&out);
                return r;
        }
        dedup(&out);
        if (out.n > 1)
                qsort(out.items, out.n, sizeof(*out.items), change_cmp);
        *ret = out;
        return 0;
}
