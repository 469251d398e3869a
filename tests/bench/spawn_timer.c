/*
 * spawn_timer: runs several commands many times, alternating between them, and prints how long
 * each run took and its peak memory. The benchmark runner (tests/bench/run.py) reads the lines.
 *
 * Usage: spawn_timer [-n ROUNDS] [-w WARMUP] -- CMD1 ARGS... [::: CMD2 ARGS...]...
 *
 * Each round runs every command once; round r starts with command r mod N, so no command always
 * runs first (right after the runner slept) or last. WARMUP rounds run first and are not printed.
 * One line per measured run on stdout: "COMMAND_INDEX ELAPSED_NS MAXRSS_KIB STATUS", STATUS being
 * the exit code, or 128+N for a signal N. The children's stdout and stderr go to /dev/null.
 *
 * Why C and not the runner itself: the time from spawn to reaped must not include an
 * interpreter's own fork cost, and the child's max RSS (ru_maxrss) starts from the spawning
 * process's resident size, which a small C program keeps at about a megabyte.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_COMMANDS 16

extern char **environ;

struct command {
        char **argv;
};

static uint64_t monotonic_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
        fputs("usage: spawn_timer [-n ROUNDS] [-w WARMUP] -- CMD ARGS... [::: CMD ARGS...]...\n",
              stderr);
        return 2;
}

static long parse_count(const char *text)
{
        char *end;
        errno = 0;
        long v = strtol(text, &end, 10);
        if (errno || *end || v < 0 || v > 1000000)
                return -1;
        return v;
}

/* Runs one command to its end; false when it could not be started or waited for. */
static int run_once(const struct command *cmd, const posix_spawn_file_actions_t *actions,
                    uint64_t *elapsed_ns, long *maxrss_kib, int *status_out)
{
        pid_t pid;
        int status;
        struct rusage ru;
        uint64_t start = monotonic_ns();
        int r = posix_spawnp(&pid, cmd->argv[0], actions, NULL, cmd->argv, environ);
        if (r != 0) {
                fprintf(stderr, "spawn_timer: cannot start %s: %s\n", cmd->argv[0], strerror(r));
                return -1;
        }
        while (wait4(pid, &status, 0, &ru) < 0) {
                if (errno != EINTR) {
                        perror("spawn_timer: wait4");
                        return -1;
                }
        }
        *elapsed_ns = monotonic_ns() - start;
        *maxrss_kib = ru.ru_maxrss;
        *status_out = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return 0;
}

int main(int argc, char **argv)
{
        long rounds = 20, warmup = 2;
        int opt;
        struct command cmds[MAX_COMMANDS];
        int ncmds = 0;

        while ((opt = getopt(argc, argv, "+n:w:")) != -1) {
                long *target = opt == 'n' ? &rounds : opt == 'w' ? &warmup : NULL;
                if (!target)
                        return usage();
                *target = parse_count(optarg);
                if (*target < 0)
                        return usage();
        }
        /* Split the rest at ":::" into commands, in place (argv is ours to change). */
        for (int i = optind; i < argc;) {
                if (ncmds == MAX_COMMANDS)
                        return usage();
                cmds[ncmds].argv = &argv[i];
                int j = i;
                while (j < argc && strcmp(argv[j], ":::") != 0)
                        j++;
                if (j == i)
                        return usage();
                if (j < argc)
                        argv[j] = NULL;
                ncmds++;
                i = j + 1;
        }
        if (ncmds == 0)
                return usage();

        posix_spawn_file_actions_t actions;
        if (posix_spawn_file_actions_init(&actions) != 0 ||
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) != 0 ||
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) != 0) {
                fputs("spawn_timer: cannot prepare the children's output\n", stderr);
                return 1;
        }

        int failed = 0;
        for (long round = -warmup; round < rounds && !failed; round++) {
                long first = round < 0 ? 0 : round % ncmds;
                for (int k = 0; k < ncmds; k++) {
                        int index = (int)((first + k) % ncmds);
                        uint64_t ns;
                        long rss;
                        int status;
                        if (run_once(&cmds[index], &actions, &ns, &rss, &status) != 0) {
                                failed = 1;
                                break;
                        }
                        if (round >= 0)
                                printf("%d %llu %ld %d\n", index, (unsigned long long)ns, rss,
                                       status);
                }
        }
        posix_spawn_file_actions_destroy(&actions);
        if (fflush(stdout) != 0) {
                perror("spawn_timer: stdout");
                return 1;
        }
        return failed;
}
