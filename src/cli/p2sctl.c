/* p2sctl: the control CLI, az-like "GROUP VERB --option value". One table of
 * subcommands; each works on the configuration file, on files it makes, or
 * asks the running gateway over its control socket. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "conf/conf.h"

#define DEFAULT_CONFIG "/etc/p2sgw/gateway.json"

struct command {
	const char *group;
	const char *verb;
	const char *usage;
	int (*run)(const struct opts *o, const struct args *a);
};

const char *arg_get(const struct args *a, const char *name)
{
	for (int i = 0; i + 1 < a->argc; i++)
		if (strcmp(a->argv[i], name) == 0)
			return a->argv[i + 1];
	return NULL;
}

bool arg_flag(const struct args *a, const char *name)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], name) == 0)
			return true;
	return false;
}

const char *arg_need(const struct args *a, const char *name)
{
	const char *v = arg_get(a, name);
	if (!v)
		fprintf(stderr, "p2sctl: %s is required\n", name);
	return v;
}

/* The socket: --socket, else the configuration's, else the default's. */
static void socket_path(const struct opts *o, char *out, size_t cap)
{
	if (o->socket) {
		snprintf(out, cap, "%s", o->socket);
		return;
	}
	struct conf_errors errs = {0};
	struct gw_conf *c = conf_load_file(o->config, &errs);
	conf_errors_free(&errs);
	if (c && c->control_socket)
		snprintf(out, cap, "%s", c->control_socket);
	else
		snprintf(out, cap, "%s/p2sgw.sock", c ? c->state_dir : "/var/lib/p2sgw");
	conf_free(c);
}

int cli_ask(const struct opts *o, const char *req, json_t **out, bool quiet)
{
	char path[108];
	socket_path(o, path, sizeof(path));
	*out = NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (!quiet)
			fprintf(stderr, "p2sctl: cannot reach the gateway at %s: %s\n", path,
				strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	char line[512];
	snprintf(line, sizeof(line), "%s\n", req);
	json_error_t je;
	if (write(fd, line, strlen(line)) == (ssize_t)strlen(line))
		*out = json_loadfd(fd, JSON_DISABLE_EOF_CHECK, &je);
	close(fd);
	if (!*out) {
		fprintf(stderr, "p2sctl: no valid reply from the gateway\n");
		return 1;
	}
	json_t *err = json_object_get(*out, "error");
	if (json_is_string(err)) {
		fprintf(stderr, "p2sctl: %s\n", json_string_value(err));
		json_decref(*out);
		*out = NULL;
		return 1;
	}
	return 0;
}

void cli_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", s);
	free(s);
}

static int cmd_config_validate(const struct opts *o, const struct args *a)
{
	const char *file = a->argc ? a->argv[0] : o->config;
	struct conf_errors errs = {0};
	struct gw_conf *c = conf_load_file(file, &errs);
	for (size_t i = 0; i < errs.n_warn; i++)
		printf("warning: %s\n", errs.warn[i]);
	for (size_t i = 0; i < errs.n; i++)
		printf("error: %s\n", errs.msg[i]);
	if (c)
		printf("%s: configuration is valid\n", file);
	conf_errors_free(&errs);
	conf_free(c);
	return c ? 0 : 1;
}

/* Writes text to path through a temporary file (mode 0600: it may hold
 * RADIUS secrets), so a reader never sees half of it. */
static int write_new_file(const char *path, const char *text)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return -err;
	}
	bool ok = fprintf(f, "%s\n", text) > 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		int err = errno ? errno : EIO;
		unlink(tmp);
		return -err;
	}
	return 0;
}

/* Azure's export (or any accepted form) to the p2sgw form, for editing. */
static int cmd_config_import(const struct opts *o, const struct args *a)
{
	(void)o;
	const char *out = arg_need(a, "--out");
	if (!out || a->argc < 1 || a->argv[0][0] == '-')
		return 2;
	struct conf_errors errs = {0};
	struct gw_conf *c = conf_load_file(a->argv[0], &errs);
	for (size_t i = 0; i < errs.n_warn; i++)
		fprintf(stderr, "warning: %s\n", errs.warn[i]);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "error: %s\n", errs.msg[i]);
	conf_errors_free(&errs);
	if (c && !c->control_socket &&
	    asprintf(&c->control_socket, "%s/p2sgw.sock", c->state_dir) < 0)
		c->control_socket = NULL; /* the default, derived: spelled out for editing */
	char *text = c ? conf_dump(c) : NULL;
	conf_free(c);
	if (!text)
		return 1;
	int r = write_new_file(out, text);
	free(text);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", out, strerror(-r));
		return 1;
	}
	printf("%s: written from %s\n", out, a->argv[0]);
	return 0;
}

static int cmd_config_man(const struct opts *o, const struct args *a)
{
	(void)o;
	(void)a;
	conf_schema_man(stdout);
	return 0;
}

static void show_table(json_t *j)
{
	json_t *lim = json_object_get(j, "connectionLimits");
	json_t *con = json_object_get(j, "connections");
	printf("name                 %s\nsku                  %s (%s)\ngatewayFqdn          %s\n"
	       "limit SSTP           %lld\nlimit IkeV2+OpenVPN  %lld\nOpenVPN connections  %lld\n"
	       "handshaking          %lld\nfree pool addresses  %lld\n",
	       json_string_value(json_object_get(j, "name")),
	       json_string_value(json_object_get(j, "sku")),
	       json_string_value(json_object_get(j, "vpnGatewayGeneration")),
	       json_string_value(json_object_get(j, "gatewayFqdn")),
	       json_integer_value(json_object_get(lim, "SSTP")),
	       json_integer_value(json_object_get(lim, "IkeV2AndOpenVPN")),
	       json_integer_value(json_object_get(con, "OpenVPN")),
	       json_integer_value(json_object_get(con, "handshaking")),
	       json_integer_value(json_object_get(j, "freePoolAddresses")));
}

/* Asks the gateway; prints its reply as JSON with --output json, else with
 * table(), or the line done when the reply carries nothing to show. */
static int ask_render(const struct opts *o, const char *req, void (*table)(json_t *),
		      const char *done)
{
	json_t *j;
	if (cli_ask(o, req, &j, false))
		return 1;
	if (strcmp(o->output, "json") == 0)
		cli_print_json(j);
	else if (table)
		table(j);
	else
		printf("%s\n", done);
	json_decref(j);
	return 0;
}

static int cmd_gateway_show(const struct opts *o, const struct args *a)
{
	(void)a;
	return ask_render(o, "show", show_table, NULL);
}

static void reload_table(json_t *j)
{
	const char *note = json_string_value(json_object_get(j, "restartNeeded"));
	printf("configuration reloaded\n");
	if (note)
		printf("not applied until a restart: %s\n", note);
}

static int cmd_gateway_reload(const struct opts *o, const struct args *a)
{
	(void)a;
	return ask_render(o, "reload", reload_table, NULL);
}

static void session_row(json_t *s)
{
	printf("%-46s %-28s %-16s %-22s %-15s %12lld %12lld\n",
	       json_string_value(json_object_get(s, "id")),
	       json_string_value(json_object_get(s, "userName")),
	       json_string_value(json_object_get(s, "group")),
	       json_string_value(json_object_get(s, "publicAddress")),
	       json_string_value(json_object_get(s, "vpnClientAddress")),
	       json_integer_value(json_object_get(s, "ingressBytes")),
	       json_integer_value(json_object_get(s, "egressBytes")));
}

static void sessions_table(json_t *j)
{
	printf("%-46s %-28s %-16s %-22s %-15s %12s %12s\n", "ID", "USER", "GROUP", "PUBLIC ADDRESS",
	       "VPN ADDRESS", "IN BYTES", "OUT BYTES");
	size_t i;
	json_t *s;
	json_array_foreach(j, i, s) session_row(s);
}

static int cmd_session_list(const struct opts *o, const struct args *a)
{
	(void)a;
	return ask_render(o, "sessions", sessions_table, NULL);
}

static int cmd_session_disconnect(const struct opts *o, const struct args *a)
{
	const char *id = arg_need(a, "--id");
	if (!id)
		return 2;
	char req[300], done[320];
	snprintf(req, sizeof(req), "disconnect %s", id);
	snprintf(done, sizeof(done), "disconnected %s", id);
	return ask_render(o, req, NULL, done);
}

static const struct command commands[] = {
	{"config", "validate", "[FILE]", cmd_config_validate},
	{"config", "man", "", cmd_config_man},
	{"config", "import", "FILE --out OUT", cmd_config_import},
	{"gateway", "show", "", cmd_gateway_show},
	{"gateway", "reload", "", cmd_gateway_reload},
	{"session", "list", "", cmd_session_list},
	{"session", "disconnect", "--id ID", cmd_session_disconnect},
	{"root-cert", "add", "--name N --file F", cmd_root_add},
	{"root-cert", "list", "", cmd_root_list},
	{"root-cert", "remove", "--name N", cmd_root_remove},
	{"revoked", "add", "--name N (--thumbprint T | --cert F)", cmd_revoked_add},
	{"revoked", "list", "", cmd_revoked_list},
	{"revoked", "remove", "--name N", cmd_revoked_remove},
	{"pki", "create-root", "--name CN --out DIR [--key-type rsa|ec] [--days N]",
	 cmd_pki_create_root},
	{"pki", "issue-client",
	 "--root DIR --cn user@domain --out DIR [--p12 [--password P]] [--key-type rsa|ec]",
	 cmd_pki_issue_client},
	{"profile", "generate", "--output FILE.zip [--client-cert F --client-key F]",
	 cmd_profile_generate},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: p2sctl [--config FILE] [--socket PATH] [--output table|json] GROUP "
		   "VERB [OPTIONS]\n  --config defaults to " DEFAULT_CONFIG "\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s %s %s\n", commands[i].group, commands[i].verb, commands[i].usage);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {{"config", required_argument, NULL, 'c'},
					      {"socket", required_argument, NULL, 's'},
					      {"output", required_argument, NULL, 'o'},
					      {"help", no_argument, NULL, 'h'},
					      {NULL, 0, NULL, 0}};
	struct opts o = {.config = DEFAULT_CONFIG, .output = "table"};
	int c;
	while ((c = getopt_long(argc, argv, "+c:s:o:h", lopts, NULL)) != -1) {
		if (c == 'c')
			o.config = optarg;
		else if (c == 's')
			o.socket = optarg;
		else if (c == 'o' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			o.output = optarg;
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (argc - optind >= 2)
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
			const struct command *cmd = &commands[i];
			if (strcmp(argv[optind], cmd->group) || strcmp(argv[optind + 1], cmd->verb))
				continue;
			struct args a = {argc - optind - 2, argv + optind + 2};
			int r = cmd->run(&o, &a);
			if (r == 2)
				fprintf(stderr, "usage: p2sctl %s %s %s\n", cmd->group, cmd->verb,
					cmd->usage);
			return r;
		}
	usage(stderr);
	return 2;
}
