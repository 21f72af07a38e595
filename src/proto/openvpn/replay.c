#include "replay.h"

#include "lib/err.h"

int replay_check(const struct replay_win *w, uint64_t seq)
{
	if ((uint32_t)seq == 0)
		return P2S_E_REPLAY; /* id 0 is never sent */
	if (seq > w->top)
		return 0;
	uint64_t back = w->top - seq;
	if (back >= REPLAY_WINDOW)
		return P2S_E_REPLAY;
	return (w->bits >> back) & 1 ? P2S_E_REPLAY : 0;
}

void replay_update(struct replay_win *w, uint64_t seq)
{
	if (seq > w->top) {
		uint64_t shift = seq - w->top;
		w->bits = shift >= REPLAY_WINDOW ? 0 : w->bits << shift;
		w->bits |= 1;
		w->top = seq;
	} else if (w->top - seq < REPLAY_WINDOW) {
		w->bits |= 1ull << (w->top - seq);
	}
}
