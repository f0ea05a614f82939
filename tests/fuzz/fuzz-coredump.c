/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a systemd-coredump MESSAGE (the stack of the crashing thread)
 * and the crash signature made from it. Any program may write such an entry.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coredump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct coredump c = {};
        struct coredump_signature s = {};

        if (coredump_set_field(&c, "COREDUMP_EXE", "/usr/bin/x", 10) < 0 ||
            coredump_set_field(&c, "MESSAGE", (const char *) data, size) < 0)
                abort();
        coredump_finish(&c, 1);
        if (c.n_frames > COREDUMP_FRAMES_MAX)
                abort();
        if (coredump_signature(&c, &s) >= 0) {
                if (!s.text || !s.title || strlen(s.hash) != 64 ||
                    s.n_keys > COREDUMP_SIGNATURE_FRAMES)
                        abort();
                coredump_signature_done(&s);
        }
        coredump_done(&c);
        return 0;
}
