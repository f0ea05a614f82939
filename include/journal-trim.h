/* SPDX-License-Identifier: MIT */
/*
 * Keeping a reader of the journal small. sd-journal maps journal files in
 * 8 MiB windows that it keeps until the journal is closed, and the kernel maps
 * up to 64 KiB of page cache around every page touched, so reading a large
 * journal grows the resident set by the size of the part read. A collector
 * that reads the journal calls journal_trim_start() once it is open and
 * journal_trim_step() once per entry read: when the file-backed resident
 * size has grown by a few MiB, the pages of the journal mappings are dropped
 * (agent/basic/journal-trim.c says how and at what cost). Non-logging;
 * one reader at a time per process.
 */
#pragma once

#include <stdint.h>

/* The journal's pages allowed above the start (agent/basic/journal-trim.c says
 * why 4 MiB). A reader of few entries (sparse matches: the crash collector)
 * sets a smaller limit before journal_trim_start(); on the journal benchmark
 * the crash collector took 60 ms at 2 MiB against 50 ms at 3 MiB. */
#define JOURNAL_TRIM_LIMIT (4ULL << 20)
#define JOURNAL_TRIM_LIMIT_SPARSE (2ULL << 20)

/* Where the kernel maps a whole large folio of the page cache for one page
 * touched (Linux 6.18 maps up to 2 MiB at once, when the folio lies within
 * the mapping), the pages the journal touches again right after a drop can
 * pass the limit by themselves, and drops would follow each other every few
 * entries (seven times the reading time, on the journal benchmark after a
 * cold start). When two drops come within JOURNAL_TRIM_SPACING steps the
 * limit in force doubles, up to JOURNAL_TRIM_LIMIT_MAX; it halves again
 * after drops JOURNAL_TRIM_SPACING * 128 steps apart. */
#define JOURNAL_TRIM_SPACING 32U
#define JOURNAL_TRIM_LIMIT_MAX (16ULL << 20)

/* The resident size is checked every 8 to 64 entries, as the growth goes. A
 * reader through matches sets every_max to JOURNAL_TRIM_EVERY_SPARSE: each of
 * its steps moves in the entry arrays of every match in every file, and a
 * few such steps can map several MiB (4 MiB in 2 ms on the journal
 * benchmark's first pass, which passed 16 MiB in about one run in six). */
#define JOURNAL_TRIM_EVERY_SPARSE 16U

struct journal_trim {
        uint64_t limit;      /* bytes; 0: JOURNAL_TRIM_LIMIT */
        uint64_t in_force;   /* the limit applied: limit, or more (JOURNAL_TRIM_SPACING) */
        uint64_t steps;      /* since the last drop */
        uint64_t raised;     /* times in_force was doubled */
        uint64_t file_base;  /* file-backed resident bytes before reading */
        uint64_t last_file;  /* file-backed resident bytes at the last check */
        unsigned trim_every; /* entries between two checks */
        unsigned every_max;  /* trim_every at most; 0: 64 */
        unsigned trim_countdown;
        uint64_t trims; /* times the journal's pages were dropped */
        uint64_t madvise_calls;
};

void journal_trim_start(struct journal_trim *t);
void journal_trim_step(struct journal_trim *t);

/*
 * One sd-journal call can map several MiB in a few milliseconds between two
 * journal_trim_step(): a seek, or the first step after a seek, bisects the
 * entry arrays (of every match) in every file, and the kernel maps 64 KiB or
 * more around each page touched. journal_trim_burst() before such a call
 * drops the journal's pages first (past a quarter of the limit), so that the
 * burst starts from few. There is no watcher thread dropping pages during the
 * call any more: its drops ran while the reader was inside sd-journal, which
 * may unmap a window that another thread then maps for itself, and
 * MADV_DONTNEED would have cleared that thread's memory. Once only the files
 * of the window were opened (include/journal-open.h), the peaks were the same
 * without it (journal benchmark, 8 alternated runs on two journals: 13.9-14.7
 * MiB without, 14.1-14.7 MiB with).
 */
void journal_trim_burst(struct journal_trim *t);

/*
 * Checks the resident size now, not after the entries of the interval: for a
 * reader whose every call may touch new places in the files (a match's first
 * entry, include/journal-open.h journal_holds()), where each touch maps
 * a whole folio, up to 2 MiB, and a few unchecked ones would pass the bound.
 */
void journal_trim_check(struct journal_trim *t);
