#include "core/invocation.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/backstop.h"
#include "core/clock.h"
#include "core/notify.h"
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
    [OPT_JSON] = {"json", 0, NULL, "one JSON object per target on stdout"},
    [OPT_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

/* Where an option was found: the common table or the check's own. */
struct option_ref {
        const struct check_option *opt;
        bool common;
        unsigned index;
};

static bool find_long(const struct check *check, const char *name, size_t len,
                      struct option_ref *ref)
{
        for (unsigned pass = 0; pass < 2; pass++) {
                const struct check_option *table = pass == 0 ? common_options : check->options;
                for (unsigned i = 0; table && table[i].long_name; i++) {
                        if (strlen(table[i].long_name) == len &&
                            strncmp(table[i].long_name, name, len) == 0) {
                                *ref = (struct option_ref){&table[i], pass == 0, i};
                                return true;
                        }
                }
        }
        return false;
}

static bool find_short(const struct check *check, char c, struct option_ref *ref)
{
        for (unsigned pass = 0; pass < 2; pass++) {
                const struct check_option *table = pass == 0 ? common_options : check->options;
                for (unsigned i = 0; table && table[i].long_name; i++) {
                        if (table[i].short_name == c) {
                                *ref = (struct option_ref){&table[i], pass == 0, i};
                                return true;
                        }
                }
        }
        return false;
}

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

static int apply_option(struct invocation *inv, const struct option_ref *ref, const char *value,
                        struct pf_error *err)
{
        if (!ref->common)
                return inv->check->parse_option(inv->config, ref->index, value, err);
        switch ((enum common_option)ref->index) {
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
                break;
        case OPT_HELP:
                inv->help = true;
                break;
        }
        return PF_OK;
}

/* Reads one "--name", "--name=value" or "--name value" at argv[*i]. */
static int parse_long(struct invocation *inv, int argc, char **argv, int *i, struct pf_error *err)
{
        const char *word = argv[*i] + 2;
        const char *eq = strchr(word, '=');
        size_t len = eq ? (size_t)(eq - word) : strlen(word);
        struct option_ref ref;
        if (!find_long(inv->check, word, len, &ref)) {
                /* Only the name: the value of a mistyped --pasword=SECRET stays unsaid. And
                 * only as far as it could be a name: a word like --user:SECRET@host or
                 * --https://user:SECRET@host is no mistyped option but a credential, cut at
                 * the first byte no option name holds. */
                char name[QUOTE_BUF], q[QUOTE_BUF];
                size_t name_len = 0;
                while (name_len < len && (isalnum((unsigned char)word[name_len]) ||
                                          word[name_len] == '-' || word[name_len] == '_'))
                        name_len++;
                snprintf(name, sizeof(name), "--%.*s%s", (int)(name_len < 200 ? name_len : 200),
                         word, name_len < len ? "..." : "");
                return pf_error_set(err, "unknown option '%s' (preflight %s --help lists them)",
                                    text_quote(name, q, sizeof(q)), inv->check->name);
        }
        const char *value = NULL;
        if (ref.opt->value_name) {
                if (eq)
                        value = eq + 1;
                else if (*i + 1 < argc && strcmp(argv[*i + 1], "--") != 0)
                        value = argv[++*i];
                else
                        return pf_error_set(err, "option --%s needs a value (%s)",
                                            ref.opt->long_name, ref.opt->value_name);
        } else if (eq) {
                return pf_error_set(err, "option --%s takes no value", ref.opt->long_name);
        }
        return apply_option(inv, &ref, value, err);
}

/* Reads a cluster of short options at argv[*i]: "-wq", "-t5s", "-t 5s". */
static int parse_short(struct invocation *inv, int argc, char **argv, int *i, struct pf_error *err)
{
        char q[QUOTE_BUF];
        for (const char *c = argv[*i] + 1; *c; c++) {
                struct option_ref ref;
                if (!find_short(inv->check, *c, &ref)) {
                        /* Not the whole word: what follows may be a value (a password). In a
                         * cluster the flags before it are named too ("-q=1": '-=' in '-q='),
                         * which shows no more of the word than the letter itself. */
                        char name[3] = {'-', *c, '\0'}, q2[QUOTE_BUF];
                        if (c == argv[*i] + 1)
                                return pf_error_set(err,
                                                    "unknown option '%s' (preflight %s --help "
                                                    "lists them)",
                                                    text_quote(name, q, sizeof(q)),
                                                    inv->check->name);
                        char cluster[QUOTE_BUF];
                        size_t len = (size_t)(c - argv[*i]) + 1;
                        if (len >= sizeof(cluster))
                                len = sizeof(cluster) - 1; /* text_quote would cut it anyway */
                        memcpy(cluster, argv[*i], len);
                        cluster[len] = '\0';
                        return pf_error_set(err,
                                            "unknown option '%s' in '%s' (preflight %s --help "
                                            "lists them)",
                                            text_quote(name, q, sizeof(q)),
                                            text_quote(cluster, q2, sizeof(q2)), inv->check->name);
                }
                const char *value = NULL;
                if (ref.opt->value_name) {
                        if (c[1])
                                value = c + 1;
                        else if (*i + 1 < argc && strcmp(argv[*i + 1], "--") != 0)
                                value = argv[++*i];
                        else
                                return pf_error_set(err, "option -%c needs a value (%s)", *c,
                                                    ref.opt->value_name);
                }
                int r = apply_option(inv, &ref, value, err);
                if (r != PF_OK || value)
                        return r;
        }
        return PF_OK;
}

static int parse_words(struct invocation *inv, int argc, char **argv, struct pf_error *err)
{
        char q[QUOTE_BUF];
        for (int i = 0; i < argc; i++) {
                const char *word = argv[i];
                int r = PF_OK;
                if (strcmp(word, "--") == 0) {
                        if (i + 1 >= argc)
                                return pf_error_set(err, "'--' must be followed by a COMMAND "
                                                         "to run when the check passes");
                        if (argv[i + 1][0] == '\0')
                                return pf_error_set(err, "the COMMAND after '--' is empty");
                        inv->command = &argv[i + 1];
                        break;
                } else if (word[0] == '-' && word[1] == '-') {
                        r = parse_long(inv, argc, argv, &i, err);
                } else if (word[0] == '-' && word[1] != '\0') {
                        r = parse_short(inv, argc, argv, &i, err);
                } else if (inv->n_targets >= inv->check->max_targets) {
                        if (inv->check->max_targets == 0)
                                return pf_error_set(err, "takes no arguments, got '%s'",
                                                    text_quote_hiding_userinfo(word, q, sizeof(q)));
                        return pf_error_set(err, "takes at most %u argument%s, got '%s' too",
                                            inv->check->max_targets,
                                            inv->check->max_targets == 1 ? "" : "s",
                                            text_quote_hiding_userinfo(word, q, sizeof(q)));
                } else {
                        if (word[0] == '\0')
                                return pf_error_set(err, "an empty argument is not a target");
                        if (inv->check->validate_target)
                                r = inv->check->validate_target(inv->config, word, err);
                        inv->targets[inv->n_targets++] = argv[i];
                }
                if (r != PF_OK)
                        return r;
        }
        return PF_OK;
}

int invocation_parse(struct invocation *inv, const struct check *check, int argc, char **argv,
                     struct pf_error *err)
{
        *inv = (struct invocation){.check = check, .interval_us = DEFAULT_INTERVAL_US};
        inv->config = calloc(1, check->config_size ? check->config_size : 1);
        inv->targets = calloc((size_t)argc + 1, sizeof(char *));
        if (!inv->config || !inv->targets) {
                free(inv->config);
                free(inv->targets);
                *inv = (struct invocation){0};
                pf_error_set(err, "out of memory");
                return PF_INTERNAL;
        }
        if (check->init)
                check->init(inv->config);
        int r = parse_words(inv, argc, argv, err);
        if (r == PF_OK && !inv->help) {
                if (inv->n_targets < check->min_targets)
                        r = pf_error_set(err, "needs %s%u argument%s: %s %s",
                                         check->min_targets == check->max_targets ? ""
                                                                                  : "at least ",
                                         check->min_targets, check->min_targets == 1 ? "" : "s",
                                         check->name, check->usage);
                else if (check->finish)
                        r = check->finish(inv->config, inv->n_targets, err);
        }
        if (r != PF_OK) {
                invocation_release(inv);
                return r;
        }
        if (!inv->timeout_given)
                inv->timeout_us = inv->wait ? DEFAULT_WAIT_TIMEOUT_US : DEFAULT_TIMEOUT_US;
        return PF_OK;
}

void invocation_release(struct invocation *inv)
{
        if (inv->config && inv->check && inv->check->release)
                inv->check->release(inv->config);
        free(inv->config);
        free(inv->targets);
        *inv = (struct invocation){0};
}

static void print_options(const struct check_option *table, FILE *out)
{
        for (unsigned i = 0; table && table[i].long_name; i++) {
                const struct check_option *o = &table[i];
                char left[64];
                snprintf(left, sizeof(left), "%c%c%s--%s%s%s", o->short_name ? '-' : ' ',
                         o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ",
                         o->long_name, o->value_name ? " " : "",
                         o->value_name ? o->value_name : "");
                fprintf(out, "  %-28s %s\n", left, o->help);
        }
}

void invocation_print_help(const struct check *check, FILE *out)
{
        fprintf(out, "Usage: preflight %s %s [OPTIONS] [-- COMMAND [ARGS]]\n\n%s\n", check->name,
                check->usage, check->summary);
        if (check->help)
                fprintf(out, "\n%s\n", check->help);
        if (check->options && check->options[0].long_name) {
                fprintf(out, "\nOptions of %s:\n", check->name);
                print_options(check->options, out);
        }
        fprintf(out, "\nOptions of every check:\n");
        print_options(common_options, out);
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
                o->ok = code != PF_INTERNAL && code != PF_USAGE && code != PF_NO_LIBRARY &&
                        code != PF_CHAIN;
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

static void run_target(const struct invocation *inv, const char *target, uint64_t deadline_us,
                       uint64_t started_us, struct outcome *o)
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
                        snprintf(o->result.target, sizeof(o->result.target), "%s", target);
                inv->check->run(inv->config, target, &attempt, &o->result);
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
                run_target(inv, inv->n_targets ? inv->targets[i] : NULL, deadline, started, &o);
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
