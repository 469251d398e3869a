/*
 * run --http-response's request parser (core/http_response.c): any bytes give an answer or ask
 * for more, never a read past them; an answer is one of the statuses preflight sends; a request
 * to run the chain ends its headers within the bytes and the bound; the answer does not change
 * when bytes come after the headers; a prefix never gives a different answer than the whole.
 */
#include "tests/fuzz/fuzz.h"

#include "core/http_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* Exactly size bytes on the heap: ASan sees any read past them. */
        char *buf = malloc(size ? size : 1);
        FUZZ_REQUIRE(buf != NULL, "out of memory");
        memcpy(buf, data, size);
        size_t max = HTTP_REQUEST_MAX_BYTES;
        struct http_request req;
        enum http_parse r = http_request_parse(buf, size, max, &req);
        if (r == HTTP_PARSE_MORE) {
                FUZZ_REQUIRE(size < max, "asked for more with %zu bytes", size);
        } else {
                FUZZ_REQUIRE(req.reason != NULL, "no reason");
                FUZZ_REQUIRE(req.status == 0 || req.status == 400 || req.status == 405 ||
                                 req.status == 431 || req.status == 505,
                             "status %d", req.status);
                FUZZ_REQUIRE(strlen(req.method) < sizeof(req.method) &&
                                 strlen(req.target) < sizeof(req.target),
                             "unterminated copies");
                FUZZ_REQUIRE(
                    strcmp(http_status_text(req.status == 0 ? 200 : req.status), "Unknown") != 0,
                    "no text for %d", req.status);
                if (req.status == 0) {
                        FUZZ_REQUIRE(req.header_len > 0 && req.header_len <= size &&
                                         req.header_len <= max,
                                     "header_len %zu of %zu", req.header_len, size);
                        /* The same headers alone give the same answer. */
                        struct http_request again;
                        FUZZ_REQUIRE(http_request_parse(buf, req.header_len, max, &again) ==
                                             HTTP_PARSE_DONE &&
                                         again.status == 0 && again.head == req.head &&
                                         again.header_len == req.header_len,
                                     "the headers alone answer differently");
                }
        }
        /* A prefix never answers what the whole does not: a prefix either asks for more or
         * answers an error the whole answers too (a bad line is bad whatever follows it). */
        if (size > 1) {
                struct http_request part;
                size_t cut = size / 2;
                if (http_request_parse(buf, cut, max, &part) == HTTP_PARSE_DONE)
                        FUZZ_REQUIRE(r == HTTP_PARSE_DONE && part.status == req.status,
                                     "the first %zu bytes answer %d, all %zu bytes %d", cut,
                                     part.status, size, r == HTTP_PARSE_DONE ? req.status : -1);
        }
        free(buf);
        return 0;
}
