/* The RADIUS shared secrets, kept by the key process. The network process
 * reads the configuration through the key process with every
 * radiusServerSecret replaced by a handle ("ps-secret-" and 16 random hex
 * digits, the same for the same secret across reloads) and asks for the
 * secret's uses by handle (radius_wire's rad_secret_ops). */
#ifndef P2S_PRIVSEP_SECRETS_H
#define P2S_PRIVSEP_SECRETS_H

#include <stdint.h>

#include "privsep/wire.h"

#define PS_SECRETS_KEPT 32

struct ps_secrets {
	struct {
		char handle[32];
		char *secret;
	} e[PS_SECRETS_KEPT];
	unsigned next;
};

/* A descriptor of the configuration text fd holds, secrets replaced by
 * handles; -1 (fd left open) when it is not JSON: the network process then
 * reports the syntax error itself, as before. Closes fd on success. */
int ps_secrets_redact(struct ps_secrets *s, int fd);
/* RAD_MD5 / RAD_HMAC: 0 and 16 bytes in out, or -ENOENT for no such handle. */
int ps_secrets_answer(const struct ps_secrets *s, const struct ps_req *q, uint8_t out[16]);
/* The secret behind a handle (NUL-terminated), or NULL. */
const char *ps_secrets_get(const struct ps_secrets *s, const char *handle);
void ps_secrets_free(struct ps_secrets *s);

#endif
