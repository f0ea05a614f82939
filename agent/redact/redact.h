/* SPDX-License-Identifier: MIT */
/*
 * The redactor: rules from policies/redaction.yaml applied to every byte that
 * enters a bundle, streaming, in bounded memory. Secret values become
 * "[REDACTED:<rule>]" (the key is kept); with masking on, host names,
 * addresses, user names and e-mail addresses become consistent pseudonyms.
 * Non-logging above debug.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "litscan.h"
#include "macro.h"
#include "policy/pnode.h"

struct redactor;
struct redact_stream;

/*
 * Compiles the rules of the "redaction" policy section (NULL: built-in
 * defaults only). -EINVAL with a located *ret_error on a bad rule (e.g. a
 * regex that does not compile names its file:line:column), -ENOMEM.
 */
int redactor_new(const struct pnode *section, struct redactor **ret, char **ret_error);
struct redactor *redactor_free(struct redactor *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct redactor *, redactor_free);

/* Validates a "redaction" section without keeping anything (policy check). */
int redactor_check_policy(const struct pnode *section, char **ret_error);

/*
 * Turns on masking (--mask): the pseudonym map is loaded from and saved to
 * map_path (mode 0600; created if missing) so that the same value maps to the
 * same pseudonym across runs. hostnames are the host's own names and the
 * policy's list. 0 or -errno.
 */
int redactor_enable_mask(struct redactor *r, const char *map_path, char *const *hostnames);

/* Adds user names to mask (e.g. the accounts with uid >= 1000 of the host's
 * /etc/passwd); the policy's keep_users are never masked. 0 or -errno. */
int redactor_mask_add_users(struct redactor *r, char *const *users);

/* Saves the pseudonym map (if masking is on). 0 or -errno. */
int redactor_save_mask(struct redactor *r);

/* Output callback: receives redacted bytes, normally one whole line (with
 * its '\n') per call. A negative return stops the stream with that error. */
typedef int (*redact_write_fn)(void *userdata, const char *data, size_t len);

/*
 * Starts redacting one bundle member. Counts are kept per member. When data
 * fed ends with '\n', all output for those complete lines has been delivered
 * before redact_stream_feed() returns, except lines held back inside a
 * multi-line secret (a PEM block), which are delivered redacted once the block
 * ends or the stream finishes.
 */
int redact_stream_new(struct redactor *r, const char *member, redact_write_fn write, void *userdata,
                      struct redact_stream **ret);
int redact_stream_feed(struct redact_stream *rs, const char *data, size_t len);
/* redact_stream_feed() of line[0, len] where line[len] is its '\n' (it is
 * in the text fed): one line, taken where it is when nothing is pending. */
int redact_stream_feed_line(struct redact_stream *rs, const char *line, size_t len);
/* Flushes what is held (an unfinished line, an open PEM block: redacted). */
int redact_stream_finish(struct redact_stream *rs);
/* True when the content looked binary (NUL bytes, mostly invalid UTF-8): the
 * stream then passed nothing through, and the caller should skip the member. */
bool redact_stream_binary(const struct redact_stream *rs);
struct redact_stream *redact_stream_free(struct redact_stream *rs);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct redact_stream *, redact_stream_free);

/*
 * The words of another client (the error extraction, a collector) join the
 * one scan every line gets for the rules' hints. redactor_words_set() gives
 * a set of the scan of its own (1..LITSCAN_SETS-1; set 0 is the rules'), or
 * -ENOSPC when none is left (the client then scans lines itself).
 * redactor_add_words() adds words[i] (a NULL-terminated list,
 * LITSCAN_MIN..LITSCAN_MAX bytes each, flags as litscan_add()) with bit
 * first + i of set. Only on the thread that feeds the streams (the table
 * grows). 0, -EINVAL, -ENOMEM.
 */
int redactor_words_set(struct redactor *r);
int redactor_add_words(struct redactor *r, int set, unsigned first, const char *const *words,
                       unsigned flags);

/*
 * Inside the write callback: true when the data being written is one whole
 * line exactly as it was fed (nothing redacted in it, not a piece of a long
 * line), and then masks gets the words found in it, every set (see
 * redactor_add_words()). False otherwise: the caller scans the data itself.
 */
bool redact_stream_emit_words(const struct redact_stream *rs, uint64_t *masks);

/*
 * The scans of whole lines as they were fed (before redaction): a counter
 * that grows with each, and the length and masks of the last (either pointer
 * may be NULL). A caller that fed one line of n bytes and sees the counter
 * grow by exactly one, with length n, has that line's words without
 * scanning it again.
 */
uint64_t redact_stream_line_words(const struct redact_stream *rs, size_t *ret_len, uint64_t *masks);

/* Redacts a whole buffer at once into a newly allocated string (NUL-terminated).
 * -EMEDIUMTYPE when the content is binary. */
int redact_buffer(struct redactor *r, const char *member, const char *data, size_t len, char **ret,
                  size_t *ret_len);

/* Totals. */
uint64_t redactor_replacements(const struct redactor *r);

/*
 * The content of redaction.json: {"replacements": N, "by_rule": {rule: N},
 * "by_member": {member: {rule: N}}, "skipped": [{"path", "reason"}],
 * "masking": bool}. Never a value. New reference or NULL on OOM.
 */
json_t *redactor_report(const struct redactor *r);

/* Records a file that was never collected because the policy forbids it. */
int redactor_note_skipped(struct redactor *r, const char *path, const char *reason);

/*
 * The leak check: a separate pass over a finished bundle with detectors that
 * are not the redaction rules (known token prefixes, high-entropy strings next
 * to secret words, PEM private-key headers). Returns 0 when clean, > 0 (the
 * number of hits) when something was found, -errno on a read error. *ret_hits
 * gets a JSON array of {"member", "line", "detector"} — never the value.
 */
int leakcheck_bundle(const char *bundle_path, json_t **ret_hits);

/*
 * The same check streamed: the bundle writer hands each member's name and
 * bytes over as they enter the archive, and a thread of the check's own scans
 * them (memory bounded: a few 64 KiB chunks; the writer waits when the check
 * lags). leakcheck_sync() waits until everything handed over is scanned and
 * returns like leakcheck_bundle(); more members may follow it.
 */
struct leakcheck;
struct leakcheck_stats {
        uint64_t bytes; /* content bytes scanned */
        uint64_t members;
        uint64_t cpu; /* CPU time of the check's thread, microseconds */
};

int leakcheck_new(struct leakcheck **ret);
/* A member starts (its full name, checked like a line). 0 or -ENOMEM (the
 * check then fails at the next leakcheck_sync()). */
int leakcheck_member(struct leakcheck *lc, const char *name);
/* Content of the current member, in order. */
void leakcheck_feed(struct leakcheck *lc, const void *data, size_t len);
/* A member whose bytes may come between those of other members (one being
 * staged while others are archived): a stream id > 0, or -EMFILE when all are
 * in use, -ENOMEM. With digest, the check's thread, which reads every byte
 * anyway, also computes the member's SHA-256 (off the caller's thread). The
 * calls may come from any thread. */
int leakcheck_open(struct leakcheck *lc, const char *name, bool digest);
void leakcheck_write(struct leakcheck *lc, int id, const void *data, size_t len);
/* The member ends; with discard its hits are dropped (it is checked again as
 * another member, for example once cut). With hex (opened with digest), waits
 * until the thread has read the member (it is at most a few chunks behind)
 * and gives its SHA-256. 0 or -errno. */
int leakcheck_close(struct leakcheck *lc, int id, bool discard, char *hex);
/* Hits so far (> 0), 0 when clean, -errno when the check could not run. */
int leakcheck_sync(struct leakcheck *lc, json_t **ret_hits, struct leakcheck_stats *ret_stats);
struct leakcheck *leakcheck_free(struct leakcheck *lc);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct leakcheck *, leakcheck_free);
