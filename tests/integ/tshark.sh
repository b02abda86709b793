#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tflowd -r -> a dumpcap capture on lo, decoded by tshark's cflow
# dissector.  Run 1: v1, v5, v9 and IPFIX targets at once, v9/IPFIX with
# v9-template-refresh=N and a timeout longer than the pcap:
#   - every datagram tflowd sent is in the capture;
#   - no malformed packet, no expert info of warning level or above
#     (this includes tshark's flow sequence checks);
#   - tshark's sum of packets and octets = the truth (IPv4 only for v1/v5);
#   - templates (v9 flowset 0, IPFIX set 2) and options templates (1, 3)
#     are in datagrams 1, 1+N, 1+2N ... and in no other.
# Run 2: v9 and IPFIX with refresh 65535 and v9-template-timeout=T (4 s
# and 10 s) on a pcap spanning several T: no datagram's export time (v9
# unix_secs, IPFIX exportTime) is more than T after the last template
# datagram, and templates are not sent much more often than every T.

. "$(dirname "$0")/lib.sh"

need_tool dumpcap tshark capinfos
need_root
integ_init

N=7		# v9-template-refresh of run 1
TMOS="4 10"	# v9-template-timeouts (s) of run 2
SPAN=65		# pcap duration (s) of run 2

# capture_start NAME PORT...: dumpcap on lo for UDP to these ports.
capture_start() {
	local name=$1 f= p
	shift
	for p in "$@"; do
		f="${f:+$f or }dst port $p"
	done
	start_bg "$name" dumpcap -q -i lo -f "udp and ($f)" -P \
	    -w "$T/$name.pcap"
	CAP_PID=$BG_PID
	# dumpcap prints this once the filter is set and the socket open.
	wait_until 10 log_has "$name" "Capturing on" ||
	    die "dumpcap did not start: $(cat "$T/$name.log")"
}

cap_count() {
	capinfos -c -M "$1" 2>/dev/null | awk '/Number of packets/ { print $NF }'
}

cap_has() {
	[ "$(cap_count "$1")" = "$2" ]
}

# capture_stop NAME EXPECTED: dumpcap writes packets in batches; wait
# until the file holds all EXPECTED, then stop it.
capture_stop() {
	wait_until 10 cap_has "$T/$1.pcap" "$2" ||
	    fail "capture $1: $(cap_count "$T/$1.pcap") of $2 datagrams captured"
	stop_bg "$CAP_PID" INT
}

# decode_args FILE: tshark arguments decoding every target port as cflow.
decode_args() {
	local p
	DEC=(-r "$1")
	for p in $ports; do
		DEC+=(-d "udp.port==$p,cflow")
	done
}

# tshark_table: one line per datagram of the capture, in order:
# "dstport unix_secs exporttime flowset-ids packets octets", lists
# comma separated, "-" when empty.  Read once: tshark is the slow part.
tshark_table() {
	tshark "${DEC[@]}" -T fields -E occurrence=a -E aggregator=, \
	    -E separator=/t -e udp.dstport -e cflow.unix_secs \
	    -e cflow.exporttime -e cflow.flowset_id -e cflow.packets \
	    -e cflow.octets 2>/dev/null |
	    awk -F'\t' '{ for (i = 1; i <= 6; i++) if ($i == "") $i = "-"
		print $1, $2, $3, $4, $5, $6 }' >"$1"
}

# tshark_sum TABLE PORT: "packets octets" summed over all records to PORT.
tshark_sum() {
	awk -v p="$2" '$1 == p {
	    n = split($5, a, ","); for (i = 1; i <= n; i++) s += a[i]
	    n = split($6, a, ","); for (i = 1; i <= n; i++) o += a[i] }
	    END { printf "%.0f %.0f\n", s, o }' "$1"
}

# tmpl_frames TABLE PORT TMPL-SET OPT-SET: per datagram to PORT, in
# order: "index export-time has-template has-options-template".
tmpl_frames() {
	awk -v p="$2" -v t="$3" -v o="$4" '$1 == p {
	    n = split($4, s, ","); ht = ho = 0
	    for (i = 1; i <= n; i++) { ht += (s[i] == t); ho += (s[i] == o) }
	    print ++k, (t == 2 ? $3 : $2), (ht > 0), (ho > 0) }' "$1"
}

# check_timeout NAME T FILE: FILE from tmpl_frames.  Header times are
# whole seconds, so a datagram exported less than T after the last
# template shows at most T more; more than T means it left more than T
# seconds (of pcap time) after the last template did.
check_timeout() {
	local V=$1 tmo=$2 res refr span late
	res=$(awk -v T="$tmo" '
	    NR == 1 { first = $2 }
	    { span = $2 - first }
	    $3 { if (NR > 1) refr++; last = $2; next }
	    $2 - last > T { late = late " " NR "(+" $2 - last "s)" }
	    END { printf "%d %d %s\n", refr, span, late }' "$3")
	read -r refr span late <<<"$res"
	[ "$span" -ge $((3 * tmo)) ] ||
	    fail "$V timeout ${tmo}s: export times span only ${span}s"
	if [ -z "$late" ]; then
		integ_log "ok   $V timeout ${tmo}s: $refr refreshes over" \
		    "${span}s of export time, none more than ${tmo}s apart"
	else
		fail "$V timeout ${tmo}s ($refr refreshes over ${span}s):" \
		    "datagrams (index(+s after the last template)) exported" \
		    "more than ${tmo}s after the last template:$late"
	fi
	# Refreshes come at the first record at least T after the last one,
	# and header times are whole seconds: T+1 s apart at most on average.
	[ "$refr" -ge $((span / (tmo + 1))) ] ||
	    fail "$V timeout ${tmo}s: only $refr refreshes over ${span}s"
	[ "$refr" -le $((span / tmo + 2)) ] ||
	    fail "$V timeout ${tmo}s: $refr refreshes over ${span}s," \
		"more than every ${tmo}s"
}

# --- run 1 -------------------------------------------------------------------
gen_pcap a --flows 3000 --packets 150000 --ipv6 0.25 --vlan 0.2 --seed 5
read -r _ pkts_all bytes_all <<<"$(truth_sum "$T/a.truth")"
read -r _ pkts_v4 bytes_v4 <<<"$(truth_sum "$T/a.truth" 4)"

ports=
targets=()
for v in 1 5 9 ipfix; do
	p=$(free_port)
	eval "port_$v=$p"
	ports="$ports $p"
	targets+=("dst-address=127.0.0.1 port=$p version=$v v9-template-refresh=$N v9-template-timeout=365d")
done
write_conf "$T/r1.rsc" "${targets[@]}"
# shellcheck disable=SC2086
capture_start cap1 $ports
run_tflowd "$T/r1.rsc" "$T/a.pcap"
total=0
for v in 1 5 9 ipfix; do
	eval "p=\$port_$v"
	total=$((total + $(tflowd_counter "$p" datagrams)))
done
capture_stop cap1 "$total"
decode_args "$T/cap1.pcap"
tshark_table "$T/cap1.tab"

bad=$(tshark "${DEC[@]}" -Y '_ws.malformed || _ws.expert.severity >= 0x00600000 || cflow.unexpected_sequence_number' 2>/dev/null | wc -l)
if [ "$bad" = 0 ]; then
	integ_log "ok   tshark: no malformed packet, no expert info >= warning" \
	    "in $total datagrams"
else
	fail "tshark: $bad datagrams malformed or with warnings; expert info:"
	tshark "${DEC[@]}" -q -z expert,warn 2>/dev/null | head -40 >&2
fi

for v in 1 5 9 ipfix; do
	case $v in ipfix) V=IPFIX ;; *) V=v$v ;; esac
	eval "p=\$port_$v"
	n=$(awk -v p="$p" '$1 == p' "$T/cap1.tab" | wc -l)
	check_eq "$V datagrams in capture = tflowd datagrams" \
	    "$(tflowd_counter "$p" datagrams)" "$n"
	case $v in
	1|5) check_eq "$V tshark packets octets = IPv4 truth" \
	    "$pkts_v4 $bytes_v4" "$(tshark_sum "$T/cap1.tab" "$p")" ;;
	*) check_eq "$V tshark packets octets = truth" \
	    "$pkts_all $bytes_all" "$(tshark_sum "$T/cap1.tab" "$p")" ;;
	esac
done

# Templates exactly in datagrams 1, 1+N, 1+2N ...
for v in 9 ipfix; do
	case $v in ipfix) V=IPFIX ts=2 os=3 ;; *) V=v9 ts=0 os=1 ;; esac
	eval "p=\$port_$v"
	tmpl_frames "$T/cap1.tab" "$p" "$ts" "$os" >"$T/r1.$v.tmpl"
	wrong=$(awk -v n="$N" '{ want = ($1 - 1) % n == 0
	    if ($3 != want || $4 != want) printf " %d(t=%d,o=%d)", $1, $3, $4 }' \
	    "$T/r1.$v.tmpl")
	cnt=$(awk '$3' "$T/r1.$v.tmpl" | wc -l)
	all=$(wc -l <"$T/r1.$v.tmpl")
	[ "$all" -gt $((3 * N)) ] ||
	    fail "$V refresh $N: only $all datagrams, too few to tell"
	if [ -z "$wrong" ]; then
		integ_log "ok   $V templates in datagrams 1, 1+$N, ...:" \
		    "$cnt of $all datagrams"
	else
		fail "$V refresh $N: datagrams with a wrong template placement" \
		    "(index(has template, has options template)):$wrong"
	fi
done

# --- run 2 -------------------------------------------------------------------
gen_pcap b --flows 2000 --packets 60000 --duration "$SPAN" --seed 6
ports=
targets=()
for v in 9 ipfix; do
	for tmo in $TMOS; do
		p=$(free_port)
		eval "port_${v}_$tmo=$p"
		ports="$ports $p"
		targets+=("dst-address=127.0.0.1 port=$p version=$v v9-template-refresh=65535 v9-template-timeout=${tmo}s")
	done
done
write_conf "$T/r2.rsc" "${targets[@]}"
# shellcheck disable=SC2086
capture_start cap2 $ports
run_tflowd "$T/r2.rsc" "$T/b.pcap"
total=0
for p in $ports; do
	total=$((total + $(tflowd_counter "$p" datagrams)))
done
capture_stop cap2 "$total"
decode_args "$T/cap2.pcap"
tshark_table "$T/cap2.tab"
for v in 9 ipfix; do
	case $v in ipfix) V=IPFIX ts=2 os=3 ;; *) V=v9 ts=0 os=1 ;; esac
	for tmo in $TMOS; do
		eval "p=\$port_${v}_$tmo"
		tmpl_frames "$T/cap2.tab" "$p" "$ts" "$os" >"$T/r2.$v.$tmo.tmpl"
		check_timeout "$V" "$tmo" "$T/r2.$v.$tmo.tmpl"
	done
done

integ_done
