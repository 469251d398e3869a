#include "core/chainfile.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/exitcodes.h"
#include "core/text.h"

struct parser {
        const char *text;
        size_t size, pos;
        unsigned line; /* physical line at pos */
        chainfile_lookup lookup;
        void *ctx;
        bool literal_dollar; /* no ${...}: '$' is a byte like any other */
        struct chainfile_error *err;
        struct chainfile *out;
        unsigned lines_allocated;
        size_t total_bytes;

        /* The line being built: its words end to end, each ended by NUL. */
        char *buf;
        size_t len, allocated;
        size_t word_start[CHAINFILE_MAX_WORDS];
        unsigned n_words;
        unsigned line_number; /* where the line being built starts */
};

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, unsigned line,
                                                      const char *fmt, ...)
{
        va_list ap;
        p->err->line = line;
        va_start(ap, fmt);
        vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
        va_end(ap);
        return PF_CHAIN;
}

static int out_of_memory(struct parser *p)
{
        p->err->line = 0;
        snprintf(p->err->msg, sizeof(p->err->msg), "out of memory");
        return PF_INTERNAL;
}

static bool is_blank(char c)
{
        /* '\r' too, so that a file saved with CRLF line ends reads as the same words. */
        return c == ' ' || c == '\t' || c == '\r';
}

static bool is_name_start(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
        return is_name_start(c) || (c >= '0' && c <= '9');
}

static int put(struct parser *p, const char *bytes, size_t n)
{
        if (n == 0)
                return PF_OK; /* an empty value: buf may still be NULL */
        if (n >= CHAINFILE_MAX_LINE_BYTES || p->len + n >= CHAINFILE_MAX_LINE_BYTES)
                return fail(p, p->line_number,
                            "this line is longer than %u KiB (continuations and ${...} included)",
                            CHAINFILE_MAX_LINE_BYTES / 1024);
        if (p->len + n > p->allocated) {
                size_t want = p->allocated ? p->allocated : 256;
                while (want < p->len + n)
                        want *= 2;
                char *grown = realloc(p->buf, want);
                if (!grown)
                        return out_of_memory(p);
                p->buf = grown;
                p->allocated = want;
        }
        memcpy(p->buf + p->len, bytes, n);
        p->len += n;
        return PF_OK;
}

static int put_byte(struct parser *p, char c)
{
        return put(p, &c, 1);
}

/* Length of a backslash-newline (or backslash-CRLF) at pos, 0 when there is none. */
static size_t continuation_at(const struct parser *p, size_t pos)
{
        if (pos + 1 < p->size && p->text[pos] == '\\' && p->text[pos + 1] == '\n')
                return 2;
        if (pos + 2 < p->size && p->text[pos] == '\\' && p->text[pos + 1] == '\r' &&
            p->text[pos + 2] == '\n')
                return 3;
        return 0;
}

/* Moves the line being built into out; nothing when it holds no words. */
static int end_line(struct parser *p)
{
        if (p->n_words == 0)
                return PF_OK;
        if (p->out->n_lines >= CHAINFILE_MAX_LINES)
                return fail(p, p->line_number, "more than %u lines of checks in one file",
                            CHAINFILE_MAX_LINES);
        p->total_bytes += p->len;
        if (p->total_bytes > CHAINFILE_MAX_TOTAL_BYTES)
                return fail(p, p->line_number,
                            "the file's words come to more than %u MiB (with ${...} expanded)",
                            CHAINFILE_MAX_TOTAL_BYTES / (1024 * 1024));
        if (p->out->n_lines == p->lines_allocated) {
                unsigned want = p->lines_allocated ? p->lines_allocated * 2 : 16;
                struct chainfile_line *grown = realloc(p->out->lines, want * sizeof(*grown));
                if (!grown)
                        return out_of_memory(p);
                p->out->lines = grown;
                p->lines_allocated = want;
        }
        char *text = malloc(p->len);
        char **words = calloc((size_t)p->n_words + 1, sizeof(char *));
        if (!text || !words) {
                free(text);
                free(words);
                return out_of_memory(p);
        }
        memcpy(text, p->buf, p->len);
        for (unsigned i = 0; i < p->n_words; i++)
                words[i] = text + p->word_start[i];
        p->out->lines[p->out->n_lines++] = (struct chainfile_line){
            .number = p->line_number, .n_words = p->n_words, .words = words, .text = text};
        p->len = 0;
        p->n_words = 0;
        return PF_OK;
}

/* "${NAME}" or "${NAME:-default}" (or a '$' that is not one) at pos. */
static int expand(struct parser *p)
{
        char q[QUOTE_BUF];
        const char *t = p->text;
        size_t at = p->pos;
        if (p->literal_dollar) {
                p->pos++;
                return put_byte(p, '$');
        }
        if (at + 1 >= p->size || t[at + 1] != '{') {
                if (at + 1 < p->size && is_name_start(t[at + 1])) {
                        size_t end = at + 1;
                        while (end < p->size && is_name_char(t[end]) && end - at < 80)
                                end++;
                        return fail(p, p->line,
                                    "'$%.*s' is not expanded: write ${%.*s} for the variable, or "
                                    "\\$ or '...' for a literal $",
                                    (int)(end - at - 1), t + at + 1, (int)(end - at - 1),
                                    t + at + 1);
                }
                p->pos++;
                return put_byte(p, '$');
        }
        size_t name_at = at + 2, end = name_at;
        while (end < p->size && is_name_char(t[end]))
                end++;
        size_t name_len = end - name_at;
        if (end >= p->size || t[end] == '\n')
                return fail(p, p->line, "'${' is not closed with '}' on this line");
        if (name_len == 0 || !is_name_start(t[name_at])) {
                size_t shown = end - name_at;
                while (name_at + shown < p->size && t[name_at + shown] != '}' &&
                       t[name_at + shown] != '\n' && shown < 80)
                        shown++;
                char bad[96];
                snprintf(bad, sizeof(bad), "%.*s", (int)shown, t + name_at);
                return fail(p, p->line,
                            "'${%s}' does not name a variable (letters, digits and _, not "
                            "starting with a digit)",
                            text_quote(bad, q, sizeof(q)));
        }
        if (name_len > CHAINFILE_MAX_NAME)
                return fail(p, p->line, "a variable name longer than %u characters",
                            CHAINFILE_MAX_NAME);
        char name[CHAINFILE_MAX_NAME + 1];
        memcpy(name, t + name_at, name_len);
        name[name_len] = '\0';

        const char *fallback = NULL;
        size_t fallback_len = 0;
        if (t[end] == '}') {
                p->pos = end + 1;
        } else if (t[end] == ':' && end + 1 < p->size && t[end + 1] == '-') {
                /* The default is taken as written, up to the first '}'. */
                size_t d = end + 2;
                while (d < p->size && t[d] != '}' && t[d] != '\n')
                        d++;
                if (d >= p->size || t[d] == '\n')
                        return fail(p, p->line, "'${%s:-' is not closed with '}' on this line",
                                    name);
                fallback = t + end + 2;
                fallback_len = d - (end + 2);
                p->pos = d + 1;
        } else {
                char op[2] = {t[end], '\0'};
                return fail(p, p->line,
                            "'${%s%s...': only ${NAME} and ${NAME:-default} are understood", name,
                            text_quote(op, q, sizeof(q)));
        }

        const char *value = p->lookup ? p->lookup(name, p->ctx) : NULL;
        /* As in sh, ":-" also replaces a variable that is set but empty. */
        if (fallback && (!value || !*value))
                return put(p, fallback, fallback_len);
        if (!value)
                return fail(p, p->line,
                            "${%s} is not set (give it to the service with Environment= or "
                            "EnvironmentFile=, or write ${%s:-DEFAULT})",
                            name, name);
        return put(p, value, strlen(value));
}

static int read_single_quoted(struct parser *p)
{
        unsigned opened = p->line;
        p->pos++;
        size_t start = p->pos;
        while (p->pos < p->size && p->text[p->pos] != '\'' && p->text[p->pos] != '\n')
                p->pos++;
        if (p->pos >= p->size || p->text[p->pos] == '\n')
                return fail(p, opened,
                            "a single quote is not closed on its line (quotes cannot span "
                            "lines; end the line with \\ outside the quotes to continue it)");
        int r = put(p, p->text + start, p->pos - start);
        p->pos++;
        return r;
}

static int read_double_quoted(struct parser *p)
{
        unsigned opened = p->line;
        p->pos++;
        for (;;) {
                if (p->pos >= p->size || p->text[p->pos] == '\n')
                        return fail(p, opened,
                                    "a double quote is not closed on its line (end the line "
                                    "with \\ to continue the quoted text on the next)");
                char c = p->text[p->pos];
                int r;
                if (c == '"') {
                        p->pos++;
                        return PF_OK;
                } else if (c == '\\') {
                        size_t cont = continuation_at(p, p->pos);
                        if (cont) {
                                p->pos += cont;
                                p->line++;
                                continue;
                        }
                        char next = p->pos + 1 < p->size ? p->text[p->pos + 1] : '\0';
                        if (next == '"' || next == '\\' || next == '$') {
                                r = put_byte(p, next);
                                p->pos += 2;
                        } else {
                                /* As in sh: any other backslash inside "..." stays. */
                                r = put_byte(p, '\\');
                                p->pos++;
                        }
                } else if (c == '$') {
                        r = expand(p);
                } else {
                        r = put_byte(p, c);
                        p->pos++;
                }
                if (r != PF_OK)
                        return r;
        }
}

static int read_word(struct parser *p)
{
        if (p->n_words >= CHAINFILE_MAX_WORDS)
                return fail(p, p->line, "more than %u words on one line", CHAINFILE_MAX_WORDS);
        if (p->n_words == 0)
                p->line_number = p->line;
        p->word_start[p->n_words++] = p->len;
        while (p->pos < p->size) {
                char c = p->text[p->pos];
                int r;
                if (is_blank(c) || c == '\n')
                        break;
                if (c == '\\') {
                        size_t cont = continuation_at(p, p->pos);
                        if (cont) {
                                p->pos += cont;
                                p->line++;
                                continue;
                        }
                        if (p->pos + 1 >= p->size)
                                return fail(p, p->line,
                                            "the file ends with a backslash that continues "
                                            "nothing");
                        r = put_byte(p, p->text[p->pos + 1]);
                        p->pos += 2;
                } else if (c == '\'') {
                        r = read_single_quoted(p);
                } else if (c == '"') {
                        r = read_double_quoted(p);
                } else if (c == '$') {
                        r = expand(p);
                } else {
                        r = put_byte(p, c);
                        p->pos++;
                }
                if (r != PF_OK)
                        return r;
        }
        return put_byte(p, '\0');
}

static int parse_all(struct parser *p)
{
        int r = PF_OK;
        while (r == PF_OK && p->pos < p->size) {
                char c = p->text[p->pos];
                size_t cont;
                if (is_blank(c)) {
                        p->pos++;
                } else if (c == '\n') {
                        r = end_line(p);
                        p->pos++;
                        p->line++;
                } else if ((cont = continuation_at(p, p->pos)) != 0) {
                        p->pos += cont;
                        p->line++;
                } else if (c == '\\' && p->pos + 1 >= p->size) {
                        r = fail(p, p->line,
                                 "the file ends with a backslash that continues "
                                 "nothing");
                } else if (c == '#') {
                        /* As in sh, a comment runs to the end of the line, backslash or not. */
                        while (p->pos < p->size && p->text[p->pos] != '\n')
                                p->pos++;
                } else {
                        r = read_word(p);
                }
        }
        return r == PF_OK ? end_line(p) : r;
}

int chainfile_parse(const char *text, size_t size, chainfile_lookup lookup, void *ctx,
                    struct chainfile *out, struct chainfile_error *err)
{
        *out = (struct chainfile){0};
        *err = (struct chainfile_error){0};
        struct parser p = {.text = text,
                           .size = size,
                           .line = 1,
                           .lookup = lookup,
                           .ctx = ctx,
                           .err = err,
                           .out = out};
        int r;
        if (size > CHAINFILE_MAX_BYTES) {
                r = fail(&p, 0, "larger than %u KiB", CHAINFILE_MAX_BYTES / 1024);
        } else {
                const char *nul = size ? memchr(text, '\0', size) : NULL;
                if (nul) {
                        unsigned line = 1;
                        for (const char *c = text; c < nul; c++)
                                line += *c == '\n';
                        r = fail(&p, line, "a NUL byte: is this a text file?");
                } else {
                        /* A UTF-8 byte order mark, as editors on Windows write one, is not part
                         * of the first word (systemd's own parser skips it too). */
                        if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                                p.pos = 3;
                        r = parse_all(&p);
                }
        }
        free(p.buf);
        if (r != PF_OK)
                chainfile_release(out);
        return r;
}

int chainfile_split_line(const char *text, struct chainfile_line *out, struct chainfile_error *err)
{
        *out = (struct chainfile_line){0};
        *err = (struct chainfile_error){0};
        struct chainfile file = {0};
        size_t size = strnlen(text, CHAINFILE_MAX_LINE_BYTES);
        struct parser p = {.text = text,
                           .size = size,
                           .line = 1,
                           .literal_dollar = true,
                           .err = err,
                           .out = &file};
        int r = size >= CHAINFILE_MAX_LINE_BYTES
                    ? fail(&p, 1, "longer than %u KiB", CHAINFILE_MAX_LINE_BYTES / 1024)
                    : parse_all(&p);
        free(p.buf);
        if (r == PF_OK && file.n_lines != 1)
                r = fail(&p, file.n_lines ? file.lines[1].number : 1, "%s",
                         file.n_lines ? "more than one line (one command, one line)"
                                      : "no words (only blanks or a comment)");
        if (r == PF_OK) {
                *out = file.lines[0];
                file.n_lines = 0;
        }
        chainfile_release(&file);
        return r;
}

void chainfile_line_release(struct chainfile_line *line)
{
        free(line->words);
        free(line->text);
        *line = (struct chainfile_line){0};
}

void chainfile_release(struct chainfile *file)
{
        for (unsigned i = 0; i < file->n_lines; i++) {
                free(file->lines[i].words);
                free(file->lines[i].text);
        }
        free(file->lines);
        *file = (struct chainfile){0};
}
