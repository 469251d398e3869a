/* redis targets: HOST[:PORT], :PORT, [V6]:PORT, unix:/path and
 * redis://[USER[:PASS]@]HOST[:PORT][/DB], parsed once into struct redis_target. hiredis has no
 * URL parser; the URL's host and port go through core's net_parse_host_port() as every other
 * form's do. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "checks/redis/redis.h"
#include "core/text.h"

static int parse_unix(const char *text, struct redis_target *out, struct pf_error *err)
{
        char q[QUOTE_BUF];
        const char *path = text + strlen("unix:");
        const char *at = strrchr(path, '@');
        /* Not a path ("unix:user:pass@host", a URL mistyped), or one of the
         * unix://[[USER]:PASS@]/PATH URLs other clients take (redis-py): what precedes '@' may
         * be a password, and is not shown. */
        bool url = path[0] != '/' || (path[1] == '/' && at);
        out->transport = REDIS_UNIX;
        if (url && at)
                snprintf(out->display, sizeof(out->display), "unix:***%s", at);
        else
                snprintf(out->display, sizeof(out->display), "%s", text);
        if (path[0] != '/')
                return pf_error_set(err,
                                    "'%s': the socket path must be absolute (unix:/run/redis/"
                                    "redis-server.sock)",
                                    text_quote(out->display, q, sizeof(q)));
        if (url)
                return pf_error_set(err,
                                    "'%s': a user or password in a unix:// URL is not "
                                    "supported: give unix:/PATH, and the password with "
                                    "REDISCLI_AUTH or --password-file",
                                    text_quote(out->display, q, sizeof(q)));
        if (text_has_control(path))
                return pf_error_set(err, "'%s': control characters in the socket path",
                                    text_quote(text, q, sizeof(q)));
        if (strlen(path) >= sizeof(out->socket_path))
                return pf_error_set(err, "'%s': a socket path has at most %zu bytes",
                                    text_quote(text, q, sizeof(q)), sizeof(out->socket_path) - 1);
        snprintf(out->socket_path, sizeof(out->socket_path), "%s", path);
        return PF_OK;
}

/* The URL as messages show it: the user stays (it is a name, not a secret), the password goes. */
static void url_display(const char *userinfo, const char *colon, const char *at, char *display,
                        size_t size)
{
        char user[256], q[QUOTE_BUF];
        size_t user_len = (size_t)((colon ? colon : at) - userinfo);
        if (user_len >= sizeof(user))
                user_len = sizeof(user) - 1;
        memcpy(user, userinfo, user_len);
        user[user_len] = '\0';
        snprintf(display, size, "redis://%s%s@%s", text_quote(user, q, sizeof(q)),
                 colon ? ":***" : "", at + 1);
}

static int parse_db(const char *display, const char *text, struct redis_target *out,
                    struct pf_error *err)
{
        if (!*text)
                return PF_OK; /* "redis://host/" is database 0, as redis-cli reads it */
        if (!text_parse_ulong(text, 0, REDIS_DB_MAX, &out->db)) {
                char q[QUOTE_BUF];
                return pf_error_set(err, "'%s': the database after '/' must be a number 0-%lu",
                                    text_quote(display, q, sizeof(q)), REDIS_DB_MAX);
        }
        out->has_db = true;
        return PF_OK;
}

static int parse_url(const char *text, struct redis_target *out, struct pf_error *err)
{
        char q[QUOTE_BUF], authority[300];
        const char *rest = text + strlen("redis://");
        /* The last '@' ends the user part: a password may hold '@', ':' or '/' unescaped. */
        const char *at = strrchr(rest, '@');
        out->transport = REDIS_TCP;
        if (at) {
                const char *colon = memchr(rest, ':', (size_t)(at - rest));
                url_display(rest, colon, at, out->display, sizeof(out->display));
                size_t user_len = (size_t)((colon ? colon : at) - rest);
                if (!text_percent_decode(rest, user_len, out->user, sizeof(out->user), &user_len) ||
                    strlen(out->user) != user_len || text_has_control(out->user))
                        return pf_error_set(err, "'%s': the user name is malformed or too long",
                                            text_quote(out->display, q, sizeof(q)));
                out->has_user = user_len > 0;
                if (colon) {
                        if (!text_percent_decode(colon + 1, (size_t)(at - colon - 1), out->password,
                                                 sizeof(out->password), &out->password_len))
                                return pf_error_set(err,
                                                    "'%s': the password is malformed (a bad "
                                                    "%%-escape) or longer than %d bytes",
                                                    text_quote(out->display, q, sizeof(q)),
                                                    REDIS_SECRET_MAX);
                        if (out->password_len == 0)
                                return pf_error_set(err, "'%s': the password after ':' is empty",
                                                    text_quote(out->display, q, sizeof(q)));
                        out->has_password = true;
                }
                rest = at + 1;
        } else {
                snprintf(out->display, sizeof(out->display), "%s", text);
        }
        const char *slash = strchr(rest, '/');
        size_t authority_len = slash ? (size_t)(slash - rest) : strlen(rest);
        if (authority_len == 0)
                return pf_error_set(err, "'%s': the host is missing (redis://HOST:PORT)",
                                    text_quote(out->display, q, sizeof(q)));
        if (authority_len >= sizeof(authority))
                return pf_error_set(err, "'%s': the host is too long",
                                    text_quote(out->display, q, sizeof(q)));
        memcpy(authority, rest, authority_len);
        authority[authority_len] = '\0';
        if (strpbrk(slash ? slash : "", "?#"))
                return pf_error_set(err, "'%s': URL parameters are not supported",
                                    text_quote(out->display, q, sizeof(q)));
        if (net_parse_host_port(authority, REDIS_DEFAULT_PORT, &out->address, err) != PF_OK)
                return PF_USAGE;
        return slash ? parse_db(out->display, slash + 1, out, err) : PF_OK;
}

int redis_parse_target(const char *text, struct redis_target *out, struct pf_error *err)
{
        memset(out, 0, sizeof(*out));
        snprintf(out->display, sizeof(out->display), "%s", "redis");
        if (!text || !*text)
                return pf_error_set(err, "an empty target: give HOST[:PORT], unix:/path or a "
                                         "redis:// URL");
        if (text_has_prefix_nocase(text, "unix:"))
                return parse_unix(text, out, err);
        if (text_has_prefix_nocase(text, "rediss://"))
                return pf_error_set(err, "rediss:// (TLS) is not supported: this preflight talks "
                                         "to Redis through hiredis 0.14, which has no TLS");
        if (text_has_prefix_nocase(text, "redis://"))
                return parse_url(text, out, err);
        const char *scheme = strstr(text, "://");
        if (scheme && text_is_url_scheme(text, scheme)) {
                char name[32], q[QUOTE_BUF];
                size_t len = (size_t)(scheme - text) < sizeof(name) - 1 ? (size_t)(scheme - text)
                                                                        : sizeof(name) - 1;
                memcpy(name, text, len);
                name[len] = '\0';
                return pf_error_set(err,
                                    "'%s://...': only redis:// URLs are targets (or "
                                    "HOST[:PORT], unix:/path)",
                                    text_quote(name, q, sizeof(q)));
        }
        if (strchr(text, '@'))
                /* Not repeated here: what comes before '@' may be a password. */
                return pf_error_set(err, "a target with '@' must be a URL: "
                                         "redis://[USER[:PASS]@]HOST[:PORT][/DB]");
        snprintf(out->display, sizeof(out->display), "%s", text);
        out->transport = REDIS_TCP;
        return net_parse_host_port(text, REDIS_DEFAULT_PORT, &out->address, err);
}

void redis_target_wipe(struct redis_target *target)
{
        explicit_bzero(target->password, sizeof(target->password));
        target->password_len = 0;
}
