#define LOG_MODULE "keys"

#include "privsep/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/statedir.h"
#include "lib/err.h"
#include "lib/log.h"
#include "privsep/proxykey.h"

/* The configuration as the network process will read it, quietly: that
 * process reports its errors and warnings. */
static struct gw_conf *conf_read(const struct ps_keys *k)
{
	struct conf_errors errs = {0};
	struct gw_conf *c = k->conf_path ? conf_load_file(k->conf_path, &errs)
					 : conf_load_string(conf_embedded_default, &errs);
	conf_errors_free(&errs);
	if (c && k->state_dir) {
		free(c->state_dir);
		c->state_dir = strdup(k->state_dir);
	}
	return c;
}

static int key_path(const struct gw_conf *c, char *out, size_t cap)
{
	if (c->cert_file) {
		snprintf(out, cap, "%s", c->key_file ? c->key_file : "");
		return c->key_file ? 0 : P2S_E_CONFIG;
	}
	struct statedir_paths sp;
	int r = statedir_ensure(c, &sp);
	snprintf(out, cap, "%s", sp.server_key);
	return r;
}

int ps_keys_prepare(struct ps_keys *k)
{
	k->files.conf_path = k->conf_path;
	ps_acct_init(&k->acct);
	struct gw_conf *c = conf_read(k);
	if (!c)
		return 0; /* the network process will say what is wrong */
	char path[600];
	int r = key_path(c, path, sizeof(path));
	ps_files_learn(&k->files, c);
	ps_acct_learn(&k->acct, c);
	if (c->control_socket)
		snprintf(k->ctl_path, sizeof(k->ctl_path), "%s", c->control_socket);
	else
		snprintf(k->ctl_path, sizeof(k->ctl_path), "%s/p2sgw.sock", c->state_dir);
	conf_free(c);
	return r == P2S_E_CONFIG ? 0 : r;
}

static void key_keep(struct ps_keys *k, EVP_PKEY *key, const uint8_t id[PS_KEY_ID_LEN])
{
	for (unsigned i = 0; i < PS_KEYS_KEPT; i++)
		if (k->key[i] && memcmp(k->id[i], id, PS_KEY_ID_LEN) == 0) {
			EVP_PKEY_free(key); /* the same key again */
			return;
		}
	unsigned i = k->next++ % PS_KEYS_KEPT;
	EVP_PKEY_free(k->key[i]);
	k->key[i] = key;
	memcpy(k->id[i], id, PS_KEY_ID_LEN);
}

static int key_load(struct ps_keys *k, uint8_t id[PS_KEY_ID_LEN])
{
	struct gw_conf *c = conf_read(k);
	char path[600];
	int r = c ? key_path(c, path, sizeof(path)) : P2S_E_CONFIG;
	if (c) {
		ps_files_learn(&k->files, c);
		ps_acct_learn(&k->acct, c);
	}
	conf_free(c);
	FILE *f = r == 0 ? fopen(path, "r") : NULL;
	EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!key || ps_key_id(key, id) < 0) {
		log_err("cannot load the server key%s%s", r == 0 ? " " : "", r == 0 ? path : "");
		EVP_PKEY_free(key);
		return r < 0 ? r : P2S_E_CONFIG;
	}
	key_keep(k, key, id);
	log_info("server key %s held for the network process", path);
	return 0;
}

static EVP_PKEY *key_find(const struct ps_keys *k, const uint8_t id[PS_KEY_ID_LEN])
{
	for (unsigned i = 0; i < PS_KEYS_KEPT; i++)
		if (k->key[i] && memcmp(k->id[i], id, PS_KEY_ID_LEN) == 0)
			return k->key[i];
	return NULL;
}

/* The padding the network process's OpenSSL has not yet applied. */
static int sign_pad(EVP_PKEY_CTX *ctx, enum ps_alg alg)
{
	if (alg == PS_ECDSA)
		return EVP_PKEY_get_base_id(EVP_PKEY_CTX_get0_pkey(ctx)) == EVP_PKEY_EC ? 1 : 0;
	if (EVP_PKEY_get_base_id(EVP_PKEY_CTX_get0_pkey(ctx)) != EVP_PKEY_RSA)
		return 0;
	return EVP_PKEY_CTX_set_rsa_padding(ctx, alg == PS_RSA_PKCS1 ? RSA_PKCS1_PADDING
								     : RSA_NO_PADDING) == 1;
}

static int key_sign(const struct ps_keys *k, const struct ps_req *q, uint8_t *sig, size_t *sig_len)
{
	EVP_PKEY *key = key_find(k, q->key_id);
	if (!key)
		return -ENOENT;
	if ((size_t)EVP_PKEY_get_size(key) > *sig_len)
		return P2S_E_PROTO;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	int ok = ctx && EVP_PKEY_sign_init(ctx) == 1 && sign_pad(ctx, (enum ps_alg)q->alg) &&
		 EVP_PKEY_sign(ctx, sig, sig_len, q->data, q->len) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : P2S_E_CRYPTO;
}

/* A file for the network process; the configuration with its secrets
 * replaced by handles, after learning what it now names. */
static int file_open(struct ps_keys *k, const struct ps_req *q, int *fd_out)
{
	char path[PS_PATH_MAX + 1];
	memcpy(path, q->data, q->len);
	path[q->len] = 0;
	bool is_conf = false;
	int fd = -1, r = ps_files_open(&k->files, path, &fd, &is_conf);
	if (r < 0 || !is_conf) {
		*fd_out = fd;
		return r;
	}
	struct gw_conf *c = conf_read(k);
	if (c) {
		ps_files_learn(&k->files, c);
		ps_acct_learn(&k->acct, c);
	}
	conf_free(c);
	int red = ps_secrets_redact(&k->secrets, fd);
	*fd_out = red >= 0 ? red : fd;
	return 0;
}

/* Only what the gateway says about itself: never MAINPID=, FDSTORE= and
 * the like, which would let the network process steer systemd. */
static int notify(const struct ps_req *q)
{
	static const char *const ok[] = {"READY=1",    "RELOADING=1", "STOPPING=1",
					 "WATCHDOG=1", "STATUS=",     "MONOTONIC_USEC="};
	char text[PS_NOTIFY_MAX + 1];
	memcpy(text, q->data, q->len);
	text[q->len] = 0;
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		bool known = false;
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			known |= strncmp(line, ok[i], strlen(ok[i])) == 0;
		if (!known)
			return P2S_E_PROTO;
	}
	memcpy(text, q->data, q->len);
	text[q->len] = 0;
	return sd_notify(0, text) < 0 ? P2S_E_PROTO : 0;
}

/* One decoded request: its status, and its reply's bytes in data. */
static int dispatch(struct ps_keys *k, const struct ps_req *q, uint8_t *data, size_t *n,
		    int *fd_out)
{
	int r;
	switch (q->type) {
	case PS_KEY_LOAD:
		r = key_load(k, data);
		*n = r == 0 ? PS_KEY_ID_LEN : 0;
		return r;
	case PS_SIGN:
		r = key_sign(k, q, data, n);
		*n = r == 0 ? *n : 0;
		return r;
	case PS_OPEN: *n = 0; return file_open(k, q, fd_out);
	case PS_NOTIFY: *n = 0; return notify(q);
	case PS_ACCT_START: *n = 0; return ps_acct_remember(&k->acct, &k->secrets, q);
	case PS_ACCT_STOP: *n = 0; return ps_acct_forget(&k->acct, q);
	case PS_ACCT_UPDATE: *n = 0; return ps_acct_update(&k->acct, q);
	default: /* RAD_MD5, RAD_HMAC: the decoder admits nothing else */
		r = ps_secrets_answer(&k->secrets, q, data);
		*n = r == 0 ? 16 : 0;
		return r;
	}
}

void ps_keys_answer(struct ps_keys *k, const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
		    size_t *out_len, int *fd_out)
{
	struct ps_req q;
	uint8_t data[PS_DATA_MAX];
	size_t n = sizeof(data);
	struct ps_reply rep = {.type = len ? msg[0] : 0, .data = data};
	rep.status = ps_req_decode(&q, msg, len);
	if (rep.status < 0)
		log_warn("malformed request from the network process: %s",
			 p2s_strerror(rep.status));
	else
		rep.status = dispatch(k, &q, data, &n, fd_out);
	rep.len = rep.status == 0 ? n : 0;
	if (rep.type < PS_KEY_LOAD || rep.type > PS_TYPE_LAST)
		rep.type = PS_KEY_LOAD; /* an answer still goes back: the caller waits */
	if (ps_reply_encode(&rep, out, cap, out_len) < 0)
		*out_len = 0;
	OPENSSL_cleanse(data, sizeof(data));
}

static void reply_send(int sock, const uint8_t *out, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = {.iov_base = (void *)out, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.b;
		msg.msg_controllen = sizeof(cm.b);
		struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fd, sizeof(fd));
	}
	if (len && sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		log_warn("cannot answer the network process: %s", strerror(errno));
}

int ps_keys_serve(struct ps_keys *k, int sock)
{
	uint8_t in[PS_MSG_MAX], out[PS_MSG_MAX];
	ssize_t n = recv(sock, in, sizeof(in), MSG_TRUNC);
	if (n <= 0)
		return -1;
	size_t len = 0;
	int fd = -1;
	/* An oversized datagram arrives cut: answered as malformed. */
	ps_keys_answer(k, in, (size_t)n > sizeof(in) ? 0 : (size_t)n, out, sizeof(out), &len, &fd);
	reply_send(sock, out, len, fd);
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(in, sizeof(in));
	OPENSSL_cleanse(out, sizeof(out));
	return 0;
}

void ps_keys_free(struct ps_keys *k)
{
	for (unsigned i = 0; i < PS_KEYS_KEPT; i++)
		EVP_PKEY_free(k->key[i]);
	ps_secrets_free(&k->secrets);
	ps_acct_free(&k->acct);
	memset(k, 0, sizeof(*k));
}
