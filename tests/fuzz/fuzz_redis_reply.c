/*
 * What a Redis server (or anything on its port) answers, as the redis check judges it
 * (checks/redis.c redis_classify_reply): any reply tree hiredis can hand over, for each command
 * the check sends. The answer is always one of the check's codes, the reason is one safe line,
 * and the password never shows in it, whatever the server echoes.
 *
 * Input: the command (AUTH, SELECT, PING, ROLE), the role wanted, the password, then a reply
 * tree: a type byte (string, array, integer, nil, status, error, or a missing element), then a
 * length byte and bytes, 8 bytes of integer, or a count byte and that many replies.
 */
#include "tests/fuzz/fuzz.h"

#include "checks/redis/redis.h"

struct input {
        const uint8_t *data;
        size_t size, at;
};

static bool take(struct input *in, size_t n, const uint8_t **out)
{
        if (in->size - in->at < n)
                return false;
        *out = in->data + in->at;
        in->at += n;
        return true;
}

static void free_tree(redisReply *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->elements; i++)
                free_tree(r->element[i]);
        free(r->element);
        free(r->str);
        free(r);
}

static redisReply *build(struct input *in, unsigned depth)
{
        static const int types[] = {REDIS_REPLY_STRING, REDIS_REPLY_ARRAY,  REDIS_REPLY_INTEGER,
                                    REDIS_REPLY_NIL,    REDIS_REPLY_STATUS, REDIS_REPLY_ERROR};
        const uint8_t *b;
        if (!take(in, 1, &b) || b[0] % 7 == 6)
                return NULL; /* a missing element: hiredis never gives one, the check copes */
        redisReply *r = calloc(1, sizeof(*r));
        FUZZ_REQUIRE(r != NULL, "calloc");
        r->type = types[b[0] % 7];
        const uint8_t *n;
        switch (r->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR: {
                size_t len = take(in, 1, &n) ? n[0] : 0;
                const uint8_t *bytes;
                if (!take(in, len, &bytes))
                        len = 0, bytes = (const uint8_t *)"";
                r->str = malloc(len + 1); /* hiredis ends every string with a NUL */
                FUZZ_REQUIRE(r->str != NULL, "malloc");
                memcpy(r->str, bytes, len);
                r->str[len] = '\0';
                r->len = len;
                break;
        }
        case REDIS_REPLY_INTEGER:
                if (take(in, 8, &n))
                        memcpy(&r->integer, n, 8);
                break;
        case REDIS_REPLY_ARRAY:
                r->elements = take(in, 1, &n) && depth < 4 ? n[0] % 9 : 0;
                r->element = calloc(r->elements ? r->elements : 1, sizeof(*r->element));
                FUZZ_REQUIRE(r->element != NULL, "calloc");
                for (size_t i = 0; i < r->elements; i++)
                        r->element[i] = build(in, depth + 1);
                break;
        default:
                break;
        }
        return r;
}

/* Whether the server sent the password, whole, in one of its strings. */
static bool tree_contains(const redisReply *r, const uint8_t *secret, size_t len)
{
        if (!r)
                return false;
        if (r->str && memmem(r->str, r->len, secret, len))
                return true;
        for (size_t i = 0; i < r->elements; i++)
                if (tree_contains(r->element[i], secret, len))
                        return true;
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct input in = {data, size, 0};
        const uint8_t *head, *secret_len_byte, *secret;
        if (!take(&in, 2, &head) || !take(&in, 1, &secret_len_byte) ||
            !take(&in, secret_len_byte[0] % 32, &secret))
                return 0;
        size_t secret_len = secret_len_byte[0] % 32;
        enum redis_step step = (enum redis_step)(head[0] % 4);
        enum redis_role role = (enum redis_role)(head[1] % 3);
        redisReply *reply = build(&in, 0);

        char why[400];
        bool superfluous = true;
        int code = redis_classify_reply(step, reply, role, (const char *)secret, secret_len,
                                        &superfluous, why, sizeof(why));
        FUZZ_REQUIRE(code == PF_OK || code == PF_USAGE || code == PF_REDIS_UNREACHABLE ||
                         code == PF_REDIS_NOT_READY || code == PF_REDIS_DENIED,
                     "code %d", code);
        FUZZ_REQUIRE(!superfluous || (step == REDIS_STEP_AUTH && code == PF_OK),
                     "a superfluous AUTH outside AUTH");
        FUZZ_REQUIRE(strlen(why) < sizeof(why) && fuzz_safe_line(why), "why '%s'", why);
        FUZZ_REQUIRE(code != PF_OK || step != REDIS_STEP_PING || reply, "no reply passed");
        /* "***" and '?' stand in for what is hidden: a password made of them could be rebuilt.
         * The message's own words hold none of FUZZ_RARE: a password that starts and ends
         * with one of them, found in the message, is the server's text shown, not a password
         * spelt across the message's words and the server's ("answered" + " !!!" for " !!!").
         * Only a password the server sent back counts: the check never shows its own. */
        bool rare = secret_len >= 4 && fuzz_rare((char)secret[0]) &&
                    fuzz_rare((char)secret[secret_len - 1]);
        if (rare && !memchr(secret, '*', secret_len) && !memchr(secret, '?', secret_len) &&
            tree_contains(reply, secret, secret_len))
                FUZZ_REQUIRE(!fuzz_contains(why, (const char *)secret, secret_len),
                             "the password shows in '%s'", why);
        (void)redis_error_prefix_code(reply && reply->str ? reply->str : "");
        free_tree(reply);
        return 0;
}
