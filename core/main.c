/* preflight: argv[0] dispatch (preflight CHECK ..., preflight-CHECK ...) and the diagnostics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chain.h"
#include "core/check.h"
#include "core/command.h"
#include "core/completion.h"
#include "core/invocation.h"
#include "core/nagios.h"
#include "core/report.h"
#include "core/text.h"
#include "core/wrapper.h"
#include "unit/as_unit/as_unit.h"
#include "unit/why/why.h"

#ifndef PREFLIGHT_VERSION
#define PREFLIGHT_VERSION "0.0.0"
#endif

static void print_usage(FILE *out);

static int run_explain(int argc, char **argv)
{
        char q[QUOTE_BUF];
        unsigned long status = 0, other;
        if (argc == 0) {
                report_error("explain", "needs one exit status, e.g. preflight explain 143");
                return PF_USAGE;
        }
        /* The first word that is not a status is named first: "explain --json 3" is about
         * '--json', not about a second status. */
        for (int i = 0; i < argc; i++)
                if (!text_parse_ulong(argv[i], 0, 255, i == 0 ? &status : &other)) {
                        report_error("explain", "'%s' is not an exit status (0-255)",
                                     text_quote(argv[i], q, sizeof(q)));
                        return PF_USAGE;
                }
        if (argc > 1) {
                report_error("explain", "needs one exit status, got '%s' too",
                             text_quote(argv[1], q, sizeof(q)));
                return PF_USAGE;
        }
        pf_explain(stdout, (long)status);
        return PF_OK;
}

static int run_check(const struct check *check, int argc, char **argv)
{
        /* --as-unit UNIT: the same words, run inside a transient unit that carries UNIT's
         * settings (unit/as_unit/). */
        if (as_unit_requested(check, argc, argv))
                return as_unit_main(check, argc, argv);
        struct invocation inv;
        struct pf_error err = {0};
        int r = invocation_parse(&inv, check, argc, argv, &err);
        if (r != PF_OK) {
                report_error(check->name, "%s", err.msg);
                return r;
        }
        if (inv.warning[0])
                report_warning(check->name, "%s", inv.warning);
        if (inv.help) {
                invocation_print_help(check, stdout);
                invocation_release(&inv);
                return PF_OK;
        }
        r = invocation_run(&inv, NULL, NULL);
        char **command = inv.command;
        invocation_release(&inv);
        if (r == PF_OK && command)
                return wrapper_exec(command);
        return r;
}

/* Commands that take no arguments: the first one given is named, so a mistyped option shows. */
static int no_arguments(const char *what, int argc, char **argv)
{
        if (argc > 0) {
                char q[QUOTE_BUF];
                report_error(what, "takes no arguments, got '%s'",
                             text_quote(argv[0], q, sizeof(q)));
                return PF_USAGE;
        }
        return PF_OK;
}

static int run_list(int argc, char **argv)
{
        int r = no_arguments("list", argc, argv);
        for (size_t i = 0; r == PF_OK && pf_checks[i]; i++)
                printf("%-8s %s\n", pf_checks[i]->name, pf_checks[i]->summary);
        return r;
}

static int run_exit_codes(int argc, char **argv)
{
        int r = no_arguments("exit-codes", argc, argv);
        if (r == PF_OK)
                pf_print_exit_codes(stdout);
        return r;
}

/* --help and --version say what they say whatever follows, as before. */
static int run_help(int argc, char **argv)
{
        (void)argc, (void)argv;
        print_usage(stdout);
        return PF_OK;
}

static int run_version(int argc, char **argv)
{
        (void)argc, (void)argv;
        printf("preflight %s\n", PREFLIGHT_VERSION);
        return PF_OK;
}

static int run_chain(int argc, char **argv)
{
        if (as_unit_requested(NULL, argc, argv))
                return as_unit_main(NULL, argc, argv);
        return chain_main(argc, argv);
}

static int run_completion(int argc, char **argv);

static const struct command commands[] = {
    {"run", "run the checks of a chain file, in order or in parallel", run_chain},
    {"list", "the checks, one per line", run_list},
    {"exit-codes", "every exit code and its meaning", run_exit_codes},
    {"explain", "what a unit's exit status means (preflight explain 143)", run_explain},
    {"why", "why a unit failed or did not start (preflight why nginx)", why_main},
    {"--help", NULL, run_help},
    {"-h", NULL, run_help},
    {"help", NULL, run_help},
    {"--version", NULL, run_version},
    {"-V", NULL, run_version},
    {"completion", NULL, run_completion},
    {NULL, NULL, NULL},
};

static int run_completion(int argc, char **argv)
{
        return completion_main(argc, argv, commands);
}

static void print_usage(FILE *out)
{
        fputs("Usage: preflight CHECK [ARGS] [OPTIONS] [-- COMMAND [ARGS]]\n"
              "       preflight run FILE|NAME|- [--keep-going] [--parallel] [--json] "
              "[--prometheus FILE]\n"
              "                     [-- COMMAND [ARGS]]\n"
              "       preflight run FILE|NAME --http-response  (a health endpoint: socket "
              "activation)\n"
              "       preflight CHECK|run ... --format nagios  (a Nagios or Icinga plugin: exit "
              "0-3)\n"
              "       preflight CHECK|run ... --as-unit UNIT   (as UNIT's own commands would)\n"
              "       preflight why [UNIT] [--user] [--json] [-t SPAN]\n"
              "       preflight list | exit-codes | explain STATUS | --help | --version\n\n"
              "Is this host ready for the service? Each check has a hard deadline and its own "
              "exit code.\n\nChecks:\n",
              out);
        for (size_t i = 0; pf_checks[i]; i++)
                fprintf(out, "  %-10s %s\n", pf_checks[i]->name, pf_checks[i]->summary);
        fputs("\nCommands:\n", out);
        for (const struct command *c = commands; c->name; c++)
                if (c->summary)
                        fprintf(out, "  %-10s %s\n", c->name, c->summary);
        fputs("\npreflight CHECK --help shows a check's arguments and options; man preflight has "
              "the rest.\n",
              out);
}

static int dispatch(int argc, char **argv, const char *self);

/* --format nagios on a check or on run: decided from the words before any parse, so that a
 * usage error before the option is read is UNKNOWN (3) too. */
static int run_as_plugin(int argc, char **argv, const char *self)
{
        bool link = strncmp(self, "preflight-", 10) == 0;
        int first = link ? 1 : 2; /* the words after the check's name, or after "run" */
        if (argc <= first || !nagios_requested(argc - first, argv + first))
                return -1;
        if (!link) {
                for (const struct command *c = commands; c->name; c++)
                        if (strcmp(argv[1], c->name) == 0 && strcmp(c->name, "run") != 0)
                                return -1;
        }
        nagios_begin();
        const char *word = NULL;
        if (nagios_refused_word(argc - first, argv + first, &word)) {
                report_error(link ? self + 10 : argv[1], "%s",
                             strcmp(word, "--") == 0
                                 ? "--format nagios runs no COMMAND after '--' (a monitor never "
                                   "starts a service)"
                                 : "--format nagios does not go with --as-unit");
                return nagios_finish(PF_USAGE);
        }
        return nagios_finish(dispatch(argc, argv, self));
}

int main(int argc, char **argv)
{
        static char stderr_buffer[BUFSIZ];
        /* stderr is unbuffered: a report line, written piece by piece (each printable character
         * of a target or message on its own), cost one write(2) per character, about 60 for
         * "ok   user root ...": some 30 us of the 250 us preflight user took beyond /bin/true
         * (make bench), and a journal stream got the line in fragments. Line-buffered, a line
         * is one write; the report functions flush at their end, and chains and the wrapper
         * flush before fork and exec. */
        if (setvbuf(stderr, stderr_buffer, _IOLBF, sizeof(stderr_buffer)) != 0)
                return PF_INTERNAL;
        const char *self = argv[0] ? strrchr(argv[0], '/') : NULL;
        self = self ? self + 1 : argv[0] ? argv[0] : "preflight";
        int plugin = run_as_plugin(argc, argv, self);
        if (plugin >= 0)
                return plugin;
        return dispatch(argc, argv, self);
}

static int dispatch(int argc, char **argv, const char *self)
{
        char q[QUOTE_BUF];

        /* Called as preflight-CHECK: the check is in the name. */
        if (strncmp(self, "preflight-", 10) == 0) {
                const struct check *check = check_find(self + 10);
                if (!check) {
                        report_error(NULL, "no check is called '%s' (preflight list shows them)",
                                     text_quote(self + 10, q, sizeof(q)));
                        return PF_USAGE;
                }
                return run_check(check, argc - 1, argv + 1);
        }
        if (argc < 2) {
                print_usage(stderr);
                return PF_USAGE;
        }
        const char *verb = argv[1];
        for (const struct command *c = commands; c->name; c++)
                if (strcmp(verb, c->name) == 0)
                        return c->main(argc - 2, argv + 2);
        const struct check *check = check_find(verb);
        if (!check) {
                report_error(NULL,
                             "unknown check or command '%s' (preflight list shows the checks)",
                             text_quote(verb, q, sizeof(q)));
                return PF_USAGE;
        }
        return run_check(check, argc - 2, argv + 2);
}
