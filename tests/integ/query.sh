#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tflow-query end to end, on 127.0.0.1:
#
#   tflow-pcapgen -> tflowd -r --v9--> tflow-collector --write DIR
#                              \--v9--> nfcapd (when installed)
#   tflow-query -R DIR ...  compared with the generator's truth, and with
#   nfdump on the same export
#
#  1. every record: per flow key, packets and bytes equal the truth;
#  2. --count under filters (proto, src net, not port, inet6) equals the
#     truth summed by awk with the same meaning;
#  3. -A proto and -A srcip --top 5 equal the truth's sums;
#  4. --from/--to keeps exactly the records whose first time is in range;
#  5. report --subnet and --tenants: in and out bytes of a /16 equal the
#     truth's;
#  6. nfdump with the same filters reports the same packets and bytes.

. "$(dirname "$0")/lib.sh"

COLLECTOR=$TFLOW_BUILDDIR/tflow-collector
QUERY=$TFLOW_BUILDDIR/tflow-query

integ_init
[ -x "$COLLECTOR" ] || die "$COLLECTOR not built"
[ -x "$QUERY" ] || die "$QUERY not built"

have_nfdump=no
command -v nfcapd >/dev/null 2>&1 && command -v nfdump >/dev/null 2>&1 &&
    have_nfdump=yes

gen_pcap q --flows 3000 --packets 60000 --ipv6 0.2 --duration 20 --seed 21

port=$(free_port)
setsid "$COLLECTOR" --listen "127.0.0.1:$port" --write "$T/store" \
    --rotate 5 >"$T/col.out" 2>"$T/col.log" &
cpid=$!
INTEG_PIDS="$INTEG_PIDS $cpid"
wait_bound "$cpid" "$port" col
targets=("dst-address=127.0.0.1 port=$port version=9")
if [ $have_nfdump = yes ]; then
	nport=$(free_port)
	nfcapd_start nf "$nport"
	npid=$BG_PID
	targets+=("dst-address=127.0.0.1 port=$nport version=9")
fi
write_conf "$T/q.rsc" "${targets[@]}"
run_tflowd "$T/q.rsc" "$T/q.pcap"
check_drops "$port" tflow-collector
wait_until 20 udp_drained "$port" || fail "collector socket not drained"
kill -TERM "$cpid"
wait "$cpid"
check_eq "collector exit status" 0 "$?"
stop_bg "$cpid" -
[ $have_nfdump = yes ] && nfcapd_stop nf "$npid" "$nport"

q() {
	"$QUERY" -R "$T/store" "$@" 2>>"$T/query.err" ||
	    fail "tflow-query $* failed: $(tail -n 3 "$T/query.err")"
}

# --- 1. every record -----------------------------------------------------------
q -o json >"$T/all.json"
json_sums "$T/all.json" "" >"$T/all.keys"
truth_keys "$T/q.truth" >"$T/truth.keys"
compare_keys "all records" "$T/truth.keys" "$T/all.keys"

# --- 2. filters ------------------------------------------------------------------
# truth_filter AWK-CONDITION: "packets bytes" of the truth lines that
# match ($1 ipver, $2 src, $3 dst, $4 proto, $5 sport, $6 dport).
truth_filter() {
	awk "!/^#/ && ($1) { p += \$8; b += \$9 }
	    END { printf \"%.0f %.0f\\n\", p, b }" "$T/q.truth"
}
count_pb() {
	q --count "$@" | awk '{ print $4, $6 }'
}
check_filter() {	# filter, awk condition
	check_eq "filter '$1'" "$(truth_filter "$2")" "$(count_pb "$1")"
}
check_filter "any" '1'
check_filter "proto tcp" '$4 == 6'
check_filter "proto udp or proto icmp" '$4 == 17 || $4 == 1'
check_filter "src net 10.0.0.0/8" '$1 == 4 && $2 ~ /^10\./'
check_filter "src net 10.0.0.0/8 and not port 53" \
    '$1 == 4 && $2 ~ /^10\./ && $5 != 53 && $6 != 53'
check_filter "inet6" '$1 == 6'
check_filter "dst net 2001:db8::/32 and proto udp" \
    '$1 == 6 && $3 ~ /^2001:db8:/ && $4 == 17'
check_filter "dst port 443 || (proto tcp && !inet6)" \
    '$6 == 443 || ($4 == 6 && $1 == 4)'
# Byte counts are per record: checked against the records themselves.
want=$(q -o csv --fields bytes | awk 'NR > 1 && $1 > 10000 { n++ }
    END { print n + 0 }')
[ "$want" -gt 0 ] || fail "no record over 10k bytes: test too weak"
check_eq "filter 'bytes > 10k' records" "$want" \
    "$(q --count 'bytes > 10k' | awk '{ print $2 }')"
# A bad filter names its column.
if "$QUERY" -R "$T/store" 'proto tcp and port x' >/dev/null 2>"$T/bad.err"; then
	fail "a bad filter was accepted"
else
	grep -q 'column 20' "$T/bad.err" &&
	    integ_log "ok   bad filter: $(head -n 1 "$T/bad.err")" ||
	    fail "bad filter message: $(cat "$T/bad.err")"
fi

# --- 3. aggregation and top-N --------------------------------------------------
want=$(awk '!/^#/ { p[$4] += $8; b[$4] += $9 } END {
    for (k in p) printf "%s %.0f %.0f\n", k, p[k], b[k] }' "$T/q.truth" |
    sort -n)
got=$(q -o csv -A proto --fields proto,packets,bytes | tail -n +2 | tr , ' ' |
    sort -n)
check_eq "-A proto" "$want" "$got"
want=$(awk '!/^#/ { b[$2] += $9 } END { for (k in b) printf "%.0f\n", b[k] }' \
    "$T/q.truth" | sort -rn | head -n 5 | tr '\n' ' ')
got=$(q -o csv -A srcip --top 5 --by bytes --fields bytes | tail -n +2 |
    tr '\n' ' ')
check_eq "-A srcip --top 5 --by bytes" "$want" "$got"
want=$(awk '!/^#/ { b[$2] += $9 } END { for (k in b) printf "%s %.0f\n", k, b[k] }' \
    "$T/q.truth" | sort -k2,2rn | head -n 1 | cut -d' ' -f1)
got=$(q -o json -A srcip --top 1 | sed 's/.*"srcip":"\([^"]*\)".*/\1/')
check_eq "top source address" "$want" "$got"
rows=$(q -o csv -A srcip,dstip,proto,srcport,dstport,tos | tail -n +2 | wc -l)
check_eq "-A on the full key: one row per truth key" \
    "$(grep -vc '^#' "$T/q.truth")" "$rows"

# --- 4. time range -------------------------------------------------------------
from=2026-01-01T00:00:05Z
to="2026-01-01 00:00:12"
want=$(q -o csv --fields first | awk -F, 'NR > 1 &&
    $1 >= "2026-01-01T00:00:05.000Z" && $1 < "2026-01-01T00:00:12.000Z"' |
    wc -l)
got=$(q --count --from "$from" --to "$to" | awk '{ print $2 }')
check_eq "--from/--to records" "$want" "$got"
[ "$want" -gt 0 ] || fail "the time range selected nothing: test too weak"

# --- 5. tenant report ----------------------------------------------------------
# A /16 of the generator's sources: it both sends and receives.
net=$(awk '!/^#/ && $1 == 4 { split($2, a, "."); print a[1] "." a[2]; exit }' \
    "$T/q.truth")
want=$(awk -v n="$net." '!/^#/ && $1 == 4 {
    if (index($3, n) == 1) i += $9; if (index($2, n) == 1) o += $9 }
    END { printf "%.0f %.0f\n", i, o }' "$T/q.truth")
got=$(q -o csv report --subnet "$net.0.0/16" | awk -F, '$2 == "total" { print $3, $4 }')
check_eq "report --subnet $net.0.0/16: in out bytes" "$want" "$got"
printf '%s.0.0/16 office\n10.0.0.0/8 rest\n' "$net" >"$T/tenants"
got=$(q -o csv report --tenants "$T/tenants" --month 2026-01 |
    awk -F, '$1 == "office" && $2 == "total" { print $3, $4 }')
check_eq "report --tenants, --month: office in out bytes" "$want" "$got"
got=$(q -o csv report --tenants "$T/tenants" --month 2026-02 |
    awk -F, '$1 == "office" && $2 == "total" { print $3, $4 }')
check_eq "report for a month without flows" "0 0" "$got"

# --- 6. nfdump on the same export ----------------------------------------------
if [ $have_nfdump = yes ]; then
	for f in "proto tcp" "src net 10.0.0.0/8 and not port 53" \
	    "dst port 443 or proto icmp" "inet6 and proto udp"; do
		want=$(nfdump -R "$T/nf.d" -q -N -o 'fmt:%pkt %byt' "$f" \
		    2>>"$T/nfdump.err" | awk '{ p += $1; b += $2 }
		    END { printf "%.0f %.0f\n", p, b }')
		check_eq "nfdump '$f' = tflow-query" "$want" "$(count_pb "$f")"
	done
else
	integ_log "nfcapd/nfdump not installed: no comparison with nfdump"
fi

integ_done
