/* Unit tests of the postgres check: targets and URIs (parsed by the real libpq), SQLSTATE and
 * libpq messages to exit codes, causes and fixes, and the hiding of passwords. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/postgres/postgres.h"
#include "core/check.h"

Suite *suite_postgres(void);

static void load_libpq(void)
{
        struct pf_error err = {{0}, {0}};
        ck_assert_int_eq(pg_load_libpq(&err), PF_OK);
}

/* ---- targets ---- */

static const struct {
        const char *text;
        enum pg_transport transport;
        const char *host, *port; /* port "": libpq's default */
        const char *shown;
        bool has_password;
} good_targets[] = {
    {"127.0.0.1", PG_TCP, "127.0.0.1", "", "127.0.0.1:5432", false},
    {"db.internal:5433", PG_TCP, "db.internal", "5433", "db.internal:5433", false},
    {":6000", PG_TCP, "127.0.0.1", "6000", "127.0.0.1:6000", false},
    {"[::1]:5440", PG_TCP, "::1", "5440", "[::1]:5440", false},
    {"unix:/var/run/postgresql", PG_UNIX, "/var/run/postgresql", "", "unix:/var/run/postgresql",
     false},
    {"postgresql://app@db.internal:5433/appdb", PG_TCP, "db.internal", "5433",
     "postgresql://app@db.internal:5433/appdb", false},
    {"postgres://app:s3cret@127.0.0.1/appdb", PG_TCP, "127.0.0.1", "",
     "postgres://app:***@127.0.0.1:5432/appdb", true},
    {"postgresql://app@/appdb?host=/tmp/pg", PG_UNIX, "/tmp/pg", "",
     "postgresql://app@/appdb?host=/tmp/pg", false},
    {"postgresql://[::1]:5999", PG_TCP, "::1", "5999", "postgresql://[::1]:5999", false},
    {"postgresql://app@h/db?password=s3cret&sslmode=require", PG_TCP, "h", "",
     "postgresql://app:***@h:5432/db", true},
    {"postgresql://%2Frun%2Fpg/db", PG_UNIX, "/run/pg", "", "postgresql:///db?host=/run/pg", false},
};

START_TEST(test_target_good)
{
        load_libpq();
        unsetenv("PGPORT");
        struct pg_target t;
        char shown[TARGET_SHOWN_SIZE];
        struct pf_error err = {{0}, {0}};
        ck_assert_msg(pg_parse_target(good_targets[_i].text, &t, shown, &err) == PF_OK, "%s: %s",
                      good_targets[_i].text, err.msg);
        ck_assert_int_eq(t.transport, good_targets[_i].transport);
        ck_assert_str_eq(t.host, good_targets[_i].host);
        ck_assert_str_eq(t.port, good_targets[_i].port);
        ck_assert_str_eq(shown, good_targets[_i].shown);
        ck_assert_int_eq(t.has_password, good_targets[_i].has_password);
        ck_assert_ptr_null(strstr(shown, "s3cret"));
        pg_target_release(&t);
}
END_TEST

static const struct {
        const char *text;
        const char *in_message;
} bad_targets[] = {
    {"", "empty"},
    {"127.0.0.1:0", "port"},
    {"127.0.0.1:65536", "port"},
    {"unix:relative", "absolute"},
    {"unix:/a,/b", "one socket directory"},
    {"mysql://u:s3cret@h/db", "only postgresql://"},
    {"u:s3cret@h", "must be a URI"},
    {"host=h password=s3cret", "keyword=value"},
    {"postgresql://u:s3cret%zz@h/db", "percent-encoded"},
    {"postgresql://u@h/db?password=s3cret%zz", "percent-encoded"},
    {"postgresql://u:s3cret@h1,h2/db", "one host per target"},
    {"postgresql://u:s3cret@h:70000/db", "port"},
    {"postgresql://u:s3cret@h/db?service=x", "service="},
    {"postgresql://u:s3cret@h/db?hostaddr=127.0.0.1", "hostaddr="},
    {"postgresql://u:s3cret@h/db?nosuchkey=1", "invalid URI query parameter"},
    {"postgresql://u:s3cret@127.1/db", "IPv4"},
    {"postgresql://u:@s3cret@h/db", "an '@' in the host"},
    {"postgresql://u@[::1:s3cret@h", "IPv6"},
    {"unix:u:s3cret@h", "absolute"},
    {"unix:/run/postgresql://u:s3cret@h\x01", "control characters"},
};

START_TEST(test_target_bad)
{
        load_libpq();
        struct pg_target t;
        char shown[TARGET_SHOWN_SIZE];
        struct pf_error err = {{0}, {0}};
        ck_assert_int_eq(pg_parse_target(bad_targets[_i].text, &t, shown, &err), PF_USAGE);
        ck_assert_msg(strstr(err.msg, bad_targets[_i].in_message), "%s: %s", bad_targets[_i].text,
                      err.msg);
        ck_assert_msg(!strstr(err.msg, "s3cret"), "password in '%s'", err.msg);
        ck_assert_msg(!strstr(shown, "s3cret"), "password in shown '%s'", shown);
        pg_target_release(&t);
}
END_TEST

START_TEST(test_uri_params_kept)
{
        load_libpq();
        struct pg_target t;
        char shown[TARGET_SHOWN_SIZE];
        struct pf_error err = {{0}, {0}};
        ck_assert_int_eq(pg_parse_target("postgresql://app:pw@h:5433/appdb?sslmode=verify-full&"
                                         "application_name=x",
                                         &t, shown, &err),
                         PF_OK);
        ck_assert_str_eq(pg_target_param(&t, "user"), "app");
        ck_assert_str_eq(pg_target_param(&t, "password"), "pw");
        ck_assert_str_eq(pg_target_param(&t, "dbname"), "appdb");
        ck_assert_str_eq(pg_target_param(&t, "sslmode"), "verify-full");
        ck_assert_ptr_null(pg_target_param(&t, "host")); /* the target's own */
        ck_assert_ptr_null(pg_target_param(&t, "port"));
        pg_target_release(&t);
        ck_assert_uint_eq(t.params, 0);
}
END_TEST

START_TEST(test_redact)
{
        char text[64] = "abc secret def secret";
        pg_redact(text, "secret", 6);
        ck_assert_str_eq(text, "abc *** def ***");
        char stars[16] = "x***y";
        pg_redact(stars, "***", 3); /* a secret like what replaces it: no endless loop */
        ck_assert_str_eq(stars, "x***y");
        char short_one[16] = "a-b-a";
        pg_redact(short_one, "a", 1);
        ck_assert_str_eq(short_one, "*-b-*");
        char partial[32] = "password pa%zz";
        pg_redact(partial, "pa%zz@host", 5); /* not NUL-terminated where it ends */
        ck_assert_str_eq(partial, "password ***");
}
END_TEST

/* ---- errors ---- */

static const struct {
        const char *message;
        int code;
        const char *sqlstate;
        bool answered;
        const char *cause;
        const char *fix; /* NULL: none */
} failures[] = {
    {"connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  28P01: password "
     "authentication failed for user \"app\"\nLOCATION:  auth_failed, auth.c:326\n",
     PF_POSTGRES_DENIED, "28P01", true, "password authentication failed for user \"app\"",
     "ALTER ROLE \"app\""},
    {"connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  28000: no pg_hba.conf "
     "entry for host \"127.0.0.1\", user \"app\", database \"appdb\", no encryption\n",
     PF_POSTGRES_DENIED, "28000", true, NULL, "host appdb app 127.0.0.1/32 scram-sha-256"},
    {"connection to server on socket \"/s/.s.PGSQL.5432\" failed: FATAL:  28000: no pg_hba.conf "
     "entry for host \"[local]\", user \"app\", database \"appdb\", no encryption\n",
     PF_POSTGRES_DENIED, "28000", true, NULL, "local appdb app"},
    {"... failed: FATAL:  28000: role \"app\" does not exist\n", PF_POSTGRES_DENIED, "28000", true,
     "role \"app\" does not exist", "CREATE ROLE \"app\" LOGIN"},
    {"... failed: FATAL:  3D000: database \"appdb\" does not exist\n", PF_POSTGRES_DENIED, "3D000",
     true, NULL, "createdb -O app appdb"},
    {"... failed: FATAL:  57P03: the database system is not accepting connections\nDETAIL:  Hot "
     "standby mode is disabled.\n",
     PF_POSTGRES_NOT_READY, "57P03", true, "the database system is not accepting connections",
     "hot_standby"},
    {"... failed: FATAL:  53300: sorry, too many clients already\n", PF_POSTGRES_NOT_READY, "53300",
     true, NULL, "max_connections"},
    {"... failed: FATAL:  57P01: terminating connection due to administrator command\n",
     PF_POSTGRES_NOT_READY, "57P01", true, NULL, NULL},
    {"connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server "
     "running on that host and accepting TCP/IP connections?\n",
     PF_POSTGRES_UNREACHABLE, "", false, "Connection refused", "start PostgreSQL"},
    {"connection to server on socket \"/x/.s.PGSQL.5432\" failed: No such file or directory\n",
     PF_POSTGRES_UNREACHABLE, "", false, "No such file or directory", "unix_socket_directories"},
    {"connection to server at \"h\", port 5432 failed: fe_sendauth: no password supplied\n",
     PF_POSTGRES_DENIED, "", true, "fe_sendauth: no password supplied", "~/.pgpass"},
    {"connection to server at \"h\", port 5432 failed: server does not support SSL, but SSL was "
     "required\n",
     PF_POSTGRES_DENIED, "", true, NULL, "ssl"},
    {"connection to server at \"h\", port 5432 failed: received invalid response to SSL "
     "negotiation: H\n",
     PF_POSTGRES_UNREACHABLE, "", false, NULL, "start PostgreSQL"},
    {"connection to server at \"h\", port 5432 failed: server closed the connection "
     "unexpectedly\n",
     PF_POSTGRES_UNREACHABLE, "", false, "server closed the connection unexpectedly", NULL},
    {"... failed: FATAL:  ABCDE", PF_POSTGRES_NOT_READY, "ABCDE", true, "no reason given", NULL},
    {"FATAL:  2800", PF_POSTGRES_UNREACHABLE, "", false, NULL, NULL},
};

START_TEST(test_failure)
{
        struct pg_failure f = pg_classify(failures[_i].message);
        char cause[400];
        ck_assert_int_eq(f.code, failures[_i].code);
        ck_assert_str_eq(f.sqlstate, failures[_i].sqlstate);
        ck_assert_int_eq(f.server_answered, failures[_i].answered);
        pg_cause(failures[_i].message, cause, sizeof(cause));
        if (failures[_i].cause)
                ck_assert_str_eq(cause, failures[_i].cause);
        ck_assert_ptr_null(strchr(cause, '\n'));
        struct check_result res = {0};
        pg_fix(&f, cause, "app", "appdb", &res);
        if (failures[_i].fix)
                ck_assert_msg(strstr(res.fix, failures[_i].fix), "fix '%s' for %s", res.fix,
                              failures[_i].message);
}
END_TEST

START_TEST(test_cause_is_cleaned)
{
        char cause[64];
        pg_cause("x failed: FATAL:  28P01: bad \x1b[31mred\x7f", cause, sizeof(cause));
        ck_assert_str_eq(cause, "bad ?[31mred?");
        pg_cause("", cause, sizeof(cause));
        ck_assert_str_eq(cause, "no reason given");
        pg_cause("x failed: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 cause, sizeof(cause));
        ck_assert_uint_eq(strlen(cause), sizeof(cause) - 1);
}
END_TEST

/* ---- the check's declaration ---- */

extern const struct check check_postgres;

START_TEST(test_codes_in_table)
{
        for (int code = 80; code <= 83; code++)
                ck_assert_ptr_nonnull(pf_code_lookup(code));
        ck_assert(pf_code_is_permanent(PF_POSTGRES_DENIED));
        ck_assert(!pf_code_is_permanent(PF_POSTGRES_NOT_READY));
        ck_assert(!pf_code_is_permanent(PF_POSTGRES_UNREACHABLE));
        ck_assert_int_eq(check_postgres.timeout_code, PF_POSTGRES_TIMEOUT);
        ck_assert_ptr_eq(check_find("postgres"), &check_postgres);
}
END_TEST

Suite *suite_postgres(void)
{
        Suite *s = suite_create("postgres");
        TCase *tc = tcase_create("targets");
        tcase_add_loop_test(tc, test_target_good, 0,
                            sizeof(good_targets) / sizeof(good_targets[0]));
        tcase_add_loop_test(tc, test_target_bad, 0, sizeof(bad_targets) / sizeof(bad_targets[0]));
        tcase_add_test(tc, test_uri_params_kept);
        tcase_add_test(tc, test_redact);
        suite_add_tcase(s, tc);
        tc = tcase_create("errors");
        tcase_add_loop_test(tc, test_failure, 0, sizeof(failures) / sizeof(failures[0]));
        tcase_add_test(tc, test_cause_is_cleaned);
        tcase_add_test(tc, test_codes_in_table);
        suite_add_tcase(s, tc);
        return s;
}
