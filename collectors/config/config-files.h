/* SPDX-License-Identifier: MIT */
/*
 * The configuration as it is now (config/files/<original path>), redacted by
 * the sink like everything else: the files of the critical and failing units
 * (unit file, drop-ins, EnvironmentFile=, files named on ExecStart=), the
 * policy's default set (config.files) and every file changed in the window.
 */
#pragma once

#include <stdint.h>

struct collect_ctx;
struct sink;

struct config_files_params {
        char *const *defaults;  /* paths, directories and globs inside the root */
        char *const *changed;   /* files changed in the window */
        char *const *exclude;   /* globs never copied (the snapshot's exclude list) */
        uint64_t max_files;     /* at most this many members */
        uint64_t max_file_size; /* larger files are left out (noted) */
};

/* Adds the members; every file that was asked for and could not be read is a
 * note and makes the result partial. 0 or -ENOMEM. */
int config_files_collect(struct collect_ctx *ctx, struct sink *sink,
                         const struct config_files_params *p);
