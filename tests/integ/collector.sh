#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tflow-collector on 127.0.0.1, end to end through its sockets:
#  1. every file of ../shared/testdata/vendor-exports, sent by
#     tflow-udpsend (templates first, one source port per case as the
#     decoder's unit test feeds them): record count, field values and the
#     accounting lines (SIGUSR1 and exit);
#  2. tflowd -r exporting v5, v9 and IPFIX to three --listen ports of one
#     collector: per flow key, packets, bytes, first and last equal the
#     generator's truth, and no time is estimated;
#  3. a flood of garbage from one source between another exporter's
#     templates and data: that exporter's records all arrive, error free;
#  4. --allow refuses and counts, --format csv has its header, --workers 2.

. "$(dirname "$0")/lib.sh"

COLLECTOR=$TFLOW_BUILDDIR/tflow-collector
UDPSEND=$TFLOW_BUILDDIR/tests/gen/tflow-udpsend
VENDOR=$TFLOW_SRCDIR/../shared/testdata/vendor-exports

integ_init
[ -x "$COLLECTOR" ] || die "$COLLECTOR not built"
[ -x "$UDPSEND" ] || die "$UDPSEND not built"

# collector_stop NAME PID PORT...: once every port is drained, SIGTERM;
# the exit status must be 0 and the last line the totals.
collector_stop() {
	local name=$1 pid=$2 p rc
	shift 2
	for p in "$@"; do
		wait_until 10 udp_drained "$p" ||
		    fail "$name left $(udp_rx_queued "$p") bytes unread on :$p"
	done
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	stop_bg "$pid" -
	check_eq "$name exit status" 0 "$rc"
	tail -n 1 "$T/$name.log" | grep -q ': total exporters=' ||
	    fail "$name: no totals line at exit; log: $(tail -n 5 "$T/$name.log")"
}

truth_times() {
	awk -v v="${2:-}" '!/^#/ && (v == "" || $1 == v)' "$1" | LC_ALL=C sort
}

# --- 1. vendor exports -----------------------------------------------------
# file [pre-files...]: records expected from the file (pre-files give none),
# as test_dec_vendor.c's table (read off tshark).
vendor_cases() {
	cat <<'EOF'
0 ipfix_test_mikrotik_tpl.dat
28 ipfix_test_mikrotik_data258.dat ipfix_test_mikrotik_tpl.dat
18 ipfix_test_mikrotik_data259.dat ipfix_test_mikrotik_tpl.dat
0 ipfix_test_openbsd_pflow_tpl.dat
26 ipfix_test_openbsd_pflow_data.dat ipfix_test_openbsd_pflow_tpl.dat
0 ipfix_test_yaf_tpls_option_tpl.dat
0 ipfix_test_yaf_tpl45841.dat
1 ipfix_test_yaf_data45841.dat ipfix_test_yaf_tpl45841.dat
1 ipfix_test_yaf_data45873.dat ipfix_test_yaf_tpls_option_tpl.dat
0 ipfix_test_yaf_data53248.dat ipfix_test_yaf_tpls_option_tpl.dat
30 netflow5.dat
0 netflow5_test_invalid01.dat
0 netflow5_test_invalid02.dat
30 netflow5_test_microtik.dat
10 netflow9_test_0length_fields_tpl_data.dat
0 netflow9_test_cisco_asa_1_tpl.dat
14 netflow9_test_cisco_asa_1_data.dat netflow9_test_cisco_asa_1_tpl.dat
0 netflow9_test_h3c_netstream_varstring_tpl3281.dat
1 netflow9_test_h3c_netstream_varstring_data3281.dat netflow9_test_h3c_netstream_varstring_tpl3281.dat
2 netflow9_test_invalid01.dat
12 netflow9_test_iptnetflow_reduced_size_encoding_tpldata260.dat
0 netflow9_test_nprobe_tpl.dat
1 netflow9_test_nprobe_data.dat netflow9_test_nprobe_tpl.dat
1 netflow9_test_nprobe_dpi.dat
7 netflow9_test_softflowd_tpl_data.dat
0 netflow9_test_ubnt_edgerouter_tpl.dat
8 netflow9_test_ubnt_edgerouter_data1024.dat netflow9_test_ubnt_edgerouter_tpl.dat
8 netflow9_test_ubnt_edgerouter_data1025.dat netflow9_test_ubnt_edgerouter_tpl.dat
7 netflow9_test_valid01.dat
EOF
}

if [ ! -d "$VENDOR" ]; then
	integ_log "SKIP part 1: $VENDOR missing"
else
	port=$(free_port)
	sp5=$(free_port)
	collector_start vendor "$port" --format json
	pid=$BG_PID
	want=0
	ncases=0
	while read -r n file pre; do
		[ -f "$VENDOR/$file" ] || { fail "$file missing"; continue; }
		sp=0
		[ "$file" = netflow5.dat ] && sp=$sp5
		# shellcheck disable=SC2086 # pre: a list of file names
		"$UDPSEND" -p "$port" -s "$sp" -S \
		    $(for f in $pre; do echo "$VENDOR/$f"; done) \
		    "$VENDOR/$file" 2>>"$T/udpsend.log" ||
		    die "tflow-udpsend failed: $(cat "$T/udpsend.log")"
		want=$((want + n))
		ncases=$((ncases + 1))
	done < <(vendor_cases)
	ndat=$(find "$VENDOR" -maxdepth 1 -name '*.dat' | wc -l)
	check_eq "vendor files with an expectation" "$ndat" "$ncases"
	wait_until 10 udp_drained "$port" || fail "vendor: socket not drained"
	kill -USR1 "$pid"
	wait_until 10 grep -q ': total exporters=' "$T/vendor.log" ||
	    fail "no report on SIGUSR1"
	check_eq "SIGUSR1 report: records" "$want" "$(cstat vendor records)"
	collector_stop vendor "$pid" "$port"

	check_eq "vendor: JSON records" "$want" "$(wc -l <"$T/vendor.out")"
	check_eq "vendor: totals line records" "$want" "$(cstat vendor records)"
	# Two malformed v5 files (count 0xd91e and 0xa3).
	check_eq "vendor: bad_count errors" 2 "$(cstat vendor err_bad_count)"
	check_eq "vendor: nothing denied or truncated" "0 0" \
	    "$(cstat vendor denied) $(cstat vendor truncated)"
	sel="exporter=127.0.0.1:$sp5 version=5 domain=0 "
	check_eq "netflow5.dat exporter: datagrams records lost" "12 30 0" \
	    "$(cstat vendor datagrams "$sel") $(cstat vendor records "$sel") $(cstat vendor lost_records "$sel")"
	# First record of netflow5.dat, as tshark shows it.
	grep -q '"src_addr":"10.0.2.2","dst_addr":"10.0.2.15","src_port":54435,"dst_port":22,"proto":6,"tos":0,"tcp_flags":16,"packets":5,"bytes":230,"first":"2015-05-02T18:38:04.898Z","last":"2015-05-02T18:38:07.476Z"' \
	    "$T/vendor.out" && integ_log "ok   netflow5.dat first record" ||
	    fail "netflow5.dat first record not in the output"
	check_eq "vendor: records with version 5/9/10" "$want" \
	    "$(grep -c '"version":\(5\|9\|10\),' "$T/vendor.out")"
	n=$(grep -c '"first":"1970' "$T/vendor.out")
	check_eq "vendor: records dated 1970" 0 "$n"
fi

# --- 2. tflowd -> tflow-collector, v5 + v9 + IPFIX -------------------------
gen_pcap e --flows 800 --packets 40000 --ipv6 0.25 --vlan 0.2 --seed 21
pa=$(free_port)
pb=$(free_port)
pc=$(free_port)
collector_start e2e "$pa" --listen "127.0.0.1:$pb" --listen "127.0.0.1:$pc" \
    --format json
pid=$BG_PID
wait_until 10 udp_bound "$pc" || die "e2e: :$pc not bound"
write_conf "$T/e.rsc" \
    "dst-address=127.0.0.1 port=$pa version=5" \
    "dst-address=127.0.0.1 port=$pb version=9" \
    "dst-address=127.0.0.1 port=$pc version=ipfix"
run_tflowd "$T/e.rsc" "$T/e.pcap"
for p in "$pa" "$pb" "$pc"; do
	check_drops "$p" "tflow-collector"
done
collector_stop e2e "$pid" "$pa" "$pb" "$pc"

truth_times "$T/e.truth" >"$T/truth.all"
truth_times "$T/e.truth" 4 >"$T/truth.v4"
# Times must be exact for every version: v9's header has whole seconds
# only, so tflowd takes sysUptime at that second and the decoder accepts
# flow times up to a second after it (dec_uptime_to_ms).
for v in 5 9 10; do
	json_sums "$T/e2e.out" "$v" times >"$T/got.$v"
	case $v in 5) t=$T/truth.v4 ;; *) t=$T/truth.all ;; esac
	compare_keys "version $v: packets, bytes, first, last per key" \
	    "$t" "$T/got.$v"
	p=$(case $v in 5) echo "$pa" ;; 9) echo "$pb" ;; *) echo "$pc" ;; esac)
	check_eq "version $v: records = tflowd's" \
	    "$(tflowd_counter "$p" records)" \
	    "$(grep -c "\"version\":$v," "$T/e2e.out")"
done
check_eq "e2e: records with time_estimated" 0 \
    "$(grep -c time_estimated "$T/e2e.out")"
check_eq "e2e: decode errors, lost records, lost datagrams" "0 0 0" \
    "$(grep -o ' err_[a-z_]*=' "$T/e2e.log" | wc -l) $(cstat e2e lost_records) $(cstat e2e lost_datagrams)"

# --- 3. garbage flood vs a good exporter ---------------------------------
if [ -d "$VENDOR" ]; then
	port=$(free_port)
	good=$(free_port)
	bad=$(free_port)
	collector_start flood "$port" --format json
	pid=$BG_PID
	"$UDPSEND" -p "$port" -s "$good" -S "$VENDOR/ipfix_test_mikrotik_tpl.dat" \
	    2>>"$T/udpsend.log" || die "tflow-udpsend failed"
	wait_until 10 udp_drained "$port"
	"$UDPSEND" -p "$port" -s "$bad" -g 3000 -r 7 2>>"$T/udpsend.log" ||
	    die "tflow-udpsend -g failed"
	wait_until 10 udp_drained "$port"
	# The same exporter keeps going: data decoded with the templates
	# it sent before the flood, then v5 from the same port.
	"$UDPSEND" -p "$port" -s "$good" -S \
	    "$VENDOR/ipfix_test_mikrotik_data258.dat" \
	    "$VENDOR/ipfix_test_mikrotik_data259.dat" \
	    "$VENDOR/netflow5_test_microtik.dat" 2>>"$T/udpsend.log" ||
	    die "tflow-udpsend failed"
	# And garbage again, at the same time as more of the good one.
	"$UDPSEND" -p "$port" -s "$bad" -g 2000 -r 8 -i 50 \
	    2>>"$T/udpsend.log" &
	gpid=$!
	"$UDPSEND" -p "$port" -s "$good" -S -i 2000 \
	    "$VENDOR/ipfix_test_mikrotik_data258.dat" 2>>"$T/udpsend.log"
	wait "$gpid"
	collector_stop flood "$pid" "$port"
	sel="exporter=127.0.0.1:$good version=10 domain=0 "
	check_eq "flood: good IPFIX exporter datagrams records" "4 74" \
	    "$(cstat flood datagrams "$sel") $(cstat flood records "$sel")"
	grep -F -- "$sel" "$T/flood.log" | tail -n 1 | grep -q ' err_' &&
	    fail "flood: good exporter has errors: $(grep -F -- "$sel" "$T/flood.log" | tail -n 1)"
	sel="exporter=127.0.0.1:$good version=5 "
	check_eq "flood: good v5 exporter records" 30 \
	    "$(cstat flood records "$sel")"
	n=$(grep -F "exporter=127.0.0.1:$bad " "$T/flood.log" | wc -l)
	integ_log "flood: garbage made $n exporter entries;" \
	    "$(grep ': total ' "$T/flood.log" | tail -n 1 | cut -d' ' -f3-)"
	[ "$(cstat flood err_short)" -gt 0 ] ||
	    fail "flood: no short datagram counted"
else
	integ_log "SKIP part 3: $VENDOR missing"
fi

# --- 4. --allow, csv, workers ------------------------------------------------
if [ -d "$VENDOR" ]; then
	port=$(free_port)
	collector_start allow "$port" --format csv --workers 2 \
	    --allow 192.0.2.0/24 --allow 2001:db8::/32
	pid=$BG_PID
	"$UDPSEND" -p "$port" -S "$VENDOR/netflow5.dat" 2>>"$T/udpsend.log"
	collector_stop allow "$pid" "$port"
	check_eq "allow: refused datagrams" 12 "$(cstat allow denied)"
	check_eq "allow: per-peer line" 1 \
	    "$(grep -c ': denied=127.0.0.1 datagrams=12$' "$T/allow.log")"
	check_eq "allow: csv header only" 1 "$(wc -l <"$T/allow.out")"
	head -n 1 "$T/allow.out" | grep -q '^exporter,version,' ||
	    fail "allow: csv header is $(head -n 1 "$T/allow.out")"
	grep -q 'not in --allow' "$T/allow.log" ||
	    fail "allow: refusal not logged"
	check_eq "allow: refusal log lines (rate limited)" 1 \
	    "$(grep -c 'not in --allow' "$T/allow.log")"

	port=$(free_port)
	collector_start csv "$port" --format csv --workers 2 \
	    --allow 127.0.0.0/8
	pid=$BG_PID
	"$UDPSEND" -p "$port" -S "$VENDOR/netflow5.dat" 2>>"$T/udpsend.log"
	collector_stop csv "$pid" "$port"
	check_eq "csv: header + 30 records" 31 "$(wc -l <"$T/csv.out")"
	check_eq "csv: records, denied" "30 0" \
	    "$(cstat csv records) $(cstat csv denied)"
fi

integ_done
