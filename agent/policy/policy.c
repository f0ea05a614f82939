/* SPDX-License-Identifier: MIT */
/*
 * Loading, merging and validating the policies (agent/policy/policy.h). Each
 * section is checked by the module that owns it, through the schema the
 * caller passes (cli/policy-load.c), so `collect policy check` and a real
 * run refuse exactly the same things and this layer names none of them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "policy/options.h"
#include "policy/builtin-policies.h"
#include "policy/policy.h"
#include "strv.h"

/* retention: {max_age, max_size} for the bundles the agent keeps itself. */
static int retention_load(struct policy *p, char **ret_error)
{
        static const char *const keys[] = { "max_age", "max_size", NULL };
        const struct pnode *n = policy_section(p, "retention");
        int r;

        p->retention_max_age = 7 * USEC_PER_DAY;
        p->retention_max_size = 1ULL << 30;
        if (!n)
                return 0;
        r = pnode_check_keys(n, "retention", keys, ret_error);
        if (r >= 0)
                r = pnode_to_duration(pnode_get(n, "max_age"), &p->retention_max_age, ret_error);
        if (r >= 0)
                r = pnode_to_size(pnode_get(n, "max_size"), &p->retention_max_size, ret_error);
        return r;
}

struct policy *policy_free(struct policy *p)
{
        if (!p)
                return NULL;
        pnode_free(p->root);
        strv_free(p->collectors);
        strv_free(p->never_collect);
        strv_free(p->files);
        free(p);
        return NULL;
}

const struct pnode *policy_section(const struct policy *p, const char *key)
{
        const struct pnode *n = pnode_get(p->root, key);

        return pnode_is_null(n) ? NULL : n;
}

static int yaml_files_in(const char *dir, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        struct dirent **list = NULL;
        int n;

        n = scandir(dir, &list, NULL, alphasort);
        if (n < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        for (int i = 0; i < n; i++) {
                const char *name = list[i]->d_name;
                size_t len = strlen(name);

                if (name[0] != '.' && len > 5 && streq(name + len - 5, ".yaml")) {
                        char *path = xasprintf("%s/%s", dir, name);

                        if (!path || strv_consume(&l, path) < 0) {
                                for (int j = i; j < n; j++)
                                        free(list[j]);
                                free(list);
                                return -ENOMEM;
                        }
                }
                free(list[i]);
        }
        free(list);
        *ret = TAKE_PTR(l);
        return 0;
}

static int merge_file(struct policy *p, const char *path, char **ret_error)
{
        struct pnode *t = NULL;
        int r;

        r = pnode_parse_file(path, &t, ret_error);
        if (r < 0)
                return r;
        r = strv_extend(&p->files, path);
        if (r < 0) {
                pnode_free(t);
                return r;
        }
        return pnode_merge(p->root, t, ret_error);
}

static int validate_collector_section(const struct collector *c, const struct pnode *n,
                                      char **ret_error)
{
        _cleanup_free_ void *state = NULL;
        int r;

        if (pnode_is_null(n))
                return 0;
        state = xzalloc_aligned(CACHE_LINE, c->state_size);
        if (!state)
                return -ENOMEM;
        r = options_apply_defaults(c, state, ret_error);
        if (r >= 0)
                r = options_apply_policy(c, state, n, ret_error);
        options_free(c, state);
        return r;
}

static int validate_keys(const struct policy *p, const struct policy_schema *sc, char **ret_error)
{
        const struct pnode *root = p->root;

        for (size_t i = 0; i < root->n_items; i++) {
                const struct pnode *k = root->items[i];

                if (sc->collector_find(k->key) || strv_contains((char **) sc->keys, k->key))
                        continue;

                _cleanup_free_ char *valid = strv_join((char **) sc->keys, ", ");
                if (ret_error)
                        *ret_error = pnode_key_error(k,
                                                     "unknown key '%s' (valid keys: %s, "
                                                     "or a collector name: commands, config, "
                                                     "environment, journal, logs)",
                                                     k->key, valid ? valid : "?");
                return -EINVAL;
        }
        return 0;
}

/* The `collectors:` list: every name known, each once, in run order. */
static int validate_collectors(struct policy *p, const struct policy_schema *sc, char **ret_error)
{
        _cleanup_strv_free_ char **uniq = NULL;
        const struct pnode *n = policy_section(p, "collectors");
        int r;

        if (!n) {
                if (ret_error)
                        *ret_error = xasprintf("%s: no 'collectors' list in any policy",
                                               p->files && p->files[0] ? p->files[0] : "policy");
                return -EINVAL;
        }
        r = pnode_to_strv(n, &p->collectors, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n_items || (n->type == PNODE_SCALAR && i == 0); i++) {
                const struct pnode *item = n->type == PNODE_SEQ ? n->items[i] : n;

                if (!sc->collector_find(item->value)) {
                        if (ret_error)
                                *ret_error = pnode_error(item,
                                                         "unknown collector '%s' (known: "
                                                         "commands, config, environment, "
                                                         "journal, logs)",
                                                         item->value);
                        return -EINVAL;
                }
                if (n->type == PNODE_SCALAR)
                        break;
        }
        /* a drop-in that appends a collector already listed does not run it twice */
        STRV_FOREACH(c, p->collectors)
                if (!strv_contains(uniq, *c) && strv_extend(&uniq, *c) < 0)
                        return -ENOMEM;
        strv_free(p->collectors);
        p->collectors = TAKE_PTR(uniq);
        return 0;
}

static int validate_budgets(struct policy *p, char **ret_error)
{
        static const char *const keys[] = { "total", "per_collector", "per_file",
                                            "collector_timeout", NULL };
        const struct pnode *n = policy_section(p, "budgets");
        int r;

        p->total_budget = 256ULL << 20;
        p->per_collector_budget = 128ULL << 20;
        p->per_file_budget = 32ULL << 20;
        p->collector_timeout = 60 * USEC_PER_SEC;
        if (!n)
                return 0;
        r = pnode_check_keys(n, "budgets", keys, ret_error);
        if (r >= 0)
                r = pnode_to_size(pnode_get(n, "total"), &p->total_budget, ret_error);
        if (r >= 0)
                r = pnode_to_size(pnode_get(n, "per_collector"), &p->per_collector_budget,
                                  ret_error);
        if (r >= 0)
                r = pnode_to_size(pnode_get(n, "per_file"), &p->per_file_budget, ret_error);
        if (r >= 0)
                r = pnode_to_duration(pnode_get(n, "collector_timeout"), &p->collector_timeout,
                                      ret_error);
        if (r < 0)
                return r;
        if (p->total_budget < 4096 || p->per_file_budget < 1024 || p->per_collector_budget < 1024) {
                if (ret_error)
                        *ret_error = pnode_error(n, "budgets must be at least 4K (total) and 1K "
                                                    "(per file, per collector)");
                return -ERANGE;
        }
        if (p->collector_timeout < USEC_PER_SEC || p->collector_timeout > 24 * USEC_PER_HOUR) {
                if (ret_error)
                        *ret_error = pnode_error(pnode_get(n, "collector_timeout"),
                                                 "'collector_timeout' must be between 1s and "
                                                 "24h");
                return -ERANGE;
        }
        return 0;
}

static int validate(struct policy *p, const struct policy_schema *sc, char **ret_error)
{
        int r;

        r = validate_keys(p, sc, ret_error);
        if (r >= 0)
                r = validate_collectors(p, sc, ret_error);
        if (r >= 0)
                r = validate_budgets(p, ret_error);
        if (r >= 0)
                r = pnode_to_strv(policy_section(p, "never_collect"), &p->never_collect, ret_error);
        if (r >= 0)
                r = retention_load(p, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sc->collector_count(); i++) {
                const struct collector *c = sc->collector_get(i);

                r = validate_collector_section(c, policy_collector_section(p, c->name), ret_error);
                if (r < 0)
                        return r;
        }
        for (const struct policy_section_check *k = sc->checks; k && k->key; k++) {
                r = k->check(policy_section(p, k->key), ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The `bundle:` section: how the archive is written. */
static int load_bundle(struct policy *p, char **ret_error)
{
        static const char *const keys[] = { "compression_level", NULL };
        const struct pnode *n = policy_section(p, "bundle");
        uint64_t level = 1; /* GZPOOL_LEVEL_DEFAULT; README "Performance" says why */
        int r;

        if (n) {
                r = pnode_check_keys(n, "bundle", keys, ret_error);
                if (r >= 0)
                        r = pnode_to_u64(pnode_get(n, "compression_level"), 0, 9, &level,
                                         ret_error);
                if (r < 0)
                        return r;
        }
        p->compression_level = (unsigned) level;
        return 0;
}

int policy_load_schema(const struct policy_schema *schema, const char *shipped_dir,
                       char *const *dirs, char *const *files, struct policy **ret, char **ret_error)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_strv_free_ char **shipped = NULL;
        int r;

        p = xcalloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->root = xcalloc(1, sizeof(*p->root));
        if (!p->root)
                return -ENOMEM;
        p->root->type = PNODE_MAP;

        if (shipped_dir) {
                r = yaml_files_in(shipped_dir, &shipped);
                if (r < 0)
                        return r;
        }
        if (shipped) {
                STRV_FOREACH(f, shipped) {
                        r = merge_file(p, *f, ret_error);
                        if (r < 0)
                                return r;
                }
        } else {
                for (size_t i = 0; policy_builtin_name(i); i++) {
                        const char *name = policy_builtin_name(i);
                        _cleanup_free_ char *label = xasprintf("(built-in)/%s", name);
                        struct pnode *t = NULL;
                        size_t len;
                        const char *data = policy_builtin(name, &len);

                        if (!label)
                                return -ENOMEM;
                        r = pnode_parse_string(label, data, len, &t, ret_error);
                        if (r < 0)
                                return r;
                        r = pnode_merge(p->root, t, ret_error);
                        if (r < 0)
                                return r;
                        r = strv_extend(&p->files, label);
                        if (r < 0)
                                return r;
                }
        }
        STRV_FOREACH(d, (char **) dirs) {
                _cleanup_strv_free_ char **l = NULL;

                r = yaml_files_in(*d, &l);
                if (r < 0)
                        return r;
                STRV_FOREACH(f, l) {
                        r = merge_file(p, *f, ret_error);
                        if (r < 0)
                                return r;
                }
        }
        STRV_FOREACH(f, (char **) files) {
                r = merge_file(p, *f, ret_error);
                if (r < 0)
                        return r;
        }
        r = validate(p, schema, ret_error);
        if (r >= 0)
                r = load_bundle(p, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

const struct pnode *policy_collector_section(const struct policy *p, const char *name)
{
        return policy_section(p, name);
}

bool policy_collector_enabled(const struct policy *p, const char *name)
{
        const struct pnode *n = pnode_get(pnode_get(p->root, name), "enabled");
        bool b = true;

        if (n)
                (void) pnode_to_bool(n, &b, NULL);
        return b && strv_contains(p->collectors, name);
}

usec_t policy_collector_timeout(const struct policy *p, const char *name)
{
        const struct pnode *n = pnode_get(pnode_get(p->root, name), "timeout");
        usec_t t = p->collector_timeout;

        if (n)
                (void) pnode_to_duration(n, &t, NULL);
        return t;
}
