/*
 * Time spans (core/span.c) as -t and -i take them: never a crash or an overflow, and what
 * span_format() writes back is itself a span that parses.
 */
#include "tests/fuzz/fuzz.h"

#include "core/span.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        uint64_t usec = 0;
        if (span_parse(text, &usec)) {
                char shown[64];
                uint64_t again = 0;
                span_format(usec, shown, sizeof(shown));
                FUZZ_REQUIRE(span_parse(shown, &again),
                             "span_format wrote '%s', which does not parse", shown);
                /* The written form rounds down to a tenth of a second at most a minute's worth. */
                FUZZ_REQUIRE(again <= usec, "'%s' reads as more than the span it shows", shown);
                FUZZ_REQUIRE(usec == SPAN_INFINITY || usec - again < 60000000ULL,
                             "'%s' is far from %llu us", shown, (unsigned long long)usec);
        }
        /* Cut buffers: span_format never writes past them. */
        char tiny[4];
        span_format(usec, tiny, sizeof(tiny));
        FUZZ_REQUIRE(strlen(tiny) < sizeof(tiny), "span_format overran");
        free(text);
        return 0;
}
