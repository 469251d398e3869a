/* Unit tests of core/net.c: parsing HOST:PORT, resolving numbers (and "localhost" from
 * /etc/hosts, which never reaches a name server), connecting to loopback and unix sockets; and
 * core/clock.c's poll_until, the one wait on a socket that every deadline goes through. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/net.h"
#include "tests/slack.h"

Suite *suite_net(void);

/* ---- net_parse_host_port ---- */

static const struct {
        const char *text;
        int default_port;
        const char *host;
        unsigned port;
        bool has_port;
} good_addresses[] = {
    {"127.0.0.1:5432", 0, "127.0.0.1", 5432, true},
    {"db.internal:5432", 0, "db.internal", 5432, true},
    {"db-1_a.example.com:1", 0, "db-1_a.example.com", 1, true},
    {"localhost:65535", 0, "localhost", 65535, true},
    {"[::1]:6379", 0, "::1", 6379, true},
    {"[fe80::1%lo]:80", 0, "fe80::1%lo", 80, true},
    {"[2001:db8::42]:443", 6379, "2001:db8::42", 443, true},
    {"redis.internal", 6379, "redis.internal", 6379, false},
    {"[::1]", 6379, "::1", 6379, false},
    {"::1", 6379, "::1", 6379, false},
    {"::", 6379, "::", 6379, false},
    {":6380", 6379, "127.0.0.1", 6380, true},
    {"10.0.0.1:0080", 0, "10.0.0.1", 80, true},
    {"cache:6379", 6379, "cache", 6379, true},
    {"db.internal.:5432", 0, "db.internal.", 5432, true},
    {"1.2.3.4x:80", 0, "1.2.3.4x", 80, true},
    {"255.255.255.255:1", 0, "255.255.255.255", 1, true},
};

START_TEST(test_parse_good)
{
        struct host_port hp;
        struct pf_error err = {0};
        int r = net_parse_host_port(good_addresses[_i].text, good_addresses[_i].default_port, &hp,
                                    &err);
        ck_assert_msg(r == PF_OK, "'%s' rejected: %s", good_addresses[_i].text, err.msg);
        ck_assert_str_eq(hp.host, good_addresses[_i].host);
        ck_assert_uint_eq(hp.port, good_addresses[_i].port);
        ck_assert_int_eq(hp.has_port, good_addresses[_i].has_port);
}
END_TEST

static const struct {
        const char *text;
        int default_port;
        const char *says; /* a piece of the message */
} bad_addresses[] = {
    {"", 0, "empty"},
    {"db", 0, "port is required"},
    {"db:", 0, "port is missing"},
    {"db:0", 0, "1-65535"},
    {"db:65536", 0, "1-65535"},
    {"db:99999", 0, "'db:99999': port must be 1-65535"},
    {"db:-1", 0, "1-65535"},
    {"db:+5", 0, "1-65535"},
    {"db: 5", 0, "1-65535"},
    {"db:5x", 0, "1-65535"},
    {"db:99999999999999999999999", 0, "1-65535"},
    {":5432", 0, "host is missing"},
    {"::1", 0, "brackets"},
    {"::1:5432", 0, "brackets"},
    {"fe80::zz", 6379, "brackets"},
    {"[::1]", 0, "port is required"},
    {"[::1", 0, "without its ']'"},
    {"[::1]5432", 0, "':PORT' after ']'"},
    {"[::1]:", 0, "port is missing"},
    {"[db.internal]:5432", 0, "not an IPv6 address"},
    {"[]:5432", 0, "not an IPv6 address"},
    {"[fe80::1%]:80", 0, "not an IPv6 address"},
    {"[fe80::1%a/b]:80", 0, "not an IPv6 address"},
    {"user@db:5432", 0, "only letters"},
    {"db/x:5432", 0, "only letters"},
    {"db x:5432", 0, "only letters"},
    {"db\n:5432", 0, "\\x0a"},
    {"db\x1b[31m:5432", 0, "\\x1b"},
    {"-db:5432", 0, "cannot start with '-'"},
    {".db:5432", 0, "cannot start with '.'"},
    {"db\xc3\xa9:5432", 0, "only letters"},
    {"db@", 6379, "only letters"},
    /* Hosts ending in a number are addresses; getaddrinfo would take inet_aton's forms. */
    {"1.2.3.4.5:80", 0, "'1.2.3.4.5:80': not an IPv4 address"},
    {"127.1:80", 0, "not an IPv4 address"},
    {"256.0.0.1:80", 0, "not an IPv4 address"},
    {"0x7f.1:80", 0, "not an IPv4 address"},
    {"0x7f", 6379, "not an IPv4 address"},
    {"127.0.0.1.:80", 0, "not an IPv4 address"},
    {"6379", 6379, "a port alone is :PORT"},
};

START_TEST(test_parse_bad)
{
        struct host_port hp;
        struct pf_error err = {0};
        int r =
            net_parse_host_port(bad_addresses[_i].text, bad_addresses[_i].default_port, &hp, &err);
        ck_assert_msg(r == PF_USAGE, "'%s' accepted", bad_addresses[_i].text);
        ck_assert_msg(strstr(err.msg, bad_addresses[_i].says), "'%s': message '%s' lacks '%s'",
                      bad_addresses[_i].text, err.msg, bad_addresses[_i].says);
        /* Messages are one line: no raw control characters from the input. */
        for (const char *c = err.msg; *c; c++)
                ck_assert_msg((unsigned char)*c >= 0x20, "control character in '%s'", err.msg);
}
END_TEST

START_TEST(test_parse_host_too_long)
{
        char text[400];
        struct host_port hp;
        struct pf_error err = {0};
        memset(text, 'a', 254);
        snprintf(text + 254, sizeof(text) - 254, ":80");
        ck_assert_int_eq(net_parse_host_port(text, 0, &hp, &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "longer than 253"));
        /* 253 characters is the longest a DNS name can be, and is accepted. */
        snprintf(text + 253, sizeof(text) - 253, ":80");
        ck_assert_int_eq(net_parse_host_port(text, 0, &hp, &err), PF_OK);
        ck_assert_uint_eq(strlen(hp.host), 253);
}
END_TEST

/* ---- net_resolve ---- */

START_TEST(test_resolve_numeric_v4)
{
        struct addrinfo *ai = NULL;
        char why[256] = "";
        ck_assert_int_eq(net_resolve("127.0.0.1", 5432, deadline_after(slack_us(1000000)), &ai, why,
                                     sizeof(why)),
                         NET_OK);
        ck_assert_ptr_nonnull(ai);
        ck_assert_int_eq(ai->ai_family, AF_INET);
        ck_assert_int_eq(ai->ai_socktype, SOCK_STREAM);
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)ai->ai_addr;
        ck_assert_uint_eq(ntohs(in4->sin_port), 5432);
        ck_assert_uint_eq(ntohl(in4->sin_addr.s_addr), INADDR_LOOPBACK);
        ck_assert_ptr_null(ai->ai_next);
        freeaddrinfo(ai);
}
END_TEST

START_TEST(test_resolve_numeric_v6)
{
        struct addrinfo *ai = NULL;
        char why[256] = "";
        ck_assert_int_eq(net_resolve("::1", 6379, 0, &ai, why, sizeof(why)), NET_OK);
        ck_assert_ptr_nonnull(ai);
        ck_assert_int_eq(ai->ai_family, AF_INET6);
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ai->ai_addr;
        ck_assert_uint_eq(ntohs(in6->sin6_port), 6379);
        ck_assert(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
        freeaddrinfo(ai);
}
END_TEST

/* A numeric address resolves even when the deadline has passed: it needs no resolver. */
START_TEST(test_resolve_numeric_after_deadline)
{
        struct addrinfo *ai = NULL;
        char why[256] = "";
        ck_assert_int_eq(net_resolve("127.0.0.1", 1, 1, &ai, why, sizeof(why)), NET_OK);
        freeaddrinfo(ai);
}
END_TEST

/* "localhost" is in /etc/hosts: this goes through the resolver thread without any DNS. */
START_TEST(test_resolve_name_on_thread)
{
        struct addrinfo *ai = NULL;
        char why[256] = "";
        enum net_status st =
            net_resolve("localhost", 80, deadline_after(slack_us(5000000)), &ai, why, sizeof(why));
        ck_assert_msg(st == NET_OK, "localhost: %d %s", st, why);
        ck_assert_ptr_nonnull(ai);
        bool loopback = false;
        for (const struct addrinfo *a = ai; a; a = a->ai_next) {
                if (a->ai_family == AF_INET)
                        loopback |=
                            ntohl(((const struct sockaddr_in *)a->ai_addr)->sin_addr.s_addr) >>
                                24 ==
                            127;
                else if (a->ai_family == AF_INET6)
                        loopback |= IN6_IS_ADDR_LOOPBACK(
                            &((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr);
        }
        ck_assert(loopback);
        freeaddrinfo(ai);
}
END_TEST

START_TEST(test_resolve_name_after_deadline)
{
        struct addrinfo *ai = NULL;
        char why[256] = "";
        ck_assert_int_eq(net_resolve("localhost", 80, 1, &ai, why, sizeof(why)), NET_TIMEOUT);
        ck_assert_ptr_null(ai);
        ck_assert_ptr_nonnull(strstr(why, "localhost"));
}
END_TEST

/* One family asked for: the number of the other family is not an answer, and getaddrinfo's
 * own code comes back so a caller can tell "no such name" from "temporary failure". */
START_TEST(test_resolve_family)
{
        struct addrinfo *ai = NULL;
        char why[256] = "";
        int gai_error = -1;
        ck_assert_int_eq(
            net_resolve_family("::1", 0, AF_INET6, 0, &ai, &gai_error, why, sizeof(why)), NET_OK);
        ck_assert_int_eq(gai_error, 0);
        ck_assert_ptr_nonnull(ai);
        ck_assert_int_eq(ai->ai_family, AF_INET6);
        freeaddrinfo(ai);
        ck_assert_int_eq(
            net_resolve_family("127.0.0.1", 0, AF_INET6, 0, &ai, &gai_error, why, sizeof(why)),
            NET_UNRESOLVABLE);
        ck_assert_ptr_null(ai);
        ck_assert_int_ne(gai_error, 0);
        ck_assert_int_ne(gai_error, EAI_AGAIN);
        ck_assert_ptr_nonnull(strstr(why, "127.0.0.1"));
        gai_error = -1;
        ck_assert_int_eq(
            net_resolve_family("localhost", 0, AF_INET, 1, &ai, &gai_error, why, sizeof(why)),
            NET_TIMEOUT);
        ck_assert_int_eq(gai_error, 0);
}
END_TEST

START_TEST(test_resolve_empty)
{
        struct addrinfo *ai = NULL;
        char why[256] = "";
        ck_assert_int_eq(net_resolve("", 80, 0, &ai, why, sizeof(why)), NET_UNRESOLVABLE);
        ck_assert_ptr_null(ai);
}
END_TEST

/* ---- net_connect ---- */

/* A loopback TCP socket bound to a port the kernel picks; listening or not. */
static int bound_socket(int family, bool listening, unsigned short *port)
{
        struct sockaddr_storage ss;
        socklen_t len;
        memset(&ss, 0, sizeof(ss));
        if (family == AF_INET6) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
                in6->sin6_family = AF_INET6;
                in6->sin6_addr = in6addr_loopback;
                len = sizeof(*in6);
        } else {
                struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
                in4->sin_family = AF_INET;
                in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                len = sizeof(*in4);
        }
        int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
        if (listening)
                ck_assert_int_eq(listen(fd, 8), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
        *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                         : ((struct sockaddr_in *)&ss)->sin_port);
        return fd;
}

START_TEST(test_connect_refused)
{
        unsigned short port;
        /* Bound but not listening: the port stays ours, and connects to it are refused. */
        int holder = bound_socket(AF_INET, false, &port);
        int fd = 42;
        char peer[64] = "x", why[256] = "";
        ck_assert_int_eq(net_connect("127.0.0.1", port, deadline_after(slack_us(2000000)), &fd,
                                     peer, sizeof(peer), why, sizeof(why)),
                         NET_UNREACHABLE);
        ck_assert_int_eq(fd, -1);
        ck_assert_str_eq(peer, "");
        ck_assert_str_eq(why, "connection refused");
        close(holder);
}
END_TEST

/* A connected descriptor as net_connect*() hand it back: blocking, close-on-exec, and the
 * listener's end hears what it writes. Closes both. */
static void assert_connected(int fd, int listener)
{
        ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
        ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
        int accepted = accept(listener, NULL, NULL);
        ck_assert_int_ge(accepted, 0);
        ck_assert_int_eq(write(fd, "x", 1), 1);
        char c = 0;
        ck_assert_int_eq(read(accepted, &c, 1), 1);
        ck_assert_int_eq(c, 'x');
        close(accepted);
        close(fd);
        close(listener);
}

static void assert_connects(int family, const char *host, const char *expect_peer_prefix)
{
        unsigned short port;
        int listener = bound_socket(family, true, &port);
        int fd = -1;
        char peer[64] = "", why[256] = "", expected[64];
        enum net_status st = net_connect(host, port, deadline_after(slack_us(2000000)), &fd, peer,
                                         sizeof(peer), why, sizeof(why));
        ck_assert_msg(st == NET_OK, "%s: %d %s", host, st, why);
        ck_assert_int_ge(fd, 0);
        snprintf(expected, sizeof(expected), "%s:%u", expect_peer_prefix, (unsigned)port);
        ck_assert_str_eq(peer, expected);
        assert_connected(fd, listener);
}

START_TEST(test_connect_listening_v4)
{
        assert_connects(AF_INET, "127.0.0.1", "127.0.0.1");
}
END_TEST

START_TEST(test_connect_listening_v6)
{
        assert_connects(AF_INET6, "::1", "[::1]");
}
END_TEST

START_TEST(test_connect_listening_by_name)
{
        assert_connects(AF_INET, "localhost", "127.0.0.1");
}
END_TEST

/* ---- net_connect_unix ---- */

/* A unix socket in a fresh directory: path gets its name. Listening with backlog, or bound only. */
static int unix_socket(char *path, size_t size, bool listening, int backlog)
{
        char dir[] = "/tmp/preflight-net.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, size, "%s/s.sock", dir);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        if (listening)
                ck_assert_int_eq(listen(fd, backlog), 0);
        return fd;
}

static void remove_unix_socket(const char *path)
{
        char dir[64];
        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = '\0';
        unlink(path);
        rmdir(dir);
}

START_TEST(test_connect_unix_listening)
{
        char path[64];
        int listener = unix_socket(path, sizeof(path), true, 8), fd = 42;
        ck_assert_int_eq(net_connect_unix(path, deadline_after(slack_us(2000000)), &fd), 0);
        ck_assert_int_ge(fd, 0);
        assert_connected(fd, listener);
        remove_unix_socket(path);
}
END_TEST

START_TEST(test_connect_unix_failures)
{
        char path[64], long_path[200];
        int fd = 42;
        /* A socket file that nothing listens on: what a server that died leaves behind. */
        int bound = unix_socket(path, sizeof(path), false, 0);
        ck_assert_int_eq(net_connect_unix(path, deadline_after(slack_us(2000000)), &fd),
                         ECONNREFUSED);
        ck_assert_int_eq(fd, -1);
        close(bound);
        remove_unix_socket(path);
        ck_assert_int_eq(net_connect_unix(path, 0, &fd), ENOENT); /* no file at all */
        memset(long_path, 'a', sizeof(long_path) - 1);
        long_path[0] = '/';
        long_path[sizeof(long_path) - 1] = '\0';
        ck_assert_int_eq(net_connect_unix(long_path, 0, &fd), ENAMETOOLONG);
}
END_TEST

/* Linux refuses a connect to a full unix accept queue at once (EAGAIN): it is tried again until
 * the deadline, which then is what ends it. */
START_TEST(test_connect_unix_full_queue)
{
        char path[64];
        int listener = unix_socket(path, sizeof(path), true, 0), held[8], n = 0;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        for (; n < 8; n++) {
                held[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                ck_assert_int_ge(held[n], 0);
                if (connect(held[n], (struct sockaddr *)&sa, sizeof(sa)) != 0) {
                        ck_assert_int_eq(errno, EAGAIN);
                        close(held[n]);
                        break;
                }
        }
        ck_assert_int_lt(n, 8); /* the queue is full */
        int fd = 42;
        uint64_t started = clock_now_us();
        ck_assert_int_eq(net_connect_unix(path, deadline_after(300000), &fd), ETIMEDOUT);
        uint64_t took = clock_now_us() - started;
        ck_assert_int_eq(fd, -1);
        ck_assert_uint_ge(took, 300000);
        ck_assert_uint_lt(took, 1500000);
        /* Room in the queue again: the same connect goes through. */
        int accepted = accept(listener, NULL, NULL);
        ck_assert_int_ge(accepted, 0);
        ck_assert_int_eq(net_connect_unix(path, deadline_after(slack_us(2000000)), &fd), 0);
        close(fd);
        close(accepted);
        while (n-- > 0)
                close(held[n]);
        close(listener);
        remove_unix_socket(path);
}
END_TEST

/* ---- poll_until ---- */

START_TEST(test_poll_until)
{
        int pair[2];
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
        uint64_t started = clock_now_us();
        ck_assert_int_eq(poll_until(pair[0], POLLIN, deadline_after(200000)), 0);
        ck_assert_uint_ge(clock_now_us() - started, 200000);
        ck_assert_int_gt(poll_until(pair[0], POLLOUT, deadline_after(200000)), 0);
        ck_assert_int_eq(write(pair[1], "x", 1), 1);
        ck_assert_int_gt(poll_until(pair[0], POLLIN, deadline_after(200000)), 0);
        ck_assert_int_gt(poll_until(pair[0], POLLIN, 0), 0); /* no deadline */
        /* A deadline already passed is 0, readable or not: a peer that keeps sending cannot
         * keep a read loop going past it. */
        ck_assert_int_eq(poll_until(pair[0], POLLIN, clock_now_us() - 1), 0);
        /* A hang-up is "ready": the next read says what happened. */
        close(pair[1]);
        char c;
        ck_assert_int_eq(read(pair[0], &c, 1), 1);
        ck_assert_int_gt(poll_until(pair[0], POLLIN, deadline_after(200000)), 0);
        close(pair[0]);
}
END_TEST

static void on_alarm(int sig)
{
        (void)sig;
}

/* A signal in the middle of the wait neither ends it early nor stretches it. */
START_TEST(test_poll_until_interrupted)
{
        int pair[2];
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
        struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART: poll sees EINTR */
        ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
        struct itimerval every_50ms = {{0, 50000}, {0, 50000}};
        ck_assert_int_eq(setitimer(ITIMER_REAL, &every_50ms, NULL), 0);
        uint64_t started = clock_now_us();
        ck_assert_int_eq(poll_until(pair[0], POLLIN, deadline_after(400000)), 0);
        uint64_t took = clock_now_us() - started;
        struct itimerval off = {{0, 0}, {0, 0}};
        ck_assert_int_eq(setitimer(ITIMER_REAL, &off, NULL), 0);
        ck_assert_uint_ge(took, 400000);
        ck_assert_uint_lt(took, 1000000);
        close(pair[0]);
        close(pair[1]);
}
END_TEST

Suite *suite_net(void)
{
        Suite *s = suite_create("net");
        TCase *tc = tcase_create("parse");
        tcase_add_loop_test(tc, test_parse_good, 0,
                            (int)(sizeof(good_addresses) / sizeof(good_addresses[0])));
        tcase_add_loop_test(tc, test_parse_bad, 0,
                            (int)(sizeof(bad_addresses) / sizeof(bad_addresses[0])));
        tcase_add_test(tc, test_parse_host_too_long);
        suite_add_tcase(s, tc);

        tc = tcase_create("resolve");
        tcase_set_timeout(tc, 10);
        tcase_add_test(tc, test_resolve_numeric_v4);
        tcase_add_test(tc, test_resolve_numeric_v6);
        tcase_add_test(tc, test_resolve_numeric_after_deadline);
        tcase_add_test(tc, test_resolve_name_on_thread);
        tcase_add_test(tc, test_resolve_name_after_deadline);
        tcase_add_test(tc, test_resolve_family);
        tcase_add_test(tc, test_resolve_empty);
        suite_add_tcase(s, tc);

        tc = tcase_create("connect");
        tcase_set_timeout(tc, 10);
        tcase_add_test(tc, test_connect_refused);
        tcase_add_test(tc, test_connect_listening_v4);
        tcase_add_test(tc, test_connect_listening_v6);
        tcase_add_test(tc, test_connect_listening_by_name);
        tcase_add_test(tc, test_connect_unix_listening);
        tcase_add_test(tc, test_connect_unix_failures);
        tcase_add_test(tc, test_connect_unix_full_queue);
        tcase_add_test(tc, test_poll_until);
        tcase_add_test(tc, test_poll_until_interrupted);
        suite_add_tcase(s, tc);
        return s;
}
