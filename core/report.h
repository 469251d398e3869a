/* Everything preflight tells a person or a program: result lines, JSON Lines, errors. */
#ifndef PREFLIGHT_REPORT_H
#define PREFLIGHT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/check.h"

/* The final word on one target of one check; plain data, so it can cross a pipe. */
struct outcome {
        char check[32];
        struct check_result result;
        bool ok;       /* after --invert */
        bool inverted; /* --invert was given */
        int code;      /* the exit code this outcome stands for: 0 when ok */
        uint64_t elapsed_ms;
        unsigned attempts;
};

struct report_style {
        bool quiet;   /* nothing on success */
        bool verbose; /* details and timings */
        bool json;    /* JSON Lines on stdout instead of human lines */
        bool nagios;  /* --format nagios: the whole run is one report (core/nagios.h) */
        /* With json: the human lines on stderr as well (--http-response). */
        bool lines_too;
};

/* Human lines go to stderr (diagnostics, like the journal expects); JSON Lines to stdout. */
void report_outcome(const struct outcome *o, const struct report_style *style);

/* A line about the run itself (not a check result), e.g. a progress line under --verbose. */
void report_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "preflight: WHAT: message" on stderr with priority <4>. */
void report_warning(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "preflight: WHAT: message" on stderr with priority <3>. */
void report_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --format human|json|nagios (and --json, which is --format json) into style. */
int report_parse_format(const char *value, struct report_style *style, struct pf_error *err);

/* Writes s as a JSON string (with quotes) to f; invalid UTF-8 becomes U+FFFD. */
void json_write_string(FILE *f, const char *s);

#endif
