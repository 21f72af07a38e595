#define LOG_MODULE "keys"

#include "privsep/files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"

static void id_add(struct ps_file_id *set, size_t cap, size_t *n, const char *path)
{
	struct stat st;
	if (path && *n < cap && stat(path, &st) == 0)
		set[(*n)++] = (struct ps_file_id){st.st_dev, st.st_ino};
}

static bool id_in(const struct ps_file_id *set, size_t n, const struct stat *st)
{
	for (size_t i = 0; i < n; i++)
		if (set[i].dev == st->st_dev && set[i].ino == st->st_ino)
			return true;
	return false;
}

/* The management API's HTTPS (libmicrohttpd, GnuTLS) needs the server key
 * in memory: with management.tls on, the network process may read it. */
void ps_files_learn(struct ps_files *f, const struct gw_conf *c)
{
	char p[600];
	f->n_deny = f->n_allow = 0;
	const size_t nd = sizeof(f->deny) / sizeof(f->deny[0]);
	const size_t na = sizeof(f->allow) / sizeof(f->allow[0]);
	if (!c->mgmt_tls)
		id_add(f->deny, nd, &f->n_deny, c->key_file);
	snprintf(p, sizeof(p), "%s/server.key", c->state_dir);
	if (c->key_file || !c->mgmt_tls)
		id_add(f->deny, nd, &f->n_deny, p);
	snprintf(p, sizeof(p), "%s/gateway-root.key", c->state_dir);
	id_add(f->deny, nd, &f->n_deny, p);
	snprintf(p, sizeof(p), "%s/client-root.key", c->state_dir);
	id_add(f->deny, nd, &f->n_deny, p);
	const char *named[] = {f->conf_path,   c->cert_file,	 c->tls_auth_file,
			       c->aad_ca_file, c->aad_jwks_file, c->mgmt_tls ? c->key_file : NULL};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		id_add(f->allow, na, &f->n_allow, named[i]);
	struct stat st;
	f->state_dir = (struct ps_file_id){0};
	if (stat(c->state_dir, &st) == 0)
		f->state_dir = (struct ps_file_id){st.st_dev, st.st_ino};
}

/* Whether any user could open the file at real (an absolute path without
 * links): readable by others, every directory above it searchable. */
static bool public_path(char *real, const struct stat *st)
{
	if (!(st->st_mode & S_IROTH))
		return false;
	for (char *slash = strrchr(real, '/'); slash; slash = strrchr(real, '/')) {
		struct stat d;
		*slash = 0;
		if (stat(real[0] ? real : "/", &d) < 0 || !(d.st_mode & S_IXOTH))
			return false;
	}
	return true;
}

static bool in_state_dir(const struct ps_files *f, char *real)
{
	char *slash = strrchr(real, '/');
	struct stat d;
	if (!slash || slash == real)
		return false;
	*slash = 0;
	return stat(real, &d) == 0 && f->state_dir.ino && d.st_dev == f->state_dir.dev &&
	       d.st_ino == f->state_dir.ino;
}

/* Judged on the file as opened (its path read back from /proc), so a link
 * swapped in between cannot steer the check. */
static int judge(const struct ps_files *f, int fd, const struct stat *st)
{
	if (id_in(f->deny, f->n_deny, st))
		return -EACCES;
	if (id_in(f->allow, f->n_allow, st))
		return 0;
	char link[64], real[PATH_MAX], copy[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, real, sizeof(real) - 1);
	if (n <= 0)
		return -EACCES;
	real[n] = 0;
	memcpy(copy, real, (size_t)n + 1);
	return in_state_dir(f, copy) || public_path(real, st) ? 0 : -EACCES;
}

int ps_files_open(const struct ps_files *f, const char *path, int *fd, bool *is_conf)
{
	int k = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (k < 0)
		return -errno;
	struct stat st, conf;
	int r = fstat(k, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	/* The configuration by its path: an editor may have replaced the file. */
	*is_conf = r == 0 && f->conf_path && stat(f->conf_path, &conf) == 0 &&
		   conf.st_dev == st.st_dev && conf.st_ino == st.st_ino;
	if (r == 0 && !*is_conf)
		r = judge(f, k, &st);
	if (r == -EACCES)
		log_warn("refused to open %s for the network process: %s", path,
			 id_in(f->deny, f->n_deny, &st) ? "a private key"
							: "not a file the configuration names");
	if (r < 0) {
		close(k);
		return r;
	}
	fcntl(k, F_SETFL, 0);
	*fd = k;
	return 0;
}
