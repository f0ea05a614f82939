/* SPDX-License-Identifier: MIT */
/*
 * Small helpers over jansson shared by the agent (collectors do not parse
 * JSON). Values are owned with _cleanup_(json_decrefp) from jansson.h.
 */
#pragma once

#include <jansson.h>

#include "macro.h"

/* The string member key of object o, or NULL when absent, not a string or
 * empty. Borrowed from o. */
static inline const char *json_str(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s && s[0] ? s : NULL;
}
