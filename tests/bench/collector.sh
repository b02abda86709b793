#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Collector benchmark (run at the end of `make bench`): records/s that
# tflow-collector decodes with zero loss, on one worker and on two, and
# with --write (decoded and stored: the store's writer threads compress
# and write the files), and nfcapd's on the same replayed datagrams (it
# writes its flow files), next to the targets of PRODUCT.md.  Figures,
# not a timed test: it never fails on a slow machine.
#
# The datagrams are real exports: tflowd -r turns the high-churn pcap of
# bench.sh (1M short flows) into v5, v9 and IPFIX, and tflow-udpcap
# captures them into $D/collector-VERSION.dgrams (once).  Each step
# replays a file over loopback at a set rate for about $SECS seconds (the
# file looped as needed) into a fresh receiver writing to /dev/null (the
# collector with --format $FMT, nfcapd its flow files).  A step has zero
# loss when the receiver's own count equals the records sent and the
# kernel's drop counter of its socket (/proc/net/udp) stayed 0, and it
# kept up: at most $BACKLOG bytes were still queued when the sender
# finished.  (Without that, a step measures the socket buffer as much as
# the receiver: the collector's 32 MiB, forced as root, hides a second of
# falling behind; nfcapd's -B is capped by net.core.rmem_max.)  The rate
# is searched geometrically: doubled from 1M while clean, then bisected,
# $STEPS steps per receiver and version.
#
# Loopback only; ports $PORT and $PORT+1 and source ports from $PORT+100.
set -eu
B=${1:-$(pwd)}
D=${TFLOW_BENCH_DIR:-$B/bench-data}
PORT=${TFLOW_BENCH_PORT:-47055}
FMT=${TFLOW_BENCH_FORMAT:-json}
SECS=${TFLOW_BENCH_SECONDS:-1.5}
STEPS=${TFLOW_BENCH_STEPS:-4}
BACKLOG=${TFLOW_BENCH_BACKLOG:-4194304}
CAP=$B/tests/gen/tflow-udpcap
COL=$B/tflow-collector
TFLOWD=$B/tflowd
TICK=$(getconf CLK_TCK)
mkdir -p "$D"

command -v bc >/dev/null || { echo "collector bench: needs bc"; exit 1; }
[ -x "$CAP" ] || { echo "collector bench: $CAP missing (make)"; exit 1; }

pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT INT TERM

hexport() { printf '%04X' "$1"; }

# Sum of a /proc/net/udp column (rx_queue or drops) over the IPv4
# sockets bound to port $1 (one per worker with SO_REUSEPORT).
udp_col() {	# port, rxq|drops
	awk -v p=":$(hexport "$1")" -v c="$2" '
		NR > 1 && substr($2, length($2) - 4) == p {
			if (c == "drops") s += $NF
			else { split($5, q, ":"); s += ("0x" q[2]) + 0 }
			n++
		}
		END { print n ? s : -1 }' /proc/net/udp
}

wait_bound() {	# port: until a socket is bound (3 s at most)
	i=0
	while [ "$(udp_col "$1" drops)" = -1 ] && [ $i -lt 60 ]; do
		sleep 0.05; i=$((i + 1))
	done
}

wait_drained() {	# port: until the receive queues are empty (10 s)
	i=0
	while [ "$(udp_col "$1" rxq)" != 0 ] && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# --- the datagram files (once) --------------------------------------------
[ -s "$D/churn.pcap" ] || "$B/tests/gen/tflow-pcapgen" -o "$D/churn.pcap" \
	--flows 1000000 --packets 4000000 --churn --zipf 0 --ipv6 0.2 \
	--duration 60 --seed 12 2>/dev/null
for v in 5 9 ipfix; do
	f=$D/collector-$v.dgrams
	[ -s "$f" ] && [ -s "$f.records" ] && continue
	conf=$D/collector-$v.rsc
	printf '/ip traffic-flow\nset cache-entries=65536\n/ip traffic-flow target\nadd dst-address=127.0.0.1 port=%s version=%s\n' \
		"$PORT" "$v" > "$conf"
	"$CAP" -c -p "$PORT" -o "$f.tmp" -t 1000 2>"$f.caplog" &
	cp=$!; pids="$pids $cp"
	wait_bound "$PORT"
	# Paced, so the capture keeps every datagram.
	out=$(TFLOWD_OFFLINE_PPS=100000 "$TFLOWD" -c "$conf" -r "$D/churn.pcap" 2>&1 >/dev/null)
	wait "$cp"
	sent=$(echo "$out" | sed -n 's/.*target .* datagrams=\([0-9]*\) records=\([0-9]*\).*/\1 \2/p')
	got=$(sed -n 's/.*captured \([0-9]*\) datagrams.*/\1/p' "$f.caplog")
	if [ "${sent% *}" != "$got" ]; then
		echo "collector bench: version $v: tflowd sent ${sent% *} datagrams, captured $got"
		exit 1
	fi
	mv "$f.tmp" "$f"
	echo "${sent#* } $got" > "$f.records"
done

# --- one step --------------------------------------------------------------
# Replays file $2 at $3 records/s into receiver $1 (col1, col2, colw,
# nfcapd).  colw counts what the store wrote (records= of its stats line
# at exit; a record the writer had no free block for is in dropped=
# instead), not what was decoded.
# Sets: ok (1 zero loss), got, expect, drops, backlog (bytes queued when
# the sender finished), cpu (CPU s), split (per thread, two workers).
step() {
	kind=$1; f=$2; rate=$3
	read -r frec fdg < "$f.records"
	nsrc=1; workers=1
	# Eight sources: all eight hashed to one socket is a 1 in 128 chance.
	[ "$kind" = col2 ] && { nsrc=8; workers=2; }
	loops=$(echo "r = $rate * $SECS / $frec; scale=0; if (r > r / 1) (r / 1) + 1 else r / 1" | bc -l)
	[ "$loops" -ge 1 ] || loops=1
	dps=$(echo "scale=0; $rate * $fdg / $frec" | bc -l)
	expect=$((frec * loops))
	log=$D/collector-step.log
	case $kind in
	colw)
		rm -rf "$D/colstore"; mkdir -p "$D/colstore"
		"$COL" --listen "127.0.0.1:$PORT" --write "$D/colstore" \
			--rotate 3600 >/dev/null 2>"$log" &
		;;
	col*)
		"$COL" --listen "127.0.0.1:$PORT" --workers $workers \
			--format "$FMT" >/dev/null 2>"$log" &
		;;
	nfcapd)
		rm -rf "$D/nfcapd"; mkdir -p "$D/nfcapd"
		# The same 32 MiB receive buffer the collector asks for.
		nfcapd -p "$PORT" -b 127.0.0.1 -w "$D/nfcapd" -t 3600 \
			-B 33554432 >"$log" 2>&1 &
		;;
	esac
	rp=$!; pids="$pids $rp"
	wait_bound "$PORT"
	"$CAP" -p "$PORT" -n $nsrc -s $((PORT + 100)) -R "$dps" -L "$loops" \
		"$f" > "$D/collector-send.log"
	backlog=$(udp_col "$PORT" rxq)
	wait_drained "$PORT"
	drops=$(udp_col "$PORT" drops)
	cpu=$(echo "scale=3; $(cpu_ticks $rp) / $TICK" | bc -l)
	split=""
	if [ "$kind" = col2 ]; then
		for t in /proc/$rp/task/*; do
			c=$(awk '{ print $14 + $15 }' "$t/stat")
			[ "$c" -gt 1 ] && split="$split${split:+/}$(echo "scale=2; $c / $TICK" | bc -l)"
		done
	fi
	kill "$rp"; wait "$rp" || true
	case $kind in
	colw)	got=$(sed -n 's/.*store dir=.* records=\([0-9]*\) .*/\1/p' "$log") ;;
	col*)	got=$(sed -n 's/.*total exporters.* records=\([0-9]*\).*/\1/p' "$log") ;;
	nfcapd)	got=$(nfdump -R "$D/nfcapd" -I 2>/dev/null | sed -n 's/^Flows: *\([0-9]*\).*/\1/p') ;;
	esac
	got=${got:-0}
	ok=0
	[ "$got" -eq "$expect" ] && [ "$drops" -eq 0 ] &&
		[ "$backlog" -le "$BACKLOG" ] && ok=1
	return 0
}

# Geometric search; prints the best zero-loss rate (0: none found).
search() {	# kind, file
	lo=0; hi=0; r=1000000; n=0; best_cpu=""
	while [ $n -lt "$STEPS" ]; do
		step "$1" "$2" "$r"
		printf '    %-7s %6.2f M records/s: received %s of %s, kernel drops %s, backlog %s KiB, %s CPU s%s\n' \
			"$1" "$(echo "$r / 1000000" | bc -l)" "$got" "$expect" "$drops" \
			"$((backlog / 1024))" "$cpu" \
			"${split:+ (threads $split)}" >&2
		if [ $ok = 1 ]; then
			lo=$r; best_cpu="$got $cpu"
		else
			hi=$r
		fi
		if [ $hi = 0 ]; then
			r=$((r * 2))
		elif [ $lo = 0 ]; then
			r=$((r / 2))
		else
			r=$(echo "scale=0; sqrt($lo * $hi) / 1" | bc -l)
		fi
		n=$((n + 1))
	done
	echo "$lo $best_cpu"
}

have_nfcapd=no
command -v nfcapd >/dev/null && command -v nfdump >/dev/null && have_nfcapd=yes

echo
echo "== collector: records/s decoded with zero loss (replayed tflowd exports over loopback)"
echo "   targets: >= 2 M records/s on one core with no loss, more than nfcapd in the same run"
echo "   tflow-collector --format $FMT > /dev/null, or --write DIR (stored); nfcapd writes its flow files; $STEPS steps of ${SECS}s each"
for v in 5 9 ipfix; do
	f=$D/collector-$v.dgrams
	read -r frec fdg < "$f.records"
	echo "  version $v: $frec records in $fdg datagrams per pass"
	for kind in col1 col2 colw nfcapd; do
		if [ $kind = nfcapd ] && [ $have_nfcapd = no ]; then
			echo "  nfcapd not installed (apt-get install nfdump): no side-by-side figure"
			continue
		fi
		set -- $(search $kind "$f")
		eval "best_$kind=$1"
		per=""
		if [ $# -ge 3 ] && [ "$(echo "$3 > 0" | bc -l)" = 1 ]; then
			per=$(printf ', %.2f M records per CPU-second' "$(echo "$2 / $3 / 1000000" | bc -l)")
		fi
		case $kind in
		col1)	label="tflow-collector 1 worker " ;;
		col2)	label="tflow-collector 2 workers" ;;
		colw)	label="tflow-collector --write  " ;;
		nfcapd)	label="nfcapd                   " ;;
		esac
		printf '  version %-6s %s %6.2f M records/s zero-loss%s\n' \
			"$v" "$label" "$(echo "$1 / 1000000" | bc -l)" "$per"
	done
	if [ $have_nfcapd = yes ] && [ "$best_nfcapd" -gt 0 ]; then
		printf '  version %-6s tflow-collector/nfcapd = %.2fx (1 worker)\n' \
			"$v" "$(echo "$best_col1 / $best_nfcapd" | bc -l)"
	fi
done
