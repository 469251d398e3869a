/* Unit tests of --format nagios (core/nagios.c): perfdata labels and items, the text of the
 * status line and long text, the states of outcomes and exit codes and their order. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/nagios.h"

Suite *suite_nagios(void);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
        const char *check, *target, *label;
} labels[] = {
    {"redis", "127.0.0.1:6379", "'redis 127.0.0.1:6379'"},
    {"user", "", "'user'"},
    {"port", "8080/tcp", "'port 8080/tcp'"},
    {"file", "/srv/it's", "'file /srv/it\\x27s'"},
    {"sysctl", "vm.max_map_count>=262144", "'sysctl vm.max_map_count>\\x3d262144'"},
    {"http", "http://h/a|b", "'http http://h/a\\x7cb'"},
    {"redis", "[::1]:6379", "'redis [:\\x3a1]:6379'"},
    {"port", "[::]:8443", "'port [:\\x3a]:8443'"},
    {"tcp", ":::", "'tcp :\\x3a\\x3a'"},
    {"exec", "a\nb\tc\x7f", "'exec a\\x0ab\\x09c\\x7f'"},
    {"exec", "\xff", "'exec \\xff'"},
    {"exec", "caf\xc3\xa9", "'exec caf\xc3\xa9'"},
};

START_TEST(test_label)
{
        char out[1200];
        ck_assert_str_eq(nagios_label(labels[_i].check, labels[_i].target, out, sizeof(out)),
                         labels[_i].label);
}
END_TEST

START_TEST(test_label_cut)
{
        char target[TARGET_SHOWN_SIZE], out[64];
        memset(target, '=', sizeof(target) - 1);
        target[sizeof(target) - 1] = '\0';
        nagios_label("port", target, out, sizeof(out));
        size_t len = strlen(out);
        ck_assert_uint_lt(len, sizeof(out));
        ck_assert_int_eq(out[0], '\'');
        ck_assert_int_eq(out[len - 1], '\'');
        ck_assert_ptr_nonnull(strstr(out, "..."));
        ck_assert_ptr_null(strchr(out + 1, '=')); /* cut between escapes, never inside one */
        ck_assert_ptr_eq(strchr(out + 1, '\''), out + len - 1); /* the closing quote only */
}
END_TEST

START_TEST(test_perfdata_item)
{
        char out[600];
        ck_assert_uint_gt(nagios_perfdata_item("redis", "127.0.0.1:6379", 2, out, sizeof(out)), 0);
        ck_assert_str_eq(out, "'redis 127.0.0.1:6379'=0.002s;;;0");
        nagios_perfdata_item("port", "80/tcp", 61234, out, sizeof(out));
        ck_assert_str_eq(out, "'port 80/tcp'=61.234s;;;0");
        nagios_perfdata_item("port", "80/tcp", 0, out, sizeof(out));
        ck_assert_str_eq(out, "'port 80/tcp'=0.000s;;;0");
        /* What does not fit is left out whole, never cut. */
        ck_assert_uint_eq(nagios_perfdata_item("port", "80/tcp", 5, out, 10), 0);
        ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_text)
{
        char out[64];
        ck_assert_str_eq(nagios_text("expected 200|301", out, sizeof(out)), "expected 200\\x7c301");
        ck_assert_str_eq(nagios_text("two\nlines\r", out, sizeof(out)), "two\\x0alines\\x0d");
        ck_assert_str_eq(nagios_text("a=b 'q'", out, sizeof(out)), "a=b 'q'");
        char small[12];
        nagios_text("0123456789abcdef", small, sizeof(small));
        ck_assert_str_eq(small, "0123456...");
        nagios_text("012345|", small, sizeof(small));
        ck_assert_str_eq(small, "012345...");
}
END_TEST

static struct outcome make(bool ok, int code, bool warning)
{
        struct outcome o = {.ok = ok, .code = code};
        o.result.warning = warning;
        return o;
}

START_TEST(test_states)
{
        struct outcome o = make(true, 0, false);
        ck_assert_int_eq(nagios_state_of(&o), NAGIOS_OK);
        o = make(true, 0, true);
        ck_assert_int_eq(nagios_state_of(&o), NAGIOS_WARNING);
        o = make(false, 20, false);
        ck_assert_int_eq(nagios_state_of(&o), NAGIOS_CRITICAL);
        o = make(false, 40, true);
        ck_assert_int_eq(nagios_state_of(&o), NAGIOS_CRITICAL);
        const int unknown[] = {PF_INTERNAL, PF_USAGE, PF_UNIT_UNAVAILABLE, PF_NO_LIBRARY, PF_CHAIN};
        for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
                o = make(false, unknown[i], false);
                ck_assert_int_eq(nagios_state_of(&o), NAGIOS_UNKNOWN);
                ck_assert_int_eq(nagios_state_of_code(unknown[i]), NAGIOS_UNKNOWN);
        }
        ck_assert_int_eq(nagios_state_of_code(0), NAGIOS_OK);
        ck_assert_int_eq(nagios_state_of_code(20), NAGIOS_CRITICAL);
        ck_assert_int_eq(nagios_state_of_code(123), NAGIOS_CRITICAL);
        ck_assert_int_eq(nagios_worse(NAGIOS_OK, NAGIOS_WARNING), NAGIOS_WARNING);
        ck_assert_int_eq(nagios_worse(NAGIOS_WARNING, NAGIOS_UNKNOWN), NAGIOS_UNKNOWN);
        ck_assert_int_eq(nagios_worse(NAGIOS_UNKNOWN, NAGIOS_CRITICAL), NAGIOS_CRITICAL);
        ck_assert_int_eq(nagios_worse(NAGIOS_CRITICAL, NAGIOS_UNKNOWN), NAGIOS_CRITICAL);
        ck_assert_int_eq(nagios_worse(NAGIOS_CRITICAL, NAGIOS_OK), NAGIOS_CRITICAL);
        ck_assert_str_eq(nagios_state_name(NAGIOS_UNKNOWN), "UNKNOWN");
}
END_TEST

static const struct {
        const char *words[6];
        bool nagios;
} requested[] = {
    {{"8080", "--format", "nagios"}, true},
    {{"--format=nagios", "8080"}, true},
    {{"--bogus", "--format", "nagios"}, true},
    {{"--format", "nagios", "--json"}, false},
    {{"--format", "nagios", "--format", "human"}, false},
    {{"--json", "--format=nagios"}, true},
    {{"8080", "--", "cmd", "--format", "nagios"}, false},
    {{"--format"}, false},
    {{"--format", "Nagios"}, false},
};

START_TEST(test_requested)
{
        char *argv[7] = {0};
        int argc = 0;
        while (argc < 6 && requested[_i].words[argc]) {
                argv[argc] = (char *)requested[_i].words[argc];
                argc++;
        }
        ck_assert_int_eq(nagios_requested(argc, argv), requested[_i].nagios);
}
END_TEST

START_TEST(test_refused)
{
        const char *word = NULL;
        char *with_command[] = {"8080", "--", "true", NULL};
        ck_assert(nagios_refused_word(3, with_command, &word));
        ck_assert_str_eq(word, "--");
        char *as_unit[] = {"8080", "--as-unit=x", NULL};
        ck_assert(nagios_refused_word(2, as_unit, &word));
        ck_assert_str_eq(word, "--as-unit");
        char *dangling[] = {"8080", "--", NULL};
        ck_assert(!nagios_refused_word(2, dangling, &word)); /* the parser says what is wrong */
        char *plain[] = {"8080", "--format", "nagios", NULL};
        ck_assert(!nagios_refused_word(3, plain, &word));
}
END_TEST

Suite *suite_nagios(void)
{
        Suite *s = suite_create("nagios");
        TCase *t = tcase_create("format");
        tcase_add_loop_test(t, test_label, 0, ARRAY_SIZE(labels));
        tcase_add_test(t, test_label_cut);
        tcase_add_test(t, test_perfdata_item);
        tcase_add_test(t, test_text);
        tcase_add_test(t, test_states);
        tcase_add_loop_test(t, test_requested, 0, ARRAY_SIZE(requested));
        tcase_add_test(t, test_refused);
        suite_add_tcase(s, t);
        return s;
}
