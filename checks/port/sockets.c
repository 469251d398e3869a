/*
 * One family's sockets of a protocol, from wherever this process may have them: sock_diag first
 * (fast, and no /proc needed), the /proc table when netlink is refused, and when neither can be
 * read, a failure that names the unit settings that cause it.
 */
#include "checks/port/port.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *table_name(enum procnet_proto proto, int family)
{
        if (proto == PROCNET_TCP)
                return family == AF_INET ? "tcp" : "tcp6";
        return family == AF_INET ? "udp" : "udp6";
}

/* The IPv6 table is missing while the IPv4 one is there: this kernel runs without IPv6. */
static bool ipv6_is_off(const char *proc_net, enum procnet_proto proto)
{
        char v4[sizeof(((struct port_listing *)0)->path)];
        snprintf(v4, sizeof(v4), "%s/%s", proc_net, table_name(proto, AF_INET));
        return access(v4, F_OK) == 0;
}

int port_list_sockets(const char *proc_net, enum procnet_proto proto, int family,
                      uint64_t deadline_us, procnet_visit visit, void *ctx,
                      struct port_listing *how)
{
        *how = (struct port_listing){.stats = {0}};
        snprintf(how->path, sizeof(how->path), "%s/%s", proc_net, table_name(proto, family));
        int r = procnet_diag_sockets(proto, family, deadline_us, visit, ctx, &how->stats);
        if (r == 0 || r == -ETIMEDOUT) {
                how->from_diag = r == 0;
                return r;
        }
        how->diag_error = -r;
        int fd = open(how->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                how->proc_error = errno;
                how->ipv6_off =
                    errno == ENOENT && family == AF_INET6 && ipv6_is_off(proc_net, proto);
                return how->ipv6_off ? 0 : -1;
        }
        /* Only listening TCP sockets stand in a server's way (it binds with SO_REUSEADDR), and
         * the kernel lists them first; every bound UDP socket does, so udp{,6} are read whole. */
        r = procnet_read(fd, proto, family, proto == PROCNET_TCP, deadline_us, visit, ctx,
                         &how->stats);
        close(fd);
        if (r == 0 || r == -ETIMEDOUT)
                return r;
        how->proc_error = -r;
        return -1;
}

/* What an errno says about the unit the check runs in, and what to change in it. */
struct cause {
        int error;
        const char *why; /* after the error's own words */
        const char *fix;
};

static const struct cause diag_causes[] = {
    {EAFNOSUPPORT, "RestrictAddressFamilies= without AF_NETLINK?",
     "add AF_NETLINK to the unit's RestrictAddressFamilies="},
    {EPERM, "SystemCallFilter= or a security module?",
     "let the unit open AF_NETLINK sockets (SystemCallFilter=, the LSM policy)"},
    {EACCES, "SystemCallFilter= or a security module?",
     "let the unit open AF_NETLINK sockets (SystemCallFilter=, the LSM policy)"},
    {ENOENT, "no inet_diag in this kernel?",
     "load the kernel's sock_diag modules (modprobe inet_diag tcp_diag udp_diag)"},
    {EPROTONOSUPPORT, "no inet_diag in this kernel?",
     "load the kernel's sock_diag modules (modprobe inet_diag tcp_diag udp_diag)"},
};

static const struct cause proc_causes[] = {
    {ENOENT, "/proc not mounted, or hidden by InaccessiblePaths= or TemporaryFileSystem=?",
     "let the unit see /proc/self/net (ProcSubset=pid keeps it; InaccessiblePaths= or "
     "TemporaryFileSystem= over /proc hide it)"},
    {EACCES, "InaccessiblePaths= or a security module?",
     "let the unit read /proc/self/net (InaccessiblePaths=, the LSM policy)"},
};

static const struct cause *cause_of(const struct cause *causes, size_t count, int error)
{
        for (size_t i = 0; i < count; i++)
                if (causes[i].error == error)
                        return &causes[i];
        return NULL;
}

void port_report_unlisted(struct check_result *res, enum procnet_proto proto,
                          const struct port_listing *how)
{
        const char *proto_name = proto == PROCNET_TCP ? "TCP" : "UDP";
        const struct cause *diag =
            cause_of(diag_causes, sizeof(diag_causes) / sizeof(diag_causes[0]), how->diag_error);
        const struct cause *proc =
            cause_of(proc_causes, sizeof(proc_causes) / sizeof(proc_causes[0]), how->proc_error);

        result_set(res, PF_INTERNAL,
                   "cannot list the %s sockets: netlink's sock_diag failed (%s%s%s) and %s cannot "
                   "be read (%s%s%s)",
                   proto_name, strerror(how->diag_error), diag ? ": " : "", diag ? diag->why : "",
                   how->path, strerror(how->proc_error), proc ? ": " : "", proc ? proc->why : "");
        if (diag && proc)
                result_fix(res, "%s, or %s", diag->fix, proc->fix);
        else if (diag || proc)
                result_fix(res, "%s", diag ? diag->fix : proc->fix);
}
