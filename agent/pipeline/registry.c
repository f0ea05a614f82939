/* SPDX-License-Identifier: MIT */
/*
 * The collector table (agent/pipeline/registry.h), after tmux's cmd_table[] and git's
 * commands[]: small, static, sorted, no dlopen.
 */
#include <string.h>

#include "macro.h"
#include "pipeline/registry.h"

extern const struct collector collector_commands;
extern const struct collector collector_config;
extern const struct collector collector_crash;
extern const struct collector collector_environment;
extern const struct collector collector_journal;
extern const struct collector collector_logs;

static const struct collector *const collectors[] = {
        &collector_commands,    &collector_config,  &collector_crash,
        &collector_environment, &collector_journal, &collector_logs,
};

const struct collector *registry_find(const char *name)
{
        for (size_t i = 0; name && i < ELEMENTSOF(collectors); i++)
                if (streq(collectors[i]->name, name))
                        return collectors[i];
        return NULL;
}

const struct collector *registry_get(size_t i)
{
        return i < ELEMENTSOF(collectors) ? collectors[i] : NULL;
}

size_t registry_size(void)
{
        return ELEMENTSOF(collectors);
}
