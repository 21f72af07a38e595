#include "err.h"

#include <string.h>

const char *p2s_strerror(int err)
{
	switch (err) {
	case P2S_OK: return "success";
	case P2S_E_TRUNC: return "truncated input";
	case P2S_E_TRAIL: return "trailing bytes";
	case P2S_E_AUTH: return "integrity check failed";
	case P2S_E_REPLAY: return "replayed or too old";
	case P2S_E_PROTO: return "protocol violation";
	case P2S_E_FULL: return "no room left";
	case P2S_E_DENIED: return "authentication refused";
	case P2S_E_CONFIG: return "invalid configuration";
	case P2S_E_CRYPTO: return "crypto library failure";
	default: return err < 0 && err > P2S_E_BASE ? strerror(-err) : "unknown error";
	}
}
