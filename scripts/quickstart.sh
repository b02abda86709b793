#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The main job: set up and build, start tflow-collector on loopback, let
# tflowd count a generated capture into flows and export them as NetFlow v9
# (offline mode: the pcap timestamps drive every clock), and show the flows
# arriving at the collector.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
pcap=build/quickstart.pcap
build/tests/gen/tflow-pcapgen -o "$pcap" -t build/quickstart.truth \
	--flows 40 --packets 2000 --duration 90 --ipv6 0.25 --vlan 0.2

echo "== tflow-collector --listen 127.0.0.1:29955 --format text"
build/tflow-collector --listen 127.0.0.1:29955 --format text \
	> build/quickstart.flows 2> build/quickstart.report &
collector=$!
trap 'kill "$collector" 2>/dev/null || true' EXIT
sleep 1

echo "== tflowd -c tests/conf/quickstart.rsc -r $pcap"
build/tflowd -c tests/conf/quickstart.rsc -r "$pcap"
sleep 1
kill -INT "$collector"
wait "$collector" || true
trap - EXIT

echo "== flows that arrived at the collector"
cat build/quickstart.flows
echo "== the collector's report"
cat build/quickstart.report
