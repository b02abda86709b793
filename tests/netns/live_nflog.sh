#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Live capture from NFLOG (capture=nflog:GROUP): the checks of
# live_lib.sh, with the nftables rules docs/tflowd.8 gives, in the router
# namespace: every packet at the end of the input, forward and output
# chains is logged to the group once, loopback excepted (the exports to
# the collector on 127.0.0.1 must not count themselves).
GROUP=$((($$ % 60000) + 100))
CAPTURE=nflog:$GROUP
. "$(dirname "$0")/live_lib.sh"
if [ -n "${TFLOW_SRCDIR:-}" ] &&
    ! grep -q 'cap_nflog\.c' "$TFLOW_SRCDIR/Makefile.am"; then
	skip "the NFLOG backend (cap_nflog.c) is not built yet"
fi
need_cmd nft nftables

live_setup_hook() {
	in_ns "$NS_R" nft -f - <<EOT
table inet tflow {
	chain input {
		type filter hook input priority 100; policy accept;
		iifname != "lo" log group $GROUP
	}
	chain forward {
		type filter hook forward priority 100; policy accept;
		log group $GROUP
	}
	chain output {
		type filter hook output priority 100; policy accept;
		oifname != "lo" log group $GROUP
	}
}
EOT
}
live_main
