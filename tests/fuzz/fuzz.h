/*
 * What every fuzz target shares: a NUL-terminated copy of the input, and the properties that
 * hold for all of preflight's text (each checked by an independent implementation here, so a
 * bug in core/text.c cannot hide itself). A property that fails aborts, and libFuzzer keeps the
 * input that broke it (crash-HASH) to be added to the corpus as a regression test.
 */
#ifndef PREFLIGHT_FUZZ_H
#define PREFLIGHT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_REQUIRE(cond, ...)                                                                    \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "fuzz property failed (%s:%d): %s: ", __FILE__, __LINE__,  \
                                #cond);                                                            \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* An error message: there is one, and it is one safe line (see fuzz_safe_line below). */
#define FUZZ_REQUIRE_MESSAGE(msg)                                                                  \
        FUZZ_REQUIRE((msg)[0] && fuzz_safe_line(msg), "message '%s'", (msg))

/* Words of the options that read a file the input names (--password-file, --file, --cacert,
 * --cert, --key): a fuzzer must not open whatever path it invents (a FIFO would block it), so
 * inputs that hold one are left out. */
#define FUZZ_OPENS_FILES "-file", "cacert", "--cert", "--key"

/* Whether the input holds one of words (a NULL-terminated list) anywhere. */
static inline bool fuzz_holds_any(const uint8_t *data, size_t size, const char *const *words)
{
        for (; *words; words++)
                if (memmem(data, size, *words, strlen(*words)))
                        return true;
        return false;
}

/* The input as a C string (it stops at the first NUL, as argv words and C strings do). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                abort();
        memcpy(text, data, size);
        text[size] = '\0';
        return text;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629, table 3-7 of Unicode: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static inline size_t fuzz_utf8_length(const unsigned char *s)
{
        unsigned char c = s[0];
        unsigned char lo = 0x80, hi = 0xbf;
        size_t len;
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2;
        else if (c >= 0xe0 && c <= 0xef)
                len = 3;
        else if (c >= 0xf0 && c <= 0xf4)
                len = 4;
        else
                return 0;
        if (c == 0xe0)
                lo = 0xa0;
        else if (c == 0xed)
                hi = 0x9f;
        else if (c == 0xf0)
                lo = 0x90;
        else if (c == 0xf4)
                hi = 0x8f;
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < len; i++)
                if (s[i] < 0x80 || s[i] > 0xbf)
                        return 0;
        return len;
}

/*
 * Text that is safe to print on a terminal or in the journal as (part of) one line: well-formed
 * UTF-8 with no C0 or C1 control character and no DEL, so nothing in it can end the line, move
 * the cursor or start an escape sequence.
 */
static inline bool fuzz_safe_line(const char *text)
{
        const unsigned char *s = (const unsigned char *)text;
        while (*s) {
                size_t len = fuzz_utf8_length(s);
                if (len == 0 || *s < 0x20 || *s == 0x7f)
                        return false;
                if (s[0] == 0xc2 && s[1] < 0xa0) /* U+0080..U+009F: C1 controls (CSI is 9B) */
                        return false;
                s += len;
        }
        return true;
}

/* Bytes no message of preflight writes: a secret that holds one, found in a message, was shown
 * from the input, not spelt by chance from the message's own words. */
#define FUZZ_RARE "!~^|{}"

static inline bool fuzz_rare(char c)
{
        return c != '\0' && strchr(FUZZ_RARE, c) != NULL;
}

/* Whether needle (len bytes) occurs in haystack (a C string), as text: an occurrence that
 * starts inside a \xNN escape ("\xb2" + "1ss!" holds "21ss!") is the escape's digits spelling
 * the start of it by chance, not the needle shown. */
static inline bool fuzz_contains(const char *haystack, const char *needle, size_t len)
{
        size_t size = strlen(haystack);
        if (len == 0)
                return false;
        for (const char *p = haystack;
             (p = memmem(p, size - (size_t)(p - haystack), needle, len)) != NULL; p++) {
                bool in_escape = false;
                for (size_t k = 1; k <= 3 && (size_t)(p - haystack) >= k; k++)
                        in_escape =
                            in_escape || (p[-(ptrdiff_t)k] == '\\' && p[1 - (ptrdiff_t)k] == 'x');
                if (!in_escape)
                        return true;
        }
        return false;
}

/*
 * The password a text would carry if it were a URL with userinfo, wherever the text came from:
 * for "SCHEME://USER:PASS@HOST..." it is PASS, for "...//TOKEN@HOST" it is TOKEN; a mistyped
 * "http//u:PASS@host" carries it all the same. Only candidates that could not appear in a
 * message by chance count: 4 bytes or more, with one of FUZZ_RARE, and nowhere else in the
 * text. Returns the length (0: none) and its offset.
 */
static inline size_t fuzz_userinfo_secret(const char *text, size_t *at_offset)
{
        const char *at = strrchr(text, '@');
        if (!at)
                return 0;
        /* The authority starts after the first "://", as in a URL; in text that has none,
         * after the last "//" before the '@', or at the start. */
        const char *start = strstr(text, "://");
        if (start && start < at) {
                start += 3;
        } else {
                start = text;
                for (const char *s = text; s + 1 < at; s++)
                        if (s[0] == '/' && s[1] == '/')
                                start = s + 2;
        }
        for (const char *s = start; s < at; s++)
                if (*s == '/' || *s == '?' || *s == '#')
                        return 0;
        const char *colon = memchr(start, ':', (size_t)(at - start));
        const char *secret = colon ? colon + 1 : start;
        size_t len = (size_t)(at - secret);
        if (len < 4)
                return 0;
        bool rare = false;
        for (size_t i = 0; i < len; i++)
                rare = rare || fuzz_rare(secret[i]);
        if (!rare)
                return 0;
        /* Elsewhere in the text (before or after it) it could be shown for another reason. */
        const char *first = memmem(text, strlen(text), secret, len);
        if (first != secret || memmem(secret + 1, strlen(secret + 1), secret, len))
                return 0;
        *at_offset = (size_t)(secret - text);
        return len;
}

#endif
