/* SPDX-License-Identifier: MIT */
/*
 * The compiled-in collectors: a static table sorted by name.
 */
#pragma once

#include <stddef.h>

#include "collector.h"

/* The collector named name, or NULL. */
const struct collector *registry_find(const char *name);

/* The i-th collector in name order, or NULL past the end. */
const struct collector *registry_get(size_t i);

size_t registry_size(void);
