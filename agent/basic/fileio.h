/* SPDX-License-Identifier: MIT */
/*
 * Whole-file writes that readers never see half done: the state files of
 * the spool, the ledger, the storm budgets and the outbox drafts.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * Writes data to path through "<path>.tmp.<pid>", fsync and rename, then
 * syncs the directory. The temporary file is removed on failure. 0 or
 * -errno (-ENOSPC when the disk is full).
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
