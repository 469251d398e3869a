/* Unit tests of core/prometheus.c: label escaping, the chain label, the exposition's lines, and
 * the atomic write into a directory of the test's own. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/exitcodes.h"
#include "core/prometheus.h"

Suite *suite_prometheus(void);

static const struct {
        const char *in, *out;
} escapes[] = {
    {"127.0.0.1:6379", "127.0.0.1:6379"},
    {"", ""},
    {"a\\b", "a\\\\b"},
    {"say \"hi\"", "say \\\"hi\\\""},
    {"two\nlines", "two\\nlines"},
    {"tab\tstays", "tab\tstays"},
    {"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"},     /* UTF-8 kept */
    {"bad \xff byte", "bad \xef\xbf\xbd byte"},                   /* not UTF-8: U+FFFD */
    {"cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd"},             /* a cut sequence */
    {"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},   /* no overlong forms */
    {"http://app:***@h/a\"b\\c", "http://app:***@h/a\\\"b\\\\c"}, /* a shown URL */
};

START_TEST(test_escape)
{
        char out[256];
        prom_escape_label(escapes[_i].in, out, sizeof(out));
        ck_assert_str_eq(out, escapes[_i].out);
}
END_TEST

START_TEST(test_escape_cut_whole)
{
        /* Cut where it must be, never inside an escape or a character. */
        char out[6];
        prom_escape_label("ab\"cd", out, sizeof(out));
        ck_assert_str_eq(out, "ab\\\"c");
        prom_escape_label("abcd\\", out, sizeof(out));
        ck_assert_str_eq(out, "abcd");
        prom_escape_label("abc\xc3\xa9", out, sizeof(out));
        ck_assert_str_eq(out, "abc\xc3\xa9");
        prom_escape_label("abcd\xc3\xa9", out, sizeof(out));
        ck_assert_str_eq(out, "abcd");
}
END_TEST

static const struct {
        const char *source, *name;
} chain_names[] = {
    {"myapp", "myapp"},
    {"/etc/preflight/myapp.conf", "myapp"},
    {"./web.conf", "web"},
    {"conf.d/db.cfg", "db.cfg"},
    {"-", "stdin"},
    {"myapp.conf", "myapp.conf"}, /* a NAME: /etc/preflight/myapp.conf.conf */
    {"./.conf", ".conf"},
};

START_TEST(test_chain_name)
{
        char out[256];
        prom_chain_name(chain_names[_i].source, out, sizeof(out));
        ck_assert_str_eq(out, chain_names[_i].name);
}
END_TEST

static void add(struct prom_run *run, unsigned line, const char *check, const char *target,
                int code, uint64_t elapsed_ms)
{
        struct outcome o = {.ok = code == 0, .code = code, .elapsed_ms = elapsed_ms};
        snprintf(o.check, sizeof(o.check), "%s", check);
        snprintf(o.result.target, sizeof(o.result.target), "%s", target);
        prom_add(run, line, &o);
}

static char *format(const struct prom_run *run, int chain_code)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        ck_assert_ptr_nonnull(f);
        ck_assert(prom_format(f, run, chain_code, 1700000000.25, 0.5));
        ck_assert_int_eq(fclose(f), 0);
        return text;
}

START_TEST(test_format_lines)
{
        struct prom_run run;
        prom_begin(&run, "/tmp/x.prom", "/etc/preflight/my\"app.conf");
        add(&run, 3, "redis", "127.0.0.1:6379", 0, 2);
        add(&run, 4, "port", "8080/tcp", 20, 1234);
        add(&run, 5, "user", "", 10, 0);
        char *text = format(&run, 20);
        static const char expected[] =
            "# HELP preflight_check_ok Whether the check of this chain line passed for this "
            "target (1) or failed (0).\n"
            "# TYPE preflight_check_ok gauge\n"
            "preflight_check_ok{chain=\"my\\\"app\",line=\"3\",check=\"redis\","
            "target=\"127.0.0.1:6379\"} 1\n"
            "preflight_check_ok{chain=\"my\\\"app\",line=\"4\",check=\"port\","
            "target=\"8080/tcp\"} 0\n"
            "preflight_check_ok{chain=\"my\\\"app\",line=\"5\",check=\"user\",target=\"\"} 0\n";
        ck_assert_msg(strncmp(text, expected, strlen(expected)) == 0, "got:\n%s", text);
        ck_assert_ptr_nonnull(strstr(text, "# TYPE preflight_check_exit_code gauge\n"
                                           "preflight_check_exit_code{chain=\"my\\\"app\","
                                           "line=\"3\",check=\"redis\","
                                           "target=\"127.0.0.1:6379\"} 0\n"));
        ck_assert_ptr_nonnull(strstr(text, "preflight_check_exit_code{chain=\"my\\\"app\","
                                           "line=\"4\",check=\"port\",target=\"8080/tcp\"} 20\n"));
        ck_assert_ptr_nonnull(strstr(text, "# TYPE preflight_check_duration_seconds gauge\n"
                                           "preflight_check_duration_seconds{chain=\"my\\\"app\","
                                           "line=\"3\",check=\"redis\","
                                           "target=\"127.0.0.1:6379\"} 0.002\n"));
        ck_assert_ptr_nonnull(
            strstr(text, "line=\"4\",check=\"port\",target=\"8080/tcp\"} 1.234\n"));
        ck_assert_ptr_nonnull(strstr(text, "# TYPE preflight_chain_exit_code gauge\n"
                                           "preflight_chain_exit_code{chain=\"my\\\"app\"} 20\n"));
        ck_assert_ptr_nonnull(strstr(text, "preflight_chain_duration_seconds{chain=\"my\\\"app\"} "
                                           "0.500\n"));
        ck_assert_ptr_nonnull(strstr(text, "# TYPE preflight_chain_last_run_timestamp_seconds "
                                           "gauge\npreflight_chain_last_run_timestamp_seconds{"
                                           "chain=\"my\\\"app\"} 1700000000.250\n"));
        /* Every line a comment or a sample; the file ends with a newline. */
        ck_assert_int_eq(text[strlen(text) - 1], '\n');
        free(text);
        prom_release(&run);
}
END_TEST

START_TEST(test_format_one_series_per_target)
{
        struct prom_run run;
        prom_begin(&run, "x.prom", "web");
        add(&run, 1, "port", "80/tcp", 0, 0);
        add(&run, 1, "port", "80/tcp", 0, 0); /* port 80 80 */
        add(&run, 2, "port", "80/tcp", 0, 0); /* another line: another series */
        char *text = format(&run, 0);
        unsigned n = 0;
        for (const char *p = text; (p = strstr(p, "preflight_check_ok{")); p++)
                n++;
        ck_assert_uint_eq(n, 2);
        free(text);
        prom_release(&run);
}
END_TEST

START_TEST(test_format_no_lines)
{
        /* A chain file that could not be used: the chain's series alone. */
        struct prom_run run;
        prom_begin(&run, "x.prom", "broken");
        char *text = format(&run, PF_CHAIN);
        ck_assert_ptr_null(strstr(text, "preflight_check_"));
        ck_assert_ptr_nonnull(strstr(text, "preflight_chain_exit_code{chain=\"broken\"} 6\n"));
        free(text);
        prom_release(&run);
}
END_TEST

START_TEST(test_write_atomic)
{
        char dir[] = "/tmp/preflight-prom.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char path[256];
        snprintf(path, sizeof(path), "%s/t.prom", dir);
        struct prom_run run;
        prom_begin(&run, path, "t");
        add(&run, 1, "tcp", "127.0.0.1:1", 60, 1);
        mode_t old = umask(077);
        int r = prom_write(&run, 60);
        umask(old);
        ck_assert_int_eq(r, PF_OK);
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0644);
        /* Nothing beside it: the temporary file was renamed. */
        DIR *d = opendir(dir);
        ck_assert_ptr_nonnull(d);
        unsigned entries = 0;
        for (const struct dirent *e; (e = readdir(d));)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        entries++;
        closedir(d);
        ck_assert_uint_eq(entries, 1);
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        char first[128];
        ck_assert_ptr_nonnull(fgets(first, sizeof(first), f));
        fclose(f);
        ck_assert_str_eq(first, "# HELP preflight_check_ok Whether the check of this chain line "
                                "passed for this target (1) or failed (0).\n");
        /* A directory that is not there: an error, and nothing made. */
        char missing[300];
        snprintf(missing, sizeof(missing), "%s/no/t.prom", dir);
        run.path = missing;
        ck_assert_int_eq(prom_write(&run, 60), PF_INTERNAL);
        prom_release(&run);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *suite_prometheus(void)
{
        Suite *s = suite_create("prometheus");
        TCase *tc = tcase_create("labels");
        tcase_add_loop_test(tc, test_escape, 0, sizeof(escapes) / sizeof(escapes[0]));
        tcase_add_test(tc, test_escape_cut_whole);
        tcase_add_loop_test(tc, test_chain_name, 0, sizeof(chain_names) / sizeof(chain_names[0]));
        suite_add_tcase(s, tc);
        tc = tcase_create("exposition");
        tcase_add_test(tc, test_format_lines);
        tcase_add_test(tc, test_format_one_series_per_target);
        tcase_add_test(tc, test_format_no_lines);
        tcase_add_test(tc, test_write_atomic);
        suite_add_tcase(s, tc);
        return s;
}
