#include "core/wrapper.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/exitcodes.h"
#include "core/report.h"
#include "core/text.h"

static int exec_failure(const char *name, int err)
{
        char q[QUOTE_BUF];
        if (err == ENOENT || err == ENOTDIR) {
                report_error(NULL, "%s: command not found", text_quote(name, q, sizeof(q)));
                return PF_EXEC_NOT_FOUND;
        }
        report_error(NULL, "%s: cannot execute: %s", text_quote(name, q, sizeof(q)), strerror(err));
        return PF_EXEC_FAILED;
}

int wrapper_execvp(char **command)
{
        const char *name = command[0];
        /* execv, not execvp: execvp retries ENOEXEC files through /bin/sh. */
        if (strchr(name, '/')) {
                execv(name, command);
                return errno;
        }
        const char *path = getenv("PATH");
        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        size_t name_len = strlen(name);
        int saved = ENOENT;
        /* A buffer on the stack, not malloc(): this also runs in a child between fork() and
         * exec. */
        char full[PATH_MAX];
        for (const char *p = path;;) {
                const char *colon = strchr(p, ':');
                size_t dir_len = colon ? (size_t)(colon - p) : strlen(p);
                int e = ENAMETOOLONG;
                if (dir_len + name_len + 3 <= sizeof(full)) {
                        if (dir_len == 0)
                                snprintf(full, sizeof(full), "./%s", name);
                        else
                                snprintf(full, sizeof(full), "%.*s/%s", (int)dir_len, p, name);
                        execv(full, command);
                        e = errno;
                }
                /* Remember "found but not runnable" over "not here" (as shells do). */
                if (e != ENOENT && e != ENOTDIR)
                        saved = e;
                if (!colon)
                        break;
                p = colon + 1;
        }
        return saved;
}

int wrapper_exec(char **command)
{
        fflush(NULL);
        return exec_failure(command[0], wrapper_execvp(command));
}
