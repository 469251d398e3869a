/*
 * --mounted reads /proc/self/mountinfo (this process's mount namespace: a unit's own, with
 * its ReadWritePaths= and ProtectSystem= mounts); --free and --free-inodes ask statvfs().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "checks/file/file.h"
#include "core/text.h"

struct mount_entry {
        char root[512];        /* the directory of the filesystem mounted: "/" for its root */
        char mount_point[512]; /* canonical, unescaped */
        char fstype[64];
        char source[256];
        bool read_only;    /* this mount (MS_RDONLY on the mount itself) */
        bool sb_read_only; /* the filesystem (its superblock) */
};

/* mountinfo escapes blanks, tabs, newlines and backslashes as \ooo. */
static void unescape(const char *in, size_t len, char *out, size_t size)
{
        size_t o = 0;
        for (size_t i = 0; i < len && o + 1 < size; i++) {
                if (in[i] == '\\' && i + 3 < len && in[i + 1] >= '0' && in[i + 1] <= '3' &&
                    in[i + 2] >= '0' && in[i + 2] <= '7' && in[i + 3] >= '0' && in[i + 3] <= '7') {
                        out[o++] = (char)((in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 +
                                          (in[i + 3] - '0'));
                        i += 3;
                } else {
                        out[o++] = in[i];
                }
        }
        out[o] = '\0';
}

static bool has_option(const char *opts, size_t len, const char *word)
{
        size_t wl = strlen(word);
        const char *p = opts, *end = opts + len;
        while (p < end) {
                const char *comma = memchr(p, ',', (size_t)(end - p));
                size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);
                if (n == wl && memcmp(p, word, wl) == 0)
                        return true;
                p += n + 1;
        }
        return false;
}

/* One line: ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTS */
static bool parse_line(char *line, struct mount_entry *e)
{
        char *field[6];
        char *p = line;
        for (int i = 0; i < 6; i++) {
                field[i] = p;
                p = strchr(p, ' ');
                if (!p)
                        return false;
                *p++ = '\0';
        }
        char *dash = strstr(p, " - ");
        if (!dash && strncmp(p, "- ", 2) == 0)
                dash = p - 1;
        if (!dash)
                return false;
        char *rest = dash + 3;
        char *fstype = rest, *source = strchr(fstype, ' ');
        if (!source)
                return false;
        *source++ = '\0';
        char *super = strchr(source, ' ');
        if (!super)
                return false;
        *super++ = '\0';
        super[strcspn(super, "\n")] = '\0';
        unescape(field[3], strlen(field[3]), e->root, sizeof(e->root));
        unescape(field[4], strlen(field[4]), e->mount_point, sizeof(e->mount_point));
        snprintf(e->fstype, sizeof(e->fstype), "%s", fstype);
        unescape(source, strlen(source), e->source, sizeof(e->source));
        e->read_only = has_option(field[5], strlen(field[5]), "ro");
        e->sb_read_only = has_option(super, strlen(super), "ro");
        return true;
}

static bool covers(const char *mount_point, const char *path)
{
        size_t n = strlen(mount_point);
        if (strcmp(mount_point, "/") == 0)
                return true;
        return strncmp(mount_point, path, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/*
 * The mount at canon itself (exact) or the one whose mount point is the longest prefix of it;
 * of several at one point the last, which is on top. Returns 1 when found, 0 when not, -errno
 * when mountinfo cannot be read.
 */
static int find_mount(const char *canon, bool exact, struct mount_entry *out)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        char *line = NULL;
        size_t cap = 0;
        size_t best = 0;
        int found = 0;
        struct mount_entry e;
        while (getline(&line, &cap, f) > 0) {
                if (!parse_line(line, &e))
                        continue;
                bool match =
                    exact ? strcmp(e.mount_point, canon) == 0 : covers(e.mount_point, canon);
                size_t len = strlen(e.mount_point);
                if (match && len >= best) {
                        best = len;
                        *out = e;
                        found = 1;
                }
        }
        free(line);
        fclose(f);
        return found;
}

void file_check_mounted(const char *path, struct check_result *res, char *summary, size_t size)
{
        char canon[PATH_MAX], q[QUOTE_BUF], s[QUOTE_BUF];
        if (!realpath(path, canon)) {
                result_set(res, PF_INTERNAL, "realpath: %s", strerror(errno));
                return;
        }
        struct mount_entry e;
        int found = find_mount(canon, true, &e);
        if (found < 0) {
                result_set(res, PF_INTERNAL, "cannot read /proc/self/mountinfo: %s",
                           strerror(-found));
                return;
        }
        text_quote(canon, q, sizeof(q));
        if (found == 0) {
                if (find_mount(canon, false, &e) > 0) {
                        char m[QUOTE_BUF];
                        result_set(res, PF_FILE_FILESYSTEM,
                                   "is not a mount point: a directory of the filesystem mounted "
                                   "at '%s' (%s %s)",
                                   text_quote(e.mount_point, m, sizeof(m)), e.fstype,
                                   text_quote(e.source, s, sizeof(s)));
                } else {
                        result_set(res, PF_FILE_FILESYSTEM, "is not a mount point");
                }
                result_fix(res,
                           "mount the volume at %s (a mount unit or an /etc/fstab line) and "
                           "give the service RequiresMountsFor=%s",
                           q, q);
                return;
        }
        if (strcmp(e.root, "/") != 0) {
                char r[QUOTE_BUF];
                result_set(res, PF_FILE_FILESYSTEM,
                           "is a bind mount of the directory '%s' of %s (%s), not a "
                           "filesystem's root: the volume itself is not mounted there",
                           text_quote(e.root, r, sizeof(r)), text_quote(e.source, s, sizeof(s)),
                           e.fstype);
                result_fix(res,
                           "mount the volume at %s before the service starts "
                           "(RequiresMountsFor=%s); ReadWritePaths= and BindPaths= bind "
                           "whatever directory is there",
                           q, q);
                return;
        }
        snprintf(summary, size, "%s %s", e.fstype, text_quote(e.source, s, sizeof(s)));
}

void file_explain_read_only(const char *path, const char *who, struct check_result *res)
{
        char canon[PATH_MAX], q[QUOTE_BUF], m[QUOTE_BUF];
        struct mount_entry e;
        text_quote(path, q, sizeof(q));
        if (!realpath(path, canon) || find_mount(canon, false, &e) <= 0) {
                result_set(res, PF_FILE_FILESYSTEM, "not writable by %s: a read-only filesystem",
                           who);
                result_fix(res,
                           "add %s to ReadWritePaths= in the unit (ProtectSystem=strict), or "
                           "remount the filesystem read-write",
                           q);
                return;
        }
        text_quote(e.mount_point, m, sizeof(m));
        if (e.read_only && !e.sb_read_only) {
                /* The filesystem is writable; this mount of it is not: what ProtectSystem=,
                 * ReadOnlyPaths= or a read-only bind make. */
                result_set(res, PF_FILE_FILESYSTEM,
                           "not writable by %s: it is on a read-only mount at '%s' of a "
                           "writable %s filesystem (ProtectSystem=strict or ReadOnlyPaths= in "
                           "the unit?)",
                           who, m, e.fstype);
                result_fix(res,
                           "add %s to ReadWritePaths= in the unit (ProtectSystem=strict "
                           "makes everything else read-only)",
                           q);
                return;
        }
        result_set(res, PF_FILE_FILESYSTEM,
                   "not writable by %s: the %s filesystem at '%s' is mounted read-only", who,
                   e.fstype, m);
        result_fix(res,
                   "mount -o remount,rw %s (and its /etc/fstab line); a filesystem that "
                   "hit errors goes read-only: look at dmesg",
                   m);
}

void file_check_space(const struct file_config *cfg, const char *path, struct check_result *res,
                      char *summary, size_t size)
{
        struct statvfs vfs;
        if (statvfs(path, &vfs) != 0) {
                result_set(res, PF_INTERNAL, "statvfs: %s", strerror(errno));
                return;
        }
        unsigned long long frsize = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
        unsigned long long avail = (unsigned long long)vfs.f_bavail * frsize;
        unsigned long long total = (unsigned long long)vfs.f_blocks * frsize;
        unsigned pct = total ? (unsigned)((long double)avail * 100.0L / (long double)total) : 0;
        char a[32], t[32];
        file_format_bytes(avail, a, sizeof(a));
        file_format_bytes(total, t, sizeof(t));
        if (cfg->free.set) {
                bool short_of = cfg->free.percent
                                    ? (long double)avail * 100.0L <
                                          (long double)cfg->free.value * (long double)total
                                    : avail < cfg->free.value;
                if (short_of) {
                        char want[32];
                        if (cfg->free.percent)
                                snprintf(want, sizeof(want), "%llu%%", cfg->free.value);
                        else
                                file_format_bytes(cfg->free.value, want, sizeof(want));
                        result_set(res, PF_FILE_FILESYSTEM,
                                   "only %s free for unprivileged users of %s (%u%%), needs %s", a,
                                   t, pct, want);
                        result_fix(res, "free space on it (du -xsh on its mount point shows "
                                        "what uses it), or grow the filesystem");
                        return;
                }
        }
        snprintf(summary, size, "%s free of %s (%u%%)", a, t, pct);
        if (!cfg->free_inodes_set)
                return;
        if (vfs.f_files == 0) {
                /* btrfs and some others allocate inodes as they go and report none. */
                size_t at = strlen(summary);
                snprintf(summary + at, size - at, ", the filesystem does not count inodes");
                return;
        }
        unsigned long long inodes = vfs.f_favail;
        if (inodes < cfg->free_inodes) {
                result_set(res, PF_FILE_FILESYSTEM,
                           "only %llu inodes free for unprivileged users (of %llu), needs %llu",
                           inodes, (unsigned long long)vfs.f_files, cfg->free_inodes);
                result_fix(res, "remove files (many small ones use the inodes up), or make the "
                                "filesystem again with more inodes (mkfs -N)");
                return;
        }
        size_t at = strlen(summary);
        snprintf(summary + at, size - at, ", %llu inodes free", inodes);
}
