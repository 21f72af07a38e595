/* Control-socket requests ("NAME {json}") against a small gateway with two
 * sessions: every reply is JSON or bytes, errors carry a status, and the
 * sessions a request does not name stay up. */
#include <jansson.h>
#include <string.h>

#include "core/gateway.h"
#include "fuzz.h"
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

static const struct session_ops ops = {TUNNEL_OPENVPN, nop_send, end_now};

static struct core *core_once(void)
{
	static struct core *g;
	if (g)
		return g;
	struct conf_errors e = {0};
	struct gw_conf *c =
		conf_load_string("{\"gatewayFqdn\":\"gw.test\",\"stateDirectory\":\"/nonexistent\","
				 "\"vpnClientConfiguration\":{\"vpnClientAddressPool\":"
				 "{\"addressPrefixes\":[\"172.16.0.0/24\"]}}}",
				 &e);
	FUZZ_CHECK(c != NULL);
	g = calloc(1, sizeof(*g));
	g->conf = c;
	g->loop = ev_default_loop(0);
	FUZZ_CHECK(core_pools_build(g, c, &g->pool) == 0);
	core_auth_ctx_refresh(g);
	g->auth.admit = core_admit;
	return g;
}

static bool session_live(struct core *g, const char *id)
{
	struct session *s = session_find(&g->reg, id);
	return s && !s->ended;
}

/* Two live sessions before each input: "OpenVPN_a" (alice), "OpenVPN_b" (bob).
 * Made again only after a disconnect: a session costs more than most requests. */
static void sessions_reset(struct core *g)
{
	if (g->reg.count == 2 && session_live(g, "OpenVPN_a") && session_live(g, "OpenVPN_b"))
		return;
	while (g->reg.head)
		core_session_free(g->reg.head);
	const char *users[] = {"alice", "bob"}, *ids[] = {"OpenVPN_a", "OpenVPN_b"};
	for (int i = 0; i < 2; i++) {
		union sockaddr_any peer = {0};
		peer.in.sin_family = AF_INET;
		struct session *s = core_session_new(g, &ops, NULL, &peer);
		const char *why;
		FUZZ_CHECK(s && core_admit(s, 0, -1, &why) == 0);
		snprintf(s->id, sizeof(s->id), "%s", ids[i]);
		snprintf(s->user, sizeof(s->user), "%s", users[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core *g = core_once();
	sessions_reset(g);
	char *line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = 0;
	size_t len = 0;
	char *out = mgmt_ctl_execute(g, line, &len);
	FUZZ_CHECK(out != NULL);
	/* Everything but the metrics text answers in JSON. */
	if (strncmp(line, "metrics", 7) != 0) {
		json_t *j = json_loadb(out, len, 0, NULL);
		FUZZ_CHECK(j != NULL);
		json_decref(j);
	}
	/* Only a disconnect ends sessions. */
	if (strncmp(line, "session.disconnect", 18) != 0)
		FUZZ_CHECK(session_live(g, "OpenVPN_a") && session_live(g, "OpenVPN_b"));
	free(out);
	free(line);
	return 0;
}
