/* port: is this port free for the service to bind, and may this process bind it? */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks/port/port.h"
#include "core/check.h"
#include "core/text.h"

#define PROC_ROOT "/proc"
#define SYSCTL_UNPRIVILEGED_PORT_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"
#define SYSCTL_BINDV6ONLY "/proc/sys/net/ipv6/bindv6only"
#define DEFAULT_UNPRIVILEGED_PORT_START 1024

static int port_parse_target(const void *config, const char *arg, void *target, char *shown,
                             struct pf_error *err)
{
        (void)config;
        return port_spec_parse(arg, target, shown, TARGET_SHOWN_SIZE, err);
}

/* Reads a small number from a sysctl file; false when it is absent or unreadable. */
static bool read_sysctl(const char *path, unsigned long *value)
{
        char buf[32];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return text_parse_ulong(buf, 0, 65536, value);
}

/* Appends to a message, never past its end (what does not fit is cut). */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t size, size_t *used,
                                                         const char *fmt, ...)
{
        va_list ap;
        if (*used >= size - 1)
                return;
        va_start(ap, fmt);
        int n = vsnprintf(buf + *used, size - *used, fmt, ap);
        va_end(ap);
        if (n > 0)
                *used = *used + (size_t)n >= size ? size - 1 : *used + (size_t)n;
}

/* "2 listening IPv4 sockets (from sock_diag)", "3 bound entries of /proc/self/net/udp (read to the
 * end)" */
static void describe_listing(char *buf, size_t size, size_t *used, enum procnet_proto proto,
                             int family, const struct port_listing *how)
{
        unsigned long count = how->stats.entries;
        const char *kind = proto == PROCNET_TCP ? "listening " : "bound ";
        if (how->ipv6_off) {
                append(buf, size, used, "no %s (IPv6 is off)", how->path);
                return;
        }
        if (how->from_diag) {
                append(buf, size, used, "%lu %s%s socket%s (from sock_diag)", count, kind,
                       family == AF_INET ? "IPv4" : "IPv6", count == 1 ? "" : "s");
                return;
        }
        append(buf, size, used, "%lu %sentr%s of %s (%s", count, kind, count == 1 ? "y" : "ies",
               how->path,
               how->stats.stopped_early ? "stopped at the first non-listening one"
                                        : "read to the end");
        if (how->stats.malformed)
                append(buf, size, used, "; %lu line%s not understood", how->stats.malformed,
                       how->stats.malformed == 1 ? "" : "s");
        if (how->diag_error)
                append(buf, size, used, "; sock_diag: %s", strerror(how->diag_error));
        append(buf, size, used, ")");
}

/* Fills res with code 20, naming the process that holds sock when this user can see it. */
static void report_in_use(struct check_result *res, const struct procnet_socket *sock,
                          const char *qualifier, uint64_t deadline_us)
{
        char where[INET6_ADDRSTRLEN + 16];
        struct procnet_holder holder;
        procnet_format_endpoint(&sock->local, sock->port, where, sizeof(where));
        procnet_find_holder(PROC_ROOT, sock->inode, deadline_us, &holder);
        if (holder.pid > 0 && holder.name[0]) {
                char q[QUOTE_BUF];
                result_set(res, PF_PORT_IN_USE, "in use by %s (pid %ld) on %s%s",
                           text_quote(holder.name, q, sizeof(q)), holder.pid, where, qualifier);
        } else if (holder.pid > 0) {
                result_set(res, PF_PORT_IN_USE, "in use by pid %ld on %s%s", holder.pid, where,
                           qualifier);
        } else if (holder.deadline) {
                result_set(res, PF_PORT_IN_USE,
                           "in use on %s%s (the deadline came before its process was found)", where,
                           qualifier);
        } else if (holder.hidden > 0) {
                result_set(res, PF_PORT_IN_USE,
                           "in use on %s%s (holder not visible to this user; the socket belongs "
                           "to uid %u)",
                           where, qualifier, (unsigned)sock->uid);
        } else {
                result_set(res, PF_PORT_IN_USE,
                           "in use on %s%s (no process visible here holds it: one in "
                           "another PID namespace, the kernel, or one that just exited)",
                           where, qualifier);
        }
}

enum probe_answer { PROBE_BINDS, PROBE_IN_USE, PROBE_UNSURE };

/*
 * /proc/net/tcp6 does not show IPV6_V6ONLY, so whether a [::] socket takes IPv4 too is asked of
 * the kernel: bind an IPv4 socket to the wanted address (with SO_REUSEADDR for TCP, as the
 * service would) and close it at once.
 */
static enum probe_answer probe_ipv4_bind(const struct port_spec *spec, int *error)
{
        int type = spec->proto == PROCNET_TCP ? SOCK_STREAM : SOCK_DGRAM;
        int one = 1;
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(spec->port)};
        memcpy(&sin.sin_addr, spec->addr.bytes, 4);
        int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                *error = errno;
                return PROBE_UNSURE;
        }
        if (spec->proto == PROCNET_TCP &&
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
                *error = errno;
                close(fd);
                return PROBE_UNSURE;
        }
        int r = bind(fd, (const struct sockaddr *)&sin, sizeof(sin));
        *error = errno;
        close(fd);
        if (r == 0)
                return PROBE_BINDS;
        return *error == EADDRINUSE ? PROBE_IN_USE : PROBE_UNSURE;
}

/* 1: CAP_NET_BIND_SERVICE is in the effective set; 0: it is not; -1: could not tell. */
static int has_net_bind_service(void)
{
        cap_flag_value_t value = CAP_CLEAR;
        cap_t caps = cap_get_proc();
        if (!caps)
                return -1;
        int r = cap_get_flag(caps, CAP_NET_BIND_SERVICE, CAP_EFFECTIVE, &value);
        cap_free(caps);
        if (r != 0)
                return -1;
        return value == CAP_SET;
}

static void deny(struct check_result *res, const char *why, const char *lower)
{
        result_set(res, PF_PORT_DENIED, "free, but %s", why);
        result_fix(res,
                   "add AmbientCapabilities=CAP_NET_BIND_SERVICE to the unit, or run setcap "
                   "cap_net_bind_service=+ep on the service's binary, or use %s",
                   lower);
}

/*
 * ip_unprivileged_port_start cannot be read (ProcSubset=pid hides /proc/sys) and this process
 * has no CAP_NET_BIND_SERVICE: the answer depends on a value preflight cannot see (an
 * administrator may have lowered it, or raised it), so the kernel is asked with a trial bind.
 * Only when that cannot tell either is the kernel's default, 1024, assumed.
 */
static bool may_bind_unknown_start(const struct port_spec *spec, struct check_result *res,
                                   char *note, size_t note_size)
{
        static const char unread[] = "net.ipv4.ip_unprivileged_port_start cannot be read "
                                     "(/proc/sys is hidden: ProcSubset=pid?)";
        char where[INET6_ADDRSTRLEN + 16], why[400];
        int error = 0;
        switch (port_trial_bind(spec, where, sizeof(where), &error)) {
        case PORT_TRIAL_BINDS:
                snprintf(note, note_size,
                         "; %s, so a trial bind of %s decided (closed at once): this process may "
                         "bind it",
                         unread, where);
                return true;
        case PORT_TRIAL_PAST_PERMISSION:
                snprintf(note, note_size,
                         "; %s, so a trial bind of %s decided (closed at once): the kernel let "
                         "this process past its permission check (then: %s, from a socket the "
                         "tables do not count)",
                         unread, where, strerror(error));
                return true;
        case PORT_TRIAL_REFUSED:
                snprintf(why, sizeof(why),
                         "this process may not bind it: a trial bind of %s was refused (%s; %s, "
                         "and this process lacks CAP_NET_BIND_SERVICE)",
                         where, strerror(error), unread);
                deny(res, why, "a port the kernel lets unprivileged processes bind");
                return false;
        case PORT_TRIAL_FILTERED:
                snprintf(why, sizeof(why),
                         "this process may not bind it: a trial bind of %s was refused (%s: a "
                         "bind filter such as the unit's SocketBindDeny=, or a security module)",
                         where, strerror(error));
                result_set(res, PF_PORT_DENIED, "free, but %s", why);
                result_fix(res, "allow the port in the unit's SocketBindAllow=, or look at the "
                                "security policy that refuses it");
                return false;
        case PORT_TRIAL_UNSURE:
                break;
        }
        if (spec->port >= DEFAULT_UNPRIVILEGED_PORT_START) {
                snprintf(note, note_size,
                         "; %s, and a trial bind of %s could not tell (%s): taken as the "
                         "kernel's default, %d",
                         unread, where, strerror(error), DEFAULT_UNPRIVILEGED_PORT_START);
                return true;
        }
        snprintf(why, sizeof(why),
                 "ports below %d need CAP_NET_BIND_SERVICE, which this process lacks (%s, and a "
                 "trial bind of %s could not tell: %s; %d is the kernel's default)",
                 DEFAULT_UNPRIVILEGED_PORT_START, unread, where, strerror(error),
                 DEFAULT_UNPRIVILEGED_PORT_START);
        deny(res, why, "a port of 1024 or above");
        return false;
}

/* Code 21 when this process may not bind a port this low; false with res set then. */
static bool may_bind(const struct port_spec *spec, struct check_result *res, char *note,
                     size_t note_size)
{
        unsigned long start;
        bool known = read_sysctl(SYSCTL_UNPRIVILEGED_PORT_START, &start);
        if (known && spec->port >= start)
                return true;
        int cap = has_net_bind_service();
        if (cap < 0) {
                result_set(res, PF_INTERNAL, "cannot read this process's capabilities: %s",
                           strerror(errno));
                return false;
        }
        if (cap == 1) {
                if (known)
                        snprintf(note, note_size,
                                 "; ports below %lu need CAP_NET_BIND_SERVICE, which this "
                                 "process has",
                                 start);
                else if (spec->port < DEFAULT_UNPRIVILEGED_PORT_START)
                        snprintf(note, note_size,
                                 "; this process has CAP_NET_BIND_SERVICE, so it may bind any "
                                 "port");
                return true;
        }
        if (!known)
                return may_bind_unknown_start(spec, res, note, note_size);
        char why[160], lower[64];
        snprintf(why, sizeof(why),
                 "ports below %lu need CAP_NET_BIND_SERVICE, which this process lacks", start);
        snprintf(lower, sizeof(lower), "a port of %lu or above", start);
        deny(res, why, lower);
        return false;
}

/*
 * Lists both families' sockets into search and describes where they came from in detail. false
 * with res set when they could not be listed, or not before the deadline.
 */
static bool list_sockets(const struct port_spec *spec, uint64_t deadline_us,
                         struct port_search *search, char *detail, size_t size,
                         struct check_result *res)
{
        static const int families[2] = {AF_INET, AF_INET6};
        size_t used = 0;
        append(detail, size, &used, "read ");
        for (int i = 0; i < 2; i++) {
                struct port_listing how;
                int r = port_list_sockets(PROCNET_DIR, spec->proto, families[i], deadline_us,
                                          port_search_visit, search, &how);
                if (r == -ETIMEDOUT) {
                        result_set(res, PF_PORT_IN_USE,
                                   "the %s %s sockets were not listed before the deadline",
                                   families[i] == AF_INET ? "IPv4" : "IPv6",
                                   spec->proto == PROCNET_TCP ? "TCP" : "UDP");
                        return false;
                }
                if (r < 0) {
                        port_report_unlisted(res, spec->proto, &how);
                        return false;
                }
                if (i > 0)
                        append(detail, size, &used, " and ");
                describe_listing(detail, size, &used, spec->proto, families[i], &how);
        }
        return true;
}

/*
 * The one case the tables cannot settle: a [::] socket against an IPv4 SPEC. A bind of the
 * wanted address tells; false with res set when the port is in use (or may be), else the notes
 * for the success say what the bind found.
 */
static bool settle_dual_stack(const struct port_spec *spec, const struct port_search *search,
                              const char *detail, uint64_t deadline_us, char *note,
                              size_t note_size, char *free_note, size_t free_note_size,
                              struct check_result *res)
{
        char where[INET6_ADDRSTRLEN + 16], bound[INET6_ADDRSTRLEN + 16];
        int error = 0;
        procnet_format_endpoint(&search->unless_v6only.local, search->unless_v6only.port, where,
                                sizeof(where));
        procnet_format_endpoint(&spec->addr, spec->port, bound, sizeof(bound));
        switch (probe_ipv4_bind(spec, &error)) {
        case PROBE_BINDS:
                snprintf(free_note, free_note_size, " (the socket on %s is IPv6-only)", where);
                snprintf(note, note_size,
                         "; binding %s succeeded, so the socket on %s is IPv6-only", bound, where);
                return true;
        case PROBE_IN_USE:
                result_detail(res, "%s; binding %s failed: %s", detail, bound, strerror(error));
                report_in_use(res, &search->unless_v6only, " (an IPv6 socket that takes IPv4 too)",
                              deadline_us);
                return false;
        case PROBE_UNSURE:
                break;
        }
        snprintf(note, note_size, " (unless it is IPv6-only: binding %s to find out failed: %s)",
                 bound, strerror(error));
        result_detail(res, "%s", detail);
        report_in_use(res, &search->unless_v6only, note, deadline_us);
        return false;
}

static void port_run(const void *config, const void *target, const struct attempt *attempt,
                     struct check_result *res)
{
        (void)config;
        const struct port_spec *spec = target;
        char detail[sizeof(res->detail)], note[320] = "", free_note[160] = "";

        struct port_search search = {.spec = spec};
        if (!spec->every_address && spec->addr.family == AF_INET6) {
                unsigned long v6only = 0; /* absent: IPv6 is off, and nothing to take */
                search.v6_wildcard_takes_v4 =
                    !read_sysctl(SYSCTL_BINDV6ONLY, &v6only) || v6only == 0;
        }
        if (!list_sockets(spec, attempt->deadline_us, &search, detail, sizeof(detail), res))
                return;
        if (search.has_conflict) {
                result_detail(res, "%s", detail);
                report_in_use(res, &search.conflict, "", attempt->deadline_us);
                return;
        }
        if (search.has_unless_v6only &&
            !settle_dual_stack(spec, &search, detail, attempt->deadline_us, note, sizeof(note),
                               free_note, sizeof(free_note), res))
                return;
        /* Under --invert the question is only whether something holds the port. */
        if (!attempt->inverted) {
                size_t len = strlen(note);
                if (!may_bind(spec, res, note + len, sizeof(note) - len)) {
                        result_detail(res, "%s%s", detail, note);
                        return;
                }
        }
        result_detail(res, "%s%s", detail, note);
        result_set(res, PF_OK, "free%s", free_note);
}

const struct check check_port = {
    .name = "port",
    .summary = "is this port free for the service to bind, and may this process bind it?",
    .usage = "SPEC... (PORT, ADDR:PORT or [V6]:PORT, each with an optional /tcp or /udp)",
    .help = "SPEC is PORT (free on every address), ADDR:PORT or [V6]:PORT, with /tcp (the "
            "default) or\n/udp: 8080, 127.0.0.1:8080, [::]:8443, 53/udp. Fails with 20 when "
            "a socket would make the\nbind fail: the same address, or a wildcard (0.0.0.0, "
            "::) on either side, and names the\nprocess that holds it when this user can "
            "see it. TCP counts listening sockets (a server\nbinds with SO_REUSEADDR), "
            "listed by sock_diag or else read from /proc/self/net/tcp and tcp6;\nUDP counts "
            "every bound socket, listed the same way. A [::] listener blocks IPv4 "
            "unless\nit is IPv6-only, which preflight tells with a bind it closes at once; "
            "a [::] SPEC takes\nIPv4 too unless net.ipv6.bindv6only=1. A free port below "
            "net.ipv4.ip_unprivileged_port_start\nthat this process may not bind (no "
            "CAP_NET_BIND_SERVICE) fails with 21. Where /proc/sys is hidden\n(ProcSubset=pid), a "
            "trial bind of the SPEC, closed at once, tells whether it may.\n--invert passes when "
            "the port is in use (--invert --wait waits for a listener); a port\nstill free then "
            "fails with 20.",
    .options = NULL,
    .min_targets = 1,
    .max_targets = 128,
    .timeout_code = PF_PORT_IN_USE,
    .inverted_code = PF_PORT_IN_USE,
    .config_size = 0,
    .target_size = sizeof(struct port_spec),
    .parse_target = port_parse_target,
    .run = port_run,
};
