/* The parts of the http check that speak to libcurl, which is loaded with dlopen() when an http
 * line is parsed: the table of its functions, one transfer's state, and the naming of its
 * failures. */
#ifndef PREFLIGHT_CHECKS_HTTP_CURL_H
#define PREFLIGHT_CHECKS_HTTP_CURL_H

#include <stdbool.h>
#include <stdint.h>

/* Types and constants only: the functions are reached through http_curl. */
#include <curl/curl.h>

#include "checks/http/http.h"
#include "core/check.h"

/* Each function's type is taken from libcurl's own declaration, so none can drift; the member
 * is the function's name without "curl_". */
#define HTTP_CURL_FUNCTIONS(X)                                                                     \
        X(version_info)                                                                            \
        X(global_init)                                                                             \
        X(easy_init)                                                                               \
        X(easy_setopt)                                                                             \
        X(easy_perform)                                                                            \
        X(easy_getinfo)                                                                            \
        X(easy_cleanup)                                                                            \
        X(easy_strerror)                                                                           \
        X(easy_header)                                                                             \
        X(slist_append)                                                                            \
        X(slist_free_all)                                                                          \
        X(url)                                                                                     \
        X(url_set)                                                                                 \
        X(url_get)                                                                                 \
        X(url_cleanup)                                                                             \
        X(url_strerror)                                                                            \
        X(free)

#define HTTP_CURL_MEMBER(name) __typeof__(curl_##name) *name;
struct http_curl {
        HTTP_CURL_FUNCTIONS(HTTP_CURL_MEMBER)
};
#undef HTTP_CURL_MEMBER
extern struct http_curl http_curl;

/* Loads libcurl once per process. PF_OK; PF_NO_LIBRARY (not installed) or PF_INTERNAL (there
 * but unusable) with err saying so and what to do. */
int http_curl_load(struct pf_error *err);

/* The start of the body, kept for matching and excerpts. */
struct http_body {
        char *data; /* HTTP_BODY_CAP + 1 bytes, NUL-terminated */
        size_t len;
        bool capped; /* there was more; libcurl was told to stop reading */
};

/* One attempt's state. */
struct http_exchange {
        const struct http_config *cfg;
        const struct http_secrets *secrets;
        uint64_t deadline_us; /* the attempt's */
        CURL *handle;
        struct curl_slist *headers;
        struct http_body body;
        char error[CURL_ERROR_SIZE];
        const struct http_url *hop; /* the current hop's URL: the target's, or redirected */
        struct http_url redirected; /* the last redirect's target (owned) */
        unsigned redirects;         /* hops followed */
        bool headers_dropped;       /* a redirect went to another origin: --header not sent there */
};

long http_info_long(CURL *h, CURLINFO what);
curl_off_t http_info_time_us(CURL *h, CURLINFO what);

/* Maps a failed transfer to the check's codes (50, 51, 54, ...) with a message saying why. */
void http_transfer_failed(const struct http_exchange *ex, CURLcode rc, uint64_t started_us,
                          const struct attempt *attempt, struct check_result *res);

/* Facts for --verbose: where the answer came from and how long each step took. */
void http_describe_exchange(const struct http_exchange *ex, struct check_result *res);

/* expect.c: decides the answer against the expectations; sets res in every case. */
void http_judge_answer(const struct http_exchange *ex, long status, struct check_result *res);

/* text with the secrets hidden, in buf. */
const char *http_hidden(const struct http_exchange *ex, const char *text, char *buf, size_t size);

#endif
