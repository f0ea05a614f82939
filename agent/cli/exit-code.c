/* SPDX-License-Identifier: MIT */
/*
 * -errno to exit codes (cli/exit-code.h).
 */
#include <errno.h>

#include "cli/exit-code.h"
#include "macro.h"

int exit_code_from_ticket(int r)
{
        switch (r) {
        case 0:
                return 0;
        case -EAGAIN:
                return 75;
        case -EACCES:
        case -EPERM:
                return 77;
        case -EINVAL:
        case -ENOENT:
                return 78;
        case -ENOTTY:
                return 64;
        case -ENOSPC:
        case -EDQUOT:
        case -EROFS:
                return 73;
        default:
                return r > 0 ? r : 1;
        }
}

int exit_code_worst(int a, int b)
{
        /* precedence: configuration/credentials problems over "still waiting" */
        static const int order[] = { 78, 77, 73, 1, 75, 0 };

        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                if (a == order[i] || b == order[i])
                        return order[i];
        return a ? a : b;
}
