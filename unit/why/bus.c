/* `preflight why`: the manager's view of a unit, read over sd-bus with two GetAll calls (the
 * Unit interface, then the Service one), the list of failed units, and a look at the files the
 * commands name. Environment= is never read: it may hold passwords. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/exitcodes.h"
#include "unit/libsystemd.h"
#include "unit/why/why.h"

#define DEST "org.freedesktop.systemd1"

/* Reads one basic value inside the variant in front of m. */
static int variant_basic(sd_bus_message *m, char type, void *value)
{
        char sig[2] = {type, '\0'};
        int r = sd.message_enter_container(m, 'v', sig);
        if (r < 0)
                return r;
        r = sd.message_read_basic(m, type, value);
        if (r < 0)
                return r;
        return sd.message_exit_container(m);
}

static int variant_string(sd_bus_message *m, char *buf, size_t size)
{
        const char *s = NULL;
        int r = variant_basic(m, 's', &s);
        if (r >= 0)
                snprintf(buf, size, "%s", s ? s : "");
        return r;
}

/* InvocationID, 16 bytes (ay), as the journal writes it: 32 lower-case hex digits. */
static int variant_id128(sd_bus_message *m, char *buf, size_t size)
{
        int r = sd.message_enter_container(m, 'v', "ay");
        if (r >= 0)
                r = sd.message_enter_container(m, 'a', "y");
        if (r < 0)
                return r;
        char hex[33] = "";
        size_t n = 0;
        bool nonzero = false;
        uint8_t byte;
        while ((r = sd.message_read_basic(m, 'y', &byte)) > 0) {
                if (n < 16)
                        snprintf(hex + 2 * n, sizeof(hex) - 2 * n, "%02x", byte);
                nonzero |= byte != 0;
                n++;
        }
        if (r < 0)
                return r;
        snprintf(buf, size, "%s", n == 16 && nonzero ? hex : "");
        r = sd.message_exit_container(m);
        return r < 0 ? r : sd.message_exit_container(m);
}

/* SuccessExitStatus=, RestartPreventExitStatus=: (aiai), statuses then signals. */
static int read_int_array(sd_bus_message *m, int32_t *list, size_t max, size_t *n)
{
        int r = sd.message_enter_container(m, 'a', "i");
        if (r < 0)
                return r;
        int32_t v;
        *n = 0;
        while ((r = sd.message_read_basic(m, 'i', &v)) > 0)
                if (*n < max)
                        list[(*n)++] = v;
        return r < 0 ? r : sd.message_exit_container(m);
}

static int variant_exit_status(sd_bus_message *m, int32_t *status, size_t *n_status,
                               int32_t *signals, size_t *n_signals)
{
        int r = sd.message_enter_container(m, 'v', "(aiai)");
        if (r >= 0)
                r = sd.message_enter_container(m, 'r', "aiai");
        if (r >= 0)
                r = read_int_array(m, status, WHY_MAX_STATUSES, n_status);
        if (r >= 0)
                r = read_int_array(m, signals, WHY_MAX_STATUSES, n_signals);
        if (r >= 0)
                r = sd.message_exit_container(m);
        return r < 0 ? r : sd.message_exit_container(m);
}

/* ExecStart= and the others: a(sasbttttuii). */
static int variant_commands(sd_bus_message *m, const char *setting, struct why_unit *u)
{
        int r = sd.message_enter_container(m, 'v', "a(sasbttttuii)");
        if (r >= 0)
                r = sd.message_enter_container(m, 'a', "(sasbttttuii)");
        if (r < 0)
                return r;
        while ((r = sd.message_enter_container(m, 'r', "sasbttttuii")) > 0) {
                struct why_command scratch, *c = &scratch;
                if (u->n_commands < WHY_MAX_COMMANDS)
                        c = &u->commands[u->n_commands++];
                memset(c, 0, sizeof(*c));
                snprintf(c->setting, sizeof(c->setting), "%s", setting);
                const char *path = NULL;
                r = sd.message_read_basic(m, 's', &path);
                if (r < 0)
                        return r;
                snprintf(c->path, sizeof(c->path), "%s", path ? path : "");
                r = sd.message_enter_container(m, 'a', "s");
                if (r < 0)
                        return r;
                const char *arg;
                size_t len = 0;
                while ((r = sd.message_read_basic(m, 's', &arg)) > 0) {
                        int w = snprintf(c->line + len, sizeof(c->line) - len, "%s%s",
                                         len ? " " : "", arg);
                        if (w > 0)
                                len = len + (size_t)w >= sizeof(c->line) ? sizeof(c->line) - 1
                                                                         : len + (size_t)w;
                }
                if (r < 0 || (r = sd.message_exit_container(m)) < 0)
                        return r;
                int ignore = 0;
                uint64_t start_mono, exit_mono;
                r = sd.message_read(m, "bttttuii", &ignore, &c->start_usec, &start_mono,
                                    &c->exit_usec, &exit_mono, &c->pid, &c->code, &c->status);
                if (r < 0 || (r = sd.message_exit_container(m)) < 0)
                        return r;
                c->ignore_failure = ignore != 0;
        }
        if (r < 0)
                return r;
        r = sd.message_exit_container(m);
        return r < 0 ? r : sd.message_exit_container(m);
}

/* Conditions= and Asserts=: a(sbbsi). */
static int variant_conditions(sd_bus_message *m, bool assert, struct why_unit *u)
{
        int r = sd.message_enter_container(m, 'v', "a(sbbsi)");
        if (r >= 0)
                r = sd.message_enter_container(m, 'a', "(sbbsi)");
        if (r < 0)
                return r;
        const char *type, *parameter;
        int trigger, negate;
        int32_t state;
        while ((r = sd.message_read(m, "(sbbsi)", &type, &trigger, &negate, &parameter, &state)) >
               0) {
                if (u->n_conditions >= WHY_MAX_CONDITIONS)
                        continue;
                struct why_condition *k = &u->conditions[u->n_conditions++];
                snprintf(k->type, sizeof(k->type), "%s", type);
                snprintf(k->parameter, sizeof(k->parameter), "%s", parameter);
                k->trigger = trigger != 0;
                k->negate = negate != 0;
                k->state = state;
                k->assert = assert;
        }
        if (r < 0)
                return r;
        r = sd.message_exit_container(m);
        return r < 0 ? r : sd.message_exit_container(m);
}

static int variant_load_error(sd_bus_message *m, char *buf, size_t size)
{
        const char *name = NULL, *message = NULL;
        int r = sd.message_enter_container(m, 'v', "(ss)");
        if (r >= 0)
                r = sd.message_read(m, "(ss)", &name, &message);
        if (r >= 0 && message && message[0])
                snprintf(buf, size, "%s", message);
        return r < 0 ? r : sd.message_exit_container(m);
}

static bool is(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

/* One property of the Unit interface: 1 taken, 0 not ours (skip it), < 0 error. */
/* A property read: 1, whatever the reader returned on success. */
static int taken(int r)
{
        return r < 0 ? r : 1;
}

static int unit_property(sd_bus_message *m, const char *key, struct why_unit *u)
{
        int b = 0, r;
        if (is(key, "LoadState"))
                return taken(variant_string(m, u->load_state, sizeof(u->load_state)));
        if (is(key, "ActiveState"))
                return taken(variant_string(m, u->active_state, sizeof(u->active_state)));
        if (is(key, "SubState"))
                return taken(variant_string(m, u->sub_state, sizeof(u->sub_state)));
        if (is(key, "LoadError"))
                return taken(variant_load_error(m, u->load_error, sizeof(u->load_error)));
        if (is(key, "InvocationID"))
                return taken(variant_id128(m, u->invocation_id, sizeof(u->invocation_id)));
        if (is(key, "ConditionResult")) {
                r = variant_basic(m, 'b', &b);
                u->condition_result = b != 0;
                return taken(r);
        }
        if (is(key, "AssertResult")) {
                r = variant_basic(m, 'b', &b);
                u->assert_result = b != 0;
                return taken(r);
        }
        if (is(key, "ConditionTimestamp"))
                return taken(variant_basic(m, 't', &u->condition_timestamp));
        if (is(key, "AssertTimestamp"))
                return taken(variant_basic(m, 't', &u->assert_timestamp));
        if (is(key, "Conditions"))
                return taken(variant_conditions(m, false, u));
        if (is(key, "Asserts"))
                return taken(variant_conditions(m, true, u));
        if (is(key, "StartLimitBurst"))
                return taken(variant_basic(m, 'u', &u->start_limit_burst));
        if (is(key, "StartLimitIntervalUSec"))
                return taken(variant_basic(m, 't', &u->start_limit_interval_usec));
        return 0;
}

/* The Service interface's commands, in the order they run. */
static const char *const command_settings[] = {
    "ExecCondition", "ExecStartPre", "ExecStart", "ExecStartPost",
    "ExecStop",      "ExecStopPost", NULL};

static int service_property(sd_bus_message *m, const char *key, struct why_unit *u)
{
        if (is(key, "Result"))
                return taken(variant_string(m, u->result, sizeof(u->result)));
        if (is(key, "Type"))
                return taken(variant_string(m, u->type, sizeof(u->type)));
        if (is(key, "Restart"))
                return taken(variant_string(m, u->restart, sizeof(u->restart)));
        if (is(key, "PIDFile"))
                return taken(variant_string(m, u->pid_file, sizeof(u->pid_file)));
        if (is(key, "NotifyAccess"))
                return taken(variant_string(m, u->notify_access, sizeof(u->notify_access)));
        if (is(key, "WorkingDirectory"))
                return taken(variant_string(m, u->working_directory, sizeof(u->working_directory)));
        if (is(key, "User"))
                return taken(variant_string(m, u->user, sizeof(u->user)));
        if (is(key, "Group"))
                return taken(variant_string(m, u->group, sizeof(u->group)));
        if (is(key, "TimeoutStartUSec"))
                return taken(variant_basic(m, 't', &u->timeout_start_usec));
        if (is(key, "NRestarts"))
                return taken(variant_basic(m, 'u', &u->n_restarts));
        if (is(key, "MainPID"))
                return taken(variant_basic(m, 'u', &u->main_pid));
        if (is(key, "ExecMainPID"))
                return taken(variant_basic(m, 'u', &u->exec_main_pid));
        if (is(key, "ExecMainCode"))
                return taken(variant_basic(m, 'i', &u->exec_main_code));
        if (is(key, "ExecMainStatus"))
                return taken(variant_basic(m, 'i', &u->exec_main_status));
        if (is(key, "ExecMainExitTimestamp"))
                return taken(variant_basic(m, 't', &u->exec_main_exit_usec));
        if (is(key, "SuccessExitStatus"))
                return taken(variant_exit_status(m, u->success_status, &u->n_success_status,
                                                 u->success_signal, &u->n_success_signal));
        for (size_t i = 0; command_settings[i]; i++)
                if (is(key, command_settings[i]))
                        return taken(variant_commands(m, command_settings[i], u));
        if (is(key, "RestartPreventExitStatus")) {
                int32_t signals[WHY_MAX_STATUSES];
                size_t n_signals;
                return taken(variant_exit_status(m, u->restart_prevent, &u->n_restart_prevent,
                                                 signals, &n_signals));
        }
        return 0;
}

/* GetAll on one interface, each property handed to take(); the commands are kept aside so
 * that they can be put in running order. */
static int get_all(sd_bus *bus, const char *path, const char *interface, struct why_unit *u,
                   int (*take)(sd_bus_message *, const char *, struct why_unit *),
                   sd_bus_error *error)
{
        sd_bus_message *reply = NULL;
        int r = sd.bus_call_method(bus, DEST, path, "org.freedesktop.DBus.Properties", "GetAll",
                                   error, &reply, "s", interface);
        if (r < 0)
                return r;
        r = sd.message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd.message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key = NULL;
                r = sd.message_read_basic(reply, 's', &key);
                if (r < 0)
                        break;
                r = take(reply, key, u);
                if (r == 0)
                        r = sd.message_skip(reply, "v");
                if (r >= 0)
                        r = sd.message_exit_container(reply);
        }
        if (r >= 0)
                r = sd.message_exit_container(reply);
        sd.message_unref(reply);
        return r;
}

/* Where a setting comes in running order. */
static size_t setting_rank(const char *setting)
{
        size_t i = 0;
        while (command_settings[i] && strcmp(command_settings[i], setting) != 0)
                i++;
        return i;
}

/* GetAll gives the commands in its own order: put them in running order (stable). */
static void sort_commands(struct why_unit *u)
{
        for (size_t i = 1; i < u->n_commands; i++) {
                struct why_command c = u->commands[i];
                size_t rank = setting_rank(c.setting), j = i;
                while (j > 0 && setting_rank(u->commands[j - 1].setting) > rank) {
                        u->commands[j] = u->commands[j - 1];
                        j--;
                }
                u->commands[j] = c;
        }
}

static void bus_failure(const char *what, const char *name, int r, const sd_bus_error *error,
                        char *why, size_t why_size)
{
        if (r == -ETIMEDOUT)
                snprintf(why, why_size, "the service manager did not answer in time (%s of %s)",
                         what, name);
        else
                snprintf(why, why_size, "the service manager refused %s of %s: %s", what, name,
                         error && error->message ? error->message : strerror(-r));
}

int why_read_unit(sd_bus *bus, const char *name, struct why_unit *u, char *why, size_t why_size)
{
        char *path = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        snprintf(u->name, sizeof(u->name), "%s", name);
        int r = sd.bus_path_encode("/org/freedesktop/systemd1/unit", name, &path);
        if (r < 0) {
                snprintf(why, why_size, "cannot make a bus path of %s: %s", name, strerror(-r));
                return PF_INTERNAL;
        }
        r = get_all(bus, path, "org.freedesktop.systemd1.Unit", u, unit_property, &error);
        if (r < 0) {
                bus_failure("the properties", name, r, &error, why, why_size);
                goto out;
        }
        size_t len = strlen(name);
        if (len > 8 && strcmp(name + len - 8, ".service") == 0 && is(u->load_state, "loaded")) {
                u->is_service = true;
                r = get_all(bus, path, "org.freedesktop.systemd1.Service", u, service_property,
                            &error);
                sort_commands(u);
                if (r < 0) {
                        bus_failure("the service properties", name, r, &error, why, why_size);
                        goto out;
                }
        }
        r = 0;
out:
        sd.error_free(&error);
        free(path);
        return r < 0 ? PF_UNIT_UNAVAILABLE : PF_OK;
}

int why_failed_units(sd_bus *bus, char (*names)[256], size_t max, size_t *count, char *why,
                     size_t why_size)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        *count = 0;
        int r = sd.bus_call_method(bus, DEST, "/org/freedesktop/systemd1",
                                   "org.freedesktop.systemd1.Manager", "ListUnitsFiltered", &error,
                                   &reply, "as", 1, "failed");
        if (r >= 0)
                r = sd.message_enter_container(reply, 'a', "(ssssssouso)");
        const char *name, *s;
        const char *o;
        uint32_t job;
        while (r >= 0 && (r = sd.message_read(reply, "(ssssssouso)", &name, &s, &s, &s, &s, &s, &o,
                                              &job, &s, &o)) > 0) {
                if (*count < max)
                        snprintf(names[(*count)++], 256, "%s", name);
        }
        if (r >= 0)
                r = sd.message_exit_container(reply);
        if (r < 0)
                bus_failure("the list", "the failed units", r, &error, why, why_size);
        sd.message_unref(reply);
        sd.error_free(&error);
        return r < 0 ? PF_UNIT_UNAVAILABLE : PF_OK;
}

/* What is wrong with the file a 203/EXEC command names. */
static void probe_path(struct why_command *c)
{
        struct stat st;
        if (c->path[0] != '/') {
                c->path_state = WHY_PATH_UNKNOWN;
                return;
        }
        if (stat(c->path, &st) != 0) {
                c->path_state =
                    errno == ENOENT || errno == ENOTDIR ? WHY_PATH_MISSING : WHY_PATH_UNKNOWN;
                return;
        }
        if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                c->path_state = WHY_PATH_NOT_EXEC;
                return;
        }
        c->path_state = WHY_PATH_OK;
        int fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return;
        char head[256];
        ssize_t n = read(fd, head, sizeof(head) - 1);
        close(fd);
        if (n < 3 || head[0] != '#' || head[1] != '!')
                return;
        head[n] = '\0';
        char *p = head + 2;
        while (*p == ' ' || *p == '\t')
                p++;
        size_t len = strcspn(p, " \t\r\n");
        p[len] = '\0';
        if (p[0] == '/' && access(p, X_OK) != 0) {
                c->path_state = WHY_PATH_BAD_SHEBANG;
                snprintf(c->interpreter, sizeof(c->interpreter), "%s", p);
        }
}

/* A path condition as the manager would test it, for a unit whose own results are gone (it was
 * collected after being skipped). Other kinds are left untested. */
static void probe_condition(struct why_condition *k)
{
        struct stat st;
        bool holds;
        const char *t = k->type;
        if (strncmp(t, "Condition", 9) != 0 || k->parameter[0] != '/')
                return;
        t += 9;
        bool exists = lstat(k->parameter, &st) == 0;
        if (strcmp(t, "PathExists") == 0)
                holds = exists;
        else if (strcmp(t, "PathIsDirectory") == 0)
                holds = exists && stat(k->parameter, &st) == 0 && S_ISDIR(st.st_mode);
        else if (strcmp(t, "PathIsSymbolicLink") == 0)
                holds = exists && S_ISLNK(st.st_mode);
        else if (strcmp(t, "FileNotEmpty") == 0)
                holds =
                    exists && stat(k->parameter, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
        else if (strcmp(t, "FileIsExecutable") == 0)
                holds = exists && stat(k->parameter, &st) == 0 && S_ISREG(st.st_mode) &&
                        (st.st_mode & 0111);
        else
                return;
        k->state = holds != k->negate ? 1 : -1;
        k->checked_now = true;
}

void why_probe(struct why_unit *u)
{
        if (u->skipped_by_condition && !u->condition_timestamp)
                for (size_t i = 0; i < u->n_conditions; i++)
                        if (u->conditions[i].state == 0 && !u->conditions[i].assert)
                                probe_condition(&u->conditions[i]);
        for (size_t i = 0; i < u->n_commands; i++)
                if (u->commands[i].exit_usec && u->commands[i].code == WHY_CLD_EXITED &&
                    u->commands[i].status == 203)
                        probe_path(&u->commands[i]);
        /* The main process's name: its own while it runs, else the program ExecStart= ran
         * (for a forking service that is not the daemon, so nothing is guessed). */
        if (u->main_pid) {
                char proc[64];
                snprintf(proc, sizeof(proc), "/proc/%u/comm", (unsigned)u->main_pid);
                FILE *f = fopen(proc, "re");
                if (f) {
                        if (fgets(u->main_comm, sizeof(u->main_comm), f))
                                u->main_comm[strcspn(u->main_comm, "\n")] = '\0';
                        fclose(f);
                }
        }
        if (!u->main_comm[0] && strcmp(u->type, "forking") != 0)
                for (size_t i = 0; i < u->n_commands; i++)
                        if (strcmp(u->commands[i].setting, "ExecStart") == 0) {
                                const char *base = strrchr(u->commands[i].path, '/');
                                snprintf(u->main_comm, sizeof(u->main_comm), "%s",
                                         base ? base + 1 : u->commands[i].path);
                                break;
                        }
}
