/* The commands that ask the running gateway: its state, reload, refusals,
 * metrics, sessions and disconnects, the profile package; and removing
 * the point-to-site configuration. Output: table (default), json or tsv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static bool is(const struct opts *o, const char *fmt)
{
	return strcmp(o->output, fmt) == 0;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Asks; prints JSON with --output json, else with render(). */
static int ask_render(const struct opts *o, const char *cmd, json_t *args,
		      void (*render)(const struct opts *o, json_t *j))
{
	json_t *j;
	if (cli_ask(o, cmd, args, &j, false))
		return 1;
	if (is(o, "json"))
		cli_print_json(j);
	else
		render(o, j);
	json_decref(j);
	return 0;
}

static void show_table(const struct opts *o, json_t *j)
{
	(void)o;
	json_t *lim = json_object_get(j, "connectionLimits");
	json_t *con = json_object_get(j, "connections");
	printf("name                 %s\nsku                  %s (%s)\ngatewayFqdn          %s\n"
	       "point-to-site        %s\nlimit SSTP           %lld\nlimit IkeV2+OpenVPN  %lld\n"
	       "connections          OpenVPN %lld, IKEv2 %lld, SSTP %lld\n"
	       "handshaking          %lld\nfree pool addresses  %lld\n",
	       str(j, "name"), str(j, "sku"), str(j, "vpnGatewayGeneration"), str(j, "gatewayFqdn"),
	       json_is_true(json_object_get(j, "pointToSiteConfigured")) ? "configured" : "removed",
	       num(lim, "SSTP"), num(lim, "IkeV2AndOpenVPN"), num(con, "OpenVPN"),
	       num(con, "IKEv2"), num(con, "SSTP"), num(j, "handshaking"),
	       num(j, "freePoolAddresses"));
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(j, "pools"), i, p) printf(
		"pool %-15s %lld of %lld used\n", str(p, "name"), num(p, "used"), num(p, "size"));
	json_t *dp = json_object_get(j, "dataPlane");
	if (!dp)
		return;
	printf("data-plane workers   %lld (hand-off drops %lld, cross-worker packets %lld)\n",
	       num(dp, "workers"), num(dp, "handoffDrops"), num(dp, "crossWorkerPackets"));
	json_array_foreach(json_object_get(dp, "perWorker"), i, p) printf(
		"worker %-13lld %lld sessions, %lld lane packets in, %lld coalesced\n",
		num(p, "worker"), num(p, "sessions"), num(p, "lanePacketsIn"), num(p, "coalesced"));
}

int cmd_gateway_show(const struct opts *o, const struct args *a)
{
	(void)a;
	return ask_render(o, "gateway.show", NULL, show_table);
}

static void reload_table(const struct opts *o, json_t *j)
{
	(void)o;
	printf("configuration reloaded\n");
	if (*str(j, "restartNeeded"))
		printf("not applied until a restart: %s\n", str(j, "restartNeeded"));
}

int cmd_gateway_reload(const struct opts *o, const struct args *a)
{
	(void)a;
	return ask_render(o, "gateway.reload", NULL, reload_table);
}

static void refusals_table(const struct opts *o, json_t *j)
{
	(void)o;
	const char *k;
	json_t *v;
	printf("%lld refusal(s)\n", num(j, "total"));
	json_object_foreach(json_object_get(j, "byReason"), k, v)
		printf("%8lld  %s\n", json_integer_value(v), k);
	size_t i;
	json_array_foreach(json_object_get(j, "recent"), i, v)
		printf("%s %-8s %-28s %s\n", str(v, "time"), str(v, "protocol"), str(v, "user"),
		       str(v, "reason"));
}

int cmd_gateway_refusals(const struct opts *o, const struct args *a)
{
	(void)a;
	return ask_render(o, "gateway.refusals", NULL, refusals_table);
}

int cmd_gateway_metrics(const struct opts *o, const struct args *a)
{
	(void)a;
	char *data;
	size_t len;
	int r = cli_ask_raw(o, "metrics", NULL, &data, &len, false);
	if (r == 0)
		fwrite(data, 1, len, stdout);
	free(data);
	return r;
}

/* The columns of session list, in Azure's names. */
static const char *const cols[] = {"vpnConnectionId",
				   "vpnUserName",
				   "protocol",
				   "authenticationType",
				   "group",
				   "publicIpAddress",
				   "privateIpAddress",
				   "vpnConnectionTime",
				   "vpnConnectionDuration",
				   "ingressBytesTransferred",
				   "egressBytesTransferred",
				   "ingressPacketsTransferred",
				   "egressPacketsTransferred",
				   "maxBandwidth",
				   "maxPacketsPerSecond",
				   "cipher",
				   NULL};

static void cell(json_t *v, char *out, size_t cap)
{
	if (json_is_integer(v))
		snprintf(out, cap, "%lld", json_integer_value(v));
	else
		snprintf(out, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
}

static void sessions_tsv(json_t *j)
{
	for (int c = 0; cols[c]; c++)
		printf("%s%s", c ? "\t" : "", cols[c]);
	printf("\n");
	size_t i;
	json_t *s;
	json_array_foreach(j, i, s)
	{
		for (int c = 0; cols[c]; c++) {
			char v[300];
			cell(json_object_get(s, cols[c]), v, sizeof(v));
			printf("%s%s", c ? "\t" : "", v);
		}
		printf("\n");
	}
}

static void sessions_table(const struct opts *o, json_t *j)
{
	if (is(o, "tsv")) {
		sessions_tsv(j);
		return;
	}
	printf("%-46s %-26s %-8s %-11s %-21s %-15s %8s %12s %12s %10s %6s\n", "ID", "USER", "PROTO",
	       "AUTH", "PUBLIC ADDRESS", "VPN ADDRESS", "SECONDS", "IN BYTES", "OUT BYTES",
	       "MAX BPS", "MAXPPS");
	size_t i;
	json_t *s;
	json_array_foreach(j, i, s)
		printf("%-46s %-26s %-8s %-11s %-21s %-15s %8lld %12lld %12lld %10lld %6lld\n",
		       str(s, "vpnConnectionId"), str(s, "vpnUserName"), str(s, "protocol"),
		       str(s, "authenticationType"), str(s, "publicIpAddress"),
		       str(s, "privateIpAddress"), num(s, "vpnConnectionDuration"),
		       num(s, "ingressBytesTransferred"), num(s, "egressBytesTransferred"),
		       num(s, "maxBandwidth"), num(s, "maxPacketsPerSecond"));
}

int cmd_session_list(const struct opts *o, const struct args *a)
{
	json_t *args = json_object();
	const char *user = arg_get(a, "--user"), *proto = arg_get(a, "--protocol");
	if (user)
		json_object_set_new(args, "user", json_string(user));
	if (proto)
		json_object_set_new(args, "protocol", json_string(proto));
	return ask_render(o, "session.list", args, sessions_table);
}

static void disconnect_table(const struct opts *o, json_t *j)
{
	(void)o;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "disconnected"), i, v)
		printf("disconnected %s\n", json_string_value(v));
}

/* --id (repeatable, or comma-separated) and/or --user. */
int cmd_session_disconnect(const struct opts *o, const struct args *a)
{
	json_t *ids = json_array();
	for (int i = 0; i + 1 < a->argc; i++) {
		if (strcmp(a->argv[i], "--id") != 0)
			continue;
		char *copy = strdup(a->argv[i + 1]), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(ids, json_string(t));
		free(copy);
	}
	const char *user = arg_get(a, "--user");
	if (!json_array_size(ids) && !user) {
		fprintf(stderr, "p2sctl: --id or --user is required\n");
		json_decref(ids);
		return 2;
	}
	json_t *args = json_pack("{s:o}", "ids", ids);
	if (user)
		json_object_set_new(args, "user", json_string(user));
	return ask_render(o, "session.disconnect", args, disconnect_table);
}

int cmd_profile_download(const struct opts *o, const struct args *a)
{
	const char *out = arg_need(a, "--output");
	if (!out)
		return 2;
	char *data;
	size_t len;
	int r = cli_ask_raw(o, "profile.package", NULL, &data, &len, false);
	FILE *f = r == 0 ? fopen(out, "wb") : NULL;
	if (r == 0 && (!f || fwrite(data, 1, len, f) != len)) {
		fprintf(stderr, "p2sctl: cannot write %s\n", out);
		r = 1;
	}
	if (f && fclose(f) != 0)
		r = 1;
	if (r == 0)
		printf("profile package: %s (%zu bytes)\n", out, len);
	free(data);
	return r;
}

/* Azure's "remove the configuration of a P2S connection": the
 * vpnClientConfiguration object goes; the gateway then ends every P2S
 * session and closes its tunnel listeners. */
int cmd_config_remove_p2s(const struct opts *o, const struct args *a)
{
	(void)a;
	json_t *root = edit_load(o);
	if (!root)
		return 1;
	json_t *props = json_object_get(root, "properties");
	json_t *base = json_is_object(props) ? props : root;
	if (!json_object_get(base, "vpnClientConfiguration")) {
		fprintf(stderr, "p2sctl: %s has no vpnClientConfiguration\n", o->config);
		json_decref(root);
		return 1;
	}
	json_object_del(base, "vpnClientConfiguration");
	int r = edit_commit(o, root);
	json_decref(root);
	return r;
}
