/* IPv4 prefixes and socket addresses. */
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

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

/* "ip:port" or "[ip6]:port". */
void sockaddr_str(const union sockaddr_any *a, char *out, size_t cap);
socklen_t sockaddr_len(const union sockaddr_any *a);
bool sockaddr_equal(const union sockaddr_any *a, const union sockaddr_any *b);

#endif
