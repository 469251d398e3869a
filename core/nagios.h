/*
 * --format nagios: the monitoring-plugins output (README.md, "Monitoring: Nagios and Icinga").
 * One status line, one line per target, perfdata after a '|', all on stdout, and the exit
 * codes 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. While it is active, every outcome and every
 * message that would go to stderr is collected here and written once, at the end.
 */
#ifndef PREFLIGHT_NAGIOS_H
#define PREFLIGHT_NAGIOS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/report.h"

enum nagios_state { NAGIOS_OK = 0, NAGIOS_WARNING = 1, NAGIOS_CRITICAL = 2, NAGIOS_UNKNOWN = 3 };

/* The whole output is at most this long (Nagios 4 reads no more of a plugin's output). */
#define NAGIOS_OUTPUT_MAX 8192
/* ... of which the perfdata takes at most this much, in whole items. */
#define NAGIOS_PERFDATA_MAX 4096

/* Whether these words (after the check's name or after "run") ask for --format nagios: the
 * last --format given, or --json, decides, as the parser reads them; words after "--" are
 * the COMMAND's. Read before any parse, so that a usage error is reported as UNKNOWN too. */
bool nagios_requested(int argc, char **argv);

/* Whether the words hold a "--" that starts a COMMAND, or --as-unit: neither goes with
 * --format nagios (a monitor never starts a service). */
bool nagios_refused_word(int argc, char **argv, const char **word);

/* Starts collecting: outcomes and messages go here from now on, and stderr goes to /dev/null
 * (an engine that reads stderr with stdout must see nothing but the report). */
void nagios_begin(void);
bool nagios_active(void);

void nagios_add(const struct outcome *o);
/* A message that would have gone to stderr: priority 3 (an error), 4 (a warning), 6 (info). */
void nagios_note(int priority, const char *text);

/* Writes the report for a run that exited with code and returns the plugin's exit code.
 * Nothing is written when nothing was collected and code is 0 (--help). */
int nagios_finish(int code);

/* The state of one outcome, and of an exit code preflight gave (0 is OK). */
enum nagios_state nagios_state_of(const struct outcome *o);
enum nagios_state nagios_state_of_code(int code);
/* The worse of two states: CRITICAL, then UNKNOWN, then WARNING, then OK. */
enum nagios_state nagios_worse(enum nagios_state a, enum nagios_state b);
const char *nagios_state_name(enum nagios_state s);

/* Text for the status line and the long text: what text_write_safe() escapes as \xNN, and '|'
 * (which starts perfdata) as \x7c; cut with "..." to fit size. Returns out. */
char *nagios_text(const char *in, char *out, size_t size);

/* One perfdata label, with its single quotes: "'redis 127.0.0.1:6379'". '=' and '|' (which end
 * a label or the text), control bytes, a quote (the guidelines' doubled quote stays two quotes
 * in Icinga 2's label: \x27 reads the same everywhere), and the second colon of "::" (Icinga 2
 * reads "::" as a check_multi prefix) are written as \xNN. Returns out. */
char *nagios_label(const char *check, const char *target, char *out, size_t size);

/* One perfdata item: LABEL=SECONDSs;;;0 (three decimals). Returns its length, or 0 when it
 * did not fit in size. */
size_t nagios_perfdata_item(const char *check, const char *target, unsigned long long elapsed_ms,
                            char *out, size_t size);

#endif
