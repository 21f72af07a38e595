#include "challenge.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "lib/codec.h"
#include "lib/random.h"

void challenge_park(struct challenges *c, const char *user, const uint8_t *state, size_t state_len,
		    double now, char id[CHALLENGE_ID_LEN + 1])
{
	struct challenge_slot *s = &c->slot[c->next++ % CHALLENGE_SLOTS];
	uint8_t raw[CHALLENGE_ID_LEN / 2];
	p2s_random(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), s->id, 0);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->state_len = state_len < sizeof(s->state) ? state_len : sizeof(s->state);
	memcpy(s->state, state, s->state_len);
	s->expires = now + CHALLENGE_LIFETIME;
	memcpy(id, s->id, CHALLENGE_ID_LEN + 1);
}

int challenge_take(struct challenges *c, const char *id, const char *user, double now,
		   uint8_t state[253], size_t *state_len)
{
	if (strlen(id) != CHALLENGE_ID_LEN)
		return -1;
	for (unsigned i = 0; i < CHALLENGE_SLOTS; i++) {
		struct challenge_slot *s = &c->slot[i];
		if (!s->id[0] || CRYPTO_memcmp(s->id, id, CHALLENGE_ID_LEN) != 0)
			continue;
		int ok = s->expires >= now && strcmp(s->user, user) == 0;
		if (ok) {
			memcpy(state, s->state, s->state_len);
			*state_len = s->state_len;
		}
		OPENSSL_cleanse(s, sizeof(*s)); /* once, right or wrong */
		return ok ? 0 : -1;
	}
	return -1;
}
