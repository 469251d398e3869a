/*
 * PCRE2 patterns matched against bytes a check kept: --expect-body-regex (the http check's body,
 * its first 64 KiB) and --expect-output-regex (the exec check's output, its first 64 KiB); any
 * bytes. PCRE2 (libpcre2-8.so.0) is loaded with dlopen() by the first
 * body_regex_compile(), so a process that never compiles a pattern never maps it.
 *
 * Both halves are bounded whatever the pattern. Compiling: the pattern's length, its nesting,
 * the memory the compiler may take and the compiled size. Matching: PCRE2 calls back before
 * every item of the pattern (PCRE2_AUTO_CALLOUT), and the callback ends the whole match, over
 * every start position, at BODY_REGEX_MAX_STEPS items, or once a timer on the thread's CPU time
 * (BODY_REGEX_CPU_MS) or one at the attempt's deadline has fired (SIGVTALRM, whose action is
 * put back afterwards). PCRE2's own limits restart at each start position and count a
 * back-reference that compares 32 KiB as one step, so they alone do not bound the work; its
 * heap limit stays, as the bound on memory.
 *
 * Semantics kept from the POSIX (glibc, REG_NEWLINE) version: ^ and $ match at each line (LF
 * only), '.' never matches LF, bytes are characters (no UTF-8 mode: a body may hold NUL and
 * invalid UTF-8). Constructs that POSIX ERE and PCRE2 read differently without an error are
 * refused rather than silently reinterpreted: \< \> (word boundaries in glibc, '<' '>' in
 * PCRE2), {,n} (0 to n in glibc, literal text in PCRE2 10.42, 0 to n again in 10.43) and the
 * GNU anchors \` \' (the body's ends in glibc, quotes in PCRE2).
 */
#ifndef PREFLIGHT_CORE_REGEX_H
#define PREFLIGHT_CORE_REGEX_H

#include <stddef.h>
#include <stdint.h>

#define BODY_REGEX_PACKAGE "libpcre2-8-0" /* Debian's package of libpcre2-8.so.0 */

/* Compiling */
#define BODY_REGEX_MAX_LENGTH 4096        /* bytes of pattern */
#define BODY_REGEX_MAX_NESTING 32         /* parentheses inside parentheses */
#define BODY_REGEX_MAX_COMPILED 65536     /* bytes of compiled pattern (PCRE2_INFO_SIZE) */
#define BODY_REGEX_COMPILE_MEMORY 1048576 /* bytes the compiler may hold at once */

/* Matching: the whole match, every start position together */
#define BODY_REGEX_MAX_STEPS 10000000UL /* pattern items tried */
#define BODY_REGEX_CPU_MS 500           /* CPU time of the calling thread */
#define BODY_REGEX_HEAP_KIB 16384       /* PCRE2's heap limit: backtracking memory */

struct body_regex; /* opaque */

/*
 * Compiles pattern (a C string) for body_regex_match(). Returns PF_OK with *out set; PF_USAGE
 * when the pattern is refused (invalid, a construct listed above, or over a compile limit);
 * PF_NO_LIBRARY when libpcre2-8.so.0 is not installed; PF_INTERNAL when it is installed but
 * cannot be loaded, or memory ran out. On failure *out is NULL and why holds one line that
 * names --expect-body-regex, quotes the pattern safely and says why (and, for PF_NO_LIBRARY,
 * the package to install).
 */
int body_regex_compile(const char *pattern, struct body_regex **out, char *why, size_t why_size);

/* As body_regex_compile(), for another option of the same kind (the exec check's
 * --expect-output-regex): why names --OPTION. */
int body_regex_compile_as(const char *option, const char *pattern, struct body_regex **out,
                          char *why, size_t why_size);

enum body_match {
        BODY_MATCH,
        BODY_NO_MATCH,
        BODY_GAVE_UP,   /* a matching limit was reached: why says which, and how to write it */
        BODY_TIMED_OUT, /* the deadline passed during the match */
        BODY_ERROR,     /* out of memory, or PCRE2 failed: why has its words */
};

/*
 * Whether the pattern matches anywhere in body[0..len) (NUL bytes included). deadline_us is
 * CLOCK_MONOTONIC in microseconds as core/clock.h gives it, 0 for none. why is set for
 * BODY_GAVE_UP, BODY_TIMED_OUT and BODY_ERROR, without the pattern (the caller shows it).
 * Usable from any process; not from two threads at once (the timers share one flag).
 */
enum body_match body_regex_match(const struct body_regex *re, const char *body, size_t len,
                                 uint64_t deadline_us, char *why, size_t why_size);

void body_regex_free(struct body_regex *re); /* NULL is fine */

#endif
