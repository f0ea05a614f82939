/* SPDX-License-Identifier: MIT */
/*
 * The "commands" collector (agent/pipeline/commands.h). Commands run without a shell,
 * with a clean environment, stdin closed, an output cap and a deadline; those
 * that only make sense on the live system are skipped under --root.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "alloc-util.h"
#include "collect-ctx.h"
#include "pipeline/commands.h"
#include "sink.h"
#include "strv.h"

#define COMMAND_TIMEOUT_DEFAULT (10 * USEC_PER_SEC)
#define COMMAND_TIMEOUT_MAX (10 * USEC_PER_MINUTE)

static const struct pnode *command_list;

void commands_configure(const struct pnode *list)
{
        command_list = list;
}

struct command_spec {
        char *name;
        char **argv;
        usec_t timeout;
        bool live_only;
};

static void command_spec_done(struct command_spec *c)
{
        free(c->name);
        strv_free(c->argv);
}

static bool valid_name(const char *s)
{
        if (isempty(s) || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("-_.", *s))
                        return false;
        return true;
}

static int command_spec_parse(const struct pnode *n, struct command_spec *ret, char **ret_error)
{
        static const char *const keys[] = { "name", "argv", "timeout", "live_only", NULL };
        struct command_spec c = { .timeout = COMMAND_TIMEOUT_DEFAULT, .live_only = true };
        int r;

        r = pnode_check_keys(n, "commands", keys, ret_error);
        if (r < 0)
                return r;
        if (!pnode_get(n, "name") || !pnode_get(n, "argv")) {
                if (ret_error)
                        *ret_error = pnode_error(n, "a command needs 'name' and 'argv'");
                return -EINVAL;
        }
        r = pnode_to_string(pnode_get(n, "name"), &c.name, ret_error);
        if (r >= 0 && !valid_name(c.name)) {
                if (ret_error)
                        *ret_error = pnode_error(pnode_get(n, "name"),
                                                 "command name '%s' must be letters, digits, "
                                                 "'-', '_' or '.' (at most 64)", c.name);
                r = -EINVAL;
        }
        if (r >= 0)
                r = pnode_expect(pnode_get(n, "argv"), PNODE_SEQ, "argv", ret_error);
        if (r >= 0)
                r = pnode_to_strv(pnode_get(n, "argv"), &c.argv, ret_error);
        if (r >= 0 && strv_length(c.argv) == 0) {
                if (ret_error)
                        *ret_error = pnode_error(pnode_get(n, "argv"), "'argv' is empty");
                r = -EINVAL;
        }
        if (r >= 0)
                r = pnode_to_duration(pnode_get(n, "timeout"), &c.timeout, ret_error);
        if (r >= 0 && (c.timeout == 0 || c.timeout > COMMAND_TIMEOUT_MAX)) {
                if (ret_error)
                        *ret_error = pnode_error(pnode_get(n, "timeout"),
                                                 "'timeout' must be between 1ms and 10m");
                r = -ERANGE;
        }
        if (r >= 0)
                r = pnode_to_bool(pnode_get(n, "live_only"), &c.live_only, ret_error);
        if (r < 0) {
                command_spec_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

int commands_check_policy(const struct pnode *list, char **ret_error)
{
        _cleanup_strv_free_ char **names = NULL;
        int r;

        if (!list)
                return 0;
        r = pnode_expect(list, PNODE_SEQ, "commands", ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < list->n_items; i++) {
                struct command_spec c;

                r = pnode_expect(list->items[i], PNODE_MAP, "a command", ret_error);
                if (r < 0)
                        return r;
                r = command_spec_parse(list->items[i], &c, ret_error);
                if (r < 0)
                        return r;
                if (strv_contains(names, c.name)) {
                        if (ret_error)
                                *ret_error = pnode_error(list->items[i],
                                                         "command '%s' is defined twice",
                                                         c.name);
                        command_spec_done(&c);
                        return -EINVAL;
                }
                r = strv_extend(&names, c.name);
                command_spec_done(&c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int commands_collect(void *state, struct collect_ctx *ctx, struct sink *sink)
{
        unsigned ran = 0, skipped = 0;

        (void) state;
        for (size_t i = 0; command_list && i < command_list->n_items; i++) {
                struct command_spec c;
                int status = 0, r;

                if (command_spec_parse(command_list->items[i], &c, NULL) < 0)
                        continue;
                if (c.live_only && !ctx_is_live(ctx)) {
                        skipped++;
                        command_spec_done(&c);
                        continue;
                }
                if (ctx_expired(ctx)) {
                        sink_note(sink, "%s not run: collector deadline reached", c.name);
                        sink_mark_partial(sink);
                        command_spec_done(&c);
                        continue;
                }
                r = sink_add_command(sink, c.name, c.argv, c.timeout, &status);
                if (r == -ETIMEDOUT) {
                        sink_note(sink, "%s killed at its %llums deadline", c.name,
                                  (unsigned long long) (c.timeout / USEC_PER_MSEC));
                        sink_mark_partial(sink);
                } else if (r == -ENOENT) {
                        sink_note(sink, "%s skipped: '%s' is not installed", c.name, c.argv[0]);
                } else if (r < 0) {
                        sink_note(sink, "%s failed: %s", c.name, strerror(-r));
                        sink_mark_partial(sink);
                }
                ran++;
                command_spec_done(&c);
        }
        if (skipped)
                sink_note(sink, "%u live-only commands skipped: root is not /", skipped);
        return 0;
}

static int commands_probe(void *state, struct collect_ctx *ctx, struct sink *sink)
{
        (void) state;
        (void) ctx;
        if (!command_list || command_list->n_items == 0) {
                sink_note(sink, "no commands in the policy");
                return 0;
        }
        return 1;
}

static const struct collector_ops commands_ops = {
        .probe = commands_probe,
        .collect = commands_collect,
};

static const struct collector_option commands_options[] = {
        {},
};

const struct collector collector_commands = {
        .name = "commands",
        .summary = "diagnostic commands from the policy's commands: list",
        .flags = 0,
        .state_size = 0,
        .options = commands_options,
        .ops = &commands_ops,
};
