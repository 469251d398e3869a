/* Unit tests of core/completion.c: the quoting of words and descriptions for bash, zsh and fish,
 * and the checks' check_completion tables (each names an option of its check that takes a
 * value). The scripts themselves are driven in the real shells by
 * tests/integration/test_completion.sh. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/completion.h"

Suite *suite_completion(void);

/* What put() writes for s, in a malloc'ed string. */
static char *written(void (*put)(FILE *, const char *), const char *s)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        ck_assert_ptr_nonnull(f);
        put(f, s);
        ck_assert_int_eq(fclose(f), 0);
        return buf;
}

static const struct {
        const char *in, *sh, *fish, *zsh;
} quoted[] = {
    {"plain", "'plain'", "'plain'", "plain"},
    {"", "''", "''", ""},
    {"it's", "'it'\\''s'", "'it\\'s'", "it'\\''s"},
    {"a\\b", "'a\\b'", "'a\\\\b'", "a\\\\b"},
    {"'Name: value' [x]", "''\\''Name: value'\\'' [x]'", "'\\'Name: value\\' [x]'",
     "'\\''Name\\: value'\\'' \\[x\\]"},
    {"statuses that pass: 200", "'statuses that pass: 200'", "'statuses that pass: 200'",
     "statuses that pass\\: 200"},
    {"$HOME `x` \"q\"", "'$HOME `x` \"q\"'", "'$HOME `x` \"q\"'", "$HOME `x` \"q\""},
};

START_TEST(test_quoting)
{
        char *sh = written(completion_put_sh, quoted[_i].in);
        char *fish = written(completion_put_fish, quoted[_i].in);
        char *zsh = written(completion_put_zsh, quoted[_i].in);
        ck_assert_str_eq(sh, quoted[_i].sh);
        ck_assert_str_eq(fish, quoted[_i].fish);
        ck_assert_str_eq(zsh, quoted[_i].zsh);
        free(sh);
        free(fish);
        free(zsh);
}
END_TEST

static const struct check_option *find_option(const struct check *c, const char *name)
{
        for (size_t i = 0; c->options && c->options[i].long_name; i++)
                if (strcmp(c->options[i].long_name, name) == 0)
                        return &c->options[i];
        return NULL;
}

/* A table entry for an option that was renamed or lost its value would be silently unused. */
START_TEST(test_tables_name_options)
{
        for (size_t i = 0; pf_checks[i]; i++) {
                const struct check *c = pf_checks[i];
                unsigned arguments = 0;
                for (size_t k = 0; c->completion && c->completion[k].words; k++) {
                        const struct check_completion *cc = &c->completion[k];
                        ck_assert_msg(cc->words[0] != '\0', "%s: empty words", c->name);
                        if (!cc->option) {
                                arguments++;
                                ck_assert_msg(c->max_targets > 0, "%s takes no arguments", c->name);
                                continue;
                        }
                        const struct check_option *o = find_option(c, cc->option);
                        ck_assert_msg(o != NULL, "%s: no option --%s", c->name, cc->option);
                        ck_assert_msg(o->value_name != NULL, "%s: --%s takes no value", c->name,
                                      cc->option);
                }
                ck_assert_msg(arguments <= 1, "%s: %u entries for the arguments", c->name,
                              arguments);
        }
}
END_TEST

/* The kinds the tables may name are the ones the generated scripts know. */
START_TEST(test_tables_kinds)
{
        static const char *const kinds[] = {"@file", "@dir",    "@user",    "@group",
                                            "@host", "@sysctl", "@command", NULL};
        for (size_t i = 0; pf_checks[i]; i++) {
                const struct check *c = pf_checks[i];
                for (size_t k = 0; c->completion && c->completion[k].words; k++) {
                        const char *w = c->completion[k].words;
                        if (w[0] != '@')
                                continue;
                        bool known = false;
                        for (size_t j = 0; kinds[j]; j++)
                                known |= strcmp(w, kinds[j]) == 0;
                        ck_assert_msg(known, "%s: unknown kind %s", c->name, w);
                }
        }
}
END_TEST

Suite *suite_completion(void)
{
        Suite *s = suite_create("completion");
        TCase *tc = tcase_create("quoting");
        tcase_add_loop_test(tc, test_quoting, 0, sizeof(quoted) / sizeof(quoted[0]));
        suite_add_tcase(s, tc);
        tc = tcase_create("tables");
        tcase_add_test(tc, test_tables_name_options);
        tcase_add_test(tc, test_tables_kinds);
        suite_add_tcase(s, tc);
        return s;
}
