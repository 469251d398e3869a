/*
 * JSON string output (core/report.c json_write_string) and text quoting for messages
 * (core/text.c text_quote): whatever bytes a target, a server or a file holds, --json must stay
 * valid JSON in well-formed UTF-8, and a message must stay one safe line. And --format nagios
 * (core/nagios.c): its text is one safe line without a '|', its perfdata label one quoted word
 * with no '=', '|', quote or "::" inside, and its perfdata item LABEL=N.NNNs;;;0.
 */
#include "tests/fuzz/fuzz.h"

#include "core/nagios.h"
#include "core/report.h"
#include "core/text.h"

/* Decodes the JSON string at s (from its opening quote); returns the bytes it stands for,
 * or NULL when it is not a JSON string that ends exactly at s + len. */
static char *json_decode(const char *s, size_t len, size_t *out_len)
{
        char *out = malloc(len * 4 + 1);
        size_t n = 0, i = 1;
        if (!out || len < 2 || s[0] != '"')
                goto bad;
        while (i < len && s[i] != '"') {
                unsigned char c = (unsigned char)s[i];
                if (c < 0x20)
                        goto bad;
                if (c != '\\') {
                        out[n++] = (char)c;
                        i++;
                        continue;
                }
                if (i + 1 >= len)
                        goto bad;
                char e = s[i + 1];
                const char *simple = strchr("\"\\/bfnrt", e);
                if (e && simple) {
                        static const char values[] = "\"\\/\b\f\n\r\t";
                        out[n++] = values[simple - "\"\\/bfnrt"];
                        i += 2;
                        continue;
                }
                if (e != 'u' || i + 6 > len)
                        goto bad;
                unsigned cp = 0;
                for (size_t k = i + 2; k < i + 6; k++) {
                        char h = s[k];
                        unsigned v = h >= '0' && h <= '9'   ? (unsigned)(h - '0')
                                     : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
                                     : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10)
                                                            : 16;
                        if (v == 16)
                                goto bad;
                        cp = cp << 4 | v;
                }
                if (cp >= 0xd800 && cp <= 0xdfff)
                        goto bad; /* json_write_string never needs surrogate pairs */
                if (cp < 0x80) {
                        out[n++] = (char)cp;
                } else if (cp < 0x800) {
                        out[n++] = (char)(0xc0 | cp >> 6);
                        out[n++] = (char)(0x80 | (cp & 0x3f));
                } else {
                        out[n++] = (char)(0xe0 | cp >> 12);
                        out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                        out[n++] = (char)(0x80 | (cp & 0x3f));
                }
                i += 6;
        }
        if (i != len - 1)
                goto bad;
        out[n] = '\0';
        *out_len = n;
        return out;
bad:
        free(out);
        return NULL;
}

static bool well_formed_utf8(const char *s, size_t len)
{
        for (size_t i = 0; i < len;) {
                size_t k = fuzz_utf8_length((const unsigned char *)s + i);
                if (k == 0 || i + k > len)
                        return false;
                i += k;
        }
        return true;
}

static void check_json(const char *text)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        FUZZ_REQUIRE(f != NULL, "open_memstream");
        json_write_string(f, text);
        FUZZ_REQUIRE(fclose(f) == 0, "fclose");
        FUZZ_REQUIRE(well_formed_utf8(buf, len), "JSON output is not well-formed UTF-8");
        size_t decoded_len = 0;
        char *decoded = json_decode(buf, len, &decoded_len);
        FUZZ_REQUIRE(decoded != NULL, "not one JSON string: %s", buf);
        /* Well-formed input comes back byte for byte; anything else at least as UTF-8. */
        if (well_formed_utf8(text, strlen(text)))
                FUZZ_REQUIRE(decoded_len == strlen(text) && memcmp(decoded, text, decoded_len) == 0,
                             "JSON round trip changed the text");
        free(decoded);
        free(buf);
}

static void check_quote(const char *text, size_t size)
{
        char *buf = malloc(size);
        FUZZ_REQUIRE(buf != NULL, "malloc");
        const char *q = text_quote(text, buf, size);
        FUZZ_REQUIRE(strlen(q) < size, "text_quote wrote past its buffer");
        FUZZ_REQUIRE(fuzz_safe_line(q), "text_quote let through an unsafe byte");
        free(buf);
}

static void check_nagios(const char *text, size_t size)
{
        char *buf = malloc(size);
        FUZZ_REQUIRE(buf != NULL, "malloc");
        const char *t = nagios_text(text, buf, size);
        FUZZ_REQUIRE(strlen(t) < size, "nagios_text wrote past its buffer");
        FUZZ_REQUIRE(fuzz_safe_line(t), "nagios_text let through an unsafe byte");
        FUZZ_REQUIRE(!strchr(t, '|'), "nagios_text let through a '|': %s", t);
        char target[TARGET_SHOWN_SIZE];
        snprintf(target, sizeof(target), "%s", text);
        const char *l = nagios_label("check", target, buf, size);
        size_t len = strlen(l);
        FUZZ_REQUIRE(len < size, "nagios_label wrote past its buffer");
        if (len > 0) {
                FUZZ_REQUIRE(len >= 2 && l[0] == '\'' && l[len - 1] == '\'', "not quoted: %s", l);
                FUZZ_REQUIRE(fuzz_safe_line(l), "an unsafe byte in a label");
                FUZZ_REQUIRE(!strchr(l + 1, '\'') || strchr(l + 1, '\'') == l + len - 1,
                             "a quote inside a label: %s", l);
                FUZZ_REQUIRE(!strpbrk(l, "=|") && !strstr(l, "::"), "a label breaks: %s", l);
        }
        free(buf);
        char item[1200];
        size_t n = nagios_perfdata_item("check", target, 1234, item, sizeof(item));
        FUZZ_REQUIRE(n > 0 && n == strlen(item), "a whole item always fits 1200 bytes");
        const char *eq = strchr(item, '=');
        FUZZ_REQUIRE(eq && strcmp(eq, "=1.234s;;;0") == 0, "the item's value: %s", item);
        FUZZ_REQUIRE(!strchr(item, ' ') || item[0] == '\'', "a space outside quotes: %s", item);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        check_json(text);
        check_nagios(text, 1200);
        for (size_t small = 1; small < 16; small++)
                check_nagios(text, small);
        check_quote(text, QUOTE_BUF);
        /* Small buffers too: the cut must never split what it escapes or copies. */
        for (size_t small = 1; small < 12; small++)
                check_quote(text, small);
        free(text);
        return 0;
}
