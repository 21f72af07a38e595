/* tun_counter_parse on arbitrary bytes (the TUN's sysfs drop counters):
 * accepted exactly when the input is decimal digits, at most one newline
 * after them and a value that fits in 64 bits, and then the value printed
 * again is the digits without their leading zeros. */
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "tunnel/tun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	uint64_t v = 0;
	int r = tun_counter_parse(t, size, &v);
	size_t digits = 0;
	while (digits < size && t[digits] >= '0' && t[digits] <= '9')
		digits++;
	bool form = digits > 0 && (digits == size || (digits + 1 == size && t[digits] == '\n'));
	if (r < 0) {
		FUZZ_CHECK(!form || digits >= 20); /* refused: malformed or too large */
		return 0;
	}
	FUZZ_CHECK(form);
	size_t z = 0;
	while (z + 1 < digits && t[z] == '0')
		z++;
	char again[24];
	int n = snprintf(again, sizeof(again), "%" PRIu64, v);
	FUZZ_CHECK(n > 0 && (size_t)n == digits - z && memcmp(again, t + z, digits - z) == 0);
	return 0;
}
