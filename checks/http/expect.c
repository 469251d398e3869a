/* What an http answer must be: the status lists, header and body expectations, and the
 * judging of an answer against them. */
#include "checks/http/curl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/regex.h"
#include "core/text.h"

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

/* The header value the expectation is about, or NULL when the answer lacks the header. */
static bool header_matches(const struct http_exchange *ex,
                           const struct http_header_expectation *want, const char **first_value)
{
        struct curl_header *header = NULL;
        *first_value = NULL;
        if (http_curl.easy_header(ex->handle, want->name, 0, CURLH_HEADER, -1, &header) !=
            CURLHE_OK)
                return false;
        *first_value = header->value;
        if (!want->value)
                return true;
        size_t amount = header->amount;
        for (size_t i = 0; i < amount; i++) {
                if (i > 0 && http_curl.easy_header(ex->handle, want->name, i, CURLH_HEADER, -1,
                                                   &header) != CURLHE_OK)
                        return false;
                if (strcmp(header->value, want->value) == 0)
                        return true;
        }
        return false;
}

static bool body_contains(const struct http_body *body, const char *text)
{
        return memmem(body->data, body->len, text, strlen(text)) != NULL;
}

/* "the body starts 'ready...'" or "the body is empty": what was there, short and safe. */
static void body_excerpt(const struct http_exchange *ex, char *buf, size_t size)
{
        char start[96];
        /* Enough input that a secret starting in what is shown is seen whole, and hidden. */
        size_t window = sizeof(start) + ex->secrets->longest;
        http_secrets_hide(ex->secrets, ex->body.data, ex->body.len < window ? ex->body.len : window,
                          start, sizeof(start));
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

/* Whether the body matches --expect-body-regex; when not, res says why. */
static bool body_regex_matched(const struct http_exchange *ex, long status, const char *hops,
                               const char *capped, const char *excerpt, struct check_result *res)
{
        const struct http_config *cfg = ex->cfg;
        char why[384], q[QUOTE_BUF];
        switch (body_regex_match(cfg->body_regex, ex->body.data, ex->body.len, ex->deadline_us, why,
                                 sizeof(why))) {
        case BODY_MATCH:
                return true;
        case BODY_NO_MATCH:
                result_set(res, PF_HTTP_MISMATCH,
                           "answered %ld%s, but the body%s does not match '%s'; %s", status, hops,
                           capped, text_quote(cfg->body_regex_text, q, sizeof(q)), excerpt);
                return false;
        case BODY_GAVE_UP:
                result_set(res, PF_HTTP_MISMATCH,
                           "answered %ld%s, but the body%s does not match '%s': %s", status, hops,
                           capped, text_quote(cfg->body_regex_text, q, sizeof(q)), why);
                return false;
        case BODY_TIMED_OUT:
                result_set(res, PF_HTTP_TIMEOUT, "answered %ld%s, then timed out matching '%s': %s",
                           status, hops, text_quote(cfg->body_regex_text, q, sizeof(q)), why);
                return false;
        case BODY_ERROR:
        default:
                result_set(res, PF_INTERNAL, "--expect-body-regex: %s", why);
                return false;
        }
}

void http_judge_answer(const struct http_exchange *ex, long status, struct check_result *res)
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
                                   text_quote(http_hidden(ex, got, got_shown, sizeof(got_shown)),
                                              q1, sizeof(q1)),
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
        if (cfg->body_regex && !body_regex_matched(ex, status, hops, capped, excerpt, res))
                return;
        result_set(res, PF_OK, "answered %ld%s%s%s", status, hops,
                   cfg->n_expect_header ? ", headers as expected" : "",
                   cfg->expect_body || cfg->body_regex ? ", body as expected" : "");
}
