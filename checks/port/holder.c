/* The process that holds a socket: the one whose /proc/PID/fd/N links to socket:[inode]. */
#include "checks/port/port.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/text.h"

/* Reads proc_root/PID/comm into name (empty when it cannot be read). */
static void read_comm(int proc_fd, unsigned long pid, char *name, size_t size)
{
        char path[64];
        name[0] = '\0';
        snprintf(path, sizeof(path), "%lu/comm", pid);
        int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        ssize_t n = read(fd, name, size - 1);
        close(fd);
        if (n <= 0)
                return;
        /* Only the newline the kernel adds goes: one inside the name is the name's own. */
        if (name[n - 1] == '\n')
                n--;
        name[n] = '\0';
}

/* Looks through one process's descriptors; true when one of them is the socket. */
static bool process_holds(int proc_fd, unsigned long pid, const char *want, size_t want_len,
                          uint64_t deadline_us, struct procnet_holder *out)
{
        char path[64], link[64];
        bool found = false;
        unsigned long seen = 0;
        snprintf(path, sizeof(path), "%lu/fd", pid);
        int fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == EACCES || errno == EPERM)
                        out->hidden++;
                return false;
        }
        DIR *fds = fdopendir(fd);
        if (!fds) {
                close(fd);
                return false;
        }
        struct dirent *e;
        while (!found && (e = readdir(fds))) {
                if (e->d_name[0] == '.')
                        continue;
                /* A process with tens of thousands of descriptors must not outlive the deadline. */
                if (++seen % 1024 == 0 && deadline_passed(deadline_us)) {
                        out->deadline = true;
                        break;
                }
                ssize_t n = readlinkat(dirfd(fds), e->d_name, link, sizeof(link));
                found = n == (ssize_t)want_len && memcmp(link, want, want_len) == 0;
        }
        closedir(fds);
        return found;
}

void procnet_find_holder(const char *proc_root, unsigned long inode, uint64_t deadline_us,
                         struct procnet_holder *out)
{
        char want[40];
        unsigned long pid;
        *out = (struct procnet_holder){0};
        int want_len = snprintf(want, sizeof(want), "socket:[%lu]", inode);
        DIR *proc = opendir(proc_root);
        if (!proc)
                return;
        struct dirent *e;
        while (!out->deadline && (e = readdir(proc))) {
                if (!text_parse_ulong(e->d_name, 1, 4194304, &pid))
                        continue;
                if (deadline_passed(deadline_us)) {
                        out->deadline = true;
                        break;
                }
                if (process_holds(dirfd(proc), pid, want, (size_t)want_len, deadline_us, out)) {
                        out->pid = (long)pid;
                        read_comm(dirfd(proc), pid, out->name, sizeof(out->name));
                        break;
                }
        }
        closedir(proc);
}
