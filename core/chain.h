/* `preflight run FILE|NAME|-`: chain files (README.md, "Chains"). */
#ifndef PREFLIGHT_CHAIN_H
#define PREFLIGHT_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/check.h"

/* Where a NAME without a slash is looked for, unless $PREFLIGHT_CONFIG_DIR says otherwise. */
#define CHAIN_DEFAULT_CONFIG_DIR "/etc/preflight"

/* The words after "run". Returns the exit code. */
int chain_main(int argc, char **argv);

/* run's options, as run --help lists them (completion is generated from them). */
const struct check_option *chain_run_options(void);

/* What --as-unit needs to know of the words after "run" before it hands them on. */
struct chain_words {
        const char *source; /* FILE, NAME or "-"; NULL with help */
        bool parallel, help, verbose;
};

/* The words after "run" parsed as chain_main() parses them: PF_OK, or PF_USAGE once the
 * error is printed as chain_main() prints it. */
int chain_parse_words(int argc, char **argv, struct chain_words *out);

/*
 * The longest the chain in the file at path may run, from each line's deadline (the sum, or the
 * longest line under --parallel): a bound for --as-unit, which hands the chain to a unit with an
 * environment of its own. Silent, and never failing: a variable unset here expands to nothing, a
 * line that does not parse here counts as 60 s (the --wait default), a file that cannot be read
 * gives SPAN_INFINITY (no bound). *timeout_code: the first line's check's timeout code (or 1).
 */
uint64_t chain_deadline_us(const char *path, bool parallel, int *timeout_code);

#endif
