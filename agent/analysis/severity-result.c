/* SPDX-License-Identifier: MIT */
/*
 * The result of a severity suggestion (agent/analysis/severity-result.h).
 */
#include <jansson.h>

#include "alloc-util.h"
#include "macro.h"
#include "analysis/severity-result.h"
#include "strv.h"

static const char *sev_str(enum severity s)
{
        const char *t = severity_to_string(s);

        return t ? t : "none";
}

void severity_result_done(struct severity_result *res)
{
        if (!res)
                return;
        res->rule = mfree(res->rule);
        res->hint = mfree(res->hint);
        res->reasons = strv_free(res->reasons);
}

enum severity severity_result_effective(const struct severity_result *res)
{
        if (res->selected >= 0 && res->selected < _SEVERITY_MAX)
                return res->selected;
        return res->suggested;
}

json_t *severity_to_json(const struct severity_result *res)
{
        _cleanup_(json_decrefp) json_t *o = json_object();
        _cleanup_(json_decrefp) json_t *a = json_array();

        if (!o || !a)
                return NULL;
        STRV_FOREACH(s, res->reasons)
                if (json_array_append_new(a, json_string(*s)) < 0)
                        return NULL;
        /* json_object_set_new() takes the reference even when it fails. */
        if (json_object_set_new(o, "reasons", TAKE_PTR(a)) < 0 ||
            json_object_set_new(o, "suggested", json_string(sev_str(res->suggested))) < 0 ||
            json_object_set_new(o, "selected",
                                res->selected >= 0 && res->selected < _SEVERITY_MAX ?
                                        json_string(sev_str(res->selected)) :
                                        json_null()) < 0 ||
            json_object_set_new(o, "rule", res->rule ? json_string(res->rule) : json_null()) < 0 ||
            json_object_set_new(o, "hint", res->hint ? json_string(res->hint) : json_null()) < 0)
                return NULL;
        return TAKE_PTR(o);
}
