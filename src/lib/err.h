/* One error space for the whole project: 0 or a negative code.
 * Codes below P2S_E_BASE are -errno; the rest are ours. */
#ifndef P2S_ERR_H
#define P2S_ERR_H

#include <errno.h>

enum p2s_err {
	P2S_OK = 0,
	P2S_E_BASE = -1000,
	P2S_E_TRUNC = -1001,  /* input shorter than its declared lengths */
	P2S_E_TRAIL = -1002,  /* bytes left over after a complete message */
	P2S_E_AUTH = -1003,   /* integrity check failed (HMAC, AEAD tag) */
	P2S_E_REPLAY = -1004, /* packet id seen before or too old */
	P2S_E_PROTO = -1005,  /* well-formed but not allowed here */
	P2S_E_FULL = -1006,   /* a window, pool or cap is exhausted */
	P2S_E_DENIED = -1007, /* peer failed authentication */
	P2S_E_CONFIG = -1008, /* configuration is invalid */
	P2S_E_CRYPTO = -1009, /* the crypto library failed */
};

const char *p2s_strerror(int err);

#endif
