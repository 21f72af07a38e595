/* src/proto/ikev2/sa: proposals parsed; exactly the seed's default IKE and
 * IPsec tables accepted (every row), anything else NO_PROPOSAL_CHOSEN;
 * INVALID_KE when the KE group is acceptable but not the guess; a custom
 * policy accepted alone; the chosen proposal written back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lib/err.h"
#include "proto/ikev2/sa.h"

struct tf {
	uint8_t type;
	uint16_t id, bits;
};

static void prop_write(struct wbuf *w, bool last, uint8_t num, uint8_t proto, const struct tf *t,
		       size_t n)
{
	uint8_t spi_len = proto == IKE_PROTO_ESP ? 4 : 0;
	size_t len = 8 + spi_len;
	for (size_t i = 0; i < n; i++)
		len += t[i].bits ? 12 : 8;
	wbuf_u8(w, last ? 0 : 2);
	wbuf_u8(w, 0);
	wbuf_u16(w, (uint16_t)len);
	wbuf_u8(w, num);
	wbuf_u8(w, proto);
	wbuf_u8(w, spi_len);
	wbuf_u8(w, (uint8_t)n);
	if (spi_len)
		wbuf_u32(w, 0xc1c2c3c4);
	for (size_t i = 0; i < n; i++) {
		wbuf_u8(w, i + 1 == n ? 0 : 3);
		wbuf_u8(w, 0);
		wbuf_u16(w, t[i].bits ? 12 : 8);
		wbuf_u8(w, t[i].type);
		wbuf_u8(w, 0);
		wbuf_u16(w, t[i].id);
		if (t[i].bits) {
			wbuf_u16(w, 0x800e);
			wbuf_u16(w, t[i].bits);
		}
	}
}

/* One proposal in an SA body, parsed. */
static void one_offer(struct ike_sa_offer *o, uint8_t proto, const struct tf *t, size_t n)
{
	static uint8_t buf[2048];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	prop_write(&w, true, 1, proto, t, n);
	assert_true(wbuf_ok(&w));
	struct ike_payload p = {IKE_PL_SA, false, buf, w.len};
	assert_int_equal(ike_sa_parse(&p, o), 0);
}

static enum ike_select_result ike_try(const struct tf *t, size_t n, uint16_t ke,
				      const struct ike_policy *pol, uint16_t *want)
{
	struct ike_sa_offer o;
	struct ike_suite s;
	one_offer(&o, IKE_PROTO_IKE, t, n);
	return ike_select_ike(&o, pol, ke, &s, want);
}

/* Every row of the seed's IKE table, offered alone, is chosen. */
static void test_default_ike_rows(void **state)
{
	(void)state;
	struct ike_policy pol;
	ike_policy_default(&pol);
	assert_int_equal(pol.n_ike, 17);
	assert_int_equal(pol.n_esp, 11);
	for (size_t i = 0; i < pol.n_ike; i++) {
		const struct ike_policy_row *r = &pol.ike[i];
		struct tf t[4] = {{IKE_TF_ENCR, r->encr, r->key_bits},
				  {IKE_TF_PRF, r->prf, 0},
				  {IKE_TF_DH, r->dh, 0},
				  {IKE_TF_INTEG, r->integ, 0}};
		uint16_t want = 0;
		assert_int_equal(ike_try(t, r->integ ? 4 : 3, r->dh, &pol, &want), IKE_SEL_OK);
	}
}

static void test_default_ike_refusals(void **state)
{
	(void)state;
	struct ike_policy pol;
	ike_policy_default(&pol);
	uint16_t want = 0;
	struct tf des[] = {{IKE_TF_ENCR, IKE_ENCR_3DES, 0},
			   {IKE_TF_PRF, IKE_PRF_HMAC_SHA1, 0},
			   {IKE_TF_INTEG, IKE_INTEG_SHA1_96, 0},
			   {IKE_TF_DH, IKE_DH_MODP1024, 0}};
	assert_int_equal(ike_try(des, 4, IKE_DH_MODP1024, &pol, &want), IKE_SEL_NO_PROPOSAL);
	struct tf aes128[] = {{IKE_TF_ENCR, IKE_ENCR_AES_CBC, 128},
			      {IKE_TF_PRF, IKE_PRF_HMAC_SHA1, 0},
			      {IKE_TF_INTEG, IKE_INTEG_SHA1_96, 0},
			      {IKE_TF_DH, IKE_DH_MODP2048, 0}};
	assert_int_equal(ike_try(aes128, 4, IKE_DH_MODP2048, &pol, &want), IKE_SEL_NO_PROPOSAL);
	/* AES256/SHA384 with group 2 is not a row (only SHA256 takes group 2). */
	struct tf g2[] = {{IKE_TF_ENCR, IKE_ENCR_AES_CBC, 256},
			  {IKE_TF_PRF, IKE_PRF_HMAC_SHA384, 0},
			  {IKE_TF_INTEG, IKE_INTEG_SHA384_192, 0},
			  {IKE_TF_DH, IKE_DH_MODP1024, 0}};
	assert_int_equal(ike_try(g2, 4, IKE_DH_MODP1024, &pol, &want), IKE_SEL_NO_PROPOSAL);
	/* Mixed integrity/PRF (SHA384 integrity, SHA256 PRF) is not a row. */
	struct tf mix[] = {{IKE_TF_ENCR, IKE_ENCR_AES_CBC, 256},
			   {IKE_TF_PRF, IKE_PRF_HMAC_SHA256, 0},
			   {IKE_TF_INTEG, IKE_INTEG_SHA384_192, 0},
			   {IKE_TF_DH, IKE_DH_ECP256, 0}};
	assert_int_equal(ike_try(mix, 4, IKE_DH_ECP256, &pol, &want), IKE_SEL_NO_PROPOSAL);
	/* GCM with an HMAC integrity is not an AEAD row; GCM-128 is not in it. */
	struct tf gcm_integ[] = {{IKE_TF_ENCR, IKE_ENCR_AES_GCM16, 256},
				 {IKE_TF_PRF, IKE_PRF_HMAC_SHA256, 0},
				 {IKE_TF_INTEG, IKE_INTEG_SHA256_128, 0},
				 {IKE_TF_DH, IKE_DH_ECP256, 0}};
	assert_int_equal(ike_try(gcm_integ, 4, IKE_DH_ECP256, &pol, &want), IKE_SEL_NO_PROPOSAL);
	struct tf gcm128[] = {{IKE_TF_ENCR, IKE_ENCR_AES_GCM16, 128},
			      {IKE_TF_PRF, IKE_PRF_HMAC_SHA256, 0},
			      {IKE_TF_DH, IKE_DH_ECP256, 0}};
	assert_int_equal(ike_try(gcm128, 3, IKE_DH_ECP256, &pol, &want), IKE_SEL_NO_PROPOSAL);
}

/* strongSwan-like offer: many algorithms, KE guessed with curve25519. */
static void test_invalid_ke(void **state)
{
	(void)state;
	struct ike_policy pol;
	ike_policy_default(&pol);
	struct tf t[] = {{IKE_TF_ENCR, IKE_ENCR_AES_CBC, 128},
			 {IKE_TF_ENCR, IKE_ENCR_AES_CBC, 256},
			 {IKE_TF_INTEG, IKE_INTEG_SHA256_128, 0},
			 {IKE_TF_INTEG, IKE_INTEG_SHA384_192, 0},
			 {IKE_TF_PRF, IKE_PRF_HMAC_SHA256, 0},
			 {IKE_TF_PRF, IKE_PRF_HMAC_SHA384, 0},
			 {IKE_TF_DH, 31, 0},
			 {IKE_TF_DH, IKE_DH_ECP256, 0},
			 {IKE_TF_DH, IKE_DH_ECP384, 0},
			 {IKE_TF_DH, IKE_DH_MODP2048, 0}};
	uint16_t want = 0;
	assert_int_equal(ike_try(t, 10, 31, &pol, &want), IKE_SEL_INVALID_KE);
	assert_int_equal(want, IKE_DH_MODP2048);
	struct ike_sa_offer o;
	struct ike_suite s;
	one_offer(&o, IKE_PROTO_IKE, t, 10);
	assert_int_equal(ike_select_ike(&o, &pol, IKE_DH_ECP256, &s, &want), IKE_SEL_OK);
	assert_int_equal(s.encr, IKE_ENCR_AES_CBC);
	assert_int_equal(s.key_bits, 256);
	assert_int_equal(s.integ, IKE_INTEG_SHA384_192);
	assert_int_equal(s.prf, IKE_PRF_HMAC_SHA384);
	assert_int_equal(s.dh, IKE_DH_ECP256);
}

static enum ike_select_result esp_try(const struct tf *t, size_t n, int ke, bool ignore_dh,
				      const struct ike_policy *pol, struct ike_suite *s)
{
	struct ike_sa_offer o;
	uint16_t want;
	one_offer(&o, IKE_PROTO_ESP, t, n);
	return ike_select_esp(&o, pol, ke, ignore_dh, s, &want);
}

static void test_default_esp(void **state)
{
	(void)state;
	struct ike_policy pol;
	ike_policy_default(&pol);
	struct ike_suite s;
	for (size_t i = 0; i < pol.n_esp; i++) {
		const struct ike_policy_row *r = &pol.esp[i];
		struct tf t[4] = {{IKE_TF_ENCR, r->encr, r->key_bits},
				  {IKE_TF_ESN, 0, 0},
				  {IKE_TF_DH, r->dh, 0},
				  {IKE_TF_INTEG, r->integ, 0}};
		size_t n = r->integ ? 4 : 3;
		if (r->integ && !r->dh) /* no DH transform at all */
			t[2] = t[3], n = 3;
		else if (!r->dh)
			n = 2;
		assert_int_equal(esp_try(t, n, r->dh ? r->dh : -1, false, &pol, &s), IKE_SEL_OK);
		assert_int_equal(s.spi_len, 4);
	}
	/* In IKE_AUTH DH transforms are ignored. */
	struct tf gcm_dh[] = {{IKE_TF_ENCR, IKE_ENCR_AES_GCM16, 256},
			      {IKE_TF_DH, IKE_DH_ECP256, 0},
			      {IKE_TF_ESN, 0, 0}};
	assert_int_equal(esp_try(gcm_dh, 3, -1, true, &pol, &s), IKE_SEL_OK);
	assert_int_equal(s.dh, 0);
	/* AES256+SHA1 only without PFS. */
	struct tf sha1_pfs[] = {{IKE_TF_ENCR, IKE_ENCR_AES_CBC, 256},
				{IKE_TF_INTEG, IKE_INTEG_SHA1_96, 0},
				{IKE_TF_DH, IKE_DH_MODP2048, 0},
				{IKE_TF_ESN, 0, 0}};
	assert_int_equal(esp_try(sha1_pfs, 4, IKE_DH_MODP2048, false, &pol, &s),
			 IKE_SEL_NO_PROPOSAL);
	/* AES-CBC-128/SHA1 and ESN-only offers are refused. */
	struct tf a128[] = {{IKE_TF_ENCR, IKE_ENCR_AES_CBC, 128},
			    {IKE_TF_INTEG, IKE_INTEG_SHA1_96, 0},
			    {IKE_TF_ESN, 0, 0}};
	assert_int_equal(esp_try(a128, 3, -1, true, &pol, &s), IKE_SEL_NO_PROPOSAL);
	struct tf esn[] = {{IKE_TF_ENCR, IKE_ENCR_AES_GCM16, 256}, {IKE_TF_ESN, 1, 0}};
	assert_int_equal(esp_try(esn, 2, -1, true, &pol, &s), IKE_SEL_NO_PROPOSAL);
}

static void test_custom_policy(void **state)
{
	(void)state;
	struct ike_policy pol;
	assert_int_equal(ike_policy_custom(&pol, "GCMAES128", "GCMAES128", "AES128", "SHA256",
					   "ECP256", "PFSMM", 3600, 1024000),
			 0);
	assert_int_equal(pol.n_ike, 1);
	assert_int_equal(pol.esp[0].dh, IKE_DH_ECP256);
	uint16_t want;
	struct tf mine[] = {{IKE_TF_ENCR, IKE_ENCR_AES_CBC, 128},
			    {IKE_TF_PRF, IKE_PRF_HMAC_SHA256, 0},
			    {IKE_TF_INTEG, IKE_INTEG_SHA256_128, 0},
			    {IKE_TF_DH, IKE_DH_ECP256, 0}};
	assert_int_equal(ike_try(mine, 4, IKE_DH_ECP256, &pol, &want), IKE_SEL_OK);
	/* The default table's first row is now refused. */
	struct tf dflt[] = {{IKE_TF_ENCR, IKE_ENCR_AES_GCM16, 256},
			    {IKE_TF_PRF, IKE_PRF_HMAC_SHA384, 0},
			    {IKE_TF_DH, IKE_DH_MODP2048_256, 0}};
	assert_int_equal(ike_try(dflt, 3, IKE_DH_MODP2048_256, &pol, &want), IKE_SEL_NO_PROPOSAL);
	assert_int_equal(ike_policy_custom(&pol, "GCMAES256", "SHA256", "AES256", "SHA256",
					   "DHGroup14", "None", 0, 0),
			 P2S_E_CONFIG);
	assert_int_equal(ike_policy_custom(&pol, "AES256", "SHA256", "AES256", "MD5", "DHGroup14",
					   "None", 0, 0),
			 P2S_E_CONFIG);
}

static void test_parse_errors(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct wbuf w;
	struct tf t[] = {{IKE_TF_ENCR, IKE_ENCR_AES_GCM16, 256}};
	struct ike_sa_offer o;
	wbuf_init(&w, buf, sizeof(buf));
	prop_write(&w, false, 1, IKE_PROTO_IKE, t, 1);
	prop_write(&w, true, 3, IKE_PROTO_IKE, t, 1); /* numbers must follow on */
	struct ike_payload p = {IKE_PL_SA, false, buf, w.len};
	assert_int_equal(ike_sa_parse(&p, &o), P2S_E_PROTO);
	wbuf_init(&w, buf, sizeof(buf));
	prop_write(&w, true, 1, IKE_PROTO_IKE, t, 1);
	p.len = w.len + 1; /* trailing byte */
	assert_int_equal(ike_sa_parse(&p, &o), P2S_E_TRAIL);
	p.len = w.len - 1;
	assert_int_not_equal(ike_sa_parse(&p, &o), 0);
	buf[0] = 2; /* says more proposals follow, none do */
	p.len = w.len;
	assert_int_not_equal(ike_sa_parse(&p, &o), 0);
}

static void test_write_back(void **state)
{
	(void)state;
	struct ike_suite s = {.proto = IKE_PROTO_ESP,
			      .num = 3,
			      .spi_len = 4,
			      .spi = {1, 2, 3, 4},
			      .encr = IKE_ENCR_AES_CBC,
			      .key_bits = 256,
			      .integ = IKE_INTEG_SHA256_128};
	uint8_t buf[128];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	s.num = 1;
	ike_sa_write(&w, &s);
	struct ike_payload p = {IKE_PL_SA, false, buf, w.len};
	struct ike_sa_offer o;
	assert_int_equal(ike_sa_parse(&p, &o), 0);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.prop[0].n_tf, 3);
	assert_int_equal(o.prop[0].tf[0].key_bits, 256);
	assert_memory_equal(o.prop[0].spi, s.spi, 4);
	struct ike_policy pol;
	ike_policy_default(&pol);
	struct ike_suite back;
	uint16_t want;
	assert_int_equal(ike_select_esp(&o, &pol, -1, false, &back, &want), IKE_SEL_OK);
	assert_int_equal(back.integ, IKE_INTEG_SHA256_128);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_ike_rows),
		cmocka_unit_test(test_default_ike_refusals),
		cmocka_unit_test(test_invalid_ke),
		cmocka_unit_test(test_default_esp),
		cmocka_unit_test(test_custom_policy),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_write_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
