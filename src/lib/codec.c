#include "codec.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static int hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int hex_decode(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		if (*s == ' ' || *s == ':' || *s == '\t')
			continue;
		int v = hex_val((unsigned char)*s);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}

void hex_encode(const uint8_t *in, size_t n, char *out, int upper)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = 0;
}

int b64_decode(const char *s, uint8_t **out)
{
	size_t len = strlen(s);
	char *clean = malloc(len + 1);
	if (!clean)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			clean[n++] = s[i];
	clean[n] = 0;
	if (n == 0 || n % 4) {
		free(clean);
		return -1;
	}
	uint8_t *buf = malloc(n / 4 * 3 + 1);
	int r = buf ? EVP_DecodeBlock(buf, (unsigned char *)clean, (int)n) : -1;
	if (r >= 0) {
		/* EVP_DecodeBlock counts padding as zero bytes. */
		if (clean[n - 1] == '=')
			r--;
		if (clean[n - 2] == '=')
			r--;
	}
	free(clean);
	if (r < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return r;
}

char *b64_encode(const uint8_t *in, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);
	if (s)
		EVP_EncodeBlock((unsigned char *)s, in, (int)n);
	return s;
}

int b64url_decode(const char *s, size_t len, uint8_t **out)
{
	if (len > (1u << 20) || len % 4 == 1)
		return -1;
	char *std = malloc(len + 4);
	if (!std)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!isalnum((unsigned char)c)) {
			free(std);
			return -1; /* padding, whitespace and '+/' are not base64url */
		}
		std[n++] = c;
	}
	while (n % 4)
		std[n++] = '=';
	std[n] = 0;
	int r = n ? b64_decode(std, out) : -1;
	free(std);
	return r;
}
