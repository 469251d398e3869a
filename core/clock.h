/* Monotonic time and deadlines. A deadline of 0 means none (a span of "infinity"). */
#ifndef PREFLIGHT_CLOCK_H
#define PREFLIGHT_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t clock_now_us(void);

/* How long something took, to the tenth of a second rounded: "1.0s", for messages that say how
 * long a wait lasted. */
void clock_format_seconds(uint64_t us, char *buf, size_t size);

/* now + span, saturating; 0 (no deadline) for an infinite span. */
uint64_t deadline_after(uint64_t span_us);

/* Milliseconds left, rounded up, for poll(): -1 when there is no deadline, 0 when it passed. */
int deadline_remaining_ms(uint64_t deadline_us);

bool deadline_passed(uint64_t deadline_us);

/* Sleeps for span_us, but never past the deadline. */
void sleep_until_deadline(uint64_t span_us, uint64_t deadline_us);

/*
 * Waits for events (POLLIN, POLLOUT) on fd until the deadline (0: none). Returns > 0 when fd is
 * ready, or has an error or hang-up that the next read or write reports; 0 when the deadline
 * has passed (at once, without polling, when it passed before the call: a peer that keeps
 * sending cannot keep a loop going past it); -errno when poll() fails. EINTR is retried with
 * the time that is left.
 */
int poll_until(int fd, short events, uint64_t deadline_us);

#endif
