/*
 * `preflight completion bash|zsh|fish`: the completion script for that shell, generated from the
 * binary's own tables (the checks, their options and core/check.h's check_completion, the
 * options every check takes, the commands, run's and why's options, the exit codes), so a new
 * check or option is completed without anyone writing a script.
 */
#ifndef PREFLIGHT_COMPLETION_H
#define PREFLIGHT_COMPLETION_H

#include <stdio.h>

#include "core/command.h"

/* argv: the words after "completion". commands: core/main.c's table, ending with name NULL. */
int completion_main(int argc, char **argv, const struct command *commands);

/* Quoting (and the unit tests of it). completion_put_sh writes s as one single-quoted word of
 * bash or zsh ('it'\''s'); completion_put_fish as one of fish, whose single quotes take \\ and
 * \' as escapes ('it\'s'); completion_put_zsh writes s as text inside a single-quoted zsh
 * _arguments spec, whose descriptions ("[...]") and messages (":...:") take '\', '[', ']' and
 * ':' as special, so each is escaped with a backslash (and "'" as for completion_put_sh). */
void completion_put_sh(FILE *out, const char *s);
void completion_put_fish(FILE *out, const char *s);
void completion_put_zsh(FILE *out, const char *s);

#endif
