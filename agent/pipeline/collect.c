/* SPDX-License-Identifier: MIT */
/*
 * One collection (agent/pipeline/collect.h), in stages: prepare (config,
 * policy, root, state, redactor, host), open the bundle, run the collectors
 * through the sink, analyse (errors, correlation, checklist, severity, the
 * prompt), finish the bundle (summary, redaction.json, manifest), leak check
 * (before the bundle is renamed into place), then file or draft.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "analysis/correlate.h"
#include "analysis/errors.h"
#include "basic/interrupt.h"
#include "dynbuf.h"
#include "fd-util.h"
#include "log.h"
#include "parse-util.h"
#include "pipeline/bundle.h"
#include "pipeline/collect.h"
#include "pipeline/manifest.h"
#include "pipeline/retention.h"
#include "pipeline/runner.h"
#include "pipeline/sink-agent.h"
#include "redact/redact.h"
#include "strv.h"
#include "ticket/ticket.h"

/* How many names a run tries before it gives up (each taken one adds a suffix). */
#define BUNDLE_NAME_ATTEMPTS 32

struct run {
        const struct collect_request *req;
        struct collect_result *ret;
        struct config config;
        const struct policy *policy;
        char *state_dir;
        char *host;
        int root_fd;
        bool live;
        struct redactor *rd;
        struct errors *errs;
        struct bundle *b;
        struct leakcheck *lc; /* scans members as they enter the bundle */
        int leaks;            /* its result: hits, or -errno when it could not run */
        struct sink *s;
        json_t *top_errors;
        json_t *histogram; /* errors per interval by source, for timeline.svg */
        json_t *manifest;
        bool aborted;              /* the person aborted the prompt */
        bool incomplete_ok, draft; /* the person chose to file (or draft) what was given */
        usec_t started;
};

static void run_done(struct run *c)
{
        sink_free(c->s);
        bundle_free(c->b);
        leakcheck_free(c->lc);
        errors_free(c->errs);
        redactor_free(c->rd);
        config_done(&c->config);
        free(c->state_dir);
        free(c->host);
        safe_close(c->root_fd);
        json_decref(c->top_errors);
        json_decref(c->histogram);
        json_decref(c->manifest);
}

void collect_result_done(struct collect_result *r)
{
        collect_error_done(&r->error);
        r->bundle_path = mfree(r->bundle_path);
        report_done(&r->report);
        checklist_result_done(&r->checklist);
        severity_result_done(&r->severity);
        json_decref(r->redaction);
        json_decref(r->ticket);
        json_decref(r->leak_check);
        r->redaction = r->ticket = r->leak_check = NULL;
        r->ticket_key = mfree(r->ticket_key);
}

static int oom(struct run *c)
{
        return collect_error_set(&c->ret->error, COLLECT_FAILED, ENOMEM, NULL, "out of memory");
}

/* A stop signal: the caller unwinds, removing the temporary bundle. */
static int interrupted(struct run *c, const char *what)
{
        c->ret->signal = interrupt_pending();
        return collect_error_set(&c->ret->error, COLLECT_INTERRUPTED, EINTR,
                                 c->b && !bundle_tmp_path(c->b) ? bundle_path(c->b) : NULL,
                                 "interrupted by SIG%s while %s: %s, nothing was sent",
                                 sigabbrev_np(c->ret->signal) ?: "?", what,
                                 c->b && !bundle_tmp_path(c->b) ?
                                         "the finished bundle is kept" :
                                         "the temporary bundle was removed");
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

static int fill_input(struct user_input *u, const struct collect_request *q, const struct config *c,
                      struct redactor *rd)
{
        int r = 0;

        u->type = q->type;
        u->workaround = q->workaround;
        u->workaround_source = q->workaround != TRISTATE_UNKNOWN ? INPUT_CLI : INPUT_NONE;
        u->selected = q->severity;
        if (collect_set_input(&u->environment, &u->environment_source, q->environment,
                              c->environment) < 0 ||
            collect_set_input(&u->product, &u->product_source, q->product, c->product) < 0)
                return -ENOMEM;
        u->summary = q->summary ? xstrdup(q->summary) : NULL;
        u->description = q->description ? xstrdup(q->description) : NULL;
        if (collect_set_input(&u->steps, &u->steps_source, q->steps, NULL) < 0 ||
            collect_set_input(&u->impact, &u->impact_source, q->impact, NULL) < 0)
                return -ENOMEM;
        u->critical_units = strv_copy(c->critical_units);
        if (!u->critical_units)
                return -ENOMEM;
        char **fields[] = { &u->environment, &u->product, &u->summary,
                            &u->description, &u->steps,   &u->impact };
        for (size_t i = 0; i < ELEMENTSOF(fields) && r >= 0; i++)
                r = redact_input(rd, fields[i]);
        return r;
}

/* ---- stage: prepare ---- */

static int prepare_inputs(struct run *c)
{
        const struct collect_request *q = c->req;
        struct collect_error *err = &c->ret->error;
        const char *root = q->root ? q->root : "/";
        char real[PATH_MAX];
        int r;

        r = collect_load_config(&q->dirs, &c->config, err);
        if (r < 0)
                return r;
        c->policy = q->policy;
        if (!c->policy)
                return collect_error_set(err, COLLECT_FAILED, EINVAL, NULL, "no policy loaded");
        c->ret->report.since = q->since;
        c->ret->report.until = q->until;
        if (q->journal_dir && access(q->journal_dir, R_OK | X_OK) < 0)
                return collect_error_set(err, COLLECT_NO_INPUT, errno, q->journal_dir,
                                         "--journal-dir '%s': %s", q->journal_dir, strerror(errno));
        c->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->root_fd < 0)
                return collect_error_set(err, COLLECT_NO_INPUT, errno, root, "--root '%s': %s",
                                         root, strerror(errno));
        c->live = realpath(root, real) && streq(real, "/");
        return collect_state_dir(&q->dirs, &c->state_dir, err);
}

/* Checks before work: nothing is collected for a filing that cannot happen. */
static int prepare_checks(struct run *c)
{
        const struct collect_request *q = c->req;
        struct collect_error *err = &c->ret->error;
        _cleanup_free_ char *error = NULL;
        int r;

        if (q->mode == COLLECT_MODE_BUNDLE || !c->config.has_portal)
                return 0;
        if (!q->dry_run && !q->yes && !q->interactive)
                return collect_error_set(err, COLLECT_USAGE, ENOTTY, NULL,
                                         "not filing from a non-terminal without --yes; nothing "
                                         "was collected");
        r = ticket_check_credentials(&c->config, &error);
        if (r == -ENOMEM)
                return oom(c);
        if (r < 0)
                return collect_error_set(err, COLLECT_CONFIG, r, c->config.portal.credentials,
                                         "portal credentials: %s; nothing was collected",
                                         error ? error : strerror(-r));
        if (q->mode != COLLECT_MODE_ATTACH)
                return 0;
        r = ticket_check_request(&c->config, q->ticket_key);
        if (r == -ENOENT)
                return collect_error_set(err, COLLECT_CONFIG, r, NULL,
                                         "ticket %s does not exist or this account cannot see "
                                         "it; nothing was collected",
                                         q->ticket_key);
        if (r == -EACCES)
                return collect_error_set(err, COLLECT_NO_PERMISSION, r, NULL,
                                         "the portal refused the credentials or permission for "
                                         "%s; nothing was collected",
                                         q->ticket_key);
        if (r == -EINTR)
                return interrupted(c, "checking the ticket");
        if (r < 0)
                log_notice("cannot check ticket %s now (%s); the bundle will be spooled if the "
                           "portal stays unreachable",
                           q->ticket_key, strerror(-r));
        return 0;
}

static int prepare_mask(struct run *c)
{
        _cleanup_strv_free_ char **names = NULL, **users = NULL;
        _cleanup_free_ char *map = NULL;
        char *masked = NULL;
        size_t len;
        int r;

        map = xasprintf("%s/pseudonyms.json", c->state_dir);
        if (!map || strv_extend(&names, c->host) < 0)
                return oom(c);
        r = redactor_enable_mask(c->rd, map, names);
        if (r < 0)
                return collect_error_set(&c->ret->error, COLLECT_CANT_CREATE, r, map,
                                         "cannot use the pseudonym map '%s': %s", map,
                                         strerror(-r));
        users = login_users(c->root_fd);
        if (users && redactor_mask_add_users(c->rd, users) < 0)
                return oom(c);
        if (redact_buffer(c->rd, "bundle-name", c->host, strlen(c->host), &masked, &len) >= 0) {
                free(c->host);
                c->host = masked;
        }
        return 0;
}

static int prepare_redaction(struct run *c)
{
        _cleanup_free_ char *error = NULL;
        struct collect_result *ret = c->ret;
        int r;

        r = redactor_new(policy_section(c->policy, "redaction"), &c->rd, &error);
        if (r < 0)
                return collect_error_set(&ret->error,
                                         r == -ENOMEM ? COLLECT_FAILED : COLLECT_CONFIG, r, NULL,
                                         "%s", error ? error : strerror(-r));
        c->host = host_name(c->root_fd, c->live);
        if (!c->host)
                return oom(c);
        if (c->req->mask) {
                r = prepare_mask(c);
                if (r < 0)
                        return r;
        }
        sanitize_name(c->host);
        ret->report.host = xstrdup(c->host);
        r = fill_input(&ret->report.input, c->req, &c->config, c->rd);
        if (r < 0 || !ret->report.host)
                return oom(c);
        error = mfree(error);
        r = errors_new(policy_section(c->policy, "errors"), &c->errs, &error);
        if (r < 0)
                return collect_error_set(&ret->error,
                                         r == -ENOMEM ? COLLECT_FAILED : COLLECT_CONFIG, r, NULL,
                                         "%s", error ? error : strerror(-r));
        errors_set_window(c->errs, ret->report.since, ret->report.until);
        return 0;
}

/* ---- stage: open the bundle under a name nobody else has ---- */

static bool output_is_file(const char *out)
{
        size_t n = out ? strlen(out) : 0;

        return (n > 7 && streq(out + n - 7, ".tar.gz")) || (n > 4 && streq(out + n - 4, ".tgz"));
}

/* The output directory: --output, else <state>/bundles for what the agent keeps,
 * else the current directory. */
static int output_dir(struct run *c, char **ret)
{
        const char *out = c->req->output;
        struct stat st;

        if (!out && c->req->keep_in_state) {
                *ret = xasprintf("%s/" RETENTION_BUNDLE_DIR, c->state_dir);
                if (!*ret || mkdir_p(*ret, 0700) < 0)
                        return collect_error_set(&c->ret->error, COLLECT_CANT_CREATE, EACCES, *ret,
                                                 "cannot create '%s'", *ret);
                return 0;
        }
        out = out ? out : ".";
        if (stat(out, &st) < 0)
                return collect_error_set(&c->ret->error, COLLECT_CANT_CREATE, errno, out,
                                         "output directory '%s': %s", out, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return collect_error_set(&c->ret->error, COLLECT_CANT_CREATE, ENOTDIR, out,
                                         "output '%s' is neither a directory nor a .tar.gz path",
                                         out);
        *ret = xstrdup(out);
        return *ret ? 0 : oom(c);
}

/* collect-<host>-<UTC time>[-<KEY>][-<unique>].tar.gz; the suffix from attempt 1 on. */
static char *bundle_name(struct run *c, const char *dir, usec_t t, unsigned attempt)
{
        const char *key = c->req->mode == COLLECT_MODE_ATTACH ? c->req->ticket_key : NULL;
        char stamp[32], unique[16] = "";
        size_t n = strlen(dir);

        if (attempt > 0) {
                uint32_t v = 0;

                if (getrandom(&v, sizeof(v), 0) != (ssize_t) sizeof(v))
                        v = (uint32_t) getpid() * 2654435761u + attempt;
                snprintf(unique, sizeof(unique), "-%06x", v & 0xffffff);
        }
        return xasprintf("%s%scollect-%s-%s%s%s%s.tar.gz", dir, dir[n - 1] == '/' ? "" : "/",
                         c->host, format_compact(stamp, sizeof(stamp), t), key ? "-" : "",
                         key ? key : "", unique);
}

static int open_bundle(struct run *c)
{
        _cleanup_free_ char *dir = NULL, *path = NULL;
        usec_t t = now(CLOCK_REALTIME);
        int r = -EEXIST;

        if (output_is_file(c->req->output)) {
                path = xstrdup(c->req->output);
                if (!path)
                        return oom(c);
                r = bundle_new(path, t, &c->b);
        } else {
                r = output_dir(c, &dir);
                if (r < 0)
                        return r;
                (void) bundle_sweep(dir);
                r = -EEXIST;
                for (unsigned i = 0; i < BUNDLE_NAME_ATTEMPTS && r == -EEXIST; i++) {
                        free(path);
                        path = bundle_name(c, dir, t, i);
                        if (!path)
                                return oom(c);
                        r = bundle_new(path, t, &c->b);
                }
        }
        if (r >= 0)
                r = bundle_set_compression(c->b, (int) c->policy->compression_level);
        if (r >= 0)
                r = leakcheck_new(&c->lc);
        if (r >= 0)
                bundle_set_leakcheck(c->b, c->lc);
        if (r == -ENOMEM)
                return oom(c);
        if (r < 0)
                return collect_error_set(&c->ret->error, COLLECT_CANT_CREATE, r, path,
                                         "cannot create the bundle '%s': %s", path, strerror(-r));
        return 0;
}

/* ---- stage: run the collectors ---- */

/* The errors seen in every log, grouped: a collector of its own in the manifest. */
static void run_errors_collector(struct run *c, const char *root)
{
        struct collect_ctx ectx = {
                .name = "errors",
                .root = root,
                .root_fd = c->root_fd,
                .budget = c->policy->per_collector_budget,
                .per_file = c->policy->per_file_budget,
                .deadline = now(CLOCK_MONOTONIC) + 60 * USEC_PER_SEC,
                .state_dir = c->state_dir,
                .never_collect = c->policy->never_collect,
        };
        int r;

        sink_begin(c->s, &ectx);
        r = errors_emit(c->errs, c->s);
        if (r < 0)
                log_warning_errno(r, "cannot write the error summary: %m");
        sink_end(c->s, &(struct collector_status) {});
        c->top_errors = errors_top(c->errs, 20);
        c->histogram = errors_histogram(c->errs, 6);
}

static int run_collectors(struct run *c)
{
        const char *root = c->req->root ? c->req->root : "/";
        _cleanup_free_ char *stage = NULL;
        const char *slash;
        int r;

        slash = strrchr(bundle_path(c->b), '/');
        stage = slash ? xstrndup(bundle_path(c->b),
                                 MAX((size_t) (slash - bundle_path(c->b)), (size_t) 1)) :
                        xstrdup(".");
        if (!stage)
                return oom(c);
        r = sink_new(c->b, c->rd, &c->ret->report, stage, &c->s);
        if (r >= 0)
                r = sink_add_line_observer_words(c->s, errors_observe_line, errors_observe_end,
                                                 c->errs, errors_words(c->errs));
        if (r < 0)
                return oom(c);
        if (c->req->on_bytes)
                sink_set_progress(c->s, c->req->on_bytes);
        struct runner_params rp = {
                .policy = c->policy,
                .root = root,
                .root_fd = c->root_fd,
                .since = c->ret->report.since,
                .until = c->ret->report.until,
                .journal_dir = c->req->journal_dir,
                .state_dir = c->state_dir,
                .progress = c->req->on_collector,
        };
        r = runner_run(&rp, c->s, &c->ret->report);
        if (r == -EINTR || interrupt_pending())
                return interrupted(c, "collecting");
        if (r < 0)
                return oom(c);
        run_errors_collector(c, root);
        return interrupt_pending() ? interrupted(c, "collecting") : 0;
}

/* ---- stage: analyse ---- */

static int analyse(struct run *c)
{
        const struct collect_request *q = c->req;
        struct collect_result *ret = c->ret;
        int r;

        for (size_t i = 0; i < q->n_findings; i++)
                if (report_add_finding(&ret->report, &q->findings[i]) < 0)
                        return oom(c);
        if (correlate_config_changes(&ret->report) < 0)
                return oom(c);
        r = collect_evaluate(c->policy, &ret->report, &ret->checklist, &ret->severity);
        if (r < 0)
                return collect_error_set(&ret->error,
                                         r == -ENOMEM ? COLLECT_FAILED : COLLECT_CONFIG, r, NULL,
                                         "cannot evaluate the checklist and severity");
        ret->evaluated = true;
        /* The gate: ask a person on a terminal for what only they know. */
        if (q->mode != COLLECT_MODE_OPEN_TICKET || q->yes || !q->interactive || !q->prompt ||
            !((checklist_n_missing(&ret->checklist) > 0 && !q->allow_incomplete) ||
              (ret->report.input.workaround == TRISTATE_UNKNOWN && ret->severity.hint)))
                return 0;
        r = q->prompt(&ret->report, &ret->checklist, &ret->severity, &ret->report.input);
        if (r >= 0) {
                char **fields[] = { &ret->report.input.environment, &ret->report.input.product,
                                    &ret->report.input.steps, &ret->report.input.impact };

                for (size_t i = 0; i < ELEMENTSOF(fields) && r >= 0; i++)
                        r = redact_input(c->rd, fields[i]);
                if (r >= 0)
                        r = collect_evaluate(c->policy, &ret->report, &ret->checklist,
                                             &ret->severity);
        }
        /* what was typed is kept: file it, keep it as a draft, or cancel */
        if (r >= 0 && q->incomplete && checklist_n_missing(&ret->checklist) > 0 &&
            !q->allow_incomplete) {
                r = q->incomplete(&ret->checklist);
                c->incomplete_ok = r >= 0;
                c->draft = r == 1;
        }
        if (r == -ECANCELED) {
                log_notice("prompt aborted; nothing will be filed");
                c->aborted = true;
        } else if (r < 0) {
                return collect_error_set(&ret->error, COLLECT_FAILED, r, NULL,
                                         "the prompt failed: %s", strerror(-r));
        }
        return interrupt_pending() ? interrupted(c, "asking") : 0;
}

/* ---- stage: finish the bundle (summary.md, redaction.json, manifest.json) ---- */

static int write_failed(struct run *c, int r)
{
        log_set_muted(false);
        if (r == -EINTR || interrupt_pending())
                return interrupted(c, "writing the bundle");
        return collect_error_set(&c->ret->error, COLLECT_CANT_CREATE, r, bundle_path(c->b),
                                 "cannot write the bundle '%s': %s", bundle_path(c->b),
                                 strerror(-r));
}

static int add_json_member(struct run *c, const char *name, json_t *o, size_t flags, bool raw)
{
        _cleanup_free_ char *txt = o ? json_dumps(o, flags) : NULL;

        if (!txt)
                return oom(c);
        return raw ? sink_add_raw(c->s, name, txt, strlen(txt)) :
                     sink_add_data(c->s, name, txt, strlen(txt), 0);
}

/*
 * The leak check ran alongside the writing (see bundle_set_leakcheck): what it
 * found in every member so far and what it cost go into ret->leak_check and
 * the manifest. "seconds" is what the run waited for it at the end,
 * "cpu_seconds" the time its thread ran, beside the collection.
 */
static int leak_check_result(struct run *c)
{
        struct leakcheck_stats st = {};
        _cleanup_(json_decrefp) json_t *hits = NULL;
        usec_t t;

        /* every member written (the writer thread feeds the check), then what it found */
        (void) sink_flush(c->s); /* an error is the sink's fatal error, checked later */
        t = now(CLOCK_MONOTONIC);
        c->leaks = leakcheck_sync(c->lc, &hits, &st);
        c->ret->leak_check = json_pack("{s:o, s:f, s:f, s:I, s:I}", "hits",
                                       hits ? TAKE_PTR(hits) : json_array(), "seconds",
                                       (double) (now(CLOCK_MONOTONIC) - t) / USEC_PER_SEC,
                                       "cpu_seconds", (double) st.cpu / USEC_PER_SEC, "bytes",
                                       (json_int_t) st.bytes, "members", (json_int_t) st.members);
        return c->ret->leak_check ? 0 : oom(c);
}

static int finish_bundle(struct run *c)
{
        struct collect_result *ret = c->ret;
        _cleanup_free_ char *summary_md = NULL;
        _cleanup_(json_decrefp) json_t *rj = NULL;
        struct dynbuf md;
        int r;

        ret->redaction = redactor_report(c->rd);
        struct manifest_params mp = {
                .bundle_name = bundle_top(c->b),
                .report = &ret->report,
                .cuts = sink_cuts(c->s),
                .checklist = &ret->checklist,
                .severity = &ret->severity,
                .redaction = ret->redaction,
                .errors_top = c->top_errors,
                .error_histogram = c->histogram,
                .masked = c->req->mask,
        };
        dynbuf_init(&md, 4 << 20);
        r = summary_render(&mp, &md);
        summary_md = dynbuf_steal(&md);
        if (r < 0 || !summary_md)
                return oom(c);
        r = sink_fatal_error(c->s);
        if (r >= 0)
                r = manifest_add_timeline_svg(&mp, c->s);
        if (r >= 0)
                r = sink_add_data(c->s, "summary.md", summary_md, strlen(summary_md), 0);
        if (r < 0)
                return write_failed(c, r);
        rj = redactor_report(c->rd);
        r = add_json_member(c, "redaction.json", rj, JSON_INDENT(2) | JSON_SORT_KEYS, true);
        if (r < 0)
                return ret->error.message ? r : write_failed(c, r);
        c->manifest = manifest_build(&mp);
        r = c->manifest ? leak_check_result(c) : oom(c);
        if (r < 0)
                return r;
        json_object_set(c->manifest, "leak_check", ret->leak_check);
        /* "members" is added as it is written, row by row (sink_add_manifest) */
        r = sink_add_manifest(c->s, "manifest.json", c->manifest);
        if (r < 0)
                return ret->error.message ? r : write_failed(c, r);
        /* the manifest itself is checked too (its own hits are not in it) */
        {
                _cleanup_(json_decrefp) json_t *hits = NULL;
                int before = c->leaks;

                c->leaks = leakcheck_sync(c->lc, &hits, NULL);
                if (c->leaks > before)
                        json_object_set(ret->leak_check, "hits", hits);
        }
        r = sink_fatal_error(c->s);
        if (r >= 0)
                r = interrupt_pending() ? -EINTR : bundle_finish(c->b);
        if (r < 0)
                return write_failed(c, r);
        ret->bundle_bytes = bundle_bytes(c->b);
        memcpy(ret->bundle_sha256, bundle_sha256(c->b), sizeof(ret->bundle_sha256));
        return 0;
}

/* ---- stage: leak check, then the bundle goes into place ---- */

/* "steps, impact": the missing items by name. New string or NULL. */
static char *missing_names(const struct checklist_result *cl)
{
        _cleanup_strv_free_ char **l = NULL;

        for (int i = 0; i < _CHECKLIST_ITEM_MAX; i++)
                if (cl->items[i].required && cl->items[i].status == CHECKLIST_MISSING &&
                    strv_extend(&l, checklist_item_to_string((enum checklist_item) i)) < 0)
                        return NULL;
        return l ? strv_join(l, ", ") : NULL;
}

/* A bundle with a possible secret is kept aside in <state>/quarantine, never sent. */
static int quarantine(struct run *c, int hits)
{
        _cleanup_free_ char *dir = xasprintf("%s/" RETENTION_QUARANTINE_DIR, c->state_dir);
        _cleanup_free_ char *path = NULL;
        const char *base = strrchr(bundle_path(c->b), '/');
        size_t i;
        json_t *h;
        int r;

        base = base ? base + 1 : bundle_path(c->b);
        path = dir ? xasprintf("%s/%s", dir, base) : NULL;
        if (!path)
                return oom(c);
        json_array_foreach(json_object_get(c->ret->leak_check, "hits"), i, h)
                fprintf(stderr, "  %s:%lld: %s\n", json_string_value(json_object_get(h, "member")),
                        (long long) json_integer_value(json_object_get(h, "line")),
                        json_string_value(json_object_get(h, "detector")));
        r = mkdir_p(dir, 0700);
        if (r >= 0)
                r = bundle_move_aside(c->b, path);
        if (r < 0)
                log_warning_errno(r, "cannot keep the bundle in '%s' for inspection: %m", dir);
        else
                json_object_set_new(c->ret->leak_check, "quarantine", json_string(path));
        return collect_error_set(&c->ret->error, COLLECT_NOT_FIT, EBADMSG, r < 0 ? NULL : path,
                                 "leak check: %d possible secret(s) remain in the bundle; it is "
                                 "not fit to file and nothing was sent%s%s; fix the redaction "
                                 "policy or remove the file, then run again",
                                 hits, r < 0 ? "" : "; kept for inspection in ", r < 0 ? "" : path);
}

static int leak_check(struct run *c)
{
        int r;

        if (interrupt_pending())
                return interrupted(c, "checking the bundle for secrets");
        if (c->leaks < 0) {
                /* fails closed: a bundle that could not be checked is not sent */
                json_object_set_new(c->ret->leak_check, "error", json_string(strerror(-c->leaks)));
                return collect_error_set(&c->ret->error, COLLECT_FAILED, -c->leaks, NULL,
                                         "the leak check could not run (%s): the bundle was "
                                         "removed and nothing was sent",
                                         strerror(-c->leaks));
        }
        if (c->leaks > 0)
                return quarantine(c, c->leaks);
        r = bundle_commit(c->b);
        if (r < 0)
                return write_failed(c, r);
        return 0;
}

/* ---- stage: file or draft ---- */

static enum collect_status ticket_status(int r)
{
        switch (r) {
        case -EAGAIN:
                return COLLECT_SPOOLED;
        case -EACCES:
        case -EPERM:
                return COLLECT_NO_PERMISSION;
        case -EINVAL:
        case -ENOENT:
                return COLLECT_CONFIG;
        case -ENOTTY:
                return COLLECT_USAGE;
        case -ENOSPC:
        case -EDQUOT:
        case -EROFS:
                return COLLECT_CANT_CREATE;
        default:
                return COLLECT_FAILED;
        }
}

static int file_or_draft(struct run *c)
{
        const struct collect_request *q = c->req;
        struct collect_result *ret = c->ret;
        _cleanup_free_ char *missing = NULL;
        const char *key;
        int r;

        if (c->aborted)
                return collect_error_set(&ret->error, COLLECT_NOT_FIT, ECANCELED, NULL,
                                         "the prompt was aborted: nothing was filed");
        if (interrupt_pending())
                return interrupted(c, "about to file");
        if (q->mode == COLLECT_MODE_OPEN_TICKET && checklist_n_missing(&ret->checklist) > 0 &&
            !q->allow_incomplete && !c->incomplete_ok) {
                /* the items and their options are listed with the checklist: names only */
                missing = missing_names(&ret->checklist);
                return collect_error_set(&ret->error, COLLECT_NOT_FIT, EBADMSG, NULL,
                                         "required information is missing (%s), nothing was "
                                         "filed; supply it with the options the checklist "
                                         "names (or --allow-incomplete)",
                                         missing ? missing : "?");
        }
        struct ticket_job job = {
                .action = q->mode == COLLECT_MODE_ATTACH ? TICKET_ATTACH : TICKET_OPEN,
                .key = q->ticket_key,
                .bundle_path = bundle_path(c->b),
                .manifest = c->manifest,
                .config = &c->config,
                .share = q->share,
                .state_dir = c->state_dir,
                .spool_dir = collect_spool_dir(&q->dirs),
                .dry_run = q->dry_run,
                .assume_yes = q->yes,
                .interactive = q->interactive,
                .allow_incomplete = q->allow_incomplete || c->incomplete_ok,
                .draft = c->draft,
                .problem_marker = q->problem_marker,
                .comment_intro = q->comment_intro,
        };
        json_object_set_new(c->manifest, "bundle",
                            json_pack("{s:s, s:I, s:s}", "path", bundle_path(c->b), "bytes",
                                      (json_int_t) bundle_bytes(c->b), "sha256",
                                      bundle_sha256(c->b)));
        r = ticket_submit(&job, &ret->ticket);
        key = json_string_value(json_object_get(ret->ticket, "key"));
        if (key && !(ret->ticket_key = xstrdup(key)))
                return oom(c);
        if (r == -EINTR) {
                /* the transfer was cut: the submission stays in the spool */
                ret->signal = interrupt_pending();
                return collect_error_set(
                        &ret->error, COLLECT_INTERRUPTED, EINTR, bundle_path(c->b),
                        "interrupted by SIG%s while filing the request: the "
                        "submission stays in the spool as %s ('collect spool "
                        "flush' sends it, without a second ticket)",
                        sigabbrev_np(ret->signal) ?: "?",
                        json_string_value(json_object_get(ret->ticket, "spool_id")) ?: "?");
        }
        if (r < 0) {
                ret->status = ticket_status(r);
                if (!ret->error.message)
                        ret->error.status = ret->status;
                return r;
        }
        return 0;
}

/* ---- the run ---- */

static int run_stages(struct run *c)
{
        int r;

        r = prepare_inputs(c);
        if (r >= 0)
                r = prepare_checks(c);
        if (r >= 0)
                r = prepare_redaction(c);
        if (r >= 0)
                r = open_bundle(c);
        if (r >= 0)
                r = run_collectors(c);
        if (r >= 0)
                r = analyse(c);
        if (r >= 0)
                r = finish_bundle(c);
        if (r >= 0)
                r = leak_check(c);
        if (c->b && bundle_tmp_path(c->b) == NULL) {
                c->ret->bundle_path = xstrdup(bundle_path(c->b));
                if (!c->ret->bundle_path)
                        return oom(c);
        }
        if (r < 0)
                return r;
        if (c->req->mask) {
                /* a lost mapping would give the next run's host the same pseudonym */
                r = redactor_save_mask(c->rd);
                if (r < 0)
                        return collect_error_set(&c->ret->error, COLLECT_CANT_CREATE, -r, NULL,
                                                 "cannot save the pseudonym map: %s", strerror(-r));
        }
        (void) retention_prune(c->state_dir, collect_spool_dir(&c->req->dirs), c->policy);
        c->ret->duration = now(CLOCK_MONOTONIC) - c->started;
        if (c->req->on_bundle)
                c->req->on_bundle(c->ret);
        if (c->req->mode == COLLECT_MODE_BUNDLE)
                return 0;
        return file_or_draft(c);
}

int collect_run(const struct collect_request *req, struct collect_result *ret)
{
        struct run c = {
                .req = req,
                .ret = ret,
                .root_fd = -1,
                .started = now(CLOCK_MONOTONIC),
        };
        int r;

        ret->report.input.selected = _SEVERITY_INVALID;
        ret->severity.selected = _SEVERITY_INVALID;
        r = run_stages(&c);
        log_set_muted(false);
        if (r < 0 && ret->status == COLLECT_OK)
                ret->status = ret->error.message ? ret->error.status : COLLECT_FAILED;
        ret->duration = now(CLOCK_MONOTONIC) - c.started;
        run_done(&c);
        return r < 0 ? r : 0;
}
