/* Small text helpers shared by core and checks. */
#ifndef PREFLIGHT_TEXT_H
#define PREFLIGHT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Copies text for a message: control characters and bytes that are not UTF-8 become \xNN,
 * and text past 80 bytes is cut with "...", so hostile input cannot forge lines. */
const char *text_quote(const char *text, char *buf, size_t size);
#define QUOTE_BUF 340 /* enough for 80 bytes escaped (4 per byte) and the ellipsis */

/* Case-insensitive ASCII comparison of a whole word. */
bool text_equal_nocase(const char *a, const char *b);

/* Parses a whole decimal number in [min, max]; no sign, space or trailing junk. */
bool text_parse_ulong(const char *text, unsigned long min, unsigned long max,
                      unsigned long *value);

#endif
