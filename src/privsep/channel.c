#define LOG_MODULE "privsep"

#include "privsep/channel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/radius.h"
#include "auth/radius_wire.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/log.h"
#include "privsep/monitor.h"
#include "privsep/proxykey.h"

#define PS_TIMEOUT_MS 10000

static int ch_fd = -1;
/* The JWKS and HTTP threads never sign, but a file read may come from any. */
static pthread_mutex_t ch_lock = PTHREAD_MUTEX_INITIALIZER;

void ps_channel_init(int fd)
{
	ch_fd = fd;
}

bool ps_channel_active(void)
{
	return ch_fd >= 0;
}

static int recv_reply(uint8_t *buf, size_t cap, size_t *len, int *fd_out)
{
	struct pollfd p = {.fd = ch_fd, .events = POLLIN};
	int k = poll(&p, 1, PS_TIMEOUT_MS);
	if (k <= 0)
		return k == 0 ? -ETIMEDOUT : -errno;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cm.b,
			   .msg_controllen = sizeof(cm.b)};
	ssize_t n = recvmsg(ch_fd, &m, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n == 0 ? -EPIPE : -errno;
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
	    h->cmsg_len == CMSG_LEN(sizeof(int))) {
		int fd;
		memcpy(&fd, CMSG_DATA(h), sizeof(fd));
		if (fd_out && *fd_out < 0)
			*fd_out = fd;
		else
			close(fd);
	}
	*len = (size_t)n;
	return (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ? P2S_E_PROTO : 0;
}

/* Sends q, waits for its reply; rep's data points into rbuf. */
static int call(const struct ps_req *q, struct ps_reply *rep, uint8_t *rbuf, size_t rcap,
		int *fd_out)
{
	uint8_t msg[PS_MSG_MAX];
	size_t n = 0, rn = 0;
	int r = ps_req_encode(q, msg, sizeof(msg), &n);
	if (r < 0 || ch_fd < 0)
		return r < 0 ? r : -ENOTCONN;
	pthread_mutex_lock(&ch_lock);
	if (send(ch_fd, msg, n, MSG_NOSIGNAL) != (ssize_t)n)
		r = -errno;
	if (r == 0)
		r = recv_reply(rbuf, rcap, &rn, fd_out);
	pthread_mutex_unlock(&ch_lock);
	if (r == 0)
		r = ps_reply_decode(rep, rbuf, rn);
	if (r == 0 && rep->type != q->type)
		r = P2S_E_PROTO;
	if (r < 0 && r != -ENOENT)
		log_err("key process: %s", p2s_strerror(r));
	return r < 0 ? r : rep->status;
}

int ps_key_load(uint8_t id[PS_KEY_ID_LEN])
{
	struct ps_req q = {.type = PS_KEY_LOAD};
	struct ps_reply rep;
	uint8_t buf[PS_MSG_MAX];
	int r = call(&q, &rep, buf, sizeof(buf), NULL);
	if (r == 0 && rep.len != PS_KEY_ID_LEN)
		r = P2S_E_PROTO;
	if (r == 0)
		memcpy(id, rep.data, PS_KEY_ID_LEN);
	return r;
}

int ps_sign(const uint8_t id[PS_KEY_ID_LEN], enum ps_alg alg, const uint8_t *in, size_t n,
	    uint8_t *out, size_t cap, size_t *out_len)
{
	struct ps_req q = {.type = PS_SIGN, .alg = (uint8_t)alg, .data = in, .len = n};
	memcpy(q.key_id, id, PS_KEY_ID_LEN);
	struct ps_reply rep;
	uint8_t buf[PS_MSG_MAX];
	int r = call(&q, &rep, buf, sizeof(buf), NULL);
	if (r == 0 && (rep.len == 0 || rep.len > cap))
		r = P2S_E_PROTO;
	if (r == 0) {
		memcpy(out, rep.data, rep.len);
		*out_len = rep.len;
	}
	return r;
}

static int rad_call(struct ps_req *q, const char *handle, uint8_t out[16])
{
	q->handle = (const uint8_t *)handle;
	q->hlen = strlen(handle);
	struct ps_reply rep;
	uint8_t buf[PS_MSG_MAX];
	int r = call(q, &rep, buf, sizeof(buf), NULL);
	if (r == 0 && rep.len != 16)
		r = P2S_E_PROTO;
	if (r == 0)
		memcpy(out, rep.data, 16);
	return r;
}

static int rad_md5(const char *handle, bool secret_first, const uint8_t *x, size_t n,
		   uint8_t out[16])
{
	struct ps_req q = {.type = PS_RAD_MD5, .alg = secret_first, .data = x, .len = n};
	return rad_call(&q, handle, out);
}

static int rad_hmac(const char *handle, const uint8_t *x, size_t n, uint8_t out[16])
{
	struct ps_req q = {.type = PS_RAD_HMAC, .data = x, .len = n};
	return rad_call(&q, handle, out);
}

const struct rad_secret_ops ps_rad_ops = {.md5 = rad_md5, .hmac_md5 = rad_hmac};

static struct ps_acct_bytes text_of(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	return (struct ps_acct_bytes){(const uint8_t *)s, n < max ? n : max};
}

/* The key process remembers the session; a refusal only costs the Stop a
 * crash would send, so it is logged and the session goes on. */
static void acct_started(const struct radius_acct *a, const char *secret,
			 const struct sockaddr_in *acct_addr, uint32_t nas_ip, const char *nas_id)
{
	struct ps_acct_rec rec = {.server_ip = ntohl(acct_addr->sin_addr.s_addr),
				  .server_port = ntohs(acct_addr->sin_port),
				  .nas_ip = nas_ip,
				  .framed_ip = a->framed_ip,
				  .id = text_of(a->session_id, PS_ACCT_ID_MAX),
				  .user = text_of(a->user, PS_ACCT_USER_MAX),
				  .calling = text_of(a->calling_station, PS_ACCT_CALLING_MAX),
				  .nas_id = text_of(nas_id, PS_ACCT_NAS_MAX),
				  .class_ = {a->class_, a->class_len}};
	uint8_t data[PS_MSG_MAX];
	struct ps_req q = {.type = PS_ACCT_START,
			   .handle = (const uint8_t *)secret,
			   .hlen = strlen(secret),
			   .data = data};
	int r = ps_acct_rec_encode(&rec, data, sizeof(data), &q.len);
	struct ps_reply rep;
	uint8_t buf[PS_MSG_MAX];
	if (r == 0)
		r = call(&q, &rep, buf, sizeof(buf), NULL);
	if (r < 0)
		slog_warn(a->session_id,
			  "the key process keeps no record of this session (%s): "
			  "if this process dies, its accounting Stop is not sent",
			  p2s_strerror(r));
}

static void acct_stopped(const char *session_id)
{
	struct ps_req q = {.type = PS_ACCT_STOP,
			   .data = (const uint8_t *)session_id,
			   .len = strlen(session_id)};
	struct ps_reply rep;
	uint8_t buf[PS_MSG_MAX];
	call(&q, &rep, buf, sizeof(buf), NULL);
}

/* An Interim-Update's counters, or a Stop's on its way (with its cause).
 * Not remembered (the key process refused its Start): nothing to say. */
static void acct_updated(const struct radius_acct *a)
{
	bool stop = a->status_type == 2;
	struct ps_acct_counts c = {.id = text_of(a->session_id, PS_ACCT_ID_MAX),
				   .in_octets = a->in_octets,
				   .out_octets = a->out_octets,
				   .in_packets = a->in_packets,
				   .out_packets = a->out_packets,
				   .session_time = stop ? a->session_time : 0,
				   .cause = stop ? a->terminate_cause : 0};
	uint8_t data[PS_MSG_MAX];
	struct ps_req q = {.type = PS_ACCT_UPDATE, .data = data};
	struct ps_reply rep;
	uint8_t buf[PS_MSG_MAX];
	if (ps_acct_counts_encode(&c, data, sizeof(data), &q.len) == 0)
		call(&q, &rep, buf, sizeof(buf), NULL);
}

static const struct radius_acct_hook ps_acct_hook = {
	.started = acct_started, .stopped = acct_stopped, .updated = acct_updated};

void ps_notify(const char *text)
{
	struct ps_req q = {.type = PS_NOTIFY, .data = (const uint8_t *)text, .len = strlen(text)};
	struct ps_reply rep;
	uint8_t buf[PS_MSG_MAX];
	call(&q, &rep, buf, sizeof(buf), NULL);
}

FILE *ps_fopen_read(const char *path)
{
	struct ps_req q = {.type = PS_OPEN, .data = (const uint8_t *)path, .len = strlen(path)};
	struct ps_reply rep;
	uint8_t buf[PS_MSG_MAX];
	int fd = -1;
	int r = call(&q, &rep, buf, sizeof(buf), &fd);
	FILE *f = r == 0 && fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f && fd >= 0)
		close(fd);
	if (!f)
		errno = r < 0 && r > P2S_E_BASE ? -r : EACCES;
	return f;
}

void ps_net_begin(int fd)
{
	prctl(PR_SET_NAME, "p2sgw: net", 0, 0, 0);
	ps_channel_init(fd);
	file_open_hook = ps_fopen_read;	  /* every configured file through the key process */
	rad_secret_ops = &ps_rad_ops;	  /* RADIUS secrets are handles here */
	radius_acct_hook = &ps_acct_hook; /* a crash's Stops: the key process's */
}

EVP_PKEY *ps_net_server_key(X509 *cert)
{
	uint8_t held[PS_KEY_ID_LEN], want[PS_KEY_ID_LEN];
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	if (!pub || ps_key_id(pub, want) < 0 || ps_key_load(held) < 0)
		return NULL;
	if (memcmp(held, want, PS_KEY_ID_LEN) != 0) {
		log_err("the server key does not match the server certificate");
		return NULL;
	}
	return ps_proxy_key(pub, held);
}
