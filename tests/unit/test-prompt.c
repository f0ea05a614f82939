/* SPDX-License-Identifier: MIT */
/*
 * The prompt for missing checklist items: answers are fed through
 * fmemopen() and a pipe, the questions and the evidence are read back from
 * open_memstream(). Only the missing required items are asked; empty
 * answers and end of file leave items missing; "abort" cancels.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc-util.h"
#include "analysis/checklist.h"
#include "cli/prompt.h"
#include "analysis/report.h"
#include "analysis/severity.h"
#include "strv.h"

#define MIN_ (60 * USEC_PER_SEC)
#define T0 ((usec_t) 1764000000 * USEC_PER_SEC)

static void add_status(struct report *r, const char *name, enum collector_result res)
{
        struct collector_status *a = realloc(r->statuses, sizeof(*a) * (r->n_statuses + 1));

        assert_non_null(a);
        r->statuses = a;
        a[r->n_statuses++] = (struct collector_status) { .name = strdup(name), .result = res };
}

static void add_finding(struct report *r, enum finding_kind k, const char *subject, uint64_t count,
                        usec_t first, usec_t last)
{
        struct finding f = {
                .kind = k, .subject = subject, .count = count, .first = first, .last = last
        };

        assert_int_equal(report_add_finding(r, &f), 0);
}

/* A report with evidence, collectors run, nothing stated. */
static void base_report(struct report *r)
{
        *r = (struct report) {};
        r->input.workaround = TRISTATE_UNKNOWN;
        r->input.selected = _SEVERITY_INVALID;
        assert_int_equal(strv_extend(&r->input.critical_units, "app.service"), 0);
        add_status(r, "journal", COLLECTOR_OK);
        add_status(r, "config", COLLECTOR_OK);
        add_finding(r, FINDING_ERRORS, "nginx.service", 12, 0, 0);
        add_finding(r, FINDING_UNIT_FAILED, "app.service", 5, T0, T0 + 10 * MIN_);
        add_finding(r, FINDING_ERRORS, "app.service", 240, 0, 0);
        add_finding(r, FINDING_DISK_FULL, "/var", 97, 0, 0);
        add_finding(r, FINDING_ERRORS, "cron.service", 1, 0, 0);
        add_finding(r, FINDING_ERRORS, "sshd.service", 3, 0, 0);
}

struct run {
        int r;
        char *out;
};

static struct run run_prompt(struct report *r, const char *answers, bool with_severity)
{
        struct checklist_result c;
        struct severity_result s;
        struct run res = {};
        size_t out_len = 0;
        FILE *in, *out;

        assert_int_equal(checklist_evaluate(NULL, r, &c, NULL), 0);
        assert_int_equal(severity_suggest(NULL, r, &s), 0);
        /* fmemopen of an empty buffer is EOF at once. */
        in = fmemopen((void *) answers, strlen(answers) + (answers[0] ? 0 : 1), "re");
        assert_non_null(in);
        if (!answers[0])
                (void) fgetc(in);
        out = open_memstream(&res.out, &out_len);
        assert_non_null(out);
        res.r = prompt_missing(in, out, r, &c, with_severity ? &s : NULL, &r->input);
        fclose(in);
        fclose(out);
        severity_result_done(&s);
        checklist_result_done(&c);
        return res;
}

static void test_all_answered(void **state)
{
        struct checklist_result c;
        struct report r;
        struct run x;
        const char *q1, *q2, *q3, *q4, *q5;

        (void) state;
        base_report(&r);
        x = run_prompt(&r,
                       "production\nPayments API\n  click Pay twice  \nthen reload\n.\n"
                       "all customers cannot pay\nn\n",
                       true);
        assert_int_equal(x.r, 5);
        assert_string_equal(r.input.environment, "production");
        assert_int_equal(r.input.environment_source, INPUT_PROMPT);
        assert_string_equal(r.input.product, "Payments API");
        assert_int_equal(r.input.product_source, INPUT_PROMPT);
        /* the steps span lines, ended by "." */
        assert_string_equal(r.input.steps, "click Pay twice\nthen reload");
        assert_int_equal(r.input.steps_source, INPUT_PROMPT);
        assert_string_equal(r.input.impact, "all customers cannot pay");
        assert_int_equal(r.input.impact_source, INPUT_PROMPT);
        assert_int_equal(r.input.workaround, TRISTATE_NO);
        assert_int_equal(r.input.workaround_source, INPUT_PROMPT);

        /* Evidence first: the failed unit, the full disk, the top error sources in order. */
        assert_non_null(strstr(x.out, "Found on this host:\n"
                                      "  - app.service failed 5 times in 10 minutes\n"
                                      "  - file system /var is 97% full\n"
                                      "  - 240 error lines from app.service\n"
                                      "  - 12 error lines from nginx.service\n"
                                      "  - 3 error lines from sshd.service\n"));
        assert_null(strstr(x.out, "cron.service"));
        /* the evidence-based suggestion with every reason */
        assert_non_null(strstr(x.out, "Suggested severity from the evidence: P3\n  - "));
        assert_non_null(strstr(x.out, "needs 4 more items"));
        q1 = strstr(x.out, "Environment (production, staging, …): ");
        q2 = strstr(x.out, "Product or service affected: ");
        q3 = strstr(x.out, "Steps to reproduce");
        q4 = strstr(x.out, "Impact (who or what is affected, and how badly): ");
        q5 = strstr(x.out, "Is there a viable workaround? [y/n, Enter: don't know]: ");
        assert_true(q1 && q2 && q3 && q4 && q5);
        assert_true(q1 < q2 && q2 < q3 && q3 < q4 && q4 < q5);
        free(x.out);

        /* Re-evaluated: complete, and the severity now sees production, no workaround. */
        assert_int_equal(checklist_evaluate(NULL, &r, &c, NULL), 0);
        assert_int_equal(checklist_n_missing(&c), 0);
        assert_string_equal(c.items[CHECKLIST_IMPACT].detail,
                            "\"all customers cannot pay\" (answered at the prompt)");
        checklist_result_done(&c);
        {
                struct severity_result s;

                assert_int_equal(severity_suggest(NULL, &r, &s), 0);
                assert_int_equal(s.suggested, SEVERITY_P1);
                severity_result_done(&s);
        }
        report_done(&r);
}

static void test_skips(void **state)
{
        struct report r;
        struct run x;

        (void) state;
        base_report(&r);
        x = run_prompt(&r, "\n\nreboot, then curl /health\n\n\n", false);
        assert_int_equal(x.r, 1);
        assert_null(r.input.environment);
        assert_null(r.input.product);
        assert_string_equal(r.input.steps, "reboot, then curl /health");
        assert_null(r.input.impact);
        assert_int_equal(r.input.workaround, TRISTATE_UNKNOWN);
        assert_null(strstr(x.out, "Suggested severity"));
        free(x.out);
        report_done(&r);
}

static void test_eof_skips_rest(void **state)
{
        struct report r;
        struct run x;

        (void) state;
        base_report(&r);
        x = run_prompt(&r, "staging", false); /* no newline, then EOF */
        assert_int_equal(x.r, 1);
        assert_string_equal(r.input.environment, "staging");
        assert_null(r.input.product);
        assert_null(r.input.steps);
        assert_int_equal(r.input.workaround, TRISTATE_UNKNOWN);
        free(x.out);
        report_done(&r);

        base_report(&r);
        x = run_prompt(&r, "", false);
        assert_int_equal(x.r, 0);
        assert_null(r.input.environment);
        free(x.out);
        report_done(&r);
}

static void test_abort(void **state)
{
        struct report r;
        struct run x;

        (void) state;
        base_report(&r);
        x = run_prompt(&r, "production\nABORT\nsteps\n", false);
        assert_int_equal(x.r, -ECANCELED);
        assert_string_equal(r.input.environment, "production");
        assert_null(r.input.product);
        assert_null(r.input.steps);
        free(x.out);
        report_done(&r);
}

static void test_only_missing_asked(void **state)
{
        struct report r;
        struct run x;

        (void) state;
        base_report(&r);
        r.input.environment = strdup("production");
        r.input.environment_source = INPUT_CONFIG;
        r.input.product = strdup("Payments API");
        r.input.product_source = INPUT_CLI;
        r.input.steps = strdup("x");
        r.input.steps_source = INPUT_CLI;
        x = run_prompt(&r, "checkout down\nmaybe\ny\n", true);
        assert_int_equal(x.r, 2);
        assert_null(strstr(x.out, "Environment"));
        assert_null(strstr(x.out, "Product"));
        assert_null(strstr(x.out, "Steps"));
        assert_non_null(strstr(x.out, "needs 1 more item."));
        assert_non_null(strstr(x.out, "Please answer y or n.\n"));
        assert_string_equal(r.input.impact, "checkout down");
        assert_string_equal(r.input.product, "Payments API");
        assert_int_equal(r.input.product_source, INPUT_CLI);
        assert_int_equal(r.input.workaround, TRISTATE_YES);
        free(x.out);

        /* Nothing left to ask: no output at all. */
        x = run_prompt(&r, "unused\n", true);
        assert_int_equal(x.r, 0);
        assert_string_equal(x.out, "");
        free(x.out);
        report_done(&r);
}

static void test_question_no_workaround_asked(void **state)
{
        struct report r;
        struct run x;

        (void) state;
        base_report(&r);
        r.input.type = REQUEST_QUESTION;
        x = run_prompt(&r, "staging\nIngress\n", false);
        assert_int_equal(x.r, 2);
        assert_null(strstr(x.out, "workaround"));
        assert_null(strstr(x.out, "Steps"));
        assert_null(strstr(x.out, "Impact"));
        free(x.out);
        report_done(&r);
}

static void test_pipe_and_long_line(void **state)
{
        struct checklist_result c;
        struct report r;
        int fds[2];
        FILE *in, *out;
        char *buf = NULL;
        size_t len = 0;
        _cleanup_free_ char *longline = malloc(PROMPT_ANSWER_MAX + 100);

        (void) state;
        assert_non_null(longline);
        memset(longline, 'x', PROMPT_ANSWER_MAX + 50);
        longline[PROMPT_ANSWER_MAX + 50] = '\0';

        base_report(&r);
        r.input.environment = strdup("production");
        r.input.environment_source = INPUT_CONFIG;
        r.input.product = strdup("P");
        r.input.product_source = INPUT_CONFIG;
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        /* Small enough for the pipe buffer, written before reading. */
        assert_true(write(fds[1], "s\n\n", 3) == 3);
        assert_true(write(fds[1], longline, 1000) == 1000);
        assert_true(write(fds[1], "\n", 1) == 1);
        close(fds[1]);
        in = fdopen(fds[0], "re");
        assert_non_null(in);
        out = open_memstream(&buf, &len);
        assert_int_equal(checklist_evaluate(NULL, &r, &c, NULL), 0);
        assert_int_equal(prompt_missing(in, out, &r, &c, NULL, &r.input), 2);
        fclose(in);
        fclose(out);
        assert_string_equal(r.input.steps, "s");
        assert_int_equal(strlen(r.input.impact), 1000);
        free(buf);
        checklist_result_done(&c);
        report_done(&r);

        /* A line longer than the cap is cut. */
        {
                FILE *f = fmemopen(longline, strlen(longline), "re");
                struct report r2;

                base_report(&r2);
                r2.input.environment = strdup("production");
                r2.input.environment_source = INPUT_CONFIG;
                r2.input.product = strdup("P");
                r2.input.product_source = INPUT_CONFIG;
                r2.input.steps = strdup("s");
                r2.input.steps_source = INPUT_CLI;
                out = open_memstream(&buf, &len);
                assert_int_equal(checklist_evaluate(NULL, &r2, &c, NULL), 0);
                assert_int_equal(prompt_missing(f, out, &r2, &c, NULL, &r2.input), 1);
                fclose(f);
                fclose(out);
                free(buf);
                assert_int_equal(strlen(r2.input.impact), PROMPT_ANSWER_MAX);
                checklist_result_done(&c);
                report_done(&r2);
        }
}

/* A terminal's Ctrl-D: read() returns 0 once at '\\004', later reads go on. */
struct tty_like {
        const char *data;
        size_t pos;
};

static ssize_t tty_read(void *cookie, char *buf, size_t size)
{
        struct tty_like *t = cookie;
        size_t n = 0;

        if (t->data[t->pos] == '\004') {
                t->pos++;
                return 0;
        }
        while (n < size && t->data[t->pos] && t->data[t->pos] != '\004') {
                buf[n++] = t->data[t->pos++];
                if (buf[n - 1] == '\n')
                        break;
        }
        return (ssize_t) n;
}

static void test_ctrl_d_skips_one(void **state)
{
        struct tty_like t = { .data = "production\n\004first step\nsecond step\n\n\004n\n" };
        struct checklist_result c;
        struct report r;
        char *buf = NULL;
        size_t len = 0;
        FILE *in, *out;

        (void) state;
        base_report(&r);
        in = fopencookie(&t, "r", (cookie_io_functions_t) { .read = tty_read });
        out = open_memstream(&buf, &len);
        assert_non_null(in);
        assert_int_equal(checklist_evaluate(NULL, &r, &c, NULL), 0);
        /* environment, (product: Ctrl-D), steps over two lines, (impact: Ctrl-D), workaround */
        assert_int_equal(prompt_missing(in, out, &r, &c, NULL, &r.input), 3);
        assert_string_equal(r.input.environment, "production");
        assert_null(r.input.product);
        assert_string_equal(r.input.steps, "first step\nsecond step");
        assert_null(r.input.impact);
        assert_int_equal(r.input.workaround, TRISTATE_NO);
        checklist_result_done(&c);

        /* still incomplete: the person chooses; end of file keeps a draft */
        assert_int_equal(checklist_evaluate(NULL, &r, &c, NULL), 0);
        {
                static const struct {
                        const char *in;
                        enum prompt_choice want;
                } cases[] = {
                        { "f\n", PROMPT_FILE },
                        { "c\n", PROMPT_CANCEL },
                        { "x\nd\n", PROMPT_DRAFT },
                        { "\n", PROMPT_DRAFT },
                };

                for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                        FILE *f = fmemopen((void *) cases[i].in, strlen(cases[i].in), "re");

                        assert_int_equal(prompt_incomplete(f, out, &c), cases[i].want);
                        fclose(f);
                }
        }
        fclose(in);
        fclose(out);
        assert_non_null(strstr(buf, "Still missing:"));
        free(buf);
        checklist_result_done(&c);
        report_done(&r);
}

static void test_evidence_limits(void **state)
{
        struct report r;
        _cleanup_free_ char *e = NULL, *none = NULL;
        struct report empty = {};

        (void) state;
        base_report(&r);
        assert_int_equal(prompt_evidence(&r, 2, &e), 0);
        assert_string_equal(e, "  - app.service failed 5 times in 10 minutes\n"
                               "  - file system /var is 97% full\n");
        assert_int_equal(prompt_evidence(&empty, 8, &none), 0);
        assert_string_equal(none, "");
        report_done(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_all_answered),
                cmocka_unit_test(test_skips),
                cmocka_unit_test(test_eof_skips_rest),
                cmocka_unit_test(test_abort),
                cmocka_unit_test(test_only_missing_asked),
                cmocka_unit_test(test_question_no_workaround_asked),
                cmocka_unit_test(test_pipe_and_long_line),
                cmocka_unit_test(test_ctrl_d_skips_one),
                cmocka_unit_test(test_evidence_limits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
