# SPDX-License-Identifier: BSD-2-Clause
# Helpers shared by the benchmark scripts (POSIX sh, sourced): wall-clock
# time, best of $RUNS runs, peak RSS.  Figures only: nothing here fails.

now() { date +%s.%N; }

# best_time CMD...: best of $RUNS wall times of CMD (output discarded),
# seconds.
best_time() {
	best=""
	i=0
	while [ $i -lt "$RUNS" ]; do
		t0=$(now)
		"$@" >/dev/null 2>&1 || true
		t1=$(now)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then
			best=$t
		fi
		i=$((i + 1))
	done
	echo "$best"
}

# peak_rss_kb CMD...: runs CMD (output to /dev/null) and prints its peak
# RSS in KiB, polled from /proc (no GNU time needed).
peak_rss_kb() {
	"$@" >/dev/null 2>&1 &
	p=$!
	peak=0
	while kill -0 "$p" 2>/dev/null; do
		h=$(awk '/^VmHWM/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
		[ -n "$h" ] && [ "$h" -gt "$peak" ] && peak=$h
		sleep 0.05
	done
	wait "$p" || true
	echo "$peak"
}
