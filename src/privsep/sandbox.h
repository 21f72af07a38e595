/* The network process's confinement, entered once its TUN, ports and
 * control socket are open: an unprivileged user keeping only
 * CAP_NET_ADMIN (addresses and routes on reload) and CAP_NET_BIND_SERVICE
 * (an engine started by a reload), no new privileges, and a seccomp
 * allowlist whose violation kills the process. */
#ifndef P2S_PRIVSEP_SANDBOX_H
#define P2S_PRIVSEP_SANDBOX_H

#include <sys/types.h>

/* The user the network process runs as: "p2sgw" if it exists, else
 * "nobody". 0 and its ids, or -ENOENT. */
int ps_user(uid_t *uid, gid_t *gid);
int ps_sandbox_enter(void);

#endif
