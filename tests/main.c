/* The one Check runner: every tests/check_AREA.c exports suite_AREA(); the Makefile lists them
 * in suites.inc from the file names. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/slack.h"

#define SUITE(area) Suite *suite_##area(void);
#include "suites.inc"
#undef SUITE

/* Check's timeout for each test, before the slack: ample for every test on an idle machine. */
#define TEST_TIMEOUT_SECONDS "30"

unsigned time_slack(void)
{
        static unsigned slack;
        if (slack)
                return slack;
        const char *text = getenv("PREFLIGHT_TIME_SLACK");
        if (!text || !*text) {
                slack = 1;
                return slack;
        }
        char *end;
        errno = 0;
        unsigned long value = strtoul(text, &end, 10);
        if (errno || *end || text[0] < '1' || text[0] > '9' || value > 1000) {
                fprintf(stderr, "PREFLIGHT_TIME_SLACK='%s' is not a whole number from 1 to 1000\n",
                        text);
                exit(2);
        }
        slack = (unsigned)value;
        return slack;
}

uint64_t slack_us(uint64_t span_us)
{
        return span_us * time_slack();
}

int main(void)
{
        /* Check reads both when each test case is created (tcase_create, tcase_set_timeout):
         * CK_DEFAULT_TIMEOUT given in the environment still wins over the base. */
        char factor[16];
        snprintf(factor, sizeof(factor), "%u", time_slack());
        if (setenv("CK_DEFAULT_TIMEOUT", TEST_TIMEOUT_SECONDS, 0) != 0 ||
            setenv("CK_TIMEOUT_MULTIPLIER", factor, 1) != 0) {
                perror("setenv");
                return EXIT_FAILURE;
        }
        SRunner *runner = srunner_create(NULL);
#define SUITE(area) srunner_add_suite(runner, suite_##area());
#include "suites.inc"
#undef SUITE
        srunner_run_all(runner, CK_NORMAL);
        int failed = srunner_ntests_failed(runner);
        srunner_free(runner);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
