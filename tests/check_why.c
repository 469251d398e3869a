/* Unit tests of `preflight why` on synthetic units (unit/why/advice.c, output.c): unit names,
 * statuses explained with explain's words, each advice rule, the one-line reasons, and the
 * human and JSON reports. No bus, no journal: tests/systemd/test_systemd_why.sh has the real ones.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/exitcodes.h"
#include "unit/why/why.h"

Suite *suite_why(void);

static struct why_unit unit;

/* A loaded, failed service with nothing else set. */
static struct why_unit *service(const char *name)
{
        memset(&unit, 0, sizeof(unit));
        snprintf(unit.name, sizeof(unit.name), "%s", name);
        snprintf(unit.load_state, sizeof(unit.load_state), "loaded");
        snprintf(unit.active_state, sizeof(unit.active_state), "failed");
        snprintf(unit.sub_state, sizeof(unit.sub_state), "failed");
        snprintf(unit.result, sizeof(unit.result), "exit-code");
        snprintf(unit.type, sizeof(unit.type), "simple");
        snprintf(unit.restart, sizeof(unit.restart), "no");
        snprintf(unit.invocation_id, sizeof(unit.invocation_id),
                 "0123456789abcdef0123456789abcdef");
        unit.is_service = true;
        unit.start_limit_burst = 5;
        unit.start_limit_interval_usec = 10000000;
        unit.timeout_start_usec = 90000000;
        unit.journal_read = true;
        return &unit;
}

/* Adds a command that ran and ended: code CLD_EXITED with status, or CLD_KILLED with a signal. */
static struct why_command *command(struct why_unit *u, const char *setting, const char *line,
                                   int32_t code, int32_t status)
{
        struct why_command *c = &u->commands[u->n_commands++];
        memset(c, 0, sizeof(*c));
        snprintf(c->setting, sizeof(c->setting), "%s", setting);
        snprintf(c->line, sizeof(c->line), "%s", line);
        snprintf(c->path, sizeof(c->path), "%.*s", (int)strcspn(line, " "), line);
        c->start_usec = 1000;
        c->exit_usec = 2000;
        c->pid = 100 + (uint32_t)u->n_commands;
        c->code = code;
        c->status = status;
        return c;
}

static void main_process(struct why_unit *u, int32_t code, int32_t status)
{
        u->exec_main_pid = 4242;
        u->exec_main_code = code;
        u->exec_main_status = status;
        u->exec_main_exit_usec = 3000;
}

static void journal_line(struct why_unit *u, bool manager, int priority, const char *text)
{
        struct why_line *l = &u->lines[u->n_lines++];
        l->manager = manager;
        l->priority = priority;
        snprintf(l->text, sizeof(l->text), "%s", text);
}

/* All the advice, joined with " | ". */
static const char *advice_text(const struct why_unit *u)
{
        static char text[WHY_MAX_ADVICE * WHY_TEXT * 2 + 64];
        struct why_advice advice[WHY_MAX_ADVICE];
        size_t n = why_advise(u, advice, WHY_MAX_ADVICE);
        text[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (i)
                        strcat(text, " | ");
                strcat(text, advice[i].text);
        }
        return text;
}

#define ck_assert_contains(haystack, needle)                                                       \
        ck_assert_msg(strstr((haystack), (needle)) != NULL, "'%s' not in: %s", (needle), (haystack))
#define ck_assert_lacks(haystack, needle)                                                          \
        ck_assert_msg(strstr((haystack), (needle)) == NULL, "'%s' in: %s", (needle), (haystack))

START_TEST(test_unit_names)
{
        char name[256];
        ck_assert(why_unit_name("zookeeper", name, sizeof(name)));
        ck_assert_str_eq(name, "zookeeper.service");
        ck_assert(why_unit_name("nginx.service", name, sizeof(name)));
        ck_assert_str_eq(name, "nginx.service");
        ck_assert(why_unit_name("backup.timer", name, sizeof(name)));
        ck_assert_str_eq(name, "backup.timer");
        ck_assert(why_unit_name("getty@tty1", name, sizeof(name)));
        ck_assert_str_eq(name, "getty@tty1.service");
        ck_assert(why_unit_name("my.app", name, sizeof(name)));
        ck_assert_str_eq(name, "my.app.service");
        ck_assert(!why_unit_name("", name, sizeof(name)));
        ck_assert(!why_unit_name("a/b", name, sizeof(name)));
        ck_assert(!why_unit_name("-x", name, sizeof(name)));
        ck_assert(!why_unit_name("a b", name, sizeof(name)));
        ck_assert(!why_unit_name("a\x1b[2J", name, sizeof(name)));
        char long_name[300];
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        ck_assert(!why_unit_name(long_name, name, sizeof(name)));
}
END_TEST

static const struct {
        int32_t code, status;
        bool preflight;
        const char *expected;
} statuses[] = {
    {WHY_CLD_EXITED, 0, false, "exited 0"},
    {WHY_CLD_EXITED, 143, false, "exited 143: 128+15, killed by SIGTERM"},
    {WHY_CLD_EXITED, 43, true,
     "exited 43: preflight redis: denied (NOAUTH, WRONGPASS, NOPERM), permanent"},
    {WHY_CLD_EXITED, 20, true, "exited 20: preflight port: in use, transient"},
    {WHY_CLD_EXITED, 43, false, "exited 43: the program's own code"},
    {WHY_CLD_EXITED, 1, true, "exited 1: preflight: internal error"},
    {WHY_CLD_EXITED, 1, false, "exited 1: LSB FAILURE, generic or unspecified error"},
    {WHY_CLD_EXITED, 6, false, "exited 6: LSB NOTCONFIGURED, program is not configured"},
    {WHY_CLD_EXITED, 78, false, "exited 78: EX_CONFIG (sysexits.h), configuration error"},
    {WHY_CLD_EXITED, 203, true, "exited 203: systemd EXEC, could not execute the command"},
    {WHY_CLD_EXITED, 200, false,
     "exited 200: systemd CHDIR, could not change to WorkingDirectory="},
    {WHY_CLD_EXITED, 217, false, "exited 217: systemd USER"},
    {WHY_CLD_EXITED, 127, false, "exited 127: command not found"},
    {WHY_CLD_EXITED, 255, false, "exited 255: exit(-1)"},
    {WHY_CLD_KILLED, SIGKILL, false, "killed by SIGKILL"},
    {WHY_CLD_KILLED, SIGTERM, false, "killed by SIGTERM"},
    {WHY_CLD_DUMPED, SIGSEGV, false, "dumped core, killed by SIGSEGV"},
};

START_TEST(test_statuses)
{
        char buf[400];
        why_format_status(statuses[_i].code, statuses[_i].status, 1000, 2000, 7,
                          statuses[_i].preflight, buf, sizeof(buf));
        ck_assert_msg(strncmp(buf, statuses[_i].expected, strlen(statuses[_i].expected)) == 0,
                      "status %d: '%s', expected '%s...'", (int)statuses[_i].status, buf,
                      statuses[_i].expected);
}
END_TEST

START_TEST(test_status_not_ended)
{
        char buf[200];
        why_format_status(0, 0, 0, 0, 0, false, buf, sizeof(buf));
        ck_assert_str_eq(buf, "not run");
        why_format_status(0, 0, 1000, 0, 77, false, buf, sizeof(buf));
        ck_assert_str_eq(buf, "running (pid 77)");
}
END_TEST

/* explain and why use the same words: each code's meaning from the table, in both. */
START_TEST(test_same_words_as_explain)
{
        size_t n;
        const struct pf_code_info *table = pf_code_table(&n);
        for (size_t i = 0; i < n; i++) {
                if (table[i].code <= 1)
                        continue;
                char brief[400], *text = NULL;
                size_t size = 0;
                pf_explain_brief(table[i].code, true, brief, sizeof(brief));
                FILE *f = open_memstream(&text, &size);
                ck_assert_ptr_nonnull(f);
                pf_explain(f, table[i].code);
                fclose(f);
                ck_assert_contains(brief, table[i].meaning);
                ck_assert_contains(text, table[i].meaning);
                free(text);
        }
}
END_TEST

START_TEST(test_advice_143)
{
        struct why_unit *u = service("zookeeper.service");
        command(u, "ExecStart", "/opt/zk/bin/java -jar zk.jar", WHY_CLD_EXITED, 143);
        main_process(u, WHY_CLD_EXITED, 143);
        ck_assert_contains(advice_text(u), "add SuccessExitStatus=143");
        ck_assert_contains(advice_text(u), "systemctl stop");
        u->success_status[u->n_success_status++] = 143;
        ck_assert_lacks(advice_text(u), "SuccessExitStatus=143");
}
END_TEST

START_TEST(test_advice_permanent_start_pre)
{
        struct why_unit *u = service("myapp.service");
        snprintf(u->restart, sizeof(u->restart), "on-failure");
        snprintf(u->active_state, sizeof(u->active_state), "activating");
        snprintf(u->sub_state, sizeof(u->sub_state), "auto-restart");
        u->n_restarts = 14;
        command(u, "ExecStartPre", "/usr/bin/preflight run myapp", WHY_CLD_EXITED, 43);
        const char *text = advice_text(u);
        ck_assert_contains(text, "a permanent failure in ExecStartPre= restarts forever");
        ck_assert_contains(text, "RestartPreventExitStatus= sees only the main process");
        ck_assert_contains(text, "ExecStart=/usr/bin/preflight run NAME -- COMMAND");
        ck_assert_contains(text, "give the right password"); /* the code's own advice */
        char state[200];
        why_state_line(u, state, sizeof(state));
        ck_assert_str_eq(state, "activating (auto-restart) (Result: exit-code), 14 restarts");

        /* Without Restart= there is no loop to stop: the code's advice only. */
        snprintf(u->restart, sizeof(u->restart), "no");
        ck_assert_lacks(advice_text(u), "restarts forever");
        ck_assert_contains(advice_text(u), "give the right password");

        /* A transient code (a port in use) is no loop to stop either. */
        snprintf(u->restart, sizeof(u->restart), "always");
        u->commands[0].status = 20;
        ck_assert_lacks(advice_text(u), "restarts forever");

        /* The same code from a program that is not preflight means nothing to preflight. */
        u->commands[0].status = 43;
        snprintf(u->commands[0].path, sizeof(u->commands[0].path), "/usr/bin/check-redis");
        ck_assert_lacks(advice_text(u), "restarts forever");
}
END_TEST

START_TEST(test_advice_wrapper_without_restart_prevent)
{
        struct why_unit *u = service("myapp.service");
        snprintf(u->restart, sizeof(u->restart), "on-failure");
        command(u, "ExecStart", "/usr/bin/preflight run myapp -- /usr/bin/myapp", WHY_CLD_EXITED,
                11);
        ck_assert_contains(advice_text(u), "RestartPreventExitStatus=11 stops the restarts");
        u->restart_prevent[u->n_restart_prevent++] = 11;
        ck_assert_lacks(advice_text(u), "stops the restarts");
}
END_TEST

START_TEST(test_advice_exec)
{
        struct why_unit *u = service("app.service");
        struct why_command *c =
            command(u, "ExecStart", "/opt/app/bin/app --serve", WHY_CLD_EXITED, 203);
        c->path_state = WHY_PATH_MISSING;
        ck_assert_contains(advice_text(u),
                           "ExecStart= names /opt/app/bin/app, which does not exist");
        c->path_state = WHY_PATH_NOT_EXEC;
        ck_assert_contains(advice_text(u), "chmod +x /opt/app/bin/app");
        c->path_state = WHY_PATH_BAD_SHEBANG;
        snprintf(c->interpreter, sizeof(c->interpreter), "/usr/bin/python2");
        ck_assert_contains(advice_text(u), "#! line asks for /usr/bin/python2");
        c->path_state = WHY_PATH_UNKNOWN;
        ck_assert_contains(advice_text(u), "its x bit, its #! line");
        char reason[400];
        why_reason(u, reason, sizeof(reason));
        ck_assert_str_eq(reason,
                         "ExecStart= exited 203: systemd EXEC, could not execute the command");
}
END_TEST

START_TEST(test_advice_chdir_user)
{
        struct why_unit *u = service("app.service");
        snprintf(u->working_directory, sizeof(u->working_directory), "/srv/app");
        snprintf(u->user, sizeof(u->user), "app");
        command(u, "ExecStart", "/bin/true", WHY_CLD_EXITED, 200);
        ck_assert_contains(advice_text(u), "WorkingDirectory=/srv/app could not be entered");
        ck_assert_contains(advice_text(u), "User=app");
        u->commands[0].status = 217;
        ck_assert_contains(advice_text(u), "User=app could not be resolved");
        ck_assert_contains(advice_text(u), "useradd");
        ck_assert_lacks(advice_text(u), "WorkingDirectory=");
}
END_TEST

START_TEST(test_advice_notify)
{
        struct why_unit *u = service("app.service");
        snprintf(u->type, sizeof(u->type), "notify");
        snprintf(u->result, sizeof(u->result), "timeout");
        snprintf(u->notify_access, sizeof(u->notify_access), "main");
        u->timeout_start_usec = 1000000;
        command(u, "ExecStart", "/usr/bin/app", WHY_CLD_KILLED, SIGTERM);
        const char *text = advice_text(u);
        ck_assert_contains(text, "never sent READY=1 within TimeoutStartSec=1s");
        ck_assert_contains(text, "NotifyAccess=main takes it from the main process only");
        u->timeout_start_usec = 90000000;
        ck_assert_contains(advice_text(u), "TimeoutStartSec=1min 30s");
        snprintf(u->notify_access, sizeof(u->notify_access), "all");
        ck_assert_contains(advice_text(u), "NotifyAccess=all lets every process");
        /* A stop that timed out is not a missing READY=1. */
        journal_line(u, true, 4, "State 'stop-sigterm' timed out. stop operation timed out.");
        ck_assert_lacks(advice_text(u), "READY=1");
        char reason[400];
        u->n_lines = 0;
        why_reason(u, reason, sizeof(reason));
        ck_assert_str_eq(reason,
                         "Type=notify, and it never sent READY=1 within TimeoutStartSec=1min 30s");
}
END_TEST

START_TEST(test_advice_pid_file)
{
        struct why_unit *u = service("legacy.service");
        snprintf(u->type, sizeof(u->type), "forking");
        snprintf(u->result, sizeof(u->result), "timeout");
        snprintf(u->pid_file, sizeof(u->pid_file), "/run/legacy.pid");
        command(u, "ExecStart", "/usr/sbin/legacyd", WHY_CLD_EXITED, 0);
        ck_assert_contains(advice_text(u), "PIDFile=/run/legacy.pid never appeared");
        snprintf(u->result, sizeof(u->result), "success");
        ck_assert_lacks(advice_text(u), "PIDFile=");
        journal_line(
            u, true, 6,
            "Can't open PID file /run/legacy.pid (yet?) after start: No such file or directory");
        ck_assert_contains(advice_text(u), "PIDFile=/run/legacy.pid never appeared");
}
END_TEST

START_TEST(test_advice_start_limit)
{
        /* systemd 252: a start limit hit after failed runs leaves Result=exit-code. */
        struct why_unit *u = service("flaky.service");
        snprintf(u->restart, sizeof(u->restart), "always");
        u->start_limit_burst = 2;
        u->n_restarts = 2;
        command(u, "ExecStart", "/bin/false", WHY_CLD_EXITED, 1);
        ck_assert_lacks(advice_text(u), "start-limit-hit");
        journal_line(u, true, 4, "Start request repeated too quickly.");
        const char *text = advice_text(u);
        ck_assert_contains(text, "start-limit-hit");
        ck_assert_contains(text, "StartLimitIntervalSec=10s (StartLimitBurst=2)");
        ck_assert_contains(text, "systemctl reset-failed flaky.service");
        char reason[400];
        why_reason(u, reason, sizeof(reason));
        ck_assert_str_eq(reason, "ExecStart= exited 1: LSB FAILURE, generic or unspecified error; "
                                 "then start-limit-hit");
        /* The result says it where systemd does. */
        u->n_lines = 0;
        snprintf(u->result, sizeof(u->result), "start-limit-hit");
        u->user_manager = true;
        ck_assert_contains(advice_text(u), "systemctl reset-failed --user flaky.service");
}
END_TEST

START_TEST(test_advice_conditions)
{
        struct why_unit *u = service("opt.service");
        snprintf(u->active_state, sizeof(u->active_state), "inactive");
        snprintf(u->sub_state, sizeof(u->sub_state), "dead");
        snprintf(u->result, sizeof(u->result), "success");
        struct why_condition *k = &u->conditions[u->n_conditions++];
        snprintf(k->type, sizeof(k->type), "ConditionPathExists");
        snprintf(k->parameter, sizeof(k->parameter), "/etc/opt.conf");
        k->state = -1;
        ck_assert_str_eq(advice_text(u), ""); /* never tested: nothing to say */
        u->condition_timestamp = 1000;
        u->condition_result = false;
        ck_assert_contains(advice_text(u),
                           "skipped, not failed: ConditionPathExists=/etc/opt.conf was not met");
        k->negate = true;
        ck_assert_contains(advice_text(u), "ConditionPathExists=!/etc/opt.conf");
        /* A collected unit: the journal's line names the condition. */
        u->condition_timestamp = 0;
        u->skipped_by_condition = true;
        snprintf(u->skip_condition, sizeof(u->skip_condition), "ConditionPathExists=/etc/opt.conf");
        ck_assert_contains(advice_text(u),
                           "skipped, not failed: ConditionPathExists=/etc/opt.conf was not met");
        /* An assert fails the start. */
        memset(&u->skip_condition, 0, sizeof(u->skip_condition));
        u->skipped_by_condition = false;
        k->assert = true;
        k->negate = false;
        snprintf(k->type, sizeof(k->type), "AssertPathExists");
        u->assert_timestamp = 1000;
        ck_assert_contains(advice_text(u), "failed: AssertPathExists=/etc/opt.conf does not hold");
}
END_TEST

START_TEST(test_advice_exec_condition)
{
        struct why_unit *u = service("opt.service");
        snprintf(u->result, sizeof(u->result), "exec-condition");
        command(u, "ExecCondition", "/usr/bin/preflight port 8080", WHY_CLD_EXITED, 20);
        ck_assert_contains(advice_text(u), "ExecCondition= exited 20, so the unit was skipped");
}
END_TEST

START_TEST(test_advice_load_states)
{
        struct why_unit *u = service("gone.service");
        snprintf(u->load_state, sizeof(u->load_state), "masked");
        ck_assert_contains(advice_text(u), "systemctl unmask gone.service");
        snprintf(u->load_state, sizeof(u->load_state), "bad-setting");
        snprintf(u->load_error, sizeof(u->load_error), "Unit has a bad setting");
        ck_assert_contains(advice_text(u), "systemd-analyze verify gone.service");
        ck_assert_contains(advice_text(u), "Unit has a bad setting");
        char state[200];
        why_state_line(u, state, sizeof(state));
        ck_assert_str_eq(state, "bad-setting, failed (Result: exit-code), 0 restarts");
}
END_TEST

START_TEST(test_manager_lines)
{
        ck_assert(!why_manager_line_wanted(4, "Failed with result 'exit-code'."));
        ck_assert(!why_manager_line_wanted(3, "Failed to start myapp.service - My app."));
        ck_assert(why_manager_line_wanted(4, "Start request repeated too quickly."));
        ck_assert(why_manager_line_wanted(6, "Can't open PID file /run/x.pid (yet?) after start: "
                                             "No such file or directory"));
        ck_assert(why_manager_line_wanted(
            6, "x.service - X was skipped because of an unmet condition check "
               "(ConditionPathExists=/x)."));
        ck_assert(!why_manager_line_wanted(6, "Started myapp.service - My app."));
        ck_assert(
            !why_manager_line_wanted(5, "Main process exited, code=exited, status=1/FAILURE"));
}
END_TEST

static char *print_report(const struct why_unit *u, bool json)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        ck_assert_ptr_nonnull(f);
        if (json)
                why_print_json(f, u);
        else
                why_print(f, u);
        fclose(f);
        return text;
}

/* The first example, as it comes out. */
START_TEST(test_report_forking_143)
{
        struct why_unit *u = service("zookeeper.service");
        snprintf(u->type, sizeof(u->type), "forking");
        command(u, "ExecStart", "/opt/zookeeper/bin/zkServer.sh start", WHY_CLD_EXITED, 0);
        main_process(u, WHY_CLD_EXITED, 143);
        snprintf(u->main_comm, sizeof(u->main_comm), "java");
        char *text = print_report(u, false);
        ck_assert_str_eq(
            text, "zookeeper.service: failed (Result: exit-code), 0 restarts\n"
                  "  ExecStart=/opt/zookeeper/bin/zkServer.sh start    exited 0\n"
                  "  main process 4242 (java)                          exited 143: 128+15, "
                  "killed by SIGTERM\n"
                  "  \xe2\x86\x92 it was stopped (systemctl stop sends SIGTERM) and exits 143 "
                  "on SIGTERM, as JVMs do: add\n"
                  "    SuccessExitStatus=143\n");
        free(text);
}
END_TEST

START_TEST(test_report_journal_lines_safe)
{
        struct why_unit *u = service("myapp.service");
        command(u, "ExecStartPre", "/usr/bin/preflight run myapp", WHY_CLD_EXITED, 43);
        journal_line(u, false, 3, "FAIL redis 127.0.0.1:6379 WRONGPASS \x1b[2J\"quoted\" [43]");
        journal_line(u, true, 4, "Start request repeated too quickly.");
        u->lines_dropped = 3;
        char *text = print_report(u, false);
        ck_assert_contains(
            text, "    journal: FAIL redis 127.0.0.1:6379 WRONGPASS \\x1b[2J\"quoted\" [43]\n");
        ck_assert_contains(text, "    systemd: Start request repeated too quickly.\n");
        ck_assert_contains(text, "(3 earlier lines not shown: journalctl -p warning "
                                 "_SYSTEMD_INVOCATION_ID=0123456789abcdef0123456789abcdef)");
        ck_assert_lacks(text, "\x1b");
        free(text);

        text = print_report(u, true);
        ck_assert_contains(text, "{\"unit\":\"myapp.service\",\"load_state\":\"loaded\"");
        ck_assert_contains(
            text, "\"setting\":\"ExecStartPre\",\"command\":\"/usr/bin/preflight run myapp\"");
        ck_assert_contains(text, "\"code\":\"exited\",\"status\":43");
        ck_assert_contains(
            text,
            "\"message\":\"FAIL redis 127.0.0.1:6379 WRONGPASS \\u001b[2J\\\"quoted\\\" [43]\"");
        ck_assert_contains(text, "\"source\":\"manager\"");
        ck_assert_contains(text, "\"journal_dropped\":3");
        ck_assert_contains(text, "\"reason\":\"ExecStartPre= exited 43: preflight redis");
        ck_assert_contains(text, "\"main_process\":null");
        ck_assert_lacks(text, "\x1b");
        /* One line: JSON Lines. */
        ck_assert_ptr_eq(strchr(text, '\n'), text + strlen(text) - 1);
        free(text);
}
END_TEST

START_TEST(test_report_long_command)
{
        struct why_unit *u = service("long.service");
        char line[400] = "/usr/bin/app";
        while (strlen(line) < 300)
                strcat(line, " --flag");
        command(u, "ExecStart", line, WHY_CLD_EXITED, 1);
        command(u, "ExecStopPost", "/bin/cleanup", WHY_CLD_EXITED, 1)->ignore_failure = true;
        char *text = print_report(u, false);
        ck_assert_contains(text, "...  exited 1: LSB FAILURE");
        ck_assert_contains(text, "ExecStopPost=-/bin/cleanup ");
        ck_assert_contains(
            text, "exited 1: LSB FAILURE, generic or unspecified error (ignored: '-' prefix)");
        free(text);
}
END_TEST

Suite *suite_why(void)
{
        Suite *s = suite_create("why");
        TCase *tc = tcase_create("why");
        tcase_add_test(tc, test_unit_names);
        tcase_add_loop_test(tc, test_statuses, 0, sizeof(statuses) / sizeof(statuses[0]));
        tcase_add_test(tc, test_status_not_ended);
        tcase_add_test(tc, test_same_words_as_explain);
        tcase_add_test(tc, test_advice_143);
        tcase_add_test(tc, test_advice_permanent_start_pre);
        tcase_add_test(tc, test_advice_wrapper_without_restart_prevent);
        tcase_add_test(tc, test_advice_exec);
        tcase_add_test(tc, test_advice_chdir_user);
        tcase_add_test(tc, test_advice_notify);
        tcase_add_test(tc, test_advice_pid_file);
        tcase_add_test(tc, test_advice_start_limit);
        tcase_add_test(tc, test_advice_conditions);
        tcase_add_test(tc, test_advice_exec_condition);
        tcase_add_test(tc, test_advice_load_states);
        tcase_add_test(tc, test_manager_lines);
        tcase_add_test(tc, test_report_forking_143);
        tcase_add_test(tc, test_report_journal_lines_safe);
        tcase_add_test(tc, test_report_long_command);
        suite_add_tcase(s, tc);
        return s;
}
