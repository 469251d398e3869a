#include "core/regex.h"

#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/clock.h"
#include "core/dl.h"
#include "core/exitcodes.h"
#include "core/text.h"

/* ---- PCRE2, loaded on first use --------------------------------------------------------------
 * The types come from PCRE2's own header, so a prototype cannot drift from the library. The
 * header's names are macros for the 8-bit functions (pcre2_compile is pcre2_compile_8), which
 * are the symbols the library exports. */

static struct {
        __typeof__(pcre2_compile) *compile;
        __typeof__(pcre2_code_free) *code_free;
        __typeof__(pcre2_pattern_info) *pattern_info;
        __typeof__(pcre2_get_error_message) *get_error_message;
        __typeof__(pcre2_general_context_create) *general_context_create;
        __typeof__(pcre2_general_context_free) *general_context_free;
        __typeof__(pcre2_compile_context_create) *compile_context_create;
        __typeof__(pcre2_compile_context_free) *compile_context_free;
        __typeof__(pcre2_set_max_pattern_length) *set_max_pattern_length;
        __typeof__(pcre2_set_parens_nest_limit) *set_parens_nest_limit;
        __typeof__(pcre2_set_newline) *set_newline;
        __typeof__(pcre2_match_context_create) *match_context_create;
        __typeof__(pcre2_match_context_free) *match_context_free;
        __typeof__(pcre2_set_callout) *set_callout;
        __typeof__(pcre2_set_heap_limit) *set_heap_limit;
        __typeof__(pcre2_match_data_create) *match_data_create;
        __typeof__(pcre2_match_data_free) *match_data_free;
        __typeof__(pcre2_match) *match;
} pcre;

#define PCRE2_SYMBOL(field, function)                                                              \
        {                                                                                          \
#function "_8", (void **)&pcre.field                                               \
        }

static int pcre_load(char *why, size_t why_size)
{
        static const char *const sonames[] = {"libpcre2-8.so.0", NULL};
        const struct dl_symbol symbols[] = {
            PCRE2_SYMBOL(compile, pcre2_compile),
            PCRE2_SYMBOL(code_free, pcre2_code_free),
            PCRE2_SYMBOL(pattern_info, pcre2_pattern_info),
            PCRE2_SYMBOL(get_error_message, pcre2_get_error_message),
            PCRE2_SYMBOL(general_context_create, pcre2_general_context_create),
            PCRE2_SYMBOL(general_context_free, pcre2_general_context_free),
            PCRE2_SYMBOL(compile_context_create, pcre2_compile_context_create),
            PCRE2_SYMBOL(compile_context_free, pcre2_compile_context_free),
            PCRE2_SYMBOL(set_max_pattern_length, pcre2_set_max_pattern_length),
            PCRE2_SYMBOL(set_parens_nest_limit, pcre2_set_parens_nest_limit),
            PCRE2_SYMBOL(set_newline, pcre2_set_newline),
            PCRE2_SYMBOL(match_context_create, pcre2_match_context_create),
            PCRE2_SYMBOL(match_context_free, pcre2_match_context_free),
            PCRE2_SYMBOL(set_callout, pcre2_set_callout),
            PCRE2_SYMBOL(set_heap_limit, pcre2_set_heap_limit),
            PCRE2_SYMBOL(match_data_create, pcre2_match_data_create),
            PCRE2_SYMBOL(match_data_free, pcre2_match_data_free),
            PCRE2_SYMBOL(match, pcre2_match),
            {NULL, NULL},
        };
        return dl_load(sonames, symbols, why, why_size);
}

/* ---- Compile-time memory ---------------------------------------------------------------------
 * PCRE2 10.42 has no limit on the compiled size: with the link size Debian builds (2) it
 * refuses past 64 K code units itself, but a build with a larger link size would allocate
 * whatever repeated groups multiply to ("((a{1000}){1000}){1000}") before PCRE2_INFO_SIZE
 * could be read. So the compiler gets its memory from a pool that refuses past a total. */

struct pool {
        size_t in_use, cap;
        bool refused; /* a request went past cap (not: malloc failed) */
};

/* Each block starts with its size, so that freeing it can give the bytes back. */
struct block_header {
        alignas(max_align_t) size_t size;
};

static void *pool_malloc(PCRE2_SIZE size, void *data)
{
        struct pool *pool = data;
        size_t left = pool->cap - pool->in_use;
        if (left < sizeof(struct block_header) || size > left - sizeof(struct block_header)) {
                pool->refused = true;
                return NULL;
        }
        struct block_header *block = malloc(sizeof(*block) + size);
        if (!block)
                return NULL;
        block->size = sizeof(*block) + size;
        pool->in_use += block->size;
        return block + 1;
}

static void pool_free(void *memory, void *data)
{
        struct pool *pool = data;
        if (!memory)
                return;
        struct block_header *block = (struct block_header *)memory - 1;
        pool->in_use -= block->size;
        free(block);
}

struct body_regex {
        struct pool pool; /* first, and freed last: the compiled code's allocator points here */
        pcre2_general_context *memory;
        pcre2_code *code;
};

void body_regex_free(struct body_regex *re)
{
        if (!re)
                return;
        if (re->code)
                pcre.code_free(re->code);
        if (re->memory)
                pcre.general_context_free(re->memory);
        free(re);
}

/* ---- Constructs POSIX ERE and PCRE2 read differently, both without an error ------------------
 * A pattern written for the POSIX version would match something else, silently: refused, with
 * what to write instead. */

static const char word_boundary_fix[] =
    "\\< and \\> are POSIX word boundaries but the characters < and > in PCRE2: "
    "write \\b for a word boundary, or < and > for the characters";
static const char gnu_anchor_fix[] =
    "\\` and \\' are GNU's start and end of the body but the characters ` and ' in PCRE2: "
    "write \\A and \\z for the start and end, or ` and ' for the characters";
static const char empty_minimum_fix[] =
    "{,n} is 0 to n times in POSIX but literal text in this PCRE2 (and 0 to n in later "
    "versions): write {0,n}, or \\{ for the brace";

/* Past "\Q...\E" (all literal), or to the end of the pattern when "\E" is missing. */
static const char *past_quoted(const char *p)
{
        const char *end = strstr(p + 2, "\\E");
        return end ? end + 2 : p + strlen(p);
}

/* Past a bracket class starting at p ('['): there, \< and {,n} are what PCRE2 says they are
 * in a class in POSIX too (a backslash is literal there in POSIX: see the docs on [\d]). */
static const char *past_class(const char *p)
{
        p++;
        if (*p == '^')
                p++;
        if (*p == ']')
                p++; /* a ']' first is literal in both */
        while (*p && *p != ']') {
                if (p[0] == '\\' && p[1] == 'Q') {
                        p = past_quoted(p);
                } else if (p[0] == '\\' && p[1]) {
                        p += 2;
                } else if (p[0] == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
                        const char *end = strstr(p + 2, (char[]){p[1], ']', '\0'});
                        p = end ? end + 2 : p + 1;
                } else {
                        p++;
                }
        }
        return *p ? p + 1 : p;
}

/* "{,n}" or "{,}" at p. */
static bool empty_minimum_at(const char *p)
{
        if (p[0] != '{' || p[1] != ',')
                return false;
        p += 2;
        while (*p >= '0' && *p <= '9')
                p++;
        return *p == '}';
}

/* The first construct of the list above in pattern, with *fix set; NULL when there is none.
 * Comments (?#...) are skipped; in (?x) mode a '#' comment that holds one is refused too,
 * which costs nothing but rewording a comment. */
static const char *misread_construct(const char *pattern, const char **fix)
{
        const char *p = pattern;
        while (*p) {
                if (p[0] == '\\' && p[1] == 'Q') {
                        p = past_quoted(p);
                } else if (p[0] == '\\') {
                        if (p[1] == '<' || p[1] == '>')
                                *fix = word_boundary_fix;
                        else if (p[1] == '`' || p[1] == '\'')
                                *fix = gnu_anchor_fix;
                        else
                                p += p[1] ? 2 : 1;
                        if (*fix)
                                return p;
                } else if (p[0] == '[') {
                        p = past_class(p);
                } else if (strncmp(p, "(?#", 3) == 0) {
                        const char *end = strchr(p, ')');
                        p = end ? end + 1 : p + strlen(p);
                } else if (empty_minimum_at(p)) {
                        *fix = empty_minimum_fix;
                        return p;
                } else {
                        p++;
                }
        }
        return NULL;
}

/* ---- Compiling ------------------------------------------------------------------------------- */

/*
 * MULTILINE with ALT_CIRCUMFLEX and LF as the only newline: ^ and $ at each line as glibc's
 * REG_NEWLINE had them, ^ also after a final LF. NEVER_UTF: bytes are characters, as they were
 * in the C locale, and any body can be matched; "(*UTF)" in a pattern is refused. AUTO_CALLOUT:
 * the callback that bounds the whole match runs before every item.
 */
#define COMPILE_OPTIONS                                                                            \
        (PCRE2_MULTILINE | PCRE2_ALT_CIRCUMFLEX | PCRE2_NEVER_UTF | PCRE2_AUTO_CALLOUT)

static int refuse(const char *option, const char *pattern, char *why, size_t why_size,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "--OPTION: 'PATTERN' is refused: REASON": the pattern quoted as every usage error quotes a
 * word that may be a forgotten option's URL. */
static int refuse(const char *option, const char *pattern, char *why, size_t why_size,
                  const char *fmt, ...)
{
        char quoted[QUOTE_BUF], reason[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        snprintf(why, why_size, "--%s: '%s' is refused: %s", option,
                 text_quote_hiding_userinfo(pattern, quoted, sizeof(quoted)), reason);
        return PF_USAGE;
}

static int refuse_compile_error(const char *option, const char *pattern,
                                const struct body_regex *re, int error, PCRE2_SIZE offset,
                                char *why, size_t why_size)
{
        if (re->pool.refused)
                return refuse(option, pattern, why, why_size,
                              "compiling it needs more than %d KiB; write it more simply "
                              "(fewer repeated groups)",
                              BODY_REGEX_COMPILE_MEMORY / 1024);
        if (error == PCRE2_ERROR_HEAP_FAILED) {
                snprintf(why, why_size, "--%s: out of memory compiling it", option);
                return PF_INTERNAL;
        }
        PCRE2_UCHAR message[256];
        if (pcre.get_error_message(error, message, sizeof(message)) < 0)
                snprintf((char *)message, sizeof(message), "PCRE2 error %d", error);
        if (error == PCRE2_ERROR_PARENTHESES_NEST_TOO_DEEP)
                return refuse(option, pattern, why, why_size,
                              "%s (at most %d levels), at offset %zu", (const char *)message,
                              BODY_REGEX_MAX_NESTING, (size_t)offset);
        /* PCRE2's messages are its own fixed English words; the offset locates them. */
        return refuse(option, pattern, why, why_size, "%s at offset %zu", (const char *)message,
                      (size_t)offset);
}

/* The checks that need no library: length, and the constructs POSIX reads otherwise. */
static int refuse_before_compiling(const char *option, const char *pattern, char *why,
                                   size_t why_size)
{
        size_t length = strlen(pattern);
        if (length > BODY_REGEX_MAX_LENGTH)
                return refuse(option, pattern, why, why_size, "it is %zu bytes long, more than %d",
                              length, BODY_REGEX_MAX_LENGTH);
        const char *fix = NULL;
        const char *at = misread_construct(pattern, &fix);
        if (at)
                return refuse(option, pattern, why, why_size, "at offset %zu, %s",
                              (size_t)(at - pattern), fix);
        return PF_OK;
}

static int compile_into(const char *option, struct body_regex *re, const char *pattern, char *why,
                        size_t why_size)
{
        pcre2_compile_context *context = pcre.compile_context_create(re->memory);
        if (!context) {
                snprintf(why, why_size, "--%s: out of memory", option);
                return PF_INTERNAL;
        }
        (void)pcre.set_max_pattern_length(context, BODY_REGEX_MAX_LENGTH);
        (void)pcre.set_parens_nest_limit(context, BODY_REGEX_MAX_NESTING);
        (void)pcre.set_newline(context, PCRE2_NEWLINE_LF);
        int error = 0;
        PCRE2_SIZE offset = 0;
        re->code = pcre.compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, COMPILE_OPTIONS, &error,
                                &offset, context);
        pcre.compile_context_free(context);
        if (!re->code)
                return refuse_compile_error(option, pattern, re, error, offset, why, why_size);
        size_t size = 0;
        if (pcre.pattern_info(re->code, PCRE2_INFO_SIZE, &size) != 0 ||
            size > BODY_REGEX_MAX_COMPILED)
                return refuse(option, pattern, why, why_size,
                              "it compiles to %zu bytes, more than %d; write it more simply "
                              "(fewer repeated groups)",
                              size, BODY_REGEX_MAX_COMPILED);
        return PF_OK;
}

int body_regex_compile(const char *pattern, struct body_regex **out, char *why, size_t why_size)
{
        return body_regex_compile_as("expect-body-regex", pattern, out, why, why_size);
}

int body_regex_compile_as(const char *option, const char *pattern, struct body_regex **out,
                          char *why, size_t why_size)
{
        *out = NULL;
        int r = refuse_before_compiling(option, pattern, why, why_size);
        if (r != PF_OK)
                return r;
        char loader[384];
        r = pcre_load(loader, sizeof(loader));
        if (r == PF_NO_LIBRARY) {
                snprintf(why, why_size,
                         "--%s needs PCRE2, which is not installed: %s; "
                         "apt-get install " BODY_REGEX_PACKAGE,
                         option, loader);
                return r;
        }
        if (r != PF_OK) {
                snprintf(why, why_size, "--%s: PCRE2 cannot be loaded: %s", option, loader);
                return r;
        }
        struct body_regex *re = calloc(1, sizeof(*re));
        if (!re) {
                snprintf(why, why_size, "--%s: out of memory", option);
                return PF_INTERNAL;
        }
        re->pool.cap = BODY_REGEX_COMPILE_MEMORY;
        re->memory = pcre.general_context_create(pool_malloc, pool_free, &re->pool);
        r = re->memory ? compile_into(option, re, pattern, why, why_size) : PF_INTERNAL;
        if (!re->memory)
                snprintf(why, why_size, "--%s: out of memory", option);
        if (r != PF_OK) {
                body_regex_free(re);
                return r;
        }
        *out = re;
        return PF_OK;
}

/* ---- Matching --------------------------------------------------------------------------------
 * The budget is counted by the callout PCRE2 makes before every item of the pattern, over the
 * whole pcre2_match() call: every start position draws on the same budget. Steps are counted
 * there. Time cannot be read there at every step (the thread's CPU clock is a system call of
 * about 1 us, 50 times a cheap step), and reading it every CLOCK_EVERY steps is not enough
 * alone: one step can cost tens of milliseconds ('[^\p{Han}\p{Greek}...]{65000}' fails after
 * scanning the body, testing each byte against every property, 5 s per 128 steps). So two
 * timers, one on this thread's CPU time and one at the deadline, raise a flag that the callout
 * reads at every step; the clock read every CLOCK_EVERY steps is what remains when no timer
 * can be had. */

enum { CLOCK_EVERY = 128 };

enum limit { LIMIT_NONE, LIMIT_STEPS, LIMIT_CPU, LIMIT_DEADLINE };

struct budget {
        unsigned long steps;
        uint64_t cpu_end_ns; /* CPU time of this thread */
        uint64_t deadline_us;
        enum limit hit;
};

/* CPU time of the calling thread; wall time, which is never less, if that clock is missing. */
static uint64_t thread_cpu_ns(void)
{
        struct timespec now;
        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0 &&
            clock_gettime(CLOCK_MONOTONIC, &now) != 0)
                return 0;
        return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static volatile sig_atomic_t time_is_up;

static void on_timer(int sig)
{
        (void)sig;
        time_is_up = 1;
}

/* glibc names the field only from 2.37 on. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* SIGVTALRM: nothing else in preflight uses it; its old action is put back after the match. */
#define TIMER_SIGNAL SIGVTALRM

struct timers {
        timer_t cpu, wall;
        bool cpu_armed, wall_armed, installed;
        struct sigaction old_action;
        sigset_t old_mask;
};

/* One timer to this thread, firing once at the time given (absolute for CLOCK_MONOTONIC). */
static bool arm(clockid_t clock, uint64_t at_ns, timer_t *timer)
{
        struct sigevent event = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = TIMER_SIGNAL};
        event.sigev_notify_thread_id = gettid();
        if (timer_create(clock, &event, timer) != 0)
                return false;
        struct itimerspec when = {
            .it_value = {(time_t)(at_ns / 1000000000u), (long)(at_ns % 1000000000u)}};
        if (timer_settime(*timer, clock == CLOCK_MONOTONIC ? TIMER_ABSTIME : 0, &when, NULL) == 0)
                return true;
        (void)timer_delete(*timer);
        return false;
}

static void timers_start(struct timers *t, uint64_t deadline_us)
{
        struct sigaction action = {.sa_handler = on_timer, .sa_flags = SA_RESTART};
        sigset_t signal_only;
        time_is_up = 0;
        (void)sigemptyset(&action.sa_mask);
        (void)sigemptyset(&signal_only);
        (void)sigaddset(&signal_only, TIMER_SIGNAL);
        if (sigaction(TIMER_SIGNAL, &action, &t->old_action) != 0)
                return;
        t->installed = pthread_sigmask(SIG_UNBLOCK, &signal_only, &t->old_mask) == 0;
        if (!t->installed) {
                (void)sigaction(TIMER_SIGNAL, &t->old_action, NULL);
                return;
        }
        t->cpu_armed =
            arm(CLOCK_THREAD_CPUTIME_ID, (uint64_t)BODY_REGEX_CPU_MS * 1000000u, &t->cpu);
        if (deadline_us)
                t->wall_armed = arm(CLOCK_MONOTONIC, deadline_us * 1000u, &t->wall);
}

/* A signal generated before timer_delete() is delivered before it returns (it is for this
 * thread, which does not block it), so none is left pending for the old action. */
static void timers_stop(struct timers *t)
{
        if (t->cpu_armed)
                (void)timer_delete(t->cpu);
        if (t->wall_armed)
                (void)timer_delete(t->wall);
        if (t->installed) {
                (void)pthread_sigmask(SIG_SETMASK, &t->old_mask, NULL);
                (void)sigaction(TIMER_SIGNAL, &t->old_action, NULL);
        }
}

static int count_step(pcre2_callout_block *block, void *data)
{
        (void)block;
        struct budget *budget = data;
        if (++budget->steps > BODY_REGEX_MAX_STEPS)
                budget->hit = LIMIT_STEPS;
        else if (!time_is_up && budget->steps % CLOCK_EVERY != 0)
                return 0;
        else if (deadline_passed(budget->deadline_us))
                budget->hit = LIMIT_DEADLINE;
        else if (time_is_up || thread_cpu_ns() > budget->cpu_end_ns)
                budget->hit = LIMIT_CPU;
        else
                return 0;
        return PCRE2_ERROR_CALLOUT; /* ends pcre2_match(), not just this path */
}

#define HOW_TO_WRITE_IT                                                                            \
        "anchor the pattern (^ at the start, or literal text first), and avoid nested "            \
        "repetition such as (a+)+, (a|a)* or (.*)*"

/* What a match that ended without an answer means; why says which limit and what to do. */
static enum body_match gave_up(int rc, const struct budget *budget, char *why, size_t why_size)
{
        if (rc == PCRE2_ERROR_CALLOUT && budget->hit == LIMIT_DEADLINE) {
                snprintf(why, why_size, "the deadline passed while matching the body");
                return BODY_TIMED_OUT;
        }
        if (rc == PCRE2_ERROR_CALLOUT && budget->hit == LIMIT_STEPS)
                snprintf(why, why_size,
                         "matching gave up at its limit of %lu steps (pattern items tried, over "
                         "all start positions); " HOW_TO_WRITE_IT,
                         BODY_REGEX_MAX_STEPS);
        else if (rc == PCRE2_ERROR_CALLOUT && budget->hit == LIMIT_CPU)
                snprintf(why, why_size,
                         "matching gave up at its limit of %d ms of CPU time; " HOW_TO_WRITE_IT,
                         BODY_REGEX_CPU_MS);
        else if (rc == PCRE2_ERROR_HEAPLIMIT)
                snprintf(why, why_size,
                         "matching gave up at its limit of %d MiB of backtracking memory; repeat "
                         "a class rather than a group ([ab]* for (a|b)*), make the repetition "
                         "possessive ((a|b)*+), or " HOW_TO_WRITE_IT,
                         BODY_REGEX_HEAP_KIB / 1024);
        else if (rc == PCRE2_ERROR_MATCHLIMIT)
                snprintf(why, why_size,
                         "matching gave up at PCRE2's match limit (from one start "
                         "position); " HOW_TO_WRITE_IT);
        else if (rc == PCRE2_ERROR_RECURSELOOP)
                snprintf(why, why_size,
                         "matching stopped: the pattern recurses at the same place in the body "
                         "without end ((?R) or (?1) that can match nothing)");
        else if (rc == PCRE2_ERROR_DEPTHLIMIT)
                snprintf(why, why_size,
                         "matching gave up at PCRE2's depth limit (nested "
                         "backtracking); " HOW_TO_WRITE_IT);
        else
                return BODY_ERROR;
        return BODY_GAVE_UP;
}

enum body_match body_regex_match(const struct body_regex *re, const char *body, size_t len,
                                 uint64_t deadline_us, char *why, size_t why_size)
{
        struct budget budget = {
            .cpu_end_ns = thread_cpu_ns() + (uint64_t)BODY_REGEX_CPU_MS * 1000000u,
            .deadline_us = deadline_us,
        };
        pcre2_match_context *context = pcre.match_context_create(NULL);
        pcre2_match_data *data = pcre.match_data_create(1, NULL);
        int rc = PCRE2_ERROR_NOMEMORY;
        if (context && data) {
                struct timers timers = {0};
                (void)pcre.set_heap_limit(context, BODY_REGEX_HEAP_KIB);
                (void)pcre.set_callout(context, count_step, &budget);
                timers_start(&timers, deadline_us);
                /* PCRE2 10.42 takes no NULL subject, even when empty. */
                rc = pcre.match(re->code, (PCRE2_SPTR)(body ? body : ""), len, 0, 0, data, context);
                timers_stop(&timers);
        }
        pcre.match_data_free(data);
        pcre.match_context_free(context);
        if (rc >= 0)
                return BODY_MATCH;
        if (rc == PCRE2_ERROR_NOMATCH)
                return BODY_NO_MATCH;
        enum body_match answer = gave_up(rc, &budget, why, why_size);
        if (answer != BODY_ERROR)
                return answer;
        if (rc == PCRE2_ERROR_NOMEMORY) {
                snprintf(why, why_size, "out of memory matching the body");
        } else {
                PCRE2_UCHAR message[256];
                if (pcre.get_error_message(rc, message, sizeof(message)) < 0)
                        snprintf((char *)message, sizeof(message), "error %d", rc);
                snprintf(why, why_size, "PCRE2 failed matching the body: %s",
                         (const char *)message);
        }
        return BODY_ERROR;
}
