/* SPDX-License-Identifier: MIT */
/*
 * The terminal prompt for missing checklist items (see prompt.h).
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc-util.h"
#include "analysis/checklist.h"
#include "dynbuf.h"
#include "finding.h"
#include "macro.h"
#include "strv.h"
#include "cli/prompt.h"
#include "analysis/report.h"
#include "analysis/severity.h"

/* Sources with most error lines shown in the evidence. */
#define TOP_ERROR_SOURCES 3

enum answer {
        ANSWER_TEXT,
        ANSWER_EMPTY,
        ANSWER_EOF,
        ANSWER_ABORT,
};

/* Reads one line into *ret (trimmed, at most PROMPT_ANSWER_MAX bytes). */
static int read_answer(FILE *in, char **ret)
{
        _cleanup_free_ char *line = NULL;
        size_t alloc = 0;
        ssize_t n;
        char *start, *end;

        *ret = NULL;
        n = getline(&line, &alloc, in);
        if (n < 0)
                return feof(in) || !ferror(in) ? ANSWER_EOF : -EIO;
        if ((size_t) n > PROMPT_ANSWER_MAX)
                line[PROMPT_ANSWER_MAX] = '\0';

        start = line;
        while (*start == ' ' || *start == '\t')
                start++;
        end = start + strlen(start);
        while (end > start &&
               (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        *end = '\0';

        if (*start == '\0')
                return ANSWER_EMPTY;
        if (strcasecmp(start, "abort") == 0)
                return ANSWER_ABORT;
        *ret = xstrdup(start);
        if (!*ret)
                return -ENOMEM;
        return ANSWER_TEXT;
}

#define STEPS_LINES_MAX 100

/* Several lines until an empty line, a line with only ".", or end of file. */
static int read_lines(FILE *in, char **ret)
{
        _cleanup_(dynbuf_donep) struct dynbuf b = {};
        int k = ANSWER_EMPTY;

        *ret = NULL;
        dynbuf_init(&b, PROMPT_ANSWER_MAX);
        for (unsigned n = 0; n < STEPS_LINES_MAX; n++) {
                _cleanup_free_ char *line = NULL;

                k = read_answer(in, &line);
                if (k < 0 || k == ANSWER_ABORT)
                        return k;
                if (k != ANSWER_TEXT || streq(line, "."))
                        break;
                if ((b.len > 0 && dynbuf_addc(&b, '\n') < 0) || dynbuf_addstr(&b, line) < 0)
                        break; /* the answer is long enough */
        }
        if (b.len == 0)
                return k == ANSWER_EOF ? ANSWER_EOF : ANSWER_EMPTY;
        *ret = dynbuf_steal(&b);
        return *ret ? ANSWER_TEXT : -ENOMEM;
}

static bool is_kind(const struct finding *f, enum finding_kind a, enum finding_kind b)
{
        return f->kind == a || f->kind == b;
}

int prompt_evidence(const struct report *r, size_t max_lines, char **ret)
{
        const struct finding *top[TOP_ERROR_SOURCES] = {};
        struct dynbuf b;
        size_t lines = 0;
        char *s;

        dynbuf_init(&b, 64 * 1024);

        /* Failures and crashes first, then resource exhaustion, in finding order. */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < r->n_findings && lines < max_lines; i++) {
                        const struct finding *f = &r->findings[i];
                        _cleanup_free_ char *d = NULL;
                        bool want;

                        if (pass == 0)
                                want = is_kind(f, FINDING_UNIT_FAILED, FINDING_UNIT_DOWN) ||
                                       is_kind(f, FINDING_CRASH, FINDING_SEGFAULT) ||
                                       (f->kind == FINDING_UNIT_RESTARTS && f->count > 0);
                        else
                                want = is_kind(f, FINDING_OOM_KILL, FINDING_DISK_FULL) ||
                                       is_kind(f, FINDING_INODES_FULL, FINDING_ERROR_SURGE) ||
                                       f->kind == FINDING_KERNEL_ERROR ||
                                       (f->kind == FINDING_CONFIG_CHANGES && f->count > 0);
                        if (!want)
                                continue;
                        d = severity_describe_finding(f);
                        if (!d) {
                                dynbuf_done(&b);
                                return -ENOMEM;
                        }
                        (void) dynbuf_addf(&b, "  - %s\n", d);
                        lines++;
                }

        /* The sources with most error lines. */
        for (size_t i = 0; i < r->n_findings; i++) {
                const struct finding *f = &r->findings[i];

                if (f->kind != FINDING_ERRORS || f->count == 0)
                        continue;
                for (size_t j = 0; j < TOP_ERROR_SOURCES; j++) {
                        if (top[j] && top[j]->count >= f->count)
                                continue;
                        memmove(&top[j + 1], &top[j], (TOP_ERROR_SOURCES - j - 1) * sizeof(top[0]));
                        top[j] = f;
                        break;
                }
        }
        for (size_t j = 0; j < TOP_ERROR_SOURCES && top[j] && lines < max_lines; j++) {
                _cleanup_free_ char *d = severity_describe_finding(top[j]);

                if (!d) {
                        dynbuf_done(&b);
                        return -ENOMEM;
                }
                (void) dynbuf_addf(&b, "  - %s\n", d);
                lines++;
        }

        s = dynbuf_steal(&b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static const char *question_text(enum checklist_item item)
{
        switch (item) {
        case CHECKLIST_ENVIRONMENT:
                return "Environment (production, staging, …)";
        case CHECKLIST_PRODUCT:
                return "Product or service affected";
        case CHECKLIST_STEPS:
                return "Steps to reproduce (or \"not reproducible\"; several lines, end with an "
                       "empty line or \".\")";
        case CHECKLIST_IMPACT:
                return "Impact (who or what is affected, and how badly)";
        default:
                return NULL;
        }
}

static void store(struct user_input *u, enum checklist_item item, char *value)
{
        char **field;
        enum input_source *src;

        switch (item) {
        case CHECKLIST_ENVIRONMENT:
                field = &u->environment;
                src = &u->environment_source;
                break;
        case CHECKLIST_PRODUCT:
                field = &u->product;
                src = &u->product_source;
                break;
        case CHECKLIST_STEPS:
                field = &u->steps;
                src = &u->steps_source;
                break;
        case CHECKLIST_IMPACT:
                field = &u->impact;
                src = &u->impact_source;
                break;
        default:
                free(value);
                return;
        }
        free(*field);
        *field = value;
        *src = INPUT_PROMPT;
}

static bool wants(const struct checklist_result *c, enum checklist_item i)
{
        const struct checklist_entry *e = &c->items[i];

        return e->required && e->status == CHECKLIST_MISSING && checklist_item_person_supplied(i);
}

/* Whether a viable workaround exists: 1 answered, 0 skipped, -ECANCELED, -errno. */
static int ask_workaround_question(FILE *in, FILE *out, struct user_input *u)
{
        for (int attempt = 0; attempt < 3; attempt++) {
                _cleanup_free_ char *answer = NULL;
                int k;

                fputs("Is there a viable workaround? [y/n, Enter: don't know]: ", out);
                fflush(out);
                k = read_answer(in, &answer);
                if (k < 0)
                        return k;
                if (k == ANSWER_ABORT)
                        return -ECANCELED;
                if (k == ANSWER_EOF) {
                        fputc('\n', out);
                        return 0;
                }
                if (k == ANSWER_EMPTY)
                        return 0;
                if (strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0) {
                        u->workaround = TRISTATE_YES;
                } else if (strcasecmp(answer, "n") == 0 || strcasecmp(answer, "no") == 0 ||
                           strcasecmp(answer, "none") == 0) {
                        u->workaround = TRISTATE_NO;
                } else {
                        fputs("Please answer y or n.\n", out);
                        continue;
                }
                u->workaround_source = INPUT_PROMPT;
                return 1;
        }
        return 0;
}

int prompt_missing(FILE *in, FILE *out, const struct report *r, const struct checklist_result *c,
                   const struct severity_result *s, struct user_input *u)
{
        _cleanup_free_ char *evidence = NULL;
        bool ask_workaround = u->workaround == TRISTATE_UNKNOWN && u->type != REQUEST_QUESTION;
        size_t n_questions = 0;
        unsigned eofs = 0;
        int answered = 0, k;

        for (int i = 0; i < _CHECKLIST_ITEM_MAX; i++)
                if (wants(c, (enum checklist_item) i))
                        n_questions++;
        if (n_questions == 0 && !ask_workaround)
                return 0;

        k = prompt_evidence(r, 8, &evidence);
        if (k < 0)
                return k;
        if (!isempty(evidence))
                fprintf(out, "Found on this host:\n%s", evidence);
        else
                fputs("Found on this host: no failed units, crashes or errors in the window.\n",
                      out);
        if (s) {
                /* the evidence-based suggestion, with every reason */
                fprintf(out, "Suggested severity from the evidence: %s\n",
                        severity_to_string(s->suggested) ?: "?");
                STRV_FOREACH(reason, s->reasons)
                        fprintf(out, "  - %s\n", *reason);
        }
        if (n_questions > 0)
                fprintf(out,
                        "\nThe support team needs %zu more item%s. Press Enter or Ctrl-D to "
                        "skip a question (what you typed is kept), type \"abort\" to "
                        "cancel.\n",
                        n_questions, n_questions == 1 ? "" : "s");

        for (int i = 0; i < _CHECKLIST_ITEM_MAX; i++) {
                enum checklist_item item = (enum checklist_item) i;
                char *answer = NULL;

                if (!wants(c, item))
                        continue;
                fprintf(out, "%s:%s", question_text(item), item == CHECKLIST_STEPS ? "\n" : " ");
                fflush(out);
                k = item == CHECKLIST_STEPS ? read_lines(in, &answer) : read_answer(in, &answer);
                if (k < 0)
                        return k;
                if (k == ANSWER_ABORT)
                        return -ECANCELED;
                if (k == ANSWER_EOF) {
                        /* Ctrl-D skips this question only; twice in a row: the input is closed */
                        fputc('\n', out);
                        if (eofs++ > 0)
                                return answered;
                        clearerr(in);
                        continue;
                }
                eofs = 0;
                if (k == ANSWER_TEXT) {
                        store(u, item, answer);
                        answered++;
                }
        }

        if (ask_workaround && eofs < 2) {
                k = ask_workaround_question(in, out, u);
                if (k < 0)
                        return k;
                answered += k;
        }

        return answered;
}

enum prompt_choice prompt_incomplete(FILE *in, FILE *out, const struct checklist_result *c)
{
        _cleanup_free_ char *missing = NULL;

        if (checklist_missing_text(c, &missing) < 0)
                return PROMPT_CANCEL;
        fprintf(out, "\nStill missing:\n%s", missing ?: "");
        for (int attempt = 0; attempt < 3; attempt++) {
                _cleanup_free_ char *answer = NULL;
                int k;

                fputs("File the request with what was given [f], save a draft to file later "
                      "[d, the default], or cancel [c]? ",
                      out);
                fflush(out);
                k = read_answer(in, &answer);
                if (k < 0 || k == ANSWER_ABORT)
                        return PROMPT_CANCEL;
                if (k == ANSWER_EOF || k == ANSWER_EMPTY) {
                        fputc('\n', out);
                        return PROMPT_DRAFT;
                }
                if (strchr("fF", answer[0]))
                        return PROMPT_FILE;
                if (strchr("dD", answer[0]))
                        return PROMPT_DRAFT;
                if (strchr("cC", answer[0]))
                        return PROMPT_CANCEL;
                fputs("Please answer f, d or c.\n", out);
        }
        return PROMPT_DRAFT;
}
