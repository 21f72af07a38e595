/* src/proto/ikev2/wire: messages built and parsed back; every length
 * checked both ways; unknown payloads; the exchange/payload table; typed
 * bodies (notify, KE, ID, AUTH, CERT, TS, CP, Delete, SKF). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/err.h"
#include "proto/ikev2/wire.h"

/* An IKE_SA_INIT-shaped request: SA, KE, Nonce, two notifies. */
static size_t build_init(uint8_t *buf, size_t cap)
{
	struct ike_hdr h = {.spi_i = 0x1122334455667788ull,
			    .version = IKE_VERSION,
			    .exchange = IKE_SA_INIT,
			    .flags = IKE_FLAG_I};
	struct wbuf hw;
	wbuf_init(&hw, buf, cap);
	ike_hdr_write(&hw, &h);
	struct ike_builder b;
	ike_build_init(&b, buf + IKE_HDR_LEN, cap - IKE_HDR_LEN, &buf[16]);
	const uint8_t sa[] = {0, 0, 0, 8, 1, 1, 0, 0};
	ike_pl_put(&b, IKE_PL_SA, sa, sizeof(sa));
	const uint8_t ke[] = {0, 19, 0, 0, 1, 2, 3, 4};
	ike_pl_put(&b, IKE_PL_KE, ke, sizeof(ke));
	uint8_t nonce[32];
	memset(nonce, 0xab, sizeof(nonce));
	ike_pl_put(&b, IKE_PL_NONCE, nonce, sizeof(nonce));
	ike_pl_notify(&b, 0, NULL, 0, IKE_N_FRAGMENTATION_SUPPORTED, NULL, 0);
	const uint8_t hashes[] = {0, 2, 0, 3};
	ike_pl_notify(&b, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hashes, 4);
	assert_true(wbuf_ok(&b.w));
	return ike_msg_finish(buf, IKE_HDR_LEN + b.w.len);
}

static void test_round_trip(void **state)
{
	(void)state;
	uint8_t buf[512];
	size_t len = build_init(buf, sizeof(buf));
	struct ike_msg m;
	assert_int_equal(ike_msg_parse(buf, len, &m), 0);
	assert_int_equal(m.hdr.exchange, IKE_SA_INIT);
	assert_int_equal(m.hdr.flags, IKE_FLAG_I);
	assert_true(m.hdr.spi_i == 0x1122334455667788ull);
	assert_int_equal(m.chain.n, 5);
	assert_int_equal(m.sk_off, 0);
	assert_int_equal(ike_chain_check(&m.chain, IKE_SA_INIT, false), 0);
	struct ike_ke ke;
	assert_int_equal(ike_ke_parse(ike_chain_find(&m.chain, IKE_PL_KE), &ke), 0);
	assert_int_equal(ke.group, 19);
	assert_int_equal(ke.len, 4);
	struct ike_notify n;
	assert_true(ike_chain_notify(&m.chain, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n));
	assert_int_equal(n.data_len, 4);
	assert_false(ike_chain_notify(&m.chain, IKE_N_COOKIE, &n));
	/* Table: KE is not legal in IKE_AUTH nor in the clear after IKE_SA_INIT. */
	assert_int_equal(ike_chain_check(&m.chain, IKE_AUTH, false), P2S_E_PROTO);
	assert_false(ike_payload_allowed(IKE_AUTH, true, IKE_PL_KE));
	assert_true(ike_payload_allowed(IKE_CREATE_CHILD_SA, true, IKE_PL_KE));
	assert_false(ike_payload_allowed(IKE_INFORMATIONAL, true, IKE_PL_SA));
	assert_true(ike_payload_allowed(IKE_INFORMATIONAL, true, IKE_PL_DELETE));
	assert_false(ike_payload_allowed(99, false, IKE_PL_SA));
}

static void test_lengths(void **state)
{
	(void)state;
	uint8_t buf[512];
	size_t len = build_init(buf, sizeof(buf));
	struct ike_msg m;
	/* Header length bigger / smaller than the datagram. */
	assert_int_equal(ike_msg_parse(buf, len - 1, &m), P2S_E_TRUNC);
	buf[len] = 0;
	assert_int_equal(ike_msg_parse(buf, len + 1, &m), P2S_E_TRAIL);
	assert_int_equal(ike_msg_parse(buf, 20, &m), P2S_E_TRUNC);
	/* A payload length running past the end. */
	buf[IKE_HDR_LEN + 3] = 0xff;
	assert_int_equal(ike_msg_parse(buf, len, &m), P2S_E_TRUNC);
	buf[IKE_HDR_LEN + 3] = 3; /* shorter than a generic header */
	assert_int_equal(ike_msg_parse(buf, len, &m), P2S_E_TRUNC);
	len = build_init(buf, sizeof(buf));
	/* Major version 3 refused. */
	buf[17] = 0x30;
	assert_int_equal(ike_msg_parse(buf, len, &m), P2S_E_PROTO);
	buf[17] = IKE_VERSION;
	/* The last payload claims a follower that is not there. */
	size_t last = IKE_HDR_LEN + 12 + 12 + 36 + 8;
	buf[last] = IKE_PL_VENDOR;
	assert_int_equal(ike_msg_parse(buf, len, &m), P2S_E_TRUNC);
}

static void test_unknown_payloads(void **state)
{
	(void)state;
	uint8_t body[] = {/* type 60 (unknown), not critical, 6 bytes */
			  IKE_PL_NONCE, 0x00, 0, 6, 0xaa, 0xbb,
			  /* Nonce, 8 bytes: next is type 61 critical */
			  61, 0x00, 0, 8, 1, 2, 3, 4,
			  /* type 61, critical */
			  IKE_PL_NONE, 0x80, 0, 4};
	struct ike_chain c;
	assert_int_equal(ike_chain_parse(60, body, sizeof(body), &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.pl[0].type, IKE_PL_NONCE);
	assert_int_equal(c.unsupported_critical, 61);
}

static void test_sk_last(void **state)
{
	(void)state;
	uint8_t msg[64] = {0};
	struct ike_hdr h = {.spi_i = 1,
			    .spi_r = 2,
			    .next = IKE_PL_SK,
			    .version = IKE_VERSION,
			    .exchange = IKE_AUTH,
			    .flags = IKE_FLAG_I,
			    .msg_id = 1,
			    .length = 60};
	struct wbuf w;
	wbuf_init(&w, msg, sizeof(msg));
	ike_hdr_write(&w, &h);
	/* SK: next = IDi (inner), 32 bytes of body that are not a chain. */
	wbuf_u8(&w, IKE_PL_IDI);
	wbuf_u8(&w, 0);
	wbuf_u16(&w, 32);
	for (int i = 0; i < 28; i++)
		wbuf_u8(&w, 0xee);
	struct ike_msg m;
	assert_int_equal(ike_msg_parse(msg, 60, &m), 0);
	assert_int_equal(m.sk_off, IKE_HDR_LEN);
	assert_int_equal(m.chain.n, 1);
	assert_int_equal(ike_chain_check(&m.chain, IKE_AUTH, false), 0);
	/* SKF carries its fragment numbers. */
	uint8_t skf_body[] = {0, 2, 0, 3, 9, 9};
	struct ike_payload p = {IKE_PL_SKF, false, skf_body, sizeof(skf_body)};
	struct ike_skf f;
	assert_int_equal(ike_skf_parse(&p, &f), 0);
	assert_int_equal(f.number, 2);
	assert_int_equal(f.total, 3);
	skf_body[1] = 4;
	assert_int_equal(ike_skf_parse(&p, &f), P2S_E_PROTO);
}

static void test_ts(void **state)
{
	(void)state;
	struct ike_ts_list l = {.n = 2};
	l.ts[0] = (struct ike_ts){IKE_TS_IPV4_RANGE, 0, 0, 65535, {10, 1, 0, 0}, {10, 1, 255, 255}};
	l.ts[1] = (struct ike_ts){IKE_TS_IPV6_RANGE, 6, 80, 80, {0x20, 1}, {0x20, 1, 0xff}};
	uint8_t buf[256];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	ike_ts_write(&w, &l);
	assert_int_equal(w.len, 4 + 16 + 40);
	struct ike_payload p = {IKE_PL_TSR, false, buf, w.len};
	struct ike_ts_list back;
	assert_int_equal(ike_ts_parse(&p, &back), 0);
	assert_int_equal(back.n, 2);
	assert_memory_equal(&back.ts[0], &l.ts[0], sizeof(l.ts[0]));
	assert_int_equal(back.ts[1].start_port, 80);
	/* A selector length that does not match its type. */
	buf[4 + 3] = 17;
	assert_int_equal(ike_ts_parse(&p, &back), P2S_E_PROTO);
	buf[4 + 3] = 16;
	buf[0] = 3; /* count says three */
	assert_int_not_equal(ike_ts_parse(&p, &back), 0);
	buf[0] = 0;
	assert_int_equal(ike_ts_parse(&p, &back), P2S_E_PROTO);
}

static void test_bodies(void **state)
{
	(void)state;
	const uint8_t cp_body[] = {
		IKE_CFG_REQUEST, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 13, 0, 4, 1, 2, 3, 4};
	struct ike_payload p = {IKE_PL_CP, false, cp_body, sizeof(cp_body)};
	struct ike_cp cp;
	assert_int_equal(ike_cp_parse(&p, &cp), 0);
	assert_int_equal(cp.cfg_type, IKE_CFG_REQUEST);
	assert_int_equal(cp.n, 3);
	assert_int_equal(cp.attr[2].type, IKE_CP_IP4_SUBNET);
	assert_int_equal(cp.attr[2].len, 4);
	p.len = sizeof(cp_body) - 1;
	assert_int_equal(ike_cp_parse(&p, &cp), P2S_E_TRUNC);

	const uint8_t del_ike[] = {IKE_PROTO_IKE, 0, 0, 0};
	const uint8_t del_esp[] = {IKE_PROTO_ESP, 4, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
	const uint8_t del_bad[] = {IKE_PROTO_ESP, 4, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8};
	struct ike_delete d;
	p = (struct ike_payload){IKE_PL_DELETE, false, del_ike, sizeof(del_ike)};
	assert_int_equal(ike_delete_parse(&p, &d), 0);
	p = (struct ike_payload){IKE_PL_DELETE, false, del_esp, sizeof(del_esp)};
	assert_int_equal(ike_delete_parse(&p, &d), 0);
	assert_int_equal(d.n_spi, 2);
	p = (struct ike_payload){IKE_PL_DELETE, false, del_bad, sizeof(del_bad)};
	assert_int_equal(ike_delete_parse(&p, &d), P2S_E_TRUNC);

	const uint8_t id_body[] = {IKE_ID_FQDN, 0, 0, 0, 'g', 'w'};
	struct ike_id id;
	p = (struct ike_payload){IKE_PL_IDR, false, id_body, sizeof(id_body)};
	assert_int_equal(ike_id_parse(&p, &id), 0);
	assert_int_equal(id.len, 2);
	p.len = 4;
	assert_int_equal(ike_id_parse(&p, &id), P2S_E_PROTO);
	p.len = 3;
	assert_int_equal(ike_id_parse(&p, &id), P2S_E_TRUNC);

	const uint8_t n_body[] = {IKE_PROTO_ESP, 4, 0x40, 0x09, 1, 2, 3};
	struct ike_notify n;
	p = (struct ike_payload){IKE_PL_NOTIFY, false, n_body, sizeof(n_body)};
	assert_int_equal(ike_notify_parse(&p, &n), P2S_E_TRUNC);
	struct ike_auth a;
	p = (struct ike_payload){IKE_PL_AUTH, false, id_body, sizeof(id_body)};
	assert_int_equal(ike_auth_parse(&p, &a), 0);
	struct ike_cert ce;
	assert_int_equal(ike_cert_parse(&p, &ce), 0);
	assert_int_equal(ce.len, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_unknown_payloads),
		cmocka_unit_test(test_sk_last),
		cmocka_unit_test(test_ts),
		cmocka_unit_test(test_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
