/* The http check's options, and their checks as a whole. */
#include "checks/http/http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/regex.h"
#include "core/text.h"

#define HTTP_DEFAULT_STATUSES "200-399"

static const char *const method_names[] = {
    [HTTP_GET] = "GET", [HTTP_HEAD] = "HEAD", [HTTP_POST] = "POST"};

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

const struct check_option http_options[] = {
    [OPT_EXPECT_STATUS] = {"expect-status", 0, "LIST",
                           "statuses that pass: 200, 200-299,301 (default 200-399)"},
    [OPT_EXPECT_BODY] = {"expect-body", 0, "TEXT", "the body (its first 64 KiB) must contain TEXT"},
    [OPT_EXPECT_BODY_REGEX] = {"expect-body-regex", 0, "RE",
                               "the body (first 64 KiB) must match RE (PCRE2, ^ $ per line)"},
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

void http_init(void *config)
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

/* Compiled now, so that a pattern that cannot be used is a usage error (and a missing PCRE2
 * is 5) before anything runs; a later one wins. */
static int parse_regex(struct http_config *cfg, const char *value, struct pf_error *err)
{
        char why[sizeof(err->msg)];
        struct body_regex *re;
        int r = body_regex_compile(value, &re, why, sizeof(why));
        if (r != PF_OK) {
                (void)pf_error_set(err, "%s", why); /* names the option and the pattern */
                return r;
        }
        body_regex_free(cfg->body_regex);
        cfg->body_regex = re;
        cfg->body_regex_text = value;
        return PF_OK;
}

int http_parse_option(void *config, unsigned option, const char *value, struct pf_error *err)
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

int http_finish(void *config, unsigned targets, struct pf_error *err)
{
        (void)targets;
        const struct http_config *cfg = config;
        if (cfg->method == HTTP_HEAD && (cfg->expect_body || cfg->body_regex))
                return pf_error_set(err, "--method HEAD gets no body: --expect-body and "
                                         "--expect-body-regex need GET or POST");
        if (cfg->key && !cfg->cert)
                return pf_error_set(err, "--key needs --cert (the certificate it belongs to)");
        if (cfg->insecure && cfg->cacert)
                return pf_error_set(err, "--insecure and --cacert contradict each other: "
                                         "--cacert verifies, --insecure does not");
        return PF_OK;
}

void http_release(void *config)
{
        struct http_config *cfg = config;
        for (unsigned i = 0; i < cfg->n_expect_header; i++)
                free(cfg->expect_header[i].name);
        cfg->n_expect_header = 0;
        body_regex_free(cfg->body_regex);
        cfg->body_regex = NULL;
}
