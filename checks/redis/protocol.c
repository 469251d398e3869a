/* hiredis, loaded on first use, and the Redis protocol through its public API: commands
 * formatted by redisFormatCommandArgv(), answers parsed by a reader with reply objects of our
 * own. The socket is ours (exchange.c): hiredis never sees it. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "checks/redis/redis.h"
#include "core/dl.h"

struct redis_library redis_hiredis;

int redis_load_hiredis(char *why, size_t why_size)
{
        /* 0.14's soname only: the reply functions below fill 0.14's redisReplyObjectFunctions,
         * which 1.x extended (createDouble, createBool): 1.x would read this table wrong. */
        static const char *const sonames[] = {"libhiredis.so.0.14", NULL};
        const struct dl_symbol symbols[] = {
            {"redisReaderCreateWithFunctions",
             (void **)&redis_hiredis.reader_create_with_functions},
            {"redisReaderFeed", (void **)&redis_hiredis.reader_feed},
            {"redisReaderGetReply", (void **)&redis_hiredis.reader_get_reply},
            {"redisReaderFree", (void **)&redis_hiredis.reader_free},
            {"redisFormatCommandArgv", (void **)&redis_hiredis.format_command_argv},
            {"redisFreeCommand", (void **)&redis_hiredis.free_command},
            {NULL, NULL},
        };
        return dl_load(sonames, symbols, why, why_size);
}

/* ------------------------------------------------------------------------------------------ */
/* Reply objects: hiredis's redisReply, made and freed here */

/* The shortest element an array can hold is 3 bytes ("+\r\n"): this many elements, announced
 * by all the arrays of an attempt together, is the most REDIS_ANSWER_MAX bytes can fill. */
#define ELEMENTS_MAX (REDIS_ANSWER_MAX / 3)

void redis_reply_free(redisReply *reply)
{
        if (!reply)
                return;
        if (reply->type == REDIS_REPLY_ARRAY && reply->element) {
                for (size_t i = 0; i < reply->elements; i++)
                        redis_reply_free(reply->element[i]);
                free(reply->element);
        }
        free(reply->str);
        free(reply);
}

static void free_object(void *object)
{
        redis_reply_free(object);
}

/* Counts bytes against REDIS_OBJECTS_MAX: false (and the attempt's answers refused) past it. */
static bool take_object_bytes(struct redis_answers *answers, size_t bytes)
{
        if (bytes > REDIS_OBJECTS_MAX - answers->object_bytes) {
                answers->refused = true;
                return false;
        }
        answers->object_bytes += bytes;
        return true;
}

/* A new object of type, in its parent's array when it has one (as the reader expects); NULL
 * tells the reader "out of memory", and it stops. */
static redisReply *new_object(const redisReadTask *task, int type)
{
        struct redis_answers *answers = task->privdata;
        if (!take_object_bytes(answers, sizeof(redisReply)))
                return NULL;
        redisReply *reply = calloc(1, sizeof(*reply));
        if (!reply)
                return NULL;
        reply->type = type;
        answers->made_object = true;
        if (task->parent) {
                redisReply *parent = task->parent->obj;
                /* The reader gives idx < the elements its array announced: parent->elements. */
                parent->element[task->idx] = reply;
        }
        return reply;
}

static void *create_string(const redisReadTask *task, char *text, size_t len)
{
        /* len < REDIS_ANSWER_MAX: the reader has all of the string's bytes by now. */
        if (!take_object_bytes(task->privdata, len + 1))
                return NULL;
        char *copy = malloc(len + 1);
        if (!copy)
                return NULL;
        memcpy(copy, text, len);
        copy[len] = '\0'; /* as hiredis's own: a C string whatever the bytes */
        redisReply *reply = new_object(task, task->type);
        if (!reply) {
                free(copy);
                return NULL;
        }
        reply->str = copy;
        reply->len = len;
        return reply;
}

static void *create_array(const redisReadTask *task, int elements)
{
        struct redis_answers *answers = task->privdata;
        if (elements < 0 || (size_t)elements > ELEMENTS_MAX - answers->elements_announced) {
                answers->refused = true;
                return NULL;
        }
        if (!take_object_bytes(answers, (size_t)elements * sizeof(redisReply *)))
                return NULL;
        redisReply **element = NULL;
        if (elements > 0 && !(element = calloc((size_t)elements, sizeof(*element))))
                return NULL;
        redisReply *reply = new_object(task, REDIS_REPLY_ARRAY);
        if (!reply) {
                free(element);
                return NULL;
        }
        answers->elements_announced += (size_t)elements;
        reply->element = element;
        reply->elements = (size_t)elements;
        return reply;
}

static void *create_integer(const redisReadTask *task, long long value)
{
        redisReply *reply = new_object(task, REDIS_REPLY_INTEGER);
        if (reply)
                reply->integer = value;
        return reply;
}

static void *create_nil(const redisReadTask *task)
{
        return new_object(task, REDIS_REPLY_NIL);
}

/* Not const: redisReaderCreateWithFunctions() takes a plain pointer (it never writes). */
static redisReplyObjectFunctions reply_functions = {
    .createString = create_string,
    .createArray = create_array,
    .createInteger = create_integer,
    .createNil = create_nil,
    .freeObject = free_object,
};

/* ------------------------------------------------------------------------------------------ */
/* Answers */

int redis_answers_open(struct redis_answers *answers)
{
        *answers = (struct redis_answers){.reader = NULL};
        answers->reader = redis_hiredis.reader_create_with_functions(&reply_functions);
        if (!answers->reader)
                return PF_INTERNAL;
        /* Every read task gets the reader's privdata: this is how the functions above find the
         * attempt's counts. (What read.h's redisReaderSetPrivdata() does, without its cast of a
         * pointer to int, which clang refuses.) */
        answers->reader->privdata = answers;
        return PF_OK;
}

void redis_answers_close(struct redis_answers *answers)
{
        if (answers->reader)
                redis_hiredis.reader_free(answers->reader); /* frees a half-built answer too */
        answers->reader = NULL;
}

/* What the reader's failure was: the reply functions refused an object, or memory ran out
 * (REDIS_ERR_OOM, as read.h names it), or the bytes are not the protocol. */
static enum redis_answer reader_failure(const struct redis_answers *answers)
{
        if (answers->refused)
                return REDIS_ANSWER_TOO_BIG;
        if (answers->reader->err == REDIS_ERR_OOM)
                return REDIS_ANSWER_NO_MEMORY;
        return REDIS_ANSWER_INVALID;
}

enum redis_answer redis_answers_feed(struct redis_answers *answers, const char *bytes, size_t len)
{
        if (len > REDIS_ANSWER_MAX - answers->received) {
                answers->received = REDIS_ANSWER_MAX + 1;
                return REDIS_ANSWER_TOO_LONG;
        }
        answers->received += len;
        if (redis_hiredis.reader_feed(answers->reader, bytes, len) != REDIS_OK)
                return reader_failure(answers);
        return REDIS_ANSWER_PARTIAL;
}

enum redis_answer redis_answers_next(struct redis_answers *answers, redisReply **reply)
{
        void *parsed = NULL;
        *reply = NULL;
        if (redis_hiredis.reader_get_reply(answers->reader, &parsed) != REDIS_OK)
                return reader_failure(answers);
        if (!parsed)
                return REDIS_ANSWER_PARTIAL;
        *reply = parsed;
        answers->made_object = false;
        return REDIS_ANSWER_READY;
}

/*
 * read.h has no count of the bytes a reader holds, so this asks the reader. An answer, or an
 * error, parsing on means there are more bytes; so does a reply object begun (an array header).
 * Otherwise what is left is nothing or the start of a line: a byte no answer may start with
 * tells them apart, since a reader with nothing left refuses it at once as a protocol error,
 * and one holding the start of a line takes it as part of that line and waits for the rest.
 */
bool redis_answers_left_over(struct redis_answers *answers)
{
        redisReply *extra;
        enum redis_answer next = redis_answers_next(answers, &extra);
        redis_reply_free(extra);
        if (next != REDIS_ANSWER_PARTIAL || answers->made_object)
                return true;
        static const char not_a_type_byte = '\0';
        if (redis_hiredis.reader_feed(answers->reader, &not_a_type_byte, 1) != REDIS_OK)
                return true; /* out of memory: say so rather than guess */
        next = redis_answers_next(answers, &extra);
        redis_reply_free(extra);
        return next != REDIS_ANSWER_INVALID || answers->made_object;
}

const char *redis_answers_error(const struct redis_answers *answers)
{
        return answers->reader->errstr;
}

/* ------------------------------------------------------------------------------------------ */
/* Commands */

static void wipe_free(char *bytes, size_t len)
{
        if (bytes)
                explicit_bzero(bytes, len);
        free(bytes);
}

bool redis_commands_add(struct redis_commands *commands, enum redis_step step, int argc,
                        const char **argv, const size_t *argvlen)
{
        char *command = NULL;
        if (commands->count == sizeof(commands->steps) / sizeof(commands->steps[0]))
                return false;
        int len = redis_hiredis.format_command_argv(&command, argc, argv, argvlen);
        if (len < 0 || !command)
                return false;
        /* Not realloc(): it could leave a copy of the password behind in memory it frees. */
        char *joined = malloc(commands->len + (size_t)len);
        if (joined) {
                if (commands->len)
                        memcpy(joined, commands->bytes, commands->len);
                memcpy(joined + commands->len, command, (size_t)len);
                wipe_free(commands->bytes, commands->len);
                commands->bytes = joined;
                commands->len += (size_t)len;
        }
        explicit_bzero(command, (size_t)len); /* AUTH's holds the password */
        redis_hiredis.free_command(command);
        if (joined)
                commands->steps[commands->count++] = step;
        return joined != NULL;
}

void redis_commands_free(struct redis_commands *commands)
{
        wipe_free(commands->bytes, commands->len);
        *commands = (struct redis_commands){.bytes = NULL};
}
