#include "replay.h"

#include "lib/err.h"

/* The high half is tls-auth's time: a window never spans two times, so a
 * packet from an older time is refused whatever its id (as OpenVPN does). */
static bool same_time(uint64_t a, uint64_t b)
{
	return a >> 32 == b >> 32;
}

int replay_check(const struct replay_win *w, uint64_t seq)
{
	if ((uint32_t)seq == 0)
		return P2S_E_REPLAY; /* id 0 is never sent */
	if (seq > w->top)
		return 0;
	uint64_t back = w->top - seq;
	if (back >= REPLAY_WINDOW || !same_time(seq, w->top))
		return P2S_E_REPLAY;
	return (w->bits >> back) & 1 ? P2S_E_REPLAY : 0;
}

void replay_update(struct replay_win *w, uint64_t seq)
{
	if (seq > w->top) {
		uint64_t shift = seq - w->top;
		w->bits = shift >= REPLAY_WINDOW || !same_time(seq, w->top) ? 0 : w->bits << shift;
		w->bits |= 1;
		w->top = seq;
	} else if (w->top - seq < REPLAY_WINDOW && same_time(seq, w->top)) {
		w->bits |= 1ull << (w->top - seq);
	}
}
