/* The file check's parts: check.c (options, targets, bounding each attempt by the deadline),
 * parse.c (the option grammars: modes, sizes, owners, types; tests and the fuzz target use
 * them), inspect.c (stat, type, owner, mode, emptiness, access as this process), acl.c (libacl
 * loaded with dlopen, the ACL entries that --mode-max counts), as_user.c (access as another
 * user, in a child that takes that user's ids) and mounts.c (mountinfo and statvfs). */
#ifndef PREFLIGHT_CHECKS_FILE_FILE_H
#define PREFLIGHT_CHECKS_FILE_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/check.h"
#include "core/text.h"

#define FILE_MAX_GROUPS 256 /* supplementary groups of an --as user kept */

enum file_type {
        FILE_TYPE_ANY,
        FILE_TYPE_FILE,
        FILE_TYPE_DIR,
        FILE_TYPE_SOCKET,
        FILE_TYPE_FIFO,
        FILE_TYPE_SYMLINK,
        FILE_TYPE_BLOCK,
        FILE_TYPE_CHAR,
};

/* --free: bytes, or a percentage of the filesystem's size. */
struct file_free {
        bool set;
        bool percent;
        unsigned long long value; /* bytes, or 1-100 */
};

/* The access an option asks for. */
enum { FILE_READ = 1, FILE_WRITE = 2, FILE_EXEC = 4 };

struct file_user {
        bool set;
        char raw[64];         /* as given (a valid name or number) */
        char name[QUOTE_BUF]; /* as given, quoted for messages */
        /* The rest is looked up when an attempt runs (the user may be made after a chain was
         * checked: sysusers.d at boot), on the attempt's worker thread. */
        uid_t uid;
        gid_t gid;
        unsigned n_groups;
        gid_t groups[FILE_MAX_GROUPS];
};

struct file_config {
        enum file_type type;
        bool owner_set, group_set;
        uid_t owner_uid;
        gid_t owner_gid;
        char owner_raw[64], group_raw[64];                 /* as given */
        char owner_name[QUOTE_BUF], group_name[QUOTE_BUF]; /* as given, quoted */
        int mode;                                          /* -1: not checked */
        int mode_max;                                      /* -1: not checked */
        bool not_empty;
        unsigned access; /* FILE_READ | FILE_WRITE | FILE_EXEC */
        struct file_user as;
        bool as_self; /* --as names the user this process runs as: no child needed (set when
                         the attempt has looked the user up) */
        bool mounted;
        struct file_free free;
        bool free_inodes_set;
        unsigned long long free_inodes;
};

struct file_target {
        char path[PATH_MAX];
};

/* ---- parse.c: pure grammars, no lookups ---- */

/* "0640", "640", "1777": octal, 1-4 digits (a leading 0 more allowed), at most 07777. */
bool file_parse_mode(const char *text, int *mode);
/* "5G", "500M", "1024", "10%": K M G T are powers of 1024, any case; a percentage 1-100. */
bool file_parse_free(const char *text, struct file_free *out);
/* A whole number (of inodes): digits only. */
bool file_parse_count(const char *text, unsigned long long *value);
/* "file", "dir" (or "directory"), "socket", "fifo", "symlink" (or "link"), "block", "char". */
bool file_parse_type(const char *text, enum file_type *type);
const char *file_type_name(enum file_type type);
/* "USER", "USER:GROUP", ":GROUP": splits into user and group (NULL when absent) in buf.
 * False when a part is empty where it must not be or holds what no name holds. */
bool file_split_owner(const char *text, char *buf, size_t size, const char **user,
                      const char **group);
/* A user or group name or number as useradd accepts it: no control characters, ':' or '/'. */
bool file_valid_name(const char *name);
/* Formats bytes as the options take them: "5G", "1.5G" (one decimal), "512". */
void file_format_bytes(unsigned long long bytes, char *buf, size_t size);
/* "rw-r-----" style permission triplets for mode's low 9 bits. */
void file_format_perms(unsigned perms, char out[4]);

/* ---- inspect.c: one attempt, on the worker thread ---- */

/* Everything an attempt looks at but the access as another user; fills res. Returns true when
 * every condition asked for held so far (the --as part is then up to as_user.c). type_out gets
 * the st_mode of what the path names (links followed unless --type symlink). */
bool file_inspect(struct file_config *cfg, const char *path, bool inverted, bool verbose,
                  struct check_result *res, mode_t *type_out);

/* Appends what was judged to a passing line: "; readable, writable by myapp". */
void file_access_summary(const struct file_config *cfg, bool dir, char *buf, size_t size);

/* Names the first directory on the way to path that access(X_OK) refuses to this process,
 * into dir (empty when none is refused). Uses only system calls (safe in a forked child). */
void file_blocked_dir(const char *path, char *dir, size_t size);

/* ---- acl.c ---- */

/* Judges the ACL of path against --mode-max: PF_OK when no entry grants beyond max, else
 * 101 with res set (or PF_NO_LIBRARY / PF_INTERNAL when libacl cannot be used). */
int file_acl_judge(const char *path, int mode_max, mode_t st_mode, struct check_result *res);

/* ---- as_user.c ---- */

/* The access asked for, as cfg->as would have it: a child takes the user's groups, gid and uid,
 * then asks access() and opens what opening changes nothing for. Fills res (PF_OK, 102, 103,
 * 1); bounded by the deadline (the child is killed then). */
void file_access_as_user(const struct file_config *cfg, const char *path, mode_t st_mode,
                         uint64_t deadline_us, struct check_result *res);

/* The access asked for, as this process. Same verdicts. */
void file_access_self(const struct file_config *cfg, const char *path, mode_t st_mode,
                      struct check_result *res);

/* What one access question found: 0, or the errno of access() or open(), with the step. */
struct file_access_answer {
        int error;
        unsigned what; /* FILE_READ, FILE_WRITE or FILE_EXEC that failed */
        bool at_open;  /* access() allowed it, open() refused (a security module) */
        char dir[512]; /* the directory on the way that cannot be searched, if that is why */
};

/* Asks the kernel for the access in want on path as the calling process (effective ids);
 * only system calls, so a forked child may call it. */
void file_access_ask(const char *path, mode_t st_mode, unsigned want,
                     struct file_access_answer *out);

/* Turns an answer into the verdict (who: "this process (uid 0)" or "user myapp"). */
void file_access_verdict(const struct file_config *cfg, const char *path, mode_t st_mode,
                         const struct file_access_answer *a, const char *who,
                         struct check_result *res);

/* ---- mounts.c ---- */

/* --mounted: a filesystem's root is mounted at path (canonical). On a pass, a few words for
 * the line go to summary ("ext4 /dev/vdb"). */
void file_check_mounted(const char *path, struct check_result *res, char *summary, size_t size);
/* --free, --free-inodes on path's filesystem; summary as above ("12.3G free"). */
void file_check_space(const struct file_config *cfg, const char *path, struct check_result *res,
                      char *summary, size_t size);
/* Why a write is refused with EROFS: fills the message and fix (ReadWritePaths= when only the
 * mount is read-only, as ProtectSystem=strict makes it). */
void file_explain_read_only(const char *path, const char *who, struct check_result *res);

#endif
