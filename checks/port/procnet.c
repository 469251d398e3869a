/* The /proc tables: /proc/self/net/{tcp,tcp6,udp,udp6}, one line per socket. */
#include "checks/port/port.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"

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

void procnet_normalize_v4_mapped(struct procnet_addr *addr)
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
        procnet_normalize_v4_mapped(addr);
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
