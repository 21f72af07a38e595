#define LOG_MODULE "p2sgw"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/gateway.h"
#include "daemon/engines.h"
#include "lib/log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: p2sgw [--config FILE] [--check-config] [--log-level LEVEL] "
		   "[--state-dir DIR]\n"
		   "  Runs the point-to-site VPN gateway in the foreground, logging to stderr.\n"
		   "  Without --config it runs the embedded default configuration.\n"
		   "  --check-config  validate the configuration and exit (0 = valid)\n"
		   "  --log-level     error, warn, info or debug (overrides logLevel)\n"
		   "  --state-dir     overrides stateDirectory (and the control socket in it)\n");
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"check-config", no_argument, NULL, 'n'},
					     {"log-level", required_argument, NULL, 'l'},
					     {"state-dir", required_argument, NULL, 's'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *path = NULL, *level = NULL, *state = NULL;
	int check = 0, o;
	while ((o = getopt_long(argc, argv, "c:nl:s:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': path = optarg; break;
		case 'n': check = 1; break;
		case 'l': level = optarg; break;
		case 's': state = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	/* Started by systemd: journald adds the time, and reads "<N>" as the
	 * line's priority. */
	if (getenv("JOURNAL_STREAM") || getenv("NOTIFY_SOCKET"))
		log_journal = true;
	struct gw_conf *conf = load(path);
	if (!conf)
		return 1;
	if (check) {
		printf("%s: configuration is valid\n", path ? path : "(embedded default)");
		conf_free(conf);
		return 0;
	}
	struct core_options co = {
		.conf_path = path, .log_level = level, .state_dir = state, .engines = p2s_engines};
	struct core g;
	int r = core_init(&g, conf, &co);
	if (r == 0)
		core_run(&g);
	core_free(&g);
	return r == 0 ? 0 : 1;
}
