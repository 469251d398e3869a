/* Unit tests of --expect-body-regex's matcher (core/regex.c) against the real PCRE2:
 * ordinary patterns answer as glibc's regexec() (the engine the option used before) answers,
 * the constructs POSIX reads otherwise are refused, each limit holds and says so, and the worst
 * patterns found end within the CPU bound on a full 64 KiB body. */
#include <check.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/regex.h"
#include "core/backstop.h"
#include "core/clock.h"
#include "core/exitcodes.h"

Suite *suite_http_regex(void);

#define BODY_SIZE 65536 /* the most of a body the http check keeps */

/* Sanitizers and valgrind make every step slower. The limits count CPU time, so the bound on
 * compile + match hardly moves; what grows is the compile and the step under way when the
 * timer fires, which valgrind runs 25 times slower (it runs PCRE2 too; ASan does not). Which
 * of two limits comes first can change, too (steps are slower there). */
static bool sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__)
        return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
        return true;
#endif
#endif
        return false;
}

static bool under_valgrind(void)
{
        const char *preload = getenv("LD_PRELOAD");
        return preload && strstr(preload, "vgpreload"); /* valgrind's own preload */
}

static bool slow_build(void)
{
        return sanitized() || under_valgrind();
}

static double cpu_bound_s(void)
{
        return under_valgrind() ? 10.0 : sanitized() ? 2.0 : 1.0;
}

static double cpu_now_s(void)
{
        struct timespec now;
        ck_assert_int_eq(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now), 0);
        return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* A 64 KiB body of unit repeated, ending with suffix. */
static char *body_of(const char *unit, const char *suffix)
{
        char *body = malloc(BODY_SIZE);
        ck_assert_ptr_nonnull(body);
        size_t unit_len = strlen(unit), suffix_len = strlen(suffix);
        for (size_t i = 0; i < BODY_SIZE; i++)
                body[i] = unit[i % unit_len];
        memcpy(body + BODY_SIZE - suffix_len, suffix, suffix_len);
        return body;
}

static struct body_regex *compiled(const char *pattern)
{
        struct body_regex *re = NULL;
        char why[512] = "";
        int r = body_regex_compile(pattern, &re, why, sizeof(why));
        ck_assert_msg(r == PF_OK, "'%s' refused (%d): %s", pattern, r, why);
        ck_assert_ptr_nonnull(re);
        return re;
}

static enum body_match match(const char *pattern, const char *body, size_t len, char *why,
                             size_t why_size)
{
        struct body_regex *re = compiled(pattern);
        enum body_match answer = body_regex_match(re, body, len, 0, why, why_size);
        body_regex_free(re);
        return answer;
}

/* The words of a message: one line a terminal shows as it is. */
static bool one_plain_line(const char *text)
{
        for (const unsigned char *s = (const unsigned char *)text; *s; s++)
                if (*s < 0x20 || *s == 0x7f)
                        return false;
        return text[0] != '\0';
}

/* ---- Ordinary patterns: as glibc's regexec() with the flags the option used ---------------- */

static const struct {
        const char *pattern, *body;
        size_t len; /* 0: strlen(body) */
        bool matches;
} ordinary[] = {
    {"^ready$", "ready\n", 0, true},
    {"^ready$", "ready", 0, true},
    {"^ready$", "starting\nready\n", 0, true},
    {"^ready$", "not ready\n", 0, false},
    {"^ready$", "ready\r\n", 0, false}, /* LF is the only line end, as before */
    {"\"status\": *\"ok\"", "{\"status\":   \"ok\"}", 0, true},
    {"\"status\": *\"ok\"", "{\"status\":\"ok\"}", 0, true},
    {"\"status\": *\"ok\"", "{\"status\": \"fail\"}", 0, false},
    {"[0-9]+ ms", "took 12 ms", 0, true},
    {"[0-9]+ ms", "took ms", 0, false},
    {"(up|ok)", "all up", 0, true},
    {"(up|ok)", "all down", 0, false},
    {"^[[:alpha:]]+$", "abc\n123\n", 0, true},
    {"^[[:alpha:]]+$", "ab1\n123\n", 0, false},
    {"[[:digit:]]{3}", "a 404 b", 0, true},
    {"[[:digit:]]{3}", "a 40 b", 0, false},
    {"a.b", "a\nb", 0, false}, /* '.' does not match a line break */
    {"a.b", "axb", 0, true},
    {"^$", "a\n\nb", 0, true},
    {"^$", "a\n", 0, true}, /* after the last line break, as glibc has it */
    {"^$", "a", 0, false},
    {"^b", "a\nb", 0, true},
    {"a$", "a\nb", 0, true},
    {"b$", "a\0b", 3, true},
    {"colou?r", "color", 0, true},
    {"a{2,3}", "xaax", 0, true},
    {"a{2,3}", "xax", 0, false},
    {"[]a]+x", "]ax", 0, true},
    {"[a-]x", "-x", 0, true},
    {"(ab)\\1", "abab", 0, true},
    {"(ab)\\1", "abba", 0, false},
    {"[^[:space:]]+=1", "key=1", 0, true},
    {"x|y", "zzy", 0, true},
    {"(ab)+c", "ababc", 0, true},
    {"\\.", "a.b", 0, true},
    {"\\.", "ab", 0, false},
    {"", "anything", 0, true},
};

static bool glibc_matches(const char *pattern, const char *body, size_t len)
{
        regex_t re;
        ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE), 0);
        regmatch_t range = {.rm_so = 0, .rm_eo = (regoff_t)len};
        bool matches = regexec(&re, body, 1, &range, REG_STARTEND) == 0;
        regfree(&re);
        return matches;
}

START_TEST(test_ordinary_patterns_as_before)
{
        const char *pattern = ordinary[_i].pattern, *body = ordinary[_i].body;
        size_t len = ordinary[_i].len ? ordinary[_i].len : strlen(body);
        char why[512] = "";
        enum body_match answer = match(pattern, body, len, why, sizeof(why));
        ck_assert_msg(answer == (ordinary[_i].matches ? BODY_MATCH : BODY_NO_MATCH),
                      "'%s' on '%s': %d %s", pattern, body, answer, why);
        /* The engine the option used before agrees (the table is not only our own belief). */
        ck_assert_msg(glibc_matches(pattern, body, len) == ordinary[_i].matches,
                      "glibc disagrees on '%s'", pattern);
}
END_TEST

/* A match found at the very end of a full body is a match, not a limit. */
START_TEST(test_ordinary_patterns_on_a_full_body)
{
        char why[512] = "";
        char *json = body_of("{\"name\": \"x\", \"n\": 12}, ", "\"status\": \"ok\"}\n");
        ck_assert_int_eq(match("\"status\": *\"ok\"", json, BODY_SIZE, why, sizeof(why)),
                         BODY_MATCH);
        ck_assert_int_eq(match("^ready$", json, BODY_SIZE, why, sizeof(why)), BODY_NO_MATCH);
        ck_assert_int_eq(match("[0-9]+ ms", json, BODY_SIZE, why, sizeof(why)), BODY_NO_MATCH);
        free(json);
        char *letters = body_of("u", "ok");
        ck_assert_int_eq(match("(up|ok)", letters, BODY_SIZE, why, sizeof(why)), BODY_MATCH);
        letters[BODY_SIZE - 1] = 'x';
        ck_assert_int_eq(match("(up|ok)", letters, BODY_SIZE, why, sizeof(why)), BODY_NO_MATCH);
        ck_assert_int_eq(match("^[[:alpha:]]+$", letters, BODY_SIZE, why, sizeof(why)), BODY_MATCH);
        free(letters);
}
END_TEST

/* ---- Any bytes: NUL and invalid UTF-8 are characters like any other ------------------------ */

START_TEST(test_nul_and_invalid_utf8)
{
        static const char body[] = "ok\0\nready\n\xff\xfe\xc3(\x80 end";
        size_t len = sizeof(body) - 1;
        char why[512] = "";
        ck_assert_int_eq(match("^ready$", body, len, why, sizeof(why)), BODY_MATCH);
        ck_assert_int_eq(match("ok.\n", body, len, why, sizeof(why)), BODY_MATCH); /* '.': NUL */
        ck_assert_int_eq(match("\xff\xfe", body, len, why, sizeof(why)), BODY_MATCH);
        ck_assert_int_eq(match("\\xc3\\(", body, len, why, sizeof(why)), BODY_MATCH);
        ck_assert_int_eq(match("\\x80 end$", body, len, why, sizeof(why)), BODY_MATCH);
        ck_assert_int_eq(match("\\n...\\(", body, len, why, sizeof(why)), BODY_MATCH);
        ck_assert_int_eq(match("end.", body, len, why, sizeof(why)), BODY_NO_MATCH);
        /* Only len bytes count: the NUL C adds after the array is not part of the body. */
        ck_assert_int_eq(match("end\\x00", body, len, why, sizeof(why)), BODY_NO_MATCH);
        ck_assert_int_eq(match("^$", "", 0, why, sizeof(why)), BODY_MATCH);
        ck_assert_int_eq(match("x", NULL, 0, why, sizeof(why)), BODY_NO_MATCH);
}
END_TEST

/* ---- Refused at compile time --------------------------------------------------------------- */

static const struct {
        const char *pattern;
        const char *because; /* words the message must hold */
} refused[] = {
    {"\\<ready", "at offset 0, \\< and \\> are POSIX word boundaries"},
    {"ready\\>", "at offset 5, \\< and \\> are POSIX word boundaries"},
    {"(a|\\<b)", "write \\b for a word boundary"},
    {"x{,3}", "at offset 1, {,n} is 0 to n times in POSIX"},
    {"x{,}", "write {0,n}"},
    {"\\`ready", "at offset 0, \\` and \\' are GNU's start and end"},
    {"ready\\'", "write \\A and \\z"},
    {"(*UTF)ready", "using UTF is disabled by the application at offset 6"},
    {"[[.a.]]", "POSIX collating elements are not supported"},
    {"(ready", "missing closing parenthesis at offset 6"},
    {"a{1,2}{3}", "quantifier does not follow a repeatable item"},
    {"a**", "quantifier does not follow a repeatable item"},
    {"\\", "\\ at end of pattern"},
    {"(?<n>a)(?<n>b)", "two named subpatterns have the same name"},
    {"(?<=a+)b", "lookbehind assertion is not fixed length"},
    {"\\x{100}", "character code point value in \\x{} or \\o{} is too large"},
};

START_TEST(test_refused_constructs)
{
        const char *pattern = refused[_i].pattern;
        struct body_regex *re = (struct body_regex *)&re; /* not NULL: must be set to NULL */
        char why[512] = "", start[128];
        ck_assert_int_eq(body_regex_compile(pattern, &re, why, sizeof(why)), PF_USAGE);
        ck_assert_ptr_null(re);
        snprintf(start, sizeof(start), "--expect-body-regex: '%s' is refused: ", pattern);
        ck_assert_msg(strncmp(why, start, strlen(start)) == 0, "'%s': %s", pattern, why);
        ck_assert_msg(strstr(why, refused[_i].because), "'%s': %s", pattern, why);
        ck_assert(one_plain_line(why));
}
END_TEST

/* What looks like a refused construct but is not one: in a class, quoted, in a comment, an
 * escaped backslash before '<', and the intervals PCRE2 reads as POSIX does. */
static const struct {
        const char *pattern, *body;
        bool matches;
} not_refused[] = {
    {"[\\<]x", "<x", true},        {"\\Q\\<\\E", "\\<", true}, {"(?#\\<)a", "a", true},
    {"\\\\<", "\\<", true},        {"x{0,3}y", "xy", true},    {"x{2,}", "xx", true},
    {"[{,3}]", ",", true},         {"a\\{,3}", "a{,3}", true}, {"\\bok\\b", "is ok.", true},
    {"\\bok\\b", "is oks", false}, {"\\Aok\\z", "ok", true},   {"[[:alpha:]\\<]+$", "a<", true},
};

START_TEST(test_lookalikes_accepted)
{
        char why[512] = "";
        const char *body = not_refused[_i].body;
        enum body_match answer =
            match(not_refused[_i].pattern, body, strlen(body), why, sizeof(why));
        ck_assert_msg(answer == (not_refused[_i].matches ? BODY_MATCH : BODY_NO_MATCH), "'%s': %s",
                      not_refused[_i].pattern, why);
}
END_TEST

/* A hostile pattern is shown escaped: no terminal escape, no second line. */
START_TEST(test_refusal_quotes_the_pattern_safely)
{
        struct body_regex *re = NULL;
        char why[512] = "";
        ck_assert_int_eq(body_regex_compile("\x1b[2J\nforged line\\<", &re, why, sizeof(why)),
                         PF_USAGE);
        ck_assert_msg(one_plain_line(why), "%s", why);
        ck_assert_ptr_nonnull(strstr(why, "\\x1b[2J\\x0aforged line"));
        /* A URL given where the pattern was expected keeps its password out of the message. */
        ck_assert_int_eq(body_regex_compile("http://u:s3cret@h/(", &re, why, sizeof(why)),
                         PF_USAGE);
        ck_assert_ptr_null(strstr(why, "s3cret"));
}
END_TEST

/* ---- Compile limits ------------------------------------------------------------------------ */

START_TEST(test_length_limit)
{
        char *pattern = malloc(BODY_REGEX_MAX_LENGTH + 2);
        ck_assert_ptr_nonnull(pattern);
        memset(pattern, 'a', BODY_REGEX_MAX_LENGTH + 1);
        pattern[BODY_REGEX_MAX_LENGTH + 1] = '\0';
        struct body_regex *re = NULL;
        char why[512] = "";
        ck_assert_int_eq(body_regex_compile(pattern, &re, why, sizeof(why)), PF_USAGE);
        ck_assert_msg(strstr(why, "it is 4097 bytes long, more than 4096"), "%s", why);
        ck_assert_ptr_nonnull(strstr(why, "aaaa...")); /* shown cut short */
        pattern[BODY_REGEX_MAX_LENGTH] = '\0';
        re = compiled(pattern);
        char *body = body_of("a", "");
        ck_assert_int_eq(body_regex_match(re, body, BODY_SIZE, 0, why, sizeof(why)), BODY_MATCH);
        body_regex_free(re);
        free(body);
        free(pattern);
}
END_TEST

/* "(((...a...)))" n deep */
static char *nested(unsigned n)
{
        char *pattern = malloc(2 * n + 2);
        ck_assert_ptr_nonnull(pattern);
        memset(pattern, '(', n);
        pattern[n] = 'a';
        memset(pattern + n + 1, ')', n);
        pattern[2 * n + 1] = '\0';
        return pattern;
}

START_TEST(test_nesting_limit)
{
        char *deepest = nested(BODY_REGEX_MAX_NESTING);
        body_regex_free(compiled(deepest));
        free(deepest);
        char *deeper = nested(BODY_REGEX_MAX_NESTING + 1);
        struct body_regex *re = NULL;
        char why[512] = "";
        ck_assert_int_eq(body_regex_compile(deeper, &re, why, sizeof(why)), PF_USAGE);
        ck_assert_msg(strstr(why, "parentheses are too deeply nested (at most 32 levels)"), "%s",
                      why);
        free(deeper);
}
END_TEST

START_TEST(test_compiled_size_limit)
{
        struct body_regex *re = NULL;
        char why[512] = "";
        /* Repeated groups are copied: PCRE2 itself refuses past 64 K code units. */
        ck_assert_int_eq(body_regex_compile("(?:ab){2500}", &re, why, sizeof(why)), PF_USAGE);
        ck_assert_msg(strstr(why, "regular expression is too large"), "%s", why);
        ck_assert_int_eq(body_regex_compile("((a{1000}){1000}){1000}", &re, why, sizeof(why)),
                         PF_USAGE);
        /* Within PCRE2's own limit, with a table of 200 names: past BODY_REGEX_MAX_COMPILED. */
        char pattern[4096] = "";
        size_t used = 0;
        for (unsigned i = 0; i < 200; i++)
                used += (size_t)snprintf(pattern + used, sizeof(pattern) - used, "(?<n%03u>)", i);
        snprintf(pattern + used, sizeof(pattern) - used, "(?:ab){2197}");
        ck_assert_int_eq(body_regex_compile(pattern, &re, why, sizeof(why)), PF_USAGE);
        ck_assert_msg(strstr(why, "bytes, more than 65536; write it more simply"), "%s", why);
        ck_assert_ptr_null(re);
        body_regex_free(compiled("(?:ab){2000}")); /* 56 KB compiled: within */
}
END_TEST

/* ---- Match limits -------------------------------------------------------------------------- */

/* Runs pattern on a 64 KiB body: the answer, with why, and the CPU time of both halves. */
static enum body_match timed(const char *pattern, const char *body, char *why, size_t why_size,
                             double *seconds)
{
        double start = cpu_now_s();
        struct body_regex *re = compiled(pattern);
        enum body_match answer = body_regex_match(re, body, BODY_SIZE, 0, why, why_size);
        *seconds = cpu_now_s() - start;
        body_regex_free(re);
        return answer;
}

START_TEST(test_step_limit)
{
        char why[512] = "";
        double seconds;
        char *body = body_of("a", "");
        /* Exponential backtracking over cheap steps: 10 million of them come first. */
        ck_assert_int_eq(timed("(?:a+)+[bc]", body, why, sizeof(why), &seconds), BODY_GAVE_UP);
        if (!slow_build() || !strstr(why, "of CPU time"))
                ck_assert_msg(strstr(why, "limit of 10000000 steps"), "%s", why);
        ck_assert_ptr_nonnull(strstr(why, "anchor the pattern"));
        ck_assert_ptr_nonnull(strstr(why, "avoid nested repetition"));
        ck_assert(one_plain_line(why));
        ck_assert_msg(seconds < cpu_bound_s(), "%.3f s", seconds);
        free(body);
}
END_TEST

START_TEST(test_cpu_limit)
{
        char why[512] = "";
        double seconds;
        char *body = body_of("a", "");
        /* Two steps per start position, each scanning the rest of the body: few steps, and
         * quadratic work. PCRE2's own limits count from each start position and never see it. */
        ck_assert_int_eq(timed("a*+[bc]", body, why, sizeof(why), &seconds), BODY_GAVE_UP);
        ck_assert_msg(strstr(why, "limit of 500 ms of CPU time; anchor the pattern"), "%s", why);
        ck_assert_msg(seconds >= 0.45 && seconds < cpu_bound_s(), "%.3f s", seconds);
        /* The issue's example: one back-reference step compares up to 32 KiB. */
        ck_assert_int_eq(timed("(a*)\\1[^a]", body, why, sizeof(why), &seconds), BODY_GAVE_UP);
        ck_assert_msg(strstr(why, "500 ms of CPU time"), "%s", why);
        ck_assert_msg(seconds < cpu_bound_s(), "%.3f s", seconds);
        free(body);
}
END_TEST

START_TEST(test_memory_limit)
{
        char why[512] = "";
        double seconds;
        char *body = body_of("ab", "");
        /* Every repetition of a group leaves a backtracking point: 64 K of them pass 16 MiB. */
        ck_assert_int_eq(timed("^(a|b)*$", body, why, sizeof(why), &seconds), BODY_GAVE_UP);
        ck_assert_msg(strstr(why, "limit of 16 MiB of backtracking memory; repeat a class"), "%s",
                      why);
        /* What the message advises works. */
        ck_assert_int_eq(timed("^[ab]*$", body, why, sizeof(why), &seconds), BODY_MATCH);
        ck_assert_int_eq(timed("^(a|b)*+$", body, why, sizeof(why), &seconds), BODY_MATCH);
        free(body);
}
END_TEST

START_TEST(test_pcre2_own_limits)
{
        char why[512] = "";
        double seconds;
        char *body = body_of("a", "");
        /* A pattern may lower PCRE2's limits (never raise them): each still ends in a message. */
        ck_assert_int_eq(timed("(*LIMIT_MATCH=1000)(?:a+)+[bc]", body, why, sizeof(why), &seconds),
                         BODY_GAVE_UP);
        ck_assert_msg(strstr(why, "PCRE2's match limit"), "%s", why);
        ck_assert_int_eq(timed("(*LIMIT_DEPTH=10)(a|b)*[bc]", body, why, sizeof(why), &seconds),
                         BODY_GAVE_UP);
        ck_assert_msg(strstr(why, "PCRE2's depth limit"), "%s", why);
        ck_assert_int_eq(timed("(?R)?a*+[bc]", body, why, sizeof(why), &seconds), BODY_GAVE_UP);
        ck_assert_msg(strstr(why, "recurses at the same place"), "%s", why);
        free(body);
}
END_TEST

START_TEST(test_deadline)
{
        char why[512] = "";
        char *body = body_of("a", "");
        struct body_regex *re = compiled("a*+[bc]");
        uint64_t start = clock_now_us();
        ck_assert_int_eq(body_regex_match(re, body, BODY_SIZE, start + 50000, why, sizeof(why)),
                         BODY_TIMED_OUT);
        uint64_t took = clock_now_us() - start;
        /* Before the backstop would end the process, however loaded the machine. */
        ck_assert_msg(took >= 50000 && took < 50000 + BACKSTOP_GRACE_US, "%llu us",
                      (unsigned long long)took);
        ck_assert_str_eq(why, "the deadline passed while matching the body");
        /* Passed already: given up at the first look at the clock. */
        ck_assert_int_eq(body_regex_match(re, body, BODY_SIZE, start, why, sizeof(why)),
                         BODY_TIMED_OUT);
        /* A deadline far off changes nothing. */
        ck_assert_int_eq(body_regex_match(re, "xb", 2, deadline_after(60000000), why, sizeof(why)),
                         BODY_MATCH);
        body_regex_free(re);
        free(body);
}
END_TEST

/* ---- The worst cases found: each ends within the bound on a full body ---------------------- */

static const struct {
        const char *pattern, *unit, *suffix;
} worst[] = {
    {"(a*)\\1[^a]", "a", ""},
    {"(?i)(a*)\\1*[^a]", "a", ""},
    {"(a*+)\\1{2}[^a]", "a", ""},
    {"(*NO_START_OPT)a*+[bc]", "a", ""},
    {"(*NO_AUTO_POSSESS)a*[bc]", "a", ""},
    {"(?=a*+[bc])", "a", ""},
    {"(?<=a)a*+[bc]", "a", ""},
    {"[^b]*+[bc]", "a", ""},
    {"\\p{L}*+[bc]", "a", ""},
    {"(a|a)*b", "a", "cb"},
    {"(a|a)*+[bc]", "a", ""},
    {"(.*)*x", "a", "x\n"},
    {"(?:a+)+$", "a", "b"},
    {"((a|b)*)*c", "ab", ""},
    {"(\\w*+\\X?[^b]{1,500}a?)+", "a", ""},
    {"((?>a*)++(?:a|\\1){1,500}(?<=a){1,500}(?:a|aa)*)+[bc]", "a", ""},
    {"(a(?1)?)[bc]", "a", ""},
    {"(?|(a*)|(b))\\1[bc]", "a", ""},
    {"^(\\s*\\S+\\s*)*$", "word ", "!\n\x01"},
    {"(x+x+)+y", "x", ""},
    {"(?:[a-z]+\\s?)+\\d", "abc de ", ""},
    {"(\\d+)*\\1\\1\\1z", "1", ""},
};

START_TEST(test_worst_cases_bounded)
{
        char why[512] = "";
        double seconds;
        char *body = body_of(worst[_i].unit, worst[_i].suffix);
        enum body_match answer = timed(worst[_i].pattern, body, why, sizeof(why), &seconds);
        ck_assert_msg(answer == BODY_MATCH || answer == BODY_NO_MATCH || answer == BODY_GAVE_UP,
                      "'%s': %d %s", worst[_i].pattern, answer, why);
        ck_assert_msg(seconds < cpu_bound_s(), "'%s' took %.3f s of CPU time", worst[_i].pattern,
                      seconds);
        free(body);
}
END_TEST

/* One step can be long: a class of 1360 properties tested against each byte of the body, which
 * a count of 65000 makes fail only after scanning it all (136 ms a step, measured). The timer
 * stops the match after the step that passes the budget, not 128 steps later (5 s). */
START_TEST(test_worst_single_step)
{
        static const char *const properties[] = {"\\pN", "\\pM", "\\pZ", "\\pC"};
        char pattern[BODY_REGEX_MAX_LENGTH + 1] = "[^";
        size_t used = 2;
        for (unsigned i = 0; used + 3 + 13 < sizeof(pattern); i++)
                used += (size_t)snprintf(pattern + used, sizeof(pattern) - used, "%s",
                                         properties[i % 4]);
        snprintf(pattern + used, sizeof(pattern) - used, "]{65000}[xy]");
        char why[512] = "";
        double seconds;
        char *body = body_of("a", "b");
        enum body_match answer = timed(pattern, body, why, sizeof(why), &seconds);
        free(body);
        ck_assert_int_eq(answer, BODY_GAVE_UP);
        ck_assert_msg(strstr(why, "500 ms of CPU time"), "%s", why);
        ck_assert_msg(seconds < cpu_bound_s(), "%.3f s", seconds);
}
END_TEST

/* The timers' signal is the process's again after a match: its action and its mask. */
START_TEST(test_signal_put_back)
{
        struct sigaction before, after;
        sigset_t mask_before, mask_after;
        ck_assert_int_eq(sigaction(SIGVTALRM, NULL, &before), 0);
        ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &mask_before), 0);
        char why[512] = "";
        char *body = body_of("a", "");
        ck_assert_int_eq(match("a*+[bc]", body, BODY_SIZE, why, sizeof(why)), BODY_GAVE_UP);
        ck_assert_int_eq(match("^a", body, BODY_SIZE, why, sizeof(why)), BODY_MATCH);
        ck_assert_int_eq(sigaction(SIGVTALRM, NULL, &after), 0);
        ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &mask_after), 0);
        ck_assert(after.sa_handler == before.sa_handler);
        ck_assert_int_eq(sigismember(&mask_after, SIGVTALRM), sigismember(&mask_before, SIGVTALRM));
        /* A caller that blocks it gets it blocked back, and the match is still bounded. */
        sigset_t only;
        sigemptyset(&only);
        sigaddset(&only, SIGVTALRM);
        ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &only, NULL), 0);
        ck_assert_int_eq(match("a*+[bc]", body, BODY_SIZE, why, sizeof(why)), BODY_GAVE_UP);
        ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &mask_after), 0);
        ck_assert(sigismember(&mask_after, SIGVTALRM));
        ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &only, NULL), 0);
        free(body);
}
END_TEST

START_TEST(test_free_null)
{
        body_regex_free(NULL);
}
END_TEST

Suite *suite_http_regex(void)
{
        Suite *s = suite_create("http_regex");
        TCase *tc = tcase_create("patterns");
        tcase_add_loop_test(tc, test_ordinary_patterns_as_before, 0,
                            sizeof(ordinary) / sizeof(ordinary[0]));
        tcase_add_test(tc, test_ordinary_patterns_on_a_full_body);
        tcase_add_test(tc, test_nul_and_invalid_utf8);
        tcase_add_loop_test(tc, test_refused_constructs, 0, sizeof(refused) / sizeof(refused[0]));
        tcase_add_loop_test(tc, test_lookalikes_accepted, 0,
                            sizeof(not_refused) / sizeof(not_refused[0]));
        tcase_add_test(tc, test_refusal_quotes_the_pattern_safely);
        tcase_add_test(tc, test_length_limit);
        tcase_add_test(tc, test_nesting_limit);
        tcase_add_test(tc, test_compiled_size_limit);
        tcase_add_test(tc, test_free_null);
        suite_add_tcase(s, tc);

        TCase *limits = tcase_create("limits");
        tcase_set_timeout(limits, 60); /* a test that hangs fails; the bound is asserted inside */
        tcase_add_test(limits, test_step_limit);
        tcase_add_test(limits, test_cpu_limit);
        tcase_add_test(limits, test_memory_limit);
        tcase_add_test(limits, test_pcre2_own_limits);
        tcase_add_test(limits, test_deadline);
        tcase_add_loop_test(limits, test_worst_cases_bounded, 0, sizeof(worst) / sizeof(worst[0]));
        tcase_add_test(limits, test_worst_single_step);
        tcase_add_test(limits, test_signal_put_back);
        suite_add_tcase(s, limits);
        return s;
}
