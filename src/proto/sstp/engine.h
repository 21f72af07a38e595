/* The SSTP engine: TLS 1.2 connections the core hands over from the shared
 * TCP port, the HTTPS request, SSTP calls and the PPP link inside them. */
#ifndef P2S_SSTP_ENGINE_H
#define P2S_SSTP_ENGINE_H

#include "core/core.h"

extern const struct engine_ops sstp_engine_ops;

#endif
