/* MariaDB Connector/C (libmariadb.so.3), loaded on first use by this check alone, so that
 * user, port and cap start as fast as a program that cannot speak to a database. The table is
 * typed from the library's own header. */
#include "checks/mysql/mysql_check.h"
#include "core/dl.h"

struct mysql_library mysql_connector;

int mysql_load_connector(char *why, size_t why_size)
{
        static const char *const sonames[] = {"libmariadb.so.3", NULL};
        const struct dl_symbol symbols[] = {
            {"mysql_init", (void **)&mysql_connector.init},
            {"mysql_options", (void **)&mysql_connector.options},
            {"mysql_close", (void **)&mysql_connector.close},
            {"mysql_errno", (void **)&mysql_connector.error_number},
            {"mysql_error", (void **)&mysql_connector.error},
            {"mysql_get_socket", (void **)&mysql_connector.get_socket},
            {"mysql_get_timeout_value_ms", (void **)&mysql_connector.get_timeout_value_ms},
            {"mysql_get_server_info", (void **)&mysql_connector.get_server_info},
            {"mysql_get_ssl_cipher", (void **)&mysql_connector.get_ssl_cipher},
            {"mysql_real_connect_start", (void **)&mysql_connector.real_connect_start},
            {"mysql_real_connect_cont", (void **)&mysql_connector.real_connect_cont},
            {"mysql_real_query_start", (void **)&mysql_connector.real_query_start},
            {"mysql_real_query_cont", (void **)&mysql_connector.real_query_cont},
            {"mysql_store_result_start", (void **)&mysql_connector.store_result_start},
            {"mysql_store_result_cont", (void **)&mysql_connector.store_result_cont},
            {"mysql_free_result", (void **)&mysql_connector.free_result},
            {"mysql_fetch_row", (void **)&mysql_connector.fetch_row},
            {"mysql_num_fields", (void **)&mysql_connector.num_fields},
            {"mysql_fetch_fields", (void **)&mysql_connector.fetch_fields},
            {NULL, NULL},
        };
        return dl_load(sonames, symbols, why, why_size);
}
