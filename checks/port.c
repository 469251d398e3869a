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

#include "core/check.h"
#include "core/procnet.h"
#include "core/text.h"

#define PROC_ROOT "/proc"
#define SYSCTL_UNPRIVILEGED_PORT_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"
#define SYSCTL_BINDV6ONLY "/proc/sys/net/ipv6/bindv6only"
#define DEFAULT_UNPRIVILEGED_PORT_START 1024

struct table_file {
        const char *path;
        int family;
};

static const struct table_file tcp_tables[2] = {{"/proc/net/tcp", AF_INET},
                                                {"/proc/net/tcp6", AF_INET6}};
static const struct table_file udp_tables[2] = {{"/proc/net/udp", AF_INET},
                                                {"/proc/net/udp6", AF_INET6}};

/* What the tables said about one spec. */
struct port_search {
        const struct port_spec *spec;
        bool v6_wildcard_takes_v4;
        bool has_conflict, has_unless_v6only;
        struct procnet_socket conflict;      /* the first socket that blocks the bind */
        struct procnet_socket unless_v6only; /* the first [::] socket that may or may not */
};

static int port_parse_target(const void *config, const char *arg, void *target, char *shown,
                             struct pf_error *err)
{
        (void)config;
        struct port_spec *spec = target;
        int r = port_spec_parse(arg, spec, err);
        if (r == PF_OK)
                snprintf(shown, TARGET_SHOWN_SIZE, "%s", spec->shown);
        return r;
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

static bool visit_socket(const struct procnet_socket *sock, void *ctx)
{
        struct port_search *s = ctx;
        switch (port_conflict(s->spec, sock, s->v6_wildcard_takes_v4)) {
        case PORT_CONFLICT:
                if (!s->has_conflict)
                        s->conflict = *sock;
                s->has_conflict = true;
                break;
        case PORT_CONFLICT_UNLESS_V6ONLY:
                if (!s->has_unless_v6only)
                        s->unless_v6only = *sock;
                s->has_unless_v6only = true;
                break;
        case PORT_FREE_OF:
                break;
        }
        return true; /* read on: --verbose tells how much was read, and it is cheap */
}

/* How one table was read, for --verbose. */
struct table_read {
        struct procnet_stats stats;
        bool from_diag; /* sock_diag answered; /proc was not read */
        bool missing;   /* no such file: IPv6 is off */
        int diag_error; /* why sock_diag did not answer, when it did not */
};

/*
 * Lists the sockets of one table into search. Listening TCP sockets come from sock_diag when the
 * kernel has it (it does not walk established connections), else from /proc/net/tcp{,6}, read
 * only up to its last listening entry. Only listening TCP sockets stand in a server's way (it
 * binds with SO_REUSEADDR); every bound UDP socket does, so udp{,6} are read to the end.
 */
static int read_table(const struct table_file *table, enum procnet_proto proto,
                      uint64_t deadline_us, struct port_search *search, struct table_read *how)
{
        *how = (struct table_read){0};
        if (proto == PROCNET_TCP) {
                int r = procnet_diag_listeners(table->family, deadline_us, visit_socket, search,
                                               &how->stats);
                if (r == 0 || r == -ETIMEDOUT) {
                        how->from_diag = r == 0;
                        return r;
                }
                how->diag_error = -r;
        }
        int fd = open(table->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                how->missing = errno == ENOENT && table->family == AF_INET6;
                return how->missing ? 0 : -errno;
        }
        int r = procnet_read(fd, proto, table->family, proto == PROCNET_TCP, deadline_us,
                             visit_socket, search, &how->stats);
        close(fd);
        return r;
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

/* "2 listening IPv4 sockets (from sock_diag)", "3 entries of /proc/net/udp (read to the end)" */
static void describe_table(char *buf, size_t size, size_t *used, const struct table_file *table,
                           enum procnet_proto proto, const struct table_read *how)
{
        unsigned long count = how->stats.entries;
        if (how->missing) {
                append(buf, size, used, "no %s (IPv6 is off)", table->path);
                return;
        }
        if (how->from_diag) {
                append(buf, size, used, "%lu listening %s socket%s (from sock_diag)", count,
                       table->family == AF_INET ? "IPv4" : "IPv6", count == 1 ? "" : "s");
                return;
        }
        append(buf, size, used, "%lu %sentr%s of %s (%s", count,
               proto == PROCNET_TCP ? "listening " : "", count == 1 ? "y" : "ies", table->path,
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

/* Code 21 when this process may not bind a port this low; false with res set then. */
static bool may_bind(const struct port_spec *spec, struct check_result *res, char *note,
                     size_t note_size)
{
        unsigned long start;
        if (!read_sysctl(SYSCTL_UNPRIVILEGED_PORT_START, &start))
                start = DEFAULT_UNPRIVILEGED_PORT_START;
        if (spec->port >= start)
                return true;
        int cap = has_net_bind_service();
        if (cap < 0) {
                result_set(res, PF_INTERNAL, "cannot read this process's capabilities: %s",
                           strerror(errno));
                return false;
        }
        if (cap == 0) {
                result_set(res, PF_PORT_DENIED,
                           "free, but ports below %lu need CAP_NET_BIND_SERVICE, which this "
                           "process lacks",
                           start);
                result_fix(res,
                           "add AmbientCapabilities=CAP_NET_BIND_SERVICE to the unit, or run "
                           "setcap cap_net_bind_service=+ep on the service's binary, or use a "
                           "port of %lu or above",
                           start);
                return false;
        }
        snprintf(note, note_size,
                 "; ports below %lu need CAP_NET_BIND_SERVICE, which this "
                 "process has",
                 start);
        return true;
}

static void port_run(const void *config, const void *target, const struct attempt *attempt,
                     struct check_result *res)
{
        (void)config;
        const struct port_spec spec = *(const struct port_spec *)target;
        struct table_read how[2];
        char detail[sizeof(res->detail)], note[320] = "", free_note[160] = "";
        size_t used = 0;

        struct port_search search = {.spec = &spec};
        if (!spec.every_address && spec.addr.family == AF_INET6) {
                unsigned long v6only = 0; /* absent: IPv6 is off, and nothing to take */
                search.v6_wildcard_takes_v4 =
                    !read_sysctl(SYSCTL_BINDV6ONLY, &v6only) || v6only == 0;
        }
        const struct table_file *tables = spec.proto == PROCNET_TCP ? tcp_tables : udp_tables;
        for (int i = 0; i < 2; i++) {
                int r = read_table(&tables[i], spec.proto, attempt->deadline_us, &search, &how[i]);
                if (r == -ETIMEDOUT) {
                        result_set(res, PF_PORT_IN_USE,
                                   "the sockets of %s were not listed before the deadline",
                                   tables[i].path);
                        return;
                }
                if (r < 0) {
                        result_set(res, PF_INTERNAL, "cannot read %s: %s", tables[i].path,
                                   strerror(-r));
                        return;
                }
        }
        append(detail, sizeof(detail), &used, "read ");
        describe_table(detail, sizeof(detail), &used, &tables[0], spec.proto, &how[0]);
        append(detail, sizeof(detail), &used, " and ");
        describe_table(detail, sizeof(detail), &used, &tables[1], spec.proto, &how[1]);

        if (search.has_conflict) {
                result_detail(res, "%s", detail);
                report_in_use(res, &search.conflict, "", attempt->deadline_us);
                return;
        }
        if (search.has_unless_v6only) {
                char where[INET6_ADDRSTRLEN + 16], bound[INET6_ADDRSTRLEN + 16];
                int error = 0;
                procnet_format_endpoint(&search.unless_v6only.local, search.unless_v6only.port,
                                        where, sizeof(where));
                procnet_format_endpoint(&spec.addr, spec.port, bound, sizeof(bound));
                switch (probe_ipv4_bind(&spec, &error)) {
                case PROBE_BINDS:
                        snprintf(free_note, sizeof(free_note), " (the socket on %s is IPv6-only)",
                                 where);
                        snprintf(note, sizeof(note),
                                 "; binding %s succeeded, so the socket on %s is IPv6-only", bound,
                                 where);
                        break;
                case PROBE_IN_USE:
                        result_detail(res, "%s; binding %s failed: %s", detail, bound,
                                      strerror(error));
                        report_in_use(res, &search.unless_v6only,
                                      " (an IPv6 socket that takes IPv4 too)",
                                      attempt->deadline_us);
                        return;
                case PROBE_UNSURE:
                        snprintf(note, sizeof(note),
                                 " (unless it is IPv6-only: binding %s to "
                                 "find out failed: %s)",
                                 bound, strerror(error));
                        result_detail(res, "%s", detail);
                        report_in_use(res, &search.unless_v6only, note, attempt->deadline_us);
                        return;
                }
        }
        /* Under --invert the question is only whether something holds the port. */
        if (!attempt->inverted) {
                size_t len = strlen(note);
                if (!may_bind(&spec, res, note + len, sizeof(note) - len)) {
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
            "listed by sock_diag or else read from /proc/net/tcp and tcp6;\nUDP counts "
            "every bound socket in /proc/net/udp and udp6. A [::] listener blocks IPv4 "
            "unless\nit is IPv6-only, which preflight tells with a bind it closes at once; "
            "a [::] SPEC takes\nIPv4 too unless net.ipv6.bindv6only=1. A free port below "
            "net.ipv4.ip_unprivileged_port_start\nthat this process may not bind (no "
            "CAP_NET_BIND_SERVICE) fails with 21.\n--invert passes when the port is in use "
            "(--invert --wait waits for a listener); a port\nstill free then fails with 20.",
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
