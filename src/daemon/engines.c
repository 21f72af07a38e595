#include "daemon/engines.h"

#include "proto/openvpn/engine.h"

const struct engine_ops *const p2s_engines[] = {
	&ovpn_engine_ops,
	NULL,
};
