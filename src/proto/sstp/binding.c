/* Crypto binding math. The CMK seed length is little-endian, unlike the
 * rest of the protocol: that is what Windows and sstp-client compute. */
#include "proto/sstp/binding.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hmac.h"

static const char cmk_seed[] = "SSTP inner method derived CMK";

static size_t hash_len(uint8_t hash_proto)
{
	return hash_proto == SSTP_HASH_SHA256 ? 32 : hash_proto == SSTP_HASH_SHA1 ? 20 : 0;
}

static const char *hash_name(uint8_t hash_proto)
{
	return hash_proto == SSTP_HASH_SHA256 ? "SHA256" : "SHA1";
}

void sstp_hlak_mschapv2(uint8_t hlak[SSTP_HLAK_LEN], const uint8_t *recv, size_t recv_len,
			const uint8_t *send, size_t send_len)
{
	memset(hlak, 0, SSTP_HLAK_LEN);
	memcpy(hlak, recv, recv_len < 16 ? recv_len : 16);
	memcpy(hlak + 16, send, send_len < 16 ? send_len : 16);
}

void sstp_hlak_msk(uint8_t hlak[SSTP_HLAK_LEN], const uint8_t *msk, size_t len)
{
	memset(hlak, 0, SSTP_HLAK_LEN);
	memcpy(hlak, msk, len < SSTP_HLAK_LEN ? len : SSTP_HLAK_LEN);
}

int sstp_cmk(uint8_t hash_proto, const uint8_t hlak[SSTP_HLAK_LEN], uint8_t cmk[SSTP_HASH_LEN])
{
	size_t n = hash_len(hash_proto);
	if (!n)
		return P2S_E_PROTO;
	uint8_t tail[3] = {(uint8_t)n, 0, 1};
	struct hmac_part parts[] = {{cmk_seed, sizeof(cmk_seed) - 1}, {tail, sizeof(tail)}};
	memset(cmk, 0, SSTP_HASH_LEN);
	return hmac_compute(hash_name(hash_proto), hlak, SSTP_HLAK_LEN, parts, 2, cmk, n);
}

int sstp_compound_mac(uint8_t hash_proto, const uint8_t hlak[SSTP_HLAK_LEN],
		      const uint8_t connected[SSTP_CONNECTED_LEN], uint8_t mac[SSTP_HASH_LEN])
{
	uint8_t cmk[SSTP_HASH_LEN];
	static const uint8_t zero[SSTP_HASH_LEN];
	size_t n = hash_len(hash_proto);
	int rc = sstp_cmk(hash_proto, hlak, cmk);
	if (rc < 0)
		return rc;
	struct hmac_part parts[] = {{connected, SSTP_MAC_OFFSET}, {zero, SSTP_HASH_LEN}};
	memset(mac, 0, SSTP_HASH_LEN);
	rc = hmac_compute(hash_name(hash_proto), cmk, n, parts, 2, mac, n);
	OPENSSL_cleanse(cmk, sizeof(cmk));
	return rc;
}

int sstp_binding_verify(const struct sstp_binding_ctx *b, const struct sstp_ctrl *m,
			const uint8_t pkt[SSTP_CONNECTED_LEN], const uint8_t hlak[SSTP_HLAK_LEN],
			const char **why)
{
	uint8_t want[SSTP_HASH_LEN] = {0};
	if (CRYPTO_memcmp(m->nonce, b->nonce, SSTP_NONCE_LEN) != 0) {
		*why = "nonce differs from the one sent";
		return P2S_E_AUTH;
	}
	if ((m->hash_proto != SSTP_HASH_SHA1 && m->hash_proto != SSTP_HASH_SHA256) ||
	    !(m->hash_proto & b->offered)) {
		*why = "hash protocol not offered";
		return P2S_E_AUTH;
	}
	if (m->hash_proto == SSTP_HASH_SHA256)
		memcpy(want, b->cert_sha256, 32);
	else
		memcpy(want, b->cert_sha1, 20);
	if (memcmp(m->cert_hash, want, SSTP_HASH_LEN) != 0) {
		*why = "certificate hash is not the gateway's";
		return P2S_E_AUTH;
	}
	if (sstp_compound_mac(m->hash_proto, hlak, pkt, want) < 0) {
		*why = "compound MAC computation failed";
		return P2S_E_CRYPTO;
	}
	if (CRYPTO_memcmp(m->mac, want, SSTP_HASH_LEN) != 0) {
		*why = "compound MAC mismatch";
		return P2S_E_AUTH;
	}
	return 0;
}

int sstp_binding_cert(struct sstp_binding_ctx *b, const uint8_t *der, size_t der_len)
{
	unsigned n1 = 0, n2 = 0;
	if (!EVP_Digest(der, der_len, b->cert_sha1, &n1, EVP_sha1(), NULL) ||
	    !EVP_Digest(der, der_len, b->cert_sha256, &n2, EVP_sha256(), NULL))
		return P2S_E_CRYPTO;
	return 0;
}
