/*
 * --as-unit: the execution settings of a service, read from the manager and carried into the
 * transient unit as they are (each property's value copied as the manager gave it).
 */
#ifndef PREFLIGHT_AS_UNIT_SETTINGS_H
#define PREFLIGHT_AS_UNIT_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

/* The properties carried, in the order they are appended; NULL-terminated. */
extern const char *const as_unit_carried[];

/* How many there are, and the index of name (-1 when it is none of them). */
size_t as_unit_carried_count(void);
int as_unit_carried_index(const char *name);

/*
 * The values, as org.freedesktop.DBus.Properties.GetAll on org.freedesktop.systemd1.Service
 * answered for the unit at path. reply is kept (its a{sv} is copied from on each append).
 */
struct as_unit_settings {
        sd_bus_message *reply;
        /* which of as_unit_carried the manager has (an older systemd lacks some) */
        bool *present;
};

/* PF_OK, or PF_UNIT_UNAVAILABLE / PF_INTERNAL with why set. */
int as_unit_settings_read(sd_bus *bus, const char *path, struct as_unit_settings *s, char *why,
                          size_t why_size);
void as_unit_settings_release(struct as_unit_settings *s);

/* Appends one (sv) for each carried property that is present and not dropped[i], inside the
 * open a(sv) of m. 0 or a negative errno. */
int as_unit_settings_append(struct as_unit_settings *s, const bool *dropped, sd_bus_message *m);

#endif
