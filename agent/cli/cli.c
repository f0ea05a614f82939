/* SPDX-License-Identifier: MIT */
/*
 * The verb table and cli_run(): parse the options, build a request for the
 * verb, run it, map the outcome to an exit code and print (agent/cli/cli.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "alloc-util.h"
#include "basic/interrupt.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/prompt.h"
#include "cli/verbs.h"
#include "loader-pages.h"
#include "log.h"
#include "monitor/hook.h"
#include "monitor/remote-poll.h"
#include "strv.h"

static enum collect_mode cli_mode;

static bool interactive(void)
{
        return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

static int cli_prompt(struct report *r, const struct checklist_result *cl,
                      const struct severity_result *sev, struct user_input *u)
{
        progress_stop();
        return prompt_missing(stdin, stderr, r, cl, sev, u);
}

static int cli_incomplete(const struct checklist_result *cl)
{
        switch (prompt_incomplete(stdin, stderr, cl)) {
        case PROMPT_FILE:
                return 0;
        case PROMPT_DRAFT:
                return 1;
        default:
                return -ECANCELED;
        }
}

static void cli_on_bundle(const struct collect_result *res)
{
        progress_stop();
        output_human(res, cli_mode, arg_verbosity);
}

/* The request the options describe (the window is parsed by the caller). */
static struct collect_request cli_request(void)
{
        return (struct collect_request) {
                .mode = arg_mode == MODE_ATTACH      ? COLLECT_MODE_ATTACH :
                        arg_mode == MODE_OPEN_TICKET ? COLLECT_MODE_OPEN_TICKET :
                                                       COLLECT_MODE_BUNDLE,
                .ticket_key = arg_ticket_key,
                .root = arg_root,
                .journal_dir = arg_journal_dir,
                .output = arg_output,
                .dirs = cli_dirs(),
                .environment = arg_environment,
                .product = arg_product,
                .summary = arg_summary,
                .description = arg_description,
                .steps = arg_steps,
                .impact = arg_impact,
                .type = arg_type,
                .workaround = arg_workaround,
                .severity = arg_severity,
                .share = arg_share,
                .allow_incomplete = arg_allow_incomplete,
                .mask = arg_mask,
                .dry_run = arg_dry_run,
                .yes = arg_yes,
                .interactive = interactive(),
                .on_collector = progress_collector,
                .on_bytes = progress_total,
                .prompt = cli_prompt,
                .incomplete = cli_incomplete,
                .on_bundle = cli_on_bundle,
        };
}

/* Prints the outcome of a collection; returns the exit code. */
static int cli_report(const struct collect_result *res)
{
        int ex = cli_exit_code(res->status, res->signal);

        if (arg_json)
                output_json_result(res, ex);
        else if (res->bundle_path)
                printf("%s\n", res->bundle_path);
        fflush(stdout);
        return ex;
}

static int verb_collect(struct collect_error *err)
{
        _cleanup_(collect_result_done) struct collect_result res = {};
        _cleanup_(policy_freep) struct policy *pol = NULL;
        struct collect_request q = cli_request();
        int r;

        r = collect_parse_window(arg_since, arg_until, 24 * USEC_PER_HOUR, &q.since, &q.until, err);
        if (r < 0)
                return EX_USAGE;
        r = cli_load_policy(NULL, &pol, err);
        if (r < 0)
                return cli_exit_code(err->status, 0);
        q.policy = pol;
        cli_mode = q.mode;
        progress_start(arg_verbosity >= 0);
        (void) collect_run(&q, &res);
        progress_stop();
        return cli_report(&res);
}

static int verb_hook(char **args, struct collect_error *err)
{
        _cleanup_(collect_result_done) struct collect_result res = {};
        _cleanup_(policy_freep) struct policy *pol = NULL;
        struct hook_request h = {
                .args = args,
                .since = arg_since,
                .until = arg_until,
                .payload_fd = STDIN_FILENO,
                .collect = cli_request(),
        };

        if (cli_load_policy(NULL, &pol, err) < 0)
                return cli_exit_code(err->status, 0);
        h.collect.policy = pol;
        h.collect.interactive = false;
        h.collect.prompt = NULL;
        cli_mode = COLLECT_MODE_OPEN_TICKET;
        (void) hook_run(&h, &res);
        if (!res.bundle_path && res.status == COLLECT_OK && !arg_json)
                return 0; /* nothing to file */
        return cli_report(&res);
}

/* One remote request answered: a collection attached to that request only. */
struct poll_base {
        struct collect_request q;
        unsigned n;
};

static int poll_answer(void *userdata, const char *key, const struct remote_trigger *t,
                       const char *intro)
{
        struct poll_base *b = userdata;
        _cleanup_(collect_result_done) struct collect_result res = {};
        struct collect_request q = b->q;
        int r;

        q.mode = COLLECT_MODE_ATTACH;
        q.ticket_key = key;
        q.since = t->since;
        q.until = t->until;
        q.mask = b->q.mask || t->mask; /* a trigger may raise masking, never lower it */
        q.comment_intro = intro;
        q.keep_in_state = !q.output;
        q.interactive = false;
        q.yes = true;
        q.prompt = NULL;
        q.on_bundle = NULL;
        q.on_collector = NULL;
        q.on_bytes = NULL;
        r = collect_run(&q, &res);
        b->n++;
        if (!arg_json)
                fprintf(stderr, "%s: %s%s%s\n", key,
                        res.status == COLLECT_OK      ? "answered with " :
                        res.status == COLLECT_SPOOLED ? "spooled " :
                                                        "failed: ",
                        res.status == COLLECT_OK || res.status == COLLECT_SPOOLED ?
                                (res.bundle_path ?: "a bundle") :
                                (res.error.message ?: "see above"),
                        "");
        if (res.status == COLLECT_SPOOLED)
                return -EAGAIN;
        return r < 0 ? r : 0;
}

static int verb_poll(char **args, struct collect_error *err)
{
        _cleanup_(config_done) struct config c = {};
        _cleanup_(policy_freep) struct policy *pol = NULL;
        _cleanup_free_ char *state = NULL;
        struct poll_base b = { .q = cli_request() };
        struct remote_poll_stats st = {};
        int r, ex;

        if (args[0]) {
                collect_error_set(err, COLLECT_USAGE, EINVAL, NULL,
                                  "poll takes no arguments ('%s')", args[0]);
                return EX_USAGE;
        }
        if (collect_load_config(&b.q.dirs, &c, err) < 0)
                return cli_exit_code(err->status, 0);
        if (!c.remote.enabled) {
                log_notice("remote requests are not enabled (remote_requests: {enabled: true} "
                           "in collect.yaml): nothing to do");
                return 0;
        }
        if (!c.has_portal) {
                collect_error_set(err, COLLECT_CONFIG, EINVAL, c.path,
                                  "remote requests need a portal: section in collect.yaml");
                return cli_exit_code(err->status, 0);
        }
        if (collect_state_dir(&b.q.dirs, &state, err) < 0 || cli_load_policy(NULL, &pol, err) < 0)
                return cli_exit_code(err->status, 0);
        b.q.policy = pol;
        r = remote_poll(&c, state, poll_answer, &b, &st);
        ex = r == -EAGAIN  ? EX_TEMPFAIL :
             r == -EACCES  ? EX_NOPERM :
             r < 0         ? 1 :
             st.failed > 0 ? 1 :
                             0;
        if (r < 0)
                collect_error_set(err,
                                  ex == EX_TEMPFAIL ? COLLECT_SPOOLED :
                                  ex == EX_NOPERM   ? COLLECT_NO_PERMISSION :
                                                      COLLECT_FAILED,
                                  -r, c.path, "the portal could not be polled: %s", strerror(-r));
        if (!arg_json)
                fprintf(stderr,
                        "poll: %u open requests, %u triggers: %u answered, %u refused, "
                        "%u ignored, %u failed\n",
                        st.requests, st.triggers, st.answered, st.refused, st.ignored, st.failed);
        else if (r >= 0) {
                json_auto_t *o = json_pack("{s:i, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i}}",
                                           "format_version", CLI_JSON_FORMAT_VERSION, "exit_code",
                                           ex, "poll", "requests", st.requests, "triggers",
                                           st.triggers, "answered", st.answered, "refused",
                                           st.refused, "ignored", st.ignored, "failed", st.failed);
                output_json_object(o);
        }
        return ex;
}

static const struct {
        const char *name;
        int (*run)(char **args, struct collect_error *err);
} verbs[] = {
        { "check", verb_check }, { "hook", verb_hook },     { "policy", verb_policy },
        { "poll", verb_poll },   { "portal", verb_portal }, { "snapshot", verb_snapshot },
        { "spool", verb_spool }, { "watch", verb_watch },
};

static int run_verb(char **positional, struct collect_error *err)
{
        if (!positional || !positional[0])
                return verb_collect(err);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, positional[0]))
                        return verbs[i].run(positional + 1, err);
        collect_error_set(err, COLLECT_USAGE, EINVAL, NULL,
                          "unknown verb '%s' (see collect --help)", positional[0]);
        return EX_USAGE;
}

/* Whether --json is among the arguments (for a usage error before parsing ends). */
static bool json_requested(int argc, char *argv[])
{
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--"))
                        break;
                if (streq(argv[i], "--json"))
                        return true;
        }
        return false;
}

int cli_run(int argc, char *argv[])
{
        _cleanup_(collect_error_done) struct collect_error err = {};
        int r, ex;

        /* From the start: a stop signal is handled at the next safe point (watch
         * installs its own handlers). */
        interrupt_install();
        r = args_parse(argc, argv);
        if (r <= 0) {
                ex = r == 0 ? 0 : r == -ENOENT ? EX_NOINPUT : EX_USAGE;
                if (r < 0 && json_requested(argc, argv))
                        output_json_error(&err, ex); /* the message logged by args_parse() */
                args_done();
                return ex;
        }
        /* still one thread: the loader's tables are not needed again */
        (void) loader_pages_drop();
        log_set_max_level(arg_verbosity < 0  ? LOG_WARNING :
                          arg_verbosity == 0 ? LOG_NOTICE :
                          arg_verbosity == 1 ? LOG_INFO :
                                               LOG_DEBUG);
        ex = run_verb(arg_positional, &err);
        if (arg_json && !output_json_printed())
                output_json_error(&err, ex);
        args_done();
        return ex;
}
