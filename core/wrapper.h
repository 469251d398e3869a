/* `-- COMMAND [ARGS]`: run the service in preflight's place once the checks pass. */
#ifndef PREFLIGHT_WRAPPER_H
#define PREFLIGHT_WRAPPER_H

/* execv()s command (searching PATH when it has no slash; never through a shell). Returns only
 * on failure, after saying why: PF_EXEC_NOT_FOUND (127) or PF_EXEC_FAILED (126). */
int wrapper_exec(char **command);

/* The same search and execv() calls, silent: returns only on failure, with the errno that
 * counts (ENOENT when no directory of PATH has the name; a "found but not runnable" error such
 * as EACCES or ENOEXEC over ENOENT). Safe between fork() and exec (no allocation). */
int wrapper_execvp(char **command);

#endif
