/* postgres targets: HOST[:PORT], [V6]:PORT, :PORT, unix:/DIR and postgresql:// or postgres://
 * URIs, parsed once into struct pg_target. URIs are libpq's own (PQconninfoParse), so they mean
 * here what they mean to psql; the host and port forms go through core's net_parse_host_port(). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/postgres/postgres.h"
#include "core/text.h"

/* Debian's unix_socket_directories, and libpq's default there: for a URI without a host. */
#define PG_DEFAULT_SOCKET_DIR "/var/run/postgresql"
/* "/.s.PGSQL.65535" and its NUL after the directory must fit sockaddr_un.sun_path (108). */
#define PG_SOCKET_DIR_MAX (108 - 16)

/* Writes the shown text, cut at TARGET_SHOWN_SIZE like every other line's. */
__attribute__((format(printf, 2, 3))) static void show(char *shown, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(shown, TARGET_SHOWN_SIZE, fmt, ap);
        va_end(ap);
        /* Cut where a character ends: a line never ends in half of one. */
        size_t at = 0, len;
        while (shown[at] && (len = text_utf8_length((const unsigned char *)shown + at)) > 0)
                at += len;
        shown[at] = '\0';
}

void pg_redact(char *text, const char *secret, size_t len)
{
        if (!text || len == 0)
                return;
        char *hit;
        while ((hit = memmem(text, strlen(text), secret, len)) != NULL) {
                /* In place: "***" is never longer than what it hides (a 1- or 2-byte secret
                 * becomes "*" or "**"), and the search goes on after it. */
                size_t shown = len < 3 ? len : 3;
                memset(hit, '*', shown);
                memmove(hit + shown, hit + len, strlen(hit + len) + 1);
                text = hit + shown;
        }
}

/* Hides what may be a password in a message about text (a URI libpq refused): the userinfo's
 * password, and the values of password= and sslpassword= in its query. */
static void redact_uri_secrets(const char *uri, char *message)
{
        const char *rest = strstr(uri, "://");
        if (!rest)
                return;
        rest += 3;
        size_t span = strcspn(rest, "@/");
        if (rest[span] == '@') {
                const char *colon = memchr(rest, ':', span);
                if (colon)
                        pg_redact(message, colon + 1, (size_t)(rest + span - colon - 1));
        }
        for (const char *p = strchr(uri, '?'); p && *p; p++) {
                if (*p != '?' && *p != '&')
                        continue;
                const char *key = p + 1;
                const char *eq = strchr(key, '=');
                if (!eq)
                        break;
                size_t key_len = (size_t)(eq - key);
                if ((key_len == 8 && strncmp(key, "password", 8) == 0) ||
                    (key_len == 11 && strncmp(key, "sslpassword", 11) == 0))
                        pg_redact(message, eq + 1, strcspn(eq + 1, "&"));
        }
}

static int parse_unix(const char *text, struct pg_target *out, char *shown, struct pf_error *err)
{
        char q[QUOTE_BUF];
        const char *dir = text + strlen("unix:");
        out->transport = PG_UNIX;
        /* A mistyped URI ("unix:u:pass@host", "unix:/x/postgresql://u:pass@h") may hold a
         * password before its '@'; no socket directory has one. */
        show(shown, "%s", text_quote_hiding_userinfo(text, q, sizeof(q)));
        if (dir[0] != '/')
                return pf_error_set(err,
                                    "'%s': give the socket's directory, absolute "
                                    "(unix:/var/run/postgresql)",
                                    shown);
        if (text_has_control(dir))
                return pf_error_set(err, "'%s': control characters in the socket directory", shown);
        if (strlen(dir) > PG_SOCKET_DIR_MAX)
                return pf_error_set(err, "'%s': a socket directory has at most %d bytes", shown,
                                    PG_SOCKET_DIR_MAX);
        if (strchr(dir, ','))
                return pf_error_set(err, "'%s': one socket directory per target", shown);
        snprintf(out->host, sizeof(out->host), "%s", dir);
        show(shown, "%s", text_quote_hiding_userinfo(text, q, sizeof(q)));
        return PF_OK;
}

/* The port libpq will use when none is given: PGPORT's, or 5432. */
static const char *default_port(void)
{
        const char *env = getenv("PGPORT");
        unsigned long port;
        return env && text_parse_ulong(env, 1, 65535, &port) ? env : "5432";
}

static void show_host_port(const struct pg_target *target, char *shown)
{
        const char *port = target->port[0] ? target->port : default_port();
        if (target->transport == PG_UNIX)
                show(shown, "unix:%s", target->host);
        else if (strchr(target->host, ':'))
                show(shown, "[%s]:%s", target->host, port);
        else
                show(shown, "%s:%s", target->host, port);
}

static int parse_host_port(const char *text, struct pg_target *out, char *shown,
                           struct pf_error *err)
{
        struct host_port address;
        if (net_parse_host_port(text, PG_DEFAULT_PORT, &address, err) != PF_OK)
                return PF_USAGE;
        out->transport = PG_TCP;
        snprintf(out->host, sizeof(out->host), "%s", address.host);
        if (address.has_port)
                snprintf(out->port, sizeof(out->port), "%u", address.port);
        show_host_port(out, shown);
        return PF_OK;
}

const char *pg_target_param(const struct pg_target *target, const char *keyword)
{
        for (unsigned i = 0; i < target->params; i++)
                if (strcmp(target->keywords[i], keyword) == 0)
                        return target->values[i];
        return NULL;
}

/* Keeps one keyword of a URI: false when out of memory. */
static bool keep_param(struct pg_target *out, const char *keyword, const char *value)
{
        char *k = strdup(keyword), *v = strdup(value);
        if (!k || !v || out->params == PG_PARAMS_MAX) {
                free(k);
                free(v);
                return false;
        }
        out->keywords[out->params] = k;
        out->values[out->params] = v;
        out->params++;
        return true;
}

/* Where a URI's host goes: a socket directory, a name or address, or libpq's default. */
static int uri_host(const char *host, const char *hostaddr, struct pg_target *out,
                    struct pf_error *err)
{
        if (hostaddr)
                return pf_error_set(err, "hostaddr= is not supported: give the address as the "
                                         "URI's host");
        if (!host || !*host)
                host = getenv("PGHOST");
        if (!host || !*host)
                host = PG_DEFAULT_SOCKET_DIR;
        if (strchr(host, ','))
                return pf_error_set(err, "one host per target: give each host as a target "
                                         "of its own");
        if (text_has_control(host))
                return pf_error_set(err, "control characters in the host");
        /* libpq ends the user part at the first '@': a second one is a password's, unescaped. */
        if (strchr(host, '@'))
                return pf_error_set(err,
                                    "an '@' in the host: write an '@' in the password as %%40");
        if (strlen(host) >= (host[0] == '/' ? PG_SOCKET_DIR_MAX + 1 : sizeof(out->host)))
                return pf_error_set(err, "the host is too long");
        out->transport = host[0] == '/' ? PG_UNIX : PG_TCP;
        if (out->transport == PG_TCP && net_host_bad_ipv4(host, strlen(host))) {
                char q[QUOTE_BUF];
                return pf_error_set(err, "'%s' is not an IPv4 address",
                                    text_quote(host, q, sizeof(q)));
        }
        snprintf(out->host, sizeof(out->host), "%s", host);
        return PF_OK;
}

static int uri_port(const char *port, struct pg_target *out, struct pf_error *err)
{
        unsigned long number;
        if (!port || !*port)
                return PF_OK;
        if (!text_parse_ulong(port, 1, 65535, &number))
                return pf_error_set(err, "the port must be one number, 1-65535");
        snprintf(out->port, sizeof(out->port), "%lu", number);
        return PF_OK;
}

/* The URI as every line shows it, rebuilt from what libpq parsed: the password never. */
static void show_uri(const char *scheme, const struct pg_target *target, char *shown)
{
        char user[QUOTE_BUF], host[QUOTE_BUF], db[QUOTE_BUF];
        const char *u = pg_target_param(target, "user"), *d = pg_target_param(target, "dbname");
        text_quote(u ? u : "", user, sizeof(user));
        text_quote(d ? d : "", db, sizeof(db));
        text_quote(target->host, host, sizeof(host));
        const char *at = u || target->has_password ? "@" : "";
        const char *pw = target->has_password ? ":***" : "";
        const char *slash = d ? "/" : "";
        if (target->transport == PG_UNIX)
                show(shown, "%s%s%s%s/%s?host=%s", scheme, user, pw, at, db, host);
        else if (strchr(target->host, ':'))
                show(shown, "%s%s%s%s[%s]:%s%s%s", scheme, user, pw, at, host,
                     target->port[0] ? target->port : default_port(), slash, db);
        else
                show(shown, "%s%s%s%s%s:%s%s%s", scheme, user, pw, at, host,
                     target->port[0] ? target->port : default_port(), slash, db);
}

/* Keywords whose values are taken from the URI as they are; host, hostaddr and port are the
 * target's own, and service= is refused: a service file may name a host libpq would resolve
 * itself, blocking past the deadline. */
static int keep_uri_options(const PQconninfoOption *options, struct pg_target *out,
                            struct pf_error *err)
{
        for (const PQconninfoOption *o = options; o->keyword; o++) {
                if (!o->val || strcmp(o->keyword, "host") == 0 ||
                    strcmp(o->keyword, "hostaddr") == 0 || strcmp(o->keyword, "port") == 0)
                        continue;
                if (strcmp(o->keyword, "service") == 0)
                        return pf_error_set(err, "service= is not supported: give the host, port "
                                                 "and database in the URI");
                if (strcmp(o->keyword, "password") == 0)
                        out->has_password = true;
                if (!keep_param(out, o->keyword, o->val))
                        return PF_INTERNAL;
        }
        return PF_OK;
}

static int parse_uri(const char *text, size_t scheme_len, struct pg_target *out, char *shown,
                     struct pf_error *err)
{
        char scheme[16], why[512];
        snprintf(scheme, sizeof(scheme), "%.*s", (int)scheme_len, text);
        show(shown, "%s...", scheme);
        char *message = NULL;
        PQconninfoOption *options = pg_libpq.conninfo_parse(text, &message);
        if (!options) {
                if (!message)
                        return PF_INTERNAL;
                snprintf(why, sizeof(why), "%s", message);
                pg_libpq.freemem(message);
                redact_uri_secrets(text, why);
                why[strcspn(why, "\n")] = '\0';
                /* libpq quotes the part it refused last (': "TOKEN"'). Where a password may be,
                 * not only where libpq would look for one (a second '@', a mistyped ':'), the
                 * token is left out: the reason stays. */
                char *quoted = NULL;
                for (char *q = why; (q = strstr(q, ": \"")) != NULL; q++)
                        quoted = q;
                if (quoted && (strchr(text, '@') || strstr(text, "password=")))
                        *quoted = '\0';
                char q[QUOTE_BUF];
                return pf_error_set(err, "'%s': %s", shown, text_quote(why, q, sizeof(q)));
        }
        const char *host = NULL, *hostaddr = NULL, *port = NULL;
        for (const PQconninfoOption *o = options; o->keyword; o++) {
                if (strcmp(o->keyword, "host") == 0)
                        host = o->val;
                else if (strcmp(o->keyword, "hostaddr") == 0)
                        hostaddr = o->val;
                else if (strcmp(o->keyword, "port") == 0)
                        port = o->val;
        }
        int r = uri_host(host, hostaddr, out, err);
        if (r == PF_OK)
                r = uri_port(port, out, err);
        if (r == PF_OK)
                r = keep_uri_options(options, out, err);
        pg_libpq.conninfo_free(options); /* libpq's copy of a password goes with it */
        if (r == PF_OK) {
                show_uri(scheme, out, shown);
                return PF_OK;
        }
        if (r == PF_USAGE) { /* name the target, without its password */
                snprintf(why, sizeof(why), "%s", err->msg);
                show_uri(scheme, out, shown);
                return pf_error_set(err, "'%s': %s", shown, why);
        }
        return r;
}

int pg_parse_target(const char *text, struct pg_target *out, char *shown, struct pf_error *err)
{
        memset(out, 0, sizeof(*out));
        show(shown, "postgres");
        if (!text || !*text)
                return pf_error_set(err, "an empty target: give HOST[:PORT], unix:/DIR or a "
                                         "postgresql:// URI");
        if (strncmp(text, "unix:", 5) == 0)
                return parse_unix(text, out, shown, err);
        if (strncmp(text, "postgresql://", 13) == 0)
                return parse_uri(text, 13, out, shown, err);
        if (strncmp(text, "postgres://", 11) == 0)
                return parse_uri(text, 11, out, shown, err);
        const char *scheme = strstr(text, "://");
        if (scheme) {
                bool named = isalpha((unsigned char)text[0]) && scheme - text < 16;
                for (const char *c = text; named && c < scheme; c++)
                        named = isalnum((unsigned char)*c) || strchr("+-.", *c);
                if (named)
                        return pf_error_set(err,
                                            "'%.*s://...': only postgresql:// and postgres:// "
                                            "URIs are targets (or HOST[:PORT], unix:/DIR)",
                                            (int)(scheme - text), text);
        }
        /* Not repeated: what comes before '@', or a password= in a keyword string, is secret. */
        if (strchr(text, '@'))
                return pf_error_set(err, "a target with '@' must be a URI: "
                                         "postgresql://[USER[:PASS]@]HOST[:PORT][/DB]");
        if (strchr(text, '=') || strchr(text, ' '))
                return pf_error_set(err, "keyword=value connection strings are not targets: "
                                         "give a postgresql:// URI");
        return parse_host_port(text, out, shown, err);
}

void pg_target_release(struct pg_target *target)
{
        for (unsigned i = 0; i < target->params; i++) {
                explicit_bzero(target->values[i], strlen(target->values[i]));
                free(target->values[i]);
                free(target->keywords[i]);
        }
        target->params = 0;
}
