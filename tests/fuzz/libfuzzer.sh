#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs every fuzz target under libFuzzer with ASan and UBSan for a bounded
# time: CI calls this; `make check` only replays the corpora (run-corpus.sh)
# because real fuzzing would slow every check.
#
#   TFLOW_SRCDIR=... TFLOW_BUILDDIR=... tests/fuzz/libfuzzer.sh [TARGET]...
#
# TARGET: pkt, dec, store (default: all).  TFLOW_FUZZ_SECONDS per target
# (default 30), CLANG (default clang).  The targets are compiled straight
# from the sources with `clang -g -O1 -fsanitize=fuzzer,address,undefined`
# into a temp dir, using the build tree's config.h; each runs on a copy of its
# corpus, so the checked-in corpus never changes.  Exit 0: no crash; 1: a
# crash, leak, UB or timeout (the reproducer is copied to
# $TFLOW_BUILDDIR/fuzz-artifacts/ and its replay command printed);
# 77: clang or libFuzzer missing (skipped); 99: set-up error.
set -u

S=${TFLOW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${TFLOW_BUILDDIR:-.}
SECONDS_EACH=${TFLOW_FUZZ_SECONDS:-30}
CC=${CLANG:-clang}

say() {
	printf 'libfuzzer: %s\n' "$*"
}

[ -f "$B/config.h" ] || {
	say "ERROR: $B/config.h missing: set TFLOW_BUILDDIR to a configured build tree"
	exit 99
}
command -v "$CC" >/dev/null 2>&1 || {
	say "SKIP: $CC not installed (Debian: clang)"
	exit 77
}
T=$(mktemp -d "${TMPDIR:-/tmp}/tflow-fuzz.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat >"$T/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	(void)d;
	(void)n;
	return 0;
}
EOF
"$CC" -fsanitize=fuzzer,address,undefined "$T/probe.c" -o "$T/probe" \
    >"$T/probe.log" 2>&1 || {
	say "SKIP: $CC cannot build with -fsanitize=fuzzer (libFuzzer missing?):"
	sed 's/^/  /' "$T/probe.log" | head -5
	exit 77
}

CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
    -include $B/config.h -I$B -I$S/include -I$S/src/lib -I$S/src/probe
    -I$S/src/collector -I$S/src/store"

sources() {
	case $1 in
	pkt)
		echo "tests/fuzz/pkt/fuzz_pkt.c src/probe/pkt.c src/probe/frag.c
		    src/lib/siphash.c"
		;;
	dec)
		echo "tests/fuzz/dec/fuzz_dec.c src/collector/dec.c
		    src/collector/dec_v1.c src/collector/dec_v5.c
		    src/collector/dec_v9.c src/collector/dec_ipfix.c
		    src/collector/dec_fields.c src/collector/tmpl.c
		    src/lib/siphash.c src/lib/ie.c"
		;;
	store)
		echo "tests/fuzz/store/fuzz_store.c src/store/store_read.c
		    src/store/store_codec.c src/store/store_dir.c"
		;;
	*)
		return 1
		;;
	esac
}

# Libraries a target links, after its sources.
libs() {
	case $1 in
	store)
		echo "-lzstd"
		;;
	esac
}

targets=${*:-pkt dec store}
rc=0
for t in $targets; do
	src=$(sources "$t") || { say "ERROR: unknown target $t"; exit 99; }
	files=
	for f in $src; do
		files="$files $S/$f"
	done
	# shellcheck disable=SC2086 # word lists on purpose
	if ! "$CC" $CFLAGS $files $(libs "$t") -o "$T/fuzz_$t" \
	    >"$T/$t.build.log" 2>&1; then
		say "ERROR: building fuzz_$t failed:"
		cat "$T/$t.build.log" >&2
		exit 99
	fi
	mkdir -p "$T/$t.corpus" "$T/$t.artifacts"
	cp "$S/tests/fuzz/$t/corpus/"* "$T/$t.corpus/" 2>/dev/null
	say "fuzz_$t: $SECONDS_EACH s on $(ls "$T/$t.corpus" | wc -l) corpus inputs"
	# -timeout: one input taking 10 s is a hang worth reporting.
	"$T/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$T/$t.artifacts/" "$T/$t.corpus" \
	    >"$T/$t.log" 2>&1
	r=$?
	grep -E '^stat::number_of_executed_units|^Done ' "$T/$t.log" |
	    sed 's/^/  /'
	if [ "$r" != 0 ]; then
		rc=1
		say "FAIL: fuzz_$t exited $r:"
		grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$T/$t.log" |
		    head -20 >&2
		mkdir -p "$B/fuzz-artifacts"
		for a in "$T/$t.artifacts/"*; do
			[ -f "$a" ] || continue
			cp "$a" "$B/fuzz-artifacts/$t-$(basename "$a")"
			say "reproducer: $B/fuzz-artifacts/$t-$(basename "$a")" \
			    "(replay: $B/tests/fuzz/$t/fuzz_$t FILE)"
		done
		tail -n 40 "$T/$t.log" >&2
	else
		say "ok   fuzz_$t: no crash"
	fi
done
exit "$rc"
