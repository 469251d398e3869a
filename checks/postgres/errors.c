/* What a failed PostgreSQL login or query means (an exit code, from the SQLSTATE the server sent
 * or from libpq's own words when it sent none) and what fixes it. */
#include <stdio.h>
#include <string.h>

#include "checks/postgres/postgres.h"

bool pg_message_sqlstate(const char *message, char *sqlstate)
{
        /* PQERRORS_VERBOSE: "SEVERITY:  SQLSTATE: text"; the severity is FATAL for a refused
         * login, ERROR for a query, PANIC on a crash. */
        static const char *const severities[] = {"FATAL:  ", "ERROR:  ", "PANIC:  "};
        for (size_t i = 0; i < sizeof(severities) / sizeof(severities[0]); i++) {
                const char *at = strstr(message, severities[i]);
                if (!at)
                        continue;
                at += strlen(severities[i]);
                bool ok = strlen(at) >= 5;
                for (int k = 0; ok && k < 5; k++)
                        ok = (at[k] >= '0' && at[k] <= '9') || (at[k] >= 'A' && at[k] <= 'Z');
                if (ok && (at[5] == ':' || at[5] == '\0' || at[5] == '\n')) {
                        memcpy(sqlstate, at, 5);
                        sqlstate[5] = '\0';
                        return true;
                }
        }
        sqlstate[0] = '\0';
        return false;
}

static int sqlstate_code(const char *sqlstate)
{
        if (strncmp(sqlstate, "28", 2) == 0 || strcmp(sqlstate, "3D000") == 0 ||
            strcmp(sqlstate, "42501") == 0)
                return PF_POSTGRES_DENIED; /* password, pg_hba.conf, role, database, CONNECT */
        if (strncmp(sqlstate, "08", 2) == 0)
                return PF_POSTGRES_UNREACHABLE; /* the connection broke */
        /* 57P03 starting up, shutting down, in recovery; 53300 too many connections; 57P01
         * and 57P02 shutting down; any other answer: the server is there but not accepting. */
        return PF_POSTGRES_NOT_READY;
}

struct pg_failure pg_classify(const char *message)
{
        struct pg_failure f = {.code = PF_POSTGRES_UNREACHABLE};
        if (pg_message_sqlstate(message, f.sqlstate)) {
                f.code = sqlstate_code(f.sqlstate);
                f.server_answered = true;
                return f;
        }
        /* Not PostgreSQL's protocol: whatever answered is not the server. */
        static const char *const not_postgres[] = {"invalid response to SSL negotiation",
                                                   "expected authentication request",
                                                   "unexpected message", "invalid message"};
        for (size_t i = 0; i < sizeof(not_postgres) / sizeof(not_postgres[0]); i++)
                if (strstr(message, not_postgres[i]))
                        return f;
        /* libpq's own words: the server asked for what we do not have, or TLS went wrong. */
        static const char *const denials[] = {"no password supplied", "SSL",
                                              "certificate",          "GSSAPI",
                                              "channel binding",      "server requested"};
        for (size_t i = 0; i < sizeof(denials) / sizeof(denials[0]); i++)
                if (strstr(message, denials[i])) {
                        f.code = PF_POSTGRES_DENIED;
                        f.server_answered = !strstr(message, "root certificate file") &&
                                            !strstr(message, "could not read");
                        return f;
                }
        if (strstr(message, "Permission denied"))
                f.code = PF_POSTGRES_DENIED; /* the socket's mode */
        else if (strstr(message, "out of memory") || strstr(message, "could not create socket"))
                f.code = PF_INTERNAL;
        return f;
}

/* Printable ASCII only: the message may carry what a hostile server sent. */
static void clean_copy(const char *text, size_t len, char *out, size_t size)
{
        size_t n = 0;
        for (size_t i = 0; i < len && n + 1 < size; i++) {
                unsigned char c = (unsigned char)text[i];
                out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        out[n] = '\0';
}

void pg_cause(const char *message, char *out, size_t size)
{
        char sqlstate[6];
        const char *text = message;
        if (pg_message_sqlstate(message, sqlstate)) {
                text = strstr(message, sqlstate) + 5;
                text += strspn(text, ": ");
        } else {
                /* "connection to server at "h", port p failed: why": the last attempt's why. */
                const char *failed, *from = message;
                while ((failed = strstr(from, " failed: ")) != NULL)
                        from = text = failed + strlen(" failed: ");
        }
        size_t len = strcspn(text, "\n");
        while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\r'))
                len--;
        if (len == 0)
                clean_copy("no reason given", 15, out, size);
        else
                clean_copy(text, len, out, size);
}

/* The client address in 'no pg_hba.conf entry for host "ADDR", ...', for the line to add. */
static void hba_address(const char *cause, char *out, size_t size)
{
        const char *at = strstr(cause, "for host \"");
        snprintf(out, size, "ADDRESS/32");
        if (!at)
                return;
        at += strlen("for host \"");
        size_t len = strcspn(at, "\"");
        if (len > 0 && len < 64)
                snprintf(out, size, "%.*s/%s", (int)len, at, memchr(at, ':', len) ? "128" : "32");
}

static void fix_denied(const struct pg_failure *f, const char *cause, const char *user,
                       const char *db, struct check_result *res)
{
        char address[80];
        if (strcmp(f->sqlstate, "28P01") == 0)
                result_fix(res,
                           "give %s's password (--password-file, PGPASSWORD or a ~/.pgpass "
                           "line), or set it: ALTER ROLE \"%s\" PASSWORD '...'",
                           user, user);
        else if (strcmp(f->sqlstate, "3D000") == 0)
                result_fix(res, "create it: createdb -O %s %s (or fix --dbname)", user, db);
        else if (strcmp(f->sqlstate, "42501") == 0)
                result_fix(res, "GRANT CONNECT ON DATABASE \"%s\" TO \"%s\"", db, user);
        else if (strstr(cause, "does not exist"))
                result_fix(res,
                           "create the role: CREATE ROLE \"%s\" LOGIN PASSWORD '...' (or "
                           "fix --user)",
                           user);
        else if (strstr(cause, "not permitted to log in"))
                result_fix(res, "ALTER ROLE \"%s\" LOGIN", user);
        else if (strstr(cause, "no pg_hba.conf entry") && strstr(cause, "for host \"") &&
                 !strstr(cause, "for host \"[local]\"")) {
                hba_address(cause, address, sizeof(address));
                result_fix(res,
                           "add to pg_hba.conf: host%s %s %s %s scram-sha-256 (then SELECT "
                           "pg_reload_conf())",
                           strstr(cause, "SSL encryption") ? "ssl" : "", db, user, address);
        } else if (strstr(cause, "no pg_hba.conf entry"))
                result_fix(res,
                           "add to pg_hba.conf: local %s %s scram-sha-256 (then SELECT "
                           "pg_reload_conf())",
                           db, user);
        else if (strstr(cause, "rejects connection"))
                result_fix(res,
                           "a reject line in pg_hba.conf matches %s@%s: move a line that "
                           "allows it above it",
                           user, db);
        else if (strstr(cause, "no password supplied"))
                result_fix(res, "give a password: --password-file, PGPASSWORD, or a ~/.pgpass "
                                "line HOST:PORT:DB:USER:PASSWORD (mode 0600)");
        else if (strstr(cause, "does not support SSL"))
                result_fix(res, "turn on ssl in postgresql.conf, or lower --sslmode");
        else if (strstr(cause, "certificate") || strstr(cause, "SSL"))
                result_fix(res, "give the CA that signed the server's certificate with "
                                "--sslrootcert, or fix the server's certificate");
        else if (strstr(cause, "Permission denied"))
                result_fix(res, "let this user reach the socket (unix_socket_permissions, "
                                "unix_socket_group; SupplementaryGroups= in the unit)");
}

void pg_fix(const struct pg_failure *f, const char *cause, const char *user, const char *db,
            struct check_result *res)
{
        if (f->code == PF_POSTGRES_DENIED)
                fix_denied(f, cause, user, db, res);
        else if (strcmp(f->sqlstate, "53300") == 0)
                result_fix(res, "raise max_connections or close idle connections (see "
                                "pg_stat_activity); --wait retries");
        else if (strcmp(f->sqlstate, "57P03") == 0)
                result_fix(res, "wait for the server to start or finish recovery (--wait); a "
                                "standby with hot_standby = off never accepts connections");
        else if (f->code == PF_POSTGRES_UNREACHABLE && strstr(cause, "No such file"))
                result_fix(res, "start PostgreSQL, or check unix_socket_directories and the port");
        else if (f->code == PF_POSTGRES_UNREACHABLE && !f->server_answered)
                result_fix(res, "start PostgreSQL, or fix the host and port (listen_addresses "
                                "and port in postgresql.conf); --wait waits for it");
}
