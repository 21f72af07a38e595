/* Privilege separation, the parent's side: p2sgw started as root becomes
 * the small key process ("p2sgw: keys") that holds the server key, answers
 * the network process over a socketpair, and runs the network process
 * ("p2sgw: net", this binary executed afresh so none of the parent's
 * memory comes along). A network process killed by a signal is started
 * again (backoff, at most PS_RESTARTS a minute) while the keys stay;
 * SIGTERM/SIGINT/SIGHUP are passed on; its exit status is the daemon's. */
#ifndef P2S_PRIVSEP_MONITOR_H
#define P2S_PRIVSEP_MONITOR_H

#include <openssl/x509.h>

#define PS_RESTARTS 5

struct ps_monitor_args {
	int argc;
	char **argv; /* the daemon's own, passed on to the network process */
	const char *conf_path;
	const char *state_dir;
};

int ps_monitor_run(const struct ps_monitor_args *a);

/* The network process's side, before core_init: the channel on fd, file
 * reads through the key process, its process name. */
void ps_net_begin(int fd);
/* core_options.server_key for the network process. */
EVP_PKEY *ps_net_server_key(X509 *cert);

#endif
