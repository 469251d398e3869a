/*
 * --as-unit UNIT on `run` and on every check (README.md, "--as-unit UNIT: check as the unit
 * would"): the checks run inside a transient service that carries UNIT's execution settings,
 * with the caller's stdin, stdout and stderr, and the caller exits with its code.
 */
#ifndef PREFLIGHT_AS_UNIT_H
#define PREFLIGHT_AS_UNIT_H

#include <stdbool.h>

#include "core/check.h"

/* Whether the words after a check's name (check set) or after "run" (check NULL) ask for
 * --as-unit before any "--". */
bool as_unit_requested(const struct check *check, int argc, char **argv);

/* Runs them as UNIT would. Returns the exit code: a usage error (2) before anything is started,
 * 4 when the manager or the unit cannot be reached, 5 without libsystemd, else the code the
 * checks exited with inside the unit (128+N for a signal). */
int as_unit_main(const struct check *check, int argc, char **argv);

#endif
