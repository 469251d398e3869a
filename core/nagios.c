#include "core/nagios.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"

#define STATUS_MAX 1024   /* the status line, "PREFLIGHT ..." included */
#define LONG_LINE_MAX 640 /* one line of long text */
#define NOTES_MAX 64      /* messages kept; a chain's warnings are one a line at most */

struct note {
        int priority;
        char text[LONG_LINE_MAX];
};

static struct {
        bool active;
        struct outcome *items;
        size_t n_items, cap_items;
        struct note notes[NOTES_MAX];
        size_t n_notes;
        bool lost; /* an outcome could not be kept (out of memory): the report says so */
} report;

static bool word_is(const char *word, const char *name)
{
        return strcmp(word, name) == 0;
}

bool nagios_requested(int argc, char **argv)
{
        bool nagios = false;
        for (int i = 0; i < argc && !word_is(argv[i], "--"); i++) {
                const char *w = argv[i];
                if (word_is(w, "--json"))
                        nagios = false;
                else if (strncmp(w, "--format=", 9) == 0)
                        nagios = word_is(w + 9, "nagios");
                else if (word_is(w, "--format") && i + 1 < argc)
                        nagios = word_is(argv[++i], "nagios");
        }
        return nagios;
}

bool nagios_refused_word(int argc, char **argv, const char **word)
{
        for (int i = 0; i < argc; i++) {
                if (word_is(argv[i], "--") && i + 1 < argc) {
                        *word = "--";
                        return true;
                }
                if (word_is(argv[i], "--"))
                        return false;
                if (word_is(argv[i], "--as-unit") || strncmp(argv[i], "--as-unit=", 10) == 0) {
                        *word = "--as-unit";
                        return true;
                }
        }
        return false;
}

void nagios_begin(void)
{
        report.active = true;
        /* Nagios reads stdout only, Icinga 2 stdout and stderr together: a stray line on
         * stderr would become the status line there. Everything worth saying is in the
         * report. */
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
                fflush(stderr);
                (void)dup2(fd, STDERR_FILENO);
                close(fd);
        }
}

bool nagios_active(void)
{
        return report.active;
}

void nagios_add(const struct outcome *o)
{
        if (report.n_items == report.cap_items) {
                size_t cap = report.cap_items ? report.cap_items * 2 : 16;
                struct outcome *grown = realloc(report.items, cap * sizeof(*grown));
                if (!grown) {
                        report.lost = true;
                        return;
                }
                report.items = grown;
                report.cap_items = cap;
        }
        report.items[report.n_items++] = *o;
}

void nagios_note(int priority, const char *text)
{
        while (*text == ' ')
                text++;
        if (strncmp(text, "preflight: ", 11) == 0)
                text += 11;
        if (report.n_notes >= NOTES_MAX)
                return;
        struct note *n = &report.notes[report.n_notes++];
        n->priority = priority;
        nagios_text(text, n->text, sizeof(n->text));
}

enum nagios_state nagios_state_of_code(int code)
{
        switch (code) {
        case PF_OK:
                return NAGIOS_OK;
        case PF_INTERNAL:
        case PF_USAGE:
        case PF_UNIT_UNAVAILABLE:
        case PF_NO_LIBRARY:
        case PF_CHAIN:
                return NAGIOS_UNKNOWN; /* preflight could not judge */
        default:
                return NAGIOS_CRITICAL;
        }
}

enum nagios_state nagios_state_of(const struct outcome *o)
{
        if (o->ok)
                return o->result.warning ? NAGIOS_WARNING : NAGIOS_OK;
        enum nagios_state s = nagios_state_of_code(o->code);
        return s == NAGIOS_OK ? NAGIOS_CRITICAL : s;
}

static int severity(enum nagios_state s)
{
        switch (s) {
        case NAGIOS_OK:
                return 0;
        case NAGIOS_WARNING:
                return 1;
        case NAGIOS_UNKNOWN:
                return 2;
        case NAGIOS_CRITICAL:
                return 3;
        }
        return 2;
}

enum nagios_state nagios_worse(enum nagios_state a, enum nagios_state b)
{
        return severity(b) > severity(a) ? b : a;
}

const char *nagios_state_name(enum nagios_state s)
{
        switch (s) {
        case NAGIOS_OK:
                return "OK";
        case NAGIOS_WARNING:
                return "WARNING";
        case NAGIOS_CRITICAL:
                return "CRITICAL";
        case NAGIOS_UNKNOWN:
                return "UNKNOWN";
        }
        return "UNKNOWN";
}

/* Appends to out (size bytes, len used) what fits; false when something did not. */
static bool put(char *out, size_t size, size_t *len, const char *bytes, size_t n)
{
        if (*len + n >= size)
                return false;
        memcpy(out + *len, bytes, n);
        *len += n;
        out[*len] = '\0';
        return true;
}

static bool put_escaped(char *out, size_t size, size_t *len, unsigned char c)
{
        char hex[5];
        snprintf(hex, sizeof(hex), "\\x%02x", c);
        return put(out, size, len, hex, 4);
}

/* Copies in with each byte for which escape_at() says so as \xNN. Cut with "..." to fit. */
static char *copy_escaped(const char *in, char *out, size_t size,
                          bool (*escape_at)(const char *start, const char *p))
{
        size_t len = 0;
        if (size == 0)
                return out;
        out[0] = '\0';
        if (size < 8)
                return out;
        size_t room = size - 4; /* "..." and the terminator stay possible */
        const unsigned char *p = (const unsigned char *)in;
        while (*p) {
                size_t before = len;
                size_t seq = text_printable_length(p);
                bool ok;
                if (seq == 0 || (seq == 1 && escape_at(in, (const char *)p))) {
                        ok = put_escaped(out, room, &len, *p);
                        seq = 1;
                } else {
                        ok = put(out, room, &len, (const char *)p, seq);
                }
                if (!ok) {
                        len = before;
                        memcpy(out + len, "...", 4);
                        return out;
                }
                p += seq;
        }
        return out;
}

static bool text_escape(const char *start, const char *p)
{
        (void)start;
        return *p == '|';
}

char *nagios_text(const char *in, char *out, size_t size)
{
        return copy_escaped(in, out, size, text_escape);
}

static bool label_escape(const char *start, const char *p)
{
        return *p == '|' || *p == '=' || *p == '\'' || (*p == ':' && p > start && p[-1] == ':');
}

char *nagios_label(const char *check, const char *target, char *out, size_t size)
{
        char joined[sizeof(((struct outcome *)0)->check) + TARGET_SHOWN_SIZE + 1];
        snprintf(joined, sizeof(joined), "%s%s%s", check, target[0] ? " " : "", target);
        if (size < 10) {
                if (size)
                        out[0] = '\0';
                return out;
        }
        out[0] = '\'';
        copy_escaped(joined, out + 1, size - 2, label_escape);
        size_t len = strlen(out);
        out[len] = '\'';
        out[len + 1] = '\0';
        return out;
}

size_t nagios_perfdata_item(const char *check, const char *target, unsigned long long elapsed_ms,
                            char *out, size_t size)
{
        char label[4 * (TARGET_SHOWN_SIZE + 40)];
        nagios_label(check, target, label, sizeof(label));
        int n =
            snprintf(out, size, "%s=%llu.%03llus;;;0", label, elapsed_ms / 1000, elapsed_ms % 1000);
        if (n < 0 || (size_t)n >= size) {
                if (size)
                        out[0] = '\0';
                return 0;
        }
        return (size_t)n;
}

/* "redis 127.0.0.1:6379 refused [40]; fix: ..." for one outcome (the long text's words). */
static void describe(const struct outcome *o, bool with_code, char *out, size_t size)
{
        const struct check_result *r = &o->result;
        char raw[sizeof(o->check) + sizeof(r->target) + sizeof(r->message) + sizeof(r->fix) + 64];
        int n = snprintf(raw, sizeof(raw), "%s%s%s %s%s", o->check, r->target[0] ? " " : "",
                         r->target, r->message,
                         !o->inverted ? ""
                         : o->ok      ? " (inverted: passes)"
                                      : " (inverted: expected to fail)");
        size_t len = n < 0 ? 0 : (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1;
        if (with_code && !o->ok)
                len += (size_t)snprintf(raw + len, sizeof(raw) - len, " [%d]", o->code);
        if (with_code && r->fix[0] && (!o->ok || r->warning) && len < sizeof(raw))
                snprintf(raw + len, sizeof(raw) - len, "; fix: %s", r->fix);
        nagios_text(raw, out, size);
}

static void free_report(void)
{
        free(report.items);
        report.items = NULL;
        report.n_items = report.cap_items = report.n_notes = 0;
}

int nagios_finish(int code)
{
        if (report.n_items == 0 && report.n_notes == 0 && code == PF_OK && !report.lost) {
                free_report();
                return NAGIOS_OK;
        }
        enum nagios_state state = nagios_state_of_code(code);
        size_t ok = 0;
        for (size_t i = 0; i < report.n_items; i++) {
                state = nagios_worse(state, nagios_state_of(&report.items[i]));
                ok += report.items[i].ok;
        }
        if (report.lost)
                state = nagios_worse(state, NAGIOS_UNKNOWN);

        /* The summary: the first target in the worst state, or the first error. */
        char summary[STATUS_MAX];
        summary[0] = '\0';
        const struct note *error_used = NULL;
        const struct outcome *first = NULL;
        for (size_t i = 0; i < report.n_items && !first; i++)
                if (nagios_state_of(&report.items[i]) == state)
                        first = &report.items[i];
        if (first && (state != NAGIOS_OK || report.n_items == 1)) {
                describe(first, false, summary, sizeof(summary) - 64);
        } else if (state != NAGIOS_OK) {
                for (size_t i = 0; i < report.n_notes && !error_used; i++)
                        if (report.notes[i].priority == 3)
                                error_used = &report.notes[i];
                if (error_used)
                        snprintf(summary, sizeof(summary) - 64, "%s", error_used->text);
                else if (report.lost)
                        snprintf(summary, sizeof(summary) - 64, "out of memory");
                else
                        snprintf(summary, sizeof(summary) - 64, "preflight exited %d", code);
        } else if (report.n_items == 0 && report.n_notes > 0) {
                snprintf(summary, sizeof(summary) - 64, "%s", report.notes[0].text);
                error_used = &report.notes[0];
        }
        size_t slen = strlen(summary);
        if (report.n_items > 1 || (report.n_items == 1 && first != &report.items[0]))
                snprintf(summary + slen, sizeof(summary) - slen, "%s%zu of %zu check%s ok",
                         slen ? "; " : "", ok, report.n_items, report.n_items == 1 ? "" : "s");

        char *out = malloc(NAGIOS_OUTPUT_MAX + 1);
        char *perf = malloc(NAGIOS_PERFDATA_MAX + 1);
        if (!out || !perf) {
                free(out);
                free(perf);
                free_report();
                fputs("PREFLIGHT UNKNOWN - out of memory\n", stdout);
                fflush(stdout);
                return NAGIOS_UNKNOWN;
        }
        size_t len = 0, plen = 0;
        int n = snprintf(out, STATUS_MAX, "PREFLIGHT %s - %s", nagios_state_name(state), summary);
        len = n < 0 ? 0 : (size_t)n < STATUS_MAX ? (size_t)n : STATUS_MAX - 1;
        perf[0] = '\0';
        size_t shown_perf = 0;
        for (size_t i = 0; i < report.n_items; i++) {
                char item[1200];
                const struct outcome *o = &report.items[i];
                /* A label twice (the same target on two lines) would be one series to a
                 * grapher, and a parser may keep either: the second is "#2". */
                unsigned same = 1;
                for (size_t k = 0; k < i; k++)
                        same += strcmp(report.items[k].check, o->check) == 0 &&
                                strcmp(report.items[k].result.target, o->result.target) == 0;
                char target[TARGET_SHOWN_SIZE + 16];
                snprintf(target, sizeof(target), "%s%s#%u", o->result.target,
                         o->result.target[0] ? " " : "", same);
                size_t ilen =
                    nagios_perfdata_item(o->check, same > 1 ? target : o->result.target,
                                         (unsigned long long)o->elapsed_ms, item, sizeof(item));
                if (ilen == 0 || !put(perf, NAGIOS_PERFDATA_MAX, &plen, item, ilen) ||
                    (i + 1 < report.n_items && !put(perf, NAGIOS_PERFDATA_MAX, &plen, " ", 1)))
                        break;
                shown_perf++;
        }
        while (plen > 0 && perf[plen - 1] == ' ')
                perf[--plen] = '\0';
        /* Long text: what is left once the status line, the perfdata and a last line saying
         * what did not fit are counted. */
        size_t budget = NAGIOS_OUTPUT_MAX - (plen ? plen + 3 : 0) - 80;
        size_t dropped = 0;
        for (size_t i = 0; i < report.n_items + report.n_notes; i++) {
                char line[LONG_LINE_MAX + 32];
                if (i < report.n_items) {
                        const struct outcome *o = &report.items[i];
                        char words[LONG_LINE_MAX];
                        describe(o, true, words, sizeof(words));
                        snprintf(line, sizeof(line), "%s: %s",
                                 nagios_state_name(nagios_state_of(o)), words);
                } else {
                        const struct note *note = &report.notes[i - report.n_items];
                        if (note == error_used)
                                continue;
                        snprintf(line, sizeof(line), "%s%s",
                                 note->priority == 3   ? "error: "
                                 : note->priority == 4 ? "warning: "
                                                       : "",
                                 note->text);
                }
                size_t before = len;
                if (dropped || !put(out, budget, &len, "\n", 1) ||
                    !put(out, budget, &len, line, strlen(line))) {
                        len = before;
                        out[len] = '\0';
                        dropped++;
                }
        }
        if (dropped || shown_perf < report.n_items) {
                char more[80];
                snprintf(more, sizeof(more),
                         "\n(%zu more line%s and %zu perfdata item%s not shown)", dropped,
                         dropped == 1 ? "" : "s", report.n_items - shown_perf,
                         report.n_items - shown_perf == 1 ? "" : "s");
                (void)put(out, NAGIOS_OUTPUT_MAX, &len, more, strlen(more));
        }
        if (plen) {
                (void)put(out, NAGIOS_OUTPUT_MAX + 1, &len, " | ", 3);
                (void)put(out, NAGIOS_OUTPUT_MAX + 1, &len, perf, plen);
        }
        (void)put(out, NAGIOS_OUTPUT_MAX + 1, &len, "\n", 1);
        fwrite(out, 1, len, stdout);
        fflush(stdout);
        free(out);
        free(perf);
        free_report();
        return (int)state;
}
