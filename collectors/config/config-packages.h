/* SPDX-License-Identifier: MIT */
/*
 * Package installs, upgrades and removals in a time window, read from the
 * package managers' own logs below the root: /var/log/dpkg.log*,
 * /var/log/apt/history.log* (Debian family; rotated .gz included) and
 * /var/log/dnf.rpm.log*, /var/log/yum.log* (RPM family).
 */
#pragma once

#include <stddef.h>

#include "time-util.h"

struct config_package_change {
        char *name;
        char *arch;        /* may be NULL */
        char *action;      /* install, upgrade, downgrade, reinstall, remove, purge */
        char *old_version; /* NULL when none (install) or unknown */
        char *new_version; /* NULL when none (remove) or unknown */
        char *source;      /* log file, as seen inside the root */
        char *command;     /* apt Commandline, may be NULL */
        usec_t time;
};

struct config_package_changes {
        struct config_package_change *items; /* sorted by time after collect */
        size_t n, alloc;
        char **sources; /* log files read */
        size_t n_sources;
        size_t unparsed; /* lines that looked relevant but did not parse */
};

/* Reads every package log below root_fd and keeps changes in [since, until].
 * Missing logs are not an error. 0 or -ENOMEM. */
int config_packages_collect(int root_fd, usec_t since, usec_t until,
                            struct config_package_changes *ret);

void config_package_changes_done(struct config_package_changes *c);
