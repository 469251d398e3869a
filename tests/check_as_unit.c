/* --as-unit's words: found among options (never the value of one), the service's name, the
 * transient unit's name, the command handed to it, and the manager's refusal read. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include <unistd.h>

#include "core/chain.h"
#include "core/invocation.h"
#include "core/span.h"
#include "unit/as_unit/args.h"

/* A check's tables: the common options and one of its own that takes a value. */
static const struct check_option own_options[] = {
    {"header", 'H', "HEADER", "a header"},
    {"insecure", 'k', NULL, "a flag"},
    {NULL, 0, NULL, NULL},
};

static bool find(char **argv, int *at, int *n, const char **unit)
{
        int argc = 0;
        while (argv[argc])
                argc++;
        const struct check_option *const tables[2] = {invocation_common_options(), own_options};
        return as_unit_find(argc, argv, tables, at, n, unit);
}

START_TEST(test_find_forms)
{
        int at = -1, n = 0;
        const char *unit = NULL;
        char *a[] = {"8080", "--as-unit", "myapp", "-q", NULL};
        ck_assert(find(a, &at, &n, &unit));
        ck_assert_int_eq(at, 1);
        ck_assert_int_eq(n, 2);
        ck_assert_str_eq(unit, "myapp");
        char *b[] = {"--as-unit=myapp.service", "8080", NULL};
        ck_assert(find(b, &at, &n, &unit));
        ck_assert_int_eq(at, 0);
        ck_assert_int_eq(n, 1);
        ck_assert_str_eq(unit, "myapp.service");
        char *c[] = {"8080", "--as-unit", NULL};
        ck_assert(find(c, &at, &n, &unit));
        ck_assert_int_eq(n, 1);
        ck_assert_ptr_null(unit);
        char *d[] = {"8080", "--as-unit", "--", "x", NULL};
        ck_assert(find(d, &at, &n, &unit));
        ck_assert_ptr_null(unit);
}
END_TEST

START_TEST(test_find_not_a_value_nor_after_dashes)
{
        int at, n;
        const char *unit;
        /* The value of -t, --header, -H and a cluster ending in t is no --as-unit. */
        char *a[] = {"-t", "--as-unit", "x", NULL};
        ck_assert(!find(a, &at, &n, &unit));
        char *b[] = {"--header", "--as-unit", NULL};
        ck_assert(!find(b, &at, &n, &unit));
        char *c[] = {"-wt", "--as-unit", NULL};
        ck_assert(!find(c, &at, &n, &unit));
        char *d[] = {"-kH", "--as-unit", NULL};
        ck_assert(!find(d, &at, &n, &unit));
        /* -t5s holds its value: the next word is read again. */
        char *e[] = {"-t5s", "--as-unit", "u", NULL};
        ck_assert(find(e, &at, &n, &unit));
        ck_assert_str_eq(unit, "u");
        char *f[] = {"--timeout=5s", "--as-unit", "u", NULL};
        ck_assert(find(f, &at, &n, &unit));
        /* "--" is no value of -t: it ends the options, and what follows is the COMMAND's. */
        char *dd[] = {"-t", "--", "--as-unit", "u", NULL};
        ck_assert(!find(dd, &at, &n, &unit));
        /* After "--" it is the COMMAND's. */
        char *g[] = {"8080", "--", "cmd", "--as-unit", "u", NULL};
        ck_assert(!find(g, &at, &n, &unit));
        char *h[] = {"8080", NULL};
        ck_assert(!find(h, &at, &n, &unit));
}
END_TEST

START_TEST(test_service_name)
{
        char out[AS_UNIT_NAME_SIZE];
        struct pf_error err = {0};
        ck_assert_int_eq(as_unit_service_name("myapp", out, &err), PF_OK);
        ck_assert_str_eq(out, "myapp.service");
        ck_assert_int_eq(as_unit_service_name("myapp.service", out, &err), PF_OK);
        ck_assert_str_eq(out, "myapp.service");
        ck_assert_int_eq(as_unit_service_name("getty@tty1", out, &err), PF_OK);
        ck_assert_str_eq(out, "getty@tty1.service");
        ck_assert_int_eq(as_unit_service_name("a\\x2db.service", out, &err), PF_OK);
        ck_assert_int_eq(as_unit_service_name("myapp.socket", out, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "not a service"));
        ck_assert_int_eq(as_unit_service_name("", out, &err), PF_USAGE);
        ck_assert_int_eq(as_unit_service_name(".service", out, &err), PF_USAGE);
        ck_assert_int_eq(as_unit_service_name("my app", out, &err), PF_USAGE);
        ck_assert_int_eq(as_unit_service_name("a/b", out, &err), PF_USAGE);
        ck_assert_int_eq(as_unit_service_name("x\x1b", out, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "\\x1b"));
        char long_name[300];
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        ck_assert_int_eq(as_unit_service_name(long_name, out, &err), PF_USAGE);
        long_name[247] = '\0'; /* 247 + ".service" = 255 */
        ck_assert_int_eq(as_unit_service_name(long_name, out, &err), PF_OK);
        long_name[247] = 'a';
        long_name[248] = '\0';
        ck_assert_int_eq(as_unit_service_name(long_name, out, &err), PF_USAGE);
}
END_TEST

START_TEST(test_transient_name)
{
        char out[AS_UNIT_NAME_SIZE];
        as_unit_transient_name("myapp.service", "0a1b2c3d", out);
        ck_assert_str_eq(out, "preflight-as-myapp-0a1b2c3d.service");
        /* No '@' (a template's instance) and no escapes in the transient unit's name. */
        as_unit_transient_name("getty@tty1.service", "ff", out);
        ck_assert_str_eq(out, "preflight-as-getty_tty1-ff.service");
        as_unit_transient_name("a\\x2db.service", "ff", out);
        ck_assert_str_eq(out, "preflight-as-a_x2db-ff.service");
        char long_name[AS_UNIT_NAME_SIZE];
        memset(long_name, 'a', 247);
        strcpy(long_name + 247, ".service");
        as_unit_transient_name(long_name, "0a1b2c3d", out);
        ck_assert_uint_lt(strlen(out), AS_UNIT_NAME_SIZE);
        ck_assert_ptr_nonnull(strstr(out, "-0a1b2c3d.service"));
}
END_TEST

static struct as_unit_command cmd;

static void release(void)
{
        as_unit_command_release(&cmd);
}

START_TEST(test_command_check)
{
        struct pf_error err = {0};
        char *argv[] = {"8080", "--as-unit", "myapp", "-t", "2s", "--json"};
        ck_assert_int_eq(as_unit_command("/usr/bin/preflight", "port", false, 6, argv, 1, 2,
                                         "/root", "/etc/preflight", &cmd, &err),
                         PF_OK);
        const char *want[] = {"/usr/bin/preflight", "port", "8080", "-t", "2s", "--json", NULL};
        for (int i = 0; want[i]; i++)
                ck_assert_str_eq(cmd.argv[i], want[i]);
        ck_assert_ptr_null(cmd.argv[6]);
        ck_assert_ptr_null(cmd.source);
        release();
}
END_TEST

START_TEST(test_command_run_paths)
{
        struct pf_error err = {0};
        char *a[] = {"--keep-going", "conf/app.conf", "--as-unit=myapp"};
        ck_assert_int_eq(
            as_unit_command("/p", "run", true, 3, a, 2, 1, "/srv", "/etc/preflight", &cmd, &err),
            PF_OK);
        ck_assert_str_eq(cmd.argv[1], "run");
        ck_assert_str_eq(cmd.argv[2], "--keep-going");
        ck_assert_str_eq(cmd.argv[3], "/srv/conf/app.conf");
        ck_assert_ptr_null(cmd.argv[4]);
        release();
        char *b[] = {"/etc/x.conf", "--as-unit", "u"};
        ck_assert_int_eq(
            as_unit_command("/p", "run", true, 3, b, 1, 2, "/srv", "/etc/preflight", &cmd, &err),
            PF_OK);
        ck_assert_str_eq(cmd.argv[2], "/etc/x.conf");
        ck_assert_ptr_null(cmd.argv[3]);
        release();
        /* A NAME: where the caller would have found it. */
        char *c[] = {"--as-unit", "u", "myapp"};
        ck_assert_int_eq(
            as_unit_command("/p", "run", true, 3, c, 0, 2, "/srv", "/etc/preflight", &cmd, &err),
            PF_OK);
        ck_assert_str_eq(cmd.argv[2], "/etc/preflight/myapp.conf");
        release();
        ck_assert_int_eq(
            as_unit_command("/p", "run", true, 3, c, 0, 2, "/srv", "confs", &cmd, &err), PF_OK);
        ck_assert_str_eq(cmd.argv[2], "/srv/confs/myapp.conf");
        release();
        /* stdin stays stdin: the unit gets the caller's. */
        char *d[] = {"-", "--as-unit", "u", "-q"};
        ck_assert_int_eq(
            as_unit_command("/p", "run", true, 4, d, 1, 2, "/", "/etc/preflight", &cmd, &err),
            PF_OK);
        ck_assert_str_eq(cmd.argv[2], "-");
        ck_assert_str_eq(cmd.argv[3], "-q");
        release();
        /* cwd "/" gives no "//". */
        char *e[] = {"./a.conf", "--as-unit", "u"};
        ck_assert_int_eq(
            as_unit_command("/p", "run", true, 3, e, 1, 2, "/", "/etc/preflight", &cmd, &err),
            PF_OK);
        ck_assert_str_eq(cmd.argv[2], "/./a.conf");
        release();
}
END_TEST

START_TEST(test_command_refuses_wrapper)
{
        struct pf_error err = {0};
        char *a[] = {"app.conf", "--as-unit", "u", "--", "/usr/bin/app"};
        ck_assert_int_eq(
            as_unit_command("/p", "run", true, 5, a, 1, 2, "/", "/etc/preflight", &cmd, &err),
            PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "-- COMMAND has no place here"));
        ck_assert_ptr_null(cmd.argv);
        char *b[] = {"root", "--as-unit=u", "--", "true"};
        ck_assert_int_eq(
            as_unit_command("/p", "user", false, 4, b, 1, 1, "/", "/etc/preflight", &cmd, &err),
            PF_USAGE);
}
END_TEST

START_TEST(test_refused_property)
{
        char name[64];
        ck_assert(as_unit_refused_property("org.freedesktop.DBus.Error.PropertyReadOnly",
                                           "Cannot set property ProtectFoo, or unknown property.",
                                           name, sizeof(name)));
        ck_assert_str_eq(name, "ProtectFoo");
        ck_assert(!as_unit_refused_property("org.freedesktop.DBus.Error.InvalidArgs",
                                            "Cannot set property X, or unknown property.", name,
                                            sizeof(name)));
        ck_assert(!as_unit_refused_property("org.freedesktop.DBus.Error.PropertyReadOnly",
                                            "Something else", name, sizeof(name)));
        ck_assert(!as_unit_refused_property(NULL, NULL, name, sizeof(name)));
        /* A name longer than the room: not taken for a shorter one. */
        ck_assert(!as_unit_refused_property("org.freedesktop.DBus.Error.PropertyReadOnly",
                                            "Cannot set property ABCDEFGH, or unknown property.",
                                            name, 4));
}
END_TEST

/* A chain file with text, in a temporary directory; its path in path. */
static void write_chain(const char *text, char *path, size_t size)
{
        snprintf(path, size, "/tmp/check_as_unit.XXXXXX");
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

START_TEST(test_chain_deadline)
{
        char path[64];
        int code = 0;
        /* Serial: the sum of the lines (defaults included); parallel: the longest. */
        write_chain("defaults -t 2s\nuser root\nexec true -t 1s\n", path, sizeof(path));
        ck_assert_uint_eq(chain_deadline_us(path, false, &code), 3000000);
        ck_assert_int_eq(code, PF_USER_WRONG); /* the first line's check's timeout code */
        ck_assert_uint_eq(chain_deadline_us(path, true, &code), 2000000);
        unlink(path);
        /* The default deadlines: 5 s, 60 s under --wait; a line that does not parse here (an
         * unset variable expands to nothing) counts 60 s; an unknown check nothing. */
        write_chain("port 8080\nport 8081 --wait\nport ${PF_CHECK_AS_UNIT_UNSET}\nnope x\n", path,
                    sizeof(path));
        ck_assert_uint_eq(chain_deadline_us(path, false, &code), 125000000);
        ck_assert_int_eq(code, PF_PORT_IN_USE);
        unlink(path);
        write_chain("user root -t infinity\nport 80\n", path, sizeof(path));
        ck_assert_uint_eq(chain_deadline_us(path, false, &code), SPAN_INFINITY);
        unlink(path);
        /* No file to read, or one that is no chain: no bound of the caller's own. */
        ck_assert_uint_eq(chain_deadline_us("/nonexistent/chain.conf", false, &code),
                          SPAN_INFINITY);
        ck_assert_int_eq(code, PF_INTERNAL);
        write_chain("user 'unclosed\n", path, sizeof(path));
        ck_assert_uint_eq(chain_deadline_us(path, false, &code), SPAN_INFINITY);
        unlink(path);
}
END_TEST

Suite *suite_as_unit(void);
Suite *suite_as_unit(void)
{
        Suite *s = suite_create("as_unit");
        TCase *tc = tcase_create("args");
        tcase_add_test(tc, test_find_forms);
        tcase_add_test(tc, test_find_not_a_value_nor_after_dashes);
        tcase_add_test(tc, test_service_name);
        tcase_add_test(tc, test_transient_name);
        tcase_add_test(tc, test_command_check);
        tcase_add_test(tc, test_command_run_paths);
        tcase_add_test(tc, test_command_refuses_wrapper);
        tcase_add_test(tc, test_refused_property);
        tcase_add_test(tc, test_chain_deadline);
        suite_add_tcase(s, tc);
        return s;
}
