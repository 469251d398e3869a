/* Unit tests of the exec check through its struct check (options, the command's words and how
 * they are shown, the verdict on real processes) and of spawn_run() (the capture bound, the
 * deadline, what is left behind). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks/exec/exec.h"
#include "core/chainfile.h"
#include "core/check.h"
#include "core/clock.h"
#include "tests/slack.h"

Suite *suite_exec(void);

extern const struct check check_exec;

static union {
        /* never read: it aligns bytes for any config struct */
        // cppcheck-suppress unusedStructMember
        max_align_t align;
        unsigned char bytes[512];
} config;

static void fresh_config(void)
{
        ck_assert_uint_le(check_exec.config_size, sizeof(config.bytes));
        memset(&config, 0, sizeof(config));
        check_exec.init(&config);
}

static int set_option(const char *name, const char *value, struct pf_error *err)
{
        for (unsigned i = 0; check_exec.options[i].long_name; i++)
                if (strcmp(check_exec.options[i].long_name, name) == 0)
                        return check_exec.parse_option(&config, i, value, err);
        ck_abort_msg("no option --%s", name);
        return -1;
}

/* Parses command, runs it once with a deadline timeout_ms away, and returns the result. */
static struct check_result run_command(const char *command, unsigned timeout_ms)
{
        struct pf_error err = {0};
        struct chainfile_line target;
        char shown[TARGET_SHOWN_SIZE];
        ck_assert_uint_eq(check_exec.target_size, sizeof(target));
        ck_assert_msg(check_exec.parse_target(&config, command, &target, shown, &err) == PF_OK,
                      "%s: %s", command, err.msg);
        struct check_result res = {0};
        struct attempt attempt = {.number = 1, .deadline_us = deadline_after(timeout_ms * 1000ULL)};
        check_exec.run(&config, &target, &attempt, &res);
        check_exec.release_target(&target);
        return res;
}

START_TEST(exit_lists_parse)
{
        static const struct {
                const char *list;
                int status;
                int code;
        } cases[] = {
            {"0", 0, PF_OK},
            {"3", 3, PF_OK},
            {"0-2,5", 5, PF_OK},
            {"0-2,5", 3, PF_EXEC_CMD_FAILED},
            {"255", 255, PF_OK},
            {"0-255", 77, PF_OK},
            {"1", 0, PF_EXEC_CMD_FAILED},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct pf_error err = {0};
                char command[64];
                fresh_config();
                ck_assert_int_eq(set_option("expect-exit", cases[i].list, &err), PF_OK);
                snprintf(command, sizeof(command), "sh -c 'exit %d'", cases[i].status);
                struct check_result res = run_command(command, 5000);
                ck_assert_msg(res.code == cases[i].code, "%s with exit %d: %d %s", cases[i].list,
                              cases[i].status, res.code, res.message);
        }
}
END_TEST

START_TEST(bad_exit_lists_are_refused)
{
        static const char *const bad[] = {"",   "x",  "256",  "-1", "1-",    "-",    "5-3",
                                          "0,", ",0", "0,,1", "1 ", "01234", "1-2-3"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct pf_error err = {0};
                fresh_config();
                ck_assert_msg(set_option("expect-exit", bad[i], &err) == PF_USAGE, "'%s'", bad[i]);
                ck_assert_ptr_nonnull(strstr(err.msg, "--expect-exit"));
        }
}
END_TEST

START_TEST(shown_text_quotes_words_and_hides_userinfo)
{
        static const struct {
                const char *given, *shown;
        } cases[] = {
            {"/bin/true", "/bin/true"},
            {"  pg_isready   -q -h db ", "pg_isready -q -h db"},
            {"sh -c 'exit 3'", "sh -c 'exit 3'"},
            {"echo \"it's\" ''", "echo 'it'\\''s' ''"},
            {"curl https://admin:s3cret@db/x", "curl https://***@db/x"},
            {"echo a\\;b", "echo a;b"},
        };
        fresh_config();
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct pf_error err = {0};
                struct chainfile_line target;
                char shown[TARGET_SHOWN_SIZE];
                ck_assert_int_eq(
                    check_exec.parse_target(&config, cases[i].given, &target, shown, &err), PF_OK);
                ck_assert_str_eq(shown, cases[i].shown);
                check_exec.release_target(&target);
        }
}
END_TEST

START_TEST(bad_commands_are_usage_errors)
{
        static const char *const bad[] = {"", " ", "#", "echo 'x", "echo \"x", "a\nb", "a \\"};
        fresh_config();
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct pf_error err = {0};
                struct chainfile_line target;
                char shown[TARGET_SHOWN_SIZE];
                ck_assert_int_eq(check_exec.parse_target(&config, bad[i], &target, shown, &err),
                                 PF_USAGE);
                ck_assert_ptr_nonnull(strstr(err.msg, "COMMAND"));
        }
}
END_TEST

START_TEST(verdicts_on_real_processes)
{
        static const struct {
                const char *command;
                int code;
                const char *says;
        } cases[] = {
            {"/bin/true", PF_OK, "exit 0"},
            {"/bin/false", PF_EXEC_CMD_FAILED, "exit 1 (expected 0)"},
            {"sh -c 'echo broken >&2; exit 3'", PF_EXEC_CMD_FAILED, "output ends 'broken'"},
            {"sh -c 'kill -SEGV $$'", PF_EXEC_CMD_FAILED, "killed by SIGSEGV"},
            {"sh -c 'kill -KILL $$'", PF_EXEC_CMD_FAILED, "killed by SIGKILL"},
            {"no-such-command-preflight", PF_EXEC_CMD_NO_START, "is not in PATH"},
            {"/nonexistent/x", PF_EXEC_CMD_NO_START, "does not exist"},
            {"/etc/passwd", PF_EXEC_CMD_NO_START, "not executable"},
            {"/", PF_EXEC_CMD_NO_START, "could not be started"},
            {"printf 'a\\033b\\n'", PF_OK, "'a\\x1bb'"},
        };
        fresh_config();
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct check_result res = run_command(cases[i].command, 5000);
                ck_assert_msg(res.code == cases[i].code, "%s: %d %s", cases[i].command, res.code,
                              res.message);
                ck_assert_msg(strstr(res.message, cases[i].says), "%s: %s", cases[i].command,
                              res.message);
                ck_assert_ptr_null(strchr(res.message, '\033'));
        }
}
END_TEST

START_TEST(expect_output_searches_stdout_and_stderr)
{
        struct pf_error err = {0};
        fresh_config();
        ck_assert_int_eq(set_option("expect-output", "", &err), PF_USAGE);
        ck_assert_int_eq(set_option("expect-output", "configuration OK", &err), PF_OK);
        ck_assert_int_eq(run_command("echo configuration OK", 5000).code, PF_OK);
        ck_assert_int_eq(run_command("sh -c 'echo configuration OK >&2'", 5000).code, PF_OK);
        struct check_result res = run_command("echo 'syntax error'", 5000);
        ck_assert_int_eq(res.code, PF_EXEC_CMD_MISMATCH);
        ck_assert_ptr_nonnull(strstr(res.message, "lacks 'configuration OK'"));
        ck_assert_ptr_nonnull(strstr(res.message, "'syntax error'"));
        /* NUL bytes do not end the search. */
        ck_assert_int_eq(run_command("printf 'x\\000configuration OK'", 5000).code, PF_OK);
}
END_TEST

START_TEST(expect_output_regex_matches_lines)
{
        struct pf_error err = {0};
        fresh_config();
        ck_assert_int_eq(set_option("expect-output-regex", "(", &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "--expect-output-regex: '(' is refused"));
        ck_assert_int_eq(set_option("expect-output-regex", "^ready [0-9]+$", &err), PF_OK);
        ck_assert_int_eq(run_command("printf 'starting\\nready 42\\n'", 5000).code, PF_OK);
        struct check_result res = run_command("echo 'ready soon'", 5000);
        ck_assert_int_eq(res.code, PF_EXEC_CMD_MISMATCH);
        ck_assert_ptr_nonnull(strstr(res.message, "does not match '^ready [0-9]+$'"));
        check_exec.release(&config);
}
END_TEST

START_TEST(deadline_kills_everything)
{
        char pidfile[64], command[256];
        snprintf(pidfile, sizeof(pidfile), "/tmp/preflight-exec-unit.%d", (int)getpid());
        snprintf(command, sizeof(command),
                 "sh -c 'setsid sh -c \"echo \\$\\$ >%s; exec sleep 30\" & exec sleep 30'",
                 pidfile);
        fresh_config();
        uint64_t started = clock_now_us();
        struct check_result res = run_command(command, 500);
        uint64_t took_ms = (clock_now_us() - started) / 1000;
        ck_assert_int_eq(res.code, PF_EXEC_CMD_TIMEOUT);
        ck_assert_uint_ge(took_ms, 490);
        ck_assert_uint_le(took_ms, 500 + (EXEC_KILL_GRACE_US / 1000) + 300 * time_slack());
        FILE *f = fopen(pidfile, "r");
        ck_assert_ptr_nonnull(f);
        int pid = 0;
        ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
        fclose(f);
        unlink(pidfile);
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/%d", pid);
        ck_assert_msg(access(proc, F_OK) != 0, "the setsid grandchild %d is still there", pid);
        /* Nothing is left to reap either. */
        ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
}
END_TEST

START_TEST(capture_keeps_64_kib_and_counts_the_rest)
{
        char *const words[] = {"head", "-c", "1000000", "/dev/zero", NULL};
        struct spawn_result sr;
        spawn_run(words, deadline_after(10 * 1000000ULL), &sr);
        ck_assert_int_eq(sr.outcome, SPAWN_EXITED);
        ck_assert_int_eq(sr.status, 0);
        ck_assert_uint_eq(sr.kept, EXEC_OUTPUT_KEPT);
        ck_assert_uint_eq(sr.total, 1000000);
        ck_assert_uint_eq(sr.leftovers, 0);
        free(sr.output);
}
END_TEST

START_TEST(leftovers_are_reported_and_killed)
{
        char *const words[] = {"sh", "-c", "sleep 30 & sleep 0.2; echo started", NULL};
        struct spawn_result sr;
        uint64_t started = clock_now_us();
        spawn_run(words, deadline_after(10 * 1000000ULL), &sr);
        ck_assert_int_eq(sr.outcome, SPAWN_EXITED);
        ck_assert_uint_eq(sr.leftovers, 1);
        /* "sh" when the background child had not yet exec'd sleep: the name is the kernel's. */
        ck_assert_msg(strcmp(sr.leftover_name, "sleep") == 0 || strcmp(sr.leftover_name, "sh") == 0,
                      "%s", sr.leftover_name);
        ck_assert_uint_lt(clock_now_us() - started, 2000000ULL * time_slack());
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/%d", (int)sr.leftover_pid);
        ck_assert_int_ne(access(proc, F_OK), 0);
        ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
        free(sr.output);
}
END_TEST

Suite *suite_exec(void)
{
        Suite *s = suite_create("exec");
        TCase *options = tcase_create("options and commands");
        tcase_set_timeout(options, 30);
        tcase_add_test(options, exit_lists_parse);
        tcase_add_test(options, bad_exit_lists_are_refused);
        tcase_add_test(options, shown_text_quotes_words_and_hides_userinfo);
        tcase_add_test(options, bad_commands_are_usage_errors);
        suite_add_tcase(s, options);
        TCase *processes = tcase_create("real processes");
        tcase_set_timeout(processes, 30);
        tcase_add_test(processes, verdicts_on_real_processes);
        tcase_add_test(processes, expect_output_searches_stdout_and_stderr);
        tcase_add_test(processes, expect_output_regex_matches_lines);
        tcase_add_test(processes, deadline_kills_everything);
        tcase_add_test(processes, capture_keeps_64_kib_and_counts_the_rest);
        tcase_add_test(processes, leftovers_are_reported_and_killed);
        suite_add_tcase(s, processes);
        return s;
}
