/* SPDX-License-Identifier: MIT */
/*
 * The crash collector's private declarations: one record per crash (from
 * systemd-coredump, apport, kdump, the kernel's log or pstore) and the
 * problems they form, grouped by crash signature.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coredump.h"
#include "time-util.h"

struct collect_ctx;
struct sink;

#define CRASH_RECORDS_MAX 1000
#define CRASH_PROBLEMS_MAX 200

struct crash_record {
        const char *source; /* "systemd-coredump", "apport", "kdump", "kernel", "pstore" */
        struct coredump cd; /* kernel crashes: exe "kernel", signal_name the kind */
        struct coredump_signature sig;
        char *package; /* owning package, when the package database says so */
        char *version;
        char *detail; /* kernel crashes: the headline; apport/kdump/pstore: the file */
        bool core_present;
        uint64_t core_size;
        size_t problem; /* index into the problems */
};

struct crash_problem {
        const char *hash; /* borrowed from the first record's signature */
        size_t first_record;
        size_t last_record;
        uint64_t count;
        usec_t first;
        usec_t last;
        char *summary; /* "app-server: SIGSEGV in segment_store_read, 2 crashes in 12 minutes" */
};

struct crash_state {
        /* options */
        bool journal;
        bool var_crash;
        bool pstore;
        bool kernel;
        bool include_cores;
        bool kernel_given; /* the kernel's lines came from the journal collector */
        uint64_t max_core_size;
        uint64_t max_crashes;
        /* the run */
        char *journal_dir;
        struct crash_record *records;
        size_t n_records;
        uint64_t dropped;
        struct crash_problem *problems;
        size_t n_problems;
};

/* Appends a zeroed record; NULL when full (counted in dropped) or out of memory. */
struct crash_record *crash_record_new(struct crash_state *s);

/* Computes the record's signature and files it under its problem. 0 or -ENOMEM. */
int crash_record_commit(struct crash_state *s, struct crash_record *rec);

/* crash-host.c: what the host keeps beside the journal. */
int crash_scan_var_crash(struct crash_state *s, struct collect_ctx *ctx, struct sink *sink);
int crash_scan_pstore(struct crash_state *s, struct collect_ctx *ctx, struct sink *sink);

/* Kernel log text (pstore, kdump's dmesg, journal lines): a headline starting a
 * crash ("BUG: …", "Oops", "Kernel panic", "general protection fault":
 * kernel_crash_headline_kind() of include/kernel-lines.h), and the frames of
 * its "Call Trace:" ("func+0x1a/0x30 [module]"). */
int crash_kernel_add_frame(struct coredump *cd, const char *line);
int crash_kernel_set_headline(struct coredump *cd, char **detail, const char *line);

/* Package (and version) owning the absolute path exe under the root, from
 * dpkg's lists; 0 and NULLs when unknown (rpm hosts: not looked up). */
int crash_package_lookup(struct collect_ctx *ctx, const char *exe, char **ret_package,
                         char **ret_version);
