/* IPv4 and IPv6 prefixes and socket addresses. */
#ifndef P2S_NET_H
#define P2S_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct prefix4 {
	uint32_t addr; /* host byte order, host bits cleared */
	uint8_t len;
};

/* Parses "a.b.c.d/n"; rejects host bits set. 0 or -EINVAL. */
int prefix4_parse(const char *s, struct prefix4 *out);
uint32_t prefix4_mask(uint8_t len);
bool prefix4_contains(const struct prefix4 *p, uint32_t addr);
bool prefix4_overlap(const struct prefix4 *a, const struct prefix4 *b);
void ip4_str(uint32_t addr, char out[16]);
bool ip4_is_private(const struct prefix4 *p);

struct prefix6 {
	struct in6_addr addr; /* host bits cleared */
	uint8_t len;
};

/* Parses "x:y::/n"; rejects host bits set. 0 or -EINVAL. */
int prefix6_parse(const char *s, struct prefix6 *out);
bool prefix6_contains(const struct prefix6 *p, const struct in6_addr *a);
bool prefix6_overlap(const struct prefix6 *a, const struct prefix6 *b);

struct port_range {
	uint16_t lo, hi;
};
#define PORT_RANGES_MAX 32

/* Parses "22,443,8000-8080" (ports 1..65535, each range lo <= hi) into out.
 * Returns how many ranges, or -EINVAL. */
int ports_parse(const char *s, struct port_range *out, size_t cap);

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

/* A non-blocking UDP socket bound to addr:port (IPv4; "" or NULL: any) with
 * 4 MiB buffers, as every tunnel's data socket wants. fd or -errno. */
int udp_socket_open(const char *addr, uint16_t port);
/* The same from an address, with SO_REUSEADDR or SO_REUSEPORT (a steered
 * group's members) set before the bind. */
int udp_socket_bind(const struct sockaddr_in *a, int reuse);

/* "ip:port" or "[ip6]:port". */
void sockaddr_str(const union sockaddr_any *a, char *out, size_t cap);
socklen_t sockaddr_len(const union sockaddr_any *a);
bool sockaddr_equal(const union sockaddr_any *a, const union sockaddr_any *b);

#endif
