/*
 * Running the command: fork, exec, capture, and leave nothing behind.
 *
 * preflight becomes a child subreaper (PR_SET_CHILD_SUBREAPER) before it forks, so a process the
 * command starts stays a descendant of preflight even when its parent exits or it calls
 * setsid(): the kernel gives orphans to the nearest subreaper, not to PID 1. That is what lets
 * "nothing is left" be checked and made true from /proc/self/task/TID/children alone. The exec
 * check runs in a process that has no other children (a chain's line in order runs in the
 * chain's process, one after another; lines side by side each run in their own process), so
 * every child reaped here is the command's or one it left.
 */
#include "checks/exec/exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/wrapper.h"

#define MAX_DESCENDANTS 4096u

/* What the child tells the parent through a close-on-exec pipe when it could not exec. */
struct child_report {
        int setup; /* 1: the set-up before exec failed (SPAWN_SYSTEM), 0: exec itself */
        int error;
};

static void child_fail(int report_fd, int setup, int error)
{
        struct child_report r = {.setup = setup, .error = error};
        ssize_t n = write(report_fd, &r, sizeof(r));
        (void)n; /* the parent sees a short report as a failed set-up either way */
        _exit(127);
}

/* In the child of vfork(): never returns. Only system calls (and no allocation) until exec. */
static void child_start(char *const *words, int out_fd, int report_fd)
{
        /* Its own group, so that the group can be killed as a whole; gone with preflight. */
        if (setpgid(0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
                child_fail(report_fd, 1, errno);
        sigset_t none;
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
                child_fail(report_fd, 1, errno);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)signal(sig, SIG_DFL);
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
            dup2(out_fd, STDERR_FILENO) < 0)
                child_fail(report_fd, 1, errno);
        /* Whatever else preflight had open is not the command's (dup2 cleared CLOEXEC on 0-2). */
        (void)close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
        child_fail(report_fd, 0, wrapper_execvp((char **)words));
}

/* Appends the children of every thread of pid to list (up to cap). Returns how many. */
static size_t add_children(pid_t pid, pid_t *list, size_t n, size_t cap)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        DIR *dir = opendir(path);
        if (!dir)
                return n;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL && n < cap) {
                if (e->d_name[0] == '.')
                        continue;
                char file[96];
                snprintf(file, sizeof(file), "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
                FILE *f = fopen(file, "re");
                if (!f)
                        continue;
                int child;
                while (n < cap && fscanf(f, "%d", &child) == 1)
                        list[n++] = child;
                fclose(f);
        }
        closedir(dir);
        return n;
}

/* Every descendant of this process, parents before their children. */
static size_t list_descendants(pid_t *list, size_t cap)
{
        size_t n = add_children(getpid(), list, 0, cap);
        for (size_t i = 0; i < n; i++)
                n = add_children(list[i], list, n, cap);
        return n;
}

static void reap(struct spawn_result *res, bool *main_reaped)
{
        int status;
        pid_t w;
        while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
                if (w == res->pid && !*main_reaped) {
                        res->status = status;
                        *main_reaped = true;
                }
        }
}

static void pause_ms(long ms)
{
        struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
        nanosleep(&ts, NULL);
}

/* Signals the command's group and every descendant; returns how many descendants there were.
 * The group only while its leader is unreaped: until then its number cannot be anyone else's. */
static size_t signal_everything(const struct spawn_result *res, bool main_reaped, int sig,
                                pid_t *list)
{
        if (!main_reaped)
                (void)kill(-res->pid, sig);
        size_t n = list_descendants(list, MAX_DESCENDANTS);
        for (size_t i = 0; i < n; i++)
                (void)kill(list[i], sig);
        return n;
}

/* SIGTERM to all, SIGKILL to what is left after the grace, until no descendant is left. */
static void terminate_everything(struct spawn_result *res, bool *main_reaped)
{
        pid_t *list = malloc(MAX_DESCENDANTS * sizeof(*list));
        if (!list) {
                (void)kill(-res->pid, SIGKILL);
                while (!*main_reaped && waitpid(res->pid, &res->status, 0) == res->pid)
                        *main_reaped = true;
                return;
        }
        size_t left = signal_everything(res, *main_reaped, SIGTERM, list);
        uint64_t until = clock_now_us() + EXEC_KILL_GRACE_US;
        while (left > 0 && clock_now_us() < until) {
                pause_ms(2);
                reap(res, main_reaped);
                left = list_descendants(list, MAX_DESCENDANTS);
        }
        /* A process forked between the listing and the kill is a child of a killed one: it
         * comes to this subreaper and the next round finds it. */
        /* Bounded in time too (a fork bomb): the backstop ends preflight at the deadline + 250
         * ms, and the SIGTERM grace, these rounds and the drain must all fit before it. */
        until = clock_now_us() + EXEC_KILL_GRACE_US;
        while (left > 0 && clock_now_us() < until) {
                signal_everything(res, *main_reaped, SIGKILL, list);
                pause_ms(1);
                reap(res, main_reaped);
                left = list_descendants(list, MAX_DESCENDANTS);
        }
        free(list);
}

/* Whether this process has a child, exited or not. Once the command is reaped, every
 * descendant it left is a child of this subreaper or below one: with no child, nothing is left,
 * and /proc need not be read (the usual case, and 0.05 ms of `exec /bin/true`). */
static bool has_children(void)
{
        siginfo_t info = {0};
        return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 || errno != ECHILD;
}

/* Notes the descendants still there once the command itself has ended. */
static void note_leftovers(struct spawn_result *res)
{
        if (!has_children())
                return;
        pid_t list[16];
        size_t n = list_descendants(list, sizeof(list) / sizeof(list[0]));
        res->leftovers = (unsigned)n;
        if (n == 0)
                return;
        res->leftover_pid = list[0];
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/comm", (int)list[0]);
        FILE *f = fopen(path, "re");
        if (f) {
                if (fgets(res->leftover_name, sizeof(res->leftover_name), f))
                        res->leftover_name[strcspn(res->leftover_name, "\n")] = '\0';
                fclose(f);
        }
}

/* Reads what is there: false at end of file (or an error, which ends the capture too). */
static bool read_output(int fd, struct spawn_result *res)
{
        /* Into the kept buffer while it has room; past it, into one that is dropped (static:
         * a command that writes little never touches its pages). */
        static char dropped[65536];
        size_t room = EXEC_OUTPUT_KEPT - res->kept;
        ssize_t n =
            room > 0 ? read(fd, res->output + res->kept, room) : read(fd, dropped, sizeof(dropped));
        if (n < 0)
                return errno == EINTR || errno == EAGAIN;
        if (n == 0)
                return false;
        if (room > 0)
                res->kept += (size_t)n;
        res->total += (unsigned long long)n;
        return true;
}

/* Reads until the command exits or the deadline passes; true when it exited. */
static bool wait_for_exit(struct spawn_result *res, int *out_fd, uint64_t deadline_us)
{
        int pidfd = (int)pidfd_open(res->pid, 0);
        bool exited = false;
        while (!exited && !deadline_passed(deadline_us)) {
                struct pollfd fds[2];
                nfds_t n = 0;
                if (*out_fd >= 0)
                        fds[n++] = (struct pollfd){.fd = *out_fd, .events = POLLIN};
                if (pidfd >= 0)
                        fds[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
                int timeout = deadline_remaining_ms(deadline_us);
                /* Without a pidfd, the exit is looked for every 10 ms. */
                if (pidfd < 0 && (timeout < 0 || timeout > 10))
                        timeout = 10;
                int r = poll(fds, n, timeout);
                if (r < 0 && errno != EINTR)
                        break;
                if (r > 0 && *out_fd >= 0 && fds[0].revents && !read_output(*out_fd, res)) {
                        close(*out_fd);
                        *out_fd = -1;
                }
                exited = waitpid(res->pid, &res->status, WNOHANG) == res->pid;
        }
        if (pidfd >= 0)
                close(pidfd);
        return exited;
}

/* What is still in the pipe once every writer is gone (bounded: a writer outside this tree). */
static void drain_output(struct spawn_result *res, int out_fd, uint64_t deadline_us)
{
        /* Past the deadline, only what is already in the pipe: 20 ms. */
        uint64_t until =
            clock_now_us() + (deadline_passed(deadline_us) ? 20000 : EXEC_KILL_GRACE_US);
        if (deadline_us && deadline_us < until && !deadline_passed(deadline_us))
                until = deadline_us;
        while (poll_until(out_fd, POLLIN, until) > 0 && read_output(out_fd, res))
                ;
}

/* Returns true when the exec went through (the report pipe closed empty). */
static bool started(struct spawn_result *res, int report_fd)
{
        struct child_report report;
        ssize_t n;
        while ((n = read(report_fd, &report, sizeof(report))) < 0 && errno == EINTR)
                ;
        if (n == 0)
                return true;
        int status;
        while (waitpid(res->pid, &status, 0) < 0 && errno == EINTR)
                ;
        bool whole = n == (ssize_t)sizeof(report);
        res->outcome = whole && !report.setup ? SPAWN_NOT_STARTED : SPAWN_SYSTEM;
        res->error = whole ? report.error : EIO;
        res->step = "setting up the command's process";
        return false;
}

static void system_failure(struct spawn_result *res, const char *step, int error)
{
        res->outcome = SPAWN_SYSTEM;
        res->step = step;
        res->error = error;
}

void spawn_run(char *const *words, uint64_t deadline_us, struct spawn_result *res)
{
        *res = (struct spawn_result){.outcome = SPAWN_EXITED};
        uint64_t started_us = clock_now_us();
        int out[2], report[2];
        res->output = malloc(EXEC_OUTPUT_KEPT);
        if (!res->output)
                return system_failure(res, "allocating the output buffer", ENOMEM);
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
                return system_failure(res, "prctl(PR_SET_CHILD_SUBREAPER)", errno);
        if (pipe2(out, O_CLOEXEC) != 0)
                return system_failure(res, "pipe", errno);
        if (pipe2(report, O_CLOEXEC) != 0) {
                system_failure(res, "pipe", errno);
                close(out[0]);
                close(out[1]);
                return;
        }
        fflush(NULL);
        /* vfork: no copy of preflight's page tables (0.2 ms of the start of a command). The
         * child only makes system calls, writes its own stack frames and execs or _exits. */
        res->pid = vfork();
        if (res->pid == 0) {
                close(out[0]);
                close(report[0]);
                child_start(words, out[1], report[1]);
        }
        int fork_error = errno;
        close(out[1]);
        close(report[1]);
        if (res->pid < 0) {
                close(out[0]);
                close(report[0]);
                return system_failure(res, "fork", fork_error);
        }
        bool ran = started(res, report[0]);
        close(report[0]);
        if (!ran) {
                close(out[0]);
                return;
        }
        int out_fd = out[0];
        bool main_reaped = wait_for_exit(res, &out_fd, deadline_us);
        if (main_reaped)
                note_leftovers(res);
        else
                res->outcome = SPAWN_TIMED_OUT;
        /* Nothing left (the usual case) needs no second look: no one is there to fork. */
        if (!main_reaped || res->leftovers > 0)
                terminate_everything(res, &main_reaped);
        if (out_fd >= 0) {
                drain_output(res, out_fd, deadline_us);
                close(out_fd);
        }
        res->took_us = clock_now_us() - started_us;
}
