#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tflowd's netlink module (src/probe/nl_links.c, nl_routes.c) against the
# kernel, through tests/gen/tflow-nldump, in one network namespace of its
# own (root only; exit 77 = SKIP otherwise):
#
#   ns n (nothing leaves it; no traffic is sent at all)
#  +--------------------------------------------------------------+
#  |  v0 10.9.0.1/24 2001:db8:9::1/64 ===veth=== v1 (peer, up)    |
#  |  10.1.0.0/16 via 10.9.0.2        2001:db8:1::/48 via ::2      |
#  |  tflow-nldump links   (events -> links.log)                   |
#  |  tflow-nldump routes  (coprocess: address in, route hit out)  |
#  +--------------------------------------------------------------+
#
# Links: a veth pair added shows as `new` lines (within a second, else a
# warning: the machine is loaded), with the ifindex of /sys/class/net;
# renamed, the same ifindex shows as `rename`; deleted, as `del`.
# Routes: lookups follow `ip route add/del` at once (IPv4 and IPv6),
# longest prefix first, lowest metric first, fall back on delete; an
# address added is local; a link set down loses its IPv4 routes (the
# kernel flushes them silently, the module re-dumps); 20000 routes added
# in one burst while the reader sleeps are all there afterwards (the
# socket may overrun; then the module re-dumps).

set -u

. "$(dirname "$0")/lib.sh"
NLDUMP=$TFLOW_BUILDDIR/tests/gen/tflow-nldump
NS=tflow-$$-nl

need_netns "network namespaces"
need_built "$NLDUMP"
netns_init

has_line() { grep -qx -- "$1" "$T/links.log"; }

# expect_line LINE: the links log shows LINE within a second, or (a loaded
# machine) within 20 s with a warning.
expect_line() {
	if wait_until 1 has_line "$1"; then
		return 0
	fi
	if wait_until 20 has_line "$1"; then
		say "WARN: '$1' took more than a second"
		return 0
	fi
	fail "no line '$1' in links.log"
}

ns_add -6 "$NS"

# --- links --------------------------------------------------------------
ns_start "$NS" "$NLDUMP" links >"$T/links.log" 2>&1
wait_until 20 has_line "new 1 lo" || die "nldump links did not start"

in_ns "$NS" ip link add v0 type veth peer name v1 || die "veth"
I0=$(ifindex "$NS" v0)
I1=$(ifindex "$NS" v1)
expect_line "new $I0 v0"
expect_line "new $I1 v1"
in_ns "$NS" ip link set v1 name v1x || die "rename"
expect_line "rename $I1 v1x"
[ "$(ifindex "$NS" v1x)" = "$I1" ] || fail "rename changed the ifindex"
in_ns "$NS" ip link set v1x name v1 || die "rename back"
expect_line "rename $I1 v1"
in_ns "$NS" ip link add d0 type veth peer name d1 || die "veth d"
D0=$(ifindex "$NS" d0)
D1=$(ifindex "$NS" d1)
expect_line "new $D0 d0"
in_ns "$NS" ip link del d0 || die "del"
expect_line "del $D0 d0"
expect_line "del $D1 d1"
if grep -q " $I1 v1x\$" "$T/links.log" && grep -q "^del $I1 " "$T/links.log"; then
	fail "a rename showed as del"
fi

# --- routes -------------------------------------------------------------
in_ns "$NS" ip link set v0 up
in_ns "$NS" ip link set v1 up
in_ns "$NS" ip addr add 10.9.0.1/24 dev v0
in_ns "$NS" ip -6 addr add 2001:db8:9::1/64 dev v0 nodad

coproc NLD { exec ip netns exec "$NS" "$NLDUMP" routes 2>"$T/routes.log"; }
PIDS="$PIDS $NLD_PID"

# query ADDR: one line from nldump for ADDR, in $REPLY_LINE.
query() {
	REPLY_LINE=
	echo "$1" >&"${NLD[1]}" || die "nldump routes is gone"
	read -r -t 20 REPLY_LINE <&"${NLD[0]}" || die "no answer for $1"
	echo "$1 -> $REPLY_LINE" >>"$T/queries.log"
}

# expect ADDR FIELD=VALUE...: every field of the answer for ADDR matches.
expect() {
	local addr=$1 kv
	shift
	query "$addr"
	for kv in "$@"; do
		case " $REPLY_LINE " in
		*" $kv "*) ;;
		*) fail "$addr: want $kv, got '$REPLY_LINE'" ;;
		esac
	done
}

expect 10.9.0.7 out_if=$I0 next_hop=0.0.0.0 prefix=24 local=no
expect 10.9.0.1 prefix=24 local=yes
expect 10.1.2.3 out_if=0 prefix=none
expect 2001:db8:9::7 out_if=$I0 next_hop=:: prefix=64 local=no
expect 2001:db8:9::1 local=yes

in_ns "$NS" ip route add 10.1.0.0/16 via 10.9.0.2 || die "route add"
expect 10.1.2.3 out_if=$I0 next_hop=10.9.0.2 prefix=16
in_ns "$NS" ip route add 10.1.2.0/24 via 10.9.0.3 || die "route add /24"
expect 10.1.2.3 next_hop=10.9.0.3 prefix=24
expect 10.1.3.3 next_hop=10.9.0.2 prefix=16
in_ns "$NS" ip route add 10.1.2.3/32 dev v0 || die "host route"
expect 10.1.2.3 out_if=$I0 next_hop=0.0.0.0 prefix=32
in_ns "$NS" ip route del 10.1.2.3/32 dev v0
in_ns "$NS" ip route del 10.1.2.0/24 via 10.9.0.3
expect 10.1.2.3 next_hop=10.9.0.2 prefix=16
in_ns "$NS" ip route del 10.1.0.0/16 via 10.9.0.2
expect 10.1.2.3 out_if=0 prefix=none

# Two routes of one prefix: the lower metric wins, the other takes over.
in_ns "$NS" ip route add 10.2.0.0/16 via 10.9.0.2 metric 10
in_ns "$NS" ip route add 10.2.0.0/16 via 10.9.0.3 metric 20
expect 10.2.0.1 next_hop=10.9.0.2 prefix=16
in_ns "$NS" ip route del 10.2.0.0/16 via 10.9.0.2 metric 10
expect 10.2.0.1 next_hop=10.9.0.3 prefix=16
in_ns "$NS" ip route add default via 10.9.0.4
expect 192.0.2.1 next_hop=10.9.0.4 prefix=0
in_ns "$NS" ip route del default via 10.9.0.4
expect 192.0.2.1 prefix=none

in_ns "$NS" ip -6 route add 2001:db8:1::/48 via 2001:db8:9::2 || die "route -6 add"
expect 2001:db8:1:5::1 out_if=$I0 next_hop=2001:db8:9::2 prefix=48
in_ns "$NS" ip -6 route add 2001:db8:1:5::/64 via 2001:db8:9::3
expect 2001:db8:1:5::1 next_hop=2001:db8:9::3 prefix=64
expect 2001:db8:1:6::1 next_hop=2001:db8:9::2 prefix=48
in_ns "$NS" ip -6 route del 2001:db8:1:5::/64 via 2001:db8:9::3
expect 2001:db8:1:5::1 next_hop=2001:db8:9::2 prefix=48
in_ns "$NS" ip -6 route del 2001:db8:1::/48 via 2001:db8:9::2
expect 2001:db8:1:5::1 out_if=0 prefix=none

# Local addresses come and go.
in_ns "$NS" ip addr add 10.9.0.50/24 dev v0
in_ns "$NS" ip -6 addr add 2001:db8:9::50/64 dev v0 nodad
expect 10.9.0.50 local=yes
expect 2001:db8:9::50 local=yes
in_ns "$NS" ip addr del 10.9.0.50/24 dev v0
expect 10.9.0.50 local=no
expect 10.9.0.1 local=yes

# A link set down: the kernel drops its IPv4 routes without an event.
in_ns "$NS" ip link add w0 type veth peer name w1
in_ns "$NS" ip link set w0 up
in_ns "$NS" ip link set w1 up
in_ns "$NS" ip addr add 10.8.0.1/24 dev w0
in_ns "$NS" ip route add 10.3.0.0/16 via 10.8.0.2
W0=$(ifindex "$NS" w0)
expect 10.3.0.1 out_if=$W0 next_hop=10.8.0.2 prefix=16
in_ns "$NS" ip link set w0 down
expect 10.3.0.1 out_if=0 prefix=none
expect 10.8.0.9 prefix=none
expect 10.1.2.3 prefix=none
expect 10.2.0.1 next_hop=10.9.0.3 prefix=16

# A burst of 20000 routes while nldump waits on stdin: more than the event
# socket may hold; whatever happened, every route must be there after.
query count
BEFORE=${REPLY_LINE#routes=}
BEFORE=${BEFORE%% *}
awk 'BEGIN { for (i = 0; i < 20000; i++)
	printf "route add 10.%d.%d.0/24 via 10.9.0.2\n", 100 + int(i / 256), i % 256 }' \
	>"$T/batch"
in_ns "$NS" ip -batch "$T/batch" || die "ip -batch"
query count
N=${REPLY_LINE#routes=}
N=${N%% *}
say "after the burst: $REPLY_LINE (before: $BEFORE routes)"
[ "$N" = "$((BEFORE + 20000))" ] || fail "want $((BEFORE + 20000)) routes, got '$REPLY_LINE'"
expect 10.100.0.9 next_hop=10.9.0.2 prefix=24
expect 10.177.31.9 next_hop=10.9.0.2 prefix=24
expect 10.178.32.9 prefix=none

[ -s "$T/routes.log" ] && { say "nldump routes said:"; cat "$T/routes.log"; }
integ_done
