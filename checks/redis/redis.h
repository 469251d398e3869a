/*
 * The redis check's parts: targets (targets.c), what each reply means (replies.c), hiredis and
 * the protocol through its public reader and command API (protocol.c), the exchange with a
 * server on a socket of our own (exchange.c) and the check itself (check.c). This header is
 * also the seam tests/check_redis.c and the fuzz target reach the parts through.
 */
#ifndef PREFLIGHT_REDIS_H
#define PREFLIGHT_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h> /* types and prototypes only: the library is loaded with dlopen() */

#include "core/check.h"
#include "core/net.h"

#define REDIS_DEFAULT_PORT 6379
#define REDIS_SECRET_MAX 512 /* longest password accepted (bytes) */
#define REDIS_DB_MAX 2147483647UL
/* Most bytes one attempt reads: the answers to AUTH, SELECT, PING and ROLE (a master with
 * thousands of replicas) fit many times over; a server sending more is not Redis, and reading
 * on would let it fill memory at the speed of the socket until the deadline. */
#define REDIS_ANSWER_MAX (256 * 1024)
/* Most bytes the reply objects of one attempt take (hiredis's layout: 48 bytes an object, its
 * string, 8 bytes an array element). ROLE's answer for a master with thousands of replicas
 * takes 6.5 bytes of objects for each byte read; an answer of 3-byte elements would take 32,
 * 8 MiB for REDIS_ANSWER_MAX. */
#define REDIS_OBJECTS_MAX (8 * REDIS_ANSWER_MAX)
#define REDIS_HIREDIS_PACKAGE "libhiredis0.14"

/* ---- targets (targets.c) ---- */

enum redis_transport { REDIS_TCP, REDIS_UNIX };

/* One parsed target. Holds a password when the URL has one: wipe it with redis_target_wipe(). */
struct redis_target {
        enum redis_transport transport;
        struct host_port address; /* REDIS_TCP */
        char socket_path[108];    /* REDIS_UNIX: fits sockaddr_un.sun_path with its NUL */
        bool has_user, has_password, has_db;
        char user[256];                      /* percent-decoded */
        char password[REDIS_SECRET_MAX + 1]; /* percent-decoded; may not be a C string's end */
        size_t password_len;
        unsigned long db;
        char display[256]; /* what every message shows: the URL with its password as "***" */
};

/*
 * Parses HOST[:PORT], :PORT, [V6]:PORT, unix:/path and redis://[USER[:PASS]@]HOST[:PORT][/DB].
 * Errors name the target in its display form, so a password never reaches them.
 */
int redis_parse_target(const char *text, struct redis_target *out, struct pf_error *err);

void redis_target_wipe(struct redis_target *target);

/* ---- replies (replies.c) ---- */

/* The command a reply answers: each has its own idea of success and of what an error means. */
enum redis_step { REDIS_STEP_AUTH, REDIS_STEP_SELECT, REDIS_STEP_PING, REDIS_STEP_ROLE };

enum redis_role { REDIS_ROLE_ANY, REDIS_ROLE_MASTER, REDIS_ROLE_REPLICA };

const char *redis_step_name(enum redis_step step);

/*
 * Classifies one reply: PF_OK, or the exit code it stands for with why set to what the server
 * said (cleaned for a terminal, with secret replaced by "***" wherever it appears). An AUTH
 * that the server does not need (it has no password) is PF_OK with *superfluous_auth set.
 * role is used for REDIS_STEP_ROLE only.
 */
int redis_classify_reply(enum redis_step step, const redisReply *reply, enum redis_role role,
                         const char *secret, size_t secret_len, bool *superfluous_auth, char *why,
                         size_t why_size);

/* The first word of a Redis error ("LOADING", "WRONGPASS", "ERR") as an exit code, for any
 * command: 42 for not-ready answers, 43 for denials, 0 for anything else. */
int redis_error_prefix_code(const char *error);

/* The fix for a reply classified as code, from why as redis_classify_reply() wrote it. */
void redis_reply_fix(const char *why, int code, enum redis_step step, const char *user,
                     bool have_password, struct check_result *res);

/* What a server said, for a message: printable ASCII only ('?' for the rest), and secret, should
 * the server echo it (an unknown AUTH repeats its arguments), as "***". */
void redis_server_text(const char *text, size_t len, const char *secret, size_t secret_len,
                       char *out, size_t size);

/* ---- hiredis and the protocol (protocol.c) ---- */

/* hiredis 0.14's public reader and command functions, typed from its own headers. */
struct redis_library {
        __typeof__(redisReaderCreateWithFunctions) *reader_create_with_functions;
        __typeof__(redisReaderFeed) *reader_feed;
        __typeof__(redisReaderGetReply) *reader_get_reply;
        __typeof__(redisReaderFree) *reader_free;
        __typeof__(redisFormatCommandArgv) *format_command_argv;
        __typeof__(redisFreeCommand) *free_command;
};
extern struct redis_library redis_hiredis;

/* Loads hiredis once: PF_OK, PF_NO_LIBRARY (not installed), or PF_INTERNAL (installed but not
 * loadable), with why holding the loader's words; see dl_load(). */
int redis_load_hiredis(char *why, size_t why_size);

/*
 * The answers of one attempt, parsed by a hiredis reader as they arrive. The reply objects are
 * the check's own (hiredis's reply layout, made by the functions protocol.c gives the reader),
 * so that an array is allocated only when the bytes left to the attempt could fill it: hiredis
 * would calloc() every element a header announces (*2147483647: 16 GiB) and, at the end, loop
 * over all of them to free them, past any deadline. All the objects of an attempt together
 * take at most REDIS_OBJECTS_MAX bytes.
 */
struct redis_answers {
        redisReader *reader;
        size_t received;           /* bytes fed, every answer of the attempt together */
        size_t elements_announced; /* by every array header so far */
        size_t object_bytes;       /* taken by every reply object so far */
        bool refused;              /* an object was refused: more than those bounds allow */
        bool made_object;          /* a reply object was made since the last answer taken */
};

enum redis_answer {
        REDIS_ANSWER_READY,    /* *reply is a whole answer */
        REDIS_ANSWER_PARTIAL,  /* more bytes are needed */
        REDIS_ANSWER_TOO_LONG, /* more than REDIS_ANSWER_MAX bytes */
        REDIS_ANSWER_TOO_BIG, /* an array no answer could fill, or objects past REDIS_OBJECTS_MAX */
        REDIS_ANSWER_INVALID, /* not the Redis protocol: redis_answers_error() says why */
        REDIS_ANSWER_NO_MEMORY,
};

/* PF_OK, or PF_INTERNAL when out of memory. hiredis must be loaded. */
int redis_answers_open(struct redis_answers *answers);
void redis_answers_close(struct redis_answers *answers);
/* Feeds bytes read from the server: REDIS_ANSWER_PARTIAL, or TOO_LONG, INVALID, NO_MEMORY. */
enum redis_answer redis_answers_feed(struct redis_answers *answers, const char *bytes, size_t len);
/* The next whole answer, when the bytes fed so far hold one (free it with redis_reply_free). */
enum redis_answer redis_answers_next(struct redis_answers *answers, redisReply **reply);
/* Whether bytes were fed past the answers taken: anything no command asked for. Ends the
 * reader's use: call it after the last answer. */
bool redis_answers_left_over(struct redis_answers *answers);
/* The reader's reason for REDIS_ANSWER_INVALID (hiredis's words, as read.h documents them). */
const char *redis_answers_error(const struct redis_answers *answers);
void redis_reply_free(redisReply *reply);

/* The commands of one attempt, formatted by hiredis into one buffer for one write. */
struct redis_commands {
        char *
            bytes; /* malloc'd; wiped and freed by redis_commands_free() (it may hold a password) */
        size_t len;
        enum redis_step steps[4];
        unsigned count;
};

/* Appends one command (argv[i] of argvlen[i] bytes) for step: false when out of memory. */
bool redis_commands_add(struct redis_commands *commands, enum redis_step step, int argc,
                        const char **argv, const size_t *argvlen);
void redis_commands_free(struct redis_commands *commands);

/* ---- one attempt (exchange.c) ---- */

/* What one attempt sends: the target's and the options' settings, merged by check.c. */
struct redis_exchange {
        const char *user;     /* NULL: no AUTH user */
        const char *password; /* NULL: none; password_len bytes, NUL bytes allowed */
        size_t password_len;
        const char *password_from; /* "the URL", "REDISCLI_AUTH", ... for --verbose */
        bool select;
        unsigned long db;
        enum redis_role role;
};

/* Loads hiredis, connects within the attempt's deadline, sends AUTH, SELECT, PING and ROLE as
 * ex asks and judges the answers; res says how it went (with --verbose, each step). */
void redis_probe(const struct redis_target *target, const struct redis_exchange *ex,
                 const struct attempt *attempt, struct check_result *res);

#endif
