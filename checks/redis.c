/* redis: does this Redis answer PING with PONG, authenticated, and is it ready? */
#include "checks/redis.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/dl.h"
#include "core/report.h"
#include "core/text.h"

#define HIREDIS_PACKAGE "libhiredis0.14"

/* ------------------------------------------------------------------------------------------ */
/* Targets */

static bool has_prefix_nocase(const char *text, const char *prefix)
{
        return strncasecmp(text, prefix, strlen(prefix)) == 0;
}

static bool has_control_characters(const char *text)
{
        for (const unsigned char *c = (const unsigned char *)text; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        return true;
        return false;
}

/* Whether text up to end is a URL scheme (RFC 3986: a letter, then letters, digits, '+', '-'
 * and '.'), so that what precedes a "://" can be named in a message: anything else before it
 * (':', '@', '/') is not a scheme but part of a mistyped target, and may be a password. */
static bool is_scheme(const char *text, const char *end)
{
        if (text == end || !isalpha((unsigned char)*text))
                return false;
        for (const char *c = text; c < end; c++)
                if (!isalnum((unsigned char)*c) && !strchr("+-.", *c))
                        return false;
        return true;
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)tolower((unsigned char)c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool redis_percent_decode(const char *text, size_t len, char *out, size_t size, size_t *out_len)
{
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                char c = text[i];
                if (c == '%') {
                        if (i + 2 >= len)
                                return false;
                        int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
                        if (high < 0 || low < 0)
                                return false;
                        c = (char)(high * 16 + low);
                        i += 2;
                }
                if (n + 1 >= size)
                        return false;
                out[n++] = c;
        }
        out[n] = '\0';
        *out_len = n;
        return true;
}

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
        if (has_control_characters(path))
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
                if (!redis_percent_decode(rest, user_len, out->user, sizeof(out->user),
                                          &user_len) ||
                    strlen(out->user) != user_len || has_control_characters(out->user))
                        return pf_error_set(err, "'%s': the user name is malformed or too long",
                                            text_quote(out->display, q, sizeof(q)));
                out->has_user = user_len > 0;
                if (colon) {
                        if (!redis_percent_decode(colon + 1, (size_t)(at - colon - 1),
                                                  out->password, sizeof(out->password),
                                                  &out->password_len))
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
        if (has_prefix_nocase(text, "unix:"))
                return parse_unix(text, out, err);
        if (has_prefix_nocase(text, "rediss://"))
                return pf_error_set(err, "rediss:// (TLS) is not supported: this preflight talks "
                                         "to Redis through hiredis 0.14, which has no TLS");
        if (has_prefix_nocase(text, "redis://"))
                return parse_url(text, out, err);
        const char *scheme = strstr(text, "://");
        if (scheme && is_scheme(text, scheme)) {
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

/* ------------------------------------------------------------------------------------------ */
/* Replies */

/* Copies what a server said for a message: printable ASCII only, and the password, should the
 * server echo it (an unknown AUTH repeats its arguments), as "***". */
static void server_text(const char *text, size_t len, const char *secret, size_t secret_len,
                        char *out, size_t size)
{
        size_t n = 0;
        if (size == 0)
                return;
        for (size_t i = 0; i < len && n + 4 < size;) {
                if (secret_len > 0 && len - i >= secret_len &&
                    memcmp(text + i, secret, secret_len) == 0) {
                        memcpy(out + n, "***", 3);
                        n += 3;
                        i += secret_len;
                        continue;
                }
                unsigned char c = (unsigned char)text[i++];
                out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        out[n] = '\0';
}

/* The first word of an error: Redis puts its error code there ("-LOADING Redis is ..."). */
static bool error_code_is(const char *error, const char *code)
{
        size_t len = strlen(code);
        return strncmp(error, code, len) == 0 && (error[len] == ' ' || error[len] == '\0');
}

bool redis_array_plausible(long long elements)
{
        return elements >= 0 && elements <= REDIS_ANSWER_MAX / 3; /* "+\r\n" is the shortest */
}

int redis_error_prefix_code(const char *error)
{
        static const char *const not_ready[] = {"LOADING", "BUSY", "MASTERDOWN"};
        /* DENIED: protected mode refuses clients from other hosts when there is no password. */
        static const char *const denied[] = {"NOAUTH", "WRONGPASS", "NOPERM", "DENIED"};
        for (size_t i = 0; i < sizeof(not_ready) / sizeof(not_ready[0]); i++)
                if (error_code_is(error, not_ready[i]))
                        return PF_REDIS_NOT_READY;
        for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
                if (error_code_is(error, denied[i]))
                        return PF_REDIS_DENIED;
        return PF_OK;
}

/* Redis 6+ and Redis 5 words for "AUTH given, but this server has no password". */
static bool auth_is_superfluous(const char *error)
{
        return strstr(error, "without any password configured") ||
               strstr(error, "no password is set");
}

static bool reply_is_text(const redisReply *reply, const char *text)
{
        return reply && (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING) &&
               reply->str && reply->len == strlen(text) &&
               memcmp(reply->str, text, reply->len) == 0;
}

static const char *step_name(enum redis_step step)
{
        switch (step) {
        case REDIS_STEP_AUTH:
                return "AUTH";
        case REDIS_STEP_SELECT:
                return "SELECT";
        case REDIS_STEP_PING:
                return "PING";
        case REDIS_STEP_ROLE:
                return "ROLE";
        }
        return "?";
}

static int classify_role(const redisReply *reply, enum redis_role role, const char *secret,
                         size_t secret_len, char *why, size_t size)
{
        char name[32], host[128], state[32];
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 || !reply->element[0] ||
            reply->element[0]->type != REDIS_REPLY_STRING) {
                snprintf(why, size, "ROLE answered something that is not a role");
                return PF_REDIS_NOT_READY;
        }
        const redisReply *first = reply->element[0];
        server_text(first->str, first->len, secret, secret_len, name, sizeof(name));
        bool is_master = strcmp(name, "master") == 0, is_replica = strcmp(name, "slave") == 0;
        if (!is_replica) {
                snprintf(why, size, "%s", name);
                if (role == REDIS_ROLE_MASTER && is_master)
                        return PF_OK;
                snprintf(why, size, "role is %s, not %s", name,
                         role == REDIS_ROLE_MASTER ? "master" : "replica");
                return PF_REDIS_NOT_READY;
        }
        /* A replica answers [ "slave", master host, master port, link state, offset ]. */
        snprintf(host, sizeof(host), "?");
        snprintf(state, sizeof(state), "unknown");
        long long port = 0;
        if (reply->elements >= 4 && reply->element[1] && reply->element[1]->str)
                /* A server that was sent the password can echo it anywhere in its answer. */
                server_text(reply->element[1]->str, reply->element[1]->len, secret, secret_len,
                            host, sizeof(host));
        if (reply->elements >= 4 && reply->element[2] &&
            reply->element[2]->type == REDIS_REPLY_INTEGER)
                port = reply->element[2]->integer;
        if (reply->elements >= 4 && reply->element[3] && reply->element[3]->str)
                server_text(reply->element[3]->str, reply->element[3]->len, secret, secret_len,
                            state, sizeof(state));
        if (role == REDIS_ROLE_MASTER) {
                snprintf(why, size, "role is replica (of %s:%lld), not master", host, port);
                return PF_REDIS_NOT_READY;
        }
        if (strcmp(state, "connected") != 0) {
                /* A replica still syncing, or cut off, serves stale or no data: not ready. */
                snprintf(why, size,
                         "replica of %s:%lld, but its link to the master is '%s', not "
                         "'connected'",
                         host, port, state);
                return PF_REDIS_NOT_READY;
        }
        snprintf(why, size, "replica of %s:%lld", host, port);
        return PF_OK;
}

int redis_classify_reply(enum redis_step step, const redisReply *reply, enum redis_role role,
                         const char *secret, size_t secret_len, bool *superfluous_auth, char *why,
                         size_t why_size)
{
        char said[200];
        *superfluous_auth = false;
        why[0] = '\0';
        if (!reply) {
                snprintf(why, why_size, "no answer to %s", step_name(step));
                return PF_REDIS_UNREACHABLE;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
                const char *error = reply->str ? reply->str : "";
                server_text(error, reply->str ? reply->len : 0, secret, secret_len, said,
                            sizeof(said));
                int code = redis_error_prefix_code(error);
                if (code == PF_OK) {
                        switch (step) {
                        case REDIS_STEP_AUTH:
                                if (auth_is_superfluous(error)) {
                                        *superfluous_auth = true;
                                        snprintf(why, why_size, "%s", said);
                                        return PF_OK;
                                }
                                /* Redis 5 says "ERR invalid password"; any other AUTH error
                                 * is a credential the server will not take either. */
                                code = PF_REDIS_DENIED;
                                break;
                        case REDIS_STEP_SELECT:
                                /* "DB index is out of range", "not allowed in cluster mode":
                                 * the --db asked for does not exist there. */
                                code = PF_USAGE;
                                break;
                        case REDIS_STEP_PING:
                        case REDIS_STEP_ROLE:
                                code = PF_REDIS_NOT_READY;
                                break;
                        }
                }
                snprintf(why, why_size, "%s answered %s", step_name(step), said);
                return code;
        }
        switch (step) {
        case REDIS_STEP_AUTH:
        case REDIS_STEP_SELECT:
                if (reply_is_text(reply, "OK"))
                        return PF_OK;
                break;
        case REDIS_STEP_PING:
                if (reply_is_text(reply, "PONG"))
                        return PF_OK;
                break;
        case REDIS_STEP_ROLE:
                return classify_role(reply, role, secret, secret_len, why, why_size);
        }
        if (reply->str && (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING))
                server_text(reply->str, reply->len, secret, secret_len, said, sizeof(said));
        else
                snprintf(said, sizeof(said), "a reply of type %d", reply->type);
        snprintf(why, why_size, "%s answered '%s', not %s", step_name(step), said,
                 step == REDIS_STEP_PING ? "PONG" : "OK");
        return PF_REDIS_NOT_READY;
}

/* ------------------------------------------------------------------------------------------ */
/* hiredis, loaded on first use */

static struct {
        redisContext *(*connect_fd)(int fd);
        int (*set_timeout)(redisContext *ctx, const struct timeval tv);
        int (*append_command_argv)(redisContext *ctx, int argc, const char **argv,
                                   const size_t *argvlen);
        int (*buffer_write)(redisContext *ctx, int *done);
        int (*buffer_read)(redisContext *ctx);
        int (*get_reply_from_reader)(redisContext *ctx, void **reply);
        void (*free_reply)(void *reply);
        void (*free_context)(redisContext *ctx);
} hiredis;

static int load_hiredis(char *why, size_t why_size)
{
        /* The soname of Debian 12's libhiredis0.14 first; the dev symlink as a fallback. */
        static const char *const sonames[] = {"libhiredis.so.0.14", "libhiredis.so", NULL};
        const struct dl_symbol symbols[] = {
            {"redisConnectFd", (void **)&hiredis.connect_fd},
            {"redisSetTimeout", (void **)&hiredis.set_timeout},
            {"redisAppendCommandArgv", (void **)&hiredis.append_command_argv},
            {"redisBufferWrite", (void **)&hiredis.buffer_write},
            {"redisBufferRead", (void **)&hiredis.buffer_read},
            {"redisGetReplyFromReader", (void **)&hiredis.get_reply_from_reader},
            {"freeReplyObject", (void **)&hiredis.free_reply},
            {"redisFree", (void **)&hiredis.free_context},
            {NULL, NULL},
        };
        return dl_load(sonames, symbols, why, why_size);
}

/*
 * hiredis builds an array as soon as its header is read: calloc() for every announced element,
 * and, when the attempt ends before the array is complete, a loop over all of them to free it.
 * A server announcing *2147483647 would cost 16 GiB of address space and seconds in that loop,
 * past the deadline. These functions are hiredis' own but for arrays no answer could fill, which
 * they refuse (hiredis then stops with an out-of-memory error) and flag in the task's privdata.
 */
static redisReplyObjectFunctions bounded_functions;
static const redisReplyObjectFunctions *hiredis_functions;

static void *create_plausible_array(const redisReadTask *task, int elements)
{
        if (!redis_array_plausible(elements)) {
                if (task->privdata)
                        *(bool *)task->privdata = true;
                return NULL;
        }
        return hiredis_functions->createArray(task, elements);
}

static void bound_arrays(redisContext *ctx, bool *refused)
{
        if (!hiredis_functions) {
                hiredis_functions = ctx->reader->fn;
                bounded_functions = *hiredis_functions;
                bounded_functions.createArray = create_plausible_array;
        }
        ctx->reader->fn = &bounded_functions;
        ctx->reader->privdata = refused;
}

/* ------------------------------------------------------------------------------------------ */
/* Options */

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
                if (!*value || strlen(value) > 255 || has_control_characters(value) ||
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

static int redis_parse_target_step(const void *config, const char *arg, void *target, char *shown,
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

/* ------------------------------------------------------------------------------------------ */
/* Talking to the server */

/* What one attempt says with --verbose: each step and how long it took. */
struct transcript {
        char text[600];
        size_t used;
};

__attribute__((format(printf, 2, 3))) static void note(struct transcript *t, const char *fmt, ...)
{
        va_list ap;
        if (t->used >= sizeof(t->text) - 1)
                return;
        if (t->used > 0)
                t->used += (size_t)snprintf(t->text + t->used, sizeof(t->text) - t->used, "; ");
        if (t->used >= sizeof(t->text) - 1)
                return;
        va_start(ap, fmt);
        int n = vsnprintf(t->text + t->used, sizeof(t->text) - t->used, fmt, ap);
        va_end(ap);
        if (n > 0)
                t->used += (size_t)n;
        if (t->used > sizeof(t->text) - 1)
                t->used = sizeof(t->text) - 1;
}

static void elapsed_text(uint64_t since_us, char *buf, size_t size)
{
        uint64_t us = clock_now_us() - since_us;
        snprintf(buf, size, "%llu.%llums", (unsigned long long)(us / 1000),
                 (unsigned long long)(us % 1000 / 100));
}

enum io_status { IO_OK, IO_TIMEOUT, IO_FAILED, IO_TOO_LONG };

/* poll() with the time left: the one place an attempt waits for the server. */
static enum io_status wait_ready(int fd, short events, uint64_t deadline_us)
{
        struct pollfd pfd = {.fd = fd, .events = events};
        for (;;) {
                int ms = deadline_remaining_ms(deadline_us);
                if (ms == 0)
                        return IO_TIMEOUT;
                int ready = poll(&pfd, 1, ms);
                if (ready > 0)
                        return IO_OK; /* readable, or an error the next read reports */
                if (ready < 0 && errno != EINTR)
                        return IO_FAILED;
        }
}

/* hiredis' own socket timeout, set to the time left before each read and write as its authors
 * advise; poll() above is what makes the deadline hard, this keeps any blocking call bounded. */
static void bound_socket_calls(redisContext *ctx, uint64_t deadline_us)
{
        int ms = deadline_remaining_ms(deadline_us);
        if (ms < 0)
                return; /* no deadline */
        struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
        if (ms == 0)
                tv.tv_usec = 1000;          /* zero would mean "no timeout" to the kernel */
        (void)hiredis.set_timeout(ctx, tv); /* on failure, poll() still bounds every wait */
}

static enum io_status send_commands(redisContext *ctx, int fd, uint64_t deadline_us)
{
        int done = 0;
        while (!done) {
                enum io_status s = wait_ready(fd, POLLOUT, deadline_us);
                if (s != IO_OK)
                        return s;
                bound_socket_calls(ctx, deadline_us);
                if (hiredis.buffer_write(ctx, &done) != REDIS_OK)
                        return IO_FAILED;
        }
        return IO_OK;
}

/* Reads until one whole reply is parsed; *received counts the bytes of the whole attempt, which
 * stop at REDIS_ANSWER_MAX. */
static enum io_status read_reply(redisContext *ctx, int fd, uint64_t deadline_us, size_t *received,
                                 redisReply **reply)
{
        *reply = NULL;
        for (;;) {
                void *parsed = NULL;
                if (hiredis.get_reply_from_reader(ctx, &parsed) != REDIS_OK)
                        return ctx->reader->privdata && *(bool *)ctx->reader->privdata ? IO_TOO_LONG
                                                                                       : IO_FAILED;
                if (parsed) {
                        *reply = parsed;
                        return IO_OK;
                }
                enum io_status s = wait_ready(fd, POLLIN, deadline_us);
                if (s != IO_OK)
                        return s;
                bound_socket_calls(ctx, deadline_us);
                size_t before = ctx->reader->len;
                if (hiredis.buffer_read(ctx) != REDIS_OK)
                        return IO_FAILED;
                /* Feeding appends to the buffer (after emptying it only when it was empty). */
                if (ctx->reader->len > before)
                        *received += ctx->reader->len - before;
                if (*received > REDIS_ANSWER_MAX)
                        return IO_TOO_LONG;
        }
}

/* The fix for every "answers, but not as Redis does". */
static const char NOT_REDIS_FIX[] = "is this the Redis port? Something else is listening there";

/* Turns a failed exchange into a result: the deadline, a closed or broken connection, or
 * something that does not speak the Redis protocol. */
static void io_failure(enum io_status status, const redisContext *ctx, const char *waiting_for,
                       uint64_t deadline_us, struct check_result *res)
{
        char said[160];
        if (status == IO_TOO_LONG) {
                result_set(res, PF_REDIS_UNREACHABLE,
                           "answers, but not as Redis does (an answer to %s of more than %d "
                           "KiB)",
                           waiting_for, REDIS_ANSWER_MAX / 1024);
                result_fix(res, NOT_REDIS_FIX);
                return;
        }
        if (status == IO_TIMEOUT || deadline_passed(deadline_us)) {
                result_set(res, PF_REDIS_TIMEOUT, "timed out waiting for the answer to %s",
                           waiting_for);
                result_fix(res, "a server that accepts but does not answer is stuck or "
                                "overloaded; give it more time with -t");
                return;
        }
        if (ctx->err == 0) {
                result_set(res, PF_INTERNAL, "waiting for the answer to %s failed: %s", waiting_for,
                           strerror(errno));
                return;
        }
        server_text(ctx->errstr, strnlen(ctx->errstr, sizeof(ctx->errstr)), NULL, 0, said,
                    sizeof(said));
        switch (ctx->err) {
        case REDIS_ERR_OOM:
                result_set(res, PF_INTERNAL, "out of memory");
                return;
        case REDIS_ERR_PROTOCOL:
                result_set(res, PF_REDIS_UNREACHABLE, "answers, but not as Redis does (%s)", said);
                result_fix(res, NOT_REDIS_FIX);
                return;
        case REDIS_ERR_EOF:
                result_set(res, PF_REDIS_UNREACHABLE, "closed the connection before answering %s",
                           waiting_for);
                return;
        default:
                result_set(res, PF_REDIS_UNREACHABLE, "lost the connection waiting for %s (%s)",
                           waiting_for, said);
                return;
        }
}

/* What to do about a refused or failing reply. */
static void reply_fix(const char *said_code_word, int code, enum redis_step step, const char *user,
                      bool have_password, struct check_result *res)
{
        if (code == PF_REDIS_NOT_READY) {
                if (strstr(said_code_word, "LOADING"))
                        result_fix(res, "Redis is loading its data set: wait for it with --wait "
                                        "and a -t long enough");
                else if (strstr(said_code_word, "answered BUSY"))
                        result_fix(res, "a script or function runs too long: SCRIPT KILL or "
                                        "FUNCTION KILL stops it");
                else if (strstr(said_code_word, "MASTERDOWN"))
                        result_fix(res, "this replica lost its master (replica-serve-stale-data "
                                        "is no): bring the master back");
                else if (step == REDIS_STEP_ROLE)
                        result_fix(res, "point preflight at the right server, or wait for the "
                                        "failover or sync with --wait");
        } else if (code == PF_REDIS_DENIED) {
                if (strstr(said_code_word, "NOPERM"))
                        result_fix(res, "allow the commands: ACL SETUSER %s +ping%s",
                                   user ? user : "default",
                                   step == REDIS_STEP_ROLE     ? " +role"
                                   : step == REDIS_STEP_SELECT ? " +select"
                                                               : "");
                else if (strstr(said_code_word, "DENIED"))
                        result_fix(res, "protected mode: give the server a password, or bind "
                                        "it where this host may connect");
                else if (!have_password)
                        result_fix(res,
                                   "give the password: REDISCLI_AUTH in the environment, "
                                   "or --password-file FILE%s",
                                   user ? "" : " (and --user NAME for an ACL user)");
                else
                        result_fix(res, "check the password and the user name%s",
                                   user ? "" : " (an ACL user needs --user NAME)");
        } else if (code == PF_USAGE) {
                result_fix(res, "use a database this server has (databases in redis.conf)");
        }
}

struct exchange {
        const char *user;
        const char *password;
        size_t password_len;
        const char *password_from;
        bool select;
        unsigned long db;
        enum redis_role role;
};

static void converse(redisContext *ctx, int fd, const struct exchange *ex,
                     const struct attempt *attempt, struct transcript *log,
                     struct check_result *res)
{
        enum redis_step steps[4];
        unsigned n_steps = 0;
        char why[400], role_said[400] = "";
        bool superfluous_auth = false, appended = true;

        if (ex->password || ex->user) {
                /* A user without a password: an ACL user with nopass takes any password. */
                const char *argv[3] = {"AUTH"};
                size_t argvlen[3] = {4};
                int argc = 1;
                if (ex->user) {
                        argv[argc] = ex->user;
                        argvlen[argc++] = strlen(ex->user);
                }
                argv[argc] = ex->password ? ex->password : "";
                argvlen[argc++] = ex->password ? ex->password_len : 0;
                appended = hiredis.append_command_argv(ctx, argc, argv, argvlen) == REDIS_OK;
                steps[n_steps++] = REDIS_STEP_AUTH;
        }
        if (appended && ex->select) {
                /* hiredis copies the command: db_text need only outlive the call. */
                char db_text[24];
                snprintf(db_text, sizeof(db_text), "%lu", ex->db);
                const char *argv[2] = {"SELECT", db_text};
                size_t argvlen[2] = {6, strlen(db_text)};
                appended = hiredis.append_command_argv(ctx, 2, argv, argvlen) == REDIS_OK;
                steps[n_steps++] = REDIS_STEP_SELECT;
        }
        if (appended) {
                const char *argv[1] = {"PING"};
                size_t argvlen[1] = {4};
                appended = hiredis.append_command_argv(ctx, 1, argv, argvlen) == REDIS_OK;
                steps[n_steps++] = REDIS_STEP_PING;
        }
        if (appended && ex->role != REDIS_ROLE_ANY) {
                const char *argv[1] = {"ROLE"};
                size_t argvlen[1] = {4};
                appended = hiredis.append_command_argv(ctx, 1, argv, argvlen) == REDIS_OK;
                steps[n_steps++] = REDIS_STEP_ROLE;
        }
        if (!appended) {
                result_set(res, PF_INTERNAL, "out of memory");
                return;
        }

        /* All commands in one write: one round trip, as cheap as redis-cli ping. */
        uint64_t started = clock_now_us();
        enum io_status status = send_commands(ctx, fd, attempt->deadline_us);
        if (status != IO_OK) {
                io_failure(status, ctx, step_name(steps[0]), attempt->deadline_us, res);
                return;
        }
        size_t received = 0;
        for (unsigned i = 0; i < n_steps; i++) {
                redisReply *reply;
                status = read_reply(ctx, fd, attempt->deadline_us, &received, &reply);
                if (status != IO_OK) {
                        io_failure(status, ctx, step_name(steps[i]), attempt->deadline_us, res);
                        return;
                }
                bool superfluous = false;
                int code = redis_classify_reply(steps[i], reply, ex->role, ex->password,
                                                ex->password_len, &superfluous, why, sizeof(why));
                hiredis.free_reply(reply);
                superfluous_auth = superfluous_auth || superfluous;
                if (code != PF_OK) {
                        const char *kind = code == PF_REDIS_NOT_READY ? "not ready: "
                                           : code == PF_REDIS_DENIED  ? "denied: "
                                                                      : "";
                        if (steps[i] == REDIS_STEP_SELECT && code == PF_USAGE)
                                result_set(res, code, "--db %lu: %s", ex->db, why);
                        else
                                result_set(res, code, "%s%s", kind, why);
                        reply_fix(why, code, steps[i], ex->user, ex->password != NULL, res);
                        return;
                }
                switch (steps[i]) {
                case REDIS_STEP_AUTH:
                        note(log, "AUTH%s%s %s%s: %s", ex->user ? " as " : "",
                             ex->user ? ex->user : "",
                             ex->password ? "with the password from " : "without a password",
                             ex->password ? ex->password_from : "",
                             superfluous ? "not needed" : "OK");
                        break;
                case REDIS_STEP_SELECT:
                        note(log, "SELECT %lu: OK", ex->db);
                        break;
                case REDIS_STEP_PING:
                        note(log, "PING: PONG");
                        break;
                case REDIS_STEP_ROLE:
                        snprintf(role_said, sizeof(role_said), "%s", why);
                        note(log, "ROLE: %s", why);
                        break;
                }
        }
        /* Redis answers each command once; more after the last answer (as read so far) means
         * the answers were not to our commands: a PONG that may not have been for PING. */
        if (ctx->reader->len > ctx->reader->pos) {
                result_set(res, PF_REDIS_UNREACHABLE,
                           "answers, but not as Redis does (%zu more bytes after the answer to "
                           "%s, which no command asked for)",
                           ctx->reader->len - ctx->reader->pos, step_name(steps[n_steps - 1]));
                result_fix(res, NOT_REDIS_FIX);
                return;
        }
        char took[32];
        elapsed_text(started, took, sizeof(took));
        note(log, "answered in %s", took);
        result_set(res, PF_OK, "answers PONG%s%s", role_said[0] ? " as " : "", role_said);
        if (superfluous_auth) {
                res->warning = true;
                size_t used = strlen(res->message);
                snprintf(res->message + used, sizeof(res->message) - used,
                         ", but it has no password: the one given is not used");
                result_fix(res, "set requirepass (or an ACL user) on the server, or stop "
                                "passing a password");
        }
}

/* Connects to unix:/path before the deadline; false with res set otherwise. */
static bool connect_unix(const char *path, uint64_t deadline_us, int *fd, struct check_result *res)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s < 0) {
                result_set(res, PF_INTERNAL, "cannot open a socket: %s", strerror(errno));
                return false;
        }
        int error;
        for (;;) {
                error = connect(s, (const struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
                if (error == EINTR)
                        continue;
                /* A full accept queue: Linux refuses at once rather than waiting, so wait here. */
                if (error == EAGAIN && !deadline_passed(deadline_us)) {
                        sleep_until_deadline(10000, deadline_us);
                        continue;
                }
                break;
        }
        if (error == EINPROGRESS) {
                enum io_status st = wait_ready(s, POLLOUT, deadline_us);
                socklen_t len = sizeof(error);
                if (st == IO_TIMEOUT)
                        error = EAGAIN;
                else if (st == IO_FAILED || getsockopt(s, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
                        error = errno;
        }
        int flags = error == 0 ? fcntl(s, F_GETFL) : 0;
        if (error == 0 && (flags < 0 || fcntl(s, F_SETFL, flags & ~O_NONBLOCK) != 0))
                error = errno;
        if (error == 0) {
                *fd = s;
                return true;
        }
        close(s);
        switch (error) {
        case EAGAIN:
                result_set(res, PF_REDIS_TIMEOUT,
                           "the server did not accept the connection in "
                           "time (its accept queue is full)");
                break;
        case ENOENT:
                result_set(res, PF_REDIS_UNREACHABLE, "no socket at %s", path);
                result_fix(res, "start redis-server with unixsocket %s in redis.conf", path);
                break;
        case ECONNREFUSED:
                result_set(res, PF_REDIS_UNREACHABLE, "connection refused (nothing listens on %s)",
                           path);
                result_fix(res, "start redis-server, or remove the stale socket file");
                break;
        case EACCES:
        case EPERM:
                result_set(res, PF_REDIS_DENIED, "denied: no permission to connect to %s", path);
                result_fix(res, "let this user write to the socket: unixsocketperm in redis.conf, "
                                "and SupplementaryGroups= in the unit");
                break;
        default:
                result_set(res, PF_REDIS_UNREACHABLE, "cannot connect to %s: %s", path,
                           strerror(error));
                break;
        }
        return false;
}

static bool connect_tcp(const struct host_port *address, uint64_t deadline_us, int *fd, char *peer,
                        size_t peer_size, struct check_result *res)
{
        char why[512];
        switch (net_connect(address->host, address->port, deadline_us, fd, peer, peer_size, why,
                            sizeof(why))) {
        case NET_OK:
                return true;
        case NET_UNRESOLVABLE:
                result_set(res, PF_REDIS_UNREACHABLE, "%s", why);
                result_fix(res, "check the host name (DNS, /etc/hosts)");
                return false;
        case NET_UNREACHABLE:
                result_set(res, PF_REDIS_UNREACHABLE, "%s", why);
                result_fix(res, "start redis-server, or check the address (bind and port in "
                                "redis.conf)");
                return false;
        case NET_TIMEOUT:
                result_set(res, PF_REDIS_TIMEOUT, "%s", why);
                return false;
        case NET_SYSTEM:
                break;
        }
        result_set(res, PF_INTERNAL, "%s", why);
        return false;
}

static void probe(const struct redis_config *cfg, const struct redis_target *target,
                  const struct attempt *attempt, struct check_result *res)
{
        char why[512], peer[300], took[32];
        struct transcript log = {.used = 0};
        uint64_t started = clock_now_us();
        int loaded = load_hiredis(why, sizeof(why));
        if (loaded == PF_NO_LIBRARY) {
                result_set(res, PF_NO_LIBRARY, "hiredis (libhiredis.so.0.14) is not installed: %s",
                           why);
                result_fix(res, "install it: apt-get install " HIREDIS_PACKAGE);
                return;
        }
        if (loaded != PF_OK) {
                result_set(res, PF_INTERNAL, "hiredis is installed but cannot be loaded: %s", why);
                result_fix(res, "look at the unit's LimitAS= (or ulimit -v) and at ldd on the "
                                "library the message names");
                return;
        }
        int fd = -1;
        if (target->transport == REDIS_UNIX) {
                if (!connect_unix(target->socket_path, attempt->deadline_us, &fd, res))
                        return;
                snprintf(peer, sizeof(peer), "%s", target->socket_path);
        } else if (!connect_tcp(&target->address, attempt->deadline_us, &fd, peer, sizeof(peer),
                                res)) {
                return;
        }
        elapsed_text(started, took, sizeof(took));
        note(&log, "connected to %s in %s", peer, took);

        redisContext *ctx = hiredis.connect_fd(fd);
        if (!ctx) {
                close(fd);
                result_set(res, PF_INTERNAL, "out of memory");
                return;
        }
        /* hiredis 1.x laid its context out differently: reading it as 0.14's would go wrong. */
        if (ctx->fd != fd) {
                result_set(res, PF_NO_LIBRARY, "the hiredis found is not version 0.14");
                result_fix(res, "install " HIREDIS_PACKAGE);
                close(fd); /* not redisFree(): its idea of the context is not ours */
                return;
        }
        struct exchange ex = {
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
        bool absurd_array = false;
        bound_arrays(ctx, &absurd_array);
        converse(ctx, fd, &ex, attempt, &log, res);
        hiredis.free_context(ctx); /* closes fd */
        if (attempt->verbose)
                result_detail(res, "%s", log.text);
}

static void redis_run(const void *config, const void *target, const struct attempt *attempt,
                      struct check_result *res)
{
        probe(config, target, attempt, res);
}

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
    .parse_option = redis_parse_option,
    .target_size = sizeof(struct redis_target),
    .parse_target = redis_parse_target_step,
    .release_target = redis_release_target,
    .finish = redis_finish,
    .run = redis_run,
    .release = redis_release,
};
