#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tflowd -r -> pmacct's nfacctd, NetFlow v9 and IPFIX (two collectors fed
# by one tflowd run, to halve the wait for nfacctd's purges).  nfacctd
# aggregates by the full flow key (addresses, ports, protocol, tos), so
# besides the totals each key's packets and bytes must equal its line of
# the truth.  Only counters are compared: nfacctd's time handling
# (nfacctd_time_new, time bins) plays no part without print_history.

. "$(dirname "$0")/lib.sh"

need_tool nfacctd
integ_init

gen_pcap a --flows 3000 --packets 150000 --ipv6 0.25 --vlan 0.2 --seed 11
read -r keys_all pkts_all bytes_all <<<"$(truth_sum "$T/a.truth")"
integ_log "truth: $keys_all keys, $pkts_all packets, $bytes_all bytes"
truth_keys "$T/a.truth" >"$T/truth.keys"

targets=()
for v in 9 ipfix; do
	port=$(free_port)
	eval "port_$v=$port"
	targets+=("dst-address=127.0.0.1 port=$port version=$v")
	nfacctd_start "pm$v" "$port"
	eval "pid_$v=$BG_PID"
	nfacctd_mark "pm$v"
done
write_conf "$T/t.rsc" "${targets[@]}"
run_tflowd "$T/t.rsc" "$T/a.pcap"

for v in 9 ipfix; do
	eval "port=\$port_$v pid=\$pid_$v"
	check_drops "$port" "nfacctd"
	nfacctd_stop "pm$v" "$pid" "$port"
done
for v in 9 ipfix; do
	case $v in ipfix) V=IPFIX ;; *) V=v$v ;; esac
	eval "port=\$port_$v pid=\$pid_$v"
	nfacctd_wait "pm$v" "$pid"
	nfacctd_keys "pm$v" >"$T/pm$v.keys"
	read -r keys pkts bytes <<<"$(sum_keys "$T/pm$v.keys")"
	integ_log "$V: tflowd records=$(tflowd_counter "$port" records);" \
	    "nfacctd keys=$keys packets=$pkts bytes=$bytes"
	check_eq "$V tflowd send_errors/refused" "0/0" \
	    "$(tflowd_counter "$port" send_errors)/$(tflowd_counter "$port" refused)"
	check_eq "$V nfacctd packets = truth" "$pkts_all" "$pkts"
	check_eq "$V nfacctd bytes = truth" "$bytes_all" "$bytes"
	compare_keys "$V nfacctd per key" "$T/truth.keys" "$T/pm$v.keys"
	if grep -E 'ERROR|WARN' "$T/pm$v.log" >&2; then
		fail "$V: nfacctd logged errors or warnings (above)"
	fi
done

integ_done
