/* Unit tests of the limit check's expressions (checks/limit.c): names as prlimit and systemd
 * spell them, the operators, the units of each limit, and what is refused. */
#include <check.h>
#include <string.h>

#include "checks/limit.h"

Suite *suite_limit(void);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
        const char *text;
        int resource;
        enum limit_op op;
        rlim_t value;
        const char *shown;
} good[] = {
    {"nofile>=65535", RLIMIT_NOFILE, LIMIT_AT_LEAST, 65535, "nofile>=65535"},
    {"LimitNOFILE>=65535", RLIMIT_NOFILE, LIMIT_AT_LEAST, 65535, "nofile>=65535"},
    {"RLIMIT_NOFILE<=1024", RLIMIT_NOFILE, LIMIT_AT_MOST, 1024, "nofile<=1024"},
    {"NoFile=10", RLIMIT_NOFILE, LIMIT_EQUAL, 10, "nofile=10"},
    {"rlimit_nproc>=4096", RLIMIT_NPROC, LIMIT_AT_LEAST, 4096, "nproc>=4096"},
    {"memlock=infinity", RLIMIT_MEMLOCK, LIMIT_EQUAL, RLIM_INFINITY, "memlock=infinity"},
    {"memlock=unlimited", RLIMIT_MEMLOCK, LIMIT_EQUAL, RLIM_INFINITY, "memlock=infinity"},
    {"core=0", RLIMIT_CORE, LIMIT_EQUAL, 0, "core=0"},
    {"stack<=8M", RLIMIT_STACK, LIMIT_AT_MOST, 8 * 1024 * 1024, "stack<=8M"},
    {"memlock>=64k", RLIMIT_MEMLOCK, LIMIT_AT_LEAST, 64 * 1024, "memlock>=64K"},
    {"as>=2G", RLIMIT_AS, LIMIT_AT_LEAST, 2ULL << 30, "as>=2G"},
    {"fsize>=1536K", RLIMIT_FSIZE, LIMIT_AT_LEAST, 1536 * 1024, "fsize>=1536K"},
    {"data>=1000", RLIMIT_DATA, LIMIT_AT_LEAST, 1000, "data>=1000"},
    {"msgqueue>=1T", RLIMIT_MSGQUEUE, LIMIT_AT_LEAST, 1ULL << 40, "msgqueue>=1T"},
    {"cpu<=30", RLIMIT_CPU, LIMIT_AT_MOST, 30, "cpu<=30"},
    {"cpu<=5min", RLIMIT_CPU, LIMIT_AT_MOST, 300, "cpu<=300"},
    {"cpu<=1500ms", RLIMIT_CPU, LIMIT_AT_MOST, 2, "cpu<=2"}, /* rounded up, as systemd */
    {"rttime<=500", RLIMIT_RTTIME, LIMIT_AT_MOST, 500, "rttime<=500"},
    {"rttime<=500ms", RLIMIT_RTTIME, LIMIT_AT_MOST, 500000, "rttime<=500000"},
    {"LimitRTTIME=infinity", RLIMIT_RTTIME, LIMIT_EQUAL, RLIM_INFINITY, "rttime=infinity"},
    {"nice>=20", RLIMIT_NICE, LIMIT_AT_LEAST, 20, "nice>=20"},
    {"LimitNICE>=-5", RLIMIT_NICE, LIMIT_AT_LEAST, 25, "nice>=25"}, /* a nice level, as systemd */
    {"nice>=+19", RLIMIT_NICE, LIMIT_AT_LEAST, 1, "nice>=1"},
    {"nice=-20", RLIMIT_NICE, LIMIT_EQUAL, 40, "nice=40"},
    {"rtprio=0", RLIMIT_RTPRIO, LIMIT_EQUAL, 0, "rtprio=0"},
    {"locks>=100", RLIMIT_LOCKS, LIMIT_AT_LEAST, 100, "locks>=100"},
    {"sigpending>=100", RLIMIT_SIGPENDING, LIMIT_AT_LEAST, 100, "sigpending>=100"},
    {"rss=infinity", RLIMIT_RSS, LIMIT_EQUAL, RLIM_INFINITY, "rss=infinity"},
};

START_TEST(test_good)
{
        struct limit_expr e;
        struct pf_error err = {0};
        char shown[TARGET_SHOWN_SIZE];
        ck_assert_msg(limit_parse_expr(good[_i].text, &e, &err) == PF_OK, "%s: %s", good[_i].text,
                      err.msg);
        ck_assert_int_eq(e.limit->resource, good[_i].resource);
        ck_assert_int_eq(e.op, good[_i].op);
        ck_assert_uint_eq(e.value, good[_i].value);
        limit_format_expr(&e, shown, sizeof(shown));
        ck_assert_str_eq(shown, good[_i].shown);
        /* What is shown parses back to the same expression. */
        struct limit_expr again;
        ck_assert_int_eq(limit_parse_expr(shown, &again, &err), PF_OK);
        ck_assert_uint_eq(again.value, e.value);
}
END_TEST

static const struct {
        const char *text;
        const char *message; /* a part of the message */
} bad[] = {
    {"nofile", "'nofile' is not NAME>=VALUE"},
    {"", "is not NAME>=VALUE"},
    {"nofiles>=1", "'nofiles>=1': not a resource limit"},
    {"Limit>=1", "not a resource limit"},
    {"RLIMIT_=1", "not a resource limit"},
    {">=1", "not a resource limit"},
    {"nofile!=1", "the comparison is >=, <= or ="},
    {"nofile>1", "the comparison is >=, <= or ="},
    {"nofile<1", "the comparison is >=, <= or ="},
    {"nofile==1", "the value of nofile is a whole number"},
    {"nofile>=", "the value of nofile is a whole number"},
    {"nofile>=64K", "the value of nofile is a whole number"},
    {"nofile>=-1", "a whole number"},
    {"nofile>= 1", "a whole number"},
    {"nofile>=18446744073709551615", "a whole number"}, /* RLIM_INFINITY written as a number */
    {"nofile>=99999999999999999999", "a whole number"},
    {"memlock>=1X", "bytes, with K, M, G or T (powers of 1024)"},
    {"memlock>=1KB", "bytes, with K"},
    {"memlock>=K", "bytes, with K"},
    {"memlock>=1.5G", "bytes, with K"},
    {"memlock>=17179869184G", "bytes, with K"}, /* 2^64 */
    {"cpu<=5parsecs", "seconds, or a span"},
    {"nice>=+20", "a nice level -20 to +19"},
    {"nice>=-21", "a nice level -20 to +19"},
    {"nice>=-", "a nice level"},
    {"nproc>=+5", "a whole number"},
    {"rttime<=soon", "microseconds, or a span"},
};

START_TEST(test_bad)
{
        struct limit_expr e;
        struct pf_error err = {0};
        ck_assert_int_eq(limit_parse_expr(bad[_i].text, &e, &err), PF_USAGE);
        ck_assert_msg(strstr(err.msg, bad[_i].message), "%s: '%s'", bad[_i].text, err.msg);
}
END_TEST

START_TEST(test_holds)
{
        struct limit_expr e;
        struct pf_error err = {0};
        ck_assert_int_eq(limit_parse_expr("nofile>=1024", &e, &err), PF_OK);
        ck_assert(limit_holds(&e, 1024) && limit_holds(&e, RLIM_INFINITY) &&
                  !limit_holds(&e, 1023));
        ck_assert_int_eq(limit_parse_expr("core<=0", &e, &err), PF_OK);
        ck_assert(limit_holds(&e, 0) && !limit_holds(&e, 1) && !limit_holds(&e, RLIM_INFINITY));
        ck_assert_int_eq(limit_parse_expr("memlock=infinity", &e, &err), PF_OK);
        ck_assert(limit_holds(&e, RLIM_INFINITY) && !limit_holds(&e, RLIM_INFINITY - 1));
}
END_TEST

START_TEST(test_format_value)
{
        struct limit_expr e;
        struct pf_error err = {0};
        char buf[32];
        ck_assert_int_eq(limit_parse_expr("stack=1", &e, &err), PF_OK);
        limit_format_value(e.limit, 1025, buf, sizeof(buf));
        ck_assert_str_eq(buf, "1025");
        limit_format_value(e.limit, 3ULL << 60, buf, sizeof(buf));
        ck_assert_str_eq(buf, "3E");
        ck_assert_int_eq(limit_parse_expr("nofile=1", &e, &err), PF_OK);
        limit_format_value(e.limit, 1024, buf, sizeof(buf)); /* a count has no suffix */
        ck_assert_str_eq(buf, "1024");
        limit_format_value(e.limit, 65536, buf, 3); /* cut, terminated */
        ck_assert_str_eq(buf, "65");
}
END_TEST

Suite *suite_limit(void)
{
        Suite *s = suite_create("limit");
        TCase *t = tcase_create("expressions");
        tcase_add_loop_test(t, test_good, 0, ARRAY_SIZE(good));
        tcase_add_loop_test(t, test_bad, 0, ARRAY_SIZE(bad));
        tcase_add_test(t, test_holds);
        tcase_add_test(t, test_format_value);
        suite_add_tcase(s, t);
        return s;
}
