/*
 * Access as another user (--as USER): the kernel decides, so ACLs, read-only mounts and open
 * hooks count. A child takes the user's supplementary groups, gid and uid (and drops every
 * capability), asks, and writes the answer to a pipe; the caller waits for it no longer than
 * the deadline and kills the child then. The child runs only system calls: it is forked from
 * a thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks/file/file.h"
#include "core/clock.h"

struct child_answer {
        int setup_error; /* errno of the step that failed before asking, else 0 */
        char step[16];   /* "setgroups", "setgid", "setuid", "capset" */
        struct file_access_answer a;
};

static void send_answer(int fd, const struct child_answer *ans)
{
        ssize_t n = write(fd, ans, sizeof(*ans));
        (void)n; /* a short answer reads as a child that died */
        _exit(0);
}

static void fail_setup(int fd, struct child_answer *ans, const char *step)
{
        ans->setup_error = errno;
        size_t n = strlen(step) < sizeof(ans->step) - 1 ? strlen(step) : sizeof(ans->step) - 1;
        memcpy(ans->step, step, n);
        send_answer(fd, ans);
}

static void child(const struct file_config *cfg, const char *path, mode_t st_mode, int fd)
{
        struct child_answer ans;
        memset(&ans, 0, sizeof(ans));
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        const struct file_user *as = &cfg->as;
        if (setgroups(as->n_groups, as->groups) != 0)
                fail_setup(fd, &ans, "setgroups");
        if (setresgid(as->gid, as->gid, as->gid) != 0)
                fail_setup(fd, &ans, "setgid");
        if (setresuid(as->uid, as->uid, as->uid) != 0)
                fail_setup(fd, &ans, "setuid");
        /* Leaving uid 0 clears the capabilities, unless SECBIT_KEEP_CAPS or NO_SETUID_FIXUP
         * kept them: a kept CAP_DAC_OVERRIDE would answer for the user. */
        struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof(data));
        if (syscall(SYS_capset, &header, data) != 0)
                fail_setup(fd, &ans, "capset");
        file_access_ask(path, st_mode, cfg->access, &ans.a);
        send_answer(fd, &ans);
}

void file_access_as_user(const struct file_config *cfg, const char *path, mode_t st_mode,
                         uint64_t deadline_us, struct check_result *res)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) {
                result_set(res, PF_INTERNAL, "pipe: %s", strerror(errno));
                return;
        }
        pid_t pid = fork();
        if (pid < 0) {
                result_set(res, PF_INTERNAL, "fork: %s", strerror(errno));
                close(fds[0]);
                close(fds[1]);
                return;
        }
        if (pid == 0) {
                close(fds[0]);
                child(cfg, path, st_mode, fds[1]);
        }
        close(fds[1]);
        struct child_answer ans;
        ssize_t n = -1;
        int ready = poll_until(fds[0], POLLIN, deadline_us);
        if (ready > 0) {
                while ((n = read(fds[0], &ans, sizeof(ans))) < 0 && errno == EINTR)
                        ;
        }
        close(fds[0]);
        int status;
        if (n != (ssize_t)sizeof(ans)) {
                /* No answer by the deadline (a filesystem that hangs the child), or a child
                 * that died: it is killed, and reaped if it can be at once (one blocked in
                 * the kernel dies when the call returns). */
                (void)kill(pid, SIGKILL);
                (void)waitpid(pid, &status, WNOHANG);
                if (ready == 0)
                        result_set(res, PF_FILE_FILESYSTEM,
                                   "no answer by the deadline while asking as user %s (a hung "
                                   "network filesystem?)",
                                   cfg->as.name);
                else
                        result_set(res, PF_INTERNAL, "the child asking as user %s died",
                                   cfg->as.name);
                return;
        }
        /* It has answered and exits at once. */
        (void)waitpid(pid, &status, 0);
        char who[QUOTE_BUF + 32];
        snprintf(who, sizeof(who), "user %s (uid %u)", cfg->as.name, (unsigned)cfg->as.uid);
        if (ans.setup_error) {
                result_set(res, PF_INTERNAL, "cannot take the ids of user %s: %s: %s", cfg->as.name,
                           ans.step, strerror(ans.setup_error));
                result_fix(res, "--as needs CAP_SETUID and CAP_SETGID (root, and "
                                "CapabilityBoundingSet= allowing them)");
                return;
        }
        file_access_verdict(cfg, path, st_mode, &ans.a, who, res);
}
