/* limit: are this process's resource limits (getrlimit) what the service needs? */
#include "checks/limit.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/span.h"
#include "core/text.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Every RLIMIT_* of Linux, as prlimit(1) names it and the Limit*= setting that sets it. */
static const struct limit_info limits[] = {
    {"as", "LimitAS", RLIMIT_AS, LIMIT_BYTES, 'v'},
    {"core", "LimitCORE", RLIMIT_CORE, LIMIT_BYTES, 0},
    {"cpu", "LimitCPU", RLIMIT_CPU, LIMIT_SECONDS, 't'},
    {"data", "LimitDATA", RLIMIT_DATA, LIMIT_BYTES, 0},
    {"fsize", "LimitFSIZE", RLIMIT_FSIZE, LIMIT_BYTES, 0},
    {"locks", "LimitLOCKS", RLIMIT_LOCKS, LIMIT_COUNT, 'x'},
    {"memlock", "LimitMEMLOCK", RLIMIT_MEMLOCK, LIMIT_BYTES, 0},
    {"msgqueue", "LimitMSGQUEUE", RLIMIT_MSGQUEUE, LIMIT_BYTES, 'q'},
    {"nice", "LimitNICE", RLIMIT_NICE, LIMIT_PLAIN, 'e'},
    {"nofile", "LimitNOFILE", RLIMIT_NOFILE, LIMIT_COUNT, 'n'},
    {"nproc", "LimitNPROC", RLIMIT_NPROC, LIMIT_COUNT, 'u'},
    {"rss", "LimitRSS", RLIMIT_RSS, LIMIT_BYTES, 0},
    {"rtprio", "LimitRTPRIO", RLIMIT_RTPRIO, LIMIT_PLAIN, 'r'},
    {"rttime", "LimitRTTIME", RLIMIT_RTTIME, LIMIT_USEC, 'R'},
    {"sigpending", "LimitSIGPENDING", RLIMIT_SIGPENDING, LIMIT_COUNT, 'i'},
    {"stack", "LimitSTACK", RLIMIT_STACK, LIMIT_BYTES, 0},
};

static const char *const op_text[] = {
    [LIMIT_AT_LEAST] = ">=", [LIMIT_AT_MOST] = "<=", [LIMIT_EQUAL] = "="};

/* "nofile", "LimitNOFILE", "RLIMIT_NOFILE", in any case. */
static const struct limit_info *find_limit(const char *name, size_t len)
{
        if (len > 7 && strncasecmp(name, "rlimit_", 7) == 0) {
                name += 7;
                len -= 7;
        } else if (len > 5 && strncasecmp(name, "limit", 5) == 0) {
                name += 5;
                len -= 5;
        }
        for (size_t i = 0; i < ARRAY_SIZE(limits); i++)
                if (strlen(limits[i].name) == len && strncasecmp(limits[i].name, name, len) == 0)
                        return &limits[i];
        return NULL;
}

/* Decimal digits that fit below RLIM_INFINITY; *end gets the first other character. */
static bool parse_digits(const char *text, rlim_t *value, const char **end)
{
        rlim_t v = 0;
        const char *p = text;
        for (; isdigit((unsigned char)*p); p++) {
                unsigned digit = (unsigned)(*p - '0');
                if (v > (RLIM_INFINITY - 1 - digit) / 10)
                        return false;
                v = v * 10 + digit;
        }
        *value = v;
        *end = p;
        return p != text;
}

static bool parse_bytes(const char *text, rlim_t *value)
{
        static const char suffixes[] = "KMGTPE";
        const char *end;
        if (!parse_digits(text, value, &end))
                return false;
        if (!*end)
                return true;
        const char *s = strchr(suffixes, toupper((unsigned char)*end));
        if (!s || end[1])
                return false;
        for (const char *k = suffixes; k <= s; k++) {
                if (*value > (RLIM_INFINITY - 1) / 1024)
                        return false;
                *value *= 1024;
        }
        return true;
}

static bool parse_time(const char *text, enum limit_unit unit, rlim_t *value)
{
        const char *end;
        if (unit == LIMIT_USEC && parse_digits(text, value, &end) && !*end)
                return true; /* systemd's LimitRTTIME= reads a bare number as microseconds */
        uint64_t usec;
        if (!span_parse(text, &usec) || usec == SPAN_INFINITY)
                return false;
        if (unit == LIMIT_USEC) {
                *value = (rlim_t)usec;
                return *value != RLIM_INFINITY;
        }
        *value = (rlim_t)(usec / 1000000 + (usec % 1000000 != 0)); /* rounded up, as systemd */
        return true;
}

/* LimitNICE=-5 or +5 is a nice level (-20..19), which the kernel's limit holds as 20 - level. */
static bool parse_nice_level(const char *text, rlim_t *value)
{
        rlim_t level;
        const char *end;
        if (!parse_digits(text + 1, &level, &end) || *end || level > 20)
                return false;
        if (text[0] == '-') {
                *value = 20 + level;
                return true;
        }
        *value = 20 - level;
        return level < 20;
}

static bool parse_value(const struct limit_info *limit, const char *text, rlim_t *value)
{
        if (limit->resource == RLIMIT_NICE && (text[0] == '-' || text[0] == '+'))
                return parse_nice_level(text, value);
        if (text_equal_nocase(text, "infinity") || text_equal_nocase(text, "unlimited")) {
                *value = RLIM_INFINITY;
                return true;
        }
        const char *end;
        switch (limit->unit) {
        case LIMIT_BYTES:
                return parse_bytes(text, value);
        case LIMIT_SECONDS:
        case LIMIT_USEC:
                return parse_time(text, limit->unit, value);
        case LIMIT_COUNT:
        case LIMIT_PLAIN:
                break;
        }
        return parse_digits(text, value, &end) && !*end;
}

static const char *unit_words(enum limit_unit unit)
{
        switch (unit) {
        case LIMIT_BYTES:
                return "bytes, with K, M, G or T (powers of 1024)";
        case LIMIT_SECONDS:
                return "seconds, or a span such as 5min";
        case LIMIT_USEC:
                return "microseconds, or a span such as 500ms";
        case LIMIT_PLAIN:
                return "a whole number (for nice: 0 to 40, or a nice level -20 to +19)";
        case LIMIT_COUNT:
                break;
        }
        return "a whole number";
}

int limit_parse_expr(const char *text, struct limit_expr *expr, struct pf_error *err)
{
        char q[QUOTE_BUF];
        size_t name_len = strcspn(text, "<>=!");
        const char *op = text + name_len;
        if (!*op)
                return pf_error_set(err,
                                    "'%s' is not NAME>=VALUE, NAME<=VALUE or NAME=VALUE (as "
                                    "nofile>=65535)",
                                    text_quote(text, q, sizeof(q)));
        expr->limit = find_limit(text, name_len);
        if (!expr->limit)
                return pf_error_set(err,
                                    "'%s': not a resource limit (nofile, nproc, memlock, core, "
                                    "stack, as, cpu, ...: see prlimit(1))",
                                    text_quote(text, q, sizeof(q)));
        const char *value;
        if (op[0] == '>' && op[1] == '=') {
                expr->op = LIMIT_AT_LEAST;
                value = op + 2;
        } else if (op[0] == '<' && op[1] == '=') {
                expr->op = LIMIT_AT_MOST;
                value = op + 2;
        } else if (op[0] == '=') {
                expr->op = LIMIT_EQUAL;
                value = op + 1;
        } else {
                return pf_error_set(
                    err, "'%s': the comparison is >=, <= or =", text_quote(text, q, sizeof(q)));
        }
        if (!parse_value(expr->limit, value, &expr->value))
                return pf_error_set(err, "'%s': the value of %s is %s, or infinity",
                                    text_quote(text, q, sizeof(q)), expr->limit->name,
                                    unit_words(expr->limit->unit));
        return PF_OK;
}

void limit_format_value(const struct limit_info *limit, rlim_t value, char *buf, size_t size)
{
        if (value == RLIM_INFINITY) {
                snprintf(buf, size, "infinity");
                return;
        }
        static const char suffixes[] = "KMGTPE";
        int k = -1;
        while (limit->unit == LIMIT_BYTES && k + 1 < 6 && value && value % 1024 == 0) {
                value /= 1024;
                k++;
        }
        char suffix[2] = {k >= 0 ? suffixes[k] : '\0', '\0'};
        snprintf(buf, size, "%llu%s", (unsigned long long)value, suffix);
}

void limit_format_expr(const struct limit_expr *expr, char *buf, size_t size)
{
        char value[32];
        limit_format_value(expr->limit, expr->value, value, sizeof(value));
        snprintf(buf, size, "%s%s%s", expr->limit->name, op_text[expr->op], value);
}

int limit_holds(const struct limit_expr *expr, rlim_t value)
{
        switch (expr->op) {
        case LIMIT_AT_LEAST:
                return value >= expr->value;
        case LIMIT_AT_MOST:
                return value <= expr->value;
        case LIMIT_EQUAL:
                break;
        }
        return value == expr->value;
}

/* ---- the check ---- */

enum { OPT_HARD };

static const struct check_option limit_options[] = {
    [OPT_HARD] = {"hard", 0, NULL, "compare the hard limits instead of the soft ones"},
    {NULL, 0, NULL, NULL},
};

struct limit_config {
        bool hard;
};

static int limit_parse_option(void *config, unsigned option, const char *value,
                              struct pf_error *err)
{
        (void)value;
        struct limit_config *cfg = config;
        if (option != OPT_HARD)
                return pf_error_set(err, "unknown option");
        cfg->hard = true;
        return PF_OK;
}

static int limit_parse_target(const void *config, const char *arg, void *target, char *shown,
                              struct pf_error *err)
{
        (void)config;
        struct limit_expr *expr = target;
        int r = limit_parse_expr(arg, expr, err);
        if (r == PF_OK)
                limit_format_expr(expr, shown, TARGET_SHOWN_SIZE);
        return r;
}

/* The value the fix sets: what the expression asks for. */
static void set_fix(const struct limit_expr *expr, const struct rlimit *now, bool hard,
                    struct check_result *res)
{
        const struct limit_info *l = expr->limit;
        char want[32], shell[64] = "";
        limit_format_value(l, expr->value, want, sizeof(want));
        if (l->ulimit_flag && l->unit != LIMIT_BYTES)
                snprintf(shell, sizeof(shell), "; in a shell, ulimit -%s%c %s", hard ? "H" : "S",
                         l->ulimit_flag, expr->value == RLIM_INFINITY ? "unlimited" : want);
        if (expr->limit->resource == RLIMIT_NOFILE && !hard && now->rlim_cur == 1024)
                result_fix(res,
                           "%s=%s in the unit (it sets the soft and the hard limit); 1024 is "
                           "systemd's soft default since 240 (hard 524288), kept low for programs "
                           "that use select(), which the program did not raise itself%s",
                           l->setting, want, shell);
        else
                result_fix(res, "%s=%s in the unit (it sets the soft and the hard limit)%s",
                           l->setting, want, shell);
}

static void limit_run(const void *config, const void *target, const struct attempt *attempt,
                      struct check_result *res)
{
        (void)attempt;
        const struct limit_config *cfg = config;
        const struct limit_expr *expr = target;
        const char *which = cfg->hard ? "hard" : "soft";
        struct rlimit now;
        if (getrlimit(expr->limit->resource, &now) != 0) {
                result_set(res, PF_INTERNAL, "cannot read the %s limit: %s", expr->limit->name,
                           strerror(errno));
                return;
        }
        rlim_t value = cfg->hard ? now.rlim_max : now.rlim_cur;
        char shown_now[32], soft[32], hard[32];
        limit_format_value(expr->limit, value, shown_now, sizeof(shown_now));
        limit_format_value(expr->limit, now.rlim_cur, soft, sizeof(soft));
        limit_format_value(expr->limit, now.rlim_max, hard, sizeof(hard));
        /* "LimitNOFILE" + 5 is the kernel's own name after RLIMIT_. */
        result_detail(res, "soft %s, hard %s (RLIMIT_%s)", soft, hard, expr->limit->setting + 5);
        if (limit_holds(expr, value)) {
                result_set(res, PF_OK, "the %s limit is %s", which, shown_now);
                return;
        }
        char want[32];
        limit_format_value(expr->limit, expr->value, want, sizeof(want));
        result_set(res, PF_LIMIT_WRONG, "the %s limit is %s, needs %s %s", which, shown_now,
                   op_text[expr->op], want);
        set_fix(expr, &now, cfg->hard, res);
        if (!cfg->hard && expr->op == LIMIT_AT_LEAST && limit_holds(expr, now.rlim_max))
                result_detail(res,
                              "soft %s, hard %s: the program may raise its soft limit itself "
                              "(setrlimit), but this check sees what it starts with",
                              soft, hard);
        else if (expr->value > value)
                result_detail(res,
                              "soft %s, hard %s: a hard limit is raised only by a privileged "
                              "process (systemd, with the unit's %s=)",
                              soft, hard, expr->limit->setting);
}

/* What completion offers (core/completion.c). */
static const struct check_completion limit_completion[] = {
    {NULL, "as>= core>= cpu>= data>= fsize>= locks>= memlock>= msgqueue>= nice>= nofile>= "
           "nproc>= rss>= rtprio>= rttime>= sigpending>= stack>="},
    {NULL, NULL},
};

const struct check check_limit = {
    .name = "limit",
    .summary = "are this process's resource limits (nofile, nproc, memlock, ...) high enough?",
    .usage = "NAME>=VALUE|NAME<=VALUE|NAME=VALUE... [--hard]",
    .help = "Each argument compares one resource limit of this process with VALUE. NAME as "
            "prlimit(1) or\nsystemd spells it, in any case: nofile, LimitNOFILE, RLIMIT_NOFILE "
            "(as, core, cpu, data,\nfsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, "
            "rtprio, rttime, sigpending,\nstack). VALUE is a number, infinity, bytes with K, M, "
            "G or T (powers of 1024, as\nLimit*= reads them), seconds for cpu and microseconds "
            "for rttime (or a span: 5min);\nfor nice 0 to 40, or a nice level with its sign (-5 "
            "is 25). The soft limit is compared\nunless --hard is given. As ExecStartPre= the "
            "check sees the unit's Limit*= settings.\nA limit that is not as required fails "
            "with 31.",
    .options = limit_options,
    .min_targets = 1,
    .max_targets = 64,
    .timeout_code = PF_LIMIT_WRONG,
    .inverted_code = PF_LIMIT_WRONG,
    .config_size = sizeof(struct limit_config),
    .target_size = sizeof(struct limit_expr),
    .parse_option = limit_parse_option,
    .parse_target = limit_parse_target,
    .run = limit_run,
    .completion = limit_completion,
};
