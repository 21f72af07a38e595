/* ovpn_km2_parse_client, then what the engine does with its result:
 * ovpn_peer_info_parse, ovpn_ncp_select and ovpn_push_reply_build (with the
 * password as an auth-token). The whole input is also parsed as a peer-info
 * block on its own, and as the client-side parsers (bench/loadgen) read
 * it: the server's key-method 2 message and a PUSH_REPLY. */
#include <string.h>

#include "fuzz.h"
#include "lib/err.h"
#include "proto/openvpn/kmethod.h"
#include "proto/openvpn/push.h"

static char msgs[8][PUSH_MSG_MAX];

static void check_peer_info(const char *s, const char *occ, const char *token)
{
	struct ovpn_peer_info pi;
	ovpn_peer_info_parse(s, &pi);
	FUZZ_CHECK(strnlen(pi.ciphers, sizeof(pi.ciphers)) < sizeof(pi.ciphers));
	FUZZ_CHECK(strnlen(pi.version, sizeof(pi.version)) < sizeof(pi.version));
	FUZZ_CHECK(strnlen(pi.platform, sizeof(pi.platform)) < sizeof(pi.platform));
	const char *cipher = ovpn_ncp_select(&pi, occ);
	if (!cipher)
		return;
	bool known = false;
	for (int i = 0; ovpn_data_ciphers[i]; i++)
		known |= cipher == ovpn_data_ciphers[i];
	FUZZ_CHECK(known);
	static const struct prefix4 routes[] = {{0x0a010000, 16}, {0xc0a80000, 24}};
	struct ovpn_push_params pp = {
		.ifconfig_ip = 0xac10c902,
		.prefix_len = 24,
		.route_gateway = 0xac10c901,
		.routes = routes,
		.n_routes = 2,
		.ping = 10,
		.ping_restart = 60,
		.peer_id = 3,
		.cipher = cipher,
		.iv_proto = pi.iv_proto,
		.iv_ncp = pi.iv_ncp,
		.push_mtu = pi.has_mtu,
		.auth_token = token,
	};
	int n = ovpn_push_reply_build(&pp, msgs, 8);
	if (n == P2S_E_PROTO) { /* only a token too long for any message */
		FUZZ_CHECK(token && strlen("PUSH_REPLY,auth-token ") + strlen(token) +
						    strlen(",push-continuation 2") >=
					    PUSH_MSG_MAX);
		return;
	}
	FUZZ_CHECK(n >= 1 && n <= 8);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(strnlen(msgs[i], PUSH_MSG_MAX) < PUSH_MSG_MAX);
		FUZZ_CHECK(strncmp(msgs[i], "PUSH_REPLY,", 11) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 70000)
		return 0;
	struct ovpn_km2 k;
	int r = ovpn_km2_parse_client(data, size, &k);
	if (r == 0) {
		FUZZ_CHECK(k.options && strlen(k.options) < KM2_OPTIONS_MAX);
		FUZZ_CHECK(!k.username || strlen(k.username) < KM2_STRING_MAX);
		FUZZ_CHECK(!k.password || strlen(k.password) < KM2_STRING_MAX);
		check_peer_info(k.peer_info, k.options, k.password);
		ovpn_km2_free(&k);
	} else {
		FUZZ_CHECK(r == P2S_E_TRUNC || r == P2S_E_PROTO || r == P2S_E_TRAIL);
		FUZZ_CHECK(!k.options && !k.username && !k.password && !k.peer_info);
	}
	uint8_t r1[32], r2[32];
	r = ovpn_km2_parse_server(data, size, r1, r2);
	FUZZ_CHECK(r == 0 || r == P2S_E_TRUNC || r == P2S_E_PROTO || r == P2S_E_TRAIL);
	struct ovpn_push_client pc = {.peer_id = -1};
	r = ovpn_push_reply_parse((const char *)data, size, &pc);
	FUZZ_CHECK(r == 0 || r == P2S_E_PROTO);
	FUZZ_CHECK(strnlen(pc.cipher, sizeof(pc.cipher)) < sizeof(pc.cipher));
	FUZZ_CHECK(pc.peer_id >= -1 && pc.peer_id <= 0xffffff);
	char *s = malloc(size + 1);
	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = 0;
	check_peer_info(s, s, NULL);
	free(s);
	return 0;
}
