/*
 * The mysql check's parts: targets (targets.c), MariaDB Connector/C loaded with dlopen
 * (connector.c), one attempt driven through the library's non-blocking API (session.c), what
 * each server and client error means (errors.c) and the check itself (check.c). This header is
 * also the seam tests/check_mysql.c and the fuzz target reach the parts through.
 */
#ifndef PREFLIGHT_MYSQL_CHECK_H
#define PREFLIGHT_MYSQL_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <mysql.h> /* types and prototypes only: the library is loaded with dlopen() */

#include "core/check.h"
#include "core/net.h"

#define MYSQL_CHECK_DEFAULT_PORT 3306
#define MYSQL_CHECK_SECRET_MAX 512 /* longest password accepted (bytes) */
#define MYSQL_CHECK_NAME_MAX 255   /* a user name (MariaDB: 80 characters) or a database name */
#define MYSQL_CHECK_PACKAGE "libmariadb3"
/* The largest packet Connector/C may take from a server: the answers to SELECT 1 and SHOW
 * SLAVE STATUS fit many times over. Its default (1 GiB) would let a peer that announces a big
 * packet fill memory at the speed of the socket until the deadline. */
#define MYSQL_CHECK_PACKET_MAX (256 * 1024)

/* ---- targets (targets.c) ---- */

enum mysql_transport { MYSQL_CHECK_TCP, MYSQL_CHECK_UNIX };

/* One parsed target. Holds a password when the URL has one: wipe it with mysql_target_wipe(). */
struct mysql_target {
        enum mysql_transport transport;
        struct host_port address; /* MYSQL_CHECK_TCP */
        char socket_path[108];    /* MYSQL_CHECK_UNIX: fits sockaddr_un.sun_path with its NUL */
        bool has_user, has_password, has_db;
        char user[MYSQL_CHECK_NAME_MAX + 1];       /* percent-decoded */
        char password[MYSQL_CHECK_SECRET_MAX + 1]; /* percent-decoded, a C string */
        char db[MYSQL_CHECK_NAME_MAX + 1];
        char display[256]; /* what every message shows: the URL with its password as "***" */
};

/*
 * Parses HOST[:PORT], :PORT, [V6]:PORT, unix:/PATH and
 * mysql://[USER[:PASS]@]HOST[:PORT][/DB] (or mariadb://). Errors name the target in its
 * display form, so a password never reaches them.
 */
int mysql_parse_target(const char *text, struct mysql_target *out, struct pf_error *err);
void mysql_target_wipe(struct mysql_target *target);

/* ---- errors (errors.c) ---- */

enum mysql_role { MYSQL_ROLE_ANY, MYSQL_ROLE_PRIMARY, MYSQL_ROLE_REPLICA };

/* What the attempt logs in as, for messages and fixes. */
struct mysql_login {
        const char *user;          /* never NULL */
        const char *password;      /* NULL: none */
        const char *password_from; /* "the URL", "MYSQL_PWD", "--password-file" */
        const char *db;            /* NULL: none */
        const char *ssl_ca;        /* NULL: TLS as the server offers it */
        enum mysql_role role;
        bool ping;
};

/* The exit code for a Connector/C error number (the client's own 2000-2999, a server's below
 * or above) given while connecting or querying. */
int mysql_error_exit_code(unsigned error);
/* The fix for error (as code classified it); sets nothing when there is none to give. */
void mysql_error_fix(unsigned error, const struct mysql_login *login, struct check_result *res);
/* Whether --ping passes on error: the server answered (a denial too), as mysqladmin ping. */
bool mysql_error_is_answer(unsigned error);
/* What a server said, for a message: printable ASCII only ('?' for the rest), and secret,
 * should it appear, as "***". */
void mysql_server_text(const char *text, const char *secret, char *out, size_t size);

/* ---- Connector/C (connector.c) ---- */

struct mysql_library {
        __typeof__(mysql_init) *init;
        __typeof__(mysql_options) *options;
        __typeof__(mysql_close) *close;
        __typeof__(mysql_errno) *error_number;
        __typeof__(mysql_error) *error;
        __typeof__(mysql_get_socket) *get_socket;
        __typeof__(mysql_get_timeout_value_ms) *get_timeout_value_ms;
        __typeof__(mysql_get_server_info) *get_server_info;
        __typeof__(mysql_get_ssl_cipher) *get_ssl_cipher;
        __typeof__(mysql_real_connect_start) *real_connect_start;
        __typeof__(mysql_real_connect_cont) *real_connect_cont;
        __typeof__(mysql_real_query_start) *real_query_start;
        __typeof__(mysql_real_query_cont) *real_query_cont;
        __typeof__(mysql_store_result_start) *store_result_start;
        __typeof__(mysql_store_result_cont) *store_result_cont;
        __typeof__(mysql_free_result) *free_result;
        __typeof__(mysql_fetch_row) *fetch_row;
        __typeof__(mysql_num_fields) *num_fields;
        __typeof__(mysql_fetch_fields) *fetch_fields;
};
extern struct mysql_library mysql_connector;

/* Loads libmariadb.so.3 once: PF_OK, PF_NO_LIBRARY (not installed) or PF_INTERNAL (installed
 * but not loadable), with why holding the loader's words; see dl_load(). */
int mysql_load_connector(char *why, size_t why_size);

/* ---- one attempt (session.c) ---- */

/* Loads Connector/C, resolves within the deadline, logs in, sends SELECT 1 (and what --role
 * asks) and judges the answers; res says how it went (with --verbose, each step). */
void mysql_probe(const struct mysql_target *target, const struct mysql_login *login,
                 const struct attempt *attempt, struct check_result *res);

#endif
