/*
 * Command-line options: the one parser for a check's words and for `preflight run`'s. Long
 * options as --name, --name=VALUE or --name VALUE; short ones alone or in clusters (-wq, -t5s,
 * -t 5s); "--" ends the options and starts the COMMAND to exec.
 */
#ifndef PREFLIGHT_OPTIONS_H
#define PREFLIGHT_OPTIONS_H

#include <stdio.h>

#include "core/check.h"

struct options_parser {
        const char *command; /* "redis", "run": named in "preflight redis --help lists them" */
        const char *on_pass; /* "the check passes": when the COMMAND after "--" runs */
        /* Searched in order; each terminated by an entry with long_name NULL; NULL for none. */
        const struct check_option *tables[2];
        /* An option of tables[table] at index; value is NULL for a flag. */
        int (*option)(void *ctx, unsigned table, unsigned index, const char *value,
                      struct pf_error *err);
        /* A word that is no option. */
        int (*operand)(void *ctx, const char *word, struct pf_error *err);
        void *ctx;
};

/*
 * Reads every word. Returns PF_OK, or the first callback's failure, or PF_USAGE with err naming
 * the word that was wrong (never the value of a mistyped option: it may be a password). *command
 * receives the NULL-terminated words after "--", or NULL when there is none.
 */
int options_parse(const struct options_parser *parser, int argc, char **argv, char ***command,
                  struct pf_error *err);

/* The lines of --help for one table. */
void options_print(const struct check_option *table, FILE *out);

#endif
