/* SPDX-License-Identifier: MIT */
/*
 * Dropping the pages the dynamic loader read at start (include/loader-pages.h).
 * /proc/self/smaps gives each mapping's permissions, offset, file and
 * Anonymous count (pages copied on write, which a drop would lose: a
 * relocated RELRO part is read-only too, and never at offset 0 of the file).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "fd-util.h"
#include "loader-pages.h"
#include "macro.h"

#define DROP_MAX 256 /* mappings: collect has about 100 */

struct range {
        uintptr_t start, end;
};

/* Whether line is a mapping's first line, "start-end perms offset dev inode
 * path"; *ret_wanted: it is a read-only private mapping of a file from the
 * file's start. The other lines are "Field: value" with Field capitalised. */
static bool parse_header(const char *line, struct range *ret, bool *ret_wanted)
{
        uintmax_t start, end, offset;
        char perms[8];
        int n = 0;

        if (sscanf(line, "%jx-%jx %7s %jx %*s %*s%n", &start, &end, perms, &offset, &n) != 4 ||
            n == 0)
                return false;
        ret->start = (uintptr_t) start;
        ret->end = (uintptr_t) end;
        *ret_wanted = streq(perms, "r--p") && offset == 0 && strchr(line + n, '/') && end > start;
        return true;
}

int loader_pages_drop(void)
{
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/smaps", "re");
        struct range drop[DROP_MAX], cur = {};
        size_t n = 0;
        bool wanted = false;
        char line[4096];
        int dropped = 0;

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                uintmax_t kib;
                struct range r;

                if (parse_header(line, &r, &wanted)) {
                        cur = r;
                        continue;
                }
                if (wanted && sscanf(line, "Anonymous: %ju kB", &kib) == 1) {
                        if (kib == 0 && n < DROP_MAX)
                                drop[n++] = cur;
                        wanted = false;
                }
        }
        if (ferror(f))
                return -EIO;
        for (size_t i = 0; i < n; i++)
                if (madvise((void *) drop[i].start, drop[i].end - drop[i].start, MADV_DONTNEED) >=
                    0)
                        dropped++;
        return dropped;
}
