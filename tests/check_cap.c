/* Unit tests of the cap check: capability names, --set, --file, through its struct check. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"

Suite *suite_cap(void);

extern const struct check check_cap;

/* Large enough for the check's config, whatever it holds. */
static union {
        /* never read: it aligns bytes for any config struct */
        // cppcheck-suppress unusedStructMember
        max_align_t align;
        unsigned char bytes[256];
} config;

static void fresh_config(void)
{
        ck_assert_uint_le(check_cap.config_size, sizeof(config.bytes));
        memset(&config, 0, sizeof(config));
        if (check_cap.init)
                check_cap.init(&config);
}

static const struct {
        const char *given;
        const char *canonical;
} good_names[] = {
    {"net_bind_service", "CAP_NET_BIND_SERVICE"},
    {"CAP_NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE"},
    {"Cap_Net_Bind_Service", "CAP_NET_BIND_SERVICE"},
    {"NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE"},
    {"cap_chown", "CAP_CHOWN"},
    {"chown", "CAP_CHOWN"},
    {"sys_admin", "CAP_SYS_ADMIN"},
    {"setfcap", "CAP_SETFCAP"},
    {"cap_net_raw", "CAP_NET_RAW"},
    {"dac_read_search", "CAP_DAC_READ_SEARCH"},
};

START_TEST(test_name_good)
{
        struct pf_error err = {0};
        struct check_result res;
        _Alignas(max_align_t) char target[256] = {0};
        char shown[TARGET_SHOWN_SIZE];
        ck_assert_uint_le(check_cap.target_size, sizeof(target));
        fresh_config();
        ck_assert_msg(check_cap.parse_target(&config, good_names[_i].given, target, shown, &err) ==
                          PF_OK,
                      "'%s' rejected: %s", good_names[_i].given, err.msg);
        /* The line shows the capability as capabilities(7) spells it, whatever was typed. */
        ck_assert_str_eq(shown, good_names[_i].canonical);
        memset(&res, 0, sizeof(res));
        struct attempt attempt = {.number = 1};
        check_cap.run(&config, target, &attempt, &res);
        ck_assert_msg(res.code == PF_OK || res.code == PF_CAP_MISSING, "code %d: %s", res.code,
                      res.message);
}
END_TEST

static const struct {
        const char *given;
        const char *says;
} bad_names[] = {
    {"foo", "'foo' is not a capability this system knows"},
    {"cap_foo", "not a capability this system knows"},
    {"cap_", "not a capability"},
    {"12", "'12' is not a capability name"},
    {"_", "not a capability"},
    {"cap_chown,cap_kill", "not a capability name"},
    {"net_bind_service ", "not a capability name"},
    {"net bind service", "not a capability name"},
    {"net-bind-service", "did you mean 'net_bind_service'?"},
    {"cap-sys-admin", "did you mean 'sys_admin'?"},
    {"no-such-thing", "not a capability name"},
    {"net_bind_service\n", "\\x0a"},
    {"\x1b[31mchown", "\\x1b"},
    {"cap_net_bind_servicex", "not a capability this system knows"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not a capability"},
};

START_TEST(test_name_bad)
{
        struct pf_error err = {0};
        _Alignas(max_align_t) char target[256] = {0};
        char shown[TARGET_SHOWN_SIZE];
        fresh_config();
        ck_assert_msg(check_cap.parse_target(&config, bad_names[_i].given, target, shown, &err) ==
                          PF_USAGE,
                      "'%s' accepted", bad_names[_i].given);
        ck_assert_msg(strstr(err.msg, bad_names[_i].says), "'%s': message '%s' lacks '%s'",
                      bad_names[_i].given, err.msg, bad_names[_i].says);
        for (const char *c = err.msg; *c; c++)
                ck_assert_msg((unsigned char)*c >= 0x20, "control character in '%s'", err.msg);
}
END_TEST

static unsigned option_index(const char *long_name)
{
        for (unsigned i = 0; check_cap.options[i].long_name; i++)
                if (strcmp(check_cap.options[i].long_name, long_name) == 0)
                        return i;
        ck_abort_msg("no option --%s", long_name);
        return 0;
}

START_TEST(test_set_names)
{
        static const char *const sets[] = {"effective", "permitted", "inheritable", "ambient",
                                           "bounding",  "EFFECTIVE", "Bounding"};
        struct pf_error err = {0};
        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
                fresh_config();
                ck_assert_msg(check_cap.parse_option(&config, option_index("set"), sets[i], &err) ==
                                  PF_OK,
                              "--set %s rejected: %s", sets[i], err.msg);
        }
        fresh_config();
        ck_assert_int_eq(check_cap.parse_option(&config, option_index("set"), "bogus", &err),
                         PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "--set: 'bogus'"));
        ck_assert_int_eq(check_cap.parse_option(&config, option_index("set"), "", &err), PF_USAGE);
}
END_TEST

/* What the check says about a file, after the options are parsed as core would. */
static int run_with_file(const char *path, const char *set, const char *cap,
                         struct check_result *res, struct pf_error *err)
{
        fresh_config();
        int r = check_cap.parse_option(&config, option_index("file"), path, err);
        if (r == PF_OK && set)
                r = check_cap.parse_option(&config, option_index("set"), set, err);
        if (r == PF_OK)
                r = check_cap.finish(&config, 1, err);
        _Alignas(max_align_t) char target[256] = {0};
        ck_assert_uint_le(check_cap.target_size, sizeof(target));
        memset(res, 0, sizeof(*res));
        if (r == PF_OK)
                r = check_cap.parse_target(&config, cap, target, res->target, err);
        if (r != PF_OK)
                return r;
        struct attempt attempt = {.number = 1};
        check_cap.run(&config, target, &attempt, res);
        return PF_OK;
}

START_TEST(test_file_missing_is_usage)
{
        struct check_result res;
        struct pf_error err = {0};
        ck_assert_int_eq(run_with_file("/no/such/file", NULL, "chown", &res, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "--file: '/no/such/file'"));
        ck_assert_int_eq(run_with_file("", NULL, "chown", &res, &err), PF_USAGE);
}
END_TEST

START_TEST(test_file_with_process_set_is_usage)
{
        struct check_result res;
        struct pf_error err = {0};
        ck_assert_int_eq(run_with_file("/bin/sh", "ambient", "chown", &res, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "--set ambient"));
        ck_assert_int_eq(run_with_file("/bin/sh", "bounding", "chown", &res, &err), PF_USAGE);
}
END_TEST

/* A fresh file has no capabilities: 30, and the fix is the setcap line for that path. */
static void assert_file_without_caps(const char *dir_template, const char *expect_fix_path)
{
        char dir[128], path[192];
        struct check_result res;
        struct pf_error err = {0};
        snprintf(dir, sizeof(dir), "%s", dir_template);
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/my app", dir);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(run_with_file(path, NULL, "net_bind_service", &res, &err), PF_OK);
        ck_assert_int_eq(res.code, PF_CAP_MISSING);
        ck_assert_ptr_nonnull(strstr(res.message, "has no file capabilities"));
        char fix[512];
        snprintf(fix, sizeof(fix), "setcap cap_net_bind_service=+ep '%s/%s'", dir, expect_fix_path);
        ck_assert_str_eq(res.fix, fix);
        ck_assert_int_eq(run_with_file(path, "permitted", "chown", &res, &err), PF_OK);
        ck_assert_int_eq(res.code, PF_CAP_MISSING);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(rmdir(dir), 0);
}

START_TEST(test_file_without_caps)
{
        /* The space in "my app" makes the fix quote the path for the shell. */
        assert_file_without_caps("/tmp/preflight-cap.XXXXXX", "my app");
}
END_TEST

Suite *suite_cap(void)
{
        Suite *s = suite_create("cap");
        TCase *tc = tcase_create("names");
        tcase_add_loop_test(tc, test_name_good, 0,
                            (int)(sizeof(good_names) / sizeof(good_names[0])));
        tcase_add_loop_test(tc, test_name_bad, 0, (int)(sizeof(bad_names) / sizeof(bad_names[0])));
        suite_add_tcase(s, tc);

        tc = tcase_create("options");
        tcase_add_test(tc, test_set_names);
        tcase_add_test(tc, test_file_missing_is_usage);
        tcase_add_test(tc, test_file_with_process_set_is_usage);
        tcase_add_test(tc, test_file_without_caps);
        suite_add_tcase(s, tc);
        return s;
}
