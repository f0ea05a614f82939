/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: an Alertmanager webhook payload, as `collect hook
 * alertmanager` and the `collect watch` listener receive it from the network.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "monitor/autofile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct autofile_event e = {};
        char *err = NULL;

        if (autofile_event_from_alertmanager((const char *) data, size, &e, &err) >= 0) {
                if (!e.fingerprint || !e.summary || !e.description)
                        abort();
                autofile_event_done(&e);
        } else if (!err) {
                abort();
        }
        free(err);
        return 0;
}
