# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers for the integration tests: a generated pcap goes through
# `tflowd -r` to an independent decoder (nfcapd/nfdump, nfacctd, tshark)
# and the decoder's totals are compared with the generator's ground truth.
# Sourced by tests/integ/*.sh (bash).  Everything runs on 127.0.0.1 only;
# every process we start and the temp dir are cleaned up by the EXIT trap,
# also when a check fails or the test is interrupted.

set -u

: "${TFLOW_BUILDDIR:?TFLOW_BUILDDIR must point at the build tree}"
: "${TFLOW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"

TFLOWD=$TFLOW_BUILDDIR/tflowd
PCAPGEN=$TFLOW_BUILDDIR/tests/gen/tflow-pcapgen

# The offline exporter is paced per target (default 20000 datagrams/s).
# A loaded 2-core CI runner with a collector on default socket buffers
# was seen to drop datagrams at that rate; halve it: these pcaps need
# well under a second either way.  An explicit setting wins.
TFLOWD_OFFLINE_PPS=${TFLOWD_OFFLINE_PPS:-10000}
export TFLOWD_OFFLINE_PPS

# Receive buffer asked of every collector; the kernel caps it at
# net.core.rmem_max unless we are root.
COLLECTOR_RCVBUF=4194304

INTEG_NAME=$(basename "$0" .sh)
INTEG_PIDS=
INTEG_FAIL=0
T=

integ_log() {
	printf '%s: %s\n' "$INTEG_NAME" "$*"
}

skip() {
	integ_log "SKIP: $*"
	exit 77
}

# Hard error: the test could not run (exit 99 = automake ERROR).
die() {
	integ_log "ERROR: $*"
	exit 99
}

fail() {
	integ_log "FAIL: $*"
	INTEG_FAIL=1
}

need_tool() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
		    skip "'$t' not installed (Debian: nfdump, pmacct, tshark)"
	done
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "capturing on lo needs root"
}

# need_built FILE...: programs of the build tree the test runs; one that
# is missing is a hard error, not a skip (make check builds them).
need_built() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || die "$f not built"
	done
}

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM HUP
	for p in $INTEG_PIDS; do
		# Our collectors run in their own session: end the group
		# (plugins of nfacctd are its children), by its id only.
		kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	done
	for p in $INTEG_PIDS; do
		wait "$p" 2>/dev/null
		kill -KILL -- "-$p" 2>/dev/null
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "${INTEG_KEEP:-}" ]; then
			integ_log "kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}

# integ_init: temp dir, traps, built programs present.
integ_init() {
	[ -x "$TFLOWD" ] || die "$TFLOWD not built (make tflowd)"
	[ -x "$PCAPGEN" ] || die "$PCAPGEN not built (make tests/gen/tflow-pcapgen)"
	T=$(mktemp -d "${TMPDIR:-/tmp}/tflow-$INTEG_NAME.XXXXXX") ||
	    die "mktemp failed"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

integ_done() {
	if [ "$INTEG_FAIL" != 0 ]; then
		integ_log "FAILED"
		exit 1
	fi
	integ_log "PASS"
	exit 0
}

# udp_bound PORT: true when some socket is bound to 127.0.0.1:PORT
# (or the wildcard) in /proc/net/udp or udp6.
udp_bound() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h="$hex" 'NR > 1 { split($2, a, ":"); if (a[2] == h) f = 1 }
	    END { exit !f }' /proc/net/udp /proc/net/udp6 2>/dev/null
}

# udp_drops PORT: datagrams the kernel dropped on the socket bound to
# PORT because its receive buffer was full (last column of /proc/net/udp).
udp_drops() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h="$hex" 'NR > 1 { split($2, a, ":"); if (a[2] == h) d += $NF }
	    END { print d + 0 }' /proc/net/udp /proc/net/udp6 2>/dev/null
}

# udp_rx_queued PORT: bytes waiting in the receive queue of the socket
# bound to PORT (tx_queue:rx_queue column of /proc/net/udp, hex).
udp_rx_queued() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h="$hex" 'NR > 1 { split($2, a, ":"); if (a[2] == h) {
	    split($5, q, ":"); print q[2] } }' /proc/net/udp /proc/net/udp6 |
	    while read -r q; do echo $((16#$q)); done | awk '{ s += $1 }
	    END { print s + 0 }'
}

# udp_drained PORT: the collector has read every queued datagram.
udp_drained() {
	[ "$(udp_rx_queued "$1")" = 0 ]
}

# log_has NAME PATTERN: the collector NAME logged PATTERN.
log_has() {
	grep -q -- "$2" "$T/$1.log"
}

# free_port: print a UDP port nobody is bound to.  Random in 20000-59999
# so that parallel `make -j check` runs rarely collide; the collector's
# bind is then checked by wait_bound, which fails loudly if it raced.
INTEG_PORTS=
free_port() {
	local p i used
	# Called as $(free_port), a subshell: what it hands out is kept in a
	# file, or two calls could return the same port (and a subshell's
	# RANDOM may repeat the parent's sequence).
	used=$(cat "$T/.ports" 2>/dev/null)
	for i in $(seq 1 200); do
		p=$((20000 + ($(od -An -N4 -tu4 /dev/urandom) % 40000)))
		case " $used $INTEG_PORTS " in *" $p "*) continue ;; esac
		if ! udp_bound "$p"; then
			INTEG_PORTS="$INTEG_PORTS $p"
			echo "$p" >>"$T/.ports"
			echo "$p"
			return 0
		fi
	done
	die "no free UDP port found"
}

# wait_until SECONDS CMD...: poll CMD every 50 ms until it succeeds.
wait_until() {
	local limit=$(($1 * 20)) i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.05
	done
	return 0
}

pid_alive() {
	kill -0 "$1" 2>/dev/null
}

# start_bg NAME CMD...: run CMD in a session of its own (so that its
# children can be ended with it), output to $T/NAME.log; the pid goes to
# $BG_PID and to the cleanup list.
start_bg() {
	local name=$1
	shift
	setsid "$@" >"$T/$name.log" 2>&1 &
	BG_PID=$!
	INTEG_PIDS="$INTEG_PIDS $BG_PID"
}

# wait_bound PID PORT NAME: the collector PID listens on PORT.
wait_bound() {
	if ! wait_until 10 udp_bound "$2"; then
		integ_log "$3 log:"
		cat "$T/$3.log" >&2
		die "$3 did not bind 127.0.0.1:$2"
	fi
	pid_alive "$1" || die "$3 exited at start (see above)"
}

# stop_bg PID SIGNAL: send SIGNAL (none if "-"), wait up to 10 s for the
# process and for everything in its session to end; then it is gone.
stop_bg() {
	local pid=$1 sig=$2 rest= p
	[ "$sig" = - ] || kill "-$sig" "$pid" 2>/dev/null
	if ! wait_until 10 eval "! kill -0 -- -$pid 2>/dev/null"; then
		integ_log "pid $pid still there 10 s after SIG$sig, killing it"
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	for p in $INTEG_PIDS; do
		[ "$p" = "$pid" ] || rest="$rest $p"
	done
	INTEG_PIDS=$rest
}

# gen_pcap NAME ARGS...: $T/NAME.pcap and $T/NAME.truth.
gen_pcap() {
	local name=$1
	shift
	"$PCAPGEN" -o "$T/$name.pcap" -t "$T/$name.truth" "$@" \
	    2>"$T/$name.gen.log" || {
		cat "$T/$name.gen.log" >&2
		die "tflow-pcapgen failed"
	}
}

# truth_sum FILE [IPVER]: "keys packets bytes" of the ground truth,
# all lines or only those of IP version IPVER.
truth_sum() {
	awk -v v="${2:-}" '!/^#/ && (v == "" || $1 == v) {
	    n++; p += $8; b += $9 }
	    END { printf "%d %.0f %.0f\n", n, p, b }' "$1"
}

# write_conf FILE TARGET-LINE...: a config with the given
# `/ip traffic-flow target add` argument lists.
write_conf() {
	local f=$1
	shift
	{
		echo "# written by tests/integ/$INTEG_NAME.sh"
		echo "/ip traffic-flow"
		echo "set enabled=yes"
		echo "/ip traffic-flow target"
		for t in "$@"; do
			echo "add $t"
		done
	} >"$f"
}

# run_tflowd CONF PCAP [ARGS...]: offline export; stdout kept in
# $T/tflowd.out, stderr (the counters) in $T/tflowd.err.
run_tflowd() {
	local conf=$1 pcap=$2
	shift 2
	"$TFLOWD" -c "$conf" -r "$pcap" "$@" >"$T/tflowd.out" \
	    2>"$T/tflowd.err" || {
		cat "$T/tflowd.err" >&2
		die "tflowd -c $conf -r $pcap $* failed"
	}
}

# tflowd_counter PORT NAME: a counter of the target line for
# 127.0.0.1:PORT ("tflowd: target 127.0.0.1:PORT version=9 records=...").
tflowd_counter() {
	awk -v t="127.0.0.1:$1" -v k="$2" '
	    $1 == "tflowd:" && $2 == "target" && $3 == t {
		for (i = 4; i <= NF; i++) {
			split($i, a, "=")
			if (a[1] == k) { print a[2]; f = 1 }
		}
	    }
	    END { if (!f) print "missing" }' "$T/tflowd.err"
}

# check_eq WHAT EXPECTED GOT
check_eq() {
	if [ "$2" = "$3" ]; then
		integ_log "ok   $1: $3"
	else
		fail "$1: expected $2, got $3"
	fi
}

# check_drops PORT NAME: the collector's socket dropped nothing.  Read
# before the collector stops; a drop means the collector was too slow
# (machine load), not that tflowd sent something wrong, and it says so.
check_drops() {
	local d
	d=$(udp_drops "$1")
	[ "$d" = 0 ] || fail "$2's socket on 127.0.0.1:$1 dropped $d datagrams" \
	    "(receive buffer full: collector too slow; try a lower" \
	    "TFLOWD_OFFLINE_PPS, now $TFLOWD_OFFLINE_PPS)"
}

# --- nfcapd / nfdump ---------------------------------------------------------

# nfcapd_start NAME PORT: nfcapd writing to $T/NAME.d; pid in $BG_PID.
nfcapd_start() {
	mkdir -p "$T/$1.d"
	start_bg "$1" nfcapd -B "$COLLECTOR_RCVBUF" -b 127.0.0.1 -p "$2" \
	    -w "$T/$1.d" -t 3600
	wait_bound "$BG_PID" "$2" "$1"
}

# nfcapd_stop NAME PID PORT: once the socket is drained, SIGTERM makes nfcapd close its file and rename it
# from nfcapd.current.* to nfcapd.YYYYmmddHHMM before exiting.
nfcapd_stop() {
	wait_until 10 udp_drained "$3" ||
	    fail "nfcapd $1 left $(udp_rx_queued "$3") bytes unread on :$3"
	stop_bg "$2" TERM
	ls "$T/$1.d"/nfcapd.2* >/dev/null 2>&1 ||
	    fail "nfcapd $1 wrote no file; log: $(cat "$T/$1.log")"
}

# nfdump_totals NAME: "flows packets bytes sequence_failures" of every
# file nfcapd NAME wrote.
nfdump_totals() {
	nfdump -R "$T/$1.d" -I 2>"$T/$1.nfdump.err" | awk -F': *' '
	    $1 == "Flows" { f = $2 } $1 == "Packets" { p = $2 }
	    $1 == "Bytes" { b = $2 } $1 == "Sequence failures" { s = $2 }
	    END { printf "%s %s %s %s\n", f, p, b, s }'
}

# --- nfacctd ------------------------------------------------------------------

# nfacctd_start NAME PORT: nfacctd in the foreground with the print plugin
# writing CSV to $T/NAME.csv.  The aggregate is the full flow key, so each
# key of the truth is one key of the CSV.  The plugin purges its cache
# every second, appending to the file (the sums add the purges up); the
# purge log lines tell when the plugin has taken in everything.
nfacctd_start() {
	cat >"$T/$1.conf" <<EOF
! written by tests/integ/$INTEG_NAME.sh
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $2
nfacctd_pipe_size: $COLLECTOR_RCVBUF
plugins: print
aggregate: src_host, dst_host, src_port, dst_port, proto, tos
print_output: csv
print_output_file: $T/$1.csv
print_output_file_append: true
print_num_protos: true
print_refresh_time: 1
EOF
	start_bg "$1" nfacctd -f "$T/$1.conf"
	wait_bound "$BG_PID" "$2" "$1"
}

# nfacctd_mark NAME, then nfacctd_quiet NAME: the print plugin logged at
# least two purges since the mark and the last one was empty
# ("QN: 0/0"): everything the core read has reached the plugin's cache
# and was written out.
nfacctd_mark() {
	NFACCTD_MARK=$(grep -c 'Purging cache - END' "$T/$1.log")
}
nfacctd_quiet() {
	awk -v m="$NFACCTD_MARK" '/Purging cache - END/ { n++; last = $0 }
	    END { exit !(n >= m + 2 && last ~ /QN: 0\/0/) }' "$T/$1.log"
}

# nfacctd_stop NAME PID PORT: once the socket is drained and the plugin
# quiet, SIGINT, pmacct's graceful stop (docs/SIGNALS, FAQS Q16).  A
# SIGINT alone is not enough: records still on their way from the core
# to a plugin that started late were seen lost (the exit purge had
# QN: 0/0 and no file was written).  nfacctd takes about 2 s to exit,
# so the wait is separate (nfacctd_wait) and several can run at once.
nfacctd_stop() {
	wait_until 10 udp_drained "$3" ||
	    fail "nfacctd $1 left $(udp_rx_queued "$3") bytes unread on :$3"
	wait_until 15 nfacctd_quiet "$1" ||
	    fail "nfacctd $1: the print plugin did not settle in 15 s"
	kill -INT "$2"
}

# nfacctd_wait NAME PID: nfacctd_stop was called; wait for the exit.
nfacctd_wait() {
	stop_bg "$2" -
	[ -s "$T/$1.csv" ] ||
	    fail "nfacctd $1 wrote no CSV; log: $(cat "$T/$1.log")"
}

# nfacctd_keys NAME: "ipver src dst proto sport dport tos packets bytes",
# summed per key, sorted: comparable with truth_keys.
nfacctd_keys() {
	awk -F, '$1 != "SRC_IP" && NF >= 8 {
	    k = ($1 ~ /:/ ? 6 : 4) " " $1 " " $2 " " $5 " " $3 " " $4 " " $6
	    p[k] += $7; b[k] += $8 }
	    END { for (k in p) printf "%s %.0f %.0f\n", k, p[k], b[k] }' \
	    "$T/$1.csv" | LC_ALL=C sort
}

truth_keys() {
	awk '!/^#/ { print $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$1" |
	    LC_ALL=C sort
}

# compare_keys WHAT EXPECTED-FILE GOT-FILE: per-key comparison, prints up
# to 10 differing keys.
compare_keys() {
	local n
	if cmp -s "$2" "$3"; then
		integ_log "ok   $1: $(wc -l <"$3") keys identical"
		return 0
	fi
	n=$(LC_ALL=C comm -3 "$2" "$3" | wc -l)
	fail "$1: $n lines differ (tab-indented = collector, others = truth):"
	LC_ALL=C comm -3 "$2" "$3" | head -10 >&2
}

# sum_keys FILE: "keys packets bytes" of a key file.
sum_keys() {
	awk '{ n++; p += $8; b += $9 } END { printf "%d %.0f %.0f\n", n, p, b }' "$1"
}

# collector_start NAME PORT ARGS...: $COLLECTOR (tflow-collector) on
# 127.0.0.1:PORT with ARGS, stdout in $T/NAME.out, stderr in $T/NAME.log;
# its pid in $BG_PID.
collector_start() {
	local name=$1 port=$2
	shift 2
	setsid "$COLLECTOR" --listen "127.0.0.1:$port" "$@" \
	    >"$T/$name.out" 2>"$T/$name.log" &
	BG_PID=$!
	INTEG_PIDS="$INTEG_PIDS $BG_PID"
	wait_bound "$BG_PID" "$port" "$name"
}

# cstat NAME KEY [SELECTOR]: KEY=value of the last stats line of NAME's
# collector log that contains SELECTOR (default: the totals line), 0 when
# it has none.
cstat() {
	local sel=${3:-": total "}
	grep -F -- "$sel" "$T/$1.log" | tail -n 1 |
	    tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2; f = 1 }
	    END { if (!f) print 0 }'
}

# JSON_GET_AWK: an awk function get(KEY) giving KEY's value in the JSON
# line $0 (record_fmt's flat objects; quotes removed), for awk programs
# that start with it: awk "$JSON_GET_AWK"'...'.
JSON_GET_AWK='
	function get(k,   i, s) {
		i = index($0, "\"" k "\":")
		if (i == 0)
			return ""
		s = substr($0, i + length(k) + 3)
		sub(/[,}].*/, "", s)
		gsub(/"/, "", s)
		return s
	}
'

# json_sums FILE [VERSION] [times]: (VERSION "": every record) "ipver src dst proto sport dport tos
# packets bytes" per key of the records of one version, sorted; with
# "times" also first_ms (min) and last_ms (max), as truth_times prints.
json_sums() {
	awk -v want="$2" -v times="${3:-}" "$JSON_GET_AWK"'
	# "2026-01-01T00:00:01.234Z" -> Unix ms (days from civil, UTC).
	function ms(t,   y, m, d, era, yoe, doy, doe, days) {
		y = substr(t, 1, 4) + 0; m = substr(t, 6, 2) + 0
		d = substr(t, 9, 2) + 0
		if (m <= 2) y--
		era = int(y / 400); yoe = y - era * 400
		doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
		doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
		days = era * 146097 + doe - 719468
		return ((days * 24 + substr(t, 12, 2)) * 60 + \
		    substr(t, 15, 2)) * 60000 + substr(t, 18, 2) * 1000 + \
		    substr(t, 21, 3)
	}
	want == "" || get("version") == want {
		k = get("ip_version") " " get("src_addr") " " get("dst_addr") \
		    " " get("proto") " " get("src_port") " " get("dst_port") \
		    " " get("tos")
		p[k] += get("packets"); b[k] += get("bytes")
		f = ms(get("first")); l = ms(get("last"))
		if (!(k in fi) || f < fi[k]) fi[k] = f
		if (!(k in la) || l > la[k]) la[k] = l
	}
	END {
		for (k in p)
			if (times != "")
				printf "%s %.0f %.0f %.0f %.0f\n", k, p[k], b[k],
				    fi[k], la[k]
			else
				printf "%s %.0f %.0f\n", k, p[k], b[k]
	}' "$1" | LC_ALL=C sort
}
