/* exec: does this command succeed within the deadline? The escape hatch for any peer preflight
 * has no check for: its deadline, retries, messages and JSON around a vendor's own self-test. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "checks/exec/exec.h"
#include "core/chainfile.h"
#include "core/check.h"
#include "core/regex.h"
#include "core/text.h"

#define EXIT_LIST_EXAMPLES "examples: 0, 0,1, 0-2,5"

struct exec_config {
        unsigned char exit_ok[256];      /* 1 for each exit status that passes */
        const char *exit_text;           /* as given, for messages */
        const char *expect_output;       /* NULL: any output */
        struct body_regex *output_regex; /* NULL: none */
        const char *output_regex_text;
};

enum { OPT_EXPECT_EXIT, OPT_EXPECT_OUTPUT, OPT_EXPECT_OUTPUT_REGEX };

static const struct check_option exec_options[] = {
    [OPT_EXPECT_EXIT] = {"expect-exit", 0, "LIST",
                         "exit statuses that pass: 0, 0,1, 0-2,5 (default 0)"},
    [OPT_EXPECT_OUTPUT] = {"expect-output", 0, "TEXT",
                           "stdout and stderr together (the first 64 KiB) must contain TEXT"},
    [OPT_EXPECT_OUTPUT_REGEX] = {"expect-output-regex", 0, "RE",
                                 "the output (first 64 KiB) must match RE (PCRE2, ^ $ per line)"},
    {NULL, 0, NULL, NULL},
};

static void exec_init(void *config)
{
        struct exec_config *cfg = config;
        cfg->exit_ok[0] = 1;
        cfg->exit_text = "0";
}

static bool parse_status(const char *s, size_t len, unsigned *value)
{
        char digits[4];
        if (len == 0 || len >= sizeof(digits))
                return false;
        memcpy(digits, s, len);
        digits[len] = '\0';
        unsigned long v;
        if (!text_parse_ulong(digits, 0, 255, &v))
                return false;
        *value = (unsigned)v;
        return true;
}

/* "0", "0,1", "0-2,5": statuses 0-255, ranges that go up. */
static int parse_exit_list(const char *text, unsigned char *set, struct pf_error *err)
{
        char q[QUOTE_BUF];
        unsigned char parsed[256] = {0};
        const char *p = text;
        for (;;) {
                size_t len = strcspn(p, ",");
                const char *dash = memchr(p, '-', len);
                unsigned low, high;
                bool ok = dash ? parse_status(p, (size_t)(dash - p), &low) &&
                                     parse_status(dash + 1, len - (size_t)(dash - p) - 1, &high)
                               : parse_status(p, len, &low);
                if (!dash)
                        high = low;
                if (!ok)
                        return pf_error_set(err,
                                            "--expect-exit: '%s' is not a list of exit statuses "
                                            "0-255 (" EXIT_LIST_EXAMPLES ")",
                                            text_quote(text, q, sizeof(q)));
                if (low > high)
                        return pf_error_set(err, "--expect-exit: '%s': a range must go up (%u-%u)",
                                            text_quote(text, q, sizeof(q)), high, low);
                memset(parsed + low, 1, high - low + 1);
                if (!p[len])
                        break;
                p += len + 1;
        }
        memcpy(set, parsed, sizeof(parsed));
        return PF_OK;
}

static int exec_parse_option(void *config, unsigned option, const char *value, struct pf_error *err)
{
        struct exec_config *cfg = config;
        switch (option) {
        case OPT_EXPECT_EXIT:
                if (parse_exit_list(value, cfg->exit_ok, err) != PF_OK)
                        return PF_USAGE;
                cfg->exit_text = value;
                return PF_OK;
        case OPT_EXPECT_OUTPUT:
                if (!*value)
                        return pf_error_set(err,
                                            "--expect-output: an empty TEXT matches any output");
                cfg->expect_output = value;
                return PF_OK;
        case OPT_EXPECT_OUTPUT_REGEX: {
                /* Compiled now: a pattern that cannot be used is a usage error (a missing PCRE2
                 * 5) before anything runs; a later one wins. */
                char why[sizeof(err->msg)];
                struct body_regex *re;
                int r = body_regex_compile_as("expect-output-regex", value, &re, why, sizeof(why));
                if (r != PF_OK) {
                        (void)pf_error_set(err, "%s", why);
                        return r;
                }
                body_regex_free(cfg->output_regex);
                cfg->output_regex = re;
                cfg->output_regex_text = value;
                return PF_OK;
        }
        default:
                return pf_error_set(err, "unknown option");
        }
}

/* One word as the command line would need it: in '...' when it holds blanks or quotes. */
static int show_word(char *out, size_t size, const char *w)
{
        if (*w && !strpbrk(w, " \t'\"\\"))
                return snprintf(out, size, "%s", w);
        size_t at = 0;
        if (size < 2)
                return -1;
        out[at++] = '\'';
        for (; *w && at + 6 < size; w++) {
                if (*w == '\'') {
                        memcpy(out + at, "'\\''", 4);
                        at += 4;
                } else {
                        out[at++] = *w;
                }
        }
        out[at++] = '\'';
        out[at] = '\0';
        return (int)at;
}

/* The command as every line shows it: its words, a URL's user:password@ as ***@. Only its
 * first 80 bytes are shown (text_quote), so the words stop once past that. */
static void show_command(const struct chainfile_line *line, char *shown)
{
        char joined[512], word[512];
        size_t at = 0;
        for (unsigned i = 0; i < line->n_words && at < 160; i++) {
                const char *w = line->words[i];
                const char *scheme = strstr(w, "://");
                const char *userinfo_end = scheme ? strrchr(scheme, '@') : NULL;
                if (userinfo_end)
                        snprintf(word, sizeof(word), "%.*s***%s", (int)(scheme + 3 - w), w,
                                 userinfo_end);
                else
                        snprintf(word, sizeof(word), "%s", w);
                if (i > 0)
                        joined[at++] = ' ';
                /* at < 162 here: at least 350 bytes are left for show_word. */
                int n = show_word(joined + at, sizeof(joined) - at, word);
                if (n < 0)
                        break;
                at += (size_t)n < sizeof(joined) - at ? (size_t)n : sizeof(joined) - at - 1;
        }
        joined[at] = '\0';
        /* Quoted into shown itself: text_quote never cuts a character in two. */
        text_quote(joined, shown, TARGET_SHOWN_SIZE);
}

static int exec_parse_target(const void *config, const char *arg, void *target, char *shown,
                             struct pf_error *err)
{
        (void)config;
        struct chainfile_line *line = target;
        struct chainfile_error why;
        int r = chainfile_split_line(arg, line, &why);
        if (r == PF_INTERNAL) {
                (void)pf_error_set(err, "out of memory");
                return PF_INTERNAL;
        }
        if (r != PF_OK) {
                char q[QUOTE_BUF];
                return pf_error_set(err,
                                    "COMMAND '%s': %s (one argument, split into words as a "
                                    "chain file's line is, with no ${...}: '...' and \"...\" "
                                    "quote)",
                                    text_quote(arg, q, sizeof(q)), why.msg);
        }
        show_command(line, shown);
        return PF_OK;
}

static void exec_release(void *config)
{
        struct exec_config *cfg = config;
        body_regex_free(cfg->output_regex);
        cfg->output_regex = NULL;
}

static void exec_release_target(void *target)
{
        chainfile_line_release(target);
}

/* The output's last line that holds more than blanks, quoted for a message. */
static const char *output_excerpt(const struct spawn_result *sr, char *buf, size_t size)
{
        size_t end = sr->kept;
        while (end > 0 && strchr(" \t\r\n", sr->output[end - 1]) && sr->output[end - 1])
                end--;
        if (end == 0)
                return NULL;
        size_t start = end;
        while (start > 0 && sr->output[start - 1] != '\n')
                start--;
        char line[96];
        size_t len = end - start;
        /* The end of a long line: a last error message says most there. */
        if (len > 80) {
                start = end - 80;
                len = 80;
        }
        memcpy(line, sr->output + start, len);
        line[len] = '\0';
        for (size_t i = 0; i < len; i++)
                if (line[i] == '\0')
                        line[i] = ' ';
        return text_quote(line, buf, size);
}

__attribute__((format(printf, 2, 3))) static void append_message(struct check_result *res,
                                                                 const char *fmt, ...)
{
        size_t at = strlen(res->message);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->message + at, sizeof(res->message) - at, fmt, ap);
        va_end(ap);
}

/* Adds the output's last line and the processes left behind to the message. */
static void add_output_and_leftovers(const struct spawn_result *sr, struct check_result *res)
{
        char q[QUOTE_BUF], name[QUOTE_BUF], left[160];
        const char *excerpt = output_excerpt(sr, q, sizeof(q));
        if (excerpt)
                append_message(res, "; output ends '%s'", excerpt);
        else
                append_message(res, "; no output");
        if (sr->leftovers == 0)
                return;
        snprintf(left, sizeof(left), "%u process%s (pid %d, %s)", sr->leftovers,
                 sr->leftovers == 1 ? "" : "es", (int)sr->leftover_pid,
                 text_quote(sr->leftover_name, name, sizeof(name)));
        append_message(res, "; it left %s running, killed now", left);
        res->warning = true;
}

static void explain_not_started(const char *name, int error, bool searched,
                                struct check_result *res)
{
        char q[QUOTE_BUF];
        text_quote(name, q, sizeof(q));
        if (error == ENOENT || error == ENOTDIR) {
                result_set(res, PF_EXEC_CMD_NO_START, "could not be started: '%s' %s", q,
                           searched ? "is not in PATH" : "does not exist");
                result_fix(res, "install it, or give its absolute path");
        } else if (error == EACCES) {
                result_set(res, PF_EXEC_CMD_NO_START,
                           "could not be started: '%s' is not executable "
                           "(permission denied)",
                           q);
                result_fix(res, "chmod +x the file; a noexec mount or a directory the user "
                                "cannot search also deny it");
        } else if (error == ENOEXEC) {
                result_set(res, PF_EXEC_CMD_NO_START,
                           "could not be started: '%s' is not a program this system runs", q);
                result_fix(res, "give a script a #! line, or run it as sh SCRIPT");
        } else {
                result_set(res, PF_EXEC_CMD_NO_START, "could not be started: '%s': %s", q,
                           strerror(error));
        }
}

/* --expect-output-regex on the kept output: true when it matched (or there is none). */
static bool output_regex_matched(const struct exec_config *cfg, const struct spawn_result *sr,
                                 int status, uint64_t deadline_us, struct check_result *res)
{
        if (!cfg->output_regex)
                return true;
        char why[256], q[QUOTE_BUF];
        const char *re = text_quote(cfg->output_regex_text, q, sizeof(q));
        switch (body_regex_match(cfg->output_regex, sr->output, sr->kept, deadline_us, why,
                                 sizeof(why))) {
        case BODY_MATCH:
                return true;
        case BODY_NO_MATCH:
                result_set(res, PF_EXEC_CMD_MISMATCH, "exit %d, but the output does not match '%s'",
                           status, re);
                return false;
        case BODY_GAVE_UP:
                result_set(res, PF_EXEC_CMD_MISMATCH, "exit %d; matching '%s' gave up: %s", status,
                           re, why);
                return false;
        case BODY_TIMED_OUT:
                result_set(res, PF_EXEC_CMD_TIMEOUT, "exit %d; the deadline passed matching '%s'",
                           status, re);
                return false;
        case BODY_ERROR:
                break;
        }
        result_set(res, PF_INTERNAL, "matching '%s': %s", re, why);
        return false;
}

static void judge_signal(int sig, unsigned long long ms, struct check_result *res)
{
        const char *abbrev = sigabbrev_np(sig);
        result_set(res, PF_EXEC_CMD_FAILED, "killed by SIG%s (%s) after %llu ms",
                   abbrev ? abbrev : "?", sigdescr_np(sig) ? sigdescr_np(sig) : "", ms);
        if (sig == SIGKILL)
                result_fix(res, "SIGKILL: the OOM killer (journalctl -k) or kill -9");
        else if (sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS)
                result_fix(res, "a crash: coredumpctl list shows its core dump");
}

/* The exit status first, then --expect-output, then --expect-output-regex. */
static void judge_exit(const struct exec_config *cfg, const struct spawn_result *sr,
                       uint64_t deadline_us, struct check_result *res)
{
        unsigned long long ms = sr->took_us / 1000;
        int status = WIFEXITED(sr->status) ? WEXITSTATUS(sr->status) : -1;
        if (WIFSIGNALED(sr->status)) {
                judge_signal(WTERMSIG(sr->status), ms, res);
        } else if (status < 0 || !cfg->exit_ok[status]) {
                result_set(res, PF_EXEC_CMD_FAILED, "exit %d (expected %s) after %llu ms", status,
                           cfg->exit_text, ms);
        } else if (cfg->expect_output &&
                   !memmem(sr->output, sr->kept, cfg->expect_output, strlen(cfg->expect_output))) {
                char q[QUOTE_BUF];
                result_set(res, PF_EXEC_CMD_MISMATCH, "exit %d, but the output lacks '%s'", status,
                           text_quote(cfg->expect_output, q, sizeof(q)));
        } else if (output_regex_matched(cfg, sr, status, deadline_us, res)) {
                result_set(res, PF_OK, "exit %d in %llu ms", status, ms);
        }
        add_output_and_leftovers(sr, res);
}

static void exec_run(const void *config, const void *target, const struct attempt *attempt,
                     struct check_result *res)
{
        const struct exec_config *cfg = config;
        const struct chainfile_line *line = target;
        struct spawn_result sr;
        spawn_run(line->words, attempt->deadline_us, &sr);
        switch (sr.outcome) {
        case SPAWN_EXITED:
                judge_exit(cfg, &sr, attempt->deadline_us, res);
                break;
        case SPAWN_TIMED_OUT:
                result_set(res, PF_EXEC_CMD_TIMEOUT,
                           "still running at the deadline (%llu ms): it and every process it "
                           "started were killed",
                           (unsigned long long)(sr.took_us / 1000));
                add_output_and_leftovers(&sr, res);
                result_fix(res, "raise -t, or find what it waits for (its stdin is /dev/null)");
                break;
        case SPAWN_NOT_STARTED:
                explain_not_started(line->words[0], sr.error, !strchr(line->words[0], '/'), res);
                break;
        case SPAWN_SYSTEM:
                result_set(res, PF_INTERNAL, "%s: %s", sr.step, strerror(sr.error));
                break;
        }
        if (sr.outcome != SPAWN_SYSTEM && sr.outcome != SPAWN_NOT_STARTED)
                result_detail(res, "pid %d; %llu bytes of output (stdout and stderr)%s",
                              (int)sr.pid, sr.total,
                              sr.total > sr.kept ? ", the first 64 KiB kept" : "");
        free(sr.output);
}

/* What completion offers (core/completion.c). */
static const struct check_completion exec_completion[] = {
    {NULL, "@command"},
    {"expect-exit", "0 0,1 0-2"},
    {NULL, NULL},
};

const struct check check_exec = {
    .name = "exec",
    .summary = "does this command succeed within the deadline?",
    .usage = "'COMMAND [ARGS]'...",
    .help = "COMMAND is one argument, split into words as a chain file's line is (quotes and\n"
            "backslashes, no ${...}: ; | $ are plain characters); never a shell (write\n"
            "sh -c '...' for one). A name without a slash is looked up in PATH. The command\n"
            "runs in its own process group, stdin /dev/null, stdout and stderr captured\n"
            "together (the first 64 KiB kept). Whatever it starts, even with setsid(), is\n"
            "killed when it ends or at the deadline (SIGTERM, SIGKILL 100 ms later).\n"
            "120: failed (exit status, signal); 121: still running at the deadline;\n"
            "122: output mismatch; 123: could not be started (not found, not executable).",
    .options = exec_options,
    .min_targets = 1,
    .max_targets = 16,
    .timeout_code = PF_EXEC_CMD_TIMEOUT,
    .inverted_code = PF_EXEC_CMD_FAILED,
    .config_size = sizeof(struct exec_config),
    .target_size = sizeof(struct chainfile_line),
    .init = exec_init,
    .parse_option = exec_parse_option,
    .parse_target = exec_parse_target,
    .run = exec_run,
    .release_target = exec_release_target,
    .release = exec_release,
    .completion = exec_completion,
};
