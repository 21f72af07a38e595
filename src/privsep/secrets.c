#define LOG_MODULE "keys"

#include "privsep/secrets.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/hmac.h"
#include "lib/log.h"
#include "lib/random.h"

#define CONF_MAX (4u << 20) /* far above any gateway's configuration */

static const char *handle_of(struct ps_secrets *s, const char *secret)
{
	for (unsigned i = 0; i < PS_SECRETS_KEPT; i++)
		if (s->e[i].secret && strcmp(s->e[i].secret, secret) == 0)
			return s->e[i].handle;
	unsigned i = s->next++ % PS_SECRETS_KEPT;
	if (s->e[i].secret) {
		OPENSSL_cleanse(s->e[i].secret, strlen(s->e[i].secret));
		free(s->e[i].secret);
	}
	uint8_t r[8];
	p2s_random(r, sizeof(r));
	int n = snprintf(s->e[i].handle, sizeof(s->e[i].handle), "ps-secret-");
	for (size_t k = 0; k < sizeof(r); k++)
		n += snprintf(s->e[i].handle + n, sizeof(s->e[i].handle) - (size_t)n, "%02x", r[k]);
	s->e[i].secret = strdup(secret);
	return s->e[i].secret ? s->e[i].handle : "";
}

/* Every "radiusServerSecret" string, at any depth (the single server's and
 * each of radiusServers'). Bounded by the document's own depth. */
static void walk(struct ps_secrets *s, json_t *j, int depth)
{
	const char *k;
	json_t *v;
	size_t i;
	if (depth > 32)
		return;
	if (json_is_array(j))
		json_array_foreach(j, i, v) walk(s, v, depth + 1);
	if (!json_is_object(j))
		return;
	json_object_foreach(j, k, v)
	{
		if (strcmp(k, "radiusServerSecret") == 0 && json_is_string(v) &&
		    json_string_length(v) > 0)
			json_string_set(v, handle_of(s, json_string_value(v)));
		else
			walk(s, v, depth + 1);
	}
}

static char *read_fd(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *more = cap < CONF_MAX ? realloc(buf, cap * 2) : NULL;
			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
		ssize_t k = read(fd, buf + n, cap - n);
		if (k == 0) {
			*len = n;
			return buf;
		}
		if (k < 0)
			break;
		n += (size_t)k;
	}
	free(buf);
	return NULL;
}

static int memfd_of(const char *text, size_t n)
{
	int fd = memfd_create("p2sgw-config", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, text, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int ps_secrets_redact(struct ps_secrets *s, int fd)
{
	size_t n = 0;
	char *text = read_fd(fd, &n);
	json_error_t je;
	json_t *root = text ? json_loadb(text, n, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (text) {
		OPENSSL_cleanse(text, n);
		free(text);
	}
	if (!root) {
		lseek(fd, 0, SEEK_SET);
		return -1;
	}
	walk(s, root, 0);
	char *out = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	int mfd = out ? memfd_of(out, strlen(out)) : -1;
	free(out);
	if (mfd < 0) {
		lseek(fd, 0, SEEK_SET);
		return -1;
	}
	close(fd);
	return mfd;
}

static const char *secret_of(const struct ps_secrets *s, const struct ps_req *q)
{
	for (unsigned i = 0; i < PS_SECRETS_KEPT; i++)
		if (s->e[i].secret && strlen(s->e[i].handle) == q->hlen &&
		    memcmp(s->e[i].handle, q->handle, q->hlen) == 0)
			return s->e[i].secret;
	return NULL;
}

const char *ps_secrets_get(const struct ps_secrets *s, const char *handle)
{
	struct ps_req q = {.handle = (const uint8_t *)handle, .hlen = strlen(handle)};
	return secret_of(s, &q);
}

int ps_secrets_answer(const struct ps_secrets *s, const struct ps_req *q, uint8_t out[16])
{
	const char *secret = secret_of(s, q);
	if (!secret)
		return -ENOENT;
	size_t sn = strlen(secret);
	if (q->type == PS_RAD_HMAC) {
		const struct hmac_part part = {q->data, q->len};
		return hmac_compute("MD5", (const uint8_t *)secret, sn, &part, 1, out, 16);
	}
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) == 1 &&
		 EVP_DigestUpdate(c, q->alg ? (const void *)secret : q->data,
				  q->alg ? sn : q->len) == 1 &&
		 EVP_DigestUpdate(c, q->alg ? q->data : (const void *)secret,
				  q->alg ? q->len : sn) == 1 &&
		 EVP_DigestFinal_ex(c, out, NULL) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}

void ps_secrets_free(struct ps_secrets *s)
{
	for (unsigned i = 0; i < PS_SECRETS_KEPT; i++)
		if (s->e[i].secret) {
			OPENSSL_cleanse(s->e[i].secret, strlen(s->e[i].secret));
			free(s->e[i].secret);
		}
	memset(s, 0, sizeof(*s));
}
