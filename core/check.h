/*
 * The interface between core/ and one check in checks/.
 *
 * A check declares its name, help, options and callbacks in one `struct check`; core parses the
 * command line (shared options included), keeps the deadline, retries under --wait, applies
 * --invert, maps results to exit codes and prints them. A check never prints and never exits.
 */
#ifndef PREFLIGHT_CHECK_H
#define PREFLIGHT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/exitcodes.h"

/* A message for the user; filled by a failing parser, printed by core with its prefix. */
struct pf_error {
        char msg[512];
};

__attribute__((format(printf, 2, 3))) int pf_error_set(struct pf_error *err, const char *fmt, ...);

struct check_option {
        const char *long_name;  /* "group": given as --group */
        char short_name;        /* 0 when there is none */
        const char *value_name; /* "GROUP"; NULL for a flag */
        const char *help;       /* one line for --help */
};

/* What one attempt found. message is always set; fix only when there is something to do. */
struct check_result {
        int code;          /* PF_OK, or one of the check's failure codes */
        char target[256];  /* as shown to the user: "8080/tcp", "127.0.0.1:6379" */
        char message[768]; /* "free", "in use by nginx (pid 812) on 0.0.0.0:8080" */
        char fix[384];     /* "add AmbientCapabilities=CAP_NET_BIND_SERVICE to the unit" */
        char detail[768];  /* extra facts shown with --verbose only */
        bool warning;      /* passed, but something deserves a look (printed with priority 4) */
};

__attribute__((format(printf, 3, 4))) void result_set(struct check_result *res, int code,
                                                      const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void result_fix(struct check_result *res, const char *fmt,
                                                      ...);
__attribute__((format(printf, 2, 3))) void result_detail(struct check_result *res, const char *fmt,
                                                         ...);

/* What core gives to each attempt. */
struct attempt {
        uint64_t deadline_us; /* CLOCK_MONOTONIC, absolute; clock_remaining_ms() measures it */
        unsigned number;      /* 1 for the first attempt */
        bool verbose;
        bool inverted; /* --invert: only the check's main question matters (port: in use?) */
};

struct check {
        const char *name;
        const char *summary; /* one line, for `preflight list` */
        const char *usage; /* the arguments after the check's name: "[USER|UID] [--group GROUP]" */
        const char *help;  /* a paragraph for `preflight CHECK --help`, may be NULL */
        const struct check_option *options; /* terminated by an entry with long_name NULL */
        unsigned min_targets, max_targets;  /* positional arguments the check takes */
        int timeout_code;   /* exit code when the deadline passes mid-attempt (41, 51, 61, ...) */
        int inverted_code;  /* exit code when --invert is given and the check passes */
        size_t config_size; /* core allocates and zeroes this much for the check's options */

        /* Optional: defaults before options are parsed. */
        void (*init)(void *config);
        /* One check-specific option (index into options[]); value is NULL for a flag.
         * Returns PF_OK or PF_USAGE with err set; the message names the option. */
        int (*parse_option)(void *config, unsigned option, const char *value, struct pf_error *err);
        /* Validates one positional argument before anything runs. NULL: any text is fine. */
        int (*validate_target)(const void *config, const char *target, struct pf_error *err);
        /* Optional: checks the options as a whole once they are all parsed (PF_OK or PF_USAGE). */
        int (*finish)(void *config, unsigned targets, struct pf_error *err);
        /* One attempt for one target (NULL when the check takes none). */
        void (*run)(const void *config, const char *target, const struct attempt *attempt,
                    struct check_result *res);
        /* Optional: frees what parse_option allocated. */
        void (*release)(void *config);
};

/* The table of checks, in the order `preflight list` shows them. */
extern const struct check *const pf_checks[];
const struct check *check_find(const char *name);

#endif
