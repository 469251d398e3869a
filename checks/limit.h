/* limit: the expression parser (NAME OP VALUE), a seam for tests/check_limit.c and the fuzz target.
 */
#ifndef PREFLIGHT_CHECKS_LIMIT_H
#define PREFLIGHT_CHECKS_LIMIT_H

#include <stddef.h>
#include <sys/resource.h>

#include "core/check.h"

enum limit_op { LIMIT_AT_LEAST, LIMIT_AT_MOST, LIMIT_EQUAL };

/* How a limit's values are written: systemd's Limit*= settings use the same units. */
enum limit_unit {
        LIMIT_COUNT,   /* nofile, nproc: a plain number */
        LIMIT_BYTES,   /* K, M, G, T are powers of 1024 */
        LIMIT_SECONDS, /* cpu: a span, rounded up to whole seconds; a bare number is seconds */
        LIMIT_USEC,    /* rttime: a span in microseconds; a bare number is microseconds */
        LIMIT_PLAIN,   /* nice, rtprio: the kernel's raw number */
};

struct limit_info {
        const char *name;    /* "nofile", as prlimit(1) spells it */
        const char *setting; /* "LimitNOFILE", as systemd.exec(5) spells it */
        int resource;        /* RLIMIT_NOFILE */
        enum limit_unit unit;
        char ulimit_flag; /* ulimit -n; 0 when the shell has none */
};

struct limit_expr {
        const struct limit_info *limit;
        enum limit_op op;
        rlim_t value; /* RLIM_INFINITY for infinity */
};

/* Parses "nofile>=65535", "LimitMEMLOCK=infinity", "RLIMIT_STACK<=8M" (names in any case).
 * PF_OK, or PF_USAGE with err naming the argument. */
int limit_parse_expr(const char *text, struct limit_expr *expr, struct pf_error *err);

/* A value as the unit's Limit*= setting takes it: "65535", "64M", "infinity", "30s". */
void limit_format_value(const struct limit_info *limit, rlim_t value, char *buf, size_t size);

/* The expression as every line shows it: "nofile>=65535". */
void limit_format_expr(const struct limit_expr *expr, char *buf, size_t size);

/* Whether value satisfies the expression. */
int limit_holds(const struct limit_expr *expr, rlim_t value);

#endif
