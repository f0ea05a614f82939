/* SPDX-License-Identifier: MIT */
/*
 * Stopping a run at the next safe point: SIGTERM, SIGINT and SIGHUP set a
 * flag (no other work in the handler); the runner, the sink, the bundle
 * writer and the command runner check it and unwind, removing what they
 * wrote. The CLI installs the handlers; everything else only asks.
 */
#pragma once

/* Installs the handlers (no SA_RESTART: a blocking call returns EINTR). */
void interrupt_install(void);

/* The signal that asked to stop (SIGTERM, SIGINT, SIGHUP), or 0. */
int interrupt_pending(void);

/* Restores the default dispositions and forgets a pending signal. */
void interrupt_reset(void);
