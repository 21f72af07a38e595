/* The key process's state: the server keys it holds (the newest few, so
 * handshakes begun before a reload still finish), the RADIUS secrets and
 * the files it opens for the network process. Answers one request at a
 * time. */
#ifndef P2S_PRIVSEP_KEYS_H
#define P2S_PRIVSEP_KEYS_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <sys/types.h>

#include "privsep/acct.h"
#include "privsep/files.h"
#include "privsep/secrets.h"
#include "privsep/wire.h"

#define PS_KEYS_KEPT 4

struct ps_keys {
	const char *conf_path; /* NULL: the embedded default */
	const char *state_dir; /* --state-dir, which wins over the file */
	EVP_PKEY *key[PS_KEYS_KEPT];
	uint8_t id[PS_KEYS_KEPT][PS_KEY_ID_LEN];
	unsigned next;
	struct ps_files files; /* what the network process may read */
	char ctl_path[600];    /* the control socket, removed on the way out */
	struct ps_secrets secrets;
	struct ps_acct acct; /* the network process's accounted sessions */
};

/* Reads the configuration: makes the embedded PKI when it is the one used,
 * and learns which key files are never handed out. */
int ps_keys_prepare(struct ps_keys *k);
/* One request in, its reply (and maybe a descriptor to pass) out. */
void ps_keys_answer(struct ps_keys *k, const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
		    size_t *out_len, int *fd_out);
/* Reads one request from sock and answers it; -1 once the peer is gone. */
int ps_keys_serve(struct ps_keys *k, int sock);
void ps_keys_free(struct ps_keys *k);

#endif
