/*
 * The postgres check's parts: targets (targets.c), libpq loaded with dlopen() (libpq.c), one
 * non-blocking login and query on the attempt's deadline (session.c), what a failure means and
 * what fixes it (errors.c), and the check itself (check.c). This header is also the seam
 * tests/check_postgres.c and the fuzz target reach the parts through.
 */
#ifndef PREFLIGHT_POSTGRES_H
#define PREFLIGHT_POSTGRES_H

#include <stdbool.h>
#include <stddef.h>

#include <postgresql/libpq-fe.h> /* types and prototypes only: loaded with dlopen() */

#include "core/check.h"
#include "core/net.h"

#define PG_DEFAULT_PORT 5432
#define PG_SECRET_MAX 1024 /* longest password accepted (bytes) */
#define PG_PARAMS_MAX 24   /* connection keywords one target may carry (a URI's) */
#define PG_LIBPQ_PACKAGE "libpq5"

/* ---- libpq (libpq.c) ---- */

/* libpq's public functions the check calls, typed from libpq-fe.h. */
struct pg_library {
        __typeof__(PQconninfoParse) *conninfo_parse;
        __typeof__(PQconninfoFree) *conninfo_free;
        __typeof__(PQfreemem) *freemem;
        __typeof__(PQconnectStartParams) *connect_start_params;
        __typeof__(PQconnectPoll) *connect_poll;
        __typeof__(PQsetErrorVerbosity) *set_error_verbosity;
        __typeof__(PQstatus) *status;
        __typeof__(PQsocket) *socket;
        __typeof__(PQerrorMessage) *error_message;
        __typeof__(PQparameterStatus) *parameter_status;
        __typeof__(PQuser) *user;
        __typeof__(PQdb) *db;
        __typeof__(PQsetnonblocking) *set_nonblocking;
        __typeof__(PQsendQuery) *send_query;
        __typeof__(PQflush) *flush;
        __typeof__(PQconsumeInput) *consume_input;
        __typeof__(PQisBusy) *is_busy;
        __typeof__(PQgetResult) *get_result;
        __typeof__(PQresultStatus) *result_status;
        __typeof__(PQresultErrorField) *result_error_field;
        __typeof__(PQresultErrorMessage) *result_error_message;
        __typeof__(PQntuples) *ntuples;
        __typeof__(PQnfields) *nfields;
        __typeof__(PQgetvalue) *get_value;
        __typeof__(PQclear) *clear;
        __typeof__(PQfinish) *finish;
};
extern struct pg_library pg_libpq;

/* Loads libpq once: PF_OK, PF_NO_LIBRARY (not installed: err names the package) or PF_INTERNAL
 * (installed but not loadable: err has the loader's words). */
int pg_load_libpq(struct pf_error *err);

/* ---- targets (targets.c) ---- */

enum pg_transport { PG_TCP, PG_UNIX };

/* One parsed target: where to connect, and the connection keywords a URI carried. */
struct pg_target {
        enum pg_transport transport;
        char host[256];  /* a name or address (TCP), the socket directory (unix) */
        char port[8];    /* as libpq takes it; empty: libpq's default (PGPORT, 5432) */
        unsigned params; /* keywords[i] = values[i], from a URI; values are malloc'd */
        char *keywords[PG_PARAMS_MAX];
        char *values[PG_PARAMS_MAX];
        bool has_password; /* the URI carries one (values holds it: wiped on release) */
};

/*
 * Parses HOST[:PORT], [V6]:PORT, :PORT, unix:/DIR and postgresql:// or postgres:// URIs (the
 * latter with libpq's PQconninfoParse, which must be loaded: PF_NO_LIBRARY or PF_INTERNAL
 * otherwise, with err saying so). shown (TARGET_SHOWN_SIZE bytes) gets the text every line
 * shows: a URI rebuilt from its parts with any password as "***".
 */
int pg_parse_target(const char *text, struct pg_target *out, char *shown, struct pf_error *err);

/* Frees what pg_parse_target() kept, wiping a password. */
void pg_target_release(struct pg_target *target);

/* The value a target's URI gave keyword, or NULL. */
const char *pg_target_param(const struct pg_target *target, const char *keyword);

/* Replaces every occurrence of secret (len bytes, len > 0) in text with "***", in place. */
void pg_redact(char *text, const char *secret, size_t len);

/* ---- errors (errors.c) ---- */

/* What a failed login or query means, from libpq's message (SQLSTATE-bearing). */
struct pg_failure {
        int code;         /* 80, 82, 83, or 1 */
        char sqlstate[6]; /* "28P01"; empty when the server said nothing */
        bool server_answered;
};

/* Reads the SQLSTATE out of a message libpq wrote with PQERRORS_VERBOSE ("FATAL:  28P01: ...")
 * into sqlstate (6 bytes); false when there is none. */
bool pg_message_sqlstate(const char *message, char *sqlstate);

/* Classifies a failed connection's message: the code, and whether the server answered at all. */
struct pg_failure pg_classify(const char *message);

/* The one-line cause for a message: the server's own words after the SQLSTATE, or libpq's last
 * line, cleaned for a terminal, into out. */
void pg_cause(const char *message, char *out, size_t size);

/* The fix for a failure: the pg_hba.conf line, ALTER ROLE, createdb, ... */
void pg_fix(const struct pg_failure *failure, const char *cause, const char *user,
            const char *dbname, struct check_result *res);

/* ---- one attempt (session.c) ---- */

enum pg_role { PG_ROLE_ANY, PG_ROLE_PRIMARY, PG_ROLE_STANDBY };

/* What an attempt connects with: the target's keywords first, then the options'. */
struct pg_login {
        const char *user, *dbname, *sslmode, *sslrootcert;
        const char *password; /* NULL: libpq's own rules (PGPASSWORD, PGPASSFILE, ~/.pgpass) */
        const char *password_from;
        enum pg_role role;
        bool ping;
};

void pg_probe(const struct pg_target *target, const struct pg_login *login,
              const struct attempt *attempt, struct check_result *res);

#endif
