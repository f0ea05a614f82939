/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing (agent/cli/args.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc-util.h"
#include "cli/args.h"
#include "fd-util.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

enum run_mode arg_mode = MODE_COLLECT;
char *arg_ticket_key;
char *arg_output;
char *arg_since;
char *arg_until;
char *arg_root;
char *arg_journal_dir;
char *arg_config;
char *arg_policy_dir;
char *arg_state_dir;
char *arg_spool_dir;
char *arg_environment;
char *arg_product;
char *arg_summary;
char *arg_description;
char *arg_steps;
char *arg_impact;
enum request_type arg_type = REQUEST_INCIDENT;
enum tristate arg_workaround = TRISTATE_UNKNOWN;
enum severity arg_severity = _SEVERITY_INVALID;
bool arg_allow_incomplete;
bool arg_mask;
char **arg_share;
bool arg_dry_run;
bool arg_yes;
bool arg_json;
char *arg_listen;
int arg_verbosity;
char **arg_positional;
bool arg_help;

#define TEXT_ARG_MAX (256 * 1024)

void args_help(void)
{
        printf("Usage:\n"
               "  collect [OPTIONS]                    collect a bundle\n"
               "  collect --open-ticket [OPTIONS]      collect, check, suggest severity, open a ticket\n"
               "  collect --ticket KEY [OPTIONS]       collect and attach the bundle to ticket KEY\n"
               "  collect snapshot                     record a configuration snapshot\n"
               "  collect check BUNDLE                 re-run the checklist and severity on a bundle\n"
               "  collect spool list|flush|drop ID     submissions waiting to be sent\n"
               "  collect portal test|desks|types|fields   check credentials, discover the portal\n"
               "  collect policy check [FILE...]       validate policy files\n"
               "  collect hook coredump|unit-failure UNIT|alertmanager   monitoring entry points\n"
               "  collect watch [--listen 127.0.0.1:PORT]   follow the journal (and webhooks)\n"
               "  collect poll             answer `/collect` comments on open requests once\n"
               "\n"
               "Options:\n"
               "  -o, --output PATH        directory or .tar.gz path (default: current directory)\n"
               "      --since WHEN         window start: 90m, 24h, 7d or ISO 8601 (default: 24h)\n"
               "      --until WHEN         window end (default: now)\n"
               "      --root DIR           read the host's files under DIR instead of /\n"
               "      --journal-dir DIR    read journal files from DIR\n"
               "      --config FILE        agent configuration (default /etc/collect/collect.yaml)\n"
               "      --policy-dir DIR     extra policy directory, highest precedence\n"
               "      --state-dir DIR      default /var/lib/collect\n"
               "      --spool-dir DIR      default /var/spool/collect\n"
               "      --environment NAME   production, staging, ...\n"
               "      --product NAME       the product or service affected\n"
               "      --summary TEXT       ticket summary (@FILE reads a file)\n"
               "      --description TEXT   ticket description (@FILE)\n"
               "      --steps TEXT         steps to reproduce (@FILE)\n"
               "      --impact TEXT        impact description (@FILE)\n"
               "      --type incident|question   kind of request (default incident)\n"
               "      --workaround yes|no  whether a viable workaround exists\n"
               "      --severity P1..P4    your own choice; the suggestion is still shown\n"
               "      --allow-incomplete   file even though required items are missing\n"
               "      --mask               replace host names, addresses, users with pseudonyms\n"
               "      --share ID           share the request with a colleague (repeatable)\n"
               "      --dry-run            do everything except writes to the portal\n"
               "      --yes                no prompts (required to file from a non-terminal)\n"
               "      --json               print one JSON result object on stdout\n"
               "      --listen ADDR:PORT   (watch) Alertmanager webhooks on a loopback address\n"
               "  -q, --quiet              quieter\n"
               "  -v, --verbose            more verbose\n"
               "  -h, --help               show this help\n"
               "      --version            show the version\n"
               "\n"
               "'collect VERB --help' describes one verb and the options it takes.\n"
               "\n"
               "Exit codes: 0 done, 64 usage, 65 not fit to file, 66 input missing, 73 output\n"
               "cannot be created, 75 spooled for retry, 77 credentials or permission, 78\n"
               "configuration or policy error, 1 other failure, 129/130/143 stopped by\n"
               "SIGHUP/SIGINT/SIGTERM (temporary files removed).\n");
}

/* A Jira issue key: project key (letters, digits, '_'; starting with a letter) '-' number. */
static bool ticket_key_valid(const char *k)
{
        const char *p = k;

        if (!k || !isupper((unsigned char) *p))
                return false;
        while (isupper((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '_')
                p++;
        if (*p++ != '-' || !isdigit((unsigned char) *p))
                return false;
        while (isdigit((unsigned char) *p))
                p++;
        return *p == 0 && p - k <= 64;
}

/* "@FILE" reads the file (bounded, regular files only); anything else is taken as it is. */
static int text_arg(const char *opt, const char *value, char **ret)
{
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        ssize_t n;

        if (value[0] != '@') {
                data = xstrdup(value);
                if (!data)
                        return log_oom();
                goto done;
        }
        fd = open(value + 1, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                log_error_errno(errno, "%s: cannot read '%s': %m", opt, value + 1);
                return -ENOENT;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                log_error("%s: '%s' is not a regular file", opt, value + 1);
                return -ENOENT;
        }
        data = xmalloc(TEXT_ARG_MAX + 1);
        if (!data)
                return log_oom();
        n = loop_read(fd, data, TEXT_ARG_MAX);
        if (n < 0) {
                log_error_errno((int) n, "%s: cannot read '%s': %m", opt, value + 1);
                return -ENOENT;
        }
        data[n] = 0;
done:
        free(*ret);
        *ret = TAKE_PTR(data);
        return 0;
}

static int set_string(char **p, const char *v)
{
        char *s = xstrdup(v);

        if (!s)
                return log_oom();
        free(*p);
        *p = s;
        return 0;
}

/* ---- the option table: what each option is, and which verbs take it ---- */

enum {
        V_COLLECT = 1 << 0, /* no verb: collect, --open-ticket, --ticket */
        V_HOOK = 1 << 1,
        V_WATCH = 1 << 2,
        V_SNAPSHOT = 1 << 3,
        V_CHECK = 1 << 4,
        V_SPOOL = 1 << 5,
        V_PORTAL = 1 << 6,
        V_POLICY = 1 << 7,
        V_POLL = 1 << 8,
        V_ALL = 0x1ff,
        V_RUN = V_COLLECT | V_HOOK,        /* what a collection is made of */
        V_DIRS = V_RUN | V_WATCH | V_POLL, /* passed on by watch to its hooks and polls */
        V_CONFIG = V_DIRS | V_CHECK | V_SPOOL | V_PORTAL,
        V_INPUT = V_COLLECT | V_CHECK, /* what a person states */
};

enum {
        ARG_SINCE = 0x100,
        ARG_UNTIL,
        ARG_ROOT,
        ARG_JOURNAL_DIR,
        ARG_CONFIG,
        ARG_POLICY_DIR,
        ARG_STATE_DIR,
        ARG_SPOOL_DIR,
        ARG_ENVIRONMENT,
        ARG_PRODUCT,
        ARG_SUMMARY,
        ARG_DESCRIPTION,
        ARG_STEPS,
        ARG_IMPACT,
        ARG_TYPE,
        ARG_WORKAROUND,
        ARG_SEVERITY,
        ARG_ALLOW_INCOMPLETE,
        ARG_MASK,
        ARG_SHARE,
        ARG_DRY_RUN,
        ARG_YES,
        ARG_JSON,
        ARG_OPEN_TICKET,
        ARG_TICKET,
        ARG_VERSION,
        ARG_LISTEN,
};

struct opt_def {
        const char *name;
        int has_arg;
        int val;
        unsigned scope;
        char **string; /* a plain string option's variable */
        bool text;     /* ... which may be @FILE */
        bool *flag;    /* a switch's variable */
        const char *help;
};

static const struct opt_def opt_defs[] = {
        { "output", required_argument, 'o', V_DIRS, &arg_output, false, NULL,
          "-o, --output PATH        directory or .tar.gz path" },
        { "since", required_argument, ARG_SINCE, V_RUN, &arg_since, false, NULL,
          "    --since WHEN         window start: 90m, 24h, 7d or ISO 8601" },
        { "until", required_argument, ARG_UNTIL, V_RUN, &arg_until, false, NULL,
          "    --until WHEN         window end (default: now)" },
        { "root", required_argument, ARG_ROOT, V_DIRS | V_SNAPSHOT, &arg_root, false, NULL,
          "    --root DIR           read the host's files under DIR instead of /" },
        { "journal-dir", required_argument, ARG_JOURNAL_DIR, V_DIRS, &arg_journal_dir, false, NULL,
          "    --journal-dir DIR    read journal files from DIR" },
        { "config", required_argument, ARG_CONFIG, V_CONFIG, &arg_config, false, NULL,
          "    --config FILE        agent configuration (default /etc/collect/collect.yaml)" },
        { "policy-dir", required_argument, ARG_POLICY_DIR, V_DIRS | V_SNAPSHOT | V_CHECK | V_POLICY,
          &arg_policy_dir, false, NULL,
          "    --policy-dir DIR     extra policy directory, highest precedence" },
        { "state-dir", required_argument, ARG_STATE_DIR, V_DIRS | V_SNAPSHOT | V_SPOOL,
          &arg_state_dir, false, NULL, "    --state-dir DIR      default /var/lib/collect" },
        { "spool-dir", required_argument, ARG_SPOOL_DIR, V_DIRS | V_SPOOL, &arg_spool_dir, false,
          NULL, "    --spool-dir DIR      default /var/spool/collect" },
        { "environment", required_argument, ARG_ENVIRONMENT, V_INPUT, &arg_environment, false, NULL,
          "    --environment NAME   production, staging, ..." },
        { "product", required_argument, ARG_PRODUCT, V_INPUT, &arg_product, false, NULL,
          "    --product NAME       the product or service affected" },
        { "summary", required_argument, ARG_SUMMARY, V_RUN, &arg_summary, true, NULL,
          "    --summary TEXT       ticket summary (@FILE reads a file)" },
        { "description", required_argument, ARG_DESCRIPTION, V_COLLECT, &arg_description, true,
          NULL, "    --description TEXT   ticket description (@FILE)" },
        { "steps", required_argument, ARG_STEPS, V_INPUT, &arg_steps, true, NULL,
          "    --steps TEXT         steps to reproduce (@FILE)" },
        { "impact", required_argument, ARG_IMPACT, V_INPUT, &arg_impact, true, NULL,
          "    --impact TEXT        impact description (@FILE)" },
        { "type", required_argument, ARG_TYPE, V_INPUT, NULL, false, NULL,
          "    --type incident|question   kind of request (default incident)" },
        { "workaround", required_argument, ARG_WORKAROUND, V_INPUT, NULL, false, NULL,
          "    --workaround yes|no  whether a viable workaround exists" },
        { "severity", required_argument, ARG_SEVERITY, V_INPUT, NULL, false, NULL,
          "    --severity P1..P4    your own choice; the suggestion is still shown" },
        { "allow-incomplete", no_argument, ARG_ALLOW_INCOMPLETE, V_COLLECT, NULL, false,
          &arg_allow_incomplete,
          "    --allow-incomplete   file even though required items are missing" },
        { "mask", no_argument, ARG_MASK, V_RUN, NULL, false, &arg_mask,
          "    --mask               replace host names, addresses, users with pseudonyms" },
        { "share", required_argument, ARG_SHARE, V_RUN, NULL, false, NULL,
          "    --share ID           share the request with a colleague (repeatable)" },
        { "dry-run", no_argument, ARG_DRY_RUN, V_RUN | V_POLL, NULL, false, &arg_dry_run,
          "    --dry-run            do everything except writes to the portal" },
        { "yes", no_argument, ARG_YES, V_COLLECT, NULL, false, &arg_yes,
          "    --yes                no prompts (required to file from a non-terminal)" },
        { "json", no_argument, ARG_JSON, V_ALL, NULL, false, &arg_json,
          "    --json               print one JSON result object on stdout" },
        { "listen", required_argument, ARG_LISTEN, V_WATCH, &arg_listen, false, NULL,
          "    --listen ADDR:PORT   Alertmanager webhooks on a loopback address" },
        { "open-ticket", no_argument, ARG_OPEN_TICKET, V_COLLECT, NULL, false, NULL,
          "    --open-ticket        collect, check, suggest severity, open a ticket" },
        { "ticket", required_argument, ARG_TICKET, V_COLLECT, NULL, false, NULL,
          "    --ticket KEY         attach the bundle to ticket KEY" },
        { "quiet", no_argument, 'q', V_ALL, NULL, false, NULL, "-q, --quiet              quieter" },
        { "verbose", no_argument, 'v', V_ALL, NULL, false, NULL,
          "-v, --verbose            more verbose" },
        { "help", no_argument, 'h', V_ALL, NULL, false, NULL,
          "-h, --help               show this help" },
        { "version", no_argument, ARG_VERSION, V_ALL, NULL, false, NULL, NULL },
};

#define N_OPTS ELEMENTSOF(opt_defs)

static const struct {
        const char *name;
        unsigned scope;
        const char *usage;
} verb_defs[] = {
        { "check", V_CHECK,
          "collect check BUNDLE [OPTIONS]\n\n"
          "Re-runs the checklist and the severity suggestion on a bundle; what you state\n"
          "now (--steps, --impact, ...) overrides what the bundle recorded.\n" },
        { "hook", V_HOOK,
          "collect hook coredump|unit-failure UNIT|alertmanager [OPTIONS]\n\n"
          "Monitoring entry points: one problem, one ticket; later occurrences comment on\n"
          "it; a storm is counted, not filed. Bundles are kept in <state>/bundles unless\n"
          "--output says otherwise. alertmanager reads the webhook payload on stdin.\n" },
        { "policy", V_POLICY,
          "collect policy check [FILE...]\n\n"
          "Validates the policy (shipped, drop-ins, --policy-dir) and the files named.\n" },
        { "poll", V_POLL,
          "collect poll [OPTIONS]\n\n"
          "One pass over the open requests: a '/collect' comment by an allowed author is\n"
          "answered once with a bundle on that request (remote_requests in collect.yaml).\n" },
        { "portal", V_PORTAL,
          "collect portal test|desks|types|fields [OPTIONS]\n\n"
          "Checks the credentials and discovers the service desk, request types, fields.\n" },
        { "snapshot", V_SNAPSHOT,
          "collect snapshot [OPTIONS]\n\n"
          "Records a configuration snapshot (run by a timer), the base of later diffs.\n" },
        { "spool", V_SPOOL,
          "collect spool list|flush|drop ID [OPTIONS]\n\n"
          "Submissions waiting to be sent: list them, send them now, or drop one.\n" },
        { "watch", V_WATCH,
          "collect watch [--listen 127.0.0.1:PORT] [OPTIONS]\n\n"
          "Service mode: follows the journal for crashes and failed units and receives\n"
          "Alertmanager webhooks; each event runs 'collect hook' with the same options.\n" },
};

static unsigned verb_scope(const char *verb)
{
        if (!verb)
                return V_COLLECT;
        for (size_t i = 0; i < ELEMENTSOF(verb_defs); i++)
                if (streq(verb_defs[i].name, verb))
                        return verb_defs[i].scope;
        return V_ALL; /* an unknown verb is reported as such later */
}

static void verb_help(const char *verb)
{
        unsigned scope = verb_scope(verb);

        for (size_t i = 0; i < ELEMENTSOF(verb_defs); i++)
                if (streq(verb_defs[i].name, verb))
                        printf("Usage: %s\nOptions:\n", verb_defs[i].usage);
        for (size_t i = 0; i < N_OPTS; i++)
                if ((opt_defs[i].scope & scope) && opt_defs[i].help)
                        printf("  %s\n", opt_defs[i].help);
}

/* --type, --workaround, --severity. */
static int parse_choice(int val, const char *v)
{
        bool b;

        if (val == ARG_TYPE) {
                arg_type = request_type_from_string(v);
                if (arg_type == REQUEST_INCIDENT || arg_type == REQUEST_QUESTION)
                        return 0;
                log_error("--type: expected 'incident' or 'question', not '%s'", v);
        } else if (val == ARG_WORKAROUND) {
                if (parse_boolean(v, &b) >= 0) {
                        arg_workaround = b ? TRISTATE_YES : TRISTATE_NO;
                        return 0;
                }
                log_error("--workaround: expected 'yes' or 'no', not '%s'", v);
        } else {
                arg_severity = severity_from_string(v);
                if (arg_severity >= 0)
                        return 0;
                log_error("--severity: expected P1, P2, P3 or P4, not '%s'", v);
        }
        return -EINVAL;
}

static int parse_mode(int val, const char *v)
{
        if (arg_mode != MODE_COLLECT &&
            arg_mode != (val == ARG_TICKET ? MODE_ATTACH : MODE_OPEN_TICKET)) {
                log_error("--open-ticket and --ticket cannot be combined");
                return -EINVAL;
        }
        if (val == ARG_OPEN_TICKET) {
                arg_mode = MODE_OPEN_TICKET;
                return 0;
        }
        if (!ticket_key_valid(v)) {
                log_error("--ticket: '%s' is not a ticket key such as SUP-123", v);
                return -EINVAL;
        }
        arg_mode = MODE_ATTACH;
        return set_string(&arg_ticket_key, v);
}

/* The options that are neither strings nor switches. 1 when done (--version). */
static int parse_special(int val, const char *v)
{
        switch (val) {
        case ARG_TYPE:
        case ARG_WORKAROUND:
        case ARG_SEVERITY:
                return parse_choice(val, v);
        case ARG_OPEN_TICKET:
        case ARG_TICKET:
                return parse_mode(val, v);
        case ARG_SHARE:
                if (isempty(v)) {
                        log_error("--share: empty ID");
                        return -EINVAL;
                }
                return strv_extend(&arg_share, v) < 0 ? log_oom() : 0;
        case 'q':
                arg_verbosity = -1;
                return 0;
        case 'v':
                arg_verbosity++;
                return 0;
        case 'h':
                arg_help = true;
                return 0;
        default: /* ARG_VERSION */
                printf("collect %s\n", COLLECT_VERSION);
                return 1;
        }
}

static int parse_one(const struct opt_def *d, const char *v)
{
        if (d->string)
                return d->text ? text_arg(d->name, v, d->string) : set_string(d->string, v);
        if (d->flag) {
                *d->flag = true;
                return 0;
        }
        return parse_special(d->val, v);
}

static int usage_error(int c, char *argv[])
{
        if (c == ':')
                log_error("option '%s' needs a value", argv[optind - 1]);
        else if (optopt && optopt < 0x100 && optopt != '?')
                log_error("unknown option '-%c' (see collect --help)", optopt);
        else
                log_error("unknown option '%s' (see collect --help)", argv[optind - 1]);
        return -EINVAL;
}

/* Every option given must apply to the verb (exit 64 otherwise). */
static int check_scope(const bool *seen)
{
        const char *verb = arg_positional ? arg_positional[0] : NULL;
        unsigned scope = verb_scope(verb);

        for (size_t i = 0; i < N_OPTS; i++)
                if (seen[i] && !(opt_defs[i].scope & scope)) {
                        log_error("option '--%s' does not apply to 'collect%s%s' (see 'collect "
                                  "%s%s--help')",
                                  opt_defs[i].name, verb ? " " : "", verb ? verb : "",
                                  verb ? verb : "", verb ? " " : "");
                        return -EINVAL;
                }
        return 0;
}

int args_parse(int argc, char *argv[])
{
        struct option options[N_OPTS + 1] = {};
        bool seen[N_OPTS] = {};
        int c, r = 0;

        for (size_t i = 0; i < N_OPTS; i++)
                options[i] = (struct option) { opt_defs[i].name, opt_defs[i].has_arg, NULL,
                                               opt_defs[i].val };
        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, ":o:qvh", options, NULL)) >= 0) {
                size_t i = 0;

                while (i < N_OPTS && opt_defs[i].val != c)
                        i++;
                if (i == N_OPTS)
                        return usage_error(c, argv);
                seen[i] = true;
                r = parse_one(&opt_defs[i], optarg);
                if (r != 0)
                        return r > 0 ? 0 : r;
        }
        for (int i = optind; i < argc; i++)
                if (strv_extend(&arg_positional, argv[i]) < 0)
                        return log_oom();
        if (arg_help) {
                if (arg_positional && arg_positional[0] && verb_scope(arg_positional[0]) != V_ALL)
                        verb_help(arg_positional[0]);
                else
                        args_help();
                return 0;
        }
        return check_scope(seen) < 0 ? -EINVAL : 1;
}

void args_done(void)
{
        char **strings[] = {
                &arg_ticket_key,  &arg_output,  &arg_since,      &arg_until,       &arg_root,
                &arg_journal_dir, &arg_config,  &arg_policy_dir, &arg_state_dir,   &arg_spool_dir,
                &arg_environment, &arg_product, &arg_summary,    &arg_description, &arg_steps,
                &arg_impact,      &arg_listen,
        };

        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                *strings[i] = mfree(*strings[i]);
        arg_share = strv_free(arg_share);
        arg_positional = strv_free(arg_positional);
}
