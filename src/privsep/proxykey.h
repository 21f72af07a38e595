/* A server key whose private half lives in the key process: the public
 * half from the certificate, every private operation forwarded over the
 * channel. Works wherever an EVP_PKEY does (SSL_CTX, EVP_DigestSign). */
#ifndef P2S_PRIVSEP_PROXYKEY_H
#define P2S_PRIVSEP_PROXYKEY_H

#include <openssl/evp.h>

#include "privsep/wire.h"

/* The id the key process files a key under: SHA-256 of its public DER. */
int ps_key_id(EVP_PKEY *pub, uint8_t id[PS_KEY_ID_LEN]);
/* An RSA or EC key shaped like pub that signs through the key process, or
 * NULL (other key types, or no channel). Caller frees. */
EVP_PKEY *ps_proxy_key(EVP_PKEY *pub, const uint8_t id[PS_KEY_ID_LEN]);

#endif
