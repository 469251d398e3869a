/* Addresses, name resolution and connecting (TCP and unix sockets), all bounded by a deadline. */
#ifndef PREFLIGHT_NET_H
#define PREFLIGHT_NET_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/check.h"

struct host_port {
        char host[256]; /* without brackets: "127.0.0.1", "::1", "db.internal" */
        unsigned short port;
        bool has_port;
};

/*
 * Parses "HOST:PORT", "[V6]:PORT", and, when default_port > 0, "HOST", "[V6]" and ":PORT"
 * (host "127.0.0.1"). A bare IPv6 address without brackets is accepted when default_port > 0
 * and it has no port ("::1"). Ports are 1-65535. Returns PF_OK or PF_USAGE with err naming
 * the text ("'db:99999': port must be 1-65535").
 */
int net_parse_host_port(const char *text, int default_port, struct host_port *out,
                        struct pf_error *err);

/*
 * True when host (len bytes) ends in a numeric label ("1.2.3.4.5", "127.1", "6379", "0x7f") but
 * is not a dotted-quad IPv4 address. Such a host is meant as an address, and getaddrinfo would
 * read it as inet_aton(3) does ("6379" is 0.0.24.235) instead of refusing it: no DNS name ends
 * in a number (RFC 3696 section 2), and URL parsers refuse these hosts too.
 */
bool net_host_bad_ipv4(const char *host, size_t len);

enum net_status {
        NET_OK = 0,
        NET_UNRESOLVABLE, /* no such host, or the resolver said no */
        NET_UNREACHABLE,  /* refused, no route, reset */
        NET_TIMEOUT,      /* the deadline passed (resolving or connecting) */
        NET_SYSTEM,       /* out of memory, no descriptors, ... */
};

/*
 * Resolves host:port for TCP within the deadline (0: none). Numeric addresses never leave the
 * process; names are resolved on a helper thread that is abandoned when the deadline passes, so
 * a resolver that never answers cannot hold the check. *out is freed with freeaddrinfo().
 * why gets a short reason on failure.
 */
enum net_status net_resolve(const char *host, unsigned short port, uint64_t deadline_us,
                            struct addrinfo **out, char *why, size_t why_size);

/*
 * As net_resolve, for one address family (AF_UNSPEC, AF_INET or AF_INET6). *gai_error gets
 * getaddrinfo's code when the resolver answered with a failure (EAI_NONAME, EAI_AGAIN, ...)
 * and 0 otherwise (success, or no answer by the deadline), so that a caller can tell "no such
 * name" from "temporary failure".
 */
enum net_status net_resolve_family(const char *host, unsigned short port, int family,
                                   uint64_t deadline_us, struct addrinfo **out, int *gai_error,
                                   char *why, size_t why_size);

/*
 * Resolves, then connects (non-blocking, each address in turn) before the deadline. On NET_OK
 * *fd is a connected, blocking, close-on-exec socket; peer gets "ADDR:PORT" of the address
 * that answered. why gets a short reason otherwise ("connection refused",
 * "no answer within 1.0s").
 * Each address gets an equal share of the time left (the last one all of it), so one address
 * that drops packets cannot starve the next. On NET_OK, why lists the addresses that failed
 * first ("[::1]:5432: connection refused"), or is empty.
 */
enum net_status net_connect(const char *host, unsigned short port, uint64_t deadline_us, int *fd,
                            char *peer, size_t peer_size, char *why, size_t why_size);

/*
 * Connects to the unix stream socket at path before the deadline (0: none). Returns 0 with *fd
 * a connected, blocking, close-on-exec socket; otherwise an errno: ENOENT (no socket there),
 * ECONNREFUSED (a socket file nothing listens on), EACCES (no permission), ENAMETOOLONG (more
 * than sun_path holds), ..., and ETIMEDOUT when the deadline came first: Linux refuses a
 * connect to a full accept queue at once (EAGAIN), and it is tried again until the deadline.
 */
int net_connect_unix(const char *path, uint64_t deadline_us, int *fd);

#endif
