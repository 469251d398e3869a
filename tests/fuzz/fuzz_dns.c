/*
 * The dns check's words (checks/dns.c): NAME as a target, ADDRESS for --expect, FAMILY for
 * --family. Every error is one safe line; an --expect is taken exactly when inet_pton takes it
 * (an independent reading); a target is shown as one safe line without a port; and a numeric
 * target, which getaddrinfo answers without any resolver, resolves to itself in canonical form
 * and passes an --expect of itself. Names are never run: a run would ask a name server.
 */
#include "tests/fuzz/fuzz.h"

#include <arpa/inet.h>

#include "core/check.h"
#include "core/clock.h"

extern const struct check check_dns;

static unsigned option_index(const char *name)
{
        for (unsigned i = 0; check_dns.options[i].long_name; i++)
                if (strcmp(check_dns.options[i].long_name, name) == 0)
                        return i;
        abort();
}

/* The canonical text of a numeric address, or false when text is none. */
static bool canonical(const char *text, char *out, size_t size)
{
        unsigned char bytes[16];
        if (inet_pton(AF_INET, text, bytes) == 1)
                return inet_ntop(AF_INET, bytes, out, (socklen_t)size) != NULL;
        if (inet_pton(AF_INET6, text, bytes) == 1)
                return inet_ntop(AF_INET6, bytes, out, (socklen_t)size) != NULL;
        return false;
}

static void check_run_numeric(void *config, const void *target, const char *shown)
{
        char want[INET6_ADDRSTRLEN + 16], text[INET6_ADDRSTRLEN];
        struct check_result res = {0};
        if (!canonical(shown, text, sizeof(text)))
                return;
        struct attempt attempt = {.deadline_us = deadline_after(1000000), .number = 1};
        snprintf(res.target, sizeof(res.target), "%s", shown);
        check_dns.run(config, target, &attempt, &res);
        snprintf(want, sizeof(want), "resolves to %s", text);
        FUZZ_REQUIRE(res.code == PF_OK && strcmp(res.message, want) == 0, "'%s': %d %s", shown,
                     res.code, res.message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        char shown[TARGET_SHOWN_SIZE] = "", ignored[INET6_ADDRSTRLEN];
        struct pf_error err = {0};
        void *config = calloc(1, check_dns.config_size);
        void *target = calloc(1, check_dns.target_size);
        FUZZ_REQUIRE(config && target, "calloc");
        check_dns.init(config);

        int r = check_dns.parse_option(config, option_index("family"), text, &err);
        if (r != PF_OK)
                FUZZ_REQUIRE_MESSAGE(err.msg);
        check_dns.init(config);
        memset(&err, 0, sizeof(err));
        r = check_dns.parse_option(config, option_index("expect"), text, &err);
        FUZZ_REQUIRE((r == PF_OK) == canonical(text, ignored, sizeof(ignored)), "--expect '%s': %d",
                     text, r);
        if (r != PF_OK)
                FUZZ_REQUIRE_MESSAGE(err.msg);
        memset(&err, 0, sizeof(err));
        FUZZ_REQUIRE(check_dns.finish(config, 1, &err) == PF_OK, "finish: %s", err.msg);

        memset(&err, 0, sizeof(err));
        r = check_dns.parse_target(config, text, target, shown, &err);
        FUZZ_REQUIRE(r == PF_OK || r == PF_USAGE, "code %d", r);
        if (r == PF_OK) {
                FUZZ_REQUIRE(shown[0] && fuzz_safe_line(shown), "shown as '%s'", shown);
                FUZZ_REQUIRE(!strchr(shown, ':') || canonical(shown, ignored, sizeof(ignored)) ||
                                 strchr(shown, '%'),
                             "'%s' shown with a port", shown);
                /* config holds --expect TEXT when TEXT is an address: the run must pass it. */
                check_run_numeric(config, target, shown);
        } else {
                FUZZ_REQUIRE_MESSAGE(err.msg);
        }
        free(target);
        free(config);
        free(text);
        return 0;
}
