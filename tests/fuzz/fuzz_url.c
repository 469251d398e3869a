/*
 * URLs as the http check takes them (checks/http.c): parsing, the form shown in messages with
 * its password hidden, origins for --header, and the hiding of secrets in what a server sends
 * back. Input: the URL, then optionally a NUL byte, a --header text, another NUL byte and text
 * a server might answer with.
 */
#include "tests/fuzz/fuzz.h"

#include "checks/http.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t url_len, header_len, answer_len;
        char *url = part(data, size, 0, &url_len);
        char *header = part(data, size, 1, &header_len);
        char *answer = part(data, size, 2, &answer_len);
        size_t secret_at = 0, secret_len = fuzz_userinfo_secret(url, &secret_at);

        struct http_url parsed;
        struct pf_error err = {0};
        char shown[1024];
        if (http_parse_url(url, &parsed, &err) == PF_OK) {
                FUZZ_REQUIRE(parsed.host[0] != '\0', "no host");
                FUZZ_REQUIRE(parsed.port >= 1 && parsed.port <= 65535, "port %u", parsed.port);
                FUZZ_REQUIRE(!parsed.has_userinfo ||
                                 parsed.userinfo_at + parsed.userinfo_len <= url_len,
                             "userinfo out of the URL");
                FUZZ_REQUIRE(http_scheme_allowed(url), "accepted, but not http or https");
                FUZZ_REQUIRE(http_same_origin(url, url), "a URL is not of its own origin");
        } else {
                FUZZ_REQUIRE_MESSAGE(err.msg);
        }
        http_url_redact(url, shown, sizeof(shown));
        FUZZ_REQUIRE(strlen(shown) < sizeof(shown), "redacted form not ended");
        if (secret_len) {
                FUZZ_REQUIRE(!fuzz_contains(err.msg, url + secret_at, secret_len),
                             "the password shows in the error '%s'", err.msg);
                if (parsed.has_userinfo)
                        FUZZ_REQUIRE(!fuzz_contains(shown, url + secret_at, secret_len),
                                     "the password shows in '%s'", shown);
        }
        char tiny[5];
        http_url_redact(url, tiny, sizeof(tiny));
        FUZZ_REQUIRE(strlen(tiny) < sizeof(tiny), "redact overran");

        /* Secrets: the --header value and the URL's userinfo never show in what is hidden. */
        const char *headers[1] = {header};
        struct http_secrets secrets;
        FUZZ_REQUIRE(http_secrets_collect(&secrets, headers, header_len ? 1 : 0, url), "oom");
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
        free(out);

        free(url);
        free(header);
        free(answer);
        return 0;
}
