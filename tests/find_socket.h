/* The unit tests' one procnet_visit that looks for a socket of their own by its inode, for the
 * listings of tests/check_port.c and tests/check_procnet.c. */
#ifndef PREFLIGHT_TESTS_FIND_SOCKET_H
#define PREFLIGHT_TESTS_FIND_SOCKET_H

#include <stdbool.h>

#include "checks/port/port.h"

struct find_socket {
        unsigned long inode;         /* what to look for: fstat()'s st_ino of the socket */
        struct procnet_socket found; /* the last entry with that inode */
        unsigned seen;               /* how many entries had it */
};

/* A procnet_visit: ctx is a struct find_socket; never stops the listing. */
bool find_socket_visit(const struct procnet_socket *sock, void *ctx);

#endif
