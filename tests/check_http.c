/* Unit tests of the http check's parts that need no network: status lists, header expectations,
 * request headers, URLs as libcurl's URL API reads them (libcurl is loaded for them, as for an
 * http line), their redaction and origins, secret hiding, and the check's option parsing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/http/http.h"
#include "core/check.h"
#include "core/invocation.h"

Suite *suite_http(void);

/* ---- --expect-status ---- */

START_TEST(test_status_lists)
{
        struct http_status_set set;
        struct pf_error err = {0};
        ck_assert_int_eq(http_parse_status_list("200", &set, &err), PF_OK);
        ck_assert(http_status_expected(&set, 200));
        ck_assert(!http_status_expected(&set, 201));
        ck_assert(!http_status_expected(&set, 199));

        ck_assert_int_eq(http_parse_status_list("200-299,301", &set, &err), PF_OK);
        ck_assert_uint_eq(set.count, 2);
        ck_assert(http_status_expected(&set, 200));
        ck_assert(http_status_expected(&set, 250));
        ck_assert(http_status_expected(&set, 299));
        ck_assert(http_status_expected(&set, 301));
        ck_assert(!http_status_expected(&set, 300));
        ck_assert(!http_status_expected(&set, 302));
        ck_assert(!http_status_expected(&set, 0)); /* no answer has no status */

        ck_assert_int_eq(http_parse_status_list("503, 200 - 204", &set, &err), PF_USAGE);
        ck_assert_int_eq(http_parse_status_list("503, 204", &set, &err), PF_OK);
        ck_assert(http_status_expected(&set, 503) && http_status_expected(&set, 204));
        ck_assert_int_eq(http_parse_status_list("100-599", &set, &err), PF_OK);
        ck_assert(http_status_expected(&set, 100) && http_status_expected(&set, 599));
        ck_assert_int_eq(http_parse_status_list("404-404", &set, &err), PF_OK);
        ck_assert(http_status_expected(&set, 404) && !http_status_expected(&set, 405));
}
END_TEST

static const char *const bad_status_lists[] = {
    "",     "2xx",         "20",       "2000",  "099",   "600",     "200-",
    "-200", "299-200",     "200,,301", "200,",  ",200",  "200 301", "200;301",
    "+200", "200-300-400", "1e2",      "200\n", "0x0c8",
};

START_TEST(test_status_list_bad)
{
        struct http_status_set set = {.count = 7};
        struct pf_error err = {0};
        const char *text = bad_status_lists[_i];
        ck_assert_msg(http_parse_status_list(text, &set, &err) == PF_USAGE, "'%s' accepted", text);
        ck_assert_ptr_nonnull(strstr(err.msg, "--expect-status"));
        ck_assert_uint_eq(set.count, 7); /* untouched on failure */
}
END_TEST

START_TEST(test_status_list_limit)
{
        struct http_status_set set;
        struct pf_error err = {0};
        char list[256] = "200";
        for (int i = 1; i < HTTP_STATUS_ITEMS_MAX; i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), ",%d", 200 + i);
        ck_assert_int_eq(http_parse_status_list(list, &set, &err), PF_OK);
        ck_assert_uint_eq(set.count, HTTP_STATUS_ITEMS_MAX);
        strcat(list, ",299");
        ck_assert_int_eq(http_parse_status_list(list, &set, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "at most"));
}
END_TEST

/* ---- --expect-header and --header ---- */

START_TEST(test_header_expectations)
{
        struct http_header_expectation want;
        struct pf_error err = {0};
        ck_assert_int_eq(http_parse_header_expectation("X-Ready: yes", &want, &err), PF_OK);
        ck_assert_str_eq(want.name, "X-Ready");
        ck_assert_str_eq(want.value, "yes");
        free(want.name);
        ck_assert_int_eq(
            http_parse_header_expectation("Content-Type:  text/plain; a=b \t", &want, &err), PF_OK);
        ck_assert_str_eq(want.name, "Content-Type");
        ck_assert_str_eq(want.value, "text/plain; a=b");
        free(want.name);
        ck_assert_int_eq(http_parse_header_expectation("X-Ready", &want, &err), PF_OK);
        ck_assert_str_eq(want.name, "X-Ready");
        ck_assert_ptr_null(want.value);
        free(want.name);
        ck_assert_int_eq(http_parse_header_expectation("X-Ready:", &want, &err), PF_OK);
        ck_assert_ptr_null(want.value);
        free(want.name);
        ck_assert_int_eq(http_parse_header_expectation("ETag: \"a:b\"", &want, &err), PF_OK);
        ck_assert_str_eq(want.value, "\"a:b\"");
        free(want.name);

        static const char *const bad[] = {
            "",          ": yes",  "X Ready: yes", "X-Ready yes", "X-Ready: a\r\nX-Evil: 1",
            "Na(me): v", "\x01: v"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ck_assert_msg(http_parse_header_expectation(bad[i], &want, &err) == PF_USAGE,
                              "'%s' accepted", bad[i]);
                ck_assert_ptr_nonnull(strstr(err.msg, "--expect-header"));
                ck_assert_ptr_null(strchr(err.msg, '\r'));
        }
}
END_TEST

START_TEST(test_request_headers)
{
        struct pf_error err = {0};
        ck_assert_int_eq(http_validate_request_header("Authorization: Bearer abc", &err), PF_OK);
        ck_assert_int_eq(http_validate_request_header("Host: example.test", &err), PF_OK);
        ck_assert_int_eq(http_validate_request_header("X-Remove-Me:", &err), PF_OK);

        /* Errors never repeat the value: it may be a token. */
        ck_assert_int_eq(http_validate_request_header("Bearer sekrit-token", &err), PF_USAGE);
        ck_assert_ptr_null(strstr(err.msg, "sekrit"));
        ck_assert_ptr_nonnull(strstr(err.msg, "--header"));
        ck_assert_int_eq(http_validate_request_header("X-Token: sekrit\r\nX-Evil: 1", &err),
                         PF_USAGE);
        ck_assert_ptr_null(strstr(err.msg, "sekrit"));
        ck_assert_ptr_nonnull(strstr(err.msg, "X-Token"));
        ck_assert_int_eq(http_validate_request_header(": sekrit", &err), PF_USAGE);
        ck_assert_ptr_null(strstr(err.msg, "sekrit"));
        ck_assert_int_eq(http_validate_request_header("X Token: sekrit", &err), PF_USAGE);
        ck_assert_ptr_null(strstr(err.msg, "sekrit"));
}
END_TEST

/* ---- URLs ---- */

static const struct {
        const char *url;
        bool https;
        const char *host;
        unsigned port;
        const char *shown;
} good_urls[] = {
    {"http://127.0.0.1:9000/healthz", false, "127.0.0.1", 9000, "http://127.0.0.1:9000/healthz"},
    {"https://example.test/", true, "example.test", 443, "https://example.test/"},
    /* libcurl's form is shown: the scheme in lower case, a path at least "/" */
    {"HTTP://Example.TEST", false, "example.test", 80, "http://Example.TEST/"},
    {"http://[::1]:8080/x?y=1#z", false, "[::1]", 8080, "http://[::1]:8080/x?y=1#z"},
    {"http://[0:0::1]/", false, "[::1]", 80, "http://[::1]/"},
    {"https://[fe80::1%25eth0]/", true, "[fe80::1]", 443, "https://[fe80::1%25eth0]/"},
    {"http://user:pa:ss@host:81/", false, "host", 81, "http://user:***@host:81/"},
    {"http://host:/", false, "host", 80, "http://host/"},
    {"http://host:080/", false, "host", 80, "http://host:80/"},
    {"http://host?q", false, "host", 80, "http://host/?q"},
    {"http://localhost/a/../ok", false, "localhost", 80, "http://localhost/ok"},
    /* IPv4 in the forms libcurl reads, as browsers do */
    {"http://127.1:8080/", false, "127.0.0.1", 8080, "http://127.0.0.1:8080/"},
    {"http://0x7f.0.0.1/", false, "127.0.0.1", 80, "http://127.0.0.1/"},
    {"http://h%41st/", false, "hast", 80, "http://hAst/"},
    {"http://xn--hllo-bpa.test/", false, "xn--hllo-bpa.test", 80, "http://xn--hllo-bpa.test/"},
    {"http://u:p%40ss@host/", false, "host", 80, "http://u:***@host/"},
    {"http://t0ken@host/", false, "host", 80, "http://***@host/"},
    {"http://:pass@host/", false, "host", 80, "http://:***@host/"},
    {"http://user:pass@host", false, "host", 80, "http://user:***@host/"},
    {"http://user:pass@host/p?q=a@b", false, "host", 80, "http://user:***@host/p?q=a@b"},
};

START_TEST(test_url_good)
{
        struct http_url url;
        struct pf_error err = {0};
        ck_assert_msg(http_url_parse(good_urls[_i].url, &url, &err) == PF_OK, "'%s': %s",
                      good_urls[_i].url, err.msg);
        ck_assert_int_eq(url.https, good_urls[_i].https);
        ck_assert_str_eq(url.host, good_urls[_i].host);
        ck_assert_uint_eq(url.port, good_urls[_i].port);
        ck_assert_str_eq(url.shown, good_urls[_i].shown);
        ck_assert(!url.other_scheme);
        http_url_free(&url);
}
END_TEST

static const struct {
        const char *url;
        const char *message_part;
} bad_urls[] = {
    {"ftp://host/", "only http:// and https://"},
    {"file:///etc/passwd", "only http:// and https://"},
    {"gopher://host:70/", "only http:// and https://"},
    {"127.0.0.1:8080", "is not a URL"},
    {"://host", "is not a URL"},
    {"javascript:alert(1)", "is not a URL"},
    /* libcurl reads these as http://host/ and http://path/: typing mistakes, more likely */
    {"http:/host", "'http:/host' is not a URL"},
    {"http:///path", "'http:///path' is not a URL"},
    {"http://", "no host"},
    {"http://user@/path", "no host"},
    /* libcurl takes port 0; nothing listens there */
    {"http://host:0/", "1-65535"},
    {"http://host:65536/", "1-65535"},
    {"http://host:80x/", "1-65535"},
    {"http://host:-1/", "1-65535"},
    {"http://[::1]x/", "1-65535"},
    {"http://[::1/", "libcurl refuses the URL: Bad IPv6 address"},
    /* The hand parser took the last '@'; libcurl, which sends the request, the first. */
    {"http://a@b@host/", "Bad hostname (an '@' in a user name or password is written %40)"},
    {"http://host\\path", "libcurl refuses the URL: Bad hostname"},
    {"http://ho st/", "spaces or control"},
    {"http://host/\x1b[31m", "spaces or control"},
    {"http://host/\n", "spaces or control"},
    {"http://1.2.3.4.5/", "not an IPv4 address"},
    /* libcurl converts names with its IDN library in the C locale preflight runs in, and a
     * transfer would fail the same way */
    {"http://h\xc3\xa9llo.test/", "punycode"},
    /* libcurl refuses to send a user name that decodes to a NUL byte */
    {"http://a%00b@host/", "control character (%00 to %1F) once decoded"},
};

START_TEST(test_url_bad)
{
        struct http_url url;
        struct pf_error err = {0};
        ck_assert_msg(http_url_parse(bad_urls[_i].url, &url, &err) == PF_USAGE, "'%s' accepted",
                      bad_urls[_i].url);
        ck_assert_msg(strstr(err.msg, bad_urls[_i].message_part), "'%s': message '%s'",
                      bad_urls[_i].url, err.msg);
        ck_assert_ptr_null(strchr(err.msg, '\x1b'));
        ck_assert_ptr_null(strchr(err.msg, '\n'));
        http_url_free(&url);
}
END_TEST

START_TEST(test_url_long_host)
{
        char text[400] = "http://";
        memset(text + 7, 'a', 300);
        strcpy(text + 307, "/");
        struct http_url url;
        struct pf_error err = {0};
        ck_assert_int_eq(http_url_parse(text, &url, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "the host name is too long"));
        http_url_free(&url);
        /* A label past DNS's 63 bytes is ASCII: libcurl asks the resolver, not its IDN library,
         * which would refuse it (found by fuzz_url). */
        strcpy(text + 7 + 70, ".test/");
        ck_assert_msg(http_url_parse(text, &url, &err) == PF_OK, "%s", err.msg);
        ck_assert_uint_eq(strlen(url.host), 75);
        http_url_free(&url);
}
END_TEST

START_TEST(test_url_parts)
{
        struct http_url url;
        struct pf_error err = {0};
        ck_assert_int_eq(http_url_parse("http://a%40b:p%3Ass@host/", &url, &err), PF_OK);
        ck_assert_str_eq(url.user, "a%40b");
        ck_assert_str_eq(url.password, "p%3Ass");
        ck_assert_str_eq(url.user_decoded, "a@b");
        ck_assert_str_eq(url.password_decoded, "p:ss");
        /* What is asked for carries the credentials; what is shown does not. */
        ck_assert_str_eq(url.text, "http://a%40b:p%3Ass@host/");
        ck_assert_str_eq(url.shown, "http://a%40b:***@host/");
        http_url_free(&url);
        ck_assert_int_eq(http_url_parse("https://[fe80::1%25eth0]:8443/", &url, &err), PF_OK);
        ck_assert_str_eq(url.zone, "eth0");
        ck_assert_ptr_null(url.user);
        ck_assert_ptr_null(url.password);
        http_url_free(&url);
        ck_assert_int_eq(http_url_parse("ftp://h/", &url, &err), PF_USAGE);
        ck_assert(url.other_scheme); /* a redirect there is named as such */
        http_url_free(&url);
}
END_TEST

START_TEST(test_url_errors_hide_userinfo)
{
        static const struct {
                const char *url, *shown;
        } cases[] = {
            /* read by libcurl, refused here: libcurl's parts say what to hide */
            {"ftp://me:hunter2@host/", "'ftp://me:***@host/'"},
            {"http://me:hunter2@host:0/", "'http://me:***@host:0/'"},
            {"http://hunter2@1.2.3.4.5/", "'http://***@1.2.3.4.5/'"},
            {"http://me:hunter2%00@host/", "'http://me:***@host/'"},
            /* refused by libcurl: what precedes the last '@' is hidden */
            {"http://hunter2@host:99999/", "'***@host:99999/'"},
            {"http://me:hunter2@b@host/", "'***@host/'"},
            {"http//me:hunter2@host/", "'***@host/' is not a URL"},
            {"http://me:hunter2@ho st/", "'***@ho st/'"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct http_url url;
                struct pf_error err = {0};
                ck_assert_int_eq(http_url_parse(cases[i].url, &url, &err), PF_USAGE);
                ck_assert_msg(!strstr(err.msg, "hunter2"), "'%s': %s", cases[i].url, err.msg);
                ck_assert_msg(!strstr(url.shown, "hunter2"), "'%s': %s", cases[i].url, url.shown);
                ck_assert_msg(strstr(err.msg, cases[i].shown), "'%s': %s", cases[i].url, err.msg);
                http_url_free(&url);
        }
}
END_TEST

static bool same_origin(const char *a, const char *b)
{
        struct http_url ua, ub;
        struct pf_error err = {0};
        ck_assert_msg(http_url_parse(a, &ua, &err) == PF_OK, "%s: %s", a, err.msg);
        ck_assert_msg(http_url_parse(b, &ub, &err) == PF_OK, "%s: %s", b, err.msg);
        bool same = http_same_origin(&ua, &ub);
        ck_assert_int_eq(same, http_same_origin(&ub, &ua));
        http_url_free(&ua);
        http_url_free(&ub);
        return same;
}

/* --header values go along a redirect only to the origin they were given for. */
START_TEST(test_origins)
{
        ck_assert(same_origin("http://h/a", "http://h:80/b?c"));
        ck_assert(same_origin("http://u:p@H/a", "http://h/b"));
        ck_assert(same_origin("https://h/", "https://h:443/x"));
        ck_assert(same_origin("http://[::1]/", "http://[0:0::1]:80/"));
        ck_assert(same_origin("http://127.1/", "http://127.0.0.1/"));
        ck_assert(same_origin("http://h%41st/", "http://hast/"));
        ck_assert(!same_origin("http://h/", "https://h/"));
        ck_assert(!same_origin("https://h/", "https://h:8443/"));
        ck_assert(!same_origin("http://h/", "http://h:8080/"));
        ck_assert(!same_origin("http://h/", "http://other/"));
        ck_assert(!same_origin("http://127.0.0.1/", "http://localhost/"));
        ck_assert(!same_origin("http://[::1]/", "http://127.0.0.1/"));
        ck_assert(!same_origin("http://[fe80::1%25eth0]/", "http://[fe80::1%25eth1]/"));
        ck_assert(!same_origin("http://[fe80::1%25eth0]/", "http://[fe80::1]/"));
}
END_TEST

START_TEST(test_content_length)
{
        ck_assert(http_content_length_valid("0"));
        ck_assert(http_content_length_valid("6"));
        ck_assert(http_content_length_valid(" 42 "));
        ck_assert(http_content_length_valid("007"));
        ck_assert(http_content_length_valid("9223372036854775807"));
        ck_assert(http_content_length_valid("0009223372036854775807"));
        /* Not sizes: libcurl reads the body to the end of the connection for the first. */
        ck_assert(!http_content_length_valid("9223372036854775808"));
        ck_assert(!http_content_length_valid("99999999999999999999999"));
        ck_assert(!http_content_length_valid("-5"));
        ck_assert(!http_content_length_valid("+5"));
        ck_assert(!http_content_length_valid(""));
        ck_assert(!http_content_length_valid("5x"));
        ck_assert(!http_content_length_valid("5, 5"));
}
END_TEST

/* ---- secrets ---- */

static char *hide(const struct http_secrets *s, const char *text)
{
        static char out[512];
        http_secrets_hide(s, text, strlen(text), out, sizeof(out));
        return out;
}

START_TEST(test_secrets_from_headers)
{
        const char *headers[] = {"Authorization: Bearer abc123", "X-Key:k3y ",
                                 "X-Empty:", "X-Token: abc123-longer"};
        struct http_secrets s;
        ck_assert(http_secrets_collect(&s, headers, 4, NULL));
        ck_assert_str_eq(hide(&s, "GET /\nAuthorization: Bearer abc123\nX-Key: k3y\n"),
                         "GET /\nAuthorization: ***\nX-Key: ***\n");
        /* The longest secret wins, so none shows in part. */
        ck_assert_str_eq(hide(&s, "t=abc123-longer;"), "t=***;");
        ck_assert_str_eq(hide(&s, "nothing secret"), "nothing secret");
        http_secrets_free(&s);
        ck_assert_uint_eq(s.n, 0);
}
END_TEST

static void collect_from(struct http_secrets *s, const char *text)
{
        struct http_url url;
        struct pf_error err = {0};
        ck_assert_msg(http_url_parse(text, &url, &err) == PF_OK, "%s: %s", text, err.msg);
        ck_assert(http_secrets_collect(s, NULL, 0, &url));
        http_url_free(&url);
}

START_TEST(test_secrets_from_userinfo)
{
        struct http_secrets s;
        collect_from(&s, "http://u:p%40ss@host/");
        ck_assert_str_eq(hide(&s, "raw p%40ss, decoded p@ss"), "raw ***, decoded ***");
        /* base64("u:p@ss"), as libcurl sends it in Authorization: Basic. */
        ck_assert_str_eq(hide(&s, "Authorization: Basic dTpwQHNz"), "Authorization: Basic ***");
        ck_assert_str_eq(hide(&s, "http://u:p%40ss@host/"), "http://***@host/");
        http_secrets_free(&s);

        collect_from(&s, "http://t0ken@host/");
        /* base64("t0ken:") */
        ck_assert_str_eq(hide(&s, "t0ken dDBrZW46"), "*** ***");
        http_secrets_free(&s);

        /* the user name decoded too: base64("a@b:c") */
        collect_from(&s, "http://a%40b:c0de@host/");
        ck_assert_str_eq(hide(&s, "YUBiOmMwZGU= c0de a%40b:c0de"), "*** *** ***");
        http_secrets_free(&s);

        collect_from(&s, "http://host/");
        ck_assert_uint_eq(s.n, 0);
        http_secrets_free(&s);
}
END_TEST

START_TEST(test_secrets_hide_bounds)
{
        const char *headers[] = {"X-Token: sekrit"};
        struct http_secrets s;
        ck_assert(http_secrets_collect(&s, headers, 1, NULL));
        /* A body may hold NUL bytes; a secret after one is still hidden. */
        const char body[] = "a\0sekrit";
        char out[32];
        http_secrets_hide(&s, body, sizeof(body) - 1, out, sizeof(out));
        ck_assert_int_eq(memcmp(out, "a\0***", 6), 0);
        /* Cut at the buffer, always terminated. */
        char tiny[4];
        http_secrets_hide(&s, "abcdefgh", 8, tiny, sizeof(tiny));
        ck_assert_str_eq(tiny, "abc");
        http_secrets_hide(&s, "sekrit", 6, tiny, sizeof(tiny));
        ck_assert_str_eq(tiny, "***");
        http_secrets_free(&s);
}
END_TEST

/* ---- the check's options, through the shared parser ---- */

extern const struct check check_http;

static int parse_argv(struct invocation *inv, const char *const *argv, struct pf_error *err)
{
        int n = 0;
        while (argv[n])
                n++;
        return invocation_parse(inv, &check_http, n, (char **)argv, err);
}

START_TEST(test_options_good)
{
        struct invocation inv;
        struct pf_error err = {0};
        const char *argv[] = {"http://127.0.0.1:9000/healthz",
                              "--expect-status",
                              "200-299,301",
                              "--expect-body",
                              "ok",
                              "--expect-body-regex",
                              "^(ok|ready)$",
                              "--expect-header",
                              "X-Ready: yes",
                              "-H",
                              "X-Token: t",
                              "-L",
                              "-X",
                              "post",
                              "--unix-socket",
                              "/run/app.sock",
                              "-t",
                              "2s",
                              NULL};
        ck_assert_int_eq(parse_argv(&inv, argv, &err), PF_OK);
        ck_assert_uint_eq(inv.n_targets, 1);
        ck_assert_uint_eq(inv.timeout_us, 2000000);
        invocation_release(&inv);

        const char *later_wins[] = {"http://h/", "--expect-body-regex",
                                    "a",         "--expect-body-regex",
                                    "b",         "--expect-status",
                                    "200",       "--expect-status",
                                    "503",       NULL};
        ck_assert_int_eq(parse_argv(&inv, later_wins, &err), PF_OK);
        invocation_release(&inv);

        const char *several[] = {"http://a/", "https://b/", "--insecure", NULL};
        ck_assert_int_eq(parse_argv(&inv, several, &err), PF_OK);
        ck_assert_uint_eq(inv.n_targets, 2);
        invocation_release(&inv);
}
END_TEST

static const struct {
        const char *argv[8];
        const char *message_part;
} bad_options[] = {
    /* compiled when the option is parsed: a usage error, in PCRE2's words */
    {{"http://h/", "--expect-body-regex", "a(", NULL},
     "--expect-body-regex: 'a(' is refused: missing closing parenthesis"},
    {{"http://h/", "--expect-body-regex", "[z-a]", NULL}, "range out of order"},
    {{"http://h/", "--expect-body-regex", "\\<ok", NULL}, "write \\b for a word boundary"},
    {{"http://h/", "--expect-status", "2xx", NULL}, "'2xx'"},
    {{"http://h/", "--method", "DELETE", NULL}, "'DELETE' is not GET, HEAD or POST"},
    {{"http://h/", "-X", "HEAD", "--expect-body", "x", NULL}, "HEAD gets no body"},
    {{"http://h/", "--key", "/etc/hostname", NULL}, "--key needs --cert"},
    {{"https://h/", "-k", "--cacert", "/etc/hostname", NULL}, "contradict"},
    {{"https://h/", "--cacert", "/no/such/ca.pem", NULL}, "'/no/such/ca.pem': No such file"},
    {{"https://h/", "--cert", "/no/such.pem", NULL}, "--cert: cannot read"},
    {{"http://h/", "--expect-body", "", NULL}, "empty TEXT"},
    {{"http://h/", "--unix-socket", "", NULL}, "empty path"},
    {{"http://h/", "--header", "Bearer sekrit", NULL}, "not shown"},
    {{"ftp://h/", NULL}, "only http:// and https://"},
    {{"http://a@b@h/", NULL}, "'***@h/': libcurl refuses the URL: Bad hostname"},
    {{"http://h/", "http://h:0/", NULL}, "'http://h:0/': the port must be 1-65535"},
    {{"--follow", NULL}, "needs at least 1 argument"},
    {{"http://h/", "--expect-header", "X Y", NULL}, "--expect-header"},
};

START_TEST(test_options_bad)
{
        struct invocation inv;
        struct pf_error err = {0};
        ck_assert_int_eq(parse_argv(&inv, bad_options[_i].argv, &err), PF_USAGE);
        ck_assert_msg(strstr(err.msg, bad_options[_i].message_part), "case %d: message '%s'", _i,
                      err.msg);
        ck_assert_ptr_null(strstr(err.msg, "sekrit"));
        ck_assert_ptr_null(inv.config);
}
END_TEST

/* parse_target: what each line shows is libcurl's URL with its credentials, and any --header
 * value, hidden. */
START_TEST(test_targets_shown)
{
        struct invocation inv;
        struct pf_error err = {0};
        const char *argv[] = {"http://user:pw@127.0.0.1:9000/healthz?t=sekrit",
                              "HTTPS://t0ken@Example.TEST", "-H", "X-Token: sekrit", NULL};
        ck_assert_int_eq(parse_argv(&inv, argv, &err), PF_OK);
        ck_assert_uint_eq(inv.n_targets, 2);
        ck_assert_str_eq(inv.targets[0].shown, "http://user:***@127.0.0.1:9000/healthz?t=***");
        ck_assert_str_eq(inv.targets[1].shown, "https://***@Example.TEST/");
        const struct http_target *t = inv.targets[0].parsed;
        ck_assert_str_eq(t->url.text, "http://user:pw@127.0.0.1:9000/healthz?t=sekrit");
        ck_assert_uint_eq(t->url.port, 9000);
        ck_assert_uint_ge(t->secrets.n, 2); /* the header value and the password at least */
        invocation_release(&inv);
}
END_TEST

START_TEST(test_option_limits)
{
        struct invocation inv;
        struct pf_error err = {0};
        const char *argv[2 * HTTP_HEADERS_MAX + 4];
        int n = 0;
        argv[n++] = "http://h/";
        for (int i = 0; i <= HTTP_HEADERS_MAX; i++) {
                argv[n++] = "-H";
                argv[n++] = "X-A: b";
        }
        argv[n] = NULL;
        ck_assert_int_eq(parse_argv(&inv, argv, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "--header: at most"));

        char socket_path[200];
        memset(socket_path, 's', sizeof(socket_path) - 1);
        socket_path[0] = '/';
        socket_path[sizeof(socket_path) - 1] = '\0';
        const char *long_socket[] = {"http://h/", "--unix-socket", socket_path, NULL};
        ck_assert_int_eq(parse_argv(&inv, long_socket, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "longer than a unix socket path"));
        const char *relative_socket[] = {"http://h/", "--unix-socket", "run/app.sock", NULL};
        ck_assert_int_eq(parse_argv(&inv, relative_socket, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "must be absolute"));
}
END_TEST

Suite *suite_http(void)
{
        Suite *s = suite_create("http");
        TCase *tc = tcase_create("status lists");
        tcase_add_test(tc, test_status_lists);
        tcase_add_loop_test(tc, test_status_list_bad, 0,
                            sizeof(bad_status_lists) / sizeof(bad_status_lists[0]));
        tcase_add_test(tc, test_status_list_limit);
        suite_add_tcase(s, tc);
        tc = tcase_create("headers");
        tcase_add_test(tc, test_header_expectations);
        tcase_add_test(tc, test_request_headers);
        suite_add_tcase(s, tc);
        tc = tcase_create("urls");
        tcase_add_loop_test(tc, test_url_good, 0, sizeof(good_urls) / sizeof(good_urls[0]));
        tcase_add_loop_test(tc, test_url_bad, 0, sizeof(bad_urls) / sizeof(bad_urls[0]));
        tcase_add_test(tc, test_url_long_host);
        tcase_add_test(tc, test_url_parts);
        tcase_add_test(tc, test_url_errors_hide_userinfo);
        tcase_add_test(tc, test_origins);
        tcase_add_test(tc, test_content_length);
        suite_add_tcase(s, tc);
        tc = tcase_create("secrets");
        tcase_add_test(tc, test_secrets_from_headers);
        tcase_add_test(tc, test_secrets_from_userinfo);
        tcase_add_test(tc, test_secrets_hide_bounds);
        suite_add_tcase(s, tc);
        tc = tcase_create("options");
        tcase_add_test(tc, test_options_good);
        tcase_add_loop_test(tc, test_options_bad, 0, sizeof(bad_options) / sizeof(bad_options[0]));
        tcase_add_test(tc, test_option_limits);
        tcase_add_test(tc, test_targets_shown);
        suite_add_tcase(s, tc);
        return s;
}
