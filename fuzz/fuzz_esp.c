/* ESP input with fixed keys: the first byte picks AES-GCM-16-256,
 * AES-CBC-256 + HMAC-SHA256-128 or + HMAC-SHA1-96, the rest is the packet.
 * Also the same bytes as an SK payload opened with those keys. */
#include <string.h>

#include "fuzz.h"
#include "proto/ikev2/esp.h"
#include "proto/ikev2/keys.h"

static const uint16_t integs[3] = {0, IKE_INTEG_SHA256_128, IKE_INTEG_SHA1_96};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 0x10000)
		return 0;
	uint8_t km[80];
	for (size_t i = 0; i < sizeof(km); i++)
		km[i] = (uint8_t)(i * 13 + 1);
	int kind = data[0] % 3;
	uint16_t encr = kind == 0 ? IKE_ENCR_AES_GCM16 : IKE_ENCR_AES_CBC;
	struct esp_sa sa;
	FUZZ_CHECK(esp_sa_init(&sa, esp_spi(data + 1, size - 1), encr, 256, integs[kind], km,
			       false) == 0);
	static uint8_t out[0x10000];
	size_t n = 0;
	uint8_t nh;
	if (esp_decrypt(&sa, data + 1, size - 1, out, sizeof(out), &n, &nh) == 0)
		FUZZ_CHECK(n < size);
	esp_sa_clear(&sa);
	struct ike_sk_dir d = {encr, 256, kind == 0 ? 0 : IKE_INTEG_SHA256_128, km, km + 36};
	if (size > IKE_HDR_LEN + 1 &&
	    ike_sk_open(&d, data + 1, size - 1, IKE_HDR_LEN, 0, out, &n) == 0)
		FUZZ_CHECK(n < size);
	return 0;
}
