/*
 * One attempt: resolve with core's bounded resolver, hand libpq the addresses (hostaddr=, so its
 * own blocking lookup never runs), log in with PQconnectStartParams()/PQconnectPoll() and query
 * with PQsendQuery()/PQconsumeInput(), waiting on libpq's socket with poll_until() for the time
 * left. Whatever the server does, the attempt ends by its deadline.
 */
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/postgres/postgres.h"
#include "core/clock.h"
#include "core/net.h"

#define ADDRESSES_MAX 4 /* of a name, tried in turn by libpq */
#define KEYWORDS_MAX (PG_PARAMS_MAX + 12)

struct keywords {
        const char *keys[KEYWORDS_MAX + 1], *values[KEYWORDS_MAX + 1];
        unsigned count;
};

static bool has_key(const struct keywords *kw, const char *key)
{
        for (unsigned i = 0; i < kw->count; i++)
                if (strcmp(kw->keys[i], key) == 0)
                        return true;
        return false;
}

/* Adds key=value unless the target's URI gave key already (the URI's settings come first). */
static void add(struct keywords *kw, const char *key, const char *value)
{
        if (!value || kw->count == KEYWORDS_MAX || has_key(kw, key))
                return;
        kw->keys[kw->count] = key;
        kw->values[kw->count++] = value;
        kw->keys[kw->count] = kw->values[kw->count] = NULL;
}

/* The numeric addresses of host, comma-separated as libpq's hostaddr= takes them, and host
 * repeated as often (libpq wants as many of one as of the other). */
static bool resolve(const struct pg_target *target, uint64_t deadline_us, char *addrs,
                    size_t addrs_size, char *hosts, size_t hosts_size, struct check_result *res)
{
        unsigned long port = PG_DEFAULT_PORT;
        const char *env = getenv("PGPORT");
        if (target->port[0])
                port = strtoul(target->port, NULL, 10);
        else if (env)
                port = strtoul(env, NULL, 10);
        struct addrinfo *list = NULL;
        char why[256];
        switch (
            net_resolve(target->host, (unsigned short)port, deadline_us, &list, why, sizeof(why))) {
        case NET_OK:
                break;
        case NET_TIMEOUT:
                result_set(res, PF_POSTGRES_TIMEOUT, "%s", why);
                return false;
        case NET_SYSTEM:
                result_set(res, PF_INTERNAL, "%s", why);
                return false;
        default:
                result_set(res, PF_POSTGRES_UNREACHABLE, "%s", why);
                result_fix(res, "check the host name (DNS, /etc/hosts)");
                return false;
        }
        size_t used = 0, hosts_used = 0;
        unsigned count = 0;
        addrs[0] = hosts[0] = '\0';
        for (struct addrinfo *ai = list; ai && count < ADDRESSES_MAX; ai = ai->ai_next) {
                char text[NI_MAXHOST];
                if (getnameinfo(ai->ai_addr, ai->ai_addrlen, text, sizeof(text), NULL, 0,
                                NI_NUMERICHOST) != 0 ||
                    strstr(addrs, text))
                        continue;
                size_t need = strlen(text) + 2, host_need = strlen(target->host) + 2;
                if (used + need > addrs_size || hosts_used + host_need > hosts_size)
                        break;
                used += (size_t)snprintf(addrs + used, addrs_size - used, "%s%s", count ? "," : "",
                                         text);
                hosts_used += (size_t)snprintf(hosts + hosts_used, hosts_size - hosts_used, "%s%s",
                                               count ? "," : "", target->host);
                count++;
        }
        freeaddrinfo(list);
        if (count == 0)
                result_set(res, PF_POSTGRES_UNREACHABLE, "%s has no usable address", target->host);
        return count > 0;
}

/* The redacted words of a failed connection, its code and its fix. */
static void report_failure(PGconn *conn, const struct pg_login *login, const char *secret,
                           struct check_result *res)
{
        char message[1024], cause[400];
        snprintf(message, sizeof(message), "%s", pg_libpq.error_message(conn));
        if (secret)
                pg_redact(message, secret, strlen(secret));
        struct pg_failure f = pg_classify(message);
        pg_cause(message, cause, sizeof(cause));
        const char *user = pg_libpq.user(conn), *db = pg_libpq.db(conn);
        user = user && *user ? user : "USER";
        db = db && *db ? db : user;
        if (login->ping && f.server_answered && strcmp(f.sqlstate, "57P03") != 0) {
                result_set(res, PF_OK,
                           "answers (the login was not accepted: %s%s%s%s; --ping "
                           "does not judge it)",
                           cause, f.sqlstate[0] ? " (" : "", f.sqlstate, f.sqlstate[0] ? ")" : "");
                return;
        }
        const char *what = f.code == PF_POSTGRES_DENIED      ? "denied: "
                           : f.code == PF_POSTGRES_NOT_READY ? "not ready: "
                           : f.server_answered               ? ""
                                                             : "unreachable: ";
        result_set(res, f.code, "%s%s%s%s%s", what, cause, f.sqlstate[0] ? " (" : "", f.sqlstate,
                   f.sqlstate[0] ? ")" : "");
        pg_fix(&f, cause, user, db, res);
}

/* Waits for what libpq asked for; false (res set) at the deadline or when poll() fails. */
static bool wait_socket(PGconn *conn, short events, uint64_t deadline_us, const char *doing,
                        struct check_result *res)
{
        int ready = poll_until(pg_libpq.socket(conn), events, deadline_us);
        if (ready > 0)
                return true;
        if (ready == 0)
                result_set(res, PF_POSTGRES_TIMEOUT, "no answer in time (%s)", doing);
        else
                result_set(res, PF_INTERNAL, "poll: %s", strerror(-ready));
        return false;
}

static const char *connect_phase(PGconn *conn)
{
        switch (pg_libpq.status(conn)) {
        case CONNECTION_STARTED:
                return "connecting";
        case CONNECTION_MADE:
        case CONNECTION_SSL_STARTUP:
        case CONNECTION_GSS_STARTUP:
                return "connected, waiting for the server to start the login";
        default:
                return "connected, waiting for the server to finish the login";
        }
}

static bool log_in(PGconn *conn, const struct pg_login *login, const char *secret,
                   uint64_t deadline_us, struct check_result *res)
{
        PostgresPollingStatusType polled = PGRES_POLLING_WRITING;
        while (polled != PGRES_POLLING_OK) {
                if (polled == PGRES_POLLING_FAILED) {
                        report_failure(conn, login, secret, res);
                        return false;
                }
                /* --ping: the server took the login (57P03 would have come before it); the
                 * session it starts next (catalogs, ReadyForQuery) is pg_isready's wait, not
                 * an answer. */
                if (login->ping && pg_libpq.status(conn) == CONNECTION_AUTH_OK) {
                        result_set(res, PF_OK, "answers and accepted the login of %s",
                                   pg_libpq.user(conn));
                        return false;
                }
                short events = polled == PGRES_POLLING_READING ? POLLIN : POLLOUT;
                if (!wait_socket(conn, events, deadline_us, connect_phase(conn), res))
                        return false;
                polled = pg_libpq.connect_poll(conn);
        }
        return true;
}

/* Sends query and takes its one value into value (size bytes); false with res set otherwise. */
static bool ask(PGconn *conn, const char *query, uint64_t deadline_us, char *value, size_t size,
                struct check_result *res)
{
        static const char doing[] = "logged in, waiting for the answer to the query";
        if (pg_libpq.set_nonblocking(conn, 1) != 0 || !pg_libpq.send_query(conn, query)) {
                result_set(res, PF_POSTGRES_UNREACHABLE, "cannot send the query: %s",
                           pg_libpq.error_message(conn));
                return false;
        }
        int flushed;
        while ((flushed = pg_libpq.flush(conn)) == 1)
                if (!wait_socket(conn, POLLOUT | POLLIN, deadline_us, doing, res) ||
                    !pg_libpq.consume_input(conn))
                        break;
        bool ok = flushed == 0, answered = false;
        value[0] = '\0';
        while (ok) {
                while (ok && pg_libpq.is_busy(conn))
                        ok = wait_socket(conn, POLLIN, deadline_us, doing, res) &&
                             pg_libpq.consume_input(conn);
                PGresult *result = ok ? pg_libpq.get_result(conn) : NULL;
                if (!result)
                        break;
                if (pg_libpq.result_status(result) == PGRES_TUPLES_OK &&
                    pg_libpq.ntuples(result) == 1 && pg_libpq.nfields(result) == 1) {
                        snprintf(value, size, "%s", pg_libpq.get_value(result, 0, 0));
                        answered = true;
                } else if (!answered && res->code == PF_OK) {
                        char cause[400];
                        const char *state = pg_libpq.result_error_field(result, PG_DIAG_SQLSTATE);
                        pg_cause(pg_libpq.result_error_message(result), cause, sizeof(cause));
                        struct pg_failure f = {.code = PF_POSTGRES_NOT_READY};
                        if (state && strlen(state) == 5) {
                                snprintf(f.sqlstate, sizeof(f.sqlstate), "%s", state);
                                char message[16];
                                snprintf(message, sizeof(message), "ERROR:  %s:", state);
                                f = pg_classify(message);
                        }
                        result_set(res, f.code, "the query failed: %s%s%s%s", cause,
                                   f.sqlstate[0] ? " (" : "", f.sqlstate, f.sqlstate[0] ? ")" : "");
                        ok = false;
                }
                pg_libpq.clear(result);
        }
        if (ok && !answered)
                result_set(res, PF_POSTGRES_UNREACHABLE,
                           "the connection closed before the answer: %s",
                           pg_libpq.error_message(conn));
        else if (!ok && res->code == PF_OK)
                result_set(res, PF_POSTGRES_UNREACHABLE, "the connection broke: %s",
                           pg_libpq.error_message(conn));
        return ok && answered;
}

/* "15.4" of "15.4 (Debian 15.4-1.pgdg120+1)". */
static void server_version(PGconn *conn, char *out, size_t size)
{
        const char *v = pg_libpq.parameter_status(conn, "server_version");
        snprintf(out, size, "%.*s", v ? (int)strcspn(v, " ") : 0, v ? v : "");
}

static void judge(PGconn *conn, const struct pg_login *login, uint64_t deadline_us,
                  struct check_result *res)
{
        char version[64], value[16];
        const char *role = NULL;
        server_version(conn, version, sizeof(version));
        const char *user = pg_libpq.user(conn), *db = pg_libpq.db(conn);
        if (login->ping) {
                result_set(res, PF_OK, "answers and accepts %s@%s (PostgreSQL %s)", user, db,
                           version);
                return;
        }
        const char *query = login->role == PG_ROLE_ANY ? "SELECT 1" : "SELECT pg_is_in_recovery()";
        if (!ask(conn, query, deadline_us, value, sizeof(value), res))
                return;
        if (login->role != PG_ROLE_ANY) {
                bool standby = strcmp(value, "t") == 0;
                role = standby ? "standby" : "primary";
                if (standby != (login->role == PG_ROLE_STANDBY)) {
                        result_set(res, PF_POSTGRES_NOT_READY,
                                   "not ready: accepts %s@%s but is a %s, not a %s", user, db, role,
                                   standby ? "primary" : "standby");
                        result_fix(res, standby ? "point the service at the primary, or wait for "
                                                  "a promotion (--wait)"
                                                : "point the service at a standby, or give "
                                                  "--role primary");
                        return;
                }
        } else {
                /* PostgreSQL 14 and later report it at login: no query needed to name it. */
                const char *hot = pg_libpq.parameter_status(conn, "in_hot_standby");
                role = !hot ? NULL : strcmp(hot, "on") == 0 ? "standby" : "primary";
        }
        result_set(res, PF_OK, "accepts %s@%s (%s%sPostgreSQL %s)", user, db, role ? role : "",
                   role ? ", " : "", version);
}

/* The options' keywords, after the target's: the port, the login, TLS. */
static void add_login(struct keywords *kw, const struct pg_target *target,
                      const struct pg_login *login)
{
        add(kw, "port", target->port[0] ? target->port : NULL);
        add(kw, "user", login->user);
        add(kw, "dbname", login->dbname);
        add(kw, "password", login->password);
        add(kw, "sslmode", login->sslmode);
        add(kw, "sslrootcert", login->sslrootcert);
        /* GSSAPI encryption would look for Kerberos credentials first, which may block. */
        add(kw, "gssencmode", "disable");
        add(kw, "fallback_application_name", "preflight");
}

void pg_probe(const struct pg_target *target, const struct pg_login *login,
              const struct attempt *attempt, struct check_result *res)
{
        uint64_t started = clock_now_us();
        char addrs[ADDRESSES_MAX * (NI_MAXHOST + 1)];
        /* Here, not in the branch that fills it: kw points into it until the connection starts. */
        // cppcheck-suppress variableScope
        char hosts[ADDRESSES_MAX * 257];
        struct keywords kw = {.count = 0};
        for (unsigned i = 0; i < target->params; i++)
                add(&kw, target->keywords[i], target->values[i]);
        if (target->transport == PG_TCP) {
                if (!resolve(target, attempt->deadline_us, addrs, sizeof(addrs), hosts,
                             sizeof(hosts), res))
                        return;
                add(&kw, "host", hosts);
                add(&kw, "hostaddr", addrs);
        } else {
                add(&kw, "host", target->host);
        }
        add_login(&kw, target, login);
        const char *secret = pg_target_param(target, "password");
        secret = secret ? secret : login->password;

        PGconn *conn = pg_libpq.connect_start_params(kw.keys, kw.values, 0);
        if (!conn) {
                result_set(res, PF_INTERNAL, "libpq: out of memory");
                return;
        }
        /* The server's SQLSTATE in the message: libpq has no call that returns it for a
         * connection that failed. */
        pg_libpq.set_error_verbosity(conn, PQERRORS_VERBOSE);
        if (pg_libpq.status(conn) == CONNECTION_BAD)
                report_failure(conn, login, secret, res);
        else if (log_in(conn, login, secret, attempt->deadline_us, res))
                judge(conn, login, attempt->deadline_us, res);
        if (attempt->verbose) {
                uint64_t us = clock_now_us() - started;
                result_detail(res, "%s%s%s; password from %s; %llu.%llums",
                              target->transport == PG_TCP ? "addresses " : "socket directory ",
                              target->transport == PG_TCP ? addrs : target->host,
                              target->port[0] ? "" : " (libpq's default port)",
                              login->password_from, (unsigned long long)(us / 1000),
                              (unsigned long long)(us % 1000 / 100));
        }
        pg_libpq.finish(conn);
}
