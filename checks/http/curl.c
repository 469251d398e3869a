/* libcurl for the http check: loaded on first use, and its failures named in the check's codes. */
#include "checks/http/curl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/dl.h"
#include "core/text.h"

struct http_curl http_curl;

int http_curl_load(struct pf_error *err)
{
        static bool initialised;
        static const char *const sonames[] = {"libcurl.so.4", "libcurl-gnutls.so.4", NULL};
#define HTTP_CURL_SYMBOL(name) {"curl_" #name, (void **)&http_curl.name},
        const struct dl_symbol symbols[] = {HTTP_CURL_FUNCTIONS(HTTP_CURL_SYMBOL){NULL, NULL}};
#undef HTTP_CURL_SYMBOL
        char why[512];
        if (initialised)
                return PF_OK;
        int r = dl_load(sonames, symbols, why, sizeof(why));
        if (r == PF_NO_LIBRARY) {
                pf_error_set(err, "libcurl is not installed: %s; apt-get install %s", why,
                             HTTP_DEBIAN_PACKAGE);
                return PF_NO_LIBRARY;
        }
        if (r != PF_OK) {
                pf_error_set(err,
                             "libcurl is installed but cannot be loaded: %s; look at the unit's "
                             "LimitAS= (or ulimit -v) and at ldd on the library the message names",
                             why);
                return PF_INTERNAL;
        }
        /* CURLOPT_QUICK_EXIT (a resolver thread is left behind at the deadline) came in 7.87. */
        const curl_version_info_data *version = http_curl.version_info(CURLVERSION_NOW);
        if (version->version_num < 0x075700) {
                pf_error_set(err,
                             "libcurl %s is older than 7.87, which the check needs; apt-get "
                             "install %s",
                             version->version, HTTP_DEBIAN_PACKAGE);
                return PF_NO_LIBRARY;
        }
        CURLcode rc = http_curl.global_init(CURL_GLOBAL_DEFAULT);
        if (rc != CURLE_OK) {
                pf_error_set(err, "libcurl: curl_global_init: %s", http_curl.easy_strerror(rc));
                return PF_INTERNAL;
        }
        initialised = true;
        return PF_OK;
}

long http_info_long(CURL *h, CURLINFO what)
{
        long value = 0;
        return http_curl.easy_getinfo(h, what, &value) == CURLE_OK ? value : 0;
}

curl_off_t http_info_time_us(CURL *h, CURLINFO what)
{
        curl_off_t value = 0;
        return http_curl.easy_getinfo(h, what, &value) == CURLE_OK ? value : 0;
}

/* Makes library text safe for a message line: control bytes and non-ASCII become '?'. */
static void copy_printable(char *dst, size_t size, const char *src)
{
        size_t i = 0;
        if (size == 0)
                return;
        for (; src[i] && i + 1 < size; i++)
                dst[i] =
                    ((unsigned char)src[i] < 0x20 || (unsigned char)src[i] >= 0x7f) ? '?' : src[i];
        dst[i] = '\0';
        while (i > 0 && (dst[i - 1] == '?' || dst[i - 1] == ' ' || dst[i - 1] == '.'))
                dst[--i] = '\0'; /* curl ends some messages with a line break */
}

/* Which step the deadline caught, from the times libcurl records as each one ends. */
static const char *stuck_step(const struct http_exchange *ex)
{
        CURL *h = ex->handle;
        if (!ex->cfg->unix_socket && http_info_time_us(h, CURLINFO_NAMELOOKUP_TIME_T) == 0)
                return "resolving the host name";
        if (http_info_time_us(h, CURLINFO_CONNECT_TIME_T) == 0)
                return "connecting";
        if (ex->hop->https && http_info_time_us(h, CURLINFO_APPCONNECT_TIME_T) == 0)
                return "in the TLS handshake";
        if (http_info_time_us(h, CURLINFO_STARTTRANSFER_TIME_T) == 0)
                return "waiting for the answer";
        return "reading the answer";
}

static bool is_tls_error(CURLcode rc)
{
        switch (rc) {
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_CLIENTCERT:
        case CURLE_USE_SSL_FAILED:
                return true;
        default:
                return false;
        }
}

/* With TLS 1.3 a server checks the client's certificate after the client has finished its
 * side of the handshake: a refusal then shows as a failed read or write (a TLS alert, or a
 * reset) before any answer. */
static bool rejected_after_handshake(const struct http_exchange *ex, CURLcode rc)
{
        return ex->hop->https && (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR) &&
               http_info_time_us(ex->handle, CURLINFO_APPCONNECT_TIME_T) > 0 &&
               http_info_time_us(ex->handle, CURLINFO_STARTTRANSFER_TIME_T) == 0;
}

/* CURLE_PEER_FAILED_VERIFICATION covers a certificate no CA vouches for and one for another
 * host: only libcurl's words tell them apart. OpenSSL's backend says "no alternative
 * certificate subject name matches target host name" or "certificate subject name 'x' does not
 * match target host name", GnuTLS's "certificate subject name (x) does not match target host
 * name". */
static bool names_another_host(const char *why)
{
        return strstr(why, "does not match target host name") ||
               strstr(why, "subject name matches target host name");
}

static void tls_failed(const struct http_exchange *ex, CURLcode rc, const char *why,
                       struct check_result *res)
{
        if (rc == CURLE_PEER_FAILED_VERIFICATION && names_another_host(why)) {
                char q[QUOTE_BUF];
                const char *host = text_quote(ex->hop->host, q, sizeof(q));
                result_set(res, PF_HTTP_TLS,
                           "TLS failure: %s is not among the names in the server's "
                           "certificate (%s)",
                           host, why);
                result_fix(res,
                           "ask for a name the certificate holds (openssl x509 -noout -ext "
                           "subjectAltName -in CERT lists them), or give the server a "
                           "certificate that names %s",
                           host);
                return;
        }
        if (is_tls_error(rc) || strstr(why, "alert"))
                result_set(res, PF_HTTP_TLS, "TLS failure: %s", why);
        else
                result_set(res, PF_HTTP_TLS,
                           "TLS failure: the server closed the connection right after the "
                           "handshake (%s)",
                           why);
        if (rc == CURLE_PEER_FAILED_VERIFICATION)
                result_fix(res, "give the CA that signed the server's certificate with "
                                "--cacert FILE, or fix the server's certificate");
        else if (!ex->cfg->cert && !is_tls_error(rc))
                result_fix(res, "if the server wants a client certificate, give --cert FILE and "
                                "--key FILE");
}

/* "connection refused by 127.0.0.1 port 8080", "cannot connect to unix socket /run/x.sock: No
 * such file or directory": who was asked, and what the system said. */
static void connect_failed(const struct http_exchange *ex, long os_errno, const char *why,
                           struct check_result *res)
{
        char peer[400], q[QUOTE_BUF];
        if (ex->cfg->unix_socket)
                snprintf(peer, sizeof(peer), "unix socket %s",
                         text_quote(ex->cfg->unix_socket, q, sizeof(q)));
        else
                snprintf(peer, sizeof(peer), "%s port %u", text_quote(ex->hop->host, q, sizeof(q)),
                         ex->hop->port);
        if (os_errno == ECONNREFUSED)
                result_set(res, PF_HTTP_UNREACHABLE, "connection refused by %s", peer);
        else if (os_errno > 0)
                result_set(res, PF_HTTP_UNREACHABLE, "cannot connect to %s: %s", peer,
                           strerror((int)os_errno));
        else
                result_set(res, PF_HTTP_UNREACHABLE, "cannot connect to %s: %s", peer, why);
}

static void timed_out(const struct http_exchange *ex, uint64_t started_us,
                      const struct attempt *attempt, struct check_result *res)
{
        double seconds = (double)(clock_now_us() - started_us) / 1e6;
        if (attempt->number > 1) /* under --wait: this attempt had what was left */
                result_set(res, PF_HTTP_TIMEOUT, "timed out %s (attempt %u, its last %.1fs)",
                           stuck_step(ex), attempt->number, seconds);
        else
                result_set(res, PF_HTTP_TIMEOUT, "timed out after %.1fs %s", seconds,
                           stuck_step(ex));
}

void http_transfer_failed(const struct http_exchange *ex, CURLcode rc, uint64_t started_us,
                          const struct attempt *attempt, struct check_result *res)
{
        char why[CURL_ERROR_SIZE], printable[CURL_ERROR_SIZE];
        copy_printable(printable, sizeof(printable),
                       ex->error[0] ? ex->error : http_curl.easy_strerror(rc));
        http_hidden(ex, printable, why, sizeof(why));
        result_detail(res, "libcurl: %s (error %d)", why, (int)rc);

        /* Whatever libcurl says after the deadline (a resolver giving up, say), time ran out. */
        if (rc == CURLE_OPERATION_TIMEDOUT || deadline_passed(attempt->deadline_us)) {
                timed_out(ex, started_us, attempt, res);
                return;
        }
        if (is_tls_error(rc) || rejected_after_handshake(ex, rc)) {
                tls_failed(ex, rc, why, res);
                return;
        }
        switch (rc) {
        case CURLE_COULDNT_RESOLVE_HOST:
                result_set(res, PF_HTTP_UNREACHABLE, "cannot resolve the host name: %s", why);
                return;
        case CURLE_COULDNT_CONNECT:
                connect_failed(ex, http_info_long(ex->handle, CURLINFO_OS_ERRNO), why, res);
                return;
        case CURLE_OUT_OF_MEMORY:
                /* libcurl 7.88 says so, too, of a header line over its 100 KiB limit. */
                if (http_info_long(ex->handle, CURLINFO_RESPONSE_CODE) > 0) {
                        result_set(res, PF_HTTP_UNREACHABLE,
                                   "no usable answer: a header line longer than libcurl accepts");
                        return;
                }
                result_set(res, PF_INTERNAL, "out of memory");
                return;
        case CURLE_URL_MALFORMAT:
                /* Every URL asked for went through libcurl's URL API first: a disagreement. */
                result_set(res, PF_INTERNAL, "libcurl refused a URL its URL API accepted: %s", why);
                return;
        default:
                result_set(res, PF_HTTP_UNREACHABLE, "no usable answer: %s", why);
                return;
        }
}

void http_describe_exchange(const struct http_exchange *ex, struct check_result *res)
{
        static const struct {
                long version;
                const char *name;
        } versions[] = {{CURL_HTTP_VERSION_1_0, "HTTP/1.0"},
                        {CURL_HTTP_VERSION_1_1, "HTTP/1.1"},
                        {CURL_HTTP_VERSION_2_0, "HTTP/2"},
                        {CURL_HTTP_VERSION_3, "HTTP/3"}};
        CURL *h = ex->handle;
        char *ip = NULL;
        const char *peer, *version = "HTTP";
        long http_version = http_info_long(h, CURLINFO_HTTP_VERSION);
        for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
                if (versions[i].version == http_version)
                        version = versions[i].name;
        if (http_curl.easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && *ip)
                peer = ip;
        else
                peer = ex->cfg->unix_socket ? "the unix socket" : "?";
        result_detail(res,
                      "%s from %s port %ld: connected in %.1fms, first byte at %.1fms, %zu "
                      "bytes of body read%s%s",
                      version, peer, http_info_long(h, CURLINFO_PRIMARY_PORT),
                      (double)http_info_time_us(h, CURLINFO_CONNECT_TIME_T) / 1000.0,
                      (double)http_info_time_us(h, CURLINFO_STARTTRANSFER_TIME_T) / 1000.0,
                      ex->body.len, ex->body.capped ? " (then stopped: 64 KiB is enough)" : "",
                      ex->headers_dropped ? "; --header not sent after the redirect to another "
                                            "origin"
                                          : "");
}

const char *http_hidden(const struct http_exchange *ex, const char *text, char *buf, size_t size)
{
        http_secrets_hide(ex->secrets, text, strlen(text), buf, size);
        return buf;
}
