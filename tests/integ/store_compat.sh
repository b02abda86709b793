#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Files written by an earlier format stay readable.  tests/data/store-v2.tfs
# is a format-2 file (before the PAIRS column) written by the format-2
# writer (tflow-storegen, 500 records, 3 protocols); what that writer's own
# reader printed for it is pinned here: the same JSON lines (sha256), and
# the same per-protocol totals from tflow-query.

. "$(dirname "$0")/lib.sh"

STORECAT=$TFLOW_BUILDDIR/tests/gen/tflow-storecat
QUERY=$TFLOW_BUILDDIR/tflow-query
V2=$TFLOW_SRCDIR/tests/data/store-v2.tfs

integ_init
[ -x "$STORECAT" ] || die "$STORECAT not built"
[ -x "$QUERY" ] || die "$QUERY not built"
[ -r "$V2" ] || die "$V2 missing"

check_eq "v2: header version" "0002" \
    "$(od -A n -t x1 -j 8 -N 2 "$V2" | tr -d ' \n')"
"$STORECAT" "$V2" >"$T/v2.json" || fail "v2: tflow-storecat failed"
check_eq "v2: records" 500 "$(wc -l <"$T/v2.json")"
check_eq "v2: every record as the format-2 reader printed it" \
    e9fe2f2264f160af55eb37d1f0417e7a2671448c52c8fca2c74dee5e3827aac3 \
    "$(sha256sum <"$T/v2.json" | cut -d' ' -f1)"
"$QUERY" -r "$V2" -A proto -o csv >"$T/v2.csv" || fail "v2: tflow-query failed"
check_eq "v2: totals per protocol" \
    "6,342,15038,11818422 17,128,1442,1075648 1,30,372,263903" \
    "$(tail -n +2 "$T/v2.csv" | tr '\n' ' ' | sed 's/ $//')"

integ_done
