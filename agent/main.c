/* SPDX-License-Identifier: MIT */
/*
 * collect: the entry point. run() returns the exit code (sysexits.h, see
 * DESIGN.md); main() only maps it. The verbs live in cli.c.
 */
#include <stdlib.h>

#include "cli/cli.h"

int main(int argc, char *argv[])
{
        return cli_run(argc, argv);
}
