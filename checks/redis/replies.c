/* What each answer means: success, not ready (42), denied (43), or not Redis at all, with the
 * server's words cleaned for a terminal and the password hidden; and the fix for each. */
#include <stdio.h>
#include <string.h>

#include "checks/redis/redis.h"

void redis_server_text(const char *text, size_t len, const char *secret, size_t secret_len,
                       char *out, size_t size)
{
        size_t n = 0;
        if (size == 0)
                return;
        for (size_t i = 0; i < len && n + 4 < size;) {
                if (secret_len > 0 && len - i >= secret_len &&
                    memcmp(text + i, secret, secret_len) == 0) {
                        memcpy(out + n, "***", 3);
                        n += 3;
                        i += secret_len;
                        continue;
                }
                unsigned char c = (unsigned char)text[i++];
                out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        out[n] = '\0';
}

/* The first word of an error: Redis puts its error code there ("-LOADING Redis is ..."). */
static bool error_code_is(const char *error, const char *code)
{
        size_t len = strlen(code);
        return strncmp(error, code, len) == 0 && (error[len] == ' ' || error[len] == '\0');
}
int redis_error_prefix_code(const char *error)
{
        static const char *const not_ready[] = {"LOADING", "BUSY", "MASTERDOWN"};
        /* DENIED: protected mode refuses clients from other hosts when there is no password. */
        static const char *const denied[] = {"NOAUTH", "WRONGPASS", "NOPERM", "DENIED"};
        for (size_t i = 0; i < sizeof(not_ready) / sizeof(not_ready[0]); i++)
                if (error_code_is(error, not_ready[i]))
                        return PF_REDIS_NOT_READY;
        for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
                if (error_code_is(error, denied[i]))
                        return PF_REDIS_DENIED;
        return PF_OK;
}

/* Redis 6+ and Redis 5 words for "AUTH given, but this server has no password". */
static bool auth_is_superfluous(const char *error)
{
        return strstr(error, "without any password configured") ||
               strstr(error, "no password is set");
}

static bool reply_is_text(const redisReply *reply, const char *text)
{
        return reply && (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING) &&
               reply->str && reply->len == strlen(text) &&
               memcmp(reply->str, text, reply->len) == 0;
}

const char *redis_step_name(enum redis_step step)
{
        switch (step) {
        case REDIS_STEP_AUTH:
                return "AUTH";
        case REDIS_STEP_SELECT:
                return "SELECT";
        case REDIS_STEP_PING:
                return "PING";
        case REDIS_STEP_ROLE:
                return "ROLE";
        }
        return "?";
}

static int classify_role(const redisReply *reply, enum redis_role role, const char *secret,
                         size_t secret_len, char *why, size_t size)
{
        char name[32], host[128], state[32];
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 || !reply->element[0] ||
            reply->element[0]->type != REDIS_REPLY_STRING) {
                snprintf(why, size, "ROLE answered something that is not a role");
                return PF_REDIS_NOT_READY;
        }
        const redisReply *first = reply->element[0];
        redis_server_text(first->str, first->len, secret, secret_len, name, sizeof(name));
        bool is_master = strcmp(name, "master") == 0, is_replica = strcmp(name, "slave") == 0;
        if (!is_replica) {
                snprintf(why, size, "%s", name);
                if (role == REDIS_ROLE_MASTER && is_master)
                        return PF_OK;
                snprintf(why, size, "role is %s, not %s", name,
                         role == REDIS_ROLE_MASTER ? "master" : "replica");
                return PF_REDIS_NOT_READY;
        }
        /* A replica answers [ "slave", master host, master port, link state, offset ]. */
        snprintf(host, sizeof(host), "?");
        snprintf(state, sizeof(state), "unknown");
        long long port = 0;
        if (reply->elements >= 4 && reply->element[1] && reply->element[1]->str)
                /* A server that was sent the password can echo it anywhere in its answer. */
                redis_server_text(reply->element[1]->str, reply->element[1]->len, secret,
                                  secret_len, host, sizeof(host));
        if (reply->elements >= 4 && reply->element[2] &&
            reply->element[2]->type == REDIS_REPLY_INTEGER)
                port = reply->element[2]->integer;
        if (reply->elements >= 4 && reply->element[3] && reply->element[3]->str)
                redis_server_text(reply->element[3]->str, reply->element[3]->len, secret,
                                  secret_len, state, sizeof(state));
        if (role == REDIS_ROLE_MASTER) {
                snprintf(why, size, "role is replica (of %s:%lld), not master", host, port);
                return PF_REDIS_NOT_READY;
        }
        if (strcmp(state, "connected") != 0) {
                /* A replica still syncing, or cut off, serves stale or no data: not ready. */
                snprintf(why, size,
                         "replica of %s:%lld, but its link to the master is '%s', not "
                         "'connected'",
                         host, port, state);
                return PF_REDIS_NOT_READY;
        }
        snprintf(why, size, "replica of %s:%lld", host, port);
        return PF_OK;
}

int redis_classify_reply(enum redis_step step, const redisReply *reply, enum redis_role role,
                         const char *secret, size_t secret_len, bool *superfluous_auth, char *why,
                         size_t why_size)
{
        char said[200];
        *superfluous_auth = false;
        why[0] = '\0';
        if (!reply) {
                snprintf(why, why_size, "no answer to %s", redis_step_name(step));
                return PF_REDIS_UNREACHABLE;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
                const char *error = reply->str ? reply->str : "";
                redis_server_text(error, reply->str ? reply->len : 0, secret, secret_len, said,
                                  sizeof(said));
                int code = redis_error_prefix_code(error);
                if (code == PF_OK) {
                        switch (step) {
                        case REDIS_STEP_AUTH:
                                if (auth_is_superfluous(error)) {
                                        *superfluous_auth = true;
                                        snprintf(why, why_size, "%s", said);
                                        return PF_OK;
                                }
                                /* Redis 5 says "ERR invalid password"; any other AUTH error
                                 * is a credential the server will not take either. */
                                code = PF_REDIS_DENIED;
                                break;
                        case REDIS_STEP_SELECT:
                                /* "DB index is out of range", "not allowed in cluster mode":
                                 * the --db asked for does not exist there. */
                                code = PF_USAGE;
                                break;
                        case REDIS_STEP_PING:
                        case REDIS_STEP_ROLE:
                                code = PF_REDIS_NOT_READY;
                                break;
                        }
                }
                snprintf(why, why_size, "%s answered %s", redis_step_name(step), said);
                return code;
        }
        switch (step) {
        case REDIS_STEP_AUTH:
        case REDIS_STEP_SELECT:
                if (reply_is_text(reply, "OK"))
                        return PF_OK;
                break;
        case REDIS_STEP_PING:
                if (reply_is_text(reply, "PONG"))
                        return PF_OK;
                break;
        case REDIS_STEP_ROLE:
                return classify_role(reply, role, secret, secret_len, why, why_size);
        }
        if (reply->str && (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING))
                redis_server_text(reply->str, reply->len, secret, secret_len, said, sizeof(said));
        else
                snprintf(said, sizeof(said), "a reply of type %d", reply->type);
        snprintf(why, why_size, "%s answered '%s', not %s", redis_step_name(step), said,
                 step == REDIS_STEP_PING ? "PONG" : "OK");
        return PF_REDIS_NOT_READY;
}

/* What to do about a refused or failing reply. */
void redis_reply_fix(const char *why, int code, enum redis_step step, const char *user,
                     bool have_password, struct check_result *res)
{
        if (code == PF_REDIS_NOT_READY) {
                if (strstr(why, "LOADING"))
                        result_fix(res, "Redis is loading its data set: wait for it with --wait "
                                        "and a -t long enough");
                else if (strstr(why, "answered BUSY"))
                        result_fix(res, "a script or function runs too long: SCRIPT KILL or "
                                        "FUNCTION KILL stops it");
                else if (strstr(why, "MASTERDOWN"))
                        result_fix(res, "this replica lost its master (replica-serve-stale-data "
                                        "is no): bring the master back");
                else if (step == REDIS_STEP_ROLE)
                        result_fix(res, "point preflight at the right server, or wait for the "
                                        "failover or sync with --wait");
        } else if (code == PF_REDIS_DENIED) {
                if (strstr(why, "NOPERM"))
                        result_fix(res, "allow the commands: ACL SETUSER %s +ping%s",
                                   user ? user : "default",
                                   step == REDIS_STEP_ROLE     ? " +role"
                                   : step == REDIS_STEP_SELECT ? " +select"
                                                               : "");
                else if (strstr(why, "DENIED"))
                        result_fix(res, "protected mode: give the server a password, or bind "
                                        "it where this host may connect");
                else if (!have_password)
                        result_fix(res,
                                   "give the password: REDISCLI_AUTH in the environment, "
                                   "or --password-file FILE%s",
                                   user ? "" : " (and --user NAME for an ACL user)");
                else
                        result_fix(res, "check the password and the user name%s",
                                   user ? "" : " (an ACL user needs --user NAME)");
        } else if (code == PF_USAGE) {
                result_fix(res, "use a database this server has (databases in redis.conf)");
        }
}
