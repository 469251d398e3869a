/* The unit tests' one wall-clock factor, the integration tests' TIME_SLACK (tests/integration/
 * lib.sh) read from the same environment variable: PREFLIGHT_TIME_SLACK, a whole number, 1 when
 * unset (tests/sanitize.sh sets 2 for ASan, tests/valgrind.sh 20). Every time a unit test allows
 * (the deadline it gives a call that must succeed, Check's timeout for each test) is multiplied by
 * it, so a slower build gets more time and the assertions stay the same. */
#ifndef PREFLIGHT_TESTS_SLACK_H
#define PREFLIGHT_TESTS_SLACK_H

#include <stdint.h>

/* The factor; a value that is not a whole number from 1 to 1000 ends the runner with 2. */
unsigned time_slack(void);

/* span_us times time_slack(): a time budget for a call that must succeed within it. */
uint64_t slack_us(uint64_t span_us);

#endif
