/*
 * `preflight why [UNIT]`: why a unit failed, or did not start. bus.c reads the manager's view of
 * the unit (sd-bus), journal.c the warning and error lines of its last invocation (sd-journal),
 * advice.c turns both into advice, output.c prints them (human lines or JSON), main.c is the
 * command. Everything but bus.c and journal.c works on plain data, so the unit tests feed it
 * synthetic units.
 */
#ifndef PREFLIGHT_WHY_H
#define PREFLIGHT_WHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WHY_MAX_COMMANDS 24
#define WHY_MAX_CONDITIONS 16
#define WHY_MAX_LINES 12
#define WHY_MAX_ADVICE 8
#define WHY_MAX_STATUSES 16
#define WHY_TEXT 512

/* si_code of a process that ended, as the manager reports it (CLD_EXITED...). */
enum why_exit_code { WHY_CLD_NONE = 0, WHY_CLD_EXITED = 1, WHY_CLD_KILLED = 2, WHY_CLD_DUMPED = 3 };

/* What preflight found out about a command's file, for 203/EXEC. */
enum why_path_state {
        WHY_PATH_UNKNOWN, /* not looked at */
        WHY_PATH_OK,
        WHY_PATH_MISSING,     /* no such file */
        WHY_PATH_NOT_EXEC,    /* no x bit, or a directory */
        WHY_PATH_BAD_SHEBANG, /* a #! line whose interpreter is not there */
};

/* One ExecStartPre= (...) command and how it ended: the manager's a(sasbttttuii). */
struct why_command {
        char setting[16];    /* "ExecStartPre" */
        char path[256];      /* the file systemd executes */
        char line[WHY_TEXT]; /* argv as systemd shows it, joined with spaces */
        bool ignore_failure; /* the '-' prefix */
        uint64_t start_usec; /* realtime; 0: never started */
        uint64_t exit_usec;  /* realtime; 0: not ended (yet) */
        uint32_t pid;
        int32_t code;   /* enum why_exit_code */
        int32_t status; /* exit status, or the signal */
        enum why_path_state path_state;
        char interpreter[256]; /* the #! line's program, for WHY_PATH_BAD_SHEBANG */
};

/* A Condition*= or Assert*= setting: the manager's a(sbbsi). */
struct why_condition {
        char type[48]; /* "ConditionPathExists" */
        bool trigger;  /* '|': one of the triggering ones must hold */
        bool negate;   /* '!' */
        char parameter[256];
        int32_t state;    /* > 0 held, < 0 failed, 0 not tested */
        bool assert;      /* an Assert*= (fails the start) rather than a Condition*= */
        bool checked_now; /* state is preflight's own look, not the manager's */
};

/* One journal line of the unit's last invocation. */
struct why_line {
        int priority;  /* syslog priority, 0-7 */
        bool manager;  /* from the service manager (PID 1) about the unit, not the unit's own */
        uint64_t usec; /* realtime */
        char text[WHY_TEXT];
};

struct why_unit {
        char name[256];
        char load_state[32]; /* loaded, not-found, masked, error, bad-setting */
        char load_error[WHY_TEXT];
        char active_state[32]; /* active, failed, activating, inactive, ... */
        char sub_state[32];    /* running, dead, auto-restart, ... */
        bool is_service;       /* the Service interface's properties below were read */
        char result[32];       /* success, exit-code, timeout, start-limit-hit, ... */
        char type[16];         /* simple, notify, forking, oneshot, ... */
        char restart[32];      /* no, on-failure, always, ... */
        char invocation_id[33];
        uint32_t n_restarts;
        uint32_t main_pid;
        uint32_t exec_main_pid;
        int32_t exec_main_code;
        int32_t exec_main_status;
        uint64_t exec_main_exit_usec;
        char main_comm[64]; /* the main process's name, when it could be found */
        int32_t success_status[WHY_MAX_STATUSES];
        size_t n_success_status;
        int32_t success_signal[WHY_MAX_STATUSES];
        size_t n_success_signal;
        int32_t restart_prevent[WHY_MAX_STATUSES];
        size_t n_restart_prevent;
        char pid_file[256];
        uint64_t timeout_start_usec;
        char notify_access[16];
        char working_directory[256];
        char user[64];
        char group[64];
        bool skipped_by_condition; /* the journal says the last start was skipped */
        char skip_condition[300];  /* the condition the journal's line names, "ConditionX=Y" */
        bool condition_result;
        uint64_t condition_timestamp; /* realtime; 0: the conditions were never tested */
        bool assert_result;
        uint64_t assert_timestamp;
        struct why_condition conditions[WHY_MAX_CONDITIONS];
        size_t n_conditions;
        uint32_t start_limit_burst;
        uint64_t start_limit_interval_usec;
        struct why_command commands[WHY_MAX_COMMANDS];
        size_t n_commands;
        struct why_line lines[WHY_MAX_LINES]; /* oldest first */
        size_t n_lines;
        bool journal_read;           /* the journal could be opened */
        size_t lines_dropped;        /* matching lines before the ones kept */
        char journal_note[WHY_TEXT]; /* why the journal was not read, when it was not */
        bool user_manager;           /* --user */
};

struct why_advice {
        char text[WHY_TEXT * 2];
};

/* The status of a process as "exited 43: preflight redis: denied (...), permanent",
 * "killed by SIGKILL", "running", "not run". from_preflight: the command is preflight, so its
 * own codes apply. */
void why_format_status(int32_t code, int32_t status, uint64_t start_usec, uint64_t exit_usec,
                       uint32_t pid, bool from_preflight, char *buf, size_t size);

/* True when the command runs preflight (the binary or a preflight-CHECK link). */
bool why_command_is_preflight(const struct why_command *c);

/* True when the command ended in failure (a non-zero exit, a signal), '-' prefix or not. */
bool why_command_failed(const struct why_command *c);

/* The advice for the unit, most specific first. Returns how many were written. */
size_t why_advise(const struct why_unit *u, struct why_advice *advice, size_t max);

/* The one-line reason for `preflight why` without a unit. */
void why_reason(const struct why_unit *u, char *buf, size_t size);

/* "failed (Result: exit-code), 3 restarts" */
void why_state_line(const struct why_unit *u, char *buf, size_t size);

/* The report: human lines, or one JSON object on one line. */
void why_print(FILE *out, const struct why_unit *u);
void why_print_json(FILE *out, const struct why_unit *u);

/* "zookeeper" -> "zookeeper.service"; false when the name cannot be a unit's. */
bool why_unit_name(const char *arg, char *name, size_t size);

/* The line is one of the manager's routine ones, or a manager line worth showing though its
 * priority is info ("Can't open PID file"). Used to pick journal lines. */
bool why_manager_line_wanted(int priority, const char *text);

/* bus.c: reads the unit over an open connection. 0, or PF_UNIT_UNAVAILABLE / PF_INTERNAL with
 * why set. */
struct sd_bus;
int why_read_unit(struct sd_bus *bus, const char *name, struct why_unit *u, char *why,
                  size_t why_size);
/* The names of the failed units, at most max; -errno-free: PF_OK or an error code. */
int why_failed_units(struct sd_bus *bus, char (*names)[256], size_t max, size_t *count, char *why,
                     size_t why_size);
/* Looks at each command's file, for 203/EXEC advice, and the main process's name. */
void why_probe(struct why_unit *u);

/* journal.c: the warning and error lines of the last invocation, bounded in entries scanned and
 * by the deadline (monotonic microseconds, 0: none). */
void why_read_journal(struct why_unit *u, uint64_t deadline_us);

/* main.c */
int why_main(int argc, char **argv);
/* why's options, as why --help lists them (completion is generated from them). */
struct check_option;
const struct check_option *why_option_table(void);

#endif
