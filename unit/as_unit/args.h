/*
 * --as-unit UNIT: the words of the command line, taken apart and put back together for the
 * transient unit. Pure functions (no I/O, no global state), so that tests/check_as_unit.c tests
 * them on their own.
 */
#ifndef PREFLIGHT_AS_UNIT_ARGS_H
#define PREFLIGHT_AS_UNIT_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/check.h"

/* A service name as systemd takes it (unit names are at most 255 bytes). */
#define AS_UNIT_NAME_SIZE 256

/*
 * Where --as-unit is among the words after the check's name (or after "run"): options are read as
 * the options parser reads them (tables: the options that take a value, so that the value of
 * -t or --header is never taken for --as-unit), and the search ends at "--". Returns true when
 * --as-unit UNIT or --as-unit=UNIT is there; *at is its first word, *n_words 1 or 2, *unit its
 * value (NULL when --as-unit is the last word: a usage error for the caller to name).
 */
bool as_unit_find(int argc, char **argv, const struct check_option *const tables[2], int *at,
                  int *n_words, const char **unit);

/*
 * The unit's full name: NAME as given when it ends in ".service", NAME.service when it has no
 * suffix. PF_OK, or PF_USAGE with err set: empty, too long, a byte systemd refuses in a unit
 * name, or another kind of unit (a check runs as a service's ExecStartPre= does).
 */
int as_unit_service_name(const char *name, char out[AS_UNIT_NAME_SIZE], struct pf_error *err);

/*
 * The transient unit's name: preflight-as-BASE-SUFFIX.service, BASE the service's name without
 * ".service" and with every byte but [A-Za-z0-9:_.-] as '_' (an '@' would make it an instance of
 * a template), SUFFIX the hex given (random bytes, from the caller).
 */
void as_unit_transient_name(const char *service, const char *suffix, char out[AS_UNIT_NAME_SIZE]);

/* What as_unit_command() builds. */
struct as_unit_command {
        char **argv;  /* NULL-terminated, for ExecStart=; argv[0] is the binary */
        char *source; /* run: the chain's source as it is passed on (absolute), owned; else NULL */
};

/*
 * The transient unit's command: exe, verb ("run" or the check's name), then the words after the
 * verb without the n_words of --as-unit at `at`. For run (is_run), the FILE operand (the first
 * word that is no option: run's options take no value) is made absolute against cwd, and a NAME
 * (no slash) becomes config_dir/NAME.conf (config_dir made absolute too), since the unit's
 * WorkingDirectory= and environment are not the caller's; "-" stays (stdin is the caller's).
 * Returns PF_OK; PF_USAGE with err set when "--" is among the words (-- COMMAND with --as-unit is
 * refused: the wrapper belongs in the unit itself); PF_INTERNAL when memory runs out.
 */
int as_unit_command(const char *exe, const char *verb, bool is_run, int argc, char **argv, int at,
                    int n_words, const char *cwd, const char *config_dir,
                    struct as_unit_command *out, struct pf_error *err);
void as_unit_command_release(struct as_unit_command *cmd);

/*
 * The property a StartTransientUnit error names, when the manager refused one it cannot carry:
 * org.freedesktop.DBus.Error.PropertyReadOnly, "Cannot set property NAME, or unknown property."
 * (systemd 252's words). Copies NAME to out and returns true; false for any other error.
 */
bool as_unit_refused_property(const char *error_name, const char *error_message, char *out,
                              size_t out_size);

#endif
