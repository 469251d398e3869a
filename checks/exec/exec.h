/* The exec check's parts: check.c (options, the command, the verdict) and spawn.c (running
 * the command under the deadline and leaving nothing behind). */
#ifndef PREFLIGHT_CHECKS_EXEC_EXEC_H
#define PREFLIGHT_CHECKS_EXEC_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes of stdout and stderr kept; the rest is read and dropped. */
#define EXEC_OUTPUT_KEPT (64u * 1024u)
#define EXEC_KILL_GRACE_US (100u * 1000u) /* SIGTERM, then SIGKILL this much later */

enum spawn_outcome {
        SPAWN_EXITED,      /* status holds the wait status */
        SPAWN_TIMED_OUT,   /* still running at the deadline: everything was killed */
        SPAWN_NOT_STARTED, /* exec failed: error holds its errno */
        SPAWN_SYSTEM,      /* pipe, fork or /dev/null failed: error holds the errno */
};

struct spawn_result {
        enum spawn_outcome outcome;
        int status;       /* SPAWN_EXITED: as waitpid() gives it */
        int error;        /* SPAWN_NOT_STARTED, SPAWN_SYSTEM */
        const char *step; /* SPAWN_SYSTEM: what failed ("fork", "pipe") */
        pid_t pid;
        char *output;             /* the first EXEC_OUTPUT_KEPT bytes; owned by the caller */
        size_t kept;              /* bytes in output */
        unsigned long long total; /* bytes the command wrote */
        unsigned leftovers;       /* descendants still alive when the command itself ended */
        char leftover_name[32];   /* the first of them, for the message */
        pid_t leftover_pid;
        uint64_t took_us;
};

/*
 * Runs words (argv, NULL-terminated; a name without '/' searched in PATH) in its own process
 * group with stdin on /dev/null and stdout and stderr on one pipe, until it exits or the
 * deadline (0: none). This process becomes a child subreaper, so whatever the command starts
 * stays a descendant; when the command ends or the deadline passes, every descendant is sent
 * SIGTERM, then SIGKILL EXEC_KILL_GRACE_US later, and reaped. res->output is malloc()ed (NULL
 * when memory ran out before the start: SPAWN_SYSTEM).
 */
void spawn_run(char *const *words, uint64_t deadline_us, struct spawn_result *res);

#endif
