/* SPDX-License-Identifier: MIT */
/*
 * A growable vector of spans (agent/redact/spans.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "alloc-util.h"
#include "redact/spans.h"

int spanvec_push(struct spanvec *sv, const struct span *s)
{
        if (sv->n == sv->alloc) {
                size_t a = sv->alloc ? sv->alloc * 2 : 16;
                struct span *v = xrealloc(sv->v, a * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                sv->v = v;
                sv->alloc = a;
        }
        sv->v[sv->n++] = *s;
        return 0;
}

void spanvec_done(struct spanvec *sv)
{
        free(sv->v);
        *sv = (struct spanvec) {};
}
