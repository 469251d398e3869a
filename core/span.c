#include "core/span.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct span_unit {
        const char *suffix;
        uint64_t usec;
};

/* Longest suffixes first, so "ms" is not read as "m" followed by junk. */
static const struct span_unit units[] = {
    {"seconds", 1000000ULL},
    {"second", 1000000ULL},
    {"minutes", 60000000ULL},
    {"minute", 60000000ULL},
    {"months", 2629800000000ULL},
    {"month", 2629800000000ULL},
    {"hours", 3600000000ULL},
    {"hour", 3600000000ULL},
    {"weeks", 604800000000ULL},
    {"week", 604800000000ULL},
    {"years", 31557600000000ULL},
    {"year", 31557600000000ULL},
    {"days", 86400000000ULL},
    {"day", 86400000000ULL},
    {"msec", 1000ULL},
    {"usec", 1ULL},
    {"sec", 1000000ULL},
    {"min", 60000000ULL},
    {"ms", 1000ULL},
    {"us", 1ULL},
    {"\xc2\xb5s", 1ULL},
    {"hr", 3600000000ULL},
    {"s", 1000000ULL},
    {"m", 60000000ULL},
    {"h", 3600000000ULL},
    {"d", 86400000000ULL},
    {"w", 604800000000ULL},
    {"M", 2629800000000ULL},
    {"y", 31557600000000ULL},
};

static bool add_checked(uint64_t *total, uint64_t value)
{
        if (*total > UINT64_MAX - 1 - value) /* UINT64_MAX itself means infinity */
                return false;
        *total += value;
        return true;
}

/* Reads one "<number>[.<fraction>][ ]<unit>" component at *p. */
static bool parse_component(const char **p, uint64_t *total)
{
        const char *s = *p;
        uint64_t whole = 0;
        if (!isdigit((unsigned char)*s))
                return false;
        for (; isdigit((unsigned char)*s); s++) {
                if (whole > (UINT64_MAX - 9) / 10)
                        return false;
                whole = whole * 10 + (uint64_t)(*s - '0');
        }
        /* Up to nine fractional digits are kept (nanosecond-of-a-unit precision is plenty). */
        uint64_t frac = 0, frac_scale = 1;
        if (*s == '.') {
                s++;
                if (!isdigit((unsigned char)*s))
                        return false;
                for (; isdigit((unsigned char)*s); s++) {
                        if (frac_scale < 1000000000ULL) {
                                frac = frac * 10 + (uint64_t)(*s - '0');
                                frac_scale *= 10;
                        }
                }
        }
        while (*s == ' ' || *s == '\t')
                s++;
        uint64_t unit = 1000000ULL; /* a bare number is seconds */
        size_t matched = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                size_t len = strlen(units[i].suffix);
                if (strncmp(s, units[i].suffix, len) == 0 && !isalpha((unsigned char)s[len])) {
                        unit = units[i].usec;
                        matched = len;
                        break;
                }
        }
        if (matched == 0 && isalpha((unsigned char)*s))
                return false; /* an unknown unit */
        s += matched;
        if (whole != 0 && unit > UINT64_MAX / whole)
                return false;
        uint64_t value = whole * unit;
        /* frac < frac_scale <= 1e9 and unit <= ~3.2e13, so split to avoid overflow. */
        uint64_t frac_part = (unit / frac_scale) * frac + ((unit % frac_scale) * frac) / frac_scale;
        if (!add_checked(&value, frac_part) || !add_checked(total, value))
                return false;
        *p = s;
        return true;
}

bool span_parse(const char *text, uint64_t *usec)
{
        if (!text)
                return false;
        const char *s = text;
        while (*s == ' ' || *s == '\t')
                s++;
        if (strcmp(s, "infinity") == 0) {
                *usec = SPAN_INFINITY;
                return true;
        }
        uint64_t total = 0;
        bool any = false;
        while (*s) {
                if (!parse_component(&s, &total))
                        return false;
                any = true;
                while (*s == ' ' || *s == '\t')
                        s++;
        }
        if (!any)
                return false;
        *usec = total;
        return true;
}

void span_format(uint64_t usec, char *buf, unsigned size)
{
        if (usec == SPAN_INFINITY)
                snprintf(buf, size, "infinity");
        else if (usec < 1000)
                snprintf(buf, size, "%lluus", (unsigned long long)usec);
        else if (usec < 1000000)
                snprintf(buf, size, "%llums", (unsigned long long)(usec / 1000));
        else if (usec < 60000000)
                snprintf(buf, size, "%llu.%llus", (unsigned long long)(usec / 1000000),
                         (unsigned long long)(usec % 1000000 / 100000));
        else
                snprintf(buf, size, "%llumin %llus", (unsigned long long)(usec / 60000000),
                         (unsigned long long)(usec % 60000000 / 1000000));
}
