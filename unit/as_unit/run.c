/* --as-unit: the transient unit started, waited for and relayed (as_unit.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/backstop.h"
#include "core/chain.h"
#include "core/clock.h"
#include "core/invocation.h"
#include "core/span.h"
#include "core/text.h"
#include "unit/as_unit/args.h"
#include "unit/as_unit/as_unit.h"
#include "unit/as_unit/settings.h"
#include "unit/libsystemd.h"

#define MANAGER "org.freedesktop.systemd1"
#define MANAGER_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define UNIT_IFACE "org.freedesktop.systemd1.Unit"
#define SERVICE_IFACE "org.freedesktop.systemd1.Service"

/* Past the checks' own deadline (and the backstop's grace): what starting a unit with a sandbox
 * may take on a loaded machine before the checks even begin. */
#define START_MARGIN_US (3ULL * 1000000ULL)
/* Each method call on the manager. */
#define CALL_TIMEOUT_US (10ULL * 1000000ULL)
/* How long the transient unit has to stop once asked (then SIGKILL, from the manager). */
#define STOP_TIMEOUT_US (2ULL * 1000000ULL)
/* The state is read at least this often, whatever signals arrive. */
#define POLL_US (250ULL * 1000ULL)

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
        interrupted = sig;
}

struct job {
        const char *what; /* "run" or the check's name, for messages */
        char service[AS_UNIT_NAME_SIZE];
        char transient[AS_UNIT_NAME_SIZE];
        char *service_path, *transient_path;
        uint64_t deadline_us; /* the checks' own, SPAN_INFINITY for none */
        int timeout_code;     /* the code when the wait passes its bound */
        bool parallel;        /* run --parallel: the chain's deadline is its longest line's */
        bool verbose;         /* -v: say what was carried, and into which unit */
        struct as_unit_command command;
        sd_bus *bus;
        bool job_removed; /* JobRemoved for the transient unit was seen */
};

bool as_unit_requested(const struct check *check, int argc, char **argv)
{
        const struct check_option *const tables[2] = {check ? invocation_common_options() : NULL,
                                                      check ? check->options : NULL};
        int at, n;
        const char *unit;
        return as_unit_find(argc, argv, tables, &at, &n, &unit);
}

/* A property of the unit at path, into *out by the signature (a basic type). 0 or -errno. */
static int get_trivial(sd_bus *bus, const char *path, const char *iface, const char *name,
                       char type, void *out)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd.bus_get_property_trivial(bus, MANAGER, path, iface, name, &error, type, out);
        sd.error_free(&error);
        return r < 0 ? r : 0;
}

static int get_string(sd_bus *bus, const char *path, const char *iface, const char *name,
                      char **out)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd.bus_get_property_string(bus, MANAGER, path, iface, name, &error, out);
        sd.error_free(&error);
        return r < 0 ? r : 0;
}

/* The id of the unit's pending job (0: none), or -errno. */
static long pending_job(sd_bus *bus, const char *path)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd.bus_get_property(bus, MANAGER, path, UNIT_IFACE, "Job", &error, &reply, "(uo)");
        sd.error_free(&error);
        uint32_t id = 0;
        const char *job_path = NULL;
        if (r >= 0)
                r = sd.message_read(reply, "(uo)", &id, &job_path);
        if (reply)
                sd.message_unref(reply);
        return r < 0 ? r : (long)id;
}

/* A method of the manager with no more than two string arguments, whose answer is not needed
 * (Subscribe, StopUnit, ResetFailedUnit: the wait that follows tells what happened). */
static int manager_call(sd_bus *bus, const char *method, const char *types, const char *a,
                        const char *b)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        size_t n = strlen(types);
        int r = n == 2   ? sd.bus_call_method(bus, MANAGER, MANAGER_PATH, MANAGER_IFACE, method,
                                              &error, &reply, types, a, b)
                : n == 1 ? sd.bus_call_method(bus, MANAGER, MANAGER_PATH, MANAGER_IFACE, method,
                                              &error, &reply, types, a)
                         : sd.bus_call_method(bus, MANAGER, MANAGER_PATH, MANAGER_IFACE, method,
                                              &error, &reply, NULL);
        sd.error_free(&error);
        if (reply)
                sd.message_unref(reply);
        return r;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        (void)ret_error;
        struct job *job = userdata;
        uint32_t id;
        const char *path, *unit, *result;
        if (sd.message_read(m, "uoss", &id, &path, &unit, &result) >= 0 &&
            strcmp(unit, job->transient) == 0)
                job->job_removed = true;
        return 0;
}

/* Waits up to bound_us (absolute, monotonic; 0: none) for the transient unit to have no job. 1
 * when it has none, 0 when the bound came, -errno on a bus error, -EINTR on a signal. */
static int wait_for_end(struct job *job, uint64_t bound_us, bool stop_on_signal)
{
        uint64_t next_poll = 0;
        for (;;) {
                int r;
                while ((r = sd.bus_process(job->bus, NULL)) > 0)
                        ;
                if (r < 0)
                        return r;
                if (stop_on_signal && interrupted)
                        return -EINTR;
                uint64_t now = clock_now_us();
                if (job->job_removed || now >= next_poll) {
                        long id = pending_job(job->bus, job->transient_path);
                        if (id < 0)
                                return (int)id;
                        if (id == 0)
                                return 1;
                        job->job_removed = false;
                        next_poll = now + POLL_US;
                }
                if (bound_us && now >= bound_us)
                        return 0;
                uint64_t wake = next_poll;
                if (bound_us && bound_us < wake)
                        wake = bound_us;
                r = sd.bus_wait(job->bus, wake > now ? wake - now : 1000);
                if (r < 0 && r != -EINTR)
                        return r;
        }
}

/* Stops the transient unit (SIGKILL first when kill) and waits a little for it to be gone; its
 * failed state is reset so that the manager collects it. */
static void stop_transient(struct job *job, bool kill)
{
        if (kill) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                (void)sd.bus_call_method(job->bus, MANAGER, MANAGER_PATH, MANAGER_IFACE, "KillUnit",
                                         &error, &reply, "ssi", job->transient, "all", SIGKILL);
                sd.error_free(&error);
                if (reply)
                        sd.message_unref(reply);
        }
        (void)manager_call(job->bus, "StopUnit", "ss", job->transient, "replace");
        (void)wait_for_end(job, clock_now_us() + STOP_TIMEOUT_US + 1000000ULL, false);
        (void)manager_call(job->bus, "ResetFailedUnit", "s", job->transient, NULL);
}

/* ExecStart= of the transient unit: this binary with the words as given, minus --as-unit. */
static int append_exec_start(sd_bus_message *m, char **argv)
{
        int r = sd.message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd.message_append_basic(m, 's', "ExecStart");
        if (r >= 0)
                r = sd.message_open_container(m, 'v', "a(sasb)");
        if (r >= 0)
                r = sd.message_open_container(m, 'a', "(sasb)");
        if (r >= 0)
                r = sd.message_open_container(m, 'r', "sasb");
        if (r >= 0)
                r = sd.message_append_basic(m, 's', argv[0]);
        if (r >= 0)
                r = sd.message_append_strv(m, argv);
        if (r >= 0)
                r = sd.message_append(m, "b", 0);
        for (int i = 0; i < 4 && r >= 0; i++)
                r = sd.message_close_container(m);
        return r;
}

/* The caller's descriptor for the unit's stdin, stdout or stderr, when it is open. */
static int append_stdio(sd_bus_message *m, const char *property, int fd)
{
        if (fcntl(fd, F_GETFD) < 0)
                return 0; /* closed here: the manager's default (/dev/null, the journal) */
        return sd.message_append(m, "(sv)", property, "h", fd);
}

/* A property no manager knows: a call that ends with it starts nothing, and its error tells
 * whether every property before it was taken. */
#define PROBE_PROPERTY "PreflightProbeNotAProperty"

static int build_start(struct job *job, struct as_unit_settings *settings, const bool *dropped,
                       bool probe, sd_bus_message **out)
{
        sd_bus_message *m = NULL;
        char description[512];
        snprintf(description, sizeof(description), "preflight %s --as-unit %s", job->what,
                 job->service);
        uint64_t start_timeout = 0; /* infinity for the manager */
        if (job->deadline_us != SPAN_INFINITY)
                start_timeout = job->deadline_us + BACKSTOP_GRACE_US + 2 * START_MARGIN_US;
        int r = sd.message_new_method_call(job->bus, &m, MANAGER, MANAGER_PATH, MANAGER_IFACE,
                                           "StartTransientUnit");
        if (r >= 0)
                r = sd.message_append(m, "ss", job->transient, "fail");
        if (r >= 0)
                r = sd.message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = as_unit_settings_append(settings, dropped, m);
        if (r >= 0 && probe)
                r = sd.message_append(m, "(sv)", PROBE_PROPERTY, "b", 0);
        /* After the unit's settings: these are the transient unit's own. */
        if (r >= 0)
                r = sd.message_append(m, "(sv)", "Description", "s", description);
        if (r >= 0)
                r = sd.message_append(m, "(sv)", "Type", "s", "oneshot");
        /* It needs no other unit, and must start none: with the default dependencies a check
         * would pull in sysinit.target and basic.target (at boot, or in a system that is not
         * up: systemd-tmpfiles-setup would clean /tmp), and wait for them. */
        if (r >= 0)
                r = sd.message_append(m, "(sv)", "DefaultDependencies", "b", 0);
        /* Kept (active or failed) once the checks end, until their status is read: on the
         * manager's private socket there is no AddRef= to pin it. */
        if (r >= 0)
                r = sd.message_append(m, "(sv)", "RemainAfterExit", "b", 1);
        if (r >= 0)
                r = sd.message_append(m, "(sv)", "RuntimeDirectoryPreserve", "s", "yes");
        if (r >= 0)
                r = sd.message_append(m, "(sv)", "TimeoutStopUSec", "t", STOP_TIMEOUT_US);
        if (r >= 0 && start_timeout)
                r = sd.message_append(m, "(sv)", "TimeoutStartUSec", "t", start_timeout);
        if (r >= 0)
                r = append_stdio(m, "StandardInputFileDescriptor", STDIN_FILENO);
        if (r >= 0)
                r = append_stdio(m, "StandardOutputFileDescriptor", STDOUT_FILENO);
        if (r >= 0)
                r = append_stdio(m, "StandardErrorFileDescriptor", STDERR_FILENO);
        if (r >= 0)
                r = append_exec_start(m, job->command.argv);
        if (r >= 0)
                r = sd.message_close_container(m);
        if (r >= 0)
                r = sd.message_append(m, "a(sa(sv))", 0);
        if (r < 0) {
                if (m)
                        sd.message_unref(m);
                return r;
        }
        *out = m;
        return 0;
}

static int random_suffix(char *out, size_t size)
{
        unsigned char bytes[4];
        if (getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) != (ssize_t)sizeof(bytes))
                return -1;
        snprintf(out, size, "%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3]);
        return 0;
}

/* A fresh name for each call: a call the manager refused may leave a stub of its name behind. */
static int name_transient(struct job *job)
{
        char suffix[16];
        if (random_suffix(suffix, sizeof(suffix)) != 0)
                return -errno;
        as_unit_transient_name(job->service, suffix, job->transient);
        free(job->transient_path);
        job->transient_path = NULL;
        return sd.bus_path_encode("/org/freedesktop/systemd1/unit", job->transient,
                                  &job->transient_path);
}

/* One StartTransientUnit. 0 (started) or -errno with error set. */
static int call_start(struct job *job, struct as_unit_settings *settings, const bool *skip,
                      bool probe, sd_bus_error *error)
{
        sd_bus_message *m = NULL, *reply = NULL;
        int r = name_transient(job);
        if (r >= 0)
                r = build_start(job, settings, skip, probe, &m);
        if (r < 0)
                return r;
        r = sd.bus_call(job->bus, m, CALL_TIMEOUT_US, error, &reply);
        sd.message_unref(m);
        if (reply)
                sd.message_unref(reply);
        if (r >= 0 && probe) /* no manager should start it; if one did, stop it */
                (void)manager_call(job->bus, "StopUnit", "ss", job->transient, "replace");
        return r;
}

/*
 * Which of the candidates (indices into as_unit_carried) the manager refuses, when its error
 * names none (systemd 252 answers "Unexpected message contents" for a value of a type it does
 * not expect): halves tried with PROBE_PROPERTY at the end, so that nothing starts. Marks them
 * in bad; returns how many were found, or -errno.
 */
static int bisect_refused(struct job *job, struct as_unit_settings *settings, const int *cand,
                          size_t n, bool *skip, bool *bad)
{
        size_t count = as_unit_carried_count();
        for (size_t i = 0; i < count; i++)
                skip[i] = true;
        for (size_t i = 0; i < n; i++)
                skip[cand[i]] = false;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = call_start(job, settings, skip, true, &error);
        char name[128];
        bool clean = r < 0 &&
                     as_unit_refused_property(error.name, error.message, name, sizeof(name)) &&
                     strcmp(name, PROBE_PROPERTY) == 0;
        sd.error_free(&error);
        if (clean || r >= 0)
                return 0;
        if (n == 1) {
                bad[cand[0]] = true;
                return 1;
        }
        int left = bisect_refused(job, settings, cand, n / 2, skip, bad);
        if (left < 0)
                return left;
        int right = bisect_refused(job, settings, cand + n / 2, n - n / 2, skip, bad);
        return right < 0 ? right : left + right;
}

/* Drops what bisect_refused() finds among the carried properties still in; how many. */
static int drop_refused(struct job *job, struct as_unit_settings *settings, bool *dropped)
{
        size_t count = as_unit_carried_count();
        int *cand = calloc(count + 1, sizeof(int));
        bool *skip = calloc(count + 1, sizeof(bool));
        bool *bad = calloc(count + 1, sizeof(bool));
        int found = -ENOMEM;
        if (cand && skip && bad) {
                size_t n = 0;
                for (size_t i = 0; i < count; i++)
                        if (settings->present[i] && !dropped[i])
                                cand[n++] = (int)i;
                found = n ? bisect_refused(job, settings, cand, n, skip, bad) : 0;
                for (size_t i = 0; found > 0 && i < count; i++)
                        dropped[i] |= bad[i];
        }
        free(cand);
        free(skip);
        free(bad);
        return found;
}

static void list_add(char *list, size_t size, const char *name)
{
        size_t len = strlen(list);
        snprintf(list + len, size - len, "%s%s", len ? ", " : "", name);
}

/*
 * StartTransientUnit, again without each setting the manager refuses to carry (named in one
 * warning line). PF_OK, or an exit code with the message printed.
 */
static int start_transient(struct job *job, struct as_unit_settings *settings)
{
        size_t n = as_unit_carried_count();
        bool *dropped = calloc(n + 1, sizeof(bool));
        char refused_list[1024] = "";
        if (!dropped) {
                report_error(job->what, "--as-unit: out of memory");
                return PF_INTERNAL;
        }
        int code = PF_OK;
        bool bisected = false;
        for (size_t attempt = 0; attempt <= n + 1; attempt++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                int r = call_start(job, settings, dropped, false, &error);
                if (r >= 0) {
                        sd.error_free(&error);
                        break;
                }
                char name[128];
                int i = -1;
                if (as_unit_refused_property(error.name, error.message, name, sizeof(name)))
                        i = as_unit_carried_index(name);
                if (i >= 0 && !dropped[i]) {
                        dropped[i] = true;
                        sd.error_free(&error);
                        continue;
                }
                if (!bisected && error.name) {
                        bisected = true;
                        int found = drop_refused(job, settings, dropped);
                        if (found > 0) {
                                sd.error_free(&error);
                                continue;
                        }
                }
                char q[QUOTE_BUF];
                report_error(
                    job->what, "--as-unit: the manager refused the transient unit %s: %s",
                    job->transient,
                    text_quote(error.message ? error.message : strerror(-r), q, sizeof(q)));
                sd.error_free(&error);
                code = PF_UNIT_UNAVAILABLE;
                break;
        }
        unsigned carried = 0;
        for (size_t i = 0; i < n; i++) {
                if (dropped[i])
                        list_add(refused_list, sizeof(refused_list), as_unit_carried[i]);
                else if (settings->present[i])
                        carried++;
        }
        if (refused_list[0])
                report_warning(job->what, "--as-unit: not carried into the transient unit: %s",
                               refused_list);
        if (code == PF_OK && job->verbose)
                report_info("preflight: %s: --as-unit: %u settings of %s carried into %s",
                            job->what, carried, job->service, job->transient);
        free(dropped);
        return code;
}

/* The unit's object path, loaded; PF_OK, or 4 with the message printed. */
static int load_service(struct job *job)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd.bus_call_method(job->bus, MANAGER, MANAGER_PATH, MANAGER_IFACE, "LoadUnit",
                                   &error, &reply, "s", job->service);
        const char *path = NULL;
        if (r >= 0)
                r = sd.message_read(reply, "o", &path);
        if (r >= 0 && !(job->service_path = strdup(path)))
                r = -ENOMEM;
        if (reply)
                sd.message_unref(reply);
        if (r < 0) {
                char q[QUOTE_BUF];
                report_error(
                    job->what, "--as-unit: cannot load %s: %s", job->service,
                    text_quote(error.message ? error.message : strerror(-r), q, sizeof(q)));
                sd.error_free(&error);
                return r == -ENOMEM ? PF_INTERNAL : PF_UNIT_UNAVAILABLE;
        }
        sd.error_free(&error);
        char *state = NULL;
        r = get_string(job->bus, job->service_path, UNIT_IFACE, "LoadState", &state);
        if (r < 0) {
                report_error(job->what, "--as-unit: cannot read %s's state: %s", job->service,
                             strerror(-r));
                return PF_UNIT_UNAVAILABLE;
        }
        int code = PF_OK;
        if (strcmp(state, "not-found") == 0) {
                report_error(job->what,
                             "--as-unit: no unit %s (systemctl list-unit-files lists "
                             "them)",
                             job->service);
                code = PF_UNIT_UNAVAILABLE;
        } else if (strcmp(state, "loaded") != 0) {
                report_error(job->what, "--as-unit: %s is %s: it has no settings to carry",
                             job->service, state);
                code = PF_UNIT_UNAVAILABLE;
        }
        free(state);
        return code;
}

/* What the transient unit's process ended with, as the exit code. */
static int relay_status(struct job *job)
{
        int32_t main_code = 0, main_status = 0;
        char *result = NULL;
        if (get_trivial(job->bus, job->transient_path, SERVICE_IFACE, "ExecMainCode", 'i',
                        &main_code) < 0 ||
            get_trivial(job->bus, job->transient_path, SERVICE_IFACE, "ExecMainStatus", 'i',
                        &main_status) < 0) {
                report_error(job->what, "--as-unit: cannot read how %s ended", job->transient);
                return PF_INTERNAL;
        }
        (void)get_string(job->bus, job->transient_path, SERVICE_IFACE, "Result", &result);
        int code;
        if (main_code == 1) { /* CLD_EXITED */
                code = main_status;
                /* preflight never exits 200-245: the manager could not set up the process. */
                if (code >= 200 && code <= 245)
                        report_error(job->what,
                                     "--as-unit: %s could not start the checks (status %d, as "
                                     "the unit's own commands would get it; preflight explain "
                                     "%d)",
                                     job->transient, code, code);
        } else if (main_code == 2 || main_code == 3) { /* CLD_KILLED, CLD_DUMPED */
                code = 128 + main_status;
                report_error(job->what, "--as-unit: the checks were killed by signal %d in %s",
                             main_status, job->transient);
        } else {
                report_error(job->what, "--as-unit: %s did not run the checks (Result: %s)",
                             job->transient, result ? result : "unknown");
                code = PF_UNIT_UNAVAILABLE;
        }
        free(result);
        return code;
}

static int parse_plain(const struct check *check, int argc, char **argv, struct job *job,
                       bool *help)
{
        *help = false;
        if (check) {
                struct invocation inv;
                struct pf_error err = {0};
                int r = invocation_parse(&inv, check, argc, argv, &err);
                if (r != PF_OK) {
                        report_error(check->name, "%s", err.msg);
                        return r;
                }
                if (inv.help) {
                        invocation_print_help(check, stdout);
                        *help = true;
                }
                job->deadline_us = inv.timeout_us;
                job->timeout_code = check->timeout_code;
                job->verbose = inv.style.verbose;
                invocation_release(&inv);
                return PF_OK;
        }
        struct chain_words words;
        int r = chain_parse_words(argc, argv, &words);
        if (r != PF_OK)
                return r;
        if (words.help) {
                *help = true;
                return chain_main(argc, argv);
        }
        job->deadline_us = SPAN_INFINITY;
        job->timeout_code = PF_INTERNAL;
        job->parallel = words.parallel;
        job->verbose = words.verbose;
        return PF_OK;
}

/* Everything after the arguments are known good: the manager, the unit, the transient unit. */
static int run_transient(struct job *job)
{
        char why[1024];
        /* Root checks a system unit; anyone else, a unit of their own user manager. */
        bool user = geteuid() != 0;
        int r = manager_connect(user, CALL_TIMEOUT_US, &job->bus, why, sizeof(why));
        if (r != PF_OK) {
                report_error(job->what, "--as-unit: %s", why);
                return r;
        }
        if ((r = load_service(job)) != PF_OK)
                return r;
        struct as_unit_settings settings;
        if ((r = as_unit_settings_read(job->bus, job->service_path, &settings, why, sizeof(why))) !=
            PF_OK) {
                report_error(job->what, "--as-unit: %s: %s", job->service, why);
                return r;
        }
        /* Before the start: the job may end before StartTransientUnit's answer is read. */
        sd_bus_slot *slot = NULL;
        r = sd.bus_match_signal(job->bus, &slot, MANAGER, MANAGER_PATH, MANAGER_IFACE, "JobRemoved",
                                on_job_removed, job);
        if (r >= 0)
                (void)manager_call(job->bus, "Subscribe", "", NULL, NULL);
        /* Ctrl-C and SIGTERM stop the transient unit too, then end this process as they would. */
        struct sigaction sa = {.sa_handler = on_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        uint64_t started = clock_now_us();
        int code = r < 0 ? PF_INTERNAL : start_transient(job, &settings);
        as_unit_settings_release(&settings);
        if (r < 0)
                report_error(job->what, "--as-unit: cannot watch the manager's jobs: %s",
                             strerror(-r));
        if (code != PF_OK) {
                if (slot)
                        sd.bus_slot_unref(slot);
                return code;
        }
        uint64_t bound = 0;
        if (job->deadline_us != SPAN_INFINITY)
                bound = started + job->deadline_us + BACKSTOP_GRACE_US + START_MARGIN_US;
        r = wait_for_end(job, bound, true);
        if (r == 1) {
                code = relay_status(job);
                stop_transient(job, false);
        } else if (r == -EINTR) {
                int sig = interrupted;
                stop_transient(job, true);
                report_error(job->what, "--as-unit: interrupted (%s): %s stopped", strsignal(sig),
                             job->transient);
                code = 128 + sig;
        } else if (r == 0) {
                char span[32];
                span_format(clock_now_us() - started, span, sizeof(span));
                stop_transient(job, true);
                report_error(job->what,
                             "--as-unit: %s still ran %s after it was started, past the checks' "
                             "deadline: killed",
                             job->transient, span);
                code = job->timeout_code;
        } else {
                report_error(job->what, "--as-unit: lost the manager while waiting for %s: %s",
                             job->transient, strerror(-r));
                stop_transient(job, true);
                code = PF_UNIT_UNAVAILABLE;
        }
        if (slot)
                sd.bus_slot_unref(slot);
        return code;
}

int as_unit_main(const struct check *check, int argc, char **argv)
{
        struct job job = {.what = check ? check->name : "run"};
        const struct check_option *const tables[2] = {check ? invocation_common_options() : NULL,
                                                      check ? check->options : NULL};
        int at = 0, n_words = 0;
        const char *unit = NULL;
        struct pf_error err = {0};
        if (!as_unit_find(argc, argv, tables, &at, &n_words, &unit))
                return PF_INTERNAL;
        if (!unit) {
                report_error(job.what, "--as-unit needs a UNIT: a service, NAME or NAME.service");
                return PF_USAGE;
        }
        if (as_unit_service_name(unit, job.service, &err) != PF_OK) {
                report_error(job.what, "%s", err.msg);
                return PF_USAGE;
        }
        /* The words as a plain run gets them: every usage error is named here, at once. */
        char **rest = calloc((size_t)argc + 1, sizeof(char *));
        if (!rest) {
                report_error(job.what, "out of memory");
                return PF_INTERNAL;
        }
        int n_rest = 0;
        for (int i = 0; i < argc; i++)
                if (i < at || i >= at + n_words)
                        rest[n_rest++] = argv[i];
        int again_at, again_n;
        const char *again;
        if (as_unit_find(n_rest, rest, tables, &again_at, &again_n, &again)) {
                free(rest);
                report_error(job.what, "--as-unit given twice: one UNIT at a time");
                return PF_USAGE;
        }
        bool help = false;
        int r = parse_plain(check, n_rest, rest, &job, &help);
        free(rest);
        if (r != PF_OK || help)
                return r;

        char exe[PATH_MAX], cwd[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (len <= 0 || !getcwd(cwd, sizeof(cwd))) {
                report_error(job.what,
                             "--as-unit: cannot find this binary or the current "
                             "directory: %s",
                             strerror(errno));
                return PF_INTERNAL;
        }
        exe[len] = '\0';
        const char *config_dir = getenv("PREFLIGHT_CONFIG_DIR");
        if (!config_dir || !*config_dir)
                config_dir = CHAIN_DEFAULT_CONFIG_DIR;
        r = as_unit_command(exe, job.what, check == NULL, argc, argv, at, n_words, cwd, config_dir,
                            &job.command, &err);
        if (r != PF_OK) {
                if (r == PF_USAGE)
                        report_error(job.what, "%s", err.msg);
                else
                        report_error(job.what, "out of memory");
                return r;
        }
        if (!check) {
                if (strcmp(job.command.source, "-") != 0)
                        job.deadline_us =
                            chain_deadline_us(job.command.source, job.parallel, &job.timeout_code);
        }
        r = run_transient(&job);
        as_unit_command_release(&job.command);
        free(job.service_path);
        free(job.transient_path);
        if (job.bus)
                sd.bus_flush_close_unref(job.bus);
        return r;
}
