/*
 * URLs as the http check takes them (checks/http/url.c, through libcurl's URL API, loaded as an
 * http line loads it): parsing, the form shown with its credentials hidden, origins for --header,
 * and the hiding of secrets in what a server sends back. Input: the URL, then optionally a NUL
 * byte, a --header text, another NUL byte and text a server might answer with.
 */
#include "tests/fuzz/fuzz.h"

#include "checks/http/http.h"

/* The n-th NUL-separated part of the input (empty when there are fewer). */
static char *part(const uint8_t *data, size_t size, unsigned n, size_t *len)
{
        size_t at = 0;
        for (unsigned i = 0; i < n; i++) {
                const uint8_t *nul = memchr(data + at, 0, size - at);
                if (!nul) {
                        *len = 0;
                        return fuzz_text(data, 0);
                }
                at = (size_t)(nul - data) + 1;
        }
        const uint8_t *nul = memchr(data + at, 0, size - at);
        *len = nul ? (size_t)(nul - (data + at)) : size - at;
        return fuzz_text(data + at, *len);
}

/* What a parsed URL must be, and that parsing libcurl's own form of it gives the same URL. */
static void check_parsed(const struct http_url *parsed)
{
        FUZZ_REQUIRE(parsed->host[0] != '\0', "no host");
        FUZZ_REQUIRE(parsed->port >= 1 && parsed->port <= 65535, "port %u", parsed->port);
        FUZZ_REQUIRE(!parsed->other_scheme, "accepted, but not http or https");
        FUZZ_REQUIRE(strncmp(parsed->text, parsed->https ? "https://" : "http://",
                             parsed->https ? 8 : 7) == 0,
                     "'%s' is not http(s)", parsed->shown);
        /* (unless the shown form is cut before the stars) */
        bool whole = strlen(parsed->shown) + 1 < sizeof(parsed->shown);
        FUZZ_REQUIRE(!whole || !parsed->password || strstr(parsed->shown, ":***@"),
                     "a password, but '%s' hides none", parsed->shown);
        FUZZ_REQUIRE(!whole || parsed->password || !parsed->user || strstr(parsed->shown, "***@"),
                     "a user name, but '%s' hides none", parsed->shown);
        FUZZ_REQUIRE(http_same_origin(parsed, parsed), "a URL is not of its own origin");
        struct http_url again;
        struct pf_error err = {0};
        int r = http_url_parse(parsed->text, &again, &err);
        FUZZ_REQUIRE(r == PF_OK, "libcurl's own form '%s' is refused: %s", parsed->shown, err.msg);
        FUZZ_REQUIRE(http_same_origin(parsed, &again), "'%s' changes origin when read again",
                     parsed->shown);
        FUZZ_REQUIRE(strcmp(parsed->shown, again.shown) == 0, "'%s' is shown as '%s' read again",
                     parsed->shown, again.shown);
        http_url_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t url_len, header_len, answer_len;
        char *url = part(data, size, 0, &url_len);
        char *header = part(data, size, 1, &header_len);
        char *answer = part(data, size, 2, &answer_len);
        size_t secret_at = 0, secret_len = fuzz_userinfo_secret(url, &secret_at);
        /* A secret holding a quote can be rebuilt from what follows the '@', the quote an error
         * closes the URL with and the words after it ("u:p!ss'@h/u:p!ss" shows '***@h/u:p!ss',
         * and "u:p!ss':@h/u:p!ss" shows '***@h/u:p!ss': ...): the message shows no secret
         * there, only the same letters. A secret without a quote is checked strictly. */
        if (secret_len && memchr(url + secret_at, '\'', secret_len))
                secret_len = 0;

        struct http_url parsed;
        struct pf_error err = {0};
        int r = http_url_parse(url, &parsed, &err);
        FUZZ_REQUIRE(r == PF_OK || r == PF_USAGE, "code %d: %s", r, err.msg);
        if (r == PF_OK)
                check_parsed(&parsed);
        else
                FUZZ_REQUIRE_MESSAGE(err.msg);
        FUZZ_REQUIRE(strlen(parsed.shown) < sizeof(parsed.shown), "shown form not ended");
        if (secret_len) {
                FUZZ_REQUIRE(!fuzz_contains(err.msg, url + secret_at, secret_len),
                             "the password shows in the error '%s'", err.msg);
                FUZZ_REQUIRE(!fuzz_contains(parsed.shown, url + secret_at, secret_len),
                             "the password shows in '%s'", parsed.shown);
        }

        /* Secrets: the --header value and the URL's credentials never show in what is hidden. */
        const char *headers[1] = {header};
        struct http_secrets secrets;
        FUZZ_REQUIRE(http_secrets_collect(&secrets, headers, header_len ? 1 : 0,
                                          r == PF_OK ? &parsed : NULL),
                     "oom");
        size_t out_size = 4 * answer_len + 9;
        char *out = malloc(out_size);
        FUZZ_REQUIRE(out != NULL, "malloc");
        http_secrets_hide(&secrets, answer, answer_len, out, out_size);
        for (unsigned i = 0; i < secrets.n; i++) {
                const char *s = secrets.text[i];
                /* "***" stands where a secret was: a secret made of stars could be rebuilt. */
                if (strchr(s, '*'))
                        continue;
                FUZZ_REQUIRE(!fuzz_contains(out, s, strlen(s)), "secret %u shows in '%s'", i, out);
        }
        char cut[8];
        http_secrets_hide(&secrets, answer, answer_len, cut, sizeof(cut));
        FUZZ_REQUIRE(strlen(cut) < sizeof(cut), "hide overran");
        http_secrets_free(&secrets);
        http_url_free(&parsed);
        free(out);

        free(url);
        free(header);
        free(answer);
        return 0;
}
