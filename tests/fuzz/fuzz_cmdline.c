/*
 * Command lines (core/invocation.c and each check's options and targets): byte 0 picks the
 * check, the rest are its words, separated by NUL bytes, as argv gives them. Every command line
 * is accepted or refused with code 2 and a message that is one safe line; a password or a
 * --header value given on it never shows in that message.
 *
 * Options that read files (--password-file, --cacert, --cert, --key, --file) are left out: a
 * fuzzer must not open whatever path it invents.
 */
#include "tests/fuzz/fuzz.h"

#include <strings.h>

#include "core/invocation.h"

#define MAX_WORDS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        unsetenv("REDISCLI_AUTH"); /* the same answer for the same input, wherever it runs */
        return 0;
}

/* The secret a word holds, when it holds one: the value of --password and --header, and the
 * userinfo of a URL. */
static const char *secret_in(char **words, int i, bool url_credentials, size_t *len)
{
        const char *w = words[i], *prev = i > 0 ? words[i - 1] : "";
        const char *value = NULL;
        size_t at;
        if (strcmp(prev, "--password") == 0 || strcmp(prev, "--header") == 0 ||
            strcmp(prev, "-H") == 0)
                value = w;
        else if (strncmp(w, "--password=", 11) == 0 || strncmp(w, "--header=", 9) == 0)
                value = strchr(w, '=') + 1;
        else if (strncmp(w, "-H", 2) == 0 && w[2])
                value = w + 2;
        if (value) {
                const char *colon = strchr(value, ':');
                if (colon && strncmp(prev, "--password", 10) != 0 &&
                    strncmp(w, "--password", 10) != 0)
                        value = colon + 1; /* a header's name is not secret */
                while (*value == ' ')
                        value++;
                *len = strlen(value);
                return value;
        }
        /* Only http and redis targets carry credentials (redis://NAME@ is a user name). */
        *len = url_credentials ? fuzz_userinfo_secret(w, &at) : 0;
        if (*len && strncasecmp(w, "redis://", 8) == 0 && w[at - 1] != ':')
                *len = 0;
        return *len ? w + at : NULL;
}

static void check_secrets(const struct check *check, char **words, int n, const char *joined,
                          size_t joined_len, const char *msg)
{
        bool url_credentials = strcmp(check->name, "http") == 0 || strcmp(check->name, "redis") == 0;
        for (int i = 0; i < n; i++) {
                size_t len;
                const char *secret = secret_in(words, i, url_credentials, &len);
                if (!secret || len < 4 || !strpbrk(secret, "!~^|{}"))
                        continue;
                /* Given once only: elsewhere it could be shown for what it is there. */
                const char *first = memmem(joined, joined_len, secret, len);
                if (!first || memmem(first + 1, joined_len - (size_t)(first + 1 - joined), secret,
                                     len))
                        continue;
                FUZZ_REQUIRE(!fuzz_contains(msg, secret, len), "a secret shows in '%s'", msg);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const reads_files[] = {"-file", "cacert", "--cert", "--key"};
        if (size < 1)
                return 0;
        for (size_t i = 0; i < sizeof(reads_files) / sizeof(reads_files[0]); i++)
                if (memmem(data, size, reads_files[i], strlen(reads_files[i])))
                        return 0;
        size_t n_checks = 0;
        while (pf_checks[n_checks])
                n_checks++;
        const struct check *check = pf_checks[data[0] % n_checks];

        /* The words: the bytes after the first, split at NUL; one more NUL ends the last. */
        char *joined = fuzz_text(data + 1, size - 1);
        size_t joined_len = size - 1;
        char *words[MAX_WORDS + 1];
        int n = 0;
        for (size_t at = 0; at <= joined_len && n < MAX_WORDS;) {
                words[n++] = joined + at;
                at += strlen(joined + at) + 1;
        }
        words[n] = NULL;

        struct invocation inv;
        struct pf_error err = {{0}};
        int r = invocation_parse(&inv, check, n, words, &err);
        FUZZ_REQUIRE(r == PF_OK || r == PF_USAGE, "%s: code %d (%s)", check->name, r, err.msg);
        if (r == PF_OK) {
                FUZZ_REQUIRE(inv.n_targets <= check->max_targets &&
                                     (inv.help || inv.n_targets >= check->min_targets),
                             "%u targets", inv.n_targets);
                FUZZ_REQUIRE(inv.timeout_us >= 1000, "timeout %llu us",
                             (unsigned long long)inv.timeout_us);
                invocation_release(&inv);
        } else {
                FUZZ_REQUIRE(err.msg[0] && fuzz_safe_line(err.msg), "%s: error '%s'",
                             check->name, err.msg);
                check_secrets(check, words, n, joined, joined_len, err.msg);
        }
        free(joined);
        return 0;
}
