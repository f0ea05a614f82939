/* SPDX-License-Identifier: MIT */
/* Test trees: removing a fixture's temporary directory and all below it. */
#pragma once

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static inline int tree_remove_one(const char *path, const struct stat *st, int flag,
                                  struct FTW *ftw)
{
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

/* Removes path and everything below it, links not followed. 0 or -1. */
static inline int tree_remove(const char *path)
{
        return nftw(path, tree_remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -1 : 0;
}
