/* The exit codes (README.md and the man page list them): the one place they are named. */
#ifndef PREFLIGHT_EXITCODES_H
#define PREFLIGHT_EXITCODES_H

#include <stdbool.h>
#include <stdio.h>

enum pf_code {
        PF_OK = 0,
        PF_INTERNAL = 1,
        PF_USAGE = 2,
        PF_UNIT_UNAVAILABLE =
            4, /* why, --as-unit: no such unit, or the manager cannot be reached */
        PF_NO_LIBRARY = 5,
        PF_CHAIN = 6,
        PF_USER_WRONG = 10,
        PF_USER_MISSING = 11,
        PF_PORT_IN_USE = 20,
        PF_PORT_DENIED = 21,
        PF_CAP_MISSING = 30,
        PF_LIMIT_WRONG = 31,
        PF_SYSCTL_WRONG = 32,
        PF_REDIS_UNREACHABLE = 40,
        PF_REDIS_TIMEOUT = 41,
        PF_REDIS_NOT_READY = 42,
        PF_REDIS_DENIED = 43,
        PF_HTTP_UNREACHABLE = 50,
        PF_HTTP_TIMEOUT = 51,
        PF_HTTP_STATUS = 52,
        PF_HTTP_MISMATCH = 53,
        PF_HTTP_TLS = 54,
        PF_TCP_UNREACHABLE = 60,
        PF_TCP_TIMEOUT = 61,
        PF_POSTGRES_UNREACHABLE = 80,
        PF_POSTGRES_TIMEOUT = 81,
        PF_POSTGRES_NOT_READY = 82,
        PF_POSTGRES_DENIED = 83,
        PF_MYSQL_UNREACHABLE = 90,
        PF_MYSQL_TIMEOUT = 91,
        PF_MYSQL_NOT_READY = 92,
        PF_MYSQL_DENIED = 93,
        PF_FILE_MISSING = 100,
        PF_FILE_WRONG = 101,
        PF_FILE_DENIED = 102,
        PF_FILE_FILESYSTEM = 103,
        PF_DNS_UNRESOLVED = 110,
        PF_DNS_TIMEOUT = 111,
        PF_DNS_MISMATCH = 112,
        PF_EXEC_CMD_FAILED = 120,
        PF_EXEC_CMD_TIMEOUT = 121,
        PF_EXEC_CMD_MISMATCH = 122,
        PF_EXEC_CMD_NO_START = 123,
        PF_EXEC_FAILED = 126,
        PF_EXEC_NOT_FOUND = 127,
};

enum pf_code_kind { PF_KIND_NONE, PF_KIND_PERMANENT, PF_KIND_TRANSIENT };

struct pf_code_info {
        int code;
        const char *name;    /* short upper-case tag, e.g. "PORT_IN_USE" */
        const char *meaning; /* one line, as README.md's table says it */
        enum pf_code_kind kind;
        bool survives_invert; /* fails under --invert too: not an answer of the check */
        const char *advice;   /* what an administrator does about it */
};

/* The row for a preflight code, or NULL when preflight never exits with it. */
const struct pf_code_info *pf_code_lookup(int code);
const struct pf_code_info *pf_code_table(size_t *count);

/* Codes that are not a check's answer (usage, chain file, missing library, internal): --invert
 * does not turn them into a pass. Unknown codes count as such. */
bool pf_code_survives_invert(int code);

/* Permanent codes are never retried under --wait: waiting cannot fix them. */
bool pf_code_is_permanent(int code);

/* `preflight exit-codes`: the table and the RestartPreventExitStatus= line. */
void pf_print_exit_codes(FILE *out);

/* `preflight explain N`: what a unit's status N means. Returns false when N is out of 0..255. */
bool pf_explain(FILE *out, long status);

/* The same words in one line, without "N: " (`preflight why` prints it beside a command's
 * status): "preflight redis: denied (...), permanent", "128+15, killed by SIGTERM", "systemd
 * EXEC, could not execute ...". from_preflight false: the program is not preflight, so
 * preflight's own codes are not assumed. */
void pf_explain_brief(int status, bool from_preflight, char *buf, size_t size);

#endif
