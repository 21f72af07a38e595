/* EAP-TLS (RFC 5216) terminated by the gateway: the seed's "Certificate"
 * authentication for SSTP. A TLS 1.2 server over memory BIOs, its records
 * carried in EAP-TLS fragments; the client certificate is then decided by
 * the authentication service (CRED_CERT_CHAIN: the same chain, EKU,
 * validity and revocation rules as every tunnel), and the MSK comes from
 * the TLS exporter with the label "client EAP encryption". The TLS context
 * is the OpenVPN profile's (the gateway's certificate and key, client
 * certificates verified against the uploaded roots), held to TLS 1.2. */
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cursor.h"
#include "lib/log.h"
#include "proto/ppp/frame.h"
#include "proto/sstp/conn.h"

#define LOG_MODULE "sstp"

#define EAPTLS_L      0x80 /* length included */
#define EAPTLS_M      0x40 /* more fragments */
#define EAPTLS_S      0x20 /* start */
#define EAPTLS_FRAG   1000 /* TLS bytes per EAP request: fits a 1500 MRU */
#define EAPTLS_MAXMSG 65536
#define MSK_LEN	      64

struct sstp_eaptls {
	SSL *ssl;
	BIO *in, *out;
	uint8_t *rx;
	size_t rx_len;
	uint8_t *tx;
	size_t tx_len, tx_off;
	bool done; /* TLS finished and our last flight acknowledged */
};

void sstp_eaptls_free(struct sstp_eaptls *t)
{
	if (!t)
		return;
	SSL_free(t->ssl); /* frees both BIOs */
	free(t->rx);
	free(t->tx);
	free(t);
}

static void refuse(struct sstp_conn *c, const char *why)
{
	slog_info(sstp_conn_sid(c), "EAP-TLS refused: %s", why);
	ppp_auth_refuse(&c->ppp, why, NULL, 0);
}

static struct sstp_eaptls *eaptls_new(struct sstp_conn *c)
{
	SSL_CTX *ctx = core_tls_ctx(c->eng->core, TLS_PROFILE_OPENVPN);
	struct sstp_eaptls *t = ctx ? calloc(1, sizeof(*t)) : NULL;
	if (!t)
		return NULL;
	t->ssl = SSL_new(ctx);
	t->in = BIO_new(BIO_s_mem());
	t->out = BIO_new(BIO_s_mem());
	if (!t->ssl || !t->in || !t->out) {
		BIO_free(t->in);
		BIO_free(t->out);
		sstp_eaptls_free(t);
		return NULL;
	}
	SSL_set_bio(t->ssl, t->in, t->out);
	SSL_set_accept_state(t->ssl);
	/* RFC 5216 is TLS 1.2; a certificate is what this method is for */
	SSL_set_max_proto_version(t->ssl, TLS1_2_VERSION);
	SSL_set_verify(t->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		       SSL_CTX_get_verify_callback(ctx));
	return t;
}

/* One EAP-Request/EAP-TLS with flags and data, under the next identifier. */
static void send_request(struct sstp_conn *c, uint8_t flags, uint32_t total, const uint8_t *data,
			 size_t len)
{
	uint8_t buf[EAPTLS_FRAG + 16], body[EAPTLS_FRAG + 8];
	struct wbuf w;
	wbuf_init(&w, body, sizeof(body));
	wbuf_u8(&w, flags);
	if (flags & EAPTLS_L)
		wbuf_u32(&w, total);
	wbuf_bytes(&w, data, len);
	int n = eap_build(buf, sizeof(buf), EAP_REQUEST, (uint8_t)(c->ppp.auth_id + 1),
			  EAP_TYPE_TLS, body, w.len);
	if (n > 0 && wbuf_ok(&w))
		ppp_eap_request(&c->ppp, buf, (size_t)n);
}

static void send_next_fragment(struct sstp_conn *c, struct sstp_eaptls *t)
{
	size_t left = t->tx_len - t->tx_off;
	size_t n = left > EAPTLS_FRAG ? EAPTLS_FRAG : left;
	uint8_t flags = 0;
	if (t->tx_off == 0 && left > EAPTLS_FRAG)
		flags |= EAPTLS_L;
	if (left > EAPTLS_FRAG)
		flags |= EAPTLS_M;
	send_request(c, flags, (uint32_t)t->tx_len, t->tx + t->tx_off, n);
	t->tx_off += n;
}

static void cert_verdict(struct session *s, const struct auth_result *r)
{
	struct sstp_conn *c = s->proto;
	uint8_t msk[MSK_LEN];
	static const char label[] = "client EAP encryption";
	if (!c || c->dead)
		return;
	c->auth_pending = false;
	struct auth_result k = *r;
	if (r->verdict == AUTH_ACCEPT) {
		if (SSL_export_keying_material(c->eaptls->ssl, msk, sizeof(msk), label,
					       sizeof(label) - 1, NULL, 0, 0) != 1) {
			refuse(c, "no MSK from the TLS exporter");
			return;
		}
		/* what a RADIUS server would send: Recv = MSK[0..31], Send = MSK[32..63] */
		k.mppe_recv = msk;
		k.mppe_recv_len = 32;
		k.mppe_send = msk + 32;
		k.mppe_send_len = 32;
	}
	sstp_call_auth_done(s, &k);
	OPENSSL_cleanse(msk, sizeof(msk));
}

static void verify_client(struct sstp_conn *c, struct sstp_eaptls *t)
{
	X509 *leaf = SSL_get0_peer_certificate(t->ssl);
	if (!leaf) {
		refuse(c, "no client certificate");
		return;
	}
	struct auth_request req = {
		.kind = CRED_CERT_CHAIN,
		.leaf = leaf,
		.chain = SSL_get_peer_cert_chain(t->ssl),
	};
	c->auth_pending = true;
	auth_step(c->s, &req, cert_verdict);
}

/* Runs the TLS server on what arrived; sends its output or decides. */
static void tls_step(struct sstp_conn *c, struct sstp_eaptls *t)
{
	int rc = SSL_do_handshake(t->ssl);
	if (rc <= 0 && SSL_get_error(t->ssl, rc) != SSL_ERROR_WANT_READ) {
		unsigned long e = ERR_peek_last_error();
		char why[160];
		snprintf(why, sizeof(why), "TLS handshake failed: %s",
			 e ? ERR_reason_error_string(e) : "unknown");
		ERR_clear_error();
		/* an alert for the client, if TLS wrote one, is not worth a round */
		refuse(c, why);
		return;
	}
	size_t pending = BIO_ctrl_pending(t->out);
	free(t->tx);
	t->tx = pending ? malloc(pending) : NULL;
	t->tx_len = t->tx_off = 0;
	if (pending && t->tx && BIO_read(t->out, t->tx, (int)pending) == (int)pending)
		t->tx_len = pending;
	if (t->tx_len)
		send_next_fragment(c, t);
	else if (rc == 1)
		verify_client(c, t);
	else
		send_request(c, 0, 0, NULL, 0); /* nothing to say yet: ask on */
	t->done = rc == 1;
}

/* One EAP-TLS response: a fragment of the client's flight, or an ack. */
static void tls_response(struct sstp_conn *c, struct sstp_eaptls *t, const uint8_t *d, size_t n)
{
	struct cur cu;
	cur_init(&cu, d, n);
	uint8_t flags = cur_u8(&cu);
	if (flags & EAPTLS_L)
		cur_u32(&cu); /* the total is only a hint; the buffer grows as needed */
	size_t len;
	const uint8_t *frag = cur_rest(&cu, &len);
	if (!cur_ok(&cu) || t->rx_len + len > EAPTLS_MAXMSG) {
		refuse(c, "malformed EAP-TLS response");
		return;
	}
	if (len) {
		uint8_t *rx = realloc(t->rx, t->rx_len + len);
		if (!rx) {
			refuse(c, "out of memory");
			return;
		}
		t->rx = rx;
		memcpy(t->rx + t->rx_len, frag, len);
		t->rx_len += len;
	}
	if (flags & EAPTLS_M) {
		send_request(c, 0, 0, NULL, 0); /* fragment acknowledged */
		return;
	}
	if (!t->rx_len) { /* the client acknowledged our fragment */
		if (t->tx_off < t->tx_len)
			send_next_fragment(c, t);
		else if (t->done)
			verify_client(c, t);
		else
			refuse(c, "EAP-TLS client stopped mid-handshake");
		return;
	}
	BIO_write(t->in, t->rx, (int)t->rx_len);
	t->rx_len = 0;
	tls_step(c, t);
}

void sstp_eaptls_input(struct sstp_conn *c, const char *identity, const uint8_t *pkt, size_t len)
{
	struct eap_pkt e;
	(void)identity;
	if (eap_parse(pkt, len, &e) < 0 || e.code != EAP_RESPONSE) {
		refuse(c, "malformed EAP response");
		return;
	}
	if (e.type == EAP_TYPE_IDENTITY && !c->eaptls) {
		c->eaptls = eaptls_new(c);
		if (!c->eaptls) {
			refuse(c, "no TLS context for EAP-TLS");
			return;
		}
		send_request(c, EAPTLS_S, 0, NULL, 0);
		return;
	}
	if (e.type != EAP_TYPE_TLS || !c->eaptls) {
		refuse(c, e.type == EAP_TYPE_NAK ? "the client declined EAP-TLS"
						 : "unexpected EAP type");
		return;
	}
	tls_response(c, c->eaptls, e.data, e.len);
}
