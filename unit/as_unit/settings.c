/* --as-unit: a service's execution settings, read and carried (settings.h). */
#include "unit/as_unit/settings.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/exitcodes.h"
#include "unit/libsystemd.h"

/*
 * What an ExecStartPre= of the unit runs with: its credentials, capabilities, environment,
 * limits, directories and sandbox. Copied whatever their value: a default set explicitly is the
 * same default. Left out on purpose, and said so in README.md: what would act on the unit's
 * other processes when the transient unit stops (RemoveIPC= removes the user's IPC objects,
 * RuntimeDirectoryPreserve= is forced to yes so that the unit's /run directory stays), what
 * only the service's own lifecycle uses (Restart=, timeouts, ExecStart=...), where the output
 * goes (the caller's terminal instead), scheduling and logging, and SetCredential= (the
 * secret itself would travel).
 */
const char *const as_unit_carried[] = {
    "User",
    "Group",
    "DynamicUser",
    "SupplementaryGroups",
    "PAMName",
    "AmbientCapabilities",
    "CapabilityBoundingSet",
    "SecureBits",
    "NoNewPrivileges",
    "Environment",
    "EnvironmentFiles",
    "PassEnvironment",
    "UnsetEnvironment",
    "LimitCPU",
    "LimitCPUSoft",
    "LimitFSIZE",
    "LimitFSIZESoft",
    "LimitDATA",
    "LimitDATASoft",
    "LimitSTACK",
    "LimitSTACKSoft",
    "LimitCORE",
    "LimitCORESoft",
    "LimitRSS",
    "LimitRSSSoft",
    "LimitNOFILE",
    "LimitNOFILESoft",
    "LimitAS",
    "LimitASSoft",
    "LimitNPROC",
    "LimitNPROCSoft",
    "LimitMEMLOCK",
    "LimitMEMLOCKSoft",
    "LimitLOCKS",
    "LimitLOCKSSoft",
    "LimitSIGPENDING",
    "LimitSIGPENDINGSoft",
    "LimitMSGQUEUE",
    "LimitMSGQUEUESoft",
    "LimitNICE",
    "LimitNICESoft",
    "LimitRTPRIO",
    "LimitRTPRIOSoft",
    "LimitRTTIME",
    "LimitRTTIMESoft",
    "WorkingDirectory",
    "RootDirectory",
    "RootImage",
    "UMask",
    "ProtectSystem",
    "ProtectHome",
    "PrivateTmp",
    "PrivateDevices",
    "PrivateNetwork",
    "PrivateUsers",
    "PrivateMounts",
    "PrivateIPC",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "ProtectClock",
    "ProtectHostname",
    "ProtectProc",
    "ProcSubset",
    "MountAPIVFS",
    "MountFlags",
    "NetworkNamespacePath",
    "IPCNamespacePath",
    "RestrictAddressFamilies",
    "RestrictNamespaces",
    "RestrictRealtime",
    "RestrictSUIDSGID",
    "RestrictFileSystems",
    "RestrictNetworkInterfaces",
    "LockPersonality",
    "MemoryDenyWriteExecute",
    "SystemCallFilter",
    "SystemCallArchitectures",
    "SystemCallErrorNumber",
    "SystemCallLog",
    "ReadWritePaths",
    "ReadOnlyPaths",
    "InaccessiblePaths",
    "ExecPaths",
    "NoExecPaths",
    "ExecSearchPath",
    "BindPaths",
    "BindReadOnlyPaths",
    "TemporaryFileSystem",
    "RuntimeDirectory",
    "RuntimeDirectoryMode",
    "StateDirectory",
    "StateDirectoryMode",
    "CacheDirectory",
    "CacheDirectoryMode",
    "LogsDirectory",
    "LogsDirectoryMode",
    "ConfigurationDirectory",
    "ConfigurationDirectoryMode",
    "LoadCredential",
    "LoadCredentialEncrypted",
    "KeyringMode",
    "SELinuxContext",
    "AppArmorProfile",
    "SmackProcessLabel",
    "IPAddressAllow",
    "IPAddressDeny",
    "SocketBindAllow",
    "SocketBindDeny",
    "DevicePolicy",
    "DeviceAllow",
    NULL,
};

size_t as_unit_carried_count(void)
{
        size_t n = 0;
        while (as_unit_carried[n])
                n++;
        return n;
}

int as_unit_carried_index(const char *name)
{
        for (size_t i = 0; as_unit_carried[i]; i++)
                if (strcmp(as_unit_carried[i], name) == 0)
                        return (int)i;
        return -1;
}

int as_unit_settings_read(sd_bus *bus, const char *path, struct as_unit_settings *s, char *why,
                          size_t why_size)
{
        *s = (struct as_unit_settings){0};
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd.bus_call_method(bus, "org.freedesktop.systemd1", path,
                                   "org.freedesktop.DBus.Properties", "GetAll", &error, &s->reply,
                                   "s", "org.freedesktop.systemd1.Service");
        if (r < 0) {
                snprintf(why, why_size, "cannot read the unit's settings: %s",
                         error.message ? error.message : strerror(-r));
                sd.error_free(&error);
                return PF_UNIT_UNAVAILABLE;
        }
        s->present = calloc(as_unit_carried_count() + 1, sizeof(bool));
        if (!s->present) {
                snprintf(why, why_size, "out of memory");
                as_unit_settings_release(s);
                return PF_INTERNAL;
        }
        r = sd.message_enter_container(s->reply, 'a', "{sv}");
        while (r > 0 && (r = sd.message_enter_container(s->reply, 'e', "sv")) > 0) {
                const char *name = NULL;
                r = sd.message_read_basic(s->reply, 's', &name);
                if (r < 0)
                        break;
                int i = as_unit_carried_index(name);
                if (i >= 0)
                        s->present[i] = true;
                if ((r = sd.message_skip(s->reply, "v")) < 0 ||
                    (r = sd.message_exit_container(s->reply)) < 0)
                        break;
                r = 1;
        }
        if (r < 0) {
                snprintf(why, why_size, "cannot read the unit's settings: %s", strerror(-r));
                as_unit_settings_release(s);
                return PF_INTERNAL;
        }
        return PF_OK;
}

void as_unit_settings_release(struct as_unit_settings *s)
{
        if (s->reply)
                sd.message_unref(s->reply);
        free(s->present);
        *s = (struct as_unit_settings){0};
}

/* Copies the variant the reply is at into m as (sv) NAME VALUE, with the variant's own type. */
static int copy_property(sd_bus_message *reply, const char *name, sd_bus_message *m)
{
        int r = sd.message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd.message_append_basic(m, 's', name);
        if (r >= 0)
                r = sd.message_copy(m, reply, 0);
        if (r >= 0)
                r = sd.message_close_container(m);
        return r < 0 ? r : 0;
}

/*
 * As copy_property(), but a setting that is unset is not sent at all, so that a manager that
 * refuses the unset value does not have it named as not carried for every unit:
 *  - a string that is empty;
 *  - a (bs) label that is empty (SELinuxContext=, AppArmorProfile=, SmackProcessLabel=: systemd
 *    252 reads SELinuxContext as (bs) but takes only s for a transient unit).
 * A set one is sent as read (and named if refused), but for WorkingDirectory=: systemd 252 reads
 * "may be missing" as a leading '!' ("!/" for a user manager's default) and takes it back only as
 * a leading '-', as the unit file writes it.
 */
static int carry(sd_bus_message *reply, const char *name, sd_bus_message *m)
{
        char type;
        const char *contents = NULL;
        int r = sd.message_peek_type(reply, &type, &contents);
        if (r < 0)
                return r;
        bool is_string = contents && strcmp(contents, "s") == 0;
        bool is_label = contents && strcmp(contents, "(bs)") == 0;
        if (type != 'v' || (!is_string && !is_label))
                return copy_property(reply, name, m);
        int ignore = 0;
        const char *value = NULL;
        if ((r = sd.message_enter_container(reply, 'v', contents)) < 0 ||
            (r = is_string ? sd.message_read(reply, "s", &value)
                           : sd.message_read(reply, "(bs)", &ignore, &value)) < 0 ||
            (r = sd.message_exit_container(reply)) < 0)
                return r;
        char dash[PATH_MAX + 2];
        if (is_string && value && value[0] == '!' && strcmp(name, "WorkingDirectory") == 0) {
                if (!value[1] || strlen(value) >= sizeof(dash))
                        return 0;
                snprintf(dash, sizeof(dash), "-%s", value + 1);
                value = dash;
        }
        if (!value || !value[0])
                return 0;
        r = is_string ? sd.message_append(m, "(sv)", name, "s", value)
                      : sd.message_append(m, "(sv)", name, "(bs)", ignore, value);
        return r < 0 ? r : 0;
}

int as_unit_settings_append(struct as_unit_settings *s, const bool *dropped, sd_bus_message *m)
{
        int r = sd.message_rewind(s->reply, 1);
        if (r < 0)
                return r;
        r = sd.message_enter_container(s->reply, 'a', "{sv}");
        while (r > 0 && (r = sd.message_enter_container(s->reply, 'e', "sv")) > 0) {
                const char *name = NULL;
                if ((r = sd.message_read_basic(s->reply, 's', &name)) < 0)
                        return r;
                int i = as_unit_carried_index(name);
                if (i >= 0 && !dropped[i])
                        r = carry(s->reply, name, m);
                else
                        r = sd.message_skip(s->reply, "v");
                if (r < 0 || (r = sd.message_exit_container(s->reply)) < 0)
                        return r;
                r = 1;
        }
        return r < 0 ? r : 0;
}
