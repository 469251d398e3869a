/* The trial bind: the kernel's own answer to "may this process bind this port?" */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks/port/port.h"

/*
 * Binds the SPEC's own address and port (a bare port: 0.0.0.0, or [::] without IPv4) without
 * SO_REUSEADDR and closes it at once: the kernel's own answer to "may this process bind it?"
 * The kernel checks the port against ip_unprivileged_port_start and CAP_NET_BIND_SERVICE before
 * it looks for a socket in the way, so EADDRINUSE (a TIME_WAIT or bound-but-not-listening socket
 * the tables leave out) still means the permission was granted. EPERM comes from a cgroup bind
 * filter (SocketBindDeny=) or a security module, which also keep the service from binding it.
 */
enum port_trial port_trial_bind(const struct port_spec *spec, char *where, size_t where_size,
                                int *error)
{
        int type = spec->proto == PROCNET_TCP ? SOCK_STREAM : SOCK_DGRAM;
        struct procnet_addr addr = spec->addr;
        if (spec->every_address)
                addr = (struct procnet_addr){.family = AF_INET};
        int fd = socket(addr.family, type | SOCK_CLOEXEC, 0);
        if (fd < 0 && spec->every_address && errno == EAFNOSUPPORT) {
                addr.family = AF_INET6; /* no IPv4 in this kernel: [::] tells the same */
                fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
        }
        procnet_format_endpoint(&addr, spec->port, where, where_size);
        if (fd < 0) {
                *error = errno;
                return PORT_TRIAL_UNSURE;
        }
        struct sockaddr_storage ss = {0};
        socklen_t len;
        if (addr.family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(spec->port);
                memcpy(&sin->sin_addr, addr.bytes, 4);
                len = sizeof(*sin);
        } else {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons(spec->port);
                memcpy(&sin6->sin6_addr, addr.bytes, 16);
                len = sizeof(*sin6);
        }
        int r = bind(fd, (const struct sockaddr *)&ss, len);
        *error = r == 0 ? 0 : errno;
        close(fd);
        if (r == 0)
                return PORT_TRIAL_BINDS;
        switch (*error) {
        case EADDRINUSE:
                return PORT_TRIAL_PAST_PERMISSION;
        case EACCES:
                return PORT_TRIAL_REFUSED;
        case EPERM:
                return PORT_TRIAL_FILTERED;
        default:
                return PORT_TRIAL_UNSURE;
        }
}
