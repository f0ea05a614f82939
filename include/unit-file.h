/* SPDX-License-Identifier: MIT */
/*
 * systemd unit files as found in a host tree: the fragment that defines a
 * unit (the first of /etc, /run, /usr/local/lib, /usr/lib, /lib
 * systemd/system that has it; templates for instances), its drop-ins
 * (<unit>.d/NAME.conf in every one of those directories, the first of the same
 * name wins, in name order), and the values of a setting across them, as
 * systemd merges them (an empty assignment resets a list). Every read goes
 * through open_beneath(); non-logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct unit_files {
        char *fragment; /* path inside the root ("/etc/systemd/system/app.service"), or NULL */
        char **dropins; /* paths inside the root, in the order systemd applies them */
};

/* Finds the files of unit (e.g. "app.service") below root_fd. Returns 1 when
 * a fragment was found, 0 when not (dropins may still be set), -errno. */
int unit_files_find(int root_fd, const char *unit, struct unit_files *ret);
void unit_files_done(struct unit_files *u);

/* The values of key (e.g. "EnvironmentFile") in the unit's files, in order,
 * continuation lines joined. *ret is a new strv (possibly empty). 0 or -errno. */
int unit_files_get(int root_fd, const struct unit_files *u, const char *key, char ***ret);

/* True if name ends in a systemd unit suffix (".service", ".socket", …). */
bool unit_name_valid(const char *name);
