/* Which files the key process opens for the network process: the
 * configuration, the files it names, the state directory's, and what any
 * user could read anyway; never the server key or the embedded PKI's CA
 * keys. Files are told apart by device and inode, as opened. */
#ifndef P2S_PRIVSEP_FILES_H
#define P2S_PRIVSEP_FILES_H

#include <stdbool.h>
#include <sys/types.h>

#include "conf/conf.h"

struct ps_file_id {
	dev_t dev;
	ino_t ino;
};

struct ps_files {
	const char *conf_path; /* NULL: the embedded default */
	struct ps_file_id deny[4], allow[8], state_dir;
	size_t n_deny, n_allow;
};

/* Learns the lists from a configuration just read. */
void ps_files_learn(struct ps_files *f, const struct gw_conf *c);
/* 0 and a read-only descriptor in *fd (*is_conf: the configuration file
 * itself), or -errno (-EACCES: not for the network process). */
int ps_files_open(const struct ps_files *f, const char *path, int *fd, bool *is_conf);

#endif
