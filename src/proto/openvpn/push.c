#include "push.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"

const char *const ovpn_data_ciphers[] = {"AES-256-GCM", "AES-128-GCM", "CHACHA20-POLY1305", NULL};

static bool list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p = colon ? colon + 1 : NULL;
	}
	return false;
}

/* The value of ",cipher X," in the client's OCC options string. */
static bool occ_cipher(const char *occ, char *out, size_t cap)
{
	const char *p = occ ? strstr(occ, ",cipher ") : NULL;
	if (!p)
		return false;
	p += 8;
	size_t len = strcspn(p, ",");
	if (len >= cap)
		return false;
	memcpy(out, p, len);
	out[len] = 0;
	return true;
}

const char *ovpn_ncp_select(const struct ovpn_peer_info *pi, const char *occ_options)
{
	const char *clist = pi->ciphers;
	if (!clist[0] && pi->iv_ncp >= 2)
		clist = "AES-256-GCM:AES-128-GCM";
	for (int i = 0; ovpn_data_ciphers[i]; i++)
		if (list_has(clist, ovpn_data_ciphers[i]))
			return ovpn_data_ciphers[i];
	char c[64];
	if (occ_cipher(occ_options, c, sizeof(c)))
		for (int i = 0; ovpn_data_ciphers[i]; i++)
			if (strcasecmp(c, ovpn_data_ciphers[i]) == 0)
				return ovpn_data_ciphers[i];
	return NULL;
}

/* Every option, routes included (a config may list hundreds of routes),
 * each as long as it needs to be (an auth-token may be long). */
struct optlist {
	char **opts;
	size_t n, cap;
	bool failed;
};

static void opt_add(struct optlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void opt_add(struct optlist *l, const char *fmt, ...)
{
	if (l->n >= l->cap) {
		l->failed = true; /* cannot happen: cap counts every option collected */
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&l->opts[l->n], fmt, ap) < 0)
		l->failed = true;
	else
		l->n++;
	va_end(ap);
}

static void opt_free(struct optlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->opts[i]);
	free(l->opts);
}

static void mask_str(uint8_t len, char out[16])
{
	ip4_str(prefix4_mask(len), out);
}

/* ifconfig-ipv6 <addr>/<len> <gateway> and a route-ipv6 per prefix (via
 * that gateway, the client's default for route-ipv6). */
static void collect_options6(const struct ovpn_push_params *p, struct optlist *l)
{
	char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];
	if (!p->has_v6)
		return;
	for (size_t i = 0; i < p->n_routes6; i++) {
		inet_ntop(AF_INET6, &p->routes6[i].addr, a, sizeof(a));
		opt_add(l, "route-ipv6 %s/%u", a, p->routes6[i].len);
	}
	inet_ntop(AF_INET6, &p->ifconfig_ip6, a, sizeof(a));
	inet_ntop(AF_INET6, &p->gateway6, g, sizeof(g));
	opt_add(l, "ifconfig-ipv6 %s/%u %s", a, p->prefix6_len, g);
}

/* A 2.6 client parses each pushed option into at most 255 bytes and 16
 * words; names are appended over repeated lines, so long lists are split. */
#define OPT_LINE_MAX  255
#define OPT_WORDS_MAX 16

/* "<head> name name ..." lines, as many as the names need. */
static void opt_names(struct optlist *l, const char *head, size_t head_words,
		      const char (*names)[254], size_t n)
{
	char line[OPT_LINE_MAX + 1];
	size_t i = 0;
	while (i < n) {
		size_t len = (size_t)snprintf(line, sizeof(line), "%s", head), words = head_words;
		while (i < n && words < OPT_WORDS_MAX &&
		       len + 1 + strlen(names[i]) <= OPT_LINE_MAX) {
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", names[i]);
			words++;
			i++;
		}
		if (words == head_words)
			i++; /* a name too long for any line: validation keeps it out */
		else
			opt_add(l, "%s", line);
	}
}

/* "dns server 1 address a b ...": IPv4 then IPv6 (no port: 53), as many
 * as a 2.6 client takes for one server and one option line holds. */
static void dns_addresses(const struct ovpn_push_params *p, struct optlist *l)
{
	char line[OPT_LINE_MAX + 1], a[INET6_ADDRSTRLEN];
	size_t len = (size_t)snprintf(line, sizeof(line), "dns server 1 address"), k = 0;
	for (size_t i = 0; i < p->n_dns + p->n_dns6 && k < OVPN_DNS_ADDR_MAX; i++) {
		if (i < p->n_dns)
			ip4_str(p->dns[i], a);
		else
			inet_ntop(AF_INET6, &p->dns6[i - p->n_dns], a, sizeof(a));
		if (len + 1 + strlen(a) > OPT_LINE_MAX)
			break;
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", a);
		k++;
	}
	opt_add(l, "%s", line);
}

/* OpenVPN 2.6's "dns" option (for clients announcing it): the servers, and
 * with suffixes split DNS: the servers resolve exactly those domains
 * (resolve-domains) and the suffixes are the search list. The legacy
 * dhcp-option form goes too; the client lets "dns" override it. */
static void collect_dns(const struct ovpn_push_params *p, struct optlist *l)
{
	if (!(p->iv_proto & IV_PROTO_DNS_OPTION))
		return;
	if (p->n_dns + p->n_dns6) {
		dns_addresses(p, l);
		opt_names(l, "dns server 1 resolve-domains", 4, p->suffixes, p->n_suffixes);
	}
	opt_names(l, "dns search-domains", 2, p->suffixes, p->n_suffixes);
}

/* The legacy form every client takes: DNS, DNS6 (2.5 and later), then the
 * domain. The first suffix is the connection's domain; with more, every
 * one is a search domain too (DOMAIN-SEARCH). */
static void collect_dhcp_options(const struct ovpn_push_params *p, struct optlist *l)
{
	char a[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < p->n_dns; i++) {
		ip4_str(p->dns[i], a);
		opt_add(l, "dhcp-option DNS %s", a);
	}
	for (size_t i = 0; i < p->n_dns6; i++) {
		inet_ntop(AF_INET6, &p->dns6[i], a, sizeof(a));
		opt_add(l, "dhcp-option DNS6 %s", a);
	}
	if (p->n_suffixes)
		opt_add(l, "dhcp-option DOMAIN %s", p->suffixes[0]);
	for (size_t i = 0; p->n_suffixes > 1 && i < p->n_suffixes; i++)
		opt_add(l, "dhcp-option DOMAIN-SEARCH %s", p->suffixes[i]);
}

static void collect_options(const struct ovpn_push_params *p, struct optlist *l)
{
	char a[16], m[16];
	ip4_str(p->route_gateway, a);
	opt_add(l, "route-gateway %s", a);
	opt_add(l, "topology subnet");
	opt_add(l, "ping %u", p->ping);
	opt_add(l, "ping-restart %u", p->ping_restart);
	for (size_t i = 0; i < p->n_routes; i++) {
		ip4_str(p->routes[i].addr, a);
		mask_str(p->routes[i].len, m);
		opt_add(l, "route %s %s", a, m);
	}
	ip4_str(p->ifconfig_ip, a);
	mask_str(p->prefix_len, m);
	opt_add(l, "ifconfig %s %s", a, m);
	collect_options6(p, l);
	opt_add(l, "peer-id %u", p->peer_id);
	if (p->iv_ncp >= 2 || (p->iv_proto & IV_PROTO_TLS_KEY_EXPORT))
		opt_add(l, "cipher %s", p->cipher);
	if (p->iv_proto & IV_PROTO_CC_EXIT_NOTIFY)
		opt_add(l, "protocol-flags cc-exit%s",
			p->iv_proto & IV_PROTO_TLS_KEY_EXPORT ? " tls-ekm" : "");
	else if (p->iv_proto & IV_PROTO_TLS_KEY_EXPORT)
		opt_add(l, "key-derivation tls-ekm");
	if (p->push_mtu)
		opt_add(l, "tun-mtu 1500");
	/* Else the client's Nagle holds a small packet (a ping, a keystroke)
	 * until the gateway's delayed ACK, up to 40 ms; the gateway's own
	 * socket has TCP_NODELAY already. */
	if (p->tcp)
		opt_add(l, "socket-flags TCP_NODELAY");
	collect_dhcp_options(p, l);
	collect_dns(p, l);
	if (p->auth_token)
		opt_add(l, "auth-token %s", p->auth_token);
}

/* Appends the options to msgs from the first; 0 or a negative error. */
static int pack(const struct optlist *l, char msgs[][PUSH_MSG_MAX], int max_msgs, int *count)
{
	static const char head[] = "PUSH_REPLY";
	static const char cont[] = ",push-continuation 2"; /* same length as "... 1" */
	int n = 0;
	size_t len = sizeof(head) - 1;
	memcpy(msgs[0], head, sizeof(head));
	for (size_t i = 0; i < l->n; i++) {
		size_t olen = strlen(l->opts[i]);
		if (sizeof(head) + olen + sizeof(cont) > PUSH_MSG_MAX)
			return P2S_E_PROTO; /* fits in no message */
		/* Keep room for the continuation marker on every message. */
		if (len + 1 + olen + sizeof(cont) > PUSH_MSG_MAX) {
			if (n + 1 == max_msgs)
				return P2S_E_FULL;
			memcpy(msgs[n++] + len, cont, sizeof(cont));
			len = sizeof(head) - 1;
			memcpy(msgs[n], head, sizeof(head));
		}
		msgs[n][len++] = ',';
		memcpy(msgs[n] + len, l->opts[i], olen + 1);
		len += olen;
	}
	if (n > 0)
		memcpy(msgs[n] + len, ",push-continuation 1", sizeof(cont));
	*count = n + 1;
	return 0;
}

int ovpn_push_reply_build(const struct ovpn_push_params *p, char msgs[][PUSH_MSG_MAX], int max_msgs)
{
	if (max_msgs < 1)
		return P2S_E_FULL;
	/* every option counted: fixed ones, a line per route, DNS server and
	 * suffix (three for a suffix: DOMAIN-SEARCH, resolve- and search-domains) */
	struct optlist l = {.cap = p->n_routes + (p->has_v6 ? p->n_routes6 + 1 : 0) + p->n_dns +
				   p->n_dns6 + 3 * p->n_suffixes + 20};
	l.opts = calloc(l.cap, sizeof(*l.opts));
	if (!l.opts)
		return -ENOMEM;
	collect_options(p, &l);
	int count = 0;
	int r = l.failed ? -ENOMEM : pack(&l, msgs, max_msgs, &count);
	opt_free(&l);
	return r < 0 ? r : count;
}

static bool parse_ip4(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* One comma-separated option, NUL-terminated, at most 255 bytes. */
static bool push_option(char *o, struct ovpn_push_client *out)
{
	char *arg = strchr(o, ' ');
	if (arg)
		*arg++ = 0;
	uint32_t v;
	if (strcmp(o, "ifconfig") == 0) {
		char *mask = arg ? strchr(arg, ' ') : NULL;
		if (!mask)
			return false;
		*mask++ = 0;
		return parse_ip4(arg, &out->ifconfig_ip) && parse_ip4(mask, &out->netmask);
	}
	if (strcmp(o, "peer-id") == 0) {
		if (!arg || !parse_u32(arg, 0xffffff, &v))
			return false;
		out->peer_id = v;
	} else if (strcmp(o, "ping") == 0) {
		return arg && parse_u32(arg, 86400, &out->ping);
	} else if (strcmp(o, "ping-restart") == 0) {
		return arg && parse_u32(arg, 86400, &out->ping_restart);
	} else if (strcmp(o, "cipher") == 0) {
		if (!arg || strlen(arg) >= sizeof(out->cipher))
			return false;
		strcpy(out->cipher, arg);
	} else if (strcmp(o, "push-continuation") == 0) {
		out->more = arg && strcmp(arg, "2") == 0;
	}
	return true;
}

int ovpn_push_reply_parse(const char *msg, size_t len, struct ovpn_push_client *out)
{
	static const char head[] = "PUSH_REPLY";
	size_t hl = sizeof(head) - 1;
	if (len < hl || memcmp(msg, head, hl) != 0 || (len > hl && msg[hl] != ','))
		return P2S_E_PROTO;
	out->more = false;
	for (size_t i = hl + 1; i < len;) {
		const char *end = memchr(msg + i, ',', len - i);
		size_t n = end ? (size_t)(end - (msg + i)) : len - i;
		char o[256];
		if (n >= sizeof(o) || memchr(msg + i, 0, n))
			return P2S_E_PROTO;
		memcpy(o, msg + i, n);
		o[n] = 0;
		if (!push_option(o, out))
			return P2S_E_PROTO;
		i += n + 1;
	}
	return 0;
}
