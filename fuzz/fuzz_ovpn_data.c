/* ovpn_dc_decrypt with the seeds' fixed key; the cipher comes from the key
 * id. Also the input as plaintext through a client -> server round trip. */
#include <string.h>

#include "fuzz.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 0x10000)
		return 0;
	uint8_t key2[OVPN_KEY2_LEN];
	fuzz_key2(key2);
	const char *cipher = fuzz_cipher_for(data[0]);
	struct ovpn_dc srv, cli;
	FUZZ_CHECK(ovpn_dc_init(&srv, cipher, key2, true) == 0);
	FUZZ_CHECK(ovpn_dc_init(&cli, cipher, key2, false) == 0);

	uint8_t *out = malloc(size);
	FUZZ_CHECK(out);
	int r = ovpn_dc_decrypt(&srv, data, size, out, size);
	if (r >= 0) {
		size_t hdr = ovpn_op_of(data[0]) == OVPN_DATA_V2 ? 4 : 1;
		FUZZ_CHECK((size_t)r == size - hdr - 4 - 16);
		(void)ovpn_is_ping(out, (size_t)r);
		(void)ovpn_is_occ_exit(out, (size_t)r);
		/* Accepted once only. */
		FUZZ_CHECK(ovpn_dc_decrypt(&srv, data, size, out, size) == P2S_E_REPLAY);
	} else {
		FUZZ_CHECK(r == P2S_E_TRUNC || r == P2S_E_PROTO || r == P2S_E_AUTH ||
			   r == P2S_E_REPLAY);
	}

	size_t len = size > 2000 ? 2000 : size;
	uint8_t pkt[2000 + OVPN_DATA_OVERHEAD], plain[2000];
	int n = ovpn_dc_encrypt(&cli, data[0] & 7, (uint32_t)len * 2654435761u, data, len, pkt,
				len + OVPN_DATA_OVERHEAD);
	FUZZ_CHECK(n == (int)(len + OVPN_DATA_OVERHEAD));
	FUZZ_CHECK(pkt[0] == (OVPN_DATA_V2 << 3 | (data[0] & 7)));
	struct ovpn_dc fresh; /* srv may have seen this packet id already */
	FUZZ_CHECK(ovpn_dc_init(&fresh, cipher, key2, true) == 0);
	FUZZ_CHECK(ovpn_dc_decrypt(&fresh, pkt, (size_t)n, plain, len) == (int)len);
	FUZZ_CHECK(memcmp(plain, data, len) == 0);

	free(out);
	ovpn_dc_free(&srv);
	ovpn_dc_free(&cli);
	ovpn_dc_free(&fresh);
	return 0;
}
