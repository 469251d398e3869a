/*
 * run --prometheus's textfile (core/prometheus.c): whatever bytes a target or a chain's name
 * holds, each label value is one that the text format reads back (only \\, \" and \n escapes,
 * no raw newline or quote, well-formed UTF-8), it decodes to the input when the input is UTF-8
 * and fits, and every line of the whole exposition is a comment or one sample.
 */
#include "tests/fuzz/fuzz.h"

#include "core/prometheus.h"

/* Decodes an escaped label value; NULL when it is not one the format reads. */
static char *label_decode(const char *s, size_t *out_len)
{
        size_t len = strlen(s), n = 0;
        char *out = malloc(len + 1);
        FUZZ_REQUIRE(out, "out of memory");
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '\n' || c == '"') {
                        free(out);
                        return NULL;
                }
                if (c >= 0x80) {
                        size_t u = fuzz_utf8_length((const unsigned char *)s + i);
                        if (u == 0) {
                                free(out);
                                return NULL;
                        }
                        memcpy(out + n, s + i, u);
                        n += u;
                        i += u - 1;
                        continue;
                }
                if (c != '\\') {
                        out[n++] = (char)c;
                        continue;
                }
                char e = s[++i];
                if (e != '\\' && e != '"' && e != 'n') {
                        free(out);
                        return NULL;
                }
                out[n++] = e == 'n' ? '\n' : e;
        }
        out[n] = '\0';
        *out_len = n;
        return out;
}

static bool all_utf8(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                if (*p < 0x80) {
                        p++;
                        continue;
                }
                size_t u = fuzz_utf8_length(p);
                if (u == 0)
                        return false;
                p += u;
        }
        return true;
}

static void check_escape(const char *text, size_t size)
{
        char *out = malloc(size);
        FUZZ_REQUIRE(out, "out of memory");
        prom_escape_label(text, out, size);
        FUZZ_REQUIRE(strlen(out) < size, "'%s' past its buffer", out);
        size_t n = 0;
        char *decoded = label_decode(out, &n);
        FUZZ_REQUIRE(decoded, "'%s' is not a label value the format reads", out);
        /* Room for every byte escaped: then nothing is cut, and UTF-8 comes back as it was. */
        if (size > strlen(text) * 3 && all_utf8(text))
                FUZZ_REQUIRE(strcmp(decoded, text) == 0, "'%s' decodes to '%s'", text, decoded);
        else
                FUZZ_REQUIRE(n <= strlen(text) * 3, "decoded longer than it could be");
        free(decoded);
        free(out);
}

/* Every line is "# HELP ...", "# TYPE NAME gauge" or NAME{labels} VALUE, labels decodable. */
static void check_exposition(const char *text)
{
        struct prom_run run;
        char source[300];
        snprintf(source, sizeof(source), "./%.200s.conf", text);
        prom_begin(&run, "x.prom", source);
        struct outcome o = {.code = 20, .elapsed_ms = 12};
        snprintf(o.check, sizeof(o.check), "%s", text);
        snprintf(o.result.target, sizeof(o.result.target), "%s", text);
        prom_add(&run, 1, &o);
        prom_add(&run, 1, &o);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        FUZZ_REQUIRE(f, "open_memstream");
        FUZZ_REQUIRE(prom_format(f, &run, 20, 1700000000.0, 0.25), "format failed");
        fclose(f);
        prom_release(&run);
        FUZZ_REQUIRE(len > 0 && buf[len - 1] == '\n', "the exposition does not end a line");
        FUZZ_REQUIRE(strlen(buf) == len, "a NUL byte in the exposition");
        unsigned samples = 0;
        for (char *line = buf, *end; *line; line = end + 1) {
                end = strchr(line, '\n');
                *end = '\0';
                if (line[0] == '#') {
                        FUZZ_REQUIRE(strncmp(line, "# HELP preflight_", 17) == 0 ||
                                         strncmp(line, "# TYPE preflight_", 17) == 0,
                                     "comment '%s'", line);
                        continue;
                }
                samples++;
                char *brace = strchr(line, '{');
                FUZZ_REQUIRE(brace && strncmp(line, "preflight_", 10) == 0, "sample '%s'", line);
                char *p = brace + 1;
                while (*p != '}') {
                        char *eq = strchr(p, '=');
                        FUZZ_REQUIRE(eq && eq[1] == '"', "label in '%s'", line);
                        char *v = eq + 2, *q = v;
                        while (*q && *q != '"')
                                q += *q == '\\' && q[1] ? 2 : 1;
                        FUZZ_REQUIRE(*q == '"', "unterminated label value in '%s'", line);
                        *q = '\0';
                        size_t n;
                        char *decoded = label_decode(v, &n);
                        FUZZ_REQUIRE(decoded, "label value '%s'", v);
                        free(decoded);
                        p = q + 1;
                        if (*p == ',')
                                p++;
                        else
                                FUZZ_REQUIRE(*p == '}', "after a label in '%s'", line);
                }
                FUZZ_REQUIRE(p[1] == ' ' && p[2], "no value in '%s'", line);
        }
        /* Two outcomes of one target on one line are one series: 3 + 3 chain samples. */
        FUZZ_REQUIRE(samples == 6, "%u samples", samples);
        free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        check_escape(text, strlen(text) * 3 + 1);
        for (size_t small = 1; small < 12; small++)
                check_escape(text, small);
        check_exposition(text);
        free(text);
        return 0;
}
