#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Every test: set up, build with -Werror, `make check`; again under ASan +
# UBSan in build-san; the fuzz targets under libFuzzer for a bounded time;
# then `make distcheck`.  Exits non-zero on any failure.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)

echo "== make check (build/)"
make -C build -j"$jobs" check || { cat build/test-suite.log; exit 1; }

echo "== make check under AddressSanitizer + UndefinedBehaviorSanitizer (build-san/)"
mkdir -p build-san
[ -f build-san/Makefile ] || (cd build-san && ../configure -q --enable-sanitizers)
# LSan needs ptrace rights some sandboxes lack; leaks are checked where it works.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	make -C build-san -j"$jobs" check || { cat build-san/test-suite.log; exit 1; }

echo "== libFuzzer: every fuzz target for a bounded time (TFLOW_FUZZ_SECONDS, default 30)"
rc=0
TFLOW_BUILDDIR=$(pwd)/build TFLOW_SRCDIR=$(pwd) tests/fuzz/libfuzzer.sh || rc=$?
case $rc in
0) ;;
77) echo "libFuzzer: skipped (clang with libFuzzer not available)" ;;
*) echo "libFuzzer: FAILED ($rc)"; exit 1 ;;
esac

echo "== make distcheck"
make -C build -j"$jobs" distcheck
echo "== all tests passed"
