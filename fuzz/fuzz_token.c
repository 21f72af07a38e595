/* Access tokens and JWKS documents: the input up to a NUL is a token checked
 * against a fixed key set; what follows is parsed as a JWKS. */
#include <string.h>

#include "auth/token.h"
#include "fuzz.h"

/* A JWKS with one RSA key (modulus 2048 bits of 0xc5.., exponent 65537). */
static const char *fixed_jwks(void)
{
	static char doc[1024];
	if (!doc[0]) {
		char n[400];
		memset(n, 'x', 342);
		n[0] = 'x';
		n[342] = 0;
		snprintf(
			doc, sizeof(doc),
			"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"%s\",\"e\":\"AQAB\"}]}",
			n);
	}
	return doc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct token_keys *keys;
	const char *why = NULL;
	if (!keys)
		keys = token_keys_parse(fixed_jwks(), &why);
	FUZZ_CHECK(keys != NULL);
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	char *tok = malloc(tlen + 1);
	memcpy(tok, data, tlen);
	tok[tlen] = 0;
	struct token_policy pol = {"https://sts.windows.net/t/", "aud", "t"};
	struct token_claims tc;
	int r = token_validate(tok, tlen, keys, &pol, 1800000000, &tc, &why);
	FUZZ_CHECK(r == 0 || why != NULL);
	FUZZ_CHECK(tc.n_groups <= TOKEN_MAX_GROUPS);
	(void)token_looks_like_jwt(tok);
	free(tok);
	if (nul) {
		size_t jl = size - tlen - 1;
		char *j = malloc(jl + 1);
		memcpy(j, nul + 1, jl);
		j[jl] = 0;
		token_keys_free(token_keys_parse(j, &why));
		free(j);
	}
	return 0;
}
