/*
 * --expect-body-regex (checks/http/regex.c): any pattern, any body up to 64 KiB, gets an answer
 * within the bound and never a crash. The input is PATTERN NUL MODE BODY: the pattern is a C
 * string as argv gives it; when MODE's low bit is set the body is repeated to a full 64 KiB (the
 * size the worst cases need; libFuzzer's inputs are short), else it is taken as it is. An input
 * without NUL is a pattern with an empty body.
 *
 * Properties: a refused pattern says why in one safe line that names the option; a match ends
 * in an answer (a match, none, or a limit with its message), never an error; compile and match
 * together take less than 1.5 s of CPU time. The limits stop a match at 0.5 s of CPU time
 * whatever the build; the rest is room for ASan and UBSan's slower steps and compile.
 */
#include "tests/fuzz/fuzz.h"

#include <time.h>

#include "core/regex.h"
#include "core/exitcodes.h"

#define BODY_MAX 65536
#define CPU_BOUND_S 1.5

static double thread_cpu_s(void)
{
        struct timespec now;
        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0)
                abort();
        return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* The body the input describes, in a buffer of BODY_MAX bytes; *len is its length. */
static char *body_of(const uint8_t *data, size_t size, size_t *len)
{
        char *body = malloc(BODY_MAX);
        if (!body)
                abort();
        *len = 0;
        if (size == 0)
                return body;
        bool repeat = data[0] & 1;
        data++, size--;
        if (size > BODY_MAX)
                size = BODY_MAX;
        if (repeat && size > 0) {
                for (size_t i = 0; i < BODY_MAX; i++)
                        body[i] = (char)data[i % size];
                *len = BODY_MAX;
        } else {
                memcpy(body, data, size);
                *len = size;
        }
        return body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *pattern = fuzz_text(data, size);
        size_t pattern_len = strlen(pattern);
        size_t rest = pattern_len < size ? size - pattern_len - 1 : 0;
        size_t len;
        char *body = body_of(data + size - rest, rest, &len);

        char why[1024] = "";
        struct body_regex *re = NULL;
        double start = thread_cpu_s();
        int r = body_regex_compile(pattern, &re, why, sizeof(why));
        if (r != PF_OK) {
                FUZZ_REQUIRE(r == PF_USAGE, "compile gave %d: %s", r, why);
                FUZZ_REQUIRE(re == NULL, "a refused pattern left a body_regex");
                FUZZ_REQUIRE_MESSAGE(why);
                FUZZ_REQUIRE(strncmp(why, "--expect-body-regex: '", 22) == 0, "message '%s'", why);
        } else {
                enum body_match answer = body_regex_match(re, body, len, 0, why, sizeof(why));
                FUZZ_REQUIRE(answer == BODY_MATCH || answer == BODY_NO_MATCH ||
                                 answer == BODY_GAVE_UP,
                             "answer %d: %s", (int)answer, why);
                if (answer == BODY_GAVE_UP)
                        FUZZ_REQUIRE_MESSAGE(why);
                body_regex_free(re);
        }
        double seconds = thread_cpu_s() - start;
        FUZZ_REQUIRE(seconds < CPU_BOUND_S, "compile and match took %.3f s of CPU time", seconds);
        free(body);
        free(pattern);
        return 0;
}
