/* URLs for the http check, read by libcurl's URL API (one parser: the one that requests them),
 * their origins, and the secrets in them. */
#include "checks/http/curl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/text.h"

#define URL_EXAMPLE "example: http://127.0.0.1:8080/healthz"

/* libcurl parses CURLOPT_URL with CURLU_NON_SUPPORT_SCHEME and CURLU_GUESS_SCHEME (and
 * CURLU_DISALLOW_USER or CURLU_PATH_AS_IS when asked for, which the check never is). Without
 * the guess, what is read here is what a transfer reads, and a URL without a scheme is refused
 * instead of taken for http. */
#define URL_FLAGS CURLU_NON_SUPPORT_SCHEME

/* One part of the URL, copied with malloc (free() it); *out NULL when the URL lacks it. */
static CURLUcode url_part(CURLU *h, CURLUPart part, unsigned flags, char **out)
{
        char *got = NULL;
        *out = NULL;
        CURLUcode rc = http_curl.url_get(h, part, &got, flags);
        if (rc == CURLUE_OK) {
                *out = strdup(got);
                if (!*out)
                        rc = CURLUE_OUT_OF_MEMORY;
        }
        if (got)
                http_curl.free(got);
        return rc;
}

/* Text libcurl could not read has no parts to trust: what precedes its last '@' is hidden. */
static void shown_unparsed(const char *text, char *shown, size_t size)
{
        const char *at = strrchr(text, '@');
        snprintf(shown, size, "%s%s", at ? "***" : "", at ? at : text);
}

static int out_of_memory(struct pf_error *err)
{
        (void)pf_error_set(err, "out of memory");
        return PF_INTERNAL;
}

static int refused(struct pf_error *err, const struct http_url *url, const char *why)
{
        char q[QUOTE_BUF];
        return pf_error_set(err, "'%s'%s", text_quote(url->shown, q, sizeof(q)), why);
}

/* Hands the text to libcurl; on a refusal err says why, in the words a user needs. */
static int url_read(CURLU *h, const char *text, struct http_url *out, struct pf_error *err)
{
        char why[200];
        CURLUcode rc = http_curl.url_set(h, CURLUPART_URL, text, URL_FLAGS);
        switch (rc) {
        case CURLUE_OK:
                return PF_OK;
        case CURLUE_OUT_OF_MEMORY:
                return out_of_memory(err);
        case CURLUE_BAD_SCHEME:
        case CURLUE_BAD_SLASHES:
        case CURLUE_NO_SCHEME:
                return refused(err, out, " is not a URL (" URL_EXAMPLE ")");
        case CURLUE_NO_HOST:
                return refused(err, out, ": the URL has no host");
        case CURLUE_BAD_PORT_NUMBER:
                return refused(err, out, ": the port must be 1-65535");
        default:
                /* "http://a@b@host/": libcurl ends the user name and password at the first '@'. */
                snprintf(why, sizeof(why), ": libcurl refuses the URL: %s%s",
                         http_curl.url_strerror(rc),
                         strchr(text, '@') != strrchr(text, '@')
                             ? " (an '@' in a user name or password is written %40)"
                             : "");
                return refused(err, out, why);
        }
}

/* The user name and password, as written and decoded, and in readable the URL with them
 * hidden. That is also what a refusal shows, unless libcurl found no credentials where the text
 * has an '@' ("htttp:/x://pw@h/" is a path to libcurl): then what precedes it stays hidden. */
static int url_credentials(CURLU *h, const char *text, struct http_url *out, char *readable,
                           struct pf_error *err)
{
        CURLUcode rc = url_part(h, CURLUPART_USER, 0, &out->user);
        if (rc == CURLUE_OK)
                rc = url_part(h, CURLUPART_PASSWORD, 0, &out->password);
        if (rc == CURLUE_NO_USER || rc == CURLUE_NO_PASSWORD)
                rc = CURLUE_OK;
        /* As libcurl decodes them to send them; it refuses a %00 in them when it does. */
        if (rc == CURLUE_OK && out->user)
                rc = url_part(h, CURLUPART_USER, CURLU_URLDECODE, &out->user_decoded);
        if (rc == CURLUE_OK && out->password)
                rc = url_part(h, CURLUPART_PASSWORD, CURLU_URLDECODE, &out->password_decoded);
        bool undecodable = rc == CURLUE_URLDECODE;
        /* A password is hidden; a user name alone too: it may be a token. */
        if ((rc == CURLUE_OK || undecodable) && out->password)
                rc = http_curl.url_set(h, CURLUPART_PASSWORD, "***", 0);
        else if ((rc == CURLUE_OK || undecodable) && out->user)
                rc = http_curl.url_set(h, CURLUPART_USER, "***", 0);
        char *shown = NULL;
        if (rc == CURLUE_OK)
                rc = url_part(h, CURLUPART_URL, 0, &shown);
        if (rc != CURLUE_OK) {
                free(shown);
                return out_of_memory(err); /* the only way to fail with parts that are there */
        }
        snprintf(readable, sizeof(out->shown), "%s", shown);
        free(shown);
        if (out->user || !strchr(text, '@'))
                memcpy(out->shown, readable, sizeof(out->shown));
        if (undecodable)
                return refused(err, out,
                               ": the user name or password holds a control character (%00 to "
                               "%1F) once decoded");
        return PF_OK;
}

/* The scheme's name must be followed by "//" and the host: libcurl also reads "http:/host" and
 * "http:///host" as http://host/, which are more likely typing mistakes. */
static bool written_with_authority(const char *text, const char *scheme)
{
        size_t len = strlen(scheme);
        return strncasecmp(text, scheme, len) == 0 && strncmp(text + len, "://", 3) == 0 &&
               text[len + 3] != '/';
}

static bool ascii(const char *text)
{
        for (; *text; text++)
                if ((unsigned char)*text >= 0x80)
                        return false;
        return true;
}

/* The host, in ASCII: as a transfer does, libcurl converts an international name to punycode
 * (IDN), and only such a name (its IDN library refuses some ASCII names a resolver takes). */
static CURLUcode url_host(CURLU *h, char **host, bool *idn_failed)
{
        CURLUcode rc = url_part(h, CURLUPART_HOST, 0, host);
        *idn_failed = false;
        if (rc != CURLUE_OK || ascii(*host))
                return rc;
        free(*host);
        rc = url_part(h, CURLUPART_HOST, CURLU_PUNYCODE, host);
        /* libcurl 7.88 says CURLUE_OUT_OF_MEMORY of a name it cannot convert, too. */
        *idn_failed = rc != CURLUE_OK;
        return rc;
}

static int url_host_and_port(CURLU *h, struct http_url *out, struct pf_error *err)
{
        char *host = NULL, *port = NULL, *zone = NULL;
        unsigned long number = 0;
        bool idn_failed;
        int r = PF_OK;
        CURLUcode rc = url_host(h, &host, &idn_failed);
        if (rc == CURLUE_NO_HOST)
                r = refused(err, out, ": the URL has no host");
        else if (idn_failed)
                r = refused(err, out,
                            ": libcurl cannot convert the host name to ASCII (IDN); write it "
                            "in punycode (xn--...)");
        else if (rc != CURLUE_OK)
                r = out_of_memory(err);
        else if (strlen(host) >= sizeof(out->host))
                r = refused(err, out, ": the host name is too long");
        else if (host[0] != '[' && net_host_bad_ipv4(host, strlen(host)))
                r = refused(err, out,
                            ": the host is not an IPv4 address (four numbers 0-255, as "
                            "127.0.0.1)");
        if (r == PF_OK) {
                for (size_t i = 0; host[i]; i++)
                        out->host[i] = (char)tolower((unsigned char)host[i]);
                rc = url_part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT, &port);
                if (rc != CURLUE_OK || !text_parse_ulong(port, 1, 65535, &number))
                        r = refused(err, out, ": the port must be 1-65535");
                out->port = (unsigned)number;
        }
        if (r == PF_OK) {
                rc = url_part(h, CURLUPART_ZONEID, 0, &zone);
                if (rc == CURLUE_OK && strlen(zone) >= sizeof(out->zone))
                        r = refused(err, out, ": the IPv6 zone is too long");
                else if (rc == CURLUE_OK)
                        memcpy(out->zone, zone, strlen(zone) + 1);
        }
        free(host);
        free(port);
        free(zone);
        return r;
}

int http_url_parse(const char *text, struct http_url *out, struct pf_error *err)
{
        char *scheme = NULL, readable[sizeof(out->shown)];
        *out = (struct http_url){.text = NULL};
        shown_unparsed(text, out->shown, sizeof(out->shown));
        for (const char *c = text; *c; c++)
                if ((unsigned char)*c <= 0x20 || *c == 0x7f)
                        return refused(err, out, ": a URL has no spaces or control characters");
        int r = http_curl_load(err);
        if (r != PF_OK)
                return r;
        CURLU *h = http_curl.url();
        if (!h)
                return out_of_memory(err);
        r = url_read(h, text, out, err);
        if (r == PF_OK && (url_part(h, CURLUPART_URL, 0, &out->text) != CURLUE_OK ||
                           url_part(h, CURLUPART_SCHEME, 0, &scheme) != CURLUE_OK))
                r = out_of_memory(err);
        /* Where there is no "//", libcurl's reading of the text may not be the one a reader
         * makes ("htttp:/x://me:pw@h/" is a path to libcurl): only what precedes an '@' is
         * hidden then, and libcurl's parts are not used to show it. */
        bool authority = r == PF_OK && written_with_authority(text, scheme);
        bool web = r == PF_OK && (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
        if (r == PF_OK && authority)
                r = url_credentials(h, text, out, readable, err);
        if (r == PF_OK && !web) {
                out->other_scheme = true;
                r = refused(err, out, ": only http:// and https:// URLs are checked");
        }
        if (r == PF_OK && !authority)
                r = refused(err, out, " is not a URL (" URL_EXAMPLE ")");
        if (r == PF_OK)
                r = url_host_and_port(h, out, err);
        if (r == PF_OK) {
                out->https = strcmp(scheme, "https") == 0;
                memcpy(out->shown, readable, sizeof(out->shown));
        }
        free(scheme);
        http_curl.url_cleanup(h);
        return r;
}

void http_url_free(struct http_url *url)
{
        free(url->text);
        free(url->user);
        free(url->password);
        free(url->user_decoded);
        free(url->password_decoded);
        url->text = url->user = url->password = url->user_decoded = url->password_decoded = NULL;
}

bool http_same_origin(const struct http_url *a, const struct http_url *b)
{
        return a->https == b->https && a->port == b->port && strcmp(a->host, b->host) == 0 &&
               strcmp(a->zone, b->zone) == 0;
}

/* ---- secrets ---- */

static bool secrets_add(struct http_secrets *s, const char *text, size_t len)
{
        if (len == 0 || s->n >= HTTP_SECRETS_MAX)
                return true;
        /* text need not end after len bytes: copied with memcpy, not strndup, which ASan's
         * strict string checks read one byte past. */
        char *copy = malloc(len + 1);
        if (!copy)
                return false;
        memcpy(copy, text, len);
        copy[len] = '\0';
        s->text[s->n++] = copy;
        if (len > s->longest)
                s->longest = len;
        return true;
}

static size_t base64_encode(const unsigned char *in, size_t len, char *out)
{
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t n = 0;
        for (size_t i = 0; i < len; i += 3) {
                unsigned v = (unsigned)in[i] << 16;
                if (i + 1 < len)
                        v |= (unsigned)in[i + 1] << 8;
                if (i + 2 < len)
                        v |= in[i + 2];
                out[n++] = alphabet[(v >> 18) & 63];
                out[n++] = alphabet[(v >> 12) & 63];
                out[n++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
                out[n++] = i + 2 < len ? alphabet[v & 63] : '=';
        }
        return n;
}

/* The credentials as written ("user:password"), the password (or lone user name) written and
 * decoded, and the Basic credentials base64("user:password") that libcurl sends of them. */
static bool secrets_from_credentials(struct http_secrets *s, const struct http_url *url)
{
        const char *password = url->password ? url->password : "";
        const char *password_decoded = url->password ? url->password_decoded : "";
        const char *secret = url->password ? url->password : url->user;
        const char *decoded = url->password ? url->password_decoded : url->user_decoded;
        size_t written = strlen(url->user) + 1 + strlen(password);
        size_t plain = strlen(url->user_decoded) + 1 + strlen(password_decoded);
        char *both = malloc(written + 1), *pair = malloc(plain + 1);
        char *basic = malloc((plain + 2) / 3 * 4 + 1);
        bool ok = both && pair && basic;
        if (ok) {
                snprintf(both, written + 1, "%s%s%s", url->user, url->password ? ":" : "",
                         password);
                snprintf(pair, plain + 1, "%s:%s", url->user_decoded, password_decoded);
                size_t basic_len = base64_encode((const unsigned char *)pair, strlen(pair), basic);
                ok = secrets_add(s, both, strlen(both)) && secrets_add(s, secret, strlen(secret)) &&
                     secrets_add(s, decoded, strlen(decoded)) && secrets_add(s, basic, basic_len);
        }
        free(both);
        free(pair);
        free(basic);
        return ok;
}

bool http_secrets_collect(struct http_secrets *s, const char *const *headers, unsigned n_headers,
                          const struct http_url *url)
{
        *s = (struct http_secrets){.n = 0};
        for (unsigned i = 0; i < n_headers; i++) {
                const char *value = strchr(headers[i], ':');
                if (!value)
                        continue;
                value++;
                while (*value == ' ' || *value == '\t')
                        value++;
                size_t len = strlen(value);
                while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
                        len--;
                if (!secrets_add(s, value, len))
                        goto out_of_memory;
        }
        if (url && url->user && !secrets_from_credentials(s, url))
                goto out_of_memory;
        return true;
out_of_memory:
        http_secrets_free(s);
        return false;
}

void http_secrets_free(struct http_secrets *s)
{
        for (unsigned i = 0; i < s->n; i++)
                free(s->text[i]);
        *s = (struct http_secrets){.n = 0};
}

void http_secrets_hide(const struct http_secrets *s, const char *in, size_t in_len, char *out,
                       size_t out_size)
{
        size_t n = 0;
        if (out_size == 0)
                return;
        for (size_t i = 0; i < in_len && n + 1 < out_size;) {
                size_t hit = 0; /* the longest secret starting here, so none shows in part */
                for (unsigned k = 0; k < s->n; k++) {
                        size_t len = strlen(s->text[k]);
                        if (len > hit && len <= in_len - i && memcmp(in + i, s->text[k], len) == 0)
                                hit = len;
                }
                if (hit) {
                        for (size_t j = 0; j < 3 && n + 1 < out_size; j++)
                                out[n++] = '*';
                        i += hit;
                } else {
                        out[n++] = in[i++];
                }
        }
        out[n] = '\0';
}
