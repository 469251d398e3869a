/*
 * The port check's parts, exposed for tests/check_procnet.c and tests/check_port.c:
 * - spec.c: the SPEC grammar ("8080", "53/udp", "127.0.0.1:8080", "[::1]:8443/tcp");
 * - conflict.c: the rules that decide whether a held socket makes the service's bind fail;
 * - procnet.c, diag.c, sockets.c: the kernel's socket tables, from /proc/self/net/{tcp,tcp6,udp,
 *   udp6} or the sock_diag netlink interface (what ss uses), and which of the two answered;
 * - holder.c: the process that holds a socket, from /proc/PID/fd;
 * - trial.c: a bind of the SPEC closed at once, when the permission to bind cannot be read.
 * Everything but the sock_diag listing and the holder search is a pure function of its arguments
 * and a file descriptor, so the unit tests feed it captured files.
 */
#ifndef PREFLIGHT_PORT_H
#define PREFLIGHT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/check.h"

enum procnet_proto { PROCNET_TCP, PROCNET_UDP };

/* The state column: 0A is TCP_LISTEN (include/net/tcp_states.h). */
#define PROCNET_STATE_LISTEN 0x0Au

struct procnet_addr {
        int family;        /* AF_INET or AF_INET6; an IPv4-mapped IPv6 address is AF_INET */
        uint8_t bytes[16]; /* network byte order; AF_INET uses the first 4 */
};

/* One socket of a table. */
struct procnet_socket {
        enum procnet_proto proto;
        struct procnet_addr local;
        uint16_t port;
        unsigned state;
        uid_t uid;           /* the socket's owner */
        unsigned long inode; /* what /proc/PID/fd/N links to: socket:[inode] */
};

/* ::ffff:a.b.c.d becomes a.b.c.d: the kernel treats such a bind as an IPv4 one. */
void procnet_normalize_v4_mapped(struct procnet_addr *addr);

/* "0.0.0.0:8080", "[::]:8080". */
void procnet_format_endpoint(const struct procnet_addr *addr, uint16_t port, char *buf,
                             size_t size);

/* ---- the /proc tables (procnet.c) ---- */

/*
 * Parses one data line of a table (not the header). family is AF_INET for tcp and udp, AF_INET6
 * for tcp6 and udp6. The kernel prints each 32-bit word of an address as a host-order number
 * (%08X of the network-order bytes), so the words are decoded in this machine's byte order.
 * Returns false for a line that is not a socket entry.
 */
bool procnet_parse_line(const char *line, enum procnet_proto proto, int family,
                        struct procnet_socket *out);

/* Called for each entry read; returns false to stop reading. */
typedef bool (*procnet_visit)(const struct procnet_socket *sock, void *ctx);

struct procnet_stats {
        unsigned long entries;   /* entries parsed and visited */
        unsigned long malformed; /* lines that were not entries (the header excepted) */
        bool stopped_early;      /* listen_only reached a non-listening entry and stopped */
};

/*
 * Reads a table from fd in large chunks and visits each entry. With listen_only, reading stops
 * at the first entry that is not LISTEN: the kernel lists every listening socket before the
 * established and TIME_WAIT ones, so the cost does not grow with connections. Returns 0,
 * -ETIMEDOUT when the deadline (0: none) passed between reads, or -errno of a failed read.
 */
int procnet_read(int fd, enum procnet_proto proto, int family, bool listen_only,
                 uint64_t deadline_us, procnet_visit visit, void *ctx, struct procnet_stats *stats);

/* ---- sock_diag (diag.c) ---- */

/*
 * Visits the sockets of one family (AF_INET or AF_INET6) that stand in a server's way, as the
 * kernel's sock_diag netlink interface lists them: for TCP the listening sockets only (the
 * kernel walks only its listening hash), for UDP every bound socket, connected or not (the
 * entries /proc/net/udp has). Reading /proc/net/tcp6 walks the whole established hash after the
 * last listener whenever no IPv6 connection is open (about 2 ms per read here, with 262144
 * buckets), so this is the fast path and /proc the fallback. Returns 0, -ETIMEDOUT, or -errno:
 * -EAFNOSUPPORT when netlink is refused (RestrictAddressFamilies=), -ENOENT or -EPROTONOSUPPORT
 * when the kernel has no inet_diag for this protocol.
 */
int procnet_diag_sockets(enum procnet_proto proto, int family, uint64_t deadline_us,
                         procnet_visit visit, void *ctx, struct procnet_stats *stats);

/* ---- one family's sockets, from wherever they can be had (sockets.c) ---- */

/* Where the tables are: /proc/self/net, which ProcSubset=pid leaves (it hides /proc/net). */
#define PROCNET_DIR "/proc/self/net"

/* How one family's sockets were listed, for --verbose and for a failure. */
struct port_listing {
        struct procnet_stats stats;
        char path[64];  /* the /proc table: "/proc/self/net/udp6" */
        bool from_diag; /* sock_diag answered; /proc was not read */
        bool ipv6_off;  /* no IPv6 table beside the IPv4 ones: IPv6 is off, nothing to list */
        int diag_error; /* errno: why sock_diag did not answer (0 when it did) */
        int proc_error; /* errno: why the /proc table could not be read (0 when it was) */
};

/*
 * Lists one family's sockets of proto into visit: from sock_diag, else from the table under
 * proc_net (PROCNET_DIR in production), TCP read only up to its last listener. Returns 0,
 * -ETIMEDOUT, or -1 when neither could be read (how says why).
 */
int port_list_sockets(const char *proc_net, enum procnet_proto proto, int family,
                      uint64_t deadline_us, procnet_visit visit, void *ctx,
                      struct port_listing *how);

/*
 * The failure when neither sock_diag nor the /proc table could be read: PF_INTERNAL (preflight
 * cannot tell), a message with both reasons, and a fix naming the unit settings that cause them
 * (RestrictAddressFamilies= without AF_NETLINK, SystemCallFilter=, a /proc hidden from the unit).
 */
void port_report_unlisted(struct check_result *res, enum procnet_proto proto,
                          const struct port_listing *how);

/* ---- SPECs (spec.c) ---- */

/* What the port check is asked about: one SPEC of the command line. */
struct port_spec {
        enum procnet_proto proto;
        uint16_t port;
        bool every_address;       /* a bare port: free on every address, IPv4 and IPv6 */
        struct procnet_addr addr; /* unless every_address */
};

/*
 * Parses "8080", "8080/tcp", "53/udp", "ADDR:PORT", "[V6]:PORT", each with an optional /tcp or
 * /udp (tcp by default), and writes the text lines show for it into shown: "8080/tcp",
 * "127.0.0.1:8080/tcp", "[::1]:53/udp" (a v4-mapped address as given, though it is checked as
 * IPv4; shown may be NULL when shown_size is 0). Addresses are numeric. Returns PF_OK, or
 * PF_USAGE with err naming the text.
 */
int port_spec_parse(const char *text, struct port_spec *out, char *shown, size_t shown_size,
                    struct pf_error *err);

/* ---- the bind-conflict rules (conflict.c) ---- */

enum port_conflict {
        PORT_FREE_OF,                /* this socket does not stand in the way */
        PORT_CONFLICT,               /* this socket makes the bind fail */
        PORT_CONFLICT_UNLESS_V6ONLY, /* an IPv6 wildcard socket against an IPv4 bind: it blocks
                                      * it unless it set IPV6_V6ONLY, which no table shows */
};

/*
 * Would a socket the service binds to want (with SO_REUSEADDR, as servers do) fail because of
 * held? Same protocol and port, and the same address or a wildcard on either side.
 * v6_wildcard_takes_v4 says whether the service's own [::] socket would also take IPv4
 * (net.ipv6.bindv6only = 0). The caller decides which held sockets count (TCP: LISTEN only).
 */
enum port_conflict port_conflict(const struct port_spec *want, const struct procnet_socket *held,
                                 bool v6_wildcard_takes_v4);

/* What the tables said about one spec: port_search_visit() is the procnet_visit that fills it. */
struct port_search {
        const struct port_spec *spec;
        bool v6_wildcard_takes_v4;
        bool has_conflict, has_unless_v6only;
        struct procnet_socket conflict;      /* the first socket that blocks the bind */
        struct procnet_socket unless_v6only; /* the first [::] socket that may or may not */
};

bool port_search_visit(const struct procnet_socket *sock, void *search);

/* ---- the trial bind (trial.c) ---- */

enum port_trial {
        PORT_TRIAL_BINDS,           /* bound (and closed): this process may bind it */
        PORT_TRIAL_PAST_PERMISSION, /* EADDRINUSE: the permission check, which comes first,
                                     * passed */
        PORT_TRIAL_REFUSED,         /* EACCES: below ip_unprivileged_port_start, no
                                     * CAP_NET_BIND_SERVICE */
        PORT_TRIAL_FILTERED,        /* EPERM: a cgroup bind filter or a security module */
        PORT_TRIAL_UNSURE,          /* anything else (EADDRNOTAVAIL, no socket): cannot tell */
};

/*
 * Binds spec's address and port once, without SO_REUSEADDR, and closes the socket at once; a
 * bare port binds 0.0.0.0 (or [::] when the kernel has no IPv4). where gets the address bound
 * ("0.0.0.0:443"), error the errno (0 when it bound).
 */
enum port_trial port_trial_bind(const struct port_spec *spec, char *where, size_t where_size,
                                int *error);

/* ---- the holder (holder.c) ---- */

struct procnet_holder {
        long pid;        /* 0 when not found */
        char name[32];   /* comm of that process, as the kernel keeps it (may be hostile text) */
        unsigned hidden; /* processes whose descriptors this user may not read */
        bool deadline;   /* the search stopped at the deadline */
};

/*
 * Finds a process that holds socket:[inode] by reading proc_root/PID/fd/ ("/proc" in
 * production). Best effort: processes of other users are counted in hidden, not searched.
 * Stops at the first holder found, or at the deadline (0: none).
 */
void procnet_find_holder(const char *proc_root, unsigned long inode, uint64_t deadline_us,
                         struct procnet_holder *out);

#endif
