#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint32_t prefix4_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

int prefix4_parse(const char *s, struct prefix4 *out)
{
	char ip[32];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, slash - s);
	ip[slash - s] = 0;
	struct in_addr a;
	if (inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	char *end;
	errno = 0;
	long len = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || len < 0 || len > 32 || errno)
		return -EINVAL;
	uint32_t h = ntohl(a.s_addr);
	if (h & ~prefix4_mask((uint8_t)len))
		return -EINVAL;
	out->addr = h;
	out->len = (uint8_t)len;
	return 0;
}

bool prefix4_contains(const struct prefix4 *p, uint32_t addr)
{
	return (addr & prefix4_mask(p->len)) == p->addr;
}

bool prefix4_overlap(const struct prefix4 *a, const struct prefix4 *b)
{
	uint8_t l = a->len < b->len ? a->len : b->len;
	return ((a->addr ^ b->addr) & prefix4_mask(l)) == 0;
}

void ip4_str(uint32_t addr, char out[16])
{
	struct in_addr a = {.s_addr = htonl(addr)};
	inet_ntop(AF_INET, &a, out, 16);
}

bool ip4_is_private(const struct prefix4 *p)
{
	static const struct prefix4 priv[] = {
		{0x0a000000, 8}, {0xac100000, 12}, {0xc0a80000, 16}, {0x64400000, 10}};
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if (p->len >= priv[i].len && prefix4_contains(&priv[i], p->addr))
			return true;
	return false;
}

void sockaddr_str(const union sockaddr_any *a, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(a->in.sin_port));
	} else if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(a->in6.sin6_port));
	} else {
		snprintf(out, cap, "unknown");
	}
}

socklen_t sockaddr_len(const union sockaddr_any *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

bool sockaddr_equal(const union sockaddr_any *a, const union sockaddr_any *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
	return false;
}

static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;
	if (memcmp(a, b, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rest));
	return (a[full] & m) == (b[full] & m);
}

int prefix6_parse(const char *s, struct prefix6 *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	char *end;
	long len = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || len < 0 || len > 128)
		return -EINVAL;
	struct in6_addr a;
	if (inet_pton(AF_INET6, buf, &a) != 1)
		return -EINVAL;
	struct in6_addr host = a;
	/* Host bits set: compare the address with itself masked. */
	for (unsigned i = (unsigned)len; i < 128; i++)
		host.s6_addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	if (memcmp(&host, &a, 16) != 0)
		return -EINVAL;
	out->addr = a;
	out->len = (uint8_t)len;
	return 0;
}

bool prefix6_contains(const struct prefix6 *p, const struct in6_addr *a)
{
	return bits_equal(p->addr.s6_addr, a->s6_addr, p->len);
}

bool prefix6_overlap(const struct prefix6 *a, const struct prefix6 *b)
{
	return bits_equal(a->addr.s6_addr, b->addr.s6_addr, a->len < b->len ? a->len : b->len);
}

static int port_at(const char **p)
{
	char *end;
	long v = strtol(*p, &end, 10);
	if (end == *p || v < 1 || v > 65535)
		return -1;
	*p = end;
	return (int)v;
}

int ports_parse(const char *s, struct port_range *out, size_t cap)
{
	size_t n = 0;
	const char *p = s;
	while (*p) {
		while (*p == ' ')
			p++;
		int lo = port_at(&p), hi = lo;
		if (lo > 0 && *p == '-') {
			p++;
			hi = port_at(&p);
		}
		while (*p == ' ')
			p++;
		if (lo < 0 || hi < lo || n == cap || (*p && *p != ','))
			return -EINVAL;
		out[n++] = (struct port_range){(uint16_t)lo, (uint16_t)hi};
		if (*p == ',' && !*++p)
			return -EINVAL; /* a trailing comma */
	}
	return n ? (int)n : -EINVAL;
}

int udp_socket_bind(const struct sockaddr_in *a, int reuse)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1, buf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, reuse, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int udp_socket_open(const char *addr, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (inet_pton(AF_INET, addr && *addr ? addr : "0.0.0.0", &a.sin_addr) != 1)
		return -EINVAL;
	return udp_socket_bind(&a, SO_REUSEADDR);
}
