/* Unit tests of the mysql check: targets and URLs, what each error number means, the server's
 * words cleaned for a message, and the check's options. The check against real servers:
 * tests/integration/test_mysql.sh. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "checks/mysql/mysql_check.h"
#include "core/check.h"

Suite *suite_mysql(void);

extern const struct check check_mysql;

/* ---- targets ---- */

static const struct {
        const char *text;
        enum mysql_transport transport;
        const char *host_or_path;
        unsigned port;
        const char *user; /* NULL: none */
        const char *password;
        const char *db;
        const char *display;
} good_targets[] = {
    {"127.0.0.1", MYSQL_CHECK_TCP, "127.0.0.1", 3306, NULL, NULL, NULL, "127.0.0.1"},
    {"127.0.0.1:3307", MYSQL_CHECK_TCP, "127.0.0.1", 3307, NULL, NULL, NULL, "127.0.0.1:3307"},
    {":3310", MYSQL_CHECK_TCP, "127.0.0.1", 3310, NULL, NULL, NULL, ":3310"},
    {"[::1]:3311", MYSQL_CHECK_TCP, "::1", 3311, NULL, NULL, NULL, "[::1]:3311"},
    {"db.internal", MYSQL_CHECK_TCP, "db.internal", 3306, NULL, NULL, NULL, "db.internal"},
    {"unix:/run/mysqld/mysqld.sock", MYSQL_CHECK_UNIX, "/run/mysqld/mysqld.sock", 0, NULL, NULL,
     NULL, "unix:/run/mysqld/mysqld.sock"},
    {"mysql://db.internal", MYSQL_CHECK_TCP, "db.internal", 3306, NULL, NULL, NULL,
     "mysql://db.internal"},
    {"mysql://app@db.internal/appdb", MYSQL_CHECK_TCP, "db.internal", 3306, "app", NULL, "appdb",
     "mysql://app@db.internal/appdb"},
    {"mariadb://app:s3cret@127.0.0.1:3307/appdb", MYSQL_CHECK_TCP, "127.0.0.1", 3307, "app",
     "s3cret", "appdb", "mariadb://app:***@127.0.0.1:3307/appdb"},
    {"MYSQL://[::1]:3308/", MYSQL_CHECK_TCP, "::1", 3308, NULL, NULL, NULL, "MYSQL://[::1]:3308/"},
    {"mysql://odd:p@ss:w/rd@h", MYSQL_CHECK_TCP, "h", 3306, "odd", "p@ss:w/rd", NULL,
     "mysql://odd:***@h"},
    {"mysql://odd:p%40ss%3A@h/my%20db", MYSQL_CHECK_TCP, "h", 3306, "odd", "p@ss:", "my db",
     "mysql://odd:***@h/my%20db"},
    {"mysql://:pw@h", MYSQL_CHECK_TCP, "h", 3306, NULL, "pw", NULL, "mysql://:***@h"},
};

START_TEST(test_target_good)
{
        struct mysql_target t;
        struct pf_error err = {{0}, {0}};
        ck_assert_int_eq(mysql_parse_target(good_targets[_i].text, &t, &err), PF_OK);
        ck_assert_int_eq(t.transport, good_targets[_i].transport);
        if (t.transport == MYSQL_CHECK_UNIX) {
                ck_assert_str_eq(t.socket_path, good_targets[_i].host_or_path);
        } else {
                ck_assert_str_eq(t.address.host, good_targets[_i].host_or_path);
                ck_assert_uint_eq(t.address.port, good_targets[_i].port);
        }
        ck_assert_int_eq(t.has_user, good_targets[_i].user != NULL);
        if (good_targets[_i].user)
                ck_assert_str_eq(t.user, good_targets[_i].user);
        ck_assert_int_eq(t.has_password, good_targets[_i].password != NULL);
        if (good_targets[_i].password)
                ck_assert_str_eq(t.password, good_targets[_i].password);
        ck_assert_int_eq(t.has_db, good_targets[_i].db != NULL);
        if (good_targets[_i].db)
                ck_assert_str_eq(t.db, good_targets[_i].db);
        ck_assert_str_eq(t.display, good_targets[_i].display);
        mysql_target_wipe(&t);
        ck_assert_str_eq(t.password, "");
}
END_TEST

static const struct {
        const char *text;
        const char *said; /* in the message */
} bad_targets[] = {
    {"", "empty target"},
    {"127.0.0.1:0", "1-65535"},
    {"127.0.0.1:99999", "'127.0.0.1:99999'"},
    {"unix:relative.sock", "absolute"},
    {"unix:/tmp/a\tb", "control characters"},
    {"unix:app:hunter2@/run/mysqld.sock", "unix:***@/run/mysqld.sock"},
    {"postgres://app:hunter2@h", "'postgres://...'"},
    {"app:hunter2@h", "must be a URL"},
    {"mysql://", "host is missing"},
    {"mysql://app:hunter2@/db", "mysql://app:***@/db"},
    {"mysql://app:hunter2@h?ssl=1", "parameters"},
    {"mysql://app:@h", "empty"},
    {"mysql://app:hunter2%zz@h", "malformed"},
    {"mysql://app:hunter2%00@h", "NUL byte"},
    {"mysql://h/a%2Fb", "database name"},
    {"mysql://h:99999", "1-65535"},
};

START_TEST(test_target_bad)
{
        struct mysql_target t;
        struct pf_error err = {{0}, {0}};
        ck_assert_int_eq(mysql_parse_target(bad_targets[_i].text, &t, &err), PF_USAGE);
        ck_assert_msg(strstr(err.msg, bad_targets[_i].said), "'%s': '%s' lacks '%s'",
                      bad_targets[_i].text, err.msg, bad_targets[_i].said);
        ck_assert_ptr_null(strstr(err.msg, "hunter2"));
        mysql_target_wipe(&t);
}
END_TEST

START_TEST(test_long_password)
{
        char text[MYSQL_CHECK_SECRET_MAX + 64];
        struct mysql_target t;
        struct pf_error err = {{0}, {0}};
        char password[MYSQL_CHECK_SECRET_MAX + 2];
        memset(password, 'p', sizeof(password) - 1);
        password[MYSQL_CHECK_SECRET_MAX] = '\0'; /* the longest accepted */
        snprintf(text, sizeof(text), "mysql://u:%s@h", password);
        ck_assert_int_eq(mysql_parse_target(text, &t, &err), PF_OK);
        ck_assert_uint_eq(strlen(t.password), MYSQL_CHECK_SECRET_MAX);
        password[MYSQL_CHECK_SECRET_MAX] = 'p'; /* one more */
        password[MYSQL_CHECK_SECRET_MAX + 1] = '\0';
        snprintf(text, sizeof(text), "mysql://u:%s@h", password);
        ck_assert_int_eq(mysql_parse_target(text, &t, &err), PF_USAGE);
        ck_assert_ptr_null(strstr(err.msg, "pppp"));
}
END_TEST

/* ---- error numbers ---- */

static const struct {
        unsigned error;
        int code;
        bool answer;     /* --ping passes on it */
        const char *fix; /* in the fix; NULL: any */
} errors[] = {
    {ER_ACCESS_DENIED_ERROR, PF_MYSQL_DENIED, true, "ALTER USER 'app'@'%'"},
    {ER_DBACCESS_DENIED_ERROR, PF_MYSQL_DENIED, true, "GRANT ALL ON `appdb`.* TO 'app'@'%'"},
    {ER_BAD_DB_ERROR, PF_MYSQL_DENIED, true, "CREATE DATABASE `appdb`"},
    {ER_HOST_NOT_PRIVILEGED, PF_MYSQL_DENIED, true, "CREATE USER 'app'@"},
    {ER_SPECIFIC_ACCESS_DENIED_ERROR, PF_MYSQL_DENIED, true, "GRANT SLAVE MONITOR ON *.*"},
    {ER_HOST_IS_BLOCKED, PF_MYSQL_DENIED, true, "flush-hosts"},
    {4151, PF_MYSQL_DENIED, true, "ACCOUNT UNLOCK"},
    {CR_SSL_CONNECTION_ERROR, PF_MYSQL_DENIED, false, "--ssl-ca"},
    {ER_CON_COUNT_ERROR, PF_MYSQL_NOT_READY, false, "max_connections"},
    {ER_SERVER_SHUTDOWN, PF_MYSQL_NOT_READY, false, "shutting down"},
    {ER_TOO_MANY_USER_CONNECTIONS, PF_MYSQL_NOT_READY, true, "max_user_connections"},
    {CR_CONN_HOST_ERROR, PF_MYSQL_UNREACHABLE, false, "start the server"},
    {CR_CONNECTION_ERROR, PF_MYSQL_UNREACHABLE, false, "start the server"},
    {CR_SERVER_LOST, PF_MYSQL_UNREACHABLE, false, "not as MySQL does"},
    {CR_MALFORMED_PACKET, PF_MYSQL_UNREACHABLE, false, "not as MySQL does"},
    {CR_OUT_OF_MEMORY, PF_INTERNAL, false, NULL},
    {2999, PF_MYSQL_UNREACHABLE, false, NULL},
    {1999, PF_MYSQL_NOT_READY, true, NULL},
};

START_TEST(test_error_numbers)
{
        struct mysql_login login = {.user = "app",
                                    .password = "pw",
                                    .password_from = "MYSQL_PWD",
                                    .db = "appdb",
                                    .ssl_ca = "/etc/ca.pem"};
        struct check_result res;
        memset(&res, 0, sizeof(res));
        ck_assert_int_eq(mysql_error_exit_code(errors[_i].error), errors[_i].code);
        ck_assert_int_eq(mysql_error_is_answer(errors[_i].error), errors[_i].answer);
        mysql_error_fix(errors[_i].error, &login, &res);
        if (errors[_i].fix)
                ck_assert_msg(strstr(res.fix, errors[_i].fix), "%u: '%s' lacks '%s'",
                              errors[_i].error, res.fix, errors[_i].fix);
        ck_assert_ptr_null(strstr(res.fix, "pw'"));
}
END_TEST

START_TEST(test_denied_without_password)
{
        struct mysql_login login = {.user = "app"};
        struct check_result res;
        memset(&res, 0, sizeof(res));
        mysql_error_fix(ER_ACCESS_DENIED_ERROR, &login, &res);
        ck_assert_ptr_nonnull(strstr(res.fix, "give the password"));
}
END_TEST

START_TEST(test_server_text)
{
        char out[64];
        mysql_server_text("Access denied: hunter2\n\x1b[31m", "hunter2", out, sizeof(out));
        ck_assert_str_eq(out, "Access denied: ***??[31m");
        mysql_server_text(NULL, NULL, out, sizeof(out));
        ck_assert_str_eq(out, "");
        mysql_server_text("abcdefgh", NULL, out, 4);
        ck_assert_str_eq(out, "abc");
}
END_TEST

/* ---- options ---- */

static int option_index(const char *name)
{
        for (int i = 0; check_mysql.options[i].long_name; i++)
                if (strcmp(check_mysql.options[i].long_name, name) == 0)
                        return i;
        ck_abort_msg("no option --%s", name);
        return -1;
}

START_TEST(test_options)
{
        void *config = calloc(1, check_mysql.config_size);
        struct pf_error err = {{0}, {0}};
        ck_assert_ptr_nonnull(config);
        ck_assert_int_eq(
            check_mysql.parse_option(config, (unsigned)option_index("role"), "boss", &err),
            PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "'boss'"));
        ck_assert_int_eq(
            check_mysql.parse_option(config, (unsigned)option_index("user"), "a\tb", &err),
            PF_USAGE);
        ck_assert_int_eq(
            check_mysql.parse_option(config, (unsigned)option_index("role"), "replica", &err),
            PF_OK);
        ck_assert_int_eq(
            check_mysql.parse_option(config, (unsigned)option_index("ping"), NULL, &err), PF_OK);
        ck_assert_int_eq(check_mysql.finish(config, 1, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "--ping or --role"));
        ck_assert_int_eq(check_mysql.parse_option(config, (unsigned)option_index("password-file"),
                                                  "/nonexistent/pw", &err),
                         PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/pw"));
        check_mysql.release(config);
        free(config);
}
END_TEST

START_TEST(test_url_password_warns)
{
        struct mysql_target t;
        char shown[TARGET_SHOWN_SIZE];
        struct pf_error err = {{0}, {0}};
        ck_assert_int_eq(check_mysql.parse_target(NULL, "mysql://a:hunter2@h", &t, shown, &err),
                         PF_OK);
        ck_assert_str_eq(shown, "mysql://a:***@h");
        ck_assert_ptr_nonnull(strstr(err.warning, "MYSQL_PWD"));
        check_mysql.release_target(&t);
        ck_assert_str_eq(t.password, "");
}
END_TEST

Suite *suite_mysql(void)
{
        Suite *s = suite_create("mysql");
        TCase *tc = tcase_create("targets");
        tcase_add_loop_test(tc, test_target_good, 0,
                            sizeof(good_targets) / sizeof(good_targets[0]));
        tcase_add_loop_test(tc, test_target_bad, 0, sizeof(bad_targets) / sizeof(bad_targets[0]));
        tcase_add_test(tc, test_long_password);
        tcase_add_test(tc, test_url_password_warns);
        suite_add_tcase(s, tc);
        tc = tcase_create("errors");
        tcase_add_loop_test(tc, test_error_numbers, 0, sizeof(errors) / sizeof(errors[0]));
        tcase_add_test(tc, test_denied_without_password);
        tcase_add_test(tc, test_server_text);
        suite_add_tcase(s, tc);
        tc = tcase_create("options");
        tcase_add_test(tc, test_options);
        suite_add_tcase(s, tc);
        return s;
}
