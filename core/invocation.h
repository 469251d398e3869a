/* One check with its arguments: parsed from a command line or a chain-file line, then run. */
#ifndef PREFLIGHT_INVOCATION_H
#define PREFLIGHT_INVOCATION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/check.h"
#include "core/report.h"

#define DEFAULT_TIMEOUT_US (5ULL * 1000000ULL)       /* one attempt */
#define DEFAULT_WAIT_TIMEOUT_US (60ULL * 1000000ULL) /* --wait without --timeout */
#define DEFAULT_INTERVAL_US (500ULL * 1000ULL)
#define MIN_INTERVAL_US (10ULL * 1000ULL)

/* One positional argument, as the check parsed it. */
struct invocation_target {
        void *parsed; /* check->target_size bytes, owned */
        char shown[TARGET_SHOWN_SIZE];
};

struct invocation {
        const struct check *check;
        void *config; /* check->config_size bytes, owned */
        struct invocation_target *targets;
        unsigned n_targets;
        char **args;         /* while parsing: the positional arguments, pointing into argv */
        uint64_t timeout_us; /* SPAN_INFINITY for none */
        bool timeout_given;
        uint64_t interval_us;
        bool wait, invert;
        struct report_style style;
        char **command;                /* the words after "--", NULL-terminated; NULL when none */
        bool help;                     /* --help: print help instead of running */
        char warning[PF_WARNING_SIZE]; /* "" or what the parse said */
};

/*
 * Parses the words after the check's name. Options and targets may come in any order; "--"
 * ends them and starts the wrapped COMMAND. Returns PF_OK, or PF_USAGE with err naming the
 * word that was wrong. Every target is parsed by the check once all options are read. A
 * warning of the check's (a password on the command line) is left in inv->warning for the
 * caller to print. argv must outlive inv. On failure inv holds nothing to release.
 */
int invocation_parse(struct invocation *inv, const struct check *check, int argc, char **argv,
                     struct pf_error *err);

void invocation_release(struct invocation *inv);

/* The options every check takes (--timeout, --wait, ...), as options_parse() reads them. */
const struct check_option *invocation_common_options(void);

/* `preflight CHECK --help`. */
void invocation_print_help(const struct check *check, FILE *out);

/* The --help line of --as-unit UNIT, which checks and run take on the command line only. */
void invocation_print_as_unit(FILE *out);
/* ... and the table that line comes from. */
const struct check_option *invocation_as_unit_options(void);

/* Receives each target's outcome as it is decided. */
typedef void (*outcome_sink)(const struct outcome *o, void *ctx);

/*
 * Runs every target, each with attempts until it passes or (under --wait) the deadline comes,
 * and returns the exit code: 0, or the first failing target's code. sink may be NULL, which
 * prints each outcome with report_outcome().
 */
int invocation_run(const struct invocation *inv, outcome_sink sink, void *ctx);

#endif
