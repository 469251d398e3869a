/*
 * libsystemd (sd-bus, sd-journal), loaded with dlopen() by `preflight why` and --as-unit only:
 * the checks never pay for it, and a host without it still runs every check.
 */
#ifndef PREFLIGHT_LIBSYSTEMD_H
#define PREFLIGHT_LIBSYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

/* The package that has libsystemd.so.0, for the fix of a host without it. */
#define LIBSYSTEMD_PACKAGE "libsystemd0"

/* The functions used, typed from libsystemd's own headers. */
struct libsystemd {
        __typeof__(sd_bus_new) *bus_new;
        __typeof__(sd_bus_set_address) *bus_set_address;
        __typeof__(sd_bus_start) *bus_start;
        __typeof__(sd_bus_open_system) *bus_open_system;
        __typeof__(sd_bus_open_user) *bus_open_user;
        __typeof__(sd_bus_flush_close_unref) *bus_flush_close_unref;
        __typeof__(sd_bus_set_method_call_timeout) *bus_set_method_call_timeout;
        __typeof__(sd_bus_call_method) *bus_call_method;
        __typeof__(sd_bus_call) *bus_call;
        __typeof__(sd_bus_get_property) *bus_get_property;
        __typeof__(sd_bus_get_property_string) *bus_get_property_string;
        __typeof__(sd_bus_get_property_trivial) *bus_get_property_trivial;
        __typeof__(sd_bus_get_property_strv) *bus_get_property_strv;
        __typeof__(sd_bus_get_fd) *bus_get_fd;
        __typeof__(sd_bus_get_events) *bus_get_events;
        __typeof__(sd_bus_get_timeout) *bus_get_timeout;
        __typeof__(sd_bus_process) *bus_process;
        __typeof__(sd_bus_wait) *bus_wait;
        __typeof__(sd_bus_match_signal) *bus_match_signal;
        __typeof__(sd_bus_slot_unref) *bus_slot_unref;
        __typeof__(sd_bus_path_encode) *bus_path_encode;
        __typeof__(sd_bus_message_new_method_call) *message_new_method_call;
        __typeof__(sd_bus_message_unref) *message_unref;
        __typeof__(sd_bus_message_append) *message_append;
        __typeof__(sd_bus_message_append_basic) *message_append_basic;
        __typeof__(sd_bus_message_append_strv) *message_append_strv;
        __typeof__(sd_bus_message_open_container) *message_open_container;
        __typeof__(sd_bus_message_close_container) *message_close_container;
        __typeof__(sd_bus_message_read) *message_read;
        __typeof__(sd_bus_message_read_basic) *message_read_basic;
        __typeof__(sd_bus_message_read_strv) *message_read_strv;
        __typeof__(sd_bus_message_enter_container) *message_enter_container;
        __typeof__(sd_bus_message_exit_container) *message_exit_container;
        __typeof__(sd_bus_message_peek_type) *message_peek_type;
        __typeof__(sd_bus_message_skip) *message_skip;
        __typeof__(sd_bus_message_rewind) *message_rewind;
        __typeof__(sd_bus_message_get_path) *message_get_path;
        __typeof__(sd_bus_message_is_signal) *message_is_signal;
        __typeof__(sd_bus_error_free) *error_free;
        __typeof__(sd_bus_error_has_name) *error_has_name;
        __typeof__(sd_journal_open) *journal_open;
        __typeof__(sd_journal_close) *journal_close;
        __typeof__(sd_journal_add_match) *journal_add_match;
        __typeof__(sd_journal_add_disjunction) *journal_add_disjunction;
        __typeof__(sd_journal_add_conjunction) *journal_add_conjunction;
        __typeof__(sd_journal_flush_matches) *journal_flush_matches;
        __typeof__(sd_journal_seek_head) *journal_seek_head;
        __typeof__(sd_journal_seek_tail) *journal_seek_tail;
        __typeof__(sd_journal_next) *journal_next;
        __typeof__(sd_journal_previous) *journal_previous;
        __typeof__(sd_journal_get_data) *journal_get_data;
        __typeof__(sd_journal_get_realtime_usec) *journal_get_realtime_usec;
        __typeof__(sd_journal_set_data_threshold) *journal_set_data_threshold;
        /* --as-unit */
        __typeof__(sd_bus_message_copy) *message_copy;
        /* why */
        __typeof__(sd_bus_is_ready) *bus_is_ready;
        __typeof__(sd_bus_close_unref) *bus_close_unref;
};

extern struct libsystemd sd;

/* Loads libsystemd.so.0 once. PF_OK; PF_NO_LIBRARY or PF_INTERNAL with why set to a whole
 * message that says what to do. */
int libsystemd_load(char *why, size_t why_size);

/*
 * Connects to the service manager, as systemctl does: the system manager (user false) on its
 * private socket /run/systemd/private when root (it answers where no D-Bus daemon runs), else on
 * the system bus; the user's manager (user true) on $XDG_RUNTIME_DIR/systemd/private, else the
 * user bus. Method calls on the connection time out after timeout_us (0: libsystemd's default).
 * Loads libsystemd first. PF_OK with *bus set; otherwise PF_NO_LIBRARY, PF_INTERNAL, or
 * PF_UNIT_UNAVAILABLE (the manager cannot be reached), with why naming every address tried.
 */
int manager_connect(bool user, uint64_t timeout_us, sd_bus **bus, char *why, size_t why_size);

#endif
