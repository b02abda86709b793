#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tflow-collector --write on 127.0.0.1, end to end:
#  1. tflowd -r exports v9 at a high offline rate into a collector that
#     rotates every second, over several rotations: the stored records,
#     read back with tflow-storecat, equal the collector's received count
#     and, per flow key, the generator's truth -- rotation loses nothing
#     (nfcapd loses ~10 s at each rotation at high rates).  Files are laid
#     out DIR/YYYY/MM/DD, finished and complete.  Bytes per record on disk
#     are printed.
#  2. The same export into a collector that is SIGKILLed mid-stream: the
#     files left behind (one .current cut anywhere) are readable, and hold
#     every record the collector had received up to a second before the
#     kill; a restart on the same directory keeps them and writes beside.

. "$(dirname "$0")/lib.sh"

COLLECTOR=$TFLOW_BUILDDIR/tflow-collector
STORECAT=$TFLOW_BUILDDIR/tests/gen/tflow-storecat

integ_init
[ -x "$COLLECTOR" ] || die "$COLLECTOR not built"
[ -x "$STORECAT" ] || die "$STORECAT not built (make tests/gen/tflow-storecat)"

# --- 1. rotation under load ------------------------------------------------
# About 4 s of export at 5000 datagrams/s (several 1 s rotations), the
# flows spread over the capture so that records keep coming.
gen_pcap r --flows 300000 --packets 600000 --ipv6 0.2 --duration 30 --seed 7
port=$(free_port)
collector_start rot "$port" --write "$T/store" --rotate 1
pid=$BG_PID
write_conf "$T/r.rsc" "dst-address=127.0.0.1 port=$port version=9"
start=$(date +%s%N)
TFLOWD_OFFLINE_PPS=${STORE_PPS:-5000} run_tflowd "$T/r.rsc" "$T/r.pcap"
secs=$((($(date +%s%N) - start) / 1000000))
check_drops "$port" "tflow-collector"
wait_until 20 udp_drained "$port" || fail "rot: socket not drained"
kill -TERM "$pid"
wait "$pid"
rc=$?
stop_bg "$pid" -
check_eq "rot: exit status" 0 "$rc"

sent=$(tflowd_counter "$port" records)
got=$(cstat rot records)
check_eq "rot: records received = tflowd's" "$sent" "$got"
check_eq "rot: records stored = received" "$got" \
    "$(cstat rot records ': store ')"
check_eq "rot: store dropped, write errors" "0 0" \
    "$(cstat rot dropped ': store ') $(cstat rot write_errors ': store ')"
check_eq "rot: nothing printed without --format" 0 "$(wc -c <"$T/rot.out")"

nfiles=$(find "$T/store" -name 'tflow-*.tfs' | wc -l)
ncur=$(find "$T/store" -name '*.current' | wc -l)
integ_log "rot: export took ${secs} ms, $nfiles files"
[ "$nfiles" -ge 3 ] || fail "rot: $nfiles files, expected several rotations"
check_eq "rot: files left .current" 0 "$ncur"
find "$T/store" -name 'tflow-*.tfs' | grep -vq \
    '/[0-9]\{4\}/[0-9][0-9]/[0-9][0-9]/tflow-[0-9]\{8\}T[0-9]\{6\}Z\(-[0-9]*\)\?\.tfs$' &&
    fail "rot: a file outside DIR/YYYY/MM/DD or misnamed"
"$STORECAT" -i "$T/store" >"$T/rot.info" || fail "rot: storecat -i failed"
check_eq "rot: files not complete" 0 "$(grep -c 'complete=0' "$T/rot.info")"
"$STORECAT" "$T/store" >"$T/rot.json" 2>"$T/rot.cat.err" ||
    fail "rot: storecat failed: $(cat "$T/rot.cat.err")"
check_eq "rot: records read back" "$got" "$(wc -l <"$T/rot.json")"
truth_keys "$T/r.truth" >"$T/truth.r"
json_sums "$T/rot.json" 9 >"$T/got.r"
compare_keys "rot: stored packets and bytes per key = truth" \
    "$T/truth.r" "$T/got.r"
bytes=$(find "$T/store" -name 'tflow-*.tfs' -printf '%s\n' |
    awk '{ s += $1 } END { print s + 0 }')
integ_log "rot: $bytes bytes on disk for $got records:" \
    "$(awk -v b="$bytes" -v n="$got" 'BEGIN { printf "%.2f", b / n }')" \
    "bytes/record (pcapgen traffic, tflowd v9)"

# --- 2. SIGKILL mid-stream -------------------------------------------------------
port=$(free_port)
collector_start kill "$port" --write "$T/kstore" --rotate 2
pid=$BG_PID
write_conf "$T/k.rsc" "dst-address=127.0.0.1 port=$port version=9"
TFLOWD_OFFLINE_PPS=${STORE_KILL_PPS:-1500} "$TFLOWD" -c "$T/k.rsc" \
    -r "$T/r.pcap" >/dev/null 2>"$T/ktflowd.err" &
tpid=$!
INTEG_PIDS="$INTEG_PIDS $tpid"
# Let it store a few seconds' worth, then kill it without warning.
wait_until 30 eval '[ "$(find "$T/kstore" -name "tflow-*" | wc -l)" -ge 2 ]' ||
    fail "kill: no files after 30 s"
sleep 1.5
kill -USR1 "$pid"
wait_until 10 grep -q ': total exporters=' "$T/kill.log" ||
    fail "kill: no report on SIGUSR1"
before=$(cstat kill records)
# Every record received a second before the kill must be on disk.
sleep 1.2
kill -KILL "$pid"
wait "$pid" 2>/dev/null
stop_bg "$pid" -
wait "$tpid" 2>/dev/null
ncur=$(find "$T/kstore" -name '*.current' | wc -l)
integ_log "kill: $(find "$T/kstore" -name 'tflow-*' | wc -l) files," \
    "$ncur being written at the kill"
"$STORECAT" "$T/kstore" >"$T/kill.json" 2>"$T/kill.cat.err" ||
    fail "kill: files not readable: $(cat "$T/kill.cat.err")"
after=$(wc -l <"$T/kill.json")
integ_log "kill: $before records received 1.2 s before the kill," \
    "$after readable after it"
[ "$after" -ge "$before" ] ||
    fail "kill: $after records on disk < $before received a second earlier"
[ "$before" -gt 0 ] || fail "kill: nothing received before the kill"

# A restart keeps what the crash left (renamed into place, readable) and
# never writes over it.
# Content of every file, whatever its name now.
store_sums() {
	find "$T/kstore" -name 'tflow-*' -type f -exec cksum {} \; |
	    awk '{ print $1, $2 }' | LC_ALL=C sort | cksum
}
sum_before=$(store_sums)
port=$(free_port)
collector_start again "$port" --write "$T/kstore" --rotate 2 -v
pid=$BG_PID
kill -TERM "$pid"
wait "$pid"
stop_bg "$pid" -
check_eq "restart: files left .current" 0 \
    "$(find "$T/kstore" -name '*.current' | wc -l)"
check_eq "restart: content kept" "$sum_before" \
    "$(store_sums)"
"$STORECAT" "$T/kstore" >"$T/again.json" 2>/dev/null
check_eq "restart: records still readable" "$after" "$(wc -l <"$T/again.json")"
if [ "$ncur" -gt 0 ]; then
	grep -q 'left unfinished' "$T/again.log" ||
	    fail "restart: the recovered file was not logged"
fi

integ_done
