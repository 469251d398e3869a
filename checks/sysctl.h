/* sysctl: the expression parser, the comparison and the bounded read, seams for
 * tests/check_sysctl.c and the fuzz target. */
#ifndef PREFLIGHT_CHECKS_SYSCTL_H
#define PREFLIGHT_CHECKS_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"

#define SYSCTL_KEY_MAX 160   /* the longest key taken, terminator included */
#define SYSCTL_VALUE_MAX 81  /* the longest value taken, terminator included */
#define SYSCTL_READ_MAX 4096 /* a setting's text is read up to this; a longer file is refused */

enum sysctl_op { SYSCTL_EQUAL, SYSCTL_NOT_EQUAL, SYSCTL_AT_LEAST, SYSCTL_AT_MOST };

/* A whole decimal number of the range a sysctl holds (-2^63 .. 2^64-1). */
struct sysctl_number {
        bool negative;
        uint64_t magnitude;
};

struct sysctl_expr {
        char key[SYSCTL_KEY_MAX];  /* as given: "vm.max_map_count",
                                      "net/ipv4/conf/eth0.100/rp_filter" */
        char path[SYSCTL_KEY_MAX]; /* below /proc/sys: "vm/max_map_count" */
        enum sysctl_op op;
        char value[SYSCTL_VALUE_MAX]; /* with runs of blanks and tabs as one space, trimmed */
        bool numeric;                 /* value is one number */
        struct sysctl_number number;
};

/* Parses "KEY=VALUE", "KEY!=N", "KEY>=N", "KEY<=N". PF_OK, or PF_USAGE with err naming it. */
int sysctl_parse_expr(const char *text, struct sysctl_expr *expr, struct pf_error *err);

/* Copies text with blanks and tabs (and a final newline) trimmed and inner runs made one space.
 * Returns false when it does not fit. */
bool sysctl_normalize(const char *text, char *buf, size_t size);

/* Reads a whole number, optionally signed. */
bool sysctl_parse_number(const char *text, struct sysctl_number *number);

/* <0, 0, >0 as a is below, equal to or above b. */
int sysctl_compare_numbers(const struct sysctl_number *a, const struct sysctl_number *b);

enum sysctl_verdict { SYSCTL_HOLDS, SYSCTL_DIFFERS, SYSCTL_NOT_A_NUMBER };

/* Compares the normalized text of a setting with the expression. */
enum sysctl_verdict sysctl_judge(const struct sysctl_expr *expr, const char *current);

/* Reads the file at path whole into buf (size bytes, terminated). Returns the length, -errno,
 * or -EFBIG when it holds size bytes or more. */
long sysctl_read_bounded(const char *path, char *buf, size_t size);

#endif
