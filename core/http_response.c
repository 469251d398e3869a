/*
 * `preflight run FILE --http-response`: a health endpoint without a daemon. systemd listens
 * (a socket unit with Accept=yes) and starts one preflight per connection with the connection on
 * fd 0 (StandardInput=socket). preflight reads one request, bounded in size and in time, runs the
 * chain and answers 200 or 503 with its JSON Lines.
 *
 * With StandardInput=socket, StandardOutput= and StandardError= default to the socket too, so
 * anything preflight, a check or a library writes on fds 1 and 2 would land in the answer. The
 * connection is therefore moved to a private descriptor first; fd 1 becomes a memory file that
 * collects the JSON Lines, and fd 2, when it is the connection, becomes a stream to the journal
 * (/dev/null without one). Only http_exchange_end() writes on the connection.
 */
#include "core/http_response.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/exitcodes.h"
#include "core/report.h"
#include "core/text.h"

/* Request parsing (RFC 9112): pure, so the unit tests and the fuzzer reach all of it. */

static bool is_tchar(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static enum http_parse answer(struct http_request *req, int status, const char *reason)
{
        req->status = status;
        req->reason = reason;
        return HTTP_PARSE_DONE;
}

static void copy_cut(char *dst, size_t size, const char *src, size_t len)
{
        if (len >= size)
                len = size - 1;
        memcpy(dst, src, len);
        dst[len] = '\0';
}

/* METHOD SP TARGET SP HTTP/D.D, without its line end. */
static enum http_parse parse_request_line(const char *line, size_t len, struct http_request *req,
                                          bool *http11)
{
        size_t i = 0;
        while (i < len && is_tchar((unsigned char)line[i]))
                i++;
        size_t method_len = i;
        copy_cut(req->method, sizeof(req->method), line, method_len);
        if (method_len == 0 || i >= len || line[i] != ' ')
                return answer(req, 400, "a malformed request line");
        size_t target_start = ++i;
        while (i < len && (unsigned char)line[i] > 0x20 && (unsigned char)line[i] < 0x7f)
                i++;
        size_t target_len = i - target_start;
        copy_cut(req->target, sizeof(req->target), line + target_start, target_len);
        if (target_len == 0 || i >= len || line[i] != ' ')
                return answer(req, 400, "a malformed request line");
        i++;
        const char *version = line + i;
        if (len - i != 8 || memcmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
            version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
                return answer(req, 400, "a malformed HTTP version");
        const char *target = line + target_start;
        /* origin-form (/path?query) or absolute-form (http://host/path); the path is not
         * looked at: every path answers with the same chain. */
        bool absolute =
            target_len > 3 && memmem(target, target_len, "://", 3) != NULL &&
            ((target[0] >= 'a' && target[0] <= 'z') || (target[0] >= 'A' && target[0] <= 'Z'));
        if (target[0] != '/' && !absolute)
                return answer(req, 400, "a request target that is not a path");
        if (version[5] != '1')
                return answer(req, 505, "not HTTP/1.x");
        *http11 = version[7] != '0';
        if (method_len == 3 && memcmp(line, "GET", 3) == 0)
                req->head = false;
        else if (method_len == 4 && memcmp(line, "HEAD", 4) == 0)
                req->head = true;
        else
                return answer(req, 405, "a method other than GET or HEAD");
        return HTTP_PARSE_MORE;
}

/* NAME ":" OWS VALUE OWS, without its line end. Counts Host headers. */
static enum http_parse parse_header_line(const char *line, size_t len, struct http_request *req,
                                         unsigned *hosts)
{
        if (line[0] == ' ' || line[0] == '\t')
                return answer(req, 400, "a folded header line");
        size_t i = 0;
        while (i < len && is_tchar((unsigned char)line[i]))
                i++;
        if (i == 0 || i >= len || line[i] != ':')
                return answer(req, 400, "a malformed header line");
        if (i == 4 && strncasecmp(line, "host", 4) == 0)
                (*hosts)++;
        for (i++; i < len; i++) {
                unsigned char c = (unsigned char)line[i];
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return answer(req, 400, "a control character in a header");
        }
        return HTTP_PARSE_MORE;
}

enum http_parse http_request_parse(const char *buf, size_t len, size_t max,
                                   struct http_request *req)
{
        *req = (struct http_request){0};
        if (len > max)
                len = max;
        size_t pos = 0;
        bool seen_request_line = false, http11 = false;
        unsigned hosts = 0;
        for (;;) {
                const char *lf = memchr(buf + pos, '\n', len - pos);
                if (!lf) {
                        /* A line that is already wrong need not wait for its end. */
                        if (memchr(buf + pos, '\0', len - pos))
                                return answer(req, 400, "a NUL byte in the request");
                        if (len >= max)
                                return answer(req, 431, "request line and headers over 8 KiB");
                        return HTTP_PARSE_MORE;
                }
                const char *line = buf + pos;
                size_t line_len = (size_t)(lf - line);
                pos += line_len + 1;
                if (line_len > 0 && line[line_len - 1] == '\r')
                        line_len--;
                if (memchr(line, '\r', line_len) || memchr(line, '\0', line_len))
                        return answer(req, 400, "a bare CR or a NUL byte in the request");
                enum http_parse r;
                if (!seen_request_line) {
                        /* RFC 9112 2.2: empty lines before the request line are ignored. */
                        if (line_len == 0)
                                continue;
                        seen_request_line = true;
                        r = parse_request_line(line, line_len, req, &http11);
                } else if (line_len == 0) {
                        if (hosts > 1 || (http11 && hosts == 0))
                                return answer(req, 400,
                                              "an HTTP/1.1 request needs one Host header");
                        req->header_len = pos;
                        req->status = 0;
                        req->reason = req->head ? "HEAD" : "GET";
                        return HTTP_PARSE_DONE;
                } else {
                        r = parse_header_line(line, line_len, req, &hosts);
                }
                if (r == HTTP_PARSE_DONE)
                        return r;
        }
}

const char *http_status_text(int status)
{
        switch (status) {
        case 200:
                return "OK";
        case 400:
                return "Bad Request";
        case 405:
                return "Method Not Allowed";
        case 408:
                return "Request Timeout";
        case 431:
                return "Request Header Fields Too Large";
        case 500:
                return "Internal Server Error";
        case 503:
                return "Service Unavailable";
        case 505:
                return "HTTP Version Not Supported";
        default:
                return "Unknown";
        }
}

/* The exchange. */

static bool same_file(int a, int b)
{
        struct stat sa, sb;
        return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
               sa.st_ino == sb.st_ino;
}

/*
 * A stream to the journal, as systemd gives StandardError=journal (the stdout stream protocol:
 * identifier, unit, priority, level prefix, forward to syslog, kmsg, console), so the "<N>"
 * priorities report.c writes are read as such; JOURNAL_STREAM names it for report.c. journald
 * finds the unit from the peer's cgroup, so `journalctl -u` shows the lines. -1 without one.
 */
static int open_journal_stream(void)
{
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        const char *path = "/run/systemd/journal/stdout";
        memcpy(sa.sun_path, path, strlen(path) + 1);
        static const char header[] = "preflight\n\n6\n1\n0\n0\n0\n";
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || shutdown(fd, SHUT_RD) < 0 ||
            send(fd, header, sizeof(header) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(header) - 1)) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Points fd at target (closing target afterwards). */
static bool move_fd(int target, int fd)
{
        if (target < 0)
                return false;
        bool ok = dup2(target, fd) == fd;
        close(target);
        return ok;
}

static bool point_stderr_away(void)
{
        int journal = open_journal_stream();
        if (journal >= 0) {
                struct stat st;
                if (!move_fd(journal, STDERR_FILENO) || fstat(STDERR_FILENO, &st) < 0)
                        return false;
                char env[64];
                snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
                         (unsigned long long)st.st_ino);
                return setenv("JOURNAL_STREAM", env, 1) == 0;
        }
        unsetenv("JOURNAL_STREAM");
        return move_fd(open("/dev/null", O_WRONLY | O_CLOEXEC), STDERR_FILENO);
}

static uint64_t now_ms(void)
{
        return clock_now_us() / 1000;
}

/* Writes all of data within the deadline; false when the client does not take it. */
static bool send_all(int fd, const char *data, size_t len, uint64_t deadline_us)
{
        while (len > 0) {
                ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == ENOTSOCK)
                        n = write(fd, data, len); /* a pipe or a terminal, when run by hand */
                if (n > 0) {
                        data += n;
                        len -= (size_t)n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        if (poll_until(fd, POLLOUT, deadline_us) <= 0)
                                return false;
                        continue;
                }
                return false;
        }
        return true;
}

/*
 * After the answer: no more to say (FIN), then what the client still sends is read and dropped
 * until it closes, for a short while: closing with unread bytes would make the kernel send a
 * reset, which can destroy the answer before the client reads it.
 */
static void finish_connection(int fd, bool extra)
{
        shutdown(fd, SHUT_WR);
        int pending = 0;
        if (!extra && (ioctl(fd, FIONREAD, &pending) < 0 || pending == 0))
                return; /* nothing unread: close() sends a plain FIN */
        uint64_t deadline = deadline_after(1000000);
        char sink[4096];
        while (poll_until(fd, POLLIN, deadline) > 0) {
                ssize_t n = read(fd, sink, sizeof(sink));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
        }
}

static bool respond(struct http_exchange *x, int status, const char *type, const char *body,
                    size_t body_len)
{
        char head[512];
        int n = snprintf(head, sizeof(head),
                         "HTTP/1.1 %d %s\r\n"
                         "Content-Type: %s\r\n"
                         "Content-Length: %zu\r\n"
                         "Cache-Control: no-store\r\n"
                         "%s"
                         "Connection: close\r\n"
                         "\r\n",
                         status, http_status_text(status), type, body_len,
                         status == 405 ? "Allow: GET, HEAD\r\n" : "");
        uint64_t deadline = deadline_after((uint64_t)HTTP_WRITE_TIMEOUT_MS * 1000);
        bool ok = n > 0 && (size_t)n < sizeof(head) &&
                  send_all(x->sock, head, (size_t)n, deadline) &&
                  (x->req.head || send_all(x->sock, body, body_len, deadline));
        if (ok)
                finish_connection(x->sock, x->extra);
        else
                report_warning("run",
                               "--http-response: the client did not take the %d answer "
                               "within %d ms",
                               status, HTTP_WRITE_TIMEOUT_MS);
        return ok;
}

static void log_request(const struct http_exchange *x, int status)
{
        char method[QUOTE_BUF], target[QUOTE_BUF];
        report_info("preflight: run: --http-response: %s %s: %d %s (%s, %llu ms)",
                    x->req.method[0] ? text_quote(x->req.method, method, sizeof(method)) : "-",
                    x->req.target[0] ? text_quote(x->req.target, target, sizeof(target)) : "-",
                    status, http_status_text(status), x->req.reason ? x->req.reason : "",
                    (unsigned long long)(now_ms() - x->start_ms));
}

static void respond_error(struct http_exchange *x, int status)
{
        char body[256];
        int n = snprintf(body, sizeof(body), "%d %s: %s\n", status, http_status_text(status),
                         x->req.reason ? x->req.reason : "");
        log_request(x, status);
        respond(x, status, "text/plain; charset=utf-8", body, n > 0 ? (size_t)n : 0);
}

/* Reads until the headers end, the bound is reached, the time is up or the client leaves. */
static bool read_request(struct http_exchange *x)
{
        char buf[HTTP_REQUEST_MAX_BYTES];
        size_t len = 0;
        uint64_t deadline = deadline_after((uint64_t)HTTP_READ_TIMEOUT_MS * 1000);
        for (;;) {
                if (http_request_parse(buf, len, sizeof(buf), &x->req) == HTTP_PARSE_DONE) {
                        x->extra = x->req.status == 0 ? len > x->req.header_len : len > 0;
                        return true;
                }
                int ready = poll_until(x->sock, POLLIN, deadline);
                if (ready == 0) {
                        x->req.status = 408;
                        x->req.reason = "no complete request within 5 s";
                        return true;
                }
                ssize_t n = ready < 0 ? -1 : read(x->sock, buf + len, sizeof(buf) - len);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n <= 0) {
                        /* Gone (or reset) before the request ended: no one to answer. */
                        report_info("preflight: run: --http-response: the client closed the "
                                    "connection before its request ended (%zu bytes); no answer",
                                    len);
                        return false;
                }
                len += (size_t)n;
        }
}

int http_exchange_begin(struct http_exchange *x, bool *run)
{
        *x = (struct http_exchange){.sock = -1, .body = -1, .start_ms = now_ms()};
        *run = false;
        /* Decided before fd 0 moves: is fd 2 (or fd 1) the connection itself? */
        bool stderr_is_connection = same_file(STDIN_FILENO, STDERR_FILENO);
        struct stat st;
        if (fstat(STDERR_FILENO, &st) < 0)
                stderr_is_connection = true; /* closed: nothing of ours may land on a new fd 2 */
        x->sock = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        x->body = memfd_create("preflight-http-body", MFD_CLOEXEC);
        if (x->sock < 0 || x->body < 0 ||
            !move_fd(open("/dev/null", O_RDONLY | O_CLOEXEC), STDIN_FILENO) ||
            dup2(x->body, STDOUT_FILENO) != STDOUT_FILENO ||
            (stderr_is_connection && !point_stderr_away())) {
                int e = errno;
                /* fd 2 may still be the connection: say nothing there, just end. */
                if (!stderr_is_connection)
                        report_error("run", "--http-response: cannot set up the connection: %s",
                                     strerror(e));
                return PF_INTERNAL;
        }
        int flags = fcntl(x->sock, F_GETFL);
        if (flags >= 0)
                fcntl(x->sock, F_SETFL, flags | O_NONBLOCK);
        if (!read_request(x))
                return PF_OK;
        if (x->req.status != 0) {
                respond_error(x, x->req.status);
                return PF_OK;
        }
        *run = true;
        return PF_OK;
}

static void exchange_close(struct http_exchange *x)
{
        if (x->sock >= 0)
                close(x->sock);
        if (x->body >= 0)
                close(x->body);
        x->sock = x->body = -1;
}

int http_exchange_end(struct http_exchange *x, bool loaded, int chain_code)
{
        int code = PF_OK;
        if (fflush(stdout) != 0)
                clearerr(stdout);
        if (!loaded) {
                x->req.reason = "the chain file cannot be used (see the lines before)";
                respond_error(x, 500);
                exchange_close(x);
                return chain_code;
        }
        off_t size = lseek(x->body, 0, SEEK_END);
        char *body = size > 0 ? malloc((size_t)size) : NULL;
        if (size < 0 || (size > 0 && (!body || pread(x->body, body, (size_t)size, 0) != size))) {
                report_error("run", "--http-response: cannot read back the results: %s",
                             strerror(errno));
                x->req.reason = "the results could not be read back";
                respond_error(x, 500);
                free(body);
                exchange_close(x);
                return PF_INTERNAL;
        }
        int status = chain_code == PF_OK ? 200 : 503;
        x->req.reason = chain_code == PF_OK ? "every line passed" : "a line failed";
        log_request(x, status);
        respond(x, status, "application/x-ndjson", body ? body : "", (size_t)(size > 0 ? size : 0));
        free(body);
        exchange_close(x);
        return code;
}
