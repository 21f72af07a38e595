#include "ratelimit.h"

#include <string.h>

#include "lib/random.h"
#include "lib/siphash.h"

void ratelimit_init(struct ratelimit *r, uint32_t per_minute)
{
	memset(r, 0, sizeof(*r));
	p2s_random(r->hash_key, sizeof(r->hash_key));
	r->per_minute = per_minute;
}

bool ratelimit_allow(struct ratelimit *r, const char *name, double now)
{
	uint64_t key = siphash24(r->hash_key, name, strlen(name));
	struct ratelimit_slot *s = &r->slot[key % RATELIMIT_SLOTS];
	if (s->key != key || now - s->window_start >= 60.0) {
		s->key = key;
		s->window_start = now;
		s->count = 0;
	}
	if (s->count >= r->per_minute)
		return false;
	s->count++;
	return true;
}
