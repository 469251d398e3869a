/*
 * The exec check's parsers: its COMMAND (chainfile_split_line, then the text every line shows
 * for it) and --expect-exit. Every error is one safe line; a command that holds no quote,
 * backslash, '#' or line end splits exactly at blanks, as an independent split here says; the
 * shown text is one safe line that never holds a URL's password.
 */
#include "tests/fuzz/fuzz.h"

#include "core/chainfile.h"
#include "core/check.h"
#include "core/exitcodes.h"

extern const struct check check_exec;

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

/* The words of text split at blanks, compared with what the parser made. */
static void check_plain_split(const char *text, const struct chainfile_line *line)
{
        if (strpbrk(text, "'\"\\#\n"))
                return;
        unsigned n = 0;
        const char *p = text;
        for (;;) {
                while (is_blank(*p))
                        p++;
                if (!*p)
                        break;
                size_t len = 0;
                while (p[len] && !is_blank(p[len]))
                        len++;
                FUZZ_REQUIRE(n < line->n_words, "fewer words than blank-separated runs");
                FUZZ_REQUIRE(strlen(line->words[n]) == len && memcmp(line->words[n], p, len) == 0,
                             "word %u is '%s'", n, line->words[n]);
                n++;
                p += len;
        }
        FUZZ_REQUIRE(n == line->n_words, "%u words, %u runs", line->n_words, n);
}

static void check_command(const char *text)
{
        struct chainfile_line line;
        struct chainfile_error err;
        int r = chainfile_split_line(text, &line, &err);
        if (r == PF_OK) {
                FUZZ_REQUIRE(line.n_words >= 1, "no words");
                FUZZ_REQUIRE(line.words[line.n_words] == NULL, "words not ended by NULL");
                check_plain_split(text, &line);
                chainfile_line_release(&line);
        } else {
                FUZZ_REQUIRE(r == PF_CHAIN, "code %d", r);
                FUZZ_REQUIRE_MESSAGE(err.msg);
                FUZZ_REQUIRE(line.words == NULL, "words kept on failure");
        }

        _Alignas(max_align_t) unsigned char config[512] = {0};
        struct chainfile_line target;
        char shown[TARGET_SHOWN_SIZE];
        struct pf_error perr = {0};
        check_exec.init(config);
        if (check_exec.parse_target(config, text, &target, shown, &perr) == PF_OK) {
                FUZZ_REQUIRE(fuzz_safe_line(shown), "shown as '%s'", shown);
                size_t at = 0, secret = fuzz_userinfo_secret(text, &at);
                /* Only a URL's (a "://" before it) in one word (no blank or quote) is hidden. */
                const char *scheme = strstr(text, "://");
                if (secret && scheme && scheme < text + at && !strpbrk(text, " \t'\"\\"))
                        FUZZ_REQUIRE(!fuzz_contains(shown, text + at, secret),
                                     "'%s' shows the "
                                     "password",
                                     shown);
                check_exec.release_target(&target);
        } else {
                FUZZ_REQUIRE_MESSAGE(perr.msg);
        }
}

static void check_exit_list(const char *text)
{
        _Alignas(max_align_t) unsigned char config[512] = {0};
        struct pf_error err = {0};
        check_exec.init(config);
        int r = check_exec.parse_option(config, 0, text, &err);
        FUZZ_REQUIRE(r == PF_OK || r == PF_USAGE, "code %d", r);
        if (r == PF_OK)
                FUZZ_REQUIRE(strspn(text, "0123456789,-") == strlen(text) && *text, "'%s' accepted",
                             text);
        else
                FUZZ_REQUIRE_MESSAGE(err.msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        check_command(text);
        check_exit_list(text);
        free(text);
        return 0;
}
