/* user: does this process run as the expected user (and group)? */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check.h"
#include "core/text.h"

enum { OPT_GROUP, OPT_MEMBER, OPT_NOT_ROOT };

static const struct check_option user_options[] = {
    [OPT_GROUP] = {"group", 'g', "GROUP", "the effective group must be GROUP (name or gid)"},
    [OPT_MEMBER] = {"member", 'm', "GROUP",
                    "GROUP must be among the supplementary groups (repeatable)"},
    [OPT_NOT_ROOT] = {"not-root", 0, NULL, "fail when running as root (uid 0)"},
    {NULL, 0, NULL, NULL},
};

#define MAX_MEMBER 16

struct user_config {
        const char *group;
        const char *member[MAX_MEMBER];
        unsigned n_member;
        bool not_root;
};

/* A user or group may be given by name or number; names that look like numbers are numbers. */
static bool is_number(const char *s, unsigned long *value)
{
        return text_parse_ulong(s, 0, 4294967294UL, value);
}

/* A name as useradd accepts it (and a little more): no control characters, no ':' or '/'.
 * where is "" for the USER argument, "--group: " or "--member: " for an option. */
static int validate_name(const char *where, const char *kind, const char *name,
                         struct pf_error *err)
{
        char q[QUOTE_BUF];
        if (!name || !*name)
                return pf_error_set(err, "%san empty %s name", where, kind);
        if (strlen(name) > 256)
                return pf_error_set(err, "%s'%s' is too long for a %s name", where,
                                    text_quote(name, q, sizeof(q)), kind);
        for (const char *c = name; *c; c++)
                if ((unsigned char)*c < 0x21 || *c == ':' || *c == '/' || *c == 0x7f)
                        return pf_error_set(err, "%s'%s' is not a valid %s name", where,
                                            text_quote(name, q, sizeof(q)), kind);
        /* All digits is a number (useradd and systemd refuse such names), and one past the
         * last id can name nobody: a usage error, not "does not exist". */
        unsigned long number;
        if (strspn(name, "0123456789") == strlen(name) && !is_number(name, &number))
                return pf_error_set(err, "%s'%s' is not a valid %s id (0-4294967294)", where,
                                    text_quote(name, q, sizeof(q)), kind);
        return PF_OK;
}

static int user_parse_option(void *config, unsigned option, const char *value, struct pf_error *err)
{
        struct user_config *cfg = config;
        switch (option) {
        case OPT_GROUP:
                cfg->group = value;
                return validate_name("--group: ", "group", value, err);
        case OPT_MEMBER:
                if (cfg->n_member >= MAX_MEMBER)
                        return pf_error_set(err, "--member: at most %d groups", MAX_MEMBER);
                cfg->member[cfg->n_member++] = value;
                return validate_name("--member: ", "group", value, err);
        case OPT_NOT_ROOT:
                cfg->not_root = true;
                return PF_OK;
        }
        return pf_error_set(err, "unknown option");
}

/* The USER|UID argument: a name or number, checked for its form here, looked up each run. */
struct user_target {
        const char *name;
};

static int user_parse_target(const void *config, const char *arg, void *target, char *shown,
                             struct pf_error *err)
{
        (void)config;
        struct user_target *t = target;
        int r = validate_name("", "user", arg, err);
        if (r != PF_OK)
                return r;
        t->name = arg;
        snprintf(shown, TARGET_SHOWN_SIZE, "%s", arg);
        return PF_OK;
}

static int user_finish(void *config, unsigned targets, struct pf_error *err)
{
        const struct user_config *cfg = config;
        if (targets == 0 && !cfg->group && cfg->n_member == 0 && !cfg->not_root)
                return pf_error_set(err, "nothing to check: give USER, --group, --member or "
                                         "--not-root");
        return PF_OK;
}

/* Resolves a group; false with res set (code 11) when it does not exist. */
static bool lookup_group(const char *name, gid_t *gid, char *label, size_t label_size,
                         struct check_result *res)
{
        char q[QUOTE_BUF];
        unsigned long number;
        errno = 0;
        struct group *gr = getgrnam(name);
        if (gr) {
                *gid = gr->gr_gid;
                snprintf(label, label_size, "%s (gid %u)", gr->gr_name, (unsigned)gr->gr_gid);
                return true;
        }
        if (is_number(name, &number)) {
                *gid = (gid_t)number;
                gr = getgrgid(*gid);
                snprintf(label, label_size, "%s%sgid %lu%s", gr ? gr->gr_name : "", gr ? " (" : "",
                         number, gr ? ")" : "");
                return true;
        }
        result_set(res, PF_USER_MISSING, "group '%s' does not exist",
                   text_quote(name, q, sizeof(q)));
        result_fix(res, "create it (groupadd, or sysusers.d) or fix the name");
        return false;
}

static void describe_group(gid_t gid, char *buf, size_t size)
{
        struct group *gr = getgrgid(gid);
        if (gr)
                snprintf(buf, size, "%s (gid %u)", gr->gr_name, (unsigned)gid);
        else
                snprintf(buf, size, "gid %u", (unsigned)gid);
}

static void describe_user(uid_t uid, char *buf, size_t size)
{
        struct passwd *pw = getpwuid(uid);
        if (pw)
                snprintf(buf, size, "%s (uid %u)", pw->pw_name, (unsigned)uid);
        else
                snprintf(buf, size, "uid %u", (unsigned)uid);
}

static bool in_supplementary_groups(gid_t gid)
{
        int n = getgroups(0, NULL);
        if (n <= 0)
                return false;
        gid_t *groups = calloc((size_t)n, sizeof(gid_t));
        if (!groups)
                return false;
        bool found = false;
        n = getgroups(n, groups);
        for (int i = 0; i < n && !found; i++)
                found = groups[i] == gid;
        free(groups);
        return found;
}

static bool check_user_name(const char *target, uid_t euid, char *label, size_t label_size,
                            struct check_result *res)
{
        char q[QUOTE_BUF];
        unsigned long number;
        uid_t want;
        struct passwd *pw = getpwnam(target);
        if (pw) {
                want = pw->pw_uid;
        } else if (is_number(target, &number)) {
                want = (uid_t)number;
        } else {
                result_set(res, PF_USER_MISSING, "user '%s' does not exist",
                           text_quote(target, q, sizeof(q)));
                result_fix(res, "create it (useradd, DynamicUser=, or sysusers.d) or fix the name");
                return false;
        }
        describe_user(want, label, label_size);
        if (euid != want) {
                char actual[300];
                describe_user(euid, actual, sizeof(actual));
                result_set(res, PF_USER_WRONG, "running as %s, not %s", actual, label);
                result_fix(res, "set User=%s in the unit", pw ? pw->pw_name : target);
                return false;
        }
        return true;
}

static void user_run(const void *config, const void *parsed, const struct attempt *attempt,
                     struct check_result *res)
{
        (void)attempt;
        const struct user_config *cfg = config;
        const char *target = parsed ? ((const struct user_target *)parsed)->name : NULL;
        uid_t euid = geteuid();
        gid_t egid = getegid();
        char label[300], group_label[300], actual[300];
        size_t used;

        if (target && !check_user_name(target, euid, label, sizeof(label), res))
                return;
        if (!target)
                describe_user(euid, label, sizeof(label));
        if (cfg->not_root && euid == 0) {
                result_set(res, PF_USER_WRONG, "running as root (uid 0)");
                result_fix(res, "set User= (or DynamicUser=yes) in the unit");
                return;
        }
        if (cfg->group) {
                gid_t want;
                if (!lookup_group(cfg->group, &want, group_label, sizeof(group_label), res))
                        return;
                if (egid != want) {
                        describe_group(egid, actual, sizeof(actual));
                        result_set(res, PF_USER_WRONG, "group is %s, not %s", actual, group_label);
                        result_fix(res, "set Group=%s in the unit", cfg->group);
                        return;
                }
        }
        for (unsigned i = 0; i < cfg->n_member; i++) {
                gid_t want;
                if (!lookup_group(cfg->member[i], &want, group_label, sizeof(group_label), res))
                        return;
                if (egid != want && !in_supplementary_groups(want)) {
                        result_set(res, PF_USER_WRONG, "%s is not a member of %s", label,
                                   group_label);
                        result_fix(res, "add SupplementaryGroups=%s to the unit (or usermod -aG)",
                                   cfg->member[i]);
                        return;
                }
        }
        describe_group(egid, actual, sizeof(actual));
        result_set(res, PF_OK, "running as %s, group %s", label, actual);
        used = strlen(res->message);
        if (cfg->n_member > 0 && used < sizeof(res->message))
                snprintf(res->message + used, sizeof(res->message) - used, ", member of %s%s",
                         cfg->member[0], cfg->n_member > 1 ? " and more" : "");
}

/* What completion offers (core/completion.c). */
static const struct check_completion user_completion[] = {
    {NULL, "@user"},
    {NULL, NULL},
};

const struct check check_user = {
    .name = "user",
    .summary = "does this process run as the expected user (and group)?",
    .usage = "[USER|UID] [--group GROUP] [--member GROUP] [--not-root]",
    .help = "Compares the effective user and group of this process (what User= and Group= "
            "of the unit\nset) with the names or numbers given. A name that does not exist "
            "fails with 11.",
    .options = user_options,
    .min_targets = 0,
    .max_targets = 1,
    .timeout_code = PF_USER_WRONG,
    .inverted_code = PF_USER_WRONG,
    .config_size = sizeof(struct user_config),
    .parse_option = user_parse_option,
    .target_size = sizeof(struct user_target),
    .parse_target = user_parse_target,
    .finish = user_finish,
    .run = user_run,
    .completion = user_completion,
};
