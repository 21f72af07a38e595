/* MS-CHAPv2 (RFC 2759) and its MPPE key derivation (RFC 3079): what a NAS
 * computes to check a peer's response or relay it, and to build the
 * authenticator response. MD4 and DES come from OpenSSL's legacy provider. */
#ifndef P2S_MSCHAP_H
#define P2S_MSCHAP_H

#include <stddef.h>
#include <stdint.h>

int mschap_nt_password_hash(const char *password, uint8_t hash[16]);
void mschap_challenge_hash(const uint8_t peer_challenge[16], const uint8_t auth_challenge[16],
			   const char *user, uint8_t out[8]);
int mschap_nt_response(const uint8_t auth_challenge[16], const uint8_t peer_challenge[16],
		       const char *user, const char *password, uint8_t response[24]);
/* "S=" followed by 40 upper-case hex digits, NUL-terminated (43 bytes). */
int mschap_authenticator_response(const char *password, const uint8_t nt_response[24],
				  const uint8_t peer_challenge[16],
				  const uint8_t auth_challenge[16], const char *user, char out[43]);
/* RFC 3079: the 16-byte master key from the password hash hash and the NT-Response. */
int mschap_master_key(const uint8_t password_hash_hash[16], const uint8_t nt_response[24],
		      uint8_t master[16]);

#endif
