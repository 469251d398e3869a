/*
 * Unit tests of the port check's socket tables (checks/port/procnet.c, diag.c, holder.c): the
 * lines of /proc/net/tcp, tcp6, udp and udp6, the reader that stops after the listening entries,
 * the sock_diag listing, and the search for the process holding a socket; the conflict rules
 * applied to a captured table. SPECs, the rules themselves and the listing that chooses between
 * sock_diag and /proc are tests/check_port.c's.
 *
 * tests/data/procnet_* were captured on x86-64 (little-endian) in a fresh network namespace
 * (unshare --net; lo up; fd00::1:2:3:4 added to lo) holding: TCP listeners 0.0.0.0:8080,
 * 127.0.0.1:8081, 127.1.2.3:8082, [::]:9090 (v6only), [::1]:9091, [::ffff:127.0.0.2]:9092,
 * [::]:9093 (dual-stack), [fd00::1:2:3:4]:9094; three connections to 8081, two to [::1]:9091,
 * one TIME_WAIT each on 8080 and [::1]:9093; UDP 0.0.0.0:5353, 127.0.0.1:5354 (plus a client
 * connected to it), [::]:5355, [::1]:5356. The kernel prints each 32-bit word of an address in
 * host byte order, so these files decode as written only on a little-endian machine.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/check.h"
#include "core/clock.h"
#include "checks/port/port.h"
#include "tests/find_socket.h"
#include "tests/slack.h"

Suite *suite_procnet(void);

#define DATA "tests/data/"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void assert_addr(const struct procnet_addr *got, const char *want)
{
        char text[INET6_ADDRSTRLEN];
        ck_assert_ptr_nonnull(inet_ntop(got->family, got->bytes, text, sizeof(text)));
        ck_assert_str_eq(text, want);
}

/* ---- one line ---- */

START_TEST(test_parse_ipv4_line)
{
        struct procnet_socket s;
        const char *line = "   0: 0302017F:1F92 00000000:0000 0A 00000000:00000000 00:00000000 "
                           "00000000    33        0 52589 1 00000000e4f0d00d 100 0 0 10 0";
        ck_assert(procnet_parse_line(line, PROCNET_TCP, AF_INET, &s));
        ck_assert_int_eq(s.local.family, AF_INET);
        assert_addr(&s.local, "127.1.2.3"); /* each byte in its place: 7F 01 02 03 */
        ck_assert_uint_eq(s.port, 8082);
        ck_assert_uint_eq(s.state, PROCNET_STATE_LISTEN);
        ck_assert_uint_eq(s.uid, 33);
        ck_assert_uint_eq(s.inode, 52589);
        ck_assert_int_eq(s.proto, PROCNET_TCP);
}
END_TEST

START_TEST(test_parse_ipv6_line)
{
        struct procnet_socket s;
        const char *line = "   0: 000000FD000000000200010004000300:2386 "
                           "00000000000000000000000000000000:0000 0A 00000000:00000000 "
                           "00:00000000 00000000     0        0 52588 1 0000000023d936f5 100 0";
        ck_assert(procnet_parse_line(line, PROCNET_TCP, AF_INET6, &s));
        ck_assert_int_eq(s.local.family, AF_INET6);
        assert_addr(&s.local, "fd00::1:2:3:4"); /* four words, each in host order */
        ck_assert_uint_eq(s.port, 9094);
        ck_assert_uint_eq(s.inode, 52588);
}
END_TEST

START_TEST(test_parse_v4_mapped_line)
{
        struct procnet_socket s;
        const char *line = "   1: 0000000000000000FFFF00000200007F:2384 "
                           "00000000000000000000000000000000:0000 0A 00000000:00000000 "
                           "00:00000000 00000000     0        0 52587 1 0000000023d936f5 100 0";
        ck_assert(procnet_parse_line(line, PROCNET_TCP, AF_INET6, &s));
        ck_assert_int_eq(s.local.family, AF_INET); /* ::ffff:127.0.0.2 counts as 127.0.0.2 */
        assert_addr(&s.local, "127.0.0.2");
        ck_assert_uint_eq(s.port, 9092);
}
END_TEST

START_TEST(test_parse_udp_line)
{
        struct procnet_socket s;
        const char *line = "12329: 0100007F:A5CC 0100007F:14EA 01 00000000:00000000 00:00000000 "
                           "00000000     0        0 52606 2 000000003e 0";
        ck_assert(procnet_parse_line(line, PROCNET_UDP, AF_INET, &s));
        ck_assert_int_eq(s.proto, PROCNET_UDP);
        assert_addr(&s.local, "127.0.0.1");
        ck_assert_uint_eq(s.port, 0xA5CC);
        ck_assert_uint_eq(s.state, 1);
}
END_TEST

static const struct {
        const char *line;
        int family;
} bad_lines[] = {
    {"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
     "timeout inode",
     AF_INET},
    {"", AF_INET},
    {"   0: 0100007F:1F91", AF_INET},
    /* an IPv6 address in an IPv4 table, and the other way round */
    {"   0: 00000000000000000000000001000000:2383 00000000000000000000000000000000:0000 0A "
     "00000000:00000000 00:00000000 00000000     0        0 1 1",
     AF_INET},
    {"   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0    "
     "    0 1 1",
     AF_INET6},
    {"   0: 0100007G:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1",
     AF_INET},
    {"   0: 0100007F-1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1",
     AF_INET},
    {"   0: 0100007F:1F9 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1", AF_INET},
    {"   0: 0100007F:1F91 00000000:0000 A 00000000:00000000 00:00000000 00000000 0 0 1 1", AF_INET},
    {"   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000 x 0 1 1",
     AF_INET},
    {"   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 -1 1",
     AF_INET},
    {"   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 "
     "99999999999999999999999 1",
     AF_INET},
    {"   0 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1", AF_INET},
    {"   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1",
     AF_UNIX},
};

START_TEST(test_parse_bad_line)
{
        struct procnet_socket s;
        ck_assert_msg(
            !procnet_parse_line(bad_lines[_i].line, PROCNET_TCP, bad_lines[_i].family, &s),
            "accepted: %s", bad_lines[_i].line);
}
END_TEST

/* ---- whole tables ---- */

#define MAX_SEEN 64

struct seen {
        struct procnet_socket socks[MAX_SEEN];
        size_t n;
        size_t stop_after; /* 0: never stop */
};

static bool remember(const struct procnet_socket *sock, void *ctx)
{
        struct seen *seen = ctx;
        if (seen->n < MAX_SEEN)
                seen->socks[seen->n] = *sock;
        seen->n++;
        return seen->stop_after == 0 || seen->n < seen->stop_after;
}

static bool seen_port(const struct seen *seen, uint16_t port)
{
        for (size_t i = 0; i < seen->n && i < MAX_SEEN; i++)
                if (seen->socks[i].port == port)
                        return true;
        return false;
}

static int read_file(const char *path, enum procnet_proto proto, int family, bool listen_only,
                     uint64_t deadline_us, struct seen *seen, struct procnet_stats *stats)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_msg(fd >= 0, "cannot open %s: %s", path, strerror(errno));
        int r = procnet_read(fd, proto, family, listen_only, deadline_us, remember, seen, stats);
        close(fd);
        return r;
}

START_TEST(test_read_tcp_stops_after_listeners)
{
        struct seen seen = {.n = 0};
        struct procnet_stats stats = {0};
        ck_assert_int_eq(
            read_file(DATA "procnet_tcp", PROCNET_TCP, AF_INET, true, 0, &seen, &stats), 0);
        ck_assert_uint_eq(stats.entries, 3);
        ck_assert_uint_eq(seen.n, 3);
        ck_assert(stats.stopped_early);
        ck_assert_uint_eq(stats.malformed, 0);
        ck_assert(seen_port(&seen, 8080) && seen_port(&seen, 8081) && seen_port(&seen, 8082));
        for (size_t i = 0; i < seen.n; i++)
                ck_assert_uint_eq(seen.socks[i].state, PROCNET_STATE_LISTEN);
}
END_TEST

START_TEST(test_read_tcp_to_the_end)
{
        struct seen seen = {.n = 0};
        struct procnet_stats stats = {0};
        ck_assert_int_eq(
            read_file(DATA "procnet_tcp", PROCNET_TCP, AF_INET, false, 0, &seen, &stats), 0);
        ck_assert_uint_eq(stats.entries, 10); /* 3 listening, 6 established, 1 TIME_WAIT */
        ck_assert(!stats.stopped_early);
        ck_assert_uint_eq(seen.socks[4].state, 0x06); /* TIME_WAIT, inode 0 */
        ck_assert_uint_eq(seen.socks[4].inode, 0);
}
END_TEST

START_TEST(test_read_tcp6)
{
        struct seen seen = {.n = 0};
        struct procnet_stats stats = {0};
        ck_assert_int_eq(
            read_file(DATA "procnet_tcp6", PROCNET_TCP, AF_INET6, true, 0, &seen, &stats), 0);
        ck_assert_uint_eq(stats.entries, 5);
        ck_assert(stats.stopped_early);
        ck_assert_uint_eq(seen.socks[0].port, 9094);
        assert_addr(&seen.socks[0].local, "fd00::1:2:3:4");
        ck_assert_uint_eq(seen.socks[1].port, 9092);
        assert_addr(&seen.socks[1].local, "127.0.0.2");
        ck_assert_uint_eq(seen.socks[2].port, 9091);
        assert_addr(&seen.socks[2].local, "::1");
        assert_addr(&seen.socks[3].local, "::");
}
END_TEST

START_TEST(test_read_udp_every_state)
{
        struct seen seen = {.n = 0};
        struct procnet_stats stats = {0};
        ck_assert_int_eq(
            read_file(DATA "procnet_udp", PROCNET_UDP, AF_INET, false, 0, &seen, &stats), 0);
        ck_assert_uint_eq(stats.entries, 3); /* two bound, one connected: all count */
        ck_assert(seen_port(&seen, 5353) && seen_port(&seen, 5354));
        ck_assert_int_eq(seen.socks[0].proto, PROCNET_UDP);
        memset(&seen, 0, sizeof(seen));
        ck_assert_int_eq(
            read_file(DATA "procnet_udp6", PROCNET_UDP, AF_INET6, false, 0, &seen, &stats), 0);
        ck_assert_uint_eq(stats.entries, 2);
        assert_addr(&seen.socks[0].local, "::");
        ck_assert_uint_eq(seen.socks[0].port, 5355);
        assert_addr(&seen.socks[1].local, "::1");
}
END_TEST

START_TEST(test_read_visitor_stops)
{
        struct seen seen = {.n = 0, .stop_after = 1};
        struct procnet_stats stats = {0};
        ck_assert_int_eq(
            read_file(DATA "procnet_tcp", PROCNET_TCP, AF_INET, false, 0, &seen, &stats), 0);
        ck_assert_uint_eq(seen.n, 1);
        ck_assert_uint_eq(stats.entries, 1);
}
END_TEST

/* A temporary file holding text, opened for reading. */
static int temp_file_with(const char *text, size_t len)
{
        char path[] = "/tmp/preflight-procnet.XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        unlink(path);
        ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
        ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

/* Enough listening lines that reads end in the middle of one, then established lines. */
static char *synthetic_table(unsigned listening, unsigned established, size_t *len)
{
        const char *header = "  sl  local_address rem_address   st tx_queue rx_queue tr "
                             "tm->when retrnsmt   uid  timeout inode\n";
        size_t size = strlen(header) + (listening + established) * 160 + 1;
        char *text = malloc(size);
        ck_assert_ptr_nonnull(text);
        size_t used = (size_t)snprintf(text, size, "%s", header);
        for (unsigned i = 0; i < listening + established; i++)
                used += (size_t)snprintf(text + used, size - used,
                                         "%4u: 0100007F:%04X 00000000:0000 %s 00000000:00000000 "
                                         "00:00000000 00000000     0        0 %u 1 "
                                         "00000000e4f0d00d 100 0 0 10 0\n",
                                         i, 10000 + i, i < listening ? "0A" : "01", 1000 + i);
        *len = used;
        return text;
}

START_TEST(test_read_across_chunks)
{
        size_t len;
        char *text = synthetic_table(1000, 50, &len); /* ~150 KB: several 32 KB reads */
        int fd = temp_file_with(text, len);
        struct seen seen = {.n = 0};
        struct procnet_stats stats = {0};
        ck_assert_int_eq(procnet_read(fd, PROCNET_TCP, AF_INET, true, 0, remember, &seen, &stats),
                         0);
        ck_assert_uint_eq(stats.entries, 1000);
        ck_assert_uint_eq(stats.malformed, 0);
        ck_assert(stats.stopped_early);
        ck_assert_uint_eq(seen.socks[MAX_SEEN - 1].port, 10000 + MAX_SEEN - 1);
        close(fd);
        free(text);
}
END_TEST

START_TEST(test_read_no_final_newline)
{
        const char *text = "  sl  local_address\n"
                           "   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 "
                           "00000000     0        0 7 1";
        int fd = temp_file_with(text, strlen(text));
        struct seen seen = {.n = 0};
        struct procnet_stats stats = {0};
        ck_assert_int_eq(procnet_read(fd, PROCNET_TCP, AF_INET, true, 0, remember, &seen, &stats),
                         0);
        ck_assert_uint_eq(stats.entries, 1);
        ck_assert_uint_eq(seen.socks[0].inode, 7);
        close(fd);
}
END_TEST

START_TEST(test_read_overlong_line)
{
        size_t junk = 100 * 1024;
        const char *good = "   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 "
                           "00000000     0        0 7 1\n";
        size_t len = strlen("header\n") + junk + 1 + strlen(good);
        char *text = malloc(len + 1);
        ck_assert_ptr_nonnull(text);
        strcpy(text, "header\n");
        memset(text + 7, 'x', junk);
        text[7 + junk] = '\n';
        strcpy(text + 8 + junk, good);
        int fd = temp_file_with(text, len);
        struct seen seen = {.n = 0};
        struct procnet_stats stats = {0};
        ck_assert_int_eq(procnet_read(fd, PROCNET_TCP, AF_INET, true, 0, remember, &seen, &stats),
                         0);
        ck_assert_uint_eq(stats.malformed, 1);
        ck_assert_uint_eq(stats.entries, 1);
        ck_assert_uint_eq(seen.socks[0].port, 8081);
        close(fd);
        free(text);
}
END_TEST

START_TEST(test_read_deadline)
{
        size_t len;
        char *text = synthetic_table(1000, 0, &len);
        int fd = temp_file_with(text, len);
        struct seen seen = {.n = 0};
        struct procnet_stats stats = {0};
        /* A deadline long past: the reader gives up after its first chunk. */
        ck_assert_int_eq(procnet_read(fd, PROCNET_TCP, AF_INET, true, 1, remember, &seen, &stats),
                         -ETIMEDOUT);
        ck_assert_uint_lt(stats.entries, 1000);
        close(fd);
        free(text);
}
END_TEST

START_TEST(test_read_error)
{
        struct procnet_stats stats = {0};
        struct seen seen = {.n = 0};
        ck_assert_int_eq(procnet_read(-1, PROCNET_TCP, AF_INET, true, 0, remember, &seen, &stats),
                         -EBADF);
}
END_TEST

/* ---- the live kernel: /proc and sock_diag agree on a socket this test opens ---- */

static int listen_on(int family, const char *addr, uint16_t *port, unsigned long *inode)
{
        struct sockaddr_storage ss = {0};
        socklen_t len;
        int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        if (family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
                sin->sin_family = AF_INET;
                ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
                len = sizeof(*sin);
        } else {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
                sin6->sin6_family = AF_INET6;
                ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
                len = sizeof(*sin6);
        }
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
        ck_assert_int_eq(listen(fd, 1), 0);
        len = sizeof(ss);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
        *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                        : ((struct sockaddr_in6 *)&ss)->sin6_port);
        struct stat st;
        ck_assert_int_eq(fstat(fd, &st), 0);
        *inode = (unsigned long)st.st_ino;
        return fd;
}

static void assert_live_listener(int family, const char *addr, const char *proc_file)
{
        uint16_t port;
        unsigned long inode;
        int fd = listen_on(family, addr, &port, &inode);
        struct procnet_stats stats = {0};

        struct find_socket by_proc = {.inode = inode};
        int pfd = open(proc_file, O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(pfd, 0);
        ck_assert_int_eq(procnet_read(pfd, PROCNET_TCP, family, true,
                                      deadline_after(slack_us(5000000)), find_socket_visit,
                                      &by_proc, &stats),
                         0);
        close(pfd);
        ck_assert_msg(by_proc.seen, "%s:%u not found in %s", addr, port, proc_file);
        ck_assert_uint_eq(by_proc.found.port, port);
        ck_assert_uint_eq(by_proc.found.uid, geteuid());
        assert_addr(&by_proc.found.local, addr);

        struct find_socket by_diag = {.inode = inode};
        ck_assert_int_eq(procnet_diag_sockets(PROCNET_TCP, family,
                                              deadline_after(slack_us(5000000)), find_socket_visit,
                                              &by_diag, &stats),
                         0);
        ck_assert_msg(by_diag.seen, "%s:%u not listed by sock_diag", addr, port);
        ck_assert_uint_eq(by_diag.found.port, port);
        ck_assert_uint_eq(by_diag.found.state, PROCNET_STATE_LISTEN);
        ck_assert_uint_eq(by_diag.found.uid, geteuid());
        ck_assert_int_eq(by_diag.found.proto, PROCNET_TCP);
        assert_addr(&by_diag.found.local, addr);
        close(fd);
}

START_TEST(test_live_ipv4)
{
        assert_live_listener(AF_INET, "127.0.0.1", "/proc/net/tcp");
}
END_TEST

START_TEST(test_live_ipv6)
{
        assert_live_listener(AF_INET6, "::1", "/proc/net/tcp6");
}
END_TEST

START_TEST(test_live_v4_mapped)
{
        /* An IPv6 socket bound to ::ffff:127.0.0.1 is listed by both as 127.0.0.1. */
        uint16_t port;
        unsigned long inode;
        int fd = listen_on(AF_INET6, "::ffff:127.0.0.1", &port, &inode);
        struct procnet_stats stats = {0};
        struct find_socket by_diag = {.inode = inode};
        ck_assert_int_eq(
            procnet_diag_sockets(PROCNET_TCP, AF_INET6, 0, find_socket_visit, &by_diag, &stats), 0);
        ck_assert(by_diag.seen);
        ck_assert_int_eq(by_diag.found.local.family, AF_INET);
        assert_addr(&by_diag.found.local, "127.0.0.1");
        close(fd);
}
END_TEST

START_TEST(test_live_closed_listener_is_gone)
{
        uint16_t port;
        unsigned long inode;
        int fd = listen_on(AF_INET, "127.0.0.1", &port, &inode);
        close(fd);
        struct procnet_stats stats = {0};
        struct find_socket by_diag = {.inode = inode};
        ck_assert_int_eq(
            procnet_diag_sockets(PROCNET_TCP, AF_INET, 0, find_socket_visit, &by_diag, &stats), 0);
        ck_assert(!by_diag.seen);
}
END_TEST

START_TEST(test_diag_bad_family)
{
        struct procnet_stats stats = {0};
        struct seen seen = {.n = 0};
        ck_assert_int_eq(procnet_diag_sockets(PROCNET_TCP, AF_UNIX, 0, remember, &seen, &stats),
                         -EAFNOSUPPORT);
}
END_TEST

/* ---- the conflict rules applied to a captured table ---- */

START_TEST(test_conflict_from_fixture)
{
        /* The rules applied to what the captured table says, not to hand-made sockets. */
        struct seen seen = {.n = 0};
        struct procnet_stats stats = {0};
        struct port_spec want;
        struct pf_error err = {0};
        ck_assert_int_eq(
            read_file(DATA "procnet_tcp6", PROCNET_TCP, AF_INET6, true, 0, &seen, &stats), 0);
        ck_assert_int_eq(port_spec_parse("127.0.0.2:9092", &want, NULL, 0, &err), PF_OK);
        ck_assert_int_eq(port_conflict(&want, &seen.socks[1], true), PORT_CONFLICT);
        ck_assert_int_eq(port_spec_parse("127.0.0.1:9090", &want, NULL, 0, &err), PF_OK);
        ck_assert_int_eq(port_conflict(&want, &seen.socks[4], true), PORT_CONFLICT_UNLESS_V6ONLY);
        ck_assert_int_eq(port_spec_parse("[fd00::1:2:3:4]:9094", &want, NULL, 0, &err), PF_OK);
        ck_assert_int_eq(port_conflict(&want, &seen.socks[0], true), PORT_CONFLICT);
        ck_assert_int_eq(port_spec_parse("[fd00::1:2:3:5]:9094", &want, NULL, 0, &err), PF_OK);
        ck_assert_int_eq(port_conflict(&want, &seen.socks[0], true), PORT_FREE_OF);
}
END_TEST

/* ---- the process that holds a socket ---- */

static char fake_proc[64];

static void make_path(const char *rel, bool dir)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", fake_proc, rel);
        if (dir)
                ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void write_text(const char *rel, const char *text)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", fake_proc, rel);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
}

static void link_to(const char *rel, const char *target)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", fake_proc, rel);
        ck_assert_int_eq(symlink(target, path), 0);
}

/* A /proc with processes 77 (pipe and socket 1), 88 (socket 8888, a newline in its name),
 * 123 "nginx" (socket 4242), 99 (no fd/), and "self" (not a process number). */
static void fake_proc_setup(void)
{
        snprintf(fake_proc, sizeof(fake_proc), "/tmp/preflight-proc.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(fake_proc));
        make_path("77", true);
        make_path("77/fd", true);
        link_to("77/fd/0", "pipe:[9]");
        link_to("77/fd/1", "socket:[1]");
        write_text("77/comm", "sshd\n");
        make_path("123", true);
        make_path("123/fd", true);
        link_to("123/fd/3", "socket:[42420]");
        link_to("123/fd/7", "socket:[4242]");
        write_text("123/comm", "nginx\n");
        make_path("88", true);
        make_path("88/fd", true);
        link_to("88/fd/5", "socket:[8888]");
        write_text("88/comm", "two\nlines\n");
        make_path("99", true);
        make_path("self", true);
        make_path("self/fd", true);
        link_to("self/fd/7", "socket:[4242]");
}

static void fake_proc_teardown(void)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_proc);
        ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_holder_found)
{
        struct procnet_holder h;
        procnet_find_holder(fake_proc, 4242, 0, &h);
        ck_assert_int_eq(h.pid, 123);
        ck_assert_str_eq(h.name, "nginx");
        ck_assert(!h.deadline);
        procnet_find_holder(fake_proc, 1, 0, &h);
        ck_assert_int_eq(h.pid, 77);
        ck_assert_str_eq(h.name, "sshd");
        procnet_find_holder(fake_proc, 8888, 0, &h);
        ck_assert_int_eq(h.pid, 88);
        ck_assert_str_eq(h.name, "two\nlines"); /* kept whole: the caller quotes it */
}
END_TEST

START_TEST(test_holder_not_found)
{
        struct procnet_holder h;
        procnet_find_holder(fake_proc, 424, 0, &h); /* socket:[4242] must not match 424 */
        ck_assert_int_eq(h.pid, 0);
        ck_assert_uint_eq(h.hidden, 0);
        procnet_find_holder("/nonexistent-proc", 4242, 0, &h);
        ck_assert_int_eq(h.pid, 0);
}
END_TEST

START_TEST(test_holder_deadline)
{
        struct procnet_holder h;
        procnet_find_holder(fake_proc, 4242, 1, &h);
        ck_assert_int_eq(h.pid, 0);
        ck_assert(h.deadline);
}
END_TEST

START_TEST(test_holder_live)
{
        uint16_t port;
        unsigned long inode;
        int fd = listen_on(AF_INET, "127.0.0.1", &port, &inode);
        struct procnet_holder h;
        procnet_find_holder("/proc", inode, deadline_after(slack_us(5000000)), &h);
        ck_assert_int_eq(h.pid, getpid());
        char comm[64] = "", path[64];
        snprintf(path, sizeof(path), "/proc/%d/comm", (int)getpid());
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(comm, sizeof(comm), f));
        fclose(f);
        comm[strcspn(comm, "\n")] = '\0';
        ck_assert_str_eq(h.name, comm);
        close(fd);
}
END_TEST

Suite *suite_procnet(void)
{
        Suite *s = suite_create("procnet");
        TCase *tc = tcase_create("lines");
        tcase_add_test(tc, test_parse_ipv4_line);
        tcase_add_test(tc, test_parse_ipv6_line);
        tcase_add_test(tc, test_parse_v4_mapped_line);
        tcase_add_test(tc, test_parse_udp_line);
        tcase_add_loop_test(tc, test_parse_bad_line, 0, ARRAY_SIZE(bad_lines));
        suite_add_tcase(s, tc);

        tc = tcase_create("tables");
        tcase_add_test(tc, test_read_tcp_stops_after_listeners);
        tcase_add_test(tc, test_read_tcp_to_the_end);
        tcase_add_test(tc, test_read_tcp6);
        tcase_add_test(tc, test_read_udp_every_state);
        tcase_add_test(tc, test_read_visitor_stops);
        tcase_add_test(tc, test_read_across_chunks);
        tcase_add_test(tc, test_read_no_final_newline);
        tcase_add_test(tc, test_read_overlong_line);
        tcase_add_test(tc, test_read_deadline);
        tcase_add_test(tc, test_read_error);
        suite_add_tcase(s, tc);

        tc = tcase_create("live");
        tcase_set_timeout(tc, 10);
        tcase_add_test(tc, test_live_ipv4);
        tcase_add_test(tc, test_live_ipv6);
        tcase_add_test(tc, test_live_v4_mapped);
        tcase_add_test(tc, test_live_closed_listener_is_gone);
        tcase_add_test(tc, test_diag_bad_family);
        tcase_add_test(tc, test_conflict_from_fixture);
        suite_add_tcase(s, tc);

        tc = tcase_create("holder");
        tcase_add_checked_fixture(tc, fake_proc_setup, fake_proc_teardown);
        tcase_add_test(tc, test_holder_found);
        tcase_add_test(tc, test_holder_not_found);
        tcase_add_test(tc, test_holder_deadline);
        tcase_add_test(tc, test_holder_live);
        suite_add_tcase(s, tc);
        return s;
}
