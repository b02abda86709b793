#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tflow's shell over a pipe, against a config file (--offline): the
# current menu, relative commands, `..` and `/`, errors with the column of
# what was typed, quit, the exit status, and the file written after each
# change.  The same shell runs over the control socket (test_ctl runs the
# real tflow against a server; tests/netns/ctl_live.sh against tflowd).

set -u

: "${TFLOW_BUILDDIR:?TFLOW_BUILDDIR must point at the build tree}"
TFLOW=$TFLOW_BUILDDIR/tflow
NAME=cli_shell
FAIL=0

say() { printf '%s: %s\n' "$NAME" "$*"; }
fail() { say "FAIL: $*"; FAIL=1; }
[ -x "$TFLOW" ] || { say "ERROR: $TFLOW not built"; exit 99; }

T=$(mktemp -d "${TMPDIR:-/tmp}/tflow-shell.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
F=$T/tflow.rsc

# shell INPUT: run the shell on F with INPUT; status in $rc.
shell() {
	printf '%s' "$1" | "$TFLOW" --offline -c "$F" >"$T/out" 2>"$T/err"
	rc=$?
}

# --- menus and relative commands ------------------------------------------
shell '/ip traffic-flow
set enabled=yes cache-entries=16k
target
add dst-address=192.0.2.1 version=5
add address=192.0.2.2:9995
print
..
ipfix
set nat-events=no
/
ip traffic-flow print
'
[ "$rc" = 0 ] || fail "status $rc: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
cat >"$T/want" <<'EOF'
Flags: X - disabled
 #   DST-ADDRESS PORT VERSION SRC-ADDRESS
 0   192.0.2.1   2055 5       0.0.0.0
 1   192.0.2.2   9995 9       0.0.0.0
EOF
head -n 4 "$T/out" >"$T/got"
cmp -s "$T/got" "$T/want" || fail "target print:$(printf '\n'; cat "$T/got")"
grep -qx '        cache-entries: 16k' "$T/out" || fail "print: $(cat "$T/out")"
cat >"$T/want" <<'EOF'
/ip traffic-flow
set enabled=yes interfaces=all cache-entries=16k active-flow-timeout=30m \
    inactive-flow-timeout=15s packet-sampling=no sampling-interval=0 \
    sampling-space=0
/ip traffic-flow target
add dst-address=192.0.2.1 port=2055 version=5
add dst-address=192.0.2.2 port=9995 version=9
/ip traffic-flow ipfix
set nat-events=no
EOF
cmp -s "$F" "$T/want" || fail "saved file:$(printf '\n'; cat "$F")"

# --- errors: the column counts in the typed line; the rest goes on -----------
cp "$F" "$T/before"
shell '/ip traffic-flow target
set 0 port=99999
print where version=5
.. set cache-entries=0
remove 7
frobnicate
monitor
'
[ "$rc" = 1 ] || fail "errors gave status $rc"
cat >"$T/want" <<'EOF'
invalid value for argument port (line 1 column 12)
invalid value for argument cache-entries (line 1 column 22)
no such item (line 1 column 8)
no such command prefix (line 1 column 1)
bad command name monitor (line 1 column 1)
EOF
cmp -s "$T/err" "$T/want" || fail "errors:$(printf '\n'; cat "$T/err")"
grep -q ' 0   192.0.2.1   2055 5 ' "$T/out" ||
    fail "print where after an error: $(cat "$T/out")"
grep -q '192.0.2.2' "$T/out" && fail "print where showed row 1"
cmp -s "$F" "$T/before" || fail "failed commands changed the file"

# --- monitor needs tflowd; quit ends the script --------------------------------
shell '/ip traffic-flow monitor once
quit
/ip traffic-flow set enabled=no
'
[ "$rc" = 1 ] || fail "monitor offline gave status $rc"
grep -q 'monitor needs the running tflowd' "$T/err" ||
    fail "monitor offline: $(cat "$T/err")"
grep -q 'enabled=yes' "$F" || fail "a command after quit ran"

# one-shot: a path alone does nothing and succeeds
"$TFLOW" --offline -c "$F" /ip traffic-flow target >"$T/out" 2>"$T/err" ||
    fail "path alone: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "path alone printed $(cat "$T/out")"

[ "$FAIL" = 0 ] || exit 1
say PASS
