/*
 * Targets as the postgres check takes them (checks/postgres/targets.c; URIs through the real
 * libpq's PQconninfoParse, loaded as a postgres line loads it): every input is parsed or refused
 * with one clean line, the shown form is one clean line, and a URI's password shows in neither,
 * whatever libpq quotes back in its own messages.
 */
#include "tests/fuzz/fuzz.h"

#include "checks/postgres/postgres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static bool loaded;
        if (!loaded) {
                struct pf_error err = {0};
                /* The defaults libpq and the parser read must not depend on the environment. */
                unsetenv("PGHOST");
                unsetenv("PGPORT");
                unsetenv("PGSERVICE");
                FUZZ_REQUIRE(pg_load_libpq(&err) == PF_OK, "libpq: %s", err.msg);
                loaded = true;
        }
        char *text = fuzz_text(data, size);
        size_t secret_at = 0, secret_len = fuzz_userinfo_secret(text, &secret_at);
        /* Only a password (after "USER:") is secret: the user name is shown, as psql shows it. */
        if (secret_len && (secret_at == 0 || text[secret_at - 1] != ':'))
                secret_len = 0;

        struct pg_target target;
        char shown[TARGET_SHOWN_SIZE];
        struct pf_error err = {0};
        int r = pg_parse_target(text, &target, shown, &err);
        FUZZ_REQUIRE(r == PF_OK || r == PF_USAGE, "code %d: %s", r, err.msg);
        FUZZ_REQUIRE(strlen(shown) < sizeof(shown), "shown form not ended");
        FUZZ_REQUIRE(fuzz_safe_line(shown), "shown '%s'", shown);
        if (r == PF_OK) {
                FUZZ_REQUIRE(target.host[0] != '\0', "no host in '%s'", shown);
                FUZZ_REQUIRE(target.transport != PG_UNIX || target.host[0] == '/',
                             "a socket directory '%s' that is not absolute", target.host);
                FUZZ_REQUIRE(!strchr(target.host, ','), "two hosts in '%s'", shown);
                /* (unless the shown form is cut before the stars, a character at most early) */
                FUZZ_REQUIRE(!target.has_password || strlen(shown) + 8 >= sizeof(shown) ||
                                 strstr(shown, ":***@"),
                             "a password, but '%s' hides none", shown);
                FUZZ_REQUIRE(target.params <= PG_PARAMS_MAX, "%u params", target.params);
        } else {
                FUZZ_REQUIRE_MESSAGE(err.msg);
        }
        if (secret_len) {
                FUZZ_REQUIRE(!fuzz_contains(err.msg, text + secret_at, secret_len),
                             "the password shows in the error '%s'", err.msg);
                FUZZ_REQUIRE(!fuzz_contains(shown, text + secret_at, secret_len),
                             "the password shows in '%s'", shown);
        }
        pg_target_release(&target);
        free(text);
        return 0;
}
