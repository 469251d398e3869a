/* http: does this URL answer as a ready service answers? */
#include "checks/http/curl.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/text.h"

#ifndef PREFLIGHT_VERSION
#define PREFLIGHT_VERSION "0.0.0"
#endif

static size_t body_keep(char *data, size_t size, size_t count, void *context)
{
        struct http_body *body = context;
        size_t n = size * count;
        size_t room = HTTP_BODY_CAP - body->len;
        if (n > room) {
                /* Enough to decide: keep what fits and stop the transfer (CURLE_WRITE_ERROR). */
                memcpy(body->data + body->len, data, room);
                body->len += room;
                body->data[body->len] = '\0';
                body->capped = true;
                return 0;
        }
        memcpy(body->data + body->len, data, n);
        body->len += n;
        body->data[body->len] = '\0';
        return n;
}

static void exchange_free(struct http_exchange *ex)
{
        if (ex->handle)
                http_curl.easy_cleanup(ex->handle);
        if (ex->headers)
                http_curl.slist_free_all(ex->headers);
        free(ex->body.data);
        http_url_free(&ex->redirected);
}

/* Options that stay for every hop. Returns CURLE_OK or the first failure. */
static CURLcode exchange_setup(struct http_exchange *ex)
{
        const struct http_config *cfg = ex->cfg;
        CURL *h = ex->handle;
        CURLcode rc = CURLE_OK;
        for (unsigned i = 0; i < cfg->n_header; i++) {
                struct curl_slist *more = http_curl.slist_append(ex->headers, cfg->header[i]);
                if (!more)
                        return CURLE_OUT_OF_MEMORY;
                ex->headers = more;
        }
        /* Signals off: the deadline is libcurl's own timeout (and its resolver is threaded), so
         * nothing here needs SIGALRM, which the backstop owns. */
        rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        /* When the deadline passes while the resolver thread still waits for DNS, leave that
         * thread behind instead of joining it (libcurl 7.87+). */
        rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_QUICK_EXIT, 1L);
        rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_ERRORBUFFER, ex->error);
        rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        /* Redirects are followed here, one hop at a time, to check each target first. */
        rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        /* And each on a new connection: a server that closes a kept-alive connection after each
         * answer made libcurl retry on a fresh one, counting the retries across hops until it
         * gave up ("Connection died, tried 5 times") midway through a redirect chain. */
        if (ex->cfg->follow)
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
        /* The service is asked directly, as Kubernetes probes do: a proxy from the environment
         * would answer for it. */
        rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_PROXY, "");
        rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_USERAGENT, "preflight/" PREFLIGHT_VERSION);
        rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, body_keep);
        rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_WRITEDATA, &ex->body);
        if (ex->headers)
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_HTTPHEADER, ex->headers);
        if (cfg->unix_socket)
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, cfg->unix_socket);
        if (cfg->cacert)
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_CAINFO, cfg->cacert);
        if (cfg->cert)
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_SSLCERT, cfg->cert);
        if (cfg->key)
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_SSLKEY, cfg->key);
        if (cfg->insecure) {
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (cfg->method == HTTP_HEAD) {
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else if (cfg->method == HTTP_POST) {
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
                rc = rc ? rc : http_curl.easy_setopt(h, CURLOPT_POSTFIELDS, "");
        }
        return rc;
}

/* Runs one request with what is left of the deadline; SIGPIPE is ignored meanwhile, as libcurl
 * does itself when signals are allowed (a TLS write to a closed peer must not kill us). */
static CURLcode exchange_perform(struct http_exchange *ex, uint64_t deadline_us)
{
        int left_ms = deadline_remaining_ms(deadline_us);
        long timeout_ms = left_ms < 0 ? 0L : (long)left_ms; /* 0: no deadline */
        CURLcode rc = http_curl.easy_setopt(ex->handle, CURLOPT_URL, ex->hop->text);
        rc = rc ? rc : http_curl.easy_setopt(ex->handle, CURLOPT_TIMEOUT_MS, timeout_ms);
        rc = rc ? rc : http_curl.easy_setopt(ex->handle, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        if (rc != CURLE_OK)
                return rc;
        ex->body.len = 0;
        ex->body.capped = false;
        ex->body.data[0] = '\0';
        ex->error[0] = '\0';
        struct sigaction ignore = {.sa_handler = SIG_IGN}, previous;
        sigemptyset(&ignore.sa_mask);
        bool restore = sigaction(SIGPIPE, &ignore, &previous) == 0;
        rc = http_curl.easy_perform(ex->handle);
        if (restore)
                (void)sigaction(SIGPIPE, &previous, NULL);
        if (rc == CURLE_WRITE_ERROR && ex->body.capped)
                rc = CURLE_OK; /* we stopped it: the first HTTP_BODY_CAP bytes are enough */
        return rc;
}

/* A redirect that is not followed: to another scheme, or to what libcurl's URL API refuses. */
static void redirect_refused(const struct http_exchange *ex, long status,
                             const struct http_url *next, int parsed, const char *why,
                             struct check_result *res)
{
        char shown[sizeof(next->shown)], q[QUOTE_BUF];
        if (parsed == PF_INTERNAL) {
                result_set(res, PF_INTERNAL, "%s", why);
        } else if (next->other_scheme) {
                result_set(
                    res, PF_HTTP_STATUS,
                    "answered %ld, a redirect to '%s': only http and https are followed", status,
                    text_quote(http_hidden(ex, next->shown, shown, sizeof(shown)), q, sizeof(q)));
        } else {
                char hidden_why[sizeof(((struct pf_error *)0)->msg)];
                result_set(res, PF_HTTP_STATUS, "answered %ld, a redirect that is not followed: %s",
                           status, http_hidden(ex, why, hidden_why, sizeof(hidden_why)));
        }
}

/* Follows one redirect when --follow allows it. Returns true when there is a next hop; false
 * with res set when the redirect is refused, or with res untouched when this is the answer. */
static bool next_hop(struct http_exchange *ex, long status, struct check_result *res)
{
        char *location = NULL;
        struct http_url next;
        struct pf_error err = {0};
        if (!ex->cfg->follow || status < 300 || status > 399)
                return false;
        if (http_curl.easy_getinfo(ex->handle, CURLINFO_REDIRECT_URL, &location) != CURLE_OK ||
            !location)
                return false; /* a 304, or a 3xx without Location: this is the answer */
        int parsed = http_url_parse(location, &next, &err);
        if (parsed != PF_OK) {
                redirect_refused(ex, status, &next, parsed, err.msg, res);
                http_url_free(&next);
                return false;
        }
        if (ex->redirects >= HTTP_MAX_REDIRECTS) {
                result_set(res, PF_HTTP_STATUS,
                           "answered %ld after %u redirects, and would go on (at most %d are "
                           "followed)",
                           status, ex->redirects, HTTP_MAX_REDIRECTS);
                http_url_free(&next);
                return false;
        }
        CURLcode rc = CURLE_OK;
        if (ex->headers && !http_same_origin(ex->hop, &next)) {
                /* Tokens given with --header are for the origin they were given for. */
                rc = http_curl.easy_setopt(ex->handle, CURLOPT_HTTPHEADER,
                                           (struct curl_slist *)NULL);
                ex->headers_dropped = true;
        }
        /* As browsers and curl -L do: 301, 302 and 303 turn a POST into a GET. */
        if (ex->cfg->method == HTTP_POST && status >= 301 && status <= 303)
                rc = rc ? rc : http_curl.easy_setopt(ex->handle, CURLOPT_HTTPGET, 1L);
        http_url_free(&ex->redirected);
        ex->redirected = next;
        ex->hop = &ex->redirected;
        ex->redirects++;
        if (rc != CURLE_OK) {
                result_set(res, PF_INTERNAL, "libcurl: %s", http_curl.easy_strerror(rc));
                return false;
        }
        return true;
}

/* Asks each hop in turn until there is an answer to judge or a failure; sets res. */
static void exchange_run(struct http_exchange *ex, const struct attempt *attempt,
                         struct check_result *res)
{
        uint64_t started_us = clock_now_us();
        for (;;) {
                if (deadline_passed(attempt->deadline_us)) {
                        result_set(res, PF_HTTP_TIMEOUT, "timed out after %.1fs before %s",
                                   (double)(clock_now_us() - started_us) / 1e6,
                                   ex->redirects ? "the next redirect" : "connecting");
                        return;
                }
                CURLcode rc = exchange_perform(ex, attempt->deadline_us);
                if (rc != CURLE_OK) {
                        http_transfer_failed(ex, rc, started_us, attempt, res);
                        return;
                }
                long status = http_info_long(ex->handle, CURLINFO_RESPONSE_CODE);
                struct curl_header *length;
                if (http_curl.easy_header(ex->handle, "Content-Length", 0, CURLH_HEADER, -1,
                                          &length) == CURLHE_OK &&
                    !http_content_length_valid(length->value)) {
                        char q[QUOTE_BUF];
                        result_set(res, PF_HTTP_UNREACHABLE,
                                   "no usable answer: Content-Length '%s' is not a size",
                                   text_quote(length->value, q, sizeof(q)));
                        return;
                }
                if (next_hop(ex, status, res))
                        continue;
                if (res->message[0] == '\0')
                        http_judge_answer(ex, status, res);
                if (attempt->verbose && !res->detail[0])
                        http_describe_exchange(ex, res);
                return;
        }
}

static void http_release_target(void *target)
{
        struct http_target *t = target;
        http_url_free(&t->url);
        http_secrets_free(&t->secrets);
}

/* The URL is read once, here, by libcurl's URL API: what this accepts (and --dry-run with it)
 * a transfer accepts, and nothing about the URL can fail later. */
static int http_parse_target(const void *config, const char *arg, void *target, char *shown,
                             struct pf_error *err)
{
        const struct http_config *cfg = config;
        struct http_target *t = target;
        int r = http_url_parse(arg, &t->url, err);
        if (r != PF_OK) {
                http_url_free(&t->url);
                return r;
        }
        if (!http_secrets_collect(&t->secrets, cfg->header, cfg->n_header, &t->url)) {
                http_url_free(&t->url);
                (void)pf_error_set(err, "out of memory");
                return PF_INTERNAL;
        }
        /* The URL's credentials are "***" already; a --header value in it is hidden too. */
        struct http_secrets header_values;
        if (!http_secrets_collect(&header_values, cfg->header, cfg->n_header, NULL)) {
                http_release_target(t);
                (void)pf_error_set(err, "out of memory");
                return PF_INTERNAL;
        }
        http_secrets_hide(&header_values, t->url.shown, strlen(t->url.shown), shown,
                          TARGET_SHOWN_SIZE);
        http_secrets_free(&header_values);
        return PF_OK;
}

static void http_run(const void *config, const void *target, const struct attempt *attempt,
                     struct check_result *res)
{
        const struct http_target *t = target;
        struct http_exchange ex = {.cfg = config,
                                   .secrets = &t->secrets,
                                   .deadline_us = attempt->deadline_us,
                                   .hop = &t->url};
        ex.handle = http_curl.easy_init();
        ex.body.data = malloc(HTTP_BODY_CAP + 1);
        CURLcode rc = ex.handle && ex.body.data ? exchange_setup(&ex) : CURLE_OUT_OF_MEMORY;
        if (rc == CURLE_OK)
                exchange_run(&ex, attempt, res);
        else
                result_set(res, PF_INTERNAL, "libcurl: %s", http_curl.easy_strerror(rc));
        exchange_free(&ex);
}

/* What completion offers (core/completion.c). */
static const struct check_completion http_completion[] = {
    {NULL, "http:// https://"},
    {"method", "GET HEAD POST"},
    {"expect-status", "200 200-299 200-399"},
    {NULL, NULL},
};

const struct check check_http = {
    .name = "http",
    .summary = "does this URL answer as a ready service answers?",
    .usage = "URL... [--expect-status LIST] [--expect-body TEXT] [--follow]",
    .help = "Sends one request (GET unless --method says otherwise) and passes when the answer "
            "has an\nexpected status (200-399 by default, as Kubernetes probes) and every "
            "--expect-* holds.\nOnly http:// and https:// are used, also after redirects, "
            "which are followed only\nwith --follow (10 at most). The first 64 KiB of the "
            "body are matched; the rest is not\nread. Proxy variables are ignored. Values of "
            "--header and passwords in the URL are\nnever shown. Codes: 50 unreachable, 51 "
            "timed out, 52 unexpected status, 53 body or\nheader mismatch, 54 TLS failure, 5 "
            "libcurl missing (apt-get install libcurl4).",
    .options = http_options,
    .min_targets = 1,
    .max_targets = 16,
    .timeout_code = PF_HTTP_TIMEOUT,
    /* With --invert, the answer a ready service gives is the one not wanted: reported as an
     * unexpected status, a transient code, so --invert --wait waits for it to change. */
    .inverted_code = PF_HTTP_STATUS,
    .config_size = sizeof(struct http_config),
    .init = http_init,
    .target_size = sizeof(struct http_target),
    .parse_option = http_parse_option,
    .finish = http_finish,
    .parse_target = http_parse_target,
    .run = http_run,
    .release_target = http_release_target,
    .release = http_release,
    .completion = http_completion,
};
