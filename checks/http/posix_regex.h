/* --expect-body-regex: compiled once when the option is parsed, matched against the body. */
#ifndef PREFLIGHT_CHECKS_HTTP_POSIX_REGEX_H
#define PREFLIGHT_CHECKS_HTTP_POSIX_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "core/check.h"

struct body_regex;
enum body_match { BODY_MATCH, BODY_NO_MATCH, BODY_GAVE_UP, BODY_ERROR };

/* PF_OK, PF_USAGE (why says what is wrong with the pattern) or PF_INTERNAL. */
int body_regex_compile(const char *pattern, struct body_regex **out, char *why, size_t why_size);
enum body_match body_regex_match(const struct body_regex *re, const char *body, size_t len,
                                 char *why, size_t why_size);
void body_regex_free(struct body_regex *re);

/* What --expect-body-regex accepts before regcomp() is called: 0, or -1 with err set when the
 * pattern is one glibc's regcomp() would spend far too much memory on (it copies a group once
 * per repetition, so nested counts multiply: "((a{100}){100}){100}" or "a++++++++++++++++++++"
 * take gigabytes). *may_be_slow: it has what can make regcomp() take exponential time (anchors,
 * word boundaries, back-references, or a loop over what can match nothing). */
int http_check_regex_cost(const char *pattern, bool *may_be_slow, struct pf_error *err);

#endif
