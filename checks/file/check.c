/*
 * file: does this path exist as this kind of thing, owned and moded so, usable by the
 * service's user, on a mounted filesystem with room?
 *
 * Each attempt runs on a worker thread that the attempt abandons at its deadline: stat(),
 * statvfs() and realpath() on a path under a hung NFS server block in the kernel, and no
 * timeout of theirs can be set. The thread owns a copy of everything it reads (the options,
 * the path), so an abandoned one touches nothing the caller frees; it frees its job itself.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/file/file.h"
#include "core/clock.h"
#include "core/text.h"
#include "core/worker.h"

enum {
        OPT_TYPE,
        OPT_OWNER,
        OPT_MODE,
        OPT_MODE_MAX,
        OPT_NOT_EMPTY,
        OPT_READABLE,
        OPT_WRITABLE,
        OPT_EXECUTABLE,
        OPT_AS,
        OPT_MOUNTED,
        OPT_FREE,
        OPT_FREE_INODES,
};

static const struct check_option file_options[] = {
    [OPT_TYPE] = {"type", 0, "TYPE",
                  "file, dir, socket, fifo, symlink, block or char (links followed but for "
                  "symlink)"},
    [OPT_OWNER] = {"owner", 0, "USER[:GROUP]", "owned by USER (and group GROUP); :GROUP alone"},
    [OPT_MODE] = {"mode", 0, "MODE", "permission bits exactly MODE (octal: 0640)"},
    [OPT_MODE_MAX] = {"mode-max", 0, "MODE",
                      "no permission beyond MODE, ACL entries counted (0640: others nothing)"},
    [OPT_NOT_EMPTY] = {"not-empty", 0, NULL, "a file with data, a directory with an entry"},
    [OPT_READABLE] = {"readable", 0, NULL, "readable (a directory: listable) by the user"},
    [OPT_WRITABLE] = {"writable", 0, NULL,
                      "writable by the user (a directory: files can be made in it)"},
    [OPT_EXECUTABLE] = {"executable", 0, NULL, "executable by the user (a directory: searchable)"},
    [OPT_AS] = {"as", 0, "USER", "judge --readable/--writable/--executable as USER (root only)"},
    [OPT_MOUNTED] = {"mounted", 0, NULL, "a filesystem's root is mounted at PATH"},
    [OPT_FREE] = {"free", 0, "SIZE|PCT",
                  "at least SIZE (K M G T: powers of 1024) or PCT% free for unprivileged users"},
    [OPT_FREE_INODES] = {"free-inodes", 0, "N", "at least N inodes free for unprivileged users"},
    {NULL, 0, NULL, NULL},
};

static void file_init(void *config)
{
        struct file_config *cfg = config;
        cfg->mode = -1;
        cfg->mode_max = -1;
}

static int parse_owner(struct file_config *cfg, const char *value, struct pf_error *err)
{
        char buf[160];
        const char *user, *group;
        if (!file_split_owner(value, buf, sizeof(buf), &user, &group)) {
                char q[QUOTE_BUF];
                return pf_error_set(err,
                                    "--owner: '%s' is not USER, USER:GROUP or :GROUP (names or "
                                    "numbers)",
                                    text_quote(value, q, sizeof(q)));
        }
        /* Looked up when an attempt runs, as the user check looks its user up. */
        cfg->owner_set = user != NULL;
        cfg->group_set = group != NULL;
        if (user) {
                snprintf(cfg->owner_raw, sizeof(cfg->owner_raw), "%s", user);
                text_quote(user, cfg->owner_name, sizeof(cfg->owner_name));
        }
        if (group) {
                snprintf(cfg->group_raw, sizeof(cfg->group_raw), "%s", group);
                text_quote(group, cfg->group_name, sizeof(cfg->group_name));
        }
        return PF_OK;
}

/* --as USER: looked up when an attempt runs (its uid, gid and supplementary groups). */
static int parse_as(struct file_config *cfg, const char *value, struct pf_error *err)
{
        struct file_user *as = &cfg->as;
        if (!file_valid_name(value)) {
                char q[QUOTE_BUF];
                return pf_error_set(err, "--as: '%s' is not a user name or uid",
                                    text_quote(value, q, sizeof(q)));
        }
        memset(as, 0, sizeof(*as));
        snprintf(as->raw, sizeof(as->raw), "%s", value);
        text_quote(value, as->name, sizeof(as->name));
        as->set = true;
        return PF_OK;
}

/* Whether USER (a name or a number) is the user this process runs as. */
static bool is_self(const char *user)
{
        unsigned long number;
        if (text_parse_ulong(user, 0, 4294967294UL, &number) && number == geteuid())
                return true;
        const struct passwd *pw = getpwuid(geteuid());
        return pw && strcmp(pw->pw_name, user) == 0;
}

static int file_parse_option(void *config, unsigned option, const char *value, struct pf_error *err)
{
        struct file_config *cfg = config;
        char q[QUOTE_BUF];
        switch (option) {
        case OPT_TYPE:
                if (!file_parse_type(value, &cfg->type))
                        return pf_error_set(err,
                                            "--type: '%s' is not file, dir, socket, fifo, symlink, "
                                            "block or char",
                                            text_quote(value, q, sizeof(q)));
                return PF_OK;
        case OPT_OWNER:
                return parse_owner(cfg, value, err);
        case OPT_MODE:
        case OPT_MODE_MAX:
                if (!file_parse_mode(value, option == OPT_MODE ? &cfg->mode : &cfg->mode_max))
                        return pf_error_set(err,
                                            "--%s: '%s' is not an octal mode as chmod takes it "
                                            "(0640, 755, 1777: at most 07777)",
                                            file_options[option].long_name,
                                            text_quote(value, q, sizeof(q)));
                return PF_OK;
        case OPT_NOT_EMPTY:
                cfg->not_empty = true;
                return PF_OK;
        case OPT_READABLE:
                cfg->access |= FILE_READ;
                return PF_OK;
        case OPT_WRITABLE:
                cfg->access |= FILE_WRITE;
                return PF_OK;
        case OPT_EXECUTABLE:
                cfg->access |= FILE_EXEC;
                return PF_OK;
        case OPT_AS:
                return parse_as(cfg, value, err);
        case OPT_MOUNTED:
                cfg->mounted = true;
                return PF_OK;
        case OPT_FREE:
                if (!file_parse_free(value, &cfg->free))
                        return pf_error_set(err,
                                            "--free: '%s' is not a size (5G, 500M: K M G T are "
                                            "powers of 1024) or a percentage 1-100 (10%%)",
                                            text_quote(value, q, sizeof(q)));
                return PF_OK;
        case OPT_FREE_INODES:
                if (!file_parse_count(value, &cfg->free_inodes))
                        return pf_error_set(err, "--free-inodes: '%s' is not a whole number",
                                            text_quote(value, q, sizeof(q)));
                cfg->free_inodes_set = true;
                return PF_OK;
        default:
                return pf_error_set(err, "unknown option");
        }
}

static int file_finish(void *config, unsigned targets, struct pf_error *err)
{
        (void)targets;
        struct file_config *cfg = config;
        if (cfg->mode >= 0 && cfg->mode_max >= 0 && (cfg->mode & ~cfg->mode_max))
                return pf_error_set(err,
                                    "--mode %04o has bits --mode-max %04o refuses: it could "
                                    "never pass",
                                    (unsigned)cfg->mode, (unsigned)cfg->mode_max);
        if (cfg->as.set && !cfg->access)
                return pf_error_set(err, "--as: give --readable, --writable or --executable, "
                                         "what the user must be able to do");
        if (cfg->as.set) {
                if (geteuid() != 0 && !is_self(cfg->as.raw))
                        return pf_error_set(err,
                                            "--as %s: only root can judge as another user (this "
                                            "process runs as uid %u); as the service's own user, "
                                            "leave --as out",
                                            cfg->as.name, (unsigned)geteuid());
        }
        return PF_OK;
}

static int file_parse_target(const void *config, const char *arg, void *target, char *shown,
                             struct pf_error *err)
{
        (void)config;
        struct file_target *t = target;
        if (!*arg)
                return pf_error_set(err, "PATH: an empty path");
        if (strlen(arg) >= sizeof(t->path)) {
                char q[QUOTE_BUF];
                return pf_error_set(err, "PATH '%s': longer than %zu bytes",
                                    text_quote(arg, q, sizeof(q)), sizeof(t->path) - 1);
        }
        memcpy(t->path, arg, strlen(arg) + 1);
        text_quote(arg, shown, TARGET_SHOWN_SIZE);
        return PF_OK;
}

/* ---- one attempt, on a thread the attempt may abandon ---- */

struct file_attempt {
        bool inverted;
        bool verbose;
        bool passed;    /* every condition the thread judged held */
        mode_t st_mode; /* of what the path names */
        /* The thread's own copies: the users cfg names are looked up into it. */
        struct file_config cfg;
        struct file_target target;
        struct check_result res;
};

static void attempt_work(void *data)
{
        struct file_attempt *a = data;
        a->passed =
            file_inspect(&a->cfg, a->target.path, a->inverted, a->verbose, &a->res, &a->st_mode);
}

/* The last step, from this (the main) thread: a child forked from the worker would carry a copy
 * of a thread that is not there. */
static void judge_as_user(const struct file_config *cfg, const struct file_target *target,
                          mode_t st_mode, uint64_t deadline_us, struct check_result *res)
{
        struct check_result as = *res;
        file_access_as_user(cfg, target->path, st_mode, deadline_us, &as);
        if (as.code != PF_OK) {
                *res = as;
                return;
        }
        file_access_summary(cfg, S_ISDIR(st_mode), res->message, sizeof(res->message));
}

static void file_run(const void *config, const void *target, const struct attempt *attempt,
                     struct check_result *res)
{
        /* A small stack (a few path buffers); most attempts take a few microseconds, so the
         * caller yields for up to 200 us before sleeping on the answer, whose wake-up through
         * the scheduler costs more (measured: 0.07 ms of a start-up of 1.2 ms on a loaded
         * 2-core machine). */
        static const struct worker_task inspect = {.work = attempt_work,
                                                   .size = sizeof(struct file_attempt),
                                                   .stack_size = 256 * 1024,
                                                   .spin_us = 200};
        struct file_attempt job = {.inverted = attempt->inverted, .verbose = attempt->verbose};
        memcpy(&job.cfg, config, sizeof(job.cfg));
        memcpy(&job.target, target, sizeof(job.target));
        memcpy(&job.res, res, sizeof(job.res));
        uint64_t started = clock_now_us();
        int error = 0;
        bool as_user = false;
        switch (worker_run(&inspect, &job, attempt->deadline_us, &error)) {
        case WORKER_FAILED:
                result_set(res, PF_INTERNAL, "cannot start a thread: %s", strerror(error));
                break;
        case WORKER_ABANDONED: {
                char span[32];
                clock_format_seconds(clock_now_us() - started, span, sizeof(span));
                result_set(res, PF_FILE_FILESYSTEM,
                           "its filesystem did not answer within %s (a hung network filesystem?)",
                           span);
                result_fix(res, "look at the server of the filesystem the path is on (findmnt "
                                "-T PATH; dmesg for 'server not responding')");
                break;
        }
        case WORKER_DONE:
                memcpy(res, &job.res, sizeof(*res));
                as_user = job.passed && !attempt->inverted && job.cfg.access && job.cfg.as.set &&
                          !job.cfg.as_self;
                break;
        }
        if (as_user)
                judge_as_user(&job.cfg, target, job.st_mode, attempt->deadline_us, res);
}

/* What completion offers (core/completion.c). */
static const struct check_completion file_completion[] = {
    {NULL, "@file"},
    {"type", "file dir socket fifo symlink block char"},
    {"mode", "0600 0640 0644 0700 0750 0755"},
    {"mode-max", "0600 0640 0644 0700 0750 0755"},
    {"free", "100M 1G 5G 10G 5% 10%"},
    {"free-inodes", "10000 100000 1000000"},
    {NULL, NULL},
};

const struct check check_file = {
    .name = "file",
    .summary = "does this path exist as this kind of thing, usable by the service's user, on a "
               "mounted filesystem with room?",
    .usage = "PATH... [--type TYPE] [--owner USER[:GROUP]] [--mode MODE] [--mode-max MODE] "
             "[--readable] [--writable] [--executable] [--as USER] [--mounted] [--free SIZE|PCT] "
             "[--free-inodes N]",
    .help = "100: missing (or empty, with --not-empty); 101: wrong type, owner or mode;\n"
            "102: not usable by the user (read, write, search); 103: not mounted there,\n"
            "read-only, short of space or inodes, or its filesystem did not answer in time.\n"
            "Access is the kernel's answer (ACLs, read-only mounts): access(2), and an open\n"
            "for read and search. --as USER asks it in a child with USER's ids (root only).\n"
            "--invert passes when the path is missing (a stale PID file gone).",
    .options = file_options,
    .min_targets = 1,
    .max_targets = 16,
    .timeout_code = PF_FILE_FILESYSTEM,
    .inverted_code = PF_FILE_MISSING,
    .config_size = sizeof(struct file_config),
    .target_size = sizeof(struct file_target),
    .init = file_init,
    .parse_option = file_parse_option,
    .finish = file_finish,
    .parse_target = file_parse_target,
    .run = file_run,
    .completion = file_completion,
};
