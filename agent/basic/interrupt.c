/* SPDX-License-Identifier: MIT */
/*
 * Stopping at the next safe point (agent/basic/interrupt.h).
 */
#include <signal.h>
#include <stddef.h>

#include "basic/interrupt.h"

static volatile sig_atomic_t pending;

static void on_signal(int sig)
{
        if (!pending)
                pending = sig;
}

static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };

void interrupt_install(void)
{
        struct sigaction sa = { .sa_handler = on_signal };

        (void) sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
                (void) sigaction(stop_signals[i], &sa, NULL);
}

int interrupt_pending(void)
{
        return pending;
}

void interrupt_reset(void)
{
        struct sigaction sa = { .sa_handler = SIG_DFL };

        (void) sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
                (void) sigaction(stop_signals[i], &sa, NULL);
        pending = 0;
}
