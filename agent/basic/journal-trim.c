/* SPDX-License-Identifier: MIT */
/*
 * Bounding the journal's share of the resident set (include/journal-trim.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "journal-trim.h"
#include "macro.h"

/*
 * sd-journal maps journal files in 8 MiB windows that it keeps until the
 * journal is closed, and the kernel maps up to 64 KiB of page cache around
 * every page touched, so reading a large journal would grow the resident set
 * by the size of the part read (hundreds of MiB for a million entries). When
 * the file-backed resident size has grown by t->limit (JOURNAL_TRIM_LIMIT)
 * since the journal was opened, the pages of the journal mappings are dropped with
 * MADV_DONTNEED: the mappings stay valid (read-only views of the files), the
 * kernel maps a page again from the page cache when it is touched. A drop
 * costs a walk of /proc/self/maps, one madvise() per run of adjacent
 * mappings (about 1 µs per resident page: 1 ms for 3 MiB) and the faults of
 * sd-journal's working set that follow (file headers, entry arrays, shared
 * data objects: with the libraries' pages touched after the start, about
 * 2 MiB for a journal of six files, so that at 2 MiB drops follow each
 * other). At 3 MiB a million entries read cost about 180 drops; 2.5 MiB
 * cost 0.3 CPU-s more on the benchmark. Once the loader's pages were no
 * longer resident (include/loader-pages.h) the limit went to 4 MiB: the
 * journal benchmark's median fell from 1.41 to 1.23 s (with one call less
 * into sd-journal per entry; 7 alternated runs) and its peak rose from 13.3
 * to 14.4 MiB.
 *
 * The resident size is read from /proc/self/statm (one pread()) every
 * `trim_every` entries, an interval in which the growth seen over the last
 * one would fill a quarter of the room left.
 */
#define TRIM_EVERY_MIN 8U
/* At most 64 entries between two checks, even where the growth was slow: at
 * 256 a burst of mapping between two checks went unseen in about one run in
 * fifty of the journal benchmark, which passed 16 MiB (17.4 MiB; none in 59
 * at 64). A check is one pread() of about 2 µs: some 6,000 more a million
 * entries, about 1% of the reader's time. */
#define TRIM_EVERY_MAX 64U

/* /proc/self/statm, opened by journal_trim_start() and kept open for the
 * life of the process (one pread() per check instead of open, read and
 * close); opened again in a child after a fork. */
static int statm_fd = -1;
static pid_t statm_pid;

static void statm_open(void)
{
        pid_t pid = getpid();

        if (statm_fd >= 0 && statm_pid == pid)
                return;
        if (statm_fd >= 0)
                (void) close(statm_fd); /* the parent's */
        statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        statm_pid = pid;
}

/* File-backed (and shared) resident bytes: the third field of statm. */
static int resident_file_bytes(uint64_t *ret)
{
        char buf[128], *p = buf, *end;
        unsigned long long v = 0;
        ssize_t n;

        if (statm_fd < 0)
                return -EBADF;
        n = pread(statm_fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        for (int i = 0; i < 3; i++) {
                errno = 0;
                v = strtoull(p, &end, 10);
                if (end == p || errno != 0)
                        return -EIO;
                p = end;
        }
        *ret = (uint64_t) v * (uint64_t) sysconf(_SC_PAGESIZE);
        return 0;
}

static void flush_range(uintptr_t start, uintptr_t end)
{
        if (end > start)
                (void) madvise((void *) start, (size_t) (end - start), MADV_DONTNEED);
}

/* Drops the resident pages of every mapping of a .journal file; adjacent
 * mappings are dropped with one call. Returns the number of calls. */
static unsigned drop_journal_pages(void)
{
        char line[4096];
        uintptr_t run_start = 0, run_end = 0;
        unsigned calls = 0;
        FILE *f = fopen("/proc/self/maps", "re");

        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f)) {
                unsigned long long start, end;
                const char *path = strchr(line, '/');

                if (!path || !strstr(path, ".journal"))
                        continue;
                if (sscanf(line, "%llx-%llx", &start, &end) != 2 || end <= start)
                        continue;
                if ((uintptr_t) start != run_end) {
                        if (run_end > run_start)
                                calls++;
                        flush_range(run_start, run_end);
                        run_start = (uintptr_t) start;
                }
                run_end = (uintptr_t) end;
        }
        fclose(f);
        if (run_end > run_start)
                calls++;
        flush_range(run_start, run_end);
        return calls;
}

/* After a drop: doubles the limit in force when the last drop was less than
 * JOURNAL_TRIM_SPACING steps ago, halves it again when drops are far apart
 * (include/journal-trim.h). */
static void trim_adapt(struct journal_trim *t)
{
        uint64_t v = t->in_force, most = MAX(t->limit, JOURNAL_TRIM_LIMIT_MAX);

        if (t->steps < JOURNAL_TRIM_SPACING && v < most) {
                v = MIN(v * 2, most);
                t->raised++;
        } else if (t->steps >= JOURNAL_TRIM_SPACING * 128ULL && v > t->limit) {
                v = MAX(v / 2, t->limit);
        }
        t->in_force = v;
        t->steps = 0;
}

void journal_trim_start(struct journal_trim *t)
{
        statm_open();
        if (t->limit == 0)
                t->limit = JOURNAL_TRIM_LIMIT;
        t->in_force = t->limit;
        t->steps = JOURNAL_TRIM_SPACING; /* the first drop follows no other */
        if (resident_file_bytes(&t->file_base) < 0)
                t->file_base = 0;
        t->last_file = t->file_base;
        t->trim_every = TRIM_EVERY_MIN;
        t->trim_countdown = 0;
}

void journal_trim_step(struct journal_trim *t)
{
        uint64_t file, journal, grown, room, next;

        t->steps++;
        if (t->trim_countdown > 0 && --t->trim_countdown > 0)
                return;
        if (resident_file_bytes(&file) < 0) {
                t->trim_countdown = t->every_max ?: TRIM_EVERY_MAX;
                return;
        }
        journal = file > t->file_base ? file - t->file_base : 0;
        if (journal >= t->in_force) {
                t->madvise_calls += drop_journal_pages();
                t->trims++;
                trim_adapt(t);
                journal = 0;
        }
        /* the next check comes before the growth of the last interval, at
         * the same rate, fills a quarter of the room left */
        grown = file > t->last_file ? file - t->last_file : 0;
        room = t->in_force - journal;
        next = grown > 0 ? room * t->trim_every / (4 * grown) : (t->every_max ?: TRIM_EVERY_MAX);
        t->trim_every = (unsigned) MIN(MAX(next, TRIM_EVERY_MIN), t->every_max ?: TRIM_EVERY_MAX);
        t->last_file = t->file_base + journal;
        t->trim_countdown = t->trim_every;
}

void journal_trim_check(struct journal_trim *t)
{
        t->trim_countdown = 0;
        journal_trim_step(t);
}

void journal_trim_burst(struct journal_trim *t)
{
        uint64_t file;

        if (resident_file_bytes(&file) >= 0 && file >= t->file_base + t->in_force / 4) {
                t->madvise_calls += drop_journal_pages();
                t->trims++;
        }
}
