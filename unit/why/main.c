/* `preflight why [UNIT] [--user] [--json] [-t SPAN]`: the command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backstop.h"
#include "core/clock.h"
#include "core/exitcodes.h"
#include "core/options.h"
#include "core/report.h"
#include "core/span.h"
#include "core/text.h"
#include "unit/libsystemd.h"
#include "unit/why/why.h"

/* The default deadline for the whole command: the manager answers in milliseconds, and a
 * manager that does not is the answer. */
#define WHY_DEFAULT_TIMEOUT_US (5ULL * 1000 * 1000)
/* Failed units reported without a UNIT; more are counted, not shown. */
#define WHY_MAX_FAILED 64

struct why_options {
        const char *unit;
        char name[256]; /* unit, with its type */
        bool user;
        bool json;
        uint64_t timeout_us;
};

/* What --help lists and completion offers; parse() below reads them. */
static const struct check_option why_options_table[] = {
    {"user", 0, NULL, "the user's service manager, not the system's"},
    {"json", 0, NULL, "one JSON object per unit on stdout"},
    {"timeout", 't', "SPAN", "deadline for the whole command (default 5s)"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static void why_help(FILE *out)
{
        fputs(
            "Usage: preflight why [UNIT] [--user] [--json] [-t SPAN]\n\n"
            "Why did this unit fail, or not start? Its state and result, every ExecCondition=,\n"
            "ExecStartPre=, ExecStart=, ExecStartPost=, ExecStop= and ExecStopPost= command with\n"
            "its status explained, the main process, the warning and error lines of its last\n"
            "invocation in the journal, and what to change. Without UNIT: the failed units, one\n"
            "line each. A UNIT without a type is a .service.\n\n"
            "Options:\n",
            out);
        options_print(why_options_table, out);
        fputs("\nExit: 0 it could report (whatever the unit's state), 2 usage, 4 no such unit or "
              "the\nmanager cannot be reached, 5 libsystemd is not installed.\n",
              out);
}

const struct check_option *why_option_table(void)
{
        return why_options_table;
}

static int parse(int argc, char **argv, struct why_options *o, bool *help)
{
        char q[QUOTE_BUF];
        o->timeout_us = WHY_DEFAULT_TIMEOUT_US;
        for (int i = 0; i < argc; i++) {
                const char *a = argv[i];
                const char *value = NULL;
                if (strcmp(a, "--user") == 0) {
                        o->user = true;
                } else if (strcmp(a, "--json") == 0) {
                        o->json = true;
                } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        *help = true;
                } else if (strcmp(a, "-t") == 0 || strcmp(a, "--timeout") == 0) {
                        if (i + 1 >= argc) {
                                report_error("why", "%s needs a time span (e.g. -t 2s)", a);
                                return PF_USAGE;
                        }
                        value = argv[++i];
                } else if (strncmp(a, "--timeout=", 10) == 0) {
                        value = a + 10;
                } else if (a[0] == '-') {
                        report_error("why", "unknown option '%s' (preflight why --help)",
                                     text_quote(a, q, sizeof(q)));
                        return PF_USAGE;
                } else if (o->unit) {
                        report_error("why", "takes one unit, got '%s' too",
                                     text_quote(a, q, sizeof(q)));
                        return PF_USAGE;
                } else if (!why_unit_name(a, o->name, sizeof(o->name))) {
                        report_error("why",
                                     "'%s' cannot be a unit's name (e.g. nginx or nginx.service; "
                                     "systemctl list-units --all shows them)",
                                     text_quote(a, q, sizeof(q)));
                        return PF_USAGE;
                } else {
                        o->unit = a;
                }
                if (value) {
                        uint64_t us;
                        if (!span_parse(value, &us) || us < 1000) {
                                report_error("why",
                                             "--timeout: '%s' is not a time span of at least "
                                             "1ms (examples: 500ms, 5s)",
                                             text_quote(value, q, sizeof(q)));
                                return PF_USAGE;
                        }
                        o->timeout_us = us;
                }
        }
        return PF_OK;
}

/* Microseconds to the deadline, at least 1 (0 would mean libsystemd's default). */
static uint64_t remaining_us(uint64_t deadline)
{
        if (deadline == 0)
                return 0;
        uint64_t now = clock_now_us();
        return deadline > now ? deadline - now : 1;
}

/* The connection's handshake waits on libsystemd's own timeout (tens of seconds), which the
 * method-call timeout does not cover: a manager that accepts the connection and never answers
 * (a stopped PID 1) is waited for here, until the deadline. */
static int wait_ready(sd_bus *bus, uint64_t deadline, char *why, size_t why_size)
{
        for (;;) {
                int r = sd.bus_is_ready(bus);
                if (r == 0)
                        r = sd.bus_process(bus, NULL);
                else if (r > 0)
                        return PF_OK;
                if (r < 0) {
                        snprintf(why, why_size, "the connection to the service manager failed: %s",
                                 strerror(-r));
                        return PF_UNIT_UNAVAILABLE;
                }
                if (r > 0)
                        continue;
                if (deadline_passed(deadline)) {
                        snprintf(why, why_size,
                                 "the service manager took the connection but did not answer in "
                                 "time (-t)");
                        return PF_UNIT_UNAVAILABLE;
                }
                r = sd.bus_wait(bus, deadline ? remaining_us(deadline) : UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        snprintf(why, why_size, "waiting for the service manager failed: %s",
                                 strerror(-r));
                        return PF_UNIT_UNAVAILABLE;
                }
        }
}

/* Reads one unit: the bus, the files its commands name, the journal. */
static int collect(sd_bus *bus, const char *name, bool user, uint64_t deadline, struct why_unit *u,
                   char *why, size_t why_size)
{
        memset(u, 0, sizeof(*u));
        u->user_manager = user;
        /* Each call gets what is left of the deadline, not the whole of it again. */
        if (deadline && sd.bus_set_method_call_timeout(bus, remaining_us(deadline)) < 0) {
                snprintf(why, why_size, "cannot set a timeout on the manager's connection");
                return PF_INTERNAL;
        }
        int r = why_read_unit(bus, name, u, why, why_size);
        if (r != PF_OK)
                return r;
        why_read_journal(u, deadline);
        why_probe(u);
        return PF_OK;
}

static int one_unit(sd_bus *bus, const struct why_options *o, uint64_t deadline)
{
        char why[1024], q[QUOTE_BUF];
        const char *name = o->name;
        struct why_unit *u = calloc(1, sizeof(*u));
        if (!u) {
                report_error("why", "out of memory");
                return PF_INTERNAL;
        }
        int r = collect(bus, name, o->user, deadline, u, why, sizeof(why));
        if (r != PF_OK) {
                report_error("why", "%s", why);
        } else if (strcmp(u->load_state, "not-found") == 0) {
                report_error("why",
                             "no unit named '%s' in the %s manager (LoadState=not-found): "
                             "systemctl%s list-unit-files shows the units there are",
                             text_quote(name, q, sizeof(q)), o->user ? "user's" : "system",
                             o->user ? " --user" : "");
                r = PF_UNIT_UNAVAILABLE;
        } else if (o->json) {
                why_print_json(stdout, u);
        } else {
                why_print(stdout, u);
        }
        free(u);
        return r;
}

static int failed_units(sd_bus *bus, const struct why_options *o, uint64_t deadline)
{
        char(*names)[256] = calloc(WHY_MAX_FAILED, sizeof(*names));
        struct why_unit *u = calloc(1, sizeof(*u));
        char why[1024] = "out of memory";
        size_t count = 0;
        int r = names && u ? PF_OK : PF_INTERNAL;
        if (r == PF_OK && deadline &&
            sd.bus_set_method_call_timeout(bus, remaining_us(deadline)) < 0) {
                snprintf(why, sizeof(why), "cannot set a timeout on the manager's connection");
                r = PF_INTERNAL;
        }
        if (r == PF_OK)
                r = why_failed_units(bus, names, WHY_MAX_FAILED, &count, why, sizeof(why));
        if (r != PF_OK)
                report_error("why", "%s", why);
        if (r == PF_OK && count == 0 && !o->json)
                printf("no failed units%s\n", o->user ? " in the user's manager" : "");
        for (size_t i = 0; r == PF_OK && i < count; i++) {
                if (deadline_passed(deadline)) {
                        report_error("why", "the deadline passed after %zu of %zu failed units", i,
                                     count);
                        r = PF_UNIT_UNAVAILABLE;
                        break;
                }
                r = collect(bus, names[i], o->user, deadline, u, why, sizeof(why));
                if (r != PF_OK) {
                        report_error("why", "%s", why);
                        break;
                }
                if (o->json) {
                        why_print_json(stdout, u);
                } else {
                        char state[256], reason[WHY_TEXT * 2];
                        why_state_line(u, state, sizeof(state));
                        why_reason(u, reason, sizeof(reason));
                        text_write_safe(stdout, u->name);
                        fputs(": ", stdout);
                        text_write_safe(stdout, state);
                        fputs(": ", stdout);
                        text_write_safe(stdout, reason);
                        fputc('\n', stdout);
                }
        }
        if (r == PF_OK && count == WHY_MAX_FAILED && !o->json)
                printf("(the first %d failed units; systemctl --failed lists them all)\n",
                       WHY_MAX_FAILED);
        fflush(stdout);
        free(names);
        free(u);
        return r;
}

int why_main(int argc, char **argv)
{
        struct why_options o = {0};
        bool help = false;
        int r = parse(argc, argv, &o, &help);
        if (r != PF_OK)
                return r;
        if (help) {
                why_help(stdout);
                return PF_OK;
        }
        uint64_t deadline = deadline_after(o.timeout_us);
        /* A library call that ignores its timeout still cannot keep the command past it. */
        backstop_arm(deadline, "why", PF_UNIT_UNAVAILABLE);
        sd_bus *bus = NULL;
        char why[1024];
        r = manager_connect(o.user, o.timeout_us == SPAN_INFINITY ? 0 : o.timeout_us, &bus, why,
                            sizeof(why));
        if (r != PF_OK) {
                report_error("why", "%s", why);
                backstop_disarm();
                return r;
        }
        r = wait_ready(bus, deadline, why, sizeof(why));
        if (r != PF_OK)
                report_error("why", "%s", why);
        else
                r = o.unit ? one_unit(bus, &o, deadline) : failed_units(bus, &o, deadline);
        /* Not flushed: a flush first waits for the handshake, which a manager that does not
         * answer never completes; every call here waited for its reply, nothing is queued. */
        sd.bus_close_unref(bus);
        backstop_disarm();
        return r;
}
