#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Live capture end to end, the same checks for every capture backend.  A
# wrapper (live_afpacket.sh, live_pcap.sh, live_nflog.sh; messages carry
# its name) sets CAPTURE, may define live_setup_hook (run in the router
# namespace once it exists, e.g. nftables rules), then calls live_main.
# Root only (exit 77 = SKIP otherwise).  The namespaces, the topology and
# the collector come from lib.sh.  Everything runs in network namespaces
# of its own:
#
#   ns h1                 ns r (forwarding)                    ns h2
#  +-----------+   +--------------------------------------+   +-----------+
#  | h1-r      |---| r-h1 10.99.1.1     r-h2 10.99.2.1    |---| h2-r      |
#  | 10.99.1.2 |   |                                      |   | 10.99.2.2 |
#  +-----------+   | tflowd -f (r-h1,r-h2,r-h3)           |   | udp :5000 |
#                  |   v9 --> 127.0.0.1 (lo)              |   +-----------+
#                  | tflow-collector --format json        |
#                  |         r-h3 10.99.3.1 (added later, |   ns h3
#                  |         removed later)               |---| h3-r      |
#                  +--------------------------------------+   | 10.99.3.2 |
#                                                             +-----------+
#
# Traffic: ping -c 5 h1 -> h2; 20 UDP datagrams of 100 bytes h1:40000 ->
# h2:5000; a TCP connection attempt h1 -> h2:5001 (refused: one SYN, one
# RST back); r-h3 appears (named in the config before it exists), 10 UDP
# datagrams h3:40001 -> h2; r-h3 goes; 7 more UDP datagrams h1:40002 -> h2
# (the others still work); a live change over the control socket keeps the
# cached flows; SIGTERM must export every cached flow.  In the collector's
# JSON every flow appears exactly once per direction, with the kernel's
# ifindex of its input and output interface, next hop 0.0.0.0 (directly
# connected) and /24 masks.  The same traffic with capture-workers=2
# gives the same records.  No packet leaves the namespaces.

set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${CAPTURE:=afpacket}"
NS_H3=tflow-$$-h3
PORT=2055
SINK_PORT=5000
TCP_PORT=5001

# monitor_get SOCK KEY: a value of `/ip traffic-flow monitor once`.
monitor_get() {
	in_ns "$NS_R" "$TFLOW" -S "$1" /ip traffic-flow monitor once \
	    2>/dev/null | awk -v k="$2" '
	    { sub(/^ +/, "") }
	    index($0, k ":") == 1 { sub(/^[^:]*: */, ""); print; exit }'
}

# seen_more SOCK N: monitor's packets-seen is above N.
seen_more() {
	local v
	v=$(monitor_get "$1" packets-seen)
	[ -n "$v" ] && [ "$v" -gt "$2" ]
}

# settled SOCK: packets-seen and active-flows did not change over 0.5 s,
# so the packets still in ring blocks or NFLOG batches are counted.
settled() {
	local a b
	a=$(monitor_get "$1" packets-seen)/$(monitor_get "$1" active-flows)
	sleep 0.5
	b=$(monitor_get "$1" packets-seen)/$(monitor_get "$1" active-flows)
	[ "$a" = "$b" ]
}

# has_monitor SOCK: the tflow CLI talks to the control socket.
has_monitor() { [ -n "$(monitor_get "$1" packets-seen)" ]; }

# probe_captured SOCK NS DST: ping DST from NS until the daemon has seen
# new packets (the new interface's socket works), at most 20 s.
probe_captured() {
	local sock=$1 ns=$2 dst=$3 before i
	if [ "$MONITOR" = no ]; then
		# No way to ask: give the socket time to join its fanout
		# group (retried every second) and hope.
		sleep 3
		return 0
	fi
	for i in $(seq 20); do
		before=$(monitor_get "$sock" packets-seen)
		[ -n "$before" ] || before=0
		in_ns "$ns" ping -c 1 -W 1 "$dst" >/dev/null 2>&1
		wait_until 1 seen_more "$sock" "$before" && return 0
	done
	return 1
}

# udp NS SRC_PORT COUNT DST: COUNT datagrams of 100 bytes.
udp() {
	local ns=$1 sport=$2 n=$3 dst=$4 i
	set --
	for i in $(seq "$n"); do set -- "$@" "$T/payload"; done
	in_ns "$ns" "$UDPSEND" -a "$dst" -p "$SINK_PORT" -s "$sport" "$@"
}

# recs FILE: one line per JSON record, "src dst proto sport dport in out
# next_hop src_mask dst_mask packets bytes", for the test's addresses.
recs() {
	json_fields "$1" src_addr dst_addr proto src_port dst_port in_if \
	    out_if next_hop src_mask dst_mask packets bytes |
	    awk '$1 ~ /^10\.99\./ && $2 ~ /^10\.99\./'
}

# sum FILE SRC DST PROTO SPORT DPORT IN OUT FIELD: FIELD (packets, bytes
# or n = records) summed over matching records; "*" matches anything.
sum() {
	recs "$1" | awk -v src="$2" -v dst="$3" -v proto="$4" -v sport="$5" \
	    -v dport="$6" -v inif="$7" -v outif="$8" -v field="$9" '
	function m(want, got) { return want == "*" || want == got }
	m(src, $1) && m(dst, $2) && m(proto, $3) && m(sport, $4) &&
	    m(dport, $5) && m(inif, $6) && m(outif, $7) {
		s += field == "packets" ? $11 : field == "bytes" ? $12 : 1
	}
	END { print s + 0 }'
}

# routes_ok FILE SRC DST PROTO DPORT: every record of the flow has next hop
# 0.0.0.0 and /24 masks.
routes_ok() {
	recs "$1" | awk -v src="$2" -v dst="$3" -v proto="$4" -v dport="$5" '
	$1 == src && $2 == dst && $3 == proto && $5 == dport {
		n++
		if ($8 != "0.0.0.0" || $9 != 24 || $10 != 24) bad++
	}
	END { exit !(n > 0 && bad == 0) }'
}

live_topology() {
	router_topology "$NS_H3"
	# Resolve neighbours first so the counted traffic is all there is.
	in_ns "$NS_H1" ping -c 1 -W 2 10.99.1.1 >/dev/null || die "h1 -> r"
	in_ns "$NS_H2" ping -c 1 -W 2 10.99.2.1 >/dev/null || die "h2 -> r"
	in_ns "$NS_H1" ping -c 1 -W 2 10.99.2.2 >/dev/null || die "h1 -> h2"
}

# The third veth, as if plugged in while tflowd runs.
h3_add() {
	veth_add "$NS_R" r-h3 10.99.3.1/24 "$NS_H3" h3-r 10.99.3.2/24
	in_ns "$NS_H3" ip route add default via 10.99.3.1
	IF_H3=$(ifindex "$NS_R" r-h3)
}

# run_traffic TAG WORKERS: one daemon run; its records in $T/TAG.out.
run_traffic() {
	local tag=$1 workers=$2 sock=$T/$1.sock pid coll rc before after fin
	collector_start "$NS_R" "127.0.0.1:$PORT" "$T/$tag.out" \
	    "$T/$tag-collector.log" --format json ||
	    die "collector did not bind"
	coll=$COLL_PID

	cat >"$T/$tag.rsc" <<EOF
/ip traffic-flow
set enabled=yes interfaces=r-h1,r-h2,r-h3 inactive-flow-timeout=15s
set capture=$CAPTURE capture-workers=$workers
/ip traffic-flow target
add dst-address=127.0.0.1 port=$PORT version=9
EOF
	ns_start "$NS_R" "$TFLOWD" -f -c "$T/$tag.rsc" -S "$sock" \
	    -p "$T/$tag.pid" 2>"$T/$tag.log"
	pid=$BG_PID
	wait_until 20 log_has "$tag" "live: started" ||
	    die "$tag: tflowd did not start"
	[ "$(cat "$T/$tag.pid" 2>/dev/null)" = "$pid" ] ||
	    fail "$tag: pidfile holds '$(cat "$T/$tag.pid" 2>/dev/null)'"
	log_has "$tag" "r-h3 does not exist" ||
	    fail "$tag: the missing r-h3 was not announced"
	MONITOR=yes
	if ! has_monitor "$sock"; then
		MONITOR=no
		say "$tag: tflow cannot read monitor over the socket:" \
		    "its checks are skipped"
	fi

	if [ "$tag" = w1 ]; then
		# SIGHUP: a broken file keeps the running config.
		cp "$T/$tag.rsc" "$T/good.rsc"
		printf '/ip traffic-flow\nset enabled=yes bogus=1\n' \
		    >"$T/$tag.rsc"
		kill -HUP "$pid"
		wait_until 20 log_has "$tag" "$tag.rsc:2:.*keeping the running" ||
		    fail "a broken config on SIGHUP was not reported"
		sed 's/version=9/version=9 v9-template-refresh=10/' \
		    "$T/good.rsc" >"$T/$tag.rsc"
		kill -HUP "$pid"
		wait_until 20 log_has "$tag" "reload: .*: 1 target(s)" ||
		    fail "a good config on SIGHUP was not applied"
		pid_alive "$pid" || die "tflowd died on SIGHUP"
	fi

	in_ns "$NS_H1" ping -c 5 -i 0.2 -W 2 10.99.2.2 >/dev/null 2>&1 ||
	    fail "$tag: ping h1 -> h2"
	udp "$NS_H1" 40000 20 10.99.2.2 || fail "$tag: udp h1 -> h2"
	# Refused at once: one SYN, one RST back, no retransmission.
	in_ns "$NS_H1" timeout 5 bash -c \
	    "exec 3<>/dev/tcp/10.99.2.2/$TCP_PORT" 2>/dev/null &&
	    fail "$tag: TCP port $TCP_PORT answered"

	# An interface that appears, named in the config before it existed.
	h3_add
	case $CAPTURE in
	nflog*) ;;
	*)	wait_until 20 log_has "$tag" "capturing on r-h3" ||
		    fail "$tag: r-h3 not captured when it appeared" ;;
	esac
	probe_captured "$sock" "$NS_H3" 10.99.3.1 ||
	    fail "$tag: no packet seen on r-h3"
	udp "$NS_H3" 40001 10 10.99.2.2 || fail "$tag: udp h3 -> h2"
	before=$(monitor_get "$sock" packets-seen)
	# ... and goes: the others go on.
	in_ns "$NS_R" ip link del r-h3
	case $CAPTURE in
	nflog*) ;;
	*)	wait_until 20 log_has "$tag" "released r-h3" ||
		    fail "$tag: r-h3 not released" ;;
	esac
	udp "$NS_H1" 40002 7 10.99.2.2 || fail "$tag: udp h1 -> h2 (2)"
	if [ "$MONITOR" = yes ]; then
		wait_until 20 seen_more "$sock" "$((before + 6))" ||
		    fail "$tag: capture stopped after r-h3 went"
		# A live change over the control socket keeps the flows.  Once
		# late packets are in, active + finished stays the same across
		# the change (a flow going idle meanwhile moves from one to the
		# other), and at most one finishes: a flushed cache would
		# finish them all.
		wait_until 20 settled "$sock" ||
		    fail "$tag: packet counts never settled"
		before=$(monitor_get "$sock" active-flows)
		fin=$(monitor_get "$sock" finished-flows)
		[ -n "$before" ] && [ "$before" -gt 0 ] ||
		    fail "$tag: no active flows before the change ($before)"
		in_ns "$NS_R" "$TFLOW" -S "$sock" \
		    /ip traffic-flow set active-flow-timeout=20m \
		    >"$T/$tag-set.log" 2>&1 || fail "$tag: tflow set failed"
		after=$(monitor_get "$sock" active-flows)
		fin=$(( $(monitor_get "$sock" finished-flows) - fin ))
		check_eq "$tag: active flows after a live change (+ finished)" \
		    "$before" "$((after + fin))"
		[ "$fin" -le 1 ] ||
		    fail "$tag: $fin flows finished by a live change"
		check_eq "$tag: workers" "$workers" \
		    "$(monitor_get "$sock" workers)"
	fi

	proc_stop "$pid" || fail "$tag: tflowd exit status $?"
	[ -e "$T/$tag.pid" ] && fail "$tag: pidfile not removed at exit"
	[ -e "$sock" ] && fail "$tag: control socket not removed at exit"
	collector_stop "$NS_R" "$PORT" "$coll" ||
	    fail "$tag: collector left data unread"
	say "$tag: $(grep -o 'live: packets=.*' "$T/$tag.log")"
	grep -q 'capture_drops=0 ' "$T/$tag.log" || fail "$tag: capture drops"
	grep -q 'ring_drops=0 ' "$T/$tag.log" || fail "$tag: ring drops"
}

# check_run TAG: the records of one run.
check_run() {
	local f=$T/$1.out t=$1
	# ICMP dst_port is type << 8 | code: 2048 echo request, 0 reply.
	check_eq "$t: echo requests in r-h1 out r-h2" 5 \
	    "$(sum "$f" 10.99.1.2 10.99.2.2 1 '*' 2048 "$IF_H1" "$IF_H2" packets)"
	check_eq "$t: echo requests (bytes)" 420 \
	    "$(sum "$f" 10.99.1.2 10.99.2.2 1 '*' 2048 '*' '*' bytes)"
	check_eq "$t: echo requests anywhere (counted once)" 5 \
	    "$(sum "$f" 10.99.1.2 10.99.2.2 1 '*' 2048 '*' '*' packets)"
	check_eq "$t: echo replies in r-h2 out r-h1" 5 \
	    "$(sum "$f" 10.99.2.2 10.99.1.2 1 '*' 0 "$IF_H2" "$IF_H1" packets)"
	check_eq "$t: echo replies anywhere (counted once)" 5 \
	    "$(sum "$f" 10.99.2.2 10.99.1.2 1 '*' 0 '*' '*' packets)"
	check_eq "$t: UDP in r-h1 out r-h2" 20 \
	    "$(sum "$f" 10.99.1.2 10.99.2.2 17 40000 "$SINK_PORT" "$IF_H1" "$IF_H2" packets)"
	check_eq "$t: UDP (bytes)" 2560 \
	    "$(sum "$f" 10.99.1.2 10.99.2.2 17 40000 "$SINK_PORT" '*' '*' bytes)"
	check_eq "$t: UDP anywhere (counted once)" 20 \
	    "$(sum "$f" 10.99.1.2 10.99.2.2 17 40000 "$SINK_PORT" '*' '*' packets)"
	check_eq "$t: TCP SYN in r-h1 out r-h2" 1 \
	    "$(sum "$f" 10.99.1.2 10.99.2.2 6 '*' "$TCP_PORT" "$IF_H1" "$IF_H2" packets)"
	check_eq "$t: TCP SYN anywhere (counted once)" 1 \
	    "$(sum "$f" 10.99.1.2 10.99.2.2 6 '*' "$TCP_PORT" '*' '*' packets)"
	check_eq "$t: TCP RST in r-h2 out r-h1" 1 \
	    "$(sum "$f" 10.99.2.2 10.99.1.2 6 "$TCP_PORT" '*' "$IF_H2" "$IF_H1" packets)"
	check_eq "$t: TCP RST anywhere (counted once)" 1 \
	    "$(sum "$f" 10.99.2.2 10.99.1.2 6 "$TCP_PORT" '*' '*' '*' packets)"
	check_eq "$t: UDP in r-h3 (added after start) out r-h2" 10 \
	    "$(sum "$f" 10.99.3.2 10.99.2.2 17 40001 "$SINK_PORT" "$IF_H3" "$IF_H2" packets)"
	check_eq "$t: UDP h3 anywhere (counted once)" 10 \
	    "$(sum "$f" 10.99.3.2 10.99.2.2 17 40001 "$SINK_PORT" '*' '*' packets)"
	check_eq "$t: UDP after r-h3 went" 7 \
	    "$(sum "$f" 10.99.1.2 10.99.2.2 17 40002 "$SINK_PORT" "$IF_H1" "$IF_H2" packets)"
	routes_ok "$f" 10.99.1.2 10.99.2.2 17 "$SINK_PORT" ||
	    fail "$t: UDP h1 -> h2: next hop / masks not 0.0.0.0 /24 /24"
	routes_ok "$f" 10.99.2.2 10.99.1.2 1 0 ||
	    fail "$t: echo replies: next hop / masks not 0.0.0.0 /24 /24"
}

# interfaces=all: every link but loopback, and links that appear later.
run_all() {
	local pid
	printf '/ip traffic-flow\nset enabled=yes interfaces=all capture=%s\n' \
	    "$CAPTURE" >"$T/all.rsc"
	ns_start "$NS_R" "$TFLOWD" -f -c "$T/all.rsc" -S "$T/all.sock" \
	    2>"$T/all.log"
	pid=$BG_PID
	wait_until 20 log_has all "live: started" || fail "all: no start"
	log_has all "capturing on r-h1 (ifindex $IF_H1)" &&
	    log_has all "capturing on r-h2 (ifindex $IF_H2)" ||
	    fail "interfaces=all did not capture r-h1 and r-h2"
	log_has all "capturing on lo " && fail "interfaces=all captured lo"
	ip link add r-h4 netns "$NS_R" type veth peer name h4-r \
	    netns "$NS_H3" || die "veth r-h4"
	wait_until 20 log_has all "capturing on r-h4" ||
	    fail "interfaces=all: a new link was not captured"
	proc_stop "$pid"
	check_eq "interfaces=all exit status" 0 "$?"
}

# enabled=no: without a control socket there is nothing to wait for;
# with one the daemon waits, and a reload that enables it captures.
run_disabled() {
	local pid
	printf '/ip traffic-flow\nset enabled=no interfaces=r-h1 capture=%s\n' \
	    "$CAPTURE" >"$T/off.rsc"
	in_ns "$NS_R" "$TFLOWD" -f -c "$T/off.rsc" -S '' 2>"$T/off.log"
	check_eq "enabled=no, no socket: exit status" 0 "$?"
	log_has off "disabled (enabled=no)" || fail "enabled=no not reported"

	ns_start "$NS_R" "$TFLOWD" -f -c "$T/off.rsc" -S "$T/off.sock" \
	    2>"$T/off2.log"
	pid=$BG_PID
	wait_until 20 log_has off2 "waiting to be enabled" ||
	    fail "enabled=no with a socket: not waiting"
	sed 's/enabled=no/enabled=yes/' "$T/off.rsc" >"$T/off.rsc.new"
	mv "$T/off.rsc.new" "$T/off.rsc"
	kill -HUP "$pid"
	case $CAPTURE in
	nflog*) wait_until 20 log_has off2 "reload: .*capturing" ;;
	*) wait_until 20 log_has off2 "capturing on r-h1" ;;
	esac || fail "enabling by reload did not start capture"
	proc_stop "$pid"
	check_eq "enabled by reload: exit status" 0 "$?"
}

live_main() {
	need_netns "network namespaces, capture"
	need_cmd ping iputils-ping
	need_cmd ss iproute2
	need_built "$TFLOWD" "$TFLOW" "$COLLECTOR" "$UDPSEND"
	netns_init
	head -c 100 /dev/zero >"$T/payload"

	live_topology
	sink_start "$SINK_PORT"
	if command -v live_setup_hook >/dev/null 2>&1; then
		live_setup_hook || die "setup hook"
	fi
	run_traffic w1 1
	check_run w1
	case $CAPTURE in
	afpacket)
		# Fanout over two workers: the same totals, every check.
		run_traffic w2 2
		check_run w2
		;;
	esac
	case $CAPTURE in
	nflog*) ;;
	*) run_all ;;
	esac
	run_disabled
	integ_done
}
