/* SPDX-License-Identifier: MIT */
/*
 * The pages the dynamic loader reads once at start: the symbol, string and
 * relocation tables of every shared library (the read-only part each library
 * begins with). About 2.7 MiB of collect's resident set after start, before
 * any work: libcrypto alone has 21,000 relocations, and Linux 6.18 maps each
 * touched page's whole folio of the page cache.
 */
#pragma once

/*
 * Drops those pages from this process's page tables (MADV_DONTNEED): the
 * read-only private mappings of files that begin at offset 0 and hold no
 * page of their own (no copy-on-write page; checked in /proc/self/smaps).
 * The pages stay in the page cache, and a page touched again (a later
 * symbol lookup) is mapped again from it. Called while the process has a
 * single thread: no mapping may change between the check and the drop.
 * Returns the number of mappings dropped, or -errno.
 */
int loader_pages_drop(void);
