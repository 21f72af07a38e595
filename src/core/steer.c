/* Each data-plane session's addresses in the TUN steering map, so the
 * kernel queues its packets for the worker that owns it (tunnel/tunsteer.h).
 * The map is only written here, on the main loop. */
#define LOG_MODULE "dplane"
#include <errno.h>

#include "core/gateway.h"
#include "lib/err.h"
#include "lib/log.h"
#include "tunnel/tunsteer.h"

/* A failed update only costs order and locality, not delivery: the reading
 * worker still seals the packet. Logged once per gateway. */
static void steer_failed(struct core *g, const struct session *s, int r)
{
	if (g->steer_failed)
		return;
	g->steer_failed = true;
	slog_warn(s->id,
		  "TUN steering map update failed (%s): its packets may reach another worker",
		  p2s_strerror(r));
}

static void put(struct core *g, const struct session *s, const struct tunsteer_key *k, bool add)
{
	int r = add ? tunsteer_set(g->steer_fd, k, s->worker) : tunsteer_del(g->steer_fd, k);
	if (r < 0 && !(r == -ENOENT && !add))
		steer_failed(g, s, r);
}

void core_steer4(struct session *s, bool add)
{
	struct tunsteer_key k;
	if (s->core->steer_fd < 0 || !s->addr || (add && !s->dp_fast))
		return;
	tunsteer_key4(&k, s->addr);
	put(s->core, s, &k, add);
}

void core_steer6(struct session *s, bool add)
{
	struct tunsteer_key k;
	if (s->core->steer_fd < 0 || !core_has_addr6(s) || (add && !s->dp_fast))
		return;
	tunsteer_key6(&k, &s->addr6);
	put(s->core, s, &k, add);
}

void core_session_steer(struct session *s)
{
	if (!s->admitted)
		return;
	core_steer4(s, true);
	core_steer6(s, true);
}
