/* p2sctl: the control CLI. A table of subcommands; each either works on
 * files (config validation) or asks a running gateway over its socket. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/conf.h"

struct opts {
	const char *socket;
	const char *output; /* "table" or "json" */
};

struct command {
	const char *group;
	const char *verb;
	int nargs;
	const char *help;
	int (*run)(const struct opts *o, char **args);
};

static int ask(const struct opts *o, const char *req, json_t **out)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", o->socket);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "p2sctl: cannot reach the gateway at %s: %s\n", o->socket,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	char line[512];
	snprintf(line, sizeof(line), "%s\n", req);
	if (write(fd, line, strlen(line)) < 0) {
		close(fd);
		return 1;
	}
	json_error_t je;
	*out = json_loadfd(fd, JSON_DISABLE_EOF_CHECK, &je);
	close(fd);
	if (!*out) {
		fprintf(stderr, "p2sctl: bad reply from the gateway: %s\n", je.text);
		return 1;
	}
	json_t *err = json_object_get(*out, "error");
	if (json_is_string(err)) {
		fprintf(stderr, "p2sctl: %s\n", json_string_value(err));
		json_decref(*out);
		return 1;
	}
	return 0;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
}

static int run_config_validate(const struct opts *o, char **args)
{
	(void)o;
	struct conf_errors errs = {0};
	struct gw_conf *c = conf_load_file(args[0], &errs);
	for (size_t i = 0; i < errs.n_warn; i++)
		printf("warning: %s\n", errs.warn[i]);
	for (size_t i = 0; i < errs.n; i++)
		printf("error: %s\n", errs.msg[i]);
	if (c)
		printf("%s: configuration is valid\n", args[0]);
	conf_errors_free(&errs);
	conf_free(c);
	return c ? 0 : 1;
}

static int run_gateway_show(const struct opts *o, char **args)
{
	(void)args;
	json_t *j;
	if (ask(o, "show", &j))
		return 1;
	print_json(j);
	json_decref(j);
	return 0;
}

static int run_session_list(const struct opts *o, char **args)
{
	(void)args;
	json_t *j;
	if (ask(o, "sessions", &j))
		return 1;
	if (strcmp(o->output, "json") == 0) {
		print_json(j);
	} else {
		printf("%-46s %-28s %-22s %-15s %12s %12s\n", "ID", "USER", "PUBLIC ADDRESS",
		       "VPN ADDRESS", "IN BYTES", "OUT BYTES");
		size_t i;
		json_t *s;
		json_array_foreach(j, i, s) {
			printf("%-46s %-28s %-22s %-15s %12lld %12lld\n",
			       json_string_value(json_object_get(s, "id")),
			       json_string_value(json_object_get(s, "userName")),
			       json_string_value(json_object_get(s, "publicAddress")),
			       json_string_value(json_object_get(s, "vpnClientAddress")),
			       json_integer_value(json_object_get(s, "ingressBytes")),
			       json_integer_value(json_object_get(s, "egressBytes")));
		}
	}
	json_decref(j);
	return 0;
}

static int run_session_disconnect(const struct opts *o, char **args)
{
	char req[300];
	snprintf(req, sizeof(req), "disconnect %s", args[0]);
	json_t *j;
	if (ask(o, req, &j))
		return 1;
	printf("disconnected %s\n", args[0]);
	json_decref(j);
	return 0;
}

static int run_reload(const struct opts *o, char **args)
{
	(void)args;
	json_t *j;
	if (ask(o, "reload", &j))
		return 1;
	printf("configuration reloaded\n");
	json_decref(j);
	return 0;
}

static const struct command commands[] = {
	{"config", "validate", 1, "FILE  check a configuration file", run_config_validate},
	{"gateway", "show", 0, "      the running gateway's SKU, limits and counts",
	 run_gateway_show},
	{"gateway", "reload", 0, "      re-read the configuration (as SIGHUP)", run_reload},
	{"session", "list", 0, "      connected clients", run_session_list},
	{"session", "disconnect", 1, "ID    end one client's session", run_session_disconnect},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: p2sctl [--socket PATH] [--output table|json] GROUP VERB [ARGS]\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s %s %s\n", commands[i].group, commands[i].verb, commands[i].help);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {{"socket", required_argument, NULL, 's'},
					      {"output", required_argument, NULL, 'o'},
					      {"help", no_argument, NULL, 'h'},
					      {NULL, 0, NULL, 0}};
	struct opts o = {.socket = "/var/lib/p2sgw/p2sgw.sock", .output = "table"};
	int c;
	while ((c = getopt_long(argc, argv, "+s:o:h", lopts, NULL)) != -1) {
		if (c == 's')
			o.socket = optarg;
		else if (c == 'o')
			o.output = optarg;
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	int left = argc - optind;
	for (size_t i = 0; left >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *cmd = &commands[i];
		if (strcmp(argv[optind], cmd->group) || strcmp(argv[optind + 1], cmd->verb))
			continue;
		if (left - 2 != cmd->nargs) {
			fprintf(stderr, "usage: p2sctl %s %s %s\n", cmd->group, cmd->verb, cmd->help);
			return 2;
		}
		return cmd->run(&o, argv + optind + 2);
	}
	usage(stderr);
	return 2;
}
