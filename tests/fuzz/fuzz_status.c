/*
 * The http check's option values (checks/http.c): --expect-status lists, --expect-header and
 * --header texts. A list that parses holds only statuses 100-599 in ranges that go up; an error
 * is one safe line; a --header value (it may be a token) never shows in an error.
 */
#include "tests/fuzz/fuzz.h"

#include "checks/http/http.h"

static void check_status_list(const char *text)
{
        struct http_status_set set;
        struct pf_error err = {0};
        if (http_parse_status_list(text, &set, &err) != PF_OK) {
                FUZZ_REQUIRE_MESSAGE(err.msg);
                return;
        }
        FUZZ_REQUIRE(set.count >= 1 && set.count <= HTTP_STATUS_ITEMS_MAX, "count %u", set.count);
        for (unsigned i = 0; i < set.count; i++) {
                FUZZ_REQUIRE(set.range[i].low >= 100 && set.range[i].high <= 599 &&
                                 set.range[i].low <= set.range[i].high,
                             "range %u-%u", set.range[i].low, set.range[i].high);
                FUZZ_REQUIRE(http_status_expected(&set, set.range[i].low) &&
                                 http_status_expected(&set, set.range[i].high),
                             "a listed status is not expected");
        }
        FUZZ_REQUIRE(!http_status_expected(&set, 99) && !http_status_expected(&set, 600) &&
                         !http_status_expected(&set, -1),
                     "a status outside 100-599 is expected");
}

static void check_header_expectation(const char *text)
{
        struct http_header_expectation want;
        struct pf_error err = {0};
        if (http_parse_header_expectation(text, &want, &err) != PF_OK) {
                FUZZ_REQUIRE_MESSAGE(err.msg);
                return;
        }
        FUZZ_REQUIRE(want.name && want.name[0], "no name");
        FUZZ_REQUIRE(!strpbrk(want.name, ": \t\r\n"), "name '%s'", want.name);
        FUZZ_REQUIRE(!want.value || (want.value[0] && !strpbrk(want.value, "\r\n")), "value");
        free(want.name);
}

static void check_request_header(const char *text)
{
        struct pf_error err = {0};
        if (http_validate_request_header(text, &err) == PF_OK) {
                FUZZ_REQUIRE(!strpbrk(text, "\r\n"), "a line break accepted in a header");
                return;
        }
        FUZZ_REQUIRE_MESSAGE(err.msg);
        /* The value: what follows the first ':' (all of it when there is none). */
        const char *colon = strchr(text, ':');
        const char *value = colon ? colon + 1 : text;
        while (*value == ' ')
                value++;
        size_t len = strlen(value);
        if (len >= 4 && strpbrk(value, FUZZ_RARE) &&
            !(colon && memmem(text, (size_t)(colon - text), value, len)))
                FUZZ_REQUIRE(!fuzz_contains(err.msg, value, len), "the value shows in '%s'",
                             err.msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        check_status_list(text);
        check_header_expectation(text);
        check_request_header(text);
        free(text);
        return 0;
}
