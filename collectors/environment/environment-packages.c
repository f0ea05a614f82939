/* SPDX-License-Identifier: MIT */
/*
 * Installed packages. The dpkg status database is parsed line by line (it can
 * be several MB) into environment/packages.txt, one "name version arch" line
 * per installed package. On a live rpm host, `rpm -qa` runs through the sink's
 * command runner into commands/rpm-qa.txt.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc-util.h"
#include "environment.h"
#include "fd-util.h"
#include "macro.h"
#include "sink.h"

struct dpkg_entry {
        char *package;
        char *version;
        char *arch;
        bool installed;
};

static void dpkg_entry_reset(struct dpkg_entry *e)
{
        e->package = mfree(e->package);
        e->version = mfree(e->version);
        e->arch = mfree(e->arch);
        e->installed = false;
}

/* "Status: want flag status": the package is installed when the third word is "installed". */
static bool status_installed(const char *v)
{
        const char *last = strrchr(v, ' ');

        return last && streq(last + 1, "installed");
}

static int set_field(char **dst, const char *v)
{
        free(*dst);
        *dst = xstrdup(v);
        return *dst ? 0 : -ENOMEM;
}

/* Writes the finished paragraph; 1 if a package was written, 0 if not, -ENOSPC when cut. */
static int dpkg_flush(struct dpkg_entry *e, struct sink *s, struct sink_stream **stream)
{
        int r = 0;

        if (e->package && e->installed) {
                if (!*stream) {
                        r = sink_open_stream(s, "environment/packages.txt", "/var/lib/dpkg/status",
                                             0, stream);
                        if (r < 0) {
                                dpkg_entry_reset(e);
                                return r;
                        }
                }
                r = sink_stream_printf(*stream, "%s %s %s\n", e->package,
                                       e->version ? e->version : "-", e->arch ? e->arch : "-");
                if (r >= 0)
                        r = 1;
        }
        dpkg_entry_reset(e);
        return r;
}

static int collect_dpkg(struct environment_state *st, struct collect_ctx *ctx, struct sink *s,
                        uint64_t *ret_count)
{
        _cleanup_dynbuf_ struct dynbuf line = {};
        _cleanup_fclose_ FILE *f = NULL;
        struct sink_stream *stream = NULL;
        struct dpkg_entry e = {};
        uint64_t count = 0;
        bool eof = false;
        int r;

        r = environment_fopen(ctx, s, "var/lib/dpkg/status", true, &f);
        if (r < 0)
                return r;
        dynbuf_init(&line, ENVIRONMENT_LINE_MAX);
        while (!eof) {
                char *colon, *v;

                r = environment_read_line(f, &line);
                if (r < 0)
                        break;
                eof = r == 0;
                if (eof || line.len == 0) {
                        r = dpkg_flush(&e, s, &stream);
                        if (r < 0)
                                break;
                        count += (uint64_t) r;
                        if ((count & 255) == 0 && ctx_expired(ctx)) {
                                r = -ETIME;
                                break;
                        }
                        continue;
                }
                if (line.buf[0] == ' ' || line.buf[0] == '\t')
                        continue; /* continuation of a multi-line field */
                colon = strchr(line.buf, ':');
                if (!colon)
                        continue;
                *colon = 0;
                v = environment_strip(colon + 1);
                r = 0;
                if (streq(line.buf, "Package"))
                        r = set_field(&e.package, v);
                else if (streq(line.buf, "Version"))
                        r = set_field(&e.version, v);
                else if (streq(line.buf, "Architecture"))
                        r = set_field(&e.arch, v);
                else if (streq(line.buf, "Status"))
                        e.installed = status_installed(v);
                if (r < 0)
                        break;
        }
        dpkg_entry_reset(&e);
        if (r == -ENOSPC) {
                sink_note(s, "package list cut by the byte budget after %" PRIu64 " packages",
                          count);
                sink_mark_partial(s);
        } else if (r == -ETIME) {
                sink_note(s, "deadline reached: package list cut after %" PRIu64 " packages",
                          count);
                sink_mark_partial(s);
        } else if (r < 0 && r != -ENOMEM) {
                sink_note(s, "reading /var/lib/dpkg/status: %s", strerror(-r));
                sink_mark_partial(s);
        }
        if (stream) {
                int k = sink_stream_close(stream, false);

                if (k < 0)
                        sink_note(s, "cannot add environment/packages.txt: %s", strerror(-k));
                else
                        st->produced++;
        }
        if (r == -ENOMEM)
                return r;
        *ret_count = count;
        return 0;
}

static const char *find_rpm(void)
{
        static const char *const paths[] = { "/usr/bin/rpm", "/bin/rpm" };

        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        return NULL;
}

static int collect_rpm(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        const char *rpm = find_rpm();
        usec_t timeout = st->rpm_timeout, t = now(CLOCK_MONOTONIC), deadline = ctx_deadline(ctx);
        int r;

        if (!rpm) {
                sink_note(s, "rpm database present but no rpm program: packages not listed");
                return -ENOENT;
        }
        if (deadline != USEC_INFINITY && deadline > t && deadline - t < timeout)
                timeout = deadline - t;
        char *const argv[] = {
                (char *) rpm,
                (char *) "-qa",
                (char *) "--qf",
                (char *) "%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\\n",
                NULL,
        };
        r = sink_add_command(s, "rpm-qa", argv, timeout, NULL);
        if (r < 0) {
                sink_note(s, "rpm -qa: %s", strerror(-r));
                if (r == -ETIMEDOUT)
                        sink_mark_partial(s);
                return r;
        }
        st->produced++;
        return 0;
}

int environment_packages(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        uint64_t count = 0;
        bool rpmdb, any = false;
        int r;

        r = collect_dpkg(st, ctx, s, &count);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                _cleanup_free_ char *v = xasprintf("%" PRIu64 " (dpkg)", count);

                if (!v)
                        return -ENOMEM;
                environment_fact(st, s, "packages", v);
                any = true;
        } else if (r != -ENOENT) {
                environment_note_read_error(s, "var/lib/dpkg/status", r);
        }

        rpmdb = environment_exists(ctx, "var/lib/rpm/rpmdb.sqlite") ||
                environment_exists(ctx, "var/lib/rpm/Packages") ||
                environment_exists(ctx, "usr/lib/sysimage/rpm/rpmdb.sqlite");
        if (rpmdb && ctx_is_live(ctx)) {
                if (collect_rpm(st, ctx, s) >= 0)
                        any = true;
        } else if (rpmdb) {
                sink_note(s, "rpm packages not listed: rpm -qa runs on the live host only");
        }
        if (!any && !rpmdb && r == -ENOENT)
                sink_note(s, "no package database found (/var/lib/dpkg/status, rpm)");
        return any ? 0 : -ENOENT;
}
