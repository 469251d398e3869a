/* Unit tests of run --http-response's request parser (core/http_response.c): what each request
 * is answered, that an incomplete one asks for more, the size bound, and that a request cut at
 * every byte never gives an answer it would not give whole. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http_response.h"

Suite *suite_http_response(void);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
        const char *text;
        int status; /* 0: run the chain; -1: needs more */
        bool head;
} cases[] = {
    {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, false},
    {"GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n", 0,
     false},
    {"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", 0, true},
    {"GET / HTTP/1.0\r\n\r\n", 0, false},                     /* 1.0 needs no Host */
    {"GET / HTTP/1.1\nHost: a\n\n", 0, false},                /* bare LF line ends */
    {"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, false},  /* empty lines first */
    {"GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n", 0, false}, /* absolute-form */
    {"GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", 0, false},    /* empty value */
    {"GET / HTTP/1.1\r\nhOsT: a\r\nX-A: \t b \x80\r\n\r\n", 0, false},
    {"GET / HTTP/1.1\r\nHost: a\r\n", -1, false},
    {"GET / HTTP/1.1", -1, false},
    {"", -1, false},
    {"POST / HTTP/1.1\r\nHost: a\r\n\r\n", 405, false},
    {"DELETE / HTTP/1.1\r\n", 405, false},             /* known at the request line */
    {"get / HTTP/1.1\r\nHost: a\r\n\r\n", 405, false}, /* methods are case-sensitive */
    {"GET / HTTP/2.0\r\n", 505, false},
    {"GET / HTTP/0.9\r\n", 505, false},
    {"GET / HTTP/1.1\r\n\r\n", 400, false},                       /* no Host */
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, false}, /* two */
    {"GET  / HTTP/1.1\r\n", 400, false},
    {"GET / HTTP/1.1 \r\n", 400, false},
    {"GET /\r\n", 400, false},
    {"GET * HTTP/1.1\r\n", 400, false},
    {"GET x HTTP/1.1\r\n", 400, false},
    {"GET / HTTP/1.10\r\n", 400, false},
    {"GET / http/1.1\r\n", 400, false},
    {"G(T / HTTP/1.1\r\n", 400, false},
    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, false},
    {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, false},
    {"GET / HTTP/1.1\r\nNo colon\r\n", 400, false},
    {"GET / HTTP/1.1\r\n: a\r\n", 400, false},
    {"GET / HTTP/1.1\r\nX: a\x01\r\n", 400, false},
    {"GET / HTTP/1.1\r\nX: a\rb\r\n", 400, false},
    {"GET / HTTP/1.1\r\nX: a\x7f\r\n", 400, false},
    {"GET /\x01 HTTP/1.1\r\n", 400, false},
    {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, false}, /* a TLS ClientHello */
};

START_TEST(test_case)
{
        const char *text = cases[_i].text;
        size_t len = strlen(text);
        if (_i == ARRAY_SIZE(cases) - 1)
                len = 11; /* the ClientHello's NUL bytes */
        struct http_request req;
        enum http_parse r = http_request_parse(text, len, HTTP_REQUEST_MAX_BYTES, &req);
        if (cases[_i].status < 0) {
                ck_assert_msg(r == HTTP_PARSE_MORE, "case %d: wanted more, got %d", _i, req.status);
                return;
        }
        ck_assert_msg(r == HTTP_PARSE_DONE, "case %d: asked for more", _i);
        ck_assert_msg(req.status == cases[_i].status, "case %d: %d, expected %d (%s)", _i,
                      req.status, cases[_i].status, req.reason);
        ck_assert_ptr_nonnull(req.reason);
        if (req.status == 0) {
                ck_assert(req.head == cases[_i].head);
                ck_assert_uint_eq(req.header_len, len);
        }
}
END_TEST

/* Every prefix of a good request asks for more: no answer before the empty line. */
START_TEST(test_prefixes)
{
        const char *text = "GET /a HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
        struct http_request req;
        for (size_t len = 0; len < strlen(text); len++)
                ck_assert_msg(http_request_parse(text, len, HTTP_REQUEST_MAX_BYTES, &req) ==
                                  HTTP_PARSE_MORE,
                              "answered %d at %zu bytes", req.status, len);
        ck_assert(http_request_parse(text, strlen(text), HTTP_REQUEST_MAX_BYTES, &req) ==
                  HTTP_PARSE_DONE);
        ck_assert_int_eq(req.status, 0);
}
END_TEST

/* Bytes after the empty line (a body, a pipelined request) are not the headers'. */
START_TEST(test_extra)
{
        const char *text = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n";
        struct http_request req;
        ck_assert(http_request_parse(text, strlen(text), HTTP_REQUEST_MAX_BYTES, &req) ==
                  HTTP_PARSE_DONE);
        ck_assert_int_eq(req.status, 0);
        ck_assert_uint_eq(req.header_len, strlen("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
}
END_TEST

/* The bound: headers that end at max bytes pass; a byte more is 431, with or without a line end
 * in the buffer; the method and target are kept for the journal, cut. */
START_TEST(test_bound)
{
        size_t max = HTTP_REQUEST_MAX_BYTES;
        char *buf = malloc(max + 1);
        ck_assert_ptr_nonnull(buf);
        const char *start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
        size_t n = strlen(start);
        memcpy(buf, start, n);
        memset(buf + n, 'a', max - n - 4);
        memcpy(buf + max - 4, "\r\n\r\n", 4);
        struct http_request req;
        ck_assert(http_request_parse(buf, max, max, &req) == HTTP_PARSE_DONE);
        ck_assert_int_eq(req.status, 0);
        memcpy(buf + max - 4, "a\r\n\r", 4);
        ck_assert(http_request_parse(buf, max, max, &req) == HTTP_PARSE_DONE);
        ck_assert_int_eq(req.status, 431);
        /* A request line longer than the bound. */
        memcpy(buf, "GET /", 5);
        memset(buf + 5, 'b', max - 5);
        ck_assert(http_request_parse(buf, max, max, &req) == HTTP_PARSE_DONE);
        ck_assert_int_eq(req.status, 431);
        ck_assert_uint_lt(strlen(req.target), sizeof(req.target));
        /* More than max given: only max are read. */
        ck_assert(http_request_parse(buf, max + 1, max, &req) == HTTP_PARSE_DONE);
        ck_assert_int_eq(req.status, 431);
        free(buf);
}
END_TEST

START_TEST(test_status_text)
{
        ck_assert_str_eq(http_status_text(200), "OK");
        ck_assert_str_eq(http_status_text(503), "Service Unavailable");
        ck_assert_str_eq(http_status_text(408), "Request Timeout");
        ck_assert_str_eq(http_status_text(431), "Request Header Fields Too Large");
        ck_assert_str_eq(http_status_text(405), "Method Not Allowed");
}
END_TEST

Suite *suite_http_response(void)
{
        Suite *s = suite_create("http_response");
        TCase *t = tcase_create("request");
        tcase_add_loop_test(t, test_case, 0, ARRAY_SIZE(cases));
        tcase_add_test(t, test_prefixes);
        tcase_add_test(t, test_extra);
        tcase_add_test(t, test_bound);
        tcase_add_test(t, test_status_text);
        suite_add_tcase(s, t);
        return s;
}
