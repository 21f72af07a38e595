#!/bin/bash
# The IKEv2 lab (ikev2.sh) against strongSwan's own responder instead of
# p2sgw: proves in every `make check` that the lab itself works (namespaces,
# PKI, FreeRADIUS, NAT, the prober, the flood) with real peers on both sides,
# so an IKEv2 case failing against p2sgw points at p2sgw. Case names carry
# the prefix "reference-".
#   tests/e2e/ikev2-reference.sh [BUILD_DIR]
set -o pipefail
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")" || exit 2
P2S_LAB_GATEWAY=strongswan bash ./ikev2.sh "$BUILD" 2>&1 |
	sed -u -E 's/^(PASS|FAIL|SKIP): /\1: reference-/'
