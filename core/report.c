#include "core/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/nagios.h"
#include "core/text.h"

/* Syslog priorities the journal reads from a "<N>" line prefix (sd-daemon(3)). */
enum { PRIO_ERR = 3, PRIO_WARNING = 4, PRIO_INFO = 6 };

/* True when stderr is the stream systemd connected to the journal (JOURNAL_STREAM=dev:ino). */
static bool stderr_is_journal(void)
{
        static int cached = -1;
        if (cached >= 0)
                return cached;
        cached = 0;
        const char *env = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        char junk;
        if (env && sscanf(env, "%llu:%llu%c", &dev, &ino, &junk) == 2 && fstat(2, &st) == 0 &&
            (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino)
                cached = 1;
        return cached;
}

static bool stderr_wants_colour(void)
{
        const char *term = getenv("TERM");
        return !getenv("NO_COLOR") && isatty(2) && !stderr_is_journal() &&
               !(term && strcmp(term, "dumb") == 0);
}

static void line_start(int priority)
{
        if (stderr_is_journal())
                fprintf(stderr, "<%d>", priority);
}

void json_write_string(FILE *f, const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        fputc('"', f);
        while (*p) {
                unsigned char c = *p;
                if (c == '"' || c == '\\') {
                        fputc('\\', f);
                        fputc(c, f);
                } else if (c < 0x20 || c == 0x7f) {
                        fprintf(f, "\\u%04x", c);
                } else if (c < 0x80) {
                        fputc(c, f);
                } else {
                        /* Copy a well-formed UTF-8 sequence as it is (C1 controls escaped);
                         * a broken one becomes one U+FFFD with the continuation bytes it has. */
                        size_t len = text_utf8_length(p);
                        if (len == 0) {
                                size_t skip = 1;
                                size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 1;
                                while (skip < want && (p[skip] & 0xc0) == 0x80)
                                        skip++;
                                fputs("\\ufffd", f);
                                p += skip;
                                continue;
                        }
                        if (len == 2 && c == 0xc2 && p[1] < 0xa0)
                                fprintf(f, "\\u%04x", p[1]);
                        else
                                fwrite(p, 1, len, f);
                        p += len;
                        continue;
                }
                p++;
        }
        fputc('"', f);
}

static void report_json(const struct outcome *o)
{
        const struct check_result *r = &o->result;
        fputs("{\"check\":", stdout);
        json_write_string(stdout, o->check);
        fputs(",\"target\":", stdout);
        json_write_string(stdout, r->target);
        printf(",\"ok\":%s,\"code\":%d,\"message\":", o->ok ? "true" : "false", o->code);
        json_write_string(stdout, r->message);
        if (r->fix[0]) {
                fputs(",\"fix\":", stdout);
                json_write_string(stdout, r->fix);
        }
        if (r->detail[0]) {
                fputs(",\"detail\":", stdout);
                json_write_string(stdout, r->detail);
        }
        if (o->inverted)
                fputs(",\"inverted\":true", stdout);
        printf(",\"elapsed_ms\":%llu,\"attempts\":%u}\n", (unsigned long long)o->elapsed_ms,
               o->attempts);
        fflush(stdout);
}

int report_parse_format(const char *value, struct report_style *style, struct pf_error *err)
{
        char q[QUOTE_BUF];
        if (strcmp(value, "human") == 0 || strcmp(value, "json") == 0 ||
            strcmp(value, "nagios") == 0) {
                style->json = strcmp(value, "json") == 0;
                style->nagios = strcmp(value, "nagios") == 0;
                return PF_OK;
        }
        return pf_error_set(err, "--format: '%s' is not a format (human, json or nagios)",
                            text_quote(value, q, sizeof(q)));
}

void report_outcome(const struct outcome *o, const struct report_style *style)
{
        if (nagios_active()) {
                nagios_add(o);
                return;
        }
        if (style->json) {
                report_json(o);
                if (!style->lines_too)
                        return;
        }
        if (o->ok && style->quiet)
                return;
        const struct check_result *r = &o->result;
        bool colour = stderr_wants_colour();
        line_start(!o->ok ? PRIO_ERR : r->warning ? PRIO_WARNING : PRIO_INFO);
        if (o->ok)
                fputs(colour ? "\033[32mok\033[0m   " : "ok   ", stderr);
        else
                fputs(colour ? "\033[1;31mFAIL\033[0m " : "FAIL ", stderr);
        /* Targets and messages may hold what a user typed or a server sent: written so that
         * nothing in them can end the line or drive the terminal. */
        text_write_safe(stderr, o->check);
        if (r->target[0])
                fputc(' ', stderr);
        text_write_safe(stderr, r->target);
        fputc(' ', stderr);
        text_write_safe(stderr, r->message);
        if (o->inverted)
                fputs(o->ok ? " (inverted: passes)" : " (inverted: expected to fail)", stderr);
        if (!o->ok)
                fprintf(stderr, " [%d]", o->code);
        if (r->fix[0] && (!o->ok || r->warning)) {
                fputs("; fix: ", stderr);
                text_write_safe(stderr, r->fix);
        }
        if (style->verbose)
                fprintf(stderr, " (%u attempt%s, %llums)", o->attempts, o->attempts == 1 ? "" : "s",
                        (unsigned long long)o->elapsed_ms);
        fputc('\n', stderr);
        if (style->verbose && r->detail[0]) {
                line_start(PRIO_INFO);
                fputs("     ", stderr);
                text_write_safe(stderr, r->detail);
                fputc('\n', stderr);
        }
        fflush(stderr);
}

void report_info(const char *fmt, ...)
{
        va_list ap;
        if (nagios_active()) {
                char text[1024];
                va_start(ap, fmt);
                vsnprintf(text, sizeof(text), fmt, ap);
                va_end(ap);
                nagios_note(PRIO_INFO, text);
                return;
        }
        line_start(PRIO_INFO);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

__attribute__((format(printf, 3, 0))) static void report_message(int priority, const char *what,
                                                                 const char *fmt, va_list ap)
{
        if (nagios_active()) {
                char text[1536];
                int n = snprintf(text, sizeof(text), "%s%s", what && *what ? what : "",
                                 what && *what ? ": " : "");
                if (n >= 0 && (size_t)n < sizeof(text))
                        vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
                nagios_note(priority, text);
                return;
        }
        line_start(priority);
        fputs("preflight: ", stderr);
        if (what && *what)
                fprintf(stderr, "%s: ", what);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        fflush(stderr);
}

void report_warning(const char *what, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        report_message(PRIO_WARNING, what, fmt, ap);
        va_end(ap);
}

void report_error(const char *what, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        report_message(PRIO_ERR, what, fmt, ap);
        va_end(ap);
}
