/* The static key file format OpenVPN's tls-auth and tls-crypt keys use. It
 * lives here because the state directory and the profile package write it
 * as well as the OpenVPN engine reading it. */
#include "static_key.h"

#include <stdio.h>
#include <string.h>

#include "lib/err.h"

int ovpn_static_key_parse(const char *text, size_t len, uint8_t key[OVPN_STATIC_KEY_LEN])
{
	static const char begin[] = "-----BEGIN OpenVPN Static key V1-----";
	static const char end[] = "-----END OpenVPN Static key V1-----";
	const char *p = memmem(text, len, begin, sizeof(begin) - 1);
	if (!p)
		return P2S_E_PROTO;
	p += sizeof(begin) - 1;
	const char *e = memmem(p, len - (size_t)(p - text), end, sizeof(end) - 1);
	if (!e)
		return P2S_E_TRUNC;
	size_t n = 0;
	int hi = -1;
	for (; p < e; p++) {
		int v = -1;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if ((*p | 32) >= 'a' && (*p | 32) <= 'f')
			v = (*p | 32) - 'a' + 10;
		else if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
			continue;
		if (v < 0 || n >= OVPN_STATIC_KEY_LEN)
			return P2S_E_PROTO;
		if (hi < 0) {
			hi = v;
		} else {
			key[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n == OVPN_STATIC_KEY_LEN && hi < 0 ? 0 : P2S_E_TRUNC;
}

void ovpn_static_key_format(const uint8_t key[OVPN_STATIC_KEY_LEN], char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap,
				    "#\n# 2048 bit OpenVPN static key\n#\n"
				    "-----BEGIN OpenVPN Static key V1-----\n");
	for (size_t i = 0; i < OVPN_STATIC_KEY_LEN && n + 40 < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%02x%s", key[i], i % 16 == 15 ? "\n" : "");
	if (n < cap)
		snprintf(out + n, cap - n, "-----END OpenVPN Static key V1-----\n");
}
