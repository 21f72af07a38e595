/* p2s-loadgen: options, the TLS context, one epoll loop for every client,
 * the ramp (at most --concurrency handshakes at once), the hold, and the
 * figures (one line per --interval, a SUMMARY line at the end).
 *
 *   p2s-loadgen --server IP[:PORT] --tls-auth ta.key --cert c.crt --key c.key
 *       [--ca root.crt] [--clients N] [--concurrency C] [--hold SECONDS]
 *       [--ramp-limit SECONDS] [--ping SECONDS] [--icmp-target IP]
 *       [--icmp-rate PPS] [--icmp-clients K] [--churn] [--bind IP] [--interval SECONDS]
 *       [--tcp]
 *
 * With --churn each client leaves (exit notify) as soon as it is admitted and
 * starts again: the handshake-rate mode. With --tcp the clients speak
 * OpenVPN over TCP (the default port then 443). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

#include "lib/file.h"
#include "lib/static_key.h"
#include "loadgen.h"

static volatile sig_atomic_t stop_now;

double lg_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

static int load_ta(struct lg *lg, const char *path)
{
	char *text = file_read_all(path);
	if (!text)
		return -1;
	uint8_t key[OVPN_STATIC_KEY_LEN];
	int r = ovpn_static_key_parse(text, strlen(text), key);
	if (r == 0)
		ovpn_tls_auth_client_from_static(&lg->ta, key);
	OPENSSL_cleanse(key, sizeof(key));
	free(text);
	return r;
}

static SSL_CTX *make_ctx(const char *cert, const char *key, const char *ca)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    (ca && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, ca ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	return ctx;
}

static int parse_addr(const char *s, uint16_t def_port, struct sockaddr_in *out)
{
	char host[64];
	snprintf(host, sizeof(host), "%s", s);
	char *colon = strchr(host, ':');
	unsigned long port = def_port;
	if (colon) {
		*colon = 0;
		port = strtoul(colon + 1, NULL, 10);
	}
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &out->sin_addr) == 1 && port && port < 65536 ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: p2s-loadgen --server IP[:PORT] --tls-auth FILE --cert FILE "
			"--key FILE [--ca FILE] [--clients N] [--concurrency C] [--hold S] "
			"[--ramp-limit S] [--ping S] [--icmp-target IP] [--icmp-rate PPS] "
			"[--icmp-clients K] [--churn] [--bind IP] [--interval S] [--tcp]\n");
	exit(2);
}

static const struct option long_opts[] = {
	{"server", 1, 0, 's'},	     {"tls-auth", 1, 0, 't'},	 {"cert", 1, 0, 'c'},
	{"key", 1, 0, 'k'},	     {"ca", 1, 0, 'a'},		 {"clients", 1, 0, 'n'},
	{"concurrency", 1, 0, 'C'},  {"hold", 1, 0, 'H'},	 {"ramp-limit", 1, 0, 'R'},
	{"ping", 1, 0, 'p'},	     {"icmp-target", 1, 0, 'i'}, {"icmp-rate", 1, 0, 'r'},
	{"churn", 0, 0, 'x'},	     {"bind", 1, 0, 'b'},	 {"interval", 1, 0, 'I'},
	{"icmp-clients", 1, 0, 'K'}, {"tcp", 0, 0, 'T'},	 {0, 0, 0, 0}};

static void parse_args(struct lg *lg, int argc, char **argv)
{
	const char *ta = NULL, *cert = NULL, *key = NULL, *ca = NULL, *server = NULL;
	int o;
	struct in_addr a;
	while ((o = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (o) {
		case 's': server = optarg; break;
		case 't': ta = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'a': ca = optarg; break;
		case 'n': lg->n_clients = atoi(optarg); break;
		case 'C': lg->concurrency = atoi(optarg); break;
		case 'H': lg->hold = atof(optarg); break;
		case 'R': lg->ramp_limit = atof(optarg); break;
		case 'p': lg->ping_sec = atof(optarg); break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				usage();
			lg->icmp_target = ntohl(a.s_addr);
			break;
		case 'r': lg->icmp_rate = atof(optarg); break;
		case 'x': lg->churn = true; break;
		case 'b':
			if (parse_addr(optarg, 1, &lg->bind) < 0)
				usage();
			lg->bind.sin_port = 0;
			break;
		case 'I': lg->interval = atof(optarg); break;
		case 'K': lg->icmp_clients = atoi(optarg); break;
		case 'T': lg->tcp = true; break;
		default: usage();
		}
	}
	if (!server || !ta || !cert || !key ||
	    parse_addr(server, lg->tcp ? 443 : 1194, &lg->server) < 0 || lg->n_clients <= 0 ||
	    lg->concurrency <= 0 || lg->ping_sec <= 0 || lg->interval <= 0)
		usage();
	if (load_ta(lg, ta) < 0 || !(lg->ctx = make_ctx(cert, key, ca))) {
		fprintf(stderr, "loadgen: cannot load the tls-auth key or the certificate\n");
		exit(1);
	}
}

static double rtt_percentile(const struct lg_stats *s, double q)
{
	uint64_t total = 0, acc = 0;
	for (int i = 0; i <= LG_RTT_BUCKETS; i++)
		total += s->rtt_hist[i];
	if (!total)
		return -1;
	for (int i = 0; i <= LG_RTT_BUCKETS; i++) {
		acc += s->rtt_hist[i];
		if ((double)acc >= q * (double)total)
			return (i + 1) * 0.01; /* bucket upper edge, ms */
	}
	return LG_RTT_BUCKETS * 0.01;
}

static void print_line(const struct lg *lg, const char *tag, double t)
{
	const struct lg_stats *s = &lg->st;
	printf("%s t=%.1f up=%d inflight=%d attempts=%llu admitted=%llu failed=%llu "
	       "refused=%llu lost=%llu pings_tx=%llu pings_rx=%llu icmp_tx=%llu icmp_rx=%llu "
	       "rtt_p50_ms=%.2f rtt_p99_ms=%.2f bad=%llu\n",
	       tag, t, lg->up, lg->inflight, (unsigned long long)s->attempts,
	       (unsigned long long)s->admitted, (unsigned long long)s->failed,
	       (unsigned long long)s->refused, (unsigned long long)s->lost,
	       (unsigned long long)s->pings_tx, (unsigned long long)s->pings_rx,
	       (unsigned long long)s->icmp_tx, (unsigned long long)s->icmp_rx,
	       rtt_percentile(s, 0.5), rtt_percentile(s, 0.99), (unsigned long long)s->bad_pkts);
	fflush(stdout);
}

/* New clients while the concurrency allows; failed ones again after 1 s;
 * in churn mode, admitted ones leave and come back. */
static void schedule(struct lg *lg, double now, bool ramping)
{
	for (int i = 0; i < lg->started; i++) {
		struct lg_client *c = &lg->c[i];
		if (lg->churn && c->st == LC_UP) {
			lg_client_stop(c, true);
			c->st = LC_IDLE;
			c->t_start = 0; /* again at once, not after the retry pause */
		}
		lg_client_tick(c, now);
		if (ramping && c->st == LC_IDLE && lg->inflight < lg->concurrency &&
		    now - c->t_start > 1.0)
			lg_client_start(c, now);
	}
	while (ramping && lg->started < lg->n_clients && lg->inflight < lg->concurrency) {
		struct lg_client *c = &lg->c[lg->started++];
		if (lg_client_start(c, now) < 0) {
			perror("loadgen: socket");
			lg->started--;
			break;
		}
	}
}

static void poll_once(struct lg *lg, int timeout_ms)
{
	struct epoll_event ev[256];
	int n = epoll_wait(lg->ep, ev, 256, timeout_ms);
	double now = lg_now();
	for (int i = 0; i < n; i++)
		lg_client_input(ev[i].data.ptr, now);
}

static void run(struct lg *lg)
{
	double t0 = lg_now(), next_print = t0 + lg->interval, next_tick = t0, all_up = 0;
	while (!stop_now) {
		poll_once(lg, 2);
		double now = lg_now();
		bool ramping = !all_up && (lg->churn || now - t0 < lg->ramp_limit);
		if (now >= next_tick) {
			schedule(lg, now, ramping);
			next_tick = now + 0.01;
		}
		if (!all_up && !lg->churn && lg->up == lg->n_clients) {
			all_up = now;
			printf("ALLUP t=%.2f admitted_per_s=%.1f\n", now - t0,
			       lg->n_clients / (now - t0));
		}
		if (!all_up && !ramping)
			all_up = now; /* ramp limit: hold with what got in */
		if (now >= next_print) {
			print_line(lg, "STAT", now - t0);
			next_print += lg->interval;
		}
		if (all_up && now - all_up >= lg->hold)
			break;
		if (lg->churn && now - t0 >= lg->hold)
			break;
	}
	print_line(lg, "SUMMARY", lg_now() - t0);
}

int main(int argc, char **argv)
{
	static struct lg lg = {.n_clients = 1,
			       .concurrency = 32,
			       .ramp_limit = 600,
			       .hold = 10,
			       .hs_timeout = 30,
			       .ping_sec = 10,
			       .interval = 1};
	parse_args(&lg, argc, argv);
	struct rlimit rl = {lg.n_clients + 64, lg.n_clients + 64};
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		perror("loadgen: RLIMIT_NOFILE");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	lg.ep = epoll_create1(EPOLL_CLOEXEC);
	lg.c = calloc((size_t)lg.n_clients, sizeof(*lg.c));
	if (lg.ep < 0 || !lg.c)
		return 1;
	if (lg.icmp_clients <= 0 || lg.icmp_clients > lg.n_clients)
		lg.icmp_clients = lg.n_clients;
	for (int i = 0; i < lg.n_clients; i++)
		lg.c[i] = (struct lg_client){.lg = &lg, .idx = i, .fd = -1};
	run(&lg);
	for (int i = 0; i < lg.started; i++)
		lg_client_stop(&lg.c[i], true);
	free(lg.c);
	SSL_CTX_free(lg.ctx);
	return 0;
}
