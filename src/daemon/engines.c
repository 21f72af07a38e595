#include "daemon/engines.h"

#include "proto/ikev2/engine.h"
#include "proto/openvpn/engine.h"
#include "proto/sstp/engine.h"

const struct engine_ops *const p2s_engines[] = {
	&ovpn_engine_ops,
	&sstp_engine_ops,
	&ike_engine_ops,
	NULL,
};
