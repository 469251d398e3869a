/* --expect-body-regex through glibc's regcomp()/regexec(), with the guards regcomp() needs. */
#include "checks/http/posix_regex.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/text.h"

struct body_regex {
        regex_t re;
};

/* An upper bound, in regcomp()'s parse-tree nodes, on what a pattern costs: glibc writes "x+"
 * as "xx*" and "x{m,n}" as n copies of x, so repetitions multiply the size of what they repeat.
 * regcomp()'s memory and time grow with the square of the size and worse (20000 nodes of "()"
 * take 1.5 GB and 5 s); 2000 nodes stay under 20 MB, and a readiness pattern needs far
 * fewer. Counts above POSIX's portable RE_DUP_MAX (255) are refused on their own: "x{1,n}"
 * costs regcomp time and memory that grow with the square of n (".{1,10000}": 770 MB). */
enum { REGEX_COST_MAX = 2000, REGEX_COUNT_MAX = 255, REGEX_DEPTH_MAX = 64 };
enum { GLIBC_DUP_MAX = 0x7fff }; /* glibc's own RE_DUP_MAX: a count above it is an error */

static size_t cost_add(size_t a, size_t b)
{
        return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t cost_mul(size_t a, size_t b)
{
        return b != 0 && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

/* p is just past '['; returns just past the matching ']' (or the end of the text). */
static const char *skip_bracket_expression(const char *p)
{
        if (*p == '^')
                p++;
        if (*p == ']') /* a ']' first is a member, not the end */
                p++;
        while (*p && *p != ']') {
                if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
                        const char *end = strchr(p + 2, p[1]);
                        while (end && end[1] != ']')
                                end = strchr(end + 1, p[1]);
                        if (!end)
                                return p + strlen(p);
                        p = end + 2;
                } else {
                        p++;
                }
        }
        return *p ? p + 1 : p;
}

/* One number of an interval as glibc's regcomp() reads it: digits (and "\\0", a 0 there; "\\1"
 * to "\\9" are back-references), up to a ',' (escaped or not) or an unescaped '}', which *sep
 * is set to; *p is left past it. Returns the number, -1 for none, -2 for what regcomp()
 * refuses. */
static long interval_number(const char **p, char *sep)
{
        long n = -1;
        for (;;) {
                const char *t = *p;
                bool escaped = t[0] == '\\' && t[1];
                char c = escaped ? t[1] : t[0];
                if (!c)
                        return -2;
                *p = t + (escaped ? 2 : 1);
                if (c == ',' || (c == '}' && !escaped)) {
                        *sep = c;
                        return n;
                }
                if (!isdigit((unsigned char)c) || (escaped && c != '0') || n == -2)
                        n = -2;
                else
                        n = n < 0 ? c - '0' : n * 10 + (c - '0');
                if (n > GLIBC_DUP_MAX)
                        n = -2;
        }
}

/* q at '{': an interval "{m}", "{m,n}", "{m,}" or glibc's "{,n}" (from 0). Returns just past
 * it, or NULL for what regcomp() refuses; *unbounded for "{m,}". */
static const char *scan_interval(const char *q, unsigned long *low, unsigned long *high,
                                 bool *unbounded)
{
        const char *p = q + 1;
        char sep;
        long start = interval_number(&p, &sep), end = start;
        if (start == -2 || (start == -1 && sep != ','))
                return NULL;
        if (sep == ',') {
                end = interval_number(&p, &sep);
                if (end == -2 || sep != '}')
                        return NULL;
                start = start < 0 ? 0 : start;
        }
        if (end >= 0 && end < start)
                return NULL;
        *unbounded = end < 0;
        *low = (unsigned long)start;
        *high = end < 0 ? *low : (unsigned long)end;
        return p;
}

struct regex_scan {
        bool count_too_big; /* a count above REGEX_COUNT_MAX */
        bool may_be_slow;   /* see regex_compiles_in_time() */
};

/* The cost of the alternation at *p, up to its closing ')' or the end; *p is left there, and
 * *empty says whether the alternation can match the empty string. At depth 0 a ')' closes
 * nothing: glibc reads it as a character, which may be repeated like any other. */
static size_t regex_cost(const char **p, unsigned depth, bool *empty, struct regex_scan *scan)
{
        size_t total = 1;
        bool branch_empty = true; /* so far, every atom of this branch can match nothing */
        *empty = false;
        while (**p && (**p != ')' || depth == 0)) {
                const char *at = *p;
                size_t atom = 1;
                bool atom_empty = false;
                if (*at == '|') {
                        *empty = *empty || branch_empty;
                        branch_empty = true;
                        total = cost_add(total, 1);
                        (*p)++;
                        continue;
                }
                if (*at == '(') {
                        if (depth >= REGEX_DEPTH_MAX)
                                return SIZE_MAX;
                        *p = at + 1;
                        atom = cost_add(regex_cost(p, depth + 1, &atom_empty, scan), 1);
                        if (**p == ')')
                                (*p)++;
                } else if (*at == '[') {
                        *p = skip_bracket_expression(at + 1);
                } else if (*at == '\\' && at[1]) {
                        /* back-references and glibc's word and buffer anchors */
                        if (strchr("123456789<>bB`'", at[1]))
                                atom_empty = scan->may_be_slow = true;
                        *p = at + 2;
                } else {
                        if (*at == '^' || *at == '$')
                                atom_empty = scan->may_be_slow = true;
                        *p = at + 1;
                }
                for (;;) { /* the repetitions after the atom, stacked ones included */
                        const char *q = *p;
                        bool loops = false; /* '*', '+' and "{m,}" repeat without end */
                        bool repeats_empty = atom_empty;
                        if (*q == '*' || *q == '?') {
                                loops = *q == '*';
                                atom = cost_add(atom, 1);
                                atom_empty = true;
                        } else if (*q == '+') {
                                loops = true;
                                atom = cost_add(cost_mul(atom, 2), 1);
                        } else if (*q == '{') {
                                unsigned long low, high;
                                const char *end = scan_interval(q, &low, &high, &loops);
                                if (!end)
                                        break; /* regcomp() refuses it, and says why */
                                if (low > REGEX_COUNT_MAX || high > REGEX_COUNT_MAX)
                                        scan->count_too_big = true;
                                /* {m,}: m copies and a star, as {m,m} costs */
                                atom = cost_add(cost_mul(atom, high + 1), 1);
                                atom_empty = atom_empty || low == 0;
                                q = end - 1;
                        } else {
                                break;
                        }
                        /* "(a*)*", "a?+": a loop that can go round matching nothing */
                        if (loops && repeats_empty)
                                scan->may_be_slow = true;
                        *p = q + 1;
                }
                branch_empty = branch_empty && atom_empty;
                total = cost_add(total, atom);
        }
        *empty = *empty || branch_empty;
        return total;
}

int http_check_regex_cost(const char *pattern, bool *may_be_slow, struct pf_error *err)
{
        char q[QUOTE_BUF];
        struct regex_scan scan = {false, false};
        const char *p = pattern;
        bool empty;
        size_t cost = regex_cost(&p, 0, &empty, &scan);
        *may_be_slow = scan.may_be_slow;
        if (scan.count_too_big)
                return pf_error_set(err,
                                    "--expect-body-regex: '%s' repeats more than %d times "
                                    "(RE_DUP_MAX); use '*' or '+'",
                                    text_quote_hiding_userinfo(pattern, q, sizeof(q)),
                                    REGEX_COUNT_MAX);
        if (cost > REGEX_COST_MAX)
                return pf_error_set(err,
                                    "--expect-body-regex: '%s' is too complex (nested or stacked "
                                    "repetitions multiply its size); write it more simply",
                                    text_quote_hiding_userinfo(pattern, q, sizeof(q)));
        return PF_OK;
}

/* REG_NEWLINE: ^ and $ match at each line, as grep does, so '^ready$' matches the body
 * "ready\n" that most services send. */
#define REGEX_FLAGS (REG_EXTENDED | REG_NOSUB | REG_NEWLINE)

enum { REGEX_COMPILE_CPU_SECONDS = 1, REGEX_TRIAL_OUT_OF_TIME = 3 };

static void regex_trial_out_of_time(int sig)
{
        (void)sig;
        _exit(REGEX_TRIAL_OUT_OF_TIME);
}

/*
 * Whether regcomp() compiles PATTERN within REGEX_COMPILE_CPU_SECONDS of CPU time, found out
 * in a child process. The cost bound keeps memory and most time in check, but glibc's regcomp()
 * takes time exponential in the length of some short patterns, and nothing interrupts it once
 * called: those with anchors, back-references or word boundaries ("(^)?" 300 times: over 20 s;
 * "(\b|\B)" eight times then "a?" 400 times: 13 s), and those with a loop that can go round
 * matching nothing ("(((a?)+)?)+" twenty times, 220 bytes: 6.7 s). Only such patterns are tried
 * (regex_cost() says which); the others compile in polynomial time, within 0.1 s at the cost
 * bound. Compiling is deterministic, so the compile that follows here takes no longer than the
 * trial did. When no child can be made, the pattern is compiled here untried.
 */
static bool regex_compiles_in_time(const char *pattern)
{
        pid_t pid = fork();
        if (pid < 0)
                return true;
        if (pid == 0) {
                struct rlimit cpu = {REGEX_COMPILE_CPU_SECONDS, REGEX_COMPILE_CPU_SECONDS + 1};
                regex_t re;
                /* SIGXCPU at the soft limit ends the child without a core dump; SIGKILL at the
                 * hard limit if the handler cannot run. */
                if (signal(SIGXCPU, regex_trial_out_of_time) == SIG_ERR ||
                    setrlimit(RLIMIT_CPU, &cpu) != 0)
                        _exit(0); /* untried, as when no child can be made */
                (void)regcomp(&re, pattern, REGEX_FLAGS);
                _exit(0);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return true;
        /* Out of time, killed at the hard limit, or anything else the child did not mean */
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int body_regex_compile(const char *pattern, struct body_regex **out, char *why, size_t why_size)
{
        char q[QUOTE_BUF];
        bool may_be_slow;
        struct pf_error err;
        *out = NULL;
        if (http_check_regex_cost(pattern, &may_be_slow, &err) != PF_OK) {
                snprintf(why, why_size, "%s", err.msg + strlen("--expect-body-regex: "));
                return PF_USAGE;
        }
        if (may_be_slow && !regex_compiles_in_time(pattern)) {
                snprintf(why, why_size,
                         "regcomp() did not compile '%s' within %d s of CPU time; write it "
                         "more simply",
                         text_quote_hiding_userinfo(pattern, q, sizeof(q)),
                         REGEX_COMPILE_CPU_SECONDS);
                return PF_USAGE;
        }
        struct body_regex *re = malloc(sizeof(*re));
        if (!re) {
                snprintf(why, why_size, "out of memory");
                return PF_INTERNAL;
        }
        int rc = regcomp(&re->re, pattern, REGEX_FLAGS);
        if (rc != 0) {
                char error[160];
                regerror(rc, &re->re, error, sizeof(error));
                regfree(&re->re);
                free(re);
                snprintf(why, why_size, "'%s' is not a valid regular expression: %s",
                         text_quote_hiding_userinfo(pattern, q, sizeof(q)), error);
                return PF_USAGE;
        }
        *out = re;
        return PF_OK;
}

enum body_match body_regex_match(const struct body_regex *re, const char *body, size_t len,
                                 char *why, size_t why_size)
{
        (void)why;
        (void)why_size;
        /* The whole kept body, NUL bytes included. */
        regmatch_t range = {.rm_so = 0, .rm_eo = (regoff_t)len};
        return regexec(&re->re, body, 1, &range, REG_STARTEND) == 0 ? BODY_MATCH : BODY_NO_MATCH;
}

void body_regex_free(struct body_regex *re)
{
        if (!re)
                return;
        regfree(&re->re);
        free(re);
}
