/*
 * no_netlink: runs a command with socket(AF_NETLINK, ...) failing with EAFNOSUPPORT, as a unit
 * with RestrictAddressFamilies=AF_INET AF_INET6 runs it. The port check then cannot ask
 * sock_diag and reads /proc/net/tcp and tcp6 instead: the benchmark times that fallback.
 *
 * Usage: no_netlink COMMAND [ARGS...]
 *
 * A seccomp filter, in C rather than python so that timing "no_netlink CMD" against
 * "no_netlink /bin/true" compares the commands, not an interpreter's start-up.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#define THIS_AUDIT_ARCH 0 /* refused at run time: the filter is only written for these two */
#endif

int main(int argc, char **argv)
{
        if (argc < 2) {
                fputs("usage: no_netlink COMMAND [ARGS...]\n", stderr);
                return 2;
        }
        if (THIS_AUDIT_ARCH == 0) {
                fputs("no_netlink: this architecture is not supported\n", stderr);
                return 1;
        }
        struct sock_filter program[] = {
            /* Another ABI (x32, i386 on x86_64) than the one compiled for: allow. */
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_AUDIT_ARCH, 0, 4),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 2),
            /* The low 32 bits of the first argument (both are little-endian): the family. */
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA)),
        };
        struct sock_fprog fprog = {.len = sizeof(program) / sizeof(program[0]), .filter = program};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0) {
                fprintf(stderr, "no_netlink: cannot install the filter: %s\n", strerror(errno));
                return 1;
        }
        execvp(argv[1], &argv[1]);
        fprintf(stderr, "no_netlink: cannot run %s: %s\n", argv[1], strerror(errno));
        return errno == ENOENT ? 127 : 126;
}
