/* p2sgw.json(5), written from the schema tables so it cannot drift. */
#include <string.h>

#include "schema.h"

static void man_escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

static void man_values(FILE *out, const struct conf_field *f)
{
	if (f->values) {
		fputs(" One of:", out);
		for (const char *const *v = f->values; *v; v++)
			fprintf(out, " %s%s", *v, v[1] ? "," : ".");
	}
	if (f->flags) {
		fputs(" Any of:", out);
		for (const struct field_flag *fl = f->flags; fl->name; fl++)
			fprintf(out, " %s%s", fl->name, fl[1].name ? "," : ".");
	}
	if (f->type == F_UINT && (f->min || f->max))
		fprintf(out, " Range %u to %u.", f->min, f->max);
	if (f->restart)
		fputs(" A reload keeps the running value: it applies on restart.", out);
}

static void man_table(FILE *out, const struct conf_field *table, const char *path)
{
	for (const struct conf_field *f = table; f->name; f++) {
		if (f->type == F_IGNORED)
			continue;
		char p[256];
		snprintf(p, sizeof(p), "%s%s%s%s", path, path[0] ? "." : "", f->name,
			 f->type == F_ARRAY ? "[]" : "");
		if (f->type != F_OBJECT) {
			fputs(".TP\n.B ", out);
			man_escape(out, p);
			fprintf(out, "\n(%s%s%s) ", conf_type_name(f), f->def ? ", default " : "",
				f->def ? f->def : "");
			man_escape(out, f->doc ? f->doc : "");
			fputs(f->doc ? "." : "", out);
			man_values(out, f);
			fputc('\n', out);
		}
		if (f->sub && (f->type == F_OBJECT || f->type == F_ARRAY))
			man_table(out, f->sub, p);
	}
}

/* The Azure fields accepted from `az network vnet-gateway show` and unused. */
static void man_ignored(FILE *out, const struct conf_field *table, const char *path, int *n)
{
	for (const struct conf_field *f = table; f->name; f++) {
		char p[256];
		snprintf(p, sizeof(p), "%s%s%s%s", path, path[0] ? "." : "", f->name,
			 f->type == F_ARRAY ? "[]" : "");
		if (f->type == F_IGNORED) {
			fputs(*n ? ", " : "", out);
			man_escape(out, p);
			(*n)++;
		}
		if (f->sub)
			man_ignored(out, f->sub, p, n);
	}
}

void conf_schema_man(FILE *out)
{
	fputs(".TH P2SGW.JSON 5 \"\" \"p2sgw\" \"File Formats\"\n"
	      ".SH NAME\np2sgw.json \\- configuration resource of the p2sgw VPN gateway\n"
	      ".SH DESCRIPTION\nA JSON object with the field names of Azure's "
	      "VirtualNetworkGateway and vpnClientConfiguration resources, plus the host "
	      "settings Azure manages for its users. The ARM form, with fields nested under "
	      "\\fBproperties\\fR, is accepted too. Unknown fields are errors; every error "
	      "names the JSON path of the field and the rule it breaks.\n"
	      ".SH FIELDS\n",
	      out);
	man_table(out, conf_schema_root, "");
	fputs(".SH AZURE EXPORT\nThe JSON that \\fBaz network vnet\\-gateway show\\fR prints is "
	      "accepted as it is: null stands for an unset field, \\fBsku\\fR may be "
	      "{name, tier, capacity}, and these Azure fields, with the resource metadata "
	      "(id, etag, type, location, tags, provisioningState, resourceGroup, resourceGuid) "
	      "of every object, are accepted, unused, and listed in one warning: ",
	      out);
	int n = 0;
	man_ignored(out, conf_schema_root, "", &n);
	fputs(". Any other unknown field is an error. Without gatewayFqdn, such an export "
	      "takes this host's name, with a warning. "
	      "\\fBp2sctl config import\\fR writes the p2sgw form.\n",
	      out);
	fputs(".SH SEE ALSO\n.BR p2sgw (8),\n.BR p2sctl (8)\n", out);
}
