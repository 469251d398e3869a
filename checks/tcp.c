/* tcp: does something accept TCP connections here? Connect and close, nothing more. */
#include <stdio.h>
#include <unistd.h>

#include "core/check.h"
#include "core/clock.h"
#include "core/net.h"

static int tcp_parse_target(const void *config, const char *arg, void *target, char *shown,
                            struct pf_error *err)
{
        (void)config;
        int r = net_parse_host_port(arg, 0, target, err);
        if (r == PF_OK)
                snprintf(shown, TARGET_SHOWN_SIZE, "%s", arg);
        return r;
}

static void tcp_run(const void *config, const void *target, const struct attempt *attempt,
                    struct check_result *res)
{
        (void)config;
        const struct host_port *hp = target;
        char peer[128], why[512];
        int fd;
        uint64_t started = clock_now_us();
        enum net_status status = net_connect(hp->host, hp->port, attempt->deadline_us, &fd, peer,
                                             sizeof(peer), why, sizeof(why));
        uint64_t took_us = clock_now_us() - started;
        switch (status) {
        case NET_OK:
                /* Only the handshake was asked for; a close now is what a port scanner does. */
                close(fd);
                result_set(res, PF_OK, "accepting connections at %s", peer);
                /* why holds the addresses that failed before this one answered, if any. */
                result_detail(
                    res, "connected in %llu.%03llu ms%s%s", (unsigned long long)(took_us / 1000),
                    (unsigned long long)(took_us % 1000), why[0] ? "; before that " : "", why);
                return;
        case NET_UNRESOLVABLE:
                result_set(res, PF_TCP_UNREACHABLE, "%s", why);
                result_fix(res, "check the name (getent ahosts %s) and the resolver", hp->host);
                return;
        case NET_UNREACHABLE:
                result_set(res, PF_TCP_UNREACHABLE, "not accepting connections: %s", why);
                return;
        case NET_TIMEOUT:
                result_set(res, PF_TCP_TIMEOUT, "%s", why);
                return;
        case NET_SYSTEM:
                break;
        }
        result_set(res, PF_INTERNAL, "%s", why);
}

/* What completion offers (core/completion.c). */
static const struct check_completion tcp_completion[] = {
    {NULL, "127.0.0.1: localhost:"},
    {NULL, NULL},
};

const struct check check_tcp = {
    .name = "tcp",
    .summary = "does something accept TCP connections here?",
    .usage = "HOST:PORT|[V6]:PORT...",
    .help = "Connects to the addresses HOST resolves to, one after another (each gets an equal\n"
            "share of the time left), and closes the first connection that is accepted.\n"
            "60: refused, unresolvable or no route; 61: no answer (resolver or peer) before the\n"
            "deadline. With --invert --wait, waits until nothing accepts any more.",
    .min_targets = 1,
    .max_targets = 64,
    .timeout_code = PF_TCP_TIMEOUT,
    .inverted_code = PF_TCP_UNREACHABLE,
    .target_size = sizeof(struct host_port),
    .parse_target = tcp_parse_target,
    .run = tcp_run,
    .completion = tcp_completion,
};
