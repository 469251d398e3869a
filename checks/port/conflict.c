/* Would the service's bind fail because of this socket? The rules bind(2) applies. */
#include "checks/port/port.h"

#include <string.h>
#include <sys/socket.h>

static bool addr_is_wildcard(const struct procnet_addr *a)
{
        size_t len = a->family == AF_INET ? 4 : 16;
        for (size_t i = 0; i < len; i++)
                if (a->bytes[i])
                        return false;
        return true;
}

static bool addr_equal(const struct procnet_addr *a, const struct procnet_addr *b)
{
        return a->family == b->family &&
               memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16) == 0;
}

enum port_conflict port_conflict(const struct port_spec *want, const struct procnet_socket *held,
                                 bool v6_wildcard_takes_v4)
{
        const struct procnet_addr *a = &want->addr, *b = &held->local;
        if (held->proto != want->proto || held->port != want->port)
                return PORT_FREE_OF;
        if (want->every_address)
                return PORT_CONFLICT;
        if (a->family == b->family)
                return addr_equal(a, b) || addr_is_wildcard(a) || addr_is_wildcard(b)
                           ? PORT_CONFLICT
                           : PORT_FREE_OF;
        if (a->family == AF_INET6) /* the service's [::] socket takes IPv4 too, unless v6-only */
                return addr_is_wildcard(a) && v6_wildcard_takes_v4 ? PORT_CONFLICT : PORT_FREE_OF;
        /* An IPv4 bind against an IPv6 socket: only a wildcard one can take IPv4. */
        return addr_is_wildcard(b) ? PORT_CONFLICT_UNLESS_V6ONLY : PORT_FREE_OF;
}

bool port_search_visit(const struct procnet_socket *sock, void *search)
{
        struct port_search *s = search;
        switch (port_conflict(s->spec, sock, s->v6_wildcard_takes_v4)) {
        case PORT_CONFLICT:
                if (!s->has_conflict)
                        s->conflict = *sock;
                s->has_conflict = true;
                break;
        case PORT_CONFLICT_UNLESS_V6ONLY:
                if (!s->has_unless_v6only)
                        s->unless_v6only = *sock;
                s->has_unless_v6only = true;
                break;
        case PORT_FREE_OF:
                break;
        }
        return true; /* read on: --verbose tells how much was read, and it is cheap */
}
