/* SPDX-License-Identifier: MIT */
/*
 * The verbs that do not collect (agent/cli/verbs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc-util.h"
#include "basic/interrupt.h"
#include "cli/args.h"
#include "cli/output.h"
#include "cli/policy-load.h"
#include "cli/verb-portal.h"
#include "cli/verb-spool.h"
#include "cli/verbs.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "log.h"
#include "monitor/watch.h"
#include "pipeline/manifest.h"
#include "pipeline/runner.h"
#include "pipeline/sink-agent.h"
#include "strv.h"

struct collect_dirs cli_dirs(void)
{
        return (struct collect_dirs) {
                .config = arg_config,
                .policy_dir = arg_policy_dir,
                .state_dir = arg_state_dir,
                .spool_dir = arg_spool_dir,
        };
}

#define DROPIN_DIR COLLECT_SYSCONFDIR "/policies.d"
#define SHIPPED_POLICY_DIR COLLECT_DATADIR "/policies"

int cli_load_policy(char *const *files, struct policy **ret, struct collect_error *err)
{
        _cleanup_free_ char *error = NULL, *path = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        if (strv_extend(&dirs, DROPIN_DIR) < 0 ||
            (arg_policy_dir && strv_extend(&dirs, arg_policy_dir) < 0))
                return collect_error_set(err, COLLECT_FAILED, ENOMEM, NULL, "out of memory");
        r = policy_load(SHIPPED_POLICY_DIR, dirs, files, ret, &error);
        if (r == -ENOMEM)
                return collect_error_set(err, COLLECT_FAILED, r, NULL, "out of memory");
        if (r < 0) {
                /* The message begins with the file it names: "path:line:col: …". */
                path = error ? xstrndup(error, strcspn(error, ":")) : NULL;
                return collect_error_set(err, COLLECT_CONFIG, r, path, "%s",
                                         error ? error : strerror(-r));
        }
        return 0;
}

static int fail(struct collect_error *err, int r)
{
        (void) r;
        return cli_exit_code(err->message ? err->status : COLLECT_FAILED, 0);
}

int verb_policy(char **args, struct collect_error *err)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        int r;

        if (!args[0] || !streq(args[0], "check")) {
                collect_error_set(err, COLLECT_USAGE, EINVAL, NULL,
                                  "usage: collect policy check [FILE...]");
                return EX_USAGE;
        }
        STRV_FOREACH(f, args + 1)
                if (access(*f, R_OK) < 0) {
                        collect_error_set(err, COLLECT_NO_INPUT, errno, *f, "policy file '%s': %s",
                                          *f, strerror(errno));
                        return EX_NOINPUT;
                }
        r = cli_load_policy(args + 1, &p, err);
        if (r < 0)
                return fail(err, r);
        if (arg_verbosity >= 0) {
                _cleanup_free_ char *files = strv_join(p->files, ", ");

                fprintf(stderr, "policy ok: %s\n", files ? files : "");
        }
        return 0;
}

/* A failed snapshot is one message: 73 when the state directory cannot take
 * it (disk full, read-only, not writable; the snapshot was rolled back), 1
 * otherwise. */
static int snapshot_failed(const struct collector_status *st, const char *state,
                           struct collect_error *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/snapshots", state);
        int e = st->error < 0 ? -st->error : EIO;

        if (st->result == COLLECTOR_TIMEOUT) {
                collect_error_set(err, COLLECT_FAILED, ETIME, NULL,
                                  "snapshot stopped at its deadline; nothing was recorded");
                return 1;
        }
        if (e == ENOSPC || e == EDQUOT || e == EROFS || e == EFBIG || e == EACCES || e == EPERM) {
                collect_error_set(err, COLLECT_CANT_CREATE, e, dir,
                                  "cannot record the snapshot in '%s': %s; nothing of it was kept",
                                  dir ?: state, strerror(e));
                return EX_CANTCREAT;
        }
        collect_error_set(err, COLLECT_FAILED, e, NULL, "cannot record the snapshot: %s",
                          st->error < 0 ? strerror(e) :
                          st->note      ?:
                                          "failed");
        return 1;
}

static int snapshot_report(const struct report *rep, const char *state, struct collect_error *err)
{
        for (size_t i = 0; i < rep->n_statuses; i++) {
                const struct collector_status *st = &rep->statuses[i];

                if (st->result == COLLECTOR_FAILED || st->result == COLLECTOR_TIMEOUT)
                        return snapshot_failed(st, state, err);
                if (arg_verbosity >= 0)
                        fprintf(stderr, "snapshot: %s%s%s\n",
                                collector_result_to_string(st->result), st->note ? ": " : "",
                                st->note ? st->note : "");
        }
        if (rep->n_statuses == 0) {
                collect_error_set(err, COLLECT_CONFIG, EINVAL, NULL,
                                  "the config collector is not enabled in the policy");
                return EX_CONFIG;
        }
        return 0;
}

int verb_snapshot(char **args, struct collect_error *err)
{
        _cleanup_(policy_freep) struct policy *pol = NULL;
        _cleanup_(report_done) struct report rep = {};
        _cleanup_(sink_freep) struct sink *s = NULL;
        _cleanup_free_ char *state = NULL;
        _cleanup_close_ int root_fd = -1;
        struct collect_dirs d = cli_dirs();
        const char *root = arg_root ? arg_root : "/";
        int r;

        if (args[0]) {
                collect_error_set(err, COLLECT_USAGE, EINVAL, NULL,
                                  "snapshot takes no arguments ('%s')", args[0]);
                return EX_USAGE;
        }
        r = cli_load_policy(NULL, &pol, err);
        if (r < 0)
                return fail(err, r);
        root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                collect_error_set(err, COLLECT_NO_INPUT, errno, root, "--root '%s': %s", root,
                                  strerror(errno));
                return EX_NOINPUT;
        }
        r = collect_state_dir(&d, &state, err);
        if (r < 0)
                return fail(err, r);
        /* No bundle, so nothing to redact: the sink refuses members (-EROFS). */
        r = sink_new(NULL, NULL, &rep, state, &s);
        if (r < 0)
                return log_oom(), 1;
        rep.until = now(CLOCK_REALTIME);
        rep.since = rep.until;
        struct runner_params rp = {
                .policy = pol,
                .root = root,
                .root_fd = root_fd,
                .since = rep.since,
                .until = rep.until,
                .state_dir = state,
                .snapshot_only = true,
        };
        r = runner_run(&rp, s, &rep);
        if (r == -EINTR || interrupt_pending()) {
                collect_error_set(err, COLLECT_INTERRUPTED, EINTR, NULL,
                                  "interrupted by SIG%s while recording the snapshot",
                                  sigabbrev_np(interrupt_pending()) ?: "?");
                return cli_exit_code(COLLECT_INTERRUPTED, interrupt_pending());
        }
        if (r < 0)
                return log_oom(), 1;
        return snapshot_report(&rep, state, err);
}

/* What the person states now overrides what the bundle recorded. */
static int check_input(struct report *rep, const struct config *c)
{
        struct user_input *u = &rep->input;

        if (collect_set_input(&u->environment, &u->environment_source, arg_environment,
                              c->environment) < 0 ||
            collect_set_input(&u->product, &u->product_source, arg_product, c->product) < 0 ||
            collect_set_input(&u->steps, &u->steps_source, arg_steps, NULL) < 0 ||
            collect_set_input(&u->impact, &u->impact_source, arg_impact, NULL) < 0)
                return -ENOMEM;
        if (arg_workaround != TRISTATE_UNKNOWN) {
                u->workaround = arg_workaround;
                u->workaround_source = INPUT_CLI;
        }
        if (arg_type != REQUEST_INCIDENT)
                u->type = arg_type;
        if (arg_severity >= 0)
                u->selected = arg_severity;
        strv_free(u->critical_units);
        u->critical_units = strv_copy(c->critical_units);
        return u->critical_units ? 0 : -ENOMEM;
}

static void check_print(const char *bundle, const struct checklist_result *cl,
                        const struct severity_result *sev, int ex)
{
        if (arg_json) {
                _cleanup_(json_decrefp)
                        json_t *o = json_pack("{s:i, s:s, s:o, s:o, s:i}", "format_version",
                                              CLI_JSON_FORMAT_VERSION, "bundle", bundle,
                                              "checklist", checklist_to_json(cl), "severity",
                                              severity_to_json(sev), "exit_code", ex);

                output_json_object(o);
        } else {
                struct dynbuf md;

                dynbuf_init(&md, 1 << 20);
                (void) checklist_severity_markdown(cl, sev, &md);
                fputs(md.buf ? md.buf : "", stdout);
                dynbuf_done(&md);
        }
}

int verb_check(char **args, struct collect_error *err)
{
        _cleanup_(config_done) struct config c = {};
        _cleanup_(policy_freep) struct policy *pol = NULL;
        _cleanup_(report_done) struct report rep = {};
        _cleanup_(checklist_result_done) struct checklist_result cl = {};
        _cleanup_(severity_result_done) struct severity_result sev = {};
        _cleanup_free_ char *error = NULL;
        struct collect_dirs d = cli_dirs();
        _cleanup_(json_decrefp) json_t *m = NULL;
        int r, ex;

        if (!args[0] || args[1]) {
                collect_error_set(err, COLLECT_USAGE, EINVAL, NULL, "usage: collect check BUNDLE");
                return EX_USAGE;
        }
        if (access(args[0], R_OK) < 0) {
                collect_error_set(err, COLLECT_NO_INPUT, errno, args[0], "bundle '%s': %s", args[0],
                                  strerror(errno));
                return EX_NOINPUT;
        }
        r = collect_load_config(&d, &c, err);
        if (r >= 0)
                r = cli_load_policy(NULL, &pol, err);
        if (r < 0)
                return fail(err, r);
        r = manifest_read(args[0], &m, &error);
        if (r < 0) {
                collect_error_set(err, r == -ENOMEM ? COLLECT_FAILED : COLLECT_NOT_FIT, r, args[0],
                                  "bundle '%s': %s", args[0], error ? error : strerror(-r));
                return fail(err, r);
        }
        r = report_from_manifest(m, &rep);
        if (r < 0 || check_input(&rep, &c) < 0)
                return log_oom(), 1;
        r = collect_evaluate(pol, &rep, &cl, &sev);
        if (r < 0)
                return r == -ENOMEM ? 1 : EX_CONFIG;
        ex = checklist_n_missing(&cl) > 0 ? EX_DATAERR : 0;
        check_print(args[0], &cl, &sev, ex);
        return ex;
}

int verb_spool(char **args, struct collect_error *err)
{
        _cleanup_(config_done) struct config c = {};
        _cleanup_free_ char *state = NULL;
        struct collect_dirs d = cli_dirs();
        int r;

        r = collect_load_config(&d, &c, err);
        if (r >= 0)
                r = collect_state_dir(&d, &state, err);
        if (r < 0)
                return fail(err, r);
        return verb_spool_run(collect_spool_dir(&d), state, &c, (int) strv_length(args), args);
}

int verb_portal(char **args, struct collect_error *err)
{
        _cleanup_(config_done) struct config c = {};
        struct collect_dirs d = cli_dirs();
        int r;

        r = collect_load_config(&d, &c, err);
        if (r < 0)
                return fail(err, r);
        return verb_portal_run(&c, (int) strv_length(args), args);
}

/* `collect watch`: every event runs `collect hook …` with the same options. */
int verb_watch(char **args, struct collect_error *err)
{
        _cleanup_strv_free_ char **pass = NULL;
        const struct {
                const char *opt;
                const char *value;
        } opts[] = {
                { "--config", arg_config },           { "--policy-dir", arg_policy_dir },
                { "--state-dir", arg_state_dir },     { "--spool-dir", arg_spool_dir },
                { "--output", arg_output },           { "--root", arg_root },
                { "--journal-dir", arg_journal_dir },
        };
        _cleanup_(config_done) struct config c = {};
        struct collect_dirs d = cli_dirs();
        struct watch_poll poll = { .self = "/proc/self/exe" };
        struct watch_params p = {
                .self = "/proc/self/exe",
                .journal_dir = arg_journal_dir,
                .listen = arg_listen,
                .journal = true,
                .poll = &poll,
        };
        int r;

        if (args[0]) {
                collect_error_set(err, COLLECT_USAGE, EINVAL, NULL,
                                  "watch takes no arguments ('%s')", args[0]);
                return EX_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(opts); i++)
                if (opts[i].value &&
                    (strv_extend(&pass, opts[i].opt) < 0 || strv_extend(&pass, opts[i].value) < 0))
                        return log_oom(), 1;
        if (arg_verbosity < 0 && strv_extend(&pass, "-q") < 0)
                return log_oom(), 1;
        p.hook_args = pass;
        r = collect_load_config(&d, &c, err);
        if (r < 0)
                return fail(err, r);
        if (c.remote.enabled && c.has_portal) {
                poll.args = pass;
                poll.interval = c.remote.interval;
                log_notice("watch: answering /collect comments on open requests every %llus",
                           (unsigned long long) (c.remote.interval / USEC_PER_SEC));
        }
        p.token_file = c.webhook_token_file;
        r = watch_run(&p);
        return r == -EINVAL ? EX_USAGE : r == -EKEYREJECTED ? EX_CONFIG : r < 0 ? EX_CANTCREAT : 0;
}
