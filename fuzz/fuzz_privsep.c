/* The key process's request codec (what a compromised network process
 * controls) and the reply codec: what decodes must encode back to the same
 * bytes, and nothing decodes with bytes left over. */
#include <string.h>

#include "fuzz.h"
#include "privsep/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t back[PS_MSG_MAX];
	size_t n = 0;
	struct ps_req q;
	if (ps_req_decode(&q, data, size) == 0) {
		FUZZ_CHECK(ps_req_encode(&q, back, sizeof(back), &n) == 0);
		FUZZ_CHECK(n == size && memcmp(back, data, size) == 0);
		FUZZ_CHECK(q.len <= PS_PATH_MAX);
	}
	struct ps_reply r;
	if (ps_reply_decode(&r, data, size) == 0) {
		FUZZ_CHECK(r.status <= 0 && r.len <= PS_DATA_MAX);
		FUZZ_CHECK(ps_reply_encode(&r, back, sizeof(back), &n) == 0);
		FUZZ_CHECK(n == size && memcmp(back, data, size) == 0);
	}
	return 0;
}
