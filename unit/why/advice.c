/* The advice rules of `preflight why`: plain functions of the unit's data, no bus, no journal. */
#include <inttypes.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/exitcodes.h"
#include "core/span.h"
#include "unit/why/why.h"

/* Unit types systemd knows, for a name given without one ("nginx" is nginx.service). */
static const char *const unit_suffixes[] = {".service", ".socket",    ".target", ".device",
                                            ".mount",   ".automount", ".swap",   ".timer",
                                            ".path",    ".slice",     ".scope",  NULL};

bool why_unit_name(const char *arg, char *name, size_t size)
{
        size_t len = strlen(arg);
        if (len == 0 || len > 250)
                return false;
        for (const unsigned char *p = (const unsigned char *)arg; *p; p++)
                if (*p <= ' ' || *p == 0x7f || *p == '/' || *p == '"' || *p == '\'' || *p == '\\')
                        return false;
        if (arg[0] == '-' || arg[0] == '.')
                return false;
        for (size_t i = 0; unit_suffixes[i]; i++) {
                size_t n = strlen(unit_suffixes[i]);
                if (len > n && strcmp(arg + len - n, unit_suffixes[i]) == 0) {
                        snprintf(name, size, "%s", arg);
                        return true;
                }
        }
        snprintf(name, size, "%s.service", arg);
        return true;
}

bool why_command_is_preflight(const struct why_command *c)
{
        const char *base = strrchr(c->path, '/');
        base = base ? base + 1 : c->path;
        return strcmp(base, "preflight") == 0 || strncmp(base, "preflight-", 10) == 0;
}

bool why_command_failed(const struct why_command *c)
{
        if (c->exit_usec == 0)
                return false;
        return (c->code == WHY_CLD_EXITED && c->status != 0) || c->code == WHY_CLD_KILLED ||
               c->code == WHY_CLD_DUMPED;
}

void why_format_status(int32_t code, int32_t status, uint64_t start_usec, uint64_t exit_usec,
                       uint32_t pid, bool from_preflight, char *buf, size_t size)
{
        char brief[300];
        if (start_usec == 0 && pid == 0) {
                snprintf(buf, size, "not run");
        } else if (exit_usec == 0) {
                if (pid)
                        snprintf(buf, size, "running (pid %" PRIu32 ")", pid);
                else
                        snprintf(buf, size, "running");
        } else if (code == WHY_CLD_EXITED) {
                if (status == 0) {
                        snprintf(buf, size, "exited 0");
                } else {
                        pf_explain_brief(status, from_preflight, brief, sizeof(brief));
                        snprintf(buf, size, "exited %d: %s", (int)status, brief);
                }
        } else if (code == WHY_CLD_KILLED || code == WHY_CLD_DUMPED) {
                const char *abbrev = status > 0 && status < 65 ? sigabbrev_np(status) : NULL;
                if (abbrev)
                        snprintf(buf, size, "%s by SIG%s",
                                 code == WHY_CLD_DUMPED ? "dumped core, killed" : "killed", abbrev);
                else
                        snprintf(buf, size, "killed by signal %d", (int)status);
        } else {
                snprintf(buf, size, "ended (code %d, status %d)", (int)code, (int)status);
        }
}

static bool has_status(const int32_t *list, size_t n, int32_t value)
{
        for (size_t i = 0; i < n; i++)
                if (list[i] == value)
                        return true;
        return false;
}

static bool journal_has(const struct why_unit *u, const char *text)
{
        for (size_t i = 0; i < u->n_lines; i++)
                if (strstr(u->lines[i].text, text))
                        return true;
        return false;
}

static bool is(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

/* The first failed command of a setting ("" for any), or NULL. */
static const struct why_command *failed_command(const struct why_unit *u, const char *setting)
{
        for (size_t i = 0; i < u->n_commands; i++) {
                const struct why_command *c = &u->commands[i];
                if ((!setting[0] || is(c->setting, setting)) && why_command_failed(c))
                        return c;
        }
        return NULL;
}

static const struct why_command *command_with_status(const struct why_unit *u, int32_t status)
{
        for (size_t i = 0; i < u->n_commands; i++) {
                const struct why_command *c = &u->commands[i];
                if (c->exit_usec && c->code == WHY_CLD_EXITED && c->status == status)
                        return c;
        }
        return NULL;
}

/* The main process's status: ExecMain*, which is also ExecStart='s for a simple service. */
static bool main_exited_with(const struct why_unit *u, int32_t status)
{
        return u->exec_main_exit_usec && u->exec_main_code == WHY_CLD_EXITED &&
               u->exec_main_status == status;
}

static bool main_failed(const struct why_unit *u)
{
        return u->exec_main_exit_usec &&
               ((u->exec_main_code == WHY_CLD_EXITED && u->exec_main_status != 0) ||
                u->exec_main_code == WHY_CLD_KILLED || u->exec_main_code == WHY_CLD_DUMPED);
}

__attribute__((format(printf, 4, 5))) static void add(struct why_advice *advice, size_t max,
                                                      size_t *n, const char *fmt, ...)
{
        if (*n >= max)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(advice[*n].text, sizeof(advice[*n].text), fmt, ap);
        va_end(ap);
        (*n)++;
}

/* As a unit file would say it: "1s", "10s", "1min 30s", "1.5s", "infinity". */
static void span_text(uint64_t usec, char *buf, unsigned size)
{
        if (usec == UINT64_MAX || usec == 0)
                snprintf(buf, size, "infinity");
        else if (usec % 1000000 == 0 && usec < 60000000)
                snprintf(buf, size, "%llus", (unsigned long long)(usec / 1000000));
        else if (usec % 60000000 == 0)
                snprintf(buf, size, "%llumin", (unsigned long long)(usec / 60000000));
        else
                span_format(usec, buf, size);
}

static bool restarts(const struct why_unit *u)
{
        return u->restart[0] && !is(u->restart, "no");
}

/* 203/EXEC: what is wrong with the file, as far as preflight could see. */
static void exec_advice(const struct why_command *c, struct why_advice *advice, size_t max,
                        size_t *n)
{
        switch (c->path_state) {
        case WHY_PATH_MISSING:
                add(advice, max, n,
                    "%s= names %s, which does not exist: install it or fix the path (systemd "
                    "needs an absolute path, or one found in its own search path)",
                    c->setting, c->path);
                break;
        case WHY_PATH_NOT_EXEC:
                add(advice, max, n,
                    "%s= names %s, which is not an executable file: chmod +x %s (and mount its "
                    "filesystem without noexec)",
                    c->setting, c->path, c->path);
                break;
        case WHY_PATH_BAD_SHEBANG:
                add(advice, max, n,
                    "%s= names %s, whose #! line asks for %s, which does not exist: fix the "
                    "#! line or install the interpreter",
                    c->setting, c->path, c->interpreter);
                break;
        default:
                add(advice, max, n,
                    "systemd could not execute %s (%s=): check the path, its x bit, its #! line, "
                    "and that User= may read and run it (the journal line above has the "
                    "error)",
                    c->path, c->setting);
                break;
        }
}

/* A unit that did not load: nothing else applies. */
static bool advise_load_state(const struct why_unit *u, struct why_advice *advice, size_t max,
                              size_t *n)
{
        if (is(u->load_state, "not-found")) {
                add(advice, max, n,
                    "there is no unit file for %s: systemctl list-unit-files shows the units "
                    "there are",
                    u->name);
                return true;
        }
        if (is(u->load_state, "masked")) {
                add(advice, max, n, "%s is masked (linked to /dev/null): systemctl unmask %s",
                    u->name, u->name);
                return true;
        }
        if (is(u->load_state, "error") || is(u->load_state, "bad-setting")) {
                add(advice, max, n,
                    "the unit file could not be loaded%s%s: systemd-analyze verify %s names the "
                    "line",
                    u->load_error[0] ? " (" : "", u->load_error[0] ? u->load_error : "", u->name);
                return true;
        }
        return false;
}

/* 143 on stop: a JVM (or anything that handles SIGTERM so) stopped by systemctl stop. */
static void advise_stop_143(const struct why_unit *u, struct why_advice *advice, size_t max,
                            size_t *n)
{
        if (main_exited_with(u, 143) && !has_status(u->success_status, u->n_success_status, 143))
                add(advice, max, n,
                    "it was stopped (systemctl stop sends SIGTERM) and exits 143 on SIGTERM, as "
                    "JVMs do: add SuccessExitStatus=143");
}

/* A preflight code: its meaning and fix; permanent in ExecStartPre= or ExecStartPost=, where
 * RestartPreventExitStatus= does not apply (only to the main process), the wrapper. */
static void advise_preflight_code(const struct why_unit *u, struct why_advice *advice, size_t max,
                                  size_t *n)
{
        for (size_t i = 0; i < u->n_commands; i++) {
                const struct why_command *c = &u->commands[i];
                if (!why_command_failed(c) || !why_command_is_preflight(c) ||
                    c->code != WHY_CLD_EXITED || c->status >= 200)
                        continue;
                const struct pf_code_info *info = pf_code_lookup(c->status);
                if (!info)
                        continue;
                bool beside_main =
                    is(c->setting, "ExecStartPre") || is(c->setting, "ExecStartPost");
                if (beside_main && info->kind == PF_KIND_PERMANENT && restarts(u))
                        add(advice, max, n,
                            "a permanent failure in %s= restarts forever (Restart=%s; "
                            "RestartPreventExitStatus= sees only the main process): run the "
                            "chain as the wrapper, ExecStart=/usr/bin/preflight run NAME -- "
                            "COMMAND, with RestartPreventExitStatus=%d",
                            c->setting, u->restart, (int)c->status);
                else if (is(c->setting, "ExecStart") && info->kind == PF_KIND_PERMANENT &&
                         restarts(u) &&
                         !has_status(u->restart_prevent, u->n_restart_prevent, c->status))
                        add(advice, max, n,
                            "preflight's code %d is permanent: RestartPreventExitStatus=%d "
                            "stops the restarts (preflight exit-codes prints the whole line)",
                            (int)c->status, (int)c->status);
                if (!is(c->setting, "ExecCondition"))
                        add(advice, max, n, "%s: %s", info->meaning, info->advice);
                break;
        }
}

/* ExecCondition= exited 1-254: skipped, not failed. */
static void advise_exec_condition(const struct why_unit *u, struct why_advice *advice, size_t max,
                                  size_t *n)
{
        const struct why_command *c = failed_command(u, "ExecCondition");
        if (c && c->code == WHY_CLD_EXITED && c->status < 255)
                add(advice, max, n,
                    "ExecCondition= exited %d, so the unit was skipped, not failed: it starts "
                    "once that command exits 0",
                    (int)c->status);
}

/* What systemd could not set up before the command: 203/EXEC, 200/CHDIR, 217/USER, 216/GROUP. */
static void advise_exec_setup(const struct why_unit *u, struct why_advice *advice, size_t max,
                              size_t *n)
{
        const struct why_command *c = command_with_status(u, 203);
        if (c)
                exec_advice(c, advice, max, n);
        if (command_with_status(u, 200))
                add(advice, max, n,
                    "WorkingDirectory=%s could not be entered: create it, fix the path, or make "
                    "it searchable by User=%s (WorkingDirectory=-PATH tolerates a missing one)",
                    u->working_directory[0] ? u->working_directory : "(unset)",
                    u->user[0] ? u->user : "root");
        if (command_with_status(u, 217))
                add(advice, max, n,
                    "User=%s could not be resolved or applied: create the user (useradd, a "
                    "sysusers.d file), fix User=, or use DynamicUser=yes",
                    u->user[0] ? u->user : "(unset)");
        if (command_with_status(u, 216))
                add(advice, max, n,
                    "Group=%s could not be resolved or applied: create the group or fix Group= "
                    "and SupplementaryGroups=",
                    u->group[0] ? u->group : "(unset)");
}

/* Type=notify that never said READY=1. */
static void advise_notify(const struct why_unit *u, struct why_advice *advice, size_t max,
                          size_t *n)
{
        if (is(u->type, "notify") && is(u->result, "timeout") &&
            !journal_has(u, "stop operation timed out")) {
                char span[64];
                span_text(u->timeout_start_usec, span, sizeof(span));
                add(advice, max, n,
                    "Type=notify, and it never sent READY=1 within TimeoutStartSec=%s: the "
                    "service must call sd_notify(\"READY=1\"); NotifyAccess=%s%s; raise "
                    "TimeoutStartSec= if it is only slow, or use Type=exec if it cannot notify",
                    span, u->notify_access[0] ? u->notify_access : "main",
                    is(u->notify_access, "all") ? " lets every process of the unit send it"
                                                : " takes it from the main process only (a "
                                                  "child or script sending it needs "
                                                  "NotifyAccess=all)");
        }
}

/* Type=forking whose PID file never came, or whose first process never exited. */
static void advise_forking(const struct why_unit *u, struct why_advice *advice, size_t max,
                           size_t *n)
{
        if (is(u->type, "forking") && u->pid_file[0] &&
            (journal_has(u, "Can't open PID file") ||
             ((is(u->result, "protocol") || is(u->result, "timeout")) && u->exec_main_pid == 0)))
                add(advice, max, n,
                    "Type=forking, and the PID file PIDFile=%s never appeared: make the daemon "
                    "write it where PIDFile= says (its own pid-file option), or drop PIDFile= "
                    "and let systemd guess the main process",
                    u->pid_file);
        else if (is(u->type, "forking") && is(u->result, "timeout"))
                add(advice, max, n,
                    "Type=forking, and the start did not finish within TimeoutStartSec=: the "
                    "first process must exit once the daemon is ready");
}

/* Ended from outside: the OOM killer, the watchdog, a crash, SIGKILL. */
static void advise_kernel(const struct why_unit *u, struct why_advice *advice, size_t max,
                          size_t *n)
{
        if (is(u->result, "oom-kill"))
                add(advice, max, n,
                    "the kernel's OOM killer ended a process of the unit: raise MemoryMax= (or "
                    "the host's memory), or find what grows (journalctl -k)");
        if (is(u->result, "watchdog"))
                add(advice, max, n,
                    "WatchdogSec= passed without a WATCHDOG=1 keep-alive from the service");
        if (is(u->result, "core-dump") || is(u->result, "signal")) {
                if (u->exec_main_code == WHY_CLD_DUMPED || is(u->result, "core-dump"))
                        add(advice, max, n,
                            "it crashed: coredumpctl info %s shows the core dump (with "
                            "systemd-coredump installed)",
                            u->name);
                else if (u->exec_main_code == WHY_CLD_KILLED && u->exec_main_status == SIGKILL)
                        add(advice, max, n,
                            "SIGKILL: the OOM killer (journalctl -k), TimeoutStopSec= passing, or "
                            "kill -9");
        }
}

/* A start limit keeps the unit down even once the cause is fixed: after the cause's advice. */
static void advise_start_limit(const struct why_unit *u, struct why_advice *advice, size_t max,
                               size_t *n)
{
        /* On systemd 252 a hit after failed runs leaves Result=exit-code: the manager's journal
         * line tells. */
        if (is(u->result, "start-limit-hit") ||
            journal_has(u, "Start request repeated too quickly")) {
                char span2[64];
                span_text(u->start_limit_interval_usec, span2, sizeof(span2));
                add(advice, max, n,
                    "start-limit-hit: it was started %" PRIu32 " times within "
                    "StartLimitIntervalSec=%s (StartLimitBurst=%" PRIu32 ") and systemd gave up; "
                    "fix the cause, then systemctl reset-failed %s%s; raise StartLimitBurst= or "
                    "RestartSec= only if the restarts are expected",
                    u->start_limit_burst, span2, u->start_limit_burst,
                    u->user_manager ? "--user " : "", u->name);
        }
}

/* Conditions and asserts that did not hold: the manager's own result, or (for a unit collected
 * since, whose conditions read as untested) its journal line and preflight's own look at the
 * path conditions. */
static void advise_conditions(const struct why_unit *u, struct why_advice *advice, size_t max,
                              size_t *n)
{
        if ((u->condition_timestamp && !u->condition_result) || u->skipped_by_condition) {
                bool named = false;
                if (u->skip_condition[0]) {
                        add(advice, max, n,
                            "skipped, not failed: %s was not met (the unit starts once it holds)",
                            u->skip_condition);
                        named = true;
                }
                for (size_t i = 0; !named && i < u->n_conditions; i++) {
                        const struct why_condition *k = &u->conditions[i];
                        if (k->assert || k->state >= 0)
                                continue;
                        add(advice, max, n,
                            "skipped, not failed: %s=%s%s%s was not met%s%s (the unit starts "
                            "once it holds)",
                            k->type, k->trigger ? "|" : "", k->negate ? "!" : "", k->parameter,
                            k->trigger ? " (nor any other triggering condition)" : "",
                            k->checked_now ? " (as preflight sees it now)" : "");
                        named = true;
                        break;
                }
                if (!named)
                        add(advice, max, n,
                            "skipped, not failed: a Condition*= setting was not met (systemctl "
                            "show -p Conditions %s)",
                            u->name);
        }
        if (u->assert_timestamp && !u->assert_result) {
                for (size_t i = 0; i < u->n_conditions; i++) {
                        const struct why_condition *k = &u->conditions[i];
                        if (!k->assert || k->state >= 0)
                                continue;
                        add(advice, max, n, "failed: %s=%s%s%s does not hold", k->type,
                            k->trigger ? "|" : "", k->negate ? "!" : "", k->parameter);
                        break;
                }
        }
}

typedef void advice_rule(const struct why_unit *u, struct why_advice *advice, size_t max,
                         size_t *n);

/* In the order the advice is shown: the cause first, the start limit after it. */
static advice_rule *const advice_rules[] = {
    advise_stop_143, advise_preflight_code, advise_exec_condition, advise_exec_setup, advise_notify,
    advise_forking,  advise_kernel,         advise_start_limit,    advise_conditions,
};

size_t why_advise(const struct why_unit *u, struct why_advice *advice, size_t max)
{
        size_t n = 0;
        if (advise_load_state(u, advice, max, &n))
                return n;
        for (size_t i = 0; i < sizeof(advice_rules) / sizeof(advice_rules[0]); i++)
                advice_rules[i](u, advice, max, &n);
        if (n > 0)
                return n;
        /* Nothing specific: the failing status, and where to look. */
        const struct why_command *c = failed_command(u, "");
        if (c && !c->ignore_failure && c->code == WHY_CLD_EXITED)
                add(advice, max, &n,
                    "%s= exited %d: the journal lines above are its own words; "
                    "preflight explain %d",
                    c->setting, (int)c->status, (int)c->status);
        else if (is(u->active_state, "failed") && is(u->result, "timeout"))
                add(advice, max, &n,
                    "a step did not finish in time (TimeoutStartSec=, TimeoutStopSec=)");
        return n;
}

void why_state_line(const struct why_unit *u, char *buf, size_t size)
{
        int w = 0;
        if (is(u->load_state, "loaded") || !u->load_state[0])
                w = snprintf(buf, size, "%s", u->active_state);
        else
                w = snprintf(buf, size, "%s, %s", u->load_state, u->active_state);
        if (w < 0 || (size_t)w >= size)
                return;
        if (u->sub_state[0] && !is(u->sub_state, u->active_state) &&
            !(is(u->active_state, "failed") && is(u->sub_state, "failed")))
                w += snprintf(buf + w, size - (size_t)w, " (%s)", u->sub_state);
        if ((size_t)w < size && u->is_service && u->result[0])
                w += snprintf(buf + w, size - (size_t)w, " (Result: %s)", u->result);
        if ((size_t)w < size && u->is_service)
                snprintf(buf + w, size - (size_t)w, ", %" PRIu32 " restart%s", u->n_restarts,
                         u->n_restarts == 1 ? "" : "s");
}

/* Cuts text at the first ": " at or after from: the reason is the headline, not the advice. */
static void headline(char *text, size_t from)
{
        if (strlen(text) <= from)
                return;
        char *colon = strstr(text + from, ": ");
        if (colon)
                *colon = '\0';
}

void why_reason(const struct why_unit *u, char *buf, size_t size)
{
        struct why_advice advice[WHY_MAX_ADVICE];
        size_t n = why_advise(u, advice, WHY_MAX_ADVICE);
        const struct why_command *c = failed_command(u, "");
        char status[400];
        if (c && c->code == WHY_CLD_EXITED) {
                why_format_status(c->code, c->status, c->start_usec, c->exit_usec, c->pid,
                                  why_command_is_preflight(c), status, sizeof(status));
                /* "exited 203: systemd EXEC, could not execute the command" */
                const char *colon = strstr(status, ": ");
                if (colon)
                        headline(status, (size_t)(colon - status) + 2);
                snprintf(buf, size, "%s= %s", c->setting, status);
        } else if (n > 0) {
                snprintf(buf, size, "%s", advice[0].text);
                headline(buf, 0);
        } else if (c) {
                why_format_status(c->code, c->status, c->start_usec, c->exit_usec, c->pid, false,
                                  status, sizeof(status));
                snprintf(buf, size, "%s= %s", c->setting, status);
        } else if (main_failed(u)) {
                why_format_status(u->exec_main_code, u->exec_main_status, 1, u->exec_main_exit_usec,
                                  u->exec_main_pid, false, status, sizeof(status));
                snprintf(buf, size, "main process %s", status);
        } else {
                snprintf(buf, size, "Result: %s", u->result[0] ? u->result : u->active_state);
        }
        /* A start limit hides behind the first cause: say it too. */
        if ((is(u->result, "start-limit-hit") ||
             journal_has(u, "Start request repeated too quickly")) &&
            !strstr(buf, "start-limit-hit")) {
                size_t len = strlen(buf);
                snprintf(buf + len, size - len, "; then start-limit-hit");
        }
}

/* The manager's own lines worth showing: its warnings and errors about the unit, except the
 * ones the state line already says, and the few info lines that name a cause. */
bool why_manager_line_wanted(int priority, const char *text)
{
        /* The state line says these. */
        if (strncmp(text, "Failed with result", 18) == 0 ||
            strncmp(text, "Failed to start ", 16) == 0)
                return false;
        if (priority <= 4)
                return true;
        return strncmp(text, "Can't open PID file", 19) == 0 ||
               strncmp(text, "Condition check resulted in", 27) == 0 ||
               strstr(text, "because of an unmet condition check") != NULL ||
               strstr(text, "Start request repeated too quickly") != NULL ||
               strncmp(text, "Failed to", 9) == 0;
}
