/* SPDX-License-Identifier: MIT */
/*
 * systemd-coredump journal entries (MESSAGE_ID=fc2e22bc…) and crash
 * signatures. One parser for every reader of these entries: the journal and
 * crash collectors, `collect hook coredump` and `collect watch`. The crash
 * signature names a problem the way ABRT's duphash and apport's signature do:
 * the executable plus the normalised function names of the top frames of the
 * crashing thread (see reference/crash-signatures.md §4).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "time-util.h"

#define COREDUMP_MESSAGE_ID "fc2e22bc6ee647b6b90729ab34a250b1"
#define COREDUMP_FRAMES_MAX 64      /* systemd prints at most 64 frames per thread */
#define COREDUMP_SIGNATURE_FRAMES 5 /* frames that make a signature (apport's StacktraceTop) */

/* One frame "#N 0xPC SYMBOL (MODULE + 0xOFFSET)" of the crashing thread. */
struct coredump_frame {
        char *function;  /* symbol as printed; NULL for "n/a" and "??" */
        char *demangled; /* a C++ ("_Z…") function demangled, with its parameters; else NULL */
        char *module;    /* module basename, " (deleted)" removed; NULL for "n/a" */
        uint64_t offset; /* module-relative offset (0 when not printed) */
};

/* A parsed entry; every string is owned and may be NULL when the field is absent. */
struct coredump {
        usec_t timestamp; /* COREDUMP_TIMESTAMP, else the entry's realtime */
        uint64_t pid;     /* COREDUMP_PID (0 = unknown) */
        uint64_t uid;     /* COREDUMP_UID */
        bool has_uid;
        uint64_t tid;          /* COREDUMP_TID (0 = unknown) */
        int signal;            /* COREDUMP_SIGNAL (0 = unknown) */
        char *signal_name;     /* COREDUMP_SIGNAL_NAME, else derived from the number */
        char *exe;             /* COREDUMP_EXE, " (deleted)" removed */
        char *comm;            /* COREDUMP_COMM */
        char *cmdline;         /* COREDUMP_CMDLINE (may hold secrets: through the sink only) */
        char *unit;            /* COREDUMP_UNIT, else COREDUMP_USER_UNIT */
        char *filename;        /* COREDUMP_FILENAME: the stored core, if kept */
        char *boot_id;         /* _BOOT_ID */
        char *hostname;        /* COREDUMP_HOSTNAME */
        char *package_name;    /* COREDUMP_PACKAGE_NAME */
        char *package_version; /* COREDUMP_PACKAGE_VERSION */
        char *package_json;    /* COREDUMP_PACKAGE_JSON */
        char *cursor;          /* __CURSOR, when read from sd-journal */
        bool truncated;        /* COREDUMP_TRUNCATED=1 */
        bool untrusted;        /* _COMM is present and is not systemd-coredump's */
        struct coredump_frame *frames; /* the crashing thread, innermost first */
        size_t n_frames;
};

void coredump_done(struct coredump *c);

/* True if id (a MESSAGE_ID value) is systemd-coredump's crash entry. */
bool coredump_message_id_is(const char *id);

/*
 * Takes one field of an entry (name without '=', value of len bytes, not
 * necessarily NUL-terminated); fields that are not about the crash are
 * ignored. MESSAGE is parsed for the stack here and not kept. 0 or -ENOMEM.
 */
int coredump_set_field(struct coredump *c, const char *name, const char *value, size_t len);

/* The same for one "NAME=value" datum as sd_journal_get_data() returns it. */
int coredump_set_data(struct coredump *c, const void *data, size_t len);

/* Completes the entry once its fields are set: the timestamp (entry_time when
 * COREDUMP_TIMESTAMP is absent) and the signal name. */
void coredump_finish(struct coredump *c, usec_t entry_time);

/*
 * Parses the stack of the crashing thread out of a MESSAGE text: the block
 * "Stack trace of thread <tid>:" (the first block when tid is 0 or absent).
 * Frames are appended to c (at most COREDUMP_FRAMES_MAX). 0 or -ENOMEM.
 */
int coredump_parse_message(struct coredump *c, const char *msg, size_t len);

/* The event's identity: "<boot id>:<pid>:<timestamp>", or the journal cursor
 * when the first is incomplete. NULL on allocation failure. */
char *coredump_identity(const struct coredump *c);

/* The signal's name ("SIGSEGV") for a number, or NULL. */
const char *coredump_signal_name(int sig) _pure_;

#ifdef HAVE_LIBSYSTEMD
typedef struct sd_journal sd_journal;
struct journal_trim;

/* Reads the entry sd-journal is positioned on. -ENOMSG if it is no coredump
 * entry (or one forged by another program), -errno otherwise. */
int coredump_from_journal(sd_journal *j, struct coredump *ret);

enum {
        COREDUMP_JOURNAL_KERNEL = 1 << 0, /* the kernel's messages too */
        /* only the matches an entry of the files holds (include/journal-open.h
         * journal_holds()): for a reader of a past window, which entries
         * written meanwhile would not join (not the monitor's, which follows
         * the journal) */
        COREDUMP_JOURNAL_HELD = 1 << 1,
};

/* Opens the journal in dir (NULL: the system's) for the core dumps of
 * [since, until] and, with COREDUMP_JOURNAL_KERNEL, the kernel's messages:
 * the files of that window (include/journal-open.h), matched and positioned
 * at since. 0, -ENODATA (COREDUMP_JOURNAL_HELD: the files hold neither; no
 * journal is returned) or -errno. t: the reader's bound on the journal's
 * pages, kept while COREDUMP_JOURNAL_HELD asks what the files hold (NULL:
 * none). */
int coredump_journal_open(sd_journal **ret, const char *dir, usec_t since, usec_t until,
                          unsigned flags, struct journal_trim *t);
#endif

enum coredump_signature_kind {
        COREDUMP_SIGNATURE_SYMBOLIC, /* function names: stable across builds */
        COREDUMP_SIGNATURE_ADDRESS,  /* module offsets: valid for one build */
        COREDUMP_SIGNATURE_MINIMAL,  /* executable and signal only: no usable stack */
};

struct coredump_signature {
        enum coredump_signature_kind kind;
        char *text;    /* the hashed plaintext: "v1\n<exe>\n<SIG>\n<key>\n…" */
        char hash[65]; /* SHA-256 of text, lowercase hex */
        char *title;   /* "SIGSEGV in segment_store_read" */
        char *keys[COREDUMP_SIGNATURE_FRAMES]; /* the frame keys used, NULL-terminated */
        size_t n_keys;
};

void coredump_signature_done(struct coredump_signature *s);

/*
 * Computes the crash signature of c: exe, signal and up to
 * COREDUMP_SIGNATURE_FRAMES normalised frames of the crashing thread, with
 * the abort/assert/raise machinery and unknown frames skipped; without
 * symbols module+offset keys; without a stack exe and signal only.
 * The signature never names the host. 0 or -ENOMEM.
 */
int coredump_signature(const struct coredump *c, struct coredump_signature *ret);

/*
 * Normalises one function name: drops symbol versions ("@GLIBC_2.2.5"), GCC
 * clone suffixes (".constprop.0", ".isra.0", ".cold"), the Rust legacy hash,
 * demangles C++ names and cuts what differs between calls of one function
 * (the parameter list, cv/ref qualifiers, a template's return type, ABI
 * tags: "demo::Queue<int>::pop(long) const" -> "demo::Queue<int>::pop"),
 * the "__GI_"/"IA__" prefixes and libc's ISA variants ("__memmove_avx_unaligned"
 * -> "memmove"). Returns a new string (NULL: out of memory).
 */
char *coredump_normalize_function(const char *name);

/*
 * Demangles a C++ symbol ("_ZN4demo5Queue3popEv" -> "demo::Queue::pop()") with
 * the toolchain's demangler (libstdc++'s __cxa_demangle); a symbol version
 * ("@@GLIBCXX_3.4") is dropped. NULL when symbol is not a C++ name, cannot be
 * demangled, or out of memory.
 */
char *coredump_demangle(const char *symbol);

/* The name of a frame for people: demangled, else as printed, else "n/a". */
static inline const char *coredump_frame_name(const struct coredump_frame *f)
{
        return f->demangled ?: f->function ?: "n/a";
}

/* True if a (normalised) function belongs to the crash machinery that sits
 * above the faulting frame: raise, abort, __assert_fail, *_chk, … */
bool coredump_function_is_crash_machinery(const char *name) _pure_;

/* 12 hex digits of the signature: the name of crash/<short>.txt. */
#define COREDUMP_SIGNATURE_SHORT 12
