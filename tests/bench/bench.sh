#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `make bench`: figures next to the targets of PRODUCT.md, and softflowd on
# the same pcaps in the same run when it is installed.  Not a timed test:
# it prints, it does not fail on a slow machine.
#
#   cache-resident   10k flows, Zipf popularity: packets/s of tflowd -r
#   high-churn       1M short flows (each lives a moment): packets/s
#   memory           RSS with 1M entries minus RSS with 1k, per entry
#
# Workloads are generated once into $TFLOW_BENCH_DIR (default
# build/bench-data) and reused.  softflowd exports to 127.0.0.1:9 (discard
# port on loopback; nothing leaves the machine).
set -eu
B=${1:-$(pwd)}
D=${TFLOW_BENCH_DIR:-$B/bench-data}
RUNS=${TFLOW_BENCH_RUNS:-3}
GEN=$B/tests/gen/tflow-pcapgen
TFLOWD=$B/tflowd
mkdir -p "$D"

gen() {	# name, generator arguments...
	name=$1; shift
	[ -s "$D/$name.pcap" ] || "$GEN" -o "$D/$name.pcap" "$@" 2>/dev/null
}

. "$(dirname "$0")/lib.sh"

stat_field() {	# stats line on stderr, field name
	sed -n "s/.* $1=\([0-9]*\).*/\1/p" | tail -n 1
}

conf() {	# cache entries -> config file path
	f="$D/bench-$1.rsc"
	printf '/ip traffic-flow\nset cache-entries=%s active-flow-timeout=30m inactive-flow-timeout=15s\n' "$1" > "$f"
	echo "$f"
}

command -v bc >/dev/null || { echo "bench: needs bc (apt-get install bc)"; exit 1; }

echo "== generating workloads in $D (once)"
gen resident --flows 10000 --packets 4000000 --zipf 1.0 --ipv6 0.2 --vlan 0.1 --duration 60 --seed 11
gen churn --flows 1000000 --packets 4000000 --churn --zipf 0 --ipv6 0.2 --duration 60 --seed 12
gen fill10 --flows 1100000 --packets 1100000 --zipf 0 --tcp 0 --udp 1 --no-fin --duration 10 --seed 13
gen tiny --flows 10 --packets 1000 --duration 10 --seed 14

have_softflowd=no
command -v softflowd >/dev/null && have_softflowd=yes

row() {	# label, pcap, packets, cache entries
	label=$1; pcap=$2; pkts=$3; entries=$4
	cf=$(conf "$entries")
	t=$(best_time "$TFLOWD" -c "$cf" -r "$pcap")
	pps=$(echo "$pkts / $t" | bc -l)
	printf '%-16s tflowd    %8.2f M packets/s  (%.3f s for %s packets, cache-entries=%s)\n' \
		"$label" "$(echo "$pps / 1000000" | bc -l)" "$t" "$pkts" "$entries"
	if [ $have_softflowd = yes ]; then
		# -c none: with -r and a control socket softflowd 1.1.0 blocks in
		# accept() before reading (tests/integ/peers.sh); a time limit
		# so the benchmark always ends.
		ts=$(best_time timeout 300 softflowd -d -r "$pcap" -n 127.0.0.1:9 -m "$entries" -v 9 -6 -p "$D/softflowd.pid" -c none)
		spps=$(echo "$pkts / $ts" | bc -l)
		printf '%-16s softflowd %8.2f M packets/s  (%.3f s)   tflowd/softflowd = %.1fx\n' \
			"$label" "$(echo "$spps / 1000000" | bc -l)" "$ts" "$(echo "$pps / $spps" | bc -l)"
	else
		printf '%-16s softflowd not installed (apt-get install softflowd): no side-by-side figure\n' "$label"
	fi
}

echo
echo "== offline flow processing (tflowd -r), best of $RUNS"
echo "   targets: >= 12 M packets/s cache-resident (>= 3x softflowd), >= 10x softflowd high-churn"
row cache-resident "$D/resident.pcap" 4000000 65536
row high-churn "$D/churn.pcap" 4000000 65536

echo
echo "== memory per cache entry (target <= 128 bytes; 1M entries in <= 160 MiB RSS)"
big=$("$TFLOWD" -c "$(conf 1M)" -r "$D/fill10.pcap" 2>&1 >/dev/null | stat_field maxrss_kb)
small=$("$TFLOWD" -c "$(conf 1k)" -r "$D/tiny.pcap" 2>&1 >/dev/null | stat_field maxrss_kb)
evicted=$("$TFLOWD" -c "$(conf 1M)" -r "$D/fill10.pcap" 2>&1 >/dev/null | stat_field evicted)
per=$(echo "($big - $small) * 1024 / (1048576 - 1024)" | bc -l)
printf 'RSS with 1M entries (all in use, %s evicted): %d KiB = %.1f MiB\n' "$evicted" "$big" "$(echo "$big / 1024" | bc -l)"
printf 'RSS with 1k entries:                          %d KiB = %.1f MiB\n' "$small" "$(echo "$small / 1024" | bc -l)"
printf 'bytes per cache entry:                        %.1f\n' "$per"

echo
echo "== export rate: records/s encoded and sent, unpaced, to 127.0.0.1:9 (discard)"
# The same run without targets is subtracted, so the rate is the export's.
t0=$(now)
"$TFLOWD" -c "$(conf 65536)" -r "$D/churn.pcap" >/dev/null 2>&1
t1=$(now)
base=$(echo "$t1 - $t0" | bc -l)
for v in 5 9 ipfix; do
	f="$D/bench-export-$v.rsc"
	printf '/ip traffic-flow\nset cache-entries=65536\n/ip traffic-flow target\nadd dst-address=127.0.0.1 port=9 version=%s\n' "$v" > "$f"
	t0=$(now)
	out=$(TFLOWD_OFFLINE_PPS=0 "$TFLOWD" -c "$f" -r "$D/churn.pcap" 2>&1 >/dev/null)
	t1=$(now)
	recs=$(echo "$out" | sed -n 's/.*target .* records=\([0-9]*\).*/\1/p')
	dg=$(echo "$out" | sed -n 's/.*target .* datagrams=\([0-9]*\).*/\1/p')
	t=$(echo "$t1 - $t0 - $base" | bc -l)
	printf 'version %-6s %8d records in %6d datagrams, %.3f s over the run without export: %.2f M records/s\n' \
		"$v" "$recs" "$dg" "$t" "$(echo "$recs / $t / 1000000" | bc -l)"
done

echo
sh "$(dirname "$0")/collector.sh" "$B"

# Live capture off a veth pair (root only; it says so and returns otherwise).
bash "$(dirname "$0")/live.sh" "$B"
sh "$(dirname "$0")/query.sh" "$B"
