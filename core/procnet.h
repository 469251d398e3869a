/*
 * The kernel's socket tables (/proc/net/tcp, tcp6, udp, udp6), the port specs the port check
 * takes, and the rules that decide whether a socket in those tables would make a bind fail.
 * Everything here but procnet_find_holder() is a pure function of its arguments and a file
 * descriptor, so the unit tests feed it captured files.
 */
#ifndef PREFLIGHT_PROCNET_H
#define PREFLIGHT_PROCNET_H

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

/* One line of a table. */
struct procnet_socket {
        enum procnet_proto proto;
        struct procnet_addr local;
        uint16_t port;
        unsigned state;
        uid_t uid;           /* the socket's owner */
        unsigned long inode; /* what /proc/PID/fd/N links to: socket:[inode] */
};

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

/*
 * Visits the listening TCP sockets of one family (AF_INET or AF_INET6) as the kernel's sock_diag
 * netlink interface lists them (what ss uses): the same entries procnet_read() with listen_only
 * gives, but the kernel walks only its listening hash. Reading /proc/net/tcp6 walks the whole
 * established hash after the last listener whenever no IPv6 connection is open (about 2 ms per
 * read here, with 262144 buckets), so this is the fast path and /proc the fallback. Returns 0,
 * -ETIMEDOUT, or -errno (-ENOENT, -EPROTONOSUPPORT, ... when the kernel has no inet_diag).
 */
int procnet_diag_listeners(int family, uint64_t deadline_us, procnet_visit visit, void *ctx,
                           struct procnet_stats *stats);

/* What the port check is asked about: one SPEC of the command line. */
struct port_spec {
        enum procnet_proto proto;
        uint16_t port;
        bool every_address;       /* a bare port: free on every address, IPv4 and IPv6 */
        struct procnet_addr addr; /* unless every_address */
        char shown[72];           /* "8080/tcp", "127.0.0.1:8080/tcp", "[::1]:53/udp" */
};

/*
 * Parses "8080", "8080/tcp", "53/udp", "ADDR:PORT", "[V6]:PORT", each with an optional /tcp or
 * /udp (tcp by default). Addresses are numeric. Returns PF_OK, or PF_USAGE with err naming
 * the text.
 */
int port_spec_parse(const char *text, struct port_spec *out, struct pf_error *err);

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

/* "0.0.0.0:8080", "[::]:8080". */
void procnet_format_endpoint(const struct procnet_addr *addr, uint16_t port, char *buf,
                             size_t size);

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
