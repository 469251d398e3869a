/* Unit tests of the file check's grammars (checks/file/parse.c) and its options as core hands
 * them over (modes, sizes, counts, types, owners, --as, the combinations refused). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/file/file.h"

Suite *suite_file(void);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
        const char *text;
        int mode; /* -1: refused */
} modes[] = {
    {"0640", 0640},   {"640", 0640},   {"0", 0},        {"7", 7},      {"1777", 01777},
    {"07777", 07777}, {"00640", 0640}, {"4755", 04755}, {"", -1},      {"8", -1},
    {"0648", -1},     {"17777", -1},   {"077777", -1},  {"u=rw", -1},  {"-640", -1},
    {"+640", -1},     {" 640", -1},    {"640 ", -1},    {"0x1a4", -1}, {"64O", -1},
};

START_TEST(test_modes)
{
        int mode = -2;
        bool ok = file_parse_mode(modes[_i].text, &mode);
        ck_assert_msg(ok == (modes[_i].mode >= 0), "'%s': %s", modes[_i].text,
                      ok ? "accepted" : "refused");
        if (ok)
                ck_assert_int_eq(mode, modes[_i].mode);
}
END_TEST

static const struct {
        const char *text;
        bool ok, percent;
        unsigned long long value;
} sizes[] = {
    {"5G", true, false, 5ULL << 30},
    {"5g", true, false, 5ULL << 30},
    {"500M", true, false, 500ULL << 20},
    {"1K", true, false, 1024},
    {"2T", true, false, 2ULL << 40},
    {"1024", true, false, 1024},
    {"0", true, false, 0},
    {"10%", true, true, 10},
    {"100%", true, true, 100},
    {"1%", true, true, 1},
    {"0%", false, false, 0},
    {"101%", false, false, 0},
    {"5%%", false, false, 0},
    {"5P", false, false, 0},
    {"5GB", false, false, 0},
    {"5 G", false, false, 0},
    {"1.5G", false, false, 0},
    {"-1G", false, false, 0},
    {"G", false, false, 0},
    {"", false, false, 0},
    {"16777216T", false, false, 0}, /* 2^64 bytes */
    {"16777215T", true, false, 16777215ULL << 40},
    {"18446744073709551615", true, false, 18446744073709551615ULL},
    {"18446744073709551616", false, false, 0},
};

START_TEST(test_sizes)
{
        struct file_free f = {0};
        bool ok = file_parse_free(sizes[_i].text, &f);
        ck_assert_msg(ok == sizes[_i].ok, "'%s': %s", sizes[_i].text, ok ? "accepted" : "refused");
        if (!ok)
                return;
        ck_assert(f.set);
        ck_assert_int_eq(f.percent, sizes[_i].percent);
        ck_assert_uint_eq(f.value, sizes[_i].value);
}
END_TEST

START_TEST(test_counts)
{
        unsigned long long v;
        ck_assert(file_parse_count("100000", &v) && v == 100000);
        ck_assert(file_parse_count("0", &v) && v == 0);
        ck_assert(!file_parse_count("", &v));
        ck_assert(!file_parse_count("100k", &v));
        ck_assert(!file_parse_count("-1", &v));
        ck_assert(!file_parse_count("1e5", &v));
        ck_assert(!file_parse_count("99999999999999999999", &v));
}
END_TEST

START_TEST(test_types)
{
        enum file_type t;
        ck_assert(file_parse_type("file", &t) && t == FILE_TYPE_FILE);
        ck_assert(file_parse_type("dir", &t) && t == FILE_TYPE_DIR);
        ck_assert(file_parse_type("directory", &t) && t == FILE_TYPE_DIR);
        ck_assert(file_parse_type("socket", &t) && t == FILE_TYPE_SOCKET);
        ck_assert(file_parse_type("fifo", &t) && t == FILE_TYPE_FIFO);
        ck_assert(file_parse_type("symlink", &t) && t == FILE_TYPE_SYMLINK);
        ck_assert(file_parse_type("block", &t) && t == FILE_TYPE_BLOCK);
        ck_assert(file_parse_type("char", &t) && t == FILE_TYPE_CHAR);
        ck_assert(!file_parse_type("File", &t));
        ck_assert(!file_parse_type("", &t));
        ck_assert(!file_parse_type("pipe", &t));
        ck_assert_str_eq(file_type_name(FILE_TYPE_CHAR), "character device");
}
END_TEST

static const struct {
        const char *text;
        bool ok;
        const char *user, *group; /* NULL: absent */
} owners[] = {
    {"root", true, "root", NULL},
    {"root:myapp", true, "root", "myapp"},
    {":myapp", true, NULL, "myapp"},
    {"0:0", true, "0", "0"},
    {"app-user_1.x:ssl-cert", true, "app-user_1.x", "ssl-cert"},
    {"", false, NULL, NULL},
    {":", false, NULL, NULL},
    {"root:", false, NULL, NULL},
    {"root:a:b", false, NULL, NULL},
    {"ro ot", false, NULL, NULL},
    {"a/b", false, NULL, NULL},
    {"root:\x1b[2J", false, NULL, NULL},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, NULL, NULL},
};

START_TEST(test_owners)
{
        char buf[160];
        const char *user = "x", *group = "x";
        bool ok = file_split_owner(owners[_i].text, buf, sizeof(buf), &user, &group);
        ck_assert_msg(ok == owners[_i].ok, "'%s': %s", owners[_i].text,
                      ok ? "accepted" : "refused");
        if (!ok)
                return;
        if (owners[_i].user)
                ck_assert_str_eq(user, owners[_i].user);
        else
                ck_assert_ptr_null(user);
        if (owners[_i].group)
                ck_assert_str_eq(group, owners[_i].group);
        else
                ck_assert_ptr_null(group);
}
END_TEST

START_TEST(test_format)
{
        char buf[32], perms[4];
        file_format_bytes(512, buf, sizeof(buf));
        ck_assert_str_eq(buf, "512");
        file_format_bytes(5ULL << 30, buf, sizeof(buf));
        ck_assert_str_eq(buf, "5G");
        file_format_bytes(1536ULL << 20, buf, sizeof(buf));
        ck_assert_str_eq(buf, "1.5G");
        file_format_bytes(3ULL << 50, buf, sizeof(buf));
        ck_assert_str_eq(buf, "3072T");
        file_format_bytes(~0ULL, buf, sizeof(buf));
        ck_assert_str_eq(buf, "16777215T"); /* whole units past 2^60 */
        file_format_perms(5, perms);
        ck_assert_str_eq(perms, "r-x");
}
END_TEST

/* ---- the options as core gives them ---- */

extern const struct check check_file;

struct parsed {
        struct file_config cfg;
        struct pf_error err;
};

/* Parses "--name value" pairs (value NULL for a flag); returns the first failing code. */
static int parse(struct parsed *p, const char *const *args, size_t n)
{
        memset(p, 0, sizeof(*p));
        check_file.init(&p->cfg);
        for (size_t i = 0; i < n; i += 2) {
                unsigned opt = 0;
                while (check_file.options[opt].long_name &&
                       strcmp(check_file.options[opt].long_name, args[i]) != 0)
                        opt++;
                ck_assert_msg(check_file.options[opt].long_name, "no option --%s", args[i]);
                int r = check_file.parse_option(&p->cfg, opt, args[i + 1], &p->err);
                if (r != PF_OK)
                        return r;
        }
        return check_file.finish(&p->cfg, 1, &p->err);
}

#define PARSE(p, ...)                                                                              \
        parse(p, (const char *const[]){__VA_ARGS__},                                               \
              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

START_TEST(test_options)
{
        struct parsed p;
        ck_assert_int_eq(PARSE(&p, "type", "dir", "owner", "root:root", "mode-max", "0750", "free",
                               "5G", "free-inodes", "100000", "mounted", NULL),
                         PF_OK);
        ck_assert_int_eq(p.cfg.type, FILE_TYPE_DIR);
        ck_assert(p.cfg.owner_set && p.cfg.group_set);
        ck_assert_int_eq(p.cfg.owner_uid, 0);
        ck_assert_int_eq(p.cfg.mode, -1);
        ck_assert_int_eq(p.cfg.mode_max, 0750);
        ck_assert(p.cfg.mounted && p.cfg.free.set && p.cfg.free_inodes_set);
        ck_assert_uint_eq(p.cfg.free_inodes, 100000);

        ck_assert_int_eq(PARSE(&p, "readable", NULL, "writable", NULL, "executable", NULL), PF_OK);
        ck_assert_uint_eq(p.cfg.access, FILE_READ | FILE_WRITE | FILE_EXEC);

        ck_assert_int_eq(PARSE(&p, "type", "pipe"), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(p.err.msg, "--type: 'pipe'"));
        ck_assert_int_eq(PARSE(&p, "mode", "u=rw"), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(p.err.msg, "--mode: 'u=rw'"));
        ck_assert_int_eq(PARSE(&p, "mode-max", "9"), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(p.err.msg, "--mode-max: '9'"));
        ck_assert_int_eq(PARSE(&p, "free", "5X"), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(p.err.msg, "--free: '5X'"));
        ck_assert_int_eq(PARSE(&p, "free-inodes", "lots"), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(p.err.msg, "--free-inodes: 'lots'"));
        /* Names are looked up when an attempt runs (101 or 102 then), not when parsed. */
        ck_assert_int_eq(PARSE(&p, "owner", "no-such-user-here:no-such-group-here"), PF_OK);
        ck_assert_str_eq(p.cfg.owner_raw, "no-such-user-here");
        ck_assert_str_eq(p.cfg.group_raw, "no-such-group-here");
        ck_assert_int_eq(PARSE(&p, "owner", "root:"), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(p.err.msg, "--owner: 'root:'"));
        ck_assert_int_eq(PARSE(&p, "owner", ":ssl-cert"), PF_OK);
        ck_assert(!p.cfg.owner_set && p.cfg.group_set);
        /* Combinations that could never pass, or say nothing. */
        ck_assert_int_eq(PARSE(&p, "mode", "0644", "mode-max", "0640"), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(p.err.msg, "could never pass"));
        ck_assert_int_eq(PARSE(&p, "mode", "0640", "mode-max", "0640"), PF_OK);
        ck_assert_int_eq(PARSE(&p, "as", "root"), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(p.err.msg, "--as: give --readable"));
        ck_assert_int_eq(PARSE(&p, "as", "a:b", "readable", NULL), PF_USAGE);
}
END_TEST

START_TEST(test_as)
{
        struct parsed p;
        /* As this process's own user: judged in-process, no child. */
        char self[32];
        snprintf(self, sizeof(self), "%u", (unsigned)geteuid());
        ck_assert_int_eq(PARSE(&p, "as", self, "readable", NULL), PF_OK);
        ck_assert(p.cfg.as.set);
        ck_assert_str_eq(p.cfg.as.raw, self);
        if (geteuid() == 0) {
                ck_assert_int_eq(PARSE(&p, "as", "nobody", "writable", NULL), PF_OK);
                ck_assert_int_eq(PARSE(&p, "as", "no-such-user-here", "readable", NULL), PF_OK);
        } else {
                ck_assert_int_eq(PARSE(&p, "as", "0", "readable", NULL), PF_USAGE);
                ck_assert_ptr_nonnull(strstr(p.err.msg, "only root"));
        }
}
END_TEST

START_TEST(test_targets)
{
        struct file_target t;
        char shown[TARGET_SHOWN_SIZE];
        struct pf_error err = {0};
        struct file_config cfg;
        memset(&cfg, 0, sizeof(cfg));
        ck_assert_int_eq(check_file.parse_target(&cfg, "/var/lib/app", &t, shown, &err), PF_OK);
        ck_assert_str_eq(shown, "/var/lib/app");
        ck_assert_int_eq(check_file.parse_target(&cfg, "", &t, shown, &err), PF_USAGE);
        ck_assert_int_eq(check_file.parse_target(&cfg, "/a\x1b[2J", &t, shown, &err), PF_OK);
        ck_assert_str_eq(shown, "/a\\x1b[2J");
        char *longer = malloc(PATH_MAX + 2);
        ck_assert_ptr_nonnull(longer);
        memset(longer, 'a', PATH_MAX + 1);
        longer[PATH_MAX + 1] = '\0';
        ck_assert_int_eq(check_file.parse_target(&cfg, longer, &t, shown, &err), PF_USAGE);
        free(longer);
}
END_TEST

Suite *suite_file(void)
{
        Suite *s = suite_create("file");
        TCase *t = tcase_create("grammars");
        tcase_add_loop_test(t, test_modes, 0, ARRAY_SIZE(modes));
        tcase_add_loop_test(t, test_sizes, 0, ARRAY_SIZE(sizes));
        tcase_add_test(t, test_counts);
        tcase_add_test(t, test_types);
        tcase_add_loop_test(t, test_owners, 0, ARRAY_SIZE(owners));
        tcase_add_test(t, test_format);
        tcase_add_test(t, test_options);
        tcase_add_test(t, test_as);
        tcase_add_test(t, test_targets);
        suite_add_tcase(s, t);
        return s;
}
