/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing (getopt_long) into arg_* globals, after systemd's
 * "Command Line" rules: a usage error names the bad option, no help dump.
 */
#pragma once

#include <stdbool.h>

#include "analysis/report.h"
#include "time-util.h"

enum run_mode {
        MODE_COLLECT,     /* collect [OPTIONS] */
        MODE_OPEN_TICKET, /* --open-ticket */
        MODE_ATTACH,      /* --ticket KEY */
};

extern enum run_mode arg_mode;
extern char *arg_ticket_key;
extern char *arg_output;
extern char *arg_since;
extern char *arg_until;
extern char *arg_root;
extern char *arg_journal_dir;
extern char *arg_config;
extern char *arg_policy_dir;
extern char *arg_state_dir;
extern char *arg_spool_dir;
extern char *arg_environment;
extern char *arg_product;
extern char *arg_summary;
extern char *arg_description;
extern char *arg_steps;
extern char *arg_impact;
extern enum request_type arg_type;
extern enum tristate arg_workaround;
extern enum severity arg_severity;
extern bool arg_allow_incomplete;
extern bool arg_mask;
extern char **arg_share;
extern bool arg_dry_run;
extern bool arg_yes;
extern bool arg_json;
extern char *arg_listen;      /* watch: Alertmanager webhooks on a loopback address */
extern int arg_verbosity;     /* -1 quiet, 0 normal, 1+ verbose */
extern char **arg_positional; /* verb and its arguments */
extern bool arg_help;

/*
 * Parses argv. Returns 1 to go on, 0 when done (--help, --version printed;
 * `collect VERB --help` describes that verb), or -EINVAL after printing the
 * usage error (exit 64: also an option that does not apply to the verb),
 * -ENOENT when an @FILE argument cannot be read (exit 66).
 */
int args_parse(int argc, char *argv[]);

/* Frees the globals. */
void args_done(void);

/* Prints the help text to stdout. */
void args_help(void);
