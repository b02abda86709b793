#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# One tflowd run, three targets, three versions: v5 to nfcapd A, v9 to
# nfcapd B, IPFIX to nfacctd C.  Each collector must get complete totals
# from the one pass over expired flows: v5 the IPv4 truth, v9 and IPFIX
# the whole truth (nfacctd also per flow key).

. "$(dirname "$0")/lib.sh"

need_tool nfcapd nfdump nfacctd
integ_init

gen_pcap a --flows 3000 --packets 150000 --ipv6 0.25 --vlan 0.2 --seed 13
read -r _ pkts_all bytes_all <<<"$(truth_sum "$T/a.truth")"
read -r _ pkts_v4 bytes_v4 <<<"$(truth_sum "$T/a.truth" 4)"
truth_keys "$T/a.truth" >"$T/truth.keys"

pa=$(free_port)
pb=$(free_port)
pc=$(free_port)
nfcapd_start A "$pa"
pid_a=$BG_PID
nfcapd_start B "$pb"
pid_b=$BG_PID
nfacctd_start C "$pc"
pid_c=$BG_PID
nfacctd_mark C
write_conf "$T/t.rsc" \
    "dst-address=127.0.0.1 port=$pa version=5" \
    "dst-address=127.0.0.1 port=$pb version=9" \
    "dst-address=127.0.0.1 port=$pc version=ipfix"
run_tflowd "$T/t.rsc" "$T/a.pcap"
check_drops "$pa" "nfcapd A"
check_drops "$pb" "nfcapd B"
check_drops "$pc" "nfacctd C"
nfacctd_stop C "$pid_c" "$pc"
nfcapd_stop A "$pid_a" "$pa"
nfcapd_stop B "$pid_b" "$pb"
nfacctd_wait C "$pid_c"

for p in "$pa" "$pb" "$pc"; do
	check_eq "target :$p send_errors/refused" "0/0" \
	    "$(tflowd_counter "$p" send_errors)/$(tflowd_counter "$p" refused)"
done

read -r flows pkts bytes seqf <<<"$(nfdump_totals A)"
integ_log "v5 -> nfcapd A: flows=$flows packets=$pkts bytes=$bytes"
check_eq "v5 nfdump flows = tflowd records" "$(tflowd_counter "$pa" records)" "$flows"
check_eq "v5 nfdump packets bytes = IPv4 truth" "$pkts_v4 $bytes_v4" "$pkts $bytes"
check_eq "v5 nfdump sequence failures" 0 "$seqf"

read -r flows pkts bytes seqf <<<"$(nfdump_totals B)"
integ_log "v9 -> nfcapd B: flows=$flows packets=$pkts bytes=$bytes"
check_eq "v9 nfdump flows = tflowd records" "$(tflowd_counter "$pb" records)" "$flows"
check_eq "v9 nfdump packets bytes = truth" "$pkts_all $bytes_all" "$pkts $bytes"
check_eq "v9 nfdump sequence failures" 0 "$seqf"

nfacctd_keys C >"$T/C.keys"
read -r keys pkts bytes <<<"$(sum_keys "$T/C.keys")"
integ_log "IPFIX -> nfacctd C: keys=$keys packets=$pkts bytes=$bytes"
check_eq "IPFIX nfacctd packets bytes = truth" "$pkts_all $bytes_all" "$pkts $bytes"
compare_keys "IPFIX nfacctd per key" "$T/truth.keys" "$T/C.keys"

integ_done
