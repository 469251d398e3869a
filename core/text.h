/* Small text helpers shared by core and checks. */
#ifndef PREFLIGHT_TEXT_H
#define PREFLIGHT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Length of the well-formed UTF-8 sequence at s (no overlong forms, surrogates or code points
 * past U+10FFFF), or 0 when there is none. */
size_t text_utf8_length(const unsigned char *s);

/* As text_utf8_length(), but 0 also for what a terminal would act on instead of showing: C0
 * and C1 controls, DEL, line separators and bidirectional overrides. */
size_t text_printable_length(const unsigned char *s);

/* Copies text for a message: control characters and bytes that are not UTF-8 become \xNN,
 * and text past 80 bytes is cut with "...", so hostile input cannot forge lines. */
const char *text_quote(const char *text, char *buf, size_t size);
#define QUOTE_BUF 340 /* enough for 80 bytes escaped (4 per byte) and the ellipsis */

/* As text_quote(), for a word that was not what was expected where it stood: with an '@' in
 * it, what precedes the last '@' shows as "***". A value forgotten on the command line makes
 * the next word (a URL with user:password@) the value, and text that is not a URL is no
 * place to tell a password from a name. */
const char *text_quote_hiding_userinfo(const char *text, char *buf, size_t size);

/* Writes text whole, each byte that text_printable_length() refuses as \xNN: for text that
 * may come from a user or a server and must stay one line. */
void text_write_safe(FILE *f, const char *text);

/* Case-insensitive ASCII comparison of a whole word. */
bool text_equal_nocase(const char *a, const char *b);

/* Whether text begins with prefix, ASCII case ignored. */
bool text_has_prefix_nocase(const char *text, const char *prefix);

/* Whether text holds a C0 control character or DEL: a value that would break a line of a
 * message, a libpq keyword string or a protocol line. */
bool text_has_control(const char *text);

/* Whether text up to end is a URL scheme (RFC 3986: a letter, then letters, digits, '+', '-'
 * and '.'), so that what precedes a "://" can be named in a message: anything else before it
 * (':', '@', '/') is not a scheme but part of a mistyped target, and may be a password. */
bool text_is_url_scheme(const char *text, const char *end);

/* Decodes the %XX escapes of len bytes of text into out (size bytes, terminated) and sets
 * *out_len; false when an escape is malformed or out is too small. A decoded NUL byte is kept
 * (a caller that hands the text to a C string API refuses it). */
bool text_percent_decode(const char *text, size_t len, char *out, size_t size, size_t *out_len);

/* Parses a whole decimal number in [min, max]; no sign, space or trailing junk. */
bool text_parse_ulong(const char *text, unsigned long min, unsigned long max, unsigned long *value);

#endif
