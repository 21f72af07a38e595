/* src/proto/openvpn/wire: control packets, tls-auth, static key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "proto/openvpn/wire.h"

static const uint8_t payload[] = "\x16\x03\x01 a ClientHello stand-in";

static void fill_key(uint8_t key[OVPN_STATIC_KEY_LEN])
{
	for (int i = 0; i < OVPN_STATIC_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 7 + 3);
}

/* The server's view and the client's view of one static key: the client
 * sends with what the server receives with and vice versa. */
static void key_pair(struct ovpn_tls_auth *srv, struct ovpn_tls_auth *cli)
{
	uint8_t key[OVPN_STATIC_KEY_LEN];
	fill_key(key);
	ovpn_tls_auth_from_static(srv, key);
	cli->enabled = true;
	memcpy(cli->send_key, srv->recv_key, OVPN_HMAC_LEN);
	memcpy(cli->recv_key, srv->send_key, OVPN_HMAC_LEN);
}

static struct ovpn_ctl sample_ctl(uint8_t op, unsigned n_acks)
{
	struct ovpn_ctl p;
	memset(&p, 0, sizeof(p));
	p.op = op;
	p.key_id = 5;
	p.sid = 0x1122334455667788ull;
	p.replay_id = (uint64_t)0x65432100 << 32 | 0x00000007;
	p.n_acks = (uint8_t)n_acks;
	for (unsigned i = 0; i < n_acks; i++)
		p.acks[i] = 0x01000000u * i + i;
	p.ack_sid = 0x8877665544332211ull;
	p.has_msg_id = op != OVPN_ACK_V1;
	p.msg_id = p.has_msg_id ? 0x0a0b0c0d : 0;
	if (op != OVPN_ACK_V1) {
		p.payload = payload;
		p.payload_len = sizeof(payload) - 1;
	}
	return p;
}

static void assert_ctl_equal(const struct ovpn_ctl *a, const struct ovpn_ctl *b, bool ta)
{
	assert_int_equal(a->op, b->op);
	assert_int_equal(a->key_id, b->key_id);
	assert_true(a->sid == b->sid);
	if (ta)
		assert_true(a->replay_id == b->replay_id);
	assert_int_equal(a->n_acks, b->n_acks);
	for (unsigned i = 0; i < a->n_acks; i++)
		assert_int_equal(a->acks[i], b->acks[i]);
	if (a->n_acks)
		assert_true(a->ack_sid == b->ack_sid);
	assert_int_equal(a->has_msg_id, b->has_msg_id);
	if (a->has_msg_id)
		assert_int_equal(a->msg_id, b->msg_id);
	assert_int_equal(a->payload_len, b->payload_len);
	if (a->payload_len)
		assert_memory_equal(a->payload, b->payload, a->payload_len);
}

static size_t expected_len(const struct ovpn_ctl *p, bool ta)
{
	return 1 + 8 + (ta ? OVPN_HMAC_LEN + 8 : 0) + 1 + 4u * p->n_acks + (p->n_acks ? 8 : 0) +
	       (p->op != OVPN_ACK_V1 ? 4 : 0) + p->payload_len;
}

static void roundtrip(uint8_t op, unsigned n_acks, bool with_ta)
{
	struct ovpn_tls_auth srv, cli;
	key_pair(&srv, &cli);
	struct ovpn_ctl in = sample_ctl(op, n_acks), out;
	uint8_t buf[OVPN_CTL_MAX];
	int n = ovpn_ctl_write(buf, sizeof(buf), &in, with_ta ? &cli : NULL);
	assert_int_equal(n, (int)expected_len(&in, with_ta));
	assert_int_equal(buf[0], op << 3 | 5);
	assert_int_equal(ovpn_ctl_parse(buf, (size_t)n, with_ta ? &srv : NULL, &out), 0);
	assert_ctl_equal(&in, &out, with_ta);
	assert_ptr_equal(out.payload, in.payload_len ? buf + n - in.payload_len : out.payload);
}

static void test_roundtrip_plain(void **state)
{
	(void)state;
	roundtrip(OVPN_CONTROL_V1, 2, false);
	roundtrip(OVPN_HARD_RESET_CLIENT_V2, 0, false);
	roundtrip(OVPN_HARD_RESET_SERVER_V2, 1, false);
	roundtrip(OVPN_CONTROL_SOFT_RESET_V1, 3, false);
	roundtrip(OVPN_ACK_V1, 4, false);
}

static void test_roundtrip_tls_auth(void **state)
{
	(void)state;
	roundtrip(OVPN_CONTROL_V1, 2, true);
	roundtrip(OVPN_HARD_RESET_CLIENT_V2, 0, true);
	roundtrip(OVPN_HARD_RESET_SERVER_V2, 1, true);
	roundtrip(OVPN_CONTROL_SOFT_RESET_V1, 4, true);
	roundtrip(OVPN_ACK_V1, 8, true);
}

static void test_ack_counts(void **state)
{
	(void)state;
	for (unsigned n = 0; n <= OVPN_MAX_ACKS; n++) {
		roundtrip(OVPN_CONTROL_V1, n, false);
		roundtrip(OVPN_CONTROL_V1, n, true);
		if (n > 0) {
			roundtrip(OVPN_ACK_V1, n, false);
			roundtrip(OVPN_ACK_V1, n, true);
		}
	}
}

static void test_plain_layout(void **state)
{
	(void)state;
	struct ovpn_ctl p = sample_ctl(OVPN_CONTROL_V1, 1);
	uint8_t buf[OVPN_CTL_MAX];
	int n = ovpn_ctl_write(buf, sizeof(buf), &p, NULL);
	static const uint8_t head[] = {
		4 << 3 | 5,					      /* op | key id */
		0x11,	    0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* own sid */
		1,						      /* ack count */
		0x00,	    0x00, 0x00, 0x00,			      /* ack[0] */
		0x88,	    0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* peer sid */
		0x0a,	    0x0b, 0x0c, 0x0d,			      /* msg id */
	};
	assert_int_equal(n, (int)(sizeof(head) + p.payload_len));
	assert_memory_equal(buf, head, sizeof(head));
	assert_memory_equal(buf + sizeof(head), payload, p.payload_len);
}

static void test_no_ack_no_peer_sid(void **state)
{
	(void)state;
	/* With zero acks there is no peer session id on the wire. */
	struct ovpn_ctl p = sample_ctl(OVPN_HARD_RESET_CLIENT_V2, 0), out;
	p.payload_len = 0;
	uint8_t buf[64];
	int n = ovpn_ctl_write(buf, sizeof(buf), &p, NULL);
	assert_int_equal(n, 1 + 8 + 1 + 4);
	assert_int_equal(buf[9], 0);
	assert_int_equal(ovpn_ctl_parse(buf, (size_t)n, NULL, &out), 0);
	assert_int_equal(out.n_acks, 0);
	assert_true(out.ack_sid == 0);
	assert_int_equal(out.msg_id, 0x0a0b0c0d);
	assert_int_equal(out.payload_len, 0);
}

static void test_ack_has_no_msg_id(void **state)
{
	(void)state;
	struct ovpn_ctl p = sample_ctl(OVPN_ACK_V1, 1), out;
	p.msg_id = 0xdeadbeef; /* must not be written */
	uint8_t buf[64];
	int n = ovpn_ctl_write(buf, sizeof(buf), &p, NULL);
	assert_int_equal(n, 1 + 8 + 1 + 4 + 8);
	assert_null(memmem(buf, (size_t)n, "\xde\xad\xbe\xef", 4));
	assert_int_equal(ovpn_ctl_parse(buf, (size_t)n, NULL, &out), 0);
	assert_false(out.has_msg_id);
	assert_int_equal(out.msg_id, 0);
	assert_int_equal(out.payload_len, 0);
	assert_int_equal(out.n_acks, 1);
	assert_int_equal(out.acks[0], 0);
	assert_true(out.ack_sid == 0x8877665544332211ull);
}

static void test_hmac_mismatch(void **state)
{
	(void)state;
	struct ovpn_tls_auth srv, cli, other;
	key_pair(&srv, &cli);
	struct ovpn_ctl p = sample_ctl(OVPN_CONTROL_V1, 2), out;
	uint8_t buf[OVPN_CTL_MAX];
	/* Signed with the server's send key: what a server would accept from
	 * itself only if it confused the directions. */
	int n = ovpn_ctl_write(buf, sizeof(buf), &p, &srv);
	assert_true(n > 0);
	assert_int_equal(ovpn_ctl_parse(buf, (size_t)n, &srv, &out), P2S_E_AUTH);
	/* A different key altogether. */
	other = cli;
	other.send_key[0] ^= 1;
	n = ovpn_ctl_write(buf, sizeof(buf), &p, &other);
	assert_int_equal(ovpn_ctl_parse(buf, (size_t)n, &srv, &out), P2S_E_AUTH);
	/* An unsigned packet offered to a tls-auth server. */
	n = ovpn_ctl_write(buf, sizeof(buf), &p, NULL);
	assert_int_not_equal(ovpn_ctl_parse(buf, (size_t)n, &srv, &out), 0);
}

static void test_flipped_bytes_rejected(void **state)
{
	(void)state;
	struct ovpn_tls_auth srv, cli;
	key_pair(&srv, &cli);
	uint8_t op_list[] = {OVPN_CONTROL_V1, OVPN_ACK_V1, OVPN_HARD_RESET_CLIENT_V2};
	for (size_t k = 0; k < sizeof(op_list); k++) {
		struct ovpn_ctl p = sample_ctl(op_list[k], 3), out;
		uint8_t buf[OVPN_CTL_MAX];
		int n = ovpn_ctl_write(buf, sizeof(buf), &p, &cli);
		assert_int_equal(ovpn_ctl_parse(buf, (size_t)n, &srv, &out), 0);
		for (int i = 0; i < n; i++) {
			for (int bit = 0; bit < 8; bit++) {
				buf[i] ^= (uint8_t)(1 << bit);
				int r = ovpn_ctl_parse(buf, (size_t)n, &srv, &out);
				if (r == 0)
					fail_msg("op %u: flipping bit %d of byte %d accepted",
						 op_list[k], bit, i);
				/* Only a change of opcode may be refused for another reason. */
				if (i != 0 || bit < 3)
					assert_int_equal(r, P2S_E_AUTH);
				buf[i] ^= (uint8_t)(1 << bit);
			}
			/* The whole byte inverted. */
			buf[i] ^= 0xff;
			int r = ovpn_ctl_parse(buf, (size_t)n, &srv, &out);
			if (r == 0)
				fail_msg("op %u: inverting byte %d accepted", op_list[k], i);
			buf[i] ^= 0xff;
		}
		assert_int_equal(ovpn_ctl_parse(buf, (size_t)n, &srv, &out), 0);
	}
}

static void check_truncations(const uint8_t *pkt, size_t n, const struct ovpn_tls_auth *ta)
{
	struct ovpn_ctl out;
	for (size_t len = 0; len < n; len++) {
		/* An exactly-sized heap copy, so a sanitizer sees any over-read. */
		uint8_t *copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, pkt, len);
		int r = ovpn_ctl_parse(copy, len, ta, &out);
		free(copy);
		if (r >= 0)
			fail_msg("truncated to %zu of %zu bytes accepted", len, n);
		if (!ta)
			assert_int_equal(r, P2S_E_TRUNC);
		else
			assert_true(r == P2S_E_TRUNC || r == P2S_E_AUTH);
	}
}

static void test_truncation(void **state)
{
	(void)state;
	struct ovpn_tls_auth srv, cli;
	key_pair(&srv, &cli);
	uint8_t buf[OVPN_CTL_MAX];
	for (unsigned acks = 0; acks <= OVPN_MAX_ACKS; acks += 4) {
		/* Plain: without a payload every prefix is a truncated packet. */
		struct ovpn_ctl p = sample_ctl(OVPN_CONTROL_V1, acks);
		p.payload_len = 0;
		int n = ovpn_ctl_write(buf, sizeof(buf), &p, NULL);
		check_truncations(buf, (size_t)n, NULL);
		p = sample_ctl(OVPN_ACK_V1, acks ? acks : 1);
		n = ovpn_ctl_write(buf, sizeof(buf), &p, NULL);
		check_truncations(buf, (size_t)n, NULL);
		/* tls-auth: the HMAC also covers the payload, so any cut fails. */
		p = sample_ctl(OVPN_CONTROL_V1, acks);
		n = ovpn_ctl_write(buf, sizeof(buf), &p, &cli);
		check_truncations(buf, (size_t)n, &srv);
	}
}

static void test_too_many_acks(void **state)
{
	(void)state;
	struct ovpn_ctl out;
	/* A hand-made packet declaring 9 acks, with room for all of them. */
	uint8_t pkt[1 + 8 + 1 + 9 * 4 + 8 + 4] = {OVPN_CONTROL_V1 << 3};
	pkt[9] = 9;
	assert_int_equal(ovpn_ctl_parse(pkt, sizeof(pkt), NULL, &out), P2S_E_PROTO);
	pkt[9] = 255;
	assert_int_equal(ovpn_ctl_parse(pkt, sizeof(pkt), NULL, &out), P2S_E_PROTO);
	pkt[0] = OVPN_ACK_V1 << 3;
	pkt[9] = 9;
	assert_int_equal(ovpn_ctl_parse(pkt, sizeof(pkt), NULL, &out), P2S_E_PROTO);
	/* 8 is the limit and is accepted (the packet then has 4 spare bytes). */
	pkt[0] = OVPN_CONTROL_V1 << 3;
	pkt[9] = 8;
	assert_int_equal(ovpn_ctl_parse(pkt, sizeof(pkt), NULL, &out), 0);
	assert_int_equal(out.n_acks, 8);
	assert_int_equal(out.payload_len, 4);
	/* And the writer refuses to build one. */
	struct ovpn_ctl p = sample_ctl(OVPN_ACK_V1, 8);
	p.n_acks = 9;
	uint8_t buf[OVPN_CTL_MAX];
	assert_int_equal(ovpn_ctl_write(buf, sizeof(buf), &p, NULL), P2S_E_PROTO);
}

static void test_non_control_opcodes(void **state)
{
	(void)state;
	struct ovpn_tls_auth srv, cli;
	key_pair(&srv, &cli);
	struct ovpn_ctl out;
	uint8_t pkt[64] = {0};
	for (unsigned op = 0; op < 32; op++) {
		pkt[0] = (uint8_t)(op << 3 | 1);
		bool control = op == 3 || op == 4 || op == 7 || op == 8;
		int r = ovpn_ctl_parse(pkt, sizeof(pkt), NULL, &out);
		if (control) {
			assert_int_equal(r, 0);
			assert_int_equal(out.op, op);
			assert_int_equal(out.key_id, 1);
			continue;
		}
		if (op == OVPN_ACK_V1) {
			/* A P_ACK_V1 carries no payload: 54 stray bytes are refused. */
			assert_int_equal(r, P2S_E_TRAIL);
			assert_int_equal(ovpn_ctl_parse(pkt, 10, NULL, &out), 0);
			continue;
		}
		assert_int_equal(r, P2S_E_PROTO);
		assert_int_equal(ovpn_ctl_parse(pkt, sizeof(pkt), &srv, &out), P2S_E_PROTO);
	}
	/* Data packets specifically, with plausible lengths. */
	pkt[0] = OVPN_DATA_V2 << 3;
	assert_int_equal(ovpn_ctl_parse(pkt, 28, NULL, &out), P2S_E_PROTO);
	pkt[0] = OVPN_DATA_V1 << 3 | 2;
	assert_int_equal(ovpn_ctl_parse(pkt, 40, &srv, &out), P2S_E_PROTO);
}

static void test_write_small_buffer(void **state)
{
	(void)state;
	struct ovpn_tls_auth srv, cli;
	key_pair(&srv, &cli);
	struct ovpn_ctl p = sample_ctl(OVPN_CONTROL_V1, 2);
	uint8_t buf[OVPN_CTL_MAX];
	int full = ovpn_ctl_write(buf, sizeof(buf), &p, &cli);
	assert_true(full > 0);
	for (int cap = 0; cap < full; cap++) {
		uint8_t *b = malloc(cap ? (size_t)cap : 1);
		assert_non_null(b);
		assert_true(ovpn_ctl_write(b, (size_t)cap, &p, &cli) < 0);
		free(b);
	}
	assert_int_equal(ovpn_ctl_write(buf, (size_t)full, &p, &cli), full);
}

/* Known answer: HMAC-SHA256 over replay | op | sid | body, computed here
 * with OpenSSL's one-shot HMAC, must be what the writer puts on the wire. */
static void test_hmac_known_answer(void **state)
{
	(void)state;
	uint8_t key[OVPN_STATIC_KEY_LEN];
	fill_key(key);
	struct ovpn_tls_auth srv;
	ovpn_tls_auth_from_static(&srv, key);
	struct ovpn_ctl p = sample_ctl(OVPN_HARD_RESET_SERVER_V2, 1);
	p.key_id = 0;
	p.replay_id = (uint64_t)0x5f5e1000 << 32 | 1; /* time 0x5f5e1000, id 1 */
	uint8_t buf[OVPN_CTL_MAX];
	int n = ovpn_ctl_write(buf, sizeof(buf), &p, &srv);
	assert_true(n > 0);

	uint8_t pseudo[OVPN_CTL_MAX];
	size_t m = 0;
	static const uint8_t replay[8] = {0, 0, 0, 1, 0x5f, 0x5e, 0x10, 0x00};
	memcpy(pseudo + m, replay, 8), m += 8;
	pseudo[m++] = OVPN_HARD_RESET_SERVER_V2 << 3;
	static const uint8_t sid[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
	memcpy(pseudo + m, sid, 8), m += 8;
	pseudo[m++] = 1; /* one ack */
	memcpy(pseudo + m, "\0\0\0\0", 4), m += 4;
	static const uint8_t peer[8] = {0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
	memcpy(pseudo + m, peer, 8), m += 8;
	memcpy(pseudo + m, "\x0a\x0b\x0c\x0d", 4), m += 4;
	memcpy(pseudo + m, payload, sizeof(payload) - 1), m += sizeof(payload) - 1;

	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	/* The server's send key is bytes 64..95 of the static key. */
	assert_non_null(HMAC(EVP_sha256(), key + 64, 32, pseudo, m, mac, &mac_len));
	assert_int_equal(mac_len, 32);
	/* Wire: op | sid | HMAC | replay | body. */
	assert_int_equal(n, (int)(m + OVPN_HMAC_LEN));
	assert_memory_equal(buf, pseudo + 8, 9);
	assert_memory_equal(buf + 9, mac, 32);
	assert_memory_equal(buf + 41, replay, 8);
	assert_memory_equal(buf + 49, pseudo + 17, m - 17);
}

static char *read_static_text(const uint8_t key[OVPN_STATIC_KEY_LEN])
{
	char *text = malloc(1024);
	assert_non_null(text);
	ovpn_static_key_format(key, text, 1024);
	return text;
}

static void test_static_key_valid(void **state)
{
	(void)state;
	/* As openvpn --genkey writes it: comment lines, 16 lines of 32 digits. */
	char text[2048];
	size_t n = (size_t)snprintf(text, sizeof(text),
				    "#\n# 2048 bit OpenVPN static key\n#\r\n"
				    "-----BEGIN OpenVPN Static key V1-----\r\n");
	uint8_t want[OVPN_STATIC_KEY_LEN];
	for (int i = 0; i < OVPN_STATIC_KEY_LEN; i++) {
		want[i] = (uint8_t)(255 - i);
		n += (size_t)snprintf(text + n, sizeof(text) - n, i % 2 ? "%02x" : "%02X", want[i]);
		if (i % 16 == 15)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "\r\n");
	}
	n += (size_t)snprintf(text + n, sizeof(text) - n, "-----END OpenVPN Static key V1-----\n");
	uint8_t key[OVPN_STATIC_KEY_LEN];
	assert_int_equal(ovpn_static_key_parse(text, n, key), 0);
	assert_memory_equal(key, want, sizeof(key));
}

static void test_static_key_roundtrip(void **state)
{
	(void)state;
	uint8_t key[OVPN_STATIC_KEY_LEN], back[OVPN_STATIC_KEY_LEN];
	fill_key(key);
	char *text = read_static_text(key);
	assert_non_null(strstr(text, "-----BEGIN OpenVPN Static key V1-----\n"));
	assert_non_null(strstr(text, "-----END OpenVPN Static key V1-----\n"));
	memset(back, 0, sizeof(back));
	assert_int_equal(ovpn_static_key_parse(text, strlen(text), back), 0);
	assert_memory_equal(key, back, sizeof(key));
	free(text);
}

static void test_static_key_errors(void **state)
{
	(void)state;
	uint8_t key[OVPN_STATIC_KEY_LEN];
	fill_key(key);
	char *good = read_static_text(key);
	char *t = malloc(2048);
	assert_non_null(t);
	uint8_t out[OVPN_STATIC_KEY_LEN];

	/* No BEGIN line. */
	char *b = strstr(good, "-----BEGIN");
	snprintf(t, 2048, "%s", b + strlen("-----BEGIN OpenVPN Static key V1-----"));
	assert_true(ovpn_static_key_parse(t, strlen(t), out) < 0);
	/* A different BEGIN label. */
	snprintf(t, 2048, "%s", good);
	memcpy(strstr(t, "Static key V1-----\n"), "Static key V2", 13);
	assert_true(ovpn_static_key_parse(t, strlen(t), out) < 0);
	/* No END line. */
	snprintf(t, 2048, "%s", good);
	*strstr(t, "-----END") = 0;
	assert_true(ovpn_static_key_parse(t, strlen(t), out) < 0);
	/* Short: the last line (16 bytes) removed. */
	snprintf(t, 2048, "%s", good);
	char *end = strstr(t, "-----END");
	char *last = end - 33;
	memmove(last, end, strlen(end) + 1);
	assert_int_equal(ovpn_static_key_parse(t, strlen(t), out), P2S_E_TRUNC);
	/* Short by one nibble. */
	snprintf(t, 2048, "%s", good);
	end = strstr(t, "-----END");
	memmove(end - 2, end - 1, strlen(end - 1) + 1);
	assert_true(ovpn_static_key_parse(t, strlen(t), out) < 0);
	/* Long: one extra byte. */
	snprintf(t, 2048, "%s", good);
	end = strstr(t, "-----END");
	memmove(end + 2, end, strlen(end) + 1);
	memcpy(end, "ab", 2);
	assert_true(ovpn_static_key_parse(t, strlen(t), out) < 0);
	/* Non-hex characters inside the block. */
	const char bad[] = {'g', 'x', '-', '.', '#', '\0'};
	for (size_t i = 0; bad[i]; i++) {
		snprintf(t, 2048, "%s", good);
		char *digit = strstr(t, "V1-----\n") + 8 + 10;
		*digit = bad[i];
		assert_int_equal(ovpn_static_key_parse(t, strlen(t), out), P2S_E_PROTO);
	}
	/* The length argument is honoured: the END line cut off by len. */
	size_t cut = (size_t)(strstr(good, "-----END") - good) + 10;
	assert_true(ovpn_static_key_parse(good, cut, out) < 0);
	/* Empty input. */
	assert_true(ovpn_static_key_parse("", 0, out) < 0);
	free(t);
	free(good);
}

static void test_tls_auth_direction(void **state)
{
	(void)state;
	uint8_t key[OVPN_STATIC_KEY_LEN];
	for (int i = 0; i < OVPN_STATIC_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	struct ovpn_tls_auth ta;
	memset(&ta, 0, sizeof(ta));
	ovpn_tls_auth_from_static(&ta, key);
	assert_true(ta.enabled);
	/* Direction 0: send with key[0].hmac, receive with key[1].hmac. */
	assert_memory_equal(ta.send_key, key + 64, 32);
	assert_memory_equal(ta.recv_key, key + 192, 32);
	assert_int_equal(ta.send_key[0], 64);
	assert_int_equal(ta.send_key[31], 95);
	assert_int_equal(ta.recv_key[0], 192);
	assert_int_equal(ta.recv_key[31], 223);
}

/* A client (direction 1) and the server (direction 0) from one key accept
 * each other's packets; a server cannot pass for a client. */
static void test_tls_auth_client_pair(void **state)
{
	(void)state;
	uint8_t key[OVPN_STATIC_KEY_LEN];
	for (int i = 0; i < OVPN_STATIC_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 7);
	struct ovpn_tls_auth srv = {0}, cli = {0};
	ovpn_tls_auth_from_static(&srv, key);
	ovpn_tls_auth_client_from_static(&cli, key);
	assert_memory_equal(cli.send_key, srv.recv_key, 32);
	assert_memory_equal(cli.recv_key, srv.send_key, 32);
	struct ovpn_ctl p = {.op = OVPN_HARD_RESET_CLIENT_V2, .sid = 42, .replay_id = 1};
	uint8_t buf[OVPN_CTL_MAX];
	int n = ovpn_ctl_write(buf, sizeof(buf), &p, &cli);
	assert_true(n > 0);
	struct ovpn_ctl out;
	assert_int_equal(ovpn_ctl_parse(buf, (size_t)n, &srv, &out), 0);
	assert_int_equal(out.sid, 42);
	/* The same packet under the server's own sending key is refused. */
	n = ovpn_ctl_write(buf, sizeof(buf), &p, &srv);
	assert_int_equal(ovpn_ctl_parse(buf, (size_t)n, &srv, &out), P2S_E_AUTH);
}

static void test_op_helpers(void **state)
{
	(void)state;
	assert_int_equal(ovpn_op_of(0x4b), 9);
	assert_int_equal(ovpn_kid_of(0x4b), 3);
	assert_true(ovpn_op_is_data(OVPN_DATA_V1));
	assert_true(ovpn_op_is_data(OVPN_DATA_V2));
	assert_false(ovpn_op_is_data(OVPN_CONTROL_V1));
	assert_false(ovpn_op_is_data(OVPN_ACK_V1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_plain),
		cmocka_unit_test(test_roundtrip_tls_auth),
		cmocka_unit_test(test_ack_counts),
		cmocka_unit_test(test_plain_layout),
		cmocka_unit_test(test_no_ack_no_peer_sid),
		cmocka_unit_test(test_ack_has_no_msg_id),
		cmocka_unit_test(test_hmac_mismatch),
		cmocka_unit_test(test_flipped_bytes_rejected),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_too_many_acks),
		cmocka_unit_test(test_non_control_opcodes),
		cmocka_unit_test(test_write_small_buffer),
		cmocka_unit_test(test_hmac_known_answer),
		cmocka_unit_test(test_static_key_valid),
		cmocka_unit_test(test_static_key_roundtrip),
		cmocka_unit_test(test_static_key_errors),
		cmocka_unit_test(test_tls_auth_direction),
		cmocka_unit_test(test_op_helpers),
		cmocka_unit_test(test_tls_auth_client_pair),
	};
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
