/* The one table of checks. A check is added by writing checks/NAME.c and listing it here. */
#include <string.h>

#include "core/check.h"

extern const struct check check_user, check_port, check_cap, check_redis, check_http, check_tcp,
    check_postgres, check_mysql, check_file, check_dns, check_limit, check_sysctl, check_exec;

const struct check *const pf_checks[] = {
    &check_user,  &check_port,     &check_cap,   &check_redis, &check_http,
    &check_tcp,   &check_postgres, &check_mysql, &check_file,  &check_dns,
    &check_limit, &check_sysctl,   &check_exec,  NULL,
};

const struct check *check_find(const char *name)
{
        for (size_t i = 0; pf_checks[i]; i++)
                if (strcmp(pf_checks[i]->name, name) == 0)
                        return pf_checks[i];
        return NULL;
}
