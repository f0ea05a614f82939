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

struct journal_trim {
        uint64_t file_base;  /* file-backed resident bytes before reading */
        uint64_t last_file;  /* file-backed resident bytes at the last check */
        unsigned trim_every; /* entries between two checks */
        unsigned trim_countdown;
        uint64_t trims; /* times the journal's pages were dropped */
        uint64_t madvise_calls;
};

void journal_trim_start(struct journal_trim *t);
void journal_trim_step(struct journal_trim *t);
