/* The management side: the one command table (routes, names, replies and
 * their errors over the control-socket framing), Prometheus rendering, the
 * bearer token, and the stats the core keeps for them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/gateway.h"
#include "lib/stats.h"
#include "mgmt/cmd.h"

static void nop_send(struct session *s, const uint8_t *p, size_t n)
{
	(void)s;
	(void)p;
	(void)n;
}

static void end_now(struct session *s, uint32_t cause, const char *why)
{
	core_session_end(s, cause, why);
}

static const struct session_ops ovpn_ops = {TUNNEL_OPENVPN, nop_send, end_now};
static const struct session_ops sstp_ops = {TUNNEL_SSTP, nop_send, end_now};

static struct core *core_new(void)
{
	static const char json[] = "{\"name\":\"t\",\"sku\":\"VpnGw1\",\"gatewayFqdn\":\"gw.test\","
				   "\"stateDirectory\":\"/nonexistent\","
				   "\"virtualNetwork\":{\"addressSpace\":[\"10.1.0.0/16\"]},"
				   "\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"
				   "{\"addressPrefixes\":[\"172.16.0.0/24\"]},"
				   "\"vpnClientProtocols\":[\"OpenVPN\",\"SSTP\"],"
				   "\"vpnAuthenticationTypes\":[\"Certificate\"]}}";
	struct conf_errors e = {0};
	struct gw_conf *c = conf_load_string(json, &e);
	conf_errors_free(&e);
	assert_non_null(c);
	struct core *g = calloc(1, sizeof(*g));
	g->conf = c;
	g->loop = ev_loop_new(EVFLAG_AUTO);
	assert_int_equal(core_pools_build(g, c, &g->pool), 0);
	core_auth_ctx_refresh(g);
	g->auth.admit = core_admit;
	return g;
}

static struct session *add(struct core *g, const struct session_ops *ops, const char *user,
			   uint64_t in, uint64_t out)
{
	union sockaddr_any peer = {0};
	peer.in.sin_family = AF_INET;
	struct session *s = core_session_new(g, ops, NULL, &peer);
	const char *why;
	assert_int_equal(core_admit(s, 0, -1, &why), 0);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->auth_type = AUTH_CERTIFICATE;
	s->ctr.bytes_in = in;
	s->ctr.bytes_out = out;
	s->ctr.pkts_in = in / 100;
	s->ctr.pkts_out = out / 100;
	return s;
}

static void core_drop(struct core *g)
{
	while (g->reg.head)
		core_session_free(g->reg.head);
	pool_free(&g->pool);
	free(g->conn_first);
	free(g->conn_n);
	ev_loop_destroy(g->loop);
	conf_free(g->conf);
	free(g);
}

/* Runs a control-socket line; the reply parsed. */
static json_t *ctl(struct core *g, const char *line)
{
	size_t len = 0;
	char *out = mgmt_ctl_execute(g, line, &len);
	assert_non_null(out);
	json_t *j = json_loadb(out, len, 0, NULL);
	free(out);
	assert_non_null(j);
	return j;
}

static int status_of(json_t *j)
{
	json_t *s = json_object_get(j, "status");
	return s ? (int)json_integer_value(s) : 200;
}

static void test_table_is_consistent(void **state)
{
	(void)state;
	size_t n = 0;
	for (const struct mgmt_cmd *c = mgmt_cmds; c->name; c++, n++) {
		assert_non_null(c->run);
		assert_true(c->path[0] == '/');
		assert_true(!strcmp(c->method, "GET") || !strcmp(c->method, "POST"));
		assert_ptr_equal(mgmt_cmd_by_name(c->name), c);
		int st;
		assert_ptr_equal(mgmt_cmd_by_route(c->method, c->path, &st), c);
		for (const struct mgmt_cmd *d = mgmt_cmds; d != c; d++) {
			assert_string_not_equal(d->name, c->name);
			assert_false(!strcmp(d->path, c->path) && !strcmp(d->method, c->method));
		}
	}
	assert_true(n >= 8);
	/* Only the liveness probe goes without a token. */
	assert_true(mgmt_cmd_by_name("healthz")->public);
	assert_false(mgmt_cmd_by_name("metrics")->public);
	assert_false(mgmt_cmd_by_name("session.disconnect")->public);
}

static void test_routes_unknown(void **state)
{
	(void)state;
	int st;
	assert_null(mgmt_cmd_by_route("GET", "/api/v1/nothing", &st));
	assert_int_equal(st, 404);
	assert_null(mgmt_cmd_by_route("DELETE", "/api/v1/sessions", &st));
	assert_int_equal(st, 405);
	assert_null(mgmt_cmd_by_name("session.drop"));
	assert_null(mgmt_cmd_by_name(NULL));
}

static void test_session_list_fields_and_filters(void **state)
{
	(void)state;
	struct core *g = core_new();
	struct session *a = add(g, &ovpn_ops, "alice@contoso.com", 1000, 2000);
	add(g, &sstp_ops, "bob@contoso.com", 10, 20);
	snprintf(a->cipher, sizeof(a->cipher), "AES-256-GCM");
	json_t *j = ctl(g, "session.list");
	assert_int_equal(json_array_size(j), 2);
	static const char *const need[] = {"vpnConnectionId",
					   "vpnConnectionDuration",
					   "vpnConnectionTime",
					   "publicIpAddress",
					   "privateIpAddress",
					   "vpnUserName",
					   "maxBandwidth",
					   "egressBytesTransferred",
					   "egressPacketsTransferred",
					   "ingressBytesTransferred",
					   "ingressPacketsTransferred",
					   "maxPacketsPerSecond",
					   "protocol",
					   "authenticationType",
					   "group",
					   "cipher"};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		assert_non_null(json_object_get(json_array_get(j, 0), need[i]));
	json_decref(j);
	j = ctl(g, "session.list {\"protocol\": \"sstp\"}");
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "vpnUserName")),
			    "bob@contoso.com");
	json_decref(j);
	j = ctl(g, "session.list {\"user\": \"ALICE@contoso.com\"}");
	assert_int_equal(json_array_size(j), 1);
	json_t *s = json_array_get(j, 0);
	assert_int_equal(json_integer_value(json_object_get(s, "ingressBytesTransferred")), 1000);
	assert_string_equal(json_string_value(json_object_get(s, "cipher")), "AES-256-GCM");
	assert_string_equal(json_string_value(json_object_get(s, "authenticationType")),
			    "Certificate");
	json_decref(j);
	core_drop(g);
}

static void test_disconnect_by_id_and_user(void **state)
{
	(void)state;
	struct core *g = core_new();
	struct session *a = add(g, &ovpn_ops, "alice@contoso.com", 1, 1);
	struct session *b = add(g, &ovpn_ops, "bob@contoso.com", 1, 1);
	struct session *c = add(g, &sstp_ops, "bob@contoso.com", 1, 1);
	char line[200];
	snprintf(line, sizeof(line), "session.disconnect {\"ids\": [\"%s\"]}", a->id);
	json_t *j = ctl(g, line);
	assert_int_equal(status_of(j), 200);
	assert_int_equal(json_array_size(json_object_get(j, "disconnected")), 1);
	json_decref(j);
	assert_true(a->ended);
	assert_false(b->ended);
	j = ctl(g, "session.disconnect {\"user\": \"bob@contoso.com\"}");
	assert_int_equal(json_array_size(json_object_get(j, "disconnected")), 2);
	json_decref(j);
	assert_true(b->ended && c->ended);
	core_drop(g);
}

static void test_disconnect_errors(void **state)
{
	(void)state;
	struct core *g = core_new();
	struct session *a = add(g, &ovpn_ops, "alice@contoso.com", 1, 1);
	char line[200];
	/* One unknown id among good ones: nothing is disconnected. */
	snprintf(line, sizeof(line), "session.disconnect {\"ids\": [\"%s\", \"OpenVPN_nope\"]}",
		 a->id);
	json_t *j = ctl(g, line);
	assert_int_equal(status_of(j), 404);
	assert_string_equal(json_string_value(json_object_get(j, "error")),
			    "no such session: OpenVPN_nope");
	json_decref(j);
	assert_false(a->ended);
	static const struct {
		const char *line;
		int status;
	} bad[] = {
		{"session.disconnect", 400},
		{"session.disconnect {}", 400},
		{"session.disconnect {\"ids\": 3}", 400},
		{"session.disconnect {\"ids\": [3]}", 400},
		{"session.disconnect {\"id\": ", 400},
		{"session.disconnect [1]", 400},
		{"session.disconnect {\"user\": \"nobody\"}", 404},
		{"session.disconnect {\"user\": 7}", 400},
		{"session.drop {}", 404},
		{"", 400},
		{" session.list", 400},
		/* Quoted back in the error: must still be a JSON reply. */
		{"sessio\x92\xd1\x9b\x93scoNnect {\"id\": \"x\"}", 404},
		{"session.disconnect {\"id\": \"OpenVPN_\xff\"}", 400},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = ctl(g, bad[i].line);
		if (status_of(j) != bad[i].status)
			fail_msg("\"%s\": expected %d, got %d", bad[i].line, bad[i].status,
				 status_of(j));
		assert_true(json_is_string(json_object_get(j, "error")));
		json_decref(j);
	}
	assert_false(a->ended);
	core_drop(g);
}

static void test_gateway_show(void **state)
{
	(void)state;
	struct core *g = core_new();
	add(g, &ovpn_ops, "alice@contoso.com", 1, 1);
	json_t *j = ctl(g, "gateway.show");
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "connections"), "OpenVPN")),
		1);
	json_t *p = json_array_get(json_object_get(j, "pools"), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "used")), 1);
	assert_int_equal(json_integer_value(json_object_get(p, "size")), 253);
	assert_int_equal(json_integer_value(json_object_get(j, "freePoolAddresses")), 252);
	assert_true(json_is_integer(json_object_get(j, "spoofedPackets")));
	assert_true(json_is_integer(json_object_get(j, "freePoolIpv6Addresses")));
	assert_true(json_is_integer(json_object_get(j, "unauthenticated")));
	json_decref(j);
	core_drop(g);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void test_metrics_render(void **state)
{
	(void)state;
	struct core *g = core_new();
	add(g, &ovpn_ops, "alice@contoso.com", 1000, 3000);
	struct session *b = add(g, &ovpn_ops, "bob@contoso.com", 500, 700);
	core_session_end(b, 6, "test"); /* its bytes stay in the totals */
	stats_refusal(&g->stats, 0, "OpenVPN", "OpenVPN_x", "eve", "RADIUS rejected user \"eve\"");
	stats_refusal(&g->stats, 0, "OpenVPN", "OpenVPN_y", "eve", "odd \\ reason\nhere");
	stats_radius_rtt(&g->stats, "10.0.0.5:1812", 0.02);
	stats_radius_rtt(&g->stats, "10.0.0.5:1812", 7.0);
	stats_radius_timeout(&g->stats, "10.0.0.5:1812");
	char *m = mgmt_metrics_render(g);
	assert_non_null(m);
	assert_true(has_line(m, "# TYPE p2sgw_bytes_total counter"));
	assert_true(has_line(m, "p2sgw_bytes_total{direction=\"in\"} 1500"));
	assert_true(has_line(m, "p2sgw_spoofed_packets_total 0"));
	assert_true(has_line(m, "p2sgw_dataplane_handoff_drops_total 0"));
	assert_true(has_line(m, "p2sgw_dataplane_pauses_total 0"));
	assert_true(has_line(m, "# TYPE p2sgw_dataplane_pauses_total counter"));
	assert_true(has_line(m, "p2sgw_bytes_total{direction=\"out\"} 3700"));
	assert_true(
		has_line(m, "p2sgw_connections{protocol=\"OpenVPN\",auth_type=\"Certificate\"} 1"));
	assert_true(has_line(m, "p2sgw_handshakes_total{protocol=\"OpenVPN\"} 2"));
	assert_true(has_line(m, "p2sgw_refusals_total{reason=\"RADIUS rejected user\"} 1"));
	assert_true(has_line(m, "p2sgw_refusals_total{reason=\"odd \\\\ reason\\nhere\"} 1"));
	assert_true(has_line(
		m, "p2sgw_radius_rtt_seconds_bucket{server=\"10.0.0.5:1812\",le=\"0.025\"} 1"));
	assert_true(has_line(
		m, "p2sgw_radius_rtt_seconds_bucket{server=\"10.0.0.5:1812\",le=\"5\"} 1"));
	assert_true(has_line(
		m, "p2sgw_radius_rtt_seconds_bucket{server=\"10.0.0.5:1812\",le=\"+Inf\"} 2"));
	assert_true(has_line(m, "p2sgw_radius_timeouts_total{server=\"10.0.0.5:1812\"} 1"));
	assert_true(has_line(m, "p2sgw_pool_addresses{pool=\"default\",state=\"used\"} 1"));
	assert_true(has_line(m, "p2sgw_pool_addresses{pool=\"default\",state=\"free\"} 252"));
	/* No Entra ID keys: no age series at all rather than a made-up one. */
	assert_null(strstr(m, "p2sgw_jwks_refresh_age_seconds "));
	free(m);
	g->keys_at = ev_now(g->loop) - 42;
	m = mgmt_metrics_render(g);
	assert_true(has_line(m, "p2sgw_jwks_refresh_age_seconds 42"));
	free(m);
	/* The TUN's drops are the kernel's (sysfs): a device that is not there
	 * gives no series; one that is (the loopback, here) gives both. */
	free(g->conf->tun_name);
	g->conf->tun_name = strdup("p2s-absent9");
	m = mgmt_metrics_render(g);
	assert_null(strstr(m, "p2sgw_dataplane_tun_dropped_total"));
	free(m);
	free(g->conf->tun_name);
	g->conf->tun_name = strdup("lo");
	m = mgmt_metrics_render(g);
	assert_true(has_line(m, "# TYPE p2sgw_dataplane_tun_dropped_total counter"));
	assert_non_null(
		strstr(m, "\np2sgw_dataplane_tun_dropped_total{direction=\"to_gateway\"} "));
	assert_non_null(
		strstr(m, "\np2sgw_dataplane_tun_dropped_total{direction=\"from_gateway\"} "));
	free(m);
	core_drop(g);
}

static void test_token_check(void **state)
{
	(void)state;
	const char *t = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char good[100];
	snprintf(good, sizeof(good), "Bearer %s", t);
	assert_true(mgmt_token_check(good, t));
	good[7] = 'x';
	assert_false(mgmt_token_check(good, t));
	assert_false(mgmt_token_check(NULL, t));
	assert_false(mgmt_token_check("", t));
	assert_false(mgmt_token_check("Bearer ", t));
	assert_false(mgmt_token_check("Basic 0123", t));
	snprintf(good, sizeof(good), "Bearer %s0", t);
	assert_false(mgmt_token_check(good, t)); /* longer */
	snprintf(good, sizeof(good), "Bearer %.63s", t);
	assert_false(mgmt_token_check(good, t));       /* a prefix */
	assert_false(mgmt_token_check("Bearer ", "")); /* no token configured: nobody */
}

static void test_token_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/p2s-token-XXXXXX", path[64], a[80], b[80];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mgmt.token", dir);
	assert_int_equal(mgmt_token_load(path, a, sizeof(a)), 0);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(mgmt_token_load(path, b, sizeof(b)), 0); /* kept across restarts */
	assert_string_equal(a, b);
	FILE *f = fopen(path, "w");
	fputs("short\n", f);
	fclose(f);
	assert_int_equal(mgmt_token_load(path, b, sizeof(b)), -EINVAL);
	unlink(path);
	rmdir(dir);
}

static void test_stats_rings(void **state)
{
	(void)state;
	struct stats *st = calloc(1, sizeof(*st));
	char label[64];
	stats_reason_label("no RADIUS server answered", label, sizeof(label));
	assert_string_equal(label, "no RADIUS server answered");
	stats_reason_label("access token refused: expired", label, sizeof(label));
	assert_string_equal(label, "access token refused");
	stats_reason_label("", label, sizeof(label));
	assert_string_equal(label, "unspecified");
	for (int i = 0; i < 40; i++) {
		char why[32];
		snprintf(why, sizeof(why), "reason %d", i);
		stats_refusal(st, i, "SSTP", NULL, NULL, why);
	}
	assert_int_equal(st->n_reasons, STATS_REASONS);
	assert_string_equal(st->reasons[STATS_REASONS - 1].label, "other");
	assert_int_equal(st->reasons[STATS_REASONS - 1].count, 40 - (STATS_REASONS - 1));
	assert_string_equal(stats_recent(st, 0)->reason, "reason 39");
	assert_string_equal(stats_recent(st, STATS_RECENT - 1)->reason, "reason 8");
	assert_null(stats_recent(st, STATS_RECENT));
	for (int i = 0; i < 70; i++) {
		struct stats_minute m = {.start = i, .connections = (uint32_t)i};
		stats_minute_push(st, &m);
	}
	assert_int_equal(stats_minute(st, 0)->connections, 69);
	assert_int_equal(stats_minute(st, STATS_MINUTES - 1)->connections, 10);
	assert_null(stats_minute(st, STATS_MINUTES));
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_consistent),
		cmocka_unit_test(test_routes_unknown),
		cmocka_unit_test(test_session_list_fields_and_filters),
		cmocka_unit_test(test_disconnect_by_id_and_user),
		cmocka_unit_test(test_disconnect_errors),
		cmocka_unit_test(test_gateway_show),
		cmocka_unit_test(test_metrics_render),
		cmocka_unit_test(test_token_check),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_stats_rings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
