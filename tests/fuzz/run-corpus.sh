#!/bin/sh
# Replays every fuzz corpus through its target (see tests/fuzz/replay.c).
set -e
b=${TFLOW_BUILDDIR:-.}; s=${TFLOW_SRCDIR:-.}
"$b/tests/fuzz/pkt/fuzz_pkt" "$s/tests/fuzz/pkt/corpus"
"$b/tests/fuzz/dec/fuzz_dec" "$s/tests/fuzz/dec/corpus"
"$b/tests/fuzz/store/fuzz_store" "$s/tests/fuzz/store/corpus"
