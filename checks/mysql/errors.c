/* What each error Connector/C reports means for the check: its exit code and its fix. Server
 * errors are below 2000 (mysqld_error.h), the client's own 2000-2999 (errmsg.h). */
#include <stdio.h>
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "checks/mysql/mysql_check.h"

/* Not in every header: MariaDB's and MySQL's numbers for a locked account, an expired password
 * and a failed unix_socket login. */
#define ERROR_ACCOUNT_LOCKED_MARIADB 4151
#define ERROR_ACCOUNT_LOCKED_MYSQL 3118
#define ERROR_PASSWORD_EXPIRED 1862
#define ERROR_ACCESS_DENIED_NO_PASSWORD 1698

/* Connector/C's own errors are 2000-2999; servers number theirs below and above (MySQL 8 from
 * 3000, MariaDB from 4000). */
static bool is_client_error(unsigned error)
{
        return error >= 2000 && error < 3000;
}

int mysql_error_exit_code(unsigned error)
{
        switch (error) {
        case ER_CON_COUNT_ERROR:           /* 1040 too many connections */
        case ER_SERVER_SHUTDOWN:           /* 1053 shutting down */
        case ER_TOO_MANY_USER_CONNECTIONS: /* 1203 max_user_connections */
        case ER_USER_LIMIT_REACHED:        /* 1226 max_connections_per_hour and kin */
        case ER_LOCK_WAIT_TIMEOUT:
        case ER_QUERY_INTERRUPTED:
                return PF_MYSQL_NOT_READY;
        case ER_ACCESS_DENIED_ERROR:          /* 1045 */
        case ER_DBACCESS_DENIED_ERROR:        /* 1044 */
        case ER_BAD_DB_ERROR:                 /* 1049 */
        case ER_HOST_NOT_PRIVILEGED:          /* 1130 */
        case ER_HOST_IS_BLOCKED:              /* 1129 */
        case ER_SPECIFIC_ACCESS_DENIED_ERROR: /* 1227 */
        case ER_TABLEACCESS_DENIED_ERROR:
        case ERROR_ACCESS_DENIED_NO_PASSWORD:
        case ERROR_PASSWORD_EXPIRED:
        case ERROR_ACCOUNT_LOCKED_MARIADB:
        case ERROR_ACCOUNT_LOCKED_MYSQL:
        case CR_SSL_CONNECTION_ERROR: /* 2026 TLS refused, required, or not verified */
        case CR_AUTH_PLUGIN_CANNOT_LOAD:
                return PF_MYSQL_DENIED;
        case CR_OUT_OF_MEMORY:
                return PF_INTERNAL;
        }
        /* Any other client error: nothing, or nothing that speaks the protocol, answered
         * (refused, lost, a malformed packet); any other server error: not ready yet. */
        return is_client_error(error) ? PF_MYSQL_UNREACHABLE : PF_MYSQL_NOT_READY;
}

bool mysql_error_is_answer(unsigned error)
{
        return !is_client_error(error) && error != ER_CON_COUNT_ERROR &&
               error != ER_SERVER_SHUTDOWN;
}

/* 'app'@'%': the account a GRANT or ALTER USER names. */
static void account(const struct mysql_login *login, char *out, size_t size)
{
        snprintf(out, size, "'%s'@'%%'", login->user);
}

static void denied_fix(unsigned error, const struct mysql_login *login, const char *who,
                       struct check_result *res)
{
        const char *db = login->db ? login->db : "DB";
        switch (error) {
        case ER_ACCESS_DENIED_ERROR:
                if (login->password)
                        result_fix(res,
                                   "give the right password (%s), or set it on the server: "
                                   "ALTER USER %s IDENTIFIED BY '...'",
                                   login->password_from, who);
                else
                        result_fix(res,
                                   "give the password (--password-file FILE, MYSQL_PWD or the "
                                   "URL), or CREATE USER %s on the server",
                                   who);
                return;
        case ER_DBACCESS_DENIED_ERROR:
                result_fix(res,
                           "GRANT ALL ON `%s`.* TO %s, or CREATE DATABASE `%s` (MariaDB says "
                           "this also for a missing database when the account has no global "
                           "grant)",
                           db, who, db);
                return;
        case ER_BAD_DB_ERROR:
                result_fix(res, "CREATE DATABASE `%s`, or fix --dbname (or the URL's /DB)", db);
                return;
        case ER_HOST_NOT_PRIVILEGED:
                result_fix(res,
                           "CREATE USER '%s'@'THIS-HOST' (or '%s'@'%%') and GRANT it what "
                           "it needs",
                           login->user, login->user);
                return;
        case ER_HOST_IS_BLOCKED:
                result_fix(res, "run mariadb-admin flush-hosts on the server, and raise "
                                "max_connect_errors");
                return;
        case ER_SPECIFIC_ACCESS_DENIED_ERROR:
                result_fix(res,
                           "GRANT SLAVE MONITOR ON *.* TO %s (MariaDB 10.5 and later; "
                           "REPLICATION CLIENT on MySQL), or drop --role replica",
                           who);
                return;
        case CR_SSL_CONNECTION_ERROR:
                result_fix(res, login->ssl_ca
                                    ? "enable TLS on the server (ssl_cert, ssl_key) with a "
                                      "certificate --ssl-ca verifies, or fix --ssl-ca"
                                    : "fix the server's TLS settings (ssl_cert, ssl_key)");
                return;
        case CR_AUTH_PLUGIN_CANNOT_LOAD:
                result_fix(res, "install the Connector/C plugin the account's authentication "
                                "needs (libmariadb3), or ALTER USER it to another plugin");
                return;
        }
        result_fix(res, "ALTER USER %s ACCOUNT UNLOCK, or set a new password, on the server", who);
}

void mysql_error_fix(unsigned error, const struct mysql_login *login, struct check_result *res)
{
        char who[MYSQL_CHECK_NAME_MAX + 8];
        account(login, who, sizeof(who));
        switch (mysql_error_exit_code(error)) {
        case PF_MYSQL_DENIED:
                denied_fix(error, login, who, res);
                return;
        case PF_MYSQL_NOT_READY:
                if (error == ER_CON_COUNT_ERROR || error == ER_TOO_MANY_USER_CONNECTIONS)
                        result_fix(res, "wait for connections to close (--wait), or raise "
                                        "max_connections (max_user_connections) on the server");
                else if (error == ER_SERVER_SHUTDOWN)
                        result_fix(res, "the server is shutting down: wait for it to start "
                                        "again (--wait)");
                else
                        result_fix(res, "wait for the server (--wait), or look at its error log");
                return;
        case PF_MYSQL_UNREACHABLE:
                if (error == CR_SERVER_LOST || error == CR_SERVER_HANDSHAKE_ERR ||
                    error == CR_MALFORMED_PACKET || error == CR_SERVER_GONE_ERROR) {
                        result_fix(res, "the port answers, but not as MySQL does, or the server "
                                        "closed the connection: check the port, and the "
                                        "server's error log");
                        return;
                }
                result_fix(res, "start the server, or fix the host and port (bind-address and "
                                "port in its configuration); --wait waits for it");
                return;
        }
}

void mysql_server_text(const char *text, const char *secret, char *out, size_t size)
{
        size_t n = 0, secret_len = secret ? strlen(secret) : 0;
        if (size == 0)
                return;
        for (const char *c = text ? text : ""; *c && n + 1 < size;) {
                if (secret_len && strncmp(c, secret, secret_len) == 0) {
                        for (const char *s = "***"; *s && n + 1 < size; s++)
                                out[n++] = *s;
                        c += secret_len;
                        continue;
                }
                unsigned char b = (unsigned char)*c++;
                out[n++] = b >= 0x20 && b < 0x7f ? (char)b : '?';
        }
        out[n] = '\0';
}
