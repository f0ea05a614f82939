/* SPDX-License-Identifier: MIT */
/*
 * One collection as a library call: collect_run(request, result). The CLI,
 * `collect hook`, `collect watch` and remote requests each build a request;
 * the result holds everything a caller prints. The stages: prepare, run the
 * collectors, analyse, finish the bundle, leak check, file or draft. Exit
 * codes are the CLI's business: the result says only which class of outcome.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "analysis/checklist.h"
#include "analysis/report.h"
#include "analysis/severity.h"
#include "macro.h"
#include "policy/policy.h"
#include "policy/site-config.h"
#include "time-util.h"

#define COLLECT_DEFAULT_STATE_DIR "/var/lib/collect"
#define COLLECT_DEFAULT_SPOOL_DIR "/var/spool/collect"

/* The class of an outcome; the CLI maps it to an exit code. */
enum collect_status {
        COLLECT_OK,
        COLLECT_USAGE,         /* a bad request (window, options) */
        COLLECT_NOT_FIT,       /* not fit to file: checklist, leak check, prompt aborted */
        COLLECT_NO_INPUT,      /* an input file or directory is missing */
        COLLECT_CANT_CREATE,   /* the output (bundle, state, spool) cannot be created */
        COLLECT_SPOOLED,       /* the portal is unreachable: spooled for retry */
        COLLECT_NO_PERMISSION, /* the portal refused the credentials or permission */
        COLLECT_CONFIG,        /* configuration, policy or credentials error */
        COLLECT_FAILED,        /* anything else */
        COLLECT_INTERRUPTED,   /* stopped by a signal (result.signal) */
        _COLLECT_STATUS_MAX,
};

/* Why a run or a verb failed: a message (never a secret) and the file it names. */
struct collect_error {
        enum collect_status status;
        char *message;
        char *path; /* may be NULL */
};

void collect_error_done(struct collect_error *e);

/* Logs the message and records it (the first one wins). Returns -error, or
 * -EIO when error is 0. */
int collect_error_set(struct collect_error *e, enum collect_status st, int error, const char *path,
                      const char *fmt, ...) _printf_(5, 6);

enum collect_mode {
        COLLECT_MODE_BUNDLE,      /* collect [OPTIONS] */
        COLLECT_MODE_OPEN_TICKET, /* --open-ticket */
        COLLECT_MODE_ATTACH,      /* --ticket KEY */
};

/* Where configuration, policy and state live; NULL fields take the defaults. */
struct collect_dirs {
        const char *config; /* NULL: $COLLECT_CONFIG, else /etc/collect/collect.yaml */
        const char *policy_dir;
        const char *state_dir;
        const char *spool_dir;
};

/* What the prompt may change: the checklist and severity are re-evaluated after. */
typedef int (*collect_prompt_fn)(struct report *r, const struct checklist_result *cl,
                                 const struct severity_result *sev, struct user_input *u);

struct collect_result;

struct collect_request {
        const struct policy *policy; /* loaded by the caller (its schema is the program's) */
        enum collect_mode mode;
        const char *ticket_key;    /* COLLECT_MODE_ATTACH */
        const char *comment_intro; /* COLLECT_MODE_ATTACH: first paragraph of the comment */
        usec_t since, until;       /* the window */
        const char *root;          /* NULL: "/" */
        const char *journal_dir;   /* NULL: the system journal */
        const char *output;        /* directory or .tar.gz path; NULL: see keep_in_state */
        struct collect_dirs dirs;
        const char *environment, *product, *summary, *description, *steps, *impact;
        enum request_type type;
        enum tristate workaround;
        enum severity severity; /* _SEVERITY_INVALID: the person chose none */
        char **share;
        bool allow_incomplete, mask, dry_run, yes;
        bool interactive;           /* a person at a terminal (prompts, confirmation) */
        bool keep_in_state;         /* hooks, remote requests: no output means <state>/bundles */
        const char *problem_marker; /* monitoring: see struct ticket_job */
        const struct finding *findings; /* monitoring: evidence the event itself gives */
        size_t n_findings;
        /* Observers, each may be NULL. */
        void (*on_collector)(const char *name, const struct collector_status *done);
        void (*on_bytes)(uint64_t total);
        collect_prompt_fn prompt; /* asks for what only a person knows */
        /* After the prompt, items still missing: 0 file what was given, 1 keep it as a draft
         * (the outbox), -ECANCELED file nothing. */
        int (*incomplete)(const struct checklist_result *cl);
        void (*on_bundle)(const struct collect_result *res); /* before filing */
};

struct collect_result {
        enum collect_status status;
        int signal; /* COLLECT_INTERRUPTED: SIGTERM, SIGINT, SIGHUP */
        struct collect_error error;
        char *bundle_path; /* NULL: no bundle */
        uint64_t bundle_bytes;
        char bundle_sha256[65];
        usec_t duration;
        struct report report;
        struct checklist_result checklist;
        struct severity_result severity;
        bool evaluated;     /* checklist and severity are valid */
        json_t *redaction;  /* {replacements, by_rule, ...} */
        json_t *ticket;     /* DESIGN.md ticket object, NULL: action none */
        json_t *leak_check; /* {hits: [...], seconds, quarantine} */
        char *ticket_key;   /* the ticket created or updated, if any */
};

void collect_result_done(struct collect_result *r);

/* Runs one collection. 0 when it did what was asked; -errno otherwise, with
 * ret->status and ret->error saying why. ret must be zeroed by the caller. */
int collect_run(const struct collect_request *req, struct collect_result *ret);

/* Shared setup, also for the verbs that do not collect. Each returns 0 or
 * -errno with *err filled. (The policy is loaded by the caller: its schema
 * names every layer, so it lives in cli/policy-load.c.) */
int collect_load_config(const struct collect_dirs *d, struct config *c, struct collect_error *err);
/* The state directory, created 0700; without an explicit one, falls back to
 * a per-user directory when the default cannot be written. */
int collect_state_dir(const struct collect_dirs *d, char **ret, struct collect_error *err);
const char *collect_spool_dir(const struct collect_dirs *d);

/* Parses --since/--until ("90m", ISO 8601): until defaults to now, since to
 * until minus default_span. COLLECT_USAGE on a bad value. */
int collect_parse_window(const char *since, const char *until, usec_t default_span,
                         usec_t *ret_since, usec_t *ret_until, struct collect_error *err);

/* Replaces a stated value: the command line wins, then what is already there,
 * then the configuration. 0 or -ENOMEM. */
int collect_set_input(char **field, enum input_source *source, const char *cli, const char *config);

/* The checklist and severity for report; 0 or -errno (logged). */
int collect_evaluate(const struct policy *pol, struct report *rep, struct checklist_result *cl,
                     struct severity_result *sev);
