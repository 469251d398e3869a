/*
 * Addresses as the checks take them: HOST:PORT and [V6]:PORT (core/net.c, tcp and redis), port
 * specs (checks/port/spec.c), and Redis targets with their redis:// URLs
 * (checks/redis/targets.c). Every error is one safe line, every address accepted is one the code
 * after it can use, and a password in a target never reaches a message or the target as shown.
 */
#include "tests/fuzz/fuzz.h"

#include <strings.h>

#include "checks/redis/redis.h"
#include "core/net.h"
#include "core/text.h"
#include "checks/port/port.h"

static void check_host_port(const char *text, int default_port)
{
        struct host_port hp;
        struct pf_error err = {0};
        if (net_parse_host_port(text, default_port, &hp, &err) == PF_OK) {
                FUZZ_REQUIRE(hp.host[0] != '\0', "an empty host accepted");
                FUZZ_REQUIRE(strlen(hp.host) < sizeof(hp.host), "host not ended");
                FUZZ_REQUIRE(fuzz_safe_line(hp.host), "host '%s' is not safe to show", hp.host);
                FUZZ_REQUIRE(hp.port >= 1, "port 0 accepted");
                FUZZ_REQUIRE(hp.has_port || default_port > 0, "no port, and none by default");
        } else {
                FUZZ_REQUIRE_MESSAGE(err.msg);
        }
}

static void check_port_spec(const char *text)
{
        struct port_spec spec;
        struct pf_error err = {0};
        char shown[TARGET_SHOWN_SIZE];
        if (port_spec_parse(text, &spec, shown, sizeof(shown), &err) == PF_OK) {
                FUZZ_REQUIRE(spec.port >= 1, "port 0 accepted");
                FUZZ_REQUIRE(fuzz_safe_line(shown), "spec shown as '%s'", shown);
                FUZZ_REQUIRE(spec.every_address || spec.addr.family == AF_INET ||
                                 spec.addr.family == AF_INET6,
                             "family %d", spec.addr.family);
        } else {
                FUZZ_REQUIRE_MESSAGE(err.msg);
        }
}

static void check_redis_target(const char *text)
{
        struct redis_target target;
        struct pf_error err = {0};
        size_t secret_at = 0, secret_len = fuzz_userinfo_secret(text, &secret_at);
        /* redis://NAME@HOST: a userinfo without ':' is a user name (README.md), shown as such;
         * unix:/PATH is a path, shown as it is (but unix://USER:PASS@/PATH is a URL, and
         * unix:USER:PASS@HOST no path at all). */
        if (secret_len && (secret_at == 0 || text[secret_at - 1] != ':' ||
                           (strncasecmp(text, "unix:/", 6) == 0 && text[6] != '/')))
                secret_len = 0;
        int r = redis_parse_target(text, &target, &err);
        FUZZ_REQUIRE(r == PF_OK || r == PF_USAGE, "code %d", r);
        if (r == PF_OK) {
                if (target.transport == REDIS_TCP) {
                        FUZZ_REQUIRE(target.address.host[0] && target.address.port >= 1, "address");
                } else {
                        FUZZ_REQUIRE(target.socket_path[0] == '/', "socket path");
                }
                FUZZ_REQUIRE(!target.has_password || target.password_len > 0, "empty password");
                FUZZ_REQUIRE(target.password_len <= REDIS_SECRET_MAX, "password too long");
        } else {
                FUZZ_REQUIRE_MESSAGE(err.msg);
        }
        FUZZ_REQUIRE(strlen(target.display) < sizeof(target.display), "display not ended");
        if (secret_len) {
                FUZZ_REQUIRE(!fuzz_contains(target.display, text + secret_at, secret_len),
                             "the password shows in the target '%s'", target.display);
                FUZZ_REQUIRE(!fuzz_contains(err.msg, text + secret_at, secret_len),
                             "the password shows in the error '%s'", err.msg);
        }
        redis_target_wipe(&target);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        check_host_port(text, 0);
        check_host_port(text, 6379);
        check_port_spec(text);
        check_redis_target(text);

        /* Percent-decoding into buffers of every small size: never a byte past them. */
        for (size_t out_size = 1; out_size < 8; out_size++) {
                char *out = malloc(out_size);
                size_t out_len = 0;
                FUZZ_REQUIRE(out != NULL, "malloc");
                if (text_percent_decode(text, strlen(text), out, out_size, &out_len))
                        FUZZ_REQUIRE(out_len < out_size && out[out_len] == '\0', "decode");
                free(out);
        }
        free(text);
        return 0;
}
