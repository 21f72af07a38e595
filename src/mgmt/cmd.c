/* The command table and the commands that read or act on the gateway:
 * sessions (Azure's connection-health fields), disconnect, the gateway's
 * caps, counts and pools, refusals, history, reload, the profile package
 * and the metrics. */
#define LOG_MODULE "mgmt"

#include "cmd.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/radius.h"
#include "core/dplane.h"
#include "core/gateway.h"
#include "lib/log.h"
#include "lib/text.h"

void mgmt_reply_error(struct mgmt_reply *r, int status, const char *fmt, ...)
{
	char raw[512], msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Messages quote the request (a command name, an id): JSON strings must be
	 * UTF-8, or the reply would be no reply at all. */
	text_clean(msg, sizeof(msg), raw);
	json_decref(r->body);
	r->status = status;
	r->body = json_pack("{s:s}", "error", msg);
}

void mgmt_reply_free(struct mgmt_reply *r)
{
	if (!r)
		return;
	json_decref(r->body);
	free(r->data);
	memset(r, 0, sizeof(*r));
}

static const char *auth_name(unsigned t)
{
	switch (t) {
	case AUTH_CERTIFICATE: return "Certificate";
	case AUTH_RADIUS: return "Radius";
	case AUTH_AAD: return "AAD";
	default: return "";
	}
}

static void iso_time(time_t t, char *out, size_t cap)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Beyond Azure's fields: the IPv6 address ("" for none) and the packets the
 * inner-source check dropped. */
static json_t *session_json6(json_t *j, const struct session *s)
{
	static const struct in6_addr none;
	char a6[INET6_ADDRSTRLEN] = "";
	if (memcmp(&s->addr6, &none, sizeof(none)) != 0)
		inet_ntop(AF_INET6, &s->addr6, a6, sizeof(a6));
	json_object_set_new(j, "privateIpv6Address", json_string(a6));
	json_object_set_new(j, "droppedPackets", json_integer((json_int_t)s->ctr.dropped));
	json_object_set_new(j, "spoofedPackets", json_integer((json_int_t)s->ctr.spoofed));
	json_object_set_new(j, "deniedPackets", json_integer((json_int_t)s->ctr.denied));
	json_object_set_new(j, "dataPlaneWorker", json_integer((json_int_t)s->worker));
	json_object_set_new(j, "crossWorkerPackets", json_integer((json_int_t)s->ctr.cross_worker));
	return j;
}

static json_t *session_json(const struct session *s, time_t now)
{
	char peer[64], addr[16], when[32];
	sockaddr_str(&s->peer, peer, sizeof(peer));
	ip4_str(s->addr, addr);
	iso_time(s->started, when, sizeof(when));
	return session_json6(
		json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, "
			  "s:s, s:s}",
			  "vpnConnectionId", s->id, "vpnConnectionDuration",
			  (json_int_t)(now - s->started), "vpnConnectionTime", when,
			  "publicIpAddress", peer, "privateIpAddress", s->addr ? addr : "",
			  "vpnUserName", s->user, "maxBandwidth", (json_int_t)s->max_bps,
			  "egressBytesTransferred", (json_int_t)s->ctr.bytes_out,
			  "egressPacketsTransferred", (json_int_t)s->ctr.pkts_out,
			  "ingressBytesTransferred", (json_int_t)s->ctr.bytes_in,
			  "ingressPacketsTransferred", (json_int_t)s->ctr.pkts_in,
			  "maxPacketsPerSecond", (json_int_t)s->max_pps, "protocol",
			  tunnel_name(s->ops->proto), "authenticationType", auth_name(s->auth_type),
			  "group", s->group, "cipher", s->cipher),
		s);
}

static const char *arg_str(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

static bool listed(const struct session *s, json_t *args)
{
	const char *user = arg_str(args, "user"), *proto = arg_str(args, "protocol");
	if (!s->admitted || s->ended)
		return false;
	if (user && strcasecmp(user, s->user) != 0)
		return false;
	return !proto || strcasecmp(proto, tunnel_name(s->ops->proto)) == 0;
}

static void cmd_session_list(struct core *g, json_t *args, struct mgmt_reply *r)
{
	json_t *arr = json_array();
	time_t now = time(NULL);
	for (struct session *s = g->reg.head; s; s = s->next)
		if (listed(s, args))
			json_array_append_new(arr, session_json(s, now));
	r->body = arr;
}

/* The ids asked for: "id", or "ids" as an array of strings. */
static int collect_ids(json_t *args, const char **ids, size_t cap, size_t *n)
{
	json_t *one = json_object_get(args, "id"), *many = json_object_get(args, "ids");
	*n = 0;
	if (one) {
		if (!json_is_string(one))
			return -1;
		ids[(*n)++] = json_string_value(one);
	}
	if (many && !json_is_array(many))
		return -1;
	size_t i;
	json_t *v;
	json_array_foreach(many, i, v)
	{
		if (!json_is_string(v) || *n == cap)
			return -1;
		ids[(*n)++] = json_string_value(v);
	}
	return 0;
}

#define MAX_IDS 256

static bool listed_in(struct session *const *v, size_t n, const struct session *s)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == s)
			return true;
	return false;
}

static void disconnect_all(struct session **v, size_t n, json_t *done)
{
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(done, json_string(v[i]->id));
		log_info("disconnecting %s (user \"%s\"): asked by the administrator", v[i]->id,
			 v[i]->user);
		v[i]->ops->disconnect(v[i], RAD_TERM_ADMIN_RESET,
				      "disconnected by the administrator");
	}
}

/* Every id must name a live session, or nothing is disconnected. */
static void cmd_session_disconnect(struct core *g, json_t *args, struct mgmt_reply *r)
{
	const char *ids[MAX_IDS], *user = arg_str(args, "user");
	size_t n;
	if (collect_ids(args, ids, MAX_IDS, &n) < 0 || (json_object_get(args, "user") && !user)) {
		mgmt_reply_error(r, 400,
				 "\"id\" and \"user\" are strings, \"ids\" an "
				 "array of at most %d strings",
				 MAX_IDS);
		return;
	}
	if (!n && !user) {
		mgmt_reply_error(r, 400, "name the sessions: \"id\", \"ids\" or \"user\"");
		return;
	}
	struct session **v = calloc(g->reg.count + n + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; v && i < n; i++) {
		struct session *s = session_find(&g->reg, ids[i]);
		if (!s || s->ended) {
			free(v);
			mgmt_reply_error(r, 404, "no such session: %s", ids[i]);
			return;
		}
		if (!listed_in(v, k, s))
			v[k++] = s;
	}
	size_t by_id = k;
	for (struct session *s = g->reg.head; v && user && s; s = s->next)
		if (!s->ended && strcasecmp(s->user, user) == 0 && !listed_in(v, by_id, s))
			v[k++] = s;
	if (!v) {
		mgmt_reply_error(r, 500, "out of memory");
	} else if (!k) {
		mgmt_reply_error(r, 404, "user \"%s\" has no session", user);
	} else {
		r->body = json_pack("{s:[]}", "disconnected");
		disconnect_all(v, k, json_object_get(r->body, "disconnected"));
	}
	free(v);
}

static json_t *pools_json(const struct core *g, uint32_t *free_total)
{
	json_t *arr = json_array();
	*free_total = 0;
	for (size_t i = 0; !g->conf->p2s_absent && i < core_pool_count(g); i++) {
		struct core_pool_usage u;
		core_pool_usage(g, i, &u);
		*free_total += u.size - u.used;
		json_array_append_new(arr, json_pack("{s:s, s:i, s:i, s:i}", "name", u.name, "size",
						     (int)u.size, "used", (int)u.used, "free",
						     (int)(u.size - u.used)));
	}
	return arr;
}

static json_t *by_auth_json(const struct core *g)
{
	unsigned cert = 0, rad = 0, aad = 0;
	for (const struct session *s = g->reg.head; s; s = s->next) {
		if (!s->admitted || s->ended)
			continue;
		cert += s->auth_type == AUTH_CERTIFICATE;
		rad += s->auth_type == AUTH_RADIUS;
		aad += s->auth_type == AUTH_AAD;
	}
	return json_pack("{s:i, s:i, s:i}", "Certificate", (int)cert, "Radius", (int)rad, "AAD",
			 (int)aad);
}

/* Worker i's datagrams read on every engine's lane i. */
static uint64_t lane_packets(const struct core *g, unsigned i)
{
	uint64_t n = 0;
	struct lane_stats ls;
	for (int p = 0; p < TUNNEL_N; p++)
		for (unsigned k = 0;
		     core_lane_stats(g, (enum tunnel_proto)p, i, &ls) && k < ls.n_kinds; k++)
			n += ls.packets[k];
	return n;
}

/* The data plane in short: per worker its sessions, what its lanes read
 * and its forwarder coalesced; hand-off drops; crossing packets. */
static json_t *dataplane_json(const struct core *g)
{
	json_t *per = json_array();
	for (unsigned i = 0; i < dplane_count(); i++) {
		struct dplane_worker_stats w = {0};
		if (!dplane_worker_stats(i, &w))
			fwd_stats(&g->fwd, &w.fwd); /* one worker: the main loop */
		unsigned sessions = 0;
		for (const struct session *s = g->reg.head; s; s = s->next)
			sessions += s->admitted && !s->ended && s->dp_fast && s->worker == i;
		json_array_append_new(per, json_pack("{s:i, s:i, s:I, s:I}", "worker", (int)i,
						     "sessions", (int)sessions, "lanePacketsIn",
						     (json_int_t)lane_packets(g, i), "coalesced",
						     (json_int_t)w.fwd.coalesced));
	}
	return json_pack("{s:i, s:I, s:I, s:o}", "workers", (int)dplane_count(), "handoffDrops",
			 (json_int_t)dplane_ring_dropped(), "crossWorkerPackets",
			 (json_int_t)core_cross_worker_total(g), "perWorker", per);
}

static void cmd_gateway_show(struct core *g, json_t *args, struct mgmt_reply *r)
{
	(void)args;
	const struct gw_conf *c = g->conf;
	unsigned admitted = 0;
	for (int t = 0; t < TUNNEL_N; t++)
		admitted += g->reg.admitted[t];
	uint32_t free_total;
	json_t *pools = pools_json(g, &free_total);
	r->body = json_pack(
		"{s:s, s:s, s:s, s:s, s:b, s:{s:i, s:i}, s:{s:i, s:i, s:i}, s:o, s:i, "
		"s:i, s:i, s:o}",
		"name", c->name, "sku", c->sku, "vpnGatewayGeneration", c->generation,
		"gatewayFqdn", c->fqdn, "pointToSiteConfigured", !c->p2s_absent, "connectionLimits",
		"SSTP", (int)core_connection_cap(g, TUNNEL_SSTP), "IkeV2AndOpenVPN",
		(int)core_connection_cap(g, TUNNEL_OPENVPN), "connections", "OpenVPN",
		(int)g->reg.admitted[TUNNEL_OPENVPN], "IKEv2", (int)g->reg.admitted[TUNNEL_IKEV2],
		"SSTP", (int)g->reg.admitted[TUNNEL_SSTP], "connectionsByAuthType", by_auth_json(g),
		"handshaking", (int)(g->reg.count - admitted), "unauthenticated",
		(int)core_preauth_count(g), "freePoolAddresses", (int)free_total, "pools", pools);
	json_object_set_new(r->body, "freePoolIpv6Addresses",
			    json_integer((json_int_t)pool6_free_count(&g->pool6)));
	json_object_set_new(r->body, "spoofedPackets",
			    json_integer((json_int_t)core_spoofed_total(g)));
	json_object_set_new(r->body, "dataPlane", dataplane_json(g));
}

static void cmd_refusals(struct core *g, json_t *args, struct mgmt_reply *r)
{
	(void)args;
	const struct stats *st = &g->stats;
	json_t *by = json_object(), *recent = json_array();
	for (size_t i = 0; i < st->n_reasons; i++)
		json_object_set_new(by, st->reasons[i].label,
				    json_integer((json_int_t)st->reasons[i].count));
	const struct stats_refusal *f;
	for (size_t i = 0; (f = stats_recent(st, i)); i++) {
		char when[32];
		iso_time(f->when, when, sizeof(when));
		json_array_append_new(recent,
				      json_pack("{s:s, s:s, s:s, s:s, s:s}", "time", when,
						"protocol", f->proto, "sessionId", f->session,
						"user", f->user, "reason", f->reason));
	}
	r->body = json_pack("{s:I, s:o, s:o}", "total", (json_int_t)st->refused_total, "byReason",
			    by, "recent", recent);
}

static json_t *minute_json(time_t start, unsigned conns, uint64_t in, uint64_t out)
{
	return json_pack("{s:I, s:i, s:I, s:I}", "start", (json_int_t)start, "connections",
			 (int)conns, "bytesIn", (json_int_t)in, "bytesOut", (json_int_t)out);
}

/* The last hour, oldest first, then the minute under way. */
static void cmd_history(struct core *g, json_t *args, struct mgmt_reply *r)
{
	(void)args;
	json_t *arr = json_array();
	for (size_t i = g->stats.n_minutes; i-- > 0;) {
		const struct stats_minute *m = stats_minute(&g->stats, i);
		json_array_append_new(
			arr, minute_json(m->start, m->connections, m->bytes_in, m->bytes_out));
	}
	struct core_traffic t;
	core_traffic_totals(g, &t);
	unsigned conns = 0;
	for (int p = 0; p < TUNNEL_N; p++)
		conns += g->reg.admitted[p];
	double into = ev_now(g->loop) - g->minute_start;
	json_t *cur = minute_json(time(NULL) - (time_t)into, conns, t.bytes_in - g->minute_in0,
				  t.bytes_out - g->minute_out0);
	json_object_set_new(cur, "seconds", json_real(into));
	r->body = json_pack("{s:o, s:o}", "minutes", arr, "current", cur);
}

static void cmd_reload(struct core *g, json_t *args, struct mgmt_reply *r)
{
	(void)args;
	char note[256];
	if (core_reload(g, note, sizeof(note)) < 0) {
		mgmt_reply_error(r, 409, "configuration rejected: %s",
				 note[0] ? note : "see the gateway log");
		return;
	}
	if (note[0])
		r->body = json_pack("{s:b, s:s}", "reloaded", 1, "restartNeeded", note);
	else
		r->body = json_pack("{s:b}", "reloaded", 1);
}

static void cmd_metrics(struct core *g, json_t *args, struct mgmt_reply *r)
{
	(void)args;
	r->data = mgmt_metrics_render(g);
	if (!r->data) {
		mgmt_reply_error(r, 500, "out of memory");
		return;
	}
	r->len = strlen(r->data);
	r->type = "text/plain; version=0.0.4; charset=utf-8";
}

static void cmd_healthz(struct core *g, json_t *args, struct mgmt_reply *r)
{
	(void)args;
	r->body = json_pack("{s:s, s:b}", "status", "ok", "stopping", core_stopping(g));
}

void mgmt_profile_package(struct core *g, json_t *args, struct mgmt_reply *r);

const struct mgmt_cmd mgmt_cmds[] = {
	{"session.list", "GET", "/api/v1/sessions", false, cmd_session_list,
	 "sessions with Azure's connection-health fields; filters: user, protocol"},
	{"session.disconnect", "POST", "/api/v1/sessions/disconnect", false, cmd_session_disconnect,
	 "ends sessions: {\"id\"}, {\"ids\": [...]} or {\"user\"}"},
	{"gateway.show", "GET", "/api/v1/gateway", false, cmd_gateway_show,
	 "SKU, connection caps, counts, pool usage per group"},
	{"gateway.refusals", "GET", "/api/v1/refusals", false, cmd_refusals,
	 "authentication failures by reason, and the recent ones"},
	{"gateway.history", "GET", "/api/v1/history", false, cmd_history,
	 "connections and bytes per minute over the last hour"},
	{"gateway.reload", "POST", "/api/v1/reload", false, cmd_reload,
	 "re-reads the configuration file"},
	{"profile.package", "GET", "/api/v1/profile", false, mgmt_profile_package,
	 "the client profile package (zip)"},
	{"metrics", "GET", "/metrics", false, cmd_metrics, "Prometheus text format"},
	{"healthz", "GET", "/healthz", true, cmd_healthz, "liveness, without a token"},
	{NULL}};

const struct mgmt_cmd *mgmt_cmd_by_name(const char *name)
{
	for (const struct mgmt_cmd *c = mgmt_cmds; name && c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct mgmt_cmd *mgmt_cmd_by_route(const char *method, const char *path, int *status)
{
	*status = 404;
	for (const struct mgmt_cmd *c = mgmt_cmds; c->name; c++) {
		if (strcmp(c->path, path) != 0)
			continue;
		if (strcmp(c->method, method) == 0)
			return c;
		*status = 405;
	}
	return NULL;
}

void mgmt_cmd_run(const struct mgmt_cmd *cmd, struct core *g, json_t *args, struct mgmt_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	if (args && !json_is_object(args)) {
		mgmt_reply_error(r, 400, "arguments must be a JSON object");
		return;
	}
	json_t *none = args ? NULL : json_object();
	cmd->run(g, args ? args : none, r);
	json_decref(none);
	if (!r->body && !r->data)
		mgmt_reply_error(r, 500, "out of memory");
}
