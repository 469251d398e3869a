/*
 * `run --prometheus FILE`: a chain's results in the Prometheus text exposition format (0.0.4),
 * for node_exporter's textfile collector, which must never read half a file (README.md,
 * "Monitoring: Prometheus").
 */
#ifndef PREFLIGHT_PROMETHEUS_H
#define PREFLIGHT_PROMETHEUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/report.h"

/* One target's outcome, with the chain-file line it came from. */
struct prom_row {
        unsigned line;
        struct outcome outcome;
};

struct prom_run {
        const char *path; /* FILE as given; not owned */
        char chain[256];  /* the chain label: NAME, FILE's base name without .conf, "stdin" */
        struct prom_row *rows;
        size_t n_rows, cap_rows;
        bool out_of_memory;  /* a row could not be kept: the file is not written */
        uint64_t started_us; /* CLOCK_MONOTONIC, when the chain began */
};

/* path: FILE as given to --prometheus; source: run's FILE, NAME or "-". */
void prom_begin(struct prom_run *run, const char *path, const char *source);

/* Keeps one outcome of the chain-file line line. */
void prom_add(struct prom_run *run, unsigned line, const struct outcome *o);

/*
 * Writes the file atomically: a temporary file beside FILE, mode 0644, written whole, fsync'ed,
 * renamed over FILE, the directory fsync'ed; SIGTERM, SIGINT and SIGHUP wait until the
 * temporary file is renamed or removed. chain_code: what the chain exits with. Returns PF_OK,
 * or PF_INTERNAL once the error (naming FILE) is printed; the temporary file is never left.
 */
int prom_write(const struct prom_run *run, int chain_code);

void prom_release(struct prom_run *run);

/* For the tests. The label value of text as the format escapes it (\\, \", \n), bytes that are
 * not UTF-8 as U+FFFD, into out (size bytes, terminated, cut at a character). */
void prom_escape_label(const char *text, char *out, size_t size);

/* The chain label of run's FILE, NAME or "-". */
void prom_chain_name(const char *source, char *out, size_t size);

/* Writes the whole exposition to f; timestamp_s is the Unix time of the run's end. Returns
 * false when f reports an error. */
bool prom_format(FILE *f, const struct prom_run *run, int chain_code, double timestamp_s,
                 double duration_s);

#endif
