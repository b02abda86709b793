#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The control socket on a running tflowd, end to end, in network
# namespaces of its own (root only; exit 77 = SKIP otherwise):
#
#   ns h                       ns r
#  +-----------+    +--------------------------------------------+
#  | h-r       |----| r-h  10.98.1.1                             |
#  | 10.98.1.2 |    | tflowd -f -c $T/tflow.rsc -S $T/sock       |
#  +-----------+    |   v9    --> 127.0.0.1:2055 (collector a)   |
#                   |   ipfix --> 127.0.0.1:2056 (collector b,   |
#                   |             added through tflow)           |
#                   | tflow -S $T/sock ...                       |
#                   +--------------------------------------------+
#
# Through `tflow -S`: print, a live change of inactive-flow-timeout, a
# target added, commands that must be refused (five-octet address,
# unknown property, bad time, cache-entries=0) with no change in force or
# on disk, export equal to the saved file, monitor once.  SIGHUP with a
# broken file: logged with line:column, the old configuration stays.
# Pings before and after the changes, then SIGTERM: each direction is one
# record holding every ping, so the live changes kept the cached flows.
# No packet leaves the namespaces.

set -u

: "${TFLOW_BUILDDIR:?TFLOW_BUILDDIR must point at the build tree}"
TFLOWD=$TFLOW_BUILDDIR/tflowd
TFLOW=$TFLOW_BUILDDIR/tflow
COLLECTOR=$TFLOW_BUILDDIR/tflow-collector
NAME=ctl_live
NS_H=tflow-$$-ch
NS_R=tflow-$$-cr
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
for b in "$TFLOWD" "$TFLOW" "$COLLECTOR"; do
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

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

udp_bound() {
	in_ns "$1" ss -Hlun "sport = :$2" 2>/dev/null | grep -q .
}

udp_drained() {
	[ "$(in_ns "$1" ss -Hlun "sport = :$2" | awk '{ s += $2 }
	    END { print s + 0 }')" = 0 ]
}

log_has() { grep -q -- "$2" "$T/$1.log"; }

# tf ARGS...: tflow on the test's socket (in r, like an operator on the
# router); stdout in $T/out, stderr in $T/err, its status returned.
tf() {
	in_ns "$NS_R" "$TFLOW" -S "$T/sock" "$@" >"$T/out" 2>"$T/err"
}

# ok ARGS...: tflow must succeed and say nothing on stderr.
ok() {
	tf "$@" || fail "'$*' failed: $(cat "$T/err")"
	[ ! -s "$T/err" ] || fail "'$*' wrote to stderr: $(cat "$T/err")"
}

# refused MESSAGE ARGS...: tflow must fail with MESSAGE on stderr, and
# neither the config in force nor the file may change.
refused() {
	local msg=$1
	shift
	cp "$T/tflow.rsc" "$T/before.rsc"
	tf /export && cp "$T/out" "$T/before.export"
	if tf "$@"; then
		fail "'$*' was accepted"
	fi
	grep -qF -- "$msg" "$T/err" ||
	    fail "'$*': expected '$msg', got '$(cat "$T/err")'"
	cmp -s "$T/tflow.rsc" "$T/before.rsc" || fail "'$*' changed the file"
	tf /export
	cmp -s "$T/out" "$T/before.export" ||
	    fail "'$*' changed the config in force"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/tflow-ctl.XXXXXX") || die "mktemp"

# --- topology ----------------------------------------------------------------
for ns in "$NS_H" "$NS_R"; do
	ip netns add "$ns" || die "ip netns add $ns"
	NS_MADE="$NS_MADE $ns"
	in_ns "$ns" ip link set lo up
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	in_ns "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
done
ip link add r-h netns "$NS_R" type veth peer name h-r netns "$NS_H" ||
    die "veth r-h"
in_ns "$NS_H" ip addr add 10.98.1.2/24 dev h-r
in_ns "$NS_R" ip addr add 10.98.1.1/24 dev r-h
in_ns "$NS_H" ip link set h-r up
in_ns "$NS_R" ip link set r-h up
in_ns "$NS_H" ping -c 1 -W 2 10.98.1.1 >/dev/null || die "h -> r"

# --- collectors and probe in r ---------------------------------------------------
ip netns exec "$NS_R" "$COLLECTOR" --listen 127.0.0.1:2055 --format json \
    >"$T/a.out" 2>"$T/collector-a.log" &
COLL_A=$!
PIDS="$PIDS $COLL_A"
ip netns exec "$NS_R" "$COLLECTOR" --listen 127.0.0.1:2056 --format json \
    >"$T/b.out" 2>"$T/collector-b.log" &
COLL_B=$!
PIDS="$PIDS $COLL_B"
wait_until 10 udp_bound "$NS_R" 2055 || die "collector a did not bind"
wait_until 10 udp_bound "$NS_R" 2056 || die "collector b did not bind"

# Long timeouts: every flow stays in the cache until SIGTERM.
cat >"$T/tflow.rsc" <<EOF
/ip traffic-flow
set enabled=yes interfaces=r-h active-flow-timeout=1h inactive-flow-timeout=10m
/ip traffic-flow target
add dst-address=127.0.0.1 port=2055 version=9
EOF
ip netns exec "$NS_R" "$TFLOWD" -f -c "$T/tflow.rsc" -S "$T/sock" \
    2>"$T/tflowd.log" &
TFLOWD_PID=$!
PIDS="$PIDS $TFLOWD_PID"
wait_until 15 test -S "$T/sock" || die "tflowd made no socket at $T/sock"
wait_until 15 log_has tflowd "live: started" || die "tflowd did not start"
[ "$(stat -c %a "$T/sock")" = 660 ] ||
    fail "socket mode $(stat -c %a "$T/sock"), not 660"

# --- print ----------------------------------------------------------------------
ok /ip traffic-flow print
grep -qx '              enabled: yes' "$T/out" || fail "print: $(cat "$T/out")"
grep -qx 'inactive-flow-timeout: 10m' "$T/out" || fail "print: $(cat "$T/out")"

in_ns "$NS_H" ping -c 3 -i 0.2 -W 2 10.98.1.1 >"$T/ping1.log" 2>&1 ||
    fail "first pings failed"
# the first pings are in the cache before anything changes
wait_until 10 sh -c "'$TFLOW' -S '$T/sock' /ip traffic-flow monitor once \
    2>/dev/null | grep -Eq 'active-flows: [1-9]'" ||
    fail "monitor shows no active flow after the pings"

# --- live changes -------------------------------------------------------------
ok /ip traffic-flow set inactive-flow-timeout=20m
ok /ip traffic-flow print
grep -qx 'inactive-flow-timeout: 20m' "$T/out" ||
    fail "the change is not in force: $(cat "$T/out")"
grep -q 'inactive-flow-timeout=20m' "$T/tflow.rsc" ||
    fail "the change is not saved: $(cat "$T/tflow.rsc")"
ok /ip traffic-flow target add dst-address=127.0.0.1 port=2056 version=ipfix
ok /ip traffic-flow target print
grep -q ' 1   127.0.0.1   2056 ipfix' "$T/out" ||
    fail "target print: $(cat "$T/out")"
ok /export
cmp -s "$T/out" "$T/tflow.rsc" ||
    fail "the saved file is not what export prints: $(diff "$T/out" "$T/tflow.rsc")"
ls "$T"/tflow.rsc.* >/dev/null 2>&1 && fail "temp files left: $(ls "$T")"

# --- refused, with nothing changed ---------------------------------------------
refused "invalid value for argument address" \
    /ip traffic-flow target add address=192.168.88.100.182:9995
refused "unknown parameter colour" /ip traffic-flow set colour=red
refused "invalid value for argument active-flow-timeout" \
    /ip traffic-flow set active-flow-timeout=5x
refused "invalid value for argument cache-entries" \
    /ip traffic-flow set cache-entries=0

# --- the shell over a pipe ----------------------------------------------------------
printf '/ip traffic-flow target\nprint where version=ipfix\n..\nmonitor once\n' |
    in_ns "$NS_R" "$TFLOW" -S "$T/sock" >"$T/out" 2>"$T/err" ||
    fail "shell: $(cat "$T/err")"
grep -q ' 1   127.0.0.1   2056 ipfix' "$T/out" || fail "shell print where: $(cat "$T/out")"
grep -q 'targets: 2' "$T/out" || fail "shell monitor: $(cat "$T/out")"

# --- SIGHUP with a broken file: refused as a whole ---------------------------------
cp "$T/tflow.rsc" "$T/good.rsc"
printf '/ip traffic-flow\nset inactive-flow-timeout=1s bogus=1\n' >"$T/tflow.rsc"
kill -HUP "$TFLOWD_PID"
wait_until 10 log_has tflowd "tflow.rsc:2:[0-9]*.*keeping the running" ||
    fail "a broken config on SIGHUP was not reported with line:column"
ok /ip traffic-flow print
grep -qx 'inactive-flow-timeout: 20m' "$T/out" ||
    fail "SIGHUP with a broken file changed the config: $(cat "$T/out")"
cp "$T/good.rsc" "$T/tflow.rsc"
kill -0 "$TFLOWD_PID" 2>/dev/null || die "tflowd died on SIGHUP"

in_ns "$NS_H" ping -c 4 -i 0.2 -W 2 10.98.1.1 >"$T/ping2.log" 2>&1 ||
    fail "second pings failed"
ok /ip traffic-flow monitor once
grep -q 'packets-seen: ' "$T/out" || fail "monitor: $(cat "$T/out")"
say "$(tr '\n' ' ' <"$T/out" | tr -s ' ')"

# --- SIGTERM: the cached flows, whole ---------------------------------------------
kill -TERM "$TFLOWD_PID"
wait "$TFLOWD_PID"
rc=$?
[ "$rc" = 0 ] || fail "tflowd exit status $rc"
[ -e "$T/sock" ] && fail "socket not removed at exit"
wait_until 10 udp_drained "$NS_R" 2055 || fail "collector a left data unread"
wait_until 10 udp_drained "$NS_R" 2056 || fail "collector b left data unread"
kill -TERM "$COLL_A" "$COLL_B"
wait "$COLL_A" "$COLL_B"

# records FILE SRC DST DST_PORT: "records packets" of that ICMP flow key.
records() {
	awk -v src="$2" -v dst="$3" -v dport="$4" '
	function val(k,   m) {
		if (match($0, "\"" k "\": *\"?[^,\"}]*")) {
			m = substr($0, RSTART, RLENGTH)
			sub(/^"[^"]*": *"?/, "", m)
			return m
		}
		return ""
	}
	val("src_addr") == src && val("dst_addr") == dst &&
	    val("proto") == 1 && val("dst_port") == dport {
		n++; s += val("packets")
	}
	END { print n + 0, s + 0 }' "$1"
}

check_eq() {
	if [ "$2" = "$3" ]; then
		say "ok: $1 = $3"
	else
		fail "$1: expected $2, got $3"
	fi
}

# 7 pings: one record per direction with all 7, at each collector
for c in a b; do
	check_eq "collector $c: echo requests (records packets)" "1 7" \
	    "$(records "$T/$c.out" 10.98.1.2 10.98.1.1 2048)"
	check_eq "collector $c: echo replies (records packets)" "1 7" \
	    "$(records "$T/$c.out" 10.98.1.1 10.98.1.2 0)"
done

[ "$FAIL" = 0 ] || exit 1
say "PASS"
exit 0
