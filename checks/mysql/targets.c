/* mysql targets: HOST[:PORT], :PORT, [V6]:PORT, unix:/PATH and
 * mysql://[USER[:PASS]@]HOST[:PORT][/DB] (or mariadb://), parsed once into struct
 * mysql_target. The URL's host and port go through core's net_parse_host_port() as every other
 * form's do. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "checks/mysql/mysql_check.h"
#include "core/text.h"

/* A URL part decoded for Connector/C, which takes C strings: a %00 is refused. */
static bool percent_decode(const char *text, size_t len, char *out, size_t size)
{
        size_t n;
        return text_percent_decode(text, len, out, size, &n) && !memchr(out, '\0', n);
}

static int parse_unix(const char *text, struct mysql_target *out, struct pf_error *err)
{
        char q[QUOTE_BUF];
        const char *path = text + strlen("unix:");
        out->transport = MYSQL_CHECK_UNIX;
        if (strchr(path, '@')) {
                /* "unix:user:pass@..." is a URL mistyped: what precedes '@' may be a password. */
                snprintf(out->display, sizeof(out->display), "unix:***%s", strrchr(path, '@'));
                return pf_error_set(err,
                                    "'%s': a user or password in a unix: target is not "
                                    "supported: give unix:/PATH, with --user and "
                                    "--password-file or MYSQL_PWD",
                                    text_quote(out->display, q, sizeof(q)));
        }
        snprintf(out->display, sizeof(out->display), "%s", text);
        if (path[0] != '/')
                return pf_error_set(err,
                                    "'%s': the socket path must be absolute "
                                    "(unix:/run/mysqld/mysqld.sock)",
                                    text_quote(text, q, sizeof(q)));
        if (text_has_control(path))
                return pf_error_set(err, "'%s': control characters in the socket path",
                                    text_quote(text, q, sizeof(q)));
        if (strlen(path) >= sizeof(out->socket_path))
                return pf_error_set(err, "'%s': a socket path has at most %zu bytes",
                                    text_quote(text, q, sizeof(q)), sizeof(out->socket_path) - 1);
        snprintf(out->socket_path, sizeof(out->socket_path), "%s", path);
        return PF_OK;
}

/* The URL as messages show it: the user stays (a name, not a secret), the password goes. */
static void url_display(const char *scheme_end, const char *text, const char *userinfo,
                        const char *colon, const char *at, char *display, size_t size)
{
        char user[MYSQL_CHECK_NAME_MAX + 1], q[QUOTE_BUF];
        size_t user_len = (size_t)((colon ? colon : at) - userinfo);
        if (user_len >= sizeof(user))
                user_len = sizeof(user) - 1;
        memcpy(user, userinfo, user_len);
        user[user_len] = '\0';
        snprintf(display, size, "%.*s%s%s@%s", (int)(scheme_end - text), text,
                 text_quote(user, q, sizeof(q)), colon ? ":***" : "", at + 1);
}

static int parse_userinfo(const char *rest, const char *at, struct mysql_target *out,
                          struct pf_error *err)
{
        char q[QUOTE_BUF];
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        size_t user_len = (size_t)((colon ? colon : at) - rest);
        if (!percent_decode(rest, user_len, out->user, sizeof(out->user)) ||
            text_has_control(out->user))
                return pf_error_set(err, "'%s': the user name is malformed or too long",
                                    text_quote(out->display, q, sizeof(q)));
        out->has_user = out->user[0] != '\0';
        if (!colon)
                return PF_OK;
        if (!percent_decode(colon + 1, (size_t)(at - colon - 1), out->password,
                            sizeof(out->password)))
                return pf_error_set(err,
                                    "'%s': the password is malformed (a bad %%-escape or a NUL "
                                    "byte) or longer than %d bytes",
                                    text_quote(out->display, q, sizeof(q)), MYSQL_CHECK_SECRET_MAX);
        if (!out->password[0])
                return pf_error_set(err, "'%s': the password after ':' is empty",
                                    text_quote(out->display, q, sizeof(q)));
        out->has_password = true;
        return PF_OK;
}

static int parse_url(const char *text, const char *scheme_end, struct mysql_target *out,
                     struct pf_error *err)
{
        char q[QUOTE_BUF], authority[300];
        const char *rest = scheme_end;
        /* The last '@' ends the user part: a password may hold '@', ':' or '/' unescaped. */
        const char *at = strrchr(rest, '@');
        out->transport = MYSQL_CHECK_TCP;
        if (at) {
                url_display(scheme_end, text, rest, memchr(rest, ':', (size_t)(at - rest)), at,
                            out->display, sizeof(out->display));
                if (parse_userinfo(rest, at, out, err) != PF_OK)
                        return PF_USAGE;
                rest = at + 1;
        } else {
                snprintf(out->display, sizeof(out->display), "%s", text);
        }
        const char *slash = strchr(rest, '/');
        size_t authority_len = slash ? (size_t)(slash - rest) : strlen(rest);
        if (authority_len == 0)
                return pf_error_set(err, "'%s': the host is missing (mysql://HOST:PORT)",
                                    text_quote(out->display, q, sizeof(q)));
        if (authority_len >= sizeof(authority))
                return pf_error_set(err, "'%s': the host is too long",
                                    text_quote(out->display, q, sizeof(q)));
        memcpy(authority, rest, authority_len);
        authority[authority_len] = '\0';
        if (strpbrk(rest, "?#"))
                return pf_error_set(err, "'%s': URL parameters are not supported",
                                    text_quote(out->display, q, sizeof(q)));
        if (net_parse_host_port(authority, MYSQL_CHECK_DEFAULT_PORT, &out->address, err) != PF_OK)
                return PF_USAGE;
        if (!slash || !slash[1])
                return PF_OK;
        if (!percent_decode(slash + 1, strlen(slash + 1), out->db, sizeof(out->db)) ||
            text_has_control(out->db) || strchr(out->db, '/'))
                return pf_error_set(err, "'%s': the database name is malformed or too long",
                                    text_quote(out->display, q, sizeof(q)));
        out->has_db = true;
        return PF_OK;
}

int mysql_parse_target(const char *text, struct mysql_target *out, struct pf_error *err)
{
        memset(out, 0, sizeof(*out));
        snprintf(out->display, sizeof(out->display), "%s", "mysql");
        if (!text || !*text)
                return pf_error_set(err, "an empty target: give HOST[:PORT], unix:/PATH or a "
                                         "mysql:// URL");
        if (text_has_prefix_nocase(text, "unix:"))
                return parse_unix(text, out, err);
        if (text_has_prefix_nocase(text, "mysql://"))
                return parse_url(text, text + strlen("mysql://"), out, err);
        if (text_has_prefix_nocase(text, "mariadb://"))
                return parse_url(text, text + strlen("mariadb://"), out, err);
        const char *scheme = strstr(text, "://");
        if (scheme && text_is_url_scheme(text, scheme)) {
                char name[32], q[QUOTE_BUF];
                size_t len = (size_t)(scheme - text) < sizeof(name) - 1 ? (size_t)(scheme - text)
                                                                        : sizeof(name) - 1;
                memcpy(name, text, len);
                name[len] = '\0';
                return pf_error_set(err,
                                    "'%s://...': only mysql:// and mariadb:// URLs are targets "
                                    "(or HOST[:PORT], unix:/PATH)",
                                    text_quote(name, q, sizeof(q)));
        }
        if (strchr(text, '@'))
                /* Not repeated here: what comes before '@' may be a password. */
                return pf_error_set(err, "a target with '@' must be a URL: "
                                         "mysql://[USER[:PASS]@]HOST[:PORT][/DB]");
        snprintf(out->display, sizeof(out->display), "%s", text);
        out->transport = MYSQL_CHECK_TCP;
        return net_parse_host_port(text, MYSQL_CHECK_DEFAULT_PORT, &out->address, err);
}

void mysql_target_wipe(struct mysql_target *target)
{
        explicit_bzero(target->password, sizeof(target->password));
}
