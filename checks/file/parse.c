/* The file check's option grammars. Pure text functions: the unit tests and the fuzz target
 * call them directly, and nothing here looks a name up. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "checks/file/file.h"

bool file_parse_mode(const char *text, int *mode)
{
        size_t len = strlen(text);
        /* chmod's octal: up to four digits, and one leading 0 more ("00640") is still octal. */
        if (len == 0 || len > 5 || (len == 5 && text[0] != '0'))
                return false;
        int value = 0;
        for (size_t i = 0; i < len; i++) {
                if (text[i] < '0' || text[i] > '7')
                        return false;
                value = value * 8 + (text[i] - '0');
        }
        if (value > 07777)
                return false;
        *mode = value;
        return true;
}

/* Digits, without sign or blanks, that fit in 64 bits; *end gets the first other byte. */
static bool parse_digits(const char *text, unsigned long long *value, const char **end)
{
        unsigned long long v = 0;
        const char *p = text;
        for (; isdigit((unsigned char)*p); p++) {
                unsigned digit = (unsigned)(*p - '0');
                if (v > (~0ULL - digit) / 10)
                        return false;
                v = v * 10 + digit;
        }
        *value = v;
        *end = p;
        return p != text;
}

bool file_parse_free(const char *text, struct file_free *out)
{
        static const char suffixes[] = "KMGT";
        unsigned long long v;
        const char *end;
        if (!parse_digits(text, &v, &end))
                return false;
        if (end[0] == '%' && end[1] == '\0') {
                if (v < 1 || v > 100)
                        return false;
                *out = (struct file_free){.set = true, .percent = true, .value = v};
                return true;
        }
        if (*end) {
                const char *s = strchr(suffixes, toupper((unsigned char)*end));
                if (!s || end[1])
                        return false;
                for (const char *k = suffixes; k <= s; k++) {
                        if (v > ~0ULL / 1024)
                                return false;
                        v *= 1024;
                }
        }
        *out = (struct file_free){.set = true, .percent = false, .value = v};
        return true;
}

bool file_parse_count(const char *text, unsigned long long *value)
{
        const char *end;
        return parse_digits(text, value, &end) && !*end;
}

static const struct {
        const char *name;
        enum file_type type;
} type_names[] = {
    {"file", FILE_TYPE_FILE},     {"dir", FILE_TYPE_DIR},     {"directory", FILE_TYPE_DIR},
    {"socket", FILE_TYPE_SOCKET}, {"fifo", FILE_TYPE_FIFO},   {"symlink", FILE_TYPE_SYMLINK},
    {"link", FILE_TYPE_SYMLINK},  {"block", FILE_TYPE_BLOCK}, {"char", FILE_TYPE_CHAR},
};

bool file_parse_type(const char *text, enum file_type *type)
{
        for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
                if (strcmp(text, type_names[i].name) == 0) {
                        *type = type_names[i].type;
                        return true;
                }
        }
        return false;
}

const char *file_type_name(enum file_type type)
{
        switch (type) {
        case FILE_TYPE_FILE:
                return "regular file";
        case FILE_TYPE_DIR:
                return "directory";
        case FILE_TYPE_SOCKET:
                return "socket";
        case FILE_TYPE_FIFO:
                return "fifo";
        case FILE_TYPE_SYMLINK:
                return "symlink";
        case FILE_TYPE_BLOCK:
                return "block device";
        case FILE_TYPE_CHAR:
                return "character device";
        case FILE_TYPE_ANY:
                break;
        }
        return "file";
}

bool file_valid_name(const char *name)
{
        size_t len = strlen(name);
        if (len == 0 || len > 63)
                return false;
        for (const char *c = name; *c; c++)
                if ((unsigned char)*c < 0x21 || *c == ':' || *c == '/' || *c == 0x7f)
                        return false;
        return true;
}

bool file_split_owner(const char *text, char *buf, size_t size, const char **user,
                      const char **group)
{
        if (strlen(text) >= size)
                return false;
        memcpy(buf, text, strlen(text) + 1);
        char *colon = strchr(buf, ':');
        *user = buf;
        *group = NULL;
        if (colon) {
                *colon = '\0';
                *group = colon + 1;
                if (!file_valid_name(*group))
                        return false;
                if (!*buf) {
                        *user = NULL; /* ":GROUP" */
                        return true;
                }
        }
        return file_valid_name(*user);
}

void file_format_bytes(unsigned long long bytes, char *buf, size_t size)
{
        static const char suffixes[] = "KMGT";
        if (bytes < 1024) {
                snprintf(buf, size, "%llu", bytes);
                return;
        }
        unsigned long long unit = 1024;
        int i = 0;
        while (i < 3 && bytes / unit >= 1024) {
                unit *= 1024;
                i++;
        }
        unsigned long long tenths = (bytes * 10 + unit / 2) / unit;
        /* (bytes * 10 cannot overflow here below 2^60; past that, whole units.) */
        if (bytes > (~0ULL / 10))
                tenths = bytes / unit * 10;
        if (tenths % 10 == 0)
                snprintf(buf, size, "%llu%c", tenths / 10, suffixes[i]);
        else
                snprintf(buf, size, "%llu.%llu%c", tenths / 10, tenths % 10, suffixes[i]);
}

void file_format_perms(unsigned perms, char out[4])
{
        out[0] = (perms & 4) ? 'r' : '-';
        out[1] = (perms & 2) ? 'w' : '-';
        out[2] = (perms & 1) ? 'x' : '-';
        out[3] = '\0';
}
