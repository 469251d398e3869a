/* Unit tests of core/: spans, the exit-code table, explain, quoting, JSON strings, and the
 * shared option parser. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/exitcodes.h"
#include "core/invocation.h"
#include "core/report.h"
#include "core/span.h"
#include "core/text.h"

Suite *suite_core(void);

/* ---- spans ---- */

static const struct {
        const char *text;
        uint64_t usec;
} good_spans[] = {
    {"5", 5000000ULL},
    {"5s", 5000000ULL},
    {"500ms", 500000ULL},
    {"1min 30s", 90000000ULL},
    {"1min30s", 90000000ULL},
    {"1.5s", 1500000ULL},
    {"2h", 7200000000ULL},
    {"1 sec", 1000000ULL},
    {"250 msec", 250000ULL},
    {"10us", 10ULL},
    {"1d", 86400000000ULL},
    {"1w", 604800000000ULL},
    {"0", 0ULL},
    {" 3s ", 3000000ULL},
    {"2minutes", 120000000ULL},
    {"1h 2min 3s 4ms", 3723004000ULL},
    {"0.5", 500000ULL},
    {"infinity", SPAN_INFINITY},
};

START_TEST(test_span_good)
{
        uint64_t us = 42;
        ck_assert_msg(span_parse(good_spans[_i].text, &us), "'%s' rejected", good_spans[_i].text);
        ck_assert_uint_eq(us, good_spans[_i].usec);
}
END_TEST

static const char *const bad_spans[] = {
    "",
    " ",
    "-5s",
    "5x",
    "s",
    "1.s",
    "abc",
    "5s junk",
    "1e3",
    "+5",
    "5 5 x",
    ".5s",
    "0x10",
    "5ss",
    "99999999999999999999s",
    "999999999999999999s",
    "5s\n",
    "infinityx",
};

START_TEST(test_span_bad)
{
        uint64_t us = 42;
        ck_assert_msg(!span_parse(bad_spans[_i], &us), "'%s' accepted", bad_spans[_i]);
        ck_assert_uint_eq(us, 42);
}
END_TEST

START_TEST(test_span_format)
{
        char buf[32];
        span_format(1500000, buf, sizeof(buf));
        ck_assert_str_eq(buf, "1.5s");
        span_format(250000, buf, sizeof(buf));
        ck_assert_str_eq(buf, "250ms");
        span_format(90000000, buf, sizeof(buf));
        ck_assert_str_eq(buf, "1min 30s");
        span_format(SPAN_INFINITY, buf, sizeof(buf));
        ck_assert_str_eq(buf, "infinity");
}
END_TEST

/* ---- exit codes ---- */

START_TEST(test_code_table)
{
        /* README.md's exit-code table (the man page's EXIT STATUS), row by row: code and kind. */
        static const struct {
                int code;
                enum pf_code_kind kind;
        } expected[] = {
            {0, PF_KIND_NONE},        {1, PF_KIND_NONE},        {2, PF_KIND_PERMANENT},
            {4, PF_KIND_NONE},        {5, PF_KIND_PERMANENT},   {6, PF_KIND_PERMANENT},
            {10, PF_KIND_PERMANENT},  {11, PF_KIND_PERMANENT},  {20, PF_KIND_TRANSIENT},
            {21, PF_KIND_PERMANENT},  {30, PF_KIND_PERMANENT},  {31, PF_KIND_PERMANENT},
            {32, PF_KIND_PERMANENT},  {40, PF_KIND_TRANSIENT},  {41, PF_KIND_TRANSIENT},
            {42, PF_KIND_TRANSIENT},  {43, PF_KIND_PERMANENT},  {50, PF_KIND_TRANSIENT},
            {51, PF_KIND_TRANSIENT},  {52, PF_KIND_TRANSIENT},  {53, PF_KIND_TRANSIENT},
            {54, PF_KIND_PERMANENT},  {60, PF_KIND_TRANSIENT},  {61, PF_KIND_TRANSIENT},
            {80, PF_KIND_TRANSIENT},  {81, PF_KIND_TRANSIENT},  {82, PF_KIND_TRANSIENT},
            {83, PF_KIND_PERMANENT},  {90, PF_KIND_TRANSIENT},  {91, PF_KIND_TRANSIENT},
            {92, PF_KIND_TRANSIENT},  {93, PF_KIND_PERMANENT},  {100, PF_KIND_TRANSIENT},
            {101, PF_KIND_PERMANENT}, {102, PF_KIND_PERMANENT}, {103, PF_KIND_TRANSIENT},
            {110, PF_KIND_TRANSIENT}, {111, PF_KIND_TRANSIENT}, {112, PF_KIND_TRANSIENT},
            {120, PF_KIND_TRANSIENT}, {121, PF_KIND_TRANSIENT}, {122, PF_KIND_TRANSIENT},
            {123, PF_KIND_PERMANENT}, {126, PF_KIND_NONE},      {127, PF_KIND_NONE},
        };
        size_t n;
        pf_code_table(&n);
        ck_assert_uint_eq(n, sizeof(expected) / sizeof(expected[0]));
        for (size_t i = 0; i < n; i++) {
                const struct pf_code_info *info = pf_code_lookup(expected[i].code);
                ck_assert_ptr_nonnull(info);
                ck_assert_int_eq(info->kind, expected[i].kind);
                ck_assert_int_eq(pf_code_is_permanent(expected[i].code),
                                 expected[i].kind == PF_KIND_PERMANENT);
        }
        /* Nothing in sysexits (64-78) or the signal range (128 and up). */
        for (int code = 64; code <= 255; code++)
                if (code <= 78 || code >= 128)
                        ck_assert_ptr_null(pf_code_lookup(code));
}
END_TEST

static char *capture_explain(long status, bool *known)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        ck_assert_ptr_nonnull(f);
        *known = pf_explain(f, status);
        fclose(f);
        return text;
}

static const struct {
        long status;
        const char *contains;
} explanations[] = {
    {0, "success"},
    {1, "FAILURE"},
    {2, "USAGE"},
    {2, "INVALIDARGUMENT"},
    {3, "NOTIMPLEMENTED"},
    {4, "UNIT_UNAVAILABLE"},
    {4, "NOPERMISSION"},
    {6, "NOTCONFIGURED"},
    {7, "NOTRUNNING"},
    {20, "PORT_IN_USE"},
    {21, "AmbientCapabilities="},
    {43, "permanent"},
    {61, "transient"},
    {110, "DNS_UNRESOLVED"},
    {112, "getent ahosts"},
    {64, "EX_USAGE"},
    {75, "EX_TEMPFAIL"},
    {78, "EX_CONFIG"},
    {124, "timeout(1)"},
    {126, "not executable"},
    {127, "not found"},
    {130, "SIGINT"},
    {137, "SIGKILL"},
    {139, "SIGSEGV"},
    {143, "SIGTERM"},
    {143, "SuccessExitStatus=143"},
    {200, "CHDIR"},
    {203, "EXEC"},
    {203, "status=203/EXEC"},
    {217, "USER"},
    {226, "NAMESPACE"},
    {243, "CREDENTIALS"},
    {245, "BPF"},
    {255, "EXCEPTION"},
    {100, "FILE_MISSING"},
    {101, "permanent"},
    {103, "ReadWritePaths="},
    {104, "not a code preflight"},
    {223, "not a code preflight"},
};

START_TEST(test_explain)
{
        bool known;
        char *text = capture_explain(explanations[_i].status, &known);
        ck_assert(known);
        ck_assert_msg(strstr(text, explanations[_i].contains), "explain %ld lacks '%s': %s",
                      explanations[_i].status, explanations[_i].contains, text);
        free(text);
}
END_TEST

START_TEST(test_explain_out_of_range)
{
        bool known;
        char *text = capture_explain(256, &known);
        ck_assert(!known);
        free(text);
        text = capture_explain(-1, &known);
        ck_assert(!known);
        free(text);
}
END_TEST

START_TEST(test_exit_codes_listing)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        pf_print_exit_codes(f);
        fclose(f);
        ck_assert_ptr_nonnull(strstr(
            text, "RestartPreventExitStatus=2 5 6 10 11 21 30 31 32 43 54 83 93 101 102 123\n"));
        ck_assert_ptr_nonnull(strstr(text, "PORT_IN_USE"));
        free(text);
}
END_TEST

/* ---- text ---- */

START_TEST(test_quote)
{
        char buf[QUOTE_BUF];
        ck_assert_str_eq(text_quote("plain", buf, sizeof(buf)), "plain");
        ck_assert_str_eq(text_quote("a\nb", buf, sizeof(buf)), "a\\x0ab");
        ck_assert_str_eq(text_quote("\x1b[31m", buf, sizeof(buf)), "\\x1b[31m");
        ck_assert_str_eq(text_quote("caf\xc3\xa9", buf, sizeof(buf)), "caf\xc3\xa9");
        ck_assert_str_eq(text_quote("\xff\xfe", buf, sizeof(buf)), "\\xff\\xfe");
        /* Characters that show as nothing are shown as bytes: a name never hides one. */
        ck_assert_str_eq(text_quote("\xef\xbb\xbfuser", buf, sizeof(buf)), "\\xef\\xbb\\xbfuser");
        ck_assert_str_eq(text_quote("us\xe2\x80\x8b"
                                    "er",
                                    buf, sizeof(buf)),
                         "us\\xe2\\x80\\x8ber");
        ck_assert_str_eq(text_quote("a\xe2\x81\xa0"
                                    "b",
                                    buf, sizeof(buf)),
                         "a\\xe2\\x81\\xa0b");
        ck_assert_str_eq(text_quote("ro\xc2\xadot", buf, sizeof(buf)), "ro\\xc2\\xadot");
        ck_assert_str_eq(text_quote("\xe2\x80\x90", buf, sizeof(buf)), "\xe2\x80\x90"); /* hyphen */
        ck_assert_str_eq(text_quote(NULL, buf, sizeof(buf)), "");
        char longer[1000];
        memset(longer, 'x', sizeof(longer) - 1);
        longer[sizeof(longer) - 1] = '\0';
        text_quote(longer, buf, sizeof(buf));
        ck_assert_uint_eq(strlen(buf), 83);
        ck_assert_str_eq(buf + 80, "...");
        /* Worst case: every byte escaped still fits and is terminated. */
        memset(longer, '\x01', sizeof(longer) - 1);
        text_quote(longer, buf, sizeof(buf));
        ck_assert_uint_lt(strlen(buf), sizeof(buf));
        char tiny[6];
        text_quote("\x01\x02", tiny, sizeof(tiny));
        ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
}
END_TEST

START_TEST(test_text_percent_decode)
{
        char out[8];
        size_t len = 99;
        ck_assert(text_percent_decode("a%41%7a", 7, out, sizeof(out), &len));
        ck_assert_str_eq(out, "aAz");
        ck_assert_uint_eq(len, 3);
        ck_assert(text_percent_decode("x%00y", 5, out, sizeof(out), &len));
        ck_assert_uint_eq(len, 3);
        ck_assert_int_eq(out[1], 0);
        ck_assert(text_percent_decode("", 0, out, sizeof(out), &len));
        ck_assert_uint_eq(len, 0);
        ck_assert(!text_percent_decode("%4", 2, out, sizeof(out), &len));
        ck_assert(!text_percent_decode("%", 1, out, sizeof(out), &len));
        ck_assert(!text_percent_decode("%g0", 3, out, sizeof(out), &len));
        ck_assert(!text_percent_decode("12345678", 8, out, sizeof(out), &len)); /* no room */
        ck_assert(text_percent_decode("1234567", 7, out, sizeof(out), &len));
        /* Only len bytes are read: a "%" just past them does not count. */
        ck_assert(text_percent_decode("ab%41", 2, out, sizeof(out), &len));
        ck_assert_str_eq(out, "ab");
}
END_TEST

START_TEST(test_text_url_helpers)
{
        const char *url = "redis+tls://h";
        ck_assert(text_is_url_scheme(url, strstr(url, "://")));
        const char *pass = "user:pass://h";
        ck_assert(!text_is_url_scheme(pass, strstr(pass, "://")));
        ck_assert(!text_is_url_scheme(url, url));
        ck_assert(text_has_prefix_nocase("UNIX:/run", "unix:"));
        ck_assert(!text_has_prefix_nocase("uni", "unix:"));
        ck_assert(text_has_control("a\tb"));
        ck_assert(text_has_control("\x7f"));
        ck_assert(!text_has_control("caf\xc3\xa9 /path"));
}
END_TEST

START_TEST(test_quote_hiding_userinfo)
{
        char buf[QUOTE_BUF], tiny[5];
        ck_assert_str_eq(text_quote_hiding_userinfo("5s", buf, sizeof(buf)), "5s");
        ck_assert_str_eq(text_quote_hiding_userinfo("https://u:s3cret@h/x", buf, sizeof(buf)),
                         "***@h/x");
        ck_assert_str_eq(text_quote_hiding_userinfo("a@b:s3cret@h\n", buf, sizeof(buf)),
                         "***@h\\x0a"); /* the last '@' counts; the rest is quoted as ever */
        ck_assert_str_eq(text_quote_hiding_userinfo("x@\x01", buf, sizeof(buf)), "***@\\x01");
        ck_assert_str_eq(text_quote_hiding_userinfo("s3cret@h", tiny, sizeof(tiny)), "***");
        ck_assert_str_eq(text_quote_hiding_userinfo(NULL, buf, sizeof(buf)), "");
}
END_TEST

START_TEST(test_parse_ulong)
{
        unsigned long v;
        ck_assert(text_parse_ulong("65535", 1, 65535, &v) && v == 65535);
        ck_assert(!text_parse_ulong("65536", 1, 65535, &v));
        ck_assert(!text_parse_ulong("0", 1, 65535, &v));
        ck_assert(!text_parse_ulong("-1", 0, 65535, &v));
        ck_assert(!text_parse_ulong(" 1", 0, 65535, &v));
        ck_assert(!text_parse_ulong("1x", 0, 65535, &v));
        ck_assert(!text_parse_ulong("", 0, 65535, &v));
        ck_assert(!text_parse_ulong("99999999999999999999999", 0, 65535, &v));
}
END_TEST

static char *json_of(const char *s)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        json_write_string(f, s);
        fclose(f);
        return text;
}

START_TEST(test_json_string)
{
        static const char *const cases[][2] = {
            {"plain", "\"plain\""},
            {"q\"b\\", "\"q\\\"b\\\\\""},
            {"a\nb\tc", "\"a\\u000ab\\u0009c\""},
            {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
            {"bad\xff", "\"bad\\ufffd\""},
            {"cut\xe2\x82", "\"cut\\ufffd\""},
            {"\x7f", "\"\\u007f\""},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out = json_of(cases[i][0]);
                ck_assert_str_eq(out, cases[i][1]);
                free(out);
        }
}
END_TEST

/* ---- the shared option parser, through the user check ---- */

extern const struct check check_user;

static int parse_words(struct invocation *inv, const char *line, struct pf_error *err,
                       char **storage)
{
        /* Split on spaces into a writable copy kept by the caller. */
        static char *words[32];
        char *copy = strdup(line);
        int n = 0;
        for (char *w = strtok(copy, " "); w && n < 31; w = strtok(NULL, " "))
                words[n++] = w;
        words[n] = NULL;
        *storage = copy;
        return invocation_parse(inv, &check_user, n, words, err);
}

START_TEST(test_options_good)
{
        struct invocation inv;
        struct pf_error err = {0};
        char *storage;
        ck_assert_int_eq(parse_words(&inv, "root -t 2s -w -i 100ms --json -q", &err, &storage),
                         PF_OK);
        ck_assert_uint_eq(inv.timeout_us, 2000000);
        ck_assert_uint_eq(inv.interval_us, 100000);
        ck_assert(inv.wait && inv.style.json && inv.style.quiet && !inv.invert);
        ck_assert_uint_eq(inv.n_targets, 1);
        ck_assert_str_eq(inv.targets[0].shown, "root");
        invocation_release(&inv);
        free(storage);

        /* Defaults: 5 s for one attempt, 60 s under --wait; attached values; clusters. */
        ck_assert_int_eq(parse_words(&inv, "root", &err, &storage), PF_OK);
        ck_assert_uint_eq(inv.timeout_us, DEFAULT_TIMEOUT_US);
        invocation_release(&inv);
        free(storage);
        ck_assert_int_eq(parse_words(&inv, "-wq root --timeout=3s", &err, &storage), PF_OK);
        ck_assert_uint_eq(inv.timeout_us, 3000000);
        ck_assert(inv.wait && inv.style.quiet);
        invocation_release(&inv);
        free(storage);
        ck_assert_int_eq(parse_words(&inv, "--wait root", &err, &storage), PF_OK);
        ck_assert_uint_eq(inv.timeout_us, DEFAULT_WAIT_TIMEOUT_US);
        invocation_release(&inv);
        free(storage);
        ck_assert_int_eq(parse_words(&inv, "-t5s root -- /bin/true x", &err, &storage), PF_OK);
        ck_assert_uint_eq(inv.timeout_us, 5000000);
        ck_assert_str_eq(inv.command[0], "/bin/true");
        ck_assert_str_eq(inv.command[1], "x");
        ck_assert_ptr_null(inv.command[2]);
        invocation_release(&inv);
        free(storage);
}
END_TEST

static const struct {
        const char *line;
        const char *message_part;
} bad_lines[] = {
    {"root --nope", "'--nope'"},          {"root -x", "'-x'"},
    {"root -q=1", "'-=' in '-q='"},       /* the cluster it is in, up to the unknown letter */
    {"root -wqS3cret", "'-S' in '-wqS'"}, /* and not what follows: it may be a value */
    {"root -t", "needs a value"},         {"root -t 0", "too short"},
    {"root -t 5parsecs", "'5parsecs'"},   {"root -i 1ms", "too short"},
    {"root -i infinity", "finite"},       {"root --wait=1", "takes no value"},
    {"root other", "at most 1"},          {"root --", "COMMAND"},
    {"--group", "needs a value"},         {"", "nothing to check"},
};

START_TEST(test_options_bad)
{
        struct invocation inv;
        struct pf_error err = {0};
        char *storage;
        ck_assert_int_eq(parse_words(&inv, bad_lines[_i].line, &err, &storage), PF_USAGE);
        ck_assert_msg(strstr(err.msg, bad_lines[_i].message_part), "'%s': message '%s'",
                      bad_lines[_i].line, err.msg);
        ck_assert_ptr_null(inv.config);
        free(storage);
}
END_TEST

/* An unknown long option is named as far as it could be a name: the rest of a word like
 * --user:SECRET@host is not repeated (the quote closes right after the cut). Nor is what
 * precedes an '@' in a word that is refused as an option's value or an extra argument. */
START_TEST(test_words_with_userinfo)
{
        static const struct {
                const char *line, *shown;
        } cases[] = {
            {"root --nope_2-x", "'--nope_2-x' ("},
            {"root --user:s3cret@host", "'--user...' ("},
            {"root --https://u:s3cret@host/", "'--https...' ("},
            {"root --s3cret@host=x", "'--s3cret...' ("}, /* only what precedes '=' at all */
            {"root --:s3cret@host", "'--...' ("},
            /* A forgotten value: the next word, a URL, became it. */
            {"root --timeout https://u:s3cret@h/", "'***@h/' is not a time span"},
            {"root -i u:s3cret@h", "'***@h' is not a time span"},
            {"root other:s3cret@h", "got '***@h' too"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct invocation inv;
                struct pf_error err = {0};
                char *storage;
                ck_assert_int_eq(parse_words(&inv, cases[i].line, &err, &storage), PF_USAGE);
                ck_assert_msg(strstr(err.msg, cases[i].shown), "'%s': message '%s'", cases[i].line,
                              err.msg);
                free(storage);
        }
}
END_TEST

Suite *suite_core(void)
{
        Suite *s = suite_create("core");
        TCase *tc = tcase_create("spans");
        tcase_add_loop_test(tc, test_span_good, 0, sizeof(good_spans) / sizeof(good_spans[0]));
        tcase_add_loop_test(tc, test_span_bad, 0, sizeof(bad_spans) / sizeof(bad_spans[0]));
        tcase_add_test(tc, test_span_format);
        suite_add_tcase(s, tc);
        tc = tcase_create("exit codes");
        tcase_add_test(tc, test_code_table);
        tcase_add_loop_test(tc, test_explain, 0, sizeof(explanations) / sizeof(explanations[0]));
        tcase_add_test(tc, test_explain_out_of_range);
        tcase_add_test(tc, test_exit_codes_listing);
        suite_add_tcase(s, tc);
        tc = tcase_create("text");
        tcase_add_test(tc, test_quote);
        tcase_add_test(tc, test_quote_hiding_userinfo);
        tcase_add_test(tc, test_text_percent_decode);
        tcase_add_test(tc, test_text_url_helpers);
        tcase_add_test(tc, test_parse_ulong);
        tcase_add_test(tc, test_json_string);
        suite_add_tcase(s, tc);
        tc = tcase_create("options");
        tcase_add_test(tc, test_options_good);
        tcase_add_loop_test(tc, test_options_bad, 0, sizeof(bad_lines) / sizeof(bad_lines[0]));
        tcase_add_test(tc, test_words_with_userinfo);
        suite_add_tcase(s, tc);
        return s;
}
