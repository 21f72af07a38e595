/* The control socket p2sctl talks to: one request line, one JSON reply.
 * Commands: "show", "sessions", "reload", "disconnect <id>". */
#ifndef P2S_CTL_H
#define P2S_CTL_H

struct core;
struct ctl;

struct ctl *ctl_start(struct core *g);
void ctl_stop(struct ctl *c);
/* Runs one command; returns a JSON document the caller frees. */
char *ctl_execute(struct core *g, const char *line);

#endif
