/* One attempt of the file check, on the worker thread: stat, type, owner, mode and ACL,
 * emptiness, access, mount and space, in that order; the first that fails is the answer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "checks/file/file.h"
#include "core/text.h"

static enum file_type type_of(mode_t m)
{
        if (S_ISREG(m))
                return FILE_TYPE_FILE;
        if (S_ISDIR(m))
                return FILE_TYPE_DIR;
        if (S_ISSOCK(m))
                return FILE_TYPE_SOCKET;
        if (S_ISFIFO(m))
                return FILE_TYPE_FIFO;
        if (S_ISLNK(m))
                return FILE_TYPE_SYMLINK;
        if (S_ISBLK(m))
                return FILE_TYPE_BLOCK;
        if (S_ISCHR(m))
                return FILE_TYPE_CHAR;
        return FILE_TYPE_ANY;
}

/* Names from the thread-safe lookups (the caller's thread may be the only one left waiting). */
static void user_name(uid_t uid, char *out, size_t size)
{
        char buf[4096];
        struct passwd pw, *found = NULL;
        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found)
                snprintf(out, size, "%s", found->pw_name);
        else
                snprintf(out, size, "%u", (unsigned)uid);
}

static void group_name(gid_t gid, char *out, size_t size)
{
        char buf[4096];
        struct group gr, *found = NULL;
        if (getgrgid_r(gid, &gr, buf, sizeof(buf), &found) == 0 && found)
                snprintf(out, size, "%s", found->gr_name);
        else
                snprintf(out, size, "%u", (unsigned)gid);
}

__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t size, const char *fmt,
                                                         ...)
{
        size_t at = strlen(buf);
        if (at >= size - 1)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf + at, size - at, fmt, ap);
        va_end(ap);
}

/* A user by name, else by number (a name that looks like a number is tried as a name first, as
 * the user check does). The reentrant lookups: this runs on the worker thread. */
static bool find_user(const char *name, uid_t *uid, gid_t *gid, char *pw_name, size_t size)
{
        char buf[4096];
        struct passwd pw, *found = NULL;
        unsigned long number;
        if (getpwnam_r(name, &pw, buf, sizeof(buf), &found) != 0 || !found) {
                if (!text_parse_ulong(name, 0, 4294967294UL, &number))
                        return false;
                *uid = (uid_t)number;
                *gid = (gid_t)number; /* no entry: its own number as the group */
                pw_name[0] = '\0';
                if (getpwuid_r(*uid, &pw, buf, sizeof(buf), &found) == 0 && found) {
                        *gid = found->pw_gid;
                        snprintf(pw_name, size, "%s", found->pw_name);
                }
                return true;
        }
        *uid = found->pw_uid;
        *gid = found->pw_gid;
        snprintf(pw_name, size, "%s", found->pw_name);
        return true;
}

static bool find_group(const char *name, gid_t *gid)
{
        char buf[4096];
        struct group gr, *found = NULL;
        unsigned long number;
        if (getgrnam_r(name, &gr, buf, sizeof(buf), &found) == 0 && found) {
                *gid = found->gr_gid;
                return true;
        }
        if (!text_parse_ulong(name, 0, 4294967294UL, &number))
                return false;
        *gid = (gid_t)number;
        return true;
}

/* --owner's user and group; false (101) when one does not exist. */
static bool resolve_owner(struct file_config *cfg, struct check_result *res)
{
        char pw_name[256];
        gid_t ignored;
        if (cfg->owner_set &&
            !find_user(cfg->owner_raw, &cfg->owner_uid, &ignored, pw_name, sizeof(pw_name))) {
                result_set(res, PF_FILE_WRONG,
                           "--owner names a user, '%s', that does not exist on "
                           "this host",
                           cfg->owner_name);
                result_fix(res, "create the user (useradd, sysusers.d) or fix --owner");
                return false;
        }
        if (cfg->group_set && !find_group(cfg->group_raw, &cfg->owner_gid)) {
                result_set(res, PF_FILE_WRONG,
                           "--owner names a group, '%s', that does not exist "
                           "on this host",
                           cfg->group_name);
                result_fix(res, "create the group (groupadd, sysusers.d) or fix --owner");
                return false;
        }
        return true;
}

/* --as USER: its uid, gid and supplementary groups (initgroups' list, as systemd gives a unit's
 * User=); false (102) when it does not exist or has more groups than are kept. */
static bool resolve_as(struct file_config *cfg, struct check_result *res)
{
        struct file_user *as = &cfg->as;
        char pw_name[256];
        if (!find_user(as->raw, &as->uid, &as->gid, pw_name, sizeof(pw_name))) {
                result_set(res, PF_FILE_DENIED,
                           "--as names a user, '%s', that does not exist on "
                           "this host",
                           as->name);
                result_fix(res, "create the user (useradd, sysusers.d, DynamicUser= has none "
                                "outside the unit) or fix --as");
                return false;
        }
        as->groups[0] = as->gid;
        as->n_groups = 1;
        if (pw_name[0]) {
                int n = FILE_MAX_GROUPS;
                if (getgrouplist(pw_name, as->gid, as->groups, &n) < 0) {
                        result_set(res, PF_INTERNAL,
                                   "user '%s' is in more than %d groups, more than preflight "
                                   "keeps",
                                   as->name, FILE_MAX_GROUPS);
                        return false;
                }
                as->n_groups = (unsigned)n;
        }
        cfg->as_self = as->uid == geteuid();
        return true;
}

static void explain_missing(const struct file_config *cfg, const char *path, int error,
                            struct check_result *res)
{
        struct stat lst;
        if (cfg->type != FILE_TYPE_SYMLINK && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
                char q[QUOTE_BUF], link[512];
                ssize_t n = readlink(path, link, sizeof(link) - 1);
                link[n > 0 ? n : 0] = '\0';
                result_set(res, PF_FILE_MISSING, "is a symlink to '%s', which does not exist",
                           text_quote(link, q, sizeof(q)));
                result_fix(res, "create what the link points to, or point the link elsewhere "
                                "(ln -sfn TARGET PATH)");
                return;
        }
        result_set(res, PF_FILE_MISSING, "does not exist%s",
                   error == ENOTDIR ? " (a part of the path is not a directory)" : "");
        if (cfg->type == FILE_TYPE_SOCKET)
                result_fix(res, "start the server that creates the socket; --wait waits for it");
        else if (cfg->type == FILE_TYPE_DIR)
                result_fix(res, "create it (install -d -o USER -m 0750 PATH; StateDirectory= or "
                                "tmpfiles.d for a service's own directory)");
        else
                result_fix(res, "create it, or fix the path; --wait waits for it");
}

/* stat(2) that could not: missing, or a directory on the way this process may not search. */
static void explain_stat_error(const struct file_config *cfg, const char *path, int error,
                               struct check_result *res)
{
        char dir[512];
        switch (error) {
        case ENOENT:
        case ENOTDIR:
                explain_missing(cfg, path, error, res);
                return;
        case EACCES:
                file_blocked_dir(path, dir, sizeof(dir));
                if (dir[0]) {
                        char q[QUOTE_BUF];
                        result_set(res, PF_FILE_DENIED,
                                   "this process (uid %u) cannot search '%s', a directory on the "
                                   "way",
                                   (unsigned)geteuid(), text_quote(dir, q, sizeof(q)));
                } else {
                        result_set(res, PF_FILE_DENIED,
                                   "this process (uid %u) may not look it up (permission denied)",
                                   (unsigned)geteuid());
                }
                result_fix(res, "chmod o+x or setfacl -m u:USER:x on that directory, or run the "
                                "check as a user who may");
                return;
        case ELOOP:
                result_set(res, PF_FILE_WRONG, "symlinks loop (or nest too deep) on the way");
                result_fix(res, "fix the links (namei -l PATH shows each step)");
                return;
        default:
                result_set(res, PF_INTERNAL, "stat: %s", strerror(error));
        }
}

static bool check_type(const struct file_config *cfg, const struct stat *st,
                       struct check_result *res)
{
        enum file_type is = type_of(st->st_mode);
        if (cfg->type == FILE_TYPE_ANY || is == cfg->type)
                return true;
        result_set(res, PF_FILE_WRONG, "is a %s, not a %s", file_type_name(is),
                   file_type_name(cfg->type));
        if (cfg->type == FILE_TYPE_SOCKET)
                result_fix(res, "something else holds the socket's path: remove it and restart the "
                                "server");
        else
                result_fix(res, "remove what is there and create a %s, or fix the path",
                           file_type_name(cfg->type));
        return false;
}

static bool check_owner(const struct file_config *cfg, const char *path, const struct stat *st,
                        struct check_result *res)
{
        bool user_ok = !cfg->owner_set || st->st_uid == cfg->owner_uid;
        bool group_ok = !cfg->group_set || st->st_gid == cfg->owner_gid;
        if (user_ok && group_ok)
                return true;
        char u[64], g[64], want[2 * QUOTE_BUF];
        user_name(st->st_uid, u, sizeof(u));
        group_name(st->st_gid, g, sizeof(g));
        snprintf(want, sizeof(want), "%s%s%s", cfg->owner_set ? cfg->owner_name : "",
                 cfg->group_set ? ":" : "", cfg->group_set ? cfg->group_name : "");
        result_set(res, PF_FILE_WRONG, "owned by %s:%s (%u:%u), not %s", u, g, (unsigned)st->st_uid,
                   (unsigned)st->st_gid, want);
        char q[QUOTE_BUF];
        result_fix(res, "chown %s %s (or the user and group of the tmpfiles.d line that makes it)",
                   want, text_quote(path, q, sizeof(q)));
        return false;
}

static bool check_mode(const struct file_config *cfg, const char *path, const struct stat *st,
                       struct check_result *res)
{
        unsigned mode = st->st_mode & 07777;
        char q[QUOTE_BUF];
        text_quote(path, q, sizeof(q));
        if (cfg->mode >= 0 && mode != (unsigned)cfg->mode) {
                result_set(res, PF_FILE_WRONG, "mode %04o, not %04o", mode, (unsigned)cfg->mode);
                result_fix(res, "chmod %04o %s", (unsigned)cfg->mode, q);
                return false;
        }
        if (cfg->mode_max < 0)
                return true;
        unsigned beyond = mode & ~(unsigned)cfg->mode_max;
        if (beyond) {
                static const char *const whom[] = {"others", "the group", "the owner"};
                const char *who = "the mode's special bits";
                for (int i = 0; i < 3; i++)
                        if (beyond & (7u << (3 * i)))
                                who = whom[i]; /* the widest class, which matters most */
                result_set(res, PF_FILE_WRONG, "mode %04o gives more than %04o allows (%04o: %s)",
                           mode, (unsigned)cfg->mode_max, beyond, who);
                result_fix(res, "chmod %04o %s", mode & (unsigned)cfg->mode_max, q);
                return false;
        }
        return file_acl_judge(path, cfg->mode_max, st->st_mode, res) == PF_OK;
}

/* --not-empty: a regular file with bytes, a directory with an entry; other types have no
 * content to judge. */
static bool check_not_empty(const char *path, const struct stat *st, struct check_result *res)
{
        if (S_ISREG(st->st_mode)) {
                if (st->st_size > 0)
                        return true;
                result_set(res, PF_FILE_MISSING, "exists but is empty");
                result_fix(res, "whatever writes it has not yet (--wait waits for it)");
                return false;
        }
        if (!S_ISDIR(st->st_mode))
                return true;
        DIR *d = opendir(path);
        if (!d) {
                result_set(res, PF_FILE_DENIED, "cannot list the directory: %s", strerror(errno));
                result_fix(res, "let the user preflight runs as read it (chmod, setfacl), or run "
                                "the check as root");
                return false;
        }
        const struct dirent *e;
        bool any = false;
        while (!any && (e = readdir(d)) != NULL)
                any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
        closedir(d);
        if (any)
                return true;
        result_set(res, PF_FILE_MISSING, "is an empty directory");
        result_fix(res, "whatever fills it has not yet (--wait waits for it)");
        return false;
}

void file_blocked_dir(const char *path, char *dir, size_t size)
{
        char prefix[PATH_MAX];
        size_t len = strlen(path);
        dir[0] = '\0';
        if (len >= sizeof(prefix))
                return;
        /* Every directory before the last component: "/", "/a", "/a/b" of "/a/b/c". */
        for (size_t i = 0; i < len; i++) {
                if (path[i] != '/' || (i > 0 && path[i - 1] == '/'))
                        continue;
                size_t plen = i == 0 ? 1 : i;
                memcpy(prefix, path, plen);
                prefix[plen] = '\0';
                if (faccessat(AT_FDCWD, prefix, X_OK, AT_EACCESS) != 0 && errno == EACCES) {
                        size_t n = plen < size - 1 ? plen : size - 1;
                        memcpy(dir, prefix, n);
                        dir[n] = '\0';
                        return;
                }
        }
}

void file_access_ask(const char *path, mode_t st_mode, unsigned want,
                     struct file_access_answer *out)
{
        static const unsigned order[] = {FILE_READ, FILE_WRITE, FILE_EXEC};
        memset(out, 0, sizeof(*out));
        bool dir = S_ISDIR(st_mode);
        for (size_t i = 0; i < 3; i++) {
                unsigned what = order[i];
                if (!(want & what))
                        continue;
                int flags = what == FILE_READ ? R_OK : what == FILE_WRITE ? W_OK : X_OK;
                /* Making a file in a directory takes write and search. */
                if (dir && what == FILE_WRITE)
                        flags |= X_OK;
                out->what = what;
                if (faccessat(AT_FDCWD, path, flags, AT_EACCESS) != 0) {
                        out->error = errno;
                        if (out->error == EACCES)
                                file_blocked_dir(path, out->dir, sizeof(out->dir));
                        return;
                }
                /* access(2) does not ask a security module that decides at open (AppArmor,
                 * Landlock); opening does. Only where opening changes nothing: a regular file
                 * or a directory for reading, a directory's "." for a search. */
                int fd = -1;
                if (what == FILE_READ && (dir || S_ISREG(st_mode)))
                        fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
                else if (what == FILE_EXEC && dir) {
                        char dot[PATH_MAX];
                        if ((size_t)snprintf(dot, sizeof(dot), "%s/.", path) >= sizeof(dot))
                                continue;
                        fd = open(dot, O_PATH | O_DIRECTORY | O_CLOEXEC);
                } else {
                        continue;
                }
                if (fd < 0) {
                        out->error = errno;
                        out->at_open = true;
                        return;
                }
                close(fd);
        }
        out->what = 0;
}

static const char *access_word(unsigned what, bool dir)
{
        switch (what) {
        case FILE_READ:
                return dir ? "listable" : "readable";
        case FILE_WRITE:
                return "writable";
        default:
                return dir ? "searchable" : "executable";
        }
}

static const char *perm_letters(unsigned what, bool dir)
{
        if (what == FILE_READ)
                return dir ? "rx" : "r";
        if (what == FILE_WRITE)
                return dir ? "wx" : "w";
        return "x";
}

void file_access_verdict(const struct file_config *cfg, const char *path, mode_t st_mode,
                         const struct file_access_answer *a, const char *who,
                         struct check_result *res)
{
        char q[QUOTE_BUF];
        bool dir = S_ISDIR(st_mode);
        if (a->error == 0)
                return;
        if (a->error == EROFS) {
                file_explain_read_only(path, who, res);
                return;
        }
        if (a->error == ENOENT || a->error == ENOTDIR) {
                result_set(res, PF_FILE_MISSING, "does not exist for %s", who);
                result_fix(res, "create it, or fix the path; --wait waits for it");
                return;
        }
        if (a->error != EACCES && a->error != EPERM) {
                result_set(res, PF_INTERNAL, "asking whether %s may use it: %s", who,
                           strerror(a->error));
                return;
        }
        const char *user = cfg->as.set && !cfg->as_self ? cfg->as.name : "USER";
        if (a->dir[0]) {
                result_set(res, PF_FILE_DENIED, "%s cannot search '%s', a directory on the way",
                           who, text_quote(a->dir, q, sizeof(q)));
                result_fix(res, "setfacl -m u:%s:x %s (or chmod o+x it)", user, q);
                return;
        }
        if (a->at_open) {
                result_set(res, PF_FILE_DENIED,
                           "not %s by %s: the mode and ACL allow it, but opening it is refused "
                           "(%s): a security module (AppArmor, SELinux, Landlock)?",
                           access_word(a->what, dir), who, strerror(a->error));
                result_fix(res, "look at the profile confining the service (aa-status; journalctl "
                                "-k | grep DENIED)");
                return;
        }
        result_set(res, PF_FILE_DENIED, "not %s by %s%s", access_word(a->what, dir), who,
                   dir && a->what == FILE_WRITE ? " (files cannot be made in it)" : "");
        result_fix(res, "setfacl -m u:%s:%s %s, or chown/chmod it so that %s may", user,
                   perm_letters(a->what, dir), text_quote(path, q, sizeof(q)), user);
}

void file_access_self(const struct file_config *cfg, const char *path, mode_t st_mode,
                      struct check_result *res)
{
        struct file_access_answer a;
        char who[64];
        file_access_ask(path, st_mode, cfg->access, &a);
        snprintf(who, sizeof(who), "this process (uid %u)", (unsigned)geteuid());
        file_access_verdict(cfg, path, st_mode, &a, who, res);
}

void file_access_summary(const struct file_config *cfg, bool dir, char *buf, size_t size)
{
        static const unsigned order[] = {FILE_READ, FILE_WRITE, FILE_EXEC};
        const char *sep = "; ";
        for (size_t i = 0; i < 3; i++) {
                if (!(cfg->access & order[i]))
                        continue;
                const char *w = access_word(order[i], dir);
                append(buf, size, "%s%s", sep, w);
                sep = ", ";
        }
        if (cfg->as.set)
                append(buf, size, " by %s", cfg->as.name);
}

bool file_inspect(struct file_config *cfg, const char *path, bool inverted, bool verbose,
                  struct check_result *res, mode_t *type_out)
{
        struct stat st;
        int r = cfg->type == FILE_TYPE_SYMLINK ? lstat(path, &st) : stat(path, &st);
        *type_out = 0;
        if (r != 0) {
                explain_stat_error(cfg, path, errno, res);
                return false;
        }
        *type_out = st.st_mode;
        char u[QUOTE_BUF], g[QUOTE_BUF], summary[768];
        /* Names known from the options cost nothing; any other costs a lookup in the name
         * service (/etc/passwd, /etc/group, or further), which a passing line does without. */
        if (cfg->owner_set && st.st_uid == cfg->owner_uid)
                snprintf(u, sizeof(u), "%s", cfg->owner_name);
        else if (verbose || inverted)
                user_name(st.st_uid, u, sizeof(u));
        else
                snprintf(u, sizeof(u), "%u", (unsigned)st.st_uid);
        if (cfg->group_set && st.st_gid == cfg->owner_gid)
                snprintf(g, sizeof(g), "%s", cfg->group_name);
        else if (verbose || inverted)
                group_name(st.st_gid, g, sizeof(g));
        else
                snprintf(g, sizeof(g), "%u", (unsigned)st.st_gid);
        snprintf(summary, sizeof(summary), "%s, %s:%s %04o", file_type_name(type_of(st.st_mode)), u,
                 g, (unsigned)(st.st_mode & 07777));
        if (inverted) {
                /* Only whether it is there matters: an inverted line waits for it to go. */
                result_set(res, PF_OK, "exists (%s)", summary);
                result_fix(res, "remove it if nothing uses it (a PID file whose process is gone)");
                return true;
        }
        if (!check_type(cfg, &st, res) || !resolve_owner(cfg, res) ||
            !check_owner(cfg, path, &st, res) || !check_mode(cfg, path, &st, res) ||
            (cfg->not_empty && !check_not_empty(path, &st, res)))
                return false;
        /* Access as another user is asked last, by the caller: its child is forked from the
         * main thread, not from this one. */
        if (cfg->access && cfg->as.set && !resolve_as(cfg, res))
                return false;
        if (cfg->access && !(cfg->as.set && !cfg->as_self)) {
                file_access_self(cfg, path, st.st_mode, res);
                if (res->code != PF_OK)
                        return false;
                file_access_summary(cfg, S_ISDIR(st.st_mode), summary, sizeof(summary));
        }
        char part[256] = "";
        if (cfg->mounted) {
                file_check_mounted(path, res, part, sizeof(part));
                if (res->code != PF_OK)
                        return false;
                append(summary, sizeof(summary), "; mounted (%s)", part);
        }
        if (cfg->free.set || cfg->free_inodes_set) {
                part[0] = '\0';
                file_check_space(cfg, path, res, part, sizeof(part));
                if (res->code != PF_OK)
                        return false;
                append(summary, sizeof(summary), "; %s", part);
        }
        result_set(res, PF_OK, "%s", summary);
        return true;
}
