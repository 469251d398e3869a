/*
 * `preflight why`'s reports (unit/why/output.c, advice.c) on units made of whatever bytes a unit
 * file, a command line or a journal line can hold: the human report is lines that are each safe
 * to print, and --json is one line of valid JSON in well-formed UTF-8, whatever the unit says.
 *
 * The input is split at newlines: the unit's name, its states, result, type, restart, PIDFile=,
 * WorkingDirectory= and User=, then commands and journal lines; the first byte of each of those
 * says which it is, its setting or priority, and its status.
 */
#include "tests/fuzz/fuzz.h"

#include "unit/why/why.h"

/* A JSON value at *p (RFC 8259, without numbers' exponents, which why never writes); false when
 * there is none. */
static bool json_value(const char **p, int depth);

static void json_space(const char **p)
{
        while (**p == ' ')
                (*p)++;
}

static bool json_string(const char **p)
{
        if (**p != '"')
                return false;
        for ((*p)++; **p != '"'; (*p)++) {
                unsigned char c = (unsigned char)**p;
                if (c < 0x20)
                        return false;
                if (c == '\\') {
                        (*p)++;
                        if (**p == 'u') {
                                for (int i = 1; i <= 4; i++)
                                        if (!strchr("0123456789abcdefABCDEF", (*p)[i]) || !(*p)[i])
                                                return false;
                                *p += 4;
                        } else if (!**p || !strchr("\"\\/bfnrt", **p)) {
                                return false;
                        }
                }
        }
        (*p)++;
        return true;
}

static bool json_number(const char **p)
{
        if (**p == '-')
                (*p)++;
        if (**p < '0' || **p > '9')
                return false;
        while (**p >= '0' && **p <= '9')
                (*p)++;
        return true;
}

static bool json_container(const char **p, char open, char close, bool keys, int depth)
{
        if (**p != open)
                return false;
        (*p)++;
        json_space(p);
        if (**p == close) {
                (*p)++;
                return true;
        }
        for (;;) {
                if (keys) {
                        if (!json_string(p))
                                return false;
                        json_space(p);
                        if (**p != ':')
                                return false;
                        (*p)++;
                }
                if (!json_value(p, depth + 1))
                        return false;
                json_space(p);
                if (**p == close) {
                        (*p)++;
                        return true;
                }
                if (**p != ',')
                        return false;
                (*p)++;
        }
}

static bool json_value(const char **p, int depth)
{
        if (depth > 8)
                return false;
        json_space(p);
        switch (**p) {
        case '{':
                return json_container(p, '{', '}', true, depth);
        case '[':
                return json_container(p, '[', ']', false, depth);
        case '"':
                return json_string(p);
        case 't':
                return strncmp(*p, "true", 4) == 0 && (*p += 4);
        case 'f':
                return strncmp(*p, "false", 5) == 0 && (*p += 5);
        case 'n':
                return strncmp(*p, "null", 4) == 0 && (*p += 4);
        default:
                return json_number(p);
        }
}

static bool well_formed_utf8(const char *s)
{
        const unsigned char *u = (const unsigned char *)s;
        while (*u) {
                size_t k = fuzz_utf8_length(u);
                if (k == 0)
                        return false;
                u += k;
        }
        return true;
}

static const char *const settings[] = {"ExecCondition", "ExecStartPre", "ExecStart",
                                       "ExecStartPost", "ExecStop",     "ExecStopPost"};
static const char *const results[] = {"success", "exit-code",       "timeout", "protocol",
                                      "signal",  "start-limit-hit", "oom-kill"};
static const char *const types[] = {"simple", "notify", "forking", "oneshot", "exec"};

static void fill(struct why_unit *u, char *text)
{
        char *fields[64];
        size_t n = 0;
        for (char *line = strtok(text, "\n"); line && n < 64; line = strtok(NULL, "\n"))
                fields[n++] = line;
        char *const fixed[] = {u->name,      u->load_state,        u->active_state,
                               u->sub_state, u->working_directory, u->user,
                               u->pid_file,  u->notify_access,     u->invocation_id};
        const size_t sizes[] = {
            sizeof(u->name),      sizeof(u->load_state),        sizeof(u->active_state),
            sizeof(u->sub_state), sizeof(u->working_directory), sizeof(u->user),
            sizeof(u->pid_file),  sizeof(u->notify_access),     sizeof(u->invocation_id)};
        size_t i = 0;
        for (; i < n && i < sizeof(sizes) / sizeof(sizes[0]); i++)
                snprintf(fixed[i], sizes[i], "%s", fields[i]);
        for (; i < n; i++) {
                unsigned char k = (unsigned char)fields[i][0];
                const char *rest = fields[i] + 1;
                snprintf(u->result, sizeof(u->result), "%s", results[k % 7]);
                snprintf(u->type, sizeof(u->type), "%s", types[(k >> 3) % 5]);
                snprintf(u->restart, sizeof(u->restart), "%s", k & 0x40 ? "always" : "no");
                if (k & 0x80 && u->n_lines < WHY_MAX_LINES) {
                        struct why_line *l = &u->lines[u->n_lines++];
                        l->priority = k % 8;
                        l->manager = k & 1;
                        snprintf(l->text, sizeof(l->text), "%s", rest);
                } else if (u->n_commands < WHY_MAX_COMMANDS) {
                        struct why_command *c = &u->commands[u->n_commands++];
                        memset(c, 0, sizeof(*c));
                        snprintf(c->setting, sizeof(c->setting), "%s", settings[k % 6]);
                        snprintf(c->line, sizeof(c->line), "%s", rest);
                        snprintf(c->path, sizeof(c->path), "%.*s", (int)strcspn(rest, " "), rest);
                        c->start_usec = k & 2 ? 0 : 1;
                        c->exit_usec = k & 4 ? 0 : 2;
                        c->pid = k;
                        c->code = 1 + k % 3;
                        /* Every status worth a rule: 143, preflight's, systemd's 200-245. */
                        c->status = (int32_t)(unsigned char)(rest[0] ? rest[0] : k);
                        c->path_state = (enum why_path_state)(k % 5);
                        c->ignore_failure = k & 0x20;
                        snprintf(c->interpreter, sizeof(c->interpreter), "%s", rest);
                }
        }
        u->exec_main_pid = n;
        u->exec_main_code = 1 + (int32_t)(n % 3);
        u->exec_main_status = n > 10 ? 143 : (int32_t)n;
        u->exec_main_exit_usec = n & 1;
        u->condition_timestamp = n & 2;
        if (u->n_conditions < WHY_MAX_CONDITIONS && n > 2) {
                struct why_condition *c = &u->conditions[u->n_conditions++];
                snprintf(c->type, sizeof(c->type), "ConditionPathExists");
                snprintf(c->parameter, sizeof(c->parameter), "%s", fields[n - 1]);
                c->state = -1;
        }
        snprintf(u->skip_condition, sizeof(u->skip_condition), "%s", n > 3 ? fields[3] : "");
        u->skipped_by_condition = n & 4;
        u->lines_dropped = n & 8;
        u->is_service = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 16384)
                return 0;
        char *text = fuzz_text(data, size);
        struct why_unit *u = calloc(1, sizeof(*u));
        if (!u)
                abort();
        fill(u, text);

        char *out = NULL;
        size_t out_size = 0;
        FILE *f = open_memstream(&out, &out_size);
        if (!f)
                abort();
        why_print(f, u);
        fclose(f);
        /* Every line of the report is safe to print. */
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
                FUZZ_REQUIRE(fuzz_safe_line(line), "report line '%s'", line);
        free(out);

        out = NULL;
        f = open_memstream(&out, &out_size);
        if (!f)
                abort();
        why_print_json(f, u);
        fclose(f);
        FUZZ_REQUIRE(out_size > 1 && out[out_size - 1] == '\n', "--json does not end its line");
        out[out_size - 1] = '\0';
        FUZZ_REQUIRE(strchr(out, '\n') == NULL, "--json is more than one line: %s", out);
        FUZZ_REQUIRE(well_formed_utf8(out), "--json is not UTF-8: %s", out);
        const char *p = out;
        FUZZ_REQUIRE(json_value(&p, 0) && *p == '\0', "--json does not parse at '%.40s': %s", p,
                     out);
        free(out);

        char reason[WHY_TEXT * 2];
        why_reason(u, reason, sizeof(reason));
        FUZZ_REQUIRE(strlen(reason) < sizeof(reason), "reason overflow");
        free(u);
        free(text);
        return 0;
}
