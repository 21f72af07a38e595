/* The IKE message parser as the responder runs it on a datagram: header,
 * clear payload chain, the exchange table, then every typed body, and the
 * proposal selection against the default policy. */
#include "fuzz.h"
#include "proto/ikev2/sa.h"
#include "proto/ikev2/wire.h"

static void bodies(const struct ike_chain *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct ike_payload *p = &c->pl[i];
		union {
			struct ike_notify n;
			struct ike_ke ke;
			struct ike_id id;
			struct ike_auth a;
			struct ike_cert ce;
			struct ike_ts_list ts;
			struct ike_cp cp;
			struct ike_delete d;
			struct ike_skf f;
		} u;
		static struct ike_sa_offer sa;
		switch (p->type) {
		case IKE_PL_NOTIFY: (void)ike_notify_parse(p, &u.n); break;
		case IKE_PL_KE: (void)ike_ke_parse(p, &u.ke); break;
		case IKE_PL_IDI:
		case IKE_PL_IDR: (void)ike_id_parse(p, &u.id); break;
		case IKE_PL_AUTH: (void)ike_auth_parse(p, &u.a); break;
		case IKE_PL_CERT: (void)ike_cert_parse(p, &u.ce); break;
		case IKE_PL_TSI:
		case IKE_PL_TSR: (void)ike_ts_parse(p, &u.ts); break;
		case IKE_PL_CP: (void)ike_cp_parse(p, &u.cp); break;
		case IKE_PL_DELETE: (void)ike_delete_parse(p, &u.d); break;
		case IKE_PL_SKF: (void)ike_skf_parse(p, &u.f); break;
		case IKE_PL_SA:
			if (ike_sa_parse(p, &sa) == 0) {
				struct ike_policy pol;
				struct ike_suite s;
				uint16_t want = 0;
				ike_policy_default(&pol);
				enum ike_select_result r = ike_select_ike(&sa, &pol, 19, &s, &want);
				FUZZ_CHECK(r != IKE_SEL_INVALID_KE || want != 0);
				(void)ike_select_esp(&sa, &pol, -1, true, &s, &want);
			}
			break;
		default: break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg m;
	if (ike_msg_parse(data, size, &m) != 0)
		return 0;
	FUZZ_CHECK(m.hdr.length == size);
	FUZZ_CHECK(m.sk_off == 0 || m.sk_off + 4 <= size);
	(void)ike_chain_check(&m.chain, m.hdr.exchange, false);
	bodies(&m.chain);
	return 0;
}
