/* Stateless cookies (RFC 7296 §2.6): above a number of half-open SAs an
 * IKE_SA_INIT gets only N(COOKIE) = version | SHA-256(Ni | IPi | SPIi |
 * secret), and state is made only for a request that carries it back. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "internal.h"

static void cookie_hash(const uint8_t secret[32], uint32_t version, const struct ike_msg *m,
			const union sockaddr_any *peer, const uint8_t *ni, size_t ni_len,
			uint8_t out[36])
{
	uint8_t spi[8];
	for (int i = 0; i < 8; i++)
		spi[i] = (uint8_t)(m->hdr.spi_i >> (56 - 8 * i));
	const void *ip = peer->sa.sa_family == AF_INET6 ? (const void *)&peer->in6.sin6_addr
							: (const void *)&peer->in.sin_addr;
	size_t ip_len = peer->sa.sa_family == AF_INET6 ? 16 : 4;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned n = 0;
	out[0] = (uint8_t)(version >> 24);
	out[1] = (uint8_t)(version >> 16);
	out[2] = (uint8_t)(version >> 8);
	out[3] = (uint8_t)version;
	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) || !EVP_DigestUpdate(c, ni, ni_len) ||
	    !EVP_DigestUpdate(c, ip, ip_len) || !EVP_DigestUpdate(c, spi, 8) ||
	    !EVP_DigestUpdate(c, secret, 32) || !EVP_DigestFinal_ex(c, out + 4, &n))
		memset(out + 4, 0, 32);
	EVP_MD_CTX_free(c);
}

void ike_cookie_make(struct ike_engine *e, const struct ike_msg *m, const union sockaddr_any *peer,
		     const uint8_t *ni, size_t ni_len, uint8_t out[36])
{
	cookie_hash(e->cookie_secret, e->cookie_version, m, peer, ni, ni_len, out);
}

bool ike_cookie_check(struct ike_engine *e, const struct ike_msg *m, const union sockaddr_any *peer,
		      const uint8_t *ni, size_t ni_len)
{
	/* The cookie must be the first payload (RFC 7296 §2.6). */
	if (m->chain.n == 0 || m->chain.pl[0].type != IKE_PL_NOTIFY)
		return false;
	struct ike_notify n;
	if (ike_notify_parse(&m->chain.pl[0], &n) || n.type != IKE_N_COOKIE || n.data_len != 36)
		return false;
	uint8_t want[36];
	ike_cookie_make(e, m, peer, ni, ni_len, want);
	return CRYPTO_memcmp(want, n.data, 36) == 0;
}
