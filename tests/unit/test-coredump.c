/* SPDX-License-Identifier: MIT */
/*
 * Tests of agent/basic/coredump.c: the MESSAGE stack parser (crashing thread,
 * old and new frame forms), function-name normalisation, and crash signatures
 * (the abort machinery and unknown frames skipped, repeats equal, different
 * stacks different, the address and minimal fallbacks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coredump.h"

static const char abort_msg[] =
        "Process 4242 (demo-svc) of user 998 dumped core.\n"
        "\n"
        "Module /usr/bin/demo-svc from rpm demo-1.4.2-1.fc41.x86_64\n"
        "Module libc.so.6 from rpm glibc-2.40-3.fc41.x86_64\n"
        "Stack trace of thread 4245:\n"
        "#0  0x00007f3a1c08e3f4 __pthread_kill_implementation (libc.so.6 + 0x753f4)\n"
        "#1  0x00007f3a1c034d2e raise (libc.so.6 + 0x1bd2e)\n"
        "#2  0x00007f3a1c01c8a1 abort (libc.so.6 + 0x38a1)\n"
        "#3  0x00007f3a1c02d1f3 __assert_fail (libc.so.6 + 0x141f3)\n"
        "#4  0x00007f3a1c2b5a10 queue_pop.constprop.0 (libdemo.so.3 + 0x9a10)\n"
        "#5  0x000055d0e4a1b2c7 worker_main (/usr/bin/demo-svc + 0x32c7)\n"
        "#6  0x00007f3a1c08c2b2 start_thread (libc.so.6 + 0x732b2)\n"
        "#7  0x00007f3a1c10e6cc __clone3 (libc.so.6 + 0xf56cc)\n"
        "\n"
        "Stack trace of thread 4242:\n"
        "#0  0x00007f3a1c1021ad __poll (libc.so.6 + 0xe91ad)\n"
        "#1  0x000055d0e4a1a8f0 main (/usr/bin/demo-svc + 0x28f0)\n"
        "ELF object binary architecture: AMD x86-64\n";

static void parse(struct coredump *c, const char *exe, const char *sig, const char *msg)
{
        *c = (struct coredump) {};
        assert_int_equal(coredump_set_field(c, "COREDUMP_EXE", exe, strlen(exe)), 0);
        assert_int_equal(coredump_set_field(c, "COREDUMP_SIGNAL", sig, strlen(sig)), 0);
        if (msg)
                assert_int_equal(coredump_parse_message(c, msg, strlen(msg)), 0);
        coredump_finish(c, 1000);
}

static void test_parse(void **state)
{
        _cleanup_(coredump_done) struct coredump c = {};
        static const char pid[] = "COREDUMP_PID=4242", ts[] = "COREDUMP_TIMESTAMP=1795773600000000";
        static const char boot[] = "_BOOT_ID=0123", exe[] = "COREDUMP_EXE=/usr/bin/x (deleted)";
        _cleanup_free_ char *id = NULL;
        char msg[sizeof(abort_msg) + 16];

        (void) state;
        snprintf(msg, sizeof(msg), "MESSAGE=%s", abort_msg);
        assert_int_equal(coredump_set_data(&c, pid, strlen(pid)), 0);
        assert_int_equal(coredump_set_data(&c, ts, strlen(ts)), 0);
        assert_int_equal(coredump_set_data(&c, boot, strlen(boot)), 0);
        assert_int_equal(coredump_set_data(&c, exe, strlen(exe)), 0);
        assert_int_equal(coredump_set_field(&c, "COREDUMP_SIGNAL", "6", 1), 0);
        assert_int_equal(coredump_set_data(&c, msg, strlen(msg)), 0);
        coredump_finish(&c, 5);
        assert_int_equal(c.pid, 4242);
        assert_int_equal(c.timestamp, 1795773600000000ULL);
        assert_string_equal(c.exe, "/usr/bin/x");
        assert_string_equal(c.signal_name, "SIGABRT");
        /* the first thread is the crashing one; the second is not mixed in */
        assert_int_equal(c.n_frames, 8);
        assert_string_equal(c.frames[4].function, "queue_pop.constprop.0");
        assert_string_equal(c.frames[4].module, "libdemo.so.3");
        assert_int_equal(c.frames[4].offset, 0x9a10);
        assert_string_equal(c.frames[5].module, "demo-svc");
        id = coredump_identity(&c);
        assert_string_equal(id, "0123:4242:1795773600000000");
        assert_true(coredump_message_id_is(COREDUMP_MESSAGE_ID));
        assert_false(coredump_message_id_is("1f4e0a44a88649939aaea34fc6da8c95"));
}

static void test_parse_tid_and_old_form(void **state)
{
        _cleanup_(coredump_done) struct coredump c = {};
        static const char msg[] = "Stack trace of thread 1:\n"
                                  "#0  0x0000000000401000 one (/bin/a)\n"
                                  "\n"
                                  "Stack trace of thread 2:\n"
                                  "#0  0x0000000000402000 two (/bin/a)\n"
                                  "#1  0x0000000000000000 n/a (n/a + 0x0)\n";

        (void) state;
        assert_int_equal(coredump_set_field(&c, "COREDUMP_TID", "2", 1), 0);
        assert_int_equal(coredump_parse_message(&c, msg, strlen(msg)), 0);
        assert_int_equal(c.n_frames, 2);
        assert_string_equal(c.frames[0].function, "two");
        assert_int_equal(c.frames[0].offset, 0);
        assert_null(c.frames[1].function);
        assert_null(c.frames[1].module);
}

static void test_normalize(void **state)
{
        static const char *const cases[][2] = {
                { "__libc_start_main@@GLIBC_2.34", "__libc_start_main" },
                { "gobble_file.constprop.0", "gobble_file" },
                { "foo.isra.3", "foo" },
                { "bar.cold", "bar" },
                { "__GI_raise", "raise" },
                { "__GI___poll", "__poll" },
                { "__memmove_avx_unaligned_erms", "memmove" },
                { "__strlen_evex", "strlen" },
                /* Rust legacy: the crate hash dropped, then demangled */
                { "_ZN4core6result13unwrap_failed17h0123456789abcdefE",
                  "core::result::unwrap_failed" },
                /* C++: demangled, parameters, qualifiers, ABI tags and clones cut */
                { "_ZN4demo5Queue3popEv", "demo::Queue::pop" },
                { "_ZNK4demo5Queue3popEv", "demo::Queue::pop" },
                { "_ZN4demo5Queue3popEl.constprop.0", "demo::Queue::pop" },
                { "_ZN4demo5QueueIiE3popERKSt6vectorIiSaIiEE", "demo::Queue<int>::pop" },
                { "_Z7processIiEvT_", "process<int>" },
                { "_ZN4demo4nameB5cxx11Ev", "demo::name" },
                { "_ZN4demo5QueueclEi", "demo::Queue::operator()" },
                { "_ZN12_GLOBAL__N_16workerEv", "(anonymous namespace)::worker" },
                { "_ZSt9terminatev", "std::terminate" },
                { "_Znot_a_cxx_name", "_Znot_a_cxx_name" },
                { "segment_store_read", "segment_store_read" },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *n = coredump_normalize_function(cases[i][0]);

                assert_string_equal(n, cases[i][1]);
        }
        assert_true(coredump_function_is_crash_machinery("abort"));
        assert_true(coredump_function_is_crash_machinery("__memcpy_chk"));
        assert_true(coredump_function_is_crash_machinery("g_assertion_message_expr"));
        assert_false(coredump_function_is_crash_machinery("segment_store_read"));
        assert_true(coredump_function_is_crash_machinery("std::terminate"));
        assert_true(coredump_function_is_crash_machinery("__gnu_cxx::__verbose_terminate_handler"));
}

/* C++ frames: demangled for people (with their parameters), normalised for signatures. */
static void test_demangle(void **state)
{
        static const char cxx_msg[] =
                "Process 77 (cxx-svc) of user 0 dumped core.\n"
                "\n"
                "Stack trace of thread 77:\n"
                "#0  0x00007f3a1c08e3f4 __pthread_kill_implementation (libc.so.6 + 0x753f4)\n"
                "#1  0x00007f3a1c034d2e raise (libc.so.6 + 0x1bd2e)\n"
                "#2  0x00007f3a1c01c8a1 abort (libc.so.6 + 0x38a1)\n"
                "#3  0x00007f3a1c2ae0aa _ZN9__gnu_cxx27__verbose_terminate_handlerEv "
                "(libstdc++.so.6 + 0xa20aa)\n"
                "#4  0x00007f3a1c2b5a10 _ZSt9terminatev (libstdc++.so.6 + 0xad0fc)\n"
                "#5  0x000055d0e4a1b2c7 _ZNK4demo5Queue3popERKSt6vectorIiSaIiEE "
                "(/usr/bin/cxx-svc + 0x32c7)\n"
                "#6  0x000055d0e4a1b400 _ZN4demo6workerEPv@@DEMO_1.0 (/usr/bin/cxx-svc + 0x3400)\n"
                "#7  0x00007f3a1c08c2b2 start_thread (libc.so.6 + 0x732b2)\n";
        _cleanup_(coredump_done) struct coredump c = {};
        _cleanup_(coredump_signature_done) struct coredump_signature sig = {};
        _cleanup_free_ char *d = coredump_demangle("_ZN4demo5Queue3popEv@@DEMO_1.0");

        (void) state;
        assert_string_equal(d, "demo::Queue::pop()");
        assert_null(coredump_demangle("worker_main"));
        assert_null(coredump_demangle("_Znot_a_cxx_name"));
        parse(&c, "/usr/bin/cxx-svc", "6", cxx_msg);
        assert_int_equal(c.n_frames, 8);
        assert_string_equal(c.frames[5].function, "_ZNK4demo5Queue3popERKSt6vectorIiSaIiEE");
        assert_string_equal(coredump_frame_name(&c.frames[5]),
                            "demo::Queue::pop(std::vector<int, std::allocator<int> > const&) const");
        assert_string_equal(coredump_frame_name(&c.frames[6]), "demo::worker(void*)");
        assert_string_equal(coredump_frame_name(&c.frames[1]), "raise");
        assert_null(c.frames[1].demangled);
        assert_int_equal(coredump_signature(&c, &sig), 0);
        /* the terminate machinery skipped like abort's */
        assert_int_equal(sig.kind, COREDUMP_SIGNATURE_SYMBOLIC);
        assert_string_equal(sig.keys[0], "demo::Queue::pop");
        assert_string_equal(sig.keys[1], "demo::worker");
        assert_string_equal(sig.title, "SIGABRT in demo::Queue::pop");
}

static void test_signature_symbolic(void **state)
{
        _cleanup_(coredump_done) struct coredump a = {}, b = {}, c = {};
        _cleanup_(coredump_signature_done) struct coredump_signature sa = {}, sb = {}, sc = {};
        char other[sizeof(abort_msg) + 64];

        (void) state;
        parse(&a, "/usr/bin/demo-svc", "6", abort_msg);
        assert_int_equal(coredump_signature(&a, &sa), 0);
        assert_int_equal(sa.kind, COREDUMP_SIGNATURE_SYMBOLIC);
        /* raise/abort/__assert_fail skipped, clone suffix gone, start_thread cut */
        assert_int_equal(sa.n_keys, 2);
        assert_string_equal(sa.keys[0], "queue_pop");
        assert_string_equal(sa.keys[1], "worker_main");
        assert_string_equal(sa.title, "SIGABRT in queue_pop");
        assert_string_equal(sa.text, "v1\n/usr/bin/demo-svc\nSIGABRT\nqueue_pop\nworker_main\n");
        assert_int_equal(strlen(sa.hash), 64);

        /* the same stack at other addresses (another pid, ASLR): the same problem */
        snprintf(other, sizeof(other), "%s", abort_msg);
        memcpy(strstr(other, "0x000055d0e4a1b2c7"), "0x000055aaaaaab2c7", 18);
        parse(&b, "/usr/bin/demo-svc", "6", other);
        assert_int_equal(coredump_signature(&b, &sb), 0);
        assert_string_equal(sa.hash, sb.hash);

        /* a different function: a different problem */
        snprintf(other, sizeof(other), "%s", abort_msg);
        memcpy(strstr(other, "worker_main"), "reader_main", 11);
        parse(&c, "/usr/bin/demo-svc", "6", other);
        assert_int_equal(coredump_signature(&c, &sc), 0);
        assert_string_not_equal(sa.hash, sc.hash);
}

static void test_signature_fallbacks(void **state)
{
        _cleanup_(coredump_done) struct coredump a = {}, b = {}, m = {};
        _cleanup_(coredump_signature_done) struct coredump_signature sa = {}, sb = {}, sm = {};
        static const char stripped[] = "Stack trace of thread 7:\n"
                                       "#0  0x00007f3a1c2d3e4f n/a (libc.so.6 + 0x8e4f)\n"
                                       "#1  0x000055d0c0ffee00 n/a (/usr/bin/app + 0x1200)\n"
                                       "#2  0x000055d0c0ffef00 n/a (/usr/bin/app + 0x1300)\n";
        static const char recursion[] = "Stack trace of thread 7:\n"
                                        "#0  0x1 walk (/usr/bin/app + 0x10)\n"
                                        "#1  0x2 walk (/usr/bin/app + 0x20)\n"
                                        "#2  0x3 walk (/usr/bin/app + 0x20)\n"
                                        "#3  0x4 main (/usr/bin/app + 0x30)\n";

        (void) state;
        parse(&a, "/usr/bin/app", "11", stripped);
        assert_int_equal(coredump_signature(&a, &sa), 0);
        assert_int_equal(sa.kind, COREDUMP_SIGNATURE_ADDRESS);
        assert_string_equal(sa.keys[0], "libc.so.6+0x8e4f");
        assert_string_equal(sa.keys[1], "app+0x1200");
        assert_string_equal(sa.title, "SIGSEGV at libc.so.6+0x8e4f");

        parse(&m, "/usr/bin/app", "11", NULL);
        assert_int_equal(coredump_signature(&m, &sm), 0);
        assert_int_equal(sm.kind, COREDUMP_SIGNATURE_MINIMAL);
        assert_string_equal(sm.text, "v1\n/usr/bin/app\nSIGSEGV\n");
        assert_string_not_equal(sm.hash, sa.hash);

        /* recursion collapses to one key */
        parse(&b, "/usr/bin/app", "11", recursion);
        assert_int_equal(coredump_signature(&b, &sb), 0);
        assert_int_equal(sb.n_keys, 2);
        assert_string_equal(sb.keys[0], "walk");
        assert_string_equal(sb.keys[1], "main");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_parse_tid_and_old_form),
                cmocka_unit_test(test_normalize),
                cmocka_unit_test(test_demangle),
                cmocka_unit_test(test_signature_symbolic),
                cmocka_unit_test(test_signature_fallbacks),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
