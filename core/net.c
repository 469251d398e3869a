#include "core/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/text.h"
#include "core/worker.h"

#define HOSTNAME_MAX 253
#define DEFAULT_HOST "127.0.0.1"

/* ------------------------------------------------------------------------------------------ */
/* Parsing */

static int parse_port(const char *whole, const char *text, unsigned short *port,
                      struct pf_error *err)
{
        char q[QUOTE_BUF];
        unsigned long value;
        if (!*text)
                return pf_error_set(err, "'%s': the port is missing after ':'",
                                    text_quote(whole, q, sizeof(q)));
        for (const char *c = text; *c; c++)
                if (!isdigit((unsigned char)*c))
                        return pf_error_set(err, "'%s': the port must be a number 1-65535",
                                            text_quote(whole, q, sizeof(q)));
        if (!text_parse_ulong(text, 1, 65535, &value))
                return pf_error_set(err, "'%s': port must be 1-65535",
                                    text_quote(whole, q, sizeof(q)));
        *port = (unsigned short)value;
        return PF_OK;
}

bool net_host_bad_ipv4(const char *host, size_t len)
{
        char addr[INET_ADDRSTRLEN];
        struct in_addr parsed;
        /* "db.internal." is a name; "127.0.0.1." is no address: look at the label before a
         * trailing dot, and give inet_pton the whole text. */
        size_t end = len > 0 && host[len - 1] == '.' ? len - 1 : len;
        size_t start = end;
        while (start > 0 && host[start - 1] != '.')
                start--;
        const char *label = host + start;
        size_t label_len = end - start;
        bool hex = label_len > 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X');
        if (label_len == 0)
                return false;
        for (size_t i = hex ? 2 : 0; i < label_len; i++)
                if (hex ? !isxdigit((unsigned char)label[i]) : !isdigit((unsigned char)label[i]))
                        return false;
        if (len >= sizeof(addr))
                return true;
        memcpy(addr, host, len);
        addr[len] = '\0';
        return inet_pton(AF_INET, addr, &parsed) != 1;
}

/* A host name or IPv4 address as DNS and /etc/hosts know them: letters, digits, '-', '.', '_'.
 * Anything else ('@', '/', spaces, control characters) is a mistake or an attack on a message. */
static int validate_hostname(const char *whole, const char *host, size_t len, struct pf_error *err)
{
        char q[QUOTE_BUF];
        if (len == 0)
                return pf_error_set(err, "'%s': the host is missing",
                                    text_quote(whole, q, sizeof(q)));
        if (len > HOSTNAME_MAX)
                return pf_error_set(err, "'%s': the host name is longer than %d characters",
                                    text_quote(whole, q, sizeof(q)), HOSTNAME_MAX);
        if (host[0] == '-' || host[0] == '.')
                return pf_error_set(err, "'%s': a host name cannot start with '%c'",
                                    text_quote(whole, q, sizeof(q)), host[0]);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)host[i];
                if (!isalnum(c) && c != '-' && c != '.' && c != '_')
                        return pf_error_set(err,
                                            "'%s': a host name has only letters, digits, '-', "
                                            "'.' and '_'",
                                            text_quote(whole, q, sizeof(q)));
        }
        if (net_host_bad_ipv4(host, len)) {
                /* "redis 6379" is the likely mistake: a port given where the host goes. */
                bool all_digits = true;
                for (size_t i = 0; i < len; i++)
                        all_digits = all_digits && isdigit((unsigned char)host[i]);
                return pf_error_set(err,
                                    "'%s': not an IPv4 address (four numbers 0-255, as "
                                    "127.0.0.1)%s",
                                    text_quote(whole, q, sizeof(q)),
                                    all_digits ? "; a port alone is :PORT" : "");
        }
        return PF_OK;
}

/* An IPv6 address, optionally with a zone ("fe80::1%eth0"), as getaddrinfo takes it. */
static bool is_ipv6_literal(const char *text, size_t len)
{
        char addr[INET6_ADDRSTRLEN + 1];
        struct in6_addr parsed;
        const char *zone = memchr(text, '%', len);
        size_t addr_len = zone ? (size_t)(zone - text) : len;
        if (addr_len == 0 || addr_len >= sizeof(addr))
                return false;
        if (zone) {
                size_t zone_len = len - addr_len - 1;
                if (zone_len == 0 || zone_len > 15) /* IFNAMSIZ - 1 */
                        return false;
                for (size_t i = 1; i <= zone_len; i++)
                        if (!isalnum((unsigned char)zone[i]) && zone[i] != '-' && zone[i] != '_' &&
                            zone[i] != '.')
                                return false;
        }
        memcpy(addr, text, addr_len);
        addr[addr_len] = '\0';
        return inet_pton(AF_INET6, addr, &parsed) == 1;
}

static int set_host(struct host_port *out, const char *host, size_t len)
{
        memcpy(out->host, host, len);
        out->host[len] = '\0';
        return PF_OK;
}

int net_parse_host_port(const char *text, int default_port, struct host_port *out,
                        struct pf_error *err)
{
        char q[QUOTE_BUF];
        bool port_optional = default_port > 0 && default_port <= 65535;
        *out = (struct host_port){.port = port_optional ? (unsigned short)default_port : 0};
        if (!text || !*text)
                return pf_error_set(err, "an empty address: give HOST:PORT");

        if (text[0] == '[') {
                const char *close = strchr(text, ']');
                if (!close)
                        return pf_error_set(err, "'%s': '[' without its ']'",
                                            text_quote(text, q, sizeof(q)));
                size_t len = (size_t)(close - text - 1);
                if (!is_ipv6_literal(text + 1, len))
                        return pf_error_set(err, "'%s': not an IPv6 address between [ and ]",
                                            text_quote(text, q, sizeof(q)));
                if (close[1] == '\0') {
                        if (!port_optional)
                                return pf_error_set(err, "'%s': a port is required ([V6]:PORT)",
                                                    text_quote(text, q, sizeof(q)));
                        return set_host(out, text + 1, len);
                }
                if (close[1] != ':')
                        return pf_error_set(err, "'%s': expected ':PORT' after ']'",
                                            text_quote(text, q, sizeof(q)));
                out->has_port = true;
                if (parse_port(text, close + 2, &out->port, err) != PF_OK)
                        return PF_USAGE;
                return set_host(out, text + 1, len);
        }

        const char *colon = strchr(text, ':');
        if (colon && strchr(colon + 1, ':')) {
                /* Two colons or more: an IPv6 address, which only stands bare without a port. */
                if (port_optional && is_ipv6_literal(text, strlen(text)))
                        return set_host(out, text, strlen(text));
                return pf_error_set(err,
                                    "'%s': an IPv6 address goes in brackets, with the port "
                                    "after them: [V6]:PORT",
                                    text_quote(text, q, sizeof(q)));
        }
        if (!colon) {
                if (!port_optional)
                        return pf_error_set(err, "'%s': a port is required (HOST:PORT)",
                                            text_quote(text, q, sizeof(q)));
                if (validate_hostname(text, text, strlen(text), err) != PF_OK)
                        return PF_USAGE;
                return set_host(out, text, strlen(text));
        }
        if (colon == text) {
                if (!port_optional)
                        return pf_error_set(err, "'%s': the host is missing (HOST:PORT)",
                                            text_quote(text, q, sizeof(q)));
                out->has_port = true;
                if (parse_port(text, colon + 1, &out->port, err) != PF_OK)
                        return PF_USAGE;
                return set_host(out, DEFAULT_HOST, strlen(DEFAULT_HOST));
        }
        if (validate_hostname(text, text, (size_t)(colon - text), err) != PF_OK)
                return PF_USAGE;
        out->has_port = true;
        if (parse_port(text, colon + 1, &out->port, err) != PF_OK)
                return PF_USAGE;
        return set_host(out, text, (size_t)(colon - text));
}

/* ------------------------------------------------------------------------------------------ */
/* Resolving */

/* What the resolver thread works on (its own copy: it may outlive the caller). */
struct resolve_task {
        char host[256];
        char service[8];
        int family;
        int rc;
        int error; /* errno of the thread, for EAI_SYSTEM */
        struct addrinfo *result;
};

static void tcp_hints(struct addrinfo *hints, int family, int flags)
{
        memset(hints, 0, sizeof(*hints));
        hints->ai_family = family;
        hints->ai_socktype = SOCK_STREAM;
        hints->ai_protocol = IPPROTO_TCP;
        hints->ai_flags = flags | AI_NUMERICSERV;
}

static void resolve_work(void *data)
{
        struct resolve_task *t = data;
        struct addrinfo hints;
        tcp_hints(&hints, t->family, 0);
        t->rc = getaddrinfo(t->host, t->service, &hints, &t->result);
        t->error = errno;
        if (t->rc != 0)
                t->result = NULL;
}

/* A late answer, after the caller gave up at its deadline. */
static void resolve_discard(void *data)
{
        struct resolve_task *t = data;
        if (t->result)
                freeaddrinfo(t->result);
}

static enum net_status gai_status(int rc, int error, const char *host, char *why, size_t why_size)
{
        char q[QUOTE_BUF], reason[128];
        switch (rc) {
        case EAI_MEMORY:
                snprintf(why, why_size, "out of memory resolving '%s'",
                         text_quote(host, q, sizeof(q)));
                return NET_SYSTEM;
        case EAI_SYSTEM:
                snprintf(why, why_size, "cannot resolve '%s': %s", text_quote(host, q, sizeof(q)),
                         strerror(error));
                return NET_SYSTEM;
        case EAI_AGAIN:
                snprintf(why, why_size, "cannot resolve '%s': temporary failure in name resolution",
                         text_quote(host, q, sizeof(q)));
                return NET_UNRESOLVABLE;
        case EAI_NONAME:
        case EAI_NODATA:
                snprintf(why, why_size, "cannot resolve '%s': no such host",
                         text_quote(host, q, sizeof(q)));
                return NET_UNRESOLVABLE;
        default:
                snprintf(reason, sizeof(reason), "%s", gai_strerror(rc));
                reason[0] = (char)tolower((unsigned char)reason[0]);
                snprintf(why, why_size, "cannot resolve '%s': %s", text_quote(host, q, sizeof(q)),
                         reason);
                return NET_UNRESOLVABLE;
        }
}

enum net_status net_resolve_family(const char *host, unsigned short port, int family,
                                   uint64_t deadline_us, struct addrinfo **out, int *gai_error,
                                   char *why, size_t why_size)
{
        char service[8], q[QUOTE_BUF];
        struct addrinfo hints;
        uint64_t started = clock_now_us();
        *out = NULL;
        *gai_error = 0;
        if (why_size)
                why[0] = '\0';
        if (!host || !*host) {
                snprintf(why, why_size, "no host to resolve");
                return NET_UNRESOLVABLE;
        }
        snprintf(service, sizeof(service), "%u", (unsigned)port);

        /* Addresses given as numbers need no resolver and no thread. */
        tcp_hints(&hints, family, AI_NUMERICHOST);
        int rc = getaddrinfo(host, service, &hints, out);
        if (rc == 0)
                return NET_OK;
        if (rc != EAI_NONAME) {
                *gai_error = rc;
                return gai_status(rc, errno, host, why, why_size);
        }
        *out = NULL;
        if (deadline_passed(deadline_us)) {
                snprintf(why, why_size, "no time left to resolve '%s'",
                         text_quote(host, q, sizeof(q)));
                return NET_TIMEOUT;
        }

        static const struct worker_task resolve = {
            .work = resolve_work, .discard = resolve_discard, .size = sizeof(struct resolve_task)};
        struct resolve_task task = {.family = family};
        snprintf(task.host, sizeof(task.host), "%s", host);
        snprintf(task.service, sizeof(task.service), "%s", service);
        int error = 0;
        switch (worker_run(&resolve, &task, deadline_us, &error)) {
        case WORKER_FAILED:
                snprintf(why, why_size, "cannot start the resolver thread: %s", strerror(error));
                return NET_SYSTEM;
        case WORKER_ABANDONED: {
                char span[32];
                clock_format_seconds(clock_now_us() - started, span, sizeof(span));
                snprintf(why, why_size, "no answer from the resolver for '%s' within %s",
                         text_quote(host, q, sizeof(q)), span);
                return NET_TIMEOUT;
        }
        case WORKER_DONE:
                break;
        }
        if (task.rc != 0) {
                *gai_error = task.rc;
                return gai_status(task.rc, task.error, host, why, why_size);
        }
        *out = task.result;
        return NET_OK;
}

enum net_status net_resolve(const char *host, unsigned short port, uint64_t deadline_us,
                            struct addrinfo **out, char *why, size_t why_size)
{
        int gai_error;
        return net_resolve_family(host, port, AF_UNSPEC, deadline_us, out, &gai_error, why,
                                  why_size);
}

/* ------------------------------------------------------------------------------------------ */
/* Connecting */

static void format_address(const struct sockaddr *sa, char *buf, size_t size)
{
        char text[INET6_ADDRSTRLEN];
        if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
                if (!inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)))
                        snprintf(text, sizeof(text), "?");
                snprintf(buf, size, "[%s]:%u", text, (unsigned)ntohs(in6->sin6_port));
        } else if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
                if (!inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text)))
                        snprintf(text, sizeof(text), "?");
                snprintf(buf, size, "%s:%u", text, (unsigned)ntohs(in4->sin_port));
        } else {
                snprintf(buf, size, "(address family %d)", sa->sa_family);
        }
}

/* A short reason in the words an administrator searches for. */
static const char *connect_reason(int error, char *buf, size_t size)
{
        switch (error) {
        case ECONNREFUSED:
                return "connection refused";
        case ENETUNREACH:
                return "network unreachable";
        case EHOSTUNREACH:
                return "no route to host";
        case ETIMEDOUT:
                return "timed out (no answer to the connection request)";
        case ECONNRESET:
                return "connection reset";
        case EACCES:
        case EPERM:
                return "not permitted (a firewall rule?)";
        case EADDRNOTAVAIL:
                return "address not available";
        case EAFNOSUPPORT:
                return "address family not supported on this host";
        default:
                snprintf(buf, size, "%s", strerror(error));
                if (buf[0])
                        buf[0] = (char)tolower((unsigned char)buf[0]);
                return buf;
        }
}

static bool is_system_error(int error)
{
        return error == EMFILE || error == ENFILE || error == ENOMEM || error == ENOBUFS;
}

/* What the addresses that failed said, for why. */
struct failures {
        unsigned count;
        unsigned timeouts;
        bool differ;
        char first_reason[128];
        char addresses[256]; /* "[::1]:5432, 127.0.0.1:5432" */
        char list[512];      /* "[::1]:5432: no answer within 1.0s; 127.0.0.1:5432: ..." */
};

static void append(char *buf, size_t size, const char *separator, const char *text)
{
        size_t used = strlen(buf);
        if (used + 1 < size)
                snprintf(buf + used, size - used, "%s%s", used ? separator : "", text);
}

static void failure_add(struct failures *f, const char *address, const char *reason, bool timed_out)
{
        char entry[INET6_ADDRSTRLEN + 16 + 128 + 2];
        if (f->count == 0)
                snprintf(f->first_reason, sizeof(f->first_reason), "%s", reason);
        else if (strcmp(reason, f->first_reason) != 0)
                f->differ = true;
        f->count++;
        f->timeouts += timed_out;
        append(f->addresses, sizeof(f->addresses), ", ", address);
        snprintf(entry, sizeof(entry), "%s: %s", address, reason);
        append(f->list, sizeof(f->list), "; ", entry);
}

/* The status and reason once every address failed. */
static enum net_status failure_describe(const struct failures *f, uint64_t took_us, char *why,
                                        size_t why_size)
{
        char span[32];
        clock_format_seconds(took_us, span, sizeof(span));
        if (f->count > 0 && f->timeouts == f->count) {
                snprintf(why, why_size, "no answer from %s within %s", f->addresses, span);
                return NET_TIMEOUT;
        }
        if (f->count == 1)
                snprintf(why, why_size, "%s", f->first_reason);
        else if (!f->differ)
                snprintf(why, why_size, "%s (tried %s)", f->first_reason, f->addresses);
        else
                snprintf(why, why_size, "%s", f->list);
        return NET_UNREACHABLE;
}

/* Waits for a non-blocking connect to finish; returns 0, an errno, or -1 at the deadline. */
static int wait_connected(int fd, uint64_t deadline_us)
{
        int ready = poll_until(fd, POLLOUT, deadline_us);
        if (ready < 0)
                return -ready;
        if (ready == 0)
                return -1;
        int error = 0;
        socklen_t len = sizeof(error);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
                return errno;
        return error;
}

static bool set_blocking(int fd)
{
        int flags = fcntl(fd, F_GETFL);
        return flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0;
}

/*
 * How long one address may take: an equal share of the time left, so that an address that
 * drops packets (a host that is down) cannot use up the time the next address needs.
 */
static uint64_t address_deadline(uint64_t deadline_us, unsigned addresses_left)
{
        if (deadline_us == 0 || addresses_left <= 1)
                return deadline_us;
        uint64_t now = clock_now_us();
        if (now >= deadline_us)
                return deadline_us;
        return now + (deadline_us - now) / addresses_left;
}

/*
 * A new non-blocking socket connected to sa: 0 and *fd (blocking again) when the peer accepted,
 * else an errno, or -1 for no answer by the deadline.
 */
static int connect_socket(int family, int type, int protocol, const struct sockaddr *sa,
                          socklen_t sa_len, uint64_t deadline_us, int *fd)
{
        int s = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (s < 0)
                return errno;
        int error;
        for (;;) {
                error = connect(s, sa, sa_len) == 0 ? 0 : errno;
                /* A unix socket whose accept queue is full refuses at once (EAGAIN) where TCP
                 * would wait for room in it: wait here instead, until the deadline. */
                if (error != EAGAIN || family != AF_UNIX)
                        break;
                if (deadline_passed(deadline_us)) {
                        error = -1;
                        break;
                }
                sleep_until_deadline(10000, deadline_us);
        }
        if (error == EINPROGRESS || error == EINTR)
                error = wait_connected(s, deadline_us);
        if (error == 0 && !set_blocking(s))
                error = errno;
        if (error == 0)
                *fd = s;
        else
                close(s);
        return error;
}

int net_connect_unix(const char *path, uint64_t deadline_us, int *fd)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        *fd = -1;
        if (strlen(path) >= sizeof(sa.sun_path))
                return ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int error = connect_socket(AF_UNIX, SOCK_STREAM, 0, (const struct sockaddr *)&sa,
                                   sizeof(sa), deadline_us, fd);
        return error < 0 ? ETIMEDOUT : error;
}

enum net_status net_connect(const char *host, unsigned short port, uint64_t deadline_us, int *fd,
                            char *peer, size_t peer_size, char *why, size_t why_size)
{
        struct addrinfo *addresses;
        struct failures failures = {0};
        char address[INET6_ADDRSTRLEN + 16], reason[128], span[32];
        uint64_t started = clock_now_us();
        *fd = -1;
        if (peer_size)
                peer[0] = '\0';
        enum net_status status = net_resolve(host, port, deadline_us, &addresses, why, why_size);
        if (status != NET_OK)
                return status;

        unsigned left = 0;
        for (const struct addrinfo *ai = addresses; ai; ai = ai->ai_next)
                left++;
        status = NET_UNREACHABLE;
        for (const struct addrinfo *ai = addresses; ai; ai = ai->ai_next, left--) {
                format_address(ai->ai_addr, address, sizeof(address));
                uint64_t slice_started = clock_now_us();
                int error =
                    connect_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol, ai->ai_addr,
                                   ai->ai_addrlen, address_deadline(deadline_us, left), fd);
                if (error == 0) {
                        snprintf(peer, peer_size, "%s", address);
                        status = NET_OK;
                        break;
                }
                if (is_system_error(error)) {
                        snprintf(why, why_size, "cannot connect to %s: %s", address,
                                 connect_reason(error, reason, sizeof(reason)));
                        status = NET_SYSTEM;
                        break;
                }
                if (error < 0 || error == ETIMEDOUT) {
                        clock_format_seconds(clock_now_us() - slice_started, span, sizeof(span));
                        snprintf(reason, sizeof(reason), "no answer within %s", span);
                        failure_add(&failures, address, reason, true);
                } else {
                        failure_add(&failures, address,
                                    connect_reason(error, reason, sizeof(reason)), false);
                }
                if (deadline_passed(deadline_us))
                        break;
        }
        freeaddrinfo(addresses);
        if (status == NET_OK)
                snprintf(why, why_size, "%s", failures.list); /* what failed on the way */
        else if (status == NET_UNREACHABLE)
                status = failure_describe(&failures, clock_now_us() - started, why, why_size);
        return status;
}
