/* libpq, loaded with dlopen() when a postgres target is parsed: no other check pays for it. */
#include "checks/postgres/postgres.h"
#include "core/dl.h"

struct pg_library pg_libpq;

int pg_load_libpq(struct pf_error *err)
{
        static const char *const sonames[] = {"libpq.so.5", NULL};
        const struct dl_symbol symbols[] = {
            {"PQconninfoParse", (void **)&pg_libpq.conninfo_parse},
            {"PQconninfoFree", (void **)&pg_libpq.conninfo_free},
            {"PQfreemem", (void **)&pg_libpq.freemem},
            {"PQconnectStartParams", (void **)&pg_libpq.connect_start_params},
            {"PQconnectPoll", (void **)&pg_libpq.connect_poll},
            {"PQsetErrorVerbosity", (void **)&pg_libpq.set_error_verbosity},
            {"PQstatus", (void **)&pg_libpq.status},
            {"PQsocket", (void **)&pg_libpq.socket},
            {"PQerrorMessage", (void **)&pg_libpq.error_message},
            {"PQparameterStatus", (void **)&pg_libpq.parameter_status},
            {"PQuser", (void **)&pg_libpq.user},
            {"PQdb", (void **)&pg_libpq.db},
            {"PQsetnonblocking", (void **)&pg_libpq.set_nonblocking},
            {"PQsendQuery", (void **)&pg_libpq.send_query},
            {"PQflush", (void **)&pg_libpq.flush},
            {"PQconsumeInput", (void **)&pg_libpq.consume_input},
            {"PQisBusy", (void **)&pg_libpq.is_busy},
            {"PQgetResult", (void **)&pg_libpq.get_result},
            {"PQresultStatus", (void **)&pg_libpq.result_status},
            {"PQresultErrorField", (void **)&pg_libpq.result_error_field},
            {"PQresultErrorMessage", (void **)&pg_libpq.result_error_message},
            {"PQntuples", (void **)&pg_libpq.ntuples},
            {"PQnfields", (void **)&pg_libpq.nfields},
            {"PQgetvalue", (void **)&pg_libpq.get_value},
            {"PQclear", (void **)&pg_libpq.clear},
            {"PQfinish", (void **)&pg_libpq.finish},
            {NULL, NULL},
        };
        char why[512];
        int r = dl_load(sonames, symbols, why, sizeof(why));
        if (r == PF_NO_LIBRARY)
                pf_error_set(err, "libpq (libpq.so.5) is not installed: %s; apt-get install %s",
                             why, PG_LIBPQ_PACKAGE);
        else if (r != PF_OK)
                pf_error_set(err,
                             "libpq is installed but cannot be loaded: %s; look at the unit's "
                             "LimitAS= (or ulimit -v) and at ldd on the library the message names",
                             why);
        return r;
}
