#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Live-capture benchmark (the end of `make bench`, or by hand:
#   bash tests/bench/live.sh BUILDDIR; root only):
# packets/s each probe captures without loss off a veth pair, CPU and
# memory, for tflowd (AF_PACKET ring with one and two capture workers,
# and capture=pcap) and, when installed, softflowd, fprobe and pmacctd on
# the same traffic, next to PRODUCT.md's target.  Figures, not a timed
# test: it never fails on a slow machine, and it is not in `make check`.
#
#   ns S (sender)                          ns C (capture)
#  +----------------------------+         +-------------------------------+
#  | tflow-pktblast -i s0 -r R  |-- veth--| c0   <- probe under test      |
#  | (or tcpreplay)             |         |        v9/v5 to 127.0.0.1:PORT |
#  +----------------------------+         | tflow-collector --format json  |
#                                         +-------------------------------+
#
# Per probe and offered rate R (packets/s, 0 = as fast as the sender
# goes): a fresh collector and probe start in C, the sender blasts the
# frames of a generated pcap (IPv4 only, 64-byte IP packets, $FLOWS flows
# with Zipf popularity, looped) for $SECS seconds, then a trickle of
# non-IP padding frames for $SETTLE seconds pushes out whatever sits in a
# half-filled ring block (libpcap's TPACKET_V3 blocks otherwise hold the
# last packets until more traffic comes, as they would on a real link),
# then the probe gets SIGTERM.
#
#   arrived   = packets c0 received in the blast (its rx_packets counter)
#   captured  = sum of `packets` over every flow record the collector got
#               from the probe: the one measure every probe shares
#   lost      = arrived - captured (capture drops, anything else lost)
#   own count = the probe's own figures where it has them: tflowd's exit
#               line (packets, capture_drops), softflowctl statistics
#               and pmacctd's exit line (libpcap received / dropped;
#               these include the warm-up and padding frames)
#   CPU s     = utime+stime of the probe's processes (all threads, and
#               pmacctd's plugin), from start-up done to just before stop
#   Mp/CPUs   = captured / CPU s, in millions: packets per CPU-second,
#               the figure least disturbed by a busy machine
#   max RSS   = VmHWM summed over those processes
#
# Every probe gets the same 1 s idle timeout and 1 s expiry scan and is
# tuned where its defaults would measure a setting rather than capture:
# fprobe -q 10000 (its default pending queue of 100 loses most packets
# at any rate), pmacctd plugin_pipe_size 10 MB, flow tables of 64k.
# Kernel buffers are left at each tool's default (2 MiB for tflowd's ring
# and for libpcap's).
#
# Knobs (environment): TFLOW_LBENCH_SECONDS (3), TFLOW_LBENCH_RATES
# ("100000 200000 400000 0"), TFLOW_LBENCH_FLOWS (10000),
# TFLOW_LBENCH_SETTLE (2), TFLOW_LBENCH_TOOLS (all), TFLOW_LBENCH_SENDER
# (pktblast or tcpreplay), TFLOW_LBENCH_PORT (2055, inside ns C),
# TFLOW_BENCH_DIR (workload cache), TFLOW_KEEP=1 keeps the run logs.
# Traffic stays inside the two namespaces it creates ($$ in their names);
# namespaces, veth pair, collector and cleanup are tests/netns/lib.sh's.
set -u

B=${1:-$(pwd)}
TFLOW_BUILDDIR=$B
. "$(dirname "$0")/../netns/lib.sh"
D=${TFLOW_BENCH_DIR:-$B/bench-data}
SECS=${TFLOW_LBENCH_SECONDS:-3}
RATES=${TFLOW_LBENCH_RATES:-"100000 200000 400000 0"}
FLOWS=${TFLOW_LBENCH_FLOWS:-10000}
SETTLE=${TFLOW_LBENCH_SETTLE:-2}
TOOLS=${TFLOW_LBENCH_TOOLS:-"tflowd-w1 tflowd-w2 tflowd-pcap softflowd fprobe pmacctd"}
SENDER=${TFLOW_LBENCH_SENDER:-pktblast}
PORT=${TFLOW_LBENCH_PORT:-2055}
GEN=$B/tests/gen/tflow-pcapgen
BLAST=$B/tests/gen/tflow-pktblast
NS_S=tflow-lb-$$-s
NS_C=tflow-lb-$$-c
IF_S=lb$$s
IF_C=lb$$c
TICK=$(getconf CLK_TCK)

# Not a test: a skip leaves `make bench` going (status 0), an error stops
# it; both say why, indented like the figures.
say() { printf '%s\n' "$*"; }
skip() { say "   skipped: $*"; exit 0; }
die() { say "   $*"; exit 1; }
dbg() { [ -z "${TFLOW_LBENCH_DEBUG:-}" ] || printf '     [%s] %s\n' "$(date +%T.%N | cut -c1-12)" "$*" >&2; }

echo
echo "== live capture: packets/s captured without loss off a veth pair (tests/bench/live.sh)"
echo "   target (PRODUCT.md): no drops where softflowd, fprobe and pmacctd already drop, on the same traffic"
need_netns "network namespaces, AF_PACKET"
need_cmd bc bc
need_cmd awk mawk
need_cmd ss iproute2
for b in "$TFLOWD" "$COLLECTOR" "$GEN" "$BLAST"; do
	[ -x "$b" ] || skip "$b not built (make)"
done
case $SENDER in
pktblast) ;;
tcpreplay) need_cmd tcpreplay tcpreplay ;;
*)	die "TFLOW_LBENCH_SENDER must be pktblast or tcpreplay" ;;
esac

# IFNAMSIZ is 16: a long pid must not make the names invalid.
[ ${#IF_S} -le 15 ] || { IF_S=lbs$((RANDOM)); IF_C=lbc$((RANDOM)); }

netns_init
chmod 755 "$T"

in_c() { in_ns "$NS_C" "$@"; }

# Packet sockets bound to the capture interface (/proc/net/packet of C).
packet_socks() {
	in_c awk -v i="$IFX" 'NR > 1 && $5 == i { n++ } END { print n + 0 }' /proc/net/packet
}
has_packet_sock() { [ "$(packet_socks)" -ge 1 ]; }

rx_packets() { in_c cat "/sys/class/net/$IF_C/statistics/rx_packets"; }

# A pid and its descendants.
tree_pids() {
	local all=$1 new=$1 kids
	while [ -n "$new" ]; do
		kids=$(ps -o pid= --ppid "$(echo $new | tr ' ' ,)" 2>/dev/null | tr -d ' ' | tr '\n' ' ')
		all="$all $kids"
		new=$kids
		[ -n "${new// /}" ] || break
	done
	echo $all
}

cpu_ticks() {	# pids...: utime+stime, all threads (fields 14 and 15)
	local p s=0 v
	for p in "$@"; do
		v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
		s=$((s + ${v:-0}))
	done
	echo $s
}

hwm_kb() {	# pids...: VmHWM summed
	local p s=0 v
	for p in "$@"; do
		v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo $s
}

threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# sum_packets main|warm: "packets" summed over the collector's JSON
# records of the blast's flows, or of the warm-up's (their src, dst and
# protocol are in $WARM_KEYS; 10 random keys among 16M addresses).
sum_packets() {
	json_fields "$T/coll.json" src_addr dst_addr proto packets |
	    awk -v want="$1" '
	    FNR == NR { warm[$0] = 1; next }
	    {
		w = ($1 " " $2 " " $3) in warm
		if ((want == "warm") == w) s += $4
	    }
	    END { print s + 0 }' "$WARM_KEYS" -
}

# send FILE RATE SECONDS: the sender in S; prints "packets seconds".
send() {
	local out
	case $SENDER in
	pktblast)
		out=$(ip netns exec "$NS_S" "$BLAST" -i "$IF_S" -r "$2" -d "$3" "$1")
		echo "$out" | sed -n 's/.*sent=\([0-9]*\) seconds=\([0-9.]*\).*/\1 \2/p'
		;;
	tcpreplay)
		if [ "$2" = 0 ]; then set -- "$1" --topspeed "$3"
		else set -- "$1" "--pps=$2" "$3"; fi
		out=$(ip netns exec "$NS_S" tcpreplay -q -i "$IF_S" -K --no-flow-stats \
		    --loop=0 "--duration=$3" "$2" "$1" 2>&1)
		echo "$out" | sed -n 's/^Actual: \([0-9]*\) packets.* in \([0-9.]*\) seconds.*/\1 \2/p'
		;;
	esac
}

mkdir -p "$D"

# --- workloads (once) -------------------------------------------------------
PCAP=$D/live-$FLOWS.pcap
[ -s "$PCAP" ] || "$GEN" -o "$PCAP" --flows "$FLOWS" --packets 200000 \
	--ipv6 0 --vlan 0 --sizes 64:1 --no-fin --duration 10 --seed 31 2>/dev/null
WARM=$D/live-warm.pcap
WARM_PKTS=200
WARM_KEYS=$D/live-warm.keys
[ -s "$WARM" ] && [ -s "$WARM_KEYS" ] || { "$GEN" -o "$WARM" -t "$WARM.truth" \
	--flows 10 --packets $WARM_PKTS --ipv6 0 --vlan 0 --sizes 64:1 --no-fin \
	--duration 1 --seed 32 2>/dev/null &&
	awk '!/^#/ { print $2, $3, $4 }' "$WARM.truth" >"$WARM_KEYS"; }
# One non-IP frame (ethertype 0x88b5, local experimental), otherhost MACs.
PAD=$D/live-pad.pcap
if [ ! -s "$PAD" ]; then
	{ printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000'
	  printf '\000\000\000\000\000\000\000\000\074\000\000\000\074\000\000\000'
	  printf '\002\000\000\000\000\001\002\000\000\000\000\002\210\265'
	  head -c 46 /dev/zero; } >"$PAD"
fi

# --- topology ----------------------------------------------------------------
ns_add "$NS_S" "$NS_C"
veth_add "$NS_S" "$IF_S" "" "$NS_C" "$IF_C" ""
IFX=$(ifindex "$NS_C" "$IF_C")

# --- the probes ----------------------------------------------------------------
# tflowd_conf NAME EXTRA: a config with EXTRA on the `set` line; returns 1
# (the reason in $T/why) when this tflowd does not accept it.
tflowd_conf() {
	local f=$T/$1.rsc
	printf '/ip traffic-flow\nset enabled=yes interfaces=%s cache-entries=64k inactive-flow-timeout=1s %s\n' \
		"$IF_C" "$2" >"$T/check.rsc"
	if ! "$TFLOWD" -c "$T/check.rsc" -r "$PAD" >/dev/null 2>"$T/why"; then
		return 1
	fi
	cp "$T/check.rsc" "$f"
	printf '/ip traffic-flow target\nadd dst-address=127.0.0.1 port=%s version=9\n' "$PORT" >>"$f"
}

cat >"$T/pmacctd.conf" <<EOF
daemonize: false
pcap_interface: $IF_C
plugins: nfprobe
nfprobe_receiver: 127.0.0.1:$PORT
nfprobe_version: 9
nfprobe_timeouts: tcp=1:tcp.rst=1:tcp.fin=1:udp=1:icmp=1:general=1:maxlife=3600:expint=1
nfprobe_maxflows: 65536
aggregate: src_host, dst_host, src_port, dst_port, proto, tos
plugin_pipe_size: 10240000
plugin_buffer_size: 10240
EOF

# available TOOL: 0 with $NOTE set, or 1 with the reason in $NOTE.
available() {
	NOTE=""
	case $1 in
	tflowd-w1)
		tflowd_conf "$1" "capture=afpacket capture-workers=1" && return 0
		NOTE="capture-workers=1 not accepted ($(head -n 1 "$T/why")): default"
		tflowd_conf "$1" "" && return 0
		NOTE="config not accepted: $(head -n 1 "$T/why")"; return 1 ;;
	tflowd-w2)
		tflowd_conf "$1" "capture=afpacket capture-workers=2" && return 0
		NOTE="not run: this tflowd does not accept capture-workers=2 ($(head -n 1 "$T/why"))"
		return 1 ;;
	tflowd-pcap)
		tflowd_conf "$1" "capture=pcap" && return 0
		NOTE="not run: this tflowd does not accept capture=pcap ($(head -n 1 "$T/why"))"
		return 1 ;;
	softflowd|fprobe|pmacctd)
		command -v "$1" >/dev/null 2>&1 && return 0
		NOTE="not installed (apt-get install $1): no side-by-side figure"
		return 1 ;;
	esac
	NOTE="unknown tool"
	return 1
}

# start TOOL: starts it in C; sets TOOL_PID; 0 once it captures.
start_tool() {
	: >"$T/tool.log"
	case $1 in
	tflowd-*)
		ns_start "$NS_C" "$TFLOWD" -f -c "$T/$1.rsc" 2>"$T/tool.log"
		TOOL_PID=$BG_PID
		wait_until 10 log_has tool "live: started" || return 1
		;;
	softflowd)
		rm -f "$T/sf.ctl"
		ns_start "$NS_C" softflowd -d -i "$IF_C" -n "127.0.0.1:$PORT" -v 9 \
		    -m 65536 -t general=1 -t tcp=1 -t tcp.rst=1 -t tcp.fin=1 \
		    -t udp=1 -t icmp=1 -t expint=1 -p "$T/sf.pid" -c "$T/sf.ctl" \
		    >"$T/tool.log" 2>&1
		TOOL_PID=$BG_PID
		;;
	fprobe)
		ns_start "$NS_C" fprobe -i "$IF_C" -l 2 -d 1 -s 1 -q 10000 \
		    "127.0.0.1:$PORT" >"$T/tool.log" 2>&1
		TOOL_PID=$BG_PID
		;;
	pmacctd)
		ns_start "$NS_C" pmacctd -f "$T/pmacctd.conf" >"$T/tool.log" 2>&1
		TOOL_PID=$BG_PID
		;;
	esac
	wait_until 10 has_packet_sock || return 1
	kill -0 "$TOOL_PID" 2>/dev/null
}

# warm_up: $WARM_PKTS packets of other flows, then padding until the
# collector has them all: the probe captures and exports end to end (a
# socket that exists is not yet a loop that reads it).  A probe that
# loses some of them (pmacctd misses its first packets) is waited for
# until its count has stood still for 2 s, 15 s at most.  Their records
# are left out of the measured count, even if they come late.
warm_up() {
	local padpid n prev=-1 still=$SECONDS end=$((SECONDS + 15))
	ip netns exec "$NS_S" "$BLAST" -i "$IF_S" -r 2000 -n "$WARM_PKTS" "$WARM" >/dev/null
	ns_start "$NS_S" "$BLAST" -i "$IF_S" -r 2000 -d 30 "$PAD" >/dev/null
	padpid=$BG_PID
	while [ "$SECONDS" -lt "$end" ]; do
		n=$(sum_packets warm)
		[ "$n" -ge "$WARM_PKTS" ] && break
		[ "$n" != "$prev" ] && still=$SECONDS
		[ "$n" -gt 0 ] && [ $((SECONDS - still)) -ge 2 ] && break
		prev=$n
		sleep 0.1
	done
	proc_stop "$padpid"
	n=$(sum_packets warm)
	RUN_NOTE=""
	[ "$n" = "$WARM_PKTS" ] || RUN_NOTE=" (warm-up: $n of $WARM_PKTS packets)"
}

# own_before_stop TOOL, own_after_stop TOOL: the probe's own figures in $OWN.
own_before_stop() {
	OWN="n/a"
	if [ "$1" = softflowd ]; then
		in_c softflowctl -c "$T/sf.ctl" statistics >"$T/sf.stats" 2>&1
		OWN=$(awk -F': *' '/received by libpcap/ { r = $2 }
		    /dropped by libpcap/ { d = $2 }
		    END { if (r != "") printf "pcap recv=%s drop=%s", r, d; else print "n/a" }' "$T/sf.stats")
	elif [ "$1" = pmacctd ]; then
		# SIGUSR1: the core logs its libpcap counters.  (Its exit
		# line would do too, but the orderly exit takes ~10 s.)
		kill -USR1 "$TOOL_PID" 2>/dev/null
		wait_until 5 grep -q 'dropped_packets=' "$T/tool.log"
		line=$(grep -o 'received_packets=[0-9]* dropped_packets=[0-9]*' "$T/tool.log" | tail -n 1)
		[ -n "$line" ] && OWN="pcap $(echo "$line" | sed 's/received_packets/recv/; s/dropped_packets/drop/')"
	fi
}

own_after_stop() {
	local line
	case $1 in
	tflowd-*)
		line=$(grep -o 'live: packets=.*' "$T/tool.log" | tail -n 1)
		if [ -n "$line" ]; then
			OWN="packets=$(echo "$line" | sed -n 's/.*live: packets=\([0-9]*\).*/\1/p')"
			OWN="$OWN drops=$(echo "$line" | sed -n 's/.*capture_drops=\([0-9]*\).*/\1/p')"
		else
			OWN="no exit line"
		fi
		;;
	esac
}

stop_tool() {	# pid: TERM, 15 s to exit, then KILL; then any leftovers
	local tree i=0
	tree=$(tree_pids "$1")
	# All at once: pmacctd's core otherwise waits for its plugin.
	kill -TERM $tree 2>/dev/null
	while kill -0 "$1" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.05; i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for p in $tree; do
		kill -TERM "$p" 2>/dev/null
	done
	pids_drop "$1"
}

# run TOOL RATE: one measurement; prints a table row and sets LOST.
run() {
	local tool=$1 rate=$2 eff c0 c1 r0 r1 sent secs arrived captured prev n tree hwm thr cpu label
	if ! collector_start "$NS_C" "127.0.0.1:$PORT" "$T/coll.json" \
	    "$T/coll.log" --format json; then
		say "   collector did not bind 127.0.0.1:$PORT in ns C"; return 1
	fi
	if ! start_tool "$tool"; then
		printf '  %-12s %9s  did not start: %s\n' "$tool" "$rate" \
		    "$(tail -n 1 "$T/tool.log")"
		stop_tool "$TOOL_PID"
		proc_stop "$COLL_PID"
		LOST=-1; return 0
	fi
	dbg started
	warm_up
	dbg warm
	tree=$(tree_pids "$TOOL_PID")
	c0=$(cpu_ticks $tree)
	r0=$(rx_packets)
	read -r sent secs <<<"$(send "$PCAP" "$rate" "$SECS")"
	sent=${sent:-0}; secs=${secs:-$SECS}
	r1=$(rx_packets)
	arrived=$((r1 - r0))
	# The sender retries what the device refused, so they agree unless
	# the veth peer dropped (its backlog overflowed) after accepting.
	[ "$sent" = "$arrived" ] || RUN_NOTE="$RUN_NOTE (sender counted $sent)"
	dbg sent
	send "$PAD" 2000 "$SETTLE" >/dev/null
	dbg padded
	# Idle timeouts and expiry scans are 1 s: wait until the records
	# stop coming (or are all there).
	prev=-1; n=0
	while [ $n -lt 20 ]; do
		captured=$(sum_packets main)
		[ "$captured" -ge "$arrived" ] && break
		[ "$captured" = "$prev" ] && [ $n -ge 2 ] && break
		prev=$captured; n=$((n + 1))
		sleep 0.5
	done
	tree=$(tree_pids "$TOOL_PID")
	c1=$(cpu_ticks $tree)
	hwm=$(hwm_kb $tree)
	thr=$(threads "$TOOL_PID")
	dbg settled
	own_before_stop "$tool"
	stop_tool "$TOOL_PID"
	dbg stopped
	own_after_stop "$tool"
	collector_stop "$NS_C" "$PORT" "$COLL_PID"
	dbg collected
	captured=$(sum_packets main)
	LOST=$((arrived - captured))
	cpu=$(echo "scale=2; ($c1 - $c0) / $TICK" | bc -l)
	label=$rate; [ "$rate" = 0 ] && label=top
	[ "$tool" = tflowd-w2 ] && [ "${thr:-1}" -lt 2 ] &&
	    RUN_NOTE="$RUN_NOTE (one thread: this build accepts capture-workers=2 but runs no workers)"
	# Packets per CPU-second: the figure a loaded machine disturbs least.
	eff=$(echo "if ($c1 > $c0) $captured * $TICK / ($c1 - $c0) / 1000000 else 0" | bc -l)
	printf '  %-12s %9s %9.0f %10s %9.0f %9s %6.2f%%  %5.2f %6.2f %7.1f  %s%s\n' \
	    "$tool" "$label" "$(echo "$arrived / $secs" | bc -l)" "$arrived" \
	    "$(echo "$captured / $secs" | bc -l)" "$LOST" \
	    "$(echo "if ($arrived > 0) 100 * $LOST / $arrived else 0" | bc -l)" \
	    "$cpu" "$eff" "$(echo "$hwm / 1024" | bc -l)" "$OWN" \
	    "$(case $tool in tflowd-*|fprobe) echo " threads=$thr" ;; esac)$RUN_NOTE"
	[ -n "${TFLOW_KEEP:-}" ] && cp "$T/tool.log" "$T/$tool-$label.log"
	return 0
}

echo "   sender: $SENDER; traffic: $FLOWS IPv4 flows (Zipf), 64-byte IP packets, ${SECS}s per rate;"
echo "   lost = arrived at the interface - packets in the flow records the collector received"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
printf '  %-12s %9s %9s %10s %9s %9s %7s  %5s %6s %7s  %s\n' tool "offered" "sent/s" arrived \
    "capt/s" lost "lost" "CPU s" "Mp/CPUs" "RSS MiB" "own count"
RESULTS=
for tool in $TOOLS; do
	if ! available "$tool"; then
		printf '  %-12s %s\n' "$tool" "$NOTE"
		continue
	fi
	[ -n "$NOTE" ] && printf '  %-12s (%s)\n' "$tool" "$NOTE"
	for rate in $RATES; do
		run "$tool" "$rate" || exit 1
		RESULTS="$RESULTS $tool:$rate:$LOST"
	done
done

# --- summary next to the target ------------------------------------------------
echo
echo "   highest offered rate with zero loss (top = as fast as the sender goes with that probe):"
for tool in $TOOLS; do
	best=none; first=none
	for r in $RESULTS; do
		t=${r%%:*}; rest=${r#*:}; rate=${rest%%:*}; lost=${rest#*:}
		[ "$t" = "$tool" ] || continue
		if [ "$lost" = 0 ]; then
			[ "$first" = none ] && best=$rate
		elif [ "$first" = none ]; then
			first=$rate
		fi
	done
	echo "$RESULTS" | grep -q " $tool:" || continue
	[ "$best" = 0 ] && best=top
	[ "$first" = 0 ] && first=top
	printf '  %-12s zero loss up to %s, first loss at %s\n' "$tool" "$best" "$first"
done
echo
echo "   target: at each rate where softflowd, fprobe or pmacctd lost packets, did tflowd lose none?"
for rate in $RATES; do
	others=""; ours=""
	for r in $RESULTS; do
		t=${r%%:*}; rest=${r#*:}; rr=${rest%%:*}; lost=${rest#*:}
		[ "$rr" = "$rate" ] || continue
		case $t in
		tflowd-*) ours="$ours $t=$lost" ;;
		*) [ "$lost" != 0 ] && others="$others $t" ;;
		esac
	done
	label=$rate; [ "$rate" = 0 ] && label=top
	[ -n "$others" ] || { printf '  %9s  no competitor lost packets\n' "$label"; continue; }
	[ -n "$ours" ] || { printf '  %9s  lost by:%s; tflowd not run\n' "$label" "$others"; continue; }
	verdict=met
	for o in $ours; do
		[ "${o#*=}" = 0 ] || verdict="NOT met"
	done
	printf '  %9s  lost by:%s; tflowd lost:%s -> %s\n' "$label" "$others" "${ours:- (not run)}" "$verdict"
done
exit 0
