/*
 * Targets as the mysql check takes them (checks/mysql/targets.c): HOST[:PORT], [V6]:PORT, :PORT,
 * unix:/PATH and mysql:// or mariadb:// URLs with USER[:PASS]@ and /DB. Every error is one safe
 * line, every target accepted is one Connector/C can be given (a host and a port, an absolute
 * path, C strings without control characters), and a password never shows in the form every
 * message shows, nor in an error.
 */
#include <strings.h>

#include "tests/fuzz/fuzz.h"

#include "checks/mysql/mysql_check.h"

static bool has_control(const char *text)
{
        for (const unsigned char *c = (const unsigned char *)text; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        return true;
        return false;
}

static void check_accepted(const struct mysql_target *target)
{
        if (target->transport == MYSQL_CHECK_TCP) {
                FUZZ_REQUIRE(target->address.host[0] && target->address.port >= 1, "address");
        } else {
                FUZZ_REQUIRE(target->socket_path[0] == '/', "socket path '%s'",
                             target->socket_path);
                FUZZ_REQUIRE(!has_control(target->socket_path), "control in the socket path");
                FUZZ_REQUIRE(!target->has_password && !target->has_user, "a unix: login");
        }
        FUZZ_REQUIRE(!target->has_password || target->password[0], "an empty password");
        FUZZ_REQUIRE(strlen(target->password) <= MYSQL_CHECK_SECRET_MAX, "password too long");
        FUZZ_REQUIRE(!target->has_user || (target->user[0] && !has_control(target->user)),
                     "user '%s'", target->user);
        FUZZ_REQUIRE(!target->has_db ||
                         (target->db[0] && !has_control(target->db) && !strchr(target->db, '/')),
                     "database '%s'", target->db);
        bool whole = strlen(target->display) + 1 < sizeof(target->display);
        FUZZ_REQUIRE(!whole || !target->has_password || strstr(target->display, ":***@"),
                     "a password, but '%s' hides none", target->display);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        size_t secret_at = 0, secret_len = fuzz_userinfo_secret(text, &secret_at);
        /* mysql://NAME@HOST: a userinfo without ':' is a user name, shown as such. */
        if (secret_len && (secret_at == 0 || text[secret_at - 1] != ':'))
                secret_len = 0;
        struct mysql_target target;
        struct pf_error err = {0};
        int r = mysql_parse_target(text, &target, &err);
        FUZZ_REQUIRE(r == PF_OK || r == PF_USAGE, "code %d", r);
        if (r == PF_OK)
                check_accepted(&target);
        else
                FUZZ_REQUIRE_MESSAGE(err.msg);
        FUZZ_REQUIRE(strlen(target.display) < sizeof(target.display), "display not ended");
        if (secret_len) {
                FUZZ_REQUIRE(!fuzz_contains(target.display, text + secret_at, secret_len),
                             "the password shows in the target '%s'", target.display);
                FUZZ_REQUIRE(!fuzz_contains(err.msg, text + secret_at, secret_len),
                             "the password shows in the error '%s'", err.msg);
        }
        mysql_target_wipe(&target);
        FUZZ_REQUIRE(target.password[0] == '\0', "the password is not wiped");
        free(text);
        return 0;
}
