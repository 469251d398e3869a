#include "tests/find_socket.h"

bool find_socket_visit(const struct procnet_socket *sock, void *ctx)
{
        struct find_socket *f = ctx;
        if (sock->inode == f->inode) {
                f->found = *sock;
                f->seen++;
        }
        return true;
}
