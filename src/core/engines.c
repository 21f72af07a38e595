/* The tunnel engines the configuration enables, from the daemon's table:
 * started, reloaded, or stopped (their clients told why) as
 * vpnClientProtocols changes. */
#define LOG_MODULE "gateway"

#include <stdio.h>

#include "auth/radius.h"
#include "core/gateway.h"
#include "lib/err.h"
#include "lib/log.h"

static void end_sessions_of(struct core *g, enum tunnel_proto p, const char *why)
{
	struct session *next;
	for (struct session *s = g->reg.head; s; s = next) {
		next = s->next;
		if (s->ops->proto == p)
			s->ops->disconnect(s, RAD_TERM_ADMIN_RESET, why);
	}
}

static void engine_stop(struct core *g, const struct engine_ops *ops)
{
	char why[96];
	snprintf(why, sizeof(why), "%s is no longer enabled (vpnClientProtocols)",
		 tunnel_name(ops->proto));
	end_sessions_of(g, ops->proto, why);
	ops->stop(g->engines[ops->proto]);
	g->engines[ops->proto] = NULL;
	log_info("%s stopped", tunnel_name(ops->proto));
}

static int engine_sync(struct core *g, const struct engine_ops *ops)
{
	bool want = g->conf->protocols & tunnel_conf_bit(ops->proto);
	struct engine *e = g->engines[ops->proto];
	if (want && !e) {
		e = ops->start(g);
		if (!e)
			return P2S_E_CONFIG;
		g->engines[ops->proto] = e;
		return 0;
	}
	if (!want && e)
		engine_stop(g, ops);
	else if (want && ops->reload)
		return ops->reload(e);
	return 0;
}

int core_engines_sync(struct core *g)
{
	int r = 0;
	for (size_t i = 0; g->engine_table && g->engine_table[i]; i++) {
		int e = engine_sync(g, g->engine_table[i]);
		if (e < 0 && r == 0)
			r = e;
	}
	unsigned p = g->conf->protocols;
	for (int t = 0; t < TUNNEL_N; t++)
		if ((p & tunnel_conf_bit((enum tunnel_proto)t)) && !g->engines[t])
			log_warn("%s is enabled but this build has no %s engine",
				 tunnel_name((enum tunnel_proto)t),
				 tunnel_name((enum tunnel_proto)t));
	if (!(p & (PROTO_OPENVPN | PROTO_SSTP)))
		listener_close(g);
	else if (listener_open(g) < 0 && r == 0)
		r = P2S_E_CONFIG;
	return r;
}

void core_engines_stop(struct core *g)
{
	for (size_t i = 0; g->engine_table && g->engine_table[i]; i++) {
		const struct engine_ops *ops = g->engine_table[i];
		if (g->engines[ops->proto]) {
			ops->stop(g->engines[ops->proto]);
			g->engines[ops->proto] = NULL;
		}
	}
}

bool core_lane_stats(const struct core *g, enum tunnel_proto p, unsigned i, struct lane_stats *out)
{
	for (size_t k = 0; g->engine_table && g->engine_table[k]; k++) {
		const struct engine_ops *ops = g->engine_table[k];
		if (ops->proto != p || !ops->lane_stats || !g->engines[p])
			continue;
		*out = (struct lane_stats){0};
		return ops->lane_stats(g->engines[p], i, out);
	}
	return false;
}
