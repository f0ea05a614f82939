/* SPDX-License-Identifier: MIT */
/*
 * Opening only the journal files of a time window (include/journal-open.h).
 * The files are listed as sd-journal lists them (systemd's
 * src/libsystemd/sd-journal/sd-journal.c, add_root_directory() and
 * add_directory()), and each is opened on its own to read the first and last
 * timestamps of its header: about 30 µs a file.
 */
#ifdef HAVE_LIBSYSTEMD

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include "alloc-util.h"
#include "journal-open.h"
#include "macro.h"
#include "strv.h"

static bool is_journal_file(const struct dirent *de)
{
        size_t n = strlen(de->d_name);

        if (de->d_type != DT_REG && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
                return false;
        return (n > 8 && streq(de->d_name + n - 8, ".journal")) ||
               (n > 9 && streq(de->d_name + n - 9, ".journal~"));
}

/* A subdirectory named by a machine ID; only `machine` unless it is NULL. */
static bool is_machine_dir(const struct dirent *de, const sd_id128_t *machine)
{
        sd_id128_t id;

        if (de->d_type != DT_DIR && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
                return false;
        if (sd_id128_from_string(de->d_name, &id) < 0)
                return false;
        return !machine || sd_id128_equal(id, *machine);
}

/* Adds the journal files of path to *files and, with subdirs, those of its
 * machine-ID subdirectories. A missing directory adds nothing. */
static int list_dir(char ***files, const char *path, bool subdirs, const sd_id128_t *machine)
{
        DIR *d = opendir(path);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while (r >= 0 && (errno = 0, de = readdir(d))) {
                _cleanup_free_ char *p = NULL;

                if (!is_journal_file(de) && !(subdirs && is_machine_dir(de, machine)))
                        continue;
                p = xasprintf("%s/%s", path, de->d_name);
                if (!p)
                        r = -ENOMEM;
                else if (is_journal_file(de))
                        r = strv_consume(files, TAKE_PTR(p));
                else
                        r = list_dir(files, p, false, NULL);
        }
        if (r >= 0 && errno != 0)
                r = -errno;
        closedir(d);
        return r;
}

/* The files sd_journal_open_directory(dir, 0), or with dir NULL
 * sd_journal_open(SD_JOURNAL_LOCAL_ONLY), would open. */
static int list_files(const char *dir, char ***ret)
{
        _cleanup_strv_free_ char **files = NULL;
        sd_id128_t machine;
        int r;

        if (dir) {
                r = list_dir(&files, dir, true, NULL);
        } else {
                r = sd_id128_get_machine(&machine);
                if (r >= 0)
                        r = list_dir(&files, "/run/log/journal", true, NULL);
                if (r >= 0)
                        r = list_dir(&files, "/var/log/journal", true, &machine);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(files);
        return 0;
}

int journal_count_files(const char *dir)
{
        _cleanup_strv_free_ char **files = NULL;
        int r = list_files(dir, &files);

        return r < 0 ? r : (int) MIN(strv_length(files), (size_t) INT_MAX);
}

/* 1: the file may hold entries of [since, until]; 0: it does not, or it has
 * no entries; -errno: it cannot be opened (sd-journal skips such a file too
 * when it opens the directory). */
static int file_in_window(const char *path, usec_t since, usec_t until)
{
        const char *one[] = { path, NULL };
        uint64_t from, to;
        sd_journal *j;
        int r;

        r = sd_journal_open_files(&j, one, 0);
        if (r < 0)
                return r;
        r = sd_journal_get_cutoff_realtime_usec(j, &from, &to);
        sd_journal_close(j);
        if (r < 0)
                return 1; /* the header cannot be read: as sd-journal would, try it */
        return r > 0 && to >= since && from <= until; /* r == 0: no entries */
}

static int open_whole(sd_journal **ret, const char *dir)
{
        return dir ? sd_journal_open_directory(ret, dir, 0) :
                     sd_journal_open(ret, SD_JOURNAL_LOCAL_ONLY);
}

int journal_open_window(sd_journal **ret, const char *dir, usec_t since, usec_t until,
                        unsigned *ret_files, char ***ret_unreadable)
{
        _cleanup_strv_free_ char **files = NULL, **unreadable = NULL;
        size_t n = 0;
        int r = 0;

        if (ret_files)
                *ret_files = 0;
        if (ret_unreadable)
                *ret_unreadable = NULL;
        if ((since == 0 && until == USEC_INFINITY) || list_files(dir, &files) < 0)
                return open_whole(ret, dir);
        for (size_t i = 0; files && files[i]; i++) {
                char *f = files[i];
                int k;

                files[i] = NULL;
                k = file_in_window(f, since, until);
                if (k > 0)
                        files[n++] = f;
                else if (k < 0 && ret_unreadable && r >= 0)
                        r = strv_consume(&unreadable, f);
                else
                        free(f);
        }
        if (r < 0)
                return r;
        if (n == 0 || sd_journal_open_files(ret, (const char **) files, 0) < 0) {
                r = open_whole(ret, dir);
                if (r < 0)
                        return r;
        } else if (ret_files) {
                *ret_files = (unsigned) n;
        }
        if (ret_unreadable)
                *ret_unreadable = TAKE_PTR(unreadable);
        return 0;
}

/* Whether an entry of the open files holds match: 1, 0, or 1 when it cannot
 * be told. Leaves match as the journal's only one. */
static int files_hold(sd_journal *j, const char *match, struct journal_trim *t)
{
        int r;

        sd_journal_flush_matches(j);
        r = sd_journal_add_match(j, match, 0);
        if (r < 0)
                return r == -ENOMEM ? r : 1;
        /* the head: the first entry of the match's entry array in each file, no bisection */
        r = sd_journal_seek_head(j);
        if (r >= 0)
                r = sd_journal_next(j);
        if (t)
                journal_trim_check(t);
        return r < 0 ? 1 : r > 0;
}

int journal_holds(sd_journal *j, const char *const *matches, size_t n, struct journal_trim *t,
                  uint32_t *ret_held)
{
        uint32_t held = 0;

        if (n > 32)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                int r = files_hold(j, matches[i], t);

                if (r < 0) {
                        sd_journal_flush_matches(j);
                        return r;
                }
                if (r > 0)
                        held |= UINT32_C(1) << i;
        }
        sd_journal_flush_matches(j);
        *ret_held = held;
        return 0;
}

int journal_add_matches(sd_journal *j, const char *const *matches, size_t n, uint32_t which)
{
        int added = 0;

        for (size_t i = 0; i < n && i < 32; i++) {
                int r;

                if (!(which & (UINT32_C(1) << i)))
                        continue;
                /* a term of its own (nothing when no match came before) */
                r = sd_journal_add_disjunction(j);
                if (r >= 0)
                        r = sd_journal_add_match(j, matches[i], 0);
                if (r < 0)
                        return r;
                added++;
        }
        return added;
}

#endif
