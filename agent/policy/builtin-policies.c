/* SPDX-License-Identifier: MIT */
/*
 * The shipped policies, compiled into the binary with .incbin so that
 * `collect` works with its defaults before it is installed; an installed
 * /usr/share/collect/policies takes their place.
 */
#include <stddef.h>
#include <string.h>

#include "macro.h"
#include "alloc-util.h"
#include "policy/builtin-policies.h"
#include "policy/pnode.h"

#define INCBIN(sym, file)                               \
        __asm__(".section .rodata\n"                    \
                ".balign 8\n"                           \
                ".global " #sym "\n" #sym ":\n"         \
                ".incbin \"" file "\"\n"                \
                ".byte 0\n"                             \
                ".global " #sym "_end\n" #sym "_end:\n" \
                ".previous\n");                         \
        extern const char sym[];                        \
        extern const char sym##_end[]

INCBIN(builtin_autofile, "policies/autofile.yaml");
INCBIN(builtin_checklist, "policies/checklist.yaml");
INCBIN(builtin_collection, "policies/collection.yaml");
INCBIN(builtin_redaction, "policies/redaction.yaml");
INCBIN(builtin_severity, "policies/severity.yaml");

static const struct {
        const char *name;
        const char *start;
        const char *end;
} builtins[] = {
        /* name order, like a directory listing */
        { "autofile.yaml", builtin_autofile, builtin_autofile_end },
        { "checklist.yaml", builtin_checklist, builtin_checklist_end },
        { "collection.yaml", builtin_collection, builtin_collection_end },
        { "redaction.yaml", builtin_redaction, builtin_redaction_end },
        { "severity.yaml", builtin_severity, builtin_severity_end },
};

const char *policy_builtin(const char *name, size_t *ret_len)
{
        for (size_t i = 0; i < ELEMENTSOF(builtins); i++)
                if (streq(builtins[i].name, name)) {
                        if (ret_len)
                                *ret_len = (size_t) (builtins[i].end - builtins[i].start) - 1;
                        return builtins[i].start;
                }
        return NULL;
}

const char *policy_builtin_name(size_t i)
{
        return i < ELEMENTSOF(builtins) ? builtins[i].name : NULL;
}

int policy_builtin_section(const char *file, const char *key, struct pnode **ret_tree,
                           const struct pnode **ret_section, char **ret_error)
{
        _cleanup_(pnode_freep) struct pnode *tree = NULL;
        _cleanup_free_ char *where = xasprintf("(built-in)/%s", file);
        const char *text;
        size_t len;
        int r;

        if (!where)
                return -ENOMEM;
        text = policy_builtin(file, &len);
        if (!text)
                return -ENOENT;
        r = pnode_parse_string(where, text, len, &tree, ret_error);
        if (r < 0)
                return r;
        *ret_section = pnode_get(tree, key);
        *ret_tree = TAKE_PTR(tree);
        return 0;
}
