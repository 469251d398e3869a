#include "core/notify.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/span.h"
#include "core/text.h"

bool notify_send(const char *message)
{
        const char *path = getenv("NOTIFY_SOCKET");
        if (!path || (path[0] != '/' && path[0] != '@'))
                return false;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t len = strlen(path);
        if (len == 0 || len >= sizeof(sa.sun_path))
                return false;
        memcpy(sa.sun_path, path, len);
        if (path[0] == '@')
                sa.sun_path[0] = '\0'; /* abstract namespace */
        socklen_t salen =
            (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/' ? 1 : 0));
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        /* MSG_DONTWAIT: a listener that stopped reading fills its queue, and a blocked send
         * would hold the check past its deadline; a lost progress line costs nothing. */
        ssize_t sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL | MSG_DONTWAIT,
                              (struct sockaddr *)&sa, salen);
        close(fd);
        return sent == (ssize_t)strlen(message);
}

void notify_waiting(const char *check, const char *target, unsigned attempt, uint64_t spent_us,
                    uint64_t timeout_us)
{
        if (!getenv("NOTIFY_SOCKET"))
                return;
        char spent[32], total[32], msg[512], quoted[QUOTE_BUF];
        span_format(spent_us, spent, sizeof(spent));
        span_format(timeout_us, total, sizeof(total));
        snprintf(msg, sizeof(msg), "STATUS=preflight: waiting for %s%s%s, attempt %u, %s of %s",
                 check, target && *target ? " " : "", text_quote(target, quoted, sizeof(quoted)),
                 attempt, spent, total);
        (void)notify_send(msg);
}

void notify_clear(void)
{
        if (getenv("NOTIFY_SOCKET"))
                (void)notify_send("STATUS=");
}
