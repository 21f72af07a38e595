/* Writes the seed inputs of every fuzz corpus: valid packets and messages
 * made with the codecs themselves and the keys in fuzz.h, plus a few
 * configuration documents. Run once; the output is committed.
 *   gen-corpus fuzz/corpus */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tests/unit/test_certgen.h"
#include "conf/conf.h"
#include "fuzz.h"
#include "lib/cursor.h"

static const char *root;

static void put(const char *harness, const char *name, const void *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, harness);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/seed-%s", root, harness, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void put_str(const char *harness, const char *name, const char *s)
{
	put(harness, name, s, strlen(s));
}

/* ---- control packets ---------------------------------------------------- */

static struct ovpn_tls_auth srv_ta, cli_ta;

/* Something shaped like the start of a TLS ClientHello. */
static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x6c, 0x01, 0x00, 0x00, 0x68, 0x03,
				0x03, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44};

static int ctl(uint8_t *out, uint8_t op, uint8_t kid, uint32_t msg_id, unsigned n_acks,
	       uint32_t first_ack, const uint8_t *payload, size_t len, bool ta)
{
	struct ovpn_ctl c = {.op = op, .key_id = kid, .sid = 0x0123456789abcdefull};
	c.replay_id = (uint64_t)1700000000 << 32 | (msg_id + 1);
	c.n_acks = (uint8_t)n_acks;
	for (unsigned i = 0; i < n_acks; i++)
		c.acks[i] = first_ack + i;
	c.ack_sid = 0xfedcba9876543210ull;
	c.msg_id = msg_id;
	c.payload = payload;
	c.payload_len = len;
	int n = ovpn_ctl_write(out, OVPN_CTL_MAX, &c, ta ? &cli_ta : NULL);
	if (n < 0) {
		fprintf(stderr, "ovpn_ctl_write failed\n");
		exit(1);
	}
	return n;
}

static void ctl_both(const char *name, uint8_t op, uint8_t kid, uint32_t msg_id, unsigned n_acks,
		     const uint8_t *payload, size_t len)
{
	uint8_t b[OVPN_CTL_MAX];
	char nm[128];
	int n = ctl(b, op, kid, msg_id, n_acks, 0, payload, len, false);
	snprintf(nm, sizeof(nm), "%s-plain", name);
	put("ovpn_ctl", nm, b, (size_t)n);
	n = ctl(b, op, kid, msg_id, n_acks, 0, payload, len, true);
	snprintf(nm, sizeof(nm), "%s-tlsauth", name);
	put("ovpn_ctl", nm, b, (size_t)n);
}

static void gen_ctl(void)
{
	uint8_t big[1100];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31);
	ctl_both("reset-client", OVPN_HARD_RESET_CLIENT_V2, 0, 0, 0, NULL, 0);
	ctl_both("reset-server", OVPN_HARD_RESET_SERVER_V2, 0, 0, 1, NULL, 0);
	ctl_both("client-hello", OVPN_CONTROL_V1, 0, 1, 1, hello, sizeof(hello));
	ctl_both("control-4acks", OVPN_CONTROL_V1, 2, 7, 4, big, sizeof(big));
	ctl_both("ack-8", OVPN_ACK_V1, 0, 0, 8, NULL, 0);
	ctl_both("ack-1", OVPN_ACK_V1, 1, 0, 1, NULL, 0);
	ctl_both("soft-reset", OVPN_CONTROL_SOFT_RESET_V1, 1, 0, 0, NULL, 0);
}

/* ---- reliability sequences: 16-bit length-prefixed plain packets ---------- */

struct seq {
	uint8_t b[8192];
	struct wbuf w;
};

static void seq_init(struct seq *s)
{
	wbuf_init(&s->w, s->b, sizeof(s->b));
}

static void seq_add(struct seq *s, uint8_t op, uint8_t kid, uint32_t msg_id, unsigned n_acks,
		    uint32_t first_ack, const void *payload, size_t len)
{
	uint8_t p[OVPN_CTL_MAX];
	int n = ctl(p, op, kid, msg_id, n_acks, first_ack, payload, len, false);
	wbuf_u16(&s->w, (uint16_t)n);
	wbuf_bytes(&s->w, p, (size_t)n);
}

static void seq_put(struct seq *s, const char *name)
{
	if (!wbuf_ok(&s->w)) {
		fprintf(stderr, "sequence %s too long\n", name);
		exit(1);
	}
	put("ovpn_rel", name, s->b, s->w.len);
}

static void gen_rel(void)
{
	struct seq s;
	seq_init(&s);
	seq_add(&s, OVPN_HARD_RESET_CLIENT_V2, 0, 0, 0, 0, NULL, 0);
	seq_add(&s, OVPN_CONTROL_V1, 1, 1, 1, 0, hello, sizeof(hello));
	seq_add(&s, OVPN_CONTROL_V1, 1, 2, 1, 1, "second", 6);
	seq_add(&s, OVPN_ACK_V1, 0, 0, 2, 1, NULL, 0);
	seq_add(&s, OVPN_CONTROL_V1, 0, 3, 0, 0, "third", 5);
	seq_put(&s, "in-order");

	seq_init(&s);
	seq_add(&s, OVPN_CONTROL_V1, 0, 2, 0, 0, "two", 3);
	seq_add(&s, OVPN_CONTROL_V1, 0, 1, 0, 0, "one", 3);
	seq_add(&s, OVPN_CONTROL_V1, 0, 0, 0, 0, "zero", 4);
	seq_put(&s, "reordered");

	seq_init(&s);
	seq_add(&s, OVPN_CONTROL_V1, 0, 0, 0, 0, "a", 1);
	seq_add(&s, OVPN_CONTROL_V1, 0, 0, 0, 0, "A", 1);
	seq_add(&s, OVPN_CONTROL_V1, 0, 1, 0, 0, "b", 1);
	seq_add(&s, OVPN_CONTROL_V1, 0, 1, 0, 0, "B", 1);
	seq_add(&s, OVPN_CONTROL_V1, 0, 0, 0, 0, "a", 1);
	seq_put(&s, "duplicates");

	seq_init(&s);
	seq_add(&s, OVPN_CONTROL_V1, 0, 12, 0, 0, "beyond", 6);
	seq_add(&s, OVPN_CONTROL_V1, 0, 11, 0, 0, "edge", 4);
	for (uint32_t id = 0; id < 11; id++)
		seq_add(&s, OVPN_CONTROL_V1, 0, id, 0, 0, "x", 1);
	seq_add(&s, OVPN_CONTROL_V1, 0, 12, 0, 0, "now", 3);
	seq_add(&s, OVPN_CONTROL_V1, 0, 0xffffffff, 0, 0, "below", 5);
	seq_put(&s, "window");

	/* The send side: odd key ids queue a packet, key_id >> 1 moves the
	 * clock; acks come back out of order, one is lost (fast resend). */
	seq_init(&s);
	for (uint32_t id = 0; id < 7; id++)
		seq_add(&s, OVPN_CONTROL_V1, 1, id, 0, 0, "q", 1);
	seq_add(&s, OVPN_ACK_V1, 0, 0, 3, 1, NULL, 0);
	seq_add(&s, OVPN_ACK_V1, 6, 0, 1, 4, NULL, 0);
	seq_add(&s, OVPN_ACK_V1, 6, 0, 1, 4, NULL, 0);
	seq_add(&s, OVPN_ACK_V1, 7, 0, 2, 0, NULL, 0);
	for (int i = 0; i < 6; i++)
		seq_add(&s, OVPN_ACK_V1, 6, 0, 0 + (i == 5), 5, NULL, 0);
	seq_put(&s, "send-window");
}

/* ---- key-method 2 ------------------------------------------------------- */

static void km2_str(struct wbuf *w, const char *s)
{
	if (!s) {
		wbuf_u16(w, 0);
		return;
	}
	wbuf_u16(w, (uint16_t)(strlen(s) + 1));
	wbuf_bytes(w, s, strlen(s) + 1);
}

static void km2(const char *name, const char *opts, const char *user, const char *pass,
		const char *pi, int n_strings)
{
	static uint8_t b[20000];
	struct wbuf w;
	wbuf_init(&w, b, sizeof(b));
	wbuf_u32(&w, 0);
	wbuf_u8(&w, 2);
	for (int i = 0; i < 48 + 64; i++)
		wbuf_u8(&w, (uint8_t)(i * 5 + 1));
	const char *strs[] = {opts, user, pass, pi};
	for (int i = 0; i < n_strings; i++)
		km2_str(&w, strs[i]);
	put("ovpn_km2", name, b, w.len);
}

static void gen_km2(void)
{
	static const char opts[] =
		"V4,dev-type tun,link-mtu 1553,tun-mtu 1500,proto TCPv4_CLIENT,keydir 1,"
		"cipher AES-256-GCM,auth SHA256,keysize 256,tls-auth,key-method 2,tls-client";
	static const char pi26[] =
		"IV_VER=2.6.14\nIV_PLAT=linux\nIV_TCPNL=1\nIV_MTU=1600\nIV_NCP=2\n"
		"IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\nIV_PROTO=990\n"
		"IV_LZO_STUB=1\nIV_COMP_STUB=1\nIV_COMP_STUBv2=1\nIV_SSL=OpenSSL 3.0.17\n";
	static const char pi_win[] = "IV_VER=2.6.12\nIV_PLAT=win\nIV_MTU=1600\nIV_NCP=2\n"
				     "IV_CIPHERS=CHACHA20-POLY1305:AES-128-GCM\nIV_PROTO=30\n"
				     "IV_GUI_VER=OpenVPN_GUI_11\nIV_SSO=webauth,openurl\n";
	static const char pi_old[] = "IV_VER=2.4.12\nIV_PLAT=mac\nIV_NCP=2\nIV_PROTO=2\n";
	km2("client-26", opts, NULL, NULL, pi26, 4);
	km2("client-26-creds", opts, "alice", "s3cret", pi_win, 4);
	km2("client-24", "V4,dev-type tun,cipher AES-128-GCM,auth SHA1", NULL, NULL, pi_old, 4);
	km2("client-occ-only", "V4,dev-type tun,cipher CHACHA20-POLY1305", NULL, NULL, NULL, 2);
	km2("options-only", opts, NULL, NULL, NULL, 1);
	char *token = malloc(5001);
	memset(token, 'T', 5000);
	token[5000] = 0;
	km2("token-password", opts, "bob", token, pi26, 4);
	free(token);
	put_str("ovpn_km2", "peer-info-text", pi26);
}

/* ---- static keys -------------------------------------------------------- */

static void gen_static_key(void)
{
	uint8_t key[OVPN_STATIC_KEY_LEN];
	fuzz_static_key(key);
	char text[1024];
	ovpn_static_key_format(key, text, sizeof(text));
	put_str("static_key", "formatted", text);
	/* CRLF line ends, upper case, no comment header. */
	char crlf[1200];
	size_t n =
		(size_t)snprintf(crlf, sizeof(crlf), "-----BEGIN OpenVPN Static key V1-----\r\n");
	for (int i = 0; i < OVPN_STATIC_KEY_LEN; i++)
		n += (size_t)snprintf(crlf + n, sizeof(crlf) - n, "%02X%s", 255 - i,
				      i % 16 == 15 ? "\r\n" : "");
	n += (size_t)snprintf(crlf + n, sizeof(crlf) - n,
			      "-----END OpenVPN Static key V1-----\r\n");
	put("static_key", "crlf-upper", crlf, n);
}

/* ---- data packets ------------------------------------------------------- */

static void gen_data(void)
{
	uint8_t key2[OVPN_KEY2_LEN];
	fuzz_key2(key2);
	static const uint8_t ip[] = {0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01,
				     0x00, 0x00, 0xac, 0x10, 0xc9, 0x02, 0x0a, 0x01, 0x00, 0x04,
				     0x08, 0x00, 0xf7, 0xff, 0x00, 0x00, 0x00, 0x00};
	static const uint8_t occ_exit[17] = {0x28, 0x7f, 0x34, 0x6b, 0xd4, 0xef, 0x7a, 0x81, 0x2d,
					     0x56, 0xb8, 0xd3, 0xaf, 0xc5, 0x45, 0x9c, 6};
	for (uint8_t kid = 0; kid < 3; kid++) {
		struct ovpn_dc cli;
		if (ovpn_dc_init(&cli, fuzz_cipher_for(kid), key2, false) < 0)
			exit(1);
		uint8_t pkt[256];
		char name[64];
		const struct {
			const char *what;
			const uint8_t *p;
			size_t n;
		} pl[] = {{"ip", ip, sizeof(ip)},
			  {"ping", ovpn_ping_magic, 16},
			  {"occ-exit", occ_exit, 17},
			  {"empty", NULL, 0}};
		for (size_t i = 0; i < 4; i++) {
			int n = ovpn_dc_encrypt(&cli, kid, 0x000102 + kid, pl[i].p, pl[i].n, pkt,
						sizeof(pkt));
			snprintf(name, sizeof(name), "v2-%s-%s", fuzz_cipher_for(kid), pl[i].what);
			put("ovpn_data", name, pkt, (size_t)n);
		}
		/* The same as P_DATA_V1: drop the peer id, the AD shrinks to the pid.
		 * Only the framing is right; its tag is for the V2 AD, so it fails
		 * authentication and covers that path. */
		int n = ovpn_dc_encrypt(&cli, kid, 0, ip, sizeof(ip), pkt, sizeof(pkt));
		pkt[3] = (uint8_t)(OVPN_DATA_V1 << 3 | kid);
		snprintf(name, sizeof(name), "v1-%s", fuzz_cipher_for(kid));
		put("ovpn_data", name, pkt + 3, (size_t)n - 3);
		ovpn_dc_free(&cli);
	}
}

/* ---- configurations ----------------------------------------------------- */

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	if (vasprintf(&s, f, ap) < 0)
		exit(1);
	va_end(ap);
	return s;
}

static void gen_conf(void)
{
	put_str("conf", "embedded-default", conf_embedded_default);
	EVP_PKEY *k = tc_key();
	X509 *ca = tc_cert("P2S Seed Root", k, NULL, NULL, true, NULL, 1);
	char *b64 = ca ? tc_der_b64(ca) : NULL;
	if (!b64)
		exit(1);
	char *full = fmt(
		"{\"name\": \"gw-west\", \"sku\": \"VpnGw2\", \"vpnGatewayGeneration\": "
		"\"Generation2\", \"vpnType\": \"RouteBased\", \"activeActive\": false,\n"
		" \"gatewayFqdn\": \"gw-west.example.net\", \"stateDirectory\": \"/srv/p2s\",\n"
		" \"controlSocket\": \"/run/p2s.sock\", \"logLevel\": \"debug\", \"tunInterface\": "
		"\"vpn7\", \"clientToClient\": true,\n"
		" \"listen\": {\"address\": \"192.0.2.10\", \"tcpPort\": 8443, \"udpPort\": "
		"11194},\n"
		" \"serverCertificate\": {\"certFile\": \"/etc/p2s/c.pem\", \"keyFile\": "
		"\"/etc/p2s/k.pem\"},\n"
		" \"openvpn\": {\"tlsAuthKeyFile\": \"/etc/p2s/ta.key\", \"renegotiateSeconds\": "
		"7200, \"pingSeconds\": 15, \"pingRestartSeconds\": 120},\n"
		" \"virtualNetwork\": {\"addressSpace\": [\"10.1.0.0/16\", \"10.2.0.0/24\"]},\n"
		" \"customRoutes\": {\"addressPrefixes\": [\"192.168.50.0/24\"]},\n"
		" \"vpnClientConfiguration\": {\n"
		"  \"vpnClientAddressPool\": {\"addressPrefixes\": [\"172.16.201.0/24\"]},\n"
		"  \"vpnClientProtocols\": [\"OpenVPN\", \"IkeV2\"],\n"
		"  \"vpnAuthenticationTypes\": [\"Certificate\"],\n"
		"  \"vpnClientRootCertificates\": [{\"name\": \"root-1\", \"publicCertData\": "
		"\"%s\"}],\n"
		"  \"vpnClientRevokedCertificates\": [{\"name\": \"lost\", \"thumbprint\": "
		"\"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:01:23:45:67\"}]}}\n",
		b64);
	put_str("conf", "full", full);
	put_str("conf", "dual-stack",
		"{\"gatewayFqdn\": \"v\", \"virtualNetwork\": {\"addressSpace\": "
		"[\"10.1.0.0/16\", \"fd00:10:1::/64\"]},\n"
		" \"customRoutes\": {\"addressPrefixes\": [\"fd00:10:2::/48\"]},\n"
		" \"vpnClientConfiguration\": {\"vpnClientAddressPool\": {\"addressPrefixes\": "
		"[\"172.16.201.0/24\", \"fd00:201::/64\"]},\n"
		"  \"vngClientConnectionConfigurations\": [{\"name\": \"c\", "
		"\"vpnClientAddressPool\": {\"addressPrefixes\": [\"10.50.0.0/24\", "
		"\"fd00:50::/120\"]}}]}}\n");
	char *arm = fmt(
		"{\"name\": \"gw-arm\", \"id\": \"/subscriptions/0/x\", \"type\": "
		"\"Microsoft.Network/virtualNetworkGateways\", \"location\": \"westeurope\",\n"
		" \"properties\": {\"gatewayFqdn\": \"gw.example.net\", "
		"\"vpnClientConfiguration\": "
		"{\"vpnClientAddressPool\": {\"addressPrefixes\": [\"10.9.0.0/24\"]},\n"
		"  \"vpnClientRootCertificates\": [{\"name\": \"r\", \"id\": \"/x/r\", \"etag\": "
		"\"W/1\", \"properties\": {\"publicCertData\": \"%s\"}}],\n"
		"  \"vpnClientRevokedCertificates\": [{\"name\": \"g\", \"properties\": "
		"{\"thumbprint\": \"0011223344556677889900112233445566778899\"}}]}}}\n",
		b64);
	put_str("conf", "arm-form", arm);
	put_str("conf", "policy-groups",
		"{\"gatewayFqdn\": \"g.example.net\", \"sku\": \"VpnGw3\",\n"
		" \"virtualNetworkGatewayPolicyGroups\": [{\"name\": \"eng\", \"isDefault\": true, "
		"\"priority\": 0, \"policyMembers\": [{\"name\": \"m\", \"attributeType\": "
		"\"CertificateGroupId\", \"attributeValue\": \"eng.example.com\"}]}],\n"
		" \"vpnClientConfiguration\": {\"vpnClientAddressPool\": {\"addressPrefixes\": "
		"[\"172.16.0.0/24\"]},\n"
		"  \"vpnAuthenticationTypes\": [\"Certificate\", \"Radius\"], \"radiusServers\": "
		"[{\"radiusServerAddress\": \"10.0.0.5\", \"radiusServerScore\": 5, "
		"\"radiusServerSecret\": \"s\"}],\n"
		"  \"vpnClientIpsecPolicies\": [{\"saLifeTimeSeconds\": 3600, "
		"\"saDataSizeKilobytes\": 102400000, \"ipsecEncryption\": \"GCMAES256\", "
		"\"ipsecIntegrity\": \"GCMAES256\", \"ikeEncryption\": \"AES256\", "
		"\"ikeIntegrity\": "
		"\"SHA256\", \"dhGroup\": \"DHGroup14\", \"pfsGroup\": \"PFS14\"}],\n"
		"  \"vngClientConnectionConfigurations\": [{\"name\": \"c\", "
		"\"vpnClientAddressPool\": "
		"{\"addressPrefixes\": [\"172.16.1.0/24\"]}, "
		"\"virtualNetworkGatewayPolicyGroups\": "
		"[{\"id\": \"eng\"}]}]}}\n");
	put_str("conf", "aad",
		"{\"gatewayFqdn\": \"g.example.net\", \"vpnClientConfiguration\": {"
		"\"vpnClientAddressPool\": {\"addressPrefixes\": [\"100.64.0.0/24\"]},"
		"\"vpnAuthenticationTypes\": [\"AAD\"], \"aadTenant\": "
		"\"https://login.microsoftonline.com/0a1b2c3d-0000-1111-2222-333344445555\", "
		"\"aadIssuer\": \"https://sts.windows.net/0a1b2c3d-0000-1111-2222-333344445555/\", "
		"\"aadAudience\": \"41b23e61-6c1e-4545-b367-cd054e0ed4b4\"}}\n");
	put_str("conf", "errors",
		"{\"gatewayFdqn\": \"x\", \"vpnType\": \"PolicyBased\", \"sku\": \"VpnGw4\", "
		"\"listen\": {\"tcpPort\": 0}, \"vpnClientConfiguration\": "
		"{\"vpnClientAddressPool\": "
		"{\"addressPrefixes\": [\"8.8.8.0/30\", \"10.0.0.1/8\"]}, "
		"\"vpnClientRevokedCertificates\": [{\"thumbprint\": \"xyz\"}]}}\n");
	free(full);
	free(arm);
	free(b64);
	X509_free(ca);
	EVP_PKEY_free(k);
}

/* ---- inner packets (fwd) ------------------------------------------------ */

/* One inner packet behind a direction byte (0: from client a, 1: from the
 * TUN): IPv4 or IPv6 by the addresses' length (4 or 16). */
static void fwd_seed(const char *name, uint8_t dir, const uint8_t *src, const uint8_t *dst,
		     size_t alen)
{
	uint8_t p[64] = {dir};
	size_t n = alen == 4 ? 28 : 48;
	if (alen == 4) {
		p[1] = 0x45, p[4] = 28, p[10] = 64, p[11] = 1;
		memcpy(p + 13, src, 4);
		memcpy(p + 17, dst, 4);
	} else {
		p[1] = 0x60, p[6] = 8, p[7] = 58, p[8] = 64;
		memcpy(p + 9, src, 16);
		memcpy(p + 25, dst, 16);
	}
	put("fwd", name, p, n + 1);
}

/* The harness's world: a holds 172.16.201.2 and fd00:201::2, b the ::3s. */
static void gen_fwd(void)
{
	static const uint8_t a4[4] = {172, 16, 201, 2}, b4[4] = {172, 16, 201, 3},
			     vnet4[4] = {10, 1, 0, 10};
	static const uint8_t a6[16] = {0xfd, 0, 2, 1, [15] = 2}, b6[16] = {0xfd, 0, 2, 1, [15] = 3},
			     vnet6[16] = {0xfd, 0, 0, 0x10, 0, 1, [15] = 0x10},
			     ll[16] = {0xfe, 0x80, [15] = 9}, rs[16] = {0xff, 2, [15] = 2};
	fwd_seed("v4-own", 0, a4, vnet4, 4);
	fwd_seed("v4-spoofed", 0, b4, vnet4, 4);
	fwd_seed("v4-to-client", 0, a4, b4, 4);
	fwd_seed("v4-from-tun", 1, vnet4, b4, 4);
	fwd_seed("v6-own", 0, a6, vnet6, 16);
	fwd_seed("v6-spoofed", 0, b6, vnet6, 16);
	fwd_seed("v6-to-client", 2, a6, b6, 16);
	fwd_seed("v6-link-local", 0, ll, rs, 16);
	fwd_seed("v6-from-tun", 1, vnet6, a6, 16);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	fuzz_tls_auth(&srv_ta, &cli_ta);
	gen_ctl();
	gen_rel();
	gen_km2();
	gen_static_key();
	gen_data();
	gen_conf();
	gen_fwd();
	return 0;
}
