/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a policy drop-in. The input is parsed as YAML, merged over the
 * built-in policies and validated section by section; any input must end in
 * success or a located error, never a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/policy-load.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct policy *p = NULL;
        char path[64], *err = NULL;
        char *files[] = { path, NULL };
        int fd;

        if (size > POLICY_FILE_MAX + 1)
                return 0;
        fd = memfd_create("fuzz-policy", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) != (ssize_t) size) {
                close(fd);
                return 0;
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (policy_load("/nonexistent", NULL, files, &p, &err) < 0) {
                /* every refusal says where */
                if (err && !strstr(err, ":"))
                        abort();
        }
        free(err);
        policy_free(p);
        close(fd);
        return 0;
}
