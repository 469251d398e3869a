/* libsystemd, loaded with dlopen() by `preflight why` and --as-unit, and the connection to the
 * service manager both use. */
#include "unit/libsystemd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dl.h"
#include "core/exitcodes.h"

struct libsystemd sd;

int libsystemd_load(char *why, size_t why_size)
{
        static const char *const sonames[] = {"libsystemd.so.0", NULL};
        const struct dl_symbol symbols[] = {
            {"sd_bus_new", (void **)&sd.bus_new},
            {"sd_bus_set_address", (void **)&sd.bus_set_address},
            {"sd_bus_start", (void **)&sd.bus_start},
            {"sd_bus_open_system", (void **)&sd.bus_open_system},
            {"sd_bus_open_user", (void **)&sd.bus_open_user},
            {"sd_bus_flush_close_unref", (void **)&sd.bus_flush_close_unref},
            {"sd_bus_set_method_call_timeout", (void **)&sd.bus_set_method_call_timeout},
            {"sd_bus_call_method", (void **)&sd.bus_call_method},
            {"sd_bus_call", (void **)&sd.bus_call},
            {"sd_bus_get_property", (void **)&sd.bus_get_property},
            {"sd_bus_get_property_string", (void **)&sd.bus_get_property_string},
            {"sd_bus_get_property_trivial", (void **)&sd.bus_get_property_trivial},
            {"sd_bus_get_property_strv", (void **)&sd.bus_get_property_strv},
            {"sd_bus_get_fd", (void **)&sd.bus_get_fd},
            {"sd_bus_get_events", (void **)&sd.bus_get_events},
            {"sd_bus_get_timeout", (void **)&sd.bus_get_timeout},
            {"sd_bus_process", (void **)&sd.bus_process},
            {"sd_bus_wait", (void **)&sd.bus_wait},
            {"sd_bus_match_signal", (void **)&sd.bus_match_signal},
            {"sd_bus_slot_unref", (void **)&sd.bus_slot_unref},
            {"sd_bus_path_encode", (void **)&sd.bus_path_encode},
            {"sd_bus_message_new_method_call", (void **)&sd.message_new_method_call},
            {"sd_bus_message_unref", (void **)&sd.message_unref},
            {"sd_bus_message_append", (void **)&sd.message_append},
            {"sd_bus_message_append_basic", (void **)&sd.message_append_basic},
            {"sd_bus_message_append_strv", (void **)&sd.message_append_strv},
            {"sd_bus_message_open_container", (void **)&sd.message_open_container},
            {"sd_bus_message_close_container", (void **)&sd.message_close_container},
            {"sd_bus_message_read", (void **)&sd.message_read},
            {"sd_bus_message_read_basic", (void **)&sd.message_read_basic},
            {"sd_bus_message_read_strv", (void **)&sd.message_read_strv},
            {"sd_bus_message_enter_container", (void **)&sd.message_enter_container},
            {"sd_bus_message_exit_container", (void **)&sd.message_exit_container},
            {"sd_bus_message_peek_type", (void **)&sd.message_peek_type},
            {"sd_bus_message_skip", (void **)&sd.message_skip},
            {"sd_bus_message_rewind", (void **)&sd.message_rewind},
            {"sd_bus_message_get_path", (void **)&sd.message_get_path},
            {"sd_bus_message_is_signal", (void **)&sd.message_is_signal},
            {"sd_bus_error_free", (void **)&sd.error_free},
            {"sd_bus_error_has_name", (void **)&sd.error_has_name},
            {"sd_journal_open", (void **)&sd.journal_open},
            {"sd_journal_close", (void **)&sd.journal_close},
            {"sd_journal_add_match", (void **)&sd.journal_add_match},
            {"sd_journal_add_disjunction", (void **)&sd.journal_add_disjunction},
            {"sd_journal_add_conjunction", (void **)&sd.journal_add_conjunction},
            {"sd_journal_flush_matches", (void **)&sd.journal_flush_matches},
            {"sd_journal_seek_head", (void **)&sd.journal_seek_head},
            {"sd_journal_seek_tail", (void **)&sd.journal_seek_tail},
            {"sd_journal_next", (void **)&sd.journal_next},
            {"sd_journal_previous", (void **)&sd.journal_previous},
            {"sd_journal_get_data", (void **)&sd.journal_get_data},
            {"sd_journal_get_realtime_usec", (void **)&sd.journal_get_realtime_usec},
            {"sd_journal_set_data_threshold", (void **)&sd.journal_set_data_threshold},
            {"sd_bus_message_copy", (void **)&sd.message_copy},
            {"sd_bus_is_ready", (void **)&sd.bus_is_ready},
            {"sd_bus_close_unref", (void **)&sd.bus_close_unref},
            {NULL, NULL},
        };
        char loader[512];
        int r = dl_load(sonames, symbols, loader, sizeof(loader));
        if (r == PF_NO_LIBRARY)
                snprintf(why, why_size,
                         "libsystemd (libsystemd.so.0) is not installed: %s; "
                         "apt-get install " LIBSYSTEMD_PACKAGE,
                         loader);
        else if (r != PF_OK)
                snprintf(why, why_size, "libsystemd is installed but cannot be loaded: %s", loader);
        return r;
}

/* One address: sd_bus_new, set_address, start. 0 or a negative errno. */
static int connect_address(const char *address, sd_bus **bus)
{
        sd_bus *b = NULL;
        int r = sd.bus_new(&b);
        if (r < 0)
                return r;
        r = sd.bus_set_address(b, address);
        if (r >= 0)
                r = sd.bus_start(b);
        if (r < 0) {
                sd.bus_flush_close_unref(b);
                return r;
        }
        *bus = b;
        return 0;
}

int manager_connect(bool user, uint64_t timeout_us, sd_bus **bus, char *why, size_t why_size)
{
        int r = libsystemd_load(why, why_size);
        if (r != PF_OK)
                return r;
        *bus = NULL;
        char private_address[512] = "";
        int private_error = 0;
        if (!user && geteuid() == 0) {
                snprintf(private_address, sizeof(private_address), "/run/systemd/private");
        } else if (user) {
                const char *runtime = getenv("XDG_RUNTIME_DIR");
                if (runtime && runtime[0] == '/')
                        snprintf(private_address, sizeof(private_address), "%s/systemd/private",
                                 runtime);
        }
        if (private_address[0]) {
                char address[600];
                snprintf(address, sizeof(address), "unix:path=%s", private_address);
                private_error = connect_address(address, bus);
        }
        int bus_error = 0;
        if (!*bus) {
                bus_error = user ? sd.bus_open_user(bus) : sd.bus_open_system(bus);
                if (bus_error < 0)
                        *bus = NULL;
        }
        if (!*bus) {
                const char *manager = user ? "your user's service manager" : "the system manager";
                if (private_address[0])
                        snprintf(why, why_size, "cannot reach %s: %s: %s; the %s bus: %s", manager,
                                 private_address, strerror(-private_error),
                                 user ? "user" : "system", strerror(-bus_error));
                else
                        snprintf(why, why_size, "cannot reach %s on the %s bus: %s%s", manager,
                                 user ? "user" : "system", strerror(-bus_error),
                                 user ? " (is XDG_RUNTIME_DIR set?)"
                                      : " (as root, /run/systemd/private is tried too)");
                return PF_UNIT_UNAVAILABLE;
        }
        if (timeout_us > 0 && sd.bus_set_method_call_timeout(*bus, timeout_us) < 0) {
                snprintf(why, why_size, "cannot set a timeout on the manager's connection");
                *bus = sd.bus_flush_close_unref(*bus);
                return PF_INTERNAL;
        }
        return PF_OK;
}
