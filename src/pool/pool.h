/* Client address pools. Each prefix's first usable address is the gateway's
 * side of the TUN; the rest are leased to sessions, one owner each, and the
 * owner is found in O(1) from an inner packet's address. */
#ifndef P2S_POOL_H
#define P2S_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net.h"

struct pool_range {
	struct prefix4 prefix;
	uint32_t first; /* first leasable address (gateway + 1) */
	uint32_t count; /* leasable addresses */
	uint32_t used;
	uint32_t hint; /* where the next search starts */
	void **owner;  /* owner[i] for first + i; NULL = free */
};

struct pool {
	struct pool_range *ranges;
	size_t n;
};

/* 0, or -EINVAL for a prefix too small to hold gateway + one client (/31, /32). */
int pool_init(struct pool *p, const struct prefix4 *prefixes, size_t n);
void pool_free(struct pool *p);

/* The gateway address of range i (network + 1). */
uint32_t pool_gateway(const struct pool *p, size_t i);

/* Leases a free address to owner, preferring `want` if non-zero and free.
 * 0 with *addr and *range set, or P2S_E_FULL. */
int pool_lease(struct pool *p, void *owner, uint32_t want, uint32_t *addr, size_t *range);
/* The same within ranges [first, first + n): one group's pool. */
int pool_lease_in(struct pool *p, void *owner, uint32_t want, size_t first, size_t n,
		  uint32_t *addr, size_t *range);
/* Releases addr if owner holds it; anything else is ignored. */
void pool_release(struct pool *p, uint32_t addr, const void *owner);
/* The owner of addr, or NULL (free, gateway, or outside every pool). */
void *pool_owner(const struct pool *p, uint32_t addr);
bool pool_contains(const struct pool *p, uint32_t addr);
uint32_t pool_free_count(const struct pool *p);

#endif
