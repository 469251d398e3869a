/*
 * --expect-body-regex patterns (checks/http.c): the scan before regcomp() either refuses a
 * pattern with one safe line, or says it may be slow (then preflight tries it in a child with a
 * CPU limit), or lets it be compiled here at once. The last must compile quickly: glibc's
 * regcomp() cannot be interrupted, and the scan's claim is that without anchors, word
 * boundaries, back-references and loops over what can match nothing it is polynomial, within
 * 0.1 s at the size bound (measured without sanitizers). 2 s of CPU time leaves room for ASan;
 * a pattern that breaks the claim outright also runs into libFuzzer's -timeout.
 */
#include "tests/fuzz/fuzz.h"

#include <regex.h>
#include <time.h>

#include "core/check.h"
#include "checks/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *pattern = fuzz_text(data, size);
        struct pf_error err = {0};
        bool may_be_slow = false;
        if (http_check_regex_cost(pattern, &may_be_slow, &err) != PF_OK) {
                FUZZ_REQUIRE_MESSAGE(err.msg);
        } else if (!may_be_slow) {
                regex_t re;
                clock_t start = clock();
                if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) == 0)
                        regfree(&re);
                double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
                FUZZ_REQUIRE(seconds < 2.0, "regcomp() took %.2f s of CPU time", seconds);
        }
        free(pattern);
        return 0;
}
