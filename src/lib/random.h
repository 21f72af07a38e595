/* Randomness for keys, session ids, cookies and nonces. */
#ifndef P2S_RANDOM_H
#define P2S_RANDOM_H

#include <stddef.h>

/* Fills buf from OpenSSL's DRBG. A DRBG that cannot answer is a broken
 * invariant (no entropy): the process logs it and aborts rather than hand
 * out predictable keys. */
void p2s_random(void *buf, size_t n);

#endif
