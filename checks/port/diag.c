/* The sock_diag netlink interface: the kernel's own listing of its sockets, as ss asks it. */
#include "checks/port/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"

/* One netlink reply is at most a page or two; more room costs nothing. */
#define READ_CHUNK (32 * 1024)

/* What one dump asks for, and where its sockets go. */
struct diag_dump {
        enum procnet_proto proto;
        uint32_t states; /* a bit per TCP state (include/net/tcp_states.h) that counts */
        procnet_visit visit;
        void *ctx;
        struct procnet_stats *stats;
        bool stopped; /* the visitor said stop: the rest of the dump is read and dropped */
};

/* A server binds with SO_REUSEADDR, so only listening TCP sockets stand in its way; a bound UDP
 * socket does in either of its states (TCP_CLOSE unconnected, TCP_ESTABLISHED connected), as
 * every entry of /proc/net/udp does. */
static uint32_t states_that_count(enum procnet_proto proto)
{
        return proto == PROCNET_TCP ? 1u << PROCNET_STATE_LISTEN : ~0u;
}

/* Visits each inet_diag_msg of one netlink reply; 1 when the dump is complete, 0 for more,
 * -errno on an error reply. */
static int handle_diag_reply(const char *buf, size_t len, uint32_t seq, struct diag_dump *dump)
{
        for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, len);
             h = NLMSG_NEXT(h, len)) {
                if (h->nlmsg_seq != seq)
                        continue;
                if (h->nlmsg_type == NLMSG_DONE)
                        return 1;
                if (h->nlmsg_type == NLMSG_ERROR) {
                        const struct nlmsgerr *e = NLMSG_DATA(h);
                        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                                return -EPROTO;
                        return e->error < 0 ? e->error : -EPROTO;
                }
                if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
                    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
                        dump->stats->malformed++;
                        continue;
                }
                const struct inet_diag_msg *m = NLMSG_DATA(h);
                if (dump->stopped || m->idiag_state >= 32 || !(dump->states & 1u << m->idiag_state))
                        continue;
                if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6) {
                        dump->stats->malformed++;
                        continue;
                }
                struct procnet_socket sock = {
                    .proto = dump->proto,
                    .local = {.family = m->idiag_family},
                    .port = ntohs(m->id.idiag_sport),
                    .state = m->idiag_state,
                    .uid = m->idiag_uid,
                    .inode = m->idiag_inode,
                };
                memcpy(sock.local.bytes, m->id.idiag_src, m->idiag_family == AF_INET ? 4 : 16);
                procnet_normalize_v4_mapped(&sock.local);
                dump->stats->entries++;
                /* Keep reading to the end of the dump even when told to stop: the rest of it
                 * would wait in the socket, which is closed right after. */
                dump->stopped = !dump->visit(&sock, dump->ctx);
        }
        return 0;
}

int procnet_diag_sockets(enum procnet_proto proto, int family, uint64_t deadline_us,
                         procnet_visit visit, void *ctx, struct procnet_stats *stats)
{
        const uint32_t seq = 1;
        struct {
                struct nlmsghdr header;
                struct inet_diag_req_v2 request;
        } req = {
            .header = {.nlmsg_len = sizeof(req),
                       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                       .nlmsg_seq = seq},
            .request = {.sdiag_family = (uint8_t)family,
                        .sdiag_protocol = proto == PROCNET_TCP ? IPPROTO_TCP : IPPROTO_UDP,
                        .idiag_states = states_that_count(proto)},
        };
        struct diag_dump dump = {proto, req.request.idiag_states, visit, ctx, stats, false};
        struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
        int rc = 0;

        *stats = (struct procnet_stats){0};
        if (family != AF_INET && family != AF_INET6)
                return -EAFNOSUPPORT;
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd < 0)
                return -errno;
        char *buf = malloc(READ_CHUNK);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
                rc = -errno;
        while (rc == 0) {
                int ready = poll_until(fd, POLLIN, deadline_us);
                if (ready < 0) {
                        rc = ready;
                        break;
                }
                if (ready == 0) {
                        rc = -ETIMEDOUT;
                        break;
                }
                ssize_t n = recv(fd, buf, READ_CHUNK, MSG_DONTWAIT);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n < 0) {
                        rc = -errno;
                        break;
                }
                if (n == 0) {
                        rc = -EPROTO;
                        break;
                }
                int r = handle_diag_reply(buf, (size_t)n, seq, &dump);
                if (r < 0)
                        rc = r;
                else if (r == 1)
                        break;
        }
        free(buf);
        close(fd);
        return rc;
}
