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

#endif
