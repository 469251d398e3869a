/* mysql: does this MySQL or MariaDB accept this login, and is it ready? The check's
 * declaration, its options and where the password comes from; the parts are in this folder. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/mysql/mysql_check.h"
#include "core/text.h"

enum { OPT_USER, OPT_PASSWORD_FILE, OPT_DBNAME, OPT_ROLE, OPT_SSL_CA, OPT_PING };

static const struct check_option mysql_check_options[] = {
    [OPT_USER] = {"user", 0, "NAME", "log in as NAME (default: the user preflight runs as)"},
    [OPT_PASSWORD_FILE] = {"password-file", 0, "FILE",
                           "read the password from FILE (default: $MYSQL_PWD)"},
    [OPT_DBNAME] = {"dbname", 0, "DB", "log in to database DB"},
    [OPT_ROLE] = {"role", 0, "ROLE",
                  "primary (not read-only), or replica (IO and SQL threads running)"},
    [OPT_SSL_CA] = {"ssl-ca", 0, "FILE",
                    "require TLS and verify the server's certificate against FILE"},
    [OPT_PING] = {"ping", 0, NULL,
                  "pass on any answer from the server, a refused login too (mysqladmin ping)"},
    {NULL, 0, NULL, NULL},
};

struct mysql_config {
        const char *user, *db, *ssl_ca;
        char os_user[MYSQL_CHECK_NAME_MAX + 1];
        char *password; /* malloc'd, wiped on release */
        const char *password_from;
        enum mysql_role role;
        bool ping;
};

static void forget_password(struct mysql_config *cfg)
{
        if (cfg->password) {
                explicit_bzero(cfg->password, strlen(cfg->password));
                free(cfg->password);
        }
        cfg->password = NULL;
        cfg->password_from = NULL;
}

static int keep_password(struct mysql_config *cfg, const char *secret, size_t len, const char *from,
                         struct pf_error *err)
{
        forget_password(cfg);
        cfg->password = malloc(len + 1);
        if (!cfg->password) {
                pf_error_set(err, "out of memory");
                return PF_INTERNAL;
        }
        memcpy(cfg->password, secret, len);
        cfg->password[len] = '\0';
        cfg->password_from = from;
        return PF_OK;
}

/* Reads all of fd into buf (size bytes; one more than the longest line accepted). */
static ssize_t read_up_to(int fd, char *buf, size_t size)
{
        size_t len = 0;
        while (len < size) {
                ssize_t n = read(fd, buf + len, size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        return (ssize_t)len;
}

/* One line: what `echo secret > FILE` and systemd's LoadCredential= files hold. */
static int read_password_file(struct mysql_config *cfg, const char *path, struct pf_error *err)
{
        char q[QUOTE_BUF], buf[MYSQL_CHECK_SECRET_MAX + 3];
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return pf_error_set(err, "--password-file: cannot open '%s': %s",
                                    text_quote(path, q, sizeof(q)), strerror(errno));
        ssize_t got = read_up_to(fd, buf, sizeof(buf));
        int error = errno;
        close(fd);
        if (got < 0)
                return pf_error_set(err, "--password-file: cannot read '%s': %s",
                                    text_quote(path, q, sizeof(q)), strerror(error));
        size_t len = (size_t)got;
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len > 0 && buf[len - 1] == '\r')
                len--;
        int r;
        if (len > MYSQL_CHECK_SECRET_MAX)
                r = pf_error_set(err,
                                 "--password-file: '%s' is longer than a password (%d bytes "
                                 "at most)",
                                 text_quote(path, q, sizeof(q)), MYSQL_CHECK_SECRET_MAX);
        else if (len == 0)
                r = pf_error_set(err, "--password-file: '%s' is empty",
                                 text_quote(path, q, sizeof(q)));
        else if (memchr(buf, '\n', len) || memchr(buf, '\0', len))
                r = pf_error_set(err,
                                 "--password-file: '%s' has more than one line (or a NUL "
                                 "byte)",
                                 text_quote(path, q, sizeof(q)));
        else
                r = keep_password(cfg, buf, len, "--password-file", err);
        explicit_bzero(buf, sizeof(buf));
        return r;
}

static bool bad_name(const char *value)
{
        return !*value || strlen(value) > MYSQL_CHECK_NAME_MAX || text_has_control(value);
}

static int mysql_parse_option(void *config, unsigned option, const char *value,
                              struct pf_error *err)
{
        struct mysql_config *cfg = config;
        char q[QUOTE_BUF];
        switch (option) {
        case OPT_USER:
                cfg->user = value;
                if (bad_name(value))
                        return pf_error_set(err, "--user: '%s' is not a user name",
                                            text_quote_hiding_userinfo(value, q, sizeof(q)));
                return PF_OK;
        case OPT_PASSWORD_FILE:
                return read_password_file(cfg, value, err);
        case OPT_DBNAME:
                cfg->db = value;
                if (bad_name(value))
                        return pf_error_set(err, "--dbname: '%s' is not a database name",
                                            text_quote_hiding_userinfo(value, q, sizeof(q)));
                return PF_OK;
        case OPT_ROLE:
                if (strcmp(value, "primary") == 0)
                        cfg->role = MYSQL_ROLE_PRIMARY;
                else if (strcmp(value, "replica") == 0)
                        cfg->role = MYSQL_ROLE_REPLICA;
                else
                        return pf_error_set(err, "--role: '%s' is not primary or replica",
                                            text_quote_hiding_userinfo(value, q, sizeof(q)));
                return PF_OK;
        case OPT_SSL_CA:
                cfg->ssl_ca = value;
                if (access(value, R_OK) != 0)
                        return pf_error_set(err, "--ssl-ca: cannot read '%s': %s",
                                            text_quote(value, q, sizeof(q)), strerror(errno));
                return PF_OK;
        case OPT_PING:
                cfg->ping = true;
                return PF_OK;
        }
        return pf_error_set(err, "unknown option");
}

static int mysql_finish(void *config, unsigned targets, struct pf_error *err)
{
        (void)targets;
        struct mysql_config *cfg = config;
        if (cfg->ping && cfg->role != MYSQL_ROLE_ANY)
                return pf_error_set(err, "give --ping or --role, not both: --ping does not log "
                                         "in");
        /* As the mysql client: the user preflight runs as, when none is named. */
        const struct passwd *pw = getpwuid(geteuid());
        snprintf(cfg->os_user, sizeof(cfg->os_user), "%s", pw ? pw->pw_name : "root");
        const char *env = getenv("MYSQL_PWD");
        if (!cfg->password && env && *env) {
                if (strlen(env) > MYSQL_CHECK_SECRET_MAX)
                        return pf_error_set(err, "MYSQL_PWD: longer than %d bytes",
                                            MYSQL_CHECK_SECRET_MAX);
                return keep_password(cfg, env, strlen(env), "MYSQL_PWD", err);
        }
        return PF_OK;
}

static int mysql_parse_target_arg(const void *config, const char *arg, void *target, char *shown,
                                  struct pf_error *err)
{
        (void)config;
        struct mysql_target *parsed = target;
        int r = mysql_parse_target(arg, parsed, err);
        if (r != PF_OK)
                return r;
        snprintf(shown, TARGET_SHOWN_SIZE, "%s", parsed->display);
        if (parsed->has_password)
                pf_warning_set(err, "a password in the URL can be read by other users (ps, "
                                    "/proc, a readable chain file); use MYSQL_PWD or "
                                    "--password-file FILE");
        return PF_OK;
}

static void mysql_release_target(void *target)
{
        mysql_target_wipe(target);
}

static void mysql_release(void *config)
{
        forget_password(config);
}

static void mysql_run(const void *config, const void *target, const struct attempt *attempt,
                      struct check_result *res)
{
        const struct mysql_config *cfg = config;
        const struct mysql_target *t = target;
        struct mysql_login login = {
            .user = t->has_user ? t->user
                    : cfg->user ? cfg->user
                                : cfg->os_user,
            .password = t->has_password ? t->password : cfg->password,
            .password_from = t->has_password ? "the URL" : cfg->password_from,
            .db = t->has_db ? t->db : cfg->db,
            .ssl_ca = cfg->ssl_ca,
            .role = cfg->role,
            .ping = cfg->ping,
        };
        mysql_probe(t, &login, attempt, res);
}

/* What completion offers (core/completion.c). */
static const struct check_completion mysql_completion[] = {
    {NULL, "127.0.0.1: unix:/ mysql:// mariadb://"},
    {"role", "primary replica"},
    {NULL, NULL},
};

const struct check check_mysql = {
    .name = "mysql",
    .summary = "does this MySQL or MariaDB accept this login, and is it ready?",
    .usage = "TARGET... [--user NAME] [--password-file FILE] [--dbname DB] "
             "[--role primary|replica] [--ssl-ca FILE] [--ping]",
    .help = "TARGET is HOST[:PORT], :PORT, [V6]:PORT, unix:/PATH or\n"
            "mysql://[USER[:PASS]@]HOST[:PORT][/DB] (or mariadb://); the default port is 3306.\n"
            "Logs in and passes when SELECT 1 is answered; --role primary also wants\n"
            "@@global.read_only 0, --role replica both replication threads running (SHOW SLAVE\n"
            "STATUS: SLAVE MONITOR or SUPER). --ping passes on any answer, access denied too.\n"
            "Too many connections (1040), shutting down (1053), stopped replica threads and a\n"
            "wrong role are 'not ready' (92, retried under --wait); 1045, 1044, 1049, 1130,\n"
            "1227 and TLS failures are 'denied' (93, never retried); refused or unresolvable\n"
            "is 90; the deadline (-t) is 91 and bounds name resolution, connecting, the login\n"
            "and every answer. The password comes from the URL or --password-file, else\n"
            "MYSQL_PWD; it is never shown. --ssl-ca requires TLS (no plaintext fallback).",
    .options = mysql_check_options,
    .min_targets = 1,
    /* No limit: core would echo the extra target, and a target may hold a password. */
    .max_targets = (unsigned)-1,
    .timeout_code = PF_MYSQL_TIMEOUT,
    /* --invert fails when the server still accepts the login: not ready for the service yet. */
    .inverted_code = PF_MYSQL_NOT_READY,
    .config_size = sizeof(struct mysql_config),
    .target_size = sizeof(struct mysql_target),
    .parse_option = mysql_parse_option,
    .finish = mysql_finish,
    .parse_target = mysql_parse_target_arg,
    .run = mysql_run,
    .release_target = mysql_release_target,
    .release = mysql_release,
    .completion = mysql_completion,
};
