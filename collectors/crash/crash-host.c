/* SPDX-License-Identifier: MIT */
/*
 * What a host keeps of crashes beside the journal: apport's .crash files and
 * kdump's directories in /var/crash, the firmware's panic records in
 * /sys/fs/pstore, kernel log text (oops, panic, BUG and their call traces),
 * and dpkg's file lists to name the package owning an executable. Every file
 * is read below the root (open_beneath), so --root holds.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "collect-ctx.h"
#include "crash.h"
#include "fd-util.h"
#include "kernel-lines.h"
#include "parse-util.h"
#include "sink.h"

#define DIR_ENTRIES_MAX 4096
#define KERNEL_TEXT_MAX (4u * 1024u * 1024u)
#define APPORT_LINES_MAX (8u * 1024u * 1024u) /* the base64 core makes files long */
#define DPKG_LIST_MAX (16u * 1024u * 1024u)
#define DPKG_STATUS_MAX (128u * 1024u * 1024u)

/* ---- kernel log text ---- */

/* Past a console line's "<4>" level and "[ 1234.5678]" time stamp. */
static const char *skip_prefix(const char *line)
{
        const char *p = line + strspn(line, " \t");

        if (p[0] == '<' && strchr(p, '>') &&
            strspn(p + 1, "0123456789") == (size_t) (strchr(p, '>') - p - 1))
                p = strchr(p, '>') + 1;
        if (p[0] == '[' && strchr(p, ']'))
                p = strchr(p, ']') + 1;
        return p;
}

/* The headline without what changes between occurrences: addresses, pids. */
static char *normalize_headline(const char *line)
{
        const char *p = skip_prefix(line);
        char *s, *w;

        p += strspn(p, " ");
        s = xstrndup(p, MIN(strcspn(p, ",#"), (size_t) 200));
        if (!s)
                return NULL;
        w = s;
        for (char *t = s; *t;) {
                size_t n = strcspn(t, " ");
                bool digits = false;

                for (size_t i = 0; i < n; i++)
                        digits = digits || isdigit((unsigned char) t[i]);
                if (digits && n >= 6)
                        *w++ = '#';
                else {
                        memmove(w, t, n);
                        w += n;
                }
                t += n;
                if (*t)
                        *w++ = *t++;
        }
        while (w > s && (w[-1] == ' ' || w[-1] == ':' || w[-1] == '['))
                w--;
        *w = 0;
        return s;
}

int crash_kernel_set_headline(struct coredump *cd, char **detail, const char *line)
{
        free(cd->exe);
        free(cd->comm);
        free(cd->signal_name);
        free(*detail);
        cd->exe = xstrdup("kernel");
        cd->comm = xstrdup("kernel");
        cd->signal_name = normalize_headline(line);
        *detail = xstrndup(line, 1024);
        return cd->exe && cd->comm && cd->signal_name && *detail ? 0 : -ENOMEM;
}

/* "RIP: 0010:func+0x12/0x40 [mod]" or " func+0x1a/0x30 [mod]"; "? func" is a guess: skipped. */
int crash_kernel_add_frame(struct coredump *cd, const char *line)
{
        const char *p = skip_prefix(line), *plus, *mod;
        struct coredump_frame f = {};
        size_t n;

        p += strspn(p, " \t");
        if (strneq(p, "RIP: ", 5) && strchr(p, ':') && strchr(p + 5, ':'))
                p = strchr(p + 5, ':') + 1;
        n = strcspn(p, "+ ");
        plus = p + n;
        if (n == 0 || *plus != '+' || !strneq(plus, "+0x", 3) || !strchr(plus, '/'))
                return 0;
        if (cd->n_frames >= COREDUMP_FRAMES_MAX || (!isalpha((unsigned char) p[0]) && p[0] != '_'))
                return 0;
        if (!cd->frames) {
                cd->frames = calloc(COREDUMP_FRAMES_MAX, sizeof(*cd->frames));
                if (!cd->frames)
                        return -ENOMEM;
        }
        f.function = xstrndup(p, n);
        f.offset = strtoull(plus + 1, NULL, 16);
        mod = strchr(plus, '[');
        f.module = mod ? xstrndup(mod + 1, strcspn(mod + 1, "]")) : xstrdup("vmlinux");
        if (!f.function || !f.module) {
                free(f.function);
                free(f.module);
                return -ENOMEM;
        }
        cd->frames[cd->n_frames++] = f;
        return 0;
}

/* A whole kernel log (pstore record, kdump dmesg): the first crash it tells of. */
static int kernel_text_record(struct crash_state *s, const char *source, const char *what,
                              const char *text, usec_t t)
{
        struct crash_record *rec = crash_record_new(s);
        const char *p = text;
        bool started = false;
        int r = 0;

        if (!rec)
                return s->records ? 0 : -ENOMEM;
        rec->source = source;
        rec->cd.timestamp = t;
        for (unsigned n = 0; *p && n < 100000 && r >= 0; n++) {
                size_t l = strcspn(p, "\n");
                _cleanup_free_ char *line = xstrndup(p, l);

                if (!line)
                        return -ENOMEM;
                if (!started && kernel_crash_headline_kind(line)) {
                        started = true;
                        r = crash_kernel_set_headline(&rec->cd, &rec->detail, line);
                } else if (started)
                        r = crash_kernel_add_frame(&rec->cd, line);
                p += l + (p[l] == '\n');
        }
        if (r >= 0 && !started) {
                r = crash_kernel_set_headline(&rec->cd, &rec->detail, "kernel crash");
                free(rec->detail);
                rec->detail = xasprintf("%s (no oops or panic line found)", what);
        }
        if (r < 0)
                return r;
        return crash_record_commit(s, rec);
}

/* ---- directories below the root ---- */

static DIR *open_dir_beneath(struct collect_ctx *ctx, const char *path)
{
        int fd = open_beneath(ctx_root_fd(ctx), path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;

        if (fd < 0) {
                errno = -fd;
                return NULL;
        }
        d = fdopendir(fd);
        if (!d)
                safe_close(fd);
        return d;
}

static bool in_window(struct collect_ctx *ctx, const struct stat *st)
{
        usec_t t = (usec_t) st->st_mtim.tv_sec * USEC_PER_SEC;

        return t >= ctx_since(ctx) && t <= ctx_until(ctx);
}

/* ---- pstore ---- */

int crash_scan_pstore(struct crash_state *s, struct collect_ctx *ctx, struct sink *sink)
{
        DIR *d = open_dir_beneath(ctx, "sys/fs/pstore");
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        for (unsigned n = 0; r >= 0 && n < DIR_ENTRIES_MAX && (de = readdir(d)); n++) {
                _cleanup_free_ char *text = NULL, *member = NULL;
                struct stat st;

                if (de->d_name[0] == '.' ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode) || !in_window(ctx, &st))
                        continue;
                if (read_file_beneath(dirfd(d), de->d_name, KERNEL_TEXT_MAX, &text, NULL) < 0)
                        continue;
                member = xasprintf("crash/pstore/%s", de->d_name);
                if (!member)
                        r = -ENOMEM;
                else
                        (void) sink_add_file(sink, member, dirfd(d), de->d_name, 0);
                if (r >= 0)
                        r = kernel_text_record(s, "pstore", de->d_name, text,
                                               (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC);
        }
        closedir(d);
        return r;
}

/* ---- /var/crash: apport ---- */

struct apport {
        char *exe;
        char *package;
        char *cmdline;
        int signal;
        bool crash;
        bool in_stack;
};

static int apport_line(struct apport *a, struct coredump *cd, const char *line)
{
        if (line[0] == ' ') {
                char name[256];

                if (!a->in_stack || cd->n_frames >= COREDUMP_FRAMES_MAX)
                        return 0;
                if (sscanf(line, " %255s", name) != 1)
                        return 0;
                if (!cd->frames && !(cd->frames = calloc(COREDUMP_FRAMES_MAX, sizeof(*cd->frames))))
                        return -ENOMEM;
                cd->frames[cd->n_frames].function = streq(name, "??") ? NULL : xstrdup(name);
                cd->frames[cd->n_frames].module = xstrdup("?");
                cd->n_frames++;
                return 0;
        }
        a->in_stack = strneq(line, "StacktraceTop:", 14);
        if (strneq(line, "ProblemType: ", 13))
                a->crash = strneq(line + 13, "Crash", 5) || strneq(line + 13, "Kernel", 6);
        else if (strneq(line, "ExecutablePath: ", 16) && !a->exe)
                a->exe = xstrndup(line + 16, strcspn(line + 16, "\n"));
        else if (strneq(line, "Package: ", 9) && !a->package)
                a->package = xstrndup(line + 9, strcspn(line + 9, "\n"));
        else if (strneq(line, "ProcCmdline: ", 13) && !a->cmdline)
                a->cmdline = xstrndup(line + 13, MIN(strcspn(line + 13, "\n"), (size_t) 4096));
        else if (strneq(line, "Signal: ", 8)) {
                char buf[16] = {};

                memcpy(buf, line + 8, MIN(strcspn(line + 8, "\n"), sizeof(buf) - 1));
                if (safe_atoi(buf, &a->signal) < 0)
                        a->signal = 0;
        }
        return 0;
}

static int apport_read(struct collect_ctx *ctx, int dfd, const char *name, struct apport *a,
                       struct coredump *cd)
{
        int fd = open_beneath(dfd, name, O_RDONLY | O_CLOEXEC);
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        int r = 0;

        if (fd < 0)
                return fd;
        f = fdopen(fd, "re");
        if (!f) {
                safe_close(fd);
                return -errno;
        }
        for (unsigned n = 0; r >= 0 && n < APPORT_LINES_MAX; n++) {
                if (getline(&line, &size, f) < 0)
                        break;
                if (n % 65536 == 65535 && ctx_expired(ctx))
                        break;
                r = apport_line(a, cd, line);
        }
        return r;
}

static void apport_done(struct apport *a)
{
        free(a->exe);
        free(a->package);
        free(a->cmdline);
}

static int apport_record(struct crash_state *s, struct collect_ctx *ctx, int dfd, const char *name,
                         const struct stat *st)
{
        struct apport a = {};
        struct crash_record *rec = crash_record_new(s);
        int r;

        if (!rec)
                return s->records ? 0 : -ENOMEM;
        rec->source = "apport";
        r = apport_read(ctx, dfd, name, &a, &rec->cd);
        if (r >= 0 && (!a.crash || !a.exe)) {
                apport_done(&a);
                coredump_done(&rec->cd);
                s->n_records--;
                return 0;
        }
        rec->cd.exe = TAKE_PTR(a.exe);
        rec->cd.cmdline = TAKE_PTR(a.cmdline);
        rec->cd.signal = a.signal;
        rec->cd.timestamp = (usec_t) st->st_mtim.tv_sec * USEC_PER_SEC;
        rec->detail = xasprintf("/var/crash/%s", name);
        if (a.package) {
                size_t n = strcspn(a.package, " ");

                rec->package = xstrndup(a.package, n);
                rec->version = a.package[n] ? xstrdup(a.package + n + 1) : NULL;
        }
        apport_done(&a);
        if (r < 0 || !rec->detail)
                return r < 0 ? r : -ENOMEM;
        coredump_finish(&rec->cd, rec->cd.timestamp);
        return crash_record_commit(s, rec);
}

/* ---- /var/crash: kdump ---- */

static int kdump_record(struct crash_state *s, int dfd, const char *name, const struct stat *st)
{
        static const char *const logs[] = { "vmcore-dmesg.txt", "dmesg.txt" };
        _cleanup_close_ int sub = open_beneath(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *what = NULL;
        struct stat vm;

        if (sub < 0)
                return 0;
        what = xasprintf("/var/crash/%s", name);
        if (!what)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(logs); i++) {
                _cleanup_free_ char *text = NULL;

                if (read_file_beneath(sub, logs[i], KERNEL_TEXT_MAX, &text, NULL) >= 0)
                        return kernel_text_record(s, "kdump", what, text,
                                                  (usec_t) st->st_mtim.tv_sec * USEC_PER_SEC);
        }
        if (fstatat(sub, "vmcore", &vm, AT_SYMLINK_NOFOLLOW) < 0)
                return 0; /* no kdump directory */
        return kernel_text_record(s, "kdump", what, "", (usec_t) st->st_mtim.tv_sec * USEC_PER_SEC);
}

int crash_scan_var_crash(struct crash_state *s, struct collect_ctx *ctx, struct sink *sink)
{
        DIR *d = open_dir_beneath(ctx, "var/crash");
        struct dirent *de;
        int r = 0;

        (void) sink;
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        for (unsigned n = 0; r >= 0 && n < DIR_ENTRIES_MAX && (de = readdir(d)); n++) {
                size_t l = strlen(de->d_name);
                struct stat st;

                if (de->d_name[0] == '.' || ctx_expired(ctx) ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !in_window(ctx, &st))
                        continue;
                if (S_ISREG(st.st_mode) && l > 6 && streq(de->d_name + l - 6, ".crash"))
                        r = apport_record(s, ctx, dirfd(d), de->d_name, &st);
                else if (S_ISDIR(st.st_mode))
                        r = kdump_record(s, dirfd(d), de->d_name, &st);
        }
        closedir(d);
        return r;
}

/* ---- dpkg ---- */

static bool list_has(const char *text, const char *path)
{
        size_t n = strlen(path);

        for (const char *p = strstr(text, path); p; p = strstr(p + 1, path))
                if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
                        return true;
        return false;
}

static char *dpkg_version(struct collect_ctx *ctx, const char *package)
{
        _cleanup_free_ char *status = NULL, *needle = xasprintf("Package: %s\n", package);
        const char *p, *v, *end;

        if (!needle || read_file_beneath(ctx_root_fd(ctx), "var/lib/dpkg/status", DPKG_STATUS_MAX,
                                         &status, NULL) < 0)
                return NULL;
        p = strstr(status, needle);
        if (!p || (p != status && p[-1] != '\n'))
                return NULL;
        end = strstr(p, "\n\n") ?: p + strlen(p);
        v = strstr(p, "\nVersion: ");
        if (!v || v > end)
                return NULL;
        v += strlen("\nVersion: ");
        return xstrndup(v, strcspn(v, "\n"));
}

int crash_package_lookup(struct collect_ctx *ctx, const char *exe, char **ret_package,
                         char **ret_version)
{
        DIR *d;
        struct dirent *de;
        const char *alt = strneq(exe, "/usr/", 5) ? exe + 4 : NULL; /* merged /usr */

        *ret_package = *ret_version = NULL;
        if (exe[0] != '/' || !(d = open_dir_beneath(ctx, "var/lib/dpkg/info")))
                return 0;
        for (unsigned n = 0; n < 65536 && (de = readdir(d)) && !*ret_package; n++) {
                _cleanup_free_ char *text = NULL;
                size_t l = strlen(de->d_name);

                if (l <= 5 || !streq(de->d_name + l - 5, ".list"))
                        continue;
                if (read_file_beneath(dirfd(d), de->d_name, DPKG_LIST_MAX, &text, NULL) < 0)
                        continue;
                if (list_has(text, exe) || (alt && list_has(text, alt)))
                        *ret_package = xstrndup(de->d_name, MIN(l - 5, strcspn(de->d_name, ":")));
        }
        closedir(d);
        if (*ret_package)
                *ret_version = dpkg_version(ctx, *ret_package);
        return 0;
}
