/* SPDX-License-Identifier: MIT */
/*
 * Test hooks (a fixed clock, failure injection, short portal back-offs) are
 * compiled into the one binary that is tested and installed, and are inert
 * unless the environment says COLLECT_TESTING=1, which only the test suites
 * set. They never act in a set-user-ID or file-capability process.
 */
#pragma once

/* The value of the test hook variable NAME, or NULL unless COLLECT_TESTING=1. */
const char *testhook_getenv(const char *name);
