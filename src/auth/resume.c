#include "resume.h"

#include <openssl/crypto.h>
#include <string.h>

void resume_put(struct resume_store *r, const struct resume_entry *e, double now, double lifetime)
{
	struct resume_entry *slot = &r->e[r->next++ % RESUME_SLOTS];
	*slot = *e;
	slot->expires = now + lifetime;
}

const struct resume_entry *resume_find(const struct resume_store *r, const char *token, double now)
{
	if (!token || strlen(token) != RESUME_TOKEN_LEN)
		return NULL;
	for (unsigned i = 0; i < RESUME_SLOTS; i++) {
		const struct resume_entry *e = &r->e[i];
		if (e->token[0] && e->expires >= now &&
		    CRYPTO_memcmp(e->token, token, RESUME_TOKEN_LEN) == 0)
			return e;
	}
	return NULL;
}

static void forget(struct resume_entry *e)
{
	OPENSSL_cleanse(e, sizeof(*e));
}

void resume_drop_type(struct resume_store *r, unsigned auth_type)
{
	for (unsigned i = 0; i < RESUME_SLOTS; i++)
		if (r->e[i].token[0] && r->e[i].auth_type == auth_type)
			forget(&r->e[i]);
}

void resume_drop_if(struct resume_store *r, bool (*gone)(const struct resume_entry *, void *),
		    void *arg)
{
	for (unsigned i = 0; i < RESUME_SLOTS; i++)
		if (r->e[i].token[0] && gone(&r->e[i], arg))
			forget(&r->e[i]);
}
