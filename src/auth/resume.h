/* Ask once: a user who passed RADIUS (and its MFA) or Entra ID gets a resume
 * token (OpenVPN pushes it as auth-token); within the configured window a
 * reconnect presenting it is admitted without asking again, bound to the
 * user name and to the certificate, if any, of the first login. A reload
 * that removes the authentication type, or revokes that certificate, ends
 * it; so does the end of the window (no silent renewal past it). */
#ifndef P2S_RESUME_H
#define P2S_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESUME_SLOTS	 4096
#define RESUME_TOKEN_LEN 44 /* base64 of 32 random bytes */

struct resume_entry {
	char token[RESUME_TOKEN_LEN + 1];
	char user[256];
	char group[256];
	unsigned auth_type;
	bool has_cert;
	uint8_t cert_sha1[20];
	uint8_t rad_class[253];
	size_t rad_class_len;
	double expires;
};

struct resume_store {
	struct resume_entry e[RESUME_SLOTS];
	unsigned next;
};

/* Remembers e (its token filled by the caller) until now + lifetime. */
void resume_put(struct resume_store *r, const struct resume_entry *e, double now, double lifetime);
/* The live entry for token, or NULL. */
const struct resume_entry *resume_find(const struct resume_store *r, const char *token, double now);
/* Forgets every entry of this authentication type (it was disabled). */
void resume_drop_type(struct resume_store *r, unsigned auth_type);
/* Forgets every entry for which gone() says so (a revoked certificate). */
void resume_drop_if(struct resume_store *r, bool (*gone)(const struct resume_entry *, void *),
		    void *arg);

#endif
