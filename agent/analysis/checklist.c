/* SPDX-License-Identifier: MIT */
/*
 * The required-information checklist (see checklist.h) and the markdown block
 * that opens summary.md. Each item is satisfied automatically (findings,
 * collector status rows), from the configuration (environment, product, the
 * policy's unit -> product map) or only by a person (--steps, --impact).
 */

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "basic/string-table.h"
#include "alloc-util.h"
#include "analysis/checklist.h"
#include "dynbuf.h"
#include "finding.h"
#include "macro.h"
#include "policy/builtin-policies.h"
#include "policy/pnode.h"
#include "analysis/report.h"
#include "analysis/severity-evidence.h"
#include "analysis/severity-result.h"
#include "strv.h"

/* Longest quote of a stated text in a detail line. */
#define QUOTE_MAX 60

static const char *const checklist_item_table[_CHECKLIST_ITEM_MAX] = {
        [CHECKLIST_ENVIRONMENT] = "environment", [CHECKLIST_PRODUCT] = "product",
        [CHECKLIST_ERRORS] = "errors",           [CHECKLIST_STEPS] = "steps",
        [CHECKLIST_IMPACT] = "impact",           [CHECKLIST_CONFIG_CHANGES] = "config_changes",
};

static const char *const label_table[_CHECKLIST_ITEM_MAX] = {
        [CHECKLIST_ENVIRONMENT] = "environment",
        [CHECKLIST_PRODUCT] = "product or service affected",
        [CHECKLIST_ERRORS] = "error messages or logs",
        [CHECKLIST_STEPS] = "steps to reproduce",
        [CHECKLIST_IMPACT] = "impact description",
        [CHECKLIST_CONFIG_CHANGES] = "recent configuration changes",
};

/* What supplies each item when it is missing. */
static const char *const option_table[_CHECKLIST_ITEM_MAX] = {
        [CHECKLIST_ENVIRONMENT] = "--environment NAME",
        [CHECKLIST_PRODUCT] = "--product NAME",
        [CHECKLIST_ERRORS] = "--journal-dir DIR",
        [CHECKLIST_STEPS] = "--steps TEXT",
        [CHECKLIST_IMPACT] = "--impact TEXT",
        [CHECKLIST_CONFIG_CHANGES] = "collect snapshot",
};

static const char *const checklist_status_table[_CHECKLIST_STATUS_MAX] = {
        [CHECKLIST_OK] = "ok",
        [CHECKLIST_MISSING] = "missing",
        [CHECKLIST_NOT_APPLICABLE] = "not_applicable",
};

static const char *const checklist_source_table[_CHECKLIST_SOURCE_MAX] = {
        [CHECKLIST_SOURCE_AUTO] = "auto",
        [CHECKLIST_SOURCE_USER] = "user",
};

DEFINE_STRING_TABLE_LOOKUP(checklist_item, enum checklist_item);

const char *checklist_item_label(enum checklist_item i)
{
        if ((int) i < 0 || i >= _CHECKLIST_ITEM_MAX)
                return NULL;
        return label_table[i];
}

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(checklist_status, enum checklist_status);
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(checklist_source, enum checklist_source);

bool checklist_item_person_supplied(enum checklist_item i)
{
        return i == CHECKLIST_ENVIRONMENT || i == CHECKLIST_PRODUCT || i == CHECKLIST_STEPS ||
               i == CHECKLIST_IMPACT;
}

/* ---- policy ---- */

struct item_policy {
        bool required;
        unsigned not_applicable_mask; /* bits of enum request_type */
        char **collectors;            /* errors, config_changes: collectors whose run answers */
};

struct checklist_policy {
        struct item_policy items[_CHECKLIST_ITEM_MAX];
        char **unit_patterns; /* product: unit glob … */
        char **unit_products; /* … and the product it belongs to */
};

/* The built-in defaults, the same as policies/checklist.yaml. A key missing
 * from the policy section is taken from here. */
static const char *const section_keys[] = {
        "environment", "product", "errors", "steps", "impact", "config_changes", NULL,
};
static const char *const plain_item_keys[] = { "required", "not_applicable_for", NULL };
static const char *const product_keys[] = { "required", "not_applicable_for", "units", NULL };
static const char *const collector_item_keys[] = {
        "required",
        "not_applicable_for",
        "collectors",
        NULL,
};

static void checklist_policy_done(struct checklist_policy *p)
{
        for (size_t i = 0; i < _CHECKLIST_ITEM_MAX; i++)
                p->items[i].collectors = strv_free(p->items[i].collectors);
        p->unit_patterns = strv_free(p->unit_patterns);
        p->unit_products = strv_free(p->unit_products);
}

static int parse_types(const struct pnode *n, unsigned *ret, char **ret_error)
{
        _cleanup_strv_free_ char **l = NULL;
        unsigned mask = 0;
        int r;

        r = pnode_to_strv(n, &l, ret_error);
        if (r < 0)
                return r;
        STRV_FOREACH(s, l) {
                int t = -1;

                for (int i = 0; i < _REQUEST_TYPE_MAX; i++)
                        if (strcasecmp(request_type_to_string((enum request_type) i), *s) == 0)
                                t = i;
                if (t < 0) {
                        if (ret_error)
                                *ret_error = pnode_error(n,
                                                         "unknown request type '%s' (valid: "
                                                         "incident, question, crash)",
                                                         *s);
                        return -EINVAL;
                }
                mask |= 1u << t;
        }
        *ret = mask;
        return 0;
}

static int parse_units(const struct pnode *n, struct checklist_policy *p, char **ret_error)
{
        int r;

        if (!n)
                return 0;
        r = pnode_expect(n, PNODE_MAP, "units (a map of unit to product)", ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n_items; i++) {
                const struct pnode *c = n->items[i];

                if (c->type != PNODE_SCALAR || isempty(c->value)) {
                        if (ret_error)
                                *ret_error = pnode_error(c,
                                                         "the product of unit '%s' must be "
                                                         "a non-empty name",
                                                         c->key);
                        return -EINVAL;
                }
                if (strv_extend(&p->unit_patterns, c->key) < 0 ||
                    strv_extend(&p->unit_products, c->value) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_item(const struct pnode *section, const struct pnode *defaults,
                      enum checklist_item item, struct checklist_policy *p, char **ret_error)
{
        const struct pnode *n = pnode_get(section, checklist_item_table[item]);
        const struct pnode *d = pnode_get(defaults, checklist_item_table[item]);
        const char *const *keys;
        struct item_policy *ip = &p->items[item];
        int r;

        if (item == CHECKLIST_PRODUCT)
                keys = product_keys;
        else if (item == CHECKLIST_ERRORS || item == CHECKLIST_CONFIG_CHANGES)
                keys = collector_item_keys;
        else
                keys = plain_item_keys;

        if (n) {
                r = pnode_check_keys(n, checklist_item_table[item], keys, ret_error);
                if (r < 0)
                        return r;
        }

        ip->required = true;
        for (size_t k = 0; keys[k]; k++) {
                const struct pnode *v = pnode_get(n, keys[k]);

                if (!v)
                        v = pnode_get(d, keys[k]);
                if (streq(keys[k], "required"))
                        r = pnode_to_bool(v, &ip->required, ret_error);
                else if (streq(keys[k], "not_applicable_for"))
                        r = parse_types(v, &ip->not_applicable_mask, ret_error);
                else if (streq(keys[k], "collectors"))
                        r = pnode_to_strv(v, &ip->collectors, ret_error);
                else
                        r = parse_units(v, p, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int checklist_policy_load(const struct pnode *section, struct checklist_policy *p,
                                 char **ret_error)
{
        _cleanup_(pnode_freep) struct pnode *def_root = NULL;
        const struct pnode *defaults;
        int r;

        *p = (struct checklist_policy) {};
        /* the defaults are the shipped policies/checklist.yaml, compiled in (one copy) */
        r = policy_builtin_section("checklist.yaml", "checklist", &def_root, &defaults, ret_error);
        if (r < 0)
                return r;

        if (section) {
                r = pnode_check_keys(section, "checklist", section_keys, ret_error);
                if (r < 0)
                        return r;
        }
        for (int i = 0; i < _CHECKLIST_ITEM_MAX; i++) {
                r = parse_item(section, defaults, (enum checklist_item) i, p, ret_error);
                if (r < 0) {
                        checklist_policy_done(p);
                        return r;
                }
        }
        return 0;
}

int checklist_check_policy(const struct pnode *section, char **ret_error)
{
        struct checklist_policy p;
        int r;

        r = checklist_policy_load(section, &p, ret_error);
        if (r < 0)
                return r;
        checklist_policy_done(&p);
        return 0;
}

/* ---- evaluation ---- */

static bool is_user(enum input_source s)
{
        return s == INPUT_CLI || s == INPUT_PROMPT;
}

static const char *source_name(enum input_source s, const char *option)
{
        switch (s) {
        case INPUT_CLI:
                return option;
        case INPUT_PROMPT:
                return "answered at the prompt";
        case INPUT_CONFIG:
                return "collect.yaml";
        case INPUT_POLICY:
                return "policy";
        default:
                return "unknown source";
        }
}

/* The first line of text, cut to QUOTE_MAX characters. */
static char *quote(const char *text)
{
        size_t n = strcspn(text, "\r\n");
        bool cut = n > QUOTE_MAX || text[n] != '\0';

        return xasprintf("\"%.*s%s\"", (int) MIN(n, (size_t) QUOTE_MAX), text, cut ? "…" : "");
}

static int set_entry(struct checklist_entry *e, enum checklist_status status,
                     enum checklist_source source, char *detail)
{
        if (!detail)
                return -ENOMEM;
        e->status = status;
        e->source = source;
        free(e->detail);
        e->detail = detail;
        return 0;
}

static int not_applicable_or_missing(const struct item_policy *ip, const struct report *r,
                                     struct checklist_entry *e, char *missing_detail)
{
        enum request_type t = r->input.type;

        if (!missing_detail)
                return -ENOMEM;
        if (t >= 0 && t < _REQUEST_TYPE_MAX && (ip->not_applicable_mask & (1u << t))) {
                free(missing_detail);
                return set_entry(e, CHECKLIST_NOT_APPLICABLE, CHECKLIST_SOURCE_AUTO,
                                 xasprintf("not applicable to a request of type %s",
                                           request_type_to_string(t)));
        }
        return set_entry(e, CHECKLIST_MISSING,
                         checklist_item_person_supplied(e->item) ? CHECKLIST_SOURCE_USER :
                                                                   CHECKLIST_SOURCE_AUTO,
                         missing_detail);
}

static int eval_stated(const struct item_policy *ip, const struct report *r,
                       struct checklist_entry *e, const char *value, enum input_source src,
                       const char *option_name, const char *missing)
{
        if (!isempty(value)) {
                e->value = xstrdup(value);
                if (!e->value)
                        return -ENOMEM;
                return set_entry(e, CHECKLIST_OK,
                                 is_user(src) ? CHECKLIST_SOURCE_USER : CHECKLIST_SOURCE_AUTO,
                                 xasprintf("%s (%s)", value, source_name(src, option_name)));
        }
        return not_applicable_or_missing(ip, r, e, xstrdup(missing));
}

static bool kind_names_unit(enum finding_kind k)
{
        return k == FINDING_UNIT_FAILED || k == FINDING_UNIT_DOWN || k == FINDING_UNIT_RESTARTS ||
               k == FINDING_CRASH || k == FINDING_OOM_KILL || k == FINDING_SEGFAULT ||
               k == FINDING_ERRORS;
}

static int eval_product(const struct checklist_policy *p, const struct report *r,
                        struct checklist_entry *e)
{
        const struct item_policy *ip = &p->items[CHECKLIST_PRODUCT];
        const struct user_input *in = &r->input;

        if (!isempty(in->product))
                return eval_stated(ip, r, e, in->product, in->product_source, "--product", NULL);

        /* The policy's unit -> product map, over the units the findings name, failures
         * first (two passes: failures and crashes, then the rest). */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < r->n_findings; i++) {
                        const struct finding *f = &r->findings[i];
                        bool failure = f->kind == FINDING_UNIT_FAILED ||
                                       f->kind == FINDING_UNIT_DOWN || f->kind == FINDING_CRASH;

                        if (!kind_names_unit(f->kind) || isempty(f->subject) ||
                            failure != (pass == 0))
                                continue;
                        for (size_t j = 0; p->unit_patterns && p->unit_patterns[j]; j++) {
                                if (fnmatch(p->unit_patterns[j], f->subject, 0) != 0)
                                        continue;
                                e->value = xstrdup(p->unit_products[j]);
                                if (!e->value)
                                        return -ENOMEM;
                                return set_entry(e, CHECKLIST_OK, CHECKLIST_SOURCE_AUTO,
                                                 xasprintf("%s (from %s, checklist policy "
                                                           "units)",
                                                           p->unit_products[j], f->subject));
                        }
                }

        return not_applicable_or_missing(ip, r, e,
                                         xstrdup("not stated; set product in collect.yaml or "
                                                 "use --product"));
}

static bool collector_ran(const struct report *r, char **names, char ***ran)
{
        bool any = false;

        STRV_FOREACH(n, names) {
                const struct collector_status *st = report_status(r, *n);

                if (st && (st->result == COLLECTOR_OK || st->result == COLLECTOR_PARTIAL)) {
                        any = true;
                        if (ran)
                                (void) strv_extend(ran, *n);
                }
        }
        return any;
}

/* "journal: failed (permission denied); logs: skipped" for the collectors that did not
 * run, or "not enabled". */
static char *collectors_state(const struct report *r, char **names)
{
        struct dynbuf b;

        dynbuf_init(&b, 4096);
        STRV_FOREACH(n, names) {
                const struct collector_status *st = report_status(r, *n);

                if (!st)
                        continue;
                (void) dynbuf_addf(&b, "%s%s: %s", b.len ? "; " : "", *n,
                                   collector_result_to_string(st->result) ?: "?");
                if (!isempty(st->note))
                        (void) dynbuf_addf(&b, " (%s)", st->note);
        }
        if (b.len == 0) {
                _cleanup_free_ char *j = strv_join(names, ", ");

                (void) dynbuf_addf(&b, "%s not run", j ? j : "collectors");
        }
        return dynbuf_steal(&b);
}

static int eval_errors(const struct checklist_policy *p, const struct report *r,
                       struct checklist_entry *e)
{
        const struct item_policy *ip = &p->items[CHECKLIST_ERRORS];
        _cleanup_strv_free_ char **ran = NULL;
        _cleanup_free_ char *state = NULL;
        const struct finding *top = NULL;
        uint64_t lines = 0, signatures = 0, other = 0;
        const char *other_what = NULL;

        for (size_t i = 0; i < r->n_findings; i++) {
                const struct finding *f = &r->findings[i];

                switch (f->kind) {
                case FINDING_ERRORS:
                        lines += f->count;
                        if (f->count > 0 && (!top || f->count > top->count))
                                top = f;
                        break;
                case FINDING_ERROR_SIGNATURES:
                        signatures += f->count;
                        break;
                case FINDING_CRASH:
                case FINDING_SEGFAULT:
                        other++;
                        other_what = other_what ?: "crash";
                        break;
                case FINDING_UNIT_FAILED:
                        other++;
                        other_what = other_what ?: "failed unit";
                        break;
                case FINDING_KERNEL_ERROR:
                case FINDING_OOM_KILL:
                        other++;
                        other_what = other_what ?: "kernel error";
                        break;
                default:
                        break;
                }
        }

        if (lines > 0) {
                _cleanup_free_ char *sig = signatures > 0 ?
                                                   xasprintf(", %llu distinct",
                                                             (unsigned long long) signatures) :
                                                   xstrdup("");
                if (!sig)
                        return -ENOMEM;
                return set_entry(e, CHECKLIST_OK, CHECKLIST_SOURCE_AUTO,
                                 xasprintf("%llu error line%s%s (most from %s)",
                                           (unsigned long long) lines, lines == 1 ? "" : "s", sig,
                                           top && top->subject ? top->subject : "?"));
        }
        if (other > 0)
                return set_entry(e, CHECKLIST_OK, CHECKLIST_SOURCE_AUTO,
                                 xasprintf("no error lines, but %llu %s record%s collected",
                                           (unsigned long long) other, other_what,
                                           other == 1 ? "" : "s"));
        if (collector_ran(r, ip->collectors, &ran)) {
                _cleanup_free_ char *j = strv_join(ran, ", ");

                return set_entry(e, CHECKLIST_OK, CHECKLIST_SOURCE_AUTO,
                                 xasprintf("no error messages in the window; logs collected "
                                           "(%s)",
                                           j ? j : "?"));
        }
        state = collectors_state(r, ip->collectors);
        if (!state)
                return -ENOMEM;
        return not_applicable_or_missing(ip, r, e,
                                         xasprintf("no logs collected (%s); run as root or in "
                                                   "group systemd-journal, or use "
                                                   "--journal-dir",
                                                   state));
}

static int eval_config_changes(const struct checklist_policy *p, const struct report *r,
                               struct checklist_entry *e)
{
        const struct item_policy *ip = &p->items[CHECKLIST_CONFIG_CHANGES];
        _cleanup_free_ char *state = NULL;
        const struct finding *files = NULL, *packages = NULL;

        for (size_t i = 0; i < r->n_findings; i++) {
                const struct finding *f = &r->findings[i];

                if (f->kind == FINDING_CONFIG_CHANGES && !files)
                        files = f;
                else if (f->kind == FINDING_PACKAGE_CHANGES && !packages)
                        packages = f;
        }
        if (files || packages) {
                _cleanup_free_ char *a = files ? severity_describe_finding(files) : NULL;
                _cleanup_free_ char *b = packages ? severity_describe_finding(packages) : NULL;

                /* Without a baseline before the window, "no changes" is not known. */
                const char *unknown = files && files->detail ?
                                              strstr(files->detail, "changes before ") :
                                              NULL;

                if ((files && !a) || (packages && !b))
                        return -ENOMEM;
                return set_entry(e, CHECKLIST_OK, CHECKLIST_SOURCE_AUTO,
                                 xasprintf("%s%s%s%s%s", a ? a : "", unknown ? "; " : "",
                                           unknown ?: "", a && b ? "; " : "", b ? b : ""));
        }
        if (collector_ran(r, ip->collectors, NULL))
                return set_entry(e, CHECKLIST_OK, CHECKLIST_SOURCE_AUTO,
                                 xstrdup("no configuration changes recorded in the window"));
        state = collectors_state(r, ip->collectors);
        if (!state)
                return -ENOMEM;
        return not_applicable_or_missing(ip, r, e,
                                         xasprintf("configuration changes not collected (%s); "
                                                   "record a baseline with 'collect snapshot'",
                                                   state));
}

static int eval_text(const struct item_policy *ip, const struct report *r,
                     struct checklist_entry *e, const char *text, enum input_source src,
                     const char *missing)
{
        if (!isempty(text)) {
                _cleanup_free_ char *q = quote(text);

                if (!q)
                        return -ENOMEM;
                return set_entry(e, CHECKLIST_OK,
                                 is_user(src) || src == INPUT_NONE ? CHECKLIST_SOURCE_USER :
                                                                     CHECKLIST_SOURCE_AUTO,
                                 xasprintf("%s (%s)", q,
                                           src == INPUT_PROMPT ? "answered at the prompt" :
                                                                 "stated"));
        }
        return not_applicable_or_missing(ip, r, e, xstrdup(missing));
}

void checklist_result_done(struct checklist_result *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < _CHECKLIST_ITEM_MAX; i++) {
                c->items[i].detail = mfree(c->items[i].detail);
                c->items[i].value = mfree(c->items[i].value);
        }
}

int checklist_evaluate(const struct pnode *section, const struct report *r,
                       struct checklist_result *ret, char **ret_error)
{
        struct checklist_result c = {};
        struct checklist_policy p;
        const struct user_input *in = &r->input;
        int k;

        k = checklist_policy_load(section, &p, ret_error);
        if (k < 0)
                return k;

        for (int i = 0; i < _CHECKLIST_ITEM_MAX; i++) {
                c.items[i].item = (enum checklist_item) i;
                c.items[i].required = p.items[i].required;
                c.items[i].option = option_table[i];
        }

        k = eval_stated(&p.items[CHECKLIST_ENVIRONMENT], r, &c.items[CHECKLIST_ENVIRONMENT],
                        in->environment, in->environment_source, "--environment",
                        "not stated; set environment in collect.yaml or use --environment");
        if (k >= 0)
                k = eval_product(&p, r, &c.items[CHECKLIST_PRODUCT]);
        if (k >= 0)
                k = eval_errors(&p, r, &c.items[CHECKLIST_ERRORS]);
        if (k >= 0)
                k = eval_text(&p.items[CHECKLIST_STEPS], r, &c.items[CHECKLIST_STEPS], in->steps,
                              in->steps_source, "steps to reproduce not given");
        if (k >= 0)
                k = eval_text(&p.items[CHECKLIST_IMPACT], r, &c.items[CHECKLIST_IMPACT], in->impact,
                              in->impact_source, "impact not described");
        if (k >= 0)
                k = eval_config_changes(&p, r, &c.items[CHECKLIST_CONFIG_CHANGES]);

        checklist_policy_done(&p);
        if (k < 0) {
                checklist_result_done(&c);
                return k;
        }
        *ret = c;
        return 0;
}

size_t checklist_n_missing(const struct checklist_result *c)
{
        size_t n = 0;

        for (size_t i = 0; i < _CHECKLIST_ITEM_MAX; i++)
                if (c->items[i].required && c->items[i].status == CHECKLIST_MISSING)
                        n++;
        return n;
}

int checklist_missing_text(const struct checklist_result *c, char **ret)
{
        struct dynbuf b;
        char *s;

        dynbuf_init(&b, 64 * 1024);
        for (size_t i = 0; i < _CHECKLIST_ITEM_MAX; i++) {
                const struct checklist_entry *e = &c->items[i];

                if (!e->required || e->status != CHECKLIST_MISSING)
                        continue;
                if (checklist_item_person_supplied(e->item))
                        (void) dynbuf_addf(&b, "  %s (%s): use %s\n", checklist_item_table[i],
                                           label_table[i], e->option);
                else
                        (void) dynbuf_addf(&b, "  %s (%s): %s; see %s\n", checklist_item_table[i],
                                           label_table[i], e->detail ? e->detail : "missing",
                                           e->option);
        }
        s = dynbuf_steal(&b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

json_t *checklist_to_json(const struct checklist_result *c)
{
        _cleanup_(json_decrefp) json_t *a = json_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < _CHECKLIST_ITEM_MAX; i++) {
                const struct checklist_entry *e = &c->items[i];
                json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s?, s:s?, s:s?}", "item",
                                      checklist_item_table[i], "label", label_table[i], "status",
                                      checklist_status_to_string(e->status) ?: "?", "source",
                                      checklist_source_to_string(e->source) ?: "?", "required",
                                      e->required, "detail", e->detail, "value", e->value, "option",
                                      e->status == CHECKLIST_MISSING ? e->option : NULL);

                if (!o || json_array_append_new(a, o) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

/* Table cells: '|' and newlines would break the row. */
static int add_cell(struct dynbuf *b, const char *s)
{
        int k;

        for (const char *p = s ? s : ""; *p; p++) {
                if (*p == '|')
                        k = dynbuf_addstr(b, "\\|");
                else if (*p == '\n' || *p == '\r')
                        k = dynbuf_addc(b, ' ');
                else
                        k = dynbuf_addc(b, *p);
                if (k < 0)
                        return k;
        }
        return 0;
}

int checklist_severity_markdown(const struct checklist_result *c, const struct severity_result *s,
                                struct dynbuf *out)
{
        size_t n_missing = checklist_n_missing(c);
        int k;

        if (s) {
                const char *sug = severity_to_string(s->suggested) ?: "?";
                const char *sel = severity_to_string(s->selected);

                if (sel && s->selected != s->suggested)
                        k = dynbuf_addf(out,
                                        "## Severity: %s (selected by the requester; "
                                        "suggested %s)\n\n",
                                        sel, sug);
                else if (sel)
                        k = dynbuf_addf(out,
                                        "## Severity: %s (selected by the requester, "
                                        "as suggested)\n\n",
                                        sel);
                else
                        k = dynbuf_addf(out, "## Severity: %s (suggested)\n\n", sug);
                if (k < 0)
                        return k;
                STRV_FOREACH(reason, s->reasons) {
                        k = dynbuf_addf(out, "- %s\n", *reason);
                        if (k < 0)
                                return k;
                }
                k = dynbuf_addc(out, '\n');
                if (k < 0)
                        return k;
        }

        k = dynbuf_addf(out, "## Required information: %s\n\n",
                        n_missing == 0 ? "complete" : "incomplete");
        if (k < 0)
                return k;
        k = dynbuf_addstr(out, "| item | status | source | detail |\n| --- | --- | --- | --- |\n");
        if (k < 0)
                return k;
        for (size_t i = 0; i < _CHECKLIST_ITEM_MAX; i++) {
                const struct checklist_entry *e = &c->items[i];

                k = dynbuf_addf(out, "| %s%s | %s | %s | ", label_table[i],
                                e->required ? "" : " (optional)",
                                checklist_status_to_string(e->status) ?: "?",
                                checklist_source_to_string(e->source) ?: "?");
                if (k >= 0)
                        k = add_cell(out, e->detail);
                if (k >= 0)
                        k = dynbuf_addstr(out, " |\n");
                if (k < 0)
                        return k;
        }
        if (n_missing > 0) {
                bool first = true;

                k = dynbuf_addstr(out, "\n**Missing:** ");
                if (k < 0)
                        return k;
                for (size_t i = 0; i < _CHECKLIST_ITEM_MAX; i++) {
                        const struct checklist_entry *e = &c->items[i];

                        if (!e->required || e->status != CHECKLIST_MISSING)
                                continue;
                        k = dynbuf_addf(out, "%s%s (%s)", first ? "" : ", ", label_table[i],
                                        e->option);
                        if (k < 0)
                                return k;
                        first = false;
                }
                k = dynbuf_addc(out, '\n');
                if (k < 0)
                        return k;
        }
        return dynbuf_addc(out, '\n');
}
