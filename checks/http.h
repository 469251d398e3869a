/* The parts of the http check that need no network and no libcurl, exposed for unit tests. */
#ifndef PREFLIGHT_CHECKS_HTTP_H
#define PREFLIGHT_CHECKS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/check.h"

#define HTTP_HEADERS_MAX 32 /* --header, repeatable */

/* The statuses --expect-status accepts: "200", "200-299,301"; at most this many items. */
#define HTTP_STATUS_ITEMS_MAX 16

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

/* What the check needs to know of a URL: its scheme and origin, and where its userinfo is. */
struct http_url {
        bool https;
        char host[256];     /* lower case, IPv6 with its brackets */
        unsigned port;      /* explicit, or 80/443 */
        size_t userinfo_at; /* offset of "user:pass" in the URL, when has_userinfo */
        size_t userinfo_len;
        bool has_userinfo;
};

/* What --expect-body-regex accepts before regcomp() is called: 0, or -1 with err set when the
 * pattern is one glibc's regcomp() would spend far too much memory on (it copies a group once
 * per repetition, so nested counts multiply: "((a{100}){100}){100}" or "a++++++++++++++++++++"
 * take gigabytes). *may_be_slow: it has what can make regcomp() take exponential time (anchors,
 * word boundaries, back-references, or a loop over what can match nothing). */
int http_check_regex_cost(const char *pattern, bool *may_be_slow, struct pf_error *err);

/* Accepts http:// and https:// URLs with a host (scheme in any case); no spaces or control
 * characters. Errors quote the URL with its userinfo hidden. PF_OK or PF_USAGE. */
int http_parse_url(const char *url, struct http_url *out, struct pf_error *err);

/* The URL as it may be shown: a password becomes "***" (user:***@host), and so does a user
 * name given alone (***@host: it may be a token); any scheme. NUL-terminated, cut at size. */
void http_url_redact(const char *url, char *buf, size_t size);

/* Same scheme, host and port (userinfo, path and query aside): --header values are sent only
 * to the origin they were given for. False when either is not an http(s) URL. */
bool http_same_origin(const char *a, const char *b);

/* Whether a Content-Length header's value is a size (digits only, at most 2^63-1): libcurl
 * reads the body to the connection's end when the number overflows, where RFC 9112 (6.3) says
 * the framing is invalid and the answer must be discarded. */
bool http_content_length_valid(const char *value);

/* Whether the URL's scheme is http or https (for redirect targets). */
bool http_scheme_allowed(const char *url);

/* Text that must never be shown, even when a server echoes it: --header values, and the URL's
 * userinfo as written, decoded, and as the Basic credentials libcurl makes of it. */
#define HTTP_SECRETS_MAX (HTTP_HEADERS_MAX + 5)
struct http_secrets {
        char *text[HTTP_SECRETS_MAX];
        size_t longest;
        unsigned n;
};

/* Fills s from the --header texts ("Name: value") and the URL; false when out of memory (s is
 * then empty). Free with http_secrets_free(). */
bool http_secrets_collect(struct http_secrets *s, const char *const *headers, unsigned n_headers,
                          const char *url);
void http_secrets_free(struct http_secrets *s);

/* Copies in[0..in_len) to out, each secret replaced by "***"; cut at out_size, NUL-terminated.
 * in may hold NUL bytes (a body). */
void http_secrets_hide(const struct http_secrets *s, const char *in, size_t in_len, char *out,
                       size_t out_size);

#endif
