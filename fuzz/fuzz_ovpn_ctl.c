/* ovpn_ctl_parse on one control packet, without and with tls-auth. What
 * parses must serialise back to the same bytes; a packet re-signed with the
 * right key must never fail authentication. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/err.h"
#include "lib/hmac.h"

static void check_fields(const struct ovpn_ctl *c, const uint8_t *data, size_t size)
{
	FUZZ_CHECK(c->n_acks <= OVPN_MAX_ACKS);
	FUZZ_CHECK(c->key_id <= 7);
	FUZZ_CHECK(!ovpn_op_is_data(c->op));
	FUZZ_CHECK(c->has_msg_id == (c->op != OVPN_ACK_V1));
	FUZZ_CHECK(c->op != OVPN_ACK_V1 || c->payload_len == 0);
	if (c->payload_len) {
		FUZZ_CHECK(c->payload >= data);
		FUZZ_CHECK(c->payload + c->payload_len == data + size);
	}
}

/* Writes c into a buffer of exactly size bytes and compares with data. */
static void check_roundtrip(const struct ovpn_ctl *c, const struct ovpn_tls_auth *ta,
			    const uint8_t *data, size_t size)
{
	uint8_t *out = malloc(size);
	FUZZ_CHECK(out);
	int n = ovpn_ctl_write(out, size, c, ta);
	FUZZ_CHECK(n == (int)size);
	FUZZ_CHECK(memcmp(out, data, size) == 0);
	free(out);
}

/* Recomputes the HMAC of a tls-auth packet in place with the client's key. */
static void resign(uint8_t *p, size_t size, const struct ovpn_tls_auth *cli)
{
	const size_t hdr = 1 + 8 + OVPN_HMAC_LEN + 8;
	const struct hmac_part parts[] = {
		{p + 9 + OVPN_HMAC_LEN, 8}, {p, 9}, {p + hdr, size - hdr}};
	uint8_t mac[32];
	FUZZ_CHECK(hmac_sha256(cli->send_key, OVPN_HMAC_LEN, parts, 3, mac) == 0);
	memcpy(p + 9, mac, OVPN_HMAC_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535) /* a TCP frame's limit */
		return 0;
	struct ovpn_tls_auth srv, cli;
	fuzz_tls_auth(&srv, &cli);
	struct ovpn_ctl c;

	int r = ovpn_ctl_parse(data, size, NULL, &c);
	FUZZ_CHECK(r == 0 || r == P2S_E_TRUNC || r == P2S_E_PROTO || r == P2S_E_TRAIL);
	if (r == 0) {
		check_fields(&c, data, size);
		check_roundtrip(&c, NULL, data, size);
	}

	r = ovpn_ctl_parse(data, size, &srv, &c);
	FUZZ_CHECK(r == 0 || r == P2S_E_TRUNC || r == P2S_E_PROTO || r == P2S_E_AUTH ||
		   r == P2S_E_TRAIL);
	if (r == 0) {
		check_fields(&c, data, size);
		check_roundtrip(&c, &cli, data, size);
	}

	/* The same bytes with a correct HMAC: everything after it is reached. */
	if (size >= 1 + 8 + OVPN_HMAC_LEN + 8) {
		uint8_t *p = malloc(size);
		FUZZ_CHECK(p);
		memcpy(p, data, size);
		resign(p, size, &cli);
		r = ovpn_ctl_parse(p, size, &srv, &c);
		FUZZ_CHECK(r != P2S_E_AUTH);
		if (r == 0) {
			check_fields(&c, p, size);
			check_roundtrip(&c, &cli, p, size);
		}
		free(p);
	}
	return 0;
}
