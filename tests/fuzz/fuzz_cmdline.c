/*
 * Command lines (core/invocation.c and each check's options and targets): byte 0 picks the
 * check, the rest are its words, separated by NUL bytes, as argv gives them. Every command line
 * is accepted or refused with code 2 and a message that is one safe line; a password or a
 * --header value given on it never shows in that message.
 *
 * Command lines with options that read files (FUZZ_OPENS_FILES) are left out: a fuzzer must not
 * open whatever path it invents.
 */
#include "tests/fuzz/fuzz.h"

#include <ctype.h>
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

/* The options every check takes (core/invocation.c); a check's own are in its options[]. */
static const struct check_option common_options[] = {
    {"timeout", 't', "SPAN", ""}, {"interval", 'i', "SPAN", ""}, {"wait", 'w', NULL, ""},
    {"invert", 0, NULL, ""},      {"quiet", 'q', NULL, ""},      {"verbose", 'v', NULL, ""},
    {"json", 0, NULL, ""},        {"help", 'h', NULL, ""},       {NULL, 0, NULL, NULL},
};

static const struct check_option *find_option(const struct check *check, const char *name,
                                              size_t len, char short_name)
{
        const struct check_option *tables[] = {common_options, check->options};
        for (size_t t = 0; t < 2; t++)
                for (const struct check_option *o = tables[t]; o && o->long_name; o++)
                        if (name ? strlen(o->long_name) == len &&
                                       strncmp(o->long_name, name, len) == 0
                                 : o->short_name == short_name)
                                return o;
        return NULL;
}

/*
 * What each word is, read as the parser reads it (independently of it): owner[i] is the long
 * name of the option whose value words[i] is ("--timeout URL", "-t URL": a value forgotten, so
 * the next word became it), or NULL for an option or a target. Only "--NAME VALUE" and "-xVALUE"
 * or "-x VALUE" at the end of a cluster take the next word.
 */
static void word_roles(const struct check *check, char **words, int n, const char **owner)
{
        for (int i = 0; i < n; i++)
                owner[i] = NULL;
        for (int i = 0; i < n; i++) {
                const char *w = words[i];
                if (owner[i])
                        continue;
                if (strcmp(w, "--") == 0)
                        break;
                const struct check_option *o = NULL;
                if (w[0] == '-' && w[1] == '-' && !strchr(w, '=')) {
                        o = find_option(check, w + 2, strlen(w + 2), 0);
                } else if (w[0] == '-' && w[1] != '-' && w[1]) {
                        for (const char *c = w + 1; *c; c++) {
                                const struct check_option *s = find_option(check, NULL, 0, *c);
                                if (!s || s->value_name) {
                                        o = s && !c[1] ? s : NULL;
                                        break;
                                }
                        }
                }
                if (o && o->value_name && i + 1 < n && strcmp(words[i + 1], "--") != 0)
                        owner[i + 1] = o->long_name;
        }
}

/* The secret a word holds, when it holds one: the value of --password and --header, and the
 * userinfo of a URL (wherever it stands: as a target, or taken as another option's value). */
static const char *secret_in(const char *w, size_t skip, const char *owner, bool url_credentials,
                             size_t *len)
{
        const char *value = NULL;
        size_t at = 0;
        bool password = false;
        if (owner && (strcmp(owner, "password") == 0 || strcmp(owner, "header") == 0)) {
                value = w;
                password = strcmp(owner, "password") == 0;
        } else if (!owner &&
                   (strncmp(w, "--password=", 11) == 0 || strncmp(w, "--header=", 9) == 0)) {
                value = strchr(w, '=') + 1;
                password = strncmp(w, "--password=", 11) == 0;
        } else if (!owner && strncmp(w, "-H", 2) == 0 && w[2]) {
                value = w + 2;
        }
        if (value) {
                const char *colon = strchr(value, ':');
                if (colon && !password)
                        value = colon + 1; /* a header's name is not secret */
                while (*value == ' ')
                        value++;
                *len = strlen(value);
                return value;
        }
        /* Only http and redis targets carry credentials (redis://NAME@ is a user name, and
         * unix:/PATH a path, shown as it is; unix://USER:PASS@/PATH is a URL). In an option
         * word, only what follows its option syntax (skip bytes) can be one. */
        *len = url_credentials ? fuzz_userinfo_secret(w + skip, &at) : 0;
        at += skip;
        if (*len && strncasecmp(w, "redis://", 8) == 0 && w[at - 1] != ':')
                *len = 0;
        if (*len && strncasecmp(w, "unix:/", 6) == 0 && w[6] != '/')
                *len = 0;
        return *len ? w + at : NULL;
}

/*
 * How much of an option word is option syntax, which an "unknown option" message may name: for
 * "--NAME..." the '-'s and the letters, digits, '-' and '_' of the name; for a cluster "-abc"
 * the '-', the flags it knows and the one letter after them (the unknown one, or the option
 * whose value the rest of the word is). What follows may be a credential ("--user:PASS@host",
 * "-tPASS@host"); 0 for a word that is no option.
 */
static size_t option_syntax_length(const struct check *check, const char *w)
{
        size_t n = 0;
        if (w[0] != '-' || !w[1] || strcmp(w, "--") == 0)
                return 0;
        if (w[1] == '-') {
                n = 2;
                while (w[n] && (isalnum((unsigned char)w[n]) || w[n] == '-' || w[n] == '_'))
                        n++;
                return n;
        }
        for (n = 1; w[n]; n++) {
                const struct check_option *o = find_option(check, NULL, 0, w[n]);
                if (!o || o->value_name)
                        return n + 1;
        }
        return n;
}

static void check_secrets(const struct check *check, char **words, int n, const char *joined,
                          size_t joined_len, const char *msg)
{
        bool url_credentials =
            strcmp(check->name, "http") == 0 || strcmp(check->name, "redis") == 0;
        const char *owner[MAX_WORDS];
        word_roles(check, words, n, owner);
        for (int i = 0; i < n; i++) {
                size_t len, skip = owner[i] ? 0 : option_syntax_length(check, words[i]);
                const char *secret = secret_in(words[i], skip, owner[i], url_credentials, &len);
                if (!secret || len < 4 || !strpbrk(secret, FUZZ_RARE))
                        continue;
                /* Given once only: elsewhere it could be shown for what it is there. */
                const char *first = memmem(joined, joined_len, secret, len);
                if (!first ||
                    memmem(first + 1, joined_len - (size_t)(first + 1 - joined), secret, len))
                        continue;
                FUZZ_REQUIRE(!fuzz_contains(msg, secret, len), "a secret shows in '%s'", msg);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const opens_files[] = {FUZZ_OPENS_FILES, NULL};
        if (size < 1 || fuzz_holds_any(data, size, opens_files))
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
        struct pf_error err = {0};
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
                FUZZ_REQUIRE_MESSAGE(err.msg);
                check_secrets(check, words, n, joined, joined_len, err.msg);
        }
        free(joined);
        return 0;
}
