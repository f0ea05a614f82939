/* SPDX-License-Identifier: MIT */
/*
 * Mounted filesystems: environment/mounts is the root's /proc/mounts as text;
 * on the live host each mount point is also measured with statvfs(2) into
 * environment/disk-usage.txt (df-like), with FINDING_DISK_FULL and
 * FINDING_INODES_FULL at the configured thresholds. Under another root the
 * mount points name host paths, so they are never measured.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "alloc-util.h"
#include "environment.h"
#include "finding.h"
#include "macro.h"
#include "sink.h"
#include "strv.h"

#define MOUNTS_MAX (1024u * 1024u)
#define MAX_MOUNTS 4096u

/* Decodes the octal escapes of /proc/mounts (\040 space, \011 tab, \012 newline, \134 '\'). */
static void unescape_mount(char *s)
{
        char *w = s;

        for (char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 3;
                } else {
                        *w++ = *r;
                }
        }
        *w = 0;
}

static bool type_skipped(const struct environment_state *st, const char *type)
{
        STRV_FOREACH(p, st->disk_skip_types)
                if (fnmatch(*p, type, 0) == 0)
                        return true;
        return false;
}

/* Percent used the way df computes it: used / (used + available), rounded up. */
static uint64_t percent_used(uint64_t used, uint64_t avail)
{
        uint64_t total = used + avail;

        if (total == 0)
                return 0;
        return (used * 100 + total - 1) / total;
}

static void add_full_finding(struct environment_state *st, struct sink *s, enum finding_kind kind,
                             const char *mnt, uint64_t pct, const char *detail)
{
        struct finding f = {
                .kind = kind,
                .subject = mnt,
                .count = pct,
                .detail = detail,
        };

        if (sink_add_finding(s, &f) >= 0)
                st->produced++;
}

static void measure(struct environment_state *st, struct sink *s, struct dynbuf *out,
                    const char *dev, const char *mnt, const char *type)
{
        struct statvfs v;
        char size[16], used[16], avail[16];
        uint64_t bsize, bused, bavail, pct, ipct = 0, iused = 0;

        if (statvfs(mnt, &v) < 0) {
                sink_note(s, "cannot measure '%s': %s", mnt, strerror(errno));
                return;
        }
        if (v.f_blocks == 0)
                return; /* nothing to measure (a pseudo filesystem not in the skip list) */
        bsize = v.f_frsize ? v.f_frsize : v.f_bsize;
        bused = v.f_blocks >= v.f_bfree ? v.f_blocks - v.f_bfree : 0;
        bavail = v.f_bavail;
        pct = percent_used(bused, bavail);
        if (v.f_files > 0) {
                iused = v.f_files >= v.f_ffree ? v.f_files - v.f_ffree : 0;
                ipct = percent_used(iused, v.f_favail ? v.f_favail : v.f_ffree);
        }
        environment_format_bytes(size, sizeof(size), v.f_blocks * bsize);
        environment_format_bytes(used, sizeof(used), bused * bsize);
        environment_format_bytes(avail, sizeof(avail), bavail * bsize);
        (void) dynbuf_addf(out,
                           "%-24s %-10s %8s %8s %8s %4" PRIu64 "%% %10" PRIu64 " %10" PRIu64
                           " %4" PRIu64 "%% %s\n",
                           dev, type, size, used, avail, pct, (uint64_t) v.f_files, iused, ipct,
                           mnt);

        if (pct >= st->disk_full_percent) {
                _cleanup_free_ char *d = xasprintf("%" PRIu64
                                                   "%% used, %s available of %s on %s (%s)",
                                                   pct, avail, size, dev, type);
                add_full_finding(st, s, FINDING_DISK_FULL, mnt, pct, d);
        }
        if (v.f_files > 0 && ipct >= st->inodes_full_percent) {
                _cleanup_free_ char *d = xasprintf("%" PRIu64 "%% of %" PRIu64
                                                   " inodes used on %s (%s)",
                                                   ipct, (uint64_t) v.f_files, dev, type);
                add_full_finding(st, s, FINDING_INODES_FULL, mnt, ipct, d);
        }
}

int environment_disk(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_dynbuf_ struct dynbuf out = {};
        _cleanup_strv_free_ char **seen = NULL;
        bool live = ctx_is_live(ctx);
        size_t size, n = 0;
        char *p, *line;
        int r;

        r = environment_read(ctx, s, "proc/mounts", MOUNTS_MAX, false, &text, &size);
        if (r < 0)
                return r;
        r = sink_add_data(s, "environment/mounts", text, size, 0);
        if (r < 0)
                sink_note(s, "cannot add environment/mounts: %s", strerror(-r));
        else
                st->produced++;

        if (!live) {
                sink_note(s, "disk usage not measured: the root is not the live host");
                return 0;
        }

        dynbuf_init(&out, MOUNTS_MAX);
        (void) dynbuf_addf(&out, "%-24s %-10s %8s %8s %8s %5s %10s %10s %5s %s\n", "filesystem",
                           "type", "size", "used", "avail", "use%", "inodes", "iused", "iuse%",
                           "mounted on");
        for (p = text; p; p = line) {
                char *f[3];

                line = strchr(p, '\n');
                if (line)
                        *line++ = 0;
                for (size_t i = 0; i < ELEMENTSOF(f); i++) {
                        p += strspn(p, " \t");
                        f[i] = *p ? p : NULL;
                        p += strcspn(p, " \t");
                        if (*p)
                                *p++ = 0;
                }
                if (!f[2] || f[1][0] != '/')
                        continue;
                unescape_mount(f[0]);
                unescape_mount(f[1]);
                if (type_skipped(st, f[2]) || strv_contains(seen, f[1]))
                        continue;
                if (ctx_expired(ctx)) {
                        sink_note(s, "deadline reached while measuring filesystems");
                        sink_mark_partial(s);
                        break;
                }
                if (++n > MAX_MOUNTS) {
                        sink_note(s, "more than %u mounts: the rest not measured", MAX_MOUNTS);
                        sink_mark_partial(s);
                        break;
                }
                r = strv_extend(&seen, f[1]);
                if (r < 0)
                        return r;
                measure(st, s, &out, f[0], f[1], f[2]);
        }
        return environment_add(st, s, "environment/disk-usage.txt", &out);
}
