/*
 * The chain-file grammar (README.md, "Chains", and the man page): text in, lines of words out. No
 * I/O and no global state, so it can be unit-tested and fuzzed on its own; what the words mean is
 * core/chain.c's business.
 *
 * Words split as sh(1) splits them, and nothing more: blanks separate words; '...' keeps every
 * byte; "..." keeps every byte but \" \\ \$ and backslash-newline; outside quotes a backslash
 * keeps the next byte; a '#' that starts a word starts a comment; a backslash at the end of a
 * line continues it. ${NAME} and ${NAME:-default} expand outside quotes and inside "...", never
 * inside '...'; the value is never split into words. A bare $NAME is refused (write ${NAME}),
 * any other '$' is literal.
 */
#ifndef PREFLIGHT_CHAINFILE_H
#define PREFLIGHT_CHAINFILE_H

#include <stddef.h>

/* Bounds that keep a hostile or broken file cheap in time and memory. */
#define CHAINFILE_MAX_BYTES (1024u * 1024u)            /* the whole file */
#define CHAINFILE_MAX_LINE_BYTES (64u * 1024u)         /* one line's words, after expansion */
#define CHAINFILE_MAX_TOTAL_BYTES (4u * 1024u * 1024u) /* all words, after expansion */
#define CHAINFILE_MAX_LINES 1000u                      /* lines that hold words */
#define CHAINFILE_MAX_WORDS 256u                       /* words on one line */
#define CHAINFILE_MAX_NAME 128u                        /* a variable's name */

struct chainfile_line {
        unsigned number;  /* the physical line (from 1) this line starts on */
        unsigned n_words; /* at least 1 */
        char **words;     /* n_words words, then NULL; they point into text */
        char *text;       /* the words, each ended by NUL; owned */
};

struct chainfile {
        struct chainfile_line *lines;
        unsigned n_lines;
};

struct chainfile_error {
        unsigned line; /* the physical line (from 1) of the problem; 0 for the file as a whole */
        char msg[400];
};

/* Returns the value of the variable name, or NULL when it is not set. */
typedef const char *(*chainfile_lookup)(const char *name, void *ctx);

/*
 * Splits size bytes of text into lines of words. Returns PF_OK with out filled (release it), or
 * PF_CHAIN with err set (a syntax error, an unset variable, a bound passed), or PF_INTERNAL
 * when memory ran out. On failure out holds nothing to release.
 */
int chainfile_parse(const char *text, size_t size, chainfile_lookup lookup, void *ctx,
                    struct chainfile *out, struct chainfile_error *err);

void chainfile_release(struct chainfile *file);

/*
 * Splits one line of text (a C string) into words by the same rules, with no expansion at all:
 * '$' is a byte like ';', '|' and '&' (the exec check's COMMAND, which a chain file has already
 * expanded). Returns PF_OK with out filled (chainfile_line_release), PF_CHAIN with err set (a
 * quote not closed, no word, more than one line, a bound passed) or PF_INTERNAL (memory).
 */
int chainfile_split_line(const char *text, struct chainfile_line *out, struct chainfile_error *err);
void chainfile_line_release(struct chainfile_line *line);

#endif
