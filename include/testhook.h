/* SPDX-License-Identifier: MIT */
/*
 * Test hooks (a fixed clock, failure injection, short portal back-offs) are
 * compiled into the one binary that is tested and installed, and are inert
 * unless the environment says COLLECT_TESTING=1, which only the test suites
 * set. They never act in a set-user-ID or file-capability process
 * (secure_getenv).
 */
#pragma once

#include <stdlib.h>
#include <string.h>

/* The value of the test hook variable NAME, or NULL unless COLLECT_TESTING=1. */
static inline const char *testhook_getenv(const char *name)
{
        const char *on = secure_getenv("COLLECT_TESTING");

        if (!on || strcmp(on, "1") != 0)
                return NULL;
        return secure_getenv(name);
}
