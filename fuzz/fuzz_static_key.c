/* ovpn_static_key_parse: what parses must format and parse back the same. */
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[OVPN_STATIC_KEY_LEN], back[OVPN_STATIC_KEY_LEN];
	if (ovpn_static_key_parse((const char *)data, size, key) != 0)
		return 0;
	char text[1024];
	ovpn_static_key_format(key, text, sizeof(text));
	FUZZ_CHECK(strlen(text) < sizeof(text) - 1);
	FUZZ_CHECK(ovpn_static_key_parse(text, strlen(text), back) == 0);
	FUZZ_CHECK(memcmp(key, back, sizeof(key)) == 0);
	struct ovpn_tls_auth ta;
	ovpn_tls_auth_from_static(&ta, key);
	FUZZ_CHECK(ta.enabled);
	FUZZ_CHECK(memcmp(ta.send_key, key + 64, OVPN_HMAC_LEN) == 0);
	FUZZ_CHECK(memcmp(ta.recv_key, key + 192, OVPN_HMAC_LEN) == 0);
	return 0;
}
