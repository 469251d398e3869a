/* Unit tests of checks/dns.c through its struct check: --expect and --family as parsed, the
 * target's form, and runs on numeric addresses, which getaddrinfo answers without any resolver
 * (names are tested in tests/integration/test_dns.sh, in a namespace whose resolver is known). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/clock.h"
#include "tests/slack.h"

Suite *suite_dns(void);

extern const struct check check_dns;

static void *config_new(void)
{
        void *config = calloc(1, check_dns.config_size);
        ck_assert_ptr_nonnull(config);
        check_dns.init(config);
        return config;
}

static unsigned option_index(const char *name)
{
        for (unsigned i = 0; check_dns.options[i].long_name; i++)
                if (strcmp(check_dns.options[i].long_name, name) == 0)
                        return i;
        ck_abort_msg("no option --%s", name);
        return 0;
}

static int option(void *config, const char *name, const char *value, struct pf_error *err)
{
        memset(err, 0, sizeof(*err));
        return check_dns.parse_option(config, option_index(name), value, err);
}

/* Parses options given as "--name", "value" pairs (NULL-terminated), then runs on arg. */
static int run_on(const char *arg, const char *const *options, struct check_result *res)
{
        struct pf_error err = {0};
        void *config = config_new();
        for (size_t i = 0; options && options[i]; i += 2)
                ck_assert_int_eq(option(config, options[i], options[i + 1], &err), PF_OK);
        ck_assert_int_eq(check_dns.finish(config, 1, &err), PF_OK);
        void *target = calloc(1, check_dns.target_size);
        ck_assert_ptr_nonnull(target);
        memset(res, 0, sizeof(*res));
        ck_assert_int_eq(check_dns.parse_target(config, arg, target, res->target, &err), PF_OK);
        struct attempt attempt = {.deadline_us = deadline_after(slack_us(2000000)), .number = 1};
        check_dns.run(config, target, &attempt, res);
        free(target);
        free(config);
        return res->code;
}

static const char *const bad_expect[] = {
    "", "1.2.3", "10.0.0.5/24", "db.internal", "10.0.0.256", "::1::", "[::1]", " 10.0.0.5",
};

START_TEST(test_expect_bad)
{
        struct pf_error err;
        void *config = config_new();
        ck_assert_int_eq(option(config, "expect", bad_expect[_i], &err), PF_USAGE);
        ck_assert_msg(strstr(err.msg, "--expect") && strstr(err.msg, "numeric"), "%s", err.msg);
        free(config);
}
END_TEST

START_TEST(test_expect_at_most_16)
{
        struct pf_error err;
        void *config = config_new();
        for (int i = 0; i < 16; i++)
                ck_assert_int_eq(option(config, "expect", "10.0.0.5", &err), PF_OK);
        ck_assert_int_eq(option(config, "expect", "10.0.0.5", &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "at most 16"));
        free(config);
}
END_TEST

START_TEST(test_family_values)
{
        struct pf_error err;
        void *config = config_new();
        static const char *const good[] = {"ipv4", "ipv6", "any", "4", "6"};
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                ck_assert_int_eq(option(config, "family", good[i], &err), PF_OK);
        ck_assert_int_eq(option(config, "family", "inet", &err), PF_USAGE);
        ck_assert_msg(strstr(err.msg, "--family") && strstr(err.msg, "'inet'"), "%s", err.msg);
        ck_assert_int_eq(option(config, "family", "IPV4x", &err), PF_USAGE);
        free(config);
}
END_TEST

/* An expected address of the other family could never come: refused before any run. */
START_TEST(test_family_contradicts_expect)
{
        struct pf_error err;
        void *config = config_new();
        ck_assert_int_eq(option(config, "expect", "fd00::5", &err), PF_OK);
        ck_assert_int_eq(option(config, "family", "ipv4", &err), PF_OK);
        ck_assert_int_eq(check_dns.finish(config, 1, &err), PF_USAGE);
        ck_assert_msg(strstr(err.msg, "fd00::5") && strstr(err.msg, "--family ipv4"), "%s",
                      err.msg);
        ck_assert_int_eq(option(config, "family", "any", &err), PF_OK);
        ck_assert_int_eq(check_dns.finish(config, 1, &err), PF_OK);
        free(config);
}
END_TEST

static const struct {
        const char *arg;
        const char *shown; /* NULL: refused */
} targets[] = {
    {"db.internal", "db.internal"},
    {"db.internal.", "db.internal."},
    {"localhost", "localhost"},
    {"10.0.0.5", "10.0.0.5"},
    {"::1", "::1"},
    {"[::1]", "::1"},
    {"_srv.example", "_srv.example"},
    {"db.internal:53", NULL},
    {":53", NULL},
    {"", NULL},
    {"db internal", NULL},
    {"-db", NULL},
    {"db/internal", NULL},
    {"6379", NULL},
    {"db\n", NULL},
};

START_TEST(test_target)
{
        struct pf_error err = {0};
        char shown[TARGET_SHOWN_SIZE] = "";
        void *config = config_new();
        void *target = calloc(1, check_dns.target_size);
        ck_assert_ptr_nonnull(target);
        int r = check_dns.parse_target(config, targets[_i].arg, target, shown, &err);
        if (targets[_i].shown) {
                ck_assert_msg(r == PF_OK, "%s: %s", targets[_i].arg, err.msg);
                ck_assert_str_eq(shown, targets[_i].shown);
        } else {
                ck_assert_msg(r == PF_USAGE, "%s accepted", targets[_i].arg);
                ck_assert(err.msg[0]);
                ck_assert_ptr_null(strchr(err.msg, '\n'));
        }
        free(target);
        free(config);
}
END_TEST

START_TEST(test_run_numeric)
{
        struct check_result res;
        ck_assert_int_eq(run_on("127.0.0.1", NULL, &res), PF_OK);
        ck_assert_str_eq(res.message, "resolves to 127.0.0.1");
        ck_assert_str_eq(res.fix, "");
        ck_assert_int_eq(run_on("::1", NULL, &res), PF_OK);
        ck_assert_str_eq(res.message, "resolves to ::1");
}
END_TEST

/* Addresses compare as addresses, not as text. */
START_TEST(test_run_expect_canonical)
{
        struct check_result res;
        static const char *const v6[] = {"expect", "0:0:0::1", NULL};
        ck_assert_int_eq(run_on("::1", v6, &res), PF_OK);
        static const char *const v4[] = {"expect", "127.0.0.1", "family", "ipv4", NULL};
        ck_assert_int_eq(run_on("127.0.0.1", v4, &res), PF_OK);
}
END_TEST

START_TEST(test_run_expect_missing)
{
        struct check_result res;
        static const char *const two[] = {"expect", "127.0.0.1", "expect", "10.0.0.6", NULL};
        ck_assert_int_eq(run_on("127.0.0.1", two, &res), PF_DNS_MISMATCH);
        ck_assert_str_eq(res.message, "resolves to 127.0.0.1, but not to 10.0.0.6");
        ck_assert_msg(strstr(res.fix, "getent ahosts 127.0.0.1"), "%s", res.fix);
        /* The same address in the other family is another address. */
        static const char *const mapped[] = {"expect", "::ffff:127.0.0.1", NULL};
        ck_assert_int_eq(run_on("127.0.0.1", mapped, &res), PF_DNS_MISMATCH);
        ck_assert_ptr_nonnull(strstr(res.message, "not to ::ffff:127.0.0.1"));
}
END_TEST

START_TEST(test_run_wrong_family)
{
        struct check_result res;
        static const char *const v6[] = {"family", "ipv6", NULL};
        ck_assert_int_eq(run_on("127.0.0.1", v6, &res), PF_DNS_UNRESOLVED);
        ck_assert_msg(strstr(res.message, "no IPv6 address"), "%s", res.message);
        ck_assert_ptr_nonnull(strstr(res.fix, "getent ahosts 127.0.0.1"));
}
END_TEST

/* A name needs the resolver, which a passed deadline does not wait for. */
START_TEST(test_run_deadline_passed)
{
        struct pf_error err = {0};
        struct check_result res = {0};
        void *config = config_new();
        void *target = calloc(1, check_dns.target_size);
        ck_assert_ptr_nonnull(target);
        ck_assert_int_eq(check_dns.parse_target(config, "localhost", target, res.target, &err),
                         PF_OK);
        struct attempt attempt = {.deadline_us = 1, .number = 1};
        check_dns.run(config, target, &attempt, &res);
        ck_assert_int_eq(res.code, PF_DNS_TIMEOUT);
        ck_assert_ptr_nonnull(strstr(res.message, "localhost"));
        ck_assert_ptr_nonnull(strstr(res.fix, "/etc/resolv.conf"));
        free(target);
        free(config);
}
END_TEST

Suite *suite_dns(void)
{
        Suite *s = suite_create("dns");
        TCase *tc = tcase_create("options");
        tcase_add_loop_test(tc, test_expect_bad, 0,
                            (int)(sizeof(bad_expect) / sizeof(bad_expect[0])));
        tcase_add_test(tc, test_expect_at_most_16);
        tcase_add_test(tc, test_family_values);
        tcase_add_test(tc, test_family_contradicts_expect);
        tcase_add_loop_test(tc, test_target, 0, (int)(sizeof(targets) / sizeof(targets[0])));
        suite_add_tcase(s, tc);

        tc = tcase_create("run");
        tcase_set_timeout(tc, 10);
        tcase_add_test(tc, test_run_numeric);
        tcase_add_test(tc, test_run_expect_canonical);
        tcase_add_test(tc, test_run_expect_missing);
        tcase_add_test(tc, test_run_wrong_family);
        tcase_add_test(tc, test_run_deadline_passed);
        suite_add_tcase(s, tc);
        return s;
}
