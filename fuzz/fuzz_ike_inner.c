/* The decrypted-payload parser: what an SK payload yields once its ICV
 * checked. The first byte is the SK's next-payload, the second picks the
 * exchange; the rest is the inner chain, parsed with every body. */
#include "fuzz.h"
#include "proto/ikev2/sa.h"
#include "proto/ikev2/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_chain c;
	if (size < 2)
		return 0;
	uint8_t exch = IKE_AUTH + data[1] % 4;
	if (ike_chain_parse(data[0], data + 2, size - 2, &c) != 0)
		return 0;
	(void)ike_chain_check(&c, exch, true);
	for (size_t i = 0; i < c.n; i++) {
		const struct ike_payload *p = &c.pl[i];
		FUZZ_CHECK(p->body >= data + 2 && p->body + p->len <= data + size);
		struct ike_ts_list ts;
		struct ike_cp cp;
		struct ike_notify n;
		struct ike_id id;
		struct ike_auth a;
		struct ike_delete d;
		static struct ike_sa_offer sa;
		if (p->type == IKE_PL_TSI || p->type == IKE_PL_TSR) {
			if (ike_ts_parse(p, &ts) == 0)
				FUZZ_CHECK(ts.n >= 1 && ts.n <= IKE_MAX_TS);
		} else if (p->type == IKE_PL_CP) {
			(void)ike_cp_parse(p, &cp);
		} else if (p->type == IKE_PL_NOTIFY) {
			(void)ike_notify_parse(p, &n);
		} else if (p->type == IKE_PL_IDI || p->type == IKE_PL_IDR) {
			(void)ike_id_parse(p, &id);
		} else if (p->type == IKE_PL_AUTH) {
			(void)ike_auth_parse(p, &a);
		} else if (p->type == IKE_PL_DELETE) {
			(void)ike_delete_parse(p, &d);
		} else if (p->type == IKE_PL_SA && ike_sa_parse(p, &sa) == 0) {
			struct ike_policy pol;
			struct ike_suite s;
			uint16_t want;
			ike_policy_default(&pol);
			(void)ike_select_esp(&sa, &pol, -1, true, &s, &want);
		}
	}
	return 0;
}
