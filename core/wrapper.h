/* `-- COMMAND [ARGS]`: run the service in preflight's place once the checks pass. */
#ifndef PREFLIGHT_WRAPPER_H
#define PREFLIGHT_WRAPPER_H

/* execv()s command (searching PATH when it has no slash; never through a shell). Returns only
 * on failure, after saying why: PF_EXEC_NOT_FOUND (127) or PF_EXEC_FAILED (126). */
int wrapper_exec(char **command);

#endif
