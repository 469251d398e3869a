/*
 * One attempt against one server: connect with core's bounded functions, send every command in
 * one write, and read the answers into the hiredis reader with poll_until() against the
 * deadline, counting every byte. hiredis never sees the socket: no redisContext at all.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks/redis/redis.h"
#include "core/clock.h"
#include "core/net.h"

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

/* ------------------------------------------------------------------------------------------ */
/* Connecting */

static bool connect_unix(const char *path, uint64_t deadline_us, int *fd, struct check_result *res)
{
        int error = net_connect_unix(path, deadline_us, fd);
        switch (error) {
        case 0:
                return true;
        case ETIMEDOUT:
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
        case EMFILE:
        case ENFILE:
        case ENOMEM:
        case ENOBUFS:
                result_set(res, PF_INTERNAL, "cannot open a socket: %s", strerror(error));
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

/* ------------------------------------------------------------------------------------------ */
/* Sending and reading */

enum io_status {
        IO_OK,
        IO_TIMEOUT,
        IO_LOST,      /* send or recv failed: errno in *error */
        IO_CLOSED,    /* the server closed the connection */
        IO_POLL,      /* poll() itself failed: errno in *error */
        IO_TOO_LONG,  /* more than REDIS_ANSWER_MAX bytes */
        IO_TOO_BIG,   /* an array no answer could fill, or objects past REDIS_OBJECTS_MAX */
        IO_NOT_REDIS, /* the reader says this is not the protocol */
        IO_NO_MEMORY,
};

static enum io_status wait_for(int fd, short events, uint64_t deadline_us, int *error)
{
        int ready = poll_until(fd, events, deadline_us);
        if (ready > 0)
                return IO_OK;
        *error = -ready;
        return ready == 0 ? IO_TIMEOUT : IO_POLL;
}

static enum io_status send_all(int fd, const char *bytes, size_t len, uint64_t deadline_us,
                               int *error)
{
        size_t sent = 0;
        while (sent < len) {
                enum io_status s = wait_for(fd, POLLOUT, deadline_us, error);
                if (s != IO_OK)
                        return s;
                /* Never blocking (poll_until is the only wait), never SIGPIPE. */
                ssize_t n = send(fd, bytes + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n < 0) {
                        *error = errno;
                        return IO_LOST;
                }
                sent += (size_t)n;
        }
        return IO_OK;
}

static enum io_status answer_status(enum redis_answer answer)
{
        switch (answer) {
        case REDIS_ANSWER_READY:
        case REDIS_ANSWER_PARTIAL:
                return IO_OK;
        case REDIS_ANSWER_TOO_LONG:
                return IO_TOO_LONG;
        case REDIS_ANSWER_TOO_BIG:
                return IO_TOO_BIG;
        case REDIS_ANSWER_INVALID:
                return IO_NOT_REDIS;
        case REDIS_ANSWER_NO_MEMORY:
                break;
        }
        return IO_NO_MEMORY;
}

/* Reads until the reader holds one whole answer more. Never more than one byte past
 * REDIS_ANSWER_MAX is read, which is how a longer answer is known. */
static enum io_status read_answer(int fd, struct redis_answers *answers, uint64_t deadline_us,
                                  redisReply **reply, int *error)
{
        char buf[16384];
        enum io_status status = IO_OK;
        for (;;) {
                enum redis_answer answer = redis_answers_next(answers, reply);
                if (answer != REDIS_ANSWER_PARTIAL) {
                        status = answer_status(answer);
                        break;
                }
                if ((status = wait_for(fd, POLLIN, deadline_us, error)) != IO_OK)
                        break;
                size_t room = REDIS_ANSWER_MAX - answers->received + 1;
                ssize_t n = recv(fd, buf, room < sizeof(buf) ? room : sizeof(buf), MSG_DONTWAIT);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n <= 0) {
                        *error = n < 0 ? errno : 0;
                        status = n < 0 ? IO_LOST : IO_CLOSED;
                        break;
                }
                answer = redis_answers_feed(answers, buf, (size_t)n);
                if (answer != REDIS_ANSWER_PARTIAL) {
                        status = answer_status(answer);
                        break;
                }
        }
        explicit_bzero(buf, sizeof(buf)); /* a server may have echoed the password */
        return status;
}

/* The fix for every "answers, but not as Redis does". */
static const char NOT_REDIS_FIX[] = "is this the Redis port? Something else is listening there";

/* Turns a failed exchange into a result: the deadline, a closed or broken connection, or
 * something that does not speak the Redis protocol. */
static void io_failure(enum io_status status, int error, const struct redis_answers *answers,
                       const char *waiting_for, uint64_t deadline_us, struct check_result *res)
{
        char said[160];
        switch (status) {
        case IO_TOO_LONG:
                result_set(res, PF_REDIS_UNREACHABLE,
                           "answers, but not as Redis does (an answer to %s of more than %d "
                           "KiB)",
                           waiting_for, REDIS_ANSWER_MAX / 1024);
                result_fix(res, NOT_REDIS_FIX);
                return;
        case IO_TOO_BIG:
                result_set(res, PF_REDIS_UNREACHABLE,
                           "answers, but not as Redis does (an answer to %s with more elements "
                           "than any Redis answer)",
                           waiting_for);
                result_fix(res, NOT_REDIS_FIX);
                return;
        case IO_NO_MEMORY:
                result_set(res, PF_INTERNAL, "out of memory");
                return;
        case IO_POLL:
                result_set(res, PF_INTERNAL, "waiting for the answer to %s failed: %s", waiting_for,
                           strerror(error));
                return;
        default:
                break;
        }
        if (status == IO_TIMEOUT || deadline_passed(deadline_us)) {
                result_set(res, PF_REDIS_TIMEOUT, "timed out waiting for the answer to %s",
                           waiting_for);
                result_fix(res, "a server that accepts but does not answer is stuck or "
                                "overloaded; give it more time with -t");
        } else if (status == IO_NOT_REDIS) {
                const char *reason = redis_answers_error(answers);
                redis_server_text(reason, strlen(reason), NULL, 0, said, sizeof(said));
                result_set(res, PF_REDIS_UNREACHABLE, "answers, but not as Redis does (%s)", said);
                result_fix(res, NOT_REDIS_FIX);
        } else if (status == IO_CLOSED) {
                result_set(res, PF_REDIS_UNREACHABLE, "closed the connection before answering %s",
                           waiting_for);
        } else {
                result_set(res, PF_REDIS_UNREACHABLE, "lost the connection waiting for %s (%s)",
                           waiting_for, strerror(error));
        }
}

/* ------------------------------------------------------------------------------------------ */
/* The conversation */

/* AUTH (when a user or password is given), SELECT (--db), PING, ROLE (--role): in this order,
 * so that each answer is read knowing what it answers. */
static bool format_commands(const struct redis_exchange *ex, struct redis_commands *commands)
{
        bool ok = true;
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
                ok = redis_commands_add(commands, REDIS_STEP_AUTH, argc, argv, argvlen);
        }
        if (ok && ex->select) {
                char db_text[24];
                snprintf(db_text, sizeof(db_text), "%lu", ex->db);
                const char *argv[2] = {"SELECT", db_text};
                size_t argvlen[2] = {6, strlen(db_text)};
                ok = redis_commands_add(commands, REDIS_STEP_SELECT, 2, argv, argvlen);
        }
        if (ok) {
                const char *argv[1] = {"PING"};
                size_t argvlen[1] = {4};
                ok = redis_commands_add(commands, REDIS_STEP_PING, 1, argv, argvlen);
        }
        if (ok && ex->role != REDIS_ROLE_ANY) {
                const char *argv[1] = {"ROLE"};
                size_t argvlen[1] = {4};
                ok = redis_commands_add(commands, REDIS_STEP_ROLE, 1, argv, argvlen);
        }
        return ok;
}

/* What an answer that passed adds to the transcript. */
static void note_step(struct transcript *log, const struct redis_exchange *ex, enum redis_step step,
                      bool superfluous, const char *why)
{
        switch (step) {
        case REDIS_STEP_AUTH:
                note(log, "AUTH%s%s %s%s: %s", ex->user ? " as " : "", ex->user ? ex->user : "",
                     ex->password ? "with the password from " : "without a password",
                     ex->password ? ex->password_from : "", superfluous ? "not needed" : "OK");
                break;
        case REDIS_STEP_SELECT:
                note(log, "SELECT %lu: OK", ex->db);
                break;
        case REDIS_STEP_PING:
                note(log, "PING: PONG");
                break;
        case REDIS_STEP_ROLE:
                note(log, "ROLE: %s", why);
                break;
        }
}

static void refused_answer(const struct redis_exchange *ex, enum redis_step step, int code,
                           const char *why, struct check_result *res)
{
        const char *kind = code == PF_REDIS_NOT_READY ? "not ready: "
                           : code == PF_REDIS_DENIED  ? "denied: "
                                                      : "";
        if (step == REDIS_STEP_SELECT && code == PF_USAGE)
                result_set(res, code, "--db %lu: %s", ex->db, why);
        else
                result_set(res, code, "%s%s", kind, why);
        redis_reply_fix(why, code, step, ex->user, ex->password != NULL, res);
}

static void passed(bool superfluous_auth, const char *role_said, struct check_result *res)
{
        result_set(res, PF_OK, "answers PONG%s%s", role_said[0] ? " as " : "", role_said);
        if (!superfluous_auth)
                return;
        res->warning = true;
        size_t used = strlen(res->message);
        snprintf(res->message + used, sizeof(res->message) - used,
                 ", but it has no password: the one given is not used");
        result_fix(res, "set requirepass (or an ACL user) on the server, or stop passing a "
                        "password");
}

/* Reads and judges each answer in turn; false with res set at the first that does not pass. */
static bool take_answers(int fd, struct redis_answers *answers,
                         const struct redis_commands *commands, const struct redis_exchange *ex,
                         uint64_t deadline_us, struct transcript *log, struct check_result *res)
{
        char why[400], role_said[400] = "";
        bool superfluous_auth = false;
        for (unsigned i = 0; i < commands->count; i++) {
                enum redis_step step = commands->steps[i];
                redisReply *reply;
                int error = 0;
                enum io_status status = read_answer(fd, answers, deadline_us, &reply, &error);
                if (status != IO_OK) {
                        io_failure(status, error, answers, redis_step_name(step), deadline_us, res);
                        return false;
                }
                bool superfluous = false;
                int code = redis_classify_reply(step, reply, ex->role, ex->password,
                                                ex->password_len, &superfluous, why, sizeof(why));
                redis_reply_free(reply);
                if (code != PF_OK) {
                        refused_answer(ex, step, code, why, res);
                        return false;
                }
                superfluous_auth = superfluous_auth || superfluous;
                note_step(log, ex, step, superfluous, why);
                if (step == REDIS_STEP_ROLE)
                        snprintf(role_said, sizeof(role_said), "%s", why);
        }
        /* Redis answers each command once; more after the last answer (as read so far) means
         * the answers were not to our commands: a PONG that may not have been for PING. */
        if (redis_answers_left_over(answers)) {
                result_set(res, PF_REDIS_UNREACHABLE,
                           "answers, but not as Redis does (more after the answer to %s, which "
                           "no command asked for)",
                           redis_step_name(commands->steps[commands->count - 1]));
                result_fix(res, NOT_REDIS_FIX);
                return false;
        }
        passed(superfluous_auth, role_said, res);
        return true;
}

/* All commands in one write, one round trip (as cheap as redis-cli ping), then the answers. */
static void converse(int fd, const struct redis_exchange *ex, uint64_t deadline_us,
                     struct transcript *log, struct check_result *res)
{
        struct redis_commands commands = {.bytes = NULL};
        struct redis_answers answers;
        if (!format_commands(ex, &commands) || redis_answers_open(&answers) != PF_OK) {
                redis_commands_free(&commands);
                result_set(res, PF_INTERNAL, "out of memory");
                return;
        }
        uint64_t started = clock_now_us();
        int error = 0;
        enum io_status status = send_all(fd, commands.bytes, commands.len, deadline_us, &error);
        if (status != IO_OK)
                io_failure(status, error, &answers, redis_step_name(commands.steps[0]), deadline_us,
                           res);
        else if (take_answers(fd, &answers, &commands, ex, deadline_us, log, res)) {
                char took[32];
                elapsed_text(started, took, sizeof(took));
                note(log, "answered in %s", took);
        }
        redis_answers_close(&answers);
        redis_commands_free(&commands);
}

static bool load_hiredis(struct check_result *res)
{
        char why[512];
        int loaded = redis_load_hiredis(why, sizeof(why));
        if (loaded == PF_NO_LIBRARY) {
                result_set(res, PF_NO_LIBRARY, "hiredis (libhiredis.so.0.14) is not installed: %s",
                           why);
                result_fix(res, "install it: apt-get install " REDIS_HIREDIS_PACKAGE);
        } else if (loaded != PF_OK) {
                result_set(res, PF_INTERNAL, "hiredis is installed but cannot be loaded: %s", why);
                result_fix(res, "look at the unit's LimitAS= (or ulimit -v) and at ldd on the "
                                "library the message names");
        }
        return loaded == PF_OK;
}

void redis_probe(const struct redis_target *target, const struct redis_exchange *ex,
                 const struct attempt *attempt, struct check_result *res)
{
        char peer[300], took[32];
        struct transcript log = {.used = 0};
        uint64_t started = clock_now_us();
        if (!load_hiredis(res))
                return;
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
        converse(fd, ex, attempt->deadline_us, &log, res);
        close(fd);
        if (attempt->verbose)
                result_detail(res, "%s", log.text);
}
