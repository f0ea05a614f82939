/* SPDX-License-Identifier: MIT */
/*
 * Opening the journal for a time window: only the files that hold entries of
 * the window. sd-journal visits every open file at each step and a seek
 * bisects each of them; a host keeps weeks of archived files, and a one-day
 * window needs one or two of them.
 */
#pragma once

#ifdef HAVE_LIBSYSTEMD

#include <systemd/sd-journal.h>

#include "journal-trim.h"
#include "time-util.h"

/*
 * Opens the journal in dir (as sd_journal_open_directory(dir, 0) finds it:
 * the .journal and .journal~ files in dir and in its machine-ID
 * subdirectories) or, with dir NULL, the local system's (as
 * sd_journal_open(SD_JOURNAL_LOCAL_ONLY): /run/log/journal and
 * /var/log/journal, this machine's subdirectory), leaving out the files whose
 * entries all lie before since or after until, by the first and last
 * timestamps in their headers. A file whose header cannot be read is kept.
 * When the files cannot be listed, or none is left, or opening the list
 * fails (a file rotated meanwhile), the journal is opened as a whole.
 * Returns 0 or -errno (the whole journal's open failed); *ret_files: the files
 * opened, or 0 for the whole journal; *ret_unreadable: the files that could
 * not be opened, for the user to be told (NULL: none). Both may be NULL.
 */
int journal_open_window(sd_journal **ret, const char *dir, usec_t since, usec_t until,
                        unsigned *ret_files, char ***ret_unreadable);

/* The journal files journal_open_window() would consider (dir NULL: this
 * system's), or -errno when they cannot be listed. */
int journal_count_files(const char *dir);

/*
 * Which of matches[0..n) (n <= 32, "FIELD=value" each) an entry of the open
 * files holds: bit i of *ret_held, for each one asked of sd-journal on its
 * own (the first entry from the head; a match it cannot tell about counts as
 * held). A match on data no file holds still costs every step of a pass
 * through matches a keyed hash and a probe of each file's hash table, and
 * where the kernel maps whole folios each probe can map 2 MiB: a reader
 * leaves it out. Listing the field's values instead (sd_journal_query_unique())
 * touched every value's data object, all over the files: a journal of 10,000
 * identifiers, read back from the disk, peaked at 30 MiB. With t, the
 * journal's pages are checked after each. The journal's matches are flushed.
 * 0, -EINVAL or -errno.
 */
int journal_holds(sd_journal *j, const char *const *matches, size_t n, struct journal_trim *t,
                  uint32_t *ret_held);

/*
 * Adds matches[i] for each bit i of which, each as a term of its own, OR'ed
 * (sd_journal_add_disjunction()) with the matches before it, the caller's
 * included. Returns the number added (0: none; without a match sd-journal
 * gives every entry, so the caller must not read through matches then) or
 * -errno.
 */
int journal_add_matches(sd_journal *j, const char *const *matches, size_t n, uint32_t which);

#endif
