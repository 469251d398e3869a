#include "core/text.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/check.h"

size_t text_utf8_length(const unsigned char *s)
{
        unsigned char low = 0x80, high = 0xbf;
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
        /* The second byte's range rules out overlong forms, surrogates and code points past
         * U+10FFFF (RFC 3629): text that claims to be UTF-8 and is not breaks JSON parsers. */
        if (s[0] == 0xe0)
                low = 0xa0;
        else if (s[0] == 0xed)
                high = 0x9f;
        else if (s[0] == 0xf0)
                low = 0x90;
        else if (s[0] == 0xf4)
                high = 0x8f;
        if (s[1] < low || s[1] > high)
                return 0;
        for (size_t i = 2; i < len; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        return len;
}

size_t text_printable_length(const unsigned char *s)
{
        size_t len = text_utf8_length(s);
        if (len == 1)
                return isprint(s[0]) ? 1 : 0;
        /* C1 controls (U+0080-U+009F; U+009B is CSI to some terminals), and the line separators
         * and bidirectional overrides (U+2028-U+202E, U+2066-U+2069) that can make one line
         * look like two, or show its words in another order. Characters that show as nothing
         * are escaped too, so that "unknown check 'user'" never hides one: the soft hyphen
         * (U+00AD), the Arabic letter mark (U+061C), zero-width spaces, joiners and marks
         * (U+200B-U+200F, U+2060-U+2064) and the byte order mark (U+FEFF). */
        if (len == 2 && s[0] == 0xc2 && (s[1] < 0xa0 || s[1] == 0xad))
                return 0;
        if (len == 2 && s[0] == 0xd8 && s[1] == 0x9c)
                return 0;
        if (len == 3 && s[0] == 0xe2 &&
            ((s[1] == 0x80 && s[2] >= 0x8b && s[2] <= 0x8f) ||
             (s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae) ||
             (s[1] == 0x81 && s[2] >= 0xa0 && s[2] <= 0xa4) ||
             (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)))
                return 0;
        if (len == 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
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
                size_t len = text_printable_length(s);
                if (len > 0 && out + len < size) {
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

const char *text_quote_hiding_userinfo(const char *text, char *buf, size_t size)
{
        const char *at = text ? strrchr(text, '@') : NULL;
        if (!at || size < 4)
                return text_quote(text, buf, size);
        memcpy(buf, "***", 3);
        text_quote(at, buf + 3, size - 3);
        return buf;
}

void text_write_safe(FILE *f, const char *text)
{
        const unsigned char *s = (const unsigned char *)text;
        while (*s) {
                size_t len = text_printable_length(s);
                if (len > 0)
                        fwrite(s, 1, len, f);
                else
                        fprintf(f, "\\x%02x", *s);
                s += len > 0 ? len : 1;
        }
}

bool text_equal_nocase(const char *a, const char *b)
{
        for (; *a && *b; a++, b++)
                if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
                        return false;
        return *a == *b;
}

bool text_parse_ulong(const char *text, unsigned long min, unsigned long max, unsigned long *value)
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

void pf_warning_set(struct pf_error *err, const char *fmt, ...)
{
        if (err->warning[0])
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->warning, sizeof(err->warning), fmt, ap);
        va_end(ap);
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

bool text_has_prefix_nocase(const char *text, const char *prefix)
{
        return strncasecmp(text, prefix, strlen(prefix)) == 0;
}

bool text_has_control(const char *text)
{
        for (const unsigned char *c = (const unsigned char *)text; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        return true;
        return false;
}

bool text_is_url_scheme(const char *text, const char *end)
{
        if (text == end || !isalpha((unsigned char)*text))
                return false;
        for (const char *c = text; c < end; c++)
                if (!isalnum((unsigned char)*c) && !strchr("+-.", *c))
                        return false;
        return true;
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool text_percent_decode(const char *text, size_t len, char *out, size_t size, size_t *out_len)
{
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                char c = text[i];
                if (c == '%') {
                        if (i + 2 >= len)
                                return false;
                        int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
                        if (high < 0 || low < 0)
                                return false;
                        c = (char)(high * 16 + low);
                        i += 2;
                }
                if (n + 1 >= size)
                        return false;
                out[n++] = c;
        }
        out[n] = '\0';
        *out_len = n;
        return true;
}
