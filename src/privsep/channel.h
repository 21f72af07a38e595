/* The network process's end of the socketpair to the key process: one
 * synchronous request at a time (signing takes a millisecond; the loop
 * waits for it), bounded by a timeout so a wedged key process is an error,
 * not a hang. Process-wide: there is one key process. */
#ifndef P2S_PRIVSEP_CHANNEL_H
#define P2S_PRIVSEP_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "auth/radius_wire.h"
#include "privsep/wire.h"

/* Takes fd, a SOCK_SEQPACKET end. */
void ps_channel_init(int fd);
bool ps_channel_active(void);

/* The key process loads the server key its configuration names; 0 and its
 * id, or a negative error. */
int ps_key_load(uint8_t id[PS_KEY_ID_LEN]);
/* One private-key operation; the result (at most cap bytes) in out. */
int ps_sign(const uint8_t id[PS_KEY_ID_LEN], enum ps_alg alg, const uint8_t *in, size_t n,
	    uint8_t *out, size_t cap, size_t *out_len);
/* RADIUS's secret operations by handle (radius_wire's rad_secret_ops). */
extern const struct rad_secret_ops ps_rad_ops;
/* A systemd notification, sent by the key process (the main PID). */
void ps_notify(const char *text);
/* A file opened read-only by the key process, which refuses key files. */
FILE *ps_fopen_read(const char *path);

#endif
