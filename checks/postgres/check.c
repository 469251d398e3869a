/* postgres: does this PostgreSQL accept this login, and is it ready? The check's declaration,
 * its options and where the password comes from; the parts are in this folder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/postgres/postgres.h"
#include "core/text.h"

enum { OPT_USER, OPT_DBNAME, OPT_PASSWORD_FILE, OPT_ROLE, OPT_SSLMODE, OPT_SSLROOTCERT, OPT_PING };

static const struct check_option postgres_options[] = {
    [OPT_USER] = {"user", 0, "NAME", "log in as NAME (default: the URI's, $PGUSER, the OS user)"},
    [OPT_DBNAME] = {"dbname", 0, "DB",
                    "connect to database DB (default: the URI's, $PGDATABASE, "
                    "the user name)"},
    [OPT_PASSWORD_FILE] = {"password-file", 0, "FILE",
                           "read the password from FILE's first line (default: $PGPASSWORD, "
                           "$PGPASSFILE, ~/.pgpass)"},
    [OPT_ROLE] = {"role", 0, "ROLE", "primary, or standby: checked with pg_is_in_recovery()"},
    [OPT_SSLMODE] = {"sslmode", 0, "MODE",
                     "disable, allow, prefer (default), require, verify-ca or verify-full"},
    [OPT_SSLROOTCERT] = {"sslrootcert", 0, "FILE",
                         "the CA certificates that verify the server's (verify-ca, verify-full)"},
    [OPT_PING] = {"ping", 0, NULL,
                  "pass when the server answers, whatever it says about the login (pg_isready)"},
    {NULL, 0, NULL, NULL},
};

struct postgres_config {
        const char *user, *dbname, *sslmode, *sslrootcert;
        char *password; /* from --password-file: malloc'd, wiped on release */
        enum pg_role role;
        bool ping;
};

/* The first line of path, without its end of line. The file is never quoted back. */
static int read_password_file(struct postgres_config *cfg, const char *path, struct pf_error *err)
{
        char q[QUOTE_BUF], buf[PG_SECRET_MAX + 2];
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return pf_error_set(err, "--password-file: cannot open '%s': %s",
                                    text_quote(path, q, sizeof(q)), strerror(errno));
        size_t len = 0;
        ssize_t n;
        while (len < sizeof(buf) - 1 &&
               ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
                if (n > 0)
                        len += (size_t)n;
        int read_errno = errno;
        close(fd);
        buf[len] = '\0';
        len = strcspn(buf, "\r\n");
        bool whole = len < sizeof(buf) - 1 && (buf[len] != '\0' || n == 0);
        buf[len] = '\0';
        int r = PF_OK;
        if (n < 0)
                r = pf_error_set(err, "--password-file: cannot read '%s': %s",
                                 text_quote(path, q, sizeof(q)), strerror(read_errno));
        else if (!whole || len > PG_SECRET_MAX)
                r = pf_error_set(err,
                                 "--password-file: the first line of '%s' is longer than %d "
                                 "bytes",
                                 text_quote(path, q, sizeof(q)), PG_SECRET_MAX);
        else if (len == 0)
                r = pf_error_set(err, "--password-file: the first line of '%s' is empty",
                                 text_quote(path, q, sizeof(q)));
        else if (!(cfg->password = strdup(buf)))
                r = PF_INTERNAL;
        explicit_bzero(buf, sizeof(buf));
        return r;
}

static int name_option(const char *option, const char *value, const char **out,
                       struct pf_error *err)
{
        if (!*value || text_has_control(value) || strlen(value) > 255) {
                char q[QUOTE_BUF];
                return pf_error_set(err, "--%s: '%s' is not a name", option,
                                    text_quote_hiding_userinfo(value, q, sizeof(q)));
        }
        *out = value;
        return PF_OK;
}

static int postgres_parse_option(void *config, unsigned option, const char *value,
                                 struct pf_error *err)
{
        struct postgres_config *cfg = config;
        char q[QUOTE_BUF];
        static const char *const sslmodes[] = {"disable", "allow",     "prefer",
                                               "require", "verify-ca", "verify-full"};
        switch (option) {
        case OPT_USER:
                return name_option("user", value, &cfg->user, err);
        case OPT_DBNAME:
                return name_option("dbname", value, &cfg->dbname, err);
        case OPT_PASSWORD_FILE:
                if (cfg->password)
                        return pf_error_set(err, "--password-file: given twice");
                return read_password_file(cfg, value, err);
        case OPT_ROLE:
                if (strcmp(value, "primary") == 0)
                        cfg->role = PG_ROLE_PRIMARY;
                else if (strcmp(value, "standby") == 0)
                        cfg->role = PG_ROLE_STANDBY;
                else
                        return pf_error_set(err, "--role: '%s' is not primary or standby",
                                            text_quote_hiding_userinfo(value, q, sizeof(q)));
                return PF_OK;
        case OPT_SSLMODE:
                for (size_t i = 0; i < sizeof(sslmodes) / sizeof(sslmodes[0]); i++)
                        if (strcmp(value, sslmodes[i]) == 0) {
                                cfg->sslmode = sslmodes[i];
                                return PF_OK;
                        }
                return pf_error_set(err,
                                    "--sslmode: '%s' is not disable, allow, prefer, require, "
                                    "verify-ca or verify-full",
                                    text_quote_hiding_userinfo(value, q, sizeof(q)));
        case OPT_SSLROOTCERT:
                if (access(value, R_OK) != 0)
                        return pf_error_set(err, "--sslrootcert: cannot read '%s': %s",
                                            text_quote(value, q, sizeof(q)), strerror(errno));
                cfg->sslrootcert = value;
                return PF_OK;
        case OPT_PING:
                cfg->ping = true;
                return PF_OK;
        }
        return pf_error_set(err, "unknown option");
}

static int postgres_parse_target(const void *config, const char *arg, void *target, char *shown,
                                 struct pf_error *err)
{
        (void)config;
        int loaded = pg_load_libpq(err);
        if (loaded != PF_OK)
                return loaded;
        struct pg_target *parsed = target;
        int r = pg_parse_target(arg, parsed, shown, err);
        if (r == PF_OK && parsed->has_password)
                pf_warning_set(err, "a password in the URI can be read by other users (ps, "
                                    "/proc, a readable chain file); use --password-file, "
                                    "PGPASSFILE or ~/.pgpass");
        return r;
}

static void postgres_release_target(void *target)
{
        pg_target_release(target);
}

static void postgres_release(void *config)
{
        struct postgres_config *cfg = config;
        if (cfg->password) {
                explicit_bzero(cfg->password, strlen(cfg->password));
                free(cfg->password);
                cfg->password = NULL;
        }
}

/* Where the password of an attempt comes from, for --verbose: libpq's own rules after ours. */
static const char *password_from(const struct postgres_config *cfg, const struct pg_target *target)
{
        if (target->has_password)
                return "the URI";
        if (cfg->password)
                return "--password-file";
        const char *env = getenv("PGPASSWORD");
        if (env && *env)
                return "PGPASSWORD";
        return getenv("PGPASSFILE") ? "PGPASSFILE, if it has a line for this login"
                                    : "~/.pgpass, if it has a line for this login";
}

static void postgres_run(const void *config, const void *target, const struct attempt *attempt,
                         struct check_result *res)
{
        const struct postgres_config *cfg = config;
        struct pg_login login = {
            .user = cfg->user,
            .dbname = cfg->dbname,
            .sslmode = cfg->sslmode,
            .sslrootcert = cfg->sslrootcert,
            .password = cfg->password,
            .password_from = password_from(cfg, target),
            .role = cfg->role,
            .ping = cfg->ping,
        };
        pg_probe(target, &login, attempt, res);
}

/* What completion offers (core/completion.c). */
static const struct check_completion postgres_completion[] = {
    {NULL, "127.0.0.1: unix:/ postgresql://"},
    {"role", "primary standby"},
    {"sslmode", "disable allow prefer require verify-ca verify-full"},
    {NULL, NULL},
};

const struct check check_postgres = {
    .name = "postgres",
    .summary = "does this PostgreSQL accept this login, and is it ready?",
    .usage = "TARGET... [--user NAME] [--dbname DB] [--password-file FILE] "
             "[--role primary|standby] [--sslmode MODE] [--sslrootcert FILE] [--ping]",
    .help = "TARGET is HOST[:PORT], [V6]:PORT, :PORT, unix:/DIR (the socket's directory)\n"
            "or a postgresql:// or postgres:// URI (libpq's own syntax); the port defaults to\n"
            "$PGPORT, else 5432. Logs in as libpq would (PGUSER, PGDATABASE, PGPASSWORD,\n"
            "PGPASSFILE, ~/.pgpass, PGSSLMODE) and passes when SELECT 1 is answered (with\n"
            "--role, pg_is_in_recovery()). --ping passes when the server answers at all, as\n"
            "pg_isready does. Refused, unresolvable or closed is 80; the deadline (-t) is 81\n"
            "and bounds name resolution, the login and the query; 57P03 (starting, in\n"
            "recovery), 53300 (too many connections) and a wrong role are 'not ready' (82,\n"
            "retried under --wait); 28P01, 28000, 3D000 and TLS failures are 'denied' (83,\n"
            "never retried). The password is never shown.",
    .options = postgres_options,
    .min_targets = 1,
    .max_targets = (unsigned)-1,
    .timeout_code = PF_POSTGRES_TIMEOUT,
    .inverted_code = PF_POSTGRES_NOT_READY,
    .config_size = sizeof(struct postgres_config),
    .target_size = sizeof(struct pg_target),
    .parse_option = postgres_parse_option,
    .parse_target = postgres_parse_target,
    .run = postgres_run,
    .release_target = postgres_release_target,
    .release = postgres_release,
    .completion = postgres_completion,
};
