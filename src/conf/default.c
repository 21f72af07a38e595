#include "conf.h"

/* What `make run` brings up: a gateway that makes its own PKI in
 * stateDirectory and accepts the demo client certificate it issues. */
const char conf_embedded_default[] =
	"{\n"
	"  \"name\": \"p2sgw-demo\",\n"
	"  \"sku\": \"VpnGw1\",\n"
	"  \"vpnGatewayGeneration\": \"Generation1\",\n"
	"  \"vpnType\": \"RouteBased\",\n"
	"  \"gatewayFqdn\": \"p2sgw.example.net\",\n"
	"  \"stateDirectory\": \"/var/lib/p2sgw\",\n"
	"  \"listen\": {\"address\": \"0.0.0.0\", \"tcpPort\": 443, \"udpPort\": 1194},\n"
	"  \"virtualNetwork\": {\"addressSpace\": [\"10.1.0.0/16\"]},\n"
	"  \"tunInterface\": \"p2s0\",\n"
	"  \"vpnClientConfiguration\": {\n"
	"    \"vpnClientAddressPool\": {\"addressPrefixes\": [\"172.16.201.0/24\"]},\n"
	"    \"vpnClientProtocols\": [\"OpenVPN\"],\n"
	"    \"vpnAuthenticationTypes\": [\"Certificate\"]\n"
	"  }\n"
	"}\n";
