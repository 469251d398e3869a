/* http: does this URL answer as a ready service answers? */
#include "checks/http.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Types and constants only: libcurl itself is loaded with dlopen() when an http check runs. */
#include <curl/curl.h>

#include "core/check.h"
#include "core/clock.h"
#include "core/dl.h"
#include "core/net.h"
#include "core/text.h"

#ifndef PREFLIGHT_VERSION
#define PREFLIGHT_VERSION "0.0.0"
#endif

#define HTTP_DEFAULT_STATUSES "200-399"
#define HTTP_BODY_CAP (64 * 1024) /* bytes of body kept and matched; the rest is never read */
#define HTTP_MAX_REDIRECTS 10
#define HTTP_EXPECT_HEADERS_MAX 16
#define HTTP_DEBIAN_PACKAGE "libcurl4"

/* ---- Pure parts (checks/http.h) ---------------------------------------------------------- */

static bool parse_status(const char *text, size_t len, unsigned short *out)
{
        unsigned value = 0;
        if (len != 3)
                return false;
        for (size_t i = 0; i < 3; i++) {
                if (!isdigit((unsigned char)text[i]))
                        return false;
                value = value * 10 + (unsigned)(text[i] - '0');
        }
        if (value < 100 || value > 599)
                return false;
        *out = (unsigned short)value;
        return true;
}

int http_parse_status_list(const char *text, struct http_status_set *set, struct pf_error *err)
{
        char q[QUOTE_BUF];
        const char *p = text;
        struct http_status_set parsed = {.count = 0};
        if (!text || !*text)
                return pf_error_set(err, "--expect-status: an empty list (examples: 200, "
                                         "200-299,301)");
        for (;;) {
                while (*p == ' ')
                        p++;
                const char *item = p;
                while (*p && *p != ',' && *p != ' ')
                        p++;
                const char *item_end = p;
                while (*p == ' ')
                        p++;
                if (*p && *p != ',')
                        return pf_error_set(err,
                                            "--expect-status: '%s' is not a list of statuses "
                                            "(examples: 200, 200-299,301)",
                                            text_quote_hiding_userinfo(text, q, sizeof(q)));
                const char *dash = memchr(item, '-', (size_t)(item_end - item));
                unsigned short low, high;
                bool ok = dash ? parse_status(item, (size_t)(dash - item), &low) &&
                                     parse_status(dash + 1, (size_t)(item_end - dash - 1), &high)
                               : parse_status(item, (size_t)(item_end - item), &low);
                if (!dash)
                        high = low;
                if (!ok)
                        return pf_error_set(err,
                                            "--expect-status: '%s' is not a list of statuses "
                                            "100-599 (examples: 200, 200-299,301)",
                                            text_quote_hiding_userinfo(text, q, sizeof(q)));
                if (low > high)
                        return pf_error_set(err,
                                            "--expect-status: '%s': a range must go up "
                                            "(%u-%u)",
                                            text_quote_hiding_userinfo(text, q, sizeof(q)), high,
                                            low);
                if (parsed.count >= HTTP_STATUS_ITEMS_MAX)
                        return pf_error_set(err, "--expect-status: at most %d items",
                                            HTTP_STATUS_ITEMS_MAX);
                parsed.range[parsed.count].low = low;
                parsed.range[parsed.count].high = high;
                parsed.count++;
                if (!*p)
                        break;
                p++; /* the comma */
        }
        *set = parsed;
        return PF_OK;
}

bool http_status_expected(const struct http_status_set *set, long status)
{
        for (unsigned i = 0; i < set->count; i++)
                if (status >= set->range[i].low && status <= set->range[i].high)
                        return true;
        return false;
}

/* RFC 9110 token characters: what a header name is made of. */
static bool is_token_char(unsigned char c)
{
        return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool has_line_break_or_control(const char *s)
{
        for (; *s; s++)
                if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
                        return true;
        return false;
}

/* Length of the header name at the start of text; 0 when text does not start with one. */
static size_t header_name_length(const char *text)
{
        size_t n = 0;
        while (is_token_char((unsigned char)text[n]))
                n++;
        return n;
}

int http_parse_header_expectation(const char *text, struct http_header_expectation *out,
                                  struct pf_error *err)
{
        char q[QUOTE_BUF];
        size_t name_len = header_name_length(text);
        const char *rest = text + name_len;
        if (name_len == 0 || (*rest && *rest != ':'))
                return pf_error_set(err, "--expect-header: '%s' is not 'Name: value' or 'Name'",
                                    text_quote_hiding_userinfo(text, q, sizeof(q)));
        if (has_line_break_or_control(text))
                return pf_error_set(err, "--expect-header: '%s' contains a control character",
                                    text_quote_hiding_userinfo(text, q, sizeof(q)));
        const char *value = *rest == ':' ? rest + 1 : rest;
        while (*value == ' ' || *value == '\t')
                value++;
        size_t value_len = strlen(value);
        while (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
                value_len--;
        char *block = malloc(name_len + 1 + value_len + 1);
        if (!block)
                return pf_error_set(err, "--expect-header: out of memory");
        memcpy(block, text, name_len);
        block[name_len] = '\0';
        out->name = block;
        out->value = NULL;
        if (value_len > 0) {
                out->value = block + name_len + 1;
                memcpy(out->value, value, value_len);
                out->value[value_len] = '\0';
        }
        return PF_OK;
}

int http_validate_request_header(const char *text, struct pf_error *err)
{
        char name[128];
        size_t name_len = header_name_length(text);
        if (name_len == 0 || text[name_len] != ':')
                return pf_error_set(err, "--header: expected 'Name: value' (the text given is "
                                         "not shown: it may hold a secret)");
        snprintf(name, sizeof(name), "%.*s", (int)name_len, text);
        if (has_line_break_or_control(text + name_len)) {
                char q[QUOTE_BUF];
                return pf_error_set(err,
                                    "--header %s: the value contains a line break or "
                                    "control character",
                                    text_quote(name, q, sizeof(q)));
        }
        return PF_OK;
}

/* Where the parts of "scheme://[userinfo@]host[:port]/..." are; false without "://". */
struct url_layout {
        size_t scheme_len;    /* "http" */
        size_t authority_at;  /* just past "://" */
        size_t authority_len; /* up to '/', '?', '#' or the end */
        size_t host_at;       /* just past "userinfo@" when there is one */
};

static bool url_layout(const char *url, struct url_layout *out)
{
        const char *sep = strstr(url, "://");
        if (!sep || sep == url)
                return false;
        for (const char *c = url; c < sep; c++)
                if (!isalnum((unsigned char)*c) && *c != '+' && *c != '-' && *c != '.')
                        return false;
        out->scheme_len = (size_t)(sep - url);
        out->authority_at = out->scheme_len + 3;
        out->authority_len = strcspn(url + out->authority_at, "/?#");
        out->host_at = out->authority_at;
        for (size_t i = 0; i < out->authority_len; i++)
                if (url[out->authority_at + i] == '@')
                        out->host_at = out->authority_at + i + 1; /* the last '@' counts */
        return true;
}

void http_url_redact(const char *url, char *buf, size_t size)
{
        struct url_layout l;
        if (size == 0)
                return;
        if (!url_layout(url, &l) || l.host_at == l.authority_at) {
                snprintf(buf, size, "%s", url);
                return;
        }
        const char *userinfo = url + l.authority_at;
        size_t userinfo_len = l.host_at - 1 - l.authority_at;
        const char *colon = memchr(userinfo, ':', userinfo_len);
        if (colon)
                snprintf(buf, size, "%.*s%.*s:***@%s", (int)l.authority_at, url,
                         (int)(colon - userinfo), userinfo, url + l.host_at);
        else
                snprintf(buf, size, "%.*s***@%s", (int)l.authority_at, url, url + l.host_at);
}

static bool scheme_is(const char *url, size_t len, const char *scheme)
{
        return strlen(scheme) == len && strncasecmp(url, scheme, len) == 0;
}

bool http_scheme_allowed(const char *url)
{
        struct url_layout l;
        return url_layout(url, &l) &&
               (scheme_is(url, l.scheme_len, "http") || scheme_is(url, l.scheme_len, "https"));
}

int http_parse_url(const char *url, struct http_url *out, struct pf_error *err)
{
        char q[QUOTE_BUF];
        struct url_layout l;
        bool is_url = url_layout(url, &l);
        if (is_url) {
                char shown[1024];
                http_url_redact(url, shown, sizeof(shown));
                text_quote(shown, q, sizeof(q));
        } else {
                /* Text that is not a URL has no userinfo to redact, but what comes before an '@'
                 * may still be a password ("http//user:pass@host"). */
                text_quote_hiding_userinfo(url, q, sizeof(q));
        }
        memset(out, 0, sizeof(*out));
        for (const char *c = url; *c; c++)
                if ((unsigned char)*c <= 0x20 || *c == 0x7f)
                        return pf_error_set(err, "'%s': a URL has no spaces or control characters",
                                            q);
        if (!is_url)
                return pf_error_set(err,
                                    "'%s' is not a URL (example: "
                                    "http://127.0.0.1:8080/healthz)",
                                    q);
        if (!http_scheme_allowed(url))
                return pf_error_set(err, "'%s': only http:// and https:// URLs are checked", q);
        out->https = l.scheme_len == 5;
        out->has_userinfo = l.host_at != l.authority_at;
        out->userinfo_at = l.authority_at;
        out->userinfo_len = out->has_userinfo ? l.host_at - 1 - l.authority_at : 0;

        const char *host = url + l.host_at;
        size_t host_and_port = l.authority_len - (l.host_at - l.authority_at);
        size_t host_len;
        if (host_and_port > 0 && host[0] == '[') {
                const char *close = memchr(host, ']', host_and_port);
                if (!close)
                        return pf_error_set(err, "'%s': an IPv6 address needs its closing ']'", q);
                host_len = (size_t)(close - host) + 1;
        } else {
                const char *colon = memchr(host, ':', host_and_port);
                host_len = colon ? (size_t)(colon - host) : host_and_port;
        }
        if (host_len == 0)
                return pf_error_set(err, "'%s': the URL has no host", q);
        if (host_len >= sizeof(out->host))
                return pf_error_set(err, "'%s': the host name is too long", q);
        if (host[0] != '[' && net_host_bad_ipv4(host, host_len))
                return pf_error_set(err,
                                    "'%s': the host is not an IPv4 address (four numbers 0-255, "
                                    "as 127.0.0.1)",
                                    q);
        for (size_t i = 0; i < host_len; i++)
                out->host[i] = (char)tolower((unsigned char)host[i]);
        out->host[host_len] = '\0';

        out->port = out->https ? 443 : 80;
        if (host_len < host_and_port) {
                char port[8];
                size_t port_len = host_and_port - host_len;
                unsigned long value;
                if (host[host_len] != ':' || port_len > sizeof(port))
                        return pf_error_set(err, "'%s': the port must be 1-65535", q);
                memcpy(port, host + host_len + 1, port_len - 1);
                port[port_len - 1] = '\0';
                if (port_len > 1) { /* "host:" alone means the scheme's port, as RFC 3986 */
                        if (!text_parse_ulong(port, 1, 65535, &value))
                                return pf_error_set(err, "'%s': the port must be 1-65535", q);
                        out->port = (unsigned)value;
                }
        }
        return PF_OK;
}

bool http_same_origin(const char *a, const char *b)
{
        struct http_url ua, ub;
        struct pf_error ignored = {0};
        return http_parse_url(a, &ua, &ignored) == PF_OK &&
               http_parse_url(b, &ub, &ignored) == PF_OK && ua.https == ub.https &&
               ua.port == ub.port && strcmp(ua.host, ub.host) == 0;
}

static bool secrets_add(struct http_secrets *s, const char *text, size_t len)
{
        if (len == 0 || s->n >= HTTP_SECRETS_MAX)
                return true;
        /* text need not end after len bytes (the password inside a decoded buffer): copied with
         * memcpy, not strndup, which ASan's strict string checks read one byte past. */
        char *copy = malloc(len + 1);
        if (!copy)
                return false;
        memcpy(copy, text, len);
        copy[len] = '\0';
        s->text[s->n++] = copy;
        if (len > s->longest)
                s->longest = len;
        return true;
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %XX decoding, as libcurl does to the user name and password of a URL. */
static size_t percent_decode(const char *in, size_t len, char *out)
{
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                int high, low;
                if (in[i] == '%' && i + 2 < len && (high = hex_value(in[i + 1])) >= 0 &&
                    (low = hex_value(in[i + 2])) >= 0) {
                        out[n++] = (char)(high * 16 + low);
                        i += 2;
                } else {
                        out[n++] = in[i];
                }
        }
        return n;
}

static size_t base64_encode(const unsigned char *in, size_t len, char *out)
{
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t n = 0;
        for (size_t i = 0; i < len; i += 3) {
                unsigned v = (unsigned)in[i] << 16;
                if (i + 1 < len)
                        v |= (unsigned)in[i + 1] << 8;
                if (i + 2 < len)
                        v |= in[i + 2];
                out[n++] = alphabet[(v >> 18) & 63];
                out[n++] = alphabet[(v >> 12) & 63];
                out[n++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
                out[n++] = i + 2 < len ? alphabet[v & 63] : '=';
        }
        return n;
}

/* The URL's userinfo as written, the password (or lone user name) raw and decoded, and the
 * Basic credentials base64("user:password") that libcurl sends from it. */
static bool secrets_from_userinfo(struct http_secrets *s, const char *userinfo, size_t len)
{
        const char *colon = memchr(userinfo, ':', len);
        const char *secret = colon ? colon + 1 : userinfo;
        size_t secret_len = colon ? len - (size_t)(secret - userinfo) : len;
        char *decoded = malloc(len + 2), *basic = malloc((len + 2) / 3 * 4 + 8);
        bool ok = decoded && basic;
        if (ok) {
                size_t user_len =
                    percent_decode(userinfo, colon ? (size_t)(colon - userinfo) : len, decoded);
                decoded[user_len] = ':';
                size_t pass_len =
                    colon ? percent_decode(secret, secret_len, decoded + user_len + 1) : 0;
                size_t basic_len =
                    base64_encode((const unsigned char *)decoded, user_len + 1 + pass_len, basic);
                ok = secrets_add(s, userinfo, len) && secrets_add(s, secret, secret_len) &&
                     secrets_add(s, colon ? decoded + user_len + 1 : decoded,
                                 colon ? pass_len : user_len) &&
                     secrets_add(s, basic, basic_len);
        }
        free(decoded);
        free(basic);
        return ok;
}

bool http_secrets_collect(struct http_secrets *s, const char *const *headers, unsigned n_headers,
                          const char *url)
{
        struct http_url parsed;
        struct pf_error ignored = {0};
        *s = (struct http_secrets){.n = 0};
        for (unsigned i = 0; i < n_headers; i++) {
                const char *value = strchr(headers[i], ':');
                if (!value)
                        continue;
                value++;
                while (*value == ' ' || *value == '\t')
                        value++;
                size_t len = strlen(value);
                while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
                        len--;
                if (!secrets_add(s, value, len))
                        goto out_of_memory;
        }
        if (url && http_parse_url(url, &parsed, &ignored) == PF_OK && parsed.has_userinfo &&
            !secrets_from_userinfo(s, url + parsed.userinfo_at, parsed.userinfo_len))
                goto out_of_memory;
        return true;
out_of_memory:
        http_secrets_free(s);
        return false;
}

void http_secrets_free(struct http_secrets *s)
{
        for (unsigned i = 0; i < s->n; i++)
                free(s->text[i]);
        *s = (struct http_secrets){.n = 0};
}

void http_secrets_hide(const struct http_secrets *s, const char *in, size_t in_len, char *out,
                       size_t out_size)
{
        size_t n = 0;
        if (out_size == 0)
                return;
        for (size_t i = 0; i < in_len && n + 1 < out_size;) {
                size_t hit = 0; /* the longest secret starting here, so none shows in part */
                for (unsigned k = 0; k < s->n; k++) {
                        size_t len = strlen(s->text[k]);
                        if (len > hit && len <= in_len - i && memcmp(in + i, s->text[k], len) == 0)
                                hit = len;
                }
                if (hit) {
                        for (size_t j = 0; j < 3 && n + 1 < out_size; j++)
                                out[n++] = '*';
                        i += hit;
                } else {
                        out[n++] = in[i++];
                }
        }
        out[n] = '\0';
}

bool http_content_length_valid(const char *value)
{
        while (*value == ' ' || *value == '\t')
                value++;
        size_t digits = strspn(value, "0123456789");
        const char *rest = value + digits;
        while (*rest == ' ' || *rest == '\t')
                rest++;
        if (digits == 0 || *rest)
                return false;
        while (digits > 1 && *value == '0') { /* leading zeros are allowed, and count nothing */
                value++;
                digits--;
        }
        /* 9223372036854775807 (2^63-1) has 19 digits: compare as text at that length. */
        return digits < 19 || (digits == 19 && strncmp(value, "9223372036854775807", 19) <= 0);
}

/* ---- libcurl, loaded on first use ----------------------------------------------------------- */

static struct {
        CURLcode (*global_init)(long flags);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
        CURLcode (*easy_perform)(CURL *handle);
        CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
        void (*easy_cleanup)(CURL *handle);
        const char *(*easy_strerror)(CURLcode code);
        struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
        void (*slist_free_all)(struct curl_slist *list);
        CURLHcode (*easy_header)(CURL *handle, const char *name, size_t index, unsigned int origin,
                                 int request, struct curl_header **out);
} curl;

/* Loads libcurl once per process: PF_OK, or dl_load()'s code with why set. */
static int curl_load(char *why, size_t why_size)
{
        static bool initialised;
        static const char *const sonames[] = {"libcurl.so.4", "libcurl-gnutls.so.4", NULL};
        const struct dl_symbol symbols[] = {
            {"curl_global_init", (void **)&curl.global_init},
            {"curl_easy_init", (void **)&curl.easy_init},
            {"curl_easy_setopt", (void **)&curl.easy_setopt},
            {"curl_easy_perform", (void **)&curl.easy_perform},
            {"curl_easy_getinfo", (void **)&curl.easy_getinfo},
            {"curl_easy_cleanup", (void **)&curl.easy_cleanup},
            {"curl_easy_strerror", (void **)&curl.easy_strerror},
            {"curl_slist_append", (void **)&curl.slist_append},
            {"curl_slist_free_all", (void **)&curl.slist_free_all},
            {"curl_easy_header", (void **)&curl.easy_header},
            {NULL, NULL},
        };
        if (initialised)
                return PF_OK;
        int r = dl_load(sonames, symbols, why, why_size);
        if (r != PF_OK)
                return r;
        CURLcode rc = curl.global_init(CURL_GLOBAL_DEFAULT);
        if (rc != CURLE_OK) {
                snprintf(why, why_size, "curl_global_init: %s", curl.easy_strerror(rc));
                return PF_INTERNAL;
        }
        initialised = true;
        return PF_OK;
}

/* ---- The check --------------------------------------------------------------------------------
 */

enum http_method { METHOD_GET, METHOD_HEAD, METHOD_POST };
static const char *const method_names[] = {"GET", "HEAD", "POST"};

enum {
        OPT_EXPECT_STATUS,
        OPT_EXPECT_BODY,
        OPT_EXPECT_BODY_REGEX,
        OPT_EXPECT_HEADER,
        OPT_METHOD,
        OPT_HEADER,
        OPT_FOLLOW,
        OPT_UNIX_SOCKET,
        OPT_CACERT,
        OPT_CERT,
        OPT_KEY,
        OPT_INSECURE,
};

static const struct check_option http_options[] = {
    [OPT_EXPECT_STATUS] = {"expect-status", 0, "LIST",
                           "statuses that pass: 200, 200-299,301 (default 200-399)"},
    [OPT_EXPECT_BODY] = {"expect-body", 0, "TEXT", "the body (its first 64 KiB) must contain TEXT"},
    [OPT_EXPECT_BODY_REGEX] = {"expect-body-regex", 0, "RE",
                               "the body (first 64 KiB) must match RE (POSIX ERE, ^ $ per line)"},
    [OPT_EXPECT_HEADER] = {"expect-header", 0, "HEADER",
                           "'Name: value' must be in the answer ('Name': any value); "
                           "repeatable"},
    [OPT_METHOD] = {"method", 'X', "METHOD", "GET (default), HEAD or POST (empty body)"},
    [OPT_HEADER] = {"header", 'H', "HEADER",
                    "send 'Name: value' (the value is never shown); repeatable"},
    [OPT_FOLLOW] = {"follow", 'L', NULL, "follow redirects (http and https only, at most 10)"},
    [OPT_UNIX_SOCKET] = {"unix-socket", 0, "PATH", "connect to this unix socket instead"},
    [OPT_CACERT] = {"cacert", 0, "FILE", "trust the CA certificates in FILE (PEM)"},
    [OPT_CERT] = {"cert", 0, "FILE", "client certificate (PEM)"},
    [OPT_KEY] = {"key", 0, "FILE", "the client certificate's private key (PEM)"},
    [OPT_INSECURE] = {"insecure", 'k', NULL,
                      "do not verify the server's certificate (testing only)"},
    {NULL, 0, NULL, NULL},
};

struct http_config {
        struct http_status_set statuses;
        const char *statuses_text;
        const char *expect_body;
        regex_t body_regex;
        const char *body_regex_text; /* NULL when there is no regex */
        struct http_header_expectation expect_header[HTTP_EXPECT_HEADERS_MAX];
        unsigned n_expect_header;
        enum http_method method;
        const char *header[HTTP_HEADERS_MAX];
        unsigned n_header;
        bool follow, insecure;
        const char *unix_socket, *cacert, *cert, *key;
};

static void http_init(void *config)
{
        struct http_config *cfg = config;
        struct pf_error ignored = {0};
        cfg->statuses_text = HTTP_DEFAULT_STATUSES;
        (void)http_parse_status_list(HTTP_DEFAULT_STATUSES, &cfg->statuses, &ignored);
}

/* A file named on the command line must be readable now: a typo is a usage error, not a TLS
 * failure found later. */
static int readable_file(const char *option, const char *path, struct pf_error *err)
{
        if (!*path)
                return pf_error_set(err, "--%s: an empty file name", option);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                char q[QUOTE_BUF];
                return pf_error_set(err, "--%s: cannot read '%s': %s", option,
                                    text_quote(path, q, sizeof(q)), strerror(errno));
        }
        close(fd);
        return PF_OK;
}

static int parse_method(const char *value, enum http_method *method, struct pf_error *err)
{
        char q[QUOTE_BUF];
        for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
                if (text_equal_nocase(value, method_names[i])) {
                        *method = (enum http_method)i;
                        return PF_OK;
                }
        }
        return pf_error_set(err, "--method: '%s' is not GET, HEAD or POST",
                            text_quote_hiding_userinfo(value, q, sizeof(q)));
}

/* An upper bound, in regcomp()'s parse-tree nodes, on what a pattern costs: glibc writes "x+"
 * as "xx*" and "x{m,n}" as n copies of x, so repetitions multiply the size of what they repeat.
 * regcomp()'s memory and time grow with the square of the size and worse (20000 nodes of "()"
 * take 1.5 GB and 5 s); 2000 nodes stay under 20 MB, and a readiness pattern needs far
 * fewer. Counts above POSIX's portable RE_DUP_MAX (255) are refused on their own: "x{1,n}"
 * costs regcomp time and memory that grow with the square of n (".{1,10000}": 770 MB). */
enum { REGEX_COST_MAX = 2000, REGEX_COUNT_MAX = 255, REGEX_DEPTH_MAX = 64 };
enum { GLIBC_DUP_MAX = 0x7fff }; /* glibc's own RE_DUP_MAX: a count above it is an error */

static size_t cost_add(size_t a, size_t b)
{
        return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t cost_mul(size_t a, size_t b)
{
        return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

/* p is just past '['; returns just past the matching ']' (or the end of the text). */
static const char *skip_bracket_expression(const char *p)
{
        if (*p == '^')
                p++;
        if (*p == ']') /* a ']' first is a member, not the end */
                p++;
        while (*p && *p != ']') {
                if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
                        const char *end = strchr(p + 2, p[1]);
                        while (end && end[1] != ']')
                                end = strchr(end + 1, p[1]);
                        if (!end)
                                return p + strlen(p);
                        p = end + 2;
                } else {
                        p++;
                }
        }
        return *p ? p + 1 : p;
}

/* One number of an interval as glibc's regcomp() reads it: digits (and "\\0", a 0 there; "\\1"
 * to "\\9" are back-references), up to a ',' (escaped or not) or an unescaped '}', which *sep
 * is set to; *p is left past it. Returns the number, -1 for none, -2 for what regcomp()
 * refuses. */
static long interval_number(const char **p, char *sep)
{
        long n = -1;
        for (;;) {
                const char *t = *p;
                bool escaped = t[0] == '\\' && t[1];
                char c = escaped ? t[1] : t[0];
                if (!c)
                        return -2;
                *p = t + (escaped ? 2 : 1);
                if (c == ',' || (c == '}' && !escaped)) {
                        *sep = c;
                        return n;
                }
                if (!isdigit((unsigned char)c) || (escaped && c != '0') || n == -2)
                        n = -2;
                else
                        n = n < 0 ? c - '0' : n * 10 + (c - '0');
                if (n > GLIBC_DUP_MAX)
                        n = -2;
        }
}

/* q at '{': an interval "{m}", "{m,n}", "{m,}" or glibc's "{,n}" (from 0). Returns just past
 * it, or NULL for what regcomp() refuses; *unbounded for "{m,}". */
static const char *scan_interval(const char *q, unsigned long *low, unsigned long *high,
                                 bool *unbounded)
{
        const char *p = q + 1;
        char sep;
        long start = interval_number(&p, &sep), end = start;
        if (start == -2 || (start == -1 && sep != ','))
                return NULL;
        if (sep == ',') {
                end = interval_number(&p, &sep);
                if (end == -2 || sep != '}')
                        return NULL;
                start = start < 0 ? 0 : start;
        }
        if (end >= 0 && end < start)
                return NULL;
        *unbounded = end < 0;
        *low = (unsigned long)start;
        *high = end < 0 ? *low : (unsigned long)end;
        return p;
}

struct regex_scan {
        bool count_too_big; /* a count above REGEX_COUNT_MAX */
        bool may_be_slow;   /* see regex_compiles_in_time() */
};

/* The cost of the alternation at *p, up to its closing ')' or the end; *p is left there, and
 * *empty says whether the alternation can match the empty string. At depth 0 a ')' closes
 * nothing: glibc reads it as a character, which may be repeated like any other. */
static size_t regex_cost(const char **p, unsigned depth, bool *empty, struct regex_scan *scan)
{
        size_t total = 1;
        bool branch_empty = true; /* so far, every atom of this branch can match nothing */
        *empty = false;
        while (**p && (**p != ')' || depth == 0)) {
                const char *at = *p;
                size_t atom = 1;
                bool atom_empty = false;
                if (*at == '|') {
                        *empty = *empty || branch_empty;
                        branch_empty = true;
                        total = cost_add(total, 1);
                        (*p)++;
                        continue;
                }
                if (*at == '(') {
                        if (depth >= REGEX_DEPTH_MAX)
                                return SIZE_MAX;
                        *p = at + 1;
                        atom = cost_add(regex_cost(p, depth + 1, &atom_empty, scan), 1);
                        if (**p == ')')
                                (*p)++;
                } else if (*at == '[') {
                        *p = skip_bracket_expression(at + 1);
                } else if (*at == '\\' && at[1]) {
                        /* back-references and glibc's word and buffer anchors */
                        if (strchr("123456789<>bB`'", at[1]))
                                atom_empty = scan->may_be_slow = true;
                        *p = at + 2;
                } else {
                        if (*at == '^' || *at == '$')
                                atom_empty = scan->may_be_slow = true;
                        *p = at + 1;
                }
                for (;;) { /* the repetitions after the atom, stacked ones included */
                        const char *q = *p;
                        bool loops = false; /* '*', '+' and "{m,}" repeat without end */
                        bool repeats_empty = atom_empty;
                        if (*q == '*' || *q == '?') {
                                loops = *q == '*';
                                atom = cost_add(atom, 1);
                                atom_empty = true;
                        } else if (*q == '+') {
                                loops = true;
                                atom = cost_add(cost_mul(atom, 2), 1);
                        } else if (*q == '{') {
                                unsigned long low, high;
                                const char *end = scan_interval(q, &low, &high, &loops);
                                if (!end)
                                        break; /* regcomp() refuses it, and says why */
                                if (low > REGEX_COUNT_MAX || high > REGEX_COUNT_MAX)
                                        scan->count_too_big = true;
                                /* {m,}: m copies and a star, as {m,m} costs */
                                atom = cost_add(cost_mul(atom, high + 1), 1);
                                atom_empty = atom_empty || low == 0;
                                q = end - 1;
                        } else {
                                break;
                        }
                        /* "(a*)*", "a?+": a loop that can go round matching nothing */
                        if (loops && repeats_empty)
                                scan->may_be_slow = true;
                        *p = q + 1;
                }
                branch_empty = branch_empty && atom_empty;
                total = cost_add(total, atom);
        }
        *empty = *empty || branch_empty;
        return total;
}

int http_check_regex_cost(const char *pattern, bool *may_be_slow, struct pf_error *err)
{
        char q[QUOTE_BUF];
        struct regex_scan scan = {false, false};
        const char *p = pattern;
        bool empty;
        size_t cost = regex_cost(&p, 0, &empty, &scan);
        *may_be_slow = scan.may_be_slow;
        if (scan.count_too_big)
                return pf_error_set(err,
                                    "--expect-body-regex: '%s' repeats more than %d times "
                                    "(RE_DUP_MAX); use '*' or '+'",
                                    text_quote_hiding_userinfo(pattern, q, sizeof(q)),
                                    REGEX_COUNT_MAX);
        if (cost > REGEX_COST_MAX)
                return pf_error_set(err,
                                    "--expect-body-regex: '%s' is too complex (nested or stacked "
                                    "repetitions multiply its size); write it more simply",
                                    text_quote_hiding_userinfo(pattern, q, sizeof(q)));
        return PF_OK;
}

/* REG_NEWLINE: ^ and $ match at each line, as grep does, so '^ready$' matches the body
 * "ready\n" that most services send. */
#define REGEX_FLAGS (REG_EXTENDED | REG_NOSUB | REG_NEWLINE)

enum { REGEX_COMPILE_CPU_SECONDS = 1, REGEX_TRIAL_OUT_OF_TIME = 3 };

static void regex_trial_out_of_time(int sig)
{
        (void)sig;
        _exit(REGEX_TRIAL_OUT_OF_TIME);
}

/*
 * Whether regcomp() compiles PATTERN within REGEX_COMPILE_CPU_SECONDS of CPU time, found out
 * in a child process. The cost bound keeps memory and most time in check, but glibc's regcomp()
 * takes time exponential in the length of some short patterns, and nothing interrupts it once
 * called: those with anchors, back-references or word boundaries ("(^)?" 300 times: over 20 s;
 * "(\b|\B)" eight times then "a?" 400 times: 13 s), and those with a loop that can go round
 * matching nothing ("(((a?)+)?)+" twenty times, 220 bytes: 6.7 s). Only such patterns are tried
 * (regex_cost() says which); the others compile in polynomial time, within 0.1 s at the cost
 * bound. Compiling is deterministic, so the compile that follows here takes no longer than the
 * trial did. When no child can be made, the pattern is compiled here untried.
 */
static bool regex_compiles_in_time(const char *pattern)
{
        pid_t pid = fork();
        if (pid < 0)
                return true;
        if (pid == 0) {
                struct rlimit cpu = {REGEX_COMPILE_CPU_SECONDS, REGEX_COMPILE_CPU_SECONDS + 1};
                regex_t re;
                /* SIGXCPU at the soft limit ends the child without a core dump; SIGKILL at the
                 * hard limit if the handler cannot run. */
                if (signal(SIGXCPU, regex_trial_out_of_time) == SIG_ERR ||
                    setrlimit(RLIMIT_CPU, &cpu) != 0)
                        _exit(0); /* untried, as when no child can be made */
                (void)regcomp(&re, pattern, REGEX_FLAGS);
                _exit(0);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return true;
        /* Out of time, killed at the hard limit, or anything else the child did not mean */
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int parse_regex(struct http_config *cfg, const char *value, struct pf_error *err)
{
        char q[QUOTE_BUF];
        regex_t re;
        bool may_be_slow;
        if (http_check_regex_cost(value, &may_be_slow, err) != PF_OK)
                return PF_USAGE;
        if (may_be_slow && !regex_compiles_in_time(value))
                return pf_error_set(err,
                                    "--expect-body-regex: regcomp() did not compile '%s' "
                                    "within %d s of CPU time; write it more simply",
                                    text_quote_hiding_userinfo(value, q, sizeof(q)),
                                    REGEX_COMPILE_CPU_SECONDS);
        int rc = regcomp(&re, value, REGEX_FLAGS);
        if (rc != 0) {
                char why[160];
                regerror(rc, &re, why, sizeof(why));
                regfree(&re);
                return pf_error_set(err,
                                    "--expect-body-regex: '%s' is not a valid regular "
                                    "expression: %s",
                                    text_quote_hiding_userinfo(value, q, sizeof(q)), why);
        }
        if (cfg->body_regex_text)
                regfree(&cfg->body_regex);
        cfg->body_regex = re;
        cfg->body_regex_text = value;
        return PF_OK;
}

static int http_parse_option(void *config, unsigned option, const char *value, struct pf_error *err)
{
        struct http_config *cfg = config;
        switch (option) {
        case OPT_EXPECT_STATUS: {
                int r = http_parse_status_list(value, &cfg->statuses, err);
                if (r == PF_OK)
                        cfg->statuses_text = value;
                return r;
        }
        case OPT_EXPECT_BODY:
                if (!*value)
                        return pf_error_set(err, "--expect-body: an empty TEXT matches any body");
                cfg->expect_body = value;
                return PF_OK;
        case OPT_EXPECT_BODY_REGEX:
                return parse_regex(cfg, value, err);
        case OPT_EXPECT_HEADER:
                if (cfg->n_expect_header >= HTTP_EXPECT_HEADERS_MAX)
                        return pf_error_set(err, "--expect-header: at most %d",
                                            HTTP_EXPECT_HEADERS_MAX);
                if (http_parse_header_expectation(value, &cfg->expect_header[cfg->n_expect_header],
                                                  err) != PF_OK)
                        return PF_USAGE;
                cfg->n_expect_header++;
                return PF_OK;
        case OPT_METHOD:
                return parse_method(value, &cfg->method, err);
        case OPT_HEADER:
                if (cfg->n_header >= HTTP_HEADERS_MAX)
                        return pf_error_set(err, "--header: at most %d", HTTP_HEADERS_MAX);
                if (http_validate_request_header(value, err) != PF_OK)
                        return PF_USAGE;
                cfg->header[cfg->n_header++] = value;
                return PF_OK;
        case OPT_FOLLOW:
                cfg->follow = true;
                return PF_OK;
        case OPT_UNIX_SOCKET:
                if (!*value)
                        return pf_error_set(err, "--unix-socket: an empty path");
                /* As the redis check's unix: and systemd's own paths: a relative one would
                 * depend on the unit's WorkingDirectory=. */
                if (value[0] != '/') {
                        char q[QUOTE_BUF];
                        return pf_error_set(err,
                                            "--unix-socket: '%s': the path must be absolute "
                                            "(/run/app/app.sock)",
                                            text_quote(value, q, sizeof(q)));
                }
                if (strlen(value) >= sizeof(((struct sockaddr_un *)0)->sun_path))
                        return pf_error_set(err,
                                            "--unix-socket: the path is longer than a unix "
                                            "socket path may be (%zu bytes)",
                                            sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
                cfg->unix_socket = value;
                return PF_OK;
        case OPT_CACERT:
                cfg->cacert = value;
                return readable_file("cacert", value, err);
        case OPT_CERT:
                cfg->cert = value;
                return readable_file("cert", value, err);
        case OPT_KEY:
                cfg->key = value;
                return readable_file("key", value, err);
        case OPT_INSECURE:
                cfg->insecure = true;
                return PF_OK;
        }
        return pf_error_set(err, "unknown option");
}

/* The URL argument, checked here and kept as given. */
struct http_target {
        const char *url;
};

static int http_parse_target(const void *config, const char *arg, void *target, char *shown,
                             struct pf_error *err)
{
        (void)config;
        struct http_url url;
        int r = http_parse_url(arg, &url, err);
        if (r != PF_OK)
                return r;
        ((struct http_target *)target)->url = arg;
        http_url_redact(arg, shown, TARGET_SHOWN_SIZE);
        return PF_OK;
}

static int http_finish(void *config, unsigned targets, struct pf_error *err)
{
        (void)targets;
        const struct http_config *cfg = config;
        if (cfg->method == METHOD_HEAD && (cfg->expect_body || cfg->body_regex_text))
                return pf_error_set(err, "--method HEAD gets no body: --expect-body and "
                                         "--expect-body-regex need GET or POST");
        if (cfg->key && !cfg->cert)
                return pf_error_set(err, "--key needs --cert (the certificate it belongs to)");
        if (cfg->insecure && cfg->cacert)
                return pf_error_set(err, "--insecure and --cacert contradict each other: "
                                         "--cacert verifies, --insecure does not");
        return PF_OK;
}

static void http_release(void *config)
{
        struct http_config *cfg = config;
        for (unsigned i = 0; i < cfg->n_expect_header; i++)
                free(cfg->expect_header[i].name);
        cfg->n_expect_header = 0;
        if (cfg->body_regex_text)
                regfree(&cfg->body_regex);
        cfg->body_regex_text = NULL;
}

/* The start of the body, kept for matching and excerpts. */
struct body {
        char *data; /* HTTP_BODY_CAP + 1 bytes, NUL-terminated */
        size_t len;
        bool capped; /* there was more; libcurl was told to stop reading */
};

static size_t body_keep(char *data, size_t size, size_t count, void *context)
{
        struct body *body = context;
        size_t n = size * count;
        size_t room = HTTP_BODY_CAP - body->len;
        if (n > room) {
                /* Enough to decide: keep what fits and stop the transfer (CURLE_WRITE_ERROR). */
                memcpy(body->data + body->len, data, room);
                body->len += room;
                body->data[body->len] = '\0';
                body->capped = true;
                return 0;
        }
        memcpy(body->data + body->len, data, n);
        body->len += n;
        body->data[body->len] = '\0';
        return n;
}

/* Makes library text safe for a message line: control bytes and non-ASCII become '?'. */
static void copy_printable(char *dst, size_t size, const char *src)
{
        size_t i = 0;
        if (size == 0)
                return;
        for (; src[i] && i + 1 < size; i++)
                dst[i] =
                    ((unsigned char)src[i] < 0x20 || (unsigned char)src[i] >= 0x7f) ? '?' : src[i];
        dst[i] = '\0';
        while (i > 0 && (dst[i - 1] == '?' || dst[i - 1] == ' ' || dst[i - 1] == '.'))
                dst[--i] = '\0'; /* curl ends some messages with a line break */
}

/* One attempt's state, freed by exchange_free(). */
struct exchange {
        const struct http_config *cfg;
        CURL *handle;
        struct curl_slist *headers;
        struct body body;
        char error[CURL_ERROR_SIZE];
        char *url;            /* the URL of the current hop (owned) */
        unsigned redirects;   /* hops followed */
        bool headers_dropped; /* a redirect went to another origin: --header not sent there */
        bool hop_https;       /* the current hop's URL is https */
        struct http_secrets secrets;
};

static void exchange_free(struct exchange *ex)
{
        if (ex->handle)
                curl.easy_cleanup(ex->handle);
        if (ex->headers)
                curl.slist_free_all(ex->headers);
        free(ex->body.data);
        free(ex->url);
        http_secrets_free(&ex->secrets);
}

/* Options that stay for every hop. Returns CURLE_OK or the first failure. */
static CURLcode exchange_setup(struct exchange *ex)
{
        const struct http_config *cfg = ex->cfg;
        CURL *h = ex->handle;
        CURLcode rc = CURLE_OK;
        for (unsigned i = 0; i < cfg->n_header; i++) {
                struct curl_slist *more = curl.slist_append(ex->headers, cfg->header[i]);
                if (!more)
                        return CURLE_OUT_OF_MEMORY;
                ex->headers = more;
        }
        /* Signals off: the deadline is libcurl's own timeout (and its resolver is threaded), so
         * nothing here needs SIGALRM, which the backstop owns. */
        rc = rc ? rc : curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        /* When the deadline passes while the resolver thread still waits for DNS, leave that
         * thread behind instead of joining it (libcurl 7.87+). */
        rc = rc ? rc : curl.easy_setopt(h, CURLOPT_QUICK_EXIT, 1L);
        rc = rc ? rc : curl.easy_setopt(h, CURLOPT_ERRORBUFFER, ex->error);
        rc = rc ? rc : curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        rc = rc ? rc : curl.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        /* Redirects are followed here, one hop at a time, to check each target first. */
        rc = rc ? rc : curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        /* And each on a new connection: a server that closes a kept-alive connection after each
         * answer made libcurl retry on a fresh one, counting the retries across hops until it
         * gave up ("Connection died, tried 5 times") midway through a redirect chain. */
        if (ex->cfg->follow)
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
        /* The service is asked directly, as Kubernetes probes do: a proxy from the environment
         * would answer for it. */
        rc = rc ? rc : curl.easy_setopt(h, CURLOPT_PROXY, "");
        rc = rc ? rc : curl.easy_setopt(h, CURLOPT_USERAGENT, "preflight/" PREFLIGHT_VERSION);
        rc = rc ? rc : curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, body_keep);
        rc = rc ? rc : curl.easy_setopt(h, CURLOPT_WRITEDATA, &ex->body);
        if (ex->headers)
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_HTTPHEADER, ex->headers);
        if (cfg->unix_socket)
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, cfg->unix_socket);
        if (cfg->cacert)
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_CAINFO, cfg->cacert);
        if (cfg->cert)
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_SSLCERT, cfg->cert);
        if (cfg->key)
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_SSLKEY, cfg->key);
        if (cfg->insecure) {
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (cfg->method == METHOD_HEAD) {
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else if (cfg->method == METHOD_POST) {
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
                rc = rc ? rc : curl.easy_setopt(h, CURLOPT_POSTFIELDS, "");
        }
        return rc;
}

/* Runs one request with what is left of the deadline; SIGPIPE is ignored meanwhile, as libcurl
 * does itself when signals are allowed (a TLS write to a closed peer must not kill us). */
static CURLcode exchange_perform(struct exchange *ex, uint64_t deadline_us)
{
        int left_ms = deadline_remaining_ms(deadline_us);
        long timeout_ms = left_ms < 0 ? 0L : (long)left_ms; /* 0: no deadline */
        CURLcode rc = curl.easy_setopt(ex->handle, CURLOPT_URL, ex->url);
        rc = rc ? rc : curl.easy_setopt(ex->handle, CURLOPT_TIMEOUT_MS, timeout_ms);
        rc = rc ? rc : curl.easy_setopt(ex->handle, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        if (rc != CURLE_OK)
                return rc;
        ex->body.len = 0;
        ex->body.capped = false;
        ex->body.data[0] = '\0';
        ex->error[0] = '\0';
        struct sigaction ignore = {.sa_handler = SIG_IGN}, previous;
        sigemptyset(&ignore.sa_mask);
        bool restore = sigaction(SIGPIPE, &ignore, &previous) == 0;
        rc = curl.easy_perform(ex->handle);
        if (restore)
                (void)sigaction(SIGPIPE, &previous, NULL);
        if (rc == CURLE_WRITE_ERROR && ex->body.capped)
                rc = CURLE_OK; /* we stopped it: the first HTTP_BODY_CAP bytes are enough */
        return rc;
}

static long info_long(CURL *h, CURLINFO what)
{
        long value = 0;
        return curl.easy_getinfo(h, what, &value) == CURLE_OK ? value : 0;
}

static curl_off_t info_time_us(CURL *h, CURLINFO what)
{
        curl_off_t value = 0;
        return curl.easy_getinfo(h, what, &value) == CURLE_OK ? value : 0;
}

/* Which step the deadline caught, from the times libcurl records as each one ends. */
static const char *stuck_step(const struct exchange *ex)
{
        CURL *h = ex->handle;
        if (!ex->cfg->unix_socket && info_time_us(h, CURLINFO_NAMELOOKUP_TIME_T) == 0)
                return "resolving the host name";
        if (info_time_us(h, CURLINFO_CONNECT_TIME_T) == 0)
                return "connecting";
        if (ex->hop_https && info_time_us(h, CURLINFO_APPCONNECT_TIME_T) == 0)
                return "in the TLS handshake";
        if (info_time_us(h, CURLINFO_STARTTRANSFER_TIME_T) == 0)
                return "waiting for the answer";
        return "reading the answer";
}

static bool is_tls_error(CURLcode rc)
{
        switch (rc) {
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_CLIENTCERT:
        case CURLE_USE_SSL_FAILED:
                return true;
        default:
                return false;
        }
}

/* With TLS 1.3 a server checks the client's certificate after the client has finished its
 * side of the handshake: a refusal then shows as a failed read or write (a TLS alert, or a
 * reset) before any answer. */
static bool rejected_after_handshake(const struct exchange *ex, CURLcode rc)
{
        return ex->hop_https && (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR) &&
               info_time_us(ex->handle, CURLINFO_APPCONNECT_TIME_T) > 0 &&
               info_time_us(ex->handle, CURLINFO_STARTTRANSFER_TIME_T) == 0;
}

/* "connection refused by 127.0.0.1 port 8080", "cannot connect to unix socket /run/x.sock: No
 * such file or directory": who was asked, and what the system said. */
static void connect_failed(const struct exchange *ex, long os_errno, const char *why,
                           struct check_result *res)
{
        char peer[400];
        struct http_url hop;
        struct pf_error ignored = {0};
        if (ex->cfg->unix_socket) {
                char q[QUOTE_BUF];
                snprintf(peer, sizeof(peer), "unix socket %s",
                         text_quote(ex->cfg->unix_socket, q, sizeof(q)));
        } else if (http_parse_url(ex->url, &hop, &ignored) == PF_OK) {
                snprintf(peer, sizeof(peer), "%s port %u", hop.host, hop.port);
        } else {
                snprintf(peer, sizeof(peer), "the server");
        }
        if (os_errno == ECONNREFUSED)
                result_set(res, PF_HTTP_UNREACHABLE, "connection refused by %s", peer);
        else if (os_errno > 0)
                result_set(res, PF_HTTP_UNREACHABLE, "cannot connect to %s: %s", peer,
                           strerror((int)os_errno));
        else
                result_set(res, PF_HTTP_UNREACHABLE, "cannot connect to %s: %s", peer, why);
}

/* Maps a failed transfer to the check's codes, with a message that says why. */
static void transfer_failed(const struct exchange *ex, CURLcode rc, uint64_t started_us,
                            const struct attempt *attempt, struct check_result *res)
{
        char why[CURL_ERROR_SIZE], printable[CURL_ERROR_SIZE];
        copy_printable(printable, sizeof(printable),
                       ex->error[0] ? ex->error : curl.easy_strerror(rc));
        http_secrets_hide(&ex->secrets, printable, strlen(printable), why, sizeof(why));
        double seconds = (double)(clock_now_us() - started_us) / 1e6;
        long os_errno = info_long(ex->handle, CURLINFO_OS_ERRNO);
        result_detail(res, "libcurl: %s (error %d)", why, (int)rc);

        /* Whatever libcurl says after the deadline (a resolver giving up, say), time ran out. */
        if (rc == CURLE_OPERATION_TIMEDOUT || deadline_passed(attempt->deadline_us)) {
                if (attempt->number > 1) /* under --wait: this attempt had what was left */
                        result_set(res, PF_HTTP_TIMEOUT,
                                   "timed out %s (attempt %u, its last "
                                   "%.1fs)",
                                   stuck_step(ex), attempt->number, seconds);
                else
                        result_set(res, PF_HTTP_TIMEOUT, "timed out after %.1fs %s", seconds,
                                   stuck_step(ex));
                return;
        }
        if (is_tls_error(rc) || rejected_after_handshake(ex, rc)) {
                if (is_tls_error(rc) || strstr(why, "alert"))
                        result_set(res, PF_HTTP_TLS, "TLS failure: %s", why);
                else
                        result_set(res, PF_HTTP_TLS,
                                   "TLS failure: the server closed the "
                                   "connection right after the handshake (%s)",
                                   why);
                if (rc == CURLE_PEER_FAILED_VERIFICATION)
                        result_fix(res, "give the CA that signed the server's certificate with "
                                        "--cacert FILE, or fix the server's certificate");
                else if (!ex->cfg->cert && !is_tls_error(rc))
                        result_fix(res, "if the server wants a client certificate, give --cert "
                                        "FILE and --key FILE");
                return;
        }
        switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST:
                result_set(res, PF_HTTP_UNREACHABLE, "cannot resolve the host name: %s", why);
                return;
        case CURLE_COULDNT_CONNECT:
                connect_failed(ex, os_errno, why, res);
                return;
        case CURLE_OUT_OF_MEMORY:
                /* libcurl 7.88 says so, too, of a header line over its 100 KiB limit. */
                if (info_long(ex->handle, CURLINFO_RESPONSE_CODE) > 0) {
                        result_set(res, PF_HTTP_UNREACHABLE,
                                   "no usable answer: a header line "
                                   "longer than libcurl accepts");
                        return;
                }
                result_set(res, PF_INTERNAL, "out of memory");
                return;
        case CURLE_URL_MALFORMAT:
                result_set(res, PF_USAGE, "libcurl rejects the URL: %s", why);
                return;
        default:
                result_set(res, PF_HTTP_UNREACHABLE, "no usable answer: %s", why);
                return;
        }
}

/* The header value the expectation is about, or NULL when the answer lacks the header. */
static bool header_matches(const struct exchange *ex, const struct http_header_expectation *want,
                           const char **first_value)
{
        struct curl_header *header = NULL;
        *first_value = NULL;
        if (curl.easy_header(ex->handle, want->name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK)
                return false;
        *first_value = header->value;
        if (!want->value)
                return true;
        size_t amount = header->amount;
        for (size_t i = 0; i < amount; i++) {
                if (i > 0 && curl.easy_header(ex->handle, want->name, i, CURLH_HEADER, -1,
                                              &header) != CURLHE_OK)
                        return false;
                if (strcmp(header->value, want->value) == 0)
                        return true;
        }
        return false;
}

static bool body_contains(const struct body *body, const char *text)
{
        return memmem(body->data, body->len, text, strlen(text)) != NULL;
}

static bool body_matches(const struct body *body, const regex_t *re)
{
#ifdef REG_STARTEND
        /* The whole kept body, NUL bytes included. */
        regmatch_t range = {.rm_so = 0, .rm_eo = (regoff_t)body->len};
        return regexec(re, body->data, 1, &range, REG_STARTEND) == 0;
#else
        return regexec(re, body->data, 0, NULL, 0) == 0;
#endif
}

/* "the body starts 'ready...'" or "the body is empty": what was there, short and safe. */
static void body_excerpt(const struct exchange *ex, char *buf, size_t size)
{
        char start[96];
        /* Enough input that a secret starting in what is shown is seen whole, and hidden. */
        size_t window = sizeof(start) + ex->secrets.longest;
        http_secrets_hide(&ex->secrets, ex->body.data,
                          ex->body.len < window ? ex->body.len : window, start, sizeof(start));
        size_t len = strlen(start);
        while (len > 0 && isspace((unsigned char)start[len - 1]))
                start[--len] = '\0'; /* a trailing line break says nothing */
        if (len == 0) {
                snprintf(buf, size, "the body is empty");
        } else {
                char q[QUOTE_BUF];
                snprintf(buf, size, "the body starts '%s'", text_quote(start, q, sizeof(q)));
        }
}

static const char *hidden(const struct exchange *ex, const char *text, char *buf, size_t size)
{
        http_secrets_hide(&ex->secrets, text, strlen(text), buf, size);
        return buf;
}

/* Decides the answer against the expectations; sets res in every case. */
static void judge_answer(const struct exchange *ex, long status, struct check_result *res)
{
        const struct http_config *cfg = ex->cfg;
        char q1[QUOTE_BUF], q2[QUOTE_BUF], excerpt[400], hops[48] = "";
        if (ex->redirects > 0)
                snprintf(hops, sizeof(hops), " after %u redirect%s", ex->redirects,
                         ex->redirects == 1 ? "" : "s");
        body_excerpt(ex, excerpt, sizeof(excerpt));

        if (!http_status_expected(&cfg->statuses, status)) {
                result_set(res, PF_HTTP_STATUS, "answered %ld%s, expected %s; %s", status, hops,
                           text_quote(cfg->statuses_text, q1, sizeof(q1)), excerpt);
                return;
        }
        for (unsigned i = 0; i < cfg->n_expect_header; i++) {
                const struct http_header_expectation *want = &cfg->expect_header[i];
                const char *got;
                if (header_matches(ex, want, &got))
                        continue;
                if (!got) {
                        result_set(res, PF_HTTP_MISMATCH, "answered %ld%s but has no %s header",
                                   status, hops, text_quote(want->name, q1, sizeof(q1)));
                } else {
                        char got_shown[512];
                        result_set(res, PF_HTTP_MISMATCH,
                                   "answered %ld%s with %s: '%s', expected '%s'", status, hops,
                                   want->name,
                                   text_quote(hidden(ex, got, got_shown, sizeof(got_shown)), q1,
                                              sizeof(q1)),
                                   text_quote(want->value, q2, sizeof(q2)));
                }
                return;
        }
        const char *capped = ex->body.capped ? " (first 64 KiB)" : "";
        if (cfg->expect_body && !body_contains(&ex->body, cfg->expect_body)) {
                result_set(res, PF_HTTP_MISMATCH, "answered %ld%s, but the body%s lacks '%s'; %s",
                           status, hops, capped, text_quote(cfg->expect_body, q1, sizeof(q1)),
                           excerpt);
                return;
        }
        if (cfg->body_regex_text && !body_matches(&ex->body, &cfg->body_regex)) {
                result_set(res, PF_HTTP_MISMATCH,
                           "answered %ld%s, but the body%s does not match '%s'; %s", status, hops,
                           capped, text_quote(cfg->body_regex_text, q1, sizeof(q1)), excerpt);
                return;
        }
        result_set(res, PF_OK, "answered %ld%s%s%s", status, hops,
                   cfg->n_expect_header ? ", headers as expected" : "",
                   cfg->expect_body || cfg->body_regex_text ? ", body as expected" : "");
}

/* Follows one redirect when --follow allows it. Returns true when there is a next hop; false
 * with res set when the redirect is refused, or with res untouched when this is the answer. */
static bool next_hop(struct exchange *ex, long status, struct check_result *res)
{
        char redacted[1024], shown[1024];
        char *location = NULL;
        if (!ex->cfg->follow || status < 300 || status > 399)
                return false;
        if (curl.easy_getinfo(ex->handle, CURLINFO_REDIRECT_URL, &location) != CURLE_OK ||
            !location)
                return false; /* a 304, or a 3xx without Location: this is the answer */
        http_url_redact(location, redacted, sizeof(redacted));
        hidden(ex, redacted, shown, sizeof(shown));
        if (!http_scheme_allowed(location)) {
                char q[QUOTE_BUF];
                result_set(res, PF_HTTP_STATUS,
                           "answered %ld, a redirect to '%s': only http and https are followed",
                           status, text_quote(shown, q, sizeof(q)));
                return false;
        }
        if (ex->redirects >= HTTP_MAX_REDIRECTS) {
                result_set(res, PF_HTTP_STATUS,
                           "answered %ld after %u redirects, and would go on "
                           "(at most %d are followed)",
                           status, ex->redirects, HTTP_MAX_REDIRECTS);
                return false;
        }
        char *next = strdup(location);
        if (!next) {
                result_set(res, PF_INTERNAL, "out of memory");
                return false;
        }
        CURLcode rc = CURLE_OK;
        if (ex->headers && !http_same_origin(ex->url, next)) {
                /* Tokens given with --header are for the origin they were given for. */
                rc = curl.easy_setopt(ex->handle, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
                ex->headers_dropped = true;
        }
        /* As browsers and curl -L do: 301, 302 and 303 turn a POST into a GET. */
        if (ex->cfg->method == METHOD_POST && status >= 301 && status <= 303)
                rc = rc ? rc : curl.easy_setopt(ex->handle, CURLOPT_HTTPGET, 1L);
        free(ex->url);
        ex->url = next;
        ex->redirects++;
        if (rc != CURLE_OK) {
                result_set(res, PF_INTERNAL, "libcurl: %s", curl.easy_strerror(rc));
                return false;
        }
        return true;
}

/* Facts for --verbose: where the answer came from and how long each step took. */
static void describe_exchange(const struct exchange *ex, struct check_result *res)
{
        static const struct {
                long version;
                const char *name;
        } versions[] = {{CURL_HTTP_VERSION_1_0, "HTTP/1.0"},
                        {CURL_HTTP_VERSION_1_1, "HTTP/1.1"},
                        {CURL_HTTP_VERSION_2_0, "HTTP/2"},
                        {CURL_HTTP_VERSION_3, "HTTP/3"}};
        CURL *h = ex->handle;
        char *ip = NULL;
        const char *peer, *version = "HTTP";
        long http_version = info_long(h, CURLINFO_HTTP_VERSION);
        for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
                if (versions[i].version == http_version)
                        version = versions[i].name;
        if (curl.easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && *ip)
                peer = ip;
        else
                peer = ex->cfg->unix_socket ? "the unix socket" : "?";
        result_detail(res,
                      "%s from %s port %ld: connected in %.1fms, first byte at %.1fms, %zu "
                      "bytes of body read%s%s",
                      version, peer, info_long(h, CURLINFO_PRIMARY_PORT),
                      (double)info_time_us(h, CURLINFO_CONNECT_TIME_T) / 1000.0,
                      (double)info_time_us(h, CURLINFO_STARTTRANSFER_TIME_T) / 1000.0, ex->body.len,
                      ex->body.capped ? " (then stopped: 64 KiB is enough)" : "",
                      ex->headers_dropped ? "; --header not sent after the redirect to another "
                                            "origin"
                                          : "");
}

static void http_run(const void *config, const void *parsed_target, const struct attempt *attempt,
                     struct check_result *res)
{
        const struct http_config *cfg = config;
        const char *target = ((const struct http_target *)parsed_target)->url;
        char why[512], redacted[sizeof(res->target)];
        struct http_url parsed;
        struct pf_error err;
        uint64_t started_us = clock_now_us();
        struct exchange ex = {.cfg = cfg};

        if (!http_secrets_collect(&ex.secrets, cfg->header, cfg->n_header, target)) {
                result_set(res, PF_INTERNAL, "out of memory");
                return;
        }
        http_url_redact(target, redacted, sizeof(redacted));
        hidden(&ex, redacted, res->target, sizeof(res->target));
        if (http_parse_url(target, &parsed, &err) != PF_OK) {
                result_set(res, PF_USAGE, "%s", err.msg);
                exchange_free(&ex);
                return;
        }
        int loaded = curl_load(why, sizeof(why));
        if (loaded == PF_NO_LIBRARY) {
                result_set(res, PF_NO_LIBRARY, "libcurl is not installed: %s", why);
                result_fix(res, "apt-get install %s", HTTP_DEBIAN_PACKAGE);
                exchange_free(&ex);
                return;
        }
        if (loaded != PF_OK) {
                result_set(res, PF_INTERNAL, "libcurl is installed but cannot be loaded: %s", why);
                result_fix(res, "look at the unit's LimitAS= (or ulimit -v) and at ldd on the "
                                "library the message names");
                exchange_free(&ex);
                return;
        }
        ex.handle = curl.easy_init();
        ex.body.data = malloc(HTTP_BODY_CAP + 1);
        ex.url = strdup(target);
        if (!ex.handle || !ex.body.data || !ex.url) {
                result_set(res, PF_INTERNAL, "out of memory");
                exchange_free(&ex);
                return;
        }
        CURLcode rc = exchange_setup(&ex);
        if (rc == CURLE_UNKNOWN_OPTION || rc == CURLE_NOT_BUILT_IN) {
                result_set(res, PF_NO_LIBRARY,
                           "this libcurl lacks a feature the check needs "
                           "(%s); it needs libcurl 7.87 or later",
                           curl.easy_strerror(rc));
                result_fix(res, "apt-get install %s", HTTP_DEBIAN_PACKAGE);
                exchange_free(&ex);
                return;
        }
        if (rc != CURLE_OK) {
                result_set(res, PF_INTERNAL, "libcurl: %s", curl.easy_strerror(rc));
                exchange_free(&ex);
                return;
        }
        for (;;) {
                if (deadline_passed(attempt->deadline_us)) {
                        result_set(res, PF_HTTP_TIMEOUT, "timed out after %.1fs before %s",
                                   (double)(clock_now_us() - started_us) / 1e6,
                                   ex.redirects ? "the next redirect" : "connecting");
                        break;
                }
                struct http_url hop;
                ex.hop_https = http_parse_url(ex.url, &hop, &err) == PF_OK && hop.https;
                rc = exchange_perform(&ex, attempt->deadline_us);
                if (rc != CURLE_OK) {
                        transfer_failed(&ex, rc, started_us, attempt, res);
                        break;
                }
                long status = info_long(ex.handle, CURLINFO_RESPONSE_CODE);
                struct curl_header *length;
                if (curl.easy_header(ex.handle, "Content-Length", 0, CURLH_HEADER, -1, &length) ==
                        CURLHE_OK &&
                    !http_content_length_valid(length->value)) {
                        char q[QUOTE_BUF];
                        result_set(res, PF_HTTP_UNREACHABLE,
                                   "no usable answer: Content-Length '%s' is not a size",
                                   text_quote(length->value, q, sizeof(q)));
                        break;
                }
                if (next_hop(&ex, status, res))
                        continue;
                if (res->message[0] == '\0')
                        judge_answer(&ex, status, res);
                if (attempt->verbose && !res->detail[0])
                        describe_exchange(&ex, res);
                break;
        }
        exchange_free(&ex);
}

const struct check check_http = {
    .name = "http",
    .summary = "does this URL answer as a ready service answers?",
    .usage = "URL... [--expect-status LIST] [--expect-body TEXT] [--follow]",
    .help = "Sends one request (GET unless --method says otherwise) and passes when the answer "
            "has an\nexpected status (200-399 by default, as Kubernetes probes) and every "
            "--expect-* holds.\nOnly http:// and https:// are used, also after redirects, "
            "which are followed only\nwith --follow (10 at most). The first 64 KiB of the "
            "body are matched; the rest is not\nread. Proxy variables are ignored. Values of "
            "--header and passwords in the URL are\nnever shown. Codes: 50 unreachable, 51 "
            "timed out, 52 unexpected status, 53 body or\nheader mismatch, 54 TLS failure, 5 "
            "libcurl missing (apt-get install libcurl4).",
    .options = http_options,
    .min_targets = 1,
    .max_targets = 16,
    .timeout_code = PF_HTTP_TIMEOUT,
    /* With --invert, the answer a ready service gives is the one not wanted: reported as an
     * unexpected status, a transient code, so --invert --wait waits for it to change. */
    .inverted_code = PF_HTTP_STATUS,
    .config_size = sizeof(struct http_config),
    .init = http_init,
    .parse_option = http_parse_option,
    .target_size = sizeof(struct http_target),
    .parse_target = http_parse_target,
    .finish = http_finish,
    .run = http_run,
    .release = http_release,
};
