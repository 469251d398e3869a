/* One attempt: Connector/C's non-blocking API (MYSQL_OPT_NONBLOCK) driven by core's
 * poll_until() on the library's socket for the time left, so that no step can outlast the
 * deadline. Names are resolved first by core's bounded resolver and Connector/C is given the
 * numeric address: its own lookup would block. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <errmsg.h>

#include "checks/mysql/mysql_check.h"
#include "core/clock.h"

#define LIB mysql_connector

struct session {
        MYSQL *conn;
        const struct mysql_login *login;
        uint64_t deadline_us;
        bool timed_out;
        int waited_for; /* the MYSQL_WAIT_* flags of the last wait */
        char log[700];
        size_t log_used;
};

__attribute__((format(printf, 2, 3))) static void note(struct session *s, const char *fmt, ...)
{
        if (s->log_used + 3 >= sizeof(s->log))
                return;
        if (s->log_used)
                s->log[s->log_used++] = ';', s->log[s->log_used++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(s->log + s->log_used, sizeof(s->log) - s->log_used, fmt, ap);
        va_end(ap);
        if (n > 0)
                s->log_used += (size_t)n < sizeof(s->log) - s->log_used
                                   ? (size_t)n
                                   : sizeof(s->log) - s->log_used - 1;
}

/* Waits for what Connector/C asked (status: MYSQL_WAIT_* flags) until the deadline, or the
 * library's own timeout when it set one. Returns the flags for the _cont call, or 0 when the
 * deadline passed. */
static int wait_for_library(struct session *s, int status)
{
        short events = (short)(((status & MYSQL_WAIT_READ) ? POLLIN : 0) |
                               ((status & MYSQL_WAIT_WRITE) ? POLLOUT : 0) |
                               ((status & MYSQL_WAIT_EXCEPT) ? POLLPRI : 0));
        uint64_t until = s->deadline_us;
        if (status & MYSQL_WAIT_TIMEOUT) {
                uint64_t own = clock_now_us() + (uint64_t)LIB.get_timeout_value_ms(s->conn) * 1000;
                if (until == 0 || own < until)
                        until = own;
        }
        int ready = poll_until((int)LIB.get_socket(s->conn), events, until);
        if (ready > 0 || ready == -EBADF)
                return status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT);
        /* The deadline (or poll failing, which waiting longer would not mend). */
        if (ready < 0 || deadline_passed(s->deadline_us) || until == s->deadline_us) {
                s->timed_out = true;
                s->waited_for = status;
                return 0;
        }
        return MYSQL_WAIT_TIMEOUT;
}

/* Each operation: start, then continue while the library waits. false when the deadline
 * came first (the operation is abandoned mid-way). */
#define DRIVE(s, start_call, cont_call)                                                            \
        do {                                                                                       \
                int status_ = (start_call);                                                        \
                while (status_) {                                                                  \
                        int ready_ = wait_for_library((s), status_);                               \
                        if (!ready_)                                                               \
                                return false;                                                      \
                        status_ = (cont_call);                                                     \
                }                                                                                  \
        } while (0)

static bool drive_connect(struct session *s, const char *host, unsigned port, const char *socket,
                          bool *connected)
{
        MYSQL *ret = NULL;
        const struct mysql_login *l = s->login;
        DRIVE(s,
              LIB.real_connect_start(&ret, s->conn, host, l->user, l->password ? l->password : "",
                                     l->db, port, socket, 0),
              LIB.real_connect_cont(&ret, s->conn, ready_));
        *connected = ret != NULL;
        return true;
}

static bool drive_query(struct session *s, const char *query, MYSQL_RES **result)
{
        int failed = 0;
        *result = NULL;
        DRIVE(s, LIB.real_query_start(&failed, s->conn, query, strlen(query)),
              LIB.real_query_cont(&failed, s->conn, ready_));
        if (failed)
                return true;
        DRIVE(s, LIB.store_result_start(result, s->conn),
              LIB.store_result_cont(result, s->conn, ready_));
        return true;
}

static bool open_connection(struct session *s, struct check_result *res)
{
        char why[512];
        int r = mysql_load_connector(why, sizeof(why));
        if (r == PF_NO_LIBRARY) {
                result_set(res, PF_NO_LIBRARY,
                           "MariaDB Connector/C (libmariadb.so.3) is not installed: %s", why);
                result_fix(res, "install it: apt-get install " MYSQL_CHECK_PACKAGE);
                return false;
        }
        if (r != PF_OK) {
                result_set(res, PF_INTERNAL,
                           "MariaDB Connector/C is installed but cannot be loaded: %s", why);
                result_fix(res, "look at the unit's LimitAS= (or ulimit -v) and at ldd on "
                                "libmariadb.so.3");
                return false;
        }
        if (!(s->conn = LIB.init(NULL))) {
                result_set(res, PF_INTERNAL, "out of memory");
                return false;
        }
        my_bool on = 1;
        unsigned long packet = MYSQL_CHECK_PACKET_MAX;
        bool failed = LIB.options(s->conn, MYSQL_OPT_NONBLOCK, NULL) ||
                      LIB.options(s->conn, MYSQL_OPT_MAX_ALLOWED_PACKET, &packet);
        if (s->login->ssl_ca)
                failed = failed || LIB.options(s->conn, MYSQL_OPT_SSL_CA, s->login->ssl_ca) ||
                         LIB.options(s->conn, MYSQL_OPT_SSL_ENFORCE, &on) ||
                         LIB.options(s->conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
        if (failed) {
                result_set(res, PF_INTERNAL, "Connector/C refused an option: %s",
                           LIB.error(s->conn));
                return false;
        }
        return true;
}

/* A library error as the attempt's result: its code, its words and its fix. */
static void library_failed(struct session *s, const char *during, struct check_result *res)
{
        unsigned error = LIB.error_number(s->conn);
        char said[400];
        mysql_server_text(LIB.error(s->conn), s->login->password, said, sizeof(said));
        int code = mysql_error_exit_code(error);
        if (error == CR_SERVER_LOST || error == CR_SERVER_GONE_ERROR)
                code = PF_MYSQL_UNREACHABLE;
        result_set(res, code, "%s: %s (error %u)", during, said, error);
        mysql_error_fix(error, s->login, res);
}

static void timed_out(const char *during, struct check_result *res)
{
        result_set(res, PF_MYSQL_TIMEOUT, "timed out %s", during);
        result_fix(res, "a server that accepts but does not answer is stuck or not MySQL; "
                        "raise --timeout or look at the server");
}

/* The value of column name in the one row of result, or NULL. */
static const char *column(MYSQL_RES *result, MYSQL_ROW row, const char *name)
{
        unsigned n = LIB.num_fields(result);
        MYSQL_FIELD *fields = LIB.fetch_fields(result);
        for (unsigned i = 0; i < n && fields; i++)
                if (strcmp(fields[i].name, name) == 0)
                        return row[i];
        return NULL;
}

static void judge_replica(struct session *s, MYSQL_RES *result, struct check_result *res)
{
        MYSQL_ROW row = LIB.fetch_row(result);
        if (!row) {
                result_set(res, PF_MYSQL_NOT_READY, "not a replica (SHOW SLAVE STATUS is empty)");
                result_fix(res, "point at the replica, or set it up: CHANGE MASTER TO ...; "
                                "START SLAVE");
                return;
        }
        const char *io = column(result, row, "Slave_IO_Running");
        const char *sql = column(result, row, "Slave_SQL_Running");
        char io_text[32], sql_text[32], last[300];
        mysql_server_text(io ? io : "?", NULL, io_text, sizeof(io_text));
        mysql_server_text(sql ? sql : "?", NULL, sql_text, sizeof(sql_text));
        note(s, "replica threads: IO %s, SQL %s", io_text, sql_text);
        if (io && sql && strcmp(io, "Yes") == 0 && strcmp(sql, "Yes") == 0) {
                result_set(res, PF_OK, "replica");
                return;
        }
        const char *error = column(result, row, "Last_IO_Error");
        if (!error || !*error)
                error = column(result, row, "Last_SQL_Error");
        mysql_server_text(error && *error ? error : "none", s->login->password, last, sizeof(last));
        result_set(res, PF_MYSQL_NOT_READY,
                   "a replica whose threads are not running: IO %s, SQL %s (last error: %s)",
                   io_text, sql_text, last);
        result_fix(res, "START SLAVE on the replica, or fix what the last error says "
                        "(--wait waits for it to catch up)");
}

/* SELECT 1 (and the role's question); false when the deadline came first. */
static bool ask(struct session *s, struct check_result *res)
{
        MYSQL_RES *result = NULL;
        const char *query =
            s->login->role == MYSQL_ROLE_PRIMARY ? "SELECT 1, @@global.read_only" : "SELECT 1";
        if (!drive_query(s, query, &result))
                return false;
        if (!result) {
                library_failed(s, "SELECT 1 failed", res);
                return true;
        }
        if (s->login->role == MYSQL_ROLE_PRIMARY) {
                MYSQL_ROW row = LIB.fetch_row(result); /* 1, then read_only */
                bool writable = row && row[1] && strcmp(row[1], "0") == 0;
                LIB.free_result(result);
                if (writable) {
                        result_set(res, PF_OK, "primary");
                        return true;
                }
                result_set(res, PF_MYSQL_NOT_READY,
                           "read-only (@@global.read_only is not 0): not a primary");
                result_fix(res,
                           "point at the primary, or SET GLOBAL read_only = 0 once it is promoted");
                return true;
        }
        LIB.free_result(result);
        result_set(res, PF_OK, "answers");
        if (s->login->role != MYSQL_ROLE_REPLICA)
                return true;
        if (!drive_query(s, "SHOW SLAVE STATUS", &result))
                return false;
        if (!result) {
                library_failed(s, "SHOW SLAVE STATUS failed", res);
                return true;
        }
        judge_replica(s, result, res);
        LIB.free_result(result);
        return true;
}

static void close_connection(struct session *s)
{
        if (!s->conn)
                return;
        /* An operation abandoned at the deadline: the socket is shut first, so that the
         * COM_QUIT mysql_close() sends fails at once instead of waiting on the peer. */
        int fd = (int)LIB.get_socket(s->conn);
        if (s->timed_out && fd >= 0)
                shutdown(fd, SHUT_RDWR);
        LIB.close(s->conn);
        s->conn = NULL;
}

/* What a pass says: who logged in where, the role, the server's version and TLS. */
static void passed(struct session *s, struct check_result *res)
{
        char role[16], version[80], message[sizeof(res->message)];
        snprintf(role, sizeof(role), "%.15s", res->message); /* ask()'s word */
        mysql_server_text(LIB.get_server_info(s->conn), NULL, version, sizeof(version));
        const char *cipher = LIB.get_ssl_cipher(s->conn);
        if (s->login->ping) {
                snprintf(message, sizeof(message), "answers (%s%s%s)", version,
                         cipher ? ", TLS with " : "", cipher ? cipher : "");
        } else {
                snprintf(message, sizeof(message), "accepts %s%s%s (%s%s%s%s%s)", s->login->user,
                         s->login->db ? "@" : "", s->login->db ? s->login->db : "",
                         strcmp(role, "answers") ? role : "", strcmp(role, "answers") ? ", " : "",
                         version, cipher ? ", TLS with " : "", cipher ? cipher : "");
        }
        result_set(res, PF_OK, "%s", message);
}

/* Logs in at one address (or socket) and asks; false when connecting was refused and the next
 * address may be tried. */
static bool attempt_at(struct session *s, const char *host, unsigned port, const char *socket,
                       const char *where, bool last, struct check_result *res)
{
        bool connected = false;
        uint64_t started = clock_now_us();
        if (!open_connection(s, res))
                return true;
        if (!drive_connect(s, host, port, socket, &connected)) {
                /* Only a TCP connect waits to write before the greeting: no SYN-ACK came. */
                timed_out((s->waited_for & MYSQL_WAIT_WRITE) && !(s->waited_for & MYSQL_WAIT_READ)
                              ? "connecting (the connection was neither accepted nor refused)"
                              : "logging in (no whole answer from the server)",
                          res);
                return true;
        }
        if (!connected) {
                unsigned error = LIB.error_number(s->conn);
                note(s, "%s: error %u", where, error);
                /* Refused or unreachable here (Connector/C says 2002 for TCP too): the next
                 * address the name has may answer. */
                if ((error == CR_CONN_HOST_ERROR || error == CR_CONNECTION_ERROR) && !last)
                        return false;
                if (s->login->ping && mysql_error_is_answer(error)) {
                        char said[300];
                        mysql_server_text(LIB.error(s->conn), s->login->password, said,
                                          sizeof(said));
                        result_set(res, PF_OK, "answers (the login was refused: %s)", said);
                        return true;
                }
                library_failed(s, "cannot log in", res);
                return true;
        }
        note(s, "logged in at %s in %llu ms", where,
             (unsigned long long)((clock_now_us() - started) / 1000));
        if (s->login->ping) {
                result_set(res, PF_OK, "answers");
                passed(s, res);
                return true;
        }
        if (!ask(s, res))
                timed_out("waiting for the answer to a query", res);
        else if (res->code == PF_OK)
                passed(s, res);
        return true;
}

static void probe_tcp(struct session *s, const struct host_port *address, struct check_result *res)
{
        struct addrinfo *ai = NULL;
        char why[300];
        switch (net_resolve(address->host, address->port, s->deadline_us, &ai, why, sizeof(why))) {
        case NET_OK:
                break;
        case NET_TIMEOUT:
                result_set(res, PF_MYSQL_TIMEOUT, "%s", why);
                result_fix(res, "the resolver did not answer in time: look at /etc/resolv.conf, "
                                "or raise --timeout");
                return;
        case NET_SYSTEM:
                result_set(res, PF_INTERNAL, "%s", why);
                return;
        default:
                result_set(res, PF_MYSQL_UNREACHABLE, "%s", why);
                result_fix(res, "check the host name (DNS, /etc/hosts)");
                return;
        }
        for (struct addrinfo *a = ai; a; a = a->ai_next) {
                char host[NI_MAXHOST], where[NI_MAXHOST + 8];
                if (getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof(host), NULL, 0,
                                NI_NUMERICHOST) != 0)
                        continue;
                snprintf(where, sizeof(where), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
                         address->port);
                bool done = attempt_at(s, host, address->port, NULL, where, !a->ai_next, res);
                if (done)
                        break;
                close_connection(s);
        }
        freeaddrinfo(ai);
}

void mysql_probe(const struct mysql_target *target, const struct mysql_login *login,
                 const struct attempt *attempt, struct check_result *res)
{
        struct session s = {.login = login, .deadline_us = attempt->deadline_us};
        /* Connector/C writes without MSG_NOSIGNAL in places, and sets SIGPIPE to SIG_IGN when
         * it starts: ignored while it runs, then put back, so a COMMAND run after the checks
         * gets the disposition preflight was started with. */
        struct sigaction ignore = {.sa_handler = SIG_IGN}, saved;
        sigemptyset(&ignore.sa_mask);
        bool restore = sigaction(SIGPIPE, &ignore, &saved) == 0;
        result_set(res, PF_MYSQL_UNREACHABLE, "no address to connect to");
        if (target->transport == MYSQL_CHECK_UNIX)
                attempt_at(&s, "localhost", 0, target->socket_path, target->socket_path, true, res);
        else
                probe_tcp(&s, &target->address, res);
        close_connection(&s);
        if (restore)
                sigaction(SIGPIPE, &saved, NULL);
        if (attempt->verbose && s.log_used)
                result_detail(res, "%s", s.log);
}
