/* SPDX-License-Identifier: MIT */
/*
 * The environment collector: what a support engineer asks first about a host.
 * This file holds the descriptor, the shared read helpers and the small
 * sections (hostname, os-release, kernel, CPU, memory, uptime); disks,
 * virtualization, packages, network and failed units live in
 * environment-*.c. Everything is read beneath the context root, so --root
 * works; a missing file is a note, never a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "alloc-util.h"
#include "collect-ctx.h"
#include "collector.h"
#include "environment.h"
#include "fd-util.h"
#include "finding.h"
#include "macro.h"
#include "parse-util.h"
#include "sink.h"

#define SMALL_FILE_MAX (64u * 1024u)
#define CPUINFO_LINE_MAX (16u * 1024u)

void environment_note_read_error(struct sink *s, const char *path, int r)
{
        switch (r) {
        case -ENOENT:
                sink_note(s, "missing /%s", path);
                break;
        case -EBADFD:
                sink_note(s, "skipped /%s: not a regular file", path);
                break;
        case -EXDEV:
        case -ELOOP:
                sink_note(s, "skipped /%s: link leaves the root or loops", path);
                break;
        case -EPERM:
                sink_note(s, "skipped /%s: forbidden by policy", path);
                break;
        default:
                sink_note(s, "cannot read /%s: %s", path, strerror(-r));
                break;
        }
}

static int open_regular(struct collect_ctx *ctx, const char *path)
{
        _cleanup_free_ char *abs = NULL;
        _cleanup_close_ int fd = -1;
        struct stat sb;

        abs = xasprintf("/%s", path);
        if (!abs)
                return -ENOMEM;
        if (ctx_path_forbidden(ctx, abs))
                return -EPERM;
        fd = open_beneath(ctx_root_fd(ctx), path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return fd;
        if (fstat(fd, &sb) < 0)
                return -errno;
        if (!S_ISREG(sb.st_mode))
                return -EBADFD;
        return TAKE_FD(fd);
}

int environment_read(struct collect_ctx *ctx, struct sink *s, const char *path, size_t max,
                     bool quiet, char **ret, size_t *ret_size)
{
        _cleanup_dynbuf_ struct dynbuf b = {};
        _cleanup_close_ int fd = -1;
        char chunk[4096];
        char *p;
        int r;

        fd = open_regular(ctx, path);
        if (fd < 0) {
                if (!quiet)
                        environment_note_read_error(s, path, fd);
                return fd;
        }
        dynbuf_init(&b, max);
        for (;;) {
                ssize_t n = loop_read(fd, chunk, sizeof(chunk));
                size_t take;

                if (n < 0) {
                        if (!quiet)
                                environment_note_read_error(s, path, (int) n);
                        return (int) n;
                }
                if (n == 0)
                        break;
                take = MIN((size_t) n, max - b.len);
                r = dynbuf_add(&b, chunk, take);
                if (r < 0)
                        return r;
                if (take < (size_t) n || b.len == max)
                        break;
        }
        if (ret_size)
                *ret_size = b.len;
        p = dynbuf_steal(&b);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int environment_fopen(struct collect_ctx *ctx, struct sink *s, const char *path, bool quiet,
                      FILE **ret)
{
        _cleanup_close_ int fd = -1;
        FILE *f;

        fd = open_regular(ctx, path);
        if (fd < 0) {
                if (!quiet)
                        environment_note_read_error(s, path, fd);
                return fd;
        }
        f = fdopen(fd, "re");
        if (!f)
                return -errno;
        TAKE_FD(fd);
        *ret = f;
        return 0;
}

bool environment_exists(struct collect_ctx *ctx, const char *path)
{
        _cleanup_close_ int fd = -1;

        fd = open_beneath(ctx_root_fd(ctx), path, O_PATH | O_CLOEXEC);
        return fd >= 0;
}

int environment_read_line(FILE *f, struct dynbuf *b)
{
        bool any = false;
        int r;

        dynbuf_reset(b);
        r = dynbuf_add(b, "", 0); /* make sure b->buf exists, even for an empty line */
        if (r < 0)
                return r;
        for (;;) {
                int c = getc_unlocked(f);

                if (c == EOF)
                        return ferror(f) ? -EIO : any;
                any = true;
                if (c == '\n')
                        return 1;
                if (b->len < b->max) {
                        r = dynbuf_addc(b, (char) c);
                        if (r == -ENOMEM)
                                return r;
                }
        }
}

char *environment_strip(char *s)
{
        size_t n;

        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                s++;
        n = strlen(s);
        while (n > 0 && strchr(" \t\n\r", s[n - 1]))
                s[--n] = 0;
        return s;
}

char *environment_format_bytes(char *buf, size_t size, uint64_t bytes)
{
        static const char suffix[] = "KMGTPE";
        double v = (double) bytes;
        size_t i = 0;

        if (bytes < 1024) {
                snprintf(buf, size, "%" PRIu64 "B", bytes);
                return buf;
        }
        v /= 1024.0;
        while (v >= 1024.0 && i + 1 < sizeof(suffix) - 1) {
                v /= 1024.0;
                i++;
        }
        snprintf(buf, size, "%.1f%c", v, suffix[i]);
        return buf;
}

void environment_fact(struct environment_state *st, struct sink *s, const char *key,
                      const char *value)
{
        struct finding f = {
                .kind = FINDING_HOST_FACT,
                .subject = key,
                .detail = value,
        };

        if (sink_add_finding(s, &f) >= 0)
                st->produced++;
        (void) dynbuf_addf(&st->facts, "%s: %s\n", key, value);
}

int environment_add(struct environment_state *st, struct sink *s, const char *name,
                    const struct dynbuf *b)
{
        int r;

        r = sink_add_data(s, name, b->buf ? b->buf : "", b->len, 0);
        if (r < 0) {
                sink_note(s, "cannot add %s: %s", name, strerror(-r));
                return r;
        }
        st->produced++;
        return 0;
}

/* The first non-empty line of a file, stripped (lines starting with '#' skipped when
 * comments is true); -ENODATA when there is none, -errno when unreadable. */
static int read_first_line(struct collect_ctx *ctx, struct sink *s, const char *path, bool quiet,
                           bool comments, char **ret)
{
        _cleanup_free_ char *text = NULL;
        char *p, *line;
        int r;

        r = environment_read(ctx, s, path, SMALL_FILE_MAX, quiet, &text, NULL);
        if (r < 0)
                return r;
        for (p = text; p; p = line) {
                line = strchr(p, '\n');
                if (line)
                        *line++ = 0;
                p = environment_strip(p);
                if (*p && !(comments && *p == '#')) {
                        char *v = xstrdup(p);

                        if (!v)
                                return -ENOMEM;
                        *ret = v;
                        return 0;
                }
        }
        return -ENODATA;
}

static int collect_hostname(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        _cleanup_free_ char *name = NULL;
        int r;

        /* The running kernel's name first; an offline root usually only has etc/hostname. */
        r = read_first_line(ctx, s, "proc/sys/kernel/hostname", true, false, &name);
        if (r < 0)
                r = read_first_line(ctx, s, "etc/hostname", true, true, &name);
        if (r < 0) {
                sink_note(s, "hostname unknown: no /proc/sys/kernel/hostname or /etc/hostname");
                return r;
        }
        environment_fact(st, s, "hostname", name);
        return 0;
}

/* Unquotes an os-release value in place (double or single quotes, backslash escapes). */
static char *unquote(char *v)
{
        char q = *v;
        char *w, *r;

        if (q != '"' && q != '\'')
                return v;
        for (r = v + 1, w = v; *r && *r != q; r++) {
                if (q == '"' && *r == '\\' && r[1])
                        r++;
                *w++ = *r;
        }
        *w = 0;
        return v;
}

static int collect_os_release(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        _cleanup_free_ char *text = NULL, *pretty = NULL, *name = NULL, *version = NULL;
        const char *path = "etc/os-release";
        size_t size;
        char *p, *line;
        int r;

        r = environment_read(ctx, s, path, SMALL_FILE_MAX, true, &text, &size);
        if (r == -ENOENT) {
                path = "usr/lib/os-release";
                r = environment_read(ctx, s, path, SMALL_FILE_MAX, true, &text, &size);
        }
        if (r < 0) {
                if (r == -ENOENT)
                        sink_note(s, "missing /etc/os-release and /usr/lib/os-release");
                else
                        environment_note_read_error(s, path, r);
                return r;
        }
        r = sink_add_data(s, "environment/os-release", text, size, 0);
        if (r < 0)
                sink_note(s, "cannot add environment/os-release: %s", strerror(-r));
        else
                st->produced++;

        for (p = text; p; p = line) {
                char *eq, **dst = NULL;

                line = strchr(p, '\n');
                if (line)
                        *line++ = 0;
                eq = strchr(p, '=');
                if (!eq)
                        continue;
                *eq = 0;
                if (streq(p, "PRETTY_NAME"))
                        dst = &pretty;
                else if (streq(p, "NAME"))
                        dst = &name;
                else if (streq(p, "VERSION_ID"))
                        dst = &version;
                if (!dst || *dst)
                        continue;
                *dst = xstrdup(unquote(environment_strip(eq + 1)));
                if (!*dst)
                        return -ENOMEM;
        }
        if (!isempty(pretty)) {
                environment_fact(st, s, "os", pretty);
        } else if (!isempty(name)) {
                _cleanup_free_ char *v = xasprintf("%s%s%s", name, version ? " " : "",
                                                   version ? version : "");
                if (!v)
                        return -ENOMEM;
                environment_fact(st, s, "os", v);
        } else {
                sink_note(s, "/%s has neither PRETTY_NAME nor NAME", path);
        }
        return 0;
}

static int collect_kernel(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        _cleanup_dynbuf_ struct dynbuf b = {};
        _cleanup_free_ char *ostype = NULL, *release = NULL, *version = NULL, *cmdline = NULL;
        _cleanup_free_ char *procver = NULL;
        struct utsname u;
        const char *machine = NULL;
        int r;

        dynbuf_init(&b, SMALL_FILE_MAX);
        if (ctx_is_live(ctx) && uname(&u) >= 0) {
                ostype = xstrdup(u.sysname);
                release = xstrdup(u.release);
                version = xstrdup(u.version);
                if (!ostype || !release || !version)
                        return -ENOMEM;
                machine = u.machine;
        } else {
                (void) read_first_line(ctx, s, "proc/sys/kernel/ostype", false, false, &ostype);
                (void) read_first_line(ctx, s, "proc/sys/kernel/osrelease", false, false, &release);
                (void) read_first_line(ctx, s, "proc/sys/kernel/version", false, false, &version);
        }
        (void) read_first_line(ctx, s, "proc/version", true, false, &procver);
        r = environment_read(ctx, s, "proc/cmdline", SMALL_FILE_MAX, false, &cmdline, NULL);
        if (r >= 0)
                environment_strip(cmdline);

        if (!ostype && !release && !version && !procver && !cmdline)
                return -ENOENT;

        (void) dynbuf_addf(&b, "sysname: %s\n", ostype ? ostype : "unknown");
        (void) dynbuf_addf(&b, "release: %s\n", release ? release : "unknown");
        (void) dynbuf_addf(&b, "version: %s\n", version ? version : "unknown");
        (void) dynbuf_addf(&b, "machine: %s\n", machine ? machine : "unknown");
        if (procver)
                (void) dynbuf_addf(&b, "proc_version: %s\n", procver);
        (void) dynbuf_addf(&b, "cmdline: %s\n", cmdline ? cmdline : "unknown");
        (void) environment_add(st, s, "environment/kernel.txt", &b);

        if (release) {
                _cleanup_free_ char *v = xasprintf("%s %s%s%s%s", ostype ? ostype : "Linux",
                                                   release, machine ? " (" : "",
                                                   machine ? machine : "", machine ? ")" : "");
                if (!v)
                        return -ENOMEM;
                environment_fact(st, s, "kernel", v);
        }
        return 0;
}

struct cpu_summary {
        unsigned processors;
        char *model;
        char *vendor;
        char *mhz;
        char *hardware;
        uint64_t sockets_seen; /* bitmap of "physical id" values < 64 */
        char *cores;
};

static void cpu_summary_done(struct cpu_summary *c)
{
        free(c->model);
        free(c->vendor);
        free(c->mhz);
        free(c->hardware);
        free(c->cores);
}

static bool has_word(const char *list, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = strstr(list, word); p; p = strstr(p + 1, word)) {
                bool start = p == list || p[-1] == ' ' || p[-1] == '\t';
                bool end = p[n] == 0 || p[n] == ' ' || p[n] == '\t';

                if (start && end)
                        return true;
        }
        return false;
}

static int set_once(char **dst, const char *v)
{
        if (*dst || isempty(v))
                return 0;
        *dst = xstrdup(v);
        return *dst ? 0 : -ENOMEM;
}

static int collect_cpu(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        _cleanup_(cpu_summary_done) struct cpu_summary c = {};
        _cleanup_dynbuf_ struct dynbuf line = {}, b = {};
        _cleanup_fclose_ FILE *f = NULL;
        unsigned sockets = 0;
        int r;

        r = environment_fopen(ctx, s, "proc/cpuinfo", false, &f);
        if (r < 0)
                return r;
        st->cpu_seen = true;
        dynbuf_init(&line, CPUINFO_LINE_MAX);
        for (;;) {
                char *colon, *key, *val;

                r = environment_read_line(f, &line);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                colon = strchr(line.buf, ':');
                if (!colon)
                        continue;
                *colon = 0;
                key = environment_strip(line.buf);
                val = environment_strip(colon + 1);
                if (streq(key, "processor")) {
                        c.processors++;
                } else if (streq(key, "model name") || streq(key, "cpu model")) {
                        r = set_once(&c.model, val);
                } else if (streq(key, "vendor_id") || streq(key, "CPU implementer")) {
                        r = set_once(&c.vendor, val);
                } else if (streq(key, "cpu MHz")) {
                        r = set_once(&c.mhz, val);
                } else if (streq(key, "Hardware") || streq(key, "Model")) {
                        r = set_once(&c.hardware, val);
                } else if (streq(key, "cpu cores")) {
                        r = set_once(&c.cores, val);
                } else if (streq(key, "physical id")) {
                        uint64_t id;

                        if (safe_atou64(val, &id) >= 0 && id < 64)
                                c.sockets_seen |= UINT64_C(1) << id;
                } else if (streq(key, "flags") || streq(key, "Features")) {
                        if (has_word(val, "hypervisor"))
                                st->cpu_hypervisor = true;
                }
                if (r < 0)
                        return r;
        }
        for (unsigned i = 0; i < 64; i++)
                if (c.sockets_seen & (UINT64_C(1) << i))
                        sockets++;

        dynbuf_init(&b, SMALL_FILE_MAX);
        (void) dynbuf_addf(&b, "processors: %u\n", c.processors);
        if (c.model)
                (void) dynbuf_addf(&b, "model: %s\n", c.model);
        if (c.vendor)
                (void) dynbuf_addf(&b, "vendor: %s\n", c.vendor);
        if (c.hardware)
                (void) dynbuf_addf(&b, "hardware: %s\n", c.hardware);
        if (sockets > 0)
                (void) dynbuf_addf(&b, "sockets: %u\n", sockets);
        if (c.cores)
                (void) dynbuf_addf(&b, "cores_per_socket: %s\n", c.cores);
        if (c.mhz)
                (void) dynbuf_addf(&b, "mhz: %s\n", c.mhz);
        (void) dynbuf_addf(&b, "hypervisor_flag: %s\n", st->cpu_hypervisor ? "yes" : "no");
        r = environment_add(st, s, "environment/cpu.txt", &b);
        if (r < 0)
                return r;

        if (c.processors > 0) {
                _cleanup_free_ char *v = xasprintf("%u%s%s", c.processors, c.model ? " x " : "",
                                                   c.model ? c.model : "");
                if (!v)
                        return -ENOMEM;
                environment_fact(st, s, "cpu", v);
        }
        return 0;
}

static int collect_memory(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        _cleanup_free_ char *text = NULL;
        size_t size;
        char *p;
        int r;

        r = environment_read(ctx, s, "proc/meminfo", SMALL_FILE_MAX, false, &text, &size);
        if (r < 0)
                return r;
        r = sink_add_data(s, "environment/meminfo", text, size, 0);
        if (r < 0)
                sink_note(s, "cannot add environment/meminfo: %s", strerror(-r));
        else
                st->produced++;

        p = strstr(text, "MemTotal:");
        if (p && (p == text || p[-1] == '\n')) {
                char num[32], human[16];
                size_t n = 0;
                uint64_t kb;

                p += strlen("MemTotal:");
                p += strspn(p, " \t");
                while (n + 1 < sizeof(num) && p[n] >= '0' && p[n] <= '9') {
                        num[n] = p[n];
                        n++;
                }
                num[n] = 0;
                if (safe_atou64(num, &kb) >= 0 && kb <= UINT64_MAX / 1024) {
                        environment_format_bytes(human, sizeof(human), kb * 1024);
                        environment_fact(st, s, "memory", human);
                }
        }
        return 0;
}

/* Parses the integer part of "12345.67" into seconds. */
static int parse_seconds(const char *s, uint64_t *ret)
{
        char num[32];
        size_t n = strcspn(s, ". \t\n");

        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, n);
        num[n] = 0;
        return safe_atou64(num, ret);
}

static void format_uptime(char *buf, size_t size, uint64_t sec)
{
        uint64_t d = sec / 86400, h = sec / 3600 % 24, m = sec / 60 % 60;

        if (d > 0)
                snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m", d, h, m);
        else if (h > 0)
                snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "m", h, m);
        else
                snprintf(buf, size, "%" PRIu64 "m %" PRIu64 "s", m, sec % 60);
}

static int collect_uptime(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        _cleanup_free_ char *up = NULL, *load = NULL;
        _cleanup_dynbuf_ struct dynbuf b = {};
        uint64_t sec = 0;
        bool have_up;
        char human[64];

        dynbuf_init(&b, SMALL_FILE_MAX);
        have_up = environment_read(ctx, s, "proc/uptime", SMALL_FILE_MAX, false, &up, NULL) >= 0 &&
                  parse_seconds(up, &sec) >= 0;
        if (environment_read(ctx, s, "proc/loadavg", SMALL_FILE_MAX, false, &load, NULL) < 0)
                load = mfree(load);
        if (!have_up && !load)
                return -ENOENT;

        if (have_up) {
                format_uptime(human, sizeof(human), sec);
                (void) dynbuf_addf(&b, "uptime: %s (%" PRIu64 " s)\n", human, sec);
                if (ctx_is_live(ctx)) {
                        usec_t boot = now(CLOCK_REALTIME) - sec * USEC_PER_SEC;
                        char when[64];

                        (void) dynbuf_addf(&b, "booted: %s\n",
                                           format_iso8601(when, sizeof(when), boot));
                }
                environment_fact(st, s, "uptime", human);
        }
        if (load) {
                char *f[5] = {};
                char *p = environment_strip(load);

                for (size_t i = 0; i < ELEMENTSOF(f) && p && *p; i++) {
                        f[i] = p;
                        p += strcspn(p, " \t");
                        if (*p)
                                *p++ = 0;
                        p += strspn(p, " \t");
                }
                if (f[2])
                        (void) dynbuf_addf(&b, "load_average: %s %s %s\n", f[0], f[1], f[2]);
                if (f[3])
                        (void) dynbuf_addf(&b, "processes_running_total: %s\n", f[3]);
                if (f[2]) {
                        _cleanup_free_ char *v = xasprintf("%s %s %s", f[0], f[1], f[2]);

                        if (v)
                                environment_fact(st, s, "load", v);
                }
        }
        return environment_add(st, s, "environment/uptime.txt", &b);
}

static const struct {
        const char *what;
        int (*fn)(struct environment_state *st, struct collect_ctx *ctx, struct sink *s);
        size_t enable_offset; /* offset of a bool option that enables it, or 0 */
} sections[] = {
        { "hostname", collect_hostname, 0 },
        { "os-release", collect_os_release, 0 },
        { "kernel", collect_kernel, 0 },
        { "cpu", collect_cpu, 0 },
        { "memory", collect_memory, 0 },
        { "uptime", collect_uptime, 0 },
        { "virtualization", environment_virt, 0 },
        { "disk usage", environment_disk, 0 },
        { "network", environment_network, offsetof(struct environment_state, include_network) },
        { "packages", environment_packages, offsetof(struct environment_state, include_packages) },
        { "failed units", environment_units,
          offsetof(struct environment_state, include_failed_units) },
};

static int environment_init(void *userdata, struct collect_ctx *ctx)
{
        struct environment_state *st = userdata;

        if (st->disk_full_percent > 100)
                return clog_error_errno(ctx, -ERANGE, "disk_full_percent %" PRIu64 " is over 100",
                                        st->disk_full_percent);
        if (st->inodes_full_percent > 100)
                return clog_error_errno(ctx, -ERANGE, "inodes_full_percent %" PRIu64 " is over 100",
                                        st->inodes_full_percent);
        dynbuf_init(&st->facts, SMALL_FILE_MAX);
        return 0;
}

static int environment_collect(void *userdata, struct collect_ctx *ctx, struct sink *s)
{
        struct environment_state *st = userdata;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
                if (sections[i].enable_offset &&
                    !*(const bool *) ((const char *) st + sections[i].enable_offset))
                        continue;
                if (ctx_expired(ctx)) {
                        sink_note(s, "deadline reached: stopped before %s", sections[i].what);
                        sink_mark_partial(s);
                        break;
                }
                r = sections[i].fn(st, ctx, s);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        clog_debug_errno(ctx, r, "%s: %m", sections[i].what);
        }

        if (st->facts.len > 0)
                (void) environment_add(st, s, "environment/host.txt", &st->facts);

        if (st->produced == 0) {
                sink_note(s, "nothing could be read beneath '%s'", ctx_root(ctx));
                return -ENOENT;
        }
        return 0;
}

static void environment_done(void *userdata)
{
        struct environment_state *st = userdata;

        dynbuf_done(&st->facts);
}

static const struct collector_option environment_options[] = {
        { "disk_full_percent", OPTION_U64, "90",
          offsetof(struct environment_state, disk_full_percent),
          "report a filesystem as full at or above this percentage of blocks used (live host)" },
        { "inodes_full_percent", OPTION_U64, "90",
          offsetof(struct environment_state, inodes_full_percent),
          "report a filesystem as out of inodes at or above this percentage used (live host)" },
        { "disk_skip_types", OPTION_STRV,
          "autofs\nbinfmt_misc\nbpf\ncgroup\ncgroup2\nconfigfs\ndebugfs\ndevpts\nefivarfs\n"
          "fusectl\nhugetlbfs\nmqueue\nnsfs\nproc\npstore\nrpc_pipefs\nsecurityfs\nselinuxfs\n"
          "sysfs\ntracefs\nsquashfs\niso9660\nnfs\nnfs4\ncifs\nsmb3\nsmbfs\nceph\nglusterfs\n"
          "fuse.*",
          offsetof(struct environment_state, disk_skip_types),
          "filesystem types (globs) never measured: pseudo, read-only images, network (may hang)" },
        { "include_packages", OPTION_BOOL, "true",
          offsetof(struct environment_state, include_packages),
          "list installed packages (dpkg status; rpm -qa on a live rpm host)" },
        { "include_network", OPTION_BOOL, "true",
          offsetof(struct environment_state, include_network),
          "list network interfaces, their counters, addresses and the default route" },
        { "include_failed_units", OPTION_BOOL, "true",
          offsetof(struct environment_state, include_failed_units),
          "list failed systemd units over the system bus (live host only)" },
        { "max_failed_units", OPTION_U64, "200",
          offsetof(struct environment_state, max_failed_units),
          "at most this many failed units are listed and reported" },
        { "rpm_timeout", OPTION_DURATION, "30s", offsetof(struct environment_state, rpm_timeout),
          "deadline of the rpm -qa command" },
        { "bus_timeout", OPTION_DURATION, "5s", offsetof(struct environment_state, bus_timeout),
          "deadline of each call to systemd over the system bus" },
        {}
};

static const struct collector_ops environment_ops = {
        .init = environment_init,
        .collect = environment_collect,
        .done = environment_done,
};

const struct collector collector_environment = {
        .name = "environment",
        .summary = "OS, kernel, hardware, uptime, disks, virtualization, packages, network, "
                   "failed units",
        .flags = 0,
        .state_size = sizeof(struct environment_state),
        .options = environment_options,
        .ops = &environment_ops,
};
