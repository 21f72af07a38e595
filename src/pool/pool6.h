/* IPv6 client address pools, beside the IPv4 ones (pool.h): a session holds
 * one address of each family. Address ::1 of each prefix is the gateway's
 * side of the TUN; clients lease from ::2 up. A /64 is far more than any
 * gateway serves, so each prefix leases from a window at its low end (at
 * most POOL6_WINDOW addresses), which keeps the owner found in O(1) from an
 * inner packet's address, as in the IPv4 pool. */
#ifndef P2S_POOL6_H
#define P2S_POOL6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net.h"

#define POOL6_WINDOW 65534u /* ::2 .. ::ffff */

struct pool6_range {
	struct prefix6 prefix;
	uint32_t count; /* leasable addresses, from prefix::2 */
	uint32_t used;
	uint32_t hint; /* where the next search starts */
	void **owner;  /* owner[i] for prefix::(i + 2); NULL = free */
};

/* Owns its ranges and owner tables; owners are borrowed. */
struct pool6 {
	struct pool6_range *ranges;
	size_t n;
};

/* 0, or -EINVAL for a prefix longer than /126 (gateway + one client need
 * three addresses with ::0 kept back), -ENOMEM. n may be 0: no IPv6. */
int pool6_init(struct pool6 *p, const struct prefix6 *prefixes, size_t n);
void pool6_free(struct pool6 *p);

/* The gateway address of range i (prefix::1). */
void pool6_gateway(const struct pool6 *p, size_t i, struct in6_addr *out);

/* Leases a free address within ranges [first, first + n) to owner,
 * preferring want (NULL: none) when it is free in one of them.
 * 0 with *addr and *range set, or P2S_E_FULL. */
int pool6_lease_in(struct pool6 *p, void *owner, const struct in6_addr *want, size_t first,
		   size_t n, struct in6_addr *addr, size_t *range);
/* Releases a if owner holds it; anything else is ignored. */
void pool6_release(struct pool6 *p, const struct in6_addr *a, const void *owner);
/* The owner of a, or NULL (free, gateway, outside every window). */
void *pool6_owner(const struct pool6 *p, const struct in6_addr *a);
/* a lies in one of the pool's prefixes (leasable or not). */
bool pool6_contains(const struct pool6 *p, const struct in6_addr *a);
/* a is the gateway address of one of the ranges. */
bool pool6_is_gateway(const struct pool6 *p, const struct in6_addr *a);
uint32_t pool6_free_count(const struct pool6 *p);

#endif
