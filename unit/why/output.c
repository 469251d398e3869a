/* What `preflight why` prints: the human report and its --json form, from the unit's data. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/report.h"
#include "core/text.h"
#include "unit/why/why.h"

/* Where the statuses start, as in `systemctl status`'s columns: wide enough for most commands. */
#define STATUS_COLUMN 52
/* Advice lines are wrapped at this width, continuing under the text. */
#define WRAP_COLUMN 100
/* A command line longer than this is cut: the status is what matters. */
#define COMMAND_SHOWN 160

static const char *code_name(int32_t code)
{
        switch (code) {
        case WHY_CLD_EXITED:
                return "exited";
        case WHY_CLD_KILLED:
                return "killed";
        case WHY_CLD_DUMPED:
                return "dumped";
        default:
                return NULL;
        }
}

/* "ExecStart=/bin/x a b", cut at COMMAND_SHOWN bytes (on a UTF-8 boundary) with "...". */
static void command_text(const struct why_command *c, char *buf, size_t size)
{
        char line[COMMAND_SHOWN + 4];
        const char *src = c->line[0] ? c->line : c->path;
        size_t len = strlen(src);
        if (len > COMMAND_SHOWN) {
                len = COMMAND_SHOWN;
                while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
                        len--;
                snprintf(line, sizeof(line), "%.*s...", (int)len, src);
        } else {
                snprintf(line, sizeof(line), "%s", src);
        }
        snprintf(buf, size, "%s=%s%s", c->setting, c->ignore_failure ? "-" : "", line);
}

/* Writes text (shown safely) then pads to the status column. */
static void column(FILE *out, const char *text)
{
        fputs("  ", out);
        text_write_safe(out, text);
        size_t width = 2 + strlen(text);
        if (width + 2 > STATUS_COLUMN)
                fputs("  ", out);
        else
                fprintf(out, "%*s", (int)(STATUS_COLUMN - width), "");
}

/* Word-wraps text after a first-line prefix, continuing lines with indent. */
static void wrapped(FILE *out, const char *prefix, const char *indent, const char *text)
{
        size_t col = strlen(prefix);
        fputs(prefix, out);
        const char *p = text;
        bool first = true;
        while (*p) {
                const char *end = strchr(p, ' ');
                size_t word = end ? (size_t)(end - p) : strlen(p);
                if (!first && col + 1 + word > WRAP_COLUMN) {
                        fputc('\n', out);
                        fputs(indent, out);
                        col = strlen(indent);
                        first = true;
                }
                if (!first) {
                        fputc(' ', out);
                        col++;
                }
                char chunk[WHY_TEXT * 2];
                snprintf(chunk, sizeof(chunk), "%.*s", (int)word, p);
                text_write_safe(out, chunk);
                col += word;
                first = false;
                p += word;
                while (*p == ' ')
                        p++;
        }
        fputc('\n', out);
}

/* True when the main process is one of the commands (a simple service's ExecStart=). */
static bool main_is_a_command(const struct why_unit *u)
{
        for (size_t i = 0; i < u->n_commands; i++)
                if (u->commands[i].pid && u->commands[i].pid == u->exec_main_pid)
                        return true;
        return false;
}

static bool show_main(const struct why_unit *u)
{
        return u->exec_main_pid && !main_is_a_command(u);
}

void why_print(FILE *out, const struct why_unit *u)
{
        char state[256], text[WHY_TEXT + 64], status[400];
        why_state_line(u, state, sizeof(state));
        /* The manager's words, shown as safely as the unit's: a bus peer is not to be trusted
         * with the terminal either. */
        text_write_safe(out, u->name);
        fputs(": ", out);
        text_write_safe(out, state);
        fputc('\n', out);
        for (size_t i = 0; i < u->n_commands; i++) {
                const struct why_command *c = &u->commands[i];
                command_text(c, text, sizeof(text));
                column(out, text);
                why_format_status(c->code, c->status, c->start_usec, c->exit_usec, c->pid,
                                  why_command_is_preflight(c), status, sizeof(status));
                fputs(status, out);
                if (why_command_failed(c) && c->ignore_failure)
                        fputs(" (ignored: '-' prefix)", out);
                fputc('\n', out);
        }
        if (show_main(u)) {
                if (u->main_comm[0])
                        snprintf(text, sizeof(text), "main process %" PRIu32 " (%s)",
                                 u->exec_main_pid, u->main_comm);
                else
                        snprintf(text, sizeof(text), "main process %" PRIu32, u->exec_main_pid);
                column(out, text);
                why_format_status(u->exec_main_code, u->exec_main_status, 1, u->exec_main_exit_usec,
                                  u->exec_main_pid, false, status, sizeof(status));
                fprintf(out, "%s\n", status);
        }
        if (u->lines_dropped) {
                fprintf(out,
                        "    journal: (%zu earlier line%s not shown: journalctl%s -p warning "
                        "_SYSTEMD_INVOCATION_ID=",
                        u->lines_dropped, u->lines_dropped == 1 ? "" : "s",
                        u->user_manager ? " --user" : "");
                text_write_safe(out, u->invocation_id);
                fputs(")\n", out);
        }
        for (size_t i = 0; i < u->n_lines; i++) {
                fputs(u->lines[i].manager ? "    systemd: " : "    journal: ", out);
                text_write_safe(out, u->lines[i].text);
                fputc('\n', out);
        }
        if (u->journal_note[0]) {
                fputs("    journal: ", out);
                text_write_safe(out, u->journal_note);
                fputc('\n', out);
        }
        struct why_advice advice[WHY_MAX_ADVICE];
        size_t n = why_advise(u, advice, WHY_MAX_ADVICE);
        for (size_t i = 0; i < n; i++)
                wrapped(out, "  \xe2\x86\x92 ", "    ", advice[i].text);
        fflush(out);
}

static void json_key_string(FILE *out, const char *key, const char *value)
{
        fprintf(out, ",\"%s\":", key);
        json_write_string(out, value);
}

static void json_status(FILE *out, int32_t code, int32_t status, uint64_t start, uint64_t exit,
                        uint32_t pid, bool from_preflight)
{
        char text[400];
        fprintf(out, ",\"pid\":%" PRIu32, pid);
        const char *name = exit ? code_name(code) : NULL;
        if (name)
                fprintf(out, ",\"code\":\"%s\",\"status\":%d", name, (int)status);
        else
                fputs(",\"code\":null,\"status\":null", out);
        why_format_status(code, status, start, exit, pid, from_preflight, text, sizeof(text));
        json_key_string(out, "explanation", text);
}

static void json_statuses(FILE *out, const char *key, const int32_t *list, size_t n)
{
        fprintf(out, ",\"%s\":[", key);
        for (size_t i = 0; i < n; i++)
                fprintf(out, "%s%d", i ? "," : "", (int)list[i]);
        fputc(']', out);
}

void why_print_json(FILE *out, const struct why_unit *u)
{
        char text[WHY_TEXT * 2];
        fputs("{\"unit\":", out);
        json_write_string(out, u->name);
        json_key_string(out, "load_state", u->load_state);
        json_key_string(out, "active_state", u->active_state);
        json_key_string(out, "sub_state", u->sub_state);
        json_key_string(out, "result", u->result);
        json_key_string(out, "type", u->type);
        json_key_string(out, "restart", u->restart);
        fprintf(out, ",\"restarts\":%" PRIu32, u->n_restarts);
        json_key_string(out, "invocation_id", u->invocation_id);
        why_state_line(u, text, sizeof(text));
        json_key_string(out, "state", text);
        json_statuses(out, "success_exit_status", u->success_status, u->n_success_status);
        json_statuses(out, "restart_prevent_exit_status", u->restart_prevent, u->n_restart_prevent);
        fputs(",\"commands\":[", out);
        for (size_t i = 0; i < u->n_commands; i++) {
                const struct why_command *c = &u->commands[i];
                fprintf(out, "%s{\"setting\":", i ? "," : "");
                json_write_string(out, c->setting);
                json_key_string(out, "command", c->line[0] ? c->line : c->path);
                json_key_string(out, "path", c->path);
                fprintf(out, ",\"ignore_failure\":%s", c->ignore_failure ? "true" : "false");
                json_status(out, c->code, c->status, c->start_usec, c->exit_usec, c->pid,
                            why_command_is_preflight(c));
                fputc('}', out);
        }
        fputs("],\"main_process\":", out);
        if (u->exec_main_pid) {
                fputs("{\"name\":", out);
                json_write_string(out, u->main_comm);
                json_status(out, u->exec_main_code, u->exec_main_status, 1, u->exec_main_exit_usec,
                            u->exec_main_pid, false);
                fputc('}', out);
        } else {
                fputs("null", out);
        }
        fputs(",\"conditions\":[", out);
        for (size_t i = 0; i < u->n_conditions; i++) {
                const struct why_condition *k = &u->conditions[i];
                fprintf(out, "%s{\"setting\":", i ? "," : "");
                json_write_string(out, k->type);
                json_key_string(out, "parameter", k->parameter);
                fprintf(out, ",\"negate\":%s,\"trigger\":%s,\"state\":\"%s\"}",
                        k->negate ? "true" : "false", k->trigger ? "true" : "false",
                        k->state > 0   ? "met"
                        : k->state < 0 ? "failed"
                                       : "untested");
        }
        fputs("],\"journal\":[", out);
        for (size_t i = 0; i < u->n_lines; i++) {
                fprintf(out, "%s{\"priority\":%d,\"source\":\"%s\",\"message\":", i ? "," : "",
                        u->lines[i].priority, u->lines[i].manager ? "manager" : "unit");
                json_write_string(out, u->lines[i].text);
                fputc('}', out);
        }
        fprintf(out, "],\"journal_dropped\":%zu", u->lines_dropped);
        if (u->journal_note[0])
                json_key_string(out, "journal_note", u->journal_note);
        why_reason(u, text, sizeof(text));
        json_key_string(out, "reason", text);
        struct why_advice advice[WHY_MAX_ADVICE];
        size_t n = why_advise(u, advice, WHY_MAX_ADVICE);
        fputs(",\"advice\":[", out);
        for (size_t i = 0; i < n; i++) {
                if (i)
                        fputc(',', out);
                json_write_string(out, advice[i].text);
        }
        fputs("]}\n", out);
        fflush(out);
}
