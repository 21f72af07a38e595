/* The OpenVPN server engine: control channel (reliability, TLS, key-method
 * 2, push), data channel and keepalive, over TCP (adopted from the core's
 * shared port) and UDP (its own socket). */
#ifndef P2S_OVPN_ENGINE_H
#define P2S_OVPN_ENGINE_H

#include "core/core.h"

extern const struct engine_ops ovpn_engine_ops;

#endif
