/* `preflight why`: the warning and error lines of the unit's last invocation, from the journal.
 *
 * Two kinds of entries belong to an invocation: the unit's own processes' (journald stamps
 * _SYSTEMD_INVOCATION_ID from the unit's cgroup), and the manager's lines about the unit, which
 * carry INVOCATION_ID= (USER_INVOCATION_ID= from a user manager). A start refused by the start
 * limit gets no invocation of its own: the unit keeps the id of the run that failed, and the
 * manager's "Start request repeated too quickly" line carries that id, so the same match finds
 * it. The manager's field is only trusted from the manager itself (_PID=1, or the user's own
 * uid for --user): any process may log an INVOCATION_ID=. */
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "unit/libsystemd.h"
#include "unit/why/why.h"

/* Matching entries looked at, newest first, before giving up: an invocation that logged more
 * than this is cut (and says so). */
#define WHY_JOURNAL_SCAN 2000
/* Fields longer than this are cut by libsystemd: a message is one line of a report. */
#define WHY_JOURNAL_THRESHOLD 4096

/* The value of FIELD in the current entry, copied and NUL-terminated; false when absent. */
static bool field(sd_journal *j, const char *name, char *buf, size_t size)
{
        const void *data;
        size_t len;
        if (sd.journal_get_data(j, name, &data, &len) < 0)
                return false;
        size_t skip = strlen(name) + 1; /* "NAME=" */
        if (len < skip)
                return false;
        len -= skip;
        if (len >= size)
                len = size - 1;
        memcpy(buf, (const char *)data + skip, len);
        buf[len] = '\0';
        /* A multi-line message is shown as its first line. */
        buf[strcspn(buf, "\n")] = '\0';
        return true;
}

static int add_matches(sd_journal *j, const struct why_unit *u)
{
        char match[128];
        snprintf(match, sizeof(match), "_SYSTEMD_INVOCATION_ID=%s", u->invocation_id);
        int r = sd.journal_add_match(j, match, 0);
        if (r >= 0)
                r = sd.journal_add_disjunction(j);
        if (r < 0)
                return r;
        if (u->user_manager) {
                snprintf(match, sizeof(match), "USER_INVOCATION_ID=%s", u->invocation_id);
                r = sd.journal_add_match(j, match, 0);
                snprintf(match, sizeof(match), "_UID=%u", (unsigned)getuid());
        } else {
                snprintf(match, sizeof(match), "INVOCATION_ID=%s", u->invocation_id);
                r = sd.journal_add_match(j, match, 0);
                snprintf(match, sizeof(match), "_PID=1");
        }
        return r < 0 ? r : sd.journal_add_match(j, match, 0);
}

/* The manager's lines about the unit, whatever the invocation: for a unit that has none (it
 * never ran, or it was collected since), only the newest of them is read. */
static int add_manager_matches(sd_journal *j, const struct why_unit *u)
{
        char match[300];
        snprintf(match, sizeof(match), "%s=%s", u->user_manager ? "USER_UNIT" : "UNIT", u->name);
        int r = sd.journal_add_match(j, match, 0);
        if (u->user_manager)
                snprintf(match, sizeof(match), "_UID=%u", (unsigned)getuid());
        else
                snprintf(match, sizeof(match), "_PID=1");
        return r < 0 ? r : sd.journal_add_match(j, match, 0);
}

/* "name.service: text" -> "text". */
static const char *without_unit(const struct why_unit *u, const char *text)
{
        size_t len = strlen(u->name);
        if (strncmp(text, u->name, len) == 0 && text[len] == ':')
                return text + len + 1 + (text[len + 1] == ' ');
        return text;
}

/* The manager's line about a start its conditions skipped: systemd 252 names the condition
 * ("... was skipped because of an unmet condition check (ConditionPathExists=/x)."), older
 * ones do not ("Condition check resulted in ... being skipped."). */
static void note_skip(struct why_unit *u, const char *text)
{
        static const char marker[] = "unmet condition check (";
        const char *p = strstr(text, marker);
        if (p) {
                p += sizeof(marker) - 1;
                size_t len = strcspn(p, ")");
                snprintf(u->skip_condition, sizeof(u->skip_condition), "%.*s", (int)len, p);
                u->skipped_by_condition = true;
        } else if (strstr(text, "Condition check resulted in")) {
                u->skipped_by_condition = true;
        }
}

/* Whether this process may read the system journal's files: root, or a member of the groups
 * journald makes them readable for. */
static bool reads_system_journal(void)
{
        if (geteuid() == 0)
                return true;
        gid_t groups[256];
        int n = getgroups(256, groups);
        static const char *const readers[] = {"adm", "systemd-journal", "wheel"};
        for (size_t r = 0; r < sizeof(readers) / sizeof(readers[0]); r++) {
                const struct group *g = getgrnam(readers[r]);
                if (!g)
                        continue;
                if (g->gr_gid == getegid())
                        return true;
                for (int i = 0; i < n; i++)
                        if (groups[i] == g->gr_gid)
                                return true;
        }
        return false;
}

void why_read_journal(struct why_unit *u, uint64_t deadline_us)
{
        u->n_lines = 0;
        u->lines_dropped = 0;
        bool no_invocation = !u->invocation_id[0];
        sd_journal *j = NULL;
        /* A system user's units (--user as root, or as nobody) log to the system journal:
         * journald keeps a journal of their own only for uids from 1000, nobody excepted. */
        uid_t uid = getuid();
        bool in_system_journal = !u->user_manager || uid < 1000 || uid == 65534;
        int flags = SD_JOURNAL_LOCAL_ONLY | (in_system_journal ? SD_JOURNAL_SYSTEM : 0) |
                    (u->user_manager ? SD_JOURNAL_CURRENT_USER : 0);
        int r = sd.journal_open(&j, flags);
        if (r < 0) {
                snprintf(u->journal_note, sizeof(u->journal_note),
                         "not read: cannot open the journal: %s", strerror(-r));
                return;
        }
        r = sd.journal_set_data_threshold(j, WHY_JOURNAL_THRESHOLD);
        if (r >= 0)
                r = no_invocation ? add_manager_matches(j, u) : add_matches(j, u);
        if (r >= 0)
                r = sd.journal_seek_tail(j);
        if (r < 0) {
                snprintf(u->journal_note, sizeof(u->journal_note),
                         "not read: cannot read the journal: %s", strerror(-r));
                sd.journal_close(j);
                return;
        }
        u->journal_read = true;
        /* Newest first into lines[], then turned around. */
        struct why_line found[WHY_MAX_LINES];
        size_t n = 0, scanned = 0;
        char value[WHY_TEXT], id[64];
        size_t scan = no_invocation ? 1 : WHY_JOURNAL_SCAN;
        while (scanned < scan && (r = sd.journal_previous(j)) > 0) {
                scanned++;
                if (scanned % 64 == 0 && deadline_passed(deadline_us)) {
                        snprintf(u->journal_note, sizeof(u->journal_note),
                                 "the journal was read until the deadline, not to its end");
                        break;
                }
                int priority = 6;
                if (field(j, "PRIORITY", value, sizeof(value)) && value[0] >= '0' &&
                    value[0] <= '7' && value[1] == '\0')
                        priority = value[0] - '0';
                bool own = field(j, "_SYSTEMD_INVOCATION_ID", id, sizeof(id)) &&
                           strcmp(id, u->invocation_id) == 0;
                if (!field(j, "MESSAGE", value, sizeof(value)))
                        continue;
                const char *text = without_unit(u, value);
                if (!own) {
                        if (!why_manager_line_wanted(priority, text))
                                continue;
                        if (no_invocation)
                                note_skip(u, text);
                } else if (priority > 4) {
                        continue;
                }
                if (n == WHY_MAX_LINES) {
                        u->lines_dropped++;
                        continue;
                }
                struct why_line *l = &found[n++];
                l->priority = priority;
                l->manager = !own;
                l->usec = 0;
                snprintf(l->text, sizeof(l->text), "%s", text);
                uint64_t usec;
                if (sd.journal_get_realtime_usec(j, &usec) >= 0)
                        l->usec = usec;
        }
        if (!no_invocation && scanned == WHY_JOURNAL_SCAN)
                snprintf(u->journal_note, sizeof(u->journal_note),
                         "only the last %d entries of the invocation were read", WHY_JOURNAL_SCAN);
        /* Nothing found by a user who cannot read the system's lines is no answer: say so. */
        if (n == 0 && in_system_journal && !u->journal_note[0] && !reads_system_journal())
                snprintf(u->journal_note, sizeof(u->journal_note),
                         "no line readable: the system journal is for root and the adm and "
                         "systemd-journal groups (uid %u is in neither)",
                         (unsigned)geteuid());
        for (size_t i = 0; i < n; i++)
                u->lines[i] = found[n - 1 - i];
        u->n_lines = n;
        sd.journal_close(j);
}
