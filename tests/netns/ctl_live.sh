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

. "$(dirname "$0")/lib.sh"
NS_H=tflow-$$-ch
NS_R=tflow-$$-cr

need_netns "network namespaces, AF_PACKET"
need_cmd ping iputils-ping
need_built "$TFLOWD" "$TFLOW" "$COLLECTOR"
netns_init

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

# --- topology ----------------------------------------------------------------
ns_add "$NS_H" "$NS_R"
veth_add "$NS_R" r-h 10.98.1.1/24 "$NS_H" h-r 10.98.1.2/24
in_ns "$NS_H" ping -c 1 -W 2 10.98.1.1 >/dev/null || die "h -> r"

# --- collectors and probe in r ---------------------------------------------------
collector_start "$NS_R" 127.0.0.1:2055 "$T/a.out" "$T/collector-a.log" \
    --format json || die "collector a did not bind"
COLL_A=$COLL_PID
collector_start "$NS_R" 127.0.0.1:2056 "$T/b.out" "$T/collector-b.log" \
    --format json || die "collector b did not bind"
COLL_B=$COLL_PID

# Long timeouts: every flow stays in the cache until SIGTERM.
cat >"$T/tflow.rsc" <<EOF
/ip traffic-flow
set enabled=yes interfaces=r-h active-flow-timeout=1h inactive-flow-timeout=10m
/ip traffic-flow target
add dst-address=127.0.0.1 port=2055 version=9
EOF
ns_start "$NS_R" "$TFLOWD" -f -c "$T/tflow.rsc" -S "$T/sock" \
    2>"$T/tflowd.log"
TFLOWD_PID=$BG_PID
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
pid_alive "$TFLOWD_PID" || die "tflowd died on SIGHUP"

in_ns "$NS_H" ping -c 4 -i 0.2 -W 2 10.98.1.1 >"$T/ping2.log" 2>&1 ||
    fail "second pings failed"
ok /ip traffic-flow monitor once
grep -q 'packets-seen: ' "$T/out" || fail "monitor: $(cat "$T/out")"
say "$(tr '\n' ' ' <"$T/out" | tr -s ' ')"

# --- SIGTERM: the cached flows, whole ---------------------------------------------
proc_stop "$TFLOWD_PID" || fail "tflowd exit status $?"
[ -e "$T/sock" ] && fail "socket not removed at exit"
collector_stop "$NS_R" 2055 "$COLL_A" || fail "collector a left data unread"
collector_stop "$NS_R" 2056 "$COLL_B" || fail "collector b left data unread"

# records FILE SRC DST DST_PORT: "records packets" of that ICMP flow key.
records() {
	json_fields "$1" src_addr dst_addr proto dst_port packets |
	    awk -v src="$2" -v dst="$3" -v dport="$4" '
	    $1 == src && $2 == dst && $3 == 1 && $4 == dport { n++; s += $5 }
	    END { print n + 0, s + 0 }'
}

# 7 pings: one record per direction with all 7, at each collector
for c in a b; do
	check_eq "collector $c: echo requests (records packets)" "1 7" \
	    "$(records "$T/$c.out" 10.98.1.2 10.98.1.1 2048)"
	check_eq "collector $c: echo replies (records packets)" "1 7" \
	    "$(records "$T/$c.out" 10.98.1.1 10.98.1.2 0)"
done

integ_done
