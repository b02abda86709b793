#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The capture backends (AF_PACKET, libpcap, NFLOG) and the direction
# settings, packet by packet, in network namespaces of its own (root only;
# exit 77 = SKIP otherwise):
#
#   ns h1                  ns r (forwarding)                   ns h2
#  +-----------+    +-----------------------------------+    +-----------+
#  | h1-r      |----| r-h1              r-h2            |----| h2-r      |
#  | 10.99.1.2 |    | 10.99.1.1         10.99.2.1       |    | 10.99.2.2 |
#  | h1-x      |----| r-x (created and deleted later)   |    | udp sink  |
#  | 10.99.3.2 |    | 10.99.3.1                         |    |  :5000    |
#  +-----------+    | tflow-capdump -b BACKEND -d DIR   |    +-----------+
#                   +-----------------------------------+
#
# Traffic of one round: h1 pings h2 3 times (3 requests and 3 replies
# forwarded), h1 sends 5 UDP datagrams of 100 bytes to h2, r pings h1
# twice (2 requests r originates, 2 replies to r).  tflow-capdump prints a
# line per delivered packet (dir ifindex out_ifindex wirelen src dst
# proto); each round checks, for every (direction, interface, flow), the
# exact count the setting must deliver:
#   ingress-and-local: forwarded packets once (in), r's own requests (out);
#   ingress: received only; egress: sent only; both: forwarded twice.
# NFLOG with log rules at the end of forward, input and output: forwarded
# packets with in and out ifindex, r's replies in, r's requests out.
# Fanout with two workers: every packet exactly once over both.  Then an
# interface created while capturing is added, renamed, deleted, and the
# others keep working.  No packet leaves the namespaces.

set -u

. "$(dirname "$0")/lib.sh"
CAPDUMP=$TFLOW_BUILDDIR/tests/gen/tflow-capdump
SINK_PORT=5000
NFLOG_GROUP=5
H1=10.99.1.2
H2=10.99.2.2
R1=10.99.1.1

need_netns "network namespaces, AF_PACKET"
need_cmd ping iputils-ping
need_built "$CAPDUMP" "$COLLECTOR" "$UDPSEND"
netns_init

out_has() { grep -qs -- "$2" "$T/$1.out"; }

# --- topology ----------------------------------------------------------------
router_topology
# Resolve every neighbour first so that the counted traffic is all there is.
in_ns "$NS_H1" ping -c 1 -W 2 $H2 >/dev/null || die "h1 -> h2"
in_ns "$NS_R" ping -c 1 -W 2 $H1 >/dev/null || die "r -> h1"
sink_start "$SINK_PORT"
head -c 100 /dev/zero >"$T/payload"

# --- helpers -------------------------------------------------------------------
DUMP_PID=

# start_dump TAG ARGS...: tflow-capdump in r, output in $T/TAG.out.
start_dump() {
	local tag=$1
	shift
	ns_start "$NS_R" "$CAPDUMP" "$@" >"$T/$tag.out" 2>"$T/$tag.log"
	DUMP_PID=$BG_PID
	wait_until 10 out_has "$tag" '^# ready' || {
		fail "$tag: tflow-capdump did not start: $(cat "$T/$tag.log")"
		return 1
	}
}

# stop_dump: SIGTERM, wait for its final stats line.
stop_dump() {
	proc_stop "$DUMP_PID" || fail "tflow-capdump exit status $?"
}

# One round of the traffic described at the top.
traffic() {
	in_ns "$NS_H1" ping -c 3 -i 0.2 -W 2 $H2 >/dev/null 2>&1 ||
		fail "ping h1 -> h2 failed"
	in_ns "$NS_H1" "$UDPSEND" -a $H2 -p $SINK_PORT -s 40000 \
	    "$T/payload" "$T/payload" "$T/payload" "$T/payload" \
	    "$T/payload" || fail "tflow-udpsend failed"
	in_ns "$NS_R" ping -c 2 -i 0.2 -W 2 $H1 >/dev/null 2>&1 ||
		fail "ping r -> h1 failed"
}

# cnt TAG DIR IFINDEX OUT_IFINDEX SRC DST PROTO: matching packet lines
# ("*" matches anything).
cnt() {
	awk -v d="$2" -v i="$3" -v o="$4" -v s="$5" -v t="$6" -v p="$7" '
	    ($1 == "in" || $1 == "out") &&
	    (d == "*" || $1 == d) && (i == "*" || $2 == i) &&
	    (o == "*" || $3 == o) && (s == "*" || $5 == s) &&
	    (t == "*" || $6 == t) && (p == "*" || $7 == p) { n++ }
	    END { print n + 0 }' "$T/$1.out"
}

# The test's own packets (ICMP/UDP between h1, h2 and r), wherever seen.
ours() {
	awk '($1 == "in" || $1 == "out") &&
	    ($5 ~ /^10\.99\./) && ($7 == 1 || $7 == 17) { n++ }
	    END { print n + 0 }' "$T/$1.out"
}

ours_at_least() { [ "$(ours "$1")" -ge "$2" ]; }

# stat_of TAG KEY: a field of the final stats line.
stat_of() {
	sed -n "s/^stats .*\\b$2=\\([0-9]*\\).*/\\1/p" "$T/$1.out"
}

# run_round TAG TOTAL ARGS...: capture one round of traffic, wait until
# TOTAL of our packets were printed, then a little longer so that a
# duplicate would show too (a ring block retires within 100 ms).
run_round() {
	local tag=$1 total=$2
	shift 2
	start_dump "$tag" "$@" || return 1
	traffic
	wait_until 20 ours_at_least "$tag" "$total" ||
		fail "$tag: only $(ours "$tag") of $total packets seen"
	sleep 0.5
	stop_dump
	check_eq "$tag: packets of the test" "$total" "$(ours "$tag")"
}

# expect TAG A B C D E F G H: counts for the eight (dir, interface, flow)
# cells, each also checked over all interfaces (out_ifindex 0):
#   A in r-h1 echo req h1>h2   B out r-h2 echo req h1>h2
#   C in r-h2 echo rep h2>h1   D out r-h1 echo rep h2>h1
#   E in r-h1 UDP h1>h2        F out r-h2 UDP h1>h2
#   G out r-h1 echo req r>h1   H in r-h1 echo rep h1>r
expect() {
	local t=$1
	check_eq "$t: A in r-h1 requests" "$2" "$(cnt "$t" in "$IF_H1" 0 $H1 $H2 1)"
	check_eq "$t: A' in any requests" "$2" "$(cnt "$t" in '*' '*' $H1 $H2 1)"
	check_eq "$t: B out r-h2 requests" "$3" "$(cnt "$t" out "$IF_H2" 0 $H1 $H2 1)"
	check_eq "$t: B' out any requests" "$3" "$(cnt "$t" out '*' '*' $H1 $H2 1)"
	check_eq "$t: C in r-h2 replies" "$4" "$(cnt "$t" in "$IF_H2" 0 $H2 $H1 1)"
	check_eq "$t: C' in any replies" "$4" "$(cnt "$t" in '*' '*' $H2 $H1 1)"
	check_eq "$t: D out r-h1 replies" "$5" "$(cnt "$t" out "$IF_H1" 0 $H2 $H1 1)"
	check_eq "$t: D' out any replies" "$5" "$(cnt "$t" out '*' '*' $H2 $H1 1)"
	check_eq "$t: E in r-h1 UDP" "$6" "$(cnt "$t" in "$IF_H1" 0 $H1 $H2 17)"
	check_eq "$t: E' in any UDP" "$6" "$(cnt "$t" in '*' '*' $H1 $H2 17)"
	check_eq "$t: F out r-h2 UDP" "$7" "$(cnt "$t" out "$IF_H2" 0 $H1 $H2 17)"
	check_eq "$t: F' out any UDP" "$7" "$(cnt "$t" out '*' '*' $H1 $H2 17)"
	check_eq "$t: G out r-h1 r's requests" "$8" "$(cnt "$t" out "$IF_H1" 0 $R1 $H1 1)"
	check_eq "$t: G' out any r's requests" "$8" "$(cnt "$t" out '*' '*' $R1 $H1 1)"
	check_eq "$t: H in r-h1 replies to r" "$9" "$(cnt "$t" in "$IF_H1" 0 $H1 $R1 1)"
	check_eq "$t: H' in any replies to r" "$9" "$(cnt "$t" in '*' '*' $H1 $R1 1)"
	check_eq "$t: capture drops" 0 "$(stat_of "$t" drops)"
}

# --- AF_PACKET and libpcap, each direction setting ---------------------------------
for b in afpacket pcap; do
	t=$b-ingress-and-local
	run_round "$t" 15 -b $b -d ingress-and-local r-h1 r-h2 &&
	    expect "$t" 3 0 3 0 5 0 2 2
	# Forwarded sends (3 + 3 + 5) are skipped and counted.
	[ "$(stat_of "$t" outgoing)" -ge 11 ] ||
		fail "$t: outgoing skipped $(stat_of "$t" outgoing), want >= 11"
	t=$b-ingress
	run_round "$t" 13 -b $b -d ingress r-h1 r-h2 &&
	    expect "$t" 3 0 3 0 5 0 0 2
	t=$b-egress
	run_round "$t" 13 -b $b -d egress r-h1 r-h2 &&
	    expect "$t" 0 3 0 3 0 5 2 0
	t=$b-both
	run_round "$t" 26 -b $b -d both r-h1 r-h2 &&
	    expect "$t" 3 3 3 3 5 5 2 2
done
t=afpacket-egress
[ "$(stat_of "$t" incoming)" -ge 13 ] ||
	fail "$t: received skipped $(stat_of "$t" incoming), want >= 13"

# --- AF_PACKET fanout over two workers: every packet exactly once ---------------
t=fanout
run_round "$t" 15 -b afpacket -d ingress-and-local -F 4242 -w 2 r-h1 r-h2 &&
    expect "$t" 3 0 3 0 5 0 2 2
sum=$(awk '$1 == "worker" { s += $4 } END { print s + 0 }' "$T/$t.out")
lines=$(awk '$1 == "in" || $1 == "out" { n++ } END { print n + 0 }' \
    "$T/$t.out")
check_eq "$t: sum of the workers' packets = packet lines" "$lines" "$sum"
say "$t: $(grep '^worker' "$T/$t.out" | tr '\n' ' ')"

# --- NFLOG: log rules at the end of input, forward and output ----------------------
if ! command -v nft >/dev/null 2>&1; then
	say "nft not installed: NFLOG part skipped"
elif ! in_ns "$NS_R" nft -f - <<EOF
table inet tflow {
	chain tflow_in {
		type filter hook input priority 100; log group $NFLOG_GROUP
	}
	chain tflow_fwd {
		type filter hook forward priority 100; log group $NFLOG_GROUP
	}
	chain tflow_out {
		type filter hook output priority 100; log group $NFLOG_GROUP
	}
}
EOF
then
	fail "nft rules for NFLOG could not be added"
else
	t=nflog
	if start_dump "$t" -b nflog:$NFLOG_GROUP; then
		traffic
		wait_until 20 ours_at_least "$t" 15 ||
			fail "$t: only $(ours "$t") of 15 packets seen"
		sleep 0.5
		stop_dump
		check_eq "$t: packets of the test" 15 "$(ours "$t")"
		check_eq "$t: forwarded requests in r-h1 out r-h2" 3 \
		    "$(cnt "$t" in "$IF_H1" "$IF_H2" $H1 $H2 1)"
		check_eq "$t: forwarded replies in r-h2 out r-h1" 3 \
		    "$(cnt "$t" in "$IF_H2" "$IF_H1" $H2 $H1 1)"
		check_eq "$t: forwarded UDP in r-h1 out r-h2, 128 bytes" 5 \
		    "$(cnt "$t" in "$IF_H1" "$IF_H2" $H1 $H2 17)"
		check_eq "$t: UDP wirelen from the IP header" 5 \
		    "$(awk -v s=$H1 '$5 == s && $7 == 17 && $4 == 128' \
		       "$T/$t.out" | wc -l | tr -d ' ')"
		check_eq "$t: r's requests out r-h1 (output chain)" 2 \
		    "$(cnt "$t" out "$IF_H1" "$IF_H1" $R1 $H1 1)"
		check_eq "$t: replies to r in r-h1 (input chain)" 2 \
		    "$(cnt "$t" in "$IF_H1" 0 $H1 $R1 1)"
		check_eq "$t: drops (sequence gaps)" 0 "$(stat_of "$t" drops)"
	fi
	in_ns "$NS_R" nft delete table inet tflow
fi

# --- interfaces that come, get renamed and go while capturing ---------------------
# h1_r_at_least N: N echo requests h1 -> r captured in on r-h1.
h1_r_at_least() {
	[ "$(cnt "$t" in "$IF_H1" 0 $H1 $R1 1)" -ge "$1" ]
}

# x_at_least N: N echo requests h1 -> r captured in on r-x.
x_at_least() {
	[ "$(cnt "$t" in "$IF_X" 0 10.99.3.2 10.99.3.1 1)" -ge "$1" ]
}

# ping_x TOTAL: h1 pings r over the new link, one echo at a time, until
# TOTAL requests were captured in on it (libpcap loses what arrives while
# it reopens a device that went down and up; the AF_PACKET socket stays).
# Fails after 20 tries; a duplicate shows in the final exact count.
ping_x() {
	local i=0
	while ! x_at_least "$1"; do
		i=$((i + 1))
		if [ "$i" -gt 20 ]; then
			fail "$t: $1 pings over r-x not captured"
			return 1
		fi
		in_ns "$NS_H1" ping -c 1 -W 2 10.99.3.1 >/dev/null 2>&1
		wait_until 2 x_at_least "$1"
	done
}

for b in afpacket pcap; do
	t=$b-follow
	start_dump "$t" -b $b -d ingress -R -a || continue
	wait_until 10 out_has "$t" "^# add r-h2 $IF_H2\$" ||
		fail "$t: r-h2 not added by the first scan"
	veth_add "$NS_R" r-x 10.99.3.1/24 "$NS_H1" h1-x 10.99.3.2/24
	IF_X=$(ifindex "$NS_R" r-x)
	wait_until 10 out_has "$t" "^# add r-x $IF_X\$" ||
		fail "$t: r-x not added"
	ping_x 2
	in_ns "$NS_R" ip link set r-x down
	in_ns "$NS_R" ip link set r-x name r-y
	in_ns "$NS_R" ip link set r-y up
	wait_until 10 out_has "$t" "^# rename $IF_X r-y\$" ||
		fail "$t: rename of r-x to r-y not followed"
	ping_x 4
	in_ns "$NS_R" ip link del r-y
	wait_until 10 out_has "$t" "^# del $IF_X 0\$" ||
		fail "$t: deleted r-y not removed"
	in_ns "$NS_H1" ping -c 2 -i 0.2 -W 2 $R1 >/dev/null 2>&1 ||
		fail "ping h1 -> r failed"
	wait_until 10 h1_r_at_least 2 ||
		fail "$t: r-h1 stopped capturing after r-y was removed"
	sleep 0.5
	stop_dump
	check_eq "$t: pings over r-x/r-y, once each" 4 \
	    "$(cnt "$t" in "$IF_X" 0 10.99.3.2 10.99.3.1 1)"
	check_eq "$t: pings to r over r-h1 after the removal" 2 \
	    "$(cnt "$t" in "$IF_H1" 0 $H1 $R1 1)"
	check_eq "$t: lo never added" 0 "$(grep -c '^# add lo ' "$T/$t.out")"
done

integ_done
