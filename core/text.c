#include "core/text.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_sequence_length(const unsigned char *s)
{
        size_t len;
        if (s[0] < 0x80)
                return 1;
        else if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4;
        else
                return 0;
        for (size_t i = 1; i < len; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        return len;
}

const char *text_quote(const char *text, char *buf, size_t size)
{
        const unsigned char *s = (const unsigned char *)(text ? text : "");
        size_t out = 0, consumed = 0;
        if (size == 0)
                return "";
        while (*s && out + 5 < size) {
                if (consumed >= 80) {
                        if (out + 4 < size)
                                memcpy(buf + out, "...", 4), out += 3;
                        break;
                }
                size_t len = utf8_sequence_length(s);
                if (len == 1 && (isprint(*s))) {
                        buf[out++] = (char)*s;
                } else if (len > 1 && out + len < size) {
                        memcpy(buf + out, s, len);
                        out += len;
                } else {
                        len = 1;
                        snprintf(buf + out, size - out, "\\x%02x", *s);
                        out += 4;
                }
                s += len;
                consumed += len;
        }
        buf[out] = '\0';
        return buf;
}

bool text_equal_nocase(const char *a, const char *b)
{
        for (; *a && *b; a++, b++)
                if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
                        return false;
        return *a == *b;
}

bool text_parse_ulong(const char *text, unsigned long min, unsigned long max,
                      unsigned long *value)
{
        if (!text || !isdigit((unsigned char)text[0]))
                return false;
        errno = 0;
        char *end;
        unsigned long v = strtoul(text, &end, 10);
        if (errno != 0 || *end != '\0' || v < min || v > max)
                return false;
        *value = v;
        return true;
}

int pf_error_set(struct pf_error *err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        /* err->msg is only written: callers may pass an uninitialised err. */
        // cppcheck-suppress ctuuninitvar
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        return PF_USAGE;
}

void result_set(struct check_result *res, int code, const char *fmt, ...)
{
        va_list ap;
        res->code = code;
        va_start(ap, fmt);
        vsnprintf(res->message, sizeof(res->message), fmt, ap);
        va_end(ap);
}

void result_fix(struct check_result *res, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->fix, sizeof(res->fix), fmt, ap);
        va_end(ap);
}

void result_detail(struct check_result *res, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
        va_end(ap);
}
