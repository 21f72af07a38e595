/* Sliding replay window over a 64-bit sequence (data packet ids, or
 * tls-auth time<<32|id: a newer time moves the window forward). */
#ifndef P2S_OVPN_REPLAY_H
#define P2S_OVPN_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW 64

struct replay_win {
	uint64_t top;  /* highest accepted sequence */
	uint64_t bits; /* bit i set: top - i was accepted */
};

/* 0 when seq may be accepted, P2S_E_REPLAY otherwise. Does not record it. */
int replay_check(const struct replay_win *w, uint64_t seq);
/* Records seq; call only after the packet authenticated. */
void replay_update(struct replay_win *w, uint64_t seq);

#endif
