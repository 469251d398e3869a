/* sysctl: are these kernel settings (/proc/sys) as the service needs? */
#include "checks/sysctl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"

#define PROC_SYS "/proc/sys/"

static const char *const op_text[] = {[SYSCTL_EQUAL] = "=",
                                      [SYSCTL_NOT_EQUAL] = "!=",
                                      [SYSCTL_AT_LEAST] = ">=",
                                      [SYSCTL_AT_MOST] = "<="};

/* Blanks, tabs and newlines: a setting's values are separated by tabs, and it ends with one
 * newline (the command line's value is refused with a newline in it). */
static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\n';
}

bool sysctl_normalize(const char *text, char *buf, size_t size)
{
        size_t n = 0;
        bool gap = false;
        for (const char *p = text; *p; p++) {
                if (is_blank(*p)) {
                        gap = n > 0;
                        continue;
                }
                if (n + (gap ? 2 : 1) >= size)
                        return false;
                if (gap)
                        buf[n++] = ' ';
                gap = false;
                buf[n++] = *p;
        }
        if (size == 0)
                return false;
        buf[n] = '\0';
        return true;
}

bool sysctl_parse_number(const char *text, struct sysctl_number *number)
{
        const char *p = text;
        bool negative = *p == '-';
        if (negative)
                p++;
        if (!isdigit((unsigned char)*p))
                return false;
        uint64_t v = 0;
        for (; isdigit((unsigned char)*p); p++) {
                unsigned digit = (unsigned)(*p - '0');
                if (v > (UINT64_MAX - digit) / 10)
                        return false;
                v = v * 10 + digit;
        }
        if (*p || (negative && v > (uint64_t)INT64_MAX + 1))
                return false;
        number->magnitude = v;
        number->negative = negative && v != 0; /* -0 is 0 */
        return true;
}

int sysctl_compare_numbers(const struct sysctl_number *a, const struct sysctl_number *b)
{
        if (a->negative != b->negative)
                return a->negative ? -1 : 1;
        int order = a->magnitude < b->magnitude ? -1 : a->magnitude > b->magnitude;
        return a->negative ? -order : order;
}

/* A key's characters: those of sysctl names and of interface names as people write them. */
static bool key_char(char c)
{
        return isalnum((unsigned char)c) || strchr("_-.:/@+", c);
}

/* Turns the key into its path below /proc/sys. With a slash anywhere, slashes separate and dots
 * are part of names (eth0.100); otherwise dots separate. */
static int key_to_path(const char *text, struct sysctl_expr *expr, struct pf_error *err)
{
        char q[QUOTE_BUF];
        const char *key = expr->key;
        char sep = strchr(key, '/') ? '/' : '.';
        for (const char *p = key; *p; p++)
                if (!key_char(*p))
                        return pf_error_set(err,
                                            "'%s': a key is letters, digits and . _ - / (as "
                                            "vm.max_map_count)",
                                            text_quote(text, q, sizeof(q)));
        size_t n = 0;
        for (const char *part = key; *part;) {
                size_t len = strcspn(part, (char[]){sep, '\0'});
                if (len == 0 || (len == 1 && part[0] == '.') ||
                    (len == 2 && part[0] == '.' && part[1] == '.'))
                        return pf_error_set(err, "'%s': an empty or '.' part in the key",
                                            text_quote(text, q, sizeof(q)));
                memcpy(expr->path + n, part, len);
                n += len;
                part += len;
                if (*part) {
                        part++;
                        if (!*part)
                                return pf_error_set(err, "'%s': the key ends with '%c'",
                                                    text_quote(text, q, sizeof(q)), sep);
                        expr->path[n++] = '/';
                }
        }
        expr->path[n] = '\0';
        return PF_OK;
}

/* Splits at the first of = != >= <=. */
static int split_expr(const char *text, struct sysctl_expr *expr, const char **value,
                      struct pf_error *err)
{
        char q[QUOTE_BUF];
        size_t key_len = strcspn(text, "=!<>");
        const char *op = text + key_len;
        if (!*op)
                return pf_error_set(err,
                                    "'%s' is not KEY=VALUE, KEY!=N, KEY>=N or KEY<=N (as "
                                    "vm.max_map_count>=262144)",
                                    text_quote(text, q, sizeof(q)));
        if (key_len == 0)
                return pf_error_set(err, "'%s': no key before '%c'", text_quote(text, q, sizeof(q)),
                                    *op);
        if (key_len >= SYSCTL_KEY_MAX)
                return pf_error_set(err, "'%s': the key is longer than %d bytes",
                                    text_quote(text, q, sizeof(q)), SYSCTL_KEY_MAX - 1);
        memcpy(expr->key, text, key_len);
        expr->key[key_len] = '\0';
        if (op[0] == '=') {
                expr->op = SYSCTL_EQUAL;
                *value = op + 1;
        } else if (op[1] == '=') {
                expr->op = op[0] == '!'   ? SYSCTL_NOT_EQUAL
                           : op[0] == '>' ? SYSCTL_AT_LEAST
                                          : SYSCTL_AT_MOST;
                *value = op + 2;
        } else {
                *value = NULL;
        }
        if (!*value)
                return pf_error_set(
                    err, "'%s': the comparison is =, !=, >= or <=", text_quote(text, q, sizeof(q)));
        return PF_OK;
}

int sysctl_parse_expr(const char *text, struct sysctl_expr *expr, struct pf_error *err)
{
        char q[QUOTE_BUF];
        const char *value = NULL;
        int r = split_expr(text, expr, &value, err);
        if (r == PF_OK)
                r = key_to_path(text, expr, err);
        if (r != PF_OK)
                return r;
        /* The value is shown in every line: printable UTF-8 only (a tab is a blank). */
        for (const char *p = value; *p;) {
                size_t len = *p == '\t' ? 1 : text_printable_length((const unsigned char *)p);
                if (len == 0)
                        return pf_error_set(err,
                                            "'%s': a control character or a byte that is not "
                                            "UTF-8 in the value",
                                            text_quote(text, q, sizeof(q)));
                p += len;
        }
        if (!sysctl_normalize(value, expr->value, sizeof(expr->value)))
                return pf_error_set(err, "'%s': the value is longer than %d bytes",
                                    text_quote(text, q, sizeof(q)), SYSCTL_VALUE_MAX - 1);
        /* "=>1" or "==1" is a slip, not a setting's text. */
        if (expr->value[0] && strchr("=!<>", expr->value[0]))
                return pf_error_set(
                    err, "'%s': the comparison is =, !=, >= or <=", text_quote(text, q, sizeof(q)));
        expr->numeric = sysctl_parse_number(expr->value, &expr->number);
        if (!expr->numeric && expr->op != SYSCTL_EQUAL && expr->op != SYSCTL_NOT_EQUAL)
                return pf_error_set(err, "'%s': %s compares whole numbers ('%s' is not one)",
                                    text_quote(text, q, sizeof(q)), op_text[expr->op], expr->value);
        return PF_OK;
}

enum sysctl_verdict sysctl_judge(const struct sysctl_expr *expr, const char *current)
{
        struct sysctl_number now;
        bool numeric = sysctl_parse_number(current, &now);
        bool equal = expr->numeric && numeric ? sysctl_compare_numbers(&now, &expr->number) == 0
                                              : strcmp(current, expr->value) == 0;
        switch (expr->op) {
        case SYSCTL_EQUAL:
                return equal ? SYSCTL_HOLDS : SYSCTL_DIFFERS;
        case SYSCTL_NOT_EQUAL:
                return equal ? SYSCTL_DIFFERS : SYSCTL_HOLDS;
        case SYSCTL_AT_LEAST:
        case SYSCTL_AT_MOST:
                break;
        }
        if (!numeric)
                return SYSCTL_NOT_A_NUMBER;
        int order = sysctl_compare_numbers(&now, &expr->number);
        bool holds = expr->op == SYSCTL_AT_LEAST ? order >= 0 : order <= 0;
        return holds ? SYSCTL_HOLDS : SYSCTL_DIFFERS;
}

long sysctl_read_bounded(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        size_t n = 0;
        long result = 0;
        while (n < size) {
                ssize_t got = read(fd, buf + n, size - n);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        result = -errno;
                        break;
                }
                if (got == 0)
                        break;
                n += (size_t)got;
        }
        close(fd);
        if (result == 0 && n >= size)
                result = -EFBIG;
        if (result < 0)
                return result;
        buf[n] = '\0';
        return (long)n;
}

/* ---- the check ---- */

static int sysctl_parse_target(const void *config, const char *arg, void *target, char *shown,
                               struct pf_error *err)
{
        (void)config;
        struct sysctl_expr *expr = target;
        int r = sysctl_parse_expr(arg, expr, err);
        if (r == PF_OK)
                snprintf(shown, TARGET_SHOWN_SIZE, "%s%s%s", expr->key, op_text[expr->op],
                         expr->value);
        return r;
}

static bool is_net_key(const struct sysctl_expr *expr)
{
        return strncmp(expr->path, "net/", 4) == 0;
}

/* KEY=VALUE as a shell takes it: in single quotes when the value holds a blank. */
static void assignment(const struct sysctl_expr *expr, char *buf, size_t size)
{
        bool plain = expr->value[0] != '\0';
        for (const char *p = expr->value; *p && plain; p++)
                plain = isalnum((unsigned char)*p) || strchr("_-.:/,+", *p);
        snprintf(buf, size, "%s%s=%s%s", plain ? "" : "'", expr->key, expr->value,
                 plain ? "" : "'");
}

static void set_fix(const struct sysctl_expr *expr, struct check_result *res)
{
        const char *ns = is_net_key(expr) ? " (in the service's network namespace)" : "";
        if (expr->op == SYSCTL_NOT_EQUAL) {
                result_fix(res,
                           "sysctl -w %s=<another value>%s, and the same as a line in a file in "
                           "/etc/sysctl.d/ to keep it",
                           expr->key, ns);
                return;
        }
        char set[SYSCTL_KEY_MAX + SYSCTL_VALUE_MAX + 4];
        assignment(expr, set, sizeof(set));
        result_fix(res,
                   "sysctl -w %s%s, and a line '%s = %s' in a file in /etc/sysctl.d/ (as "
                   "/etc/sysctl.d/60-preflight.conf) to keep it",
                   set, ns, expr->key, expr->value);
}

/* /proc/sys itself not there, or not searchable: ProcSubset=pid, InaccessiblePaths=. */
static bool proc_sys_hidden(void)
{
        return access("/proc/sys", X_OK) != 0;
}

static void report_missing(const struct sysctl_expr *expr, struct check_result *res)
{
        if (access("/proc/self", F_OK) != 0) {
                result_set(res, PF_INTERNAL, "cannot be read: /proc is not mounted");
                result_fix(res, "mount /proc (proc(5)) where the check runs");
                return;
        }
        if (proc_sys_hidden()) {
                result_set(res, PF_INTERNAL,
                           "cannot be read: /proc/sys is hidden from this process "
                           "(ProcSubset=pid in the unit?)");
                result_fix(res,
                           "remove ProcSubset=pid (or the InaccessiblePaths= that hides /proc/sys) "
                           "from the unit, or run the check as ExecStartPre=+ (without the unit's "
                           "sandboxing)");
                return;
        }
        result_set(res, PF_SYSCTL_WRONG,
                   "this kernel has no %s (/proc/sys/%s): a module not loaded?", expr->key,
                   expr->path);
        result_fix(res, "load the module that provides it (modprobe), or fix the name (sysctl -a "
                        "lists every key)");
        if (!strchr(expr->key, '/'))
                result_detail(res, "with dots every dot separates; a name that holds a dot (an "
                                   "interface such as eth0.100) is written with slashes: "
                                   "net/ipv4/conf/eth0.100/forwarding");
        else if (is_net_key(expr))
                result_detail(res, "net.* keys are those of this network namespace; some "
                                   "appear only with their module (net.netfilter.* with "
                                   "nf_conntrack)");
}

static void report_read_error(const struct sysctl_expr *expr, const char *path, int error,
                              struct check_result *res)
{
        struct stat st;
        switch (error) {
        case ENOENT:
        case ENOTDIR:
                report_missing(expr, res);
                return;
        case EISDIR:
                result_set(res, PF_USAGE, "a directory of settings, not one (sysctl %s lists them)",
                           expr->key);
                return;
        case EFBIG:
                result_set(res, PF_USAGE, "holds more than %d bytes: not a setting to compare",
                           SYSCTL_READ_MAX - 1);
                return;
        case EACCES:
                if (proc_sys_hidden()) {
                        report_missing(expr, res);
                        return;
                }
                if (stat(path, &st) == 0 && (st.st_mode & 0444) == 0) {
                        result_set(res, PF_USAGE,
                                   "cannot be read (mode %04o): an action, not a setting",
                                   (unsigned)(st.st_mode & 07777));
                        return;
                }
                result_set(res, PF_INTERNAL, "readable by root only: %s", strerror(error));
                result_fix(res, "run the check as root (ExecStartPre=+ in the unit)");
                return;
        default:
                result_set(res, PF_INTERNAL, "cannot read %s: %s", path, strerror(error));
        }
}

static void sysctl_run(const void *config, const void *target, const struct attempt *attempt,
                       struct check_result *res)
{
        (void)config;
        (void)attempt;
        const struct sysctl_expr *expr = target;
        char path[sizeof(PROC_SYS) + SYSCTL_KEY_MAX], raw[SYSCTL_READ_MAX], now[SYSCTL_READ_MAX];
        snprintf(path, sizeof(path), PROC_SYS "%s", expr->path);
        long n = sysctl_read_bounded(path, raw, sizeof(raw));
        if (n < 0) {
                report_read_error(expr, path, (int)-n, res);
                return;
        }
        sysctl_normalize(raw, now, sizeof(now)); /* never longer than what it reads */
        char q[QUOTE_BUF];
        const char *shown = text_quote(now, q, sizeof(q));
        if (is_net_key(expr))
                result_detail(res,
                              "read from %s: net.* is this process's own network "
                              "namespace (a unit with PrivateNetwork= has its own values)",
                              path);
        else
                result_detail(res, "read from %s", path);
        switch (sysctl_judge(expr, now)) {
        case SYSCTL_HOLDS:
                result_set(res, PF_OK, "is %s", shown);
                return;
        case SYSCTL_NOT_A_NUMBER:
                result_set(res, PF_USAGE,
                           "holds '%s', not one number: %s compares one number (= compares the "
                           "whole text)",
                           shown, op_text[expr->op]);
                return;
        case SYSCTL_DIFFERS:
                break;
        }
        result_set(res, PF_SYSCTL_WRONG, "is %s, needs %s %s", shown, op_text[expr->op],
                   expr->value);
        set_fix(expr, res);
}

/* What completion offers (core/completion.c). */
static const struct check_completion sysctl_completion[] = {
    {NULL, "@sysctl"},
    {NULL, NULL},
};

const struct check check_sysctl = {
    .name = "sysctl",
    .summary = "are these kernel settings (/proc/sys) as the service needs?",
    .usage = "KEY=VALUE|KEY!=N|KEY>=N|KEY<=N...",
    .help = "Each argument compares one kernel setting under /proc/sys. KEY as sysctl(8) "
            "writes it, with\ndots (vm.max_map_count) or slashes (net/ipv4/conf/eth0.100/"
            "forwarding: with a slash,\ndots belong to names). >=, <= and != compare whole "
            "numbers; = compares numbers, or\nthe whole text of a setting with several values, "
            "runs of blanks and tabs counting as\none (net.ipv4.ip_local_port_range='32768 "
            "60999'). net.* keys are those of this\nprocess's network namespace. A setting "
            "not as required, or a key this kernel lacks,\nfails with 32.",
    .options = NULL,
    .min_targets = 1,
    .max_targets = 64,
    .timeout_code = PF_SYSCTL_WRONG,
    .inverted_code = PF_SYSCTL_WRONG,
    .target_size = sizeof(struct sysctl_expr),
    .parse_target = sysctl_parse_target,
    .run = sysctl_run,
    .completion = sysctl_completion,
};
