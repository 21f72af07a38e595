/* The daemon's table of tunnel engines: the only place that names them. */
#ifndef P2S_DAEMON_ENGINES_H
#define P2S_DAEMON_ENGINES_H

#include "core/core.h"

/* NULL-terminated. */
extern const struct engine_ops *const p2s_engines[];

#endif
