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

/*
 * Whether an open file holds the data match ("FIELD=value"): 1, or 0 when
 * none does, from each file's chain of FIELD's data objects
 * (sd_journal_query_unique(); a field has a few to a few hundred values). A
 * match on data no file holds still costs every step of a pass through
 * matches a keyed hash and a probe of each file's hash table: a reader leaves
 * it out. 1 when the values cannot be listed; -EINVAL, -ENOMEM.
 */
int journal_holds(sd_journal *j, const char *match);

/*
 * Adds matches[0..n) that an open file holds (journal_holds()), each as a
 * term of its own, OR'ed (sd_journal_add_disjunction()) with the matches
 * before it, the caller's included. Returns the number added (0: none is
 * held, nothing was added: without a match sd-journal gives every entry, so
 * the caller must not read through matches then) or -errno.
 */
int journal_add_held_matches(sd_journal *j, const char *const *matches, size_t n);

#endif
