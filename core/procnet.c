#include "core/procnet.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/text.h"

/* The kernel hands out at most a page per read() today; a larger buffer costs nothing and
 * takes whatever a future kernel gives at once. */
#define READ_CHUNK (32 * 1024)

/* Fields of a table line, split on blanks: "sl:", local, remote, st, tx:rx, tr:when,
 * retrnsmt, uid, timeout, inode, and more we do not need. */
enum { FIELD_LOCAL = 1, FIELD_STATE = 3, FIELD_UID = 7, FIELD_INODE = 9, FIELDS_NEEDED = 10 };

struct field {
        const char *start;
        size_t len;
};

static bool parse_hex(const char *text, size_t len, uint32_t *value)
{
        uint32_t v = 0;
        if (len == 0 || len > 8)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = text[i];
                unsigned digit;
                if (c >= '0' && c <= '9')
                        digit = (unsigned)(c - '0');
                else if (c >= 'A' && c <= 'F')
                        digit = (unsigned)(c - 'A' + 10);
                else if (c >= 'a' && c <= 'f')
                        digit = (unsigned)(c - 'a' + 10);
                else
                        return false;
                v = v << 4 | digit;
        }
        *value = v;
        return true;
}

static bool parse_decimal(const struct field *f, unsigned long max, unsigned long *value)
{
        unsigned long v = 0;
        if (f->len == 0)
                return false;
        for (size_t i = 0; i < f->len; i++) {
                char c = f->start[i];
                if (c < '0' || c > '9' || v > (max - (unsigned long)(c - '0')) / 10)
                        return false;
                v = v * 10 + (unsigned long)(c - '0');
        }
        *value = v;
        return true;
}

static bool is_v4_mapped(const uint8_t b[16])
{
        static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        return memcmp(b, prefix, sizeof(prefix)) == 0;
}

/* ::ffff:a.b.c.d is a.b.c.d: the kernel treats such a bind as an IPv4 one. */
static void normalize_v4_mapped(struct procnet_addr *addr)
{
        if (addr->family == AF_INET6 && is_v4_mapped(addr->bytes)) {
                addr->family = AF_INET;
                memmove(addr->bytes, addr->bytes + 12, 4);
                memset(addr->bytes + 4, 0, 12);
        }
}

/* "0100007F:1F90": the address as host-order 32-bit words, then the port. */
static bool parse_endpoint(const struct field *f, int family, struct procnet_addr *addr,
                           uint16_t *port)
{
        size_t words = family == AF_INET ? 1 : 4;
        uint32_t value;
        if (f->len != words * 8 + 5 || f->start[words * 8] != ':')
                return false;
        *addr = (struct procnet_addr){.family = family};
        for (size_t i = 0; i < words; i++) {
                if (!parse_hex(f->start + i * 8, 8, &value))
                        return false;
                memcpy(addr->bytes + i * 4, &value, 4); /* host order back to the bytes */
        }
        if (!parse_hex(f->start + words * 8 + 1, 4, &value))
                return false;
        *port = (uint16_t)value;
        normalize_v4_mapped(addr);
        return true;
}

bool procnet_parse_line(const char *line, enum procnet_proto proto, int family,
                        struct procnet_socket *out)
{
        struct field fields[FIELDS_NEEDED];
        size_t n = 0;
        const char *p = line;
        uint32_t state;
        unsigned long uid, inode;

        if (family != AF_INET && family != AF_INET6)
                return false;
        while (n < FIELDS_NEEDED) {
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p == '\0' || *p == '\n')
                        break;
                fields[n].start = p;
                while (*p && *p != ' ' && *p != '\t' && *p != '\n')
                        p++;
                fields[n].len = (size_t)(p - fields[n].start);
                n++;
        }
        if (n < FIELDS_NEEDED || fields[0].start[fields[0].len - 1] != ':')
                return false;
        *out = (struct procnet_socket){.proto = proto};
        if (!parse_endpoint(&fields[FIELD_LOCAL], family, &out->local, &out->port) ||
            fields[FIELD_STATE].len != 2 || !parse_hex(fields[FIELD_STATE].start, 2, &state) ||
            !parse_decimal(&fields[FIELD_UID], (uid_t)-1, &uid) ||
            !parse_decimal(&fields[FIELD_INODE], (unsigned long)-1, &inode))
                return false;
        out->state = state;
        out->uid = (uid_t)uid;
        out->inode = inode;
        return true;
}

struct table_reader {
        enum procnet_proto proto;
        int family;
        bool listen_only;
        procnet_visit visit;
        void *ctx;
        struct procnet_stats *stats;
        bool header_seen;
};

/* Returns false when reading should stop. */
static bool handle_line(struct table_reader *r, const char *line)
{
        struct procnet_socket sock;
        bool first = !r->header_seen;
        r->header_seen = true;
        if (!procnet_parse_line(line, r->proto, r->family, &sock)) {
                if (!first && line[0] != '\0')
                        r->stats->malformed++;
                return true;
        }
        if (r->listen_only && sock.state != PROCNET_STATE_LISTEN) {
                r->stats->stopped_early = true;
                return false;
        }
        r->stats->entries++;
        return r->visit(&sock, r->ctx);
}

int procnet_read(int fd, enum procnet_proto proto, int family, bool listen_only,
                 uint64_t deadline_us, procnet_visit visit, void *ctx, struct procnet_stats *stats)
{
        *stats = (struct procnet_stats){0};
        struct table_reader r = {proto, family, listen_only, visit, ctx, stats, false};
        size_t held = 0;         /* bytes of an unfinished line kept at the start of buf */
        bool discarding = false; /* inside a line longer than the buffer: skip to its end */
        int rc = 0;

        char *buf = malloc(READ_CHUNK + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + held, READ_CHUNK - held);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        rc = -errno;
                        break;
                }
                if (n == 0) {
                        buf[held] = '\0';
                        if (held > 0 && !discarding)
                                handle_line(&r, buf);
                        break;
                }
                held += (size_t)n;
                char *start = buf, *end = buf + held, *nl;
                bool more = true;
                while (more && (nl = memchr(start, '\n', (size_t)(end - start)))) {
                        *nl = '\0';
                        if (!discarding)
                                more = handle_line(&r, start);
                        discarding = false;
                        start = nl + 1;
                }
                if (!more)
                        break;
                held = (size_t)(end - start);
                memmove(buf, start, held);
                if (held == READ_CHUNK) {
                        /* No table line is this long: count it once and drop the rest. */
                        if (!discarding)
                                stats->malformed++;
                        discarding = true;
                        held = 0;
                }
                if (deadline_passed(deadline_us)) {
                        rc = -ETIMEDOUT;
                        break;
                }
        }
        free(buf);
        return rc;
}

/* Visits each inet_diag_msg of one netlink reply; 1 when the dump is complete, 0 for more,
 * -errno on an error reply. */
static int handle_diag_reply(const char *buf, size_t len, uint32_t seq, procnet_visit visit,
                             void *ctx, struct procnet_stats *stats, bool *stopped)
{
        for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, len);
             h = NLMSG_NEXT(h, len)) {
                if (h->nlmsg_seq != seq)
                        continue;
                if (h->nlmsg_type == NLMSG_DONE)
                        return 1;
                if (h->nlmsg_type == NLMSG_ERROR) {
                        const struct nlmsgerr *e = NLMSG_DATA(h);
                        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                                return -EPROTO;
                        return e->error < 0 ? e->error : -EPROTO;
                }
                if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
                    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
                        stats->malformed++;
                        continue;
                }
                const struct inet_diag_msg *m = NLMSG_DATA(h);
                if (*stopped || m->idiag_state != PROCNET_STATE_LISTEN)
                        continue;
                struct procnet_socket sock = {
                    .proto = PROCNET_TCP,
                    .local = {.family = m->idiag_family},
                    .port = ntohs(m->id.idiag_sport),
                    .state = m->idiag_state,
                    .uid = m->idiag_uid,
                    .inode = m->idiag_inode,
                };
                memcpy(sock.local.bytes, m->id.idiag_src, m->idiag_family == AF_INET ? 4 : 16);
                normalize_v4_mapped(&sock.local);
                stats->entries++;
                /* Keep reading to the end of the dump even when told to stop: the rest of it
                 * would wait in the socket, which is closed right after. */
                *stopped = !visit(&sock, ctx);
        }
        return 0;
}

int procnet_diag_listeners(int family, uint64_t deadline_us, procnet_visit visit, void *ctx,
                           struct procnet_stats *stats)
{
        const uint32_t seq = 1;
        struct {
                struct nlmsghdr header;
                struct inet_diag_req_v2 request;
        } req = {
            .header = {.nlmsg_len = sizeof(req),
                       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                       .nlmsg_seq = seq},
            .request = {.sdiag_family = (uint8_t)family,
                        .sdiag_protocol = IPPROTO_TCP,
                        .idiag_states = 1u << PROCNET_STATE_LISTEN},
        };
        struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
        bool stopped = false;
        int rc = 0;

        *stats = (struct procnet_stats){0};
        if (family != AF_INET && family != AF_INET6)
                return -EAFNOSUPPORT;
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd < 0)
                return -errno;
        char *buf = malloc(READ_CHUNK);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
                rc = -errno;
        while (rc == 0) {
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                int ready = poll(&pfd, 1, deadline_remaining_ms(deadline_us));
                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready < 0) {
                        rc = -errno;
                        break;
                }
                if (ready == 0) {
                        rc = -ETIMEDOUT;
                        break;
                }
                ssize_t n = recv(fd, buf, READ_CHUNK, MSG_DONTWAIT);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n < 0) {
                        rc = -errno;
                        break;
                }
                if (n == 0) {
                        rc = -EPROTO;
                        break;
                }
                int r = handle_diag_reply(buf, (size_t)n, seq, visit, ctx, stats, &stopped);
                if (r < 0)
                        rc = r;
                else if (r == 1)
                        break;
        }
        free(buf);
        close(fd);
        return rc;
}

/* The text of one SPEC is parsed into this before it is checked as a whole. */
static int spec_error(struct pf_error *err, const char *text, const char *why)
{
        char q[QUOTE_BUF];
        return pf_error_set(err, "'%s': %s", text_quote(text, q, sizeof(q)), why);
}

static int parse_port_number(const char *text, const char *port, uint16_t *out,
                             struct pf_error *err)
{
        unsigned long value;
        if (port[0] == '\0')
                return spec_error(err, text, "the port is missing (1-65535)");
        if (!text_parse_ulong(port, 1, 65535, &value)) {
                bool digits = strspn(port, "0123456789") == strlen(port);
                return spec_error(err, text,
                                  digits ? "port must be 1-65535"
                                         : "not a port (PORT, ADDR:PORT or [V6]:PORT, with an "
                                           "optional /tcp or /udp)");
        }
        *out = (uint16_t)value;
        return PF_OK;
}

int port_spec_parse(const char *text, struct port_spec *out, struct pf_error *err)
{
        char work[128], shown_addr[INET6_ADDRSTRLEN + 2];
        const char *port_text;
        *out = (struct port_spec){.proto = PROCNET_TCP, .every_address = true};

        if (strlen(text) >= sizeof(work))
                return spec_error(err, text, "too long for a port spec");
        snprintf(work, sizeof(work), "%s", text);

        char *slash = strrchr(work, '/');
        if (slash) {
                *slash = '\0';
                if (text_equal_nocase(slash + 1, "udp"))
                        out->proto = PROCNET_UDP;
                else if (!text_equal_nocase(slash + 1, "tcp"))
                        return spec_error(err, text, "the protocol must be tcp or udp");
        }

        shown_addr[0] = '\0';
        if (work[0] == '[') {
                char *close = strchr(work, ']');
                if (!close)
                        return spec_error(err, text, "missing ']' after the IPv6 address");
                if (close[1] != ':')
                        return spec_error(err, text, "expected [V6]:PORT");
                *close = '\0';
                out->addr.family = AF_INET6;
                if (inet_pton(AF_INET6, work + 1, out->addr.bytes) != 1)
                        return spec_error(err, text, "not a numeric IPv6 address");
                port_text = close + 2;
                out->every_address = false;
        } else {
                char *colon = strchr(work, ':');
                if (colon && strchr(colon + 1, ':'))
                        return spec_error(err, text, "an IPv6 address goes in brackets: [V6]:PORT");
                if (colon) {
                        *colon = '\0';
                        if (work[0] == '\0')
                                return spec_error(err, text,
                                                  "the address is missing (a bare PORT means "
                                                  "every address)");
                        out->addr.family = AF_INET;
                        if (inet_pton(AF_INET, work, out->addr.bytes) != 1)
                                return spec_error(err, text,
                                                  "not a numeric IPv4 address (names are not "
                                                  "resolved: give the address the service "
                                                  "binds)");
                        port_text = colon + 1;
                        out->every_address = false;
                } else {
                        port_text = work;
                }
        }
        int r = parse_port_number(text, port_text, &out->port, err);
        if (r != PF_OK)
                return r;

        if (!out->every_address) {
                char a[INET6_ADDRSTRLEN];
                inet_ntop(out->addr.family, out->addr.bytes, a, sizeof(a));
                snprintf(shown_addr, sizeof(shown_addr),
                         out->addr.family == AF_INET6 ? "[%s]" : "%s", a);
                normalize_v4_mapped(&out->addr);
        }
        snprintf(out->shown, sizeof(out->shown), "%s%s%u/%s", shown_addr, shown_addr[0] ? ":" : "",
                 (unsigned)out->port, out->proto == PROCNET_UDP ? "udp" : "tcp");
        return PF_OK;
}

static bool addr_is_wildcard(const struct procnet_addr *a)
{
        size_t len = a->family == AF_INET ? 4 : 16;
        for (size_t i = 0; i < len; i++)
                if (a->bytes[i])
                        return false;
        return true;
}

static bool addr_equal(const struct procnet_addr *a, const struct procnet_addr *b)
{
        return a->family == b->family &&
               memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16) == 0;
}

enum port_conflict port_conflict(const struct port_spec *want, const struct procnet_socket *held,
                                 bool v6_wildcard_takes_v4)
{
        const struct procnet_addr *a = &want->addr, *b = &held->local;
        if (held->proto != want->proto || held->port != want->port)
                return PORT_FREE_OF;
        if (want->every_address)
                return PORT_CONFLICT;
        if (a->family == b->family)
                return addr_equal(a, b) || addr_is_wildcard(a) || addr_is_wildcard(b)
                           ? PORT_CONFLICT
                           : PORT_FREE_OF;
        if (a->family == AF_INET6) /* the service's [::] socket takes IPv4 too, unless v6-only */
                return addr_is_wildcard(a) && v6_wildcard_takes_v4 ? PORT_CONFLICT : PORT_FREE_OF;
        /* An IPv4 bind against an IPv6 socket: only a wildcard one can take IPv4. */
        return addr_is_wildcard(b) ? PORT_CONFLICT_UNLESS_V6ONLY : PORT_FREE_OF;
}

void procnet_format_endpoint(const struct procnet_addr *addr, uint16_t port, char *buf, size_t size)
{
        char a[INET6_ADDRSTRLEN];
        if (!inet_ntop(addr->family, addr->bytes, a, sizeof(a)))
                snprintf(a, sizeof(a), "?");
        snprintf(buf, size, addr->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, (unsigned)port);
}

/* Reads proc_root/PID/comm into name (empty when it cannot be read). */
static void read_comm(int proc_fd, unsigned long pid, char *name, size_t size)
{
        char path[64];
        name[0] = '\0';
        snprintf(path, sizeof(path), "%lu/comm", pid);
        int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        ssize_t n = read(fd, name, size - 1);
        close(fd);
        if (n <= 0)
                return;
        /* Only the newline the kernel adds goes: one inside the name is the name's own. */
        if (name[n - 1] == '\n')
                n--;
        name[n] = '\0';
}

/* Looks through one process's descriptors; true when one of them is the socket. */
static bool process_holds(int proc_fd, unsigned long pid, const char *want, size_t want_len,
                          uint64_t deadline_us, struct procnet_holder *out)
{
        char path[64], link[64];
        bool found = false;
        unsigned long seen = 0;
        snprintf(path, sizeof(path), "%lu/fd", pid);
        int fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == EACCES || errno == EPERM)
                        out->hidden++;
                return false;
        }
        DIR *fds = fdopendir(fd);
        if (!fds) {
                close(fd);
                return false;
        }
        struct dirent *e;
        while (!found && (e = readdir(fds))) {
                if (e->d_name[0] == '.')
                        continue;
                /* A process with tens of thousands of descriptors must not outlive the deadline. */
                if (++seen % 1024 == 0 && deadline_passed(deadline_us)) {
                        out->deadline = true;
                        break;
                }
                ssize_t n = readlinkat(dirfd(fds), e->d_name, link, sizeof(link));
                found = n == (ssize_t)want_len && memcmp(link, want, want_len) == 0;
        }
        closedir(fds);
        return found;
}

void procnet_find_holder(const char *proc_root, unsigned long inode, uint64_t deadline_us,
                         struct procnet_holder *out)
{
        char want[40];
        unsigned long pid;
        *out = (struct procnet_holder){0};
        int want_len = snprintf(want, sizeof(want), "socket:[%lu]", inode);
        DIR *proc = opendir(proc_root);
        if (!proc)
                return;
        struct dirent *e;
        while (!out->deadline && (e = readdir(proc))) {
                if (!text_parse_ulong(e->d_name, 1, 4194304, &pid))
                        continue;
                if (deadline_passed(deadline_us)) {
                        out->deadline = true;
                        break;
                }
                if (process_holds(dirfd(proc), pid, want, (size_t)want_len, deadline_us, out)) {
                        out->pid = (long)pid;
                        read_comm(dirfd(proc), pid, out->name, sizeof(out->name));
                        break;
                }
        }
        closedir(proc);
}
