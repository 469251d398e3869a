/* The one Check runner: every tests/check_AREA.c exports suite_AREA(); the Makefile lists them
 * in suites.inc from the file names. */
#include <check.h>
#include <stdlib.h>

#define SUITE(area) Suite *suite_##area(void);
#include "suites.inc"
#undef SUITE

int main(void)
{
        SRunner *runner = srunner_create(NULL);
#define SUITE(area) srunner_add_suite(runner, suite_##area());
#include "suites.inc"
#undef SUITE
        srunner_run_all(runner, CK_NORMAL);
        int failed = srunner_ntests_failed(runner);
        srunner_free(runner);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
