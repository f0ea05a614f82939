/* SPDX-License-Identifier: MIT */
/*
 * What every verb needs before it works (agent/pipeline/collect.h): the
 * configuration, the policy, the state directory, the window, and the error
 * record a caller reports.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "analysis/checklist.h"
#include "analysis/severity.h"
#include "fd-util.h"
#include "log.h"
#include "parse-util.h"
#include "pipeline/collect.h"
#include "strv.h"
#include "ticket/http.h"

#define DEFAULT_CONFIG COLLECT_SYSCONFDIR "/collect.yaml"

void collect_error_done(struct collect_error *e)
{
        e->message = mfree(e->message);
        e->path = mfree(e->path);
}

int collect_error_set(struct collect_error *e, enum collect_status st, int error, const char *path,
                      const char *fmt, ...)
{
        char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        log_error("%s", msg ? msg : "out of memory");
        if (e && !e->message) {
                e->status = st;
                e->message = msg;
                e->path = path ? xstrdup(path) : NULL;
        } else {
                free(msg);
        }
        if (error == 0)
                return -EIO;
        return error > 0 ? -error : error;
}

int collect_load_config(const struct collect_dirs *d, struct config *c, struct collect_error *err)
{
        _cleanup_free_ char *error = NULL;
        const char *path = d->config ? d->config : getenv("COLLECT_CONFIG");
        int r;

        r = config_load(c, path ? path : DEFAULT_CONFIG, !path, &error);
        if (r == -ENOENT && path)
                return collect_error_set(err, COLLECT_NO_INPUT, r, path,
                                         "configuration file '%s' not found", path);
        if (r == -ENOMEM)
                return collect_error_set(err, COLLECT_FAILED, r, NULL, "out of memory");
        if (r < 0)
                return collect_error_set(err, COLLECT_CONFIG, r, path ? path : DEFAULT_CONFIG, "%s",
                                         error ? error : strerror(-r));
        /* one ca_file and proxy for every outbound connection (portal, Slack) */
        r = http_set_outbound(c->portal.ca_file, c->portal.proxy, c->portal.no_proxy);
        if (r == -ENOMEM)
                return collect_error_set(err, COLLECT_FAILED, ENOMEM, NULL, "out of memory");
        if (r < 0)
                return collect_error_set(err, COLLECT_CONFIG, r, c->portal.ca_file,
                                         "%s: portal.ca_file '%s' cannot be read: %s",
                                         path ? path : DEFAULT_CONFIG, c->portal.ca_file,
                                         strerror(-r));
        return 0;
}

/* The non-root state directory: $XDG_STATE_HOME/collect (default
 * ~/.local/state/collect), created 0700; refused when someone else owns it or
 * others may write to it. */
static char *user_state_dir(void)
{
        const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
        _cleanup_free_ char *d = NULL;
        struct stat st;

        if (x && x[0] == '/')
                d = xasprintf("%s/collect", x);
        else if (home && home[0] == '/')
                d = xasprintf("%s/.local/state/collect", home);
        if (!d || mkdir_p(d, 0700) < 0 || lstat(d, &st) < 0)
                return NULL;
        if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 022)) {
                log_error("state directory '%s' is not a directory of ours (owner %u, mode %04o): "
                          "refused",
                          d, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
                return NULL;
        }
        return TAKE_PTR(d);
}

int collect_state_dir(const struct collect_dirs *d, char **ret, struct collect_error *err)
{
        const char *dir = d->state_dir ? d->state_dir : COLLECT_DEFAULT_STATE_DIR;
        char *s;

        if (mkdir_p(dir, 0700) >= 0 && access(dir, W_OK) == 0) {
                s = xstrdup(dir);
        } else if (d->state_dir) {
                return collect_error_set(err, COLLECT_CANT_CREATE, EACCES, dir,
                                         "state directory '%s' cannot be created or written", dir);
        } else {
                s = user_state_dir();
                if (!s)
                        return collect_error_set(err, COLLECT_CANT_CREATE, EACCES, dir,
                                                 "no usable state directory ('%s' is not "
                                                 "writable, and neither is $XDG_STATE_HOME/"
                                                 "collect or ~/.local/state/collect)",
                                                 dir);
                log_notice("using state directory '%s' ('%s' is not writable)", s, dir);
        }
        if (!s)
                return collect_error_set(err, COLLECT_FAILED, ENOMEM, NULL, "out of memory");
        *ret = s;
        return 0;
}

const char *collect_spool_dir(const struct collect_dirs *d)
{
        return d->spool_dir ? d->spool_dir : COLLECT_DEFAULT_SPOOL_DIR;
}

int collect_parse_window(const char *since, const char *until, usec_t default_span,
                         usec_t *ret_since, usec_t *ret_until, struct collect_error *err)
{
        usec_t t = now(CLOCK_REALTIME), s, u = t;

        if (until && parse_time(until, t, &u) < 0)
                return collect_error_set(err, COLLECT_USAGE, EINVAL, NULL,
                                         "--until: cannot parse '%s' (a duration such as 90m "
                                         "or an ISO 8601 time)",
                                         until);
        s = u > default_span ? u - default_span : 0;
        if (since && parse_time(since, u, &s) < 0)
                return collect_error_set(err, COLLECT_USAGE, EINVAL, NULL,
                                         "--since: cannot parse '%s' (a duration such as 90m, "
                                         "24h, 7d or an ISO 8601 time)",
                                         since);
        if (s >= u)
                return collect_error_set(err, COLLECT_USAGE, EINVAL, NULL,
                                         "--since must be before --until");
        *ret_since = s;
        *ret_until = u;
        return 0;
}

int collect_set_input(char **field, enum input_source *source, const char *cli, const char *config)
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

int collect_evaluate(const struct policy *pol, struct report *rep, struct checklist_result *cl,
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
