#include "pool6.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

/* prefix + off, for off < 2^16 (the window): only the last two bytes move
 * (the prefix is at most /126 long, and its host bits are clear). */
static void addr_at(const struct prefix6 *pf, uint32_t off, struct in6_addr *out)
{
	*out = pf->addr;
	uint32_t low = ((uint32_t)out->s6_addr[14] << 8 | out->s6_addr[15]) + off;
	out->s6_addr[14] = (uint8_t)(low >> 8);
	out->s6_addr[15] = (uint8_t)low;
}

/* Window size: every address after ::1, at most POOL6_WINDOW. */
static uint32_t window(uint8_t len)
{
	if (len <= 112)
		return POOL6_WINDOW;
	return (1u << (128 - len)) - 2;
}

int pool6_init(struct pool6 *p, const struct prefix6 *prefixes, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->ranges = calloc(n ? n : 1, sizeof(*p->ranges));
	if (!p->ranges)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (prefixes[i].len > 126) {
			pool6_free(p);
			return -EINVAL;
		}
		struct pool6_range *r = &p->ranges[i];
		r->prefix = prefixes[i];
		r->count = window(prefixes[i].len);
		r->owner = calloc(r->count, sizeof(void *));
		p->n = i + 1;
		if (!r->owner) {
			pool6_free(p);
			return -ENOMEM;
		}
	}
	return 0;
}

void pool6_free(struct pool6 *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->ranges[i].owner);
	free(p->ranges);
	memset(p, 0, sizeof(*p));
}

void pool6_gateway(const struct pool6 *p, size_t i, struct in6_addr *out)
{
	addr_at(&p->ranges[i].prefix, 1, out);
}

/* The offset of a from its prefix's start when a lies within the first
 * 2^16 addresses of it; false otherwise. */
static bool offset_in(const struct prefix6 *pf, const struct in6_addr *a, uint32_t *off)
{
	/* Within the prefix and the low 16 bits: the first 14 bytes are the
	 * prefix's own (its host bits there are clear, as a's must be). */
	if (!prefix6_contains(pf, a) || memcmp(a->s6_addr, pf->addr.s6_addr, 14) != 0)
		return false;
	uint32_t base = (uint32_t)pf->addr.s6_addr[14] << 8 | pf->addr.s6_addr[15];
	*off = ((uint32_t)a->s6_addr[14] << 8 | a->s6_addr[15]) - base;
	return true;
}

static struct pool6_range *range_of(const struct pool6 *p, const struct in6_addr *a, uint32_t *idx)
{
	for (size_t i = 0; i < p->n; i++) {
		uint32_t off;
		if (offset_in(&p->ranges[i].prefix, a, &off) && off >= 2 &&
		    off - 2 < p->ranges[i].count) {
			*idx = off - 2;
			return &p->ranges[i];
		}
	}
	return NULL;
}

static int take(struct pool6_range *r, uint32_t i, void *owner, struct in6_addr *addr)
{
	r->owner[i] = owner;
	r->used++;
	r->hint = i + 1 == r->count ? 0 : i + 1;
	addr_at(&r->prefix, i + 2, addr);
	return 0;
}

int pool6_lease_in(struct pool6 *p, void *owner, const struct in6_addr *want, size_t first,
		   size_t n, struct in6_addr *addr, size_t *range)
{
	uint32_t idx;
	struct pool6_range *wr = want ? range_of(p, want, &idx) : NULL;
	size_t wi = wr ? (size_t)(wr - p->ranges) : 0;
	if (wr && !wr->owner[idx] && wi >= first && wi - first < n) {
		*range = wi;
		return take(wr, idx, owner, addr);
	}
	for (size_t i = first; i < first + n && i < p->n; i++) {
		struct pool6_range *r = &p->ranges[i];
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

void pool6_release(struct pool6 *p, const struct in6_addr *a, const void *owner)
{
	uint32_t idx;
	struct pool6_range *r = range_of(p, a, &idx);
	if (r && r->owner[idx] && r->owner[idx] == owner) {
		r->owner[idx] = NULL;
		r->used--;
	}
}

void *pool6_owner(const struct pool6 *p, const struct in6_addr *a)
{
	uint32_t idx;
	struct pool6_range *r = range_of(p, a, &idx);
	return r ? r->owner[idx] : NULL;
}

bool pool6_contains(const struct pool6 *p, const struct in6_addr *a)
{
	for (size_t i = 0; i < p->n; i++)
		if (prefix6_contains(&p->ranges[i].prefix, a))
			return true;
	return false;
}

bool pool6_is_gateway(const struct pool6 *p, const struct in6_addr *a)
{
	for (size_t i = 0; i < p->n; i++) {
		uint32_t off;
		if (offset_in(&p->ranges[i].prefix, a, &off) && off == 1)
			return true;
	}
	return false;
}

uint32_t pool6_free_count(const struct pool6 *p)
{
	uint32_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += p->ranges[i].count - p->ranges[i].used;
	return n;
}
