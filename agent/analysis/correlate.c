/* SPDX-License-Identifier: MIT */
/*
 * Relating configuration changes to failing services (agent/analysis/correlate.h).
 */
#include <errno.h>
#include <string.h>

#include "alloc-util.h"
#include "analysis/correlate.h"
#include "strv.h"

static bool troubled(enum finding_kind k)
{
        return k == FINDING_UNIT_FAILED || k == FINDING_UNIT_DOWN || k == FINDING_UNIT_RESTARTS ||
               k == FINDING_CRASH || k == FINDING_ERRORS;
}

/* "nginx.service" -> "nginx", "getty@tty1.service" -> "getty", "/usr/sbin/app" -> "app". */
static char *unit_stem(const char *subject)
{
        const char *s = strrchr(subject, '/');
        size_t n;

        s = s ? s + 1 : subject;
        n = strcspn(s, ".@");
        if (n < 3)
                return NULL;
        return xstrndup(s, n);
}

/* True when path has a component that is stem, or starts with "stem." or "stem-"
 * ("/etc/nginx/nginx.conf", "/etc/systemd/system/app.service", "/etc/default/app"). */
static bool path_belongs(const char *path, const char *stem)
{
        size_t n = strlen(stem);

        for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
                const char *c = p + 1;

                if (strncmp(c, stem, n) == 0 &&
                    (c[n] == '/' || c[n] == 0 || c[n] == '.' || c[n] == '-' || c[n] == '@'))
                        return true;
        }
        return false;
}

static int changed_paths(const struct report *r, char ***ret)
{
        _cleanup_strv_free_ char **paths = NULL;

        for (size_t i = 0; i < r->n_findings; i++) {
                const struct finding *f = &r->findings[i];
                const char *d = f->detail;

                if (f->kind != FINDING_CONFIG_CHANGES || !d)
                        continue;
                for (const char *p = strchr(d, '/'); p; p = strchr(p, '/')) {
                        size_t n = strcspn(p, " ,;()\t");
                        _cleanup_free_ char *path = xstrndup(p, n);

                        if (!path)
                                return -ENOMEM;
                        if (n > 1 && (p == d || p[-1] == ' ' || p[-1] == ',') &&
                            !strv_contains(paths, path) && strv_extend(&paths, path) < 0)
                                return -ENOMEM;
                        p += n;
                }
        }
        *ret = TAKE_PTR(paths);
        return 0;
}

int correlate_config_changes(struct report *r)
{
        _cleanup_strv_free_ char **paths = NULL, **done = NULL;
        size_t n_findings = r->n_findings;
        int added = 0, k;

        k = changed_paths(r, &paths);
        if (k < 0)
                return k;
        if (!paths)
                return 0;
        for (size_t i = 0; i < n_findings; i++) {
                const struct finding *f = &r->findings[i];
                _cleanup_free_ char *stem = NULL, *subject = NULL;

                if (!troubled(f->kind) || !f->subject)
                        continue;
                stem = unit_stem(f->subject);
                subject = xstrdup(f->subject);
                if (!stem || !subject)
                        continue;
                STRV_FOREACH(p, paths) {
                        _cleanup_free_ char *detail = NULL;
                        struct finding t;

                        if (!path_belongs(*p, stem) || strv_contains(done, *p))
                                continue;
                        detail = xasprintf("%s changed in the window; %s %s", *p, subject,
                                           f->kind == FINDING_ERRORS        ? "logged errors" :
                                           f->kind == FINDING_CRASH         ? "crashed" :
                                           f->kind == FINDING_UNIT_RESTARTS ? "restarted" :
                                                                              "failed");
                        if (!detail || strv_extend(&done, *p) < 0)
                                return -ENOMEM;
                        t = (struct finding) {
                                .kind = FINDING_CONFIG_TOUCHES_FAILING,
                                .subject = *p,
                                .count = 1,
                                .detail = detail,
                                .source = "agent",
                        };
                        k = report_add_finding(r, &t);
                        if (k < 0)
                                return k;
                        f = &r->findings[i]; /* the array may have moved */
                        added++;
                }
        }
        return added;
}
