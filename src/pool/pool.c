#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

int pool_init(struct pool *p, const struct prefix4 *prefixes, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->ranges = calloc(n ? n : 1, sizeof(*p->ranges));
	if (!p->ranges)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (prefixes[i].len > 30) {
			pool_free(p);
			return -EINVAL;
		}
		struct pool_range *r = &p->ranges[i];
		uint32_t size = prefixes[i].len == 0 ? 0xffffffffu : 1u << (32 - prefixes[i].len);
		r->prefix = prefixes[i];
		r->first = prefixes[i].addr + 2; /* skip network and gateway */
		r->count = size - 3;		 /* and broadcast */
		r->owner = calloc(r->count, sizeof(void *));
		p->n = i + 1;
		if (!r->owner) {
			pool_free(p);
			return -ENOMEM;
		}
	}
	return 0;
}

void pool_free(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->ranges[i].owner);
	free(p->ranges);
	memset(p, 0, sizeof(*p));
}

uint32_t pool_gateway(const struct pool *p, size_t i)
{
	return p->ranges[i].prefix.addr + 1;
}

static struct pool_range *range_of(const struct pool *p, uint32_t addr, uint32_t *idx)
{
	for (size_t i = 0; i < p->n; i++) {
		struct pool_range *r = &p->ranges[i];
		if (addr >= r->first && addr - r->first < r->count) {
			*idx = addr - r->first;
			return r;
		}
	}
	return NULL;
}

static int take(struct pool_range *r, uint32_t i, void *owner, uint32_t *addr)
{
	r->owner[i] = owner;
	r->used++;
	r->hint = i + 1 == r->count ? 0 : i + 1;
	*addr = r->first + i;
	return 0;
}

int pool_lease(struct pool *p, void *owner, uint32_t want, uint32_t *addr, size_t *range)
{
	return pool_lease_in(p, owner, want, 0, p->n, addr, range);
}

int pool_lease_in(struct pool *p, void *owner, uint32_t want, size_t first, size_t n,
		  uint32_t *addr, size_t *range)
{
	uint32_t idx;
	struct pool_range *wr = want ? range_of(p, want, &idx) : NULL;
	if (wr && !wr->owner[idx]) {
		*range = (size_t)(wr - p->ranges);
		return take(wr, idx, owner, addr);
	}
	for (size_t i = first; i < first + n && i < p->n; i++) {
		struct pool_range *r = &p->ranges[i];
		if (r->used == r->count)
			continue;
		/* Round-robin from the hint so a released address rests a while. */
		for (uint32_t k = 0; k < r->count; k++) {
			uint32_t j = (r->hint + k) % r->count;
			if (!r->owner[j]) {
				*range = i;
				return take(r, j, owner, addr);
			}
		}
	}
	return P2S_E_FULL;
}

void pool_release(struct pool *p, uint32_t addr, const void *owner)
{
	uint32_t idx;
	struct pool_range *r = range_of(p, addr, &idx);
	if (r && r->owner[idx] && r->owner[idx] == owner) {
		r->owner[idx] = NULL;
		r->used--;
	}
}

void *pool_owner(const struct pool *p, uint32_t addr)
{
	uint32_t idx;
	struct pool_range *r = range_of(p, addr, &idx);
	return r ? r->owner[idx] : NULL;
}

bool pool_contains(const struct pool *p, uint32_t addr)
{
	for (size_t i = 0; i < p->n; i++)
		if (prefix4_contains(&p->ranges[i].prefix, addr))
			return true;
	return false;
}

uint32_t pool_free_count(const struct pool *p)
{
	uint32_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += p->ranges[i].count - p->ranges[i].used;
	return n;
}
