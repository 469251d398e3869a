/* Time spans as systemd.time(7) writes them: "500ms", "5s", "1min 30s", a bare number is seconds.
 */
#ifndef PREFLIGHT_SPAN_H
#define PREFLIGHT_SPAN_H

#include <stdbool.h>
#include <stdint.h>

#define SPAN_INFINITY UINT64_MAX

/* Parses text into microseconds. "infinity" gives SPAN_INFINITY. Returns false on anything
 * else than a well-formed, non-negative span that fits in 64 bits. */
bool span_parse(const char *text, uint64_t *usec);

/* Writes a span the way a person reads it: "1.5s", "250ms", "2min 5s". */
void span_format(uint64_t usec, char *buf, unsigned size);

#endif
