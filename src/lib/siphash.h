/* SipHash-2-4: a keyed hash for tables indexed by what a peer chooses
 * (addresses, ports), so nobody can aim many keys at one bucket. */
#ifndef P2S_SIPHASH_H
#define P2S_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
