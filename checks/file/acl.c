/*
 * --mode-max counts ACL entries: a file whose mode says 0640 but whose ACL lets another user
 * read it is not 0640. libacl (libacl.so.1, package libacl1, which every Debian has) is loaded
 * with dlopen only when a file checked with --mode-max carries an access ACL: a getxattr() of
 * system.posix_acl_access says so first, so files without one never load it.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/acl.h>
#include <acl/libacl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "checks/file/file.h"
#include "core/dl.h"
#include "core/text.h"

static struct {
        __typeof__(acl_get_file) *get_file;
        __typeof__(acl_get_entry) *get_entry;
        __typeof__(acl_get_tag_type) *get_tag_type;
        __typeof__(acl_get_permset) *get_permset;
        __typeof__(acl_get_perm) *get_perm;
        __typeof__(acl_get_qualifier) *get_qualifier;
        __typeof__(acl_free) *free;
} lib;

/* Attempts run on worker threads; one abandoned at its deadline may come back later. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static int load(char *why, size_t size)
{
        static const char *const sonames[] = {"libacl.so.1", NULL};
        const struct dl_symbol symbols[] = {
            {"acl_get_file", (void **)&lib.get_file},
            {"acl_get_entry", (void **)&lib.get_entry},
            {"acl_get_tag_type", (void **)&lib.get_tag_type},
            {"acl_get_permset", (void **)&lib.get_permset},
            {"acl_get_perm", (void **)&lib.get_perm},
            {"acl_get_qualifier", (void **)&lib.get_qualifier},
            {"acl_free", (void **)&lib.free},
            {NULL, NULL},
        };
        pthread_mutex_lock(&load_lock);
        int r = dl_load(sonames, symbols, why, size);
        pthread_mutex_unlock(&load_lock);
        return r;
}

static unsigned perms_of(acl_entry_t entry)
{
        acl_permset_t set;
        if (lib.get_permset(entry, &set) != 0)
                return 0;
        return (lib.get_perm(set, ACL_READ) == 1 ? 4u : 0u) |
               (lib.get_perm(set, ACL_WRITE) == 1 ? 2u : 0u) |
               (lib.get_perm(set, ACL_EXECUTE) == 1 ? 1u : 0u);
}

/* The entry that grants beyond mode_max, written as setfacl writes it ("user:alice:r--"). */
struct excess {
        char entry[128];
        char spec[96]; /* for setfacl -x: "u:alice" */
};

static bool find_excess(acl_t acl, unsigned mode_max, struct excess *out)
{
        unsigned mask = 7, group_max = (mode_max >> 3) & 7, other_max = mode_max & 7;
        acl_entry_t entry;
        /* The mask first: it bounds every named entry and the owning group's. */
        for (int id = ACL_FIRST_ENTRY; lib.get_entry(acl, id, &entry) == 1; id = ACL_NEXT_ENTRY) {
                acl_tag_t tag;
                if (lib.get_tag_type(entry, &tag) == 0 && tag == ACL_MASK)
                        mask = perms_of(entry);
        }
        for (int id = ACL_FIRST_ENTRY; lib.get_entry(acl, id, &entry) == 1; id = ACL_NEXT_ENTRY) {
                acl_tag_t tag;
                if (lib.get_tag_type(entry, &tag) != 0)
                        continue;
                unsigned eff = perms_of(entry) & mask;
                char perms[4], name[64];
                file_format_perms(eff, perms);
                if (tag == ACL_GROUP_OBJ && (eff & ~group_max)) {
                        snprintf(out->entry, sizeof(out->entry), "group::%s", perms);
                        snprintf(out->spec, sizeof(out->spec), "m::%c%c%c",
                                 (eff & group_max & 4) ? 'r' : '-',
                                 (eff & group_max & 2) ? 'w' : '-',
                                 (eff & group_max & 1) ? 'x' : '-');
                        return true;
                }
                if ((tag != ACL_USER && tag != ACL_GROUP) || !(eff & ~other_max))
                        continue;
                /* A named user or group is neither the owner nor the owning group: what the
                 * mode allows others is all it may have. */
                void *q = lib.get_qualifier(entry);
                if (!q)
                        continue;
                unsigned id_value = tag == ACL_USER ? (unsigned)*(uid_t *)q : (unsigned)*(gid_t *)q;
                lib.free(q);
                char buf[4096];
                if (tag == ACL_USER) {
                        struct passwd pw, *found = NULL;
                        if (getpwuid_r((uid_t)id_value, &pw, buf, sizeof(buf), &found) == 0 &&
                            found)
                                snprintf(name, sizeof(name), "%s", found->pw_name);
                        else
                                snprintf(name, sizeof(name), "%u", id_value);
                } else {
                        struct group gr, *found = NULL;
                        if (getgrgid_r((gid_t)id_value, &gr, buf, sizeof(buf), &found) == 0 &&
                            found)
                                snprintf(name, sizeof(name), "%s", found->gr_name);
                        else
                                snprintf(name, sizeof(name), "%u", id_value);
                }
                const char *kind = tag == ACL_USER ? "user" : "group";
                snprintf(out->entry, sizeof(out->entry), "%s:%s:%s", kind, name, perms);
                snprintf(out->spec, sizeof(out->spec), "%c:%s", kind[0], name);
                return true;
        }
        return false;
}

int file_acl_judge(const char *path, int mode_max, mode_t st_mode, struct check_result *res)
{
        (void)st_mode;
        ssize_t n = getxattr(path, "system.posix_acl_access", NULL, 0);
        if (n <= 0)
                return PF_OK; /* none (ENODATA), or a filesystem without POSIX ACLs */
        char why[256], q[QUOTE_BUF];
        int r = load(why, sizeof(why));
        if (r == PF_NO_LIBRARY) {
                result_set(res, PF_NO_LIBRARY,
                           "the file has an ACL and libacl (libacl.so.1) is not installed to read "
                           "it: %s",
                           why);
                result_fix(res, "apt-get install libacl1");
                return PF_NO_LIBRARY;
        }
        if (r != PF_OK) {
                result_set(res, PF_INTERNAL, "libacl is installed but cannot be loaded: %s", why);
                return PF_INTERNAL;
        }
        acl_t acl = lib.get_file(path, ACL_TYPE_ACCESS);
        if (!acl) {
                result_set(res, PF_INTERNAL, "reading the ACL: %s", strerror(errno));
                return PF_INTERNAL;
        }
        struct excess ex;
        bool found = find_excess(acl, (unsigned)mode_max, &ex);
        lib.free(acl);
        if (!found)
                return PF_OK;
        text_quote(path, q, sizeof(q));
        result_set(res, PF_FILE_WRONG, "its ACL entry %s gives more than --mode-max %04o allows",
                   ex.entry, (unsigned)mode_max);
        if (ex.spec[0] == 'm')
                result_fix(res, "setfacl -m %s %s (the mask bounds the group's entries)", ex.spec,
                           q);
        else
                result_fix(res, "setfacl -x %s %s", ex.spec, q);
        return PF_FILE_WRONG;
}
