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

/* What a parse step tells the user. msg: why a failing step failed (printed by core with its
 * prefix). warning: what a step that succeeded wants known (a password on the command line);
 * core prints it once, as "preflight: CHECK: ..." with priority <4>. A check never prints. */
#define PF_WARNING_SIZE 384

struct pf_error {
        char msg[512];
        char warning[PF_WARNING_SIZE];
};

/* Sets msg and returns PF_USAGE. */
__attribute__((format(printf, 2, 3))) int pf_error_set(struct pf_error *err, const char *fmt, ...);
/* Sets warning, unless one is set already: the first is the one shown. */
__attribute__((format(printf, 2, 3))) void pf_warning_set(struct pf_error *err, const char *fmt,
                                                          ...);

struct check_option {
        const char *long_name;  /* "group": given as --group */
        char short_name;        /* 0 when there is none */
        const char *value_name; /* "GROUP"; NULL for a flag */
        const char *help;       /* one line for --help */
};

/* What `preflight completion SHELL` offers for a check's arguments (option NULL) or for an
 * option's value, where value_name (FILE, PATH, DIR, USER, GROUP, USER[:GROUP], UNIT, SPAN) says
 * less: "@KIND" (@file, @dir, @user, @group, @command, @host, @sysctl) or the words themselves,
 * separated by spaces ("file dir socket"; a word ending in '/', ':' or '=' takes no space
 * after it). core/completion.c turns them into each shell's script. */
struct check_completion {
        const char *option; /* an option's long_name, or NULL for the arguments */
        const char *words;
};

/* The bytes of a target's shown text, terminator included. */
#define TARGET_SHOWN_SIZE 256

/* What one attempt found. message is always set; fix only when there is something to do. */
struct check_result {
        int code;                       /* PF_OK, or one of the check's failure codes */
        char target[TARGET_SHOWN_SIZE]; /* as shown: "8080/tcp", "127.0.0.1:6379" */
        char message[768];              /* "free", "in use by nginx (pid 812) on 0.0.0.0:8080" */
        char fix[384];    /* "add AmbientCapabilities=CAP_NET_BIND_SERVICE to the unit" */
        char detail[768]; /* extra facts shown with --verbose only */
        bool warning;     /* passed, but something deserves a look (printed with priority 4) */
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
        size_t target_size; /* ... and this much for each parsed target */

        /* Optional: defaults before options are parsed. */
        void (*init)(void *config);
        /* One check-specific option (index into options[]); value is NULL for a flag.
         * Returns PF_OK or PF_USAGE with err set; the message names the option. */
        int (*parse_option)(void *config, unsigned option, const char *value, struct pf_error *err);
        /* Optional: checks the options as a whole once they are all parsed, before any target
         * is (PF_OK or PF_USAGE). */
        int (*finish)(void *config, unsigned targets, struct pf_error *err);
        /* Turns one positional argument into the check's own target (target_size zeroed bytes)
         * and writes the text every line shows for it to shown (TARGET_SHOWN_SIZE bytes, never a
         * secret). Called once per argument, after finish, so config is complete. This is what
         * `run --dry-run` validates: a run never fails on what this could have refused.
         * Returns PF_OK, PF_USAGE with err set, PF_NO_LIBRARY or PF_INTERNAL. */
        int (*parse_target)(const void *config, const char *arg, void *target, char *shown,
                            struct pf_error *err);
        /* One attempt for one parsed target (NULL only when the check takes no argument and
         * none was given). res->target holds the shown text already. */
        void (*run)(const void *config, const void *target, const struct attempt *attempt,
                    struct check_result *res);
        /* Optional: frees or wipes what parse_target kept in target. */
        void (*release_target)(void *target);
        /* Optional: frees what parse_option allocated. */
        void (*release)(void *config);
        /* Optional, for completion only: terminated by an entry with words NULL. */
        const struct check_completion *completion;
};

/* The table of checks, in the order `preflight list` shows them. */
extern const struct check *const pf_checks[];
const struct check *check_find(const char *name);

#endif
