#include "core/options.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "core/text.h"

struct option_ref {
        const struct check_option *opt;
        unsigned table, index;
};

static bool find_long(const struct options_parser *p, const char *name, size_t len,
                      struct option_ref *ref)
{
        for (unsigned t = 0; t < 2; t++) {
                const struct check_option *table = p->tables[t];
                for (unsigned i = 0; table && table[i].long_name; i++) {
                        if (strlen(table[i].long_name) == len &&
                            strncmp(table[i].long_name, name, len) == 0) {
                                *ref = (struct option_ref){&table[i], t, i};
                                return true;
                        }
                }
        }
        return false;
}

static bool find_short(const struct options_parser *p, char c, struct option_ref *ref)
{
        for (unsigned t = 0; t < 2; t++) {
                const struct check_option *table = p->tables[t];
                for (unsigned i = 0; table && table[i].long_name; i++) {
                        if (table[i].short_name == c) {
                                *ref = (struct option_ref){&table[i], t, i};
                                return true;
                        }
                }
        }
        return false;
}

static int apply(const struct options_parser *p, const struct option_ref *ref, const char *value,
                 struct pf_error *err)
{
        return p->option(p->ctx, ref->table, ref->index, value, err);
}

/* Reads one "--name", "--name=value" or "--name value" at argv[*i]. */
static int parse_long(const struct options_parser *p, int argc, char **argv, int *i,
                      struct pf_error *err)
{
        const char *word = argv[*i] + 2;
        const char *eq = strchr(word, '=');
        size_t len = eq ? (size_t)(eq - word) : strlen(word);
        struct option_ref ref;
        if (!find_long(p, word, len, &ref)) {
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
                                    text_quote(name, q, sizeof(q)), p->command);
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
        return apply(p, &ref, value, err);
}

/* "unknown option '-x'", or in a cluster "unknown option '-x' in '-qx'": not the whole word,
 * whose rest may be a value (a password). The flags before it are named too ("-q=1": '-=' in
 * '-q='), which shows no more of the word than the letter itself. */
static int unknown_short(const struct options_parser *p, const char *word, const char *c,
                         struct pf_error *err)
{
        char name[3] = {'-', *c, '\0'}, q[QUOTE_BUF], q2[QUOTE_BUF];
        if (c == word + 1)
                return pf_error_set(err, "unknown option '%s' (preflight %s --help lists them)",
                                    text_quote(name, q, sizeof(q)), p->command);
        char cluster[QUOTE_BUF];
        size_t len = (size_t)(c - word) + 1;
        if (len >= sizeof(cluster))
                len = sizeof(cluster) - 1; /* text_quote would cut it anyway */
        memcpy(cluster, word, len);
        cluster[len] = '\0';
        return pf_error_set(err, "unknown option '%s' in '%s' (preflight %s --help lists them)",
                            text_quote(name, q, sizeof(q)), text_quote(cluster, q2, sizeof(q2)),
                            p->command);
}

/* Reads a cluster of short options at argv[*i]: "-wq", "-t5s", "-t 5s". */
static int parse_short(const struct options_parser *p, int argc, char **argv, int *i,
                       struct pf_error *err)
{
        for (const char *c = argv[*i] + 1; *c; c++) {
                struct option_ref ref;
                if (!find_short(p, *c, &ref))
                        return unknown_short(p, argv[*i], c, err);
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
                int r = apply(p, &ref, value, err);
                if (r != PF_OK || value)
                        return r;
        }
        return PF_OK;
}

int options_parse(const struct options_parser *parser, int argc, char **argv, char ***command,
                  struct pf_error *err)
{
        *command = NULL;
        for (int i = 0; i < argc; i++) {
                const char *word = argv[i];
                int r;
                if (strcmp(word, "--") == 0) {
                        if (i + 1 >= argc)
                                return pf_error_set(err,
                                                    "'--' must be followed by a COMMAND to run "
                                                    "when %s",
                                                    parser->on_pass);
                        if (argv[i + 1][0] == '\0')
                                return pf_error_set(err, "the COMMAND after '--' is empty");
                        *command = &argv[i + 1];
                        return PF_OK;
                } else if (word[0] == '-' && word[1] == '-') {
                        r = parse_long(parser, argc, argv, &i, err);
                } else if (word[0] == '-' && word[1] != '\0') {
                        r = parse_short(parser, argc, argv, &i, err);
                } else {
                        r = parser->operand(parser->ctx, word, err);
                }
                if (r != PF_OK)
                        return r;
        }
        return PF_OK;
}

void options_print(const struct check_option *table, FILE *out)
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
