/*
 * The last line of defence for "timeouts are hard": if a check is still running a little after
 * its deadline (a library call that ignored its own timeout), SIGALRM ends the process with the
 * check's timeout code. Checks must not rely on it; it only guarantees nothing hangs.
 */
#ifndef PREFLIGHT_BACKSTOP_H
#define PREFLIGHT_BACKSTOP_H

#include <stdint.h>

#define BACKSTOP_GRACE_US (250ULL * 1000ULL)

/* Arms the timer for deadline_us + grace (no-op for deadline 0, which means none). */
void backstop_arm(uint64_t deadline_us, const char *check_name, int exit_code);
void backstop_disarm(void);

#endif
