/* SPDX-License-Identifier: MIT */
/*
 * systemd-coredump entries and crash signatures (include/coredump.h). The
 * MESSAGE layout is systemd's src/shared/elf-util.c; the normalisation follows
 * satyr's sr_normalize_core_thread and apport's StacktraceTop, with the
 * skip-from-the-top rule of reference/crash-signatures.md §4.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "alloc-util.h"
#include "sha256.h"
#include "coredump.h"
#include "dynbuf.h"
#include "journal-open.h"
#include "parse-util.h"

/* libstdc++'s demangler (the Itanium C++ ABI's, cxxabi.h), linked with -lstdc++ */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

#define FIELD_MAX (64u * 1024u) /* a longer field is cut (cmdline, package JSON) */
#define MESSAGE_LINES_MAX 8192  /* systemd caps the trace at 1 MiB, 64 threads x 64 frames */

static bool has_prefix(const char *s, const char *prefix)
{
        return strneq(s, prefix, strlen(prefix));
}

void coredump_done(struct coredump *c)
{
        char **strings[] = { &c->signal_name,     &c->exe,          &c->comm,
                             &c->cmdline,         &c->unit,         &c->filename,
                             &c->boot_id,         &c->hostname,     &c->package_name,
                             &c->package_version, &c->package_json, &c->cursor };

        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                *strings[i] = mfree(*strings[i]);
        for (size_t i = 0; i < c->n_frames; i++) {
                free(c->frames[i].function);
                free(c->frames[i].demangled);
                free(c->frames[i].module);
        }
        free(c->frames);
        *c = (struct coredump) {};
}

bool coredump_message_id_is(const char *id)
{
        return id && streq(id, COREDUMP_MESSAGE_ID);
}

static const char *const signal_names[] = {
        [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
        [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",
        [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM", [SIGXCPU] = "SIGXCPU",
        [SIGXFSZ] = "SIGXFSZ", [SIGSYS] = "SIGSYS",
};

const char *coredump_signal_name(int sig)
{
        return sig > 0 && sig < (int) ELEMENTSOF(signal_names) ? signal_names[sig] : NULL;
}

/* Replaces *dst with a copy of value, without a trailing " (deleted)". */
static int set_string(char **dst, const char *value, size_t len, bool strip_deleted)
{
        static const char deleted[] = " (deleted)";
        char *s;

        len = MIN(len, (size_t) FIELD_MAX);
        if (strip_deleted && len > strlen(deleted) &&
            memcmp(value + len - strlen(deleted), deleted, strlen(deleted)) == 0)
                len -= strlen(deleted);
        s = xstrndup(value, len);
        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

static int set_number(uint64_t *dst, bool *has, const char *value, size_t len)
{
        char buf[32];
        uint64_t v;

        if (len == 0 || len >= sizeof(buf))
                return 0;
        memcpy(buf, value, len);
        buf[len] = 0;
        if (safe_atou64(buf, &v) < 0)
                return 0; /* a malformed number is as good as absent */
        *dst = v;
        if (has)
                *has = true;
        return 0;
}

static int set_string_field(struct coredump *c, const char *name, const char *value, size_t len)
{
        static const struct {
                const char *name;
                size_t offset;
                bool strip_deleted;
        } table[] = {
                { "COREDUMP_SIGNAL_NAME", offsetof(struct coredump, signal_name), false },
                { "COREDUMP_EXE", offsetof(struct coredump, exe), true },
                { "COREDUMP_COMM", offsetof(struct coredump, comm), false },
                { "COREDUMP_CMDLINE", offsetof(struct coredump, cmdline), false },
                { "COREDUMP_UNIT", offsetof(struct coredump, unit), false },
                { "COREDUMP_FILENAME", offsetof(struct coredump, filename), false },
                { "_BOOT_ID", offsetof(struct coredump, boot_id), false },
                { "COREDUMP_HOSTNAME", offsetof(struct coredump, hostname), false },
                { "COREDUMP_PACKAGE_NAME", offsetof(struct coredump, package_name), false },
                { "COREDUMP_PACKAGE_VERSION", offsetof(struct coredump, package_version), false },
                { "COREDUMP_PACKAGE_JSON", offsetof(struct coredump, package_json), false },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(name, table[i].name))
                        return set_string((char **) ((char *) c + table[i].offset), value, len,
                                          table[i].strip_deleted);
        /* a user unit only when no system unit is named */
        if (streq(name, "COREDUMP_USER_UNIT") && !c->unit)
                return set_string(&c->unit, value, len, false);
        return 1;
}

int coredump_set_field(struct coredump *c, const char *name, const char *value, size_t len)
{
        uint64_t n = 0;
        int r;

        r = set_string_field(c, name, value, len);
        if (r <= 0)
                return r;
        if (streq(name, "MESSAGE"))
                return c->n_frames > 0 ? 0 : coredump_parse_message(c, value, len);
        if (streq(name, "COREDUMP_PID"))
                return set_number(&c->pid, NULL, value, len);
        if (streq(name, "COREDUMP_UID"))
                return set_number(&c->uid, &c->has_uid, value, len);
        if (streq(name, "COREDUMP_TID"))
                return set_number(&c->tid, NULL, value, len);
        if (streq(name, "COREDUMP_TIMESTAMP"))
                return set_number(&c->timestamp, NULL, value, len);
        if (streq(name, "COREDUMP_SIGNAL")) {
                r = set_number(&n, NULL, value, len);
                c->signal = n < 128 ? (int) n : 0;
                return r;
        }
        if (streq(name, "COREDUMP_TRUNCATED"))
                c->truncated = len == 1 && value[0] == '1';
        else if (streq(name, "_COMM"))
                c->untrusted = !(len == 15 && memcmp(value, "systemd-coredum", 15) == 0);
        return 0;
}

int coredump_set_data(struct coredump *c, const void *data, size_t len)
{
        const char *d = data, *eq = memchr(d, '=', MIN(len, (size_t) 64));
        char name[65];

        if (!eq)
                return 0;
        memcpy(name, d, (size_t) (eq - d));
        name[eq - d] = 0;
        return coredump_set_field(c, name, eq + 1, len - (size_t) (eq - d) - 1);
}

void coredump_finish(struct coredump *c, usec_t entry_time)
{
        if (c->timestamp == 0)
                c->timestamp = entry_time;
        if (!c->signal_name && coredump_signal_name(c->signal))
                c->signal_name = xstrdup(coredump_signal_name(c->signal));
}

/* ---- MESSAGE ---- */

/* "#0  0x00007f… SYMBOL (MODULE + 0xOFF)"; also the pre-2019 form without "+ 0x…". */
static int parse_frame(const char *line, size_t len, struct coredump_frame *ret)
{
        _cleanup_free_ char *l = xstrndup(line, len);
        char *p, *sym, *open, *close, *plus;

        if (!l)
                return -ENOMEM;
        p = l + 1 + strspn(l + 1, "0123456789");
        p += strspn(p, " ");
        if (!strneq(p, "0x", 2))
                return 0;
        p += strcspn(p, " ");
        sym = p + strspn(p, " ");
        open = strstr(sym, " (");
        close = strrchr(sym, ')');
        if (!open || !close || close < open)
                return 0;
        *open = 0;
        *close = 0;
        open += 2;
        plus = strstr(open, " + 0x");
        if (plus) {
                *plus = 0;
                ret->offset = strtoull(plus + 5, NULL, 16);
        }
        if (!streq(sym, "n/a") && !streq(sym, "??") && !isempty(sym)) {
                ret->function = xstrdup(sym);
                if (!ret->function)
                        return -ENOMEM;
        }
        if (!streq(open, "n/a") && !isempty(open)) {
                const char *base = strrchr(open, '/');
                char *del = strstr(open, " (deleted");

                if (del)
                        *del = 0;
                ret->module = xstrdup(base ? base + 1 : open);
                if (!ret->module)
                        return -ENOMEM;
        }
        return 1;
}

static int add_frame(struct coredump *c, const char *line, size_t len)
{
        struct coredump_frame f = {};
        int r;

        if (c->n_frames >= COREDUMP_FRAMES_MAX)
                return 0;
        if (!c->frames) {
                c->frames = calloc(COREDUMP_FRAMES_MAX, sizeof(*c->frames));
                if (!c->frames)
                        return -ENOMEM;
        }
        r = parse_frame(line, len, &f);
        if (r > 0 && f.function && has_prefix(f.function, "_Z")) {
                f.demangled = coredump_demangle(f.function);
                /* not demangled (not C++, or no memory): the symbol as printed */
        }
        if (r <= 0) {
                free(f.function);
                free(f.module);
                return r;
        }
        c->frames[c->n_frames++] = f;
        return 0;
}

/* Which "Stack trace of thread N:" block is the crashing thread's. */
static bool thread_matches(const struct coredump *c, const char *line, size_t len, bool *seen)
{
        static const char head[] = "Stack trace of thread ";
        uint64_t tid = 0;

        if (len < strlen(head) || memcmp(line, head, strlen(head)) != 0)
                return false;
        (void) set_number(&tid, NULL, line + strlen(head), len - strlen(head) - 1);
        if (c->tid != 0)
                return tid == c->tid;
        /* the kernel writes the dumping thread first */
        if (*seen)
                return false;
        *seen = true;
        return true;
}

int coredump_parse_message(struct coredump *c, const char *msg, size_t len)
{
        const char *p = msg, *end = msg + len;
        bool in_thread = false, seen = false;
        int r;

        for (unsigned n = 0; p < end && n < MESSAGE_LINES_MAX; n++) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t l = (size_t) ((nl ?: end) - p);

                if (l > 0 && p[l - 1] == '\r')
                        l--;
                if (l > 0 && p[0] == '#') {
                        r = in_thread ? add_frame(c, p, l) : 0;
                        if (r < 0)
                                return r;
                } else if (l > 0 && p[0] == 'S')
                        in_thread = thread_matches(c, p, l, &seen) && c->n_frames == 0;
                else
                        in_thread = false;
                p = nl ? nl + 1 : end;
        }
        return 0;
}

char *coredump_identity(const struct coredump *c)
{
        if (c->boot_id && c->pid && c->timestamp)
                return xasprintf("%s:%" PRIu64 ":%" PRIu64, c->boot_id, c->pid,
                                 (uint64_t) c->timestamp);
        if (c->cursor)
                return xstrdup(c->cursor);
        return xasprintf("-:%" PRIu64 ":%" PRIu64 ":%s", c->pid, (uint64_t) c->timestamp,
                         c->exe ?: "-");
}

#ifdef HAVE_LIBSYSTEMD
int coredump_journal_open(sd_journal **ret, const char *dir, usec_t since, usec_t until,
                          unsigned flags, struct journal_trim *t)
{
        static const char *const matches[] = { "MESSAGE_ID=" COREDUMP_MESSAGE_ID,
                                               "_TRANSPORT=kernel" };
        size_t n = flags & COREDUMP_JOURNAL_KERNEL ? 2 : 1;
        uint32_t which = (UINT32_C(1) << n) - 1; /* all, unless only those held */
        sd_journal *j = NULL;
        int r;

        r = journal_open_window(&j, dir, since, until, NULL, NULL);
        if (r < 0)
                return r;
        (void) sd_journal_set_data_threshold(j, 256 * 1024); /* a trace MESSAGE is long */
        r = flags & COREDUMP_JOURNAL_HELD ? journal_holds(j, matches, n, t, &which) : 0;
        if (r >= 0)
                r = journal_add_matches(j, matches, n, which);
        if (r == 0)
                r = -ENODATA; /* without a match every entry would come */
        if (r >= 0 && t)
                journal_trim_burst(t); /* the first step after the seek bisects every match */
        if (r >= 0)
                r = sd_journal_seek_realtime_usec(j, since);
        if (r < 0) {
                sd_journal_close(j);
                return r;
        }
        *ret = j;
        return 0;
}

int coredump_from_journal(sd_journal *j, struct coredump *ret)
{
        static const char *const fields[] = {
                "MESSAGE_ID",
                "_COMM",
                "COREDUMP_EXE",
                "COREDUMP_COMM",
                "COREDUMP_PID",
                "COREDUMP_UID",
                "COREDUMP_TID",
                "COREDUMP_SIGNAL",
                "COREDUMP_SIGNAL_NAME",
                "COREDUMP_UNIT",
                "COREDUMP_USER_UNIT",
                "COREDUMP_CMDLINE",
                "COREDUMP_FILENAME",
                "COREDUMP_TIMESTAMP",
                "COREDUMP_TRUNCATED",
                "COREDUMP_HOSTNAME",
                "_BOOT_ID",
                "COREDUMP_PACKAGE_NAME",
                "COREDUMP_PACKAGE_VERSION",
                "COREDUMP_PACKAGE_JSON",
                "MESSAGE",
        };
        struct coredump c = {};
        usec_t t = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                const void *d;
                size_t l;

                r = sd_journal_get_data(j, fields[i], &d, &l);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        goto fail;
                if (i == 0 && !(l == strlen("MESSAGE_ID=" COREDUMP_MESSAGE_ID) &&
                                memcmp(d, "MESSAGE_ID=" COREDUMP_MESSAGE_ID, l) == 0)) {
                        r = -ENOMSG;
                        goto fail;
                }
                r = coredump_set_data(&c, d, l);
                if (r < 0)
                        goto fail;
        }
        r = -ENOMSG;
        if (c.untrusted || (!c.exe && !c.comm))
                goto fail;
        (void) sd_journal_get_realtime_usec(j, &t);
        if (sd_journal_get_cursor(j, &c.cursor) < 0)
                c.cursor = NULL;
        coredump_finish(&c, t);
        *ret = c;
        return 0;
fail:
        coredump_done(&c);
        return r;
}
#endif

/* ---- signatures ---- */

/* "_ZN4core6result13unwrap_failed17h0123456789abcdefE" -> drop "17h<16 hex>". */
static void strip_rust_hash(char *s)
{
        size_t n = strlen(s);
        char *h;

        if (!has_prefix(s, "_ZN") || n < 24 || s[n - 1] != 'E')
                return;
        h = s + n - 20;
        if (!strneq(h, "17h", 3) || strspn(h + 3, "0123456789abcdef") != 16)
                return;
        h[0] = 'E';
        h[1] = 0;
}

/* libc's ISA variants: __memmove_avx_unaligned_erms, __strlen_evex, __strcmp_sse42. */
static void strip_isa_variant(char *s)
{
        static const char *const bases[] = { "mem", "str", "stp", "wmem", "wcs", "rawmem" };
        char *u;

        for (size_t i = 0; i < ELEMENTSOF(bases); i++) {
                if (!has_prefix(s, bases[i]))
                        continue;
                u = strchr(s, '_');
                if (u)
                        *u = 0;
                return;
        }
}

/* ---- C++ names ---- */

char *coredump_demangle(const char *symbol)
{
        _cleanup_free_ char *s = NULL;
        char *d;
        int status = -1;

        if (!symbol || !has_prefix(symbol, "_Z"))
                return NULL;
        s = xstrndup(symbol, strcspn(symbol, "@"));
        if (!s)
                return NULL;
        d = __cxa_demangle(s, NULL, NULL, &status);
        if (status != 0) {
                free(d);
                return NULL;
        }
        return d;
}

/* Removes every "[abi:…]" tag and " [clone …]" suffix of a demangled name. */
static void strip_brackets(char *s)
{
        char *p = s;

        while ((p = strchr(p, '['))) {
                char *close = strchr(p, ']');

                if (!close || !(has_prefix(p, "[abi:") || has_prefix(p, "[clone "))) {
                        p++;
                        continue;
                }
                if (p > s && p[-1] == ' ' && has_prefix(p, "[clone "))
                        p--;
                memmove(p, close + 1, strlen(close + 1) + 1);
        }
}

/* Cuts trailing qualifiers (" const", " volatile", "&", "&&", " noexcept"). */
static void strip_qualifiers(char *s)
{
        static const char *const quals[] = { " const", " volatile", " noexcept", "&&", "&" };
        bool again = true;

        while (again) {
                size_t n = strlen(s);

                again = false;
                while (n > 0 && s[n - 1] == ' ')
                        s[--n] = 0;
                for (size_t i = 0; i < ELEMENTSOF(quals) && !again; i++) {
                        size_t q = strlen(quals[i]);

                        if (n > q && streq(s + n - q, quals[i]) && s[n - q - 1] != '(') {
                                s[n - q] = 0;
                                again = true;
                        }
                }
        }
}

/* Cuts the parameter list: the balanced "(…)" group that ends the name. */
static void strip_parameters(char *s)
{
        size_t n = strlen(s);
        int depth = 0;

        if (n == 0 || s[n - 1] != ')')
                return;
        for (size_t i = n; i > 0; i--) {
                if (s[i - 1] == ')')
                        depth++;
                else if (s[i - 1] == '(' && --depth == 0) {
                        if (i > 1) /* never the whole name */
                                s[i - 1] = 0;
                        return;
                }
        }
}

/* Drops a template function's return type: "int foo<int>" -> "foo<int>" (the last
 * space outside <…> and (…), before any "operator"). */
static void strip_return_type(char *s)
{
        size_t cut = 0;
        int depth = 0;

        for (size_t i = 0; s[i]; i++) {
                if (depth == 0 && has_prefix(s + i, "operator") &&
                    (i == 0 || s[i - 1] == ':' || s[i - 1] == ' '))
                        break;
                if (s[i] == '<' || s[i] == '(')
                        depth++;
                else if ((s[i] == '>' || s[i] == ')') && depth > 0)
                        depth--;
                else if (s[i] == ' ' && depth == 0)
                        cut = i + 1;
        }
        if (cut > 0 && s[cut])
                memmove(s, s + cut, strlen(s + cut) + 1);
}

/* A C++ name as a signature key: demangled, without what differs between calls. */
static char *normalize_cxx(char *s)
{
        char *d = coredump_demangle(s);

        if (!d)
                return s; /* not demangled: the symbol stays a stable key */
        free(s);
        strip_brackets(d);
        strip_qualifiers(d);
        strip_parameters(d);
        strip_qualifiers(d);
        strip_return_type(d);
        return d;
}

char *coredump_normalize_function(const char *name)
{
        static const char *const prefixes[] = { "__GI_", "IA__" };
        char *s, *p;
        size_t skip = 0;

        for (size_t i = 0; i < ELEMENTSOF(prefixes) && !skip; i++)
                if (has_prefix(name, prefixes[i]))
                        skip = strlen(prefixes[i]);
        s = xstrdup(name + skip);
        if (!s)
                return NULL;
        p = strchr(s, '@');
        if (p)
                *p = 0;
        p = strchr(s + (s[0] == '.'), '.'); /* .constprop.0 .isra.0 .part.0 .cold .lto_priv.0 */
        if (p)
                *p = 0;
        strip_rust_hash(s);
        if (has_prefix(s, "_Z"))
                return normalize_cxx(s);
        if (has_prefix(s, "__") && (has_prefix(s + 2, "mem") || has_prefix(s + 2, "str") ||
                                    has_prefix(s + 2, "stp") || has_prefix(s + 2, "wmem") ||
                                    has_prefix(s + 2, "wcs") || has_prefix(s + 2, "rawmem"))) {
                memmove(s, s + 2, strlen(s + 2) + 1);
                strip_isa_variant(s);
        }
        return s;
}

bool coredump_function_is_crash_machinery(const char *name)
{
        static const char *const exact[] = {
                "__pthread_kill_implementation",
                "__pthread_kill_internal",
                "pthread_kill",
                "raise",
                "gsignal",
                "abort",
                "__assert_fail",
                "__assert_fail_base",
                "__assert_perror_fail",
                "__libc_message",
                "__libc_message_impl",
                "__libc_fatal",
                "__fortify_fail",
                "__chk_fail",
                "__stack_chk_fail",
                "malloc_printerr",
                "_int_free",
                "_int_malloc",
                "malloc_consolidate",
                "__libc_free",
                "__libc_malloc",
                "kill",
                "exit",
                "__run_exit_handlers",
                "_g_log_abort",
                "__cxa_throw",
                "__cxa_rethrow",
                "__cxa_pure_virtual",
                "__rust_start_panic",
                "__restore_rt",
                "__kernel_rt_sigreturn",
                "_ZSt9terminatev",
                "_ZN10__cxxabiv111__terminateEPFvvE",
                "_ZN9__gnu_cxx27__verbose_terminate_handlerEv",
                /* the same, demangled (as names are normalised) */
                "std::terminate",
                "__cxxabiv1::__terminate",
                "__gnu_cxx::__verbose_terminate_handler",
                "std::__glibcxx_assert_fail",
                "std::__replacement_assert",
                "std::rethrow_exception",
                /* the kernel's oops and panic machinery */
                "dump_stack_lvl",
                "dump_stack",
                "panic",
                "__die",
                "die",
                "oops_end",
                "page_fault_oops",
                "no_context",
                "exc_page_fault",
                "asm_exc_page_fault",
                "__warn",
                "report_bug",
                "handle_bug",
                "exc_invalid_op",
                "asm_exc_invalid_op",
        };
        static const char *const prefixes[] = {
                "g_log",
                "g_assertion_message",
                "rust_panic",
                "_ZN4core9panicking",
                "_ZN3std9panicking",
                "core::panicking",
                "std::panicking",
                "__GI_",
        };
        size_t n = strlen(name);

        for (size_t i = 0; i < ELEMENTSOF(exact); i++)
                if (streq(name, exact[i]))
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (has_prefix(name, prefixes[i]))
                        return true;
        return n > 4 && streq(name + n - 4, "_chk");
}

/* Frames at the bottom of every thread: nothing of the problem below them. */
static bool is_thread_start(const char *name)
{
        static const char *const names[] = { "_start",
                                             "__libc_start_main",
                                             "__libc_start_call_main",
                                             "start_thread",
                                             "clone",
                                             "__clone",
                                             "__clone3",
                                             "clone3" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(name, names[i]))
                        return true;
        return false;
}

void coredump_signature_done(struct coredump_signature *s)
{
        free(s->text);
        free(s->title);
        for (size_t i = 0; i < s->n_keys; i++)
                free(s->keys[i]);
        *s = (struct coredump_signature) {};
}

/* Normalised names of the frames (NULL where unknown); *ret_first: the first
 * frame below the crash machinery; *ret_end: the thread-start cut. */
static int normalize_frames(const struct coredump *c, char **names, size_t *ret_first,
                            size_t *ret_end, size_t *ret_unknown)
{
        size_t first = 0, end = c->n_frames, unknown = 0;

        for (size_t i = 0; i < c->n_frames; i++) {
                if (!c->frames[i].function)
                        continue;
                names[i] = coredump_normalize_function(c->frames[i].function);
                if (!names[i])
                        return -ENOMEM;
                if (is_thread_start(names[i]) && end == c->n_frames)
                        end = i;
                /* a signal trampoline: the frames above it are the handler's */
                if (end == c->n_frames &&
                    (streq(names[i], "__restore_rt") || streq(names[i], "__kernel_rt_sigreturn")))
                        first = i + 1;
        }
        /* skip the abort/assert machinery while it leads (never deeper) */
        for (; first < end && (!names[first] || coredump_function_is_crash_machinery(names[first]));
             first++)
                /* unknown frames below the machinery are the problem's own */
                unknown = names[first] ? 0 : unknown + 1;
        if (first >= end)
                first = unknown = 0; /* nothing but machinery: keep what there is */
        *ret_first = first;
        *ret_end = end;
        *ret_unknown = unknown;
        return 0;
}

static int add_key(struct coredump_signature *s, char *key)
{
        if (!key)
                return -ENOMEM;
        if (s->n_keys > 0 && streq(s->keys[s->n_keys - 1], key)) {
                free(key); /* recursion collapses */
                return 0;
        }
        s->keys[s->n_keys++] = key;
        return 0;
}

static int pick_keys(const struct coredump *c, char **names, size_t first, size_t end,
                     size_t unknown, struct coredump_signature *s)
{
        int r;

        for (size_t i = first; i < end && s->n_keys < COREDUMP_SIGNATURE_FRAMES; i++) {
                if (!names[i] || coredump_function_is_crash_machinery(names[i])) {
                        unknown += !names[i];
                        continue;
                }
                r = add_key(s, xstrdup(names[i]));
                if (r < 0)
                        return r;
        }
        /* enough names, and none of the frames on top was unknown */
        if (s->n_keys >= 2 || (s->n_keys == 1 && unknown == 0)) {
                s->kind = COREDUMP_SIGNATURE_SYMBOLIC;
                return 0;
        }
        while (s->n_keys > 0)
                free(s->keys[--s->n_keys]);
        for (size_t i = first - MIN(first, unknown);
             i < end && s->n_keys < COREDUMP_SIGNATURE_FRAMES; i++) {
                const struct coredump_frame *f = &c->frames[i];

                if (!f->module || streq(f->module, "linux-vdso.so.1"))
                        continue;
                r = add_key(s, xasprintf("%s+0x%" PRIx64, f->module, f->offset));
                if (r < 0)
                        return r;
        }
        s->kind = s->n_keys > 0 ? COREDUMP_SIGNATURE_ADDRESS : COREDUMP_SIGNATURE_MINIMAL;
        return 0;
}

static int hash_text(struct coredump_signature *s)
{
        sha256_hex(s->text, strlen(s->text), s->hash);
        return 0;
}

static int signature_text(const struct coredump *c, struct coredump_signature *s)
{
        const char *sig = c->signal_name ?: "signal?";
        struct dynbuf d;

        dynbuf_init(&d, 64 * 1024);
        (void) dynbuf_addf(&d, "v1\n%s\n%s\n", c->exe ?: c->comm ?: "?", sig);
        for (size_t i = 0; i < s->n_keys; i++)
                (void) dynbuf_addf(&d, "%s\n", s->keys[i]);
        /* an address signature holds for one build only */
        if (s->kind == COREDUMP_SIGNATURE_ADDRESS)
                (void) dynbuf_addf(&d, "build %s\n", c->package_version ?: "unknown");
        s->text = dynbuf_steal(&d);
        if (!s->text)
                return -ENOMEM;
        if (s->kind == COREDUMP_SIGNATURE_SYMBOLIC)
                s->title = xasprintf("%s in %s", sig, s->keys[0]);
        else if (s->kind == COREDUMP_SIGNATURE_ADDRESS)
                s->title = xasprintf("%s at %s", sig, s->keys[0]);
        else
                s->title = xstrdup(sig);
        return s->title ? hash_text(s) : -ENOMEM;
}

int coredump_signature(const struct coredump *c, struct coredump_signature *ret)
{
        char *names[COREDUMP_FRAMES_MAX] = {};
        struct coredump_signature s = {};
        size_t first = 0, end = 0, unknown = 0;
        int r;

        r = normalize_frames(c, names, &first, &end, &unknown);
        if (r >= 0)
                r = pick_keys(c, names, first, end, unknown, &s);
        for (size_t i = 0; i < c->n_frames; i++)
                free(names[i]);
        if (r >= 0)
                r = signature_text(c, &s);
        if (r < 0) {
                coredump_signature_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}
