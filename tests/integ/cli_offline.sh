#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tflow --offline -c FILE, end to end through the program:
#  1. the issue's examples, typed as a MikroTik operator would, build the
#     file from nothing (a missing FILE starts from the defaults);
#  2. print, target print, print detail, ipfix print and export match
#     RouterOS's layout byte for byte;
#  3. bad commands (a five-octet address, an unknown property, a bad time,
#     cache-entries=0, no such item) fail with RouterOS's message, exit
#     non-zero and leave FILE byte for byte as it was (cmp);
#  4. export -> FILE2 through tflow --offline gives the same export, and
#     tflowd -c accepts the exported file.
# No network traffic, no daemon: everything stays in a temp directory.

set -u

: "${TFLOW_BUILDDIR:?TFLOW_BUILDDIR must point at the build tree}"
TFLOW=$TFLOW_BUILDDIR/tflow
TFLOWD=$TFLOW_BUILDDIR/tflowd
NAME=cli_offline
FAILED=0

[ -x "$TFLOW" ] || { echo "$NAME: ERROR: $TFLOW not built"; exit 99; }
T=$(mktemp -d "${TMPDIR:-/tmp}/tflow-cli.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
F=$T/tflow.rsc

fail() {
	echo "$NAME: FAIL: $*"
	FAILED=1
}

# ok CMD...: tflow on $F must succeed.
ok() {
	"$TFLOW" --offline -c "$F" "$@" >"$T/out" 2>"$T/err" ||
	    fail "'$*' exited $?: $(cat "$T/err")"
}

# bad MESSAGE CMD...: must fail with MESSAGE on stderr, nothing on
# stdout, and $F must not change.
bad() {
	local msg=$1 rc
	shift
	cp "$F" "$T/before"
	"$TFLOW" --offline -c "$F" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -ne 0 ] || fail "'$*' succeeded"
	grep -qF -- "$msg" "$T/err" ||
	    fail "'$*': expected '$msg', got '$(cat "$T/err")'"
	[ ! -s "$T/out" ] || fail "'$*' printed $(cat "$T/out")"
	cmp -s "$F" "$T/before" || fail "'$*' changed the file"
	ls "$T" | grep -q '^tflow\.rsc\.' && fail "'$*' left a temp file"
}

# expect NAME: stdout of the last command must equal stdin.
expect() {
	cat >"$T/want"
	diff -u "$T/want" "$T/out" >"$T/diff" ||
	    fail "$1: output differs:$(printf '\n'; cat "$T/diff")"
}

# --- 1. the issue's examples -------------------------------------------
"$TFLOW" -h | grep -q -- '--offline' || fail "tflow -h shows no usage"
# without --offline tflow wants the daemon; none answers on this socket
"$TFLOW" -S "$T/nosock" /export >/dev/null 2>"$T/err" &&
    fail "no daemon, no --offline, and still succeeded"
grep -q "cannot reach tflowd at $T/nosock" "$T/err" ||
    fail "no --offline: $(cat "$T/err")"

ok /ip traffic-flow print
[ ! -e "$F" ] || fail "print created the file"
grep -qx '              enabled: no' "$T/out" || fail "defaults: $(cat "$T/out")"

ok ip traffic-flow set enabled=yes cache-entries=4k active-flow-timeout=30m \
    inactive-flow-timeout=15s interfaces=all
[ -f "$F" ] || fail "set did not create the file"
ok /ip traffic-flow target add address=192.168.88.10:9995 disabled=no version=5
ok /ip traffic-flow target add dst-address=192.168.0.2 port=2055 version=9 \
    v9-template-refresh=20 v9-template-timeout=30m
ok /ip/traffic-flow/set packet-sampling=yes sampling-interval=2222 \
    sampling-space=1111
ok /ip traffic-flow target add dst-address=2001:db8::1 version=ipfix \
    src-address=2001:db8::2 disabled=yes
ok /ip traffic-flow ipfix set nat-events=no tcp-seq-num=no

# --- 2. printers --------------------------------------------------------
ok /ip traffic-flow print
expect "print" <<'EOF'
              enabled: yes
           interfaces: all
        cache-entries: 4k
  active-flow-timeout: 30m
inactive-flow-timeout: 15s
      packet-sampling: yes
    sampling-interval: 2222
       sampling-space: 1111
              capture: afpacket
      capture-workers: auto
      count-direction: ingress-and-local
EOF

ok /ip traffic-flow target print
expect "target print" <<'EOF'
Flags: X - disabled
 #   DST-ADDRESS   PORT VERSION SRC-ADDRESS
 0   192.168.88.10 9995 5       0.0.0.0
 1   192.168.0.2   2055 9       0.0.0.0
 2 X 2001:db8::1   2055 ipfix   2001:db8::2
EOF

ok /ip traffic-flow target print detail
expect "print detail" <<'EOF'
Flags: X - disabled
 0   dst-address=192.168.88.10 port=9995 version=5 src-address=0.0.0.0 v9-template-refresh=20 v9-template-timeout=30m

 1   dst-address=192.168.0.2 port=2055 version=9 src-address=0.0.0.0 v9-template-refresh=20 v9-template-timeout=30m

 2 X dst-address=2001:db8::1 port=2055 version=ipfix src-address=2001:db8::2 v9-template-refresh=20 v9-template-timeout=30m

EOF

ok /ip traffic-flow ipfix print
grep -qx '      nat-events: no' "$T/out" || fail "ipfix print: $(cat "$T/out")"
grep -qx '           bytes: yes' "$T/out" || fail "ipfix print: $(cat "$T/out")"

ok /export
expect "export" <<'EOF'
/ip traffic-flow
set enabled=yes interfaces=all cache-entries=4k active-flow-timeout=30m \
    inactive-flow-timeout=15s packet-sampling=yes sampling-interval=2222 \
    sampling-space=1111
/ip traffic-flow target
add dst-address=192.168.88.10 port=9995 version=5
add dst-address=192.168.0.2 port=2055 version=9
add dst-address=2001:db8::1 port=2055 version=ipfix src-address=2001:db8::2 \
    disabled=yes
/ip traffic-flow ipfix
set nat-events=no tcp-seq-num=no
EOF
cmp -s "$T/out" "$F" || fail "the saved file is not what export prints"
ok /ip traffic-flow export
cmp -s "$T/out" "$F" || fail "/ip traffic-flow export differs from /export"

# items by number
ok /ip traffic-flow target disable 0
ok /ip traffic-flow target set 0 port=9996
ok /ip traffic-flow target print
grep -q '^ 0 X 192.168.88.10 9996 ' "$T/out" || fail "set/disable 0: $(cat "$T/out")"
ok /ip traffic-flow target enable 0
ok /ip traffic-flow target remove 2
ok /ip traffic-flow target print
expect "after remove" <<'EOF'
Flags: X - disabled
 #   DST-ADDRESS   PORT VERSION SRC-ADDRESS
 0   192.168.88.10 9996 5       0.0.0.0
 1   192.168.0.2   2055 9       0.0.0.0
EOF
ok /ip traffic-flow set 'interfaces=eth0,eth1'
grep -q 'interfaces=eth0,eth1' "$F" || fail "interfaces not saved"

# --- 3. rejected, file untouched ----------------------------------------
bad "invalid value for argument address (line 1 column 37)" \
    /ip traffic-flow target add address=192.168.88.100.182:9995
bad "unknown parameter bogus" /ip traffic-flow set enabled=no bogus=1
bad "invalid value for argument active-flow-timeout" \
    /ip traffic-flow set active-flow-timeout=30q
bad "invalid value for argument cache-entries" \
    /ip traffic-flow set cache-entries=0
bad "expected end of command (line 1 column 34)" \
    /ip traffic-flow set enabled=yes foo
bad "no such item" /ip traffic-flow target remove 7
bad "no such item" /ip traffic-flow target set 2 port=1
bad "invalid value for argument sampling-interval" \
    /ip traffic-flow set sampling-interval=0
bad "no such command prefix" /ip traffic-flw print
# the shell took the quotes off a value with a blank; tflow puts them back,
# so the value (not the word after the blank) is what is wrong
bad "invalid value for argument interfaces" \
    /ip traffic-flow set 'interfaces=eth 0'
# a broken file is refused as a whole, and not rewritten
printf '/ip traffic-flow\nset cache-entries=0\n' >"$T/broken.rsc"
cp "$T/broken.rsc" "$T/broken.orig"
"$TFLOW" --offline -c "$T/broken.rsc" /ip traffic-flow set enabled=yes \
    >/dev/null 2>"$T/err" && fail "a broken file was accepted"
grep -q "line 2 column 19" "$T/err" || fail "broken file: $(cat "$T/err")"
cmp -s "$T/broken.rsc" "$T/broken.orig" || fail "the broken file changed"

# --- 4. export feeds back ------------------------------------------------
"$TFLOW" --offline -c "$F" /export >"$T/export1" || fail "export"
F2=$T/again.rsc
cp "$T/export1" "$F2"
"$TFLOW" --offline -c "$F2" /export >"$T/export2" || fail "export of FILE2"
cmp -s "$T/export1" "$T/export2" || fail "export -> parse -> export differs"
# a change through FILE2 rewrites it to the same bytes
"$TFLOW" --offline -c "$F2" /ip traffic-flow set enabled=yes ||
    fail "set on FILE2"
cmp -s "$T/export1" "$F2" || fail "rewritten FILE2 differs from the export"

# tflowd reads the same file.  With enabled=no it stops after the config
# (there is no live capture to start), so it sends nothing anywhere.
if [ -x "$TFLOWD" ]; then
	"$TFLOW" --offline -c "$F2" /ip traffic-flow set enabled=no ||
	    fail "set enabled=no"
	timeout 10 "$TFLOWD" -f -c "$F2" >/dev/null 2>"$T/err"
	grep -q "$F2:" "$T/err" && fail "tflowd refused the export: $(cat "$T/err")"
	timeout 10 "$TFLOWD" -f -c "$T/broken.rsc" >/dev/null 2>"$T/err"
	grep -q "broken.rsc:2:19" "$T/err" ||
	    fail "tflowd did not report the broken file: $(cat "$T/err")"
fi

[ "$FAILED" -eq 0 ] && echo "$NAME: PASS"
exit "$FAILED"
