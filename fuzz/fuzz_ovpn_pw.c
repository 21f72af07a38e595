/* ovpn_password_parse on any password a client sends: a plain password,
 * SCRV1 or CRV1; whatever parses has its parts as NUL-free strings. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto/openvpn/challenge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *pw = malloc(size + 1);
	if (!pw)
		return 0;
	memcpy(pw, data, size);
	pw[size] = 0;
	struct ovpn_password p;
	if (ovpn_password_parse(pw, &p) == 0) {
		FUZZ_CHECK(p.password != NULL || size == 0 || strlen(pw) == 0);
		FUZZ_CHECK(!p.otp || strncmp(pw, "SCRV1:", 6) == 0);
		FUZZ_CHECK(!p.challenge_id || strncmp(pw, "CRV1::", 6) == 0);
		ovpn_password_free(&p);
	}
	free(pw);
	return 0;
}
