/*
 * The /proc/self/net/{tcp,tcp6,udp,udp6} parsers (checks/port/procnet.c): one line at a time, and
 * the chunked reader over a whole table, which must agree with each other; every socket found is
 * weighed against the spec "8080", as the port check does. The table's first line is also read
 * as a port spec, most of the time one that does not parse.
 * Input: byte 0 picks the table (family and protocol), the rest is the table's text.
 */
#include "tests/fuzz/fuzz.h"

#include <arpa/inet.h>
#include <sys/mman.h>
#include <unistd.h>

#include "checks/port/port.h"

struct tally {
        unsigned long entries;
        const struct port_spec *spec;
};

static bool visit(const struct procnet_socket *sock, void *ctx)
{
        struct tally *t = ctx;
        char endpoint[80];
        FUZZ_REQUIRE(sock->local.family == AF_INET || sock->local.family == AF_INET6, "family %d",
                     sock->local.family);
        procnet_format_endpoint(&sock->local, sock->port, endpoint, sizeof(endpoint));
        FUZZ_REQUIRE(fuzz_safe_line(endpoint), "endpoint text");
        enum port_conflict c = port_conflict(t->spec, sock, t->entries % 2 == 0);
        FUZZ_REQUIRE(c == PORT_FREE_OF || c == PORT_CONFLICT || c == PORT_CONFLICT_UNLESS_V6ONLY,
                     "conflict %d", (int)c);
        t->entries++;
        return true;
}

/* Lines as the reader sees them: split at '\n', each read as a C string (up to a NUL). */
static unsigned long entries_line_by_line(const uint8_t *text, size_t size,
                                          enum procnet_proto proto, int family)
{
        unsigned long entries = 0;
        struct procnet_socket sock;
        size_t at = 0;
        for (;;) {
                const uint8_t *nl = memchr(text + at, '\n', size - at);
                size_t len = nl ? (size_t)(nl - (text + at)) : size - at;
                char *line = fuzz_text(text + at, len);
                if (procnet_parse_line(line, proto, family, &sock))
                        entries++;
                free(line);
                if (!nl)
                        break;
                at += len + 1;
        }
        return entries;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        enum procnet_proto proto = data[0] & 1 ? PROCNET_UDP : PROCNET_TCP;
        int family = data[0] & 2 ? AF_INET6 : AF_INET;
        const uint8_t *table = data + 1;
        size_t table_size = size - 1;

        /* The table's first line, read as a port spec (most are not one). */
        struct port_spec spec;
        struct pf_error err;
        char shown[TARGET_SHOWN_SIZE];
        char *first = fuzz_text(table, table_size);
        first[strcspn(first, "\n")] = '\0';
        if (port_spec_parse(first, &spec, shown, sizeof(shown), &err) == PF_OK)
                FUZZ_REQUIRE(fuzz_safe_line(shown) && spec.port > 0, "spec shown '%s'", shown);
        else
                FUZZ_REQUIRE_MESSAGE(err.msg);
        free(first);
        /* What the sockets are weighed against: a spec that always parses. */
        if (port_spec_parse("8080", &spec, NULL, 0, &err) != PF_OK)
                abort();

        /* The reader reads from a descriptor: a memfd holds the table. */
        int fd = memfd_create("procnet", MFD_CLOEXEC);
        FUZZ_REQUIRE(fd >= 0, "memfd_create");
        FUZZ_REQUIRE(table_size == 0 || write(fd, table, table_size) == (ssize_t)table_size,
                     "write");
        FUZZ_REQUIRE(lseek(fd, 0, SEEK_SET) == 0, "lseek");
        struct tally tally = {.spec = &spec};
        struct procnet_stats stats;
        int rc = procnet_read(fd, proto, family, false, 0, visit, &tally, &stats);
        close(fd);
        FUZZ_REQUIRE(rc == 0, "procnet_read: %d", rc);
        FUZZ_REQUIRE(stats.entries == tally.entries, "entries counted %lu, visited %lu",
                     stats.entries, tally.entries);

        /* Lines longer than the reader's chunk are dropped whole; fuzz inputs stay below it. */
        if (table_size < 32 * 1024)
                FUZZ_REQUIRE(entries_line_by_line(table, table_size, proto, family) ==
                                 stats.entries,
                             "the reader found %lu entries, line by line finds another count",
                             stats.entries);
        return 0;
}
