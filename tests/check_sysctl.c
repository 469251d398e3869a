/* Unit tests of the sysctl check's parts (checks/sysctl.c): expressions and their paths below
 * /proc/sys, the comparison of numbers and of whole texts, and the bounded read (on real files:
 * /proc/sys itself and files this test writes). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/sysctl.h"

Suite *suite_sysctl(void);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
        const char *text;
        const char *path;
        enum sysctl_op op;
        const char *value;
        bool numeric;
} good[] = {
    {"vm.max_map_count>=262144", "vm/max_map_count", SYSCTL_AT_LEAST, "262144", true},
    {"net.core.somaxconn<=4096", "net/core/somaxconn", SYSCTL_AT_MOST, "4096", true},
    {"vm.overcommit_memory=1", "vm/overcommit_memory", SYSCTL_EQUAL, "1", true},
    {"kernel.perf_event_paranoid!=-1", "kernel/perf_event_paranoid", SYSCTL_NOT_EQUAL, "-1", true},
    {"vm/max_map_count=1", "vm/max_map_count", SYSCTL_EQUAL, "1", true},
    {"net/ipv4/conf/eth0.100/forwarding=1", "net/ipv4/conf/eth0.100/forwarding", SYSCTL_EQUAL, "1",
     true},
    {"net.ipv4.ip_local_port_range=32768 60999", "net/ipv4/ip_local_port_range", SYSCTL_EQUAL,
     "32768 60999", false},
    {"net.ipv4.ip_local_port_range= 32768\t \t60999 ", "net/ipv4/ip_local_port_range", SYSCTL_EQUAL,
     "32768 60999", false},
    {"kernel.core_pattern=|/usr/lib/systemd/systemd-coredump %P", "kernel/core_pattern",
     SYSCTL_EQUAL, "|/usr/lib/systemd/systemd-coredump %P", false},
    {"kernel.domainname=", "kernel/domainname", SYSCTL_EQUAL, "", false},
    {"fs.file-max>=18446744073709551615", "fs/file-max", SYSCTL_AT_LEAST, "18446744073709551615",
     true},
    {"net.ipv6.conf.all.disable_ipv6!=1", "net/ipv6/conf/all/disable_ipv6", SYSCTL_NOT_EQUAL, "1",
     true},
    {"kernel.osrelease!=5.10", "kernel/osrelease", SYSCTL_NOT_EQUAL, "5.10", false},
};

START_TEST(test_good)
{
        struct sysctl_expr e;
        struct pf_error err = {0};
        ck_assert_msg(sysctl_parse_expr(good[_i].text, &e, &err) == PF_OK, "%s: %s", good[_i].text,
                      err.msg);
        ck_assert_str_eq(e.path, good[_i].path);
        ck_assert_int_eq(e.op, good[_i].op);
        ck_assert_str_eq(e.value, good[_i].value);
        ck_assert_int_eq(e.numeric, good[_i].numeric);
}
END_TEST

static const struct {
        const char *text;
        const char *message;
} bad[] = {
    {"vm.max_map_count", "'vm.max_map_count' is not KEY=VALUE"},
    {"=1", "'=1': no key before '='"},
    {"vm.max_map_count>262144", "the comparison is =, !=, >= or <="},
    {"vm.max_map_count!1", "the comparison is"},
    {"vm.max_map_count=>1", "the comparison is"},
    {"vm..max_map_count=1", "an empty or '.' part"},
    {".vm=1", "an empty or '.' part"},
    {"vm.=1", "the key ends with '.'"},
    {"net/ipv4/conf/../forwarding=1", "an empty or '.' part"},
    {"/vm/max_map_count=1", "an empty or '.' part"},
    {"vm/max_map_count/=1", "the key ends with '/'"},
    {"net/./ipv4=1", "an empty or '.' part"},
    {"vm max_map_count=1", "a key is letters"},
    {"vm.max_map_count\n=1", "a key is letters"},
    {"vm.max_map_count>=abc", ">= compares whole numbers ('abc' is not one)"},
    {"vm.max_map_count<=1.5", "<= compares whole numbers"},
    {"net.ipv4.ip_local_port_range>=32768 60999", ">= compares whole numbers"},
    {"vm.max_map_count>=99999999999999999999", ">= compares whole numbers"},
    {"vm.max_map_count>=-9223372036854775809", ">= compares whole numbers"},
    {"kernel.core_pattern=a\nb", "a control character or a byte that is not UTF-8 in the value"},
    {"kernel.core_pattern=\033[2J", "a control character"},
    {"kernel.core_pattern=\xff", "not UTF-8"},
    {"kernel.core_pattern="
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxx",
     "the value is longer than 80 bytes"},
};

START_TEST(test_bad)
{
        struct sysctl_expr e;
        struct pf_error err = {0};
        ck_assert_int_eq(sysctl_parse_expr(bad[_i].text, &e, &err), PF_USAGE);
        ck_assert_msg(strstr(err.msg, bad[_i].message), "%s: '%s'", bad[_i].text, err.msg);
        ck_assert_ptr_null(strchr(err.msg, '\n'));
        ck_assert_ptr_null(strchr(err.msg, '\033'));
}
END_TEST

START_TEST(test_long_key)
{
        char text[SYSCTL_KEY_MAX + 8];
        memset(text, 'a', SYSCTL_KEY_MAX);
        strcpy(text + SYSCTL_KEY_MAX, "=1");
        struct sysctl_expr e;
        struct pf_error err = {0};
        ck_assert_int_eq(sysctl_parse_expr(text, &e, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "the key is longer than 159 bytes"));
        text[SYSCTL_KEY_MAX - 1] = '=';
        text[SYSCTL_KEY_MAX] = '1';
        text[SYSCTL_KEY_MAX + 1] = '\0';
        ck_assert_int_eq(sysctl_parse_expr(text, &e, &err), PF_OK);
}
END_TEST

static const struct {
        const char *expr;
        const char *current; /* as sysctl_normalize() leaves it */
        enum sysctl_verdict verdict;
} judged[] = {
    {"k>=262144", "262144", SYSCTL_HOLDS},
    {"k>=262144", "65530", SYSCTL_DIFFERS},
    {"k<=10", "-1", SYSCTL_HOLDS},
    {"k>=-1", "-2", SYSCTL_DIFFERS},
    {"k>=-2", "-1", SYSCTL_HOLDS},
    {"k<=-2", "-1", SYSCTL_DIFFERS},
    {"k>=9223372036854775807", "18446744073709551615", SYSCTL_HOLDS},
    {"k>=18446744073709551615", "9223372036854775807", SYSCTL_DIFFERS},
    {"k=1", "01", SYSCTL_HOLDS}, /* numbers compare as numbers */
    {"k=0", "-0", SYSCTL_HOLDS},
    {"k!=1", "1", SYSCTL_DIFFERS},
    {"k!=1", "2", SYSCTL_HOLDS},
    {"k=32768 60999", "32768 60999", SYSCTL_HOLDS},
    {"k=32768 60999", "32768 61000", SYSCTL_DIFFERS},
    {"k!=32768 60999", "32768 61000", SYSCTL_HOLDS},
    {"k=1", "1 2", SYSCTL_DIFFERS},
    {"k>=1", "1 2", SYSCTL_NOT_A_NUMBER},
    {"k<=1", "", SYSCTL_NOT_A_NUMBER},
    {"k=", "", SYSCTL_HOLDS},
    {"k=cubic", "cubic", SYSCTL_HOLDS},
    {"k=Cubic", "cubic", SYSCTL_DIFFERS},
};

START_TEST(test_judge)
{
        struct sysctl_expr e;
        struct pf_error err = {0};
        ck_assert_int_eq(sysctl_parse_expr(judged[_i].expr, &e, &err), PF_OK);
        ck_assert_msg(sysctl_judge(&e, judged[_i].current) == judged[_i].verdict, "%s against %s",
                      judged[_i].expr, judged[_i].current);
}
END_TEST

START_TEST(test_normalize)
{
        char buf[16];
        ck_assert(sysctl_normalize("32768\t60999\n", buf, sizeof(buf)));
        ck_assert_str_eq(buf, "32768 60999");
        ck_assert(sysctl_normalize(" \t a \t\t b\n\n", buf, sizeof(buf)));
        ck_assert_str_eq(buf, "a b");
        ck_assert(sysctl_normalize("", buf, sizeof(buf)));
        ck_assert_str_eq(buf, "");
        ck_assert(sysctl_normalize("123456789012345", buf, sizeof(buf)));
        ck_assert(!sysctl_normalize("1234567890123456", buf, sizeof(buf)));
        ck_assert(!sysctl_normalize("12345678901234 5", buf, sizeof(buf)));
}
END_TEST

START_TEST(test_read_bounded)
{
        char path[] = "/tmp/preflight-sysctl-XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "0123456789", 10), 10);
        ck_assert_int_eq(close(fd), 0);
        char buf[11];
        ck_assert_int_eq(sysctl_read_bounded(path, buf, sizeof(buf)), 10);
        ck_assert_str_eq(buf, "0123456789");
        ck_assert_int_eq(sysctl_read_bounded(path, buf, 10), -EFBIG); /* no room to terminate */
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(sysctl_read_bounded(path, buf, sizeof(buf)), -ENOENT);
        ck_assert_int_eq(sysctl_read_bounded("/proc/sys/vm", buf, sizeof(buf)), -EISDIR);
        /* A real setting, read as /proc gives it: ends with a newline. */
        char osrelease[256];
        long n = sysctl_read_bounded("/proc/sys/kernel/osrelease", osrelease, sizeof(osrelease));
        ck_assert_int_gt(n, 1);
        ck_assert_int_eq(osrelease[n - 1], '\n');
}
END_TEST

Suite *suite_sysctl(void)
{
        Suite *s = suite_create("sysctl");
        TCase *t = tcase_create("expressions");
        tcase_add_loop_test(t, test_good, 0, ARRAY_SIZE(good));
        tcase_add_loop_test(t, test_bad, 0, ARRAY_SIZE(bad));
        tcase_add_test(t, test_long_key);
        tcase_add_loop_test(t, test_judge, 0, ARRAY_SIZE(judged));
        tcase_add_test(t, test_normalize);
        tcase_add_test(t, test_read_bounded);
        suite_add_tcase(s, t);
        return s;
}
