#include "core/wrapper.h"

#include <errno.h>
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

int wrapper_exec(char **command)
{
        const char *name = command[0];
        fflush(NULL);
        /* execv, not execvp: execvp retries ENOEXEC files through /bin/sh. */
        if (strchr(name, '/')) {
                execv(name, command);
                return exec_failure(name, errno);
        }
        const char *path = getenv("PATH");
        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        size_t name_len = strlen(name);
        int saved = ENOENT;
        for (const char *p = path;;) {
                const char *colon = strchr(p, ':');
                size_t dir_len = colon ? (size_t)(colon - p) : strlen(p);
                char *full = malloc(dir_len + name_len + 3);
                if (!full) {
                        report_error(NULL, "out of memory");
                        return PF_EXEC_FAILED;
                }
                if (dir_len == 0)
                        snprintf(full, dir_len + name_len + 3, "./%s", name);
                else
                        snprintf(full, dir_len + name_len + 3, "%.*s/%s", (int)dir_len, p, name);
                execv(full, command);
                int e = errno;
                free(full);
                /* Remember "found but not runnable" over "not here" (as shells do). */
                if (e != ENOENT && e != ENOTDIR)
                        saved = e;
                if (!colon)
                        break;
                p = colon + 1;
        }
        return exec_failure(name, saved);
}
