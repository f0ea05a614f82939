/* SPDX-License-Identifier: MIT */
/*
 * The kernel's crash lines of a window (include/kernel-lines.h).
 */
#include <errno.h>
#include <string.h>

#include "alloc-util.h"
#include "kernel-lines.h"
#include "macro.h"

const char *kernel_crash_headline_kind(const char *line)
{
        static const struct {
                const char *needle;
                const char *kind;
        } table[] = {
                { "Kernel panic", "kernel panic" },
                { "kernel BUG at", "kernel BUG" },
                { "BUG: ", "kernel BUG" },
                { "Oops: ", "kernel oops" },
                { "general protection fault", "general protection fault" },
                { "Unable to handle kernel", "kernel oops" },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                const char *p = strstr(line, table[i].needle);

                /* at the start of the message, or after a "[  1.23] " prefix */
                if (p && (p == line || p[-1] == ' ' || p[-1] == ']'))
                        return table[i].kind;
        }
        return NULL;
}

int kernel_lines_take(struct kernel_lines *kl, usec_t t, const char *boot_id, const char *msg,
                      bool keep)
{
        struct kernel_line *l;

        if (kernel_crash_headline_kind(msg))
                kl->headline = t;
        else if (!keep && (kl->headline == 0 || t > kl->headline + KERNEL_TRACE_SPAN))
                return 0;
        if (kl->overflow)
                return 0;
        if (kl->n >= KERNEL_LINES_MAX) {
                kl->overflow = true;
                return 0;
        }
        if (kl->n == kl->alloc) {
                size_t a = MAX(kl->alloc * 2, (size_t) 16);
                struct kernel_line *v = xrealloc(kl->v, a * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                kl->v = v;
                kl->alloc = a;
        }
        l = &kl->v[kl->n];
        *l = (struct kernel_line) {
                .t = t,
                .boot_id = boot_id ? xstrdup(boot_id) : NULL,
                .msg = xstrdup(msg),
        };
        if (!l->msg || (boot_id && !l->boot_id)) {
                free(l->msg);
                free(l->boot_id);
                return -ENOMEM;
        }
        kl->n++;
        return 0;
}

void kernel_lines_done(struct kernel_lines *kl)
{
        for (size_t i = 0; i < kl->n; i++) {
                free(kl->v[i].boot_id);
                free(kl->v[i].msg);
        }
        free(kl->v);
        *kl = (struct kernel_lines) {};
}
