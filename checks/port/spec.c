/* The port check's SPEC: PORT, ADDR:PORT or [V6]:PORT, each with an optional /tcp or /udp. */
#include "checks/port/port.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/text.h"

/* The text of one SPEC is parsed into this before it is checked as a whole. */
static int spec_error(struct pf_error *err, const char *text, const char *why)
{
        char q[QUOTE_BUF];
        return pf_error_set(err, "'%s': %s", text_quote(text, q, sizeof(q)), why);
}

static int parse_port_number(const char *text, const char *port, uint16_t *out,
                             struct pf_error *err)
{
        unsigned long value;
        if (port[0] == '\0')
                return spec_error(err, text, "the port is missing (1-65535)");
        if (!text_parse_ulong(port, 1, 65535, &value)) {
                bool digits = strspn(port, "0123456789") == strlen(port);
                return spec_error(err, text,
                                  digits ? "port must be 1-65535"
                                         : "not a port (PORT, ADDR:PORT or [V6]:PORT, with an "
                                           "optional /tcp or /udp)");
        }
        *out = (uint16_t)value;
        return PF_OK;
}

/* "[V6]:PORT" and "ADDR:PORT" (work is the SPEC without its /PROTO, cut here in place): the
 * address into out, and where the port's text starts; a bare PORT leaves every_address. */
static int parse_address(const char *text, char *work, struct port_spec *out,
                         const char **port_text, struct pf_error *err)
{
        *port_text = work;
        if (work[0] == '[') {
                char *close = strchr(work, ']');
                if (!close)
                        return spec_error(err, text, "missing ']' after the IPv6 address");
                if (close[1] != ':')
                        return spec_error(err, text, "expected [V6]:PORT");
                *close = '\0';
                out->addr.family = AF_INET6;
                if (inet_pton(AF_INET6, work + 1, out->addr.bytes) != 1)
                        return spec_error(err, text, "not a numeric IPv6 address");
                *port_text = close + 2;
                out->every_address = false;
                return PF_OK;
        }
        char *colon = strchr(work, ':');
        if (!colon)
                return PF_OK;
        if (strchr(colon + 1, ':'))
                return spec_error(err, text, "an IPv6 address goes in brackets: [V6]:PORT");
        *colon = '\0';
        if (work[0] == '\0')
                return spec_error(err, text,
                                  "the address is missing (a bare PORT means every address)");
        out->addr.family = AF_INET;
        if (inet_pton(AF_INET, work, out->addr.bytes) != 1)
                return spec_error(err, text,
                                  "not a numeric IPv4 address (names are not resolved: give the "
                                  "address the service binds)");
        *port_text = colon + 1;
        out->every_address = false;
        return PF_OK;
}

int port_spec_parse(const char *text, struct port_spec *out, char *shown, size_t shown_size,
                    struct pf_error *err)
{
        char work[128], shown_addr[INET6_ADDRSTRLEN + 2] = "";
        const char *port_text;
        *out = (struct port_spec){.proto = PROCNET_TCP, .every_address = true};

        if (strlen(text) >= sizeof(work))
                return spec_error(err, text, "too long for a port spec");
        snprintf(work, sizeof(work), "%s", text);

        char *slash = strrchr(work, '/');
        if (slash) {
                *slash = '\0';
                if (text_equal_nocase(slash + 1, "udp"))
                        out->proto = PROCNET_UDP;
                else if (!text_equal_nocase(slash + 1, "tcp"))
                        return spec_error(err, text, "the protocol must be tcp or udp");
        }
        int r = parse_address(text, work, out, &port_text, err);
        if (r == PF_OK)
                r = parse_port_number(text, port_text, &out->port, err);
        if (r != PF_OK)
                return r;

        if (!out->every_address) {
                char a[INET6_ADDRSTRLEN];
                inet_ntop(out->addr.family, out->addr.bytes, a, sizeof(a));
                snprintf(shown_addr, sizeof(shown_addr),
                         out->addr.family == AF_INET6 ? "[%s]" : "%s", a);
                procnet_normalize_v4_mapped(&out->addr);
        }
        snprintf(shown, shown_size, "%s%s%u/%s", shown_addr, shown_addr[0] ? ":" : "",
                 (unsigned)out->port, out->proto == PROCNET_UDP ? "udp" : "tcp");
        return PF_OK;
}

void procnet_format_endpoint(const struct procnet_addr *addr, uint16_t port, char *buf, size_t size)
{
        char a[INET6_ADDRSTRLEN];
        if (!inet_ntop(addr->family, addr->bytes, a, sizeof(a)))
                snprintf(a, sizeof(a), "?");
        snprintf(buf, size, addr->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, (unsigned)port);
}
