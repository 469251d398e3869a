/*
 * What a Redis server (or anything on its port) sends, as the redis check reads and judges it:
 * any bytes, fed in pieces to the hiredis reader with the check's own reply objects
 * (checks/redis/protocol.c), each whole answer judged as the answer to the command it stands
 * for (checks/redis/replies.c). Always: the reader's state is one the check knows, the bytes
 * counted are the bytes fed and never past REDIS_ANSWER_MAX, the arrays allocated never announce
 * more elements than those bytes could fill, the code is one of the check's, the reason is one
 * safe line, and a password the server echoes never shows in it.
 *
 * Input: which commands were sent (AUTH, SELECT, ROLE bits; PING always), the role wanted, the
 * password (a length byte, then its bytes), the size of the pieces the bytes arrive in, then the
 * server's bytes.
 */
#include "tests/fuzz/fuzz.h"

#include "checks/redis/redis.h"

/* Whether the server sent the password, whole, in one of the strings of an answer. */
static bool tree_contains(const redisReply *r, const uint8_t *secret, size_t len)
{
        if (!r)
                return false;
        if (r->str && memmem(r->str, r->len, secret, len))
                return true;
        for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
                if (tree_contains(r->element[i], secret, len))
                        return true;
        return false;
}

struct plan {
        enum redis_step steps[4];
        unsigned count, next;
        enum redis_role role;
        const uint8_t *secret;
        size_t secret_len;
};

static void judge(const struct plan *plan, enum redis_step step, const redisReply *reply)
{
        char why[400];
        bool superfluous = true;
        int code = redis_classify_reply(step, reply, plan->role, (const char *)plan->secret,
                                        plan->secret_len, &superfluous, why, sizeof(why));
        FUZZ_REQUIRE(code == PF_OK || code == PF_USAGE || code == PF_REDIS_UNREACHABLE ||
                         code == PF_REDIS_NOT_READY || code == PF_REDIS_DENIED,
                     "code %d", code);
        FUZZ_REQUIRE(!superfluous || (step == REDIS_STEP_AUTH && code == PF_OK),
                     "a superfluous AUTH outside AUTH");
        FUZZ_REQUIRE(strlen(why) < sizeof(why) && fuzz_safe_line(why), "why '%s'", why);
        /* "***" and '?' stand in for what is hidden: a password made of them could be rebuilt.
         * The message's own words hold none of FUZZ_RARE: a password that starts and ends
         * with one of them, found in the message, is the server's text shown, not a password
         * spelt across the message's words and the server's ("answered" + " !!!" for " !!!").
         * Only a password the server sent back counts: the check never shows its own. */
        const uint8_t *secret = plan->secret;
        size_t len = plan->secret_len;
        bool rare = len >= 4 && fuzz_rare((char)secret[0]) && fuzz_rare((char)secret[len - 1]);
        if (rare && !memchr(secret, '*', len) && !memchr(secret, '?', len) &&
            tree_contains(reply, secret, len))
                FUZZ_REQUIRE(!fuzz_contains(why, (const char *)secret, len),
                             "the password shows in '%s'", why);
        if (code == PF_OK)
                return;
        struct check_result res = {0};
        redis_reply_fix(why, code, step, NULL, len > 0, &res);
        FUZZ_REQUIRE(fuzz_safe_line(res.fix), "fix '%s'", res.fix);
}

/* Takes every whole answer the bytes fed so far hold; false once the attempt would stop. */
static bool take_answers(struct redis_answers *answers, struct plan *plan)
{
        for (;;) {
                redisReply *reply;
                enum redis_answer got = redis_answers_next(answers, &reply);
                FUZZ_REQUIRE(got == REDIS_ANSWER_READY || got == REDIS_ANSWER_PARTIAL ||
                                 got == REDIS_ANSWER_TOO_LONG || got == REDIS_ANSWER_TOO_BIG ||
                                 got == REDIS_ANSWER_INVALID,
                             "answer %d", got);
                FUZZ_REQUIRE((got == REDIS_ANSWER_READY) == (reply != NULL), "reply %p", reply);
                if (got == REDIS_ANSWER_INVALID) {
                        /* As exchange.c shows it. */
                        const char *error = redis_answers_error(answers);
                        char shown[160];
                        redis_server_text(error, strlen(error), NULL, 0, shown, sizeof(shown));
                        FUZZ_REQUIRE_MESSAGE(shown);
                }
                if (got != REDIS_ANSWER_READY)
                        return got == REDIS_ANSWER_PARTIAL;
                if (plan->next < plan->count)
                        judge(plan, plan->steps[plan->next++], reply);
                redis_reply_free(reply);
                if (plan->next == plan->count)
                        return false;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static bool loaded;
        if (!loaded) {
                char why[512];
                FUZZ_REQUIRE(redis_load_hiredis(why, sizeof(why)) == PF_OK, "hiredis: %s", why);
                loaded = true;
        }
        if (size < 4 || size - 4 < data[2] % 32)
                return 0;
        struct plan plan = {
            .role = (enum redis_role)(data[1] % 3), .secret = data + 3, .secret_len = data[2] % 32};
        if (data[0] & 1)
                plan.steps[plan.count++] = REDIS_STEP_AUTH;
        if (data[0] & 2)
                plan.steps[plan.count++] = REDIS_STEP_SELECT;
        plan.steps[plan.count++] = REDIS_STEP_PING;
        if (data[0] & 4)
                plan.steps[plan.count++] = REDIS_STEP_ROLE;
        const uint8_t *bytes = data + 3 + plan.secret_len;
        size_t len = size - 3 - plan.secret_len, piece = 1 + bytes[0] % 255, fed = 0;
        bytes++, len--;

        struct redis_answers answers;
        FUZZ_REQUIRE(redis_answers_open(&answers) == PF_OK, "out of memory");
        bool going = true;
        while (going && fed < len) {
                size_t n = len - fed < piece ? len - fed : piece;
                enum redis_answer got = redis_answers_feed(&answers, (const char *)bytes + fed, n);
                fed += n;
                FUZZ_REQUIRE(got != REDIS_ANSWER_READY && got != REDIS_ANSWER_NO_MEMORY, "feed %d",
                             got);
                FUZZ_REQUIRE(got == REDIS_ANSWER_TOO_LONG || answers.received == fed,
                             "%zu bytes counted, %zu fed", answers.received, fed);
                going = got == REDIS_ANSWER_PARTIAL && take_answers(&answers, &plan);
                FUZZ_REQUIRE(answers.elements_announced <= REDIS_ANSWER_MAX / 3,
                             "%zu elements announced", answers.elements_announced);
                FUZZ_REQUIRE(answers.object_bytes <= REDIS_OBJECTS_MAX, "%zu bytes of objects",
                             answers.object_bytes);
        }
        FUZZ_REQUIRE(answers.received <= REDIS_ANSWER_MAX + 1, "%zu bytes", answers.received);
        if (plan.next == plan.count)
                (void)redis_answers_left_over(&answers);
        redis_answers_close(&answers);
        return 0;
}
