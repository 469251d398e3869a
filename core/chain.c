/*
 * `preflight run FILE|NAME|-`: reads a chain file, checks every line before it
 * runs any (a typo on line 9 must not cost the 30 s that line 2 waits), then runs the lines one
 * after another, or all at once with --parallel, and reports them in file order.
 */
#include "core/chain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/chainfile.h"
#include "core/http_response.h"
#include "core/invocation.h"
#include "core/nagios.h"
#include "core/options.h"
#include "core/prometheus.h"
#include "core/report.h"
#include "core/span.h"
#include "core/text.h"
#include "core/wrapper.h"

struct run_options {
        const char *source; /* FILE, NAME or "-" */
        bool keep_going, parallel, dry_run, help, http_response;
        struct report_style style; /* applies to every line, on top of the line's own options */
        const char *prometheus;    /* --prometheus FILE; NULL when not given */
        char **command;            /* after "--"; NULL when none */
};

/* One line of the file that runs a check. */
struct chain_step {
        unsigned line;
        char **argv; /* the defaults' words, then the line's after the check's name; owned array */
        struct invocation inv;
        bool parsed;
        /* Under --parallel: the child running the line, and what it sent back. */
        pid_t pid;
        int fd;
        bool done;
        int status; /* from waitpid */
        unsigned char *received;
        size_t received_len, received_cap;
};

struct chain {
        char where[QUOTE_BUF]; /* the file as messages name it */
        struct chainfile file;
        char **defaults; /* words of the defaults lines so far; point into file */
        unsigned n_defaults;
        struct chain_step *steps;
        unsigned n_steps;
        struct prom_run *prom; /* --prometheus: every outcome is kept for the file; else NULL */
};

static void chain_release(struct chain *chain);

/* "preflight: run: FILE:LINE: message", and the code of a chain-file error. */
__attribute__((format(printf, 3, 4))) static int chain_error(const struct chain *chain,
                                                             unsigned line, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (line)
                report_error("run", "%s:%u: %s", chain->where, line, msg);
        else
                report_error("run", "%s: %s", chain->where, msg);
        return PF_CHAIN;
}

enum run_option {
        RUN_KEEP_GOING,
        RUN_PARALLEL,
        RUN_DRY_RUN,
        RUN_QUIET,
        RUN_VERBOSE,
        RUN_JSON,
        RUN_PROMETHEUS,
        RUN_FORMAT,
        RUN_HTTP_RESPONSE,
        RUN_HELP
};

static const struct check_option run_options[] = {
    [RUN_KEEP_GOING] = {"keep-going", 0, NULL,
                        "run every line and report every failure (default: stop at the first)"},
    [RUN_PARALLEL] = {"parallel", 0, NULL,
                      "run the lines at once; still report and exit in file "
                      "order"},
    [RUN_DRY_RUN] = {"dry-run", 0, NULL, "read and check the file, run nothing"},
    [RUN_QUIET] = {"quiet", 'q', NULL, "no output on success, for every line"},
    [RUN_VERBOSE] = {"verbose", 'v', NULL, "more detail, timings and attempts, for every line"},
    [RUN_JSON] = {"json", 0, NULL,
                  "one JSON object per check on stdout, for every line (--format json)"},
    [RUN_FORMAT] = {"format", 0, "human|json|nagios",
                    "output; nagios: one Nagios plugin report for the chain, every line run"},
    [RUN_PROMETHEUS] = {"prometheus", 0, "FILE",
                        "write the results to FILE for node_exporter's textfile collector; "
                        "implies --keep-going"},
    [RUN_HTTP_RESPONSE] = {"http-response", 0, NULL,
                           "answer the HTTP request on stdin: 200 or 503, every line's JSON"},
    [RUN_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

const struct check_option *chain_run_options(void)
{
        return run_options;
}

static void print_run_help(FILE *out)
{
        fputs("Usage: preflight run FILE|NAME|- [OPTIONS] [-- COMMAND [ARGS]]\n\n"
              "Runs the checks of a chain file, one check per line, and exits with the code of "
              "the\nfirst line that fails, in file order. NAME means /etc/preflight/NAME.conf "
              "(PREFLIGHT_CONFIG_DIR\noverrides the directory); - reads the file from stdin.\n\n"
              "Options:\n",
              out);
        options_print(run_options, out);
        invocation_print_as_unit(out);
        fputs("\nWith -- COMMAND, preflight runs COMMAND in its place (same PID) when every line "
              "passes.\n\n"
              "The file holds the same words as the command line, one check per line:\n"
              "  # /etc/preflight/myapp.conf\n"
              "  defaults --timeout 5s                # options for every later line\n"
              "  user app --group app\n"
              "  port 8080\n"
              "  redis ${REDIS_HOST:-127.0.0.1}:6379 --wait --timeout 30s\n"
              "Quotes, backslashes, # comments and a \\ continuing a line work as in sh. "
              "${NAME} and\n${NAME:-default} expand from the environment (not inside '...'); an "
              "unset ${NAME} is an\nerror. Run as root, a file not owned by root or writable by "
              "group or others is refused.\nEvery problem with the file exits 6 and names the "
              "file and line.\n",
              out);
}

static int apply_run_option(void *ctx, unsigned table, unsigned index, const char *value,
                            struct pf_error *err)
{
        (void)table;
        struct run_options *opt = ctx;
        switch ((enum run_option)index) {
        case RUN_KEEP_GOING:
                opt->keep_going = true;
                break;
        case RUN_PARALLEL:
                opt->parallel = true;
                break;
        case RUN_DRY_RUN:
                opt->dry_run = true;
                break;
        case RUN_QUIET:
                opt->style.quiet = true;
                break;
        case RUN_VERBOSE:
                opt->style.verbose = true;
                break;
        case RUN_JSON:
                opt->style.json = true;
                opt->style.nagios = false;
                break;
        case RUN_PROMETHEUS:
                if (value[0] == '\0')
                        return pf_error_set(err, "--prometheus needs a FILE, not an empty word");
                opt->prometheus = value;
                /* A monitor wants the whole picture: a line not run would be a series gone. */
                opt->keep_going = true;
                break;
        case RUN_FORMAT:
                return report_parse_format(value, &opt->style, err);
        case RUN_HTTP_RESPONSE:
                opt->http_response = true;
                break;
        case RUN_HELP:
                opt->help = true;
                break;
        }
        return PF_OK;
}

static int set_source(void *ctx, const char *word, struct pf_error *err)
{
        struct run_options *opt = ctx;
        if (opt->source) {
                char q[QUOTE_BUF];
                return pf_error_set(err, "takes one FILE, NAME or -, got '%s' too",
                                    text_quote(word, q, sizeof(q)));
        }
        if (word[0] == '\0')
                return pf_error_set(err, "an empty FILE name");
        opt->source = word;
        return PF_OK;
}

static int parse_run_arguments(int argc, char **argv, struct run_options *opt)
{
        const struct options_parser parser = {
            .command = "run",
            .on_pass = "the checks pass",
            .tables = {run_options, NULL},
            .option = apply_run_option,
            .operand = set_source,
            .ctx = opt,
        };
        struct pf_error err = {0};
        int r = options_parse(&parser, argc, argv, &opt->command, &err);
        if (r == PF_OK && !opt->source && !opt->help)
                r = pf_error_set(&err, "needs a FILE, a NAME (for /etc/preflight/NAME.conf) or - "
                                       "(stdin)");
        if (r == PF_OK && opt->http_response && opt->command)
                r = pf_error_set(&err, "--http-response answers on the connection: it runs no "
                                       "-- COMMAND");
        if (r == PF_OK && opt->http_response && opt->dry_run)
                r = pf_error_set(&err, "--http-response runs the chain: not with --dry-run");
        if (r == PF_OK && opt->http_response && opt->source && strcmp(opt->source, "-") == 0)
                r = pf_error_set(&err, "--http-response reads the request on stdin: the chain "
                                       "comes from a FILE or NAME, not -");
        if (r == PF_OK && opt->http_response && opt->style.nagios)
                r = pf_error_set(&err, "--http-response answers with the JSON Lines: not with "
                                       "--format nagios");
        if (r != PF_OK)
                report_error("run", "%s", err.msg);
        return r;
}

/* Reads up to CHAINFILE_MAX_BYTES + 1 bytes: the extra byte tells a file that is too large. */
static int read_capped(int fd, char **text, size_t *size)
{
        size_t cap = CHAINFILE_MAX_BYTES + 1, len = 0;
        char *buf = malloc(cap);
        if (!buf)
                return ENOMEM;
        while (len < cap) {
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;
                        free(buf);
                        return e;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        *text = buf;
        *size = len;
        return 0;
}

/* As sshd and sudo refuse theirs: as root, only a file that no one but root may change. */
static int check_owner_and_mode(const struct chain *chain, const struct stat *st)
{
        if (geteuid() != 0)
                return PF_OK;
        if (st->st_uid != 0)
                return chain_error(chain, 0,
                                   "owned by uid %u, not root: run as root, preflight only reads "
                                   "chain files that root owns (chown root FILE)",
                                   (unsigned)st->st_uid);
        bool by_group = st->st_mode & S_IWGRP, by_others = st->st_mode & S_IWOTH;
        if (by_group || by_others)
                return chain_error(chain, 0,
                                   "writable by %s (mode %04o): run as root, preflight refuses "
                                   "chain files that others may change (chmod go-w FILE)",
                                   by_group && by_others ? "group and others"
                                   : by_group            ? "group"
                                                         : "others",
                                   (unsigned)(st->st_mode & 07777));
        return PF_OK;
}

/* The path a source names: FILE as given when it has a slash, else CONFIG_DIR/NAME.conf. */
static char *source_path(const char *source)
{
        if (strchr(source, '/'))
                return strdup(source);
        const char *dir = getenv("PREFLIGHT_CONFIG_DIR");
        if (!dir || !*dir)
                dir = CHAIN_DEFAULT_CONFIG_DIR;
        size_t size = strlen(dir) + strlen(source) + sizeof("/.conf");
        char *path = malloc(size);
        if (path)
                snprintf(path, size, "%s/%s.conf", dir, source);
        return path;
}

static int chain_read(const char *source, struct chain *chain, char **text, size_t *size)
{
        int fd = STDIN_FILENO;
        if (strcmp(source, "-") == 0) {
                /* The caller chose what to feed: there is no file whose owner could be asked. */
                snprintf(chain->where, sizeof(chain->where), "stdin");
        } else {
                char *path = source_path(source);
                if (!path) {
                        report_error("run", "out of memory");
                        return PF_INTERNAL;
                }
                text_quote(path, chain->where, sizeof(chain->where));
                /* O_NONBLOCK: a FIFO in the file's place must not hang the start of a service. */
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                int open_errno = errno;
                free(path);
                struct stat st;
                if (fd < 0) {
                        if (open_errno == ENOENT && !strchr(source, '/')) {
                                char q[QUOTE_BUF];
                                return chain_error(chain, 0,
                                                   "%s (a NAME without a slash means "
                                                   "$PREFLIGHT_CONFIG_DIR or /etc/preflight, then "
                                                   "NAME.conf; write ./%s for a file here)",
                                                   strerror(open_errno),
                                                   text_quote(source, q, sizeof(q)));
                        }
                        return chain_error(chain, 0, "%s", strerror(open_errno));
                }
                int r;
                if (fstat(fd, &st) != 0)
                        r = chain_error(chain, 0, "%s", strerror(errno));
                else if (!S_ISREG(st.st_mode))
                        r = chain_error(chain, 0, "not a regular file");
                else if (st.st_size > (off_t)CHAINFILE_MAX_BYTES)
                        r = chain_error(chain, 0, "larger than %u KiB", CHAINFILE_MAX_BYTES / 1024);
                else
                        r = check_owner_and_mode(chain, &st);
                if (r != PF_OK) {
                        close(fd);
                        return r;
                }
        }
        int e = read_capped(fd, text, size);
        if (fd != STDIN_FILENO)
                close(fd);
        if (e == ENOMEM) {
                report_error("run", "out of memory");
                return PF_INTERNAL;
        }
        if (e != 0)
                return chain_error(chain, 0, "cannot read: %s", strerror(e));
        if (*size > CHAINFILE_MAX_BYTES) {
                free(*text);
                *text = NULL;
                return chain_error(chain, 0, "larger than %u KiB", CHAINFILE_MAX_BYTES / 1024);
        }
        return PF_OK;
}

static const char *environment_lookup(const char *name, void *ctx)
{
        (void)ctx;
        return getenv(name);
}

/* The options of a defaults line are checked as the options every check takes: a check that
 * takes no arguments and no options of its own. */
static const struct check defaults_check = {
    .name = "CHECK",
    .summary = "",
    .usage = "",
    .max_targets = 0,
};

#define NAGIOS_IN_CHAIN_FILE                                                                       \
        "--format nagios goes on the command line, for the whole chain (preflight run FILE "       \
        "--format nagios)"

static int add_defaults(struct chain *chain, const struct chainfile_line *line)
{
        struct invocation probe;
        struct pf_error err = {0};
        int argc = (int)line->n_words - 1;
        int r = invocation_parse(&probe, &defaults_check, argc, line->words + 1, &err);
        if (r == PF_INTERNAL) {
                report_error("run", "%s", err.msg);
                return r;
        }
        if (r != PF_OK) {
                bool foreign = strncmp(err.msg, "unknown option", 14) == 0 ||
                               strncmp(err.msg, "takes no arguments", 18) == 0;
                return chain_error(chain, line->number, "defaults: %s%s", err.msg,
                                   foreign ? "; defaults holds only the options every check "
                                             "takes (--timeout, --wait, --interval, --invert, "
                                             "--quiet, --verbose, --json, --format)"
                                           : "");
        }
        bool has_command = probe.command != NULL, help = probe.help, nagios = probe.style.nagios;
        invocation_release(&probe);
        if (has_command)
                return chain_error(chain, line->number,
                                   "'--' has no place in a chain file: put -- COMMAND after the "
                                   "file on the command line (preflight run FILE -- COMMAND)");
        if (help)
                return chain_error(chain, line->number, "--help has no place in a chain file");
        if (nagios)
                return chain_error(chain, line->number, "defaults: %s", NAGIOS_IN_CHAIN_FILE);
        if (chain->n_defaults + (unsigned)argc > CHAINFILE_MAX_WORDS)
                return chain_error(chain, line->number, "more than %u words of defaults in all",
                                   CHAINFILE_MAX_WORDS);
        char **grown = realloc(chain->defaults,
                               ((size_t)chain->n_defaults + (size_t)argc + 1) * sizeof(char *));
        if (!grown) {
                report_error("run", "out of memory");
                return PF_INTERNAL;
        }
        chain->defaults = grown;
        memcpy(chain->defaults + chain->n_defaults, line->words + 1, (size_t)argc * sizeof(char *));
        chain->n_defaults += (unsigned)argc;
        return PF_OK;
}

static int add_step(struct chain *chain, const struct chainfile_line *line)
{
        const char *name = line->words[0];
        const struct check *check = check_find(name);
        if (!check) {
                char q[QUOTE_BUF];
                return chain_error(chain, line->number,
                                   "unknown check '%s' (preflight list shows the checks)",
                                   text_quote(name, q, sizeof(q)));
        }
        struct chain_step *step = &chain->steps[chain->n_steps];
        *step = (struct chain_step){.line = line->number, .fd = -1};
        /* The defaults come first, so that the line's own options win: the last one given does. */
        size_t argc = (size_t)chain->n_defaults + line->n_words - 1;
        step->argv = calloc(argc + 1, sizeof(char *));
        if (!step->argv) {
                report_error("run", "out of memory");
                return PF_INTERNAL;
        }
        chain->n_steps++;
        if (chain->n_defaults)
                memcpy(step->argv, chain->defaults, chain->n_defaults * sizeof(char *));
        memcpy(step->argv + chain->n_defaults, line->words + 1,
               (line->n_words - 1) * sizeof(char *));
        struct pf_error err = {0};
        int r = invocation_parse(&step->inv, check, (int)argc, step->argv, &err);
        if (r == PF_INTERNAL || r == PF_NO_LIBRARY) {
                /* Not the file's fault: the line is named, the code is the check's. */
                report_error("run", "%s:%u: %s: %s", chain->where, line->number, check->name,
                             err.msg);
                return r;
        }
        if (r != PF_OK)
                return chain_error(chain, line->number, "%s: %s%s", check->name, err.msg,
                                   strstr(err.msg, "'--as-unit")
                                       ? "; --as-unit goes on the command "
                                         "line, for the whole chain "
                                         "(preflight run FILE --as-unit "
                                         "UNIT)"
                                       : "");
        step->parsed = true;
        if (step->inv.warning[0])
                report_warning("run", "%s:%u: %s: %s", chain->where, line->number, check->name,
                               step->inv.warning);
        if (step->inv.command)
                return chain_error(chain, line->number,
                                   "'--' has no place in a chain file: put -- COMMAND after the "
                                   "file on the command line (preflight run FILE -- COMMAND)");
        if (step->inv.help)
                return chain_error(chain, line->number, "--help has no place in a chain file");
        if (step->inv.style.nagios)
                return chain_error(chain, line->number, "%s: %s", check->name,
                                   NAGIOS_IN_CHAIN_FILE);
        return PF_OK;
}

/* Reads and checks the whole file; nothing runs until every line is known to be good. */
static int chain_load(const char *source, struct chain *chain)
{
        char *text = NULL;
        size_t size = 0;
        int r = chain_read(source, chain, &text, &size);
        if (r != PF_OK)
                return r;
        struct chainfile_error err;
        r = chainfile_parse(text, size, environment_lookup, NULL, &chain->file, &err);
        free(text);
        if (r == PF_INTERNAL) {
                report_error("run", "%s", err.msg);
                return r;
        }
        if (r != PF_OK)
                return chain_error(chain, err.line, "%s", err.msg);
        chain->steps = calloc(chain->file.n_lines ? chain->file.n_lines : 1, sizeof(*chain->steps));
        if (!chain->steps) {
                report_error("run", "out of memory");
                return PF_INTERNAL;
        }
        for (unsigned i = 0; i < chain->file.n_lines && r == PF_OK; i++) {
                const struct chainfile_line *line = &chain->file.lines[i];
                if (strcmp(line->words[0], "defaults") == 0)
                        r = add_defaults(chain, line);
                else
                        r = add_step(chain, line);
        }
        if (r == PF_OK && chain->n_steps == 0)
                r = chain_error(chain, 0, "no checks in it");
        return r;
}

static void chain_release(struct chain *chain)
{
        for (unsigned i = 0; i < chain->n_steps; i++) {
                struct chain_step *step = &chain->steps[i];
                if (step->parsed)
                        invocation_release(&step->inv);
                free(step->argv);
                free(step->received);
                if (step->fd >= 0)
                        close(step->fd);
        }
        free(chain->steps);
        free(chain->defaults);
        chainfile_release(&chain->file);
}

static void note_not_run(const struct chain *chain, unsigned failed)
{
        unsigned later = chain->n_steps - failed - 1;
        if (later > 0)
                report_info("preflight: run: %s:%u failed; %u later line%s not run (--keep-going "
                            "runs them all)",
                            chain->where, chain->steps[failed].line, later, later == 1 ? "" : "s");
}

/* Prints an outcome as invocation_run() would, and keeps it for --prometheus. */
struct kept_outcome {
        const struct chain_step *step;
        struct prom_run *prom;
};

static void report_and_keep(const struct outcome *o, void *ctx)
{
        const struct kept_outcome *kept = ctx;
        report_outcome(o, &kept->step->inv.style);
        prom_add(kept->prom, kept->step->line, o);
}

static int run_in_order(struct chain *chain, const struct run_options *opt)
{
        int first_failure = PF_OK;
        for (unsigned i = 0; i < chain->n_steps; i++) {
                struct kept_outcome kept = {.step = &chain->steps[i], .prom = chain->prom};
                int r = chain->prom ? invocation_run(&chain->steps[i].inv, report_and_keep, &kept)
                                    : invocation_run(&chain->steps[i].inv, NULL, NULL);
                if (r == PF_OK)
                        continue;
                if (first_failure == PF_OK)
                        first_failure = r;
                if (!opt->keep_going) {
                        note_not_run(chain, i);
                        break;
                }
        }
        return first_failure;
}

/* --parallel: each line runs in a child; its outcomes come back as plain structs on a pipe. */

static void send_outcome(const struct outcome *o, void *ctx)
{
        int fd = *(const int *)ctx;
        const unsigned char *bytes = (const unsigned char *)o;
        size_t left = sizeof(*o);
        while (left > 0) {
                ssize_t n = write(fd, bytes, left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return; /* the parent is gone or stopped this line: no one to tell */
                bytes += n;
                left -= (size_t)n;
        }
}

static size_t outcomes_expected(const struct chain_step *step)
{
        return step->inv.n_targets ? step->inv.n_targets : 1;
}

static int start_step(struct chain *chain, unsigned index)
{
        struct chain_step *step = &chain->steps[index];
        step->received_cap = outcomes_expected(step) * sizeof(struct outcome);
        step->received = malloc(step->received_cap);
        if (!step->received)
                return ENOMEM;
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
                return errno;
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(fds[0]);
                close(fds[1]);
                return e;
        }
        if (pid == 0) {
                static char line_buffer[BUFSIZ];
                /* A line has no business outliving the chain (preflight killed on its own). */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
                        _exit(PF_INTERNAL);
                close(fds[0]);
                for (unsigned i = 0; i < index; i++) {
                        if (chain->steps[i].fd >= 0)
                                close(chain->steps[i].fd);
                        chain->steps[i].fd = -1;
                }
                /* Whole lines per write, so that --verbose progress from lines running side by
                 * side does not interleave mid-line. */
                setvbuf(stderr, line_buffer, _IOLBF, sizeof(line_buffer));
                int code = invocation_run(&step->inv, send_outcome, &fds[1]);
                fflush(stderr);
                /* _exit: the parent's stdio buffers and exit handlers are not the child's to
                 * run. What the child allocated is freed all the same, to keep leak checkers
                 * quiet about the children too. */
                chain_release(chain);
                _exit(code);
        }
        close(fds[1]);
        step->pid = pid;
        step->fd = fds[0];
        return 0;
}

/* Reads what a child sent; at end of file reaps it. */
static void collect_step(struct chain_step *step)
{
        unsigned char chunk[8192];
        ssize_t n = read(step->fd, chunk, sizeof(chunk));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n > 0) {
                size_t room = step->received_cap - step->received_len;
                size_t take = (size_t)n < room ? (size_t)n : room;
                memcpy(step->received + step->received_len, chunk, take);
                step->received_len += take;
                return;
        }
        close(step->fd);
        step->fd = -1;
        while (waitpid(step->pid, &step->status, 0) < 0 && errno == EINTR)
                ;
        step->done = true;
}

/* Stops the lines still running (our own children, by PID) once their result cannot matter. */
static void stop_steps(struct chain *chain)
{
        for (unsigned i = 0; i < chain->n_steps; i++) {
                struct chain_step *step = &chain->steps[i];
                if (step->pid <= 0 || step->done)
                        continue;
                (void)kill(step->pid, SIGKILL);
                while (waitpid(step->pid, &step->status, 0) < 0 && errno == EINTR)
                        ;
                if (step->fd >= 0) {
                        close(step->fd);
                        step->fd = -1;
                }
                step->done = true;
        }
}

/* Prints a finished line's outcomes and returns its code. A child that ended without telling
 * (the deadline backstop, a crash) is reported from its exit status. */
static int report_step(const struct chain_step *step, const struct report_style *style,
                       struct prom_run *prom)
{
        size_t received = step->received_len / sizeof(struct outcome);
        int code = PF_OK;
        for (size_t i = 0; i < received; i++) {
                struct outcome o;
                memcpy(&o, step->received + i * sizeof(o), sizeof(o));
                report_outcome(&o, style);
                if (prom)
                        prom_add(prom, step->line, &o);
                if (!o.ok && code == PF_OK)
                        code = o.code;
        }
        if (received >= outcomes_expected(step))
                return code;
        const struct invocation *inv = &step->inv;
        struct outcome o = {.attempts = 1};
        snprintf(o.check, sizeof(o.check), "%s", inv->check->name);
        if (received < inv->n_targets)
                snprintf(o.result.target, sizeof(o.result.target), "%s",
                         inv->targets[received].shown);
        int status = WIFEXITED(step->status) ? WEXITSTATUS(step->status) : 0;
        o.code = status != PF_OK ? status : PF_INTERNAL;
        if (WIFSIGNALED(step->status))
                snprintf(o.result.message, sizeof(o.result.message),
                         "ended by signal %d without a result", WTERMSIG(step->status));
        else if (status == inv->check->timeout_code)
                snprintf(o.result.message, sizeof(o.result.message),
                         "still running past its deadline; stopped");
        else
                snprintf(o.result.message, sizeof(o.result.message),
                         "ended without a result (exit %d)", status);
        report_outcome(&o, style);
        if (prom)
                prom_add(prom, step->line, &o);
        return code != PF_OK ? code : o.code;
}

/* Descriptors open now: what /proc/self/fd lists, less the one that lists it (3 without it). */
static unsigned open_descriptors(void)
{
        DIR *dir = opendir("/proc/self/fd");
        if (!dir)
                return 3;
        unsigned n = 0;
        for (const struct dirent *d; (d = readdir(dir));)
                if (d->d_name[0] != '.')
                        n++;
        closedir(dir);
        return n > 0 ? n - 1 : 0;
}

/* Under --parallel preflight holds a pipe from every line at once, and one more end while it
 * starts the next: a chain of 1000 lines needs about 1000 descriptors beyond those open. Said
 * before anything starts, rather than a bare "Too many open files" halfway. */
static bool enough_descriptors(const struct chain *chain, int error)
{
        struct rlimit limit;
        unsigned needed = open_descriptors() + chain->n_steps + 1;
        if (error != EMFILE && (getrlimit(RLIMIT_NOFILE, &limit) != 0 ||
                                limit.rlim_cur == RLIM_INFINITY || needed <= limit.rlim_cur))
                return true;
        if (error == EMFILE && getrlimit(RLIMIT_NOFILE, &limit) != 0)
                limit.rlim_cur = 0;
        report_error("run",
                     "%s: --parallel needs %u file descriptors for its %u lines (a pipe from each, "
                     "and those open already), and the limit is %llu; fix: raise LimitNOFILE= in "
                     "the unit (ulimit -n in a shell) to %u or more (room for the checks' own "
                     "sockets too), or run without --parallel",
                     chain->where, needed, chain->n_steps, (unsigned long long)limit.rlim_cur,
                     needed + 16);
        return false;
}

static int run_side_by_side(struct chain *chain, const struct run_options *opt)
{
        fflush(NULL); /* nothing buffered may be written twice, by parent and child */
        if (!enough_descriptors(chain, 0))
                return PF_INTERNAL;
        for (unsigned i = 0; i < chain->n_steps; i++) {
                int e = start_step(chain, i);
                if (e != 0) {
                        if (e != EMFILE || enough_descriptors(chain, e))
                                report_error("run", "%s:%u: cannot start the check: %s",
                                             chain->where, chain->steps[i].line, strerror(e));
                        stop_steps(chain);
                        return PF_INTERNAL;
                }
        }
        struct pollfd *polled = calloc(chain->n_steps, sizeof(*polled));
        unsigned *polled_step = calloc(chain->n_steps, sizeof(*polled_step));
        if (!polled || !polled_step) {
                free(polled);
                free(polled_step);
                report_error("run", "out of memory");
                stop_steps(chain);
                return PF_INTERNAL;
        }
        int first_failure = PF_OK;
        unsigned next = 0; /* the next line to report, in file order */
        while (next < chain->n_steps) {
                while (next < chain->n_steps && chain->steps[next].done) {
                        int r = report_step(&chain->steps[next], &chain->steps[next].inv.style,
                                            chain->prom);
                        if (r != PF_OK && first_failure == PF_OK) {
                                first_failure = r;
                                if (!opt->keep_going) {
                                        stop_steps(chain);
                                        note_not_run(chain, next);
                                        next = chain->n_steps;
                                        break;
                                }
                        }
                        next++;
                }
                if (next >= chain->n_steps)
                        break;
                nfds_t n = 0;
                for (unsigned i = next; i < chain->n_steps; i++) {
                        if (chain->steps[i].fd < 0)
                                continue;
                        polled[n] = (struct pollfd){.fd = chain->steps[i].fd, .events = POLLIN};
                        polled_step[n++] = i;
                }
                if (poll(polled, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        report_error("run", "poll: %s", strerror(errno));
                        first_failure = PF_INTERNAL;
                        stop_steps(chain);
                        break;
                }
                for (nfds_t k = 0; k < n; k++)
                        if (polled[k].revents)
                                collect_step(&chain->steps[polled_step[k]]);
        }
        free(polled);
        free(polled_step);
        return first_failure;
}

int chain_main(int argc, char **argv)
{
        struct run_options opt = {0};
        int r = parse_run_arguments(argc, argv, &opt);
        if (r != PF_OK)
                return r;
        if (opt.help) {
                print_run_help(stdout);
                return PF_OK;
        }
        /* A monitor wants the whole picture: under --format nagios every line runs. */
        if (nagios_active())
                opt.keep_going = true;
        struct http_exchange http = {.sock = -1, .body = -1};
        if (opt.http_response) {
                bool run = false;
                r = http_exchange_begin(&http, &run);
                if (!run)
                        return r;
                /* A monitor wants the whole picture, as JSON, and the journal the lines. */
                opt.keep_going = true;
                opt.style = (struct report_style){
                    .json = true, .lines_too = true, .verbose = opt.style.verbose};
        }
        struct chain chain = {0};
        struct prom_run prom;
        if (opt.prometheus && !opt.dry_run) {
                prom_begin(&prom, opt.prometheus, opt.source);
                chain.prom = &prom;
        }
        r = chain_load(opt.source, &chain);
        bool loaded = r == PF_OK;
        if (r == PF_OK) {
                for (unsigned i = 0; i < chain.n_steps; i++) {
                        struct report_style *style = &chain.steps[i].inv.style;
                        style->quiet |= opt.style.quiet;
                        style->verbose |= opt.style.verbose;
                        style->json |= opt.style.json;
                        style->lines_too |= opt.style.lines_too;
                        style->quiet &= !opt.http_response;
                }
                if (opt.dry_run) {
                        if (!opt.style.quiet)
                                report_info("preflight: run: %s: %u check%s, all valid (--dry-run: "
                                            "nothing was run)",
                                            chain.where, chain.n_steps,
                                            chain.n_steps == 1 ? "" : "s");
                } else if (opt.parallel) {
                        r = run_side_by_side(&chain, &opt);
                } else {
                        r = run_in_order(&chain, &opt);
                }
        }
        chain_release(&chain);
        if (chain.prom) {
                /* A chain file that cannot be used is written too (the chain's series alone,
                 * exit code 6), so the monitor sees it rather than a file that stopped
                 * changing. A failed write is the exit code only when the chain passed: the
                 * chain's own failure stays what the unit shows. */
                int w = prom_write(&prom, r);
                prom_release(&prom);
                if (w != PF_OK && r == PF_OK)
                        r = w;
        }
        if (opt.http_response)
                return http_exchange_end(&http, loaded, r);
        if (r == PF_OK && opt.command && !opt.dry_run)
                return wrapper_exec(opt.command);
        return r;
}

int chain_parse_words(int argc, char **argv, struct chain_words *out)
{
        struct run_options opt = {0};
        int r = parse_run_arguments(argc, argv, &opt);
        if (r == PF_OK && opt.http_response) {
                report_error("run", "--http-response answers on its own connection: not with "
                                    "--as-unit");
                r = PF_USAGE;
        }
        *out = (struct chain_words){.source = opt.source,
                                    .parallel = opt.parallel,
                                    .help = opt.help,
                                    .verbose = opt.style.verbose};
        return r;
}

static const char *lookup_or_empty(const char *name, void *ctx)
{
        (void)ctx;
        const char *value = getenv(name);
        return value ? value : "";
}

/* a + b, SPAN_INFINITY when either is or the sum overflows. */
static uint64_t add_span(uint64_t a, uint64_t b)
{
        if (a == SPAN_INFINITY || b == SPAN_INFINITY || a > SPAN_INFINITY - b)
                return SPAN_INFINITY;
        return a + b;
}

uint64_t chain_deadline_us(const char *path, bool parallel, int *timeout_code)
{
        *timeout_code = PF_INTERNAL;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return SPAN_INFINITY;
        struct stat st;
        char *text = NULL;
        size_t size = 0;
        bool readable =
            fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read_capped(fd, &text, &size) == 0;
        close(fd);
        struct chainfile file;
        struct chainfile_error err;
        if (!readable || size > CHAINFILE_MAX_BYTES ||
            chainfile_parse(text, size, lookup_or_empty, NULL, &file, &err) != PF_OK) {
                free(text);
                return SPAN_INFINITY;
        }
        free(text);
        uint64_t total = 0;
        char **defaults = NULL, **argv = NULL;
        size_t n_defaults = 0;
        bool first = true;
        for (unsigned i = 0; i < file.n_lines && total != SPAN_INFINITY; i++) {
                const struct chainfile_line *line = &file.lines[i];
                size_t n = line->n_words - 1;
                char **grown = realloc(argv, (n_defaults + n + 1) * sizeof(char *));
                if (!grown) {
                        total = SPAN_INFINITY;
                        break;
                }
                argv = grown;
                if (strcmp(line->words[0], "defaults") == 0) {
                        grown = realloc(defaults, (n_defaults + n + 1) * sizeof(char *));
                        if (!grown) {
                                total = SPAN_INFINITY;
                                break;
                        }
                        defaults = grown;
                        memcpy(defaults + n_defaults, line->words + 1, n * sizeof(char *));
                        n_defaults += n;
                        continue;
                }
                const struct check *check = check_find(line->words[0]);
                if (!check)
                        continue; /* the unit's run refuses the file at once */
                if (first)
                        *timeout_code = check->timeout_code;
                first = false;
                if (n_defaults)
                        memcpy(argv, defaults, n_defaults * sizeof(char *));
                memcpy(argv + n_defaults, line->words + 1, n * sizeof(char *));
                argv[n_defaults + n] = NULL;
                struct invocation inv;
                struct pf_error perr = {0};
                uint64_t line_us = DEFAULT_WAIT_TIMEOUT_US;
                if (invocation_parse(&inv, check, (int)(n_defaults + n), argv, &perr) == PF_OK) {
                        line_us = inv.timeout_us;
                        invocation_release(&inv);
                }
                if (parallel)
                        total = line_us > total ? line_us : total;
                else
                        total = add_span(total, line_us);
        }
        free(argv);
        free(defaults);
        chainfile_release(&file);
        return total;
}
