/* The redis check's pure parts (targets, URLs, replies), exposed for tests/check_redis.c. */
#ifndef PREFLIGHT_REDIS_H
#define PREFLIGHT_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h> /* for the types only: the library itself is loaded with dlopen() */

#include "core/check.h"
#include "core/net.h"

#define REDIS_DEFAULT_PORT 6379
#define REDIS_SECRET_MAX 512 /* longest password accepted (bytes) */
#define REDIS_DB_MAX 2147483647UL
/* Most bytes one attempt reads: the answers to AUTH, SELECT, PING and ROLE (a master with
 * thousands of replicas) fit many times over; a server sending more is not Redis, and reading
 * on would let it fill memory at the speed of the socket until the deadline. */
#define REDIS_ANSWER_MAX (256 * 1024)

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

/* Decodes %XX escapes of a URL part into out (size bytes); false when malformed or too long. */
bool redis_percent_decode(const char *text, size_t len, char *out, size_t size, size_t *out_len);

/* The command a reply answers: each has its own idea of success and of what an error means. */
enum redis_step { REDIS_STEP_AUTH, REDIS_STEP_SELECT, REDIS_STEP_PING, REDIS_STEP_ROLE };

enum redis_role { REDIS_ROLE_ANY, REDIS_ROLE_MASTER, REDIS_ROLE_REPLICA };

/*
 * Classifies one reply: PF_OK, or the exit code it stands for with why set to what the server
 * said (cleaned for a terminal, with secret replaced by "***" wherever it appears). An AUTH
 * that the server does not need (it has no password) is PF_OK with *superfluous_auth set.
 * role is used for REDIS_STEP_ROLE only.
 */
int redis_classify_reply(enum redis_step step, const redisReply *reply, enum redis_role role,
                         const char *secret, size_t secret_len, bool *superfluous_auth, char *why,
                         size_t why_size);

/* Whether an array of this many elements, as a reply announces it, could be part of an answer
 * (REDIS_ANSWER_MAX bytes hold at most that many 3-byte elements). */
bool redis_array_plausible(long long elements);

/* The first word of a Redis error ("LOADING", "WRONGPASS", "ERR") as an exit code, for any
 * command: 42 for not-ready answers, 43 for denials, 0 for anything else. */
int redis_error_prefix_code(const char *error);

#endif
