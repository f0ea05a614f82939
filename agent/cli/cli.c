/* SPDX-License-Identifier: MIT */
/*
 * The verb table and the collecting flow: configuration and policy, the
 * collectors through the sink into the bundle, errors, checklist and
 * severity, summary.md and manifest.json, the leak check, then the ticket.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc-util.h"
#include "cli/args.h"
#include "monitor/autofile.h"
#include "pipeline/bundle.h"
#include "analysis/checklist.h"
#include "cli/cli.h"
#include "cli/exit-code.h"
#include "cli/policy-load.h"
#include "cli/verb-portal.h"
#include "cli/verb-spool.h"
#include "policy/site-config.h"
#include "analysis/correlate.h"
#include "dynbuf.h"
#include "analysis/errors.h"
#include "fd-util.h"
#include "log.h"
#include "pipeline/manifest.h"
#include "parse-util.h"
#include "policy/policy.h"
#include "cli/prompt.h"
#include "redact/redact.h"
#include "pipeline/runner.h"
#include "analysis/severity.h"
#include "pipeline/sink-agent.h"
#include "ticket/spool.h"
#include "strv.h"
#include "ticket/ticket.h"
#include "monitor/watch.h"

#define DEFAULT_STATE_DIR "/var/lib/collect"
#define DEFAULT_SPOOL_DIR "/var/spool/collect"
#define DEFAULT_CONFIG COLLECT_SYSCONFDIR "/collect.yaml"
#define DROPIN_DIR COLLECT_SYSCONFDIR "/policies.d"
#define SHIPPED_POLICY_DIR COLLECT_DATADIR "/policies"

/* ---- progress line ---- */

static bool progress_on;
static const char *progress_name;
static uint64_t progress_bytes;
static usec_t progress_start;
static bool progress_drawn;

static void progress_draw(void)
{
        char d[32];

        if (!progress_on)
                return;
        fprintf(stderr, "\r\033[K[%s] %s, %.1f MB", progress_name ? progress_name : "",
                format_duration(d, sizeof(d), now(CLOCK_MONOTONIC) - progress_start),
                (double) progress_bytes / 1e6);
        fflush(stderr);
        progress_drawn = true;
}

static void progress_clear(void)
{
        if (progress_on && progress_drawn) {
                fputs("\r\033[K", stderr);
                fflush(stderr);
                progress_drawn = false;
        }
}

static void progress_redraw_hook(int before)
{
        if (before)
                progress_clear();
        else if (progress_name)
                progress_draw();
}

static void progress_collector(const char *name, const struct collector_status *done)
{
        progress_name = done ? NULL : name;
        if (!done)
                progress_draw();
}

static void progress_total(uint64_t total)
{
        progress_bytes = total;
        if (progress_name)
                progress_draw();
}

/* ---- helpers ---- */

static int exit_for_errno(int r)
{
        switch (-r) {
        case ENOENT:
                return EX_NOINPUT;
        case EACCES:
        case EPERM:
        case EROFS:
        case ENOSPC:
        case EDQUOT:
        case EEXIST:
        case ENOTDIR:
                return EX_CANTCREAT;
        default:
                return 1;
        }
}

static int load_config(struct config *c)
{
        _cleanup_free_ char *error = NULL;
        const char *path = arg_config ? arg_config : getenv("COLLECT_CONFIG");
        int r;

        r = config_load(c, path ? path : DEFAULT_CONFIG, !path, &error);
        if (r == -ENOENT && path) {
                log_error("configuration file '%s' not found", path);
                return EX_NOINPUT;
        }
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                return EX_CONFIG;
        }
        return 0;
}

static int load_policy(char *const *files, struct policy **ret)
{
        _cleanup_free_ char *error = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        if (strv_extend(&dirs, DROPIN_DIR) < 0 ||
            (arg_policy_dir && strv_extend(&dirs, arg_policy_dir) < 0))
                return log_oom(), 1;
        r = policy_load(SHIPPED_POLICY_DIR, dirs, files, ret, &error);
        if (r == -ENOMEM) {
                log_oom();
                return 1;
        }
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                return EX_CONFIG;
        }
        return 0;
}

/* The state directory, created 0700; falls back to a per-user directory when
 * the default cannot be created (not root), since snapshots need a home. */
static int resolve_state_dir(char **ret)
{
        const char *d = arg_state_dir ? arg_state_dir : DEFAULT_STATE_DIR;
        char *s;

        if (mkdir_p(d, 0700) >= 0 && access(d, W_OK) == 0) {
                s = xstrdup(d);
        } else if (arg_state_dir) {
                log_error("state directory '%s' cannot be created or written", d);
                return EX_CANTCREAT;
        } else {
                s = xasprintf("/tmp/collect-state-%u", (unsigned) getuid());
                if (s && mkdir_p(s, 0700) < 0) {
                        log_error("no usable state directory (tried %s and %s)", d, s);
                        free(s);
                        return EX_CANTCREAT;
                }
                if (s)
                        log_notice("using state directory '%s' ('%s' is not writable)", s, d);
        }
        if (!s)
                return log_oom(), 1;
        *ret = s;
        return 0;
}

static char *host_name(int root_fd, bool live)
{
        char buf[HOST_NAME_MAX + 1] = "";
        _cleanup_free_ char *data = NULL;

        if (live) {
                if (gethostname(buf, sizeof(buf)) < 0)
                        buf[0] = 0;
        } else if (read_file_beneath(root_fd, "etc/hostname", 4096, &data, NULL) >= 0) {
                size_t n = strcspn(data, " \t\r\n");

                snprintf(buf, sizeof(buf), "%.*s", (int) MIN(n, (size_t) HOST_NAME_MAX), data);
        }
        if (!buf[0])
                snprintf(buf, sizeof(buf), "unknown");
        return xstrdup(buf);
}

/* The people's accounts of the host (uid 1000 to 60000 in its /etc/passwd),
 * whose names --mask replaces; system accounts stay readable. */
static char **login_users(int root_fd)
{
        _cleanup_free_ char *data = NULL;
        char **users = NULL;

        if (read_file_beneath(root_fd, "etc/passwd", 4 << 20, &data, NULL) < 0)
                return NULL;
        for (char *line = data, *next; line && *line; line = next) {
                char *f[4] = {};
                uint64_t uid;
                size_t n = 0;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                for (char *p = line; p && n < 4; n++) {
                        f[n] = p;
                        p = strchr(p, ':');
                        if (p)
                                *p++ = 0;
                }
                if (n < 4 || isempty(f[0]) || safe_atou64(f[2], &uid) < 0)
                        continue;
                if (uid >= 1000 && uid <= 60000 && strv_extend(&users, f[0]) < 0)
                        return strv_free(users);
        }
        return users;
}

/* Only [A-Za-z0-9.-_] in file names. */
static void sanitize_name(char *s)
{
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_'))
                        *s = '-';
}

static int bundle_target(const char *host, usec_t t, char **ret)
{
        char stamp[32];
        const char *out = arg_output ? arg_output : ".";
        size_t n = strlen(out);
        struct stat st;
        char *p;

        if ((n > 7 && streq(out + n - 7, ".tar.gz")) || (n > 4 && streq(out + n - 4, ".tgz"))) {
                p = xstrdup(out);
        } else {
                if (stat(out, &st) < 0) {
                        int r = -errno;

                        log_error_errno(r, "output directory '%s': %m", out);
                        return EX_CANTCREAT;
                }
                if (!S_ISDIR(st.st_mode)) {
                        log_error("output '%s' is neither a directory nor a .tar.gz path", out);
                        return EX_CANTCREAT;
                }
                p = xasprintf("%s%scollect-%s-%s%s%s.tar.gz", out,
                              out[n - 1] == '/' ? "" : "/", host,
                              format_compact(stamp, sizeof(stamp), t),
                              arg_ticket_key ? "-" : "", arg_ticket_key ? arg_ticket_key : "");
        }
        if (!p)
                return log_oom(), 1;
        *ret = p;
        return 0;
}

static char *dir_of(const char *path)
{
        const char *slash = strrchr(path, '/');

        if (!slash)
                return xstrdup(".");
        if (slash == path)
                return xstrdup("/");
        return xstrndup(path, (size_t) (slash - path));
}

/* Redacts a person's text before it goes anywhere (it may hold a token). */
static int redact_input(struct redactor *rd, char **p)
{
        char *out = NULL;
        size_t len;
        int r;

        if (!*p)
                return 0;
        r = redact_buffer(rd, "input", *p, strlen(*p), &out, &len);
        if (r < 0)
                return r;
        free(*p);
        *p = out;
        return 0;
}

/* A stated value: the command line wins, then what is already there, then the
 * configuration. 0 or -ENOMEM. */
static int set_input(char **field, enum input_source *source, const char *cli, const char *config)
{
        const char *v = cli ? cli : *field ? NULL : config;
        char *copy;

        if (!v)
                return 0;
        copy = xstrdup(v);
        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        *source = cli ? INPUT_CLI : INPUT_CONFIG;
        return 0;
}

static int fill_input(struct user_input *u, const struct config *c, struct redactor *rd)
{
        int r = 0;

        u->type = arg_type;
        u->workaround = arg_workaround;
        u->workaround_source = arg_workaround != TRISTATE_UNKNOWN ? INPUT_CLI : INPUT_NONE;
        u->selected = arg_severity;
        if (set_input(&u->environment, &u->environment_source, arg_environment,
                      c->environment) < 0 ||
            set_input(&u->product, &u->product_source, arg_product, c->product) < 0)
                return -ENOMEM;
        u->summary = arg_summary ? xstrdup(arg_summary) : NULL;
        u->description = arg_description ? xstrdup(arg_description) : NULL;
        if (set_input(&u->steps, &u->steps_source, arg_steps, NULL) < 0 ||
            set_input(&u->impact, &u->impact_source, arg_impact, NULL) < 0)
                return -ENOMEM;
        u->critical_units = strv_copy(c->critical_units);
        if (!u->critical_units)
                return -ENOMEM;
        char **fields[] = { &u->environment, &u->product, &u->summary, &u->description,
                            &u->steps, &u->impact };
        for (size_t i = 0; i < ELEMENTSOF(fields) && r >= 0; i++)
                r = redact_input(rd, fields[i]);
        return r;
}

static bool interactive(void)
{
        return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

static int evaluate(const struct policy *pol, struct report *rep, struct checklist_result *cl,
                    struct severity_result *sev)
{
        _cleanup_free_ char *error = NULL;
        int r;

        checklist_result_done(cl);
        severity_result_done(sev);
        r = checklist_evaluate(policy_section(pol, "checklist"), rep, cl, &error);
        if (r >= 0)
                r = severity_evaluate(policy_section(pol, "severity"), rep, sev, &error);
        if (r < 0)
                log_error("%s", error ? error : strerror(-r));
        return r;
}

static void print_human(const struct report *rep, const char *path, uint64_t bytes,
                        usec_t took, const struct checklist_result *cl,
                        const struct severity_result *sev, json_t *redaction)
{
        char d[32];

        if (arg_verbosity < 0)
                return;
        fprintf(stderr, "collect: bundle %s (%.1f MB, %s)\n", path, (double) bytes / 1e6,
                format_duration(d, sizeof(d), took));
        for (size_t i = 0; i < rep->n_statuses; i++) {
                const struct collector_status *s = &rep->statuses[i];

                fprintf(stderr, "  %-12s %-8s %8s %10llu B%s%s\n", s->name,
                        collector_result_to_string(s->result),
                        format_duration(d, sizeof(d), s->duration),
                        (unsigned long long) s->bytes, s->note ? "  " : "",
                        s->note ? s->note : "");
        }
        if (redaction)
                fprintf(stderr, "  redaction: %lld value(s) replaced\n",
                        (long long) json_integer_value(json_object_get(redaction,
                                                                       "replacements")));
        if (sev) {
                fprintf(stderr, "  severity suggested: %s", severity_to_string(sev->suggested));
                if (sev->selected >= 0 && sev->selected != sev->suggested)
                        fprintf(stderr, " (you chose %s)", severity_to_string(sev->selected));
                fputc('\n', stderr);
                STRV_FOREACH(reason, sev->reasons)
                        fprintf(stderr, "    - %s\n", *reason);
        }
        if (cl) {
                _cleanup_free_ char *missing = NULL;

                if (checklist_n_missing(cl) > 0 && checklist_missing_text(cl, &missing) >= 0)
                        fprintf(stderr, "  checklist: missing required information:\n%s",
                                missing);
                else
                        fprintf(stderr, "  checklist: complete\n");
        }
}

/* ---- the collecting flow ---- */

/* The key of the ticket the last do_collect() created or updated (hooks record it). */
static char *last_ticket_key;

struct collect_run {
        struct config config;
        struct policy *policy;
        struct report report;
        struct checklist_result checklist;
        struct severity_result severity;
        char *state_dir;
        char *path;
        int root_fd;
};

static void collect_run_done(struct collect_run *c)
{
        config_done(&c->config);
        policy_free(c->policy);
        report_done(&c->report);
        checklist_result_done(&c->checklist);
        severity_result_done(&c->severity);
        free(c->state_dir);
        free(c->path);
        safe_close(c->root_fd);
}

static int parse_window(usec_t *since, usec_t *until)
{
        usec_t t = now(CLOCK_REALTIME);

        *until = t;
        if (arg_until && parse_time(arg_until, t, until) < 0) {
                log_error("--until: cannot parse '%s' (a duration such as 90m or an ISO 8601 "
                          "time)", arg_until);
                return EX_USAGE;
        }
        *since = *until > 24 * USEC_PER_HOUR ? *until - 24 * USEC_PER_HOUR : 0;
        if (arg_since && parse_time(arg_since, *until, since) < 0) {
                log_error("--since: cannot parse '%s' (a duration such as 90m, 24h, 7d or an "
                          "ISO 8601 time)", arg_since);
                return EX_USAGE;
        }
        if (*since >= *until) {
                log_error("--since must be before --until");
                return EX_USAGE;
        }
        return 0;
}

static int do_collect(void)
{
        _cleanup_(collect_run_done) struct collect_run c = { .root_fd = -1 };
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        _cleanup_(redactor_freep) struct redactor *rd = NULL;
        _cleanup_(errors_freep) struct errors *errs = NULL;
        _cleanup_(sink_freep) struct sink *s = NULL;
        _cleanup_free_ char *error = NULL, *host = NULL, *stage = NULL, *mask_map = NULL;
        _cleanup_free_ char *summary_md = NULL, *manifest_txt = NULL;
        json_t *manifest = NULL, *result = NULL, *redaction = NULL, *top_errors = NULL;
        json_t *leaks = NULL, *ticket = NULL, *histogram = NULL;
        usec_t started = now(CLOCK_MONOTONIC);
        const char *root = arg_root ? arg_root : "/";
        bool live;
        bool aborted = false, draft_only = false;
        int r, ex = 0, leak_hits = 0;

        r = load_config(&c.config);
        if (r != 0)
                return r;
        r = load_policy(NULL, &c.policy);
        if (r != 0)
                return r;
        r = parse_window(&c.report.since, &c.report.until);
        if (r != 0)
                return r;
        if (arg_journal_dir && access(arg_journal_dir, R_OK | X_OK) < 0) {
                log_error_errno(errno, "--journal-dir '%s': %m", arg_journal_dir);
                return EX_NOINPUT;
        }
        c.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c.root_fd < 0) {
                log_error_errno(errno, "--root '%s': %m", root);
                return EX_NOINPUT;
        }
        {
                char real[PATH_MAX];

                live = realpath(root, real) && streq(real, "/");
        }
        r = resolve_state_dir(&c.state_dir);
        if (r != 0)
                return r;

        r = redactor_new(policy_section(c.policy, "redaction"), &rd, &error);
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                return r == -ENOMEM ? 1 : EX_CONFIG;
        }
        host = host_name(c.root_fd, live);
        if (!host)
                return log_oom(), 1;
        if (arg_mask) {
                _cleanup_strv_free_ char **names = NULL;
                char *masked = NULL;
                size_t len;

                mask_map = xasprintf("%s/pseudonyms.json", c.state_dir);
                if (!mask_map || strv_extend(&names, host) < 0)
                        return log_oom(), 1;
                r = redactor_enable_mask(rd, mask_map, names);
                if (r < 0) {
                        log_error_errno(r, "cannot use the pseudonym map '%s': %m", mask_map);
                        return EX_CANTCREAT;
                }
                {
                        _cleanup_strv_free_ char **users = login_users(c.root_fd);

                        if (users && redactor_mask_add_users(rd, users) < 0)
                                return log_oom(), 1;
                }
                if (redact_buffer(rd, "bundle-name", host, strlen(host), &masked, &len) >= 0) {
                        free(host);
                        host = masked;
                }
        }
        sanitize_name(host);
        c.report.host = xstrdup(host);
        r = fill_input(&c.report.input, &c.config, rd);
        if (r < 0 || !c.report.host)
                return log_oom(), 1;

        r = errors_new(policy_section(c.policy, "errors"), &errs, &error);
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                return r == -ENOMEM ? 1 : EX_CONFIG;
        }
        errors_set_window(errs, c.report.since, c.report.until);
        for (unsigned attempt = 0;; attempt++) {
                usec_t t = now(CLOCK_REALTIME);

                c.path = mfree(c.path);
                r = bundle_target(host, t, &c.path);
                if (r != 0)
                        return r;
                r = bundle_new(c.path, t, &b);
                /* Two runs within one second: the name has second resolution, so wait
                 * for the next second rather than change the name's form. */
                if (r != -EEXIST || attempt >= 2 ||
                    (arg_output && strstr(arg_output, ".tar.gz")))
                        break;
                (void) usleep((useconds_t) (USEC_PER_SEC - t % USEC_PER_SEC + 1000));
        }
        if (r < 0) {
                log_error_errno(r, "cannot create the bundle '%s': %m", c.path);
                return exit_for_errno(r) == 1 ? EX_CANTCREAT : exit_for_errno(r) == EX_NOINPUT ?
                                                                EX_CANTCREAT :
                                                                exit_for_errno(r);
        }
        stage = dir_of(c.path);
        if (!stage)
                return log_oom(), 1;
        r = sink_new(b, rd, &c.report, stage, &s);
        if (r >= 0 && errs)
                r = sink_add_line_observer(s, errors_observe_line, errors_observe_end, errs);
        if (r < 0)
                return log_oom(), 1;

        progress_on = isatty(STDERR_FILENO) && arg_verbosity >= 0;
        progress_start = started;
        if (progress_on) {
                log_set_redraw_hook(progress_redraw_hook);
                sink_set_progress(s, progress_total);
        }
        struct runner_params rp = {
                .policy = c.policy,
                .root = root,
                .root_fd = c.root_fd,
                .since = c.report.since,
                .until = c.report.until,
                .journal_dir = arg_journal_dir,
                .state_dir = c.state_dir,
                .progress = progress_collector,
        };
        (void) live;
        r = runner_run(&rp, s, &c.report);
        if (r < 0)
                return log_oom(), 1;

        /* The errors seen in every log, grouped: a collector of its own in the manifest. */
        {
                struct collect_ctx ectx = {
                        .name = "errors", .root = root, .root_fd = c.root_fd,
                        .budget = c.policy->per_collector_budget,
                        .per_file = c.policy->per_file_budget,
                        .deadline = now(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC,
                        .state_dir = c.state_dir, .never_collect = c.policy->never_collect,
                };

                sink_begin(s, &ectx);
                r = errors_emit(errs, s);
                if (r < 0)
                        log_warning_errno(r, "cannot write the error summary: %m");
                sink_end(s, &(struct collector_status) {});
                top_errors = errors_top(errs, 20);
                histogram = errors_histogram(errs, 6);
        }

        if (correlate_config_changes(&c.report) < 0)
                return log_oom(), 1;
        r = evaluate(c.policy, &c.report, &c.checklist, &c.severity);
        if (r < 0)
                return r == -ENOMEM ? 1 : EX_CONFIG;
        progress_clear();
        progress_name = NULL;

        /* The gate: ask a person on a terminal for what only they know. */
        if (arg_mode == MODE_OPEN_TICKET && !arg_yes && interactive() &&
            ((checklist_n_missing(&c.checklist) > 0 && !arg_allow_incomplete) ||
             (c.report.input.workaround == TRISTATE_UNKNOWN && c.severity.hint))) {
                r = prompt_missing(stdin, stderr, &c.report, &c.checklist, &c.severity,
                                   &c.report.input);
                if (r >= 0) {
                        char **fields[] = { &c.report.input.environment,
                                            &c.report.input.product, &c.report.input.steps,
                                            &c.report.input.impact };

                        for (size_t i = 0; i < ELEMENTSOF(fields) && r >= 0; i++)
                                r = redact_input(rd, fields[i]);
                        if (r >= 0)
                                r = evaluate(c.policy, &c.report, &c.checklist, &c.severity);
                }
                /* what was typed is kept: file it, or keep it as a draft, or cancel */
                if (r >= 0 && checklist_n_missing(&c.checklist) > 0 && !arg_allow_incomplete) {
                        enum prompt_choice pc = prompt_incomplete(stdin, stderr, &c.checklist);

                        draft_only = pc == PROMPT_DRAFT;
                        arg_allow_incomplete = pc != PROMPT_CANCEL;
                        r = pc == PROMPT_CANCEL ? -ECANCELED : r;
                }
                if (r == -ECANCELED) {
                        log_notice("prompt aborted; nothing will be filed");
                        aborted = true;
                } else if (r < 0) {
                        return 1;
                }
        }

        redaction = redactor_report(rd);
        struct manifest_params mp = {
                .bundle_name = bundle_top(b),
                .report = &c.report,
                .members = sink_members(s),
                .cuts = sink_cuts(s),
                .checklist = &c.checklist,
                .severity = &c.severity,
                .redaction = redaction,
                .errors_top = top_errors,
                .error_histogram = histogram,
                .masked = arg_mask,
        };
        {
                struct dynbuf md;

                dynbuf_init(&md, 4 << 20);
                r = summary_render(&mp, &md);
                summary_md = dynbuf_steal(&md);
                if (r < 0 || !summary_md)
                        return log_oom(), 1;
        }
        r = sink_fatal_error(s);
        if (r < 0)
                goto write_failed;
        r = manifest_add_timeline_svg(&mp, s);
        if (r < 0)
                goto write_failed;
        r = sink_add_data(s, "summary.md", summary_md, strlen(summary_md), 0);
        if (r < 0)
                goto write_failed;
        {
                json_t *rj = redactor_report(rd);

                manifest_txt = rj ? json_dumps(rj, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
                json_decref(rj);
                if (!manifest_txt)
                        return log_oom(), 1;
                r = sink_add_raw(s, "redaction.json", manifest_txt, strlen(manifest_txt));
                manifest_txt = mfree(manifest_txt);
                if (r < 0)
                        goto write_failed;
        }
        manifest = manifest_build(&mp);
        manifest_txt = manifest ? json_dumps(manifest, JSON_INDENT(2)) : NULL;
        if (!manifest_txt)
                return log_oom(), 1;
        r = sink_add_raw(s, "manifest.json", manifest_txt, strlen(manifest_txt));
        if (r < 0)
                goto write_failed;
        r = sink_fatal_error(s);
        if (r >= 0)
                r = bundle_commit(b);
        if (r < 0)
                goto write_failed;
        if (arg_mask)
                (void) redactor_save_mask(rd);

        /* A separate pass with other detectors: a secret that slipped past the rules. */
        /* Only what is about to leave the host needs it; a local bundle is not sent. */
        if (arg_mode != MODE_COLLECT)
                leak_hits = leakcheck_bundle(bundle_path(b), &leaks);
        if (leak_hits < 0)
                log_warning_errno(leak_hits, "leak check could not read the bundle: %m");
        if (leak_hits > 0) {
                size_t i;
                json_t *h;

                log_error("leak check: %d possible secret(s) remain in the bundle:", leak_hits);
                json_array_foreach(leaks, i, h)
                        fprintf(stderr, "  %s:%lld: %s\n",
                                json_string_value(json_object_get(h, "member")),
                                (long long) json_integer_value(json_object_get(h, "line")),
                                json_string_value(json_object_get(h, "detector")));
        }

        print_human(&c.report, bundle_path(b), bundle_bytes(b), now(CLOCK_MONOTONIC) - started,
                    arg_mode == MODE_ATTACH ? NULL : &c.checklist, &c.severity, redaction);

        /* Filing. */
        if (arg_mode != MODE_COLLECT) {
                if (aborted) {
                        ex = EX_DATAERR;
                } else if (leak_hits > 0) {
                        log_error("the bundle is not fit to file: nothing was sent; fix the "
                                  "redaction policy or remove the file, then run again");
                        ex = EX_DATAERR;
                } else if (arg_mode == MODE_OPEN_TICKET && checklist_n_missing(&c.checklist) > 0 &&
                           !arg_allow_incomplete) {
                        _cleanup_free_ char *missing = NULL;

                        (void) checklist_missing_text(&c.checklist, &missing);
                        /* the list was printed with the checklist above, unless -q */
                        log_error("required information is missing, nothing was filed; supply "
                                  "it with the options %s (or --allow-incomplete)%s%s",
                                  arg_verbosity < 0 ? "below" : "listed above",
                                  arg_verbosity < 0 ? ":\n" : "",
                                  arg_verbosity < 0 && missing ? missing : "");
                        ex = EX_DATAERR;
                } else {
                        struct ticket_job job = {
                                .action = arg_mode == MODE_ATTACH ? TICKET_ATTACH : TICKET_OPEN,
                                .key = arg_ticket_key,
                                .bundle_path = bundle_path(b),
                                .manifest = manifest,
                                .config = &c.config,
                                .share = arg_share,
                                .state_dir = c.state_dir,
                                .spool_dir = arg_spool_dir ? arg_spool_dir : DEFAULT_SPOOL_DIR,
                                .dry_run = arg_dry_run,
                                .assume_yes = arg_yes,
                                .interactive = interactive(),
                                .allow_incomplete = arg_allow_incomplete,
                                .draft = draft_only,
                        };

                        json_object_set_new(manifest, "bundle",
                                            json_pack("{s:s, s:I, s:s}", "path", bundle_path(b),
                                                      "bytes", (json_int_t) bundle_bytes(b),
                                                      "sha256", bundle_sha256(b)));
                        r = ticket_submit(&job, &ticket);
                        ex = r < 0 ? exit_code_from_ticket(r) : 0;
                        free(last_ticket_key);
                        last_ticket_key = json_string_value(json_object_get(ticket, "key")) ?
                                xstrdup(json_string_value(json_object_get(ticket, "key"))) : NULL;
                }
        }

        if (arg_json) {
                result = json_pack("{s:{s:s, s:I, s:s}}", "bundle", "path", bundle_path(b),
                                   "bytes", (json_int_t) bundle_bytes(b), "sha256",
                                   bundle_sha256(b));
                json_object_set_new(result, "collectors", statuses_to_json(&c.report));
                json_object_set_new(result, "checklist", checklist_to_json(&c.checklist));
                json_object_set_new(result, "severity", severity_to_json(&c.severity));
                json_object_set_new(result, "redaction",
                                    json_pack("{s:O, s:O}", "replacements",
                                              json_object_get(redaction, "replacements"),
                                              "by_rule", json_object_get(redaction, "by_rule")));
                json_object_set_new(result, "ticket",
                                    ticket ? json_incref(ticket) :
                                             json_pack("{s:s, s:n, s:n, s:n}", "action", "none",
                                                       "key", "url", "spool_id"));
                json_object_set_new(result, "leak_check",
                                    leaks ? json_incref(leaks) :
                                    arg_mode == MODE_COLLECT ? json_null() : json_array());
                json_object_set_new(result, "exit_code", json_integer(ex));
                json_dumpf(result, stdout, JSON_INDENT(2));
                fputc('\n', stdout);
        } else {
                printf("%s\n", bundle_path(b));
        }
        fflush(stdout);
        json_decref(result);
        json_decref(manifest);
        json_decref(redaction);
        json_decref(top_errors);
        json_decref(histogram);
        json_decref(leaks);
        json_decref(ticket);
        return ex;

write_failed:
        log_error_errno(r, "cannot write the bundle '%s': %m", c.path);
        json_decref(manifest);
        json_decref(redaction);
        json_decref(top_errors);
        json_decref(histogram);
        return EX_CANTCREAT;
}

/* ---- verbs ---- */

static int verb_policy(char **args)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        int r;

        if (!args[0] || !streq(args[0], "check")) {
                log_error("usage: collect policy check [FILE...]");
                return EX_USAGE;
        }
        STRV_FOREACH(f, args + 1)
                if (access(*f, R_OK) < 0) {
                        log_error_errno(errno, "policy file '%s': %m", *f);
                        return EX_NOINPUT;
                }
        r = load_policy(args + 1, &p);
        if (r != 0)
                return r;
        if (arg_verbosity >= 0) {
                _cleanup_free_ char *files = strv_join(p->files, ", ");

                fprintf(stderr, "policy ok: %s\n", files ? files : "");
        }
        return 0;
}

static int verb_snapshot(char **args)
{
        _cleanup_(collect_run_done) struct collect_run c = { .root_fd = -1 };
        _cleanup_(sink_freep) struct sink *s = NULL;
        const char *root = arg_root ? arg_root : "/";
        int r;

        if (args[0]) {
                log_error("snapshot takes no arguments ('%s')", args[0]);
                return EX_USAGE;
        }
        r = load_policy(NULL, &c.policy);
        if (r != 0)
                return r;
        c.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c.root_fd < 0) {
                log_error_errno(errno, "--root '%s': %m", root);
                return EX_NOINPUT;
        }
        r = resolve_state_dir(&c.state_dir);
        if (r != 0)
                return r;
        /* No bundle, so nothing to redact: the sink refuses members (-EROFS). */
        r = sink_new(NULL, NULL, &c.report, c.state_dir, &s);
        if (r < 0)
                return log_oom(), 1;
        c.report.until = now(CLOCK_REALTIME);
        c.report.since = c.report.until;
        struct runner_params rp = {
                .policy = c.policy,
                .root = root,
                .root_fd = c.root_fd,
                .since = c.report.since,
                .until = c.report.until,
                .state_dir = c.state_dir,
                .snapshot_only = true,
        };
        r = runner_run(&rp, s, &c.report);
        if (r < 0)
                return log_oom(), 1;
        for (size_t i = 0; i < c.report.n_statuses; i++) {
                const struct collector_status *st = &c.report.statuses[i];

                if (arg_verbosity >= 0)
                        fprintf(stderr, "snapshot: %s%s%s\n",
                                collector_result_to_string(st->result), st->note ? ": " : "",
                                st->note ? st->note : "");
                if (st->result == COLLECTOR_FAILED || st->result == COLLECTOR_TIMEOUT)
                        return 1;
        }
        if (c.report.n_statuses == 0) {
                log_error("the config collector is not enabled in the policy");
                return EX_CONFIG;
        }
        return 0;
}

static int verb_check(char **args)
{
        _cleanup_(collect_run_done) struct collect_run c = { .root_fd = -1 };
        _cleanup_free_ char *error = NULL;
        json_t *m = NULL;
        int r, ex;

        if (!args[0] || args[1]) {
                log_error("usage: collect check BUNDLE");
                return EX_USAGE;
        }
        if (access(args[0], R_OK) < 0) {
                log_error_errno(errno, "bundle '%s': %m", args[0]);
                return EX_NOINPUT;
        }
        r = load_config(&c.config);
        if (r != 0)
                return r;
        r = load_policy(NULL, &c.policy);
        if (r != 0)
                return r;
        r = manifest_read(args[0], &m, &error);
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                return r == -ENOMEM ? 1 : EX_DATAERR;
        }
        r = report_from_manifest(m, &c.report);
        json_decref(m);
        if (r < 0)
                return log_oom(), 1;
        /* What the person states now overrides what the bundle recorded. */
        if (set_input(&c.report.input.environment, &c.report.input.environment_source,
                      arg_environment, c.config.environment) < 0 ||
            set_input(&c.report.input.product, &c.report.input.product_source, arg_product,
                      c.config.product) < 0 ||
            set_input(&c.report.input.steps, &c.report.input.steps_source, arg_steps, NULL) < 0 ||
            set_input(&c.report.input.impact, &c.report.input.impact_source, arg_impact,
                      NULL) < 0)
                return log_oom(), 1;
        if (arg_workaround != TRISTATE_UNKNOWN) {
                c.report.input.workaround = arg_workaround;
                c.report.input.workaround_source = INPUT_CLI;
        }
        if (arg_type != REQUEST_INCIDENT)
                c.report.input.type = arg_type;
        if (arg_severity >= 0)
                c.report.input.selected = arg_severity;
        strv_free(c.report.input.critical_units);
        c.report.input.critical_units = strv_copy(c.config.critical_units);
        r = evaluate(c.policy, &c.report, &c.checklist, &c.severity);
        if (r < 0)
                return r == -ENOMEM ? 1 : EX_CONFIG;
        ex = checklist_n_missing(&c.checklist) > 0 ? EX_DATAERR : 0;
        if (arg_json) {
                json_t *o = json_pack("{s:s, s:o, s:o, s:i}", "bundle", args[0], "checklist",
                                      checklist_to_json(&c.checklist), "severity",
                                      severity_to_json(&c.severity), "exit_code", ex);

                json_dumpf(o, stdout, JSON_INDENT(2));
                fputc('\n', stdout);
                json_decref(o);
        } else {
                struct dynbuf md;

                dynbuf_init(&md, 1 << 20);
                (void) checklist_severity_markdown(&c.checklist, &c.severity, &md);
                fputs(md.buf ? md.buf : "", stdout);
                dynbuf_done(&md);
        }
        return ex;
}

static int verb_spool(char **args)
{
        _cleanup_(config_done) struct config c = {};
        _cleanup_free_ char *state = NULL;
        int r;

        r = load_config(&c);
        if (r != 0)
                return r;
        r = resolve_state_dir(&state);
        if (r != 0)
                return r;
        return verb_spool_run(arg_spool_dir ? arg_spool_dir : DEFAULT_SPOOL_DIR, state, &c,
                              (int) strv_length(args), args);
}

static int verb_portal(char **args)
{
        _cleanup_(config_done) struct config c = {};
        int r;

        r = load_config(&c);
        if (r != 0)
                return r;
        return verb_portal_run(&c, (int) strv_length(args), args);
}

/* `collect hook coredump|unit-failure UNIT|alertmanager`: one problem, one
 * ticket; later occurrences comment on it; a storm is counted, not filed. */
static int verb_hook(char **args)
{
        _cleanup_(autofile_event_done) struct autofile_event ev = {};
        _cleanup_(policy_freep) struct policy *pol = NULL;
        _cleanup_free_ char *error = NULL, *state = NULL, *key = NULL, *text = NULL;
        struct autofile_policy ap;
        enum autofile_decision d;
        uint64_t suppressed = 0;
        usec_t t = now(CLOCK_REALTIME);
        int r, ex;

        if (!args[0] || (streq(args[0], "unit-failure") ? !args[1] || args[2] : !!args[1]) ||
            !(streq(args[0], "coredump") || streq(args[0], "unit-failure") ||
              streq(args[0], "alertmanager"))) {
                log_error("usage: collect hook coredump | unit-failure UNIT | alertmanager "
                          "(the webhook payload on stdin)");
                return EX_USAGE;
        }
        r = load_policy(NULL, &pol);
        if (r != 0)
                return r;
        r = autofile_policy_load(policy_section(pol, "autofile"), &ap, &error);
        if (r < 0) {
                log_error("%s", error ? error : strerror(-r));
                return EX_CONFIG;
        }
        r = resolve_state_dir(&state);
        if (r != 0)
                return r;

        if (streq(args[0], "unit-failure")) {
                r = autofile_event_from_unit(args[1], &ev);
        } else if (streq(args[0], "alertmanager")) {
                char *buf = xmalloc(1 << 20);
                ssize_t n = buf ? loop_read(STDIN_FILENO, buf, 1 << 20) : -ENOMEM;

                if (n == (1 << 20)) {
                        log_error("the Alertmanager payload is larger than 1 MiB");
                        free(buf);
                        return EX_DATAERR;
                }
                r = n < 0 ? (int) n :
                            autofile_event_from_alertmanager(buf, (size_t) n, &ev, &error);
                free(buf);
                if (r == -EBADMSG) {
                        log_error("%s", error ? error : "malformed Alertmanager payload");
                        return EX_DATAERR;
                }
        } else {
                usec_t until = t, since = t - MIN(t, 10 * USEC_PER_MINUTE);

                if (arg_until && parse_time(arg_until, t, &until) < 0)
                        return log_error("--until: cannot parse '%s'", arg_until), EX_USAGE;
                if (arg_since && parse_time(arg_since, until, &since) < 0)
                        return log_error("--since: cannot parse '%s'", arg_since), EX_USAGE;
                r = autofile_event_from_coredump(arg_journal_dir, since, until, &ev);
                if (r == -ENOENT) {
                        log_notice("no systemd-coredump entry in the window: nothing to file");
                        return 0;
                }
        }
        if (r < 0)
                return log_error_errno(r, "cannot read the %s event: %m", args[0]), 1;

        r = autofile_decide(state, &ap, ev.fingerprint, t, ev.resolved, &d, &key, &suppressed);
        if (r < 0)
                return log_error_errno(r, "cannot update the autofile state in '%s': %m",
                                       state), 1;
        if (d == AUTOFILE_SKIP) {
                log_notice("%s: nothing to file (%s)", ev.fingerprint,
                           ap.enabled ? "resolved, and no ticket is known for it" :
                                        "autofile is disabled by policy");
                return 0;
        }
        if (d == AUTOFILE_SUPPRESS) {
                log_notice("%s: counted, not filed (storm control: at most %llu filings an "
                           "hour, or its ticket is not known yet)", ev.fingerprint,
                           (unsigned long long) ap.max_per_hour);
                return 0;
        }

        text = suppressed ? xasprintf("%s\n%llu more occurrence(s) were counted without filing "
                                      "(storm control).", ev.description,
                                      (unsigned long long) suppressed) :
                            xstrdup(ev.description);
        if (!text)
                return log_oom(), 1;
        if (!arg_summary)
                arg_summary = xstrdup(ev.summary);
        free(arg_description);
        arg_description = TAKE_PTR(text);
        arg_type = REQUEST_CRASH;
        arg_yes = true;
        arg_allow_incomplete = true;
        if (!arg_since)
                arg_since = xstrdup("1h");
        if (d == AUTOFILE_COMMENT) {
                arg_mode = MODE_ATTACH;
                free(arg_ticket_key);
                arg_ticket_key = TAKE_PTR(key);
        } else {
                arg_mode = MODE_OPEN_TICKET;
        }
        if (!arg_summary || !arg_since)
                return log_oom(), 1;
        log_notice("%s: %s", ev.fingerprint,
                   d == AUTOFILE_COMMENT ? "a repeat: commenting on its ticket" :
                                           "a new problem: filing a ticket");
        ex = do_collect();
        if (ex == 0 || ex == EX_TEMPFAIL) {
                r = autofile_record(state, ev.fingerprint,
                                    d == AUTOFILE_OPEN ? last_ticket_key : arg_ticket_key, t);
                if (r < 0)
                        log_warning_errno(r, "cannot record the filing in '%s': %m", state);
        }
        last_ticket_key = mfree(last_ticket_key);
        return ex;
}

/* `collect watch`: every event runs `collect hook …` with the same options. */
static int verb_watch(char **args)
{
        _cleanup_strv_free_ char **pass = NULL;
        const struct {
                const char *opt;
                const char *value;
        } opts[] = {
                { "--config", arg_config },       { "--policy-dir", arg_policy_dir },
                { "--state-dir", arg_state_dir }, { "--spool-dir", arg_spool_dir },
                { "--output", arg_output },       { "--root", arg_root },
                { "--journal-dir", arg_journal_dir },
        };
        struct watch_params p = {
                .self = "/proc/self/exe",
                .journal_dir = arg_journal_dir,
                .listen = arg_listen,
                .journal = true,
        };
        int r;

        if (args[0]) {
                log_error("watch takes no arguments ('%s')", args[0]);
                return EX_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(opts); i++)
                if (opts[i].value &&
                    (strv_extend(&pass, opts[i].opt) < 0 || strv_extend(&pass, opts[i].value) < 0))
                        return log_oom(), 1;
        if (arg_verbosity < 0 && strv_extend(&pass, "-q") < 0)
                return log_oom(), 1;
        p.hook_args = pass;
        r = watch_run(&p);
        return r == -EINVAL ? EX_USAGE : r < 0 ? EX_CANTCREAT : 0;
}

static const struct {
        const char *name;
        int (*run)(char **args);
} verbs[] = {
        { "check", verb_check },
        { "hook", verb_hook },
        { "policy", verb_policy },
        { "portal", verb_portal },
        { "snapshot", verb_snapshot },
        { "spool", verb_spool },
        { "watch", verb_watch },
};

int cli_run(int argc, char *argv[])
{
        int r, ex;

        r = args_parse(argc, argv);
        if (r <= 0) {
                args_done();
                return r == 0 ? 0 : r == -ENOENT ? EX_NOINPUT : EX_USAGE;
        }
        log_set_max_level(arg_verbosity < 0 ? LOG_WARNING :
                          arg_verbosity == 0 ? LOG_NOTICE :
                          arg_verbosity == 1 ? LOG_INFO : LOG_DEBUG);
        if (arg_positional && arg_positional[0]) {
                ex = -1;
                for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                        if (streq(verbs[i].name, arg_positional[0])) {
                                ex = verbs[i].run(arg_positional + 1);
                                break;
                        }
                if (ex < 0) {
                        log_error("unknown verb '%s' (see collect --help)", arg_positional[0]);
                        ex = EX_USAGE;
                }
        } else {
                ex = do_collect();
        }
        args_done();
        return ex;
}
