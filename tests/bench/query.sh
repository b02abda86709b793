#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Query benchmark (run by `make bench`): store write rate, bytes per record
# on disk, tflow-query's scan rate for a filter, aggregation rate by
# protocol, and top-N by source address over 10M distinct addresses with
# its peak RSS, next to the targets of PRODUCT.md and issue 7, and nfdump
# 1.7 on the same records in the same run when it is installed.  Figures,
# not a timed test: it never fails on a slow machine.
#
# Three stores of $N records each are generated once into $D by
# tflow-storegen, straight through store_writer (the collector's writer):
#   typical    --mix typical: 65536 subscribers (activity log-uniform) and
#              Zipf-popular servers, both directions of each answered
#              connection, in last-packet order (docs/design/storage.md,
#              "Typical traffic")
#   uniform    --mix uniform: every field uniform, one direction only (a
#              worst case for the size on disk; only its size is shown)
#   distinct   $N distinct source addresses (at most 16M), uniform mix
# The same records are written as NetFlow v9 datagrams and replayed over
# loopback into nfcapd (paced so that it loses nothing; checked), so nfdump
# reads exactly the records tflow-query reads.
set -eu
B=${1:-$(pwd)}
D=${TFLOW_BENCH_DIR:-$B/bench-data}
N=${TFLOW_BENCH_QUERY_RECORDS:-10000000}
RUNS=${TFLOW_BENCH_RUNS:-3}
PORT=${TFLOW_BENCH_PORT:-47055}
DPS=${TFLOW_BENCH_QUERY_DPS:-20000}
GEN=$B/tests/gen/tflow-storegen
CAP=$B/tests/gen/tflow-udpcap
Q=$B/tflow-query
FILTER='src net 10.1.0.0/16 and dst port 53'
mkdir -p "$D"

command -v bc >/dev/null || { echo "query bench: needs bc"; exit 1; }
[ -x "$GEN" ] && [ -x "$Q" ] || { echo "query bench: build first (make)"; exit 1; }

. "$(dirname "$0")/lib.sh"

mrate() { echo "$N / $1 / 1000000" | bc -l; }

gen() {	# name, storegen arguments...
	# Regenerated when the arguments or the generator changed; the
	# nfcapd copy of the records goes with them.
	name=$1; shift
	key="args: $* gen: $(cksum < "$GEN" | cut -d' ' -f1)"
	if [ "$(head -n 1 "$D/query-$name.done" 2>/dev/null)" != "$key" ]; then
		rm -rf "$D/query-$name" "$D/query-$name.nfcapd" \
		    "$D/query-$name.nfcapd.flows"
		out=$("$GEN" -o "$D/query-$name" -n "$N" --v9 "$D/query-$name.v9" "$@" 2>&1)
		printf '%s\n%s\n' "$key" "$out" > "$D/query-$name.done"
	fi
	sed -n 's/.*rate=\([0-9.]*\)M\/s.*/\1/p' "$D/query-$name.done"
}

echo
echo "== query: $N records per store, generated once in $D"
wt=$(gen typical --mix typical --sources 65536)
wu=$(gen uniform --mix uniform --sources 65536)
wd=$(gen distinct --mix uniform --sources "$N" --distinct)
bt=$(du -sb "$D/query-typical" | cut -f1)
bu=$(du -sb "$D/query-uniform" | cut -f1)
bd=$(du -sb "$D/query-distinct" | cut -f1)
printf 'write rate (store_writer, compressed, fsynced)   %6.2f M records/s (typical), %.2f (uniform), %.2f (distinct)\n' "$wt" "$wu" "$wd"
printf 'bytes per record on disk                         %6.2f typical   (target <= 12)\n' "$(echo "$bt / $N" | bc -l)"
printf '                                                 %6.2f uniform mix (worst case), %.2f with every source distinct\n' \
	"$(echo "$bu / $N" | bc -l)" "$(echo "$bd / $N" | bc -l)"

# Warm the page cache: both tools then read from memory.
cat "$D"/query-typical/*/*/*/* > /dev/null 2>&1 || true
tf=$(best_time "$Q" -R "$D/query-typical" --count "$FILTER")
ta=$(best_time "$Q" -R "$D/query-typical" -A proto)
printf "tflow-query filter '%s'   %6.2f M records/s (%.3f s)  (target >= 20; nfdump ~16)\n" "$FILTER" "$(mrate "$tf")" "$tf"
printf 'tflow-query -A proto                             %6.2f M records/s (%.3f s)  (target >= 10; nfdump ~14)\n' "$(mrate "$ta")" "$ta"
tt=$(best_time "$Q" -R "$D/query-distinct" -A srcip --top 10 --by bytes)
rss=$(peak_rss_kb "$Q" -R "$D/query-distinct" -A srcip --top 10 --by bytes)
printf 'tflow-query -A srcip --top 10, %s distinct    %6.2f M records/s (%.3f s), peak RSS %.0f MiB  (target < 1024 MiB; nfdump 1.85 GB for 12M)\n' \
	"$N" "$(mrate "$tt")" "$tt" "$(echo "$rss / 1024" | bc -l)"

# The same typical records through the real receive path: the v9
# datagrams replayed over loopback into tflow-collector --write (decode,
# store_writer, compaction at close), not straight into store_writer.
COLLECTOR=$B/tflow-collector
if [ -x "$COLLECTOR" ] && [ -x "$CAP" ]; then
	cdir=$D/query-typical.collector
	rm -rf "$cdir"; mkdir -p "$cdir"
	"$COLLECTOR" --listen "127.0.0.1:$PORT" --write "$cdir" --rotate 3600 \
		> "$cdir.log" 2>&1 &
	cp=$!
	sleep 0.5
	"$CAP" -p "$PORT" -R "$DPS" "$D/query-typical.v9" > /dev/null 2>&1
	sleep 1
	kill "$cp"; wait "$cp" || true
	crec=$(sed -n 's/.*store dir=.* records=\([0-9]*\).*/\1/p' "$cdir.log" | tail -n 1)
	cb=$(du -sb "$cdir" | cut -f1)
	printf 'tflow-collector --write, same v9 datagrams      %6.2f bytes per record typical (%s of %s records stored)\n' \
		"$(echo "$cb / ${crec:-1}" | bc -l)" "${crec:-?}" "$N"
	rm -rf "$cdir"
fi

if ! command -v nfcapd >/dev/null || ! command -v nfdump >/dev/null; then
	echo "nfdump not installed (apt-get install nfdump): no side-by-side figures"
	exit 0
fi
[ -x "$CAP" ] || { echo "query bench: $CAP missing"; exit 0; }

# nfcapd files from the same records (once): the v9 datagrams replayed
# over loopback at $DPS datagrams/s; the flow count must come out whole.
nfstore() {	# name
	dir=$D/query-$1.nfcapd
	if [ ! -s "$dir.flows" ]; then
		rm -rf "$dir"; mkdir -p "$dir"
		nfcapd -p "$PORT" -b 127.0.0.1 -w "$dir" -t 3600 -B 33554432 \
			> "$dir.log" 2>&1 &
		np=$!
		i=0
		while [ $i -lt 60 ] && ! grep -qi 'listen\|startup\|bound' "$dir.log" 2>/dev/null; do
			sleep 0.05; i=$((i + 1))
		done
		sleep 0.5
		"$CAP" -p "$PORT" -R "$DPS" "$D/query-$1.v9" > /dev/null 2>&1
		sleep 2
		kill "$np"; wait "$np" || true
		nfdump -R "$dir" -I 2>/dev/null | sed -n 's/^Flows: *\([0-9]*\).*/\1/p' > "$dir.flows"
	fi
	got=$(cat "$dir.flows")
	[ "$got" = "$N" ] || echo "   note: nfcapd stored $got of $N records of $1 (replay lost some; lower TFLOW_BENCH_QUERY_DPS)"
}
nfstore typical
nfstore distinct
nt=$(du -sb "$D/query-typical.nfcapd" | cut -f1)
printf 'nfcapd bytes per record (its default settings)   %6.2f typical\n' "$(echo "$nt / $N" | bc -l)"
cat "$D"/query-typical.nfcapd/* > /dev/null 2>&1 || true
nf=$(best_time nfdump -R "$D/query-typical.nfcapd" -q "$FILTER")
na=$(best_time nfdump -R "$D/query-typical.nfcapd" -q -A proto)
nn=$(best_time nfdump -R "$D/query-distinct.nfcapd" -q -s srcip/bytes -n 10)
nrss=$(peak_rss_kb nfdump -R "$D/query-distinct.nfcapd" -q -s srcip/bytes -n 10)
printf "nfdump filter                                    %6.2f M records/s (%.3f s)   tflow-query/nfdump = %.2fx\n" "$(mrate "$nf")" "$nf" "$(echo "$nf / $tf" | bc -l)"
printf 'nfdump -A proto                                  %6.2f M records/s (%.3f s)   tflow-query/nfdump = %.2fx\n' "$(mrate "$na")" "$na" "$(echo "$na / $ta" | bc -l)"
printf 'nfdump -s srcip/bytes -n 10                      %6.2f M records/s (%.3f s), peak RSS %.0f MiB   tflow-query/nfdump = %.2fx\n' \
	"$(mrate "$nn")" "$nn" "$(echo "$nrss / 1024" | bc -l)" "$(echo "$nn / $tt" | bc -l)"
