/*
 * dns: does this name resolve, to these addresses, within the deadline? The name goes through
 * getaddrinfo as the service's own lookup would (nsswitch, /etc/hosts, systemd-resolved, DNS),
 * on core's bounded resolver, so a resolver that never answers ends at the deadline.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/check.h"
#include "core/clock.h"
#include "core/net.h"
#include "core/text.h"

#define MAX_EXPECT 16
/* Addresses kept from one answer; a name with more is listed with "and N more". */
#define MAX_ADDRESSES 64

/* An address in the form that compares canonically: ::1 and 0:0::1 are the same bytes. */
struct dns_address {
        int family; /* AF_INET or AF_INET6 */
        unsigned char bytes[16];
};

struct dns_config {
        int family; /* AF_UNSPEC, AF_INET or AF_INET6 */
        unsigned n_expect;
        struct dns_address expect[MAX_EXPECT];
};

struct dns_target {
        char name[256];
};

enum { OPT_EXPECT, OPT_FAMILY };

static const struct check_option dns_options[] = {
    [OPT_EXPECT] = {"expect", 'e', "ADDRESS",
                    "ADDRESS (IPv4 or IPv6, numeric) must be among the answers (repeatable)"},
    [OPT_FAMILY] = {"family", 'f', "FAMILY",
                    "ipv4, ipv6 or any: ask for this address family only (default any)"},
    {NULL, 0, NULL, NULL},
};

static void dns_init(void *config)
{
        struct dns_config *cfg = config;
        cfg->family = AF_UNSPEC;
}

static bool address_parse(const char *text, struct dns_address *out)
{
        memset(out, 0, sizeof(*out));
        if (inet_pton(AF_INET, text, out->bytes) == 1) {
                out->family = AF_INET;
                return true;
        }
        if (inet_pton(AF_INET6, text, out->bytes) == 1) {
                out->family = AF_INET6;
                return true;
        }
        return false;
}

static void address_format(const struct dns_address *a, char *buf, size_t size)
{
        if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)size))
                snprintf(buf, size, "?");
}

static bool address_equal(const struct dns_address *a, const struct dns_address *b)
{
        size_t len = a->family == AF_INET ? 4 : 16;
        return a->family == b->family && memcmp(a->bytes, b->bytes, len) == 0;
}

static const char *family_name(int family)
{
        return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "any";
}

static int dns_parse_option(void *config, unsigned option, const char *value, struct pf_error *err)
{
        struct dns_config *cfg = config;
        char q[QUOTE_BUF];
        switch (option) {
        case OPT_EXPECT:
                if (cfg->n_expect >= MAX_EXPECT)
                        return pf_error_set(err, "--expect: at most %d addresses", MAX_EXPECT);
                if (!address_parse(value, &cfg->expect[cfg->n_expect]))
                        return pf_error_set(err,
                                            "--expect: '%s' is not a numeric IPv4 or IPv6 "
                                            "address (as 10.0.0.5 or fd00::5)",
                                            text_quote(value, q, sizeof(q)));
                cfg->n_expect++;
                return PF_OK;
        case OPT_FAMILY:
                if (strcmp(value, "ipv4") == 0 || strcmp(value, "4") == 0)
                        cfg->family = AF_INET;
                else if (strcmp(value, "ipv6") == 0 || strcmp(value, "6") == 0)
                        cfg->family = AF_INET6;
                else if (strcmp(value, "any") == 0)
                        cfg->family = AF_UNSPEC;
                else
                        return pf_error_set(err, "--family: '%s' is not ipv4, ipv6 or any",
                                            text_quote(value, q, sizeof(q)));
                return PF_OK;
        }
        return pf_error_set(err, "unknown option");
}

/* An expected address of the other family could never be among the answers. */
static int dns_finish(void *config, unsigned targets, struct pf_error *err)
{
        (void)targets;
        const struct dns_config *cfg = config;
        char text[INET6_ADDRSTRLEN];
        if (cfg->family == AF_UNSPEC)
                return PF_OK;
        for (unsigned i = 0; i < cfg->n_expect; i++) {
                if (cfg->expect[i].family != cfg->family) {
                        address_format(&cfg->expect[i], text, sizeof(text));
                        return pf_error_set(err,
                                            "--expect %s is an %s address, but --family %s asks "
                                            "for %s addresses only",
                                            text, family_name(cfg->expect[i].family),
                                            cfg->family == AF_INET ? "ipv4" : "ipv6",
                                            family_name(cfg->family));
                }
        }
        return PF_OK;
}

/* A name as DNS and /etc/hosts know it, or a numeric address; never HOST:PORT. */
static int dns_parse_target(const void *config, const char *arg, void *target, char *shown,
                            struct pf_error *err)
{
        (void)config;
        struct dns_target *t = target;
        struct host_port hp;
        if (net_parse_host_port(arg, 1, &hp, err) != PF_OK)
                return PF_USAGE;
        if (hp.has_port) {
                char q[QUOTE_BUF];
                return pf_error_set(err, "'%s': give a name alone, without a port",
                                    text_quote(arg, q, sizeof(q)));
        }
        snprintf(t->name, sizeof(t->name), "%s", hp.host);
        snprintf(shown, TARGET_SHOWN_SIZE, "%s", t->name);
        return PF_OK;
}

/* The answers, deduplicated, in the order getaddrinfo gave them. */
struct answers {
        unsigned count;
        unsigned dropped; /* beyond MAX_ADDRESSES */
        struct dns_address list[MAX_ADDRESSES];
};

static bool answers_have(const struct answers *a, const struct dns_address *address)
{
        for (unsigned i = 0; i < a->count; i++)
                if (address_equal(&a->list[i], address))
                        return true;
        return false;
}

static void answers_collect(const struct addrinfo *ai, struct answers *a)
{
        for (; ai; ai = ai->ai_next) {
                struct dns_address address = {.family = ai->ai_family};
                if (ai->ai_family == AF_INET)
                        memcpy(address.bytes, &((const struct sockaddr_in *)ai->ai_addr)->sin_addr,
                               4);
                else if (ai->ai_family == AF_INET6)
                        memcpy(address.bytes,
                               &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
                else
                        continue;
                if (answers_have(a, &address))
                        continue;
                if (a->count < MAX_ADDRESSES)
                        a->list[a->count++] = address;
                else
                        a->dropped++;
        }
}

/* "10.0.0.5, fd00::5": as many as fit, then "and N more". */
static void format_list(const struct dns_address *list, unsigned count, unsigned dropped, char *buf,
                        size_t size)
{
        char text[INET6_ADDRSTRLEN];
        size_t used = 0;
        buf[0] = '\0';
        for (unsigned i = 0; i < count; i++) {
                address_format(&list[i], text, sizeof(text));
                /* Keep room for ", and 99 more". */
                if (used + strlen(text) + 2 + 16 >= size) {
                        dropped += count - i;
                        break;
                }
                used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", text);
        }
        if (dropped)
                snprintf(buf + used, size - used, "%sand %u more", used ? ", " : "", dropped);
}

static void report_answers(const struct dns_config *cfg, const char *name, const struct answers *a,
                           struct check_result *res)
{
        struct dns_address missing[MAX_EXPECT];
        unsigned n_missing = 0;
        char came[512], absent[256];
        for (unsigned i = 0; i < cfg->n_expect; i++)
                if (!answers_have(a, &cfg->expect[i]))
                        missing[n_missing++] = cfg->expect[i];
        format_list(a->list, a->count, a->dropped, came, sizeof(came));
        if (n_missing == 0) {
                result_set(res, PF_OK, "resolves to %s", came);
                return;
        }
        format_list(missing, n_missing, 0, absent, sizeof(absent));
        result_set(res, PF_DNS_MISMATCH, "resolves to %s, but not to %s", came, absent);
        result_fix(res,
                   "compare getent ahosts %s with --expect; fix the DNS record or the /etc/hosts "
                   "line, or wait for the change to reach this host's resolver (--wait)",
                   name);
}

static void report_failure(const struct dns_config *cfg, const char *name, int gai_error,
                           const char *why, struct check_result *res)
{
        char reason[128];
        switch (gai_error) {
        case EAI_NONAME:
#ifdef EAI_NODATA
        case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
        case EAI_ADDRFAMILY:
#endif
                if (cfg->family == AF_UNSPEC)
                        result_set(res, PF_DNS_UNRESOLVED, "no such name");
                else
                        result_set(res, PF_DNS_UNRESOLVED,
                                   "no such name, or no %s address for it (--family %s)",
                                   family_name(cfg->family),
                                   cfg->family == AF_INET ? "ipv4" : "ipv6");
                result_fix(res,
                           "add the name to DNS or to /etc/hosts, or fix it; getent ahosts %s "
                           "shows what this host resolves, and the hosts: line of "
                           "/etc/nsswitch.conf where it looks",
                           name);
                return;
        case EAI_AGAIN:
                result_set(res, PF_DNS_UNRESOLVED,
                           "temporary failure in name resolution (the name server answered "
                           "with an error, or none could be reached)");
                result_fix(res,
                           "check the name servers: the nameserver lines of /etc/resolv.conf, "
                           "or resolvectl status and resolvectl query %s under "
                           "systemd-resolved",
                           name);
                return;
        default:
                snprintf(reason, sizeof(reason), "%s", gai_strerror(gai_error));
                result_set(res, PF_DNS_UNRESOLVED, "does not resolve: %s", why[0] ? why : reason);
                result_fix(res, "getent ahosts %s shows what this host resolves", name);
                return;
        }
}

static void dns_run(const void *config, const void *target, const struct attempt *attempt,
                    struct check_result *res)
{
        const struct dns_config *cfg = config;
        const struct dns_target *t = target;
        struct addrinfo *found = NULL;
        struct answers answers = {0};
        char why[512];
        int gai_error;
        uint64_t started = clock_now_us();
        enum net_status status = net_resolve_family(t->name, 0, cfg->family, attempt->deadline_us,
                                                    &found, &gai_error, why, sizeof(why));
        switch (status) {
        case NET_OK: {
                uint64_t took_us = clock_now_us() - started;
                answers_collect(found, &answers);
                freeaddrinfo(found);
                report_answers(cfg, t->name, &answers, res);
                result_detail(
                    res, "%u address%s (%s) in %llu.%03llu ms", answers.count + answers.dropped,
                    answers.count + answers.dropped == 1 ? "" : "es",
                    cfg->family == AF_UNSPEC ? "any family" : family_name(cfg->family),
                    (unsigned long long)(took_us / 1000), (unsigned long long)(took_us % 1000));
                return;
        }
        case NET_UNRESOLVABLE:
        case NET_UNREACHABLE:
                report_failure(cfg, t->name, gai_error, why, res);
                return;
        case NET_TIMEOUT:
                result_set(res, PF_DNS_TIMEOUT, "%s", why);
                result_fix(res, "no resolver answered in time: check the nameserver lines of "
                                "/etc/resolv.conf (resolvectl status under systemd-resolved) and "
                                "that the server is reachable, or raise --timeout");
                return;
        case NET_SYSTEM:
                break;
        }
        result_set(res, PF_INTERNAL, "%s", why);
}

/* What completion offers (core/completion.c). */
static const struct check_completion dns_completion[] = {
    {NULL, "@host"},
    {"family", "ipv4 ipv6 any"},
    {NULL, NULL},
};

const struct check check_dns = {
    .name = "dns",
    .summary = "does this name resolve, to these addresses, within the deadline?",
    .usage = "NAME... [--expect ADDRESS]... [--family ipv4|ipv6|any]",
    .help = "Resolves NAME as the service will (getaddrinfo: the hosts: line of nsswitch.conf,\n"
            "/etc/hosts, systemd-resolved, DNS) and lists the addresses that came, once each,\n"
            "in getaddrinfo's order. Each --expect ADDRESS must be among them (compared as\n"
            "addresses: ::1 is 0:0::1). A resolver that never answers ends at the deadline.\n"
            "Codes: 110 does not resolve (no such name, or a temporary failure; retried under\n"
            "--wait), 111 no answer by the deadline, 112 an expected address is missing.",
    .options = dns_options,
    .min_targets = 1,
    .max_targets = 64,
    .timeout_code = PF_DNS_TIMEOUT,
    /* With --invert the name must not resolve: one that does is reported as resolving, the
     * transient code, so --invert --wait waits for it to go. */
    .inverted_code = PF_DNS_UNRESOLVED,
    .config_size = sizeof(struct dns_config),
    .init = dns_init,
    .target_size = sizeof(struct dns_target),
    .parse_option = dns_parse_option,
    .finish = dns_finish,
    .parse_target = dns_parse_target,
    .run = dns_run,
    .completion = dns_completion,
};
