/* RADIUS challenges a client answers on its next connection (OpenVPN's
 * dynamic challenge closes the connection with the prompt and comes back
 * with the answer): the State and the user are parked under a random id,
 * for a few minutes, and taken once. */
#ifndef P2S_CHALLENGE_H
#define P2S_CHALLENGE_H

#include <stddef.h>
#include <stdint.h>

#define CHALLENGE_SLOTS	   1024
#define CHALLENGE_LIFETIME 180.0 /* time to read a phone and type a code */
#define CHALLENGE_ID_LEN   32	 /* hex characters */

struct challenge_slot {
	char id[CHALLENGE_ID_LEN + 1];
	char user[256];
	uint8_t state[253];
	size_t state_len;
	double expires;
};

struct challenges {
	struct challenge_slot slot[CHALLENGE_SLOTS];
	unsigned next; /* the oldest is overwritten when all are in use */
};

/* Parks user and State; writes the id (CHALLENGE_ID_LEN + 1 bytes). */
void challenge_park(struct challenges *c, const char *user, const uint8_t *state, size_t state_len,
		    double now, char id[CHALLENGE_ID_LEN + 1]);
/* Takes the challenge id back for user: 0 with its State, or -1 (unknown,
 * expired, or parked for another user). Each id works once. */
int challenge_take(struct challenges *c, const char *id, const char *user, double now,
		   uint8_t state[253], size_t *state_len);

#endif
