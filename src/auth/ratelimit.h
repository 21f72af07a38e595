/* How often one user name may ask RADIUS: each attempt may push an MFA
 * prompt to a phone or count towards an account lockout, so a client that
 * retries (or an attacker who guesses) is slowed before RADIUS sees it. */
#ifndef P2S_RATELIMIT_H
#define P2S_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 4096

struct ratelimit_slot {
	uint64_t key;
	double window_start;
	uint32_t count;
};

struct ratelimit {
	uint8_t hash_key[16]; /* names choose slots only through a keyed hash */
	uint32_t per_minute;
	struct ratelimit_slot slot[RATELIMIT_SLOTS];
};

void ratelimit_init(struct ratelimit *r, uint32_t per_minute);
/* One more attempt for name at time now: false when over the limit. A slot
 * shared by two names (rare, and not steerable) counts them together. */
bool ratelimit_allow(struct ratelimit *r, const char *name, double now);

#endif
