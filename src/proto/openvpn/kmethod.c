#include "kmethod.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"

/* u16 length including the NUL, then the bytes; length 0 means absent. */
static int read_string(struct cur *c, size_t max, char **out)
{
	*out = NULL;
	uint16_t len = cur_u16(c);
	if (!cur_ok(c))
		return P2S_E_TRUNC;
	if (len == 0)
		return 0;
	const uint8_t *b = cur_bytes(c, len);
	if (!b)
		return P2S_E_TRUNC;
	if (len > max || b[len - 1] != 0 || memchr(b, 0, len) != b + len - 1)
		return P2S_E_PROTO;
	*out = malloc(len);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, b, len);
	return 0;
}

int ovpn_km2_parse_client(const uint8_t *p, size_t n, struct ovpn_km2 *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	cur_init(&c, p, n);
	if (cur_u32(&c) != 0 || (cur_u8(&c) & 0x0f) != 2)
		return cur_ok(&c) ? P2S_E_PROTO : P2S_E_TRUNC;
	cur_copy(&c, out->pre_master, sizeof(out->pre_master));
	cur_copy(&c, out->random1, sizeof(out->random1));
	cur_copy(&c, out->random2, sizeof(out->random2));
	int r = read_string(&c, KM2_OPTIONS_MAX, &out->options);
	if (r == 0 && !out->options)
		r = P2S_E_PROTO; /* the options string is required */
	if (r == 0 && cur_left(&c))
		r = read_string(&c, KM2_STRING_MAX, &out->username);
	if (r == 0 && cur_left(&c))
		r = read_string(&c, KM2_STRING_MAX, &out->password);
	if (r == 0 && cur_left(&c))
		r = read_string(&c, KM2_STRING_MAX, &out->peer_info);
	if (r == 0 && cur_left(&c))
		r = P2S_E_TRAIL;
	if (r < 0)
		ovpn_km2_free(out);
	return r;
}

static void write_string(struct wbuf *w, const char *s)
{
	if (!s || !*s) {
		wbuf_u16(w, 0);
		return;
	}
	size_t n = strlen(s) + 1;
	wbuf_u16(w, (uint16_t)n);
	wbuf_bytes(w, s, n);
}

int ovpn_km2_write_server(uint8_t *out, size_t cap, const uint8_t random1[32],
			  const uint8_t random2[32], const char *options)
{
	struct wbuf w;
	wbuf_init(&w, out, cap);
	wbuf_u32(&w, 0);
	wbuf_u8(&w, 2);
	wbuf_bytes(&w, random1, 32);
	wbuf_bytes(&w, random2, 32);
	write_string(&w, options);
	write_string(&w, NULL);
	write_string(&w, NULL);
	write_string(&w, NULL);
	return wbuf_ok(&w) ? (int)w.len : -ENOSPC;
}

int ovpn_km2_write_client(uint8_t *out, size_t cap, const struct ovpn_km2 *k)
{
	struct wbuf w;
	wbuf_init(&w, out, cap);
	wbuf_u32(&w, 0);
	wbuf_u8(&w, 2);
	wbuf_bytes(&w, k->pre_master, sizeof(k->pre_master));
	wbuf_bytes(&w, k->random1, 32);
	wbuf_bytes(&w, k->random2, 32);
	write_string(&w, k->options);
	write_string(&w, k->username);
	write_string(&w, k->password);
	write_string(&w, k->peer_info);
	return wbuf_ok(&w) ? (int)w.len : -ENOSPC;
}

int ovpn_km2_parse_server(const uint8_t *p, size_t n, uint8_t random1[32], uint8_t random2[32])
{
	struct cur c;
	cur_init(&c, p, n);
	if (cur_u32(&c) != 0 || (cur_u8(&c) & 0x0f) != 2)
		return cur_ok(&c) ? P2S_E_PROTO : P2S_E_TRUNC;
	cur_copy(&c, random1, 32);
	cur_copy(&c, random2, 32);
	char *s = NULL;
	int r = read_string(&c, KM2_OPTIONS_MAX, &s);
	if (r == 0 && !s)
		r = P2S_E_PROTO;
	/* A server sends empty user, password and peer-info, or none. */
	for (int i = 0; i < 3 && r == 0 && cur_left(&c); i++) {
		free(s);
		r = read_string(&c, KM2_STRING_MAX, &s);
	}
	free(s);
	if (r == 0 && cur_left(&c))
		r = P2S_E_TRAIL;
	return r;
}

void ovpn_km2_free(struct ovpn_km2 *k)
{
	if (k->password)
		OPENSSL_cleanse(k->password, strlen(k->password));
	free(k->options);
	free(k->username);
	free(k->password);
	free(k->peer_info);
	OPENSSL_cleanse(k, sizeof(*k));
}

static void copy_value(char *dst, size_t cap, const char *v, size_t vlen)
{
	if (vlen >= cap)
		vlen = cap - 1;
	memcpy(dst, v, vlen);
	dst[vlen] = 0;
}

static void peer_info_line(const char *line, size_t len, struct ovpn_peer_info *out)
{
	const char *eq = memchr(line, '=', len);
	if (!eq)
		return;
	size_t klen = (size_t)(eq - line), vlen = len - klen - 1;
	char num[16];
	copy_value(num, sizeof(num), eq + 1, vlen);
	if (klen == 8 && memcmp(line, "IV_PROTO", 8) == 0)
		out->iv_proto = (unsigned)strtoul(num, NULL, 10);
	else if (klen == 6 && memcmp(line, "IV_NCP", 6) == 0)
		out->iv_ncp = atoi(num);
	else if (klen == 6 && memcmp(line, "IV_MTU", 6) == 0)
		out->has_mtu = true;
	else if (klen == 10 && memcmp(line, "IV_CIPHERS", 10) == 0)
		copy_value(out->ciphers, sizeof(out->ciphers), eq + 1, vlen);
	else if (klen == 6 && memcmp(line, "IV_VER", 6) == 0)
		copy_value(out->version, sizeof(out->version), eq + 1, vlen);
	else if (klen == 7 && memcmp(line, "IV_PLAT", 7) == 0)
		copy_value(out->platform, sizeof(out->platform), eq + 1, vlen);
}

void ovpn_peer_info_parse(const char *s, struct ovpn_peer_info *out)
{
	memset(out, 0, sizeof(*out));
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		peer_info_line(s, len, out);
		s = nl ? nl + 1 : NULL;
	}
}
