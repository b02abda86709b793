# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers for the tests that run in network namespaces of their own
# (tests/netns/*.sh) and for the live-capture benchmark (tests/bench/live.sh):
# root and tool checks that skip with a reason, namespaces and veth pairs
# that are removed again on every exit path, programs started inside a
# namespace, the h1 - r - h2 topology of the capture tests, and a
# tflow-collector started, drained, stopped and its JSON read.  It sources
# tests/integ/lib.sh for what both families share (skip/die/fail, check_eq,
# wait_until, log_has, pid_alive, need_built, integ_done), so that there is
# one copy of each.  The caller sets TFLOW_BUILDDIR first; names that must
# be unique per run carry $$ and are the caller's.

. "$(dirname "${BASH_SOURCE[0]}")/../integ/lib.sh"

TFLOW=$TFLOW_BUILDDIR/tflow
COLLECTOR=$TFLOW_BUILDDIR/tflow-collector
UDPSEND=$TFLOW_BUILDDIR/tests/gen/tflow-udpsend
# Pids of what the test started in the background; namespaces it made.
PIDS=
NS_MADE=

say() { integ_log "$*"; }

# need_netns WHY: root (WHY: what for), iproute2 and `ip netns`, or SKIP.
need_netns() {
	[ "$(id -u)" = 0 ] || skip "needs root ($1)"
	need_cmd ip iproute2
	ip netns list >/dev/null 2>&1 || skip "'ip netns' is not available"
}

# need_cmd CMD PACKAGE: SKIP, naming the Debian package, unless CMD is
# installed.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
	    skip "'$1' not installed (Debian: $2)"
}

# netns_cleanup, the EXIT trap: end what was started, delete the
# namespaces, show the end of every log when the test failed, remove $T
# (kept with TFLOW_KEEP=1).
netns_cleanup() {
	local rc=$? p ns f
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
				[ -s "$f" ] || continue
				say "--- $(basename "$f")"
				tail -n 25 "$f" >&2
			done
		fi
		if [ -n "${TFLOW_KEEP:-}" ]; then
			say "kept the run logs in $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}

# netns_init: the traps that clean up on every exit path, then the temp
# dir $T.
netns_init() {
	trap netns_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	T=$(mktemp -d "${TMPDIR:-/tmp}/tflow-$INTEG_NAME.XXXXXX") ||
	    die "mktemp failed"
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ns_start NS CMD...: CMD in the background in namespace NS, with the
# caller's redirections (`ns_start NS CMD >OUT 2>LOG`).  `ip netns exec`
# execs CMD, so $BG_PID is the program itself (in_ns ... & would be a
# subshell); it also goes to $PIDS for the cleanup.
ns_start() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	BG_PID=$!
	PIDS="$PIDS $BG_PID"
}

# pids_drop PID: PID was waited for; the cleanup must not signal its
# number again (it may belong to another process by then).
pids_drop() {
	local rest= p
	for p in $PIDS; do
		[ "$p" = "$1" ] || rest="$rest $p"
	done
	PIDS=$rest
}

# proc_stop PID: SIGTERM, wait; returns its exit status.
proc_stop() {
	local rc
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	rc=$?
	pids_drop "$1"
	return "$rc"
}

# ns_add [-6] NS...: new namespaces, deleted on exit, loopback up.  IPv6 is
# off (no router solicitations, MLD or DAD: only the test's own traffic)
# unless -6.
ns_add() {
	local off=1 ns
	if [ "${1:-}" = -6 ]; then
		off=0
		shift
	fi
	for ns in "$@"; do
		ip netns add "$ns" || die "ip netns add $ns failed"
		NS_MADE="$NS_MADE $ns"
		in_ns "$ns" ip link set lo up
		in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=$off \
		    2>/dev/null
		in_ns "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=$off \
		    2>/dev/null
	done
}

# veth_add NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth pair, IF_A in NS_A
# and its peer IF_B in NS_B, each with its address/prefix ("" for none),
# both up.  IF_A, the side a probe captures on, goes up last: it comes up
# with its carrier at once, one link event as when a cable is plugged in.
veth_add() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
	    die "veth $2"
	[ -z "$6" ] || in_ns "$4" ip addr add "$6" dev "$5"
	[ -z "$3" ] || in_ns "$1" ip addr add "$3" dev "$2"
	in_ns "$4" ip link set "$5" up
	in_ns "$1" ip link set "$2" up
}

# ifindex NS IF: the kernel's index of interface IF in NS.
ifindex() { in_ns "$1" cat "/sys/class/net/$2/ifindex"; }

# router_topology [NS...]: the topology of cap_backends.sh and live_lib.sh
# (drawn there): namespaces $NS_H1, $NS_R, $NS_H2 (tflow-$$-h1, -r, -h2)
# and NS... (linked later), h1-r 10.99.1.2 -- r-h1 10.99.1.1 and r-h2
# 10.99.2.1 -- h2-r 10.99.2.2 (/24), r forwarding and the hosts' default
# route through it.  $IF_H1 and $IF_H2: the ifindex of r-h1 and r-h2.
router_topology() {
	NS_H1=tflow-$$-h1
	NS_R=tflow-$$-r
	NS_H2=tflow-$$-h2
	ns_add "$NS_H1" "$NS_R" "$NS_H2" "$@"
	veth_add "$NS_R" r-h1 10.99.1.1/24 "$NS_H1" h1-r 10.99.1.2/24
	veth_add "$NS_R" r-h2 10.99.2.1/24 "$NS_H2" h2-r 10.99.2.2/24
	in_ns "$NS_H1" ip route add default via 10.99.1.1
	in_ns "$NS_H2" ip route add default via 10.99.2.1
	in_ns "$NS_R" sysctl -qw net.ipv4.ip_forward=1 || die "ip_forward"
	IF_H1=$(ifindex "$NS_R" r-h1)
	IF_H2=$(ifindex "$NS_R" r-h2)
	[ -n "$IF_H1" ] && [ -n "$IF_H2" ] && [ "$IF_H1" != "$IF_H2" ] ||
	    die "ifindex of r-h1/r-h2: '$IF_H1' '$IF_H2'"
}

# ns_udp_bound NS PORT: a UDP socket in NS is bound to PORT.
ns_udp_bound() {
	in_ns "$1" ss -Hlun "sport = :$2" 2>/dev/null | grep -q .
}

# ns_udp_drained NS PORT: nothing waits in that socket's receive queue.
ns_udp_drained() {
	[ "$(in_ns "$1" ss -Hlun "sport = :$2" | awk '{ s += $2 }
	    END { print s + 0 }')" = 0 ]
}

# collector_start NS ADDR:PORT OUT LOG [ARGS...]: tflow-collector ARGS
# listening on ADDR:PORT in NS, stdout to OUT, stderr to LOG; its pid in
# $COLL_PID and $PIDS.  Returns 1 when it has not bound in 20 s.
collector_start() {
	local ns=$1 addr=$2 out=$3 log=$4
	shift 4
	ns_start "$ns" "$COLLECTOR" --listen "$addr" "$@" >"$out" 2>"$log"
	COLL_PID=$BG_PID
	wait_until 20 ns_udp_bound "$ns" "${addr##*:}"
}

# collector_stop NS PORT PID: once the collector has read everything
# queued on PORT (20 s at most), SIGTERM and wait.  Returns 1 when data was
# left unread.
collector_stop() {
	local rc=0
	wait_until 20 ns_udp_drained "$1" "$2" || rc=1
	proc_stop "$3"
	return "$rc"
}

# sink_start PORT: a collector on h2's 10.99.2.2:PORT in router_topology,
# only so that h2 does not answer "port unreachable".
sink_start() {
	collector_start "$NS_H2" "10.99.2.2:$1" /dev/null "$T/sink.log" ||
	    die "sink did not bind"
}

# json_fields FILE KEY...: for every record of FILE (tflow-collector
# --format json, a record a line), the values of KEY... on one line,
# separated by spaces ("" where the record has no such key).
json_fields() {
	local f=$1
	shift
	awk -v keys="$*" '
	function val(k,   m) {
		if (!match($0, "\"" k "\": *\"?[^,\"}]*"))
			return ""
		m = substr($0, RSTART, RLENGTH)
		sub(/^"[^"]*": *"?/, "", m)
		return m
	}
	BEGIN { n = split(keys, key, " ") }
	{
		line = val(key[1])
		for (i = 2; i <= n; i++)
			line = line " " val(key[i])
		print line
	}' "$f"
}
