/*
 * socket_load: holds many established loopback TCP connections, the load the port check is
 * benchmarked under.
 *
 * Usage: socket_load ADDRESS CLIENTS
 *
 * Listens on ADDRESS (a 127.0.0.0/8 address; the kernel picks the port), connects CLIENTS clients
 * to it and accepts each, so the process holds 2 * CLIENTS + 1 descriptors: CLIENTS = 9000 fits
 * in the 20,000 a process may hold here. Prints "ready PORT" once every connection is up, then
 * holds them until SIGTERM (or until its parent dies: PR_SET_PDEATHSIG), so a runner that is
 * killed leaves no sockets behind. Several instances on several addresses reach 100k sockets
 * without running out of ephemeral ports (about 28k per destination).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
        fprintf(stderr, "socket_load: %s: %s\n", what, strerror(errno));
        exit(1);
}

int main(int argc, char **argv)
{
        struct sockaddr_in addr = {.sin_family = AF_INET};
        socklen_t len = sizeof(addr);
        char *end;
        int one = 1;

        if (argc != 3 || inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
                fputs("usage: socket_load ADDRESS CLIENTS\n", stderr);
                return 2;
        }
        if ((ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
                fputs("socket_load: loopback addresses only (127.0.0.0/8)\n", stderr);
                return 2;
        }
        long clients = strtol(argv[2], &end, 10);
        if (*end || clients < 1 || clients > 100000) {
                fputs("socket_load: CLIENTS must be 1..100000\n", stderr);
                return 2;
        }
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
                die("prctl");
        if (getppid() == 1)
                return 1; /* the parent is already gone */

        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) != 0)
                die("getrlimit");
        nofile.rlim_cur = nofile.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &nofile) != 0)
                die("setrlimit");
        if ((rlim_t)(2 * clients + 16) > nofile.rlim_cur) {
                fprintf(stderr,
                        "socket_load: %ld clients need %ld descriptors, the limit is %llu\n",
                        clients, 2 * clients + 16, (unsigned long long)nofile.rlim_cur);
                return 1;
        }

        int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listener < 0)
                die("socket");
        if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
                die("SO_REUSEADDR");
        if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0)
                die("bind");
        if (listen(listener, 1024) != 0)
                die("listen");
        if (getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
                die("getsockname");

        /* On loopback a blocking connect completes in the kernel before it returns, and the
         * accept right after it keeps the queue empty, so no SYN is ever dropped. */
        for (long i = 0; i < clients; i++) {
                int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (client < 0)
                        die("socket");
                if (connect(client, (struct sockaddr *)&addr, sizeof(addr)) != 0)
                        die("connect");
                if (accept4(listener, NULL, NULL, SOCK_CLOEXEC) < 0)
                        die("accept");
        }
        printf("ready %u\n", (unsigned)ntohs(addr.sin_port));
        if (fflush(stdout) != 0)
                die("stdout");
        for (;;)
                pause(); /* SIGTERM's default action ends the process; the kernel closes all */
}
