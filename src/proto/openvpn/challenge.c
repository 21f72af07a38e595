#include "challenge.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec.h"

static void wipe_free(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void ovpn_password_free(struct ovpn_password *p)
{
	wipe_free(p->password);
	wipe_free(p->otp);
	free(p->challenge_id);
	memset(p, 0, sizeof(*p));
}

/* Base64 text [s, e) as a NUL-terminated string without NULs, or NULL. */
static char *b64_text(const char *s, const char *e)
{
	char *in = strndup(s, (size_t)(e - s));
	uint8_t *raw = NULL;
	int n = in ? b64_decode(in, &raw) : -1;
	free(in);
	char *out =
		n >= 0 && !memchr(raw, 0, (size_t)n) ? strndup((const char *)raw, (size_t)n) : NULL;
	if (raw)
		OPENSSL_cleanse(raw, n > 0 ? (size_t)n : 0);
	free(raw);
	return out;
}

static int parse_scrv1(const char *pw, struct ovpn_password *out)
{
	const char *a = pw + 6, *colon = strchr(a, ':');
	if (!colon || strchr(colon + 1, ':'))
		return -1;
	out->password = b64_text(a, colon);
	out->otp = b64_text(colon + 1, colon + 1 + strlen(colon + 1));
	return out->password && out->otp ? 0 : -1;
}

static int parse_crv1(const char *pw, struct ovpn_password *out)
{
	const char *id = pw + 6, *sep = strstr(id, "::");
	if (!sep || sep == id)
		return -1;
	out->challenge_id = strndup(id, (size_t)(sep - id));
	out->password = strdup(sep + 2);
	return out->challenge_id && out->password ? 0 : -1;
}

int ovpn_password_parse(const char *pw, struct ovpn_password *out)
{
	memset(out, 0, sizeof(*out));
	int r;
	if (!pw)
		return 0;
	if (strncmp(pw, "SCRV1:", 6) == 0)
		r = parse_scrv1(pw, out);
	else if (strncmp(pw, "CRV1::", 6) == 0)
		r = parse_crv1(pw, out);
	else
		r = (out->password = strdup(pw)) ? 0 : -1;
	if (r < 0)
		ovpn_password_free(out);
	return r;
}

int ovpn_crv1_write(char *out, size_t cap, const char *id, const char *user, const char *prompt)
{
	char *u = b64_encode((const uint8_t *)user, strlen(user));
	char line[256];
	snprintf(line, sizeof(line), "%s", prompt && prompt[0] ? prompt : "Enter your code");
	line[strcspn(line, "\r\n,")] = 0; /* one line; a comma would end the message */
	int n = u ? snprintf(out, cap, "AUTH_FAILED,CRV1:R,E:%s:%s:%s", id, u, line) : -1;
	free(u);
	return n >= 0 && (size_t)n < cap ? n : -1;
}
