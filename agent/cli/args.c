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
               "Exit codes: 0 done, 64 usage, 65 not fit to file, 66 input missing, 73 output\n"
               "cannot be created, 75 spooled for retry, 77 credentials or permission, 78\n"
               "configuration or policy error, 1 other failure.\n");
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

int args_parse(int argc, char *argv[])
{
        enum {
                ARG_SINCE = 0x100, ARG_UNTIL, ARG_ROOT, ARG_JOURNAL_DIR, ARG_CONFIG,
                ARG_POLICY_DIR, ARG_STATE_DIR, ARG_SPOOL_DIR, ARG_ENVIRONMENT, ARG_PRODUCT,
                ARG_SUMMARY, ARG_DESCRIPTION, ARG_STEPS, ARG_IMPACT, ARG_TYPE, ARG_WORKAROUND,
                ARG_SEVERITY, ARG_ALLOW_INCOMPLETE, ARG_MASK, ARG_SHARE, ARG_DRY_RUN, ARG_YES,
                ARG_JSON, ARG_OPEN_TICKET, ARG_TICKET, ARG_VERSION, ARG_LISTEN,
        };
        static const struct option options[] = {
                { "output", required_argument, NULL, 'o' },
                { "since", required_argument, NULL, ARG_SINCE },
                { "until", required_argument, NULL, ARG_UNTIL },
                { "root", required_argument, NULL, ARG_ROOT },
                { "journal-dir", required_argument, NULL, ARG_JOURNAL_DIR },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "spool-dir", required_argument, NULL, ARG_SPOOL_DIR },
                { "environment", required_argument, NULL, ARG_ENVIRONMENT },
                { "product", required_argument, NULL, ARG_PRODUCT },
                { "summary", required_argument, NULL, ARG_SUMMARY },
                { "description", required_argument, NULL, ARG_DESCRIPTION },
                { "steps", required_argument, NULL, ARG_STEPS },
                { "impact", required_argument, NULL, ARG_IMPACT },
                { "type", required_argument, NULL, ARG_TYPE },
                { "workaround", required_argument, NULL, ARG_WORKAROUND },
                { "severity", required_argument, NULL, ARG_SEVERITY },
                { "allow-incomplete", no_argument, NULL, ARG_ALLOW_INCOMPLETE },
                { "mask", no_argument, NULL, ARG_MASK },
                { "share", required_argument, NULL, ARG_SHARE },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "yes", no_argument, NULL, ARG_YES },
                { "json", no_argument, NULL, ARG_JSON },
                { "listen", required_argument, NULL, ARG_LISTEN },
                { "open-ticket", no_argument, NULL, ARG_OPEN_TICKET },
                { "ticket", required_argument, NULL, ARG_TICKET },
                { "quiet", no_argument, NULL, 'q' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c, r = 0;

        opterr = 0;
        optind = 0;
        while ((c = getopt_long(argc, argv, ":o:qvh", options, NULL)) >= 0) {
                switch (c) {
                case 'o':
                        r = set_string(&arg_output, optarg);
                        break;
                case ARG_SINCE:
                        r = set_string(&arg_since, optarg);
                        break;
                case ARG_UNTIL:
                        r = set_string(&arg_until, optarg);
                        break;
                case ARG_ROOT:
                        r = set_string(&arg_root, optarg);
                        break;
                case ARG_JOURNAL_DIR:
                        r = set_string(&arg_journal_dir, optarg);
                        break;
                case ARG_CONFIG:
                        r = set_string(&arg_config, optarg);
                        break;
                case ARG_POLICY_DIR:
                        r = set_string(&arg_policy_dir, optarg);
                        break;
                case ARG_STATE_DIR:
                        r = set_string(&arg_state_dir, optarg);
                        break;
                case ARG_SPOOL_DIR:
                        r = set_string(&arg_spool_dir, optarg);
                        break;
                case ARG_ENVIRONMENT:
                        r = set_string(&arg_environment, optarg);
                        break;
                case ARG_PRODUCT:
                        r = set_string(&arg_product, optarg);
                        break;
                case ARG_SUMMARY:
                        r = text_arg("--summary", optarg, &arg_summary);
                        break;
                case ARG_DESCRIPTION:
                        r = text_arg("--description", optarg, &arg_description);
                        break;
                case ARG_STEPS:
                        r = text_arg("--steps", optarg, &arg_steps);
                        break;
                case ARG_IMPACT:
                        r = text_arg("--impact", optarg, &arg_impact);
                        break;
                case ARG_TYPE: {
                        enum request_type t = request_type_from_string(optarg);

                        if (t != REQUEST_INCIDENT && t != REQUEST_QUESTION) {
                                log_error("--type: expected 'incident' or 'question', not '%s'",
                                          optarg);
                                return -EINVAL;
                        }
                        arg_type = t;
                        break;
                }
                case ARG_WORKAROUND: {
                        bool b;

                        if (parse_boolean(optarg, &b) < 0) {
                                log_error("--workaround: expected 'yes' or 'no', not '%s'",
                                          optarg);
                                return -EINVAL;
                        }
                        arg_workaround = b ? TRISTATE_YES : TRISTATE_NO;
                        break;
                }
                case ARG_SEVERITY: {
                        enum severity s = severity_from_string(optarg);

                        if (s < 0) {
                                log_error("--severity: expected P1, P2, P3 or P4, not '%s'",
                                          optarg);
                                return -EINVAL;
                        }
                        arg_severity = s;
                        break;
                }
                case ARG_ALLOW_INCOMPLETE:
                        arg_allow_incomplete = true;
                        break;
                case ARG_MASK:
                        arg_mask = true;
                        break;
                case ARG_SHARE:
                        if (isempty(optarg)) {
                                log_error("--share: empty ID");
                                return -EINVAL;
                        }
                        r = strv_extend(&arg_share, optarg);
                        break;
                case ARG_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case ARG_YES:
                        arg_yes = true;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_LISTEN:
                        r = set_string(&arg_listen, optarg);
                        break;
                case ARG_OPEN_TICKET:
                        if (arg_mode == MODE_ATTACH) {
                                log_error("--open-ticket and --ticket cannot be combined");
                                return -EINVAL;
                        }
                        arg_mode = MODE_OPEN_TICKET;
                        break;
                case ARG_TICKET:
                        if (arg_mode == MODE_OPEN_TICKET) {
                                log_error("--open-ticket and --ticket cannot be combined");
                                return -EINVAL;
                        }
                        if (!ticket_key_valid(optarg)) {
                                log_error("--ticket: '%s' is not a ticket key such as SUP-123",
                                          optarg);
                                return -EINVAL;
                        }
                        arg_mode = MODE_ATTACH;
                        r = set_string(&arg_ticket_key, optarg);
                        break;
                case 'q':
                        arg_verbosity = -1;
                        break;
                case 'v':
                        arg_verbosity++;
                        break;
                case 'h':
                        args_help();
                        return 0;
                case ARG_VERSION:
                        printf("collect %s\n", COLLECT_VERSION);
                        return 0;
                case ':':
                        log_error("option '%s' needs a value", argv[optind - 1]);
                        return -EINVAL;
                case '?':
                default:
                        if (optopt && optopt < 0x100 && optopt != '?')
                                log_error("unknown option '-%c' (see collect --help)", optopt);
                        else
                                log_error("unknown option '%s' (see collect --help)",
                                          argv[optind - 1]);
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        for (int i = optind; i < argc; i++) {
                r = strv_extend(&arg_positional, argv[i]);
                if (r < 0)
                        return log_oom();
        }
        return 1;
}

void args_done(void)
{
        char **strings[] = {
                &arg_ticket_key, &arg_output, &arg_since, &arg_until, &arg_root,
                &arg_journal_dir, &arg_config, &arg_policy_dir, &arg_state_dir, &arg_spool_dir,
                &arg_environment, &arg_product, &arg_summary, &arg_description, &arg_steps,
                &arg_impact, &arg_listen,
        };

        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                *strings[i] = mfree(*strings[i]);
        arg_share = strv_free(arg_share);
        arg_positional = strv_free(arg_positional);
}
