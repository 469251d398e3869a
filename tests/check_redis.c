/* Unit tests of the redis check: targets and URLs, what each reply means, and its options. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/redis/redis.h"
#include "core/check.h"
#include "core/clock.h"
#include "tests/slack.h"

Suite *suite_redis(void);

extern const struct check check_redis;

/* ---- targets ---- */

static const struct {
        const char *text;
        enum redis_transport transport;
        const char *host_or_path;
        unsigned port;
        const char *user; /* NULL: none */
        const char *password;
        long db; /* -1: none */
        const char *display;
} good_targets[] = {
    {"127.0.0.1", REDIS_TCP, "127.0.0.1", 6379, NULL, NULL, -1, "127.0.0.1"},
    {"127.0.0.1:6380", REDIS_TCP, "127.0.0.1", 6380, NULL, NULL, -1, "127.0.0.1:6380"},
    {":7000", REDIS_TCP, "127.0.0.1", 7000, NULL, NULL, -1, ":7000"},
    {"[::1]:6381", REDIS_TCP, "::1", 6381, NULL, NULL, -1, "[::1]:6381"},
    {"::1", REDIS_TCP, "::1", 6379, NULL, NULL, -1, "::1"},
    {"cache.internal", REDIS_TCP, "cache.internal", 6379, NULL, NULL, -1, "cache.internal"},
    {"unix:/run/redis/redis-server.sock", REDIS_UNIX, "/run/redis/redis-server.sock", 0, NULL, NULL,
     -1, "unix:/run/redis/redis-server.sock"},
    {"redis://127.0.0.1", REDIS_TCP, "127.0.0.1", 6379, NULL, NULL, -1, "redis://127.0.0.1"},
    {"redis://db.internal:6390/3", REDIS_TCP, "db.internal", 6390, NULL, NULL, 3,
     "redis://db.internal:6390/3"},
    {"redis://[::1]:6390/0", REDIS_TCP, "::1", 6390, NULL, NULL, 0, "redis://[::1]:6390/0"},
    {"redis://h/", REDIS_TCP, "h", 6379, NULL, NULL, -1, "redis://h/"},
    {"REDIS://h:1", REDIS_TCP, "h", 1, NULL, NULL, -1, "REDIS://h:1"},
    {"redis://app:sekrit@127.0.0.1:6379/0", REDIS_TCP, "127.0.0.1", 6379, "app", "sekrit", 0,
     "redis://app:***@127.0.0.1:6379/0"},
    {"redis://:sekrit@h", REDIS_TCP, "h", 6379, NULL, "sekrit", -1, "redis://:***@h"},
    {"redis://app@h:6400", REDIS_TCP, "h", 6400, "app", NULL, -1, "redis://app@h:6400"},
    /* A password may hold '@', ':' and '/' as typed; the last '@' ends it. */
    {"redis://u:se:k@r/it@h:1/2", REDIS_TCP, "h", 1, "u", "se:k@r/it", 2, "redis://u:***@h:1/2"},
    {"redis://u%40x:p%3Ass%25@h", REDIS_TCP, "h", 6379, "u@x", "p:ss%", -1, "redis://u%40x:***@h"},
    {"redis://h/2147483647", REDIS_TCP, "h", 6379, NULL, NULL, 2147483647L, "redis://h/2147483647"},
};

START_TEST(test_target_good)
{
        struct redis_target t;
        struct pf_error err = {0};
        int r = redis_parse_target(good_targets[_i].text, &t, &err);
        ck_assert_msg(r == PF_OK, "'%s' rejected: %s", good_targets[_i].text, err.msg);
        ck_assert_int_eq(t.transport, good_targets[_i].transport);
        if (t.transport == REDIS_UNIX) {
                ck_assert_str_eq(t.socket_path, good_targets[_i].host_or_path);
        } else {
                ck_assert_str_eq(t.address.host, good_targets[_i].host_or_path);
                ck_assert_uint_eq(t.address.port, good_targets[_i].port);
        }
        ck_assert_int_eq(t.has_user, good_targets[_i].user != NULL);
        if (good_targets[_i].user)
                ck_assert_str_eq(t.user, good_targets[_i].user);
        ck_assert_int_eq(t.has_password, good_targets[_i].password != NULL);
        if (good_targets[_i].password) {
                ck_assert_uint_eq(t.password_len, strlen(good_targets[_i].password));
                ck_assert_mem_eq(t.password, good_targets[_i].password, t.password_len);
        }
        ck_assert_int_eq(t.has_db, good_targets[_i].db >= 0);
        if (good_targets[_i].db >= 0)
                ck_assert_uint_eq(t.db, (unsigned long)good_targets[_i].db);
        ck_assert_str_eq(t.display, good_targets[_i].display);
        redis_target_wipe(&t);
        ck_assert_uint_eq(t.password_len, 0);
        ck_assert_int_eq(t.password[0], 0);
}
END_TEST

/* Every bad target that holds "sekrit" must be refused without repeating it. */
static const struct {
        const char *text;
        const char *message; /* a part of the error */
} bad_targets[] = {
    {"", "empty target"},
    {"127.0.0.1:99999", "port must be 1-65535"},
    {"127.0.0.1:", "port is missing"},
    {"host:abc", "must be a number"},
    {"fe80::1:6379x", "IPv6"},
    {"[::1", "without its ']'"},
    {"bad host", "only letters"},
    {"unix:", "must be absolute"},
    {"unix:relative.sock", "must be absolute"},
    {"unix:u:sekrit@h", "'unix:***@h': the socket path must be absolute"},
    {"unix://:sekrit@/run/redis.sock", "'unix:***@/run/redis.sock': a user or password"},
    {"unix:/tmp/a\nb", "control characters"},
    {"unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "at most 107 bytes"},
    {"rediss://:sekrit@h:6380", "TLS"},
    {"http://u:sekrit@h/", "only redis:// URLs"},
    {"app:sekrit@127.0.0.1:6379", "must be a URL"},
    /* A "://" after the password: what precedes it is no scheme to name. */
    {"app:sekrit@h://x", "must be a URL"},
    {"redis:/u:sekrit@h/x://y", "must be a URL"},
    {"redis://", "host is missing"},
    {"redis://:sekrit@", "host is missing"},
    {"redis://:sekrit@/3", "host is missing"},
    {"redis://:sekrit@h:99999", "port must be 1-65535"},
    {"redis://:sekrit@h/x", "must be a number"},
    {"redis://:sekrit@h/-1", "must be a number"},
    {"redis://:sekrit@h/2147483648", "must be a number"},
    {"redis://:sekrit@h/1?timeout=5", "parameters"},
    {"redis://u:@h", "password after ':' is empty"},
    {"redis://u:sekrit%zz@h", "password is malformed"},
    {"redis://u:sekrit%4@h", "password is malformed"},
    {"redis://u%00x:sekrit@h", "user name is malformed"},
    {"redis://u%0ax:sekrit@h", "user name is malformed"},
    {"redis://:sekrit@bad_host!", "only letters"},
};

START_TEST(test_target_bad)
{
        struct redis_target t;
        struct pf_error err = {0};
        int r = redis_parse_target(bad_targets[_i].text, &t, &err);
        ck_assert_msg(r == PF_USAGE, "'%s' accepted", bad_targets[_i].text);
        ck_assert_msg(strstr(err.msg, bad_targets[_i].message), "'%s': message '%s' lacks '%s'",
                      bad_targets[_i].text, err.msg, bad_targets[_i].message);
        ck_assert_msg(!strstr(err.msg, "sekrit"), "'%s': the message shows the password: %s",
                      bad_targets[_i].text, err.msg);
        ck_assert_msg(!strstr(t.display, "sekrit"), "display shows the password: %s", t.display);
        ck_assert_msg(!strchr(err.msg, '\n'), "a newline in the message: %s", err.msg);
        redis_target_wipe(&t);
}
END_TEST

START_TEST(test_long_password)
{
        char text[REDIS_SECRET_MAX + 64], password[REDIS_SECRET_MAX + 2];
        struct redis_target t;
        struct pf_error err = {0};
        memset(password, 'p', REDIS_SECRET_MAX);
        password[REDIS_SECRET_MAX] = '\0';
        snprintf(text, sizeof(text), "redis://:%s@h", password);
        ck_assert_int_eq(redis_parse_target(text, &t, &err), PF_OK);
        ck_assert_uint_eq(t.password_len, REDIS_SECRET_MAX);
        snprintf(text, sizeof(text), "redis://:%sp@h", password);
        ck_assert_int_eq(redis_parse_target(text, &t, &err), PF_USAGE);
        ck_assert_ptr_null(strstr(err.msg, "pppp"));
}
END_TEST

/* ---- replies ---- */

static redisReply status_reply(int type, const char *text)
{
        return (redisReply){.type = type, .str = (char *)text, .len = strlen(text)};
}

static int classify(enum redis_step step, const redisReply *reply, bool *superfluous, char *why,
                    size_t size)
{
        return redis_classify_reply(step, reply, REDIS_ROLE_ANY, "sekrit", 6, superfluous, why,
                                    size);
}

static const struct {
        enum redis_step step;
        int type;
        const char *text;
        int code;
        bool superfluous;
} replies[] = {
    {REDIS_STEP_PING, REDIS_REPLY_STATUS, "PONG", PF_OK, false},
    {REDIS_STEP_PING, REDIS_REPLY_STRING, "PONG", PF_OK, false},
    {REDIS_STEP_PING, REDIS_REPLY_STATUS, "PONGX", PF_REDIS_NOT_READY, false},
    {REDIS_STEP_PING, REDIS_REPLY_STATUS, "OK", PF_REDIS_NOT_READY, false},
    {REDIS_STEP_PING, REDIS_REPLY_ERROR, "LOADING Redis is loading the dataset in memory",
     PF_REDIS_NOT_READY, false},
    {REDIS_STEP_PING, REDIS_REPLY_ERROR, "BUSY Redis is busy running a script.", PF_REDIS_NOT_READY,
     false},
    {REDIS_STEP_PING, REDIS_REPLY_ERROR, "MASTERDOWN Link with MASTER is down", PF_REDIS_NOT_READY,
     false},
    {REDIS_STEP_PING, REDIS_REPLY_ERROR, "NOAUTH Authentication required.", PF_REDIS_DENIED, false},
    {REDIS_STEP_PING, REDIS_REPLY_ERROR, "NOPERM this user has no permissions", PF_REDIS_DENIED,
     false},
    {REDIS_STEP_PING, REDIS_REPLY_ERROR, "DENIED Redis is running in protected mode",
     PF_REDIS_DENIED, false},
    {REDIS_STEP_PING, REDIS_REPLY_ERROR, "ERR max number of clients reached", PF_REDIS_NOT_READY,
     false},
    {REDIS_STEP_AUTH, REDIS_REPLY_STATUS, "OK", PF_OK, false},
    {REDIS_STEP_AUTH, REDIS_REPLY_ERROR,
     "WRONGPASS invalid username-password pair or user is disabled.", PF_REDIS_DENIED, false},
    {REDIS_STEP_AUTH, REDIS_REPLY_ERROR, "ERR invalid password", PF_REDIS_DENIED, false},
    {REDIS_STEP_AUTH, REDIS_REPLY_ERROR, "ERR wrong number of arguments for 'auth' command",
     PF_REDIS_DENIED, false},
    {REDIS_STEP_AUTH, REDIS_REPLY_ERROR,
     "ERR AUTH <password> called without any password configured for the default user. Are "
     "you sure your configuration is correct?",
     PF_OK, true},
    {REDIS_STEP_AUTH, REDIS_REPLY_ERROR, "ERR Client sent AUTH, but no password is set", PF_OK,
     true},
    {REDIS_STEP_AUTH, REDIS_REPLY_ERROR, "LOADING Redis is loading", PF_REDIS_NOT_READY, false},
    {REDIS_STEP_SELECT, REDIS_REPLY_STATUS, "OK", PF_OK, false},
    {REDIS_STEP_SELECT, REDIS_REPLY_ERROR, "ERR DB index is out of range", PF_USAGE, false},
    {REDIS_STEP_SELECT, REDIS_REPLY_ERROR,
     "NOPERM this user has no permissions to run the "
     "'select' command",
     PF_REDIS_DENIED, false},
    {REDIS_STEP_ROLE, REDIS_REPLY_ERROR, "ERR unknown command 'ROLE'", PF_REDIS_NOT_READY, false},
};

START_TEST(test_reply)
{
        char why[300];
        bool superfluous = true;
        redisReply reply = status_reply(replies[_i].type, replies[_i].text);
        int code = classify(replies[_i].step, &reply, &superfluous, why, sizeof(why));
        ck_assert_msg(code == replies[_i].code, "'%s': %d, expected %d", replies[_i].text, code,
                      replies[_i].code);
        ck_assert_int_eq(superfluous, replies[_i].superfluous);
        if (code != PF_OK)
                ck_assert_msg(strlen(why) > 0, "no reason for '%s'", replies[_i].text);
}
END_TEST

START_TEST(test_error_prefix)
{
        ck_assert_int_eq(redis_error_prefix_code("LOADING"), PF_REDIS_NOT_READY);
        ck_assert_int_eq(redis_error_prefix_code("BUSY x"), PF_REDIS_NOT_READY);
        ck_assert_int_eq(redis_error_prefix_code("WRONGPASS x"), PF_REDIS_DENIED);
        /* Whole words only: these are other errors that merely start alike. */
        ck_assert_int_eq(redis_error_prefix_code("BUSYGROUP Consumer Group name already exists"),
                         PF_OK);
        ck_assert_int_eq(redis_error_prefix_code("BUSYKEY Target key name already exists"), PF_OK);
        ck_assert_int_eq(redis_error_prefix_code("LOADINGX"), PF_OK);
        ck_assert_int_eq(redis_error_prefix_code("loading lower case"), PF_OK);
        ck_assert_int_eq(redis_error_prefix_code("ERR"), PF_OK);
        ck_assert_int_eq(redis_error_prefix_code(""), PF_OK);
}
END_TEST

START_TEST(test_reply_missing_and_odd)
{
        char why[300];
        bool superfluous;
        ck_assert_int_eq(classify(REDIS_STEP_PING, NULL, &superfluous, why, sizeof(why)),
                         PF_REDIS_UNREACHABLE);
        redisReply number_reply = {.type = REDIS_REPLY_INTEGER, .integer = 1};
        ck_assert_int_eq(classify(REDIS_STEP_PING, &number_reply, &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
        ck_assert_ptr_nonnull(strstr(why, "not PONG"));
        redisReply nil = {.type = REDIS_REPLY_NIL};
        ck_assert_int_eq(classify(REDIS_STEP_AUTH, &nil, &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
        redisReply empty_error = {.type = REDIS_REPLY_ERROR, .str = NULL, .len = 0};
        ck_assert_int_eq(classify(REDIS_STEP_PING, &empty_error, &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
}
END_TEST

/* A server that repeats its arguments (an AUTH renamed away: "unknown command") must not put
 * the password in a message; nor may its bytes forge lines on a terminal. */
START_TEST(test_reply_text_is_cleaned)
{
        char why[300];
        bool superfluous;
        redisReply echo =
            status_reply(REDIS_REPLY_ERROR, "ERR unknown command 'AUTH', with args beginning with: "
                                            "'sekrit' 'xsekritx'");
        ck_assert_int_eq(classify(REDIS_STEP_AUTH, &echo, &superfluous, why, sizeof(why)),
                         PF_REDIS_DENIED);
        ck_assert_ptr_null(strstr(why, "sekrit"));
        ck_assert_ptr_nonnull(strstr(why, "'***' 'x***x'"));
        redisReply hostile = status_reply(REDIS_REPLY_ERROR, "LOADING line\nFAIL forged\x1b[31m");
        ck_assert_int_eq(classify(REDIS_STEP_PING, &hostile, &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
        ck_assert_ptr_null(strchr(why, '\n'));
        ck_assert_ptr_null(strchr(why, '\x1b'));
        /* A password with a NUL byte is still found, byte for byte. */
        redisReply binary = {.type = REDIS_REPLY_ERROR, .str = "ERR a\0b!", .len = 8};
        ck_assert_int_eq(redis_classify_reply(REDIS_STEP_AUTH, &binary, REDIS_ROLE_ANY, "a\0b", 3,
                                              &superfluous, why, sizeof(why)),
                         PF_REDIS_DENIED);
        ck_assert_ptr_nonnull(strstr(why, "ERR ***!"));
        /* A small buffer is cut, not overrun. */
        char tiny[12];
        ck_assert_int_eq(classify(REDIS_STEP_PING, &hostile, &superfluous, tiny, sizeof(tiny)),
                         PF_REDIS_NOT_READY);
        ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
}
END_TEST

/* ROLE answers as Redis 7 gives them. */
static redisReply bulk(const char *text)
{
        return status_reply(REDIS_REPLY_STRING, text);
}

START_TEST(test_role)
{
        char why[300];
        bool superfluous;
        redisReply master_name = bulk("master"), offset = {.type = REDIS_REPLY_INTEGER},
                   replicas = {.type = REDIS_REPLY_ARRAY};
        redisReply *master_parts[] = {&master_name, &offset, &replicas};
        redisReply master = {.type = REDIS_REPLY_ARRAY, .elements = 3, .element = master_parts};

        redisReply slave_name = bulk("slave"), host = bulk("10.0.0.5"),
                   port = {.type = REDIS_REPLY_INTEGER, .integer = 6380}, state = bulk("connected"),
                   replica_offset = {.type = REDIS_REPLY_INTEGER, .integer = 42};
        redisReply *replica_parts[] = {&slave_name, &host, &port, &state, &replica_offset};
        redisReply replica = {.type = REDIS_REPLY_ARRAY, .elements = 5, .element = replica_parts};

        redisReply sentinel_name = bulk("sentinel");
        redisReply *sentinel_parts[] = {&sentinel_name};
        redisReply sentinel = {.type = REDIS_REPLY_ARRAY, .elements = 1, .element = sentinel_parts};

        ck_assert_int_eq(redis_classify_reply(REDIS_STEP_ROLE, &master, REDIS_ROLE_MASTER, NULL, 0,
                                              &superfluous, why, sizeof(why)),
                         PF_OK);
        ck_assert_str_eq(why, "master");
        ck_assert_int_eq(redis_classify_reply(REDIS_STEP_ROLE, &master, REDIS_ROLE_REPLICA, NULL, 0,
                                              &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
        ck_assert_str_eq(why, "role is master, not replica");
        ck_assert_int_eq(redis_classify_reply(REDIS_STEP_ROLE, &replica, REDIS_ROLE_REPLICA, NULL,
                                              0, &superfluous, why, sizeof(why)),
                         PF_OK);
        ck_assert_str_eq(why, "replica of 10.0.0.5:6380");
        ck_assert_int_eq(redis_classify_reply(REDIS_STEP_ROLE, &replica, REDIS_ROLE_MASTER, NULL, 0,
                                              &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
        ck_assert_ptr_nonnull(strstr(why, "not master"));
        /* replica's elements point at state: the classifier reads the new value through them. */
        // cppcheck-suppress unreadVariable
        state = bulk("sync");
        ck_assert_int_eq(redis_classify_reply(REDIS_STEP_ROLE, &replica, REDIS_ROLE_REPLICA, NULL,
                                              0, &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
        ck_assert_ptr_nonnull(strstr(why, "'sync'"));
        ck_assert_int_eq(redis_classify_reply(REDIS_STEP_ROLE, &sentinel, REDIS_ROLE_MASTER, NULL,
                                              0, &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
        ck_assert_str_eq(why, "role is sentinel, not master");
        /* A short or malformed answer is not a role. */
        replica.elements = 1;
        ck_assert_int_eq(redis_classify_reply(REDIS_STEP_ROLE, &replica, REDIS_ROLE_REPLICA, NULL,
                                              0, &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
        redisReply not_array = bulk("master");
        ck_assert_int_eq(redis_classify_reply(REDIS_STEP_ROLE, &not_array, REDIS_ROLE_MASTER, NULL,
                                              0, &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
        redisReply empty = {.type = REDIS_REPLY_ARRAY, .elements = 0};
        ck_assert_int_eq(redis_classify_reply(REDIS_STEP_ROLE, &empty, REDIS_ROLE_MASTER, NULL, 0,
                                              &superfluous, why, sizeof(why)),
                         PF_REDIS_NOT_READY);
}
END_TEST

/* ---- answers: hiredis's reader on bytes as a server sends them ---- */

static void open_answers(struct redis_answers *answers)
{
        char why[512];
        ck_assert_msg(redis_load_hiredis(why, sizeof(why)) == PF_OK, "hiredis: %s", why);
        ck_assert_int_eq(redis_answers_open(answers), PF_OK);
}

/* Feeds text in pieces of step bytes, then takes one answer. */
static enum redis_answer feed_and_take(struct redis_answers *answers, const char *text, size_t len,
                                       size_t step, redisReply **reply)
{
        *reply = NULL;
        for (size_t at = 0; at < len; at += step) {
                size_t n = len - at < step ? len - at : step;
                enum redis_answer fed = redis_answers_feed(answers, text + at, n);
                if (fed != REDIS_ANSWER_PARTIAL)
                        return fed;
        }
        return redis_answers_next(answers, reply);
}

START_TEST(test_answers_pieces)
{
        static const char role[] = "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.5\r\n:6380\r\n"
                                   "$9\r\nconnected\r\n:42\r\n";
        struct redis_answers answers;
        redisReply *reply;
        char why[300];
        bool superfluous;
        /* Whole, and a byte at a time: the same answer, and the bytes counted exactly. */
        for (size_t step = 1; step <= sizeof(role); step += sizeof(role) - 2) {
                open_answers(&answers);
                ck_assert_int_eq(feed_and_take(&answers, role, sizeof(role) - 1, step, &reply),
                                 REDIS_ANSWER_READY);
                ck_assert_uint_eq(answers.received, sizeof(role) - 1);
                ck_assert_int_eq(redis_classify_reply(REDIS_STEP_ROLE, reply, REDIS_ROLE_REPLICA,
                                                      NULL, 0, &superfluous, why, sizeof(why)),
                                 PF_OK);
                ck_assert_str_eq(why, "replica of 10.0.0.5:6380");
                redis_reply_free(reply);
                ck_assert(!redis_answers_left_over(&answers));
                redis_answers_close(&answers);
        }
        /* Half an answer is no answer yet. */
        open_answers(&answers);
        ck_assert_int_eq(feed_and_take(&answers, "+PO", 3, 3, &reply), REDIS_ANSWER_PARTIAL);
        ck_assert_ptr_null(reply);
        ck_assert_int_eq(feed_and_take(&answers, "NG\r\n", 4, 4, &reply), REDIS_ANSWER_READY);
        ck_assert_int_eq(reply->type, REDIS_REPLY_STATUS);
        ck_assert_str_eq(reply->str, "PONG");
        redis_reply_free(reply);
        redis_answers_close(&answers);
}
END_TEST

START_TEST(test_answers_byte_bound)
{
        static char big[REDIS_ANSWER_MAX];
        struct redis_answers answers;
        redisReply *reply;
        open_answers(&answers);
        /* REDIS_ANSWER_MAX bytes are read; one more is more than any answer. */
        big[0] = '+';
        memset(big + 1, 'x', sizeof(big) - 1);
        ck_assert_int_eq(redis_answers_feed(&answers, big, sizeof(big)), REDIS_ANSWER_PARTIAL);
        ck_assert_int_eq(redis_answers_next(&answers, &reply), REDIS_ANSWER_PARTIAL);
        ck_assert_int_eq(redis_answers_feed(&answers, "x", 1), REDIS_ANSWER_TOO_LONG);
        redis_answers_close(&answers);
}
END_TEST

/* An array is allocated only when the bytes left could fill it: 3 bytes an element at least,
 * counted over every array of the attempt, so that nested or successive headers cannot add up
 * what one may not have. */
START_TEST(test_answers_array_bound)
{
        static const struct {
                const char *bytes;
                enum redis_answer expected;
        } cases[] = {
            {"*2147483647\r\n", REDIS_ANSWER_TOO_BIG},
            {"*87382\r\n", REDIS_ANSWER_TOO_BIG},
            {"*87381\r\n", REDIS_ANSWER_PARTIAL}, /* REDIS_ANSWER_MAX / 3 */
            {"*2\r\n*87380\r\n", REDIS_ANSWER_TOO_BIG},
            {"*2\r\n*87379\r\n", REDIS_ANSWER_PARTIAL},
            {"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*87374\r\n", REDIS_ANSWER_PARTIAL},
            {"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*87375\r\n", REDIS_ANSWER_TOO_BIG},
            {"*-5\r\n", REDIS_ANSWER_INVALID},
            {"*0\r\n", REDIS_ANSWER_READY},
            {"*-1\r\n", REDIS_ANSWER_READY},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct redis_answers answers;
                redisReply *reply;
                open_answers(&answers);
                uint64_t started = clock_now_us();
                enum redis_answer got =
                    feed_and_take(&answers, cases[i].bytes, strlen(cases[i].bytes), 64, &reply);
                ck_assert_msg(got == cases[i].expected, "'%s': %d, expected %d", cases[i].bytes,
                              got, cases[i].expected);
                ck_assert_int_eq(answers.refused, got == REDIS_ANSWER_TOO_BIG);
                redis_reply_free(reply);
                redis_answers_close(&answers); /* frees what was built: at once */
                ck_assert_uint_lt(clock_now_us() - started, 100000);
        }
        /* Answers taken one after the other count together too. */
        struct redis_answers answers;
        redisReply *reply;
        open_answers(&answers);
        ck_assert_int_eq(feed_and_take(&answers, "*1\r\n:1\r\n", 8, 8, &reply), REDIS_ANSWER_READY);
        redis_reply_free(reply);
        ck_assert_int_eq(feed_and_take(&answers, "*87381\r\n", 8, 8, &reply), REDIS_ANSWER_TOO_BIG);
        redis_answers_close(&answers);
}
END_TEST

/* Objects cost more than their bytes: an array of 3-byte elements would take 32 times what was
 * read. The objects of an attempt stop at REDIS_OBJECTS_MAX, far from there. */
START_TEST(test_answers_object_bound)
{
        static char many[8 + 3 * 80000];
        struct redis_answers answers;
        redisReply *reply;
        int head = snprintf(many, sizeof(many), "*80000\r\n");
        for (size_t i = (size_t)head; i + 3 <= sizeof(many); i += 3)
                memcpy(many + i, "+\r\n", 3);
        size_t len = (size_t)head + 3 * 80000;
        open_answers(&answers);
        ck_assert_int_eq(feed_and_take(&answers, many, len, 16384, &reply), REDIS_ANSWER_TOO_BIG);
        ck_assert(answers.refused);
        ck_assert_uint_le(answers.object_bytes, REDIS_OBJECTS_MAX);
        ck_assert_uint_gt(answers.object_bytes, REDIS_OBJECTS_MAX - sizeof(redisReply) - 2);
        redis_answers_close(&answers);
        /* What ROLE answers for a master with 6000 replicas (256 KiB or so) passes. */
        static char role[REDIS_ANSWER_MAX];
        size_t used = (size_t)snprintf(role, sizeof(role), "*3\r\n$6\r\nmaster\r\n:0\r\n*6000\r\n");
        for (unsigned i = 0; i < 6000; i++) {
                char ip[16];
                int ip_len = snprintf(ip, sizeof(ip), "10.0.%u.%u", i / 100, i % 100);
                used +=
                    (size_t)snprintf(role + used, sizeof(role) - used,
                                     "*3\r\n$%d\r\n%s\r\n$4\r\n6379\r\n$1\r\n0\r\n", ip_len, ip);
        }
        ck_assert_uint_le(used, REDIS_ANSWER_MAX);
        open_answers(&answers);
        ck_assert_int_eq(feed_and_take(&answers, role, used, 16384, &reply), REDIS_ANSWER_READY);
        ck_assert_uint_eq(reply->element[2]->elements, 6000);
        redis_reply_free(reply);
        redis_answers_close(&answers);
}
END_TEST

START_TEST(test_answers_not_redis)
{
        static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
        struct redis_answers answers;
        redisReply *reply;
        open_answers(&answers);
        ck_assert_int_eq(feed_and_take(&answers, http, sizeof(http) - 1, 64, &reply),
                         REDIS_ANSWER_INVALID);
        ck_assert_ptr_nonnull(strstr(redis_answers_error(&answers), "Protocol error"));
        redis_answers_close(&answers);
}
END_TEST

/* Anything after the last answer is found, whole answers, begun arrays and half lines alike. */
START_TEST(test_answers_left_over)
{
        static const struct {
                const char *after_pong;
                bool left_over;
        } cases[] = {
            {"", false},      {"+PONG\r\n", true},    {"+PO", true},        {"+", true},
            {"*2\r\n", true}, {"*1\r\n*1\r\n", true}, {"$1\r\n", true},     {"$1\r\nx\r", true},
            {":1\r\n", true}, {"\r\n", true},         {"-ERR x\r\n", true}, {"$5\r\nab", true},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char bytes[64];
                struct redis_answers answers;
                redisReply *reply;
                int len = snprintf(bytes, sizeof(bytes), "+PONG\r\n%s", cases[i].after_pong);
                open_answers(&answers);
                ck_assert_int_eq(feed_and_take(&answers, bytes, (size_t)len, (size_t)len, &reply),
                                 REDIS_ANSWER_READY);
                redis_reply_free(reply);
                ck_assert_msg(redis_answers_left_over(&answers) == cases[i].left_over,
                              "'%s' after PONG", cases[i].after_pong);
                redis_answers_close(&answers);
        }
}
END_TEST

START_TEST(test_commands)
{
        char why[512];
        struct redis_commands commands = {.bytes = NULL};
        ck_assert_int_eq(redis_load_hiredis(why, sizeof(why)), PF_OK);
        const char *auth[3] = {"AUTH", "app", "se\0rit"};
        size_t auth_len[3] = {4, 3, 6};
        const char *ping[1] = {"PING"};
        size_t ping_len[1] = {4};
        ck_assert(redis_commands_add(&commands, REDIS_STEP_AUTH, 3, auth, auth_len));
        ck_assert(redis_commands_add(&commands, REDIS_STEP_PING, 1, ping, ping_len));
        static const char expected[] = "*3\r\n$4\r\nAUTH\r\n$3\r\napp\r\n$6\r\nse\0rit\r\n"
                                       "*1\r\n$4\r\nPING\r\n";
        ck_assert_uint_eq(commands.len, sizeof(expected) - 1);
        ck_assert_mem_eq(commands.bytes, expected, commands.len);
        ck_assert_uint_eq(commands.count, 2);
        ck_assert_int_eq(commands.steps[0], REDIS_STEP_AUTH);
        ck_assert_int_eq(commands.steps[1], REDIS_STEP_PING);
        ck_assert(redis_commands_add(&commands, REDIS_STEP_PING, 1, ping, ping_len));
        ck_assert(redis_commands_add(&commands, REDIS_STEP_PING, 1, ping, ping_len));
        ck_assert(!redis_commands_add(&commands, REDIS_STEP_PING, 1, ping, ping_len)); /* 4 */
        redis_commands_free(&commands);
        ck_assert_ptr_null(commands.bytes);
        ck_assert_uint_eq(commands.len, 0);
}
END_TEST

/* ---- options, through the check's own table as core calls it ---- */

static unsigned option_index(const char *name)
{
        for (unsigned i = 0; check_redis.options[i].long_name; i++)
                if (strcmp(check_redis.options[i].long_name, name) == 0)
                        return i;
        ck_abort_msg("no option --%s", name);
        return 0;
}

static void *new_config(void)
{
        void *cfg = calloc(1, check_redis.config_size);
        ck_assert_ptr_nonnull(cfg);
        if (check_redis.init)
                check_redis.init(cfg);
        return cfg;
}

static void free_config(void *cfg)
{
        check_redis.release(cfg);
        free(cfg);
}

static int set_option(void *cfg, const char *name, const char *value, struct pf_error *err)
{
        return check_redis.parse_option(cfg, option_index(name), value, err);
}

START_TEST(test_options)
{
        struct pf_error err = {0};
        void *cfg = new_config();
        ck_assert_int_eq(set_option(cfg, "db", "15", &err), PF_OK);
        ck_assert_int_eq(set_option(cfg, "db", "x", &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "--db: 'x'"));
        ck_assert_int_eq(set_option(cfg, "db", "-1", &err), PF_USAGE);
        ck_assert_int_eq(set_option(cfg, "db", "2147483648", &err), PF_USAGE);
        ck_assert_int_eq(set_option(cfg, "role", "master", &err), PF_OK);
        ck_assert_int_eq(set_option(cfg, "role", "replica", &err), PF_OK);
        ck_assert_int_eq(set_option(cfg, "role", "slave", &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "--role: 'slave'"));
        ck_assert_int_eq(set_option(cfg, "user", "app", &err), PF_OK);
        ck_assert_int_eq(set_option(cfg, "user", "", &err), PF_USAGE);
        ck_assert_int_eq(set_option(cfg, "user", "a b", &err), PF_USAGE);
        ck_assert_int_eq(set_option(cfg, "user", "a\nb", &err), PF_USAGE);
        ck_assert_ptr_null(strchr(err.msg, '\n'));
        ck_assert_int_eq(set_option(cfg, "password", "", &err), PF_USAGE);
        ck_assert_str_eq(err.warning, "");
        ck_assert_int_eq(set_option(cfg, "password", "sekrit", &err), PF_OK);
        ck_assert_ptr_nonnull(strstr(err.warning, "can be read by other users"));
        ck_assert_int_eq(set_option(cfg, "password", "sekrit2", &err), PF_OK); /* last wins */
        ck_assert_int_eq(set_option(cfg, "password-file", "/dev/null", &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "not both"));
        ck_assert_int_eq(check_redis.finish(cfg, 1, &err), PF_OK);
        free_config(cfg);
}
END_TEST

static char password_path[64];

static void write_password_file(const char *content, size_t len)
{
        snprintf(password_path, sizeof(password_path), "/tmp/preflight-redis-pw.XXXXXX");
        int fd = mkstemp(password_path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
        close(fd);
}

static const struct {
        const char *content;
        int code;
        const char *message;
} password_files[] = {
    {"sekrit\n", PF_OK, NULL},    {"sekrit\r\n", PF_OK, NULL},
    {"sekrit", PF_OK, NULL},      {"", PF_USAGE, "is empty"},
    {"\n", PF_USAGE, "is empty"}, {"sekrit\nmore\n", PF_USAGE, "more than one line"},
};

START_TEST(test_password_file)
{
        struct pf_error err = {0};
        void *cfg = new_config();
        write_password_file(password_files[_i].content, strlen(password_files[_i].content));
        int r = set_option(cfg, "password-file", password_path, &err);
        unlink(password_path);
        ck_assert_int_eq(r, password_files[_i].code);
        if (password_files[_i].message) {
                ck_assert_ptr_nonnull(strstr(err.msg, password_files[_i].message));
                ck_assert_ptr_nonnull(strstr(err.msg, password_path));
                ck_assert_ptr_null(strstr(err.msg, "sekrit"));
        }
        free_config(cfg);
}
END_TEST

START_TEST(test_password_file_problems)
{
        struct pf_error err = {0};
        char big[REDIS_SECRET_MAX + 10];
        void *cfg = new_config();
        ck_assert_int_eq(set_option(cfg, "password-file", "/nonexistent/pw", &err), PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "'/nonexistent/pw'"));
        ck_assert_int_eq(set_option(cfg, "password-file", "/tmp", &err), PF_USAGE);
        memset(big, 'p', sizeof(big));
        write_password_file(big, sizeof(big));
        int r = set_option(cfg, "password-file", password_path, &err);
        unlink(password_path);
        ck_assert_int_eq(r, PF_USAGE);
        ck_assert_ptr_nonnull(strstr(err.msg, "longer than a password"));
        /* Exactly the longest password is fine. */
        write_password_file(big, REDIS_SECRET_MAX);
        r = set_option(cfg, "password-file", password_path, &err);
        unlink(password_path);
        ck_assert_int_eq(r, PF_OK);
        ck_assert_int_eq(set_option(cfg, "password", "x", &err), PF_USAGE);
        free_config(cfg);
}
END_TEST

START_TEST(test_environment_password)
{
        struct pf_error err = {0};
        char big[REDIS_SECRET_MAX + 2];
        void *cfg = new_config();
        ck_assert_int_eq(setenv("REDISCLI_AUTH", "sekrit", 1), 0);
        ck_assert_int_eq(check_redis.finish(cfg, 1, &err), PF_OK);
        free_config(cfg);
        cfg = new_config();
        memset(big, 'p', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        ck_assert_int_eq(setenv("REDISCLI_AUTH", big, 1), 0);
        ck_assert_int_eq(check_redis.finish(cfg, 1, &err), PF_USAGE);
        ck_assert_ptr_null(strstr(err.msg, "pppp"));
        /* An explicit password wins: the environment is not even looked at. */
        ck_assert_int_eq(set_option(cfg, "password", "sekrit", &err), PF_OK);
        ck_assert_int_eq(check_redis.finish(cfg, 1, &err), PF_OK);
        unsetenv("REDISCLI_AUTH");
        free_config(cfg);
}
END_TEST

START_TEST(test_parse_target_step)
{
        struct pf_error err = {0};
        struct redis_target target = {0};
        char shown[TARGET_SHOWN_SIZE];
        ck_assert_uint_eq(check_redis.target_size, sizeof(target));
        ck_assert_int_eq(check_redis.parse_target(NULL, "127.0.0.1:6379", &target, shown, &err),
                         PF_OK);
        ck_assert_str_eq(shown, "127.0.0.1:6379");
        ck_assert_str_eq(err.warning, "");
        check_redis.release_target(&target);
        ck_assert_int_eq(
            check_redis.parse_target(NULL, "redis://:sekrit@h:0", &target, shown, &err), PF_USAGE);
        ck_assert_ptr_null(strstr(err.msg, "sekrit"));
        check_redis.release_target(&target);
        /* A password in the target works, and the parse says it is visible to others. */
        ck_assert_int_eq(
            check_redis.parse_target(NULL, "redis://app:sekrit@h:6379", &target, shown, &err),
            PF_OK);
        ck_assert_str_eq(shown, "redis://app:***@h:6379");
        ck_assert_ptr_nonnull(strstr(err.warning, "can be read by other users"));
        ck_assert_ptr_null(strstr(err.warning, "sekrit"));
        check_redis.release_target(&target);
        ck_assert_uint_eq(target.password_len, 0); /* wiped */
        ck_assert_ptr_null(memmem(&target, sizeof(target), "sekrit", 6));
        ck_assert_int_eq(check_redis.timeout_code, PF_REDIS_TIMEOUT);
        ck_assert_int_eq(check_redis.inverted_code, PF_REDIS_NOT_READY);
}
END_TEST

/* Every result shows the target without its password, a failure as much as a success. Port 1
 * on loopback refuses at once. */
START_TEST(test_result_target_hides_password)
{
        struct check_result res = {0};
        struct attempt attempt = {.deadline_us = deadline_after(slack_us(2000000)), .number = 1};
        struct redis_target target = {0};
        struct pf_error err = {0};
        void *cfg = new_config();
        ck_assert_int_eq(check_redis.parse_target(cfg, "redis://app:sekrit@127.0.0.1:1/0", &target,
                                                  res.target, &err),
                         PF_OK);
        check_redis.run(cfg, &target, &attempt, &res);
        check_redis.release_target(&target);
        ck_assert_str_eq(res.target, "redis://app:***@127.0.0.1:1/0");
        ck_assert_int_eq(res.code, PF_REDIS_UNREACHABLE);
        ck_assert_ptr_null(strstr(res.message, "sekrit"));
        ck_assert_ptr_null(strstr(res.fix, "sekrit"));
        ck_assert_ptr_null(strstr(res.detail, "sekrit"));
        free_config(cfg);
}
END_TEST

Suite *suite_redis(void)
{
        Suite *s = suite_create("redis");
        TCase *tc = tcase_create("targets");
        tcase_add_loop_test(tc, test_target_good, 0,
                            sizeof(good_targets) / sizeof(good_targets[0]));
        tcase_add_loop_test(tc, test_target_bad, 0, sizeof(bad_targets) / sizeof(bad_targets[0]));
        tcase_add_test(tc, test_long_password);
        suite_add_tcase(s, tc);
        tc = tcase_create("replies");
        tcase_add_loop_test(tc, test_reply, 0, sizeof(replies) / sizeof(replies[0]));
        tcase_add_test(tc, test_error_prefix);
        tcase_add_test(tc, test_reply_missing_and_odd);
        tcase_add_test(tc, test_reply_text_is_cleaned);
        tcase_add_test(tc, test_role);
        suite_add_tcase(s, tc);
        tc = tcase_create("answers");
        tcase_add_test(tc, test_answers_pieces);
        tcase_add_test(tc, test_answers_byte_bound);
        tcase_add_test(tc, test_answers_array_bound);
        tcase_add_test(tc, test_answers_object_bound);
        tcase_add_test(tc, test_answers_not_redis);
        tcase_add_test(tc, test_answers_left_over);
        tcase_add_test(tc, test_commands);
        suite_add_tcase(s, tc);
        tc = tcase_create("options");
        tcase_add_test(tc, test_options);
        tcase_add_loop_test(tc, test_password_file, 0,
                            sizeof(password_files) / sizeof(password_files[0]));
        tcase_add_test(tc, test_password_file_problems);
        tcase_add_test(tc, test_environment_password);
        tcase_add_test(tc, test_parse_target_step);
        tcase_add_test(tc, test_result_target_hides_password);
        tcase_set_timeout(tc, 10);
        suite_add_tcase(s, tc);
        return s;
}
