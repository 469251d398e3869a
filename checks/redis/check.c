/* redis: does this Redis answer PING with PONG, authenticated, and is it ready? The check's
 * declaration, its options and where the password comes from; the parts are in this folder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/redis/redis.h"
#include "core/text.h"

enum { OPT_USER, OPT_PASSWORD_FILE, OPT_PASSWORD, OPT_DB, OPT_ROLE };

static const struct check_option redis_options[] = {
    [OPT_USER] = {"user", 0, "NAME", "AUTH as this ACL user (Redis 6 and later)"},
    [OPT_PASSWORD_FILE] = {"password-file", 0, "FILE",
                           "read the password from FILE (default: $REDISCLI_AUTH)"},
    [OPT_PASSWORD] = {"password", 0, "PASS",
                      "the password itself (shows in ps: prefer --password-file)"},
    [OPT_DB] = {"db", 0, "N", "SELECT database N before PING"},
    [OPT_ROLE] = {"role", 0, "ROLE",
                  "master, or replica (with its link to the master up); checked with ROLE"},
    {NULL, 0, NULL, NULL},
};

enum password_source { PASSWORD_NONE, PASSWORD_ENV, PASSWORD_FILE, PASSWORD_OPTION };

struct redis_config {
        const char *user;
        char *password; /* malloc'd, wiped on release; may hold NUL bytes */
        size_t password_len;
        enum password_source password_source;
        bool has_db;
        unsigned long db;
        enum redis_role role;
};

/* Core shows it once, however many targets and options carry a password. */
static void warn_password_on_command_line(struct pf_error *err)
{
        pf_warning_set(err, "a password given as an argument can be read by other users (ps, "
                            "/proc, a readable chain file); use REDISCLI_AUTH or --password-file "
                            "FILE");
}

static void forget_password(struct redis_config *cfg)
{
        if (cfg->password) {
                explicit_bzero(cfg->password, cfg->password_len);
                free(cfg->password);
        }
        cfg->password = NULL;
        cfg->password_len = 0;
        cfg->password_source = PASSWORD_NONE;
}

static int keep_password(struct redis_config *cfg, const char *secret, size_t len,
                         enum password_source source, struct pf_error *err)
{
        forget_password(cfg);
        cfg->password = malloc(len + 1);
        if (!cfg->password) {
                pf_error_set(err, "out of memory");
                return PF_INTERNAL;
        }
        memcpy(cfg->password, secret, len);
        cfg->password[len] = '\0';
        cfg->password_len = len;
        cfg->password_source = source;
        return PF_OK;
}

/* One line: what `echo secret > FILE` and systemd's LoadCredential= files hold. */
static int read_password_file(struct redis_config *cfg, const char *path, struct pf_error *err)
{
        char q[QUOTE_BUF], buf[REDIS_SECRET_MAX + 3];
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return pf_error_set(err, "--password-file: cannot open '%s': %s",
                                    text_quote(path, q, sizeof(q)), strerror(errno));
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int error = errno;
                        close(fd);
                        explicit_bzero(buf, sizeof(buf));
                        return pf_error_set(err, "--password-file: cannot read '%s': %s",
                                            text_quote(path, q, sizeof(q)), strerror(error));
                }
                if (n == 0 || (len += (size_t)n) == sizeof(buf))
                        break;
        }
        close(fd);
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len > 0 && buf[len - 1] == '\r')
                len--;
        int r = PF_OK;
        if (len > REDIS_SECRET_MAX)
                r = pf_error_set(err,
                                 "--password-file: '%s' is longer than a password (%d bytes "
                                 "at most)",
                                 text_quote(path, q, sizeof(q)), REDIS_SECRET_MAX);
        else if (len == 0)
                r = pf_error_set(err, "--password-file: '%s' is empty",
                                 text_quote(path, q, sizeof(q)));
        else if (memchr(buf, '\n', len))
                r = pf_error_set(err, "--password-file: '%s' has more than one line",
                                 text_quote(path, q, sizeof(q)));
        else
                r = keep_password(cfg, buf, len, PASSWORD_FILE, err);
        explicit_bzero(buf, sizeof(buf));
        return r;
}

static int redis_parse_option(void *config, unsigned option, const char *value,
                              struct pf_error *err)
{
        struct redis_config *cfg = config;
        char q[QUOTE_BUF];
        switch (option) {
        case OPT_USER:
                cfg->user = value;
                if (!*value || strlen(value) > 255 || text_has_control(value) ||
                    strpbrk(value, " \t"))
                        return pf_error_set(err, "--user: '%s' is not an ACL user name",
                                            text_quote_hiding_userinfo(value, q, sizeof(q)));
                return PF_OK;
        case OPT_PASSWORD_FILE:
                if (cfg->password_source == PASSWORD_OPTION)
                        return pf_error_set(err, "give --password or --password-file, not both");
                return read_password_file(cfg, value, err);
        case OPT_PASSWORD:
                if (cfg->password_source == PASSWORD_FILE)
                        return pf_error_set(err, "give --password or --password-file, not both");
                if (!*value)
                        return pf_error_set(err, "--password: an empty password");
                if (strlen(value) > REDIS_SECRET_MAX)
                        return pf_error_set(err, "--password: longer than %d bytes",
                                            REDIS_SECRET_MAX);
                warn_password_on_command_line(err);
                return keep_password(cfg, value, strlen(value), PASSWORD_OPTION, err);
        case OPT_DB:
                cfg->has_db = true;
                if (!text_parse_ulong(value, 0, REDIS_DB_MAX, &cfg->db))
                        return pf_error_set(err, "--db: '%s' is not a database number (0-%lu)",
                                            text_quote_hiding_userinfo(value, q, sizeof(q)),
                                            REDIS_DB_MAX);
                return PF_OK;
        case OPT_ROLE:
                if (strcmp(value, "master") == 0)
                        cfg->role = REDIS_ROLE_MASTER;
                else if (strcmp(value, "replica") == 0)
                        cfg->role = REDIS_ROLE_REPLICA;
                else
                        return pf_error_set(err, "--role: '%s' is not master or replica",
                                            text_quote_hiding_userinfo(value, q, sizeof(q)));
                return PF_OK;
        }
        return pf_error_set(err, "unknown option");
}

static int redis_parse_target_arg(const void *config, const char *arg, void *target, char *shown,
                                  struct pf_error *err)
{
        (void)config;
        struct redis_target *parsed = target;
        int r = redis_parse_target(arg, parsed, err);
        if (r != PF_OK)
                return r;
        snprintf(shown, TARGET_SHOWN_SIZE, "%s", parsed->display);
        if (parsed->has_password)
                warn_password_on_command_line(err);
        return PF_OK;
}

static void redis_release_target(void *target)
{
        redis_target_wipe(target);
}

static int redis_finish(void *config, unsigned targets, struct pf_error *err)
{
        (void)targets;
        struct redis_config *cfg = config;
        const char *env = getenv("REDISCLI_AUTH");
        /* As redis-cli: an explicit password wins over the environment. An empty one is unset. */
        if (cfg->password_source == PASSWORD_NONE && env && *env) {
                if (strlen(env) > REDIS_SECRET_MAX)
                        return pf_error_set(err, "REDISCLI_AUTH: longer than %d bytes",
                                            REDIS_SECRET_MAX);
                return keep_password(cfg, env, strlen(env), PASSWORD_ENV, err);
        }
        return PF_OK;
}

static void redis_release(void *config)
{
        forget_password(config);
}

/* What one attempt sends: the URL's user, password and database first, then the options'. */
static struct redis_exchange exchange_for(const struct redis_config *cfg,
                                          const struct redis_target *target)
{
        struct redis_exchange ex = {
            .user = target->has_user ? target->user : cfg->user,
            .select = (target->has_db ? target->db : cfg->db) != 0,
            .db = target->has_db ? target->db : cfg->db,
            .role = cfg->role,
        };
        if (target->has_password) {
                ex.password = target->password;
                ex.password_len = target->password_len;
                ex.password_from = "the URL";
        } else if (cfg->password) {
                ex.password = cfg->password;
                ex.password_len = cfg->password_len;
                ex.password_from = cfg->password_source == PASSWORD_ENV    ? "REDISCLI_AUTH"
                                   : cfg->password_source == PASSWORD_FILE ? "--password-file"
                                                                           : "--password";
        }
        return ex;
}

static void redis_run(const void *config, const void *target, const struct attempt *attempt,
                      struct check_result *res)
{
        struct redis_exchange ex = exchange_for(config, target);
        redis_probe(target, &ex, attempt, res);
}

/* What completion offers (core/completion.c). */
static const struct check_completion redis_completion[] = {
    {NULL, "127.0.0.1: unix:/ redis://"},
    {"role", "master replica"},
    {NULL, NULL},
};

const struct check check_redis = {
    .name = "redis",
    .summary = "does this Redis answer PING with PONG, authenticated, and is it ready?",
    .usage = "TARGET... [--user NAME] [--password-file FILE] [--db N] "
             "[--role master|replica]",
    .help = "TARGET is HOST[:PORT], :PORT, [V6]:PORT, unix:/PATH or\n"
            "redis://[USER[:PASS]@]HOST[:PORT][/DB]; the default port is 6379.\n"
            "Connects, sends AUTH (when a password or user is given), SELECT (--db), PING\n"
            "and ROLE (--role) in one round trip, and passes when PING answers PONG.\n"
            "LOADING, BUSY, MASTERDOWN and a wrong role are 'not ready' (42, retried under\n"
            "--wait); NOAUTH, WRONGPASS, NOPERM are 'denied' (43, never retried); refused\n"
            "or unresolvable is 40; the deadline (-t) is 41 and bounds name resolution,\n"
            "connecting and every reply. The password comes from the URL, --password or\n"
            "--password-file, else REDISCLI_AUTH; it is never shown. No TLS (hiredis 0.14).",
    .options = redis_options,
    .min_targets = 1,
    /* No limit: core would echo the extra target, and a target may hold a password. */
    .max_targets = (unsigned)-1,
    .timeout_code = PF_REDIS_TIMEOUT,
    /* --invert fails when Redis still answers: the host is not ready for the service yet
     * (transient, retried under --wait). 40 would claim the opposite of what was seen. */
    .inverted_code = PF_REDIS_NOT_READY,
    .config_size = sizeof(struct redis_config),
    .target_size = sizeof(struct redis_target),
    .parse_option = redis_parse_option,
    .finish = redis_finish,
    .parse_target = redis_parse_target_arg,
    .run = redis_run,
    .release_target = redis_release_target,
    .release = redis_release,
    .completion = redis_completion,
};
