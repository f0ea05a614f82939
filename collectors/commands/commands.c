/* SPDX-License-Identifier: MIT */
/*
 * The "commands" collector: diagnostic commands from the policy's `commands:`
 * list ({name, argv, timeout, live_only}), a list of records in its option
 * table, each run through sink_add_command(): no shell, a clean environment,
 * stdin closed, an output cap and a deadline. Commands that only make sense
 * on the live system are skipped under --root.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "alloc-util.h"
#include "collect-ctx.h"
#include "collector.h"
#include "sink.h"
#include "strv.h"
#include "time-util.h"

#define COMMAND_NAME_MAX 64
#define COMMAND_TIMEOUT_MAX (10 * USEC_PER_MINUTE)

struct command_spec {
        char *name;
        char **argv;
        usec_t timeout;
        bool live_only;
};

struct commands_state {
        struct option_records commands; /* of struct command_spec */
};

static bool valid_name(const char *s)
{
        static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
                                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";

        return !isempty(s) && strlen(s) <= COMMAND_NAME_MAX && strspn(s, allowed) == strlen(s);
}

/* The checks the field types do not express, each naming the key at fault. */
static int command_check(const void *record, const char **ret_key, char **ret_why)
{
        const struct command_spec *c = record;

        if (!valid_name(c->name)) {
                *ret_key = "name";
                *ret_why = xasprintf("command name '%s' must be letters, digits, '-', '_' or "
                                     "'.' (at most %d)",
                                     c->name, COMMAND_NAME_MAX);
        } else if (strv_length(c->argv) == 0) {
                *ret_key = "argv";
                *ret_why = xstrdup("'argv' is empty");
        } else if (c->timeout == 0 || c->timeout > COMMAND_TIMEOUT_MAX) {
                *ret_key = "timeout";
                *ret_why = xstrdup("'timeout' must be between 1ms and 10m");
        } else
                return 0;
        return *ret_why ? -EINVAL : -ENOMEM;
}

static void run_one(const struct command_spec *c, struct sink *sink)
{
        int status = 0, r;

        r = sink_add_command(sink, c->name, c->argv, c->timeout, &status);
        if (r == -ETIMEDOUT) {
                sink_note(sink, "%s killed at its %llums deadline", c->name,
                          (unsigned long long) (c->timeout / USEC_PER_MSEC));
                sink_mark_partial(sink);
        } else if (r == -ENOENT) {
                sink_note(sink, "%s skipped: '%s' is not installed", c->name, c->argv[0]);
        } else if (r < 0) {
                sink_note(sink, "%s failed: %s", c->name, strerror(-r));
                sink_mark_partial(sink);
        }
}

static int commands_collect(void *state, struct collect_ctx *ctx, struct sink *sink)
{
        const struct commands_state *s = state;
        unsigned skipped = 0;

        for (size_t i = 0; i < s->commands.n; i++) {
                const struct command_spec *c = OPTION_RECORD(&s->commands, i,
                                                             sizeof(struct command_spec));

                if (c->live_only && !ctx_is_live(ctx)) {
                        skipped++;
                        continue;
                }
                if (ctx_expired(ctx)) {
                        sink_note(sink, "%s not run: collector deadline reached", c->name);
                        sink_mark_partial(sink);
                        continue;
                }
                run_one(c, sink);
        }
        if (skipped)
                sink_note(sink, "%u live-only commands skipped: root is not /", skipped);
        return 0;
}

static int commands_probe(void *state, struct collect_ctx *ctx, struct sink *sink)
{
        const struct commands_state *s = state;

        (void) ctx;
        if (s->commands.n == 0) {
                sink_note(sink, "no commands in the policy");
                return 0;
        }
        return 1;
}

static const struct collector_ops commands_ops = {
        .probe = commands_probe,
        .collect = commands_collect,
};

static const struct collector_option command_fields[] = {
        { "name", OPTION_STRING, NULL, offsetof(struct command_spec, name),
          "member commands/<name>.txt; letters, digits, '-', '_', '.'" },
        { "argv", OPTION_STRV, NULL, offsetof(struct command_spec, argv),
          "the program and its arguments, run without a shell" },
        { "timeout", OPTION_DURATION, "10s", offsetof(struct command_spec, timeout),
          "deadline, then the process group is killed (at most 10m)" },
        { "live_only", OPTION_BOOL, "true", offsetof(struct command_spec, live_only),
          "skipped when --root is not /" },
        {},
};

static const char *const command_required[] = { "name", "argv", NULL };

static const struct option_record_type commands_records[] = {
        {
                .key = "commands",
                .name = "command",
                .size = sizeof(struct command_spec),
                .fields = command_fields,
                .required = command_required,
                .unique = "name",
                .check = command_check,
        },
        {},
};

static const struct collector_option commands_options[] = {
        { "commands", OPTION_RECORDS, NULL, offsetof(struct commands_state, commands),
          "the commands to run, in order: {name, argv, timeout, live_only}" },
        {},
};

const struct collector collector_commands = {
        .name = "commands",
        .summary = "diagnostic commands from the policy's commands: list",
        .flags = 0,
        .state_size = sizeof(struct commands_state),
        .options = commands_options,
        .record_types = commands_records,
        .ops = &commands_ops,
};
