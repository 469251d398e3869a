/*
 * Unit tests of the port check's parts above the socket tables: SPECs (checks/port/spec.c), the
 * bind-conflict rules and the search that applies them (conflict.c), and the listing that takes
 * sockets from sock_diag or else from the /proc tables, with the failure when neither answers
 * (sockets.c), and the trial bind that decides when /proc/sys is hidden (trial.c). The tables
 * themselves are tests/check_procnet.c's.
 *
 * Netlink is refused in a child process by a seccomp filter, as RestrictAddressFamilies= without
 * AF_NETLINK refuses it (EAFNOSUPPORT): the kernel's own refusal, not a stand-in. The child runs
 * the listing and sends back what it found; the filter dies with it, also under CK_FORK=no.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks/port/port.h"
#include "core/check.h"
#include "core/clock.h"
#include "tests/find_socket.h"
#include "tests/slack.h"

Suite *suite_port(void);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__x86_64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#define THIS_AUDIT_ARCH 0 /* refuse_netlink() is only written for these two */
#endif

static struct procnet_addr addr_of(const char *text)
{
        struct procnet_addr a = {.family = strchr(text, ':') ? AF_INET6 : AF_INET};
        ck_assert_int_eq(inet_pton(a.family, text, a.bytes), 1);
        return a;
}

static void assert_addr(const struct procnet_addr *got, const char *want)
{
        char text[INET6_ADDRSTRLEN];
        ck_assert_ptr_nonnull(inet_ntop(got->family, got->bytes, text, sizeof(text)));
        ck_assert_str_eq(text, want);
}

/* ---- port specs ---- */

static const struct {
        const char *text;
        enum procnet_proto proto;
        uint16_t port;
        bool every_address;
        const char *addr; /* as inet_ntop writes the normalized address */
        const char *shown;
} good_specs[] = {
    {"8080", PROCNET_TCP, 8080, true, NULL, "8080/tcp"},
    {"8080/tcp", PROCNET_TCP, 8080, true, NULL, "8080/tcp"},
    {"53/udp", PROCNET_UDP, 53, true, NULL, "53/udp"},
    {"53/UDP", PROCNET_UDP, 53, true, NULL, "53/udp"},
    {"1", PROCNET_TCP, 1, true, NULL, "1/tcp"},
    {"65535", PROCNET_TCP, 65535, true, NULL, "65535/tcp"},
    {"127.0.0.1:8080", PROCNET_TCP, 8080, false, "127.0.0.1", "127.0.0.1:8080/tcp"},
    {"0.0.0.0:53/udp", PROCNET_UDP, 53, false, "0.0.0.0", "0.0.0.0:53/udp"},
    {"[::1]:8443", PROCNET_TCP, 8443, false, "::1", "[::1]:8443/tcp"},
    {"[::]:8443/tcp", PROCNET_TCP, 8443, false, "::", "[::]:8443/tcp"},
    {"[0:0::0]:80", PROCNET_TCP, 80, false, "::", "[::]:80/tcp"},
    {"[FD00::1]:80/udp", PROCNET_UDP, 80, false, "fd00::1", "[fd00::1]:80/udp"},
    {"[::ffff:127.0.0.1]:80", PROCNET_TCP, 80, false, "127.0.0.1", "[::ffff:127.0.0.1]:80/tcp"},
};

START_TEST(test_spec_good)
{
        struct port_spec spec;
        struct pf_error err = {0};
        char shown[TARGET_SHOWN_SIZE];
        ck_assert_msg(port_spec_parse(good_specs[_i].text, &spec, shown, sizeof(shown), &err) ==
                          PF_OK,
                      "%s: %s", good_specs[_i].text, err.msg);
        ck_assert_int_eq(spec.proto, good_specs[_i].proto);
        ck_assert_uint_eq(spec.port, good_specs[_i].port);
        ck_assert_int_eq(spec.every_address, good_specs[_i].every_address);
        ck_assert_str_eq(shown, good_specs[_i].shown);
        if (good_specs[_i].addr)
                assert_addr(&spec.addr, good_specs[_i].addr);
}
END_TEST

static const struct {
        const char *text;
        const char *why; /* part of the message */
} bad_specs[] = {
    {"0", "port must be 1-65535"},
    {"65536", "port must be 1-65535"},
    {"99999999999999999999999", "port must be 1-65535"},
    {"abc", "not a port"},
    {"-1", "not a port"},
    {"+80", "not a port"},
    {" 80", "not a port"},
    {"80 ", "not a port"},
    {"0x50", "not a port"},
    {"1.2.3.4:", "the port is missing"},
    {"1.2.3.4:99999", "port must be 1-65535"},
    {"1.2.3.4:0", "port must be 1-65535"},
    {"[::1", "missing ']'"},
    {"[::1]", "expected [V6]:PORT"},
    {"[::1]80", "expected [V6]:PORT"},
    {"[::1]:", "the port is missing"},
    {"[fe80::1%eth0]:80", "not a numeric IPv6 address"},
    {"[127.0.0.1]:80", "not a numeric IPv6 address"},
    {"80/sctp", "the protocol must be tcp or udp"},
    {"80/", "the protocol must be tcp or udp"},
    {"80/tcp/udp", "not a port"},
    {"::1:80", "an IPv6 address goes in brackets"},
    {":80", "the address is missing"},
    {"localhost:80", "not a numeric IPv4 address"},
    {"1.2.3:80", "not a numeric IPv4 address"},
    {"256.1.1.1:80", "not a numeric IPv4 address"},
    {"", "the port is missing"},
    {"80\n", "not a port"},
};

START_TEST(test_spec_bad)
{
        struct port_spec spec;
        struct pf_error err = {0};
        ck_assert_int_eq(port_spec_parse(bad_specs[_i].text, &spec, NULL, 0, &err), PF_USAGE);
        ck_assert_msg(strstr(err.msg, bad_specs[_i].why), "'%s' gave: %s", bad_specs[_i].text,
                      err.msg);
        /* The message names the argument, quoted so that control characters show. */
        if (bad_specs[_i].text[0] && !strchr(bad_specs[_i].text, '\n')) {
                char quoted[160];
                snprintf(quoted, sizeof(quoted), "'%s'", bad_specs[_i].text);
                ck_assert_msg(strstr(err.msg, quoted), "'%s' not named in: %s", bad_specs[_i].text,
                              err.msg);
        }
}
END_TEST

START_TEST(test_spec_too_long)
{
        char text[300];
        struct port_spec spec;
        struct pf_error err = {0};
        memset(text, '1', sizeof(text) - 1);
        text[sizeof(text) - 1] = '\0';
        ck_assert_int_eq(port_spec_parse(text, &spec, NULL, 0, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "too long"));
        ck_assert_uint_lt(strlen(err.msg), sizeof(err.msg) - 1); /* quoted and cut, not spilled */
}
END_TEST

START_TEST(test_spec_control_characters_quoted)
{
        struct port_spec spec;
        struct pf_error err = {0};
        ck_assert_int_eq(port_spec_parse("80\n\033[31m", &spec, NULL, 0, &err), PF_USAGE);
        ck_assert_ptr_null(strchr(err.msg, '\n'));
        ck_assert_ptr_null(strchr(err.msg, '\033'));
}
END_TEST

/* ---- the conflict rules ---- */

static const struct {
        const char *want;         /* a port spec */
        enum procnet_proto proto; /* of the held socket */
        const char *held;         /* its address */
        uint16_t held_port;
        bool v6_wildcard_takes_v4;
        enum port_conflict expected;
        const char *why;
} conflicts[] = {
    {"127.0.0.1:8080", PROCNET_TCP, "127.0.0.1", 8080, true, PORT_CONFLICT, "same address"},
    {"127.0.0.1:8080", PROCNET_TCP, "127.0.0.2", 8080, true, PORT_FREE_OF, "other address"},
    {"127.0.0.1:8080", PROCNET_TCP, "0.0.0.0", 8080, true, PORT_CONFLICT, "held wildcard"},
    {"0.0.0.0:8080", PROCNET_TCP, "127.0.0.1", 8080, true, PORT_CONFLICT, "wanted wildcard"},
    {"0.0.0.0:8080", PROCNET_TCP, "0.0.0.0", 8080, true, PORT_CONFLICT, "both wildcards"},
    {"127.0.0.1:8080", PROCNET_TCP, "127.0.0.1", 8081, true, PORT_FREE_OF, "other port"},
    {"0.0.0.0:8080", PROCNET_TCP, "0.0.0.0", 8081, true, PORT_FREE_OF, "other port, wild"},
    {"8080", PROCNET_TCP, "127.0.0.1", 8080, true, PORT_CONFLICT, "bare port, IPv4"},
    {"8080", PROCNET_TCP, "::1", 8080, false, PORT_CONFLICT, "bare port, IPv6"},
    {"8080", PROCNET_TCP, "127.0.0.1", 8081, true, PORT_FREE_OF, "bare port, other port"},
    {"8080/udp", PROCNET_TCP, "0.0.0.0", 8080, true, PORT_FREE_OF, "udp wanted, tcp held"},
    {"8080", PROCNET_UDP, "0.0.0.0", 8080, true, PORT_FREE_OF, "tcp wanted, udp held"},
    {"127.0.0.1:53/udp", PROCNET_UDP, "0.0.0.0", 53, true, PORT_CONFLICT, "udp wildcard"},
    {"127.0.0.1:53/udp", PROCNET_UDP, "127.0.0.2", 53, true, PORT_FREE_OF, "udp other"},
    {"0.0.0.0:8080", PROCNET_TCP, "::", 8080, true, PORT_CONFLICT_UNLESS_V6ONLY,
     "[::] held, IPv4 wildcard wanted"},
    {"127.0.0.1:8080", PROCNET_TCP, "::", 8080, false, PORT_CONFLICT_UNLESS_V6ONLY,
     "[::] held, IPv4 address wanted"},
    {"127.0.0.1:8080", PROCNET_TCP, "::1", 8080, true, PORT_FREE_OF, "[::1] against IPv4"},
    {"[::]:8080", PROCNET_TCP, "0.0.0.0", 8080, true, PORT_CONFLICT, "[::] dual-stack wanted"},
    {"[::]:8080", PROCNET_TCP, "127.0.0.1", 8080, true, PORT_CONFLICT,
     "[::] dual-stack wanted, IPv4 address held"},
    {"[::]:8080", PROCNET_TCP, "0.0.0.0", 8080, false, PORT_FREE_OF, "bindv6only=1"},
    {"[::1]:8080", PROCNET_TCP, "0.0.0.0", 8080, true, PORT_FREE_OF, "[::1] vs IPv4"},
    {"[::1]:8080", PROCNET_TCP, "::", 8080, true, PORT_CONFLICT, "IPv6 held wildcard"},
    {"[::]:8080", PROCNET_TCP, "::1", 8080, false, PORT_CONFLICT, "IPv6 wanted wildcard"},
    {"[::1]:8080", PROCNET_TCP, "::1", 8080, true, PORT_CONFLICT, "IPv6 same address"},
    {"[::1]:8080", PROCNET_TCP, "fd00::1", 8080, true, PORT_FREE_OF, "IPv6 other address"},
    {"127.0.0.2:9092", PROCNET_TCP, "::ffff:127.0.0.2", 9092, true, PORT_CONFLICT,
     "v4-mapped held is its IPv4 address"},
    {"127.0.0.1:9092", PROCNET_TCP, "::ffff:127.0.0.2", 9092, true, PORT_FREE_OF,
     "v4-mapped held, other IPv4 address"},
    {"0.0.0.0:9092", PROCNET_TCP, "::ffff:127.0.0.2", 9092, true, PORT_CONFLICT,
     "v4-mapped held, IPv4 wildcard wanted"},
    {"[::ffff:127.0.0.2]:9092", PROCNET_TCP, "127.0.0.2", 9092, true, PORT_CONFLICT,
     "v4-mapped wanted"},
    {"[::ffff:127.0.0.2]:9092", PROCNET_TCP, "::1", 9092, true, PORT_FREE_OF,
     "v4-mapped wanted, IPv6 held"},
};

/* A held socket as procnet_parse_line() gives it: v4-mapped addresses already IPv4. */
static struct procnet_socket held_socket(enum procnet_proto proto, const char *addr, uint16_t port)
{
        struct procnet_socket s = {.proto = proto, .port = port, .state = PROCNET_STATE_LISTEN};
        s.local = addr_of(addr);
        if (s.local.family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)s.local.bytes)) {
                s.local.family = AF_INET;
                memmove(s.local.bytes, s.local.bytes + 12, 4);
                memset(s.local.bytes + 4, 0, 12);
        }
        return s;
}

START_TEST(test_conflict_rules)
{
        struct port_spec want;
        struct pf_error err = {0};
        ck_assert_int_eq(port_spec_parse(conflicts[_i].want, &want, NULL, 0, &err), PF_OK);
        struct procnet_socket held =
            held_socket(conflicts[_i].proto, conflicts[_i].held, conflicts[_i].held_port);
        ck_assert_msg(port_conflict(&want, &held, conflicts[_i].v6_wildcard_takes_v4) ==
                          conflicts[_i].expected,
                      "%s: want %s, held %s:%u", conflicts[_i].why, conflicts[_i].want,
                      conflicts[_i].held, conflicts[_i].held_port);
}
END_TEST

START_TEST(test_format_endpoint)
{
        char buf[64];
        struct procnet_addr a = addr_of("0.0.0.0");
        procnet_format_endpoint(&a, 8080, buf, sizeof(buf));
        ck_assert_str_eq(buf, "0.0.0.0:8080");
        a = addr_of("::");
        procnet_format_endpoint(&a, 8080, buf, sizeof(buf));
        ck_assert_str_eq(buf, "[::]:8080");
        a = addr_of("fd00::1:2:3:4");
        procnet_format_endpoint(&a, 9094, buf, sizeof(buf));
        ck_assert_str_eq(buf, "[fd00::1:2:3:4]:9094");
}
END_TEST

/* ---- the search: the first blocking socket is the one named ---- */

START_TEST(test_search_keeps_the_first)
{
        struct port_spec want;
        struct pf_error err = {0};
        ck_assert_int_eq(port_spec_parse("127.0.0.1:8080", &want, NULL, 0, &err), PF_OK);
        struct port_search search = {.spec = &want, .v6_wildcard_takes_v4 = true};
        struct procnet_socket other = held_socket(PROCNET_TCP, "127.0.0.2", 8080);
        struct procnet_socket dual = held_socket(PROCNET_TCP, "::", 8080);
        struct procnet_socket first = held_socket(PROCNET_TCP, "0.0.0.0", 8080);
        struct procnet_socket second = held_socket(PROCNET_TCP, "127.0.0.1", 8080);
        first.inode = 1;
        second.inode = 2;
        ck_assert(port_search_visit(&other, &search));
        ck_assert(!search.has_conflict && !search.has_unless_v6only);
        ck_assert(port_search_visit(&dual, &search));
        ck_assert(search.has_unless_v6only && !search.has_conflict);
        ck_assert(port_search_visit(&first, &search)); /* reads on: --verbose counts them all */
        ck_assert(port_search_visit(&second, &search));
        ck_assert(search.has_conflict);
        ck_assert_uint_eq(search.conflict.inode, 1);
        assert_addr(&search.unless_v6only.local, "::");
}
END_TEST

/* ---- the listing: sock_diag, live ---- */

/* A UDP socket bound to 127.0.0.1 (port from the kernel), connected to port 9 when asked. */
static int udp_socket(bool connected, uint16_t *port, unsigned long *inode)
{
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(sin);
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
        *port = ntohs(sin.sin_port);
        if (connected) {
                struct sockaddr_in peer = sin;
                peer.sin_port = htons(9);
                ck_assert_int_eq(connect(fd, (struct sockaddr *)&peer, sizeof(peer)), 0);
        }
        struct stat st;
        ck_assert_int_eq(fstat(fd, &st), 0);
        *inode = (unsigned long)st.st_ino;
        return fd;
}

START_TEST(test_list_udp_from_diag)
{
        /* Both an unconnected and a connected UDP socket stand in a bind's way, as their entries
         * of /proc/net/udp (states 07 and 01) do. */
        uint16_t port;
        unsigned long inode;
        int fd = udp_socket(_i == 1, &port, &inode);
        struct find_socket find = {.inode = inode};
        struct port_listing how;
        ck_assert_int_eq(port_list_sockets(PROCNET_DIR, PROCNET_UDP, AF_INET,
                                           deadline_after(slack_us(5000000)), find_socket_visit,
                                           &find, &how),
                         0);
        ck_assert(how.from_diag);
        ck_assert_int_eq(how.diag_error, 0);
        ck_assert_uint_eq(find.seen, 1);
        ck_assert_int_eq(find.found.proto, PROCNET_UDP);
        ck_assert_uint_eq(find.found.port, port);
        ck_assert_uint_eq(find.found.uid, geteuid());
        ck_assert_uint_eq(find.found.state, _i == 1 ? 1 : 7); /* TCP_ESTABLISHED, TCP_CLOSE */
        assert_addr(&find.found.local, "127.0.0.1");
        ck_assert_str_eq(how.path, "/proc/self/net/udp");

        /* The same socket is where /proc says it is. */
        struct find_socket by_proc = {.inode = inode};
        struct procnet_stats stats;
        int pfd = open("/proc/self/net/udp", O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(pfd, 0);
        ck_assert_int_eq(
            procnet_read(pfd, PROCNET_UDP, AF_INET, false, 0, find_socket_visit, &by_proc, &stats),
            0);
        close(pfd);
        ck_assert_uint_eq(by_proc.seen, 1);
        ck_assert_uint_eq(by_proc.found.state, find.found.state);
        close(fd);
}
END_TEST

START_TEST(test_list_tcp_bound_not_listening)
{
        /* A TCP socket bound but not listening does not stand in a server's way: not listed. */
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        struct stat st;
        ck_assert_int_eq(fstat(fd, &st), 0);
        struct find_socket find = {.inode = (unsigned long)st.st_ino};
        struct port_listing how;
        ck_assert_int_eq(
            port_list_sockets(PROCNET_DIR, PROCNET_TCP, AF_INET, 0, find_socket_visit, &find, &how),
            0);
        ck_assert(how.from_diag);
        ck_assert_uint_eq(find.seen, 0);
        ck_assert_int_eq(listen(fd, 1), 0);
        ck_assert_int_eq(
            port_list_sockets(PROCNET_DIR, PROCNET_TCP, AF_INET, 0, find_socket_visit, &find, &how),
            0);
        ck_assert_uint_eq(find.seen, 1);
        close(fd);
}
END_TEST

/* ---- the trial bind, when ip_unprivileged_port_start cannot be read ---- */

/* A loopback TCP port nothing holds right now (the kernel's pick, released). */
static uint16_t released_port(void)
{
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(sin);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
        close(fd);
        return ntohs(sin.sin_port);
}

static struct port_spec spec_of(const char *text)
{
        struct port_spec spec;
        struct pf_error err;
        ck_assert_int_eq(port_spec_parse(text, &spec, NULL, 0, &err), PF_OK);
        return spec;
}

START_TEST(test_trial_binds_and_closes)
{
        char text[64], where[64], want[64];
        uint16_t port = released_port();
        int error = -1;
        snprintf(text, sizeof(text), "127.0.0.1:%u", (unsigned)port);
        struct port_spec spec = spec_of(text);
        ck_assert_int_eq(port_trial_bind(&spec, where, sizeof(where), &error), PORT_TRIAL_BINDS);
        ck_assert_int_eq(error, 0);
        ck_assert_str_eq(where, text);
        /* Closed at once: a bind of the same port without SO_REUSEADDR succeeds again. */
        ck_assert_int_eq(port_trial_bind(&spec, where, sizeof(where), &error), PORT_TRIAL_BINDS);
        /* A bare port is tried on the IPv4 wildcard. */
        snprintf(text, sizeof(text), "%u/udp", (unsigned)port);
        spec = spec_of(text);
        ck_assert_int_eq(port_trial_bind(&spec, where, sizeof(where), &error), PORT_TRIAL_BINDS);
        snprintf(want, sizeof(want), "0.0.0.0:%u", (unsigned)port);
        ck_assert_str_eq(where, want);
}
END_TEST

START_TEST(test_trial_in_use_is_past_permission)
{
        /* EADDRINUSE comes after the kernel's permission check: it means the bind was allowed. */
        uint16_t port;
        unsigned long inode;
        char text[64], where[64];
        int error = 0;
        int fd = udp_socket(false, &port, &inode);
        snprintf(text, sizeof(text), "127.0.0.1:%u/udp", (unsigned)port);
        struct port_spec spec = spec_of(text);
        ck_assert_int_eq(port_trial_bind(&spec, where, sizeof(where), &error),
                         PORT_TRIAL_PAST_PERMISSION);
        ck_assert_int_eq(error, EADDRINUSE);
        close(fd);
}
END_TEST

START_TEST(test_trial_foreign_address_is_unsure)
{
        /* 192.0.2.1 (TEST-NET-1) is no address of this host: the kernel cannot say. */
        char where[64];
        int error = 0;
        struct port_spec spec = spec_of("192.0.2.1:8080");
        ck_assert_int_eq(port_trial_bind(&spec, where, sizeof(where), &error), PORT_TRIAL_UNSURE);
        ck_assert_int_eq(error, EADDRNOTAVAIL);
        ck_assert_str_eq(where, "192.0.2.1:8080");
}
END_TEST

START_TEST(test_trial_refused_without_capability)
{
        /* Port 1 is below any ip_unprivileged_port_start but 0 and 1: in a child without
         * CAP_NET_BIND_SERVICE in its effective set, the kernel refuses it with EACCES (before
         * it looks for a socket in the way, so whether port 1 is taken does not matter). */
        FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
        unsigned start = 1024;
        if (f) {
                if (fscanf(f, "%u", &start) != 1)
                        start = 1024;
                fclose(f);
        }
        if (start <= 1)
                return; /* every port is unprivileged here: nothing to refuse */
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                cap_t caps = cap_get_proc();
                if (!caps || cap_clear_flag(caps, CAP_EFFECTIVE) != 0 || cap_set_proc(caps) != 0)
                        _exit(100);
                cap_free(caps);
                char where[64];
                int error = 0;
                struct port_spec spec = spec_of("1");
                enum port_trial r = port_trial_bind(&spec, where, sizeof(where), &error);
                _exit(r == PORT_TRIAL_REFUSED && error == EACCES && strcmp(where, "0.0.0.0:1") == 0
                          ? 0
                          : 10 + (int)r);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* ---- the listing without netlink: the /proc tables, or nothing ---- */

/* Makes socket(AF_NETLINK, ...) fail with EAFNOSUPPORT in this process from now on. */
static int refuse_netlink(void)
{
        if (THIS_AUDIT_ARCH == 0)
                return -1;
        const unsigned arch = THIS_AUDIT_ARCH;
        struct sock_filter program[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 4),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 2),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA)),
        };
        struct sock_fprog fprog = {.len = ARRAY_SIZE(program), .filter = program};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0)
                return -1;
        return 0;
}

/*
 * A stand-in for a cgroup bind filter (SocketBindDeny=), which could not be applied in the test
 * system: a seccomp filter that makes bind() fail with EPERM, as such a filter makes it fail.
 */
static int refuse_bind(void)
{
        if (THIS_AUDIT_ARCH == 0)
                return -1;
        const unsigned arch = THIS_AUDIT_ARCH;
        struct sock_filter program[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 2),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bind, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        };
        struct sock_fprog fprog = {.len = ARRAY_SIZE(program), .filter = program};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0)
                return -1;
        return 0;
}

START_TEST(test_trial_filtered)
{
        /* EPERM from bind() is a filter's refusal, not the port's permission: its own answer. */
        if (THIS_AUDIT_ARCH == 0)
                return;
        uint16_t port = released_port();
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                if (refuse_bind() != 0)
                        _exit(100);
                char text[32], where[64];
                int error = 0;
                snprintf(text, sizeof(text), "127.0.0.1:%u", (unsigned)port);
                struct port_spec spec = spec_of(text);
                enum port_trial r = port_trial_bind(&spec, where, sizeof(where), &error);
                _exit(r == PORT_TRIAL_FILTERED && error == EPERM ? 0 : 10 + (int)r);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* What a listing in a child without netlink found. */
struct refused_listing {
        int setup; /* 0, or -1 when the filter could not be installed */
        int rc;
        struct port_listing how;
        struct seen_ports {
                unsigned n;
                uint16_t ports[16];
        } seen;
};

static bool remember_port(const struct procnet_socket *sock, void *ctx)
{
        struct seen_ports *seen = ctx;
        if (seen->n < ARRAY_SIZE(seen->ports))
                seen->ports[seen->n] = sock->port;
        seen->n++;
        return true;
}

static struct refused_listing list_without_netlink(const char *proc_net, enum procnet_proto proto,
                                                   int family)
{
        struct refused_listing out = {0};
        int pipefd[2];
        ck_assert_int_eq(pipe(pipefd), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                close(pipefd[0]);
                out.setup = refuse_netlink();
                if (out.setup == 0)
                        out.rc = port_list_sockets(proc_net, proto, family, 0, remember_port,
                                                   &out.seen, &out.how);
                ssize_t n = write(pipefd[1], &out, sizeof(out));
                _exit(n == (ssize_t)sizeof(out) ? 0 : 1);
        }
        close(pipefd[1]);
        ck_assert_int_eq(read(pipefd[0], &out, sizeof(out)), (ssize_t)sizeof(out));
        close(pipefd[0]);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ck_assert_msg(out.setup == 0, "the seccomp filter could not be installed");
        return out;
}

/* A directory holding the captured tables under the kernel's names. */
static char fixtures[64];

static void fixtures_setup(void)
{
        static const char *const names[] = {"tcp", "tcp6", "udp", "udp6"};
        char cwd[512], link[128], target[640];
        snprintf(fixtures, sizeof(fixtures), "/tmp/preflight-net.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(fixtures));
        ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                snprintf(link, sizeof(link), "%s/%s", fixtures, names[i]);
                snprintf(target, sizeof(target), "%s/tests/data/procnet_%s", cwd, names[i]);
                ck_assert_int_eq(symlink(target, link), 0);
        }
}

static void fixtures_teardown(void)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixtures);
        ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_refused_reads_proc)
{
        struct refused_listing l = list_without_netlink(fixtures, PROCNET_UDP, AF_INET);
        ck_assert_int_eq(l.rc, 0);
        ck_assert(!l.how.from_diag);
        ck_assert_int_eq(l.how.diag_error, EAFNOSUPPORT);
        ck_assert_int_eq(l.how.proc_error, 0);
        /* Every UDP entry counts, the connected client's included. */
        ck_assert_uint_eq(l.seen.n, 3);
        ck_assert_uint_eq(l.seen.ports[0], 5353);
        ck_assert_uint_eq(l.seen.ports[1], 5354);

        l = list_without_netlink(fixtures, PROCNET_TCP, AF_INET);
        ck_assert_int_eq(l.rc, 0);
        ck_assert_uint_eq(l.seen.n, 3); /* the listeners, up to the first connection */
        ck_assert(l.how.stats.stopped_early);
}
END_TEST

START_TEST(test_refused_no_ipv6_table)
{
        /* The IPv4 table there and the IPv6 one missing: IPv6 is off, nothing to list. */
        char path[128];
        snprintf(path, sizeof(path), "%s/udp6", fixtures);
        ck_assert_int_eq(unlink(path), 0);
        struct refused_listing l = list_without_netlink(fixtures, PROCNET_UDP, AF_INET6);
        ck_assert_int_eq(l.rc, 0);
        ck_assert(l.how.ipv6_off);
        ck_assert_uint_eq(l.seen.n, 0);
}
END_TEST

START_TEST(test_refused_no_proc)
{
        /* No tables at all (a /proc hidden from the unit): neither way answers. */
        char absent[128];
        snprintf(absent, sizeof(absent), "%s/absent", fixtures);
        struct refused_listing l = list_without_netlink(absent, PROCNET_UDP, AF_INET6);
        ck_assert_int_eq(l.rc, -1);
        ck_assert(!l.how.ipv6_off); /* not mistaken for a kernel without IPv6 */
        ck_assert_int_eq(l.how.diag_error, EAFNOSUPPORT);
        ck_assert_int_eq(l.how.proc_error, ENOENT);
        ck_assert_ptr_nonnull(strstr(l.how.path, "/absent/udp6"));
}
END_TEST

/* ---- the failure when neither answers ---- */

static const struct {
        enum procnet_proto proto;
        int diag_error, proc_error;
        const char *message; /* part of it */
        const char *fix;     /* the whole fix; "" for none */
} unlisted[] = {
    {PROCNET_UDP, EAFNOSUPPORT, ENOENT,
     "cannot list the UDP sockets: netlink's sock_diag failed (Address family not supported by "
     "protocol: RestrictAddressFamilies= without AF_NETLINK?) and /proc/self/net/udp cannot be "
     "read (No such file or directory: /proc not mounted, or hidden by InaccessiblePaths= or "
     "TemporaryFileSystem=?)",
     "add AF_NETLINK to the unit's RestrictAddressFamilies=, or let the unit see /proc/self/net "
     "(ProcSubset=pid keeps it; InaccessiblePaths= or TemporaryFileSystem= over /proc hide it)"},
    {PROCNET_TCP, EPERM, EACCES,
     "cannot list the TCP sockets: netlink's sock_diag failed "
     "(Operation not permitted: SystemCallFilter= or a security module?)",
     "let the unit open AF_NETLINK sockets (SystemCallFilter=, the LSM policy), or let the unit "
     "read "
     "/proc/self/net (InaccessiblePaths=, the LSM policy)"},
    {PROCNET_UDP, ENOENT, EIO, "(No such file or directory: no inet_diag in this kernel?)",
     "load the kernel's sock_diag modules (modprobe inet_diag tcp_diag udp_diag)"},
    {PROCNET_TCP, ENOBUFS, EIO,
     "failed (No buffer space available) and /proc/self/net/tcp cannot "
     "be read (Input/output error)",
     ""},
};

START_TEST(test_unlisted_message)
{
        struct port_listing how = {.diag_error = unlisted[_i].diag_error,
                                   .proc_error = unlisted[_i].proc_error};
        snprintf(how.path, sizeof(how.path), "/proc/self/net/%s",
                 unlisted[_i].proto == PROCNET_TCP ? "tcp" : "udp");
        struct check_result res = {0};
        port_report_unlisted(&res, unlisted[_i].proto, &how);
        ck_assert_int_eq(res.code, PF_INTERNAL);
        ck_assert_msg(strstr(res.message, unlisted[_i].message), "%s", res.message);
        ck_assert_str_eq(res.fix, unlisted[_i].fix);
}
END_TEST

Suite *suite_port(void)
{
        Suite *s = suite_create("port");
        TCase *tc = tcase_create("specs");
        tcase_add_loop_test(tc, test_spec_good, 0, ARRAY_SIZE(good_specs));
        tcase_add_loop_test(tc, test_spec_bad, 0, ARRAY_SIZE(bad_specs));
        tcase_add_test(tc, test_spec_too_long);
        tcase_add_test(tc, test_spec_control_characters_quoted);
        suite_add_tcase(s, tc);

        tc = tcase_create("conflicts");
        tcase_add_loop_test(tc, test_conflict_rules, 0, ARRAY_SIZE(conflicts));
        tcase_add_test(tc, test_format_endpoint);
        tcase_add_test(tc, test_search_keeps_the_first);
        suite_add_tcase(s, tc);

        tc = tcase_create("listing");
        tcase_set_timeout(tc, 10);
        tcase_add_loop_test(tc, test_list_udp_from_diag, 0, 2);
        tcase_add_test(tc, test_list_tcp_bound_not_listening);
        tcase_add_test(tc, test_trial_binds_and_closes);
        tcase_add_test(tc, test_trial_in_use_is_past_permission);
        tcase_add_test(tc, test_trial_foreign_address_is_unsure);
        tcase_add_test(tc, test_trial_refused_without_capability);
        suite_add_tcase(s, tc);

        tc = tcase_create("without netlink");
        tcase_set_timeout(tc, 10);
        tcase_add_checked_fixture(tc, fixtures_setup, fixtures_teardown);
        tcase_add_test(tc, test_refused_reads_proc);
        tcase_add_test(tc, test_trial_filtered);
        tcase_add_test(tc, test_refused_no_ipv6_table);
        tcase_add_test(tc, test_refused_no_proc);
        tcase_add_loop_test(tc, test_unlisted_message, 0, ARRAY_SIZE(unlisted));
        suite_add_tcase(s, tc);
        return s;
}
