/* SSTP input as a server reads it: the first byte picks the HTTP request
 * parser or the packet stream (framing, packet, control message, and the
 * crypto binding check for any CALL_CONNECTED). */
#include <string.h>

#include "fuzz.h"
#include "proto/sstp/binding.h"
#include "proto/sstp/http.h"
#include "proto/sstp/wire.h"

static void stream(const uint8_t *p, size_t n)
{
	static const uint8_t hlak[SSTP_HLAK_LEN] = {1, 2, 3};
	struct sstp_binding_ctx b = {.offered = SSTP_HASH_SHA1 | SSTP_HASH_SHA256};
	for (int i = 0; i < 1000 && n; i++) {
		size_t len;
		struct sstp_pkt pkt;
		struct sstp_ctrl m;
		if (sstp_frame_len(p, n, &len) < 0 || len == 0 || len > n)
			return;
		FUZZ_CHECK(len >= SSTP_HDR_LEN && len <= SSTP_MAX_PKT);
		if (sstp_pkt_parse(p, len, &pkt) == 0 && pkt.control &&
		    sstp_ctrl_parse(pkt.body, pkt.body_len, &m) == 0 &&
		    m.type == SSTP_CALL_CONNECTED) {
			const char *why = NULL;
			FUZZ_CHECK(len == SSTP_CONNECTED_LEN);
			memcpy(b.nonce, m.nonce, sizeof(b.nonce));
			if (sstp_binding_verify(&b, &m, p, hlak, &why) != 0)
				FUZZ_CHECK(why != NULL);
		}
		p += len;
		n -= len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t head;
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		int rc = sstp_http_parse(data + 1, size - 1, &head);
		FUZZ_CHECK(rc <= 0 || ((size_t)rc == head && head <= size - 1));
		return 0;
	}
	stream(data + 1, size - 1);
	return 0;
}
