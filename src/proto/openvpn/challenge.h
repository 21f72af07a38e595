/* OpenVPN's challenge/response password forms (the client's side is the
 * openvpn client or a GUI through its management interface):
 *   SCRV1:<base64 password>:<base64 response>   a static challenge, typed
 *                                               with the password;
 *   CRV1::<state id>::<response>                the answer to a dynamic
 *                                               challenge of an earlier
 *                                               connection;
 * and the server's dynamic challenge,
 *   AUTH_FAILED,CRV1:R,E:<state id>:<base64 user>:<prompt>. */
#ifndef P2S_OVPN_CHALLENGE_H
#define P2S_OVPN_CHALLENGE_H

#include <stddef.h>

struct ovpn_password {
	char *password;	    /* what the user typed first, or the response */
	char *otp;	    /* SCRV1: the response to send when challenged */
	char *challenge_id; /* CRV1: the challenge this answers */
};

/* Splits pw into its parts (a plain password is copied as is). 0, or -1
 * for a malformed SCRV1/CRV1 form. Free with ovpn_password_free. */
int ovpn_password_parse(const char *pw, struct ovpn_password *out);
void ovpn_password_free(struct ovpn_password *p);
/* The AUTH_FAILED message that asks for a response; prompt keeps to one
 * line. Returns the length written (< cap) or -1. */
int ovpn_crv1_write(char *out, size_t cap, const char *id, const char *user, const char *prompt);

#endif
