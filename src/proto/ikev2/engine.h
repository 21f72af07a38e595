/* The IKEv2 responder engine: IKE on UDP 500 and 4500 (non-ESP marker),
 * ESP in UDP 4500 carried in userspace, sessions IKEv2_<uuid>. */
#ifndef P2S_IKE_ENGINE_H
#define P2S_IKE_ENGINE_H

#include "core/core.h"

extern const struct engine_ops ike_engine_ops;

#endif
