/* Windows PowerShell script for the built-in VPN client: the IKEv2
 * connection with exactly the gateway's IPsec policy
 * (Set-VpnConnectionIPsecConfiguration), split tunnelling with the gateway's
 * routes, and an SSTP connection beside it when SSTP is enabled. */
#include <stdio.h>
#include <stdlib.h>

#include "lib/net.h"
#include "profile.h"

/* A PowerShell single-quoted string: only ' needs doubling. */
static void ps_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if (*s != '\n' && *s != '\r')
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void routes(FILE *f, const struct gw_conf *c, const char *conn)
{
	const struct prefix_list *lists[] = {&c->vnet, &c->routes};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < lists[k]->n; i++) {
			char a[16], prefix[24];
			ip4_str(lists[k]->v[i].addr, a);
			snprintf(prefix, sizeof(prefix), "%s/%u", a, lists[k]->v[i].len);
			fputs("Add-VpnConnectionRoute -ConnectionName ", f);
			ps_quoted(f, conn);
			fputs(" -DestinationPrefix ", f);
			ps_quoted(f, prefix);
			fputs("\n", f);
		}
}

static void add_connection(FILE *f, const struct gw_conf *c, const char *conn, bool sstp)
{
	bool cert = c->auth_types & AUTH_CERTIFICATE;
	const char *auth =
		!sstp  ? (cert ? "MachineCertificate" : "Eap")
		: cert ? "Eap -EapConfigXmlStream "
			 "(New-EapConfiguration -Tls -UserCertificate).EapConfigXmlStream"
		       : "MSChapv2";
	fputs("Add-VpnConnection -Name ", f);
	ps_quoted(f, conn);
	fputs(" -ServerAddress ", f);
	ps_quoted(f, c->fqdn);
	fprintf(f,
		" -TunnelType %s -AuthenticationMethod %s -EncryptionLevel Required "
		"-SplitTunneling -RememberCredential -Force\n",
		sstp ? "Sstp" : "Ikev2", auth);
}

static void ipsec_configuration(FILE *f, const struct gw_conf *c, const char *conn)
{
	struct profile_policy p;
	profile_policy_get(c, &p);
	fputs("Set-VpnConnectionIPsecConfiguration -ConnectionName ", f);
	ps_quoted(f, conn);
	fprintf(f,
		" -AuthenticationTransformConstants %s -CipherTransformConstants %s "
		"-EncryptionMethod %s -IntegrityCheckMethod %s -DHGroup %s -PfsGroup %s -Force\n",
		profile_policy_name(POLICY_ESP_INTEGRITY, p.ipsec_int, CLIENT_WINDOWS),
		profile_policy_name(POLICY_CIPHER, p.ipsec_enc, CLIENT_WINDOWS),
		profile_policy_name(POLICY_CIPHER, p.ike_enc, CLIENT_WINDOWS),
		profile_policy_name(POLICY_IKE_INTEGRITY, p.ike_int, CLIENT_WINDOWS),
		profile_policy_name(POLICY_DH, p.dh, CLIENT_WINDOWS),
		profile_policy_name(POLICY_PFS, p.pfs, CLIENT_WINDOWS));
}

/* Configuration text in a comment: control characters (a newline would end
 * the comment and start code) become spaces. */
static void comment_text(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, f);
}

static void header(FILE *f, const struct gw_conf *c, bool cert)
{
	fputs("# VPN connections to ", f);
	comment_text(f, c->fqdn);
	fputs(" (", f);
	comment_text(f, c->name);
	fputs(") for the Windows built-in client.\n"
	      "# Run in PowerShell: powershell -ExecutionPolicy Bypass -File "
	      "AddVpnConnection.ps1\n"
	      "# Importing the gateway root (Generic\\VpnServerRoot.cer) needs an elevated "
	      "prompt.\n",
	      f);
	if (cert)
		fputs("# Certificate authentication: import your client certificate first, for "
		      "IKEv2 into\n# Local Computer\\Personal:\n#   Import-PfxCertificate "
		      "-FilePath you.pfx -CertStoreLocation Cert:\\LocalMachine\\My\n"
		      "# and for SSTP (EAP-TLS) into Current User\\Personal "
		      "(Cert:\\CurrentUser\\My).\n",
		      f);
	fputs("$ErrorActionPreference = 'Stop'\n"
	      "$root = Join-Path $PSScriptRoot '..\\Generic\\VpnServerRoot.cer'\n"
	      "if (Test-Path $root) {\n"
	      "    Import-Certificate -FilePath $root -CertStoreLocation Cert:\\LocalMachine\\Root "
	      "| Out-Null\n}\n",
	      f);
}

char *profile_windows_ps1(const struct profile_input *in)
{
	const struct gw_conf *c = in->conf;
	bool ike = c->protocols & PROTO_IKEV2, sstp = c->protocols & PROTO_SSTP;
	if ((!ike && !sstp) || !(c->auth_types & (AUTH_CERTIFICATE | AUTH_RADIUS)))
		return NULL;
	char *out = NULL, sstp_name[300];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	header(f, c, c->auth_types & AUTH_CERTIFICATE);
	if (ike) {
		fputs("\n# IKEv2, with the gateway's IKE/IPsec policy.\n", f);
		add_connection(f, c, c->name, false);
		ipsec_configuration(f, c, c->name);
		routes(f, c, c->name);
	}
	if (sstp) {
		snprintf(sstp_name, sizeof(sstp_name), "%s (SSTP)", c->name);
		fputs("\n# SSTP over TCP 443, for networks that let only HTTPS out.\n", f);
		add_connection(f, c, sstp_name, true);
		routes(f, c, sstp_name);
	}
	fclose(f);
	return out;
}
