/* The control socket (p2sctl): owned by the management side. */
#ifndef P2S_MGMT_CTL_H
#define P2S_MGMT_CTL_H

struct core;
struct ctl;

/* Listens on controlSocket (default stateDirectory/p2sgw.sock, 0600);
 * NULL when it cannot (logged). */
struct ctl *ctl_start(struct core *g);
void ctl_stop(struct ctl *c);

#endif
