#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The main job: set up and build, generate a capture, and show the flows
# tflowd finds in it (offline mode: pcap timestamps drive every clock).
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
pcap=build/quickstart.pcap
build/tests/gen/tflow-pcapgen -o "$pcap" -t build/quickstart.truth \
	--flows 40 --packets 2000 --duration 90 --ipv6 0.25 --vlan 0.2
echo "== tflowd -r $pcap -o text -c tests/conf/quickstart.rsc"
build/tflowd -r "$pcap" -o text -c tests/conf/quickstart.rsc
echo "== the same flows as JSON (first 3 lines)"
build/tflowd -r "$pcap" -o json -c tests/conf/quickstart.rsc 2>/dev/null | head -n 3
