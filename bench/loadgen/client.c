/* One load-generator client: the OpenVPN client's side of the control
 * channel (hard reset, the server's cookie reset on UDP, TLS in
 * P_CONTROL_V1 with acks and retransmission), key-method 2, PUSH_REPLY,
 * then keepalive pings and optional ICMP echoes to a host behind the
 * gateway. Over UDP, or over TCP (--tcp: each packet framed with its
 * 16-bit length). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/random.h"
#include "loadgen.h"
#include "proto/openvpn/kmethod.h"

#define EKM_LABEL	   "EXPORTER-OpenVPN-datakeys"
#define PUSH_REQUEST_AFTER 2.0 /* servers that do not push on their own */

static const char km2_options[] =
	"V4,dev-type tun,link-mtu 1559,tun-mtu 1500,proto UDPv4,cipher AES-256-GCM,"
	"auth [null-digest],keysize 256,key-method 2,tls-client";
static const char km2_peer_info[] = "IV_VER=2.6.0\nIV_PLAT=linux\nIV_PROTO=142\nIV_NCP=2\n"
				    "IV_CIPHERS=AES-256-GCM:AES-128-GCM\nIV_MTU=1600\n";

/* One packet out: a datagram, or a frame on the stream. A stream that
 * will not take a whole frame is broken: the client starts over. */
static void pkt_send(struct lg_client *c, const uint8_t *p, size_t n)
{
	if (!c->lg->tcp) {
		(void)send(c->fd, p, n, MSG_DONTWAIT);
		return;
	}
	uint8_t f[2 + 2048];
	if (n > sizeof(f) - 2)
		return;
	f[0] = (uint8_t)(n >> 8);
	f[1] = (uint8_t)n;
	memcpy(f + 2, p, n);
	if (send(c->fd, f, n + 2, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(n + 2))
		c->broken = true;
}

static void client_fail(struct lg_client *c, const char *why)
{
	struct lg *lg = c->lg;
	lg->st.failed++;
	if (lg->st.failed <= 5)
		fprintf(stderr, "loadgen: client %d: %s\n", c->idx, why);
	lg_client_stop(c, false);
}

/* ---- control channel out ------------------------------------------------ */

static void send_ctl(struct lg_client *c, uint8_t op, uint32_t msg_id, const uint8_t *p, size_t n)
{
	struct ovpn_ctl k = {.op = op, .sid = c->sid, .msg_id = msg_id};
	k.payload = p;
	k.payload_len = n;
	k.replay_id = (uint64_t)(uint32_t)lg_now() << 32 | ++c->ta_pid;
	k.n_acks = (uint8_t)rel_acks_take(&c->rel, k.acks,
					  op == OVPN_ACK_V1 ? OVPN_MAX_ACKS : OVPN_MAX_PIGGY_ACKS);
	/* Until the server has a session, every packet must carry the ack of
	 * its reset (id 0): that echo of its cookie session id is the proof. */
	if (!c->confirmed && k.n_acks == 0 && c->remote_sid)
		k.acks[k.n_acks++] = 0;
	if (k.n_acks)
		k.ack_sid = c->remote_sid;
	int len = ovpn_ctl_write(c->lg->buf, sizeof(c->lg->buf), &k, &c->lg->ta);
	if (len > 0)
		pkt_send(c, c->lg->buf, (size_t)len);
}

static void ctl_flush(struct lg_client *c, double now)
{
	uint8_t chunk[OVPN_TLS_CHUNK];
	while (c->wbio && rel_send_has_room(&c->rel) && BIO_ctrl_pending(c->wbio) > 0) {
		int n = BIO_read(c->wbio, chunk, sizeof(chunk));
		if (n <= 0 || rel_send_queue(&c->rel, OVPN_CONTROL_V1, chunk, (size_t)n) < 0)
			break;
	}
	struct rel_slot *s;
	while ((s = rel_send_due(&c->rel, now))) {
		send_ctl(c, s->op, s->id, s->data, s->len);
		rel_sent(&c->rel, s, now);
	}
	while (c->rel.n_acks)
		send_ctl(c, OVPN_ACK_V1, 0, NULL, 0);
}

/* ---- data channel --------------------------------------------------------- */

static void data_send(struct lg_client *c, const uint8_t *p, size_t n)
{
	uint8_t out[2048];
	int len = ovpn_dc_encrypt(&c->dc, 0, (uint32_t)c->push.peer_id, p, n, out, sizeof(out));
	if (len > 0)
		pkt_send(c, out, (size_t)len);
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* An ICMP echo request from the client's tunnel address; the payload
 * carries the send time for the round trip. */
static void icmp_send(struct lg_client *c, double now)
{
	uint8_t p[20 + 8 + sizeof(double)] = {0x45};
	put16(p + 2, sizeof(p));
	p[8] = 64;
	p[9] = 1;
	put32(p + 12, c->push.ifconfig_ip);
	put32(p + 16, c->lg->icmp_target);
	put16(p + 10, ip_csum(p, 20));
	uint8_t *icmp = p + 20;
	icmp[0] = 8;
	put16(icmp + 4, (uint16_t)c->idx);
	put16(icmp + 6, ++c->icmp_seq);
	memcpy(icmp + 8, &now, sizeof(now));
	put16(icmp + 2, ip_csum(icmp, 8 + sizeof(double)));
	data_send(c, p, sizeof(p));
	c->lg->st.icmp_tx++;
}

static void icmp_reply(struct lg_client *c, const uint8_t *p, size_t n, double now)
{
	if (n < 20 + 8 + sizeof(double) || p[0] != 0x45 || p[9] != 1 || p[20] != 0)
		return;
	double sent;
	memcpy(&sent, p + 28, sizeof(sent));
	double us = (now - sent) * 1e6;
	unsigned b = us < 0 ? 0 : (unsigned)(us / 10);
	c->lg->st.rtt_hist[b > LG_RTT_BUCKETS ? LG_RTT_BUCKETS : b]++;
	c->lg->st.icmp_rx++;
}

static void data_in(struct lg_client *c, const uint8_t *pkt, size_t n, double now)
{
	if (c->st != LC_UP)
		return;
	int len = ovpn_dc_decrypt(&c->dc, pkt, n, c->lg->plain, sizeof(c->lg->plain));
	if (len < 0) {
		c->lg->st.bad_pkts++;
		return;
	}
	c->last_recv = now;
	if (ovpn_is_ping(c->lg->plain, (size_t)len))
		c->lg->st.pings_rx++;
	else
		icmp_reply(c, c->lg->plain, (size_t)len, now);
}

/* ---- key-method 2 and push ------------------------------------------------ */

static void km2_send(struct lg_client *c)
{
	struct ovpn_km2 k = {.options = (char *)km2_options, .peer_info = (char *)km2_peer_info};
	p2s_random(k.pre_master, sizeof(k.pre_master));
	p2s_random(k.random1, sizeof(k.random1));
	p2s_random(k.random2, sizeof(k.random2));
	uint8_t msg[1024];
	int n = ovpn_km2_write_client(msg, sizeof(msg), &k);
	if (n > 0)
		SSL_write(c->ssl, msg, n);
	c->st = LC_KM2;
}

static void up(struct lg_client *c, double now)
{
	uint8_t key2[OVPN_KEY2_LEN];
	const char *cipher = c->push.cipher[0] ? c->push.cipher : "AES-256-GCM";
	if (c->push.peer_id < 0 || !c->push.ifconfig_ip ||
	    SSL_export_keying_material(c->ssl, key2, sizeof(key2), EKM_LABEL, strlen(EKM_LABEL),
				       NULL, 0, 0) != 1 ||
	    ovpn_dc_init(&c->dc, cipher, key2, false) < 0) {
		OPENSSL_cleanse(key2, sizeof(key2));
		client_fail(c, "push reply without peer-id/ifconfig, or no data keys");
		return;
	}
	OPENSSL_cleanse(key2, sizeof(key2));
	c->st = LC_UP;
	c->t_up = now;
	c->lg->inflight--;
	c->lg->up++;
	c->lg->st.admitted++;
	c->next_ping = now + c->lg->ping_sec;
	c->next_icmp = c->lg->icmp_rate > 0 && c->idx < c->lg->icmp_clients
			       ? now + 1.0 / c->lg->icmp_rate * (c->idx % 100) / 100
			       : 0;
	SSL_free_buffers(c->ssl); /* the generator stays small too */
}

static void message_in(struct lg_client *c, const uint8_t *m, size_t n, double now)
{
	if (c->st == LC_KM2) {
		uint8_t r1[32], r2[32];
		if (ovpn_km2_parse_server(m, n, r1, r2) < 0) {
			client_fail(c, "bad key-method 2 message from the server");
			return;
		}
		c->st = LC_PUSH;
		c->push_req_at = now + PUSH_REQUEST_AFTER;
		return;
	}
	while (n && m[n - 1] == 0)
		n--;
	if (n >= 11 && memcmp(m, "AUTH_FAILED", 11) == 0) {
		c->lg->st.refused++;
		client_fail(c, "AUTH_FAILED");
	} else if (c->st == LC_PUSH && ovpn_push_reply_parse((const char *)m, n, &c->push) == 0) {
		if (!c->push.more)
			up(c, now);
	}
}

/* Runs TLS as far as the bytes received allow, reads messages once up. */
static void tls_drive(struct lg_client *c, double now)
{
	if (c->st == LC_TLS) {
		int r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			int e = SSL_get_error(c->ssl, r);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				client_fail(c, "TLS handshake failed");
			return;
		}
		km2_send(c);
	}
	uint8_t m[4096];
	int n;
	while (c->ssl && c->st >= LC_KM2 && (n = SSL_read(c->ssl, m, sizeof(m))) > 0)
		message_in(c, m, (size_t)n, now);
}

/* ---- control channel in --------------------------------------------------- */

static void start_tls(struct lg_client *c)
{
	c->ssl = SSL_new(c->lg->ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		c->rbio = c->wbio = NULL;
		client_fail(c, "out of memory");
		return;
	}
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS);
	SSL_set_connect_state(c->ssl);
	c->st = LC_TLS;
}

static void ctl_in(struct lg_client *c, const uint8_t *pkt, size_t n, double now)
{
	struct ovpn_ctl k;
	if (ovpn_ctl_parse(pkt, n, &c->lg->ta, &k) < 0 || k.key_id != 0) {
		c->lg->st.bad_pkts++;
		return;
	}
	if (k.op == OVPN_HARD_RESET_SERVER_V2 && !c->remote_sid)
		c->remote_sid = k.sid;
	if (k.sid != c->remote_sid)
		return;
	c->last_recv = now;
	for (unsigned i = 0; i < k.n_acks; i++) {
		rel_ack_in(&c->rel, k.acks[i]);
		c->confirmed |= k.acks[i] != 0;
	}
	if (k.has_msg_id)
		rel_recv(&c->rel, k.msg_id, k.op, k.payload, k.payload_len);
	const struct rel_slot *s;
	while (c->st != LC_IDLE && (s = rel_recv_pop(&c->rel))) {
		if (s->op == OVPN_HARD_RESET_SERVER_V2 && c->st == LC_RESET)
			start_tls(c);
		else if (s->op == OVPN_CONTROL_V1 && c->rbio)
			BIO_write(c->rbio, s->data, (int)s->len);
	}
	if (c->st >= LC_TLS && c->st != LC_CLOSED)
		tls_drive(c, now);
	if (c->st != LC_IDLE)
		ctl_flush(c, now);
}

static void pkt_in(struct lg_client *c, const uint8_t *p, size_t n, double now)
{
	if (n && ovpn_op_is_data(ovpn_op_of(p[0])))
		data_in(c, p, n, now);
	else if (n)
		ctl_in(c, p, n, now);
}

/* The stream's frames; false when it ended or broke. */
static bool tcp_input(struct lg_client *c, double now)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_fail(c, n == 0 ? "the server closed the TCP connection" : strerror(errno));
		return false;
	}
	if (n < 0)
		return false;
	c->in_len += (size_t)n;
	size_t off = 0;
	while (c->fd >= 0 && c->in_len - off >= 2) {
		size_t len = (size_t)c->in[off] << 8 | c->in[off + 1];
		if (len + 2 > sizeof(c->in)) {
			client_fail(c, "oversized frame from the server");
			return false;
		}
		if (c->in_len - off < len + 2)
			break;
		pkt_in(c, c->in + off + 2, len, now);
		off += len + 2;
	}
	if (c->fd < 0)
		return false;
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return true;
}

void lg_client_input(struct lg_client *c, double now)
{
	struct lg *lg = c->lg;
	for (int i = 0; i < 64 && c->fd >= 0; i++) {
		if (lg->tcp) {
			if (!tcp_input(c, now))
				return;
			continue;
		}
		ssize_t n = recv(c->fd, lg->buf, sizeof(lg->buf), MSG_DONTWAIT);
		if (n <= 0)
			return;
		pkt_in(c, lg->buf, (size_t)n, now);
	}
}

/* ---- lifecycle ------------------------------------------------------------ */

int lg_client_start(struct lg_client *c, double now)
{
	struct lg *lg = c->lg;
	/* TCP: a blocking connect (a lab's gateway answers at once), then
	 * every send and recv does not wait. */
	c->fd = socket(AF_INET, (lg->tcp ? SOCK_STREAM : SOCK_DGRAM | SOCK_NONBLOCK) | SOCK_CLOEXEC,
		       0);
	if (c->fd < 0)
		return -errno;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if ((lg->bind.sin_addr.s_addr &&
	     bind(c->fd, (struct sockaddr *)&lg->bind, sizeof(lg->bind)) < 0) ||
	    connect(c->fd, (struct sockaddr *)&lg->server, sizeof(lg->server)) < 0 ||
	    epoll_ctl(lg->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		int e = -errno;
		close(c->fd);
		c->fd = -1;
		return e;
	}
	c->in_len = 0;
	c->broken = false;
	rel_init(&c->rel, 2.0);
	p2s_random((uint8_t *)&c->sid, sizeof(c->sid));
	c->remote_sid = 0;
	c->confirmed = false;
	c->ta_pid = 0;
	memset(&c->push, 0, sizeof(c->push));
	c->push.peer_id = -1;
	c->st = LC_RESET;
	c->t_start = c->last_recv = now;
	lg->inflight++;
	lg->st.attempts++;
	rel_send_queue(&c->rel, OVPN_HARD_RESET_CLIENT_V2, NULL, 0);
	ctl_flush(c, now);
	return 0;
}

void lg_client_stop(struct lg_client *c, bool notify)
{
	struct lg *lg = c->lg;
	if (c->st == LC_UP && notify) {
		uint8_t m[17];
		memcpy(m, ovpn_occ_magic, 16);
		m[16] = OVPN_OCC_EXIT;
		data_send(c, m, sizeof(m));
		if (!lg->tcp)
			data_send(c, m, sizeof(m)); /* UDP: say it twice */
	}
	if (c->st == LC_UP)
		lg->up--;
	else if (c->st != LC_IDLE && c->st != LC_CLOSED)
		lg->inflight--;
	if (ovpn_dc_ready(&c->dc))
		ovpn_dc_free(&c->dc);
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->rbio = c->wbio = NULL;
	rel_free(&c->rel);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->st = notify ? LC_CLOSED : LC_IDLE;
}

void lg_client_tick(struct lg_client *c, double now)
{
	struct lg *lg = c->lg;
	if (c->st == LC_IDLE || c->st == LC_CLOSED)
		return;
	if (c->broken) {
		client_fail(c, "the TCP stream did not take a whole frame");
		return;
	}
	if (c->st != LC_UP) {
		if (now - c->t_start > lg->hs_timeout) {
			client_fail(c, "handshake timed out");
			return;
		}
		if (c->st == LC_PUSH && c->push_req_at && now >= c->push_req_at) {
			SSL_write(c->ssl, "PUSH_REQUEST", sizeof("PUSH_REQUEST"));
			c->push_req_at = now + PUSH_REQUEST_AFTER;
		}
		ctl_flush(c, now);
		return;
	}
	if (now - c->last_recv > (c->push.ping_restart ? c->push.ping_restart : 60)) {
		lg->st.lost++;
		client_fail(c, "no keepalive from the server");
		return;
	}
	if (now >= c->next_ping) {
		data_send(c, ovpn_ping_magic, sizeof(ovpn_ping_magic));
		lg->st.pings_tx++;
		c->next_ping = now + lg->ping_sec;
	}
	while (c->next_icmp && now >= c->next_icmp && lg->icmp_target) {
		icmp_send(c, now);
		c->next_icmp += 1.0 / lg->icmp_rate;
		if (c->next_icmp < now - 1.0)
			c->next_icmp = now; /* fell behind: no burst to catch up */
	}
	if (!rel_send_idle(&c->rel) || c->rel.n_acks)
		ctl_flush(c, now);
}
