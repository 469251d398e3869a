/*
 * The http check, in parts: options.c (its options), url.c (URLs through libcurl's URL API,
 * origins and secrets), expect.c (statuses, headers and bodies expected), curl.c (loading
 * libcurl and naming its failures), check.c (the check itself). This header is what the parts
 * share that needs no transfer, and the seam the unit tests use.
 */
#ifndef PREFLIGHT_CHECKS_HTTP_HTTP_H
#define PREFLIGHT_CHECKS_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/check.h"

#define HTTP_HEADERS_MAX 32        /* --header, repeatable */
#define HTTP_EXPECT_HEADERS_MAX 16 /* --expect-header, repeatable */
#define HTTP_STATUS_ITEMS_MAX 16   /* items of an --expect-status list */
#define HTTP_BODY_CAP (64 * 1024)  /* bytes of body kept and matched; the rest is never read */
#define HTTP_MAX_REDIRECTS 10
#define HTTP_DEBIAN_PACKAGE "libcurl4"

/* ---- expect.c: what an answer must be ---- */

/* The statuses --expect-status accepts: "200", "200-299,301". */
struct http_status_set {
        struct {
                unsigned short low, high;
        } range[HTTP_STATUS_ITEMS_MAX];
        unsigned count;
};

/* Parses a list of statuses (100-599) and ranges, comma-separated. PF_OK or PF_USAGE. */
int http_parse_status_list(const char *text, struct http_status_set *set, struct pf_error *err);
bool http_status_expected(const struct http_status_set *set, long status);

/* --expect-header 'Name: value' (value compared exactly, whitespace around it ignored), or
 * 'Name' / 'Name:' (the header must be there, any value). name and value share one block,
 * freed with free(name); value is NULL for a presence test. */
struct http_header_expectation {
        char *name;
        char *value;
};
int http_parse_header_expectation(const char *text, struct http_header_expectation *out,
                                  struct pf_error *err);

/* --header 'Name: value' as curl -H takes it. Errors show the name only: values are secrets. */
int http_validate_request_header(const char *text, struct pf_error *err);

/* Whether a Content-Length header's value is a size (digits only, at most 2^63-1): libcurl
 * reads the body to the connection's end when the number overflows, where RFC 9112 (6.3) says
 * the framing is invalid and the answer must be discarded. */
bool http_content_length_valid(const char *value);

/* ---- url.c: URLs as libcurl reads them ---- */

#define HTTP_HOST_MAX 256

/*
 * One URL, parsed by libcurl's URL API exactly as libcurl parses CURLOPT_URL when it is
 * requested (without guessing a scheme), then held to what the check asks more: a scheme of
 * http or https, a port 1-65535, an IPv4 address that is one, a host libcurl can convert to
 * ASCII, credentials that decode. Everything but shown is set only when the parse succeeds.
 */
struct http_url {
        char *text;                    /* libcurl's form, credentials included: what is asked */
        char shown[TARGET_SHOWN_SIZE]; /* always set: as text, with credentials "***" */
        bool https;
        char host[HTTP_HOST_MAX]; /* lower case, ASCII (IDN as punycode), IPv6 in brackets */
        char zone[64];            /* an IPv6 zone ("eth0"), or "" */
        unsigned port;            /* explicit, or 80/443 */
        char *user, *password;    /* as written in the URL; NULL when absent */
        char *user_decoded, *password_decoded; /* %XX decoded, as libcurl sends them */
        bool other_scheme; /* refused: libcurl read it, but its scheme is not http(s) */
};

/* PF_OK; PF_USAGE with err naming the URL (its credentials hidden: libcurl's parts when it
 * read the URL, what precedes the last '@' when it did not); PF_NO_LIBRARY or PF_INTERNAL
 * when libcurl cannot be loaded; PF_INTERNAL when out of memory. Free with http_url_free(),
 * whatever it returned. */
int http_url_parse(const char *text, struct http_url *out, struct pf_error *err);
void http_url_free(struct http_url *url);

/* Same scheme, host (any case), zone and port: --header values are sent only to the origin
 * they were given for. */
bool http_same_origin(const struct http_url *a, const struct http_url *b);

/* Text that must never be shown, even when a server echoes it: --header values, and the URL's
 * credentials as written, decoded, and as the Basic credentials libcurl makes of them. */
#define HTTP_SECRETS_MAX (HTTP_HEADERS_MAX + 5)
struct http_secrets {
        char *text[HTTP_SECRETS_MAX];
        size_t longest;
        unsigned n;
};

/* Fills s from the --header texts ("Name: value") and the URL (NULL: none); false when out of
 * memory (s is then empty). Free with http_secrets_free(). */
bool http_secrets_collect(struct http_secrets *s, const char *const *headers, unsigned n_headers,
                          const struct http_url *url);
void http_secrets_free(struct http_secrets *s);

/* Copies in[0..in_len) to out, each secret replaced by "***"; cut at out_size, NUL-terminated.
 * in may hold NUL bytes (a body). */
void http_secrets_hide(const struct http_secrets *s, const char *in, size_t in_len, char *out,
                       size_t out_size);

/* ---- options.c: the check's configuration ---- */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST };

struct body_regex;

struct http_config {
        struct http_status_set statuses;
        const char *statuses_text;
        const char *expect_body;
        struct body_regex *body_regex; /* NULL when there is none */
        const char *body_regex_text;
        struct http_header_expectation expect_header[HTTP_EXPECT_HEADERS_MAX];
        unsigned n_expect_header;
        enum http_method method;
        const char *header[HTTP_HEADERS_MAX];
        unsigned n_header;
        bool follow, insecure;
        const char *unix_socket, *cacert, *cert, *key;
};

extern const struct check_option http_options[];
void http_init(void *config);
int http_parse_option(void *config, unsigned option, const char *value, struct pf_error *err);
int http_finish(void *config, unsigned targets, struct pf_error *err);
void http_release(void *config);

/* ---- check.c ---- */

/* One URL given on the command line, as parse_target made it. */
struct http_target {
        struct http_url url;
        struct http_secrets secrets; /* the --header values and the URL's credentials */
};

#endif
