/* cap: does this process (or this file) hold these capabilities? */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>

#include "core/check.h"
#include "core/text.h"

enum { OPT_SET, OPT_FILE };

static const struct check_option cap_options[] = {
    [OPT_SET] = {"set", 's', "SET",
                 "effective (default), permitted, inheritable, ambient or bounding"},
    [OPT_FILE] = {"file", 'f', "PATH",
                  "check the file capabilities of PATH (what setcap set) instead"},
    {NULL, 0, NULL, NULL},
};

enum cap_set { SET_EFFECTIVE, SET_PERMITTED, SET_INHERITABLE, SET_AMBIENT, SET_BOUNDING };

static const char *const set_names[] = {
    [SET_EFFECTIVE] = "effective", [SET_PERMITTED] = "permitted", [SET_INHERITABLE] = "inheritable",
    [SET_AMBIENT] = "ambient",     [SET_BOUNDING] = "bounding",
};

struct cap_config {
        enum cap_set set;
        const char *file;
};

#define CAP_NAME_MAX 64

/*
 * Reads a capability name as libcap spells it, in any case, with or without "cap_". On success
 * canonical gets "CAP_NET_BIND_SERVICE". libcap alone would take "12" or "cap_chown,x", so the
 * characters are checked here first.
 */
static int parse_cap_name(const char *text, cap_value_t *value, char *canonical,
                          size_t canonical_size, struct pf_error *err)
{
        char q[QUOTE_BUF], name[CAP_NAME_MAX + 8];
        size_t len = strlen(text);
        bool has_letter = false;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)text[i];
                if (!isalnum(c) && c != '_' && c != '-')
                        return pf_error_set(err,
                                            "'%s' is not a capability name (letters, digits "
                                            "and '_', as net_bind_service)",
                                            text_quote(text, q, sizeof(q)));
                has_letter |= isalpha(c) != 0;
        }
        if (len == 0 || len > CAP_NAME_MAX || !has_letter)
                return pf_error_set(err,
                                    "'%s' is not a capability name (as net_bind_service; see "
                                    "capabilities(7))",
                                    text_quote(text, q, sizeof(q)));
        /* Dashes are a common slip ("net-bind-service"): look the name up with underscores
         * and, when that is one, say what was meant. */
        char spelled[CAP_NAME_MAX + 1];
        bool had_dash = false;
        for (size_t i = 0; i <= len; i++) {
                had_dash |= text[i] == '-';
                spelled[i] = text[i] == '-' ? '_' : (char)tolower((unsigned char)text[i]);
        }
        bool prefixed = len > 4 && strncmp(spelled, "cap_", 4) == 0;
        snprintf(name, sizeof(name), "%s%s", prefixed ? "" : "cap_", spelled);
        bool known = cap_from_name(name, value) == 0;
        if (had_dash && known)
                return pf_error_set(err, "'%s' is not a capability name; did you mean '%s'?",
                                    text_quote(text, q, sizeof(q)), name + 4);
        if (had_dash)
                return pf_error_set(err, "'%s' is not a capability name (see capabilities(7))",
                                    text_quote(text, q, sizeof(q)));
        if (!known)
                return pf_error_set(err,
                                    "'%s' is not a capability this system knows (see "
                                    "capabilities(7))",
                                    text_quote(text, q, sizeof(q)));
        size_t i = 0;
        for (; name[i] && i + 1 < canonical_size; i++)
                canonical[i] = (char)toupper((unsigned char)name[i]);
        if (canonical_size)
                canonical[i] = '\0';
        return PF_OK;
}

static bool is_process_only(enum cap_set set)
{
        return set == SET_AMBIENT || set == SET_BOUNDING;
}

static int cap_parse_option(void *config, unsigned option, const char *value, struct pf_error *err)
{
        struct cap_config *cfg = config;
        char q[QUOTE_BUF];
        switch (option) {
        case OPT_SET:
                for (size_t i = 0; i < sizeof(set_names) / sizeof(set_names[0]); i++) {
                        if (text_equal_nocase(value, set_names[i])) {
                                cfg->set = (enum cap_set)i;
                                return PF_OK;
                        }
                }
                return pf_error_set(err,
                                    "--set: '%s' is not a capability set (effective, permitted, "
                                    "inheritable, ambient or bounding)",
                                    text_quote_hiding_userinfo(value, q, sizeof(q)));
        case OPT_FILE:
                if (!*value)
                        return pf_error_set(err, "--file: an empty path");
                cfg->file = value;
                return PF_OK;
        }
        return pf_error_set(err, "unknown option");
}

/* One CAPABILITY argument: libcap's number and the name as capabilities(7) spells it. */
struct cap_target {
        cap_value_t value;
        char name[CAP_NAME_MAX + 8];
};

static int cap_parse_target(const void *config, const char *arg, void *target, char *shown,
                            struct pf_error *err)
{
        (void)config;
        struct cap_target *t = target;
        int r = parse_cap_name(arg, &t->value, t->name, sizeof(t->name), err);
        if (r == PF_OK)
                snprintf(shown, TARGET_SHOWN_SIZE, "%s", t->name);
        return r;
}

/* The file must exist now: a path that names nothing is a mistake in the unit, not a missing
 * capability. */
static int file_usage_error(const char *path, int error, struct pf_error *err)
{
        char q[QUOTE_BUF];
        return pf_error_set(err, "--file: '%s': %s", text_quote(path, q, sizeof(q)),
                            strerror(error));
}

static int cap_finish(void *config, unsigned targets, struct pf_error *err)
{
        (void)targets;
        const struct cap_config *cfg = config;
        struct stat st;
        if (cfg->file && is_process_only(cfg->set))
                return pf_error_set(err,
                                    "--set %s is a set of processes only; a file has permitted, "
                                    "inheritable and effective",
                                    set_names[cfg->set]);
        if (cfg->file && stat(cfg->file, &st) != 0)
                return file_usage_error(cfg->file, errno, err);
        return PF_OK;
}

/* Whether the process holds value in set; -1 with errno when the kernel cannot say. */
static int process_has(enum cap_set set, cap_value_t value)
{
        if (set == SET_AMBIENT)
                return cap_get_ambient(value);
        if (set == SET_BOUNDING)
                return cap_get_bound(value);
        cap_t caps = cap_get_proc();
        if (!caps)
                return -1;
        cap_flag_value_t flag = CAP_CLEAR;
        cap_flag_t which = set == SET_EFFECTIVE   ? CAP_EFFECTIVE
                           : set == SET_PERMITTED ? CAP_PERMITTED
                                                  : CAP_INHERITABLE;
        int r = cap_get_flag(caps, value, which, &flag);
        int saved = errno;
        cap_free(caps);
        errno = saved;
        return r != 0 ? -1 : flag == CAP_SET;
}

static void run_process(const struct cap_config *cfg, cap_value_t value, const char *name,
                        struct check_result *res)
{
        int has = process_has(cfg->set, value);
        if (has < 0) {
                result_set(res, PF_INTERNAL, "cannot read the %s set: %s", set_names[cfg->set],
                           strerror(errno));
                return;
        }
        if (has) {
                result_set(res, PF_OK, "in the %s set", set_names[cfg->set]);
                return;
        }
        result_set(res, PF_CAP_MISSING, "missing from the %s set of this process",
                   set_names[cfg->set]);
        if (cfg->set == SET_BOUNDING) {
                result_fix(res,
                           "the bounding set can only shrink: CapabilityBoundingSet= of the unit "
                           "(or the container) must allow %s",
                           name);
                return;
        }
        result_fix(res,
                   "add AmbientCapabilities=%s to the unit (CapabilityBoundingSet=, if set, must "
                   "allow it)",
                   name);
        /* Permitted but not effective: the program could raise it itself; say so. */
        if (cfg->set == SET_EFFECTIVE && process_has(SET_PERMITTED, value) == 1)
                result_detail(res, "%s is in the permitted set: the program may raise it itself",
                              name);
        else if (process_has(SET_BOUNDING, value) == 0) /* (the bounding set returned above) */
                result_detail(res,
                              "%s is not in the bounding set either, so no unit setting "
                              "below this process can grant it",
                              name);
}

/* PATH as it can be pasted into a shell: bare when it is plain, in single quotes otherwise. */
static const char *shell_path(const char *path, char *buf, size_t size)
{
        bool plain = *path != '\0';
        for (const char *c = path; *c && plain; c++)
                plain = isalnum((unsigned char)*c) || strchr("/._+-,:@%", *c);
        if (plain) { /* nothing to escape: the whole path, however long */
                snprintf(buf, size, "%s", path);
        } else {
                char q[QUOTE_BUF];
                snprintf(buf, size, "'%s'", text_quote(path, q, sizeof(q)));
        }
        return buf;
}

static void lower_name(const char *name, char *buf, size_t size)
{
        size_t i = 0;
        for (; name[i] && i + 1 < size; i++)
                buf[i] = (char)tolower((unsigned char)name[i]);
        if (size)
                buf[i] = '\0';
}

static void run_file(const struct cap_config *cfg, cap_value_t value, const char *name,
                     struct check_result *res)
{
        char q[QUOTE_BUF], shell[sizeof(res->fix)], lower[CAP_NAME_MAX + 8];
        const char *path = text_quote(cfg->file, q, sizeof(q));
        const char *fix_path = shell_path(cfg->file, shell, sizeof(shell));
        const char *set = set_names[cfg->set];
        lower_name(name, lower, sizeof(lower));
        cap_t caps = cap_get_file(cfg->file);
        if (!caps) {
                int error = errno;
                if (error == ENODATA) {
                        result_set(res, PF_CAP_MISSING, "'%s' has no file capabilities", path);
                        result_fix(res, "setcap %s=+ep %s", lower, fix_path);
                } else if (error == ENOTSUP) {
                        result_set(res, PF_CAP_MISSING,
                                   "'%s' is on a file system without file capabilities", path);
                        result_fix(res, "move it to a file system with extended attributes, or "
                                        "give the capability with AmbientCapabilities= instead");
                } else {
                        /* The file went away or became unreadable after the options were
                         * checked: still a problem with the argument. */
                        result_set(res, PF_USAGE, "--file: '%s': %s", path, strerror(error));
                }
                return;
        }
        cap_flag_value_t flag = CAP_CLEAR, permitted = CAP_CLEAR;
        cap_flag_t which = cfg->set == SET_EFFECTIVE   ? CAP_EFFECTIVE
                           : cfg->set == SET_PERMITTED ? CAP_PERMITTED
                                                       : CAP_INHERITABLE;
        int r = cap_get_flag(caps, value, which, &flag);
        if (r == 0)
                r = cap_get_flag(caps, value, CAP_PERMITTED, &permitted);
        int error = errno;
        cap_free(caps);
        if (r != 0) {
                result_set(res, PF_INTERNAL, "cannot read the capabilities of '%s': %s", path,
                           strerror(error));
                return;
        }
        if (flag == CAP_SET) {
                result_set(res, PF_OK, "in the %s set of '%s'", set, path);
                return;
        }
        result_set(res, PF_CAP_MISSING, "missing from the %s set of '%s'", set, path);
        if (cfg->set == SET_INHERITABLE)
                result_fix(res, "setcap %s=+ei %s", lower, fix_path);
        else
                result_fix(res, "setcap %s=+ep %s", lower, fix_path);
        if (cfg->set == SET_EFFECTIVE && permitted == CAP_SET)
                result_detail(res,
                              "%s is permitted but the file's effective bit is off: fine "
                              "for a program that raises it itself (--set permitted)",
                              name);
}

static void cap_run(const void *config, const void *target, const struct attempt *attempt,
                    struct check_result *res)
{
        (void)attempt;
        const struct cap_config *cfg = config;
        const struct cap_target *t = target;
        cap_value_t value = t->value;
        const char *name = t->name;
        /* libcap may know capabilities that this (older) kernel does not. */
        if (value >= cap_max_bits()) {
                result_set(res, PF_CAP_MISSING, "not known to this kernel (it has %d capabilities)",
                           (int)cap_max_bits());
                result_fix(res, "a newer kernel is needed for %s", name);
                return;
        }
        if (cfg->file)
                run_file(cfg, value, name, res);
        else
                run_process(cfg, value, name, res);
}

/* What completion offers (core/completion.c). */
static const struct check_completion cap_completion[] = {
    /* both spellings, as capabilities(7) lists them */
    {NULL, "chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap "
           "linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock "
           "ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin "
           "sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write "
           "audit_control setfcap mac_override mac_admin syslog wake_alarm block_suspend "
           "audit_read perfmon bpf checkpoint_restore cap_chown cap_dac_override "
           "cap_dac_read_search cap_fowner cap_fsetid cap_kill cap_setgid cap_setuid "
           "cap_setpcap cap_linux_immutable cap_net_bind_service cap_net_broadcast "
           "cap_net_admin cap_net_raw cap_ipc_lock cap_ipc_owner cap_sys_module "
           "cap_sys_rawio cap_sys_chroot cap_sys_ptrace cap_sys_pacct cap_sys_admin "
           "cap_sys_boot cap_sys_nice cap_sys_resource cap_sys_time cap_sys_tty_config "
           "cap_mknod cap_lease cap_audit_write cap_audit_control cap_setfcap "
           "cap_mac_override cap_mac_admin cap_syslog cap_wake_alarm cap_block_suspend "
           "cap_audit_read cap_perfmon cap_bpf cap_checkpoint_restore"},
    {"set", "effective permitted inheritable ambient bounding"},
    {NULL, NULL},
};

const struct check check_cap = {
    .name = "cap",
    .summary = "does this process (or this file) hold these capabilities?",
    .usage = "CAPABILITY... [--set SET] [--file PATH]",
    .help = "Each CAPABILITY is a name as in capabilities(7), in any case, with or without "
            "cap_:\nnet_bind_service, CAP_NET_BIND_SERVICE. Checks the effective set of "
            "this process\nunless --set names another; with --file, the capabilities setcap "
            "gave PATH\n(effective: permitted with the effective bit, as +ep sets). A "
            "missing capability\nfails with 30 and says how to grant it.",
    .options = cap_options,
    .min_targets = 1,
    .max_targets = 64,
    .timeout_code = PF_CAP_MISSING,
    .inverted_code = PF_CAP_MISSING,
    .config_size = sizeof(struct cap_config),
    .parse_option = cap_parse_option,
    .target_size = sizeof(struct cap_target),
    .parse_target = cap_parse_target,
    .finish = cap_finish,
    .run = cap_run,
    .completion = cap_completion,
};
