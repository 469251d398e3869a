/*
 * The file check's option grammars (checks/file/parse.c) and its options as core hands them
 * over (checks/file/check.c): byte 0 picks the option, the rest is its value. Never a crash or
 * an overflow; a refusal is one safe line that names the option; what is accepted is what the
 * grammar says: a mode within 07777 that reads back from its octal form, a size that reads back
 * from its digits, an owner whose parts are names.
 */
#include "tests/fuzz/fuzz.h"

#include "checks/file/file.h"

extern const struct check check_file;

static void grammars(const char *text)
{
        int mode;
        if (file_parse_mode(text, &mode)) {
                FUZZ_REQUIRE(mode >= 0 && mode <= 07777, "'%s' gives mode %o", text, mode);
                char back[8];
                int again;
                snprintf(back, sizeof(back), "%04o", (unsigned)mode);
                FUZZ_REQUIRE(file_parse_mode(back, &again) && again == mode, "'%s' -> %s", text,
                             back);
        }
        struct file_free f;
        if (file_parse_free(text, &f)) {
                FUZZ_REQUIRE(f.set, "'%s'", text);
                if (f.percent) {
                        FUZZ_REQUIRE(f.value >= 1 && f.value <= 100, "'%s' is %llu%%", text,
                                     f.value);
                } else {
                        char back[32];
                        struct file_free g;
                        snprintf(back, sizeof(back), "%llu", f.value);
                        FUZZ_REQUIRE(file_parse_free(back, &g) && !g.percent && g.value == f.value,
                                     "'%s' -> %s", text, back);
                        char shown[32];
                        file_format_bytes(f.value, shown, sizeof(shown));
                        FUZZ_REQUIRE(fuzz_safe_line(shown), "'%s' shows as '%s'", text, shown);
                }
        }
        unsigned long long count;
        if (file_parse_count(text, &count)) {
                char back[32];
                snprintf(back, sizeof(back), "%llu", count);
                FUZZ_REQUIRE(strcmp(back, text + strspn(text, "0")) == 0 ||
                                 (count == 0 && strspn(text, "0") == strlen(text)),
                             "'%s' reads as %llu", text, count);
        }
        char buf[160];
        const char *user, *group;
        if (file_split_owner(text, buf, sizeof(buf), &user, &group)) {
                FUZZ_REQUIRE(user || group, "'%s': neither part", text);
                FUZZ_REQUIRE(!user || (file_valid_name(user) && !strchr(user, ':')), "'%s'", text);
                FUZZ_REQUIRE(!group || (file_valid_name(group) && !strchr(group, ':')), "'%s'",
                             text);
        }
        enum file_type type;
        if (file_parse_type(text, &type))
                FUZZ_REQUIRE(type != FILE_TYPE_ANY, "'%s'", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        char *text = fuzz_text(data + 1, size - 1);
        grammars(text);

        unsigned n = 0;
        while (check_file.options[n].long_name)
                n++;
        unsigned option = data[0] % n;
        const struct check_option *opt = &check_file.options[option];
        struct file_config cfg;
        struct pf_error err = {0};
        memset(&cfg, 0, sizeof(cfg));
        check_file.init(&cfg);
        int r = check_file.parse_option(&cfg, option, opt->value_name ? text : NULL, &err);
        if (r == PF_OK) {
                FUZZ_REQUIRE(cfg.mode <= 07777 && cfg.mode_max <= 07777, "--%s '%s'",
                             opt->long_name, text);
                r = check_file.finish(&cfg, 1, &err);
        }
        if (r != PF_OK) {
                FUZZ_REQUIRE(r == PF_USAGE, "--%s '%s' gave %d", opt->long_name, text, r);
                FUZZ_REQUIRE_MESSAGE(err.msg);
        }
        /* The same text as a PATH: accepted up to PATH_MAX - 1 bytes, shown as one safe line. */
        struct file_target target;
        char shown[TARGET_SHOWN_SIZE];
        memset(&err, 0, sizeof(err));
        if (check_file.parse_target(&cfg, text, &target, shown, &err) == PF_OK)
                FUZZ_REQUIRE(fuzz_safe_line(shown) || !*text, "PATH '%s' shows as '%s'", text,
                             shown);
        else
                FUZZ_REQUIRE_MESSAGE(err.msg);
        free(text);
        return 0;
}
