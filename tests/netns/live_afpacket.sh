#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Live capture on the AF_PACKET ring, end to end, in network namespaces of
# its own (root only; exit 77 = SKIP otherwise):
#
#   ns h1                  ns r (forwarding)                   ns h2
#  +-----------+    +-----------------------------------+    +-----------+
#  | h1-r      |----| r-h1              r-h2            |----| h2-r      |
#  | 10.99.1.2 |    | 10.99.1.1         10.99.2.1       |    | 10.99.2.2 |
#  +-----------+    |                                   |    | udp sink  |
#                   | tflowd -f (interfaces=r-h1,r-h2)  |    |  :5000    |
#                   |   v9 --> 127.0.0.1:2055 (lo)      |    +-----------+
#                   | tflow-collector --format json     |
#                   +-----------------------------------+
#
# Traffic h1 -> h2: ping -c 5 and 20 UDP datagrams of 100 bytes from port
# 40000.  Then SIGTERM tflowd, which must export every cached flow.  The
# collector's JSON must show each direction once, with the ingress veth's
# ifindex as in_if: echo requests 5 packets in on r-h1, echo replies 5 in
# on r-h2, UDP 20 packets / 2560 bytes in on r-h1.  No packet leaves the
# namespaces: every address is inside them.

set -u

: "${TFLOW_BUILDDIR:?TFLOW_BUILDDIR must point at the build tree}"
TFLOWD=$TFLOW_BUILDDIR/tflowd
COLLECTOR=$TFLOW_BUILDDIR/tflow-collector
UDPSEND=$TFLOW_BUILDDIR/tests/gen/tflow-udpsend
NAME=live_afpacket
NS_H1=tflow-$$-h1
NS_R=tflow-$$-r
NS_H2=tflow-$$-h2
PORT=2055
SINK_PORT=5000
T=
PIDS=
NS_MADE=
FAIL=0

say() { printf '%s: %s\n' "$NAME" "$*"; }
skip() { say "SKIP: $*"; exit 77; }
die() { say "ERROR: $*"; exit 99; }
fail() { say "FAIL: $*"; FAIL=1; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, AF_PACKET)"
command -v ip >/dev/null 2>&1 || skip "'ip' (iproute2) not installed"
ip netns list >/dev/null 2>&1 || skip "'ip netns' is not available"
command -v ping >/dev/null 2>&1 || skip "'ping' not installed (iputils-ping)"
for b in "$TFLOWD" "$COLLECTOR" "$UDPSEND"; do
	[ -x "$b" ] || die "$b not built"
done

cleanup() {
	local rc=$? p ns
	trap - EXIT INT TERM HUP
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	for ns in $NS_MADE; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
			for f in "$T"/*.log; do
				[ -f "$f" ] || continue
				say "--- $(basename "$f")"
				tail -n 20 "$f" >&2
			done
		fi
		[ -n "${TFLOW_KEEP:-}" ] && say "kept $T" || rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# wait_until SECONDS CMD...: poll CMD every 50 ms.
wait_until() {
	local limit=$(($1 * 20)) i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.05
	done
}

# Background processes are started with `ip netns exec` itself (it execs
# the program), never through this function: $! must be the program.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# udp_bound NS PORT: something listens on UDP PORT in NS.
udp_bound() {
	in_ns "$1" ss -Hlun "sport = :$2" 2>/dev/null | grep -q .
}

# udp_drained NS PORT: the socket on PORT in NS has nothing queued.
udp_drained() {
	[ "$(in_ns "$1" ss -Hlun "sport = :$2" | awk '{ s += $2 }
	    END { print s + 0 }')" = 0 ]
}

log_has() { grep -q -- "$2" "$T/$1.log"; }

T=$(mktemp -d "${TMPDIR:-/tmp}/tflow-live.XXXXXX") || die "mktemp"

# --- topology ----------------------------------------------------------------
for ns in "$NS_H1" "$NS_R" "$NS_H2"; do
	ip netns add "$ns" || die "ip netns add $ns"
	NS_MADE="$NS_MADE $ns"
	in_ns "$ns" ip link set lo up
	# No IPv6 router solicitations or MLD: only the test's traffic.
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	in_ns "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
done
ip link add r-h1 netns "$NS_R" type veth peer name h1-r netns "$NS_H1" ||
    die "veth r-h1"
ip link add r-h2 netns "$NS_R" type veth peer name h2-r netns "$NS_H2" ||
    die "veth r-h2"
in_ns "$NS_H1" ip addr add 10.99.1.2/24 dev h1-r
in_ns "$NS_R" ip addr add 10.99.1.1/24 dev r-h1
in_ns "$NS_R" ip addr add 10.99.2.1/24 dev r-h2
in_ns "$NS_H2" ip addr add 10.99.2.2/24 dev h2-r
in_ns "$NS_H1" ip link set h1-r up
in_ns "$NS_R" ip link set r-h1 up
in_ns "$NS_R" ip link set r-h2 up
in_ns "$NS_H2" ip link set h2-r up
in_ns "$NS_H1" ip route add default via 10.99.1.1
in_ns "$NS_H2" ip route add default via 10.99.2.1
in_ns "$NS_R" sysctl -qw net.ipv4.ip_forward=1 || die "ip_forward"
IF_H1=$(in_ns "$NS_R" cat /sys/class/net/r-h1/ifindex)
IF_H2=$(in_ns "$NS_R" cat /sys/class/net/r-h2/ifindex)
[ -n "$IF_H1" ] && [ -n "$IF_H2" ] && [ "$IF_H1" != "$IF_H2" ] ||
    die "ifindex of r-h1/r-h2: '$IF_H1' '$IF_H2'"
# Resolve neighbours first so that the counted traffic is all there is.
in_ns "$NS_H1" ping -c 1 -W 2 10.99.1.1 >/dev/null || die "h1 -> r"
in_ns "$NS_H2" ping -c 1 -W 2 10.99.2.1 >/dev/null || die "h2 -> r"

# --- collector and probe in r, a UDP sink in h2 --------------------------------
ip netns exec "$NS_R" "$COLLECTOR" --listen "127.0.0.1:$PORT" --format json \
    >"$T/collector.out" 2>"$T/collector.log" &
COLL_PID=$!
PIDS="$PIDS $COLL_PID"
wait_until 10 udp_bound "$NS_R" "$PORT" || die "collector did not bind"

# The sink only keeps h2 from answering "port unreachable".
ip netns exec "$NS_H2" "$COLLECTOR" --listen "10.99.2.2:$SINK_PORT" \
    >/dev/null 2>"$T/sink.log" &
PIDS="$PIDS $!"
wait_until 10 udp_bound "$NS_H2" "$SINK_PORT" || die "sink did not bind"

cat >"$T/tflow.rsc" <<EOF
/ip traffic-flow
set enabled=yes interfaces=r-h1,r-h2 inactive-flow-timeout=15s
/ip traffic-flow target
add dst-address=127.0.0.1 port=$PORT version=9
EOF
ip netns exec "$NS_R" "$TFLOWD" -f -c "$T/tflow.rsc" -p "$T/tflowd.pid" \
    2>"$T/tflowd.log" &
TFLOWD_PID=$!
PIDS="$PIDS $TFLOWD_PID"
wait_until 10 log_has tflowd "live: started" || die "tflowd did not start"
[ "$(cat "$T/tflowd.pid" 2>/dev/null)" = "$TFLOWD_PID" ] ||
    fail "pidfile holds '$(cat "$T/tflowd.pid" 2>/dev/null)', not $TFLOWD_PID"

# --- SIGHUP: a broken file keeps the running config, a good one applies ----
cp "$T/tflow.rsc" "$T/good.rsc"
printf '/ip traffic-flow\nset enabled=yes bogus=1\n' >"$T/tflow.rsc"
kill -HUP "$TFLOWD_PID"
wait_until 10 log_has tflowd "tflow.rsc:2:.*keeping the running" ||
    fail "a broken config on SIGHUP was not reported with line:column"
sed 's/version=9/version=9 v9-template-refresh=10/' "$T/good.rsc" \
    >"$T/tflow.rsc"
kill -HUP "$TFLOWD_PID"
wait_until 10 log_has tflowd "reload: .*: 1 target(s)" ||
    fail "a good config on SIGHUP did not replace the targets"
kill -0 "$TFLOWD_PID" 2>/dev/null || die "tflowd died on SIGHUP"

# --- traffic ----------------------------------------------------------------
in_ns "$NS_H1" ping -c 5 -i 0.2 -W 2 10.99.2.2 >"$T/ping.log" 2>&1 ||
    fail "ping h1 -> h2 failed"
head -c 100 /dev/zero >"$T/payload"
set --
for i in $(seq 20); do set -- "$@" "$T/payload"; done
in_ns "$NS_H1" "$UDPSEND" -a 10.99.2.2 -p "$SINK_PORT" -s 40000 "$@" ||
    fail "tflow-udpsend failed"

# --- SIGTERM: every cached flow is exported ---------------------------------------
kill -TERM "$TFLOWD_PID"
wait "$TFLOWD_PID"
rc=$?
[ "$rc" = 0 ] || fail "tflowd exit status $rc"
[ -e "$T/tflowd.pid" ] && fail "pidfile not removed at exit"
wait_until 10 udp_drained "$NS_R" "$PORT" || fail "collector left data unread"
kill -TERM "$COLL_PID"
wait "$COLL_PID"

grep -q 'live: packets=' "$T/tflowd.log" || fail "no stats line at exit"
say "$(grep -o 'live: packets=.*' "$T/tflowd.log")"
grep -q 'capture_drops=0 ' "$T/tflowd.log" || fail "capture drops"

# sum SRC DST PROTO DST_PORT IN_IF FIELD: FIELD summed over the JSON records
# of that flow key arriving on IN_IF ("*": any interface).
sum() {
	awk -v src="$1" -v dst="$2" -v proto="$3" -v dport="$4" -v inif="$5" \
	    -v field="$6" '
	function val(k,   m) {
		if (match($0, "\"" k "\": *\"?[^,\"}]*")) {
			m = substr($0, RSTART, RLENGTH)
			sub(/^"[^"]*": *"?/, "", m)
			return m
		}
		return ""
	}
	val("src_addr") == src && val("dst_addr") == dst &&
	    val("proto") == proto && val("dst_port") == dport &&
	    (inif == "*" || val("in_if") == inif) { s += val(field) }
	END { print s + 0 }' "$T/collector.out"
}

# check_eq WHAT EXPECTED GOT
check_eq() {
	if [ "$2" = "$3" ]; then
		say "ok: $1 = $3"
	else
		fail "$1: expected $2, got $3"
	fi
}

# ICMP dst_port is type << 8 | code: 2048 echo request, 0 echo reply.
check_eq "echo requests in on r-h1 (packets)" 5 \
    "$(sum 10.99.1.2 10.99.2.2 1 2048 "$IF_H1" packets)"
check_eq "echo requests in on r-h1 (bytes)" 420 \
    "$(sum 10.99.1.2 10.99.2.2 1 2048 "$IF_H1" bytes)"
check_eq "echo requests on any interface (counted once)" 5 \
    "$(sum 10.99.1.2 10.99.2.2 1 2048 '*' packets)"
check_eq "echo replies in on r-h2 (packets)" 5 \
    "$(sum 10.99.2.2 10.99.1.2 1 0 "$IF_H2" packets)"
check_eq "echo replies on any interface (counted once)" 5 \
    "$(sum 10.99.2.2 10.99.1.2 1 0 '*' packets)"
check_eq "UDP in on r-h1 (packets)" 20 \
    "$(sum 10.99.1.2 10.99.2.2 17 "$SINK_PORT" "$IF_H1" packets)"
check_eq "UDP in on r-h1 (bytes)" 2560 \
    "$(sum 10.99.1.2 10.99.2.2 17 "$SINK_PORT" "$IF_H1" bytes)"
check_eq "UDP on any interface (counted once)" 20 \
    "$(sum 10.99.1.2 10.99.2.2 17 "$SINK_PORT" '*' packets)"

# --- interfaces=all: every interface that is up, loopback excepted ---------
printf '/ip traffic-flow\nset enabled=yes interfaces=all\n' >"$T/all.rsc"
ip netns exec "$NS_R" "$TFLOWD" -f -c "$T/all.rsc" 2>"$T/all.log" &
ALL_PID=$!
PIDS="$PIDS $ALL_PID"
wait_until 10 log_has all "live: started" || fail "interfaces=all: no start"
log_has all "capturing on r-h1 (ifindex $IF_H1)" &&
    log_has all "capturing on r-h2 (ifindex $IF_H2)" ||
    fail "interfaces=all did not capture r-h1 and r-h2"
log_has all "capturing on lo " && fail "interfaces=all captured lo"
kill -TERM "$ALL_PID"
wait "$ALL_PID"
check_eq "interfaces=all exit status" 0 "$?"

# --- enabled=no: not running, as on RouterOS ----------------------------------
printf '/ip traffic-flow\nset enabled=no interfaces=r-h1\n' >"$T/off.rsc"
in_ns "$NS_R" "$TFLOWD" -f -c "$T/off.rsc" 2>"$T/off.log"
check_eq "enabled=no exit status" 0 "$?"
log_has off "disabled (enabled=no)" || fail "enabled=no not reported"

[ "$FAIL" = 0 ] || exit 1
say "PASS"
exit 0
