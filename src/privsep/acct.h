/* The accounted sessions of the network process, kept by the key process:
 * remembered at their Start, forgotten once their Stop is answered (or
 * given up). When the network process dies with sessions still remembered,
 * the key process sends their Accounting-Request Stop itself
 * (Acct-Terminate-Cause NAS-Error; a session whose own Stop was on its way
 * gets that Stop again: its cause, final counters and time), signed
 * with the secret it holds, retransmitted every 3 s until answered or the
 * configured RADIUS timeout, so the server's accounting does not show them
 * online forever. Like the network process's RADIUS client, a Stop its
 * Start's server leaves unanswered for a whole timeout goes to the next
 * configured server (with that server's secret), and a server silent for
 * a whole timeout is tried last for 30 s. At most the SKU's session cap is
 * remembered. */
#ifndef P2S_PRIVSEP_ACCT_H
#define P2S_PRIVSEP_ACCT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "privsep/secrets.h"
#include "privsep/wire.h"

#define PS_ACCT_SERVERS	  8
#define PS_ACCT_IN_FLIGHT 256 /* RADIUS identifiers on the one socket */

struct ps_acct_entry; /* one remembered session (acct.c) */
struct ps_acct_stop;  /* one Stop on its way (acct.c) */

struct ps_acct {
	struct ps_acct_entry **e; /* remembered, unordered */
	size_t n, cap, max;	  /* max: the SKU's cap, learned from the configuration */
	struct sockaddr_in servers[PS_ACCT_SERVERS]; /* configured accounting addresses */
	char *secrets[PS_ACCT_SERVERS]; /* theirs: a Stop fails over as the RADIUS client does */
	double dead_until[PS_ACCT_SERVERS]; /* silent for a whole timeout: tried last */
	double last_answer[PS_ACCT_SERVERS];
	size_t n_servers;
	double timeout; /* radiusTimeoutSeconds */
	/* Stops of sessions the network process took with it. */
	struct ps_acct_entry **orphans;
	size_t n_orphans, next_orphan, orphans_cap;
	struct ps_acct_stop *flight[PS_ACCT_IN_FLIGHT]; /* by identifier */
	size_t n_flight;
	size_t answered, unanswered; /* of the Stops since the last loss */
	int fd;			     /* opened for the first Stop */
	bool fd_open;
};

void ps_acct_init(struct ps_acct *a);
/* The servers a session may name, the timeout and the cap, from c. */
void ps_acct_learn(struct ps_acct *a, const struct gw_conf *c);
/* ACCT_START: 0, -EINVAL for a server or handle the configuration does
 * not know, P2S_E_FULL at the cap. */
int ps_acct_remember(struct ps_acct *a, const struct ps_secrets *s, const struct ps_req *q);
/* ACCT_STOP: 0, or -ENOENT when the session is not remembered. */
int ps_acct_forget(struct ps_acct *a, const struct ps_req *q);
/* ACCT_UPDATE: the session's counters as of its last Interim-Update, for
 * its Stop, or its own Stop's (with a cause); 0, or -ENOENT when it is not
 * remembered. */
int ps_acct_update(struct ps_acct *a, const struct ps_req *q);
/* The network process is gone: a Stop for every remembered session. */
void ps_acct_lost(struct ps_acct *a, const struct ps_secrets *s);
/* While Stops are pending: the socket to poll and when to call tick
 * (monotonic seconds); -1 and 0 otherwise. */
int ps_acct_fd(const struct ps_acct *a);
double ps_acct_due(const struct ps_acct *a);
/* Reads the answers on the socket, then retransmits and expires. */
void ps_acct_run(struct ps_acct *a, const struct ps_secrets *s, bool readable);
/* Sends what is pending until it is answered or at most seconds pass. */
void ps_acct_drain(struct ps_acct *a, const struct ps_secrets *s, double seconds);
void ps_acct_free(struct ps_acct *a);

#endif
