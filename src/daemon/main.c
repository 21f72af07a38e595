#define LOG_MODULE "p2sgw"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/gateway.h"
#include "daemon/engines.h"
#include "lib/log.h"
#include "privsep/channel.h"
#include "privsep/monitor.h"
#include "privsep/sandbox.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: p2sgw [--config FILE] [--check-config] [--log-level LEVEL] "
		   "[--state-dir DIR] [--no-privsep]\n"
		   "  Runs the point-to-site VPN gateway in the foreground, logging to stderr.\n"
		   "  Without --config it runs the embedded default configuration.\n"
		   "  --check-config  validate the configuration and exit (0 = valid)\n"
		   "  --log-level     error, warn, info or debug (overrides logLevel)\n"
		   "  --state-dir     overrides stateDirectory (and the control socket in it)\n"
		   "  --no-privsep    one process (for debugging): by default, started as root,\n"
		   "                  the server key stays in a small key process and the network\n"
		   "                  process runs unprivileged under a seccomp filter\n");
}

static struct gw_conf *load(const char *path)
{
	struct conf_errors errs = {0};
	struct gw_conf *c =
		path ? conf_load_file(path, &errs) : conf_load_string(conf_embedded_default, &errs);
	for (size_t i = 0; i < errs.n_warn; i++)
		fprintf(stderr, "%s: warning: %s\n", path ? path : "(embedded)", errs.warn[i]);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s: error: %s\n", path ? path : "(embedded)", errs.msg[i]);
	conf_errors_free(&errs);
	return c;
}

struct args {
	const char *path, *level, *state;
	int check, no_privsep, fd;
};

/* 0: go on, else main's exit status + 1. */
static int parse(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"check-config", no_argument, NULL, 'n'},
					     {"log-level", required_argument, NULL, 'l'},
					     {"state-dir", required_argument, NULL, 's'},
					     {"no-privsep", no_argument, NULL, 'P'},
					     {"privsep-fd", required_argument, NULL, 'F'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int o;
	*a = (struct args){.fd = -1};
	while ((o = getopt_long(argc, argv, "c:nl:s:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': a->path = optarg; break;
		case 'n': a->check = 1; break;
		case 'l': a->level = optarg; break;
		case 's': a->state = optarg; break;
		case 'P': a->no_privsep = 1; break;
		case 'F': a->fd = atoi(optarg); break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 3;
		}
	}
	return 0;
}

static int serve(struct args *a, struct gw_conf *conf)
{
	struct core_options co = {.conf_path = a->path,
				  .log_level = a->level,
				  .state_dir = a->state,
				  .engines = p2s_engines};
	if (a->fd >= 0) {
		co.server_key = ps_net_server_key;
		co.notify = ps_notify;
	}
	struct core g;
	int r = core_init(&g, conf, &co);
	if (r == 0 && a->fd >= 0)
		r = ps_sandbox_enter();
	if (r == 0)
		core_run(&g);
	core_free(&g);
	return r == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct args a;
	int k = parse(argc, argv, &a);
	if (k)
		return k - 1;
	/* Started by systemd: journald adds the time, and reads "<N>" as the
	 * line's priority. */
	if (getenv("JOURNAL_STREAM") || getenv("NOTIFY_SOCKET"))
		log_journal = true;
	if (a.fd >= 0)
		ps_net_begin(a.fd);
	else if (!a.check && !a.no_privsep && geteuid() == 0) {
		struct ps_monitor_args m = {
			.argc = argc, .argv = argv, .conf_path = a.path, .state_dir = a.state};
		return ps_monitor_run(&m);
	}
	struct gw_conf *conf = load(a.path);
	if (!conf)
		return 1;
	if (a.check) {
		printf("%s: configuration is valid\n", a.path ? a.path : "(embedded default)");
		conf_free(conf);
		return 0;
	}
	return serve(&a, conf);
}
