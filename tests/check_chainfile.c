/* The chain-file grammar: words, quotes, escapes, comments, continuations, ${...}, bounds, and
 * every error with its line number. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/chainfile.h"
#include "core/exitcodes.h"

/* A value long enough that two of them pass the line bound and a few dozen the file bound. */
#define BIG_VALUE_BYTES (60u * 1024u)
static char big_value[BIG_VALUE_BYTES + 1];

/* The environment the tests expand from. */
static const char *test_lookup(const char *name, void *ctx)
{
        (void)ctx;
        static const char *const table[][2] = {
            {"HOST", "db.internal"},  {"EMPTY", ""},          {"SPACED", "a b  c"},
            {"QUOTEY", "'\"$x\\ #y"}, {"REDIS_PORT", "6380"},
        };
        if (strcmp(name, "BIG") == 0) {
                if (!big_value[0])
                        memset(big_value, 'b', BIG_VALUE_BYTES);
                return big_value;
        }
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (strcmp(table[i][0], name) == 0)
                        return table[i][1];
        return NULL;
}

static struct chainfile file;
static struct chainfile_error err;

static int parse(const char *text)
{
        return chainfile_parse(text, strlen(text), test_lookup, NULL, &file, &err);
}

static void teardown(void)
{
        chainfile_release(&file);
}

/* Asserts that text parses and that line index (from 0) starts on line number and holds the
 * words in want (NULL-terminated). */
static void expect_line(unsigned index, unsigned number, const char *const *want)
{
        ck_assert_uint_lt(index, file.n_lines);
        const struct chainfile_line *line = &file.lines[index];
        ck_assert_uint_eq(line->number, number);
        unsigned n = 0;
        while (want[n])
                n++;
        ck_assert_uint_eq(line->n_words, n);
        for (unsigned i = 0; i < n; i++)
                ck_assert_str_eq(line->words[i], want[i]);
        ck_assert_ptr_null(line->words[n]);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect_parse(const char *text)
{
        int r = parse(text);
        ck_assert_msg(r == PF_OK, "parse failed at line %u: %s", err.line, err.msg);
}

/* Asserts that text is refused with PF_CHAIN at line, with a message containing fragment, and
 * that nothing is left to release. */
static void expect_error_sized(const char *text, size_t size, unsigned line, const char *fragment)
{
        int r = chainfile_parse(text, size, test_lookup, NULL, &file, &err);
        ck_assert_int_eq(r, PF_CHAIN);
        ck_assert_uint_eq(err.line, line);
        ck_assert_msg(strstr(err.msg, fragment), "'%s' not in '%s'", fragment, err.msg);
        ck_assert_uint_eq(file.n_lines, 0);
        ck_assert_ptr_null(file.lines);
}

static void expect_error(const char *text, unsigned line, const char *fragment)
{
        expect_error_sized(text, strlen(text), line, fragment);
}

START_TEST(words_split_on_blanks)
{
        expect_parse("port  8080\t--wait   \n");
        ck_assert_uint_eq(file.n_lines, 1);
        expect_line(0, 1, WORDS("port", "8080", "--wait"));
}
END_TEST

START_TEST(last_line_without_newline)
{
        expect_parse("user root\nport 80");
        ck_assert_uint_eq(file.n_lines, 2);
        expect_line(1, 2, WORDS("port", "80"));
}
END_TEST

START_TEST(empty_and_comment_only_files_have_no_lines)
{
        expect_parse("");
        ck_assert_uint_eq(file.n_lines, 0);
        chainfile_release(&file);
        expect_parse("# only a comment\n\n   \n\t# another\n");
        ck_assert_uint_eq(file.n_lines, 0);
}
END_TEST

START_TEST(line_numbers_count_blank_and_comment_lines)
{
        expect_parse("\n# a comment\n   \nuser root\n\n#x\nport 80\n");
        ck_assert_uint_eq(file.n_lines, 2);
        expect_line(0, 4, WORDS("user", "root"));
        expect_line(1, 7, WORDS("port", "80"));
}
END_TEST

START_TEST(comment_after_words_and_hash_inside_a_word)
{
        expect_parse("http http://h/#frag a#b # the rest is a comment 'unclosed\n");
        expect_line(0, 1, WORDS("http", "http://h/#frag", "a#b"));
}
END_TEST

START_TEST(comment_ending_in_backslash_does_not_continue)
{
        expect_parse("# a comment \\\nuser root\n");
        ck_assert_uint_eq(file.n_lines, 1);
        expect_line(0, 2, WORDS("user", "root"));
}
END_TEST

START_TEST(single_quotes_keep_every_byte)
{
        expect_parse("x 'a b' '${HOST}' 'c\\d' '#x' '' '\"'\n");
        expect_line(0, 1, WORDS("x", "a b", "${HOST}", "c\\d", "#x", "", "\""));
}
END_TEST

START_TEST(double_quotes_escape_four_things_and_expand)
{
        expect_parse("x \"a b\" \"q\\\"q\" \"b\\\\s\" \"\\$5\" \"keep\\d\" \"${HOST}\" \"\" "
                     "\"'\"\n");
        expect_line(0, 1,
                    WORDS("x", "a b", "q\"q", "b\\s", "$5", "keep\\d", "db.internal", "", "'"));
}
END_TEST

START_TEST(quoted_and_unquoted_parts_join_into_one_word)
{
        expect_parse("a'b c'\"d ${HOST}\"e\n");
        expect_line(0, 1, WORDS("ab cd db.internale"));
}
END_TEST

START_TEST(backslash_outside_quotes_keeps_the_next_byte)
{
        expect_parse("a\\ b \\# \\' \\\" \\\\ \\${HOST} \\n\n");
        expect_line(0, 1, WORDS("a b", "#", "'", "\"", "\\", "${HOST}", "n"));
}
END_TEST

START_TEST(continuation_joins_lines_and_keeps_the_first_number)
{
        expect_parse("port 80 \\\n    --wait \\\n\t-t 5s\nuser root\n");
        ck_assert_uint_eq(file.n_lines, 2);
        expect_line(0, 1, WORDS("port", "80", "--wait", "-t", "5s"));
        expect_line(1, 4, WORDS("user", "root"));
}
END_TEST

START_TEST(continuation_inside_a_word_and_inside_double_quotes)
{
        expect_parse("por\\\nt \"a\\\nb\"\n");
        expect_line(0, 1, WORDS("port", "ab"));
}
END_TEST

START_TEST(continuation_then_comment_ends_the_line)
{
        expect_parse("user root \\\n  # why\nport 80\n");
        ck_assert_uint_eq(file.n_lines, 2);
        expect_line(0, 1, WORDS("user", "root"));
        expect_line(1, 3, WORDS("port", "80"));
}
END_TEST

START_TEST(crlf_line_ends_read_as_lf)
{
        expect_parse("port 80\r\nuser root \\\r\n --group root\r\n");
        ck_assert_uint_eq(file.n_lines, 2);
        expect_line(0, 1, WORDS("port", "80"));
        expect_line(1, 2, WORDS("user", "root", "--group", "root"));
}
END_TEST

START_TEST(byte_order_mark_at_the_start_is_skipped)
{
        expect_parse("\xef\xbb\xbfuser root\n");
        expect_line(0, 1, WORDS("user", "root"));
        chainfile_release(&file);
        /* Only at the start of the file: elsewhere it is a byte of a word like any other. */
        expect_parse("user root\n\xef\xbb\xbfport 80\n");
        expect_line(1, 2, WORDS("\xef\xbb\xbfport", "80"));
}
END_TEST

START_TEST(expansion_of_set_unset_and_empty_variables)
{
        expect_parse("redis ${HOST}:${REDIS_PORT} ${UNSET:-127.0.0.1} ${EMPTY:-fallback} "
                     "${EMPTY} x${EMPTY}y ${HOST:-ignored}\n");
        expect_line(
            0, 1,
            WORDS("redis", "db.internal:6380", "127.0.0.1", "fallback", "", "xy", "db.internal"));
}
END_TEST

START_TEST(expanded_values_are_never_split_or_reparsed)
{
        expect_parse("x ${SPACED} ${QUOTEY} ${UNSET:-a b} \"${SPACED}\"\n");
        expect_line(0, 1, WORDS("x", "a b  c", "'\"$x\\ #y", "a b", "a b  c"));
}
END_TEST

START_TEST(default_is_taken_as_written)
{
        expect_parse("x ${UNSET:-'q' $y \\z} ${UNSET:-}\n");
        expect_line(0, 1, WORDS("x", "'q' $y \\z", ""));
}
END_TEST

START_TEST(dollar_that_is_not_a_variable_is_literal)
{
        expect_parse("x $ $5 a$ $-x 100$ \"$\" \"$1\"\n");
        expect_line(0, 1, WORDS("x", "$", "$5", "a$", "$-x", "100$", "$", "$1"));
}
END_TEST

START_TEST(unset_variable_is_an_error_on_its_line)
{
        expect_error("user root\n\nport ${NOPE}\n", 3, "${NOPE} is not set");
        expect_error("x \"a ${NOPE}\"\n", 1, "${NOPE:-DEFAULT}");
        expect_error("port 80 \\\n  ${NOPE}\n", 2, "${NOPE} is not set");
}
END_TEST

START_TEST(no_lookup_means_nothing_is_set)
{
        int r = chainfile_parse("x ${HOST}\n", 10, NULL, NULL, &file, &err);
        ck_assert_int_eq(r, PF_CHAIN);
        ck_assert_uint_eq(err.line, 1);
        r = chainfile_parse("x ${HOST:-d}\n", 13, NULL, NULL, &file, &err);
        ck_assert_int_eq(r, PF_OK);
        expect_line(0, 1, WORDS("x", "d"));
}
END_TEST

START_TEST(bare_dollar_name_is_refused)
{
        expect_error("\nuser $USER\n", 2, "write ${USER}");
        expect_error("x \"$HOST\"\n", 1, "'$HOST' is not expanded");
}
END_TEST

START_TEST(malformed_expansions_are_errors)
{
        expect_error("x ${HOST\n", 1, "not closed");
        expect_error("x\nx ${HOST", 2, "not closed");
        expect_error("x ${1x}\n", 1, "does not name a variable");
        expect_error("x ${}\n", 1, "does not name a variable");
        expect_error("x\n\nx ${-x}\n", 3, "does not name a variable");
        expect_error("x ${a-b}\n", 1, "only ${NAME} and ${NAME:-default}");
        expect_error("x ${a:+b}\n", 1, "only ${NAME} and ${NAME:-default}");
        expect_error("x ${a b}\n", 1, "only ${NAME} and ${NAME:-default}");
        expect_error("x ${a:-b\n}\n", 1, "'${a:-' is not closed");
}
END_TEST

START_TEST(long_variable_name_is_refused)
{
        char text[CHAINFILE_MAX_NAME + 16];
        memset(text, 'N', sizeof(text));
        memcpy(text, "x ${", 4);
        memcpy(text + sizeof(text) - 2, "}\n", 2);
        expect_error_sized(text, sizeof(text), 1, "longer than");
}
END_TEST

START_TEST(unclosed_quotes_name_the_line_they_open_on)
{
        expect_error("a\nb 'c\nd\n", 2, "single quote is not closed");
        expect_error("a\nb\nc \"d\ne\"\n", 3, "double quote is not closed");
        expect_error("a \"end", 1, "double quote is not closed");
        expect_error("a 'end", 1, "single quote is not closed");
        /* A continuation inside "..." moves on: the error names the line the quote opened on. */
        expect_error("a \"b\\\nc\n", 1, "double quote is not closed");
}
END_TEST

START_TEST(backslash_at_end_of_file_is_an_error)
{
        expect_error("user root \\", 1, "continues nothing");
        expect_error("user\nroot\\", 2, "continues nothing");
}
END_TEST

START_TEST(nul_byte_is_an_error_on_its_line)
{
        static const char text[] = "a\nb\0c\n";
        expect_error_sized(text, sizeof(text) - 1, 2, "NUL byte");
}
END_TEST

START_TEST(file_larger_than_the_bound_is_refused)
{
        size_t size = CHAINFILE_MAX_BYTES + 1;
        char *text = malloc(size);
        ck_assert_ptr_nonnull(text);
        memset(text, '\n', size);
        expect_error_sized(text, size, 0, "larger than");
        memset(text, '#', size);
        ck_assert_int_eq(chainfile_parse(text, size - 1, test_lookup, NULL, &file, &err), PF_OK);
        free(text);
}
END_TEST

START_TEST(line_longer_than_the_bound_is_refused)
{
        size_t n = CHAINFILE_MAX_LINE_BYTES + 10;
        char *text = malloc(n + 16);
        ck_assert_ptr_nonnull(text);
        memcpy(text, "ok\nx ", 5);
        memset(text + 5, 'a', n);
        text[5 + n] = '\0';
        expect_error(text, 2, "longer than 64 KiB");
        /* Just under the bound is fine. */
        text[5 + CHAINFILE_MAX_LINE_BYTES - 10] = '\0';
        expect_parse(text);
        ck_assert_uint_eq(file.n_lines, 2);
        free(text);
}
END_TEST

START_TEST(expansion_past_the_line_bound_is_refused)
{
        expect_error("x ${BIG}\n\ny ${BIG}${BIG}\n", 3, "longer than");
}
END_TEST

START_TEST(expansion_past_the_file_bound_is_refused)
{
        unsigned lines = CHAINFILE_MAX_TOTAL_BYTES / BIG_VALUE_BYTES + 3;
        size_t size = (size_t)lines * 9 + 1;
        char *text = malloc(size);
        ck_assert_ptr_nonnull(text);
        for (unsigned i = 0; i < lines; i++)
                memcpy(text + (size_t)i * 9, "x ${BIG}\n", 9);
        text[size - 1] = '\0';
        expect_error(text, CHAINFILE_MAX_TOTAL_BYTES / (BIG_VALUE_BYTES + 3) + 1,
                     "more than 4 MiB");
        free(text);
}
END_TEST

START_TEST(too_many_words_on_a_line)
{
        char text[CHAINFILE_MAX_WORDS * 2 + 8];
        size_t at = 0;
        for (unsigned i = 0; i < CHAINFILE_MAX_WORDS; i++) {
                text[at++] = 'w';
                text[at++] = ' ';
        }
        text[at] = '\0';
        expect_parse(text);
        ck_assert_uint_eq(file.lines[0].n_words, CHAINFILE_MAX_WORDS);
        chainfile_release(&file);
        memcpy(text + at, "w\n", 3);
        expect_error(text, 1, "more than 256 words");
}
END_TEST

START_TEST(too_many_lines_in_a_file)
{
        size_t size = (CHAINFILE_MAX_LINES + 1) * 4 + 1;
        char *text = malloc(size);
        ck_assert_ptr_nonnull(text);
        for (unsigned i = 0; i <= CHAINFILE_MAX_LINES; i++)
                memcpy(text + (size_t)i * 4, "a\n\n\n", 4);
        text[size - 1] = '\0';
        /* 1000 lines of words (each followed by two blank lines) are fine, 1001 are not. */
        text[(size_t)CHAINFILE_MAX_LINES * 4] = '\0';
        expect_parse(text);
        ck_assert_uint_eq(file.n_lines, CHAINFILE_MAX_LINES);
        chainfile_release(&file);
        text[(size_t)CHAINFILE_MAX_LINES * 4] = 'a';
        expect_error(text, CHAINFILE_MAX_LINES * 3 + 1, "more than 1000 lines");
        free(text);
}
END_TEST

START_TEST(tens_of_thousands_of_comment_lines_parse_quickly)
{
        static const char comment[] = "# a comment line\n";
        const size_t len = sizeof(comment) - 1;
        unsigned lines = 50000;
        size_t size = (size_t)lines * len;
        char *text = malloc(size + 16);
        ck_assert_ptr_nonnull(text);
        for (unsigned i = 0; i < lines; i++)
                memcpy(text + (size_t)i * len, comment, len);
        memcpy(text + size, "user root\n", 11);
        expect_parse(text);
        ck_assert_uint_eq(file.n_lines, 1);
        expect_line(0, lines + 1, WORDS("user", "root"));
        free(text);
}
END_TEST

/* Random bytes from a fixed seed: never a crash, and a sane answer either way (run it under
 * ASan or valgrind to see the memory side). */
START_TEST(random_input_gives_lines_or_an_error)
{
        static const char alphabet[] = "ab $ {}:-'\"\\#\n\r\tHOSTNOPE_";
        unsigned seed = 12345;
        char text[256];
        for (int round = 0; round < 20000; round++) {
                seed = seed * 1103515245u + 12345u;
                size_t size = (seed >> 16) % sizeof(text);
                unsigned newlines = 0;
                for (size_t i = 0; i < size; i++) {
                        seed = seed * 1103515245u + 12345u;
                        text[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
                        newlines += text[i] == '\n';
                }
                int r = chainfile_parse(text, size, test_lookup, NULL, &file, &err);
                ck_assert(r == PF_OK || r == PF_CHAIN);
                if (r == PF_CHAIN) {
                        ck_assert_uint_ge(err.line, 1);
                        ck_assert_uint_le(err.line, newlines + 1);
                        ck_assert(err.msg[0] != '\0');
                        continue;
                }
                for (unsigned i = 0; i < file.n_lines; i++) {
                        ck_assert_uint_ge(file.lines[i].n_words, 1);
                        ck_assert_uint_le(file.lines[i].number, newlines + 1);
                        ck_assert_ptr_null(file.lines[i].words[file.lines[i].n_words]);
                        if (i > 0)
                                ck_assert_uint_gt(file.lines[i].number, file.lines[i - 1].number);
                }
                chainfile_release(&file);
        }
}
END_TEST

/* ---- one line, no expansion (the exec check's COMMAND) ---- */

START_TEST(split_line_keeps_dollar_and_shell_operators_as_bytes)
{
        struct chainfile_line line;
        ck_assert_int_eq(
            chainfile_split_line("echo ${HOME} $x 'a;b' \"c|$d\" e\\ f &", &line, &err), PF_OK);
        ck_assert_uint_eq(line.n_words, 7);
        ck_assert_str_eq(line.words[0], "echo");
        ck_assert_str_eq(line.words[1], "${HOME}");
        ck_assert_str_eq(line.words[2], "$x");
        ck_assert_str_eq(line.words[3], "a;b");
        ck_assert_str_eq(line.words[4], "c|$d");
        ck_assert_str_eq(line.words[5], "e f");
        ck_assert_str_eq(line.words[6], "&");
        ck_assert_ptr_null(line.words[7]);
        chainfile_line_release(&line);
        ck_assert_ptr_null(line.words);
}
END_TEST

START_TEST(split_line_quotes_as_a_chain_file_does)
{
        struct chainfile_line line;
        ck_assert_int_eq(
            chainfile_split_line("sh -c 'echo \"x\"; exit 3' \"\\$\\\"\\\\\" ''", &line, &err),
            PF_OK);
        ck_assert_uint_eq(line.n_words, 5);
        ck_assert_str_eq(line.words[2], "echo \"x\"; exit 3");
        ck_assert_str_eq(line.words[3], "$\"\\");
        ck_assert_str_eq(line.words[4], "");
        chainfile_line_release(&line);
}
END_TEST

START_TEST(split_line_refuses_what_is_not_one_line_of_words)
{
        static const char *const bad[] = {"",       "   ", "# only a comment", "a\nb", "'open",
                                          "\"open", "a \\"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct chainfile_line line;
                ck_assert_msg(chainfile_split_line(bad[i], &line, &err) == PF_CHAIN, "%zu", i);
                ck_assert_msg(err.msg[0] != '\0', "%zu", i);
                ck_assert_ptr_null(line.words);
        }
        struct chainfile_line line;
        ck_assert_int_eq(chainfile_split_line("a\nb", &line, &err), PF_CHAIN);
        ck_assert_ptr_nonnull(strstr(err.msg, "more than one line"));
        ck_assert_int_eq(chainfile_split_line("", &line, &err), PF_CHAIN);
        ck_assert_ptr_nonnull(strstr(err.msg, "no words"));
}
END_TEST

START_TEST(split_line_bounds_length_and_words)
{
        struct chainfile_line line;
        char *text = malloc(CHAINFILE_MAX_LINE_BYTES + 1);
        ck_assert_ptr_nonnull(text);
        memset(text, 'x', CHAINFILE_MAX_LINE_BYTES);
        text[CHAINFILE_MAX_LINE_BYTES] = '\0';
        ck_assert_int_eq(chainfile_split_line(text, &line, &err), PF_CHAIN);
        /* 300 one-letter words: past the bound on words. */
        for (size_t i = 0; i < 300; i++) {
                text[2 * i] = 'w';
                text[2 * i + 1] = ' ';
        }
        text[600] = '\0';
        ck_assert_int_eq(chainfile_split_line(text, &line, &err), PF_CHAIN);
        ck_assert_ptr_nonnull(strstr(err.msg, "words"));
        free(text);
}
END_TEST

Suite *suite_chainfile(void);
Suite *suite_chainfile(void)
{
        Suite *s = suite_create("chainfile");
        TCase *words = tcase_create("words");
        tcase_add_checked_fixture(words, NULL, teardown);
        tcase_add_test(words, words_split_on_blanks);
        tcase_add_test(words, last_line_without_newline);
        tcase_add_test(words, empty_and_comment_only_files_have_no_lines);
        tcase_add_test(words, line_numbers_count_blank_and_comment_lines);
        tcase_add_test(words, comment_after_words_and_hash_inside_a_word);
        tcase_add_test(words, comment_ending_in_backslash_does_not_continue);
        tcase_add_test(words, single_quotes_keep_every_byte);
        tcase_add_test(words, double_quotes_escape_four_things_and_expand);
        tcase_add_test(words, quoted_and_unquoted_parts_join_into_one_word);
        tcase_add_test(words, backslash_outside_quotes_keeps_the_next_byte);
        tcase_add_test(words, continuation_joins_lines_and_keeps_the_first_number);
        tcase_add_test(words, continuation_inside_a_word_and_inside_double_quotes);
        tcase_add_test(words, continuation_then_comment_ends_the_line);
        tcase_add_test(words, crlf_line_ends_read_as_lf);
        tcase_add_test(words, byte_order_mark_at_the_start_is_skipped);
        suite_add_tcase(s, words);

        TCase *expansion = tcase_create("expansion");
        tcase_add_checked_fixture(expansion, NULL, teardown);
        tcase_add_test(expansion, expansion_of_set_unset_and_empty_variables);
        tcase_add_test(expansion, expanded_values_are_never_split_or_reparsed);
        tcase_add_test(expansion, default_is_taken_as_written);
        tcase_add_test(expansion, dollar_that_is_not_a_variable_is_literal);
        tcase_add_test(expansion, unset_variable_is_an_error_on_its_line);
        tcase_add_test(expansion, no_lookup_means_nothing_is_set);
        tcase_add_test(expansion, bare_dollar_name_is_refused);
        tcase_add_test(expansion, malformed_expansions_are_errors);
        tcase_add_test(expansion, long_variable_name_is_refused);
        suite_add_tcase(s, expansion);

        TCase *errors = tcase_create("errors and bounds");
        tcase_add_checked_fixture(errors, NULL, teardown);
        tcase_set_timeout(errors, 30);
        tcase_add_test(errors, unclosed_quotes_name_the_line_they_open_on);
        tcase_add_test(errors, backslash_at_end_of_file_is_an_error);
        tcase_add_test(errors, nul_byte_is_an_error_on_its_line);
        tcase_add_test(errors, file_larger_than_the_bound_is_refused);
        tcase_add_test(errors, line_longer_than_the_bound_is_refused);
        tcase_add_test(errors, expansion_past_the_line_bound_is_refused);
        tcase_add_test(errors, expansion_past_the_file_bound_is_refused);
        tcase_add_test(errors, too_many_words_on_a_line);
        tcase_add_test(errors, too_many_lines_in_a_file);
        tcase_add_test(errors, tens_of_thousands_of_comment_lines_parse_quickly);
        tcase_add_test(errors, random_input_gives_lines_or_an_error);
        suite_add_tcase(s, errors);

        TCase *split = tcase_create("one line");
        tcase_add_test(split, split_line_keeps_dollar_and_shell_operators_as_bytes);
        tcase_add_test(split, split_line_quotes_as_a_chain_file_does);
        tcase_add_test(split, split_line_refuses_what_is_not_one_line_of_words);
        tcase_add_test(split, split_line_bounds_length_and_words);
        suite_add_tcase(s, split);
        return s;
}
