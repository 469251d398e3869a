#include "core/invocation.h"

#include <stdlib.h>
#include <string.h>

#include "core/backstop.h"
#include "core/clock.h"
#include "core/notify.h"
#include "core/options.h"
#include "core/span.h"
#include "core/text.h"

enum common_option {
        OPT_TIMEOUT,
        OPT_WAIT,
        OPT_INTERVAL,
        OPT_INVERT,
        OPT_QUIET,
        OPT_VERBOSE,
        OPT_JSON,
        OPT_FORMAT,
        OPT_HELP,
};

static const struct check_option common_options[] = {
    [OPT_TIMEOUT] = {"timeout", 't', "SPAN",
                     "hard deadline: 500ms, 5s, 1min 30s (default 5s, 60s with --wait)"},
    [OPT_WAIT] = {"wait", 'w', NULL, "retry until the check passes or the deadline comes"},
    [OPT_INTERVAL] = {"interval", 'i', "SPAN", "pause between attempts (default 500ms)"},
    [OPT_INVERT] = {"invert", 0, NULL, "pass when the check would fail"},
    [OPT_QUIET] = {"quiet", 'q', NULL, "no output on success"},
    [OPT_VERBOSE] = {"verbose", 'v', NULL, "more detail, timings and attempts"},
    [OPT_JSON] = {"json", 0, NULL, "one JSON object per target on stdout (--format json)"},
    [OPT_FORMAT] = {"format", 0, "human|json|nagios",
                    "output: human lines (stderr), JSON Lines, or a Nagios plugin's (stdout)"},
    [OPT_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static int parse_span_option(const char *name, const char *value, uint64_t min_us, uint64_t *out,
                             struct pf_error *err)
{
        char q[QUOTE_BUF];
        uint64_t us;
        if (!span_parse(value, &us))
                return pf_error_set(err,
                                    "--%s: '%s' is not a time span (examples: 500ms, 5s, "
                                    "1min 30s, infinity)",
                                    name, text_quote_hiding_userinfo(value, q, sizeof(q)));
        if (us < min_us) {
                char min[32];
                span_format(min_us, min, sizeof(min));
                return pf_error_set(err, "--%s: '%s' is too short (at least %s)", name,
                                    text_quote_hiding_userinfo(value, q, sizeof(q)), min);
        }
        *out = us;
        return PF_OK;
}

/* The tables options_parse() searches: the common options, then the check's own. */
enum { COMMON_TABLE, CHECK_TABLE };

static int apply_option(void *ctx, unsigned table, unsigned index, const char *value,
                        struct pf_error *err)
{
        struct invocation *inv = ctx;
        if (table == CHECK_TABLE)
                return inv->check->parse_option(inv->config, index, value, err);
        switch ((enum common_option)index) {
        case OPT_TIMEOUT:
                inv->timeout_given = true;
                return parse_span_option("timeout", value, 1000, &inv->timeout_us, err);
        case OPT_INTERVAL:
                if (strcmp(value, "infinity") == 0)
                        return pf_error_set(err, "--interval: must be a finite span");
                return parse_span_option("interval", value, MIN_INTERVAL_US, &inv->interval_us,
                                         err);
        case OPT_WAIT:
                inv->wait = true;
                break;
        case OPT_INVERT:
                inv->invert = true;
                break;
        case OPT_QUIET:
                inv->style.quiet = true;
                break;
        case OPT_VERBOSE:
                inv->style.verbose = true;
                break;
        case OPT_JSON:
                inv->style.json = true;
                inv->style.nagios = false;
                break;
        case OPT_FORMAT:
                return report_parse_format(value, &inv->style, err);
        case OPT_HELP:
                inv->help = true;
                break;
        }
        return PF_OK;
}

/* A positional argument: kept until every option is read, then parsed by the check. */
static int add_argument(void *ctx, const char *word, struct pf_error *err)
{
        struct invocation *inv = ctx;
        unsigned max = inv->check->max_targets;
        if (inv->n_targets >= max) {
                char q[QUOTE_BUF];
                if (max == 0)
                        return pf_error_set(err, "takes no arguments, got '%s'",
                                            text_quote_hiding_userinfo(word, q, sizeof(q)));
                return pf_error_set(err, "takes at most %u argument%s, got '%s' too", max,
                                    max == 1 ? "" : "s",
                                    text_quote_hiding_userinfo(word, q, sizeof(q)));
        }
        if (word[0] == '\0')
                return pf_error_set(err, "an empty argument is not a target");
        inv->args[inv->n_targets++] = (char *)word;
        return PF_OK;
}

static int parse_targets(struct invocation *inv, struct pf_error *err)
{
        const struct check *check = inv->check;
        inv->targets = calloc(inv->n_targets ? inv->n_targets : 1, sizeof(*inv->targets));
        if (!inv->targets) {
                pf_error_set(err, "out of memory");
                return PF_INTERNAL;
        }
        for (unsigned i = 0; i < inv->n_targets; i++) {
                struct invocation_target *t = &inv->targets[i];
                t->parsed = calloc(1, check->target_size ? check->target_size : 1);
                if (!t->parsed) {
                        pf_error_set(err, "out of memory");
                        return PF_INTERNAL;
                }
                int r = check->parse_target(inv->config, inv->args[i], t->parsed, t->shown, err);
                if (r != PF_OK)
                        return r;
        }
        return PF_OK;
}

static int parse_words(struct invocation *inv, int argc, char **argv, struct pf_error *err)
{
        const struct check *check = inv->check;
        const struct options_parser parser = {
            .command = check->name,
            .on_pass = "the check passes",
            .tables = {common_options, check->options},
            .option = apply_option,
            .operand = add_argument,
            .ctx = inv,
        };
        int r = options_parse(&parser, argc, argv, &inv->command, err);
        if (r != PF_OK || inv->help)
                return r;
        if (inv->n_targets < check->min_targets)
                return pf_error_set(err, "needs %s%u argument%s: %s %s",
                                    check->min_targets == check->max_targets ? "" : "at least ",
                                    check->min_targets, check->min_targets == 1 ? "" : "s",
                                    check->name, check->usage);
        if (check->finish && (r = check->finish(inv->config, inv->n_targets, err)) != PF_OK)
                return r;
        return parse_targets(inv, err);
}

int invocation_parse(struct invocation *inv, const struct check *check, int argc, char **argv,
                     struct pf_error *err)
{
        *inv = (struct invocation){.check = check, .interval_us = DEFAULT_INTERVAL_US};
        err->warning[0] = '\0';
        inv->config = calloc(1, check->config_size ? check->config_size : 1);
        inv->args = calloc((size_t)argc + 1, sizeof(char *));
        if (!inv->config || !inv->args) {
                invocation_release(inv);
                pf_error_set(err, "out of memory");
                return PF_INTERNAL;
        }
        if (check->init)
                check->init(inv->config);
        int r = parse_words(inv, argc, argv, err);
        free(inv->args);
        inv->args = NULL;
        if (r != PF_OK) {
                invocation_release(inv);
                return r;
        }
        snprintf(inv->warning, sizeof(inv->warning), "%s", err->warning);
        if (!inv->timeout_given)
                inv->timeout_us = inv->wait ? DEFAULT_WAIT_TIMEOUT_US : DEFAULT_TIMEOUT_US;
        return PF_OK;
}

/* Not an option options_parse() knows: core/main.c hands the words to unit/as_unit/ before any
 * parse, and a chain file's line refuses it. Listed with the others. */
static const struct check_option as_unit_options[] = {
    {"as-unit", 0, "UNIT", "run as UNIT's ExecStartPre= would (a transient unit)"},
    {NULL, 0, NULL, NULL},
};

void invocation_print_as_unit(FILE *out)
{
        options_print(as_unit_options, out);
}

const struct check_option *invocation_as_unit_options(void)
{
        return as_unit_options;
}

const struct check_option *invocation_common_options(void)
{
        return common_options;
}

void invocation_release(struct invocation *inv)
{
        const struct check *check = inv->check;
        for (unsigned i = 0; inv->targets && i < inv->n_targets; i++) {
                void *parsed = inv->targets[i].parsed;
                if (parsed && check->release_target)
                        check->release_target(parsed);
                free(parsed);
        }
        if (inv->config && check && check->release)
                check->release(inv->config);
        free(inv->config);
        free(inv->targets);
        free(inv->args);
        *inv = (struct invocation){0};
}

void invocation_print_help(const struct check *check, FILE *out)
{
        fprintf(out, "Usage: preflight %s %s [OPTIONS] [-- COMMAND [ARGS]]\n\n%s\n", check->name,
                check->usage, check->summary);
        if (check->help)
                fprintf(out, "\n%s\n", check->help);
        if (check->options && check->options[0].long_name) {
                fprintf(out, "\nOptions of %s:\n", check->name);
                options_print(check->options, out);
        }
        fprintf(out, "\nOptions of every check:\n");
        options_print(common_options, out);
        invocation_print_as_unit(out);
        fprintf(out, "\nWith -- COMMAND, preflight runs COMMAND in its place (same PID) when the "
                     "check passes.\nExit codes: preflight exit-codes; preflight explain N.\n");
}

/* Applies --invert: an inverted check passes when the check fails with one of its own
 * answers; usage, missing-library and internal errors fail either way. */
static void settle(const struct invocation *inv, struct outcome *o)
{
        int code = o->result.code;
        o->inverted = inv->invert;
        if (!inv->invert) {
                o->ok = code == PF_OK;
                o->code = code;
        } else if (code == PF_OK) {
                o->ok = false;
                o->code = inv->check->inverted_code;
        } else {
                o->ok = !pf_code_survives_invert(code);
                o->code = o->ok ? PF_OK : code;
        }
}

static bool worth_retrying(const struct invocation *inv, const struct outcome *o)
{
        if (o->ok || !inv->wait)
                return false;
        /* An inverted check waits for its check to fail; any answer but an error can change. */
        if (inv->invert)
                return o->code == inv->check->inverted_code;
        return !pf_code_is_permanent(o->code) && o->code != PF_INTERNAL;
}

static void run_target(const struct invocation *inv, const struct invocation_target *target,
                       uint64_t deadline_us, uint64_t started_us, struct outcome *o)
{
        struct attempt attempt = {
            .deadline_us = deadline_us, .verbose = inv->style.verbose, .inverted = inv->invert};
        /* The last answer that was not a timeout: when the deadline cuts the final attempt
         * short, "answered 503" says more than "timed out". */
        struct check_result *last_answer = NULL;
        for (;;) {
                attempt.number++;
                memset(&o->result, 0, sizeof(o->result));
                if (target)
                        snprintf(o->result.target, sizeof(o->result.target), "%s", target->shown);
                inv->check->run(inv->config, target ? target->parsed : NULL, &attempt, &o->result);
                settle(inv, o);
                o->attempts = attempt.number;
                if (!worth_retrying(inv, o) || deadline_passed(deadline_us))
                        break;
                if (!inv->invert && o->code != inv->check->timeout_code) {
                        if (!last_answer)
                                last_answer = malloc(sizeof(*last_answer));
                        if (last_answer)
                                *last_answer = o->result;
                }
                uint64_t spent = clock_now_us() - started_us;
                notify_waiting(inv->check->name, o->result.target, attempt.number, spent,
                               inv->timeout_us);
                if (inv->style.verbose && !inv->style.json)
                        report_info("     attempt %u: %s", attempt.number, o->result.message);
                sleep_until_deadline(inv->interval_us, deadline_us);
                if (deadline_passed(deadline_us))
                        break;
        }
        if (last_answer && !o->ok && o->code == inv->check->timeout_code) {
                o->result = *last_answer;
                settle(inv, o);
                snprintf(o->result.detail, sizeof(o->result.detail),
                         "the deadline cut the last attempt short; this is the attempt before it");
        }
        free(last_answer);
        o->elapsed_ms = (clock_now_us() - started_us) / 1000;
}

int invocation_run(const struct invocation *inv, outcome_sink sink, void *ctx)
{
        uint64_t started = clock_now_us();
        uint64_t deadline = deadline_after(inv->timeout_us);
        int exit_code = PF_OK;
        backstop_arm(deadline, inv->check->name, inv->check->timeout_code);
        unsigned rounds = inv->n_targets ? inv->n_targets : 1;
        for (unsigned i = 0; i < rounds; i++) {
                struct outcome o = {0};
                snprintf(o.check, sizeof(o.check), "%s", inv->check->name);
                run_target(inv, inv->n_targets ? &inv->targets[i] : NULL, deadline, started, &o);
                if (sink)
                        sink(&o, ctx);
                else
                        report_outcome(&o, &inv->style);
                if (!o.ok && exit_code == PF_OK)
                        exit_code = o.code;
        }
        backstop_disarm();
        if (inv->wait)
                notify_clear();
        return exit_code;
}
