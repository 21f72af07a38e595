/* MS-CHAPv2-in-CHAP and EAP packet codec. */
#include "proto/ppp/chap.h"

#include <stdio.h>
#include <string.h>

#include "lib/cursor.h"
#include "lib/err.h"
#include "proto/ppp/frame.h"

int chap_build_challenge(uint8_t *buf, size_t cap, uint8_t id, const uint8_t chal[16],
			 const char *name)
{
	struct wbuf w;
	size_t nl = strlen(name);
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, CHAP_CHALLENGE);
	wbuf_u8(&w, id);
	wbuf_u16(&w, (uint16_t)(4 + 1 + MSCHAP_CHAL_LEN + nl));
	wbuf_u8(&w, MSCHAP_CHAL_LEN);
	wbuf_bytes(&w, chal, MSCHAP_CHAL_LEN);
	wbuf_bytes(&w, name, nl);
	return wbuf_ok(&w) ? (int)w.len : P2S_E_TRUNC;
}

int chap_parse_response(const uint8_t *p, size_t n, struct chap_response *out)
{
	struct ppp_cp cp;
	struct cur c;
	int rc = ppp_cp_parse(p, n, &cp);
	if (rc < 0)
		return rc;
	if (cp.code != CHAP_RESPONSE)
		return P2S_E_PROTO;
	out->id = cp.id;
	cur_init(&c, cp.data, cp.len);
	if (cur_u8(&c) != MSCHAP_RESP_LEN)
		return P2S_E_PROTO;
	cur_copy(&c, out->peer_challenge, 16);
	const uint8_t *reserved = cur_bytes(&c, 8);
	cur_copy(&c, out->nt_response, 24);
	out->flags = cur_u8(&c);
	size_t nl;
	const uint8_t *name = cur_rest(&c, &nl);
	if (!cur_ok(&c) || !reserved)
		return P2S_E_TRUNC;
	if (nl == 0 || nl > CHAP_NAME_MAX || memchr(name, 0, nl))
		return P2S_E_PROTO;
	memcpy(out->name, name, nl);
	out->name[nl] = 0;
	return 0;
}

void chap_radius_response(const struct chap_response *r, uint8_t out[50])
{
	out[0] = r->id;
	out[1] = r->flags;
	memcpy(out + 2, r->peer_challenge, 16);
	memset(out + 18, 0, 8);
	memcpy(out + 26, r->nt_response, 24);
}

static int build_msg(uint8_t *buf, size_t cap, uint8_t code, uint8_t id, const char *msg)
{
	size_t ml = strlen(msg);
	return ppp_cp_build(buf, cap, code, id, (const uint8_t *)msg, ml);
}

int chap_build_success(uint8_t *buf, size_t cap, uint8_t id, const char *auth_string,
		       const char *msg)
{
	char text[256];
	int n = snprintf(text, sizeof(text), "%s M=%s", auth_string, msg);
	if (n < 0 || (size_t)n >= sizeof(text))
		return P2S_E_PROTO;
	return build_msg(buf, cap, CHAP_SUCCESS, id, text);
}

int chap_build_failure(uint8_t *buf, size_t cap, uint8_t id, const uint8_t chal[16],
		       const char *msg)
{
	char text[256], hex[33];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02X", chal[i]);
	int n = snprintf(text, sizeof(text), "E=691 R=0 C=%s V=3 M=%s", hex, msg);
	if (n < 0 || (size_t)n >= sizeof(text))
		return P2S_E_PROTO;
	return build_msg(buf, cap, CHAP_FAILURE, id, text);
}

int eap_parse(const uint8_t *p, size_t n, struct eap_pkt *out)
{
	struct ppp_cp cp;
	struct cur c;
	int rc = ppp_cp_parse(p, n, &cp);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	out->code = cp.code;
	out->id = cp.id;
	if (cp.code == EAP_SUCCESS || cp.code == EAP_FAILURE)
		return cp.len == 0 ? 0 : P2S_E_TRAIL;
	if (cp.code != EAP_REQUEST && cp.code != EAP_RESPONSE)
		return P2S_E_PROTO;
	cur_init(&c, cp.data, cp.len);
	out->type = cur_u8(&c);
	out->data = cur_rest(&c, &out->len);
	return cur_ok(&c) ? 0 : P2S_E_TRUNC;
}

int eap_build(uint8_t *buf, size_t cap, uint8_t code, uint8_t id, int type, const uint8_t *data,
	      size_t len)
{
	struct wbuf w;
	size_t total = 4 + (type >= 0 ? 1 : 0) + len;
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, code);
	wbuf_u8(&w, id);
	wbuf_u16(&w, (uint16_t)total);
	if (type >= 0)
		wbuf_u8(&w, (uint8_t)type);
	wbuf_bytes(&w, data, len);
	return wbuf_ok(&w) && total <= 0xffff ? (int)w.len : P2S_E_TRUNC;
}
